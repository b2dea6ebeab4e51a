/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The aggregation table. Aggregates are created and leave in the same order
 * (interval after their first record, or oldest first when the table is
 * full), so their slots are a ring: the head is the oldest. An open-addressing
 * index (linear probing, at most half full, backward-shift deletion) maps a
 * key's hash to its slot; each index word holds the 32-bit hash and the slot,
 * so a probe compares keys only on a hash match.
 *
 * A key is the record's 64-bit words that hold a chosen field, each ANDed
 * with the bytes of the chosen fields (and their presence bits), preceded by
 * the flow_end window number: built per record with a fixed word list, no
 * per-field copies; unset fields are zero in every record (cf_record.h), so
 * equal fields give equal words. The aggregate itself is a cf_record (the
 * chosen fields of its first record, then the sums), so a key compare reads
 * the slot's own words, and leaving is one copy.
 *
 * rte_hash was the first version (BENCHMARKS.md "Aggregation table"): with a
 * key per record to add and later delete at 70 % of records on the enterprise
 * workload, it cost 320-870 ns a record; this table, with its lookups done in
 * groups of 32 whose index and slot lines are prefetched first, is the one
 * measured there now.
 */
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_random.h>
#include <rte_reciprocal.h>

#include "cf_agg.h"

#define REC_WORDS (sizeof(struct cf_record) / 8)
#define GROUP 32

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

/*
 * What the table keeps of an open aggregate besides the record lives in the record's
 * inner-header address bytes (an aggregate never carries an inner header: its presence
 * bits are not kept), zeroed again before it leaves: one cache line fewer per new key.
 */
struct slot_meta {
	uint64_t window;           /* flow_end window: the key's first word */
	uint64_t created_ms;
	uint32_t hash;
} __attribute__((packed));

#define META_OFF offsetof(struct cf_record, inner_src_addr)
#define META_LEN (offsetof(struct cf_record, inner_dst_addr) + \
		  sizeof(((struct cf_record *)0)->inner_dst_addr) - META_OFF)
_Static_assert(offsetof(struct cf_record, inner_dst_addr) ==
		       META_OFF + sizeof(((struct cf_record *)0)->inner_src_addr) &&
	       sizeof(struct slot_meta) <= META_LEN,
	       "slot bookkeeping fits the record's inner-header addresses");

#define META(e) ((struct slot_meta *)(void *)((uint8_t *)(e) + META_OFF))
#define META_CLEAR(e) memset((uint8_t *)(e) + META_OFF, 0, META_LEN)

struct cf_agg {
	struct cf_record *ent;     /* ring of cap slots: head .. head + live - 1 are open */
	uint64_t *idx;             /* hash << 32 | slot + 1; 0 = empty */
	uint64_t idx_mask;
	uint32_t head;
	uint32_t live;
	uint32_t cap;
	uint64_t interval_ms;
	struct rte_reciprocal_u64 per_window; /* flow_end / interval without a divide */
	/* Key: the record's words ANDed with kmask, word 0 (bytes, never a key) replaced by
	 * the window. Fixed-length loops over all 32 words: the compiler makes them vector
	 * code, cheaper than visiting only the words that hold keys. */
	uint64_t kmask[REC_WORDS] __attribute__((aligned(32)));
	uint64_t recmask[REC_WORDS] __attribute__((aligned(32))); /* kept of a first record */
	uint64_t seed[REC_WORDS] __attribute__((aligned(32)));
	uint32_t group;            /* records looked up together (room made first) */
	int service_port;          /* the service_port key: the client's port zeroed per record */
	cf_agg_emit_fn emit;
	void *ctx;
	struct cf_agg_stats st;
};

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

/*
 * NH over 32-bit halves (sum of lo * hi of each word plus its seed, seeds random per
 * table), then a finaliser. Written with the vector multiply of 32-bit halves because
 * GCC vectorises the plain C into a full 64-bit multiply (three multiplies a lane); the
 * sum is the same in every branch.
 */
static inline uint32_t
key_hash(const struct cf_agg *a, const uint64_t *k)
{
	uint64_t acc = 0;
	unsigned int i;

#if defined(__AVX2__)
	__m256i v = _mm256_setzero_si256();

	for (i = 0; i < REC_WORDS; i += 4) {
		__m256i y = _mm256_add_epi64(_mm256_loadu_si256((const void *)&k[i]),
					     _mm256_loadu_si256((const void *)&a->seed[i]));

		v = _mm256_add_epi64(v, _mm256_mul_epu32(y, _mm256_srli_epi64(y, 32)));
	}
	acc = (uint64_t)_mm256_extract_epi64(v, 0) + (uint64_t)_mm256_extract_epi64(v, 1) +
	      (uint64_t)_mm256_extract_epi64(v, 2) + (uint64_t)_mm256_extract_epi64(v, 3);
#elif defined(__SSE2__)
	__m128i v = _mm_setzero_si128();

	for (i = 0; i < REC_WORDS; i += 2) {
		__m128i y = _mm_add_epi64(_mm_loadu_si128((const void *)&k[i]),
					  _mm_loadu_si128((const void *)&a->seed[i]));

		v = _mm_add_epi64(v, _mm_mul_epu32(y, _mm_srli_epi64(y, 32)));
	}
	acc = (uint64_t)_mm_cvtsi128_si64(v) +
	      (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));
#else
	for (i = 0; i < REC_WORDS; i++) {
		uint64_t y = k[i] + a->seed[i];

		acc += (uint64_t)(uint32_t)y * (uint32_t)(y >> 32);
	}
#endif
	return (uint32_t)fmix64(acc);
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
	if ((k & CF_AGG_BIT(SERVICE_PORT)) && (k & (CF_AGG_BIT(SRC_PORT) | CF_AGG_BIT(DST_PORT)))) {
		snprintf(err, errlen, "service_port is the server's port of the two (src_port or "
			 "dst_port, the other zeroed): give it or src_port/dst_port, not both");
		return -1;
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
	/* service_port's row names src_port; the rule reads and keeps both ports. */
	if (keys & CF_AGG_BIT(SERVICE_PORT))
		memset(key + offsetof(struct cf_record, dst_port), 0xff,
		       sizeof(((struct cf_record *)0)->dst_port));
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
	(void)keys;
	/* slot + 2 to 4 index words (the index is a power of 2 >= twice the slots) */
	return sizeof(struct cf_record) + 3 * sizeof(uint64_t);
}

static size_t
idx_words(uint32_t cap)
{
	return rte_align64pow2((uint64_t)cap * 2);
}

struct cf_agg *
cf_agg_create(const struct cf_agg_config *cfg, cf_agg_emit_fn emit, void *ctx, char *err,
	      size_t errlen)
{
	uint8_t km[sizeof(struct cf_record)], rm[sizeof(struct cf_record)];
	struct cf_agg *a;
	unsigned int i;

	if (cfg->keys == 0 || cfg->interval_s == 0 || cfg->max_entries == 0 || emit == NULL) {
		snprintf(err, errlen, "aggregation needs keys, an interval and a table size");
		return NULL;
	}
	a = rte_zmalloc_socket("cf_agg", sizeof(*a), RTE_CACHE_LINE_SIZE, cfg->socket);
	if (a == NULL)
		goto nomem;
	a->cap = cfg->max_entries;
	a->interval_ms = (uint64_t)cfg->interval_s * 1000;
	a->per_window = rte_reciprocal_value_u64(a->interval_ms);
	a->emit = emit;
	a->ctx = ctx;
	for (i = 0; i < RTE_DIM(a->seed); i++)
		a->seed[i] = rte_rand() | 1;
	build_masks(cfg->keys, km, rm);
	memcpy(a->kmask, km, sizeof(a->kmask));
	memcpy(a->recmask, rm, sizeof(a->recmask));
	a->idx_mask = idx_words(a->cap) - 1;
	a->ent = rte_zmalloc_socket("cf_agg_ent", sizeof(*a->ent) * a->cap, RTE_CACHE_LINE_SIZE,
				    cfg->socket);
	a->idx = rte_zmalloc_socket("cf_agg_idx", sizeof(*a->idx) * idx_words(a->cap),
				    RTE_CACHE_LINE_SIZE, cfg->socket);
	if (a->ent == NULL || a->idx == NULL)
		goto nomem;
	/* Touch every page now (rte_zmalloc may hand out untouched zero pages): the memory is
	 * taken at start, and no page fault ever lands on the drain path. */
	memset(a->ent, 0, sizeof(*a->ent) * a->cap);
	memset(a->idx, 0, sizeof(*a->idx) * idx_words(a->cap));
	/* Room for a whole group is made before it (so no slot is reused under a lookup),
	 * so a small table gets small groups. */
	a->group = RTE_MAX(1u, RTE_MIN((uint32_t)GROUP, a->cap / 4));
	a->service_port = (cfg->keys & CF_AGG_BIT(SERVICE_PORT)) != 0;
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
	rte_free(a->ent);
	rte_free(a->idx);
	rte_free(a);
}

/* service_port: in the record image img (key or aggregate) of r, the client's port -> 0. */
static inline void
client_port_zero(uint8_t *img, const struct cf_record *r)
{
	const size_t off = r->src_port < r->dst_port ? offsetof(struct cf_record, dst_port) :
						       offsetof(struct cf_record, src_port);

	memset(img + off, 0, sizeof(r->src_port));
}

static inline void
make_key(const struct cf_agg *a, const struct cf_record *r, uint64_t *k)
{
	const uint64_t *w = (const uint64_t *)(const void *)r;
	unsigned int i;

	for (i = 0; i < REC_WORDS; i++)
		k[i] = w[i] & a->kmask[i];
	k[0] = rte_reciprocal_divide_u64(r->flow_end_ms, &a->per_window);
	if (a->service_port)
		client_port_zero((uint8_t *)k, r);
}

/* Slot s holds key k (hashes already matched). */
static inline int
key_eq(const struct cf_agg *a, uint32_t s, const uint64_t *k)
{
	const uint64_t *w = (const uint64_t *)(const void *)&a->ent[s];
	uint64_t diff = META(&a->ent[s])->window ^ k[0];
	unsigned int i;

	for (i = 1; i < REC_WORDS; i++)
		diff |= (w[i] & a->kmask[i]) ^ k[i];
	return diff == 0;
}

/* The slot of key k, or -1 with *at = the empty index word where it would go. */
static inline int64_t
lookup(const struct cf_agg *a, const uint64_t *k, uint32_t h, uint64_t *at)
{
	uint64_t i = h & a->idx_mask;

	for (;; i = (i + 1) & a->idx_mask) {
		uint64_t v = a->idx[i];

		if (v == 0) {
			*at = i;
			return -1;
		}
		if ((uint32_t)(v >> 32) == h && key_eq(a, (uint32_t)v - 1, k))
			return (int64_t)(uint32_t)v - 1;
	}
}

/* Removes slot s from the index (backward-shift deletion keeps probes unbroken). */
static void
idx_remove(struct cf_agg *a, uint32_t s)
{
	const uint32_t h = META(&a->ent[s])->hash;
	const uint64_t want = (uint64_t)h << 32 | (s + 1);
	uint64_t i = h & a->idx_mask, j;

	while (a->idx[i] != want)
		i = (i + 1) & a->idx_mask;
	for (j = i;;) {
		uint64_t home;

		j = (j + 1) & a->idx_mask;
		if (a->idx[j] == 0)
			break;
		home = (a->idx[j] >> 32) & a->idx_mask;
		/* Moves back only an entry whose home is not in (i, j]. */
		if (((j - home) & a->idx_mask) >= ((j - i) & a->idx_mask)) {
			a->idx[i] = a->idx[j];
			i = j;
		}
	}
	a->idx[i] = 0;
}

/* Starts an aggregate with its first record. */
static inline void
entry_init(const struct cf_agg *a, struct cf_record *e, const struct cf_record *r)
{
	uint64_t *d = (uint64_t *)(void *)e;
	const uint64_t *s = (const uint64_t *)(const void *)r;
	unsigned int i;

	for (i = 0; i < REC_WORDS; i++)
		d[i] = s[i] & a->recmask[i];
	if (a->service_port)
		client_port_zero((uint8_t *)e, r);
	e->present |= CF_RECORD_F_FLOWS;
	e->flows = 1;
}

static inline void
fold(struct cf_agg *a, struct cf_record *e, const struct cf_record *r)
{
	uint64_t b, p;
	/* Evaluated together, one branch (ints, not booleans: the | is meant). */
	int wrap = (int)__builtin_add_overflow(e->bytes, r->bytes, &b) |
		   (int)__builtin_add_overflow(e->packets, r->packets, &p) |
		   (int)(e->flows == UINT64_MAX);

	if (unlikely(wrap)) {
		/* Close it rather than wrap; the record starts the next one in the same slot. */
		struct cf_record done = *e;
		struct slot_meta keep = *META(e);

		META_CLEAR(&done);
		a->st.aggregates_out++;
		a->emit(a->ctx, &done, 1);
		entry_init(a, e, r);
		*META(e) = keep;
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

/*
 * Emits the k oldest aggregates (k <= live) and frees their slots: they are
 * consecutive in the ring, so the output reads them where they are (one call
 * per run, two when the run wraps).
 */
static void
emit_oldest(struct cf_agg *a, uint32_t k)
{
	while (k != 0) {
		uint32_t run = RTE_MIN(k, a->cap - a->head), i;

		for (i = 0; i < run; i++) {
			struct cf_record *e = &a->ent[a->head + i];

			if (i + 4 < run)
				rte_prefetch0(&a->idx[META(e + 4)->hash & a->idx_mask]);
			idx_remove(a, a->head + i);
			META_CLEAR(e);
		}
		a->st.aggregates_out += run;
		a->emit(a->ctx, &a->ent[a->head], run);
		a->head = a->head + run == a->cap ? 0 : a->head + run;
		a->live -= run;
		k -= run;
	}
}

void
cf_agg_add(struct cf_agg *a, const struct cf_record *r, unsigned int n, uint64_t now_ms)
{
	uint64_t keys[GROUP][REC_WORDS] __attribute__((aligned(32)));
	uint32_t h[GROUP];
	unsigned int off, i, m;

	a->st.records_in += n;
	for (off = 0; off < n; off += m) {
		m = RTE_MIN(a->group, n - off);
		if (a->live + m > a->cap) {
			a->st.early_flushes += a->live + m - a->cap;
			emit_oldest(a, a->live + m - a->cap);
		}
		/* 1: keys and hashes; the index lines are fetched meanwhile, and the slots new
		 * keys will take (the ring's next ones), and the records of the next group. */
		for (i = 0; i < m; i++) {
			uint32_t t = a->head + a->live + i;
			const char *nx = (const char *)&r[off + m + i];

			t = t >= a->cap ? t - a->cap : t;
			if (t < a->cap && i < a->cap - a->live) {
				rte_prefetch0(&a->ent[t]);
				rte_prefetch0((const char *)&a->ent[t] + 64);
				rte_prefetch0((const char *)&a->ent[t] + 128);
			}
			if (off + m + i < n) {
				rte_prefetch0(nx);
				rte_prefetch0(nx + 64);
				rte_prefetch0(nx + 128);
			}
		}
		for (i = 0; i < m; i++) {
			make_key(a, &r[off + i], keys[i]);
			h[i] = key_hash(a, keys[i]);
			rte_prefetch0(&a->idx[h[i] & a->idx_mask]);
		}
		/* 2: the slot each first hash match names, for the compare and the fold. */
		for (i = 0; i < m; i++) {
			uint64_t v = a->idx[h[i] & a->idx_mask];

			if (v != 0) {
				const char *e = (const char *)&a->ent[(uint32_t)v - 1];

				rte_prefetch0(e);
				rte_prefetch0(e + 64);
				rte_prefetch0(e + 128);
			}
		}
		/* 3: in order, each record into its aggregate (found again: earlier records of
		 * the group may have added or moved some). */
		for (i = 0; i < m; i++) {
			const struct cf_record *rec = &r[off + i];
			uint64_t at = 0;
			int64_t s = lookup(a, keys[i], h[i], &at);
			uint32_t t;

			if (s >= 0) {
				fold(a, &a->ent[s], rec);
				continue;
			}
			t = a->head + a->live;
			if (t >= a->cap)
				t -= a->cap;
			entry_init(a, &a->ent[t], rec);
			META(&a->ent[t])->window = keys[i][0];
			META(&a->ent[t])->created_ms = now_ms;
			META(&a->ent[t])->hash = h[i];
			a->idx[at] = (uint64_t)h[i] << 32 | (t + 1);
			a->live++;
		}
	}
	a->st.open = a->live;
}

unsigned int
cf_agg_poll(struct cf_agg *a, uint64_t now_ms, unsigned int budget)
{
	uint32_t n = 0, s = a->head;

	/* Creation order is hold-time order: count the due run, then send it in one go. */
	while (n < a->live && (budget == 0 || n < budget) &&
	       META(&a->ent[s])->created_ms + a->interval_ms <= now_ms) {
		n++;
		s = s + 1 == a->cap ? 0 : s + 1;
	}
	emit_oldest(a, n);
	a->st.open = a->live;
	return n;
}

void
cf_agg_flush(struct cf_agg *a)
{
	emit_oldest(a, a->live);
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
