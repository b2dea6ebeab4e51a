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
#include "cf_port_stats.h"
#include "cf_reload.h"

static void
ports_provider(struct cf_metrics_builder *b)
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
		 "frames the NIC dropped because no RX descriptor was free (imissed; af_packet: "
		 "the kernel socket ring's drops)",
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
		ok[i] = cf_port_stats_get(cpl.ctl->ports[i], &es[i]) == 0;
	for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
		cf_metrics_family(b, cols[c].name, cols[c].help, CF_METRICS_COUNTER);
		for (i = 0; i < cpl.ctl->n_ports; i++) {
			if (!ok[i])
				continue;
			snprintf(port, sizeof(port), "%u", cpl.ctl->ports[i]);
			cf_metrics_u64(b, CF_METRICS_L({"port", port}),
				       *(const uint64_t *)((const char *)&es[i] + cols[c].off));
		}
	}
	cf_metrics_family(b, "clarion_flowd_port_link_up", "1 when the port's link is up",
			  CF_METRICS_GAUGE);
	for (i = 0; i < cpl.ctl->n_ports; i++) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(cpl.ctl->ports[i], &link) != 0)
			continue;
		snprintf(port, sizeof(port), "%u", cpl.ctl->ports[i]);
		cf_metrics_u64(b, CF_METRICS_L({"port", port}), link.link_status);
	}
}

/*
 * Per-lcore families: one per CF_STATS_COUNTER_TABLE row that names one, then the
 * arrays and derived values the table cannot express (by protocol, by drop
 * reason, seq_lost - seq_late, busy ratio).
 */
static void
lcores_provider(struct cf_metrics_builder *b)
{
	char lc[8];
	unsigned int i, c, d;

	for (c = 0; c < CF_STATS_COUNTER_MAX; c++) {
		const struct cf_stats_counter_info *ci = cf_stats_counter_info(c);

		if (ci->metric == NULL)
			continue;
		cf_metrics_family(b, ci->metric, ci->help,
				  ci->kind == CF_STATS_KIND_GAUGE ? CF_METRICS_GAUGE
								  : CF_METRICS_COUNTER);
		for (i = 0; i < cpl.ctl->n_rx; i++) {
			snprintf(lc, sizeof(lc), "%u", cpl.ctl->rx[i]->lcore_id);
			cf_metrics_u64(b, CF_METRICS_L({"lcore", lc}),
				       cf_stats_counter_value(&cpl.ctl->rx[i]->stats, c));
		}
	}
	cf_metrics_family(b, "clarion_flowd_datagrams_total",
			  "flow datagrams handed to a decoder, by export protocol",
			  CF_METRICS_COUNTER);
	for (i = 0; i < cpl.ctl->n_rx; i++) {
		snprintf(lc, sizeof(lc), "%u", cpl.ctl->rx[i]->lcore_id);
		for (d = 0; d < CF_STATS_PROTO_MAX; d++)
			cf_metrics_u64(
				b,
				CF_METRICS_L({"lcore", lc}, {"protocol", cf_stats_proto_name(d)}),
				cpl.ctl->rx[i]->stats.dgrams[d]);
	}
	cf_metrics_family(
		b, "clarion_flowd_drops_total",
		"packets, datagrams, records or templates rejected, by reason (unit says which)",
		CF_METRICS_COUNTER);
	for (i = 0; i < cpl.ctl->n_rx; i++) {
		snprintf(lc, sizeof(lc), "%u", cpl.ctl->rx[i]->lcore_id);
		for (d = 0; d < CF_STATS_DROP_MAX; d++)
			cf_metrics_u64(b,
				       CF_METRICS_L({"lcore", lc},
						    {"reason", cf_stats_drop_name(d)},
						    {"unit", cf_stats_drop_unit(d)}),
				       cpl.ctl->rx[i]->stats.drops[d]);
	}
	cf_metrics_family(b, "clarion_flowd_sequence_lost_records_total",
			  "records missing at exporter sequence gaps, late arrivals credited back",
			  CF_METRICS_COUNTER);
	for (i = 0; i < cpl.ctl->n_rx; i++) {
		const struct cf_stats_lcore *s = &cpl.ctl->rx[i]->stats;
		uint64_t late = s->seq_late, lost = s->seq_lost;

		snprintf(lc, sizeof(lc), "%u", cpl.ctl->rx[i]->lcore_id);
		cf_metrics_u64(b, CF_METRICS_L({"lcore", lc}), lost > late ? lost - late : 0);
	}
	cf_metrics_family(
		b, "clarion_flowd_lcore_busy_ratio",
		"share of the RX loop's cycles spent on bursts that returned packets, last second",
		CF_METRICS_GAUGE);
	for (i = 0; i < cpl.ctl->n_rx; i++) {
		const struct cf_stats_lcore *s = &cpl.ctl->rx[i]->stats;
		uint64_t total = s->total_cycles, busy = s->busy_cycles;
		double r = cpl.busy_ratio[i];

		/* Before the first tick: since start. */
		if (r < 0)
			r = total ? (double)(busy < total ? busy : total) / (double)total : 0.0;
		snprintf(lc, sizeof(lc), "%u", cpl.ctl->rx[i]->lcore_id);
		cf_metrics_f64(b, CF_METRICS_L({"lcore", lc}), r);
	}
}

static void
output_provider(struct cf_metrics_builder *b, const struct cf_stats_lcore *t)
{
	const struct cf_output *o = cpl.ctl->out;
	const char *sink = o ? o->ops->scheme : "none";
	uint64_t out_recs = o ? o->stats.records : 0, failed = o ? o->stats.failed : 0;
	uint64_t drained = __atomic_load_n(&cpl.ctl->records_out, __ATOMIC_RELAXED), errors = failed;
	unsigned int d;

	cf_metrics_family(b, "clarion_flowd_output_records_total",
			  "records accepted by the output sink", CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"sink", sink}), out_recs);
	cf_metrics_family(b, "clarion_flowd_output_bytes_total", "bytes the output sink produced",
			  CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"sink", sink}), o ? o->stats.bytes : 0);
	cf_metrics_family(b, "clarion_flowd_output_failed_records_total",
			  "records lost to output write errors", CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"sink", sink}), failed);
	cf_metrics_family(b, "clarion_flowd_pending_records",
			  "records handed over by RX lcores and not yet taken by the output",
			  CF_METRICS_GAUGE);
	cf_metrics_u64(b, CF_METRICS_NOLABELS,
		       t->records_handed > drained ? t->records_handed - drained : 0);

	/*
	 * "errors" in the Clarion UI: flow data we could not use (bad datagrams,
	 * lost records) and output failures. Frame-level drops ("pkt": ARP, other
	 * UDP ports, ...) are mostly traffic that is not ours; they stay in
	 * clarion_flowd_drops_total only.
	 */
	for (d = 0; d < CF_STATS_DROP_MAX; d++)
		if (strcmp(cf_stats_drop_unit(d), "pkt") != 0)
			errors += t->drops[d];
	/* The keys the Clarion UI reads; an HTTP delivery provider may override total_sent. */
	cf_metrics_summary_set(b, "total_received", (double)t->records);
	cf_metrics_summary_set(b, "total_sent", (double)out_recs);
	cf_metrics_summary_set(
		b, "pending",
		(double)(t->records_handed > drained ? t->records_handed - drained : 0));
	cf_metrics_summary_set(b, "errors", (double)errors);
	cf_metrics_summary_set(b, "total_datagrams", (double)t->flow_dgrams);
	{
		uint64_t exporters, folded;

		cf_decode_metrics_counts(cpl.exporters, &exporters, &folded);
		cf_metrics_summary_set(b, "exporters", (double)exporters);
	}
}

void
cpl_engine_provider(struct cf_metrics_builder *b, void *arg)
{
	struct cf_stats_lcore t;

	(void)arg;
	pthread_mutex_lock(&cpl.lock);
	cpl_sum_rx(&t);
	cf_metrics_family(b, "clarion_flowd_build_info", "version of the running collector",
			  CF_METRICS_GAUGE);
	cf_metrics_u64(b, CF_METRICS_L({"version", CF_VERSION}), 1);
	cf_metrics_family(b, "clarion_flowd_start_time_seconds", "Unix time the collector started",
			  CF_METRICS_GAUGE);
	cf_metrics_f64(b, CF_METRICS_NOLABELS, (double)cpl.start_ms / 1000.0);
	ports_provider(b);
	lcores_provider(b);
	cf_metrics_family(b, "clarion_flowd_config_reloads_total", "configuration reloads (SIGHUP, "
			  "/clarion/reload) by result: ok (taken) or failed (rejected whole)",
			  CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"result", "ok"}), cf_reload_count(1));
	cf_metrics_u64(b, CF_METRICS_L({"result", "failed"}), cf_reload_count(0));
	cf_decode_metrics_provider(b, cpl.exporters);
	output_provider(b, &t);
	pthread_mutex_unlock(&cpl.lock);
}
