/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RX lcore's frame path as cf_rx_main() runs it (cf_rx_frame()): the
 * classifier (Ethernet, VLANs, IPv4 options, IPv6 extension headers, UDP),
 * IPv4/IPv6 reassembly in the lcore's own pool, the network-presence replies
 * (ARP, ICMP echo, ND for --collector-ip 192.0.2.2 and 2001:db8::2, built in
 * the received mbuf) and the decoders behind. Each piece (cf_fuzz.h) is one
 * frame; its flags advance the clock by that many x 10 ms (rate limiters).
 * Small tables (64 fragment flows, 64 reassembly mbufs) so eviction is
 * reached; everything is built afresh per input, and at the end every mbuf
 * must be back in its pool: a leak or a double free is a finding.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "cf_config.h"
#include "cf_fuzz.h"
#include "cf_rx.h"
#include "cf_rx_priv.h"

volatile int cf_quit;

static struct rte_mempool *pkt_pool, *block_pool;
static struct cf_config cfg;
static struct cf_netpres_port ports[1];

static void
setup(void)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 2};
	char err[256];

	cf_fuzz_eal_init();
	pkt_pool = rte_pktmbuf_pool_create("fz_pkts", 512, 0, 0,
					   2176 + RTE_PKTMBUF_HEADROOM, 0);
	block_pool = rte_mempool_create("fz_blocks", 64, sizeof(struct cf_record_block), 0, 0,
					NULL, NULL, NULL, NULL, 0, 0);
	if (pkt_pool == NULL || block_pool == NULL || cf_config_defaults(&cfg, err, sizeof(err)))
		abort();
	cfg.frag_max_flows = 64;
	cfg.frag_max_mbufs = 64;
	cfg.decode.max_exporters = 16;
	cfg.tpl.max_exporters = 4;
	cfg.ring_size = 16;
	if (cf_pkt_addr_parse("192.0.2.2", &cfg.policy.addrs[0], err, sizeof(err)) != 0 ||
	    cf_pkt_addr_parse("2001:db8::2", &cfg.policy.addrs[1], err, sizeof(err)) != 0)
		abort();
	cfg.policy.n_addrs = 2;
	cf_netpres_port_init(&ports[0], mac);
	ports[0].has_v6 = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cf_rx rx;
	const struct cf_rx_queue q = { .port = 0, .queue = 0, .txq = CF_RX_NO_TXQ };
	struct cf_fuzz_piece pc;
	uint64_t now = 1700000000000ull;
	char err[256];
	void *b;

	if (pkt_pool == NULL)
		setup();
	memset(&rx, 0, sizeof(rx));
	if (cf_rx_init(&rx, 0, cfg.ring_size, block_pool, &cfg, err, sizeof(err)) != 0)
		abort();
	cf_rx_set_presence(&rx, ports, 1, pkt_pool, &cfg);
	while (cf_fuzz_next(&data, &size, &pc)) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pkt_pool);
		uint32_t n = pc.len > 2048 ? 2048 : pc.len;
		char *d;

		if (m == NULL)
			__builtin_trap(); /* an mbuf leaked */
		d = rte_pktmbuf_append(m, (uint16_t)n);
		if (n != 0)
			memcpy(d, pc.p, n);
		now += (uint64_t)pc.flags * 10;
		if (cf_rx_frame(&rx, m, &q, now) == 0)
			rte_pktmbuf_free(m);
	}
	cf_rx_frag_flush(&rx);
	if (rx.dctx.tpl != NULL)
		cf_tpl_pending_flush(&rx.dctx);
	while (rte_ring_dequeue(rx.ring, &b) == 0)
		rte_mempool_put(block_pool, b);
	if (rx.blk != NULL)
		rte_mempool_put(block_pool, rx.blk);
	if (rte_mempool_avail_count(rx.frag_pool) != cfg.frag_max_mbufs)
		__builtin_trap(); /* reassembly kept or lost an mbuf */
	cf_rx_fini(&rx);
	if (rte_mempool_avail_count(pkt_pool) != 512 || rte_mempool_avail_count(block_pool) != 64)
		__builtin_trap();
	return 0;
}
