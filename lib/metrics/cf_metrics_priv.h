/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_METRICS_PRIV_H
#define CF_METRICS_PRIV_H

/* Internal to lib/metrics: the one registry shared by metric and health providers. */

enum {
	CF_METRICS_KIND_METRICS = 1,
	CF_METRICS_KIND_HEALTH = 2,
};

struct cf_metrics_entry {
	char name[48];
	int kind;
	void *fn;       /* cf_metrics_provider_fn or cf_metrics_health_fn; NULL = free slot */
	void *ctx;
};

int cf_metrics_registry_add(const char *name, int kind, void *fn, void *ctx);
int cf_metrics_registry_run(int kind, void (*call)(void *fn, void *ctx, void *arg), void *arg);

#endif
