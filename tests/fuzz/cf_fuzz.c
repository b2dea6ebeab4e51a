/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>

#include "cf_fuzz.h"

void
cf_fuzz_eal_init(void)
{
	static int done;
	char prefix[64];
	char *argv[] = {"fuzz", "--no-huge", "-m", "512", "--no-pci", "--no-telemetry",
			"--log-level=*:crit", "--file-prefix", prefix, "-l", "0", NULL};

	if (done)
		return;
	snprintf(prefix, sizeof(prefix), "cffuzz%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "fuzz: EAL init failed\n");
		exit(1);
	}
	done = 1;
}

int
cf_fuzz_next(const uint8_t **data, size_t *size, struct cf_fuzz_piece *out)
{
	uint32_t len;

	if (*size < 3)
		return 0;
	len = (uint32_t)(*data)[0] << 8 | (*data)[1];
	out->flags = (*data)[2];
	*data += 3;
	*size -= 3;
	if (len > *size)
		len = (uint32_t)*size;
	out->p = *data;
	out->len = len;
	*data += len;
	*size -= len;
	return 1;
}
