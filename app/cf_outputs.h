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

#endif
