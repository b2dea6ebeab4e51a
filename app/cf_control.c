/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "cf_control.h"
#include "cf_log.h"
#include "cf_stages.h"

#define DRAIN_BURST 32

/* Moves whatever is queued on every ring to the output. Returns blocks moved. */
static unsigned int
drain(struct cf_control *c)
{
	void *blks[DRAIN_BURST];
	unsigned int i, k, n, total = 0;

	for (i = 0; i < c->n_rx; i++) {
		n = rte_ring_sc_dequeue_burst(c->rx[i]->ring, blks, DRAIN_BURST, NULL);
		for (k = 0; k < n; k++) {
			struct cf_record_block *b = blks[k];

			cf_stages_records(c, b->rec, b->count);
			c->records_out += b->count;
		}
		if (n != 0)
			rte_mempool_put_bulk(c->block_pool, blks, n);
		c->blocks_out += n;
		total += n;
	}
	return total;
}

static void
sum_rx(const struct cf_control *c, struct cf_stats_lcore *out)
{
	const struct cf_stats_lcore *in[RTE_MAX_LCORE];
	unsigned int i;

	for (i = 0; i < c->n_rx; i++)
		in[i] = &c->rx[i]->stats;
	cf_stats_sum(out, in, c->n_rx);
}

/* The delivery ledger: every record (or sketch upload) accepted is in exactly one of the
 * right-hand terms, which the "balanced" field checks. */
static void
print_delivery(const struct cf_control *c, FILE *f)
{
	struct cf_output_delivery_stats s;
	const struct cf_delivery_stats *k = &s.dl;
	uint64_t pending, rhs;
	unsigned int d;

	if (c->out == NULL || cf_output_delivery_stats(c->out, &s) != 0)
		return;
	pending = s.open + k->ring_records + k->pending;
	rhs = k->delivered + pending + k->spooled + k->dead_lettered + k->dropped_total;
	/* Edge-agent sketch uploads (one item each) enter the engine beside the records. */
	fprintf(f, "delivery: received=%" PRIu64 " sketches=%" PRIu64 " recovered=%" PRIu64
		   " delivered=%" PRIu64
		   " pending=%" PRIu64 " in_batch=%" PRIu64 " in_flight=%" PRIu64 " spooled=%" PRIu64
		   " dead_lettered=%" PRIu64 " dropped=%" PRIu64 " balanced=%d\n",
		s.received, k->req_items_submitted, k->recovered, k->delivered, pending, s.open,
		k->in_flight, k->spooled, k->dead_lettered, k->dropped_total,
		s.received + k->req_items_submitted + k->recovered == rhs);
	fprintf(f,
		"delivery: batches_delivered=%" PRIu64 " batches_dead_lettered=%" PRIu64
		" replayed=%" PRIu64 " spool_written=%" PRIu64 " spool_bytes=%" PRIu64
		" requests=%" PRIu64 " http_2xx=%" PRIu64 " http_transient=%" PRIu64
		" http_permanent=%" PRIu64 " transport_errors=%" PRIu64 " retries=%" PRIu64
		" body_bytes=%" PRIu64 " breaker_opens=%" PRIu64
		" breaker=%s submit_stalls=%" PRIu64 "\n",
		k->delivered_batches, k->dead_lettered_batches, k->replayed, k->spool_written,
		k->spool_bytes, k->requests, k->responses_2xx, k->responses_transient,
		k->responses_permanent, k->transport_errors, k->retries, k->body_bytes,
		k->breaker_opens,
		cf_delivery_breaker_name((enum cf_delivery_breaker_state)k->breaker_state),
		s.submit_stalls);
	fprintf(f, "delivery_drops:");
	for (d = 0; d < CF_DELIVERY_DROP_MAX; d++)
		fprintf(f, " %s=%" PRIu64, cf_delivery_drop_name(d), k->dropped[d]);
	fprintf(f, "\n");
}

/* " name=value" for every CF_STATS_COUNTER_TABLE row of group g, in table order. */
static void
print_group(FILE *f, const struct cf_stats_lcore *t, enum cf_stats_group g)
{
	unsigned int k;

	for (k = 0; k < CF_STATS_COUNTER_MAX; k++) {
		const struct cf_stats_counter_info *ci = cf_stats_counter_info(k);

		if (ci->group == g)
			fprintf(f, " %s=%" PRIu64, ci->name, cf_stats_counter_value(t, k));
	}
}

void
cf_control_print_stats(const struct cf_control *c, FILE *f, const char *title)
{
	struct cf_stats_lcore t;
	unsigned int i, d;

	fprintf(f, "==== %s ====\n", title);
	for (i = 0; i < c->n_ports; i++) {
		struct rte_eth_stats es;

		if (rte_eth_stats_get(c->ports[i], &es) != 0)
			continue;
		fprintf(f, "port %u: rx_packets=%" PRIu64 " rx_bytes=%" PRIu64 " imissed=%" PRIu64
			   " ierrors=%" PRIu64 " rx_nombuf=%" PRIu64 "\n",
			c->ports[i], es.ipackets, es.ibytes, es.imissed, es.ierrors, es.rx_nombuf);
	}
	for (i = 0; i < c->n_rx; i++) {
		const struct cf_stats_lcore *s = &c->rx[i]->stats;

		fprintf(f, "lcore %u: rx_packets=%" PRIu64 " flow_datagrams=%" PRIu64
			   " records=%" PRIu64 " busy=%.1f%%\n",
			c->rx[i]->lcore_id, s->rx_pkts, s->flow_dgrams, s->records,
			s->total_cycles ? 100.0 * (double)s->busy_cycles / (double)s->total_cycles : 0.0);
	}
	sum_rx(c, &t);
	fprintf(f, "total:");
	print_group(f, &t, CF_STATS_GROUP_RX);
	for (d = 0; d < CF_STATS_PROTO_MAX; d++)
		fprintf(f, " %s=%" PRIu64, cf_stats_proto_name(d), t.dgrams[d]);
	fprintf(f, "\ntotal:");
	print_group(f, &t, CF_STATS_GROUP_REC);
	/* Not RX counters: what the output sink took. */
	fprintf(f, " output=%" PRIu64 " output_failed=%" PRIu64, c->out ? c->out->stats.records : 0,
		c->out ? c->out->stats.failed : 0);
	print_group(f, &t, CF_STATS_GROUP_SEQ);
	fprintf(f, "\ntotal:");
	print_group(f, &t, CF_STATS_GROUP_TPL);
	fprintf(f, "\ntotal:");
	print_group(f, &t, CF_STATS_GROUP_NP);
	if (c->pkt_pool != NULL)
		fprintf(f, " mbufs_in_use_start=%u mbufs_in_use=%u", c->mbufs_start,
			rte_mempool_in_use_count(c->pkt_pool));
	fprintf(f, "\n");
	fprintf(f, "drops:");
	for (d = 0; d < CF_STATS_DROP_MAX; d++)
		fprintf(f, " %s=%" PRIu64, cf_stats_drop_name(d), t.drops[d]);
	fprintf(f, "\n");
	print_delivery(c, f);
	cf_stages_print(c, f);
	cf_sflow_print_unknown(f, c->sflow, c->n_rx);
	fflush(f);
}

/* Link changes are logged once per transition; polled, so no LSC interrupt is
 * needed. A link seen coming up (or up at start) makes its port announce our
 * addresses (gratuitous ARP / unsolicited NA, sent by its RX lcore). */
static void
watch_links(struct cf_control *c)
{
	unsigned int i;

	for (i = 0; i < c->n_ports; i++) {
		struct rte_eth_link link;
		uint16_t port = c->ports[i];

		if (rte_eth_link_get_nowait(port, &link) != 0)
			continue;
		if (link.link_status == c->link_up[i])
			continue;
		c->link_up[i] = link.link_status;
		CF_LOG(INFO, "port %u: link %s, %u Mbps\n", port,
		       link.link_status ? "up" : "down", link.link_speed);
		if (link.link_status && c->np_ports != NULL && c->np_ports[port].valid &&
		    c->cfg->policy.n_addrs != 0) {
			c->np_ports[port].announce_gen++;
			CF_LOG(INFO, "port %u: announcing our addresses\n", port);
		}
	}
}

static int
all_done(const struct cf_control *c)
{
	unsigned int i;

	for (i = 0; i < c->n_rx; i++)
		if (!c->rx[i]->done)
			return 0;
	return 1;
}

int
cf_control_run(struct cf_control *c)
{
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t start = rte_rdtsc();
	uint64_t next_stats = c->cfg->stats_period ? start + c->cfg->stats_period * hz : UINT64_MAX;
	uint64_t next_flush = start + hz / 10;
	uint64_t next_tick = start;
	unsigned int i;

	for (i = 0; i < c->n_ports; i++)
		c->link_up[i] = 0xff; /* unknown: the first poll logs the state */

	while (!cf_quit) {
		uint64_t now;

		if (drain(c) == 0)
			rte_delay_us_sleep(50);
		cf_stages_poll(c);
		cf_output_poll(c->out);
		now = rte_rdtsc();
		if (now >= next_flush) {
			/* Bound how long a record waits in the output's buffer. */
			cf_output_flush(c->out);
			next_flush = now + hz / 10;
		}
		if (now >= next_tick) {
			watch_links(c);
			if (c->on_tick != NULL)
				c->on_tick(c->tick_arg);
			cf_sflow_out_poll(c->sflow_out);
			next_tick = now + hz;
		}
		cf_tpl_saver_tick(c->tpl_save, now / (hz / 1000));
		if (now >= next_stats) {
			cf_control_print_stats(c, stderr, "stats");
			next_stats = now + c->cfg->stats_period * hz;
		}
		if (c->cfg->run_time && now - start >= c->cfg->run_time * hz) {
			CF_LOG(INFO, "--run-time %u s reached, stopping\n", c->cfg->run_time);
			cf_quit = 1;
		}
		if (c->cfg->idle_exit) {
			uint64_t last = 0;

			for (i = 0; i < c->n_rx; i++)
				if (c->rx[i]->last_rx_tsc > last)
					last = c->rx[i]->last_rx_tsc;
			if (last != 0 && now > last && now - last >= c->cfg->idle_exit * hz) {
				CF_LOG(INFO, "no packet for %u s (--idle-exit), stopping\n",
				       c->cfg->idle_exit);
				cf_quit = 1;
			}
		}
	}
	/* Stop: RX lcores hand over their last blocks; keep draining until all are home. */
	while (!all_done(c))
		drain(c);
	while (drain(c) != 0)
		;
	/* RX lcores have stopped: this last poll reads exact counters. */
	cf_sflow_out_poll(c->sflow_out);
	/* Open aggregates out, last sketch round in, before the output ends. */
	cf_stages_finish(c);
	/* http: last partial batch, then the delivery shutdown sequence. */
	cf_output_finish(c->out);
	return cf_output_flush(c->out) == 0 && c->out->stats.failed == 0 ? 0 : -1;
}
