/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Template compiler: the fields of a template record become a decode program.
 * Each element gets a destination (the operator's --field-map first, then the
 * built-in map); a fixed-length template keeps only the steps that store
 * something, each specialised to a plain copy or byte swap where it can be; a
 * template with a variable-length element keeps every field, in order, for
 * the field-by-field walk. A data template whose steps cannot overwrite each
 * other is then fused (fuse(): steps grouped by op, per run of fixed-length
 * fields).
 *
 * Repeated flow-key elements (RFC 7011 sec. 8: a template may carry an
 * element more than once, in the order the Metering Process treats them, so
 * the outer header first): the first occurrence of the group (source and
 * destination address of either family, ports, protocol) is the flow key,
 * the second is the inner header (inner_*), a third is skipped. Addresses
 * count their own occurrences; a port or the protocol belongs to the header
 * whose addresses it follows (or to the next one when its header already has
 * one). Whether the inner header is real is decided per record
 * (cf_tpl_exec.c): a template with both families, one of them zero, is one
 * header.
 */
#include <string.h>

#include <rte_common.h>
#include <rte_jhash.h>

#include "cf_tpl.h"
#include "cf_tpl_dst.h"
#include "cf_tpl_priv.h"

/* Destinations an options record feeds: exporter state and the keys of names. */
static int
opt_dst(uint16_t d)
{
	switch (d) {
	case CF_TPL_D_SAMP_INTERVAL: case CF_TPL_D_SAMP_ID: case CF_TPL_D_SAMP_ALGO:
	case CF_TPL_D_SAMP_PKT_INTERVAL: case CF_TPL_D_SAMP_PKT_SPACE: case CF_TPL_D_SAMP_SIZE:
	case CF_TPL_D_SAMP_POP: case CF_TPL_D_SAMP_PROB: case CF_TPL_D_T_SYSINIT:
	case CF_TPL_D_NAME_IF: case CF_TPL_D_NAME_IF_DESC: case CF_TPL_D_NAME_VRF:
	case CF_TPL_D_NAME_APP: case CF_TPL_D_IN_IF: case CF_TPL_D_OUT_IF:
	case CF_TPL_D_VRF_IN: case CF_TPL_D_VRF_OUT: case CF_TPL_D_APP_ID:
		return 1;
	default:
		return 0;
	}
}

static int
key_kind(uint16_t d)
{
	switch (d) {
	case CF_TPL_D_SRC4: case CF_TPL_D_SRC6: return CF_TPL_K_SRC;
	case CF_TPL_D_DST4: case CF_TPL_D_DST6: return CF_TPL_K_DST;
	case CF_TPL_D_SPORT: return CF_TPL_K_SPORT;
	case CF_TPL_D_DPORT: return CF_TPL_K_DPORT;
	case CF_TPL_D_PROTO: return CF_TPL_K_PROTO;
	default: return -1;
	}
}

static uint16_t
inner_of(uint16_t d)
{
	switch (d) {
	case CF_TPL_D_SRC4: return CF_TPL_D_IN_SRC4;
	case CF_TPL_D_DST4: return CF_TPL_D_IN_DST4;
	case CF_TPL_D_SRC6: return CF_TPL_D_IN_SRC6;
	case CF_TPL_D_DST6: return CF_TPL_D_IN_DST6;
	case CF_TPL_D_SPORT: return CF_TPL_D_IN_SPORT;
	case CF_TPL_D_DPORT: return CF_TPL_D_IN_DPORT;
	default: return CF_TPL_D_IN_PROTO;
	}
}

/* The header (0 outer, 1 inner, 2+ skipped) of every flow-key element, in place. */
static int
assign_layers(uint16_t *dst, uint32_t n)
{
	unsigned int occ[CF_TPL_K_MAX] = {0}, cur = 0, layer, i;
	int k, layered = 0;

	for (i = 0; i < n; i++) {
		k = key_kind(dst[i]);
		if (k < 0)
			continue;
		if (k == CF_TPL_K_SRC || k == CF_TPL_K_DST) {
			layer = occ[k]++;
			cur = layer;
		} else {
			layer = occ[k] > cur ? occ[k] : cur;
			occ[k] = layer + 1;
		}
		if (layer == 1) {
			dst[i] = inner_of(dst[i]);
			layered = 1;
		} else if (layer > 1) {
			dst[i] = CF_TPL_D_SKIP;
		}
	}
	return layered;
}

/* Both families of a next hop: each record takes its flow's family, or the non-zero one. */
static int
dual_next_hops(uint16_t *dst, uint32_t n, uint16_t d4, uint16_t d6, uint16_t alt4, uint16_t nz6)
{
	uint32_t i;
	int v4 = 0, v6 = 0;

	for (i = 0; i < n; i++) {
		v4 |= dst[i] == d4;
		v6 |= dst[i] == d6;
	}
	if (!(v4 && v6))
		return 0;
	for (i = 0; i < n; i++) {
		if (dst[i] == d4)
			dst[i] = alt4;
		else if (dst[i] == d6)
			dst[i] = nz6;
	}
	return 1;
}

int cf_tpl_no_fuse;

/*
 * Generic destinations that may write the record field of a specialisable
 * one (cf_tpl_store): an IPv6 address clears an IPv4 peer, a station stands
 * in for the source, ICMP type and code in one element. Only the ICMP rows
 * can meet a specialised step today (both address families, both next-hop
 * families and a station beside a source are compiled away from it before);
 * the others keep the rule whole. tests/unit/test_tpl_fuse.c checks it.
 */
static const struct {
	uint16_t gen, direct;
} aliases[] = {
	{CF_TPL_D_SRC6, CF_TPL_D_SRC4}, {CF_TPL_D_SRC6, CF_TPL_D_DST4},
	{CF_TPL_D_DST6, CF_TPL_D_DST4}, {CF_TPL_D_DST6, CF_TPL_D_SRC4},
	{CF_TPL_D_NH6, CF_TPL_D_NH4}, {CF_TPL_D_NH6_NZ, CF_TPL_D_NH4},
	{CF_TPL_D_STA4, CF_TPL_D_SRC4}, {CF_TPL_D_STA_MAC, CF_TPL_D_SRC_MAC},
	{CF_TPL_D_ICMP_TC, CF_TPL_D_ICMP_TYPE}, {CF_TPL_D_ICMP_TC, CF_TPL_D_ICMP_CODE},
};

static int
is_scr(uint16_t d)
{
	return d >= CF_TPL_D_SCR_FIRST && d < CF_TPL_D_MAX;
}

/*
 * The fused program of a data template (cf_tpl_exec.c runs one tight loop per
 * op, no per-step dispatch): the fixed-length elements between variable-length
 * ones are a segment with offsets of its own; skipped fixed elements drop out
 * (the segment's length covers them); the specialised steps of a segment are
 * grouped by op; a scratch element that occurs once is stored without its
 * first-wins test (its bit is in every record: fast_have); generic steps come
 * after the specialised ones of their segment, in template order. Equal to
 * the steps in template order only when no two steps can write the same
 * record bytes (generic steps never read what specialised ones wrote: their
 * presence bits join once the record is done); 0 otherwise, t untouched.
 */
static int
fuse(struct cf_tpl *t)
{
	static const uint8_t scr_op[9] = {[1] = CF_TPL_OP_S1, [2] = CF_TPL_OP_S2,
					  [4] = CF_TPL_OP_S4, [8] = CF_TPL_OP_S8};
	struct cf_tpl_step st[CF_TPL_MAX_FIELDS], out[CF_TPL_MAX_FIELDS];
	struct cf_tpl_seg segs[CF_TPL_SEGS];
	uint8_t scr_n[CF_TPL_SCR_N] = {0}, used[sizeof(struct cf_record)] = {0};
	uint8_t seg_of[CF_TPL_MAX_FIELDS];
	unsigned int cnt[CF_TPL_OP_MAX], at[CF_TPL_OP_MAX], n = 0, n_segs = 1, i, k, g, sum;
	uint32_t present = 0, soff = 0;
	uint64_t have = 0;
	int f;

	memset(segs, 0, sizeof(segs));
	for (i = 0; i < t->n_steps; i++)
		if (is_scr(t->steps[i].dst) && t->steps[i].len != CF_TPL_VARLEN)
			scr_n[t->steps[i].dst - CF_TPL_D_SCR_FIRST]++;
		else if (is_scr(t->steps[i].dst))
			scr_n[t->steps[i].dst - CF_TPL_D_SCR_FIRST] += 2; /* never the fast form */
	for (i = 0; i < t->n_steps; i++) {
		struct cf_tpl_step s = t->steps[i];
		uint32_t bit;

		if (s.len == CF_TPL_VARLEN) {
			/* ends the segment; stays generic (its length is the record's) */
			if (n_segs == CF_TPL_SEGS)
				return 0;
			segs[n_segs - 1].len = (uint16_t)soff;
			s.op = CF_TPL_OP_GENERIC;
			s.off = 0;
			seg_of[n] = (uint8_t)(n_segs - 1);
			st[n++] = s;
			n_segs++;
			soff = 0;
			continue;
		}
		if (t->varlen) {
			/* every field is a step: offsets from the segment's start */
			s.off = (uint16_t)soff;
			soff += s.len;
		} else if (s.off + s.len > soff) {
			soff = s.off + s.len; /* only the stored ones are steps: offsets stay */
		}
		if (s.dst == CF_TPL_D_SKIP)
			continue;
		bit = cf_tpl_specialise(&s, 0, 1);
		if (s.op != CF_TPL_OP_GENERIC) {
			f = cf_tpl_direct_field(s.dst);
			if (used[f])
				return 0; /* the same field twice: the later element wins */
			used[f] = 1;
			present |= bit;
		} else if (is_scr(s.dst) && scr_n[s.dst - CF_TPL_D_SCR_FIRST] == 1 && s.len <= 8 &&
			   scr_op[s.len] != 0) {
			s.op = scr_op[s.len];
			s.roff = (uint8_t)(s.dst - CF_TPL_D_SCR_FIRST);
			have |= CF_TPL_BIT(s.dst);
		}
		seg_of[n] = (uint8_t)(n_segs - 1);
		st[n++] = s;
	}
	segs[n_segs - 1].len = (uint16_t)soff;
	for (i = 0; i < n; i++) {
		if (st[i].op != CF_TPL_OP_GENERIC)
			continue;
		f = cf_tpl_direct_field(st[i].dst);
		if (f >= 0 && used[f])
			return 0;
		for (k = 0; k < RTE_DIM(aliases); k++)
			if (aliases[k].gen == st[i].dst &&
			    used[cf_tpl_direct_field(aliases[k].direct)])
				return 0;
	}
	/*
	 * Per segment, a stable counting sort: ops in cf_tpl_op_order, its generic
	 * steps (op 0) after them, then the variable-length step that ends it.
	 */
	for (g = 0, sum = 0; g < n_segs; g++) {
		unsigned int var = n;

		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < n; i++) {
			if (seg_of[i] != g)
				continue;
			if (st[i].len == CF_TPL_VARLEN)
				var = i;
			else
				cnt[st[i].op]++;
		}
		segs[g].first = (uint8_t)sum;
		segs[g].rare = 0;
		memset(segs[g].op_end, 0, sizeof(segs[g].op_end));
		for (k = 0; k < RTE_DIM(cf_tpl_op_order); k++) {
			uint8_t op = cf_tpl_op_order[k];

			at[op] = sum;
			sum += cnt[op];
			segs[g].op_end[op] = (uint8_t)sum;
			if (cnt[op] != 0 && (CF_TPL_OPS_RARE & (1u << op)))
				segs[g].rare = 1;
		}
		at[CF_TPL_OP_GENERIC] = sum;
		sum += cnt[CF_TPL_OP_GENERIC];
		segs[g].end = (uint8_t)sum;
		for (i = 0; i < n; i++)
			if (seg_of[i] == g && i != var)
				out[at[st[i].op]++] = st[i];
		if (var != n)
			out[sum++] = st[var];
	}
	memcpy(t->steps, out, n * sizeof(out[0]));
	memcpy(t->segs, segs, n_segs * sizeof(segs[0]));
	t->n_steps = (uint16_t)n;
	t->n_segs = (uint8_t)n_segs;
	t->fast_present = present;
	t->fast_have = have;
	return 1;
}

uint32_t
cf_tpl_layout_hash(enum cf_tpl_kind kind, const struct cf_tpl_field *f, uint16_t n,
		   uint16_t scope)
{
	return rte_jhash(f, sizeof(f[0]) * n, (uint32_t)kind << 16 | scope);
}

enum cf_stats_drop
cf_tpl_compile(struct cf_decode_ctx *ctx, struct cf_tpl *t, uint8_t version, enum cf_tpl_kind kind,
	       const struct cf_tpl_field *f, uint16_t n, uint16_t scope)
{
	const struct cf_tpl_cache *c = ctx->tpl;
	uint16_t dst[CF_TPL_MAX_FIELDS];
	uint32_t off = 0, i;
	int badlen = 0;

	t->kind = (uint8_t)kind;
	t->varlen = 0;
	t->flags = 0;
	t->prob_double = 1;
	t->n_steps = 0;
	for (i = 0; i < n; i++)
		if (f[i].len == CF_TPL_VARLEN)
			t->varlen = 1;
	for (i = 0; i < n; i++) {
		uint16_t d = CF_TPL_D_SKIP;
		int mapped;

		if (kind == CF_TPL_KIND_OPTIONS && i < scope && version == CF_RECORD_V_NF9) {
			/* v9 scope types are their own numbers (RFC 3954 sec. 6.1): 2 = Interface. */
			dst[i] = f[i].id == 2 && f[i].len >= 1 && f[i].len <= 8 ? CF_TPL_D_IN_IF
										 : CF_TPL_D_SKIP;
			continue;
		}
		mapped = cf_tpl_fieldmap_lookup(c->fm, version, f[i].pen, f[i].id, f[i].len, &d);
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
		} else if (kind == CF_TPL_KIND_DATA && d >= CF_TPL_D_NAME_IF &&
			   d <= CF_TPL_D_NAME_APP) {
			/* names are taken from options data only: in a flow record, not used */
			cf_tpl_unknown_hit(ctx, f[i].pen, f[i].id);
			d = CF_TPL_D_SKIP;
		}
		if (d == CF_TPL_D_SAMP_PROB)
			t->prob_double = f[i].len == 8;
		dst[i] = d;
	}
	if (kind == CF_TPL_KIND_DATA) {
		if (assign_layers(dst, n))
			t->flags |= CF_TPL_F_LAYERED;
		if (dual_next_hops(dst, n, CF_TPL_D_NH4, CF_TPL_D_NH6, CF_TPL_D_NH4_ALT,
				   CF_TPL_D_NH6_NZ) |
		    dual_next_hops(dst, n, CF_TPL_D_BGP4, CF_TPL_D_BGP6, CF_TPL_D_BGP4_ALT,
				   CF_TPL_D_BGP6_NZ))
			t->flags |= CF_TPL_F_DUAL_NH;
	}
	for (i = 0; i < n; i++) {
		if (t->varlen || dst[i] != CF_TPL_D_SKIP) {
			struct cf_tpl_step *s = &t->steps[t->n_steps++];

			s->off = (uint16_t)off;
			s->len = f[i].len;
			s->dst = dst[i];
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
	t->fast_have = 0;
	t->n_segs = 0;
	memset(t->segs, 0, sizeof(t->segs));
	{
		int v4 = 0, v6 = 0;

		for (i = 0; i < t->n_steps; i++) {
			v4 |= t->steps[i].dst == CF_TPL_D_SRC4 || t->steps[i].dst == CF_TPL_D_DST4;
			v6 |= t->steps[i].dst == CF_TPL_D_SRC6 || t->steps[i].dst == CF_TPL_D_DST6;
		}
		/* Options records go through cf_tpl_store() in order (options_set). */
		const int dual = v4 && v6;

		if (kind != CF_TPL_KIND_DATA || dual || cf_tpl_no_fuse || !fuse(t)) {
			for (i = 0; i < t->n_steps; i++)
				if (t->varlen)
					t->steps[i].op = CF_TPL_OP_GENERIC;
				else
					t->fast_present |= cf_tpl_specialise(&t->steps[i], dual, 0);
		}
	}
	if (off == 0)
		return CF_STATS_DROP_TPL_ZERO_LEN;
	if (off > 65535)
		return CF_STATS_DROP_TPL_TRUNCATED;
	t->rec_len = off;
	t->layout = cf_tpl_layout_hash(kind, f, n, scope);
	return CF_STATS_DROP_MAX;
}
