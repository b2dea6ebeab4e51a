/* SPDX-License-Identifier: BSD-3-Clause */
/* Edge-agent sketch ingest (role CF_HTTPD_AGENT): validate, fill in, hand to the forwarder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cf_clock.h"
#include "cf_httpd_priv.h"

/* Same time whatever the first differing byte: the token is a secret. */
static int
token_ok(const char *want, const char *got)
{
	size_t lw = strlen(want), lg, i;
	unsigned char diff = 0;

	if (got == NULL)
		return 0;
	lg = strlen(got);
	for (i = 0; i < lw; i++)
		diff |= (unsigned char)want[i] ^ (unsigned char)(i < lg ? got[i] : 0);
	return diff == 0 && lg == lw;
}

static int
authorised(const struct cf_httpd_server *s, struct MHD_Connection *c)
{
	const char *auth, *alt;

	if (s->token[0] == '\0')
		return 1;
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	alt = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Agent-Token");
	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0 && token_ok(s->token, auth + 7))
		return 1;
	return token_ok(s->token, alt);
}

enum MHD_Result
cf_httpd_agent_begin(struct cf_httpd_server *s, struct MHD_Connection *c, struct cf_httpd_req *r,
		     unsigned int *sent)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);

	(void)r;
	if (!authorised(s, c))
		return cf_httpd_error(c, MHD_HTTP_UNAUTHORIZED, "missing or wrong agent token",
				      MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer", sent);
	if (cl != NULL && strtoull(cl, NULL, 10) > s->cfg.max_body)
		return cf_httpd_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
				      "body larger than --agent-max-body", NULL, NULL, sent);
	return MHD_YES;
}

/* Hands a body to the forwarder; *forwarded tells the agent. 0, or an HTTP error status. */
static unsigned int
forward(struct cf_httpd_server *s, const char *path, const void *body, size_t len,
	const char *ctype, const char *const *headers, int *forwarded)
{
	int rc;

	*forwarded = 0;
	if (!s->has_fwd) {
		__atomic_fetch_add(&s->not_forwarded, 1, __ATOMIC_RELAXED);
		return 0;
	}
	rc = s->fwd.submit(s->fwd.ctx, path, body, len, ctype, headers);
	if (rc == 0) {
		*forwarded = 1;
		return 0;
	}
	__atomic_fetch_add(&s->fwd_refused, 1, __ATOMIC_RELAXED);
	return rc == -EAGAIN ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR;
}

static enum MHD_Result
accepted(struct cf_httpd_server *s, struct MHD_Connection *c, const char *switch_id, double n,
	 int forwarded, unsigned int *sent)
{
	cJSON *j = cJSON_CreateObject();
	char *txt;

	cJSON_AddStringToObject(j, "status", "received");
	cJSON_AddStringToObject(j, "switch_id", switch_id);
	cJSON_AddNumberToObject(j, "sketches_received", n);
	cJSON_AddBoolToObject(j, "forwarded", forwarded);
	txt = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (txt == NULL)
		return cf_httpd_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL,
				      NULL, sent);
	__atomic_fetch_add(&s->sketch_items, (uint64_t)n, __ATOMIC_RELAXED);
	return cf_httpd_respond(c, MHD_HTTP_ACCEPTED, "application/json", txt, strlen(txt), NULL,
				NULL, sent);
}

static enum MHD_Result
refused(struct MHD_Connection *c, unsigned int status, unsigned int *sent)
{
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		return cf_httpd_error(c, status, "forwarding queue full, retry later",
				      MHD_HTTP_HEADER_RETRY_AFTER, "1", sent);
	return cf_httpd_error(c, status, "forwarding failed", NULL, NULL, sent);
}

static enum MHD_Result
finish_json(struct cf_httpd_server *s, struct MHD_Connection *c, struct cf_httpd_req *r,
	    unsigned int *sent)
{
	cJSON *root = cJSON_ParseWithLength(r->body ? r->body : "", r->len), *sid, *sk, *ts, *cnt;
	enum MHD_Result ret;
	unsigned int status;
	char *out, *id;
	int fwd, n;

	if (root == NULL || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return cf_httpd_error(c, MHD_HTTP_BAD_REQUEST, "body is not a JSON object", NULL,
				      NULL, sent);
	}
	sid = cJSON_GetObjectItemCaseSensitive(root, "switch_id");
	sk = cJSON_GetObjectItemCaseSensitive(root, "sketches");
	ts = cJSON_GetObjectItemCaseSensitive(root, "timestamp");
	cnt = cJSON_GetObjectItemCaseSensitive(root, "sketch_count");
	if (!cJSON_IsString(sid) || sid->valuestring[0] == '\0') {
		cJSON_Delete(root);
		return cf_httpd_error(c, MHD_HTTP_BAD_REQUEST,
				      "switch_id is required (a non-empty string)", NULL, NULL,
				      sent);
	}
	if (!cJSON_IsArray(sk) || cJSON_GetArraySize(sk) == 0) {
		cJSON_Delete(root);
		return cf_httpd_error(c, MHD_HTTP_BAD_REQUEST, "sketches must be a non-empty array",
				      NULL, NULL, sent);
	}
	if ((ts != NULL && !cJSON_IsNull(ts) && !cJSON_IsNumber(ts)) ||
	    (cnt != NULL && !cJSON_IsNull(cnt) && !cJSON_IsNumber(cnt))) {
		cJSON_Delete(root);
		return cf_httpd_error(c, MHD_HTTP_BAD_REQUEST,
				      "timestamp and sketch_count must be numbers", NULL, NULL,
				      sent);
	}
	n = cJSON_GetArraySize(sk);
	if (ts == NULL || cJSON_IsNull(ts)) {
		cJSON_DeleteItemFromObjectCaseSensitive(root, "timestamp");
		cJSON_AddNumberToObject(root, "timestamp", (double)(cf_clock_wall_ms() / 1000));
	}
	if (cnt == NULL || cJSON_IsNull(cnt)) {
		cJSON_DeleteItemFromObjectCaseSensitive(root, "sketch_count");
		cJSON_AddNumberToObject(root, "sketch_count", n);
	}
	out = cJSON_PrintUnformatted(root);
	id = strdup(sid->valuestring);
	cJSON_Delete(root);
	if (out == NULL || id == NULL) {
		free(out);
		free(id);
		return cf_httpd_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL,
				      NULL, sent);
	}
	{
		static const char *const no_headers[] = { NULL };

		status = forward(s, "/api/edge/sketches", out, strlen(out), "application/json",
				 no_headers, &fwd);
	}
	if (status != 0) {
		ret = refused(c, status, sent);
	} else {
		__atomic_fetch_add(&s->sketches[0], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&s->sketch_bytes, r->len, __ATOMIC_RELAXED);
		ret = accepted(s, c, id, n, fwd, sent);
	}
	free(out);
	free(id);
	return ret;
}

static enum MHD_Result
finish_binary(struct cf_httpd_server *s, struct MHD_Connection *c, struct cf_httpd_req *r,
	      unsigned int *sent)
{
	const char *sid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Switch-ID");
	const char *cnt = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Sketch-Count");
	const char *enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_CONTENT_ENCODING);
	const char *headers[7];
	unsigned long long n = 0;
	unsigned int status, k = 0;
	int fwd;

	if (sid == NULL || sid[0] == '\0')
		return cf_httpd_error(c, MHD_HTTP_BAD_REQUEST, "X-Switch-ID header is required",
				      NULL, NULL, sent);
	if (cnt != NULL) {
		char *end;

		errno = 0;
		n = strtoull(cnt, &end, 10);
		if (errno != 0 || end == cnt || *end != '\0' || cnt[0] == '-')
			return cf_httpd_error(c, MHD_HTTP_BAD_REQUEST,
					      "X-Sketch-Count must be a non-negative integer", NULL,
					      NULL, sent);
	}
	if (r->len == 0)
		return cf_httpd_error(c, MHD_HTTP_BAD_REQUEST, "empty body", NULL, NULL, sent);
	headers[k++] = "X-Switch-ID";
	headers[k++] = sid;
	if (cnt != NULL) {
		headers[k++] = "X-Sketch-Count";
		headers[k++] = cnt;
	}
	/* The body is opaque: an agent's compression travels with it. */
	if (enc != NULL && enc[0] != '\0') {
		headers[k++] = "Content-Encoding";
		headers[k++] = enc;
	}
	headers[k] = NULL;
	status = forward(s, "/api/edge/sketches/binary", r->body, r->len, "application/octet-stream",
			 headers, &fwd);
	if (status != 0)
		return refused(c, status, sent);
	__atomic_fetch_add(&s->sketches[1], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->sketch_bytes, r->len, __ATOMIC_RELAXED);
	return accepted(s, c, sid, (double)n, fwd, sent);
}

enum MHD_Result
cf_httpd_agent_finish(struct cf_httpd_server *s, struct MHD_Connection *c, struct cf_httpd_req *r,
		      unsigned int *sent)
{
	return r->route == R_SKETCHES ? finish_json(s, c, r, sent) : finish_binary(s, c, r, sent);
}
