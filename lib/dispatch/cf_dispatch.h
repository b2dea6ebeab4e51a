/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_DISPATCH_H
#define CF_DISPATCH_H

/*
 * The decoders as one unit: builds an lcore's decode context (exporter table,
 * sFlow tables, v9/IPFIX template cache) and sends each flow datagram (UDP
 * payload on any flow port) to the decoder for its version: NetFlow v5 (first
 * u16 = 5), v9 (9), IPFIX (10), sFlow v5 (first u32 = 5). Anything else is
 * counted as unknown_version.
 *
 * Contract:
 *  - cf_dispatch_ctx_init() is the one constructor of a struct cf_decode_ctx with every
 *    table the decoders use; the RX lcores, the unit tests and the
 *    micro-benchmarks all build their contexts with it. Returns 0, or -1 with
 *    a one-line reason in err naming the part that could not be built
 *    ("exporter table: ...", "sFlow counter table: ...", "template cache:
 *    ..."); nothing is left allocated then. Not for the hot path.
 *  - cfg->decode is read while decoding (sampling policy), so it must outlive
 *    the context; cfg->tpl is read once here (NULL = defaults).
 *  - cf_dispatch_ctx_fini() frees what cf_dispatch_ctx_init() built (a zeroed ctx is fine).
 *  - cf_dispatch_datagram(): as for every decoder (cf_decode.h): never fails, never
 *    writes the datagram, counts every datagram either as decoded or under a
 *    drop reason. ctx->stats->flow_dgrams counts every call; dgrams[proto]
 *    each recognised one. A context without a template cache (ctx->tpl NULL)
 *    counts v9/IPFIX as unsupported_version.
 *  - Needs the DPDK EAL (the tables are rte_hash / rte_malloc).
 */

#include <stddef.h>

#include "cf_decode.h"

struct cf_tpl_config;

/* Everything one lcore's decode context is built from. */
struct cf_dispatch_config {
	const struct cf_decode_config *decode; /* exporter table and sampling policy */
	const struct cf_tpl_config *tpl;    /* v9/IPFIX template engine; NULL = defaults */
	uint32_t sflow_max_ifc;          /* sFlow interface counter slots; 0 = default */
};

/* name: unique per process, at most 20 characters (table names derive from it). */
int cf_dispatch_ctx_init(struct cf_decode_ctx *ctx, const char *name, int socket_id,
			 const struct cf_dispatch_config *cfg, struct cf_stats_lcore *stats,
			 struct cf_record_sink *sink, char *err, size_t errlen);
void cf_dispatch_ctx_fini(struct cf_decode_ctx *ctx);

void cf_dispatch_datagram(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg);

#endif
