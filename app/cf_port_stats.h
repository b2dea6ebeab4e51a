/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_PORT_STATS_H
#define CF_PORT_STATS_H

/*
 * Port counters with what the PMD does not count. The af_packet PMD of DPDK
 * 22.11 reports imissed 0, although the kernel counts every frame its socket
 * ring had no free slot for (PACKET_STATISTICS tp_drops). The PMD's sockets
 * are file descriptors of this process, so they are found and read here and
 * their drops added to imissed: loss before the PMD is visible in /metrics
 * (clarion_flowd_port_rx_missed_total) and in the stats blocks.
 *
 * Contract: cf_port_stats_init() once, on the main lcore, after the ports are
 * set up; it returns how many kernel sockets it found for the port (0 for
 * other PMDs). cf_port_stats_get() is rte_eth_stats_get() plus those drops;
 * thread safe (the control lcore and the control-plane thread both call it):
 * the kernel resets its counts on every read, so they accumulate here under
 * a lock. 0, or the negative errno of rte_eth_stats_get().
 */

#include <stdint.h>

#include <rte_ethdev.h>

unsigned int cf_port_stats_init(uint16_t port);
int cf_port_stats_get(uint16_t port, struct rte_eth_stats *es);

#endif
