/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_METRICS_H
#define CF_METRICS_H

/*
 * Metrics and health for the control plane: subsystems register provider
 * callbacks; a scrape runs them into a builder, which renders Prometheus text
 * exposition 0.0.4 or JSON (cJSON).
 *
 * Contract:
 *  - Never called on an RX lcore. Providers run on the thread that collects
 *    (HTTP or telemetry thread, or the control lcore); they read lock-free
 *    per-lcore counters and may see a view one burst stale.
 *  - cfm_register()/cfm_health_register() may be called at any time from any
 *    thread. cfm_collect()/cfm_health_collect() run every provider in
 *    registration order under one registry lock, so a provider never runs
 *    concurrently with itself or another provider and may keep private state.
 *    A provider must not call cfm_register/cfm_collect (deadlock).
 *  - Names: families must match [a-zA-Z_:][a-zA-Z0-9_:]*, labels
 *    [a-zA-Z_][a-zA-Z0-9_]* (not starting with "__"); anything else is
 *    refused with -EINVAL and counted in cfm_builder_errors(). Label values
 *    are any string (escaped on output). Counters should end in "_total".
 *  - A family named twice in one builder is one family (types must agree):
 *    several providers may add samples to it. Each label set must be unique
 *    within a family; the builder does not check (providers own that).
 *  - Return values: 0 on success, -EINVAL (bad name, type clash, no family
 *    started), -ENOMEM, -EEXIST (provider name taken), -ENOSPC (registry
 *    full, CFM_MAX_PROVIDERS), -ENOENT (unregister of an unknown name).
 */

#include <stddef.h>
#include <stdint.h>

#define CFM_MAX_PROVIDERS 32

struct cfm_builder;
struct cfm_health;
struct cJSON;

enum cfm_type {
	CFM_COUNTER,
	CFM_GAUGE,
	CFM_HISTOGRAM,
};

struct cfm_label {
	const char *name;
	const char *value;
};

/* cfm_u64(b, CFM_L({"port", "0"}, {"reason", "x"}), v): array and count in one. */
#define CFM_L(...) (const struct cfm_label[]){ __VA_ARGS__ }, \
	(unsigned int)(sizeof((const struct cfm_label[]){ __VA_ARGS__ }) / sizeof(struct cfm_label))
#define CFM_NOLABELS NULL, 0u

typedef void (*cfm_provider_fn)(struct cfm_builder *b, void *ctx);

int cfm_register(const char *name, cfm_provider_fn fn, void *ctx);
int cfm_unregister(const char *name);

struct cfm_builder *cfm_builder_new(void);   /* NULL when out of memory */
void cfm_builder_free(struct cfm_builder *b);
/* Runs every provider into b. Returns the number of providers run. */
int cfm_collect(struct cfm_builder *b);
unsigned int cfm_builder_errors(const struct cfm_builder *b);

/* Starts (or reopens) a family; the samples that follow belong to it. */
int cfm_family(struct cfm_builder *b, const char *name, const char *help, enum cfm_type type);
int cfm_u64(struct cfm_builder *b, const struct cfm_label *l, unsigned int nl, uint64_t v);
int cfm_f64(struct cfm_builder *b, const struct cfm_label *l, unsigned int nl, double v);
/*
 * One histogram series: le[i] are the upper bounds (ascending, +Inf implied
 * after the last), cum[i] the cumulative counts for le[i] (n entries), count
 * the total (the +Inf bucket) and sum the sum of observations.
 */
int cfm_histogram(struct cfm_builder *b, const struct cfm_label *l, unsigned int nl,
		  const double *le, const uint64_t *cum, unsigned int n, double sum, uint64_t count);

/*
 * Top-level keys of the JSON document (the Clarion UI reads total_received,
 * total_sent, pending, errors). Setting a key twice keeps the last value, so
 * a provider registered later (e.g. HTTP delivery) overrides an earlier one.
 */
int cfm_summary_set(struct cfm_builder *b, const char *key, double v);
/* 1 and *v filled when key was set, else 0. */
int cfm_summary_get(const struct cfm_builder *b, const char *key, double *v);
/* Sum of every sample of a family matching one label (name NULL: all). -1 if absent. */
double cfm_family_sum(const struct cfm_builder *b, const char *family, const char *label,
		      const char *value);

/* Prometheus text exposition 0.0.4; malloc'd (free()), *len set. NULL on ENOMEM. */
char *cfm_render_prometheus(const struct cfm_builder *b, size_t *len);
/*
 * JSON: {<summary keys>..., "metrics": {name: {"type", "help", "samples":
 * [{"labels": {}, "value": v}]}}}. Histogram samples carry "buckets" (le ->
 * cumulative count), "sum" and "count". The caller owns (cJSON_Delete) it.
 */
struct cJSON *cfm_render_json(const struct cfm_builder *b);

/* Iteration, for other renderers (DPDK telemetry). */
unsigned int cfm_n_families(const struct cfm_builder *b);
const char *cfm_family_name(const struct cfm_builder *b, unsigned int f);
unsigned int cfm_n_samples(const struct cfm_builder *b, unsigned int f);
/* Label k of sample s (NULL past the end) and the sample's value (histograms: count). */
const struct cfm_label *cfm_sample_label(const struct cfm_builder *b, unsigned int f,
					 unsigned int s, unsigned int k);
double cfm_sample_value(const struct cfm_builder *b, unsigned int f, unsigned int s);

/* ---- health ---- */

enum cfm_status {
	CFM_HEALTHY = 0,
	CFM_DEGRADED = 1,
	CFM_UNHEALTHY = 2,
};

typedef void (*cfm_health_fn)(struct cfm_health *h, void *ctx);

int cfm_health_register(const char *name, cfm_health_fn fn, void *ctx);
struct cfm_health *cfm_health_new(void);
void cfm_health_free(struct cfm_health *h);
/* Runs every health check; returns the overall status (worst reason). */
enum cfm_status cfm_health_collect(struct cfm_health *h);
/* Adds a reason: code is a short snake_case word, detail free text. 0 or -ENOMEM. */
int cfm_health_reason(struct cfm_health *h, enum cfm_status severity, const char *code,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
enum cfm_status cfm_health_status(const struct cfm_health *h);
const char *cfm_status_name(enum cfm_status s);
/* [{"code", "severity", "detail"}]; the caller owns it. */
struct cJSON *cfm_health_reasons_json(const struct cfm_health *h);

#endif
