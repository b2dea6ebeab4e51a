/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON encoder (Clarion schema): every number against printf, every IPv4
 * address against inet_ntop, the full key order of a record against a string
 * assembled here field by field, and the longest record against CF_JSON_RECORD_MAX.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cf_json.h"
#include "cf_test.h"

static char buf[CF_JSON_RECORD_MAX + 64];

static void
v5_like(struct cf_record *r)
{
	static const uint8_t src[4] = {10, 1, 2, 3}, dst[4] = {192, 168, 7, 9}, nh[4] = {0, 0, 0, 0},
			     exp[4] = {198, 51, 100, 7};

	memset(r, 0, sizeof(*r));
	memcpy(r->src_addr, src, 4);
	memcpy(r->dst_addr, dst, 4);
	memcpy(r->next_hop, nh, 4);
	memcpy(r->exporter, exp, 4);
	r->src_port = 51000;
	r->dst_port = 443;
	r->protocol = 6;
	r->bytes = 31337;
	r->packets = 42;
	r->flow_start_ms = 1700000000123ull;
	r->flow_end_ms = 1700000060999ull;
	r->tcp_flags = 0x1b;
	r->tos = 0xb8;
	r->input_if = 3;
	r->output_if = 7;
	r->src_as = 64512;
	r->dst_as = 15169;
	r->src_mask = 24;
	r->dst_mask = 16;
	r->version = CF_RECORD_V_NF5;
	r->observation_domain = 0x0102;
	r->present = CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR | CF_RECORD_F_NEXT_HOP |
		CF_RECORD_F_INPUT_IF | CF_RECORD_F_OUTPUT_IF | CF_RECORD_F_PACKETS |
		CF_RECORD_F_BYTES | CF_RECORD_F_FLOW_START | CF_RECORD_F_FLOW_END |
		CF_RECORD_F_PORTS | CF_RECORD_F_TCP_FLAGS | CF_RECORD_F_PROTOCOL | CF_RECORD_F_TOS |
		CF_RECORD_F_SRC_AS | CF_RECORD_F_DST_AS | CF_RECORD_F_SRC_MASK |
		CF_RECORD_F_DST_MASK;
}

/* The text between "key": and the next ',' or '}' of the encoded record. */
static const char *
value_of(const char *json, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	e = p + strcspn(p, ",}");
	if ((size_t)(e - p) >= cap)
		return NULL;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return out;
}

static void
check_u64(uint64_t v)
{
	struct cf_record r;
	char want[32], got[32];
	size_t n;

	v5_like(&r);
	r.bytes = v;
	r.packets = ~v;
	r.flow_start_ms = v;
	r.flow_end_ms = ~v;
	/* The 32-bit fields have their own formatter. */
	r.input_if = (uint32_t)v;
	r.output_if = ~(uint32_t)v;
	n = cf_json_record(buf, &r);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "%" PRIu64, v);
	CU_ASSERT_STRING_EQUAL(value_of(buf, "bytes", got, sizeof(got)), want);
	CU_ASSERT_STRING_EQUAL(value_of(buf, "flow_start_ms", got, sizeof(got)), want);
	snprintf(want, sizeof(want), "%" PRIu64, ~v);
	CU_ASSERT_STRING_EQUAL(value_of(buf, "packets", got, sizeof(got)), want);
	CU_ASSERT_STRING_EQUAL(value_of(buf, "flow_end_ms", got, sizeof(got)), want);
	snprintf(want, sizeof(want), "%" PRIu32, (uint32_t)v);
	CU_ASSERT_STRING_EQUAL(value_of(buf, "input_if", got, sizeof(got)), want);
	snprintf(want, sizeof(want), "%" PRIu32, ~(uint32_t)v);
	CU_ASSERT_STRING_EQUAL(value_of(buf, "output_if", got, sizeof(got)), want);
	snprintf(want, sizeof(want), "%" PRIu64, v / 1000);
	CU_ASSERT_STRING_EQUAL(value_of(buf, "flow_start", got, sizeof(got)), want);
	snprintf(want, sizeof(want), "%" PRIu64, ~v / 1000);
	CU_ASSERT_STRING_EQUAL(value_of(buf, "flow_end", got, sizeof(got)), want);
}

static void
test_numbers(void)
{
	uint64_t v, p10 = 1, rng = 0x243f6a8885a308d3ull;
	unsigned int i, k;

	for (v = 0; v <= 1100; v++)
		check_u64(v);
	for (k = 0; k < 20; k++) {
		check_u64(p10 - 1);
		check_u64(p10);
		check_u64(p10 + 1);
		if (k < 19)
			p10 *= 10;
	}
	check_u64(UINT32_MAX);
	check_u64((uint64_t)UINT32_MAX + 1);
	check_u64(UINT64_MAX);
	check_u64(UINT64_MAX - 1);
	for (i = 0; i < 20000; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		check_u64(rng >> (i % 64));   /* every bit length */
	}
}

static void
test_byte_fields(void)
{
	struct cf_record r;
	char want[8], got[32];
	unsigned int v;

	for (v = 0; v < 256; v++) {
		size_t n;

		v5_like(&r);
		r.protocol = r.tos = r.tcp_flags = r.src_mask = (uint8_t)v;
		r.dst_mask = (uint8_t)(255 - v);
		n = cf_json_record(buf, &r);
		buf[n] = '\0';
		snprintf(want, sizeof(want), "%u", v);
		CU_ASSERT_STRING_EQUAL(value_of(buf, "protocol", got, sizeof(got)), want);
		CU_ASSERT_STRING_EQUAL(value_of(buf, "tos", got, sizeof(got)), want);
		CU_ASSERT_STRING_EQUAL(value_of(buf, "tcp_flags", got, sizeof(got)), want);
		CU_ASSERT_STRING_EQUAL(value_of(buf, "src_mask", got, sizeof(got)), want);
		snprintf(want, sizeof(want), "%u", 255 - v);
		CU_ASSERT_STRING_EQUAL(value_of(buf, "dst_mask", got, sizeof(got)), want);
	}
}

static void
test_ipv4_every_octet(void)
{
	struct cf_record r;
	char want[INET_ADDRSTRLEN + 2], got[64], addr[INET_ADDRSTRLEN];
	unsigned int v, pos;

	for (pos = 0; pos < 4; pos++) {
		for (v = 0; v < 256; v++) {
			size_t n;

			v5_like(&r);
			r.src_addr[pos] = (uint8_t)v;
			r.exporter[3 - pos] = (uint8_t)v;
			n = cf_json_record(buf, &r);
			buf[n] = '\0';
			inet_ntop(AF_INET, r.src_addr, addr, sizeof(addr));
			snprintf(want, sizeof(want), "\"%s\"", addr);
			CU_ASSERT_STRING_EQUAL(value_of(buf, "src_ip", got, sizeof(got)), want);
			inet_ntop(AF_INET, r.exporter, addr, sizeof(addr));
			snprintf(want, sizeof(want), "\"%s\"", addr);
			CU_ASSERT_STRING_EQUAL(value_of(buf, "switch_id", got, sizeof(got)), want);
			n = cf_json_addr(got, r.src_addr, 0);
			inet_ntop(AF_INET, r.src_addr, addr, sizeof(addr));
			CU_ASSERT_EQUAL(n, strlen(addr));
			CU_ASSERT_STRING_EQUAL(got, addr);
		}
	}
}

static void
test_v5_record_whole(void)
{
	struct cf_record r;
	size_t n;
	const char *want =
		"{\"src_ip\":\"10.1.2.3\",\"dst_ip\":\"192.168.7.9\",\"src_port\":51000,\"dst_port\":443,"
		"\"protocol\":6,\"bytes\":31337,\"packets\":42,\"flow_start\":1700000000,"
		"\"flow_end\":1700000060,\"switch_id\":\"198.51.100.7\",\"src_sgt\":null,"
		"\"dst_sgt\":null,\"src_mac\":null,\"dst_mac\":null,\"vlan_id\":null,"
		"\"flow_start_ms\":1700000000123,\"flow_end_ms\":1700000060999,\"tcp_flags\":27,"
		"\"tos\":184,\"input_if\":3,\"output_if\":7,\"src_as\":64512,\"dst_as\":15169,"
		"\"src_mask\":24,\"dst_mask\":16,\"next_hop\":\"0.0.0.0\",\"sampling_rate\":null,"
		"\"exporter_version\":5,\"export_protocol\":\"netflow_v5\",\"observation_domain\":258}";

	v5_like(&r);
	n = cf_json_record(buf, &r);
	buf[n] = '\0';
	CU_ASSERT_EQUAL(n, strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);
}

static void
test_versions_and_optionals(void)
{
	static const struct { uint8_t v; const char *text;
	} vers[] = {
		{CF_RECORD_V_NF5, "\"exporter_version\":5,\"export_protocol\":\"netflow_v5\""},
		{CF_RECORD_V_NF9, "\"exporter_version\":9,\"export_protocol\":\"netflow_v9\""},
		{CF_RECORD_V_IPFIX, "\"exporter_version\":10,\"export_protocol\":\"ipfix\""},
		{CF_RECORD_V_SFLOW, "\"exporter_version\":5,\"export_protocol\":\"sflow_v5\""},
		{0, "\"exporter_version\":0,\"export_protocol\":\"unknown\""},
		{7, "\"exporter_version\":7,\"export_protocol\":\"unknown\""},
		{200, "\"exporter_version\":200,\"export_protocol\":\"unknown\""},
	};
	static const uint8_t mac[6] = {0xaa, 0xbb, 0x0c, 0x00, 0xfe, 0x01};
	struct cf_record r;
	char got[64];
	unsigned int i;
	size_t n;

	for (i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		v5_like(&r);
		r.version = vers[i].v;
		n = cf_json_record(buf, &r);
		buf[n] = '\0';
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, vers[i].text));
	}
	v5_like(&r);
	r.present |= CF_RECORD_F_SRC_SGT | CF_RECORD_F_DST_SGT | CF_RECORD_F_SRC_MAC |
		CF_RECORD_F_VLAN | CF_RECORD_F_SAMPLING | CF_RECORD_F_DIRECTION | CF_RECORD_F_ICMP |
		CF_RECORD_F_POST_VLAN;
	r.src_sgt = 0;
	r.dst_sgt = 65535;
	memcpy(r.src_mac, mac, 6);
	r.vlan_id = 4094;
	r.sampling_rate = 1000;
	r.direction = 1;
	r.icmp_type = 3;
	r.icmp_code = 13;
	r.post_vlan_id = 10;
	n = cf_json_record(buf, &r);
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(value_of(buf, "src_sgt", got, sizeof(got)), "0");
	CU_ASSERT_STRING_EQUAL(value_of(buf, "dst_sgt", got, sizeof(got)), "65535");
	CU_ASSERT_STRING_EQUAL(value_of(buf, "src_mac", got, sizeof(got)), "\"aa:bb:0c:00:fe:01\"");
	CU_ASSERT_STRING_EQUAL(value_of(buf, "dst_mac", got, sizeof(got)), "null");
	CU_ASSERT_STRING_EQUAL(value_of(buf, "vlan_id", got, sizeof(got)), "4094");
	CU_ASSERT_STRING_EQUAL(value_of(buf, "sampling_rate", got, sizeof(got)), "1000");
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",\"direction\":1,\"icmp_type\":3,\"icmp_code\":13,"
					   "\"post_vlan_id\":10,\"exporter_version\":5,"));
}

/* Every field present at its widest: IPv6 addresses, 20-digit counters. */
static void
test_longest_record_fits(void)
{
	struct cf_record r;
	char addr[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN + 2], got[64];
	size_t n;

	memset(&r, 0xff, sizeof(r));
	r.present = 0xffffffffu;
	r.version = 200;
	/* Widest RFC 5952 text: no run of zeros to compress. */
	memcpy(r.src_addr, "\xfe\x80\xab\xcd\x12\x34\x56\x78\x9a\xbc\xde\xf0\x11\x22\x33\x44", 16);
	n = cf_json_record(buf, &r);
	buf[n] = '\0';
	CU_ASSERT(n < CF_JSON_RECORD_MAX - 8);
	CU_ASSERT_EQUAL(strlen(buf), n);
	CU_ASSERT_EQUAL(buf[0], '{');
	CU_ASSERT_EQUAL(buf[n - 1], '}');
	inet_ntop(AF_INET6, r.src_addr, addr, sizeof(addr));
	snprintf(want, sizeof(want), "\"%s\"", addr);
	CU_ASSERT_STRING_EQUAL(value_of(buf, "src_ip", got, sizeof(got)), want);
	CU_ASSERT_STRING_EQUAL(value_of(buf, "bytes", got, sizeof(got)), "18446744073709551615");
}

static const struct cft_case cases[] = {
	{"numbers_match_printf", test_numbers},
	{"byte_fields_match_printf", test_byte_fields},
	{"ipv4_every_octet_matches_inet_ntop", test_ipv4_every_octet},
	{"v5_record_whole", test_v5_record_whole},
	{"versions_and_optionals", test_versions_and_optionals},
	{"longest_record_fits", test_longest_record_fits},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("json_fmt", cases);
}
