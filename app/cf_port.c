/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "cf_log.h"
#include "cf_port.h"

/* Largest frame accepted (jumbo): Ethernet header, two VLAN tags and CRC around the
 * 8992-byte MTU set below. */
#define MAX_FRAME 9018

int
cf_port_setup(uint16_t port, uint16_t nb_rxq, const struct cf_config *cfg,
	      struct rte_mempool *pool, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxconf;
	uint16_t q, nb_txq, rxd = cfg->rxd, txd = 512;
	uint32_t data_room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
	int rc;

	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: cannot read device info: %s", port, rte_strerror(-rc));
		return -1;
	}
	memset(&conf, 0, sizeof(conf));

	if (nb_rxq > info.max_rx_queues)
		nb_rxq = info.max_rx_queues;
	/* Only RSS keeps an exporter on one lcore; without it one queue is all we may use. */
	if (nb_rxq > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP) != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		/* L3 only: hashing on ports would split an exporter's fragments. */
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
		if (conf.rx_adv_conf.rss_conf.rss_hf != RTE_ETH_RSS_IP)
			CF_LOG(WARNING, "port %u: RSS limited to hash functions 0x%" PRIx64 "\n", port,
			       (uint64_t)conf.rx_adv_conf.rss_conf.rss_hf);
	} else if (nb_rxq > 1) {
		CF_LOG(WARNING, "port %u (%s): no IP RSS, using one RX queue\n", port, info.driver_name);
		nb_rxq = 1;
	}
	if (nb_rxq == 0) {
		snprintf(err, errlen, "port %u (%s): the device has no RX queue", port, info.driver_name);
		return -1;
	}

	/* Jumbo frames: scatter across mbufs when one mbuf cannot hold the largest frame. */
	if (MAX_FRAME > data_room) {
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		else
			CF_LOG(INFO, "port %u: PMD reports no RX scatter; frames above %u bytes "
			       "may be lost (raise --mbuf-size)\n", port, data_room);
	}
	if (info.max_rx_pktlen >= MAX_FRAME)
		conf.rxmode.mtu = MAX_FRAME - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN - 8;
	else if (info.max_mtu != 0 && info.max_mtu != UINT16_MAX)
		conf.rxmode.mtu = info.max_mtu;

	/* One TX queue per RX queue, for the replies network presence will send. */
	nb_txq = RTE_MIN(nb_rxq, info.max_tx_queues);
	rc = rte_eth_dev_configure(port, nb_rxq, nb_txq, &conf);
	if (rc != 0 && conf.rxmode.mtu != 0) {
		/* Some PMDs reject a jumbo MTU at configure time; run with their default. */
		CF_LOG(WARNING, "port %u: MTU %u refused (%s); using the device default\n", port,
		       conf.rxmode.mtu, rte_strerror(-rc));
		conf.rxmode.mtu = 0;
		rc = rte_eth_dev_configure(port, nb_rxq, nb_txq, &conf);
	}
	if (rc != 0) {
		snprintf(err, errlen, "port %u: configure failed: %s", port, rte_strerror(-rc));
		return -1;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: descriptor counts refused: %s", port, rte_strerror(-rc));
		return -1;
	}
	rxconf = info.default_rxconf;
	rxconf.offloads = conf.rxmode.offloads;
	for (q = 0; q < nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, rxd, rte_eth_dev_socket_id(port), &rxconf, pool);
		if (rc != 0) {
			snprintf(err, errlen, "port %u: RX queue %u setup failed: %s", port, q,
				 rte_strerror(-rc));
			return -1;
		}
	}
	for (q = 0; q < nb_txq; q++) {
		rc = rte_eth_tx_queue_setup(port, q, txd, rte_eth_dev_socket_id(port), NULL);
		if (rc != 0) {
			snprintf(err, errlen, "port %u: TX queue %u setup failed: %s", port, q,
				 rte_strerror(-rc));
			return -1;
		}
	}
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: start failed: %s", port, rte_strerror(-rc));
		return -1;
	}
	/* Export datagrams are addressed to us, but a SPAN/mirror feed is not. */
	rte_eth_promiscuous_enable(port);
	CF_LOG(INFO, "port %u (%s): %u RX queue(s), %u descriptors, RSS %s, MTU %u\n", port,
	       info.driver_name, nb_rxq, rxd, conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS ? "on" : "off",
	       conf.rxmode.mtu);
	return nb_rxq;
}

void
cf_port_stop(uint16_t port)
{
	int rc = rte_eth_dev_stop(port);

	if (rc != 0)
		CF_LOG(WARNING, "port %u: stop failed: %s\n", port, rte_strerror(-rc));
	rte_eth_dev_close(port);
}

int
cf_port_presence(uint16_t port, const struct cf_pkt_policy *pol, struct cf_netpres_port *np)
{
	struct rte_ether_addr mac, mc[CF_PKT_MAX_ADDRS + 2];
	uint32_t n_mc = 0;
	unsigned int i;
	int rc;

	rc = rte_eth_macaddr_get(port, &mac);
	if (rc != 0) {
		CF_LOG(WARNING, "port %u: no MAC address (%s): not answering ARP/ND here\n", port,
		       rte_strerror(-rc));
		return -1;
	}
	cf_netpres_port_init(np, mac.addr_bytes);
	{
		char m[RTE_ETHER_ADDR_FMT_SIZE];

		rte_ether_format_addr(m, sizeof(m), &mac);
		CF_LOG(INFO, "port %u: answering ARP/ND/ping as %s\n", port, m);
	}
	for (i = 0; i < pol->n_addrs; i++) {
		const struct cf_pkt_addr *a = &pol->addrs[i];

		if (!a->v6 || (a->bound_port && a->port != port))
			continue;
		np->has_v6 = 1;
		cf_netpres_solicited_mac(a->addr, mc[n_mc++].addr_bytes);
	}
	if (!np->has_v6)
		return 0;
	/* Neighbour Solicitations go to solicited-node groups, ours included. */
	cf_netpres_solicited_mac(np->ll6, mc[n_mc++].addr_bytes);
	rc = rte_eth_dev_set_mc_addr_list(port, mc, n_mc);
	if (rc != 0) {
		rc = rte_eth_allmulticast_enable(port);
		CF_LOG(INFO, "port %u: no multicast filter list; all-multicast %s\n", port,
		       rc == 0 ? "on" : "refused (promiscuous mode must carry NS)");
	}
	return 0;
}
