/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cf_clock.h"
#include "cf_httpd_priv.h"
#include "cf_metrics.h"

static const char *const route_names[R_MAX] = {
	[R_HEALTH] = "/health", [R_METRICS] = "/metrics", [R_TEMPLATES] = "/templates",
	[R_SKETCHES] = "/api/edge/sketches",
	[R_SKETCHES_BIN] = "/api/edge/sketches/binary", [R_OTHER] = "other",
};

static const unsigned int statuses[CF_HTTPD_N_STATUS] = {
	200, 202, 400, 401, 403, 404, 405, 413, 500, 503, 0,
};

static const char *const refusal_names[CF_HTTPD_REF_MAX] = {
	[CF_HTTPD_REF_PER_CLIENT] = "per_client_limit",
	[CF_HTTPD_REF_DEADLINE] = "request_deadline",
	[CF_HTTPD_REF_BUDGET] = "body_budget",
};

/* Request duration buckets, seconds. */
static const double dur_le[CF_HTTPD_N_DUR] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1,
};

static double
elapsed_s(uint64_t from_us)
{
	return (double)(cf_clock_mono_us() - from_us) / 1e6;
}

static void
count(struct cf_httpd_server *s, enum cf_httpd_route r, unsigned int status, double dur)
{
	unsigned int i;

	for (i = 0; i < CF_HTTPD_N_STATUS && statuses[i] != status; i++)
		;
	__atomic_fetch_add(&s->requests[r][i], 1, __ATOMIC_RELAXED);
	for (i = 0; i < CF_HTTPD_N_DUR; i++)
		if (dur <= dur_le[i])
			__atomic_fetch_add(&s->dur_bucket[r][i], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->dur_count[r], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->dur_sum_ns[r], (uint64_t)(dur * 1e9), __ATOMIC_RELAXED);
}

static uint64_t
ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Routes a listener serves, for its counters. */
static int
route_of_role(const struct cf_httpd_server *s, enum cf_httpd_route r)
{
	if (r == R_OTHER)
		return 1;
	return s->cfg.role == CF_HTTPD_CONTROL ? (r == R_HEALTH || r == R_METRICS ||
						   (r == R_TEMPLATES && s->has_templates)) :
					    (r == R_SKETCHES || r == R_SKETCHES_BIN);
}

static void
http_provider(struct cf_metrics_builder *b, void *ctx)
{
	struct cf_httpd_server *s = ctx;
	unsigned int r, i;

	cf_metrics_family(b, "clarion_flowd_http_requests_total",
			  "HTTP requests served by the control plane, by listener, path and status",
			  CF_METRICS_COUNTER);
	for (r = 0; r < R_MAX; r++) {
		for (i = 0; i <= CF_HTTPD_N_STATUS; i++) {
			uint64_t n = ld(&s->requests[r][i]);
			char code[16];

			if (n == 0)
				continue;
			if (i < CF_HTTPD_N_STATUS && statuses[i] != 0)
				snprintf(code, sizeof(code), "%u", statuses[i]);
			else
				snprintf(code, sizeof(code), "other");
			cf_metrics_u64(b,
				       CF_METRICS_L({"listener", s->role_name},
						    {"path", route_names[r]}, {"code", code}),
				       n);
		}
	}
	cf_metrics_family(b, "clarion_flowd_http_request_duration_seconds",
			  "time to build and queue a control-plane HTTP response",
			  CF_METRICS_HISTOGRAM);
	for (r = 0; r < R_MAX; r++) {
		uint64_t cum[CF_HTTPD_N_DUR], n = ld(&s->dur_count[r]);

		if (!route_of_role(s, r))
			continue;
		for (i = 0; i < CF_HTTPD_N_DUR; i++) {
			cum[i] = ld(&s->dur_bucket[r][i]);
			/* Read one by one while requests land: keep the series consistent. */
			if (i > 0 && cum[i] < cum[i - 1])
				cum[i] = cum[i - 1];
			if (cum[i] > n)
				n = cum[i];
		}
		cf_metrics_histogram(
			b, CF_METRICS_L({"listener", s->role_name}, {"path", route_names[r]}),
			dur_le, cum, CF_HTTPD_N_DUR, (double)ld(&s->dur_sum_ns[r]) / 1e9, n);
	}
	cf_metrics_family(b, "clarion_flowd_http_refused_total",
			  "connections and requests refused before being served, by reason "
			  "(per-client connection limit, request not read within its deadline, "
			  "request bodies over their memory budget)", CF_METRICS_COUNTER);
	for (r = 0; r < CF_HTTPD_REF_MAX; r++)
		cf_metrics_u64(b,
			       CF_METRICS_L({"listener", s->role_name},
					    {"reason", refusal_names[r]}),
			       ld(&s->refused[r]));
	cf_metrics_family(b, "clarion_flowd_http_connections",
			  "connections open now", CF_METRICS_GAUGE);
	pthread_mutex_lock(&s->lock);
	cf_metrics_u64(b, CF_METRICS_L({"listener", s->role_name}), s->n_conns);
	pthread_mutex_unlock(&s->lock);
	if (s->cfg.role != CF_HTTPD_AGENT)
		return;
	cf_metrics_family(b, "clarion_flowd_agent_rejected_total",
			  "edge-agent requests refused, by reason (malformed: 400 from the "
			  "request checks; no_token: 403, a backend but no --agent-token)",
			  CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"reason", "malformed"}), ld(&s->malformed));
	cf_metrics_u64(b, CF_METRICS_L({"reason", "no_token"}), ld(&s->no_token));
	cf_metrics_family(b, "clarion_flowd_agent_requests_accepted_total",
			  "edge-agent sketch requests accepted (202), by encoding",
			  CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"encoding", "json"}), ld(&s->sketches[0]));
	cf_metrics_u64(b, CF_METRICS_L({"encoding", "binary"}), ld(&s->sketches[1]));
	cf_metrics_family(b, "clarion_flowd_agent_sketches_total",
			  "sketches in accepted edge-agent requests (sketch_count)",
			  CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_NOLABELS, ld(&s->sketch_items));
	cf_metrics_family(b, "clarion_flowd_agent_bytes_total",
			  "bytes of accepted edge-agent bodies", CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_NOLABELS, ld(&s->sketch_bytes));
	cf_metrics_family(b, "clarion_flowd_agent_not_forwarded_total",
			  "accepted edge-agent requests not forwarded, by reason",
			  CF_METRICS_COUNTER);
	cf_metrics_u64(b, CF_METRICS_L({"reason", "no_forwarder"}), ld(&s->not_forwarded));
	cf_metrics_u64(b, CF_METRICS_L({"reason", "forwarder_refused"}), ld(&s->fwd_refused));
}

enum MHD_Result
cf_httpd_respond(struct MHD_Connection *c, unsigned int status, const char *ctype, char *body,
		 size_t len, const char *hdr, const char *hdr_value, unsigned int *sent)
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
	if (hdr != NULL)
		MHD_add_response_header(resp, hdr, hdr_value);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	*sent = status;
	return ret;
}

/* Serialises j (and deletes it) into a JSON response. */
static enum MHD_Result
respond_json(struct MHD_Connection *c, unsigned int status, cJSON *j, unsigned int *sent)
{
	char *txt = j ? cJSON_PrintUnformatted(j) : NULL;

	cJSON_Delete(j);
	if (txt == NULL)
		return cf_httpd_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL,
				      NULL, sent);
	return cf_httpd_respond(c, status, "application/json", txt, strlen(txt), NULL, NULL, sent);
}

enum MHD_Result
cf_httpd_error(struct MHD_Connection *c, unsigned int status, const char *msg, const char *hdr,
	       const char *hdr_value, unsigned int *sent)
{
	cJSON *j = cJSON_CreateObject();
	char *txt;

	cJSON_AddStringToObject(j, "error", msg);
	txt = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (txt == NULL)
		return MHD_NO;
	return cf_httpd_respond(c, status, "application/json", txt, strlen(txt), hdr, hdr_value,
				sent);
}

void
cf_httpd_set_backend(struct cf_httpd_server *s, const char *backend_url, uint32_t batch_size,
		     uint32_t batch_interval_s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->id_lock);
	snprintf(s->backend_url, sizeof(s->backend_url), "%s", backend_url ? backend_url : "");
	s->cfg.batch_size = batch_size;
	s->cfg.batch_interval_s = batch_interval_s;
	pthread_mutex_unlock(&s->id_lock);
}

static void
add_identity(cJSON *j, struct cf_httpd_server *s)
{
	char url[sizeof(s->backend_url)];

	pthread_mutex_lock(&s->id_lock);
	memcpy(url, s->backend_url, sizeof(url));
	pthread_mutex_unlock(&s->id_lock);
	cJSON_AddStringToObject(j, "service", s->service);
	cJSON_AddStringToObject(j, "version", s->version);
	cJSON_AddNumberToObject(j, "uptime_s", (double)(uint64_t)elapsed_s(s->start_us));
	if (url[0])
		cJSON_AddStringToObject(j, "backend_url", url);
	else
		cJSON_AddNullToObject(j, "backend_url");
}

static enum MHD_Result
serve_health(struct cf_httpd_server *s, struct MHD_Connection *c, unsigned int *sent)
{
	struct cf_metrics_health *h = cf_metrics_health_new();
	enum cf_metrics_status st;
	cJSON *j;

	if (h == NULL)
		return cf_httpd_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL,
				      NULL, sent);
	st = cf_metrics_health_collect(h);
	j = cJSON_CreateObject();
	if (j != NULL) {
		cJSON_AddStringToObject(j, "status", cf_metrics_status_name(st));
		cJSON_AddItemToObject(j, "reasons", cf_metrics_health_reasons_json(h));
		add_identity(j, s);
	}
	cf_metrics_health_free(h);
	return respond_json(c,
			    st == CF_METRICS_UNHEALTHY ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK,
			    j, sent);
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
	/* We always answer 0.0.4 text; Prometheus parses it whatever it asked first. */
	return accept != NULL && (strcasestr(accept, "text/plain") != NULL ||
				  strcasestr(accept, "application/openmetrics-text") != NULL);
}

static const char *const clarion_keys[] = { "total_received", "total_sent", "pending", "errors" };

static enum MHD_Result
serve_metrics(struct cf_httpd_server *s, struct MHD_Connection *c, unsigned int *sent)
{
	struct cf_metrics_builder *b;
	int prom = want_prometheus(c);
	unsigned int i;
	cJSON *j;
	double v;
	uint32_t bs, bi;

	if (prom < 0)
		return cf_httpd_error(c, MHD_HTTP_BAD_REQUEST, "format must be prometheus or json",
				      NULL, NULL, sent);
	b = cf_metrics_builder_new();
	if (b == NULL)
		return cf_httpd_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL,
				      NULL, sent);
	cf_metrics_collect(b);
	if (prom) {
		size_t len;
		char *txt = cf_metrics_render_prometheus(b, &len);

		cf_metrics_builder_free(b);
		if (txt == NULL)
			return cf_httpd_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory",
					      NULL, NULL, sent);
		return cf_httpd_respond(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
					txt, len, NULL, NULL, sent);
	}
	/* The keys the Clarion UI reads are always there, even before any provider sets them. */
	for (i = 0; i < sizeof(clarion_keys) / sizeof(clarion_keys[0]); i++)
		if (!cf_metrics_summary_get(b, clarion_keys[i], &v))
			cf_metrics_summary_set(b, clarion_keys[i], 0);
	pthread_mutex_lock(&s->id_lock);
	bs = s->cfg.batch_size;
	bi = s->cfg.batch_interval_s;
	pthread_mutex_unlock(&s->id_lock);
	cf_metrics_summary_set(b, "batch_size", bs);
	cf_metrics_summary_set(b, "batch_interval_seconds", bi);
	j = cf_metrics_render_json(b);
	cf_metrics_builder_free(b);
	if (j != NULL)
		add_identity(j, s);
	return respond_json(c, MHD_HTTP_OK, j, sent);
}

static enum MHD_Result
serve_templates(struct cf_httpd_server *s, struct MHD_Connection *c, unsigned int *sent)
{
	const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "exporter");
	size_t len = 0;
	char *body = s->templates.render(s->templates.arg, q, &len);

	if (body == NULL)
		return cf_httpd_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL,
				      NULL, sent);
	return cf_httpd_respond(c, MHD_HTTP_OK, "application/json", body, len, NULL, NULL, sent);
}

static enum cf_httpd_route
route_of(const struct cf_httpd_server *s, const char *url)
{
	if (s->cfg.role == CF_HTTPD_CONTROL) {
		if (strcmp(url, "/health") == 0)
			return R_HEALTH;
		if (strcmp(url, "/metrics") == 0)
			return R_METRICS;
		if (strcmp(url, "/templates") == 0 && s->has_templates)
			return R_TEMPLATES;
	} else {
		if (strcmp(url, "/api/edge/sketches") == 0)
			return R_SKETCHES;
		if (strcmp(url, "/api/edge/sketches/binary") == 0)
			return R_SKETCHES_BIN;
	}
	return R_OTHER;
}

/* ------------------------------------------------------------- connections */

/* 1 when a and b are the same client address (the port aside). */
static int
same_host(const struct sockaddr *a, const struct sockaddr *b, socklen_t blen)
{
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;

	if (a->sa_family != b->sa_family)
		return 0;
	if (b->sa_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return blen >= sizeof(*b6) && memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

/* Accept policy: at most max_conn_per_client connections from one address. */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct cf_httpd_server *s = cls;
	const struct cf_httpd_conn *k;
	unsigned int same = 0;

	pthread_mutex_lock(&s->lock);
	for (k = s->conns; k != NULL; k = k->next)
		same += same_host((const struct sockaddr *)&k->peer, addr, len);
	pthread_mutex_unlock(&s->lock);
	if (same >= s->cfg.max_conn_per_client) {
		__atomic_fetch_add(&s->refused[CF_HTTPD_REF_PER_CLIENT], 1, __ATOMIC_RELAXED);
		return MHD_NO;
	}
	return MHD_YES;
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
	      enum MHD_ConnectionNotificationCode toe)
{
	struct cf_httpd_server *s = cls;
	struct cf_httpd_conn *k = *socket_context;
	const union MHD_ConnectionInfo *i;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		k = calloc(1, sizeof(*k));
		if (k == NULL)
			return;
		i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		k->fd = i != NULL ? i->connect_fd : -1;
		i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (i != NULL && i->client_addr != NULL) {
			int v6 = i->client_addr->sa_family == AF_INET6;

			k->peer_len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
			memcpy(&k->peer, i->client_addr, k->peer_len);
		}
		k->start_us = cf_clock_mono_us();
		pthread_mutex_lock(&s->lock);
		k->next = s->conns;
		if (s->conns != NULL)
			s->conns->prev = k;
		s->conns = k;
		s->n_conns++;
		pthread_mutex_unlock(&s->lock);
		*socket_context = k;
		return;
	}
	if (k == NULL)
		return;
	/* Closed: before MHD closes the socket, so the reaper never touches a reused fd. */
	pthread_mutex_lock(&s->lock);
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		s->conns = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	s->n_conns--;
	pthread_mutex_unlock(&s->lock);
	free(k);
	*socket_context = NULL;
}

/*
 * MHD's own timeout is an idle timeout, which a trickle of bytes resets. The
 * reaper holds every request to an absolute deadline from its start: a
 * connection still on the same request past it is shut down (MHD then closes it).
 */
static void *
reaper_main(void *arg)
{
	struct cf_httpd_server *s = arg;
	const uint64_t limit_us = (uint64_t)s->cfg.request_timeout_s * 1000000;

	while (!s->stopping) {
		uint64_t now = cf_clock_mono_us();
		struct cf_httpd_conn *k;

		pthread_mutex_lock(&s->lock);
		for (k = s->conns; k != NULL; k = k->next) {
			uint64_t st = __atomic_load_n(&k->start_us, __ATOMIC_RELAXED);

			if (k->reaped || k->fd < 0 || now < st || now - st <= limit_us)
				continue;
			shutdown(k->fd, SHUT_RDWR);
			k->reaped = 1;
			__atomic_fetch_add(&s->refused[CF_HTTPD_REF_DEADLINE], 1, __ATOMIC_RELAXED);
		}
		pthread_mutex_unlock(&s->lock);
		usleep(100000);
	}
	return NULL;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct cf_httpd_server *s = cls;
	struct cf_httpd_req *r = *con_cls;
	const union MHD_ConnectionInfo *i;

	(void)toe;
	/* The next request on this connection starts its own deadline now. */
	i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (i != NULL && i->socket_context != NULL)
		__atomic_store_n(&((struct cf_httpd_conn *)i->socket_context)->start_us,
				 cf_clock_mono_us(), __ATOMIC_RELAXED);
	if (r == NULL)
		return;
	__atomic_fetch_sub(&s->body_bytes, r->cap, __ATOMIC_RELAXED);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct cf_httpd_server *s = cls;
	struct cf_httpd_req *r = *con_cls;
	uint64_t t0;
	unsigned int sent = 0;
	enum MHD_Result ret;
	int get, post;

	(void)version;
	t0 = cf_clock_mono_us();
	get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		*con_cls = r;
		r->route = route_of(s, url);
		if (r->route == R_OTHER)
			ret = cf_httpd_error(c, MHD_HTTP_NOT_FOUND, "not found", NULL, NULL, &sent);
		else if (s->cfg.role == CF_HTTPD_CONTROL && !get)
			ret = cf_httpd_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
					     MHD_HTTP_HEADER_ALLOW, "GET, HEAD", &sent);
		else if (s->cfg.role == CF_HTTPD_AGENT && !post)
			ret = cf_httpd_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
					     MHD_HTTP_HEADER_ALLOW, "POST", &sent);
		else if (r->route == R_HEALTH)
			ret = serve_health(s, c, &sent);
		else if (r->route == R_METRICS)
			ret = serve_metrics(s, c, &sent);
		else if (r->route == R_TEMPLATES)
			ret = serve_templates(s, c, &sent);
		else {
			/* Authentication and size limits before a byte of body is read. */
			ret = cf_httpd_agent_begin(s, c, r, &sent);
			if (sent == 0)
				return ret; /* the body follows */
		}
		r->early = 1;
		count(s, r->route, sent, elapsed_s(t0));
		return ret;
	}
	if (*upload_data_size != 0) {
		/* Body of a request already answered (error) is read and dropped. */
		if (!r->early && !r->too_large && !r->over_budget) {
			size_t n = *upload_data_size, max = s->cfg.max_body;

			if (r->len + n > max) {
				r->too_large = 1;
			} else {
				if (r->len + n > r->cap) {
					size_t ncap = r->cap ? r->cap : 4096, grow;
					char *nb;

					while (ncap < r->len + n)
						ncap *= 2;
					if (ncap > max)
						ncap = max;
					/* Every body in flight together stays within the budget. */
					grow = ncap - r->cap;
					if (__atomic_add_fetch(&s->body_bytes, grow, __ATOMIC_RELAXED) >
					    s->cfg.body_budget) {
						__atomic_fetch_sub(&s->body_bytes, grow, __ATOMIC_RELAXED);
						r->over_budget = 1;
						free(r->body);
						__atomic_fetch_sub(&s->body_bytes, r->cap,
								   __ATOMIC_RELAXED);
						r->body = NULL;
						r->cap = r->len = 0;
						*upload_data_size = 0;
						return MHD_YES;
					}
					nb = realloc(r->body, ncap + 1);
					if (nb == NULL) {
						__atomic_fetch_sub(&s->body_bytes, grow, __ATOMIC_RELAXED);
						return MHD_NO;
					}
					r->body = nb;
					r->cap = ncap;
				}
				memcpy(r->body + r->len, upload_data, n);
				r->len += n;
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->early)
		return MHD_YES;
	r->early = 1;
	if (r->too_large) {
		ret = cf_httpd_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
				     "body larger than --agent-max-body", NULL, NULL, &sent);
	} else if (r->over_budget) {
		__atomic_fetch_add(&s->refused[CF_HTTPD_REF_BUDGET], 1, __ATOMIC_RELAXED);
		ret = cf_httpd_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "too many request bodies in flight, retry later",
				     MHD_HTTP_HEADER_RETRY_AFTER, "1", &sent);
	} else
		ret = cf_httpd_agent_finish(s, c, r, &sent);
	count(s, r->route, sent, elapsed_s(t0));
	return ret;
}

/*
 * libmicrohttpd's own messages (a client that hung up, a header too large)
 * are one per bad connection: a stranger could fill the log. At most one
 * line every 10 s, with the number held back.
 */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	static uint64_t next_us, held;
	uint64_t now = cf_clock_mono_us();
	char line[256];

	(void)cls;
	if (now < __atomic_load_n(&next_us, __ATOMIC_RELAXED)) {
		__atomic_fetch_add(&held, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_store_n(&next_us, now + 10000000, __ATOMIC_RELAXED);
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "httpd: %s%s", line, line[0] && line[strlen(line) - 1] == '\n' ? "" : "\n");
	if (held != 0)
		fprintf(stderr, "httpd: (%" PRIu64 " similar messages held back)\n",
			__atomic_exchange_n(&held, 0, __ATOMIC_RELAXED));
}

/* Reaper, then the daemon (its connections' CLOSED notifications empty the list). */
static void
cf_httpd_stop_threads(struct cf_httpd_server *s)
{
	s->stopping = 1;
	if (s->reaper_on)
		pthread_join(s->reaper, NULL);
	MHD_stop_daemon(s->d);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->id_lock);
}

struct cf_httpd_server *
cf_httpd_start(const struct cf_httpd_config *cfg, int *bad_config, char *err, size_t errlen)
{
	struct cf_httpd_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr *sa;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	const char *flag = cfg->role == CF_HTTPD_CONTROL ? "--http-bind" : "--agent-bind";
	int rc;

	*bad_config = 0;
	if (s == NULL) {
		snprintf(err, errlen, "control plane: out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->role_name = cfg->role == CF_HTTPD_CONTROL ? "control" : "agent";
	if (s->cfg.max_body == 0)
		s->cfg.max_body = 10u << 20;
	if (s->cfg.max_conn_per_client == 0)
		s->cfg.max_conn_per_client = 32;
	if (s->cfg.request_timeout_s == 0)
		s->cfg.request_timeout_s = 10;
	if (s->cfg.body_budget == 0)
		s->cfg.body_budget = (size_t)64 << 20;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->id_lock, NULL);
	snprintf(s->bind, sizeof(s->bind), "%s", cfg->bind);
	snprintf(s->service, sizeof(s->service), "%s", cfg->service ? cfg->service : "");
	snprintf(s->version, sizeof(s->version), "%s", cfg->version ? cfg->version : "");
	snprintf(s->backend_url, sizeof(s->backend_url), "%s", cfg->backend_url ? cfg->backend_url : "");
	snprintf(s->token, sizeof(s->token), "%s", cfg->token ? cfg->token : "");
	if (cfg->fwd != NULL && cfg->fwd->submit != NULL) {
		s->fwd = *cfg->fwd;
		s->has_fwd = 1;
	}
	if (cfg->role == CF_HTTPD_CONTROL && cfg->templates != NULL &&
	    cfg->templates->render != NULL) {
		s->templates = *cfg->templates;
		s->has_templates = 1;
	}
	s->start_us = cf_clock_mono_us();

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
		snprintf(err, errlen, "%s: '%s' is not an IPv4 or IPv6 address", flag, cfg->bind);
		*bad_config = 1;
		free(s);
		return NULL;
	}
	/* Event loops (epoll) with a few threads: a slow client costs a socket, not a thread. */
	s->d = MHD_start_daemon(flags, cfg->port, on_accept, s, on_request, s,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_THREAD_POOL_SIZE, cfg->threads ? cfg->threads : 2u,
				MHD_OPTION_CONNECTION_LIMIT, 4096u,
				MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.request_timeout_s,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				MHD_OPTION_END);
	if (s->d == NULL) {
		snprintf(err, errlen, "cannot listen on %s port %u (in use, or not an address of "
			 "this host)", cfg->bind, cfg->port);
		pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->id_lock);
		free(s);
		return NULL;
	}
	if (pthread_create(&s->reaper, NULL, reaper_main, s) == 0)
		s->reaper_on = 1;
	rc = cf_metrics_register(cfg->role == CF_HTTPD_CONTROL ? "http_control" : "http_agent",
				 http_provider, s);
	if (rc != 0) {
		snprintf(err, errlen, "metrics provider for the %s listener: %s", s->role_name,
			 strerror(-rc));
		*bad_config = 1;
		cf_httpd_stop_threads(s);
		free(s);
		return NULL;
	}
	return s;
}

void
cf_httpd_stop(struct cf_httpd_server *s)
{
	if (s == NULL)
		return;
	/* Unregister first: it waits for a scrape running our provider to finish. */
	cf_metrics_unregister(s->cfg.role == CF_HTTPD_CONTROL ? "http_control" : "http_agent");
	cf_httpd_stop_threads(s);
	free(s);
}

uint16_t
cf_httpd_port(const struct cf_httpd_server *s)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);

	return i != NULL ? i->port : 0;
}
