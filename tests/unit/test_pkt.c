/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame classification on frames built byte by byte: one row per case. */
#include <string.h>

#include "cf_pkt.h"
#include "cf_test.h"

enum l3 { V4, V6 };

struct frame_spec {
	const char *name;
	int vlans;            /* 0, 1 or 2 tags (outer 802.1ad when 2) */
	int extra_tag;        /* a third tag */
	enum l3 l3;
	int ip_opts_words;    /* IPv4 options, 4-byte words */
	int v6_ext;           /* IPv6: a hop-by-hop + destination options header */
	int v6_frag;          /* IPv6 fragment header */
	uint16_t v4_frag;     /* IPv4 flags/offset field */
	uint8_t proto;        /* 17 unless set */
	int ip_len_delta;     /* added to the IP length field */
	int udp_len_delta;    /* added to the UDP length field */
	size_t cut;           /* frame truncated to this length when non-zero */
	size_t pad;           /* Ethernet padding after the IP packet */
	enum cf_stats_drop want;
};

static size_t
build(const struct frame_spec *s, uint8_t *out, size_t payload_len)
{
	static struct cft_buf b;
	size_t ip_off, l4_len = 8 + payload_len, i;
	uint8_t proto = s->proto ? s->proto : 17;

	b.len = 0;
	cft_bytes(&b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (s->extra_tag) {
		cft_u16(&b, 0x88a8);
		cft_u16(&b, 1);
	}
	if (s->vlans == 2) {
		cft_u16(&b, 0x88a8);
		cft_u16(&b, 0x2000 | 100); /* PCP bits must not leak into the id */
	}
	if (s->vlans >= 1) {
		cft_u16(&b, 0x8100);
		cft_u16(&b, 42);
	}
	cft_u16(&b, s->l3 == V4 ? 0x0800 : 0x86dd);
	ip_off = b.len;
	if (s->l3 == V4) {
		size_t hl = 20 + 4 * (size_t)s->ip_opts_words;

		cft_u8(&b, (uint8_t)(0x40 | (hl / 4)));
		cft_u8(&b, 0);
		cft_u16(&b, (uint16_t)(hl + l4_len + s->ip_len_delta));
		cft_u16(&b, 1);
		cft_u16(&b, s->v4_frag);
		cft_u8(&b, 64);
		cft_u8(&b, proto);
		cft_u16(&b, 0);
		cft_ip4(&b, "198.51.100.1");
		cft_ip4(&b, "192.0.2.2");
		for (i = 0; i < (size_t)s->ip_opts_words; i++)
			cft_u32(&b, 0x01010101); /* NOPs */
	} else {
		size_t ext = (s->v6_ext ? 16 : 0) + (s->v6_frag ? 8 : 0);
		uint8_t first = s->v6_ext ? 0 : (s->v6_frag ? 44 : proto);

		cft_u32(&b, 0x60000000);
		cft_u16(&b, (uint16_t)(ext + l4_len + s->ip_len_delta));
		cft_u8(&b, first);
		cft_u8(&b, 64);
		cft_bytes(&b, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
		cft_bytes(&b, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
		if (s->v6_ext) {
			cft_u8(&b, 60); /* hop-by-hop, next: destination options */
			cft_u8(&b, 0);
			cft_bytes(&b, "\x01\x04\0\0\0\0", 6);
			cft_u8(&b, s->v6_frag ? 44 : proto);
			cft_u8(&b, 0);
			cft_bytes(&b, "\x01\x04\0\0\0\0", 6);
		}
		if (s->v6_frag) {
			cft_u8(&b, proto);
			cft_u8(&b, 0);
			cft_u16(&b, 1); /* offset 0, M set */
			cft_u32(&b, 99);
		}
	}
	cft_u16(&b, 50000);
	cft_u16(&b, 2055);
	cft_u16(&b, (uint16_t)(l4_len + s->udp_len_delta));
	cft_u16(&b, 0);
	for (i = 0; i < payload_len; i++)
		cft_u8(&b, (uint8_t)i);
	for (i = 0; i < s->pad; i++)
		cft_u8(&b, 0);
	(void)ip_off;
	memcpy(out, b.b, b.len);
	return s->cut ? s->cut : b.len;
}

static const struct frame_spec rows[] = {
	{.name = "ipv4", .l3 = V4, .want = CF_STATS_DROP_MAX},
	{.name = "ipv4 options", .l3 = V4, .ip_opts_words = 3, .want = CF_STATS_DROP_MAX},
	{.name = "ipv4 padded frame", .l3 = V4, .pad = 20, .want = CF_STATS_DROP_MAX},
	{.name = "vlan", .vlans = 1, .l3 = V4, .want = CF_STATS_DROP_MAX},
	{.name = "qinq", .vlans = 2, .l3 = V4, .want = CF_STATS_DROP_MAX},
	{.name = "three tags", .vlans = 2, .extra_tag = 1, .l3 = V4, .want = CF_STATS_DROP_VLAN_TOO_DEEP},
	{.name = "ipv6", .l3 = V6, .want = CF_STATS_DROP_MAX},
	{.name = "ipv6 ext headers", .l3 = V6, .v6_ext = 1, .vlans = 1, .want = CF_STATS_DROP_MAX},
	{.name = "ipv6 fragment", .l3 = V6, .v6_frag = 1, .want = CF_STATS_DROP_IP_FRAGMENT},
	{.name = "ipv6 ext + fragment", .l3 = V6, .v6_ext = 1, .v6_frag = 1, .want = CF_STATS_DROP_IP_FRAGMENT},
	{.name = "ipv4 MF", .l3 = V4, .v4_frag = 0x2000, .want = CF_STATS_DROP_IP_FRAGMENT},
	{.name = "ipv4 offset", .l3 = V4, .v4_frag = 0x0010, .want = CF_STATS_DROP_IP_FRAGMENT},
	{.name = "ipv4 DF is whole", .l3 = V4, .v4_frag = 0x4000, .want = CF_STATS_DROP_MAX},
	{.name = "ip length beyond frame", .l3 = V4, .ip_len_delta = 1, .want = CF_STATS_DROP_IP_TRUNCATED},
	{.name = "ipv6 length beyond frame", .l3 = V6, .ip_len_delta = 8, .want = CF_STATS_DROP_IP_TRUNCATED},
	{.name = "ip header cut", .l3 = V4, .cut = 14 + 12, .want = CF_STATS_DROP_IP_TRUNCATED},
	{.name = "ipv6 header cut", .l3 = V6, .cut = 14 + 39, .want = CF_STATS_DROP_IP_TRUNCATED},
	{.name = "udp length beyond ip", .l3 = V4, .udp_len_delta = 1, .want = CF_STATS_DROP_UDP_TRUNCATED},
	{.name = "udp length < 8", .l3 = V4, .udp_len_delta = -30, .want = CF_STATS_DROP_UDP_TRUNCATED},
	{.name = "udp header cut by ip length", .l3 = V4, .ip_len_delta = -30,
	 .want = CF_STATS_DROP_UDP_TRUNCATED},
	{.name = "tcp", .l3 = V4, .proto = 6, .want = CF_STATS_DROP_NOT_UDP},
	{.name = "icmpv6", .l3 = V6, .proto = 58, .want = CF_STATS_DROP_NOT_UDP},
	{.name = "ethernet cut", .l3 = V4, .cut = 13, .want = CF_STATS_DROP_L2_TRUNCATED},
	{.name = "vlan tag cut", .vlans = 1, .l3 = V4, .cut = 15, .want = CF_STATS_DROP_L2_TRUNCATED},
};

static void
test_rows(void)
{
	static uint8_t frame[2048];
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct frame_spec *s = &rows[i];
		struct cf_pkt_meta m;
		size_t len = build(s, frame, 28);
		enum cf_stats_drop got = cf_pkt_parse(frame, (uint32_t)len, &m);

		if (got != s->want)
			fprintf(stderr, "\n  row '%s': got %s want %s\n", s->name,
				cf_stats_drop_name(got), cf_stats_drop_name(s->want));
		CU_ASSERT_EQUAL(got, s->want);
		if (got != CF_STATS_DROP_MAX || s->want != CF_STATS_DROP_MAX)
			continue;
		CU_ASSERT_EQUAL(m.payload_len, 28);
		CU_ASSERT_EQUAL(frame[m.payload_off + 5], 5); /* payload bytes are 0, 1, 2, ... */
		CU_ASSERT_EQUAL(m.src_port, 50000);
		CU_ASSERT_EQUAL(m.dst_port, 2055);
		CU_ASSERT_EQUAL(m.vlans, s->vlans);
		if (s->vlans == 2) {
			CU_ASSERT_EQUAL(m.vlan_outer, 100);
			CU_ASSERT_EQUAL(m.vlan_inner, 42);
		} else if (s->vlans == 1) {
			CU_ASSERT_EQUAL(m.vlan_outer, 42);
		}
		CU_ASSERT_EQUAL(m.v6, s->l3 == V6);
		if (s->l3 == V4) {
			CU_ASSERT(memcmp(m.src, "\xc6\x33\x64\x01", 4) == 0);
			CU_ASSERT(memcmp(m.dst, "\xc0\x00\x02\x02", 4) == 0);
		} else {
			CU_ASSERT_EQUAL(m.src[15], 1);
			CU_ASSERT_EQUAL(m.dst[15], 2);
		}
	}
}

static void
test_not_ip(void)
{
	static const uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06};
	struct cf_pkt_meta m;

	CU_ASSERT_EQUAL(cf_pkt_parse(arp, sizeof(arp), &m), CF_STATS_DROP_L2_NOT_IP);
}

/* Every prefix of a good frame is either accepted whole or dropped by a reason. */
static void
test_every_truncation(void)
{
	static const struct frame_spec good = {.name = "v6 ext qinq", .vlans = 2, .l3 = V6, .v6_ext = 1};
	static uint8_t frame[2048];
	size_t len = build(&good, frame, 28), cut;
	struct cf_pkt_meta m;

	for (cut = 0; cut < len; cut++)
		CU_ASSERT_NOT_EQUAL(cf_pkt_parse(frame, (uint32_t)cut, &m), CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(cf_pkt_parse(frame, (uint32_t)len, &m), CF_STATS_DROP_MAX);
}

static void
test_accept_policy(void)
{
	static const struct frame_spec s = {.name = "ipv4", .l3 = V4};
	static uint8_t frame[2048];
	struct cf_pkt_policy pol;
	struct cf_pkt_meta m;

	memset(&pol, 0, sizeof(pol));
	pol.ports[0] = 2055;
	CU_ASSERT_EQUAL_FATAL(cf_pkt_parse(frame, (uint32_t)build(&s, frame, 28), &m),
			      CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(cf_pkt_accept(&pol, &m), CF_STATS_DROP_MAX);
	pol.ports[0] = 9995;
	CU_ASSERT_EQUAL(cf_pkt_accept(&pol, &m), CF_STATS_DROP_UDP_PORT);
	pol.ports[2] = 2055;
	CU_ASSERT_EQUAL(cf_pkt_accept(&pol, &m), CF_STATS_DROP_MAX);

	pol.n_addrs = 1;
	memcpy(pol.addrs[0].addr, "\xc0\x00\x02\x03", 4);
	CU_ASSERT_EQUAL(cf_pkt_accept(&pol, &m), CF_STATS_DROP_DST_ADDR);
	pol.n_addrs = 2;
	memcpy(pol.addrs[1].addr, "\xc0\x00\x02\x02", 4);
	CU_ASSERT_EQUAL(cf_pkt_accept(&pol, &m), CF_STATS_DROP_MAX);
	/* the same bytes as an IPv6 address prefix must not match an IPv4 packet */
	pol.addrs[1].v6 = 1;
	CU_ASSERT_EQUAL(cf_pkt_accept(&pol, &m), CF_STATS_DROP_DST_ADDR);
}

/* The drop table: every reason has a distinct name, a unit and help text. */
static void
test_drop_table(void)
{
	unsigned int i, j;

	for (i = 0; i < CF_STATS_DROP_MAX; i++) {
		CU_ASSERT(strlen(cf_stats_drop_name(i)) > 0);
		CU_ASSERT(strlen(cf_stats_drop_help(i)) > 10);
		CU_ASSERT(strcmp(cf_stats_drop_unit(i), "invalid") != 0);
		for (j = 0; j < i; j++)
			CU_ASSERT(strcmp(cf_stats_drop_name(i), cf_stats_drop_name(j)) != 0);
	}
	CU_ASSERT_STRING_EQUAL(cf_stats_drop_name(CF_STATS_DROP_MAX), "invalid");
}

static const struct cft_case cases[] = {
	{"rows", test_rows},
	{"not_ip", test_not_ip},
	{"every_truncation", test_every_truncation},
	{"accept_policy", test_accept_policy},
	{"drop_table", test_drop_table},
	{NULL, NULL},
};

int
main(void)
{
	return cft_suite_main("classify", cases);
}
