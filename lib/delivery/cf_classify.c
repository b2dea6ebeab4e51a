/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a finished request means: the one mapping from (transfer result, HTTP
 * status, Retry-After) to delivered / retry / dead letter. Pure, so a table
 * of rows tests it (tests/unit/test_delivery.c) without a network.
 */
#include <errno.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "cf_delivery.h"

static const struct {
	const char *name;
	int retried;
	int breaker_ok;
} outcomes[] = {
#define CF_DELIVERY_X(e, n, r, b, h) { n, r, b },
	CF_DELIVERY_OUTCOME_TABLE(CF_DELIVERY_X)
#undef CF_DELIVERY_X
};

int64_t
cf_delivery_retry_after(const char *value, int64_t now_unix_s)
{
	const char *p = value;
	long long n = 0;
	time_t date;

	/*
	 * libcurl 7.88 (lib/http.c, curlx_strtoofft then Curl_getdate_capped),
	 * step by step, so that reading the header ourselves keeps the waits
	 * CURLINFO_RETRY_AFTER gave: blanks skipped; a sign or other white space
	 * next is no number; an overflow is no number.
	 */
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '-' && *p != '\0' && *p != '\r' && *p != '\n' && *p != '\v' && *p != '\f') {
		char *end;

		errno = 0;
		n = strtoll(p, &end, 10);
		if (errno == ERANGE || end == p)
			n = 0;
	}
	if (n != 0)
		return n;
	/* Not a number (or "0"): an HTTP date, as seconds from now. */
	date = curl_getdate(value, NULL);
	if (date == -1)
		return 0;
	return (int64_t)date - now_unix_s;
}

struct cf_delivery_verdict
cf_delivery_classify(int curl_result, long http_status, const char *retry_after, int64_t now_unix_s)
{
	struct cf_delivery_verdict v = { .outcome = CF_DELIVERY_OUT_PERMANENT, .retry_after_s = 0 };

	if (curl_result != CURLE_OK) {
		/* No usable answer, whatever status line came before the failure. */
		v.outcome = CF_DELIVERY_OUT_TRANSPORT;
	} else if (http_status >= 200 && http_status < 300) {
		v.outcome = CF_DELIVERY_OUT_DELIVERED;
	} else if (http_status >= 500 || http_status == 408 || http_status == 429) {
		v.outcome = CF_DELIVERY_OUT_TRANSIENT;
		/* The server's word on when to come back; only a wait counts. */
		if (retry_after != NULL) {
			int64_t s = cf_delivery_retry_after(retry_after, now_unix_s);

			v.retry_after_s = s > 0 ? s : 0;
		}
	}
	/* Anything else (other 4xx, 1xx, 3xx: we follow no redirects) is an
	 * answer from a live backend that sending again will not change. */
	return v;
}

const char *
cf_delivery_outcome_name(unsigned int o)
{
	return o < CF_DELIVERY_OUT_MAX ? outcomes[o].name : "?";
}

int
cf_delivery_outcome_retried(unsigned int o)
{
	return o < CF_DELIVERY_OUT_MAX && outcomes[o].retried;
}

int
cf_delivery_outcome_breaker_ok(unsigned int o)
{
	return o < CF_DELIVERY_OUT_MAX && outcomes[o].breaker_ok;
}
