/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_RX_PRIV_H
#define CF_RX_PRIV_H

/*
 * Inside the RX lcore: the UDP fast path's last step (shared with datagrams
 * that come out of reassembly) and the slow path for everything else (ARP,
 * ICMP, ND, fragments, announcements: cf_rx_presence.c). Called only by the
 * lcore that owns rx.
 */

#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "cf_dispatch.h"
#include "cf_rx.h"

/* A classified UDP datagram: policy, then its decoder. */
static inline void
rx_datagram(struct cf_rx *rx, const uint8_t *f, struct cf_pkt_meta *meta, uint16_t port,
	    uint64_t now_ms)
{
	struct cf_decode_dgram dg;
	enum cf_stats_drop why;

	meta->rx_port = port;
	why = cf_pkt_accept(rx->policy, meta);

	if (unlikely(why != CF_STATS_DROP_MAX)) {
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
	cf_dispatch_datagram(&rx->dctx, &dg);
}

/*
 * A frame cf_pkt_parse() did not pass as a whole UDP datagram (why): answered,
 * held for reassembly, or counted. 1 when the mbuf was consumed.
 */
int cf_rx_slow(struct cf_rx *rx, struct rte_mbuf *m, const struct cf_pkt_meta *meta,
	       enum cf_stats_drop why, const struct cf_rx_queue *q, uint64_t now_ms);
/* Every ~10 ms: announcements due, fragments expired. */
void cf_rx_periodic(struct cf_rx *rx, uint64_t now_tsc);
/* At stop: free every fragment still waiting (counted as timed out). */
void cf_rx_frag_flush(struct cf_rx *rx);

#endif
