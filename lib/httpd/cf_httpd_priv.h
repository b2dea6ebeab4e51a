/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_HTTPD_PRIV_H
#define CF_HTTPD_PRIV_H

/* Internal to lib/httpd: the server state and response helpers both roles share. */

#include <time.h>

#include <microhttpd.h>

#include "cf_httpd.h"

/* Label values of clarion_flowd_http_requests_total{path}: bounded on purpose. */
enum cf_httpd_route {
	R_HEALTH, R_METRICS, R_TEMPLATES, R_SKETCHES, R_SKETCHES_BIN, R_OTHER, R_MAX
};

#define CF_HTTPD_N_STATUS 10
#define CF_HTTPD_N_DUR 10

/* One request: its route and, for POSTs, the body read so far. */
struct cf_httpd_req {
	enum cf_httpd_route route;
	int early;                 /* answered before the body was read */
	int too_large;
	char *body;
	size_t len, cap;
};

struct cf_httpd_server {
	struct MHD_Daemon *d;
	struct cf_httpd_config cfg;
	const char *role_name;
	char bind[64];
	char service[64];
	char version[32];
	char backend_url[512];
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
