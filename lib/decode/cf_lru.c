/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segmented LRU over table indexes (cf_decode.h). Two doubly linked lists
 * threaded through one node array: probation (new entries) and protected
 * (entries a table promoted). Every call is O(1).
 */
#include "cf_decode.h"

#define NONE CF_DECODE_LRU_NONE

void
cf_decode_lru_init(struct cf_decode_lru *l, struct cf_decode_lru_node *nodes, uint32_t n,
		   uint32_t protected_max)
{
	uint32_t i;

	l->n = nodes;
	for (i = 0; i < n; i++) {
		nodes[i].prev = nodes[i].next = NONE;
		nodes[i].seg = CF_DECODE_LRU_OUT;
	}
	l->head[0] = l->head[1] = l->tail[0] = l->tail[1] = NONE;
	l->count[0] = l->count[1] = 0;
	l->protected_max = protected_max;
}

static void
unlink_(struct cf_decode_lru *l, uint32_t i)
{
	struct cf_decode_lru_node *x = &l->n[i];
	uint8_t s = x->seg;

	if (x->prev != NONE)
		l->n[x->prev].next = x->next;
	else
		l->head[s] = x->next;
	if (x->next != NONE)
		l->n[x->next].prev = x->prev;
	else
		l->tail[s] = x->prev;
	l->count[s]--;
	x->prev = x->next = NONE;
	x->seg = CF_DECODE_LRU_OUT;
}

static void
link_head(struct cf_decode_lru *l, uint32_t i, uint8_t s)
{
	struct cf_decode_lru_node *x = &l->n[i];

	x->seg = s;
	x->prev = NONE;
	x->next = l->head[s];
	if (l->head[s] != NONE)
		l->n[l->head[s]].prev = i;
	else
		l->tail[s] = i;
	l->head[s] = i;
	l->count[s]++;
}

void
cf_decode_lru_add(struct cf_decode_lru *l, uint32_t i)
{
	if (l->n[i].seg != CF_DECODE_LRU_OUT)
		unlink_(l, i);
	link_head(l, i, CF_DECODE_LRU_PROBATION);
}

void
cf_decode_lru_del(struct cf_decode_lru *l, uint32_t i)
{
	if (l->n[i].seg != CF_DECODE_LRU_OUT)
		unlink_(l, i);
}

void
cf_decode_lru_to_head(struct cf_decode_lru *l, uint32_t i)
{
	uint8_t s = l->n[i].seg;

	if (s == CF_DECODE_LRU_OUT || l->head[s] == i)
		return;
	unlink_(l, i);
	link_head(l, i, s);
}

void
cf_decode_lru_promote(struct cf_decode_lru *l, uint32_t i)
{
	uint8_t s = l->n[i].seg;

	if (s == CF_DECODE_LRU_OUT)
		return;
	if (s == CF_DECODE_LRU_PROTECTED) {
		cf_decode_lru_to_head(l, i);
		return;
	}
	unlink_(l, i);
	link_head(l, i, CF_DECODE_LRU_PROTECTED);
	/* A full protected segment hands its least recent entry back to probation. */
	if (l->count[CF_DECODE_LRU_PROTECTED] > l->protected_max) {
		uint32_t t = l->tail[CF_DECODE_LRU_PROTECTED];

		unlink_(l, t);
		link_head(l, t, CF_DECODE_LRU_PROBATION);
	}
}

uint32_t
cf_decode_lru_victim(const struct cf_decode_lru *l)
{
	return l->tail[CF_DECODE_LRU_PROBATION] != NONE ? l->tail[CF_DECODE_LRU_PROBATION] :
							   l->tail[CF_DECODE_LRU_PROTECTED];
}
