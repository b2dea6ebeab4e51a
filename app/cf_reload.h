/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_RELOAD_H
#define CF_RELOAD_H

/*
 * Configuration reload (SIGHUP, telemetry /clarion/reload; README "Live reload").
 *
 * The file is read again with the same command line and environment, so the
 * precedence stays flag > environment > file > default. The new settings are
 * checked whole (every value as at start-up, the backend URL parsed) before
 * anything changes: a bad file is rejected, logged and counted, and the running
 * configuration stays. Then what the option table marks live is applied:
 *  - --log-level at once;
 *  - --backend-url/-path/-token, batching, retry and breaker settings: handed
 *    to the http (and kafka) sink and its delivery engine, which applies them
 *    between two requests; in-flight, queued and spooled records keep going and
 *    reach the new URL;
 *  - --exporter-allow, --exporter-max-rate, sampling: published to the RX
 *    lcores (cf_rx_live_publish: pointer swap, no lock on the hot path).
 * Every other setting that differs is logged "needs restart: --NAME" and left
 * as it is. Templates, sequence state, the spool and in-flight records are not
 * touched.
 *
 * Contract: cf_reload_init() once in main, right after cf_config_parse(), with
 * the running configuration (which must outlive the process's lcores) and the
 * application's argv (kept, not copied). Everything else on the control lcore.
 */

#include <stddef.h>
#include <stdint.h>

#include "cf_config.h"

struct cf_control;

void cf_reload_init(struct cf_config *running, int argc, char **argv);

/*
 * One reload. why names the trigger in the log ("SIGHUP", "telemetry"). 0 when the
 * new configuration was taken (everything live applied), -1 when it was rejected.
 * summary (may be NULL) gets a one-line account: applied, needs restart or the error.
 */
int cf_reload_config(struct cf_control *c, const char *why, char *summary, size_t len);

/* Counters of cf_reload_config() results (any thread). */
uint64_t cf_reload_count(int ok);

#endif
