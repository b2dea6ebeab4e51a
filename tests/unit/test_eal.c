/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL failures explained by cause (app/cf_eal.c, the pure part): one row per
 * cause, with the log lines DPDK 22.11 writes for it and the machine's
 * facts, including the causes the CI machine cannot produce (hugepages
 * reserved but not mounted, all of them in use). And the command-line split
 * at "--".
 */
#include <string.h>

#include "cf_eal.h"
#include "cf_test.h"

struct row {
	const char *what;
	const char *log;
	const char *args;          /* the EAL's arguments, ' '-separated */
	long total, free_;
	int mounted;
	enum cf_eal_cause cause;
	const char *needle;
	int port;                  /* explained by cf_eal_explain_port */
};

static const struct row rows[] = {
	{"no hugepages reserved", "EAL: No available 2048 kB hugepages reported\n"
	 "EAL: FATAL: Cannot get hugepage information.\n", "-l 0,1", 0, 0, 0,
	 CF_EAL_CAUSE_HUGE_NONE, "no hugepages are reserved on this machine", 0},
	{"reserved, not mounted", "EAL: FATAL: Cannot get hugepage information.\n", "-l 0,1", 512, 512,
	 0, CF_EAL_CAUSE_HUGE_NOT_MOUNTED,
	 "512 hugepages are reserved but no hugetlbfs is mounted: mount -t hugetlbfs nodev "
	 "/dev/hugepages (or add --no-huge -m 512", 0},
	{"all in use", "EAL: No free 2048 kB hugepages reported on node 0\n"
	 "EAL: FATAL: Cannot get hugepage information.\n", "", 64, 0, 1,
	 CF_EAL_CAUSE_HUGE_NONE_FREE, "all 64 reserved hugepages are in use", 0},
	{"file prefix locked", "EAL: Cannot create lock on '/var/run/dpdk/cf1/config'. Is another "
	 "primary process running?\nEAL: FATAL: Cannot init config\n", "--file-prefix cf1 -l 0,1",
	 0, 0, 0, CF_EAL_CAUSE_PREFIX_LOCKED,
	 "another DPDK primary process is running with --file-prefix cf1 (it holds "
	 "/var/run/dpdk/cf1/config)", 0},
	{"default prefix locked", "EAL: Cannot create lock on '/var/run/dpdk/rte/config'. Is another "
	 "primary process running?\n", "-l 0,1", 0, 0, 0, CF_EAL_CAUSE_PREFIX_LOCKED,
	 "--file-prefix rte (the default)", 0},
	{"missing lcore", "EAL: Detected CPU lcores: 2\nEAL: lcore 5 unavailable\nEAL: invalid core "
	 "list, please check specified cores are part of 0-1\nEAL: Invalid 'command line' "
	 "arguments.\n", "--no-huge -l 0,5", 0, 0, 0, CF_EAL_CAUSE_LCORES,
	 "-l 0,5: lcore 5 unavailable; this process may use CPUs 0-1", 0},
	{"core list syntax", "EAL: invalid core list syntax\nEAL: Invalid 'command line' arguments.\n",
	 "-l=0-x", 0, 0, 0, CF_EAL_CAUSE_LCORES, "-l '0-x' is not a core list", 0},
	{"unknown vdev", "EAL: failed to parse device \"net_kafka0\"\nEAL: Unable to parse device "
	 "'net_kafka0'\n", "--vdev=net_kafka0", 0, 0, 0, CF_EAL_CAUSE_VDEV_DRIVER,
	 "--vdev net_kafka0: no virtual device driver 'net_kafka' (installed: net_null net_pcap", 0},
	{"unknown EAL option", "EAL: Invalid 'command line' arguments.\n", "--no-huge --lcroes 0,1",
	 0, 0, 0, CF_EAL_CAUSE_EAL_OPTION, "'--lcroes' is not an EAL option", 0},
	/* Physical addresses "unavailable" is routine, not an lcore problem. */
	{"unknown", "EAL: Physical addresses are unavailable, selecting IOVA as VA mode.\n"
	 "EAL: Cannot allocate memzone list\n", "--no-huge", 0, 0, 0, CF_EAL_CAUSE_UNKNOWN,
	 "EAL initialisation failed: EAL: Cannot allocate memzone list", 0},
	{"af_packet no interface", "rte_pmd_init_internals(): net_af_packet0: ioctl failed "
	 "(SIOCGIFINDEX):No such device\nvdev_probe(): failed to initialize net_af_packet0 device\n",
	 "--vdev=net_af_packet0,iface=eth9,qpairs=1", 0, 0, 0, CF_EAL_CAUSE_AF_PACKET_IFACE,
	 "--vdev net_af_packet0: network interface 'eth9' does not exist", 1},
	{"af_packet no permission", "open_packet_iface(): Could not open AF_PACKET socket\n"
	 "vdev_probe(): failed to initialize net_af_packet0 device\n",
	 "--vdev net_af_packet0,iface=lo", 0, 0, 0, CF_EAL_CAUSE_AF_PACKET_PERM, "CAP_NET_RAW", 1},
	{"pcap missing", "open_single_rx_pcap(): Couldn't open /x.pcap: /x.pcap: No such file or "
	 "directory\nvdev_probe(): failed to initialize net_pcap0 device\n",
	 "--vdev=net_pcap0,rx_pcap=/x.pcap", 0, 0, 0, CF_EAL_CAUSE_PCAP_FILE,
	 "--vdev net_pcap0: cannot open the capture: /x.pcap", 1},
	{"no port at all", "EAL: Detected CPU lcores: 2\n", "--no-pci", 0, 0, 0, CF_EAL_CAUSE_NO_PORT,
	 "no DPDK port: bind a NIC to vfio-pci", 1},
};

static void
test_causes(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		char args[256], *argv[32], *save = NULL, *tok, out[1024];
		int argc = 1;
		enum cf_eal_cause c;
		struct cf_eal_facts f;

		snprintf(args, sizeof(args), "%s", r->args);
		argv[0] = (char *)"clarion-flowd";
		for (tok = strtok_r(args, " ", &save); tok != NULL && argc < 31;
		     tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
		f = (struct cf_eal_facts){ .log = r->log, .argc = argc, .argv = argv,
					   .huge_total = r->total, .huge_free = r->free_,
					   .hugetlbfs_mounted = r->mounted, .cpus = "0-1",
					   .drivers = "net_null net_pcap" };
		c = r->port ? cf_eal_explain_port(&f, out, sizeof(out)) :
			      cf_eal_explain(&f, out, sizeof(out));
		if (c != r->cause || strstr(out, r->needle) == NULL)
			printf("\n  %s: cause %d, want %d: %s\n", r->what, c, r->cause, out);
		CU_ASSERT_EQUAL(c, r->cause);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, r->needle));
	}
}

static void
test_split(void)
{
	char a0[] = "clarion-flowd", a1[] = "-l", a2[] = "0,1", a3[] = "--", a4[] = "--output",
	     a5[] = "null", b1[] = "--backend-url", b2[] = "http://x", l1[] = "--log-level=debug";
	char *argv1[] = {a0, a1, a2, a3, a4, a5, NULL};
	char *argv2[] = {a0, b1, b2, NULL};
	char *argv3[] = {a0, a1, a2, b1, b2, a3, NULL};
	char *argv4[] = {a0, l1, a1, a2, NULL};
	struct cf_eal_args a;
	char err[256];

	CU_ASSERT_EQUAL(cf_eal_split(6, argv1, &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.eal_argc, 3);
	CU_ASSERT_EQUAL(a.app_argc, 3);
	CU_ASSERT_STRING_EQUAL(a.app_argv[0], "clarion-flowd");
	CU_ASSERT_STRING_EQUAL(a.app_argv[1], "--output");
	/* Application flags only, no "--": all the application's, the EAL gets its defaults. */
	CU_ASSERT_EQUAL(cf_eal_split(3, argv2, &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.eal_argc, 1);
	CU_ASSERT_EQUAL(a.app_argc, 3);
	CU_ASSERT_STRING_EQUAL(a.app_argv[1], "--backend-url");
	/* One among the EAL's: named. */
	CU_ASSERT_EQUAL(cf_eal_split(6, argv3, &a, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--backend-url is an application option: put it after"));
	/* Both kinds know --log-level: it stays the EAL's before "--". */
	CU_ASSERT_EQUAL(cf_eal_split(4, argv4, &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.eal_argc, 4);
	CU_ASSERT(cf_eal_is_option("--no-huge"));
	CU_ASSERT(cf_eal_is_option("--vdev=net_null0"));
	CU_ASSERT(cf_eal_is_option("-l"));
	CU_ASSERT(!cf_eal_is_option("--backend-url"));
	CU_ASSERT(!cf_eal_is_option("0,1"));
}

static const struct cft_case cases[] = {
	{"causes", test_causes},
	{"split", test_split},
	{NULL, NULL},
};

int
main(void)
{
	return cft_suite_main("eal", cases);
}
