/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The delivery policy (cf_sched_priv.h): which batch goes out next, what an
 * outcome does to it, and the ledger. The transport (cf_transport.c) only
 * moves bytes; cf_delivery_classify() says what an answer means.
 *
 * A batch taken from a ring is "live" (in memory) until it is delivered,
 * dead-lettered or sent to disk. Live batches use the first `concurrency`
 * request slots; the last slot replays the spool, oldest entry first.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "cf_clock.h"
#include "cf_sched_priv.h"

/* struct cf_delivery_batch.state of a live batch. */
enum { B_QUEUED, B_INFLIGHT, B_WAIT };

/* ------------------------------------------------------------------- logs */

/* The program's log stream (rte_openlog_stream) gives every line its time and prefix. */
RTE_LOG_REGISTER(cf_delivery_logtype, clarion.delivery, INFO);

static void
vlog(uint32_t level, uint64_t suppressed, const char *fmt, va_list ap)
{
	char msg[512], tail[64] = "";

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (suppressed)
		snprintf(tail, sizeof(tail), " (%" PRIu64 " similar messages suppressed)", suppressed);
	/* One call per line, so a line never mixes with the control lcore's. */
	rte_log(level, (uint32_t)cf_delivery_logtype, "delivery: %s%s\n", msg, tail);
}

void
cf_delivery_log(uint32_t level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, 0, fmt, ap);
	va_end(ap);
}

/* Errors of the same kind repeat for every batch during an outage: one line a second. */
static void __attribute__((format(printf, 3, 4)))
log_rl(struct cf_delivery_rl *rl, uint32_t level, const char *fmt, ...)
{
	uint64_t t = cf_clock_mono_ms();
	va_list ap;

	if (t - rl->last_ms < 1000 && rl->last_ms != 0) {
		rl->suppressed++;
		return;
	}
	va_start(ap, fmt);
	vlog(level, rl->suppressed, fmt, ap);
	va_end(ap);
	rl->suppressed = 0;
	rl->last_ms = t;
}

#define log_err(s, ...) log_rl(&(s)->rl_net, RTE_LOG_WARNING, __VA_ARGS__)
#define log_disk(s, ...) log_rl(&(s)->rl_disk, RTE_LOG_ERR, __VA_ARGS__)

/*
 * One line per transition. An outage (closed -> open) and a failed probe
 * (half-open -> open) are counted apart: many re-opens and one open is one
 * long outage, many opens is a flapping backend.
 */
static void
breaker_log(struct cf_delivery_sched *s)
{
	const char *from = cf_delivery_breaker_name((enum cf_delivery_breaker_state)s->br_logged);
	const char *to = cf_delivery_breaker_name(s->br.state);

	if ((int)s->br.state == s->br_logged)
		return;
	if (s->br.state == CF_DELIVERY_BREAKER_OPEN && s->br_logged == CF_DELIVERY_BREAKER_CLOSED)
		cf_delivery_log(RTE_LOG_WARNING, "circuit breaker %s -> %s after %u consecutive "
				"failures (open #%" PRIu64 "; re-opens so far %" PRIu64 ")",
				from, to, s->br.failures, s->br.opens, s->br.reopens);
	else if (s->br.state == CF_DELIVERY_BREAKER_OPEN)
		cf_delivery_log(RTE_LOG_WARNING, "circuit breaker %s -> %s: the probe failed "
				"(re-open #%" PRIu64 "; opens so far %" PRIu64 ")",
				from, to, s->br.reopens, s->br.opens);
	else
		cf_delivery_log(s->br.state == CF_DELIVERY_BREAKER_CLOSED ? RTE_LOG_NOTICE :
				RTE_LOG_INFO, "circuit breaker %s -> %s", from, to);
	s->br_logged = (int)s->br.state;
	s->st.breaker_state = (int)s->br.state;
	s->st.breaker_opens = s->br.opens;
	s->st.breaker_reopens = s->br.reopens;
}

/* -------------------------------------------------------------- accounting */

/* The spool's counters into st, and the drop total. */
static void
refresh(struct cf_delivery_sched *s)
{
	struct cf_delivery_spool_info i;
	uint64_t t = 0;
	unsigned int k;

	if (s->spool != NULL) {
		cf_delivery_spool_get_info(s->spool, &i);
		s->st.spooled = i.records;
		s->st.spool_bytes = i.bytes;
		s->st.spool_written = i.written_records;
		s->st.spool_batches = i.batches;
		s->st.spool_oldest_unix_s = i.oldest_unix_s;
		s->st.spool_skipped_files = i.skipped_files;
		s->st.dropped[CF_DELIVERY_DROP_SPOOL_FULL_OLDEST] = i.dropped_oldest_records;
		s->st.dropped[CF_DELIVERY_DROP_SPOOL_CORRUPT] = i.corrupt_records;
	}
	for (k = 0; k < CF_DELIVERY_DROP_MAX; k++)
		t += s->st.dropped[k];
	s->st.dropped_total = t;
}

static void
live_remove(struct cf_delivery_sched *s, struct cf_delivery_batch *b)
{
	unsigned int i;

	for (i = 0; i < s->nlive; i++) {
		if (s->live[i] == b) {
			s->live[i] = s->live[--s->nlive];
			break;
		}
	}
	s->st.pending -= b->nrec;
}

/* A batch that cannot be delivered now goes to disk, or is counted dropped. Frees b. */
static void
to_disk(struct cf_delivery_sched *s, struct cf_delivery_batch *b)
{
	int rc;

	if (s->spool == NULL) {
		s->st.dropped[CF_DELIVERY_DROP_NO_SPOOL] += b->nrec;
	} else {
		rc = cf_delivery_spool_append_flags(s->spool, b->boot, b->seq, b->nrec,
						    b->meta_len ? CF_DELIVERY_SEG_F_META : 0,
						    b->body, b->len);
		if (rc == 1) {
			s->st.dropped[CF_DELIVERY_DROP_SPOOL_FULL_NEWEST] += b->nrec;
		} else if (rc < 0) {
			s->st.dropped[CF_DELIVERY_DROP_SPOOL_IO] += b->nrec;
			log_disk(s, "spool write failed: %s (errno %d); batch dropped", strerror(-rc), -rc);
		}
	}
	cf_delivery_batch_free(b);
}

/* What accounting needs of a batch from a ring or of the replay entry. */
struct item {
	struct cf_delivery_batch *b;          /* the batch, or NULL: the replay entry */
	int queued;                   /* b is in the live queue (counted pending) */
	uint64_t boot;
	uint64_t seq;
	uint32_t nrec;
	int meta;                     /* a request batch: the req_* counters too */
	const char *body;             /* what a dead letter keeps */
	uint32_t len;
};

enum fate {
	FATE_DELIVERED,               /* the backend took it */
	FATE_DEAD,                    /* refused for good, or never sendable */
	FATE_DISK,                    /* not now: a batch goes to the spool (or is
				       * dropped), the replay entry stays there */
	FATE_KEEP,                    /* with a part only: the rest of a live batch
				       * stays in memory, to be retried */
};

/*
 * Records of an item that the transport settled one by one (Kafka): ok of
 * them delivered, dead refused (their lines: dead_body); the rest has the
 * fate passed to settle(). A live batch going on keeps only its rest
 * (rest_body: its body with the settled lines emptied).
 */
struct part {
	uint32_t ok;
	uint32_t dead;
	const char *dead_body;
	uint32_t dead_len;
	const char *rest_body;
	uint32_t rest_len;
};

static struct item
batch_item(struct cf_delivery_batch *b, int queued)
{
	/* A batch's dead letter is its HTTP body, without the metadata block. */
	return (struct item){ .b = b, .queued = queued, .boot = b->boot, .seq = b->seq,
			      .nrec = b->nrec, .meta = b->meta_len != 0,
			      .body = b->body + b->meta_len, .len = b->len - b->meta_len };
}

static struct item
replay_item(const struct cf_delivery_replay *rp)
{
	/* A spool entry's dead letter is the entry as stored, metadata block
	 * included (it may be what made the entry unsendable). */
	return (struct item){ .boot = rp->h.boot, .seq = rp->h.seq, .nrec = rp->h.nrec,
			      .meta = rp->meta, .body = rp->body, .len = rp->h.len };
}

static void
count_delivered(struct cf_delivery_sched *s, const struct item *it, uint32_t n)
{
	s->st.delivered += n;
	if (it->b == NULL)
		s->st.replayed += n;
	if (it->meta)
		s->st.req_items_delivered += n;
}

/*
 * A refused batch is dead-lettered only when both its files are on disk;
 * otherwise its records are dropped, by reason, and the failure logged:
 * never counted as kept when they are not. body/len/n: the whole item, or
 * the part of it a transport refused (Kafka settles messages one by one).
 */
static void
dead_letter(struct cf_delivery_sched *s, const struct item *it, const char *body, uint32_t len,
	    uint32_t n, long code, const char *resp, size_t resp_len)
{
	struct cf_delivery_dead_letter_info di;
	int rc;

	if (code != 0) {
		/* Answered, and refused: what /health reports (cf_delivery_stats). */
		uint64_t now = cf_clock_mono_ms();

		s->st.refused_records += n;
		s->st.refused_batches++;
		s->st.last_refused_status = code;
		s->st.last_refused_ms = now;
		if (s->st.refusing_since_ms == 0)
			s->st.refusing_since_ms = now;
	}
	if (s->cfg.dl == NULL) {
		s->st.dropped[CF_DELIVERY_DROP_REFUSED_NOT_KEPT] += n;
		return;
	}
	rc = cf_delivery_dead_letter_write(s->cfg.dl, it->boot, it->seq, body, len, code,
					   resp, resp_len);
	cf_delivery_dead_letter_get_info(s->cfg.dl, &di);
	s->st.dead_letter_bytes = di.bytes;
	s->st.dead_letter_failed = di.failed_batches;
	s->st.dead_letter_errno = di.last_errno;
	if (rc == 0) {
		s->st.dead_lettered += n;
		s->st.dead_lettered_batches++;
		s->st.req_dead_lettered += it->meta != 0;
	} else if (rc == -EDQUOT) {
		s->st.dropped[CF_DELIVERY_DROP_DEAD_LETTER_FULL] += n;
		log_disk(s, "dead-letter directory %s is at its budget (%" PRIu64 " of %" PRIu64
			" bytes, --dead-letter-max-bytes): refused batch %" PRIu64 " not kept",
			cf_delivery_dead_letter_path(s->cfg.dl), di.bytes, di.max_bytes, it->seq);
	} else {
		s->st.dropped[CF_DELIVERY_DROP_DEAD_LETTER_IO] += n;
		log_disk(s, "cannot write dead letter for batch %" PRIu64 " in %s: %s (errno %d); "
			"not kept", it->seq, cf_delivery_dead_letter_path(s->cfg.dl), strerror(-rc),
			-rc);
	}
}

/*
 * The one place where a batch or the replay entry changes hands: every
 * ledger counter (delivered, dead_lettered, pending, spooled, dropped) moves
 * here, for live batches and replays alike. Frees what it settles. p (may be
 * NULL): the records the transport settled one by one; a replay entry takes
 * one only with FATE_DELIVERED (the entry leaves the disk whole).
 */
static void
settle(struct cf_delivery_sched *s, const struct item *it, enum fate f, const struct part *p,
       long code, const char *resp, size_t resp_len)
{
	uint32_t rest = it->nrec;

	if (p != NULL) {
		count_delivered(s, it, p->ok);
		if (p->dead > 0)
			dead_letter(s, it, p->dead_body, p->dead_len, p->dead, code, resp, resp_len);
		rest -= p->ok + p->dead;
	}
	switch (f) {
	case FATE_DELIVERED:
		count_delivered(s, it, rest);
		s->st.delivered_batches++;
		s->st.req_delivered += it->meta != 0;
		break;
	case FATE_DEAD:
		dead_letter(s, it, it->body, it->len, rest, code, resp, resp_len);
		break;
	case FATE_DISK:
	case FATE_KEEP:
		break;
	}
	if (it->b != NULL) {
		struct cf_delivery_batch *b = it->b;

		if (p != NULL && (f == FATE_DISK || f == FATE_KEEP) && p->rest_len <= b->cap) {
			memcpy(b->body, p->rest_body, p->rest_len);
			b->len = p->rest_len;
		}
		if (f == FATE_KEEP) {
			if (it->queued)
				s->st.pending -= b->nrec - rest;
			b->nrec = rest;
		} else {
			if (it->queued)
				live_remove(s, b);
			b->nrec = rest;
			if (f == FATE_DISK)
				to_disk(s, b);
			else
				cf_delivery_batch_free(b);
		}
	} else {
		if (f == FATE_DISK)
			cf_delivery_spool_release(s->spool);
		else
			cf_delivery_spool_consume(s->spool);
		free(s->rp.body);
		s->rp.body = NULL;
	}
	refresh(s);
}

static struct part
done_part(const struct cf_delivery_tp_done *r)
{
	return (struct part){ .ok = r->part_ok, .dead = r->part_dead, .dead_body = r->dead_body,
			      .dead_len = r->dead_len, .rest_body = r->rest_body,
			      .rest_len = r->rest_len };
}

static void
count_request(struct cf_delivery_sched *s, size_t wire)
{
	s->st.requests++;
	s->st.body_bytes += wire;
}

static void
count_latency(struct cf_delivery_sched *s, uint64_t us)
{
	unsigned int k = cf_delivery_lat_bucket(us);

	if (k < CF_DELIVERY_LAT_BUCKETS)
		s->st.lat_le[k]++;
	s->st.lat_sum_us += us;
	s->st.lat_count++;
}

/* -------------------------------------------------------------- scheduling */

/* Open and cooling down: nothing may be sent. */
static int
blocked(const struct cf_delivery_sched *s, uint64_t now)
{
	return s->br.state == CF_DELIVERY_BREAKER_OPEN && now - s->br.opened_ms < s->br.cooldown_ms;
}

/*
 * Wait before try number `attempt` after a transient failure: full-jitter
 * backoff. A live batch waits at least Retry-After; the replay entry waits
 * exactly Retry-After when there is one (as the engine always did; only
 * live batches follow docs/delivery.md's "lower bound").
 */
static uint64_t
retry_delay(const struct cf_delivery_sched *s, unsigned int attempt,
	    const struct cf_delivery_verdict *v, int replay)
{
	uint64_t delay = cf_delivery_backoff_delay(&s->cfg.backoff, attempt, rte_rand());

	if (v->retry_after_s > 0 && (replay || (uint64_t)v->retry_after_s * 1000 > delay))
		delay = (uint64_t)v->retry_after_s * 1000;
	return delay;
}

static struct cf_delivery_batch *
next_live(const struct cf_delivery_sched *s, uint64_t now)
{
	struct cf_delivery_batch *best = NULL;
	unsigned int i;

	/* Oldest first, so the backend sees batches roughly in order. */
	for (i = 0; i < s->nlive; i++) {
		struct cf_delivery_batch *b = s->live[i];

		if (b->state == B_INFLIGHT || (b->state == B_WAIT && b->ready_ms > now))
			continue;
		if (best == NULL || b->seq < best->seq)
			best = b;
	}
	return best;
}

enum rp_event {
	RP_EV_TICK,                   /* the scheduler runs: start the next entry if due */
	RP_EV_DONE,                   /* its request finished (v, r) */
	RP_EV_ABORT,                  /* shutdown: drop the request, keep the entry */
};

/*
 * The spool-replay slot, all of it: one entry out at a time, oldest first.
 *   idle --tick, due, peeked, breaker allows, sent--> busy
 *   idle --tick, not sendable--> idle (entry dead-lettered)
 *   idle --tick, not sent now--> idle (entry given back, 1 s pause)
 *   busy --done: delivered / refused--> idle (entry consumed)
 *   busy --done: transient--> idle (entry given back, backoff)
 *   busy --abort--> idle (entry given back: replayed at the next start)
 */
static void
replay_step(struct cf_delivery_sched *s, enum rp_event ev, const struct cf_delivery_verdict *v,
	    const struct cf_delivery_tp_done *r, uint64_t now)
{
	struct cf_delivery_replay *rp = &s->rp;
	unsigned int slot = s->nslots - 1;
	struct cf_delivery_tp_req rq;
	struct item it;
	size_t wire;
	int rc;

	switch (rp->state) {
	case CF_DELIVERY_RP_IDLE:
		if (ev != RP_EV_TICK || s->spool == NULL || s->stopping || now < rp->ready_ms)
			return;
		if (s->st.spooled == 0 && s->st.dropped[CF_DELIVERY_DROP_SPOOL_CORRUPT] == 0)
			return;
		/* Peek first: an allowed probe must be sent. */
		rc = cf_delivery_spool_peek(s->spool, &rp->h, &rp->body);
		refresh(s);
		if (rc < 0) {
			log_disk(s, "spool read failed: %s (errno %d)", strerror(-rc), -rc);
			rp->ready_ms = now + 1000;
			return;
		}
		if (rc == 0)
			return;
		rp->meta = 0;
		it = replay_item(rp);
		if (!cf_delivery_breaker_allow(&s->br, now)) {
			settle(s, &it, FATE_DISK, NULL, 0, NULL, 0);
			return;
		}
		breaker_log(s);
		rq = (struct cf_delivery_tp_req){ .boot = rp->h.boot, .seq = rp->h.seq, .body = rp->body,
					  .len = rp->h.len, .flags = rp->h.flags, .replay = 1 };
		rc = cf_delivery_tp_send(s->tp, slot, &rq, &wire, &rp->meta);
		if (rc == 0) {
			count_request(s, wire);
			rp->state = CF_DELIVERY_RP_BUSY;
			return;
		}
		/* Not sent: a half-open breaker must not wait for this probe. */
		s->br.probe_out = 0;
		if (rc == CF_DELIVERY_TP_UNSENDABLE) {
			/* Never sendable (unknown format): keep it for a human. */
			log_disk(s, "spool entry %" PRIu64 " cannot be sent (unknown format): refused "
				 "for good", rp->h.seq);
			settle(s, &it, FATE_DEAD, NULL, 0, NULL, 0);
		} else {
			settle(s, &it, FATE_DISK, NULL, 0, NULL, 0);
			rp->ready_ms = now + 1000;
		}
		return;
	case CF_DELIVERY_RP_BUSY:
		if (ev == RP_EV_TICK)
			return;
		rp->state = CF_DELIVERY_RP_IDLE;
		it = replay_item(rp);
		if (ev == RP_EV_ABORT) {
			cf_delivery_tp_abort(s->tp, slot);
			/* Not consumed: it stays in the spool for the next start. */
			settle(s, &it, FATE_DISK, NULL, 0, NULL, 0);
		} else if (cf_delivery_outcome_retried(v->outcome)) {
			/* On disk already: never given up, only retried later. A part
			 * delivered now goes again with the entry: count it. */
			if (r->partial)
				s->st.resent += r->part_ok;
			rp->fails++;
			rp->ready_ms = now + retry_delay(s, rp->fails, v, 1);
			settle(s, &it, FATE_DISK, NULL, 0, NULL, 0);
		} else if (r->partial) {
			struct part p = done_part(r);

			rp->fails = 0;
			settle(s, &it, FATE_DELIVERED, &p, r->code, r->resp, r->resp_len);
		} else {
			rp->fails = 0;
			settle(s, &it,
			       v->outcome == CF_DELIVERY_OUT_DELIVERED ? FATE_DELIVERED : FATE_DEAD, NULL,
			       r->code, r->resp, r->resp_len);
		}
		return;
	}
}

/* A live batch's request finished. */
static void
live_done(struct cf_delivery_sched *s, unsigned int slot, const struct cf_delivery_verdict *v,
	  const struct cf_delivery_tp_done *r, uint64_t now)
{
	struct cf_delivery_batch *b = s->slot_live[slot];
	struct item it = batch_item(b, 1);
	struct part part = done_part(r);
	const struct part *p = r->partial ? &part : NULL;

	s->slot_live[slot] = NULL;
	s->st.in_flight -= b->nrec;
	if (v->outcome == CF_DELIVERY_OUT_DELIVERED) {
		settle(s, &it, FATE_DELIVERED, p, r->code, r->resp, r->resp_len);
	} else if (!cf_delivery_outcome_retried(v->outcome)) {
		settle(s, &it, FATE_DEAD, NULL, r->code, r->resp, r->resp_len);
	} else if (b->attempts > s->cfg.retry_attempts || s->stopping) {
		/* Out of tries, or shutting down (no retry waits): disk keeps it. */
		settle(s, &it, FATE_DISK, p, r->code, r->resp, r->resp_len);
	} else {
		if (p != NULL)
			settle(s, &it, FATE_KEEP, p, r->code, r->resp, r->resp_len);
		b->state = B_WAIT;
		b->ready_ms = now + retry_delay(s, b->attempts, v, 0);
		s->st.retries++;
	}
}

void
cf_delivery_sched_done(struct cf_delivery_sched *s, const struct cf_delivery_tp_done *r,
		       uint64_t now)
{
	const struct cf_delivery_verdict *v = &r->v;
	/* Any record taken, or an answer that shows the far end alive, is no breaker failure. */
	int alive = cf_delivery_outcome_breaker_ok(v->outcome) || (r->partial && r->part_ok > 0);

	count_latency(s, r->latency_us);
	switch (v->outcome) {
	case CF_DELIVERY_OUT_DELIVERED:
		s->st.responses_2xx++;
		s->st.last_2xx_ms = now;
		s->st.refusing_since_ms = 0;
		break;
	case CF_DELIVERY_OUT_TRANSPORT:
		s->st.transport_errors++;
		break;
	case CF_DELIVERY_OUT_TRANSIENT:
		s->st.responses_transient++;
		break;
	case CF_DELIVERY_OUT_PERMANENT:
	default:
		s->st.responses_permanent++;
		break;
	}
	if (r->partial && r->part_dead > 0 && v->outcome != CF_DELIVERY_OUT_PERMANENT)
		s->st.responses_permanent++;
	if ((v->outcome != CF_DELIVERY_OUT_DELIVERED || (r->partial && r->part_dead > 0)) &&
	    r->what != NULL && r->what[0] != '\0')
		log_err(s, "%s", r->what);
	cf_delivery_breaker_result(&s->br, alive, now);
	breaker_log(s);
	if (r->slot == s->nslots - 1)
		replay_step(s, RP_EV_DONE, v, r, now);
	else
		live_done(s, r->slot, v, r, now);
}

/* The oldest live batch not on the wire, or NULL. */
static struct cf_delivery_batch *
oldest_idle(const struct cf_delivery_sched *s)
{
	struct cf_delivery_batch *best = NULL;
	unsigned int i;

	for (i = 0; i < s->nlive; i++)
		if (s->live[i]->state != B_INFLIGHT && (best == NULL || s->live[i]->seq < best->seq))
			best = s->live[i];
	return best;
}

void
cf_delivery_sched_run(struct cf_delivery_sched *s, uint64_t now)
{
	unsigned int i;

	if (blocked(s, now)) {
		/* Open: nothing waits in memory for the network; disk it all,
		 * oldest first, so the spool replays in arrival order. */
		struct cf_delivery_batch *b;

		while ((b = oldest_idle(s)) != NULL) {
			struct item it = batch_item(b, 1);

			settle(s, &it, FATE_DISK, NULL, 0, NULL, 0);
		}
		return;
	}
	for (i = 0; i + 1 < s->nslots; i++) {
		struct cf_delivery_tp_req rq;
		struct cf_delivery_batch *b;
		struct item it;
		size_t wire;
		int meta;

		if (cf_delivery_tp_busy(s->tp, i))
			continue;
		b = next_live(s, now);
		if (b == NULL || !cf_delivery_breaker_allow(&s->br, now))
			break;
		breaker_log(s);
		rq = (struct cf_delivery_tp_req){ .boot = b->boot, .seq = b->seq, .body = b->body, .len = b->len,
					  .flags = b->meta_len ? CF_DELIVERY_SEG_F_META : 0, .replay = 0 };
		if (cf_delivery_tp_send(s->tp, i, &rq, &wire, &meta) != 0) {
			/* Not sent: a half-open breaker must not wait for this probe. */
			s->br.probe_out = 0;
			it = batch_item(b, 1);
			settle(s, &it, FATE_DISK, NULL, 0, NULL, 0);
			continue;
		}
		count_request(s, wire);
		s->slot_live[i] = b;
		b->state = B_INFLIGHT;
		b->attempts++;
		s->st.in_flight += b->nrec;
	}
	replay_step(s, RP_EV_TICK, NULL, NULL, now);
}

void
cf_delivery_sched_spool_taken(struct cf_delivery_sched *s, struct cf_delivery_batch *b)
{
	struct item it = batch_item(b, 0);

	s->st.taken += b->nrec;
	s->st.taken_batches++;
	settle(s, &it, FATE_DISK, NULL, 0, NULL, 0);
}

/*
 * Moves batches from the rings into memory, up to cap_live of them. The ring
 * is the in-memory backlog; the spool takes over when the breaker is open,
 * or when the backlog passes half the ring (the backend is slower than the
 * input). Without a spool a backlog stays in the ring (the producer waits),
 * and only an open breaker drops, counted as no_spool. A ring's worth at
 * most per call, so that sending and replaying go on under any input.
 */
void
cf_delivery_sched_take(struct cf_delivery_sched *s, struct rte_ring *ring, struct rte_ring *mring,
		       uint64_t now)
{
	int open = blocked(s, now) && !s->stopping;
	unsigned int n, spilled = 0;

	/* At most a ring's worth per call: a producer that keeps the ring full
	 * (input faster than the disk) must not starve the network of its turn. */
	for (n = 0; n < s->cfg.ring_size; n++) {
		struct cf_delivery_batch *b;
		int to_live = !open && s->nlive < s->cap_live;

		/*
		 * A backlog with the backend up (the input faster than the backend)
		 * spills to disk, but the disk must not starve the network: one batch
		 * per turn of the engine loop, and spilling takes at most a quarter of
		 * the thread's time (each spill is timed). The backend, not the disk,
		 * is what drains a backlog; what neither takes waits in the ring, and
		 * past it the RX rings count it (ring_full).
		 */
		if (!to_live && !open &&
		    (spilled > 0 || cf_clock_mono_us() < s->spill_after_us ||
		     !(s->spool != NULL && rte_ring_count(ring) > s->cfg.ring_size / 2)))
			break;
		/* Request batches first: few, small, and an agent waits on each. */
		if (rte_ring_sc_dequeue(mring, (void **)&b) != 0 &&
		    rte_ring_sc_dequeue(ring, (void **)&b) != 0)
			break;
		b->state = B_QUEUED;
		b->attempts = 0;
		if (!to_live) {
			uint64_t t0 = open ? 0 : cf_clock_mono_us();

			cf_delivery_sched_spool_taken(s, b);
			if (!open) {
				spilled++;
				s->spill_after_us = cf_clock_mono_us() +
						    3 * (cf_clock_mono_us() - t0);
			}
			continue;
		}
		s->st.taken += b->nrec;
		s->st.taken_batches++;
		s->live[s->nlive++] = b;
		s->st.pending += b->nrec;
	}
}

int
cf_delivery_sched_idle(const struct cf_delivery_sched *s)
{
	return s->nlive == 0 && s->rp.state == CF_DELIVERY_RP_IDLE;
}

uint64_t
cf_delivery_sched_wait_ms(const struct cf_delivery_sched *s, uint64_t now)
{
	uint64_t w = 20;
	unsigned int i;

	for (i = 0; i < s->nlive; i++)
		if (s->live[i]->state == B_WAIT && s->live[i]->ready_ms > now &&
		    s->live[i]->ready_ms - now < w)
			w = s->live[i]->ready_ms - now;
	return w;
}

void
cf_delivery_sched_abort(struct cf_delivery_sched *s)
{
	unsigned int i;

	for (i = 0; i + 1 < s->nslots; i++) {
		struct cf_delivery_batch *b = s->slot_live[i];

		if (!cf_delivery_tp_busy(s->tp, i))
			continue;
		cf_delivery_tp_abort(s->tp, i);
		if (b != NULL) {
			s->st.in_flight -= b->nrec;
			b->state = B_QUEUED;
			s->slot_live[i] = NULL;
		}
	}
	replay_step(s, RP_EV_ABORT, NULL, NULL, 0);
	/* Out of time or done: whatever is still in memory goes to disk, oldest first. */
	while (s->nlive > 0) {
		struct item it = batch_item(oldest_idle(s), 1);

		settle(s, &it, FATE_DISK, NULL, 0, NULL, 0);
	}
}

int
cf_delivery_sched_init(struct cf_delivery_sched *s, const struct cf_delivery_sched_config *cfg,
		       struct cf_delivery_tp *tp, struct cf_delivery_spool *spool)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->tp = tp;
	s->spool = spool;
	cf_delivery_breaker_init(&s->br, cfg->breaker_threshold, cfg->breaker_cooldown_ms);
	s->br_logged = CF_DELIVERY_BREAKER_CLOSED;
	s->cap_live = cfg->concurrency * 4 < 16 ? 16 : cfg->concurrency * 4;
	s->nslots = cfg->concurrency + 1;
	s->live = calloc(s->cap_live, sizeof(*s->live));
	s->slot_live = calloc(s->nslots, sizeof(*s->slot_live));
	if (s->live == NULL || s->slot_live == NULL) {
		cf_delivery_sched_fini(s);
		return -ENOMEM;
	}
	if (spool != NULL) {
		struct cf_delivery_spool_info si;

		cf_delivery_spool_get_info(spool, &si);
		/* Entries found corrupt later were on disk at start too. */
		s->st.recovered = si.recovered_records + si.corrupt_records;
	}
	refresh(s);
	return 0;
}

void
cf_delivery_sched_fini(struct cf_delivery_sched *s)
{
	unsigned int i;

	if (s->live != NULL)
		for (i = 0; i < s->nlive; i++)
			cf_delivery_batch_free(s->live[i]);
	free(s->live);
	free(s->slot_live);
	free(s->rp.body);
	s->live = NULL;
	s->slot_live = NULL;
	s->rp.body = NULL;
	s->nlive = 0;
}
