/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "cf_stats.h"

static const char *const drop_names[CF_STATS_DROP_MAX] = {
#define CF_STATS_X_NAME(e, n, u, h) [CF_STATS_DROP_##e] = n,
	CF_STATS_DROP_TABLE(CF_STATS_X_NAME)
#undef CF_STATS_X_NAME
};

static const char *const drop_units[CF_STATS_DROP_MAX] = {
#define CF_STATS_X_UNIT(e, n, u, h) [CF_STATS_DROP_##e] = u,
	CF_STATS_DROP_TABLE(CF_STATS_X_UNIT)
#undef CF_STATS_X_UNIT
};

static const char *const drop_helps[CF_STATS_DROP_MAX] = {
#define CF_STATS_X_HELP(e, n, u, h) [CF_STATS_DROP_##e] = h,
	CF_STATS_DROP_TABLE(CF_STATS_X_HELP)
#undef CF_STATS_X_HELP
};

static const struct cf_stats_counter_info counters[CF_STATS_COUNTER_MAX] = {
#define CF_STATS_X_INFO(f, g, n, t, m, k, h) \
	[CF_STATS_CTR_##f] = {.name = n, .tel_key = t, .metric = m, .help = h, \
			 .group = CF_STATS_GROUP_##g, .kind = CF_STATS_KIND_##k},
	CF_STATS_COUNTER_TABLE(CF_STATS_X_INFO)
#undef CF_STATS_X_INFO
};

static const char *const proto_names[CF_STATS_PROTO_MAX] = {
	[CF_STATS_PROTO_NF5] = "netflow_v5",
	[CF_STATS_PROTO_NF9] = "netflow_v9",
	[CF_STATS_PROTO_IPFIX] = "ipfix",
	[CF_STATS_PROTO_SFLOW] = "sflow",
};

const char *
cf_stats_drop_name(enum cf_stats_drop d)
{
	return (unsigned int)d < CF_STATS_DROP_MAX ? drop_names[d] : "invalid";
}

const char *
cf_stats_drop_unit(enum cf_stats_drop d)
{
	return (unsigned int)d < CF_STATS_DROP_MAX ? drop_units[d] : "invalid";
}

const char *
cf_stats_drop_help(enum cf_stats_drop d)
{
	return (unsigned int)d < CF_STATS_DROP_MAX ? drop_helps[d] : "invalid";
}

const struct cf_stats_counter_info *
cf_stats_counter_info(enum cf_stats_counter c)
{
	return (unsigned int)c < CF_STATS_COUNTER_MAX ? &counters[c] : NULL;
}

const char *
cf_stats_proto_name(enum cf_stats_proto p)
{
	return (unsigned int)p < CF_STATS_PROTO_MAX ? proto_names[p] : "invalid";
}

void
cf_stats_sum(struct cf_stats_lcore *out, const struct cf_stats_lcore *const *in, unsigned int n)
{
	/* The struct is nothing but uint64_t words (asserted in cf_stats.h): sum it as an array. */
	const unsigned int words = sizeof(*out) / sizeof(uint64_t);
	uint64_t *o = (uint64_t *)out;
	unsigned int i, w;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		const uint64_t *s = (const uint64_t *)in[i];

		for (w = 0; w < words; w++)
			o[w] += s[w];
	}
}
