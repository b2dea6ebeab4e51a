/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-lcore sFlow state: the unknown-type table and the interface counter table. */
#include <stddef.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "cf_sflow_priv.h"

/* The family is part of the key: 10.0.0.1 and 0a00:0001:: must not share an entry. */
struct ifc_key {
	uint8_t agent[16];
	uint32_t ifindex;
	uint8_t v6;
	uint8_t pad[3];
};

struct cf_sflow_lcore *
cf_sflow_lcore_create(const char *name, int socket_id, uint32_t max_ifc)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.key_len = sizeof(struct ifc_key),
		.hash_func = rte_jhash,
		.hash_func_init_val = (uint32_t)rte_rand(), /* keyed: see cf_exporter.c */
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct cf_decode_lru_node *nodes;
	struct cf_sflow_lcore *s;
	uint32_t prot;

	s = rte_zmalloc_socket(name, sizeof(*s), 64, socket_id);
	if (s == NULL)
		return NULL;
	s->ifc_max = max_ifc ? max_ifc : 4096;
	/* Twice the bound: a full table keeps its buckets half empty, inserts stay cheap. */
	hp.entries = s->ifc_max < 8 ? 16 : 2 * s->ifc_max;
	s->ifc_hash = rte_hash_create(&hp);
	if (s->ifc_hash == NULL)
		goto fail;
	s->ifc_slots = (uint32_t)rte_hash_max_key_id(s->ifc_hash) + 1;
	s->ifc =
		rte_zmalloc_socket(name, sizeof(struct cf_sflow_ifc) * s->ifc_slots, 64, socket_id);
	nodes = rte_zmalloc_socket(name, sizeof(*nodes) * s->ifc_slots, 64, socket_id);
	s->lru.n = nodes;
	if (s->ifc == NULL || nodes == NULL)
		goto fail;
	prot = s->ifc_max - s->ifc_max / 4;
	cf_decode_lru_init(&s->lru, nodes, s->ifc_slots, prot ? prot : 1);
	return s;
fail:
	cf_sflow_lcore_free(s);
	return NULL;
}

void
cf_sflow_lcore_free(struct cf_sflow_lcore *s)
{
	if (s == NULL)
		return;
	rte_hash_free(s->ifc_hash);
	rte_free(s->ifc);
	rte_free(s->lru.n);
	rte_free(s);
}

void
cf_sflow_unknown_hit(struct cf_sflow_lcore *s, enum cf_sflow_kind kind, uint32_t enterprise,
		     uint32_t format)
{
	unsigned int i;

	if (s == NULL)
		return;
	/* A handful of distinct unknown types per lcore at most: a linear scan is enough. */
	for (i = 0; i < CF_SFLOW_UNKNOWN_SLOTS; i++) {
		struct cf_sflow_unknown *u = &s->unknown[i];

		if (!u->used) {
			u->used = 1;
			u->kind = (uint8_t)kind;
			u->enterprise = enterprise;
			u->format = (uint16_t)format;
			u->count = 1;
			return;
		}
		if (u->kind == kind && u->enterprise == enterprise && u->format == format) {
			u->count++;
			return;
		}
	}
	s->unknown_overflow++;
}

static void
ifc_key(struct ifc_key *k, const uint8_t agent[16], uint8_t v6, uint32_t ifindex)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->agent, agent, 16);
	k->ifindex = ifindex;
	k->v6 = v6 ? 1 : 0;
}

/* The least recently updated interface leaves; readers see its entry unused. */
static void
ifc_evict(struct cf_sflow_lcore *s)
{
	uint32_t v = cf_decode_lru_victim(&s->lru);
	struct cf_sflow_ifc *e;
	struct ifc_key k;

	if (v == CF_DECODE_LRU_NONE)
		return;
	e = &s->ifc[v];
	ifc_key(&k, e->agent, e->agent_v6, e->ifindex);
	rte_hash_del_key(s->ifc_hash, &k);
	cf_decode_lru_del(&s->lru, v);
	__atomic_store_n(&e->used, 0, __ATOMIC_RELEASE);
	s->ifc_count--;
}

struct cf_sflow_ifc *
cf_sflow_ifc_get(struct cf_sflow_lcore *s, const uint8_t agent[16], uint8_t v6, uint32_t ifindex,
		 int *evicted)
{
	struct ifc_key k;
	struct cf_sflow_ifc *e;
	uint32_t gen;
	int pos;

	ifc_key(&k, agent, v6, ifindex);
	pos = rte_hash_lookup(s->ifc_hash, &k);
	if (pos >= 0) {
		/* Updated before: a real interface, protected from one-off pairs. */
		if (s->ifc[pos].samples != 0)
			cf_decode_lru_promote(&s->lru, (uint32_t)pos);
		return &s->ifc[pos];
	}
	if (s->ifc_count >= s->ifc_max) {
		ifc_evict(s);
		*evicted = 1;
	}
	pos = rte_hash_add_key(s->ifc_hash, &k);
	if (pos < 0) {
		s->ifc_full++;
		return NULL;
	}
	e = &s->ifc[pos];
	/* Odd while written: a reader never takes the new key with the old counters. */
	gen = e->gen;
	__atomic_store_n(&e->gen, gen + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memset((uint8_t *)e + offsetof(struct cf_sflow_ifc, present), 0,
	       sizeof(*e) - offsetof(struct cf_sflow_ifc, present));
	memcpy(e->agent, agent, 16);
	e->agent_v6 = v6;
	e->ifindex = ifindex;
	__atomic_store_n(&e->gen, gen + 2, __ATOMIC_RELEASE);
	/* Set last: a reader scanning the array skips the slot until it is whole. */
	__atomic_store_n(&e->used, 1, __ATOMIC_RELEASE);
	cf_decode_lru_add(&s->lru, (uint32_t)pos);
	s->ifc_count++;
	return e;
}

uint32_t
cf_sflow_ifc_slots(const struct cf_sflow_lcore *s)
{
	return s->ifc_slots;
}

const struct cf_sflow_ifc *
cf_sflow_ifc_at(const struct cf_sflow_lcore *s, uint32_t i)
{
	return i < s->ifc_slots ? &s->ifc[i] : NULL;
}

const struct cf_sflow_ifc *
cf_sflow_ifc_lookup(const struct cf_sflow_lcore *s, const uint8_t agent[16], int v6,
		    uint32_t ifindex)
{
	struct ifc_key k;
	int pos;

	ifc_key(&k, agent, (uint8_t)(v6 != 0), ifindex);
	pos = rte_hash_lookup(s->ifc_hash, &k);
	return pos >= 0 ? &s->ifc[pos] : NULL;
}

uint32_t
cf_sflow_ifc_count(const struct cf_sflow_lcore *s)
{
	return s->ifc_count;
}

uint64_t
cf_sflow_ifc_full(const struct cf_sflow_lcore *s)
{
	return s->ifc_full;
}

const struct cf_sflow_unknown *
cf_sflow_unknown_at(const struct cf_sflow_lcore *s, uint32_t i)
{
	return i < CF_SFLOW_UNKNOWN_SLOTS ? &s->unknown[i] : NULL;
}

uint64_t
cf_sflow_unknown_overflow(const struct cf_sflow_lcore *s)
{
	return s->unknown_overflow;
}
