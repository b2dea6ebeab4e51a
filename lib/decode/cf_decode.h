/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_DECODE_H
#define CF_DECODE_H

/*
 * Per-lcore decode context shared by every decoder: counters, record sink,
 * exporter table with sequence accounting, sampling policy.
 *
 * Contract:
 *  - One struct cf_decode_ctx per RX lcore; not thread safe, never shared. Everything
 *    a decoder needs (counters, record sink, exporter table, template caches)
 *    is reached through it, nothing through globals.
 *  - Decoders (cf_nf5_decode(), ...) never fail: every datagram is either decoded
 *    (records written to ctx->sink) or counted under a CF_STATS_DROP_* reason. They
 *    read only dg->data[0 .. dg->len) and never write it.
 *  - The exporter table is the one exporter identity of the lcore: every
 *    decoder looks an exporter up once per datagram, and the layers above
 *    (the v9/IPFIX template state) index their own state by its slot.
 *  - It is bounded (cf_decode_config.max_exporters) and never refuses: when it
 *    is full, the least recently used exporter gives its slot to the new one
 *    (counted as exporters_evicted), in O(1). Recency is a segmented LRU
 *    (struct cf_decode_lru): a new exporter starts on probation and is
 *    protected once a datagram of it comes after one that carried records,
 *    so a flood of one-off (spoofed) sources churns the probation segment
 *    while exporters that send data stay. Layers above that keep state per
 *    slot (templates) are told through ctx->evict_hook before the slot
 *    changes hands.
 *  - --exporter-max-rate: a token bucket per exporter slot; a datagram over
 *    its exporter's rate is dropped before it is decoded (exporter_rate_limited,
 *    and the exporter's rate_limited counter).
 *  - Readers on other threads (the control plane) see the table through
 *    cf_decode_exporter_read(): a slot's generation changes whenever it is given to
 *    another exporter, so a recycled slot is never read as the old exporter.
 *    Counters are read whole but may be a datagram stale.
 *  - Needs the DPDK EAL to be initialised (the exporter table is an rte_hash).
 */

#include <stdint.h>

#include "cf_record.h"
#include "cf_stats.h"

struct rte_hash;
struct cf_sflow_lcore;
struct cf_tpl_cache;

struct cf_decode_dgram {
	const uint8_t *data;       /* UDP payload */
	uint32_t len;
	uint8_t src[16];           /* exporter address, network order */
	uint8_t src_v6;            /* 1 when src is IPv6 */
	uint16_t src_port;
	uint16_t dst_port;
	uint64_t now_ms;           /* receive time, Unix ms */
};

struct cf_decode_config {
	uint32_t max_exporters;    /* per lcore; 0 = default 4096 */
	uint32_t sampling_rate;    /* --sampling-rate: fills in when the exporter sends none */
	uint8_t sampling_override; /* 1: --sampling-rate beats what the exporter says */
	uint8_t scale_by_sampling; /* multiply bytes/packets by the rate */
	uint32_t max_rate;         /* --exporter-max-rate: datagrams/s per exporter; 0 = no limit */
};

/*
 * Segmented LRU over the indexes [0, n) of a table (the exporter table, the
 * template states, the sFlow counter table): index-linked, O(1) per call, no
 * allocation. New entries go on probation; cf_decode_lru_promote() moves one
 * to the protected segment, which holds at most protected_max entries (its
 * least recent one goes back on probation). The victim is the least recent
 * entry on probation, else the least recent protected one. Not thread safe:
 * the table's owner only.
 */
#define CF_DECODE_LRU_NONE UINT32_MAX
#define CF_DECODE_LRU_PROBATION 0
#define CF_DECODE_LRU_PROTECTED 1
#define CF_DECODE_LRU_OUT 2        /* not in the list */

struct cf_decode_lru_node {
	uint32_t prev, next;
	uint8_t seg;               /* CF_DECODE_LRU_* */
	uint8_t pad[3];
};

struct cf_decode_lru {
	struct cf_decode_lru_node *n;
	uint32_t head[2], tail[2]; /* per segment: most and least recent */
	uint32_t count[2];
	uint32_t protected_max;
};

/* nodes: n entries, all CF_DECODE_LRU_OUT afterwards. */
void cf_decode_lru_init(struct cf_decode_lru *l, struct cf_decode_lru_node *nodes, uint32_t n,
			uint32_t protected_max);
/* i (not in the list) becomes the most recent entry on probation. */
void cf_decode_lru_add(struct cf_decode_lru *l, uint32_t i);
/* i leaves the list (no-op when it is not in it). */
void cf_decode_lru_del(struct cf_decode_lru *l, uint32_t i);
/* i becomes the most recent entry of the protected segment. */
void cf_decode_lru_promote(struct cf_decode_lru *l, uint32_t i);
/* The entry to evict, or CF_DECODE_LRU_NONE when the list is empty. */
uint32_t cf_decode_lru_victim(const struct cf_decode_lru *l);
/* i (in the list) becomes the most recent entry of its segment. */
void cf_decode_lru_to_head(struct cf_decode_lru *l, uint32_t i);

static inline void
cf_decode_lru_touch(struct cf_decode_lru *l, uint32_t i)
{
	if (l->head[l->n[i].seg] != i)
		cf_decode_lru_to_head(l, i);
}

static inline int
cf_decode_lru_is_protected(const struct cf_decode_lru *l, uint32_t i)
{
	return l->n[i].seg == CF_DECODE_LRU_PROTECTED;
}

/* One (exporter address, version, domain): identity, sequence state, counters. */
struct cf_decode_exporter {
	uint8_t addr[16];
	uint32_t domain;
	uint8_t version;
	uint8_t v6;
	uint8_t seq_valid;
	uint8_t live;              /* in the table (an evicted slot keeps its last contents) */
	uint8_t pad[4];
	uint32_t gen;              /* identity: odd while (re)assigned, +2 each time; 0 = never used */
	uint32_t next_seq;         /* expected next sequence number */
	uint32_t last_uptime_ms;   /* exporter sysUptime, to see restarts */
	uint64_t dgrams;
	uint64_t records;
	uint64_t seq_gap;          /* records (v5/IPFIX) or datagrams (v9) missing at gap time */
	uint64_t seq_late;         /* of those, how many arrived late after all */
	uint64_t seq_resets;
	uint64_t first_seen_ms;
	uint64_t last_seen_ms;
	uint64_t rate_limited;     /* datagrams dropped over --exporter-max-rate */
	uint64_t tokens;           /* token bucket: thousandths of a datagram */
	uint64_t tokens_ms;        /* when it was last filled */
};

struct cf_decode_ctx {
	struct cf_stats_lcore *stats;
	struct cf_record_sink *sink;
	const struct cf_decode_config *cfg;
	struct rte_hash *exp_hash;
	struct cf_decode_exporter *exporters; /* array indexed by hash position */
	struct cf_decode_exporter *last_hit;  /* most exporters send bursts of datagrams */
	uint32_t n_exporters;           /* live slots */
	uint32_t max_exporters;
	struct cf_decode_lru lru;       /* live slots by recency */
	/* Called before live slot `slot` goes to another exporter (a layer above drops its state). */
	void (*evict_hook)(struct cf_decode_ctx *ctx, uint32_t slot);
	uint64_t changes;               /* slots (re)assigned so far, for readers (atomic) */
	struct cf_sflow_lcore *sflow; /* sFlow counter/unknown tables (lib/sflow), may be NULL */
	struct cf_tpl_cache *tpl; /* v9/IPFIX templates (lib/tpl), NULL if not set up */
};

/*
 * Set up ctx's exporter table (name unique per process). 0 or -errno. The
 * whole context, with sFlow tables and template cache, is cf_dispatch_ctx_init()'s
 * (cf_dispatch.h).
 */
int cf_decode_ctx_init(struct cf_decode_ctx *ctx, const char *name, int socket_id,
		       const struct cf_decode_config *cfg, struct cf_stats_lcore *stats,
		       struct cf_record_sink *sink);
void cf_decode_ctx_fini(struct cf_decode_ctx *ctx);

/*
 * The exporter of a datagram: (dg->src, version, domain) found or added (the
 * least recently used one evicted when the table is full), its datagram
 * counted, its last-seen time set and its recency refreshed. NULL when the
 * datagram must be dropped: over --exporter-max-rate (counted as
 * exporter_rate_limited) or, should the hash refuse the key, exporter_table_full.
 * Decoders call it once per datagram and stop on NULL.
 */
struct cf_decode_exporter *cf_decode_exporter_get(struct cf_decode_ctx *ctx,
						  const struct cf_decode_dgram *dg, uint8_t version,
						  uint32_t domain);

/*
 * Find or add an exporter without counting a datagram (restoring saved state).
 * now_ms is its last-seen time when added (the least recently used exporter
 * evicted when the table is full). NULL only when the hash refuses the key (counted).
 */
struct cf_decode_exporter *cf_decode_exporter_find(struct cf_decode_ctx *ctx,
						   const uint8_t addr[16], uint8_t v6,
						   uint8_t version, uint32_t domain,
						   uint64_t now_ms);

/* The slot of e, the index layers above keep their own per-exporter state by. */
static inline uint32_t
cf_decode_exporter_slot(const struct cf_decode_ctx *ctx, const struct cf_decode_exporter *e)
{
	return (uint32_t)(e - ctx->exporters);
}

/* Slots in the table (indexes of cf_decode_exporter_slot() and cf_decode_exporter_read()). */
uint32_t cf_decode_exporter_slots(const struct cf_decode_ctx *ctx);

/* 1 when e is in the protected segment (it sent records after its first datagram). */
static inline int
cf_decode_exporter_protected(const struct cf_decode_ctx *ctx, const struct cf_decode_exporter *e)
{
	return cf_decode_lru_is_protected(&ctx->lru, cf_decode_exporter_slot(ctx, e));
}

/*
 * Any thread: a consistent copy of slot's identity and counters in *out
 * (out->gen tells one identity of the slot from the next). 1 when the slot
 * holds or held an exporter (out->live 0: evicted, not reused yet); 0 when
 * it was never used; -1 when it is being reassigned right now (read it again
 * later).
 */
int cf_decode_exporter_read(const struct cf_decode_ctx *ctx, uint32_t slot,
			    struct cf_decode_exporter *out);

/* Any thread: how many times slots were (re)assigned; a reader rescans when it moved. */
static inline uint64_t
cf_decode_exporter_changes(const struct cf_decode_ctx *ctx)
{
	return __atomic_load_n(&ctx->changes, __ATOMIC_ACQUIRE);
}

/* "netflow_v5", "netflow_v9", "ipfix", "sflow" (cf_stats_proto_name): the version label of
 * metrics and logs. */
const char *cf_decode_version_name(uint8_t version);

/*
 * Account a datagram's sequence number. seq is the number the datagram
 * carries, count what it adds to the sequence (records for v5/IPFIX, 1 for
 * v9). uptime_ms is the exporter's uptime (0 when unknown). Gaps inside a
 * window count as lost; a sequence far away (or an uptime going back) is an
 * exporter restart; a datagram behind the expected number is a late arrival
 * and is credited back.
 */
void cf_decode_seq_account(struct cf_decode_ctx *ctx, struct cf_decode_exporter *e, uint32_t seq,
			   uint32_t count, uint32_t uptime_ms);

/* Fill a record's exporter, version and domain fields from the datagram. */
static inline void
cf_decode_record_origin(struct cf_record *r, const struct cf_decode_dgram *dg, uint8_t version,
			uint32_t domain)
{
	memcpy(r->exporter, dg->src, 16);
	if (dg->src_v6)
		r->present |= CF_RECORD_F_EXPORTER_V6;
	r->version = version;
	r->observation_domain = domain;
}

/* Apply --sampling-rate and --scale-by-sampling; rate is what the exporter said (0 = none). */
static inline void
cf_decode_apply_sampling(const struct cf_decode_config *cfg, struct cf_record *r, uint32_t rate)
{
	if (cfg->sampling_rate != 0 && (rate == 0 || cfg->sampling_override))
		rate = cfg->sampling_rate;
	if (rate == 0)
		return;
	r->sampling_rate = rate;
	r->present |= CF_RECORD_F_SAMPLING;
	if (cfg->scale_by_sampling) {
		r->bytes *= rate;
		r->packets *= rate;
	}
}

#endif
