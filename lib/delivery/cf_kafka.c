/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The delivery engine's Kafka transport (cf_transport_priv.h): one librdkafka
 * producer, idempotent with acks=all unless --kafka-opt says otherwise. A
 * request slot holds one batch: each NDJSON line is produced as one message
 * (key: the record's --kafka-key value; header clarion-id: batch id and line
 * number) and the request is finished when every message has its delivery
 * report. librdkafka retries inside message.timeout.ms on its own (leader
 * changes, broker restarts); what it gives up on comes back here with an
 * error code, which cf_delivery_kafka_classify() turns into a verdict.
 *
 * Threads: librdkafka's own (brokers, main) inherit the CPU set of the
 * thread that creates the producer, the control side. Its callbacks for
 * delivery reports, errors and statistics run in rd_kafka_poll(), on the
 * delivery thread; only its log callback runs on librdkafka's threads.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

#include "cf_clock.h"
#include "cf_delivery.h"
#include "cf_transport_priv.h"

#define PENDING INT32_MIN

struct kslot {
	int busy;
	int producing;               /* inside send: the done check waits for the end */
	uint32_t gen;                /* reports of an earlier request in this slot are ignored */
	const char *body;            /* the scheduler's, alive until the request is done */
	uint32_t len;
	uint64_t boot, seq;
	uint32_t nlines;             /* lines of body (empty ones included) */
	uint32_t nmsg;               /* messages: non-empty lines */
	uint32_t nrep;               /* of them reported (or refused at once) */
	uint32_t cap;
	uint32_t *off;               /* per line: offset in body */
	uint32_t *llen;              /* per line: length without '\n' */
	int32_t *err;                /* per line: PENDING, or the reported code */
	uint64_t t0_us;
	char *rest, *dead;           /* bodies of a partial outcome */
	uint32_t rest_cap, dead_cap;
	char what[256];
	char resp[512];
};

struct kafka_tp {
	struct cf_delivery_tp base;  /* first: the scheduler's handle */
	struct cf_delivery_tp_kafka_config cfg;
	rd_kafka_conf_t *conf;       /* a copy, to recreate the producer after a fatal error */
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	struct kslot *s;
	unsigned int nslots;
	unsigned int *doneq;         /* finished slots, in order */
	unsigned int dq_head, dq_n;
	int qpipe[2];                /* librdkafka writes here when its queue gets an event */
	int wake;                    /* eventfd: cf_delivery_tp_wakeup */
	int purged;
	int fatal;                   /* fatal error seen: recreate once idle */
	uint64_t last_err_log_ms;
	/* Counted on the delivery thread, published under lock by publish(). */
	struct cf_delivery_kafka_stats loc;
	pthread_mutex_t lock;
	struct cf_delivery_kafka_stats pub;
	/* Statistics tables, written under lock by the stats callback. */
};

#define KTP(t) ((struct kafka_tp *)(t))

static void
count_code(struct cf_delivery_kafka_code *tab, unsigned int *n, uint64_t *other, int code)
{
	unsigned int i;

	for (i = 0; i < *n; i++) {
		if (tab[i].code == code) {
			tab[i].n++;
			return;
		}
	}
	if (*n < CF_DELIVERY_KAFKA_CODES) {
		tab[*n].code = code;
		tab[*n].n = 1;
		(*n)++;
		return;
	}
	(*other)++;
}

/* The delivery thread's counters into the copy other threads read. */
static void
publish(struct kafka_tp *tp)
{
	struct cf_delivery_kafka_stats *p = &tp->pub, *l = &tp->loc;

	l->queue_msgs = (uint64_t)rd_kafka_outq_len(tp->rk);
	pthread_mutex_lock(&tp->lock);
	p->produced = l->produced;
	p->delivered = l->delivered;
	p->delivered_bytes = l->delivered_bytes;
	p->failed = l->failed;
	memcpy(p->lat_le, l->lat_le, sizeof(p->lat_le));
	p->lat_count = l->lat_count;
	p->lat_sum_us = l->lat_sum_us;
	p->queue_msgs = l->queue_msgs;
	memcpy(p->msg_err, l->msg_err, sizeof(p->msg_err));
	p->n_msg_err = l->n_msg_err;
	p->msg_err_other = l->msg_err_other;
	memcpy(p->client_err, l->client_err, sizeof(p->client_err));
	p->n_client_err = l->n_client_err;
	p->client_err_other = l->client_err_other;
	p->fatal = l->fatal;
	p->restarts = l->restarts;
	p->all_brokers_down = l->all_brokers_down;
	pthread_mutex_unlock(&tp->lock);
}

/* ---------------------------------------------------------------- callbacks */

static void
push_done(struct kafka_tp *tp, unsigned int slot)
{
	tp->doneq[(tp->dq_head + tp->dq_n) % tp->nslots] = slot;
	tp->dq_n++;
}

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_tp *tp = opaque;
	uint64_t tag = (uint64_t)(uintptr_t)m->_private;
	unsigned int slot = (unsigned int)(tag >> 56);
	uint32_t gen = (uint32_t)(tag >> 32) & 0xffffff, line = (uint32_t)tag;
	struct kslot *s;

	(void)rk;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		int64_t us = rd_kafka_message_latency(m);
		unsigned int k;

		tp->loc.delivered++;
		tp->loc.delivered_bytes += m->len;
		if (us >= 0) {
			k = cf_delivery_lat_bucket((uint64_t)us);
			if (k < CF_DELIVERY_LAT_BUCKETS)
				tp->loc.lat_le[k]++;
			tp->loc.lat_count++;
			tp->loc.lat_sum_us += (uint64_t)us;
		}
	} else {
		tp->loc.failed++;
		count_code(tp->loc.msg_err, &tp->loc.n_msg_err, &tp->loc.msg_err_other, m->err);
	}
	if (slot >= tp->nslots)
		return;
	s = &tp->s[slot];
	/* Aborted at shutdown, or an earlier request of this slot: nobody waits. */
	if (!s->busy || (s->gen & 0xffffff) != gen || line >= s->nlines || s->err[line] != PENDING)
		return;
	s->err[line] = m->err;
	s->nrep++;
	if (s->nrep == s->nmsg && !s->producing)
		push_done(tp, slot);
}

static void
log_limited(struct kafka_tp *tp, const char *fmt, const char *a, const char *b)
{
	uint64_t now = cf_clock_mono_ms();

	if (tp->last_err_log_ms != 0 && now - tp->last_err_log_ms < 1000)
		return;
	tp->last_err_log_ms = now;
	fprintf(stderr, fmt, a, b);
}

static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_tp *tp = opaque;

	count_code(tp->loc.client_err, &tp->loc.n_client_err, &tp->loc.client_err_other, err);
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		tp->loc.all_brokers_down = 1;
		/* As a refused connection does for HTTP: what waits for a broker fails
		 * now (and is retried, then spooled) instead of at message.timeout.ms.
		 * Messages already sent stay: they may have reached the log. */
		rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING);
	}
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		tp->fatal = 1;
	log_limited(tp, "clarion-flowd: delivery: kafka: %s (%s)\n", reason,
		    rd_kafka_err2name((rd_kafka_resp_err_t)err));
}

static uint64_t
jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

/* librdkafka's statistics (statistics.interval.ms): queue and broker state. */
static int
on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct kafka_tp *tp = opaque;
	cJSON *root = cJSON_ParseWithLength(json, len), *brokers, *b;
	unsigned int n = 0, up = 0;

	(void)rk;
	if (root == NULL)
		return 0;
	brokers = cJSON_GetObjectItemCaseSensitive(root, "brokers");
	pthread_mutex_lock(&tp->lock);
	tp->pub.queue_bytes = jnum(root, "msg_size");
	tp->pub.tx_bytes = jnum(root, "tx_bytes");
	cJSON_ArrayForEach(b, brokers) {
		struct cf_delivery_kafka_broker *d;
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(b, "state");
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(b, "nodeid");
		const cJSON *rtt = cJSON_GetObjectItemCaseSensitive(b, "rtt");

		if (n >= CF_DELIVERY_KAFKA_BROKERS || b->string == NULL)
			break;
		d = &tp->pub.brokers[n++];
		snprintf(d->name, sizeof(d->name), "%s", b->string);
		snprintf(d->state, sizeof(d->state), "%s", cJSON_IsString(st) ? st->valuestring : "?");
		d->id = cJSON_IsNumber(id) ? (int32_t)id->valuedouble : -1;
		d->rtt_avg_us = jnum(rtt, "avg");
		d->outbuf_msgs = jnum(b, "outbuf_msg_cnt");
		d->inflight_reqs = jnum(b, "waitresp_cnt");
		up += strcmp(d->state, "UP") == 0;
	}
	tp->pub.n_brokers = n;
	pthread_mutex_unlock(&tp->lock);
	if (up > 0)
		tp->loc.all_brokers_down = 0;
	cJSON_Delete(root);
	return 0;
}

/* librdkafka's threads: one line each, warnings and critical ones; errors
 * (level 3) come through on_error as well, counted and rate-limited there. */
static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (level <= 4 && level != 3)
		fprintf(stderr, "clarion-flowd: delivery: kafka: %s: %s\n", fac, buf);
}

/* ---------------------------------------------------------------- requests */

static int
grow_slot(struct kslot *s, uint32_t lines)
{
	uint32_t *off, *llen;
	int32_t *err;
	uint32_t cap = s->cap ? s->cap : 64;

	if (lines <= s->cap)
		return 0;
	while (cap < lines)
		cap *= 2;
	off = realloc(s->off, cap * sizeof(*off));
	if (off != NULL)
		s->off = off;
	llen = realloc(s->llen, cap * sizeof(*llen));
	if (llen != NULL)
		s->llen = llen;
	err = realloc(s->err, cap * sizeof(*err));
	if (err != NULL)
		s->err = err;
	if (off == NULL || llen == NULL || err == NULL)
		return -1;
	s->cap = cap;
	return 0;
}

/* Splits body into lines; returns their number, or -1 out of memory. */
static int
split_lines(struct kslot *s, const char *body, uint32_t len)
{
	uint32_t n = 0, pos = 0;

	while (pos < len) {
		const char *nl = memchr(body + pos, '\n', len - pos);
		uint32_t l = nl ? (uint32_t)(nl - (body + pos)) : len - pos;

		if (n == s->cap && grow_slot(s, n + 1) != 0)
			return -1;
		s->off[n] = pos;
		s->llen[n] = l;
		n++;
		pos += l + 1;
	}
	return (int)n;
}

static int
kafka_send(struct cf_delivery_tp *t, unsigned int slot, const struct cf_delivery_tp_req *rq,
	   size_t *wire, int *meta)
{
	struct kafka_tp *tp = KTP(t);
	struct kslot *s = &tp->s[slot];
	size_t bytes = 0;
	uint32_t i;
	int n;

	/* An HTTP request batch (own path and headers) has no place in a topic. */
	if (rq->flags != 0)
		return CF_DELIVERY_TP_UNSENDABLE;
	n = split_lines(s, rq->body, rq->len);
	if (n < 0)
		return CF_DELIVERY_TP_ERR;
	s->gen++;
	s->body = rq->body;
	s->len = rq->len;
	s->boot = rq->boot;
	s->seq = rq->seq;
	s->nlines = (uint32_t)n;
	s->nmsg = 0;
	s->nrep = 0;
	s->busy = 1;
	s->producing = 1;
	s->t0_us = cf_clock_mono_us();
	for (i = 0; i < s->nlines; i++)
		s->err[i] = PENDING;
	for (i = 0; i < s->nlines; i++) {
		const char *line = rq->body + s->off[i], *key;
		uint64_t tag = ((uint64_t)slot << 56) | ((uint64_t)(s->gen & 0xffffff) << 32) | i;
		size_t klen = 0;
		char id[64];
		int idlen;
		rd_kafka_resp_err_t e;

		if (s->llen[i] == 0)
			continue;     /* settled in an earlier try */
		s->nmsg++;
		key = cf_delivery_kafka_key(line, s->llen[i], tp->cfg.k->key, &klen);
		idlen = snprintf(id, sizeof(id), "%016" PRIx64 "-%" PRIu64 "-%" PRIu32, rq->boot,
				 rq->seq, i);
		e = rd_kafka_producev(tp->rk, RD_KAFKA_V_RKT(tp->rkt),
				      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				      RD_KAFKA_V_VALUE((void *)(uintptr_t)line, s->llen[i]),
				      RD_KAFKA_V_KEY(key, key ? klen : 0),
				      RD_KAFKA_V_HEADER("clarion-id", id, idlen),
				      RD_KAFKA_V_OPAQUE((void *)(uintptr_t)tag), RD_KAFKA_V_END);
		tp->loc.produced++;
		bytes += s->llen[i];
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			/* Refused at once (queue full, too large, fatal producer): as if reported. */
			s->err[i] = e;
			s->nrep++;
			tp->loc.failed++;
			count_code(tp->loc.msg_err, &tp->loc.n_msg_err, &tp->loc.msg_err_other, e);
		}
	}
	s->producing = 0;
	if (s->nrep == s->nmsg)
		push_done(tp, slot);
	*wire = bytes;
	*meta = 0;
	return 0;
}

static int
kafka_busy(const struct cf_delivery_tp *t, unsigned int slot)
{
	return KTP(t)->s[slot].busy;
}

static rd_kafka_t *make_producer(struct kafka_tp *tp, char *err, size_t errlen);

/* After a fatal error (idempotence state lost) the producer cannot be used
 * again: once every request has come back (purged), a new one takes over. */
static void
recover_fatal(struct kafka_tp *tp)
{
	char why[512], err[512];
	unsigned int i;
	rd_kafka_t *rk;

	if (!tp->fatal && rd_kafka_fatal_error(tp->rk, why, sizeof(why)) == 0)
		return;
	if (!tp->fatal) {
		fprintf(stderr, "clarion-flowd: delivery: kafka: fatal producer error: %s; "
			"recreating the producer\n", why);
		tp->fatal = 1;
	}
	tp->loc.fatal = 1;
	rd_kafka_purge(tp->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT |
			       RD_KAFKA_PURGE_F_NON_BLOCKING);
	for (i = 0; i < tp->nslots; i++)
		if (tp->s[i].busy)
			return;
	rk = make_producer(tp, err, sizeof(err));
	if (rk == NULL) {
		fprintf(stderr, "clarion-flowd: delivery: kafka: cannot recreate the producer: %s\n",
			err);
		return;
	}
	rd_kafka_topic_destroy(tp->rkt);
	rd_kafka_destroy(tp->rk);
	tp->rk = rk;
	tp->rkt = rd_kafka_topic_new(rk, tp->cfg.k->topic, NULL);
	tp->fatal = 0;
	tp->loc.fatal = 0;
	tp->loc.restarts++;
}

static void
kafka_perform(struct cf_delivery_tp *t)
{
	struct kafka_tp *tp = KTP(t);

	rd_kafka_poll(tp->rk, 0);
	if (tp->fatal || rd_kafka_fatal_error(tp->rk, NULL, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		recover_fatal(tp);
		rd_kafka_poll(tp->rk, 0);
	}
	publish(tp);
}

static int
put(char **buf, uint32_t *cap, uint32_t *len, const char *p, uint32_t n)
{
	if (*len + n > *cap) {
		uint32_t nc = *cap ? *cap : 4096;
		char *nb;

		while (nc < *len + n)
			nc *= 2;
		nb = realloc(*buf, nc);
		if (nb == NULL)
			return -1;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return 0;
}

/* The verdict of a slot whose every message came back. */
static void
finish(struct kafka_tp *tp, struct kslot *s, struct cf_delivery_tp_done *out)
{
	uint32_t ok = 0, dead = 0, retry = 0, i, rl = 0, dl = 0;
	int retry_err = 0, dead_err = 0, oom = 0;
	enum cf_delivery_outcome o;

	(void)tp;
	for (i = 0; i < s->nlines; i++) {
		if (s->llen[i] == 0)
			continue;
		o = cf_delivery_kafka_classify(s->err[i]);
		if (o == CF_DELIVERY_OUT_DELIVERED) {
			ok++;
		} else if (o == CF_DELIVERY_OUT_PERMANENT) {
			if (dead++ == 0)
				dead_err = s->err[i];
		} else if (retry++ == 0) {
			retry_err = s->err[i];
		}
	}
	/* The dead letter's ".response": "HTTP 0" (no HTTP answer), then every
	 * distinct refusal of the batch, one line each. */
	out->code = 0;
	out->what = s->what;
	out->resp = s->resp;
	out->resp_len = 0;
	for (i = 0; dead && i < s->nlines; i++) {
		size_t room = sizeof(s->resp) - out->resp_len;
		char name[64];
		int n;

		if (s->llen[i] == 0 || cf_delivery_kafka_classify(s->err[i]) != CF_DELIVERY_OUT_PERMANENT)
			continue;
		snprintf(name, sizeof(name), " %s:", rd_kafka_err2name(s->err[i]));
		s->resp[out->resp_len] = '\0';
		if (strstr(s->resp, name) != NULL)
			continue;
		n = snprintf(s->resp + out->resp_len, room, "kafka error %d%s %s\n", s->err[i], name,
			     rd_kafka_err2str(s->err[i]));
		if (n < 0 || (size_t)n >= room)
			break;
		out->resp_len += (size_t)n;
	}
	if (retry == 0 && dead == 0) {
		out->v.outcome = CF_DELIVERY_OUT_DELIVERED;
		s->what[0] = '\0';
		return;
	}
	snprintf(s->what, sizeof(s->what), "kafka: %u of %u messages %s: %s (%s)",
		 retry ? retry : dead, s->nmsg, retry ? "not delivered; will retry" : "refused; dead-lettered",
		 rd_kafka_err2str(retry ? retry_err : dead_err),
		 rd_kafka_err2name(retry ? retry_err : dead_err));
	if (ok == 0 && (retry == 0 || dead == 0)) {
		/* All alike: the request as a whole (a dead letter keeps its body as is). */
		out->v.outcome = retry ? cf_delivery_kafka_classify(retry_err) : CF_DELIVERY_OUT_PERMANENT;
		return;
	}
	/* In part: settled lines leave the retried body as empty lines. */
	for (i = 0; i < s->nlines && !oom; i++) {
		const char *line = s->body + s->off[i];

		o = s->llen[i] ? cf_delivery_kafka_classify(s->err[i]) : CF_DELIVERY_OUT_DELIVERED;
		if (o == CF_DELIVERY_OUT_PERMANENT)
			oom |= put(&s->dead, &s->dead_cap, &dl, line, s->llen[i]) ||
			       put(&s->dead, &s->dead_cap, &dl, "\n", 1);
		if (retry > 0 && cf_delivery_outcome_retried(o))
			oom |= put(&s->rest, &s->rest_cap, &rl, line, s->llen[i]);
		if (retry > 0)
			oom |= put(&s->rest, &s->rest_cap, &rl, "\n", 1);
	}
	if (oom) {
		/* No memory to split it: retry it whole (duplicates, never a loss). */
		out->v.outcome = CF_DELIVERY_OUT_TRANSPORT;
		return;
	}
	out->partial = 1;
	out->part_ok = ok;
	out->part_dead = dead;
	out->dead_body = s->dead;
	out->dead_len = dl;
	out->rest_body = s->rest;
	out->rest_len = rl;
	out->v.outcome = retry ? cf_delivery_kafka_classify(retry_err) : CF_DELIVERY_OUT_DELIVERED;
}

static int
kafka_next_done(struct cf_delivery_tp *t, struct cf_delivery_tp_done *out)
{
	struct kafka_tp *tp = KTP(t);

	while (tp->dq_n > 0) {
		unsigned int slot = tp->doneq[tp->dq_head];
		struct kslot *s = &tp->s[slot];

		tp->dq_head = (tp->dq_head + 1) % tp->nslots;
		tp->dq_n--;
		if (!s->busy)
			continue;
		memset(out, 0, sizeof(*out));
		out->slot = slot;
		out->latency_us = cf_clock_mono_us() - s->t0_us;
		finish(tp, s, out);
		s->busy = 0;
		return 1;
	}
	return 0;
}

static void
kafka_abort(struct cf_delivery_tp *t, unsigned int slot)
{
	struct kafka_tp *tp = KTP(t);

	/* Shutdown: nothing that has not left may leave now (it goes to the spool). */
	if (!tp->purged)
		rd_kafka_purge(tp->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT |
				       RD_KAFKA_PURGE_F_NON_BLOCKING);
	tp->purged = 1;
	tp->s[slot].busy = 0;
	tp->s[slot].gen++;
}

static void
drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void
kafka_wait(struct cf_delivery_tp *t, int timeout_ms)
{
	struct kafka_tp *tp = KTP(t);
	struct pollfd p[2] = { { .fd = tp->qpipe[0], .events = POLLIN },
			       { .fd = tp->wake, .events = POLLIN } };

	if (tp->dq_n > 0)
		return;
	if (poll(p, 2, timeout_ms) > 0) {
		if (p[0].revents)
			drain(tp->qpipe[0]);
		if (p[1].revents)
			drain(tp->wake);
	}
}

static void
kafka_wakeup(struct cf_delivery_tp *t)
{
	uint64_t one = 1;

	if (write(KTP(t)->wake, &one, sizeof(one)) < 0) {
		/* Full counter: a wake-up is pending anyway. */
	}
}

static void
kafka_close(struct cf_delivery_tp *t)
{
	struct kafka_tp *tp = KTP(t);
	unsigned int i;

	if (tp->rk != NULL) {
		rd_kafka_purge(tp->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		for (i = 0; i < tp->nslots; i++)
			tp->s[i].busy = 0;
		rd_kafka_flush(tp->rk, 1000);
		if (tp->rkt != NULL)
			rd_kafka_topic_destroy(tp->rkt);
		rd_kafka_destroy(tp->rk);
	}
	if (tp->conf != NULL)
		rd_kafka_conf_destroy(tp->conf);
	for (i = 0; tp->s != NULL && i < tp->nslots; i++) {
		free(tp->s[i].off);
		free(tp->s[i].llen);
		free(tp->s[i].err);
		free(tp->s[i].rest);
		free(tp->s[i].dead);
	}
	free(tp->s);
	free(tp->doneq);
	if (tp->qpipe[0] >= 0)
		close(tp->qpipe[0]);
	if (tp->qpipe[1] >= 0)
		close(tp->qpipe[1]);
	if (tp->wake >= 0)
		close(tp->wake);
	pthread_mutex_destroy(&tp->lock);
	free(tp);
}

static const struct cf_delivery_tp_ops kafka_ops = {
	.name = "kafka",
	.send = kafka_send,
	.busy = kafka_busy,
	.perform = kafka_perform,
	.next_done = kafka_next_done,
	.abort = kafka_abort,
	.wait = kafka_wait,
	.wakeup = kafka_wakeup,
	.close = kafka_close,
};

/* ---------------------------------------------------------------- set-up */

static int
set(rd_kafka_conf_t *c, const char *k, const char *v, const char *src, char *err, size_t errlen)
{
	char why[512];

	if (rd_kafka_conf_set(c, k, v, why, sizeof(why)) == RD_KAFKA_CONF_OK)
		return 0;
	snprintf(err, errlen, "%s%s%s: %s", src, src[0] ? " " : "", k, why);
	return -1;
}

/* Our defaults, then every --kafka-opt (they win). NULL with the reason. */
static rd_kafka_conf_t *
make_conf(const struct cf_delivery_tp_kafka_config *cfg, char *err, size_t errlen)
{
	const struct cf_delivery_kafka_config *k = cfg->k;
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char num[32], kv[1024];
	unsigned int i;

	snprintf(num, sizeof(num), "%" PRIu64, cfg->timeout_ms);
	if (set(c, "bootstrap.servers", k->brokers, "--kafka-brokers", err, errlen) ||
	    set(c, "client.id", "clarion-flowd", "", err, errlen) ||
	    set(c, "enable.idempotence", "true", "", err, errlen) ||
	    set(c, "acks", "all", "", err, errlen) ||
	    set(c, "message.timeout.ms", num, "--request-timeout-ms", err, errlen) ||
	    /* The Java client's partitioner: other producers keyed alike agree. */
	    set(c, "partitioner", "murmur2_random", "", err, errlen) ||
	    set(c, "statistics.interval.ms", "1000", "", err, errlen))
		goto fail;
	snprintf(num, sizeof(num), "%" PRIu64,
		 cfg->connect_timeout_ms < 1000 ? 1000 : cfg->connect_timeout_ms);
	if (set(c, "socket.connection.setup.timeout.ms", num, "--connect-timeout-ms", err, errlen))
		goto fail;
	for (i = 0; i < k->nopts; i++) {
		const char *eq = strchr(k->opts[i], '=');

		if (eq == NULL || eq == k->opts[i] || (size_t)(eq - k->opts[i]) >= sizeof(kv)) {
			snprintf(err, errlen, "--kafka-opt '%s': expected property=value", k->opts[i]);
			goto fail;
		}
		snprintf(kv, sizeof(kv), "%.*s", (int)(eq - k->opts[i]), k->opts[i]);
		if (set(c, kv, eq + 1, "--kafka-opt", err, errlen))
			goto fail;
	}
	return c;
fail:
	rd_kafka_conf_destroy(c);
	return NULL;
}

static rd_kafka_t *
make_producer(struct kafka_tp *tp, char *err, size_t errlen)
{
	rd_kafka_conf_t *c = rd_kafka_conf_dup(tp->conf);
	rd_kafka_queue_t *q;
	rd_kafka_t *rk;

	rd_kafka_conf_set_opaque(c, tp);
	rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
	rd_kafka_conf_set_error_cb(c, on_error);
	rd_kafka_conf_set_stats_cb(c, on_stats);
	rd_kafka_conf_set_log_cb(c, on_log);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, errlen);
	if (rk == NULL) {
		rd_kafka_conf_destroy(c);
		return NULL;
	}
	/* The delivery thread sleeps in poll(): librdkafka wakes it with a byte. */
	q = rd_kafka_queue_get_main(rk);
	rd_kafka_queue_io_event_enable(q, tp->qpipe[1], "1", 1);
	rd_kafka_queue_destroy(q);
	return rk;
}

struct cf_delivery_tp *
cf_delivery_tp_open_kafka(const struct cf_delivery_tp_kafka_config *cfg, char *err, size_t errlen)
{
	struct kafka_tp *tp = calloc(1, sizeof(*tp));
	char v[16];
	size_t vl = sizeof(v);

	if (tp == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	tp->base.ops = &kafka_ops;
	tp->cfg = *cfg;
	tp->nslots = cfg->nslots;
	tp->qpipe[0] = tp->qpipe[1] = tp->wake = -1;
	pthread_mutex_init(&tp->lock, NULL);
	tp->s = calloc(cfg->nslots, sizeof(*tp->s));
	tp->doneq = calloc(cfg->nslots, sizeof(*tp->doneq));
	if (tp->s == NULL || tp->doneq == NULL || pipe2(tp->qpipe, O_NONBLOCK | O_CLOEXEC) != 0 ||
	    (tp->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "out of memory or file descriptors");
		kafka_close(&tp->base);
		return NULL;
	}
	tp->conf = make_conf(cfg, err, errlen);
	if (tp->conf == NULL) {
		kafka_close(&tp->base);
		return NULL;
	}
	if (rd_kafka_conf_get(tp->conf, "enable.idempotence", v, &vl) == RD_KAFKA_CONF_OK &&
	    strcmp(v, "true") != 0)
		fprintf(stderr, "clarion-flowd: delivery: kafka: enable.idempotence=%s: a retry "
			"may write a record twice or out of order\n", v);
	tp->rk = make_producer(tp, err, errlen);
	if (tp->rk == NULL) {
		kafka_close(&tp->base);
		return NULL;
	}
	tp->rkt = rd_kafka_topic_new(tp->rk, cfg->k->topic, NULL);
	if (tp->rkt == NULL) {
		snprintf(err, errlen, "--kafka-topic '%s': %s", cfg->k->topic,
			 rd_kafka_err2str(rd_kafka_last_error()));
		kafka_close(&tp->base);
		return NULL;
	}
	publish(tp);
	return &tp->base;
}

int
cf_delivery_tp_kafka_stats(const struct cf_delivery_tp *t, struct cf_delivery_kafka_stats *out)
{
	struct kafka_tp *tp = (struct kafka_tp *)(uintptr_t)t;

	if (t == NULL || t->ops != &kafka_ops)
		return -1;
	pthread_mutex_lock(&tp->lock);
	*out = tp->pub;
	pthread_mutex_unlock(&tp->lock);
	return 0;
}
