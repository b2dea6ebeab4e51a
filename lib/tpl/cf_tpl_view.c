/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The operators' view of the template state (telemetry /clarion/templates,
 * HTTP /templates): every lcore's exporters with their templates, copied
 * while the RX lcores run. Nothing is locked: a template slot is copied
 * between two equal even values of its seq (cf_tpl_store.c writes it odd
 * first), an exporter through cf_decode_exporter_read() and the state's
 * generation, so a slot given to another exporter meanwhile is left out
 * rather than shown under the wrong name.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <rte_atomic.h>
#include <rte_hash.h>

#include "cf_tpl.h"
#include "cf_tpl_priv.h"

struct grow {
	void *p;
	uint32_t n, cap;
	size_t size;
};

static void *
grow_add(struct grow *g, uint32_t k)
{
	if (g->n + k > g->cap) {
		uint32_t cap = g->cap ? g->cap * 2 : 64;
		void *np;

		while (cap < g->n + k)
			cap *= 2;
		np = realloc(g->p, cap * g->size);
		if (np == NULL)
			return NULL;
		g->p = np;
		g->cap = cap;
	}
	g->n += k;
	return (uint8_t *)g->p + (size_t)(g->n - k) * g->size;
}

/* A copy of template slot t (and its fields); 0 when it is not in use or kept changing. */
static int
copy_tpl(const struct cf_tpl *t, const struct cf_tpl_raw *raw, struct cf_tpl_view_tpl *out,
	 uint32_t *exp_idx, struct cf_tpl_field *f)
{
	unsigned int tries;

	for (tries = 0; tries < 4; tries++) {
		uint32_t s1 = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE), s2, n;
		uint8_t in_use;

		if (s1 & 1)
			continue;
		in_use = t->in_use;
		out->tid = t->tid;
		out->kind = t->kind;
		out->first_ms = t->first_ms;
		*exp_idx = t->exp_idx;
		n = raw->n <= CF_TPL_MAX_FIELDS ? raw->n : CF_TPL_MAX_FIELDS;
		out->n_fields = (uint16_t)n;
		out->scope = raw->scope;
		memcpy(f, raw->f, sizeof(f[0]) * n);
		rte_smp_rmb();
		s2 = __atomic_load_n(&t->seq, __ATOMIC_RELAXED);
		if (s1 != s2)
			continue;
		if (!in_use)
			return 0;
		out->last_ms = __atomic_load_n(&t->last_ms, __ATOMIC_RELAXED);
		out->records = __atomic_load_n(&t->records, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}

struct row_tpl {
	uint32_t row;
	struct cf_tpl_view_tpl t;
};

static int
row_cmp(const void *a, const void *b)
{
	const struct row_tpl *x = a, *y = b;

	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	return x->t.tid < y->t.tid ? -1 : x->t.tid > y->t.tid;
}

struct cf_tpl_view *
cf_tpl_view_take(const struct cf_decode_ctx *const *ctx, unsigned int n)
{
	struct grow exps = { .size = sizeof(struct cf_tpl_view_exp) };
	struct grow tpls = { .size = sizeof(struct row_tpl) };
	struct grow fields = { .size = sizeof(struct cf_tpl_field) };
	struct cf_tpl_field f[CF_TPL_MAX_FIELDS];
	struct cf_tpl_view *v = calloc(1, sizeof(*v));
	uint32_t *row_of = NULL;
	unsigned int i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const struct cf_tpl_cache *c = ctx[i]->tpl;
		uint32_t e, k, max;

		if (c == NULL)
			continue;
		free(row_of);
		row_of = malloc(sizeof(uint32_t) * c->max_exps);
		if (row_of == NULL)
			goto fail;
		for (e = 0; e < c->max_exps; e++) {
			const struct cf_tpl_exp *ex = &c->exps[e];
			struct cf_decode_exporter de;
			struct cf_tpl_view_exp *r;
			uint32_t slot, gen;

			row_of[e] = UINT32_MAX;
			if (!__atomic_load_n(&ex->in_use, __ATOMIC_ACQUIRE))
				continue;
			slot = __atomic_load_n(&ex->slot, __ATOMIC_RELAXED);
			gen = __atomic_load_n(&ex->gen, __ATOMIC_RELAXED);
			if (slot >= cf_decode_exporter_slots(ctx[i]) ||
			    cf_decode_exporter_read(ctx[i], slot, &de) != 1 || de.gen != gen)
				continue;
			r = grow_add(&exps, 1);
			if (r == NULL)
				goto fail;
			memset(r, 0, sizeof(*r));
			if (inet_ntop(de.v6 ? AF_INET6 : AF_INET, de.addr, r->exporter,
				      sizeof(r->exporter)) == NULL)
				r->exporter[0] = '\0';
			r->version = de.version;
			r->domain = de.domain;
			r->lcore = i;
			r->pending_bytes = __atomic_load_n(&ex->pend_len, __ATOMIC_RELAXED);
			r->pending_sets = __atomic_load_n(&ex->pend_sets, __ATOMIC_RELAXED);
			r->names = __atomic_load_n(&ex->n_names, __ATOMIC_RELAXED);
			row_of[e] = exps.n - 1;
		}
		max = (uint32_t)rte_hash_max_key_id(c->th) + 1;
		for (k = 0; k < max; k++) {
			struct row_tpl rt;
			struct row_tpl *w;
			struct cf_tpl_field *fw;
			uint32_t exp_idx;

			if (!__atomic_load_n(&c->tpls[k].in_use, __ATOMIC_RELAXED))
				continue;
			memset(&rt, 0, sizeof(rt));
			if (!copy_tpl(&c->tpls[k], &c->raw[k], &rt.t, &exp_idx, f) ||
			    exp_idx >= c->max_exps || row_of[exp_idx] == UINT32_MAX)
				continue;
			rt.row = row_of[exp_idx];
			rt.t.field = fields.n;
			fw = grow_add(&fields, rt.t.n_fields);
			w = grow_add(&tpls, 1);
			if ((fw == NULL && rt.t.n_fields != 0) || w == NULL)
				goto fail;
			memcpy(fw, f, sizeof(f[0]) * rt.t.n_fields);
			*w = rt;
		}
	}
	free(row_of);
	row_of = NULL;
	if (tpls.n != 0)
		qsort(tpls.p, tpls.n, sizeof(struct row_tpl), row_cmp);
	v->exp = exps.p;
	v->n_exp = exps.n;
	v->fields = fields.p;
	v->n_fields = fields.n;
	v->tpl = calloc(tpls.n ? tpls.n : 1, sizeof(v->tpl[0]));
	if (v->tpl == NULL)
		goto fail_v;
	for (i = 0; i < tpls.n; i++) {
		const struct row_tpl *rt = (const struct row_tpl *)tpls.p + i;
		struct cf_tpl_view_exp *r = &v->exp[rt->row];

		if (r->n == 0)
			r->first = i;
		r->n++;
		v->tpl[i] = rt->t;
	}
	v->n_tpl = tpls.n;
	free(tpls.p);
	return v;
fail:
	free(row_of);
	free(exps.p);
	free(fields.p);
	free(tpls.p);
	free(v);
	return NULL;
fail_v:
	free(tpls.p);
	cf_tpl_view_free(v);
	return NULL;
}

void
cf_tpl_view_free(struct cf_tpl_view *v)
{
	if (v == NULL)
		return;
	free(v->exp);
	free(v->tpl);
	free(v->fields);
	free(v);
}

static const char *
version_name(uint8_t v)
{
	return v == CF_RECORD_V_NF9 ? "netflow_v9" : v == CF_RECORD_V_IPFIX ? "ipfix" : "unknown";
}

char *
cf_tpl_view_json(const struct cf_tpl_view *v, const char *exporter, size_t *len)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	uint32_t i, k, j;
	char *text;

	if (root == NULL)
		return NULL;
	arr = cJSON_AddArrayToObject(root, "exporters");
	for (i = 0; arr != NULL && i < v->n_exp; i++) {
		const struct cf_tpl_view_exp *e = &v->exp[i];
		cJSON *o, *ta;

		if (exporter != NULL && strcmp(exporter, e->exporter) != 0)
			continue;
		o = cJSON_CreateObject();
		if (o == NULL)
			goto fail;
		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "exporter", e->exporter);
		cJSON_AddStringToObject(o, "version", version_name(e->version));
		cJSON_AddNumberToObject(o, "domain", e->domain);
		cJSON_AddNumberToObject(o, "lcore", e->lcore);
		cJSON_AddNumberToObject(o, "pending_bytes", (double)e->pending_bytes);
		cJSON_AddNumberToObject(o, "pending_sets", (double)e->pending_sets);
		cJSON_AddNumberToObject(o, "names", (double)e->names);
		ta = cJSON_AddArrayToObject(o, "templates");
		for (k = e->first; ta != NULL && k < e->first + e->n; k++) {
			const struct cf_tpl_view_tpl *t = &v->tpl[k];
			cJSON *to = cJSON_CreateObject(), *fa;

			if (to == NULL)
				goto fail;
			cJSON_AddItemToArray(ta, to);
			cJSON_AddNumberToObject(to, "id", t->tid);
			cJSON_AddStringToObject(to, "kind",
						t->kind == CF_TPL_KIND_OPTIONS ? "options" : "data");
			if (t->kind == CF_TPL_KIND_OPTIONS)
				cJSON_AddNumberToObject(to, "scope_fields", t->scope);
			fa = cJSON_AddArrayToObject(to, "fields");
			for (j = 0; fa != NULL && j < t->n_fields; j++) {
				const struct cf_tpl_field *f = &v->fields[t->field + j];
				cJSON *fo = cJSON_CreateObject();

				if (fo == NULL)
					goto fail;
				cJSON_AddItemToArray(fa, fo);
				cJSON_AddNumberToObject(fo, "id", f->id);
				cJSON_AddNumberToObject(fo, "length", f->len);
				if (f->pen != 0)
					cJSON_AddNumberToObject(fo, "pen", f->pen);
			}
			cJSON_AddNumberToObject(to, "first_seen_ms", (double)t->first_ms);
			cJSON_AddNumberToObject(to, "last_seen_ms", (double)t->last_ms);
			cJSON_AddNumberToObject(to, "records", (double)t->records);
		}
	}
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text != NULL && len != NULL)
		*len = strlen(text);
	return text;
fail:
	cJSON_Delete(root);
	return NULL;
}
