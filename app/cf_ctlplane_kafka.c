/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Kafka output in the control plane: the "kafka" metrics provider (its
 * delivery ledger, the policy's state and librdkafka's own counters and
 * broker states), the "kafka" health check (degraded / unhealthy as for
 * HTTP) and the /clarion/kafka telemetry command. Registered only when a
 * Kafka output exists.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "cf_clock.h"
#include "cf_config.h"
#include "cf_ctlplane_priv.h"
#include "cf_output.h"

static int
read_stats(struct cf_output_delivery_stats *s, struct cf_delivery_kafka_stats *k)
{
	if (cpl.ctl == NULL || cf_output_delivery_stats_of(cpl.ctl->out, "kafka", s) != 0 ||
	    cf_output_kafka_stats(cpl.ctl->out, k) != 0)
		return -1;
	return 0;
}

static void
codes(struct cf_metrics_builder *b, const char *name, const char *help,
      const struct cf_delivery_kafka_code *c, unsigned int n, uint64_t other)
{
	unsigned int i;

	cf_metrics_family(b, name, help, CF_METRICS_COUNTER);
	for (i = 0; i < n; i++)
		cf_metrics_u64(b, CF_METRICS_L({"code", cf_delivery_kafka_err_name(c[i].code)}),
			       c[i].n);
	cf_metrics_u64(b, CF_METRICS_L({"code", "other"}), other);
}

static void
histogram(struct cf_metrics_builder *b, const char *name, const char *help, const uint64_t *le_n,
	  uint64_t count, uint64_t sum_us)
{
	double le[CF_DELIVERY_LAT_BUCKETS];
	uint64_t cum[CF_DELIVERY_LAT_BUCKETS], acc = 0;
	unsigned int i;

	for (i = 0; i < CF_DELIVERY_LAT_BUCKETS; i++) {
		le[i] = cf_delivery_lat_bounds_ms[i] / 1000.0;
		acc += le_n[i];
		cum[i] = acc;
	}
	cf_metrics_family(b, name, help, CF_METRICS_HISTOGRAM);
	cf_metrics_histogram(b, CF_METRICS_NOLABELS, le, cum, CF_DELIVERY_LAT_BUCKETS,
			     (double)sum_us / 1e6, count > acc ? count : acc);
}

static void
kafka_provider(struct cf_metrics_builder *b, void *arg)
{
	struct cf_output_delivery_stats s;
	struct cf_delivery_kafka_stats k;
	const struct cf_delivery_stats *d = &s.dl;
	uint64_t pending;
	unsigned int i;
	double v;

	(void)arg;
	if (read_stats(&s, &k) != 0)
		return;
	pending = s.open + d->ring_records + d->pending;
	/* The ledger: received = delivered + pending + spooled + dead-lettered + dropped. */
	cf_metrics_counter1(b, "clarion_flowd_kafka_records_received_total",
			    "flow records the Kafka output accepted", s.received);
	cf_metrics_counter1(
		b, "clarion_flowd_kafka_records_delivered_total",
		"flow records Kafka acknowledged (acks=all by default), replays included",
		d->delivered);
	cf_metrics_gauge1(b, "clarion_flowd_kafka_pending_records",
			  "records in memory: batch being filled, ring, queued, in flight or "
			  "waiting to retry",
			  (double)pending);
	cf_metrics_gauge1(b, "clarion_flowd_kafka_in_flight_records",
			  "records handed to librdkafka, not yet "
			  "reported",
			  (double)d->in_flight);
	cf_metrics_gauge1(b, "clarion_flowd_kafka_spool_records",
			  "records on disk (SPOOL_DIR/kafka) not yet "
			  "delivered",
			  (double)d->spooled);
	cf_metrics_gauge1(b, "clarion_flowd_kafka_spool_bytes",
			  "bytes of Kafka spool segment files", (double)d->spool_bytes);
	cf_metrics_counter1(
		b, "clarion_flowd_kafka_records_dead_lettered_total",
		"records Kafka refused for good (too large, not authorised): dead letters",
		d->dead_lettered);
	cf_metrics_family(b, "clarion_flowd_kafka_dropped_records_total",
			  "records the Kafka output gave up, by reason", CF_METRICS_COUNTER);
	for (i = 0; i < CF_DELIVERY_DROP_MAX; i++)
		cf_metrics_u64(b, CF_METRICS_L({"reason", cf_delivery_drop_name(i)}),
			       d->dropped[i]);
	cf_metrics_counter1(b, "clarion_flowd_kafka_spool_written_records_total",
			    "records ever written to the Kafka spool", d->spool_written);
	cf_metrics_counter1(b, "clarion_flowd_kafka_spool_recovered_records_total",
			    "records found in the Kafka spool at start", d->recovered);
	cf_metrics_counter1(b, "clarion_flowd_kafka_spool_replayed_records_total",
			    "records delivered from the Kafka spool", d->replayed);
	cf_metrics_counter1(
		b, "clarion_flowd_kafka_resent_records_total",
		"records of a partly delivered spool entry sent again (likely duplicates)",
		d->resent);
	/* The policy, as for HTTP: batches, retries, breaker. */
	cf_metrics_counter1(b, "clarion_flowd_kafka_batches_sent_total",
			    "batches every message of which was "
			    "settled and none left to retry",
			    d->delivered_batches);
	cf_metrics_family(b, "clarion_flowd_kafka_batch_failures_total",
			  "batches with messages not delivered, by class: transport (librdkafka: "
			  "timed out, brokers down, purged), transient (a broker's retriable "
			  "error), permanent (refused: dead-lettered)", CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"class", "transport"}), d->transport_errors);
	cf_metrics_u64(b, CF_METRICS_L({"class", "transient"}), d->responses_transient);
	cf_metrics_u64(b, CF_METRICS_L({"class", "permanent"}), d->responses_permanent);
	cf_metrics_counter1(b, "clarion_flowd_kafka_retries_total",
			    "retries scheduled for batches in memory", d->retries);
	cf_metrics_family(b, "clarion_flowd_kafka_circuit_state",
			  "the Kafka output's circuit breaker state (1 for the current one)",
			  CF_METRICS_GAUGE);
	cf_metrics_u64(b, CF_METRICS_L({"state", "closed"}),
		       d->breaker_state == CF_DELIVERY_BREAKER_CLOSED);
	cf_metrics_u64(b, CF_METRICS_L({"state", "open"}),
		       d->breaker_state == CF_DELIVERY_BREAKER_OPEN);
	cf_metrics_u64(b, CF_METRICS_L({"state", "half_open"}),
		       d->breaker_state == CF_DELIVERY_BREAKER_HALF_OPEN);
	cf_metrics_counter1(b, "clarion_flowd_kafka_circuit_opens_total",
			    "times the Kafka output's circuit breaker opened", d->breaker_opens);
	/* The producer (librdkafka). */
	cf_metrics_family(b, "clarion_flowd_kafka_messages_total",
			  "messages: produced (handed to librdkafka), delivered (acknowledged), "
			  "failed (reported with an error)", CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"outcome", "produced"}), k.produced);
	cf_metrics_u64(b, CF_METRICS_L({"outcome", "delivered"}), k.delivered);
	cf_metrics_u64(b, CF_METRICS_L({"outcome", "failed"}), k.failed);
	cf_metrics_counter1(b, "clarion_flowd_kafka_delivered_bytes_total",
			    "value bytes of acknowledged messages", k.delivered_bytes);
	cf_metrics_counter1(b, "clarion_flowd_kafka_tx_bytes_total",
			    "bytes sent to brokers, compressed and framed (librdkafka statistics)",
			    k.tx_bytes);
	histogram(b, "clarion_flowd_kafka_delivery_latency_seconds",
		  "per message, from the produce call to its acknowledgement", k.lat_le,
		  k.lat_count, k.lat_sum_us);
	histogram(b, "clarion_flowd_kafka_batch_duration_seconds",
		  "per batch, from its first produce call to its last report", d->lat_le,
		  d->lat_count, d->lat_sum_us);
	cf_metrics_gauge1(b, "clarion_flowd_kafka_queue_messages",
			  "messages in librdkafka's queues", (double)k.queue_msgs);
	cf_metrics_gauge1(b, "clarion_flowd_kafka_queue_bytes",
			  "bytes in librdkafka's queues (statistics)", (double)k.queue_bytes);
	codes(b, "clarion_flowd_kafka_message_errors_total",
	      "messages reported with an error, by librdkafka error code", k.msg_err, k.n_msg_err,
	      k.msg_err_other);
	codes(b, "clarion_flowd_kafka_client_errors_total",
	      "librdkafka client errors (connections, brokers down, fatal), by code",
	      k.client_err, k.n_client_err, k.client_err_other);
	cf_metrics_counter1(b, "clarion_flowd_kafka_producer_restarts_total",
			    "producers recreated after a fatal librdkafka error", k.restarts);
	cf_metrics_family(b, "clarion_flowd_kafka_broker_state",
			  "each broker's connection state (librdkafka statistics; 1 for the current "
			  "one)", CF_METRICS_GAUGE);
	for (i = 0; i < k.n_brokers; i++)
		cf_metrics_u64(b, CF_METRICS_L({"broker", k.brokers[i].name},
					       {"state", k.brokers[i].state}), 1);
	cf_metrics_family(b, "clarion_flowd_kafka_broker_rtt_seconds",
			  "each broker's average request round trip (librdkafka statistics)",
			  CF_METRICS_GAUGE);
	for (i = 0; i < k.n_brokers; i++)
		cf_metrics_f64(b, CF_METRICS_L({"broker", k.brokers[i].name}),
			       (double)k.brokers[i].rtt_avg_us / 1e6);
	cf_metrics_gauge1(b, "clarion_flowd_kafka_all_brokers_down",
			  "1 when librdkafka reports every broker down", k.all_brokers_down);

	/* The Clarion summary: without HTTP, "sent" is what Kafka took. */
	if (cf_output_find(cpl.ctl->out, "http") == NULL)
		cf_metrics_summary_set(b, "total_sent", (double)d->delivered);
	if (cf_metrics_summary_get(b, "pending", &v))
		cf_metrics_summary_set(b, "pending", v + (double)(pending + d->spooled));
	if (cf_metrics_summary_get(b, "errors", &v))
		cf_metrics_summary_set(b, "errors",
				       v + (double)(d->dead_lettered + d->dropped_total));
}

static void
kafka_health(struct cf_metrics_health *h, void *arg)
{
	struct cf_output_delivery_stats s;
	struct cf_delivery_kafka_stats k;
	int rc;

	(void)arg;
	pthread_mutex_lock(&cpl.lock);
	rc = read_stats(&s, &k);
	pthread_mutex_unlock(&cpl.lock);
	if (rc != 0)
		return;
	/* As for HTTP: long enough down to open the circuit is unhealthy. */
	if (s.dl.breaker_state != CF_DELIVERY_BREAKER_CLOSED)
		cf_metrics_health_reason(h, CF_METRICS_UNHEALTHY, "kafka_circuit_open",
					 "Kafka circuit breaker open: records go to the spool");
	else if (k.all_brokers_down)
		cf_metrics_health_reason(h, CF_METRICS_DEGRADED, "kafka_brokers_down",
					 "librdkafka reports every Kafka broker down");
	if (k.fatal)
		cf_metrics_health_reason(h, CF_METRICS_UNHEALTHY, "kafka_fatal",
					 "the Kafka producer hit a fatal error; being recreated");
	if (cpl.cfg->spool_max_bytes > 0 && s.dl.spool_bytes * 10 > cpl.cfg->spool_max_bytes * 8)
		cf_metrics_health_reason(h, CF_METRICS_DEGRADED, "kafka_spool_high",
					 "Kafka spool %" PRIu64 " %% full",
					 s.dl.spool_bytes * 100 / cpl.cfg->spool_max_bytes);
}

/* /clarion/kafka: the ledger, the breaker and the producer's totals. */
static int
tel_kafka(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct cf_output_delivery_stats s;
	struct cf_delivery_kafka_stats k;
	unsigned int i, up = 0;
	int rc;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&cpl.lock);
	rc = read_stats(&s, &k);
	pthread_mutex_unlock(&cpl.lock);
	if (rc != 0)
		return -ENODEV;
	for (i = 0; i < k.n_brokers; i++)
		up += strcmp(k.brokers[i].state, "UP") == 0;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "received", s.received);
	rte_tel_data_add_dict_u64(d, "delivered", s.dl.delivered);
	rte_tel_data_add_dict_u64(d, "pending", s.open + s.dl.ring_records + s.dl.pending);
	rte_tel_data_add_dict_u64(d, "spooled", s.dl.spooled);
	rte_tel_data_add_dict_u64(d, "dead_lettered", s.dl.dead_lettered);
	rte_tel_data_add_dict_u64(d, "dropped", s.dl.dropped_total);
	rte_tel_data_add_dict_u64(d, "recovered", s.dl.recovered);
	rte_tel_data_add_dict_string(d, "breaker",
				     cf_delivery_breaker_name((enum cf_delivery_breaker_state)
							      s.dl.breaker_state));
	rte_tel_data_add_dict_u64(d, "messages_produced", k.produced);
	rte_tel_data_add_dict_u64(d, "messages_delivered", k.delivered);
	rte_tel_data_add_dict_u64(d, "messages_failed", k.failed);
	rte_tel_data_add_dict_u64(d, "delivered_bytes", k.delivered_bytes);
	rte_tel_data_add_dict_u64(d, "queue_messages", k.queue_msgs);
	rte_tel_data_add_dict_u64(d, "brokers", k.n_brokers);
	rte_tel_data_add_dict_u64(d, "brokers_up", up);
	rte_tel_data_add_dict_u64(d, "all_brokers_down", (uint64_t)k.all_brokers_down);
	return 0;
}

int
cpl_kafka_register(void)
{
	struct cf_delivery_kafka_stats k;

	if (cf_output_kafka_stats(cpl.ctl->out, &k) != 0)
		return 0;
	if (cf_metrics_register("kafka", kafka_provider, NULL) != 0 ||
	    cf_metrics_health_register("kafka", kafka_health, NULL) != 0 ||
	    rte_telemetry_register_cmd("/clarion/kafka", tel_kafka,
				       "Kafka output: ledger, breaker, producer. No parameters") != 0)
		return -1;
	return 0;
}

void
cpl_kafka_unregister(void)
{
	cf_metrics_unregister("kafka");
}
