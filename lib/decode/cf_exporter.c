/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "cf_decode.h"

/* Past this many records (or datagrams) a jump is a restart, not a loss. */
#define CFD_SEQ_WINDOW (1u << 22)

struct exp_key {
	uint8_t addr[16];
	uint32_t domain;
	uint8_t version;
	uint8_t pad[3];
};

int
cfd_ctx_init(struct cfd_ctx *ctx, const char *name, int socket_id,
	     const struct cfd_config *cfg, struct cfs_lcore *stats,
	     struct cfr_sink *sink)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.key_len = sizeof(struct exp_key),
		.hash_func = rte_jhash,
		.socket_id = socket_id,
	};

	memset(ctx, 0, sizeof(*ctx));
	ctx->stats = stats;
	ctx->sink = sink;
	ctx->cfg = cfg;
	ctx->max_exporters = cfg->max_exporters ? cfg->max_exporters : 4096;
	/* rte_hash wants at least 8 entries; it may hold a few more than asked. */
	hp.entries = ctx->max_exporters < 8 ? 8 : ctx->max_exporters;
	ctx->exp_hash = rte_hash_create(&hp);
	if (ctx->exp_hash == NULL)
		return -rte_errno;
	ctx->exporters = rte_zmalloc_socket(name,
		sizeof(struct cfd_exporter) * (rte_hash_max_key_id(ctx->exp_hash) + 1),
		64, socket_id);
	if (ctx->exporters == NULL) {
		rte_hash_free(ctx->exp_hash);
		ctx->exp_hash = NULL;
		return -ENOMEM;
	}
	return 0;
}

void
cfd_ctx_fini(struct cfd_ctx *ctx)
{
	rte_hash_free(ctx->exp_hash);
	rte_free(ctx->exporters);
	ctx->exp_hash = NULL;
	ctx->exporters = NULL;
}

static inline int
exp_matches(const struct cfd_exporter *e, const struct cfd_dgram *dg, uint8_t version,
	    uint32_t domain)
{
	return e->version == version && e->domain == domain &&
	       memcmp(e->addr, dg->src, 16) == 0;
}

struct cfd_exporter *
cfd_exporter_get(struct cfd_ctx *ctx, const struct cfd_dgram *dg, uint8_t version,
		 uint32_t domain)
{
	struct cfd_exporter *e = ctx->last_hit;
	struct exp_key key;
	int pos;

	if (e != NULL && exp_matches(e, dg, version, domain))
		goto found;

	memset(&key, 0, sizeof(key));
	memcpy(key.addr, dg->src, 16);
	key.domain = domain;
	key.version = version;
	pos = rte_hash_lookup(ctx->exp_hash, &key);
	if (pos < 0) {
		if (ctx->n_exporters >= ctx->max_exporters)
			goto full;
		pos = rte_hash_add_key(ctx->exp_hash, &key);
		if (pos < 0)
			goto full;
		e = &ctx->exporters[pos];
		memset(e, 0, sizeof(*e));
		memcpy(e->addr, dg->src, 16);
		e->v6 = dg->src_v6;
		e->domain = domain;
		e->version = version;
		e->first_seen_ms = dg->now_ms;
		ctx->n_exporters++;
		/* The control plane finds new entries by dgrams != 0: key first. */
		rte_smp_wmb();
	}
	e = &ctx->exporters[pos];
	ctx->last_hit = e;
found:
	e->dgrams++;
	e->last_seen_ms = dg->now_ms;
	return e;
full:
	ctx->stats->drops[CFS_DROP_EXPORTER_TABLE_FULL]++;
	return NULL;
}

void
cfd_seq_account(struct cfd_ctx *ctx, struct cfd_exporter *e, uint32_t seq,
		uint32_t count, uint32_t uptime_ms)
{
	int32_t diff;

	/* An exporter whose uptime went back has restarted (and its sequence with it). */
	if (!e->seq_valid || (uptime_ms != 0 && uptime_ms < e->last_uptime_ms &&
			      e->last_uptime_ms - uptime_ms < 0x80000000u)) {
		if (e->seq_valid) {
			e->seq_resets++;
			ctx->stats->seq_reset++;
		}
		e->seq_valid = 1;
		e->next_seq = seq + count;
		e->last_uptime_ms = uptime_ms;
		return;
	}
	e->last_uptime_ms = uptime_ms;

	diff = (int32_t)(seq - e->next_seq);
	if (diff == 0) {
		e->next_seq = seq + count;
	} else if (diff > 0 && (uint32_t)diff <= CFD_SEQ_WINDOW) {
		e->seq_gap += (uint32_t)diff;
		ctx->stats->seq_lost += (uint32_t)diff;
		e->next_seq = seq + count;
	} else if (diff < 0 && 0u - (uint32_t)diff <= CFD_SEQ_WINDOW) {
		/* Late: it was counted in a gap already; give it back once. */
		if (e->seq_late + count <= e->seq_gap) {
			e->seq_late += count;
			ctx->stats->seq_late += count;
		}
	} else {
		e->seq_resets++;
		ctx->stats->seq_reset++;
		e->next_seq = seq + count;
	}
}
