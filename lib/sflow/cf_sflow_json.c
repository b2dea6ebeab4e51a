/* SPDX-License-Identifier: BSD-3-Clause */
/* Interface counters as JSON, for the control lcore (not the hot path: snprintf is fine). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>

#include "cf_sflow.h"

#define ADD(...) do { \
	int k_ = snprintf(buf + n, len - n, __VA_ARGS__); \
	if (k_ < 0 || (size_t)k_ >= len - n) \
		return 0; \
	n += (size_t)k_; \
} while (0)

size_t
cf_sflow_ifc_json(const struct cf_sflow_ifc *c, char *buf, size_t len)
{
	char agent[INET6_ADDRSTRLEN];
	size_t n = 0;
	unsigned int i;

	if (len == 0)
		return 0;
	inet_ntop(c->agent_v6 ? AF_INET6 : AF_INET, c->agent, agent, sizeof(agent));
	ADD("{\"type\":\"sflow_counters\",\"agent\":\"%s\",\"sub_agent\":%" PRIu32
	    ",\"ifindex\":%" PRIu32 ",\"sequence\":%" PRIu32 ",\"updated_ms\":%" PRIu64,
	    agent, c->sub_agent, c->ifindex, c->sample_seq, c->updated_ms);
	if (c->present & CF_SFLOW_IFC_GENERIC) {
		ADD(",\"if_type\":%" PRIu32 ",\"if_speed\":%" PRIu64 ",\"if_direction\":%" PRIu32
		    ",\"if_admin_up\":%s,\"if_oper_up\":%s,\"if_promiscuous\":%" PRIu32,
		    c->if_type, c->if_speed, c->if_direction,
		    (c->if_status & 1) ? "true" : "false", (c->if_status & 2) ? "true" : "false",
		    c->if_promisc);
		ADD(",\"in_octets\":%" PRIu64 ",\"in_ucast_pkts\":%" PRIu32
		    ",\"in_multicast_pkts\":%" PRIu32 ",\"in_broadcast_pkts\":%" PRIu32
		    ",\"in_discards\":%" PRIu32 ",\"in_errors\":%" PRIu32
		    ",\"in_unknown_protos\":%" PRIu32,
		    c->in_octets, c->in_ucast, c->in_mcast, c->in_bcast, c->in_discards,
		    c->in_errors, c->in_unknown_protos);
		ADD(",\"out_octets\":%" PRIu64 ",\"out_ucast_pkts\":%" PRIu32
		    ",\"out_multicast_pkts\":%" PRIu32 ",\"out_broadcast_pkts\":%" PRIu32
		    ",\"out_discards\":%" PRIu32 ",\"out_errors\":%" PRIu32,
		    c->out_octets, c->out_ucast, c->out_mcast, c->out_bcast, c->out_discards,
		    c->out_errors);
	}
	if (c->present & CF_SFLOW_IFC_ETHERNET) {
		ADD(",\"dot3_stats\":[");
		for (i = 0; i < 13; i++)
			ADD("%s%" PRIu32, i ? "," : "", c->eth[i]);
		ADD("]");
	}
	if (c->present & CF_SFLOW_IFC_LAG) {
		ADD(",\"lag_agg_id\":%" PRIu32 ",\"lag_pdus\":[", c->lag_agg_id);
		for (i = 0; i < 8; i++)
			ADD("%s%" PRIu32, i ? "," : "", c->lag_pdus[i]);
		ADD("]");
	}
	ADD("}");
	return n;
}
