/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data sets that arrive before their template: copied into a bounded per-lcore
 * buffer (CF_TPL_PEND_SLOTS sets, --template-wait-bytes per exporter), decoded
 * when the template comes, counted as no_template when it does not come within
 * --template-wait.
 */
#include <string.h>

#include "cf_tpl.h"
#include "cf_tpl_priv.h"

/* Buffered data sets whose template never came in time are no_template drops. */
static void
pend_age(struct cf_decode_ctx *ctx, uint64_t now_ms)
{
	struct cf_tpl_cache *c = ctx->tpl;
	unsigned int i;

	for (i = 0; i < CF_TPL_PEND_SLOTS && c->n_pend != 0; i++) {
		struct cf_tpl_pend *pd = &c->pend[i];

		if (pd->used && now_ms > pd->born_ms + c->pend_age_ms) {
			pd->used = 0;
			c->n_pend--;
			c->exps[pd->exp_idx].pend_len -= pd->len;
			ctx->stats->drops[CF_STATS_DROP_NO_TEMPLATE]++;
		}
	}
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
	unsigned int i;

	if (c->pend_cap == 0 || len > CF_TPL_PEND_MAX || ex->pend_len + len > c->pend_cap)
		return -1;
	for (i = 0; i < CF_TPL_PEND_SLOTS; i++) {
		struct cf_tpl_pend *pd = &c->pend[i];

		if (pd->used)
			continue;
		pd->used = 1;
		pd->born_ms = now_ms;
		pd->msg = *m;
		pd->exp_idx = cf_tpl_exp_index(c, ex);
		pd->tid = tid;
		pd->len = len;
		memcpy(pd->data, p, len);
		ex->pend_len += len;
		if (c->n_pend++ == 0)
			c->pend_next_check = now_ms + 1000;
		ctx->stats->tpl_pending++;
		return 0;
	}
	return -1;
}

void
cf_tpl_pending_run(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid,
		   const struct cf_decode_dgram *dg)
{
	struct cf_tpl_cache *c = ctx->tpl;
	uint32_t idx = cf_tpl_exp_index(c, ex);
	unsigned int i;

	if (ex->pend_len == 0)
		return;
	/* Slots are taken lowest first, so a scan in slot order keeps arrival order
	 * unless slots were freed in between; good enough for late data. */
	for (i = 0; i < CF_TPL_PEND_SLOTS; i++) {
		struct cf_tpl_pend *pd = &c->pend[i];
		const struct cf_tpl *t;

		if (!pd->used || pd->exp_idx != idx || pd->tid != tid)
			continue;
		t = cf_tpl_find(ctx, ex, tid, dg->now_ms);
		if (t == NULL)
			return;
		cf_tpl_data_set(ctx, ex, t, &pd->msg, dg, pd->data, pd->len);
		pd->used = 0;
		c->n_pend--;
		ex->pend_len -= pd->len;
		ctx->stats->tpl_pending_done++;
	}
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
