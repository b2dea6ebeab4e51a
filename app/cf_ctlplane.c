/* SPDX-License-Identifier: BSD-3-Clause */
/* Control plane life cycle, health checks, event logs. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>

#include <cjson/cJSON.h>

#include "cf_clock.h"
#include "cf_httpd.h"
#include "cf_port_stats.h"
#include "cf_log.h"
#include "cf_ctlplane_priv.h"
#include "cf_outputs.h"
#include "cf_startup.h"
#include "cf_sflow_metrics.h"

/*
 * One per process: DPDK 22.11 telemetry callbacks take no context pointer,
 * so they reach the engine through this.
 */
struct cpl_state cpl = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
cpl_sum_rx(struct cf_stats_lcore *t)
{
	const struct cf_stats_lcore *in[RTE_MAX_LCORE];
	unsigned int i;

	for (i = 0; i < cpl.ctl->n_rx; i++)
		in[i] = &cpl.ctl->rx[i]->stats;
	cf_stats_sum(t, in, cpl.ctl->n_rx);
}

/* Refreshes what health and event logs need. Lock held. */
static void
update_state(void)
{
	uint64_t now = cf_clock_mono_ms(), ring, failed;
	struct cf_stats_lcore t;
	unsigned int i;

	for (i = 0; i < cpl.ctl->n_ports; i++) {
		struct port_state *ps = &cpl.port[i];
		uint16_t port = cpl.ctl->ports[i];
		struct rte_eth_stats es;
		struct rte_eth_link link;

		if (cf_port_stats_get(port, &es) == 0 && es.ipackets != ps->last_pkts) {
			ps->had_traffic = 1;
			ps->last_pkts = es.ipackets;
			ps->last_change_ms = now;
		}
		/* Transitions are logged by the control loop (cf_control.c); health needs the state. */
		if (rte_eth_link_get_nowait(port, &link) == 0)
			ps->link = link.link_status;
	}
	cpl_sum_rx(&t);
	ring = t.drops[CF_STATS_DROP_RING_FULL] + t.drops[CF_STATS_DROP_NO_BLOCK];
	if (ring > cpl.prev_ring_drops) {
		if (now - cpl.last_ring_drop_ms > (uint64_t)cpl.cfg->health_window * 1000)
			cpl.ring_drops_window = 0;
		cpl.ring_drops_window += ring - cpl.prev_ring_drops;
		cpl.last_ring_drop_ms = now;
		cpl.prev_ring_drops = ring;
	}
	{
		/* Records lost after the output took them: write errors, delivery drops (one ledger). */
		struct cf_outputs_ledger l;

		cf_outputs_ledger(cpl.ctl->out, NULL, &l);
		failed = l.dropped;
		if (cf_output_find(cpl.ctl->out, "kafka") != cpl.ctl->out) {
			cf_outputs_ledger(cpl.ctl->out, "kafka", &l);
			failed += l.dropped;
		}
	}
	if (failed > cpl.prev_out_failed) {
		if (now - cpl.last_out_fail_ms > (uint64_t)cpl.cfg->health_window * 1000)
			cpl.out_failed_window = 0;
		cpl.out_failed_window += failed - cpl.prev_out_failed;
		cpl.last_out_fail_ms = now;
		cpl.prev_out_failed = failed;
	}
	/* New exporters are logged within a second, scrape or not. */
	cf_decode_metrics_scan(cpl.exporters);
}

/* ---------------------------------------------------------------- health */

static void
engine_health(struct cf_metrics_health *h, void *arg)
{
	uint64_t now, window;
	unsigned int i, down = 0;

	(void)arg;
	pthread_mutex_lock(&cpl.lock);
	update_state();
	now = cf_clock_mono_ms();
	window = (uint64_t)cpl.cfg->health_window * 1000;
	for (i = 0; i < cpl.ctl->n_ports; i++)
		down += cpl.port[i].link == 0;
	for (i = 0; i < cpl.ctl->n_ports; i++) {
		const struct port_state *ps = &cpl.port[i];

		if (ps->link == 0)
			cf_metrics_health_reason(h,
						 down == cpl.ctl->n_ports ? CF_METRICS_UNHEALTHY
									  : CF_METRICS_DEGRADED,
						 "link_down", "port %u: link down",
						 cpl.ctl->ports[i]);
		else if (ps->had_traffic &&
			 now - ps->last_change_ms >= cpl.cfg->health_rx_stall * 1000ull)
			cf_metrics_health_reason(h, CF_METRICS_DEGRADED, "rx_stalled",
						 "port %u: no packet for %" PRIu64 " s",
						 cpl.ctl->ports[i],
						 (now - ps->last_change_ms) / 1000);
	}
	if (cpl.last_ring_drop_ms != 0 && now - cpl.last_ring_drop_ms < window)
		cf_metrics_health_reason(h, CF_METRICS_DEGRADED, "ring_drops",
					 "%" PRIu64
					 " records dropped (handoff ring full or no free block) "
					 "in the last %u s",
					 cpl.ring_drops_window, cpl.cfg->health_window);
	if (cpl.last_out_fail_ms != 0 && now - cpl.last_out_fail_ms < window)
		cf_metrics_health_reason(h, CF_METRICS_UNHEALTHY, "output_failing",
					 "%" PRIu64
					 " records lost at the output (write errors, delivery drops) in "
					 "the last %u s",
					 cpl.out_failed_window, cpl.cfg->health_window);
	cpl_delivery_refresh();
	cpl_delivery_health(h, now);
	/* Issue 5: the backend down long enough to open the circuit is unhealthy
	 * (data piles up on disk or is dropped), not merely degraded. */
	if (__atomic_load_n(&cpl.circuit_open, __ATOMIC_RELAXED))
		cf_metrics_health_reason(h, CF_METRICS_UNHEALTHY, "circuit_open",
					 "backend circuit breaker open: batches go to the spool");
	{
		uint32_t fill = __atomic_load_n(&cpl.spool_permille, __ATOMIC_RELAXED);

		if (fill > 800)
			cf_metrics_health_reason(h, CF_METRICS_DEGRADED, "spool_high",
						 "spool %u %% full", fill / 10);
	}
	pthread_mutex_unlock(&cpl.lock);
}

void
cf_ctlplane_delivery_health(int circuit_open, double spool_fill_ratio)
{
	uint32_t permille = spool_fill_ratio <= 0 ? 0 :
			    spool_fill_ratio >= 1 ? 1000 : (uint32_t)(spool_fill_ratio * 1000);

	__atomic_store_n(&cpl.circuit_open, circuit_open, __ATOMIC_RELAXED);
	__atomic_store_n(&cpl.spool_permille, permille, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- life cycle */

void
cf_ctlplane_tick(void *arg)
{
	struct cf_metrics_health *h;
	enum cf_metrics_status st;
	unsigned int i;

	(void)arg;
	pthread_mutex_lock(&cpl.lock);
	update_state();
	for (i = 0; i < cpl.ctl->n_rx; i++) {
		const struct cf_stats_lcore *s = &cpl.ctl->rx[i]->stats;
		uint64_t busy = __atomic_load_n(&s->busy_cycles, __ATOMIC_RELAXED);
		uint64_t total = __atomic_load_n(&s->total_cycles, __ATOMIC_RELAXED);
		uint64_t db = busy - cpl.prev_busy[i], dt = total - cpl.prev_total[i];

		/* The two loads are not one snapshot: clamp to [0, 1]. */
		cpl.busy_ratio[i] = dt == 0 ? 0.0 : db >= dt ? 1.0 : (double)db / (double)dt;
		cpl.prev_busy[i] = busy;
		cpl.prev_total[i] = total;
	}
	pthread_mutex_unlock(&cpl.lock);
	h = cf_metrics_health_new();
	if (h == NULL)
		return;
	st = cf_metrics_health_collect(h);
	if (st != cpl.last_status) {
		char *why = NULL;
		cJSON *r = cf_metrics_health_reasons_json(h);

		if (r != NULL)
			why = cJSON_PrintUnformatted(r);
		if (st == CF_METRICS_HEALTHY)
			CF_LOG(INFO, "health: %s (was %s)\n", cf_metrics_status_name(st),
			       cf_metrics_status_name(cpl.last_status));
		else
			CF_LOG(WARNING, "health: %s (was %s): %s\n", cf_metrics_status_name(st),
			       cf_metrics_status_name(cpl.last_status), why ? why : "");
		free(why);
		cJSON_Delete(r);
		cpl.last_status = st;
	}
	cf_metrics_health_free(h);
}

int
cf_ctlplane_start(struct cf_control *ctl, const struct cf_httpd_forwarder *fwd, char *err,
		  size_t errlen)
{
	const struct cf_config *cfg = ctl->cfg;
	int v6 = strchr(cfg->http_bind, ':') != NULL;
	unsigned int i;
	int rc, bad;

	cpl.ctl = ctl;
	cpl.cfg = cfg;
	cpl.start_ms = cf_clock_wall_ms();
	for (i = 0; i < ctl->n_ports; i++) {
		cpl.port[i].link = -1;
		cpl.port[i].last_change_ms = cf_clock_mono_ms();
	}
	for (i = 0; i < ctl->n_rx; i++)
		cpl.busy_ratio[i] = -1;
	{
		const struct cf_decode_ctx *dc[RTE_MAX_LCORE];
		unsigned int lc[RTE_MAX_LCORE];

		for (i = 0; i < ctl->n_rx; i++) {
			dc[i] = &ctl->rx[i]->dctx;
			lc[i] = ctl->rx[i]->lcore_id;
		}
		cpl.exporters = cf_decode_metrics_new(dc, lc, ctl->n_rx, cfg->max_exporter_series,
						      cf_log_line);
		if (cpl.exporters == NULL) {
			snprintf(err, errlen, "control plane: out of memory");
			return -1;
		}
	}
	rc = cf_metrics_register("engine", cpl_engine_provider, NULL);
	if (rc == 0) {
		const struct cf_sflow_lcore *sl[RTE_MAX_LCORE];

		for (i = 0; i < ctl->n_rx; i++)
			sl[i] = ctl->rx[i]->dctx.sflow;
		cpl.sflow = cf_sflow_metrics_new(sl, ctl->n_rx, cfg->max_sflow_if_series);
		rc = cpl.sflow == NULL ? -ENOMEM
				       : cf_metrics_register("sflow_interfaces",
							     cf_sflow_metrics_provider, cpl.sflow);
	}
	/* After "engine": its summary keys override the engine's (cf_metrics.h). */
	if (rc == 0 && cf_output_delivery_stats(ctl->out, &(struct cf_output_delivery_stats){ 0 }) == 0)
		rc = cf_metrics_register("delivery", cpl_delivery_provider, NULL);
	if (rc == 0)
		rc = cf_metrics_health_register("engine", engine_health, NULL);
	if (rc == 0)
		rc = cpl_kafka_register();
	if (rc != 0) {
		snprintf(err, errlen, "control plane: registering the engine provider: %s",
			 strerror(-rc));
		return -1;
	}
	if (cpl_telemetry_register() != 0) {
		snprintf(err, errlen, "control plane: telemetry command registration refused");
		return -1;
	}
	ctl->on_tick = cf_ctlplane_tick;
	ctl->tick_arg = NULL;
	if (cfg->http_port != 0) {
		static const struct cf_httpd_page templates = { .render = cpl_templates_page };
		struct cf_httpd_config hc = {
			.role = CF_HTTPD_CONTROL,
			.bind = cfg->http_bind,
			.port = cfg->http_port,
			.service = "clarion-flowd",
			.version = CF_VERSION,
			.backend_url = cfg->backend_url,
			.batch_size = cfg->batch_size,
			.batch_interval_s = cfg->batch_interval,
			.max_conn_per_client = cfg->http_max_conn_per_client,
			.request_timeout_s = cfg->http_request_timeout,
			.templates = &templates,
		};

		/* Created from the main lcore: the server threads inherit its CPU, never an RX core's. */
		/* Checked before the EAL (cf_startup_port); a collector without its
		 * monitoring is not started either way. */
		cpl.http = cf_httpd_start(&hc, &bad, err, errlen);
		if (cpl.http == NULL) {
			if (!bad)
				cf_startup_port("--http-port", cfg->http_bind, cfg->http_port, err,
						errlen);
			return -1;
		}
		else
			CF_LOG(INFO, "control plane: http://%s%s%s:%u/health and /metrics\n",
			       v6 ? "[" : "", cfg->http_bind, v6 ? "]" : "", cfg->http_port);
	} else {
		CF_LOG(INFO, "control plane: HTTP off (--http-port 0); telemetry /clarion/* only\n");
	}
	if (cfg->agent_port != 0) {
		struct cf_httpd_config ac = {
			.role = CF_HTTPD_AGENT,
			.bind = cfg->agent_bind,
			.port = cfg->agent_port,
			.max_body = cfg->agent_max_body,
			.token = cfg->agent_token,
			.fwd = fwd,
			.max_conn_per_client = cfg->http_max_conn_per_client,
			.request_timeout_s = cfg->http_request_timeout,
			.body_budget = cfg->agent_body_budget,
		};

		cpl.agent = cf_httpd_start(&ac, &bad, err, errlen);
		if (cpl.agent == NULL) {
			if (!bad)
				cf_startup_port("--agent-port", cfg->agent_bind, cfg->agent_port, err,
						errlen);
			return -1;
		}
		if (fwd != NULL && cfg->agent_token[0] == '\0')
			CF_LOG(WARNING, "control plane: agent ingest on %s port %u refuses to forward "
			       "(403) without --agent-token\n", cfg->agent_bind, cfg->agent_port);
		else
			CF_LOG(INFO, "control plane: agent ingest on %s port %u (%s, forwarding %s)\n",
			       cfg->agent_bind, cfg->agent_port,
			       cfg->agent_token[0] ? "token required" : "no token",
			       fwd ? "on" : "not connected");
	}
	return 0;
}

void
cf_ctlplane_reloaded(const struct cf_config *cfg)
{
	cf_httpd_set_backend(cpl.http, cfg->backend_url, cfg->batch_size, cfg->batch_interval);
}

void
cf_ctlplane_stop(void)
{
	cf_httpd_stop(cpl.agent);
	cf_httpd_stop(cpl.http);
	cpl.agent = NULL;
	cpl.http = NULL;
	cf_metrics_unregister("engine");
	cpl_kafka_unregister();
	/* Unregistered first: no scrape can be inside the provider when it is freed. */
	cf_metrics_unregister("sflow_interfaces");
	cf_sflow_metrics_free(cpl.sflow);
	cpl.sflow = NULL;
	pthread_mutex_lock(&cpl.lock);
	/* Telemetry commands cannot be unregistered: they see ctl == NULL from now on. */
	cpl.ctl = NULL;
	cf_decode_metrics_free(cpl.exporters);
	cpl.exporters = NULL;
	pthread_mutex_unlock(&cpl.lock);
}
