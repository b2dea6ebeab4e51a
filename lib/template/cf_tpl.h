/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_TPL_H
#define CF_TPL_H

/*
 * Template engine shared by the NetFlow v9 and IPFIX decoders: a per-lcore
 * cache of templates compiled into decode programs, per-exporter template
 * state (sampling, system init time), the data-set decoder, the buffer of
 * data that came before its template, and the --template-file saver.
 *
 * Contract:
 *  - One struct tpl_cache per RX lcore, reached through cfd_ctx.tpl. Not
 *    thread safe: only the owning lcore calls anything here (tpl_unknown_*
 *    readers excepted, which read plain counters after the lcore stopped or
 *    accept a stale value; the saver's own rules are below).
 *  - The exporter is the lcore's exporter table's (cf_decode.h): its slot,
 *    found once per datagram, indexes the template state; templates are
 *    keyed by (that state, template id). A template is compiled when it
 *    arrives: a fixed-length template becomes a list of (offset, length,
 *    destination) steps run by one loop; a template with a variable-length
 *    element keeps every field in order and is walked field by field. The
 *    compiled form (struct tpl) is private to lib/template.
 *  - Bounded: at most cfg->max_exporters template-exporters per lcore and
 *    cfg->max_per_exporter templates per exporter; each refusal is a counted
 *    drop (tpl_exporters_full, tpl_per_exporter_full). At most TPL_MAX_FIELDS
 *    elements per template (tpl_too_many_fields). Nothing is allocated after
 *    tpl_cache_attach().
 *  - Redefinition replaces in place; a template not refreshed for
 *    cfg->timeout_s seconds is expired (on lookup and by sweeps when the
 *    table is full); IPFIX withdrawals remove one or all templates of a kind.
 *  - Elements we do not map are skipped by length and counted per (PEN, id)
 *    each time a template carrying them is defined.
 *  - Records never point at templates: a data set is decoded into record
 *    slots straight away, so replacing a template never leaves a dangling one.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cf_decode.h"

#define TPL_MAX_FIELDS 128     /* elements per template; more is refused by tpl_define() */
#define TPL_VARLEN 0xffff      /* IPFIX variable-length field length */
#define TPL_MAX_SAMPLERS 8     /* sampler ids remembered per exporter */
#define TPL_UNKNOWN_SLOTS 256  /* distinct unknown (PEN, id) pairs counted per lcore */

/* Kinds of template: data records become flow records; options update state. */
enum tpl_kind {
	TPL_KIND_DATA = 0,
	TPL_KIND_OPTIONS = 1,
};

/* One element as it appears in a template record. */
struct tpl_field {
	uint32_t pen;              /* 0 = IANA / NetFlow v9 */
	uint16_t id;               /* without the enterprise bit */
	uint16_t len;              /* TPL_VARLEN for variable length */
};

/*
 * A template record's fields as a decoder reads them off the wire. Every
 * field is counted; only the first TPL_MAX_FIELDS are kept, and tpl_define()
 * refuses a template with more (the one place that limit is decided).
 */
struct tpl_fields {
	uint32_t n;
	struct tpl_field f[TPL_MAX_FIELDS];
};

static inline void
tpl_fields_add(struct tpl_fields *t, uint32_t pen, uint16_t id, uint16_t len)
{
	if (t->n < TPL_MAX_FIELDS) {
		t->f[t->n].pen = pen;
		t->f[t->n].id = id;
		t->f[t->n].len = len;
	}
	t->n++;
}

/* Per-datagram header facts the data decoder needs. */
struct tpl_msg {
	uint64_t export_ms;        /* export time, Unix ms */
	uint32_t uptime_ms;        /* v9 sysUptime; 0 for IPFIX */
	uint32_t domain;
	uint8_t version;           /* CFR_V_NF9 or CFR_V_IPFIX */
};

struct tpl_cache;
struct tpl_exp;                /* template state of one exporter (opaque) */
struct tpl;                    /* a compiled template (opaque) */
struct tpl_fieldmap;

/* Settings of one lcore's template engine; 0 = the default in brackets. */
struct tpl_config {
	uint32_t timeout_s;        /* --template-timeout [1800] */
	uint32_t max_exporters;    /* exporters holding template state per lcore [512] */
	uint32_t max_per_exporter; /* templates one exporter may hold [32] */
	uint32_t pending_s;        /* age limit of data waiting for its template [10] */
	uint32_t pending_bytes;    /* such data kept per exporter [65536] */
	uint8_t pending_off;       /* --no-template-wait: keep none */
	const struct tpl_fieldmap *field_map; /* --field-map; NULL = built-in map only */
};

/* Operator field map (--field-map), read-only after start-up. */
#define TPL_FM_MAX 256
struct tpl_fm_entry {
	uint32_t pen;
	uint16_t id;
	uint8_t version;
	uint8_t pad;
	uint16_t dst4, dst16;
};
struct tpl_fieldmap {
	unsigned int n;
	struct tpl_fm_entry e[TPL_FM_MAX];
};

/*
 * Load a JSON field map ({"<9|10>:<pen>:<id>": "<field>"}). 0, or -1 with a
 * one-line reason naming the offending key in err. Not for the hot path.
 */
int tpl_fieldmap_load(struct tpl_fieldmap *fm, const char *path, char *err, size_t errlen);
/* 1 and *dst set when fm maps the element (length picks the address family), else 0. */
int tpl_fieldmap_lookup(const struct tpl_fieldmap *fm, uint8_t version, uint32_t pen,
			uint16_t id, uint16_t len, uint16_t *dst);

/* ---------------------------------------------------------------- the store */

/*
 * Build ctx's template cache (ctx->tpl; name unique per process), its state
 * indexed by ctx's exporter slots, and make the template timeout the
 * exporters' idle period (ctx->idle_ms): expiry is decided once for both
 * tables. 0 or -ENOMEM. tpl_cache_detach() frees it.
 */
int tpl_cache_attach(struct cfd_ctx *ctx, const char *name, int socket_id,
		     const struct tpl_config *cfg);
void tpl_cache_detach(struct cfd_ctx *ctx);

/*
 * The template state of exporter e (from cfd_exporter_get(): the one lookup
 * per datagram), taken when new. The state lives while e's slot holds this
 * exporter; it holds the slot (cfd_exporter.held) while it has templates or
 * waiting data, and gives its room back when the exporter is idle. NULL when
 * e is NULL (the exporter table was full, already counted) or when
 * cfg->max_exporters exporters hold state (counted as tpl_exporters_full).
 */
struct tpl_exp *tpl_exp_get(struct cfd_ctx *ctx, struct cfd_exporter *e, uint64_t now_ms);

/* cfd_exporter_get() then tpl_exp_get(): for callers without the exporter (tests). */
struct tpl_exp *tpl_exporter(struct cfd_ctx *ctx, const struct cfd_dgram *dg,
			     uint8_t version, uint32_t domain);

/*
 * Compile and install a template (replacing one with the same id). scope is
 * the number of leading scope fields (options templates). Returns
 * CFS_DROP_MAX on success, else the drop reason (already counted).
 */
enum cfs_drop tpl_define(struct cfd_ctx *ctx, struct tpl_exp *ex, uint16_t tid,
			 enum tpl_kind kind, const struct tpl_field *f, uint16_t n,
			 uint16_t scope, uint64_t now_ms);

/* The live template tid of ex, or NULL (absent, or expired: then removed and counted). */
const struct tpl *tpl_find(struct cfd_ctx *ctx, struct tpl_exp *ex, uint16_t tid,
			   uint64_t now_ms);

/* IPFIX withdrawal of one template; 0 when it existed, -1 otherwise. */
int tpl_withdraw(struct cfd_ctx *ctx, struct tpl_exp *ex, uint16_t tid);
/* IPFIX withdrawal of every template of a kind; returns how many went. */
unsigned int tpl_withdraw_all(struct cfd_ctx *ctx, struct tpl_exp *ex, enum tpl_kind kind);

/* Expire every template older than the timeout; returns how many went. */
unsigned int tpl_expire(struct cfd_ctx *ctx, uint64_t now_ms);

/* ---------------------------------------------------------------- data sets */

/*
 * Decode one data set (the bytes after its 4-byte set header) with template t:
 * data records become flow records in ctx->sink, options records update ex.
 * Trailing bytes too short for a record are padding. Returns the number of
 * data records in the set (for IPFIX sequence accounting).
 */
uint32_t tpl_data_set(struct cfd_ctx *ctx, struct tpl_exp *ex, const struct tpl *t,
		      const struct tpl_msg *m, const struct cfd_dgram *dg,
		      const uint8_t *p, uint32_t len);

#define TPL_SET_UNKNOWN UINT32_MAX

/*
 * A data set of template tid as a decoder meets it on the wire: decoded when
 * ex holds the template (returns the data records, as tpl_data_set()), else
 * kept until the template comes (tpl_pending_add()) or counted as
 * no_template, and TPL_SET_UNKNOWN returned. ex may be NULL (the exporter has
 * no template state): no_template.
 */
uint32_t tpl_data_flowset(struct cfd_ctx *ctx, struct tpl_exp *ex, uint16_t tid,
			  const struct tpl_msg *m, const struct cfd_dgram *dg,
			  const uint8_t *p, uint32_t len);

/* ---------------------------------------------------------------- data before its template */

/*
 * Data before its template: keep a copy of the set (bounded per exporter and
 * per lcore, aged out after cfg->pending_s) and decode it when template
 * tid arrives. Returns 0 when kept, -1 when not (the caller counts no_template).
 */
int tpl_pending_add(struct cfd_ctx *ctx, struct tpl_exp *ex, uint16_t tid,
		    const struct tpl_msg *m, const uint8_t *p, uint32_t len, uint64_t now_ms);
/* Decode what was waiting for template tid of ex (call after tpl_define). */
void tpl_pending_run(struct cfd_ctx *ctx, struct tpl_exp *ex, uint16_t tid,
		     const struct cfd_dgram *dg);

/* Periodic work (ages out buffered data sets); cheap, call once per datagram. */
void tpl_tick(struct cfd_ctx *ctx, uint64_t now_ms);

/* Count every still-buffered data set as no_template (clean shutdown); returns how many. */
unsigned int tpl_pending_flush(struct cfd_ctx *ctx);

/* ---------------------------------------------------------------- --template-file */

/*
 * --template-file: every lcore's templates and exporter sampling state saved
 * to one file (FILE.tmp, then renamed) and restored at start through the same
 * checks and limits as templates from the wire (format: cf_tpl_persist.c).
 *
 *  - tpl_saver_open(): on the main lcore, after the contexts are built and
 *    before the RX lcores run. Restores path into every ctx (after a restart
 *    an exporter may land on any lcore) and logs how many templates came back,
 *    or why the file was ignored. With interval_s != 0 it allocates one
 *    snapshot buffer per lcore, on its socket. Returns NULL when path is ""
 *    (every other call accepts NULL and does nothing) and, with err filled,
 *    when out of memory. done[i] is RX lcore i's "stopped" flag, read by the
 *    control lcore; the arrays are copied, the flags and contexts must
 *    outlive s.
 *  - tpl_saver_lcore(s, i): the handle RX lcore i polls (NULL when s is NULL).
 *  - tpl_saver_poll(): on RX lcore i only, in its periodic work: when the
 *    control lcore asked, copies its own cache into its own buffer (no lock,
 *    no allocation) and answers (release store). Cheap when not asked.
 *  - tpl_saver_tick(): on the control lcore, as often as it likes (now_ms
 *    monotonic): every interval_s asks each lcore still running (*done[i] ==
 *    0), and once all have answered writes the file from their snapshots. A
 *    cache that outgrew its buffer makes that round skip the file with a
 *    warning (a partial file would forget templates).
 *  - tpl_saver_close(): after the RX lcores stopped: writes every cache
 *    (logged, errors too) and frees s.
 *  - log gets whole lines (ending in '\n') at an RTE_LOG_* level.
 */
struct tpl_saver;
struct tpl_saver_lcore;
typedef void tpl_log_fn(uint32_t level, const char *line);

struct tpl_saver *tpl_saver_open(const char *path, uint32_t interval_s,
				 struct cfd_ctx *const *ctx, const volatile int *const *done,
				 const unsigned int *lcore_id, unsigned int n, uint64_t wall_ms,
				 tpl_log_fn *log, char *err, size_t errlen);
struct tpl_saver_lcore *tpl_saver_lcore(struct tpl_saver *s, unsigned int i);
void tpl_saver_poll(struct tpl_saver_lcore *l);
void tpl_saver_tick(struct tpl_saver *s, uint64_t now_ms);
void tpl_saver_close(struct tpl_saver *s);

/* ---------------------------------------------------------------- element map, unknown elements */

/* Print the unknown (PEN, id) counters of n caches, summed, one line. */
void tpl_unknown_print(FILE *f, struct tpl_cache *const *c, unsigned int n);
/* Count of unknown element (pen, id) seen in templates of this cache (tests). */
uint64_t tpl_unknown_count(const struct tpl_cache *c, uint32_t pen, uint16_t id);

/* Element -> destination: exposed for tests; returns enum tpl_dst (TPL_D_SKIP when unmapped). */
uint16_t tpl_map(uint8_t version, uint32_t pen, uint16_t id, uint16_t len);

#endif
