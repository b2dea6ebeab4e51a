/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Kafka output from the configuration: the delivery engine with the
 * Kafka transport and the same policy settings as HTTP (retry, breaker,
 * concurrency, timeouts, shutdown), its own spool and dead letters in a
 * "kafka" folder of --spool-dir / --dead-letter-dir (each output replays
 * its own backlog to its own destination).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cf_log.h"
#include "cf_outputs.h"

#define EXIT_USAGE 2

/* dir/kafka into out ("" and "none" stay as they are); -1 when it does not fit. */
static int
sub_dir(char *out, size_t len, const char *dir)
{
	if (dir[0] == '\0' || strcmp(dir, "none") == 0) {
		snprintf(out, len, "%s", dir);
		return 0;
	}
	return (size_t)snprintf(out, len, "%s/kafka", dir) >= len ? -1 : 0;
}

struct cf_output *
cf_outputs_open_kafka(const struct cf_config *cfg, int *status, char *err, size_t errlen)
{
	/* The engine copies its strings at start; these only need to live until then. */
	static char spool[600], dl[600];
	struct cf_output_http_config hc;
	struct cf_delivery_kafka_config *k = &hc.dl.kafka;
	struct cf_output *o;
	unsigned int i;
	char why[512];

	*status = EXIT_USAGE;
	if (sub_dir(spool, sizeof(spool), cfg->spool_dir) != 0 ||
	    sub_dir(dl, sizeof(dl), cfg->dead_letter_dir) != 0) {
		snprintf(err, errlen, "kafka: --spool-dir or --dead-letter-dir too long");
		return NULL;
	}
	/* The spool opens (creates) one level: its parent first. */
	if (cfg->spool_dir[0] != '\0' && mkdir(cfg->spool_dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "kafka: --spool-dir '%s': %s", cfg->spool_dir, strerror(errno));
		*status = 1;
		return NULL;
	}
	memset(&hc, 0, sizeof(hc));
	hc.batch_size = cfg->batch_size;
	hc.batch_interval_ms = cfg->kafka_batch_ms;
	hc.dl.transport = CF_DELIVERY_TRANSPORT_KAFKA;
	k->brokers = cfg->kafka_brokers;
	k->topic = cfg->kafka_topic;
	k->key = cfg->kafka_key;
	for (i = 0; i < cfg->kafka_opts.n && i < CF_DELIVERY_KAFKA_OPT_MAX; i++)
		k->opts[i] = cfg->kafka_opts.v[i];
	k->nopts = i;
	hc.dl.concurrency = cfg->upload_concurrency;
	hc.dl.connect_timeout_ms = cfg->connect_timeout_ms;
	hc.dl.timeout_ms = cfg->request_timeout_ms;
	hc.dl.retry_attempts = cfg->retry_attempts;
	hc.dl.backoff.initial_ms = cfg->retry_initial_ms;
	hc.dl.backoff.max_ms = cfg->retry_max_ms;
	hc.dl.backoff.factor = cfg->retry_backoff;
	hc.dl.breaker_threshold = cfg->breaker_threshold;
	hc.dl.breaker_cooldown_ms = cfg->breaker_cooldown_ms;
	hc.dl.spool_dir = spool;
	hc.dl.spool_max_bytes = cfg->spool_max_bytes;
	hc.dl.spool_fsync = cfg->spool_fsync;
	hc.dl.spool_full = cfg->spool_full;
	hc.dl.dead_letter_dir = dl;
	hc.dl.shutdown_timeout_ms = (uint64_t)cfg->shutdown_timeout * 1000;
	hc.dl.ring_size = 128;  /* x batch size of records in memory at most */

	o = cf_output_open_kafka(&hc, why, sizeof(why));
	if (o == NULL) {
		/* Mostly a property librdkafka refused: the user's to fix (exit 2). */
		snprintf(err, errlen, "kafka: %s", why);
		return NULL;
	}
	CF_LOG(INFO, "producing to Kafka topic '%s' at %s (key %s, batch %u records / %u ms, "
	       "%u in flight, spool %s)\n", cfg->kafka_topic, cfg->kafka_brokers,
	       cfg->kafka_key[0] ? cfg->kafka_key : "none", hc.batch_size, cfg->kafka_batch_ms,
	       hc.dl.concurrency, spool[0] ? spool : "off");
	return o;
}
