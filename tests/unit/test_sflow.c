/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sFlow v5 decoder on datagrams built field by field from the sflow.org
 * "sFlow Version 5" spec (XDR: every field a big-endian 32-bit word unless
 * stated, opaque data padded to 4 bytes).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cf_dispatch.h"
#include "cf_metrics.h"
#include "cf_sflow.h"
#include "cf_sflow_metrics.h"
#include "cf_test.h"

#define NOW 1700000000000ull

static const uint8_t MAC_DST[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t MAC_SRC[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};

static void
put32(struct cft_buf *b, size_t off, uint32_t v)
{
	b->b[off] = (uint8_t)(v >> 24);
	b->b[off + 1] = (uint8_t)(v >> 16);
	b->b[off + 2] = (uint8_t)(v >> 8);
	b->b[off + 3] = (uint8_t)v;
}

static void
ip6(struct cft_buf *b, const char *txt)
{
	uint8_t a[16];

	if (inet_pton(AF_INET6, txt, a) != 1)
		abort();
	cft_bytes(b, a, 16);
}

static int
addr_is(const uint8_t *got, const char *txt)
{
	uint8_t a[16] = {0};

	if (inet_pton(AF_INET, txt, a) == 1)
		return memcmp(got, a, 4) == 0;
	if (inet_pton(AF_INET6, txt, a) == 1)
		return memcmp(got, a, 16) == 0;
	abort();
}

/* Datagram header; the agent is IPv4 text or IPv6 text. */
static void
dgram_hdr(struct cft_buf *b, const char *agent, uint32_t sub, uint32_t seq, uint32_t nsamples)
{
	uint8_t a[16];

	b->len = 0;
	cft_u32(b, 5);
	if (inet_pton(AF_INET, agent, a) == 1) {
		cft_u32(b, 1);
		cft_bytes(b, a, 4);
	} else {
		cft_u32(b, 2);
		ip6(b, agent);
	}
	cft_u32(b, sub);
	cft_u32(b, seq);
	cft_u32(b, 3600000);  /* uptime ms */
	cft_u32(b, nsamples);
}

/* Opens a sample or record: format then a length patched by close_len(). */
static size_t
open_len(struct cft_buf *b, uint32_t enterprise, uint32_t format)
{
	cft_u32(b, enterprise << 12 | format);
	cft_u32(b, 0);
	return b->len;
}

static void
close_len(struct cft_buf *b, size_t start)
{
	put32(b, start - 4, (uint32_t)(b->len - start));
}

static void
flow_compact(struct cft_buf *b, uint32_t source_id, uint32_t rate, uint32_t in, uint32_t out,
	     uint32_t nrec)
{
	cft_u32(b, 77);        /* sample sequence */
	cft_u32(b, source_id); /* type << 24 | index */
	cft_u32(b, rate);
	cft_u32(b, rate * 10); /* sample pool */
	cft_u32(b, 0);         /* drops */
	cft_u32(b, in);
	cft_u32(b, out);
	cft_u32(b, nrec);
}

/* Raw packet header record: header_protocol, frame_length, stripped, header. */
static void
rec_header(struct cft_buf *b, uint32_t proto, uint32_t frame_len, const uint8_t *h, uint32_t hlen)
{
	size_t s = open_len(b, 0, CF_SFLOW_FLOW_HEADER);
	static const uint8_t zero[4];

	cft_u32(b, proto);
	cft_u32(b, frame_len);
	cft_u32(b, 4);
	cft_u32(b, hlen);
	cft_bytes(b, h, hlen);
	cft_bytes(b, zero, (4 - hlen % 4) % 4);
	close_len(b, s);
}

/* Ethernet [+ VLAN tags] + IPv4 + TCP frame, in a packet builder of its own. */
static uint32_t
frame_eth_ip4_tcp(uint8_t *out, int tags)
{
	struct cft_buf *f = calloc(1, sizeof(*f));
	uint32_t n;
	int i;

	cft_bytes(f, MAC_DST, 6);
	cft_bytes(f, MAC_SRC, 6);
	for (i = 0; i < tags; i++) {
		cft_u16(f, i == 0 && tags == 2 ? 0x88a8 : 0x8100);
		cft_u16(f, (uint16_t)(0x2000 | (i == 0 ? 100 : 200))); /* PCP 1, VID */
	}
	cft_u16(f, 0x0800);
	cft_u8(f, 0x45);
	cft_u8(f, 0xb8);       /* ToS */
	cft_u16(f, 1400);
	cft_u16(f, 1);
	cft_u16(f, 0x4000);    /* DF */
	cft_u8(f, 64);
	cft_u8(f, 6);
	cft_u16(f, 0);
	cft_ip4(f, "10.1.2.3");
	cft_ip4(f, "192.0.2.9");
	cft_u16(f, 51000);
	cft_u16(f, 443);
	cft_u32(f, 1);
	cft_u32(f, 2);
	cft_u8(f, 0x50);
	cft_u8(f, 0x18);       /* PSH|ACK */
	cft_u16(f, 512);
	cft_u32(f, 0);
	n = (uint32_t)f->len;
	memcpy(out, f->b, n);
	free(f);
	return n;
}

/* Ethernet + IPv6 + hop-by-hop option header + UDP. */
static uint32_t
frame_eth_ip6_udp(uint8_t *out)
{
	struct cft_buf *f = calloc(1, sizeof(*f));
	uint32_t n;

	cft_bytes(f, MAC_DST, 6);
	cft_bytes(f, MAC_SRC, 6);
	cft_u16(f, 0x86dd);
	cft_u32(f, 0x6a000000); /* version 6, traffic class 0xa0 */
	cft_u16(f, 8 + 8 + 100);
	cft_u8(f, 0);           /* next: hop-by-hop */
	cft_u8(f, 64);
	ip6(f, "2001:db8::1");
	ip6(f, "2001:db8:ffff::2");
	cft_u8(f, 17);          /* hop-by-hop: next UDP, length 0 (8 bytes) */
	cft_u8(f, 0);
	cft_u16(f, 0x0104);     /* PadN */
	cft_u32(f, 0);
	cft_u16(f, 5353);
	cft_u16(f, 53);
	cft_u16(f, 108);
	cft_u16(f, 0);
	n = (uint32_t)f->len;
	memcpy(out, f->b, n);
	free(f);
	return n;
}

static void
decode(struct cft_dec *d, const struct cft_buf *b, const char *udp_src)
{
	struct cf_decode_dgram dg;

	cft_dgram(&dg, b, udp_src);
	dg.dst_port = 6343;
	dg.now_ms = NOW;
	cf_dispatch_datagram(&d->ctx, &dg);
}

static void
test_flow_sample_every_record(void)
{
	static struct cft_buf b;
	uint8_t fr[256];
	uint32_t n = frame_eth_ip4_tcp(fr, 1);
	struct cf_record *r;
	struct cft_dec d;
	size_t s, e;

	cft_dec_init(&d, 16);
	dgram_hdr(&b, "198.51.100.1", 3, 1000, 1);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW);
	flow_compact(&b, 0x00000007, 512, 7, 9, 4);
	rec_header(&b, CF_SFLOW_HDR_ETHERNET, 1418, fr, n);
	e = open_len(&b, 0, CF_SFLOW_FLOW_EXT_SWITCH);
	cft_u32(&b, 100);
	cft_u32(&b, 1);
	cft_u32(&b, 300);
	cft_u32(&b, 0);
	close_len(&b, e);
	e = open_len(&b, 0, CF_SFLOW_FLOW_EXT_ROUTER);
	cft_u32(&b, 1);
	cft_ip4(&b, "10.0.0.254");
	cft_u32(&b, 24);
	cft_u32(&b, 16);
	close_len(&b, e);
	e = open_len(&b, 0, CF_SFLOW_FLOW_EXT_GATEWAY);
	cft_u32(&b, 2);
	ip6(&b, "2001:db8::fe");
	cft_u32(&b, 64500);    /* router AS */
	cft_u32(&b, 64501);    /* src AS */
	cft_u32(&b, 64502);    /* src peer AS */
	cft_u32(&b, 2);        /* dst AS path: two segments */
	cft_u32(&b, 2);        /* AS_SEQUENCE */
	cft_u32(&b, 2);
	cft_u32(&b, 3356);
	cft_u32(&b, 1299);
	cft_u32(&b, 1);        /* AS_SET */
	cft_u32(&b, 1);
	cft_u32(&b, 15169);
	cft_u32(&b, 0);        /* communities */
	cft_u32(&b, 100);      /* localpref */
	close_len(&b, e);
	close_len(&b, s);
	decode(&d, &b, "203.0.113.50");

	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.stats.records, 1);
	CU_ASSERT_EQUAL(d.stats.dgrams[CF_STATS_PROTO_SFLOW], 1);
	r = &d.out.recs[0];
	CU_ASSERT_EQUAL(r->version, CF_RECORD_V_SFLOW);
	/* switch_id is the agent, not the UDP source */
	CU_ASSERT(addr_is(r->exporter, "198.51.100.1"));
	CU_ASSERT((r->present & CF_RECORD_F_EXPORTER_V6) == 0);
	CU_ASSERT_EQUAL(r->observation_domain, 3);
	CU_ASSERT(addr_is(r->src_addr, "10.1.2.3"));
	CU_ASSERT(addr_is(r->dst_addr, "192.0.2.9"));
	CU_ASSERT((r->present & CF_RECORD_F_SRC_V6) == 0);
	CU_ASSERT_EQUAL(r->protocol, 6);
	CU_ASSERT_EQUAL(r->tos, 0xb8);
	CU_ASSERT_EQUAL(r->src_port, 51000);
	CU_ASSERT_EQUAL(r->dst_port, 443);
	CU_ASSERT_EQUAL(r->tcp_flags, 0x18);
	CU_ASSERT(memcmp(r->src_mac, MAC_SRC, 6) == 0);
	CU_ASSERT(memcmp(r->dst_mac, MAC_DST, 6) == 0);
	CU_ASSERT_EQUAL(r->vlan_id, 100);
	CU_ASSERT_EQUAL(r->post_vlan_id, 300);
	CU_ASSERT(r->present & CF_RECORD_F_POST_VLAN);
	CU_ASSERT_EQUAL(r->bytes, 1418);
	CU_ASSERT_EQUAL(r->packets, 1);
	CU_ASSERT_EQUAL(r->flow_start_ms, NOW);
	CU_ASSERT_EQUAL(r->flow_end_ms, NOW);
	CU_ASSERT_EQUAL(r->sampling_rate, 512);
	CU_ASSERT_EQUAL(r->input_if, 7);
	CU_ASSERT_EQUAL(r->output_if, 9);
	CU_ASSERT(r->present & CF_RECORD_F_DIRECTION);
	CU_ASSERT_EQUAL(r->direction, 0); /* source ifIndex 7 = input: ingress sampling */
	CU_ASSERT(addr_is(r->next_hop, "10.0.0.254"));
	CU_ASSERT((r->present & CF_RECORD_F_NEXT_HOP_V6) == 0);
	CU_ASSERT_EQUAL(r->src_mask, 24);
	CU_ASSERT_EQUAL(r->dst_mask, 16);
	CU_ASSERT_EQUAL(r->src_as, 64501);
	CU_ASSERT_EQUAL(r->dst_as, 15169);
	CU_ASSERT((r->present &
		   (CF_RECORD_F_SRC_AS | CF_RECORD_F_DST_AS | CF_RECORD_F_BYTES |
		    CF_RECORD_F_PACKETS | CF_RECORD_F_SAMPLING | CF_RECORD_F_INPUT_IF |
		    CF_RECORD_F_OUTPUT_IF | CF_RECORD_F_VLAN | CF_RECORD_F_PORTS |
		    CF_RECORD_F_TCP_FLAGS)) ==
		  (CF_RECORD_F_SRC_AS | CF_RECORD_F_DST_AS | CF_RECORD_F_BYTES |
		   CF_RECORD_F_PACKETS | CF_RECORD_F_SAMPLING | CF_RECORD_F_INPUT_IF |
		   CF_RECORD_F_OUTPUT_IF | CF_RECORD_F_VLAN | CF_RECORD_F_PORTS |
		   CF_RECORD_F_TCP_FLAGS));
	cft_dec_fini(&d);
}

/* IPv6 agent, expanded flow sample, IPv6 header with an extension header, discard output. */
static void
test_expanded_ipv6(void)
{
	static struct cft_buf b;
	uint8_t fr[256];
	uint32_t n = frame_eth_ip6_udp(fr);
	struct cf_record *r;
	struct cft_dec d;
	size_t s;

	cft_dec_init(&d, 16);
	d.cfg.scale_by_sampling = 1;
	dgram_hdr(&b, "2001:db8:a::1", 0, 1, 1);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW_EXP);
	cft_u32(&b, 1);          /* sequence */
	cft_u32(&b, 0);          /* source id type */
	cft_u32(&b, 0x01000000); /* source id index: beyond the compact 24 bits */
	cft_u32(&b, 1000);       /* rate */
	cft_u32(&b, 5000);
	cft_u32(&b, 0);
	cft_u32(&b, 0);          /* input: ifIndex */
	cft_u32(&b, 0x01000000);
	cft_u32(&b, 1);          /* output: discarded */
	cft_u32(&b, 258);        /* reason code */
	cft_u32(&b, 1);
	rec_header(&b, CF_SFLOW_HDR_ETHERNET, 170, fr, n);
	close_len(&b, s);
	decode(&d, &b, "192.0.2.1");

	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	r = &d.out.recs[0];
	CU_ASSERT(addr_is(r->exporter, "2001:db8:a::1"));
	CU_ASSERT(r->present & CF_RECORD_F_EXPORTER_V6);
	CU_ASSERT(r->present & CF_RECORD_F_SRC_V6);
	CU_ASSERT(addr_is(r->src_addr, "2001:db8::1"));
	CU_ASSERT(addr_is(r->dst_addr, "2001:db8:ffff::2"));
	CU_ASSERT_EQUAL(r->protocol, 17);
	CU_ASSERT_EQUAL(r->tos, 0xa0);
	CU_ASSERT_EQUAL(r->src_port, 5353);
	CU_ASSERT_EQUAL(r->dst_port, 53);
	CU_ASSERT_EQUAL(r->input_if, 0x01000000);
	CU_ASSERT(r->present & CF_RECORD_F_OUTPUT_IF);
	CU_ASSERT_EQUAL(r->output_if, 0); /* discarded */
	CU_ASSERT_EQUAL(r->direction, 0);
	/* --scale-by-sampling: one frame stands for rate frames */
	CU_ASSERT_EQUAL(r->bytes, 170 * 1000);
	CU_ASSERT_EQUAL(r->packets, 1000);
	CU_ASSERT((r->present & CF_RECORD_F_VLAN) == 0);
	cft_dec_fini(&d);
}

/* Two tags (802.1ad outer), multiple-destination output, no extended switch. */
static void
test_qinq_multi_output(void)
{
	static struct cft_buf b;
	uint8_t fr[256];
	uint32_t n = frame_eth_ip4_tcp(fr, 2);
	struct cf_record *r;
	struct cft_dec d;
	size_t s;

	cft_dec_init(&d, 16);
	dgram_hdr(&b, "198.51.100.1", 0, 1, 1);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW);
	flow_compact(&b, 9, 64, 0x3fffffff, 0x80000003, 1);
	rec_header(&b, CF_SFLOW_HDR_ETHERNET, 1500, fr, n);
	close_len(&b, s);
	decode(&d, &b, "198.51.100.1");
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	r = &d.out.recs[0];
	CU_ASSERT_EQUAL(r->vlan_id, 100);
	CU_ASSERT(addr_is(r->dst_addr, "192.0.2.9"));
	CU_ASSERT_EQUAL(r->dst_port, 443);
	/* internal input and "3 interfaces" output: no ifIndex to report */
	CU_ASSERT((r->present &
		   (CF_RECORD_F_INPUT_IF | CF_RECORD_F_OUTPUT_IF | CF_RECORD_F_DIRECTION)) == 0);
	cft_dec_fini(&d);
}

/* Header protocols IPv4 (11) with ICMP, and a sampled header of unknown protocol. */
static void
test_ip_headers(void)
{
	uint8_t h[28] = {0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
			 3, 13, 0, 0, 0, 0, 0, 0};
	struct cf_record r;

	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL(cf_sflow_parse_header(CF_SFLOW_HDR_IPV4, h, sizeof(h), &r), 1);
	CU_ASSERT(r.present & CF_RECORD_F_ICMP);
	CU_ASSERT_EQUAL(r.icmp_type, 3);
	CU_ASSERT_EQUAL(r.icmp_code, 13);
	CU_ASSERT_EQUAL(r.protocol, 1);
	CU_ASSERT(addr_is(r.dst_addr, "10.0.0.2"));
	CU_ASSERT((r.present & CF_RECORD_F_PORTS) == 0);
	/* a non-first fragment has no transport header */
	h[6] = 0x00;
	h[7] = 0x10;
	memset(&r, 0, sizeof(r));
	cf_sflow_parse_header(CF_SFLOW_HDR_IPV4, h, sizeof(h), &r);
	CU_ASSERT((r.present & CF_RECORD_F_ICMP) == 0);
	CU_ASSERT(r.present & CF_RECORD_F_SRC_ADDR);
	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL(cf_sflow_parse_header(4 /* FDDI */, h, sizeof(h), &r), 0);
	CU_ASSERT_EQUAL(r.present, 0);
}

/*
 * Every cut of a sampled header: each prefix goes into a heap block of exactly
 * its size, so a read past the cut is an ASan error, and each layer appears
 * exactly when its bytes are all there.
 */
static void
test_truncated_headers(void)
{
	uint8_t fr[256], fr6[256];
	uint32_t n4 = frame_eth_ip4_tcp(fr, 1), n6 = frame_eth_ip6_udp(fr6), cut;

	for (cut = 0; cut <= n4; cut++) {
		uint8_t *h = malloc(cut ? cut : 1);
		struct cf_record r;

		memcpy(h, fr, cut);
		memset(&r, 0, sizeof(r));
		cf_sflow_parse_header(CF_SFLOW_HDR_ETHERNET, h, cut, &r);
		CU_ASSERT(!!(r.present & CF_RECORD_F_DST_MAC) == (cut >= 6));
		CU_ASSERT(!!(r.present & CF_RECORD_F_SRC_MAC) == (cut >= 12));
		CU_ASSERT(!!(r.present & CF_RECORD_F_VLAN) == (cut >= 18));
		CU_ASSERT(!!(r.present & CF_RECORD_F_SRC_ADDR) == (cut >= 18 + 20));
		CU_ASSERT(!!(r.present & CF_RECORD_F_PORTS) == (cut >= 18 + 24));
		CU_ASSERT(!!(r.present & CF_RECORD_F_TCP_FLAGS) == (cut >= 18 + 34));
		free(h);
	}
	for (cut = 0; cut <= n6; cut++) {
		uint8_t *h = malloc(cut ? cut : 1);
		struct cf_record r;

		memcpy(h, fr6, cut);
		memset(&r, 0, sizeof(r));
		cf_sflow_parse_header(CF_SFLOW_HDR_ETHERNET, h, cut, &r);
		CU_ASSERT(!!(r.present & CF_RECORD_F_SRC_ADDR) == (cut >= 14 + 40));
		/* the protocol is known once the hop-by-hop header's next-header and length bytes are there */
		CU_ASSERT(!!(r.present & CF_RECORD_F_PROTOCOL) == (cut >= 14 + 40 + 2));
		CU_ASSERT(!!(r.present & CF_RECORD_F_PORTS) == (cut >= 14 + 40 + 8 + 4));
		free(h);
	}
}

/* Sampled IPv4 (3), sampled IPv6 (4) and Ethernet frame data (2) without a raw header. */
static void
test_sampled_ip_records(void)
{
	static struct cft_buf b;
	struct cf_record *r;
	struct cft_dec d;
	size_t s, e;

	cft_dec_init(&d, 16);
	dgram_hdr(&b, "198.51.100.1", 0, 1, 2);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW);
	flow_compact(&b, 1, 100, 1, 2, 2);
	e = open_len(&b, 0, CF_SFLOW_FLOW_ETHERNET);
	cft_u32(&b, 1518);
	cft_bytes(&b, MAC_SRC, 6);
	cft_u16(&b, 0);
	cft_bytes(&b, MAC_DST, 6);
	cft_u16(&b, 0);
	cft_u32(&b, 0x0800);
	close_len(&b, e);
	e = open_len(&b, 0, CF_SFLOW_FLOW_IPV4);
	cft_u32(&b, 1500);
	cft_u32(&b, 17);
	cft_ip4(&b, "172.16.0.1");
	cft_ip4(&b, "172.16.0.2");
	cft_u32(&b, 123);
	cft_u32(&b, 124);
	cft_u32(&b, 0);
	cft_u32(&b, 0x20);
	close_len(&b, e);
	close_len(&b, s);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW);
	flow_compact(&b, 1, 100, 1, 2, 1);
	e = open_len(&b, 0, CF_SFLOW_FLOW_IPV6);
	cft_u32(&b, 80);
	cft_u32(&b, 6);
	ip6(&b, "fe80::1");
	ip6(&b, "fe80::2");
	cft_u32(&b, 22);
	cft_u32(&b, 40000);
	cft_u32(&b, 0x12);
	cft_u32(&b, 0);
	close_len(&b, e);
	close_len(&b, s);
	decode(&d, &b, "198.51.100.1");

	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 2);
	r = &d.out.recs[0];
	/* the sampled IPv4 record beats the Ethernet record for the length */
	CU_ASSERT_EQUAL(r->bytes, 1500);
	CU_ASSERT(memcmp(r->src_mac, MAC_SRC, 6) == 0);
	CU_ASSERT(memcmp(r->dst_mac, MAC_DST, 6) == 0);
	CU_ASSERT(addr_is(r->src_addr, "172.16.0.1"));
	CU_ASSERT_EQUAL(r->src_port, 123);
	CU_ASSERT_EQUAL(r->dst_port, 124);
	CU_ASSERT_EQUAL(r->tos, 0x20);
	CU_ASSERT_EQUAL(r->protocol, 17);
	r = &d.out.recs[1];
	CU_ASSERT(r->present & CF_RECORD_F_SRC_V6);
	CU_ASSERT(addr_is(r->dst_addr, "fe80::2"));
	CU_ASSERT_EQUAL(r->dst_port, 40000);
	CU_ASSERT_EQUAL(r->tcp_flags, 0x12);
	CU_ASSERT_EQUAL(r->bytes, 80);
	cft_dec_fini(&d);
}

static void
ctr_generic(struct cft_buf *b, uint32_t ifindex, uint64_t in_octets)
{
	size_t e = open_len(b, 0, CF_SFLOW_CTR_GENERIC);

	cft_u32(b, ifindex);
	cft_u32(b, 6);                 /* ethernetCsmacd */
	cft_u64(b, 10000000000ull);    /* 10 Gb/s */
	cft_u32(b, 1);                 /* full duplex */
	cft_u32(b, 3);                 /* admin up, oper up */
	cft_u64(b, in_octets);
	cft_u32(b, 1001);
	cft_u32(b, 1002);
	cft_u32(b, 1003);
	cft_u32(b, 1004);
	cft_u32(b, 1005);
	cft_u32(b, 1006);
	cft_u64(b, 0x123456789aull);
	cft_u32(b, 2001);
	cft_u32(b, 2002);
	cft_u32(b, 2003);
	cft_u32(b, 2004);
	cft_u32(b, 2005);
	cft_u32(b, 1);                 /* promiscuous */
	close_len(b, e);
}

/* One counter sample of (agent, ifindex) with in_octets. */
static void
send_ctr(struct cft_dec *d, const char *agent, uint32_t ifindex, uint32_t seq, uint64_t in_octets)
{
	static struct cft_buf b;
	size_t s;

	dgram_hdr(&b, agent, 0, seq, 1);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_COUNTERS);
	cft_u32(&b, seq);
	cft_u32(&b, ifindex);
	cft_u32(&b, 1);
	ctr_generic(&b, ifindex, in_octets);
	close_len(&b, s);
	decode(d, &b, agent);
}

/*
 * The counter table under a flood of one-off (agent, ifIndex) pairs: full,
 * it evicts the least recently updated entry, never a real interface that
 * keeps reporting, and a real interface first seen during the flood gets an
 * entry. Evictions counted; readers see a moved generation.
 */
static void
test_counter_lru(void)
{
	const struct cf_sflow_ifc *c;
	uint8_t agent[16] = {0};
	struct cft_dec d;
	uint32_t gen0;
	unsigned int i;
	char ip[32];

	cft_dec_init(&d, 16);
	cf_sflow_lcore_free(d.ctx.sflow);
	d.ctx.sflow = cf_sflow_lcore_create("lru_ifc", 0, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.ctx.sflow);
	inet_pton(AF_INET, "192.0.2.1", agent);
	send_ctr(&d, "192.0.2.1", 1, 1, 100);
	send_ctr(&d, "192.0.2.1", 1, 2, 200);
	gen0 = cf_sflow_ifc_lookup(d.ctx.sflow, agent, 0, 1)->gen;
	CU_ASSERT_EQUAL(gen0 & 1, 0);
	for (i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.0.%u.%u", i >> 8, i & 255);
		send_ctr(&d, ip, i, 1, 1);
		if (i % 50 == 0)
			send_ctr(&d, "192.0.2.1", 1, 3 + i, 1000 + i);
		if (i == 500)
			send_ctr(&d, "192.0.2.1", 2, 1, 7);
	}
	CU_ASSERT_EQUAL(cf_sflow_ifc_count(d.ctx.sflow), 8);
	CU_ASSERT_EQUAL(cf_sflow_ifc_full(d.ctx.sflow), 0);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SFLOW_COUNTERS_FULL], 0);
	CU_ASSERT(d.stats.sflow_ifc_evicted >= 1000 - 8);
	c = cf_sflow_ifc_lookup(d.ctx.sflow, agent, 0, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->in_octets, 1000 + 950);
	CU_ASSERT_EQUAL(c->samples, 2 + 20);
	CU_ASSERT_EQUAL(c->gen, gen0);
	/* Started during the flood: admitted; it may have been pushed out since, it reported once. */
	send_ctr(&d, "192.0.2.1", 2, 2, 8);
	c = cf_sflow_ifc_lookup(d.ctx.sflow, agent, 0, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->in_octets, 8);
	/* Every slot handed over bumped its generation by 2, never left odd. */
	for (i = 0; i < cf_sflow_ifc_slots(d.ctx.sflow); i++)
		CU_ASSERT_EQUAL(cf_sflow_ifc_at(d.ctx.sflow, i)->gen & 1, 0);
	cft_dec_fini(&d);
}

static void
test_counter_samples(void)
{
	static struct cft_buf b;
	const struct cf_sflow_ifc *c;
	uint8_t agent[16] = {0};
	struct cft_dec d;
	size_t s, e;
	unsigned int i;

	cft_dec_init(&d, 16);
	dgram_hdr(&b, "198.51.100.1", 0, 1, 2);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_COUNTERS);
	cft_u32(&b, 5);          /* sequence */
	cft_u32(&b, 17);         /* source: ifIndex 17 */
	cft_u32(&b, 3);
	ctr_generic(&b, 17, 0x1122334455ull);
	e = open_len(&b, 0, CF_SFLOW_CTR_ETHERNET);
	for (i = 0; i < 13; i++)
		cft_u32(&b, 100 + i);
	close_len(&b, e);
	e = open_len(&b, 0, CF_SFLOW_CTR_LAG);
	cft_bytes(&b, MAC_SRC, 6);
	cft_u16(&b, 0);
	cft_bytes(&b, MAC_DST, 6);
	cft_u16(&b, 0);
	cft_u32(&b, 42);
	cft_u32(&b, 0x3d3d0000);
	for (i = 0; i < 8; i++)
		cft_u32(&b, 300 + i);
	close_len(&b, e);
	close_len(&b, s);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_COUNTERS_EXP);
	cft_u32(&b, 6);
	cft_u32(&b, 0);
	cft_u32(&b, 0x02000000); /* expanded index beyond 24 bits */
	cft_u32(&b, 1);
	ctr_generic(&b, 0x02000000, 99);
	close_len(&b, s);
	decode(&d, &b, "198.51.100.1");

	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 0); /* counters are not flow records */
	CU_ASSERT_EQUAL(cf_sflow_ifc_count(d.ctx.sflow), 2);
	inet_pton(AF_INET, "198.51.100.1", agent);
	c = cf_sflow_ifc_lookup(d.ctx.sflow, agent, 0, 17);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(c->present,
			CF_SFLOW_IFC_GENERIC | CF_SFLOW_IFC_ETHERNET | CF_SFLOW_IFC_LAG);
	CU_ASSERT_EQUAL(c->sample_seq, 5);
	CU_ASSERT_EQUAL(c->if_type, 6);
	CU_ASSERT_EQUAL(c->if_speed, 10000000000ull);
	CU_ASSERT_EQUAL(c->if_status, 3);
	CU_ASSERT_EQUAL(c->in_octets, 0x1122334455ull);
	CU_ASSERT_EQUAL(c->in_ucast, 1001);
	CU_ASSERT_EQUAL(c->in_unknown_protos, 1006);
	CU_ASSERT_EQUAL(c->out_octets, 0x123456789aull);
	CU_ASSERT_EQUAL(c->out_errors, 2005);
	CU_ASSERT_EQUAL(c->if_promisc, 1);
	CU_ASSERT_EQUAL(c->eth[0], 100);
	CU_ASSERT_EQUAL(c->eth[12], 112);
	CU_ASSERT(memcmp(c->lag_actor_id, MAC_SRC, 6) == 0);
	CU_ASSERT(memcmp(c->lag_partner_id, MAC_DST, 6) == 0);
	CU_ASSERT_EQUAL(c->lag_agg_id, 42);
	CU_ASSERT_EQUAL(c->lag_pdus[7], 307);
	CU_ASSERT_EQUAL(c->updated_ms, NOW);
	c = cf_sflow_ifc_lookup(d.ctx.sflow, agent, 0, 0x02000000);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(c->in_octets, 99);
	CU_ASSERT_EQUAL(c->present, CF_SFLOW_IFC_GENERIC);
	cft_dec_fini(&d);
}

/* One counter sample with generic counters for ifindex, from agent. */
static void
counter_dgram(struct cft_dec *d, const char *agent, uint32_t ifindex, uint64_t in_octets)
{
	static struct cft_buf b;
	size_t s;

	dgram_hdr(&b, agent, 0, 1, 1);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_COUNTERS);
	cft_u32(&b, 9);
	cft_u32(&b, ifindex);
	cft_u32(&b, 1);
	ctr_generic(&b, ifindex, in_octets);
	close_len(&b, s);
	decode(d, &b, "192.0.2.250");
}

/* An IPv4 agent and an IPv6 agent whose first 4 bytes are the same are two interfaces. */
static void
test_counter_key_family(void)
{
	struct cft_dec d;
	uint8_t a4[16] = { 0 }, a6[16];
	const struct cf_sflow_ifc *c4, *c6;

	cft_dec_init(&d, 16);
	counter_dgram(&d, "10.0.0.1", 1, 111);
	counter_dgram(&d, "a00:1::", 1, 222);
	inet_pton(AF_INET, "10.0.0.1", a4);
	inet_pton(AF_INET6, "a00:1::", a6);
	CU_ASSERT_EQUAL(memcmp(a4, a6, 16), 0); /* the address bytes really collide */
	CU_ASSERT_EQUAL(cf_sflow_ifc_count(d.ctx.sflow), 2);
	c4 = cf_sflow_ifc_lookup(d.ctx.sflow, a4, 0, 1);
	c6 = cf_sflow_ifc_lookup(d.ctx.sflow, a6, 1, 1);
	CU_ASSERT_FATAL(c4 != NULL && c6 != NULL);
	CU_ASSERT(c4 != c6);
	CU_ASSERT_EQUAL(c4->in_octets, 111);
	CU_ASSERT_EQUAL(c4->agent_v6, 0);
	CU_ASSERT_EQUAL(c6->in_octets, 222);
	CU_ASSERT_EQUAL(c6->agent_v6, 1);
	cft_dec_fini(&d);
}

/* Rendering: exact series per interface, and folding into agent="other". */
static void
test_counter_metrics(void)
{
	const struct cf_sflow_lcore *lc[1];
	struct cf_sflow_metrics *m;
	struct cf_metrics_builder *b;
	struct cft_dec d;
	char *text;
	size_t len;
	double v;

	cft_dec_init(&d, 16);
	counter_dgram(&d, "10.0.0.1", 1, 111);
	counter_dgram(&d, "a00:1::", 1, 222);
	counter_dgram(&d, "10.0.0.1", 7, 444);
	counter_dgram(&d, "10.0.0.1", 7, 555); /* latest sample wins */
	lc[0] = d.ctx.sflow;

	m = cf_sflow_metrics_new(lc, 1, 10);
	b = cf_metrics_builder_new();
	CU_ASSERT_FATAL(m != NULL && b != NULL);
	cf_sflow_metrics_provider(b, m);
	CU_ASSERT_EQUAL(cf_metrics_builder_errors(b), 0);
	text = cf_metrics_render_prometheus(b, &len);
	CU_ASSERT_FATAL(text != NULL);
	CU_ASSERT(strstr(text, "# TYPE clarion_flowd_sflow_if_in_octets_total counter\n") != NULL);
	CU_ASSERT(strstr(text, "clarion_flowd_sflow_if_in_octets_total{agent=\"10.0.0.1\",ifindex=\"1\"} 111\n") != NULL);
	CU_ASSERT(strstr(text, "clarion_flowd_sflow_if_in_octets_total{agent=\"a00:1::\",ifindex=\"1\"} 222\n") != NULL);
	CU_ASSERT(strstr(text, "clarion_flowd_sflow_if_in_octets_total{agent=\"10.0.0.1\",ifindex=\"7\"} 555\n") != NULL);
	CU_ASSERT(strstr(text, "clarion_flowd_sflow_if_samples_total{agent=\"10.0.0.1\",ifindex=\"7\"} 2\n") != NULL);
	CU_ASSERT(strstr(text, "clarion_flowd_sflow_if_out_errors_total{agent=\"a00:1::\",ifindex=\"1\"} 2005\n") != NULL);
	CU_ASSERT(strstr(text, "clarion_flowd_sflow_if_speed_bps{agent=\"10.0.0.1\",ifindex=\"1\"} 10000000000\n") != NULL);
	CU_ASSERT(strstr(text, "clarion_flowd_sflow_if_oper_up{agent=\"10.0.0.1\",ifindex=\"1\"} 1\n") != NULL);
	CU_ASSERT(strstr(text, "# TYPE clarion_flowd_sflow_if_speed_bps gauge\n") != NULL);
	CU_ASSERT(strstr(text, "{agent=\"other\"") == NULL);
	/* No Ethernet block was sent: no dot3 series. */
	CU_ASSERT(strstr(text, "clarion_flowd_sflow_if_dot3_fcs_errors_total{") == NULL);
	CU_ASSERT_EQUAL(
		cf_metrics_family_sum(b, "clarion_flowd_sflow_if_series_folded", NULL, NULL), 0);
	CU_ASSERT_EQUAL(cf_metrics_family_sum(b, "clarion_flowd_sflow_interfaces", NULL, NULL), 3);
	CU_ASSERT(cf_metrics_summary_get(b, "sflow_interfaces", &v) == 1 && v == 3);
	free(text);
	cf_metrics_builder_free(b);
	cf_sflow_metrics_free(m);

	/* One series: the other two interfaces are summed, gauges are not. */
	m = cf_sflow_metrics_new(lc, 1, 1);
	b = cf_metrics_builder_new();
	CU_ASSERT_FATAL(m != NULL && b != NULL);
	cf_sflow_metrics_provider(b, m);
	CU_ASSERT_EQUAL(
		cf_metrics_family_sum(b, "clarion_flowd_sflow_if_series_folded", NULL, NULL), 2);
	CU_ASSERT_EQUAL(
		cf_metrics_family_sum(b, "clarion_flowd_sflow_if_in_octets_total", NULL, NULL),
		111 + 222 + 555);
	v = cf_metrics_family_sum(b, "clarion_flowd_sflow_if_in_octets_total", "agent", "other");
	CU_ASSERT(v == 111 + 222 || v == 111 + 555 || v == 222 + 555);
	CU_ASSERT_EQUAL(cf_metrics_family_sum(b, "clarion_flowd_sflow_if_in_unicast_packets_total",
					      "agent", "other"),
			2 * 1001);
	CU_ASSERT_EQUAL(
		cf_metrics_family_sum(b, "clarion_flowd_sflow_if_samples_total", NULL, NULL), 4);
	CU_ASSERT_EQUAL(
		cf_metrics_family_sum(b, "clarion_flowd_sflow_if_speed_bps", "agent", "other"), 0);
	CU_ASSERT_EQUAL(cf_metrics_family_sum(b, "clarion_flowd_sflow_if_speed_bps", NULL, NULL),
			1e10);
	cf_metrics_builder_free(b);
	cf_sflow_metrics_free(m);
	cft_dec_fini(&d);
}

/* One good flow sample, for datagrams that mix good and bad samples. */
static void
good_sample(struct cft_buf *b)
{
	uint8_t fr[256];
	uint32_t n = frame_eth_ip4_tcp(fr, 0);
	size_t s = open_len(b, 0, CF_SFLOW_SAMPLE_FLOW);

	flow_compact(b, 1, 10, 1, 2, 1);
	rec_header(b, CF_SFLOW_HDR_ETHERNET, 1414, fr, n);
	close_len(b, s);
}

/*
 * Extended switch data (sFlow v5 sec. 5.2, format 1001) with VLANs of
 * 0xFFFFFFFF: an agent's "unknown", not VLAN 4095: null. A real VLAN still
 * comes through. sFlow has no flow times: the receive time, and said so.
 */
static void
test_switch_vlan_unknown(void)
{
	static struct cft_buf b;
	struct cft_dec d;
	size_t s, e;
	uint8_t fr[256];
	uint32_t n = frame_eth_ip4_tcp(fr, 0), i;

	cft_dec_init(&d, 16);
	dgram_hdr(&b, "198.51.100.1", 0, 1, 2);
	for (i = 0; i < 2; i++) {
		s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW);
		flow_compact(&b, 1, 10, 1, 2, 2);
		rec_header(&b, CF_SFLOW_HDR_ETHERNET, 1414, fr, n);
		e = open_len(&b, 0, CF_SFLOW_FLOW_EXT_SWITCH);
		cft_u32(&b, i == 0 ? 0xffffffffu : 200);
		cft_u32(&b, 0);
		cft_u32(&b, i == 0 ? 0xffffffffu : 201);
		cft_u32(&b, 0);
		close_len(&b, e);
		close_len(&b, s);
	}
	decode(&d, &b, "198.51.100.1");
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 2);
	CU_ASSERT((d.out.recs[0].present & (CF_RECORD_F_VLAN | CF_RECORD_F_POST_VLAN)) == 0);
	CU_ASSERT_EQUAL(d.out.recs[1].vlan_id, 200);
	CU_ASSERT_EQUAL(d.out.recs[1].post_vlan_id, 201);
	CU_ASSERT_EQUAL(d.out.recs[0].time_source, CF_RECORD_TS_RECEIVED);
	cft_dec_fini(&d);
}

/* A record length past its sample ends that sample only; the next sample is read. */
static void
test_record_length_lies(void)
{
	static struct cft_buf b;
	struct cft_dec d;
	size_t s, e;

	cft_dec_init(&d, 16);
	dgram_hdr(&b, "198.51.100.1", 0, 1, 3);
	good_sample(&b);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW);
	flow_compact(&b, 1, 10, 1, 2, 1);
	e = open_len(&b, 0, CF_SFLOW_FLOW_EXT_SWITCH);
	cft_u32(&b, 1);
	cft_u32(&b, 0);
	cft_u32(&b, 1);
	cft_u32(&b, 0);
	close_len(&b, e);
	put32(&b, e - 4, 4000); /* the lie */
	close_len(&b, s);
	good_sample(&b);
	decode(&d, &b, "198.51.100.1");
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 2);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SFLOW_RECORD_TRUNCATED], 1);

	/* a record count larger than the sample holds */
	cft_dec_fini(&d);
	cft_dec_init(&d, 16);
	dgram_hdr(&b, "198.51.100.1", 0, 1, 2);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW);
	flow_compact(&b, 1, 10, 1, 2, 1000000);
	close_len(&b, s);
	good_sample(&b);
	decode(&d, &b, "198.51.100.1");
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SFLOW_RECORD_TRUNCATED], 1);

	/* a sampled header longer than its record: that record skipped, sample kept */
	cft_dec_fini(&d);
	cft_dec_init(&d, 16);
	dgram_hdr(&b, "198.51.100.1", 0, 1, 1);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW);
	flow_compact(&b, 1, 10, 1, 2, 2);
	e = open_len(&b, 0, CF_SFLOW_FLOW_HEADER);
	cft_u32(&b, CF_SFLOW_HDR_ETHERNET);
	cft_u32(&b, 64);
	cft_u32(&b, 4);
	cft_u32(&b, 200);          /* header length: more than the 4 bytes that follow */
	cft_u32(&b, 0);
	close_len(&b, e);
	e = open_len(&b, 0, CF_SFLOW_FLOW_IPV4);
	cft_u32(&b, 60);
	cft_u32(&b, 6);
	cft_ip4(&b, "10.9.9.9");
	cft_ip4(&b, "10.9.9.8");
	cft_u32(&b, 1);
	cft_u32(&b, 2);
	cft_u32(&b, 2);
	cft_u32(&b, 0);
	close_len(&b, e);
	close_len(&b, s);
	decode(&d, &b, "198.51.100.1");
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SFLOW_RECORD_SHORT], 1);
	CU_ASSERT(addr_is(d.out.recs[0].src_addr, "10.9.9.9"));
	CU_ASSERT_EQUAL(d.out.recs[0].bytes, 60);
	cft_dec_fini(&d);
}

/* Sample lengths that lie, short samples, a datagram short of num_samples. */
static void
test_sample_length_lies(void)
{
	static struct cft_buf b;
	struct cft_dec d;
	size_t s;

	cft_dec_init(&d, 16);
	dgram_hdr(&b, "198.51.100.1", 0, 1, 2);
	good_sample(&b);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW);
	flow_compact(&b, 1, 10, 1, 2, 0);
	put32(&b, s - 4, 0x7ffffff0);
	decode(&d, &b, "198.51.100.1");
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SFLOW_SAMPLE_TRUNCATED], 1);

	cft_sink_reset(&d.out);
	dgram_hdr(&b, "198.51.100.1", 0, 2, 3);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW);
	cft_u32(&b, 1);            /* 4 bytes: far short of a flow sample */
	close_len(&b, s);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_COUNTERS);
	close_len(&b, s);
	good_sample(&b);
	decode(&d, &b, "198.51.100.1");
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SFLOW_SAMPLE_SHORT], 2);

	cft_sink_reset(&d.out);
	dgram_hdr(&b, "198.51.100.1", 0, 3, 5);
	good_sample(&b);
	decode(&d, &b, "198.51.100.1");
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SFLOW_SAMPLES_MISSING], 1);

	/* every cut of a good datagram: counted, never read past the end */
	dgram_hdr(&b, "2001:db8::9", 0, 4, 1);
	good_sample(&b);
	{
		size_t cut, full = b.len;
		uint64_t before = d.stats.records;

		for (cut = 0; cut < full; cut++) {
			uint8_t *m = malloc(cut ? cut : 1);
			struct cf_decode_dgram dg;

			memcpy(m, b.b, cut);
			cft_dgram(&dg, &b, "192.0.2.1");
			dg.data = m;
			dg.len = (uint32_t)cut;
			cft_sink_reset(&d.out);
			cf_dispatch_datagram(&d.ctx, &dg);
			free(m);
		}
		CU_ASSERT_EQUAL(d.stats.records, before);
	}
	CU_ASSERT(d.stats.drops[CF_STATS_DROP_SFLOW_SHORT] > 0);
	cft_dec_fini(&d);
}

static void
test_unknown_types(void)
{
	static struct cft_buf b;
	const struct cf_sflow_unknown *u;
	struct cft_dec d;
	size_t s, e;
	unsigned int i, seen = 0;

	cft_dec_init(&d, 16);
	dgram_hdr(&b, "198.51.100.1", 0, 1, 4);
	s = open_len(&b, 4413, 5);         /* vendor sample */
	cft_u32(&b, 0xdeadbeef);
	close_len(&b, s);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW);
	flow_compact(&b, 1, 10, 1, 2, 2);
	e = open_len(&b, 0, 2100);         /* unknown flow record */
	cft_u32(&b, 1);
	close_len(&b, e);
	e = open_len(&b, 0, CF_SFLOW_FLOW_IPV4);
	cft_u32(&b, 60);
	cft_u32(&b, 6);
	cft_ip4(&b, "10.9.9.9");
	cft_ip4(&b, "10.9.9.8");
	cft_u32(&b, 1);
	cft_u32(&b, 2);
	cft_u32(&b, 2);
	cft_u32(&b, 0);
	close_len(&b, e);
	close_len(&b, s);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_COUNTERS);
	cft_u32(&b, 1);
	cft_u32(&b, 4);
	cft_u32(&b, 2);
	e = open_len(&b, 0, 1005);         /* unknown counter record */
	close_len(&b, e);
	ctr_generic(&b, 4, 7);
	close_len(&b, s);
	s = open_len(&b, 4413, 5);
	close_len(&b, s);
	decode(&d, &b, "198.51.100.1");

	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(cf_sflow_ifc_count(d.ctx.sflow), 1);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SFLOW_UNKNOWN_SAMPLE], 2);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SFLOW_UNKNOWN_RECORD], 2);
	for (i = 0; i < CF_SFLOW_UNKNOWN_SLOTS; i++) {
		u = cf_sflow_unknown_at(d.ctx.sflow, i);
		if (!u->used)
			continue;
		seen++;
		if (u->kind == CF_SFLOW_KIND_SAMPLE) {
			CU_ASSERT_EQUAL(u->enterprise, 4413);
			CU_ASSERT_EQUAL(u->format, 5);
			CU_ASSERT_EQUAL(u->count, 2);
		} else if (u->kind == CF_SFLOW_KIND_FLOW_RECORD) {
			CU_ASSERT_EQUAL(u->format, 2100);
		} else {
			CU_ASSERT_EQUAL(u->format, 1005);
		}
	}
	CU_ASSERT_EQUAL(seen, 3);

	/* more distinct unknown types than slots: the rest counted as overflow */
	for (i = 0; i < CF_SFLOW_UNKNOWN_SLOTS + 3; i++) {
		dgram_hdr(&b, "198.51.100.1", 0, 2 + i, 1);
		s = open_len(&b, 1000 + i, 1);
		close_len(&b, s);
		decode(&d, &b, "198.51.100.1");
	}
	CU_ASSERT_EQUAL(cf_sflow_unknown_overflow(d.ctx.sflow), 6);
	cft_dec_fini(&d);
}

/* Datagram sequence per (agent, sub-agent): gaps are lost datagrams. */
static void
test_sequence(void)
{
	static const uint32_t seqs[] = {10, 11, 14, 15};
	static struct cft_buf b;
	struct cft_dec d;
	unsigned int i;

	cft_dec_init(&d, 64);
	for (i = 0; i < 4; i++) {
		dgram_hdr(&b, "198.51.100.1", 0, seqs[i], 1);
		good_sample(&b);
		decode(&d, &b, "192.0.2.1");
		/* another sub-agent of the same agent, its own sequence */
		dgram_hdr(&b, "198.51.100.1", 1, 500 + i, 1);
		good_sample(&b);
		/* ... arriving from a different UDP source: still the same agent */
		decode(&d, &b, i % 2 ? "192.0.2.1" : "192.0.2.2");
	}
	CU_ASSERT_EQUAL(d.stats.seq_lost, 2);
	CU_ASSERT_EQUAL(d.stats.records, 8);
	CU_ASSERT_EQUAL(d.ctx.n_exporters, 2);
	cft_dec_fini(&d);
}

static void
test_rejects(void)
{
	static struct cft_buf b;
	struct cft_dec d;

	cft_dec_init(&d, 16);
	dgram_hdr(&b, "198.51.100.1", 0, 1, 0);
	put32(&b, 4, 3);           /* agent address type 3 */
	decode(&d, &b, "198.51.100.1");
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SFLOW_BAD_AGENT], 1);
	/* a flow sample with only an extended record has nothing to report */
	{
		size_t s, e;

		dgram_hdr(&b, "198.51.100.1", 0, 2, 1);
		s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW);
		flow_compact(&b, 1, 10, 1, 2, 1);
		e = open_len(&b, 0, CF_SFLOW_FLOW_EXT_SWITCH);
		cft_u32(&b, 1);
		cft_u32(&b, 0);
		cft_u32(&b, 1);
		cft_u32(&b, 0);
		close_len(&b, e);
		close_len(&b, s);
		decode(&d, &b, "198.51.100.1");
	}
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SFLOW_SAMPLE_EMPTY], 1);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 0);
	/* no room in the sink: counted, not lost silently */
	d.out.sink.end = d.out.sink.cur;
	dgram_hdr(&b, "198.51.100.1", 0, 3, 1);
	good_sample(&b);
	decode(&d, &b, "198.51.100.1");
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NO_BLOCK], 1);
	cft_dec_fini(&d);
}

/*
 * Mutations of a datagram holding every sample and record type: random bytes
 * overwritten (lengths included) and random cuts, each decoded from a heap
 * block of exactly its size so any read past the end is an ASan error. The
 * decoder must never produce more records than the datagram has flow samples,
 * and every datagram must be accounted for.
 */
static void
test_mutations(void)
{
	static struct cft_buf b;
	uint8_t fr[256];
	uint32_t n = frame_eth_ip6_udp(fr);
	struct cft_dec d;
	uint32_t seed = 12345, iter;
	size_t s, e;

	cft_dec_init(&d, 64);
	dgram_hdr(&b, "2001:db8::7", 1, 1, 4);
	good_sample(&b);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_FLOW_EXP);
	cft_u32(&b, 1);
	cft_u32(&b, 0);
	cft_u32(&b, 5);
	cft_u32(&b, 10);
	cft_u32(&b, 0);
	cft_u32(&b, 0);
	cft_u32(&b, 0);
	cft_u32(&b, 5);
	cft_u32(&b, 2);
	cft_u32(&b, 4);
	cft_u32(&b, 3);
	rec_header(&b, CF_SFLOW_HDR_ETHERNET, 170, fr, n);
	e = open_len(&b, 0, CF_SFLOW_FLOW_EXT_GATEWAY);
	cft_u32(&b, 1);
	cft_ip4(&b, "10.0.0.1");
	cft_u32(&b, 1);
	cft_u32(&b, 2);
	cft_u32(&b, 3);
	cft_u32(&b, 1);
	cft_u32(&b, 2);
	cft_u32(&b, 2);
	cft_u32(&b, 10);
	cft_u32(&b, 20);
	close_len(&b, e);
	e = open_len(&b, 0, CF_SFLOW_FLOW_EXT_ROUTER);
	cft_u32(&b, 2);
	ip6(&b, "2001:db8::fe");
	cft_u32(&b, 64);
	cft_u32(&b, 48);
	close_len(&b, e);
	close_len(&b, s);
	s = open_len(&b, 0, CF_SFLOW_SAMPLE_COUNTERS);
	cft_u32(&b, 1);
	cft_u32(&b, 4);
	cft_u32(&b, 1);
	ctr_generic(&b, 4, 7);
	close_len(&b, s);
	good_sample(&b);

	for (iter = 0; iter < 20000; iter++) {
		size_t len = b.len, k, flips;
		uint8_t *m;
		struct cf_decode_dgram dg;
		uint64_t before = d.stats.records;

		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 4 == 0)
			len = (seed >> 8) % b.len;
		m = malloc(len ? len : 1);
		memcpy(m, b.b, len);
		flips = 1 + (seed >> 20) % 4;
		for (k = 0; k < flips && len > 0; k++) {
			size_t at;

			seed = seed * 1103515245u + 12345u;
			at = (seed >> 8) % len;
			/* Half the time hit a length-sized word with a big or small value. */
			if ((seed & 1) && at + 4 <= len) {
				uint32_t v = (seed >> 3) & 2 ? 0xfffffff0u : (seed >> 4) % 64;

				at &= ~(size_t)3;
				m[at] = (uint8_t)(v >> 24);
				m[at + 1] = (uint8_t)(v >> 16);
				m[at + 2] = (uint8_t)(v >> 8);
				m[at + 3] = (uint8_t)v;
			} else {
				m[at] = (uint8_t)(seed >> 24);
			}
		}
		cft_dgram(&dg, &b, "192.0.2.1");
		dg.data = m;
		dg.len = (uint32_t)len;
		cft_sink_reset(&d.out);
		cf_dispatch_datagram(&d.ctx, &dg);
		CU_ASSERT(d.stats.records - before <= 3);
		CU_ASSERT(cft_sink_count(&d.out) == d.stats.records - before);
		free(m);
	}
	CU_ASSERT_EQUAL(d.stats.flow_dgrams, 20000);
	cft_dec_fini(&d);
}

static const struct cft_case cases[] = {
	{"flow_sample_every_record", test_flow_sample_every_record},
	{"expanded_ipv6", test_expanded_ipv6},
	{"qinq_multi_output", test_qinq_multi_output},
	{"ip_headers", test_ip_headers},
	{"truncated_headers", test_truncated_headers},
	{"sampled_ip_records", test_sampled_ip_records},
	{"counter_samples", test_counter_samples},
	{"counter_lru", test_counter_lru},
	{"counter_key_family", test_counter_key_family},
	{"counter_metrics", test_counter_metrics},
	{"record_length_lies", test_record_length_lies},
	{"switch_vlan_unknown", test_switch_vlan_unknown},
	{"sample_length_lies", test_sample_length_lies},
	{"unknown_types", test_unknown_types},
	{"sequence", test_sequence},
	{"rejects", test_rejects},
	{"mutations", test_mutations},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("sflow_v5", cases);
}
