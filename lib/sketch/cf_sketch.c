/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The endpoint table: an open-addressing index (linear probing, at most half
 * full, backward-shift deletion; each word the key's 32-bit hash and the slot)
 * from (switch slot, endpoint) to a slot of max_endpoints entries, one LRU list
 * through every entry (the head is the least recently seen, the one evicted),
 * and per switch a list of its endpoints, which the posting round walks. A
 * switch lives in a small rte_hash while it has endpoints (looked up once per
 * run of records from one exporter), so switches never outnumber endpoints.
 *
 * Records are taken in groups of 32: keys and hashes first (index lines
 * prefetched), then the entries and register lines the first probes name are
 * prefetched, then each record is applied in order with a full lookup (so
 * insertions and evictions earlier in the group need no care). The first
 * version used rte_hash for the endpoints: 550 ns a record on the enterprise
 * workload (BENCHMARKS.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_random.h>
#include <rte_reciprocal.h>

#include "cf_sketch.h"
#include "cf_sketch_priv.h"

#define NIL UINT32_MAX
#define GROUP 32
#define HOUR_MS 3600000ull

struct sw_key {
	uint8_t addr[16];
	uint8_t v6;
	uint8_t pad[7];
};

/* The MAC at offset off of r as the low 48 bits of a word, as memcpy of its 6 bytes into a
 * zeroed word would give: one load (both MACs have room behind them inside the record). */
static inline uint64_t
mac_word(const struct cf_record *r, size_t off)
{
	uint64_t w;

	memcpy(&w, (const uint8_t *)r + off, sizeof(w));
	return rte_le_to_cpu_64(w) & 0xffffffffffffull;
}

#define SRC_MAC_OFF offsetof(struct cf_record, src_mac)
#define DST_MAC_OFF offsetof(struct cf_record, dst_mac)
_Static_assert(DST_MAC_OFF + 8 <= sizeof(struct cf_record), "a MAC is read as one word");

/* One word of NH as lib/agg does it: the word plus its random key, low half times high. */
static inline uint64_t
nh_word(uint64_t w, uint64_t key)
{
	const uint64_t y = w + key;

	return (y & 0xffffffffull) * (y >> 32);
}

/*
 * The index hash: NH over the key's three words with seeds drawn per table, then a
 * finaliser. Keys come from what strangers send (their MAC or address); with a public
 * hash they could pick keys that all land in one index word and make every lookup walk
 * all of them (test_sketch hash_flood); without the seeds, which never leave the
 * process, they cannot tell which keys collide.
 */
static inline uint32_t
key_hash(const struct cf_sketch *s, const struct sk_key *k)
{
	return (uint32_t)cf_sketch_mix64(nh_word(k->id[0], s->seed[0]) +
					 nh_word(k->id[1], s->seed[1]) +
					 nh_word(k->sw_kind, s->seed[2]));
}

/* Whether a record has a source endpoint (before its switch is known). */
static inline int
has_source(const struct cf_record *r)
{
	return ((r->present & CF_RECORD_F_SRC_MAC) && mac_word(r, SRC_MAC_OFF) != 0) ||
	       (r->present & CF_RECORD_F_SRC_ADDR);
}

static inline int
key_eq(const struct sk_key *a, const struct sk_key *b)
{
	return ((a->id[0] ^ b->id[0]) | (a->id[1] ^ b->id[1]) | (a->sw_kind ^ b->sw_kind)) == 0;
}

/* Source (src = 1) or destination identity of a record at switch slot sw; 0 when none. */
static inline int
make_key(const struct cf_record *r, int src, uint32_t sw, struct sk_key *k)
{
	const uint32_t f = r->present;
	const uint64_t mac = mac_word(r, src ? SRC_MAC_OFF : DST_MAC_OFF);
	const uint8_t *addr = src ? r->src_addr : r->dst_addr;
	unsigned int kind;

	k->id[0] = k->id[1] = 0;
	if ((f & (src ? CF_RECORD_F_SRC_MAC : CF_RECORD_F_DST_MAC)) && mac != 0) {
		k->id[0] = rte_cpu_to_le_64(mac);
		kind = SK_KIND_MAC;
	} else if (!(f & (src ? CF_RECORD_F_SRC_ADDR : CF_RECORD_F_DST_ADDR))) {
		return 0;
	} else if (f & CF_RECORD_F_SRC_V6) {
		memcpy(k->id, addr, 16);
		kind = SK_KIND_V6;
	} else {
		memcpy(k->id, addr, 4);
		kind = SK_KIND_V4;
	}
	k->sw_kind = (uint64_t)sw << 8 | kind;
	return 1;
}

size_t
cf_sketch_fixed_bytes(uint32_t max_endpoints)
{
	/* entry + key store (key + pointer) + bucket share + switch entry */
	/* entry + 2 to 4 index words + free stack + switch entry and its rte_hash share */
	return (size_t)max_endpoints * (sizeof(struct sk_ep) + 3 * 8 + 4 + sizeof(struct sk_sw) +
					sizeof(struct sw_key) + 24);
}

static struct rte_hash *
mk_hash(const char *what, unsigned int seq, uint32_t entries, uint32_t key_len, int socket)
{
	struct rte_hash_parameters hp;
	char name[RTE_HASH_NAMESIZE];

	snprintf(name, sizeof(name), "cf_sk%s%u", what, seq);
	memset(&hp, 0, sizeof(hp));
	hp.name = name;
	hp.entries = entries;
	hp.key_len = key_len;
	hp.socket_id = socket;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	/* Keyed jhash, not the default CRC (whose collisions no initial value changes):
	 * switch addresses are exporter addresses, which strangers can send from. */
	hp.hash_func = rte_jhash;
	hp.hash_func_init_val = (uint32_t)rte_rand();
	return rte_hash_create(&hp);
}

struct cf_sketch *
cf_sketch_create(const struct cf_sketch_config *cfg, cf_sketch_submit_fn submit, void *ctx,
		 char *err, size_t errlen)
{
	static unsigned int seq;
	struct cf_sketch *s;
	uint32_t i;

	if (cfg->max_endpoints == 0 || cfg->interval_s == 0 || submit == NULL) {
		snprintf(err, errlen, "sketches need a table size, an interval and a destination");
		return NULL;
	}
	s = rte_zmalloc_socket("cf_sketch", sizeof(*s), RTE_CACHE_LINE_SIZE, cfg->socket);
	if (s == NULL)
		goto nomem;
	s->cfg = *cfg;
	s->submit = submit;
	s->ctx = ctx;
	s->max = cfg->max_endpoints;
	s->slots = RTE_MAX(s->max, 8u);
	s->ep = rte_zmalloc_socket("cf_sketch_ep", sizeof(*s->ep) * s->slots, RTE_CACHE_LINE_SIZE,
				   cfg->socket);
	s->sw = rte_zmalloc_socket("cf_sketch_sw", sizeof(*s->sw) * s->slots, RTE_CACHE_LINE_SIZE,
				   cfg->socket);
	if (s->ep == NULL || s->sw == NULL)
		goto nomem;
	s->idx_mask = rte_align64pow2((uint64_t)s->slots * 2) - 1;
	s->idx = rte_zmalloc_socket("cf_sketch_idx", sizeof(*s->idx) * (s->idx_mask + 1),
				    RTE_CACHE_LINE_SIZE, cfg->socket);
	s->free_slots = rte_zmalloc_socket("cf_sketch_free", sizeof(*s->free_slots) * s->slots,
					   RTE_CACHE_LINE_SIZE, cfg->socket);
	s->sh = mk_hash("s", seq++, s->slots, sizeof(struct sw_key), cfg->socket);
	if (s->idx == NULL || s->free_slots == NULL || s->sh == NULL)
		goto nomem;
	/* Entries and index touched now (taken at start); registers are committed as used. */
	memset(s->ep, 0, sizeof(*s->ep) * s->slots);
	memset(s->idx, 0, sizeof(*s->idx) * (s->idx_mask + 1));
	/* Only max slots are handed out; the rest (rte_hash's minimum of 8) stay unused. */
	for (i = 0; i < s->max; i++)
		s->free_slots[s->n_free++] = s->max - 1 - i;
	s->last_sw = NIL;
	/* Registers: reserved for every entry, committed page by page as they are written. */
	s->dense_len = (size_t)s->slots * 2 * sizeof(struct cf_sketch_hll_dense);
	s->dense = mmap(NULL, s->dense_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->dense == MAP_FAILED) {
		s->dense = NULL;
		goto nomem;
	}
	for (i = 0; i < s->slots; i++) {
		cf_sketch_hll_init(&s->ep[i].peers, &s->dense[2 * (size_t)i]);
		cf_sketch_hll_init(&s->ep[i].ports, &s->dense[2 * (size_t)i + 1]);
	}
	s->per_hour = rte_reciprocal_value_u64(HOUR_MS);
	for (i = 0; i < RTE_DIM(s->seed); i++)
		s->seed[i] = rte_rand();
	s->hour_lo_ms = 0;         /* hour 0 (1970-01-01 00:00 UTC), as hours_mask() says */
	s->hour_bit = 1;
	s->lru_head = s->lru_tail = NIL;
	s->sw_head = s->sw_tail = NIL;
	s->rd.cur_ep = NIL;
	s->st.max_endpoints = s->max;
	s->next_round_ms = 0;
	return s;
nomem:
	snprintf(err, errlen, "out of memory for %u sketch endpoints (about %zu bytes each, plus "
		 "registers as needed): lower --sketch-max-endpoints or give the EAL more memory (-m)",
		 cfg->max_endpoints, cf_sketch_fixed_bytes(1));
	cf_sketch_free(s);
	return NULL;
}

void
cf_sketch_free(struct cf_sketch *s)
{
	if (s == NULL)
		return;
	rte_free(s->idx);
	rte_free(s->free_slots);
	rte_hash_free(s->sh);
	if (s->dense != NULL)
		munmap(s->dense, s->dense_len);
	free(s->rd.buf);
	rte_free(s->ep);
	rte_free(s->sw);
	rte_free(s);
}

/* ------------------------------------------------------------ lists */

static inline void
lru_unlink(struct cf_sketch *s, uint32_t i)
{
	struct sk_ep *e = &s->ep[i];

	if (e->lru_prev != NIL)
		s->ep[e->lru_prev].lru_next = e->lru_next;
	else
		s->lru_head = e->lru_next;
	if (e->lru_next != NIL)
		s->ep[e->lru_next].lru_prev = e->lru_prev;
	else
		s->lru_tail = e->lru_prev;
}

static inline void
lru_append(struct cf_sketch *s, uint32_t i)
{
	struct sk_ep *e = &s->ep[i];

	e->lru_next = NIL;
	e->lru_prev = s->lru_tail;
	if (s->lru_tail != NIL)
		s->ep[s->lru_tail].lru_next = i;
	else
		s->lru_head = i;
	s->lru_tail = i;
}

/* Seen now: to the LRU tail, once per second (the list stays ordered by last sight). */
static inline void
touch(struct cf_sketch *s, uint32_t i, uint64_t now_s)
{
	struct sk_ep *e = &s->ep[i];

	if (e->touch_s == (uint32_t)now_s || s->lru_tail == i) {
		e->touch_s = (uint32_t)now_s;
		return;
	}
	e->touch_s = (uint32_t)now_s;
	lru_unlink(s, i);
	lru_append(s, i);
}

/* ------------------------------------------------------------ index */

/* The slot of key k, or -1 with *at = the empty word where it would go. */
static inline int64_t
lookup(struct cf_sketch *s, const struct sk_key *k, uint32_t h, uint64_t *at)
{
	uint64_t i = h & s->idx_mask;

	for (;; i = (i + 1) & s->idx_mask, s->st.probes++) {
		uint64_t v = s->idx[i];

		if (v == 0) {
			*at = i;
			return -1;
		}
		if ((uint32_t)(v >> 32) == h && key_eq(&s->ep[(uint32_t)v - 1].key, k))
			return (int64_t)(uint32_t)v - 1;
	}
}

static void
idx_remove(struct cf_sketch *s, uint32_t slot)
{
	const uint32_t h = key_hash(s, &s->ep[slot].key);
	const uint64_t want = (uint64_t)h << 32 | (slot + 1);
	uint64_t i = h & s->idx_mask, j;

	while (s->idx[i] != want)
		i = (i + 1) & s->idx_mask;
	for (j = i;;) {
		uint64_t home;

		j = (j + 1) & s->idx_mask;
		if (s->idx[j] == 0)
			break;
		home = (s->idx[j] >> 32) & s->idx_mask;
		if (((j - home) & s->idx_mask) >= ((j - i) & s->idx_mask)) {
			s->idx[i] = s->idx[j];
			i = j;
		}
	}
	s->idx[i] = 0;
}

static void
sw_remove(struct cf_sketch *s, uint32_t w)
{
	struct sw_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, s->sw[w].addr, 16);
	k.v6 = s->sw[w].v6;
	rte_hash_del_key(s->sh, &k);
	if (s->rd.on && s->rd.next_sw == w)
		s->rd.next_sw = s->sw[w].next;
	if (s->sw[w].prev != NIL)
		s->sw[s->sw[w].prev].next = s->sw[w].next;
	else
		s->sw_head = s->sw[w].next;
	if (s->sw[w].next != NIL)
		s->sw[s->sw[w].next].prev = s->sw[w].prev;
	else
		s->sw_tail = s->sw[w].prev;
	s->sw[w].live = 0;
	s->sw_gen++;
	s->st.switches--;
	if (s->last_sw == w)
		s->last_sw = NIL;
}

static void
evict(struct cf_sketch *s, uint32_t i)
{
	struct sk_ep *e = &s->ep[i];
	struct sk_sw *w = &s->sw[e->sw];

	lru_unlink(s, i);
	if (s->rd.cur_ep == i)
		s->rd.cur_ep = e->sw_next;
	if (e->sw_prev != NIL)
		s->ep[e->sw_prev].sw_next = e->sw_next;
	else
		w->head = e->sw_next;
	if (e->sw_next != NIL)
		s->ep[e->sw_next].sw_prev = e->sw_prev;
	else
		w->tail = e->sw_prev;
	if (--w->count == 0)
		sw_remove(s, e->sw);
	s->st.dense -= (e->peers.n == CF_SKETCH_HLL_DENSE_FLAG) + (e->ports.n == CF_SKETCH_HLL_DENSE_FLAG);
	idx_remove(s, i);
	e->live = 0;
	s->free_slots[s->n_free++] = i;
	s->count--;
	s->st.endpoints = s->count;
}

/* The switch slot of a record's exporter; created if new and create is set, else NIL. */
static uint32_t
sw_find_slow(struct cf_sketch *s, const struct cf_record *r, int create)
{
	const uint8_t v6 = (r->present & CF_RECORD_F_EXPORTER_V6) != 0;
	struct sw_key k;
	int32_t p;
	struct sk_sw *w;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, r->exporter, 16);
	k.v6 = v6;
	p = rte_hash_lookup(s->sh, &k);
	if (p >= 0)
		goto found;
	if (!create)
		return NIL;
	p = rte_hash_add_key(s->sh, &k);
	if (p < 0)
		return NIL;
	w = &s->sw[p];
	memcpy(w->addr, k.addr, 16);
	w->v6 = k.v6;
	w->head = w->tail = NIL;
	w->count = 0;
	w->live = 1;
	w->next = NIL;
	w->prev = s->sw_tail;
	if (s->sw_tail != NIL)
		s->sw[s->sw_tail].next = (uint32_t)p;
	else
		s->sw_head = (uint32_t)p;
	s->sw_tail = (uint32_t)p;
	cf_sketch_addr_text(w->text, w->addr, w->v6);
	s->st.switches++;
found:
	memcpy(s->last_sw_addr, r->exporter, 16);
	s->last_sw_v6 = v6;
	s->last_sw = (uint32_t)p;
	return (uint32_t)p;
}

/* sw_find_slow() after a check of the last record's switch: records come in runs from one
 * exporter, so this is nearly always the answer. */
static inline uint32_t
sw_find(struct cf_sketch *s, const struct cf_record *r, int create)
{
	const uint8_t v6 = (r->present & CF_RECORD_F_EXPORTER_V6) != 0;

	if (likely(s->last_sw != NIL && s->last_sw_v6 == v6 &&
		   memcmp(s->last_sw_addr, r->exporter, 16) == 0))
		return s->last_sw;
	return sw_find_slow(s, r, create);
}

/* A new endpoint for key k at index word at; the slot (k names the switch it is in). */
static uint32_t
insert(struct cf_sketch *s, const struct cf_record *r, struct sk_key *k, uint32_t *h,
       uint64_t at, uint64_t now_s)
{
	struct sk_ep *e;
	struct sk_sw *w;
	uint32_t p, ws = (uint32_t)(k->sw_kind >> 8);

	if (s->count >= s->max) {
		evict(s, s->lru_head);
		s->st.evicted++;
		/* That may have emptied (freed) our switch, and moved the empty index word. */
		if (!s->sw[ws].live) {
			ws = sw_find(s, r, 1);
			k->sw_kind = (uint64_t)ws << 8 | (k->sw_kind & 0xff);
			*h = key_hash(s, k);
		}
		(void)lookup(s, k, *h, &at);
	}
	p = s->free_slots[--s->n_free];
	e = &s->ep[p];
	e->key = *k;
	s->idx[at] = (uint64_t)*h << 32 | (p + 1);
	e->bytes_out = e->bytes_in = e->flows = 0;
	e->first_m1 = UINT64_MAX;
	e->last_ms = 0;
	e->hours = 0;
	cf_sketch_hll_clear(&e->peers);
	cf_sketch_hll_clear(&e->ports);
	e->kind = (uint8_t)k->sw_kind;
	e->sw = ws;
	e->live = 1;
	e->active = 0;
	e->touch_s = (uint32_t)now_s;
	lru_append(s, p);
	w = &s->sw[ws];
	e->sw_next = NIL;
	e->sw_prev = w->tail;
	if (w->tail != NIL)
		s->ep[w->tail].sw_next = p;
	else
		w->head = p;
	w->tail = p;
	w->count++;
	s->count++;
	s->st.endpoints = s->count;
	return p;
}

/*
 * A key built before the group began names the record's switch by slot; an eviction
 * since may have freed that slot (and a new switch taken it). Rebuilt when so; 0 when
 * the record's switch has no slot now (and create is 0). gen: s->sw_gen when the key was
 * built (no switch freed since: the key is current, nothing to compare).
 */
static inline int
key_current(struct cf_sketch *s, const struct cf_record *r, int src, struct sk_key *k,
	    uint32_t *h, int create, uint32_t gen)
{
	const struct sk_sw *w = &s->sw[k->sw_kind >> 8];
	uint32_t ws;

	if (likely(s->sw_gen == gen))
		return 1;
	if (w->live && memcmp(w->addr, r->exporter, 16) == 0 &&
	    w->v6 == ((r->present & CF_RECORD_F_EXPORTER_V6) != 0))
		return 1;
	ws = sw_find(s, r, create);
	if (ws == NIL)
		return 0;
	make_key(r, src, ws, k);
	*h = key_hash(s, k);
	return 1;
}

/* ------------------------------------------------------------ records */

/* Every UTC hour from the one of ms0 to the one of ms1, as bits of a 24-bit day. */
static uint32_t
hours_mask(struct cf_sketch *s, uint64_t ms0, uint64_t ms1)
{
	uint64_t h0 = rte_reciprocal_divide_u64(ms0, &s->per_hour), m;
	uint64_t h1 = ms1 < ms0 ? h0 : rte_reciprocal_divide_u64(ms1, &s->per_hour);

	if (h1 - h0 >= 23)
		return 0xffffff;
	m = ((1ull << (h1 - h0 + 1)) - 1) << (h0 % 24);
	m = (m | m >> 24) & 0xffffff;
	if (h1 == h0) {
		s->hour_lo_ms = h0 * HOUR_MS;
		s->hour_bit = (uint32_t)m;
	}
	return (uint32_t)m;
}

/* hours_mask(), without its divides for a flow inside the hour the last one-hour flow was
 * in: nearly every record of a run. */
static inline uint32_t
hours_of(struct cf_sketch *s, uint64_t ms0, uint64_t ms1)
{
	if (likely(ms0 - s->hour_lo_ms < HOUR_MS &&
		   (ms1 < ms0 || ms1 - s->hour_lo_ms < HOUR_MS)))
		return s->hour_bit;
	return hours_mask(s, ms0, ms1);
}

static inline void
hll_add(struct cf_sketch *s, struct cf_sketch_hll *h, uint64_t hash)
{
	uint16_t was = h->n;

	cf_sketch_hll_add(h, hash);
	s->st.dense += was != CF_SKETCH_HLL_DENSE_FLAG && h->n == CF_SKETCH_HLL_DENSE_FLAG;
}

static inline void
as_source(struct cf_sketch *s, struct sk_ep *e, const struct cf_record *r, uint64_t peer_h,
	  uint64_t port_h)
{
	const uint32_t f = r->present;
	uint64_t ms0 = r->flow_start_ms, ms1 = r->flow_end_ms;

	if (!(f & CF_RECORD_F_FLOW_START))
		ms0 = ms1;
	if (!(f & CF_RECORD_F_FLOW_END))
		ms1 = ms0;
	e->bytes_out += r->bytes;
	e->flows++;
	e->first_m1 = RTE_MIN(e->first_m1, ms0 - 1);
	e->last_ms = RTE_MAX(e->last_ms, ms1);
	e->hours |= hours_of(s, ms0, ms1);
	e->active = 1;
	if (f & CF_RECORD_F_DST_ADDR)
		hll_add(s, &e->peers, peer_h);
	if (f & CF_RECORD_F_PROTOCOL)
		hll_add(s, &e->ports, port_h);
}

static void
group(struct cf_sketch *s, const struct cf_record *r, unsigned int n, const struct cf_record *next,
      unsigned int n_next, uint64_t now_s)
{
	struct sk_key sk[GROUP], dk[GROUP];
	uint64_t ph[GROUP], qh[GROUP];
	uint32_t sh[GROUP], dh[GROUP];
	uint8_t sok[GROUP], dok[GROUP];
	const uint32_t gen = s->sw_gen;
	unsigned int i;

	/* 1: keys and hashes; the index lines are fetched meanwhile, and the three lines the
	 * next group's records are read by (the fourth never is). */
	for (i = 0; i < n; i++) {
		/* A switch is made for a record that brings a source endpoint only. */
		uint32_t sw = sw_find(s, &r[i], has_source(&r[i]));

		if (i < n_next) {
			rte_prefetch0(&next[i]);
			rte_prefetch0((const char *)&next[i] + 64);
			rte_prefetch0((const char *)&next[i] + 128);
		}

		sok[i] = sw != NIL && (uint8_t)make_key(&r[i], 1, sw, &sk[i]);
		dok[i] = sw != NIL && (uint8_t)make_key(&r[i], 0, sw, &dk[i]);
		if (sok[i]) {
			const struct cf_record *x = &r[i];

			sh[i] = key_hash(s, &sk[i]);
			rte_prefetch0(&s->idx[sh[i] & s->idx_mask]);
			ph[i] = cf_sketch_hash_addr(x->dst_addr, (x->present & CF_RECORD_F_SRC_V6) != 0);
			qh[i] = cf_sketch_hash_port(x->protocol,
						    (x->present & CF_RECORD_F_PORTS) ? x->dst_port : 0);
		}
		if (dok[i]) {
			dh[i] = key_hash(s, &dk[i]);
			rte_prefetch0(&s->idx[dh[i] & s->idx_mask]);
		}
	}
	/* 2: the entries the first probes name, and the source's register lines. */
	for (i = 0; i < n; i++) {
		uint64_t v;

		if (sok[i] && (v = s->idx[sh[i] & s->idx_mask]) != 0) {
			uint32_t p = (uint32_t)v - 1;

			rte_prefetch0(&s->ep[p]);
			rte_prefetch0((const char *)&s->ep[p] + 64);
			rte_prefetch0(&s->dense[2 * (size_t)p].reg[ph[i] >> (64 - CF_SKETCH_HLL_P)]);
			rte_prefetch0(&s->dense[2 * (size_t)p + 1].reg[qh[i] >> (64 - CF_SKETCH_HLL_P)]);
		}
		if (dok[i] && (v = s->idx[dh[i] & s->idx_mask]) != 0)
			rte_prefetch0(&s->ep[(uint32_t)v - 1]);
	}
	/* 3: in order. */
	for (i = 0; i < n; i++) {
		uint64_t at = 0;
		int64_t p;

		if (!sok[i]) {
			s->st.no_endpoint++;
		} else {
			key_current(s, &r[i], 1, &sk[i], &sh[i], 1, gen);
			p = lookup(s, &sk[i], sh[i], &at);
			if (p < 0)
				p = insert(s, &r[i], &sk[i], &sh[i], at, now_s);
			as_source(s, &s->ep[p], &r[i], ph[i], qh[i]);
			touch(s, (uint32_t)p, now_s);
		}
		if (dok[i] && key_current(s, &r[i], 0, &dk[i], &dh[i], 0, gen) &&
		    (p = lookup(s, &dk[i], dh[i], &at)) >= 0) {
			s->ep[p].bytes_in += r[i].bytes;
			touch(s, (uint32_t)p, now_s);
		}
	}
}

void
cf_sketch_add(struct cf_sketch *s, const struct cf_record *r, unsigned int n, uint64_t now_ms)
{
	unsigned int off;

	s->st.records_in += n;
	if (s->next_round_ms == 0)
		s->next_round_ms = now_ms + (uint64_t)s->cfg.interval_s * 1000;
	for (off = 0; off < n; off += GROUP)
		group(s, r + off, RTE_MIN((unsigned int)GROUP, n - off), r + off + GROUP,
		      n - off > GROUP ? RTE_MIN((unsigned int)GROUP, n - off - GROUP) : 0,
		      now_ms / 1000);
}

void
cf_sketch_stats(const struct cf_sketch *s, struct cf_sketch_stats *st)
{
	const volatile struct cf_sketch_stats *v = &s->st;

	st->records_in = v->records_in;
	st->no_endpoint = v->no_endpoint;
	st->endpoints = v->endpoints;
	st->max_endpoints = v->max_endpoints;
	st->evicted = v->evicted;
	st->probes = v->probes;
	st->switches = v->switches;
	st->dense = v->dense;
	st->rounds = v->rounds;
	st->bodies = v->bodies;
	st->sketches = v->sketches;
	st->dropped = v->dropped;
	st->submit_waits = v->submit_waits;
}
