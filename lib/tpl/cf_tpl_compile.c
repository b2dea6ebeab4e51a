/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Template compiler: the fields of a template record become a decode program.
 * Each element gets a destination (the operator's --field-map first, then the
 * built-in map); a fixed-length template keeps only the steps that store
 * something, each specialised to a plain copy or byte swap where it can be; a
 * template with a variable-length element keeps every field, in order, for
 * the field-by-field walk.
 */
#include "cf_tpl.h"
#include "cf_tpl_dst.h"
#include "cf_tpl_priv.h"

static int
opt_dst(uint16_t d)
{
	return d == CF_TPL_D_SAMP_INTERVAL || d == CF_TPL_D_SAMP_ID ||
		d == CF_TPL_D_SAMP_PKT_INTERVAL || d == CF_TPL_D_SAMP_PKT_SPACE ||
		d == CF_TPL_D_T_SYSINIT;
}

enum cf_stats_drop
cf_tpl_compile(struct cf_decode_ctx *ctx, struct cf_tpl *t, uint8_t version, enum cf_tpl_kind kind,
	       const struct cf_tpl_field *f, uint16_t n, uint16_t scope)
{
	const struct cf_tpl_cache *c = ctx->tpl;
	uint32_t off = 0, i;
	int badlen = 0;

	t->kind = (uint8_t)kind;
	t->varlen = 0;
	t->n_steps = 0;
	for (i = 0; i < n; i++)
		if (f[i].len == CF_TPL_VARLEN)
			t->varlen = 1;
	for (i = 0; i < n; i++) {
		uint16_t d = CF_TPL_D_SKIP;

		if (!(kind == CF_TPL_KIND_OPTIONS && i < scope)) {
			int mapped = cf_tpl_fieldmap_lookup(c->fm, version, f[i].pen, f[i].id,
							    f[i].len, &d);

			if (mapped) {
				/* The operator's map wins; a length its field cannot take is skipped. */
				if (d != CF_TPL_D_SKIP && !cf_tpl_map_len_ok(d, f[i].len))
					d = CF_TPL_D_BADLEN;
			} else {
				d = cf_tpl_map(version, f[i].pen, f[i].id, f[i].len);
			}
			if (d == CF_TPL_D_SKIP && mapped) {
				/* "skip" in the field map: known, deliberately ignored */
			} else if (d == CF_TPL_D_BADLEN) {
				badlen = 1;
				d = CF_TPL_D_SKIP;
			} else if (d == CF_TPL_D_SKIP) {
				cf_tpl_unknown_hit(ctx, f[i].pen, f[i].id);
			} else if (kind == CF_TPL_KIND_OPTIONS && !opt_dst(d)) {
				d = CF_TPL_D_SKIP;
			}
		}
		if (t->varlen || d != CF_TPL_D_SKIP) {
			struct cf_tpl_step *s = &t->steps[t->n_steps++];

			s->off = (uint16_t)off;
			s->len = f[i].len;
			s->dst = d;
		}
		off += f[i].len == CF_TPL_VARLEN ? 1 : f[i].len;
	}
	if (badlen)
		ctx->stats->drops[CF_STATS_DROP_TPL_FIELD_LEN]++;
	/* A station address/MAC only stands in for a missing source (see cf_tpl_store). */
	{
		int has_src = 0, has_mac = 0;

		for (i = 0; i < t->n_steps; i++) {
			has_src |= t->steps[i].dst == CF_TPL_D_SRC4 ||
				t->steps[i].dst == CF_TPL_D_SRC6;
			has_mac |= t->steps[i].dst == CF_TPL_D_SRC_MAC;
		}
		for (i = 0; i < t->n_steps; i++)
			if ((t->steps[i].dst == CF_TPL_D_STA4 && has_src) ||
			    (t->steps[i].dst == CF_TPL_D_STA_MAC && has_mac))
				t->steps[i].dst = CF_TPL_D_SKIP;
	}
	t->fast_present = 0;
	if (!t->varlen) {
		int v4 = 0, v6 = 0;

		for (i = 0; i < t->n_steps; i++) {
			v4 |= t->steps[i].dst == CF_TPL_D_SRC4 || t->steps[i].dst == CF_TPL_D_DST4;
			v6 |= t->steps[i].dst == CF_TPL_D_SRC6 || t->steps[i].dst == CF_TPL_D_DST6;
		}
		for (i = 0; i < t->n_steps; i++)
			t->fast_present |= cf_tpl_specialise(&t->steps[i], v4 && v6);
	} else {
		for (i = 0; i < t->n_steps; i++)
			t->steps[i].op = CF_TPL_OP_GENERIC;
	}
	if (off == 0)
		return CF_STATS_DROP_TPL_ZERO_LEN;
	if (off > 65535)
		return CF_STATS_DROP_TPL_TRUNCATED;
	t->rec_len = off;
	return CF_STATS_DROP_MAX;
}
