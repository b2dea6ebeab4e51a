/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cf_pkt.h"
#include "cf_wire.h"

#define ETH_HLEN 14
#define ETYPE_IPV4 0x0800
#define ETYPE_IPV6 0x86dd
#define ETYPE_VLAN 0x8100
#define ETYPE_QINQ 0x88a8
#define ETYPE_QINQ_OLD 0x9100
#define IPPROTO_UDP_ 17
#define IP6_MAX_EXT 8

static inline int
is_vlan_tpid(uint16_t t)
{
	return t == ETYPE_VLAN || t == ETYPE_QINQ || t == ETYPE_QINQ_OLD;
}

/* Walks the IPv6 extension chain; returns the upper-layer protocol or a drop. */
static enum cf_stats_drop
ip6_skip_ext(const uint8_t *p, uint32_t avail, uint8_t *nh, uint32_t *off)
{
	unsigned int n;

	for (n = 0; n < IP6_MAX_EXT; n++) {
		uint32_t hlen;

		switch (*nh) {
		case 0:  /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			if (*off + 2 > avail)
				return CF_STATS_DROP_IP6_EXT_BAD;
			hlen = ((uint32_t)p[*off + 1] + 1) * 8;
			break;
		case 51: /* authentication header: length in 4-byte units minus 2 */
			if (*off + 2 > avail)
				return CF_STATS_DROP_IP6_EXT_BAD;
			hlen = ((uint32_t)p[*off + 1] + 2) * 4;
			break;
		case 44:
			return CF_STATS_DROP_IP_FRAGMENT;
		default:
			return CF_STATS_DROP_MAX;
		}
		if (*off + hlen > avail)
			return CF_STATS_DROP_IP6_EXT_BAD;
		*nh = p[*off];
		*off += hlen;
	}
	return CF_STATS_DROP_IP6_EXT_BAD;
}

enum cf_stats_drop
cf_pkt_parse(const uint8_t *f, uint32_t len, struct cf_pkt_meta *m)
{
	uint32_t off = ETH_HLEN, ip_end, l4;
	uint16_t etype;
	uint8_t proto;

	if (len < ETH_HLEN)
		return CF_STATS_DROP_L2_TRUNCATED;
	etype = cf_wire_be16(f + 12);
	m->vlans = 0;
	while (is_vlan_tpid(etype)) {
		uint16_t tci;

		if (m->vlans == 2)
			return CF_STATS_DROP_VLAN_TOO_DEEP;
		if (off + 4 > len)
			return CF_STATS_DROP_L2_TRUNCATED;
		tci = cf_wire_be16(f + off) & 0x0fff;
		if (m->vlans == 0)
			m->vlan_outer = tci;
		else
			m->vlan_inner = tci;
		m->vlans++;
		etype = cf_wire_be16(f + off + 2);
		off += 4;
	}
	m->l3_off = off;

	if (etype == ETYPE_IPV4) {
		const uint8_t *ip = f + off;
		uint32_t ihl, tot;

		if (off + 20 > len)
			return CF_STATS_DROP_IP_TRUNCATED;
		if ((ip[0] >> 4) != 4 || (ihl = (ip[0] & 0x0f) * 4u) < 20)
			return CF_STATS_DROP_IP_BAD_HEADER;
		tot = cf_wire_be16(ip + 2);
		if (tot < ihl)
			return CF_STATS_DROP_IP_BAD_HEADER;
		if (off + tot > len)
			return CF_STATS_DROP_IP_TRUNCATED;
		/* MF set or a non-zero offset: a piece of a datagram. */
		if (cf_wire_be16(ip + 6) & 0x3fff)
			return CF_STATS_DROP_IP_FRAGMENT;
		proto = ip[9];
		m->v6 = 0;
		memset(m->src, 0, sizeof(m->src));
		memset(m->dst, 0, sizeof(m->dst));
		memcpy(m->src, ip + 12, 4);
		memcpy(m->dst, ip + 16, 4);
		ip_end = off + tot;
		l4 = off + ihl;
	} else if (etype == ETYPE_IPV6) {
		const uint8_t *ip = f + off;
		uint32_t plen;
		enum cf_stats_drop why;

		if (off + 40 > len)
			return CF_STATS_DROP_IP_TRUNCATED;
		if ((ip[0] >> 4) != 6)
			return CF_STATS_DROP_IP_BAD_HEADER;
		plen = cf_wire_be16(ip + 4);
		/* plen 0 would be a jumbogram: not on an Ethernet link. */
		if (plen == 0)
			return CF_STATS_DROP_IP_BAD_HEADER;
		if (off + 40 + plen > len)
			return CF_STATS_DROP_IP_TRUNCATED;
		ip_end = off + 40 + plen;
		proto = ip[6];
		l4 = off + 40;
		why = ip6_skip_ext(f, ip_end, &proto, &l4);
		if (why != CF_STATS_DROP_MAX)
			return why;
		m->v6 = 1;
		memcpy(m->src, ip + 8, 16);
		memcpy(m->dst, ip + 24, 16);
	} else {
		return CF_STATS_DROP_L2_NOT_IP;
	}

	if (proto != IPPROTO_UDP_)
		return CF_STATS_DROP_NOT_UDP;
	if (l4 + 8 > ip_end)
		return CF_STATS_DROP_UDP_TRUNCATED;
	{
		uint32_t ulen = cf_wire_be16(f + l4 + 4);

		if (ulen < 8 || l4 + ulen > ip_end)
			return CF_STATS_DROP_UDP_TRUNCATED;
		m->src_port = cf_wire_be16(f + l4);
		m->dst_port = cf_wire_be16(f + l4 + 2);
		m->payload_off = l4 + 8;
		m->payload_len = ulen - 8;
	}
	return CF_STATS_DROP_MAX;
}

enum cf_stats_drop
cf_pkt_accept(const struct cf_pkt_policy *pol, const struct cf_pkt_meta *m)
{
	if (m->dst_port == 0 || (m->dst_port != pol->ports[0] && m->dst_port != pol->ports[1] &&
				 m->dst_port != pol->ports[2]))
		return CF_STATS_DROP_UDP_PORT;
	if (pol->n_addrs != 0 &&
	    !cf_pkt_policy_owns(pol, m->dst, m->v6, m->rx_port, cf_pkt_meta_vlan(m)))
		return CF_STATS_DROP_DST_ADDR;
	return cf_pkt_policy_allows(pol, m->src, m->v6) ? CF_STATS_DROP_MAX :
							   CF_STATS_DROP_EXPORTER_NOT_ALLOWED;
}

/* Reads a decimal number in [0, max] from s up to (not including) end. */
static int
parse_num(const char *s, const char *end, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

int
cf_pkt_prefix_parse(const char *s, struct cf_pkt_prefix *p, char *err, size_t errlen)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long v;
	unsigned int i;

	memset(p, 0, sizeof(*p));
	if (n >= sizeof(ip)) {
		snprintf(err, errlen, "'%s': address too long", s);
		return -1;
	}
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, p->addr) == 1) {
		p->v6 = 0;
	} else if (inet_pton(AF_INET6, ip, p->addr) == 1) {
		p->v6 = 1;
	} else {
		snprintf(err, errlen, "'%s': '%s' is not an IPv4 or IPv6 address", s, ip);
		return -1;
	}
	p->len = p->v6 ? 128 : 32;
	if (slash != NULL) {
		if (parse_num(slash + 1, slash + strlen(slash), p->len, &v) != 0) {
			snprintf(err, errlen, "'%s': prefix length must be 0..%u", s, p->len);
			return -1;
		}
		p->len = (uint8_t)v;
	}
	/* 10.0.0.1/8 is a typo for 10.0.0.0/8 or 10.0.0.1/32: say so, do not guess. */
	for (i = p->len; i < (p->v6 ? 128u : 32u); i++) {
		if (p->addr[i / 8] & (0x80u >> (i % 8))) {
			snprintf(err, errlen, "'%s': host bits set after /%u", s, p->len);
			return -1;
		}
	}
	return 0;
}

int
cf_pkt_addr_parse(const char *s, struct cf_pkt_addr *a, char *err, size_t errlen)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *at = strchr(s, '@'), *slash = strchr(s, '/');
	const char *ip_end = at ? at : s + strlen(s);
	unsigned long v;

	memset(a, 0, sizeof(*a));
	if (slash != NULL && slash > ip_end)
		slash = NULL;
	if ((size_t)((slash ? slash : ip_end) - s) >= sizeof(ip)) {
		snprintf(err, errlen, "'%s': address too long", s);
		return -1;
	}
	memcpy(ip, s, (size_t)((slash ? slash : ip_end) - s));
	ip[(slash ? slash : ip_end) - s] = '\0';
	if (inet_pton(AF_INET, ip, a->addr) == 1) {
		a->v6 = 0;
	} else if (inet_pton(AF_INET6, ip, a->addr) == 1) {
		a->v6 = 1;
	} else {
		snprintf(err, errlen, "'%s': '%s' is not an IPv4 or IPv6 address", s, ip);
		return -1;
	}
	a->prefix = a->v6 ? 128 : 32;
	if (slash != NULL) {
		if (parse_num(slash + 1, ip_end, a->v6 ? 128 : 32, &v) != 0 || v == 0) {
			snprintf(err, errlen, "'%s': prefix must be 1..%u", s, a->v6 ? 128 : 32);
			return -1;
		}
		a->prefix = (uint8_t)v;
	}
	while (at != NULL) {
		const char *next = strchr(at + 1, '@');
		const char *end = next ? next : at + strlen(at);

		if (strncmp(at + 1, "port", 4) == 0) {
			if (a->bound_port || parse_num(at + 5, end, UINT16_MAX, &v) != 0) {
				snprintf(err, errlen, "'%s': @portN takes one DPDK port id 0..65535", s);
				return -1;
			}
			a->port = (uint16_t)v;
			a->bound_port = 1;
		} else if (strncmp(at + 1, "vlan", 4) == 0) {
			if (a->bound_vlan || parse_num(at + 5, end, 4094, &v) != 0) {
				snprintf(err, errlen, "'%s': @vlanV takes one VLAN id 0..4094 (0 = untagged)", s);
				return -1;
			}
			a->vlan = (uint16_t)v;
			a->bound_vlan = 1;
		} else {
			snprintf(err, errlen, "'%s': expected ADDR[/PREFIX][@portN][@vlanV]", s);
			return -1;
		}
		at = next;
	}
	return 0;
}
