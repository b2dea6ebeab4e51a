/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_EAL_H
#define CF_EAL_H

/*
 * The command line split between the EAL and the application, and the EAL
 * started with its failures explained by their real cause (cf_eal.c):
 * hugepages reserved but not mounted (or none reserved, or none free),
 * another primary process holding the --file-prefix lock, an application
 * flag before "--", an -l list naming lcores that do not exist, an unknown
 * --vdev driver, af_packet without permission or without its interface, a
 * pcap file that cannot be opened. The EAL's own 100-line usage text is
 * never printed for these.
 *
 * Contract: main lcore, before anything else of DPDK runs. Every explanation
 * is one line, and every one of these failures is exit status 2 (the
 * command line does not fit this machine).
 */

#include <stddef.h>

struct cf_eal_args {
	int eal_argc;              /* argv[0] and the EAL's arguments */
	char **eal_argv;
	int app_argc;              /* argv[0] and the application's (getopt's shape) */
	char **app_argv;
};

/*
 * Splits argv (modified: argv[sep] becomes argv[0] for getopt) at "--".
 * Without "--", a command line that starts with an application option is
 * all the application's (the EAL gets its defaults). 0, or -1 with err when
 * an application option stands among the EAL's (before "--").
 */
int cf_eal_split(int argc, char **argv, struct cf_eal_args *a, char *err, size_t errlen);

/* rte_eal_init with its usage text held back and its log kept; on failure
 * (< 0, as rte_eal_init) err says why and what to do. */
int cf_eal_start(int argc, char **argv, char *err, size_t errlen);

/* After a start that left no usable port: why, from what the EAL logged
 * (a --vdev that failed to probe) or else how to get a port. */
void cf_eal_explain_no_port(char *err, size_t errlen);

/* ---- the pure part (unit-tested: tests/unit/test_eal.c) ---- */

enum cf_eal_cause {
	CF_EAL_CAUSE_UNKNOWN,
	CF_EAL_CAUSE_PREFIX_LOCKED,    /* another primary process holds --file-prefix */
	CF_EAL_CAUSE_HUGE_NOT_MOUNTED, /* hugepages reserved, no hugetlbfs mounted */
	CF_EAL_CAUSE_HUGE_NONE,        /* no hugepages reserved */
	CF_EAL_CAUSE_HUGE_NONE_FREE,   /* reserved, all in use */
	CF_EAL_CAUSE_LCORES,           /* -l / -c / --lcores names cores we do not have */
	CF_EAL_CAUSE_VDEV_DRIVER,      /* --vdev names no driver */
	CF_EAL_CAUSE_EAL_OPTION,       /* an option the EAL does not know */
	CF_EAL_CAUSE_AF_PACKET_IFACE,  /* af_packet: no such interface */
	CF_EAL_CAUSE_AF_PACKET_PERM,   /* af_packet: no permission */
	CF_EAL_CAUSE_PCAP_FILE,        /* pcap: rx_pcap/tx_pcap cannot be opened */
	CF_EAL_CAUSE_NO_PORT,          /* started, no port, no probe failure seen */
};

struct cf_eal_facts {
	const char *log;           /* what the EAL logged while starting (lines) */
	int argc;                  /* the EAL's arguments, argv[0] first */
	char *const *argv;
	long huge_total;           /* /proc/meminfo HugePages_Total, Free */
	long huge_free;
	int hugetlbfs_mounted;     /* a hugetlbfs in /proc/mounts */
	const char *cpus;          /* CPUs this process may run on, e.g. "0-1" */
	const char *drivers;       /* virtual-device drivers installed, ' '-separated */
};

/* The cause and its one-line explanation in out. Pure. */
enum cf_eal_cause cf_eal_explain(const struct cf_eal_facts *f, char *out, size_t len);
/* The same for a start that succeeded but left no port. Pure. */
enum cf_eal_cause cf_eal_explain_port(const struct cf_eal_facts *f, char *out, size_t len);
/* 1 when arg is an option (or "--opt=value") the EAL knows. */
int cf_eal_is_option(const char *arg);

#endif
