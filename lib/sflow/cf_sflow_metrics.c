/* SPDX-License-Identifier: BSD-3-Clause */
/* sFlow interface counters as clarion_flowd_sflow_if_* metrics (scraping thread only). */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_metrics.h"
#include "cf_sflow.h"
#include "cf_sflow_metrics.h"

#define UNSEEN UINT32_MAX
#define OTHER (UINT32_MAX - 1)
#define P "clarion_flowd_sflow_if_"

#define C32(f) offsetof(struct cf_sflow_ifc, f), 4
#define C64(f) offsetof(struct cf_sflow_ifc, f), 8
#define CETH(k) offsetof(struct cf_sflow_ifc, eth) + 4 * (k), 4
#define CLAG(k) offsetof(struct cf_sflow_ifc, lag_pdus) + 4 * (k), 4

/* Counter columns: summed into "other" when folded. */
static const struct col {
	const char *name, *help;
	uint32_t block;            /* SFL_IFC_*; 0 = always */
	size_t off;
	unsigned int width;
} cols[] = {
	{P "samples_total", "counter samples received for the interface", 0, C64(samples)},
	{P "in_octets_total", "ifInOctets (generic interface counters)", CF_SFLOW_IFC_GENERIC,
	 C64(in_octets)},
	{P "in_unicast_packets_total", "ifInUcastPkts", CF_SFLOW_IFC_GENERIC, C32(in_ucast)},
	{P "in_multicast_packets_total", "ifInMulticastPkts", CF_SFLOW_IFC_GENERIC, C32(in_mcast)},
	{P "in_broadcast_packets_total", "ifInBroadcastPkts", CF_SFLOW_IFC_GENERIC, C32(in_bcast)},
	{P "in_discards_total", "ifInDiscards", CF_SFLOW_IFC_GENERIC, C32(in_discards)},
	{P "in_errors_total", "ifInErrors", CF_SFLOW_IFC_GENERIC, C32(in_errors)},
	{P "in_unknown_protos_total", "ifInUnknownProtos", CF_SFLOW_IFC_GENERIC,
	 C32(in_unknown_protos)},
	{P "out_octets_total", "ifOutOctets", CF_SFLOW_IFC_GENERIC, C64(out_octets)},
	{P "out_unicast_packets_total", "ifOutUcastPkts", CF_SFLOW_IFC_GENERIC, C32(out_ucast)},
	{P "out_multicast_packets_total", "ifOutMulticastPkts", CF_SFLOW_IFC_GENERIC,
	 C32(out_mcast)},
	{P "out_broadcast_packets_total", "ifOutBroadcastPkts", CF_SFLOW_IFC_GENERIC,
	 C32(out_bcast)},
	{P "out_discards_total", "ifOutDiscards", CF_SFLOW_IFC_GENERIC, C32(out_discards)},
	{P "out_errors_total", "ifOutErrors", CF_SFLOW_IFC_GENERIC, C32(out_errors)},
	/* Ethernet counters, dot3Stats* in the order of the sFlow record */
	{P "dot3_alignment_errors_total", "dot3StatsAlignmentErrors", CF_SFLOW_IFC_ETHERNET,
	 CETH(0)},
	{P "dot3_fcs_errors_total", "dot3StatsFCSErrors", CF_SFLOW_IFC_ETHERNET, CETH(1)},
	{P "dot3_single_collision_frames_total", "dot3StatsSingleCollisionFrames",
	 CF_SFLOW_IFC_ETHERNET, CETH(2)},
	{P "dot3_multiple_collision_frames_total", "dot3StatsMultipleCollisionFrames",
	 CF_SFLOW_IFC_ETHERNET, CETH(3)},
	{P "dot3_sqe_test_errors_total", "dot3StatsSQETestErrors", CF_SFLOW_IFC_ETHERNET, CETH(4)},
	{P "dot3_deferred_transmissions_total", "dot3StatsDeferredTransmissions",
	 CF_SFLOW_IFC_ETHERNET, CETH(5)},
	{P "dot3_late_collisions_total", "dot3StatsLateCollisions", CF_SFLOW_IFC_ETHERNET, CETH(6)},
	{P "dot3_excessive_collisions_total", "dot3StatsExcessiveCollisions", CF_SFLOW_IFC_ETHERNET,
	 CETH(7)},
	{P "dot3_internal_mac_transmit_errors_total", "dot3StatsInternalMacTransmitErrors",
	 CF_SFLOW_IFC_ETHERNET, CETH(8)},
	{P "dot3_carrier_sense_errors_total", "dot3StatsCarrierSenseErrors", CF_SFLOW_IFC_ETHERNET,
	 CETH(9)},
	{P "dot3_frame_too_longs_total", "dot3StatsFrameTooLongs", CF_SFLOW_IFC_ETHERNET, CETH(10)},
	{P "dot3_internal_mac_receive_errors_total", "dot3StatsInternalMacReceiveErrors",
	 CF_SFLOW_IFC_ETHERNET, CETH(11)},
	{P "dot3_symbol_errors_total", "dot3StatsSymbolErrors", CF_SFLOW_IFC_ETHERNET, CETH(12)},
	/* LAG port counters (IEEE 802.1AX) */
	{P "lag_lacpdus_rx_total", "dot3adAggPortStatsLACPDUsRx", CF_SFLOW_IFC_LAG, CLAG(0)},
	{P "lag_marker_pdus_rx_total", "dot3adAggPortStatsMarkerPDUsRx", CF_SFLOW_IFC_LAG, CLAG(1)},
	{P "lag_marker_response_pdus_rx_total", "dot3adAggPortStatsMarkerResponsePDUsRx",
	 CF_SFLOW_IFC_LAG, CLAG(2)},
	{P "lag_unknown_rx_total", "dot3adAggPortStatsUnknownRx", CF_SFLOW_IFC_LAG, CLAG(3)},
	{P "lag_illegal_rx_total", "dot3adAggPortStatsIllegalRx", CF_SFLOW_IFC_LAG, CLAG(4)},
	{P "lag_lacpdus_tx_total", "dot3adAggPortStatsLACPDUsTx", CF_SFLOW_IFC_LAG, CLAG(5)},
	{P "lag_marker_pdus_tx_total", "dot3adAggPortStatsMarkerPDUsTx", CF_SFLOW_IFC_LAG, CLAG(6)},
	{P "lag_marker_response_pdus_tx_total", "dot3adAggPortStatsMarkerResponsePDUsTx",
	 CF_SFLOW_IFC_LAG, CLAG(7)},
};

#define N_COLS (sizeof(cols) / sizeof(cols[0]))

/* One interface as read in one scrape. */
struct snap {
	uint32_t present;          /* 0: nothing read (no entry) */
	uint32_t status;
	uint64_t speed;
	uint64_t updated_ms;
	uint64_t v[N_COLS];
};

struct series {
	uint8_t agent[16];
	uint8_t v6;
	uint32_t ifindex;
	char agent_str[INET6_ADDRSTRLEN];
	char ifindex_str[12];
};

struct cf_sflow_metrics {
	unsigned int n_lcores;
	uint32_t max_series, n_series;
	uint64_t n_folded;
	struct series *series;
	struct snap *acc;          /* scratch: n_series + 1 ("other") */
	const struct cf_sflow_lcore **lc;
	uint32_t **slot;           /* per lcore: table slot -> series, UNSEEN or OTHER */
	uint32_t **gen;            /* per lcore: the slot's generation that series is of */
};

void
cf_sflow_metrics_free(struct cf_sflow_metrics *m)
{
	unsigned int i;

	if (m == NULL)
		return;
	for (i = 0; m->slot != NULL && i < m->n_lcores; i++)
		free(m->slot[i]);
	for (i = 0; m->gen != NULL && i < m->n_lcores; i++)
		free(m->gen[i]);
	free(m->slot);
	free(m->gen);
	free(m->lc);
	free(m->series);
	free(m->acc);
	free(m);
}

struct cf_sflow_metrics *
cf_sflow_metrics_new(const struct cf_sflow_lcore *const *lcores, unsigned int n,
		     uint32_t max_series)
{
	struct cf_sflow_metrics *m = calloc(1, sizeof(*m));
	unsigned int i;
	uint32_t k;

	if (m == NULL)
		return NULL;
	m->n_lcores = n;
	m->max_series = max_series;
	m->series = calloc(max_series ? max_series : 1, sizeof(*m->series));
	m->acc = calloc((size_t)max_series + 1, sizeof(*m->acc));
	m->lc = calloc(n ? n : 1, sizeof(*m->lc));
	m->slot = calloc(n ? n : 1, sizeof(*m->slot));
	m->gen = calloc(n ? n : 1, sizeof(*m->gen));
	if (m->series == NULL || m->acc == NULL || m->lc == NULL || m->slot == NULL ||
	    m->gen == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		uint32_t slots = cf_sflow_ifc_slots(lcores[i]);

		m->lc[i] = lcores[i];
		m->slot[i] = malloc((size_t)slots * sizeof(uint32_t) + 1);
		m->gen[i] = calloc((size_t)slots + 1, sizeof(uint32_t));
		if (m->slot[i] == NULL || m->gen[i] == NULL)
			goto fail;
		for (k = 0; k < slots; k++)
			m->slot[i][k] = UNSEEN;
	}
	return m;
fail:
	cf_sflow_metrics_free(m);
	return NULL;
}

/* Series of a newly seen entry: an existing one (same interface on another lcore), a new one, or OTHER. */
static uint32_t
assign(struct cf_sflow_metrics *m, const struct cf_sflow_ifc *c)
{
	struct series *s;
	uint32_t k;

	for (k = 0; k < m->n_series; k++) {
		s = &m->series[k];
		if (s->ifindex == c->ifindex && s->v6 == c->agent_v6 &&
		    memcmp(s->agent, c->agent, 16) == 0)
			return k;
	}
	if (m->n_series >= m->max_series) {
		m->n_folded++;
		return OTHER;
	}
	s = &m->series[m->n_series];
	memcpy(s->agent, c->agent, 16);
	s->v6 = c->agent_v6;
	s->ifindex = c->ifindex;
	inet_ntop(s->v6 ? AF_INET6 : AF_INET, s->agent, s->agent_str, sizeof(s->agent_str));
	snprintf(s->ifindex_str, sizeof(s->ifindex_str), "%u", s->ifindex);
	return m->n_series++;
}

static void
read_entry(const struct cf_sflow_ifc *c, struct snap *sn)
{
	unsigned int k;

	sn->present = __atomic_load_n(&c->present, __ATOMIC_RELAXED) | 0x80000000u;
	sn->status = __atomic_load_n(&c->if_status, __ATOMIC_RELAXED);
	sn->speed = __atomic_load_n(&c->if_speed, __ATOMIC_RELAXED);
	sn->updated_ms = __atomic_load_n(&c->updated_ms, __ATOMIC_RELAXED);
	for (k = 0; k < N_COLS; k++) {
		const char *p = (const char *)c + cols[k].off;

		sn->v[k] = cols[k].width == 8 ?
			__atomic_load_n((const uint64_t *)(const void *)p, __ATOMIC_RELAXED) :
			__atomic_load_n((const uint32_t *)(const void *)p, __ATOMIC_RELAXED);
	}
}

/* Reads every table into m->acc: the latest sample per series, the sum for "other". */
static void
scan(struct cf_sflow_metrics *m)
{
	struct snap *other = &m->acc[m->max_series], sn;
	unsigned int i, k;
	uint32_t j;

	memset(m->acc, 0, ((size_t)m->max_series + 1) * sizeof(*m->acc));
	for (i = 0; i < m->n_lcores; i++) {
		uint32_t slots = cf_sflow_ifc_slots(m->lc[i]);

		for (j = 0; j < slots; j++) {
			const struct cf_sflow_ifc *c = cf_sflow_ifc_at(m->lc[i], j);
			uint32_t sid = m->slot[i][j], g;

			/* Acquire: the key fields are whole once used is seen (cf_sflow_table.c). */
			if (!__atomic_load_n(&c->used, __ATOMIC_ACQUIRE))
				continue;
			g = __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE);
			if (g & 1)
				continue; /* being given to another interface right now */
			if (sid == UNSEEN || m->gen[i][j] != g) {
				sid = m->slot[i][j] = assign(m, c);
				m->gen[i][j] = g;
			}
			read_entry(c, &sn);
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&c->gen, __ATOMIC_RELAXED) != g)
				continue; /* reassigned while read: next scan */
			if (sid != OTHER) {
				struct snap *a = &m->acc[sid];

				if (a->present == 0 || sn.updated_ms >= a->updated_ms)
					*a = sn;
				continue;
			}
			other->present |= sn.present;
			for (k = 0; k < N_COLS; k++)
				if (cols[k].block == 0 || (sn.present & cols[k].block))
					other->v[k] += sn.v[k];
		}
	}
}

void
cf_sflow_metrics_provider(struct cf_metrics_builder *b, void *arg)
{
	struct cf_sflow_metrics *m = arg;
	const struct snap *other;
	uint64_t full = 0;
	unsigned int i, k;
	uint32_t s;

	scan(m);
	other = &m->acc[m->max_series];
	for (i = 0; i < m->n_lcores; i++)
		full += cf_sflow_ifc_full(m->lc[i]);
	cf_metrics_family(b, "clarion_flowd_sflow_interfaces",
			  "sFlow interfaces (agent, ifindex) with counters, own series and folded",
			  CF_METRICS_GAUGE);
	cf_metrics_u64(b, CF_METRICS_NOLABELS, m->n_series + m->n_folded);
	cf_metrics_family(
		b, P "series_folded",
		"sFlow interfaces beyond --max-sflow-if-series, summed into agent=\"other\"",
		CF_METRICS_GAUGE);
	cf_metrics_u64(b, CF_METRICS_NOLABELS, m->n_folded);
	cf_metrics_family(b, P "table_full_total",
			  "sFlow counter samples dropped because the interface table was full",
			  CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_NOLABELS, full);
	cf_metrics_summary_set(b, "sflow_interfaces", (double)(m->n_series + m->n_folded));

	for (k = 0; k < N_COLS; k++) {
		cf_metrics_family(b, cols[k].name, cols[k].help, CF_METRICS_COUNTER);
		for (s = 0; s < m->n_series; s++) {
			const struct snap *a = &m->acc[s];

			if (a->present == 0 || (cols[k].block && !(a->present & cols[k].block)))
				continue;
			cf_metrics_u64(b,
				       CF_METRICS_L({"agent", m->series[s].agent_str},
						    {"ifindex", m->series[s].ifindex_str}),
				       a->v[k]);
		}
		if (m->n_folded && (cols[k].block == 0 || (other->present & cols[k].block)))
			cf_metrics_u64(b, CF_METRICS_L({"agent", "other"}, {"ifindex", "other"}),
				       other->v[k]);
	}

	/* Gauges: per interface only (a sum of speeds or states means nothing). */
	cf_metrics_family(b, P "speed_bps", "ifSpeed in bits per second", CF_METRICS_GAUGE);
	for (s = 0; s < m->n_series; s++)
		if (m->acc[s].present & CF_SFLOW_IFC_GENERIC)
			cf_metrics_u64(b,
				       CF_METRICS_L({"agent", m->series[s].agent_str},
						    {"ifindex", m->series[s].ifindex_str}),
				       m->acc[s].speed);
	cf_metrics_family(b, P "admin_up", "1 when ifAdminStatus is up (ifStatus bit 0)",
			  CF_METRICS_GAUGE);
	for (s = 0; s < m->n_series; s++)
		if (m->acc[s].present & CF_SFLOW_IFC_GENERIC)
			cf_metrics_u64(b,
				       CF_METRICS_L({"agent", m->series[s].agent_str},
						    {"ifindex", m->series[s].ifindex_str}),
				       m->acc[s].status & 1);
	cf_metrics_family(b, P "oper_up", "1 when ifOperStatus is up (ifStatus bit 1)",
			  CF_METRICS_GAUGE);
	for (s = 0; s < m->n_series; s++)
		if (m->acc[s].present & CF_SFLOW_IFC_GENERIC)
			cf_metrics_u64(b,
				       CF_METRICS_L({"agent", m->series[s].agent_str},
						    {"ifindex", m->series[s].ifindex_str}),
				       (m->acc[s].status >> 1) & 1);
	cf_metrics_family(b, P "last_sample_timestamp_seconds",
			  "receive time (Unix) of the interface's latest counter sample",
			  CF_METRICS_GAUGE);
	for (s = 0; s < m->n_series; s++)
		if (m->acc[s].present)
			cf_metrics_f64(b,
				       CF_METRICS_L({"agent", m->series[s].agent_str},
						    {"ifindex", m->series[s].ifindex_str}),
				       (double)m->acc[s].updated_ms / 1000.0);
}
