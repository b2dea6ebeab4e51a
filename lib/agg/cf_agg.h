/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_AGG_H
#define CF_AGG_H

/*
 * Flow aggregation before upload (docs/aggregation.md): records whose chosen
 * keys are equal and whose flow_end falls in the same --aggregate-interval
 * window (aligned to Unix time) become one record with exact 64-bit sums of
 * bytes and packets, a flows count (CF_RECORD_F_FLOWS), the earliest start
 * and the latest end. Fields that are not keys are dropped from the aggregate
 * (zero, presence bit clear), except version and observation_domain, which
 * are kept when every folded record agrees and are 0 otherwise.
 *
 * An aggregate is handed to the emit callback --aggregate-interval seconds
 * after its first record arrived (cf_agg_poll), or earlier, oldest first,
 * when the table is full and a new key needs room (an "early flush", counted).
 * A sum that would pass 2^64 closes the aggregate and starts a new one (an
 * "overflow split", counted): no total ever wraps. No record is ever dropped.
 *
 * Ledger, exact at every moment the caller can observe (between calls):
 *   records_in = folded + aggregates_out + open
 * where folded records went into an existing aggregate and every other
 * record started one (open ones are still in the table).
 *
 * Contract:
 *  - Memory is allocated once by cf_agg_create() (DPDK memory: the entry ring
 *    and its index, cf_agg_entry_bytes() each) and never grows.
 *  - Not thread safe: one thread (the control lcore) owns an aggregator and
 *    calls add/poll/flush; the emit callback runs on that thread, inside
 *    those calls. cf_agg_stats() may be called from any thread (each counter
 *    exact, the set not an atomic snapshot).
 *  - cf_agg_keys_parse(): 0 and *keys set; -1 with a one-line reason in err.
 *    "off" = 0 (no aggregation), "on" = CF_AGG_KEYS_DEFAULT.
 *  - service_port is not one field but a rule over both ports (nfdump -B's: the
 *    lower port is the server's; equal ports: dst_port): the service port is the
 *    key and stays on its side, the client's ephemeral port is 0 in the
 *    aggregate. So a server's answers (src_port 53, dst_port ephemeral) fold as
 *    its requests do. It excludes src_port and dst_port as keys.
 *  - cf_agg_create(): the aggregator, or NULL with a reason in err (no keys,
 *    bad size, out of DPDK memory).
 */

#include <stddef.h>
#include <stdint.h>

#include "cf_record.h"

/* Every key an aggregate can be built on: enum value, JSON name (the record key it is), record
 * field, and the presence bits that go with the field. */
#define CF_AGG_KEY_TABLE(X) \
	X(SRC_IP, "src_ip", src_addr, CF_RECORD_F_SRC_ADDR | CF_RECORD_F_SRC_V6) \
	X(DST_IP, "dst_ip", dst_addr, CF_RECORD_F_DST_ADDR | CF_RECORD_F_SRC_V6) \
	X(SRC_PORT, "src_port", src_port, CF_RECORD_F_PORTS) \
	X(DST_PORT, "dst_port", dst_port, CF_RECORD_F_PORTS) \
	X(PROTOCOL, "protocol", protocol, CF_RECORD_F_PROTOCOL) \
	X(SRC_SGT, "src_sgt", src_sgt, CF_RECORD_F_SRC_SGT) \
	X(DST_SGT, "dst_sgt", dst_sgt, CF_RECORD_F_DST_SGT) \
	X(SWITCH_ID, "switch_id", exporter, CF_RECORD_F_EXPORTER_V6) \
	X(VLAN_ID, "vlan_id", vlan_id, CF_RECORD_F_VLAN) \
	X(SRC_MAC, "src_mac", src_mac, CF_RECORD_F_SRC_MAC) \
	X(DST_MAC, "dst_mac", dst_mac, CF_RECORD_F_DST_MAC) \
	X(TOS, "tos", tos, CF_RECORD_F_TOS) \
	X(TCP_FLAGS, "tcp_flags", tcp_flags, CF_RECORD_F_TCP_FLAGS) \
	X(INPUT_IF, "input_if", input_if, CF_RECORD_F_INPUT_IF) \
	X(OUTPUT_IF, "output_if", output_if, CF_RECORD_F_OUTPUT_IF) \
	X(SRC_AS, "src_as", src_as, CF_RECORD_F_SRC_AS) \
	X(DST_AS, "dst_as", dst_as, CF_RECORD_F_DST_AS) \
	X(SRC_MASK, "src_mask", src_mask, CF_RECORD_F_SRC_MASK) \
	X(DST_MASK, "dst_mask", dst_mask, CF_RECORD_F_DST_MASK) \
	X(NEXT_HOP, "next_hop", next_hop, CF_RECORD_F_NEXT_HOP | CF_RECORD_F_NEXT_HOP_V6) \
	X(SAMPLING_RATE, "sampling_rate", sampling_rate, CF_RECORD_F_SAMPLING) \
	X(DIRECTION, "direction", direction, CF_RECORD_F_DIRECTION) \
	X(ICMP_TYPE, "icmp_type", icmp_type, CF_RECORD_F_ICMP) \
	X(ICMP_CODE, "icmp_code", icmp_code, CF_RECORD_F_ICMP) \
	X(POST_VLAN_ID, "post_vlan_id", post_vlan_id, CF_RECORD_F_POST_VLAN) \
	X(SERVICE_PORT, "service_port", src_port, CF_RECORD_F_PORTS)

enum cf_agg_key {
#define CF_AGG_X(e, n, f, p) CF_AGG_KEY_##e,
	CF_AGG_KEY_TABLE(CF_AGG_X)
#undef CF_AGG_X
		CF_AGG_KEY_MAX
};

#define CF_AGG_BIT(k) (1ull << CF_AGG_KEY_##k)
/* What Clarion uses ("--aggregate on"). */
#define CF_AGG_KEYS_DEFAULT                                                                        \
	(CF_AGG_BIT(SRC_IP) | CF_AGG_BIT(DST_IP) | CF_AGG_BIT(DST_PORT) | CF_AGG_BIT(PROTOCOL) |   \
	 CF_AGG_BIT(SRC_SGT) | CF_AGG_BIT(DST_SGT) | CF_AGG_BIT(SWITCH_ID) | CF_AGG_BIT(VLAN_ID) | \
	 CF_AGG_BIT(SRC_MAC) | CF_AGG_BIT(DST_MAC))

struct cf_agg_config {
	uint64_t keys;             /* CF_AGG_BIT(...) set; 0 = off */
	uint32_t interval_s;       /* window and hold time, >= 1 */
	uint32_t max_entries;      /* open aggregates, >= 1 */
	int socket;                /* NUMA socket of the memory (SOCKET_ID_ANY ok) */
};

/* Receives n >= 1 aggregates, read in place from the table: valid only during the call (the
 * output copies them). Its return value is the output's business (cf_output_write counts its
 * own failures); the aggregator ignores it. */
typedef int (*cf_agg_emit_fn)(void *ctx, const struct cf_record *r, unsigned int n);

struct cf_agg_stats {
	uint64_t records_in;
	uint64_t folded;           /* records summed into an open aggregate */
	uint64_t aggregates_out;   /* handed to emit */
	uint64_t open;             /* aggregates in the table */
	uint64_t early_flushes;    /* aggregates emitted before their time: table full */
	uint64_t overflow_splits;  /* aggregates closed because a sum would pass 2^64 */
	uint64_t max_entries;
};

struct cf_agg;

int cf_agg_keys_parse(const char *spec, uint64_t *keys, char *err, size_t errlen);
/* "src_ip,dst_ip,..." in table order (or "off"); returns the length (snprintf rules). */
int cf_agg_keys_format(uint64_t keys, char *buf, size_t len);
const char *cf_agg_key_name(unsigned int k);
/* DPDK memory one entry takes (table, key store, hash buckets), for sizing messages. */
size_t cf_agg_entry_bytes(uint64_t keys);

struct cf_agg *cf_agg_create(const struct cf_agg_config *cfg, cf_agg_emit_fn emit, void *ctx,
			     char *err, size_t errlen);
void cf_agg_free(struct cf_agg *a);

/* Folds n records (copied; the caller may reuse them at once); may emit early flushes. */
void cf_agg_add(struct cf_agg *a, const struct cf_record *r, unsigned int n, uint64_t now_ms);
/* Emits the aggregates whose time has come (first record at least interval ago), at most
 * `budget` of them (0 = no limit); returns how many. now_ms: the clock add() was given. */
unsigned int cf_agg_poll(struct cf_agg *a, uint64_t now_ms, unsigned int budget);
/* Emits every open aggregate (at stop). */
void cf_agg_flush(struct cf_agg *a);
void cf_agg_stats(const struct cf_agg *a, struct cf_agg_stats *s);

#endif
