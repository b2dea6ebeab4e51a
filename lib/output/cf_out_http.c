/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sinks of the delivery engine (cf_delivery.h), which owns the network
 * and the spool; here, on the control lcore, records are only encoded into
 * batches and handed over. One batching code, two framings:
 *  - "http": Clarion bodies {"records":[...]};
 *  - "kafka": NDJSON, one line per record (one message each).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf_clock.h"
#include "cf_json.h"
#include "cf_output.h"

struct framing {
	const char *head;          /* before the first record */
	const char *sep;           /* between two records */
	const char *tail;          /* after the last one */
};

static const struct framing http_framing = { "{\"records\":[", ",", "]}" };
static const struct framing kafka_framing = { "", "\n", "\n" };

struct http_out {
	const struct framing *fr;
	struct cf_delivery *d;
	struct cf_delivery_batch *cur;
	uint32_t batch_size;
	uint64_t interval_ms;
	uint64_t first_ms;         /* when cur got its first record */
	uint64_t boot;
	uint64_t received;
	uint64_t sealed;           /* records in batches handed to the engine */
	uint64_t submit_stalls;
	int finished;
	struct cf_delivery_stats final;
};

static void
seal(struct cf_output *o)
{
	struct http_out *h = o->priv;
	struct cf_delivery_batch *b = h->cur;

	if (b == NULL)
		return;
	h->cur = NULL;
	memcpy(b->body + b->len, h->fr->tail, strlen(h->fr->tail));
	b->len += (uint32_t)strlen(h->fr->tail);
	b->boot = h->boot;
	b->seq = cf_delivery_next_seq(h->d);
	o->stats.bytes += b->len;
	h->sealed += b->nrec;
	/* A full ring means the engine is behind even on disk: wait for it rather
	 * than lose accepted records; RX rings absorb (and count) the backlog. */
	while (cf_delivery_submit(h->d, b) != 0) {
		struct timespec ts = { 0, 50000 };

		h->submit_stalls++;
		nanosleep(&ts, NULL);
	}
}

static int
grow(struct cf_delivery_batch *b, size_t need)
{
	size_t nc = b->cap;
	char *nb;

	while (nc - b->len < need)
		nc *= 2;
	if (nc > UINT32_MAX)
		return -1;
	nb = realloc(b->body, nc);
	if (nb == NULL)
		return -1;
	b->body = nb;
	b->cap = (uint32_t)nc;
	return 0;
}

static int
http_write(struct cf_output *o, const struct cf_record *r, unsigned int n)
{
	struct http_out *h = o->priv;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct cf_delivery_batch *b = h->cur;

		if (b == NULL) {
			/* ~590 bytes per v5 record (every key present): most batches never grow. */
			uint32_t cap = (h->batch_size < 4096 ? h->batch_size : 4096) * 640 + 64;

			b = cf_delivery_batch_new(cap);
			if (b == NULL) {
				o->stats.failed += n - i;
				return -ENOMEM;
			}
			memcpy(b->body, h->fr->head, strlen(h->fr->head));
			b->len = (uint32_t)strlen(h->fr->head);
			h->cur = b;
			h->first_ms = cf_clock_coarse_ms();
		}
		if (b->cap - b->len < CF_JSON_RECORD_MAX + 8 &&
		    grow(b, CF_JSON_RECORD_MAX + 8) != 0) {
			o->stats.failed += n - i;
			return -ENOMEM;
		}
		if (b->nrec != 0)
			b->body[b->len++] = h->fr->sep[0];
		/* http: null_absent 0, the backend's required keys stay integers; kafka: the
		 * --output schema (null when absent) */
		b->len += (uint32_t)cf_json_record_opts(b->body + b->len, &r[i], &o->json);
		b->nrec++;
		h->received++;
		o->stats.records++;
		if (b->nrec >= h->batch_size)
			seal(o);
	}
	return 0;
}

static void
http_poll(struct cf_output *o)
{
	struct http_out *h = o->priv;

	if (h->cur != NULL && cf_clock_coarse_ms() - h->first_ms >= h->interval_ms)
		seal(o);
}

static void
http_finish(struct cf_output *o)
{
	struct http_out *h = o->priv;

	if (h->finished)
		return;
	seal(o);
	cf_delivery_stop(h->d, &h->final);
	h->finished = 1;
}

static void
http_close(struct cf_output *o)
{
	struct http_out *h = o->priv;

	http_finish(o);
	cf_delivery_free(h->d);
	free(h);
}

static int
http_open(struct cf_output *o, const char *arg, char *err, size_t errlen)
{
	(void)o;
	(void)arg;
	snprintf(err, errlen, "the http output is configured with --backend-url, not --output");
	return -1;
}

static const struct cf_output_ops cf_output_http_ops = {
	.scheme = "http",
	.open = http_open,
	.write = http_write,
	.poll = http_poll,
	.finish = http_finish,
	.close = http_close,
};

static const struct cf_output_ops cf_output_kafka_ops = {
	.scheme = "kafka",
	.open = http_open,
	.write = http_write,
	.poll = http_poll,
	.finish = http_finish,
	.close = http_close,
};

static struct cf_output *
open_batching(const struct cf_output_http_config *cfg, const struct cf_output_ops *ops,
	      const struct framing *fr, char *err, size_t errlen)
{
	struct cf_output *o = calloc(1, sizeof(*o));
	struct http_out *h = calloc(1, sizeof(*h));

	if (o == NULL || h == NULL) {
		free(o);
		free(h);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->fr = fr;
	o->json.null_absent = fr == &kafka_framing;
	h->batch_size = cfg->batch_size ? cfg->batch_size : 1;
	h->interval_ms = cfg->batch_interval_ms;
	h->d = cf_delivery_start(&cfg->dl, err, errlen);
	if (h->d == NULL) {
		free(o);
		free(h);
		return NULL;
	}
	h->boot = cf_delivery_boot_id(h->d);
	o->ops = ops;
	o->priv = h;
	return o;
}

struct cf_output *
cf_output_open_http(const struct cf_output_http_config *cfg, char *err, size_t errlen)
{
	return open_batching(cfg, &cf_output_http_ops, &http_framing, err, errlen);
}

struct cf_output *
cf_output_open_kafka(const struct cf_output_http_config *cfg, char *err, size_t errlen)
{
	struct cf_output_http_config c = *cfg;

	c.dl.transport = CF_DELIVERY_TRANSPORT_KAFKA;
	return open_batching(&c, &cf_output_kafka_ops, &kafka_framing, err, errlen);
}

int
cf_output_http_request(void *output, const char *path, const void *body, size_t len,
		       const char *content_type, const char *const *headers, uint32_t items)
{
	struct cf_output *o = output;
	struct cf_delivery_batch *b;
	int rc;

	o = cf_output_find(o, "http");
	if (o == NULL || o->ops != &cf_output_http_ops || items == 0)
		return -EINVAL;
	b = cf_delivery_batch_new_request(path, content_type, headers, body, len, items, &rc);
	if (b == NULL)
		return rc;
	rc = cf_delivery_submit_request(((struct http_out *)o->priv)->d, b);
	if (rc == 0)
		return 0;
	cf_delivery_batch_free(b);
	return rc == -ENOBUFS || rc == -ESHUTDOWN ? -EAGAIN : rc;
}

int
cf_output_http_forward(void *output, const char *path, const void *body, size_t len,
		       const char *content_type, const char *const *headers)
{
	return cf_output_http_request(output, path, body, len, content_type, headers, 1);
}

int
cf_output_delivery_stats(const struct cf_output *o, struct cf_output_delivery_stats *s)
{
	return cf_output_delivery_stats_of(o, "http", s);
}

int
cf_output_delivery_stats_of(const struct cf_output *o, const char *scheme,
			    struct cf_output_delivery_stats *s)
{
	const struct http_out *h;

	o = cf_output_find(o, scheme);
	if (o == NULL || (o->ops != &cf_output_http_ops && o->ops != &cf_output_kafka_ops))
		return -1;
	h = o->priv;
	s->received = h->received;
	s->open = h->received - h->sealed;
	s->submit_stalls = h->submit_stalls;
	cf_delivery_stats(h->d, &s->dl);
	return 0;
}

int
cf_output_set_live(struct cf_output *o, const char *scheme, uint32_t batch_size,
		   uint64_t batch_interval_ms, const struct cf_delivery_live *l, char *err,
		   size_t errlen)
{
	struct http_out *h;

	o = cf_output_find(o, scheme);
	if (o == NULL || (o->ops != &cf_output_http_ops && o->ops != &cf_output_kafka_ops)) {
		snprintf(err, errlen, "no %s output", scheme);
		return -1;
	}
	h = o->priv;
	if (cf_delivery_set_live(h->d, l, err, errlen) != 0)
		return -1;
	if (batch_size != 0)
		h->batch_size = batch_size;
	if (batch_interval_ms != 0)
		h->interval_ms = batch_interval_ms;
	return 0;
}

int
cf_output_kafka_stats(const struct cf_output *o, struct cf_delivery_kafka_stats *s)
{
	o = cf_output_find(o, "kafka");
	if (o == NULL || o->ops != &cf_output_kafka_ops)
		return -1;
	return cf_delivery_kafka_stats(((const struct http_out *)o->priv)->d, s);
}
