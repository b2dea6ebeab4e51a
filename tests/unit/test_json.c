/* SPDX-License-Identifier: BSD-3-Clause */
/* Record JSON encoder and string escaping. */
#include <arpa/inet.h>
#include <string.h>

#include "cf_json.h"
#include "cf_test.h"

static void
test_full_record(void)
{
	static const char want[] =
		"{\"src_ip\":\"10.1.2.3\",\"dst_ip\":\"192.168.255.0\",\"src_port\":65535,\"dst_port\":0,"
		"\"protocol\":17,\"bytes\":18446744073709551615,\"packets\":4294967296,"
		"\"flow_start\":1700000000,\"flow_end\":1700000001,\"switch_id\":\"2001:db8::7\","
		"\"src_sgt\":0,\"dst_sgt\":65535,\"src_mac\":\"00:1b:21:aa:bb:cc\","
		"\"dst_mac\":\"ff:ff:ff:ff:ff:ff\",\"vlan_id\":4094,"
		"\"flow_start_ms\":1700000000999,\"flow_end_ms\":1700000001000,\"tcp_flags\":255,"
		"\"tos\":0,\"input_if\":4294967295,\"output_if\":1,\"src_as\":4200000000,\"dst_as\":0,"
		"\"src_mask\":32,\"dst_mask\":0,\"next_hop\":\"::\",\"sampling_rate\":1000,"
		"\"direction\":1,\"icmp_type\":8,\"icmp_code\":0,"
		"\"exporter_version\":10,\"export_protocol\":\"ipfix\",\"observation_domain\":4294967295}";
	struct cf_record r;
	char buf[CF_JSON_RECORD_MAX];
	size_t n;

	memset(&r, 0, sizeof(r));
	inet_pton(AF_INET, "10.1.2.3", r.src_addr);
	inet_pton(AF_INET, "192.168.255.0", r.dst_addr);
	inet_pton(AF_INET6, "2001:db8::7", r.exporter);
	r.src_port = 65535;
	r.protocol = 17;
	r.bytes = UINT64_MAX;
	r.packets = 1ull << 32;
	r.flow_start_ms = 1700000000999ull;
	r.flow_end_ms = 1700000001000ull;
	r.src_sgt = 0;
	r.dst_sgt = 65535;
	memcpy(r.src_mac, "\x00\x1b\x21\xaa\xbb\xcc", 6);
	memset(r.dst_mac, 0xff, 6);
	r.vlan_id = 4094;
	r.tcp_flags = 255;
	r.input_if = UINT32_MAX;
	r.output_if = 1;
	r.src_as = 4200000000u;
	r.src_mask = 32;
	r.sampling_rate = 1000;
	r.direction = 1;
	r.icmp_type = 8;
	r.version = CF_RECORD_V_IPFIX;
	r.observation_domain = UINT32_MAX;
	r.present = CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR | CF_RECORD_F_EXPORTER_V6 |
		CF_RECORD_F_SRC_SGT | CF_RECORD_F_DST_SGT | CF_RECORD_F_SRC_MAC |
		CF_RECORD_F_DST_MAC | CF_RECORD_F_VLAN | CF_RECORD_F_FLOW_START |
		CF_RECORD_F_FLOW_END | CF_RECORD_F_TCP_FLAGS | CF_RECORD_F_TOS |
		CF_RECORD_F_INPUT_IF | CF_RECORD_F_OUTPUT_IF | CF_RECORD_F_SRC_AS |
		CF_RECORD_F_DST_AS | CF_RECORD_F_SRC_MASK | CF_RECORD_F_DST_MASK |
		CF_RECORD_F_NEXT_HOP | CF_RECORD_F_NEXT_HOP_V6 | CF_RECORD_F_SAMPLING |
		CF_RECORD_F_DIRECTION | CF_RECORD_F_ICMP;
	n = cf_json_record(buf, &r);
	buf[n] = '\0';
	CU_ASSERT_EQUAL(n, strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);
	if (strcmp(buf, want) != 0)
		fprintf(stderr, "\n got: %s\nwant: %s\n", buf, want);
}

static void
test_absent_fields_null(void)
{
	struct cf_record r;
	char buf[CF_JSON_RECORD_MAX];
	size_t n;

	memset(&r, 0, sizeof(r));
	inet_pton(AF_INET6, "2001:db8::1", r.src_addr);
	inet_pton(AF_INET6, "fe80::1", r.dst_addr);
	r.present = CF_RECORD_F_SRC_V6;
	r.version = CF_RECORD_V_SFLOW;
	n = cf_json_record(buf, &r);
	buf[n] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"src_ip\":\"2001:db8::1\",\"dst_ip\":\"fe80::1\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"src_sgt\":null,\"dst_sgt\":null,\"src_mac\":null,"
					   "\"dst_mac\":null,\"vlan_id\":null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"next_hop\":null,\"sampling_rate\":null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"exporter_version\":5,\"export_protocol\":\"sflow_v5\""));
	CU_ASSERT_PTR_NULL(strstr(buf, "direction"));
}

/* The largest record must fit the documented bound. */
static void
test_bound(void)
{
	struct cf_record r;
	char buf[CF_JSON_RECORD_MAX + 64];

	memset(&r, 0xff, sizeof(r));
	r.present = UINT32_MAX;
	r.version = CF_RECORD_V_NF9;
	CU_ASSERT(cf_json_record(buf, &r) < CF_JSON_RECORD_MAX);
}

static void
test_escape_controls(void)
{
	uint8_t in[32];
	char out[6 * 32 + 3];
	unsigned int i;
	size_t n;

	for (i = 0; i < 32; i++)
		in[i] = (uint8_t)i;
	n = cf_json_string(out, in, 32);
	CU_ASSERT_EQUAL(n, strlen(out));
	CU_ASSERT_STRING_EQUAL(out,
		"\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r"
		"\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018"
		"\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"");
}

static void
test_escape_specials_and_utf8(void)
{
	char out[256];

	cf_json_string(out, (const uint8_t *)"a\"b\\c/d\x7f", 8);
	CU_ASSERT_STRING_EQUAL(out, "\"a\\\"b\\\\c/d\\u007f\"");
	/* valid UTF-8 passes through: e-acute, euro sign, U+1F600 */
	cf_json_string(out, (const uint8_t *)"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
	CU_ASSERT_STRING_EQUAL(out, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	/* invalid: lone continuation, overlong '/', truncated sequence, surrogate, > U+10FFFF */
	cf_json_string(out, (const uint8_t *)"\x80\xc0\xaf\xe2\x82\xed\xa0\x80\xf4\x90\x80\x80",
		       12);
	CU_ASSERT_STRING_EQUAL(out, "\"\\u0080\\u00c0\\u00af\\u00e2\\u0082\\u00ed\\u00a0\\u0080"
				    "\\u00f4\\u0090\\u0080\\u0080\"");
	cf_json_string(out, (const uint8_t *)"", 0);
	CU_ASSERT_STRING_EQUAL(out, "\"\"");
}

static const struct cft_case cases[] = {
	{"full_record", test_full_record},
	{"absent_fields_null", test_absent_fields_null},
	{"bound", test_bound},
	{"escape_controls", test_escape_controls},
	{"escape_specials_and_utf8", test_escape_specials_and_utf8},
	{NULL, NULL},
};

int
main(void)
{
	return cft_suite_main("json", cases);
}
