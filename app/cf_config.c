/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_log.h>

#include "cf_config.h"

enum opt_kind {
	K_U64,      /* integer in [min, max], stored in a field of `size` bytes */
	K_DOUBLE,
	K_STR,
	K_FLAG,     /* no argument; sets a uint8_t to 1 */
	K_ADDR,     /* --collector-ip, repeatable */
	K_LEVEL,    /* log level name */
	K_HELP,
};

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off;
	size_t size;
	uint64_t min, max;
	const char *env;       /* CLARION_COLLECTOR_* variable, or NULL */
	const char *arg;       /* argument name for --help */
	const char *help;
};

#define F(field) offsetof(struct cf_config, field), sizeof(((struct cf_config *)0)->field)
#define ENV(x) "CLARION_COLLECTOR_" x

/* Every flag, its range, its variable and its help: one table. */
static const struct opt opts[] = {
	{"portmask", K_U64, F(portmask), 1, UINT64_MAX, NULL, "MASK",
	 "hex mask of DPDK ports to receive on (default: all)"},
	{"rxq", K_U64, F(rxq), 1, 128, NULL, "N",
	 "RX queues per port (default: one per RX lcore; 1 without RSS)"},
	{"rxd", K_U64, F(rxd), 64, 16384, NULL, "N", "RX descriptors per queue (default 1024)"},
	{"burst", K_U64, F(burst), 1, 512, NULL, "N", "packets per rx burst (default 32)"},
	{"total-num-mbufs", K_U64, F(total_num_mbufs), 1024, 16777216, NULL, "N",
	 "mbufs in the packet pool (default: sized from ports x queues x rxd)"},
	{"mbuf-size", K_U64, F(mbuf_size), 1024, 65000, NULL, "BYTES",
	 "data room per mbuf (default 2176; jumbo frames use scatter)"},
	{"stats-period", K_U64, F(stats_period), 0, 86400, NULL, "SECONDS",
	 "print port and lcore counters every SECONDS (default 0 = off)"},
	{"ring-size", K_U64, F(ring_size), 16, 65536, NULL, "BLOCKS",
	 "record blocks in each RX lcore's handoff ring, power of 2 (default 256)"},
	{"flush-us", K_U64, F(flush_us), 10, 1000000, NULL, "USEC",
	 "hand a partly filled record block over after USEC (default 1000)"},
	{"run-time", K_U64, F(run_time), 0, UINT32_MAX, NULL, "SECONDS",
	 "stop cleanly after SECONDS (default 0 = until SIGINT/SIGTERM)"},
	{"idle-exit", K_U64, F(idle_exit), 0, UINT32_MAX, NULL, "SECONDS",
	 "stop cleanly after SECONDS without a received packet (for replaying captures)"},
	{"collector-ip", K_ADDR, 0, 0, 0, 0, NULL, "ADDR[/LEN][@portN][@vlanV]",
	 "our address: accept datagrams only to it and answer ARP/ND/ping for it, on DPDK "
	 "port N and VLAN V (0 = untagged) when given (IPv4 or IPv6; repeatable; default: "
	 "accept any destination, answer nothing)"},
	/* network presence and reassembly (docs/network-presence.md) */
	{"arp-rate", K_U64, F(arp_rate), 1, 1000000, NULL, "N",
	 "ARP/Neighbor Solicitation replies per second per sender (default 100)"},
	{"icmp-rate", K_U64, F(icmp_rate), 1, 1000000, NULL, "N",
	 "ICMP/ICMPv6 echo replies per second per source (default 100)"},
	{"garp-interval", K_U64, F(garp_interval), 0, 86400, NULL, "SECONDS",
	 "gratuitous ARP / unsolicited NA every SECONDS, and when a link comes up (default 60; "
	 "0 = on link up only)"},
	{"frag-max-flows", K_U64, F(frag_max_flows), 0, 1048576, NULL, "N",
	 "fragmented datagrams pending reassembly per RX lcore (default 4096; 0 = no reassembly)"},
	{"frag-timeout-ms", K_U64, F(frag_timeout_ms), 1, 600000, NULL, "MS",
	 "drop a datagram's fragments when it is not complete after MS (default 2000)"},
	{"netflow-port", K_U64, F(policy.ports[0]), 0, 65535, ENV("NETFLOW_PORT"), "PORT",
	 "UDP port for NetFlow (default 2055; 0 = off)"},
	{"ipfix-port", K_U64, F(policy.ports[1]), 0, 65535, ENV("IPFIX_PORT"), "PORT",
	 "UDP port for IPFIX (default 4739; 0 = off)"},
	{"sflow-port", K_U64, F(policy.ports[2]), 0, 65535, ENV("SFLOW_PORT"), "PORT",
	 "UDP port for sFlow (default 6343; 0 = off)"},
	{"max-exporters", K_U64, F(decode.max_exporters), 8, 1048576, NULL, "N",
	 "exporters tracked per RX lcore (default 4096)"},
	{"sampling-rate", K_U64, F(decode.sampling_rate), 1, UINT32_MAX, NULL, "N",
	 "sampling rate for exporters that send none"},
	{"sampling-override", K_FLAG, F(decode.sampling_override), 0, 1, NULL, NULL,
	 "--sampling-rate also replaces what exporters send"},
	{"scale-by-sampling", K_FLAG, F(decode.scale_by_sampling), 0, 1, NULL, NULL,
	 "multiply bytes and packets by the sampling rate"},
	/* NetFlow v9 / IPFIX templates (lib/template) */
	{"template-timeout", K_U64, F(tpl.timeout_s), 1, 604800, NULL, "SECONDS",
	 "forget a v9/IPFIX template not refreshed for SECONDS (default 1800)"},
	{"template-max-exporters", K_U64, F(tpl.max_exporters), 1, 65536, NULL, "N",
	 "v9/IPFIX exporters (address, domain) holding templates per RX lcore (default 512)"},
	{"template-max-per-exporter", K_U64, F(tpl.max_per_exporter), 1, 65535, NULL, "N",
	 "templates one exporter may hold (default 32)"},
	{"template-wait", K_U64, F(tpl.pending_s), 1, 3600, NULL, "SECONDS",
	 "keep data sets that arrive before their template up to SECONDS (default 10)"},
	{"template-wait-bytes", K_U64, F(tpl.pending_bytes), 1, 1048576, NULL, "BYTES",
	 "bytes of such data kept per exporter (default 65536)"},
	{"no-template-wait", K_FLAG, F(tpl.pending_off), 0, 1, NULL, NULL,
	 "drop data sets whose template is unknown at once (no_template)"},
	{"template-file", K_STR, F(template_file), 0, 0, NULL, "FILE",
	 "save v9/IPFIX templates and sampling state here at exit, restore them at start"},
	{"template-save-interval", K_U64, F(template_save_interval), 0, 86400, NULL, "SECONDS",
	 "also save --template-file every SECONDS while running (default 300; 0 = at exit only)"},
	{"field-map", K_STR, F(field_map), 0, 0, NULL, "FILE",
	 "JSON {\"<9|10>:<pen>:<id>\": \"<field>\"} overriding the v9/IPFIX element map"},
	{"output", K_STR, F(output), 0, 0, NULL, "SPEC",
	 "ndjson:PATH, ndjson:- (stdout) or null (default ndjson:-)"},
	{"sflow-counters", K_STR, F(sflow_counters), 0, 0, NULL, "SPEC",
	 "sFlow interface counters: off (default), ndjson:PATH or ndjson:- as {\"type\":\"sflow_counters\"} lines"},
	{"backend-url", K_STR, F(backend_url), 0, 0, ENV("BACKEND_URL"), "URL",
	 "Clarion backend base URL, http:// or https://; set = deliver over HTTP instead of --output"},
	{"batch-size", K_U64, F(batch_size), 1, 1000000, ENV("BATCH_SIZE"), "N",
	 "records per backend batch (default 1000)"},
	{"batch-interval", K_U64, F(batch_interval), 1, 3600, ENV("BATCH_INTERVAL"), "SECONDS",
	 "longest wait before a partial batch is sent (default 5)"},
	{"retry-attempts", K_U64, F(retry_attempts), 0, 1000, ENV("RETRY_ATTEMPTS"), "N",
	 "delivery retries per batch (default 3)"},
	{"retry-backoff", K_DOUBLE, F(retry_backoff), 0, 0, ENV("RETRY_BACKOFF"), "FACTOR",
	 "backoff multiplier between retries (default 1.5)"},
	/* delivery to the backend (docs/delivery.md) */
	{"backend-path", K_STR, F(backend_path), 0, 0, ENV("BACKEND_PATH"), "PATH",
	 "path POSTed to under --backend-url (default /api/netflow/netflow)"},
	{"backend-token", K_STR, F(backend_token), 0, 0, ENV("BACKEND_TOKEN"), "TOKEN",
	 "Authorization: Bearer TOKEN (a value with a space is sent as is, e.g. 'Basic ...')"},
	{"upload-concurrency", K_U64, F(upload_concurrency), 1, 256, ENV("UPLOAD_CONCURRENCY"), "N",
	 "batches in flight at once, plus one spool replay (default 4)"},
	{"connect-timeout-ms", K_U64, F(connect_timeout_ms), 1, 600000, NULL, "MS",
	 "TCP/TLS connect timeout (default 2000)"},
	{"request-timeout-ms", K_U64, F(request_timeout_ms), 1, 3600000, NULL, "MS",
	 "whole-request timeout (default 30000)"},
	{"ca-file", K_STR, F(ca_file), 0, 0, ENV("CA_FILE"), "PATH",
	 "CA bundle for https:// (default: system store)"},
	{"insecure", K_FLAG, F(insecure), 0, 1, NULL, NULL,
	 "do not verify the backend's TLS certificate"},
	{"compress", K_FLAG, F(compress), 0, 1, NULL, NULL,
	 "gzip request bodies (Content-Encoding: gzip)"},
	{"batch-interval-ms", K_U64, F(batch_interval_ms), 0, 3600000, NULL, "MS",
	 "like --batch-interval, in milliseconds (default 0 = use --batch-interval)"},
	{"retry-initial-ms", K_U64, F(retry_initial_ms), 1, 3600000, NULL, "MS",
	 "backoff cap before the first retry (default 500; full jitter below it)"},
	{"retry-max-ms", K_U64, F(retry_max_ms), 1, 86400000, NULL, "MS",
	 "largest backoff cap (default 30000)"},
	{"breaker-threshold", K_U64, F(breaker_threshold), 1, 1000000, NULL, "N",
	 "consecutive failures that open the circuit breaker (default 5)"},
	{"breaker-cooldown-ms", K_U64, F(breaker_cooldown_ms), 1, 3600000, NULL, "MS",
	 "open breaker waits this long, then sends one probe (default 5000)"},
	{"spool-dir", K_STR, F(spool_dir), 0, 0, ENV("SPOOL_DIR"), "DIR",
	 "durable spool for undeliverable batches (default: none = such batches are dropped, counted)"},
	{"spool-max-bytes", K_U64, F(spool_max_bytes), 65536, UINT64_C(1) << 50, ENV("SPOOL_MAX_BYTES"),
	 "BYTES", "disk budget of the spool (default 1073741824)"},
	{"spool-fsync", K_STR, F(spool_fsync), 0, 0, NULL, "POLICY",
	 "batch (fsync each append, default), interval (every second) or none"},
	{"spool-full", K_STR, F(spool_full), 0, 0, NULL, "POLICY",
	 "drop-oldest (default) or drop-newest when the budget is used up"},
	{"dead-letter-dir", K_STR, F(dead_letter_dir), 0, 0, NULL, "DIR",
	 "where batches refused with 4xx go (default SPOOL_DIR/dead-letter; none without a spool)"},
	{"shutdown-timeout", K_U64, F(shutdown_timeout), 0, 3600, NULL, "SECONDS",
	 "on stop, wait this long for in-flight batches before spooling them (default 10)"},
	{"log-level", K_LEVEL, F(log_level), 0, 0, ENV("LOG_LEVEL"), "LEVEL",
	 "error, warning, info or debug (default info)"},
	/* control plane (docs/control-plane.md) */
	{"http-port", K_U64, F(http_port), 0, 65535, ENV("HTTP_PORT"), "PORT",
	 "port of /health and /metrics (default 8081; 0 = off)"},
	{"http-bind", K_STR, F(http_bind), 0, 0, ENV("HTTP_BIND"), "ADDR",
	 "address /health and /metrics listen on (default 127.0.0.1)"},
	{"max-exporter-series", K_U64, F(max_exporter_series), 1, 100000, NULL, "N",
	 "exporters with their own metric series; later ones fold into exporter=\"other\" (default 200)"},
	{"max-sflow-if-series", K_U64, F(max_sflow_if_series), 0, 100000, NULL, "N",
	 "sFlow interfaces with their own clarion_flowd_sflow_if_* series; later ones fold into agent=\"other\" (default 500)"},
	{"health-rx-stall", K_U64, F(health_rx_stall), 1, 86400, NULL, "SECONDS",
	 "a port that had traffic and then none for SECONDS makes /health degraded (default 60)"},
	{"health-window", K_U64, F(health_window), 1, 86400, NULL, "SECONDS",
	 "how long a ring drop or output failure keeps /health degraded/unhealthy (default 10)"},
	{"agent-port", K_U64, F(agent_port), 0, 65535, ENV("AGENT_PORT"), "PORT",
	 "edge-agent sketch ingest port, POST /api/edge/sketches[/binary] (default 8080; 0 = off)"},
	{"agent-bind", K_STR, F(agent_bind), 0, 0, ENV("AGENT_BIND"), "ADDR",
	 "address the agent ingest listens on (default 127.0.0.1; agents elsewhere need 0.0.0.0)"},
	{"agent-max-body", K_U64, F(agent_max_body), 1024, 1073741824, NULL, "BYTES",
	 "largest sketch body accepted; larger is 413 (default 10485760)"},
	{"agent-token", K_STR, F(agent_token), 0, 0, ENV("AGENT_TOKEN"), "TOKEN",
	 "require 'Authorization: Bearer TOKEN' from agents (default: none)"},
	{"help", K_HELP, 0, 0, 0, 0, NULL, NULL, "this text"},
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

void
cf_config_defaults(struct cf_config *c)
{
	memset(c, 0, sizeof(*c));
	c->rxd = 1024;
	c->burst = 32;
	c->mbuf_size = 2176;
	c->ring_size = 256;
	c->template_save_interval = 300;
	c->flush_us = 1000;
	c->max_frame = 9018; /* 9000-byte MTU plus Ethernet, two VLAN tags */
	c->arp_rate = 100;
	c->icmp_rate = 100;
	c->garp_interval = 60;
	c->frag_max_flows = 4096;
	c->frag_timeout_ms = 2000;
	c->policy.ports[0] = 2055;
	c->policy.ports[1] = 4739;
	c->policy.ports[2] = 6343;
	c->batch_size = 1000;
	c->batch_interval = 5;
	c->retry_attempts = 3;
	c->retry_backoff = 1.5;
	strcpy(c->backend_path, "/api/netflow/netflow");
	c->upload_concurrency = 4;
	c->connect_timeout_ms = 2000;
	c->request_timeout_ms = 30000;
	c->retry_initial_ms = 500;
	c->retry_max_ms = 30000;
	c->breaker_threshold = 5;
	c->breaker_cooldown_ms = 5000;
	c->spool_max_bytes = UINT64_C(1) << 30;
	strcpy(c->spool_fsync, "batch");
	strcpy(c->spool_full, "drop-oldest");
	c->shutdown_timeout = 10;
	c->log_level = RTE_LOG_INFO;
	c->http_port = 8081;
	strcpy(c->http_bind, "127.0.0.1");
	c->max_exporter_series = 200;
	c->max_sflow_if_series = 500;
	c->health_rx_stall = 60;
	c->health_window = 10;
	c->agent_port = 8080;
	strcpy(c->agent_bind, "127.0.0.1");
	c->agent_max_body = 10u << 20;
}

void
cf_config_usage(FILE *f, const char *prog)
{
	unsigned int i;

	fprintf(f, "Usage: %s [EAL options] -- [options]\n\n"
		   "NetFlow v5/v9, IPFIX and sFlow collector on DPDK. The main lcore is the\n"
		   "control lcore; every other lcore in the EAL's list is an RX lcore.\n\n"
		   "Options:\n", prog);
	for (i = 0; i < N_OPTS; i++) {
		char lhs[64];

		snprintf(lhs, sizeof(lhs), "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-28s %s", lhs, opts[i].help);
		if (opts[i].env)
			fprintf(f, " [env %s]", opts[i].env);
		fputc('\n', f);
	}
	fprintf(f, "\nExamples:\n"
		   "  %s --no-huge -m 512 --no-pci -l 0,1 \\\n"
		   "      --vdev=net_pcap0,rx_pcap=flows.pcap -- --idle-exit 1\n"
		   "  %s -l 0-3 -a 0000:03:00.0 -- --collector-ip 198.51.100.2 --output ndjson:/var/log/flows.ndjson\n",
		   prog, prog);
}

static int
parse_addr(struct cf_config *c, const char *v, char *err, size_t errlen)
{
	char why[256];

	if (c->policy.n_addrs >= CFP_MAX_ADDRS) {
		snprintf(err, errlen, "--collector-ip: at most %d addresses", CFP_MAX_ADDRS);
		return -1;
	}
	if (cfp_addr_parse(v, &c->policy.addrs[c->policy.n_addrs], why, sizeof(why)) != 0) {
		snprintf(err, errlen, "--collector-ip: %s", why);
		return -1;
	}
	c->policy.n_addrs++;
	return 0;
}

static int
parse_level(const char *v, int *out)
{
	static const struct { const char *name; int level; } levels[] = {
		{"error", RTE_LOG_ERR}, {"err", RTE_LOG_ERR}, {"critical", RTE_LOG_CRIT},
		{"warning", RTE_LOG_WARNING}, {"warn", RTE_LOG_WARNING},
		{"info", RTE_LOG_INFO}, {"notice", RTE_LOG_NOTICE}, {"debug", RTE_LOG_DEBUG},
	};
	unsigned int i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcasecmp(v, levels[i].name) == 0) {
			*out = levels[i].level;
			return 0;
		}
	}
	return -1;
}

static void
store_uint(void *dst, size_t size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)dst = (uint8_t)v; break;
	case 2: *(uint16_t *)dst = (uint16_t)v; break;
	case 4: *(uint32_t *)dst = (uint32_t)v; break;
	default: *(uint64_t *)dst = v; break;
	}
}

/* Applies one option's value; `src` names where it came from in errors. */
static int
apply(struct cf_config *c, const struct opt *o, const char *v, const char *src,
      char *err, size_t errlen)
{
	char *base = (char *)c + o->off;
	char *end;

	switch (o->kind) {
	case K_U64: {
		unsigned long long x;
		int hex = strcmp(o->name, "portmask") == 0;

		errno = 0;
		x = strtoull(v, &end, hex ? 16 : 10);
		if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || x < o->min || x > o->max) {
			if (hex)
				snprintf(err, errlen, "%s: '%s' is not a non-zero hex port mask", src, v);
			else
				snprintf(err, errlen, "%s: '%s' is not an integer in %llu..%llu", src, v,
					 (unsigned long long)o->min, (unsigned long long)o->max);
			return -1;
		}
		store_uint(base, o->size, x);
		return 0;
	}
	case K_DOUBLE: {
		double d;

		errno = 0;
		d = strtod(v, &end);
		if (errno != 0 || end == v || *end != '\0' || !isfinite(d) || d < 1.0 || d > 100.0) {
			snprintf(err, errlen, "%s: '%s' is not a number in 1..100", src, v);
			return -1;
		}
		*(double *)base = d;
		return 0;
	}
	case K_STR:
		if (strlen(v) >= o->size) {
			snprintf(err, errlen, "%s: value longer than %zu characters", src, o->size - 1);
			return -1;
		}
		strcpy(base, v);
		return 0;
	case K_FLAG:
		*(uint8_t *)base = 1;
		return 0;
	case K_ADDR:
		return parse_addr(c, v, err, errlen);
	case K_LEVEL:
		if (parse_level(v, &c->log_level) != 0) {
			snprintf(err, errlen, "%s: '%s' is not one of error, warning, info, debug", src, v);
			return -1;
		}
		return 0;
	case K_HELP:
		break;
	}
	return 0;
}

int
cf_config_parse(struct cf_config *c, int argc, char **argv, char *err, size_t errlen)
{
	struct option lopts[N_OPTS + 1];
	unsigned int i;
	int ch;

	cf_config_defaults(c);

	for (i = 0; i < N_OPTS; i++) {
		const char *v;

		if (opts[i].env == NULL || (v = getenv(opts[i].env)) == NULL || v[0] == '\0')
			continue;
		if (apply(c, &opts[i], v, opts[i].env, err, errlen) != 0)
			return -1;
	}

	memset(lopts, 0, sizeof(lopts));
	for (i = 0; i < N_OPTS; i++) {
		lopts[i].name = opts[i].name;
		lopts[i].has_arg = (opts[i].kind == K_FLAG || opts[i].kind == K_HELP) ?
					   no_argument : required_argument;
		lopts[i].val = 256 + (int)i;
	}
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		char src[80];
		const struct opt *o;

		if (ch == 'h') {
			cf_config_usage(stdout, "clarion-flowd");
			return 1;
		}
		if (ch == '?') {
			snprintf(err, errlen, "unknown option '%s' (see --help)", argv[optind - 1]);
			return -1;
		}
		if (ch == ':') {
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		}
		o = &opts[ch - 256];
		if (o->kind == K_HELP) {
			cf_config_usage(stdout, "clarion-flowd");
			return 1;
		}
		snprintf(src, sizeof(src), "--%s", o->name);
		if (apply(c, o, optarg, src, err, errlen) != 0)
			return -1;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
		return -1;
	}
	if ((c->ring_size & (c->ring_size - 1)) != 0) {
		snprintf(err, errlen, "--ring-size: %u is not a power of 2", c->ring_size);
		return -1;
	}
	{
		static const struct { const char *flag; size_t off; } binds[] = {
			{"--http-bind", offsetof(struct cf_config, http_bind)},
			{"--agent-bind", offsetof(struct cf_config, agent_bind)},
		};
		uint8_t a[16];

		for (i = 0; i < 2; i++) {
			const char *v = (const char *)c + binds[i].off;

			if (inet_pton(AF_INET, v, a) != 1 && inet_pton(AF_INET6, v, a) != 1) {
				snprintf(err, errlen, "%s: '%s' is not an IPv4 or IPv6 address",
					 binds[i].flag, v);
				return -1;
			}
		}
	}
	if (c->http_port != 0 && c->http_port == c->agent_port) {
		snprintf(err, errlen, "--http-port and --agent-port are both %u; give them different "
			 "ports (or 0 to turn one off)", c->http_port);
		return -1;
	}
	if (c->backend_url[0] != '\0' && strncmp(c->backend_url, "http://", 7) != 0 &&
	    strncmp(c->backend_url, "https://", 8) != 0) {
		snprintf(err, errlen, "--backend-url: '%s' does not start with http:// or https://",
			 c->backend_url);
		return -1;
	}
	if (strcmp(c->spool_fsync, "batch") != 0 && strcmp(c->spool_fsync, "interval") != 0 &&
	    strcmp(c->spool_fsync, "none") != 0) {
		snprintf(err, errlen, "--spool-fsync: '%s' is not one of batch, interval, none",
			 c->spool_fsync);
		return -1;
	}
	if (strcmp(c->spool_full, "drop-oldest") != 0 && strcmp(c->spool_full, "drop-newest") != 0) {
		snprintf(err, errlen, "--spool-full: '%s' is not drop-oldest or drop-newest",
			 c->spool_full);
		return -1;
	}
	if (c->retry_initial_ms > c->retry_max_ms) {
		snprintf(err, errlen, "--retry-initial-ms %u is above --retry-max-ms %u",
			 c->retry_initial_ms, c->retry_max_ms);
		return -1;
	}
	if (c->policy.ports[0] == 0 && c->policy.ports[1] == 0 && c->policy.ports[2] == 0) {
		snprintf(err, errlen, "every flow port is 0: nothing to listen on");
		return -1;
	}
	return 0;
}
