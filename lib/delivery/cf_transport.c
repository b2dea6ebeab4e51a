/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The delivery engine's HTTP transport (cf_transport_priv.h): libcurl multi with
 * one easy handle per slot, kept for the life of the engine so connections
 * stay alive between batches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <zlib.h>

#include "cf_clock.h"
#include "cf_delivery.h"
#include "cf_transport_priv.h"

struct xfer {
	CURL *easy;
	struct curl_slist *hdrs;
	unsigned char *zbody;        /* gzip output, grown on demand */
	size_t zcap;
	char resp[CF_DELIVERY_TP_RESP_MAX];
	size_t resp_len;
	char retry_after[CF_DELIVERY_TP_RA_MAX];
	int has_retry_after;
	int body_seen;               /* header lines after this are trailers */
	uint64_t t0_us;
	int busy;
};

struct http_tp {
	struct cf_delivery_tp base;  /* first: the scheduler's handle */
	struct cf_delivery_tp_config cfg;
	CURLM *multi;
	struct xfer *x;
	char line[2048];             /* scratch: request batch URL, Content-Type line */
	char what[256];              /* the last finished request, for the log */
};

#define HTTP(t) ((struct http_tp *)(t))
#define CHTTP(t) ((const struct http_tp *)(t))

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, room = CF_DELIVERY_TP_RESP_MAX - x->resp_len;

	x->body_seen = 1;
	memcpy(x->resp + x->resp_len, p, len < room ? len : room);
	x->resp_len += len < room ? len : room;
	return len;
}

/*
 * Keeps the last Retry-After value of the answer, as libcurl does for
 * CURLINFO_RETRY_AFTER, but as text: cf_delivery_classify() reads it, so the rule
 * lives in one pure function.
 */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	static const char name[] = "Retry-After:";
	struct xfer *x = arg;
	size_t len = size * n, vlen;

	if (x->body_seen || len < sizeof(name) - 1 || strncasecmp(p, name, sizeof(name) - 1) != 0)
		return len;
	p += sizeof(name) - 1;
	vlen = len - (sizeof(name) - 1);
	while (vlen > 0 && (p[vlen - 1] == '\n' || p[vlen - 1] == '\r'))
		vlen--;
	if (vlen >= sizeof(x->retry_after))
		vlen = sizeof(x->retry_after) - 1;
	memcpy(x->retry_after, p, vlen);
	x->retry_after[vlen] = '\0';
	x->has_retry_after = 1;
	return len;
}

static int
gzip_body(struct xfer *x, const char *body, uint32_t len, size_t *out_len)
{
	z_stream z;
	size_t bound;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: gzip wrapper, what Content-Encoding: gzip means. */
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, len) + 32;
	if (bound > x->zcap) {
		unsigned char *nz = realloc(x->zbody, bound);

		if (nz == NULL) {
			deflateEnd(&z);
			return -1;
		}
		x->zbody = nz;
		x->zcap = bound;
	}
	z.next_in = (unsigned char *)(uintptr_t)body;
	z.avail_in = len;
	z.next_out = x->zbody;
	z.avail_out = (uInt)x->zcap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		return -1;
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	return 0;
}

/* A request batch's metadata block: CF_DELIVERY_TP_UNSENDABLE when it cannot be sent
 * (corrupt, or no base URL to send it to), else 0 and *m filled. */
static int
req_meta(const struct http_tp *tp, const char *body, uint32_t len, uint32_t flags,
	 struct cf_delivery_meta *m)
{
	if (flags & ~CF_DELIVERY_SEG_F_META)
		return CF_DELIVERY_TP_UNSENDABLE; /* written by a newer version */
	if (!(flags & CF_DELIVERY_SEG_F_META)) {
		m->len = 0;
		return 0;
	}
	if (tp->cfg.base[0] == '\0' || cf_delivery_meta_decode(body, len, m) != 0)
		return CF_DELIVERY_TP_UNSENDABLE;
	return 0;
}

static int
http_send(struct cf_delivery_tp *t, unsigned int slot, const struct cf_delivery_tp_req *rq,
	  size_t *wire, int *meta)
{
	struct http_tp *tp = HTTP(t);
	struct xfer *x = &tp->x[slot];
	const char *body = rq->body;
	uint32_t len = rq->len;
	char hdr[96], id[48];
	const void *post;
	size_t plen;
	struct cf_delivery_meta m;
	int gz = 0, encoded = 0, is_meta;
	unsigned int k;

	if (req_meta(tp, body, len, rq->flags, &m) != 0)
		return CF_DELIVERY_TP_UNSENDABLE;
	body += m.len;
	len -= m.len;
	post = body;
	plen = len;
	is_meta = m.len != 0;
	if (is_meta) {
		if ((size_t)snprintf(tp->line, sizeof(tp->line), "%s%s", tp->cfg.base, m.path) >=
		    sizeof(tp->line))
			return CF_DELIVERY_TP_UNSENDABLE;
		curl_easy_setopt(x->easy, CURLOPT_URL, tp->line);
		/* Only JSON is ours to compress: an opaque body goes as the agent sent it. */
		encoded = strcmp(m.content_type, "application/json") != 0;
		for (k = 0; k < m.nhdr; k++)
			encoded |= strncasecmp(m.hdr[k], "Content-Encoding:", 17) == 0;
	} else {
		curl_easy_setopt(x->easy, CURLOPT_URL, tp->cfg.url);
	}
	if (tp->cfg.compress && !encoded && gzip_body(x, body, len, &plen) == 0) {
		post = x->zbody;
		gz = 1;
	} else {
		plen = len;
	}
	curl_slist_free_all(x->hdrs);
	if (is_meta) {
		snprintf(tp->line, sizeof(tp->line), "Content-Type: %s", m.content_type);
		x->hdrs = curl_slist_append(NULL, tp->line);
		for (k = 0; k < m.nhdr && x->hdrs != NULL; k++)
			x->hdrs = curl_slist_append(x->hdrs, m.hdr[k]);
	} else {
		x->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	}
	/* A 100-continue round trip per batch would halve throughput. */
	x->hdrs = curl_slist_append(x->hdrs, "Expect:");
	cf_delivery_batch_id(id, sizeof(id), rq->boot, rq->seq);
	snprintf(hdr, sizeof(hdr), "X-Clarion-Batch-Id: %s", id);
	x->hdrs = curl_slist_append(x->hdrs, hdr);
	if (gz)
		x->hdrs = curl_slist_append(x->hdrs, "Content-Encoding: gzip");
	if (rq->replay)
		x->hdrs = curl_slist_append(x->hdrs, "X-Clarion-Replay: 1");
	if (tp->cfg.auth[0])
		x->hdrs = curl_slist_append(x->hdrs, tp->cfg.auth);
	if (x->hdrs == NULL)
		return CF_DELIVERY_TP_ERR;
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)plen);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, post);
	x->resp_len = 0;
	x->has_retry_after = 0;
	x->body_seen = 0;
	x->t0_us = cf_clock_mono_us();
	if (curl_multi_add_handle(tp->multi, x->easy) != CURLM_OK)
		return CF_DELIVERY_TP_ERR;
	x->busy = 1;
	*wire = plen;
	*meta = is_meta;
	return 0;
}

static int
http_busy(const struct cf_delivery_tp *tp, unsigned int slot)
{
	return CHTTP(tp)->x[slot].busy;
}

static void
http_perform(struct cf_delivery_tp *tp)
{
	int running;

	curl_multi_perform(HTTP(tp)->multi, &running);
}

/* The verdict (cf_delivery_classify) and the log line of a finished transfer. */
static void
http_verdict(struct http_tp *tp, int result, long code, const char *retry_after,
	     struct cf_delivery_tp_done *out)
{
	/* The wall clock only turns a Retry-After date into seconds. */
	int64_t wall_s = retry_after != NULL ? (int64_t)(cf_clock_wall_ms() / 1000) : 0;

	out->v = cf_delivery_classify(result, code, retry_after, wall_s);
	out->code = code;
	out->what = tp->what;
	switch (out->v.outcome) {
	case CF_DELIVERY_OUT_TRANSPORT:
		snprintf(tp->what, sizeof(tp->what), "POST failed: %s (curl %d)",
			 curl_easy_strerror((CURLcode)result), result);
		break;
	case CF_DELIVERY_OUT_TRANSIENT:
		snprintf(tp->what, sizeof(tp->what), "backend answered HTTP %ld; will retry", code);
		break;
	case CF_DELIVERY_OUT_PERMANENT:
		snprintf(tp->what, sizeof(tp->what),
			 "backend refused a batch with HTTP %ld (permanent: not retried; kept as "
			 "a dead letter when there is a directory for it)", code);
		break;
	default:
		tp->what[0] = '\0';
		break;
	}
}

static int
http_next_done(struct cf_delivery_tp *t, struct cf_delivery_tp_done *out)
{
	struct http_tp *tp = HTTP(t);
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(tp->multi, &left)) != NULL) {
		struct xfer *x;
		unsigned int i;
		long code = 0;

		if (m->msg != CURLMSG_DONE)
			continue;
		for (i = 0; i < tp->cfg.nslots; i++)
			if (tp->x[i].easy == m->easy_handle)
				break;
		if (i == tp->cfg.nslots)
			continue;
		x = &tp->x[i];
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
		curl_multi_remove_handle(tp->multi, x->easy);
		x->busy = 0;
		memset(out, 0, sizeof(*out));
		out->slot = i;
		http_verdict(tp, (int)m->data.result, code,
			     x->has_retry_after ? x->retry_after : NULL, out);
		out->resp = x->resp;
		out->resp_len = x->resp_len;
		out->latency_us = cf_clock_mono_us() - x->t0_us;
		return 1;
	}
	return 0;
}

static void
http_abort(struct cf_delivery_tp *t, unsigned int slot)
{
	struct http_tp *tp = HTTP(t);
	struct xfer *x = &tp->x[slot];

	if (!x->busy)
		return;
	curl_multi_remove_handle(tp->multi, x->easy);
	x->busy = 0;
}

static void
http_wait(struct cf_delivery_tp *tp, int timeout_ms)
{
	curl_multi_poll(HTTP(tp)->multi, NULL, 0, timeout_ms, NULL);
}

static void
http_wakeup(struct cf_delivery_tp *tp)
{
	curl_multi_wakeup(HTTP(tp)->multi);
}

/* Options that stay for the life of the handle; per request are only the
 * URL, headers and body (cf_delivery_tp_send). */
static void
setup_easy(const struct http_tp *tp, struct xfer *x)
{
	CURL *e = x->easy;

	curl_easy_setopt(e, CURLOPT_URL, tp->cfg.url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)tp->cfg.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)tp->cfg.timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	/* Batches are megabytes: move them in 2 MiB sends, not libcurl's default 64 KiB. */
	curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "clarion-flowd/" CF_VERSION);
	if (tp->cfg.ca_file[0])
		curl_easy_setopt(e, CURLOPT_CAINFO, tp->cfg.ca_file);
	if (tp->cfg.insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static void http_close(struct cf_delivery_tp *t);

static const struct cf_delivery_tp_ops http_ops = {
	.name = "http",
	.send = http_send,
	.busy = http_busy,
	.perform = http_perform,
	.next_done = http_next_done,
	.abort = http_abort,
	.wait = http_wait,
	.wakeup = http_wakeup,
	.close = http_close,
};

struct cf_delivery_tp *
cf_delivery_tp_open(const struct cf_delivery_tp_config *cfg, char *err, size_t errlen)
{
	static int curl_ready;
	struct http_tp *tp;
	unsigned int i;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen, "libcurl initialisation failed");
			return NULL;
		}
		curl_ready = 1;
	}
	tp = calloc(1, sizeof(*tp));
	if (tp == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	tp->base.ops = &http_ops;
	tp->cfg = *cfg;
	tp->x = calloc(cfg->nslots, sizeof(*tp->x));
	tp->multi = curl_multi_init();
	if (tp->x == NULL || tp->multi == NULL) {
		snprintf(err, errlen, "out of memory");
		http_close(&tp->base);
		return NULL;
	}
	curl_multi_setopt(tp->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cfg->nslots);
	for (i = 0; i < cfg->nslots; i++) {
		tp->x[i].easy = curl_easy_init();
		if (tp->x[i].easy == NULL) {
			snprintf(err, errlen, "curl_easy_init failed");
			http_close(&tp->base);
			return NULL;
		}
		setup_easy(tp, &tp->x[i]);
	}
	return &tp->base;
}

void
cf_delivery_tp_close(struct cf_delivery_tp *tp)
{
	if (tp != NULL)
		tp->ops->close(tp);
}

static void
http_close(struct cf_delivery_tp *t)
{
	struct http_tp *tp = HTTP(t);
	unsigned int i;

	if (tp->x != NULL) {
		for (i = 0; i < tp->cfg.nslots; i++) {
			if (tp->x[i].busy)
				curl_multi_remove_handle(tp->multi, tp->x[i].easy);
			if (tp->x[i].easy)
				curl_easy_cleanup(tp->x[i].easy);
			curl_slist_free_all(tp->x[i].hdrs);
			free(tp->x[i].zbody);
		}
		free(tp->x);
	}
	if (tp->multi)
		curl_multi_cleanup(tp->multi);
	free(tp);
}
