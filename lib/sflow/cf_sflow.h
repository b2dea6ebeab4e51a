/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_SFLOW_H
#define CF_SFLOW_H

/*
 * sFlow version 5 decoder (sflow.org "sFlow Version 5", XDR encoding).
 *
 * Contract:
 *  - cf_sflow_decode() never fails: each flow sample (compact or expanded) becomes
 *    one struct cf_record in ctx->sink (bytes = sampled frame length,
 *    packets = 1, flow_start = flow_end = receive time, exporter = the AGENT
 *    address, observation_domain = sub-agent id, version CF_RECORD_V_SFLOW), each
 *    counter sample updates the per-lcore interface counter table, and
 *    everything else is counted: a sample whose length runs past the datagram
 *    ends the datagram; a record whose length runs past its sample ends that
 *    sample only (sflow_record_truncated) and the next sample is still read.
 *  - Sequence numbers are tracked per (agent, sub-agent) with count 1: a gap
 *    counts lost datagrams (seq_lost).
 *  - Unknown sample and record types are skipped by their length and counted
 *    per (kind, enterprise, format) in a bounded per-lcore table.
 *  - cf_sflow_parse_header() is pure: it decodes what a sampled header holds
 *    (lib/frame's cf_frame_parse(): Ethernet, up to two VLAN tags, MPLS, IPv4,
 *    IPv6, TCP, UDP, ICMP). The header is truncated by design, so it fills
 *    only the fields whose bytes are present and never reads past hlen.
 *  - struct cf_sflow_lcore is owned by one RX lcore (one writer, no locks). Other
 *    threads may read the counter table through cf_sflow_ifc_at(): every 64-bit
 *    field is read whole, but one entry may mix two consecutive samples while
 *    the RX lcore is running; after the RX lcore stops, reads are exact. An
 *    entry's gen is odd while it is being given to another interface and moves
 *    each time it is: a reader that saw gen g before and after its copy read
 *    one interface.
 *  - The counter table is bounded (max_ifc) and always admits: when full, the
 *    least recently updated interface gives its entry up (a segmented LRU:
 *    interfaces updated more than once are protected from a run of one-off
 *    (agent, ifIndex) pairs), counted as sflow_ifc_evicted.
 *  - A ctx without ctx->sflow (NULL) still decodes flow samples; counter
 *    samples and unknown types are then only counted in the drop table.
 */

#include <stddef.h>
#include <stdint.h>

#include "cf_decode.h"

/* Sample and record formats (enterprise 0) this decoder understands. */
#define CF_SFLOW_SAMPLE_FLOW 1
#define CF_SFLOW_SAMPLE_COUNTERS 2
#define CF_SFLOW_SAMPLE_FLOW_EXP 3
#define CF_SFLOW_SAMPLE_COUNTERS_EXP 4

#define CF_SFLOW_FLOW_HEADER 1
#define CF_SFLOW_FLOW_ETHERNET 2
#define CF_SFLOW_FLOW_IPV4 3
#define CF_SFLOW_FLOW_IPV6 4
#define CF_SFLOW_FLOW_EXT_SWITCH 1001
#define CF_SFLOW_FLOW_EXT_ROUTER 1002
#define CF_SFLOW_FLOW_EXT_GATEWAY 1003

#define CF_SFLOW_CTR_GENERIC 1
#define CF_SFLOW_CTR_ETHERNET 2
#define CF_SFLOW_CTR_LAG 7

/* Header protocols of the raw packet header record. */
#define CF_SFLOW_HDR_ETHERNET 1
#define CF_SFLOW_HDR_IPV4 11
#define CF_SFLOW_HDR_IPV6 12

/* Kinds in the unknown-type table. */
enum cf_sflow_kind {
	CF_SFLOW_KIND_SAMPLE = 0,
	CF_SFLOW_KIND_FLOW_RECORD = 1,
	CF_SFLOW_KIND_COUNTER_RECORD = 2,
};

#define CF_SFLOW_UNKNOWN_SLOTS 32

struct cf_sflow_unknown {
	uint32_t enterprise;
	uint16_t format;
	uint8_t kind;              /* enum cf_sflow_kind */
	uint8_t used;
	uint64_t count;
};

/* Which counter blocks an entry holds (cf_sflow_ifc.present). */
#define CF_SFLOW_IFC_GENERIC (1u << 0)
#define CF_SFLOW_IFC_ETHERNET (1u << 1)
#define CF_SFLOW_IFC_LAG (1u << 2)

/* Latest counters of one (agent, ifindex). Field names follow the sFlow spec. */
struct cf_sflow_ifc {
	uint8_t agent[16];
	uint8_t agent_v6;
	uint8_t used;
	uint16_t pad;
	uint32_t gen;              /* identity: odd while reassigned, +2 each time */
	uint32_t present;          /* SFL_IFC_* */
	uint32_t sub_agent;
	uint32_t ifindex;
	uint32_t sample_seq;       /* counter sample sequence number */
	uint64_t updated_ms;       /* receive time of the latest sample */
	uint64_t samples;          /* counter samples seen for this interface */
	/* generic interface counters (format 1) */
	uint32_t if_type;
	uint32_t if_direction;
	uint32_t if_status;
	uint32_t if_promisc;
	uint64_t if_speed;
	uint64_t in_octets;
	uint64_t out_octets;
	uint32_t in_ucast, in_mcast, in_bcast, in_discards, in_errors, in_unknown_protos;
	uint32_t out_ucast, out_mcast, out_bcast, out_discards, out_errors;
	/* Ethernet counters (format 2): dot3Stats* in spec order */
	uint32_t eth[13];
	/* LAG port counters (format 7) */
	uint8_t lag_actor_id[6];
	uint8_t lag_partner_id[6];
	uint32_t lag_agg_id;
	uint8_t lag_state[4];
	uint32_t lag_pdus[8];      /* LACPDUs rx, marker rx, marker resp rx, unknown rx,
				    * illegal rx, LACPDUs tx, marker tx, marker resp tx */
};

/* Per-lcore sFlow state: unknown-type table and interface counter table. */
struct cf_sflow_lcore;

/*
 * Allocates the state of one lcore with room for max_ifc interfaces
 * (0 = default 4096). name must be unique in the process. NULL on failure.
 */
struct cf_sflow_lcore *cf_sflow_lcore_create(const char *name, int socket_id, uint32_t max_ifc);
void cf_sflow_lcore_free(struct cf_sflow_lcore *s);

void cf_sflow_decode(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg);

/*
 * Decodes a sampled header of protocol proto (SFL_HDR_*) into r: MACs, VLAN,
 * addresses, protocol, ToS, ports, TCP flags, ICMP type/code, as far as hlen
 * reaches. Returns 1 when the protocol is known (even if hlen held nothing
 * useful), 0 when it is not.
 */
int cf_sflow_parse_header(uint32_t proto, const uint8_t *h, uint32_t hlen, struct cf_record *r);

/* Counter table: slots [0, cf_sflow_ifc_slots()), unused slots have .used == 0. */
uint32_t cf_sflow_ifc_slots(const struct cf_sflow_lcore *s);
const struct cf_sflow_ifc *cf_sflow_ifc_at(const struct cf_sflow_lcore *s, uint32_t i);
/*
 * Entry of (agent, family, ifindex), or NULL; v6 != 0 for an IPv6 agent (an
 * IPv4 agent's address is in agent[0..3]). Owner lcore only (uses the hash).
 */
const struct cf_sflow_ifc *cf_sflow_ifc_lookup(const struct cf_sflow_lcore *s,
					       const uint8_t agent[16], int v6, uint32_t ifindex);
/* Interfaces in the table, and counter samples that found no room (the hash refused the key). */
uint32_t cf_sflow_ifc_count(const struct cf_sflow_lcore *s);
uint64_t cf_sflow_ifc_full(const struct cf_sflow_lcore *s);

/*
 * One entry as a JSON object on one line (no newline):
 * {"type":"sflow_counters","agent":"...","ifindex":N,...}. Returns its length,
 * or 0 when buf is too small (1024 bytes always suffice).
 */
size_t cf_sflow_ifc_json(const struct cf_sflow_ifc *c, char *buf, size_t len);

/* Unknown-type table: CF_SFLOW_UNKNOWN_SLOTS entries, and hits that found no slot. */
const struct cf_sflow_unknown *cf_sflow_unknown_at(const struct cf_sflow_lcore *s, uint32_t i);
uint64_t cf_sflow_unknown_overflow(const struct cf_sflow_lcore *s);

#endif
