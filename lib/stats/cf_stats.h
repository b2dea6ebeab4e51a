/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_STATS_H
#define CF_STATS_H

/*
 * Counters of one RX lcore, and the single table of every reason a packet,
 * datagram or record can be dropped.
 *
 * Contract:
 *  - Each RX lcore owns one struct cfs_lcore and is its only writer; plain
 *    64-bit stores, no atomics. Readers (control lcore, HTTP thread) may read
 *    at any time and sum across lcores; a read can be one burst stale, never torn
 *    on x86-64/aarch64 (aligned 64-bit loads).
 *  - CFS_DROP_TABLE is the only place a drop reason is declared: enum value,
 *    metric label and help text side by side. cfs_drop_name()/cfs_drop_help()
 *    read it; nothing else spells a reason's name.
 *  - Units: "pkt" reasons count frames, "dgram" reasons count flow datagrams,
 *    "rec" reasons count flow records, "tpl" reasons count templates, "set"
 *    reasons count v9 flowsets / IPFIX sets, "sample" reasons count sFlow samples.
 */

#include <stdint.h>

/* X(enum suffix, metric label, unit, help) */
#define CFS_DROP_TABLE(X) \
	X(L2_TRUNCATED, "l2_truncated", "pkt", "frame shorter than its Ethernet/VLAN headers") \
	X(L2_NOT_IP, "l2_not_ip", "pkt", "EtherType is neither IPv4 nor IPv6 (ARP, LLDP, ...)") \
	X(VLAN_TOO_DEEP, "vlan_too_deep", "pkt", "more than two VLAN tags") \
	X(IP_TRUNCATED, "ip_truncated", "pkt", "IP header or total length beyond the frame") \
	X(IP_BAD_HEADER, "ip_bad_header", "pkt", "IPv4 IHL < 5 or version field wrong") \
	X(IP_FRAGMENT, "ip_fragment", "pkt", "IP fragment while reassembly is off (--frag-max-flows 0)") \
	X(IP6_EXT_BAD, "ip6_ext_bad", "pkt", "IPv6 extension header chain truncated or too long") \
	X(NOT_UDP, "not_udp", "pkt", "IP payload is not UDP") \
	X(UDP_TRUNCATED, "udp_truncated", "pkt", "UDP header or UDP length beyond the IP payload") \
	X(UDP_PORT, "udp_port", "pkt", "UDP destination port is not a flow port") \
	X(DST_ADDR, "dst_addr", "pkt", "destination address is not a --collector-ip") \
	X(MBUF_CHAIN, "mbuf_chain", "pkt", "multi-segment frame larger than the linearisation buffer") \
	X(UNKNOWN_VERSION, "unknown_version", "dgram", "datagram version is not NetFlow v5/v9, IPFIX or sFlow v5") \
	X(UNSUPPORTED_VERSION, "unsupported_version", "dgram", "version recognised but its decoder is not built in") \
	X(V5_SHORT, "v5_short", "dgram", "NetFlow v5 datagram shorter than its 24-byte header") \
	X(V5_BAD_COUNT, "v5_bad_count", "dgram", "NetFlow v5 count is 0 or above 30") \
	X(V5_TRUNCATED, "v5_truncated", "dgram", "NetFlow v5 datagram shorter than 24 + 48 * count") \
	X(EXPORTER_TABLE_FULL, "exporter_table_full", "dgram", "per-lcore exporter table full; sequence tracking skipped") \
	X(NO_BLOCK, "no_block", "rec", "no free record block in the mempool") \
	X(RING_FULL, "ring_full", "rec", "handoff ring to the control lcore full; block dropped") \
	/* network presence and reassembly (lib/netpres, app/cf_rx.c) */ \
	X(ARP_IGNORED, "arp_ignored", "pkt", "ARP that is not a request for one of our addresses on its port/VLAN") \
	X(ARP_BAD, "arp_bad", "pkt", "ARP not Ethernet/IPv4, or shorter than 28 bytes") \
	X(ARP_RATE, "arp_rate_limited", "pkt", "ARP request or Neighbor Solicitation over --arp-rate for its sender") \
	X(ICMP_IGNORED, "icmp_ignored", "pkt", "ICMP/ICMPv6 not an echo request or Neighbor Solicitation for one of our addresses") \
	X(ICMP_BAD, "icmp_bad", "pkt", "ICMP/ICMPv6 (or its IPv4 header) truncated or with a wrong checksum") \
	X(ICMP_RATE, "icmp_rate_limited", "pkt", "echo request over --icmp-rate for its source") \
	X(ND_BAD, "nd_bad", "pkt", "Neighbor Solicitation with hop limit != 255, code != 0, bad options or destination") \
	X(PRESENCE_TX_FAILED, "presence_tx_failed", "pkt", "reply or announcement not sent: no TX queue, TX full or no mbuf") \
	X(PRESENCE_CHAINED, "presence_chained", "pkt", "ARP/ICMP frame in a multi-segment mbuf; not answered") \
	X(FRAG_TIMEOUT, "frag_timeout", "pkt", "fragment freed: its datagram was not complete within --frag-timeout-ms (or at stop)") \
	X(FRAG_BAD, "frag_bad", "pkt", "fragment freed: overlap, duplicate, too many fragments, or IPv6 Fragment header not first") \
	X(FRAG_TABLE_FULL, "frag_table_full", "pkt", "fragment freed: --frag-max-flows datagrams already pending") \
	/* sFlow v5 (lib/sflow) */ \
	X(SFLOW_SHORT, "sflow_short", "dgram", "sFlow datagram shorter than its header") \
	X(SFLOW_BAD_AGENT, "sflow_bad_agent", "dgram", "sFlow agent address type is neither IPv4 (1) nor IPv6 (2)") \
	X(SFLOW_SAMPLES_MISSING, "sflow_samples_missing", "dgram", "sFlow datagram ends before num_samples samples") \
	X(SFLOW_SAMPLE_TRUNCATED, "sflow_sample_truncated", "sample", "sFlow sample length runs past the datagram; rest of the datagram skipped") \
	X(SFLOW_SAMPLE_SHORT, "sflow_sample_short", "sample", "sFlow sample shorter than its fixed fields") \
	X(SFLOW_RECORD_TRUNCATED, "sflow_record_truncated", "sample", "sFlow record length or count runs past its sample; that sample dropped") \
	X(SFLOW_RECORD_SHORT, "sflow_record_short", "rec", "known sFlow record shorter than its format; record skipped") \
	X(SFLOW_SAMPLE_EMPTY, "sflow_sample_empty", "sample", "sFlow flow sample without header, sampled IP or Ethernet record") \
	X(SFLOW_UNKNOWN_SAMPLE, "sflow_unknown_sample", "sample", "sFlow sample type not decoded; skipped by length") \
	X(SFLOW_UNKNOWN_RECORD, "sflow_unknown_record", "rec", "sFlow flow/counter record type not decoded; skipped by length") \
	X(SFLOW_COUNTERS_FULL, "sflow_counters_full", "sample", "per-lcore sFlow interface counter table full; sample not kept") \
	/* NetFlow v9 / IPFIX and their template engine (lib/netflow9, lib/ipfix, lib/template) */ \
	X(NF9_SHORT, "nf9_short", "dgram", "NetFlow v9 datagram shorter than its 20-byte header") \
	X(IPFIX_SHORT, "ipfix_short", "dgram", "IPFIX message shorter than its 16-byte header") \
	X(IPFIX_BAD_LENGTH, "ipfix_bad_length", "dgram", "IPFIX message length below 16 or beyond the datagram") \
	X(SET_BAD_LENGTH, "set_bad_length", "set", "v9/IPFIX set length below 4 or past the message; rest of the datagram skipped") \
	X(SET_RESERVED, "set_reserved", "set", "v9/IPFIX set id in the reserved range; set skipped") \
	X(TPL_TRUNCATED, "tpl_truncated", "tpl", "template record (or its field count) runs past its set") \
	X(TPL_ID_LOW, "tpl_id_low", "tpl", "template id below 256") \
	X(TPL_ZERO_LEN, "tpl_zero_len", "tpl", "template whose records would be 0 bytes long (all field lengths 0)") \
	X(TPL_BAD_SCOPE, "tpl_bad_scope", "tpl", "options template with no scope field or scope longer than its fields") \
	X(TPL_TOO_MANY_FIELDS, "tpl_too_many_fields", "tpl", "template with more than 128 elements") \
	X(TPL_FIELD_LEN, "tpl_field_len", "tpl", "element length not allowed for its type (element skipped, template kept)") \
	X(TPL_EXPORTERS_FULL, "tpl_exporters_full", "tpl", "lcore holds --template-max-exporters exporters; template refused") \
	X(TPL_PER_EXPORTER_FULL, "tpl_per_exporter_full", "tpl", "exporter holds --template-max-per-exporter templates; template refused") \
	X(TPL_WITHDRAW_UNKNOWN, "tpl_withdraw_unknown", "tpl", "IPFIX withdrawal of a template not held") \
	X(NO_TEMPLATE, "no_template", "set", "data set whose template is unknown or expired (also buffered sets that aged out)") \
	X(REC_TRUNCATED, "rec_truncated", "rec", "variable-length data record runs past its set")

enum cfs_drop {
#define CFS_X_ENUM(e, n, u, h) CFS_DROP_##e,
	CFS_DROP_TABLE(CFS_X_ENUM)
#undef CFS_X_ENUM
	CFS_DROP_MAX
};

/* Export protocol of a datagram; index into cfs_lcore.dgrams[]. */
enum cfs_proto {
	CFS_PROTO_NF5 = 0,
	CFS_PROTO_NF9,
	CFS_PROTO_IPFIX,
	CFS_PROTO_SFLOW,
	CFS_PROTO_MAX
};

struct cfs_lcore {
	uint64_t rx_pkts;         /* frames taken from the NIC */
	uint64_t rx_bytes;
	uint64_t flow_dgrams;     /* datagrams handed to a decoder */
	uint64_t dgrams[CFS_PROTO_MAX];
	uint64_t records;         /* records written into blocks */
	uint64_t records_handed;  /* records enqueued to the control lcore */
	uint64_t blocks_handed;
	uint64_t seq_lost;        /* records (v9: datagrams) missing at a sequence gap */
	uint64_t seq_late;        /* of those, arrived late after all: lost = seq_lost - seq_late */
	uint64_t seq_reset;       /* exporter restarts / large reorders seen */
	uint64_t v5_trailing;     /* v5 datagrams with bytes after the last record */
	uint64_t tpl_added;       /* v9/IPFIX templates defined (new) */
	uint64_t tpl_replaced;    /* redefinitions (and refreshes) of a held template */
	uint64_t tpl_withdrawn;   /* IPFIX withdrawals */
	uint64_t tpl_expired;     /* not refreshed within --template-timeout */
	uint64_t tpl_pending;     /* data sets buffered until their template came */
	uint64_t tpl_pending_done; /* of those, decoded when the template arrived */
	uint64_t unknown_elements; /* unmapped elements seen in templates (per PEN/id: tpl_unknown_print) */
	/* network presence and reassembly (lib/netpres, app/cf_rx.c) */
	uint64_t np_arp_replies;
	uint64_t np_echo_replies;  /* ICMP and ICMPv6 */
	uint64_t np_nd_adverts;    /* solicited Neighbor Advertisements */
	uint64_t np_announces;     /* gratuitous ARPs and unsolicited NAs sent */
	uint64_t frag_in;          /* fragments given to the reassembly table */
	uint64_t frag_done;        /* datagrams reassembled from them */
	uint64_t busy_cycles;     /* TSC cycles in bursts that returned packets */
	uint64_t total_cycles;
	uint64_t drops[CFS_DROP_MAX];
} __attribute__((aligned(64)));

const char *cfs_drop_name(enum cfs_drop d);
const char *cfs_drop_unit(enum cfs_drop d);
const char *cfs_drop_help(enum cfs_drop d);
const char *cfs_proto_name(enum cfs_proto p);

/* Sum n per-lcore blocks into out (out is zeroed first). */
void cfs_sum(struct cfs_lcore *out, const struct cfs_lcore *const *in, unsigned int n);

#endif
