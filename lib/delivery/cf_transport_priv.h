/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_TRANSPORT_PRIV_H
#define CF_TRANSPORT_PRIV_H

/*
 * Private to lib/delivery: the transports of the delivery engine, behind one
 * interface the scheduler (cf_sched_priv.h) drives: request slots, send,
 * finished requests as plain values, wait and wake-up. Two of them:
 *  - HTTP (cf_transport.c): libcurl, one multi handle, one easy handle per
 *    slot; builds each request (URL, headers, gzip, timeouts, TLS).
 *  - Kafka (cf_kafka.c): librdkafka, one idempotent producer; a request is a
 *    batch of NDJSON lines, one message each, finished when every message has
 *    its delivery report. It may finish in part (some messages delivered or
 *    refused, others to retry): see struct cf_delivery_tp_done.
 * A transport decides nothing: it turns what it saw into a verdict with the
 * pure classifiers (cf_delivery_classify, cf_delivery_kafka_classify); what to do
 * about it is the scheduler's.
 *
 * Thread safety: one thread (the delivery thread) calls everything except
 * cf_delivery_tp_wakeup(), which any thread may call while the transport is open.
 */

#include <stddef.h>
#include <stdint.h>

#include "cf_delivery.h"

/* Answer body bytes kept per request (for the dead letter). */
#define CF_DELIVERY_TP_RESP_MAX 4096
/* Retry-After value bytes kept per request. */
#define CF_DELIVERY_TP_RA_MAX 256

struct cf_delivery_tp;

struct cf_delivery_tp_config {
	/* Strings must outlive the transport. */
	const char *url;          /* record batches */
	const char *base;         /* request batches: base + their path; "" = none */
	const char *auth;         /* "Authorization: ..." header line, or "" */
	const char *ca_file;      /* "" = system store */
	int insecure;
	int compress;             /* gzip JSON bodies */
	uint64_t connect_timeout_ms;
	uint64_t timeout_ms;
	unsigned int nslots;      /* requests that may be in flight at once */
};

/* One request: a batch or spool entry as stored (metadata block included). */
struct cf_delivery_tp_req {
	uint64_t boot;
	uint64_t seq;
	const char *body;
	uint32_t len;
	uint32_t flags;           /* CDL_SEG_F_* */
	int replay;               /* adds X-Clarion-Replay: 1 */
};

/* Kafka batches: the producer's settings (cf_kafka.c). Strings must outlive it. */
struct cf_delivery_tp_kafka_config {
	const struct cf_delivery_kafka_config *k;
	uint64_t connect_timeout_ms;
	uint64_t timeout_ms;          /* message.timeout.ms unless --kafka-opt sets it */
	unsigned int nslots;
};

/* cf_delivery_tp_send() results besides 0. */
#define CF_DELIVERY_TP_ERR (-1)         /* not started now (libcurl, memory); may work later */
#define CF_DELIVERY_TP_UNSENDABLE (-2)  /* never sendable: unknown flags, bad metadata, no base URL */

/*
 * A finished request. Pointers stay valid until the slot is sent again.
 * partial = 0: the whole request has outcome v. partial = 1 (Kafka only):
 * part_ok of its records were delivered and part_dead refused for good
 * (dead_body: their lines); the others (rest_body: the request's body with
 * every settled line emptied, so each record keeps its line number) have
 * outcome v, a retried one.
 */
struct cf_delivery_tp_done {
	unsigned int slot;
	struct cf_delivery_verdict v;
	long code;                /* HTTP status (0: no answer); Kafka: error code */
	const char *what;         /* one line for the log when not delivered */
	const char *resp;         /* dead letter's answer: body start, or Kafka's error text */
	size_t resp_len;
	uint64_t latency_us;      /* send to completion */
	int partial;
	uint32_t part_ok;
	uint32_t part_dead;
	const char *dead_body;
	uint32_t dead_len;
	const char *rest_body;
	uint32_t rest_len;
};

/* The calls every transport answers; cf_delivery_tp_* below dispatch to them. */
struct cf_delivery_tp_ops {
	const char *name;
	int (*send)(struct cf_delivery_tp *tp, unsigned int slot,
		    const struct cf_delivery_tp_req *rq, size_t *wire, int *meta);
	int (*busy)(const struct cf_delivery_tp *tp, unsigned int slot);
	void (*perform)(struct cf_delivery_tp *tp);
	int (*next_done)(struct cf_delivery_tp *tp, struct cf_delivery_tp_done *out);
	void (*abort)(struct cf_delivery_tp *tp, unsigned int slot);
	void (*wait)(struct cf_delivery_tp *tp, int timeout_ms);
	void (*wakeup)(struct cf_delivery_tp *tp);
	void (*close)(struct cf_delivery_tp *tp);
};

/* Every transport's state starts with this. */
struct cf_delivery_tp {
	const struct cf_delivery_tp_ops *ops;
};

/* Initialises libcurl (once per process) and nslots easy handles. NULL with
 * a reason in err. */
struct cf_delivery_tp *cf_delivery_tp_open(const struct cf_delivery_tp_config *cfg, char *err,
					   size_t errlen);
/* Creates the producer (its threads inherit the caller's CPU set: call from
 * the control side). NULL with librdkafka's reason in err. */
struct cf_delivery_tp *cf_delivery_tp_open_kafka(const struct cf_delivery_tp_kafka_config *cfg,
						 char *err, size_t errlen);
/* The Kafka transport's counters; -1 when tp is not Kafka. Any thread. */
int cf_delivery_tp_kafka_stats(const struct cf_delivery_tp *tp,
			       struct cf_delivery_kafka_stats *out);
/* Frees any transport (NULL is a no-op). */
void cf_delivery_tp_close(struct cf_delivery_tp *tp);
/*
 * Starts rq on a free slot. 0: in flight, *wire = body bytes on the wire
 * (after compression), *meta = 1 when it went as a request batch (own path
 * and headers). CF_DELIVERY_TP_ERR or CF_DELIVERY_TP_UNSENDABLE: nothing started.
 */
static inline int
cf_delivery_tp_send(struct cf_delivery_tp *tp, unsigned int slot,
		    const struct cf_delivery_tp_req *rq, size_t *wire, int *meta)
{
	return tp->ops->send(tp, slot, rq, wire, meta);
}

static inline int
cf_delivery_tp_busy(const struct cf_delivery_tp *tp, unsigned int slot)
{
	return tp->ops->busy(tp, slot);
}

/* Moves transfers along without blocking. */
static inline void
cf_delivery_tp_perform(struct cf_delivery_tp *tp)
{
	tp->ops->perform(tp);
}

/* The next finished request: 1 and *out filled (its slot is free again),
 * 0 when none is left. */
static inline int
cf_delivery_tp_next_done(struct cf_delivery_tp *tp, struct cf_delivery_tp_done *out)
{
	return tp->ops->next_done(tp, out);
}

/* Drops a request in flight (shutdown only: Kafka purges every message it
 * still holds); its slot is free again. */
static inline void
cf_delivery_tp_abort(struct cf_delivery_tp *tp, unsigned int slot)
{
	tp->ops->abort(tp, slot);
}

/* Sleeps until the transport has news, cf_delivery_tp_wakeup() or timeout_ms. */
static inline void
cf_delivery_tp_wait(struct cf_delivery_tp *tp, int timeout_ms)
{
	tp->ops->wait(tp, timeout_ms);
}

/* Ends a cf_delivery_tp_wait() early. Any thread. */
static inline void
cf_delivery_tp_wakeup(struct cf_delivery_tp *tp)
{
	tp->ops->wakeup(tp);
}

#endif
