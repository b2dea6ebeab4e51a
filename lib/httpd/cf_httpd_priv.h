/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_HTTPD_PRIV_H
#define CF_HTTPD_PRIV_H

/* Internal to lib/httpd: the server state and response helpers both roles share. */

#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "cf_httpd.h"

/* Label values of clarion_flowd_http_requests_total{path}: bounded on purpose. */
enum cf_httpd_route {
	R_HEALTH, R_METRICS, R_TEMPLATES, R_SKETCHES, R_SKETCHES_BIN, R_OTHER, R_MAX
};

#define CF_HTTPD_N_STATUS 11
#define CF_HTTPD_N_DUR 10

/* Why a connection or request was refused before it was served. */
enum cf_httpd_refusal { CF_HTTPD_REF_PER_CLIENT, CF_HTTPD_REF_DEADLINE, CF_HTTPD_REF_BUDGET,
			CF_HTTPD_REF_MAX };

/* One request: its route and, for POSTs, the body read so far. */
struct cf_httpd_req {
	enum cf_httpd_route route;
	int early;                 /* answered before the body was read */
	int too_large;
	int over_budget;           /* the server's body budget was used up: 503 */
	char *body;
	size_t len, cap;           /* cap bytes are counted in the server's body budget */
};

/* One TCP connection (MHD socket context), in the server's list for the reaper. */
struct cf_httpd_conn {
	struct cf_httpd_conn *prev, *next;
	int fd;
	int reaped;                /* shut down by the reaper once */
	uint64_t start_us;         /* start of its current request (accept, or the end of the last) */
	struct sockaddr_storage peer;
	socklen_t peer_len;
};

struct cf_httpd_server {
	struct MHD_Daemon *d;
	struct cf_httpd_config cfg;
	const char *role_name;
	char bind[64];
	char service[64];
	char version[32];
	char backend_url[512];     /* and cfg.batch_*: under id_lock (cf_httpd_set_backend) */
	pthread_mutex_t id_lock;
	char token[256];
	struct cf_httpd_forwarder fwd;
	int has_fwd;
	struct cf_httpd_page templates;
	int has_templates;
	uint64_t start_us;       /* cf_clock_mono_us() at start */
	/* Written by the server threads with relaxed atomics, read by the provider. */
	uint64_t requests[R_MAX][CF_HTTPD_N_STATUS + 1];
	uint64_t dur_bucket[R_MAX][CF_HTTPD_N_DUR];
	uint64_t dur_count[R_MAX];
	uint64_t dur_sum_ns[R_MAX];
	uint64_t sketches[2];      /* [0] JSON, [1] binary requests accepted */
	uint64_t sketch_items;     /* sketches in accepted JSON/binary requests */
	uint64_t sketch_bytes;
	uint64_t not_forwarded;    /* accepted with no forwarder connected */
	uint64_t fwd_refused;      /* forwarder said -EAGAIN or failed */
	uint64_t malformed;        /* agent requests answered 400 by cf_httpd_agent_check() */
	uint64_t no_token;         /* 403: a forwarder but no --agent-token */
	uint64_t refused[CF_HTTPD_REF_MAX];
	/* Connections, for the per-client limit and the request deadline (lock). */
	pthread_mutex_t lock;
	struct cf_httpd_conn *conns;
	unsigned int n_conns;
	pthread_t reaper;
	int reaper_on;
	volatile int stopping;
	uint64_t body_bytes;       /* request body capacity held now (atomic) */
};

enum MHD_Result cf_httpd_respond(struct MHD_Connection *c, unsigned int status, const char *ctype,
				 char *body, size_t len, const char *hdr, const char *hdr_value,
				 unsigned int *sent);
enum MHD_Result cf_httpd_error(struct MHD_Connection *c, unsigned int status, const char *msg,
			       const char *hdr, const char *hdr_value, unsigned int *sent);

/* Agent role (cf_agent.c). */
enum MHD_Result cf_httpd_agent_begin(struct cf_httpd_server *s, struct MHD_Connection *c,
				     struct cf_httpd_req *r, unsigned int *sent);
enum MHD_Result cf_httpd_agent_finish(struct cf_httpd_server *s, struct MHD_Connection *c,
				      struct cf_httpd_req *r, unsigned int *sent);

#endif
