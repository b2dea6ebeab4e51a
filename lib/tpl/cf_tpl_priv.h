/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_TPL_PRIV_H
#define CF_TPL_PRIV_H

/*
 * Inside lib/tpl (and its unit tests): the compiled template, the
 * per-exporter state, the cache's layout, and the calls between the store
 * (cf_tpl_store.c), the compiler (cf_tpl_compile.c), the executor
 * (cf_tpl_exec.c), the buffer of early data (cf_tpl_pending.c), unknown
 * elements (cf_tpl_unknown.c) and the template file (cf_tpl_persist.c).
 */

#include "cf_tpl.h"

#define CF_TPL_PEND_SLOTS 64       /* data sets waiting for a template, per lcore */
#define CF_TPL_PEND_MAX 9216       /* largest set kept (a jumbo datagram) */

/*
 * One decode step: read len bytes at off (fixed templates) into dst. op is a
 * specialised form for the common (type, length) pairs: a plain copy or
 * byte-swap into the record at roff; CF_TPL_OP_GENERIC goes through dst.
 */
struct cf_tpl_step {
	uint16_t off;
	uint16_t len;
	uint16_t dst;              /* enum cf_tpl_dst */
	uint8_t op;                /* TPL_OP_* (cf_tpl_dst.h) */
	uint8_t roff;              /* offset in struct cf_record for specialised ops */
};

/* A compiled template. */
struct cf_tpl {
	uint64_t last_ms;          /* defined or refreshed */
	uint32_t rec_len;          /* fixed templates: bytes per record; varlen: minimum */
	uint16_t tid;
	uint16_t n_steps;
	uint8_t kind;              /* enum cf_tpl_kind */
	uint8_t varlen;            /* 1: walk fields, steps[] holds every field in order */
	uint8_t in_use;
	uint8_t pad;
	uint32_t exp_idx;          /* owning exporter state (cf_tpl_exp_index) */
	uint32_t fast_present;     /* CFR_F_* bits every record gets from specialised steps */
	struct cf_tpl_step steps[CF_TPL_MAX_FIELDS];
};

/*
 * Template state of one exporter slot (struct cf_decode_exporter in the lcore's
 * exporter table): the identity is the slot and its generation, so a slot
 * given to another exporter is never mistaken for this one.
 */
struct cf_tpl_exp {
	uint32_t slot;             /* cf_decode_exporter_slot() */
	uint32_t gen;              /* the slot's generation when the state was taken */
	uint8_t version;
	uint8_t in_use;
	uint16_t n_templates;
	uint32_t rate;             /* sampling rate from options data without a sampler id */
	uint32_t n_samplers;
	struct { uint32_t id, rate; } samplers[CF_TPL_MAX_SAMPLERS];
	uint64_t sysinit_ms;       /* IPFIX systemInitTimeMilliseconds from options data */
	uint32_t pend_len;         /* bytes of data sets waiting for their template */
	uint32_t first_tpl;        /* its templates: hash positions linked by cache.tlink */
};

/* Links of one template slot in its exporter's list (CF_DECODE_LRU_NONE ends it). */
struct cf_tpl_link {
	uint32_t prev, next;
};

struct cf_tpl_unknown {
	uint32_t pen;
	uint16_t id;
	uint16_t pad;
	uint64_t count;
};

struct cf_tpl_pend {
	uint64_t born_ms;
	struct cf_tpl_msg msg;
	uint32_t exp_idx;
	uint32_t len;
	uint16_t tid;
	uint8_t used;
	uint8_t data[CF_TPL_PEND_MAX];
};

/* The template as received, for --template-file (same slot as the compiled one). */
struct cf_tpl_raw {
	uint16_t n;
	uint16_t scope;
	struct cf_tpl_field f[CF_TPL_MAX_FIELDS];
};

struct cf_tpl_cache {
	struct rte_hash *th;       /* (state index, template id) -> tpls[] slot */
	uint32_t *slot_exp;        /* per exporter slot: 1 + index into exps[], 0 = none */
	uint32_t n_slots;
	struct cf_tpl_exp *exps;      /* max_exps states */
	uint32_t *free_exps;       /* stack of free state indexes */
	uint32_t n_free;
	struct cf_decode_lru lru;     /* states in use, by recency: the victim when none is free */
	struct cf_tpl_link *tlink;    /* per template slot: its exporter's list */
	struct cf_tpl *tpls;
	struct cf_tpl_raw *raw;
	struct cf_tpl *last_tpl;
	uint32_t max_exps, per_exp, max_tpls;
	uint32_t n_tpls;
	uint64_t timeout_ms;
	uint64_t pend_age_ms;
	uint32_t pend_cap;         /* bytes per exporter; 0 = buffering off */
	uint32_t n_pend;
	uint64_t pend_next_check;
	struct cf_tpl_pend *pend;
	const struct cf_tpl_fieldmap *fm;  /* --field-map overrides, shared read-only */
	struct cf_tpl scratch;        /* compile target before it replaces the live one */
	uint64_t unk_other;
	struct cf_tpl_unknown unk[CF_TPL_UNKNOWN_SLOTS];
};

/* Slot of ex in the cache's exporter array, and back. */
static inline uint32_t
cf_tpl_exp_index(const struct cf_tpl_cache *c, const struct cf_tpl_exp *ex)
{
	return (uint32_t)(ex - c->exps);
}

static inline struct cf_tpl_exp *
cf_tpl_exp_at(struct cf_tpl_cache *c, uint32_t idx)
{
	return &c->exps[idx];
}

/* Compiler: the decode program of (f, n) into t; CF_STATS_DROP_MAX or the reason (not counted). */
enum cf_stats_drop cf_tpl_compile(struct cf_decode_ctx *ctx, struct cf_tpl *t, uint8_t version,
				  enum cf_tpl_kind kind, const struct cf_tpl_field *f, uint16_t n,
				  uint16_t scope);
/* One more template carrying the unmapped element (pen, id). */
void cf_tpl_unknown_hit(struct cf_decode_ctx *ctx, uint32_t pen, uint16_t id);

/*
 * The template file (cf_tpl_persist.c), for the saver (cf_tpl_save.c).
 * tpl_save() writes the templates and exporter sampling state of n contexts
 * (their lcores stopped); returns templates written or -1 (reason in err).
 * cf_tpl_restore_file() loads a saved file into every ctx; returns templates per
 * ctx, 0 when the file does not exist, -1 when it is unreadable, foreign or
 * corrupt (nothing restored; reason in err). A snapshot is one cache copied
 * by its own lcore into a buffer of cf_tpl_snap_size() bytes (cf_tpl_snap_take():
 * no allocation; -1 when the cache outgrew it); cf_tpl_save_snaps() writes the
 * file from snapshots, as tpl_save() does.
 */
struct cf_tpl_snap {
	uint8_t *buf;
	size_t cap, exp_len, len;
	uint32_t n_exp, n_tpl;
};
size_t cf_tpl_snap_size(const struct cf_decode_ctx *ctx);
int cf_tpl_snap_take(const struct cf_decode_ctx *ctx, struct cf_tpl_snap *s);
int cf_tpl_save_snaps(const char *path, const struct cf_tpl_snap *const *s, unsigned int n,
		      char *err, size_t errlen);
int tpl_save(const char *path, struct cf_decode_ctx *const *ctx, unsigned int n, char *err,
	     size_t errlen);
int cf_tpl_restore_file(struct cf_decode_ctx *const *ctx, unsigned int n, const char *path,
			uint64_t now_ms, char *err, size_t errlen);

#endif
