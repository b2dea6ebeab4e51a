/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_CLOCK_H
#define CF_CLOCK_H

/*
 * The clocks the collector reads, in one place (header only).
 *
 * Contract:
 *  - cf_clock_mono_us()/_ms(): CLOCK_MONOTONIC, for durations, deadlines and
 *    timeouts; never goes back, unaffected by NTP steps.
 *  - cf_clock_coarse_ms(): CLOCK_MONOTONIC_COARSE, a vDSO read of the last
 *    tick (1-4 ms resolution): cheap enough for every loop turn.
 *  - cf_clock_wall_ms(): CLOCK_REALTIME in Unix ms, for timestamps that
 *    leave the process (records, metrics, logs); may jump.
 *  - Thread safe, no allocation. Not for the RX hot path, which derives
 *    time from the TSC (app/cf_rx.c).
 */

#include <stdint.h>
#include <time.h>

static inline uint64_t
cf_clock_ns_(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
cf_clock_mono_us(void)
{
	return cf_clock_ns_(CLOCK_MONOTONIC) / 1000;
}

static inline uint64_t
cf_clock_mono_ms(void)
{
	return cf_clock_ns_(CLOCK_MONOTONIC) / 1000000;
}

static inline uint64_t
cf_clock_coarse_ms(void)
{
	return cf_clock_ns_(CLOCK_MONOTONIC_COARSE) / 1000000;
}

static inline uint64_t
cf_clock_wall_ms(void)
{
	return cf_clock_ns_(CLOCK_REALTIME) / 1000000;
}

#endif
