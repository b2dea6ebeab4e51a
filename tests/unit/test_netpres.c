/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network presence responders on frames built byte by byte from RFC 826 (ARP),
 * RFC 792 (ICMP), RFC 4443 (ICMPv6) and RFC 4861 (ND); checksums are checked
 * with this file's own RFC 1071 sum, not the library's.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_netpres.h"
#include "cf_pkt.h"
#include "cf_test.h"

#define VLAN 100
#define T0 1000000u

static const uint8_t PORT_MAC[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
static const uint8_t PEER_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static struct cf_pkt_policy pol;
static struct cf_netpres_port ports[2];
static struct cf_stats_lcore st;
static struct cf_netpres_ctx ctx;

/* RFC 1071, written independently of the library. */
static uint16_t
sum16(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i < n; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static int
ip4_sum_ok(const uint8_t *ip, size_t n)
{
	return sum16(ip, n, 0) == 0xffff;
}

static int
icmp6_sum_ok(const uint8_t *ip6)
{
	uint32_t len = (uint32_t)ip6[4] << 8 | ip6[5], s = 0;
	uint8_t ph[40];

	memcpy(ph, ip6 + 8, 32);
	ph[32] = (uint8_t)(len >> 24);
	ph[33] = (uint8_t)(len >> 16);
	ph[34] = (uint8_t)(len >> 8);
	ph[35] = (uint8_t)len;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = 58;
	s = sum16(ph, 40, 0);
	return sum16(ip6 + 40, len, s) == 0xffff;
}

static void
add_addr(const char *spec)
{
	char err[256];

	CU_ASSERT_FATAL(cf_pkt_addr_parse(spec, &pol.addrs[pol.n_addrs], err, sizeof(err)) == 0);
	pol.n_addrs++;
}

static void
setup(uint32_t rate)
{
	memset(&pol, 0, sizeof(pol));
	memset(&st, 0, sizeof(st));
	add_addr("192.0.2.2@vlan0");
	add_addr("198.51.100.7/24@port0@vlan100");
	add_addr("2001:db8::2");
	cf_netpres_port_init(&ports[0], PORT_MAC);
	cf_netpres_port_init(&ports[1], PORT_MAC);
	ports[0].has_v6 = ports[1].has_v6 = 1;
	cf_netpres_ctx_init(&ctx, &pol, ports, 2, rate, rate, &st);
}

static void
eth_hdr(struct cft_buf *b, const uint8_t *dst, int vlan, uint16_t etype)
{
	b->len = 0;
	cft_bytes(b, dst, 6);
	cft_bytes(b, PEER_MAC, 6);
	if (vlan >= 0) {
		cft_u16(b, 0x8100);
		cft_u16(b, (uint16_t)vlan);
	}
	cft_u16(b, etype);
}

static void
arp(struct cft_buf *b, int vlan, uint16_t op, const char *spa, const char *tpa)
{
	eth_hdr(b, BCAST, vlan, 0x0806);
	cft_u16(b, 1);
	cft_u16(b, 0x0800);
	cft_u8(b, 6);
	cft_u8(b, 4);
	cft_u16(b, op);
	cft_bytes(b, PEER_MAC, 6);
	cft_ip4(b, spa);
	cft_bytes(b, "\0\0\0\0\0\0", 6);
	cft_ip4(b, tpa);
	while (b->len < 60)
		cft_u8(b, 0);
}

static uint32_t
input(struct cft_buf *b, uint16_t port, uint64_t now)
{
	return cf_netpres_input(&ctx, port, b->b, (uint32_t)b->len, sizeof(b->b), now);
}

static void
test_addr_parse(void)
{
	struct cf_pkt_addr a;
	char err[256];
	static const char *const bad[] = {
		"", "192.0.2.300", "192.0.2.1/0", "192.0.2.1/33", "2001:db8::1/129", "192.0.2.1@",
		"192.0.2.1@port", "192.0.2.1@vlan4095", "192.0.2.1@vlan1@vlan2", "192.0.2.1@eth0",
		"192.0.2.1@port0@port1", "192.0.2.1@port65536", "192.0.2.1/24x",
	};
	unsigned int i;

	CU_ASSERT(cf_pkt_addr_parse("198.51.100.2/24@port0", &a, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(a.v6, 0);
	CU_ASSERT_EQUAL(a.prefix, 24);
	CU_ASSERT_EQUAL(a.bound_port, 1);
	CU_ASSERT_EQUAL(a.port, 0);
	CU_ASSERT_EQUAL(a.bound_vlan, 0);
	CU_ASSERT(memcmp(a.addr, "\xc6\x33\x64\x02", 4) == 0);
	CU_ASSERT(cf_pkt_addr_parse("2001:db8::5@vlan42@port3", &a, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(a.v6, 1);
	CU_ASSERT_EQUAL(a.prefix, 128);
	CU_ASSERT_EQUAL(a.port, 3);
	CU_ASSERT_EQUAL(a.bound_vlan, 1);
	CU_ASSERT_EQUAL(a.vlan, 42);
	CU_ASSERT_EQUAL(a.addr[15], 5);
	CU_ASSERT(cf_pkt_addr_parse("192.0.2.1", &a, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(a.bound_port, 0);
	CU_ASSERT_EQUAL(a.bound_vlan, 0);
	CU_ASSERT_EQUAL(a.prefix, 32);
	CU_ASSERT(cf_pkt_addr_parse("192.0.2.1@vlan0", &a, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(a.vlan, 0);
	CU_ASSERT_EQUAL(a.bound_vlan, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT(cf_pkt_addr_parse(bad[i], &a, err, sizeof(err)) == -1);
		CU_ASSERT(err[0] != '\0');
	}
}

static void
test_accept_binding(void)
{
	struct cf_pkt_meta m;

	setup(100);
	pol.ports[0] = 2055;
	memset(&m, 0, sizeof(m));
	m.dst_port = 2055;
	inet_pton(AF_INET, "198.51.100.7", m.dst);
	CU_ASSERT_EQUAL((m.rx_port = 0, cf_pkt_accept(&pol, &m)),
			CF_STATS_DROP_DST_ADDR); /* untagged */
	m.vlans = 1;
	m.vlan_outer = VLAN;
	CU_ASSERT_EQUAL((m.rx_port = 0, cf_pkt_accept(&pol, &m)), CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL((m.rx_port = 1, cf_pkt_accept(&pol, &m)),
			CF_STATS_DROP_DST_ADDR); /* other port */
	m.vlans = 2;                                                  /* QinQ: inner tag counts */
	m.vlan_outer = 7;
	m.vlan_inner = VLAN;
	CU_ASSERT_EQUAL((m.rx_port = 0, cf_pkt_accept(&pol, &m)), CF_STATS_DROP_MAX);
	memset(m.dst, 0, 16);
	inet_pton(AF_INET, "192.0.2.2", m.dst);
	CU_ASSERT_EQUAL((m.rx_port = 0, cf_pkt_accept(&pol, &m)),
			CF_STATS_DROP_DST_ADDR); /* @vlan0: untagged only */
	m.vlans = 0;
	CU_ASSERT_EQUAL((m.rx_port = 1, cf_pkt_accept(&pol, &m)), CF_STATS_DROP_MAX);
	m.v6 = 1;
	inet_pton(AF_INET6, "2001:db8::2", m.dst);
	m.vlans = 1;
	m.vlan_outer = 3999;
	CU_ASSERT_EQUAL((m.rx_port = 1, cf_pkt_accept(&pol, &m)),
			CF_STATS_DROP_MAX); /* any port, any VLAN */
}

static void
test_arp_for_us(void)
{
	struct cft_buf *b = calloc(1, sizeof(*b));
	uint32_t n;
	const uint8_t *a;

	setup(100);
	arp(b, -1, 1, "192.0.2.10", "192.0.2.2");
	n = input(b, 0, T0);
	CU_ASSERT_EQUAL(n, 60);
	a = b->b + 14;
	CU_ASSERT(memcmp(b->b, PEER_MAC, 6) == 0);
	CU_ASSERT(memcmp(b->b + 6, PORT_MAC, 6) == 0);
	CU_ASSERT_EQUAL(a[6], 0);
	CU_ASSERT_EQUAL(a[7], 2);                                   /* reply */
	CU_ASSERT(memcmp(a + 8, PORT_MAC, 6) == 0);                  /* sha = us */
	CU_ASSERT(memcmp(a + 14, "\xc0\x00\x02\x02", 4) == 0);      /* spa = 192.0.2.2 */
	CU_ASSERT(memcmp(a + 18, PEER_MAC, 6) == 0);                 /* tha = asker */
	CU_ASSERT(memcmp(a + 24, "\xc0\x00\x02\x0a", 4) == 0);      /* tpa = 192.0.2.10 */
	CU_ASSERT_EQUAL(st.np_arp_replies, 1);

	/* On its VLAN, the reply keeps the tag. */
	arp(b, VLAN, 1, "198.51.100.10", "198.51.100.7");
	n = input(b, 0, T0);
	CU_ASSERT_EQUAL(n, 60);
	CU_ASSERT_EQUAL(b->b[12], 0x81);
	CU_ASSERT_EQUAL(b->b[15], VLAN);
	CU_ASSERT_EQUAL(b->b[14 + 4 + 7], 2);
	CU_ASSERT(memcmp(b->b + 18 + 14, "\xc6\x33\x64\x07", 4) == 0);
	CU_ASSERT_EQUAL(st.np_arp_replies, 2);
	free(b);
}

static void
test_arp_not_ours(void)
{
	struct cft_buf *b = calloc(1, sizeof(*b));

	setup(100);
	arp(b, -1, 1, "192.0.2.10", "192.0.2.99");                  /* someone else */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	arp(b, VLAN, 1, "192.0.2.10", "192.0.2.2");                 /* untagged-only address */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	arp(b, 101, 1, "198.51.100.10", "198.51.100.7");            /* wrong VLAN */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	arp(b, VLAN, 1, "198.51.100.10", "198.51.100.7");           /* wrong port */
	CU_ASSERT_EQUAL(input(b, 1, T0), 0);
	arp(b, -1, 2, "192.0.2.10", "192.0.2.2");                   /* a reply, not a request */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	arp(b, -1, 1, "192.0.2.2", "192.0.2.2");                    /* an announcement */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ARP_IGNORED], 6);
	arp(b, -1, 1, "192.0.2.10", "192.0.2.2");
	b->b[14 + 5] = 16;                                          /* plen 16: not IPv4 ARP */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	arp(b, -1, 1, "192.0.2.10", "192.0.2.2");
	b->len = 14 + 20;                                           /* truncated */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ARP_BAD], 2);
	CU_ASSERT_EQUAL(st.np_arp_replies, 0);
	free(b);
}

static void
echo4(struct cft_buf *b, int vlan, const char *src, const char *dst, uint8_t type)
{
	size_t ip, icmp, i;

	eth_hdr(b, PORT_MAC, vlan, 0x0800);
	ip = b->len;
	cft_u8(b, 0x45);
	cft_u8(b, 0);
	cft_u16(b, 20 + 8 + 20);
	cft_u16(b, 0x1234);
	cft_u16(b, 0x4000);
	cft_u8(b, 17);                                              /* TTL */
	cft_u8(b, 1);
	cft_u16(b, 0);
	cft_ip4(b, src);
	cft_ip4(b, dst);
	cft_put16(b, ip + 10, (uint16_t)~sum16(b->b + ip, 20, 0));
	icmp = b->len;
	cft_u8(b, type);
	cft_u8(b, 0);
	cft_u16(b, 0);
	cft_u16(b, 0xbeef);
	cft_u16(b, 7);
	for (i = 0; i < 20; i++)
		cft_u8(b, (uint8_t)i);
	cft_put16(b, icmp + 2, (uint16_t)~sum16(b->b + icmp, 28, 0));
	while (b->len < 60)
		cft_u8(b, 0);
}

static void
test_echo4(void)
{
	struct cft_buf *b = calloc(1, sizeof(*b));
	const uint8_t *ip = b->b + 14;
	uint32_t n;

	setup(100);
	echo4(b, -1, "192.0.2.10", "192.0.2.2", 8);
	n = input(b, 0, T0);
	CU_ASSERT_EQUAL(n, 14 + 48);
	CU_ASSERT(memcmp(b->b, PEER_MAC, 6) == 0);
	CU_ASSERT(memcmp(b->b + 6, PORT_MAC, 6) == 0);
	CU_ASSERT(memcmp(ip + 12, "\xc0\x00\x02\x02", 4) == 0);
	CU_ASSERT(memcmp(ip + 16, "\xc0\x00\x02\x0a", 4) == 0);
	CU_ASSERT_EQUAL(ip[8], 64);
	CU_ASSERT(ip4_sum_ok(ip, 20));
	CU_ASSERT_EQUAL(ip[20], 0);                                 /* echo reply */
	CU_ASSERT_EQUAL(ip[24], 0xbe);                              /* identifier kept */
	CU_ASSERT_EQUAL(ip[27], 7);                                 /* sequence kept */
	CU_ASSERT_EQUAL(ip[28 + 19], 19);                           /* data kept */
	CU_ASSERT(ip4_sum_ok(ip + 20, 28));
	CU_ASSERT_EQUAL(st.np_echo_replies, 1);

	echo4(b, -1, "192.0.2.10", "192.0.2.99", 8);
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	echo4(b, -1, "192.0.2.10", "192.0.2.2", 13);               /* timestamp: not answered */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ICMP_IGNORED], 2);
	echo4(b, -1, "192.0.2.10", "192.0.2.2", 8);
	b->b[14 + 28 + 3] ^= 1;                                     /* ICMP data corrupted */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	echo4(b, -1, "192.0.2.10", "192.0.2.2", 8);
	b->b[14 + 8] ^= 1;                                          /* IP header corrupted */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ICMP_BAD], 2);
	CU_ASSERT_EQUAL(st.np_echo_replies, 1);
	free(b);
}

static void
ip6_hdr(struct cft_buf *b, int vlan, const uint8_t *dmac, const char *src, const char *dst,
	uint8_t hlim)
{
	uint8_t a[16];

	eth_hdr(b, dmac, vlan, 0x86dd);
	cft_u32(b, 0x60000000);
	cft_u16(b, 0);                                              /* patched */
	cft_u8(b, 58);
	cft_u8(b, hlim);
	inet_pton(AF_INET6, src, a);
	cft_bytes(b, a, 16);
	inet_pton(AF_INET6, dst, a);
	cft_bytes(b, a, 16);
}

/* Patches payload length and ICMPv6 checksum of the packet at ip. */
static void
icmp6_close(struct cft_buf *b, size_t ip)
{
	uint8_t ph[40];
	uint32_t len = (uint32_t)(b->len - ip - 40);

	cft_put16(b, ip + 4, (uint16_t)len);
	memcpy(ph, b->b + ip + 8, 32);
	memset(ph + 32, 0, 8);
	ph[34] = (uint8_t)(len >> 8);
	ph[35] = (uint8_t)len;
	ph[39] = 58;
	cft_put16(b, ip + 42, (uint16_t)~sum16(b->b + ip + 40, len, sum16(ph, 40, 0)));
}

static void
echo6(struct cft_buf *b, const char *src, const char *dst)
{
	unsigned int i;

	ip6_hdr(b, -1, PORT_MAC, src, dst, 64);
	cft_u8(b, 128);
	cft_u8(b, 0);
	cft_u16(b, 0);
	cft_u16(b, 0x4243);
	cft_u16(b, 9);
	for (i = 0; i < 13; i++)                                    /* odd length on purpose */
		cft_u8(b, (uint8_t)(0xa0 + i));
	icmp6_close(b, 14);
}

static void
test_echo6(void)
{
	struct cft_buf *b = calloc(1, sizeof(*b));
	const uint8_t *ip = b->b + 14;
	uint8_t us[16], peer[16];
	uint32_t n;

	setup(100);
	inet_pton(AF_INET6, "2001:db8::2", us);
	inet_pton(AF_INET6, "2001:db8::10", peer);
	echo6(b, "2001:db8::10", "2001:db8::2");
	CU_ASSERT(icmp6_sum_ok(ip));                               /* the builder itself */
	n = input(b, 0, T0);
	CU_ASSERT_EQUAL(n, 14 + 40 + 8 + 13);
	CU_ASSERT(memcmp(b->b, PEER_MAC, 6) == 0);
	CU_ASSERT(memcmp(ip + 8, us, 16) == 0);
	CU_ASSERT(memcmp(ip + 24, peer, 16) == 0);
	CU_ASSERT_EQUAL(ip[40], 129);
	CU_ASSERT_EQUAL(ip[40 + 8 + 12], 0xac);
	CU_ASSERT(icmp6_sum_ok(ip));
	CU_ASSERT_EQUAL(st.np_echo_replies, 1);

	echo6(b, "2001:db8::10", "2001:db8::99");
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ICMP_IGNORED], 1);
	echo6(b, "2001:db8::10", "2001:db8::2");
	b->b[14 + 40 + 10] ^= 0x10;
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ICMP_BAD], 1);
	free(b);
}

/* NS for target from src to dst (a solicited-node group or the target). */
static void
ns(struct cft_buf *b, int vlan, const char *src, const char *dst, const char *target, uint8_t hlim,
   int slla)
{
	uint8_t d[16], t[16], mac[6];

	inet_pton(AF_INET6, dst, d);
	inet_pton(AF_INET6, target, t);
	memcpy(mac, (const uint8_t[]){0x33, 0x33, d[12], d[13], d[14], d[15]}, 6);
	ip6_hdr(b, vlan, d[0] == 0xff ? mac : PORT_MAC, src, dst, hlim);
	cft_u8(b, 135);
	cft_u8(b, 0);
	cft_u16(b, 0);
	cft_u32(b, 0);
	cft_bytes(b, t, 16);
	if (slla) {
		cft_u8(b, 1);
		cft_u8(b, 1);
		cft_bytes(b, PEER_MAC, 6);
	}
	icmp6_close(b, 14 + (vlan >= 0 ? 4 : 0));
}

static void
check_na(const struct cft_buf *b, uint32_t n, const char *target, const char *dst, uint8_t flags,
	 const uint8_t *eth_dst)
{
	const uint8_t *ip = b->b + 14, *na = ip + 40;
	uint8_t t[16], d[16];

	inet_pton(AF_INET6, target, t);
	inet_pton(AF_INET6, dst, d);
	CU_ASSERT_EQUAL(n, 14 + 40 + 32);
	CU_ASSERT(memcmp(b->b, eth_dst, 6) == 0);
	CU_ASSERT(memcmp(b->b + 6, PORT_MAC, 6) == 0);
	CU_ASSERT_EQUAL(ip[4] << 8 | ip[5], 32);
	CU_ASSERT_EQUAL(ip[6], 58);
	CU_ASSERT_EQUAL(ip[7], 255);
	CU_ASSERT(memcmp(ip + 8, t, 16) == 0);
	CU_ASSERT(memcmp(ip + 24, d, 16) == 0);
	CU_ASSERT_EQUAL(na[0], 136);
	CU_ASSERT_EQUAL(na[1], 0);
	CU_ASSERT_EQUAL(na[4], flags);
	CU_ASSERT(memcmp(na + 8, t, 16) == 0);
	CU_ASSERT_EQUAL(na[24], 2);                                 /* target link-layer address */
	CU_ASSERT_EQUAL(na[25], 1);
	CU_ASSERT(memcmp(na + 26, PORT_MAC, 6) == 0);
	CU_ASSERT(icmp6_sum_ok(ip));
}

static void
test_ns(void)
{
	static const uint8_t all_nodes[6] = {0x33, 0x33, 0, 0, 0, 1};
	struct cft_buf *b = calloc(1, sizeof(*b));
	uint32_t n;

	setup(100);
	ns(b, -1, "2001:db8::10", "ff02::1:ff00:2", "2001:db8::2", 255, 1);
	CU_ASSERT(icmp6_sum_ok(b->b + 14));
	n = input(b, 0, T0);
	check_na(b, n, "2001:db8::2", "2001:db8::10", 0x60, PEER_MAC);   /* S|O */
	/* Unicast NS (reachability), no SLLA option: reply grows 24 -> 32 bytes. */
	ns(b, -1, "2001:db8::10", "2001:db8::2", "2001:db8::2", 255, 0);
	n = input(b, 1, T0);
	check_na(b, n, "2001:db8::2", "2001:db8::10", 0x60, PEER_MAC);
	/* Duplicate address detection: to all nodes, not solicited. */
	ns(b, -1, "::", "ff02::1:ff00:2", "2001:db8::2", 255, 0);
	n = input(b, 0, T0);
	check_na(b, n, "2001:db8::2", "ff02::1", 0x20, all_nodes);
	/* The link-local address derived from the port MAC. */
	ns(b, -1, "fe80::1", "ff02::1:ffcc:ddee", "fe80::aa:bbff:fecc:ddee", 255, 1);
	n = input(b, 0, T0);
	check_na(b, n, "fe80::aa:bbff:fecc:ddee", "fe80::1", 0x60, PEER_MAC);
	CU_ASSERT_EQUAL(st.np_nd_adverts, 4);

	ns(b, -1, "2001:db8::10", "ff02::1:ff00:99", "2001:db8::99", 255, 1);
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ICMP_IGNORED], 1);
	ns(b, -1, "2001:db8::10", "ff02::1:ff00:2", "2001:db8::2", 64, 1);   /* routed: forged */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	ns(b, -1, "2001:db8::10", "ff02::1:ff00:3", "2001:db8::2", 255, 1);  /* wrong group */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	ns(b, -1, "::", "ff02::1:ff00:2", "2001:db8::2", 255, 1);            /* DAD with SLLA */
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ND_BAD], 3);
	CU_ASSERT_EQUAL(st.np_nd_adverts, 4);
	free(b);
}

static void
test_ns_vlan(void)
{
	struct cft_buf *b = calloc(1, sizeof(*b));
	const uint8_t *ip = b->b + 18;
	uint32_t n;

	memset(&pol, 0, sizeof(pol));
	memset(&st, 0, sizeof(st));
	add_addr("2001:db8:64::7@port1@vlan100");
	cf_netpres_port_init(&ports[1], PORT_MAC);
	cf_netpres_ctx_init(&ctx, &pol, ports, 2, 100, 100, &st);
	ns(b, VLAN, "2001:db8:64::10", "ff02::1:ff00:7", "2001:db8:64::7", 255, 1);
	n = input(b, 1, T0);
	CU_ASSERT_EQUAL(n, 18 + 40 + 32);
	CU_ASSERT_EQUAL(b->b[15], VLAN);
	CU_ASSERT_EQUAL(ip[40], 136);
	CU_ASSERT(icmp6_sum_ok(ip));
	ns(b, VLAN, "2001:db8:64::10", "ff02::1:ff00:7", "2001:db8:64::7", 255, 1);
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);                       /* bound to port 1 */
	ns(b, -1, "2001:db8:64::10", "ff02::1:ff00:7", "2001:db8:64::7", 255, 1);
	CU_ASSERT_EQUAL(input(b, 1, T0), 0);                       /* untagged */
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ICMP_IGNORED], 2);
	free(b);
}

static void
test_rate_limit(void)
{
	struct cft_buf *b = calloc(1, sizeof(*b));
	unsigned int i, ok = 0;

	setup(3);
	for (i = 0; i < 10; i++) {
		echo4(b, -1, "192.0.2.10", "192.0.2.2", 8);
		ok += input(b, 0, T0) != 0;
	}
	CU_ASSERT_EQUAL(ok, 3);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ICMP_RATE], 7);
	/* Another source has its own bucket; ARP has its own limiter. */
	echo4(b, -1, "192.0.2.11", "192.0.2.2", 8);
	CU_ASSERT(input(b, 0, T0) != 0);
	arp(b, -1, 1, "192.0.2.10", "192.0.2.2");
	CU_ASSERT(input(b, 0, T0) != 0);
	/* 1/3 s later one token is back, not two. */
	echo4(b, -1, "192.0.2.10", "192.0.2.2", 8);
	CU_ASSERT(input(b, 0, T0 + 334) != 0);
	echo4(b, -1, "192.0.2.10", "192.0.2.2", 8);
	CU_ASSERT_EQUAL(input(b, 0, T0 + 334), 0);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ICMP_RATE], 8);
	/* Many sources: the lcore-wide bucket (8 x rate) caps the total. */
	setup(3);
	for (i = 0, ok = 0; i < 200; i++) {
		char src[32];

		snprintf(src, sizeof(src), "10.9.%u.%u", i / 200, i % 200 + 1);
		echo4(b, -1, src, "192.0.2.2", 8);
		ok += input(b, 0, T0) != 0;
	}
	CU_ASSERT_EQUAL(ok, 3 * CF_NETPRES_GLOBAL_FACTOR);
	free(b);
}

static void
test_passive(void)
{
	struct cft_buf *b = calloc(1, sizeof(*b));

	/* No --collector-ip: answer nothing, count everything. */
	memset(&pol, 0, sizeof(pol));
	memset(&st, 0, sizeof(st));
	cf_netpres_port_init(&ports[0], PORT_MAC);
	cf_netpres_ctx_init(&ctx, &pol, ports, 2, 100, 100, &st);
	arp(b, -1, 1, "192.0.2.10", "192.0.2.2");
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	echo4(b, -1, "192.0.2.10", "192.0.2.2", 8);
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ARP_IGNORED], 1);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_ICMP_IGNORED], 1);
	/* A port id outside the table is never read. */
	setup(100);
	arp(b, -1, 1, "192.0.2.10", "192.0.2.2");
	CU_ASSERT_EQUAL(input(b, 7, T0), 0);
	/* LLDP and friends stay l2_not_ip. */
	eth_hdr(b, BCAST, -1, 0x88cc);
	cft_u32(b, 0);
	CU_ASSERT_EQUAL(input(b, 0, T0), 0);
	CU_ASSERT_EQUAL(st.drops[CF_STATS_DROP_L2_NOT_IP], 1);
	free(b);
}

static void
test_announce(void)
{
	static const uint8_t all_nodes[6] = {0x33, 0x33, 0, 0, 0, 1};
	uint8_t buf[CF_NETPRES_ANNOUNCE_MAX], a4[4], a6[16];
	uint32_t n;

	cf_netpres_port_init(&ports[0], PORT_MAC);
	inet_pton(AF_INET, "198.51.100.7", a4);
	n = cf_netpres_announce(&ports[0], a4, 0, VLAN, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, 64);
	CU_ASSERT(memcmp(buf, BCAST, 6) == 0);
	CU_ASSERT_EQUAL(buf[12] << 8 | buf[13], 0x8100);
	CU_ASSERT_EQUAL(buf[15], VLAN);
	CU_ASSERT_EQUAL(buf[16] << 8 | buf[17], 0x0806);
	CU_ASSERT_EQUAL(buf[18 + 7], 1);                            /* request */
	CU_ASSERT(memcmp(buf + 18 + 14, a4, 4) == 0);               /* spa = tpa = us */
	CU_ASSERT(memcmp(buf + 18 + 24, a4, 4) == 0);
	n = cf_netpres_announce(&ports[0], a4, 0, 0, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, 60);
	CU_ASSERT_EQUAL(buf[12] << 8 | buf[13], 0x0806);
	inet_pton(AF_INET6, "2001:db8::2", a6);
	n = cf_netpres_announce(&ports[0], a6, 1, 0, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, 14 + 40 + 32);
	CU_ASSERT(memcmp(buf, all_nodes, 6) == 0);
	CU_ASSERT_EQUAL(buf[14 + 40], 136);
	CU_ASSERT_EQUAL(buf[14 + 44], 0x20);                        /* override, not solicited */
	CU_ASSERT(icmp6_sum_ok(buf + 14));
	CU_ASSERT_EQUAL(cf_netpres_announce(&ports[0], a6, 1, 0, buf, 40), 0);
}

static void
test_addresses_derived(void)
{
	uint8_t mac[6], a6[16], ll[16];

	cf_netpres_port_init(&ports[0], PORT_MAC);
	inet_pton(AF_INET6, "fe80::aa:bbff:fecc:ddee", ll);
	CU_ASSERT(memcmp(ports[0].ll6, ll, 16) == 0);
	inet_pton(AF_INET6, "2001:db8::1:2:3", a6);
	cf_netpres_solicited_mac(a6, mac);
	CU_ASSERT(memcmp(mac, "\x33\x33\xff\x02\x00\x03", 6) == 0);
	/* The library's checksum against this file's on an odd length. */
	CU_ASSERT_EQUAL(
		cf_netpres_csum_fold(cf_netpres_csum_add(0, (const uint8_t *)"\x45\x00\x01", 3)),
		(uint16_t)~sum16((const uint8_t *)"\x45\x00\x01", 3, 0));
}

/* Random bytes behind valid-looking headers, in buffers of exactly len
 * bytes (ASan catches a read or write past them): never a reply that does
 * not fit, always exactly one counter per frame. */
static void
test_random_frames(void)
{
	static const uint16_t etypes[] = {0x0806, 0x0800, 0x86dd, 0x8100};
	uint32_t seed = 12345, i, k;

	setup(1000000);
	for (i = 0; i < 20000; i++) {
		uint32_t len = 0, n, sum_before = 0, sum_after = 0;
		uint8_t *f;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % 140;
		f = malloc(len ? len : 1);
		for (k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			f[k] = (uint8_t)(seed >> 16);
		}
		if (len >= 14) {
			uint16_t e = etypes[(seed >> 4) % 4];

			f[12] = (uint8_t)(e >> 8);
			f[13] = (uint8_t)e;
		}
		if (len >= 40 && f[13] == 0x00) {               /* IPv4 ICMP to us */
			f[14] = 0x45;
			f[16] = 0;
			f[17] = (uint8_t)(len - 14 - (seed & 7));
			f[23] = 1;
			memcpy(f + 30, "\xc0\x00\x02\x02", 4);
		}
		if (len >= 62 && f[13] == 0xdd) {               /* ICMPv6 NS-ish to us */
			f[14] = 0x60;
			f[18] = 0;
			f[19] = (uint8_t)(len - 54 - (seed & 3));
			f[20] = 58;
			f[21] = 255;
			f[54] = (seed & 0x100) ? 135 : 128;
		}
		for (k = 0; k < CF_STATS_DROP_MAX; k++)
			sum_before += (uint32_t)st.drops[k];
		sum_before += (uint32_t)(st.np_arp_replies + st.np_echo_replies + st.np_nd_adverts);
		n = cf_netpres_input(&ctx, 0, f, len, len, T0 + i);
		CU_ASSERT(n <= len);
		for (k = 0; k < CF_STATS_DROP_MAX; k++)
			sum_after += (uint32_t)st.drops[k];
		sum_after += (uint32_t)(st.np_arp_replies + st.np_echo_replies + st.np_nd_adverts);
		CU_ASSERT_EQUAL(sum_after, sum_before + 1);
		free(f);
	}
}

static const struct cft_case cases[] = {
	{"addr_parse", test_addr_parse},
	{"accept_binding", test_accept_binding},
	{"arp_for_us", test_arp_for_us},
	{"arp_not_ours", test_arp_not_ours},
	{"echo4", test_echo4},
	{"echo6", test_echo6},
	{"ns", test_ns},
	{"ns_vlan", test_ns_vlan},
	{"rate_limit", test_rate_limit},
	{"passive", test_passive},
	{"announce", test_announce},
	{"addresses_derived", test_addresses_derived},
	{"random_frames", test_random_frames},
	{NULL, NULL},
};

int
main(void)
{
	return cft_suite_main("netpres", cases);
}
