/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_STAGES_H
#define CF_STAGES_H

/*
 * What the control lcore does with records between its rings and the output
 * (docs/aggregation.md): endpoint sketches (lib/sketch) see every record;
 * aggregation (lib/agg), when on, takes the records in place of the output and
 * hands it aggregates. Both run here, not on the RX lcores: BENCHMARKS.md
 * ("Where aggregation runs") has the measurement.
 *
 * Contract (control lcore only, except the metrics provider, which reads
 * counters from the HTTP threads):
 *  - cf_stages_open(): after the output is open; 0, or -1 with err (table
 *    sizes refused by DPDK memory). Registers the "aggregation" metrics.
 *  - cf_stages_records(): every drained block, in order.
 *  - cf_stages_poll(): every loop turn (cheap when nothing is due).
 *  - cf_stages_finish(): at stop, after the last drain and before the output
 *    finishes: every open aggregate out, one last sketch round (waiting up to
 *    --shutdown-timeout for the delivery engine to take it).
 *  - cf_stages_print(): the "aggregate:" and "sketches:" ledger lines.
 */

#include <stdio.h>

#include "cf_agg.h"
#include "cf_clock.h"
#include "cf_control.h"
#include "cf_sketch.h"

int cf_stages_open(struct cf_control *c, char *err, size_t errlen);
void cf_stages_close(struct cf_control *c);
void cf_stages_poll(struct cf_control *c);
void cf_stages_finish(struct cf_control *c);
void cf_stages_print(const struct cf_control *c, FILE *f);

static inline void
cf_stages_records(struct cf_control *c, const struct cf_record *r, unsigned int n)
{
	if (c->sketch == NULL && c->agg == NULL) {
		cf_output_write(c->out, r, n);
		return;
	}
	{
		const uint64_t now = cf_clock_coarse_ms();

		if (c->sketch != NULL)
			cf_sketch_add(c->sketch, r, n, now);
		if (c->agg != NULL)
			cf_agg_add(c->agg, r, n, now);
		else
			cf_output_write(c->out, r, n);
	}
}

#endif
