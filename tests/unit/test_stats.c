/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CF_STATS_COUNTER_TABLE against what is generated from it: struct cf_stats_lcore's
 * layout (cf_stats_sum and cf_stats_counter_value read it as words), cf_stats_counter_info's
 * rows, and names the three readers (stderr, /metrics, /clarion/stats) can
 * print without colliding with each other or with the values they print
 * beside the table.
 */
#include <stddef.h>
#include <string.h>

#include "cf_stats.h"
#include "cf_test.h"

/* Keys the readers in app/ print beside the table's (cf_control_print_stats's
 * "total:" lines, tel_stats, lcores_provider). A row must not take one. */
static const char *const stderr_extra[] = {
	"output", "output_failed", "mbufs_in_use_start", "mbufs_in_use", NULL,
};
static const char *const tel_extra[] = {
	"records_output", "output_failed", "sequence_lost", "exporters", "rx_lcores", NULL,
};
static const char *const metric_extra[] = {
	"clarion_flowd_datagrams_total", "clarion_flowd_drops_total",
	"clarion_flowd_sequence_lost_records_total", "clarion_flowd_lcore_busy_ratio", NULL,
};

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* Only [a-z0-9_], not empty, starting with a letter. */
static int
snake(const char *s)
{
	const char *p;

	if (s[0] < 'a' || s[0] > 'z')
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Every row's field is the uint64_t word at its index, and cf_stats_counter_info
 * and cf_stats_counter_value see the row the field was generated from. */
static void
test_layout(void)
{
	struct cf_stats_lcore s;

	memset(&s, 0, sizeof(s));
#define CHECK_ROW(f, g, n, t, m, k, h) \
	do { \
		CU_ASSERT_EQUAL(offsetof(struct cf_stats_lcore, f), CF_STATS_CTR_##f * sizeof(uint64_t)); \
		CU_ASSERT_EQUAL(sizeof(s.f), sizeof(uint64_t)); \
		CU_ASSERT(_Generic(s.f, uint64_t: 1, default: 0)); \
		CU_ASSERT_STRING_EQUAL(cf_stats_counter_info(CF_STATS_CTR_##f)->name, n); \
		CU_ASSERT_STRING_EQUAL(cf_stats_counter_info(CF_STATS_CTR_##f)->help, h); \
		CU_ASSERT_EQUAL(cf_stats_counter_info(CF_STATS_CTR_##f)->group, CF_STATS_GROUP_##g); \
		CU_ASSERT_EQUAL(cf_stats_counter_info(CF_STATS_CTR_##f)->kind, CF_STATS_KIND_##k); \
		s.f = 0x1000 + CF_STATS_CTR_##f; \
		CU_ASSERT_EQUAL(cf_stats_counter_value(&s, CF_STATS_CTR_##f), 0x1000 + CF_STATS_CTR_##f); \
	} while (0);
	CF_STATS_COUNTER_TABLE(CHECK_ROW)
#undef CHECK_ROW
	CU_ASSERT_EQUAL(offsetof(struct cf_stats_lcore, dgrams),
			CF_STATS_COUNTER_MAX * sizeof(uint64_t));
	CU_ASSERT_EQUAL(offsetof(struct cf_stats_lcore, drops),
			(CF_STATS_COUNTER_MAX + CF_STATS_PROTO_MAX) * sizeof(uint64_t));
	CU_ASSERT_EQUAL(sizeof(s) % 64, 0);
	CU_ASSERT(sizeof(s) - offsetof(struct cf_stats_lcore, drops) - sizeof(s.drops) < 64);
	CU_ASSERT_PTR_NULL(cf_stats_counter_info(CF_STATS_COUNTER_MAX));
}

/* stderr names: snake_case and unique over every "total:" line (cflib.parse_final
 * folds those lines into one dict), beside the per-protocol and non-lcore keys. */
static void
test_stderr_names(void)
{
	unsigned int i, j, g, per_group[CF_STATS_GROUP_MAX] = {0};

	for (i = 0; i < CF_STATS_COUNTER_MAX; i++) {
		const struct cf_stats_counter_info *a = cf_stats_counter_info(i);

		CU_ASSERT_FATAL(a != NULL && a->name != NULL && a->help != NULL);
		CU_ASSERT(snake(a->name));
		CU_ASSERT(!in_list(a->name, stderr_extra));
		for (j = 0; j < CF_STATS_PROTO_MAX; j++)
			CU_ASSERT(strcmp(a->name, cf_stats_proto_name(j)) != 0);
		for (j = 0; j < i; j++)
			CU_ASSERT(strcmp(a->name, cf_stats_counter_info(j)->name) != 0);
		CU_ASSERT((unsigned int)a->group < CF_STATS_GROUP_MAX);
		if ((unsigned int)a->group < CF_STATS_GROUP_MAX)
			per_group[a->group]++;
	}
	/* An empty group would print a bare "total:" or a stray gap. */
	for (g = CF_STATS_GROUP_NONE + 1; g < CF_STATS_GROUP_MAX; g++)
		CU_ASSERT(per_group[g] > 0);
}

/* Telemetry keys: [a-z0-9_] (telemetry allows [A-Za-z0-9_/]), fit the reader's
 * buffer, unique, and not one of the generated (datagrams_, drop_) or extra keys. */
static void
test_telemetry_keys(void)
{
	unsigned int i, j;

	for (i = 0; i < CF_STATS_COUNTER_MAX; i++) {
		const char *k = cf_stats_counter_info(i)->tel_key;

		if (k == NULL)
			continue;
		CU_ASSERT(snake(k));
		CU_ASSERT(strlen(k) < 64);
		CU_ASSERT(strncmp(k, "datagrams_", 10) != 0);
		CU_ASSERT(strncmp(k, "drop_", 5) != 0);
		CU_ASSERT(!in_list(k, tel_extra));
		for (j = 0; j < i; j++) {
			const char *o = cf_stats_counter_info(j)->tel_key;

			CU_ASSERT(o == NULL || strcmp(k, o) != 0);
		}
	}
}

/* Metric families: clarion_flowd_ prefix, snake_case, _total exactly on counters,
 * unique and distinct from the families lcores_provider writes by hand; help on
 * one line without the characters the exposition format would have to escape. */
static void
test_metric_names(void)
{
	static const char prefix[] = "clarion_flowd_";
	unsigned int i, j, n = 0;

	for (i = 0; i < CF_STATS_COUNTER_MAX; i++) {
		const struct cf_stats_counter_info *a = cf_stats_counter_info(i);

		CU_ASSERT(strlen(a->help) > 10);
		CU_ASSERT(strpbrk(a->help, "\n\\\"") == NULL);
		CU_ASSERT(a->kind == CF_STATS_KIND_COUNTER || a->kind == CF_STATS_KIND_GAUGE);
		if (a->metric == NULL)
			continue;
		n++;
		CU_ASSERT(strncmp(a->metric, prefix, sizeof(prefix) - 1) == 0);
		CU_ASSERT(snake(a->metric));
		CU_ASSERT(ends_with(a->metric, "_total") == (a->kind == CF_STATS_KIND_COUNTER));
		CU_ASSERT(!in_list(a->metric, metric_extra));
		for (j = 0; j < i; j++) {
			const char *o = cf_stats_counter_info(j)->metric;

			CU_ASSERT(o == NULL || strcmp(a->metric, o) != 0);
		}
	}
	CU_ASSERT(n > 0);
}

/* cf_stats_sum adds every word: each table counter, dgrams[] and drops[]; out is
 * zeroed first. */
static void
test_sum(void)
{
	static struct cf_stats_lcore a, b, c, out;
	const struct cf_stats_lcore *in[3] = {&a, &b, &c};
	unsigned int i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	memset(&out, 0xa5, sizeof(out));
	for (i = 0; i < CF_STATS_COUNTER_MAX; i++) {
		((uint64_t *)&a)[i] = i + 1;
		((uint64_t *)&b)[i] = 100 * (i + 1);
		((uint64_t *)&c)[i] = 10000 * (i + 1);
	}
	for (i = 0; i < CF_STATS_PROTO_MAX; i++) {
		a.dgrams[i] = 1;
		c.dgrams[i] = i;
	}
	for (i = 0; i < CF_STATS_DROP_MAX; i++)
		b.drops[i] = 2 * i + 1;
	a.rx_pkts = 7; /* by field name too */
	cf_stats_sum(&out, in, 3);
	for (i = 0; i < CF_STATS_COUNTER_MAX; i++)
		if (i != CF_STATS_CTR_rx_pkts)
			CU_ASSERT_EQUAL(cf_stats_counter_value(&out, i), 10101ull * (i + 1));
	CU_ASSERT_EQUAL(out.rx_pkts, 7 + 100 + 10000);
	for (i = 0; i < CF_STATS_PROTO_MAX; i++)
		CU_ASSERT_EQUAL(out.dgrams[i], 1 + i);
	for (i = 0; i < CF_STATS_DROP_MAX; i++)
		CU_ASSERT_EQUAL(out.drops[i], 2 * i + 1);
	cf_stats_sum(&out, in, 0);
	for (i = 0; i < CF_STATS_COUNTER_MAX; i++)
		CU_ASSERT_EQUAL(cf_stats_counter_value(&out, i), 0);
}

static const struct cft_case cases[] = {
	{"layout", test_layout},
	{"stderr_names", test_stderr_names},
	{"telemetry_keys", test_telemetry_keys},
	{"metric_names", test_metric_names},
	{"sum", test_sum},
	{NULL, NULL},
};

int
main(void)
{
	return cft_suite_main("stats", cases);
}
