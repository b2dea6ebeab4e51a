/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_SKETCH_PRIV_H
#define CF_SKETCH_PRIV_H

/* Internal to lib/sketch: the table (cf_sketch.c) and the posting round (cf_sketch_post.c). */

#include <rte_hash.h>
#include <rte_reciprocal.h>

#include "cf_sketch.h"

enum { SK_KIND_MAC = 1, SK_KIND_V4 = 4, SK_KIND_V6 = 6 };

/* Identity of an endpoint: its switch's slot, kind and MAC or address (3 words). */
struct sk_key {
	uint64_t id[2];
	uint64_t sw_kind;          /* switch slot << 8 | SK_KIND_* */
};

/* One endpoint at one switch. */
struct sk_ep {
	struct sk_key key;
	uint64_t bytes_out;
	uint64_t bytes_in;
	uint64_t flows;
	/* Kept in ms and turned into seconds when posted (floor of a min is the min of the
	 * floors: exact), so a record costs no divide. first_m1 is the earliest start minus 1:
	 * a time of 0 (none) wraps to UINT64_MAX and never wins the min, as before. */
	uint64_t first_m1;
	uint64_t last_ms;
	uint32_t touch_s;          /* last sight, monotonic seconds (LRU order) */
	uint32_t hours;            /* UTC hours with traffic, bits 0..23 */
	uint32_t sw;               /* switch slot */
	uint32_t lru_prev, lru_next;
	uint32_t sw_prev, sw_next;
	uint8_t kind;
	uint8_t live;
	uint8_t active;            /* a flow as source since the last post */
	struct cf_sketch_hll peers;
	struct cf_sketch_hll ports;
} __attribute__((aligned(64)));

/* Four cache lines (docs/aggregation.md gives the memory per endpoint); the index hash is
 * not kept, idx_remove() computes it again. */
_Static_assert(sizeof(struct sk_ep) <= 256, "an endpoint stays four cache lines");

struct sk_sw {
	uint8_t addr[16];
	uint8_t v6;
	uint8_t live;
	uint32_t head, tail;       /* its endpoints, oldest first */
	uint32_t count;
	uint32_t prev, next;       /* the list of live switches */
	char text[48];             /* switch_id as posted */
};

/* The round in progress: which switch and endpoint come next, and the body being filled. */
struct sk_round {
	int on;
	int started;               /* cur_sw is being walked */
	uint32_t cur_sw;
	uint32_t cur_ep;
	uint32_t next_sw;          /* the switch after cur_sw (kept right as switches go) */
	int ready;                 /* a sealed body waits for submit */
	char *buf;
	size_t cap, len, off;      /* sketches from HDR_ROOM; sealed body from off */
	uint32_t n;                /* sketches in the body */
	char sw_text[48];          /* the switch of the body */
};

struct cf_sketch {
	struct cf_sketch_config cfg;
	uint64_t *idx;             /* endpoint index: hash << 32 | slot + 1; 0 = empty */
	uint64_t seed[3];          /* the index hash's key (key_hash), random per table */
	uint64_t idx_mask;
	uint32_t *free_slots;      /* stack of unused endpoint slots */
	uint32_t n_free;
	struct rte_hash *sh;       /* switch -> switch slot */
	struct sk_ep *ep;
	struct sk_sw *sw;
	uint32_t max, slots, count;
	uint32_t sw_head, sw_tail; /* live switches, oldest first */
	uint8_t last_sw_addr[16];  /* the last record's switch, looked up once per run */
	uint8_t last_sw_v6;
	uint32_t last_sw;
	struct rte_reciprocal_u64 per_hour; /* ms -> h without a divide */
	uint64_t hour_lo_ms;       /* the last single UTC hour a record fell in, and its bit */
	uint32_t hour_bit;
	uint32_t sw_gen;           /* switch slots freed so far: a key built before may be stale */
	uint32_t lru_head, lru_tail;
	struct cf_sketch_hll_dense *dense;
	size_t dense_len;
	cf_sketch_submit_fn submit;
	void *ctx;
	uint64_t next_round_ms;
	struct sk_round rd;
	struct cf_sketch_stats st;
};

/* Address text (IPv4 dotted, IPv6 RFC 5952) into out (>= 46 bytes). */
void cf_sketch_addr_text(char *out, const uint8_t *addr, int v6);

#endif
