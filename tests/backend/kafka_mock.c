/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A Kafka cluster for tests: librdkafka's own mock cluster (rdkafka_mock.h),
 * which speaks the Kafka protocol on real TCP sockets on 127.0.0.1. It has
 * --brokers brokers (3) and the topic --topic with --partitions partitions,
 * prints "BOOTSTRAP host:port,..." on stdout, then obeys one command a line
 * on stdin, answering "OK" or "ERR <why>" for each:
 *   down ID | up ID          take broker ID (-1: all) down / up (no leader change)
 *   leader PART ID           make broker ID the leader of partition PART (-1: none)
 *   err APIKEY CODE COUNT    the next COUNT requests of APIKEY (0 = Produce) fail
 *                            with CODE (rd_kafka_resp_err_t, e.g. 10 MSG_SIZE_TOO_LARGE)
 *   topic_err CODE           the topic's metadata answer carries CODE (0 clears)
 *   rtt ID MS                delay broker ID's answers by MS
 *   quit                     (or end of input) stop
 * Consumers (kcat) read the topic back through the same bootstrap servers.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static int
command(rd_kafka_mock_cluster_t *mc, const char *topic, char *line)
{
	char verb[32];
	long a = 0, b = 0, c = 0;
	int n = sscanf(line, "%31s %ld %ld %ld", verb, &a, &b, &c);
	rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (n < 1)
		return 0;
	if (strcmp(verb, "quit") == 0)
		return 1;
	if (strcmp(verb, "down") == 0 && n == 2)
		e = rd_kafka_mock_broker_set_down(mc, (int32_t)a);
	else if (strcmp(verb, "up") == 0 && n == 2)
		e = rd_kafka_mock_broker_set_up(mc, (int32_t)a);
	else if (strcmp(verb, "leader") == 0 && n == 3)
		e = rd_kafka_mock_partition_set_leader(mc, topic, (int32_t)a, (int32_t)b);
	else if (strcmp(verb, "rtt") == 0 && n == 3)
		e = rd_kafka_mock_broker_set_rtt(mc, (int32_t)a, (int)b);
	else if (strcmp(verb, "topic_err") == 0 && n == 2)
		rd_kafka_mock_topic_set_error(mc, topic, (rd_kafka_resp_err_t)a);
	else if (strcmp(verb, "err") == 0 && n == 4 && c > 0 && c <= 100000) {
		rd_kafka_resp_err_t *v = calloc((size_t)c, sizeof(*v));
		long i;

		if (v == NULL) {
			printf("ERR out of memory\n");
			return 0;
		}
		for (i = 0; i < c; i++)
			v[i] = (rd_kafka_resp_err_t)b;
		rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)c, v);
		free(v);
	} else {
		printf("ERR unknown command: %s", line);
		return 0;
	}
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
		printf("ERR %s\n", rd_kafka_err2str(e));
	else
		printf("OK\n");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *topic = "flows";
	int brokers = 3, partitions = 4, repl = 3, i;
	char err[512], line[512];
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--topic") == 0)
			topic = argv[i + 1];
		else if (strcmp(argv[i], "--brokers") == 0)
			brokers = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--partitions") == 0)
			partitions = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--replication") == 0)
			repl = atoi(argv[i + 1]);
		else
			break;
	}
	if (i != argc || brokers < 1 || partitions < 1 || repl < 1 || repl > brokers) {
		fprintf(stderr, "usage: %s [--brokers N] [--topic T] [--partitions P] "
			"[--replication R]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* The cluster needs a client instance for its bookkeeping; it sends nothing. */
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (rk == NULL) {
		fprintf(stderr, "kafka_mock: %s\n", err);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (mc == NULL) {
		fprintf(stderr, "kafka_mock: cannot create the mock cluster\n");
		return 1;
	}
	if (rd_kafka_mock_topic_create(mc, topic, partitions, repl) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "kafka_mock: cannot create topic %s\n", topic);
		return 1;
	}
	printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (command(mc, topic, line))
			break;
		fflush(stdout);
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
