/* SPDX-License-Identifier: BSD-3-Clause */
/* Queue -> RX lcore mapping (app/cf_qmap.c): round robin, TX pairing, and the bound. */
#include <stdlib.h>
#include <string.h>

#include "cf_qmap.h"
#include "cf_test.h"

#define N_RX 4

static struct cf_rx *rx[N_RX];

static void
setup(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		free(rx[i]);
		rx[i] = calloc(1, sizeof(struct cf_rx));
		rx[i]->lcore_id = i + 1;
	}
}

static void
test_round_robin(void)
{
	char err[256];
	unsigned int i;

	setup(3);
	CU_ASSERT_EQUAL(cf_qmap_port(rx, 3, 0, 7, 2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rx[0]->n_queues, 3);  /* 0, 3, 6 */
	CU_ASSERT_EQUAL(rx[1]->n_queues, 2);  /* 1, 4 */
	CU_ASSERT_EQUAL(rx[2]->n_queues, 2);  /* 2, 5 */
	CU_ASSERT_EQUAL(rx[0]->queues[2].queue, 6);
	CU_ASSERT_EQUAL(rx[2]->queues[1].queue, 5);
	/* Only queues with a TX queue of the same number answer on it. */
	CU_ASSERT_EQUAL(rx[0]->queues[0].txq, 0);
	CU_ASSERT_EQUAL(rx[1]->queues[0].txq, 1);
	CU_ASSERT_EQUAL(rx[2]->queues[0].txq, CF_RX_NO_TXQ);
	/* A second port appends to the same lcores. */
	CU_ASSERT_EQUAL(cf_qmap_port(rx, 3, 5, 2, 2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rx[0]->n_queues, 4);
	CU_ASSERT_EQUAL(rx[0]->queues[3].port, 5);
	CU_ASSERT_EQUAL(rx[0]->queues[3].queue, 0);
	CU_ASSERT_EQUAL(rx[1]->queues[2].port, 5);
	CU_ASSERT_EQUAL(rx[2]->n_queues, 2);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(rx[i]->queues[0].port, 0);
}

/* Exactly CF_RX_MAX_QUEUES fit; one more is refused before anything is written. */
static void
test_bound(void)
{
	char err[256] = "";

	setup(2);
	CU_ASSERT_EQUAL(cf_qmap_port(rx, 1, 0, CF_RX_MAX_QUEUES, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rx[0]->n_queues, CF_RX_MAX_QUEUES);
	CU_ASSERT_EQUAL(cf_qmap_port(rx, 1, 1, 1, 0, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rx[0]->n_queues, CF_RX_MAX_QUEUES);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--rxq"));

	/* Two lcores, 2 * max + 1 queues: lcore 0's share is one too many. */
	setup(2);
	CU_ASSERT_EQUAL(cf_qmap_port(rx, 2, 0, 2 * CF_RX_MAX_QUEUES + 1, 0, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rx[0]->n_queues, 0);
	CU_ASSERT_EQUAL(rx[1]->n_queues, 0);
	CU_ASSERT_EQUAL(cf_qmap_port(rx, 2, 0, 2 * CF_RX_MAX_QUEUES, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rx[1]->n_queues, CF_RX_MAX_QUEUES);

	/* Room left by an earlier port counts. */
	setup(1);
	CU_ASSERT_EQUAL(cf_qmap_port(rx, 1, 0, CF_RX_MAX_QUEUES - 2, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cf_qmap_port(rx, 1, 1, 3, 0, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rx[0]->n_queues, CF_RX_MAX_QUEUES - 2);
	CU_ASSERT_EQUAL(cf_qmap_port(rx, 1, 1, 2, 0, err, sizeof(err)), 0);

	CU_ASSERT_EQUAL(cf_qmap_port(rx, 0, 0, 1, 0, err, sizeof(err)), -1);
}

int
main(void)
{
	static const struct cft_case cases[] = {
		{"round_robin", test_round_robin},
		{"bound", test_bound},
		{NULL, NULL},
	};
	int rc = cft_suite_main("qmap", cases);
	unsigned int i;

	for (i = 0; i < N_RX; i++)
		free(rx[i]);
	return rc;
}
