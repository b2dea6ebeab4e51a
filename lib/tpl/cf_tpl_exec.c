/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The executor: run a compiled template over the records of a data set.
 * A fused program (most data templates, cf_tpl_compile.c) runs one tight
 * loop per op per segment; the others go step by step: fixed-length records
 * through one loop over (offset, length, destination) steps, records of a
 * template with a variable-length element walked field by field.
 * cf_tpl_data_flowset() is the decoders' entry: template found -> decode,
 * else wait for it (cf_tpl_pending.c) or count no_template.
 */
#include <string.h>

#include "cf_frame.h"
#include "cf_tpl.h"
#include "cf_tpl_dst.h"
#include "cf_tpl_priv.h"
#include "cf_wire.h"

#define NTP_UNIX_OFFSET 2208988800ull /* seconds from 1900 to 1970 */

/* Unsigned value of 1..8 bytes; reduced-size encoding (RFC 7011 6.2) is any of them. */
static inline uint64_t
rd_un(const uint8_t *p, unsigned int len)
{
	switch (len) {
	case 1: return p[0];
	case 2: return cf_wire_be16(p);
	case 4: return cf_wire_be32(p);
	case 8: return cf_wire_be64(p);
	default: return cf_wire_beN(p, len);
	}
}

static inline int
is_zero16(const uint8_t *q)
{
	uint64_t a, b;

	memcpy(&a, q, 8);
	memcpy(&b, q + 8, 8);
	return (a | b) == 0;
}

static inline void
put_mac(uint8_t *mac, uint64_t v)
{
	int i;

	for (i = 5; i >= 0; i--) {
		mac[i] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * One element into the record (or the scratch). Presence bits gather in *pres,
 * a local of the caller, and reach the record once per record: a
 * read-modify-write of r->present per element would chain every step.
 */
static inline void
cf_tpl_store(struct cf_record *r, uint32_t *pres, struct cf_tpl_scr *s, uint16_t dst,
	     const uint8_t *q, uint16_t len)
{
	switch (dst) {
	case CF_TPL_D_SKIP:
		return;
	/*
	 * Templates carrying both families (Procera, some firewalls) fill the
	 * unused one with zeros; the record has one family, so a zero IPv6
	 * address is ignored and an IPv4 one never overrides an IPv6 record.
	 */
	case CF_TPL_D_SRC4:
		if (*pres & CF_RECORD_F_SRC_V6)
			return;
		memcpy(r->src_addr, q, 4);
		*pres |= CF_RECORD_F_SRC_ADDR;
		return;
	case CF_TPL_D_DST4:
		if (*pres & CF_RECORD_F_SRC_V6)
			return;
		memcpy(r->dst_addr, q, 4);
		*pres |= CF_RECORD_F_DST_ADDR;
		return;
	case CF_TPL_D_SRC6:
		if (is_zero16(q))
			return;
		/* An IPv4 peer written before it cannot share the record. */
		if ((*pres & (CF_RECORD_F_DST_ADDR | CF_RECORD_F_SRC_V6)) == CF_RECORD_F_DST_ADDR) {
			memset(r->dst_addr, 0, 4);
			*pres &= ~CF_RECORD_F_DST_ADDR;
		}
		memcpy(r->src_addr, q, 16);
		*pres |= CF_RECORD_F_SRC_ADDR | CF_RECORD_F_SRC_V6;
		return;
	case CF_TPL_D_DST6:
		if (is_zero16(q))
			return;
		if ((*pres & (CF_RECORD_F_SRC_ADDR | CF_RECORD_F_SRC_V6)) == CF_RECORD_F_SRC_ADDR) {
			memset(r->src_addr, 0, 4);
			*pres &= ~CF_RECORD_F_SRC_ADDR;
		}
		memcpy(r->dst_addr, q, 16);
		*pres |= CF_RECORD_F_DST_ADDR | CF_RECORD_F_SRC_V6;
		return;
	case CF_TPL_D_NH4:
		memcpy(r->next_hop, q, 4);
		*pres |= CF_RECORD_F_NEXT_HOP;
		return;
	case CF_TPL_D_NH6_NZ:
		if (is_zero16(q))
			return;
		/* fall through */
	case CF_TPL_D_NH6:
		memcpy(r->next_hop, q, 16);
		*pres |= CF_RECORD_F_NEXT_HOP | CF_RECORD_F_NEXT_HOP_V6;
		return;
	case CF_TPL_D_BGP4:
		memcpy(r->bgp_next_hop, q, 4);
		r->present2 |= CF_RECORD_F2_BGP_NEXT_HOP;
		return;
	case CF_TPL_D_BGP6_NZ:
		if (is_zero16(q))
			return;
		/* fall through */
	case CF_TPL_D_BGP6:
		memcpy(r->bgp_next_hop, q, 16);
		r->present2 |= CF_RECORD_F2_BGP_NEXT_HOP | CF_RECORD_F2_BGP_NEXT_HOP_V6;
		return;
	/* The inner header: its family is its own (the record's is the outer one's). */
	case CF_TPL_D_IN_SRC4:
		memcpy(r->inner_src_addr, q, 4);
		r->present2 |= CF_RECORD_F2_INNER_SRC_ADDR;
		return;
	case CF_TPL_D_IN_DST4:
		memcpy(r->inner_dst_addr, q, 4);
		r->present2 |= CF_RECORD_F2_INNER_DST_ADDR;
		return;
	case CF_TPL_D_IN_SRC6:
		if (is_zero16(q))
			return;
		memcpy(r->inner_src_addr, q, 16);
		r->present2 |= CF_RECORD_F2_INNER_SRC_ADDR | CF_RECORD_F2_INNER_V6;
		return;
	case CF_TPL_D_IN_DST6:
		if (is_zero16(q))
			return;
		memcpy(r->inner_dst_addr, q, 16);
		r->present2 |= CF_RECORD_F2_INNER_DST_ADDR | CF_RECORD_F2_INNER_V6;
		return;
	case CF_TPL_D_IN_SPORT:
		r->inner_src_port = (uint16_t)rd_un(q, len);
		r->present2 |= CF_RECORD_F2_INNER_PORTS;
		return;
	case CF_TPL_D_IN_DPORT:
		r->inner_dst_port = (uint16_t)rd_un(q, len);
		r->present2 |= CF_RECORD_F2_INNER_PORTS;
		return;
	case CF_TPL_D_IN_PROTO:
		r->inner_protocol = (uint8_t)rd_un(q, len);
		r->present2 |= CF_RECORD_F2_INNER_PROTOCOL;
		return;
	case CF_TPL_D_SPORT:
		r->src_port = (uint16_t)rd_un(q, len);
		*pres |= CF_RECORD_F_PORTS;
		return;
	case CF_TPL_D_DPORT:
		r->dst_port = (uint16_t)rd_un(q, len);
		*pres |= CF_RECORD_F_PORTS;
		return;
	case CF_TPL_D_PROTO:
		r->protocol = (uint8_t)rd_un(q, len);
		*pres |= CF_RECORD_F_PROTOCOL;
		return;
	case CF_TPL_D_TOS:
		r->tos = (uint8_t)rd_un(q, len);
		*pres |= CF_RECORD_F_TOS;
		return;
	case CF_TPL_D_TCP_FLAGS:
		/* tcpControlBits is 16 bits since RFC 7125; the classic flags are the low 8. */
		r->tcp_flags = (uint8_t)rd_un(q, len);
		*pres |= CF_RECORD_F_TCP_FLAGS;
		return;
	case CF_TPL_D_BYTES:
		r->bytes = rd_un(q, len);
		*pres |= CF_RECORD_F_BYTES;
		return;
	case CF_TPL_D_PKTS:
		r->packets = rd_un(q, len);
		*pres |= CF_RECORD_F_PACKETS;
		return;
	case CF_TPL_D_IN_IF:
		r->input_if = (uint32_t)rd_un(q, len);
		*pres |= CF_RECORD_F_INPUT_IF;
		return;
	case CF_TPL_D_OUT_IF:
		r->output_if = (uint32_t)rd_un(q, len);
		*pres |= CF_RECORD_F_OUTPUT_IF;
		return;
	case CF_TPL_D_SRC_AS:
		r->src_as = (uint32_t)rd_un(q, len);
		*pres |= CF_RECORD_F_SRC_AS;
		return;
	case CF_TPL_D_DST_AS:
		r->dst_as = (uint32_t)rd_un(q, len);
		*pres |= CF_RECORD_F_DST_AS;
		return;
	case CF_TPL_D_SRC_MASK:
		r->src_mask = (uint8_t)rd_un(q, len);
		*pres |= CF_RECORD_F_SRC_MASK;
		return;
	case CF_TPL_D_DST_MASK:
		r->dst_mask = (uint8_t)rd_un(q, len);
		*pres |= CF_RECORD_F_DST_MASK;
		return;
	case CF_TPL_D_SRC_MAC:
		memcpy(r->src_mac, q, 6);
		*pres |= CF_RECORD_F_SRC_MAC;
		return;
	case CF_TPL_D_DST_MAC:
		memcpy(r->dst_mac, q, 6);
		*pres |= CF_RECORD_F_DST_MAC;
		return;
	case CF_TPL_D_VLAN:
		r->vlan_id = (uint16_t)(rd_un(q, len) & 0xfff);
		*pres |= CF_RECORD_F_VLAN;
		return;
	case CF_TPL_D_POST_VLAN:
		r->post_vlan_id = (uint16_t)(rd_un(q, len) & 0xfff);
		*pres |= CF_RECORD_F_POST_VLAN;
		return;
	case CF_TPL_D_DIRECTION:
		r->direction = (uint8_t)rd_un(q, len);
		*pres |= CF_RECORD_F_DIRECTION;
		return;
	case CF_TPL_D_ICMP_TC:
		r->icmp_type = q[0];
		r->icmp_code = q[1];
		*pres |= CF_RECORD_F_ICMP;
		return;
	case CF_TPL_D_ICMP_TYPE:
		r->icmp_type = (uint8_t)rd_un(q, len);
		*pres |= CF_RECORD_F_ICMP;
		return;
	case CF_TPL_D_ICMP_CODE:
		r->icmp_code = (uint8_t)rd_un(q, len);
		*pres |= CF_RECORD_F_ICMP;
		return;
	case CF_TPL_D_SGT_SRC:
		r->src_sgt = (uint32_t)rd_un(q, len);
		*pres |= CF_RECORD_F_SRC_SGT;
		return;
	case CF_TPL_D_SGT_DST:
		r->dst_sgt = (uint32_t)rd_un(q, len);
		*pres |= CF_RECORD_F_DST_SGT;
		return;
	/* A wireless station's address stands in for a source the record lacks;
	 * sourceIPv4Address / sourceMacAddress always win, in either order. */
	case CF_TPL_D_STA4:
		if (*pres & (CF_RECORD_F_SRC_ADDR | CF_RECORD_F_SRC_V6))
			return;
		memcpy(r->src_addr, q, 4);
		*pres |= CF_RECORD_F_SRC_ADDR;
		return;
	case CF_TPL_D_STA_MAC:
		if (*pres & CF_RECORD_F_SRC_MAC)
			return;
		memcpy(r->src_mac, q, 6);
		*pres |= CF_RECORD_F_SRC_MAC;
		return;
	default:
		if (dst >= CF_TPL_D_SCR_FIRST && dst < CF_TPL_D_MAX) {
			uint64_t bit = CF_TPL_BIT(dst);

			/* First of several alternatives wins. */
			if (!(s->have & bit)) {
				s->have |= bit;
				s->v[dst - CF_TPL_D_SCR_FIRST] = rd_un(q, len);
			}
		} else if (cf_tpl_dst_is_str(dst)) {
			unsigned int k = dst - CF_TPL_D_STR_FIRST;

			if (!(s->str_have & (1u << k))) {
				s->str_have |= (uint8_t)(1u << k);
				s->str[k] = q;
				s->str_len[k] = len;
			}
		}
		return;
	}
}

/*
 * A zeroed slot, or NULL: cf_record_sink_next() with the 256 bytes cleared by
 * eight inline 32-byte stores instead of a memset call (the slot is 64-byte
 * aligned; this costs a quarter of the instructions).
 */
typedef uint8_t cf_tpl_v32 __attribute__((vector_size(32), may_alias));

static inline struct cf_record *
tpl_slot(struct cf_record_sink *sink)
{
	struct cf_record *r = cf_record_sink_next_raw(sink);
	cf_tpl_v32 *w = (cf_tpl_v32 *)r;
	unsigned int i;

	if (r != NULL)
		for (i = 0; i < sizeof(*r) / sizeof(*w); i++)
			w[i] = (cf_tpl_v32){0};
	return r;
}
_Static_assert(sizeof(struct cf_record) % sizeof(cf_tpl_v32) == 0, "whole vectors");

/* A fixed-template step: specialised ops store without looking at the destination. */
static inline void
cf_tpl_step(struct cf_record *r, uint32_t *pres, struct cf_tpl_scr *s, const struct cf_tpl_step *sp,
	    const uint8_t *q)
{
	uint8_t *d = (uint8_t *)r + sp->roff;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (sp->op) {
	case CF_TPL_OP_CPY4:
		memcpy(d, q, 4);
		return;
	case CF_TPL_OP_CPY6:
		memcpy(d, q, 6);
		return;
	case CF_TPL_OP_N11:
		*d = q[0];
		return;
	case CF_TPL_OP_N22:
		v16 = cf_wire_be16(q);
		memcpy(d, &v16, 2);
		return;
	case CF_TPL_OP_N44:
		v32 = cf_wire_be32(q);
		memcpy(d, &v32, 4);
		return;
	case CF_TPL_OP_N88:
		v64 = cf_wire_be64(q);
		memcpy(d, &v64, 8);
		return;
	case CF_TPL_OP_N14:
		v32 = q[0];
		memcpy(d, &v32, 4);
		return;
	case CF_TPL_OP_N24:
		v32 = cf_wire_be16(q);
		memcpy(d, &v32, 4);
		return;
	case CF_TPL_OP_N48:
		v64 = cf_wire_be32(q);
		memcpy(d, &v64, 8);
		return;
	default:
		cf_tpl_store(r, pres, s, sp->dst, q, sp->len);
		return;
	}
}

/*
 * A fused program (cf_tpl_compile.c fuse()): the steps of one op in a row,
 * each op's run a loop of its own, so no step pays an indirect jump; the
 * generic steps, last, go through cf_tpl_store() in template order.
 */
#define CF_TPL_RUN(op, body)                                                                      \
	for (e = t->steps + g->op_end[op]; sp < e; sp++) {                                        \
		const uint8_t *x = q + sp->off;                                                   \
		body;                                                                             \
	}
#define CF_TPL_REC (rb + sp->roff)

static inline void
cf_tpl_run_seg(const struct cf_tpl *t, const struct cf_tpl_seg *g, struct cf_record *r,
	       uint32_t *pres, struct cf_tpl_scr *s, const uint8_t *q)
{
	const struct cf_tpl_step *sp = t->steps + g->first, *e;
	uint8_t *rb = (uint8_t *)r;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	CF_TPL_RUN(CF_TPL_OP_CPY4, memcpy(CF_TPL_REC, x, 4))
	CF_TPL_RUN(CF_TPL_OP_N11, *CF_TPL_REC = x[0])
	CF_TPL_RUN(CF_TPL_OP_N22, v16 = cf_wire_be16(x); memcpy(CF_TPL_REC, &v16, 2))
	CF_TPL_RUN(CF_TPL_OP_N44, v32 = cf_wire_be32(x); memcpy(CF_TPL_REC, &v32, 4))
	CF_TPL_RUN(CF_TPL_OP_N88, v64 = cf_wire_be64(x); memcpy(CF_TPL_REC, &v64, 8))
	CF_TPL_RUN(CF_TPL_OP_N48, v64 = cf_wire_be32(x); memcpy(CF_TPL_REC, &v64, 8))
	CF_TPL_RUN(CF_TPL_OP_S4, s->v[sp->roff] = cf_wire_be32(x))
	CF_TPL_RUN(CF_TPL_OP_S8, s->v[sp->roff] = cf_wire_be64(x))
	/* the rarer ops: one test for all of them when a segment has none */
	if (__builtin_expect(g->rare, 0)) {
		CF_TPL_RUN(CF_TPL_OP_CPY6, memcpy(CF_TPL_REC, x, 6))
		CF_TPL_RUN(CF_TPL_OP_N14, v32 = x[0]; memcpy(CF_TPL_REC, &v32, 4))
		CF_TPL_RUN(CF_TPL_OP_N24, v32 = cf_wire_be16(x); memcpy(CF_TPL_REC, &v32, 4))
		CF_TPL_RUN(CF_TPL_OP_S1, s->v[sp->roff] = x[0])
		CF_TPL_RUN(CF_TPL_OP_S2, s->v[sp->roff] = cf_wire_be16(x))
	}
	for (e = t->steps + g->end; sp < e; sp++)
		cf_tpl_store(r, pres, s, sp->dst, q + sp->off, sp->len);
}
_Static_assert(CF_TPL_OP_S8 + 1 == CF_TPL_OP_MAX, "cf_tpl_run_seg() runs every op");
/* The runs above are in cf_tpl_op_order, the rare ones (CF_TPL_OPS_RARE) behind g->rare. */

/* A variable-length element's length at p[*pos] (RFC 7011 sec. 7); -1 past avail. */
static inline int64_t
var_len(const uint8_t *p, uint32_t *pos, uint32_t avail)
{
	uint32_t len;

	if (*pos + 1 > avail)
		return -1;
	len = p[(*pos)++];
	if (len == 255) {
		if (*pos + 2 > avail)
			return -1;
		len = cf_wire_be16(p + *pos);
		*pos += 2;
	}
	return len;
}

/* Bytes of the record at p under a fused variable-length template; 0 when it runs past avail. */
static inline uint32_t
var_measure(const struct cf_tpl *t, const uint8_t *p, uint32_t avail)
{
	uint32_t pos = 0, k;
	int64_t len;

	for (k = 0;; k++) {
		pos += t->segs[k].len;
		if (pos > avail)
			return 0;
		if (k + 1 == t->n_segs)
			return pos;
		if ((len = var_len(p, &pos, avail)) < 0 || pos + len > avail)
			return 0;
		pos += (uint32_t)len;
	}
}

/*
 * The record at p (measured whole by var_measure()) under a fused
 * variable-length template: each segment's program, then the element after
 * it as cf_tpl_walk() takes it.
 */
static inline void
var_decode(const struct cf_tpl *t, const uint8_t *p, struct cf_record *r, uint32_t *pres,
	   struct cf_tpl_scr *s)
{
	uint32_t pos = 0, k, len;

	for (k = 0;; k++) {
		const struct cf_tpl_step *st;

		cf_tpl_run_seg(t, &t->segs[k], r, pres, s, p + pos);
		pos += t->segs[k].len;
		if (k + 1 == t->n_segs)
			return;
		st = &t->steps[t->segs[k].end];
		len = (uint32_t)var_len(p, &pos, UINT32_MAX);
		/* A mapped element read as varlen must still fit its type. */
		if (st->dst != CF_TPL_D_SKIP &&
		    !(len == 0 || (len > 16 && !cf_tpl_dst_is_str(st->dst))))
			cf_tpl_store(r, pres, s, st->dst, p + pos, (uint16_t)len);
		pos += len;
	}
}

static inline uint64_t
ntp_ms(uint64_t v)
{
	uint64_t secs = v >> 32, frac = v & 0xffffffffu;

	if (secs < NTP_UNIX_OFFSET)
		return 0;
	return (secs - NTP_UNIX_OFFSET) * 1000 + ((frac * 1000) >> 32);
}

/* A flow time in Unix ms from whichever form the record carried; 0 = none. */
static uint64_t
flow_time(const struct cf_tpl_scr *s, const struct cf_tpl_msg *m, const struct cf_tpl_exp *ex,
	  int end)
{
	uint64_t v;

	if (CF_TPL_HAS(s, CF_TPL_D_T_SEC_START + end))
		return CF_TPL_VAL(s, CF_TPL_D_T_SEC_START + end) * 1000;
	if (CF_TPL_HAS(s, CF_TPL_D_T_MS_START + end))
		return CF_TPL_VAL(s, CF_TPL_D_T_MS_START + end);
	if (CF_TPL_HAS(s, CF_TPL_D_T_US_START + end))
		return ntp_ms(CF_TPL_VAL(s, CF_TPL_D_T_US_START + end));
	if (CF_TPL_HAS(s, CF_TPL_D_T_NS_START + end))
		return ntp_ms(CF_TPL_VAL(s, CF_TPL_D_T_NS_START + end));
	if (CF_TPL_HAS(s, CF_TPL_D_T_UP_START + end)) {
		v = CF_TPL_VAL(s, CF_TPL_D_T_UP_START + end);
		if (m->version == CF_RECORD_V_NF9) {
			/* Signed difference: an uptime wrap must not throw the time 49 days off. */
			return m->export_ms + (int64_t)(int32_t)((uint32_t)v - m->uptime_ms);
		}
		if (CF_TPL_HAS(s, CF_TPL_D_T_SYSINIT))
			return CF_TPL_VAL(s, CF_TPL_D_T_SYSINIT) + v;
		if (ex != NULL && ex->sysinit_ms != 0)
			return ex->sysinit_ms + v;
		return 0;
	}
	if (CF_TPL_HAS(s, CF_TPL_D_T_DUS_START + end))
		return m->export_ms - CF_TPL_VAL(s, CF_TPL_D_T_DUS_START + end) / 1000;
	return 0;
}

/* observationTime* (RFC 7011 IANA 322-325): the one instant of an event record; 0 = none. */
static uint64_t
obs_time(const struct cf_tpl_scr *s)
{
	if (CF_TPL_HAS(s, CF_TPL_D_T_OBS_MS))
		return CF_TPL_VAL(s, CF_TPL_D_T_OBS_MS);
	if (CF_TPL_HAS(s, CF_TPL_D_T_OBS_SEC))
		return CF_TPL_VAL(s, CF_TPL_D_T_OBS_SEC) * 1000;
	if (CF_TPL_HAS(s, CF_TPL_D_T_OBS_US))
		return ntp_ms(CF_TPL_VAL(s, CF_TPL_D_T_OBS_US));
	if (CF_TPL_HAS(s, CF_TPL_D_T_OBS_NS))
		return ntp_ms(CF_TPL_VAL(s, CF_TPL_D_T_OBS_NS));
	return 0;
}

#define TIME_BITS                                                                                 \
	(CF_TPL_BIT(CF_TPL_D_T_UP_START) | CF_TPL_BIT(CF_TPL_D_T_UP_END) |                        \
	 CF_TPL_BIT(CF_TPL_D_T_SEC_START) | CF_TPL_BIT(CF_TPL_D_T_SEC_END) |                      \
	 CF_TPL_BIT(CF_TPL_D_T_MS_START) | CF_TPL_BIT(CF_TPL_D_T_MS_END) |                        \
	 CF_TPL_BIT(CF_TPL_D_T_US_START) | CF_TPL_BIT(CF_TPL_D_T_US_END) |                        \
	 CF_TPL_BIT(CF_TPL_D_T_NS_START) | CF_TPL_BIT(CF_TPL_D_T_NS_END) |                        \
	 CF_TPL_BIT(CF_TPL_D_T_DUS_START) | CF_TPL_BIT(CF_TPL_D_T_DUS_END) |                      \
	 CF_TPL_BIT(CF_TPL_D_T_OBS_SEC) | CF_TPL_BIT(CF_TPL_D_T_OBS_MS) |                         \
	 CF_TPL_BIT(CF_TPL_D_T_OBS_US) | CF_TPL_BIT(CF_TPL_D_T_OBS_NS))

/*
 * flow_start/flow_end and where they came from: the flow's own times (one
 * of them stands for both when only one is there), else the observation time
 * of an event record, else the export time of the message. Never 0 (1970).
 */
static void
record_times(struct cf_record *r, const struct cf_tpl_scr *s, const struct cf_tpl_msg *m,
	     const struct cf_tpl_exp *ex)
{
	const uint64_t times = s->have & TIME_BITS;
	uint64_t a = 0, b = 0;

	/*
	 * The two common forms first (what flow_time() gives when the pair is
	 * all the record has): v9 FIRST/LAST_SWITCHED, IPFIX flowStart/EndMilliseconds.
	 */
	if (times == (CF_TPL_BIT(CF_TPL_D_T_UP_START) | CF_TPL_BIT(CF_TPL_D_T_UP_END)) &&
	    m->version == CF_RECORD_V_NF9) {
		a = m->export_ms + (int64_t)(int32_t)((uint32_t)CF_TPL_VAL(s, CF_TPL_D_T_UP_START) -
						      m->uptime_ms);
		b = m->export_ms + (int64_t)(int32_t)((uint32_t)CF_TPL_VAL(s, CF_TPL_D_T_UP_END) -
						      m->uptime_ms);
	} else if (times == (CF_TPL_BIT(CF_TPL_D_T_MS_START) | CF_TPL_BIT(CF_TPL_D_T_MS_END))) {
		a = CF_TPL_VAL(s, CF_TPL_D_T_MS_START);
		b = CF_TPL_VAL(s, CF_TPL_D_T_MS_END);
	} else if (times != 0) {
		a = flow_time(s, m, ex, 0);
		b = flow_time(s, m, ex, 1);
	}
	if (a != 0 || b != 0) {
		r->flow_start_ms = a != 0 ? a : b;
		r->flow_end_ms = b != 0 ? b : a;
		r->time_source = CF_RECORD_TS_FLOW;
	} else if ((s->have & TIME_BITS) && (a = obs_time(s)) != 0) {
		r->flow_start_ms = a;
		r->flow_end_ms = a;
		r->time_source = CF_RECORD_TS_OBSERVATION;
	} else {
		r->flow_start_ms = m->export_ms;
		r->flow_end_ms = m->export_ms;
		r->time_source = CF_RECORD_TS_EXPORT;
	}
	r->present |= CF_RECORD_F_FLOW_START | CF_RECORD_F_FLOW_END;
}

#define SAMP_NUM_BITS                                                                             \
	(CF_TPL_BIT(CF_TPL_D_SAMP_INTERVAL) | CF_TPL_BIT(CF_TPL_D_SAMP_PKT_INTERVAL) |            \
	 CF_TPL_BIT(CF_TPL_D_SAMP_SIZE) | CF_TPL_BIT(CF_TPL_D_SAMP_POP) |                         \
	 CF_TPL_BIT(CF_TPL_D_SAMP_PROB))
#define SAMP_BITS (SAMP_NUM_BITS | CF_TPL_BIT(CF_TPL_D_SAMP_ALGO) | CF_TPL_BIT(CF_TPL_D_SAMP_ID))

/* 1/p of an IEEE 754 float32 or float64 (bits in v), rounded; 0 unless 0 < p <= 1. */
static uint32_t
prob_rate(uint64_t v, int is_double)
{
	double p;

	if (is_double) {
		memcpy(&p, &v, sizeof(p));
	} else {
		uint32_t w = (uint32_t)v;
		float f;

		memcpy(&f, &w, sizeof(f));
		p = f;
	}
	if (!(p > 0.0 && p <= 1.0) || 1.0 / p > 4294967295.0)
		return 0;
	return (uint32_t)(1.0 / p + 0.5);
}

/*
 * Rate (1 in N) from the sampling numbers of one record (data or options);
 * 0 = none. samplingInterval / samplerRandomInterval (34, 50) are N;
 * count-based (305/306) selects `interval` packets and skips `space`; random
 * n-out-of-N (309/310) is population / size; probability (311) is 1 / p.
 */
static uint32_t
scr_rate(const struct cf_tpl_scr *s, uint8_t prob_double)
{
	if (!(s->have & SAMP_NUM_BITS))
		return 0;
	if (CF_TPL_HAS(s, CF_TPL_D_SAMP_INTERVAL))
		return (uint32_t)CF_TPL_VAL(s, CF_TPL_D_SAMP_INTERVAL);
	if (CF_TPL_HAS(s, CF_TPL_D_SAMP_PKT_INTERVAL) &&
	    CF_TPL_VAL(s, CF_TPL_D_SAMP_PKT_INTERVAL) != 0) {
		/* Select `interval` packets, skip `space`: 1 in (interval + space) / interval. */
		uint64_t i = CF_TPL_VAL(s, CF_TPL_D_SAMP_PKT_INTERVAL);
		uint64_t sp = CF_TPL_HAS(s, CF_TPL_D_SAMP_PKT_SPACE)
			? CF_TPL_VAL(s, CF_TPL_D_SAMP_PKT_SPACE)
			: 0;

		return (uint32_t)((i + sp) / i);
	}
	if (CF_TPL_HAS(s, CF_TPL_D_SAMP_SIZE) && CF_TPL_HAS(s, CF_TPL_D_SAMP_POP)) {
		uint64_t n = CF_TPL_VAL(s, CF_TPL_D_SAMP_SIZE), pop = CF_TPL_VAL(s, CF_TPL_D_SAMP_POP);

		if (n != 0 && pop >= n)
			return (uint32_t)((pop + n / 2) / n);
	}
	if (CF_TPL_HAS(s, CF_TPL_D_SAMP_PROB))
		return prob_rate(CF_TPL_VAL(s, CF_TPL_D_SAMP_PROB), prob_double);
	return 0;
}

/*
 * The rate a flow record was sampled at: its own numbers, else its sampler
 * or selector's (known without numbers: none), else the exporter's latest.
 * An algorithm named without numbers is no rate, never a guess.
 */
static uint32_t
record_rate(const struct cf_tpl_exp *ex, const struct cf_tpl_scr *s, uint8_t prob_double)
{
	uint32_t rate, i;

	if (s->have & SAMP_BITS) {
		rate = scr_rate(s, prob_double);
		if (rate != 0)
			return rate;
		if (ex != NULL && CF_TPL_HAS(s, CF_TPL_D_SAMP_ID)) {
			uint32_t id = (uint32_t)CF_TPL_VAL(s, CF_TPL_D_SAMP_ID);

			for (i = 0; i < ex->n_samplers; i++)
				if (ex->samplers[i].id == id)
					return ex->samplers[i].rate;
		}
		if (CF_TPL_HAS(s, CF_TPL_D_SAMP_ALGO))
			return 0;
	}
	return ex != NULL ? ex->rate : 0;
}

/* Two next hops (v4 in the scratch, v6 in the record): the flow's family, else the non-zero. */
static void
pick_next_hop(uint8_t *addr, uint32_t *pres, uint32_t bit, uint32_t bit6, int have4, uint64_t v4,
	      int flow_v6)
{
	int have6 = (*pres & bit6) != 0;

	if (!have4 || (have6 && (flow_v6 || v4 == 0)))
		return;
	if (have6 && flow_v6)
		return;
	memset(addr, 0, 16);
	addr[0] = (uint8_t)(v4 >> 24);
	addr[1] = (uint8_t)(v4 >> 16);
	addr[2] = (uint8_t)(v4 >> 8);
	addr[3] = (uint8_t)v4;
	*pres = (*pres & ~bit6) | bit;
}

static void
dual_next_hops(struct cf_record *r, const struct cf_tpl_scr *s)
{
	const int v6 = (r->present & CF_RECORD_F_SRC_V6) != 0;

	const int nh4 = CF_TPL_HAS(s, CF_TPL_D_NH4_ALT) != 0;
	const int bgp4 = CF_TPL_HAS(s, CF_TPL_D_BGP4_ALT) != 0;

	pick_next_hop(r->next_hop, &r->present, CF_RECORD_F_NEXT_HOP, CF_RECORD_F_NEXT_HOP_V6, nh4,
		      nh4 ? CF_TPL_VAL(s, CF_TPL_D_NH4_ALT) : 0, v6);
	pick_next_hop(r->bgp_next_hop, &r->present2, CF_RECORD_F2_BGP_NEXT_HOP,
		      CF_RECORD_F2_BGP_NEXT_HOP_V6, bgp4, bgp4 ? CF_TPL_VAL(s, CF_TPL_D_BGP4_ALT) : 0,
		      v6);
}

#define INNER_ADDR (CF_RECORD_F2_INNER_SRC_ADDR | CF_RECORD_F2_INNER_DST_ADDR)
#define INNER_ALL                                                                                 \
	(INNER_ADDR | CF_RECORD_F2_INNER_V6 | CF_RECORD_F2_INNER_PORTS | CF_RECORD_F2_INNER_PROTOCOL)

/*
 * A template with a second flow-key group: a tunnel when both headers have
 * an address, else one header (a template with both families, one unused):
 * then the second group's elements are the flow's where it lacks them, and
 * nothing is inner.
 */
static void
resolve_layers(struct cf_record *r)
{
	const int outer = (r->present & (CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR)) &&
		!(is_zero16(r->src_addr) && is_zero16(r->dst_addr));
	const int inner = (r->present2 & INNER_ADDR) &&
		!(is_zero16(r->inner_src_addr) && is_zero16(r->inner_dst_addr));

	if (outer && inner)
		return;
	if (!outer && inner) {
		memcpy(r->src_addr, r->inner_src_addr, 16);
		memcpy(r->dst_addr, r->inner_dst_addr, 16);
		r->present &= ~(uint32_t)(CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR |
					  CF_RECORD_F_SRC_V6);
		if (r->present2 & CF_RECORD_F2_INNER_SRC_ADDR)
			r->present |= CF_RECORD_F_SRC_ADDR;
		if (r->present2 & CF_RECORD_F2_INNER_DST_ADDR)
			r->present |= CF_RECORD_F_DST_ADDR;
		if (r->present2 & CF_RECORD_F2_INNER_V6)
			r->present |= CF_RECORD_F_SRC_V6;
	}
	if ((r->present2 & CF_RECORD_F2_INNER_PORTS) && !(r->present & CF_RECORD_F_PORTS)) {
		r->src_port = r->inner_src_port;
		r->dst_port = r->inner_dst_port;
		r->present |= CF_RECORD_F_PORTS;
	}
	if ((r->present2 & CF_RECORD_F2_INNER_PROTOCOL) && !(r->present & CF_RECORD_F_PROTOCOL)) {
		r->protocol = r->inner_protocol;
		r->present |= CF_RECORD_F_PROTOCOL;
	}
	memset(r->inner_src_addr, 0, 32);
	r->inner_src_port = 0;
	r->inner_dst_port = 0;
	r->inner_protocol = 0;
	r->present2 &= ~(uint32_t)INNER_ALL;
}

#define FRAME_FIELDS                                                                              \
	(CF_RECORD_F_SRC_MAC | CF_RECORD_F_DST_MAC | CF_RECORD_F_VLAN | CF_RECORD_F_TOS |         \
	 CF_RECORD_F_PROTOCOL | CF_RECORD_F_PORTS | CF_RECORD_F_TCP_FLAGS | CF_RECORD_F_ICMP)

/*
 * dataLinkFrameSection / ipHeaderPacketSection (RFC 7133): the sampled
 * frame's first bytes, decoded as an sFlow header is; what the template
 * carried itself wins.
 */
static void
frame_section(struct cf_record *r, const struct cf_tpl_scr *s)
{
	struct cf_record f;
	unsigned int k;
	uint32_t proto, got;

	if (CF_TPL_STR_HAS(s, CF_TPL_D_DL_FRAME)) {
		k = CF_TPL_D_DL_FRAME - CF_TPL_D_STR_FIRST;
		proto = CF_FRAME_ETHERNET;
	} else {
		k = CF_TPL_D_IP_SECTION - CF_TPL_D_STR_FIRST;
		proto = CF_FRAME_IP;
	}
	f.present = 0;
	cf_frame_parse(proto, s->str[k], s->str_len[k], &f);
	got = f.present & ~r->present;
	if ((f.present & (CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR)) &&
	    !(r->present & (CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR))) {
		memcpy(r->src_addr, f.src_addr, 16);
		memcpy(r->dst_addr, f.dst_addr, 16);
		if (!(f.present & CF_RECORD_F_SRC_V6))
			memset(r->src_addr + 4, 0, 12), memset(r->dst_addr + 4, 0, 12);
		r->present |= f.present & (CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR |
					   CF_RECORD_F_SRC_V6);
	}
	if (got & CF_RECORD_F_SRC_MAC)
		memcpy(r->src_mac, f.src_mac, 6);
	if (got & CF_RECORD_F_DST_MAC)
		memcpy(r->dst_mac, f.dst_mac, 6);
	if (got & CF_RECORD_F_VLAN)
		r->vlan_id = f.vlan_id;
	if (got & CF_RECORD_F_TOS)
		r->tos = f.tos;
	if (got & CF_RECORD_F_PROTOCOL)
		r->protocol = f.protocol;
	if (got & CF_RECORD_F_PORTS) {
		r->src_port = f.src_port;
		r->dst_port = f.dst_port;
	}
	if (got & CF_RECORD_F_TCP_FLAGS)
		r->tcp_flags = f.tcp_flags;
	if (got & CF_RECORD_F_ICMP) {
		r->icmp_type = f.icmp_type;
		r->icmp_code = f.icmp_code;
	}
	r->present |= got & FRAME_FIELDS;
}

static void
name_ref(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, struct cf_record *r,
	 enum cf_tpl_name_kind kind, uint64_t key, enum cf_record_name slot)
{
	uint32_t ref;

	if (ex->n_names_kind[kind] == 0)
		return;
	ref = cf_tpl_names_ref(ctx, ex, kind, key, slot);
	if (ref != 0) {
		r->names[slot] = ref;
		r->present2 |= CF_RECORD_F2_NAME_IN_IF << slot;
	}
}

/* The rarer elements: counter and interface fallbacks, frame sections, VRF, names. */
static void
finish_rare(struct cf_decode_ctx *ctx, struct cf_record *r, const struct cf_tpl_scr *s,
	    struct cf_tpl_exp *ex)
{
	if (!(r->present & CF_RECORD_F_BYTES)) {
		if (CF_TPL_HAS(s, CF_TPL_D_BYTES_ALT)) {
			r->bytes = CF_TPL_VAL(s, CF_TPL_D_BYTES_ALT);
			r->present |= CF_RECORD_F_BYTES;
		} else if (s->have & (CF_TPL_BIT(CF_TPL_D_BYTES_INIT) |
				      CF_TPL_BIT(CF_TPL_D_BYTES_RESP))) {
			/* NSEL: one record is the connection, both directions. */
			r->bytes = (CF_TPL_HAS(s, CF_TPL_D_BYTES_INIT) ?
				    CF_TPL_VAL(s, CF_TPL_D_BYTES_INIT) : 0) +
				(CF_TPL_HAS(s, CF_TPL_D_BYTES_RESP) ?
				 CF_TPL_VAL(s, CF_TPL_D_BYTES_RESP) : 0);
			r->present |= CF_RECORD_F_BYTES;
		} else if (CF_TPL_HAS(s, CF_TPL_D_DL_SIZE)) {
			r->bytes = CF_TPL_VAL(s, CF_TPL_D_DL_SIZE);
			r->present |= CF_RECORD_F_BYTES;
		}
	}
	if (!(r->present & CF_RECORD_F_PACKETS)) {
		if (CF_TPL_HAS(s, CF_TPL_D_PKTS_ALT)) {
			r->packets = CF_TPL_VAL(s, CF_TPL_D_PKTS_ALT);
			r->present |= CF_RECORD_F_PACKETS;
		} else if (s->have & (CF_TPL_BIT(CF_TPL_D_PKTS_INIT) |
				      CF_TPL_BIT(CF_TPL_D_PKTS_RESP))) {
			r->packets = (CF_TPL_HAS(s, CF_TPL_D_PKTS_INIT) ?
				      CF_TPL_VAL(s, CF_TPL_D_PKTS_INIT) : 0) +
				(CF_TPL_HAS(s, CF_TPL_D_PKTS_RESP) ?
				 CF_TPL_VAL(s, CF_TPL_D_PKTS_RESP) : 0);
			r->present |= CF_RECORD_F_PACKETS;
		} else if (CF_TPL_HAS(s, CF_TPL_D_DL_SIZE) || s->str_have) {
			r->packets = 1; /* one sampled frame */
			r->present |= CF_RECORD_F_PACKETS;
		}
	}
	if (!(r->present & CF_RECORD_F_INPUT_IF) && CF_TPL_HAS(s, CF_TPL_D_IN_IF_PHYS)) {
		r->input_if = (uint32_t)CF_TPL_VAL(s, CF_TPL_D_IN_IF_PHYS);
		r->present |= CF_RECORD_F_INPUT_IF;
	}
	if (!(r->present & CF_RECORD_F_OUTPUT_IF) && CF_TPL_HAS(s, CF_TPL_D_OUT_IF_PHYS)) {
		r->output_if = (uint32_t)CF_TPL_VAL(s, CF_TPL_D_OUT_IF_PHYS);
		r->present |= CF_RECORD_F_OUTPUT_IF;
	}
	if (!(r->present & CF_RECORD_F_SRC_MAC) && CF_TPL_HAS(s, CF_TPL_D_SRC_MAC_POST)) {
		put_mac(r->src_mac, CF_TPL_VAL(s, CF_TPL_D_SRC_MAC_POST));
		r->present |= CF_RECORD_F_SRC_MAC;
	}
	if (!(r->present & CF_RECORD_F_DST_MAC) && CF_TPL_HAS(s, CF_TPL_D_DST_MAC_POST)) {
		put_mac(r->dst_mac, CF_TPL_VAL(s, CF_TPL_D_DST_MAC_POST));
		r->present |= CF_RECORD_F_DST_MAC;
	}
	if (!(r->present & CF_RECORD_F_VLAN) && CF_TPL_HAS(s, CF_TPL_D_VLAN_DOT1Q)) {
		r->vlan_id = (uint16_t)(CF_TPL_VAL(s, CF_TPL_D_VLAN_DOT1Q) & 0xfff);
		r->present |= CF_RECORD_F_VLAN;
	}
	if (!(r->present & CF_RECORD_F_POST_VLAN) && CF_TPL_HAS(s, CF_TPL_D_POST_VLAN_DOT1Q)) {
		r->post_vlan_id = (uint16_t)(CF_TPL_VAL(s, CF_TPL_D_POST_VLAN_DOT1Q) & 0xfff);
		r->present |= CF_RECORD_F_POST_VLAN;
	}
	if (s->str_have & ((1u << (CF_TPL_D_DL_FRAME - CF_TPL_D_STR_FIRST)) |
			   (1u << (CF_TPL_D_IP_SECTION - CF_TPL_D_STR_FIRST))))
		frame_section(r, s);
	if (s->have & (CF_TPL_BIT(CF_TPL_D_VRF_IN) | CF_TPL_BIT(CF_TPL_D_VRF_OUT))) {
		r->vrf_id = (uint32_t)(CF_TPL_HAS(s, CF_TPL_D_VRF_IN) ? CF_TPL_VAL(s, CF_TPL_D_VRF_IN)
								       : CF_TPL_VAL(s, CF_TPL_D_VRF_OUT));
		r->present2 |= CF_RECORD_F2_VRF_ID;
	}
	if (ex != NULL && ex->n_names != 0) {
		if (r->present & CF_RECORD_F_INPUT_IF)
			name_ref(ctx, ex, r, CF_TPL_NAME_IF, r->input_if, CF_RECORD_NAME_IN_IF);
		if (r->present & CF_RECORD_F_OUTPUT_IF)
			name_ref(ctx, ex, r, CF_TPL_NAME_IF, r->output_if, CF_RECORD_NAME_OUT_IF);
		if (r->present2 & CF_RECORD_F2_VRF_ID)
			name_ref(ctx, ex, r, CF_TPL_NAME_VRF, r->vrf_id, CF_RECORD_NAME_VRF);
		if (CF_TPL_HAS(s, CF_TPL_D_APP_ID))
			name_ref(ctx, ex, r, CF_TPL_NAME_APP, CF_TPL_VAL(s, CF_TPL_D_APP_ID),
				 CF_RECORD_NAME_APP);
	}
}

/* Scratch bits finish_rare() reads (and names: any record of an exporter that has some). */
#define RARE_BITS                                                                                 \
	(CF_TPL_BIT(CF_TPL_D_BYTES_ALT) | CF_TPL_BIT(CF_TPL_D_PKTS_ALT) |                         \
	 CF_TPL_BIT(CF_TPL_D_BYTES_INIT) | CF_TPL_BIT(CF_TPL_D_BYTES_RESP) |                      \
	 CF_TPL_BIT(CF_TPL_D_PKTS_INIT) | CF_TPL_BIT(CF_TPL_D_PKTS_RESP) |                        \
	 CF_TPL_BIT(CF_TPL_D_DL_SIZE) | CF_TPL_BIT(CF_TPL_D_IN_IF_PHYS) |                         \
	 CF_TPL_BIT(CF_TPL_D_OUT_IF_PHYS) | CF_TPL_BIT(CF_TPL_D_VRF_IN) |                         \
	 CF_TPL_BIT(CF_TPL_D_VRF_OUT) | CF_TPL_BIT(CF_TPL_D_APP_ID) |                             \
	 CF_TPL_BIT(CF_TPL_D_SRC_MAC_POST) | CF_TPL_BIT(CF_TPL_D_DST_MAC_POST) |                  \
	 CF_TPL_BIT(CF_TPL_D_VLAN_DOT1Q) | CF_TPL_BIT(CF_TPL_D_POST_VLAN_DOT1Q))

/* Resolve fallbacks, times and sampling once a flow record's elements are in. */
static inline void
cf_tpl_finish(struct cf_decode_ctx *ctx, const struct cf_tpl *t, struct cf_record *r,
	      const struct cf_tpl_scr *s, const struct cf_tpl_msg *m, struct cf_tpl_exp *ex,
	      const struct cf_decode_dgram *dg)
{
	if (__builtin_expect(t->flags != 0, 0)) {
		if (t->flags & CF_TPL_F_LAYERED)
			resolve_layers(r);
		if (t->flags & CF_TPL_F_DUAL_NH)
			dual_next_hops(r, s);
	}
	if ((s->have & RARE_BITS) || s->str_have || (ex != NULL && ex->n_names != 0))
		finish_rare(ctx, r, s, ex);
	record_times(r, s, m, ex);
	cf_decode_record_origin(r, dg, m->version, m->domain);
	cf_decode_apply_sampling(ctx->cfg, r, record_rate(ex, s, t->prob_double));
}

/* Trim a fixed-length name at its first NUL (exporters pad them). */
static uint32_t
name_len(const uint8_t *p, uint32_t len)
{
	const uint8_t *z = memchr(p, 0, len);

	return z != NULL ? (uint32_t)(z - p) : len;
}

static int
opt_name(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, const struct cf_tpl_scr *s,
	 enum cf_tpl_name_kind kind, uint64_t key, uint16_t d1, uint16_t d2)
{
	const uint16_t d[2] = {d1, d2};
	unsigned int i, k;
	uint32_t n;

	/* the first that is there and not empty: interfaceName before interfaceDescription */
	for (i = 0; i < 2; i++) {
		k = d[i] - CF_TPL_D_STR_FIRST;
		if ((s->str_have & (1u << k)) && (n = name_len(s->str[k], s->str_len[k])) != 0) {
			cf_tpl_names_set(ctx, ex, kind, key, s->str[k], n);
			return 1;
		}
	}
	return 0;
}

/*
 * Options data: sampling (per sampler/selector id, and the exporter's
 * latest), system init time, names of interfaces, VRFs and applications;
 * each record counted by what it told.
 */
static void
cf_tpl_options(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, const struct cf_tpl *t,
	       const struct cf_record *o, const struct cf_tpl_scr *s)
{
	struct cf_stats_lcore *st = ctx->stats;
	uint32_t rate = scr_rate(s, t->prob_double), i;
	int told = 0;

	if (CF_TPL_HAS(s, CF_TPL_D_T_SYSINIT)) {
		ex->sysinit_ms = CF_TPL_VAL(s, CF_TPL_D_T_SYSINIT);
		st->opt_sysinit++;
		told = 1;
	}
	if (rate != 0 || CF_TPL_HAS(s, CF_TPL_D_SAMP_ALGO)) {
		st->opt_sampling++;
		told = 1;
		if (rate != 0)
			ex->rate = rate;
		if (CF_TPL_HAS(s, CF_TPL_D_SAMP_ID)) {
			uint32_t id = (uint32_t)CF_TPL_VAL(s, CF_TPL_D_SAMP_ID);

			for (i = 0; i < ex->n_samplers; i++)
				if (ex->samplers[i].id == id)
					break;
			if (i == CF_TPL_MAX_SAMPLERS)
				i = CF_TPL_MAX_SAMPLERS - 1; /* full: the newest takes the last slot */
			else if (i == ex->n_samplers) {
				ex->n_samplers++;
				ex->samplers[i].rate = 0;
			}
			ex->samplers[i].id = id;
			/* an algorithm alone does not forget the numbers told before */
			if (rate != 0)
				ex->samplers[i].rate = rate;
		}
	}
	if (s->str_have) {
		if ((o->present & (CF_RECORD_F_INPUT_IF | CF_RECORD_F_OUTPUT_IF)) &&
		    opt_name(ctx, ex, s, CF_TPL_NAME_IF,
			     (o->present & CF_RECORD_F_INPUT_IF) ? o->input_if : o->output_if,
			     CF_TPL_D_NAME_IF, CF_TPL_D_NAME_IF_DESC)) {
			st->opt_if_name++;
			told = 1;
		}
		if ((s->have & (CF_TPL_BIT(CF_TPL_D_VRF_IN) | CF_TPL_BIT(CF_TPL_D_VRF_OUT))) &&
		    opt_name(ctx, ex, s, CF_TPL_NAME_VRF,
			     CF_TPL_HAS(s, CF_TPL_D_VRF_IN) ? CF_TPL_VAL(s, CF_TPL_D_VRF_IN)
							   : CF_TPL_VAL(s, CF_TPL_D_VRF_OUT),
			     CF_TPL_D_NAME_VRF, CF_TPL_D_NAME_VRF)) {
			st->opt_vrf_name++;
			told = 1;
		}
		if (CF_TPL_HAS(s, CF_TPL_D_APP_ID) &&
		    opt_name(ctx, ex, s, CF_TPL_NAME_APP, CF_TPL_VAL(s, CF_TPL_D_APP_ID),
			     CF_TPL_D_NAME_APP, CF_TPL_D_NAME_APP)) {
			st->opt_app_name++;
			told = 1;
		}
	}
	if (!told)
		st->opt_other++;
}

/* Varlen walk; returns bytes used, 0 when the record runs past avail. */
static uint32_t
cf_tpl_walk(const struct cf_tpl *t, const uint8_t *p, uint32_t avail, struct cf_record *r,
	    struct cf_tpl_scr *s)
{
	uint32_t pos = 0, i, pres = r->present;

	for (i = 0; i < t->n_steps; i++) {
		const struct cf_tpl_step *st = &t->steps[i];
		uint32_t len = st->len;

		if (len == CF_TPL_VARLEN) {
			if (pos + 1 > avail)
				return 0;
			len = p[pos++];
			if (len == 255) {
				if (pos + 2 > avail)
					return 0;
				len = cf_wire_be16(p + pos);
				pos += 2;
			}
			/* A mapped element read as varlen must still fit its type. */
			if (st->dst != CF_TPL_D_SKIP &&
			    (len == 0 || (len > 16 && !cf_tpl_dst_is_str(st->dst)))) {
				pos += len;
				if (pos > avail)
					return 0;
				continue;
			}
		}
		if (pos + len > avail)
			return 0;
		cf_tpl_store(r, &pres, s, st->dst, p + pos, (uint16_t)len);
		pos += len;
	}
	r->present = pres;
	return pos;
}

/* Counted on the template for the operators' view; single writer, whole-word stores. */
static inline void
tpl_count(const struct cf_tpl *t, uint32_t n)
{
	struct cf_tpl *w = (struct cf_tpl *)(uintptr_t)t;

	__atomic_store_n(&w->records, w->records + n, __ATOMIC_RELAXED);
}

/* Options records of one set: exporter state only, no flow records. */
static uint32_t
options_set(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, const struct cf_tpl *t,
	    const uint8_t *p, uint32_t len, uint32_t cap)
{
	struct cf_stats_lcore *st = ctx->stats;
	struct cf_tpl_scr s;
	struct cf_record o;
	uint32_t n = 0, pos = 0;

	while (len - pos >= t->rec_len) {
		uint32_t used;

		memset(&o, 0, sizeof(o));
		s.have = 0;
		s.str_have = 0;
		if (t->varlen) {
			used = cf_tpl_walk(t, p + pos, len - pos, &o, &s);
			if (used == 0) {
				st->drops[CF_STATS_DROP_REC_TRUNCATED]++;
				break;
			}
		} else {
			uint32_t i, pres = 0;

			for (i = 0; i < t->n_steps; i++)
				cf_tpl_store(&o, &pres, &s, t->steps[i].dst,
					     p + pos + t->steps[i].off, t->steps[i].len);
			o.present = pres;
			used = t->rec_len;
		}
		if (n < cap) {
			if (ex != NULL)
				cf_tpl_options(ctx, ex, t, &o, &s);
		} else {
			st->drops[CF_STATS_DROP_REC_AMPLIFIED]++;
		}
		pos += used;
		n++;
	}
	tpl_count(t, n < cap ? n : cap);
	return n;
}

uint32_t
cf_tpl_data_set(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, const struct cf_tpl *t,
		const struct cf_tpl_msg *m, const struct cf_decode_dgram *dg, const uint8_t *p,
		uint32_t len)
{
	struct cf_stats_lcore *st = ctx->stats;
	struct cf_tpl_scr s;
	/* One record per CF_TPL_MIN_RECORD_BYTES of the set, its header included; one at least. */
	const uint32_t cap = len + 4 >= 2 * CF_TPL_MIN_RECORD_BYTES
		? (len + 4) / CF_TPL_MIN_RECORD_BYTES : 1;
	uint32_t n = 0, pos = 0, done = 0;

	if (t->kind == CF_TPL_KIND_OPTIONS)
		return options_set(ctx, ex, t, p, len, cap);

	s.str_have = 0;
	if (!t->varlen) {
		const uint32_t rl = t->rec_len, cnt = len / rl;
		const struct cf_tpl_step *steps = t->steps, *end = t->steps + t->n_steps;
		uint32_t dec = cnt;
		const int fused = t->n_segs != 0;

		if (__builtin_expect(cnt > cap, 0)) {
			dec = cap;
			st->drops[CF_STATS_DROP_REC_AMPLIFIED] += cnt - cap;
		}
		for (n = 0; n < dec; n++) {
			const uint8_t *q = p + n * rl;
			struct cf_record *r = tpl_slot(ctx->sink);
			const struct cf_tpl_step *sp;
			uint32_t pres = 0;

			if (r == NULL) {
				st->drops[CF_STATS_DROP_NO_BLOCK] += dec - n;
				break;
			}
			s.have = t->fast_have;
			s.str_have = 0;
			if (fused)
				cf_tpl_run_seg(t, &t->segs[0], r, &pres, &s, q);
			else
				for (sp = steps; sp < end; sp++)
					cf_tpl_step(r, &pres, &s, sp, q + sp->off);
			r->present = pres | t->fast_present;
			cf_tpl_finish(ctx, t, r, &s, m, ex, dg);
			st->records++;
		}
		tpl_count(t, n);
		return cnt;
	}

	/* Fused: the record measured first, then decoded straight into its slot. */
	while (t->n_segs != 0 && len - pos >= t->rec_len) {
		struct cf_record *r;
		uint32_t used = var_measure(t, p + pos, len - pos), pres = 0;

		if (used == 0) {
			st->drops[CF_STATS_DROP_REC_TRUNCATED]++;
			break;
		}
		n++;
		if (n > cap) {
			st->drops[CF_STATS_DROP_REC_AMPLIFIED]++;
			pos += used;
			continue;
		}
		r = tpl_slot(ctx->sink);
		if (r == NULL) {
			st->drops[CF_STATS_DROP_NO_BLOCK]++;
			pos += used;
			continue;
		}
		s.have = t->fast_have;
		s.str_have = 0;
		var_decode(t, p + pos, r, &pres, &s);
		r->present = pres | t->fast_present;
		cf_tpl_finish(ctx, t, r, &s, m, ex, dg);
		st->records++;
		done++;
		pos += used;
	}
	while (t->n_segs == 0 && len - pos >= t->rec_len) {
		struct cf_record tmp, *r;
		uint32_t used;

		memset(&tmp, 0, sizeof(tmp));
		s.have = 0;
		s.str_have = 0;
		used = cf_tpl_walk(t, p + pos, len - pos, &tmp, &s);
		if (used == 0) {
			st->drops[CF_STATS_DROP_REC_TRUNCATED]++;
			break;
		}
		pos += used;
		n++;
		if (n > cap) {
			st->drops[CF_STATS_DROP_REC_AMPLIFIED]++;
			continue;
		}
		r = cf_record_sink_next(ctx->sink);
		if (r == NULL) {
			st->drops[CF_STATS_DROP_NO_BLOCK]++;
			continue;
		}
		*r = tmp;
		cf_tpl_finish(ctx, t, r, &s, m, ex, dg);
		st->records++;
		done++;
	}
	tpl_count(t, done);
	return n;
}

uint32_t
cf_tpl_data_flowset(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid,
		    const struct cf_tpl_msg *m, const struct cf_decode_dgram *dg, const uint8_t *p,
		    uint32_t len)
{
	const struct cf_tpl *t = ex != NULL ? cf_tpl_find(ctx, ex, tid, dg->now_ms) : NULL;

	if (t != NULL)
		return cf_tpl_data_set(ctx, ex, t, m, dg, p, len);
	if (ex == NULL || cf_tpl_pending_add(ctx, ex, tid, m, p, len, dg->now_ms) != 0)
		ctx->stats->drops[CF_STATS_DROP_NO_TEMPLATE]++;
	return CF_TPL_SET_UNKNOWN;
}
