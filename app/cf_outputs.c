/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cf_log.h"
#include "cf_outputs.h"

#define EXIT_USAGE 2

static struct cf_output *
open_http(const struct cf_config *cfg, int *status, char *err, size_t errlen)
{
	/* The engine keeps pointers to these strings for the life of the process. */
	static char url[1024], base_url[1024];
	struct cf_output_http_config hc;
	struct cf_output *o;

	*status = EXIT_USAGE;
	if (snprintf(url, sizeof(url), "%s%s", cfg->backend_url, cfg->backend_path) >=
	    (int)sizeof(url)) {
		snprintf(err, errlen, "--backend-url plus --backend-path too long");
		return NULL;
	}
	/* "http://host/" + "/api/..." would POST to "//api/..." */
	if (cfg->backend_url[strlen(cfg->backend_url) - 1] == '/' && cfg->backend_path[0] == '/') {
		url[strlen(cfg->backend_url) - 1] = '\0';
		strcat(url, cfg->backend_path);
	}
	memset(&hc, 0, sizeof(hc));
	hc.batch_size = cfg->batch_size;
	hc.batch_interval_ms = cfg->batch_interval_ms ? cfg->batch_interval_ms :
							(uint64_t)cfg->batch_interval * 1000;
	hc.dl.url = url;
	/* Agent sketches go to their own paths on the same backend. */
	snprintf(base_url, sizeof(base_url), "%s", cfg->backend_url);
	while (base_url[0] && base_url[strlen(base_url) - 1] == '/')
		base_url[strlen(base_url) - 1] = '\0';
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
	CF_LOG(INFO, "delivering to %s (batch %u records / %" PRIu64 " ms, %u in flight, spool %s)\n",
	       url, hc.batch_size, hc.batch_interval_ms, hc.dl.concurrency,
	       cfg->spool_dir[0] ? cfg->spool_dir : "off");
	return o;
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
