/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>

#include "cf_nf5.h"
#include "cf_wire.h"

enum cf_stats_drop
cf_nf5_validate(const uint8_t *p, uint32_t len, uint32_t *trailing)
{
	uint32_t count, need;

	*trailing = 0;
	if (len < CF_NF5_HDR_LEN)
		return CF_STATS_DROP_V5_SHORT;
	count = cf_wire_be16(p + 2);
	if (count == 0 || count > CF_NF5_MAX_COUNT)
		return CF_STATS_DROP_V5_BAD_COUNT;
	need = CF_NF5_HDR_LEN + CF_NF5_REC_LEN * count;
	if (len < need)
		return CF_STATS_DROP_V5_TRUNCATED;
	*trailing = len - need;
	return CF_STATS_DROP_MAX;
}

/* Exporter clock at export time, in Unix ms. */
static inline uint64_t
cf_nf5_export_ms(const uint8_t *h)
{
	return (uint64_t)cf_wire_be32(h + 8) * 1000 + cf_wire_be32(h + 12) / 1000000;
}

/* What every record of one datagram shares, worked out once per datagram. */
struct cf_nf5_common {
	uint64_t export_ms;
	uint32_t uptime;
	uint32_t present;          /* v5 fields, plus exporter-v6 and sampling bits */
	uint32_t sampling_rate;    /* 0 when none */
	uint32_t scale; /* bytes/packets multiplier: rate with --scale-by-sampling, else 1 */
	uint32_t domain;
};

#define CF_NF5_PRESENT                                                                             \
	(CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR | CF_RECORD_F_NEXT_HOP |                      \
	 CF_RECORD_F_INPUT_IF | CF_RECORD_F_OUTPUT_IF | CF_RECORD_F_PACKETS | CF_RECORD_F_BYTES |  \
	 CF_RECORD_F_FLOW_START | CF_RECORD_F_FLOW_END | CF_RECORD_F_PORTS |                       \
	 CF_RECORD_F_TCP_FLAGS | CF_RECORD_F_PROTOCOL | CF_RECORD_F_TOS | CF_RECORD_F_SRC_AS |     \
	 CF_RECORD_F_DST_AS | CF_RECORD_F_SRC_MASK | CF_RECORD_F_DST_MASK)

/*
 * Writes all 256 bytes of the slot, in struct order, zeros included: the slot
 * comes from cf_record_sink_next_raw(), so nothing is written twice. The result is
 * byte for byte what cf_record_sink_next() + field stores + cf_decode_record_origin() +
 * cf_decode_apply_sampling() would give (tests/unit/test_nf5_once.c checks it).
 */
static inline void
cf_nf5_record(struct cf_record *r, const uint8_t *f, const struct cf_nf5_common *c,
	      const struct cf_decode_dgram *dg)
{
	/* cache line 0 */
	r->bytes = (uint64_t)cf_wire_be32(f + 20) * c->scale;
	r->packets = (uint64_t)cf_wire_be32(f + 16) * c->scale;
	r->flow_start_ms = c->export_ms + (int64_t)(int32_t)(cf_wire_be32(f + 24) - c->uptime);
	r->flow_end_ms = c->export_ms + (int64_t)(int32_t)(cf_wire_be32(f + 28) - c->uptime);
	/* v5 records are IPv4 only: the address slots take 4 bytes each. */
	memcpy(r->src_addr, f + 0, 4);
	memset(r->src_addr + 4, 0, 12);
	memcpy(r->dst_addr, f + 4, 4);
	memset(r->dst_addr + 4, 0, 12);

	/* cache line 1 */
	r->present = c->present;
	r->src_port = cf_wire_be16(f + 32);
	r->dst_port = cf_wire_be16(f + 34);
	r->protocol = f[38];
	r->tos = f[39];
	r->tcp_flags = f[37];
	r->version = CF_RECORD_V_NF5;
	r->src_mask = f[44];
	r->dst_mask = f[45];
	r->direction = 0;
	r->icmp_type = 0;
	r->icmp_code = 0;
	r->time_source = CF_RECORD_TS_FLOW;
	r->vlan_id = 0;
	r->input_if = cf_wire_be16(f + 12);
	r->output_if = cf_wire_be16(f + 14);
	r->src_as = cf_wire_be16(f + 40);
	r->dst_as = cf_wire_be16(f + 42);
	r->src_sgt = 0;
	r->dst_sgt = 0;
	r->sampling_rate = c->sampling_rate;
	r->observation_domain = c->domain;
	memcpy(r->next_hop, f + 8, 4);
	memset(r->next_hop + 4, 0, 12);

	/* cache line 2 */
	memcpy(r->exporter, dg->src, 16);
	memset(r->src_mac, 0, sizeof(*r) - offsetof(struct cf_record, src_mac));
}

void
cf_nf5_decode(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg)
{
	const uint8_t *p = dg->data;
	struct cf_stats_lcore *st = ctx->stats;
	struct cf_decode_exporter *e;
	struct cf_nf5_common c;
	struct cf_record probe;
	enum cf_stats_drop why;
	uint32_t trailing, count, rate, i;

	why = cf_nf5_validate(p, dg->len, &trailing);
	if (why != CF_STATS_DROP_MAX) {
		st->drops[why]++;
		return;
	}
	if (trailing != 0)
		st->v5_trailing++;

	count = cf_wire_be16(p + 2);
	c.uptime = cf_wire_be32(p + 4);
	c.export_ms = cf_nf5_export_ms(p);
	c.domain = (uint32_t)p[20] << 8 | p[21];
	/* Top two bits are the sampling mode; the interval is the low 14. */
	rate = cf_wire_be16(p + 22) & 0x3fff;

	/*
	 * The sampling policy is cf_decode_apply_sampling()'s, run once on a probe record
	 * with bytes = packets = 1: what it sets is what every record gets, and
	 * the multiplier it applies is the probe's bytes.
	 */
	probe.present = 0;
	probe.sampling_rate = 0;
	probe.bytes = 1;
	probe.packets = 1;
	cf_decode_apply_sampling(ctx->cfg, &probe, rate);
	c.sampling_rate = probe.sampling_rate;
	c.scale = (uint32_t)probe.bytes;
	c.present = CF_NF5_PRESENT | probe.present | (dg->src_v6 ? CF_RECORD_F_EXPORTER_V6 : 0);

	e = cf_decode_exporter_get(ctx, dg, CF_RECORD_V_NF5, c.domain);
	if (e == NULL)
		return; /* over its rate: counted */
	cf_decode_seq_account(ctx, e, cf_wire_be32(p + 16), count, c.uptime);
	e->records += count;

	/* Runs of slots (a datagram can straddle two blocks): the loop below
	 * then never touches the sink, which the record stores could alias. */
	for (i = 0; i < count;) {
		uint32_t got, k;
		struct cf_record *r = cf_record_sink_take_raw(ctx->sink, count - i, &got);

		if (r == NULL) {
			st->drops[CF_STATS_DROP_NO_BLOCK] += count - i;
			break;
		}
		for (k = 0; k < got; k++)
			cf_nf5_record(r + k, p + CF_NF5_HDR_LEN + (i + k) * CF_NF5_REC_LEN, &c, dg);
		i += got;
	}
	st->records += i;
}
