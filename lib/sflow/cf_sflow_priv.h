/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_SFLOW_PRIV_H
#define CF_SFLOW_PRIV_H

/* Internal to lib/sflow: the per-lcore state and the calls between its files. */

#include "cf_sflow.h"

struct rte_hash;

struct cf_sflow_lcore {
	struct cf_sflow_unknown unknown[CF_SFLOW_UNKNOWN_SLOTS];
	uint64_t unknown_overflow;
	struct rte_hash *ifc_hash;
	struct cf_sflow_ifc *ifc;       /* indexed by hash position */
	uint32_t ifc_slots;
	uint32_t ifc_count;
	uint32_t ifc_max;
	uint64_t ifc_full;
	struct cf_decode_lru lru;      /* entries in use, by recency */
};

/* Counts one unknown (kind, enterprise, format); s may be NULL. */
void cf_sflow_unknown_hit(struct cf_sflow_lcore *s, enum cf_sflow_kind kind, uint32_t enterprise,
			  uint32_t format);

/*
 * Entry for (agent, ifindex), created if needed (the least recently updated
 * one evicted when the table is full: *evicted set to 1). NULL only when the
 * hash refuses the key.
 */
struct cf_sflow_ifc *cf_sflow_ifc_get(struct cf_sflow_lcore *s, const uint8_t agent[16], uint8_t v6,
				      uint32_t ifindex, int *evicted);

#endif
