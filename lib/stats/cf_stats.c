/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "cf_stats.h"

static const char *const drop_names[CFS_DROP_MAX] = {
#define CFS_X_NAME(e, n, u, h) [CFS_DROP_##e] = n,
	CFS_DROP_TABLE(CFS_X_NAME)
#undef CFS_X_NAME
};

static const char *const drop_units[CFS_DROP_MAX] = {
#define CFS_X_UNIT(e, n, u, h) [CFS_DROP_##e] = u,
	CFS_DROP_TABLE(CFS_X_UNIT)
#undef CFS_X_UNIT
};

static const char *const drop_helps[CFS_DROP_MAX] = {
#define CFS_X_HELP(e, n, u, h) [CFS_DROP_##e] = h,
	CFS_DROP_TABLE(CFS_X_HELP)
#undef CFS_X_HELP
};

static const struct cfs_counter_info counters[CFS_COUNTER_MAX] = {
#define CFS_X_INFO(f, g, n, t, m, k, h) \
	[CFS_CTR_##f] = {.name = n, .tel_key = t, .metric = m, .help = h, \
			 .group = CFS_GROUP_##g, .kind = CFS_KIND_##k},
	CFS_COUNTER_TABLE(CFS_X_INFO)
#undef CFS_X_INFO
};

static const char *const proto_names[CFS_PROTO_MAX] = {
	[CFS_PROTO_NF5] = "netflow_v5",
	[CFS_PROTO_NF9] = "netflow_v9",
	[CFS_PROTO_IPFIX] = "ipfix",
	[CFS_PROTO_SFLOW] = "sflow_v5",
};

const char *
cfs_drop_name(enum cfs_drop d)
{
	return (unsigned int)d < CFS_DROP_MAX ? drop_names[d] : "invalid";
}

const char *
cfs_drop_unit(enum cfs_drop d)
{
	return (unsigned int)d < CFS_DROP_MAX ? drop_units[d] : "invalid";
}

const char *
cfs_drop_help(enum cfs_drop d)
{
	return (unsigned int)d < CFS_DROP_MAX ? drop_helps[d] : "invalid";
}

const struct cfs_counter_info *
cfs_counter_info(enum cfs_counter c)
{
	return (unsigned int)c < CFS_COUNTER_MAX ? &counters[c] : NULL;
}

const char *
cfs_proto_name(enum cfs_proto p)
{
	return (unsigned int)p < CFS_PROTO_MAX ? proto_names[p] : "invalid";
}

void
cfs_sum(struct cfs_lcore *out, const struct cfs_lcore *const *in, unsigned int n)
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
