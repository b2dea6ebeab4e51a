/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_CTLPLANE_H
#define CF_CTLPLANE_H

/*
 * The engine's side of the control plane: metric providers (ports, RX lcores,
 * exporters, output), health checks, DPDK telemetry commands (/clarion/stats,
 * /clarion/exporters, /clarion/templates), event logs (link change, new
 * exporter, health change) and the HTTP server (cf_httpd.h).
 *
 * Contract:
 *  - cf_ctlplane_start() once on the main lcore after the ports are started
 *    and before the RX lcores are launched; returns 0 or -1 with err filled
 *    (bad --http-bind/--agent-bind, telemetry registration refused).
 *  - Nothing here runs on an RX lcore. RX counters and exporter tables are
 *    read without locks (one writer each); a view may be a burst stale.
 *    New exporters are noticed here (tick or scrape), never logged by RX.
 *  - cf_ctlplane_tick() is called by the control lcore about once a second
 *    (cf_control.h on_tick); it updates health state and logs events.
 *  - cf_ctlplane_stop() stops the HTTP server before the engine is torn down.
 *  - cf_ctlplane_delivery_health() is the hook the HTTP delivery stage calls
 *    (any thread) to report circuit breaker and spool fill; above 80 % spool
 *    makes /health degraded, an open circuit unhealthy. With the http sink
 *    the control plane calls it itself at every health check
 *    (cf_ctlplane_dlv.c) and adds the clarion_flowd_delivery_* families.
 */

#include "cf_control.h"
#include "cf_httpd.h"

/*
 * fwd: where edge-agent sketches go (the delivery stage); NULL = accepted
 * and answered "forwarded": false. A listener whose port cannot be bound is
 * logged as an error and left off: flow collection goes on without it.
 */
int cf_ctlplane_start(struct cf_control *ctl, const struct cf_httpd_forwarder *fwd, char *err,
		      size_t errlen);
void cf_ctlplane_tick(void *arg);
void cf_ctlplane_stop(void);
void cf_ctlplane_delivery_health(int circuit_open, double spool_fill_ratio);
/* After a reload took cfg's live settings: /health and /metrics report its backend and
 * batching (control lcore). */
void cf_ctlplane_reloaded(const struct cf_config *cfg);

#endif
