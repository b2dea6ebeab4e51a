/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_CTLPLANE_PRIV_H
#define CF_CTLPLANE_PRIV_H

/*
 * Internal to the control plane (cf_ctlplane*.c): its one state, shared by
 * the life cycle and health (cf_ctlplane.c), the metric providers
 * (cf_ctlplane_metrics.c) and the telemetry commands (cf_ctlplane_tel.c).
 * Fields are guarded by .lock except the delivery hook's atomics; RX counters
 * and exporter tables are read lock-free.
 */

#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>

#include <rte_lcore.h>

#include "cf_ctlplane.h"
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
struct cpl_state {
	pthread_mutex_t lock;
	struct cf_control *ctl;
	const struct cf_config *cfg;
	struct cfh_server *http;
	struct cfh_server *agent;
	struct port_state port[CF_MAX_PORTS];
	uint32_t *slot_series[RTE_MAX_LCORE]; /* per RX lcore: exporter slot -> series */
	uint32_t n_slots[RTE_MAX_LCORE];
	/* Slots noticed so far, in order: scrapes walk these, not the whole table. */
	uint32_t *seen_pos[RTE_MAX_LCORE];
	uint32_t n_seen[RTE_MAX_LCORE];
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
	struct sfl_metrics *sflow;  /* the "sflow_interfaces" provider's state */
};


extern struct cpl_state cpl;

void cpl_sum_rx(struct cfs_lcore *t);
const char *cpl_version_name(uint8_t v);
/* Lock held: gives exporters not seen before a series (or "other") and logs them. */
void cpl_scan_exporters(void);
/* Lock held: every exporter slot summed into its series (index n_series = "other"). */
struct exp_acc *cpl_exporters_sum(void);
/* The "engine" metrics provider (takes the lock). */
void cpl_engine_provider(struct cfm_builder *b, void *arg);
/* The "delivery" metrics provider (http sink only; no lock needed). */
void cpl_delivery_provider(struct cfm_builder *b, void *arg);
/* Reads the http sink's breaker and spool into cf_ctlplane_delivery_health(). */
void cpl_delivery_refresh(void);
/* Registers /clarion/stats, /clarion/exporters, /clarion/templates. 0 or -1. */
int cpl_telemetry_register(void);

#endif
