/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_SKETCH_H
#define CF_SKETCH_H

/*
 * Endpoint sketches in the engine (docs/aggregation.md): Clarion's edge-agent
 * summary of each endpoint seen at each switch, computed from the flow records
 * of every exporter, and posted per switch as the backend's SketchBatch
 * {"switch_id", "timestamp", "sketch_count", "sketches": [EdgeSketchData...]}.
 *
 * The endpoint of a record is its source MAC when the record carries a
 * non-zero one, else its source address; the switch is the exporter
 * (switch_id). A record adds to its source endpoint: bytes_out, flow_count,
 * first_seen (earliest flow start), last_seen (latest flow end), active_hours
 * (every UTC hour the flow spans), unique_peers (distinct destination
 * addresses) and unique_ports (distinct protocol/destination-port pairs). Its
 * destination (destination MAC when non-zero, else destination address) adds
 * the bytes to bytes_in of that endpoint at the same switch when the table
 * holds it (an endpoint enters the table as a source).
 *
 * Cardinalities: HyperLogLog with 2^13 = 8192 one-byte registers (standard
 * error 1.04 / sqrt(8192) = 1.15 %), Ertl's improved estimator, 64-bit hashes;
 * up to CF_SKETCH_SPARSE distinct values are kept exactly in the endpoint
 * itself (HLL++ sparse encoding, converted to registers without loss), so
 * small counts are exact and only busy endpoints use registers.
 *
 * Memory: an endpoint table of --sketch-max-endpoints entries (DPDK memory,
 * allocated at start, cf_sketch_fixed_bytes()) plus register blocks of
 * CF_SKETCH_HLL_DENSE_BYTES per cardinality that outgrows its sparse set,
 * reserved at start for every entry (virtual memory) and committed by the
 * kernel as endpoints need them; cf_sketch_stats() says how many are in use.
 * The least recently seen endpoint is evicted (counted) to make room.
 *
 * Every --sketch-interval a round posts every endpoint (cumulative, as the
 * edge agent does), or with reset only those seen since their last post,
 * clearing them after. A round runs in steps of at most `budget` sketches per
 * cf_sketch_poll() so the control lcore keeps draining; one body holds at
 * most CF_SKETCH_POST_MAX sketches of one switch.
 *
 * Contract:
 *  - Not thread safe: one thread (the control lcore) owns a table and calls
 *    add/poll/finish; submit() runs on that thread. cf_sketch_stats() may be
 *    called from any thread (each counter exact, not an atomic snapshot).
 *  - submit(ctx, body, len, n) gets a complete JSON body of n sketches and must
 *    copy it; it returns 0 (taken), -EAGAIN (not now: the same body is offered
 *    again at the next poll, the round waits) or another -errno (refused for
 *    good: its sketches are counted as dropped).
 *  - cf_sketch_create(): NULL with a reason in err (bad size, out of memory).
 *  - cf_sketch_finish() ends the round under way and runs one more (as at an
 *    interval: every endpoint, or with reset those seen since their last post),
 *    retrying -EAGAIN until deadline_ms (mono_ms() clock); every sketch not
 *    taken by then is counted as dropped.
 *  - The HLL functions are pure (no allocation); a cf_sketch_hll uses the
 *    dense block given to cf_sketch_hll_init() once it outgrows its sparse set.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cf_record.h"

#define CF_SKETCH_HLL_P 13
#define CF_SKETCH_HLL_M (1u << CF_SKETCH_HLL_P)
/* Register values 0 .. 64 - P + 1. */
#define CF_SKETCH_HLL_Q (64 - CF_SKETCH_HLL_P)
#define CF_SKETCH_SPARSE 16
#define CF_SKETCH_POST_MAX 1000

struct cf_sketch_hll_dense {
	uint8_t reg[CF_SKETCH_HLL_M];
	uint16_t hist[64];         /* registers holding each value: the estimator's input */
};

#define CF_SKETCH_HLL_DENSE_BYTES sizeof(struct cf_sketch_hll_dense)
#define CF_SKETCH_HLL_DENSE_FLAG 0xffffu

struct cf_sketch_hll {
	uint16_t n;                /* sparse values held; CF_SKETCH_HLL_DENSE_FLAG once dense */
	uint16_t pad;
	uint32_t sparse[CF_SKETCH_SPARSE]; /* index at precision 25 << 6 | rank (HLL++) */
	struct cf_sketch_hll_dense *dense;
};

void cf_sketch_hll_init(struct cf_sketch_hll *h, struct cf_sketch_hll_dense *dense);
/* The parts of cf_sketch_hll_add() that are not inline. */
void cf_sketch_hll_add_sparse(struct cf_sketch_hll *h, uint64_t hash);
void cf_sketch_hll_dense_put(struct cf_sketch_hll_dense *d, uint32_t idx, uint8_t rho);

static inline void
cf_sketch_hll_add(struct cf_sketch_hll *h, uint64_t hash)
{
	if (h->n == CF_SKETCH_HLL_DENSE_FLAG) {
		/* The common case once busy: a register that already holds this rank or more. */
		uint32_t idx = (uint32_t)(hash >> (64 - CF_SKETCH_HLL_P));
		uint8_t rho = (uint8_t)(__builtin_clzll((hash << CF_SKETCH_HLL_P) |
							 (1ull << (CF_SKETCH_HLL_P - 1))) + 1);

		if (rho > h->dense->reg[idx])
			cf_sketch_hll_dense_put(h->dense, idx, rho);
		return;
	}
	cf_sketch_hll_add_sparse(h, hash);
}
uint64_t cf_sketch_hll_count(const struct cf_sketch_hll *h);
/* Back to empty (and sparse); the dense block stays attached. */
void cf_sketch_hll_clear(struct cf_sketch_hll *h);

/* 64-bit hashes of what the sketches count: an address (16 bytes, v6 0/1), a protocol/port
 * (the murmur3 finaliser: a bijection of 64-bit words, so distinct IPv4 addresses never
 * collide). */
static inline uint64_t
cf_sketch_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static inline uint64_t
cf_sketch_hash_addr(const uint8_t *addr, int v6)
{
	uint64_t a, b;

	memcpy(&a, addr, 8);
	memcpy(&b, addr + 8, 8);
	if (!v6)
		return cf_sketch_mix64((a & 0xffffffffull) ^ 0x9e3779b97f4a7c15ull);
	return cf_sketch_mix64(a ^ cf_sketch_mix64(b ^ 0x6a09e667f3bcc909ull));
}

static inline uint64_t
cf_sketch_hash_port(uint8_t proto, uint16_t port)
{
	return cf_sketch_mix64(((uint64_t)proto << 16 | port) ^ 0xbb67ae8584caa73bull);
}

struct cf_sketch_config {
	uint32_t max_endpoints;    /* >= 1 */
	uint32_t interval_s;       /* >= 1 */
	int reset;                 /* 1: clear each endpoint once posted */
	int socket;
};

typedef int (*cf_sketch_submit_fn)(void *ctx, const char *body, size_t len, uint32_t n);

struct cf_sketch_stats {
	uint64_t records_in;
	uint64_t no_endpoint;      /* records with neither source MAC nor address: not counted */
	uint64_t endpoints;        /* in the table now */
	uint64_t max_endpoints;
	uint64_t evicted;          /* least recently seen, to make room */
	uint64_t probes;           /* index words stepped past in lookups (collisions) */
	uint64_t switches;         /* switches with at least one endpoint now */
	uint64_t dense;            /* cardinalities using registers now */
	uint64_t rounds;           /* intervals posted */
	uint64_t bodies;           /* bodies taken by submit */
	uint64_t sketches;         /* sketches in them */
	uint64_t dropped;          /* sketches refused for good, or not taken at exit */
	uint64_t submit_waits;     /* times submit said -EAGAIN */
};

struct cf_sketch;

/* Bytes of DPDK memory the table takes for max endpoints (registers not counted). */
size_t cf_sketch_fixed_bytes(uint32_t max_endpoints);
struct cf_sketch *cf_sketch_create(const struct cf_sketch_config *cfg, cf_sketch_submit_fn submit,
				   void *ctx, char *err, size_t errlen);
void cf_sketch_free(struct cf_sketch *s);

/* Adds n records. now_ms: monotonic clock (LRU age and rounds). */
void cf_sketch_add(struct cf_sketch *s, const struct cf_record *r, unsigned int n,
		   uint64_t now_ms);
/* Starts a round when the interval is up and advances one by at most budget sketches (0 = no
 * limit); wall_s: Unix seconds for the bodies' timestamp. Returns sketches encoded. */
unsigned int cf_sketch_poll(struct cf_sketch *s, uint64_t now_ms, uint64_t wall_s,
			    unsigned int budget);
void cf_sketch_finish(struct cf_sketch *s, uint64_t wall_s, uint64_t (*mono_ms)(void),
		      uint64_t deadline_ms);
void cf_sketch_stats(const struct cf_sketch *s, struct cf_sketch_stats *st);

#endif
