/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cf_log.h"
#include "cf_outputs.h"
#include "cf_startup.h"

#define EXIT_USAGE 2

/* The engine keeps pointers to these strings for the life of the process. */
static char url[1024], base_url[1024];

const char *
cf_outputs_post_url(void)
{
	return url;
}

void
cf_outputs_set_post_url(const char *post)
{
	snprintf(url, sizeof(url), "%s", post);
}

static struct cf_output *
open_http(const struct cf_config *cfg, int *status, char *err, size_t errlen)
{
	struct cf_output_http_config hc;
	struct cf_output *o;
	int had_path;

	*status = EXIT_USAGE;
	/* Checked before the EAL started (cf_startup_check): this only builds them. */
	if (cf_startup_backend_url(cfg->backend_url, cfg->backend_path, url, sizeof(url), base_url,
				   sizeof(base_url), &had_path, err, errlen) != 0)
		return NULL;
	if (had_path)
		CF_LOG(NOTICE, "--backend-url already ends in %s: posting to %s (not doubling it)\n",
		       cfg->backend_path, url);
	memset(&hc, 0, sizeof(hc));
	hc.batch_size = cfg->batch_size;
	hc.batch_interval_ms = cfg->batch_interval_ms ? cfg->batch_interval_ms :
							(uint64_t)cfg->batch_interval * 1000;
	hc.dl.url = url;
	/* Agent sketches go to their own paths on the same backend. */
	hc.dl.base_url = base_url;
	hc.dl.token = cfg->backend_token;
	hc.dl.ca_file = cfg->ca_file;
	hc.dl.insecure = cfg->insecure;
	hc.dl.compress = cfg->compress;
	hc.dl.concurrency = cfg->upload_concurrency;
	hc.dl.connect_timeout_ms = cfg->connect_timeout_ms;
	hc.dl.timeout_ms = cfg->request_timeout_ms;
	hc.dl.retry_attempts = cfg->retry_attempts;
	hc.dl.backoff.initial_ms = cfg->retry_initial_ms;
	hc.dl.backoff.max_ms = cfg->retry_max_ms;
	hc.dl.backoff.factor = cfg->retry_backoff;
	hc.dl.breaker_threshold = cfg->breaker_threshold;
	hc.dl.breaker_cooldown_ms = cfg->breaker_cooldown_ms;
	hc.dl.spool_dir = cfg->spool_dir;
	hc.dl.spool_max_bytes = cfg->spool_max_bytes;
	hc.dl.spool_fsync = cfg->spool_fsync;
	hc.dl.spool_full = cfg->spool_full;
	hc.dl.dead_letter_dir = cfg->dead_letter_dir;
	hc.dl.dead_letter_max_bytes = cfg->dead_letter_max_bytes;
	hc.dl.shutdown_timeout_ms = (uint64_t)cfg->shutdown_timeout * 1000;
	hc.dl.ring_size = 128;  /* x batch size of records in memory at most */

	o = cf_output_open_http(&hc, err, errlen);
	if (o == NULL) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "delivery: %s", why);
		*status = 1;
		return NULL;
	}
	CF_LOG(INFO, "delivering to %s (batch %u records / %" PRIu64 " ms, %u in flight)\n",
	       url, hc.batch_size, hc.batch_interval_ms, hc.dl.concurrency);
	if (cfg->spool_dir[0] == '\0') {
		CF_LOG(WARNING, "--spool-dir none: while the backend is unreachable, records are "
		       "dropped (counted no_spool), not kept\n");
	} else {
		char dl[1024];

		cf_delivery_dead_letter_dir(dl, sizeof(dl), cfg->dead_letter_dir, cfg->spool_dir);
		CF_LOG(INFO, "spool %s%s%s%s (budget %" PRIu64 " bytes); dead letters %s\n",
		       cfg->spool_dir, cfg->spool_origin ? " (default: " : "",
		       cfg->spool_origin ? cfg->spool_origin : "",
		       cfg->spool_origin ? "; --spool-dir DIR for another, none for no spool)" : "",
		       cfg->spool_max_bytes, dl[0] ? dl : "not kept (--dead-letter-dir none)");
	}
	return o;
}

void
cf_outputs_ledger(const struct cf_output *o, const char *scheme, struct cf_outputs_ledger *l)
{
	struct cf_output_delivery_stats s;
	const struct cf_delivery_stats *k = &s.dl;

	memset(l, 0, sizeof(*l));
	if (scheme != NULL)
		o = cf_output_find(o, scheme);
	else if (cf_output_find(o, "http") != NULL)
		o = cf_output_find(o, "http");
	if (o == NULL) {
		l->balanced = 1;
		return;
	}
	/* Records lost before a batch (out of memory) never reached the engine. */
	l->received = o->stats.records + o->stats.failed;
	l->dropped = o->stats.failed;
	if (cf_output_delivery_stats_of(o, o->ops->scheme, &s) != 0) {
		l->delivered = o->stats.records;
		l->balanced = 1;
		return;
	}
	l->sketches = k->req_items_submitted;
	l->recovered = k->recovered;
	l->delivered = k->delivered;
	l->in_batch = s.open;
	l->in_flight = k->in_flight;
	l->pending = s.open + k->ring_records + k->pending;
	l->spooled = k->spooled;
	l->dead_lettered = k->dead_lettered;
	l->dropped += k->dropped_total;
	l->balanced = l->received + l->sketches + l->recovered ==
		      l->delivered + l->pending + l->spooled + l->dead_lettered + l->dropped;
}

static struct cf_output *
open_primary(const struct cf_config *cfg, int *status, char *err, size_t errlen)
{
	struct cf_output *o;
	char why[512];

	if (cfg->backend_url[0] != '\0')
		return open_http(cfg, status, err, errlen);
	o = cf_output_open_sink((enum cf_output_sink)cfg->output.kind, cfg->output.arg, why,
				sizeof(why));
	if (o == NULL) {
		snprintf(err, errlen, "--output: %s", why);
		*status = EXIT_USAGE;
	}
	return o;
}

struct cf_output *
cf_outputs_open(const struct cf_config *cfg, int *status, char *err, size_t errlen)
{
	struct cf_output *o[2] = { NULL, NULL }, *tee;
	char why[512];

	/* Kafka alone replaces the default --output; beside HTTP or a given --output, both run. */
	if (cfg->kafka_brokers[0] == '\0' || cfg->backend_url[0] != '\0' || cfg->output_given) {
		o[0] = open_primary(cfg, status, err, errlen);
		if (o[0] == NULL || cfg->kafka_brokers[0] == '\0')
			return o[0];
	}
	o[1] = cf_outputs_open_kafka(cfg, status, err, errlen);
	if (o[1] == NULL || o[0] == NULL) {
		cf_output_close(o[0]);
		return o[1];
	}
	tee = cf_output_open_tee(o, 2, why, sizeof(why));
	if (tee == NULL) {
		snprintf(err, errlen, "%s", why);
		*status = 1;
		cf_output_close(o[0]);
		cf_output_close(o[1]);
	}
	return tee;
}
