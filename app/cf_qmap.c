/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include "cf_qmap.h"

int
cf_qmap_port(struct cf_rx *const *rx, unsigned int n_rx, uint16_t port, uint16_t nq,
	     uint16_t ntxq, char *err, size_t errlen)
{
	unsigned int i, q;

	if (n_rx == 0) {
		snprintf(err, errlen, "port %u: no RX lcore to poll its queues", port);
		return -1;
	}
	/* Lcore i gets queues i, i + n_rx, ...: check each share before writing any. */
	for (i = 0; i < n_rx && i < nq; i++) {
		unsigned int share = nq / n_rx + (i < nq % n_rx);

		if (rx[i]->n_queues + share > CF_RX_MAX_QUEUES) {
			snprintf(err, errlen, "port %u: %u RX queues on %u RX lcore(s) give lcore %u "
				 "%u queues, at most %d: lower --rxq or add RX lcores (-l)", port, nq,
				 n_rx, rx[i]->lcore_id, rx[i]->n_queues + share, CF_RX_MAX_QUEUES);
			return -1;
		}
	}
	for (q = 0; q < nq; q++) {
		struct cf_rx *r = rx[q % n_rx];
		struct cf_rx_queue *e = &r->queues[r->n_queues++];

		e->port = port;
		e->queue = (uint16_t)q;
		e->txq = q < ntxq ? (uint16_t)q : CF_RX_NO_TXQ;
	}
	return 0;
}
