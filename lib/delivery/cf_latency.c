/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request latency histogram's fixed buckets (docs/delivery.md, /metrics
 * clarion_flowd_delivery_request_duration_seconds). The delivery thread
 * counts into struct cf_delivery_stats; the control plane reads the same bounds.
 */
#include "cf_delivery.h"

const double cf_delivery_lat_bounds_ms[CF_DELIVERY_LAT_BUCKETS] = {
	1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000,
};

unsigned int
cf_delivery_lat_bucket(uint64_t us)
{
	unsigned int k;

	/* Twelve bounds: a linear scan beats anything clever. */
	for (k = 0; k < CF_DELIVERY_LAT_BUCKETS && (double)us > cf_delivery_lat_bounds_ms[k] * 1000;
	     k++)
		;
	return k;
}
