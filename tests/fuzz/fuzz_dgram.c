/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow datagrams through the decoders with state kept across the datagrams
 * of one input: v5/v9/IPFIX through cf_dispatch_datagram() (fuzz_v9ipfix), or
 * sFlow through cf_sflow_decode() (fuzz_sflow, -DCF_FUZZ_SFLOW). Each piece
 * (cf_fuzz.h) is one datagram; its flags pick the exporter (low 2 bits: one
 * of four addresses; bit 2: IPv6) and advance the clock (bits 3-7: that many
 * seconds x 100, so template timeouts, waiting data and rate buckets age).
 * The tables are small (16 exporters, 4 template states, 8 counter entries),
 * so one input reaches eviction, and the context is built afresh per input:
 * a finding reproduces from its file alone.
 */
#include <string.h>

#include "cf_dispatch.h"
#include "cf_fuzz.h"
#include "cf_fuzz_dgram.h"
#include "cf_sflow.h"
#include "cf_tpl.h"

static int
sink_full(struct cf_record_sink *s)
{
	struct cf_record *r = s->opaque;

	/* Keep reusing the same block: only the decoders' bounds are under test. */
	s->cur = r;
	s->end = r + 64;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cf_record recs[64];
	static struct cf_stats_lcore stats;
	struct cf_decode_config dc = { .max_exporters = 16, .max_rate = 0 };
	struct cf_tpl_config tc = { .max_exporters = 4, .max_per_exporter = 4, .pending_bytes = 4096,
				    .timeout_s = 60 };
	struct cf_dispatch_config cfg = { .decode = &dc, .tpl = &tc, .sflow_max_ifc = 8 };
	struct cf_record_sink sink = { .refill = sink_full, .opaque = recs };
	struct cf_decode_ctx ctx;
	struct cf_fuzz_piece pc;
	uint64_t now = 1700000000000ull;
	char err[256];

	cf_fuzz_eal_init();
	if (size > 0 && data[0] == 0xff)
		dc.max_rate = 50; /* some inputs also run the token bucket */
	if (cf_dispatch_ctx_init(&ctx, "fz", 0, &cfg, &stats, &sink, err, sizeof(err)) != 0)
		__builtin_trap();
	while (cf_fuzz_next(&data, &size, &pc)) {
		struct cf_decode_dgram dg;

#ifdef CF_FUZZ_SFLOW
		cf_fuzz_dgram(&pc, &now, 100000, 6343, &dg);
		cf_sflow_decode(&ctx, &dg);
#else
		cf_fuzz_dgram(&pc, &now, 100000, 2055, &dg);
		cf_dispatch_datagram(&ctx, &dg);
#endif
	}
	cf_tpl_pending_flush(&ctx);
	cf_dispatch_ctx_fini(&ctx);
	return 0;
}
