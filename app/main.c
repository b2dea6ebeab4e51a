/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * clarion-flowd: where a packet goes (README.md "How a packet travels" draws the same route).
 *
 *   NIC queue --RSS on L3 src+dst--> RX lcore (cf_rx.h; one struct cf_rx each)
 *     rte_eth_rx_burst -> prefetch -> cf_pkt_parse (cf_pkt.h: Ethernet, 1-2 VLAN tags,
 *     IPv4 options, IPv6 extension headers, UDP)
 *       not a whole UDP datagram -> cf_rx_slow (cf_rx_priv.h):
 *         ARP / ICMP echo / ND for a --collector-ip -> reply built in the same mbuf
 *           on this lcore's TX queue (cf_netpres.h)
 *         IP fragment -> this lcore's rte_ip_frag table -> the whole datagram
 *           rejoins the fast path below
 *         anything else -> a CF_STATS_DROP_* reason
 *     -> cf_pkt_accept (flow port, --collector-ip) -> cf_dispatch_datagram
 *       (cf_dispatch.h: decoder by version) -> cf_nf5 | cf_nf9 | cf_ipfix (templates:
 *       cf_tpl.h) | cf_sflow, which find the exporter once (cf_decode.h) and write
 *       records straight into the lcore's cf_record_block (cf_record.h)
 *     -> full, or older than --flush-us -> per-lcore SP/SC rte_ring (full: counted drop)
 *   control lcore = main lcore (cf_control.h)
 *     ring -> [cf_stages.h: --sketches (cf_sketch.h), --aggregate (cf_agg.h)]
 *       -> cf_output_write (cf_output.h: ndjson | null | http) -> block back to its mempool
 *     http: batches -> delivery thread (cf_delivery.h: libcurl, retry, circuit breaker,
 *       disk spool, dead letters) -> Clarion backend
 *     --template-file saves (cf_tpl.h saver), --sflow-counters lines (cf_sflow_out.h)
 *   control plane (cf_ctlplane.h, HTTP threads, not an lcore): /health, /metrics, DPDK
 *     telemetry /clarion/...; reads the counters (cf_stats.h tables) lock-free.
 *     Edge-agent sketches (cf_httpd.h) -> cf_output_http_forward -> MP/SC request ring ->
 *     the same delivery thread (own path and headers).
 *   Every drop is a CF_STATS_DROP_* counter, printed by --stats-period and at exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "cf_clock.h"
#include "cf_config.h"
#include "cf_control.h"
#include "cf_ctlplane.h"
#include "cf_log.h"
#include "cf_outputs.h"
#include "cf_port.h"
#include "cf_qmap.h"
#include "cf_rx.h"
#include "cf_stages.h"
#include "cf_tpl.h"

#define EXIT_USAGE 2

int cf_logtype;
volatile int cf_quit;

void
cf_log_line(uint32_t level, const char *line)
{
	rte_log(level, cf_logtype, "clarion: %s", line);
}

static void
on_signal(int sig)
{
	(void)sig;
	cf_quit = 1;
}

static void
die(int status, const char *fmt, const char *detail)
{
	fprintf(stderr, "clarion-flowd: ");
	fprintf(stderr, fmt, detail);
	fputc('\n', stderr);
	exit(status);
}

/* Index of the "--" that separates EAL from application arguments, or argc. */
static int
find_separator(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return argc;
}

int
main(int argc, char **argv)
{
	static struct cf_config cfg;
	static struct cf_control ctl;
	static struct cf_httpd_forwarder fwd;
	struct cf_rx *rx[RTE_MAX_LCORE];
	static struct cf_netpres_port np_ports[RTE_MAX_ETHPORTS];
	struct rte_mempool *pkt_pool, *block_pool;
	char err[512];
	int sep, rc, n_rx = 0, total_q = 0;
	unsigned int lcore, i;
	uint16_t port;
	uint32_t n_mbufs;

	/* DPDK logs to stdout by default; stdout belongs to ndjson:- output. */
	rte_openlog_stream(stderr);

	sep = find_separator(argc, argv);
	if (sep == argc && argc > 1 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		cf_config_usage(stdout, "clarion-flowd");
		return 0;
	}
	{
		/* getopt wants argv[0] in front of the application's arguments. */
		char **app_argv = argv + sep;
		char *saved = sep < argc ? app_argv[0] : NULL;
		int app_argc = argc - sep;

		if (sep < argc)
			app_argv[0] = argv[0];
		else
			app_argv = argv, app_argc = 1;
		rc = cf_config_parse(&cfg, app_argc, app_argv, err, sizeof(err));
		if (sep < argc)
			app_argv[0] = saved;
		if (rc == 1)
			return 0;
		if (rc < 0)
			die(EXIT_USAGE, "%s", err);
	}
	if (cfg.field_map[0] != '\0') {
		/* Read once, before any lcore runs; shared read-only afterwards. */
		static struct cf_tpl_fieldmap field_map;

		if (cf_tpl_fieldmap_load(&field_map, cfg.field_map, err, sizeof(err)) != 0)
			die(EXIT_USAGE, "%s", err);
		cfg.tpl.field_map = &field_map;
	}

	{
		/* EAL prints its usage to stdout; keep stdout clean for records. */
		int saved = dup(STDOUT_FILENO);

		fflush(stdout);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		rc = rte_eal_init(sep, argv);
		fflush(stdout);
		if (saved >= 0) {
			dup2(saved, STDOUT_FILENO);
			close(saved);
		}
	}
	if (rc < 0)
		die(1, "EAL initialisation failed (%s). Without hugepages add --no-huge -m 512 "
		       "(or hugepages: echo 512 > /proc/sys/vm/nr_hugepages); without a bound NIC add --no-pci "
		       "--vdev=net_pcap0,rx_pcap=FILE. See README.md.",
		    rte_strerror(rte_errno));
	cf_logtype = rte_log_register_type_and_pick_level("clarion", RTE_LOG_INFO);
	rte_log_set_level(cf_logtype, (uint32_t)cfg.log_level);

	RTE_LCORE_FOREACH_WORKER(lcore) {
		rx[n_rx] = rte_zmalloc_socket("cf_rx", sizeof(struct cf_rx), 64,
					      rte_lcore_to_socket_id(lcore));
		if (rx[n_rx] == NULL)
			die(1, "%s", "out of memory for RX lcore state");
		n_rx++;
	}
	if (n_rx == 0)
		die(EXIT_USAGE, "%s", "need at least two lcores (e.g. -l 0,1): the main lcore "
			"is the control lcore, every other lcore receives");

	for (port = 0; port < RTE_MAX_ETHPORTS; port++) {
		if (!rte_eth_dev_is_valid_port(port))
			continue;
		if (cfg.portmask != 0 && (port >= 64 || !(cfg.portmask & (1ULL << port))))
			continue;
		if (ctl.n_ports == CF_MAX_PORTS)
			break;
		ctl.ports[ctl.n_ports++] = port;
	}
	if (ctl.n_ports == 0) {
		if (rte_eth_dev_count_avail() == 0)
			die(1, "%s", "no DPDK port: bind a NIC to vfio-pci (dpdk-devbind.py, see "
				"dpdk-devbind.conf) or add --no-pci --vdev=net_pcap0,rx_pcap=FILE");
		snprintf(err, sizeof(err), "0x%" PRIx64 " names no available port (%u available)",
			 cfg.portmask, rte_eth_dev_count_avail());
		die(EXIT_USAGE, "--portmask: %s", err);
	}

	for (i = 0; i < cfg.policy.n_addrs; i++) {
		unsigned int k;
		uint16_t want = cfg.policy.addrs[i].port;

		if (!cfg.policy.addrs[i].bound_port)
			continue;
		for (k = 0; k < ctl.n_ports; k++)
			if (ctl.ports[k] == want)
				break;
		if (k == ctl.n_ports) {
			snprintf(err, sizeof(err), "@port%u names no port we receive on", want);
			die(EXIT_USAGE, "--collector-ip: %s", err);
		}
	}

	n_mbufs = cfg.total_num_mbufs;
	if (n_mbufs == 0)
		n_mbufs = RTE_MAX(8192u, ctl.n_ports * (uint32_t)(cfg.rxq ? cfg.rxq : n_rx) *
					 (cfg.rxd + cfg.burst) + rte_lcore_count() * 512u + 2048u);
	pkt_pool = rte_pktmbuf_pool_create("cf_pkts", n_mbufs, 256, 0,
					   (uint16_t)(cfg.mbuf_size + RTE_PKTMBUF_HEADROOM),
					   (int)rte_socket_id());
	if (pkt_pool == NULL)
		die(1, "cannot create the packet pool: %s (try --total-num-mbufs or more memory, -m)",
		    rte_strerror(rte_errno));
	block_pool = rte_mempool_create("cf_blocks", (unsigned int)n_rx * (cfg.ring_size + 32) + 64,
					sizeof(struct cf_record_block), 8, 0, NULL, NULL, NULL,
					NULL, (int)rte_socket_id(), 0);
	if (block_pool == NULL)
		die(1, "cannot create the record block pool: %s (lower --ring-size or add memory, -m)",
		    rte_strerror(rte_errno));

	i = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (cf_rx_init(rx[i], lcore, cfg.ring_size, block_pool, &cfg, err, sizeof(err)) != 0)
			die(1, "%s", err);
		i++;
	}
	{
		/* --template-file: restored now, into every lcore; saved by the saver from here on. */
		const volatile int *done[RTE_MAX_LCORE];
		struct cf_decode_ctx *dc[RTE_MAX_LCORE];
		unsigned int lc[RTE_MAX_LCORE];

		for (i = 0; i < (unsigned int)n_rx; i++) {
			dc[i] = &rx[i]->dctx;
			done[i] = &rx[i]->done;
			lc[i] = rx[i]->lcore_id;
		}
		ctl.tpl_save = cf_tpl_saver_open(cfg.template_file, cfg.template_save_interval, dc,
						 done, lc, (unsigned int)n_rx, cf_clock_wall_ms(),
						 cf_log_line, err, sizeof(err));
		if (ctl.tpl_save == NULL && err[0] != '\0')
			die(1, "%s", err);
		for (i = 0; i < (unsigned int)n_rx; i++)
			rx[i]->tpl_save = cf_tpl_saver_lcore(ctl.tpl_save, i);
	}

	for (i = 0; i < ctl.n_ports; i++) {
		int nq = cf_port_setup(ctl.ports[i], cfg.rxq ? cfg.rxq : (uint16_t)n_rx, &cfg,
				       pkt_pool, err, sizeof(err));
		struct rte_eth_dev_info info;
		uint16_t ntxq = 0;

		if (nq < 0)
			die(1, "%s", err);
		if (rte_eth_dev_info_get(ctl.ports[i], &info) == 0)
			ntxq = info.nb_tx_queues;
		if (cfg.policy.n_addrs != 0)
			cf_port_presence(ctl.ports[i], &cfg.policy, &np_ports[ctl.ports[i]]);
		if (cf_qmap_port(rx, (unsigned int)n_rx, ctl.ports[i], (uint16_t)nq, ntxq, err,
				 sizeof(err)) != 0)
			die(EXIT_USAGE, "%s", err);
		total_q += nq;
	}

	for (i = 0; i < (unsigned int)n_rx; i++)
		cf_rx_set_presence(rx[i], np_ports, RTE_MAX_ETHPORTS, pkt_pool, &cfg);

	ctl.cfg = &cfg;
	ctl.np_ports = np_ports;
	ctl.pkt_pool = pkt_pool;
	ctl.mbufs_start = rte_mempool_in_use_count(pkt_pool);
	ctl.rx = rx;
	ctl.n_rx = (unsigned int)n_rx;
	ctl.block_pool = block_pool;
	ctl.out = cf_outputs_open(&cfg, &rc, err, sizeof(err));
	if (ctl.out == NULL)
		die(rc, "%s", err);
	if (cf_stages_open(&ctl, err, sizeof(err)) != 0)
		die(1, "%s", err);
	for (i = 0; i < (unsigned int)n_rx; i++)
		ctl.sflow[i] = rx[i]->dctx.sflow;
	if (cfg.sflow_counters.kind == CF_SFLOW_COUNTERS_NDJSON) {
		ctl.sflow_out = cf_sflow_out_open(cfg.sflow_counters.arg, ctl.sflow,
						  (unsigned int)n_rx, err, sizeof(err));
		if (ctl.sflow_out == NULL)
			die(EXIT_USAGE, "--sflow-counters: %s", err);
	}

	/* Agent sketches ride the http sink's delivery engine; without a backend
	 * they are accepted and answered "forwarded": false. */
	fwd.submit = cf_output_http_forward;
	fwd.ctx = ctl.out;
	/* Before the RX lcores start, so the first scrape already sees every lcore. */
	if (cf_ctlplane_start(&ctl, cfg.backend_url[0] ? &fwd : NULL, err, sizeof(err)) != 0)
		die(1, "%s", err);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* A closed stdout or socket is an error to count, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);

	CF_LOG(INFO, "%u port(s), %d RX queue(s) on %d RX lcore(s); ports netflow=%u ipfix=%u sflow=%u\n",
	       ctl.n_ports, total_q, n_rx, cfg.policy.ports[0], cfg.policy.ports[1],
	       cfg.policy.ports[2]);
	for (i = 0; i < (unsigned int)n_rx; i++) {
		if (rx[i]->n_queues == 0) {
			CF_LOG(INFO, "lcore %u has no queue to poll; idle\n", rx[i]->lcore_id);
			rx[i]->done = 1;
			continue;
		}
		rte_eal_remote_launch(cf_rx_main, rx[i], rx[i]->lcore_id);
	}

	rc = cf_control_run(&ctl);
	rte_eal_mp_wait_lcore();
	cf_ctlplane_stop();
	cf_control_print_stats(&ctl, stderr, "final");
	{
		struct cf_tpl_cache *tc[RTE_MAX_LCORE];

		for (i = 0; i < (unsigned int)n_rx; i++)
			tc[i] = rx[i]->dctx.tpl;
		cf_tpl_unknown_print(stderr, tc, (unsigned int)n_rx);
	}
	cf_tpl_saver_close(ctl.tpl_save);

	cf_stages_close(&ctl);
	cf_output_close(ctl.out);
	cf_sflow_out_close(ctl.sflow_out);
	for (i = 0; i < ctl.n_ports; i++)
		cf_port_stop(ctl.ports[i]);
	for (i = 0; i < (unsigned int)n_rx; i++) {
		cf_rx_fini(rx[i]);
		rte_free(rx[i]);
	}
	rte_mempool_free(block_pool);
	rte_mempool_free(pkt_pool);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
