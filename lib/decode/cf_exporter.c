/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "cf_decode.h"

/* Past this many records (or datagrams) a jump is a restart, not a loss. */
#define CF_DECODE_SEQ_WINDOW (1u << 22)

struct exp_key {
	uint8_t addr[16];
	uint32_t domain;
	uint8_t version;
	uint8_t pad[3];
};

int
cf_decode_ctx_init(struct cf_decode_ctx *ctx, const char *name, int socket_id,
		   const struct cf_decode_config *cfg, struct cf_stats_lcore *stats,
		   struct cf_record_sink *sink)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.key_len = sizeof(struct exp_key),
		.hash_func = rte_jhash,
		/* Keyed per table: exporter addresses and domains are what strangers send, and
		 * with the public default (0) floods that share one bucket chain can be built
		 * offline. */
		.hash_func_init_val = (uint32_t)rte_rand(),
		.socket_id = socket_id,
		/* Overflow buckets: an add never fails while the table is under its bound. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct cf_decode_lru_node *nodes;
	uint32_t n_slots, prot;

	memset(ctx, 0, sizeof(*ctx));
	ctx->stats = stats;
	ctx->sink = sink;
	ctx->cfg = cfg;
	ctx->max_exporters = cfg->max_exporters ? cfg->max_exporters : 4096;
	/* Twice the bound: at the bound (a flood keeps it there) the buckets stay half empty, so
	 * an insert never goes looking for room by cuckoo displacement (measured: 3x the Ir). */
	hp.entries = ctx->max_exporters < 8 ? 16 : 2 * ctx->max_exporters;
	ctx->exp_hash = rte_hash_create(&hp);
	if (ctx->exp_hash == NULL)
		return -rte_errno;
	n_slots = (uint32_t)rte_hash_max_key_id(ctx->exp_hash) + 1;
	ctx->exporters = rte_zmalloc_socket(name, sizeof(struct cf_decode_exporter) * n_slots, 64,
					    socket_id);
	nodes = rte_zmalloc_socket(name, sizeof(*nodes) * n_slots, 64, socket_id);
	if (ctx->exporters == NULL || nodes == NULL) {
		rte_free(nodes);
		cf_decode_ctx_fini(ctx);
		return -ENOMEM;
	}
	/* A quarter of the table always turns over for newcomers, however many are protected. */
	prot = ctx->max_exporters - ctx->max_exporters / 4;
	cf_decode_lru_init(&ctx->lru, nodes, n_slots, prot ? prot : 1);
	return 0;
}

void
cf_decode_ctx_fini(struct cf_decode_ctx *ctx)
{
	rte_hash_free(ctx->exp_hash);
	rte_free(ctx->exporters);
	rte_free(ctx->lru.n);
	ctx->exp_hash = NULL;
	ctx->exporters = NULL;
	ctx->lru.n = NULL;
}

uint32_t
cf_decode_exporter_slots(const struct cf_decode_ctx *ctx)
{
	return (uint32_t)rte_hash_max_key_id(ctx->exp_hash) + 1;
}

const char *
cf_decode_version_name(uint8_t v)
{
	/* The protocol's name, as the datagram counters say it (one set of words). */
	switch (v) {
	case CF_RECORD_V_NF5: return cf_stats_proto_name(CF_STATS_PROTO_NF5);
	case CF_RECORD_V_NF9: return cf_stats_proto_name(CF_STATS_PROTO_NF9);
	case CF_RECORD_V_IPFIX: return cf_stats_proto_name(CF_STATS_PROTO_IPFIX);
	case CF_RECORD_V_SFLOW: return cf_stats_proto_name(CF_STATS_PROTO_SFLOW);
	}
	return "unknown";
}

static inline void
exp_key(struct exp_key *k, const uint8_t addr[16], uint8_t version, uint32_t domain)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, addr, 16);
	k->domain = domain;
	k->version = version;
}

/* The least recently used exporter leaves: O(1), whatever the table's size. */
static void
exp_evict(struct cf_decode_ctx *ctx)
{
	uint32_t slot = cf_decode_lru_victim(&ctx->lru);
	struct cf_decode_exporter *e;
	struct exp_key k;

	if (slot == CF_DECODE_LRU_NONE)
		return;
	e = &ctx->exporters[slot];
	/* The layer above first: it still sees the old identity in the slot. */
	if (ctx->evict_hook != NULL)
		ctx->evict_hook(ctx, slot);
	exp_key(&k, e->addr, e->version, e->domain);
	rte_hash_del_key(ctx->exp_hash, &k);
	cf_decode_lru_del(&ctx->lru, slot);
	/* The contents stay (readers keep the last counters) until the slot is reused. */
	__atomic_store_n(&e->live, 0, __ATOMIC_RELAXED);
	ctx->n_exporters--;
	ctx->stats->exporters_evicted++;
	if (ctx->last_hit == e)
		ctx->last_hit = NULL;
}

/*
 * A new identity for slot pos. The generation is odd while the slot is being
 * written, so a reader on another thread (cf_decode_exporter_read) never takes a
 * half-written key, or the old exporter's counters, for the new exporter.
 */
static struct cf_decode_exporter *
exp_assign(struct cf_decode_ctx *ctx, int pos, const uint8_t addr[16], uint8_t v6, uint8_t version,
	   uint32_t domain, uint64_t now_ms)
{
	struct cf_decode_exporter *e = &ctx->exporters[pos];
	uint32_t gen = e->gen;

	__atomic_store_n(&e->gen, gen + 1, __ATOMIC_RELAXED);
	rte_smp_wmb();
	memset(e, 0, offsetof(struct cf_decode_exporter, gen));
	memset(&e->next_seq, 0, sizeof(*e) - offsetof(struct cf_decode_exporter, next_seq));
	memcpy(e->addr, addr, 16);
	e->v6 = v6;
	e->domain = domain;
	e->version = version;
	e->live = 1;
	e->first_seen_ms = now_ms;
	e->last_seen_ms = now_ms;
	e->tokens_ms = now_ms;
	e->tokens = (uint64_t)ctx->cfg->max_rate * 1000;
	rte_smp_wmb();
	__atomic_store_n(&e->gen, gen + 2, __ATOMIC_RELEASE);
	ctx->n_exporters++;
	cf_decode_lru_add(&ctx->lru, (uint32_t)pos);
	__atomic_store_n(&ctx->changes, ctx->changes + 1, __ATOMIC_RELEASE);
	return e;
}

static inline int
exp_matches(const struct cf_decode_exporter *e, const uint8_t addr[16], uint8_t version,
	    uint32_t domain)
{
	return e->version == version && e->domain == domain && memcmp(e->addr, addr, 16) == 0;
}

/* Inlined into both callers: the per-datagram one is the decoders' only exporter lookup. */
static inline struct cf_decode_exporter *
exp_find(struct cf_decode_ctx *ctx, const uint8_t addr[16], uint8_t v6, uint8_t version,
	 uint32_t domain, uint64_t now_ms)
{
	struct cf_decode_exporter *e = ctx->last_hit;
	struct exp_key key;
	int pos;

	if (e != NULL && exp_matches(e, addr, version, domain))
		return e;

	exp_key(&key, addr, version, domain);
	pos = rte_hash_lookup(ctx->exp_hash, &key);
	if (pos >= 0) {
		e = &ctx->exporters[pos];
	} else {
		if (ctx->n_exporters >= ctx->max_exporters)
			exp_evict(ctx);
		pos = rte_hash_add_key(ctx->exp_hash, &key);
		if (pos < 0)
			goto full;
		e = exp_assign(ctx, pos, addr, v6, version, domain, now_ms);
	}
	ctx->last_hit = e;
	return e;
full:
	ctx->stats->drops[CF_STATS_DROP_EXPORTER_TABLE_FULL]++;
	return NULL;
}

struct cf_decode_exporter *
cf_decode_exporter_find(struct cf_decode_ctx *ctx, const uint8_t addr[16], uint8_t v6,
			uint8_t version, uint32_t domain, uint64_t now_ms)
{
	return exp_find(ctx, addr, v6, version, domain, now_ms);
}

/* --exporter-max-rate: 1 when e may send one more datagram at now_ms. */
static inline int
exp_rate_ok(const struct cf_decode_config *cfg, struct cf_decode_exporter *e, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)cfg->max_rate * 1000;

	if (now_ms > e->tokens_ms) {
		uint64_t dt = now_ms - e->tokens_ms;

		/* A second refills the bucket: no overflow from a long silence. */
		e->tokens = dt >= 1000 ? cap : e->tokens + dt * cfg->max_rate;
		if (e->tokens > cap)
			e->tokens = cap;
		e->tokens_ms = now_ms;
	}
	if (e->tokens < 1000)
		return 0;
	e->tokens -= 1000;
	return 1;
}

struct cf_decode_exporter *
cf_decode_exporter_get(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg, uint8_t version,
		       uint32_t domain)
{
	struct cf_decode_exporter *e =
		exp_find(ctx, dg->src, dg->src_v6, version, domain, dg->now_ms);
	uint32_t slot;

	if (e == NULL)
		return NULL;
	slot = cf_decode_exporter_slot(ctx, e);
	/* Records came in an earlier datagram and it is back: protected from one-off sources. */
	if (e->records != 0 && !cf_decode_lru_is_protected(&ctx->lru, slot))
		cf_decode_lru_promote(&ctx->lru, slot);
	else
		cf_decode_lru_touch(&ctx->lru, slot);
	e->last_seen_ms = dg->now_ms;
	if (ctx->cfg->max_rate != 0 && !exp_rate_ok(ctx->cfg, e, dg->now_ms)) {
		e->rate_limited++;
		ctx->stats->drops[CF_STATS_DROP_EXPORTER_RATE_LIMITED]++;
		return NULL;
	}
	e->dgrams++;
	return e;
}

int
cf_decode_exporter_read(const struct cf_decode_ctx *ctx, uint32_t slot,
			struct cf_decode_exporter *out)
{
	const struct cf_decode_exporter *e = &ctx->exporters[slot];
	uint32_t g1, g2;

	/* Pairs with exp_assign(): an even generation that did not move is one identity. */
	g1 = __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE);
	if (g1 == 0)
		return 0;
	if (g1 & 1)
		return -1;
	memcpy(out->addr, e->addr, 16);
	out->domain = e->domain;
	out->version = e->version;
	out->v6 = e->v6;
	out->live = __atomic_load_n(&e->live, __ATOMIC_RELAXED);
	out->dgrams = __atomic_load_n(&e->dgrams, __ATOMIC_RELAXED);
	out->records = __atomic_load_n(&e->records, __ATOMIC_RELAXED);
	out->seq_gap = __atomic_load_n(&e->seq_gap, __ATOMIC_RELAXED);
	out->seq_late = __atomic_load_n(&e->seq_late, __ATOMIC_RELAXED);
	out->seq_resets = __atomic_load_n(&e->seq_resets, __ATOMIC_RELAXED);
	out->first_seen_ms = __atomic_load_n(&e->first_seen_ms, __ATOMIC_RELAXED);
	out->last_seen_ms = __atomic_load_n(&e->last_seen_ms, __ATOMIC_RELAXED);
	out->rate_limited = __atomic_load_n(&e->rate_limited, __ATOMIC_RELAXED);
	rte_smp_rmb();
	g2 = __atomic_load_n(&e->gen, __ATOMIC_RELAXED);
	if (g1 != g2)
		return -1;
	out->gen = g1;
	return 1;
}

void
cf_decode_seq_account(struct cf_decode_ctx *ctx, struct cf_decode_exporter *e, uint32_t seq,
		      uint32_t count, uint32_t uptime_ms)
{
	int32_t diff;

	/* An exporter whose uptime went back has restarted (and its sequence with it). */
	if (!e->seq_valid || (uptime_ms != 0 && uptime_ms < e->last_uptime_ms &&
			      e->last_uptime_ms - uptime_ms < 0x80000000u)) {
		if (e->seq_valid) {
			e->seq_resets++;
			ctx->stats->seq_reset++;
		}
		e->seq_valid = 1;
		e->next_seq = seq + count;
		e->last_uptime_ms = uptime_ms;
		return;
	}
	e->last_uptime_ms = uptime_ms;

	diff = (int32_t)(seq - e->next_seq);
	if (diff == 0) {
		e->next_seq = seq + count;
	} else if (diff > 0 && (uint32_t)diff <= CF_DECODE_SEQ_WINDOW) {
		e->seq_gap += (uint32_t)diff;
		ctx->stats->seq_lost += (uint32_t)diff;
		e->next_seq = seq + count;
	} else if (diff < 0 && 0u - (uint32_t)diff <= CF_DECODE_SEQ_WINDOW) {
		/* Late: it was counted in a gap already; give it back once. */
		if (e->seq_late + count <= e->seq_gap) {
			e->seq_late += count;
			ctx->stats->seq_late += count;
		}
	} else {
		e->seq_resets++;
		ctx->stats->seq_reset++;
		e->next_seq = seq + count;
	}
}
