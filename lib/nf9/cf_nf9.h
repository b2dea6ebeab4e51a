/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_NF9_H
#define CF_NF9_H

/*
 * NetFlow v9 decoder (RFC 3954): 20-byte header, then flowsets: 0 templates,
 * 1 options templates, >= 256 data (2..255 reserved, skipped and counted).
 *
 * Contract (as for every decoder, see cf_decode.h):
 *  - cf_nf9_validate() is pure: CF_STATS_DROP_MAX when the header can be decoded,
 *    otherwise the drop reason (nf9_short). Flowsets are checked one by one
 *    while decoding, since a bad one still lets the ones before it count.
 *  - cf_nf9_decode() validates and counts; it never fails and never writes the
 *    datagram: each flowset is decoded or counted under a CF_STATS_DROP_* reason. A
 *    flowset length below 4 or past the datagram ends the datagram
 *    (set_bad_length), except an all-zero tail, which is padding.
 *  - Templates go into ctx->tpl (lib/tpl); data flowsets whose template is
 *    not known yet wait there (bounded) and are decoded when it arrives.
 *  - Sequence: v9 numbers export packets, so each datagram counts 1 towards
 *    cf_decode_seq_account(); sysUptime going back marks a restart.
 *  - Times: FIRST/LAST_SWITCHED are sysUptime ms; the record time is
 *    unix_secs * 1000 + (switched - sysUptime) as a signed 32-bit difference.
 */

#include "cf_decode.h"

#define CF_NF9_HDR_LEN 20

enum cf_stats_drop cf_nf9_validate(const uint8_t *p, uint32_t len);
void cf_nf9_decode(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg);

#endif
