/* SPDX-License-Identifier: BSD-3-Clause */
#include "cf_ipfix.h"
#include "cf_tpl.h"
#include "cf_wire.h"

#define IPX_ENTERPRISE 0x8000

enum cfs_drop
ipx_validate(const uint8_t *p, uint32_t len, uint32_t *msg_len)
{
	uint32_t n;

	*msg_len = 0;
	if (len < IPX_HDR_LEN)
		return CFS_DROP_IPFIX_SHORT;
	n = cfw_be16(p + 2);
	if (n < IPX_HDR_LEN || n > len)
		return CFS_DROP_IPFIX_BAD_LENGTH;
	*msg_len = n;
	return CFS_DROP_MAX;
}

/* Template set (2) or options template set (3). */
static void
ipx_templates(struct cfd_ctx *ctx, struct tpl_exp *ex, const struct cfd_dgram *dg,
	      const uint8_t *p, uint32_t len, int options)
{
	struct tpl_fields fs;
	uint32_t pos = 0;

	while (len - pos >= 4) {
		uint16_t tid = cfw_be16(p + pos), n = cfw_be16(p + pos + 2), scope = 0, i;

		if (n == 0) {
			if (tid == 0)
				break; /* padding */
			pos += 4;
			if (ex == NULL)
				continue;
			if (tid == (options ? 3 : 2))
				tpl_withdraw_all(ctx, ex, options ? TPL_KIND_OPTIONS : TPL_KIND_DATA);
			else
				tpl_withdraw(ctx, ex, tid);
			continue;
		}
		pos += 4;
		if (options) {
			if (len - pos < 2) {
				ctx->stats->drops[CFS_DROP_TPL_TRUNCATED]++;
				return;
			}
			scope = cfw_be16(p + pos);
			pos += 2;
		}
		fs.n = 0;
		for (i = 0; i < n; i++) {
			uint16_t id, flen;
			uint32_t pen = 0;

			if (len - pos < 4) {
				ctx->stats->drops[CFS_DROP_TPL_TRUNCATED]++;
				return;
			}
			id = cfw_be16(p + pos);
			flen = cfw_be16(p + pos + 2);
			pos += 4;
			if (id & IPX_ENTERPRISE) {
				if (len - pos < 4) {
					ctx->stats->drops[CFS_DROP_TPL_TRUNCATED]++;
					return;
				}
				pen = cfw_be32(p + pos);
				pos += 4;
				id &= ~IPX_ENTERPRISE;
			}
			tpl_fields_add(&fs, pen, id, flen);
		}
		if (ex == NULL)
			continue;
		if (tpl_define(ctx, ex, tid, options ? TPL_KIND_OPTIONS : TPL_KIND_DATA, fs.f,
			       (uint16_t)fs.n, scope, dg->now_ms) == CFS_DROP_MAX)
			tpl_pending_run(ctx, ex, tid, dg);
	}
}

void
ipx_decode(struct cfd_ctx *ctx, const struct cfd_dgram *dg)
{
	const uint8_t *p = dg->data;
	struct cfs_lcore *st = ctx->stats;
	struct cfd_exporter *e;
	struct tpl_exp *ex;
	struct tpl_msg m;
	enum cfs_drop why;
	uint32_t pos = IPX_HDR_LEN, len, records = 0;
	int uncounted = 0;

	why = ipx_validate(p, dg->len, &len);
	if (why != CFS_DROP_MAX) {
		st->drops[why]++;
		return;
	}
	m.export_ms = (uint64_t)cfw_be32(p + 4) * 1000;
	m.uptime_ms = 0;
	m.domain = cfw_be32(p + 12);
	m.version = CFR_V_IPFIX;

	/* The one exporter lookup of the datagram; sequence accounting waits for the record count. */
	e = cfd_exporter_get(ctx, dg, CFR_V_IPFIX, m.domain);
	tpl_tick(ctx, dg->now_ms);
	ex = tpl_exp_get(ctx, e, dg->now_ms);

	while (len - pos >= 4) {
		uint16_t id = cfw_be16(p + pos), slen = cfw_be16(p + pos + 2);
		const uint8_t *body = p + pos + 4;

		if (slen < 4 || slen > len - pos) {
			st->drops[CFS_DROP_SET_BAD_LENGTH]++;
			uncounted = 1;
			break;
		}
		if (id == 2 || id == 3) {
			ipx_templates(ctx, ex, dg, body, slen - 4u, id == 3);
		} else if (id < 256) {
			st->drops[CFS_DROP_SET_RESERVED]++;
		} else {
			uint32_t n = tpl_data_flowset(ctx, ex, id, &m, dg, body, slen - 4u);

			if (n == TPL_SET_UNKNOWN)
				uncounted = 1;
			else
				records += n;
		}
		pos += slen;
	}

	if (e != NULL) {
		cfd_seq_account(ctx, e, cfw_be32(p + 8), records, 0);
		e->records += records;
		if (uncounted)
			e->seq_valid = 0;
	}
}
