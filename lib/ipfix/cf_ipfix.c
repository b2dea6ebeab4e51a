/* SPDX-License-Identifier: BSD-3-Clause */
#include "cf_ipfix.h"
#include "cf_tpl.h"
#include "cf_wire.h"

#define CF_IPFIX_ENTERPRISE 0x8000

enum cf_stats_drop
cf_ipfix_validate(const uint8_t *p, uint32_t len, uint32_t *msg_len)
{
	uint32_t n;

	*msg_len = 0;
	if (len < CF_IPFIX_HDR_LEN)
		return CF_STATS_DROP_IPFIX_SHORT;
	n = cf_wire_be16(p + 2);
	if (n < CF_IPFIX_HDR_LEN || n > len)
		return CF_STATS_DROP_IPFIX_BAD_LENGTH;
	*msg_len = n;
	return CF_STATS_DROP_MAX;
}

/* Template set (2) or options template set (3). */
static void
cf_ipfix_templates(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex,
		   const struct cf_decode_dgram *dg, const uint8_t *p, uint32_t len, int options)
{
	struct cf_tpl_fields fs;
	uint32_t pos = 0;

	while (len - pos >= 4) {
		uint16_t tid = cf_wire_be16(p + pos), n = cf_wire_be16(p + pos + 2), scope = 0, i;

		if (n == 0) {
			if (tid == 0)
				break; /* padding */
			pos += 4;
			if (ex == NULL)
				continue;
			if (tid == (options ? 3 : 2))
				cf_tpl_withdraw_all(
					ctx, ex, options ? CF_TPL_KIND_OPTIONS : CF_TPL_KIND_DATA);
			else
				cf_tpl_withdraw(ctx, ex, tid);
			continue;
		}
		pos += 4;
		if (options) {
			if (len - pos < 2) {
				ctx->stats->drops[CF_STATS_DROP_TPL_TRUNCATED]++;
				return;
			}
			scope = cf_wire_be16(p + pos);
			pos += 2;
		}
		fs.n = 0;
		for (i = 0; i < n; i++) {
			uint16_t id, flen;
			uint32_t pen = 0;

			if (len - pos < 4) {
				ctx->stats->drops[CF_STATS_DROP_TPL_TRUNCATED]++;
				return;
			}
			id = cf_wire_be16(p + pos);
			flen = cf_wire_be16(p + pos + 2);
			pos += 4;
			if (id & CF_IPFIX_ENTERPRISE) {
				if (len - pos < 4) {
					ctx->stats->drops[CF_STATS_DROP_TPL_TRUNCATED]++;
					return;
				}
				pen = cf_wire_be32(p + pos);
				pos += 4;
				id &= ~CF_IPFIX_ENTERPRISE;
			}
			cf_tpl_fields_add(&fs, pen, id, flen);
		}
		if (ex == NULL)
			continue;
		if (cf_tpl_define(ctx, ex, tid, options ? CF_TPL_KIND_OPTIONS : CF_TPL_KIND_DATA,
				  fs.f, (uint16_t)fs.n, scope, dg->now_ms) == CF_STATS_DROP_MAX)
			cf_tpl_pending_run(ctx, ex, tid, dg);
	}
}

void
cf_ipfix_decode(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg)
{
	const uint8_t *p = dg->data;
	struct cf_stats_lcore *st = ctx->stats;
	struct cf_decode_exporter *e;
	struct cf_tpl_exp *ex;
	struct cf_tpl_msg m;
	enum cf_stats_drop why;
	uint32_t pos = CF_IPFIX_HDR_LEN, len, records = 0;
	int uncounted = 0;

	why = cf_ipfix_validate(p, dg->len, &len);
	if (why != CF_STATS_DROP_MAX) {
		st->drops[why]++;
		return;
	}
	m.export_ms = (uint64_t)cf_wire_be32(p + 4) * 1000;
	m.uptime_ms = 0;
	m.domain = cf_wire_be32(p + 12);
	m.version = CF_RECORD_V_IPFIX;

	/* The one exporter lookup of the datagram; sequence accounting waits for the record count. */
	e = cf_decode_exporter_get(ctx, dg, CF_RECORD_V_IPFIX, m.domain);
	if (e == NULL)
		return; /* over its rate: counted */
	cf_tpl_tick(ctx, dg->now_ms);
	ex = cf_tpl_exp_get(ctx, e, dg->now_ms);

	while (len - pos >= 4) {
		uint16_t id = cf_wire_be16(p + pos), slen = cf_wire_be16(p + pos + 2);
		const uint8_t *body = p + pos + 4;

		if (slen < 4 || slen > len - pos) {
			st->drops[CF_STATS_DROP_SET_BAD_LENGTH]++;
			uncounted = 1;
			break;
		}
		if (id == 2 || id == 3) {
			cf_ipfix_templates(ctx, ex, dg, body, slen - 4u, id == 3);
		} else if (id < 256) {
			st->drops[CF_STATS_DROP_SET_RESERVED]++;
		} else {
			uint32_t n = cf_tpl_data_flowset(ctx, ex, id, &m, dg, body, slen - 4u);

			if (n == CF_TPL_SET_UNKNOWN)
				uncounted = 1;
			else
				records += n;
		}
		pos += slen;
	}

	if (e != NULL) {
		cf_decode_seq_account(ctx, e, cf_wire_be32(p + 8), records, 0);
		e->records += records;
		if (uncounted)
			e->seq_valid = 0;
	}
}
