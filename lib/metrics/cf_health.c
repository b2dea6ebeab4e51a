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
	enum cf_metrics_status severity;
	char code[48];
	char detail[200];
};

struct cf_metrics_health {
	struct reason *r;
	unsigned int n, cap;
	enum cf_metrics_status status;
};

int
cf_metrics_health_register(const char *name, cf_metrics_health_fn fn, void *ctx)
{
	return cf_metrics_registry_add(name, CF_METRICS_KIND_HEALTH, (void *)fn, ctx);
}

struct cf_metrics_health *
cf_metrics_health_new(void)
{
	return calloc(1, sizeof(struct cf_metrics_health));
}

void
cf_metrics_health_free(struct cf_metrics_health *h)
{
	if (h == NULL)
		return;
	free(h->r);
	free(h);
}

static void
call_check(void *fn, void *ctx, void *arg)
{
	((cf_metrics_health_fn)fn)(arg, ctx);
}

enum cf_metrics_status
cf_metrics_health_collect(struct cf_metrics_health *h)
{
	cf_metrics_registry_run(CF_METRICS_KIND_HEALTH, call_check, h);
	return h->status;
}

int
cf_metrics_health_reason(struct cf_metrics_health *h, enum cf_metrics_status severity,
			 const char *code, const char *fmt, ...)
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

enum cf_metrics_status
cf_metrics_health_status(const struct cf_metrics_health *h)
{
	return h->status;
}

const char *
cf_metrics_status_name(enum cf_metrics_status s)
{
	switch (s) {
	case CF_METRICS_HEALTHY: return "healthy";
	case CF_METRICS_DEGRADED: return "degraded";
	case CF_METRICS_UNHEALTHY: return "unhealthy";
	}
	return "unknown";
}

cJSON *
cf_metrics_health_reasons_json(const struct cf_metrics_health *h)
{
	cJSON *arr = cJSON_CreateArray();
	unsigned int i;

	for (i = 0; arr != NULL && i < h->n; i++) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL)
			break;
		cJSON_AddStringToObject(o, "code", h->r[i].code);
		cJSON_AddStringToObject(o, "severity", cf_metrics_status_name(h->r[i].severity));
		cJSON_AddStringToObject(o, "detail", h->r[i].detail);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}
