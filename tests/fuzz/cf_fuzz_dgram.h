/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_FUZZ_DGRAM_H
#define CF_FUZZ_DGRAM_H

/*
 * A piece (cf_fuzz.h) as a flow datagram, for the targets that feed the
 * decoders: the flags pick the exporter (low 2 bits: one of four addresses;
 * bit 2: IPv6) and move *now_ms on by (flags >> 3) x step_ms, so timeouts,
 * waiting data and rate buckets age.
 */
#include <string.h>

#include "cf_decode.h"
#include "cf_fuzz.h"

static inline void
cf_fuzz_dgram(const struct cf_fuzz_piece *pc, uint64_t *now_ms, uint64_t step_ms,
	      uint16_t dst_port, struct cf_decode_dgram *dg)
{
	memset(dg, 0, sizeof(*dg));
	dg->data = pc->p;
	dg->len = pc->len;
	dg->src_v6 = (pc->flags >> 2) & 1;
	dg->src[0] = dg->src_v6 ? 0x20 : 192;
	dg->src[dg->src_v6 ? 15 : 3] = (uint8_t)(1 + (pc->flags & 3));
	*now_ms += (uint64_t)(pc->flags >> 3) * step_ms;
	dg->now_ms = *now_ms;
	dg->dst_port = dst_port;
}

#endif
