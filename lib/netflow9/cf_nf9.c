/* SPDX-License-Identifier: BSD-3-Clause */
#include "cf_nf9.h"
#include "cf_tpl.h"
#include "cf_wire.h"

enum cfs_drop
nf9_validate(const uint8_t *p, uint32_t len)
{
	(void)p;
	if (len < NF9_HDR_LEN)
		return CFS_DROP_NF9_SHORT;
	return CFS_DROP_MAX;
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
nf9_templates(struct cfd_ctx *ctx, struct tpl_exp *ex, const struct cfd_dgram *dg,
	      const uint8_t *p, uint32_t len, int options)
{
	struct tpl_fields fs;
	const uint32_t hdr = options ? 6 : 4;
	uint32_t pos = 0;

	while (len - pos >= hdr) {
		uint16_t tid = cfw_be16(p + pos), scope = 0;
		uint32_t n, flen, i;

		if (options) {
			uint32_t sl = cfw_be16(p + pos + 2), ol = cfw_be16(p + pos + 4);

			if (tid == 0 && sl == 0 && ol == 0)
				break; /* padding */
			n = (sl + ol) / 4;
			scope = (uint16_t)(sl / 4);
			flen = sl + ol;
		} else {
			n = cfw_be16(p + pos + 2);
			if (tid == 0 && n == 0)
				break; /* padding */
			flen = n * 4;
		}
		pos += hdr;
		if (flen > len - pos) {
			ctx->stats->drops[CFS_DROP_TPL_TRUNCATED]++;
			return;
		}
		if (ex == NULL) {
			pos += flen;
			continue;
		}
		fs.n = 0;
		for (i = 0; i < n; i++)
			tpl_fields_add(&fs, 0, cfw_be16(p + pos + 4 * i), cfw_be16(p + pos + 4 * i + 2));
		pos += flen;
		if (tpl_define(ctx, ex, tid, options ? TPL_KIND_OPTIONS : TPL_KIND_DATA, fs.f,
			       (uint16_t)fs.n, scope, dg->now_ms) == CFS_DROP_MAX)
			tpl_pending_run(ctx, ex, tid, dg);
	}
}

void
nf9_decode(struct cfd_ctx *ctx, const struct cfd_dgram *dg)
{
	const uint8_t *p = dg->data;
	struct cfs_lcore *st = ctx->stats;
	struct cfd_exporter *e;
	struct tpl_exp *ex;
	struct tpl_msg m;
	enum cfs_drop why;
	uint32_t pos = NF9_HDR_LEN, len = dg->len;

	why = nf9_validate(p, len);
	if (why != CFS_DROP_MAX) {
		st->drops[why]++;
		return;
	}
	m.uptime_ms = cfw_be32(p + 4);
	m.export_ms = (uint64_t)cfw_be32(p + 8) * 1000;
	m.domain = cfw_be32(p + 16);
	m.version = CFR_V_NF9;

	e = cfd_exporter_get(ctx, dg, CFR_V_NF9, m.domain);
	if (e != NULL)
		cfd_seq_account(ctx, e, cfw_be32(p + 12), 1, m.uptime_ms);
	tpl_tick(ctx, dg->now_ms);
	ex = tpl_exp_get(ctx, e, dg->now_ms);

	while (len - pos >= 4) {
		uint16_t id = cfw_be16(p + pos), slen = cfw_be16(p + pos + 2);
		const uint8_t *body = p + pos + 4;

		if (slen < 4 || slen > len - pos) {
			if (!all_zero(p + pos, len - pos))
				st->drops[CFS_DROP_SET_BAD_LENGTH]++;
			return;
		}
		if (id == 0 || id == 1) {
			nf9_templates(ctx, ex, dg, body, slen - 4u, id);
		} else if (id < 256) {
			st->drops[CFS_DROP_SET_RESERVED]++;
		} else {
			uint32_t n = tpl_data_flowset(ctx, ex, id, &m, dg, body, slen - 4u);

			if (n != TPL_SET_UNKNOWN && e != NULL)
				e->records += n;
		}
		pos += slen;
	}
}
