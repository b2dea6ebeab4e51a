/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decoder micro-benchmark: cf_dispatch_datagram() over a set of datagrams held in
 * memory, records into a recycling block-sized sink. No NIC, no PMD, no rings.
 *
 *   cf_bench_decode [-n ITERATIONS] [-e EXPORTERS] [-b BLOCKS] [PCAP]
 *
 * Without PCAP: 64 generated NetFlow v5 datagrams (30 records each). With
 * PCAP (e.g. from scripts/gen_template.py): its UDP payloads, in order, the
 * whole file once per iteration. -b: record blocks the sink cycles through
 * (default 1: hot; 350: the application's block pool, 17 MiB).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cf_bench.h"
#include "cf_dispatch.h"
#include "cf_test.h"

/* The timed loop, kept out of line for callgrind --toggle-collect. */
__attribute__((noinline)) void cfb_loop_decode(struct cf_decode_ctx *ctx, const struct cfb_set *s,
					       uint64_t iters);

void
cfb_loop_decode(struct cf_decode_ctx *ctx, const struct cfb_set *s, uint64_t iters)
{
	uint64_t it;
	uint32_t i;

	for (it = 0; it < iters; it++)
		for (i = 0; i < s->n; i++)
			cf_dispatch_datagram(ctx, &s->dg[i]);
}

int
main(int argc, char **argv)
{
	static struct cf_stats_lcore stats;
	struct cf_decode_config cfg = {0};
	char err[256];
	struct cf_decode_ctx ctx;
	struct cfb_sink sink;
	struct cfb_set set;
	uint64_t iters = 20000, records;
	uint32_t exporters = 16, blocks = 1;
	double t0, c0, wall, cpu;
	unsigned int d;
	int opt;

	while ((opt = getopt(argc, argv, "n:e:b:")) != -1) {
		if (opt == 'n')
			iters = strtoull(optarg, NULL, 10);
		else if (opt == 'b')
			blocks = (uint32_t)strtoul(optarg, NULL, 10);
		else if (opt == 'e')
			exporters = (uint32_t)strtoul(optarg, NULL, 10);
		else {
			fprintf(stderr, "usage: %s [-n ITERATIONS] [-e EXPORTERS] [-b BLOCKS] [PCAP]\n", argv[0]);
			return 2;
		}
	}
	cft_eal_init(argv[0]);
	if (optind < argc) {
		if (cfb_load_pcap(&set, argv[optind]) != 0)
			return 1;
	} else {
		cfb_gen_v5(&set, 64, exporters ? exporters : 1, 1);
	}
	cfb_sink_init(&sink, blocks ? blocks : 1);
	/* Built as an RX lcore builds its own: exporter table, sFlow tables, template cache. */
	if (cf_dispatch_ctx_init(&ctx, "cfb_dec", 0, &(struct cf_dispatch_config){ .decode = &cfg }, &stats, &sink.sink,
			 err, sizeof(err)) != 0) {
		fprintf(stderr, "cfx_ctx_init: %s\n", err);
		return 1;
	}
	/* Warm-up: exporter table, templates, caches. */
	cfb_loop_decode(&ctx, &set, 1);
	records = stats.records;

	t0 = cfb_now();
	c0 = cfb_cpu();
	cfb_loop_decode(&ctx, &set, iters);
	wall = cfb_now() - t0;
	cpu = cfb_cpu() - c0;
	records = stats.records - records;

	printf("decode: %u datagrams x %" PRIu64 " iterations: %" PRIu64 " records in %.3f s "
	       "(thread CPU %.3f s)\n", set.n, iters, records, wall, cpu);
	printf("decode: %.2f M records/s, %.2f ns/record (CPU), %.2f M datagrams/s\n",
	       records / wall / 1e6, cpu * 1e9 / (double)(records ? records : 1),
	       (double)set.n * (double)iters / wall / 1e6);
	for (d = 0; d < CF_STATS_DROP_MAX; d++)
		if (stats.drops[d])
			printf("decode: drop %s=%" PRIu64 "\n", cf_stats_drop_name(d),
			       stats.drops[d]);
	cf_dispatch_ctx_fini(&ctx);
	cfb_free(&set);
	return records ? 0 : 1;
}
