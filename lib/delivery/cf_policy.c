/* SPDX-License-Identifier: BSD-3-Clause */
/* Retry policy pieces: batches, backoff with full jitter, circuit breaker. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cf_delivery.h"

struct cdl_batch *
cdl_batch_new(uint32_t cap)
{
	struct cdl_batch *b = calloc(1, sizeof(*b));

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
cdl_batch_free(struct cdl_batch *b)
{
	if (b == NULL)
		return;
	free(b->body);
	free(b);
}

int
cdl_batch_id(char *buf, size_t len, uint64_t boot, uint64_t seq)
{
	return snprintf(buf, len, "%016" PRIx64 "-%" PRIu64, boot, seq);
}

uint64_t
cdl_backoff_cap(const struct cdl_backoff *b, unsigned int attempt)
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
cdl_backoff_delay(const struct cdl_backoff *b, unsigned int attempt, uint64_t rnd)
{
	uint64_t cap = cdl_backoff_cap(b, attempt);

	/* Full jitter spreads retries of many batches over the whole window, so a
	 * recovering backend is not hit by synchronised waves. */
	return cap == UINT64_MAX ? rnd : rnd % (cap + 1);
}

void
cdl_breaker_init(struct cdl_breaker *b, unsigned int threshold, uint64_t cooldown_ms)
{
	b->state = CDL_BREAKER_CLOSED;
	b->threshold = threshold ? threshold : 1;
	b->cooldown_ms = cooldown_ms;
	b->failures = 0;
	b->opened_ms = 0;
	b->probe_out = 0;
	b->opens = 0;
}

int
cdl_breaker_allow(struct cdl_breaker *b, uint64_t now_ms)
{
	switch (b->state) {
	case CDL_BREAKER_CLOSED:
		return 1;
	case CDL_BREAKER_OPEN:
		if (now_ms - b->opened_ms < b->cooldown_ms)
			return 0;
		b->state = CDL_BREAKER_HALF_OPEN;
		b->probe_out = 0;
		/* The first caller after the cool-down is the probe. */
		/* fall through */
	case CDL_BREAKER_HALF_OPEN:
		if (b->probe_out)
			return 0;
		b->probe_out = 1;
		return 1;
	}
	return 0;
}

void
cdl_breaker_result(struct cdl_breaker *b, int ok, uint64_t now_ms)
{
	if (ok) {
		b->failures = 0;
		b->state = CDL_BREAKER_CLOSED;
		b->probe_out = 0;
		return;
	}
	b->failures++;
	if (b->state == CDL_BREAKER_HALF_OPEN ||
	    (b->state == CDL_BREAKER_CLOSED && b->failures >= b->threshold)) {
		b->state = CDL_BREAKER_OPEN;
		b->opened_ms = now_ms;
		b->probe_out = 0;
		b->opens++;
	}
}

const char *
cdl_breaker_name(enum cdl_breaker_state s)
{
	switch (s) {
	case CDL_BREAKER_CLOSED: return "closed";
	case CDL_BREAKER_OPEN: return "open";
	case CDL_BREAKER_HALF_OPEN: return "half-open";
	}
	return "?";
}

static const char *const drop_names[] = {
#define CDL_X(e, n, h) n,
	CDL_DROP_TABLE(CDL_X)
#undef CDL_X
};
static const char *const drop_helps[] = {
#define CDL_X(e, n, h) h,
	CDL_DROP_TABLE(CDL_X)
#undef CDL_X
};

const char *
cdl_drop_name(unsigned int d)
{
	return d < CDL_DROP_MAX ? drop_names[d] : "?";
}

const char *
cdl_drop_help(unsigned int d)
{
	return d < CDL_DROP_MAX ? drop_helps[d] : "?";
}
