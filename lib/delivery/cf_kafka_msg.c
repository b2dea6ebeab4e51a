/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kafka messages, the pure parts (cf_delivery.h): what a librdkafka error
 * code means for a message, and the message key of a record line. Tested by
 * table in tests/unit/test_delivery.c.
 */
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "cf_delivery.h"

/* Broker answers that sending the same message again cannot change. */
static const int permanent[] = {
	RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
	RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE,
	RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE,
	RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
	RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
	RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION,
	RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS,
	RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT,
	RD_KAFKA_RESP_ERR_POLICY_VIOLATION,
	RD_KAFKA_RESP_ERR_UNSUPPORTED_COMPRESSION_TYPE,
	RD_KAFKA_RESP_ERR_INVALID_RECORD,
	/* Local: a message librdkafka can never take (not a passing state). */
	RD_KAFKA_RESP_ERR__INVALID_ARG,
	RD_KAFKA_RESP_ERR__BAD_MSG,
};

enum cf_delivery_outcome
cf_delivery_kafka_classify(int err)
{
	unsigned int i;

	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		return CF_DELIVERY_OUT_DELIVERED;
	for (i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		if (err == permanent[i])
			return CF_DELIVERY_OUT_PERMANENT;
	/* librdkafka's own codes are negative: no answer from a broker (timed
	 * out, all brokers down, purged, queue full, fatal producer state). */
	return err < 0 ? CF_DELIVERY_OUT_TRANSPORT : CF_DELIVERY_OUT_TRANSIENT;
}

const char *
cf_delivery_kafka_err_name(int code)
{
	return rd_kafka_err2name((rd_kafka_resp_err_t)code);
}

const char *
cf_delivery_kafka_key(const char *line, size_t len, const char *name, size_t *klen)
{
	size_t nlen = strlen(name), i;
	const char *end = line + len, *p = line, *v;

	if (nlen == 0)
		return NULL;
	/*
	 * A top-level key follows '{' or ','; inside a string every '"' is
	 * escaped, so `,"name":` there reads `,\"name\":` and never matches.
	 */
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));

		if (q == NULL || (size_t)(end - q) < nlen + 3)
			return NULL;
		if (q > line && (q[-1] == '{' || q[-1] == ',') && memcmp(q + 1, name, nlen) == 0 &&
		    q[nlen + 1] == '"' && q[nlen + 2] == ':') {
			v = q + nlen + 3;
			break;
		}
		p = q + 1;
	}
	if (v >= end)
		return NULL;
	if (*v == '"') {
		for (i = 1; v + i < end; i++) {
			if (v[i] == '\\') {
				i++;
				continue;
			}
			if (v[i] == '"') {
				*klen = i - 1;
				return v + 1;
			}
		}
		return NULL;
	}
	for (i = 0; v + i < end && v[i] != ',' && v[i] != '}'; i++)
		;
	if (i == 0 || (i == 4 && memcmp(v, "null", 4) == 0))
		return NULL;
	*klen = i;
	return v;
}
