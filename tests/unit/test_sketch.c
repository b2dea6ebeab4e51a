/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sketch: HyperLogLog accuracy on known cardinalities (1, 10, 1,000,
 * 100,000: the 95th percentile of the relative error over many trials within
 * 3 %), a lossless sparse-to-registers conversion checked against registers
 * computed here, and the endpoint table against answers worked out here: the
 * posted bodies parsed back (every EdgeSketchData field), MAC or address as the
 * endpoint, bytes_in, LRU eviction, reset, a body size limit, a submit that
 * waits and one that never takes.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <rte_common.h>
#include <rte_memory.h>

#include "cf_clock.h"
#include "cf_sketch.h"
#include "cf_test.h"

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct cf_sketch_hll_dense dense_blk;

/* p95 of |estimate - n| / n over `trials` sets of n distinct IPv4 addresses. */
static double
p95_error(unsigned int n, unsigned int trials, double *max_out)
{
	double *err = calloc(trials, sizeof(double));
	unsigned int t, i;
	double p95;

	for (t = 0; t < trials; t++) {
		struct cf_sketch_hll h;
		uint8_t a[16] = {0};

		cf_sketch_hll_init(&h, &dense_blk);
		for (i = 0; i < n; i++) {
			uint32_t v = t * 2654435761u + i * 7919u + (uint32_t)n * 31u;

			/* distinct within a trial: i * 7919 is injective mod 2^32 */
			memcpy(a, &v, 4);
			cf_sketch_hll_add(&h, cf_sketch_hash_addr(a, 0));
		}
		err[t] = fabs((double)cf_sketch_hll_count(&h) - n) / n;
	}
	qsort(err, trials, sizeof(double), cmp_dbl);
	p95 = err[(size_t)(0.95 * (trials - 1))];
	*max_out = err[trials - 1];
	free(err);
	return p95;
}

static void
test_hll_accuracy(void)
{
	static const struct { unsigned int n, trials; } cases[] = {
		{1, 2000}, {10, 2000}, {1000, 400}, {100000, 60},
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		double mx, p = p95_error(cases[i].n, cases[i].trials, &mx);

		printf("\n    n=%u trials=%u: p95 error %.3f %%, max %.3f %%", cases[i].n,
		       cases[i].trials, 100 * p, 100 * mx);
		CU_ASSERT(p <= 0.03);
		if (cases[i].n <= CF_SKETCH_SPARSE)
			CU_ASSERT(mx == 0);  /* exact while sparse */
	}
	printf("\n");
}

/* Repeats count once, and an empty sketch is 0. */
static void
test_hll_repeats(void)
{
	struct cf_sketch_hll h;
	uint8_t a[16] = {192, 0, 2, 1};
	unsigned int i;

	cf_sketch_hll_init(&h, &dense_blk);
	CU_ASSERT_EQUAL(cf_sketch_hll_count(&h), 0);
	for (i = 0; i < 1000; i++)
		cf_sketch_hll_add(&h, cf_sketch_hash_addr(a, 0));
	CU_ASSERT_EQUAL(cf_sketch_hll_count(&h), 1);
	/* IPv6 ::c000:201 is not 192.0.2.1 */
	cf_sketch_hll_add(&h, cf_sketch_hash_addr(a, 1));
	CU_ASSERT_EQUAL(cf_sketch_hll_count(&h), 2);
	cf_sketch_hll_add(&h, cf_sketch_hash_port(6, 443));
	cf_sketch_hll_add(&h, cf_sketch_hash_port(17, 443));
	CU_ASSERT_EQUAL(cf_sketch_hll_count(&h), 4);
	cf_sketch_hll_clear(&h);
	CU_ASSERT_EQUAL(cf_sketch_hll_count(&h), 0);
}

/* After the switch to registers they hold exactly what adding every hash to registers from
 * the start gives (the sparse entries lose nothing), and hash values with many zero bits
 * (the rank the sparse form must remember) are among them. */
static void
test_hll_sparse_lossless(void)
{
	static uint8_t want[CF_SKETCH_HLL_M];
	struct cf_sketch_hll h;
	uint64_t hs[40];
	unsigned int i;

	cf_sketch_hll_init(&h, &dense_blk);
	memset(want, 0, sizeof(want));
	for (i = 0; i < RTE_DIM(hs); i++) {
		uint64_t x = cf_sketch_hash_port(6, (uint16_t)i);

		/* Every 4th: the 12 bits after the index zero, then more zeros. */
		if (i % 4 == 0)
			x &= ~(((1ull << 12) - 1) << 39) & ~(((1ull << (i % 30)) - 1) << (39 - i % 30));
		hs[i] = x;
	}
	for (i = 0; i < RTE_DIM(hs); i++) {
		uint32_t idx = (uint32_t)(hs[i] >> (64 - CF_SKETCH_HLL_P));
		uint8_t rho = (uint8_t)(__builtin_clzll((hs[i] << CF_SKETCH_HLL_P) |
							 (1ull << (CF_SKETCH_HLL_P - 1))) + 1);

		if (rho > want[idx])
			want[idx] = rho;
		cf_sketch_hll_add(&h, hs[i]);
		if (i + 1 == CF_SKETCH_SPARSE)
			CU_ASSERT_NOT_EQUAL(h.n, CF_SKETCH_HLL_DENSE_FLAG);
	}
	CU_ASSERT_EQUAL_FATAL(h.n, CF_SKETCH_HLL_DENSE_FLAG);
	CU_ASSERT_EQUAL(memcmp(h.dense->reg, want, sizeof(want)), 0);
	for (i = 0; i < 64; i++) {
		unsigned int k, c = 0;

		for (k = 0; k < CF_SKETCH_HLL_M; k++)
			c += want[k] == i;
		CU_ASSERT_EQUAL(h.dense->hist[i], c);
	}
}

/* ---------------------------------------------------------------- the table */

#define MAX_BODIES 64

static char *bodies[MAX_BODIES];
static unsigned int nbodies, refuse_left, refuse_forever;

static int
collect(void *ctx, const char *body, size_t len, uint32_t n)
{
	cJSON *j;

	(void)ctx;
	if (refuse_forever)
		return -EAGAIN;
	if (refuse_left) {
		refuse_left--;
		return -EAGAIN;
	}
	CU_ASSERT_FATAL(nbodies < MAX_BODIES);
	bodies[nbodies] = strndup(body, len);
	j = cJSON_Parse(bodies[nbodies]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL((uint32_t)cJSON_GetObjectItem(j, "sketch_count")->valuedouble, n);
	CU_ASSERT_EQUAL((uint32_t)cJSON_GetArraySize(cJSON_GetObjectItem(j, "sketches")), n);
	cJSON_Delete(j);
	nbodies++;
	return 0;
}

static void
reset_bodies(void)
{
	unsigned int i;

	for (i = 0; i < nbodies; i++)
		free(bodies[i]);
	nbodies = 0;
	refuse_left = refuse_forever = 0;
}

static struct cf_sketch *
mk(uint32_t max, int reset)
{
	struct cf_sketch_config c = {.max_endpoints = max, .interval_s = 60, .reset = reset,
				     .socket = SOCKET_ID_ANY};
	char err[256];
	struct cf_sketch *s = cf_sketch_create(&c, collect, NULL, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	reset_bodies();
	return s;
}

static void
rec(struct cf_record *r, unsigned int sw, unsigned int src, unsigned int dst, uint16_t dport,
    uint64_t bytes, uint64_t start_ms, uint64_t end_ms, int macs)
{
	memset(r, 0, sizeof(*r));
	r->present = CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR | CF_RECORD_F_PORTS |
		     CF_RECORD_F_PROTOCOL | CF_RECORD_F_BYTES | CF_RECORD_F_PACKETS |
		     CF_RECORD_F_FLOW_START | CF_RECORD_F_FLOW_END;
	r->exporter[0] = 10;
	r->exporter[3] = (uint8_t)sw;
	r->src_addr[0] = 192;
	r->src_addr[1] = 168;
	r->src_addr[2] = (uint8_t)(src >> 8);
	r->src_addr[3] = (uint8_t)src;
	r->dst_addr[0] = 192;
	r->dst_addr[1] = 168;
	r->dst_addr[2] = (uint8_t)(dst >> 8);
	r->dst_addr[3] = (uint8_t)dst;
	if (macs) {
		r->present |= CF_RECORD_F_SRC_MAC | CF_RECORD_F_DST_MAC;
		r->src_mac[0] = 2;
		r->src_mac[4] = (uint8_t)(src >> 8);
		r->src_mac[5] = (uint8_t)src;
		r->dst_mac[0] = 2;
		r->dst_mac[4] = (uint8_t)(dst >> 8);
		r->dst_mac[5] = (uint8_t)dst;
	}
	r->dst_port = dport;
	r->protocol = 6;
	r->bytes = bytes;
	r->packets = 1;
	r->flow_start_ms = start_ms;
	r->flow_end_ms = end_ms;
}

/* The sketch of endpoint_id in the body list, or NULL (caller frees the root). */
static cJSON *
find(const char *id, const char *sw, cJSON **root)
{
	unsigned int b;

	for (b = 0; b < nbodies; b++) {
		cJSON *j = cJSON_Parse(bodies[b]), *it;

		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "sketches")) {
			if (strcmp(cJSON_GetObjectItem(it, "endpoint_id")->valuestring, id) == 0 &&
			    strcmp(cJSON_GetObjectItem(it, "switch_id")->valuestring, sw) == 0) {
				*root = j;
				return it;
			}
		}
		cJSON_Delete(j);
	}
	*root = NULL;
	return NULL;
}

static double
num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT(cJSON_IsNumber(v));
	return v->valuedouble;
}

#define T0 1767225600000ull /* 2026-01-01 00:00 UTC */

static void
test_fields(void)
{
	struct cf_record r[6];
	struct cf_sketch *s = mk(100, 0);
	struct cf_sketch_stats st;
	cJSON *root, *o, *b;

	/* MAC 02:00:00:00:00:01 at switch 10.0.0.1: 3 flows, 2 peers, 2 ports. */
	rec(&r[0], 1, 1, 2, 443, 100, T0 + 3600000 * 2 + 5, T0 + 3600000 * 4 + 5, 1);
	rec(&r[1], 1, 1, 3, 443, 50, T0 + 1000, T0 + 2000, 1);
	rec(&r[2], 1, 1, 3, 53, 25, T0 + 3600000 * 23, T0 + 3600000 * 23 + 10, 1);
	/* 02::02 answers: bytes_in for 02::01; 02::02 becomes an endpoint too. */
	rec(&r[3], 1, 2, 1, 50000, 7, T0 + 5000, T0 + 6000, 1);
	/* No MAC: the address is the endpoint; at another switch. */
	rec(&r[4], 2, 9, 1, 80, 1000, T0, T0, 0);
	/* Neither MAC nor address: not an endpoint, counted. */
	rec(&r[5], 1, 1, 1, 80, 1, T0, T0, 0);
	r[5].present &= ~(CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR);
	cf_sketch_add(s, r, 6, 1);
	CU_ASSERT_EQUAL(cf_sketch_poll(s, 2, 1767230000, 0), 0); /* interval not up */
	CU_ASSERT(cf_sketch_poll(s, 1 + 60000, 1767230000, 0) == 3);
	CU_ASSERT_EQUAL_FATAL(nbodies, 2);   /* one per switch */
	b = cJSON_Parse(bodies[0]);
	if (strcmp(cJSON_GetObjectItem(b, "switch_id")->valuestring, "10.0.0.1") != 0) {
		cJSON_Delete(b);
		b = cJSON_Parse(bodies[1]);
	}
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(b, "switch_id")->valuestring, "10.0.0.1");
	CU_ASSERT_EQUAL(num(b, "timestamp"), 1767230000);
	CU_ASSERT_EQUAL(num(b, "sketch_count"), 2);
	cJSON_Delete(b);

	o = find("02:00:00:00:00:01", "10.0.0.1", &root);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(num(o, "unique_peers"), 2);
	CU_ASSERT_EQUAL(num(o, "unique_ports"), 2);
	CU_ASSERT_EQUAL(num(o, "bytes_out"), 175);
	CU_ASSERT_EQUAL(num(o, "bytes_in"), 7);
	CU_ASSERT_EQUAL(num(o, "flow_count"), 3);
	CU_ASSERT_EQUAL(num(o, "first_seen"), 1767225601);
	CU_ASSERT_EQUAL(num(o, "last_seen"), 1767225600 + 23 * 3600);
	/* hours 0 (r1), 2..4 (r0), 23 (r2) */
	CU_ASSERT_EQUAL(num(o, "active_hours"), (1 << 0) | (7 << 2) | (1 << 23));
	CU_ASSERT_EQUAL(num(o, "local_cluster_id"), -1);
	CU_ASSERT_EQUAL(cJSON_GetArraySize(o), 11);
	cJSON_Delete(root);
	o = find("02:00:00:00:00:02", "10.0.0.1", &root);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(num(o, "bytes_in"), 0); /* r0/r1 went to .2/.3 before it was an endpoint */
	CU_ASSERT_EQUAL(num(o, "bytes_out"), 7);
	cJSON_Delete(root);
	o = find("192.168.0.9", "10.0.0.2", &root);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(num(o, "bytes_out"), 1000);
	cJSON_Delete(root);

	cf_sketch_stats(s, &st);
	CU_ASSERT_EQUAL(st.records_in, 6);
	CU_ASSERT_EQUAL(st.no_endpoint, 1);
	CU_ASSERT_EQUAL(st.endpoints, 3);
	CU_ASSERT_EQUAL(st.switches, 2);
	CU_ASSERT_EQUAL(st.sketches, 3);
	CU_ASSERT_EQUAL(st.bodies, 2);

	/* Cumulative: the next round posts the same three again, with what came since. */
	reset_bodies();
	cf_sketch_add(s, &r[4], 1, 60001);
	CU_ASSERT_EQUAL(cf_sketch_poll(s, 60001 + 60000, 1767230060, 0), 3);
	o = find("192.168.0.9", "10.0.0.2", &root);
	CU_ASSERT_EQUAL(num(o, "bytes_out"), 2000);
	CU_ASSERT_EQUAL(num(o, "flow_count"), 2);
	cJSON_Delete(root);
	cf_sketch_free(s);
	reset_bodies();
}

/* The reference for active_hours: every UTC hour a flow touches, one by one. */
static uint32_t
ref_hours(uint64_t ms0, uint64_t ms1)
{
	uint64_t h, h0 = ms0 / 3600000, h1 = ms1 < ms0 ? h0 : ms1 / 3600000;
	uint32_t m = 0;

	for (h = h0; h <= h1 && h < h0 + 24; h++)
		m |= 1u << (h % 24);
	return m;
}

/*
 * first_seen, last_seen and active_hours over runs of records in one hour (the table
 * keeps the last hour to skip its divides), flows across hours and days, and records
 * with only a start or only an end, against answers worked out here record by record.
 */
static void
test_times_random(void)
{
	enum { EPS = 64, N = 6000 };
	static struct cf_record r[N];
	uint64_t first[EPS], last[EPS];
	uint32_t hours[EPS];
	struct cf_sketch *s = mk(100, 0);
	uint64_t x = 0x9e3779b97f4a7c15ull, base = T0 + 5 * 3600000 + 123;
	unsigned int i, e, checked = 0;

	for (e = 0; e < EPS; e++) {
		first[e] = UINT64_MAX;
		last[e] = 0;
		hours[e] = 0;
	}
	for (i = 0; i < N; i++) {
		uint64_t ms0, ms1;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		if (i % 150 == 0)          /* a run starts in another hour, up to two days on */
			base = T0 + (x >> 33) % (48 * 3600000ull);
		e = (unsigned int)(x >> 20) % EPS;
		ms0 = base + (x >> 40) % 3000000;
		if (i % 3 == 0)            /* the last ms of a second: floor, not round */
			ms0 = ms0 / 1000 * 1000 + 999;
		/* mostly inside the hour; one in 8 runs into the next ones, one in 64 for a day */
		ms1 = ms0 + ((x & 7) == 0 ? (x >> 8) % (3 * 3600000ull) :
			     (x & 63) == 1 ? 30 * 3600000ull : (x >> 12) % 5000);
		rec(&r[i], 1, e + 1, 200, 443, 1, ms0, ms1, 1);
		if ((x & 0x300) == 0x100) {
			r[i].present &= ~CF_RECORD_F_FLOW_START;
			ms0 = ms1;
		} else if ((x & 0x300) == 0x200) {
			r[i].present &= ~CF_RECORD_F_FLOW_END;
			ms1 = ms0;
		}
		first[e] = RTE_MIN(first[e], ms0);
		last[e] = RTE_MAX(last[e], ms1);
		hours[e] |= ref_hours(ms0, ms1);
	}
	cf_sketch_add(s, r, N, 1);
	CU_ASSERT(cf_sketch_poll(s, 1 + 60000, 1767230000, 0) >= EPS);
	for (e = 0; e < EPS; e++) {
		char id[32];
		cJSON *root, *o;

		snprintf(id, sizeof(id), "02:00:00:00:%02x:%02x", (e + 1) >> 8, (e + 1) & 0xff);
		o = find(id, "10.0.0.1", &root);
		if (first[e] == UINT64_MAX) {
			CU_ASSERT_PTR_NULL(o);
			continue;
		}
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_EQUAL(num(o, "first_seen"), first[e] / 1000);
		CU_ASSERT_EQUAL(num(o, "last_seen"), last[e] / 1000);
		CU_ASSERT_EQUAL(num(o, "active_hours"), hours[e]);
		checked++;
		cJSON_Delete(root);
	}
	CU_ASSERT_EQUAL(checked, EPS);
	cf_sketch_free(s);
	reset_bodies();
}

/* What the endpoint index hashed with before it had a seed: public, so a flood could be
 * built against it. */
static uint32_t
unseeded_hash(uint64_t id0, uint64_t sw_kind)
{
	return (uint32_t)cf_sketch_mix64(id0 ^ cf_sketch_mix64(0 * 0x9e3779b97f4a7c15ull ^ sw_kind));
}

/*
 * A hash flood: source addresses chosen so that the unseeded hash put every one in the
 * same index word of a 4,096-endpoint table (the first switch's slot 0, IPv4 kind), as
 * anyone on a network whose flows are exported can send them. Each lookup then stepped
 * past every earlier endpoint (N * N / 2 words in all); with a seed per table the steps
 * stay what a random hash gives, a fraction of the lookups.
 */
static void
test_hash_flood(void)
{
	enum { N = 1500 };
	static struct cf_record r[N];
	struct cf_sketch *s = mk(4096, 0);
	struct cf_sketch_stats st;
	uint32_t a, bucket = UINT32_MAX, n = 0;

	for (a = 0x0a000000u; n < N && a < 0x0b000000u; a++) {
		uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8),
				(uint8_t)a};
		uint64_t id0 = 0;
		uint32_t h;

		memcpy(&id0, b, 4);
		h = unseeded_hash(id0, 0 << 8 | 4) & 8191;
		if (bucket == UINT32_MAX)
			bucket = h;
		if (h != bucket)
			continue;
		rec(&r[n], 1, 1, 2, 443, 10, T0, T0 + 1000, 0);
		memcpy(r[n].src_addr, b, 4);
		n++;
	}
	CU_ASSERT_EQUAL_FATAL(n, N);
	cf_sketch_add(s, r, N, 1);
	cf_sketch_stats(s, &st);
	printf("\n    %u colliding sources: %" PRIu64 " index steps\n", N, st.probes);
	CU_ASSERT_EQUAL(st.endpoints, N);
	CU_ASSERT(st.probes < 8 * N);
	cf_sketch_free(s);
	reset_bodies();
}

static void
test_lru(void)
{
	struct cf_record r;
	struct cf_sketch *s = mk(4, 0);
	struct cf_sketch_stats st;
	cJSON *root;
	unsigned int i;

	/* LRU order is kept to the second. */
	for (i = 1; i <= 4; i++) {
		rec(&r, 1, i, 100, 80, 1, T0, T0, 1);
		cf_sketch_add(s, &r, 1, i * 1000);
	}
	/* 1 seen again (as destination): 2 is now the least recently seen. */
	rec(&r, 1, 3, 1, 80, 1, T0, T0, 1);
	cf_sketch_add(s, &r, 1, 10000);
	rec(&r, 1, 5, 100, 80, 1, T0, T0, 1);
	cf_sketch_add(s, &r, 1, 11000);
	rec(&r, 1, 6, 100, 80, 1, T0, T0, 1);
	cf_sketch_add(s, &r, 1, 12000);
	cf_sketch_stats(s, &st);
	CU_ASSERT_EQUAL(st.evicted, 2);
	CU_ASSERT_EQUAL(st.endpoints, 4);
	cf_sketch_poll(s, 100000, 1, 0);
	CU_ASSERT_PTR_NULL(find("02:00:00:00:00:02", "10.0.0.1", &root));
	CU_ASSERT_PTR_NOT_NULL(find("02:00:00:00:00:03", "10.0.0.1", &root));
	cJSON_Delete(root);
	CU_ASSERT_PTR_NULL(find("02:00:00:00:00:04", "10.0.0.1", &root));
	CU_ASSERT_PTR_NOT_NULL(find("02:00:00:00:00:01", "10.0.0.1", &root));
	cJSON_Delete(root);
	CU_ASSERT_PTR_NOT_NULL(find("02:00:00:00:00:06", "10.0.0.1", &root));
	cJSON_Delete(root);

	/* Churn through a table of 4 in one call: always 4 left, every one counted. */
	reset_bodies();
	{
		static struct cf_record many[3000];

		for (i = 0; i < RTE_DIM(many); i++)
			rec(&many[i], 1 + i % 3, 10 + i % 500, 10 + (i * 7) % 500, 80, 1, T0, T0, 1);
		cf_sketch_add(s, many, RTE_DIM(many), 200000);
	}
	cf_sketch_stats(s, &st);
	CU_ASSERT_EQUAL(st.endpoints, 4);
	CU_ASSERT(st.switches <= 3);
	CU_ASSERT_EQUAL(st.records_in, 7 + 3000);
	cf_sketch_free(s);
	reset_bodies();
}

static void
test_reset_split_wait(void)
{
	static struct cf_record r[2500];
	struct cf_sketch *s = mk(3000, 1);
	struct cf_sketch_stats st;
	cJSON *root, *o;
	unsigned int i;

	for (i = 0; i < RTE_DIM(r); i++)
		rec(&r[i], 1, i, 7, 80, 10, T0, T0, 1);
	cf_sketch_add(s, r, RTE_DIM(r), 1);
	/* Bodies of at most CF_SKETCH_POST_MAX; the first two offers are refused for now. */
	refuse_left = 2;
	CU_ASSERT_EQUAL(cf_sketch_poll(s, 60001, 5, 600), 600);
	CU_ASSERT_EQUAL(nbodies, 0);
	CU_ASSERT_EQUAL(cf_sketch_poll(s, 60002, 5, 600), 400);
	CU_ASSERT_EQUAL(nbodies, 0); /* refused once, waiting */
	CU_ASSERT_EQUAL(cf_sketch_poll(s, 60003, 5, 0), 0);
	cf_sketch_poll(s, 60004, 5, 0);
	CU_ASSERT_EQUAL(nbodies, 3);
	cf_sketch_stats(s, &st);
	CU_ASSERT_EQUAL(st.sketches, 2500);
	CU_ASSERT_EQUAL(st.submit_waits, 2);
	CU_ASSERT_EQUAL(st.dropped, 0);

	/* Reset: only what was seen since, counted from zero. */
	reset_bodies();
	rec(&r[0], 1, 5, 8, 443, 3, T0, T0, 1);
	cf_sketch_add(s, r, 1, 70000);
	cf_sketch_poll(s, 60001 + 60000, 6, 0);
	CU_ASSERT_EQUAL_FATAL(nbodies, 1);
	o = find("02:00:00:00:00:05", "10.0.0.1", &root);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(num(o, "bytes_out"), 3);
	CU_ASSERT_EQUAL(num(o, "flow_count"), 1);
	CU_ASSERT_EQUAL(num(o, "unique_peers"), 1);
	cJSON_Delete(root);

	/* A destination that never takes: finish gives up at the deadline, all counted. */
	reset_bodies();
	refuse_forever = 1;
	for (i = 0; i < 1500; i++)
		rec(&r[i], 2, i, 7, 80, 10, T0, T0, 1);
	cf_sketch_add(s, r, 1500, 200000);
	cf_sketch_finish(s, 7, cf_clock_mono_ms, cf_clock_mono_ms() + 50);
	cf_sketch_stats(s, &st);
	CU_ASSERT_EQUAL(st.dropped, 1500);
	CU_ASSERT_EQUAL(nbodies, 0);
	cf_sketch_free(s);
	reset_bodies();
}

static const struct cft_case cases[] = {
	{"hll_accuracy", test_hll_accuracy},
	{"hll_repeats", test_hll_repeats},
	{"hll_sparse_lossless", test_hll_sparse_lossless},
	{"fields", test_fields},
	{"times_random", test_times_random},
	{"hash_flood", test_hash_flood},
	{"lru", test_lru},
	{"reset_split_wait", test_reset_split_wait},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("sketch", cases);
}
