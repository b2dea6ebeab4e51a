/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_SCHED_PRIV_H
#define CF_SCHED_PRIV_H

/*
 * Private to lib/delivery: the delivery policy. It holds the batches taken
 * from the rings ("live": queued, in flight or waiting to retry), decides
 * which request goes out next, retries with backoff, follows the circuit
 * breaker, spools what cannot be delivered now and replays the spool on a
 * slot of its own. Every outcome of a batch or spool entry is accounted in
 * one place (settle() in cf_sched.c), which keeps the ledger of struct
 * cf_delivery_stats exact.
 *
 * Thread safety: the delivery thread owns a scheduler. Other threads only
 * read st (plain stores, one writer) and br.state (atomic load).
 */

#include <stdint.h>

#include <rte_ring.h>

#include "cf_delivery.h"
#include "cf_transport_priv.h"

struct cf_delivery_sched_config {
	unsigned int retry_attempts;
	struct cf_delivery_backoff backoff;
	unsigned int breaker_threshold;
	uint64_t breaker_cooldown_ms;
	unsigned int concurrency;     /* live request slots; one more replays */
	unsigned int ring_size;       /* past half of it, a backlog goes to disk */
	struct cf_delivery_dead_letter *dl;  /* NULL = refused ones are not kept; outlives us */
};

/* The spool-replay slot: one entry of the spool at a time. */
enum cf_delivery_replay_state {
	CF_DELIVERY_RP_IDLE,      /* nothing out; the next peek not before ready_ms */
	CF_DELIVERY_RP_BUSY,      /* entry (h, body) in flight on the last slot */
};

struct cf_delivery_replay {
	enum cf_delivery_replay_state state;
	struct cf_delivery_seg_hdr h;
	char *body;                   /* malloc'd by cf_delivery_spool_peek */
	int meta;                     /* went as a request batch */
	uint64_t ready_ms;
	unsigned int fails;           /* transient failures in a row: the backoff step */
};

struct cf_delivery_sched {
	struct cf_delivery_sched_config cfg;
	struct cf_delivery_tp *tp;
	struct cf_delivery_spool *spool;      /* NULL: no --spool-dir */
	struct cf_delivery_batch **live;      /* unordered; picked oldest seq first */
	unsigned int nlive, cap_live;
	struct cf_delivery_batch **slot_live; /* per live slot: its batch, or NULL */
	unsigned int nslots;          /* concurrency + 1 (the replay slot, last) */
	struct cf_delivery_breaker br;
	int br_logged;
	struct cf_delivery_replay rp;
	int stopping;                 /* shutdown: no replay, no retry waits */
	uint64_t spill_after_us;      /* a backlog spills again not before (mono us) */
	/* Rate limits of error lines: the network's and the disk's (spool, dead
	 * letters) apart, so a flood of one never hides the other. */
	struct cf_delivery_rl { uint64_t last_ms, suppressed; } rl_net, rl_disk;
	struct cf_delivery_stats st;          /* the engine's counters, less the producers' */
};

/* Sets s up around an open transport (nslots = concurrency + 1) and spool
 * (may be NULL; what it recovered is counted "recovered"). 0, or -ENOMEM. */
int cf_delivery_sched_init(struct cf_delivery_sched *s, const struct cf_delivery_sched_config *cfg,
			   struct cf_delivery_tp *tp, struct cf_delivery_spool *spool);
/* Frees s's memory and every batch it still holds (not the transport, not
 * the spool). */
void cf_delivery_sched_fini(struct cf_delivery_sched *s);
/* Takes batches from the rings (request batches first) into memory, or to
 * disk when the breaker is open or the ring backs up. */
void cf_delivery_sched_take(struct cf_delivery_sched *s, struct rte_ring *ring,
			    struct rte_ring *mring, uint64_t now_ms);
/* Starts what may start now: live batches, then the spool replay. */
void cf_delivery_sched_run(struct cf_delivery_sched *s, uint64_t now_ms);
/* One finished transfer: classify, count, breaker, then retry/settle. */
void cf_delivery_sched_done(struct cf_delivery_sched *s, const struct cf_delivery_tp_done *r,
			    uint64_t now_ms);
/* 1 when nothing is in memory nor on the wire (the rings are the caller's). */
int cf_delivery_sched_idle(const struct cf_delivery_sched *s);
/* How long the engine may sleep: until the next retry is due, 20 ms at most. */
uint64_t cf_delivery_sched_wait_ms(const struct cf_delivery_sched *s, uint64_t now_ms);
/* Shutdown: drops every transfer in flight and moves every batch in memory
 * to disk (or counts it dropped). The replay entry stays on disk. */
void cf_delivery_sched_abort(struct cf_delivery_sched *s);
/* Shutdown: a batch still in a ring goes straight to disk (counted taken). */
void cf_delivery_sched_spool_taken(struct cf_delivery_sched *s, struct cf_delivery_batch *b);
/* One log line "delivery: ..." at an RTE_LOG_* level through rte_log (no newline in fmt). */
void cf_delivery_log(uint32_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
