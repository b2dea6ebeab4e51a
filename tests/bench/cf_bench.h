/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_BENCH_H
#define CF_BENCH_H

/*
 * Shared pieces of the micro-benchmarks (no NIC, no PMD): a set of flow
 * datagrams (generated NetFlow v5 in memory, or the UDP payloads of a classic
 * pcap file), a recycling record sink, and a clock.
 *
 * The timed loops are separate non-inlined functions named cfb_loop_*, so that
 *   valgrind --tool=callgrind --toggle-collect='cfb_loop_*' PROGRAM ...
 * counts only them: Ir / records printed = instructions per record.
 */

#include <stdint.h>

#include "cf_decode.h"

struct cfb_set {
	uint32_t n;
	struct cf_decode_dgram *dg;     /* data points into buf */
	uint8_t *buf;
};

/* n_dgrams NetFlow v5 datagrams of 30 records from n_exporters exporters. */
void cfb_gen_v5(struct cfb_set *s, uint32_t n_dgrams, uint32_t n_exporters, uint32_t seed);

/* UDP payloads of every frame of a classic pcap that cf_pkt_parse() takes. 0 or -1. */
int cfb_load_pcap(struct cfb_set *s, const char *path);

void cfb_free(struct cfb_set *s);

/*
 * Sink over n_blocks block-sized arrays, taken in turn, starting again after
 * the last: 1 block keeps records hot in L1/L2; ~350 blocks (17 MiB) is the
 * footprint of the application's block pool cycling through its ring.
 */
struct cfb_sink {
	struct cf_record_sink sink;
	struct cf_record *recs;
	uint32_t n_blocks;
	uint32_t next;
	uint64_t refills;
};

void cfb_sink_init(struct cfb_sink *s, uint32_t n_blocks);

/* Monotonic and thread-CPU clocks, seconds. */
double cfb_now(void);
double cfb_cpu(void);

#endif
