/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_CONTROL_H
#define CF_CONTROL_H

/*
 * Control lcore (the main lcore): drains every RX lcore's ring into the
 * output, returns blocks to their pool, prints periodic and final counters,
 * watches link state (a port coming up triggers its announcements), and
 * runs the stop sequence.
 *
 * Contract: cf_control_run() returns after cf_quit was raised (signal,
 * --run-time, --idle-exit) and every RX lcore has set .done and every ring
 * is empty: nothing handed over is left behind. Returns 0, or -1 when the
 * output lost records (the ledger's dropped, "output_failed").
 */

#include "cf_config.h"
#include "cf_output.h"
#include "cf_rx.h"
#include "cf_sflow_out.h"

/* Totals at the last --stats-period block, for its rates. */
struct cf_control_rates {
	uint64_t ms;               /* cf_clock_mono_ms(); 0 = none yet */
	uint64_t rx, dgrams, records, delivered, drops;
};

struct cf_control {
	const struct cf_config *cfg;
	struct cf_rx **rx;
	unsigned int n_rx;
	struct rte_mempool *block_pool;
	struct cf_output *out;
	const struct cf_sflow_lcore
		*sflow[RTE_MAX_LCORE]; /* each RX lcore's sFlow state, same order */
	struct cf_sflow_out *sflow_out; /* --sflow-counters; NULL = off */
	uint16_t ports[CF_MAX_PORTS];
	unsigned int n_ports;
	struct cf_netpres_port *np_ports;    /* announce_gen bumped when a link comes up */
	struct rte_mempool *pkt_pool;
	unsigned int mbufs_start;     /* packet pool in use once ports started */
	uint8_t link_up[CF_MAX_PORTS];   /* last logged state; 0xff = not yet known */
	uint64_t records_out;
	uint64_t blocks_out;
	/* Called on the control lcore about once a second (control plane: health, event logs). */
	void (*on_tick)(void *arg);
	void *tick_arg;
	/* --template-file: restore, periodic and exit saves (lib/tpl); NULL = none */
	struct cf_tpl_saver *tpl_save;
	struct cf_control_rates rates;
	uint64_t reloads;             /* SIGHUPs handled */
	uint64_t out_errors_logged;   /* output write errors already reported */
	uint64_t out_failed_logged;   /* records lost, as of the last report */
	uint64_t out_err_log_ms;
	/* names from options data, resolved by the output's encoder (lib/tpl) */
	struct cf_tpl_names_view *names;
	/* Between the rings and the output (cf_stages.h); NULL = off */
	struct cf_agg *agg;
	struct cf_sketch *sketch;
};

/* Installs the handlers: SIGINT/SIGTERM stop (cf_quit), SIGHUP asks for
 * cf_control_reload() (never ends the process), SIGPIPE ignored. First thing in main. */
void cf_control_signals(void);
int cf_control_run(struct cf_control *c);
/*
 * SIGHUP, on the control lcore: the one place a reload happens. It reopens
 * --log-file, the --output file and the --sflow-counters file (after logrotate
 * moved them), then reloads the configuration (cf_reload_config: the --config
 * file read again, the live settings applied). 0, or -1 when something could
 * not be reopened or the configuration was rejected (logged; what ran stays).
 */
int cf_control_reload(struct cf_control *c);
/*
 * /clarion/reload, from the telemetry thread (one caller at a time): asks the
 * control lcore for a configuration reload and waits up to timeout_ms for it.
 * out gets its one-line summary. 0 taken, -1 rejected, -2 no answer in time.
 */
int cf_control_reload_request(char *out, size_t len, unsigned int timeout_ms);
void cf_control_print_stats(const struct cf_control *c, FILE *f, const char *title);

#endif
