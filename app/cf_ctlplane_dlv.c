/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP delivery stage in the control plane: a metrics provider for the
 * http sink's engine counters (cf_output_delivery_stats) registered after the
 * engine's, so the Clarion summary keys (total_sent, pending, errors) say
 * what reached the backend; and the circuit/spool state fed to
 * cf_ctlplane_delivery_health() for /health. Nothing here when the output is
 * not the http sink.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cf_clock.h"
#include "cf_config.h"
#include "cf_ctlplane_priv.h"
#include "cf_output.h"
#include "cf_outputs.h"

static double
spool_fill(const struct cf_output_delivery_stats *s)
{
	if (cpl.cfg->spool_dir[0] == '\0' || cpl.cfg->spool_max_bytes == 0)
		return 0;
	return (double)s->dl.spool_bytes / (double)cpl.cfg->spool_max_bytes;
}

void
cpl_delivery_refresh(void)
{
	struct cf_output_delivery_stats s;

	if (cpl.ctl == NULL || cf_output_delivery_stats(cpl.ctl->out, &s) != 0)
		return;
	/* Half-open is still "open" for /health: only a successful probe closes it. */
	cf_ctlplane_delivery_health(s.dl.breaker_state != CF_DELIVERY_BREAKER_CLOSED,
				    spool_fill(&s));
}

void
cpl_delivery_provider(struct cf_metrics_builder *b, void *arg)
{
	const struct cf_delivery_stats *d;
	struct cf_output_delivery_stats s;
	double le[CF_DELIVERY_LAT_BUCKETS], v;
	uint64_t cum[CF_DELIVERY_LAT_BUCKETS], acc = 0, flow_sent, flow_dl;
	unsigned int i;

	(void)arg;
	if (cpl.ctl == NULL || cf_output_delivery_stats(cpl.ctl->out, &s) != 0)
		return;
	d = &s.dl;
	/* Sketch requests count one item each in the engine; records are the rest. */
	flow_sent = d->delivered - d->req_items_delivered;
	flow_dl = d->dead_lettered >= d->req_dead_lettered ? d->dead_lettered - d->req_dead_lettered : 0;

	cf_metrics_counter1(b, "clarion_flowd_delivery_records_sent_total",
			    "flow records the backend accepted (2xx), replays included", flow_sent);
	cf_metrics_counter1(
		b, "clarion_flowd_delivery_batches_sent_total",
		"requests the backend accepted (2xx): record batches and sketch uploads",
		d->delivered_batches);
	cf_metrics_counter1(b, "clarion_flowd_delivery_requests_total", "HTTP requests started",
			    d->requests);
	cf_metrics_counter1(b, "clarion_flowd_delivery_retries_total",
			    "retries scheduled for batches in memory after a transient failure",
			    d->retries);
	cf_metrics_family(
		b, "clarion_flowd_delivery_failures_total",
		"failed requests by class: transient HTTP (5xx, 408, 429), permanent HTTP "
		"(other 4xx: dead-lettered), transport (refused, reset, timeout, TLS)",
		CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"class", "transient"}), d->responses_transient);
	cf_metrics_u64(b, CF_METRICS_L({"class", "permanent"}), d->responses_permanent);
	cf_metrics_u64(b, CF_METRICS_L({"class", "transport"}), d->transport_errors);
	cf_metrics_counter1(
		b, "clarion_flowd_delivery_dead_lettered_records_total",
		"flow records the backend refused for good (written to the dead-letter directory)",
		flow_dl);
	cf_metrics_counter1(b, "clarion_flowd_delivery_dead_lettered_batches_total",
			    "requests the backend refused for good", d->dead_lettered_batches);
	cf_metrics_family(b, "clarion_flowd_delivery_dropped_records_total",
			  "items the delivery engine gave up, by reason", CF_METRICS_COUNTER);
	for (i = 0; i < CF_DELIVERY_DROP_MAX; i++)
		cf_metrics_u64(b, CF_METRICS_L({"reason", cf_delivery_drop_name(i)}),
			       d->dropped[i]);
	cf_metrics_counter1(b, "clarion_flowd_delivery_body_bytes_total",
			    "request body bytes sent (after compression)", d->body_bytes);
	cf_metrics_counter1(b, "clarion_flowd_delivery_submit_stalls_total",
			    "times the control lcore waited on a full delivery ring",
			    s.submit_stalls);
	cf_metrics_gauge1(b, "clarion_flowd_delivery_in_flight_records",
			  "items in requests on the wire", (double)d->in_flight);
	cf_metrics_gauge1(b, "clarion_flowd_delivery_pending_records",
			  "items in memory: batch being filled, ring, queued or waiting to retry",
			  (double)(s.open + d->ring_records + d->pending));

	cf_metrics_family(b, "clarion_flowd_delivery_circuit_state",
			  "circuit breaker state (1 for the current one)", CF_METRICS_GAUGE);
	cf_metrics_u64(b, CF_METRICS_L({"state", "closed"}),
		       d->breaker_state == CF_DELIVERY_BREAKER_CLOSED);
	cf_metrics_u64(b, CF_METRICS_L({"state", "open"}),
		       d->breaker_state == CF_DELIVERY_BREAKER_OPEN);
	cf_metrics_u64(b, CF_METRICS_L({"state", "half_open"}),
		       d->breaker_state == CF_DELIVERY_BREAKER_HALF_OPEN);
	cf_metrics_counter1(b, "clarion_flowd_delivery_circuit_opens_total",
			    "times the circuit breaker opened from closed (outages)",
			    d->breaker_opens);
	cf_metrics_counter1(
		b, "clarion_flowd_delivery_circuit_reopens_total",
		"times a failed probe opened the circuit breaker again (half-open -> open)",
		d->breaker_reopens);
	cf_metrics_counter1(b, "clarion_flowd_delivery_refused_records_total",
			    "items the backend refused for good (4xx), dead-lettered or not",
			    d->refused_records);
	cf_metrics_gauge1(b, "clarion_flowd_delivery_dead_letter_bytes",
			  "bytes of dead-letter files (budget: --dead-letter-max-bytes)",
			  (double)d->dead_letter_bytes);
	cf_metrics_counter1(b, "clarion_flowd_delivery_dead_letter_failed_batches_total",
			    "refused batches that could not be kept (budget used up, write error)",
			    d->dead_letter_failed);

	for (i = 0; i < CF_DELIVERY_LAT_BUCKETS; i++) {
		le[i] = cf_delivery_lat_bounds_ms[i] / 1000.0;
		acc += d->lat_le[i];
		cum[i] = acc;
	}
	cf_metrics_family(b, "clarion_flowd_delivery_request_duration_seconds",
			  "time from sending a request to its outcome (any outcome)",
			  CF_METRICS_HISTOGRAM);
	/* Counters are read while the engine writes: keep the +Inf bucket >= the rest. */
	cf_metrics_histogram(b, CF_METRICS_NOLABELS, le, cum, CF_DELIVERY_LAT_BUCKETS,
			     (double)d->lat_sum_us / 1e6, d->lat_count > acc ? d->lat_count : acc);

	cf_metrics_gauge1(b, "clarion_flowd_delivery_spool_bytes", "bytes of spool segment files",
			  (double)d->spool_bytes);
	cf_metrics_gauge1(b, "clarion_flowd_delivery_spool_limit_bytes",
			  "--spool-max-bytes (0: no spool)",
			  cpl.cfg->spool_dir[0] ? (double)cpl.cfg->spool_max_bytes : 0);
	cf_metrics_gauge1(b, "clarion_flowd_delivery_spool_batches",
			  "requests on disk not yet delivered", (double)d->spool_batches);
	cf_metrics_gauge1(b, "clarion_flowd_delivery_spool_records",
			  "items on disk not yet delivered", (double)d->spooled);
	v = d->spool_oldest_unix_s ?
	    (double)(cf_clock_wall_ms() / 1000) - (double)d->spool_oldest_unix_s : 0;
	cf_metrics_gauge1(b, "clarion_flowd_delivery_spool_oldest_age_seconds",
			  "age of the oldest spool segment with undelivered items (0: empty)",
			  v < 0 ? 0 : v);
	cf_metrics_counter1(b, "clarion_flowd_delivery_spool_written_records_total",
			    "items ever written to the spool", d->spool_written);
	cf_metrics_counter1(b, "clarion_flowd_delivery_spool_recovered_records_total",
			    "items found in the spool at start", d->recovered);
	cf_metrics_counter1(b, "clarion_flowd_delivery_spool_replayed_records_total",
			    "items delivered from the spool", d->replayed);
	cf_metrics_counter1(
		b, "clarion_flowd_delivery_spool_skipped_files_total",
		"files in the spool directory named like segments that were not ours (links, "
		"directories, FIFOs, other owners, foreign content): skipped at start, left "
		"untouched",
		d->spool_skipped_files);

	cf_metrics_family(b, "clarion_flowd_delivery_sketches_total",
			  "edge-agent sketch uploads through the delivery engine",
			  CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"outcome", "queued"}), d->req_submitted);
	cf_metrics_u64(b, CF_METRICS_L({"outcome", "delivered"}), d->req_delivered);
	cf_metrics_u64(b, CF_METRICS_L({"outcome", "dead_lettered"}), d->req_dead_lettered);

	/* What the Clarion UI shows: records that reached the backend, records
	 * still on their way (RX hand-off included), records lost. */
	cf_metrics_summary_set(b, "total_sent", (double)flow_sent);
	if (cf_metrics_summary_get(b, "pending", &v))
		cf_metrics_summary_set(
			b, "pending",
			v + (double)(s.open + d->ring_records + d->pending + d->spooled));
	if (cf_metrics_summary_get(b, "errors", &v))
		cf_metrics_summary_set(b, "errors", v + (double)(flow_dl + d->dropped_total));
}

/* A backend refusing everything this long is unhealthy, not merely degraded. */
#define REFUSE_ALL_MS 30000

/* What to check for a refusal, by status: the usual mistakes first. */
static const char *
refusal_hint(long code)
{
	switch (code) {
	case 404:
	case 405:
		return "check --backend-url (the backend's base URL, e.g. http://host:8000) and "
		       "--backend-path (default /api/netflow/netflow)";
	case 401:
	case 403:
		return "check --backend-token";
	case 413:
		return "the batches are too large for the backend: lower --batch-size";
	case 400:
	case 415:
	case 422:
		return "the backend rejects the records (schema or version mismatch?): see the "
		       ".response files in the dead-letter directory";
	default:
		return "see the .response files in the dead-letter directory";
	}
}

void
cpl_delivery_health(struct cf_metrics_health *h, uint64_t now)
{
	const uint64_t window = (uint64_t)cpl.cfg->health_window * 1000;
	struct cf_output_delivery_stats s;
	const struct cf_delivery_stats *d = &s.dl;
	char dl[1024];

	if (cpl.ctl == NULL || cf_output_delivery_stats(cpl.ctl->out, &s) != 0)
		return;
	cf_delivery_dead_letter_dir(dl, sizeof(dl), cpl.cfg->dead_letter_dir, cpl.cfg->spool_dir);
	if (d->refusing_since_ms != 0 && now - d->refusing_since_ms >= REFUSE_ALL_MS &&
	    now - d->last_refused_ms < REFUSE_ALL_MS)
		cf_metrics_health_reason(
			h, CF_METRICS_UNHEALTHY, "backend_refusing_all",
			"the backend refused every batch for %" PRIu64 " s: POST %s answered HTTP "
			"%ld; %s", (now - d->refusing_since_ms) / 1000, cf_outputs_post_url(),
			d->last_refused_status, refusal_hint(d->last_refused_status));
	else if (d->last_refused_ms != 0 && now - d->last_refused_ms < window)
		cf_metrics_health_reason(
			h, CF_METRICS_DEGRADED, "backend_refusing",
			"the backend refused records in the last %u s (last: HTTP %ld from POST %s; "
			"%" PRIu64 " records refused so far, %s)", cpl.cfg->health_window,
			d->last_refused_status, cf_outputs_post_url(), d->refused_records,
			dl[0] ? "kept in the dead-letter directory" :
				"not kept: no dead-letter directory");
	if (d->dead_letter_failed > cpl.prev_dl_failed) {
		cpl.prev_dl_failed = d->dead_letter_failed;
		cpl.last_dl_fail_ms = now;
	}
	if (cpl.last_dl_fail_ms != 0 && now - cpl.last_dl_fail_ms < window)
		cf_metrics_health_reason(
			h, CF_METRICS_DEGRADED, "dead_letter_failing",
			"%" PRIu64 " refused batches could not be kept in %s: %s%s", d->dead_letter_failed,
			dl, d->dead_letter_errno == EDQUOT ? "--dead-letter-max-bytes used up" :
							      strerror(d->dead_letter_errno),
			d->dead_letter_errno == EDQUOT ? " (make room, or raise it)" : "");
}
