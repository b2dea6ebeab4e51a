/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_FRAME_H
#define CF_FRAME_H

/*
 * The first bytes of a sampled frame, decoded into a flow record: what an
 * sFlow raw packet header record (sFlow v5 sec. 5.1) and an IPFIX
 * dataLinkFrameSection / ipHeaderPacketSection (RFC 7133, IANA 315/313)
 * carry.
 *
 * Contract:
 *  - cf_frame_parse() is pure and never reads past hlen. Agents cut the frame
 *    after a configured number of bytes (128 is common), so every layer is
 *    decoded only as far as its bytes are there: a short header fills what it
 *    has and is not an error.
 *  - Layers: Ethernet (MACs), up to two VLAN tags (the outer one is vlan_id),
 *    an MPLS label stack of up to 8 labels (the payload's first nibble tells
 *    IPv4 from IPv6; a pseudowire control word followed by Ethernet is
 *    decoded as that Ethernet frame), IPv4 (ToS, protocol, addresses; only
 *    the first fragment has ports), IPv6 with up to 8 extension headers, then
 *    TCP/UDP/SCTP ports, TCP flags, ICMP/ICMPv6 type and code.
 *  - Only the fields found are written and marked in r->present; the rest of
 *    r is left as it was.
 */

#include <stdint.h>

#include "cf_record.h"

/* Where the bytes start: the numbers are sFlow's header_protocol values. */
#define CF_FRAME_ETHERNET 1
#define CF_FRAME_IPV4 11
#define CF_FRAME_IPV6 12
#define CF_FRAME_IP 0x100 /* IPv4 or IPv6, told by the version nibble (IPFIX 313) */

/* 1 when proto is one of the above (even if hlen held nothing useful), 0 when not. */
int cf_frame_parse(uint32_t proto, const uint8_t *h, uint32_t hlen, struct cf_record *r);

#endif
