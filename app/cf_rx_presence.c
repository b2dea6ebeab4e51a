/* SPDX-License-Identifier: BSD-3-Clause */
/* The RX lcore's slow path: network presence replies, reassembly, announcements. */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>

#include "cf_rx_priv.h"

/* Sends one frame on the TX queue paired with q; 1 when the PMD took it. */
static int
rx_send(struct cf_rx *rx, const struct cf_rx_queue *q, struct rte_mbuf *m)
{
	if (q->txq != CF_RX_NO_TXQ && rte_eth_tx_burst(q->port, q->txq, &m, 1) == 1)
		return 1;
	rx->stats.drops[CF_STATS_DROP_PRESENCE_TX_FAILED]++;
	return 0;
}

/* ARP, ICMP, ND: the reply is built in the received mbuf. 1 = mbuf consumed. */
static int
rx_presence(struct cf_rx *rx, struct rte_mbuf *m, const struct cf_rx_queue *q, uint64_t now_ms)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t cap = rte_pktmbuf_data_len(m) + rte_pktmbuf_tailroom(m), rlen;

	rlen = cf_netpres_input(&rx->np, q->port, f, rte_pktmbuf_pkt_len(m), cap, now_ms);
	if (rlen == 0)
		return 0;
	m->data_len = (uint16_t)rlen;
	m->pkt_len = rlen;
	m->ol_flags = 0;
	return rx_send(rx, q, m);
}

/* Frees what rte_ip_frag put on death row, counting it under `why`. */
static inline void
rx_death_row(struct cf_rx *rx, enum cf_stats_drop why)
{
	if (rx->dr.cnt == 0)
		return;
	rx->stats.drops[why] += rx->dr.cnt;
	rte_ip_frag_free_death_row(&rx->dr, 0);
}

/*
 * The reassembly pool is used up: the table gives up its oldest incomplete
 * datagram(s). Death row is left room for one datagram's fragments only, so
 * rte_ip_frag frees the oldest entry (and another only if it fits in what is
 * left), never the whole table.
 */
static void
rx_frag_evict(struct cf_rx *rx)
{
	const uint32_t keep = RTE_IP_FRAG_DEATH_ROW_MBUF_LEN - RTE_LIBRTE_IP_FRAG_MAX_FRAG;
	uint32_t i;

	rx_death_row(rx, CF_STATS_DROP_FRAG_TIMEOUT);
	rx->dr.cnt = keep;
	/* A time past every entry's deadline: age is not the question, order is. */
	rte_ip_frag_table_del_expired_entries(rx->frag, &rx->dr, UINT64_MAX - rx->frag_cycles);
	for (i = keep; i < rx->dr.cnt; i++)
		rte_pktmbuf_free(rx->dr.row[i]);
	rx->stats.drops[CF_STATS_DROP_FRAG_EVICTED] += rx->dr.cnt - keep;
	rx->dr.cnt = 0;
}

static inline struct rte_mbuf *
rx_reassemble(struct cf_rx *rx, struct rte_mbuf *c, uint8_t *ip, uint8_t v6, uint64_t tsc)
{
	if (v6)
		return rte_ipv6_frag_reassemble_packet(rx->frag, &rx->dr, c, tsc,
						       (struct rte_ipv6_hdr *)ip,
						       (struct rte_ipv6_fragment_ext *)(ip + 40));
	return rte_ipv4_frag_reassemble_packet(rx->frag, &rx->dr, c, tsc,
					       (struct rte_ipv4_hdr *)ip);
}

/*
 * A fragment: copied into the reassembly pool and into the table; a completed
 * datagram is decoded here. The received mbuf always goes back to the caller
 * (returns 0): the NIC's pool is never held by reassembly.
 */
static int
rx_fragment(struct cf_rx *rx, struct rte_mbuf *m, const struct cf_pkt_meta *meta,
	    const struct cf_rx_queue *q, uint64_t now_ms)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l3_off);
	uint64_t tsc = rte_rdtsc();
	uint32_t l3_end, l3_len;
	struct rte_mbuf *whole, *c;
	struct cf_pkt_meta wm;
	const uint8_t *wf;
	enum cf_stats_drop why;
	uint8_t v6 = (ip[0] >> 4) == 6;

	/* Not addressed to us: no table slot for it. */
	if (rx->policy->n_addrs != 0 &&
	    !cf_pkt_policy_owns(rx->policy, v6 ? ip + 24 : ip + 16, v6, q->port,
				cf_pkt_meta_vlan(meta))) {
		rx->stats.drops[CF_STATS_DROP_DST_ADDR]++;
		return 0;
	}
	/* Nor from a source outside --exporter-allow. */
	if (!cf_pkt_policy_allows(rx->policy, v6 ? ip + 8 : ip + 12, v6)) {
		rx->stats.drops[CF_STATS_DROP_EXPORTER_NOT_ALLOWED]++;
		return 0;
	}
	/* rte_ip_frag reads only the first segment's headers, expects the IPv6
	 * Fragment header first, and must never see a fragment without data. */
	l3_len = v6 ? 40u + (uint32_t)sizeof(struct rte_ipv6_fragment_ext) : (ip[0] & 0x0fu) * 4;
	l3_end = meta->l3_off + (v6 ? 40u + rte_be_to_cpu_16(*(const uint16_t *)(ip + 4)) :
				 rte_be_to_cpu_16(*(const uint16_t *)(ip + 2)));
	if (rte_pktmbuf_data_len(m) < meta->l3_off + l3_len || l3_end <= meta->l3_off + l3_len ||
	    (v6 && ip[6] != IPPROTO_FRAGMENT)) {
		rx->stats.drops[CF_STATS_DROP_FRAG_BAD]++;
		return 0;
	}
	/* Expire first, so what the table frees below is about this fragment. */
	rte_ip_frag_table_del_expired_entries(rx->frag, &rx->dr, tsc);
	rx_death_row(rx, CF_STATS_DROP_FRAG_TIMEOUT);
	/* Ethernet padding would end up inside the reassembled datagram. */
	if (rte_pktmbuf_pkt_len(m) > l3_end)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - l3_end));
	c = rte_pktmbuf_copy(m, rx->frag_pool, 0, UINT32_MAX);
	if (c == NULL) {
		rx_frag_evict(rx);
		c = rte_pktmbuf_copy(m, rx->frag_pool, 0, UINT32_MAX);
	}
	if (c == NULL) {
		rx->stats.drops[CF_STATS_DROP_FRAG_NO_MBUF]++;
		return 0;
	}
	rx->stats.frag_in++;
	c->l2_len = meta->l3_off;
	c->l3_len = l3_len;
	ip = rte_pktmbuf_mtod_offset(c, uint8_t *, meta->l3_off);
	whole = rx_reassemble(rx, c, ip, v6, tsc);
	/*
	 * Alone on death row: no slot for a new datagram; more: its fragments collided.
	 * A full flow table refuses the newcomer (datagrams in progress keep their
	 * slots); under a flood the pool (--frag-max-mbufs, below --frag-max-flows by
	 * default) runs out first, and there the oldest goes.
	 */
	rx_death_row(rx, rx->dr.cnt == 1 && rx->dr.row[0] == c ? CF_STATS_DROP_FRAG_TABLE_FULL :
								 CF_STATS_DROP_FRAG_BAD);
	if (whole == NULL)
		return 0;
	rx->stats.frag_done++;
	if (rte_pktmbuf_pkt_len(whole) > CF_RX_LINEAR_MAX) {
		rx->stats.drops[CF_STATS_DROP_MBUF_CHAIN]++;
	} else {
		wf = rte_pktmbuf_read(whole, 0, rte_pktmbuf_pkt_len(whole), rx->linear);
		why = cf_pkt_parse(wf, rte_pktmbuf_pkt_len(whole), &wm);
		if (why == CF_STATS_DROP_MAX)
			rx_datagram(rx, wf, &wm, q->port, now_ms);
		else
			rx->stats.drops[why]++;
	}
	rte_pktmbuf_free(whole);
	return 0;
}

/* Everything but a whole UDP datagram. 1 = mbuf consumed (sent or held). */
int
cf_rx_slow(struct cf_rx *rx, struct rte_mbuf *m, const struct cf_pkt_meta *meta,
	   enum cf_stats_drop why, const struct cf_rx_queue *q, uint64_t now_ms)
{
	switch (why) {
	case CF_STATS_DROP_L2_NOT_IP:
	case CF_STATS_DROP_NOT_UDP:
		/* Even a passive listener (no --collector-ip) counts ARP/ICMP by kind. */
		if (m->nb_segs > 1) {
			why = CF_STATS_DROP_PRESENCE_CHAINED;
			break;
		}
		return rx_presence(rx, m, q, now_ms);
	case CF_STATS_DROP_IP_FRAGMENT:
		if (rx->frag != NULL)
			return rx_fragment(rx, m, meta, q, now_ms);
		break;
	default:
		break;
	}
	rx->stats.drops[why]++;
	return 0;
}

/* Gratuitous ARP / unsolicited NA for every address of ours on q's port. */
static void
rx_announce(struct cf_rx *rx, const struct cf_rx_queue *q)
{
	const struct cf_pkt_policy *pol = rx->policy;
	const struct cf_netpres_port *p = &rx->np.ports[q->port];
	unsigned int i;

	for (i = 0; i <= pol->n_addrs; i++) {
		const uint8_t *addr;
		struct rte_mbuf *m;
		uint16_t vlan = 0;
		uint8_t v6;
		uint32_t n;
		char *d;

		if (i < pol->n_addrs) {
			const struct cf_pkt_addr *a = &pol->addrs[i];

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
		if (m == NULL || (d = rte_pktmbuf_append(m, CF_NETPRES_ANNOUNCE_MAX)) == NULL) {
			rte_pktmbuf_free(m);
			rx->stats.drops[CF_STATS_DROP_PRESENCE_TX_FAILED]++;
			continue;
		}
		n = cf_netpres_announce(p, addr, v6, vlan, (uint8_t *)d, CF_NETPRES_ANNOUNCE_MAX);
		rte_pktmbuf_trim(m, (uint16_t)(CF_NETPRES_ANNOUNCE_MAX - n));
		if (rx_send(rx, q, m))
			rx->stats.np_announces++;
		else
			rte_pktmbuf_free(m);
	}
}

/* Every few ms: announcements due, fragments expired. */
void
cf_rx_periodic(struct cf_rx *rx, uint64_t now)
{
	const uint64_t hz = rte_get_tsc_hz();
	unsigned int i;

	rx->next_periodic_tsc = now + hz / 100;
	if (rx->frag != NULL) {
		rte_ip_frag_table_del_expired_entries(rx->frag, &rx->dr, now);
		rx_death_row(rx, CF_STATS_DROP_FRAG_TIMEOUT);
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
void
cf_rx_frag_flush(struct cf_rx *rx)
{
	if (rx->frag == NULL)
		return;
	do {
		rte_ip_frag_table_del_expired_entries(rx->frag, &rx->dr, UINT64_MAX - rx->frag_cycles);
		rx->stats.drops[CF_STATS_DROP_FRAG_TIMEOUT] += rx->dr.cnt;
		if (rx->dr.cnt == 0)
			break;
		rte_ip_frag_free_death_row(&rx->dr, 0);
	} while (1);
}

