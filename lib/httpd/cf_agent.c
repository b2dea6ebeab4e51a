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
	/* Without a token anyone who reaches the port would post with our backend token. */
	if (s->token[0] == '\0' && s->has_fwd) {
		__atomic_fetch_add(&s->no_token, 1, __ATOMIC_RELAXED);
		return cf_httpd_error(c, MHD_HTTP_FORBIDDEN, "agent ingest forwards to the backend "
				      "only with --agent-token set", NULL, NULL, sent);
	}
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

/* Printable ASCII only: a header value we forward must not smuggle a control byte. */
static int
printable(const char *v, size_t max)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if (i >= max || (unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return 0;
	return 1;
}

static unsigned int
bad(struct cf_httpd_agent_out *out, const char *why)
{
	out->error = why;
	return out->status = MHD_HTTP_BAD_REQUEST;
}

/* The JSON route: an object with switch_id and sketches, nothing after it. */
static unsigned int
check_json(const struct cf_httpd_agent_in *in, struct cf_httpd_agent_out *out)
{
	const char *end = NULL;
	cJSON *root, *sid, *sk, *ts, *cnt;
	size_t i, used;
	int n;

	root = cJSON_ParseWithLengthOpts(in->body ? in->body : "", in->len, &end, 0);
	if (root == NULL || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return bad(out, "body is not a JSON object");
	}
	used = (size_t)(end - in->body);
	for (i = used; i < in->len; i++) {
		if (in->body[i] != ' ' && in->body[i] != '\t' && in->body[i] != '\r' &&
		    in->body[i] != '\n') {
			cJSON_Delete(root);
			return bad(out, "bytes after the JSON object");
		}
	}
	sid = cJSON_GetObjectItemCaseSensitive(root, "switch_id");
	sk = cJSON_GetObjectItemCaseSensitive(root, "sketches");
	ts = cJSON_GetObjectItemCaseSensitive(root, "timestamp");
	cnt = cJSON_GetObjectItemCaseSensitive(root, "sketch_count");
	if (!cJSON_IsString(sid) || sid->valuestring[0] == '\0' ||
	    !printable(sid->valuestring, CF_HTTPD_SWITCH_ID_MAX)) {
		cJSON_Delete(root);
		return bad(out, "switch_id is required (a non-empty string of at most 256 "
			   "printable characters)");
	}
	if (!cJSON_IsArray(sk) || cJSON_GetArraySize(sk) == 0) {
		cJSON_Delete(root);
		return bad(out, "sketches must be a non-empty array");
	}
	if ((ts != NULL && !cJSON_IsNull(ts) &&
	     (!cJSON_IsNumber(ts) || !(ts->valuedouble >= 0 && ts->valuedouble < 1e12))) ||
	    (cnt != NULL && !cJSON_IsNull(cnt) &&
	     (!cJSON_IsNumber(cnt) || !(cnt->valuedouble >= 0 && cnt->valuedouble <= UINT32_MAX) ||
	      cnt->valuedouble != (double)(uint32_t)cnt->valuedouble))) {
		cJSON_Delete(root);
		return bad(out, "timestamp must be a number of seconds and sketch_count an integer "
			   "in 0..4294967295");
	}
	n = cJSON_GetArraySize(sk);
	if (ts == NULL || cJSON_IsNull(ts)) {
		cJSON_DeleteItemFromObjectCaseSensitive(root, "timestamp");
		cJSON_AddNumberToObject(root, "timestamp", (double)in->now_s);
	}
	if (cnt == NULL || cJSON_IsNull(cnt)) {
		cJSON_DeleteItemFromObjectCaseSensitive(root, "sketch_count");
		cJSON_AddNumberToObject(root, "sketch_count", n);
	}
	snprintf(out->switch_id, sizeof(out->switch_id), "%s", sid->valuestring);
	out->sketches = (uint64_t)n;
	out->body = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (out->body == NULL) {
		out->error = "out of memory";
		return out->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	out->len = strlen(out->body);
	out->owned = 1;
	return 0;
}

/* The binary route: opaque body, its identity in headers we forward. */
static unsigned int
check_binary(const struct cf_httpd_agent_in *in, struct cf_httpd_agent_out *out)
{
	const char *sid = in->switch_id, *cnt = in->sketch_count, *enc = in->encoding;

	if (sid == NULL || sid[0] == '\0' || !printable(sid, CF_HTTPD_SWITCH_ID_MAX))
		return bad(out, "X-Switch-ID header is required (at most 256 printable characters)");
	if (cnt != NULL) {
		uint64_t n = 0;
		size_t i;

		/* Digits only, and a count the backend can hold: 0..4294967295. */
		for (i = 0; cnt[i] != '\0'; i++) {
			if (cnt[i] < '0' || cnt[i] > '9' || i >= 10)
				return bad(out, "X-Sketch-Count must be an integer in 0..4294967295");
			n = n * 10 + (uint64_t)(cnt[i] - '0');
		}
		if (i == 0 || n > UINT32_MAX)
			return bad(out, "X-Sketch-Count must be an integer in 0..4294967295");
		out->sketches = n;
	}
	if (enc != NULL && enc[0] != '\0' && !printable(enc, 64))
		return bad(out, "Content-Encoding must be at most 64 printable characters");
	if (in->len == 0)
		return bad(out, "empty body");
	snprintf(out->switch_id, sizeof(out->switch_id), "%s", sid);
	out->body = (char *)(uintptr_t)in->body;
	out->len = in->len;
	return 0;
}

unsigned int
cf_httpd_agent_check(const struct cf_httpd_agent_in *in, struct cf_httpd_agent_out *out)
{
	memset(out, 0, sizeof(*out));
	return in->binary ? check_binary(in, out) : check_json(in, out);
}

void
cf_httpd_agent_out_free(struct cf_httpd_agent_out *out)
{
	if (out->owned)
		free(out->body);
	out->body = NULL;
	out->owned = 0;
}

enum MHD_Result
cf_httpd_agent_finish(struct cf_httpd_server *s, struct MHD_Connection *c, struct cf_httpd_req *r,
		      unsigned int *sent)
{
	static const char *const no_headers[] = { NULL };
	struct cf_httpd_agent_in in = {
		.binary = r->route == R_SKETCHES_BIN,
		.switch_id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Switch-ID"),
		.sketch_count = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Sketch-Count"),
		.encoding = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_CONTENT_ENCODING),
		.body = r->body,
		.len = r->len,
		.now_s = cf_clock_wall_ms() / 1000,
	};
	struct cf_httpd_agent_out out;
	const char *headers[7];
	unsigned int status, k = 0;
	enum MHD_Result ret;
	int fwd;

	status = cf_httpd_agent_check(&in, &out);
	if (status != 0) {
		__atomic_fetch_add(&s->malformed, 1, __ATOMIC_RELAXED);
		return cf_httpd_error(c, status, out.error, NULL, NULL, sent);
	}
	if (in.binary) {
		headers[k++] = "X-Switch-ID";
		headers[k++] = in.switch_id;
		if (in.sketch_count != NULL) {
			headers[k++] = "X-Sketch-Count";
			headers[k++] = in.sketch_count;
		}
		/* The body is opaque: an agent's compression travels with it. */
		if (in.encoding != NULL && in.encoding[0] != '\0') {
			headers[k++] = "Content-Encoding";
			headers[k++] = in.encoding;
		}
	}
	headers[k] = NULL;
	status = forward(s, in.binary ? "/api/edge/sketches/binary" : "/api/edge/sketches",
			 out.body, out.len,
			 in.binary ? "application/octet-stream" : "application/json",
			 in.binary ? headers : no_headers, &fwd);
	if (status != 0) {
		ret = refused(c, status, sent);
	} else {
		__atomic_fetch_add(&s->sketches[in.binary], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&s->sketch_bytes, r->len, __ATOMIC_RELAXED);
		ret = accepted(s, c, out.switch_id, (double)out.sketches, fwd, sent);
	}
	cf_httpd_agent_out_free(&out);
	return ret;
}
