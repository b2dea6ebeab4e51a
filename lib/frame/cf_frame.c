/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A sampled frame's first bytes (cf_frame.h). Total lengths inside the header
 * are not checked against hlen: the frame is cut by design.
 */
#include <string.h>

#include "cf_frame.h"
#include "cf_wire.h"

#define ETYPE_IPV4 0x0800
#define ETYPE_IPV6 0x86dd
#define ETYPE_MPLS 0x8847
#define ETYPE_MPLS_MC 0x8848
#define IP6_MAX_EXT 8
#define MPLS_MAX_LABELS 8

static inline int
is_vlan_tpid(uint16_t t)
{
	return t == 0x8100 || t == 0x88a8 || t == 0x9100;
}

static void
hdr_l4(uint8_t proto, const uint8_t *p, uint32_t n, struct cf_record *r)
{
	if (proto == 6 && n >= 14) {
		r->tcp_flags = p[13];
		r->present |= CF_RECORD_F_TCP_FLAGS;
	}
	switch (proto) {
	case 6:   /* TCP */
	case 17:  /* UDP */
	case 132: /* SCTP */
		if (n >= 4) {
			r->src_port = cf_wire_be16(p);
			r->dst_port = cf_wire_be16(p + 2);
			r->present |= CF_RECORD_F_PORTS;
		}
		break;
	case 1:   /* ICMP */
	case 58:  /* ICMPv6 */
		if (n >= 2) {
			r->icmp_type = p[0];
			r->icmp_code = p[1];
			r->present |= CF_RECORD_F_ICMP;
		}
		break;
	default:
		break;
	}
}

static void
hdr_ip4(const uint8_t *p, uint32_t n, struct cf_record *r)
{
	uint32_t ihl;

	if (n < 20 || (p[0] >> 4) != 4 || (ihl = (p[0] & 0x0fu) * 4) < 20)
		return;
	r->tos = p[1];
	r->protocol = p[9];
	memcpy(r->src_addr, p + 12, 4);
	memcpy(r->dst_addr, p + 16, 4);
	r->present |= CF_RECORD_F_TOS | CF_RECORD_F_PROTOCOL | CF_RECORD_F_SRC_ADDR |
		CF_RECORD_F_DST_ADDR;
	r->present &= ~(uint32_t)CF_RECORD_F_SRC_V6;
	/* Only the first fragment carries the transport header. */
	if ((cf_wire_be16(p + 6) & 0x1fff) != 0 || n <= ihl)
		return;
	hdr_l4(p[9], p + ihl, n - ihl, r);
}

static void
hdr_ip6(const uint8_t *p, uint32_t n, struct cf_record *r)
{
	uint32_t off = 40, i;
	uint8_t nh;

	if (n < 40 || (p[0] >> 4) != 6)
		return;
	r->tos = (uint8_t)(cf_wire_be16(p) >> 4);
	memcpy(r->src_addr, p + 8, 16);
	memcpy(r->dst_addr, p + 24, 16);
	r->present |=
		CF_RECORD_F_TOS | CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR | CF_RECORD_F_SRC_V6;
	nh = p[6];
	for (i = 0; i < IP6_MAX_EXT; i++) {
		uint32_t hlen;

		if (nh == 0 || nh == 43 || nh == 60) {
			/* A chain running past the cut leaves the protocol unknown. */
			if (off + 2 > n)
				return;
			hlen = ((uint32_t)p[off + 1] + 1) * 8;
		} else if (nh == 51) {
			if (off + 2 > n)
				return;
			hlen = ((uint32_t)p[off + 1] + 2) * 4;
		} else if (nh == 44) {
			if (off + 8 > n)
				return;
			/* A later fragment has no transport header. */
			if ((cf_wire_be16(p + off + 2) & 0xfff8) != 0) {
				nh = p[off];
				goto proto_only;
			}
			hlen = 8;
		} else {
			break;
		}
		nh = p[off];
		off += hlen;
	}
	if (i == IP6_MAX_EXT)
		return;
	r->protocol = nh;
	r->present |= CF_RECORD_F_PROTOCOL;
	if (off < n)
		hdr_l4(nh, p + off, n - off, r);
	return;
proto_only:
	r->protocol = nh;
	r->present |= CF_RECORD_F_PROTOCOL;
}

static void hdr_eth(const uint8_t *p, uint32_t n, struct cf_record *r, int depth);

/* IPv4 or IPv6 by the version nibble. */
static void
hdr_ip(const uint8_t *p, uint32_t n, struct cf_record *r)
{
	if (n == 0)
		return;
	if ((p[0] >> 4) == 4)
		hdr_ip4(p, n, r);
	else if ((p[0] >> 4) == 6)
		hdr_ip6(p, n, r);
}

/*
 * An MPLS label stack (RFC 3032) to its bottom (S bit), then the payload: IP
 * by its version nibble, or (first nibble 0: the RFC 4385 control word of an
 * Ethernet pseudowire, EoMPLS) the customer's Ethernet frame.
 */
static void
hdr_mpls(const uint8_t *p, uint32_t n, struct cf_record *r, int depth)
{
	uint32_t off = 0, i;

	for (i = 0; i < MPLS_MAX_LABELS; i++) {
		if (off + 4 > n)
			return;
		off += 4;
		if (p[off - 2] & 1)
			break;
	}
	if (i == MPLS_MAX_LABELS || off >= n)
		return;
	if ((p[off] >> 4) == 0) {
		if (depth == 0 && off + 4 < n)
			hdr_eth(p + off + 4, n - off - 4, r, depth + 1);
		return;
	}
	hdr_ip(p + off, n - off, r);
}

static void
hdr_eth(const uint8_t *p, uint32_t n, struct cf_record *r, int depth)
{
	uint32_t off = 14, tags = 0;
	uint16_t etype;

	if (n >= 6) {
		memcpy(r->dst_mac, p, 6);
		r->present |= CF_RECORD_F_DST_MAC;
	}
	if (n >= 12) {
		memcpy(r->src_mac, p + 6, 6);
		r->present |= CF_RECORD_F_SRC_MAC;
	}
	if (n < 14)
		return;
	etype = cf_wire_be16(p + 12);
	while (is_vlan_tpid(etype)) {
		if (tags == 2 || off + 4 > n)
			return;
		/* The outer tag is the one the switch port sees. */
		if (tags == 0) {
			r->vlan_id = cf_wire_be16(p + off) & 0x0fff;
			r->present |= CF_RECORD_F_VLAN;
		}
		etype = cf_wire_be16(p + off + 2);
		off += 4;
		tags++;
	}
	if (etype == ETYPE_IPV4)
		hdr_ip4(p + off, n - off, r);
	else if (etype == ETYPE_IPV6)
		hdr_ip6(p + off, n - off, r);
	else if (etype == ETYPE_MPLS || etype == ETYPE_MPLS_MC)
		hdr_mpls(p + off, n - off, r, depth);
}

int
cf_frame_parse(uint32_t proto, const uint8_t *h, uint32_t hlen, struct cf_record *r)
{
	switch (proto) {
	case CF_FRAME_ETHERNET:
		hdr_eth(h, hlen, r, 0);
		return 1;
	case CF_FRAME_IPV4:
		hdr_ip4(h, hlen, r);
		return 1;
	case CF_FRAME_IPV6:
		hdr_ip6(h, hlen, r);
		return 1;
	case CF_FRAME_IP:
		hdr_ip(h, hlen, r);
		return 1;
	default:
		return 0;
	}
}
