/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_SFLOW_METRICS_H
#define CF_SFLOW_METRICS_H

/*
 * sFlow interface counters as metrics (library cf_sflow_metrics, on top of
 * lib/sflow and lib/metrics): clarion_flowd_sflow_if_* families with labels
 * agent and ifindex, rendered from the RX lcores' counter tables.
 *
 * Contract:
 *  - cf_sflow_metrics_provider() is a cf_metrics_provider_fn (ctx = the struct
 *    cf_sflow_metrics); it runs on the scraping thread, never on an RX lcore, and
 *    reads the tables lock-free while the RX lcores write them: each value is
 *    read whole (relaxed atomic loads) but one interface may mix two
 *    consecutive samples. It keeps private state, so it must not run
 *    concurrently with itself (cf_metrics_collect guarantees that).
 *  - The first max_series interfaces seen (agent, family, ifindex; in scrape
 *    order) get series of their own for as long as the process runs; later
 *    ones are summed into agent="other", ifindex="other" (counters only) and
 *    counted in clarion_flowd_sflow_if_series_folded. An interface held by
 *    several lcores is one series showing its most recent sample.
 *  - cf_sflow_metrics_new() returns NULL when out of memory; the lcore tables must
 *    outlive the struct.
 */

#include <stdint.h>

struct cf_sflow_lcore;
struct cf_sflow_metrics;
struct cf_metrics_builder;

struct cf_sflow_metrics *cf_sflow_metrics_new(const struct cf_sflow_lcore *const *lcores,
					      unsigned int n, uint32_t max_series);
void cf_sflow_metrics_free(struct cf_sflow_metrics *m);
void cf_sflow_metrics_provider(struct cf_metrics_builder *b, void *m);

#endif
