/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "cf_test_msg.h"

void
cft_nf9_hdr(struct cft_buf *b, uint16_t count, uint32_t uptime_ms, uint32_t unix_secs,
	    uint32_t seq, uint32_t source_id)
{
	b->len = 0;
	cft_u16(b, 9);
	cft_u16(b, count);
	cft_u32(b, uptime_ms);
	cft_u32(b, unix_secs);
	cft_u32(b, seq);
	cft_u32(b, source_id);
}

void
cft_ipfix_hdr(struct cft_buf *b, uint32_t export_secs, uint32_t seq, uint32_t domain)
{
	b->len = 0;
	cft_u16(b, 10);
	cft_u16(b, 0);
	cft_u32(b, export_secs);
	cft_u32(b, seq);
	cft_u32(b, domain);
}

void
cft_ipfix_end(struct cft_buf *b)
{
	cft_put16(b, 2, (uint16_t)b->len);
}

size_t
cft_set_begin(struct cft_buf *b, uint16_t id)
{
	size_t off = b->len;

	cft_u16(b, id);
	cft_u16(b, 0);
	return off;
}

void
cft_set_end(struct cft_buf *b, size_t off, int pad)
{
	while (pad && (b->len - off) % 4)
		cft_u8(b, 0);
	cft_put16(b, off + 2, (uint16_t)(b->len - off));
}

void
cft_tpl_hdr(struct cft_buf *b, uint16_t tid, uint16_t n_fields)
{
	cft_u16(b, tid);
	cft_u16(b, n_fields);
}

void
cft_nf9_opt_hdr(struct cft_buf *b, uint16_t tid, uint16_t scope_bytes, uint16_t opt_bytes)
{
	cft_u16(b, tid);
	cft_u16(b, scope_bytes);
	cft_u16(b, opt_bytes);
}

void
cft_ipfix_opt_hdr(struct cft_buf *b, uint16_t tid, uint16_t n_fields, uint16_t n_scope)
{
	cft_u16(b, tid);
	cft_u16(b, n_fields);
	cft_u16(b, n_scope);
}

void
cft_field(struct cft_buf *b, uint16_t id, uint16_t len)
{
	cft_u16(b, id);
	cft_u16(b, len);
}

void
cft_field_pen(struct cft_buf *b, uint16_t id, uint16_t len, uint32_t pen)
{
	cft_u16(b, id | 0x8000);
	cft_u16(b, len);
	cft_u32(b, pen);
}

void
cft_dgram_at(struct cf_decode_dgram *dg, const char *src, uint64_t now_ms)
{
	static const struct cft_buf empty;

	cft_dgram(dg, &empty, src);
	dg->now_ms = now_ms;
}
