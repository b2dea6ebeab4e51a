/* SPDX-License-Identifier: BSD-3-Clause */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "cf_clock.h"
#include "cf_config.h"
#include "cf_dispatch.h"
#include "cf_rx.h"
#include "cf_rx_priv.h"
#include "cf_tpl.h"

#define PREFETCH_AHEAD 4

/*
 * --rx-backoff, per empty poll: pause for RX_SPIN_POLLS polls, then sleep 1,
 * 2, 4 ... RX_SLEEP_MAX_US once per round of the lcore's queues. A burst with
 * packets starts over, so a busy port is polled as before. No sched_yield()
 * phase: it gives nothing when no other thread is runnable, and measured
 * 1.92 CPU-s per M records at 0.3 M records/s against 1.44 without it
 * (BENCHMARKS.md, issue 18, scripts/bench-peers.sh).
 */
#define RX_SPIN_POLLS 64
#define RX_SLEEP_MAX_US 100u

/* Hand the current block to the control lcore; a full ring loses it (counted). */
static void
rx_handoff(struct cf_rx *rx)
{
	struct cf_record_block *b = rx->blk;
	unsigned int free_slots;

	if (b == NULL)
		return;
	rx->blk = NULL;
	rx->sink.cur = rx->sink.end = NULL;
	if (b->count == 0) {
		rte_mempool_put(rx->block_pool, b);
		return;
	}
	if (rte_ring_sp_enqueue_bulk(rx->ring, (void **)&b, 1, &free_slots) == 0) {
		rx->stats.drops[CF_STATS_DROP_RING_FULL] += b->count;
		rte_mempool_put(rx->block_pool, b);
		return;
	}
	rx->stats.records_handed += b->count;
	rx->stats.blocks_handed++;
	/* A control lcore on our CPU cannot drain while we run: let it, before the ring is full. */
	if (rx->backoff && free_slots < rx->ring_yield) {
		rx->stats.rx_yields++;
		sched_yield();
	}
}

/* An empty poll under --rx-backoff (see RX_SPIN_POLLS); last: the end of a queue round. */
static void
rx_idle(struct cf_rx *rx, int last)
{
	uint32_t k = ++rx->idle_polls;

	if (k <= RX_SPIN_POLLS) {
		rte_pause();
		return;
	}
	if (!last)
		return;
	rx->idle_us = rx->idle_us == 0 ? 1 : RTE_MIN(rx->idle_us * 2, RX_SLEEP_MAX_US);
	rx->stats.rx_sleeps++;
	rte_delay_us_sleep(rx->idle_us);
}

/* cf_record_sink refill: the block is full, or none has been taken yet. */
static int
rx_refill(struct cf_record_sink *s)
{
	struct cf_rx *rx = s->opaque;
	struct cf_record_block *b;

	if (rx->blk != NULL) {
		rx->blk->count = CF_RECORD_BLOCK_RECORDS;
		rx_handoff(rx);
	}
	if (rte_mempool_get(rx->block_pool, (void **)&b) != 0)
		return -1;
	b->count = 0;
	b->lcore = (uint16_t)rx->lcore_id;
	b->first_tsc = rte_rdtsc();
	rx->blk = b;
	s->cur = b->rec;
	s->end = b->rec + CF_RECORD_BLOCK_RECORDS;
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
	char name[RTE_RING_NAMESIZE], msg[256];

	rx->lcore_id = lcore_id;
	rx->burst = cfg->burst;
	rx->backoff = cfg->rx_backoff == CF_RX_BACKOFF_ON; /* auto: main.c, from the CPU sets */
	rx->ring_yield = ring_size / 2;
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
	if (cfg->frag_max_flows != 0) {
		/* Associativity 8 over max/2 buckets: four times the slots we may fill. */
		uint32_t buckets = RTE_MAX(cfg->frag_max_flows / 2, 1u);

		rx->frag_cycles = rte_get_tsc_hz() / 1000 * cfg->frag_timeout_ms;
		rx->frag = rte_ip_frag_table_create(buckets, 8, cfg->frag_max_flows, rx->frag_cycles,
						    (int)rte_lcore_to_socket_id(lcore_id));
		if (rx->frag == NULL) {
			snprintf(err, errlen, "lcore %u: fragment table for %u flows: %s", lcore_id,
				 cfg->frag_max_flows, rte_strerror(rte_errno));
			return -1;
		}
		/* No per-lcore cache: the pool's size is the bound, exactly. */
		snprintf(name, sizeof(name), "cf_frag%u", lcore_id);
		rx->frag_pool = rte_pktmbuf_pool_create(
			name, cfg->frag_max_mbufs, 0, 0,
			(uint16_t)(cfg->mbuf_size + RTE_PKTMBUF_HEADROOM),
			(int)rte_lcore_to_socket_id(lcore_id));
		if (rx->frag_pool == NULL) {
			snprintf(err, errlen, "lcore %u: reassembly pool of %u mbufs: %s", lcore_id,
				 cfg->frag_max_mbufs, rte_strerror(rte_errno));
			return -1;
		}
	}
	snprintf(name, sizeof(name), "cf_rx%u", lcore_id);
	if (cf_dispatch_ctx_init(&rx->dctx, name, (int)rte_lcore_to_socket_id(lcore_id),
			 &(struct cf_dispatch_config){ .decode = &cfg->decode, .tpl = &cfg->tpl },
			 &rx->stats, &rx->sink, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "lcore %u: %s", lcore_id, msg);
		return -1;
	}
	return 0;
}

void
cf_rx_set_presence(struct cf_rx *rx, const struct cf_netpres_port *ports, uint16_t n_ports,
		   struct rte_mempool *pkt_pool, const struct cf_config *cfg)
{
	cf_netpres_ctx_init(&rx->np, &cfg->policy, ports, n_ports, cfg->arp_rate, cfg->icmp_rate,
			    &rx->stats);
	rx->np_on = cfg->policy.n_addrs != 0;
	rx->pkt_pool = pkt_pool;
	rx->garp_interval = cfg->garp_interval;
}

void
cf_rx_fini(struct cf_rx *rx)
{
	if (rx->frag != NULL)
		rte_ip_frag_table_destroy(rx->frag);
	rte_mempool_free(rx->frag_pool);
	cf_dispatch_ctx_fini(&rx->dctx);
	rte_ring_free(rx->ring);
}

/* 1 when the mbuf was consumed (a reply sent in it, or held for reassembly). */
static inline int
rx_packet(struct cf_rx *rx, struct rte_mbuf *m, const struct cf_rx_queue *q, uint64_t now_ms)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct cf_pkt_meta meta;
	enum cf_stats_drop why;

	rx->stats.rx_bytes += len;
	if (unlikely(m->nb_segs > 1)) {
		if (len > CF_RX_LINEAR_MAX) {
			rx->stats.drops[CF_STATS_DROP_MBUF_CHAIN]++;
			return 0;
		}
		f = rte_pktmbuf_read(m, 0, len, rx->linear);
	}
	why = cf_pkt_parse(f, len, &meta);
	if (unlikely(why != CF_STATS_DROP_MAX))
		return cf_rx_slow(rx, m, &meta, why, q, now_ms);
	rx_datagram(rx, f, &meta, q->port, now_ms);
	return 0;
}

int
cf_rx_frame(struct cf_rx *rx, struct rte_mbuf *m, const struct cf_rx_queue *q, uint64_t now_ms)
{
	return rx_packet(rx, m, q, now_ms);
}

/* ------------------------------------------------------------ live settings */

static struct cf_rx_live live_slot[2];
static struct cf_rx_live *live_cur;        /* atomic */
static uint32_t live_gen;                  /* atomic; 0 = the start-up settings */

/* RX lcore: the published settings are newer than ours. */
static void __attribute__((noinline))
rx_live_take(struct cf_rx *rx, uint32_t gen)
{
	const struct cf_rx_live *l = __atomic_load_n(&live_cur, __ATOMIC_ACQUIRE);

	rx->policy = &l->policy;
	rx->dctx.cfg = &l->decode;
	__atomic_store_n(&rx->live_seen, gen, __ATOMIC_RELEASE);
}

int
cf_rx_live_publish(struct cf_rx *const *rx, unsigned int n, const struct cf_rx_live *l,
		   unsigned int timeout_ms, unsigned int *late)
{
	uint32_t gen = __atomic_load_n(&live_gen, __ATOMIC_RELAXED);
	uint64_t until = cf_clock_mono_ms() + timeout_ms;
	struct cf_rx_live *slot = &live_slot[(gen + 1) & 1];
	unsigned int i;

	/* The slot we write is the one of generation gen - 1: nobody may still read it. */
	for (i = 0; i < n; i++) {
		while (!rx[i]->done && rx[i]->n_queues != 0 &&
		       __atomic_load_n(&rx[i]->live_seen, __ATOMIC_ACQUIRE) != gen) {
			if (cf_clock_mono_ms() >= until) {
				*late = rx[i]->lcore_id;
				return -1;
			}
			rte_delay_us_sleep(100);
		}
	}
	*slot = *l;
	__atomic_store_n(&live_cur, slot, __ATOMIC_RELEASE);
	__atomic_store_n(&live_gen, gen + 1, __ATOMIC_RELEASE);
	return 0;
}

int
cf_rx_main(void *arg)
{
	struct cf_rx *rx = arg;
	struct rte_mbuf *pkts[512];
	const uint64_t hz = rte_get_tsc_hz();
	/* The control lcore reads last_rx_tsc for --idle-exit (seconds): publishing it
	 * once a millisecond, not once a burst, keeps that line from bouncing. */
	const uint64_t publish_cycles = hz / 1000;
	unsigned int qi = 0;

	rx->start_tsc = rte_rdtsc();
	rx->start_ms = cf_clock_wall_ms();
	rx->last_rx_local = rx->start_tsc;
	rx->last_rx_tsc = rx->start_tsc;
	/* Backoff sleeps are 1-100 us: without this the kernel rounds each up by 50 us. */
	if (rx->backoff)
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

	while (!cf_quit) {
		const struct cf_rx_queue *q = &rx->queues[qi];
		uint64_t t0 = rte_rdtsc(), t1, now_ms;
		uint16_t n, i;

		uint32_t gen = __atomic_load_n(&live_gen, __ATOMIC_ACQUIRE);

		if (unlikely(gen != rx->live_seen))
			rx_live_take(rx, gen);
		if (++qi == rx->n_queues)
			qi = 0;
		n = rte_eth_rx_burst(q->port, q->queue, pkts, rx->burst);
		if (n != 0) {
			now_ms = rx->start_ms + (t0 - rx->start_tsc) * 1000 / hz;
			rx->stats.rx_pkts += n;
			rx->stats.rx_bursts++;
			for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
			for (i = 0; i < n; i++) {
				if (i + PREFETCH_AHEAD < n)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
				if (unlikely(rx_packet(rx, pkts[i], q, now_ms)))
					pkts[i] = NULL;
			}
			rte_pktmbuf_free_bulk(pkts, n);
			rx->last_rx_local = t0;
			if (t0 - rx->last_rx_tsc >= publish_cycles)
				rx->last_rx_tsc = t0;
			rx->idle_polls = 0;
			rx->idle_us = 0;
		} else if (rx->backoff) {
			rx_idle(rx, qi == 0);
		}
		/* A quiet exporter's records must not sit in a half-full block. */
		if (rx->blk != NULL && rx->sink.cur != rx->blk->rec &&
		    t0 - rx->blk->first_tsc > rx->flush_cycles) {
			rx_sync_count(rx);
			rx_handoff(rx);
		}
		if (unlikely(t0 >= rx->next_periodic_tsc)) {
			/* --template-save-interval: copy our own cache when the control lcore asks. */
			cf_tpl_saver_poll(rx->tpl_save);
			cf_rx_periodic(rx, t0);
		}
		t1 = rte_rdtsc();
		rx->stats.total_cycles += t1 - t0;
		if (n != 0)
			rx->stats.busy_cycles += t1 - t0;
	}
	/* Data still waiting for a template will not get one now: count it. */
	if (rx->dctx.tpl != NULL)
		cf_tpl_pending_flush(&rx->dctx);
	cf_rx_frag_flush(rx);
	rx->last_rx_tsc = rx->last_rx_local;
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
