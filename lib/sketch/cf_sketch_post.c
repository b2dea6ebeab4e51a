/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The posting round: every --sketch-interval, walk the switches (slot order)
 * and each one's endpoints, encode EdgeSketchData objects into a body of one
 * switch, hand sealed bodies to submit(). A body's header (sketch_count) is
 * known only at the end, so sketches are written after HDR_ROOM bytes and the
 * header is put just in front of them when the body is sealed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf_json.h"
#include "cf_sketch_priv.h"

#define HDR_ROOM 256
#define SKETCH_MAX_TEXT 400

void
cf_sketch_addr_text(char *out, const uint8_t *addr, int v6)
{
	cf_json_addr(out, addr, v6);
}

static void
id_text(char *out, const struct sk_ep *e)
{
	if (e->kind == SK_KIND_MAC)
		sprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x", e->id[0], e->id[1], e->id[2], e->id[3],
			e->id[4], e->id[5]);
	else
		cf_sketch_addr_text(out, e->id, e->kind == SK_KIND_V6);
}

static int
room(struct sk_round *rd, size_t need)
{
	char *nb;
	size_t nc;

	if (rd->buf != NULL && rd->len + need <= rd->cap)
		return 0;
	nc = rd->cap ? rd->cap * 2 : HDR_ROOM + (size_t)CF_SKETCH_POST_MAX * 300;
	while (nc < rd->len + need)
		nc *= 2;
	nb = realloc(rd->buf, nc);
	if (nb == NULL)
		return -1;
	rd->buf = nb;
	rd->cap = nc;
	return 0;
}

static void
body_reset(struct sk_round *rd)
{
	rd->len = HDR_ROOM;
	rd->n = 0;
	rd->ready = 0;
}

static void
clear_ep(struct cf_sketch *s, struct sk_ep *e)
{
	s->st.dense -= (e->peers.n == CF_SKETCH_HLL_DENSE_FLAG) + (e->ports.n == CF_SKETCH_HLL_DENSE_FLAG);
	e->bytes_out = e->bytes_in = e->flows = 0;
	e->first_s = e->last_s = 0;
	e->hours = 0;
	e->active = 0;
	cf_sketch_hll_clear(&e->peers);
	cf_sketch_hll_clear(&e->ports);
}

/* One EdgeSketchData object; -1 when out of memory (the sketch is then dropped, counted). */
static int
encode(struct cf_sketch *s, struct sk_ep *e)
{
	struct sk_round *rd = &s->rd;
	char id[64];
	int n;

	if (room(rd, SKETCH_MAX_TEXT) != 0)
		return -1;
	id_text(id, e);
	n = snprintf(rd->buf + rd->len, rd->cap - rd->len,
		     "%s{\"endpoint_id\":\"%s\",\"switch_id\":\"%s\",\"unique_peers\":%" PRIu64
		     ",\"unique_ports\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
		     ",\"flow_count\":%" PRIu64 ",\"first_seen\":%u,\"last_seen\":%u"
		     ",\"active_hours\":%u,\"local_cluster_id\":-1}",
		     rd->n ? "," : "[", id, rd->sw_text, cf_sketch_hll_count(&e->peers),
		     cf_sketch_hll_count(&e->ports), e->bytes_in, e->bytes_out, e->flows, e->first_s,
		     e->last_s, e->hours);
	rd->len += (size_t)n;
	rd->n++;
	return 0;
}

/* Closes the body and puts the batch header in front of its sketches. */
static void
seal(struct sk_round *rd, uint64_t wall_s)
{
	char hdr[HDR_ROOM];
	int h = snprintf(hdr, sizeof(hdr), "{\"switch_id\":\"%s\",\"timestamp\":%" PRIu64
			 ",\"sketch_count\":%u,\"sketches\":", rd->sw_text, wall_s, rd->n);

	memcpy(rd->buf + rd->len, "]}", 2);
	rd->len += 2;
	rd->off = HDR_ROOM - (size_t)h;
	memcpy(rd->buf + rd->off, hdr, (size_t)h);
	rd->ready = 1;
}

/* Offers the sealed body: 0 done (taken or refused for good), -EAGAIN try again later. */
static int
offer(struct cf_sketch *s)
{
	struct sk_round *rd = &s->rd;
	int rc = s->submit(s->ctx, rd->buf + rd->off, rd->len - rd->off, rd->n);

	if (rc == -EAGAIN) {
		s->st.submit_waits++;
		return -EAGAIN;
	}
	if (rc == 0) {
		s->st.bodies++;
		s->st.sketches += rd->n;
	} else {
		s->st.dropped += rd->n;
	}
	body_reset(rd);
	return 0;
}

static void
round_start(struct cf_sketch *s)
{
	struct sk_round *rd = &s->rd;

	rd->on = 1;
	rd->started = 0;
	rd->cur_sw = 0;
	rd->cur_ep = UINT32_MAX;
	if (rd->buf == NULL || rd->len < HDR_ROOM)
		body_reset(rd);
	s->st.rounds++;
}

/*
 * Advances the round by up to budget sketches (0 = to its end). Returns the number
 * encoded; *blocked = 1 when submit asked to wait.
 */
static unsigned int
round_step(struct cf_sketch *s, uint64_t wall_s, unsigned int budget, int *blocked)
{
	struct sk_round *rd = &s->rd;
	unsigned int done = 0;

	*blocked = 0;
	if (rd->buf == NULL && room(rd, HDR_ROOM + SKETCH_MAX_TEXT) != 0)
		return 0;
	if (rd->len < HDR_ROOM)
		body_reset(rd);
	while (rd->on) {
		if (rd->ready && offer(s) == -EAGAIN) {
			*blocked = 1;
			return done;
		}
		if (budget != 0 && done >= budget)
			return done;
		if (!rd->started) {
			while (rd->cur_sw < s->slots && !s->sw[rd->cur_sw].live)
				rd->cur_sw++;
			if (rd->cur_sw >= s->slots) {
				rd->on = 0;
				break;
			}
			rd->started = 1;
			rd->cur_ep = s->sw[rd->cur_sw].head;
			memcpy(rd->sw_text, s->sw[rd->cur_sw].text, sizeof(rd->sw_text));
		}
		if (rd->cur_ep == UINT32_MAX) {
			/* This switch is done (or emptied under us): its last body goes. */
			if (rd->n != 0)
				seal(rd, wall_s);
			rd->started = 0;
			rd->cur_sw++;
			continue;
		}
		{
			struct sk_ep *e = &s->ep[rd->cur_ep];

			rd->cur_ep = e->sw_next;
			if (s->cfg.reset && !e->active)
				continue;
			if (encode(s, e) != 0) {
				s->st.dropped++;
				continue;
			}
			done++;
			if (s->cfg.reset)
				clear_ep(s, e);
			if (rd->n == CF_SKETCH_POST_MAX)
				seal(rd, wall_s);
		}
	}
	return done;
}

/* Sketches the round would still post from where it stands, the unsealed body included. */
static uint64_t
round_left(const struct cf_sketch *s)
{
	const struct sk_round *rd = &s->rd;
	uint64_t n = rd->ready ? 0 : rd->n;
	uint32_t w = rd->cur_sw, e = UINT32_MAX;

	if (!rd->on)
		return n;
	if (rd->started) {
		e = rd->cur_ep;
		w++;
	}
	for (;;) {
		for (; e != UINT32_MAX; e = s->ep[e].sw_next)
			n += !s->cfg.reset || s->ep[e].active;
		while (w < s->slots && !s->sw[w].live)
			w++;
		if (w >= s->slots)
			return n;
		e = s->sw[w++].head;
	}
}

unsigned int
cf_sketch_poll(struct cf_sketch *s, uint64_t now_ms, uint64_t wall_s, unsigned int budget)
{
	int blocked;

	if (!s->rd.on) {
		if (s->next_round_ms == 0)
			s->next_round_ms = now_ms + (uint64_t)s->cfg.interval_s * 1000;
		if (now_ms < s->next_round_ms)
			return 0;
		s->next_round_ms = now_ms + (uint64_t)s->cfg.interval_s * 1000;
		round_start(s);
	}
	return round_step(s, wall_s, budget, &blocked);
}

void
cf_sketch_finish(struct cf_sketch *s, uint64_t wall_s, uint64_t (*mono_ms)(void),
		 uint64_t deadline_ms)
{
	int blocked, pass;

	/* The round under way ends first, then one more over everything. */
	for (pass = s->rd.on ? 0 : 1; pass < 2; pass++) {
		if (pass == 1)
			round_start(s);
		do {
			round_step(s, wall_s, 0, &blocked);
			if (blocked) {
				struct timespec ts = {0, 1000000};

				if (mono_ms() >= deadline_ms)
					break;
				nanosleep(&ts, NULL);
			}
		} while (blocked || s->rd.on);
		if (blocked)
			break;
	}
	if (s->rd.ready || s->rd.on) {
		/* Not taken by the deadline: this body, and every sketch the round had left. */
		s->st.dropped += (s->rd.ready ? s->rd.n : 0) + round_left(s);
		body_reset(&s->rd);
		s->rd.on = 0;
	}
}
