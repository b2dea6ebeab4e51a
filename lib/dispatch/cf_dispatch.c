/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>

#include "cf_dispatch.h"
#include "cf_ipfix.h"
#include "cf_nf5.h"
#include "cf_sflow.h"
#include "cf_nf9.h"
#include "cf_tpl.h"
#include "cf_wire.h"

int
cfx_ctx_init(struct cfd_ctx *ctx, const char *name, int socket_id, const struct cfx_config *cfg,
	     struct cfs_lcore *stats, struct cfr_sink *sink, char *err, size_t errlen)
{
	static const struct tpl_config tpl_defaults;
	char n[32];
	int rc;

	snprintf(n, sizeof(n), "%s_exp", name);
	rc = cfd_ctx_init(ctx, n, socket_id, cfg->decode, stats, sink);
	if (rc != 0) {
		snprintf(err, errlen, "exporter table: %s", rte_strerror(-rc));
		return -1;
	}
	snprintf(n, sizeof(n), "%s_sfl", name);
	ctx->sflow = sfl_lcore_create(n, socket_id, cfg->sflow_max_ifc);
	if (ctx->sflow == NULL) {
		snprintf(err, errlen, "sFlow counter table: %s", rte_strerror(rte_errno));
		goto fail;
	}
	snprintf(n, sizeof(n), "%s_tpl", name);
	rc = tpl_cache_attach(ctx, n, socket_id, cfg->tpl != NULL ? cfg->tpl : &tpl_defaults);
	if (rc != 0) {
		snprintf(err, errlen, "template cache: %s", rte_strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	cfx_ctx_fini(ctx);
	return -1;
}

void
cfx_ctx_fini(struct cfd_ctx *ctx)
{
	sfl_lcore_free(ctx->sflow);
	ctx->sflow = NULL;
	tpl_cache_detach(ctx);
	cfd_ctx_fini(ctx);
}

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
