/* SPDX-License-Identifier: BSD-3-Clause */
/* NetFlow v5 decoder on datagrams built field by field (Cisco v5 format). */
#include <arpa/inet.h>
#include <string.h>

#include <rte_hash.h>

#include "cf_dispatch.h"
#include "cf_nf5.h"
#include "cf_test.h"

#define UPTIME 360000000u       /* 100 h */
#define SECS 1700000000u
#define NSECS 123456789u        /* 123 ms */
#define EXPORT_MS (SECS * 1000ull + 123)

struct v5rec {
	const char *src, *dst, *nh;
	uint16_t in, out;
	uint32_t pkts, octets, first, last;
	uint16_t sport, dport;
	uint8_t flags, proto, tos;
	uint16_t sas, das;
	uint8_t smask, dmask;
};

static const struct v5rec R0 = {"10.1.2.3", "192.168.7.9", "10.0.0.254", 3, 7, 42, 31337,
				UPTIME - 60000, UPTIME - 1500, 51000, 443, 0x1b, 6, 0xb8,
				64512, 15169, 24, 16};
static const struct v5rec R1 = {"172.16.0.1", "8.8.8.8", "0.0.0.0", 65535, 1, 1, 64,
				UPTIME - 5, UPTIME - 5, 5353, 53, 0, 17, 0, 0, 65535, 0, 32};

static void
v5_header(struct cft_buf *b, uint16_t count, uint32_t uptime, uint32_t seq, uint8_t etype,
	  uint8_t eid, uint16_t sampling)
{
	cft_u16(b, 5);
	cft_u16(b, count);
	cft_u32(b, uptime);
	cft_u32(b, SECS);
	cft_u32(b, NSECS);
	cft_u32(b, seq);
	cft_u8(b, etype);
	cft_u8(b, eid);
	cft_u16(b, sampling);
}

static void
v5_record(struct cft_buf *b, const struct v5rec *r)
{
	cft_ip4(b, r->src);
	cft_ip4(b, r->dst);
	cft_ip4(b, r->nh);
	cft_u16(b, r->in);
	cft_u16(b, r->out);
	cft_u32(b, r->pkts);
	cft_u32(b, r->octets);
	cft_u32(b, r->first);
	cft_u32(b, r->last);
	cft_u16(b, r->sport);
	cft_u16(b, r->dport);
	cft_u8(b, 0);
	cft_u8(b, r->flags);
	cft_u8(b, r->proto);
	cft_u8(b, r->tos);
	cft_u16(b, r->sas);
	cft_u16(b, r->das);
	cft_u8(b, r->smask);
	cft_u8(b, r->dmask);
	cft_u16(b, 0);
}

static void
check_record(const struct cf_record *r, const struct v5rec *w, uint32_t uptime)
{
	uint8_t a[4];

	inet_pton(AF_INET, w->src, a);
	CU_ASSERT(memcmp(r->src_addr, a, 4) == 0);
	inet_pton(AF_INET, w->dst, a);
	CU_ASSERT(memcmp(r->dst_addr, a, 4) == 0);
	inet_pton(AF_INET, w->nh, a);
	CU_ASSERT(memcmp(r->next_hop, a, 4) == 0);
	CU_ASSERT_EQUAL(r->input_if, w->in);
	CU_ASSERT_EQUAL(r->output_if, w->out);
	CU_ASSERT_EQUAL(r->packets, w->pkts);
	CU_ASSERT_EQUAL(r->bytes, w->octets);
	/* export time - sysUptime + First/Last, all in ms */
	CU_ASSERT_EQUAL(r->flow_start_ms, EXPORT_MS - (uint64_t)(uptime - w->first));
	CU_ASSERT_EQUAL(r->flow_end_ms, EXPORT_MS - (uint64_t)(uptime - w->last));
	CU_ASSERT_EQUAL(r->src_port, w->sport);
	CU_ASSERT_EQUAL(r->dst_port, w->dport);
	CU_ASSERT_EQUAL(r->tcp_flags, w->flags);
	CU_ASSERT_EQUAL(r->protocol, w->proto);
	CU_ASSERT_EQUAL(r->tos, w->tos);
	CU_ASSERT_EQUAL(r->src_as, w->sas);
	CU_ASSERT_EQUAL(r->dst_as, w->das);
	CU_ASSERT_EQUAL(r->src_mask, w->smask);
	CU_ASSERT_EQUAL(r->dst_mask, w->dmask);
	CU_ASSERT_EQUAL(r->version, CF_RECORD_V_NF5);
	CU_ASSERT((r->present & CF_RECORD_F_SRC_V6) == 0);
	CU_ASSERT((r->present &
		   (CF_RECORD_F_FLOW_START | CF_RECORD_F_FLOW_END | CF_RECORD_F_BYTES)) ==
		  (CF_RECORD_F_FLOW_START | CF_RECORD_F_FLOW_END | CF_RECORD_F_BYTES));
	CU_ASSERT((r->present & (CF_RECORD_F_SRC_SGT | CF_RECORD_F_VLAN | CF_RECORD_F_SRC_MAC)) ==
		  0);
}

static void
test_every_field(void)
{
	static struct cft_buf b;
	struct cft_dec d;
	struct cf_decode_dgram dg;
	uint8_t exp4[4];

	cft_dec_init(&d, 64);
	b.len = 0;
	v5_header(&b, 2, UPTIME, 1000, 1, 7, 0);
	v5_record(&b, &R0);
	v5_record(&b, &R1);
	cft_dgram(&dg, &b, "198.51.100.7");
	cf_dispatch_datagram(&d.ctx, &dg);

	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 2);
	CU_ASSERT_EQUAL(d.stats.records, 2);
	CU_ASSERT_EQUAL(d.stats.dgrams[CF_STATS_PROTO_NF5], 1);
	check_record(&d.out.recs[0], &R0, UPTIME);
	check_record(&d.out.recs[1], &R1, UPTIME);
	inet_pton(AF_INET, "198.51.100.7", exp4);
	CU_ASSERT(memcmp(d.out.recs[0].exporter, exp4, 4) == 0);
	CU_ASSERT_EQUAL(d.out.recs[0].observation_domain, (1u << 8) | 7);
	CU_ASSERT((d.out.recs[0].present & CF_RECORD_F_SAMPLING) == 0);
	cft_dec_fini(&d);
}

/* First/Last a little above sysUptime: the uptime counter wrapped in between. */
static void
test_uptime_wrap(void)
{
	static struct cft_buf b;
	struct v5rec w = R0;
	struct cft_dec d;
	struct cf_decode_dgram dg;
	const uint32_t uptime = 5000; /* just after the 49.7-day wrap */

	cft_dec_init(&d, 4);
	w.first = 0xffffffffu - 9999; /* 15 s before export, before the wrap */
	w.last = 4000;
	b.len = 0;
	v5_header(&b, 1, uptime, 0, 0, 0, 0);
	v5_record(&b, &w);
	cft_dgram(&dg, &b, "198.51.100.7");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.out.recs[0].flow_start_ms, EXPORT_MS - 15000);
	CU_ASSERT_EQUAL(d.out.recs[0].flow_end_ms, EXPORT_MS - 1000);
	cft_dec_fini(&d);
}

static void
test_sampling(void)
{
	static struct cft_buf b;
	struct cft_dec d;
	struct cf_decode_dgram dg;

	cft_dec_init(&d, 4);
	b.len = 0;
	v5_header(&b, 1, UPTIME, 0, 0, 0, (1u << 14) | 1000); /* mode 1, 1 in 1000 */
	v5_record(&b, &R0);
	cft_dgram(&dg, &b, "198.51.100.7");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	CU_ASSERT(d.out.recs[0].present & CF_RECORD_F_SAMPLING);
	CU_ASSERT_EQUAL(d.out.recs[0].sampling_rate, 1000);
	CU_ASSERT_EQUAL(d.out.recs[0].bytes, R0.octets);

	/* --scale-by-sampling multiplies counters */
	d.cfg.scale_by_sampling = 1;
	cft_sink_reset(&d.out);
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(d.out.recs[0].bytes, (uint64_t)R0.octets * 1000);
	CU_ASSERT_EQUAL(d.out.recs[0].packets, (uint64_t)R0.pkts * 1000);
	cft_dec_fini(&d);
}

/* Each malformation must be counted under its own reason and write nothing. */
static void
test_rejects(void)
{
	static struct cft_buf b;
	struct cft_dec d;
	struct cf_decode_dgram dg;
	unsigned int i;

	cft_dec_init(&d, 64);

	b.len = 0; /* count 0 */
	v5_header(&b, 0, UPTIME, 0, 0, 0, 0);
	cft_dgram(&dg, &b, "198.51.100.7");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_V5_BAD_COUNT], 1);

	b.len = 0; /* count 31, and 31 records really present */
	v5_header(&b, 31, UPTIME, 0, 0, 0, 0);
	for (i = 0; i < 31; i++)
		v5_record(&b, &R0);
	cft_dgram(&dg, &b, "198.51.100.7");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_V5_BAD_COUNT], 2);

	b.len = 0; /* short header */
	v5_header(&b, 1, UPTIME, 0, 0, 0, 0);
	b.len = 20;
	cft_dgram(&dg, &b, "198.51.100.7");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_V5_SHORT], 1);

	b.len = 0; /* count says 2, one record present */
	v5_header(&b, 2, UPTIME, 0, 0, 0, 0);
	v5_record(&b, &R0);
	cft_dgram(&dg, &b, "198.51.100.7");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_V5_TRUNCATED], 1);

	b.len = 0; /* wrong version */
	v5_header(&b, 1, UPTIME, 0, 0, 0, 0);
	v5_record(&b, &R0);
	cft_put16(&b, 0, 6);
	cft_dgram(&dg, &b, "198.51.100.7");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_UNKNOWN_VERSION], 1);

	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 0);
	CU_ASSERT_EQUAL(d.stats.records, 0);
	CU_ASSERT_EQUAL(d.stats.flow_dgrams, 5);
	cft_dec_fini(&d);
}

static void
test_trailing_bytes(void)
{
	static struct cft_buf b;
	struct cft_dec d;
	struct cf_decode_dgram dg;

	cft_dec_init(&d, 4);
	b.len = 0;
	v5_header(&b, 1, UPTIME, 0, 0, 0, 0);
	v5_record(&b, &R0);
	cft_u32(&b, 0xdeadbeef);
	cft_dgram(&dg, &b, "198.51.100.7");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.stats.v5_trailing, 1);
	check_record(&d.out.recs[0], &R0, UPTIME);
	cft_dec_fini(&d);
}

/* A full sink drops the rest of the datagram's records and counts them. */
static void
test_sink_full(void)
{
	static struct cft_buf b;
	struct cft_dec d;
	struct cf_decode_dgram dg;
	unsigned int i;

	cft_dec_init(&d, 3);
	b.len = 0;
	v5_header(&b, 5, UPTIME, 0, 0, 0, 0);
	for (i = 0; i < 5; i++)
		v5_record(&b, &R1);
	cft_dgram(&dg, &b, "198.51.100.7");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 3);
	CU_ASSERT_EQUAL(d.stats.records, 3);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NO_BLOCK], 2);
	cft_dec_fini(&d);
}

static void
send_seq(struct cft_dec *d, const char *exporter, uint8_t eid, uint32_t seq, uint16_t count,
	 uint32_t uptime)
{
	static struct cft_buf b;
	struct cf_decode_dgram dg;
	uint16_t i;

	b.len = 0;
	v5_header(&b, count, uptime, seq, 0, eid, 0);
	for (i = 0; i < count; i++)
		v5_record(&b, &R1);
	cft_dgram(&dg, &b, exporter);
	cft_sink_reset(&d->out);
	cf_dispatch_datagram(&d->ctx, &dg);
}

static void
test_sequence(void)
{
	struct cft_dec d;

	cft_dec_init(&d, 64);
	send_seq(&d, "198.51.100.1", 0, 100, 10, 1000);  /* first: sets the base */
	send_seq(&d, "198.51.100.1", 0, 110, 10, 2000);  /* in order */
	CU_ASSERT_EQUAL(d.stats.seq_lost, 0);
	send_seq(&d, "198.51.100.1", 0, 150, 10, 3000);  /* 120..149 missing */
	CU_ASSERT_EQUAL(d.stats.seq_lost, 30);
	send_seq(&d, "198.51.100.1", 0, 130, 10, 3000);  /* one of them arrives late */
	CU_ASSERT_EQUAL(d.stats.seq_late, 10);
	CU_ASSERT_EQUAL(d.stats.seq_lost - d.stats.seq_late, 20);
	send_seq(&d, "198.51.100.1", 0, 160, 10, 4000);  /* still in order after the late one */
	CU_ASSERT_EQUAL(d.stats.seq_lost, 30);

	/* Another engine id on the same address is its own sequence. */
	send_seq(&d, "198.51.100.1", 9, 5, 10, 4000);
	send_seq(&d, "198.51.100.1", 9, 15, 10, 5000);
	CU_ASSERT_EQUAL(d.stats.seq_lost, 30);

	/* Restart: uptime goes back, sequence starts again; not a loss. */
	send_seq(&d, "198.51.100.1", 0, 0, 10, 50);
	CU_ASSERT_EQUAL(d.stats.seq_lost, 30);
	CU_ASSERT_EQUAL(d.stats.seq_reset, 1);
	send_seq(&d, "198.51.100.1", 0, 10, 10, 1050);
	CU_ASSERT_EQUAL(d.stats.seq_lost, 30);

	/* A wild jump far beyond the window is a reset, not four billion losses. */
	send_seq(&d, "198.51.100.1", 0, 0x90000000u, 10, 2050);
	CU_ASSERT_EQUAL(d.stats.seq_lost, 30);
	CU_ASSERT_EQUAL(d.stats.seq_reset, 2);

	/* Sequence wrap at 2^32 is in order. */
	send_seq(&d, "198.51.100.2", 0, 0xfffffffbu, 10, 100);
	send_seq(&d, "198.51.100.2", 0, 5, 10, 200);
	CU_ASSERT_EQUAL(d.stats.seq_lost, 30);
	CU_ASSERT_EQUAL(d.ctx.n_exporters, 3);
	cft_dec_fini(&d);
}

/*
 * A full table admits a new exporter by evicting the least recently used
 * one; an exporter that sends data twice is protected, so a run of one-off
 * sources (spoofed) never takes its sequence state away.
 */
static void
test_exporter_table_full(void)
{
	struct cft_dec d;
	char ip[32];
	unsigned int i;

	cft_dec_init_cfg(&d, 4096, &(struct cft_dec_cfg){ .decode.max_exporters = 8 });
	send_seq(&d, "192.0.2.1", 0, 0, 1, 100);
	send_seq(&d, "192.0.2.1", 0, 1, 1, 100);
	for (i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "198.51.%u.%u", i >> 8, i & 255);
		send_seq(&d, ip, 0, 0, 1, 100);
		if (i % 100 == 99) /* 192.0.2.1 loses one datagram in each round of 100 */
			send_seq(&d, "192.0.2.1", 0, 3 + i / 100 * 2, 1, 100);
	}
	CU_ASSERT_EQUAL(d.ctx.n_exporters, 8);
	CU_ASSERT_EQUAL(d.stats.exporters_evicted, 1001 - 8);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_EXPORTER_TABLE_FULL], 0);
	/* Every datagram decoded, and the real exporter's gaps all seen. */
	CU_ASSERT_EQUAL(d.stats.records, 1012);
	CU_ASSERT_EQUAL(d.stats.seq_lost, 10);
	CU_ASSERT_EQUAL(d.stats.seq_reset, 0);
	cft_dec_fini(&d);
}

/* One one-record v5 datagram from exporter received at now_ms. */
static void
send_at(struct cft_dec *d, const char *exporter, uint32_t seq, uint64_t now_ms)
{
	static struct cft_buf b;
	struct cf_decode_dgram dg;

	b.len = 0;
	v5_header(&b, 1, 100, seq, 0, 0, 0);
	v5_record(&b, &R1);
	cft_dgram(&dg, &b, exporter);
	dg.now_ms = now_ms;
	cft_sink_reset(&d->out);
	cf_dispatch_datagram(&d->ctx, &dg);
}

/* --exporter-max-rate: a token bucket per exporter, one second deep; excess counted per exporter. */
static void
test_exporter_rate(void)
{
	struct cf_decode_exporter *e;
	struct cft_dec d;
	uint8_t a[16] = {0};
	unsigned int i;

	cft_dec_init(&d, 4096);
	d.cfg.max_rate = 10;
	for (i = 0; i < 25; i++) /* 25 in the same millisecond: the bucket holds 10 */
		send_at(&d, "192.0.2.1", i, 1000);
	CU_ASSERT_EQUAL(d.stats.records, 10);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_EXPORTER_RATE_LIMITED], 15);
	for (i = 0; i < 10; i++) /* another exporter has its own bucket */
		send_at(&d, "192.0.2.2", i, 1000);
	CU_ASSERT_EQUAL(d.stats.records, 20);
	send_at(&d, "192.0.2.1", 25, 1100); /* 100 ms: one datagram's worth */
	send_at(&d, "192.0.2.1", 26, 1100);
	CU_ASSERT_EQUAL(d.stats.records, 21);
	for (i = 0; i < 12; i++) /* long quiet: a full bucket again, no more, no overflow */
		send_at(&d, "192.0.2.1", 27 + i, 86400000);
	CU_ASSERT_EQUAL(d.stats.records, 31);
	inet_pton(AF_INET, "192.0.2.1", a);
	e = cf_decode_exporter_find(&d.ctx, a, 0, CF_RECORD_V_NF5, 0, 86400000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->rate_limited, 18);
	CU_ASSERT_EQUAL(e->dgrams, 21);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_EXPORTER_RATE_LIMITED], 18);
	cft_dec_fini(&d);
}

/*
 * The exporter table is keyed per table: two decode contexts hash the same exporter key
 * differently, so a flood of exporter addresses and domains that share a bucket chain
 * cannot be worked out offline. With the default (unkeyed) jhash the two agree.
 */
static void
test_exporter_hash_keyed(void)
{
	struct cft_dec a, b;
	unsigned int i, differ = 0;

	cft_dec_init(&a, 4);
	cft_dec_init(&b, 4);
	for (i = 0; i < 4; i++) {
		uint8_t key[64] = {10, 0, 0, (uint8_t)i};

		differ += rte_hash_hash(a.ctx.exp_hash, key) != rte_hash_hash(b.ctx.exp_hash, key);
	}
	CU_ASSERT_EQUAL(differ, 4); /* equal by chance: 2^-32 each */
	cft_dec_fini(&a);
	cft_dec_fini(&b);
}

static const struct cft_case cases[] = {
	{"every_field", test_every_field},
	{"uptime_wrap", test_uptime_wrap},
	{"sampling", test_sampling},
	{"rejects", test_rejects},
	{"trailing_bytes", test_trailing_bytes},
	{"sink_full", test_sink_full},
	{"exporter_rate", test_exporter_rate},
	{"sequence", test_sequence},
	{"exporter_table_full", test_exporter_table_full},
	{"exporter_hash_keyed", test_exporter_hash_keyed},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("netflow_v5", cases);
}
