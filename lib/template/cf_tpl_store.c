/* SPDX-License-Identifier: BSD-3-Clause */
/* The template store: exporters, compiled templates by (exporter, id), expiry, withdrawal. */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "cf_tpl.h"
#include "cf_tpl_dst.h"
#include "cf_tpl_priv.h"

struct exp_key {
	uint8_t addr[16];
	uint32_t domain;
	uint8_t version;
	uint8_t pad[3];
};

struct tpl_key {
	uint32_t exp_idx;
	uint16_t tid;
	uint16_t pad;
};

struct tpl_cache *
tpl_cache_create(const char *name, int socket_id, const struct tpl_config *cfg)
{
	char hn[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = { .hash_func = rte_jhash, .socket_id = socket_id };
	struct tpl_cache *c;
	uint32_t cap;

	c = rte_zmalloc_socket(name, sizeof(*c), 64, socket_id);
	if (c == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
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

	snprintf(hn, sizeof(hn), "%s_x", name);
	hp.name = hn;
	hp.entries = c->max_exps < 8 ? 8 : c->max_exps;
	hp.key_len = sizeof(struct exp_key);
	c->xh = rte_hash_create(&hp);
	snprintf(hn, sizeof(hn), "%s_t", name);
	hp.name = hn;
	/* Room above the limit so bucket collisions do not refuse before the limit does. */
	hp.entries = cap + cap / 4 + 8;
	hp.key_len = sizeof(struct tpl_key);
	c->th = rte_hash_create(&hp);
	if (c->xh == NULL || c->th == NULL)
		goto fail;
	c->exps = rte_zmalloc_socket(name, sizeof(struct tpl_exp) *
				     (rte_hash_max_key_id(c->xh) + 1), 64, socket_id);
	c->tpls = rte_zmalloc_socket(name, sizeof(struct tpl) *
				     (rte_hash_max_key_id(c->th) + 1), 64, socket_id);
	c->raw = rte_zmalloc_socket(name, sizeof(struct tpl_raw) *
				    (rte_hash_max_key_id(c->th) + 1), 64, socket_id);
	c->pend = rte_zmalloc_socket(name, sizeof(struct tpl_pend) * TPL_PEND_SLOTS, 64,
				     socket_id);
	if (c->exps == NULL || c->tpls == NULL || c->raw == NULL || c->pend == NULL)
		goto fail;
	return c;
fail:
	tpl_cache_free(c);
	rte_errno = ENOMEM;
	return NULL;
}

void
tpl_cache_free(struct tpl_cache *c)
{
	if (c == NULL)
		return;
	rte_hash_free(c->xh);
	rte_hash_free(c->th);
	rte_free(c->exps);
	rte_free(c->tpls);
	rte_free(c->raw);
	rte_free(c->pend);
	rte_free(c);
}

static void
tpl_remove(struct tpl_cache *c, struct tpl *t)
{
	struct tpl_key k = { .exp_idx = t->exp_idx, .tid = t->tid };

	rte_hash_del_key(c->th, &k);
	c->exps[t->exp_idx].n_templates--;
	c->n_tpls--;
	t->in_use = 0;
	if (c->last_tpl == t)
		c->last_tpl = NULL;
}

unsigned int
tpl_expire(struct cfd_ctx *ctx, uint64_t now_ms)
{
	struct tpl_cache *c = ctx->tpl;
	uint32_t i, n = 0, max = (uint32_t)rte_hash_max_key_id(c->th) + 1;

	for (i = 0; i < max && c->n_tpls != 0; i++) {
		struct tpl *t = &c->tpls[i];

		if (t->in_use && now_ms - t->last_ms > c->timeout_ms && now_ms > t->last_ms) {
			tpl_remove(c, t);
			n++;
		}
	}
	ctx->stats->tpl_expired += n;
	return n;
}

/* Exporters with no template left and quiet for a timeout give their slot back. */
static void
exp_sweep(struct tpl_cache *c, uint64_t now_ms)
{
	uint32_t i, max = (uint32_t)rte_hash_max_key_id(c->xh) + 1;

	for (i = 0; i < max; i++) {
		struct tpl_exp *e = &c->exps[i];
		struct exp_key k;

		if (!e->in_use || e->n_templates != 0 || e->pend_len != 0 ||
		    now_ms - e->last_ms <= c->timeout_ms)
			continue;
		memset(&k, 0, sizeof(k));
		memcpy(k.addr, e->addr, 16);
		k.domain = e->domain;
		k.version = e->version;
		rte_hash_del_key(c->xh, &k);
		e->in_use = 0;
		c->n_exps--;
		if (c->last_exp == e)
			c->last_exp = NULL;
	}
}

struct tpl_exp *
tpl_exporter(struct cfd_ctx *ctx, const struct cfd_dgram *dg, uint8_t version, uint32_t domain)
{
	struct tpl_cache *c = ctx->tpl;
	struct tpl_exp *e = c->last_exp;
	struct exp_key k;
	int pos;

	if (e != NULL && e->domain == domain && e->version == version &&
	    memcmp(e->addr, dg->src, 16) == 0)
		goto found;
	memset(&k, 0, sizeof(k));
	memcpy(k.addr, dg->src, 16);
	k.domain = domain;
	k.version = version;
	pos = rte_hash_lookup(c->xh, &k);
	if (pos < 0) {
		if (c->n_exps >= c->max_exps) {
			tpl_expire(ctx, dg->now_ms);
			exp_sweep(c, dg->now_ms);
		}
		if (c->n_exps >= c->max_exps || (pos = rte_hash_add_key(c->xh, &k)) < 0) {
			ctx->stats->drops[CFS_DROP_TPL_EXPORTERS_FULL]++;
			return NULL;
		}
		e = &c->exps[pos];
		memset(e, 0, sizeof(*e));
		memcpy(e->addr, dg->src, 16);
		e->domain = domain;
		e->version = version;
		e->in_use = 1;
		c->n_exps++;
	}
	e = &c->exps[pos];
	c->last_exp = e;
found:
	e->last_ms = dg->now_ms;
	return e;
}

enum cfs_drop
tpl_define(struct cfd_ctx *ctx, struct tpl_exp *ex, uint16_t tid, enum tpl_kind kind,
	   const struct tpl_field *f, uint16_t n, uint16_t scope, uint64_t now_ms)
{
	struct tpl_cache *c = ctx->tpl;
	struct tpl_key k = { .exp_idx = tpl_exp_index(c, ex), .tid = tid };
	struct tpl *t = &c->scratch;
	enum cfs_drop why;
	int pos;

	/* The one check of the field limit: decoders pass every field they read. */
	if (n > TPL_MAX_FIELDS)
		why = CFS_DROP_TPL_TOO_MANY_FIELDS;
	else if (tid < 256)
		why = CFS_DROP_TPL_ID_LOW;
	else if (kind == TPL_KIND_OPTIONS && (scope > n || (ex->version == CFR_V_IPFIX && scope == 0)))
		why = CFS_DROP_TPL_BAD_SCOPE;
	else
		why = tpl_compile(ctx, t, ex->version, kind, f, n, scope);
	if (why != CFS_DROP_MAX) {
		ctx->stats->drops[why]++;
		return why;
	}
	t->tid = tid;
	t->exp_idx = k.exp_idx;
	t->last_ms = now_ms;
	t->in_use = 1;

	pos = rte_hash_lookup(c->th, &k);
	if (pos >= 0) {
		ctx->stats->tpl_replaced++;
	} else {
		if (ex->n_templates >= c->per_exp) {
			ctx->stats->drops[CFS_DROP_TPL_PER_EXPORTER_FULL]++;
			return CFS_DROP_TPL_PER_EXPORTER_FULL;
		}
		if (c->n_tpls >= c->max_tpls)
			tpl_expire(ctx, now_ms);
		if (c->n_tpls >= c->max_tpls || (pos = rte_hash_add_key(c->th, &k)) < 0) {
			ctx->stats->drops[CFS_DROP_TPL_EXPORTERS_FULL]++;
			return CFS_DROP_TPL_EXPORTERS_FULL;
		}
		ex->n_templates++;
		c->n_tpls++;
		ctx->stats->tpl_added++;
	}
	c->raw[pos].n = n;
	c->raw[pos].scope = scope;
	memcpy(c->raw[pos].f, f, sizeof(f[0]) * n);
	/* Copy only the used steps: a template is rewritten in place. */
	memcpy(&c->tpls[pos], t, offsetof(struct tpl, steps) + t->n_steps * sizeof(t->steps[0]));
	if (c->last_tpl == &c->tpls[pos])
		c->last_tpl = NULL;
	return CFS_DROP_MAX;
}

const struct tpl *
tpl_find(struct cfd_ctx *ctx, struct tpl_exp *ex, uint16_t tid, uint64_t now_ms)
{
	struct tpl_cache *c = ctx->tpl;
	struct tpl_key k = { .exp_idx = tpl_exp_index(c, ex), .tid = tid };
	struct tpl *t = c->last_tpl;
	int pos;

	if (t == NULL || t->tid != tid || t->exp_idx != k.exp_idx) {
		pos = rte_hash_lookup(c->th, &k);
		if (pos < 0)
			return NULL;
		t = &c->tpls[pos];
	}
	if (now_ms > t->last_ms && now_ms - t->last_ms > c->timeout_ms) {
		tpl_remove(c, t);
		ctx->stats->tpl_expired++;
		return NULL;
	}
	c->last_tpl = t;
	return t;
}

int
tpl_withdraw(struct cfd_ctx *ctx, struct tpl_exp *ex, uint16_t tid)
{
	struct tpl_cache *c = ctx->tpl;
	struct tpl_key k = { .exp_idx = tpl_exp_index(c, ex), .tid = tid };
	int pos = rte_hash_lookup(c->th, &k);

	if (pos < 0) {
		ctx->stats->drops[CFS_DROP_TPL_WITHDRAW_UNKNOWN]++;
		return -1;
	}
	tpl_remove(c, &c->tpls[pos]);
	ctx->stats->tpl_withdrawn++;
	return 0;
}

unsigned int
tpl_withdraw_all(struct cfd_ctx *ctx, struct tpl_exp *ex, enum tpl_kind kind)
{
	struct tpl_cache *c = ctx->tpl;
	uint32_t idx = tpl_exp_index(c, ex), i, n = 0;
	uint32_t max = (uint32_t)rte_hash_max_key_id(c->th) + 1;

	for (i = 0; i < max && ex->n_templates != 0; i++) {
		struct tpl *t = &c->tpls[i];

		if (t->in_use && t->exp_idx == idx && t->kind == kind) {
			tpl_remove(c, t);
			n++;
		}
	}
	ctx->stats->tpl_withdrawn += n;
	return n;
}
