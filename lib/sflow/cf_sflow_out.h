/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_SFLOW_OUT_H
#define CF_SFLOW_OUT_H

/*
 * The sFlow state the RX lcores keep (cf_sflow.h), written out by the control
 * lcore: --sflow-counters lines and the unknown-type summary of the stats.
 *
 * Contract:
 *  - Control lcore only; lc[] holds each RX lcore's struct cf_sflow_lcore (NULL
 *    entries are skipped) and must outlive the writer.
 *  - cf_sflow_out_open() writes to an "ndjson:" target through lib/output
 *    (cf_output_ndjson_stream_open(): "-" = stdout, else PATH appended to). Returns
 *    the writer, or NULL with a one-line reason in err.
 *  - cf_sflow_out_poll() writes one line {"type":"sflow_counters",...}
 *    (cf_sflow_ifc_json()) per interface whose counter samples changed since the
 *    last poll, then flushes. The RX lcores keep writing meanwhile, so a line
 *    written while they run may mix two consecutive samples of one interface
 *    (each 64-bit value is whole); the poll after they stopped is exact.
 *    Lines that could not be written are counted (cf_sflow_out_failed()).
 *  - poll and close accept NULL (--sflow-counters off) and do nothing.
 */

#include <stdint.h>
#include <stdio.h>

#include "cf_sflow.h"

struct cf_sflow_out;

struct cf_sflow_out *cf_sflow_out_open(const char *path, const struct cf_sflow_lcore *const *lc,
				       unsigned int n_lc, char *err, size_t errlen);
void cf_sflow_out_poll(struct cf_sflow_out *o);
/* Lines written, and lines lost to write errors. */
uint64_t cf_sflow_out_lines(const struct cf_sflow_out *o);
uint64_t cf_sflow_out_failed(const struct cf_sflow_out *o);
void cf_sflow_out_close(struct cf_sflow_out *o);
/* path (the one given to open) opened again under the same stream (SIGHUP,
 * logrotate): 1 reopened, 0 nothing to do (NULL, stdout), -errno with err. */
int cf_sflow_out_reopen(struct cf_sflow_out *o, const char *path, char *err, size_t errlen);

/*
 * One line "sflow_unknown: sample:ENT:FMT=N flow_record:... counter_record:..."
 * with the unknown sFlow types every lcore skipped (nothing when none).
 */
void cf_sflow_print_unknown(FILE *f, const struct cf_sflow_lcore *const *lc, unsigned int n_lc);

#endif
