/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_CONFIG_H
#define CF_CONFIG_H

/*
 * Application flags (everything after the EAL's "--"), with the old Python
 * collector's CLARION_COLLECTOR_* environment variables as defaults.
 *
 * Every flag is one row of the option table in cf_config.c: name, field,
 * range, default, allowed names, variable and help. Defaults, --help (and so
 * README's option list, scripts/update_readme_flags.py) and the checks are
 * all read from that table.
 *
 * Contract:
 *  - cf_config_parse() fills *c from the defaults, then the environment, then
 *    the flags (a flag beats its variable). It never exits: it returns 0, 1
 *    when --help or --version was asked (already printed), or -1 with a one-line
 *    reason in err (the caller prints it and exits 2).
 *  - Values are range-checked, and names (--log-level, --spool-fsync,
 *    --spool-full, the scheme of --output and --sflow-counters) turned into
 *    their enum values here; later stages may trust them and never look at
 *    the strings again.
 *  - cf_config_defaults() sets every field to its row's default through the
 *    same checks as a flag (fields whose default is worked out at start-up
 *    stay 0 / ""); 0, or -1 with err naming the row whose default fails them.
 *  - cf_config_check() checks the table itself: unique names, every default
 *    inside its row's [min, max] and among its row's names. 0, or -1 with
 *    err. cf_config_parse() runs it first.
 *  - The configuration file (--config FILE, else CLARION_COLLECTOR_CONFIG) is
 *    read between the defaults and the environment: precedence flag >
 *    environment > file > default. A repeatable option given at a higher level
 *    replaces the lower level's list. Its errors start "FILE:LINE: ".
 *  - Not thread safe (getopt, the origins of the last parse); the control lcore
 *    parses again on reload (cf_reload.h) while nothing else parses.
 */

#include <stdint.h>
#include <stdio.h>

#include "cf_decode.h"
#include "cf_output.h"
#include "cf_pkt.h"
#include "cf_tpl.h"

#define CF_MAX_PORTS 32

/* A "NAME" or "NAME:ARG" value (--output, --sflow-counters). */
struct cf_spec {
	int kind;                  /* the option's enum value for NAME */
	char arg[512];             /* ARG; "" for a name that takes none */
};

/* A repeatable string option (--kafka-opt): values in the order given. */
#define CF_CONFIG_LIST_MAX 64
struct cf_strlist {
	unsigned int n;
	char v[CF_CONFIG_LIST_MAX][512];
};

/* --rx-backoff: what an RX lcore does when its polls come back empty */
enum cf_rx_backoff {
	CF_RX_BACKOFF_AUTO,        /* back off when its CPU is shared with another lcore */
	CF_RX_BACKOFF_ON,
	CF_RX_BACKOFF_OFF,         /* busy-poll */
};

/*
 * --ring-size auto: the ring holds --ring-ms of records at this rate, the
 * per-RX-lcore decode target (design.md section 5), rounded up to a power of 2.
 */
#define CF_CONFIG_RING_RATE 30000000u

/* --kafka-format */
enum cf_kafka_format {
	CF_KAFKA_FORMAT_JSON,      /* one record per message, the Clarion JSON schema */
};

/* --sflow-counters */
enum cf_sflow_counters {
	CF_SFLOW_COUNTERS_OFF,
	CF_SFLOW_COUNTERS_NDJSON,  /* .arg: PATH, or "-" for stdout */
};

struct cf_config {
	uint64_t portmask;         /* 0 = every available port */
	uint16_t rxq;              /* queues per port; 0 = one per RX lcore */
	uint16_t rxd;
	uint16_t burst;
	uint32_t total_num_mbufs;  /* 0 = sized from ports, queues and rxd */
	uint16_t mbuf_size;        /* data room per mbuf */
	uint32_t stats_period;     /* seconds; 0 = off */
	uint32_t ring_size;        /* record blocks per RX lcore ring (auto: from ring_ms) */
	uint32_t ring_ms;          /* --ring-size auto: milliseconds of records at the ring rate */
	enum cf_rx_backoff rx_backoff;
	uint32_t flush_us;         /* hand a partial block over after this long */
	uint32_t run_time;         /* stop after N seconds; 0 = run until signalled */
	uint32_t idle_exit;        /* stop after N seconds without a packet; 0 = never */
	struct cf_pkt_policy policy;  /* flow ports and --collector-ip */
	uint32_t arp_rate;         /* ARP/NS replies per second per sender */
	uint32_t icmp_rate;        /* echo replies per second per source */
	uint32_t garp_interval;    /* seconds between announcements; 0 = link up only */
	uint32_t frag_max_flows;   /* per RX lcore; 0 = reassembly off */
	uint32_t frag_timeout_ms;
	uint32_t frag_max_mbufs;   /* reassembly's own mbuf pool per RX lcore */
	struct cf_decode_config decode;
	struct cf_tpl_config tpl;     /* v9/IPFIX template engine (lib/tpl) */
	char field_map[512];       /* --field-map JSON file; "" = built-in map */
	uint32_t template_save_interval; /* seconds between periodic saves; 0 = at exit only */
	char template_file[512];   /* --template-file; "" = templates are not kept over restarts */
	struct cf_spec output;     /* .kind: enum cf_output_sink */
	char backend_url[512];     /* "" = no delivery: records go to --output */
	struct cf_spec sflow_counters; /* .kind: enum cf_sflow_counters */
	uint32_t batch_size;
	uint32_t batch_interval;
	uint32_t retry_attempts;
	double retry_backoff;
	/* delivery (docs/delivery.md) */
	char backend_path[256];
	char backend_token[512];
	uint32_t upload_concurrency;
	uint32_t connect_timeout_ms;
	uint32_t request_timeout_ms;
	char ca_file[512];
	uint8_t insecure;
	uint8_t compress;
	uint32_t batch_interval_ms;  /* 0 = use batch_interval */
	uint32_t retry_initial_ms;
	uint32_t retry_max_ms;
	uint32_t breaker_threshold;
	uint32_t breaker_cooldown_ms;
	/* --spool-dir as given ("" = the default, "none" = off); cf_startup_check()
	 * replaces it with the directory in use, or "" for none. */
	char spool_dir[512];
	const char *spool_origin;  /* set by cf_startup_check(): why the default (NULL: given) */
	uint64_t spool_max_bytes;
	enum cf_delivery_fsync spool_fsync;
	enum cf_delivery_full spool_full;
	char dead_letter_dir[512];   /* "" = SPOOL_DIR/dead-letter; "none" = not kept */
	uint64_t dead_letter_max_bytes;
	uint32_t shutdown_timeout;   /* seconds */
	int log_level;             /* RTE_LOG_* */
	char log_file[512];        /* "" = stderr */
	/* control plane (docs/control-plane.md) */
	uint16_t http_port;        /* /health, /metrics; 0 = off */
	char http_bind[64];
	uint32_t max_exporter_series; /* exporters with their own series; the rest are "other" */
	uint32_t max_sflow_if_series; /* sFlow interfaces with their own series; the rest are "other" */
	uint32_t health_rx_stall;  /* s without RX on a port that had traffic: degraded */
	uint32_t health_window;    /* s a ring drop / output failure keeps /health degraded */
	uint16_t agent_port;       /* edge-agent sketch ingest; 0 = off */
	char agent_bind[64];
	uint32_t agent_max_body;   /* bytes */
	char agent_token[256];     /* "" = no authentication (and nothing forwarded) */
	uint64_t agent_body_budget; /* bytes of agent request bodies in flight, all connections */
	uint32_t http_max_conn_per_client; /* both listeners */
	uint32_t http_request_timeout;     /* s to read a whole request, both listeners */
	/* Kafka output (docs/scale-out.md) */
	char kafka_brokers[1024];  /* "" = no Kafka */
	char kafka_topic[256];
	char kafka_key[128];       /* "" = messages without a key ("none") */
	int kafka_format;          /* enum cf_kafka_format */
	uint32_t kafka_batch_ms;
	struct cf_strlist kafka_opts;
	uint8_t output_given;      /* --output was set: with Kafka, it runs beside it */
	/* aggregation and endpoint sketches (docs/aggregation.md) */
	char aggregate[512];       /* --aggregate as given: off, on or a key list */
	uint64_t aggregate_keys;   /* parsed (cf_agg.h CF_AGG_BIT set); 0 = off */
	uint32_t aggregate_interval;
	uint32_t aggregate_max_entries;
	uint8_t sketches;
	uint8_t sketch_reset;
	uint32_t sketch_interval;
	uint32_t sketch_max_endpoints;
	/* configuration file (README "Configuration file") */
	char config_file[512];     /* --config FILE; "" = none */
	char eal[2048];            /* the file's eal: line; "" = none */
	uint8_t check_config;      /* --check-config: validate and exit */
	uint8_t print_config;      /* --print-config: print the settings and exit */
	uint8_t help_config;       /* --help-config: print a commented configuration file, exit */
};

/* 1 when records leave over the network (HTTP or Kafka): the outputs that need a spool. */
int cf_config_network_output(const struct cf_config *c);

int cf_config_defaults(struct cf_config *c, char *err, size_t errlen);
int cf_config_check(char *err, size_t errlen);
int cf_config_parse(struct cf_config *c, int argc, char **argv, char *err, size_t errlen);
void cf_config_usage(FILE *f, const char *prog);
/* The manual page clarion-flowd(8), roff, from the option table (clarion-flowd --help-man). */
void cf_config_man(FILE *f);
/* "clarion-flowd <version> (DPDK <version>)" and a newline. */
void cf_config_version(FILE *f);
/* 1 when arg is "--NAME" or "--NAME=..." with NAME one of the table's options. */
int cf_config_is_option(const char *arg);

/*
 * Every setting of c as a configuration file ("key: value", repeatable ones once per
 * value), each followed by where it came from in the last cf_config_parse() (flag, env
 * NAME, FILE:LINE, default). What the file could not say (computed at start-up) is a
 * comment. The output is itself a valid configuration file.
 */
void cf_config_print(FILE *f, const struct cf_config *c);
/* The commented configuration file (clarion-flowd --help-config): every key with its
 * help; the keys the last cf_config_parse() was given (flags, environment, file) set to
 * c's values, every other one commented out at its default. */
void cf_config_print_defaults(FILE *f, const struct cf_config *c);

/*
 * Splits s like a shell would, simply: blanks separate words, '...' keeps everything
 * literally, "..." keeps everything but \" and \\, a backslash outside quotes keeps
 * the next character. Words go to buf (NUL-terminated) and argv[0..max). The count,
 * or -1 with err (an unterminated quote, more than max words or buflen bytes).
 */
int cf_config_split_words(const char *s, char **argv, int max, char *buf, size_t buflen,
			  char *err, size_t errlen);

/*
 * The options whose values differ between a and b (two results of cf_config_parse),
 * in table order: fn(arg, name, live) with live = 1 when the row may change while
 * running (README "Live reload"). Returns how many differ.
 */
/* Copies the value of every live row (cf_config_diff's live = 1) from src to dst. */
void cf_config_copy_live(struct cf_config *dst, const struct cf_config *src);
unsigned int cf_config_diff(const struct cf_config *a, const struct cf_config *b,
			    void (*fn)(void *arg, const char *name, int live), void *arg);

#endif
