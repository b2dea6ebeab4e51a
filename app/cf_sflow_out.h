/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_SFLOW_OUT_H
#define CF_SFLOW_OUT_H

/*
 * --sflow-counters: writes the sFlow interface counters the RX lcores keep
 * (lib/sflow) as NDJSON lines {"type":"sflow_counters",...}, separate from the
 * flow records.
 *
 * Contract:
 *  - Runs on the control lcore only. cf_sflow_out_poll() writes every
 *    interface whose counters changed since the last poll; the RX lcores keep
 *    writing meanwhile, so a line written while they run may mix two
 *    consecutive samples of one interface (each 64-bit value is whole). The
 *    poll after the RX lcores stopped is exact.
 *  - cf_sflow_out_open() returns 0 ("off" leaves the output disabled), or -1
 *    with a one-line reason in err.
 */

#include <stdint.h>
#include <stdio.h>

#include "cf_rx.h"

struct cf_sflow_out {
	FILE *f;                  /* NULL: off */
	int own;                  /* f was opened here */
	unsigned int n_rx;
	uint64_t *seen[RTE_MAX_LCORE]; /* samples count per slot at the last poll */
	uint64_t lines;
	uint64_t failed;
};

int cf_sflow_out_open(struct cf_sflow_out *o, const char *spec, struct cf_rx **rx,
		      unsigned int n_rx, char *err, size_t errlen);
void cf_sflow_out_poll(struct cf_sflow_out *o, struct cf_rx *const *rx);
void cf_sflow_out_close(struct cf_sflow_out *o);

/*
 * One line "sflow_unknown: sample:ENT:FMT=N flow_record:... counter_record:..."
 * with the unknown sFlow types every RX lcore skipped (nothing when none).
 */
void cf_sflow_print_unknown(FILE *f, struct cf_rx *const *rx, unsigned int n_rx);

#endif
