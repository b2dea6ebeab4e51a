/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The template store: per-exporter template state, compiled templates by
 * (state, id), expiry, withdrawal. Admission is O(1): a free state, else the
 * least recently used one (a segmented LRU: states of exporters the exporter
 * table protects, those that sent data, are the last to go) is given up with
 * its templates and waiting data. Each state links its own templates, so
 * eviction and "withdraw all" never scan the table.
 */
#include <errno.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "cf_tpl.h"
#include "cf_tpl_dst.h"
#include "cf_tpl_priv.h"

#define NONE CF_DECODE_LRU_NONE

struct cf_tpl_key {
	uint32_t exp_idx;
	uint16_t tid;
	uint16_t pad;
};

static void
cf_tpl_cache_free(struct cf_tpl_cache *c)
{
	if (c == NULL)
		return;
	rte_hash_free(c->th);
	rte_free(c->slot_exp);
	rte_free(c->exps);
	rte_free(c->free_exps);
	rte_free(c->tpls);
	rte_free(c->raw);
	rte_free(c->arena.buf);
	cf_tpl_names_free(c);
	rte_free(c->lru.n);
	rte_free(c->tlink);
	rte_free(c);
}

static void tpl_evict_slot(struct cf_decode_ctx *ctx, uint32_t slot);

int
cf_tpl_cache_attach(struct cf_decode_ctx *ctx, const char *name, int socket_id,
		    const struct cf_tpl_config *cfg)
{
	char hn[RTE_HASH_NAMESIZE];
	/* Keyed per table (template ids and exporters are what strangers send). */
	struct rte_hash_parameters hp = { .hash_func = rte_jhash,
					  .hash_func_init_val = (uint32_t)rte_rand(),
					  .socket_id = socket_id };
	struct cf_decode_lru_node *nodes;
	struct cf_tpl_cache *c;
	uint32_t cap, i, prot;

	c = rte_zmalloc_socket(name, sizeof(*c), 64, socket_id);
	if (c == NULL)
		return -ENOMEM;
	c->max_exps = cfg->max_exporters ? cfg->max_exporters : 512;
	c->per_exp = cfg->max_per_exporter ? cfg->max_per_exporter : 32;
	c->timeout_ms = (uint64_t)(cfg->timeout_s ? cfg->timeout_s : 1800) * 1000;
	c->pend_age_ms = (uint64_t)(cfg->pending_s ? cfg->pending_s : 10) * 1000;
	c->pend_cap = cfg->pending_off ? 0 : (cfg->pending_bytes ? cfg->pending_bytes : 65536);
	cap = c->max_exps * c->per_exp;
	if (cap > (1u << 20))
		cap = 1u << 20;
	c->max_tpls = cap;
	c->fm = cfg->field_map;
	c->n_slots = cf_decode_exporter_slots(ctx);

	snprintf(hn, sizeof(hn), "%s_t", name);
	hp.name = hn;
	/* Room above the limit so bucket collisions do not refuse before the limit does. */
	hp.entries = cap + cap / 4 + 8;
	hp.key_len = sizeof(struct cf_tpl_key);
	c->th = rte_hash_create(&hp);
	if (c->th == NULL)
		goto fail;
	c->slot_exp = rte_zmalloc_socket(name, sizeof(uint32_t) * c->n_slots, 64, socket_id);
	c->exps = rte_zmalloc_socket(name, sizeof(struct cf_tpl_exp) * c->max_exps, 64, socket_id);
	c->free_exps = rte_zmalloc_socket(name, sizeof(uint32_t) * c->max_exps, 64, socket_id);
	c->tpls = rte_zmalloc_socket(name, sizeof(struct cf_tpl) * (rte_hash_max_key_id(c->th) + 1),
				     64, socket_id);
	c->raw = rte_zmalloc_socket(
		name, sizeof(struct cf_tpl_raw) * (rte_hash_max_key_id(c->th) + 1), 64, socket_id);
	c->tlink = rte_zmalloc_socket(
		name, sizeof(struct cf_tpl_link) * (rte_hash_max_key_id(c->th) + 1), 64, socket_id);
	nodes = rte_zmalloc_socket(name, sizeof(*nodes) * c->max_exps, 64, socket_id);
	c->lru.n = nodes;
	if (c->slot_exp == NULL || c->exps == NULL || c->free_exps == NULL || c->tpls == NULL ||
	    c->raw == NULL || c->tlink == NULL || nodes == NULL ||
	    cf_tpl_pending_setup(c, name, socket_id) != 0 ||
	    cf_tpl_names_setup(c, name, socket_id) != 0)
		goto fail;
	prot = c->max_exps - c->max_exps / 4;
	cf_decode_lru_init(&c->lru, nodes, c->max_exps, prot ? prot : 1);
	/* Free states as a stack, lowest index on top. */
	for (i = 0; i < c->max_exps; i++)
		c->free_exps[i] = c->max_exps - 1 - i;
	c->n_free = c->max_exps;
	ctx->tpl = c;
	/* An exporter the exporter table evicts takes its template state along. */
	ctx->evict_hook = tpl_evict_slot;
	return 0;
fail:
	cf_tpl_cache_free(c);
	return -ENOMEM;
}

void
cf_tpl_cache_detach(struct cf_decode_ctx *ctx)
{
	cf_tpl_cache_free(ctx->tpl);
	ctx->tpl = NULL;
	ctx->evict_hook = NULL;
}

/* Readers (cf_tpl_view.c) copy a slot between two equal even values of seq. */
static inline void
slot_write_begin(struct cf_tpl *t)
{
	__atomic_store_n(&t->seq, t->seq | 1, __ATOMIC_RELAXED);
	rte_smp_wmb();
}

static inline void
slot_write_end(struct cf_tpl *t, uint32_t seq)
{
	rte_smp_wmb();
	__atomic_store_n(&t->seq, (seq | 1) + 1, __ATOMIC_RELEASE);
}

/*
 * Forget a template. remember: it went without the exporter saying so
 * (expiry, eviction), so data may still come in its layout: the layout is
 * kept, and a later definition with another one discards such data.
 */
static void
cf_tpl_remove(struct cf_decode_ctx *ctx, struct cf_tpl *t, int remember)
{
	struct cf_tpl_cache *c = ctx->tpl;
	struct cf_tpl_key k = { .exp_idx = t->exp_idx, .tid = t->tid };
	struct cf_tpl_exp *ex = &c->exps[t->exp_idx];
	uint32_t pos = (uint32_t)(t - c->tpls);
	struct cf_tpl_link *l = &c->tlink[pos];
	uint32_t seq = t->seq;

	if (remember) {
		uint32_t g = ex->gone_next++ % CF_TPL_GONE, i;

		for (i = 0; i < CF_TPL_GONE; i++)
			if (ex->gone[i].used && ex->gone[i].tid == t->tid)
				g = i; /* one memory per id */
		ex->gone[g].tid = t->tid;
		ex->gone[g].layout = t->layout;
		ex->gone[g].used = 1;
	}
	rte_hash_del_key(c->th, &k);
	if (l->prev != NONE)
		c->tlink[l->prev].next = l->next;
	else
		ex->first_tpl = l->next;
	if (l->next != NONE)
		c->tlink[l->next].prev = l->prev;
	ex->n_templates--;
	c->n_tpls--;
	slot_write_begin(t);
	t->in_use = 0;
	slot_write_end(t, seq);
	if (c->last_tpl == t)
		c->last_tpl = NULL;
}

/* Off the datagram path (a full sweep): every template older than the timeout goes. */
unsigned int
cf_tpl_expire(struct cf_decode_ctx *ctx, uint64_t now_ms)
{
	struct cf_tpl_cache *c = ctx->tpl;
	uint32_t i, n = 0, max = (uint32_t)rte_hash_max_key_id(c->th) + 1;

	for (i = 0; i < max && c->n_tpls != 0; i++) {
		struct cf_tpl *t = &c->tpls[i];

		if (t->in_use && now_ms - t->last_ms > c->timeout_ms && now_ms > t->last_ms) {
			cf_tpl_remove(ctx, t, 1);
			n++;
		}
	}
	ctx->stats->tpl_expired += n;
	return n;
}

/*
 * ex gives its room back: its templates (its own list), the data sets
 * waiting for them (its own chain) and its names go with it. evicted: it was
 * pushed out for another exporter, and that is counted.
 */
static void
exp_release(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, int evicted)
{
	struct cf_tpl_cache *c = ctx->tpl;
	uint32_t idx = cf_tpl_exp_index(c, ex), n = 0;

	while (ex->first_tpl != NONE) {
		cf_tpl_remove(ctx, &c->tpls[ex->first_tpl], 0);
		n++;
	}
	cf_tpl_pending_discard(ctx, ex, -1, CF_STATS_DROP_NO_TEMPLATE);
	cf_tpl_names_drop_exp(ctx, ex);
	if (evicted) {
		ctx->stats->tpl_exporters_evicted++;
		ctx->stats->tpl_evicted += n;
	}
	cf_decode_lru_del(&c->lru, idx);
	c->slot_exp[ex->slot] = 0;
	__atomic_store_n(&ex->in_use, 0, __ATOMIC_RELEASE);
	c->free_exps[c->n_free++] = idx;
}

/* ctx->evict_hook: exporter slot `slot` goes to another exporter; its state goes too. */
static void
tpl_evict_slot(struct cf_decode_ctx *ctx, uint32_t slot)
{
	struct cf_tpl_cache *c = ctx->tpl;
	uint32_t k = c->slot_exp[slot];

	if (k != 0)
		exp_release(ctx, &c->exps[k - 1], 1);
}

/* The least recently used state other than keep (NULL = any) is evicted; 0 when there was one. */
static int
exp_evict_lru(struct cf_decode_ctx *ctx, const struct cf_tpl_exp *keep)
{
	struct cf_tpl_cache *c = ctx->tpl;
	uint32_t v = cf_decode_lru_victim(&c->lru);

	if (v != NONE && keep != NULL && v == cf_tpl_exp_index(c, keep)) {
		uint8_t seg = c->lru.n[v].seg;

		/* keep is the least recent of its segment: the next one, or the other segment's. */
		v = c->lru.n[v].prev;
		if (v == NONE)
			v = c->lru.tail[seg == CF_DECODE_LRU_PROBATION ? CF_DECODE_LRU_PROTECTED :
									 CF_DECODE_LRU_PROBATION];
	}
	if (v == NONE)
		return -1;
	exp_release(ctx, &c->exps[v], 1);
	return 0;
}

struct cf_tpl_exp *
cf_tpl_exp_get(struct cf_decode_ctx *ctx, struct cf_decode_exporter *e, uint64_t now_ms)
{
	struct cf_tpl_cache *c = ctx->tpl;
	struct cf_tpl_exp *ex;
	uint32_t slot, k;

	(void)now_ms;
	if (e == NULL)
		return NULL;
	slot = cf_decode_exporter_slot(ctx, e);
	k = c->slot_exp[slot];
	if (k != 0) {
		ex = &c->exps[k - 1];
		if (ex->gen == e->gen) {
			/* Same recency rule as the exporter table: data senders are protected. */
			if (cf_decode_exporter_protected(ctx, e))
				cf_decode_lru_promote(&c->lru, k - 1);
			else
				cf_decode_lru_touch(&c->lru, k - 1);
			return ex;
		}
		/* Not this exporter's (the slot changed hands without the hook): start afresh. */
		exp_release(ctx, ex, 0);
	}
	if (c->n_free == 0 && exp_evict_lru(ctx, NULL) != 0) {
		ctx->stats->drops[CF_STATS_DROP_TPL_EXPORTERS_FULL]++;
		return NULL;
	}
	k = c->free_exps[--c->n_free];
	ex = &c->exps[k];
	memset(ex, 0, sizeof(*ex));
	ex->slot = slot;
	ex->gen = e->gen;
	ex->version = e->version;
	ex->first_tpl = NONE;
	ex->pend_head = CF_TPL_PEND_NONE;
	ex->pend_tail = CF_TPL_PEND_NONE;
	__atomic_store_n(&ex->in_use, 1, __ATOMIC_RELEASE);
	c->slot_exp[slot] = k + 1;
	cf_decode_lru_add(&c->lru, k);
	return ex;
}

struct cf_tpl_exp *
cf_tpl_exporter(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg, uint8_t version,
		uint32_t domain)
{
	return cf_tpl_exp_get(ctx, cf_decode_exporter_get(ctx, dg, version, domain), dg->now_ms);
}

/*
 * Template tid of ex is defined with layout: if it had expired here with
 * another layout, data that waited for it was sent in the old one.
 */
static void
forget_gone(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid, uint32_t layout)
{
	unsigned int i;

	for (i = 0; i < CF_TPL_GONE; i++) {
		if (!ex->gone[i].used || ex->gone[i].tid != tid)
			continue;
		if (ex->gone[i].layout != layout)
			cf_tpl_pending_discard(ctx, ex, tid, CF_STATS_DROP_TPL_WAIT_REDEFINED);
		ex->gone[i].used = 0;
	}
}

/*
 * The same template sent again (exporters refresh every few datagrams or
 * seconds): the raw fields the slot was compiled from are compared, so a
 * refresh costs a memcmp, not a compile; only its time moves. Nothing else
 * changes, so readers need no new seq.
 */
static int
tpl_same(const struct cf_tpl_cache *c, int pos, enum cf_tpl_kind kind,
	 const struct cf_tpl_field *f, uint16_t n, uint16_t scope)
{
	const struct cf_tpl_raw *r = &c->raw[pos];

	return c->tpls[pos].kind == kind && r->n == n && r->scope == scope &&
	       memcmp(r->f, f, sizeof(f[0]) * n) == 0;
}

enum cf_stats_drop
cf_tpl_define(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid, enum cf_tpl_kind kind,
	      const struct cf_tpl_field *f, uint16_t n, uint16_t scope, uint64_t now_ms)
{
	struct cf_tpl_cache *c = ctx->tpl;
	struct cf_tpl_key k = { .exp_idx = cf_tpl_exp_index(c, ex), .tid = tid };
	struct cf_tpl *t = &c->scratch;
	enum cf_stats_drop why;
	uint32_t seq;
	int pos = -1;

	/* The one check of the field limit: decoders pass every field they read. */
	if (n > CF_TPL_MAX_FIELDS)
		why = CF_STATS_DROP_TPL_TOO_MANY_FIELDS;
	else if (tid < 256)
		why = CF_STATS_DROP_TPL_ID_LOW;
	else if (kind == CF_TPL_KIND_OPTIONS &&
		 (scope > n || (ex->version == CF_RECORD_V_IPFIX && scope == 0)))
		why = CF_STATS_DROP_TPL_BAD_SCOPE;
	else {
		pos = rte_hash_lookup(c->th, &k);
		if (pos >= 0 && tpl_same(c, pos, kind, f, n, scope)) {
			/* one 64-bit store, as readers expect (struct cf_tpl) */
			__atomic_store_n(&c->tpls[pos].last_ms, now_ms, __ATOMIC_RELAXED);
			ctx->stats->tpl_refreshed++;
			return CF_STATS_DROP_MAX;
		}
		why = cf_tpl_compile(ctx, t, ex->version, kind, f, n, scope);
	}
	if (why != CF_STATS_DROP_MAX) {
		ctx->stats->drops[why]++;
		return why;
	}
	t->tid = tid;
	t->exp_idx = k.exp_idx;
	t->last_ms = now_ms;
	t->in_use = 1;
	t->first_ms = now_ms;
	t->records = 0;
	forget_gone(ctx, ex, tid, t->layout);

	if (pos >= 0) {
		ctx->stats->tpl_replaced++;
		/*
		 * Other fields (an identical refresh returned above): a new layout starts its
		 * history, unless its fingerprint is the old one's.
		 */
		if (c->tpls[pos].layout == t->layout) {
			t->first_ms = c->tpls[pos].first_ms;
			t->records = c->tpls[pos].records;
		}
	} else {
		if (ex->n_templates >= c->per_exp) {
			ctx->stats->drops[CF_STATS_DROP_TPL_PER_EXPORTER_FULL]++;
			return CF_STATS_DROP_TPL_PER_EXPORTER_FULL;
		}
		/* The lcore's template bound: the least recently used other exporter makes room. */
		while (c->n_tpls >= c->max_tpls && exp_evict_lru(ctx, ex) == 0)
			;
		if (c->n_tpls >= c->max_tpls || (pos = rte_hash_add_key(c->th, &k)) < 0) {
			ctx->stats->drops[CF_STATS_DROP_TPL_EXPORTERS_FULL]++;
			return CF_STATS_DROP_TPL_EXPORTERS_FULL;
		}
		c->tlink[pos].prev = NONE;
		c->tlink[pos].next = ex->first_tpl;
		if (ex->first_tpl != NONE)
			c->tlink[ex->first_tpl].prev = (uint32_t)pos;
		ex->first_tpl = (uint32_t)pos;
		ex->n_templates++;
		c->n_tpls++;
		ctx->stats->tpl_added++;
	}
	seq = c->tpls[pos].seq;
	slot_write_begin(&c->tpls[pos]);
	t->seq = seq | 1;
	c->raw[pos].n = n;
	c->raw[pos].scope = scope;
	memcpy(c->raw[pos].f, f, sizeof(f[0]) * n);
	/* Copy only the used steps: a template is rewritten in place. */
	memcpy(&c->tpls[pos], t, offsetof(struct cf_tpl, steps) + t->n_steps * sizeof(t->steps[0]));
	slot_write_end(&c->tpls[pos], seq);
	if (c->last_tpl == &c->tpls[pos])
		c->last_tpl = NULL;
	return CF_STATS_DROP_MAX;
}

const struct cf_tpl *
cf_tpl_find(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid, uint64_t now_ms)
{
	struct cf_tpl_cache *c = ctx->tpl;
	struct cf_tpl_key k = { .exp_idx = cf_tpl_exp_index(c, ex), .tid = tid };
	struct cf_tpl *t = c->last_tpl;
	int pos;

	if (t == NULL || t->tid != tid || t->exp_idx != k.exp_idx) {
		pos = rte_hash_lookup(c->th, &k);
		if (pos < 0)
			return NULL;
		t = &c->tpls[pos];
	}
	if (now_ms > t->last_ms && now_ms - t->last_ms > c->timeout_ms) {
		cf_tpl_remove(ctx, t, 1);
		ctx->stats->tpl_expired++;
		return NULL;
	}
	c->last_tpl = t;
	return t;
}

int
cf_tpl_withdraw(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid)
{
	struct cf_tpl_cache *c = ctx->tpl;
	struct cf_tpl_key k = { .exp_idx = cf_tpl_exp_index(c, ex), .tid = tid };
	int pos = rte_hash_lookup(c->th, &k);
	unsigned int i;

	/* Data waiting for tid was sent under the definition now withdrawn. */
	cf_tpl_pending_discard(ctx, ex, tid, CF_STATS_DROP_TPL_WAIT_WITHDRAWN);
	for (i = 0; i < CF_TPL_GONE; i++)
		if (ex->gone[i].tid == tid)
			ex->gone[i].used = 0;
	if (pos < 0) {
		ctx->stats->drops[CF_STATS_DROP_TPL_WITHDRAW_UNKNOWN]++;
		return -1;
	}
	cf_tpl_remove(ctx, &c->tpls[pos], 0);
	ctx->stats->tpl_withdrawn++;
	return 0;
}

unsigned int
cf_tpl_withdraw_all(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, enum cf_tpl_kind kind)
{
	struct cf_tpl_cache *c = ctx->tpl;
	uint32_t pos = ex->first_tpl, n = 0;

	/* Waiting data does not say its kind: a withdrawal of either kind discards it all. */
	cf_tpl_pending_discard(ctx, ex, -1, CF_STATS_DROP_TPL_WAIT_WITHDRAWN);
	memset(ex->gone, 0, sizeof(ex->gone));
	/* Its own list, not the table: a withdrawal costs what the exporter holds. */
	while (pos != NONE) {
		struct cf_tpl *t = &c->tpls[pos];

		pos = c->tlink[pos].next;
		if (t->kind == kind) {
			cf_tpl_remove(ctx, t, 0);
			n++;
		}
	}
	ctx->stats->tpl_withdrawn += n;
	return n;
}
