/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_CTLPLANE_PRIV_H
#define CF_CTLPLANE_PRIV_H

/*
 * Internal to the control plane (cf_ctlplane*.c): its one state, shared by
 * the life cycle and health (cf_ctlplane.c), the metric providers
 * (cf_ctlplane_metrics.c) and the telemetry commands (cf_ctlplane_tel.c).
 * Fields are guarded by .lock except the delivery hook's atomics; RX counters
 * are read lock-free, exporter tables only through lib/decode's
 * cf_decode_metrics.
 */

#include <pthread.h>
#include <stdint.h>

#include <rte_lcore.h>

#include "cf_ctlplane.h"
#include "cf_decode_metrics.h"
#include "cf_metrics.h"

struct port_state {
	int link;                  /* -1 = not read yet */
	uint64_t last_pkts;
	uint64_t last_change_ms;   /* monotonic ms of the last ipackets change */
	int had_traffic;
};

/*
 * One per process: DPDK 22.11 telemetry callbacks take no context pointer,
 * so they (and only they) reach the engine through this.
 */
struct cpl_state {
	pthread_mutex_t lock;
	struct cf_control *ctl;
	const struct cf_config *cfg;
	struct cf_httpd_server *http;
	struct cf_httpd_server *agent;
	struct port_state port[CF_MAX_PORTS];
	/* Busy share of each RX lcore over the last tick (~1 s); < 0 until the first one. */
	uint64_t prev_busy[RTE_MAX_LCORE], prev_total[RTE_MAX_LCORE];
	double busy_ratio[RTE_MAX_LCORE];
	uint64_t prev_ring_drops, last_ring_drop_ms, ring_drops_window;
	uint64_t prev_out_failed, last_out_fail_ms, out_failed_window;
	uint64_t prev_dl_failed, last_dl_fail_ms;  /* dead letters not kept */
	enum cf_metrics_status last_status;
	uint64_t start_ms;
	/* Set by the delivery stage from its own thread. */
	int circuit_open;
	uint32_t spool_permille;
	struct cf_sflow_metrics *sflow;  /* the "sflow_interfaces" provider's state */
	struct cf_decode_metrics *exporters; /* exporter series (lib/decode), its own lock */
};


extern struct cpl_state cpl;

void cpl_sum_rx(struct cf_stats_lcore *t);
/* The "engine" metrics provider (takes the lock). */
void cpl_engine_provider(struct cf_metrics_builder *b, void *arg);
/* The "delivery" metrics provider (http sink only; no lock needed). */
void cpl_delivery_provider(struct cf_metrics_builder *b, void *arg);
/* Reads the http sink's breaker and spool into cf_ctlplane_delivery_health(). */
void cpl_delivery_refresh(void);
/* The Kafka output's metrics provider, health check and /clarion/kafka
 * (cf_ctlplane_kafka.c); nothing without a Kafka output. 0 or -1. */
int cpl_kafka_register(void);
void cpl_kafka_unregister(void);
/* The http sink's reasons: refusals, a backend refusing everything, dead letters not kept. */
void cpl_delivery_health(struct cf_metrics_health *h, uint64_t now_ms);
/* Registers /clarion/stats, /clarion/exporters, /clarion/templates. 0 or -1. */
int cpl_telemetry_register(void);
/* The HTTP /templates page (cf_httpd_page render): lib/tpl's view as JSON. */
char *cpl_templates_page(void *arg, const char *exporter, size_t *len);

#endif
