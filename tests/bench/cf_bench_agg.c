/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Aggregation and sketch micro-benchmark: the records of a capture (decoded
 * once, untimed: scripts/gen_enterprise.py output, or any v5/v9/IPFIX/sFlow
 * pcap) fed block by block (256 records, as the control lcore gets them) into
 * lib/agg or lib/sketch, for -p passes, every pass moved on in time by the
 * capture's span so windows, hold times and rounds advance as they would live
 * (the clock given to the stage is the block's latest flow end).
 *
 *   cf_bench_agg [-m agg|sketch|decode|rx|read] [-p PASSES] [-e MAX_ENTRIES] [-i INTERVAL]
 *                [-k KEYS] [-c] PCAP
 *
 * Timed: the stage's add and poll calls only (cf_agg_add + cf_agg_poll; cf_sketch_add +
 * cf_sketch_poll with its JSON encoding, submit a no-op).
 *
 * -m rx is aggregation where an RX lcore would do it: every pass decodes the capture's
 * datagrams again into one block-sized array, and each full block is aggregated at once,
 * while its records are still in cache (the same blocks, clocks and aggregates as -m agg:
 * -c gives the same digest). -m decode is the same without the aggregation; rx minus decode
 * is what aggregation costs on records just written. Both also move each record on in time
 * (two adds a record), as -m agg does untimed. -m read only reads every record word.
 *
 * Prints records/s, ns/record (thread CPU), records in, records or sketches out. -c also
 * prints an FNV-1a digest of every aggregate or sketch body handed out (timed with it: for
 * checking that a change leaves the output byte for byte the same, not for its numbers).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_memory.h>

#include "cf_agg.h"
#include "cf_bench.h"
#include "cf_dispatch.h"
#include "cf_sketch.h"
#include "cf_test.h"

static uint64_t emitted, sketch_bytes, sketches;
static uint64_t digest = 0xcbf29ce484222325ull; /* -c: FNV-1a of everything handed out */
static int want_digest;

static void
fnv(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		digest = (digest ^ b[i]) * 0x100000001b3ull;
}

static int
null_emit(void *ctx, const struct cf_record *r, unsigned int n)
{
	(void)ctx;
	if (want_digest)
		fnv(r, (size_t)n * sizeof(*r));
	emitted += n;
	return 0;
}

static int
null_submit(void *ctx, const char *body, size_t len, uint32_t n)
{
	(void)ctx;
	if (want_digest)
		fnv(body, len);
	sketch_bytes += len;
	sketches += n;
	return 0;
}

__attribute__((noinline)) void cfb_loop_agg(struct cf_agg *a, const struct cf_record *r,
					    unsigned int n, uint64_t now);
__attribute__((noinline)) void cfb_loop_sketch(struct cf_sketch *s, const struct cf_record *r,
					       unsigned int n, uint64_t now);

__attribute__((noinline)) uint64_t cfb_loop_read(const struct cf_record *r, unsigned int n);
__attribute__((noinline)) void cfb_loop_rx(struct cf_decode_ctx *ctx, const struct cfb_set *set);

/* Moves n records on by shift ms; returns their latest flow end (the clock of their block). */
static uint64_t
shift_block(struct cf_record *r, unsigned int n, uint64_t shift)
{
	uint64_t now = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		r[i].flow_start_ms += shift;
		r[i].flow_end_ms += shift;
		now = RTE_MAX(now, r[i].flow_end_ms);
	}
	return now;
}

/* -m decode / rx: the sink the decoder writes into, one block, consumed when full. */
struct rx_block {
	struct cf_record_sink sink;
	struct cf_record *blk;
	struct cf_agg *agg;        /* NULL: decode only */
	uint64_t shift;            /* ms added to every record this pass */
	uint64_t records;
};

static struct rx_block rxb;

static void
rx_take(struct rx_block *b, unsigned int n)
{
	uint64_t now = shift_block(b->blk, n, b->shift);

	b->records += n;
	if (b->agg != NULL) {
		cf_agg_add(b->agg, b->blk, n, now);
		cf_agg_poll(b->agg, now, 4096);
	}
}

static int
rx_refill(struct cf_record_sink *sk)
{
	struct rx_block *b = sk->opaque;

	if (sk->cur != NULL)
		rx_take(b, (unsigned int)(sk->cur - b->blk));
	sk->cur = b->blk;
	sk->end = b->blk + CF_RECORD_BLOCK_RECORDS;
	return 0;
}

void
cfb_loop_rx(struct cf_decode_ctx *ctx, const struct cfb_set *set)
{
	uint32_t i;

	for (i = 0; i < set->n; i++)
		cf_dispatch_datagram(ctx, &set->dg[i]);
	rx_refill(&rxb.sink); /* the last, partly filled block */
	rxb.sink.cur = rxb.sink.end = NULL;
}

/* The floor: every word of every record read once, nothing else. */
uint64_t
cfb_loop_read(const struct cf_record *r, unsigned int n)
{
	const uint64_t *w = (const uint64_t *)(const void *)r;
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < (size_t)n * (sizeof(*r) / 8); i++)
		x ^= w[i];
	return x;
}

void
cfb_loop_agg(struct cf_agg *a, const struct cf_record *r, unsigned int n, uint64_t now)
{
	cf_agg_add(a, r, n, now);
	cf_agg_poll(a, now, 4096);
}

void
cfb_loop_sketch(struct cf_sketch *s, const struct cf_record *r, unsigned int n, uint64_t now)
{
	cf_sketch_add(s, r, n, now);
	cf_sketch_poll(s, now, now / 1000, 256);
}

/* Moves every record on by shift ms (untimed) and returns each block's clock: its latest
 * flow end, as if the records arrived as they ended. */
static uint64_t *
block_clock(struct cf_record *r, unsigned int n, uint64_t shift)
{
	uint64_t *now = calloc(n / CF_RECORD_BLOCK_RECORDS + 1, sizeof(*now));
	unsigned int i;

	for (i = 0; i < n; i += CF_RECORD_BLOCK_RECORDS)
		now[i / CF_RECORD_BLOCK_RECORDS] =
			shift_block(&r[i], RTE_MIN((unsigned int)CF_RECORD_BLOCK_RECORDS, n - i), shift);
	return now;
}

int
main(int argc, char **argv)
{
	const char *mode = "agg", *keys = "on";
	uint32_t passes = 5, max_entries = 262144, interval = 60;
	struct cfb_set set;
	struct cft_dec d;
	struct cf_record *r;
	uint64_t lo = UINT64_MAX, hi = 0, span, in = 0;
	double t0, c0, wall = 0, cpu = 0;
	unsigned int n, i, p;
	char err[700];
	int opt;

	while ((opt = getopt(argc, argv, "m:p:e:i:k:c")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'p': passes = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'e': max_entries = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'i': interval = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'k': keys = optarg; break;
		case 'c': want_digest = 1; break;
		default:
			fprintf(stderr, "usage: %s [-m agg|sketch|decode|rx|read] [-p PASSES] [-e MAX] "
				"[-i S] [-k KEYS] [-c] PCAP\n", argv[0]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: a pcap is needed (scripts/gen_enterprise.py --out F.pcap)\n",
			argv[0]);
		return 2;
	}
	cft_eal_init(argv[0]);
	if (cfb_load_pcap(&set, argv[optind]) != 0)
		return 1;
	cft_dec_init(&d, 4u << 20);
	for (i = 0; i < set.n; i++)
		cf_dispatch_datagram(&d.ctx, &set.dg[i]);
	n = cft_sink_count(&d.out);
	r = d.out.recs;
	if (n == 0) {
		fprintf(stderr, "no records decoded\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		lo = RTE_MIN(lo, r[i].flow_end_ms);
		hi = RTE_MAX(hi, r[i].flow_end_ms);
	}
	span = (hi - lo) / 1000 * 1000 + 60000;

	if (strcmp(mode, "read") == 0) {
		uint64_t x = 0;

		for (p = 0; p < passes; p++) {
			t0 = cfb_now();
			c0 = cfb_cpu();
			for (i = 0; i < n; i += CF_RECORD_BLOCK_RECORDS)
				x += cfb_loop_read(&r[i], RTE_MIN((unsigned int)CF_RECORD_BLOCK_RECORDS, n - i));
			wall += cfb_now() - t0;
			cpu += cfb_cpu() - c0;
			in += n;
		}
		printf("read: %u records x %u passes (checksum %" PRIx64 ")\n", n, passes, x);
	} else if (strcmp(mode, "decode") == 0 || strcmp(mode, "rx") == 0) {
		static struct cf_stats_lcore stats;
		struct cf_decode_config dcfg = {0};
		struct cf_agg_config c = {.interval_s = interval, .max_entries = max_entries,
					  .socket = SOCKET_ID_ANY};
		struct cf_decode_ctx ctx;
		struct cf_agg_stats st;

		rxb.blk = aligned_alloc(64, sizeof(struct cf_record) * CF_RECORD_BLOCK_RECORDS);
		if (rxb.blk == NULL)
			return 1;
		memset(rxb.blk, 0, sizeof(struct cf_record) * CF_RECORD_BLOCK_RECORDS);
		rxb.sink.refill = rx_refill;
		rxb.sink.opaque = &rxb;
		if (cf_dispatch_ctx_init(&ctx, "cfb_rx", 0,
					 &(struct cf_dispatch_config){ .decode = &dcfg },
					 &stats, &rxb.sink, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		/* Untimed: one pass decoded and dropped, so the templates are known. */
		cfb_loop_rx(&ctx, &set);
		rxb.records = 0;
		if (strcmp(mode, "rx") == 0) {
			if (cf_agg_keys_parse(keys, &c.keys, err, sizeof(err)) != 0) {
				fprintf(stderr, "-k: %s\n", err);
				return 2;
			}
			rxb.agg = cf_agg_create(&c, null_emit, NULL, err, sizeof(err));
			if (rxb.agg == NULL) {
				fprintf(stderr, "%s\n", err);
				return 1;
			}
		}
		for (p = 0; p < passes; p++) {
			rxb.shift = p ? (uint64_t)p * span : 0;
			t0 = cfb_now();
			c0 = cfb_cpu();
			cfb_loop_rx(&ctx, &set);
			wall += cfb_now() - t0;
			cpu += cfb_cpu() - c0;
		}
		in = rxb.records;
		if (rxb.agg != NULL) {
			cf_agg_flush(rxb.agg);
			cf_agg_stats(rxb.agg, &st);
			printf("rx: %" PRIu64 " records decoded and aggregated in %u passes, keys %s, "
			       "interval %u s, %u entries: out %" PRIu64 " (reduction %.2f)\n",
			       in, passes, keys, interval, max_entries, st.aggregates_out,
			       (double)st.records_in / (double)st.aggregates_out);
			cf_agg_free(rxb.agg);
		} else {
			printf("decode: %" PRIu64 " records decoded in %u passes\n", in, passes);
		}
		cf_dispatch_ctx_fini(&ctx);
		free(rxb.blk);
	} else if (strcmp(mode, "agg") == 0) {
		struct cf_agg_config c = {.interval_s = interval, .max_entries = max_entries,
					  .socket = SOCKET_ID_ANY};
		struct cf_agg *a;
		struct cf_agg_stats st;

		if (cf_agg_keys_parse(keys, &c.keys, err, sizeof(err)) != 0) {
			fprintf(stderr, "-k: %s\n", err);
			return 2;
		}
		a = cf_agg_create(&c, null_emit, NULL, err, sizeof(err));
		if (a == NULL) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		for (p = 0; p < passes; p++) {
			uint64_t *now = block_clock(r, n, p ? span : 0);

			t0 = cfb_now();
			c0 = cfb_cpu();
			for (i = 0; i < n; i += CF_RECORD_BLOCK_RECORDS)
				cfb_loop_agg(a, &r[i], RTE_MIN((unsigned int)CF_RECORD_BLOCK_RECORDS, n - i),
					     now[i / CF_RECORD_BLOCK_RECORDS]);
			wall += cfb_now() - t0;
			cpu += cfb_cpu() - c0;
			in += n;
			free(now);
		}
		cf_agg_flush(a);
		cf_agg_stats(a, &st);
		printf("agg: %u records x %u passes, keys %s, interval %u s, %u entries: in %" PRIu64
		       ", out %" PRIu64 " (reduction %.2f), early flushes %" PRIu64 "\n",
		       n, passes, keys, interval, max_entries, st.records_in, st.aggregates_out,
		       (double)st.records_in / (double)st.aggregates_out, st.early_flushes);
		cf_agg_free(a);
	} else {
		struct cf_sketch_config c = {.max_endpoints = max_entries, .interval_s = interval,
					     .socket = SOCKET_ID_ANY};
		struct cf_sketch *s = cf_sketch_create(&c, null_submit, NULL, err, sizeof(err));
		struct cf_sketch_stats st;

		if (s == NULL) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		for (p = 0; p < passes; p++) {
			uint64_t *now = block_clock(r, n, p ? span : 0);

			t0 = cfb_now();
			c0 = cfb_cpu();
			for (i = 0; i < n; i += CF_RECORD_BLOCK_RECORDS)
				cfb_loop_sketch(s, &r[i], RTE_MIN((unsigned int)CF_RECORD_BLOCK_RECORDS, n - i),
					     now[i / CF_RECORD_BLOCK_RECORDS]);
			wall += cfb_now() - t0;
			cpu += cfb_cpu() - c0;
			in += n;
			free(now);
		}
		cf_sketch_stats(s, &st);
		printf("sketch: %u records x %u passes, interval %u s, %u endpoints max: in %" PRIu64
		       ", endpoints %" PRIu64 ", switches %" PRIu64 ", rounds %" PRIu64
		       ", sketches out %" PRIu64 " (%.1f bytes each), evicted %" PRIu64
		       ", registers in use %" PRIu64 " (%.1f MiB), index probes %" PRIu64 "\n",
		       n, passes, interval, max_entries, st.records_in, st.endpoints, st.switches,
		       st.rounds, st.sketches, sketches ? (double)sketch_bytes / (double)sketches : 0,
		       st.evicted, st.dense,
		       (double)st.dense * CF_SKETCH_HLL_DENSE_BYTES / (1 << 20), st.probes);
		cf_sketch_free(s);
	}
	if (want_digest)
		printf("%s: digest of the output %016" PRIx64 "\n", mode, digest);
	printf("%s: %.2f M records/s, %.2f ns/record (CPU), %.3f s timed\n", mode,
	       (double)in / wall / 1e6, cpu * 1e9 / (double)in, wall);
	cft_dec_fini(&d);
	cfb_free(&set);
	return 0;
}
