/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <rte_lcore.h>

#include "cf_log.h"
#include "cf_metrics.h"
#include "cf_stages.h"

#define SKETCH_PATH "/api/edge/sketches"
/* Sketches encoded per loop turn: ~1 us each, so the rings keep draining. */
#define SKETCH_BUDGET 256
#define AGG_BUDGET 4096

static int
agg_emit(void *ctx, const struct cf_record *r, unsigned int n)
{
	return cf_output_write(ctx, r, n);
}

static int
sketch_submit(void *ctx, const char *body, size_t len, uint32_t n)
{
	return cf_output_http_request(ctx, SKETCH_PATH, body, len, "application/json", NULL, n);
}

static double
reduction(const struct cf_agg_stats *s)
{
	uint64_t out = s->aggregates_out + s->open;

	return out ? (double)s->records_in / (double)out : 0;
}

static void
provider(struct cf_metrics_builder *b, void *arg)
{
	const struct cf_control *c = arg;

	if (c->agg != NULL) {
		struct cf_agg_stats s;

		cf_agg_stats(c->agg, &s);
		cf_metrics_counter1(b, "clarion_flowd_aggregate_records_in_total",
				    "records taken by aggregation", s.records_in);
		cf_metrics_counter1(b, "clarion_flowd_aggregate_records_folded_total",
				    "records summed into an aggregate that was already open",
				    s.folded);
		cf_metrics_counter1(
			b, "clarion_flowd_aggregate_records_out_total",
			"aggregates handed to the output (records in = folded + out + open)",
			s.aggregates_out);
		cf_metrics_gauge1(b, "clarion_flowd_aggregate_open", "aggregates in the table now",
				  (double)s.open);
		cf_metrics_gauge1(b, "clarion_flowd_aggregate_max_entries",
				  "--aggregate-max-entries", (double)s.max_entries);
		cf_metrics_counter1(b, "clarion_flowd_aggregate_early_flushes_total",
				    "aggregates sent before their time because the table was full",
				    s.early_flushes);
		cf_metrics_counter1(b, "clarion_flowd_aggregate_overflow_splits_total",
				    "aggregates closed because a sum would pass 2^64",
				    s.overflow_splits);
		cf_metrics_gauge1(
			b, "clarion_flowd_aggregate_reduction_ratio",
			"records in per aggregate (sent or open); 0 before the first record",
			reduction(&s));
		cf_metrics_summary_set(b, "aggregate_reduction_ratio", reduction(&s));
	}
	if (c->sketch != NULL) {
		struct cf_sketch_stats s;

		cf_sketch_stats(c->sketch, &s);
		cf_metrics_counter1(b, "clarion_flowd_sketch_records_total",
				    "records the sketches saw", s.records_in);
		cf_metrics_counter1(
			b, "clarion_flowd_sketch_no_endpoint_records_total",
			"records with neither source MAC nor source address (no endpoint)",
			s.no_endpoint);
		cf_metrics_gauge1(b, "clarion_flowd_sketch_endpoints", "endpoints in the table now",
				  (double)s.endpoints);
		cf_metrics_gauge1(b, "clarion_flowd_sketch_max_endpoints", "--sketch-max-endpoints",
				  (double)s.max_endpoints);
		cf_metrics_counter1(b, "clarion_flowd_sketch_evictions_total",
				    "least recently seen endpoints evicted to make room",
				    s.evicted);
		cf_metrics_counter1(b, "clarion_flowd_sketch_index_probes_total",
				    "endpoint index slots stepped past in lookups (hash collisions)",
				    s.probes);
		cf_metrics_gauge1(b, "clarion_flowd_sketch_switches", "switches with endpoints now",
				  (double)s.switches);
		cf_metrics_gauge1(b, "clarion_flowd_sketch_register_bytes",
				  "memory of the HyperLogLog registers in use",
				  (double)s.dense * (double)CF_SKETCH_HLL_DENSE_BYTES);
		cf_metrics_counter1(b, "clarion_flowd_sketch_rounds_total",
				    "posting rounds started", s.rounds);
		cf_metrics_counter1(b, "clarion_flowd_sketch_posted_total",
				    "sketches handed to the delivery engine", s.sketches);
		cf_metrics_counter1(b, "clarion_flowd_sketch_bodies_total",
				    "SketchBatch bodies handed to the delivery engine", s.bodies);
		cf_metrics_counter1(
			b, "clarion_flowd_sketch_dropped_total",
			"sketches the delivery engine refused, or that were not taken by the "
			"shutdown timeout",
			s.dropped);
		cf_metrics_counter1(b, "clarion_flowd_sketch_submit_waits_total",
				    "times the delivery engine asked the round to wait",
				    s.submit_waits);
	}
}

int
cf_stages_open(struct cf_control *c, char *err, size_t errlen)
{
	const struct cf_config *cfg = c->cfg;
	char keys[600];

	if (cfg->aggregate_keys != 0) {
		struct cf_agg_config ac = {.keys = cfg->aggregate_keys,
					   .interval_s = cfg->aggregate_interval,
					   .max_entries = cfg->aggregate_max_entries,
					   .socket = (int)rte_socket_id()};

		c->agg = cf_agg_create(&ac, agg_emit, c->out, err, errlen);
		if (c->agg == NULL)
			return -1;
		cf_agg_keys_format(cfg->aggregate_keys, keys, sizeof(keys));
		CF_LOG(INFO, "aggregating on %s every %u s, %u entries (%zu MiB)\n", keys,
		       cfg->aggregate_interval, cfg->aggregate_max_entries,
		       cf_agg_entry_bytes(cfg->aggregate_keys) * cfg->aggregate_max_entries >> 20);
	}
	if (cfg->sketches) {
		struct cf_sketch_config sc = {.max_endpoints = cfg->sketch_max_endpoints,
					      .interval_s = cfg->sketch_interval,
					      .reset = cfg->sketch_reset,
					      .socket = (int)rte_socket_id()};

		c->sketch = cf_sketch_create(&sc, sketch_submit, c->out, err, errlen);
		if (c->sketch == NULL)
			return -1;
		CF_LOG(INFO, "endpoint sketches every %u s (%s), %u endpoints (%zu MiB, registers "
		       "up to %zu MiB more as needed)\n", cfg->sketch_interval,
		       cfg->sketch_reset ? "reset" : "cumulative", cfg->sketch_max_endpoints,
		       cf_sketch_fixed_bytes(cfg->sketch_max_endpoints) >> 20,
		       (size_t)cfg->sketch_max_endpoints * 2 * CF_SKETCH_HLL_DENSE_BYTES >> 20);
	}
	if ((c->agg != NULL || c->sketch != NULL) &&
	    cf_metrics_register("aggregation", provider, c) != 0)
		CF_LOG(WARNING, "aggregation metrics not registered\n");
	return 0;
}

void
cf_stages_close(struct cf_control *c)
{
	if (c->agg != NULL || c->sketch != NULL)
		cf_metrics_unregister("aggregation");
	cf_agg_free(c->agg);
	cf_sketch_free(c->sketch);
	c->agg = NULL;
	c->sketch = NULL;
}

void
cf_stages_poll(struct cf_control *c)
{
	uint64_t now;

	if (c->agg == NULL && c->sketch == NULL)
		return;
	now = cf_clock_coarse_ms();
	if (c->agg != NULL)
		cf_agg_poll(c->agg, now, AGG_BUDGET);
	if (c->sketch != NULL)
		cf_sketch_poll(c->sketch, now, cf_clock_wall_ms() / 1000, SKETCH_BUDGET);
}

void
cf_stages_finish(struct cf_control *c)
{
	if (c->agg != NULL)
		cf_agg_flush(c->agg);
	if (c->sketch != NULL)
		cf_sketch_finish(c->sketch, cf_clock_wall_ms() / 1000, cf_clock_mono_ms,
				 cf_clock_mono_ms() + (uint64_t)c->cfg->shutdown_timeout * 1000);
}

void
cf_stages_print(const struct cf_control *c, FILE *f)
{
	if (c->agg != NULL) {
		struct cf_agg_stats s;

		cf_agg_stats(c->agg, &s);
		fprintf(f, "aggregate: records_in=%" PRIu64 " folded=%" PRIu64 " aggregates_out=%" PRIu64
			   " open=%" PRIu64 " early_flushes=%" PRIu64 " overflow_splits=%" PRIu64
			   " reduction=%.2f balanced=%d\n",
			s.records_in, s.folded, s.aggregates_out, s.open, s.early_flushes,
			s.overflow_splits, reduction(&s),
			s.records_in == s.folded + s.aggregates_out + s.open);
	}
	if (c->sketch != NULL) {
		struct cf_sketch_stats s;

		cf_sketch_stats(c->sketch, &s);
		fprintf(f, "sketches: records_in=%" PRIu64 " no_endpoint=%" PRIu64 " endpoints=%" PRIu64
			   " switches=%" PRIu64 " evicted=%" PRIu64 " registers=%" PRIu64
			   " rounds=%" PRIu64 " posted=%" PRIu64 " bodies=%" PRIu64 " dropped=%" PRIu64
			   " waits=%" PRIu64 " probes=%" PRIu64 "\n",
			s.records_in, s.no_endpoint, s.endpoints, s.switches, s.evicted, s.dense,
			s.rounds, s.sketches, s.bodies, s.dropped, s.submit_waits, s.probes);
	}
}
