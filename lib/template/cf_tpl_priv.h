/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_TPL_PRIV_H
#define CF_TPL_PRIV_H

/* The cache's layout, private to lib/template. */

#include "cf_tpl.h"

#define TPL_PEND_SLOTS 64       /* data sets waiting for a template, per lcore */
#define TPL_PEND_MAX 9216       /* largest set kept (a jumbo datagram) */

struct tpl_unknown {
	uint32_t pen;
	uint16_t id;
	uint16_t pad;
	uint64_t count;
};

struct tpl_pend {
	uint64_t born_ms;
	struct tpl_msg msg;
	uint32_t exp_idx;
	uint32_t len;
	uint16_t tid;
	uint8_t used;
	uint8_t data[TPL_PEND_MAX];
};

/* The template as received, for --template-file (same slot as the compiled one). */
struct tpl_raw {
	uint16_t n;
	uint16_t scope;
	struct tpl_field f[TPL_MAX_FIELDS];
};

struct tpl_cache {
	struct rte_hash *xh;       /* exporter key -> exps[] slot */
	struct rte_hash *th;       /* (exporter slot, template id) -> tpls[] slot */
	struct tpl_exp *exps;
	struct tpl *tpls;
	struct tpl_raw *raw;
	struct tpl_exp *last_exp;
	struct tpl *last_tpl;
	uint32_t max_exps, per_exp, max_tpls;
	uint32_t n_exps, n_tpls;
	uint64_t timeout_ms;
	uint64_t pend_age_ms;
	uint32_t pend_cap;         /* bytes per exporter; 0 = buffering off */
	uint32_t n_pend;
	uint64_t pend_next_check;
	struct tpl_pend *pend;
	const struct tpl_fieldmap *fm;  /* --field-map overrides, shared read-only */
	struct tpl scratch;        /* compile target before it replaces the live one */
	uint64_t unk_other;
	struct tpl_unknown unk[TPL_UNKNOWN_SLOTS];
};

#endif
