/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Starting the EAL so that its failures say what is wrong (cf_eal.h). The
 * EAL prints a 100-line usage text for any bad argument and a bare errno for
 * the rest; here its usage text (stdout) and what it writes to stderr itself
 * are held back while it starts, its log lines are kept, and a failure is
 * explained from those lines and from the machine (/proc/meminfo,
 * /proc/mounts, the CPUs we may use, the drivers installed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "cf_config.h"
#include "cf_eal.h"
#include "cf_log.h"

/* The EAL's options in DPDK 22.11 (lib/eal/common/eal_common_options.c). */
static const char *const eal_long[] = {
	"allow", "base-virtaddr", "block", "create-uio-dev", "file-prefix", "force-max-simd-bitwidth",
	"help", "huge-dir", "huge-unlink", "in-memory", "iova-mode", "lcores", "legacy-mem",
	"log-level", "main-lcore", "master-lcore", "match-allocations", "mbuf-pool-ops-name",
	"no-hpet", "no-huge", "no-pci", "no-shconf", "no-telemetry", "pci-blacklist",
	"pci-whitelist", "proc-type", "service-corelist", "service-coremask",
	"single-file-segments", "socket-limit", "socket-mem", "syslog", "telemetry", "trace",
	"trace-bufsz", "trace-dir", "trace-mode", "vdev", "vfio-intr", "vfio-vf-token",
	"vmware-tsc-map", NULL,
};
static const char eal_short[] = "abcdhlLmnrsSv";
/* Drivers that make virtual devices (--vdev), named as the EAL knows them. */
static const char *const vdev_drivers[] = {
	"af_packet", "af_xdp", "bonding", "failsafe", "memif", "null", "pcap", "ring", "tap",
	"vhost", "virtio_user", NULL,
};

int
cf_eal_is_option(const char *arg)
{
	size_t n;
	unsigned int i;

	if (arg[0] != '-')
		return 0;
	if (arg[1] != '-')
		return arg[1] != '\0' && strchr(eal_short, arg[1]) != NULL;
	arg += 2;
	n = strcspn(arg, "=");
	for (i = 0; eal_long[i] != NULL; i++)
		if (strlen(eal_long[i]) == n && strncmp(eal_long[i], arg, n) == 0)
			return 1;
	return 0;
}

int
cf_eal_split(int argc, char **argv, struct cf_eal_args *a, char *err, size_t errlen)
{
	int sep = argc, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	}
	/* "clarion-flowd --backend-url URL": every argument is the application's. */
	if (sep == argc && argc > 1 && cf_config_is_option(argv[1]) &&
	    !cf_eal_is_option(argv[1])) {
		*a = (struct cf_eal_args){ .eal_argc = 1, .eal_argv = argv, .app_argc = argc,
					   .app_argv = argv };
		return 0;
	}
	for (i = 1; i < sep; i++) {
		if (cf_config_is_option(argv[i]) && !cf_eal_is_option(argv[i])) {
			snprintf(err, errlen, "%.*s is an application option: put it after '--' "
				 "(clarion-flowd [EAL options] -- [options]; see --help)",
				 (int)strcspn(argv[i], "="), argv[i]);
			return -1;
		}
	}
	a->eal_argc = sep;
	a->eal_argv = argv;
	if (sep < argc) {
		/* getopt wants a program name in front of the application's arguments. */
		argv[sep] = argv[0];
		a->app_argc = argc - sep;
		a->app_argv = argv + sep;
	} else {
		a->app_argc = 1;
		a->app_argv = argv;
	}
	return 0;
}

/* ------------------------------------------------------------ pure part */

/* The value of option name (e.g. "-l", "--file-prefix") in argv, or NULL. */
static const char *
arg_value(int argc, char *const *argv, const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], name, n) != 0)
			continue;
		if (argv[i][n] == '\0')
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (argv[i][n] == '=' || (name[1] != '-' && n == 2))
			return argv[i] + n + (argv[i][n] == '=');
	}
	return NULL;
}

static int
has_arg(int argc, char *const *argv, const char *name)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

/* The --vdev whose value starts with dev (e.g. "net_af_packet0"), or NULL. */
static const char *
vdev_arg(int argc, char *const *argv, const char *dev)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *v = NULL;

		if (strncmp(argv[i], "--vdev=", 7) == 0)
			v = argv[i] + 7;
		else if (strcmp(argv[i], "--vdev") == 0 && i + 1 < argc)
			v = argv[i + 1];
		if (v != NULL && (dev == NULL || strncmp(v, dev, strlen(dev)) == 0))
			return v;
	}
	return NULL;
}

/* key=VALUE of a vdev argument string into out ("" when absent). */
static void
devarg(const char *vdev, const char *key, char *out, size_t len)
{
	const char *p = vdev;
	size_t k = strlen(key);

	out[0] = '\0';
	while (p != NULL && (p = strchr(p, ',')) != NULL) {
		p++;
		if (strncmp(p, key, k) == 0 && p[k] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(p + k + 1, ","), p + k + 1);
			return;
		}
	}
}

/* The whole line of log around p, into out. 1. */
static int
line_at(const char *log, const char *p, char *out, size_t len)
{
	const char *start = p, *end;

	while (start > log && start[-1] != '\n')
		start--;
	end = strchr(p, '\n');
	snprintf(out, len, "%.*s", end ? (int)(end - start) : (int)strlen(start), start);
	return 1;
}

/* The log line holding needle, into out. 1 when found. */
static int
log_line(const char *log, const char *needle, char *out, size_t len)
{
	const char *p = log != NULL ? strstr(log, needle) : NULL;

	return p != NULL && line_at(log, p, out, len);
}

/* The text between the first pair of quotes q after needle. */
static void
quoted(const char *log, const char *needle, char q, char *out, size_t len)
{
	const char *p = strstr(log, needle), *a, *b;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(needle) - (q == ' ');  /* a space delimiter may end the needle itself */
	if ((a = strchr(p, q)) == NULL || (b = strchr(a + 1, q)) == NULL)
		return;
	snprintf(out, len, "%.*s", (int)(b - a - 1), a + 1);
}

/* An "lcore N unavailable" / "core N unavailable" line, into out. */
static int
core_unavailable(const char *log, char *out, size_t len)
{
	const char *p = log;

	while ((p = strstr(p, "core ")) != NULL) {
		const char *q = p + 5;

		while (*q >= '0' && *q <= '9')
			q++;
		if (q > p + 5 && strncmp(q, " unavailable", 12) == 0)
			return line_at(log, p, out, len);
		p = q;
	}
	return 0;
}

static enum cf_eal_cause
hugepages(const struct cf_eal_facts *f, char *out, size_t len)
{
	if (f->huge_total == 0) {
		snprintf(out, len, "no hugepages are reserved on this machine: reserve some (echo 512 "
			 "> /proc/sys/vm/nr_hugepages, or dpdk-hugepages.py --reserve 1G), or run "
			 "from ordinary memory with --no-huge -m 512 (EAL options, before '--')");
		return CF_EAL_CAUSE_HUGE_NONE;
	}
	if (!f->hugetlbfs_mounted) {
		snprintf(out, len, "%ld hugepages are reserved but no hugetlbfs is mounted: mount -t "
			 "hugetlbfs nodev /dev/hugepages (or add --no-huge -m 512, before '--')",
			 f->huge_total);
		return CF_EAL_CAUSE_HUGE_NOT_MOUNTED;
	}
	if (f->huge_free == 0) {
		snprintf(out, len, "all %ld reserved hugepages are in use (other DPDK processes?): "
			 "reserve more (/proc/sys/vm/nr_hugepages), or add --no-huge -m 512",
			 f->huge_total);
		return CF_EAL_CAUSE_HUGE_NONE_FREE;
	}
	return CF_EAL_CAUSE_UNKNOWN;
}

enum cf_eal_cause
cf_eal_explain(const struct cf_eal_facts *f, char *out, size_t len)
{
	const char *log = f->log != NULL ? f->log : "";
	char line[512], what[256];
	int i;

	if (strstr(log, "Cannot create lock on") != NULL ||
	    strstr(log, "Is another primary process running") != NULL) {
		const char *prefix = arg_value(f->argc, f->argv, "--file-prefix");

		quoted(log, "Cannot create lock on", '\'', what, sizeof(what));
		snprintf(out, len, "another DPDK primary process is running with --file-prefix %s "
			 "(it holds %s): stop it, or give this collector its own --file-prefix NAME",
			 prefix ? prefix : "rte (the default)", what[0] ? what : "its lock");
		return CF_EAL_CAUSE_PREFIX_LOCKED;
	}
	if (strstr(log, "invalid core list") != NULL || strstr(log, "invalid coremask") != NULL ||
	    core_unavailable(log, line, sizeof(line)) ||
	    strstr(log, "invalid parameter for --lcores") != NULL) {
		const char *l = arg_value(f->argc, f->argv, "-l");
		const char *flag = "-l";

		if (l == NULL && (l = arg_value(f->argc, f->argv, "--lcores")) != NULL)
			flag = "--lcores";
		if (l == NULL && (l = arg_value(f->argc, f->argv, "-c")) != NULL)
			flag = "-c";
		if (strstr(log, "syntax") != NULL)
			snprintf(out, len, "%s '%s' is not a core list (e.g. -l 0,1 or -l 0-3)", flag,
				 l ? l : "");
		else if (core_unavailable(log, line, sizeof(line)))
			snprintf(out, len, "%s %s: %s; this process may use CPUs %s (e.g. -l %s: the "
				 "first is the control lcore, the others receive)", flag, l ? l : "",
				 line + (strncmp(line, "EAL: ", 5) == 0 ? 5 : 0), f->cpus,
				 f->cpus);
		else
			snprintf(out, len, "%s %s names lcores this process cannot use; it may use CPUs "
				 "%s", flag, l ? l : "", f->cpus);
		return CF_EAL_CAUSE_LCORES;
	}
	if (strstr(log, "failed to parse device") != NULL ||
	    strstr(log, "Unable to parse device") != NULL) {
		size_t n;

		quoted(log, "failed to parse device", '"', what, sizeof(what));
		if (what[0] == '\0')
			quoted(log, "Unable to parse device", '\'', what, sizeof(what));
		n = strcspn(what, ",");
		while (n > 0 && what[n - 1] >= '0' && what[n - 1] <= '9')
			n--;
		snprintf(out, len, "--vdev %s: no virtual device driver '%.*s' (installed: %s; a "
			 "device name is the driver and a number, e.g. net_pcap0)", what, (int)n,
			 what, f->drivers[0] ? f->drivers : "none found");
		return CF_EAL_CAUSE_VDEV_DRIVER;
	}
	if (strstr(log, "hugepage") != NULL && !has_arg(f->argc, f->argv, "--no-huge")) {
		enum cf_eal_cause c = hugepages(f, out, len);

		if (c != CF_EAL_CAUSE_UNKNOWN)
			return c;
	}
	if (strstr(log, "Invalid 'command line' arguments") != NULL) {
		for (i = 1; i < f->argc; i++) {
			if (f->argv[i][0] == '-' && !cf_eal_is_option(f->argv[i])) {
				snprintf(out, len, "'%s' is not an EAL option: EAL options (DPDK's) go "
					 "before '--', the application's after it (see --help)",
					 f->argv[i]);
				return CF_EAL_CAUSE_EAL_OPTION;
			}
		}
		snprintf(out, len, "the EAL refused its arguments (%s): check the values of the "
			 "options before '--'", log_line(log, "EAL: ", line, sizeof(line)) ? line :
			 "no detail");
		return CF_EAL_CAUSE_EAL_OPTION;
	}
	/* The last thing the EAL said is the best we have. */
	line[0] = '\0';
	{
		const char *p = log, *last = NULL;

		while ((p = strstr(p, "EAL: ")) != NULL)
			last = p++;
		if (last != NULL)
			snprintf(line, sizeof(line), "%.*s", (int)strcspn(last, "\n"), last);
	}
	snprintf(out, len, "EAL initialisation failed%s%s: see README.md \"Running it\" (without "
		 "hugepages add --no-huge -m 512; without a bound NIC --no-pci "
		 "--vdev=net_pcap0,rx_pcap=FILE)", line[0] ? ": " : "", line);
	return CF_EAL_CAUSE_UNKNOWN;
}

enum cf_eal_cause
cf_eal_explain_port(const struct cf_eal_facts *f, char *out, size_t len)
{
	const char *log = f->log != NULL ? f->log : "";
	char dev[64], line[512], v[256];
	const char *vdev;

	if (strstr(log, "failed to initialize") == NULL) {
		snprintf(out, len, "no DPDK port: bind a NIC to vfio-pci (dpdk-devbind.py, see "
			 "dpdk-devbind.conf) or add --no-pci --vdev=net_pcap0,rx_pcap=FILE");
		return CF_EAL_CAUSE_NO_PORT;
	}
	quoted(log, "failed to initialize", ' ', dev, sizeof(dev));
	vdev = vdev_arg(f->argc, f->argv, dev[0] ? dev : NULL);
	if (strstr(log, "SIOCGIFINDEX") != NULL) {
		devarg(vdev, "iface", v, sizeof(v));
		snprintf(out, len, "--vdev %s: network interface '%s' does not exist (ip link lists "
			 "them)", dev, v);
		return CF_EAL_CAUSE_AF_PACKET_IFACE;
	}
	if (strstr(log, "Could not open AF_PACKET socket") != NULL ||
	    strstr(log, "Operation not permitted") != NULL) {
		snprintf(out, len, "--vdev %s: cannot open an AF_PACKET socket: run as root or "
			 "give the collector CAP_NET_RAW (setcap cap_net_raw+ep, or systemd "
			 "AmbientCapabilities=CAP_NET_RAW)", dev);
		return CF_EAL_CAUSE_AF_PACKET_PERM;
	}
	if (log_line(log, "Couldn't open", line, sizeof(line))) {
		const char *p = strstr(line, "Couldn't open");

		snprintf(out, len, "--vdev %s: cannot open the capture: %s", dev,
			 p + strlen("Couldn't open "));
		return CF_EAL_CAUSE_PCAP_FILE;
	}
	log_line(log, "failed to initialize", line, sizeof(line));
	snprintf(out, len, "--vdev %s failed to start (%s): check its arguments", dev, line);
	return CF_EAL_CAUSE_NO_PORT;
}

/* ------------------------------------------------------- the machine */

static long
meminfo(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

static int
hugetlbfs_mounted(void)
{
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/mounts", "r");

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, " hugetlbfs ") != NULL;
	fclose(f);
	return found;
}

/* The CPUs we may run on as ranges: "0-1", "0,2-5". */
static void
cpu_list(char *out, size_t len)
{
	cpu_set_t set;
	size_t used = 0;
	int c, first = -1;

	out[0] = '\0';
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return;
	for (c = 0; c <= CPU_SETSIZE && used < len; c++) {
		int in = c < CPU_SETSIZE && CPU_ISSET(c, &set);

		if (in && first < 0)
			first = c;
		if (!in && first >= 0) {
			int n = first == c - 1 ?
				snprintf(out + used, len - used, "%s%d", used ? "," : "", first) :
				snprintf(out + used, len - used, "%s%d-%d", used ? "," : "", first,
					 c - 1);

			used += n > 0 ? (size_t)n : 0;
			first = -1;
		}
	}
}

/* Virtual-device drivers whose PMD library is installed where the EAL loads them. */
static void
driver_list(char *out, size_t len)
{
	size_t used = 0;
	unsigned int i;

	out[0] = '\0';
	for (i = 0; vdev_drivers[i] != NULL && used < len; i++) {
		char pat[256];
		glob_t g;

		snprintf(pat, sizeof(pat), "/usr/lib/*/dpdk/pmds-*/librte_net_%s.so*", vdev_drivers[i]);
		if (glob(pat, 0, NULL, &g) == 0) {
			int n = snprintf(out + used, len - used, "%snet_%s", used ? " " : "",
					 vdev_drivers[i]);

			used += n > 0 ? (size_t)n : 0;
		}
		globfree(&g);
	}
}

static char held_log[64 << 10];
/* The EAL's arguments as given: rte_eal_init reorders argv and overwrites an entry. */
static char *held_argv[512];
static int held_argc;

static void
facts(struct cf_eal_facts *f, int argc, char *const *argv, char *cpus, size_t clen,
      char *drivers, size_t dlen)
{
	cpu_list(cpus, clen);
	driver_list(drivers, dlen);
	*f = (struct cf_eal_facts){ .log = held_log, .argc = argc, .argv = argv,
				    .huge_total = meminfo("HugePages_Total:"),
				    .huge_free = meminfo("HugePages_Free:"),
				    .hugetlbfs_mounted = hugetlbfs_mounted(), .cpus = cpus,
				    .drivers = drivers };
}

/* What fd held: its text, logged line by line with the prefix (level), then closed. */
static void
replay_fd(int fd, uint32_t level, int keep)
{
	char buf[8192];
	ssize_t n;

	if (fd < 0)
		return;
	if (keep && lseek(fd, 0, SEEK_SET) == 0)
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			cf_log_text(level, buf, (size_t)n);
	close(fd);
}

int
cf_eal_start(int argc, char **argv, char *err, size_t errlen)
{
	int help = has_arg(argc, argv, "-h") || has_arg(argc, argv, "--help");
	int out_saved, err_saved, out_hold = -1, err_hold = -1, rc, log_fd;
	struct cf_eal_facts f;
	char cpus[256], drivers[512];

	held_argc = argc < (int)RTE_DIM(held_argv) ? argc : (int)RTE_DIM(held_argv);
	memcpy(held_argv, argv, sizeof(*argv) * (size_t)held_argc);
	fflush(stdout);
	fflush(stderr);
	out_saved = dup(STDOUT_FILENO);
	err_saved = dup(STDERR_FILENO);
	if (!help) {
		/* Its usage text (stdout) and lines it prints to stderr itself wait here. */
		out_hold = memfd_create("cf-eal-out", MFD_CLOEXEC);
		err_hold = memfd_create("cf-eal-err", MFD_CLOEXEC);
	}
	/* stdout belongs to ndjson:- records: the EAL's help text goes to stderr. */
	dup2(out_hold >= 0 ? out_hold : STDERR_FILENO, STDOUT_FILENO);
	log_fd = cf_log_set_fd(err_saved >= 0 ? err_saved : STDERR_FILENO);
	if (err_hold >= 0)
		dup2(err_hold, STDERR_FILENO);
	cf_log_capture_begin();
	rc = rte_eal_init(argc, argv);
	snprintf(held_log, sizeof(held_log), "%s", cf_log_capture_end());
	fflush(stdout);
	fflush(stderr);
	if (out_saved >= 0) {
		dup2(out_saved, STDOUT_FILENO);
		close(out_saved);
	}
	if (err_saved >= 0) {
		dup2(err_saved, STDERR_FILENO);
		close(err_saved);
	}
	cf_log_set_fd(log_fd);
	/* Its own stderr lines get the prefix; its usage text is shown only on success (never). */
	replay_fd(err_hold, RTE_LOG_ERR, 1);
	replay_fd(out_hold, RTE_LOG_INFO, rc >= 0);
	if (rc < 0) {
		facts(&f, held_argc, held_argv, cpus, sizeof(cpus), drivers, sizeof(drivers));
		cf_eal_explain(&f, err, errlen);
	}
	return rc;
}

void
cf_eal_explain_no_port(char *err, size_t errlen)
{
	struct cf_eal_facts f;
	char cpus[256], drivers[512];

	facts(&f, held_argc, held_argv, cpus, sizeof(cpus), drivers, sizeof(drivers));
	cf_eal_explain_port(&f, err, errlen);
}
