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
cf_dispatch_ctx_init(struct cf_decode_ctx *ctx, const char *name, int socket_id,
		     const struct cf_dispatch_config *cfg, struct cf_stats_lcore *stats,
		     struct cf_record_sink *sink, char *err, size_t errlen)
{
	static const struct cf_tpl_config cf_tpl_defaults;
	char n[32];
	int rc;

	snprintf(n, sizeof(n), "%s_exp", name);
	rc = cf_decode_ctx_init(ctx, n, socket_id, cfg->decode, stats, sink);
	if (rc != 0) {
		snprintf(err, errlen, "exporter table: %s", rte_strerror(-rc));
		return -1;
	}
	snprintf(n, sizeof(n), "%s_sfl", name);
	ctx->sflow = cf_sflow_lcore_create(n, socket_id, cfg->sflow_max_ifc);
	if (ctx->sflow == NULL) {
		snprintf(err, errlen, "sFlow counter table: %s", rte_strerror(rte_errno));
		goto fail;
	}
	snprintf(n, sizeof(n), "%s_tpl", name);
	rc = cf_tpl_cache_attach(ctx, n, socket_id, cfg->tpl != NULL ? cfg->tpl : &cf_tpl_defaults);
	if (rc != 0) {
		snprintf(err, errlen, "template cache: %s", rte_strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	cf_dispatch_ctx_fini(ctx);
	return -1;
}

void
cf_dispatch_ctx_fini(struct cf_decode_ctx *ctx)
{
	cf_sflow_lcore_free(ctx->sflow);
	ctx->sflow = NULL;
	cf_tpl_cache_detach(ctx);
	cf_decode_ctx_fini(ctx);
}

void
cf_dispatch_datagram(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg)
{
	struct cf_stats_lcore *st = ctx->stats;
	uint16_t version;

	st->flow_dgrams++;
	if (dg->len < 4) {
		st->drops[CF_STATS_DROP_UNKNOWN_VERSION]++;
		return;
	}
	version = cf_wire_be16(dg->data);
	switch (version) {
	case 5:
		st->dgrams[CF_STATS_PROTO_NF5]++;
		cf_nf5_decode(ctx, dg);
		return;
	case 9:
		st->dgrams[CF_STATS_PROTO_NF9]++;
		if (ctx->tpl == NULL) {
			st->drops[CF_STATS_DROP_UNSUPPORTED_VERSION]++;
			return;
		}
		cf_nf9_decode(ctx, dg);
		return;
	case 10:
		st->dgrams[CF_STATS_PROTO_IPFIX]++;
		if (ctx->tpl == NULL) {
			st->drops[CF_STATS_DROP_UNSUPPORTED_VERSION]++;
			return;
		}
		cf_ipfix_decode(ctx, dg);
		return;
	case 0:
		/* sFlow's version is a 32-bit word. */
		if (cf_wire_be32(dg->data) == 5) {
			st->dgrams[CF_STATS_PROTO_SFLOW]++;
			cf_sflow_decode(ctx, dg);
			return;
		}
		break;
	default:
		break;
	}
	st->drops[CF_STATS_DROP_UNKNOWN_VERSION]++;
}
