/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The endpoint table: an rte_hash (extendable buckets) from (switch, endpoint)
 * to a slot of max_endpoints entries, one LRU list through every entry (the
 * head is the least recently seen, the one evicted), and per switch a list of
 * its endpoints, which the posting round walks. A switch lives in its own small
 * rte_hash while it has endpoints, so switches never outnumber endpoints.
 *
 * Records are taken in groups: their source and destination keys are looked
 * up in two bulk lookups, then applied in order. An insertion or eviction in
 * the middle of a group can make a later lookup result stale; those few are
 * looked up again (see apply()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "cf_sketch.h"
#include "cf_sketch_priv.h"

#define NIL UINT32_MAX
#define GROUP 32

struct ep_key {
	uint8_t sw[16];
	uint8_t id[16];
	uint8_t sw_v6;
	uint8_t kind;              /* SK_KIND_* */
	uint8_t pad[14];
};

struct sw_key {
	uint8_t addr[16];
	uint8_t v6;
	uint8_t pad[7];
};

static int
is_zero_mac(const uint8_t *m)
{
	return (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0;
}

/* Source (src = 1) or destination identity of a record at its switch; 0 when it has none. */
static inline int
make_key(const struct cf_record *r, int src, struct ep_key *k)
{
	const uint32_t f = r->present;
	const uint8_t *mac = src ? r->src_mac : r->dst_mac;
	const uint8_t *addr = src ? r->src_addr : r->dst_addr;

	memset(k, 0, sizeof(*k));
	memcpy(k->sw, r->exporter, 16);
	k->sw_v6 = (f & CF_RECORD_F_EXPORTER_V6) != 0;
	if ((f & (src ? CF_RECORD_F_SRC_MAC : CF_RECORD_F_DST_MAC)) && !is_zero_mac(mac)) {
		memcpy(k->id, mac, 6);
		k->kind = SK_KIND_MAC;
		return 1;
	}
	if (!(f & (src ? CF_RECORD_F_SRC_ADDR : CF_RECORD_F_DST_ADDR)))
		return 0;
	if (f & CF_RECORD_F_SRC_V6) {
		memcpy(k->id, addr, 16);
		k->kind = SK_KIND_V6;
	} else {
		memcpy(k->id, addr, 4);
		k->kind = SK_KIND_V4;
	}
	return 1;
}

size_t
cf_sketch_fixed_bytes(uint32_t max_endpoints)
{
	/* entry + key store (key + pointer) + bucket share + switch entry */
	return (size_t)max_endpoints * (sizeof(struct sk_ep) + sizeof(struct ep_key) + 8 + 16 +
					sizeof(struct sk_sw) + sizeof(struct sw_key) + 24);
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
	s->eh = mk_hash("e", seq, s->slots, sizeof(struct ep_key), cfg->socket);
	s->sh = mk_hash("s", seq++, s->slots, sizeof(struct sw_key), cfg->socket);
	if (s->eh == NULL || s->sh == NULL)
		goto nomem;
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
	s->lru_head = s->lru_tail = NIL;
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
	rte_hash_free(s->eh);
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

/* Seen now: to the LRU tail, once per clock value (the list stays ordered by last sight). */
static inline void
touch(struct cf_sketch *s, uint32_t i, uint64_t now_ms)
{
	struct sk_ep *e = &s->ep[i];

	if (e->touch_ms == now_ms || s->lru_tail == i) {
		e->touch_ms = now_ms;
		return;
	}
	e->touch_ms = now_ms;
	lru_unlink(s, i);
	lru_append(s, i);
}

static void
sw_remove(struct cf_sketch *s, uint32_t w)
{
	struct sw_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, s->sw[w].addr, 16);
	k.v6 = s->sw[w].v6;
	rte_hash_del_key(s->sh, &k);
	s->sw[w].live = 0;
	s->st.switches--;
}

static void
evict(struct cf_sketch *s, uint32_t i)
{
	struct sk_ep *e = &s->ep[i];
	struct sk_sw *w = &s->sw[e->sw];
	void *key;

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
	if (rte_hash_get_key_with_position(s->eh, (int32_t)i, &key) == 0)
		rte_hash_del_key(s->eh, key);
	e->live = 0;
	s->count--;
	s->st.endpoints = s->count;
}

/* The switch slot of a record's exporter, created if new; NIL if the table refuses. */
static uint32_t
sw_get(struct cf_sketch *s, const struct ep_key *ek)
{
	struct sw_key k;
	int32_t p;
	struct sk_sw *w;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, ek->sw, 16);
	k.v6 = ek->sw_v6;
	p = rte_hash_lookup(s->sh, &k);
	if (p >= 0)
		return (uint32_t)p;
	p = rte_hash_add_key(s->sh, &k);
	if (p < 0)
		return NIL;
	w = &s->sw[p];
	memcpy(w->addr, k.addr, 16);
	w->v6 = k.v6;
	w->head = w->tail = NIL;
	w->count = 0;
	w->live = 1;
	cf_sketch_addr_text(w->text, w->addr, w->v6);
	s->st.switches++;
	return (uint32_t)p;
}

/* A new endpoint for key k (room is made first); the slot, or NIL. */
static uint32_t
insert(struct cf_sketch *s, const struct ep_key *k, hash_sig_t sig, uint64_t now_ms,
       uint32_t *evicted)
{
	struct sk_ep *e;
	struct sk_sw *w;
	uint32_t ws;
	int32_t p;

	*evicted = NIL;
	if (s->count >= s->max) {
		*evicted = s->lru_head;
		evict(s, s->lru_head);
		s->st.evicted++;
	}
	ws = sw_get(s, k);
	if (ws == NIL)
		return NIL;
	p = rte_hash_add_key_with_hash(s->eh, k, sig);
	if (p < 0) {
		if (s->sw[ws].count == 0)
			sw_remove(s, ws);
		return NIL;
	}
	e = &s->ep[p];
	e->bytes_out = e->bytes_in = e->flows = 0;
	e->first_s = e->last_s = 0;
	e->hours = 0;
	cf_sketch_hll_clear(&e->peers);
	cf_sketch_hll_clear(&e->ports);
	memcpy(e->id, k->id, 16);
	e->kind = k->kind;
	e->sw = ws;
	e->live = 1;
	e->active = 0;
	e->touch_ms = now_ms;
	lru_append(s, (uint32_t)p);
	w = &s->sw[ws];
	e->sw_next = NIL;
	e->sw_prev = w->tail;
	if (w->tail != NIL)
		s->ep[w->tail].sw_next = (uint32_t)p;
	else
		w->head = (uint32_t)p;
	w->tail = (uint32_t)p;
	w->count++;
	s->count++;
	s->st.endpoints = s->count;
	return (uint32_t)p;
}

/* ------------------------------------------------------------ records */

/* Every UTC hour from the one of s0 to the one of s1, as bits of a 24-bit day. */
static inline uint32_t
hours_mask(uint64_t s0, uint64_t s1)
{
	uint64_t h0 = s0 / 3600, h1 = s1 < s0 ? h0 : s1 / 3600, m;

	if (h1 - h0 >= 23)
		return 0xffffff;
	m = ((1ull << (h1 - h0 + 1)) - 1) << (h0 % 24);
	return (uint32_t)((m | m >> 24) & 0xffffff);
}

static inline void
hll_add(struct cf_sketch *s, struct cf_sketch_hll *h, uint64_t hash)
{
	uint16_t was = h->n;

	cf_sketch_hll_add(h, hash);
	s->st.dense += was != CF_SKETCH_HLL_DENSE_FLAG && h->n == CF_SKETCH_HLL_DENSE_FLAG;
}

static inline void
as_source(struct cf_sketch *s, struct sk_ep *e, const struct cf_record *r)
{
	const uint32_t f = r->present;
	uint64_t s0 = r->flow_start_ms / 1000, s1 = r->flow_end_ms / 1000;

	if (!(f & CF_RECORD_F_FLOW_START))
		s0 = s1;
	if (!(f & CF_RECORD_F_FLOW_END))
		s1 = s0;
	e->bytes_out += r->bytes;
	e->flows++;
	if (e->first_s == 0 || s0 < e->first_s)
		e->first_s = (uint32_t)s0;
	if (s1 > e->last_s)
		e->last_s = (uint32_t)s1;
	e->hours |= hours_mask(s0, s1);
	e->active = 1;
	if (f & CF_RECORD_F_DST_ADDR)
		hll_add(s, &e->peers, cf_sketch_hash_addr(r->dst_addr, (f & CF_RECORD_F_SRC_V6) != 0));
	if (f & CF_RECORD_F_PROTOCOL)
		hll_add(s, &e->ports, cf_sketch_hash_port(r->protocol,
							  (f & CF_RECORD_F_PORTS) ? r->dst_port : 0));
}

static inline int
was_evicted(const uint32_t *ev, unsigned int nev, int32_t p)
{
	unsigned int i;

	for (i = 0; i < nev; i++)
		if (ev[i] == (uint32_t)p)
			return 1;
	return 0;
}

/*
 * A lookup result taken before the group began, made current: a slot evicted
 * since is looked up again, and after an insertion a miss is too (the key may be
 * the one just added).
 */
static inline int32_t
fresh(struct cf_sketch *s, int32_t p, const struct ep_key *k, hash_sig_t sig, const uint32_t *ev,
      unsigned int nev, int inserted)
{
	if ((p >= 0 && nev != 0 && was_evicted(ev, nev, p)) || (p < 0 && inserted))
		return rte_hash_lookup_with_hash(s->eh, k, sig);
	return p;
}

static void
group(struct cf_sketch *s, const struct cf_record *r, unsigned int n, uint64_t now_ms)
{
	struct ep_key sk[GROUP], dk[GROUP];
	const void *skp[GROUP], *dkp[GROUP];
	hash_sig_t ssig[GROUP], dsig[GROUP];
	int32_t spos[GROUP], dpos[GROUP];
	uint32_t ev[GROUP];
	uint8_t sok[GROUP], dok[GROUP];
	unsigned int i, ns = 0, nd = 0, nev = 0;
	int inserted = 0;

	for (i = 0; i < n; i++) {
		sok[i] = (uint8_t)make_key(&r[i], 1, &sk[i]);
		dok[i] = (uint8_t)make_key(&r[i], 0, &dk[i]);
		if (sok[i]) {
			ssig[ns] = rte_hash_hash(s->eh, &sk[i]);
			skp[ns++] = &sk[i];
		}
		if (dok[i]) {
			dsig[nd] = rte_hash_hash(s->eh, &dk[i]);
			dkp[nd++] = &dk[i];
		}
	}
	if (ns != 0)
		rte_hash_lookup_with_hash_bulk(s->eh, skp, ssig, ns, spos);
	if (nd != 0)
		rte_hash_lookup_with_hash_bulk(s->eh, dkp, dsig, nd, dpos);
	for (i = 0, ns = 0, nd = 0; i < n; i++) {
		int32_t p;

		if (!sok[i]) {
			s->st.no_endpoint++;
			nd += dok[i];
			continue;
		}
		p = fresh(s, spos[ns], &sk[i], ssig[ns], ev, nev, inserted);
		if (p < 0) {
			uint32_t gone;

			p = (int32_t)insert(s, &sk[i], ssig[ns], now_ms, &gone);
			if (gone != NIL)
				ev[nev++] = gone;
			inserted = 1;
		}
		ns++;
		if (p >= 0 && (uint32_t)p != NIL) {
			as_source(s, &s->ep[p], &r[i]);
			touch(s, (uint32_t)p, now_ms);
		}
		if (dok[i]) {
			p = fresh(s, dpos[nd], &dk[i], dsig[nd], ev, nev, inserted);
			nd++;
			if (p >= 0) {
				s->ep[p].bytes_in += r[i].bytes;
				touch(s, (uint32_t)p, now_ms);
			}
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
		group(s, r + off, RTE_MIN((unsigned int)GROUP, n - off), now_ms);
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
	st->switches = v->switches;
	st->dense = v->dense;
	st->rounds = v->rounds;
	st->bodies = v->bodies;
	st->sketches = v->sketches;
	st->dropped = v->dropped;
	st->submit_waits = v->submit_waits;
}
