/* SPDX-License-Identifier: BSD-3-Clause */
/* Exporters as metrics (lib/decode cf_decode_metrics): series, folding, recycled slots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "cf_decode_metrics.h"
#include "cf_metrics.h"
#include "cf_test.h"
#include "cf_test_msg.h"

static char logbuf[4096];

static void
capture(uint32_t level, const char *line)
{
	size_t n = strlen(logbuf);

	snprintf(logbuf + n, sizeof(logbuf) - n, "%s:%s", level == RTE_LOG_WARNING ? "W" : "I",
		 line);
}

static void
send(struct cft_dec *d, const char *src, uint32_t domain, unsigned int n, uint64_t now_ms)
{
	struct cf_decode_dgram dg;
	struct cf_decode_exporter *e;

	cft_dgram_at(&dg, src, now_ms);
	while (n-- > 0) {
		e = cf_decode_exporter_get(&d->ctx, &dg, CF_RECORD_V_NF9, domain);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		e->records += 10;
	}
}

static double
dgrams_of(struct cf_decode_metrics *m, const char *exporter)
{
	struct cf_metrics_builder *b = cf_metrics_builder_new();
	double v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	cf_decode_metrics_provider(b, m);
	CU_ASSERT_EQUAL(cf_metrics_builder_errors(b), 0);
	v = cf_metrics_family_sum(b, "clarion_flowd_exporter_datagrams_total",
				  exporter ? "exporter" : NULL, exporter);
	cf_metrics_builder_free(b);
	return v;
}

/* One exporter on two lcores is one series; past max_series the rest is "other". */
static void
test_series_and_fold(void)
{
	const struct cf_decode_ctx *ctx[2];
	const unsigned int lcore[2] = {1, 2};
	struct cf_decode_exp_row rows[8];
	struct cf_decode_metrics *m;
	struct cf_metrics_builder *b;
	struct cft_dec a, c;
	uint64_t n, folded;
	char *text;
	size_t len;

	logbuf[0] = '\0';
	cft_dec_init(&a, 4);
	cft_dec_init(&c, 4);
	ctx[0] = &a.ctx;
	ctx[1] = &c.ctx;
	m = cf_decode_metrics_new(ctx, lcore, 2, 2, capture);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	send(&a, "10.0.0.1", 1, 3, 1000);
	send(&a, "10.0.0.2", 1, 1, 2000);
	send(&c, "10.0.0.1", 1, 2, 3000);
	send(&c, "10.0.0.3", 7, 1, 4000);
	cf_decode_metrics_scan(m);
	CU_ASSERT_STRING_EQUAL(logbuf,
		"I:new exporter 10.0.0.1 (netflow_v9, domain 1, lcore 1)\n"
		"I:new exporter 10.0.0.2 (netflow_v9, domain 1, lcore 1)\n"
		"W:more than 2 exporters: further ones are reported as exporter=\"other\" "
		"(--max-exporter-series)\n");
	cf_decode_metrics_counts(m, &n, &folded);
	CU_ASSERT_EQUAL(n, 4);      /* every (lcore, exporter) noticed */
	CU_ASSERT_EQUAL(folded, 1);

	b = cf_metrics_builder_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	cf_decode_metrics_provider(b, m);
	text = cf_metrics_render_prometheus(b, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT(strstr(text, "clarion_flowd_exporter_datagrams_total{exporter=\"10.0.0.1\","
			       "domain=\"1\",version=\"netflow_v9\"} 5\n") != NULL);
	CU_ASSERT(strstr(text, "clarion_flowd_exporter_records_total{exporter=\"10.0.0.2\","
			       "domain=\"1\",version=\"netflow_v9\"} 10\n") != NULL);
	CU_ASSERT(strstr(text, "clarion_flowd_exporter_datagrams_total{exporter=\"other\","
			       "domain=\"\",version=\"\"} 1\n") != NULL);
	CU_ASSERT(strstr(text, "clarion_flowd_exporter_last_seen_timestamp_seconds{exporter="
			       "\"10.0.0.1\",domain=\"1\",version=\"netflow_v9\"} 3\n") != NULL);
	CU_ASSERT(strstr(text, "clarion_flowd_exporters 4\n") != NULL);
	CU_ASSERT(strstr(text, "clarion_flowd_exporters_folded 1\n") != NULL);
	free(text);
	cf_metrics_builder_free(b);

	CU_ASSERT_EQUAL_FATAL(cf_decode_metrics_rows(m, rows, 8), 3);
	CU_ASSERT_STRING_EQUAL(rows[0].exporter, "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(rows[0].version, "netflow_v9");
	CU_ASSERT_EQUAL(rows[0].dgrams, 5);
	CU_ASSERT_EQUAL(rows[0].records, 50);
	CU_ASSERT_EQUAL(rows[0].last_seen_ms, 3000);
	CU_ASSERT_STRING_EQUAL(rows[2].exporter, "other");
	CU_ASSERT_STRING_EQUAL(rows[2].version, "");
	CU_ASSERT_EQUAL(rows[2].dgrams, 1);
	CU_ASSERT_EQUAL(cf_decode_metrics_rows(m, rows, 1), 1);

	/* Later datagrams: read through, nothing logged again. */
	send(&a, "10.0.0.1", 1, 1, 5000);
	CU_ASSERT_EQUAL(dgrams_of(m, "10.0.0.1"), 6);
	CU_ASSERT(strstr(logbuf, "10.0.0.3") == NULL);
	cf_decode_metrics_free(m);
	cft_dec_fini(&a);
	cft_dec_fini(&c);
}

/* A slot given to another exporter: the old one's totals stay, the new one is a new identity. */
static void
test_recycled_slot(void)
{
	const struct cf_decode_ctx *ctx[1];
	const unsigned int lcore[1] = {1};
	struct cf_decode_metrics *m;
	struct cft_dec d;
	uint64_t n, folded;
	char ip[32];
	unsigned int i;

	logbuf[0] = '\0';
	cft_dec_init_cfg(&d, 4, &(struct cft_dec_cfg){ .decode.max_exporters = 8 });
	ctx[0] = &d.ctx;
	m = cf_decode_metrics_new(ctx, lcore, 1, 100, capture);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (i = 0; i < 8; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%u", i + 1);
		send(&d, ip, 1, i + 1, 1000);
	}
	CU_ASSERT_EQUAL(dgrams_of(m, "192.0.2.2"), 2);

	/* The table is full: a new exporter takes the least recently used one's slot. */
	send(&d, "198.51.100.1", 1, 4, 1000 + 61000);
	CU_ASSERT_EQUAL(d.ctx.n_exporters, 8);
	CU_ASSERT_EQUAL(d.stats.exporters_evicted, 1);
	CU_ASSERT_EQUAL(dgrams_of(m, "198.51.100.1"), 4);
	/* The old exporters keep what they had counted... */
	CU_ASSERT_EQUAL(dgrams_of(m, "192.0.2.2"), 2);
	/* ...and the one that went (it sent one datagram: the least valued) comes back
	 * in some recycled slot and adds to it. */
	CU_ASSERT_EQUAL(dgrams_of(m, "192.0.2.1"), 1);
	send(&d, "192.0.2.1", 1, 3, 1000 + 62000);
	CU_ASSERT_EQUAL(d.stats.exporters_evicted, 2);
	CU_ASSERT_EQUAL(dgrams_of(m, "192.0.2.1"), 4);
	CU_ASSERT_EQUAL(dgrams_of(m, NULL), 36 + 4 + 3);
	cf_decode_metrics_counts(m, &n, &folded);
	CU_ASSERT_EQUAL(n, 10);     /* identities: 8 + the new one + the one back */
	CU_ASSERT_EQUAL(folded, 0);
	/* Logged once per series, not per identity. */
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "new exporter 198.51.100.1 (netflow_v9, domain 1"));
	CU_ASSERT_PTR_NULL(strstr(strstr(logbuf, "192.0.2.1 ") + 1, "192.0.2.1 "));
	cf_decode_metrics_free(m);
	cft_dec_fini(&d);
}

/* --exporter-max-rate: the excess is counted per exporter, in its own series. */
static void
test_rate_limited_series(void)
{
	const struct cf_decode_ctx *ctx[1];
	const unsigned int lcore[1] = {1};
	struct cf_decode_metrics *m;
	struct cf_metrics_builder *b;
	struct cf_decode_dgram dg;
	unsigned int i, got = 0;
	struct cft_dec d;

	cft_dec_init(&d, 4);
	d.cfg.max_rate = 3;
	ctx[0] = &d.ctx;
	m = cf_decode_metrics_new(ctx, lcore, 1, 100, capture);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	cft_dgram_at(&dg, "192.0.2.9", 5000);
	for (i = 0; i < 10; i++)
		got += cf_decode_exporter_get(&d.ctx, &dg, CF_RECORD_V_NF9, 1) != NULL;
	CU_ASSERT_EQUAL(got, 3);
	b = cf_metrics_builder_new();
	cf_decode_metrics_provider(b, m);
	CU_ASSERT_EQUAL(cf_metrics_family_sum(b, "clarion_flowd_exporter_rate_limited_total",
					      "exporter", "192.0.2.9"),
			7);
	CU_ASSERT_EQUAL(cf_metrics_family_sum(b, "clarion_flowd_exporter_datagrams_total",
					      "exporter", "192.0.2.9"),
			3);
	cf_metrics_builder_free(b);
	cf_decode_metrics_free(m);
	cft_dec_fini(&d);
}

static const struct cft_case cases[] = {
	{"series_and_fold", test_series_and_fold},
	{"recycled_slot", test_recycled_slot},
	{"rate_limited_series", test_rate_limited_series},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("decode_metrics", cases);
}
