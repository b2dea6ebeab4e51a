/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_OUTPUT_SETUP_H
#define CF_OUTPUT_SETUP_H

/*
 * Turns the configuration into the control lcore's output: the http sink
 * (delivery engine, cf_delivery.h) when --backend-url is set, else the
 * --output sink (cf_config.h has already checked that the two exclude each
 * other and turned --output's name into enum cf_output_sink); with
 * --kafka-brokers the Kafka sink too (a tee of both), or alone when neither
 * --backend-url nor --output was given.
 *
 * Contract: main lcore, once, before the control plane starts. Returns the
 * opened output, or NULL with a one-line reason in err and *status set to the
 * exit status (2 for a usage error, 1 for a runtime failure).
 */

#include <stddef.h>

#include "cf_config.h"
#include "cf_output.h"

struct cf_output *cf_outputs_open(const struct cf_config *cfg, int *status, char *err,
				  size_t errlen);
/* The Kafka output alone (--kafka-brokers; app/cf_outputs_kafka.c), same contract. */
struct cf_output *cf_outputs_open_kafka(const struct cf_config *cfg, int *status, char *err,
					size_t errlen);

/* The URL records are POSTed to ("" before cf_outputs_open or without --backend-url). */
const char *cf_outputs_post_url(void);
/* After a reload moved delivery to another URL (cf_reload.c). */
void cf_outputs_set_post_url(const char *post);

/*
 * The delivery ledger of any output, in one set of words: what the output
 * took (received, plus edge-agent uploads and what the spool held at start)
 * is delivered, pending (in memory), spooled, dead-lettered or dropped. For
 * ndjson and null "delivered" is written (or in the write buffer, flushed
 * every 100 ms) and "dropped" lost to write errors. balanced: the two sides
 * agree (exact once the output stopped). scheme picks one output of a tee
 * ("http", "kafka"); NULL means the main one: http when there is one, else
 * o itself. An absent scheme gives a zero, balanced ledger. Any thread.
 */
struct cf_outputs_ledger {
	uint64_t received;
	uint64_t sketches;
	uint64_t recovered;
	uint64_t delivered;
	uint64_t pending;          /* in_batch + ring + in the engine's memory */
	uint64_t in_batch;
	uint64_t in_flight;
	uint64_t spooled;
	uint64_t dead_lettered;
	uint64_t dropped;          /* the stderr "output_failed" */
	int balanced;
};

void cf_outputs_ledger(const struct cf_output *o, const char *scheme,
		       struct cf_outputs_ledger *l);

#endif
