/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_RX_H
#define CF_RX_H

/*
 * RX lcore: polls its (port, queue) pairs, classifies frames in place, decodes
 * flow datagrams into record blocks and hands full (or ~flush_us old) blocks to
 * the control lcore through its own single-producer/single-consumer ring.
 *
 * Contract:
 *  - One struct cf_rx per RX lcore, written by that lcore only; the control
 *    lcore reads .stats, .last_rx_tsc and .done, and dequeues from .ring.
 *  - Never waits: no free block or a full ring drops records and counts them
 *    (no_block, ring_full). No allocation, lock, syscall or log per packet.
 *  - Network presence: ARP/ICMP/ND frames for our addresses are answered
 *    on the TX queue paired with the RX queue they came from (txq, owned by
 *    this lcore alone), built in the received mbuf. The lcore polling queue 0
 *    of a port sends that port's announcements. A PMD without TX queues
 *    counts presence_tx_failed.
 *  - Fragments go to this lcore's rte_ip_frag table (RSS on L3 keeps every
 *    fragment of a datagram on one lcore), copied into mbufs of the lcore's
 *    own reassembly pool (--frag-max-mbufs): the NIC's pool is never held by
 *    datagrams that do not complete. When that pool is used up, the oldest
 *    incomplete datagram is dropped first (frag_evicted). Every fragment freed
 *    unused is counted (frag_timeout, frag_bad, frag_table_full, frag_evicted,
 *    frag_no_mbuf). At stop, pending fragments are freed and counted as
 *    frag_timeout.
 *  - Stops when *quit becomes non-zero: hands over its partial block, sets
 *    .done, and returns.
 */

#include <stdint.h>

#include <rte_ip_frag.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "cf_config.h"
#include "cf_decode.h"
#include "cf_netpres.h"
#include "cf_pkt.h"
#include "cf_record.h"
#include "cf_stats.h"
#include "cf_tpl.h"

#define CF_RX_MAX_QUEUES 64
/* Largest frame a multi-segment mbuf is copied into before decoding. */
#define CF_RX_LINEAR_MAX 9216

#define CF_RX_NO_TXQ 0xffff

struct cf_rx_queue {
	uint16_t port;
	uint16_t queue;
	uint16_t txq;                        /* TX queue for replies, or CF_RX_NO_TXQ */
};

/*
 * Laid out by who writes what, so the control lcore's reads never pull a line
 * the RX lcore is writing per packet (false sharing):
 *  - stats and the decode state: written per packet/record by this lcore only;
 *    readers look at stats once per stats period;
 *  - set-up fields: written before launch, then read-only for both lcores;
 *  - handoff fields: the few the control lcore polls (last_rx_tsc, done),
 *    on their own line and written rarely.
 */
struct cf_rx {
	struct cf_stats_lcore stats;              /* first: its own cache lines */

	/* RX lcore's working state */
	struct cf_record_sink sink;
	struct cf_record_block *blk;               /* block being filled */
	uint64_t start_ms;                   /* wall clock at start_tsc */
	uint64_t start_tsc;
	uint64_t last_rx_local;              /* TSC of the last burst with packets */
	uint32_t idle_polls;                 /* empty polls since the last packet (--rx-backoff) */
	uint32_t idle_us;                    /* the last backoff sleep */
	struct cf_decode_ctx dctx;
	/* network presence and reassembly (netpres): this lcore's own */
	struct rte_mempool *pkt_pool;        /* announcements are built in fresh mbufs */
	uint8_t np_on;                       /* some --collector-ip: answer for it */
	uint32_t garp_interval;
	uint64_t next_announce_tsc[RTE_MAX_ETHPORTS];
	uint32_t seen_gen[RTE_MAX_ETHPORTS];
	uint64_t next_periodic_tsc;
	uint64_t frag_cycles;
	struct rte_ip_frag_tbl *frag;        /* NULL: reassembly off */
	struct rte_mempool *frag_pool;       /* what fragments are held in (--frag-max-mbufs) */
	struct cf_netpres_ctx np;
	struct rte_ip_frag_death_row dr;

	/* set up before launch, read-only afterwards */
	struct rte_ring *ring __attribute__((aligned(64))); /* blocks to the control lcore */
	struct rte_mempool *block_pool;
	const struct cf_pkt_policy *policy;
	uint64_t flush_cycles;
	unsigned int lcore_id;
	uint16_t n_queues;
	uint16_t burst;
	uint8_t backoff;                     /* --rx-backoff resolved for this lcore's CPU */
	uint32_t ring_yield;                 /* free slots under which a handoff yields */
	struct cf_rx_queue queues[CF_RX_MAX_QUEUES];

	/* polled by the control lcore */
	volatile uint64_t last_rx_tsc __attribute__((aligned(64))); /* --idle-exit; ~1 ms stale at most */
	volatile int done;
	uint32_t live_seen;          /* atomic: the cf_rx_live generation this lcore uses */
	/* --template-save-interval: polled in the periodic work (lib/tpl's saver) */
	struct cf_tpl_saver_lcore *tpl_save;

	uint8_t linear[CF_RX_LINEAR_MAX] __attribute__((aligned(64)));
} __attribute__((aligned(64)));

/*
 * What a reload changes on the RX lcores (cf_reload.c): the listener policy (for its
 * --exporter-allow list) and the decode settings (--exporter-max-rate, sampling). A
 * new one is published in one of two slots, then cf_rx_live_gen is raised; each RX
 * lcore compares the generation with its own once per loop turn (one load of a line
 * nobody writes in between), takes the new pointers and stores the generation in
 * live_seen. A slot is written again only when every running RX lcore has seen the
 * generation after it (cf_rx_live_publish waits for that): an RCU-like grace with no
 * lock and no wait on the RX side.
 */
struct cf_rx_live {
	struct cf_pkt_policy policy;
	struct cf_decode_config decode;
};

/*
 * Control lcore: publishes l (copied) to every RX lcore of rx[0..n). main() publishes
 * the start-up settings before launching the lcores, so from their first turn they read
 * a copy, never the struct cf_config a reload updates in place. Waits up to
 * timeout_ms for the lcores to have taken the previous one; -1 when one has not (its
 * number in *late; nothing published), 0 when published (taken within a loop turn).
 */
int cf_rx_live_publish(struct cf_rx *const *rx, unsigned int n, const struct cf_rx_live *l,
		       unsigned int timeout_ms, unsigned int *late);

/* Allocates the ring and decode state of one RX lcore. 0 or -1 with err. */
int cf_rx_init(struct cf_rx *rx, unsigned int lcore_id, uint32_t ring_size,
	       struct rte_mempool *block_pool, const struct cf_config *cfg,
	       char *err, size_t errlen);
void cf_rx_fini(struct cf_rx *rx);

/* Network presence for this lcore: the per-port table (indexed by DPDK port
 * id, n_ports entries, shared read-only) and the pool announcements come from. */
void cf_rx_set_presence(struct cf_rx *rx, const struct cf_netpres_port *ports, uint16_t n_ports,
			struct rte_mempool *pkt_pool, const struct cf_config *cfg);

/*
 * One frame through the RX path as cf_rx_main() takes it (tests and fuzzing
 * drive the lcore's code with it). 1 when m was consumed (sent as a reply),
 * 0 when the caller frees it.
 */
int cf_rx_frame(struct cf_rx *rx, struct rte_mbuf *m, const struct cf_rx_queue *q, uint64_t now_ms);

/* lcore entry point; arg is struct cf_rx *. */
int cf_rx_main(void *arg);

extern volatile int cf_quit;

#endif
