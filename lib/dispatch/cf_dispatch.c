/* SPDX-License-Identifier: BSD-3-Clause */
#include "cf_dispatch.h"
#include "cf_ipfix.h"
#include "cf_nf5.h"
#include "cf_sflow.h"
#include "cf_nf9.h"
#include "cf_wire.h"

void
cfx_datagram(struct cfd_ctx *ctx, const struct cfd_dgram *dg)
{
	struct cfs_lcore *st = ctx->stats;
	uint16_t version;

	st->flow_dgrams++;
	if (dg->len < 4) {
		st->drops[CFS_DROP_UNKNOWN_VERSION]++;
		return;
	}
	version = cfw_be16(dg->data);
	switch (version) {
	case 5:
		st->dgrams[CFS_PROTO_NF5]++;
		nf5_decode(ctx, dg);
		return;
	case 9:
		st->dgrams[CFS_PROTO_NF9]++;
		if (ctx->tpl == NULL) {
			st->drops[CFS_DROP_UNSUPPORTED_VERSION]++;
			return;
		}
		nf9_decode(ctx, dg);
		return;
	case 10:
		st->dgrams[CFS_PROTO_IPFIX]++;
		if (ctx->tpl == NULL) {
			st->drops[CFS_DROP_UNSUPPORTED_VERSION]++;
			return;
		}
		ipx_decode(ctx, dg);
		return;
	case 0:
		/* sFlow's version is a 32-bit word. */
		if (cfw_be32(dg->data) == 5) {
			st->dgrams[CFS_PROTO_SFLOW]++;
			sfl_decode(ctx, dg);
			return;
		}
		break;
	default:
		break;
	}
	st->drops[CFS_DROP_UNKNOWN_VERSION]++;
}
