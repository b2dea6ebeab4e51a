/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <string.h>

#include "cf_json.h"

static inline char *
put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static inline void
put2(char *p, uint32_t v)
{
	memcpy(p, digits2 + 2 * v, 2);
}

/* v < 10^4 as exactly four digits (leading zeros). 5243 / 2^19 is 1/100 exactly below 43,699. */
static inline void
put4(char *p, uint32_t v)
{
	const uint32_t hi = (v * 5243u) >> 19;

	put2(p, hi);
	put2(p + 2, v - hi * 100);
}

/* v < 10^8 as exactly eight digits (leading zeros). */
static inline void
put8(char *p, uint32_t v)
{
	const uint32_t hi = v / 10000;

	put4(p, hi);
	put4(p + 4, v - hi * 10000);
}

/* v < 10^4, no leading zeros. */
static inline __attribute__((always_inline)) char *
put_lt1e4(char *p, uint32_t v)
{
	uint32_t hi;

	if (v < 100) {
		if (v < 10) {
			*p = (char)('0' + v);
			return p + 1;
		}
		put2(p, v);
		return p + 2;
	}
	hi = (v * 5243u) >> 19;
	if (v < 1000) {
		*p = (char)('0' + hi);
		put2(p + 1, v - hi * 100);
		return p + 3;
	}
	put2(p, hi);
	put2(p + 2, v - hi * 100);
	return p + 4;
}

/*
 * Decimal text of v, no leading zeros. A ladder of compares on the value's
 * size picks fixed-width pieces of four and eight digits: no digit count up
 * front, no loop, no division other than by constants (multiplies). Each
 * field keeps to one size class in practice, so the branches predict.
 */
static inline __attribute__((always_inline)) char *
put_u32(char *p, uint32_t v)
{
	uint32_t hi;

	if (v < 10000)
		return put_lt1e4(p, v);
	if (v < 100000000) {
		hi = v / 10000;
		p = put_lt1e4(p, hi);
		put4(p, v - hi * 10000);
		return p + 4;
	}
	hi = v / 100000000; /* 1..42 */
	p = put_lt1e4(p, hi);
	put8(p, v - hi * 100000000);
	return p + 8;
}

static inline __attribute__((always_inline)) char *
put_u64(char *p, uint64_t v)
{
	uint64_t hi;

	if (v <= UINT32_MAX)
		return put_u32(p, (uint32_t)v);
	hi = v / 100000000;
	if (hi <= UINT32_MAX) {
		/* Below 4.3e17: every ms timestamp takes this way (13 digits). */
		p = put_u32(p, (uint32_t)hi);
	} else {
		const uint64_t top = hi / 100000000; /* 1..1844 */

		p = put_lt1e4(p, (uint32_t)top);
		put8(p, (uint32_t)(hi - top * 100000000));
		p += 8;
	}
	put8(p, (uint32_t)(v - hi * 100000000));
	return p + 8;
}

/*
 * A time in ms, formatted once: its seconds are the same digits without the
 * last three (or "0" below one second). Copies are a fixed 24 bytes (the
 * slack is written over next), so they stay inline.
 */
struct ms_text {
	char s[24];
	unsigned int n;
};

static inline void
ms_format(struct ms_text *m, uint64_t ms)
{
	m->n = (unsigned int)(put_u64(m->s, ms) - m->s);
}

static inline char *
put_ms(char *p, const struct ms_text *m)
{
	memcpy(p, m->s, sizeof(m->s));
	return p + m->n;
}

static inline char *
put_secs(char *p, const struct ms_text *m)
{
	if (m->n <= 3) {
		*p = '0';
		return p + 1;
	}
	memcpy(p, m->s, sizeof(m->s));
	return p + m->n - 3;
}

/*
 * IPv4 octets: "ddd." for every value 0..255 with its digit count, built once
 * at start-up, so an address is four fixed 4-byte copies and no branches.
 */
static uint32_t octet_text[256];
static uint8_t octet_len[256];

static void __attribute__((constructor))
octet_table_init(void)
{
	unsigned int v;

	for (v = 0; v < 256; v++) {
		char s[4] = {0, 0, 0, 0};
		char *e = put_u64(s, v);

		*e = '.';
		memcpy(&octet_text[v], s, 4);
		octet_len[v] = (uint8_t)(e - s + 1);
	}
}

/* A byte-sized value from the octet table (up to 3 bytes of slack are scribbled on). */
static inline char *
put_u8(char *p, uint8_t v)
{
	memcpy(p, &octet_text[v], 4);
	return p + octet_len[v] - 1;
}

/* Writes a.b.c.d (4 bytes of slack past the end are scribbled on). */
static inline char *
put_ipv4(char *p, const uint8_t *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		memcpy(p, &octet_text[a[i]], 4);
		p += octet_len[a[i]];
	}
	return p - 1;
}

size_t
cf_json_addr(char *buf, const uint8_t *addr, int v6)
{
	if (!v6) {
		char tmp[20];
		size_t n = (size_t)(put_ipv4(tmp, addr) - tmp);

		memcpy(buf, tmp, n);
		buf[n] = '\0';
		return n;
	}
	/* IPv6 is the rare case; inet_ntop gives the RFC 5952 form. */
	if (inet_ntop(AF_INET6, addr, buf, INET6_ADDRSTRLEN) == NULL)
		buf[0] = '\0';
	return strlen(buf);
}

static inline char *
put_addr(char *p, const uint8_t *a, int v6)
{
	*p++ = '"';
	if (v6)
		p += cf_json_addr(p, a, 1);
	else
		p = put_ipv4(p, a);
	*p++ = '"';
	return p;
}

static inline char *
put_mac(char *p, const uint8_t *m)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	*p++ = '"';
	for (i = 0; i < 6; i++) {
		*p++ = hex[m[i] >> 4];
		*p++ = hex[m[i] & 15];
		*p++ = ':';
	}
	p[-1] = '"';
	return p;
}

static const char *const name_keys[CF_RECORD_NAME_MAX] = {
	",\"input_if_name\":", ",\"output_if_name\":", ",\"vrf_name\":",
	",\"application_name\":",
};

/* The rarer keys (cf_record.present2), each only when present. */
static char *
put_rare(char *p, const struct cf_record *r, const struct cf_json_opts *o)
{
	const uint32_t f2 = r->present2;
	unsigned int i;

	if (f2 & CF_RECORD_F2_BGP_NEXT_HOP) {
		p = PUT_LIT(p, ",\"bgp_next_hop\":");
		p = put_addr(p, r->bgp_next_hop, (f2 & CF_RECORD_F2_BGP_NEXT_HOP_V6) != 0);
	}
	if (f2 & CF_RECORD_F2_VRF_ID) {
		p = PUT_LIT(p, ",\"vrf_id\":");
		p = put_u32(p, r->vrf_id);
	}
	if (o != NULL && o->name != NULL) {
		for (i = 0; i < CF_RECORD_NAME_MAX; i++) {
			char name[CF_JSON_NAME_MAX + 1];
			int n;

			if (!(f2 & (CF_RECORD_F2_NAME_IN_IF << i)))
				continue;
			n = o->name(o->name_arg, r->names[i], name);
			if (n <= 0)
				continue;
			if (n > CF_JSON_NAME_MAX)
				n = CF_JSON_NAME_MAX;
			p = put(p, name_keys[i], strlen(name_keys[i]));
			p += cf_json_string(p, (const uint8_t *)name, (size_t)n);
		}
	}
	if (f2 & CF_RECORD_F2_INNER_SRC_ADDR) {
		p = PUT_LIT(p, ",\"inner_src_ip\":");
		p = put_addr(p, r->inner_src_addr, (f2 & CF_RECORD_F2_INNER_V6) != 0);
	}
	if (f2 & CF_RECORD_F2_INNER_DST_ADDR) {
		p = PUT_LIT(p, ",\"inner_dst_ip\":");
		p = put_addr(p, r->inner_dst_addr, (f2 & CF_RECORD_F2_INNER_V6) != 0);
	}
	if (f2 & CF_RECORD_F2_INNER_PORTS) {
		p = PUT_LIT(p, ",\"inner_src_port\":");
		p = put_u32(p, r->inner_src_port);
		p = PUT_LIT(p, ",\"inner_dst_port\":");
		p = put_u32(p, r->inner_dst_port);
	}
	if (f2 & CF_RECORD_F2_INNER_PROTOCOL) {
		p = PUT_LIT(p, ",\"inner_protocol\":");
		p = put_u8(p, r->inner_protocol);
	}
	return p;
}

/* null_absent is a constant in each caller: the compiler makes two encoders. */
static inline __attribute__((always_inline)) size_t
json_record(char *buf, const struct cf_record *r, const struct cf_json_opts *o,
	    const int null_absent)
{
	const uint32_t f = r->present;
	const int v6 = (f & CF_RECORD_F_SRC_V6) != 0;
	struct ms_text start, end;
	char *p = buf;

	ms_format(&start, r->flow_start_ms);
	ms_format(&end, r->flow_end_ms);

#define ABSENT(bit) (null_absent && !(f & (bit)))
	p = PUT_LIT(p, "{\"src_ip\":");
	p = ABSENT(CF_RECORD_F_SRC_ADDR) ? PUT_LIT(p, "null") : put_addr(p, r->src_addr, v6);
	p = PUT_LIT(p, ",\"dst_ip\":");
	p = ABSENT(CF_RECORD_F_DST_ADDR) ? PUT_LIT(p, "null") : put_addr(p, r->dst_addr, v6);
	p = PUT_LIT(p, ",\"src_port\":");
	p = ABSENT(CF_RECORD_F_PORTS) ? PUT_LIT(p, "null") : put_u32(p, r->src_port);
	p = PUT_LIT(p, ",\"dst_port\":");
	p = ABSENT(CF_RECORD_F_PORTS) ? PUT_LIT(p, "null") : put_u32(p, r->dst_port);
	p = PUT_LIT(p, ",\"protocol\":");
	p = ABSENT(CF_RECORD_F_PROTOCOL) ? PUT_LIT(p, "null") : put_u8(p, r->protocol);
	p = PUT_LIT(p, ",\"bytes\":");
	p = ABSENT(CF_RECORD_F_BYTES) ? PUT_LIT(p, "null") : put_u64(p, r->bytes);
	p = PUT_LIT(p, ",\"packets\":");
	p = ABSENT(CF_RECORD_F_PACKETS) ? PUT_LIT(p, "null") : put_u64(p, r->packets);
	p = PUT_LIT(p, ",\"flow_start\":");
	p = ABSENT(CF_RECORD_F_FLOW_START) ? PUT_LIT(p, "null") : put_secs(p, &start);
	p = PUT_LIT(p, ",\"flow_end\":");
	p = ABSENT(CF_RECORD_F_FLOW_END) ? PUT_LIT(p, "null") : put_secs(p, &end);
#undef ABSENT
	p = PUT_LIT(p, ",\"switch_id\":");
	p = put_addr(p, r->exporter, (f & CF_RECORD_F_EXPORTER_V6) != 0);

	p = PUT_LIT(p, ",\"src_sgt\":");
	p = (f & CF_RECORD_F_SRC_SGT) ? put_u32(p, r->src_sgt) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"dst_sgt\":");
	p = (f & CF_RECORD_F_DST_SGT) ? put_u32(p, r->dst_sgt) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"src_mac\":");
	p = (f & CF_RECORD_F_SRC_MAC) ? put_mac(p, r->src_mac) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"dst_mac\":");
	p = (f & CF_RECORD_F_DST_MAC) ? put_mac(p, r->dst_mac) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"vlan_id\":");
	p = (f & CF_RECORD_F_VLAN) ? put_u32(p, r->vlan_id) : PUT_LIT(p, "null");

	/* Richer fields: the backend ignores keys it does not know. */
	p = PUT_LIT(p, ",\"flow_start_ms\":");
	p = (f & CF_RECORD_F_FLOW_START) ? put_ms(p, &start) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"flow_end_ms\":");
	p = (f & CF_RECORD_F_FLOW_END) ? put_ms(p, &end) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"tcp_flags\":");
	p = (f & CF_RECORD_F_TCP_FLAGS) ? put_u8(p, r->tcp_flags) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"tos\":");
	p = (f & CF_RECORD_F_TOS) ? put_u8(p, r->tos) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"input_if\":");
	p = (f & CF_RECORD_F_INPUT_IF) ? put_u32(p, r->input_if) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"output_if\":");
	p = (f & CF_RECORD_F_OUTPUT_IF) ? put_u32(p, r->output_if) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"src_as\":");
	p = (f & CF_RECORD_F_SRC_AS) ? put_u32(p, r->src_as) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"dst_as\":");
	p = (f & CF_RECORD_F_DST_AS) ? put_u32(p, r->dst_as) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"src_mask\":");
	p = (f & CF_RECORD_F_SRC_MASK) ? put_u8(p, r->src_mask) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"dst_mask\":");
	p = (f & CF_RECORD_F_DST_MASK) ? put_u8(p, r->dst_mask) : PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"next_hop\":");
	p = (f & CF_RECORD_F_NEXT_HOP)
		? put_addr(p, r->next_hop, (f & CF_RECORD_F_NEXT_HOP_V6) != 0)
		: PUT_LIT(p, "null");
	p = PUT_LIT(p, ",\"sampling_rate\":");
	p = (f & CF_RECORD_F_SAMPLING) ? put_u32(p, r->sampling_rate) : PUT_LIT(p, "null");
	if (f & CF_RECORD_F_DIRECTION) {
		p = PUT_LIT(p, ",\"direction\":");
		p = put_u8(p, r->direction);
	}
	if (f & CF_RECORD_F_ICMP) {
		p = PUT_LIT(p, ",\"icmp_type\":");
		p = put_u8(p, r->icmp_type);
		p = PUT_LIT(p, ",\"icmp_code\":");
		p = put_u8(p, r->icmp_code);
	}
	if (f & CF_RECORD_F_POST_VLAN) {
		p = PUT_LIT(p, ",\"post_vlan_id\":");
		p = put_u32(p, r->post_vlan_id);
	}
	/* Constant-length copies, as below. */
	switch (r->time_source) {
	case CF_RECORD_TS_FLOW:
		p = PUT_LIT(p, ",\"time_source\":\"flow\"");
		break;
	case CF_RECORD_TS_OBSERVATION:
		p = PUT_LIT(p, ",\"time_source\":\"observation\"");
		break;
	case CF_RECORD_TS_EXPORT:
		p = PUT_LIT(p, ",\"time_source\":\"export\"");
		break;
	case CF_RECORD_TS_RECEIVED:
		p = PUT_LIT(p, ",\"time_source\":\"received\"");
		break;
	default:
		break;
	}
	if (__builtin_expect(r->present2 != 0, 0))
		p = put_rare(p, r, o);
	/* Constant-length copies: the compiler inlines them (strlen + memcpy would be calls). */
	switch (r->version) {
	case CF_RECORD_V_NF5:
		p = PUT_LIT(p, ",\"exporter_version\":5,\"export_protocol\":\"netflow_v5\"");
		break;
	case CF_RECORD_V_NF9:
		p = PUT_LIT(p, ",\"exporter_version\":9,\"export_protocol\":\"netflow_v9\"");
		break;
	case CF_RECORD_V_IPFIX:
		p = PUT_LIT(p, ",\"exporter_version\":10,\"export_protocol\":\"ipfix\"");
		break;
	case CF_RECORD_V_SFLOW:
		p = PUT_LIT(p, ",\"exporter_version\":5,\"export_protocol\":\"sflow_v5\"");
		break;
	default:
		p = PUT_LIT(p, ",\"exporter_version\":");
		p = put_u32(p, r->version);
		p = PUT_LIT(p, ",\"export_protocol\":\"unknown\"");
		break;
	}
	p = PUT_LIT(p, ",\"observation_domain\":");
	p = put_u32(p, r->observation_domain);
	if (f & CF_RECORD_F_FLOWS) {
		/* An aggregate (lib/agg): how many records it sums. */
		p = PUT_LIT(p, ",\"flows\":");
		p = put_u64(p, r->flows);
	}
	*p++ = '}';
	return (size_t)(p - buf);
}

size_t
cf_json_record(char *buf, const struct cf_record *r)
{
	return json_record(buf, r, NULL, 0);
}

size_t
cf_json_record_opts(char *buf, const struct cf_record *r, const struct cf_json_opts *o)
{
	if (o != NULL && o->null_absent)
		return json_record(buf, r, o, 1);
	return json_record(buf, r, o, 0);
}

/* Length of a valid UTF-8 sequence at s (1..4), or 0 when the bytes are not one. */
static size_t
utf8_seq(const uint8_t *s, size_t len)
{
	uint8_t c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

size_t
cf_json_string(char *out, const uint8_t *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	size_t i = 0;

	*p++ = '"';
	while (i < len) {
		uint8_t c = s[i];
		size_t n;

		switch (c) {
		case '"': p = PUT_LIT(p, "\\\""); i++; continue;
		case '\\': p = PUT_LIT(p, "\\\\"); i++; continue;
		case '\n': p = PUT_LIT(p, "\\n"); i++; continue;
		case '\r': p = PUT_LIT(p, "\\r"); i++; continue;
		case '\t': p = PUT_LIT(p, "\\t"); i++; continue;
		case '\b': p = PUT_LIT(p, "\\b"); i++; continue;
		case '\f': p = PUT_LIT(p, "\\f"); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			p = PUT_LIT(p, "\\u00");
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
			i++;
			continue;
		}
		n = utf8_seq(s + i, len - i);
		if (n == 0) {
			/* Not UTF-8: keep the byte's value as a Latin-1 code point. */
			p = PUT_LIT(p, "\\u00");
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
			i++;
			continue;
		}
		memcpy(p, s + i, n);
		p += n;
		i += n;
	}
	*p++ = '"';
	*p = '\0';
	return (size_t)(p - out);
}
