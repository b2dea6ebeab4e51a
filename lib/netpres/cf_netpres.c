/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "cf_netpres.h"
#include "cf_wire.h"

#define ETH_HLEN 14
#define ETYPE_ARP 0x0806
#define ETYPE_IPV4 0x0800
#define ETYPE_IPV6 0x86dd
#define ETYPE_VLAN 0x8100
#define ETYPE_QINQ 0x88a8
#define ETYPE_QINQ_OLD 0x9100
#define ARP_LEN 28
#define IP6_HLEN 40
#define PROTO_ICMP 1
#define PROTO_ICMP6 58
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_NS 135
#define ND_NA 136
#define ND_NA_LEN 32         /* header + target + one link-layer option */
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define REPLY_TTL 64

static const uint8_t all_nodes6[16] = {0xff, 0x02, [15] = 0x01};
static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 0x01};

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint32_t
cf_netpres_csum_add(uint32_t sum, const uint8_t *buf, uint32_t len)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	/* Fold early so long buffers cannot overflow 32 bits. */
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t
cf_netpres_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Sum of the IPv6 pseudo-header (RFC 8200 8.1) for an upper-layer length. */
static uint32_t
ip6_pseudo(const uint8_t *ip6, uint32_t ulen, uint8_t nh)
{
	uint32_t sum = cf_netpres_csum_add(0, ip6 + 8, 32);

	sum += ulen >> 16;
	sum += ulen & 0xffff;
	sum += nh;
	return sum;
}

void
cf_netpres_solicited_mac(const uint8_t addr6[16], uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	mac[2] = 0xff;
	memcpy(mac + 3, addr6 + 13, 3);
}

void
cf_netpres_port_init(struct cf_netpres_port *p, const uint8_t mac[6])
{
	memset(p, 0, sizeof(*p));
	memcpy(p->mac, mac, 6);
	p->valid = 1;
	/* RFC 4291 appendix A: universal/local bit flipped, ff:fe in the middle. */
	p->ll6[0] = 0xfe;
	p->ll6[1] = 0x80;
	p->ll6[8] = mac[0] ^ 0x02;
	p->ll6[9] = mac[1];
	p->ll6[10] = mac[2];
	p->ll6[11] = 0xff;
	p->ll6[12] = 0xfe;
	p->ll6[13] = mac[3];
	p->ll6[14] = mac[4];
	p->ll6[15] = mac[5];
}

static void
limiter_init(struct cf_netpres_limiter *l, uint32_t rate)
{
	unsigned int i;

	memset(l, 0, sizeof(*l));
	l->rate = rate;
	l->global.milli_tokens = (uint64_t)rate * 1000 * CF_NETPRES_GLOBAL_FACTOR;
	for (i = 0; i < CF_NETPRES_BUCKETS; i++)
		l->b[i].milli_tokens = (uint64_t)rate * 1000;
}

void
cf_netpres_ctx_init(struct cf_netpres_ctx *c, const struct cf_pkt_policy *policy,
		    const struct cf_netpres_port *ports, uint16_t n_ports, uint32_t arp_rate,
		    uint32_t icmp_rate, struct cf_stats_lcore *stats)
{
	memset(c, 0, sizeof(*c));
	c->policy = policy;
	c->ports = ports;
	c->n_ports = n_ports;
	c->stats = stats;
	limiter_init(&c->arp, arp_rate);
	limiter_init(&c->icmp, icmp_rate);
}

/* Refills a bucket (rate tokens/s, at most cap_milli) and takes one token. */
static int
bucket_take(struct cf_netpres_bucket *b, uint32_t rate, uint64_t cap_milli, uint64_t now_ms)
{
	if (now_ms > b->last_ms) {
		uint64_t add = (now_ms - b->last_ms) * rate;

		b->milli_tokens = b->milli_tokens + add > cap_milli ? cap_milli : b->milli_tokens + add;
	}
	b->last_ms = now_ms;
	if (b->milli_tokens < 1000)
		return 0;
	b->milli_tokens -= 1000;
	return 1;
}

/* 1 when the source may have one more reply now. */
static int
limiter_allow(struct cf_netpres_limiter *l, const uint8_t *src, unsigned int alen, uint64_t now_ms)
{
	struct cf_netpres_bucket *b;
	uint32_t h = 2166136261u;
	uint8_t key[16] = {0};
	unsigned int i;

	memcpy(key, src, alen);
	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	b = &l->b[(h ^ (h >> 16)) % CF_NETPRES_BUCKETS];
	if (memcmp(b->key, key, 16) != 0) {
		/* A new source takes the slot with a full bucket. */
		memcpy(b->key, key, 16);
		b->milli_tokens = (uint64_t)l->rate * 1000;
		b->last_ms = now_ms;
	}
	if (!bucket_take(b, l->rate, (uint64_t)l->rate * 1000, now_ms))
		return 0;
	if (!bucket_take(&l->global, l->rate * CF_NETPRES_GLOBAL_FACTOR,
			 (uint64_t)l->rate * 1000 * CF_NETPRES_GLOBAL_FACTOR, now_ms)) {
		b->milli_tokens += 1000;
		return 0;
	}
	return 1;
}

/* 1 when addr is one of our addresses on (port, vlan). */
static int
is_ours(const struct cf_netpres_ctx *c, const uint8_t *addr, uint8_t v6, uint16_t port,
	uint16_t vlan)
{
	return cf_pkt_policy_owns(c->policy, addr, v6, port, vlan);
}

/* Our IPv6 addresses on (port, vlan) include the port's link-local address
 * wherever a global IPv6 address of ours is reachable. */
static int
is_ours6(const struct cf_netpres_ctx *c, const uint8_t *addr, uint16_t port, uint16_t vlan)
{
	unsigned int i;

	if (is_ours(c, addr, 1, port, vlan))
		return 1;
	if (memcmp(addr, c->ports[port].ll6, 16) != 0)
		return 0;
	for (i = 0; i < c->policy->n_addrs; i++) {
		const struct cf_pkt_addr *a = &c->policy->addrs[i];

		if (a->v6 && (!a->bound_port || a->port == port) &&
		    (!a->bound_vlan || a->vlan == vlan))
			return 1;
	}
	return 0;
}

static inline void
set_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src)
{
	memmove(f, dst, 6);
	memcpy(f + 6, src, 6);
}

static uint32_t
do_arp(struct cf_netpres_ctx *c, const struct cf_netpres_port *p, uint16_t port, uint16_t vlan,
       uint8_t *f, uint32_t off, uint32_t len, uint64_t now_ms)
{
	uint8_t *a = f + off;
	uint8_t sha[6], spa[4], tpa[4];

	if (off + ARP_LEN > len || cf_wire_be16(a) != 1 || cf_wire_be16(a + 2) != ETYPE_IPV4 ||
	    a[4] != 6 || a[5] != 4) {
		c->stats->drops[CF_STATS_DROP_ARP_BAD]++;
		return 0;
	}
	/* Sender = target is an announcement (RFC 5227), ours echoed back included. */
	if (cf_wire_be16(a + 6) != 1 || !is_ours(c, a + 24, 0, port, vlan) ||
	    memcmp(a + 14, a + 24, 4) == 0) {
		c->stats->drops[CF_STATS_DROP_ARP_IGNORED]++;
		return 0;
	}
	if (!limiter_allow(&c->arp, a + 14, 4, now_ms)) {
		c->stats->drops[CF_STATS_DROP_ARP_RATE]++;
		return 0;
	}
	memcpy(sha, a + 8, 6);
	memcpy(spa, a + 14, 4);
	memcpy(tpa, a + 24, 4);
	put16(a + 6, 2);
	memcpy(a + 8, p->mac, 6);
	memcpy(a + 14, tpa, 4);
	memcpy(a + 18, sha, 6);
	memcpy(a + 24, spa, 4);
	set_eth(f, sha, p->mac);
	c->stats->np_arp_replies++;
	/* Keep the request's length: Ethernet padding stays padding. */
	return len;
}

static uint32_t
do_icmp4(struct cf_netpres_ctx *c, const struct cf_netpres_port *p, uint16_t port, uint16_t vlan,
	 uint8_t *f, uint32_t off, uint32_t len, uint64_t now_ms)
{
	uint8_t *ip = f + off, *icmp, tmp[4];
	uint32_t ihl, tot;

	ihl = (ip[0] & 0x0fu) * 4;
	tot = cf_wire_be16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl + 8 || off + tot > len ||
	    (cf_wire_be16(ip + 6) & 0x3fff) != 0) {
		c->stats->drops[CF_STATS_DROP_ICMP_BAD]++;
		return 0;
	}
	if (!is_ours(c, ip + 16, 0, port, vlan)) {
		c->stats->drops[CF_STATS_DROP_ICMP_IGNORED]++;
		return 0;
	}
	icmp = ip + ihl;
	if (cf_netpres_csum_fold(cf_netpres_csum_add(0, ip, ihl)) != 0 ||
	    cf_netpres_csum_fold(cf_netpres_csum_add(0, icmp, tot - ihl)) != 0) {
		c->stats->drops[CF_STATS_DROP_ICMP_BAD]++;
		return 0;
	}
	if (icmp[0] != ICMP_ECHO_REQUEST || icmp[1] != 0) {
		c->stats->drops[CF_STATS_DROP_ICMP_IGNORED]++;
		return 0;
	}
	if (!limiter_allow(&c->icmp, ip + 12, 4, now_ms)) {
		c->stats->drops[CF_STATS_DROP_ICMP_RATE]++;
		return 0;
	}
	memcpy(tmp, ip + 12, 4);
	memcpy(ip + 12, ip + 16, 4);
	memcpy(ip + 16, tmp, 4);
	ip[8] = REPLY_TTL;
	put16(ip + 10, 0);
	put16(ip + 10, cf_netpres_csum_fold(cf_netpres_csum_add(0, ip, ihl)));
	icmp[0] = ICMP_ECHO_REPLY;
	put16(icmp + 2, 0);
	put16(icmp + 2, cf_netpres_csum_fold(cf_netpres_csum_add(0, icmp, tot - ihl)));
	set_eth(f, f + 6, p->mac);
	c->stats->np_echo_replies++;
	return off + tot;
}

static void
icmp6_finish(uint8_t *ip, uint32_t ulen)
{
	uint8_t *icmp = ip + IP6_HLEN;

	put16(icmp + 2, 0);
	put16(icmp + 2,
	      cf_netpres_csum_fold(
		      cf_netpres_csum_add(ip6_pseudo(ip, ulen, PROTO_ICMP6), icmp, ulen)));
}

/* Neighbor Solicitation (RFC 4861 7.1.1 checks) -> solicited NA (7.2.4). */
static uint32_t
do_ns(struct cf_netpres_ctx *c, const struct cf_netpres_port *p, uint16_t port, uint16_t vlan,
      uint8_t *f, uint32_t off, uint32_t ulen, uint32_t cap, uint64_t now_ms)
{
	uint8_t *ip = f + off, *icmp = ip + IP6_HLEN, target[16], src[16], eth_dst[6];
	const uint8_t *slla = NULL;
	uint8_t sol_ip[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
	int dad;
	uint32_t o;

	if (ip[7] != 255 || icmp[1] != 0 || ulen < 24) {
		c->stats->drops[CF_STATS_DROP_ND_BAD]++;
		return 0;
	}
	memcpy(target, icmp + 8, 16);
	if (!is_ours6(c, target, port, vlan)) {
		c->stats->drops[CF_STATS_DROP_ICMP_IGNORED]++;
		return 0;
	}
	for (o = 24; o < ulen;) {
		uint32_t olen;

		if (o + 2 > ulen || (olen = icmp[o + 1] * 8u) == 0 || o + olen > ulen) {
			c->stats->drops[CF_STATS_DROP_ND_BAD]++;
			return 0;
		}
		if (icmp[o] == ND_OPT_SLLA && olen >= 8)
			slla = icmp + o + 2;
		o += olen;
	}
	dad = cf_wire_be32(ip + 8) == 0 && cf_wire_be32(ip + 12) == 0 &&
		cf_wire_be32(ip + 16) == 0 && cf_wire_be32(ip + 20) == 0;
	memcpy(sol_ip + 13, target + 13, 3);
	/* Addressed to the target itself or to its solicited-node group; DAD only
	 * to the group and without a source link-layer address option. */
	if ((memcmp(ip + 24, sol_ip, 16) != 0 && (dad || memcmp(ip + 24, target, 16) != 0)) ||
	    (dad && slla != NULL)) {
		c->stats->drops[CF_STATS_DROP_ND_BAD]++;
		return 0;
	}
	if (off + IP6_HLEN + ND_NA_LEN > cap) {
		c->stats->drops[CF_STATS_DROP_PRESENCE_TX_FAILED]++;
		return 0;
	}
	if (!limiter_allow(&c->arp, dad ? f + 6 : ip + 8, dad ? 6 : 16, now_ms)) {
		c->stats->drops[CF_STATS_DROP_ARP_RATE]++;
		return 0;
	}
	memcpy(src, ip + 8, 16);
	if (dad)
		memcpy(eth_dst, all_nodes_mac, 6);
	else
		memcpy(eth_dst, slla != NULL ? slla : f + 6, 6);
	set_eth(f, eth_dst, p->mac);
	ip[0] = 0x60;
	ip[1] = ip[2] = ip[3] = 0;
	put16(ip + 4, ND_NA_LEN);
	ip[6] = PROTO_ICMP6;
	ip[7] = 255;
	memcpy(ip + 8, target, 16);
	memcpy(ip + 24, dad ? all_nodes6 : src, 16);
	icmp[0] = ND_NA;
	icmp[1] = 0;
	/* Router 0, Solicited unless answering DAD, Override 1. */
	icmp[4] = dad ? 0x20 : 0x60;
	icmp[5] = icmp[6] = icmp[7] = 0;
	memcpy(icmp + 8, target, 16);
	icmp[24] = ND_OPT_TLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, p->mac, 6);
	icmp6_finish(ip, ND_NA_LEN);
	c->stats->np_nd_adverts++;
	return off + IP6_HLEN + ND_NA_LEN;
}

static uint32_t
do_icmp6(struct cf_netpres_ctx *c, const struct cf_netpres_port *p, uint16_t port, uint16_t vlan,
	 uint8_t *f, uint32_t off, uint32_t cap, uint64_t now_ms)
{
	uint8_t *ip = f + off, *icmp = ip + IP6_HLEN, tmp[16];
	uint32_t ulen = cf_wire_be16(ip + 4);

	/* Extension headers before ICMPv6 are not used by ND or ping: not ours. */
	if (ip[6] != PROTO_ICMP6) {
		c->stats->drops[CF_STATS_DROP_ICMP_IGNORED]++;
		return 0;
	}
	if (ulen < 8 ||
	    cf_netpres_csum_fold(
		    cf_netpres_csum_add(ip6_pseudo(ip, ulen, PROTO_ICMP6), icmp, ulen)) != 0) {
		c->stats->drops[CF_STATS_DROP_ICMP_BAD]++;
		return 0;
	}
	if (icmp[0] == ND_NS)
		return do_ns(c, p, port, vlan, f, off, ulen, cap, now_ms);
	if (icmp[0] != ICMP6_ECHO_REQUEST || icmp[1] != 0 || !is_ours6(c, ip + 24, port, vlan)) {
		c->stats->drops[CF_STATS_DROP_ICMP_IGNORED]++;
		return 0;
	}
	if (!limiter_allow(&c->icmp, ip + 8, 16, now_ms)) {
		c->stats->drops[CF_STATS_DROP_ICMP_RATE]++;
		return 0;
	}
	memcpy(tmp, ip + 8, 16);
	memcpy(ip + 8, ip + 24, 16);
	memcpy(ip + 24, tmp, 16);
	ip[7] = REPLY_TTL;
	icmp[0] = ICMP6_ECHO_REPLY;
	icmp6_finish(ip, ulen);
	set_eth(f, f + 6, p->mac);
	c->stats->np_echo_replies++;
	return off + IP6_HLEN + ulen;
}

uint32_t
cf_netpres_input(struct cf_netpres_ctx *c, uint16_t port, uint8_t *f, uint32_t len, uint32_t cap,
		 uint64_t now_ms)
{
	const struct cf_netpres_port *p;
	uint32_t off = ETH_HLEN;
	uint16_t etype, vlan = 0, kind;
	unsigned int tags = 0;

	if (len < ETH_HLEN)
		return c->stats->drops[CF_STATS_DROP_L2_TRUNCATED]++, 0;
	etype = cf_wire_be16(f + 12);
	while (etype == ETYPE_VLAN || etype == ETYPE_QINQ || etype == ETYPE_QINQ_OLD) {
		if (tags == 2)
			return c->stats->drops[CF_STATS_DROP_VLAN_TOO_DEEP]++, 0;
		if (off + 4 > len)
			return c->stats->drops[CF_STATS_DROP_L2_TRUNCATED]++, 0;
		vlan = cf_wire_be16(f + off) & 0x0fff;
		etype = cf_wire_be16(f + off + 2);
		off += 4;
		tags++;
	}
	/* IP frames reach us only after cf_pkt_parse() validated their headers and
	 * lengths and found a protocol other than UDP. */
	if (etype == ETYPE_ARP) {
		kind = ETYPE_ARP;
	} else if (etype == ETYPE_IPV4 && off + 20 <= len && f[off + 9] == PROTO_ICMP) {
		kind = PROTO_ICMP;
	} else if (etype == ETYPE_IPV6 && off + IP6_HLEN <= len &&
		   off + IP6_HLEN + cf_wire_be16(f + off + 4) <= len && f[off + 6] == PROTO_ICMP6) {
		kind = PROTO_ICMP6;
	} else {
		/* TCP, GRE, ... and non-IP EtherTypes keep cf_pkt_parse()'s reasons. */
		c->stats->drops[etype == ETYPE_IPV4 || etype == ETYPE_IPV6
					? CF_STATS_DROP_NOT_UDP
					: CF_STATS_DROP_L2_NOT_IP]++;
		return 0;
	}
	if (port >= c->n_ports || !c->ports[port].valid || c->policy->n_addrs == 0) {
		/* No address of ours here: a passive listener answers nothing. */
		c->stats->drops[kind == ETYPE_ARP ? CF_STATS_DROP_ARP_IGNORED
						  : CF_STATS_DROP_ICMP_IGNORED]++;
		return 0;
	}
	p = &c->ports[port];
	if (kind == ETYPE_ARP)
		return do_arp(c, p, port, vlan, f, off, len, now_ms);
	if (kind == PROTO_ICMP)
		return do_icmp4(c, p, port, vlan, f, off, len, now_ms);
	return do_icmp6(c, p, port, vlan, f, off, cap, now_ms);
}

uint32_t
cf_netpres_announce(const struct cf_netpres_port *p, const uint8_t *addr, uint8_t v6, uint16_t vlan,
		    uint8_t *buf, uint32_t cap)
{
	uint32_t off = ETH_HLEN;

	if (cap < CF_NETPRES_ANNOUNCE_MAX)
		return 0;
	memset(buf, 0, CF_NETPRES_ANNOUNCE_MAX);
	memcpy(buf + 6, p->mac, 6);
	if (vlan >= 1 && vlan <= 4094) {
		put16(buf + 12, ETYPE_VLAN);
		put16(buf + 14, vlan);
		off += 4;
	}
	if (!v6) {
		uint8_t *a = buf + off;

		memset(buf, 0xff, 6);
		put16(buf + off - 2, ETYPE_ARP);
		put16(a, 1);
		put16(a + 2, ETYPE_IPV4);
		a[4] = 6;
		a[5] = 4;
		put16(a + 6, 1);
		memcpy(a + 8, p->mac, 6);
		memcpy(a + 14, addr, 4);
		memcpy(a + 24, addr, 4);
		/* Pad to the 60-byte Ethernet minimum (64 with the tag). */
		return off + ARP_LEN + 18;
	}
	{
		uint8_t *ip = buf + off, *icmp = ip + IP6_HLEN;

		memcpy(buf, all_nodes_mac, 6);
		put16(buf + off - 2, ETYPE_IPV6);
		ip[0] = 0x60;
		put16(ip + 4, ND_NA_LEN);
		ip[6] = PROTO_ICMP6;
		ip[7] = 255;
		memcpy(ip + 8, addr, 16);
		memcpy(ip + 24, all_nodes6, 16);
		icmp[0] = ND_NA;
		icmp[4] = 0x20; /* Override only: unsolicited (RFC 4861 7.2.6) */
		memcpy(icmp + 8, addr, 16);
		icmp[24] = ND_OPT_TLLA;
		icmp[25] = 1;
		memcpy(icmp + 26, p->mac, 6);
		icmp6_finish(ip, ND_NA_LEN);
		return off + IP6_HLEN + ND_NA_LEN;
	}
}
