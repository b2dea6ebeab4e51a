/* SPDX-License-Identifier: BSD-3-Clause */
#include "cf_nf5.h"
#include "cf_wire.h"

enum cfs_drop
nf5_validate(const uint8_t *p, uint32_t len, uint32_t *trailing)
{
	uint32_t count, need;

	*trailing = 0;
	if (len < NF5_HDR_LEN)
		return CFS_DROP_V5_SHORT;
	count = cfw_be16(p + 2);
	if (count == 0 || count > NF5_MAX_COUNT)
		return CFS_DROP_V5_BAD_COUNT;
	need = NF5_HDR_LEN + NF5_REC_LEN * count;
	if (len < need)
		return CFS_DROP_V5_TRUNCATED;
	*trailing = len - need;
	return CFS_DROP_MAX;
}

/* Exporter clock at export time, in Unix ms. */
static inline uint64_t
nf5_export_ms(const uint8_t *h)
{
	return (uint64_t)cfw_be32(h + 8) * 1000 + cfw_be32(h + 12) / 1000000;
}

static inline void
nf5_record(struct cfr_record *r, const uint8_t *f, uint64_t export_ms, uint32_t uptime)
{
	/* v5 records are IPv4 only: the address slots take 4 bytes each. */
	memcpy(r->src_addr, f + 0, 4);
	memcpy(r->dst_addr, f + 4, 4);
	memcpy(r->next_hop, f + 8, 4);
	r->input_if = cfw_be16(f + 12);
	r->output_if = cfw_be16(f + 14);
	r->packets = cfw_be32(f + 16);
	r->bytes = cfw_be32(f + 20);
	r->flow_start_ms = export_ms + (int64_t)(int32_t)(cfw_be32(f + 24) - uptime);
	r->flow_end_ms = export_ms + (int64_t)(int32_t)(cfw_be32(f + 28) - uptime);
	r->src_port = cfw_be16(f + 32);
	r->dst_port = cfw_be16(f + 34);
	r->tcp_flags = f[37];
	r->protocol = f[38];
	r->tos = f[39];
	r->src_as = cfw_be16(f + 40);
	r->dst_as = cfw_be16(f + 42);
	r->src_mask = f[44];
	r->dst_mask = f[45];
	r->present |= CFR_F_SRC_ADDR | CFR_F_DST_ADDR | CFR_F_NEXT_HOP | CFR_F_INPUT_IF |
		      CFR_F_OUTPUT_IF | CFR_F_PACKETS | CFR_F_BYTES | CFR_F_FLOW_START |
		      CFR_F_FLOW_END | CFR_F_PORTS | CFR_F_TCP_FLAGS | CFR_F_PROTOCOL |
		      CFR_F_TOS | CFR_F_SRC_AS | CFR_F_DST_AS | CFR_F_SRC_MASK | CFR_F_DST_MASK;
}

void
nf5_decode(struct cfd_ctx *ctx, const struct cfd_dgram *dg)
{
	const uint8_t *p = dg->data;
	struct cfs_lcore *st = ctx->stats;
	struct cfd_exporter *e;
	enum cfs_drop why;
	uint32_t trailing, count, uptime, domain, rate, i;
	uint64_t export_ms;

	why = nf5_validate(p, dg->len, &trailing);
	if (why != CFS_DROP_MAX) {
		st->drops[why]++;
		return;
	}
	if (trailing != 0)
		st->v5_trailing++;

	count = cfw_be16(p + 2);
	uptime = cfw_be32(p + 4);
	export_ms = nf5_export_ms(p);
	domain = (uint32_t)p[20] << 8 | p[21];
	/* Top two bits are the sampling mode; the interval is the low 14. */
	rate = cfw_be16(p + 22) & 0x3fff;

	e = cfd_exporter_get(ctx, dg, CFR_V_NF5, domain);
	if (e != NULL) {
		cfd_seq_account(ctx, e, cfw_be32(p + 16), count, uptime);
		e->records += count;
	}

	for (i = 0; i < count; i++) {
		struct cfr_record *r = cfr_sink_next(ctx->sink);

		if (r == NULL) {
			st->drops[CFS_DROP_NO_BLOCK] += count - i;
			return;
		}
		nf5_record(r, p + NF5_HDR_LEN + i * NF5_REC_LEN, export_ms, uptime);
		cfd_record_origin(r, dg, CFR_V_NF5, domain);
		cfd_apply_sampling(ctx->cfg, r, rate);
		st->records++;
	}
}
