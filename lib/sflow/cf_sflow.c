/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sFlow v5 datagram walk: header, samples, flow records, counter records.
 * Every length is checked against what encloses it before the bytes it
 * covers are read: the datagram bounds a sample, a sample bounds its records.
 */
#include <string.h>

#include "cf_frame.h"
#include "cf_sflow_priv.h"
#include "cf_wire.h"

/* What one flow sample says about its packet, before it becomes a record. */
struct cf_sflow_flow {
	struct cf_record *rec;    /* the sink slot being filled */
	uint32_t rate;
	uint32_t src_type, src_index;
	uint32_t in_fmt, in_val, out_fmt, out_val;
	uint32_t len_prio;         /* which record gave r.bytes: 0 none .. 3 raw header */
	uint8_t have_hdr_l3;       /* the sampled header gave addresses */
};

/* Bytes of an XDR address (type + value) at p, or 0 for an unknown type. */
static inline uint32_t
cf_sflow_addr_len(const uint8_t *p)
{
	switch (cf_wire_be32(p)) {
	case 1: return 8;
	case 2: return 20;
	default: return 0;
	}
}

static inline void
flow_len(struct cf_sflow_flow *f, uint32_t len, uint32_t prio)
{
	if (prio > f->len_prio) {
		f->len_prio = prio;
		f->rec->bytes = len;
	}
}

int
cf_sflow_parse_header(uint32_t proto, const uint8_t *h, uint32_t hlen, struct cf_record *r)
{
	/* sFlow's header_protocol numbers are lib/frame's. */
	if (proto != CF_SFLOW_HDR_ETHERNET && proto != CF_SFLOW_HDR_IPV4 &&
	    proto != CF_SFLOW_HDR_IPV6)
		return 0;
	return cf_frame_parse(proto, h, hlen, r);
}

/* One flow record of length n at p. 0 when decoded or skipped, else a drop reason. */
static enum cf_stats_drop
flow_record(struct cf_decode_ctx *ctx, struct cf_sflow_flow *f, uint32_t fmt, const uint8_t *p,
	    uint32_t n)
{
	struct cf_record *r = f->rec;
	uint32_t alen;

	if ((fmt >> 12) != 0) {
		cf_sflow_unknown_hit(ctx->sflow, CF_SFLOW_KIND_FLOW_RECORD, fmt >> 12, fmt & 0xfff);
		return CF_STATS_DROP_SFLOW_UNKNOWN_RECORD;
	}
	switch (fmt) {
	case CF_SFLOW_FLOW_HEADER: {
		uint32_t hlen;

		if (n < 16 || (hlen = cf_wire_be32(p + 12)) > n - 16)
			return CF_STATS_DROP_SFLOW_RECORD_SHORT;
		flow_len(f, cf_wire_be32(p + 4), 3);
		if (cf_sflow_parse_header(cf_wire_be32(p), p + 16, hlen, r) &&
		    (r->present & CF_RECORD_F_SRC_ADDR))
			f->have_hdr_l3 = 1;
		return CF_STATS_DROP_MAX;
	}
	case CF_SFLOW_FLOW_ETHERNET:
		if (n < 24)
			return CF_STATS_DROP_SFLOW_RECORD_SHORT;
		flow_len(f, cf_wire_be32(p), 1);
		if (!(r->present & CF_RECORD_F_SRC_MAC)) {
			memcpy(r->src_mac, p + 4, 6);
			memcpy(r->dst_mac, p + 12, 6);
			r->present |= CF_RECORD_F_SRC_MAC | CF_RECORD_F_DST_MAC;
		}
		return CF_STATS_DROP_MAX;
	case CF_SFLOW_FLOW_IPV4:
	case CF_SFLOW_FLOW_IPV6: {
		uint32_t a = fmt == CF_SFLOW_FLOW_IPV4 ? 4 : 16;

		if (n < 24 + 2 * a)
			return CF_STATS_DROP_SFLOW_RECORD_SHORT;
		flow_len(f, cf_wire_be32(p), 2);
		/* The sampled header, when there is one, is the more direct witness. */
		if (f->have_hdr_l3)
			return CF_STATS_DROP_MAX;
		r->protocol = (uint8_t)cf_wire_be32(p + 4);
		memset(r->src_addr, 0, 16);
		memset(r->dst_addr, 0, 16);
		memcpy(r->src_addr, p + 8, a);
		memcpy(r->dst_addr, p + 8 + a, a);
		r->src_port = (uint16_t)cf_wire_be32(p + 8 + 2 * a);
		r->dst_port = (uint16_t)cf_wire_be32(p + 12 + 2 * a);
		r->tcp_flags = (uint8_t)cf_wire_be32(p + 16 + 2 * a);
		r->tos = (uint8_t)cf_wire_be32(p + 20 + 2 * a);
		r->present |= CF_RECORD_F_PROTOCOL | CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR |
			CF_RECORD_F_TOS;
		if (a == 16)
			r->present |= CF_RECORD_F_SRC_V6;
		else
			r->present &= ~(uint32_t)CF_RECORD_F_SRC_V6;
		if (r->protocol == 6 || r->protocol == 17 || r->protocol == 132)
			r->present |= CF_RECORD_F_PORTS;
		if (r->protocol == 6)
			r->present |= CF_RECORD_F_TCP_FLAGS;
		return CF_STATS_DROP_MAX;
	}
	case CF_SFLOW_FLOW_EXT_SWITCH:
		if (n < 16)
			return CF_STATS_DROP_SFLOW_RECORD_SHORT;
		/*
		 * The switch knows the VLAN even of untagged (native) frames; 0 = none,
		 * and a value no 12-bit VLAN id can be (agents send 0xFFFFFFFF) is
		 * "unknown": null, not its low 12 bits (4095).
		 */
		if (cf_wire_be32(p) != 0 && cf_wire_be32(p) <= 0x0fff) {
			r->vlan_id = (uint16_t)cf_wire_be32(p);
			r->present |= CF_RECORD_F_VLAN;
		}
		if (cf_wire_be32(p + 8) != 0 && cf_wire_be32(p + 8) <= 0x0fff) {
			r->post_vlan_id = (uint16_t)cf_wire_be32(p + 8);
			r->present |= CF_RECORD_F_POST_VLAN;
		}
		return CF_STATS_DROP_MAX;
	case CF_SFLOW_FLOW_EXT_ROUTER:
		if (n < 4 || (alen = cf_sflow_addr_len(p)) == 0 || n < alen + 8)
			return CF_STATS_DROP_SFLOW_RECORD_SHORT;
		memset(r->next_hop, 0, 16);
		memcpy(r->next_hop, p + 4, alen - 4);
		r->present |= CF_RECORD_F_NEXT_HOP | CF_RECORD_F_SRC_MASK | CF_RECORD_F_DST_MASK;
		if (alen == 20)
			r->present |= CF_RECORD_F_NEXT_HOP_V6;
		r->src_mask = (uint8_t)cf_wire_be32(p + alen);
		r->dst_mask = (uint8_t)cf_wire_be32(p + alen + 4);
		return CF_STATS_DROP_MAX;
	case CF_SFLOW_FLOW_EXT_GATEWAY: {
		uint32_t off, nseg, i, dst_as = 0, have_dst = 0;

		if (n < 4 || (alen = cf_sflow_addr_len(p)) == 0 || n < alen + 16)
			return CF_STATS_DROP_SFLOW_RECORD_SHORT;
		off = alen;
		r->src_as = cf_wire_be32(p + off + 4);
		nseg = cf_wire_be32(p + off + 12);
		off += 16;
		/* The destination AS is the last one of the AS path. */
		for (i = 0; i < nseg; i++) {
			uint32_t cnt;

			if (n - off < 8)
				return CF_STATS_DROP_SFLOW_RECORD_SHORT;
			cnt = cf_wire_be32(p + off + 4);
			off += 8;
			if (cnt > (n - off) / 4)
				return CF_STATS_DROP_SFLOW_RECORD_SHORT;
			if (cnt != 0) {
				dst_as = cf_wire_be32(p + off + 4 * (cnt - 1));
				have_dst = 1;
			}
			off += 4 * cnt;
		}
		r->present |= CF_RECORD_F_SRC_AS;
		if (have_dst) {
			r->dst_as = dst_as;
			r->present |= CF_RECORD_F_DST_AS;
		}
		return CF_STATS_DROP_MAX;
	}
	default:
		cf_sflow_unknown_hit(ctx->sflow, CF_SFLOW_KIND_FLOW_RECORD, 0, fmt);
		return CF_STATS_DROP_SFLOW_UNKNOWN_RECORD;
	}
}

/* Interface fields: format 0 = ifIndex, 1 = discarded, 2 = several outputs. */
static void
flow_ifaces(struct cf_sflow_flow *f)
{
	struct cf_record *r = f->rec;

	/* 0 is "unknown" and 0x3fffffff "internal": neither is an ifIndex. */
	if (f->in_fmt == 0 && f->in_val != 0 && f->in_val != 0x3fffffff) {
		r->input_if = f->in_val;
		r->present |= CF_RECORD_F_INPUT_IF;
	}
	if (f->out_fmt == 0 && f->out_val != 0 && f->out_val != 0x3fffffff) {
		r->output_if = f->out_val;
		r->present |= CF_RECORD_F_OUTPUT_IF;
	} else if (f->out_fmt == 1) {
		/* Dropped: NetFlow's convention is output interface 0. */
		r->output_if = 0;
		r->present |= CF_RECORD_F_OUTPUT_IF;
	}
	/* The data source says on which side the packet was sampled. */
	if (f->src_type == 0 && f->src_index != 0) {
		if ((r->present & CF_RECORD_F_INPUT_IF) && f->src_index == r->input_if) {
			r->direction = 0;
			r->present |= CF_RECORD_F_DIRECTION;
		} else if ((r->present & CF_RECORD_F_OUTPUT_IF) && f->src_index == r->output_if) {
			r->direction = 1;
			r->present |= CF_RECORD_F_DIRECTION;
		}
	}
}

/*
 * Hands back the slot cf_record_sink_next() gave last, for a sample found bad after
 * its record was started: the sink's cursor simply steps back over it.
 */
static inline void
sink_unget(struct cf_record_sink *s)
{
	s->cur--;
}

static void
flow_sample(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *adg, uint32_t sub_agent,
	    int expanded, const uint8_t *p, uint32_t n)
{
	struct cf_stats_lcore *st = ctx->stats;
	struct cf_record *r;
	struct cf_sflow_flow f;
	uint32_t off, nrec, i;

	if (n < (expanded ? 44u : 32u)) {
		st->drops[CF_STATS_DROP_SFLOW_SAMPLE_SHORT]++;
		return;
	}
	/* Decoded straight into the slot; a sample found bad gives it back. */
	r = cf_record_sink_next(ctx->sink);
	if (r == NULL) {
		st->drops[CF_STATS_DROP_NO_BLOCK]++;
		return;
	}
	f.rec = r;
	f.len_prio = 0;
	f.have_hdr_l3 = 0;
	if (!expanded) {
		uint32_t src = cf_wire_be32(p + 4), in = cf_wire_be32(p + 20),
			 outif = cf_wire_be32(p + 24);

		f.src_type = src >> 24;
		f.src_index = src & 0x00ffffff;
		f.rate = cf_wire_be32(p + 8);
		f.in_fmt = in >> 30;
		f.in_val = in & 0x3fffffff;
		f.out_fmt = outif >> 30;
		f.out_val = outif & 0x3fffffff;
		nrec = cf_wire_be32(p + 28);
		off = 32;
	} else {
		f.src_type = cf_wire_be32(p + 4);
		f.src_index = cf_wire_be32(p + 8);
		f.rate = cf_wire_be32(p + 12);
		f.in_fmt = cf_wire_be32(p + 24);
		f.in_val = cf_wire_be32(p + 28);
		f.out_fmt = cf_wire_be32(p + 32);
		f.out_val = cf_wire_be32(p + 36);
		nrec = cf_wire_be32(p + 40);
		off = 44;
	}

	for (i = 0; i < nrec; i++) {
		uint32_t fmt, rlen;
		enum cf_stats_drop why;

		if (n - off < 8 || (rlen = cf_wire_be32(p + off + 4)) > n - off - 8) {
			st->drops[CF_STATS_DROP_SFLOW_RECORD_TRUNCATED]++;
			sink_unget(ctx->sink);
			return;
		}
		fmt = cf_wire_be32(p + off);
		why = flow_record(ctx, &f, fmt, p + off + 8, rlen);
		if (why != CF_STATS_DROP_MAX)
			st->drops[why]++;
		off += 8 + rlen;
	}

	if (f.len_prio == 0 && !(r->present & CF_RECORD_F_SRC_ADDR)) {
		st->drops[CF_STATS_DROP_SFLOW_SAMPLE_EMPTY]++;
		sink_unget(ctx->sink);
		return;
	}
	flow_ifaces(&f);
	r->packets = 1;
	r->flow_start_ms = adg->now_ms;
	r->flow_end_ms = adg->now_ms;
	r->time_source = CF_RECORD_TS_RECEIVED;
	r->present |= CF_RECORD_F_PACKETS | CF_RECORD_F_FLOW_START | CF_RECORD_F_FLOW_END;
	if (f.len_prio != 0)
		r->present |= CF_RECORD_F_BYTES;
	cf_decode_record_origin(r, adg, CF_RECORD_V_SFLOW, sub_agent);
	cf_decode_apply_sampling(ctx->cfg, r, f.rate);
	st->records++;
}

static void
ctr_generic(struct cf_sflow_ifc *e, const uint8_t *p)
{
	e->if_type = cf_wire_be32(p + 4);
	e->if_speed = cf_wire_be64(p + 8);
	e->if_direction = cf_wire_be32(p + 16);
	e->if_status = cf_wire_be32(p + 20);
	e->in_octets = cf_wire_be64(p + 24);
	e->in_ucast = cf_wire_be32(p + 32);
	e->in_mcast = cf_wire_be32(p + 36);
	e->in_bcast = cf_wire_be32(p + 40);
	e->in_discards = cf_wire_be32(p + 44);
	e->in_errors = cf_wire_be32(p + 48);
	e->in_unknown_protos = cf_wire_be32(p + 52);
	e->out_octets = cf_wire_be64(p + 56);
	e->out_ucast = cf_wire_be32(p + 64);
	e->out_mcast = cf_wire_be32(p + 68);
	e->out_bcast = cf_wire_be32(p + 72);
	e->out_discards = cf_wire_be32(p + 76);
	e->out_errors = cf_wire_be32(p + 80);
	e->if_promisc = cf_wire_be32(p + 84);
	e->present |= CF_SFLOW_IFC_GENERIC;
}

static void
ctr_lag(struct cf_sflow_ifc *e, const uint8_t *p)
{
	unsigned int i;

	memcpy(e->lag_actor_id, p, 6);
	memcpy(e->lag_partner_id, p + 8, 6);
	e->lag_agg_id = cf_wire_be32(p + 16);
	memcpy(e->lag_state, p + 20, 4);
	for (i = 0; i < 8; i++)
		e->lag_pdus[i] = cf_wire_be32(p + 24 + 4 * i);
	e->present |= CF_SFLOW_IFC_LAG;
}

static void
counter_sample(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *adg, uint32_t sub_agent,
	       int expanded, const uint8_t *p, uint32_t n)
{
	struct cf_stats_lcore *st = ctx->stats;
	struct cf_sflow_lcore *s = ctx->sflow;
	struct cf_sflow_ifc *e = NULL;
	uint32_t off, nrec, i, seq, index;

	if (n < (expanded ? 16u : 12u)) {
		st->drops[CF_STATS_DROP_SFLOW_SAMPLE_SHORT]++;
		return;
	}
	seq = cf_wire_be32(p);
	if (!expanded) {
		index = cf_wire_be32(p + 4) & 0x00ffffff;
		nrec = cf_wire_be32(p + 8);
		off = 12;
	} else {
		index = cf_wire_be32(p + 8);
		nrec = cf_wire_be32(p + 12);
		off = 16;
	}
	if (s != NULL) {
		int evicted = 0;

		e = cf_sflow_ifc_get(s, adg->src, adg->src_v6, index, &evicted);
		st->sflow_ifc_evicted += (uint64_t)evicted;
		if (e == NULL) {
			st->drops[CF_STATS_DROP_SFLOW_COUNTERS_FULL]++;
			return;
		}
		e->sub_agent = sub_agent;
		e->sample_seq = seq;
		e->updated_ms = adg->now_ms;
		e->samples++;
	}

	for (i = 0; i < nrec; i++) {
		uint32_t fmt, rlen;
		const uint8_t *rp;

		if (n - off < 8 || (rlen = cf_wire_be32(p + off + 4)) > n - off - 8) {
			st->drops[CF_STATS_DROP_SFLOW_RECORD_TRUNCATED]++;
			return;
		}
		fmt = cf_wire_be32(p + off);
		rp = p + off + 8;
		off += 8 + rlen;
		if ((fmt >> 12) != 0 ||
		    (fmt != CF_SFLOW_CTR_GENERIC && fmt != CF_SFLOW_CTR_ETHERNET &&
		     fmt != CF_SFLOW_CTR_LAG)) {
			cf_sflow_unknown_hit(s, CF_SFLOW_KIND_COUNTER_RECORD, fmt >> 12,
					     fmt & 0xfff);
			st->drops[CF_STATS_DROP_SFLOW_UNKNOWN_RECORD]++;
			continue;
		}
		if ((fmt == CF_SFLOW_CTR_GENERIC && rlen < 88) ||
		    (fmt == CF_SFLOW_CTR_ETHERNET && rlen < 52) ||
		    (fmt == CF_SFLOW_CTR_LAG && rlen < 56)) {
			st->drops[CF_STATS_DROP_SFLOW_RECORD_SHORT]++;
			continue;
		}
		if (e == NULL)
			continue;
		if (fmt == CF_SFLOW_CTR_GENERIC) {
			ctr_generic(e, rp);
		} else if (fmt == CF_SFLOW_CTR_ETHERNET) {
			unsigned int k;

			for (k = 0; k < 13; k++)
				e->eth[k] = cf_wire_be32(rp + 4 * k);
			e->present |= CF_SFLOW_IFC_ETHERNET;
		} else {
			ctr_lag(e, rp);
		}
	}
}

void
cf_sflow_decode(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg)
{
	const uint8_t *p = dg->data;
	struct cf_stats_lcore *st = ctx->stats;
	struct cf_decode_exporter *e;
	struct cf_decode_dgram adg;
	uint32_t alen, off, sub_agent, nsamples, i;

	if (dg->len < 8) {
		st->drops[CF_STATS_DROP_SFLOW_SHORT]++;
		return;
	}
	switch (cf_wire_be32(p + 4)) {
	case 1: alen = 4; break;
	case 2: alen = 16; break;
	default:
		st->drops[CF_STATS_DROP_SFLOW_BAD_AGENT]++;
		return;
	}
	off = 8 + alen;
	if (dg->len < off + 16) {
		st->drops[CF_STATS_DROP_SFLOW_SHORT]++;
		return;
	}
	/* The agent, not the UDP source, is the exporter: relays and NAT change the latter. */
	adg = *dg;
	memset(adg.src, 0, sizeof(adg.src));
	memcpy(adg.src, p + 8, alen);
	adg.src_v6 = alen == 16;
	sub_agent = cf_wire_be32(p + off);
	nsamples = cf_wire_be32(p + off + 12);

	e = cf_decode_exporter_get(ctx, &adg, CF_RECORD_V_SFLOW, sub_agent);
	if (e == NULL)
		return; /* over its rate: counted */
	cf_decode_seq_account(ctx, e, cf_wire_be32(p + off + 4), 1, cf_wire_be32(p + off + 8));
	off += 16;

	for (i = 0; i < nsamples; i++) {
		uint32_t fmt, slen;
		const uint8_t *sp;

		if (dg->len - off < 8) {
			st->drops[CF_STATS_DROP_SFLOW_SAMPLES_MISSING]++;
			return;
		}
		fmt = cf_wire_be32(p + off);
		slen = cf_wire_be32(p + off + 4);
		if (slen > dg->len - off - 8) {
			st->drops[CF_STATS_DROP_SFLOW_SAMPLE_TRUNCATED]++;
			return;
		}
		sp = p + off + 8;
		off += 8 + slen;
		switch (fmt) {
		case CF_SFLOW_SAMPLE_FLOW:
		case CF_SFLOW_SAMPLE_FLOW_EXP:
			flow_sample(ctx, &adg, sub_agent, fmt == CF_SFLOW_SAMPLE_FLOW_EXP, sp,
				    slen);
			break;
		case CF_SFLOW_SAMPLE_COUNTERS:
		case CF_SFLOW_SAMPLE_COUNTERS_EXP:
			counter_sample(ctx, &adg, sub_agent, fmt == CF_SFLOW_SAMPLE_COUNTERS_EXP,
				       sp, slen);
			break;
		default:
			cf_sflow_unknown_hit(ctx->sflow, CF_SFLOW_KIND_SAMPLE, fmt >> 12,
					     fmt & 0xfff);
			st->drops[CF_STATS_DROP_SFLOW_UNKNOWN_SAMPLE]++;
			break;
		}
		if (e != NULL && (fmt == CF_SFLOW_SAMPLE_FLOW || fmt == CF_SFLOW_SAMPLE_FLOW_EXP))
			e->records++;
	}
}
