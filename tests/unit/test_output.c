/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the outputs write for keys an export did not carry: the NDJSON sink
 * null (README, Output), the Clarion HTTP body the integers the backend
 * requires; and the keys issue 15 added (time_source, bgp_next_hop, names,
 * inner header) as the encoders write them.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf_json.h"
#include "cf_output.h"
#include "cf_test.h"

/* A record with addresses and a time but no ports, protocol or counters (an event record). */
static void
sparse(struct cf_record *r)
{
	memset(r, 0, sizeof(*r));
	inet_pton(AF_INET, "10.0.0.1", r->src_addr);
	inet_pton(AF_INET, "10.0.0.2", r->dst_addr);
	inet_pton(AF_INET, "192.0.2.1", r->exporter);
	r->flow_start_ms = 1700000000000ull;
	r->flow_end_ms = 1700000000000ull;
	r->time_source = CF_RECORD_TS_OBSERVATION;
	r->version = CF_RECORD_V_IPFIX;
	r->present = CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR | CF_RECORD_F_FLOW_START |
		CF_RECORD_F_FLOW_END;
}

static void
test_ndjson_absent_is_null(void)
{
	char path[] = "/tmp/cf_test_output_XXXXXX", err[128], line[CF_JSON_RECORD_MAX];
	struct cf_output *o;
	struct cf_record r;
	FILE *f;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	o = cf_output_open_sink(CF_OUTPUT_SINK_NDJSON, path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	sparse(&r);
	CU_ASSERT_EQUAL(cf_output_write(o, &r, 1), 0);
	cf_output_close(o);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "{\"src_ip\":\"10.0.0.1\",\"dst_ip\":\"10.0.0.2\","
				      "\"src_port\":null,\"dst_port\":null,\"protocol\":null,"
				      "\"bytes\":null,\"packets\":null,\"flow_start\":1700000000,"
				      "\"flow_end\":1700000000,\"switch_id\":\"192.0.2.1\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, ",\"time_source\":\"observation\""));
}

/* The Clarion body keeps its required integer keys: 0 for an absent port, protocol, counter. */
static void
test_clarion_keeps_integers(void)
{
	char buf[CF_JSON_RECORD_MAX];
	struct cf_record r;
	size_t n;

	sparse(&r);
	r.present &= ~(uint32_t)(CF_RECORD_F_SRC_ADDR | CF_RECORD_F_DST_ADDR);
	n = cf_json_record(buf, &r);
	buf[n] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"src_ip\":\"10.0.0.1\",\"dst_ip\":\"10.0.0.2\","
				     "\"src_port\":0,\"dst_port\":0,\"protocol\":0,\"bytes\":0,"
				     "\"packets\":0,\"flow_start\":1700000000,"));
}

static int
names(void *arg, uint32_t ref, char *buf)
{
	(void)arg;
	if (ref == 7) {
		strcpy(buf, "Gi0/0/\"1\"");
		return 9;
	}
	return -1;
}

/* The rarer keys, only when present; names through the resolver, escaped; unknown ones left out. */
static void
test_rare_keys(void)
{
	struct cf_json_opts o = { .null_absent = 1, .name = names };
	char buf[CF_JSON_RECORD_MAX];
	struct cf_record r;
	size_t n;

	sparse(&r);
	n = cf_json_record_opts(buf, &r, &o);
	buf[n] = '\0';
	CU_ASSERT_PTR_NULL(strstr(buf, "inner_"));
	CU_ASSERT_PTR_NULL(strstr(buf, "bgp_next_hop"));
	inet_pton(AF_INET6, "2001:db8::1", r.bgp_next_hop);
	inet_pton(AF_INET, "172.16.0.1", r.inner_src_addr);
	inet_pton(AF_INET, "172.16.0.2", r.inner_dst_addr);
	r.inner_src_port = 1234;
	r.inner_dst_port = 22;
	r.inner_protocol = 6;
	r.vrf_id = 10;
	r.names[CF_RECORD_NAME_IN_IF] = 7;
	r.names[CF_RECORD_NAME_VRF] = 8; /* unknown to the resolver */
	r.present2 = CF_RECORD_F2_BGP_NEXT_HOP | CF_RECORD_F2_BGP_NEXT_HOP_V6 |
		CF_RECORD_F2_INNER_SRC_ADDR | CF_RECORD_F2_INNER_DST_ADDR |
		CF_RECORD_F2_INNER_PORTS | CF_RECORD_F2_INNER_PROTOCOL | CF_RECORD_F2_VRF_ID |
		CF_RECORD_F2_NAME_IN_IF | CF_RECORD_F2_NAME_VRF;
	n = cf_json_record_opts(buf, &r, &o);
	buf[n] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",\"time_source\":\"observation\",\"bgp_next_hop\":"
				     "\"2001:db8::1\",\"vrf_id\":10,\"input_if_name\":"
				     "\"Gi0/0/\\\"1\\\"\",\"inner_src_ip\":\"172.16.0.1\","
				     "\"inner_dst_ip\":\"172.16.0.2\",\"inner_src_port\":1234,"
				     "\"inner_dst_port\":22,\"inner_protocol\":6,"));
	CU_ASSERT_PTR_NULL(strstr(buf, "vrf_name"));
	/* without a resolver: no names at all */
	n = cf_json_record(buf, &r);
	buf[n] = '\0';
	CU_ASSERT_PTR_NULL(strstr(buf, "input_if_name"));
}

static const struct cft_case cases[] = {
	{"ndjson_absent_is_null", test_ndjson_absent_is_null},
	{"clarion_keeps_integers", test_clarion_keeps_integers},
	{"rare_keys", test_rare_keys},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cft_suite_main("output", cases);
}
