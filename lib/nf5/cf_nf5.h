/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_NF5_H
#define CF_NF5_H

/*
 * NetFlow v5 decoder (Cisco's fixed format: 24-byte header, 48-byte records).
 *
 * Contract:
 *  - cf_nf5_validate() is pure: it returns CF_STATS_DROP_MAX when the datagram can be
 *    decoded, otherwise the drop reason. *trailing is set to the bytes after
 *    the last record (tolerated, counted by the caller).
 *  - cf_nf5_decode() validates, counts, tracks the sequence per (exporter,
 *    engine type, engine id) and writes one record per flow to ctx->sink.
 *    Records that find no slot are counted as no_block.
 *  - Times: export time in ms (unix_secs, unix_nsecs) minus sysUptime plus
 *    First/Last, with the First/Last - sysUptime difference taken as a signed
 *    32-bit value so an uptime wrap (49.7 days) does not throw times 49 days off.
 */

#include "cf_decode.h"

#define CF_NF5_HDR_LEN 24
#define CF_NF5_REC_LEN 48
#define CF_NF5_MAX_COUNT 30

enum cf_stats_drop cf_nf5_validate(const uint8_t *p, uint32_t len, uint32_t *trailing);
void cf_nf5_decode(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg);

#endif
