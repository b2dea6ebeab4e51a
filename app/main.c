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
#define _GNU_SOURCE /* cpu_set_t: rte_lcore_cpuset() */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
#include "cf_eal.h"
#include "cf_log.h"
#include "cf_outputs.h"
#include "cf_port.h"
#include "cf_port_stats.h"
#include "cf_qmap.h"
#include "cf_reload.h"
#include "cf_rx.h"
#include "cf_startup.h"
#include "cf_stages.h"
#include "cf_tpl.h"

/*
 * Exit status, one rule (README "Running it"): 2 = the command line or the
 * configuration is wrong (a flag, a path, a port, EAL arguments that do not
 * fit this machine), found before the collector runs; 1 = a runtime failure
 * (a device, memory, records lost at the output).
 */
#define EXIT_USAGE 2
#define EXIT_RUNTIME 1

static void __attribute__((noreturn))
die(int status, const char *fmt, const char *detail)
{
	char line[2048];

	snprintf(line, sizeof(line), fmt, detail);
	cf_log_fatal("%s", line);
	exit(status);
}

/*
 * The configuration's eal: line as the EAL's arguments, when the command line gave
 * none before "--" (those replace it). An application option among them is refused,
 * as cf_eal_split() refuses it on the command line.
 */
static int
eal_from_config(const struct cf_config *cfg, char *prog, struct cf_eal_args *a, char *err,
		size_t errlen)
{
	static char words[sizeof(cfg->eal)];
	static char *eargv[258];
	int n, i;

	eargv[0] = prog;
	n = cf_config_split_words(cfg->eal, eargv + 1, 256, words, sizeof(words), err, errlen);
	if (n < 0)
		return -1;
	for (i = 1; i <= n; i++) {
		if (cf_config_is_option(eargv[i]) && !cf_eal_is_option(eargv[i])) {
			snprintf(err, errlen, "eal: %s is an application option: give it its "
				 "own key", eargv[i]);
			return -1;
		}
	}
	eargv[n + 1] = NULL;
	a->eal_argc = n + 1;
	a->eal_argv = eargv;
	return 0;
}

/* --check-config: what a start checks before the EAL, then exit 0 or 2. DPDK is not started. */
static int
check_config(struct cf_config *cfg)
{
	char err[2048];

	if (cfg->log_file[0] != '\0' &&
	    cf_startup_file("--log-file", cfg->log_file, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s", err);
	if (cfg->field_map[0] != '\0') {
		static struct cf_tpl_fieldmap field_map;

		if (cf_tpl_fieldmap_load(&field_map, cfg->field_map, err, sizeof(err)) != 0)
			die(EXIT_USAGE, "%s", err);
	}
	if (cf_startup_check(cfg, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s", err);
	printf("configuration OK%s%s\n", cfg->config_file[0] ? ": " : " (no --config file)",
	       cfg->config_file);
	return 0;
}

/*
 * The record block pool. Blocks are 64 KiB (256 records): with the default ring-backed
 * mempool a block the RX lcore takes is the one freed longest ago (FIFO), so every block of
 * the pool (tens of MiB) cycles through the caches. A lock-free stack behind the per-lcore
 * caches hands out the block the control lcore freed last (LIFO), still warm in the shared
 * cache. Falls back to the default ops when the lf_stack driver is not there.
 */
static struct rte_mempool *
block_pool_create(unsigned int n, const char **ops)
{
	struct rte_mempool *mp;

	*ops = "lf_stack";
	mp = rte_mempool_create_empty("cf_blocks", n, sizeof(struct cf_record_block), 8, 0,
				      (int)rte_socket_id(), 0);
	if (mp == NULL)
		return NULL;
	if (rte_mempool_set_ops_byname(mp, *ops, NULL) != 0 || rte_mempool_populate_default(mp) < 0) {
		rte_mempool_free(mp);
		*ops = "ring (lf_stack unavailable)";
		return rte_mempool_create("cf_blocks", n, sizeof(struct cf_record_block), 8, 0, NULL,
					  NULL, NULL, NULL, (int)rte_socket_id(), 0);
	}
	return mp;
}

/* --rx-backoff auto: 1 when another lcore (control or RX) may run on one of lcore's CPUs. */
static int
cpu_shared(unsigned int lcore)
{
	rte_cpuset_t mine = rte_lcore_cpuset(lcore), other, both;
	unsigned int l;

	for (l = 0; l < RTE_MAX_LCORE; l++) {
		if (l == lcore || !rte_lcore_is_enabled(l))
			continue;
		other = rte_lcore_cpuset(l);
		CPU_AND(&both, &mine, &other);
		if (CPU_COUNT(&both) != 0)
			return 1;
	}
	return 0;
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
	const char *pool_ops;
	struct cf_eal_args args;
	char err[2048];
	int rc, n_rx = 0, total_q = 0;
	unsigned int lcore, i;
	uint16_t port;
	uint32_t n_mbufs;

	/* Every line gets its time and prefix from here on, DPDK's too; SIGHUP never kills. */
	cf_log_init();
	cf_control_signals();
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) &&
	    (argc == 2 || strcmp(argv[2], "--") != 0)) {
		cf_config_usage(stdout, "clarion-flowd");
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--help-man") == 0) {
		/* Packaging: the man page is generated from the same table as --help. */
		cf_config_man(stdout);
		return 0;
	}
	if (cf_eal_split(argc, argv, &args, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s", err);
	rc = cf_config_parse(&cfg, args.app_argc, args.app_argv, err, sizeof(err));
	if (rc == 1)
		return 0;
	if (rc < 0)
		die(EXIT_USAGE, "%s", err);
	if (cfg.help_config) {
		/* Packaging: the commented configuration file, from the same table. */
		cf_config_print_defaults(stdout, &cfg);
		return 0;
	}
	if (cfg.print_config) {
		cf_config_print(stdout, &cfg);
		return 0;
	}
	/* What a reload compares the file against: the settings as parsed (before start-up
	 * resolves defaults into them), and the command line that gave them. */
	cf_reload_init(&cfg, args.app_argc, args.app_argv);
	if (cfg.eal[0] != '\0' && args.eal_argc == 1 &&
	    eal_from_config(&cfg, argv[0], &args, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s", err);
	if (cfg.check_config)
		return check_config(&cfg);
	if (cfg.log_file[0] != '\0' && cf_log_open_file(cfg.log_file, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s", err);
	rte_log_set_level_pattern("clarion*", (uint32_t)cfg.log_level);
	if (cfg.field_map[0] != '\0') {
		/* Read once, before any lcore runs; shared read-only afterwards. */
		static struct cf_tpl_fieldmap field_map;

		if (cf_tpl_fieldmap_load(&field_map, cfg.field_map, err, sizeof(err)) != 0)
			die(EXIT_USAGE, "%s", err);
		cfg.tpl.field_map = &field_map;
	}
	/* Paths, URL and ports, before the EAL: a wrong one is one line, not a half-started collector. */
	if (cf_startup_check(&cfg, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s", err);

	if (cf_eal_start(args.eal_argc, args.eal_argv, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	/* The EAL's --log-level may have set ours: the application's flag wins. */
	rte_log_set_level_pattern("clarion*", (uint32_t)cfg.log_level);

	RTE_LCORE_FOREACH_WORKER(lcore) {
		rx[n_rx] = rte_zmalloc_socket("cf_rx", sizeof(struct cf_rx), 64,
					      rte_lcore_to_socket_id(lcore));
		if (rx[n_rx] == NULL)
			die(EXIT_RUNTIME, "%s", "out of memory for RX lcore state");
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
		if (rte_eth_dev_count_avail() == 0) {
			cf_eal_explain_no_port(err, sizeof(err));
			die(EXIT_USAGE, "%s", err);
		}
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
		die(EXIT_RUNTIME, "cannot create the packet pool: %s (try --total-num-mbufs or more memory, -m)",
		    rte_strerror(rte_errno));
	block_pool = block_pool_create((unsigned int)n_rx * (cfg.ring_size + 32) + 64, &pool_ops);
	if (block_pool == NULL)
		die(EXIT_RUNTIME, "cannot create the record block pool: %s (lower --ring-size or add memory, -m)",
		    rte_strerror(rte_errno));
	CF_LOG(INFO, "record block pool: %u blocks, %s\n", block_pool->size, pool_ops);

	i = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (cf_rx_init(rx[i], lcore, cfg.ring_size, block_pool, &cfg, err, sizeof(err)) != 0)
			die(EXIT_RUNTIME, "%s", err);
		if (cfg.rx_backoff == CF_RX_BACKOFF_AUTO)
			rx[i]->backoff = cpu_shared(lcore);
		CF_LOG(INFO, "lcore %u: handoff ring of %u blocks (%u records), RX backoff %s\n",
		       lcore, cfg.ring_size, cfg.ring_size * CF_RECORD_BLOCK_RECORDS,
		       rx[i]->backoff ? (cfg.rx_backoff == CF_RX_BACKOFF_ON ? "on" :
					 "on (its CPU is shared with another lcore)") : "off");
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
			die(EXIT_RUNTIME, "%s", err);
		for (i = 0; i < (unsigned int)n_rx; i++)
			rx[i]->tpl_save = cf_tpl_saver_lcore(ctl.tpl_save, i);
		/* Names from options data: records refer to them, the encoder reads them. */
		ctl.names = cf_tpl_names_view_new(dc, (unsigned int)n_rx);
		if (ctl.names == NULL)
			die(1, "%s", "out of memory (names view)");
	}

	for (i = 0; i < ctl.n_ports; i++) {
		int nq = cf_port_setup(ctl.ports[i], cfg.rxq ? cfg.rxq : (uint16_t)n_rx, &cfg,
				       pkt_pool, err, sizeof(err));
		struct rte_eth_dev_info info;
		uint16_t ntxq = 0;

		if (nq < 0)
			die(EXIT_RUNTIME, "%s", err);
		cf_port_stats_init(ctl.ports[i]);
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
	cf_output_set_names(ctl.out, cf_tpl_names_lookup, ctl.names);
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
	{
		/* Each HTTP client holds a descriptor: the usual soft limit (1024) would let a
		 * thousand slow ones take /health's. Up to the hard limit, at most 65536. */
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 &&
		    rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (cf_ctlplane_start(&ctl, cfg.backend_url[0] ? &fwd : NULL, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s", err);

	CF_LOG(INFO, "%u port(s), %d RX queue(s) on %d RX lcore(s); ports netflow=%u ipfix=%u sflow=%u\n",
	       ctl.n_ports, total_q, n_rx, cfg.policy.ports[0], cfg.policy.ports[1],
	       cfg.policy.ports[2]);
	{
		/* The RX lcores read the settings a reload may change from a published copy
		 * from their first turn on, never from cfg, which a reload updates in place. */
		struct cf_rx_live l = { .policy = cfg.policy, .decode = cfg.decode };
		unsigned int late;

		cf_rx_live_publish(rx, (unsigned int)n_rx, &l, 0, &late);
	}
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
	cf_tpl_names_view_free(ctl.names);
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
