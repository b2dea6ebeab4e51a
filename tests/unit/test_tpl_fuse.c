/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fused decode programs (lib/tpl/cf_tpl_compile.c fuse()): a fixed-length data
 * template's steps grouped by op must give the record the step-by-step
 * program gives, byte for byte.
 */
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "cf_dispatch.h"
#include "cf_test.h"
#include "cf_test_msg.h"
#include "cf_tpl.h"
#include "cf_tpl_dst.h"

static const struct cf_tpl *
define(struct cft_dec *d, struct cf_tpl_exp *ex, uint16_t tid, const struct cf_tpl_field *f,
       uint16_t n, int no_fuse)
{
	enum cf_stats_drop why;

	cf_tpl_no_fuse = no_fuse;
	why = cf_tpl_define(&d->ctx, ex, tid, CF_TPL_KIND_DATA, f, n, 0, 1000);
	cf_tpl_no_fuse = 0;
	return why == CF_STATS_DROP_MAX ? cf_tpl_find(&d->ctx, ex, tid, 1000) : NULL;
}

/*
 * A v9 record of the cisco18 bench layout plus the lengths the fused ops
 * narrow or widen (RFC 3954 sec. 8 types): every field of the record as the
 * bytes on the wire say.
 */
static void
test_fused_record(void)
{
	const struct cf_tpl_field f[] = {
		{0, 8, 4}, {0, 12, 4}, {0, 15, 4},        /* src, dst, next hop */
		{0, 7, 2}, {0, 11, 2}, {0, 4, 1},         /* ports, protocol */
		{0, 5, 1}, {0, 6, 2},                     /* ToS, TCP flags in 2 bytes */
		{0, 1, 8}, {0, 2, 4},                     /* IN_BYTES/8, IN_PKTS/4 (64-bit field) */
		{0, 22, 4}, {0, 21, 4},                   /* FIRST/LAST_SWITCHED */
		{0, 10, 2}, {0, 14, 4},                   /* input (2 bytes), output interface */
		{0, 9, 1}, {0, 13, 1}, {0, 61, 1},        /* masks, direction */
		{0, 16, 4}, {0, 17, 8},                   /* SRC_AS/4, DST_AS in 8 bytes */
		{0, 89, 4},                               /* forwardingStatus: not mapped */
		{0, 34000, 4}, {0, 34001, 2},             /* SGTs */
	};
	static const uint8_t rec[] = {
		10, 1, 2, 3, 192, 0, 2, 9, 172, 16, 0, 1,
		0x04, 0xd2, 0x00, 0x35, 17,
		0x2e, 0x01, 0x1b,
		0, 0, 0, 1, 0x02, 0x03, 0x04, 0x05, 0x00, 0x00, 0x30, 0x39,
		0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0,
		0x01, 0x02, 0x00, 0x00, 0x00, 0x07,
		24, 16, 1,
		0x00, 0x00, 0xfd, 0xe8, 0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x01, 0x00, 0x02,
		0xde, 0xad, 0xbe, 0xef,
		0x00, 0x00, 0x00, 0x64, 0x00, 0xc8,
	};
	struct cf_tpl_msg m = {.export_ms = 1700000000000ull, .uptime_ms = 5000, .domain = 1,
			       .version = CF_RECORD_V_NF9};
	const struct cf_tpl *t;
	const struct cf_record *r;
	struct cf_decode_dgram dg;
	struct cf_tpl_exp *ex;
	struct cft_dec d;
	unsigned int i;
	uint32_t want;

	CU_ASSERT_EQUAL(sizeof(rec), 71);
	/* the executor's run order has every op once */
	for (i = 1; i < CF_TPL_OP_MAX; i++) {
		unsigned int k, seen = 0;

		for (k = 0; k < RTE_DIM(cf_tpl_op_order); k++)
			seen += cf_tpl_op_order[k] == i;
		CU_ASSERT_EQUAL(seen, 1);
	}
	cft_dgram_at(&dg, "192.0.2.1", 1000);
	cft_dec_init(&d, 4);
	ex = cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_NF9, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	t = define(&d, ex, 256, f, RTE_DIM(f), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->n_segs, 1);
	CU_ASSERT_EQUAL(t->rec_len, sizeof(rec));
	/* forwardingStatus is not a step; every element else has a specialised op */
	CU_ASSERT_EQUAL(t->n_steps, RTE_DIM(f) - 1);
	CU_ASSERT_EQUAL(t->segs[0].op_end[CF_TPL_OP_S2], t->n_steps);
	CU_ASSERT_EQUAL(t->segs[0].end, t->n_steps);
	CU_ASSERT_EQUAL(t->segs[0].rare, 1); /* the 2-byte input interface */
	CU_ASSERT_EQUAL(cf_tpl_data_set(&d.ctx, ex, t, &m, &dg, rec, sizeof(rec)), 1);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	r = &d.out.recs[0];
	CU_ASSERT(memcmp(r->src_addr, rec, 4) == 0);
	CU_ASSERT(memcmp(r->dst_addr, rec + 4, 4) == 0);
	CU_ASSERT(memcmp(r->next_hop, rec + 8, 4) == 0);
	CU_ASSERT_EQUAL(r->src_port, 1234);
	CU_ASSERT_EQUAL(r->dst_port, 53);
	CU_ASSERT_EQUAL(r->protocol, 17);
	CU_ASSERT_EQUAL(r->tos, 0x2e);
	CU_ASSERT_EQUAL(r->tcp_flags, 0x1b);              /* the low byte of 0x011b */
	CU_ASSERT_EQUAL(r->bytes, 0x0000000102030405ull);
	CU_ASSERT_EQUAL(r->packets, 12345);
	/* v9 uptime-relative: export time + (first - sysUptime) */
	CU_ASSERT_EQUAL(r->flow_start_ms, 1700000000000ull + 1000 - 5000);
	CU_ASSERT_EQUAL(r->flow_end_ms, 1700000000000ull + 2000 - 5000);
	CU_ASSERT_EQUAL(r->time_source, CF_RECORD_TS_FLOW);
	CU_ASSERT_EQUAL(r->input_if, 0x0102);
	CU_ASSERT_EQUAL(r->output_if, 7);
	CU_ASSERT_EQUAL(r->src_mask, 24);
	CU_ASSERT_EQUAL(r->dst_mask, 16);
	CU_ASSERT_EQUAL(r->direction, 1);
	CU_ASSERT_EQUAL(r->src_as, 65000);
	CU_ASSERT_EQUAL(r->dst_as, 0x00010002);           /* the low 4 bytes of 8 */
	CU_ASSERT_EQUAL(r->src_sgt, 100);
	CU_ASSERT_EQUAL(r->dst_sgt, 200);
	want = CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR | CF_RECORD_F_PORTS |
	       CF_RECORD_F_PROTOCOL | CF_RECORD_F_TOS | CF_RECORD_F_TCP_FLAGS | CF_RECORD_F_BYTES |
	       CF_RECORD_F_PACKETS | CF_RECORD_F_FLOW_START | CF_RECORD_F_FLOW_END |
	       CF_RECORD_F_INPUT_IF | CF_RECORD_F_OUTPUT_IF | CF_RECORD_F_SRC_AS |
	       CF_RECORD_F_DST_AS | CF_RECORD_F_SRC_MASK | CF_RECORD_F_DST_MASK |
	       CF_RECORD_F_NEXT_HOP | CF_RECORD_F_DIRECTION | CF_RECORD_F_SRC_SGT |
	       CF_RECORD_F_DST_SGT;
	CU_ASSERT_EQUAL(r->present & want, want);
	CU_ASSERT_EQUAL(r->present & (CF_RECORD_F_SRC_V6 | CF_RECORD_F_ICMP), 0);
	/* and what the step-by-step program makes of the same bytes */
	t = define(&d, ex, 257, f, RTE_DIM(f), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->n_segs, 0);
	cf_tpl_data_set(&d.ctx, ex, t, &m, &dg, rec, sizeof(rec));
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 2);
	CU_ASSERT(memcmp(&d.out.recs[0], &d.out.recs[1], sizeof(struct cf_record)) == 0);
	cft_dec_fini(&d);
}

/* Templates the fusion must refuse: the order of two writers of one field decides. */
static void
test_fuse_refused(void)
{
	/* input interface twice (2 then 4 bytes): the later one wins */
	const struct cf_tpl_field twice[] = {{0, 10, 2}, {0, 10, 4}};
	/* a 3-byte octet count stays generic beside specialised steps of other fields */
	const struct cf_tpl_field sta[] = {{0, 8, 4}, {0, 1, 3}, {0, 2, 4}};
	/* octetDeltaCount in 4 bytes (widened), then again in 3 (generic, the same field) */
	const struct cf_tpl_field gen[] = {{0, 1, 4}, {0, 1, 3}};
	static const uint8_t rec[] = {0, 5, 0, 0, 0, 9, 0, 0, 7};
	struct cf_tpl_msg m = {.export_ms = 1, .domain = 1, .version = CF_RECORD_V_IPFIX};
	const struct cf_tpl *t;
	struct cf_decode_dgram dg;
	struct cf_tpl_exp *ex;
	struct cft_dec d;

	cft_dgram_at(&dg, "192.0.2.1", 1000);
	cft_dec_init(&d, 4);
	ex = cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	t = define(&d, ex, 256, twice, 2, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->n_segs, 0);
	cf_tpl_data_set(&d.ctx, ex, t, &m, &dg, rec, 6);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.out.recs[0].input_if, 9);
	t = define(&d, ex, 257, sta, 3, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->n_segs, 1);
	t = define(&d, ex, 258, gen, 2, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->n_segs, 0);
	cf_tpl_data_set(&d.ctx, ex, t, &m, &dg, rec + 2, 7);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 2);
	CU_ASSERT_EQUAL(d.out.recs[1].bytes, 7);
	cft_dec_fini(&d);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/*
 * One record of f[0..n) at b: fixed fields random (mode 1: the 16-byte ones
 * zero; mode 2: all zero), variable-length ones 0-23 bytes, now and then in
 * the 3-byte length form (RFC 7011 sec. 7). Returns its length.
 */
static unsigned int
put_rec(uint8_t *b, const struct cf_tpl_field *f, unsigned int n, int mode)
{
	unsigned int i, k, pos = 0, len;

	for (i = 0; i < n; i++) {
		len = f[i].len;
		if (len == CF_TPL_VARLEN) {
			len = mode == 2 ? 0 : rnd() % 24;
			if (rnd() % 8 == 0) {
				b[pos++] = 255;
				b[pos++] = (uint8_t)(len >> 8);
				b[pos++] = (uint8_t)len;
			} else {
				b[pos++] = (uint8_t)len;
			}
		}
		for (k = 0; k < len; k++)
			b[pos + k] = mode == 2 || (mode == 1 && len == 16) ? 0 : (uint8_t)rnd();
		pos += len;
	}
	return pos;
}

/*
 * Random templates over every element the map knows (IPFIX IANA ids and the
 * Cisco SGTs at each length it takes, variable-length where it takes that;
 * repeats allowed): the fused program and the step-by-step one decode the
 * same set (three records, sometimes a cut fourth) into the same records,
 * byte for byte, and the same number of them.
 */
static void
test_fuse_differential(void)
{
	static const uint16_t lens[] = {1, 2, 3, 4, 6, 8, 16, CF_TPL_VARLEN};
	static struct cf_tpl_field pool[4096];
	static uint8_t set[4 * 40 * (16 + 3 + 24)];
	struct cf_tpl_field f[40];
	unsigned int n_pool = 0, iter, i, j, recs = 0, cut = 0;
	unsigned int fused[2] = {0, 0}, unfused[2] = {0, 0};
	struct cf_decode_dgram dg;
	struct cf_tpl_exp *ex;
	struct cft_dec d;
	uint32_t pen, id;

	for (pen = 0; pen <= 9; pen += 9)
		for (id = 1; id < 1300; id++)
			for (i = 0; i < RTE_DIM(lens); i++) {
				struct cf_tpl_field e = {pen, (uint16_t)id, lens[i]};
				uint16_t dst = cf_tpl_map(CF_RECORD_V_IPFIX, e.pen, e.id, e.len);

				if (dst != CF_TPL_D_SKIP && dst != CF_TPL_D_BADLEN &&
				    n_pool < RTE_DIM(pool))
					pool[n_pool++] = e;
			}
	CU_ASSERT_FATAL(n_pool > 100);
	cft_dgram_at(&dg, "192.0.2.1", 1000);
	cft_dec_init(&d, 8);
	ex = cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	for (iter = 0; iter < 6000; iter++) {
		struct cf_tpl_msg m = {.export_ms = 1700000000000ull, .domain = 1,
				       .version = CF_RECORD_V_IPFIX};
		unsigned int n = 1 + rnd() % (iter % 4 == 0 ? 30 : 8), len = 0, na, nb, var = 0;
		const struct cf_tpl *a, *b;

		for (i = 0; i < n; i++) {
			/* now and then an element before again: a repeat */
			f[i] = i > 0 && rnd() % 6 == 0 ? f[rnd() % i] : pool[rnd() % n_pool];
			/* half the templates fixed-length only */
			if (f[i].len == CF_TPL_VARLEN && iter % 2 == 0)
				f[i].len = 4;
			/* and applicationName (not stored in flow records), as in the bench */
			if (iter % 2 == 1 && rnd() % 10 == 0)
				f[i] = (struct cf_tpl_field){0, 96, CF_TPL_VARLEN};
			var |= f[i].len == CF_TPL_VARLEN;
		}
		/* records big enough for the amplification bound (forwardingStatus: unmapped) */
		f[n++] = (struct cf_tpl_field){0, 89, 8};
		for (j = 0; j < 3; j++)
			len += put_rec(set + len, f, n, (int)j);
		if (rnd() % 4 == 0) {
			len += put_rec(set + len, f, n, 0) / 2;
			cut++;
		}
		a = define(&d, ex, 256, f, (uint16_t)n, 0);
		b = define(&d, ex, 257, f, (uint16_t)n, 1);
		if (a == NULL || b == NULL) {
			CU_ASSERT_PTR_NULL(a);
			CU_ASSERT_PTR_NULL(b);
			continue;
		}
		CU_ASSERT_EQUAL(b->n_segs, 0);
		if (a->n_segs != 0)
			fused[var]++;
		else
			unfused[var]++;
		cft_sink_reset(&d.out);
		cf_tpl_data_set(&d.ctx, ex, a, &m, &dg, set, len);
		na = cft_sink_count(&d.out);
		cf_tpl_data_set(&d.ctx, ex, b, &m, &dg, set, len);
		nb = cft_sink_count(&d.out) - na;
		CU_ASSERT_EQUAL(na, nb);
		CU_ASSERT(na >= 3);
		for (j = 0; j < na && j < nb; j++) {
			const struct cf_record *x = &d.out.recs[j], *y = &d.out.recs[na + j];

			recs++;
			if (memcmp(x, y, sizeof(*x)) != 0) {
				CU_FAIL("fused and step-by-step records differ");
				for (i = 0; i < n; i++)
					fprintf(stderr, " (%u,%u,%u)", f[i].pen, f[i].id, f[i].len);
				fprintf(stderr, " record %u\n", j);
				break;
			}
		}
	}
	printf("fuse_differential: %u elements; fused %u fixed + %u variable-length templates, "
	       "unfused %u + %u; %u record pairs, %u cut sets\n",
	       n_pool, fused[0], fused[1], unfused[0], unfused[1], recs, cut);
	CU_ASSERT(fused[0] > 1000);
	CU_ASSERT(fused[1] > 500);
	CU_ASSERT(unfused[0] + unfused[1] > 100);
	cft_dec_fini(&d);
}

static const struct cft_case cases[] = {
	{"fused_record", test_fused_record},
	{"fuse_refused", test_fuse_refused},
	{"fuse_differential", test_fuse_differential},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("tpl_fuse", cases);
}
