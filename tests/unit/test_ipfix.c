/* SPDX-License-Identifier: BSD-3-Clause */
/* IPFIX decoder (RFC 7011/7012) on messages built field by field. */
#include <arpa/inet.h>
#include <string.h>

#include "cf_dispatch.h"
#include "cf_ipfix.h"
#include "cf_test.h"
#include "cf_test_msg.h"
#include "cf_tpl.h"

#define EXPORT_S 1700000000u
#define EXPORT_MS (EXPORT_S * 1000ull)
#define DOMAIN 42u
#define NTP_OFF 2208988800ull

static struct cft_buf b;

static void
hdr(uint32_t seq)
{
	cft_ipfix_hdr(&b, EXPORT_S, seq, DOMAIN);
}

static void
feed(struct cft_dec *d)
{
	struct cf_decode_dgram dg;

	cft_ipfix_end(&b);
	cft_dgram(&dg, &b, "198.51.100.9");
	cf_dispatch_datagram(&d->ctx, &dg);
}

/* Template 256: addresses, ports, SGT as Cisco PEN 9 1232/1233, a varlen string in the middle. */
static void
tpl_sgt_varlen(void)
{
	size_t s = cft_set_begin(&b, 2);

	cft_tpl_hdr(&b, 256, 9);
	cft_field(&b, 8, 4);
	cft_field(&b, 12, 4);
	cft_field_pen(&b, 12235, 65535, 6876);  /* unknown enterprise element, variable length */
	cft_field(&b, 7, 2);
	cft_field(&b, 11, 2);
	cft_field_pen(&b, 1232, 2, 9);
	cft_field_pen(&b, 1233, 4, 9);
	cft_field(&b, 411, 4);                  /* dot1qServiceInstanceTag: NOT an SGT */
	cft_field(&b, 152, 8);                  /* flowStartMilliseconds */
	cft_set_end(&b, s, 0);
}

static void
rec_sgt_varlen(const char *src, unsigned int strlen_, uint16_t sport)
{
	unsigned int i;

	cft_ip4(&b, src);
	cft_ip4(&b, "10.0.0.2");
	if (strlen_ < 255) {
		cft_u8(&b, (uint8_t)strlen_);
	} else {
		cft_u8(&b, 255);
		cft_u16(&b, (uint16_t)strlen_);
	}
	for (i = 0; i < strlen_; i++)
		cft_u8(&b, 'a' + i % 26);
	cft_u16(&b, sport);
	cft_u16(&b, 80);
	cft_u16(&b, 1234);
	cft_u32(&b, 5678);
	cft_u32(&b, 999);
	cft_u64(&b, EXPORT_MS - 777);
}

static void
test_enterprise_varlen_sgt(void)
{
	struct cft_dec d;
	size_t s;
	uint8_t a[4];

	cft_dec_init(&d, 16);
	hdr(0);
	tpl_sgt_varlen();
	s = cft_set_begin(&b, 256);
	rec_sgt_varlen("10.0.0.1", 5, 1000);    /* 1-byte length form */
	rec_sgt_varlen("10.0.0.3", 300, 1001);  /* 3-byte length form */
	rec_sgt_varlen("10.0.0.4", 0, 1002);    /* empty */
	cft_u8(&b, 0);                          /* padding shorter than a record */
	cft_u8(&b, 0);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 3);
	inet_pton(AF_INET, "10.0.0.3", a);
	CU_ASSERT(memcmp(d.out.recs[1].src_addr, a, 4) == 0);
	CU_ASSERT_EQUAL(d.out.recs[0].src_port, 1000);
	CU_ASSERT_EQUAL(d.out.recs[1].src_port, 1001);
	CU_ASSERT_EQUAL(d.out.recs[2].src_port, 1002);
	CU_ASSERT_EQUAL(d.out.recs[1].dst_port, 80);
	CU_ASSERT_EQUAL(d.out.recs[1].src_sgt, 1234);
	CU_ASSERT_EQUAL(d.out.recs[1].dst_sgt, 5678);
	CU_ASSERT_EQUAL(d.out.recs[2].flow_start_ms, EXPORT_MS - 777);
	CU_ASSERT_EQUAL(d.out.recs[0].version, CF_RECORD_V_IPFIX);
	CU_ASSERT_EQUAL(d.out.recs[0].observation_domain, DOMAIN);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_REC_TRUNCATED], 0);
	/* Unmapped elements are counted per (PEN, id); 411 is one of them. */
	CU_ASSERT_EQUAL(cf_tpl_unknown_count(d.ctx.tpl, 6876, 12235), 1);
	CU_ASSERT_EQUAL(cf_tpl_unknown_count(d.ctx.tpl, 0, 411), 1);
	CU_ASSERT_EQUAL(d.stats.unknown_elements, 2);
	/* IPFIX counts data records: 3 here; next message at 3 is no gap. */
	hdr(3);
	s = cft_set_begin(&b, 256);
	rec_sgt_varlen("10.0.0.5", 1, 1);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.seq_lost, 0);
	hdr(10);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.seq_lost, 6);

	/* A varlen record running past its set is counted. */
	hdr(10);
	s = cft_set_begin(&b, 256);
	cft_ip4(&b, "10.0.0.6");
	cft_ip4(&b, "10.0.0.7");
	cft_u8(&b, 200);
	for (unsigned int i = 0; i < 8; i++)
		cft_u32(&b, 0);  /* longer than the template's minimum, shorter than 200 */
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_REC_TRUNCATED], 1);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 4);
	cft_dec_fini(&d);
}

/* Every IPFIX timestamp form. */
static void
test_time_forms(void)
{
	struct cft_dec d;
	size_t s;
	const uint64_t start = EXPORT_MS - 10500, end = EXPORT_MS - 250;
	const uint64_t ntp_start = ((start / 1000 + NTP_OFF) << 32) | (((start % 1000) << 32) / 1000 + 1);
	const uint64_t ntp_end = ((end / 1000 + NTP_OFF) << 32) | (((end % 1000) << 32) / 1000 + 1);
	const uint64_t init = EXPORT_MS - 86400000ull;

	cft_dec_init(&d, 16);
	hdr(0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 300, 2); cft_field(&b, 150, 4); cft_field(&b, 151, 4);       /* seconds */
	cft_tpl_hdr(&b, 301, 2); cft_field(&b, 152, 8); cft_field(&b, 153, 8);       /* milliseconds */
	cft_tpl_hdr(&b, 302, 2); cft_field(&b, 154, 8); cft_field(&b, 155, 8);       /* microseconds */
	cft_tpl_hdr(&b, 303, 2); cft_field(&b, 156, 8); cft_field(&b, 157, 8);       /* nanoseconds */
	cft_tpl_hdr(&b, 304, 2); cft_field(&b, 158, 4); cft_field(&b, 159, 4);       /* delta microseconds */
	cft_tpl_hdr(&b, 305, 3); cft_field(&b, 160, 8); cft_field(&b, 22, 4); cft_field(&b, 21, 4); /* uptime + init */
	cft_tpl_hdr(&b, 306, 2); cft_field(&b, 22, 4); cft_field(&b, 21, 4);         /* uptime, init from options */
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 3);
	cft_ipfix_opt_hdr(&b, 400, 2, 1); cft_field(&b, 144, 4); cft_field(&b, 160, 8);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 300); cft_u32(&b, (uint32_t)(start / 1000)); cft_u32(&b, (uint32_t)(end / 1000)); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 301); cft_u64(&b, start); cft_u64(&b, end); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 302); cft_u64(&b, ntp_start); cft_u64(&b, ntp_end); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 303); cft_u64(&b, ntp_start); cft_u64(&b, ntp_end); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 304); cft_u32(&b, 10500000); cft_u32(&b, 250000); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 305);
	cft_u64(&b, init);
	cft_u32(&b, (uint32_t)(start - init));
	cft_u32(&b, (uint32_t)(end - init));
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 306); /* before the options data: the exporter's init time is unknown */
	cft_u32(&b, (uint32_t)(start - init));
	cft_u32(&b, (uint32_t)(end - init));
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 400); cft_u32(&b, 1); cft_u64(&b, init); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 306);
	cft_u32(&b, (uint32_t)(start - init));
	cft_u32(&b, (uint32_t)(end - init));
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 8);
	CU_ASSERT_EQUAL(d.out.recs[0].flow_start_ms, start / 1000 * 1000);
	CU_ASSERT_EQUAL(d.out.recs[0].flow_end_ms, end / 1000 * 1000);
	for (unsigned int i = 1; i < 6; i++) {
		CU_ASSERT_EQUAL(d.out.recs[i].flow_start_ms, start);
		CU_ASSERT_EQUAL(d.out.recs[i].flow_end_ms, end);
	}
	/* SysUpTime before the exporter's init time is known: not a wrong flow time but the
	 * export time, marked as such (never 1970). */
	CU_ASSERT_EQUAL(d.out.recs[6].flow_start_ms, EXPORT_MS);
	CU_ASSERT_EQUAL(d.out.recs[6].flow_end_ms, EXPORT_MS);
	CU_ASSERT_EQUAL(d.out.recs[6].time_source, CF_RECORD_TS_EXPORT);
	CU_ASSERT_EQUAL(d.out.recs[7].time_source, CF_RECORD_TS_FLOW);
	/* After the options data record (not a flow) gave systemInitTimeMilliseconds. */
	CU_ASSERT_EQUAL(d.out.recs[7].flow_start_ms, start);
	CU_ASSERT_EQUAL(d.out.recs[7].flow_end_ms, end);
	cft_dec_fini(&d);
}

/* Init time and sampling (305/306) from options data apply to later flow records. */
static void
test_sysinit_from_options(void)
{
	struct cft_dec d;
	size_t s;
	const uint64_t init = EXPORT_MS - 3600000ull;

	cft_dec_init(&d, 16);
	hdr(0);
	s = cft_set_begin(&b, 3);
	cft_ipfix_opt_hdr(&b, 400, 4, 1);
	cft_field(&b, 144, 4); cft_field(&b, 160, 8); cft_field(&b, 305, 4); cft_field(&b, 306, 4);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 306, 3); cft_field(&b, 22, 4); cft_field(&b, 21, 4); cft_field(&b, 1, 4);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 400); cft_u32(&b, 1); cft_u64(&b, init); cft_u32(&b, 1); cft_u32(&b, 99); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 306); cft_u32(&b, 1000); cft_u32(&b, 2000); cft_u32(&b, 77); cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.out.recs[0].flow_start_ms, init + 1000);
	CU_ASSERT_EQUAL(d.out.recs[0].flow_end_ms, init + 2000);
	/* 1 packet selected, 99 skipped: 1 in 100 */
	CU_ASSERT_EQUAL(d.out.recs[0].sampling_rate, 100);
	CU_ASSERT_EQUAL(d.out.recs[0].bytes, 77);
	/* Sequence: 2 data records (options + flow); templates do not count. */
	hdr(2);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.seq_lost, 0);
	cft_dec_fini(&d);
}

static void
test_withdrawal(void)
{
	struct cft_dec d;
	size_t s;

	cft_dec_init(&d, 16);
	hdr(0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 256, 1); cft_field(&b, 7, 2);
	cft_tpl_hdr(&b, 257, 1); cft_field(&b, 11, 2);
	cft_tpl_hdr(&b, 258, 1); cft_field(&b, 4, 1);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.tpl_added, 3);

	hdr(0); /* withdraw 256, then data for it: no template */
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 256, 0);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 256); cft_u16(&b, 1); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 257); cft_u16(&b, 2); cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.tpl_withdrawn, 1);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.out.recs[0].dst_port, 2);
	CU_ASSERT_EQUAL(d.stats.tpl_pending, 1); /* waits in case the template comes back */

	hdr(0); /* withdraw all data templates; a withdrawal of an unknown id is counted */
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 2, 0);
	cft_tpl_hdr(&b, 999, 0);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.tpl_withdrawn, 3);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_WITHDRAW_UNKNOWN], 1);
	/* the set waiting for 256 was sent under a definition now withdrawn: discarded, counted */
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_WAIT_WITHDRAWN], 1);
	CU_ASSERT_EQUAL(cf_tpl_pending_flush(&d.ctx), 0);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NO_TEMPLATE], 0);
	cft_dec_fini(&d);
}

/* A template not refreshed within --template-timeout is gone. */
static void
test_expiry(void)
{
	struct cft_dec d;
	struct cf_decode_dgram dg;
	size_t s;

	cft_dec_init_cfg(&d, 16, &(struct cft_dec_cfg){ .tpl = { .timeout_s = 60, .pending_off = 1 } });
	hdr(0);
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 256, 1); cft_field(&b, 7, 2);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 256); cft_u16(&b, 1); cft_set_end(&b, s, 0);
	cft_ipfix_end(&b);
	cft_dgram(&dg, &b, "198.51.100.9");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);

	hdr(1);
	s = cft_set_begin(&b, 256); cft_u16(&b, 2); cft_set_end(&b, s, 0);
	cft_ipfix_end(&b);
	cft_dgram(&dg, &b, "198.51.100.9");
	dg.now_ms += 59000;
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 2);
	dg.now_ms += 2000; /* 61 s after the template */
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 2);
	CU_ASSERT_EQUAL(d.stats.tpl_expired, 1);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NO_TEMPLATE], 1);
	cft_dec_fini(&d);
}

static void
test_rejects(void)
{
	struct cft_dec d;
	struct cf_decode_dgram dg;
	size_t s;

	cft_dec_init(&d, 16);
	b.len = 0;
	cft_u16(&b, 10);
	cft_u16(&b, 16);
	cft_dgram(&dg, &b, "198.51.100.9");
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_IPFIX_SHORT], 1);

	hdr(0); /* length beyond the datagram */
	cft_dgram(&dg, &b, "198.51.100.9");
	cft_put16(&b, 2, 100);
	cf_dispatch_datagram(&d.ctx, &dg);
	hdr(0); /* length below the header */
	cft_dgram(&dg, &b, "198.51.100.9");
	cft_put16(&b, 2, 12);
	cf_dispatch_datagram(&d.ctx, &dg);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_IPFIX_BAD_LENGTH], 2);

	hdr(0); /* set length 2 */
	cft_u16(&b, 256);
	cft_u16(&b, 2);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SET_BAD_LENGTH], 1);

	hdr(0); /* options template without scope */
	s = cft_set_begin(&b, 3);
	cft_ipfix_opt_hdr(&b, 300, 1, 0); cft_field(&b, 34, 4);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_BAD_SCOPE], 1);

	hdr(0); /* enterprise field whose PEN is cut off by the set end */
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 301, 1); cft_u16(&b, 0x8001); cft_u16(&b, 4); cft_u16(&b, 0);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_TRUNCATED], 1);

	hdr(0); /* more elements than a template may hold */
	s = cft_set_begin(&b, 2);
	cft_tpl_hdr(&b, 302, CF_TPL_MAX_FIELDS + 1);
	for (unsigned int i = 0; i <= CF_TPL_MAX_FIELDS; i++)
		cft_field(&b, 7, 2);
	cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_TOO_MANY_FIELDS], 1);

	hdr(0); /* reserved set ids 0, 1, 4..255 */
	s = cft_set_begin(&b, 4); cft_u32(&b, 0); cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 1); cft_u32(&b, 0); cft_set_end(&b, s, 0);
	feed(&d);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SET_RESERVED], 2);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 0);
	cft_dec_fini(&d);
}

static const struct cft_case cases[] = {
	{"enterprise_varlen_sgt", test_enterprise_varlen_sgt},
	{"time_forms", test_time_forms},
	{"sysinit_from_options", test_sysinit_from_options},
	{"withdrawal", test_withdrawal},
	{"expiry", test_expiry},
	{"rejects", test_rejects},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("ipfix", cases);
}
