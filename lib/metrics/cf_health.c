/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cf_metrics.h"
#include "cf_metrics_priv.h"

struct reason {
	enum cfm_status severity;
	char code[48];
	char detail[200];
};

struct cfm_health {
	struct reason *r;
	unsigned int n, cap;
	enum cfm_status status;
};

int
cfm_health_register(const char *name, cfm_health_fn fn, void *ctx)
{
	return cfm_registry_add(name, CFM_KIND_HEALTH, (void *)fn, ctx);
}

struct cfm_health *
cfm_health_new(void)
{
	return calloc(1, sizeof(struct cfm_health));
}

void
cfm_health_free(struct cfm_health *h)
{
	if (h == NULL)
		return;
	free(h->r);
	free(h);
}

static void
call_check(void *fn, void *ctx, void *arg)
{
	((cfm_health_fn)fn)(arg, ctx);
}

enum cfm_status
cfm_health_collect(struct cfm_health *h)
{
	cfm_registry_run(CFM_KIND_HEALTH, call_check, h);
	return h->status;
}

int
cfm_health_reason(struct cfm_health *h, enum cfm_status severity, const char *code,
		  const char *fmt, ...)
{
	struct reason *r;
	va_list ap;

	if (h->n == h->cap) {
		unsigned int ncap = h->cap ? h->cap * 2 : 8;
		struct reason *nr = realloc(h->r, ncap * sizeof(*nr));

		if (nr == NULL) {
			/* Still never report healthy when something is wrong. */
			if (severity > h->status)
				h->status = severity;
			return -ENOMEM;
		}
		h->r = nr;
		h->cap = ncap;
	}
	r = &h->r[h->n++];
	r->severity = severity;
	snprintf(r->code, sizeof(r->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	if (severity > h->status)
		h->status = severity;
	return 0;
}

enum cfm_status
cfm_health_status(const struct cfm_health *h)
{
	return h->status;
}

const char *
cfm_status_name(enum cfm_status s)
{
	switch (s) {
	case CFM_HEALTHY: return "healthy";
	case CFM_DEGRADED: return "degraded";
	case CFM_UNHEALTHY: return "unhealthy";
	}
	return "unknown";
}

cJSON *
cfm_health_reasons_json(const struct cfm_health *h)
{
	cJSON *arr = cJSON_CreateArray();
	unsigned int i;

	for (i = 0; arr != NULL && i < h->n; i++) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL)
			break;
		cJSON_AddStringToObject(o, "code", h->r[i].code);
		cJSON_AddStringToObject(o, "severity", cfm_status_name(h->r[i].severity));
		cJSON_AddStringToObject(o, "detail", h->r[i].detail);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}
