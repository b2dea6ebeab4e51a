/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_PORT_H
#define CF_PORT_H

/*
 * NIC port setup: RSS on L3 source+destination only (an exporter and its
 * fragments always land on one queue), jumbo frames, link state.
 *
 * Contract: cf_port_setup() configures and starts one port with up to
 * nb_rxq RX queues (fewer when the PMD has no RSS or fewer queues) and
 * returns the number of RX queues it set up, or -1 with err filled.
 * Main lcore only; before any RX lcore starts.
 */

#include <stdint.h>

#include <rte_mempool.h>

#include "cf_config.h"
#include "cf_netpres.h"

int cf_port_setup(uint16_t port, uint16_t nb_rxq, const struct cf_config *cfg,
		  struct rte_mempool *pool, char *err, size_t errlen);

/* Fills np for a started port (MAC, link-local address) and lets the
 * solicited-node multicast groups of our IPv6 addresses in (filter list, or
 * all-multicast). 0, or -1 when the port has no MAC (not answered on). */
int cf_port_presence(uint16_t port, const struct cf_pkt_policy *pol, struct cf_netpres_port *np);
void cf_port_stop(uint16_t port);

#endif
