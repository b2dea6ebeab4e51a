/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_QMAP_H
#define CF_QMAP_H

/*
 * Which RX lcore polls which (port, RX queue).
 *
 * A port's queues are dealt out to the RX lcores in turn: queue q goes to
 * rx[q % n_rx], whose lcore alone also owns TX queue q of that port when the
 * port has it (q < ntxq), so presence replies need no lock. Queues of later
 * ports are appended to the same lcores' lists.
 *
 * Contract: main lcore, before any RX lcore starts. cf_qmap_port() first
 * checks that every lcore has room for its share (CF_RX_MAX_QUEUES each) and
 * writes nothing when one has not. Returns 0, or -1 with a one-line reason in
 * err (a usage error: too many queues for the RX lcores given).
 */

#include <stddef.h>
#include <stdint.h>

#include "cf_rx.h"

int cf_qmap_port(struct cf_rx *const *rx, unsigned int n_rx, uint16_t port, uint16_t nq,
		 uint16_t ntxq, char *err, size_t errlen);

#endif
