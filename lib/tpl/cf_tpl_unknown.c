/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Elements no destination maps, counted per (PEN, id) in a small open-addressed
 * table per lcore (CF_TPL_UNKNOWN_SLOTS; the rest summed as "other"), each time a
 * template carrying them is compiled, and printed summed at exit.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "cf_tpl.h"
#include "cf_tpl_priv.h"

void
cf_tpl_unknown_hit(struct cf_decode_ctx *ctx, uint32_t pen, uint16_t id)
{
	struct cf_tpl_cache *c = ctx->tpl;
	uint32_t h = (pen * 2654435761u) ^ (id * 40503u), i;

	ctx->stats->unknown_elements++;
	for (i = 0; i < CF_TPL_UNKNOWN_SLOTS; i++) {
		struct cf_tpl_unknown *u = &c->unk[(h + i) % CF_TPL_UNKNOWN_SLOTS];

		if (u->count == 0) {
			u->pen = pen;
			u->id = id;
			u->count = 1;
			return;
		}
		if (u->pen == pen && u->id == id) {
			u->count++;
			return;
		}
	}
	c->unk_other++;
}

uint64_t
cf_tpl_unknown_count(const struct cf_tpl_cache *c, uint32_t pen, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < CF_TPL_UNKNOWN_SLOTS; i++)
		if (c->unk[i].count != 0 && c->unk[i].pen == pen && c->unk[i].id == id)
			return c->unk[i].count;
	return 0;
}

static int
unk_cmp(const void *a, const void *b)
{
	const struct cf_tpl_unknown *x = a, *y = b;

	if (x->pen != y->pen)
		return x->pen < y->pen ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void
cf_tpl_unknown_print(FILE *f, struct cf_tpl_cache *const *c, unsigned int n)
{
	static struct cf_tpl_unknown all[CF_TPL_UNKNOWN_SLOTS];
	unsigned int i, j, k, used = 0;
	uint64_t other = 0;

	for (i = 0; i < n; i++) {
		if (c[i] == NULL)
			continue;
		other += c[i]->unk_other;
		for (j = 0; j < CF_TPL_UNKNOWN_SLOTS; j++) {
			const struct cf_tpl_unknown *u = &c[i]->unk[j];

			if (u->count == 0)
				continue;
			for (k = 0; k < used; k++)
				if (all[k].pen == u->pen && all[k].id == u->id)
					break;
			if (k == used) {
				if (used == CF_TPL_UNKNOWN_SLOTS) {
					other += u->count;
					continue;
				}
				all[used] = *u;
				all[used++].count = 0;
			}
			all[k].count += u->count;
		}
	}
	qsort(all, used, sizeof(all[0]), unk_cmp);
	fprintf(f, "unknown_elements:");
	for (k = 0; k < used; k++)
		fprintf(f, " %" PRIu32 "/%u=%" PRIu64, all[k].pen, all[k].id, all[k].count);
	if (other)
		fprintf(f, " other=%" PRIu64, other);
	fprintf(f, "\n");
}
