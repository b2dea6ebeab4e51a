/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_DECODE_METRICS_H
#define CF_DECODE_METRICS_H

/*
 * Exporters as metrics (library cf_decode_metrics, on top of lib/decode and
 * lib/metrics): the clarion_flowd_exporter* families with labels exporter,
 * domain and version, rendered from the RX lcores' exporter tables, the
 * "new exporter" log line, and read-through accessors for telemetry.
 *
 * Contract:
 *  - Runs on control-plane threads, never on an RX lcore. Every function takes
 *    the state's own lock, so any thread may call any of them; the exporter
 *    tables are read lock-free while the RX lcores write them
 *    (cf_decode_exporter_read()): a value may be a datagram stale.
 *  - The first max_series exporters noticed (address, version, domain; in
 *    scan order) get series of their own for as long as the process runs;
 *    later ones are summed into exporter="other" and counted as folded. One
 *    exporter on several lcores is one series. An exporter is noticed once it
 *    has sent a datagram; each new series is logged once ("new exporter ..."),
 *    and the first fold once (a warning), through log.
 *  - Totals are monotonic across slot recycling: when a slot is given to
 *    another exporter (a new generation), what the old one had counted stays
 *    in its series and the new one starts a new identity.
 *  - cf_decode_metrics_scan() brings the view up to date (the control lcore
 *    calls it about once a second, so exporters are logged without a scrape);
 *    the provider and the accessors scan first.
 *  - cf_decode_metrics_new() returns NULL when out of memory; the decode
 *    contexts must outlive the state.
 */

#include <stdint.h>

struct cf_decode_ctx;
struct cf_metrics_builder;
struct cf_decode_metrics;

/* One log line (ends in '\n'); level is an RTE_LOG_* level. */
typedef void cf_decode_log_fn(uint32_t level, const char *line);

/* lcore_id[i]: the lcore of ctx[i], for the log line. */
struct cf_decode_metrics *cf_decode_metrics_new(const struct cf_decode_ctx *const *ctx,
						const unsigned int *lcore_id, unsigned int n,
						uint32_t max_series, cf_decode_log_fn *log);
void cf_decode_metrics_free(struct cf_decode_metrics *m);

void cf_decode_metrics_scan(struct cf_decode_metrics *m);

/* cf_metrics_provider_fn (arg = the state): clarion_flowd_exporters, _folded and the per-exporter families. */
void cf_decode_metrics_provider(struct cf_metrics_builder *b, void *m);

/* Exporters noticed since start (all lcores) and how many of them were folded into "other". */
void cf_decode_metrics_counts(struct cf_decode_metrics *m, uint64_t *exporters, uint64_t *folded);

/* One series: strings live as long as the state. "other" has version "" and domain 0. */
struct cf_decode_exp_row {
	const char *exporter;
	const char *version;
	uint32_t domain;
	uint64_t dgrams, records, lost, last_seen_ms;
};

/* Up to max rows, one per series in the order noticed, then "other" when some were folded. */
unsigned int cf_decode_metrics_rows(struct cf_decode_metrics *m, struct cf_decode_exp_row *rows,
				    unsigned int max);

#endif
