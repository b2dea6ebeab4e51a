/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_STATS_H
#define CF_STATS_H

/*
 * Counters of one RX lcore: the single table of every counter and the single
 * table of every reason a packet, datagram or record can be dropped.
 *
 * Contract:
 *  - Each RX lcore owns one struct cf_stats_lcore and is its only writer; plain
 *    64-bit stores, no atomics. Readers (control lcore, HTTP thread) may read
 *    at any time and sum across lcores; a read can be one burst stale, never torn
 *    on x86-64/aarch64 (aligned 64-bit loads).
 *  - CF_STATS_COUNTER_TABLE is the only place a counter is declared: struct field,
 *    stderr name and line, telemetry key, Prometheus family, type and help side
 *    by side. struct cf_stats_lcore is generated from it; the stderr stats, /metrics
 *    and /clarion/stats loop over it through cf_stats_counter_info(). Adding a row
 *    (and its increment) is all a new counter needs.
 *  - CF_STATS_DROP_TABLE is the only place a drop reason is declared: enum value,
 *    metric label and help text side by side. cf_stats_drop_name()/cf_stats_drop_help()
 *    read it; nothing else spells a reason's name.
 *  - struct cf_stats_lcore is nothing but uint64_t words: the table's fields, then
 *    dgrams[], then drops[] (checked below at compile time). cf_stats_sum() relies on it.
 *  - Units: "pkt" reasons count frames, "dgram" reasons count flow datagrams,
 *    "rec" reasons count flow records, "tpl" reasons count templates, "set"
 *    reasons count v9 flowsets / IPFIX sets, "sample" reasons count sFlow samples.
 */

#include <stddef.h>
#include <stdint.h>

/* X(enum suffix, metric label, unit, help) */
#define CF_STATS_DROP_TABLE(X) \
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
	X(EXPORTER_NOT_ALLOWED, "exporter_not_allowed", "pkt", "source address outside every --exporter-allow prefix") \
	X(MBUF_CHAIN, "mbuf_chain", "pkt", "multi-segment frame larger than the linearisation buffer") \
	X(UNKNOWN_VERSION, "unknown_version", "dgram", "datagram version is not NetFlow v5/v9, IPFIX or sFlow v5") \
	X(UNSUPPORTED_VERSION, "unsupported_version", "dgram", "version recognised but its decoder is not built in") \
	X(V5_SHORT, "v5_short", "dgram", "NetFlow v5 datagram shorter than its 24-byte header") \
	X(V5_BAD_COUNT, "v5_bad_count", "dgram", "NetFlow v5 count is 0 or above 30") \
	X(V5_TRUNCATED, "v5_truncated", "dgram", "NetFlow v5 datagram shorter than 24 + 48 * count") \
	X(EXPORTER_TABLE_FULL, "exporter_table_full", "dgram", "exporter table refused a new exporter's key; datagram dropped") \
	X(EXPORTER_RATE_LIMITED, "exporter_rate_limited", "dgram", "datagram over its exporter's --exporter-max-rate") \
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
	X(FRAG_EVICTED, "frag_evicted", "pkt", "fragment freed: its incomplete datagram was the oldest when reassembly reached --frag-max-mbufs") \
	X(FRAG_NO_MBUF, "frag_no_mbuf", "pkt", "fragment not kept: no reassembly mbuf free even after evicting the oldest datagram") \
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
	/* NetFlow v9 / IPFIX and their template engine (lib/nf9, lib/ipfix, lib/tpl) */ \
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
	X(TPL_EXPORTERS_FULL, "tpl_exporters_full", "tpl", "no room for the template: the lcore holds its most templates (--template-max-exporters x --template-max-per-exporter, at most 1 Mi) and no other exporter can give way") \
	X(TPL_PER_EXPORTER_FULL, "tpl_per_exporter_full", "tpl", "exporter holds --template-max-per-exporter templates; template refused") \
	X(TPL_WITHDRAW_UNKNOWN, "tpl_withdraw_unknown", "tpl", "IPFIX withdrawal of a template not held") \
	X(NO_TEMPLATE, "no_template", "set", "data set whose template is unknown or expired (also buffered sets that aged out)") \
	X(TPL_WAIT_WITHDRAWN, "tpl_wait_withdrawn", "set", "data set waiting for its template discarded: the template id was withdrawn") \
	X(TPL_WAIT_REDEFINED, "tpl_wait_redefined", "set", "data set waiting for its template discarded: the id came back with another layout") \
	X(REC_TRUNCATED, "rec_truncated", "rec", "variable-length data record runs past its set") \
	X(REC_AMPLIFIED, "rec_amplified", "rec", "records past one per 8 bytes of their set (templates of tiny records); not decoded") \
	X(OPT_NAMES_FULL, "opt_names_full", "rec", "interface/VRF/application name not kept: the lcore's or the exporter's name table is full")

enum cf_stats_drop {
#define CF_STATS_X_ENUM(e, n, u, h) CF_STATS_DROP_##e,
	CF_STATS_DROP_TABLE(CF_STATS_X_ENUM)
#undef CF_STATS_X_ENUM
		CF_STATS_DROP_MAX
};

/* Export protocol of a datagram; index into cf_stats_lcore.dgrams[]. */
enum cf_stats_proto {
	CF_STATS_PROTO_NF5 = 0,
	CF_STATS_PROTO_NF9,
	CF_STATS_PROTO_IPFIX,
	CF_STATS_PROTO_SFLOW,
	CF_STATS_PROTO_MAX
};

/*
 * Where cf_control_print_stats() prints a counter on stderr. A group is a run
 * of counters on one "total:" line, in table order; the printer puts the
 * groups in line order and the values that are not plain per-lcore counters
 * (datagrams by protocol, output=, output_failed=, mbufs_in_use) between them.
 * cflib.parse_final and the e2e tests read these lines.
 */
enum cf_stats_group {
	CF_STATS_GROUP_NONE = 0, /* not on stderr: /metrics and telemetry only */
	CF_STATS_GROUP_RX, /* line 1, before the per-protocol datagram counts */
	CF_STATS_GROUP_REC, /* line 2, before output= output_failed= */
	CF_STATS_GROUP_SEQ, /* line 2, after them */
	CF_STATS_GROUP_TPL, /* line 3: v9/IPFIX templates */
	CF_STATS_GROUP_NP, /* line 4: network presence and reassembly, before mbufs_in_use */
	CF_STATS_GROUP_MAX
};

/* Prometheus type of a counter's family. */
enum cf_stats_kind {
	CF_STATS_KIND_COUNTER = 0, /* only grows; the family name ends in _total */
	CF_STATS_KIND_GAUGE,       /* goes up and down */
};

/*
 * X(field, stderr group, stderr name, telemetry key, metric family, kind, help)
 *
 * field: member of struct cf_stats_lcore. Name: the "name=" key on the stderr
 * "total:" line of its group. Telemetry key: key in /clarion/stats, NULL for
 * none. Metric family: /metrics family with one sample per RX lcore (label
 * "lcore"), NULL for none. Help: the family's HELP text, and the field's doc.
 * A NULL key or family: that view shows the counter only derived (seq_lost -
 * seq_late is sequence_lost) or not at all; a new row should fill both.
 * Row order is the struct's and the /metrics families' order, and within a
 * group the stderr order.
 */
#define CF_STATS_COUNTER_TABLE(X) \
	X(rx_pkts, RX, "rx_packets", "rx_packets", "clarion_flowd_rx_packets_total", COUNTER, "frames taken from the NIC by the RX lcore") \
	X(rx_bytes, NONE, "rx_bytes", "rx_bytes", "clarion_flowd_rx_bytes_total", COUNTER, "bytes of the frames taken by the RX lcore") \
	X(rx_bursts, RX, "rx_bursts", "rx_bursts", "clarion_flowd_rx_bursts_total", COUNTER, "RX bursts that returned frames; rx_packets / rx_bursts near --burst means the lcore is at capacity") \
	X(flow_dgrams, RX, "flow_datagrams", "flow_datagrams", NULL, COUNTER, "datagrams handed to a decoder (by protocol: dgrams[])") \
	X(records, REC, "records", "records", "clarion_flowd_records_decoded_total", COUNTER, "flow records decoded into record blocks") \
	X(records_handed, REC, "handed", "records_handed", "clarion_flowd_records_handed_total", COUNTER, "flow records handed to the control lcore through the ring") \
	X(blocks_handed, NONE, "blocks_handed", "blocks_handed", NULL, COUNTER, "record blocks handed to the control lcore through the ring") \
	X(seq_lost, SEQ, "seq_lost", NULL, NULL, COUNTER, "records (v9: datagrams) missing at a sequence gap") \
	X(seq_late, SEQ, "seq_late", NULL, NULL, COUNTER, "of those, arrived late after all: lost = seq_lost - seq_late") \
	X(seq_reset, SEQ, "seq_reset", "sequence_resets", "clarion_flowd_sequence_resets_total", COUNTER, "exporter restarts or large reorders seen") \
	X(exporters_evicted, SEQ, "exporters_evicted", "exporters_evicted", "clarion_flowd_exporters_evicted_total", COUNTER, "exporter table full: the least recently used exporter gave its slot (and sequence state) to a new one") \
	X(v5_trailing, SEQ, "v5_trailing", "v5_trailing", NULL, COUNTER, "v5 datagrams with bytes after the last record") \
	/* network presence and reassembly (lib/netpres, app/cf_rx.c; docs/network-presence.md) */ \
	X(np_arp_replies, NP, "np_arp_replies", "np_arp_replies", "clarion_flowd_arp_replies_total", COUNTER, "ARP replies sent for our addresses") \
	X(np_echo_replies, NP, "np_echo_replies", "np_echo_replies", "clarion_flowd_echo_replies_total", COUNTER, "ICMP and ICMPv6 echo replies sent") \
	X(np_nd_adverts, NP, "np_nd_adverts", "np_nd_adverts", "clarion_flowd_nd_adverts_total", COUNTER, "solicited IPv6 Neighbor Advertisements sent") \
	X(np_announces, NP, "np_announces", "np_announces", "clarion_flowd_announces_total", COUNTER, "gratuitous ARPs and unsolicited NAs sent") \
	X(frag_in, NP, "frag_in", "frag_in", "clarion_flowd_fragments_total", COUNTER, "IP fragments taken into the reassembly table") \
	X(frag_done, NP, "frag_done", "frag_done", "clarion_flowd_reassembled_total", COUNTER, "datagrams reassembled from fragments") \
	X(sflow_ifc_evicted, NONE, "sflow_ifc_evicted", "sflow_ifc_evicted", "clarion_flowd_sflow_if_evicted_total", COUNTER, "sFlow counter table full: the least recently updated interface gave its entry to a new one") \
	/* NetFlow v9 / IPFIX templates (lib/tpl; docs/netflow9-ipfix.md) */ \
	X(tpl_added, TPL, "tpl_added", "tpl_added", "clarion_flowd_templates_added_total", COUNTER, "v9/IPFIX templates defined (new)") \
	X(tpl_replaced, TPL, "tpl_replaced", "tpl_replaced", "clarion_flowd_templates_replaced_total", COUNTER, "v9/IPFIX template redefinitions with other fields (recompiled)") \
	X(tpl_refreshed, TPL, "tpl_refreshed", "tpl_refreshed", "clarion_flowd_templates_refreshed_total", COUNTER, "v9/IPFIX templates sent again unchanged (compared, not recompiled)") \
	X(tpl_withdrawn, TPL, "tpl_withdrawn", "tpl_withdrawn", "clarion_flowd_templates_withdrawn_total", COUNTER, "IPFIX template withdrawals") \
	X(tpl_expired, TPL, "tpl_expired", "tpl_expired", "clarion_flowd_templates_expired_total", COUNTER, "templates not refreshed within --template-timeout") \
	X(tpl_exporters_evicted, TPL, "tpl_exporters_evicted", "tpl_exporters_evicted", "clarion_flowd_template_exporters_evicted_total", COUNTER, "template state of the least recently used v9/IPFIX exporter given up for a new exporter") \
	X(tpl_evicted, TPL, "tpl_evicted", "tpl_evicted", "clarion_flowd_templates_evicted_total", COUNTER, "templates dropped with their evicted exporter") \
	X(tpl_pending, TPL, "tpl_pending", "tpl_pending", "clarion_flowd_template_waits_total", COUNTER, "data sets kept until their template arrived") \
	X(tpl_pending_done, TPL, "tpl_pending_done", "tpl_pending_done", "clarion_flowd_template_waits_decoded_total", COUNTER, "kept data sets decoded when their template came") \
	X(unknown_elements, TPL, "unknown_elements", "unknown_elements", "clarion_flowd_unknown_elements_total", COUNTER, "unmapped elements seen in templates (per PEN/id in the exit summary)") \
	/* v9/IPFIX options data records decoded, by what they told (one record may count twice) */ \
	X(opt_sampling, NONE, "opt_sampling", "options_sampling", "clarion_flowd_options_sampling_total", COUNTER, "options records with sampling (sampler/selector rate or algorithm)") \
	X(opt_sysinit, NONE, "opt_sysinit", "options_sysinit", "clarion_flowd_options_sysinit_total", COUNTER, "options records with systemInitTimeMilliseconds") \
	X(opt_if_name, NONE, "opt_if_name", "options_if_name", "clarion_flowd_options_if_names_total", COUNTER, "options records naming an interface (interfaceName/Description)") \
	X(opt_vrf_name, NONE, "opt_vrf_name", "options_vrf_name", "clarion_flowd_options_vrf_names_total", COUNTER, "options records naming a VRF (VRFname)") \
	X(opt_app_name, NONE, "opt_app_name", "options_app_name", "clarion_flowd_options_app_names_total", COUNTER, "options records naming an application (applicationName)") \
	X(opt_other, NONE, "opt_other", "options_other", "clarion_flowd_options_other_total", COUNTER, "options records with none of the above (exporter statistics, ...)") \
	/* RX loop (app/cf_rx.c); the busy ratio is derived from these two */ \
	X(rx_sleeps, NONE, "rx_sleeps", "rx_sleeps", "clarion_flowd_rx_backoff_sleeps_total", COUNTER, "RX lcore sleeps after empty polls (--rx-backoff)") \
	X(rx_yields, NONE, "rx_yields", "rx_yields", "clarion_flowd_rx_backoff_yields_total", COUNTER, "RX lcore yields of its CPU to the control lcore at a half-full ring (--rx-backoff)") \
	X(busy_cycles, NONE, "busy_cycles", "busy_cycles", "clarion_flowd_lcore_busy_cycles_total", COUNTER, "TSC cycles spent in bursts that returned packets") \
	X(total_cycles, NONE, "total_cycles", "total_cycles", "clarion_flowd_lcore_cycles_total", COUNTER, "TSC cycles of the RX loop")

/* Index of a counter: CF_STATS_CTR_<field>, also its word in struct cf_stats_lcore. */
enum cf_stats_counter {
#define CF_STATS_X_ENUM(f, g, n, t, m, k, h) CF_STATS_CTR_##f,
	CF_STATS_COUNTER_TABLE(CF_STATS_X_ENUM)
#undef CF_STATS_X_ENUM
		CF_STATS_COUNTER_MAX
};

struct cf_stats_lcore {
#define CF_STATS_X_FIELD(f, g, n, t, m, k, h) uint64_t f;
	CF_STATS_COUNTER_TABLE(CF_STATS_X_FIELD)
#undef CF_STATS_X_FIELD
	uint64_t dgrams[CF_STATS_PROTO_MAX];
	uint64_t drops[CF_STATS_DROP_MAX];
} __attribute__((aligned(64)));

/* The layout cf_stats_sum() and cf_stats_counter_value() rely on: only uint64_t words, the
 * table's in table order, then dgrams[] and drops[]; a member added by hand fails here. */
#define CF_STATS_LCORE_WORDS (CF_STATS_COUNTER_MAX + CF_STATS_PROTO_MAX + CF_STATS_DROP_MAX)
#define CF_STATS_X_ASSERT(f, g, n, t, m, k, h) \
	_Static_assert(_Generic(((struct cf_stats_lcore *)0)->f, uint64_t: 1, default: 0) && \
		       offsetof(struct cf_stats_lcore, f) == CF_STATS_CTR_##f * sizeof(uint64_t), \
		       "struct cfs_lcore: " #f " is not the uint64_t word of its CFS_COUNTER_TABLE row");
CF_STATS_COUNTER_TABLE(CF_STATS_X_ASSERT)
#undef CF_STATS_X_ASSERT
_Static_assert(offsetof(struct cf_stats_lcore, dgrams) == CF_STATS_COUNTER_MAX * sizeof(uint64_t),
	       "struct cfs_lcore: a member outside CFS_COUNTER_TABLE");
_Static_assert(offsetof(struct cf_stats_lcore, drops) ==
		       (CF_STATS_COUNTER_MAX + CF_STATS_PROTO_MAX) * sizeof(uint64_t),
	       "struct cfs_lcore: dgrams[] is not followed by drops[]");
_Static_assert(sizeof(struct cf_stats_lcore) ==
		       (CF_STATS_LCORE_WORDS * sizeof(uint64_t) + 63) / 64 * 64,
	       "struct cfs_lcore: a member after drops[]");

/* One row of CF_STATS_COUNTER_TABLE, for readers. */
struct cf_stats_counter_info {
	const char *name;     /* stderr key */
	const char *tel_key;  /* /clarion/stats key, or NULL */
	const char *metric;   /* /metrics family (label lcore), or NULL */
	const char *help;
	enum cf_stats_group group;
	enum cf_stats_kind kind;
};

/* The row of counter c; NULL when c is out of range. */
const struct cf_stats_counter_info *cf_stats_counter_info(enum cf_stats_counter c);

/* Counter c of s (c < CF_STATS_COUNTER_MAX). A relaxed atomic load: safe while the
 * owning lcore writes, a plain load on x86-64/aarch64. */
static inline uint64_t
cf_stats_counter_value(const struct cf_stats_lcore *s, enum cf_stats_counter c)
{
	return __atomic_load_n((const uint64_t *)s + c, __ATOMIC_RELAXED);
}

const char *cf_stats_drop_name(enum cf_stats_drop d);
const char *cf_stats_drop_unit(enum cf_stats_drop d);
const char *cf_stats_drop_help(enum cf_stats_drop d);
const char *cf_stats_proto_name(enum cf_stats_proto p);

/* Sum n per-lcore blocks into out (out is zeroed first). */
void cf_stats_sum(struct cf_stats_lcore *out, const struct cf_stats_lcore *const *in,
		  unsigned int n);

#endif
