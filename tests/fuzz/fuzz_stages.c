/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two stages a stranger's records reach on the control lcore, fed the
 * way they are: flow datagrams (pieces and flags as cf_fuzz_dgram.h reads them,
 * the clock steps 10 s each) decoded by cf_dispatch_datagram() with state kept
 * across the input, every record then through the aggregation table
 * (lib/agg) and the endpoint sketches (lib/sketch), both polled as the clock
 * the flags move goes on. The first byte picks the keys (default, service
 * port, with src_port and tcp_flags) and whether bytes are scaled by the
 * sampling rate (so sums reach 2^64 and split). The tables are small (16
 * aggregates, 8 endpoints) so early flushes and evictions come quickly.
 *
 * Beyond ASan/UBSan: the aggregation ledger (records in = folded + sent +
 * open) after every call; once flushed, the aggregates' bytes, packets and
 * flows equal what went in, exactly (128-bit sums); every sketch body parses
 * as a JSON object whose sketch_count is its number of sketches.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <rte_common.h>
#include <rte_memory.h>

#include "cf_agg.h"
#include "cf_dispatch.h"
#include "cf_fuzz.h"
#include "cf_fuzz_dgram.h"
#include "cf_sketch.h"
#include "cf_tpl.h"

static struct cf_record recs[64];
static unsigned __int128 in_bytes, in_packets, out_bytes, out_packets, out_flows;
static struct cf_agg *agg;
static struct cf_sketch *sk;
static uint64_t clock_ms;

static int
emit(void *ctx, const struct cf_record *r, unsigned int n)
{
	unsigned int i;

	(void)ctx;
	for (i = 0; i < n; i++) {
		if (!(r[i].present & CF_RECORD_F_FLOWS) || r[i].flows == 0)
			__builtin_trap();
		out_bytes += r[i].bytes;
		out_packets += r[i].packets;
		out_flows += r[i].flows;
	}
	return 0;
}

static int
submit(void *ctx, const char *body, size_t len, uint32_t n)
{
	cJSON *j = cJSON_ParseWithLength(body, len), *a, *c;

	(void)ctx;
	if (j == NULL || !cJSON_IsObject(j))
		__builtin_trap();
	a = cJSON_GetObjectItem(j, "sketches");
	c = cJSON_GetObjectItem(j, "sketch_count");
	if (!cJSON_IsArray(a) || !cJSON_IsNumber(c) || (uint32_t)cJSON_GetArraySize(a) != n ||
	    c->valuedouble != (double)n)
		__builtin_trap();
	cJSON_Delete(j);
	return 0;
}

static void
ledger(void)
{
	struct cf_agg_stats st;

	cf_agg_stats(agg, &st);
	if (st.records_in != st.folded + st.aggregates_out + st.open)
		__builtin_trap();
}

/* The records decoded so far, into both stages. */
static void
take(struct cf_record_sink *s)
{
	unsigned int n = s->cur != NULL ? (unsigned int)(s->cur - recs) : 0, i;

	for (i = 0; i < n; i++) {
		in_bytes += recs[i].bytes;
		in_packets += recs[i].packets;
	}
	if (n != 0) {
		cf_sketch_add(sk, recs, n, clock_ms);
		cf_agg_add(agg, recs, n, clock_ms);
		ledger();
	}
	s->cur = recs;
	s->end = recs + RTE_DIM(recs);
}

static int
refill(struct cf_record_sink *s)
{
	take(s);
	return 0;
}

static uint64_t
mono_ms(void)
{
	return clock_ms += 1000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {
		"on",
		"src_ip,dst_ip,service_port,protocol,src_sgt,dst_sgt,switch_id,vlan_id,src_mac,dst_mac",
		"src_ip,src_port,dst_port,tcp_flags,switch_id",
		"protocol",
	};
	static struct cf_stats_lcore stats;
	struct cf_decode_config dc = { .max_exporters = 16 };
	struct cf_tpl_config tc = { .max_exporters = 4, .max_per_exporter = 4, .pending_bytes = 4096,
				    .timeout_s = 60 };
	struct cf_dispatch_config cfg = { .decode = &dc, .tpl = &tc, .sflow_max_ifc = 8 };
	struct cf_agg_config ac = { .interval_s = 60, .max_entries = 16, .socket = SOCKET_ID_ANY };
	struct cf_sketch_config kc = { .max_endpoints = 8, .interval_s = 60,
				       .socket = SOCKET_ID_ANY };
	struct cf_record_sink sink = { .refill = refill };
	struct cf_agg_stats st;
	struct cf_decode_ctx ctx;
	struct cf_fuzz_piece pc;
	char err[256];
	uint8_t sel = size > 0 ? data[0] : 0;

	cf_fuzz_eal_init();
	in_bytes = in_packets = out_bytes = out_packets = out_flows = 0;
	clock_ms = 1700000000000ull;
	dc.scale_by_sampling = (sel >> 2) & 1;
	dc.sampling_rate = dc.scale_by_sampling ? 0xffffffffu : 0;
	kc.reset = (sel >> 3) & 1;
	if (cf_agg_keys_parse(keys[sel & 3], &ac.keys, err, sizeof(err)) != 0)
		__builtin_trap();
	agg = cf_agg_create(&ac, emit, NULL, err, sizeof(err));
	sk = cf_sketch_create(&kc, submit, NULL, err, sizeof(err));
	if (agg == NULL || sk == NULL ||
	    cf_dispatch_ctx_init(&ctx, "fs", 0, &cfg, &stats, &sink, err, sizeof(err)) != 0)
		__builtin_trap();
	if (size > 0) {
		data++;
		size--;
	}
	while (cf_fuzz_next(&data, &size, &pc)) {
		struct cf_decode_dgram dg;

		cf_fuzz_dgram(&pc, &clock_ms, 10000, 2055, &dg);
		cf_dispatch_datagram(&ctx, &dg);
		take(&sink);
		cf_agg_poll(agg, clock_ms, 0);
		ledger();
		cf_sketch_poll(sk, clock_ms, clock_ms / 1000, 0);
	}
	cf_tpl_pending_flush(&ctx);
	take(&sink);
	cf_agg_flush(agg);
	ledger();
	cf_agg_stats(agg, &st);
	if (st.open != 0 || out_bytes != in_bytes || out_packets != in_packets ||
	    out_flows != st.records_in)
		__builtin_trap();
	cf_sketch_finish(sk, clock_ms / 1000, mono_ms, clock_ms + 60000);
	if (getenv("CF_FUZZ_VERBOSE") != NULL) {
		struct cf_sketch_stats ks;

		cf_sketch_stats(sk, &ks);
		fprintf(stderr, "agg: in %" PRIu64 " out %" PRIu64 " early %" PRIu64 " splits %" PRIu64
			"; sketch: endpoints %" PRIu64 " evicted %" PRIu64 " sketches %" PRIu64 "\n",
			st.records_in, st.aggregates_out, st.early_flushes, st.overflow_splits,
			ks.endpoints, ks.evicted, ks.sketches);
	}
	cf_dispatch_ctx_fini(&ctx);
	cf_agg_free(agg);
	cf_sketch_free(sk);
	return 0;
}
