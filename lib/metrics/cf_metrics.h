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
 *  - cf_metrics_register()/cf_metrics_health_register() may be called at any time from any
 *    thread. cf_metrics_collect()/cf_metrics_health_collect() run every provider in
 *    registration order under one registry lock, so a provider never runs
 *    concurrently with itself or another provider and may keep private state.
 *    A provider must not call cf_metrics_register/cf_metrics_collect (deadlock).
 *  - Names: families must match [a-zA-Z_:][a-zA-Z0-9_:]*, labels
 *    [a-zA-Z_][a-zA-Z0-9_]* (not starting with "__"); anything else is
 *    refused with -EINVAL and counted in cf_metrics_builder_errors(). Label values
 *    are any string (escaped on output). Counters should end in "_total".
 *  - A family named twice in one builder is one family (types must agree):
 *    several providers may add samples to it. Each label set must be unique
 *    within a family; the builder does not check (providers own that).
 *  - Return values: 0 on success, -EINVAL (bad name, type clash, no family
 *    started), -ENOMEM, -EEXIST (provider name taken), -ENOSPC (registry
 *    full, CF_METRICS_MAX_PROVIDERS), -ENOENT (unregister of an unknown name).
 */

#include <stddef.h>
#include <stdint.h>

#define CF_METRICS_MAX_PROVIDERS 32

struct cf_metrics_builder;
struct cf_metrics_health;
struct cJSON;

enum cf_metrics_type {
	CF_METRICS_COUNTER,
	CF_METRICS_GAUGE,
	CF_METRICS_HISTOGRAM,
};

struct cf_metrics_label {
	const char *name;
	const char *value;
};

/* cf_metrics_u64(b, CF_METRICS_L({"port", "0"}, {"reason", "x"}), v): array and count in one. */
#define CF_METRICS_L(...)                                                                          \
	(const struct cf_metrics_label[]){__VA_ARGS__},                                            \
		(unsigned int)(sizeof((const struct cf_metrics_label[]){__VA_ARGS__}) /            \
			       sizeof(struct cf_metrics_label))
#define CF_METRICS_NOLABELS NULL, 0u

typedef void (*cf_metrics_provider_fn)(struct cf_metrics_builder *b, void *ctx);

int cf_metrics_register(const char *name, cf_metrics_provider_fn fn, void *ctx);
int cf_metrics_unregister(const char *name);

struct cf_metrics_builder *cf_metrics_builder_new(void);   /* NULL when out of memory */
void cf_metrics_builder_free(struct cf_metrics_builder *b);
/* Runs every provider into b. Returns the number of providers run. */
int cf_metrics_collect(struct cf_metrics_builder *b);
unsigned int cf_metrics_builder_errors(const struct cf_metrics_builder *b);

/* Starts (or reopens) a family; the samples that follow belong to it. */
int cf_metrics_family(struct cf_metrics_builder *b, const char *name, const char *help,
		      enum cf_metrics_type type);
int cf_metrics_u64(struct cf_metrics_builder *b, const struct cf_metrics_label *l, unsigned int nl,
		   uint64_t v);
int cf_metrics_f64(struct cf_metrics_builder *b, const struct cf_metrics_label *l, unsigned int nl,
		   double v);
/* A family of one unlabelled sample: a counter (u64) or a gauge (f64). Errors as above. */
int cf_metrics_counter1(struct cf_metrics_builder *b, const char *name, const char *help,
			uint64_t v);
int cf_metrics_gauge1(struct cf_metrics_builder *b, const char *name, const char *help, double v);
/*
 * One histogram series: le[i] are the upper bounds (ascending, +Inf implied
 * after the last), cum[i] the cumulative counts for le[i] (n entries), count
 * the total (the +Inf bucket) and sum the sum of observations.
 */
int cf_metrics_histogram(struct cf_metrics_builder *b, const struct cf_metrics_label *l,
			 unsigned int nl, const double *le, const uint64_t *cum, unsigned int n,
			 double sum, uint64_t count);

/*
 * Top-level keys of the JSON document (the Clarion UI reads total_received,
 * total_sent, pending, errors). Setting a key twice keeps the last value, so
 * a provider registered later (e.g. HTTP delivery) overrides an earlier one.
 */
int cf_metrics_summary_set(struct cf_metrics_builder *b, const char *key, double v);
/* 1 and *v filled when key was set, else 0. */
int cf_metrics_summary_get(const struct cf_metrics_builder *b, const char *key, double *v);
/* Sum of every sample of a family matching one label (name NULL: all). -1 if absent. */
double cf_metrics_family_sum(const struct cf_metrics_builder *b, const char *family,
			     const char *label, const char *value);

/* Prometheus text exposition 0.0.4; malloc'd (free()), *len set. NULL on ENOMEM. */
char *cf_metrics_render_prometheus(const struct cf_metrics_builder *b, size_t *len);
/*
 * JSON: {<summary keys>..., "metrics": {name: {"type", "help", "samples":
 * [{"labels": {}, "value": v}]}}}. Histogram samples carry "buckets" (le ->
 * cumulative count), "sum" and "count". The caller owns (cJSON_Delete) it.
 */
struct cJSON *cf_metrics_render_json(const struct cf_metrics_builder *b);

/* Iteration, for other renderers (DPDK telemetry). */
unsigned int cf_metrics_n_families(const struct cf_metrics_builder *b);
const char *cf_metrics_family_name(const struct cf_metrics_builder *b, unsigned int f);
unsigned int cf_metrics_n_samples(const struct cf_metrics_builder *b, unsigned int f);
/* Label k of sample s (NULL past the end) and the sample's value (histograms: count). */
const struct cf_metrics_label *cf_metrics_sample_label(const struct cf_metrics_builder *b,
						       unsigned int f, unsigned int s,
						       unsigned int k);
double cf_metrics_sample_value(const struct cf_metrics_builder *b, unsigned int f, unsigned int s);

/* ---- health ---- */

enum cf_metrics_status {
	CF_METRICS_HEALTHY = 0,
	CF_METRICS_DEGRADED = 1,
	CF_METRICS_UNHEALTHY = 2,
};

typedef void (*cf_metrics_health_fn)(struct cf_metrics_health *h, void *ctx);

int cf_metrics_health_register(const char *name, cf_metrics_health_fn fn, void *ctx);
struct cf_metrics_health *cf_metrics_health_new(void);
void cf_metrics_health_free(struct cf_metrics_health *h);
/* Runs every health check; returns the overall status (worst reason). */
enum cf_metrics_status cf_metrics_health_collect(struct cf_metrics_health *h);
/* Adds a reason: code is a short snake_case word, detail free text. 0 or -ENOMEM. */
int cf_metrics_health_reason(struct cf_metrics_health *h, enum cf_metrics_status severity,
			     const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
enum cf_metrics_status cf_metrics_health_status(const struct cf_metrics_health *h);
const char *cf_metrics_status_name(enum cf_metrics_status s);
/* [{"code", "severity", "detail"}]; the caller owns it. */
struct cJSON *cf_metrics_health_reasons_json(const struct cf_metrics_health *h);

#endif
