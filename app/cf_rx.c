/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "cf_config.h"
#include "cf_dispatch.h"
#include "cf_rx.h"
#include "cf_tpl.h"

#define PREFETCH_AHEAD 4

/* Hand the current block to the control lcore; a full ring loses it (counted). */
static void
rx_handoff(struct cf_rx *rx)
{
	struct cfr_block *b = rx->blk;

	if (b == NULL)
		return;
	rx->blk = NULL;
	rx->sink.cur = rx->sink.end = NULL;
	if (b->count == 0) {
		rte_mempool_put(rx->block_pool, b);
		return;
	}
	if (rte_ring_sp_enqueue(rx->ring, b) != 0) {
		rx->stats.drops[CFS_DROP_RING_FULL] += b->count;
		rte_mempool_put(rx->block_pool, b);
		return;
	}
	rx->stats.records_handed += b->count;
	rx->stats.blocks_handed++;
}

/* cfr_sink refill: the block is full, or none has been taken yet. */
static int
rx_refill(struct cfr_sink *s)
{
	struct cf_rx *rx = s->opaque;
	struct cfr_block *b;

	if (rx->blk != NULL) {
		rx->blk->count = CFR_BLOCK_RECORDS;
		rx_handoff(rx);
	}
	if (rte_mempool_get(rx->block_pool, (void **)&b) != 0)
		return -1;
	b->count = 0;
	b->lcore = (uint16_t)rx->lcore_id;
	b->first_tsc = rte_rdtsc();
	rx->blk = b;
	s->cur = b->rec;
	s->end = b->rec + CFR_BLOCK_RECORDS;
	return 0;
}

/* The sink's cursor is the truth while filling; count is derived on handoff. */
static inline void
rx_sync_count(struct cf_rx *rx)
{
	if (rx->blk != NULL)
		rx->blk->count = (uint32_t)(rx->sink.cur - rx->blk->rec);
}

int
cf_rx_init(struct cf_rx *rx, unsigned int lcore_id, uint32_t ring_size,
	   struct rte_mempool *block_pool, const struct cf_config *cfg,
	   char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];
	int rc;

	rx->lcore_id = lcore_id;
	rx->burst = cfg->burst;
	rx->block_pool = block_pool;
	rx->policy = &cfg->policy;
	rx->flush_cycles = rte_get_tsc_hz() / 1000000 * cfg->flush_us;
	rx->sink.refill = rx_refill;
	rx->sink.opaque = rx;
	snprintf(name, sizeof(name), "cf_ring_%u", lcore_id);
	rx->ring = rte_ring_create(name, ring_size, rte_lcore_to_socket_id(lcore_id),
				   RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (rx->ring == NULL) {
		snprintf(err, errlen, "lcore %u: ring: %s", lcore_id, rte_strerror(rte_errno));
		return -1;
	}
	snprintf(name, sizeof(name), "cf_exp_%u", lcore_id);
	rc = cfd_ctx_init(&rx->dctx, name, (int)rte_lcore_to_socket_id(lcore_id), &cfg->decode,
			  &rx->stats, &rx->sink);
	if (rc != 0) {
		snprintf(err, errlen, "lcore %u: exporter table: %s", lcore_id, rte_strerror(-rc));
		return -1;
	}
	snprintf(name, sizeof(name), "cf_tpl_%u", lcore_id);
	rx->dctx.tpl = tpl_cache_create(name, (int)rte_lcore_to_socket_id(lcore_id), &cfg->decode);
	if (rx->dctx.tpl == NULL) {
		snprintf(err, errlen, "lcore %u: template cache: %s", lcore_id, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

void
cf_rx_fini(struct cf_rx *rx)
{
	tpl_cache_free(rx->dctx.tpl);
	rx->dctx.tpl = NULL;
	cfd_ctx_fini(&rx->dctx);
	rte_ring_free(rx->ring);
}

static inline void
rx_packet(struct cf_rx *rx, struct rte_mbuf *m, uint64_t now_ms)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct cfp_meta meta;
	struct cfd_dgram dg;
	enum cfs_drop why;

	rx->stats.rx_bytes += len;
	if (unlikely(m->nb_segs > 1)) {
		if (len > CF_RX_LINEAR_MAX) {
			rx->stats.drops[CFS_DROP_MBUF_CHAIN]++;
			return;
		}
		f = rte_pktmbuf_read(m, 0, len, rx->linear);
	}
	why = cfp_parse(f, len, &meta);
	if (likely(why == CFS_DROP_MAX))
		why = cfp_accept(rx->policy, &meta);
	if (unlikely(why != CFS_DROP_MAX)) {
		rx->stats.drops[why]++;
		return;
	}
	dg.data = f + meta.payload_off;
	dg.len = meta.payload_len;
	memcpy(dg.src, meta.src, 16);
	dg.src_v6 = meta.v6;
	dg.src_port = meta.src_port;
	dg.dst_port = meta.dst_port;
	dg.now_ms = now_ms;
	cfx_datagram(&rx->dctx, &dg);
}

int
cf_rx_main(void *arg)
{
	struct cf_rx *rx = arg;
	struct rte_mbuf *pkts[512];
	const uint64_t hz = rte_get_tsc_hz();
	struct timeval tv;
	unsigned int qi = 0;

	gettimeofday(&tv, NULL);
	rx->start_tsc = rte_rdtsc();
	rx->start_ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
	rx->last_rx_tsc = rx->start_tsc;

	while (!cf_quit) {
		const struct cf_rx_queue *q = &rx->queues[qi];
		uint64_t t0 = rte_rdtsc(), now_ms;
		uint16_t n, i;

		if (++qi == rx->n_queues)
			qi = 0;
		n = rte_eth_rx_burst(q->port, q->queue, pkts, rx->burst);
		if (n != 0) {
			now_ms = rx->start_ms + (t0 - rx->start_tsc) * 1000 / hz;
			rx->stats.rx_pkts += n;
			for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
			for (i = 0; i < n; i++) {
				if (i + PREFETCH_AHEAD < n)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
				rx_packet(rx, pkts[i], now_ms);
			}
			rte_pktmbuf_free_bulk(pkts, n);
			rx->last_rx_tsc = t0;
		}
		/* A quiet exporter's records must not sit in a half-full block. */
		if (rx->blk != NULL && rx->sink.cur != rx->blk->rec &&
		    t0 - rx->blk->first_tsc > rx->flush_cycles) {
			rx_sync_count(rx);
			rx_handoff(rx);
		}
		{
			uint64_t t1 = rte_rdtsc();

			rx->stats.total_cycles += t1 - t0;
			if (n != 0)
				rx->stats.busy_cycles += t1 - t0;
		}
	}
	/* Data still waiting for a template will not get one now: count it. */
	if (rx->dctx.tpl != NULL)
		tpl_pending_flush(&rx->dctx);
	/* Clean stop: the control lcore is still draining, so wait for room. */
	rx_sync_count(rx);
	if (rx->blk != NULL && rx->blk->count != 0) {
		while (rte_ring_full(rx->ring))
			rte_pause();
	}
	rx_handoff(rx);
	rx->done = 1;
	return 0;
}
