/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_NETPRES_H
#define CF_NETPRES_H

/*
 * Network presence: with kernel bypass nothing answers for the collector's
 * addresses unless we do. ARP replies (RFC 826), ICMP echo (RFC 792),
 * ICMPv6 echo (RFC 4443) and Neighbor Advertisements (RFC 4861) for the
 * --collector-ip addresses, plus gratuitous ARP / unsolicited NA frames.
 *
 * Contract:
 *  - Pure functions over a frame buffer: no DPDK port, mbuf or clock is used,
 *    the caller passes the port id and the time in ms.
 *  - cf_netpres_input() takes a frame that cf_pkt_parse() refused as l2_not_ip or
 *    not_udp. When it is a request for one of our addresses (on its DPDK port
 *    and VLAN) and the sender is within its rate, the frame is rewritten in
 *    place into the reply (VLAN tags kept) and its length returned (<= cap);
 *    the matching reply counter in stats is incremented. Otherwise it returns
 *    0 and counts exactly one drop reason in stats (the frame may have been
 *    read but is unchanged). It never reads past len nor writes past cap.
 *  - Rate limits: a token bucket per source address (--arp-rate for ARP and
 *    Neighbor Solicitations, --icmp-rate for echo requests; burst = one
 *    second's worth), in a direct-mapped table of CF_NETPRES_BUCKETS slots, plus a
 *    per-context bucket of CF_NETPRES_GLOBAL_FACTOR times the rate so spoofed
 *    sources cannot take the whole lcore.
 *  - One struct cf_netpres_ctx per RX lcore: not thread safe, no locks needed.
 *    struct cf_netpres_port entries are read-only once RX lcores run, except
 *    announce_gen (written by the control lcore, read by RX lcores).
 */

#include <stdint.h>

#include "cf_pkt.h"
#include "cf_stats.h"

#define CF_NETPRES_BUCKETS 256
#define CF_NETPRES_GLOBAL_FACTOR 8
/* Largest reply cf_netpres_input() builds beyond the request: NS (24) -> NA (32). */
#define CF_NETPRES_GROWTH 8
/* Size of an announcement frame: tags + IPv6 + NA with its option. */
#define CF_NETPRES_ANNOUNCE_MAX 96

struct cf_netpres_port {
	uint8_t mac[6];
	uint8_t valid;
	uint8_t has_v6;              /* an IPv6 --collector-ip is bound here */
	uint8_t ll6[16];             /* fe80::/64 + modified EUI-64 of mac */
	volatile uint32_t announce_gen; /* bumped by the control lcore when the link comes up */
};

struct cf_netpres_bucket {
	uint8_t key[16];
	uint64_t last_ms;
	uint64_t milli_tokens;
};

struct cf_netpres_limiter {
	uint32_t rate;               /* tokens per second */
	struct cf_netpres_bucket global;
	struct cf_netpres_bucket b[CF_NETPRES_BUCKETS];
};

struct cf_netpres_ctx {
	const struct cf_pkt_policy *policy;
	const struct cf_netpres_port *ports;   /* indexed by DPDK port id */
	uint16_t n_ports;
	struct cf_stats_lcore *stats;
	struct cf_netpres_limiter arp;
	struct cf_netpres_limiter icmp;
};

/* Fills p for a port with MAC mac (derives the link-local address). */
void cf_netpres_port_init(struct cf_netpres_port *p, const uint8_t mac[6]);

void cf_netpres_ctx_init(struct cf_netpres_ctx *c, const struct cf_pkt_policy *policy,
			 const struct cf_netpres_port *ports, uint16_t n_ports, uint32_t arp_rate,
			 uint32_t icmp_rate, struct cf_stats_lcore *stats);

/* See the contract above. Returns the reply length, or 0 (counted). */
uint32_t cf_netpres_input(struct cf_netpres_ctx *c, uint16_t port, uint8_t *f, uint32_t len,
			  uint32_t cap, uint64_t now_ms);

/* Announcement of address a on port p into buf (cap >= CF_NETPRES_ANNOUNCE_MAX):
 * an ARP request for itself to the broadcast MAC (RFC 5227 announcement) for
 * IPv4, an unsolicited NA (override set) to ff02::1 for IPv6. Tagged with
 * vlan when that is 1..4094, untagged otherwise. Returns the length, or 0
 * when cap is too small. */
uint32_t cf_netpres_announce(const struct cf_netpres_port *p, const uint8_t *addr, uint8_t v6,
			     uint16_t vlan, uint8_t *buf, uint32_t cap);

/* Ethernet multicast MAC of the solicited-node group of an IPv6 address. */
void cf_netpres_solicited_mac(const uint8_t addr6[16], uint8_t mac[6]);

/* Internet checksum (RFC 1071) of buf, continuing from partial sum `sum`;
 * cf_netpres_csum_fold() finishes it. Exposed for the tests. */
uint32_t cf_netpres_csum_add(uint32_t sum, const uint8_t *buf, uint32_t len);
uint16_t cf_netpres_csum_fold(uint32_t sum);

#endif
