/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names from options data (interfaceName/Description by ifIndex, VRFname by
 * VRF id, applicationName by applicationId), one bounded table per lcore
 * keyed by (exporter state, kind, id). Flow records carry a reference (table,
 * slot, identity) that the encoders on the control lcore resolve: the RX
 * lcore is the only writer; readers copy a name between two equal even
 * values of its seq, and a reference whose slot was given to another key
 * since (its identity moved) reads as unknown.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "cf_tpl.h"
#include "cf_tpl_priv.h"

/* A reference: 7 bits of table, 14 of slot, 11 of identity; 0 is none. */
#define REF_SLOT_BITS 14
#define REF_IDENT_BITS 11
#define REF_TABLES 128
_Static_assert(CF_TPL_NAMES_PER_LCORE <= (1u << REF_SLOT_BITS), "name slots fit a reference");

struct name_key {
	uint32_t exp_idx;
	uint32_t kind;
	uint64_t key;
};

struct cf_tpl_names_view {
	unsigned int n;
	const struct cf_tpl_cache *c[];
};

int
cf_tpl_names_setup(struct cf_tpl_cache *c, const char *name, int socket_id)
{
	char hn[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.entries = CF_TPL_NAMES_PER_LCORE,
		.key_len = sizeof(struct name_key),
		/* jhash keyed per table, not CRC: a CRC's collisions do not depend on its
		 * initial value, and the names are what exporters send. */
		.hash_func = rte_jhash,
		.hash_func_init_val = (uint32_t)rte_rand(),
		.socket_id = socket_id,
	};

	snprintf(hn, sizeof(hn), "%s_n", name);
	hp.name = hn;
	c->nh = rte_hash_create(&hp);
	if (c->nh == NULL)
		return -ENOMEM;
	c->n_name_slots = (uint32_t)rte_hash_max_key_id(c->nh) + 1;
	if (c->n_name_slots > (1u << REF_SLOT_BITS))
		c->n_name_slots = 1u << REF_SLOT_BITS;
	c->names = rte_zmalloc_socket(name, sizeof(struct cf_tpl_name) * c->n_name_slots, 64,
				      socket_id);
	return c->names == NULL ? -ENOMEM : 0;
}

void
cf_tpl_names_free(struct cf_tpl_cache *c)
{
	rte_hash_free(c->nh);
	rte_free(c->names);
	c->nh = NULL;
	c->names = NULL;
}

static inline uint32_t
make_ref(const struct cf_tpl_cache *c, uint32_t slot, uint16_t ident)
{
	return (uint32_t)(c->names_id + 1u) << (REF_SLOT_BITS + REF_IDENT_BITS) |
	       slot << REF_IDENT_BITS | (ident & ((1u << REF_IDENT_BITS) - 1));
}

/* The exporter's one-entry lookup caches no longer hold. */
static inline void
names_changed(struct cf_tpl_exp *ex)
{
	memset(ex->name_last, 0, sizeof(ex->name_last));
}

void
cf_tpl_names_set(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, enum cf_tpl_name_kind kind,
		 uint64_t key, const uint8_t *name, uint32_t len)
{
	struct cf_tpl_cache *c = ctx->tpl;
	struct name_key k = { .exp_idx = cf_tpl_exp_index(c, ex), .kind = kind, .key = key };
	struct cf_tpl_name *nm;
	int pos = rte_hash_lookup(c->nh, &k), fresh = pos < 0;
	uint32_t seq;

	if (len > CF_TPL_NAME_MAX)
		len = CF_TPL_NAME_MAX;
	if (fresh) {
		if (ex->n_names >= CF_TPL_NAMES_PER_EXPORTER ||
		    (pos = rte_hash_add_key(c->nh, &k)) < 0 || (uint32_t)pos >= c->n_name_slots) {
			if (pos >= 0)
				rte_hash_del_key(c->nh, &k);
			ctx->stats->drops[CF_STATS_DROP_OPT_NAMES_FULL]++;
			return;
		}
	}
	nm = &c->names[pos];
	if (!fresh && nm->len == len && memcmp(nm->name, name, len) == 0)
		return; /* the periodic re-send of the same table */
	seq = nm->seq;
	__atomic_store_n(&nm->seq, seq | 1, __ATOMIC_RELAXED);
	rte_smp_wmb();
	if (fresh) {
		nm->ident++;
		nm->kind = (uint8_t)kind;
		nm->exp_idx = k.exp_idx;
		nm->key = key;
		ex->n_names++;
		ex->n_names_kind[kind]++;
		c->n_names++;
	}
	memcpy(nm->name, name, len);
	nm->name[len] = '\0';
	nm->len = (uint8_t)len;
	rte_smp_wmb();
	__atomic_store_n(&nm->seq, (seq | 1) + 1, __ATOMIC_RELEASE);
	names_changed(ex);
}

uint32_t
cf_tpl_names_ref(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, enum cf_tpl_name_kind kind,
		 uint64_t key, enum cf_record_name use)
{
	struct cf_tpl_cache *c = ctx->tpl;
	struct name_key k = { .exp_idx = cf_tpl_exp_index(c, ex), .kind = kind, .key = key };
	int pos;

	/* Records of one flow burst share their interfaces: one lookup per change, per use. */
	if (ex->name_last[use].valid && ex->name_last[use].key == key)
		return ex->name_last[use].ref;
	pos = rte_hash_lookup(c->nh, &k);
	ex->name_last[use].key = key;
	ex->name_last[use].valid = 1;
	ex->name_last[use].ref = pos < 0 ? 0 : make_ref(c, (uint32_t)pos, c->names[pos].ident);
	return ex->name_last[use].ref;
}

void
cf_tpl_names_drop_exp(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex)
{
	struct cf_tpl_cache *c = ctx->tpl;
	uint32_t idx = cf_tpl_exp_index(c, ex), i;

	for (i = 0; i < c->n_name_slots && ex->n_names != 0; i++) {
		struct cf_tpl_name *nm = &c->names[i];
		struct name_key k = { .exp_idx = idx, .kind = nm->kind, .key = nm->key };
		uint32_t seq;

		if (nm->len == 0 || nm->exp_idx != idx || rte_hash_lookup(c->nh, &k) != (int)i)
			continue;
		rte_hash_del_key(c->nh, &k);
		seq = nm->seq;
		__atomic_store_n(&nm->seq, seq | 1, __ATOMIC_RELAXED);
		rte_smp_wmb();
		nm->ident++; /* references to it read as unknown from now on */
		nm->len = 0;
		rte_smp_wmb();
		__atomic_store_n(&nm->seq, (seq | 1) + 1, __ATOMIC_RELEASE);
		ex->n_names--;
		c->n_names--;
	}
	ex->n_names = 0;
	memset(ex->n_names_kind, 0, sizeof(ex->n_names_kind));
	names_changed(ex);
}

struct cf_tpl_names_view *
cf_tpl_names_view_new(struct cf_decode_ctx *const *ctx, unsigned int n)
{
	struct cf_tpl_names_view *v;
	unsigned int i;

	if (n >= REF_TABLES)
		n = REF_TABLES - 1;
	v = calloc(1, sizeof(*v) + n * sizeof(v->c[0]));
	if (v == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		v->c[i] = ctx[i]->tpl;
		if (ctx[i]->tpl != NULL)
			ctx[i]->tpl->names_id = (uint8_t)i;
	}
	v->n = n;
	return v;
}

void
cf_tpl_names_view_free(struct cf_tpl_names_view *v)
{
	free(v);
}

int
cf_tpl_names_lookup(void *view, uint32_t ref, char *buf)
{
	const struct cf_tpl_names_view *v = view;
	uint32_t table = (ref >> (REF_SLOT_BITS + REF_IDENT_BITS)), slot, ident, s1, s2, len;
	const struct cf_tpl_cache *c;
	const struct cf_tpl_name *nm;
	int tries;

	if (v == NULL || table == 0 || table > v->n || (c = v->c[table - 1]) == NULL)
		return -1;
	slot = (ref >> REF_IDENT_BITS) & ((1u << REF_SLOT_BITS) - 1);
	ident = ref & ((1u << REF_IDENT_BITS) - 1);
	if (slot >= c->n_name_slots)
		return -1;
	nm = &c->names[slot];
	for (tries = 0; tries < 8; tries++) {
		s1 = __atomic_load_n(&nm->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		len = nm->len;
		if ((nm->ident & ((1u << REF_IDENT_BITS) - 1)) != ident || len == 0 ||
		    len > CF_TPL_NAME_MAX)
			len = 0;
		else
			memcpy(buf, nm->name, len);
		rte_smp_rmb();
		s2 = __atomic_load_n(&nm->seq, __ATOMIC_RELAXED);
		if (s1 != s2)
			continue;
		if (len == 0)
			return -1;
		buf[len] = '\0';
		return (int)len;
	}
	return -1;
}
