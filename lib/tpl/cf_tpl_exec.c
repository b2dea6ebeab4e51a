/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The executor: run a compiled template over the records of a data set.
 * Fixed-length records go through one loop over (offset, length,
 * destination) steps; records of a template with a variable-length element
 * are walked field by field. cf_tpl_data_flowset() is the decoders' entry:
 * template found -> decode, else wait for it (cf_tpl_pending.c) or count
 * no_template.
 */
#include <string.h>

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
	case CF_TPL_D_NH6:
		memcpy(r->next_hop, q, 16);
		*pres |= CF_RECORD_F_NEXT_HOP | CF_RECORD_F_NEXT_HOP_V6;
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
			uint32_t bit = 1u << (dst - CF_TPL_D_SCR_FIRST);

			/* First of several alternatives wins. */
			if (!(s->have & bit)) {
				s->have |= bit;
				s->v[dst - CF_TPL_D_SCR_FIRST] = rd_un(q, len);
			}
		}
		return;
	}
}

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
		if (ex->sysinit_ms != 0)
			return ex->sysinit_ms + v;
		return 0;
	}
	if (CF_TPL_HAS(s, CF_TPL_D_T_DUS_START + end))
		return m->export_ms - CF_TPL_VAL(s, CF_TPL_D_T_DUS_START + end) / 1000;
	return 0;
}

/* Rate from sampling elements of one record (data or options); 0 = none. */
static uint32_t
scr_rate(const struct cf_tpl_scr *s)
{
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
	return 0;
}

static uint32_t
exp_rate(const struct cf_tpl_exp *ex, const struct cf_tpl_scr *s)
{
	uint32_t i;

	if (CF_TPL_HAS(s, CF_TPL_D_SAMP_ID)) {
		uint32_t id = (uint32_t)CF_TPL_VAL(s, CF_TPL_D_SAMP_ID);

		for (i = 0; i < ex->n_samplers; i++)
			if (ex->samplers[i].id == id)
				return ex->samplers[i].rate;
	}
	return ex->rate;
}

/* Resolve fallbacks, times and sampling once a flow record's elements are in. */
static void
cf_tpl_finish(struct cf_decode_ctx *ctx, struct cf_record *r, const struct cf_tpl_scr *s,
	      const struct cf_tpl_msg *m, const struct cf_tpl_exp *ex,
	      const struct cf_decode_dgram *dg)
{
	uint32_t rate = 0;
	uint64_t t;

	if (s->have != 0) {
		if (!(r->present & CF_RECORD_F_BYTES) && CF_TPL_HAS(s, CF_TPL_D_BYTES_ALT)) {
			r->bytes = CF_TPL_VAL(s, CF_TPL_D_BYTES_ALT);
			r->present |= CF_RECORD_F_BYTES;
		}
		if (!(r->present & CF_RECORD_F_PACKETS) && CF_TPL_HAS(s, CF_TPL_D_PKTS_ALT)) {
			r->packets = CF_TPL_VAL(s, CF_TPL_D_PKTS_ALT);
			r->present |= CF_RECORD_F_PACKETS;
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
		if (!(r->present & CF_RECORD_F_POST_VLAN) &&
		    CF_TPL_HAS(s, CF_TPL_D_POST_VLAN_DOT1Q)) {
			r->post_vlan_id =
				(uint16_t)(CF_TPL_VAL(s, CF_TPL_D_POST_VLAN_DOT1Q) & 0xfff);
			r->present |= CF_RECORD_F_POST_VLAN;
		}
		t = flow_time(s, m, ex, 0);
		if (t != 0) {
			r->flow_start_ms = t;
			r->present |= CF_RECORD_F_FLOW_START;
		}
		t = flow_time(s, m, ex, 1);
		if (t != 0) {
			r->flow_end_ms = t;
			r->present |= CF_RECORD_F_FLOW_END;
		}
		rate = scr_rate(s);
	}
	if (rate == 0 && ex != NULL)
		rate = exp_rate(ex, s);
	cf_decode_record_origin(r, dg, m->version, m->domain);
	cf_decode_apply_sampling(ctx->cfg, r, rate);
}

/* Options data: remember sampling and system init time for the exporter. */
static void
cf_tpl_options(struct cf_tpl_exp *ex, const struct cf_tpl_scr *s)
{
	uint32_t rate = scr_rate(s), i;

	if (CF_TPL_HAS(s, CF_TPL_D_T_SYSINIT))
		ex->sysinit_ms = CF_TPL_VAL(s, CF_TPL_D_T_SYSINIT);
	if (rate == 0)
		return;
	ex->rate = rate;
	if (!CF_TPL_HAS(s, CF_TPL_D_SAMP_ID))
		return;
	for (i = 0; i < ex->n_samplers; i++)
		if (ex->samplers[i].id == (uint32_t)CF_TPL_VAL(s, CF_TPL_D_SAMP_ID))
			break;
	if (i == CF_TPL_MAX_SAMPLERS)
		i = CF_TPL_MAX_SAMPLERS - 1; /* full: the newest sampler takes the last slot */
	else if (i == ex->n_samplers)
		ex->n_samplers++;
	ex->samplers[i].id = (uint32_t)CF_TPL_VAL(s, CF_TPL_D_SAMP_ID);
	ex->samplers[i].rate = rate;
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
			if (st->dst != CF_TPL_D_SKIP && (len == 0 || len > 16)) {
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

uint32_t
cf_tpl_data_set(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, const struct cf_tpl *t,
		const struct cf_tpl_msg *m, const struct cf_decode_dgram *dg, const uint8_t *p,
		uint32_t len)
{
	struct cf_stats_lcore *st = ctx->stats;
	struct cf_tpl_scr s;
	uint32_t n = 0, pos = 0;

	if (t->kind == CF_TPL_KIND_OPTIONS) {
		struct cf_record dummy;

		dummy.present = 0; /* walked records start from it; the rest is write-only */

		while (len - pos >= t->rec_len) {
			uint32_t used;

			s.have = 0;
			if (t->varlen) {
				used = cf_tpl_walk(t, p + pos, len - pos, &dummy, &s);
				if (used == 0) {
					st->drops[CF_STATS_DROP_REC_TRUNCATED]++;
					break;
				}
			} else {
				uint32_t i, pres = 0;

				for (i = 0; i < t->n_steps; i++)
					cf_tpl_store(&dummy, &pres, &s, t->steps[i].dst,
						     p + pos + t->steps[i].off, t->steps[i].len);
				used = t->rec_len;
			}
			if (ex != NULL)
				cf_tpl_options(ex, &s);
			pos += used;
			n++;
		}
		return n;
	}

	if (!t->varlen) {
		const uint32_t rl = t->rec_len, cnt = len / rl;
		const struct cf_tpl_step *steps = t->steps, *end = t->steps + t->n_steps;

		for (n = 0; n < cnt; n++) {
			const uint8_t *q = p + n * rl;
			struct cf_record *r = cf_record_sink_next(ctx->sink);
			const struct cf_tpl_step *sp;
			uint32_t pres = 0;

			if (r == NULL) {
				st->drops[CF_STATS_DROP_NO_BLOCK] += cnt - n;
				return cnt;
			}
			s.have = 0;
			for (sp = steps; sp < end; sp++)
				cf_tpl_step(r, &pres, &s, sp, q + sp->off);
			r->present = pres | t->fast_present;
			cf_tpl_finish(ctx, r, &s, m, ex, dg);
			st->records++;
		}
		return cnt;
	}

	while (len - pos >= t->rec_len) {
		struct cf_record tmp, *r;
		uint32_t used;

		memset(&tmp, 0, sizeof(tmp));
		s.have = 0;
		used = cf_tpl_walk(t, p + pos, len - pos, &tmp, &s);
		if (used == 0) {
			st->drops[CF_STATS_DROP_REC_TRUNCATED]++;
			break;
		}
		pos += used;
		n++;
		r = cf_record_sink_next(ctx->sink);
		if (r == NULL) {
			st->drops[CF_STATS_DROP_NO_BLOCK]++;
			continue;
		}
		*r = tmp;
		cf_tpl_finish(ctx, r, &s, m, ex, dg);
		st->records++;
	}
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
