/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_TRANSPORT_PRIV_H
#define CF_TRANSPORT_PRIV_H

/*
 * Private to lib/delivery: the HTTP transport of the delivery engine. It
 * owns libcurl (one multi handle, one easy handle per request slot), builds
 * each request (URL, headers, gzip, timeouts, TLS) and reports finished
 * transfers as plain values. It decides nothing: what an answer means is
 * cf_delivery_classify(), what to do about it is the scheduler (cf_sched_priv.h).
 *
 * Thread safety: one thread (the delivery thread) calls everything except
 * cf_delivery_tp_wakeup(), which any thread may call while the transport is open.
 */

#include <stddef.h>
#include <stdint.h>

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

/* cf_delivery_tp_send() results besides 0. */
#define CF_DELIVERY_TP_ERR (-1)         /* not started now (libcurl, memory); may work later */
#define CF_DELIVERY_TP_UNSENDABLE (-2)  /* never sendable: unknown flags, bad metadata, no base URL */

/* A finished transfer. Pointers stay valid until the slot is sent again. */
struct cf_delivery_tp_done {
	unsigned int slot;
	int curl_result;          /* CURLcode */
	long http_status;         /* 0 when no answer */
	const char *retry_after;  /* Retry-After value, NULL when absent */
	const char *error;        /* text of curl_result */
	const char *resp;         /* first CF_DELIVERY_TP_RESP_MAX bytes of the answer body */
	size_t resp_len;
	uint64_t latency_us;      /* send to completion */
};

/* Initialises libcurl (once per process) and nslots easy handles. NULL with
 * a reason in err. */
struct cf_delivery_tp *cf_delivery_tp_open(const struct cf_delivery_tp_config *cfg, char *err,
					   size_t errlen);
void cf_delivery_tp_close(struct cf_delivery_tp *tp);
/*
 * Starts rq on a free slot. 0: in flight, *wire = body bytes on the wire
 * (after compression), *meta = 1 when it went as a request batch (own path
 * and headers). CF_DELIVERY_TP_ERR or CF_DELIVERY_TP_UNSENDABLE: nothing started.
 */
int cf_delivery_tp_send(struct cf_delivery_tp *tp, unsigned int slot,
			const struct cf_delivery_tp_req *rq, size_t *wire, int *meta);
int cf_delivery_tp_busy(const struct cf_delivery_tp *tp, unsigned int slot);
/* Moves transfers along without blocking. */
void cf_delivery_tp_perform(struct cf_delivery_tp *tp);
/* The next finished transfer: 1 and *out filled (its slot is free again),
 * 0 when none is left. */
int cf_delivery_tp_next_done(struct cf_delivery_tp *tp, struct cf_delivery_tp_done *out);
/* Drops a transfer in flight (shutdown); its slot is free again. */
void cf_delivery_tp_abort(struct cf_delivery_tp *tp, unsigned int slot);
/* Sleeps until a socket is ready, cf_delivery_tp_wakeup() or timeout_ms. */
void cf_delivery_tp_wait(struct cf_delivery_tp *tp, int timeout_ms);
/* Ends a cf_delivery_tp_wait() early. Any thread. */
void cf_delivery_tp_wakeup(struct cf_delivery_tp *tp);

#endif
