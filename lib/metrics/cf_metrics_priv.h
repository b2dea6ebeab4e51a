/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_METRICS_PRIV_H
#define CF_METRICS_PRIV_H

/* Internal to lib/metrics: the one registry shared by metric and health providers. */

enum {
	CFM_KIND_METRICS = 1,
	CFM_KIND_HEALTH = 2,
};

struct cfm_entry {
	char name[48];
	int kind;
	void *fn;       /* cfm_provider_fn or cfm_health_fn; NULL = free slot */
	void *ctx;
};

int cfm_registry_add(const char *name, int kind, void *fn, void *ctx);
int cfm_registry_run(int kind, void (*call)(void *fn, void *ctx, void *arg), void *arg);

#endif
