/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data sets that arrive before their template: copied into one arena per
 * lcore (a ring of bytes, entries in arrival order), bounded by
 * --template-wait-bytes per exporter and by age (--template-wait), never by
 * a number of sets: a FortiGate sends scores of one-record sets before its
 * templates. Each exporter's waiting sets are chained oldest first, so a
 * template looks only at its own exporter's data. Decoded when the template
 * comes; discarded (and counted by reason) when the template id is withdrawn
 * or comes back with another layout than the one that expired here; counted
 * as no_template when they age out or do not fit.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include "cf_tpl.h"
#include "cf_tpl_priv.h"

#define ARENA_MIN (1u << 20)
#define ARENA_MAX (16u << 20)

static inline struct cf_tpl_pend *
at(const struct cf_tpl_arena *a, uint32_t off)
{
	return (struct cf_tpl_pend *)(void *)(a->buf + off);
}

static inline uint32_t
entry_size(uint32_t len)
{
	return (uint32_t)((sizeof(struct cf_tpl_pend) + len + 7) & ~7u);
}

int
cf_tpl_pending_setup(struct cf_tpl_cache *c, const char *name, int socket_id)
{
	uint64_t cap = (uint64_t)c->pend_cap * 16;

	if (c->pend_cap == 0)
		return 0;
	if (cap < ARENA_MIN)
		cap = ARENA_MIN;
	if (cap > ARENA_MAX)
		cap = ARENA_MAX;
	c->arena.buf = rte_malloc_socket(name, cap, 64, socket_id);
	if (c->arena.buf == NULL)
		return -ENOMEM;
	c->arena.cap = (uint32_t)cap;
	return 0;
}

/* Room for size bytes at the head, or CF_TPL_PEND_NONE. */
static uint32_t
arena_alloc(struct cf_tpl_arena *a, uint32_t size)
{
	uint32_t off;

	if (a->used == 0) {
		a->head = a->tail = 0;
		a->wrapped = 0;
	}
	if (!a->wrapped) {
		if (a->cap - a->head >= size) {
			off = a->head;
		} else if (a->tail >= size) {
			/* the end stays where the live bytes stop; new ones start over at 0 */
			a->end = a->head;
			a->wrapped = 1;
			off = 0;
		} else {
			return CF_TPL_PEND_NONE;
		}
	} else if (a->tail - a->head >= size) {
		off = a->head;
	} else {
		return CF_TPL_PEND_NONE;
	}
	a->head = off + size;
	a->used += size;
	return off;
}

/* Give back the dead entries at the tail. */
static void
arena_reclaim(struct cf_tpl_arena *a)
{
	while (a->used != 0) {
		struct cf_tpl_pend *pd;

		if (a->wrapped && a->tail == a->end) {
			a->tail = 0;
			a->wrapped = 0;
			continue;
		}
		pd = at(a, a->tail);
		if (pd->live)
			return;
		a->tail += pd->size;
		a->used -= pd->size;
	}
}

/* The entry at off of ex (prev: its predecessor in ex's chain, or NONE) leaves the chain. */
static void
unlink_entry(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint32_t prev, uint32_t off)
{
	struct cf_tpl_cache *c = ctx->tpl;
	struct cf_tpl_pend *pd = at(&c->arena, off);

	if (prev == CF_TPL_PEND_NONE)
		ex->pend_head = pd->next;
	else
		at(&c->arena, prev)->next = pd->next;
	if (ex->pend_tail == off)
		ex->pend_tail = prev;
	pd->live = 0;
	c->n_pend--;
	__atomic_store_n(&ex->pend_len, ex->pend_len - pd->len, __ATOMIC_RELAXED);
	__atomic_store_n(&ex->pend_sets, ex->pend_sets - 1, __ATOMIC_RELAXED);
	if (ex->pend_head == CF_TPL_PEND_NONE)
		ex->pend_tids = 0;
}

/* Sets older than --template-wait are no_template drops; they are the oldest, at the tail. */
static void
pend_age(struct cf_decode_ctx *ctx, uint64_t now_ms)
{
	struct cf_tpl_cache *c = ctx->tpl;
	struct cf_tpl_arena *a = &c->arena;
	uint32_t off = a->tail;
	int wrapped = a->wrapped;

	while (c->n_pend != 0) {
		struct cf_tpl_pend *pd;
		struct cf_tpl_exp *ex;

		if (wrapped && off == a->end) {
			off = 0;
			wrapped = 0;
		}
		if (!wrapped && off == a->head)
			break;
		pd = at(a, off);
		off += pd->size;
		if (!pd->live)
			continue;
		if (now_ms <= pd->born_ms + c->pend_age_ms)
			break;
		/* The oldest live set of its exporter is its chain's head. */
		ex = &c->exps[pd->exp_idx];
		unlink_entry(ctx, ex, CF_TPL_PEND_NONE, (uint32_t)((uint8_t *)pd - a->buf));
		ctx->stats->drops[CF_STATS_DROP_NO_TEMPLATE]++;
	}
	arena_reclaim(a);
	c->pend_next_check = now_ms + 1000;
}

void
cf_tpl_tick(struct cf_decode_ctx *ctx, uint64_t now_ms)
{
	struct cf_tpl_cache *c = ctx->tpl;

	if (c->n_pend != 0 && now_ms >= c->pend_next_check)
		pend_age(ctx, now_ms);
}

int
cf_tpl_pending_add(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid,
		   const struct cf_tpl_msg *m, const uint8_t *p, uint32_t len, uint64_t now_ms)
{
	struct cf_tpl_cache *c = ctx->tpl;
	struct cf_tpl_pend *pd;
	uint32_t off;

	if (c->pend_cap == 0 || len > CF_TPL_PEND_MAX || ex->pend_len + len > c->pend_cap)
		return -1;
	off = arena_alloc(&c->arena, entry_size(len));
	if (off == CF_TPL_PEND_NONE)
		return -1;
	pd = at(&c->arena, off);
	pd->born_ms = now_ms;
	pd->msg = *m;
	pd->exp_idx = cf_tpl_exp_index(c, ex);
	pd->next = CF_TPL_PEND_NONE;
	pd->size = entry_size(len);
	pd->len = len;
	pd->tid = tid;
	pd->live = 1;
	memcpy(pd->data, p, len);
	if (ex->pend_tail == CF_TPL_PEND_NONE)
		ex->pend_head = off;
	else
		at(&c->arena, ex->pend_tail)->next = off;
	ex->pend_tail = off;
	ex->pend_tids |= 1ull << (tid & 63);
	__atomic_store_n(&ex->pend_len, ex->pend_len + len, __ATOMIC_RELAXED);
	__atomic_store_n(&ex->pend_sets, ex->pend_sets + 1, __ATOMIC_RELAXED);
	if (c->n_pend++ == 0)
		c->pend_next_check = now_ms + 1000;
	ctx->stats->tpl_pending++;
	return 0;
}

void
cf_tpl_pending_run(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid,
		   const struct cf_decode_dgram *dg)
{
	struct cf_tpl_cache *c = ctx->tpl;
	uint32_t off, prev = CF_TPL_PEND_NONE;

	if (ex->pend_sets == 0 || !(ex->pend_tids & (1ull << (tid & 63))))
		return;
	/* The chain is in arrival order: the records come out as they were sent. */
	for (off = ex->pend_head; off != CF_TPL_PEND_NONE;) {
		struct cf_tpl_pend *pd = at(&c->arena, off);
		uint32_t next = pd->next;
		const struct cf_tpl *t;

		if (pd->tid != tid) {
			prev = off;
			off = next;
			continue;
		}
		t = cf_tpl_find(ctx, ex, tid, dg->now_ms);
		if (t == NULL)
			break;
		cf_tpl_data_set(ctx, ex, t, &pd->msg, dg, pd->data, pd->len);
		unlink_entry(ctx, ex, prev, off);
		ctx->stats->tpl_pending_done++;
		off = next;
	}
	arena_reclaim(&c->arena);
}

unsigned int
cf_tpl_pending_discard(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, int tid,
		       enum cf_stats_drop why)
{
	struct cf_tpl_cache *c = ctx->tpl;
	uint32_t off, prev = CF_TPL_PEND_NONE;
	unsigned int n = 0;

	if (ex->pend_sets == 0 || (tid >= 0 && !(ex->pend_tids & (1ull << (tid & 63)))))
		return 0;
	for (off = ex->pend_head; off != CF_TPL_PEND_NONE;) {
		struct cf_tpl_pend *pd = at(&c->arena, off);
		uint32_t next = pd->next;

		if (tid >= 0 && pd->tid != tid) {
			prev = off;
		} else {
			unlink_entry(ctx, ex, prev, off);
			ctx->stats->drops[why]++;
			n++;
		}
		off = next;
	}
	arena_reclaim(&c->arena);
	return n;
}

unsigned int
cf_tpl_pending_flush(struct cf_decode_ctx *ctx)
{
	struct cf_tpl_cache *c = ctx->tpl;
	unsigned int n = c->n_pend;

	/* Aging with an infinite clock: everything left is too old. */
	pend_age(ctx, UINT64_MAX / 2);
	return n - c->n_pend;
}
