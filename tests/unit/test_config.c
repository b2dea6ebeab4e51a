/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The option table (app/cf_config.c): every default inside its row's range and
 * among its names, defaults derived from the table, --help generated from it,
 * and enum options turned into their values once, one row per case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* ------------------------------------------------------- configuration file */

static char conf_path[64];

/* Writes text to a scratch file and parses "--config FILE" plus the extra flags. */
static int
parse_file(const char *text, const char *const *extra)
{
	const char *args[16];
	unsigned int n = 0;
	FILE *f;

	snprintf(conf_path, sizeof(conf_path), "/tmp/cf-test-config-%d.conf", (int)getpid());
	f = fopen(conf_path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	args[n++] = "--config";
	args[n++] = conf_path;
	while (extra != NULL && *extra != NULL && n < 15)
		args[n++] = *extra++;
	args[n] = NULL;
	return parse(args);
}

/* err names the file and the line, then says `what`. */
static void
err_at(unsigned int line, const char *what)
{
	char want[128];

	snprintf(want, sizeof(want), "%s:%u: ", conf_path, line);
	if (strstr(err, want) == NULL || strstr(err, what) == NULL)
		fprintf(stderr, "want '%s...%s', got: %s\n", want, what, err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
}

/* Comments, blank lines, inline comments, quotes, switches: every kind of value. */
static void
test_file_values(void)
{
	CU_ASSERT_EQUAL_FATAL(parse_file(
		"# a comment\n"
		"\n"
		"   # an indented one\n"
		"batch-size: 250\n"
		"retry-backoff: 2.5   # after a blank, a comment\n"
		"backend-url: http://example.net:8000/#frag\n"
		"backend-token: 'a #b '\n"
		"log-level:\tWarning\r\n"
		"insecure: yes\n"
		"compress: false\n"
		"spool-fsync: none\n"
		"kafka-opt: linger.ms=5\n"
		"kafka-opt: acks=all\n"
		"exporter-allow: 10.0.0.0/8\n"
		"exporter-allow: 2001:db8::/32\n", NULL), 0);
	if (err[0])
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_EQUAL(cfg.batch_size, 250);
	CU_ASSERT_DOUBLE_EQUAL(cfg.retry_backoff, 2.5, 1e-9);
	CU_ASSERT_STRING_EQUAL(cfg.backend_url, "http://example.net:8000/#frag");
	CU_ASSERT_STRING_EQUAL(cfg.backend_token, "a #b ");
	CU_ASSERT_EQUAL(cfg.log_level, RTE_LOG_WARNING);
	CU_ASSERT_EQUAL(cfg.insecure, 1);
	CU_ASSERT_EQUAL(cfg.compress, 0);
	CU_ASSERT_EQUAL(cfg.spool_fsync, CF_DELIVERY_FSYNC_NONE);
	CU_ASSERT_EQUAL(cfg.kafka_opts.n, 2);
	CU_ASSERT_STRING_EQUAL(cfg.kafka_opts.v[1], "acks=all");
	CU_ASSERT_EQUAL(cfg.policy.n_allow, 2);
	CU_ASSERT_EQUAL(cfg.rxd, 1024);  /* not in the file: the default */
}

/* Every error names FILE:LINE; the same range checks as the flags. */
static void
test_file_errors(void)
{
	static const struct { const char *text; unsigned int line; const char *what; } bad[] = {
		{"batch-size: 10\n\nbatch-size: 20\n", 3, "batch-size: given twice (first on line 1)"},
		{"# ok\nno-such-option: 1\n", 2, "unknown key 'no-such-option'"},
		{"batch-size: 0\n", 1, "batch-size: '0' is not an integer in 1..1000000"},
		{"batch-size: 12abc\n", 1, "batch-size: '12abc' is not an integer"},
		{"retry-backoff: 101\n", 1, "retry-backoff: '101' is not a number in 1..100"},
		{"log-level: loud\n", 1, "log-level: 'loud' is not one of"},
		{"insecure: maybe\n", 1, "insecure: 'maybe' is not true or false"},
		{"exporter-allow: 10.0.0.0/33\n", 1, "exporter-allow: '10.0.0.0/33'"},
		{"batch-size 10\n", 1, "expected 'key: value'"},
		{"backend-token: 'abc\n", 1, "unterminated quote"},
		{"backend-token: 'abc' def\n", 1, "unterminated quote, or text after it"},
		{"eal: -l \"0,1\n", 1, "eal: unterminated \" quote"},
		{"help: true\n", 1, "not a setting the file can hold"},
		{"config: /etc/other.conf\n", 1, "not a setting the file can hold"},
		{"print-config: true\n", 1, "not a setting the file can hold"},
		{"--batch-size: 10\n", 1, "unknown key '--batch-size'"},
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(parse_file(bad[i].text, NULL), -1);
		err_at(bad[i].line, bad[i].what);
	}
	/* A file that cannot be read is one line too. */
	{
		static const char *const args[] = {"--config", "/nonexistent/x.conf", NULL};

		CU_ASSERT_EQUAL(parse(args), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "--config /nonexistent/x.conf: No such file"));
	}
}

/* flag > environment > file > default; a repeatable option given higher replaces the list. */
static void
test_file_precedence(void)
{
	static const char *const text =
		"batch-size: 10\nretry-attempts: 7\nlog-level: debug\n"
		"exporter-allow: 10.0.0.0/8\nexporter-allow: 172.16.0.0/12\n";
	static const char *const flags[] = {"--batch-size", "30", "--exporter-allow",
					    "192.0.2.0/24", NULL};

	CU_ASSERT_EQUAL_FATAL(parse_file(text, NULL), 0);
	CU_ASSERT_EQUAL(cfg.batch_size, 10);
	CU_ASSERT_EQUAL(cfg.policy.n_allow, 2);
	setenv("CLARION_COLLECTOR_BATCH_SIZE", "20", 1);
	setenv("CLARION_COLLECTOR_LOG_LEVEL", "error", 1);
	CU_ASSERT_EQUAL_FATAL(parse_file(text, NULL), 0);
	CU_ASSERT_EQUAL(cfg.batch_size, 20);           /* env beats file */
	CU_ASSERT_EQUAL(cfg.log_level, RTE_LOG_ERR);
	CU_ASSERT_EQUAL(cfg.retry_attempts, 7);        /* file beats default */
	CU_ASSERT_EQUAL_FATAL(parse_file(text, flags), 0);
	CU_ASSERT_EQUAL(cfg.batch_size, 30);           /* flag beats env */
	CU_ASSERT_EQUAL(cfg.policy.n_allow, 1);        /* and replaces the file's list */
	CU_ASSERT_EQUAL(cfg.policy.allow[0].addr[0], 192);
	unsetenv("CLARION_COLLECTOR_BATCH_SIZE");
	unsetenv("CLARION_COLLECTOR_LOG_LEVEL");
	/* The file named by the variable when no --config flag is given. */
	setenv("CLARION_COLLECTOR_CONFIG", conf_path, 1);
	{
		static const char *const none[] = {NULL};

		CU_ASSERT_EQUAL(parse(none), 0);
		CU_ASSERT_EQUAL(cfg.batch_size, 10);
		CU_ASSERT_STRING_EQUAL(cfg.config_file, conf_path);
	}
	unsetenv("CLARION_COLLECTOR_CONFIG");
	/* Cross-option rules see the file's values too. */
	CU_ASSERT_EQUAL(parse_file("output: null\nbackend-url: http://x:1\n", NULL), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--output and --backend-url exclude each other"));
}

/* The eal key, split like a shell would. */
static void
test_file_eal(void)
{
	char buf[256], *w[8], why[64];
	int n;

	CU_ASSERT_EQUAL_FATAL(parse_file("eal: -l 0-3 -a 0000:03:00.0 '--vdev=net_pcap0,rx_pcap=a b'\n",
					 NULL), 0);
	n = cf_config_split_words(cfg.eal, w, 8, buf, sizeof(buf), why, sizeof(why));
	CU_ASSERT_EQUAL_FATAL(n, 5);
	CU_ASSERT_STRING_EQUAL(w[0], "-l");
	CU_ASSERT_STRING_EQUAL(w[3], "0000:03:00.0");
	CU_ASSERT_STRING_EQUAL(w[4], "--vdev=net_pcap0,rx_pcap=a b");
	n = cf_config_split_words("a\\ b \"c \\\"d\\\\\" 'e\\f'", w, 8, buf, sizeof(buf), why,
				  sizeof(why));
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_STRING_EQUAL(w[0], "a b");
	CU_ASSERT_STRING_EQUAL(w[1], "c \"d\\");
	CU_ASSERT_STRING_EQUAL(w[2], "e\\f");
	CU_ASSERT_EQUAL(cf_config_split_words("a b c", w, 2, buf, sizeof(buf), why, sizeof(why)),
			-1);
	CU_ASSERT_EQUAL(cf_config_split_words("abcdef", w, 2, buf, 4, why, sizeof(why)), -1);
	CU_ASSERT_EQUAL(cf_config_split_words("   ", w, 2, buf, sizeof(buf), why, sizeof(why)), 0);
}

/* --print-config: each setting with its origin, and read back it gives the same settings. */
static void
test_print_origins(void)
{
	static const char *const flags[] = {"--burst", "64", NULL};
	char *text = NULL, line[160];
	size_t len = 0;
	FILE *f;

	setenv("CLARION_COLLECTOR_BATCH_SIZE", "20", 1);
	CU_ASSERT_EQUAL_FATAL(parse_file("retry-attempts: 7\nexporter-allow: 10.0.0.0/8\n"
					 "exporter-allow: 192.0.2.7\n", flags), 0);
	unsetenv("CLARION_COLLECTOR_BATCH_SIZE");
	f = open_memstream(&text, &len);
	cf_config_print(f, &cfg);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nburst: 64    # flag --burst\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nbatch-size: 20    # env CLARION_COLLECTOR_BATCH_SIZE\n"));
	snprintf(line, sizeof(line), "\nretry-attempts: 7    # %s:1\n", conf_path);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, line));
	snprintf(line, sizeof(line), "\nexporter-allow: 192.0.2.7/32    # %s:3\n", conf_path);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, line));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n# rxd: 1024    # default\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n# rxq:    # default: one per RX lcore"));
	CU_ASSERT_PTR_NULL(strstr(text, "check-config"));
	free(text);
	/* A token is not shown, only that it is set. */
	CU_ASSERT_EQUAL_FATAL(parse_file("backend-token: s3cret-value\n", NULL), 0);
	f = open_memstream(&text, &len);
	cf_config_print(f, &cfg);
	fclose(f);
	CU_ASSERT_PTR_NULL(strstr(text, "s3cret-value"));
	snprintf(line, sizeof(line), "\n# backend-token: (set, 12 characters, not shown)    # %s:1\n",
		 conf_path);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, line));
	free(text);
	CU_ASSERT_EQUAL_FATAL(parse_file("retry-attempts: 7\nexporter-allow: 10.0.0.0/8\n"
					 "exporter-allow: 192.0.2.7\n", flags), 0);
	f = open_memstream(&text, &len);
	cf_config_print(f, &cfg);
	fclose(f);
	{
		/* Read back, it gives the same settings: no difference cf_config_diff sees. */
		static struct cf_config first;

		first = cfg;
		CU_ASSERT_EQUAL_FATAL(parse_file(text, NULL), 0);
		CU_ASSERT_EQUAL(cf_config_diff(&first, &cfg, NULL, NULL), 0);
	}
	free(text);
}

struct diffs { char names[512]; unsigned int live; };

static void
on_diff(void *arg, const char *name, int live)
{
	struct diffs *d = arg;

	strcat(d->names, name);
	strcat(d->names, " ");
	d->live += (unsigned int)live;
}

/* What a reload compares: the live rows say so, the others need a restart. */
static void
test_diff(void)
{
	static struct cf_config a;
	struct diffs d;

	CU_ASSERT_EQUAL_FATAL(parse_file("batch-size: 10\nrxd: 512\nbackend-token: long-token\n"
					 "exporter-allow: 10.0.0.0/8\n", NULL), 0);
	a = cfg;
	/* A shorter token over the same buffer: compared as strings, not bytes. */
	CU_ASSERT_EQUAL_FATAL(parse_file("batch-size: 10\nrxd: 512\nbackend-token: long-token\n"
					 "exporter-allow: 10.0.0.0/8\n", NULL), 0);
	CU_ASSERT_EQUAL(cf_config_diff(&a, &cfg, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(parse_file("batch-size: 20\nrxd: 1024\nbackend-token: short\n"
					 "exporter-allow: 10.0.0.0/9\n", NULL), 0);
	memset(&d, 0, sizeof(d));
	CU_ASSERT_EQUAL(cf_config_diff(&a, &cfg, on_diff, &d), 4);
	CU_ASSERT_STRING_EQUAL(d.names, "rxd exporter-allow batch-size backend-token ");
	CU_ASSERT_EQUAL(d.live, 3);  /* rxd needs a restart */
	cf_config_copy_live(&a, &cfg);
	CU_ASSERT_EQUAL(a.batch_size, 20);
	CU_ASSERT_EQUAL(a.rxd, 512);  /* not live: left as it was */
	CU_ASSERT_EQUAL(a.policy.allow[0].len, 9);
	unlink(conf_path);
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
		{"file_values", test_file_values},
		{"file_errors", test_file_errors},
		{"file_precedence", test_file_precedence},
		{"file_eal", test_file_eal},
		{"print_origins", test_print_origins},
		{"diff", test_diff},
		{NULL, NULL},
	};

	return cft_suite_main("config", cases);
}
