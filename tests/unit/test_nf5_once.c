/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NetFlow v5 decoder takes raw (unzeroed) record slots and writes every
 * byte itself. Here its records, decoded into slots full of garbage, must equal
 * byte for byte a record built in this file from zero, field by field from
 * the v5 format, under every sampling policy and for IPv4 and IPv6 exporters.
 */
#include <arpa/inet.h>
#include <string.h>

#include "cf_dispatch.h"
#include "cf_test.h"

#define UPTIME 360000000u
#define SECS 1700000000u
#define NSECS 987654321u
#define NREC 30

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A datagram of NREC records with varied values (a small LCG). */
static void
build(struct cft_buf *b, uint16_t sampling)
{
	uint32_t x = 12345;
	unsigned int i, k;

	b->len = 0;
	cft_u16(b, 5);
	cft_u16(b, NREC);
	cft_u32(b, UPTIME);
	cft_u32(b, SECS);
	cft_u32(b, NSECS);
	cft_u32(b, 77);
	cft_u8(b, 2);
	cft_u8(b, 9);
	cft_u16(b, sampling);
	for (i = 0; i < NREC; i++) {
		for (k = 0; k < 48; k++) {
			x = x * 1103515245u + 12345u;
			cft_u8(b, (uint8_t)(x >> 16));
		}
		/* First/Last near the uptime, on both sides of it */
		cft_put16(b, b->len - 48 + 24, (uint16_t)((UPTIME - i * 1000) >> 16));
	}
}

/* The record as the format defines it, built on a zeroed slot. */
static void
reference(struct cf_record *r, const uint8_t *dgram, unsigned int i,
	  const struct cf_decode_dgram *dg, const struct cf_decode_config *cfg)
{
	const uint8_t *f = dgram + 24 + 48 * i;
	uint64_t export_ms = (uint64_t)SECS * 1000 + NSECS / 1000000;
	uint32_t rate = rd16(dgram + 22) & 0x3fff;

	memset(r, 0, sizeof(*r));
	memcpy(r->src_addr, f, 4);
	memcpy(r->dst_addr, f + 4, 4);
	memcpy(r->next_hop, f + 8, 4);
	r->input_if = rd16(f + 12);
	r->output_if = rd16(f + 14);
	r->packets = rd32(f + 16);
	r->bytes = rd32(f + 20);
	r->flow_start_ms = export_ms + (int64_t)(int32_t)(rd32(f + 24) - UPTIME);
	r->flow_end_ms = export_ms + (int64_t)(int32_t)(rd32(f + 28) - UPTIME);
	r->src_port = rd16(f + 32);
	r->dst_port = rd16(f + 34);
	r->tcp_flags = f[37];
	r->protocol = f[38];
	r->tos = f[39];
	r->src_as = rd16(f + 40);
	r->dst_as = rd16(f + 42);
	r->src_mask = f[44];
	r->dst_mask = f[45];
	r->time_source = CF_RECORD_TS_FLOW;
	r->present = CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR | CF_RECORD_F_NEXT_HOP |
		CF_RECORD_F_INPUT_IF | CF_RECORD_F_OUTPUT_IF | CF_RECORD_F_PACKETS |
		CF_RECORD_F_BYTES | CF_RECORD_F_FLOW_START | CF_RECORD_F_FLOW_END |
		CF_RECORD_F_PORTS | CF_RECORD_F_TCP_FLAGS | CF_RECORD_F_PROTOCOL | CF_RECORD_F_TOS |
		CF_RECORD_F_SRC_AS | CF_RECORD_F_DST_AS | CF_RECORD_F_SRC_MASK |
		CF_RECORD_F_DST_MASK;
	memcpy(r->exporter, dg->src, 16);
	if (dg->src_v6)
		r->present |= CF_RECORD_F_EXPORTER_V6;
	r->version = CF_RECORD_V_NF5;
	r->observation_domain = 2u << 8 | 9;
	if (cfg->sampling_rate != 0 && (rate == 0 || cfg->sampling_override))
		rate = cfg->sampling_rate;
	if (rate != 0) {
		r->sampling_rate = rate;
		r->present |= CF_RECORD_F_SAMPLING;
		if (cfg->scale_by_sampling) {
			r->bytes *= rate;
			r->packets *= rate;
		}
	}
}

static void
check(uint16_t sampling, uint32_t cfg_rate, uint8_t override, uint8_t scale, const char *src)
{
	static struct cft_buf b;
	struct cft_dec d;
	struct cf_decode_dgram dg;
	struct cf_record want;
	unsigned int i, fill;

	for (fill = 0; fill < 2; fill++) {
		cft_dec_init(&d, NREC);
		d.cfg.sampling_rate = cfg_rate;
		d.cfg.sampling_override = override;
		d.cfg.scale_by_sampling = scale;
		memset(d.out.recs, fill ? 0xa5 : 0x5a, sizeof(struct cf_record) * NREC);
		build(&b, sampling);
		cft_dgram(&dg, &b, src);
		cf_dispatch_datagram(&d.ctx, &dg);
		CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), NREC);
		CU_ASSERT_EQUAL(d.stats.records, NREC);
		for (i = 0; i < NREC; i++) {
			reference(&want, b.b, i, &dg, &d.cfg);
			CU_ASSERT(memcmp(&d.out.recs[i], &want, sizeof(want)) == 0);
		}
		cft_dec_fini(&d);
	}
}

static void test_plain(void) { check(0, 0, 0, 0, "198.51.100.7"); }
static void test_exporter_rate(void) { check(1u << 14 | 1000, 0, 0, 0, "198.51.100.7"); }
static void test_exporter_rate_scaled(void) { check(2u << 14 | 16383, 0, 0, 1, "198.51.100.7"); }
static void test_default_rate(void) { check(0, 64, 0, 1, "198.51.100.7"); }
static void test_default_rate_not_over_exporter(void) { check(1u << 14 | 10, 64, 0, 1, "198.51.100.7"); }
static void test_override(void) { check(1u << 14 | 10, 4000000000u, 1, 1, "198.51.100.7"); }
static void test_ipv6_exporter(void) { check(0, 0, 0, 0, "2001:db8::7"); }

/* A sink that runs out mid-datagram: the records written are whole, the rest counted. */
static void
test_partial_sink(void)
{
	static struct cft_buf b;
	struct cft_dec d;
	struct cf_decode_dgram dg;
	struct cf_record want;
	unsigned int i;

	cft_dec_init(&d, 7);
	memset(d.out.recs, 0xa5, sizeof(struct cf_record) * 7);
	build(&b, 0);
	cft_dgram(&dg, &b, "198.51.100.7");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 7);
	CU_ASSERT_EQUAL(d.stats.records, 7);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NO_BLOCK], NREC - 7);
	for (i = 0; i < 7; i++) {
		reference(&want, b.b, i, &dg, &d.cfg);
		CU_ASSERT(memcmp(&d.out.recs[i], &want, sizeof(want)) == 0);
	}
	cft_dec_fini(&d);
}

/* Two blocks of 7 slots: the second handed out by refill, mid-datagram. */
static struct cf_record two_blocks[2][7];
static int two_refills;

static int
next_block(struct cf_record_sink *s)
{
	if (two_refills == 2)
		return -1;
	s->cur = two_blocks[two_refills];
	s->end = s->cur + 7;
	two_refills++;
	return 0;
}

static void
test_straddles_blocks(void)
{
	static struct cft_buf b;
	struct cft_dec d;
	struct cf_decode_dgram dg;
	struct cf_record want;
	unsigned int i;

	cft_dec_init(&d, 1);
	memset(two_blocks, 0xa5, sizeof(two_blocks));
	two_refills = 0;
	d.out.sink.cur = d.out.sink.end = NULL;
	d.out.sink.refill = next_block;
	build(&b, 0);
	cft_dgram(&dg, &b, "198.51.100.7");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(two_refills, 2);
	CU_ASSERT_EQUAL(d.stats.records, 14);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NO_BLOCK], NREC - 14);
	for (i = 0; i < 14; i++) {
		reference(&want, b.b, i, &dg, &d.cfg);
		CU_ASSERT(memcmp(&two_blocks[i / 7][i % 7], &want, sizeof(want)) == 0);
	}
	cft_dec_fini(&d);
}

static const struct cft_case cases[] = {
	{"plain", test_plain},
	{"exporter_rate", test_exporter_rate},
	{"exporter_rate_scaled", test_exporter_rate_scaled},
	{"default_rate", test_default_rate},
	{"default_rate_not_over_exporter", test_default_rate_not_over_exporter},
	{"override", test_override},
	{"ipv6_exporter", test_ipv6_exporter},
	{"partial_sink", test_partial_sink},
	{"straddles_blocks", test_straddles_blocks},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("nf5_once", cases);
}
