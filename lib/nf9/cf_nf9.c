/* SPDX-License-Identifier: BSD-3-Clause */
#include "cf_nf9.h"
#include "cf_tpl.h"
#include "cf_wire.h"

enum cf_stats_drop
cf_nf9_validate(const uint8_t *p, uint32_t len)
{
	(void)p;
	if (len < CF_NF9_HDR_LEN)
		return CF_STATS_DROP_NF9_SHORT;
	return CF_STATS_DROP_MAX;
}

static int
all_zero(const uint8_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Template flowset (id 0) or options template flowset (id 1). */
static void
cf_nf9_templates(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, const struct cf_decode_dgram *dg,
		 const uint8_t *p, uint32_t len, int options)
{
	struct cf_tpl_fields fs;
	const uint32_t hdr = options ? 6 : 4;
	uint32_t pos = 0;

	while (len - pos >= hdr) {
		uint16_t tid = cf_wire_be16(p + pos), scope = 0;
		uint32_t n, flen, i;

		if (options) {
			uint32_t sl = cf_wire_be16(p + pos + 2), ol = cf_wire_be16(p + pos + 4);

			if (tid == 0 && sl == 0 && ol == 0)
				break; /* padding */
			n = (sl + ol) / 4;
			scope = (uint16_t)(sl / 4);
			flen = sl + ol;
		} else {
			n = cf_wire_be16(p + pos + 2);
			if (tid == 0 && n == 0)
				break; /* padding */
			flen = n * 4;
		}
		pos += hdr;
		if (flen > len - pos) {
			ctx->stats->drops[CF_STATS_DROP_TPL_TRUNCATED]++;
			return;
		}
		if (ex == NULL) {
			pos += flen;
			continue;
		}
		fs.n = 0;
		for (i = 0; i < n; i++)
			cf_tpl_fields_add(&fs, 0, cf_wire_be16(p + pos + 4 * i),
					  cf_wire_be16(p + pos + 4 * i + 2));
		pos += flen;
		if (cf_tpl_define(ctx, ex, tid, options ? CF_TPL_KIND_OPTIONS : CF_TPL_KIND_DATA,
				  fs.f, (uint16_t)fs.n, scope, dg->now_ms) == CF_STATS_DROP_MAX)
			cf_tpl_pending_run(ctx, ex, tid, dg);
	}
}

void
cf_nf9_decode(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg)
{
	const uint8_t *p = dg->data;
	struct cf_stats_lcore *st = ctx->stats;
	struct cf_decode_exporter *e;
	struct cf_tpl_exp *ex;
	struct cf_tpl_msg m;
	enum cf_stats_drop why;
	uint32_t pos = CF_NF9_HDR_LEN, len = dg->len;

	why = cf_nf9_validate(p, len);
	if (why != CF_STATS_DROP_MAX) {
		st->drops[why]++;
		return;
	}
	m.uptime_ms = cf_wire_be32(p + 4);
	m.export_ms = (uint64_t)cf_wire_be32(p + 8) * 1000;
	m.domain = cf_wire_be32(p + 16);
	m.version = CF_RECORD_V_NF9;

	e = cf_decode_exporter_get(ctx, dg, CF_RECORD_V_NF9, m.domain);
	if (e == NULL)
		return; /* over its rate: counted */
	cf_decode_seq_account(ctx, e, cf_wire_be32(p + 12), 1, m.uptime_ms);
	cf_tpl_tick(ctx, dg->now_ms);
	ex = cf_tpl_exp_get(ctx, e, dg->now_ms);

	while (len - pos >= 4) {
		uint16_t id = cf_wire_be16(p + pos), slen = cf_wire_be16(p + pos + 2);
		const uint8_t *body = p + pos + 4;

		if (slen < 4 || slen > len - pos) {
			if (!all_zero(p + pos, len - pos))
				st->drops[CF_STATS_DROP_SET_BAD_LENGTH]++;
			return;
		}
		if (id == 0 || id == 1) {
			cf_nf9_templates(ctx, ex, dg, body, slen - 4u, id);
		} else if (id < 256) {
			st->drops[CF_STATS_DROP_SET_RESERVED]++;
		} else {
			uint32_t n = cf_tpl_data_flowset(ctx, ex, id, &m, dg, body, slen - 4u);

			if (n != CF_TPL_SET_UNKNOWN && e != NULL)
				e->records += n;
		}
		pos += slen;
	}
}
