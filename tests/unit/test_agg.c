/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/agg against answers worked out here: exact sums over generated records
 * (values chosen so the totals pass 2^32, and some whose totals would pass
 * 2^64), the window and hold rules, fields that do not survive, an early flush
 * from a full table that loses nothing, and the ledger after every call.
 */
#include <string.h>

#include <rte_common.h>
#include <rte_memory.h>

#include "cf_agg.h"
#include "cf_test.h"

#define MAXOUT 200000

static struct cf_record outbuf[MAXOUT];
static unsigned int nout;

static int
collect(void *ctx, const struct cf_record *r, unsigned int n)
{
	static const uint8_t zero[sizeof(r->reserved)];
	unsigned int i;

	(void)ctx;
	CU_ASSERT_FATAL(nout + n <= MAXOUT);
	/* The table's bookkeeping never leaves with the record (cf_record.h: zero padding). */
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(memcmp(r[i].reserved, zero, sizeof(zero)), 0);
	memcpy(&outbuf[nout], r, sizeof(*r) * n);
	nout += n;
	return 0;
}

static struct cf_agg *
mk(uint64_t keys, uint32_t interval, uint32_t max)
{
	struct cf_agg_config c = {.keys = keys, .interval_s = interval, .max_entries = max,
				  .socket = SOCKET_ID_ANY};
	char err[256];
	struct cf_agg *a = cf_agg_create(&c, collect, NULL, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	nout = 0;
	return a;
}

static void
ledger_ok(const struct cf_agg *a)
{
	struct cf_agg_stats s;

	cf_agg_stats(a, &s);
	CU_ASSERT_EQUAL(s.records_in, s.folded + s.aggregates_out + s.open);
	CU_ASSERT_EQUAL(s.aggregates_out, nout);
}

/* A v9-like record: src 10.0.<h>.<l>, dst 192.0.2.<d>, switch 10.255.0.<sw>. */
static void
rec(struct cf_record *r, unsigned int src, unsigned int dst, uint16_t dport, unsigned int sw,
    uint64_t bytes, uint64_t pkts, uint64_t start, uint64_t end)
{
	memset(r, 0, sizeof(*r));
	r->present = CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR | CF_RECORD_F_PORTS |
		     CF_RECORD_F_PROTOCOL | CF_RECORD_F_BYTES | CF_RECORD_F_PACKETS |
		     CF_RECORD_F_FLOW_START | CF_RECORD_F_FLOW_END | CF_RECORD_F_TCP_FLAGS |
		     CF_RECORD_F_INPUT_IF | CF_RECORD_F_SRC_MAC;
	r->src_addr[0] = 10;
	r->src_addr[2] = (uint8_t)(src >> 8);
	r->src_addr[3] = (uint8_t)src;
	r->dst_addr[0] = 192;
	r->dst_addr[2] = 2;
	r->dst_addr[3] = (uint8_t)dst;
	r->exporter[0] = 10;
	r->exporter[1] = 255;
	r->exporter[3] = (uint8_t)sw;
	r->src_mac[0] = 2;
	r->src_mac[5] = (uint8_t)src;
	r->src_port = (uint16_t)(40000 + (bytes & 0x3ff));
	r->dst_port = dport;
	r->protocol = 6;
	r->tcp_flags = (uint8_t)bytes;
	r->input_if = 7;
	r->bytes = bytes;
	r->packets = pkts;
	r->flow_start_ms = start;
	r->flow_end_ms = end;
	r->version = CF_RECORD_V_NF9;
	r->observation_domain = 3;
}

static void
test_keys_parse(void)
{
	char err[700], buf[700];
	uint64_t k;

	CU_ASSERT_EQUAL(cf_agg_keys_parse("off", &k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k, 0);
	CU_ASSERT_EQUAL(cf_agg_keys_parse("on", &k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k, CF_AGG_KEYS_DEFAULT);
	cf_agg_keys_format(k, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "src_ip,dst_ip,dst_port,protocol,src_sgt,dst_sgt,switch_id,"
			       "vlan_id,src_mac,dst_mac");
	CU_ASSERT_EQUAL(cf_agg_keys_parse("dst_port,src_ip", &k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k, CF_AGG_BIT(SRC_IP) | CF_AGG_BIT(DST_PORT));
	CU_ASSERT_EQUAL(cf_agg_keys_parse("src_ip,bytes", &k, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'bytes' is not a record key"));
	CU_ASSERT_EQUAL(cf_agg_keys_parse("src_ip,,dst_ip", &k, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(cf_agg_keys_parse("", &k, err, sizeof(err)), -1);
	cf_agg_keys_format(0, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "off");
}

/* 60,000 records over 300 keys (100 sources x 3 ports), bytes up to 2^40: every key's
 * bytes, packets and flows are its exact sums, and the totals pass 2^32. */
static void
test_exact_sums(void)
{
	static struct cf_record in[60000];
	uint64_t want_b[300], want_p[300], want_f[300], want_s[300], want_e[300];
	uint64_t tot_b = 0, got_b = 0;
	uint64_t x = 88172645463325252ull;
	struct cf_agg *a = mk(CF_AGG_KEYS_DEFAULT, 60, 4096);
	unsigned int i;

	memset(want_b, 0, sizeof(want_b));
	memset(want_p, 0, sizeof(want_p));
	memset(want_f, 0, sizeof(want_f));
	memset(want_s, 0xff, sizeof(want_s));
	memset(want_e, 0, sizeof(want_e));
	for (i = 0; i < RTE_DIM(in); i++) {
		unsigned int s, d, k;
		uint64_t b, p;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		s = (unsigned int)(x % 100);
		d = (unsigned int)((x >> 20) % 3);
		k = s * 3 + d;
		b = (x >> 8) & ((1ull << 40) - 1);
		p = (x >> 30) & 0xffffff;
		/* All in window 1700000040000 / 60000; starts and ends spread within it. */
		rec(&in[i], s, 1, (uint16_t)(80 + d), 1, b, p, 1700000000000ull + i % 30000,
		    1700000040000ull + i % 19000);
		want_b[k] += b;
		want_p[k] += p;
		want_f[k]++;
		want_s[k] = RTE_MIN(want_s[k], in[i].flow_start_ms);
		want_e[k] = RTE_MAX(want_e[k], in[i].flow_end_ms);
		tot_b += b;
	}
	for (i = 0; i < RTE_DIM(in); i += 256) {
		cf_agg_add(a, &in[i], RTE_MIN(256u, (unsigned int)RTE_DIM(in) - i), 1000);
		ledger_ok(a);
	}
	CU_ASSERT_EQUAL(nout, 0);
	CU_ASSERT_EQUAL(cf_agg_poll(a, 1000 + 59999, 0), 0);
	CU_ASSERT_EQUAL(cf_agg_poll(a, 1000 + 60000, 0), 300);
	ledger_ok(a);
	CU_ASSERT_EQUAL(nout, 300);
	CU_ASSERT(tot_b > (1ull << 32));
	for (i = 0; i < nout; i++) {
		const struct cf_record *o = &outbuf[i];
		unsigned int k = o->src_addr[3] * 3 + (o->dst_port - 80);

		CU_ASSERT_EQUAL(o->bytes, want_b[k]);
		CU_ASSERT_EQUAL(o->packets, want_p[k]);
		CU_ASSERT_EQUAL(o->flows, want_f[k]);
		CU_ASSERT(o->present & CF_RECORD_F_FLOWS);
		got_b += o->bytes;
		/* Earliest start and latest end of that key's records. */
		CU_ASSERT_EQUAL(o->flow_start_ms, want_s[k]);
		CU_ASSERT_EQUAL(o->flow_end_ms, want_e[k]);
	}
	CU_ASSERT_EQUAL(got_b, tot_b);
	cf_agg_free(a);
}

/* Which fields survive: the keys, sums, times, agreeing version and domain. */
static void
test_fields(void)
{
	struct cf_record r[3];
	struct cf_agg *a = mk(CF_AGG_KEYS_DEFAULT, 60, 64);
	const struct cf_record *o;

	rec(&r[0], 5, 9, 443, 2, 100, 2, 1000, 2000);
	rec(&r[1], 5, 9, 443, 2, 50, 1, 500, 1500);
	r[1].observation_domain = 4;
	cf_agg_add(a, r, 2, 0);
	cf_agg_flush(a);
	CU_ASSERT_EQUAL_FATAL(nout, 1);
	o = &outbuf[0];
	CU_ASSERT_EQUAL(o->bytes, 150);
	CU_ASSERT_EQUAL(o->packets, 3);
	CU_ASSERT_EQUAL(o->flows, 2);
	CU_ASSERT_EQUAL(o->flow_start_ms, 500);
	CU_ASSERT_EQUAL(o->flow_end_ms, 2000);
	CU_ASSERT_EQUAL(o->dst_port, 443);
	CU_ASSERT_EQUAL(o->src_port, 0);         /* not a key: dropped */
	CU_ASSERT_EQUAL(o->tcp_flags, 0);
	CU_ASSERT_EQUAL(o->input_if, 0);
	CU_ASSERT_EQUAL(o->present & (CF_RECORD_F_TCP_FLAGS | CF_RECORD_F_INPUT_IF), 0);
	CU_ASSERT(o->present & CF_RECORD_F_SRC_MAC);
	CU_ASSERT_EQUAL(o->src_mac[5], 5);
	CU_ASSERT_EQUAL(o->exporter[3], 2);
	CU_ASSERT_EQUAL(o->version, CF_RECORD_V_NF9);
	CU_ASSERT_EQUAL(o->observation_domain, 0); /* 3 and 4 disagree */
	cf_agg_free(a);

	/* IPv4 and IPv6 with the same first bytes, and a record without a MAC, are other keys. */
	a = mk(CF_AGG_KEYS_DEFAULT, 60, 64);
	rec(&r[0], 5, 9, 443, 2, 1, 1, 0, 0);
	r[1] = r[0];
	r[1].present |= CF_RECORD_F_SRC_V6;
	r[2] = r[0];
	r[2].present &= ~CF_RECORD_F_SRC_MAC;
	memset(r[2].src_mac, 0, 6);
	cf_agg_add(a, r, 3, 0);
	cf_agg_flush(a);
	CU_ASSERT_EQUAL(nout, 3);
	cf_agg_free(a);

	/* Only the key asked for: everything from one source folds, whatever the rest. */
	a = mk(CF_AGG_BIT(SRC_IP), 60, 64);
	rec(&r[0], 5, 9, 443, 2, 1, 1, 0, 0);
	rec(&r[1], 5, 10, 53, 3, 1, 1, 0, 0);
	rec(&r[2], 6, 10, 53, 3, 1, 1, 0, 0);
	cf_agg_add(a, r, 3, 0);
	cf_agg_flush(a);
	CU_ASSERT_EQUAL_FATAL(nout, 2);
	CU_ASSERT_EQUAL(outbuf[0].flows + outbuf[1].flows, 3);
	CU_ASSERT_EQUAL(outbuf[0].dst_port, 0);
	CU_ASSERT_EQUAL(outbuf[0].present & CF_RECORD_F_PORTS, 0);
	CU_ASSERT_EQUAL(outbuf[0].exporter[3], 0);
	cf_agg_free(a);
}

/* flow_end windows are aligned to the interval: the same key in two windows is two
 * aggregates; the hold time counts from the first record's arrival. */
static void
test_windows_and_hold(void)
{
	struct cf_record r[3];
	struct cf_agg *a = mk(CF_AGG_KEYS_DEFAULT, 10, 64);

	rec(&r[0], 1, 1, 80, 1, 1, 1, 0, 9999);
	rec(&r[1], 1, 1, 80, 1, 1, 1, 0, 10000);
	rec(&r[2], 1, 1, 80, 1, 1, 1, 0, 19999);
	cf_agg_add(a, &r[0], 1, 5000);
	cf_agg_add(a, &r[1], 1, 7000);
	cf_agg_add(a, &r[2], 1, 7000);
	CU_ASSERT_EQUAL(cf_agg_poll(a, 14999, 0), 0);
	CU_ASSERT_EQUAL(cf_agg_poll(a, 15000, 0), 1);
	CU_ASSERT_EQUAL(outbuf[0].flows, 1);
	CU_ASSERT_EQUAL(cf_agg_poll(a, 16999, 0), 0);
	CU_ASSERT_EQUAL(cf_agg_poll(a, 17000, 1), 1);
	CU_ASSERT_EQUAL(outbuf[1].flows, 2);
	ledger_ok(a);
	cf_agg_free(a);
}

/* A table of 8 for 64 keys: early flushes, oldest first, and not one record lost. */
static void
test_early_flush(void)
{
	static struct cf_record in[5000];
	uint64_t flows = 0, bytes = 0, want = 0;
	struct cf_agg_stats s;
	struct cf_agg *a = mk(CF_AGG_KEYS_DEFAULT, 60, 8);
	unsigned int i;

	for (i = 0; i < RTE_DIM(in); i++) {
		rec(&in[i], i % 64, 1, 80, 1, i + 1, 1, 0, 0);
		want += i + 1;
	}
	for (i = 0; i < RTE_DIM(in); i += 100) {
		cf_agg_add(a, &in[i], 100, i);
		ledger_ok(a);
		cf_agg_stats(a, &s);
		CU_ASSERT(s.open <= 8);
	}
	cf_agg_stats(a, &s);
	CU_ASSERT(s.early_flushes > 0);
	CU_ASSERT_EQUAL(s.early_flushes, s.aggregates_out);
	/* Oldest first: the first aggregate out is the one of the very first record. */
	CU_ASSERT_EQUAL(outbuf[0].src_addr[3], 0);
	cf_agg_flush(a);
	ledger_ok(a);
	for (i = 0; i < nout; i++) {
		flows += outbuf[i].flows;
		bytes += outbuf[i].bytes;
	}
	CU_ASSERT_EQUAL(flows, RTE_DIM(in));
	CU_ASSERT_EQUAL(bytes, want);
	cf_agg_free(a);

	/* A table of one still works (every new key flushes the old one). */
	a = mk(CF_AGG_KEYS_DEFAULT, 60, 1);
	cf_agg_add(a, in, 200, 0);
	cf_agg_flush(a);
	ledger_ok(a);
	for (i = 0, flows = 0; i < nout; i++)
		flows += outbuf[i].flows;
	CU_ASSERT_EQUAL(flows, 200);
	CU_ASSERT_EQUAL(nout, 200); /* 64 keys in turn: nothing folds */
	cf_agg_free(a);
}

/* Sums that would pass 2^64 close the aggregate instead of wrapping: the emitted parts add
 * up (in 128 bits) to the true total. */
static void
test_no_wrap(void)
{
	struct cf_record r[10];
	unsigned __int128 want_b = 0, got_b = 0, want_p = 0, got_p = 0;
	struct cf_agg_stats s;
	struct cf_agg *a = mk(CF_AGG_KEYS_DEFAULT, 60, 16);
	unsigned int i;

	for (i = 0; i < RTE_DIM(r); i++) {
		rec(&r[i], 1, 1, 80, 1, UINT64_MAX / 3 + i, (uint64_t)1 << 62, 0, 0);
		want_b += r[i].bytes;
		want_p += r[i].packets;
	}
	cf_agg_add(a, r, RTE_DIM(r), 0);
	cf_agg_flush(a);
	ledger_ok(a);
	cf_agg_stats(a, &s);
	CU_ASSERT(s.overflow_splits >= 3);
	for (i = 0; i < nout; i++) {
		got_b += outbuf[i].bytes;
		got_p += outbuf[i].packets;
	}
	CU_ASSERT(got_b == want_b);
	CU_ASSERT(got_p == want_p);
	cf_agg_free(a);
}

/* service_port (nfdump -B's rule: the lower port is the server's): requests and answers of one
 * service fold whatever the client's ephemeral ports, each direction its own aggregate, the
 * client's port 0 in it; it cannot be combined with src_port or dst_port. */
static void
test_service_port(void)
{
	const uint64_t keys = (CF_AGG_KEYS_DEFAULT & ~CF_AGG_BIT(DST_PORT)) | CF_AGG_BIT(SERVICE_PORT);
	struct cf_record r[7];
	char err[700], buf[700];
	struct cf_agg *a;
	uint64_t k;
	unsigned int i, req = 0, ans = 0;

	CU_ASSERT_EQUAL(cf_agg_keys_parse("src_ip,service_port", &k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k, CF_AGG_BIT(SRC_IP) | CF_AGG_BIT(SERVICE_PORT));
	cf_agg_keys_format(k, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "src_ip,service_port");
	CU_ASSERT_EQUAL(cf_agg_keys_parse("service_port,dst_port", &k, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "service_port"));
	CU_ASSERT_EQUAL(cf_agg_keys_parse("src_port,service_port", &k, err, sizeof(err)), -1);

	a = mk(keys, 60, 64);
	/* Three requests 10.0.0.5:4xxxx -> 192.0.2.9:53 (other source ports each). */
	for (i = 0; i < 3; i++) {
		rec(&r[i], 5, 9, 53, 2, 100 + i, 1, 0, 1000);
		r[i].src_port = (uint16_t)(50000 + i);
	}
	/* Three answers of the same server, seen the other way: src 53, dst ephemeral. */
	for (i = 3; i < 6; i++) {
		rec(&r[i], 5, 9, 0, 2, 200 + i, 1, 0, 1000);
		r[i].src_port = 53;
		r[i].dst_port = (uint16_t)(50000 + i);
	}
	/* Equal ports (NTP 123 <-> 123): dst_port is the service. */
	rec(&r[6], 5, 9, 123, 2, 7, 1, 0, 1000);
	r[6].src_port = 123;
	cf_agg_add(a, r, RTE_DIM(r), 0);
	ledger_ok(a);
	cf_agg_flush(a);
	ledger_ok(a);
	CU_ASSERT_EQUAL_FATAL(nout, 3);
	for (i = 0; i < nout; i++) {
		const struct cf_record *o = &outbuf[i];

		CU_ASSERT(o->present & CF_RECORD_F_PORTS);
		if (o->dst_port == 53) {
			req++;
			CU_ASSERT_EQUAL(o->src_port, 0);
			CU_ASSERT_EQUAL(o->flows, 3);
			CU_ASSERT_EQUAL(o->bytes, 100 + 101 + 102);
		} else if (o->src_port == 53) {
			ans++;
			CU_ASSERT_EQUAL(o->dst_port, 0);
			CU_ASSERT_EQUAL(o->flows, 3);
			CU_ASSERT_EQUAL(o->bytes, 203 + 204 + 205);
		} else {
			CU_ASSERT_EQUAL(o->dst_port, 123);
			CU_ASSERT_EQUAL(o->src_port, 0);
			CU_ASSERT_EQUAL(o->flows, 1);
		}
	}
	CU_ASSERT_EQUAL(req, 1);
	CU_ASSERT_EQUAL(ans, 1);
	cf_agg_free(a);
}

static const struct cft_case cases[] = {
	{"keys_parse", test_keys_parse},
	{"exact_sums", test_exact_sums},
	{"fields", test_fields},
	{"windows_and_hold", test_windows_and_hold},
	{"early_flush", test_early_flush},
	{"no_wrap", test_no_wrap},
	{"service_port", test_service_port},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("agg", cases);
}
