/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_SCHED_H
#define CF_SCHED_H

/*
 * Private to lib/delivery: the delivery policy. It holds the batches taken
 * from the rings ("live": queued, in flight or waiting to retry), decides
 * which request goes out next, retries with backoff, follows the circuit
 * breaker, spools what cannot be delivered now and replays the spool on a
 * slot of its own. Every outcome of a batch or spool entry is accounted in
 * one place (settle() in cf_sched.c), which keeps the ledger of struct
 * cdl_stats exact.
 *
 * Thread safety: the delivery thread owns a scheduler. Other threads only
 * read st (plain stores, one writer) and br.state (atomic load).
 */

#include <stdint.h>

#include <rte_ring.h>

#include "cf_delivery.h"
#include "cf_transport.h"

struct cdl_sched_config {
	unsigned int retry_attempts;
	struct cdl_backoff backoff;
	unsigned int breaker_threshold;
	uint64_t breaker_cooldown_ms;
	unsigned int concurrency;     /* live request slots; one more replays */
	unsigned int ring_size;       /* past half of it, a backlog goes to disk */
	const char *dead_letter_dir;  /* resolved; "" = none. Must outlive the scheduler */
};

/* The spool-replay slot: one entry of the spool at a time. */
enum cdl_replay_state {
	CDL_RP_IDLE,      /* nothing out; the next peek not before ready_ms */
	CDL_RP_BUSY,      /* entry (h, body) in flight on the last slot */
};

struct cdl_replay {
	enum cdl_replay_state state;
	struct cdl_seg_hdr h;
	char *body;                   /* malloc'd by cdl_spool_peek */
	int meta;                     /* went as a request batch */
	uint64_t ready_ms;
	unsigned int fails;           /* transient failures in a row: the backoff step */
};

struct cdl_sched {
	struct cdl_sched_config cfg;
	struct cdl_tp *tp;
	struct cdl_spool *spool;      /* NULL: no --spool-dir */
	struct cdl_batch **live;      /* unordered; picked oldest seq first */
	unsigned int nlive, cap_live;
	struct cdl_batch **slot_live; /* per live slot: its batch, or NULL */
	unsigned int nslots;          /* concurrency + 1 (the replay slot, last) */
	struct cdl_breaker br;
	int br_logged;
	struct cdl_replay rp;
	int stopping;                 /* shutdown: no replay, no retry waits */
	uint64_t last_err_log_ms;
	uint64_t err_suppressed;
	struct cdl_stats st;          /* the engine's counters, less the producers' */
};

/* Sets s up around an open transport (nslots = concurrency + 1) and spool
 * (may be NULL; what it recovered is counted "recovered"). 0, or -ENOMEM. */
int cdl_sched_init(struct cdl_sched *s, const struct cdl_sched_config *cfg, struct cdl_tp *tp,
		   struct cdl_spool *spool);
/* Frees s's memory and every batch it still holds (not the transport, not
 * the spool). */
void cdl_sched_fini(struct cdl_sched *s);
/* Takes batches from the rings (request batches first) into memory, or to
 * disk when the breaker is open or the ring backs up. */
void cdl_sched_take(struct cdl_sched *s, struct rte_ring *ring, struct rte_ring *mring,
		    uint64_t now_ms);
/* Starts what may start now: live batches, then the spool replay. */
void cdl_sched_run(struct cdl_sched *s, uint64_t now_ms);
/* One finished transfer: classify, count, breaker, then retry/settle. */
void cdl_sched_done(struct cdl_sched *s, const struct cdl_tp_done *r, uint64_t now_ms);
/* 1 when nothing is in memory nor on the wire (the rings are the caller's). */
int cdl_sched_idle(const struct cdl_sched *s);
/* How long the engine may sleep: until the next retry is due, 20 ms at most. */
uint64_t cdl_sched_wait_ms(const struct cdl_sched *s, uint64_t now_ms);
/* Shutdown: drops every transfer in flight and moves every batch in memory
 * to disk (or counts it dropped). The replay entry stays on disk. */
void cdl_sched_abort(struct cdl_sched *s);
/* Shutdown: a batch still in a ring goes straight to disk (counted taken). */
void cdl_sched_spool_taken(struct cdl_sched *s, struct cdl_batch *b);
/* One line on stderr, "clarion-flowd: delivery: " first (no newline in fmt). */
void cdl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
