/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_RECORD_H
#define CF_RECORD_H

/*
 * The one flow record every decoder writes and every output reads, the block
 * that carries records from an RX lcore to the control lcore, and the sink a
 * decoder asks for record slots.
 *
 * Contract:
 *  - struct cf_record is fixed-size (256 bytes, four cache lines) and has no
 *    pointers: it can be copied and handed between threads. Three lines carry
 *    what nearly every record has; the fourth (BGP next hop, inner header) is
 *    only written by templates that have those elements.
 *  - A field is meaningful only when its CF_RECORD_F_* bit is set in .present
 *    (CF_RECORD_F2_* in .present2);
 *    decoders never need to clear unset fields (cf_record_sink_next() zeroes the slot).
 *    Unset fields and padding are zero in every record handed on, so records
 *    compare and spool byte for byte. cf_record_sink_next_raw() and
 *    cf_record_sink_take_raw() skip the zeroing for a decoder that writes all 256
 *    bytes itself (NetFlow v5: the slot is then written once, not twice).
 *  - Addresses are 16 bytes in network order; an IPv4 address sits in the first
 *    4 bytes with the *_v6 presence bit clear.
 *  - Times are milliseconds since the Unix epoch; time_source says where
 *    flow_start/flow_end came from (enum cf_record_time_source).
 *  - Names (interface, VRF, application) are not in the record: names[] holds
 *    references into the producing lcore's name table (lib/tpl, cf_tpl.h
 *    cf_tpl_names_*), resolved by the encoder on the control lcore.
 *  - A sink is owned by one thread. cf_record_sink_next() never blocks: it returns
 *    NULL when no slot can be had, and the caller counts the record as dropped.
 */

#include <stdint.h>
#include <string.h>

enum cf_record_field {
	CF_RECORD_F_SRC_ADDR = 1u << 0,
	CF_RECORD_F_DST_ADDR = 1u << 1,
	CF_RECORD_F_SRC_V6 = 1u << 2, /* src/dst addresses are IPv6 */
	CF_RECORD_F_PORTS = 1u << 3,
	CF_RECORD_F_PROTOCOL = 1u << 4,
	CF_RECORD_F_TOS = 1u << 5,
	CF_RECORD_F_TCP_FLAGS = 1u << 6,
	CF_RECORD_F_BYTES = 1u << 7,
	CF_RECORD_F_PACKETS = 1u << 8,
	CF_RECORD_F_FLOW_START = 1u << 9,
	CF_RECORD_F_FLOW_END = 1u << 10,
	CF_RECORD_F_INPUT_IF = 1u << 11,
	CF_RECORD_F_OUTPUT_IF = 1u << 12,
	CF_RECORD_F_SRC_AS = 1u << 13,
	CF_RECORD_F_DST_AS = 1u << 14,
	CF_RECORD_F_SRC_MASK = 1u << 15,
	CF_RECORD_F_DST_MASK = 1u << 16,
	CF_RECORD_F_NEXT_HOP = 1u << 17,
	CF_RECORD_F_NEXT_HOP_V6 = 1u << 18,
	CF_RECORD_F_VLAN = 1u << 19,
	CF_RECORD_F_SRC_MAC = 1u << 20,
	CF_RECORD_F_DST_MAC = 1u << 21,
	CF_RECORD_F_SRC_SGT = 1u << 22,
	CF_RECORD_F_DST_SGT = 1u << 23,
	CF_RECORD_F_SAMPLING = 1u << 24,
	CF_RECORD_F_DIRECTION = 1u << 25,
	CF_RECORD_F_ICMP = 1u << 26,
	CF_RECORD_F_EXPORTER_V6 = 1u << 27,
	CF_RECORD_F_POST_VLAN = 1u << 28,
	/* An aggregate (lib/agg): .flows records were folded into it. The top bit, so
	 * that new fields can take the next free ones. */
	CF_RECORD_F_FLOWS = 1u << 31,
};

/* Presence bits of the rarer fields (cf_record.present2). */
enum cf_record_field2 {
	CF_RECORD_F2_BGP_NEXT_HOP = 1u << 0,
	CF_RECORD_F2_BGP_NEXT_HOP_V6 = 1u << 1,
	CF_RECORD_F2_INNER_SRC_ADDR = 1u << 2, /* a second (inner) header: RFC 7011 sec. 8 */
	CF_RECORD_F2_INNER_DST_ADDR = 1u << 3,
	CF_RECORD_F2_INNER_V6 = 1u << 4,
	CF_RECORD_F2_INNER_PORTS = 1u << 5,
	CF_RECORD_F2_INNER_PROTOCOL = 1u << 6,
	CF_RECORD_F2_VRF_ID = 1u << 7,
	/* names[CF_RECORD_NAME_*] holds a reference */
	CF_RECORD_F2_NAME_IN_IF = 1u << 8,
	CF_RECORD_F2_NAME_OUT_IF = 1u << 9,
	CF_RECORD_F2_NAME_VRF = 1u << 10,
	CF_RECORD_F2_NAME_APP = 1u << 11,
};

/* Index of cf_record.names[]; CF_RECORD_F2_NAME_IN_IF << i is its presence bit. */
enum cf_record_name {
	CF_RECORD_NAME_IN_IF = 0,
	CF_RECORD_NAME_OUT_IF,
	CF_RECORD_NAME_VRF,
	CF_RECORD_NAME_APP,
	CF_RECORD_NAME_MAX
};

/* Where flow_start_ms/flow_end_ms came from (cf_record.time_source). */
enum cf_record_time_source {
	CF_RECORD_TS_NONE = 0,        /* no time (not written by any decoder) */
	CF_RECORD_TS_FLOW,            /* the flow's own start/end (v5, v9/IPFIX flow times) */
	CF_RECORD_TS_OBSERVATION,     /* IPFIX observationTime* (event records: NSEL, NAT) */
	CF_RECORD_TS_EXPORT,          /* the export time of the message header */
	CF_RECORD_TS_RECEIVED,        /* the time the datagram was received (sFlow) */
};

/* Export protocol the record came from (cf_record.version). */
enum cf_record_version {
	CF_RECORD_V_NF5 = 5,
	CF_RECORD_V_NF9 = 9,
	CF_RECORD_V_IPFIX = 10,
	CF_RECORD_V_SFLOW = 0x5f, /* sFlow v5; distinct from the NetFlow numbers */
};

struct cf_record {
	/* cache line 0: what the Clarion backend requires */
	uint64_t bytes;
	uint64_t packets;
	uint64_t flow_start_ms;
	uint64_t flow_end_ms;
	uint8_t src_addr[16];
	uint8_t dst_addr[16];

	/* cache line 1 */
	uint32_t present;          /* CFR_F_* bits */
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t protocol;
	uint8_t tos;
	uint8_t tcp_flags;
	uint8_t version;           /* enum cf_record_version */
	uint8_t src_mask;
	uint8_t dst_mask;
	uint8_t direction;         /* 0 ingress, 1 egress (IPFIX flowDirection) */
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint8_t time_source;       /* enum cf_record_time_source */
	uint16_t vlan_id;
	uint32_t input_if;
	uint32_t output_if;
	uint32_t src_as;
	uint32_t dst_as;
	uint32_t src_sgt;
	uint32_t dst_sgt;
	uint32_t sampling_rate;
	uint32_t observation_domain; /* v9 source id, IPFIX domain, sFlow sub-agent, v5 engine type<<8|id */
	uint8_t next_hop[16];

	/* cache line 2 */
	uint8_t exporter[16];      /* switch_id: exporter (or sFlow agent) address */
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	uint16_t post_vlan_id;
	uint16_t inner_src_port;
	uint32_t present2;         /* CF_RECORD_F2_* bits */
	uint16_t inner_dst_port;
	uint8_t inner_protocol;
	uint8_t pad1;
	uint32_t names[CF_RECORD_NAME_MAX]; /* name table references (cf_tpl_names_*) */
	uint32_t vrf_id;           /* ingressVRFID, else egressVRFID */

	/* cache line 3: only templates with these elements (and lib/agg: flows) write it */
	uint8_t bgp_next_hop[16];
	uint8_t inner_src_addr[16];
	uint8_t inner_dst_addr[16];
	uint64_t flows;            /* CF_RECORD_F_FLOWS: records folded into this aggregate */
	uint8_t reserved[8];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct cf_record) == 256, "record must stay four cache lines");

/* Records per block: 256 * 256 B = 64 KiB, a handful of datagrams' worth. */
#define CF_RECORD_BLOCK_RECORDS 256

struct cf_record_block {
	uint32_t count;            /* records used */
	uint16_t lcore;            /* producing lcore, for accounting */
	uint16_t pad;
	uint64_t first_tsc;        /* TSC when the first record was written */
	uint8_t pad2[48];
	struct cf_record rec[CF_RECORD_BLOCK_RECORDS];
} __attribute__((aligned(64)));

/*
 * Sink: where a decoder gets record slots. refill() is called when the current
 * range is exhausted; it must set cur/end to a fresh range and return 0, or
 * return -1 when no room can be had (the decoder then drops the record).
 */
struct cf_record_sink {
	struct cf_record *cur;
	struct cf_record *end;
	int (*refill)(struct cf_record_sink *s);
	void *opaque;
};

/* A slot with undefined contents, or NULL: the caller writes every byte. */
static inline struct cf_record *
cf_record_sink_next_raw(struct cf_record_sink *s)
{
	if (__builtin_expect(s->cur == s->end, 0)) {
		if (s->refill == NULL || s->refill(s) != 0)
			return NULL;
	}
	return s->cur++;
}

/*
 * Up to want (>= 1) contiguous slots with undefined contents: *got is how many
 * (0, and NULL returned, when no slot can be had). A decoder that knows its
 * record count writes a run without touching the sink per record.
 */
static inline struct cf_record *
cf_record_sink_take_raw(struct cf_record_sink *s, uint32_t want, uint32_t *got)
{
	struct cf_record *r;
	uint32_t room;

	if (__builtin_expect(s->cur == s->end, 0)) {
		if (s->refill == NULL || s->refill(s) != 0) {
			*got = 0;
			return NULL;
		}
	}
	r = s->cur;
	room = (uint32_t)(s->end - r);
	*got = want < room ? want : room;
	s->cur = r + *got;
	return r;
}

/* A zeroed slot, or NULL. */
static inline struct cf_record *
cf_record_sink_next(struct cf_record_sink *s)
{
	struct cf_record *r = cf_record_sink_next_raw(s);

	if (r != NULL)
		memset(r, 0, sizeof(*r));
	return r;
}

#endif
