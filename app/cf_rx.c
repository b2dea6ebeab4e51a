/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "cf_config.h"
#include "cf_dispatch.h"
#include "cf_rx.h"
#include "cf_sflow.h"
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
	}
	snprintf(name, sizeof(name), "cf_exp_%u", lcore_id);
	rc = cfd_ctx_init(&rx->dctx, name, (int)rte_lcore_to_socket_id(lcore_id), &cfg->decode,
			  &rx->stats, &rx->sink);
	if (rc != 0) {
		snprintf(err, errlen, "lcore %u: exporter table: %s", lcore_id, rte_strerror(-rc));
		return -1;
	}
	snprintf(name, sizeof(name), "cf_sfl_%u", lcore_id);
	rx->dctx.sflow = sfl_lcore_create(name, (int)rte_lcore_to_socket_id(lcore_id), 0);
	if (rx->dctx.sflow == NULL) {
		snprintf(err, errlen, "lcore %u: sFlow counter table: %s", lcore_id,
			 rte_strerror(rte_errno));
		return -1;
	}
	snprintf(name, sizeof(name), "cf_tpl_%u", lcore_id);
	rx->dctx.tpl = tpl_cache_create(name, (int)rte_lcore_to_socket_id(lcore_id), &cfg->decode);
	if (rx->dctx.tpl == NULL) {
		snprintf(err, errlen, "lcore %u: template cache: %s", lcore_id, rte_strerror(rte_errno));
		return -1;
	}
	if (cfg->template_file[0] != '\0' && cfg->template_save_interval != 0) {
		rx->snap.cap = tpl_snap_size(rx->dctx.tpl);
		rx->snap.buf = rte_malloc_socket("cf_tpl_snap", rx->snap.cap, 0,
						 (int)rte_lcore_to_socket_id(lcore_id));
		if (rx->snap.buf == NULL) {
			snprintf(err, errlen, "lcore %u: template snapshot buffer (%zu bytes)",
				 lcore_id, rx->snap.cap);
			return -1;
		}
	}
	return 0;
}

void
cf_rx_set_presence(struct cf_rx *rx, const struct cnp_port *ports, uint16_t n_ports,
		   struct rte_mempool *pkt_pool, const struct cf_config *cfg)
{
	cnp_ctx_init(&rx->np, &cfg->policy, ports, n_ports, cfg->arp_rate, cfg->icmp_rate,
		     &rx->stats);
	rx->np_on = cfg->policy.n_addrs != 0;
	rx->pkt_pool = pkt_pool;
	rx->garp_interval = cfg->garp_interval;
}

void
cf_rx_fini(struct cf_rx *rx)
{
	sfl_lcore_free(rx->dctx.sflow);
	rx->dctx.sflow = NULL;
	tpl_cache_free(rx->dctx.tpl);
	rx->dctx.tpl = NULL;
	rte_free(rx->snap.buf);
	rx->snap.buf = NULL;
	if (rx->frag != NULL)
		rte_ip_frag_table_destroy(rx->frag);
	cfd_ctx_fini(&rx->dctx);
	rte_ring_free(rx->ring);
}

/* A classified UDP datagram: policy, then its decoder. */
static inline void
rx_datagram(struct cf_rx *rx, const uint8_t *f, struct cfp_meta *meta, uint16_t port,
	    uint64_t now_ms)
{
	struct cfd_dgram dg;
	enum cfs_drop why;

	meta->rx_port = port;
	why = cfp_accept(rx->policy, meta);

	if (unlikely(why != CFS_DROP_MAX)) {
		rx->stats.drops[why]++;
		return;
	}
	dg.data = f + meta->payload_off;
	dg.len = meta->payload_len;
	memcpy(dg.src, meta->src, 16);
	dg.src_v6 = meta->v6;
	dg.src_port = meta->src_port;
	dg.dst_port = meta->dst_port;
	dg.now_ms = now_ms;
	cfx_datagram(&rx->dctx, &dg);
}

/* Sends one frame on the TX queue paired with q; 1 when the PMD took it. */
static int
rx_send(struct cf_rx *rx, const struct cf_rx_queue *q, struct rte_mbuf *m)
{
	if (q->txq != CF_RX_NO_TXQ && rte_eth_tx_burst(q->port, q->txq, &m, 1) == 1)
		return 1;
	rx->stats.drops[CFS_DROP_PRESENCE_TX_FAILED]++;
	return 0;
}

/* ARP, ICMP, ND: the reply is built in the received mbuf. 1 = mbuf consumed. */
static int
rx_presence(struct cf_rx *rx, struct rte_mbuf *m, const struct cf_rx_queue *q, uint64_t now_ms)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t cap = rte_pktmbuf_data_len(m) + rte_pktmbuf_tailroom(m), rlen;

	rlen = cnp_input(&rx->np, q->port, f, rte_pktmbuf_pkt_len(m), cap, now_ms);
	if (rlen == 0)
		return 0;
	m->data_len = (uint16_t)rlen;
	m->pkt_len = rlen;
	m->ol_flags = 0;
	return rx_send(rx, q, m);
}

/* Frees what rte_ip_frag put on death row, counting it under `why`. */
static inline void
rx_death_row(struct cf_rx *rx, enum cfs_drop why)
{
	if (rx->dr.cnt == 0)
		return;
	rx->stats.drops[why] += rx->dr.cnt;
	rte_ip_frag_free_death_row(&rx->dr, 0);
}

/* A fragment: into the table; a completed datagram is decoded here. 1 = consumed. */
static int
rx_fragment(struct cf_rx *rx, struct rte_mbuf *m, const struct cfp_meta *meta,
	    const struct cf_rx_queue *q, uint64_t now_ms)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l3_off);
	uint64_t tsc = rte_rdtsc();
	uint32_t l3_end, l3_len;
	struct rte_mbuf *whole;
	struct cfp_meta wm;
	const uint8_t *wf;
	enum cfs_drop why;
	uint8_t v6 = (ip[0] >> 4) == 6;

	/* Not addressed to us: no table slot for it. */
	if (rx->policy->n_addrs != 0) {
		unsigned int i;
		uint16_t vlan = cfp_meta_vlan(meta);

		for (i = 0; i < rx->policy->n_addrs; i++)
			if (cfp_addr_match(&rx->policy->addrs[i], v6 ? ip + 24 : ip + 16, v6, q->port,
					   vlan))
				break;
		if (i == rx->policy->n_addrs) {
			rx->stats.drops[CFS_DROP_DST_ADDR]++;
			return 0;
		}
	}
	/* rte_ip_frag reads only the first segment's headers, expects the IPv6
	 * Fragment header first, and must never see a fragment without data. */
	l3_len = v6 ? 40u + (uint32_t)sizeof(struct rte_ipv6_fragment_ext) : (ip[0] & 0x0fu) * 4;
	l3_end = meta->l3_off + (v6 ? 40u + rte_be_to_cpu_16(*(const uint16_t *)(ip + 4)) :
				 rte_be_to_cpu_16(*(const uint16_t *)(ip + 2)));
	if (rte_pktmbuf_data_len(m) < meta->l3_off + l3_len || l3_end <= meta->l3_off + l3_len ||
	    (v6 && ip[6] != IPPROTO_FRAGMENT)) {
		rx->stats.drops[CFS_DROP_FRAG_BAD]++;
		return 0;
	}
	rx->stats.frag_in++;
	/* Ethernet padding would end up inside the reassembled datagram. */
	if (rte_pktmbuf_pkt_len(m) > l3_end)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - l3_end));
	m->l2_len = meta->l3_off;
	m->l3_len = l3_len;
	/* Expire first, so what the table frees below is about this fragment. */
	rte_ip_frag_table_del_expired_entries(rx->frag, &rx->dr, tsc);
	rx_death_row(rx, CFS_DROP_FRAG_TIMEOUT);
	if (v6) {
		whole = rte_ipv6_frag_reassemble_packet(rx->frag, &rx->dr, m, tsc,
							(struct rte_ipv6_hdr *)ip,
							(struct rte_ipv6_fragment_ext *)(ip + 40));
	} else {
		whole = rte_ipv4_frag_reassemble_packet(rx->frag, &rx->dr, m, tsc,
							(struct rte_ipv4_hdr *)ip);
	}
	/* Alone on death row: no slot for a new datagram; more: its fragments collided. */
	rx_death_row(rx, rx->dr.cnt == 1 && rx->dr.row[0] == m ? CFS_DROP_FRAG_TABLE_FULL :
								 CFS_DROP_FRAG_BAD);
	if (whole == NULL)
		return 1;
	rx->stats.frag_done++;
	if (rte_pktmbuf_pkt_len(whole) > CF_RX_LINEAR_MAX) {
		rx->stats.drops[CFS_DROP_MBUF_CHAIN]++;
	} else {
		wf = rte_pktmbuf_read(whole, 0, rte_pktmbuf_pkt_len(whole), rx->linear);
		why = cfp_parse(wf, rte_pktmbuf_pkt_len(whole), &wm);
		if (why == CFS_DROP_MAX)
			rx_datagram(rx, wf, &wm, q->port, now_ms);
		else
			rx->stats.drops[why]++;
	}
	rte_pktmbuf_free(whole);
	return 1;
}

/* Everything but a whole UDP datagram. 1 = mbuf consumed (sent or held). */
static __rte_noinline int
rx_slow(struct cf_rx *rx, struct rte_mbuf *m, const struct cfp_meta *meta, enum cfs_drop why,
	const struct cf_rx_queue *q, uint64_t now_ms)
{
	switch (why) {
	case CFS_DROP_L2_NOT_IP:
	case CFS_DROP_NOT_UDP:
		/* Even a passive listener (no --collector-ip) counts ARP/ICMP by kind. */
		if (m->nb_segs > 1) {
			why = CFS_DROP_PRESENCE_CHAINED;
			break;
		}
		return rx_presence(rx, m, q, now_ms);
	case CFS_DROP_IP_FRAGMENT:
		if (rx->frag != NULL)
			return rx_fragment(rx, m, meta, q, now_ms);
		break;
	default:
		break;
	}
	rx->stats.drops[why]++;
	return 0;
}

/* 1 when the mbuf was consumed (a reply sent in it, or held for reassembly). */
static inline int
rx_packet(struct cf_rx *rx, struct rte_mbuf *m, const struct cf_rx_queue *q, uint64_t now_ms)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct cfp_meta meta;
	enum cfs_drop why;

	rx->stats.rx_bytes += len;
	if (unlikely(m->nb_segs > 1)) {
		if (len > CF_RX_LINEAR_MAX) {
			rx->stats.drops[CFS_DROP_MBUF_CHAIN]++;
			return 0;
		}
		f = rte_pktmbuf_read(m, 0, len, rx->linear);
	}
	why = cfp_parse(f, len, &meta);
	if (unlikely(why != CFS_DROP_MAX))
		return rx_slow(rx, m, &meta, why, q, now_ms);
	rx_datagram(rx, f, &meta, q->port, now_ms);
	return 0;
}

/* Gratuitous ARP / unsolicited NA for every address of ours on q's port. */
static void
rx_announce(struct cf_rx *rx, const struct cf_rx_queue *q)
{
	const struct cfp_policy *pol = rx->policy;
	const struct cnp_port *p = &rx->np.ports[q->port];
	unsigned int i;

	for (i = 0; i <= pol->n_addrs; i++) {
		const uint8_t *addr;
		struct rte_mbuf *m;
		uint16_t vlan = 0;
		uint8_t v6;
		uint32_t n;
		char *d;

		if (i < pol->n_addrs) {
			const struct cfp_addr *a = &pol->addrs[i];

			if (a->bound_port && a->port != q->port)
				continue;
			addr = a->addr;
			v6 = a->v6;
			vlan = a->bound_vlan ? a->vlan : 0;
		} else {
			/* Last, the link-local address, when IPv6 is spoken here. */
			if (!p->has_v6)
				break;
			addr = p->ll6;
			v6 = 1;
		}
		m = rte_pktmbuf_alloc(rx->pkt_pool);
		if (m == NULL || (d = rte_pktmbuf_append(m, CNP_ANNOUNCE_MAX)) == NULL) {
			rte_pktmbuf_free(m);
			rx->stats.drops[CFS_DROP_PRESENCE_TX_FAILED]++;
			continue;
		}
		n = cnp_announce(p, addr, v6, vlan, (uint8_t *)d, CNP_ANNOUNCE_MAX);
		rte_pktmbuf_trim(m, (uint16_t)(CNP_ANNOUNCE_MAX - n));
		if (rx_send(rx, q, m))
			rx->stats.np_announces++;
		else
			rte_pktmbuf_free(m);
	}
}

/* Every few ms: announcements due, fragments expired. */
static void
rx_periodic(struct cf_rx *rx, uint64_t now)
{
	const uint64_t hz = rte_get_tsc_hz();
	unsigned int i;

	rx->next_periodic_tsc = now + hz / 100;
	/* A snapshot for a periodic template save: at most once per request. */
	if (unlikely(rx->snap_req != rx->snap_ack)) {
		uint32_t req = __atomic_load_n(&rx->snap_req, __ATOMIC_ACQUIRE);

		rx->snap_rc = rx->snap.buf != NULL ? tpl_snap_take(rx->dctx.tpl, &rx->snap) : -1;
		__atomic_store_n(&rx->snap_ack, req, __ATOMIC_RELEASE);
	}
	if (rx->frag != NULL) {
		rte_ip_frag_table_del_expired_entries(rx->frag, &rx->dr, now);
		rx_death_row(rx, CFS_DROP_FRAG_TIMEOUT);
	}
	if (!rx->np_on)
		return;
	for (i = 0; i < rx->n_queues; i++) {
		const struct cf_rx_queue *q = &rx->queues[i];
		uint32_t gen;

		if (q->queue != 0 || q->port >= rx->np.n_ports)
			continue;
		gen = rx->np.ports[q->port].announce_gen;
		if (gen == 0)
			continue;       /* link not seen up yet */
		if (gen != rx->seen_gen[q->port] ||
		    (rx->garp_interval != 0 && now >= rx->next_announce_tsc[q->port])) {
			rx->seen_gen[q->port] = gen;
			rx->next_announce_tsc[q->port] = now + rx->garp_interval * hz;
			rx_announce(rx, q);
		}
	}
}

/* At stop: free every fragment still waiting (counted as timed out). */
static void
rx_frag_flush(struct cf_rx *rx)
{
	if (rx->frag == NULL)
		return;
	do {
		rte_ip_frag_table_del_expired_entries(rx->frag, &rx->dr, UINT64_MAX - rx->frag_cycles);
		rx->stats.drops[CFS_DROP_FRAG_TIMEOUT] += rx->dr.cnt;
		if (rx->dr.cnt == 0)
			break;
		rte_ip_frag_free_death_row(&rx->dr, 0);
	} while (1);
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
	struct timeval tv;
	unsigned int qi = 0;

	gettimeofday(&tv, NULL);
	rx->start_tsc = rte_rdtsc();
	rx->start_ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
	rx->last_rx_local = rx->start_tsc;
	rx->last_rx_tsc = rx->start_tsc;

	while (!cf_quit) {
		const struct cf_rx_queue *q = &rx->queues[qi];
		uint64_t t0 = rte_rdtsc(), t1, now_ms;
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
				if (unlikely(rx_packet(rx, pkts[i], q, now_ms)))
					pkts[i] = NULL;
			}
			rte_pktmbuf_free_bulk(pkts, n);
			rx->last_rx_local = t0;
			if (t0 - rx->last_rx_tsc >= publish_cycles)
				rx->last_rx_tsc = t0;
		}
		/* A quiet exporter's records must not sit in a half-full block. */
		if (rx->blk != NULL && rx->sink.cur != rx->blk->rec &&
		    t0 - rx->blk->first_tsc > rx->flush_cycles) {
			rx_sync_count(rx);
			rx_handoff(rx);
		}
		if (unlikely(t0 >= rx->next_periodic_tsc))
			rx_periodic(rx, t0);
		t1 = rte_rdtsc();
		rx->stats.total_cycles += t1 - t0;
		if (n != 0)
			rx->stats.busy_cycles += t1 - t0;
	}
	/* Data still waiting for a template will not get one now: count it. */
	if (rx->dctx.tpl != NULL)
		tpl_pending_flush(&rx->dctx);
	rx_frag_flush(rx);
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
