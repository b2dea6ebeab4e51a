/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/metrics: builder, Prometheus text and JSON renderers, registry, health. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cf_metrics.h"
#include "cf_test.h"

static char *
render(struct cf_metrics_builder *b)
{
	size_t len = 0;
	char *t = cf_metrics_render_prometheus(b, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(strlen(t), len);
	return t;
}

static void
test_text_format(void)
{
	struct cf_metrics_builder *b = cf_metrics_builder_new();
	char *t;

	CU_ASSERT_EQUAL(cf_metrics_family(b, "clarion_flowd_x_total", "help with \\ and\nnewline",
					  CF_METRICS_COUNTER),
			0);
	CU_ASSERT_EQUAL(cf_metrics_u64(b, CF_METRICS_L({"a", "q\"uote"}, {"b", "back\\slash\nnl"}),
				       18446744073709551615ull),
			0);
	CU_ASSERT_EQUAL(cf_metrics_u64(b, CF_METRICS_NOLABELS, 7), 0);
	CU_ASSERT_EQUAL(cf_metrics_family(b, "clarion_flowd_g", "g", CF_METRICS_GAUGE), 0);
	CU_ASSERT_EQUAL(cf_metrics_f64(b, CF_METRICS_L({"k", "v"}), 0.25), 0);
	CU_ASSERT_EQUAL(cf_metrics_f64(b, CF_METRICS_L({"k", "w"}), INFINITY), 0);
	CU_ASSERT_EQUAL(cf_metrics_f64(b, CF_METRICS_L({"k", "n"}), NAN), 0);
	t = render(b);
	CU_ASSERT_STRING_EQUAL(t,
		"# HELP clarion_flowd_x_total help with \\\\ and\\nnewline\n"
		"# TYPE clarion_flowd_x_total counter\n"
		"clarion_flowd_x_total{a=\"q\\\"uote\",b=\"back\\\\slash\\nnl\"} 18446744073709551615\n"
		"clarion_flowd_x_total 7\n"
		"# HELP clarion_flowd_g g\n"
		"# TYPE clarion_flowd_g gauge\n"
		"clarion_flowd_g{k=\"v\"} 0.25\n"
		"clarion_flowd_g{k=\"w\"} +Inf\n"
		"clarion_flowd_g{k=\"n\"} NaN\n");
	CU_ASSERT_EQUAL(cf_metrics_builder_errors(b), 0);
	free(t);
	cf_metrics_builder_free(b);
}

static void
test_histogram(void)
{
	static const double le[] = { 0.1, 1 };
	static const uint64_t cum[] = { 2, 5 };
	static const uint64_t bad_cum[] = { 5, 2 };
	struct cf_metrics_builder *b = cf_metrics_builder_new();
	cJSON *j, *s;
	char *t;

	CU_ASSERT_EQUAL(cf_metrics_family(b, "h_seconds", "h", CF_METRICS_HISTOGRAM), 0);
	CU_ASSERT_EQUAL(cf_metrics_histogram(b, CF_METRICS_L({"path", "/x"}), le, cum, 2, 3.5, 6),
			0);
	/* Not cumulative, count below a bucket, and plain values: all refused. */
	CU_ASSERT_EQUAL(cf_metrics_histogram(b, CF_METRICS_NOLABELS, le, bad_cum, 2, 1, 6),
			-EINVAL);
	CU_ASSERT_EQUAL(cf_metrics_histogram(b, CF_METRICS_NOLABELS, le, cum, 2, 1, 4), -EINVAL);
	CU_ASSERT_EQUAL(cf_metrics_u64(b, CF_METRICS_NOLABELS, 1), -EINVAL);
	CU_ASSERT_EQUAL(cf_metrics_builder_errors(b), 3);
	t = render(b);
	CU_ASSERT_STRING_EQUAL(t,
		"# HELP h_seconds h\n# TYPE h_seconds histogram\n"
		"h_seconds_bucket{path=\"/x\",le=\"0.10000000000000001\"} 2\n"
		"h_seconds_bucket{path=\"/x\",le=\"1\"} 5\n"
		"h_seconds_bucket{path=\"/x\",le=\"+Inf\"} 6\n"
		"h_seconds_sum{path=\"/x\"} 3.5\n"
		"h_seconds_count{path=\"/x\"} 6\n");
	free(t);
	j = cf_metrics_render_json(b);
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j,
		"metrics"), "h_seconds"), "samples"), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(s, "count")->valuedouble, 6);
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "buckets"), "+Inf")->valuedouble, 6);
	cJSON_Delete(j);
	cf_metrics_builder_free(b);
}

static void
test_names_refused(void)
{
	struct cf_metrics_builder *b = cf_metrics_builder_new();

	CU_ASSERT_EQUAL(cf_metrics_u64(b, CF_METRICS_NOLABELS, 1), -EINVAL); /* no family yet */
	CU_ASSERT_EQUAL(cf_metrics_family(b, "9starts_with_digit", "", CF_METRICS_GAUGE), -EINVAL);
	CU_ASSERT_EQUAL(cf_metrics_family(b, "has-dash", "", CF_METRICS_GAUGE), -EINVAL);
	CU_ASSERT_EQUAL(cf_metrics_family(b, "", "", CF_METRICS_GAUGE), -EINVAL);
	CU_ASSERT_EQUAL(cf_metrics_family(b, "ok:colon_total", "", CF_METRICS_COUNTER), 0);
	CU_ASSERT_EQUAL(cf_metrics_u64(b, CF_METRICS_L({"bad-label", "x"}), 1), -EINVAL);
	CU_ASSERT_EQUAL(cf_metrics_u64(b, CF_METRICS_L({"__reserved", "x"}), 1), -EINVAL);
	CU_ASSERT_EQUAL(cf_metrics_u64(b, CF_METRICS_L({"le", "x"}), 1), -EINVAL);
	CU_ASSERT_EQUAL(cf_metrics_u64(b, CF_METRICS_L({"a", NULL}), 1), -EINVAL);
	/* Same name, other type: a clash, not a second family. */
	CU_ASSERT_EQUAL(cf_metrics_family(b, "ok:colon_total", "", CF_METRICS_GAUGE), -EINVAL);
	CU_ASSERT_EQUAL(cf_metrics_builder_errors(b), 9);
	CU_ASSERT_EQUAL(cf_metrics_n_families(b), 1);
	CU_ASSERT_EQUAL(cf_metrics_n_samples(b, 0), 0);
	cf_metrics_builder_free(b);
}

static void
prov_a(struct cf_metrics_builder *b, void *ctx)
{
	cf_metrics_family(b, "shared_total", "from a", CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"src", "a"}), *(uint64_t *)ctx);
	cf_metrics_summary_set(b, "total_sent", 10);
}

static void
prov_b(struct cf_metrics_builder *b, void *ctx)
{
	(void)ctx;
	/* No cf_metrics_family: must not land in prov_a's family. */
	CU_ASSERT_EQUAL(cf_metrics_u64(b, CF_METRICS_NOLABELS, 99), -EINVAL);
	cf_metrics_family(b, "shared_total", "from b", CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"src", "b"}), 2);
	cf_metrics_summary_set(b, "total_sent", 20); /* registered later: wins */
}

static void
test_registry(void)
{
	uint64_t va = 40;
	struct cf_metrics_builder *b;
	cJSON *j;
	double v;

	CU_ASSERT_EQUAL(cf_metrics_register("a", prov_a, &va), 0);
	CU_ASSERT_EQUAL(cf_metrics_register("b", prov_b, NULL), 0);
	CU_ASSERT_EQUAL(cf_metrics_register("a", prov_b, NULL), -EEXIST);
	b = cf_metrics_builder_new();
	CU_ASSERT_EQUAL(cf_metrics_collect(b), 2);
	CU_ASSERT_EQUAL(cf_metrics_n_families(b), 1);
	CU_ASSERT_EQUAL(cf_metrics_n_samples(b, 0), 2);
	CU_ASSERT_EQUAL(cf_metrics_family_sum(b, "shared_total", NULL, NULL), 42);
	CU_ASSERT_EQUAL(cf_metrics_family_sum(b, "shared_total", "src", "b"), 2);
	CU_ASSERT_EQUAL(cf_metrics_family_sum(b, "absent", NULL, NULL), -1);
	CU_ASSERT_EQUAL(cf_metrics_summary_get(b, "total_sent", &v), 1);
	CU_ASSERT_EQUAL(v, 20);
	j = cf_metrics_render_json(b);
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "total_sent")->valuedouble, 20);
	CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(j, "metrics"), "shared_total"), "samples")), 2);
	cJSON_Delete(j);
	cf_metrics_builder_free(b);

	CU_ASSERT_EQUAL(cf_metrics_unregister("a"), 0);
	CU_ASSERT_EQUAL(cf_metrics_unregister("a"), -ENOENT);
	b = cf_metrics_builder_new();
	CU_ASSERT_EQUAL(cf_metrics_collect(b), 1);
	CU_ASSERT_EQUAL(cf_metrics_family_sum(b, "shared_total", NULL, NULL), 2);
	cf_metrics_builder_free(b);
	CU_ASSERT_EQUAL(cf_metrics_unregister("b"), 0);
}

static void
test_registry_full(void)
{
	char name[16];
	int i, rc = 0;

	for (i = 0; i < CF_METRICS_MAX_PROVIDERS && rc == 0; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		rc = cf_metrics_register(name, prov_b, NULL);
	}
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(cf_metrics_register("one_more", prov_b, NULL), -ENOSPC);
	for (i = 0; i < CF_METRICS_MAX_PROVIDERS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		CU_ASSERT_EQUAL(cf_metrics_unregister(name), 0);
	}
}

static void
check_degraded(struct cf_metrics_health *h, void *ctx)
{
	(void)ctx;
	cf_metrics_health_reason(h, CF_METRICS_DEGRADED, "circuit_open", "backend %s", "down");
}

static void
check_unhealthy(struct cf_metrics_health *h, void *ctx)
{
	if (*(int *)ctx)
		cf_metrics_health_reason(h, CF_METRICS_UNHEALTHY, "output_failing", "x");
}

static void
test_health(void)
{
	struct cf_metrics_health *h;
	int bad = 0;
	cJSON *r;

	h = cf_metrics_health_new();
	CU_ASSERT_EQUAL(cf_metrics_health_collect(h), CF_METRICS_HEALTHY);
	cf_metrics_health_free(h);

	CU_ASSERT_EQUAL(cf_metrics_health_register("d", check_degraded, NULL), 0);
	CU_ASSERT_EQUAL(cf_metrics_health_register("u", check_unhealthy, &bad), 0);
	h = cf_metrics_health_new();
	CU_ASSERT_EQUAL(cf_metrics_health_collect(h), CF_METRICS_DEGRADED);
	r = cf_metrics_health_reasons_json(h);
	CU_ASSERT_EQUAL(cJSON_GetArraySize(r), 1);
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(r, 0), "detail")->valuestring,
			       "backend down");
	cJSON_Delete(r);
	cf_metrics_health_free(h);

	bad = 1;
	h = cf_metrics_health_new();
	CU_ASSERT_EQUAL(cf_metrics_health_collect(h), CF_METRICS_UNHEALTHY);
	CU_ASSERT_STRING_EQUAL(cf_metrics_status_name(cf_metrics_health_status(h)), "unhealthy");
	cf_metrics_health_free(h);
	CU_ASSERT_EQUAL(cf_metrics_unregister("d"), 0);
	CU_ASSERT_EQUAL(cf_metrics_unregister("u"), 0);
}

static const struct cft_case cases[] = {
	{"text_format", test_text_format},
	{"histogram", test_histogram},
	{"names_refused", test_names_refused},
	{"registry", test_registry},
	{"registry_full", test_registry_full},
	{"health", test_health},
	{NULL, NULL},
};

int
main(void)
{
	return cft_suite_main("metrics", cases);
}
