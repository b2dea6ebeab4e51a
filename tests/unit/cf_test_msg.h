/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_TEST_MSG_H
#define CF_TEST_MSG_H

/*
 * NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) messages for the unit tests,
 * written field by field into a struct cft_buf: headers, sets with their
 * length patched at the end, template and options template record headers,
 * field specifiers. Data records are written with cft_u8/u16/u32/u64 in the
 * order of their template. Nothing checks what is written: malformed
 * messages are built the same way, with the wrong numbers.
 *
 *   cft_ipfix_hdr(&b, secs, seq, domain);
 *   s = cft_set_begin(&b, CFT_SET_IPFIX_TPL);
 *   cft_tpl_hdr(&b, 256, 2); cft_field(&b, 7, 2); cft_field(&b, 11, 2);
 *   cft_set_end(&b, s, 0);
 *   cft_ipfix_end(&b);
 */

#include <stddef.h>
#include <stdint.h>

#include "cf_test.h"

#define CFT_SET_NF9_TPL 0
#define CFT_SET_NF9_OPT 1
#define CFT_SET_IPFIX_TPL 2
#define CFT_SET_IPFIX_OPT 3

/* Starts b over with a v9 header (count = records + templates the message says it holds). */
void cft_nf9_hdr(struct cft_buf *b, uint16_t count, uint32_t uptime_ms, uint32_t unix_secs,
		 uint32_t seq, uint32_t source_id);
/* Starts b over with an IPFIX header; its length is patched by cft_ipfix_end(). */
void cft_ipfix_hdr(struct cft_buf *b, uint32_t export_secs, uint32_t seq, uint32_t domain);
/* Message length = everything written so far. */
void cft_ipfix_end(struct cft_buf *b);

/* A set (v9: flowset) header; returns its offset for cft_set_end(). */
size_t cft_set_begin(struct cft_buf *b, uint16_t id);
/* pad != 0: zeros up to a multiple of 4 first; then the set length is patched. */
void cft_set_end(struct cft_buf *b, size_t off, int pad);

/* Template record header: id and field count (v9 and IPFIX; count 0 = IPFIX withdrawal). */
void cft_tpl_hdr(struct cft_buf *b, uint16_t tid, uint16_t n_fields);
/* v9 options template record header: scope and option field lengths in bytes. */
void cft_nf9_opt_hdr(struct cft_buf *b, uint16_t tid, uint16_t scope_bytes, uint16_t opt_bytes);
/* IPFIX options template record header: all fields, then how many lead as scope. */
void cft_ipfix_opt_hdr(struct cft_buf *b, uint16_t tid, uint16_t n_fields, uint16_t n_scope);

/* Field specifier: IANA / v9 element id and length (0xffff = IPFIX variable length). */
void cft_field(struct cft_buf *b, uint16_t id, uint16_t len);
/* IPFIX enterprise element: the enterprise bit, then the PEN. */
void cft_field_pen(struct cft_buf *b, uint16_t id, uint16_t len, uint32_t pen);

/* A datagram without payload from src at now_ms: the exporter identity the
 * template engine's own calls (cf_tpl_exporter, cf_tpl_data_set) take. */
void cft_dgram_at(struct cf_decode_dgram *dg, const char *src, uint64_t now_ms);

#endif
