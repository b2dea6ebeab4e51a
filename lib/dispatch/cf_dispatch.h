/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_DISPATCH_H
#define CF_DISPATCH_H

/*
 * Sends one flow datagram (UDP payload on any flow port) to the decoder for
 * its version: NetFlow v5 (first u16 = 5), v9 (9), IPFIX (10), sFlow v5
 * (first u32 = 5). Anything else is counted as unknown_version.
 *
 * Contract: as for every decoder (cf_decode.h): never fails, never writes the
 * datagram, counts every datagram either as decoded or under a drop reason.
 * ctx->stats->flow_dgrams counts every call; dgrams[proto] each recognised one.
 */

#include "cf_decode.h"

void cfx_datagram(struct cfd_ctx *ctx, const struct cfd_dgram *dg);

#endif
