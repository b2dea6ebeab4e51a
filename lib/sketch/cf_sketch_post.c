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
	uint8_t id[16];

	memcpy(id, e->key.id, 16);
	if (e->kind == SK_KIND_MAC) {
		static const char hex[] = "0123456789abcdef";
		unsigned int i;

		for (i = 0; i < 6; i++) {
			out[3 * i] = hex[id[i] >> 4];
			out[3 * i + 1] = hex[id[i] & 15];
			out[3 * i + 2] = ':';
		}
		out[17] = '\0';
	} else
		cf_sketch_addr_text(out, id, e->kind == SK_KIND_V6);
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
	e->first_m1 = UINT64_MAX;
	e->last_ms = 0;
	e->hours = 0;
	e->active = 0;
	cf_sketch_hll_clear(&e->peers);
	cf_sketch_hll_clear(&e->ports);
}

static inline char *
put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

#define PUT_LIT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

static inline char *
put_u64(char *p, uint64_t v)
{
	char t[20];
	unsigned int n = 0;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n != 0)
		*p++ = t[--n];
	return p;
}

/* One EdgeSketchData object (printf-free: a round encodes every endpoint). -1 when out of
 * memory (the sketch is then dropped, counted). */
static int
encode(struct cf_sketch *s, struct sk_ep *e)
{
	struct sk_round *rd = &s->rd;
	char id[64], *p;

	if (room(rd, SKETCH_MAX_TEXT) != 0)
		return -1;
	id_text(id, e);
	p = rd->buf + rd->len;
	*p++ = rd->n ? ',' : '[';
	p = PUT_LIT(p, "{\"endpoint_id\":\"");
	p = put_str(p, id);
	p = PUT_LIT(p, "\",\"switch_id\":\"");
	p = put_str(p, rd->sw_text);
	p = PUT_LIT(p, "\",\"unique_peers\":");
	p = put_u64(p, cf_sketch_hll_count(&e->peers));
	p = PUT_LIT(p, ",\"unique_ports\":");
	p = put_u64(p, cf_sketch_hll_count(&e->ports));
	p = PUT_LIT(p, ",\"bytes_in\":");
	p = put_u64(p, e->bytes_in);
	p = PUT_LIT(p, ",\"bytes_out\":");
	p = put_u64(p, e->bytes_out);
	p = PUT_LIT(p, ",\"flow_count\":");
	p = put_u64(p, e->flows);
	p = PUT_LIT(p, ",\"first_seen\":");
	p = put_u64(p, e->first_m1 == UINT64_MAX ? 0 : (e->first_m1 + 1) / 1000);
	p = PUT_LIT(p, ",\"last_seen\":");
	p = put_u64(p, e->last_ms / 1000);
	p = PUT_LIT(p, ",\"active_hours\":");
	p = put_u64(p, e->hours);
	p = PUT_LIT(p, ",\"local_cluster_id\":-1}");
	rd->len = (size_t)(p - rd->buf);
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
	rd->next_sw = s->sw_head;
	rd->cur_sw = UINT32_MAX;
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
			if (rd->next_sw == UINT32_MAX) {
				rd->on = 0;
				break;
			}
			rd->cur_sw = rd->next_sw;
			rd->next_sw = s->sw[rd->cur_sw].next;
			rd->started = 1;
			rd->cur_ep = s->sw[rd->cur_sw].head;
			memcpy(rd->sw_text, s->sw[rd->cur_sw].text, sizeof(rd->sw_text));
		}
		if (rd->cur_ep == UINT32_MAX) {
			/* This switch is done (or emptied under us): its last body goes. */
			if (rd->n != 0)
				seal(rd, wall_s);
			rd->started = 0;
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
	uint32_t e = rd->started ? rd->cur_ep : UINT32_MAX, w = rd->next_sw;

	if (!rd->on)
		return n;
	for (;;) {
		for (; e != UINT32_MAX; e = s->ep[e].sw_next)
			n += !s->cfg.reset || s->ep[e].active;
		if (w == UINT32_MAX)
			return n;
		e = s->sw[w].head;
		w = s->sw[w].next;
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
