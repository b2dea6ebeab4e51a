/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_TPL_DST_H
#define CF_TPL_DST_H

#include <stdint.h>

#include "cf_tpl_priv.h"

/*
 * Destinations of decode steps (private to lib/template and its tests).
 * Each names where an element's value goes and how it is read; tpl_map()
 * chooses one per (version, PEN, id, length).
 */

enum tpl_dst {
	TPL_D_SKIP = 0,       /* not mapped: skipped by length */
	TPL_D_BADLEN,         /* mapped element with a length its type does not allow */
	/* written straight into the record */
	TPL_D_SRC4, TPL_D_DST4, TPL_D_SRC6, TPL_D_DST6, TPL_D_NH4, TPL_D_NH6,
	TPL_D_SPORT, TPL_D_DPORT, TPL_D_PROTO, TPL_D_TOS, TPL_D_TCP_FLAGS,
	TPL_D_BYTES, TPL_D_PKTS,
	TPL_D_IN_IF, TPL_D_OUT_IF, TPL_D_SRC_AS, TPL_D_DST_AS, TPL_D_SRC_MASK, TPL_D_DST_MASK,
	TPL_D_SRC_MAC, TPL_D_DST_MAC, TPL_D_VLAN, TPL_D_POST_VLAN,
	TPL_D_DIRECTION, TPL_D_ICMP_TC, TPL_D_ICMP_TYPE, TPL_D_ICMP_CODE,
	TPL_D_SGT_SRC, TPL_D_SGT_DST,
	TPL_D_STA4, TPL_D_STA_MAC,         /* wireless client (WLC): source when the record has none */
	/* kept in the per-record scratch and resolved after the record (fallbacks, times, sampling) */
	TPL_D_SCR_FIRST,
	TPL_D_BYTES_ALT = TPL_D_SCR_FIRST, /* used when no delta/in count is present */
	TPL_D_PKTS_ALT,
	TPL_D_SRC_MAC_POST, TPL_D_DST_MAC_POST, TPL_D_VLAN_DOT1Q, TPL_D_POST_VLAN_DOT1Q,
	TPL_D_T_UP_START, TPL_D_T_UP_END,   /* v9 FIRST/LAST_SWITCHED, IPFIX flow*SysUpTime */
	TPL_D_T_SEC_START, TPL_D_T_SEC_END,
	TPL_D_T_MS_START, TPL_D_T_MS_END,
	TPL_D_T_US_START, TPL_D_T_US_END,   /* NTP format */
	TPL_D_T_NS_START, TPL_D_T_NS_END,   /* NTP format */
	TPL_D_T_DUS_START, TPL_D_T_DUS_END, /* microseconds before export time */
	TPL_D_T_SYSINIT,
	TPL_D_SAMP_INTERVAL, TPL_D_SAMP_ID, TPL_D_SAMP_PKT_INTERVAL, TPL_D_SAMP_PKT_SPACE,
	TPL_D_MAX
};

/* Specialised step ops: (source length -> record field width) without a dst switch. */
enum tpl_op {
	TPL_OP_GENERIC = 0,
	TPL_OP_CPY4,    /* IPv4 address */
	TPL_OP_CPY6,    /* MAC */
	TPL_OP_N11, TPL_OP_N22, TPL_OP_N44, TPL_OP_N88, /* same width, big-endian to host */
	TPL_OP_N14, TPL_OP_N24, TPL_OP_N48, /* widen into a larger field */
};

/* 1 when an element of len bytes can feed destination d (the built-in length rules). */
int tpl_map_len_ok(uint16_t d, uint16_t len);

/* Fill s->op, s->roff and the presence bit for a fixed-template step; 0 when generic. */
uint32_t tpl_specialise(struct tpl_step *s, int dual_family);

#define TPL_SCR_N (TPL_D_MAX - TPL_D_SCR_FIRST)
_Static_assert(TPL_SCR_N <= 32, "scratch presence is a 32-bit mask");

/* Values of scratch destinations of one record. */
struct tpl_scr {
	uint32_t have;                  /* bit (dst - TPL_D_SCR_FIRST) */
	uint64_t v[TPL_SCR_N];
};

#define TPL_HAS(s, d) ((s)->have & (1u << ((d) - TPL_D_SCR_FIRST)))
#define TPL_VAL(s, d) ((s)->v[(d) - TPL_D_SCR_FIRST])

#endif
