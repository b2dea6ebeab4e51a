/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "cf_httpd.h"
#include "cf_metrics.h"

/* Label values of clarion_flowd_http_requests_total: bounded on purpose. */
enum route { R_HEALTH, R_METRICS, R_OTHER, R_MAX };
static const char *const route_names[R_MAX] = { "/health", "/metrics", "other" };

static const unsigned int statuses[] = { 200, 400, 404, 405, 500, 503 };
#define N_STATUS (sizeof(statuses) / sizeof(statuses[0]))

/* Request duration buckets, seconds. */
static const double dur_le[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1 };
#define N_DUR (sizeof(dur_le) / sizeof(dur_le[0]))

struct cfh_server {
	struct MHD_Daemon *d;
	struct cfh_config cfg;
	char bind[64];
	char service[64];
	char version[32];
	char backend_url[512];
	struct timespec start;
	/* Written by the server threads with relaxed atomics, read by the provider. */
	uint64_t requests[R_MAX][N_STATUS + 1];
	uint64_t dur_bucket[R_MAX][N_DUR];
	uint64_t dur_count[R_MAX];
	uint64_t dur_sum_ns[R_MAX];
};

static double
elapsed_s(const struct timespec *from)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - from->tv_sec) + (double)(now.tv_nsec - from->tv_nsec) / 1e9;
}

static void
count(struct cfh_server *s, enum route r, unsigned int status, double dur)
{
	unsigned int i;

	for (i = 0; i < N_STATUS && statuses[i] != status; i++)
		;
	__atomic_fetch_add(&s->requests[r][i], 1, __ATOMIC_RELAXED);
	for (i = 0; i < N_DUR; i++)
		if (dur <= dur_le[i])
			__atomic_fetch_add(&s->dur_bucket[r][i], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->dur_count[r], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->dur_sum_ns[r], (uint64_t)(dur * 1e9), __ATOMIC_RELAXED);
}

static void
http_provider(struct cfm_builder *b, void *ctx)
{
	struct cfh_server *s = ctx;
	unsigned int r, i;

	cfm_family(b, "clarion_flowd_http_requests_total",
		   "HTTP requests served by the control plane, by path and status", CFM_COUNTER);
	for (r = 0; r < R_MAX; r++) {
		for (i = 0; i <= N_STATUS; i++) {
			uint64_t n = __atomic_load_n(&s->requests[r][i], __ATOMIC_RELAXED);
			char code[16];

			if (n == 0)
				continue;
			if (i < N_STATUS)
				snprintf(code, sizeof(code), "%u", statuses[i]);
			else
				snprintf(code, sizeof(code), "other");
			cfm_u64(b, CFM_L({"path", route_names[r]}, {"code", code}), n);
		}
	}
	cfm_family(b, "clarion_flowd_http_request_duration_seconds",
		   "time to build and queue a control-plane HTTP response", CFM_HISTOGRAM);
	for (r = 0; r < R_MAX; r++) {
		uint64_t cum[N_DUR], n = __atomic_load_n(&s->dur_count[r], __ATOMIC_RELAXED);

		for (i = 0; i < N_DUR; i++) {
			cum[i] = __atomic_load_n(&s->dur_bucket[r][i], __ATOMIC_RELAXED);
			/* Bucket and count are read separately: keep them consistent. */
			if (cum[i] > n)
				n = cum[i];
		}
		cfm_histogram(b, CFM_L({"path", route_names[r]}), dur_le, cum, N_DUR,
			      (double)__atomic_load_n(&s->dur_sum_ns[r], __ATOMIC_RELAXED) / 1e9, n);
	}
}

static enum MHD_Result
respond(struct MHD_Connection *c, unsigned int status, const char *ctype, char *body, size_t len,
	const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Serialises j (and deletes it) into a JSON response. */
static enum MHD_Result
respond_json(struct MHD_Connection *c, unsigned int status, cJSON *j, unsigned int *sent)
{
	char *txt = j ? cJSON_PrintUnformatted(j) : NULL;

	cJSON_Delete(j);
	if (txt == NULL) {
		static const char oom[] = "{\"error\":\"out of memory\"}";

		txt = strdup(oom);
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		if (txt == NULL)
			return MHD_NO;
	}
	*sent = status;
	return respond(c, status, "application/json", txt, strlen(txt), NULL);
}

static enum MHD_Result
error_json(struct MHD_Connection *c, unsigned int status, const char *msg, const char *allow,
	   unsigned int *sent)
{
	cJSON *j = cJSON_CreateObject();
	char *txt;

	cJSON_AddStringToObject(j, "error", msg);
	txt = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (txt == NULL)
		return MHD_NO;
	*sent = status;
	return respond(c, status, "application/json", txt, strlen(txt), allow);
}

static void
add_identity(cJSON *j, const struct cfh_server *s)
{
	cJSON_AddStringToObject(j, "service", s->service);
	cJSON_AddStringToObject(j, "version", s->version);
	cJSON_AddNumberToObject(j, "uptime_s", (double)(uint64_t)elapsed_s(&s->start));
	if (s->backend_url[0])
		cJSON_AddStringToObject(j, "backend_url", s->backend_url);
	else
		cJSON_AddNullToObject(j, "backend_url");
}

static enum MHD_Result
serve_health(struct cfh_server *s, struct MHD_Connection *c, unsigned int *sent)
{
	struct cfm_health *h = cfm_health_new();
	enum cfm_status st;
	cJSON *j;

	if (h == NULL)
		return error_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL, sent);
	st = cfm_health_collect(h);
	j = cJSON_CreateObject();
	if (j != NULL) {
		cJSON_AddStringToObject(j, "status", cfm_status_name(st));
		cJSON_AddItemToObject(j, "reasons", cfm_health_reasons_json(h));
		add_identity(j, s);
	}
	cfm_health_free(h);
	return respond_json(c, st == CFM_UNHEALTHY ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, j,
			    sent);
}

/* 1: Prometheus text, 0: JSON, -1: unknown ?format. */
static int
want_prometheus(struct MHD_Connection *c)
{
	const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);

	if (fmt != NULL) {
		if (strcasecmp(fmt, "prometheus") == 0 || strcasecmp(fmt, "text") == 0)
			return 1;
		if (strcasecmp(fmt, "json") == 0)
			return 0;
		return -1;
	}
	/* We always answer 0.0.4 text; OpenMetrics parsers in Prometheus accept it. */
	return accept != NULL && (strcasestr(accept, "text/plain") != NULL ||
				  strcasestr(accept, "application/openmetrics-text") != NULL);
}

static const char *const clarion_keys[] = { "total_received", "total_sent", "pending", "errors" };

static enum MHD_Result
serve_metrics(struct cfh_server *s, struct MHD_Connection *c, unsigned int *sent)
{
	struct cfm_builder *b;
	int prom = want_prometheus(c);
	unsigned int i;
	double v;

	if (prom < 0)
		return error_json(c, MHD_HTTP_BAD_REQUEST, "format must be prometheus or json",
				  NULL, sent);
	b = cfm_builder_new();
	if (b == NULL)
		return error_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL, sent);
	cfm_collect(b);
	if (prom) {
		size_t len;
		char *txt = cfm_render_prometheus(b, &len);

		cfm_builder_free(b);
		if (txt == NULL)
			return error_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL,
					  sent);
		*sent = MHD_HTTP_OK;
		return respond(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", txt, len,
			       NULL);
	}
	/* The keys the Clarion UI reads are always there, even before any provider sets them. */
	for (i = 0; i < sizeof(clarion_keys) / sizeof(clarion_keys[0]); i++)
		if (!cfm_summary_get(b, clarion_keys[i], &v))
			cfm_summary_set(b, clarion_keys[i], 0);
	cfm_summary_set(b, "batch_size", s->cfg.batch_size);
	cfm_summary_set(b, "batch_interval_seconds", s->cfg.batch_interval_s);
	{
		cJSON *j = cfm_render_json(b);

		cfm_builder_free(b);
		if (j != NULL)
			add_identity(j, s);
		return respond_json(c, MHD_HTTP_OK, j, sent);
	}
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct cfh_server *s = cls;
	struct timespec t0;
	enum route r = R_OTHER;
	unsigned int sent = 0;
	enum MHD_Result ret;
	int get;

	(void)version;
	(void)upload_data;
	/* A request body (wrong method anyway) is read and discarded before answering. */
	if (*con_cls == NULL) {
		*con_cls = s;
		if (*upload_data_size == 0 && strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(url, "/health") == 0)
		r = R_HEALTH;
	else if (strcmp(url, "/metrics") == 0)
		r = R_METRICS;
	get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

	if (r == R_OTHER)
		ret = error_json(c, MHD_HTTP_NOT_FOUND, "not found", NULL, &sent);
	else if (!get)
		ret = error_json(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", "GET, HEAD",
				 &sent);
	else if (r == R_HEALTH)
		ret = serve_health(s, c, &sent);
	else
		ret = serve_metrics(s, c, &sent);
	count(s, r, sent, elapsed_s(&t0));
	return ret;
}

struct cfh_server *
cfh_start(const struct cfh_config *cfg, char *err, size_t errlen)
{
	struct cfh_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr *sa;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	int rc;

	if (s == NULL) {
		snprintf(err, errlen, "control plane: out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	snprintf(s->bind, sizeof(s->bind), "%s", cfg->bind);
	snprintf(s->service, sizeof(s->service), "%s", cfg->service);
	snprintf(s->version, sizeof(s->version), "%s", cfg->version);
	snprintf(s->backend_url, sizeof(s->backend_url), "%s", cfg->backend_url ? cfg->backend_url : "");
	clock_gettime(CLOCK_MONOTONIC, &s->start);

	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, cfg->bind, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons(cfg->port);
		sa = (struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, cfg->bind, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(cfg->port);
		sa = (struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, errlen, "--http-bind: '%s' is not an IPv4 or IPv6 address", cfg->bind);
		free(s);
		return NULL;
	}
	s->d = MHD_start_daemon(flags, cfg->port, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_THREAD_POOL_SIZE, cfg->threads ? cfg->threads : 2u,
				MHD_OPTION_CONNECTION_LIMIT, 1024u,
				MHD_OPTION_CONNECTION_TIMEOUT, 15u,
				MHD_OPTION_END);
	if (s->d == NULL) {
		snprintf(err, errlen, "control plane: cannot listen on %s port %u (taken, or not "
			 "an address of this host); choose --http-port/--http-bind, 0 disables",
			 cfg->bind, cfg->port);
		free(s);
		return NULL;
	}
	rc = cfm_register("http", http_provider, s);
	if (rc != 0) {
		snprintf(err, errlen, "control plane: metrics provider 'http': %s", strerror(-rc));
		MHD_stop_daemon(s->d);
		free(s);
		return NULL;
	}
	return s;
}

void
cfh_stop(struct cfh_server *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->d);
	cfm_unregister("http");
	free(s);
}
