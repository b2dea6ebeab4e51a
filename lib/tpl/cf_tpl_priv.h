/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_TPL_PRIV_H
#define CF_TPL_PRIV_H

/*
 * Inside lib/tpl (and its unit tests): the compiled template, the
 * per-exporter state, the cache's layout, and the calls between the store
 * (cf_tpl_store.c), the compiler (cf_tpl_compile.c), the executor
 * (cf_tpl_exec.c), the buffer of early data (cf_tpl_pending.c), the names
 * from options data (cf_tpl_names.c), the operators' view (cf_tpl_view.c),
 * unknown elements (cf_tpl_unknown.c) and the template file (cf_tpl_persist.c).
 */

#include "cf_tpl.h"

#define CF_TPL_PEND_MAX 9216       /* largest set kept (a jumbo datagram) */
#define CF_TPL_PEND_NONE UINT32_MAX
#define CF_TPL_GONE 4              /* layouts of expired templates remembered per exporter */
#define CF_TPL_OPS 16              /* room for enum cf_tpl_op (cf_tpl_dst.h) */
#define CF_TPL_SEGS 4              /* fused: fixed runs between variable-length elements */

/* cf_tpl.flags */
#define CF_TPL_F_LAYERED 1         /* a second flow-key group: inner header to resolve */
#define CF_TPL_F_DUAL_NH 2         /* next hops of both families to choose from */

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

/*
 * A fused program (cf_tpl_compile.c fuse()) is one segment per run of
 * fixed-length elements; a variable-length element follows every segment
 * but the last. Steps of a segment are steps[first, end): the specialised
 * ones grouped by op in cf_tpl_op_order (op_end[op]: one past that op's run,
 * absolute), the
 * generic ones after them in template order; off is from the segment's start.
 */
struct cf_tpl_seg {
	uint16_t len;              /* bytes of its fixed-length elements */
	uint8_t first, end;        /* its steps; steps[end] is the variable-length one */
	uint8_t op_end[CF_TPL_OPS];
	uint8_t rare;              /* 1: it has steps of an op in CF_TPL_OPS_RARE */
};

/*
 * A compiled template. Readers on other threads (cf_tpl_view.c) copy the
 * slot between two reads of seq (odd while the lcore rewrites it); records
 * and last_ms are single 64-bit words the lcore stores whole.
 */
struct cf_tpl {
	uint64_t last_ms;          /* defined or refreshed */
	uint32_t rec_len;          /* fixed templates: bytes per record; varlen: minimum */
	uint16_t tid;
	uint16_t n_steps;
	uint8_t kind;              /* enum cf_tpl_kind */
	uint8_t varlen;            /* 1: variable-length fields (unfused: steps[] = every field) */
	uint8_t in_use;
	uint8_t flags;             /* CF_TPL_F_* */
	uint32_t exp_idx;          /* owning exporter state (cf_tpl_exp_index) */
	uint32_t fast_present;     /* CFR_F_* bits every record gets from specialised steps */
	uint32_t layout;           /* cf_tpl_layout_hash() of the fields */
	uint32_t seq;              /* for readers: odd while the slot is rewritten */
	uint8_t prob_double;       /* samplingProbability is a float64 (else float32) */
	uint8_t n_segs;            /* 0: steps in template order; else the fused program */
	uint8_t pad[6];
	uint64_t fast_have;        /* fused: scratch bits every record gets (cf_tpl_scr.have) */
	struct cf_tpl_seg segs[CF_TPL_SEGS];
	uint64_t first_ms;         /* this layout first defined */
	uint64_t records;          /* records (data or options) decoded with it */
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
	/* rate 0: the selector's algorithm is known, its numbers are not (no rate) */
	struct { uint32_t id, rate; } samplers[CF_TPL_MAX_SAMPLERS];
	uint64_t sysinit_ms;       /* IPFIX systemInitTimeMilliseconds from options data */
	/* data sets waiting for their template: a chain through the lcore's arena */
	uint32_t pend_len;         /* bytes of data (the --template-wait-bytes bound) */
	uint32_t pend_sets;
	uint32_t pend_head, pend_tail; /* arena offsets, oldest first; CF_TPL_PEND_NONE */
	uint64_t pend_tids;        /* bit tid % 64 of every waiting set (may over-report) */
	/* layouts of templates that expired here while the exporter may still use them */
	struct { uint32_t layout; uint16_t tid; uint8_t used; uint8_t pad; } gone[CF_TPL_GONE];
	uint32_t gone_next;
	/* names from options data (cf_tpl_names.c) */
	uint32_t n_names;
	uint32_t n_names_kind[CF_TPL_NAME_KINDS];
	/* the last lookup per record name (in/out interface, VRF, application) */
	struct { uint64_t key; uint32_t ref; uint32_t valid; } name_last[CF_RECORD_NAME_MAX];
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

/* A data set waiting for its template: its header in the arena, the set right after. */
struct cf_tpl_pend {
	uint64_t born_ms;
	struct cf_tpl_msg msg;
	uint32_t exp_idx;
	uint32_t next;             /* the exporter's next waiting set (arena offset) */
	uint32_t size;             /* arena bytes of the entry, header included */
	uint32_t len;              /* bytes of the set */
	uint16_t tid;
	uint8_t live;
	uint8_t pad[5];
	uint8_t data[];
};

/*
 * The arena: one ring of bytes per lcore, entries in arrival order. Live bytes
 * are [tail, head) or, wrapped, [tail, end) then [0, head). Entries die in any
 * order (decoded, withdrawn, aged); the tail moves over dead ones.
 */
struct cf_tpl_arena {
	uint8_t *buf;
	uint32_t cap, head, tail, end, used;
	uint8_t wrapped;
};

/* One name from options data; readers copy it between two equal even seq values. */
struct cf_tpl_name {
	uint32_t seq;              /* odd while written */
	uint16_t ident;            /* bumped when the slot is given to another key */
	uint8_t kind;              /* enum cf_tpl_name_kind */
	uint8_t len;
	uint32_t exp_idx;
	uint32_t pad;
	uint64_t key;
	char name[CF_TPL_NAME_MAX + 1];
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
	uint32_t n_pend;           /* live entries in the arena */
	uint64_t pend_next_check;
	struct cf_tpl_arena arena;
	struct rte_hash *nh;       /* (state index, kind, key) -> names[] slot */
	struct cf_tpl_name *names;
	uint32_t n_name_slots;
	uint32_t n_names;
	uint8_t names_id;          /* this cache's index in a names view (cf_tpl_names_view_new) */
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

/* The fingerprint of a template's fields (redefinition with another layout). */
uint32_t cf_tpl_layout_hash(enum cf_tpl_kind kind, const struct cf_tpl_field *f, uint16_t n,
			    uint16_t scope);

/* Tests only: 1 compiles every template unfused (the step-by-step program). */
extern int cf_tpl_no_fuse;

/* Compiler: the decode program of (f, n) into t; CF_STATS_DROP_MAX or the reason (not counted). */
enum cf_stats_drop cf_tpl_compile(struct cf_decode_ctx *ctx, struct cf_tpl *t, uint8_t version,
				  enum cf_tpl_kind kind, const struct cf_tpl_field *f, uint16_t n,
				  uint16_t scope);
/*
 * Early data (cf_tpl_pending.c): cf_tpl_pending_setup() builds the arena at
 * attach (-ENOMEM); cf_tpl_pending_discard() drops every waiting set of ex for
 * template tid (all of them with tid < 0) counting each under why, and returns
 * how many.
 */
int cf_tpl_pending_setup(struct cf_tpl_cache *c, const char *name, int socket_id);
unsigned int cf_tpl_pending_discard(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, int tid,
				    enum cf_stats_drop why);

/*
 * Names (cf_tpl_names.c): built at attach (-ENOMEM); cf_tpl_names_set() keeps or
 * replaces the name of (ex, kind, key) (counting a full table as opt_names_full);
 * cf_tpl_names_ref() is the record's reference to it for one use (a record name
 * slot, each with its own last-lookup cache), 0 when there is none;
 * cf_tpl_names_drop_exp() forgets every name of ex (its state goes).
 */
int cf_tpl_names_setup(struct cf_tpl_cache *c, const char *name, int socket_id);
void cf_tpl_names_free(struct cf_tpl_cache *c);
void cf_tpl_names_set(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, enum cf_tpl_name_kind kind,
		      uint64_t key, const uint8_t *name, uint32_t len);
uint32_t cf_tpl_names_ref(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex,
			  enum cf_tpl_name_kind kind, uint64_t key, enum cf_record_name use);
void cf_tpl_names_drop_exp(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex);

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
