/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The aggregation table: rte_hash (extendable buckets, so every one of
 * max_entries keys fits) maps a key to a slot; slot i holds the aggregate as
 * a cf_record, and a FIFO of slots in creation order gives both the normal
 * emission order (first record + interval) and the early-flush order (oldest
 * first).
 *
 * A key is the record's 64-bit words that hold a chosen field, each ANDed
 * with the bytes of the chosen fields (and their presence bits), preceded by
 * the flow_end window number. Built once per record with a fixed word list,
 * no per-field copies; unset fields are zero in every record (cf_record.h),
 * so equal fields give equal words.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_random.h>

#include "cf_agg.h"

#define REC_WORDS (sizeof(struct cf_record) / 8)
#define KEY_WORDS_MAX (REC_WORDS + 1)
/* Records looked up together (rte_hash bulk lookup limit). */
#define GROUP_MAX 64
#define OUT_MAX 64

struct key_info {
	const char *name;
	size_t off, size;
	uint32_t bits;
};

static const struct key_info keys_tab[CF_AGG_KEY_MAX] = {
#define CF_AGG_X(e, n, f, p) \
	[CF_AGG_KEY_##e] = {n, offsetof(struct cf_record, f), sizeof(((struct cf_record *)0)->f), p},
	CF_AGG_KEY_TABLE(CF_AGG_X)
#undef CF_AGG_X
};

struct slot_meta {
	uint64_t created_ms;
	uint32_t sig;
	uint32_t live;
};

struct cf_agg {
	struct rte_hash *h;
	struct cf_record *ent;
	struct slot_meta *meta;
	uint32_t *fifo;            /* slots in creation order: head .. head + live */
	uint32_t head;
	uint32_t live;
	uint32_t cap;              /* open aggregates at most */
	uint32_t slots;            /* positions rte_hash may return (>= cap) */
	uint32_t group;
	uint64_t interval_ms;
	unsigned int nw;           /* record words in the key */
	uint8_t widx[REC_WORDS];
	uint64_t wmask[REC_WORDS];
	uint64_t recmask[REC_WORDS]; /* what a new aggregate keeps of its first record */
	cf_agg_emit_fn emit;
	void *ctx;
	unsigned int nout;
	struct cf_agg_stats st;
	struct cf_record out[OUT_MAX];
};

/* NH-style universal hash over the key words (random per process), then a 64-bit finaliser:
 * the products are independent, so a 15-word key costs a handful of cycles. */
static uint64_t nh_key[KEY_WORDS_MAX + 1];

static inline uint64_t
fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static inline uint32_t
key_hash(const uint64_t *k, unsigned int n)
{
	unsigned __int128 acc = 0;
	unsigned int i;

	for (i = 0; i + 1 < n; i += 2)
		acc += (unsigned __int128)(k[i] + nh_key[i]) * (k[i + 1] + nh_key[i + 1]);
	if (n & 1)
		acc += (unsigned __int128)(k[n - 1] + nh_key[n - 1]) * nh_key[n];
	return (uint32_t)fmix64((uint64_t)acc ^ (uint64_t)(acc >> 64) ^ n);
}

static uint32_t
hash_fn(const void *key, uint32_t key_len, uint32_t init_val)
{
	(void)init_val;
	return key_hash(key, key_len / 8);
}

const char *
cf_agg_key_name(unsigned int k)
{
	return k < CF_AGG_KEY_MAX ? keys_tab[k].name : "?";
}

int
cf_agg_keys_parse(const char *spec, uint64_t *keys, char *err, size_t errlen)
{
	const char *p = spec;
	uint64_t k = 0;

	if (strcmp(spec, "off") == 0) {
		*keys = 0;
		return 0;
	}
	if (strcmp(spec, "on") == 0) {
		*keys = CF_AGG_KEYS_DEFAULT;
		return 0;
	}
	while (1) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		unsigned int i;

		for (i = 0; i < CF_AGG_KEY_MAX; i++)
			if (strlen(keys_tab[i].name) == len && strncmp(keys_tab[i].name, p, len) == 0)
				break;
		if (i == CF_AGG_KEY_MAX) {
			char list[600];

			cf_agg_keys_format((1ull << CF_AGG_KEY_MAX) - 1, list, sizeof(list));
			snprintf(err, errlen, "'%.*s' is not a record key; keys: %s (or on, off)",
				 (int)(len > 64 ? 64 : len), p, list);
			return -1;
		}
		k |= 1ull << i;
		if (e == NULL)
			break;
		p = e + 1;
	}
	*keys = k;
	return 0;
}

int
cf_agg_keys_format(uint64_t keys, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	if (len != 0)
		buf[0] = '\0';
	if (keys == 0)
		return snprintf(buf, len, "off");
	for (i = 0; i < CF_AGG_KEY_MAX; i++) {
		int n;

		if (!(keys & (1ull << i)))
			continue;
		n = snprintf(buf + (used < len ? used : len), used < len ? len - used : 0, "%s%s",
			     used ? "," : "", keys_tab[i].name);
		used += (size_t)n;
	}
	return (int)used;
}

/* Byte masks of the chosen fields (key) and of what an aggregate keeps (rec). */
static void
build_masks(uint64_t keys, uint8_t key[sizeof(struct cf_record)],
	    uint8_t rec[sizeof(struct cf_record)])
{
	uint32_t bits = 0, keep;
	unsigned int i;

	memset(key, 0, sizeof(struct cf_record));
	for (i = 0; i < CF_AGG_KEY_MAX; i++) {
		if (!(keys & (1ull << i)))
			continue;
		memset(key + keys_tab[i].off, 0xff, keys_tab[i].size);
		bits |= keys_tab[i].bits;
	}
	memcpy(key + offsetof(struct cf_record, present), &bits, sizeof(bits));
	memcpy(rec, key, sizeof(struct cf_record));
	/* Sums and times are rewritten by every fold; version and domain are checked. */
	memset(rec + offsetof(struct cf_record, bytes), 0xff, 32);
	rec[offsetof(struct cf_record, version)] = 0xff;
	memset(rec + offsetof(struct cf_record, observation_domain), 0xff, 4);
	keep = bits | CF_RECORD_F_BYTES | CF_RECORD_F_PACKETS | CF_RECORD_F_FLOW_START |
	       CF_RECORD_F_FLOW_END;
	memcpy(rec + offsetof(struct cf_record, present), &keep, sizeof(keep));
}

size_t
cf_agg_entry_bytes(uint64_t keys)
{
	uint8_t km[sizeof(struct cf_record)], rm[sizeof(struct cf_record)];
	unsigned int i, nw = 0;

	build_masks(keys, km, rm);
	for (i = 0; i < REC_WORDS; i++) {
		uint64_t w;

		memcpy(&w, km + 8 * i, 8);
		nw += w != 0;
	}
	/* slot + meta + fifo + key store (key + data pointer, 16-aligned) + ~2 bucket entries */
	return sizeof(struct cf_record) + sizeof(struct slot_meta) + 4 +
	       RTE_ALIGN_CEIL((nw + 1) * 8 + 8, 16) + 16;
}

struct cf_agg *
cf_agg_create(const struct cf_agg_config *cfg, cf_agg_emit_fn emit, void *ctx, char *err,
	      size_t errlen)
{
	static unsigned int seq;
	uint8_t km[sizeof(struct cf_record)], rm[sizeof(struct cf_record)];
	struct rte_hash_parameters hp;
	struct cf_agg *a;
	char name[RTE_HASH_NAMESIZE];
	unsigned int i;

	if (cfg->keys == 0 || cfg->interval_s == 0 || cfg->max_entries == 0 || emit == NULL) {
		snprintf(err, errlen, "aggregation needs keys, an interval and a table size");
		return NULL;
	}
	if (nh_key[0] == 0)
		for (i = 0; i < RTE_DIM(nh_key); i++)
			nh_key[i] = rte_rand() | 1;
	a = rte_zmalloc_socket("cf_agg", sizeof(*a), RTE_CACHE_LINE_SIZE, cfg->socket);
	if (a == NULL)
		goto nomem;
	a->cap = cfg->max_entries;
	/* rte_hash wants a bucket's worth at least; the FIFO keeps us at cap. */
	a->slots = RTE_MAX(a->cap, 8u);
	a->interval_ms = (uint64_t)cfg->interval_s * 1000;
	a->emit = emit;
	a->ctx = ctx;
	/* Room for a whole group is made before its lookups (no slot may vanish under a lookup
	 * result), so a small table gets small groups. */
	a->group = RTE_MAX(1u, RTE_MIN((uint32_t)GROUP_MAX, a->cap / 4));
	build_masks(cfg->keys, km, rm);
	for (i = 0; i < REC_WORDS; i++) {
		uint64_t w;

		memcpy(&w, km + 8 * i, 8);
		memcpy(&a->recmask[i], rm + 8 * i, 8);
		if (w == 0)
			continue;
		a->widx[a->nw] = (uint8_t)i;
		a->wmask[a->nw++] = w;
	}
	a->ent = rte_zmalloc_socket("cf_agg_ent", sizeof(*a->ent) * a->slots, RTE_CACHE_LINE_SIZE,
				    cfg->socket);
	a->meta = rte_zmalloc_socket("cf_agg_meta", sizeof(*a->meta) * a->slots,
				     RTE_CACHE_LINE_SIZE, cfg->socket);
	a->fifo = rte_zmalloc_socket("cf_agg_fifo", sizeof(*a->fifo) * a->cap, RTE_CACHE_LINE_SIZE,
				     cfg->socket);
	if (a->ent == NULL || a->meta == NULL || a->fifo == NULL)
		goto nomem;
	snprintf(name, sizeof(name), "cf_agg%u", seq++);
	memset(&hp, 0, sizeof(hp));
	hp.name = name;
	hp.entries = a->slots;
	hp.key_len = (a->nw + 1) * 8;
	hp.hash_func = hash_fn;
	hp.socket_id = cfg->socket;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	a->h = rte_hash_create(&hp);
	if (a->h == NULL)
		goto nomem;
	a->st.max_entries = a->cap;
	return a;
nomem:
	snprintf(err, errlen, "out of DPDK memory for %u aggregation entries (about %zu bytes "
		 "each): lower --aggregate-max-entries or give the EAL more memory (-m)",
		 cfg->max_entries, cf_agg_entry_bytes(cfg->keys));
	cf_agg_free(a);
	return NULL;
}

void
cf_agg_free(struct cf_agg *a)
{
	if (a == NULL)
		return;
	rte_hash_free(a->h);
	rte_free(a->ent);
	rte_free(a->meta);
	rte_free(a->fifo);
	rte_free(a);
}

static inline unsigned int
make_key(const struct cf_agg *a, const struct cf_record *r, uint64_t *k)
{
	const uint64_t *w = (const uint64_t *)(const void *)r;
	unsigned int i;

	k[0] = r->flow_end_ms / a->interval_ms;
	for (i = 0; i < a->nw; i++)
		k[i + 1] = w[a->widx[i]] & a->wmask[i];
	return a->nw + 1;
}

static void
out_flush(struct cf_agg *a)
{
	if (a->nout == 0)
		return;
	a->emit(a->ctx, a->out, a->nout);
	a->nout = 0;
}

static inline void
out_put(struct cf_agg *a, const struct cf_record *e)
{
	a->out[a->nout++] = *e;
	a->st.aggregates_out++;
	if (a->nout == OUT_MAX)
		out_flush(a);
}

/* Starts an aggregate in slot p with its first record. */
static inline void
entry_init(struct cf_agg *a, struct cf_record *e, const struct cf_record *r)
{
	uint64_t *d = (uint64_t *)(void *)e;
	const uint64_t *s = (const uint64_t *)(const void *)r;
	unsigned int i;

	for (i = 0; i < REC_WORDS; i++)
		d[i] = s[i] & a->recmask[i];
	e->present |= CF_RECORD_F_FLOWS;
	e->flows = 1;
}

static inline void
fold(struct cf_agg *a, struct cf_record *e, const struct cf_record *r)
{
	uint64_t b, p;

	if (unlikely(__builtin_add_overflow(e->bytes, r->bytes, &b) |
		     __builtin_add_overflow(e->packets, r->packets, &p) | (e->flows == UINT64_MAX))) {
		/* Close it rather than wrap; the record starts the next one in the same slot. */
		out_put(a, e);
		entry_init(a, e, r);
		a->st.overflow_splits++;
		return;
	}
	e->bytes = b;
	e->packets = p;
	e->flows++;
	a->st.folded++;
	if ((r->present & CF_RECORD_F_FLOW_START) &&
	    (!(e->present & CF_RECORD_F_FLOW_START) || r->flow_start_ms < e->flow_start_ms)) {
		e->flow_start_ms = r->flow_start_ms;
		e->present |= CF_RECORD_F_FLOW_START;
	}
	if ((r->present & CF_RECORD_F_FLOW_END) &&
	    (!(e->present & CF_RECORD_F_FLOW_END) || r->flow_end_ms > e->flow_end_ms)) {
		e->flow_end_ms = r->flow_end_ms;
		e->present |= CF_RECORD_F_FLOW_END;
	}
	if (e->version != r->version)
		e->version = 0;
	if (e->observation_domain != r->observation_domain)
		e->observation_domain = 0;
}

/* Emits the oldest aggregate and frees its slot. */
static void
emit_oldest(struct cf_agg *a)
{
	uint32_t p = a->fifo[a->head];
	void *key;

	out_put(a, &a->ent[p]);
	if (rte_hash_get_key_with_position(a->h, (int32_t)p, &key) == 0)
		rte_hash_del_key_with_hash(a->h, key, a->meta[p].sig);
	a->meta[p].live = 0;
	a->head = a->head + 1 == a->cap ? 0 : a->head + 1;
	a->live--;
}

static inline void
create(struct cf_agg *a, uint32_t p, uint32_t sig, const struct cf_record *r, uint64_t now_ms)
{
	uint32_t tail = a->head + a->live;

	entry_init(a, &a->ent[p], r);
	a->meta[p].created_ms = now_ms;
	a->meta[p].sig = sig;
	a->meta[p].live = 1;
	a->fifo[tail >= a->cap ? tail - a->cap : tail] = p;
	a->live++;
}

void
cf_agg_add(struct cf_agg *a, const struct cf_record *r, unsigned int n, uint64_t now_ms)
{
	uint64_t keys[GROUP_MAX][KEY_WORDS_MAX];
	const void *kp[GROUP_MAX];
	uint32_t sig[GROUP_MAX];
	int32_t pos[GROUP_MAX];
	unsigned int off, i, m;

	a->st.records_in += n;
	for (off = 0; off < n; off += m) {
		m = RTE_MIN(a->group, n - off);
		while (a->live + m > a->cap) {
			emit_oldest(a);
			a->st.early_flushes++;
		}
		for (i = 0; i < m; i++) {
			unsigned int kw = make_key(a, &r[off + i], keys[i]);

			kp[i] = keys[i];
			sig[i] = key_hash(keys[i], kw);
		}
		rte_hash_lookup_with_hash_bulk(a->h, kp, sig, m, pos);
		for (i = 0; i < m; i++) {
			const struct cf_record *rec = &r[off + i];
			int32_t p = pos[i];

			if (p < 0) {
				/* New here, or added by an earlier record of this group. */
				p = rte_hash_add_key_with_hash(a->h, kp[i], sig[i]);
				if (unlikely(p < 0)) {
					/* Cannot happen with extendable buckets and room made
					 * above; never lose the record: it leaves alone. */
					struct cf_record one;

					entry_init(a, &one, rec);
					out_put(a, &one);
					continue;
				}
				if (!a->meta[p].live) {
					create(a, (uint32_t)p, sig[i], rec, now_ms);
					continue;
				}
			}
			fold(a, &a->ent[p], rec);
		}
	}
	out_flush(a);
	a->st.open = a->live;
}

unsigned int
cf_agg_poll(struct cf_agg *a, uint64_t now_ms, unsigned int budget)
{
	unsigned int n = 0;

	while (a->live != 0 && (budget == 0 || n < budget) &&
	       a->meta[a->fifo[a->head]].created_ms + a->interval_ms <= now_ms) {
		emit_oldest(a);
		n++;
	}
	out_flush(a);
	a->st.open = a->live;
	return n;
}

void
cf_agg_flush(struct cf_agg *a)
{
	while (a->live != 0)
		emit_oldest(a);
	out_flush(a);
	a->st.open = 0;
}

void
cf_agg_stats(const struct cf_agg *a, struct cf_agg_stats *s)
{
	const volatile struct cf_agg_stats *v = &a->st;

	s->records_in = v->records_in;
	s->folded = v->folded;
	s->aggregates_out = v->aggregates_out;
	s->open = v->open;
	s->early_flushes = v->early_flushes;
	s->overflow_splits = v->overflow_splits;
	s->max_entries = v->max_entries;
}
