/* SPDX-License-Identifier: BSD-3-Clause */
/* Retry policy pieces: batches, backoff with full jitter, circuit breaker. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cf_delivery.h"

struct cf_delivery_batch *
cf_delivery_batch_new(uint32_t cap)
{
	struct cf_delivery_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->body = malloc(cap);
	if (b->body == NULL) {
		free(b);
		return NULL;
	}
	b->cap = cap;
	return b;
}

void
cf_delivery_batch_free(struct cf_delivery_batch *b)
{
	if (b == NULL)
		return;
	free(b->body);
	free(b);
}

int
cf_delivery_batch_id(char *buf, size_t len, uint64_t boot, uint64_t seq)
{
	return snprintf(buf, len, "%016" PRIx64 "-%" PRIu64, boot, seq);
}

uint64_t
cf_delivery_backoff_cap(const struct cf_delivery_backoff *b, unsigned int attempt)
{
	double d;

	if (attempt == 0)
		attempt = 1;
	/* pow() of a large exponent is inf, and min() turns it into max_ms. */
	d = (double)b->initial_ms * pow(b->factor, (double)(attempt - 1));
	if (!(d < (double)b->max_ms))
		return b->max_ms;
	return (uint64_t)d;
}

uint64_t
cf_delivery_backoff_delay(const struct cf_delivery_backoff *b, unsigned int attempt, uint64_t rnd)
{
	uint64_t cap = cf_delivery_backoff_cap(b, attempt);

	/* Full jitter spreads retries of many batches over the whole window, so a
	 * recovering backend is not hit by synchronised waves. */
	return cap == UINT64_MAX ? rnd : rnd % (cap + 1);
}

void
cf_delivery_breaker_init(struct cf_delivery_breaker *b, unsigned int threshold,
			 uint64_t cooldown_ms)
{
	b->state = CF_DELIVERY_BREAKER_CLOSED;
	b->threshold = threshold ? threshold : 1;
	b->cooldown_ms = cooldown_ms;
	b->failures = 0;
	b->opened_ms = 0;
	b->probe_out = 0;
	b->opens = 0;
	b->reopens = 0;
}

int
cf_delivery_breaker_allow(struct cf_delivery_breaker *b, uint64_t now_ms)
{
	switch (b->state) {
	case CF_DELIVERY_BREAKER_CLOSED:
		return 1;
	case CF_DELIVERY_BREAKER_OPEN:
		if (now_ms - b->opened_ms < b->cooldown_ms)
			return 0;
		b->state = CF_DELIVERY_BREAKER_HALF_OPEN;
		b->probe_out = 0;
		/* The first caller after the cool-down is the probe. */
		/* fall through */
	case CF_DELIVERY_BREAKER_HALF_OPEN:
		if (b->probe_out)
			return 0;
		b->probe_out = 1;
		return 1;
	}
	return 0;
}

void
cf_delivery_breaker_result(struct cf_delivery_breaker *b, int ok, uint64_t now_ms)
{
	if (ok) {
		b->failures = 0;
		b->state = CF_DELIVERY_BREAKER_CLOSED;
		b->probe_out = 0;
		return;
	}
	b->failures++;
	if (b->state == CF_DELIVERY_BREAKER_HALF_OPEN ||
	    (b->state == CF_DELIVERY_BREAKER_CLOSED && b->failures >= b->threshold)) {
		if (b->state == CF_DELIVERY_BREAKER_HALF_OPEN)
			b->reopens++;
		else
			b->opens++;
		b->state = CF_DELIVERY_BREAKER_OPEN;
		b->opened_ms = now_ms;
		b->probe_out = 0;
	}
}

const char *
cf_delivery_breaker_name(enum cf_delivery_breaker_state s)
{
	switch (s) {
	case CF_DELIVERY_BREAKER_CLOSED: return "closed";
	case CF_DELIVERY_BREAKER_OPEN: return "open";
	case CF_DELIVERY_BREAKER_HALF_OPEN: return "half-open";
	}
	return "?";
}

static const char *const drop_names[] = {
#define CF_DELIVERY_X(e, n, h) n,
	CF_DELIVERY_DROP_TABLE(CF_DELIVERY_X)
#undef CF_DELIVERY_X
};
static const char *const drop_helps[] = {
#define CF_DELIVERY_X(e, n, h) h,
	CF_DELIVERY_DROP_TABLE(CF_DELIVERY_X)
#undef CF_DELIVERY_X
};

const char *
cf_delivery_drop_name(unsigned int d)
{
	return d < CF_DELIVERY_DROP_MAX ? drop_names[d] : "?";
}

const char *
cf_delivery_drop_help(unsigned int d)
{
	return d < CF_DELIVERY_DROP_MAX ? drop_helps[d] : "?";
}
