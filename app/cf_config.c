/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_version.h>

#include "cf_agg.h"
#include "cf_config.h"
#include "cf_output.h"
#include "cf_record.h"

enum opt_kind {
	K_U64,      /* integer in [min, max], stored in a field of `size` bytes */
	K_MASK,     /* non-zero hex integer in [min, max] */
	K_DOUBLE,   /* number in [min, max] */
	K_STR,
	K_FLAG,     /* no argument; sets a uint8_t to 1 */
	K_ADDR,     /* --collector-ip, repeatable */
	K_PREFIX,   /* --exporter-allow, repeatable */
	K_ENUM,     /* one of `names`, stored as its value in a field of `size` bytes */
	K_SPEC,     /* NAME or NAME:ARG with NAME one of `names`, into a struct cf_spec */
	K_LIST,     /* repeatable string, appended to a struct cf_strlist */
	K_HELP,
	K_VERSION,  /* no argument; prints the version */
};

/* One allowed value of a K_ENUM or K_SPEC option; a list ends with a NULL name. */
struct opt_name {
	const char *name;      /* matched without regard to case */
	int value;
	const char *arg;       /* K_SPEC: NAME takes ":ARG" (shown as NAME:arg); NULL = nothing */
	const char *help;      /* shown after the name in --help, or NULL */
	int alias;             /* accepted, but not listed */
};

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off;
	size_t size;
	uint64_t min, max;     /* K_U64, K_MASK, K_DOUBLE */
	/*
	 * The default, written as on the command line and applied through the
	 * same checks; NULL leaves the field 0 / "". def_text instead says what
	 * --help shows when that zero means a default worked out at start-up.
	 */
	const char *def;
	const char *def_text;
	const struct opt_name *names;  /* K_ENUM, K_SPEC */
	const char *env;       /* CLARION_COLLECTOR_* variable, or NULL */
	const char *arg;       /* argument name for --help */
	const char *help;
	uint8_t live;          /* a reload applies a new value while running (cf_reload.c) */
	uint8_t nofile;        /* not a key of the configuration file (what to do, not a setting) */
	uint8_t secret;        /* --print-config does not show the value */
};

#define F(field) .off = offsetof(struct cf_config, field), \
	.size = sizeof(((struct cf_config *)0)->field)
#define ENV(x) "CLARION_COLLECTOR_" x

static const struct opt_name output_names[] = {
	{.name = "ndjson", .value = CF_OUTPUT_SINK_NDJSON, .arg = "PATH",
	 .help = "one JSON object per line; - = stdout"},
	{.name = "null", .value = CF_OUTPUT_SINK_NULL, .help = "count and discard"},
	{.name = NULL},
};

static const struct opt_name sflow_counters_names[] = {
	{.name = "off", .value = CF_SFLOW_COUNTERS_OFF},
	{.name = "ndjson", .value = CF_SFLOW_COUNTERS_NDJSON, .arg = "PATH", .help = "- = stdout"},
	{.name = NULL},
};

static const struct opt_name fsync_names[] = {
	{.name = "batch", .value = CF_DELIVERY_FSYNC_BATCH, .help = "fsync each append"},
	{.name = "interval", .value = CF_DELIVERY_FSYNC_INTERVAL, .help = "every second"},
	{.name = "none", .value = CF_DELIVERY_FSYNC_NONE},
	{.name = NULL},
};

static const struct opt_name full_names[] = {
	{.name = "drop-oldest", .value = CF_DELIVERY_FULL_DROP_OLDEST, .help = "evict the oldest batches"},
	{.name = "drop-newest", .value = CF_DELIVERY_FULL_DROP_NEWEST, .help = "refuse new ones"},
	{.name = NULL},
};

static const struct opt_name rx_backoff_names[] = {
	{.name = "auto", .value = CF_RX_BACKOFF_AUTO,
	 .help = "on when another lcore shares its CPU, see --lcores"},
	{.name = "on", .value = CF_RX_BACKOFF_ON, .help = "a CPU shared with other processes"},
	{.name = "off", .value = CF_RX_BACKOFF_OFF, .help = "busy-poll, for a dedicated core"},
	{.name = NULL},
};

static const struct opt_name kafka_format_names[] = {
	{.name = "json", .value = CF_KAFKA_FORMAT_JSON,
	 .help = "one record per message, the --output schema"},
	{.name = NULL},
};

static const struct opt_name level_names[] = {
	{.name = "critical", .value = RTE_LOG_CRIT},
	{.name = "error", .value = RTE_LOG_ERR},
	{.name = "err", .value = RTE_LOG_ERR, .alias = 1},
	{.name = "warning", .value = RTE_LOG_WARNING},
	{.name = "warn", .value = RTE_LOG_WARNING, .alias = 1},
	{.name = "notice", .value = RTE_LOG_NOTICE},
	{.name = "info", .value = RTE_LOG_INFO},
	{.name = "debug", .value = RTE_LOG_DEBUG},
	{.name = NULL},
};

/* Every flag: its field, range, default, names, variable and help. One table. */
static const struct opt opts[] = {
	{.name = "portmask", .kind = K_MASK, F(portmask), .min = 1, .max = UINT64_MAX,
	 .def_text = "all", .arg = "MASK", .help = "hex mask of DPDK ports to receive on"},
	{.name = "rxq", .kind = K_U64, F(rxq), .min = 1, .max = 128,
	 .def_text = "one per RX lcore; 1 without RSS", .arg = "N", .help = "RX queues per port"},
	{.name = "rxd", .kind = K_U64, F(rxd), .min = 64, .max = 16384, .def = "1024",
	 .arg = "N", .help = "RX descriptors per queue"},
	{.name = "burst", .kind = K_U64, F(burst), .min = 1, .max = 512, .def = "32",
	 .arg = "N", .help = "packets per rx burst"},
	{.name = "total-num-mbufs", .kind = K_U64, F(total_num_mbufs), .min = 1024, .max = 16777216,
	 .def_text = "sized from ports x queues x rxd", .arg = "N",
	 .help = "mbufs in the packet pool"},
	{.name = "mbuf-size", .kind = K_U64, F(mbuf_size), .min = 1024, .max = 65000, .def = "2176",
	 .arg = "BYTES", .help = "data room per mbuf; jumbo frames use scatter"},
	{.name = "stats-period", .kind = K_U64, F(stats_period), .min = 0, .max = 86400, .def = "0",
	 .arg = "SECONDS", .help = "print port and lcore counters every SECONDS; 0 = off"},
	{.name = "ring-size", .kind = K_U64, F(ring_size), .min = 16, .max = 65536,
	 .def_text = "from --ring-ms: 512, 32 MiB", .arg = "BLOCKS",
	 .help = "record blocks (256 records, 64 KiB) in each RX lcore's handoff ring, power of 2"},
	{.name = "ring-ms", .kind = K_U64, F(ring_ms), .min = 1, .max = 1000, .def = "4",
	 .arg = "MS", .help = "without --ring-size: how long the ring absorbs a control lcore that "
	 "is not running (scheduling gaps), at 30 M records/s"},
	{.name = "rx-backoff", .kind = K_ENUM, F(rx_backoff), .def = "auto",
	 .names = rx_backoff_names, .arg = "MODE",
	 .help = "when polls come back empty: pause, then sleep up to 100 us (reset by a "
	 "packet), and yield to the control lcore when the ring is half full"},
	{.name = "flush-us", .kind = K_U64, F(flush_us), .min = 10, .max = 1000000, .def = "1000",
	 .arg = "USEC", .help = "hand a partly filled record block over after USEC"},
	{.name = "run-time", .kind = K_U64, F(run_time), .min = 0, .max = UINT32_MAX, .def = "0",
	 .arg = "SECONDS", .help = "stop cleanly after SECONDS; 0 = until SIGINT/SIGTERM"},
	{.name = "idle-exit", .kind = K_U64, F(idle_exit), .min = 0, .max = UINT32_MAX, .def = "0",
	 .arg = "SECONDS", .help = "stop cleanly after SECONDS without a received packet (for "
	 "replaying captures); 0 = never"},
	{.name = "collector-ip", .kind = K_ADDR, .def_text = "accept any destination, answer nothing",
	 .arg = "ADDR[/LEN][@portN][@vlanV]",
	 .help = "our address: accept datagrams only to it and answer ARP/ND/ping for it, on DPDK "
	 "port N and VLAN V (0 = untagged) when given (IPv4 or IPv6; repeatable)"},
	/* network presence and reassembly (docs/network-presence.md) */
	{.name = "arp-rate", .kind = K_U64, F(arp_rate), .min = 1, .max = 1000000, .def = "100",
	 .arg = "N", .help = "ARP/Neighbor Solicitation replies per second per sender"},
	{.name = "icmp-rate", .kind = K_U64, F(icmp_rate), .min = 1, .max = 1000000, .def = "100",
	 .arg = "N", .help = "ICMP/ICMPv6 echo replies per second per source"},
	{.name = "garp-interval", .kind = K_U64, F(garp_interval), .min = 0, .max = 86400,
	 .def = "60", .arg = "SECONDS", .help = "gratuitous ARP / unsolicited NA every SECONDS, and "
	 "when a link comes up; 0 = on link up only"},
	{.name = "frag-max-flows", .kind = K_U64, F(frag_max_flows), .min = 0, .max = 1048576,
	 .def = "4096", .arg = "N",
	 .help = "fragmented datagrams pending reassembly per RX lcore; 0 = no reassembly"},
	{.name = "frag-timeout-ms", .kind = K_U64, F(frag_timeout_ms), .min = 1, .max = 600000,
	 .def = "2000", .arg = "MS",
	 .help = "drop a datagram's fragments when it is not complete after MS"},
	{.name = "frag-max-mbufs", .kind = K_U64, F(frag_max_mbufs), .min = 64, .max = 1048576,
	 .def = "2048", .arg = "N", .help = "mbufs fragments may hold per RX lcore (a pool of their "
	 "own, never the NIC's); when used up the oldest incomplete datagram is dropped"},
	{.name = "netflow-port", .kind = K_U64, F(policy.ports[0]), .min = 0, .max = 65535,
	 .def = "2055", .env = ENV("NETFLOW_PORT"), .arg = "PORT",
	 .help = "UDP port for NetFlow; 0 = off"},
	{.name = "ipfix-port", .kind = K_U64, F(policy.ports[1]), .min = 0, .max = 65535,
	 .def = "4739", .env = ENV("IPFIX_PORT"), .arg = "PORT", .help = "UDP port for IPFIX; 0 = off"},
	{.name = "sflow-port", .kind = K_U64, F(policy.ports[2]), .min = 0, .max = 65535,
	 .def = "6343", .env = ENV("SFLOW_PORT"), .arg = "PORT", .help = "UDP port for sFlow; 0 = off"},
	{.name = "max-exporters", .kind = K_U64, F(decode.max_exporters), .min = 8, .max = 1048576,
	 .def = "4096", .arg = "N", .help = "exporters tracked per RX lcore; when full the least "
	 "recently used one is evicted"},
	{.name = "exporter-allow", .kind = K_PREFIX, .def_text = "any source", .live = 1,
	 .arg = "ADDR[/LEN]", .help = "accept flow export only from sources in this prefix "
	 "(IPv4 or IPv6; repeatable); others are counted as exporter_not_allowed"},
	{.name = "exporter-max-rate", .kind = K_U64, F(decode.max_rate), .min = 0,
	 .max = 100000000, .def = "0", .live = 1, .arg = "N",
	 .help = "datagrams per second one exporter may "
	 "send (token bucket, one second deep); excess is counted per exporter; 0 = no limit"},
	{.name = "sampling-rate", .kind = K_U64, F(decode.sampling_rate), .min = 1, .max = UINT32_MAX,
	 .live = 1,
	 .def_text = "none", .arg = "N", .help = "sampling rate for exporters that send none"},
	{.name = "sampling-override", .kind = K_FLAG, F(decode.sampling_override),
	 .live = 1, .help = "--sampling-rate also replaces what exporters send"},
	{.name = "scale-by-sampling", .kind = K_FLAG, F(decode.scale_by_sampling),
	 .live = 1, .help = "multiply bytes and packets by the sampling rate"},
	/* NetFlow v9 / IPFIX templates (lib/tpl) */
	{.name = "template-timeout", .kind = K_U64, F(tpl.timeout_s), .min = 1, .max = 604800,
	 .def = "1800", .arg = "SECONDS",
	 .help = "forget a v9/IPFIX template not refreshed for SECONDS"},
	{.name = "template-max-exporters", .kind = K_U64, F(tpl.max_exporters), .min = 1,
	 .max = 65536, .def = "512", .arg = "N",
	 .help = "v9/IPFIX exporters (address, domain) holding templates per RX lcore"},
	{.name = "template-max-per-exporter", .kind = K_U64, F(tpl.max_per_exporter),
	 .min = 1, .max = 65535, .def = "32", .arg = "N", .help = "templates one exporter may hold"},
	{.name = "template-wait", .kind = K_U64, F(tpl.pending_s), .min = 1, .max = 3600,
	 .def = "10", .arg = "SECONDS",
	 .help = "keep data sets that arrive before their template up to SECONDS"},
	{.name = "template-wait-bytes", .kind = K_U64, F(tpl.pending_bytes), .min = 1,
	 .max = 1048576, .def = "65536", .arg = "BYTES",
	 .help = "bytes of such data kept per exporter"},
	{.name = "no-template-wait", .kind = K_FLAG, F(tpl.pending_off),
	 .help = "drop data sets whose template is unknown at once (no_template)"},
	{.name = "template-file", .kind = K_STR, F(template_file), .arg = "FILE",
	 .help = "save v9/IPFIX templates and sampling state here at exit, restore them at start"},
	{.name = "template-save-interval", .kind = K_U64, F(template_save_interval), .min = 0,
	 .max = 86400, .def = "300", .arg = "SECONDS",
	 .help = "also save --template-file every SECONDS while running; 0 = at exit only"},
	{.name = "field-map", .kind = K_STR, F(field_map), .arg = "FILE",
	 .help = "JSON {\"<9|10>:<pen>:<id>\": \"<field>\"} overriding the v9/IPFIX element map"},
	{.name = "output", .kind = K_SPEC, F(output), .def = "ndjson:-", .names = output_names,
	 .arg = "SPEC", .help = "where records go"},
	{.name = "sflow-counters", .kind = K_SPEC, F(sflow_counters), .def = "off",
	 .names = sflow_counters_names, .arg = "SPEC",
	 .help = "sFlow interface counters as {\"type\":\"sflow_counters\"} lines"},
	{.name = "backend-url", .kind = K_STR, F(backend_url), .env = ENV("BACKEND_URL"),
	 .live = 1, .arg = "URL", .help = "Clarion backend base URL, http:// or https://; set = "
	 "deliver over HTTP instead of --output"},
	{.name = "batch-size", .kind = K_U64, F(batch_size), .min = 1, .max = 1000000, .def = "1000",
	 .live = 1, .env = ENV("BATCH_SIZE"), .arg = "N", .help = "records per backend batch"},
	{.name = "batch-interval", .kind = K_U64, F(batch_interval), .min = 1, .max = 3600,
	 .def = "5", .env = ENV("BATCH_INTERVAL"), .arg = "SECONDS",
	 .live = 1, .help = "longest wait before a partial batch is sent"},
	{.name = "retry-attempts", .kind = K_U64, F(retry_attempts), .min = 0, .max = 1000,
	 .live = 1,
	 .def = "3", .env = ENV("RETRY_ATTEMPTS"), .arg = "N", .help = "delivery retries per batch"},
	{.name = "retry-backoff", .kind = K_DOUBLE, F(retry_backoff), .min = 1, .max = 100,
	 .def = "1.5", .env = ENV("RETRY_BACKOFF"), .arg = "FACTOR",
	 .live = 1, .help = "backoff multiplier between retries"},
	/* delivery to the backend (docs/delivery.md) */
	{.name = "backend-path", .kind = K_STR, F(backend_path), .def = "/api/netflow/netflow",
	 .live = 1,
	 .env = ENV("BACKEND_PATH"), .arg = "PATH", .help = "path POSTed to under --backend-url"},
	{.name = "backend-token", .kind = K_STR, F(backend_token), .env = ENV("BACKEND_TOKEN"),
	 .secret = 1,
	 .live = 1, .arg = "TOKEN", .help = "Authorization: Bearer TOKEN (a value with a space is "
	 "sent as is, e.g. 'Basic ...')"},
	{.name = "upload-concurrency", .kind = K_U64, F(upload_concurrency), .min = 1, .max = 256,
	 .def = "4", .env = ENV("UPLOAD_CONCURRENCY"), .arg = "N",
	 .help = "batches in flight at once, plus one spool replay"},
	{.name = "connect-timeout-ms", .kind = K_U64, F(connect_timeout_ms), .min = 1,
	 .max = 600000, .def = "2000", .arg = "MS", .help = "TCP/TLS connect timeout"},
	{.name = "request-timeout-ms", .kind = K_U64, F(request_timeout_ms), .min = 1,
	 .max = 3600000, .def = "30000", .arg = "MS", .help = "whole-request timeout"},
	{.name = "ca-file", .kind = K_STR, F(ca_file), .def_text = "system store",
	 .env = ENV("CA_FILE"), .arg = "PATH", .help = "CA bundle for https://"},
	{.name = "insecure", .kind = K_FLAG, F(insecure),
	 .help = "do not verify the backend's TLS certificate"},
	{.name = "compress", .kind = K_FLAG, F(compress),
	 .help = "gzip request bodies (Content-Encoding: gzip)"},
	{.name = "batch-interval-ms", .kind = K_U64, F(batch_interval_ms), .min = 0, .max = 3600000,
	 .def = "0", .arg = "MS",
	 .live = 1, .help = "like --batch-interval, in milliseconds; 0 = use --batch-interval"},
	{.name = "retry-initial-ms", .kind = K_U64, F(retry_initial_ms), .min = 1, .max = 3600000,
	 .live = 1,
	 .def = "500", .arg = "MS", .help = "backoff cap before the first retry (full jitter below it)"},
	{.name = "retry-max-ms", .kind = K_U64, F(retry_max_ms), .min = 1, .max = 86400000,
	 .live = 1, .def = "30000", .arg = "MS", .help = "largest backoff cap"},
	{.name = "breaker-threshold", .kind = K_U64, F(breaker_threshold), .min = 1, .max = 1000000,
	 .live = 1,
	 .def = "5", .arg = "N", .help = "consecutive failures that open the circuit breaker"},
	{.name = "breaker-cooldown-ms", .kind = K_U64, F(breaker_cooldown_ms), .min = 1,
	 .max = 3600000, .def = "5000", .arg = "MS",
	 .live = 1, .help = "open breaker waits this long, then sends one probe"},
	{.name = "spool-dir", .kind = K_STR, F(spool_dir),
	 .def_text = "/var/lib/clarion-flowd/spool as root, else "
	 "~/.local/state/clarion-flowd/spool (or under $XDG_STATE_HOME); $STATE_DIRECTORY/spool "
	 "when systemd sets it; none = no spool: batches the backend cannot take are dropped, "
	 "counted", .env = ENV("SPOOL_DIR"),
	 .arg = "DIR", .help = "durable spool for batches the backend cannot take now (created 0700)"},
	{.name = "spool-max-bytes", .kind = K_U64, F(spool_max_bytes), .min = 65536,
	 .max = UINT64_C(1) << 50, .def = "1073741824", .env = ENV("SPOOL_MAX_BYTES"),
	 .arg = "BYTES", .help = "disk budget of the spool"},
	{.name = "spool-fsync", .kind = K_ENUM, F(spool_fsync), .def = "batch", .names = fsync_names,
	 .arg = "POLICY", .help = "how spooled batches reach the disk"},
	{.name = "spool-full", .kind = K_ENUM, F(spool_full), .def = "drop-oldest",
	 .names = full_names, .arg = "POLICY", .help = "when the budget is used up"},
	{.name = "dead-letter-dir", .kind = K_STR, F(dead_letter_dir),
	 .def_text = "SPOOL_DIR/dead-letter; none = refused batches are counted, not kept",
	 .arg = "DIR", .help = "where batches refused with 4xx are kept (files 0600)"},
	{.name = "dead-letter-max-bytes", .kind = K_U64, F(dead_letter_max_bytes), .min = 4096,
	 .max = UINT64_C(1) << 50, .def = "268435456", .arg = "BYTES",
	 .help = "disk budget of the dead-letter directory; past it refused batches are counted "
	 "dead_letter_full, not kept"},
	{.name = "shutdown-timeout", .kind = K_U64, F(shutdown_timeout), .min = 0, .max = 3600,
	 .def = "10", .arg = "SECONDS",
	 .help = "on stop, wait this long for in-flight batches before spooling them"},
	{.name = "log-level", .kind = K_ENUM, F(log_level), .def = "info", .names = level_names,
	 .live = 1, .env = ENV("LOG_LEVEL"), .arg = "LEVEL", .help = "least severe level logged"},
	/* Kafka output (docs/scale-out.md): the delivery settings above apply to it too */
	{.name = "kafka-brokers", .kind = K_STR, F(kafka_brokers), .env = ENV("KAFKA_BROKERS"),
	 .arg = "LIST", .help = "Kafka bootstrap servers host:port[,...]; set = produce every record "
	 "to --kafka-topic, beside --backend-url or an --output given, else instead of --output"},
	{.name = "kafka-topic", .kind = K_STR, F(kafka_topic), .env = ENV("KAFKA_TOPIC"),
	 .arg = "NAME", .help = "topic records are produced to (needed with --kafka-brokers)"},
	{.name = "kafka-opt", .kind = K_LIST, F(kafka_opts), .arg = "KEY=VALUE",
	 .help = "librdkafka producer property, repeatable, applied last (TLS, SASL, "
	 "compression.codec, linger.ms, batch.size, ...)"},
	{.name = "kafka-format", .kind = K_ENUM, F(kafka_format), .def = "json",
	 .names = kafka_format_names, .arg = "FORMAT", .help = "message format"},
	{.name = "kafka-key", .kind = K_STR, F(kafka_key), .def = "switch_id", .arg = "KEY",
	 .help = "record key whose value keys each message, so one exporter's records stay in "
	 "one partition, in order; none = no key"},
	{.name = "kafka-batch-ms", .kind = K_U64, F(kafka_batch_ms), .min = 1, .max = 60000,
	 .def = "100", .arg = "MS", .help = "longest a record waits on the control lcore before it "
	 "is handed to librdkafka"},
	{.name = "log-file", .kind = K_STR, F(log_file), .def_text = "stderr", .arg = "FILE",
	 .help = "append log lines and counters to FILE (0640); SIGHUP reopens it (logrotate)"},
	/* control plane (docs/control-plane.md) */
	{.name = "http-port", .kind = K_U64, F(http_port), .min = 0, .max = 65535, .def = "8081",
	 .env = ENV("HTTP_PORT"), .arg = "PORT", .help = "port of /health and /metrics; 0 = off"},
	{.name = "http-bind", .kind = K_STR, F(http_bind), .def = "127.0.0.1",
	 .env = ENV("HTTP_BIND"), .arg = "ADDR", .help = "address /health and /metrics listen on"},
	{.name = "max-exporter-series", .kind = K_U64, F(max_exporter_series), .min = 1,
	 .max = 100000, .def = "200", .arg = "N", .help = "exporters with their own metric series; "
	 "later ones fold into exporter=\"other\""},
	{.name = "max-sflow-if-series", .kind = K_U64, F(max_sflow_if_series), .min = 0,
	 .max = 100000, .def = "500", .arg = "N", .help = "sFlow interfaces with their own "
	 "clarion_flowd_sflow_if_* series; later ones fold into agent=\"other\""},
	{.name = "health-rx-stall", .kind = K_U64, F(health_rx_stall), .min = 1, .max = 86400,
	 .def = "60", .arg = "SECONDS",
	 .help = "a port that had traffic and then none for SECONDS makes /health degraded"},
	{.name = "health-window", .kind = K_U64, F(health_window), .min = 1, .max = 86400,
	 .def = "10", .arg = "SECONDS",
	 .help = "how long a ring drop or output failure keeps /health degraded/unhealthy"},
	{.name = "agent-port", .kind = K_U64, F(agent_port), .min = 0, .max = 65535, .def = "8080",
	 .env = ENV("AGENT_PORT"), .arg = "PORT",
	 .help = "edge-agent sketch ingest port, POST /api/edge/sketches[/binary]; 0 = off"},
	{.name = "agent-bind", .kind = K_STR, F(agent_bind), .def = "127.0.0.1",
	 .env = ENV("AGENT_BIND"), .arg = "ADDR",
	 .help = "address the agent ingest listens on (agents elsewhere need 0.0.0.0)"},
	{.name = "agent-max-body", .kind = K_U64, F(agent_max_body), .min = 1024,
	 .max = 1073741824, .def = "10485760", .arg = "BYTES",
	 .help = "largest sketch body accepted; larger is 413"},
	{.name = "agent-token", .kind = K_STR, F(agent_token), .def_text = "none", .secret = 1,
	 .env = ENV("AGENT_TOKEN"), .arg = "TOKEN",
	 .help = "require 'Authorization: Bearer TOKEN' from agents; without it nothing is "
	 "forwarded to the backend (403), and --agent-bind must be a loopback address"},
	{.name = "agent-body-budget", .kind = K_U64, F(agent_body_budget), .min = 65536,
	 .max = UINT64_C(1) << 40, .def = "67108864", .arg = "BYTES",
	 .help = "request bodies the agent ingest holds at once, all connections together; "
	 "beyond it 503 with Retry-After"},
	{.name = "http-max-conn-per-client", .kind = K_U64, F(http_max_conn_per_client), .min = 1,
	 .max = 4096, .def = "32", .arg = "N",
	 .help = "open connections one client address may have on each HTTP listener"},
	{.name = "http-request-timeout", .kind = K_U64, F(http_request_timeout), .min = 1,
	 .max = 3600, .def = "10", .arg = "SECONDS", .help = "a request must be read whole within "
	 "SECONDS of its start, however its bytes trickle in; else the connection is closed"},
	{.name = "version", .kind = K_VERSION, .nofile = 1, .help = "print the version and DPDK's"},
	/* aggregation and endpoint sketches (docs/aggregation.md) */
	{.name = "aggregate", .kind = K_STR, F(aggregate), .def = "off", .arg = "KEYS",
	 .help = "fold records with equal KEYS whose flow_end falls in the same --aggregate-interval "
	 "window into one record with exact bytes/packets sums, a flows count, the earliest start "
	 "and latest end; other fields are dropped. off, on (= src_ip,dst_ip,dst_port,protocol,"
	 "src_sgt,dst_sgt,switch_id,vlan_id,src_mac,dst_mac) or a comma list of record keys; "
	 "service_port in place of dst_port keys on the server's port of the two (the lower), so "
	 "a server's answers to ephemeral ports fold as its requests do"},
	{.name = "aggregate-interval", .kind = K_U64, F(aggregate_interval), .min = 1, .max = 86400,
	 .def = "60", .arg = "SECONDS",
	 .help = "aggregation window (aligned to Unix time); an aggregate is sent SECONDS after its "
	 "first record arrived"},
	{.name = "aggregate-max-entries", .kind = K_U64, F(aggregate_max_entries), .min = 1,
	 .max = 16777216, .def = "262144", .arg = "N",
	 .help = "open aggregates, memory taken at start (about 280 bytes each); when full the "
	 "oldest is sent early (counted), no record is dropped"},
	{.name = "sketches", .kind = K_FLAG, F(sketches),
	 .help = "compute Clarion endpoint sketches (per switch and source MAC, else source IP) and "
	 "POST them to --backend-url's /api/edge/sketches through the delivery engine"},
	{.name = "sketch-interval", .kind = K_U64, F(sketch_interval), .min = 1, .max = 86400,
	 .def = "60", .arg = "SECONDS", .help = "post the sketches every SECONDS"},
	{.name = "sketch-max-endpoints", .kind = K_U64, F(sketch_max_endpoints), .min = 1,
	 .max = 4194304, .def = "65536", .arg = "N",
	 .help = "endpoints tracked (about 420 bytes each at start, and up to 16 KiB more for a "
	 "busy one); the least recently seen is evicted (counted)"},
	{.name = "sketch-reset", .kind = K_FLAG, F(sketch_reset),
	 .help = "post what each endpoint did since its last post and start it again, instead of "
	 "cumulative sketches"},
	/* the configuration file (README "Configuration file") */
	{.name = "config", .kind = K_STR, F(config_file), .nofile = 1, .env = ENV("CONFIG"),
	 .arg = "FILE", .help = "read settings from FILE: 'key: value' lines, keys are these "
	 "options' names; a flag beats its variable, a variable beats the file; SIGHUP re-reads "
	 "it"},
	{.name = "eal", .kind = K_STR, F(eal), .arg = "ARGS",
	 .help = "DPDK EAL arguments, split like a shell (mostly for the file's eal: key); EAL "
	 "arguments before '--' replace them"},
	{.name = "check-config", .kind = K_FLAG, F(check_config), .nofile = 1,
	 .help = "check every setting as a start would (paths, URL, ports), print OK and exit 0, "
	 "or the error and exit 2; DPDK is not started"},
	{.name = "print-config", .kind = K_FLAG, F(print_config), .nofile = 1,
	 .help = "print every effective setting and where it came from (flag, env, FILE:LINE, "
	 "default) as a configuration file (tokens: only that they are set), and exit"},
	{.name = "help-config", .kind = K_FLAG, F(help_config), .nofile = 1,
	 .help = "print a configuration file of every key with its help, the ones given set, "
	 "the others commented out at their defaults, and exit"},
	{.name = "help", .kind = K_HELP, .nofile = 1, .help = "this text"},
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/*
 * The listed (non-alias) names of a list: "a, b, c", or with_help
 * "a (help), b or c" as --help shows them.
 */
static void
names_list(char *buf, size_t len, const struct opt_name *names, int with_help)
{
	const struct opt_name *n;
	size_t used = 0;
	unsigned int total = 0, i = 0;

	for (n = names; n->name != NULL; n++)
		total += !n->alias;
	buf[0] = '\0';
	for (n = names; n->name != NULL && used < len; n++) {
		const char *sep = i == 0 ? "" : (with_help && i == total - 1) ? " or " : ", ";
		int k;

		if (n->alias)
			continue;
		k = snprintf(buf + used, len - used, "%s%s%s%s%s%s%s", sep, n->name,
			     n->arg ? ":" : "", n->arg ? n->arg : "",
			     with_help && n->help ? " (" : "", with_help && n->help ? n->help : "",
			     with_help && n->help ? ")" : "");
		if (k < 0)
			break;
		used += (size_t)k;
		i++;
	}
}

void
cf_config_version(FILE *f)
{
	fprintf(f, "clarion-flowd %s (%s)\n", CF_VERSION, rte_version());
}

int
cf_config_is_option(const char *arg)
{
	size_t n;
	unsigned int i;

	if (strncmp(arg, "--", 2) != 0)
		return 0;
	arg += 2;
	n = strcspn(arg, "=");
	for (i = 0; i < N_OPTS; i++)
		if (strlen(opts[i].name) == n && strncmp(opts[i].name, arg, n) == 0)
			return 1;
	return 0;
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
		const struct opt *o = &opts[i];
		const char *def = o->def_text ? o->def_text : o->def;
		char lhs[64];

		snprintf(lhs, sizeof(lhs), "--%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(f, "  %-28s %s", lhs, o->help);
		if (o->names != NULL) {
			char list[512];

			names_list(list, sizeof(list), o->names, 1);
			fprintf(f, ": %s", list);
		}
		if (def != NULL)
			fprintf(f, " (default %s)", def);
		if (o->env)
			fprintf(f, " [env %s]", o->env);
		if (o->live)
			fputs(" [live]", f);
		fputc('\n', f);
	}
	fprintf(f, "\nSettings: a flag beats its environment variable, which beats the "
		   "--config file,\nwhich beats the default. SIGHUP (or telemetry /clarion/reload) "
		   "reads the file\nagain: [live] settings change at once, the others are logged "
		   "\"needs restart\".\n"
		   "clarion-flowd --help-config prints a commented configuration file.\n");
	fprintf(f, "\nExamples:\n"
		   "  %s --no-huge -m 512 --no-pci -l 0,1 \\\n"
		   "      --vdev=net_pcap0,rx_pcap=flows.pcap -- --idle-exit 1\n"
		   "  %s -l 0-3 -a 0000:03:00.0 -- --collector-ip 198.51.100.2 --output ndjson:/var/log/flows.ndjson\n"
		   "  %s --config /etc/clarion-flowd/clarion-flowd.conf --check-config\n",
		   prog, prog, prog);
}

static int
parse_prefix(struct cf_config *c, const char *v, const char *src, char *err, size_t errlen)
{
	char why[256];

	if (c->policy.n_allow >= CF_PKT_MAX_ALLOW) {
		snprintf(err, errlen, "%s: at most %d prefixes", src, CF_PKT_MAX_ALLOW);
		return -1;
	}
	if (cf_pkt_prefix_parse(v, &c->policy.allow[c->policy.n_allow], why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", src, why);
		return -1;
	}
	c->policy.n_allow++;
	return 0;
}

static int
parse_addr(struct cf_config *c, const char *v, const char *src, char *err, size_t errlen)
{
	char why[256];

	if (c->policy.n_addrs >= CF_PKT_MAX_ADDRS) {
		snprintf(err, errlen, "%s: at most %d addresses", src, CF_PKT_MAX_ADDRS);
		return -1;
	}
	if (cf_pkt_addr_parse(v, &c->policy.addrs[c->policy.n_addrs], why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", src, why);
		return -1;
	}
	c->policy.n_addrs++;
	return 0;
}

/* The entry of names called name[0..len), or NULL. */
static const struct opt_name *
find_name(const struct opt_name *names, const char *name, size_t len)
{
	const struct opt_name *n;

	for (n = names; n->name != NULL; n++)
		if (strlen(n->name) == len && strncasecmp(n->name, name, len) == 0)
			return n;
	return NULL;
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

static int
bad_name(const struct opt *o, const char *v, const char *src, char *err, size_t errlen)
{
	char list[512];

	names_list(list, sizeof(list), o->names, 0);
	snprintf(err, errlen, "%s: '%s' is not one of %s", src, v, list);
	return -1;
}

/* Applies one option's value; `src` names where it came from in errors. */
static int
apply(struct cf_config *c, const struct opt *o, const char *v, const char *src,
      char *err, size_t errlen)
{
	char *base = (char *)c + o->off;
	char *end;

	switch (o->kind) {
	case K_U64:
	case K_MASK: {
		unsigned long long x;
		int hex = o->kind == K_MASK;

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
		if (errno != 0 || end == v || *end != '\0' || !isfinite(d) || d < (double)o->min ||
		    d > (double)o->max) {
			snprintf(err, errlen, "%s: '%s' is not a number in %llu..%llu", src, v,
				 (unsigned long long)o->min, (unsigned long long)o->max);
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
		return parse_addr(c, v, src, err, errlen);
	case K_PREFIX:
		return parse_prefix(c, v, src, err, errlen);
	case K_ENUM: {
		const struct opt_name *n = find_name(o->names, v, strlen(v));

		if (n == NULL)
			return bad_name(o, v, src, err, errlen);
		store_uint(base, o->size, (uint64_t)n->value);
		return 0;
	}
	case K_SPEC: {
		struct cf_spec *sp = (struct cf_spec *)base;
		const char *colon, *arg;
		const struct opt_name *n;

		if (v[0] == '\0')  /* an empty spec is the default, as before it had a name */
			v = o->def;
		colon = strchr(v, ':');
		arg = colon != NULL ? colon + 1 : "";
		n = find_name(o->names, v, colon != NULL ? (size_t)(colon - v) : strlen(v));
		if (n == NULL || (n->arg != NULL) != (colon != NULL) || (colon != NULL && *arg == '\0'))
			return bad_name(o, v, src, err, errlen);
		if (strlen(arg) >= sizeof(sp->arg)) {
			snprintf(err, errlen, "%s: value longer than %zu characters", src,
				 sizeof(sp->arg) - 1);
			return -1;
		}
		sp->kind = n->value;
		strcpy(sp->arg, arg);
		return 0;
	}
	case K_LIST: {
		struct cf_strlist *l = (struct cf_strlist *)base;

		if (l->n >= CF_CONFIG_LIST_MAX) {
			snprintf(err, errlen, "%s: at most %d times", src, CF_CONFIG_LIST_MAX);
			return -1;
		}
		if (strlen(v) >= sizeof(l->v[0])) {
			snprintf(err, errlen, "%s: value longer than %zu characters", src,
				 sizeof(l->v[0]) - 1);
			return -1;
		}
		strcpy(l->v[l->n++], v);
		return 0;
	}
	case K_HELP:
	case K_VERSION:
		break;
	}
	return 0;
}

int
cf_config_network_output(const struct cf_config *c)
{
	return c->backend_url[0] != '\0' || c->kafka_brokers[0] != '\0';
}

int
cf_config_defaults(struct cf_config *c, char *err, size_t errlen)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < N_OPTS; i++) {
		char src[80];

		if (opts[i].def == NULL)
			continue;
		snprintf(src, sizeof(src), "default of --%s", opts[i].name);
		if (apply(c, &opts[i], opts[i].def, src, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
cf_config_check(char *err, size_t errlen)
{
	static struct cf_config scratch;
	unsigned int i, k;

	for (i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];

		for (k = 0; k < i; k++) {
			if (strcmp(opts[k].name, o->name) == 0) {
				snprintf(err, errlen, "option table: --%s twice", o->name);
				return -1;
			}
		}
		if (o->help == NULL || (o->def != NULL && o->def_text != NULL) ||
		    ((o->names != NULL) != (o->kind == K_ENUM || o->kind == K_SPEC))) {
			snprintf(err, errlen, "option table: --%s: help, one default and names "
				 "(enum kinds only) expected", o->name);
			return -1;
		}
		/* A flag is off, an enum is always one of its names. */
		if ((o->def != NULL && (o->kind == K_FLAG || o->kind == K_ADDR || o->kind == K_PREFIX ||
					o->kind == K_HELP || o->kind == K_LIST || o->kind == K_VERSION)) ||
		    (o->def == NULL && (o->kind == K_ENUM || o->kind == K_SPEC))) {
			snprintf(err, errlen, "option table: --%s: default does not fit its kind",
				 o->name);
			return -1;
		}
		if (o->def != NULL && (o->kind == K_U64 || o->kind == K_MASK || o->kind == K_DOUBLE)) {
			double d = strtod(o->def, NULL);
			unsigned long long x = strtoull(o->def, NULL, o->kind == K_MASK ? 16 : 10);
			int in = o->kind == K_DOUBLE ? d >= (double)o->min && d <= (double)o->max :
						       x >= o->min && x <= o->max;

			if (o->min > o->max || !in) {
				snprintf(err, errlen, "option table: --%s: default %s outside %llu..%llu",
					 o->name, o->def, (unsigned long long)o->min,
					 (unsigned long long)o->max);
				return -1;
			}
		}
	}
	/* Every default also passes the flag's own checks (syntax, length, names). */
	return cf_config_defaults(&scratch, err, errlen);
}

/* Whether option `name` was given a non-empty value (flag or variable). */
static int
was_given(const uint8_t *given, const char *name)
{
	unsigned int i;

	for (i = 0; i < N_OPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return given[i];
	return 0;
}

/* ------------------------------------------------------- configuration file */

static unsigned int n_values(const struct cf_config *c, const struct opt *o);

/* Where each option's value came from in the last cf_config_parse(), for --print-config. */
enum origin { O_DEFAULT, O_FILE, O_ENV, O_FLAG };
static struct {
	uint8_t from;          /* enum origin */
	uint32_t line;         /* O_FILE: its (first) line */
	uint32_t lines[CF_CONFIG_LIST_MAX]; /* O_FILE, repeatable: the line of each value */
} origins[N_OPTS];
static char origin_file[512];

static int
repeatable(const struct opt *o)
{
	return o->kind == K_LIST || o->kind == K_ADDR || o->kind == K_PREFIX;
}

/*
 * A repeatable option given at a higher level than it was so far starts a new list:
 * "--exporter-allow X" on the command line replaces the file's, it does not add to it.
 */
static void
take_over(struct cf_config *c, unsigned int i, enum origin from)
{
	const struct opt *o = &opts[i];

	if (repeatable(o) && origins[i].from < from) {
		if (o->kind == K_LIST)
			((struct cf_strlist *)((char *)c + o->off))->n = 0;
		else if (o->kind == K_ADDR)
			c->policy.n_addrs = 0;
		else
			c->policy.n_allow = 0;
	}
	origins[i].from = (uint8_t)from;
}

int
cf_config_split_words(const char *s, char **argv, int max, char *buf, size_t buflen,
		      char *err, size_t errlen)
{
	size_t used = 0;
	int n = 0;

	for (;;) {
		char q = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return n;
		if (n == max) {
			snprintf(err, errlen, "more than %d words", max);
			return -1;
		}
		argv[n++] = buf + used;
		for (; *s != '\0' && (q != 0 || (*s != ' ' && *s != '\t')); s++) {
			char ch = *s;

			if (q == 0 && (ch == '\'' || ch == '"')) {
				q = ch;
				continue;
			}
			if (q != 0 && ch == q) {
				q = 0;
				continue;
			}
			if (ch == '\\' && q != '\'' && s[1] != '\0' &&
			    (q == 0 || s[1] == '"' || s[1] == '\\'))
				ch = *++s;
			if (used + 2 > buflen) {
				snprintf(err, errlen, "longer than %zu bytes", buflen - 1);
				return -1;
			}
			buf[used++] = ch;
		}
		if (q != 0) {
			snprintf(err, errlen, "unterminated %c quote", q);
			return -1;
		}
		buf[used++] = '\0';
	}
}

/* The row called name[0..len), or -1. */
static int
find_opt(const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < N_OPTS; i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* Trims blanks (and a CR) from both ends of s in place. */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/*
 * The value part of a line: a quoted value ('...' or "...", nothing but a comment after
 * it) is taken as it stands between the quotes; else it ends at a blank followed by '#'
 * (a comment), blanks around it removed. NULL when a quote is not closed.
 */
static char *
file_value(char *v)
{
	char *p;

	v = trim(v);
	if (v[0] == '\'' || v[0] == '"') {
		char *end = strchr(v + 1, v[0]);
		char *rest;

		if (end == NULL)
			return NULL;
		*end = '\0';
		rest = trim(end + 1);
		if (rest[0] != '\0' && rest[0] != '#')
			return NULL;
		return v + 1;
	}
	for (p = v; *p != '\0'; p++) {
		if ((*p == ' ' || *p == '\t') && p[1] == '#') {
			*p = '\0';
			break;
		}
	}
	return trim(v);
}

/* A K_FLAG's value in the file: 1, 0, or -1 when it is not a truth value. */
static int
file_bool(const char *v)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

#define CF_CONFIG_FILE_MAX_LINES 100000

/*
 * Reads the configuration file into c, above the defaults: one "key: value" per
 * line, '#' comments, blank lines; keys are the option names; a key twice is an
 * error unless the option is repeatable. Errors are "PATH:LINE: ...".
 */
static int
read_file(struct cf_config *c, const char *path, uint8_t *given, char *err, size_t errlen)
{
	uint8_t seen[N_OPTS];
	char line[4096];
	uint32_t ln = 0;
	FILE *f;
	int rc = -1;

	snprintf(origin_file, sizeof(origin_file), "%s", path);
	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "--config %s: %s", path, strerror(errno));
		return -1;
	}
	memset(seen, 0, sizeof(seen));
	while (fgets(line, sizeof(line), f) != NULL) {
		char src[700], *k, *v, *colon;
		int i;

		ln++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line longer than %zu bytes", path, ln,
				 sizeof(line) - 2);
			goto out;
		}
		if (ln > CF_CONFIG_FILE_MAX_LINES) {
			snprintf(err, errlen, "%s:%u: more than %u lines", path, ln,
				 CF_CONFIG_FILE_MAX_LINES);
			goto out;
		}
		k = trim(line);
		if (k[0] == '\0' || k[0] == '#')
			continue;
		colon = strchr(k, ':');
		if (colon == NULL) {
			snprintf(err, errlen, "%s:%u: expected 'key: value' (a long option name, "
				 "a colon, its value)", path, ln);
			goto out;
		}
		*colon = '\0';
		k = trim(k);
		i = find_opt(k, strlen(k));
		if (i < 0 || opts[i].nofile || opts[i].kind == K_HELP) {
			snprintf(err, errlen, "%s:%u: %s '%s' (keys are the option names of "
				 "--help, without '--')", path, ln, i < 0 ? "unknown key" :
				 "not a setting the file can hold:", k);
			goto out;
		}
		if (seen[i] && !repeatable(&opts[i])) {
			snprintf(err, errlen, "%s:%u: %s: given twice (first on line %u)", path, ln,
				 k, origins[i].line);
			goto out;
		}
		v = file_value(colon + 1);
		if (v == NULL) {
			snprintf(err, errlen, "%s:%u: %s: unterminated quote, or text after it",
				 path, ln, k);
			goto out;
		}
		snprintf(src, sizeof(src), "%s:%u: %s", path, ln, k);
		if (!seen[i])
			origins[i].line = ln;
		seen[i] = 1;
		take_over(c, (unsigned int)i, O_FILE);
		if (opts[i].kind == K_FLAG) {
			int b = file_bool(v);

			if (b < 0) {
				snprintf(err, errlen, "%s: '%s' is not true or false", src, v);
				goto out;
			}
			*((uint8_t *)c + opts[i].off) = (uint8_t)b;
		} else if (apply(c, &opts[i], v, src, err, errlen) != 0) {
			goto out;
		}
		if (repeatable(&opts[i]) && n_values(c, &opts[i]) > 0)
			origins[i].lines[n_values(c, &opts[i]) - 1] = ln;
		if (v[0] != '\0')
			given[i] = 1;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "--config %s: read error", path);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

/* --config's value on the command line (up to "--"), else CLARION_COLLECTOR_CONFIG, else NULL. */
static const char *
config_path(int argc, char **argv)
{
	const char *v;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	v = getenv(ENV("CONFIG"));
	return v != NULL && v[0] != '\0' ? v : NULL;
}

int
cf_config_parse(struct cf_config *c, int argc, char **argv, char *err, size_t errlen)
{
	struct option lopts[N_OPTS + 1];
	uint8_t given[N_OPTS];
	const char *path;
	unsigned int i;
	int ch;

	if (cf_config_check(err, errlen) != 0 || cf_config_defaults(c, err, errlen) != 0)
		return -1;
	memset(given, 0, sizeof(given));
	memset(origins, 0, sizeof(origins));
	origin_file[0] = '\0';

	/* flag > environment > file > default: the file first, above the defaults. */
	path = config_path(argc, argv);
	if (path != NULL && read_file(c, path, given, err, errlen) != 0)
		return -1;

	for (i = 0; i < N_OPTS; i++) {
		const char *v;

		if (opts[i].env == NULL || (v = getenv(opts[i].env)) == NULL || v[0] == '\0')
			continue;
		take_over(c, i, O_ENV);
		if (apply(c, &opts[i], v, opts[i].env, err, errlen) != 0)
			return -1;
		given[i] = 1;
	}

	memset(lopts, 0, sizeof(lopts));
	for (i = 0; i < N_OPTS; i++) {
		lopts[i].name = opts[i].name;
		lopts[i].has_arg = (opts[i].kind == K_FLAG || opts[i].kind == K_HELP ||
				    opts[i].kind == K_VERSION) ? no_argument : required_argument;
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
		if (o->kind == K_VERSION) {
			cf_config_version(stdout);
			return 1;
		}
		snprintf(src, sizeof(src), "--%s", o->name);
		take_over(c, (unsigned int)(ch - 256), O_FLAG);
		if (apply(c, o, optarg, src, err, errlen) != 0)
			return -1;
		if (optarg == NULL || optarg[0] != '\0')
			given[ch - 256] = 1;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
		return -1;
	}
	if (c->ring_size == 0) {
		uint64_t blocks = ((uint64_t)CF_CONFIG_RING_RATE / 1000 * c->ring_ms +
				   CF_RECORD_BLOCK_RECORDS - 1) / CF_RECORD_BLOCK_RECORDS;

		c->ring_size = (uint32_t)rte_align64pow2(RTE_MAX(blocks, 16u));
		if (c->ring_size > 65536)
			c->ring_size = 65536;
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

		for (i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
			const char *v = (const char *)c + binds[i].off;

			if (inet_pton(AF_INET, v, a) != 1 && inet_pton(AF_INET6, v, a) != 1) {
				snprintf(err, errlen, "%s: '%s' is not an IPv4 or IPv6 address",
					 binds[i].flag, v);
				return -1;
			}
		}
	}
	if (c->agent_port != 0 && c->agent_token[0] == '\0') {
		struct in6_addr a6;
		struct in_addr a4;
		int loop = (inet_pton(AF_INET, c->agent_bind, &a4) == 1 &&
			    (ntohl(a4.s_addr) >> 24) == 127) ||
			   (inet_pton(AF_INET6, c->agent_bind, &a6) == 1 &&
			    IN6_IS_ADDR_LOOPBACK(&a6));

		/* Beyond loopback, anyone on the network would post with our backend token. */
		if (!loop) {
			snprintf(err, errlen, "--agent-bind %s is not a loopback address: set "
				 "--agent-token (or --agent-port 0)", c->agent_bind);
			return -1;
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
	if (c->backend_url[0] != '\0' && was_given(given, "output")) {
		snprintf(err, errlen, "--output and --backend-url exclude each other");
		return -1;
	}
	c->output_given = (uint8_t)was_given(given, "output");
	if ((c->kafka_brokers[0] != '\0') != (c->kafka_topic[0] != '\0')) {
		snprintf(err, errlen, "--kafka-brokers and --kafka-topic go together");
		return -1;
	}
	if (strcmp(c->kafka_key, "none") == 0)
		c->kafka_key[0] = '\0';
	for (i = 0; i < c->kafka_opts.n; i++) {
		const char *eq = strchr(c->kafka_opts.v[i], '=');

		if (eq == NULL || eq == c->kafka_opts.v[i]) {
			snprintf(err, errlen, "--kafka-opt: '%s' is not KEY=VALUE", c->kafka_opts.v[i]);
			return -1;
		}
	}
	if (c->retry_initial_ms > c->retry_max_ms) {
		snprintf(err, errlen, "--retry-initial-ms %u is above --retry-max-ms %u",
			 c->retry_initial_ms, c->retry_max_ms);
		return -1;
	}
	{
		char why[700];

		if (cf_agg_keys_parse(c->aggregate, &c->aggregate_keys, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "--aggregate: %s", why);
			return -1;
		}
	}
	if (c->sketches && c->backend_url[0] == '\0') {
		snprintf(err, errlen, "--sketches posts to the backend: it needs --backend-url");
		return -1;
	}
	if (c->policy.ports[0] == 0 && c->policy.ports[1] == 0 && c->policy.ports[2] == 0) {
		snprintf(err, errlen, "every flow port is 0: nothing to listen on");
		return -1;
	}
	if (c->eal[0] != '\0') {
		static char words[sizeof(c->eal)];
		char *w[256], why[128];
		unsigned int k = (unsigned int)find_opt("eal", 3);

		if (cf_config_split_words(c->eal, w, 256, words, sizeof(words), why,
					  sizeof(why)) < 0) {
			if (origins[k].from == O_FILE)
				snprintf(err, errlen, "%s:%u: eal: %s", origin_file,
					 origins[k].line, why);
			else
				snprintf(err, errlen, "--eal: %s", why);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------- printing and comparing */

static uint64_t
load_uint(const void *src, size_t size)
{
	switch (size) {
	case 1: return *(const uint8_t *)src;
	case 2: return *(const uint16_t *)src;
	case 4: return *(const uint32_t *)src;
	default: return *(const uint64_t *)src;
	}
}

/* How many values option o holds in c (0: none, the row's start-up default applies). */
static unsigned int
n_values(const struct cf_config *c, const struct opt *o)
{
	const char *base = (const char *)c + o->off;

	switch (o->kind) {
	case K_ADDR: return c->policy.n_addrs;
	case K_PREFIX: return c->policy.n_allow;
	case K_LIST: return ((const struct cf_strlist *)base)->n;
	case K_STR: return base[0] != '\0' || o->def != NULL;
	case K_U64:
	case K_MASK: return o->def != NULL || load_uint(base, o->size) != 0;
	case K_HELP:
	case K_VERSION: return 0;
	default: return 1;
	}
}

/* Value k of option o in c, written as the file (and the command line) takes it. */
static void
format_value(const struct cf_config *c, const struct opt *o, unsigned int k, char *buf,
	     size_t len)
{
	const char *base = (const char *)c + o->off;
	const struct opt_name *n;
	char a[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	switch (o->kind) {
	case K_U64:
		snprintf(buf, len, "%" PRIu64, load_uint(base, o->size));
		break;
	case K_MASK:
		snprintf(buf, len, "0x%" PRIx64, load_uint(base, o->size));
		break;
	case K_DOUBLE:
		snprintf(buf, len, "%g", *(const double *)base);
		break;
	case K_STR:
		snprintf(buf, len, "%s", base);
		break;
	case K_FLAG:
		snprintf(buf, len, "%s", *(const uint8_t *)base ? "true" : "false");
		break;
	case K_ADDR: {
		const struct cf_pkt_addr *ad = &c->policy.addrs[k];
		int m = snprintf(buf, len, "%s/%u", inet_ntop(ad->v6 ? AF_INET6 : AF_INET,
							     ad->addr, a, sizeof(a)), ad->prefix);

		if (ad->bound_port && m > 0 && (size_t)m < len)
			m += snprintf(buf + m, len - (size_t)m, "@port%u", ad->port);
		if (ad->bound_vlan && m > 0 && (size_t)m < len)
			snprintf(buf + m, len - (size_t)m, "@vlan%u", ad->vlan);
		break;
	}
	case K_PREFIX: {
		const struct cf_pkt_prefix *px = &c->policy.allow[k];

		snprintf(buf, len, "%s/%u", inet_ntop(px->v6 ? AF_INET6 : AF_INET, px->addr, a,
						      sizeof(a)), px->len);
		break;
	}
	case K_LIST:
		snprintf(buf, len, "%s", ((const struct cf_strlist *)base)->v[k]);
		break;
	case K_ENUM:
		for (n = o->names; n->name != NULL; n++)
			if (!n->alias && (uint64_t)n->value == load_uint(base, o->size))
				break;
		snprintf(buf, len, "%s", n->name != NULL ? n->name : "?");
		break;
	case K_SPEC: {
		const struct cf_spec *sp = (const struct cf_spec *)base;

		for (n = o->names; n->name != NULL; n++)
			if (!n->alias && n->value == sp->kind)
				break;
		snprintf(buf, len, "%s%s%s", n->name != NULL ? n->name : "?", sp->arg[0] ? ":" : "",
			 sp->arg);
		break;
	}
	case K_HELP:
	case K_VERSION:
		break;
	}
}

/* v as a file value: quoted when a blank-'#', a leading quote or outer blanks would change it. */
static void
put_value(FILE *f, const char *v)
{
	size_t n = strlen(v);
	int quote = n != 0 && (v[0] == ' ' || v[n - 1] == ' ' || v[0] == '\'' || v[0] == '"' ||
			       strstr(v, " #") != NULL || strstr(v, "\t#") != NULL);

	if (!quote)
		fputs(v, f);
	else
		fprintf(f, strchr(v, '\'') == NULL ? "'%s'" : "\"%s\"", v);
}

void
cf_config_print(FILE *f, const struct cf_config *c)
{
	unsigned int i, k;

	fprintf(f, "# clarion-flowd %s: effective settings (--print-config); precedence flag > "
		   "environment > file > default.\n# Defaults are commented out: as a --config "
		   "file, this gives the same settings.\n", CF_VERSION);
	for (i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];
		unsigned int n = n_values(c, o);
		char from[700], v[1100];

		if (o->nofile || o->kind == K_HELP)
			continue;
		switch (origins[i].from) {
		case O_FLAG: snprintf(from, sizeof(from), "flag --%s", o->name); break;
		case O_ENV: snprintf(from, sizeof(from), "env %s", o->env); break;
		case O_FILE: snprintf(from, sizeof(from), "%s:%u", origin_file, origins[i].line);
			break;
		default: snprintf(from, sizeof(from), "default"); break;
		}
		if (n == 0) {
			fprintf(f, "# %s:    # %s%s%s\n", o->name, from,
				o->def_text ? ": " : "", o->def_text ? o->def_text : "");
			continue;
		}
		if (o->secret && origins[i].from != O_DEFAULT) {
			/* A secret does not go to a terminal, a ticket or a log: that it is set. */
			fprintf(f, "# %s: (set, %zu characters, not shown)    # %s\n", o->name,
				strlen((const char *)c + o->off), from);
			continue;
		}
		for (k = 0; k < n; k++) {
			if (origins[i].from == O_FILE && repeatable(o))
				snprintf(from, sizeof(from), "%s:%u", origin_file,
					 origins[i].lines[k]);
			format_value(c, o, k, v, sizeof(v));
			/* A default stays a comment: read back, the same settings. */
			fprintf(f, "%s%s: ", origins[i].from == O_DEFAULT ? "# " : "", o->name);
			put_value(f, v);
			fprintf(f, "    # %s\n", from);
		}
	}
}

void
cf_config_print_defaults(FILE *f, const struct cf_config *c)
{
	unsigned int i, k;

	static const char *const head[] = {
		"Every key is a long option of clarion-flowd --help without its '--'.",
		"Format: 'key: value', one per line. '#' starts a comment at the start of a",
		"line or after a blank; quote a value with '...' or \"...\" to keep such",
		"characters. Repeatable keys may repeat; switches take true or false; eal:",
		"holds DPDK's EAL arguments (EAL arguments before '--' replace it).",
		"Precedence: a flag beats its environment variable, which beats this file,",
		"which beats the default. A commented-out key shows its default.",
		"SIGHUP ('systemctl reload clarion-flowd') reads the file again: keys marked",
		"[live] change at once, the others are logged \"needs restart\". A file with",
		"an error is refused whole; 'clarion-flowd --config FILE --check-config'",
		"checks one first.",
	};

	fprintf(f, "# clarion-flowd configuration file (--config FILE; clarion-flowd(8)), written "
		   "by\n# clarion-flowd %s --help-config from its option table.\n#\n", CF_VERSION);
	for (i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		fprintf(f, "# %s\n", head[i]);
	for (i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];
		const char *def = o->def_text ? o->def_text : o->def;

		if (o->nofile || o->kind == K_HELP)
			continue;
		fprintf(f, "\n# %s%s", o->help, o->live ? " [live]" : "");
		if (o->names != NULL) {
			char list[512];

			names_list(list, sizeof(list), o->names, 1);
			fprintf(f, ": %s", list);
		}
		if (o->env != NULL)
			fprintf(f, " [env %s]", o->env);
		fputc('\n', f);
		if (origins[i].from != O_DEFAULT) {
			for (k = 0; k < n_values(c, o); k++) {
				char v[1100];

				format_value(c, o, k, v, sizeof(v));
				fprintf(f, "%s: ", o->name);
				put_value(f, v);
				fputc('\n', f);
			}
		} else if (o->kind == K_FLAG)
			fprintf(f, "#%s: false\n", o->name);
		else if (o->def != NULL)
			fprintf(f, "#%s: %s\n", o->name, o->def);
		else
			fprintf(f, "#%s: %s%s%s\n", o->name, o->arg ? o->arg : "",
				def != NULL ? "    # default: " : "", def != NULL ? def : "");
	}
}

/* 1 when option o has the same value(s) in a and b. */
static int
same(const struct cf_config *a, const struct cf_config *b, const struct opt *o)
{
	const char *pa = (const char *)a + o->off, *pb = (const char *)b + o->off;
	unsigned int n = n_values(a, o), k;
	char va[1100], vb[1100];

	if (o->kind == K_HELP || o->kind == K_VERSION)
		return 1;
	if (o->kind == K_U64 || o->kind == K_MASK || o->kind == K_FLAG || o->kind == K_ENUM)
		return load_uint(pa, o->size) == load_uint(pb, o->size);
	if (o->kind == K_DOUBLE)
		return *(const double *)pa == *(const double *)pb;
	if (o->kind == K_STR)
		return strcmp(pa, pb) == 0;
	if (n != n_values(b, o))
		return 0;
	/* Lists and specs: compare what they say, not bytes a shorter value left behind. */
	for (k = 0; k < n; k++) {
		format_value(a, o, k, va, sizeof(va));
		format_value(b, o, k, vb, sizeof(vb));
		if (strcmp(va, vb) != 0)
			return 0;
	}
	return 1;
}

unsigned int
cf_config_diff(const struct cf_config *a, const struct cf_config *b,
	       void (*fn)(void *arg, const char *name, int live), void *arg)
{
	unsigned int i, n = 0;

	for (i = 0; i < N_OPTS; i++) {
		/* What to do (--check-config ...) is not a setting that changed. */
		if (opts[i].kind == K_FLAG && opts[i].nofile)
			continue;
		if (same(a, b, &opts[i]))
			continue;
		n++;
		if (fn != NULL)
			fn(arg, opts[i].name, opts[i].live);
	}
	return n;
}

void
cf_config_copy_live(struct cf_config *dst, const struct cf_config *src)
{
	unsigned int i;

	for (i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];

		if (!o->live)
			continue;
		if (o->kind == K_PREFIX) {
			dst->policy.n_allow = src->policy.n_allow;
			memcpy(dst->policy.allow, src->policy.allow, sizeof(dst->policy.allow));
		} else if (o->kind == K_ADDR) {
			dst->policy.n_addrs = src->policy.n_addrs;
			memcpy(dst->policy.addrs, src->policy.addrs, sizeof(dst->policy.addrs));
		} else if (o->size != 0) {
			memcpy((char *)dst + o->off, (const char *)src + o->off, o->size);
		}
	}
}

/* Writes s for roff: '-' as \- (options are typed, not hyphenated), '\' as \e. */
static void
roff_puts(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\\')
			fputs("\\e", f);
		else
			fputc(*s, f);
	}
}

/*
 * clarion-flowd(8) in roff, from the same table as --help: each option's line carries
 * exactly the text --help prints for it (tests/e2e/test_package.py compares them).
 */
void
cf_config_man(FILE *f)
{
	unsigned int i;

	fprintf(f, ".TH CLARION\\-FLOWD 8 \"\" \"clarion\\-flowd %s\" \"System Administration\"\n"
		   ".SH NAME\nclarion\\-flowd \\- NetFlow v5/v9, IPFIX and sFlow collector on DPDK\n"
		   ".SH SYNOPSIS\n.B clarion\\-flowd\n[\\fIEAL options\\fR]\n.B \\-\\-\n"
		   "[\\fIoptions\\fR]\n.SH DESCRIPTION\n"
		   "Receives flow export on NIC queues through DPDK poll-mode drivers, decodes it into\n"
		   "records and writes them as NDJSON or delivers them to the Clarion backend over HTTP.\n"
		   "EAL options (cores, devices, memory: DPDK's own) come first, then \\fB\\-\\-\\fR, then\n"
		   "the options below. The main lcore is the control lcore; every other lcore in the\n"
		   "EAL's list is an RX lcore, so at least two are needed (\\fB\\-l 0,1\\fR).\n"
		   ".SH OPTIONS\n", CF_VERSION);
	for (i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];
		const char *def = o->def_text ? o->def_text : o->def;

		fputs(".TP\n.B ", f);
		roff_puts(f, "--");
		roff_puts(f, o->name);
		if (o->arg != NULL) {
			fputs(" \\fI", f);
			roff_puts(f, o->arg);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		if (o->help[0] == '.' || o->help[0] == '\'')
			fputs("\\&", f);  /* not a roff request */
		roff_puts(f, o->help);
		if (o->names != NULL) {
			char list[512];

			names_list(list, sizeof(list), o->names, 1);
			fputs(": ", f);
			roff_puts(f, list);
		}
		if (def != NULL) {
			fputs(" (default ", f);
			roff_puts(f, def);
			fputc(')', f);
		}
		if (o->env != NULL) {
			fputs(" [env ", f);
			roff_puts(f, o->env);
			fputc(']', f);
		}
		if (o->live)
			fputs(" [live]", f);
		fputc('\n', f);
	}
	fputs(".SH CONFIGURATION FILE\n"
	      "\\fB\\-\\-config\\fR \\fIFILE\\fR (or \\fBCLARION_COLLECTOR_CONFIG\\fR) names a file of\n"
	      "\\fIkey\\fB:\\fR \\fIvalue\\fR lines; each key is an option above without its \\-\\-\n"
	      "(\\fBeal\\fR holds the EAL arguments). \\fB#\\fR starts a comment at the start of a line\n"
	      "or after a blank; a value in '...' or \"...\" is kept as quoted. A key given twice is an\n"
	      "error unless its option is repeatable; switches take true or false. An unknown key,\n"
	      "a bad value or a duplicate is reported as FILE:LINE and the exit status is 2.\n"
	      "Precedence: a flag beats its environment variable, which beats the file, which beats\n"
	      "the default; EAL arguments before \\fB\\-\\-\\fR replace the file's \\fBeal\\fR.\n"
	      "\\fB\\-\\-check\\-config\\fR checks a file, \\fB\\-\\-print\\-config\\fR shows every setting\n"
	      "and its origin, \\fB\\-\\-help\\-config\\fR prints a commented file of defaults.\n", f);
	fputs(".SH ENVIRONMENT\nEach variable is the default of its option; the option beats it.\n", f);
	for (i = 0; i < N_OPTS; i++) {
		if (opts[i].env == NULL)
			continue;
		fputs(".TP\n.B ", f);
		roff_puts(f, opts[i].env);
		fputs("\n\\fB", f);
		roff_puts(f, "--");
		roff_puts(f, opts[i].name);
		fputs("\\fR\n", f);
	}
	fputs(".SH SIGNALS\nSIGINT and SIGTERM stop RX, drain every ring, flush the output (HTTP: wait\n"
	      "\\fB\\-\\-shutdown\\-timeout\\fR, spool the rest), print the final counters and exit 0.\n"
	      "SIGHUP reopens the log and output files and reads the configuration file again\n"
	      "(as the telemetry command /clarion/reload does): options marked [live] change at\n"
	      "once, others are logged \"needs restart\"; a bad file is rejected whole.\n"
	      ".SH EXIT STATUS\n0 after a clean stop, 1 when start-up fails (EAL, ports, memory, output),\n"
	      "2 for a bad option or value (one line on stderr says which).\n"
	      ".SH FILES\nAs installed by the Debian package:\n"
	      ".TP\n.I /etc/clarion\\-flowd/clarion\\-flowd.conf\n"
	      "the configuration file of the systemd service (\\fB\\-\\-config\\fR).\n"
	      ".TP\n.I /etc/clarion\\-flowd/clarion\\-flowd.env\n"
	      "arguments of the host set-up, and CLARION_COLLECTOR_* variables (beat the file).\n"
	      ".TP\n.I /etc/clarion\\-flowd/dpdk\\-devbind.conf\n"
	      "the ports /usr/libexec/clarion\\-flowd/setup\\-host binds to their DPDK driver.\n"
	      ".TP\n.I /var/lib/clarion\\-flowd\nspool and templates of the service.\n"
	      ".SH EXAMPLES\nReplay a capture without a NIC or hugepages:\n.PP\n.nf\n"
	      "clarion\\-flowd \\-\\-no\\-huge \\-m 512 \\-\\-no\\-pci \\-l 0,1 \\e\n"
	      "    \\-\\-vdev=net_pcap0,rx_pcap=flows.pcap \\-\\- \\-\\-idle\\-exit 1\n.fi\n"
	      ".SH SEE ALSO\n\\fBsystemctl\\fR(1), \\fBsystemd.exec\\fR(5);\n"
	      "README.md and docs/ in /usr/share/doc/clarion\\-flowd.\n", f);
}
