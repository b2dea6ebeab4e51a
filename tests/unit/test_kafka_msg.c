/* SPDX-License-Identifier: BSD-3-Clause */
/* The pure Kafka pieces of lib/delivery: what a librdkafka error code means
 * for a message (a table of rows), and the message key of a record line. */
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "cf_delivery.h"
#include "cf_test.h"

struct classify_row {
	const char *what;
	int err;
	enum cf_delivery_outcome want;
};

#define DELIV CF_DELIVERY_OUT_DELIVERED
#define TRANSP CF_DELIVERY_OUT_TRANSPORT
#define TRANSI CF_DELIVERY_OUT_TRANSIENT
#define PERM CF_DELIVERY_OUT_PERMANENT

static const struct classify_row rows[] = {
	{"acknowledged", RD_KAFKA_RESP_ERR_NO_ERROR, DELIV},
	{"timed out in librdkafka", RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, TRANSP},
	{"purged from the queue (all brokers down)", RD_KAFKA_RESP_ERR__PURGE_QUEUE, TRANSP},
	{"purged in flight (shutdown)", RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, TRANSP},
	{"local queue full", RD_KAFKA_RESP_ERR__QUEUE_FULL, TRANSP},
	{"transport failure", RD_KAFKA_RESP_ERR__TRANSPORT, TRANSP},
	{"fatal producer state (recreated)", RD_KAFKA_RESP_ERR__FATAL, TRANSP},
	{"topic unknown (may be created later)", RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, TRANSP},
	{"broker: not leader", RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, TRANSI},
	{"broker: no leader", RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, TRANSI},
	{"broker: not enough replicas", RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, TRANSI},
	{"broker: request timed out", RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, TRANSI},
	{"broker: corrupt message (retriable)", RD_KAFKA_RESP_ERR_INVALID_MSG, TRANSI},
	{"broker: an error code unknown to us", 4242, TRANSI},
	{"broker: message too large", RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, PERM},
	{"broker: record list too large", RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE, PERM},
	{"broker: topic not authorised", RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, PERM},
	{"broker: cluster not authorised", RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, PERM},
	{"broker: invalid topic", RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, PERM},
	{"broker: policy violation", RD_KAFKA_RESP_ERR_POLICY_VIOLATION, PERM},
	{"broker: compression not supported", RD_KAFKA_RESP_ERR_UNSUPPORTED_COMPRESSION_TYPE, PERM},
	{"broker: invalid record", RD_KAFKA_RESP_ERR_INVALID_RECORD, PERM},
	{"local: invalid argument", RD_KAFKA_RESP_ERR__INVALID_ARG, PERM},
};

static void
test_classify(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum cf_delivery_outcome got = cf_delivery_kafka_classify(rows[i].err);

		if (got != rows[i].want)
			fprintf(stderr, "classify %s: got %s, want %s\n", rows[i].what,
				cf_delivery_outcome_name(got), cf_delivery_outcome_name(rows[i].want));
		CU_ASSERT_EQUAL(got, rows[i].want);
	}
	/* Retried outcomes keep records; only a permanent one dead-letters. */
	CU_ASSERT(cf_delivery_outcome_retried(cf_delivery_kafka_classify(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)));
	CU_ASSERT_STRING_EQUAL(cf_delivery_kafka_err_name(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE),
			       "MSG_SIZE_TOO_LARGE");
}

struct key_row {
	const char *line;
	const char *name;
	const char *want;   /* NULL = no key */
};

static const struct key_row keys[] = {
	{"{\"src_ip\":\"1.2.3.4\",\"switch_id\":\"10.0.0.1\",\"vlan_id\":null}", "switch_id", "10.0.0.1"},
	{"{\"switch_id\":\"2001:db8::1\"}", "switch_id", "2001:db8::1"},
	{"{\"a\":1,\"vlan_id\":100,\"b\":2}", "vlan_id", "100"},
	{"{\"a\":1,\"vlan_id\":7}", "vlan_id", "7"},
	{"{\"a\":1,\"vlan_id\":null}", "vlan_id", NULL},
	{"{\"a\":1}", "switch_id", NULL},
	/* Inside a string every quote is escaped: never a key. */
	{"{\"if_name\":\",\\\"switch_id\\\":\\\"x\\\"\",\"switch_id\":\"10.9.9.9\"}", "switch_id",
	 "10.9.9.9"},
	/* A longer key with the name as its prefix is another key. */
	{"{\"switch_id_v6\":\"x\",\"switch_id\":\"y\"}", "switch_id", "y"},
	/* An escaped quote inside the value stays as written. */
	{"{\"k\":\"a\\\"b\"}", "k", "a\\\"b"},
	/* Truncated lines give no key rather than reading past the end. */
	{"{\"switch_id\":\"10.0.", "switch_id", NULL},
	{"{\"switch_id\":", "switch_id", NULL},
	{"{\"switch_id\"", "switch_id", NULL},
	{"{\"a\":1}", "", NULL},
};

static void
test_key(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t klen = 0;
		const char *k = cf_delivery_kafka_key(keys[i].line, strlen(keys[i].line), keys[i].name,
						      &klen);

		if (keys[i].want == NULL) {
			CU_ASSERT_PTR_NULL(k);
			continue;
		}
		CU_ASSERT_PTR_NOT_NULL_FATAL(k);
		CU_ASSERT_EQUAL(klen, strlen(keys[i].want));
		CU_ASSERT_NSTRING_EQUAL(k, keys[i].want, klen);
	}
}

static const struct cft_case cases[] = {
	{"classify", test_classify},
	{"key", test_key},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("kafka_msg", cases);
}
