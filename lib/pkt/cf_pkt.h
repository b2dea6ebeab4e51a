/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_PKT_H
#define CF_PKT_H

/*
 * Classification of a received frame down to the UDP payload, in place.
 *
 * Contract:
 *  - cf_pkt_parse() is pure: it reads frame[0 .. len) only and returns
 *    CF_STATS_DROP_MAX with *m filled when the frame is a whole, consistent
 *    Ethernet [/802.1Q|802.1ad [/802.1Q]] / IPv4 (options allowed) | IPv6
 *    (extension headers allowed) / UDP datagram; otherwise the drop reason.
 *  - Ethernet padding after the IP packet is ignored; an IP total length or a
 *    UDP length reaching past what the frame holds is a drop, never a read.
 *  - Fragments (IPv4 MF/offset, IPv6 Fragment header) are reported as
 *    CF_STATS_DROP_IP_FRAGMENT; reassembly happens elsewhere.
 *  - cf_pkt_accept() applies the listener policy (flow ports, --collector-ip
 *    bound to a DPDK port and/or a VLAN, then --exporter-allow on the source).
 *  - cf_pkt_prefix_parse() reads one --exporter-allow value: ADDR[/PREFIX]
 *    (IPv4 or IPv6; PREFIX 0..32 / 0..128, default the whole address); the
 *    host bits must be 0. An empty allow-list allows every source.
 *  - cf_pkt_addr_parse() reads one --collector-ip value:
 *        ADDR[/PREFIX][@portN][@vlanV]
 *    ADDR is IPv4 or IPv6; PREFIX defaults to /32 or /128; without @portN
 *    the address is ours on every DPDK port, without @vlanV on untagged
 *    frames and on every VLAN; @vlan0 means untagged frames only. The VLAN
 *    compared is the innermost tag (cf_pkt_meta_vlan()).
 *  - UDP checksums are not verified (NICs do it, and exporters often send 0).
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cf_stats.h"

#define CF_PKT_MAX_ADDRS 16
#define CF_PKT_MAX_ALLOW 64

struct cf_pkt_meta {
	uint8_t src[16];
	uint8_t dst[16];
	uint8_t v6;
	uint8_t vlans;            /* tags seen: 0, 1 or 2 */
	uint16_t vlan_outer;      /* VLAN ids (12 bits), valid per .vlans */
	uint16_t vlan_inner;
	uint16_t l3_off;
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t payload_off;     /* UDP payload offset in the frame */
	uint16_t payload_len;
	uint16_t rx_port;         /* DPDK port: set by the caller, read by cf_pkt_accept() */
};

struct cf_pkt_addr {
	uint8_t addr[16];
	uint8_t v6;
	uint8_t prefix;           /* /PREFIX (documentation and announcements) */
	uint8_t bound_port;       /* 0: ours on every port (a zeroed entry is unbound) */
	uint8_t bound_vlan;       /* 0: ours untagged and on every VLAN */
	uint16_t port;            /* DPDK port id, when bound_port */
	uint16_t vlan;            /* 0 = untagged only, or 1..4094, when bound_vlan */
};

/* An --exporter-allow prefix. */
struct cf_pkt_prefix {
	uint8_t addr[16];         /* network order, host bits 0 */
	uint8_t v6;
	uint8_t len;              /* prefix length in bits */
};

/* Listener policy. A port of 0 is not listened on. */
struct cf_pkt_policy {
	uint16_t ports[3];        /* netflow, ipfix, sflow */
	uint16_t n_addrs;         /* 0 = accept any destination */
	struct cf_pkt_addr addrs[CF_PKT_MAX_ADDRS];
	uint16_t n_allow;         /* 0 = any source may export */
	struct cf_pkt_prefix allow[CF_PKT_MAX_ALLOW];
};

enum cf_stats_drop cf_pkt_parse(const uint8_t *frame, uint32_t len, struct cf_pkt_meta *m);

/* CF_STATS_DROP_MAX when the policy takes the datagram received on DPDK port
 * m->rx_port (cf_pkt_parse() does not set it), else udp_port, dst_addr or
 * exporter_not_allowed. */
enum cf_stats_drop cf_pkt_accept(const struct cf_pkt_policy *pol, const struct cf_pkt_meta *m);

/* The VLAN a frame is on for address binding: innermost tag, 0 when untagged. */
static inline uint16_t
cf_pkt_meta_vlan(const struct cf_pkt_meta *m)
{
	return m->vlans == 0 ? 0 : m->vlans == 1 ? m->vlan_outer : m->vlan_inner;
}

/* 1 when a is ours for (addr of family v6) on DPDK port `port`, VLAN `vlan`. */
static inline int
cf_pkt_addr_match(const struct cf_pkt_addr *a, const uint8_t *addr, uint8_t v6, uint16_t port,
		  uint16_t vlan)
{
	if (a->v6 != v6)
		return 0;
	if (a->bound_port && a->port != port)
		return 0;
	if (a->bound_vlan && a->vlan != vlan)
		return 0;
	if (v6)
		return memcmp(a->addr, addr, 16) == 0;
	return memcmp(a->addr, addr, 4) == 0;
}

/* 1 when one of the policy's addresses is ours for (addr, v6) on (port, vlan); 0 when
 * none is (also when the policy lists no address: callers decide what that means). */
static inline int
cf_pkt_policy_owns(const struct cf_pkt_policy *pol, const uint8_t *addr, uint8_t v6, uint16_t port,
		   uint16_t vlan)
{
	unsigned int i;

	for (i = 0; i < pol->n_addrs; i++)
		if (cf_pkt_addr_match(&pol->addrs[i], addr, v6, port, vlan))
			return 1;
	return 0;
}

/* 1 when (addr, v6) is inside prefix p. */
static inline int
cf_pkt_prefix_match(const struct cf_pkt_prefix *p, const uint8_t *addr, uint8_t v6)
{
	unsigned int full = p->len / 8u, rest = p->len % 8u;

	if (p->v6 != v6 || memcmp(p->addr, addr, full) != 0)
		return 0;
	return rest == 0 || ((addr[full] ^ p->addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

/* 1 when the source (addr, v6) may export: the allow-list is empty or holds it. */
static inline int
cf_pkt_policy_allows(const struct cf_pkt_policy *pol, const uint8_t *addr, uint8_t v6)
{
	unsigned int i;

	if (pol->n_allow == 0)
		return 1;
	for (i = 0; i < pol->n_allow; i++)
		if (cf_pkt_prefix_match(&pol->allow[i], addr, v6))
			return 1;
	return 0;
}

/* Parses one --exporter-allow value into *p. 0, or -1 with a one-line reason in err. */
int cf_pkt_prefix_parse(const char *s, struct cf_pkt_prefix *p, char *err, size_t errlen);

/* Parses one --collector-ip value (grammar above) into *a.
 * 0, or -1 with a one-line reason in err. */
int cf_pkt_addr_parse(const char *s, struct cf_pkt_addr *a, char *err, size_t errlen);

#endif
