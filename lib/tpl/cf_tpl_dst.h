/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_TPL_DST_H
#define CF_TPL_DST_H

#include <stdint.h>

#include "cf_tpl_priv.h"

/*
 * Destinations of decode steps (private to lib/tpl and its tests).
 * Each names where an element's value goes and how it is read; cf_tpl_map()
 * chooses one per (version, PEN, id, length).
 */

enum cf_tpl_dst {
	CF_TPL_D_SKIP = 0, /* not mapped: skipped by length */
	CF_TPL_D_BADLEN, /* mapped element with a length its type does not allow */
	/* written straight into the record */
	CF_TPL_D_SRC4,
	CF_TPL_D_DST4,
	CF_TPL_D_SRC6,
	CF_TPL_D_DST6,
	CF_TPL_D_NH4,
	CF_TPL_D_NH6,
	CF_TPL_D_SPORT,
	CF_TPL_D_DPORT,
	CF_TPL_D_PROTO,
	CF_TPL_D_TOS,
	CF_TPL_D_TCP_FLAGS,
	CF_TPL_D_BYTES,
	CF_TPL_D_PKTS,
	CF_TPL_D_IN_IF,
	CF_TPL_D_OUT_IF,
	CF_TPL_D_SRC_AS,
	CF_TPL_D_DST_AS,
	CF_TPL_D_SRC_MASK,
	CF_TPL_D_DST_MASK,
	CF_TPL_D_SRC_MAC,
	CF_TPL_D_DST_MAC,
	CF_TPL_D_VLAN,
	CF_TPL_D_POST_VLAN,
	CF_TPL_D_DIRECTION,
	CF_TPL_D_ICMP_TC,
	CF_TPL_D_ICMP_TYPE,
	CF_TPL_D_ICMP_CODE,
	CF_TPL_D_SGT_SRC,
	CF_TPL_D_SGT_DST,
	CF_TPL_D_STA4,
	CF_TPL_D_STA_MAC, /* wireless client (WLC): source when the record has none */
	CF_TPL_D_BGP4,
	CF_TPL_D_BGP6,
	/* set by the compiler only, never by the map */
	CF_TPL_D_NH6_NZ,  /* IPv6 next hop of a template with both families: zero is absent */
	CF_TPL_D_BGP6_NZ,
	CF_TPL_D_IN_SRC4, /* second occurrence of the flow key group: the inner header */
	CF_TPL_D_IN_DST4,
	CF_TPL_D_IN_SRC6,
	CF_TPL_D_IN_DST6,
	CF_TPL_D_IN_SPORT,
	CF_TPL_D_IN_DPORT,
	CF_TPL_D_IN_PROTO,
	/* byte strings, kept as (pointer, length) in the scratch for the record's end */
	CF_TPL_D_STR_FIRST,
	CF_TPL_D_DL_FRAME = CF_TPL_D_STR_FIRST, /* dataLinkFrameSection */
	CF_TPL_D_IP_SECTION, /* ipHeaderPacketSection */
	CF_TPL_D_NAME_IF, /* options: interfaceName */
	CF_TPL_D_NAME_IF_DESC, /* options: interfaceDescription */
	CF_TPL_D_NAME_VRF, /* options: VRFname */
	CF_TPL_D_NAME_APP, /* options: applicationName */
	/* kept in the per-record scratch and resolved after the record (fallbacks, times, sampling) */
	CF_TPL_D_SCR_FIRST,
	CF_TPL_D_BYTES_ALT = CF_TPL_D_SCR_FIRST, /* used when no delta/in count is present */
	CF_TPL_D_PKTS_ALT,
	CF_TPL_D_BYTES_INIT, /* NSEL initiatorOctets */
	CF_TPL_D_BYTES_RESP, /* responderOctets */
	CF_TPL_D_PKTS_INIT,
	CF_TPL_D_PKTS_RESP,
	CF_TPL_D_DL_SIZE, /* dataLinkFrameSize */
	CF_TPL_D_IN_IF_PHYS, /* ingressPhysicalInterface */
	CF_TPL_D_OUT_IF_PHYS,
	CF_TPL_D_NH4_ALT, /* IPv4 next hop of a template with both families */
	CF_TPL_D_BGP4_ALT,
	CF_TPL_D_VRF_IN, /* ingressVRFID */
	CF_TPL_D_VRF_OUT,
	CF_TPL_D_APP_ID, /* applicationId, up to 8 bytes */
	CF_TPL_D_SRC_MAC_POST,
	CF_TPL_D_DST_MAC_POST,
	CF_TPL_D_VLAN_DOT1Q,
	CF_TPL_D_POST_VLAN_DOT1Q,
	CF_TPL_D_T_UP_START,
	CF_TPL_D_T_UP_END, /* v9 FIRST/LAST_SWITCHED, IPFIX flow*SysUpTime */
	CF_TPL_D_T_SEC_START,
	CF_TPL_D_T_SEC_END,
	CF_TPL_D_T_MS_START,
	CF_TPL_D_T_MS_END,
	CF_TPL_D_T_US_START,
	CF_TPL_D_T_US_END, /* NTP format */
	CF_TPL_D_T_NS_START,
	CF_TPL_D_T_NS_END, /* NTP format */
	CF_TPL_D_T_DUS_START,
	CF_TPL_D_T_DUS_END, /* microseconds before export time */
	CF_TPL_D_T_OBS_SEC, /* observationTime*: one instant (event records) */
	CF_TPL_D_T_OBS_MS,
	CF_TPL_D_T_OBS_US, /* NTP format */
	CF_TPL_D_T_OBS_NS, /* NTP format */
	CF_TPL_D_T_SYSINIT,
	CF_TPL_D_SAMP_INTERVAL,
	CF_TPL_D_SAMP_ID,
	CF_TPL_D_SAMP_ALGO, /* selectorAlgorithm, samplingAlgorithm, samplerMode */
	CF_TPL_D_SAMP_PKT_INTERVAL,
	CF_TPL_D_SAMP_PKT_SPACE,
	CF_TPL_D_SAMP_SIZE, /* samplingSize: n of n-out-of-N */
	CF_TPL_D_SAMP_POP, /* samplingPopulation: N */
	CF_TPL_D_SAMP_PROB, /* samplingProbability (float64 or float32 bits) */
	CF_TPL_D_MAX
};

/* Specialised step ops: (source length -> record field width) without a dst switch. */
enum cf_tpl_op {
	CF_TPL_OP_GENERIC = 0,
	CF_TPL_OP_CPY4, /* IPv4 address */
	CF_TPL_OP_CPY6, /* MAC */
	CF_TPL_OP_N11,
	CF_TPL_OP_N22,
	CF_TPL_OP_N44,
	CF_TPL_OP_N88, /* same width, big-endian to host */
	CF_TPL_OP_N14,
	CF_TPL_OP_N24,
	CF_TPL_OP_N48, /* widen into a larger field */
	/* fused programs only (cf_tpl_compile.c): a scratch value of 1/2/4/8 bytes at index roff */
	CF_TPL_OP_S1,
	CF_TPL_OP_S2,
	CF_TPL_OP_S4,
	CF_TPL_OP_S8,
	CF_TPL_OP_MAX
};

_Static_assert(CF_TPL_OP_MAX <= CF_TPL_OPS, "struct cf_tpl op_end[] holds every op");

/*
 * The order of a fused segment's op runs (cf_tpl_compile.c sorts, cf_tpl_exec.c
 * runs): the common ops first, then the rarer ones, which a segment without
 * any skips with one test (cf_tpl_seg.rare).
 */
static const uint8_t cf_tpl_op_order[CF_TPL_OP_MAX - 1] = {
	CF_TPL_OP_CPY4, CF_TPL_OP_N11, CF_TPL_OP_N22, CF_TPL_OP_N44, CF_TPL_OP_N88, CF_TPL_OP_N48,
	CF_TPL_OP_S4, CF_TPL_OP_S8,
	CF_TPL_OP_CPY6, CF_TPL_OP_N14, CF_TPL_OP_N24, CF_TPL_OP_S1, CF_TPL_OP_S2,
};
#define CF_TPL_OPS_RARE                                                                           \
	(1u << CF_TPL_OP_CPY6 | 1u << CF_TPL_OP_N14 | 1u << CF_TPL_OP_N24 | 1u << CF_TPL_OP_S1 |  \
	 1u << CF_TPL_OP_S2)

/* 1 when an element of len bytes can feed destination d (the built-in length rules). */
int cf_tpl_map_len_ok(uint16_t d, uint16_t len);

/*
 * Fill s->op, s->roff and the presence bit for a fixed-template step; 0 when
 * generic. fused: also narrowing reads (an element longer than its field
 * keeps its last bytes, as the generic store does; s->off moves to them).
 */
uint32_t cf_tpl_specialise(struct cf_tpl_step *s, int dual_family, int fused);

/* The record field of a specialisable destination, or -1: two equal ones share bytes. */
int cf_tpl_direct_field(uint16_t d);

#define CF_TPL_SCR_N (CF_TPL_D_MAX - CF_TPL_D_SCR_FIRST)
#define CF_TPL_STR_N (CF_TPL_D_SCR_FIRST - CF_TPL_D_STR_FIRST)
_Static_assert(CF_TPL_SCR_N <= 64, "scratch presence is a 64-bit mask");
_Static_assert(CF_TPL_STR_N <= 8, "string presence is an 8-bit mask");

/* Values of scratch and string destinations of one record (strings point into the set). */
struct cf_tpl_scr {
	uint64_t have;                  /* bit (dst - CF_TPL_D_SCR_FIRST) */
	uint8_t str_have;               /* bit (dst - CF_TPL_D_STR_FIRST) */
	uint16_t str_len[CF_TPL_STR_N];
	const uint8_t *str[CF_TPL_STR_N];
	uint64_t v[CF_TPL_SCR_N];
};

#define CF_TPL_BIT(d) (1ull << ((d) - CF_TPL_D_SCR_FIRST))
#define CF_TPL_HAS(s, d) ((s)->have & CF_TPL_BIT(d))
#define CF_TPL_VAL(s, d) ((s)->v[(d) - CF_TPL_D_SCR_FIRST])
#define CF_TPL_STR_HAS(s, d) ((s)->str_have & (1u << ((d) - CF_TPL_D_STR_FIRST)))

/* The group of a flow-key destination (RFC 7011 sec. 8 occurrences), or -1. */
enum cf_tpl_key_kind { CF_TPL_K_SRC, CF_TPL_K_DST, CF_TPL_K_SPORT, CF_TPL_K_DPORT, CF_TPL_K_PROTO,
		       CF_TPL_K_MAX };

/* 1 for destinations that take a byte string of any length (variable-length too). */
static inline int
cf_tpl_dst_is_str(uint16_t d)
{
	return d >= CF_TPL_D_STR_FIRST && d < CF_TPL_D_SCR_FIRST;
}

#endif
