/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The delivery engine: one DPDK control thread owns libcurl (multi
 * interface), the circuit breaker, the spool and the dead-letter directory.
 * The control lcore only encodes batches and enqueues them on an SP/SC ring,
 * so neither the network nor the disk (fsync) can stall record draining.
 *
 * A batch taken from the ring is "live" (in memory) until it is delivered,
 * dead-lettered or spooled. Live batches use up to --upload-concurrency
 * requests; one more request slot replays the spool, oldest entry first.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "cf_clock.h"
#include "cf_delivery.h"

#define RESP_MAX 4096

enum { B_QUEUED, B_INFLIGHT, B_WAIT };

struct req {
	CURL *easy;
	struct curl_slist *hdrs;
	struct cdl_batch *live;      /* live batch, or NULL */
	int replay;                  /* carrying the spool entry */
	char *rbody;                 /* replay body */
	struct cdl_seg_hdr rh;
	unsigned char *zbody;
	size_t zcap;
	char resp[RESP_MAX];
	size_t resp_len;
	char retry_after[256];       /* last Retry-After value of the answer */
	int has_retry_after;
	int body_seen;               /* header lines after this are trailers */
	uint64_t t0_us;
	int meta;                    /* a request batch (own path and headers) */
	int busy;
};

struct cdl {
	struct cdl_config cfg;
	char url[1024];
	char base[1024];
	char req_url[2048];          /* engine only: base + path of a request batch */
	char auth[1100];
	char ca_file[PATH_MAX];
	char spool_dir[PATH_MAX];
	char dl_dir[PATH_MAX];
	struct rte_ring *ring;
	struct rte_ring *mring;      /* MP/SC: request batches from any thread */
	pthread_mutex_t mlock;       /* request producers vs the final drain */
	int mclosed;                 /* under mlock: the engine took its last batch */
	uint64_t seq;                /* atomic */
	uint64_t req_submitted;      /* atomic, producers */
	uint64_t req_items_submitted;
	pthread_t tid;
	volatile int stop;
	CURLM *multi;
	struct req *reqs;            /* concurrency live slots + 1 replay slot */
	unsigned int nreq;
	struct cdl_batch **live;
	unsigned int nlive, cap_live;
	struct cdl_breaker br;
	int br_logged;
	struct cdl_spool *spool;
	uint64_t boot;
	int replay_busy;
	uint64_t replay_ready_ms;
	unsigned int replay_fail;
	int stopping;
	uint64_t deadline_ms;
	uint64_t submitted;          /* producer only */
	uint64_t last_err_log_ms;
	uint64_t err_suppressed;
	struct cdl_stats st;         /* engine only (submitted aside) */
};


static void
vlog(uint64_t suppressed, const char *fmt, va_list ap)
{
	char msg[512], tail[64] = "";

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (suppressed)
		snprintf(tail, sizeof(tail), " (%" PRIu64 " similar messages suppressed)", suppressed);
	/* One call per line, so a line never mixes with the control lcore's. */
	fprintf(stderr, "clarion-flowd: delivery: %s%s\n", msg, tail);
}

/* One line on stderr, "clarion-flowd: delivery: " first (no newline in fmt). */
static void __attribute__((format(printf, 1, 2)))
log_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(0, fmt, ap);
	va_end(ap);
}

/* Errors of the same kind repeat for every batch during an outage: one line a second. */
static void __attribute__((format(printf, 2, 3)))
log_err(struct cdl *d, const char *fmt, ...)
{
	uint64_t t = cf_clock_mono_ms();
	va_list ap;

	if (t - d->last_err_log_ms < 1000 && d->last_err_log_ms != 0) {
		d->err_suppressed++;
		return;
	}
	va_start(ap, fmt);
	vlog(d->err_suppressed, fmt, ap);
	va_end(ap);
	d->err_suppressed = 0;
	d->last_err_log_ms = t;
}

static void
breaker_log(struct cdl *d)
{
	if ((int)d->br.state == d->br_logged)
		return;
	log_note("circuit breaker %s -> %s (%u consecutive failures)",
		 cdl_breaker_name((enum cdl_breaker_state)d->br_logged), cdl_breaker_name(d->br.state),
		 d->br.failures);
	d->br_logged = (int)d->br.state;
	d->st.breaker_state = (int)d->br.state;
	d->st.breaker_opens = d->br.opens;
}

static void
spool_stats(struct cdl *d)
{
	struct cdl_spool_info i;

	if (d->spool == NULL)
		return;
	cdl_spool_get_info(d->spool, &i);
	d->st.spooled = i.records;
	d->st.spool_bytes = i.bytes;
	d->st.spool_written = i.written_records;
	d->st.spool_batches = i.batches;
	d->st.spool_oldest_unix_s = i.oldest_unix_s;
	d->st.dropped[CDL_DROP_SPOOL_FULL_OLDEST] = i.dropped_oldest_records;
	d->st.dropped[CDL_DROP_SPOOL_CORRUPT] = i.corrupt_records;
}

static void
sum_dropped(struct cdl *d)
{
	uint64_t t = 0;
	unsigned int i;

	for (i = 0; i < CDL_DROP_MAX; i++)
		t += d->st.dropped[i];
	d->st.dropped_total = t;
}

/* A batch that cannot be delivered now goes to disk, or is counted dropped. */
static void
to_spool(struct cdl *d, struct cdl_batch *b)
{
	int rc;

	if (d->spool == NULL) {
		d->st.dropped[CDL_DROP_NO_SPOOL] += b->nrec;
		cdl_batch_free(b);
		sum_dropped(d);
		return;
	}
	rc = cdl_spool_append_flags(d->spool, b->boot, b->seq, b->nrec,
				    b->meta_len ? CDL_SEG_F_META : 0, b->body, b->len);
	if (rc == 1) {
		d->st.dropped[CDL_DROP_SPOOL_FULL_NEWEST] += b->nrec;
	} else if (rc < 0) {
		d->st.dropped[CDL_DROP_SPOOL_IO] += b->nrec;
		log_err(d, "spool write failed: %s (errno %d); batch dropped", strerror(-rc), -rc);
	}
	cdl_batch_free(b);
	spool_stats(d);
	sum_dropped(d);
}

static void
live_remove(struct cdl *d, struct cdl_batch *b)
{
	unsigned int i;

	for (i = 0; i < d->nlive; i++) {
		if (d->live[i] == b) {
			d->live[i] = d->live[--d->nlive];
			break;
		}
	}
	d->st.pending -= b->nrec;
}

static void
dead_letter(struct cdl *d, uint64_t boot, uint64_t seq, const char *body, uint32_t len,
	    long code, const struct req *r)
{
	/* A failed write loses only the copy kept for a human: still counted. */
	cdl_dead_letter_write(d->dl_dir, boot, seq, body, len, code, r->resp, r->resp_len);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	size_t len = size * n, room = RESP_MAX - r->resp_len;

	r->body_seen = 1;
	memcpy(r->resp + r->resp_len, p, len < room ? len : room);
	r->resp_len += len < room ? len : room;
	return len;
}

/*
 * Keeps the last Retry-After value of the answer, as libcurl does for
 * CURLINFO_RETRY_AFTER, but as text: cdl_classify() reads it, so the rule
 * lives in one pure function.
 */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	static const char name[] = "Retry-After:";
	struct req *r = arg;
	size_t len = size * n, vlen;

	if (r->body_seen || len < sizeof(name) - 1 || strncasecmp(p, name, sizeof(name) - 1) != 0)
		return len;
	p += sizeof(name) - 1;
	vlen = len - (sizeof(name) - 1);
	while (vlen > 0 && (p[vlen - 1] == '\n' || p[vlen - 1] == '\r'))
		vlen--;
	if (vlen >= sizeof(r->retry_after))
		vlen = sizeof(r->retry_after) - 1;
	memcpy(r->retry_after, p, vlen);
	r->retry_after[vlen] = '\0';
	r->has_retry_after = 1;
	return len;
}

static int
gzip_body(struct req *r, const char *body, uint32_t len, size_t *out_len)
{
	z_stream z;
	size_t bound;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: gzip wrapper, what Content-Encoding: gzip means. */
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, len) + 32;
	if (bound > r->zcap) {
		unsigned char *nz = realloc(r->zbody, bound);

		if (nz == NULL) {
			deflateEnd(&z);
			return -1;
		}
		r->zbody = nz;
		r->zcap = bound;
	}
	z.next_in = (unsigned char *)(uintptr_t)body;
	z.avail_in = len;
	z.next_out = r->zbody;
	z.avail_out = (uInt)r->zcap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		return -1;
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	return 0;
}

/* A request batch's metadata block: -2 when it cannot be sent (corrupt, or
 * no base URL to send it to), else 0 and *m filled. */
static int
req_meta(const struct cdl *d, const char *body, uint32_t len, uint32_t flags, struct cdl_meta *m)
{
	if (flags & ~CDL_SEG_F_META)
		return -2;      /* written by a newer version */
	if (!(flags & CDL_SEG_F_META)) {
		m->len = 0;
		return 0;
	}
	if (d->base[0] == '\0' || cdl_meta_decode(body, len, m) != 0)
		return -2;
	return 0;
}

static int
start_req(struct cdl *d, struct req *r, uint64_t boot, uint64_t seq, const char *body, uint32_t len,
	  uint32_t flags, int replay)
{
	char hdr[96], id[48];
	const void *post;
	size_t plen;
	struct cdl_meta m;
	int gz = 0, encoded = 0;
	unsigned int k;

	if (req_meta(d, body, len, flags, &m) != 0)
		return -2;
	body += m.len;
	len -= m.len;
	post = body;
	plen = len;
	r->meta = m.len != 0;
	if (r->meta) {
		if ((size_t)snprintf(d->req_url, sizeof(d->req_url), "%s%s", d->base, m.path) >=
		    sizeof(d->req_url))
			return -2;
		curl_easy_setopt(r->easy, CURLOPT_URL, d->req_url);
		/* Only JSON is ours to compress: an opaque body goes as the agent sent it. */
		encoded = strcmp(m.content_type, "application/json") != 0;
		for (k = 0; k < m.nhdr; k++)
			encoded |= strncasecmp(m.hdr[k], "Content-Encoding:", 17) == 0;
	} else {
		curl_easy_setopt(r->easy, CURLOPT_URL, d->url);
	}
	if (d->cfg.compress && !encoded && gzip_body(r, body, len, &plen) == 0) {
		post = r->zbody;
		gz = 1;
	} else {
		plen = len;
	}
	curl_slist_free_all(r->hdrs);
	if (r->meta) {
		snprintf(d->req_url, sizeof(d->req_url), "Content-Type: %s", m.content_type);
		r->hdrs = curl_slist_append(NULL, d->req_url);
		for (k = 0; k < m.nhdr && r->hdrs != NULL; k++)
			r->hdrs = curl_slist_append(r->hdrs, m.hdr[k]);
	} else {
		r->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	}
	/* A 100-continue round trip per batch would halve throughput. */
	r->hdrs = curl_slist_append(r->hdrs, "Expect:");
	cdl_batch_id(id, sizeof(id), boot, seq);
	snprintf(hdr, sizeof(hdr), "X-Clarion-Batch-Id: %s", id);
	r->hdrs = curl_slist_append(r->hdrs, hdr);
	if (gz)
		r->hdrs = curl_slist_append(r->hdrs, "Content-Encoding: gzip");
	if (replay)
		r->hdrs = curl_slist_append(r->hdrs, "X-Clarion-Replay: 1");
	if (d->auth[0])
		r->hdrs = curl_slist_append(r->hdrs, d->auth);
	if (r->hdrs == NULL)
		return -1;
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)plen);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, post);
	r->resp_len = 0;
	r->has_retry_after = 0;
	r->body_seen = 0;
	r->t0_us = cf_clock_mono_us();
	if (curl_multi_add_handle(d->multi, r->easy) != CURLM_OK)
		return -1;
	r->busy = 1;
	d->st.requests++;
	d->st.body_bytes += plen;
	return 0;
}

/* Open and cooling down: nothing may be sent. */
static int
blocked(const struct cdl *d, uint64_t now)
{
	return d->br.state == CDL_BREAKER_OPEN && now - d->br.opened_ms < d->br.cooldown_ms;
}

static struct cdl_batch *
next_live(struct cdl *d, uint64_t now)
{
	struct cdl_batch *best = NULL;
	unsigned int i;

	/* Oldest first, so the backend sees batches roughly in order. */
	for (i = 0; i < d->nlive; i++) {
		struct cdl_batch *b = d->live[i];

		if (b->state == B_INFLIGHT || (b->state == B_WAIT && b->ready_ms > now))
			continue;
		if (best == NULL || b->seq < best->seq)
			best = b;
	}
	return best;
}

static void
schedule(struct cdl *d, uint64_t now)
{
	unsigned int i;

	if (blocked(d, now)) {
		/* Open: nothing waits in memory for the network; disk it all. */
		for (i = 0; i < d->nlive;) {
			struct cdl_batch *b = d->live[i];

			if (b->state == B_INFLIGHT) {
				i++;
				continue;
			}
			live_remove(d, b);
			to_spool(d, b);
		}
		return;
	}
	for (i = 0; i + 1 < d->nreq; i++) {
		struct req *r = &d->reqs[i];
		struct cdl_batch *b;

		if (r->busy)
			continue;
		b = next_live(d, now);
		if (b == NULL || !cdl_breaker_allow(&d->br, now))
			break;
		breaker_log(d);
		if (start_req(d, r, b->boot, b->seq, b->body, b->len,
			      b->meta_len ? CDL_SEG_F_META : 0, 0) != 0) {
			/* Not sent: a half-open breaker must not wait for this probe. */
			d->br.probe_out = 0;
			live_remove(d, b);
			to_spool(d, b);
			continue;
		}
		r->live = b;
		b->state = B_INFLIGHT;
		b->attempts++;
		d->st.in_flight += b->nrec;
	}
	if (d->spool != NULL && !d->replay_busy && !d->stopping && now >= d->replay_ready_ms) {
		struct req *r = &d->reqs[d->nreq - 1];
		int rc;

		if (d->st.spooled == 0 && d->st.dropped[CDL_DROP_SPOOL_CORRUPT] == 0)
			return;
		/* Peek first: an allowed probe must be sent. */
		rc = cdl_spool_peek(d->spool, &r->rh, &r->rbody);
		spool_stats(d);
		sum_dropped(d);
		if (rc < 0) {
			log_err(d, "spool read failed: %s (errno %d)", strerror(-rc), -rc);
			d->replay_ready_ms = now + 1000;
			return;
		}
		if (rc == 0)
			return;
		if (!cdl_breaker_allow(&d->br, now)) {
			cdl_spool_release(d->spool);
			free(r->rbody);
			r->rbody = NULL;
			return;
		}
		breaker_log(d);
		rc = start_req(d, r, r->rh.boot, r->rh.seq, r->rbody, r->rh.len, r->rh.flags, 1);
		if (rc == -2) {
			/* Never sendable (unknown format): keep it for a human. */
			d->br.probe_out = 0;
			log_err(d, "spool entry %" PRIu64 " cannot be sent; dead-lettered", r->rh.seq);
			r->resp_len = 0;
			dead_letter(d, r->rh.boot, r->rh.seq, r->rbody, r->rh.len, 0, r);
			d->st.dead_lettered += r->rh.nrec;
			d->st.dead_lettered_batches++;
			cdl_spool_consume(d->spool);
			spool_stats(d);
			free(r->rbody);
			r->rbody = NULL;
			return;
		}
		if (rc != 0) {
			d->br.probe_out = 0;
			cdl_spool_release(d->spool);
			free(r->rbody);
			r->rbody = NULL;
			d->replay_ready_ms = now + 1000;
			return;
		}
		r->replay = 1;
		d->replay_busy = 1;
	}
}

static void
finish(struct cdl *d, struct req *r, CURLcode res, uint64_t now)
{
	long code = 0;
	int64_t retry_after;
	struct cdl_verdict v;
	enum cdl_outcome oc;
	uint64_t delay;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(d->multi, r->easy);
	r->busy = 0;
	{
		uint64_t us = cf_clock_mono_us() - r->t0_us;
		unsigned int k = cdl_lat_bucket(us);

		if (k < CDL_LAT_BUCKETS)
			d->st.lat_le[k]++;
		d->st.lat_sum_us += us;
		d->st.lat_count++;
	}
	/* The wall clock only turns a Retry-After date into seconds. */
	v = cdl_classify((int)res, code, r->has_retry_after ? r->retry_after : NULL,
			 r->has_retry_after ? (int64_t)(cf_clock_wall_ms() / 1000) : 0);
	oc = v.outcome;
	retry_after = v.retry_after_s;
	switch (oc) {
	case CDL_OUT_DELIVERED:
		d->st.responses_2xx++;
		break;
	case CDL_OUT_TRANSPORT:
		d->st.transport_errors++;
		log_err(d, "POST failed: %s (curl %d)", curl_easy_strerror(res), (int)res);
		break;
	case CDL_OUT_TRANSIENT:
		d->st.responses_transient++;
		log_err(d, "backend answered HTTP %ld; will retry", code);
		break;
	case CDL_OUT_PERMANENT:
	default:
		d->st.responses_permanent++;
		log_err(d, "backend refused a batch with HTTP %ld; dead-lettered", code);
		break;
	}
	/* 4xx other than 408/429 proves the backend is up: not a breaker failure. */
	cdl_breaker_result(&d->br, cdl_outcome_breaker_ok(oc), now);
	breaker_log(d);

	if (r->replay) {
		r->replay = 0;
		d->replay_busy = 0;
		if (cdl_outcome_retried(oc)) {
			cdl_spool_release(d->spool);
			spool_stats(d);
			sum_dropped(d);
			d->replay_fail++;
			delay = cdl_backoff_delay(&d->cfg.backoff, d->replay_fail, rte_rand());
			if (retry_after > 0)
				delay = (uint64_t)retry_after * 1000;
			d->replay_ready_ms = now + delay;
		} else {
			d->replay_fail = 0;
			if (oc == CDL_OUT_DELIVERED) {
				d->st.delivered += r->rh.nrec;
				d->st.delivered_batches++;
				d->st.replayed += r->rh.nrec;
				if (r->meta) {
					d->st.req_delivered++;
					d->st.req_items_delivered += r->rh.nrec;
				}
			} else {
				dead_letter(d, r->rh.boot, r->rh.seq, r->rbody, r->rh.len, code, r);
				d->st.dead_lettered += r->rh.nrec;
				d->st.dead_lettered_batches++;
				d->st.req_dead_lettered += r->meta != 0;
			}
			cdl_spool_consume(d->spool);
			spool_stats(d);
		}
		free(r->rbody);
		r->rbody = NULL;
		return;
	}

	{
		struct cdl_batch *b = r->live;

		r->live = NULL;
		d->st.in_flight -= b->nrec;
		if (oc == CDL_OUT_DELIVERED) {
			d->st.delivered += b->nrec;
			d->st.delivered_batches++;
			if (b->meta_len) {
				d->st.req_delivered++;
				d->st.req_items_delivered += b->nrec;
			}
			live_remove(d, b);
			cdl_batch_free(b);
		} else if (!cdl_outcome_retried(oc)) {
			dead_letter(d, b->boot, b->seq, b->body + b->meta_len, b->len - b->meta_len,
				    code, r);
			d->st.dead_lettered += b->nrec;
			d->st.req_dead_lettered += b->meta_len != 0;
			d->st.dead_lettered_batches++;
			live_remove(d, b);
			cdl_batch_free(b);
		} else if (b->attempts > d->cfg.retry_attempts || d->stopping) {
			live_remove(d, b);
			to_spool(d, b);
		} else {
			delay = cdl_backoff_delay(&d->cfg.backoff, b->attempts, rte_rand());
			/* Retry-After is the server's word: wait at least that long. */
			if (retry_after > 0 && (uint64_t)retry_after * 1000 > delay)
				delay = (uint64_t)retry_after * 1000;
			b->state = B_WAIT;
			b->ready_ms = now + delay;
			d->st.retries++;
		}
	}
}

/*
 * Moves batches from the ring into memory, up to cap_live of them. The ring
 * is the in-memory backlog; the spool takes over when the breaker is open,
 * or when the backlog passes half the ring (the backend is slower than the
 * input). Without a spool a backlog stays in the ring (the producer waits),
 * and only an open breaker drops, counted as no_spool.
 */
static void
take(struct cdl *d, uint64_t now)
{
	int open = blocked(d, now) && !d->stopping;

	for (;;) {
		struct cdl_batch *b;
		int to_live = !open && d->nlive < d->cap_live;

		if (!to_live && !open && !(d->spool != NULL && rte_ring_count(d->ring) > d->cfg.ring_size / 2))
			break;
		/* Request batches first: few, small, and an agent waits on each. */
		if (rte_ring_sc_dequeue(d->mring, (void **)&b) != 0 &&
		    rte_ring_sc_dequeue(d->ring, (void **)&b) != 0)
			break;
		d->st.taken += b->nrec;
		d->st.taken_batches++;
		b->state = B_QUEUED;
		b->attempts = 0;
		if (!to_live) {
			to_spool(d, b);
			continue;
		}
		d->live[d->nlive++] = b;
		d->st.pending += b->nrec;
	}
}

static int
idle(const struct cdl *d)
{
	return d->nlive == 0 && !d->replay_busy && rte_ring_empty(d->ring) &&
	       rte_ring_empty(d->mring);
}

static uint64_t
next_wait(const struct cdl *d, uint64_t now)
{
	uint64_t w = 20;
	unsigned int i;

	for (i = 0; i < d->nlive; i++)
		if (d->live[i]->state == B_WAIT && d->live[i]->ready_ms > now &&
		    d->live[i]->ready_ms - now < w)
			w = d->live[i]->ready_ms - now;
	return w;
}

static void *
engine_main(void *arg)
{
	struct cdl *d = arg;
	unsigned int i;

	for (;;) {
		uint64_t now = cf_clock_mono_ms();
		CURLMsg *m;
		int running, left;
		unsigned int done;

		take(d, now);
		if (d->stop && !d->stopping) {
			d->stopping = 1;
			d->deadline_ms = now + d->cfg.shutdown_timeout_ms;
		}
		if (d->stopping && (idle(d) || now >= d->deadline_ms))
			break;
		schedule(d, now);
		curl_multi_perform(d->multi, &running);
		done = 0;
		while ((m = curl_multi_info_read(d->multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			for (i = 0; i < d->nreq; i++)
				if (d->reqs[i].easy == m->easy_handle)
					break;
			if (i < d->nreq)
				finish(d, &d->reqs[i], m->data.result, cf_clock_mono_ms());
			done++;
		}
		if (d->spool != NULL)
			cdl_spool_tick(d->spool, now);
		/* A finished request frees a slot: refill it now rather than sleep
		 * (the producer may be waiting on a full ring and not wake us). */
		if (done == 0)
			curl_multi_poll(d->multi, NULL, 0, (int)next_wait(d, now), NULL);
	}
	/* Out of time or done: whatever is still in memory goes to disk. */
	for (i = 0; i < d->nreq; i++) {
		struct req *r = &d->reqs[i];

		if (!r->busy)
			continue;
		curl_multi_remove_handle(d->multi, r->easy);
		r->busy = 0;
		if (r->live != NULL) {
			d->st.in_flight -= r->live->nrec;
			r->live->state = B_QUEUED;
			r->live = NULL;
		}
		if (r->replay) {
			/* Not consumed: it stays in the spool for the next start. */
			cdl_spool_release(d->spool);
			spool_stats(d);
			sum_dropped(d);
			free(r->rbody);
			r->rbody = NULL;
			r->replay = 0;
			d->replay_busy = 0;
		}
	}
	while (d->nlive > 0) {
		struct cdl_batch *b = d->live[0];

		live_remove(d, b);
		to_spool(d, b);
	}
	{
		struct cdl_batch *b;

		while (rte_ring_sc_dequeue(d->ring, (void **)&b) == 0) {
			d->st.taken += b->nrec;
			d->st.taken_batches++;
			to_spool(d, b);
		}
		/* No request batch may be accepted after this drain. */
		pthread_mutex_lock(&d->mlock);
		d->mclosed = 1;
		while (rte_ring_sc_dequeue(d->mring, (void **)&b) == 0) {
			d->st.taken += b->nrec;
			d->st.taken_batches++;
			to_spool(d, b);
		}
		pthread_mutex_unlock(&d->mlock);
	}
	return NULL;
}

static void
setup_easy(struct cdl *d, struct req *r)
{
	CURL *e = r->easy;

	curl_easy_setopt(e, CURLOPT_URL, d->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)d->cfg.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)d->cfg.timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "clarion-flowd/" CF_VERSION);
	if (d->ca_file[0])
		curl_easy_setopt(e, CURLOPT_CAINFO, d->ca_file);
	if (d->cfg.insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static void
free_engine(struct cdl *d)
{
	unsigned int i;

	if (d->reqs != NULL) {
		for (i = 0; i < d->nreq; i++) {
			if (d->reqs[i].easy)
				curl_easy_cleanup(d->reqs[i].easy);
			curl_slist_free_all(d->reqs[i].hdrs);
			free(d->reqs[i].zbody);
			free(d->reqs[i].rbody);
		}
		free(d->reqs);
	}
	if (d->multi)
		curl_multi_cleanup(d->multi);
	if (d->ring) {
		void *b;

		while (rte_ring_dequeue(d->ring, &b) == 0)
			cdl_batch_free(b);
		rte_ring_free(d->ring);
	}
	if (d->mring) {
		void *b;

		while (rte_ring_dequeue(d->mring, &b) == 0)
			cdl_batch_free(b);
		rte_ring_free(d->mring);
	}
	pthread_mutex_destroy(&d->mlock);
	free(d->live);
	cdl_spool_close(d->spool);
	free(d);
}

#define COPY(dst, src, what) do { \
	if (snprintf(dst, sizeof(dst), "%s", (src) ? (src) : "") >= (int)sizeof(dst)) { \
		snprintf(err, errlen, "%s too long", what); \
		goto fail; \
	} \
} while (0)

struct cdl *
cdl_start(const struct cdl_config *cfg, char *err, size_t errlen)
{
	static int curl_ready;
	struct cdl *d;
	unsigned int i;
	char name[RTE_RING_NAMESIZE];

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen, "libcurl initialisation failed");
			return NULL;
		}
		curl_ready = 1;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&d->mlock, NULL);
	d->cfg = *cfg;
	COPY(d->url, cfg->url, "backend URL");
	COPY(d->ca_file, cfg->ca_file, "--ca-file");
	COPY(d->spool_dir, cfg->spool_dir, "--spool-dir");
	if (cfg->token && cfg->token[0]) {
		if (strchr(cfg->token, '\r') || strchr(cfg->token, '\n')) {
			snprintf(err, errlen, "--backend-token contains a line break");
			goto fail;
		}
		if (snprintf(d->auth, sizeof(d->auth), strchr(cfg->token, ' ') ?
			     "Authorization: %s" : "Authorization: Bearer %s", cfg->token) >=
		    (int)sizeof(d->auth)) {
			snprintf(err, errlen, "--backend-token too long");
			goto fail;
		}
	}
	if (cdl_dead_letter_dir(d->dl_dir, sizeof(d->dl_dir), cfg->dead_letter_dir,
				d->spool_dir) != 0) {
		snprintf(err, errlen, "%s too long", cfg->dead_letter_dir && cfg->dead_letter_dir[0] ?
			 "--dead-letter-dir" : "--spool-dir");
		goto fail;
	}
	COPY(d->base, cfg->base_url, "backend URL");
	d->cfg.base_url = d->base;
	d->cfg.url = d->url;
	d->cfg.ca_file = d->ca_file;
	d->cfg.spool_dir = d->spool_dir;
	d->cfg.dead_letter_dir = d->dl_dir;
	d->cfg.token = NULL;
	d->boot = rte_rand();
	cdl_breaker_init(&d->br, cfg->breaker_threshold, cfg->breaker_cooldown_ms);
	d->br_logged = CDL_BREAKER_CLOSED;

	if (d->spool_dir[0]) {
		struct cdl_spool_info si;

		d->spool = cdl_spool_open(d->spool_dir, cfg->spool_max_bytes, cfg->spool_fsync,
					  cfg->spool_full, err, errlen);
		if (d->spool == NULL)
			goto fail;
		cdl_spool_get_info(d->spool, &si);
		d->st.recovered = si.recovered_records + si.corrupt_records;
		spool_stats(d);
		sum_dropped(d);
		if (si.recovered_batches || si.torn_bytes || si.corrupt_batches)
			log_note("spool '%s': recovered %" PRIu64 " records in %" PRIu64
				 " batches; truncated %" PRIu64 " torn bytes; skipped %" PRIu64
				 " corrupt batches (%" PRIu64 " records)",
				 d->spool_dir, si.recovered_records, si.recovered_batches, si.torn_bytes,
				 si.corrupt_batches, si.corrupt_records);
	}

	d->cap_live = cfg->concurrency * 4 < 16 ? 16 : cfg->concurrency * 4;
	d->live = calloc(d->cap_live, sizeof(*d->live));
	d->nreq = cfg->concurrency + 1;
	d->reqs = calloc(d->nreq, sizeof(*d->reqs));
	d->multi = curl_multi_init();
	if (d->live == NULL || d->reqs == NULL || d->multi == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	curl_multi_setopt(d->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)d->nreq);
	for (i = 0; i < d->nreq; i++) {
		d->reqs[i].easy = curl_easy_init();
		if (d->reqs[i].easy == NULL) {
			snprintf(err, errlen, "curl_easy_init failed");
			goto fail;
		}
		setup_easy(d, &d->reqs[i]);
	}
	snprintf(name, sizeof(name), "cdl_%" PRIx64, d->boot & 0xffffff);
	d->ring = rte_ring_create(name, cfg->ring_size, (int)rte_socket_id(),
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (d->ring == NULL) {
		snprintf(err, errlen, "cannot create the delivery ring: %s", rte_strerror(rte_errno));
		goto fail;
	}
	snprintf(name, sizeof(name), "cdlm_%" PRIx64, d->boot & 0xffffff);
	d->mring = rte_ring_create(name, cfg->ring_size, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (d->mring == NULL) {
		snprintf(err, errlen, "cannot create the request ring: %s", rte_strerror(rte_errno));
		goto fail;
	}
	if (rte_ctrl_thread_create(&d->tid, "cf-delivery", NULL,
				   engine_main, d) != 0) {
		snprintf(err, errlen, "cannot start the delivery thread");
		goto fail;
	}
	return d;
fail:
	free_engine(d);
	return NULL;
}

int
cdl_submit(struct cdl *d, struct cdl_batch *b)
{
	uint32_t n = b->nrec;

	if (rte_ring_sp_enqueue(d->ring, b) != 0)
		return -ENOBUFS;
	__atomic_add_fetch(&d->submitted, n, __ATOMIC_RELAXED);
	curl_multi_wakeup(d->multi);
	return 0;
}

uint64_t
cdl_next_seq(struct cdl *d)
{
	return __atomic_add_fetch(&d->seq, 1, __ATOMIC_RELAXED);
}

int
cdl_submit_request(struct cdl *d, struct cdl_batch *b)
{
	uint32_t n = b->nrec;
	int rc = 0;

	if (b->meta_len == 0 || d->base[0] == '\0')
		return -EINVAL;
	b->boot = d->boot;
	b->seq = cdl_next_seq(d);
	/* The lock only orders producers against the engine's final drain: a
	 * batch is either taken by it or refused, never left in the ring. */
	pthread_mutex_lock(&d->mlock);
	if (d->mclosed || d->stop)
		rc = -ESHUTDOWN;
	/* No spool to keep it while the backend is down: "retry later" beats
	 * accepting something we would have to drop. */
	else if (d->spool == NULL &&
		 __atomic_load_n(&d->br.state, __ATOMIC_RELAXED) != CDL_BREAKER_CLOSED)
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
		curl_multi_wakeup(d->multi);
	return rc;
}

void
cdl_stop(struct cdl *d, struct cdl_stats *final)
{
	if (d == NULL)
		return;
	d->stop = 1;
	curl_multi_wakeup(d->multi);
	pthread_join(d->tid, NULL);
	if (final != NULL)
		cdl_stats(d, final);
}

void
cdl_free(struct cdl *d)
{
	if (d != NULL)
		free_engine(d);
}

void
cdl_stats(const struct cdl *d, struct cdl_stats *out)
{
	uint64_t sub = __atomic_load_n(&d->submitted, __ATOMIC_RELAXED);

	*out = d->st;
	out->ring_records = sub > out->taken ? sub - out->taken : 0;
	out->req_submitted = __atomic_load_n(&d->req_submitted, __ATOMIC_RELAXED);
	out->req_items_submitted = __atomic_load_n(&d->req_items_submitted, __ATOMIC_RELAXED);
	out->breaker_state = (int)d->br.state;
	out->breaker_opens = d->br.opens;
}

uint64_t
cdl_boot_id(const struct cdl *d)
{
	return d->boot;
}
