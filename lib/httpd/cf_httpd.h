/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_HTTPD_H
#define CF_HTTPD_H

/*
 * The control plane's HTTP listeners (libmicrohttpd, their own threads, never
 * an RX lcore). One struct cf_httpd_server per listener, with a role:
 *
 * CF_HTTPD_CONTROL (--http-port, default 8081):
 *  GET /health   JSON {status, reasons, service, version, uptime_s,
 *                backend_url}; 200 when healthy or degraded, 503 unhealthy
 *                (the cf_metrics.h health checks decide).
 *  GET /metrics  Prometheus text 0.0.4 when Accept names text/plain or
 *                application/openmetrics-text (what Prometheus sends), else
 *                the JSON the Clarion UI reads (total_received, total_sent,
 *                pending, errors, batch_size, batch_interval_seconds, then
 *                every metric family). ?format=prometheus|json forces one;
 *                another ?format is 400.
 *  GET /templates  JSON of cfg.templates (the v9/IPFIX template state per
 *                exporter; ?exporter=ADDR: that exporter only); 404 when
 *                no page is configured, 500 when it could not be built.
 * CF_HTTPD_AGENT (--agent-port, default 8080): edge-agent sketch ingest.
 *  POST /api/edge/sketches         JSON {switch_id, sketches[], timestamp?,
 *                sketch_count?}: 400 (JSON error) when not a JSON object, bytes
 *                other than white space follow it, switch_id is missing, empty,
 *                longer than 256 or not printable ASCII, sketches missing/empty,
 *                or sketch_count is not an integer in 0..2^32-1; timestamp
 *                (Unix s) and sketch_count filled in when absent; forwarded as
 *                application/json to the same path.
 *  POST /api/edge/sketches/binary  opaque body, X-Switch-ID required (at most
 *                256 printable ASCII characters, else 400), X-Sketch-Count
 *                optional (digits, 0..2^32-1, else 400), Content-Encoding at
 *                most 64 printable characters; forwarded as
 *                application/octet-stream with those headers (body not decoded).
 *  Malformed input is always 400, never 500 (cf_httpd_agent_check() decides,
 *  without a connection: the fuzzer drives it). With a forwarder and no token
 *  every request is 403: the collector's backend token is not lent to whoever
 *  reaches the port (cf_config refuses --agent-bind beyond loopback without
 *  --agent-token). Body above max_body: 413. token set and no "Authorization:
 *  Bearer <token>" (or X-Agent-Token) match: 401. Accepted: 202 {"status":
 *  "received", "switch_id", "sketches_received", "forwarded"}; forwarded is
 *  false when no forwarder is connected (counted); a forwarder that refuses
 *  (queue full) gives 503 with Retry-After so the agent retries.
 * Both: unknown paths 404, other methods 405 (with Allow); every request is
 * counted in clarion_flowd_http_requests_total{listener, path, code}.
 * Both are bounded against a stranger: at most max_conn_per_client open
 * connections per client address (more are refused at accept), a request
 * must be read whole within request_timeout_s of its start whatever the
 * pace of its bytes (else the connection is closed), and request bodies in
 * flight together hold at most body_budget bytes (beyond it 503 + Retry-After);
 * each refusal is counted in clarion_flowd_http_refused_total{listener,
 * reason}. Connections are served by event loops, not a thread each, so
 * /health answers while a thousand slow clients stay connected.
 *
 * Contract:
 *  - cf_httpd_start() binds and starts the listener's threads; NULL with a
 *    one-line reason in err when the address is invalid (*bad_config = 1) or
 *    the port cannot be bound (*bad_config = 0). Registers a metrics provider
 *    named after the role ("http_control", "http_agent"); one server per role.
 *  - cf_httpd_stop() stops the threads (in-flight requests finish) and frees.
 *  - Requests are served concurrently by the pool's threads: a forwarder's
 *    submit() must be thread safe.
 */

#include <stddef.h>
#include <stdint.h>

struct cf_httpd_server;

/*
 * Where accepted sketches go (the reliable delivery path). submit() copies
 * what it needs before returning. headers: name, value pairs ending in NULL.
 * Returns 0 when accepted (queued or spooled: the agent is answered 202),
 * -EAGAIN when it cannot take more now (503 + Retry-After), any other
 * negative errno on a permanent failure (500).
 */
struct cf_httpd_forwarder {
	int (*submit)(void *ctx, const char *path, const void *body, size_t len,
		      const char *content_type, const char *const *headers);
	void *ctx;
};

enum cf_httpd_role {
	CF_HTTPD_CONTROL,
	CF_HTTPD_AGENT,
};

/*
 * A JSON page built on request (any server thread, concurrently): returns a
 * malloc'd body and its length, or NULL (500). query: the ?exporter= value,
 * or NULL.
 */
struct cf_httpd_page {
	char *(*render)(void *arg, const char *query, size_t *len);
	void *arg;
};

struct cf_httpd_config {
	enum cf_httpd_role role;
	const char *bind;          /* IPv4 or IPv6 literal */
	uint16_t port;
	unsigned int threads;      /* 0 = 2 */
	unsigned int max_conn_per_client; /* 0 = 32 */
	unsigned int request_timeout_s;   /* 0 = 10 */
	size_t body_budget;        /* bytes of request bodies in flight; 0 = 64 MiB */
	/* CF_HTTPD_CONTROL */
	const char *service;
	const char *version;
	const char *backend_url;   /* "" = none (reported as null) */
	uint32_t batch_size;
	uint32_t batch_interval_s;
	const struct cf_httpd_page *templates; /* GET /templates; NULL = 404 */
	/* CF_HTTPD_AGENT */
	size_t max_body;           /* bytes; 0 = 10 MiB */
	const char *token;         /* NULL or "" = no authentication */
	const struct cf_httpd_forwarder *fwd; /* NULL = accept, answer forwarded:false */
};

/* ------------------------------------------------------------- agent requests */

#define CF_HTTPD_SWITCH_ID_MAX 256

/* One agent request as received: the route, three header values (NULL = absent), the body. */
struct cf_httpd_agent_in {
	int binary;                /* 1: /api/edge/sketches/binary */
	const char *switch_id;     /* X-Switch-ID */
	const char *sketch_count;  /* X-Sketch-Count */
	const char *encoding;      /* Content-Encoding */
	const char *body;
	size_t len;
	uint64_t now_s;            /* filled in as the JSON timestamp when absent */
};

struct cf_httpd_agent_out {
	unsigned int status;       /* 0: valid; else the HTTP status (400, or 500 out of memory) */
	const char *error;         /* why, when status != 0 (static text) */
	char *body;                /* what to forward (JSON: rewritten; binary: in->body) */
	size_t len;
	int owned;                 /* body was allocated: cf_httpd_agent_out_free() frees it */
	uint64_t sketches;         /* sketch_count / X-Sketch-Count */
	char switch_id[CF_HTTPD_SWITCH_ID_MAX + 1];
};

/* Pure (any thread): validates and rewrites one request; returns out->status. */
unsigned int cf_httpd_agent_check(const struct cf_httpd_agent_in *in,
				  struct cf_httpd_agent_out *out);
void cf_httpd_agent_out_free(struct cf_httpd_agent_out *out);

struct cf_httpd_server *cf_httpd_start(const struct cf_httpd_config *cfg, int *bad_config,
				       char *err, size_t errlen);
void cf_httpd_stop(struct cf_httpd_server *s);
/* After a configuration reload: the backend URL and batching /health and /metrics
 * report from now on (any thread). */
void cf_httpd_set_backend(struct cf_httpd_server *s, const char *backend_url, uint32_t batch_size,
			  uint32_t batch_interval_s);
/* The port actually bound (cfg.port 0 asks the kernel for a free one, as tests do). */
uint16_t cf_httpd_port(const struct cf_httpd_server *s);

#endif
