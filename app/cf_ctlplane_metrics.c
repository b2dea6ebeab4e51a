/* SPDX-License-Identifier: BSD-3-Clause */
/* The "engine" metrics provider: ports, RX lcores, exporters, output. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>

#include "cf_ctlplane_priv.h"

static void
ports_provider(struct cfm_builder *b)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} cols[] = {
		{"clarion_flowd_port_rx_packets_total", "frames received by the NIC port",
		 offsetof(struct rte_eth_stats, ipackets)},
		{"clarion_flowd_port_rx_bytes_total", "bytes received by the NIC port",
		 offsetof(struct rte_eth_stats, ibytes)},
		{"clarion_flowd_port_rx_missed_total",
		 "frames the NIC dropped because no RX descriptor was free (imissed)",
		 offsetof(struct rte_eth_stats, imissed)},
		{"clarion_flowd_port_rx_errors_total", "erroneous frames received (ierrors)",
		 offsetof(struct rte_eth_stats, ierrors)},
		{"clarion_flowd_port_rx_nombuf_total", "RX mbuf allocation failures (rx_nombuf)",
		 offsetof(struct rte_eth_stats, rx_nombuf)},
	};
	struct rte_eth_stats es[CF_MAX_PORTS];
	int ok[CF_MAX_PORTS];
	unsigned int i, c;
	char port[8];

	for (i = 0; i < cpl.ctl->n_ports; i++)
		ok[i] = rte_eth_stats_get(cpl.ctl->ports[i], &es[i]) == 0;
	for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
		cfm_family(b, cols[c].name, cols[c].help, CFM_COUNTER);
		for (i = 0; i < cpl.ctl->n_ports; i++) {
			if (!ok[i])
				continue;
			snprintf(port, sizeof(port), "%u", cpl.ctl->ports[i]);
			cfm_u64(b, CFM_L({"port", port}),
				*(const uint64_t *)((const char *)&es[i] + cols[c].off));
		}
	}
	cfm_family(b, "clarion_flowd_port_link_up", "1 when the port's link is up", CFM_GAUGE);
	for (i = 0; i < cpl.ctl->n_ports; i++) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(cpl.ctl->ports[i], &link) != 0)
			continue;
		snprintf(port, sizeof(port), "%u", cpl.ctl->ports[i]);
		cfm_u64(b, CFM_L({"port", port}), link.link_status);
	}
}

/*
 * Per-lcore families: one per CFS_COUNTER_TABLE row that names one, then the
 * arrays and derived values the table cannot express (by protocol, by drop
 * reason, seq_lost - seq_late, busy ratio).
 */
static void
lcores_provider(struct cfm_builder *b)
{
	char lc[8];
	unsigned int i, c, d;

	for (c = 0; c < CFS_COUNTER_MAX; c++) {
		const struct cfs_counter_info *ci = cfs_counter_info(c);

		if (ci->metric == NULL)
			continue;
		cfm_family(b, ci->metric, ci->help,
			   ci->kind == CFS_KIND_GAUGE ? CFM_GAUGE : CFM_COUNTER);
		for (i = 0; i < cpl.ctl->n_rx; i++) {
			snprintf(lc, sizeof(lc), "%u", cpl.ctl->rx[i]->lcore_id);
			cfm_u64(b, CFM_L({"lcore", lc}), cfs_counter_value(&cpl.ctl->rx[i]->stats, c));
		}
	}
	cfm_family(b, "clarion_flowd_datagrams_total",
		   "flow datagrams handed to a decoder, by export protocol", CFM_COUNTER);
	for (i = 0; i < cpl.ctl->n_rx; i++) {
		snprintf(lc, sizeof(lc), "%u", cpl.ctl->rx[i]->lcore_id);
		for (d = 0; d < CFS_PROTO_MAX; d++)
			cfm_u64(b, CFM_L({"lcore", lc}, {"protocol", cfs_proto_name(d)}),
				cpl.ctl->rx[i]->stats.dgrams[d]);
	}
	cfm_family(b, "clarion_flowd_drops_total",
		   "packets, datagrams, records or templates rejected, by reason (unit says which)",
		   CFM_COUNTER);
	for (i = 0; i < cpl.ctl->n_rx; i++) {
		snprintf(lc, sizeof(lc), "%u", cpl.ctl->rx[i]->lcore_id);
		for (d = 0; d < CFS_DROP_MAX; d++)
			cfm_u64(b, CFM_L({"lcore", lc}, {"reason", cfs_drop_name(d)},
					 {"unit", cfs_drop_unit(d)}),
				cpl.ctl->rx[i]->stats.drops[d]);
	}
	cfm_family(b, "clarion_flowd_sequence_lost_records_total",
		   "records missing at exporter sequence gaps, late arrivals credited back",
		   CFM_COUNTER);
	for (i = 0; i < cpl.ctl->n_rx; i++) {
		const struct cfs_lcore *s = &cpl.ctl->rx[i]->stats;
		uint64_t late = s->seq_late, lost = s->seq_lost;

		snprintf(lc, sizeof(lc), "%u", cpl.ctl->rx[i]->lcore_id);
		cfm_u64(b, CFM_L({"lcore", lc}), lost > late ? lost - late : 0);
	}
	cfm_family(b, "clarion_flowd_lcore_busy_ratio",
		   "share of the RX loop's cycles spent on bursts that returned packets, last second",
		   CFM_GAUGE);
	for (i = 0; i < cpl.ctl->n_rx; i++) {
		const struct cfs_lcore *s = &cpl.ctl->rx[i]->stats;
		uint64_t total = s->total_cycles, busy = s->busy_cycles;
		double r = cpl.busy_ratio[i];

		/* Before the first tick: since start. */
		if (r < 0)
			r = total ? (double)(busy < total ? busy : total) / (double)total : 0.0;
		snprintf(lc, sizeof(lc), "%u", cpl.ctl->rx[i]->lcore_id);
		cfm_f64(b, CFM_L({"lcore", lc}), r);
	}
}

static void
output_provider(struct cfm_builder *b, const struct cfs_lcore *t)
{
	const struct cfo_output *o = cpl.ctl->out;
	const char *sink = o ? o->ops->scheme : "none";
	uint64_t out_recs = o ? o->stats.records : 0, failed = o ? o->stats.failed : 0;
	uint64_t drained = __atomic_load_n(&cpl.ctl->records_out, __ATOMIC_RELAXED), errors = failed;
	unsigned int d;

	cfm_family(b, "clarion_flowd_output_records_total", "records accepted by the output sink",
		   CFM_COUNTER);
	cfm_u64(b, CFM_L({"sink", sink}), out_recs);
	cfm_family(b, "clarion_flowd_output_bytes_total", "bytes the output sink produced",
		   CFM_COUNTER);
	cfm_u64(b, CFM_L({"sink", sink}), o ? o->stats.bytes : 0);
	cfm_family(b, "clarion_flowd_output_failed_records_total",
		   "records lost to output write errors", CFM_COUNTER);
	cfm_u64(b, CFM_L({"sink", sink}), failed);
	cfm_family(b, "clarion_flowd_pending_records",
		   "records handed over by RX lcores and not yet taken by the output", CFM_GAUGE);
	cfm_u64(b, CFM_NOLABELS, t->records_handed > drained ? t->records_handed - drained : 0);

	/*
	 * "errors" in the Clarion UI: flow data we could not use (bad datagrams,
	 * lost records) and output failures. Frame-level drops ("pkt": ARP, other
	 * UDP ports, ...) are mostly traffic that is not ours; they stay in
	 * clarion_flowd_drops_total only.
	 */
	for (d = 0; d < CFS_DROP_MAX; d++)
		if (strcmp(cfs_drop_unit(d), "pkt") != 0)
			errors += t->drops[d];
	/* The keys the Clarion UI reads; an HTTP delivery provider may override total_sent. */
	cfm_summary_set(b, "total_received", (double)t->records);
	cfm_summary_set(b, "total_sent", (double)out_recs);
	cfm_summary_set(b, "pending", (double)(t->records_handed > drained ?
					       t->records_handed - drained : 0));
	cfm_summary_set(b, "errors", (double)errors);
	cfm_summary_set(b, "total_datagrams", (double)t->flow_dgrams);
	{
		uint64_t exporters, folded;

		cf_decode_metrics_counts(cpl.exporters, &exporters, &folded);
		cfm_summary_set(b, "exporters", (double)exporters);
	}
}

void
cpl_engine_provider(struct cfm_builder *b, void *arg)
{
	struct cfs_lcore t;

	(void)arg;
	pthread_mutex_lock(&cpl.lock);
	cpl_sum_rx(&t);
	cfm_family(b, "clarion_flowd_build_info", "version of the running collector", CFM_GAUGE);
	cfm_u64(b, CFM_L({"version", CF_VERSION}), 1);
	cfm_family(b, "clarion_flowd_start_time_seconds", "Unix time the collector started",
		   CFM_GAUGE);
	cfm_f64(b, CFM_NOLABELS, (double)cpl.start_ms / 1000.0);
	ports_provider(b);
	lcores_provider(b);
	cf_decode_metrics_provider(b, cpl.exporters);
	output_provider(b, &t);
	pthread_mutex_unlock(&cpl.lock);
}

