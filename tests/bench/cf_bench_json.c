/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON encoder micro-benchmark: cf_json_record() over one block of records
 * decoded from generated NetFlow v5 (or from PCAP), into a 1 MiB buffer that
 * starts again when full, as the NDJSON output does.
 *
 *   cf_bench_json [-n ITERATIONS] [PCAP]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cf_bench.h"
#include "cf_dispatch.h"
#include "cf_json.h"
#include "cf_test.h"

#define OUT_BUF (1u << 20)

__attribute__((noinline)) uint64_t cfb_loop_json(char *out, const struct cf_record *r,
						 unsigned int n, uint64_t iters);

uint64_t
cfb_loop_json(char *out, const struct cf_record *r, unsigned int n, uint64_t iters)
{
	uint64_t it, bytes = 0;
	size_t used = 0;
	unsigned int i;

	for (it = 0; it < iters; it++) {
		for (i = 0; i < n; i++) {
			size_t len;

			if (used + CF_JSON_RECORD_MAX + 1 > OUT_BUF) {
				bytes += used;
				used = 0;
			}
			len = cf_json_record(out + used, &r[i]);
			out[used + len] = '\n';
			used += len + 1;
		}
	}
	return bytes + used;
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
	uint64_t iters = 20000, bytes, records;
	unsigned int n, i;
	double t0, c0, wall, cpu;
	char *out;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt == 'n') {
			iters = strtoull(optarg, NULL, 10);
		} else {
			fprintf(stderr, "usage: %s [-n ITERATIONS] [PCAP]\n", argv[0]);
			return 2;
		}
	}
	cft_eal_init(argv[0]);
	if (optind < argc) {
		if (cfb_load_pcap(&set, argv[optind]) != 0)
			return 1;
	} else {
		cfb_gen_v5(&set, 16, 16, 2);
	}
	cfb_sink_init(&sink, 1);
	/* Built as an RX lcore builds its own: exporter table, sFlow tables, template cache. */
	if (cf_dispatch_ctx_init(&ctx, "cfb_json", 0, &(struct cf_dispatch_config){ .decode = &cfg }, &stats, &sink.sink,
			 err, sizeof(err)) != 0) {
		fprintf(stderr, "cfx_ctx_init: %s\n", err);
		return 1;
	}
	/* Fill one block (stop at its end so the records stay distinct). */
	for (i = 0; i < set.n && sink.refills <= 1; i++)
		cf_dispatch_datagram(&ctx, &set.dg[i]);
	n = sink.refills > 1 ? CF_RECORD_BLOCK_RECORDS : (unsigned int)(sink.sink.cur - sink.recs);
	if (n == 0) {
		fprintf(stderr, "no records decoded\n");
		return 1;
	}
	out = malloc(OUT_BUF);
	if (out == NULL)
		return 1;
	cfb_loop_json(out, sink.recs, n, 1);

	t0 = cfb_now();
	c0 = cfb_cpu();
	bytes = cfb_loop_json(out, sink.recs, n, iters);
	wall = cfb_now() - t0;
	cpu = cfb_cpu() - c0;
	records = (uint64_t)n * iters;

	printf("json: %u records x %" PRIu64 " iterations: %" PRIu64 " records, %.1f bytes/record, "
	       "%.3f s (thread CPU %.3f s)\n", n, iters, records, (double)bytes / (double)records,
	       wall, cpu);
	printf("json: %.2f M records/s, %.2f ns/record (CPU)\n", records / wall / 1e6,
	       cpu * 1e9 / (double)records);
	free(out);
	cf_dispatch_ctx_fini(&ctx);
	cfb_free(&set);
	return 0;
}
