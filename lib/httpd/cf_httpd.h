/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_HTTPD_H
#define CF_HTTPD_H

/*
 * The control plane's HTTP server (libmicrohttpd, its own threads, never an
 * RX lcore): GET /health and GET /metrics for the Clarion backend and
 * Prometheus.
 *
 *  /health   JSON {status, reasons, service, version, uptime_s, backend_url};
 *            200 when healthy or degraded, 503 when unhealthy (cf_metrics.h
 *            health checks decide).
 *  /metrics  Prometheus text 0.0.4 when the Accept header names text/plain or
 *            application/openmetrics-text (what Prometheus sends), otherwise
 *            the JSON document the Clarion UI reads (total_received,
 *            total_sent, pending, errors, batch_size, batch_interval_seconds,
 *            then every metric family). ?format=prometheus|json forces one.
 *  Other paths 404, other methods 405 (with Allow); every request is counted
 *  by path and status in clarion_flowd_http_requests_total.
 *
 * Contract:
 *  - cfh_start() binds and starts the server threads; returns NULL with a
 *    one-line reason in err when the address is invalid or the port taken.
 *    It registers the "http" metrics provider (cfm_register); call it once.
 *  - cfh_stop() stops the threads (in-flight requests finish) and frees.
 *  - Thread safe: requests are served concurrently by the pool's threads.
 */

#include <stddef.h>
#include <stdint.h>

struct cfh_server;

struct cfh_config {
	const char *bind;          /* IPv4 or IPv6 literal */
	uint16_t port;
	unsigned int threads;      /* 0 = 2 */
	const char *service;
	const char *version;
	const char *backend_url;   /* "" = none (reported as null) */
	uint32_t batch_size;
	uint32_t batch_interval_s;
};

struct cfh_server *cfh_start(const struct cfh_config *cfg, char *err, size_t errlen);
void cfh_stop(struct cfh_server *s);

#endif
