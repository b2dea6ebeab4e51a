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
 *  - One struct cf_tpl_cache per RX lcore, reached through cf_decode_ctx.tpl. Not
 *    thread safe: only the owning lcore calls anything here (tpl_unknown_*
 *    readers excepted, which read plain counters after the lcore stopped or
 *    accept a stale value; the saver's own rules are below).
 *  - The exporter is the lcore's exporter table's (cf_decode.h): its slot,
 *    found once per datagram, indexes the template state; templates are
 *    keyed by (that state, template id). A template is compiled when it
 *    arrives: a fixed-length template becomes a list of (offset, length,
 *    destination) steps run by one loop; a template with a variable-length
 *    element keeps every field in order and is walked field by field. The
 *    compiled form (struct cf_tpl) is private to lib/tpl.
 *  - Bounded: at most cfg->max_exporters template-exporters per lcore and
 *    cfg->max_per_exporter templates per exporter (a template past that is a
 *    counted drop, tpl_per_exporter_full). A new exporter is always admitted,
 *    in O(1): when every state is taken, the least recently used one goes
 *    with its templates and waiting data (tpl_exporters_evicted, tpl_evicted).
 *    Recency is a segmented LRU that protects the states of exporters the
 *    exporter table protects (cf_decode_exporter_protected(): they sent
 *    data), so a flood of new (address, domain) pairs does not push out a real
 *    exporter. No call on the datagram path scans the table. At most
 *    CF_TPL_MAX_FIELDS elements per template (tpl_too_many_fields). Nothing is
 *    allocated after cf_tpl_cache_attach().
 *  - Redefinition replaces in place; a template not refreshed for
 *    cfg->timeout_s seconds is expired on lookup; IPFIX withdrawals remove one
 *    or all templates of a kind (the exporter's own list, not a table scan).
 *  - Elements we do not map are skipped by length and counted per (PEN, id)
 *    each time a template carrying them is defined.
 *  - Records never point at templates: a data set is decoded into record
 *    slots straight away, so replacing a template never leaves a dangling one.
 *  - A set decodes at most one record per CF_TPL_MIN_RECORD_BYTES bytes of its
 *    length (4-byte header included; one record at least), so a template of
 *    1-byte records cannot make every data byte a record: a datagram yields
 *    at most one record per 5 bytes (sets of one record each), one per 8 when
 *    its sets hold several. The rest is counted as rec_amplified, and still
 *    counts in the sequence.
 *  - Data before its template waits in one arena per lcore (bounded by bytes
 *    per exporter and by age, not by a number of sets). A withdrawal of its
 *    template id discards it (tpl_wait_withdrawn); so does the id coming back
 *    with another layout than the one that expired here (tpl_wait_redefined):
 *    waiting data is never decoded with a layout it was not sent with.
 *  - Options data naming interfaces, VRFs and applications is kept per
 *    exporter state in a bounded per-lcore table (CF_TPL_NAMES_PER_LCORE,
 *    CF_TPL_NAMES_PER_EXPORTER; a refusal is counted as opt_names_full); flow
 *    records carry references to it (cf_record.names[]) that any thread
 *    resolves with cf_tpl_names_lookup(). A later record for the same id
 *    replaces the name. Names go with their exporter's state.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cf_decode.h"

#define CF_TPL_MAX_FIELDS 128     /* elements per template; more is refused by cf_tpl_define() */
#define CF_TPL_VARLEN 0xffff      /* IPFIX variable-length field length */
#define CF_TPL_MAX_SAMPLERS 8     /* sampler ids remembered per exporter */
#define CF_TPL_UNKNOWN_SLOTS 256  /* distinct unknown (PEN, id) pairs counted per lcore */
#define CF_TPL_MIN_RECORD_BYTES 8 /* one record per this many bytes of a set, at most */
#define CF_TPL_NAME_MAX 63        /* bytes of a name kept (longer ones are cut) */
#define CF_TPL_NAMES_PER_LCORE 8192
#define CF_TPL_NAMES_PER_EXPORTER 2048

/* What a name from options data names: the key is an ifIndex, a VRF id, an applicationId. */
enum cf_tpl_name_kind {
	CF_TPL_NAME_IF = 0,        /* interfaceName (82), else interfaceDescription (83) */
	CF_TPL_NAME_VRF,           /* VRFname (236) by ingressVRFID/egressVRFID (234/235) */
	CF_TPL_NAME_APP,           /* applicationName (96) by applicationId (95) */
	CF_TPL_NAME_KINDS
};

/* Kinds of template: data records become flow records; options update state. */
enum cf_tpl_kind {
	CF_TPL_KIND_DATA = 0,
	CF_TPL_KIND_OPTIONS = 1,
};

/* One element as it appears in a template record. */
struct cf_tpl_field {
	uint32_t pen;              /* 0 = IANA / NetFlow v9 */
	uint16_t id;               /* without the enterprise bit */
	uint16_t len;              /* CF_TPL_VARLEN for variable length */
};

/*
 * A template record's fields as a decoder reads them off the wire. Every
 * field is counted; only the first CF_TPL_MAX_FIELDS are kept, and cf_tpl_define()
 * refuses a template with more (the one place that limit is decided).
 */
struct cf_tpl_fields {
	uint32_t n;
	struct cf_tpl_field f[CF_TPL_MAX_FIELDS];
};

static inline void
cf_tpl_fields_add(struct cf_tpl_fields *t, uint32_t pen, uint16_t id, uint16_t len)
{
	if (t->n < CF_TPL_MAX_FIELDS) {
		t->f[t->n].pen = pen;
		t->f[t->n].id = id;
		t->f[t->n].len = len;
	}
	t->n++;
}

/* Per-datagram header facts the data decoder needs. */
struct cf_tpl_msg {
	uint64_t export_ms;        /* export time, Unix ms */
	uint32_t uptime_ms;        /* v9 sysUptime; 0 for IPFIX */
	uint32_t domain;
	uint8_t version;           /* CF_RECORD_V_NF9 or CF_RECORD_V_IPFIX */
};

struct cf_tpl_cache;
struct cf_tpl_exp;                /* template state of one exporter (opaque) */
struct cf_tpl;                    /* a compiled template (opaque) */
struct cf_tpl_fieldmap;

/* Settings of one lcore's template engine; 0 = the default in brackets. */
struct cf_tpl_config {
	uint32_t timeout_s;        /* --template-timeout [1800] */
	uint32_t max_exporters;    /* exporters holding template state per lcore [512] */
	uint32_t max_per_exporter; /* templates one exporter may hold [32] */
	uint32_t pending_s;        /* age limit of data waiting for its template [10] */
	uint32_t pending_bytes;    /* such data kept per exporter [65536] */
	uint8_t pending_off;       /* --no-template-wait: keep none */
	const struct cf_tpl_fieldmap *field_map; /* --field-map; NULL = built-in map only */
};

/* Operator field map (--field-map), read-only after start-up. */
#define CF_TPL_FM_MAX 256
struct cf_tpl_fm_entry {
	uint32_t pen;
	uint16_t id;
	uint8_t version;
	uint8_t pad;
	uint16_t dst4, dst16;
};
struct cf_tpl_fieldmap {
	unsigned int n;
	struct cf_tpl_fm_entry e[CF_TPL_FM_MAX];
};

/*
 * Load a JSON field map ({"<9|10>:<pen>:<id>": "<field>"}). 0, or -1 with a
 * one-line reason naming the offending key in err. Not for the hot path.
 */
int cf_tpl_fieldmap_load(struct cf_tpl_fieldmap *fm, const char *path, char *err, size_t errlen);
/* 1 and *dst set when fm maps the element (length picks the address family), else 0. */
int cf_tpl_fieldmap_lookup(const struct cf_tpl_fieldmap *fm, uint8_t version, uint32_t pen,
			   uint16_t id, uint16_t len, uint16_t *dst);

/* ---------------------------------------------------------------- the store */

/*
 * Build ctx's template cache (ctx->tpl; name unique per process), its state
 * indexed by ctx's exporter slots, and hook it to the exporter table's
 * eviction (ctx->evict_hook): an evicted exporter's templates go with it.
 * 0 or -ENOMEM. cf_tpl_cache_detach() frees it.
 */
int cf_tpl_cache_attach(struct cf_decode_ctx *ctx, const char *name, int socket_id,
			const struct cf_tpl_config *cfg);
void cf_tpl_cache_detach(struct cf_decode_ctx *ctx);

/*
 * The template state of exporter e (from cf_decode_exporter_get(): the one lookup
 * per datagram), taken when new (evicting the least recently used state when
 * all are taken) and refreshed as recently used. The state lives while e's
 * slot holds this exporter. NULL when e is NULL (the datagram is dropped).
 */
struct cf_tpl_exp *cf_tpl_exp_get(struct cf_decode_ctx *ctx, struct cf_decode_exporter *e,
				  uint64_t now_ms);

/* cf_decode_exporter_get() then cf_tpl_exp_get(): for callers without the exporter (tests). */
struct cf_tpl_exp *cf_tpl_exporter(struct cf_decode_ctx *ctx, const struct cf_decode_dgram *dg,
				   uint8_t version, uint32_t domain);

/*
 * Compile and install a template (replacing one with the same id). scope is
 * the number of leading scope fields (options templates). Returns
 * CF_STATS_DROP_MAX on success, else the drop reason (already counted).
 */
enum cf_stats_drop cf_tpl_define(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid,
				 enum cf_tpl_kind kind, const struct cf_tpl_field *f, uint16_t n,
				 uint16_t scope, uint64_t now_ms);

/* The live template tid of ex, or NULL (absent, or expired: then removed and counted). */
const struct cf_tpl *cf_tpl_find(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid,
				 uint64_t now_ms);

/* IPFIX withdrawal of one template; 0 when it existed, -1 otherwise. */
int cf_tpl_withdraw(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid);
/* IPFIX withdrawal of every template of a kind; returns how many went. */
unsigned int cf_tpl_withdraw_all(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex,
				 enum cf_tpl_kind kind);

/* Expire every template older than the timeout (a full sweep: not for the datagram path). */
unsigned int cf_tpl_expire(struct cf_decode_ctx *ctx, uint64_t now_ms);

/* ---------------------------------------------------------------- data sets */

/*
 * Decode one data set (the bytes after its 4-byte set header) with template t:
 * data records become flow records in ctx->sink, options records update ex.
 * Trailing bytes too short for a record are padding. Returns the number of
 * data records in the set (for IPFIX sequence accounting).
 */
uint32_t cf_tpl_data_set(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, const struct cf_tpl *t,
			 const struct cf_tpl_msg *m, const struct cf_decode_dgram *dg,
			 const uint8_t *p, uint32_t len);

#define CF_TPL_SET_UNKNOWN UINT32_MAX

/*
 * A data set of template tid as a decoder meets it on the wire: decoded when
 * ex holds the template (returns the data records, as cf_tpl_data_set()), else
 * kept until the template comes (cf_tpl_pending_add()) or counted as
 * no_template, and CF_TPL_SET_UNKNOWN returned. ex may be NULL (the exporter has
 * no template state): no_template.
 */
uint32_t cf_tpl_data_flowset(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid,
			     const struct cf_tpl_msg *m, const struct cf_decode_dgram *dg,
			     const uint8_t *p, uint32_t len);

/* ---------------------------------------------------------------- data before its template */

/*
 * Data before its template: keep a copy of the set (bounded per exporter and
 * per lcore, aged out after cfg->pending_s) and decode it when template
 * tid arrives. Returns 0 when kept, -1 when not (the caller counts no_template).
 */
int cf_tpl_pending_add(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid,
		       const struct cf_tpl_msg *m, const uint8_t *p, uint32_t len, uint64_t now_ms);
/* Decode what was waiting for template tid of ex (call after cf_tpl_define). */
void cf_tpl_pending_run(struct cf_decode_ctx *ctx, struct cf_tpl_exp *ex, uint16_t tid,
			const struct cf_decode_dgram *dg);

/* Periodic work (ages out buffered data sets); cheap, call once per datagram. */
void cf_tpl_tick(struct cf_decode_ctx *ctx, uint64_t now_ms);

/* Count every still-buffered data set as no_template (clean shutdown); returns how many. */
unsigned int cf_tpl_pending_flush(struct cf_decode_ctx *ctx);

/* ---------------------------------------------------------------- names, for the encoders */

/*
 * Built on the main lcore after the contexts and before the RX lcores run:
 * numbers each ctx's name table (a record's reference names its table) and
 * returns the view the encoders resolve references through, or NULL when out
 * of memory. The contexts must outlive it.
 */
struct cf_tpl_names_view;
struct cf_tpl_names_view *cf_tpl_names_view_new(struct cf_decode_ctx *const *ctx, unsigned int n);
void cf_tpl_names_view_free(struct cf_tpl_names_view *v);

/*
 * Any thread (view: a struct cf_tpl_names_view): the name a record's reference
 * stands for, NUL-terminated in buf (CF_TPL_NAME_MAX + 1 bytes); its length,
 * or -1 when the reference is unknown or its slot went to another key since.
 * The name is the current one: a replaced name reads as its replacement.
 */
int cf_tpl_names_lookup(void *view, uint32_t ref, char *buf);

/* ---------------------------------------------------------------- the operators' view */

/*
 * A copy of every lcore's template state, grouped by exporter (telemetry
 * /clarion/templates, HTTP /templates). Any thread, any time, lock-free: a
 * template rewritten while it is copied is copied again (or left out after a
 * few tries); counters may be a set stale. cf_tpl_view_take() allocates (NULL
 * when out of memory); cf_tpl_view_free() frees.
 */
struct cf_tpl_view_tpl {
	uint16_t tid;
	uint8_t kind;              /* enum cf_tpl_kind */
	uint16_t n_fields, scope;
	uint32_t field;            /* its fields: view->fields[field .. field + n_fields) */
	uint64_t first_ms, last_ms, records;
};

struct cf_tpl_view_exp {
	char exporter[48];         /* address text */
	uint8_t version;           /* CF_RECORD_V_NF9 or CF_RECORD_V_IPFIX */
	uint32_t domain;
	uint32_t lcore;            /* index of its ctx */
	uint64_t pending_bytes, pending_sets; /* data waiting for a template */
	uint64_t names;            /* names from options data */
	uint32_t first, n;         /* its templates: view->tpl[first .. first + n) */
};

struct cf_tpl_view {
	uint32_t n_exp, n_tpl, n_fields;
	struct cf_tpl_view_exp *exp;
	struct cf_tpl_view_tpl *tpl;
	struct cf_tpl_field *fields;
};

struct cf_tpl_view *cf_tpl_view_take(const struct cf_decode_ctx *const *ctx, unsigned int n);
void cf_tpl_view_free(struct cf_tpl_view *v);

/*
 * The view as JSON (malloc'd, NUL-terminated, *len its length; NULL when out of
 * memory): {"exporters":[{"exporter","version","domain","lcore","pending_bytes",
 * "pending_sets","names","templates":[{"id","kind","fields":[{"id","length"
 * [,"pen"]}],"first_seen_ms","last_seen_ms","records"}]}]}. exporter non-NULL:
 * only that address's exporters.
 */
char *cf_tpl_view_json(const struct cf_tpl_view *v, const char *exporter, size_t *len);

/* ---------------------------------------------------------------- --template-file */

/*
 * --template-file: every lcore's templates and exporter sampling state saved
 * to one file (FILE.tmp, then renamed) and restored at start through the same
 * checks and limits as templates from the wire (format: cf_tpl_persist.c).
 *
 *  - cf_tpl_saver_open(): on the main lcore, after the contexts are built and
 *    before the RX lcores run. Restores path into every ctx (after a restart
 *    an exporter may land on any lcore) and logs how many templates came back,
 *    or why the file was ignored. With interval_s != 0 it allocates one
 *    snapshot buffer per lcore, on its socket. Returns NULL when path is ""
 *    (every other call accepts NULL and does nothing) and, with err filled,
 *    when out of memory. done[i] is RX lcore i's "stopped" flag, read by the
 *    control lcore; the arrays are copied, the flags and contexts must
 *    outlive s.
 *  - cf_tpl_saver_lcore(s, i): the handle RX lcore i polls (NULL when s is NULL).
 *  - cf_tpl_saver_poll(): on RX lcore i only, in its periodic work: when the
 *    control lcore asked, copies its own cache into its own buffer (no lock,
 *    no allocation) and answers (release store). Cheap when not asked.
 *  - cf_tpl_saver_tick(): on the control lcore, as often as it likes (now_ms
 *    monotonic): every interval_s asks each lcore still running (*done[i] ==
 *    0), and once all have answered writes the file from their snapshots. A
 *    cache that outgrew its buffer makes that round skip the file with a
 *    warning (a partial file would forget templates).
 *  - cf_tpl_saver_close(): after the RX lcores stopped: writes every cache
 *    (logged, errors too) and frees s.
 *  - log gets whole lines (ending in '\n') at an RTE_LOG_* level.
 */
struct cf_tpl_saver;
struct cf_tpl_saver_lcore;
typedef void cf_tpl_log_fn(uint32_t level, const char *line);

struct cf_tpl_saver *
cf_tpl_saver_open(const char *path, uint32_t interval_s, struct cf_decode_ctx *const *ctx,
		  const volatile int *const *done, const unsigned int *lcore_id, unsigned int n,
		  uint64_t wall_ms, cf_tpl_log_fn *log, char *err, size_t errlen);
struct cf_tpl_saver_lcore *cf_tpl_saver_lcore(struct cf_tpl_saver *s, unsigned int i);
/* A --template-file checked whole without restoring anything (start-up
 * validation): 1 a template file of this version, 0 none at path, -1 with
 * the reason in err (unreadable, foreign, truncated or corrupt). */
int cf_tpl_file_check(const char *path, char *err, size_t errlen);
void cf_tpl_saver_poll(struct cf_tpl_saver_lcore *l);
void cf_tpl_saver_tick(struct cf_tpl_saver *s, uint64_t now_ms);
void cf_tpl_saver_close(struct cf_tpl_saver *s);

/* ---------------------------------------------------------------- element map, unknown elements */

/* Print the unknown (PEN, id) counters of n caches, summed, one line. */
void cf_tpl_unknown_print(FILE *f, struct cf_tpl_cache *const *c, unsigned int n);
/* Count of unknown element (pen, id) seen in templates of this cache (tests). */
uint64_t cf_tpl_unknown_count(const struct cf_tpl_cache *c, uint32_t pen, uint16_t id);

/* Element -> destination: exposed for tests; returns enum cf_tpl_dst (CF_TPL_D_SKIP when unmapped). */
uint16_t cf_tpl_map(uint8_t version, uint32_t pen, uint16_t id, uint16_t len);

#endif
