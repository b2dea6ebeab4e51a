/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_PKT_H
#define CF_PKT_H

/*
 * Classification of a received frame down to the UDP payload, in place.
 *
 * Contract:
 *  - cfp_parse() is pure: it reads frame[0 .. len) only and returns
 *    CFS_DROP_MAX with *m filled when the frame is a whole, consistent
 *    Ethernet [/802.1Q|802.1ad [/802.1Q]] / IPv4 (options allowed) | IPv6
 *    (extension headers allowed) / UDP datagram; otherwise the drop reason.
 *  - Ethernet padding after the IP packet is ignored; an IP total length or a
 *    UDP length reaching past what the frame holds is a drop, never a read.
 *  - Fragments (IPv4 MF/offset, IPv6 Fragment header) are reported as
 *    CFS_DROP_IP_FRAGMENT; reassembly happens elsewhere.
 *  - cfp_accept() applies the listener policy (flow ports, --collector-ip).
 *  - UDP checksums are not verified (NICs do it, and exporters often send 0).
 */

#include <stdint.h>

#include "cf_stats.h"

#define CFP_MAX_ADDRS 16

struct cfp_meta {
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
};

struct cfp_addr {
	uint8_t addr[16];
	uint8_t v6;
};

/* Listener policy. A port of 0 is not listened on. */
struct cfp_policy {
	uint16_t ports[3];        /* netflow, ipfix, sflow */
	uint16_t n_addrs;         /* 0 = accept any destination */
	struct cfp_addr addrs[CFP_MAX_ADDRS];
};

enum cfs_drop cfp_parse(const uint8_t *frame, uint32_t len, struct cfp_meta *m);

/* CFS_DROP_MAX when the policy takes the datagram, else udp_port or dst_addr. */
enum cfs_drop cfp_accept(const struct cfp_policy *pol, const struct cfp_meta *m);

#endif
