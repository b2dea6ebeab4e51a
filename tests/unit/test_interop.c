/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What real routers send (issue 15), each case built byte by byte from the
 * RFCs: repeated elements (RFC 7011 sec. 8), PSAMP selectors (RFC 5477), next
 * hops, data before its template, event times, dataLinkFrameSection (RFC 7133),
 * interface and firewall counter fallbacks, options enrichment; and two hostile
 * inputs of issue 13: a 1-byte record template and data waiting for a template
 * that is withdrawn or redefined.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cf_dispatch.h"
#include "cf_test.h"
#include "cf_test_msg.h"
#include "cf_tpl.h"

#define EXPORT_S 1700000000u
#define EXPORT_MS (EXPORT_S * 1000ull)
#define DOMAIN 7u
#define UPTIME 360000000u
#define NTP_OFF 2208988800ull

static struct cft_buf b;

static void
ipfix(uint32_t seq)
{
	cft_ipfix_hdr(&b, EXPORT_S, seq, DOMAIN);
}

static void
feed_at(struct cft_dec *d, uint64_t now_ms)
{
	struct cf_decode_dgram dg;

	if (b.b[1] == 10)
		cft_ipfix_end(&b);
	cft_dgram(&dg, &b, "198.51.100.20");
	dg.now_ms = now_ms;
	cf_dispatch_datagram(&d->ctx, &dg);
}

static void
feed(struct cft_dec *d)
{
	feed_at(d, EXPORT_MS);
}

static void
ip6(const char *text)
{
	uint8_t a[16];

	inet_pton(AF_INET6, text, a);
	cft_bytes(&b, a, 16);
}

static int
is_ip4(const uint8_t *a, const char *text)
{
	uint8_t w[4];

	inet_pton(AF_INET, text, w);
	return memcmp(a, w, 4) == 0;
}

static int
is_ip6(const uint8_t *a, const char *text)
{
	uint8_t w[16];

	inet_pton(AF_INET6, text, w);
	return memcmp(a, w, 16) == 0;
}

/* ---------------------------------------------------------------- repeated elements */

/*
 * RFC 7011 sec. 8: the occurrences of a repeated element follow the order the
 * Metering Process treats them in, outer header first. The first occurrence of
 * the address/port/protocol group is the flow key; the second is inner_*; an
 * element belongs to the header whose addresses it follows. Three tunnels:
 * IPv4 in IPv6 (IOS-XR SRv6), IPv6 in IPv6, IPv4 in IPv4 (GRE), and the shape
 * of the issue: outer IPv6 addresses, then the inner IPv4 header with the one
 * protocol and the ports.
 */
static void
test_repeated_elements(void)
{
	struct cft_dec d;
	const struct cf_record *r;
	size_t s;

	cft_dec_init(&d, 16);
	ipfix(0);
	s = cft_set_begin(&b, 2);
	/* 300: v4 in v6, each header with its protocol */
	cft_tpl_hdr(&b, 300, 9);
	cft_field(&b, 27, 16); cft_field(&b, 28, 16); cft_field(&b, 4, 1);
	cft_field(&b, 8, 4); cft_field(&b, 12, 4); cft_field(&b, 4, 1);
	cft_field(&b, 7, 2); cft_field(&b, 11, 2); cft_field(&b, 1, 4);
	/* 301: v6 in v6 */
	cft_tpl_hdr(&b, 301, 8);
	cft_field(&b, 27, 16); cft_field(&b, 28, 16); cft_field(&b, 4, 1);
	cft_field(&b, 27, 16); cft_field(&b, 28, 16); cft_field(&b, 4, 1);
	cft_field(&b, 7, 2); cft_field(&b, 11, 2);
	/* 302: v4 in v4 (GRE), ports of the outer header too */
	cft_tpl_hdr(&b, 302, 10);
	cft_field(&b, 8, 4); cft_field(&b, 12, 4); cft_field(&b, 4, 1);
	cft_field(&b, 7, 2); cft_field(&b, 11, 2);
	cft_field(&b, 8, 4); cft_field(&b, 12, 4); cft_field(&b, 4, 1);
	cft_field(&b, 7, 2); cft_field(&b, 11, 2);
	/* 303: the shape: outer v6 addresses, inner v4 with the only protocol and ports */
	cft_tpl_hdr(&b, 303, 7);
	cft_field(&b, 27, 16); cft_field(&b, 28, 16);
	cft_field(&b, 8, 4); cft_field(&b, 12, 4);
	cft_field(&b, 4, 1); cft_field(&b, 7, 2); cft_field(&b, 11, 2);
	cft_set_end(&b, s, 0);

	s = cft_set_begin(&b, 300);
	ip6("2001:db8::1"); ip6("2001:db8::2"); cft_u8(&b, 4);
	cft_ip4(&b, "10.0.0.1"); cft_ip4(&b, "10.0.0.2"); cft_u8(&b, 6);
	cft_u16(&b, 40000); cft_u16(&b, 443); cft_u32(&b, 1500);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 301);
	ip6("2001:db8::a"); ip6("2001:db8::b"); cft_u8(&b, 41);
	ip6("fd00::1"); ip6("fd00::2"); cft_u8(&b, 17);
	cft_u16(&b, 5353); cft_u16(&b, 53);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 302);
	cft_ip4(&b, "192.0.2.1"); cft_ip4(&b, "192.0.2.2"); cft_u8(&b, 17);
	cft_u16(&b, 4789); cft_u16(&b, 4789);
	cft_ip4(&b, "172.16.0.1"); cft_ip4(&b, "172.16.0.2"); cft_u8(&b, 6);
	cft_u16(&b, 1234); cft_u16(&b, 22);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 303);
	ip6("2001:db8::c"); ip6("2001:db8::d");
	cft_ip4(&b, "10.9.0.1"); cft_ip4(&b, "10.9.0.2");
	cft_u8(&b, 6); cft_u16(&b, 1111); cft_u16(&b, 80);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 4);

	/* v4 in v6: the outer header is the flow, protocol 4 (IPIP); the inner one all inner_* */
	r = &d.out.recs[0];
	CU_ASSERT(r->present & CF_RECORD_F_SRC_V6);
	CU_ASSERT(is_ip6(r->src_addr, "2001:db8::1") && is_ip6(r->dst_addr, "2001:db8::2"));
	CU_ASSERT_EQUAL(r->protocol, 4);
	CU_ASSERT((r->present & CF_RECORD_F_PORTS) == 0);
	CU_ASSERT_EQUAL(r->bytes, 1500);
	CU_ASSERT((r->present2 & (CF_RECORD_F2_INNER_SRC_ADDR | CF_RECORD_F2_INNER_DST_ADDR)) ==
		  (CF_RECORD_F2_INNER_SRC_ADDR | CF_RECORD_F2_INNER_DST_ADDR));
	CU_ASSERT((r->present2 & CF_RECORD_F2_INNER_V6) == 0);
	CU_ASSERT(is_ip4(r->inner_src_addr, "10.0.0.1") && is_ip4(r->inner_dst_addr, "10.0.0.2"));
	CU_ASSERT(r->present2 & CF_RECORD_F2_INNER_PROTOCOL);
	CU_ASSERT_EQUAL(r->inner_protocol, 6);
	CU_ASSERT(r->present2 & CF_RECORD_F2_INNER_PORTS);
	CU_ASSERT_EQUAL(r->inner_src_port, 40000);
	CU_ASSERT_EQUAL(r->inner_dst_port, 443);

	/* v6 in v6 */
	r = &d.out.recs[1];
	CU_ASSERT(is_ip6(r->src_addr, "2001:db8::a") && is_ip6(r->dst_addr, "2001:db8::b"));
	CU_ASSERT_EQUAL(r->protocol, 41);
	CU_ASSERT((r->present & CF_RECORD_F_PORTS) == 0);
	CU_ASSERT(r->present2 & CF_RECORD_F2_INNER_V6);
	CU_ASSERT(is_ip6(r->inner_src_addr, "fd00::1") && is_ip6(r->inner_dst_addr, "fd00::2"));
	CU_ASSERT_EQUAL(r->inner_protocol, 17);
	CU_ASSERT_EQUAL(r->inner_src_port, 5353);
	CU_ASSERT_EQUAL(r->inner_dst_port, 53);

	/* v4 in v4, both headers with ports */
	r = &d.out.recs[2];
	CU_ASSERT((r->present & CF_RECORD_F_SRC_V6) == 0);
	CU_ASSERT(is_ip4(r->src_addr, "192.0.2.1") && is_ip4(r->dst_addr, "192.0.2.2"));
	CU_ASSERT_EQUAL(r->protocol, 17);
	CU_ASSERT_EQUAL(r->src_port, 4789);
	CU_ASSERT(is_ip4(r->inner_src_addr, "172.16.0.1") && is_ip4(r->inner_dst_addr, "172.16.0.2"));
	CU_ASSERT_EQUAL(r->inner_protocol, 6);
	CU_ASSERT_EQUAL(r->inner_src_port, 1234);
	CU_ASSERT_EQUAL(r->inner_dst_port, 22);

	/* The shape: never outer addresses with the inner protocol and ports. */
	r = &d.out.recs[3];
	CU_ASSERT(is_ip6(r->src_addr, "2001:db8::c"));
	CU_ASSERT((r->present & (CF_RECORD_F_PROTOCOL | CF_RECORD_F_PORTS)) == 0);
	CU_ASSERT(is_ip4(r->inner_src_addr, "10.9.0.1"));
	CU_ASSERT_EQUAL(r->inner_protocol, 6);
	CU_ASSERT_EQUAL(r->inner_src_port, 1111);
	CU_ASSERT_EQUAL(r->inner_dst_port, 80);
	cft_dec_fini(&d);
}

/*
 * A template with both families where one is zero (Procera, firewalls) is
 * one header, not a tunnel: the zero family is ignored, protocol and ports
 * belong to the flow wherever they sit. Same through NetFlow v9.
 */
static void
test_dual_family_not_tunnel(void)
{
	struct cft_dec d;
	const struct cf_record *r;
	size_t s;

	cft_dec_init(&d, 16);
	cft_nf9_hdr(&b, 3, UPTIME, EXPORT_S, 1, DOMAIN);
	s = cft_set_begin(&b, 0);
	cft_tpl_hdr(&b, 310, 7);
	cft_field(&b, 8, 4); cft_field(&b, 12, 4); cft_field(&b, 27, 16); cft_field(&b, 28, 16);
	cft_field(&b, 7, 2); cft_field(&b, 11, 2); cft_field(&b, 4, 1);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 310);
	cft_ip4(&b, "10.1.0.1"); cft_ip4(&b, "10.1.0.2"); ip6("::"); ip6("::");
	cft_u16(&b, 1000); cft_u16(&b, 80); cft_u8(&b, 6);
	cft_ip4(&b, "0.0.0.0"); cft_ip4(&b, "0.0.0.0"); ip6("2001:db8::5"); ip6("2001:db8::6");
	cft_u16(&b, 2000); cft_u16(&b, 443); cft_u8(&b, 17);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 2);
	r = &d.out.recs[0];
	CU_ASSERT((r->present & CF_RECORD_F_SRC_V6) == 0);
	CU_ASSERT(is_ip4(r->src_addr, "10.1.0.1") && is_ip4(r->dst_addr, "10.1.0.2"));
	CU_ASSERT_EQUAL(r->src_port, 1000);
	CU_ASSERT_EQUAL(r->protocol, 6);
	CU_ASSERT_EQUAL(r->present2 & (CF_RECORD_F2_INNER_SRC_ADDR | CF_RECORD_F2_INNER_PORTS |
				       CF_RECORD_F2_INNER_PROTOCOL), 0);
	r = &d.out.recs[1];
	CU_ASSERT(r->present & CF_RECORD_F_SRC_V6);
	CU_ASSERT(is_ip6(r->src_addr, "2001:db8::5") && is_ip6(r->dst_addr, "2001:db8::6"));
	CU_ASSERT_EQUAL(r->src_port, 2000);
	CU_ASSERT_EQUAL(r->dst_port, 443);
	CU_ASSERT_EQUAL(r->protocol, 17);
	CU_ASSERT_EQUAL(r->present2 & (CF_RECORD_F2_INNER_SRC_ADDR | CF_RECORD_F2_INNER_PORTS |
				       CF_RECORD_F2_INNER_PROTOCOL), 0);
	cft_dec_fini(&d);
}

/* ---------------------------------------------------------------- PSAMP selectors */

/*
 * RFC 5476/5477: a Selector Report is an options record scoped by selectorId
 * (302) with selectorAlgorithm (304) and its parameters; data records name
 * their selector with 302. Random n-out-of-N (3): rate = samplingPopulation
 * (310) / samplingSize (309); systematic count-based (1): (interval 305 +
 * space 306) / interval. An algorithm without its numbers gives no rate.
 */
static void
test_psamp_selectors(void)
{
	struct cft_dec d;
	size_t s;
	unsigned int i;

	cft_dec_init(&d, 16);
	ipfix(0);
	s = cft_set_begin(&b, 3);
	cft_ipfix_opt_hdr(&b, 400, 4, 1);
	cft_field(&b, 302, 4); cft_field(&b, 304, 2); cft_field(&b, 309, 4); cft_field(&b, 310, 4);
	cft_ipfix_opt_hdr(&b, 401, 4, 1);
	cft_field(&b, 302, 4); cft_field(&b, 304, 2); cft_field(&b, 305, 4); cft_field(&b, 306, 4);
	cft_ipfix_opt_hdr(&b, 402, 2, 1);
	cft_field(&b, 302, 4); cft_field(&b, 304, 2);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 256, 3);
	cft_field(&b, 8, 4); cft_field(&b, 1, 4); cft_field(&b, 302, 4);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 400); /* selector 7: random 1 out of 100 */
	cft_u32(&b, 7); cft_u16(&b, 3); cft_u32(&b, 1); cft_u32(&b, 100);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 401); /* selector 8: count-based, 1 selected, 49 skipped */
	cft_u32(&b, 8); cft_u16(&b, 1); cft_u32(&b, 1); cft_u32(&b, 49);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 402); /* selector 9: random, numbers not given */
	cft_u32(&b, 9); cft_u16(&b, 3);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 256);
	for (i = 7; i <= 9; i++) {
		cft_ip4(&b, "10.0.0.1"); cft_u32(&b, 100); cft_u32(&b, i);
	}
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 3);
	CU_ASSERT_EQUAL(d.out.recs[0].sampling_rate, 100);
	CU_ASSERT_EQUAL(d.out.recs[1].sampling_rate, 50);
	/* selector 9: null, not another selector's rate and not a guess of 1 */
	CU_ASSERT((d.out.recs[2].present & CF_RECORD_F_SAMPLING) == 0);
	CU_ASSERT_EQUAL(d.stats.opt_sampling, 3);
	cft_dec_fini(&d);
}

/* NetFlow v9 (RFC 3954) sampling options: SAMPLING_INTERVAL 34 with algorithm 35; sampler 48-50. */
static void
test_v9_sampler_options(void)
{
	struct cft_dec d;
	size_t s;

	cft_dec_init(&d, 16);
	cft_nf9_hdr(&b, 5, UPTIME, EXPORT_S, 1, DOMAIN);
	s = cft_set_begin(&b, 1);
	cft_nf9_opt_hdr(&b, 257, 4, 12);
	cft_field(&b, 1, 4); cft_field(&b, 48, 2); cft_field(&b, 49, 1); cft_field(&b, 50, 4);
	cft_nf9_opt_hdr(&b, 258, 4, 8);
	cft_field(&b, 1, 4); cft_field(&b, 48, 2); cft_field(&b, 49, 1); /* mode, no interval */
	cft_set_end(&b, s, 1);
	s = cft_set_begin(&b, 0);
	cft_tpl_hdr(&b, 256, 2); cft_field(&b, 8, 4); cft_field(&b, 48, 2);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 257);
	cft_u32(&b, 0); cft_u16(&b, 3); cft_u8(&b, 2); cft_u32(&b, 1000);
	cft_set_end(&b, s, 1);
	s = cft_set_begin(&b, 258);
	cft_u32(&b, 0); cft_u16(&b, 4); cft_u8(&b, 2);
	cft_set_end(&b, s, 1);
	s = cft_set_begin(&b, 256);
	cft_ip4(&b, "10.0.0.1"); cft_u16(&b, 3);
	cft_ip4(&b, "10.0.0.2"); cft_u16(&b, 4);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 2);
	CU_ASSERT_EQUAL(d.out.recs[0].sampling_rate, 1000);
	CU_ASSERT((d.out.recs[1].present & CF_RECORD_F_SAMPLING) == 0);
	cft_dec_fini(&d);
}

/* ---------------------------------------------------------------- next hops */

/* Both next-hop families in one template: the flow's family, and the non-zero one; BGP apart. */
static void
test_next_hop_family(void)
{
	struct cft_dec d;
	const struct cf_record *r;
	size_t s;

	cft_dec_init(&d, 16);
	ipfix(0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 256, 6);
	cft_field(&b, 8, 4); cft_field(&b, 12, 4);
	cft_field(&b, 15, 4); cft_field(&b, 62, 16); cft_field(&b, 18, 4); cft_field(&b, 63, 16);
	cft_tpl_hdr(&b, 257, 6);
	cft_field(&b, 27, 16); cft_field(&b, 28, 16);
	cft_field(&b, 15, 4); cft_field(&b, 62, 16); cft_field(&b, 18, 4); cft_field(&b, 63, 16);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 256);
	cft_ip4(&b, "10.0.0.1"); cft_ip4(&b, "10.0.0.2");
	cft_ip4(&b, "10.0.0.254"); ip6("::"); cft_ip4(&b, "192.0.2.9"); ip6("::");
	/* IPv4 flow whose exporter filled the IPv6 next hop too: still the IPv4 one */
	cft_ip4(&b, "10.0.0.1"); cft_ip4(&b, "10.0.0.2");
	cft_ip4(&b, "10.0.0.253"); ip6("fe80::1"); cft_ip4(&b, "0.0.0.0"); ip6("2001:db8::99");
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 257);
	ip6("2001:db8::1"); ip6("2001:db8::2");
	cft_ip4(&b, "0.0.0.0"); ip6("2001:db8::fe"); cft_ip4(&b, "0.0.0.0"); ip6("2001:db8::bb");
	/* IPv6 flow over an IPv4 core (6PE): only the IPv4 next hop is non-zero */
	ip6("2001:db8::1"); ip6("2001:db8::2");
	cft_ip4(&b, "10.0.0.252"); ip6("::"); cft_ip4(&b, "192.0.2.7"); ip6("::");
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 4);
	r = &d.out.recs[0];
	CU_ASSERT((r->present & CF_RECORD_F_NEXT_HOP) && !(r->present & CF_RECORD_F_NEXT_HOP_V6));
	CU_ASSERT(is_ip4(r->next_hop, "10.0.0.254"));
	CU_ASSERT((r->present2 & CF_RECORD_F2_BGP_NEXT_HOP) &&
		  !(r->present2 & CF_RECORD_F2_BGP_NEXT_HOP_V6));
	CU_ASSERT(is_ip4(r->bgp_next_hop, "192.0.2.9"));
	r = &d.out.recs[1];
	CU_ASSERT(!(r->present & CF_RECORD_F_NEXT_HOP_V6));
	CU_ASSERT(is_ip4(r->next_hop, "10.0.0.253"));
	CU_ASSERT(r->present2 & CF_RECORD_F2_BGP_NEXT_HOP_V6); /* the only non-zero BGP next hop */
	CU_ASSERT(is_ip6(r->bgp_next_hop, "2001:db8::99"));
	r = &d.out.recs[2];
	CU_ASSERT(r->present & CF_RECORD_F_NEXT_HOP_V6);
	CU_ASSERT(is_ip6(r->next_hop, "2001:db8::fe"));
	CU_ASSERT(is_ip6(r->bgp_next_hop, "2001:db8::bb"));
	r = &d.out.recs[3];
	CU_ASSERT(!(r->present & CF_RECORD_F_NEXT_HOP_V6));
	CU_ASSERT(is_ip4(r->next_hop, "10.0.0.252"));
	CU_ASSERT(is_ip4(r->bgp_next_hop, "192.0.2.7"));
	cft_dec_fini(&d);
}

/* ---------------------------------------------------------------- data before its template */

/*
 * A FortiGate sends one record per data set and scores of sets before its
 * templates: pending data is bounded by bytes (--template-wait-bytes) and age,
 * not by a count of sets. 300 one-record sets in three datagrams all wait.
 */
static void
test_pending_many_sets(void)
{
	struct cft_dec d;
	size_t s;
	unsigned int i, k;

	cft_dec_init(&d, 512);
	for (k = 0; k < 3; k++) {
		cft_nf9_hdr(&b, 100, UPTIME, EXPORT_S, 1 + k, DOMAIN);
		for (i = 0; i < 100; i++) {
			s = cft_set_begin(&b, 300);
			cft_ip4(&b, "10.0.0.1"); cft_u16(&b, (uint16_t)(k * 100 + i)); cft_u32(&b, 64);
			cft_set_end(&b, s, 1);
		}
		feed(&d);
	}
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 0);
	cft_nf9_hdr(&b, 1, UPTIME, EXPORT_S, 4, DOMAIN);
	s = cft_set_begin(&b, 0);
	cft_tpl_hdr(&b, 300, 3); cft_field(&b, 8, 4); cft_field(&b, 7, 2); cft_field(&b, 1, 4);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NO_TEMPLATE], 0);
	CU_ASSERT_EQUAL(d.stats.tpl_pending, 300);
	CU_ASSERT_EQUAL(d.stats.tpl_pending_done, 300);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 300);
	for (i = 0; i < 300; i++)
		CU_ASSERT_EQUAL(d.out.recs[i].src_port, i); /* in arrival order */
	cft_dec_fini(&d);
}

/* The byte bound still holds: what does not fit is no_template at once. */
static void
test_pending_byte_bound(void)
{
	struct cft_dec d;
	size_t s;
	unsigned int i;

	cft_dec_init_cfg(&d, 64, &(struct cft_dec_cfg){ .tpl = { .pending_bytes = 1000 } });
	cft_nf9_hdr(&b, 100, UPTIME, EXPORT_S, 1, DOMAIN);
	for (i = 0; i < 100; i++) {
		s = cft_set_begin(&b, 300);
		cft_ip4(&b, "10.0.0.1"); cft_u16(&b, (uint16_t)i); cft_u32(&b, 64); /* 10 bytes */
		cft_set_end(&b, s, 1);
	}
	feed(&d);
	/* 12 bytes per set with padding: 83 fit in 1000 */
	CU_ASSERT_EQUAL(d.stats.tpl_pending, 83);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NO_TEMPLATE], 17);
	cft_dec_fini(&d);
}

/* ---------------------------------------------------------------- times */

/*
 * A record without flow start/end: NSEL/NAT event records carry only an
 * observation time (322-325); otherwise the message's export time; uptime
 * times without systemInitTimeMilliseconds are no times. time_source says
 * which; never 1970.
 */
static void
test_event_times(void)
{
	struct cft_dec d;
	const uint64_t obs = EXPORT_MS - 4321;
	const uint64_t ntp = ((obs / 1000 + NTP_OFF) << 32) | (((obs % 1000) << 32) / 1000 + 1);
	size_t s;
	unsigned int i;

	cft_dec_init(&d, 16);
	ipfix(0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 300, 2); cft_field(&b, 8, 4); cft_field(&b, 323, 8); /* ms */
	cft_tpl_hdr(&b, 301, 2); cft_field(&b, 8, 4); cft_field(&b, 322, 4); /* s */
	cft_tpl_hdr(&b, 302, 2); cft_field(&b, 8, 4); cft_field(&b, 324, 8); /* us (NTP) */
	cft_tpl_hdr(&b, 303, 2); cft_field(&b, 8, 4); cft_field(&b, 325, 8); /* ns (NTP) */
	cft_tpl_hdr(&b, 304, 1); cft_field(&b, 8, 4);                        /* none */
	cft_tpl_hdr(&b, 305, 3); cft_field(&b, 8, 4); cft_field(&b, 22, 4); cft_field(&b, 21, 4);
	cft_tpl_hdr(&b, 306, 2); cft_field(&b, 8, 4); cft_field(&b, 153, 8); /* end only */
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 300); cft_ip4(&b, "10.0.0.1"); cft_u64(&b, obs); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 301); cft_ip4(&b, "10.0.0.1"); cft_u32(&b, (uint32_t)(obs / 1000));
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 302); cft_ip4(&b, "10.0.0.1"); cft_u64(&b, ntp); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 303); cft_ip4(&b, "10.0.0.1"); cft_u64(&b, ntp); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 304); cft_ip4(&b, "10.0.0.1"); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 305); cft_ip4(&b, "10.0.0.1"); cft_u32(&b, 1000); cft_u32(&b, 2000);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 306); cft_ip4(&b, "10.0.0.1"); cft_u64(&b, obs); cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 7);
	for (i = 0; i < 7; i++) {
		const struct cf_record *r = &d.out.recs[i];

		CU_ASSERT((r->present & (CF_RECORD_F_FLOW_START | CF_RECORD_F_FLOW_END)) ==
			  (CF_RECORD_F_FLOW_START | CF_RECORD_F_FLOW_END));
		CU_ASSERT(r->flow_start_ms >= EXPORT_MS - 86400000ull);
		CU_ASSERT_EQUAL(r->flow_start_ms, r->flow_end_ms);
	}
	CU_ASSERT_EQUAL(d.out.recs[0].flow_start_ms, obs);
	CU_ASSERT_EQUAL(d.out.recs[1].flow_start_ms, obs / 1000 * 1000);
	CU_ASSERT_EQUAL(d.out.recs[2].flow_start_ms, obs);
	CU_ASSERT_EQUAL(d.out.recs[3].flow_start_ms, obs);
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(d.out.recs[i].time_source, CF_RECORD_TS_OBSERVATION);
	CU_ASSERT_EQUAL(d.out.recs[4].flow_start_ms, EXPORT_MS);
	CU_ASSERT_EQUAL(d.out.recs[4].time_source, CF_RECORD_TS_EXPORT);
	/* flowStart/EndSysUpTime with no systemInitTimeMilliseconds known */
	CU_ASSERT_EQUAL(d.out.recs[5].flow_start_ms, EXPORT_MS);
	CU_ASSERT_EQUAL(d.out.recs[5].time_source, CF_RECORD_TS_EXPORT);
	/* one flow time: the flow's, for both ends */
	CU_ASSERT_EQUAL(d.out.recs[6].flow_start_ms, obs);
	CU_ASSERT_EQUAL(d.out.recs[6].time_source, CF_RECORD_TS_FLOW);
	cft_dec_fini(&d);
}

/* ---------------------------------------------------------------- dataLinkFrameSection */

/* Ethernet, 802.1Q VLAN 100, IPv4 10.1.1.1 -> 10.2.2.2 TCP 33000 -> 443, SYN. */
static void
frame_eth_vlan_tcp(void)
{
	static const uint8_t dst[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
	static const uint8_t src[6] = {0x00, 0x66, 0x77, 0x88, 0x99, 0xaa};

	cft_bytes(&b, dst, 6);
	cft_bytes(&b, src, 6);
	cft_u16(&b, 0x8100); cft_u16(&b, 0x2064); /* PCP 1, VLAN 100 */
	cft_u16(&b, 0x0800);
	cft_u8(&b, 0x45); cft_u8(&b, 0x10); cft_u16(&b, 40); cft_u32(&b, 0);
	cft_u8(&b, 64); cft_u8(&b, 6); cft_u16(&b, 0);
	cft_ip4(&b, "10.1.1.1"); cft_ip4(&b, "10.2.2.2");
	cft_u16(&b, 33000); cft_u16(&b, 443); cft_u32(&b, 1); cft_u32(&b, 0);
	cft_u8(&b, 0x50); cft_u8(&b, 0x02); cft_u16(&b, 1024); cft_u32(&b, 0);
}

/* Ethernet, MPLS label stack of two, IPv6 UDP (an MPLS core's sampled frame). */
static void
frame_eth_mpls_ip6_udp(void)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};

	cft_bytes(&b, mac, 6);
	cft_bytes(&b, mac, 6);
	cft_u16(&b, 0x8847);
	cft_u32(&b, (16000u << 12) | 64);            /* label 16000, not bottom */
	cft_u32(&b, (24001u << 12) | (1u << 8) | 64); /* label 24001, bottom of stack */
	cft_u32(&b, 0x60000000); cft_u16(&b, 8); cft_u8(&b, 17); cft_u8(&b, 64);
	ip6("2001:db8:1::1"); ip6("2001:db8:2::2");
	cft_u16(&b, 5000); cft_u16(&b, 53); cft_u16(&b, 8); cft_u16(&b, 0);
}

/*
 * RFC 7133: dataLinkFrameSection (315) is the first bytes of the sampled
 * frame, dataLinkFrameSize (312) its length (Juniper, Arista, ipfixprobe).
 * Decoded like an sFlow sampled header into the flow key, MACs and VLAN;
 * bytes = 312 and packets = 1 when the record has no counters.
 */
static void
test_data_link_frame_section(void)
{
	struct cft_dec d;
	const struct cf_record *r;
	size_t s, vl;

	cft_dec_init(&d, 16);
	ipfix(0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 300, 3);
	cft_field(&b, 10, 4); cft_field(&b, 312, 2); cft_field(&b, 315, 65535);
	cft_tpl_hdr(&b, 301, 2); /* fixed length section, as ipfixprobe sends it */
	cft_field(&b, 312, 2); cft_field(&b, 315, 70);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 300);
	cft_u32(&b, 17); cft_u16(&b, 1514);
	vl = b.len;
	cft_u8(&b, 0);
	frame_eth_vlan_tcp();
	b.b[vl] = (uint8_t)(b.len - vl - 1);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 301);
	cft_u16(&b, 800);
	vl = b.len;
	frame_eth_mpls_ip6_udp();
	while (b.len < vl + 70)
		cft_u8(&b, 0);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 2);
	r = &d.out.recs[0];
	CU_ASSERT(is_ip4(r->src_addr, "10.1.1.1") && is_ip4(r->dst_addr, "10.2.2.2"));
	CU_ASSERT_EQUAL(r->protocol, 6);
	CU_ASSERT_EQUAL(r->src_port, 33000);
	CU_ASSERT_EQUAL(r->dst_port, 443);
	CU_ASSERT_EQUAL(r->tcp_flags, 0x02);
	CU_ASSERT(r->present & CF_RECORD_F_VLAN);
	CU_ASSERT_EQUAL(r->vlan_id, 100);
	CU_ASSERT(r->present & CF_RECORD_F_SRC_MAC);
	CU_ASSERT_EQUAL(r->src_mac[5], 0xaa);
	CU_ASSERT_EQUAL(r->dst_mac[5], 0x55);
	CU_ASSERT_EQUAL(r->bytes, 1514);
	CU_ASSERT_EQUAL(r->packets, 1);
	CU_ASSERT_EQUAL(r->input_if, 17);
	r = &d.out.recs[1];
	CU_ASSERT(r->present & CF_RECORD_F_SRC_V6);
	CU_ASSERT(is_ip6(r->src_addr, "2001:db8:1::1") && is_ip6(r->dst_addr, "2001:db8:2::2"));
	CU_ASSERT_EQUAL(r->protocol, 17);
	CU_ASSERT_EQUAL(r->dst_port, 53);
	CU_ASSERT_EQUAL(r->bytes, 800);
	cft_dec_fini(&d);
}

/* ---------------------------------------------------------------- fallbacks */

/*
 * ingress/egressPhysicalInterface (252/253) when ingress/egressInterface are
 * absent; NSEL initiator + responder octets/packets (231/232, 298/299) when
 * octet/packetDeltaCount are absent: bytes is the connection's both directions.
 */
static void
test_interface_and_firewall_fallbacks(void)
{
	struct cft_dec d;
	size_t s;

	cft_dec_init(&d, 16);
	ipfix(0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 300, 7);
	cft_field(&b, 8, 4); cft_field(&b, 252, 4); cft_field(&b, 253, 4);
	cft_field(&b, 231, 8); cft_field(&b, 232, 8); cft_field(&b, 298, 8); cft_field(&b, 299, 8);
	cft_tpl_hdr(&b, 301, 6); /* both: the logical interface and the delta counts win */
	cft_field(&b, 252, 4); cft_field(&b, 10, 4); cft_field(&b, 14, 4); cft_field(&b, 253, 4);
	cft_field(&b, 231, 4); cft_field(&b, 1, 4);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 300);
	cft_ip4(&b, "10.0.0.1"); cft_u32(&b, 5); cft_u32(&b, 6);
	cft_u64(&b, 1000); cft_u64(&b, 30000); cft_u64(&b, 10); cft_u64(&b, 25);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 301);
	cft_u32(&b, 5); cft_u32(&b, 500); cft_u32(&b, 600); cft_u32(&b, 6);
	cft_u32(&b, 1000); cft_u32(&b, 77);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 2);
	CU_ASSERT(d.out.recs[0].present & CF_RECORD_F_INPUT_IF);
	CU_ASSERT_EQUAL(d.out.recs[0].input_if, 5);
	CU_ASSERT(d.out.recs[0].present & CF_RECORD_F_OUTPUT_IF);
	CU_ASSERT_EQUAL(d.out.recs[0].output_if, 6);
	CU_ASSERT_EQUAL(d.out.recs[0].bytes, 31000);
	CU_ASSERT_EQUAL(d.out.recs[0].packets, 35);
	CU_ASSERT_EQUAL(d.out.recs[1].input_if, 500);
	CU_ASSERT_EQUAL(d.out.recs[1].output_if, 600);
	CU_ASSERT_EQUAL(d.out.recs[1].bytes, 77);
	cft_dec_fini(&d);
}

/* ---------------------------------------------------------------- options enrichment */

/*
 * Options data mapping ifIndex -> interfaceName (82) / interfaceDescription
 * (83), VRF id -> VRFname (236) and applicationId -> applicationName (95/96)
 * names the flows of that exporter; a later record for the same id replaces
 * the name.
 */
static void
test_options_names(void)
{
	struct cft_dec d;
	const struct cf_record *r;
	size_t s, vl;

	cft_dec_init(&d, 16);
	ipfix(0);
	s = cft_set_begin(&b, 3);
	cft_ipfix_opt_hdr(&b, 400, 3, 1);
	cft_field(&b, 10, 4); cft_field(&b, 82, 65535); cft_field(&b, 83, 65535);
	cft_ipfix_opt_hdr(&b, 401, 2, 1);
	cft_field(&b, 234, 4); cft_field(&b, 236, 32);
	cft_ipfix_opt_hdr(&b, 402, 2, 1);
	cft_field(&b, 95, 4); cft_field(&b, 96, 65535);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 256, 5);
	cft_field(&b, 8, 4); cft_field(&b, 10, 4); cft_field(&b, 14, 4); cft_field(&b, 234, 4);
	cft_field(&b, 95, 4);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 400);
	cft_u32(&b, 3); cft_u8(&b, 9); cft_bytes(&b, "Gi0/0/0/1", 9); cft_u8(&b, 6);
	cft_bytes(&b, "uplink", 6);
	cft_u32(&b, 4); cft_u8(&b, 0); cft_u8(&b, 11); cft_bytes(&b, "customer-42", 11);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 401);
	cft_u32(&b, 10);
	vl = b.len;
	cft_bytes(&b, "red", 3);
	while (b.len < vl + 32)
		cft_u8(&b, 0);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 402);
	cft_u32(&b, 0x0d000050); cft_u8(&b, 4); cft_bytes(&b, "http", 4);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 256);
	cft_ip4(&b, "10.0.0.1"); cft_u32(&b, 3); cft_u32(&b, 4); cft_u32(&b, 10);
	cft_u32(&b, 0x0d000050);
	cft_ip4(&b, "10.0.0.1"); cft_u32(&b, 99); cft_u32(&b, 3); cft_u32(&b, 11);
	cft_u32(&b, 1);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 2);
	r = &d.out.recs[0];
	CU_ASSERT((r->present2 & (CF_RECORD_F2_NAME_IN_IF | CF_RECORD_F2_NAME_OUT_IF |
				  CF_RECORD_F2_NAME_VRF | CF_RECORD_F2_NAME_APP)) ==
		  (CF_RECORD_F2_NAME_IN_IF | CF_RECORD_F2_NAME_OUT_IF | CF_RECORD_F2_NAME_VRF |
		   CF_RECORD_F2_NAME_APP));
	CU_ASSERT(r->present2 & CF_RECORD_F2_VRF_ID);
	CU_ASSERT_EQUAL(r->vrf_id, 10);
	/* unknown ids: no name */
	r = &d.out.recs[1];
	CU_ASSERT((r->present2 & (CF_RECORD_F2_NAME_IN_IF | CF_RECORD_F2_NAME_VRF |
				  CF_RECORD_F2_NAME_APP)) == 0);
	CU_ASSERT(r->present2 & CF_RECORD_F2_NAME_OUT_IF);
	CU_ASSERT_EQUAL(d.stats.opt_if_name, 2);
	CU_ASSERT_EQUAL(d.stats.opt_vrf_name, 1);
	CU_ASSERT_EQUAL(d.stats.opt_app_name, 1);

	/* What the encoders read: the names themselves (an empty interfaceName: the description). */
	{
		struct cf_decode_ctx *ctxs[1] = {&d.ctx};
		struct cf_tpl_names_view *v = cf_tpl_names_view_new(ctxs, 1);
		const struct cf_record *r0 = &d.out.recs[0];
		uint32_t vrf_ref = r0->names[CF_RECORD_NAME_VRF];
		char name[CF_TPL_NAME_MAX + 1];

		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		CU_ASSERT_EQUAL(cf_tpl_names_lookup(v, r0->names[CF_RECORD_NAME_IN_IF], name), 9);
		CU_ASSERT_STRING_EQUAL(name, "Gi0/0/0/1");
		CU_ASSERT_EQUAL(cf_tpl_names_lookup(v, r0->names[CF_RECORD_NAME_OUT_IF], name), 11);
		CU_ASSERT_STRING_EQUAL(name, "customer-42");
		CU_ASSERT_EQUAL(cf_tpl_names_lookup(v, vrf_ref, name), 3);
		CU_ASSERT_STRING_EQUAL(name, "red");
		CU_ASSERT_EQUAL(cf_tpl_names_lookup(v, r0->names[CF_RECORD_NAME_APP], name), 4);
		CU_ASSERT_STRING_EQUAL(name, "http");
		CU_ASSERT_EQUAL(cf_tpl_names_lookup(v, 0, name), -1);

		/* VRF 10 renamed: the next records, and the earlier reference, read the new name. */
		ipfix(1);
		s = cft_set_begin(&b, 401);
		cft_u32(&b, 10);
		vl = b.len;
		cft_bytes(&b, "blue", 4);
		while (b.len < vl + 32)
			cft_u8(&b, 0);
		cft_set_end(&b, s, 0);
		s = cft_set_begin(&b, 256);
		cft_ip4(&b, "10.0.0.1"); cft_u32(&b, 3); cft_u32(&b, 4); cft_u32(&b, 10);
		cft_u32(&b, 0x0d000050);
		cft_set_end(&b, s, 0);
		feed(&d);
		CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 3);
		CU_ASSERT_EQUAL(cf_tpl_names_lookup(v, d.out.recs[2].names[CF_RECORD_NAME_VRF],
						    name), 4);
		CU_ASSERT_STRING_EQUAL(name, "blue");
		CU_ASSERT_EQUAL(cf_tpl_names_lookup(v, vrf_ref, name), 4);
		CU_ASSERT_EQUAL(d.stats.opt_vrf_name, 2);
		cf_tpl_names_view_free(v);
	}
	cft_dec_fini(&d);
}

/*
 * The operators' view (telemetry /clarion/templates, HTTP /templates): each
 * exporter's templates with their fields, first/last seen, records decoded
 * with each, and the data waiting for a template.
 */
static void
test_template_view(void)
{
	struct cft_dec d;
	const struct cf_decode_ctx *ctxs[1];
	struct cf_tpl_view *v;
	char *json;
	size_t s, len = 0;

	cft_dec_init(&d, 16);
	ipfix(0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 300, 2); cft_field(&b, 8, 4); cft_field_pen(&b, 1232, 2, 9);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 3);
	cft_ipfix_opt_hdr(&b, 400, 2, 1); cft_field(&b, 302, 4); cft_field(&b, 34, 4);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 300);
	cft_ip4(&b, "10.0.0.1"); cft_u16(&b, 5); cft_ip4(&b, "10.0.0.2"); cft_u16(&b, 6);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 500); /* no template yet: waits */
	cft_u32(&b, 1); cft_u32(&b, 2);
	cft_set_end(&b, s, 0);
	feed_at(&d, EXPORT_MS + 5);
	ctxs[0] = &d.ctx;
	v = cf_tpl_view_take(ctxs, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL_FATAL(v->n_exp, 1);
	CU_ASSERT_STRING_EQUAL(v->exp[0].exporter, "198.51.100.20");
	CU_ASSERT_EQUAL(v->exp[0].domain, DOMAIN);
	CU_ASSERT_EQUAL(v->exp[0].version, CF_RECORD_V_IPFIX);
	CU_ASSERT_EQUAL(v->exp[0].pending_sets, 1);
	CU_ASSERT_EQUAL(v->exp[0].pending_bytes, 8);
	CU_ASSERT_EQUAL_FATAL(v->exp[0].n, 2);
	CU_ASSERT_EQUAL(v->tpl[v->exp[0].first].tid, 300);
	CU_ASSERT_EQUAL(v->tpl[v->exp[0].first].records, 2);
	CU_ASSERT_EQUAL(v->tpl[v->exp[0].first].first_ms, EXPORT_MS + 5);
	CU_ASSERT_EQUAL(v->tpl[v->exp[0].first].n_fields, 2);
	CU_ASSERT_EQUAL(v->fields[v->tpl[v->exp[0].first].field + 1].pen, 9);
	CU_ASSERT_EQUAL(v->tpl[v->exp[0].first + 1].tid, 400);
	CU_ASSERT_EQUAL(v->tpl[v->exp[0].first + 1].kind, CF_TPL_KIND_OPTIONS);
	json = cf_tpl_view_json(v, NULL, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(json);
	CU_ASSERT_EQUAL(len, strlen(json));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"exporter\":\"198.51.100.20\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "{\"id\":1232,\"length\":2,\"pen\":9}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"records\":2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"pending_sets\":1"));
	free(json);
	json = cf_tpl_view_json(v, "192.0.2.99", &len); /* another exporter: none */
	CU_ASSERT_PTR_NOT_NULL_FATAL(json);
	CU_ASSERT_STRING_EQUAL(json, "{\"exporters\":[]}");
	free(json);
	cf_tpl_view_free(v);
	cft_dec_fini(&d);
}

/* ---------------------------------------------------------------- hostile: amplification */

/*
 * A template whose record is 1 byte turns every data byte into a record. At
 * most one record per CF_TPL_MIN_RECORD_BYTES bytes of a set is decoded; the
 * rest is counted (rec_amplified) and the sequence still counts them all.
 */
static void
test_record_amplification(void)
{
	struct cft_dec d;
	size_t s;
	unsigned int i;

	cft_dec_init(&d, 2048);
	ipfix(0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 300, 1); cft_field(&b, 4, 1);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 300);
	for (i = 0; i < 1400; i++)
		cft_u8(&b, 6);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1400 / CF_TPL_MIN_RECORD_BYTES);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_REC_AMPLIFIED],
			1400 - 1400 / CF_TPL_MIN_RECORD_BYTES);
	/* the next message's sequence number follows all 1400 records */
	cft_sink_reset(&d.out);
	cft_ipfix_hdr(&b, EXPORT_S, 1400, DOMAIN);
	s = cft_set_begin(&b, 300);
	for (i = 0; i < 8; i++)
		cft_u8(&b, 17);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.stats.seq_lost, 0);
	cft_dec_fini(&d);
}

/* ---------------------------------------------------------------- hostile: withdrawal */

/*
 * Data waiting for template 300 was sent under a definition we never saw: a
 * withdrawal of 300 discards it (tpl_wait_withdrawn), so the layout that comes
 * next never decodes it. Data sent after the withdrawal waits for the new one.
 */
static void
test_pending_withdrawn(void)
{
	struct cft_dec d;
	size_t s;

	cft_dec_init(&d, 16);
	ipfix(0);
	s = cft_set_begin(&b, 300);
	cft_ip4(&b, "10.0.0.1"); cft_u16(&b, 80); cft_u16(&b, 1234); /* old layout, 8 bytes */
	cft_set_end(&b, s, 0);
	feed(&d);
	ipfix(1);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 300, 0); /* withdrawal */
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 300);
	cft_u16(&b, 53); cft_u16(&b, 5353); /* new layout, 4 bytes: sent after the withdrawal */
	cft_set_end(&b, s, 0);
	feed(&d);
	ipfix(2);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 300, 2); cft_field(&b, 7, 2); cft_field(&b, 11, 2);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_WAIT_WITHDRAWN], 1);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.out.recs[0].src_port, 53);
	CU_ASSERT_EQUAL(d.out.recs[0].dst_port, 5353);
	cft_dec_fini(&d);
}

/*
 * Template 300 expired here (the exporter did not refresh it in time) and
 * data kept coming in its old layout; when 300 comes back with another layout
 * the waiting data is discarded (tpl_wait_redefined), with the same layout it
 * is decoded.
 */
static void
test_pending_redefined(void)
{
	struct cft_dec d;
	const uint64_t later = EXPORT_MS + 1801000ull; /* past the default 1800 s timeout */
	size_t s;

	cft_dec_init(&d, 16);
	ipfix(0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 300, 2); cft_field(&b, 8, 4); cft_field(&b, 7, 2);
	cft_tpl_hdr(&b, 301, 2); cft_field(&b, 8, 4); cft_field(&b, 7, 2);
	cft_set_end(&b, s, 0);
	feed(&d);
	ipfix(0);
	s = cft_set_begin(&b, 300);
	cft_ip4(&b, "10.0.0.1"); cft_u16(&b, 80);
	cft_set_end(&b, s, 1);
	s = cft_set_begin(&b, 301);
	cft_ip4(&b, "10.0.0.2"); cft_u16(&b, 81);
	cft_set_end(&b, s, 1);
	feed_at(&d, later);
	CU_ASSERT_EQUAL(d.stats.tpl_expired, 2);
	CU_ASSERT_EQUAL(d.stats.tpl_pending, 2);
	ipfix(1);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 300, 2); cft_field(&b, 7, 2); cft_field(&b, 11, 2); /* another layout */
	cft_tpl_hdr(&b, 301, 2); cft_field(&b, 8, 4); cft_field(&b, 7, 2);  /* the same */
	cft_set_end(&b, s, 0);
	feed_at(&d, later + 10);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_WAIT_REDEFINED], 1);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	CU_ASSERT(is_ip4(d.out.recs[0].src_addr, "10.0.0.2"));
	CU_ASSERT_EQUAL(d.out.recs[0].src_port, 81);
	cft_dec_fini(&d);
}

static const struct cft_case cases[] = {
	{"repeated_elements", test_repeated_elements},
	{"dual_family_not_tunnel", test_dual_family_not_tunnel},
	{"psamp_selectors", test_psamp_selectors},
	{"v9_sampler_options", test_v9_sampler_options},
	{"next_hop_family", test_next_hop_family},
	{"pending_many_sets", test_pending_many_sets},
	{"pending_byte_bound", test_pending_byte_bound},
	{"event_times", test_event_times},
	{"data_link_frame_section", test_data_link_frame_section},
	{"interface_and_firewall_fallbacks", test_interface_and_firewall_fallbacks},
	{"options_names", test_options_names},
	{"template_view", test_template_view},
	{"record_amplification", test_record_amplification},
	{"pending_withdrawn", test_pending_withdrawn},
	{"pending_redefined", test_pending_redefined},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("interop", cases);
}
