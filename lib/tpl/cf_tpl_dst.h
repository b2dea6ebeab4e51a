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
	/* kept in the per-record scratch and resolved after the record (fallbacks, times, sampling) */
	CF_TPL_D_SCR_FIRST,
	CF_TPL_D_BYTES_ALT = CF_TPL_D_SCR_FIRST, /* used when no delta/in count is present */
	CF_TPL_D_PKTS_ALT,
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
	CF_TPL_D_T_SYSINIT,
	CF_TPL_D_SAMP_INTERVAL,
	CF_TPL_D_SAMP_ID,
	CF_TPL_D_SAMP_PKT_INTERVAL,
	CF_TPL_D_SAMP_PKT_SPACE,
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
};

/* 1 when an element of len bytes can feed destination d (the built-in length rules). */
int cf_tpl_map_len_ok(uint16_t d, uint16_t len);

/* Fill s->op, s->roff and the presence bit for a fixed-template step; 0 when generic. */
uint32_t cf_tpl_specialise(struct cf_tpl_step *s, int dual_family);

#define CF_TPL_SCR_N (CF_TPL_D_MAX - CF_TPL_D_SCR_FIRST)
_Static_assert(CF_TPL_SCR_N <= 32, "scratch presence is a 32-bit mask");

/* Values of scratch destinations of one record. */
struct cf_tpl_scr {
	uint32_t have;                  /* bit (dst - CF_TPL_D_SCR_FIRST) */
	uint64_t v[CF_TPL_SCR_N];
};

#define CF_TPL_HAS(s, d) ((s)->have & (1u << ((d) - CF_TPL_D_SCR_FIRST)))
#define CF_TPL_VAL(s, d) ((s)->v[(d) - CF_TPL_D_SCR_FIRST])

#endif
