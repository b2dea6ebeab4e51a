/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The delivery engine: its life cycle and its thread. One DPDK control
 * thread owns the transport (libcurl), the scheduler (queue, retry, breaker,
 * replay: cf_sched.c), the spool and the dead-letter directory. The control
 * lcore only encodes batches and enqueues them on an SP/SC ring, so neither
 * the network nor the disk (fsync) can stall record draining.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "cf_clock.h"
#include "cf_delivery.h"
#include "cf_sched_priv.h"
#include "cf_transport_priv.h"

/* A configuration checked and copied: nothing in it points at the caller's strings. */
struct settings {
	struct cf_delivery_config cfg;       /* its strings point at the buffers below */
	char brokers[1024];
	char topic[256];
	char key[128];
	char opts[CF_DELIVERY_KAFKA_OPT_MAX][512];
	char url[1024];
	char base[1024];
	char auth[1100];             /* "Authorization: ..." header line, or "" */
	char ca_file[PATH_MAX];
	char spool_dir[PATH_MAX];
	char dl_dir[PATH_MAX];
};

struct cf_delivery {
	struct settings set;
	struct rte_ring *ring;
	struct rte_ring *mring;      /* MP/SC: request batches from any thread */
	pthread_mutex_t mlock;       /* request producers vs the final drain */
	int mclosed;                 /* under mlock: the engine took its last batch */
	uint64_t seq;                /* atomic */
	uint64_t req_submitted;      /* atomic, producers */
	uint64_t req_items_submitted;
	uint64_t submitted;          /* atomic, producers */
	uint64_t boot;
	pthread_t tid;
	volatile int stop;
	uint64_t deadline_ms;        /* engine only, once stopping */
	struct cf_delivery_tp *tp;
	struct cf_delivery_spool *spool;
	struct cf_delivery_dead_letter *dl;  /* NULL: refused batches are not kept */
	struct cf_delivery_sched s;          /* engine thread only (st read by others) */
	/* cf_delivery_set_live(): the setter fills pend under plock and bumps pend_gen;
	 * the engine copies it into set and s between two turns and sets live_gen. */
	pthread_mutex_t plock;
	struct {
		char url[1024], base[1024], auth[1100];
		struct cf_delivery_live l;
	} pend;
	uint64_t pend_gen;           /* atomic */
	uint64_t live_gen;           /* atomic: applied */
};

/* ------------------------------------------------------------- validation */

static int
copy_str(char *dst, size_t len, const char *src, const char *what, char *err, size_t errlen)
{
	if ((size_t)snprintf(dst, len, "%s", src ? src : "") >= len) {
		snprintf(err, errlen, "%s too long", what);
		return -1;
	}
	return 0;
}

static int auth_line(char *out, size_t len, const char *token, char *err, size_t errlen);

/*
 * Checks cfg and copies it into set, touching nothing else: 0, or -1 with
 * the reason in err (the option it names is the user's).
 */
static int
check_config(const struct cf_delivery_config *cfg, struct settings *set, char *err, size_t errlen)
{
	set->cfg = *cfg;
	if (copy_str(set->url, sizeof(set->url), cfg->url, "backend URL", err, errlen) != 0 ||
	    copy_str(set->ca_file, sizeof(set->ca_file), cfg->ca_file, "--ca-file", err, errlen) != 0 ||
	    copy_str(set->spool_dir, sizeof(set->spool_dir), cfg->spool_dir, "--spool-dir", err,
		     errlen) != 0)
		return -1;
	if (auth_line(set->auth, sizeof(set->auth), cfg->token, err, errlen) != 0)
		return -1;
	if (cf_delivery_dead_letter_dir(set->dl_dir, sizeof(set->dl_dir), cfg->dead_letter_dir,
					set->spool_dir) != 0) {
		snprintf(err, errlen, "%s too long", cfg->dead_letter_dir && cfg->dead_letter_dir[0] ?
			 "--dead-letter-dir" : "--spool-dir");
		return -1;
	}
	if (copy_str(set->base, sizeof(set->base), cfg->base_url, "backend URL", err, errlen) != 0)
		return -1;
	if (cfg->transport == CF_DELIVERY_TRANSPORT_KAFKA) {
		const struct cf_delivery_kafka_config *k = &cfg->kafka;
		unsigned int i;

		if (k->nopts > CF_DELIVERY_KAFKA_OPT_MAX) {
			snprintf(err, errlen, "--kafka-opt: at most %u", CF_DELIVERY_KAFKA_OPT_MAX);
			return -1;
		}
		if (copy_str(set->brokers, sizeof(set->brokers), k->brokers, "--kafka-brokers", err,
			     errlen) != 0 ||
		    copy_str(set->topic, sizeof(set->topic), k->topic, "--kafka-topic", err,
			     errlen) != 0 ||
		    copy_str(set->key, sizeof(set->key), k->key, "--kafka-key", err, errlen) != 0)
			return -1;
		if (set->brokers[0] == '\0' || set->topic[0] == '\0') {
			snprintf(err, errlen, "Kafka needs --kafka-brokers and --kafka-topic");
			return -1;
		}
		set->cfg.kafka.brokers = set->brokers;
		set->cfg.kafka.topic = set->topic;
		set->cfg.kafka.key = set->key;
		for (i = 0; i < k->nopts; i++) {
			if (copy_str(set->opts[i], sizeof(set->opts[i]), k->opts[i], "--kafka-opt",
				     err, errlen) != 0)
				return -1;
			set->cfg.kafka.opts[i] = set->opts[i];
		}
	}
	set->cfg.url = set->url;
	set->cfg.base_url = set->base;
	set->cfg.ca_file = set->ca_file;
	set->cfg.spool_dir = set->spool_dir;
	set->cfg.dead_letter_dir = set->dl_dir;
	set->cfg.token = NULL;       /* only the header line is kept */
	return 0;
}

/* The header line of token ("" when none): 0, or -1 with err. */
static int
auth_line(char *out, size_t len, const char *token, char *err, size_t errlen)
{
	out[0] = '\0';
	if (token == NULL || token[0] == '\0')
		return 0;
	/* A line break would let the token add headers of its own. */
	if (strchr(token, '\r') || strchr(token, '\n')) {
		snprintf(err, errlen, "--backend-token contains a line break");
		return -1;
	}
	if (snprintf(out, len, strchr(token, ' ') ? "Authorization: %s" :
		     "Authorization: Bearer %s", token) >= (int)len) {
		snprintf(err, errlen, "--backend-token too long");
		return -1;
	}
	return 0;
}

/* ----------------------------------------------------------------- thread */

/* Engine thread, between two turns: the settings cf_delivery_set_live() left. The
 * transport reads url, base and auth from set at each request it starts. */
static void
apply_live(struct cf_delivery *d)
{
	uint64_t gen = __atomic_load_n(&d->pend_gen, __ATOMIC_ACQUIRE);
	struct cf_delivery_sched *s = &d->s;
	int moved;

	if (gen == __atomic_load_n(&d->live_gen, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&d->plock);
	gen = d->pend_gen;
	moved = strcmp(d->set.url, d->pend.url) != 0;
	if (d->set.cfg.transport == CF_DELIVERY_TRANSPORT_HTTP) {
		memcpy(d->set.url, d->pend.url, sizeof(d->set.url));
		memcpy(d->set.base, d->pend.base, sizeof(d->set.base));
		memcpy(d->set.auth, d->pend.auth, sizeof(d->set.auth));
	}
	s->cfg.retry_attempts = d->pend.l.retry_attempts;
	s->cfg.backoff = d->pend.l.backoff;
	d->set.cfg.retry_attempts = d->pend.l.retry_attempts;
	d->set.cfg.backoff = d->pend.l.backoff;
	/* The breaker keeps its state and failure count: an outage stays an outage. */
	s->br.threshold = d->pend.l.breaker_threshold;
	s->br.cooldown_ms = d->pend.l.breaker_cooldown_ms;
	pthread_mutex_unlock(&d->plock);
	if (moved && d->set.cfg.transport == CF_DELIVERY_TRANSPORT_HTTP)
		cf_delivery_log(RTE_LOG_NOTICE, "posting to %s from now on (requests in "
				"flight finish where they went; retries and the spool follow)",
				d->set.url);
	__atomic_store_n(&d->live_gen, gen, __ATOMIC_RELEASE);
}

int
cf_delivery_set_live(struct cf_delivery *d, const struct cf_delivery_live *l, char *err,
		     size_t errlen)
{
	char url[sizeof(d->pend.url)], base[sizeof(d->pend.base)], auth[sizeof(d->pend.auth)];

	if (copy_str(url, sizeof(url), l->url, "backend URL", err, errlen) != 0 ||
	    copy_str(base, sizeof(base), l->base_url, "backend URL", err, errlen) != 0 ||
	    auth_line(auth, sizeof(auth), l->token, err, errlen) != 0)
		return -1;
	if (d->set.cfg.transport == CF_DELIVERY_TRANSPORT_HTTP && url[0] == '\0') {
		snprintf(err, errlen, "no backend URL");
		return -1;
	}
	pthread_mutex_lock(&d->plock);
	memcpy(d->pend.url, url, sizeof(url));
	memcpy(d->pend.base, base, sizeof(base));
	memcpy(d->pend.auth, auth, sizeof(auth));
	d->pend.l = *l;
	d->pend.l.url = d->pend.l.base_url = d->pend.l.token = NULL;
	__atomic_add_fetch(&d->pend_gen, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->plock);
	cf_delivery_tp_wakeup(d->tp);
	return 0;
}

uint64_t
cf_delivery_live_applied(const struct cf_delivery *d)
{
	return __atomic_load_n(&d->live_gen, __ATOMIC_ACQUIRE);
}

static int
idle(const struct cf_delivery *d)
{
	return cf_delivery_sched_idle(&d->s) && rte_ring_empty(d->ring) && rte_ring_empty(d->mring);
}

static void *
engine_main(void *arg)
{
	struct cf_delivery *d = arg;
	struct cf_delivery_sched *s = &d->s;
	struct cf_delivery_batch *b;

	for (;;) {
		uint64_t now = cf_clock_mono_ms();
		struct cf_delivery_tp_done r;
		unsigned int done = 0;

		apply_live(d);
		cf_delivery_sched_take(s, d->ring, d->mring, now);
		if (d->stop && !s->stopping) {
			s->stopping = 1;
			d->deadline_ms = now + d->set.cfg.shutdown_timeout_ms;
		}
		if (s->stopping && (idle(d) || now >= d->deadline_ms))
			break;
		cf_delivery_sched_run(s, now);
		cf_delivery_tp_perform(d->tp);
		while (cf_delivery_tp_next_done(d->tp, &r)) {
			cf_delivery_sched_done(s, &r, cf_clock_mono_ms());
			done++;
		}
		if (d->spool != NULL)
			cf_delivery_spool_tick(d->spool, now);
		/* A finished request frees a slot: refill it now rather than sleep
		 * (the producer may be waiting on a full ring and not wake us). */
		if (done == 0)
			cf_delivery_tp_wait(d->tp, (int)cf_delivery_sched_wait_ms(s, now));
	}
	/* Out of time or done: in flight, in memory and in the rings go to disk. */
	cf_delivery_sched_abort(s);
	while (rte_ring_sc_dequeue(d->ring, (void **)&b) == 0)
		cf_delivery_sched_spool_taken(s, b);
	/* No request batch may be accepted after this drain. */
	pthread_mutex_lock(&d->mlock);
	d->mclosed = 1;
	while (rte_ring_sc_dequeue(d->mring, (void **)&b) == 0)
		cf_delivery_sched_spool_taken(s, b);
	pthread_mutex_unlock(&d->mlock);
	return NULL;
}

/* ------------------------------------------------------------- life cycle */

static void
free_ring(struct rte_ring *r)
{
	void *b;

	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, &b) == 0)
		cf_delivery_batch_free(b);
	rte_ring_free(r);
}

static void
free_engine(struct cf_delivery *d)
{
	cf_delivery_sched_fini(&d->s);
	cf_delivery_tp_close(d->tp);
	free_ring(d->ring);
	free_ring(d->mring);
	pthread_mutex_destroy(&d->mlock);
	pthread_mutex_destroy(&d->plock);
	cf_delivery_spool_close(d->spool);
	cf_delivery_dead_letter_close(d->dl);
	free(d);
}

/* The spool as found: opened (torn tails truncated) and reported. */
static int
open_spool(struct cf_delivery *d, char *err, size_t errlen)
{
	const struct cf_delivery_config *c = &d->set.cfg;
	struct cf_delivery_spool_info si;

	d->spool = cf_delivery_spool_open(c->spool_dir, c->spool_max_bytes, c->spool_fsync,
					  c->spool_full, err, errlen);
	if (d->spool == NULL)
		return -1;
	cf_delivery_spool_get_info(d->spool, &si);
	if (si.recovered_batches || si.torn_bytes || si.corrupt_batches)
		cf_delivery_log(RTE_LOG_NOTICE, "spool '%s': recovered %" PRIu64 " records in %" PRIu64
				" batches; truncated %" PRIu64 " torn bytes; skipped %" PRIu64
				" corrupt batches (%" PRIu64 " records)",
				c->spool_dir, si.recovered_records, si.recovered_batches,
				si.torn_bytes, si.corrupt_batches, si.corrupt_records);
	if (si.skipped_files)
		cf_delivery_log(RTE_LOG_WARNING, "spool '%s': skipped %" PRIu64 " files named like "
				"segments that are not ours, left untouched (first: %s)",
				c->spool_dir, si.skipped_files, cf_delivery_spool_skipped(d->spool));
	return 0;
}

static struct rte_ring *
make_ring(const char *prefix, uint64_t boot, unsigned int size, unsigned int flags,
	  const char *what, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];
	struct rte_ring *r;

	snprintf(name, sizeof(name), "%s_%" PRIx64, prefix, boot & 0xffffff);
	r = rte_ring_create(name, size, (int)rte_socket_id(), flags);
	if (r == NULL)
		snprintf(err, errlen, "cannot create the %s ring: %s", what, rte_strerror(rte_errno));
	return r;
}

struct cf_delivery *
cf_delivery_start(const struct cf_delivery_config *cfg, char *err, size_t errlen)
{
	struct cf_delivery *d = calloc(1, sizeof(*d));
	const struct cf_delivery_config *c;
	struct cf_delivery_tp_config tc;
	struct cf_delivery_sched_config sc;

	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&d->mlock, NULL);
	pthread_mutex_init(&d->plock, NULL);
	if (check_config(cfg, &d->set, err, errlen) != 0)
		goto fail;
	c = &d->set.cfg;
	d->boot = rte_rand();
	if (d->set.spool_dir[0] && open_spool(d, err, errlen) != 0)
		goto fail;
	if (d->set.dl_dir[0] != '\0') {
		d->dl = cf_delivery_dead_letter_open(d->set.dl_dir, c->dead_letter_max_bytes, err,
						     errlen);
		if (d->dl == NULL)
			goto fail;
	}
	if (c->transport == CF_DELIVERY_TRANSPORT_KAFKA) {
		struct cf_delivery_tp_kafka_config kc = {
			.k = &c->kafka, .connect_timeout_ms = c->connect_timeout_ms,
			.timeout_ms = c->timeout_ms, .nslots = c->concurrency + 1,
		};

		d->tp = cf_delivery_tp_open_kafka(&kc, err, errlen);
	} else {
		tc = (struct cf_delivery_tp_config){
			.url = d->set.url, .base = d->set.base, .auth = d->set.auth,
			.ca_file = d->set.ca_file, .insecure = c->insecure, .compress = c->compress,
			.connect_timeout_ms = c->connect_timeout_ms, .timeout_ms = c->timeout_ms,
			.nslots = c->concurrency + 1,
		};
		d->tp = cf_delivery_tp_open(&tc, err, errlen);
	}
	if (d->tp == NULL)
		goto fail;
	sc = (struct cf_delivery_sched_config){
		.retry_attempts = c->retry_attempts, .backoff = c->backoff,
		.breaker_threshold = c->breaker_threshold,
		.breaker_cooldown_ms = c->breaker_cooldown_ms, .concurrency = c->concurrency,
		.ring_size = c->ring_size, .dl = d->dl,
	};
	if (cf_delivery_sched_init(&d->s, &sc, d->tp, d->spool) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->ring = make_ring("cdl", d->boot, c->ring_size, RING_F_SP_ENQ | RING_F_SC_DEQ, "delivery",
			    err, errlen);
	if (d->ring == NULL)
		goto fail;
	d->mring = make_ring("cdlm", d->boot, c->ring_size, RING_F_SC_DEQ, "request", err, errlen);
	if (d->mring == NULL)
		goto fail;
	if (rte_ctrl_thread_create(&d->tid, "cf-delivery", NULL, engine_main, d) != 0) {
		snprintf(err, errlen, "cannot start the delivery thread");
		goto fail;
	}
	return d;
fail:
	free_engine(d);
	return NULL;
}

int
cf_delivery_submit(struct cf_delivery *d, struct cf_delivery_batch *b)
{
	uint32_t n = b->nrec;

	if (rte_ring_sp_enqueue(d->ring, b) != 0)
		return -ENOBUFS;
	__atomic_add_fetch(&d->submitted, n, __ATOMIC_RELAXED);
	cf_delivery_tp_wakeup(d->tp);
	return 0;
}

uint64_t
cf_delivery_next_seq(struct cf_delivery *d)
{
	return __atomic_add_fetch(&d->seq, 1, __ATOMIC_RELAXED);
}

int
cf_delivery_submit_request(struct cf_delivery *d, struct cf_delivery_batch *b)
{
	uint32_t n = b->nrec;
	int rc = 0;

	if (b->meta_len == 0 || d->set.base[0] == '\0')
		return -EINVAL;
	b->boot = d->boot;
	b->seq = cf_delivery_next_seq(d);
	/* The lock only orders producers against the engine's final drain: a
	 * batch is either taken by it or refused, never left in the ring. */
	pthread_mutex_lock(&d->mlock);
	if (d->mclosed || d->stop)
		rc = -ESHUTDOWN;
	/* No spool to keep it while the backend is down: "retry later" beats
	 * accepting something we would have to drop. */
	else if (d->spool == NULL &&
		 __atomic_load_n(&d->s.br.state, __ATOMIC_RELAXED) != CF_DELIVERY_BREAKER_CLOSED)
		rc = -ENOBUFS;
	else if (rte_ring_mp_enqueue(d->mring, b) != 0)
		rc = -ENOBUFS;
	if (rc == 0) {
		__atomic_add_fetch(&d->submitted, n, __ATOMIC_RELAXED);
		__atomic_add_fetch(&d->req_submitted, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&d->req_items_submitted, n, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&d->mlock);
	if (rc == 0)
		cf_delivery_tp_wakeup(d->tp);
	return rc;
}

void
cf_delivery_stop(struct cf_delivery *d, struct cf_delivery_stats *final)
{
	if (d == NULL)
		return;
	d->stop = 1;
	cf_delivery_tp_wakeup(d->tp);
	pthread_join(d->tid, NULL);
	if (final != NULL)
		cf_delivery_stats(d, final);
}

void
cf_delivery_free(struct cf_delivery *d)
{
	if (d != NULL)
		free_engine(d);
}

void
cf_delivery_stats(const struct cf_delivery *d, struct cf_delivery_stats *out)
{
	uint64_t sub = __atomic_load_n(&d->submitted, __ATOMIC_RELAXED);

	*out = d->s.st;
	out->ring_records = sub > out->taken ? sub - out->taken : 0;
	out->req_submitted = __atomic_load_n(&d->req_submitted, __ATOMIC_RELAXED);
	out->req_items_submitted = __atomic_load_n(&d->req_items_submitted, __ATOMIC_RELAXED);
	out->breaker_state = (int)d->s.br.state;
	out->breaker_opens = d->s.br.opens;
	out->breaker_reopens = d->s.br.reopens;
}

int
cf_delivery_kafka_stats(const struct cf_delivery *d, struct cf_delivery_kafka_stats *out)
{
	return cf_delivery_tp_kafka_stats(d->tp, out);
}

uint64_t
cf_delivery_boot_id(const struct cf_delivery *d)
{
	return d->boot;
}
