/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_atomic.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_telemetry.h>

#include <cjson/cJSON.h>

#include "cf_ctlplane.h"
#include "cf_httpd.h"
#include "cf_log.h"
#include "cf_metrics.h"

#define SLOT_UNSEEN UINT32_MAX
#define SLOT_OTHER (UINT32_MAX - 1)

struct port_state {
	int link;                  /* -1 = not read yet */
	uint64_t last_pkts;
	uint64_t last_change_ms;   /* monotonic ms of the last ipackets change */
	int had_traffic;
};

struct series {
	uint8_t addr[16];
	uint8_t v6;
	uint8_t version;
	uint32_t domain;
	char addr_str[INET6_ADDRSTRLEN];
};

struct exp_acc {
	uint64_t dgrams, records, lost, last_seen_ms;
};

/*
 * One per process: DPDK 22.11 telemetry callbacks take no context pointer,
 * so they (and only they) reach the engine through this.
 */
static struct {
	pthread_mutex_t lock;
	struct cf_control *ctl;
	const struct cf_config *cfg;
	struct cfh_server *http;
	struct cfh_server *agent;
	struct port_state port[CF_MAX_PORTS];
	uint32_t *slot_series[RTE_MAX_LCORE]; /* per RX lcore: exporter slot -> series */
	uint32_t n_slots[RTE_MAX_LCORE];
	/* Busy share of each RX lcore over the last tick (~1 s); < 0 until the first one. */
	uint64_t prev_busy[RTE_MAX_LCORE], prev_total[RTE_MAX_LCORE];
	double busy_ratio[RTE_MAX_LCORE];
	struct series *series;
	uint32_t n_series, max_series;
	uint64_t n_exporters, n_folded;
	uint64_t prev_ring_drops, last_ring_drop_ms, ring_drops_window;
	uint64_t prev_out_failed, last_out_fail_ms, out_failed_window;
	enum cfm_status last_status;
	uint64_t start_ms;
	/* Set by the delivery stage from its own thread. */
	int circuit_open;
	uint32_t spool_permille;
} cp = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t
mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void
sum_rx(struct cfs_lcore *t)
{
	const struct cfs_lcore *in[RTE_MAX_LCORE];
	unsigned int i;

	for (i = 0; i < cp.ctl->n_rx; i++)
		in[i] = &cp.ctl->rx[i]->stats;
	cfs_sum(t, in, cp.ctl->n_rx);
}

static const char *
version_name(uint8_t v)
{
	switch (v) {
	case CFR_V_NF5: return "5";
	case CFR_V_NF9: return "9";
	case CFR_V_IPFIX: return "10";
	case CFR_V_SFLOW: return "sflow5";
	}
	return "unknown";
}

/* Gives a newly seen exporter a series (or "other") and logs it once. Lock held. */
static uint32_t
notice_exporter(const struct cfd_exporter *e, unsigned int lcore)
{
	struct series *s;
	uint32_t i;

	cp.n_exporters++;
	for (i = 0; i < cp.n_series; i++) {
		s = &cp.series[i];
		/* Same exporter on another lcore (RSS on src+dst, two collector IPs): one series. */
		if (s->version == e->version && s->domain == e->domain &&
		    memcmp(s->addr, e->addr, 16) == 0)
			return i;
	}
	if (cp.n_series == cp.max_series) {
		if (cp.n_folded++ == 0)
			CF_LOG(WARNING, "more than %u exporters: further ones are reported as "
			       "exporter=\"other\" (--max-exporter-series)\n", cp.max_series);
		return SLOT_OTHER;
	}
	s = &cp.series[cp.n_series];
	memcpy(s->addr, e->addr, 16);
	s->v6 = e->v6;
	s->version = e->version;
	s->domain = e->domain;
	if (inet_ntop(e->v6 ? AF_INET6 : AF_INET, e->addr, s->addr_str, sizeof(s->addr_str)) == NULL)
		snprintf(s->addr_str, sizeof(s->addr_str), "invalid");
	CF_LOG(INFO, "new exporter %s version %s domain %u (lcore %u)\n", s->addr_str,
	       version_name(e->version), e->domain, lcore);
	return cp.n_series++;
}

/* Walks every RX lcore's exporter table for slots not seen before. Lock held. */
static void
scan_exporters(void)
{
	unsigned int i;
	uint32_t pos;

	for (i = 0; i < cp.ctl->n_rx; i++) {
		const struct cfd_ctx *d = &cp.ctl->rx[i]->dctx;

		for (pos = 0; pos < cp.n_slots[i]; pos++) {
			const struct cfd_exporter *e = &d->exporters[pos];

			if (cp.slot_series[i][pos] != SLOT_UNSEEN ||
			    __atomic_load_n(&e->dgrams, __ATOMIC_RELAXED) == 0)
				continue;
			/* Pairs with the RX lcore's write barrier: the key is complete. */
			rte_smp_rmb();
			cp.slot_series[i][pos] = notice_exporter(e, cp.ctl->rx[i]->lcore_id);
		}
	}
}

/* Refreshes what health and event logs need. Lock held. */
static void
update_state(void)
{
	uint64_t now = mono_ms(), ring, failed;
	struct cfs_lcore t;
	unsigned int i;

	for (i = 0; i < cp.ctl->n_ports; i++) {
		struct port_state *ps = &cp.port[i];
		uint16_t port = cp.ctl->ports[i];
		struct rte_eth_stats es;
		struct rte_eth_link link;

		if (rte_eth_stats_get(port, &es) == 0 && es.ipackets != ps->last_pkts) {
			ps->had_traffic = 1;
			ps->last_pkts = es.ipackets;
			ps->last_change_ms = now;
		}
		if (rte_eth_link_get_nowait(port, &link) == 0) {
			if (ps->link >= 0 && ps->link != link.link_status) {
				if (link.link_status)
					CF_LOG(INFO, "port %u: link up, %u Mbps\n", port, link.link_speed);
				else
					CF_LOG(WARNING, "port %u: link down\n", port);
			}
			ps->link = link.link_status;
		}
	}
	sum_rx(&t);
	ring = t.drops[CFS_DROP_RING_FULL] + t.drops[CFS_DROP_NO_BLOCK];
	if (ring > cp.prev_ring_drops) {
		if (now - cp.last_ring_drop_ms > (uint64_t)cp.cfg->health_window * 1000)
			cp.ring_drops_window = 0;
		cp.ring_drops_window += ring - cp.prev_ring_drops;
		cp.last_ring_drop_ms = now;
		cp.prev_ring_drops = ring;
	}
	failed = cp.ctl->out ? cp.ctl->out->stats.failed : 0;
	if (failed > cp.prev_out_failed) {
		if (now - cp.last_out_fail_ms > (uint64_t)cp.cfg->health_window * 1000)
			cp.out_failed_window = 0;
		cp.out_failed_window += failed - cp.prev_out_failed;
		cp.last_out_fail_ms = now;
		cp.prev_out_failed = failed;
	}
	scan_exporters();
}

/* ---------------------------------------------------------------- health */

static void
engine_health(struct cfm_health *h, void *arg)
{
	uint64_t now, window;
	unsigned int i, down = 0;

	(void)arg;
	pthread_mutex_lock(&cp.lock);
	update_state();
	now = mono_ms();
	window = (uint64_t)cp.cfg->health_window * 1000;
	for (i = 0; i < cp.ctl->n_ports; i++)
		down += cp.port[i].link == 0;
	for (i = 0; i < cp.ctl->n_ports; i++) {
		const struct port_state *ps = &cp.port[i];

		if (ps->link == 0)
			cfm_health_reason(h, down == cp.ctl->n_ports ? CFM_UNHEALTHY : CFM_DEGRADED,
					  "link_down", "port %u: link down", cp.ctl->ports[i]);
		else if (ps->had_traffic && now - ps->last_change_ms >= cp.cfg->health_rx_stall * 1000ull)
			cfm_health_reason(h, CFM_DEGRADED, "rx_stalled",
					  "port %u: no packet for %" PRIu64 " s", cp.ctl->ports[i],
					  (now - ps->last_change_ms) / 1000);
	}
	if (cp.last_ring_drop_ms != 0 && now - cp.last_ring_drop_ms < window)
		cfm_health_reason(h, CFM_DEGRADED, "ring_drops",
				  "%" PRIu64 " records dropped (handoff ring full or no free block) "
				  "in the last %u s", cp.ring_drops_window, cp.cfg->health_window);
	if (cp.last_out_fail_ms != 0 && now - cp.last_out_fail_ms < window)
		cfm_health_reason(h, CFM_UNHEALTHY, "output_failing",
				  "%" PRIu64 " records lost to output errors in the last %u s",
				  cp.out_failed_window, cp.cfg->health_window);
	if (__atomic_load_n(&cp.circuit_open, __ATOMIC_RELAXED))
		cfm_health_reason(h, CFM_DEGRADED, "circuit_open",
				  "backend circuit breaker open: batches go to the spool");
	{
		uint32_t fill = __atomic_load_n(&cp.spool_permille, __ATOMIC_RELAXED);

		if (fill > 800)
			cfm_health_reason(h, CFM_DEGRADED, "spool_high", "spool %u %% full",
					  fill / 10);
	}
	pthread_mutex_unlock(&cp.lock);
}

void
cf_ctlplane_delivery_health(int circuit_open, double spool_fill_ratio)
{
	uint32_t permille = spool_fill_ratio <= 0 ? 0 :
			    spool_fill_ratio >= 1 ? 1000 : (uint32_t)(spool_fill_ratio * 1000);

	__atomic_store_n(&cp.circuit_open, circuit_open, __ATOMIC_RELAXED);
	__atomic_store_n(&cp.spool_permille, permille, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- metrics */

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

	for (i = 0; i < cp.ctl->n_ports; i++)
		ok[i] = rte_eth_stats_get(cp.ctl->ports[i], &es[i]) == 0;
	for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
		cfm_family(b, cols[c].name, cols[c].help, CFM_COUNTER);
		for (i = 0; i < cp.ctl->n_ports; i++) {
			if (!ok[i])
				continue;
			snprintf(port, sizeof(port), "%u", cp.ctl->ports[i]);
			cfm_u64(b, CFM_L({"port", port}),
				*(const uint64_t *)((const char *)&es[i] + cols[c].off));
		}
	}
	cfm_family(b, "clarion_flowd_port_link_up", "1 when the port's link is up", CFM_GAUGE);
	for (i = 0; i < cp.ctl->n_ports; i++) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(cp.ctl->ports[i], &link) != 0)
			continue;
		snprintf(port, sizeof(port), "%u", cp.ctl->ports[i]);
		cfm_u64(b, CFM_L({"port", port}), link.link_status);
	}
}

static void
lcores_provider(struct cfm_builder *b)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} cols[] = {
		{"clarion_flowd_rx_packets_total", "frames taken from the NIC by the RX lcore",
		 offsetof(struct cfs_lcore, rx_pkts)},
		{"clarion_flowd_rx_bytes_total", "bytes of the frames taken by the RX lcore",
		 offsetof(struct cfs_lcore, rx_bytes)},
		{"clarion_flowd_records_decoded_total", "flow records decoded into record blocks",
		 offsetof(struct cfs_lcore, records)},
		{"clarion_flowd_records_handed_total",
		 "flow records handed to the control lcore through the ring",
		 offsetof(struct cfs_lcore, records_handed)},
		{"clarion_flowd_sequence_resets_total", "exporter restarts or large reorders seen",
		 offsetof(struct cfs_lcore, seq_reset)},
		{"clarion_flowd_lcore_busy_cycles_total", "TSC cycles spent in bursts that returned packets",
		 offsetof(struct cfs_lcore, busy_cycles)},
		{"clarion_flowd_lcore_cycles_total", "TSC cycles of the RX loop",
		 offsetof(struct cfs_lcore, total_cycles)},
	};
	char lc[8];
	unsigned int i, c, d;

	for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
		cfm_family(b, cols[c].name, cols[c].help, CFM_COUNTER);
		for (i = 0; i < cp.ctl->n_rx; i++) {
			snprintf(lc, sizeof(lc), "%u", cp.ctl->rx[i]->lcore_id);
			cfm_u64(b, CFM_L({"lcore", lc}),
				__atomic_load_n((const uint64_t *)((const char *)&cp.ctl->rx[i]->stats +
								   cols[c].off), __ATOMIC_RELAXED));
		}
	}
	cfm_family(b, "clarion_flowd_datagrams_total",
		   "flow datagrams handed to a decoder, by export protocol", CFM_COUNTER);
	for (i = 0; i < cp.ctl->n_rx; i++) {
		snprintf(lc, sizeof(lc), "%u", cp.ctl->rx[i]->lcore_id);
		for (d = 0; d < CFS_PROTO_MAX; d++)
			cfm_u64(b, CFM_L({"lcore", lc}, {"protocol", cfs_proto_name(d)}),
				cp.ctl->rx[i]->stats.dgrams[d]);
	}
	cfm_family(b, "clarion_flowd_drops_total",
		   "packets, datagrams, records or templates rejected, by reason (unit says which)",
		   CFM_COUNTER);
	for (i = 0; i < cp.ctl->n_rx; i++) {
		snprintf(lc, sizeof(lc), "%u", cp.ctl->rx[i]->lcore_id);
		for (d = 0; d < CFS_DROP_MAX; d++)
			cfm_u64(b, CFM_L({"lcore", lc}, {"reason", cfs_drop_name(d)},
					 {"unit", cfs_drop_unit(d)}),
				cp.ctl->rx[i]->stats.drops[d]);
	}
	cfm_family(b, "clarion_flowd_sequence_lost_records_total",
		   "records missing at exporter sequence gaps, late arrivals credited back",
		   CFM_COUNTER);
	for (i = 0; i < cp.ctl->n_rx; i++) {
		const struct cfs_lcore *s = &cp.ctl->rx[i]->stats;
		uint64_t late = s->seq_late, lost = s->seq_lost;

		snprintf(lc, sizeof(lc), "%u", cp.ctl->rx[i]->lcore_id);
		cfm_u64(b, CFM_L({"lcore", lc}), lost > late ? lost - late : 0);
	}
	cfm_family(b, "clarion_flowd_lcore_busy_ratio",
		   "share of the RX loop's cycles spent on bursts that returned packets, last second",
		   CFM_GAUGE);
	for (i = 0; i < cp.ctl->n_rx; i++) {
		const struct cfs_lcore *s = &cp.ctl->rx[i]->stats;
		uint64_t total = s->total_cycles, busy = s->busy_cycles;
		double r = cp.busy_ratio[i];

		/* Before the first tick: since start. */
		if (r < 0)
			r = total ? (double)(busy < total ? busy : total) / (double)total : 0.0;
		snprintf(lc, sizeof(lc), "%u", cp.ctl->rx[i]->lcore_id);
		cfm_f64(b, CFM_L({"lcore", lc}), r);
	}
}

/* Sums every exporter slot into its series (index n_series = "other"). Lock held. */
static struct exp_acc *
exporters_sum(void)
{
	struct exp_acc *acc = calloc(cp.n_series + 1, sizeof(*acc));
	unsigned int i;
	uint32_t pos;

	if (acc == NULL)
		return NULL;
	for (i = 0; i < cp.ctl->n_rx; i++) {
		const struct cfd_ctx *d = &cp.ctl->rx[i]->dctx;

		for (pos = 0; pos < cp.n_slots[i]; pos++) {
			const struct cfd_exporter *e = &d->exporters[pos];
			uint32_t sid = cp.slot_series[i][pos];
			struct exp_acc *a;
			uint64_t gap, late;

			if (sid == SLOT_UNSEEN)
				continue;
			a = &acc[sid == SLOT_OTHER ? cp.n_series : sid];
			a->dgrams += e->dgrams;
			a->records += e->records;
			gap = e->seq_gap;
			late = e->seq_late;
			a->lost += gap > late ? gap - late : 0;
			if (e->last_seen_ms > a->last_seen_ms)
				a->last_seen_ms = e->last_seen_ms;
		}
	}
	return acc;
}

static void
exporters_provider(struct cfm_builder *b)
{
	static const struct {
		const char *name, *help;
		enum cfm_type type;
	} fams[] = {
		{"clarion_flowd_exporter_datagrams_total", "datagrams received from the exporter",
		 CFM_COUNTER},
		{"clarion_flowd_exporter_records_total", "records the exporter's datagrams announced",
		 CFM_COUNTER},
		{"clarion_flowd_exporter_lost_records_total",
		 "records missing at the exporter's sequence gaps, late arrivals credited back",
		 CFM_COUNTER},
		{"clarion_flowd_exporter_last_seen_timestamp_seconds",
		 "Unix time of the exporter's last datagram", CFM_GAUGE},
	};
	struct exp_acc *acc = exporters_sum();
	uint32_t k;
	unsigned int f;
	char dom[16];

	cfm_family(b, "clarion_flowd_exporters", "exporters seen since start (all lcores)", CFM_GAUGE);
	cfm_u64(b, CFM_NOLABELS, cp.n_exporters);
	cfm_family(b, "clarion_flowd_exporters_folded",
		   "exporters beyond --max-exporter-series, reported as exporter=\"other\"", CFM_GAUGE);
	cfm_u64(b, CFM_NOLABELS, cp.n_folded);
	if (acc == NULL)
		return;
	for (f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		cfm_family(b, fams[f].name, fams[f].help, fams[f].type);
		for (k = 0; k <= cp.n_series; k++) {
			const struct exp_acc *a = &acc[k];
			uint64_t v = f == 0 ? a->dgrams : f == 1 ? a->records : a->lost;

			if (k == cp.n_series && cp.n_folded == 0)
				break;
			if (k < cp.n_series) {
				const struct series *s = &cp.series[k];

				snprintf(dom, sizeof(dom), "%u", s->domain);
				if (f == 3)
					cfm_f64(b, CFM_L({"exporter", s->addr_str}, {"domain", dom},
							 {"version", version_name(s->version)}),
						(double)a->last_seen_ms / 1000.0);
				else
					cfm_u64(b, CFM_L({"exporter", s->addr_str}, {"domain", dom},
							 {"version", version_name(s->version)}), v);
			} else if (f == 3) {
				cfm_f64(b, CFM_L({"exporter", "other"}, {"domain", ""}, {"version", ""}),
					(double)a->last_seen_ms / 1000.0);
			} else {
				cfm_u64(b, CFM_L({"exporter", "other"}, {"domain", ""}, {"version", ""}), v);
			}
		}
	}
	free(acc);
}

static void
output_provider(struct cfm_builder *b, const struct cfs_lcore *t)
{
	const struct cfo_output *o = cp.ctl->out;
	const char *sink = o ? o->ops->scheme : "none";
	uint64_t out_recs = o ? o->stats.records : 0, failed = o ? o->stats.failed : 0;
	uint64_t drained = __atomic_load_n(&cp.ctl->records_out, __ATOMIC_RELAXED), errors = failed;
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
	cfm_summary_set(b, "exporters", (double)cp.n_exporters);
}

static void
engine_provider(struct cfm_builder *b, void *arg)
{
	struct cfs_lcore t;
	struct timespec now;

	(void)arg;
	pthread_mutex_lock(&cp.lock);
	scan_exporters();
	sum_rx(&t);
	clock_gettime(CLOCK_REALTIME, &now);
	cfm_family(b, "clarion_flowd_build_info", "version of the running collector", CFM_GAUGE);
	cfm_u64(b, CFM_L({"version", CF_VERSION}), 1);
	cfm_family(b, "clarion_flowd_start_time_seconds", "Unix time the collector started",
		   CFM_GAUGE);
	cfm_f64(b, CFM_NOLABELS, (double)cp.start_ms / 1000.0);
	ports_provider(b);
	lcores_provider(b);
	exporters_provider(b);
	output_provider(b, &t);
	pthread_mutex_unlock(&cp.lock);
}

/* ---------------------------------------------------------------- telemetry */

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct cfs_lcore t;
	const struct cfo_output *o;
	char key[64];
	unsigned int i;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&cp.lock);
	if (cp.ctl == NULL) {
		pthread_mutex_unlock(&cp.lock);
		return -ENODEV;
	}
	scan_exporters();
	sum_rx(&t);
	o = cp.ctl->out;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_packets", t.rx_pkts);
	rte_tel_data_add_dict_u64(d, "rx_bytes", t.rx_bytes);
	rte_tel_data_add_dict_u64(d, "flow_datagrams", t.flow_dgrams);
	for (i = 0; i < CFS_PROTO_MAX; i++) {
		snprintf(key, sizeof(key), "datagrams_%s", cfs_proto_name(i));
		rte_tel_data_add_dict_u64(d, key, t.dgrams[i]);
	}
	rte_tel_data_add_dict_u64(d, "records", t.records);
	rte_tel_data_add_dict_u64(d, "records_handed", t.records_handed);
	rte_tel_data_add_dict_u64(d, "records_output", o ? o->stats.records : 0);
	rte_tel_data_add_dict_u64(d, "output_failed", o ? o->stats.failed : 0);
	rte_tel_data_add_dict_u64(d, "sequence_lost", t.seq_lost > t.seq_late ?
				  t.seq_lost - t.seq_late : 0);
	rte_tel_data_add_dict_u64(d, "sequence_resets", t.seq_reset);
	rte_tel_data_add_dict_u64(d, "exporters", cp.n_exporters);
	rte_tel_data_add_dict_u64(d, "rx_lcores", cp.ctl->n_rx);
	for (i = 0; i < CFS_DROP_MAX; i++) {
		snprintf(key, sizeof(key), "drop_%s", cfs_drop_name(i));
		rte_tel_data_add_dict_u64(d, key, t.drops[i]);
	}
	pthread_mutex_unlock(&cp.lock);
	return 0;
}

/* Columns rather than one dict per exporter: 22.11 nests only arrays in a dict. */
static int
tel_exporters(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *col[7];
	static const char *const names[7] = { "exporter", "version", "domain", "datagrams",
					      "records", "lost_records", "last_seen_ms" };
	struct exp_acc *acc;
	uint32_t k, n;
	unsigned int c;

	(void)cmd;
	(void)params;
	for (c = 0; c < 7; c++) {
		col[c] = rte_tel_data_alloc();
		if (col[c] == NULL) {
			while (c-- > 0)
				rte_tel_data_free(col[c]);
			return -ENOMEM;
		}
		rte_tel_data_start_array(col[c], c < 2 ? RTE_TEL_STRING_VAL : RTE_TEL_U64_VAL);
	}
	pthread_mutex_lock(&cp.lock);
	if (cp.ctl == NULL) {
		pthread_mutex_unlock(&cp.lock);
		for (c = 0; c < 7; c++)
			rte_tel_data_free(col[c]);
		return -ENODEV;
	}
	scan_exporters();
	acc = exporters_sum();
	n = cp.n_series + (cp.n_folded ? 1 : 0);
	if (n > RTE_TEL_MAX_ARRAY_ENTRIES)
		n = RTE_TEL_MAX_ARRAY_ENTRIES;
	for (k = 0; acc != NULL && k < n; k++) {
		const struct exp_acc *a = &acc[k < cp.n_series ? k : cp.n_series];

		if (k < cp.n_series) {
			rte_tel_data_add_array_string(col[0], cp.series[k].addr_str);
			rte_tel_data_add_array_string(col[1], version_name(cp.series[k].version));
			rte_tel_data_add_array_u64(col[2], cp.series[k].domain);
		} else {
			rte_tel_data_add_array_string(col[0], "other");
			rte_tel_data_add_array_string(col[1], "");
			rte_tel_data_add_array_u64(col[2], 0);
		}
		rte_tel_data_add_array_u64(col[3], a->dgrams);
		rte_tel_data_add_array_u64(col[4], a->records);
		rte_tel_data_add_array_u64(col[5], a->lost);
		rte_tel_data_add_array_u64(col[6], a->last_seen_ms);
	}
	free(acc);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "count", cp.n_exporters);
	rte_tel_data_add_dict_u64(d, "folded_into_other", cp.n_folded);
	pthread_mutex_unlock(&cp.lock);
	for (c = 0; c < 7; c++)
		rte_tel_data_add_dict_container(d, names[c], col[c], 0);
	return 0;
}

/*
 * Templates live in the v9/IPFIX decoders' per-lcore caches; they publish
 * clarion_flowd_template* families through cfm_register, and this command
 * shows whatever they publish (nothing until such a decoder is built in).
 */
static int
tel_templates(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char prefix[] = "clarion_flowd_template";
	struct cfm_builder *b = cfm_builder_new();
	unsigned int f, s, k, entries = 0;

	(void)cmd;
	(void)params;
	if (b == NULL)
		return -ENOMEM;
	cfm_collect(b);
	rte_tel_data_start_dict(d);
	for (f = 0; f < cfm_n_families(b); f++) {
		const char *name = cfm_family_name(b, f);

		if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
			continue;
		for (s = 0; s < cfm_n_samples(b, f) && entries < RTE_TEL_MAX_DICT_ENTRIES - 1; s++) {
			char key[RTE_TEL_MAX_STRING_LEN], *p;
			const struct cfm_label *l;
			size_t len;

			snprintf(key, sizeof(key), "%s", name + strlen("clarion_flowd_"));
			for (k = 0; (l = cfm_sample_label(b, f, s, k)) != NULL; k++) {
				len = strlen(key);
				snprintf(key + len, sizeof(key) - len, "/%s", l->value);
			}
			/* Telemetry keys allow only [A-Za-z0-9_/]. */
			for (p = key; *p; p++)
				if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				      (*p >= '0' && *p <= '9') || *p == '/'))
					*p = '_';
			rte_tel_data_add_dict_u64(d, key, (uint64_t)cfm_sample_value(b, f, s));
			entries++;
		}
	}
	if (entries == 0)
		rte_tel_data_add_dict_string(d, "templates",
					     "none: no template-based decoder (v9/IPFIX) reports yet");
	cfm_builder_free(b);
	return 0;
}

/* ---------------------------------------------------------------- life cycle */

void
cf_ctlplane_tick(void *arg)
{
	struct cfm_health *h;
	enum cfm_status st;
	unsigned int i;

	(void)arg;
	pthread_mutex_lock(&cp.lock);
	update_state();
	for (i = 0; i < cp.ctl->n_rx; i++) {
		const struct cfs_lcore *s = &cp.ctl->rx[i]->stats;
		uint64_t busy = __atomic_load_n(&s->busy_cycles, __ATOMIC_RELAXED);
		uint64_t total = __atomic_load_n(&s->total_cycles, __ATOMIC_RELAXED);
		uint64_t db = busy - cp.prev_busy[i], dt = total - cp.prev_total[i];

		/* The two loads are not one snapshot: clamp to [0, 1]. */
		cp.busy_ratio[i] = dt == 0 ? 0.0 : db >= dt ? 1.0 : (double)db / (double)dt;
		cp.prev_busy[i] = busy;
		cp.prev_total[i] = total;
	}
	pthread_mutex_unlock(&cp.lock);
	h = cfm_health_new();
	if (h == NULL)
		return;
	st = cfm_health_collect(h);
	if (st != cp.last_status) {
		char *why = NULL;
		cJSON *r = cfm_health_reasons_json(h);

		if (r != NULL)
			why = cJSON_PrintUnformatted(r);
		if (st == CFM_HEALTHY)
			CF_LOG(INFO, "health: %s (was %s)\n", cfm_status_name(st),
			       cfm_status_name(cp.last_status));
		else
			CF_LOG(WARNING, "health: %s (was %s): %s\n", cfm_status_name(st),
			       cfm_status_name(cp.last_status), why ? why : "");
		free(why);
		cJSON_Delete(r);
		cp.last_status = st;
	}
	cfm_health_free(h);
}

int
cf_ctlplane_start(struct cf_control *ctl, const struct cfh_forwarder *fwd, char *err,
		  size_t errlen)
{
	const struct cf_config *cfg = ctl->cfg;
	int v6 = strchr(cfg->http_bind, ':') != NULL;
	struct timespec now;
	unsigned int i;
	int rc, bad;

	cp.ctl = ctl;
	cp.cfg = cfg;
	clock_gettime(CLOCK_REALTIME, &now);
	cp.start_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	for (i = 0; i < ctl->n_ports; i++) {
		cp.port[i].link = -1;
		cp.port[i].last_change_ms = mono_ms();
	}
	for (i = 0; i < ctl->n_rx; i++) {
		const struct cfd_ctx *d = &ctl->rx[i]->dctx;
		uint32_t n = (uint32_t)rte_hash_max_key_id(d->exp_hash) + 1, k;

		cp.slot_series[i] = malloc(n * sizeof(uint32_t));
		if (cp.slot_series[i] == NULL) {
			snprintf(err, errlen, "control plane: out of memory");
			return -1;
		}
		for (k = 0; k < n; k++)
			cp.slot_series[i][k] = SLOT_UNSEEN;
		cp.n_slots[i] = n;
		cp.busy_ratio[i] = -1;
	}
	cp.max_series = cfg->max_exporter_series;
	cp.series = calloc(cp.max_series, sizeof(*cp.series));
	if (cp.series == NULL) {
		snprintf(err, errlen, "control plane: out of memory");
		return -1;
	}
	rc = cfm_register("engine", engine_provider, NULL);
	if (rc == 0)
		rc = cfm_health_register("engine", engine_health, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "control plane: registering the engine provider: %s",
			 strerror(-rc));
		return -1;
	}
	if (rte_telemetry_register_cmd("/clarion/stats", tel_stats,
				       "Collector totals and drops by reason. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/clarion/exporters", tel_exporters,
				       "Exporters (columns). No parameters") != 0 ||
	    rte_telemetry_register_cmd("/clarion/templates", tel_templates,
				       "Template caches of the v9/IPFIX decoders. No parameters") != 0) {
		snprintf(err, errlen, "control plane: telemetry command registration refused");
		return -1;
	}
	ctl->on_tick = cf_ctlplane_tick;
	ctl->tick_arg = NULL;
	if (cfg->http_port != 0) {
		struct cfh_config hc = {
			.role = CFH_CONTROL,
			.bind = cfg->http_bind,
			.port = cfg->http_port,
			.service = "clarion-flowd",
			.version = CF_VERSION,
			.backend_url = cfg->backend_url,
			.batch_size = cfg->batch_size,
			.batch_interval_s = cfg->batch_interval,
		};

		/* Created from the main lcore: the server threads inherit its CPU, never an RX core's. */
		cp.http = cfh_start(&hc, &bad, err, errlen);
		if (cp.http == NULL && bad)
			return -1;
		if (cp.http == NULL)
			CF_LOG(ERR, "control plane: /health and /metrics OFF: %s (--http-port)\n", err);
		else
			CF_LOG(INFO, "control plane: http://%s%s%s:%u/health and /metrics\n",
			       v6 ? "[" : "", cfg->http_bind, v6 ? "]" : "", cfg->http_port);
	} else {
		CF_LOG(INFO, "control plane: HTTP off (--http-port 0); telemetry /clarion/* only\n");
	}
	if (cfg->agent_port != 0) {
		struct cfh_config ac = {
			.role = CFH_AGENT,
			.bind = cfg->agent_bind,
			.port = cfg->agent_port,
			.max_body = cfg->agent_max_body,
			.token = cfg->agent_token,
			.fwd = fwd,
		};

		cp.agent = cfh_start(&ac, &bad, err, errlen);
		if (cp.agent == NULL && bad)
			return -1;
		if (cp.agent == NULL)
			CF_LOG(ERR, "control plane: agent ingest OFF: %s (--agent-port)\n", err);
		else
			CF_LOG(INFO, "control plane: agent ingest on %s port %u (%s, forwarding %s)\n",
			       cfg->agent_bind, cfg->agent_port,
			       cfg->agent_token[0] ? "token required" : "no token",
			       fwd ? "on" : "not connected");
	}
	return 0;
}

void
cf_ctlplane_stop(void)
{
	unsigned int i;

	cfh_stop(cp.agent);
	cfh_stop(cp.http);
	cp.agent = NULL;
	cp.http = NULL;
	cfm_unregister("engine");
	pthread_mutex_lock(&cp.lock);
	/* Telemetry commands cannot be unregistered: they see ctl == NULL from now on. */
	cp.ctl = NULL;
	free(cp.series);
	cp.series = NULL;
	cp.n_series = 0;
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		free(cp.slot_series[i]);
		cp.slot_series[i] = NULL;
		cp.n_slots[i] = 0;
	}
	pthread_mutex_unlock(&cp.lock);
}
