/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_CONTROL_H
#define CF_CONTROL_H

/*
 * Control lcore (the main lcore): drains every RX lcore's ring into the
 * output, returns blocks to their pool, prints periodic and final counters,
 * and runs the stop sequence.
 *
 * Contract: cf_control_run() returns after cf_quit was raised (signal,
 * --run-time, --idle-exit) and every RX lcore has set .done and every ring
 * is empty: nothing handed over is left behind. Returns 0, or -1 when the
 * output reported lost records.
 */

#include "cf_config.h"
#include "cf_output.h"
#include "cf_rx.h"
#include "cf_sflow_out.h"

struct cf_control {
	const struct cf_config *cfg;
	struct cf_rx **rx;
	unsigned int n_rx;
	struct rte_mempool *block_pool;
	struct cfo_output *out;
	struct cf_sflow_out sflow_out;  /* --sflow-counters */
	uint16_t ports[CF_MAX_PORTS];
	unsigned int n_ports;
	uint64_t records_out;
	uint64_t blocks_out;
};

int cf_control_run(struct cf_control *c);
void cf_control_print_stats(const struct cf_control *c, FILE *f, const char *title);

#endif
