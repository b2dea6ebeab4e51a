/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The option table (app/cf_config.c): every default inside its row's range and
 * among its names, defaults derived from the table, --help generated from it,
 * and enum options turned into their values once, one row per case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "cf_config.h"
#include "cf_output.h"
#include "cf_test.h"

static struct cf_config cfg;
static char err[512];

/* Parses "--" args (NULL-terminated) the way main() hands them over. */
static int
parse(const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "clarion-flowd";
	while (*args != NULL && argc < 31)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	err[0] = '\0';
	return cf_config_parse(&cfg, argc, argv, err, sizeof(err));
}

static void
test_table(void)
{
	int rc = cf_config_check(err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "cf_config_check: %s\n", err);
	CU_ASSERT_EQUAL(rc, 0);
}

static void
test_defaults(void)
{
	CU_ASSERT_EQUAL_FATAL(cf_config_defaults(&cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.rxd, 1024);
	CU_ASSERT_EQUAL(cfg.burst, 32);
	CU_ASSERT_EQUAL(cfg.mbuf_size, 2176);
	CU_ASSERT_EQUAL(cfg.ring_size, 0); /* auto: sized by cf_config_parse() */
	CU_ASSERT_EQUAL(cfg.ring_ms, 4);
	CU_ASSERT_EQUAL(cfg.rx_backoff, CF_RX_BACKOFF_AUTO);
	CU_ASSERT_EQUAL(cfg.policy.ports[0], 2055);
	CU_ASSERT_EQUAL(cfg.policy.ports[1], 4739);
	CU_ASSERT_EQUAL(cfg.policy.ports[2], 6343);
	CU_ASSERT_EQUAL(cfg.decode.max_exporters, 4096);
	CU_ASSERT_EQUAL(cfg.tpl.timeout_s, 1800);
	CU_ASSERT_EQUAL(cfg.spool_max_bytes, UINT64_C(1) << 30);
	CU_ASSERT_EQUAL(cfg.agent_max_body, 10u << 20);
	CU_ASSERT_DOUBLE_EQUAL(cfg.retry_backoff, 1.5, 1e-9);
	CU_ASSERT_STRING_EQUAL(cfg.backend_path, "/api/netflow/netflow");
	CU_ASSERT_STRING_EQUAL(cfg.http_bind, "127.0.0.1");
	CU_ASSERT_EQUAL(cfg.spool_fsync, CF_DELIVERY_FSYNC_BATCH);
	CU_ASSERT_EQUAL(cfg.spool_full, CF_DELIVERY_FULL_DROP_OLDEST);
	CU_ASSERT_EQUAL(cfg.log_level, RTE_LOG_INFO);
	CU_ASSERT_EQUAL(cfg.output.kind, CF_OUTPUT_SINK_NDJSON);
	CU_ASSERT_STRING_EQUAL(cfg.output.arg, "-");
	CU_ASSERT_EQUAL(cfg.sflow_counters.kind, CF_SFLOW_COUNTERS_OFF);
	/* Worked out at start-up: the zero the rest of the program takes as "not given". */
	CU_ASSERT_EQUAL(cfg.portmask, 0);
	CU_ASSERT_EQUAL(cfg.rxq, 0);
	CU_ASSERT_EQUAL(cfg.total_num_mbufs, 0);
	CU_ASSERT_EQUAL(cfg.decode.sampling_rate, 0);
}

/* --help says each default the table holds, and lists enum names from their table. */
static void
test_usage(void)
{
	static const char *const want[] = {
		"RX descriptors per queue (default 1024)",
		"(default one per RX lcore; 1 without RSS)",
		"batch (fsync each append), interval (every second) or none (default batch)",
		"critical, error, warning, notice, info or debug (default info) [env CLARION_COLLECTOR_LOG_LEVEL]",
		"ndjson:PATH (one JSON object per line; - = stdout) or null (count and discard) (default ndjson:-)",
		"off or ndjson:PATH (- = stdout) (default off)",
		"backoff multiplier between retries (default 1.5)",
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	cf_config_usage(f, "clarion-flowd");
	fclose(f);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (strstr(text, want[i]) == NULL)
			fprintf(stderr, "--help lacks: %s\n", want[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, want[i]));
	}
	/* Aliases are accepted but not listed. */
	CU_ASSERT_PTR_NULL(strstr(text, "warn,"));
	free(text);
}

struct row {
	const char *name;
	const char *args[6];
	const char *err;      /* NULL: parses; else a piece of the one-line reason */
	void (*check)(void);
};

static void fsync_none(void) { CU_ASSERT_EQUAL(cfg.spool_fsync, CF_DELIVERY_FSYNC_NONE); }
static void fsync_interval(void) { CU_ASSERT_EQUAL(cfg.spool_fsync, CF_DELIVERY_FSYNC_INTERVAL); }
static void full_newest(void) { CU_ASSERT_EQUAL(cfg.spool_full, CF_DELIVERY_FULL_DROP_NEWEST); }
static void level_warning(void) { CU_ASSERT_EQUAL(cfg.log_level, RTE_LOG_WARNING); }
static void level_debug(void) { CU_ASSERT_EQUAL(cfg.log_level, RTE_LOG_DEBUG); }
static void level_crit(void) { CU_ASSERT_EQUAL(cfg.log_level, RTE_LOG_CRIT); }

static void
output_null(void)
{
	CU_ASSERT_EQUAL(cfg.output.kind, CF_OUTPUT_SINK_NULL);
	CU_ASSERT_STRING_EQUAL(cfg.output.arg, "");
}

static void
output_path(void)
{
	CU_ASSERT_EQUAL(cfg.output.kind, CF_OUTPUT_SINK_NDJSON);
	CU_ASSERT_STRING_EQUAL(cfg.output.arg, "/var/log/a:b.ndjson");
}

static void
output_default(void)
{
	CU_ASSERT_EQUAL(cfg.output.kind, CF_OUTPUT_SINK_NDJSON);
	CU_ASSERT_STRING_EQUAL(cfg.output.arg, "-");
}

static void
counters_stdout(void)
{
	CU_ASSERT_EQUAL(cfg.sflow_counters.kind, CF_SFLOW_COUNTERS_NDJSON);
	CU_ASSERT_STRING_EQUAL(cfg.sflow_counters.arg, "-");
}

static void
counters_off(void)
{
	CU_ASSERT_EQUAL(cfg.sflow_counters.kind, CF_SFLOW_COUNTERS_OFF);
}

static const struct row rows[] = {
	{"fsync none", {"--spool-fsync", "none"}, NULL, fsync_none},
	{"fsync interval", {"--spool-fsync", "interval"}, NULL, fsync_interval},
	{"fsync bad", {"--spool-fsync", "sometimes"},
	 "--spool-fsync: 'sometimes' is not one of batch, interval, none", NULL},
	{"fsync empty", {"--spool-fsync", ""}, "is not one of batch, interval, none", NULL},
	{"full newest", {"--spool-full", "drop-newest"}, NULL, full_newest},
	{"full bad", {"--spool-full", "drop"}, "is not one of drop-oldest, drop-newest", NULL},
	{"level alias", {"--log-level", "warn"}, NULL, level_warning},
	{"level any case", {"--log-level", "DEBUG"}, NULL, level_debug},
	{"level critical", {"--log-level", "critical"}, NULL, level_crit},
	{"level bad", {"--log-level", "loud"},
	 "--log-level: 'loud' is not one of critical, error, warning, notice, info, debug", NULL},
	{"output null", {"--output", "null"}, NULL, output_null},
	{"output path", {"--output", "ndjson:/var/log/a:b.ndjson"}, NULL, output_path},
	{"output empty", {"--output", ""}, NULL, output_default},
	{"output scheme", {"--output", "kafka:x"}, "--output: 'kafka:x' is not one of ndjson:PATH, null",
	 NULL},
	{"output no path", {"--output", "ndjson:"}, "is not one of ndjson:PATH, null", NULL},
	{"output bare", {"--output", "ndjson"}, "is not one of ndjson:PATH, null", NULL},
	{"output null arg", {"--output", "null:x"}, "is not one of", NULL},
	{"output and backend", {"--output", "null", "--backend-url", "http://x"},
	 "--output and --backend-url exclude each other", NULL},
	{"empty output and backend", {"--output", "", "--backend-url", "http://x"}, NULL, NULL},
	{"counters stdout", {"--sflow-counters", "ndjson:-"}, NULL, counters_stdout},
	{"counters off", {"--sflow-counters", "off"}, NULL, counters_off},
	{"counters empty", {"--sflow-counters", ""}, NULL, counters_off},
	{"counters bad", {"--sflow-counters", "csv:x"},
	 "--sflow-counters: 'csv:x' is not one of off, ndjson:PATH", NULL},
	{"range", {"--rxd", "63"}, "--rxd: '63' is not an integer in 64..16384", NULL},
	{"double range", {"--retry-backoff", "0.5"}, "is not a number in 1..100", NULL},
	{"mask", {"--portmask", "0"}, "is not a non-zero hex port mask", NULL},
};

static void
test_rows(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		int rc = parse(r->args);

		if ((rc == 0) != (r->err == NULL) ||
		    (r->err != NULL && strstr(err, r->err) == NULL) || strchr(err, '\n') != NULL)
			fprintf(stderr, "row '%s': rc %d, err '%s'\n", r->name, rc, err);
		CU_ASSERT_EQUAL(rc, r->err == NULL ? 0 : -1);
		if (r->err != NULL) {
			CU_ASSERT_PTR_NOT_NULL(strstr(err, r->err));
		} else if (rc == 0 && r->check != NULL) {
			r->check();
		}
	}
}

/* The environment goes through the same names; a flag beats its variable. */
/* The default ring holds --ring-ms of records at 30 M/s; --ring-size wins. */
static void
test_ring_auto(void)
{
	static const char *const none[] = {NULL};
	static const char *const ms1[] = {"--ring-ms", "1", NULL};
	static const char *const ms100[] = {"--ring-ms", "100", NULL};
	static const char *const both[] = {"--ring-ms", "100", "--ring-size", "64", NULL};
	static const char *const off[] = {"--rx-backoff", "off", NULL};

	CU_ASSERT_EQUAL(parse(none), 0);
	CU_ASSERT_EQUAL(cfg.ring_size, 512);  /* 120,000 records: 469 blocks */
	CU_ASSERT_EQUAL(parse(ms1), 0);
	CU_ASSERT_EQUAL(cfg.ring_size, 128);  /* 30,000: 118 */
	CU_ASSERT_EQUAL(parse(ms100), 0);
	CU_ASSERT_EQUAL(cfg.ring_size, 16384); /* 3,000,000: 11,719 */
	CU_ASSERT_EQUAL(parse(both), 0);
	CU_ASSERT_EQUAL(cfg.ring_size, 64);
	CU_ASSERT_EQUAL(parse(off), 0);
	CU_ASSERT_EQUAL(cfg.rx_backoff, CF_RX_BACKOFF_OFF);
}

static void
test_env(void)
{
	static const char *const none[] = {NULL};
	static const char *const flag[] = {"--log-level", "error", NULL};

	setenv("CLARION_COLLECTOR_LOG_LEVEL", "Warning", 1);
	CU_ASSERT_EQUAL(parse(none), 0);
	CU_ASSERT_EQUAL(cfg.log_level, RTE_LOG_WARNING);
	CU_ASSERT_EQUAL(parse(flag), 0);
	CU_ASSERT_EQUAL(cfg.log_level, RTE_LOG_ERR);
	setenv("CLARION_COLLECTOR_LOG_LEVEL", "loud", 1);
	CU_ASSERT_EQUAL(parse(none), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "CLARION_COLLECTOR_LOG_LEVEL: 'loud' is not one of"));
	unsetenv("CLARION_COLLECTOR_LOG_LEVEL");
}

/* --output's names and lib/output's sink table agree: each name opens the sink it says. */
static void
test_output_names(void)
{
	static const struct { const char *spec, *scheme; } names[] = {
		{"null", "null"},
		{"ndjson:-", "ndjson"},
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *args[] = {"--output", names[i].spec, NULL};
		struct cf_output *o;

		CU_ASSERT_EQUAL_FATAL(parse(args), 0);
		o = cf_output_open_sink((enum cf_output_sink)cfg.output.kind, cfg.output.arg, err,
					sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_STRING_EQUAL(o->ops->scheme, names[i].scheme);
		cf_output_close(o);
	}
}

int
main(void)
{
	static const struct cft_case cases[] = {
		{"table", test_table},
		{"defaults", test_defaults},
		{"usage", test_usage},
		{"rows", test_rows},
		{"ring_auto", test_ring_auto},
		{"env", test_env},
		{"output_names", test_output_names},
		{NULL, NULL},
	};

	return cft_suite_main("config", cases);
}
