/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_IPFIX_H
#define CF_IPFIX_H

/*
 * IPFIX decoder (RFC 7011): 16-byte message header, then sets: 2 templates,
 * 3 options templates, >= 256 data (0, 1, 4..255 reserved, skipped and
 * counted). Enterprise elements (bit 15 of the id, then a 4-byte PEN),
 * variable-length elements (1-byte length, or 255 then a 2-byte length) and
 * reduced-size encoding are handled by lib/tpl.
 *
 * Contract (as for every decoder, see cf_decode.h):
 *  - cf_ipfix_validate() is pure: CF_STATS_DROP_MAX when the message header can be
 *    decoded (*msg_len set to the message length, which must lie in
 *    [16, datagram]), otherwise the drop reason (ipfix_short,
 *    ipfix_bad_length). Sets are checked one by one while decoding.
 *  - cf_ipfix_decode() validates and counts; it never fails and never writes the
 *    datagram; every set is decoded or counted. Bytes after the message
 *    length are ignored.
 *  - A template record with field count 0 is a withdrawal (template id 2 / 3
 *    withdraws every data / options template of the domain).
 *  - Sequence: IPFIX numbers data records (template records do not count).
 *    A message with a data set we could not count (template unknown) resyncs
 *    the next message instead of reporting a false gap.
 *  - Times: export time is seconds; flowStart/End Seconds, Milliseconds,
 *    Micro-/Nanoseconds (NTP format), SysUpTime (+ systemInitTimeMilliseconds
 *    from the record or the exporter's options data) and DeltaMicroseconds.
 */

#include "cf_decode.h"

#define CF_IPFIX_HDR_LEN 16

enum cf_stats_drop cf_ipfix_validate(const uint8_t *p, uint32_t len, uint32_t *msg_len);
void cf_ipfix_decode(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg);

#endif
