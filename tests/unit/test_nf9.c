/* SPDX-License-Identifier: BSD-3-Clause */
/* NetFlow v9 decoder (RFC 3954) on datagrams built field by field. */
#include <arpa/inet.h>
#include <string.h>

#include "cf_dispatch.h"
#include "cf_nf9.h"
#include "cf_test.h"
#include "cf_test_msg.h"
#include "cf_tpl.h"

#define UPTIME 360000000u       /* 100 h */
#define SECS 1700000000u
#define EXPORT_MS (SECS * 1000ull)
#define SRC_ID 0x01020304u

static struct cft_buf b;

static void
hdr(uint16_t count, uint32_t seq)
{
	cft_nf9_hdr(&b, count, UPTIME, SECS, seq, SRC_ID);
}

/* Cisco-like IPv4 template with SGT (34000 as 2 bytes, 34001 as 4 bytes). */
static void
tpl_cisco(uint16_t tid)
{
	cft_tpl_hdr(&b, tid, 25);
	cft_field(&b, 8, 4); cft_field(&b, 12, 4); cft_field(&b, 7, 2); cft_field(&b, 11, 2); cft_field(&b, 4, 1); cft_field(&b, 5, 1); cft_field(&b, 6, 1);
	cft_field(&b, 1, 8); cft_field(&b, 2, 4); cft_field(&b, 22, 4); cft_field(&b, 21, 4); cft_field(&b, 10, 4); cft_field(&b, 14, 4);
	cft_field(&b, 16, 4); cft_field(&b, 17, 4); cft_field(&b, 15, 4); cft_field(&b, 9, 1); cft_field(&b, 13, 1); cft_field(&b, 58, 2);
	cft_field(&b, 56, 6); cft_field(&b, 80, 6); cft_field(&b, 61, 1); cft_field(&b, 34000, 2); cft_field(&b, 34001, 4); cft_field(&b, 48, 1);
}

static const uint8_t MAC_S[6] = {0x00, 0x50, 0x56, 0xc0, 0x00, 0x01};
static const uint8_t MAC_D[6] = {0x00, 0x0c, 0x29, 0x70, 0x86, 0x09};

static void
rec_cisco(const char *src, uint16_t sport, uint64_t bytes, uint16_t sgt_s, uint32_t sgt_d,
	  uint8_t sampler)
{
	cft_ip4(&b, src);
	cft_ip4(&b, "192.168.7.9");
	cft_u16(&b, sport);
	cft_u16(&b, 443);
	cft_u8(&b, 6);
	cft_u8(&b, 0xb8);
	cft_u8(&b, 0x1b);
	cft_u64(&b, bytes);
	cft_u32(&b, 42);
	cft_u32(&b, UPTIME - 60000);
	cft_u32(&b, UPTIME - 1500);
	cft_u32(&b, 3);
	cft_u32(&b, 70000);
	cft_u32(&b, 64512);
	cft_u32(&b, 4200000000u);
	cft_ip4(&b, "10.0.0.254");
	cft_u8(&b, 24);
	cft_u8(&b, 16);
	cft_u16(&b, 0x2123); /* PCP bits above the 12-bit VLAN id */
	cft_bytes(&b, MAC_S, 6);
	cft_bytes(&b, MAC_D, 6);
	cft_u8(&b, 1);
	cft_u16(&b, sgt_s);
	cft_u32(&b, sgt_d);
	cft_u8(&b, sampler);
}

static void
feed(struct cft_dec *d, const char *src)
{
	struct cf_decode_dgram dg;

	cft_dgram(&dg, &b, src);
	cf_dispatch_datagram(&d->ctx, &dg);
}

static void
test_template_and_data(void)
{
	struct cft_dec d;
	const struct cf_record *r;
	uint8_t a[4];
	size_t s;

	cft_dec_init(&d, 64);
	hdr(3, 1);
	s = cft_set_begin(&b, 0);
	tpl_cisco(256);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 256);
	rec_cisco("10.1.2.3", 51000, 1ull << 33, 17, 4000000001u, 0);
	rec_cisco("10.1.2.4", 51001, 1500, 0, 2, 0);
	cft_set_end(&b, s, 1); /* 2 x 78 bytes + 4: padded by 0 */
	feed(&d, "198.51.100.7");

	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 2);
	CU_ASSERT_EQUAL(d.stats.dgrams[CF_STATS_PROTO_NF9], 1);
	CU_ASSERT_EQUAL(d.stats.tpl_added, 1);
	r = &d.out.recs[0];
	inet_pton(AF_INET, "10.1.2.3", a);
	CU_ASSERT(memcmp(r->src_addr, a, 4) == 0);
	inet_pton(AF_INET, "192.168.7.9", a);
	CU_ASSERT(memcmp(r->dst_addr, a, 4) == 0);
	inet_pton(AF_INET, "10.0.0.254", a);
	CU_ASSERT(memcmp(r->next_hop, a, 4) == 0);
	CU_ASSERT_EQUAL(r->src_port, 51000);
	CU_ASSERT_EQUAL(r->dst_port, 443);
	CU_ASSERT_EQUAL(r->protocol, 6);
	CU_ASSERT_EQUAL(r->tos, 0xb8);
	CU_ASSERT_EQUAL(r->tcp_flags, 0x1b);
	CU_ASSERT_EQUAL(r->bytes, 1ull << 33);
	CU_ASSERT_EQUAL(r->packets, 42);
	CU_ASSERT_EQUAL(r->flow_start_ms, EXPORT_MS - 60000);
	CU_ASSERT_EQUAL(r->flow_end_ms, EXPORT_MS - 1500);
	CU_ASSERT_EQUAL(r->input_if, 3);
	CU_ASSERT_EQUAL(r->output_if, 70000);
	CU_ASSERT_EQUAL(r->src_as, 64512);
	CU_ASSERT_EQUAL(r->dst_as, 4200000000u);
	CU_ASSERT_EQUAL(r->src_mask, 24);
	CU_ASSERT_EQUAL(r->dst_mask, 16);
	CU_ASSERT_EQUAL(r->vlan_id, 0x123);
	CU_ASSERT(memcmp(r->src_mac, MAC_S, 6) == 0);
	CU_ASSERT(memcmp(r->dst_mac, MAC_D, 6) == 0);
	CU_ASSERT_EQUAL(r->direction, 1);
	CU_ASSERT_EQUAL(r->src_sgt, 17);
	CU_ASSERT_EQUAL(r->dst_sgt, 4000000001u);
	CU_ASSERT_EQUAL(r->version, CF_RECORD_V_NF9);
	CU_ASSERT_EQUAL(r->observation_domain, SRC_ID);
	CU_ASSERT((r->present &
		   (CF_RECORD_F_SRC_SGT | CF_RECORD_F_DST_SGT | CF_RECORD_F_VLAN |
		    CF_RECORD_F_SRC_MAC | CF_RECORD_F_DST_MAC | CF_RECORD_F_DIRECTION |
		    CF_RECORD_F_FLOW_START)) ==
		  (CF_RECORD_F_SRC_SGT | CF_RECORD_F_DST_SGT | CF_RECORD_F_VLAN |
		   CF_RECORD_F_SRC_MAC | CF_RECORD_F_DST_MAC | CF_RECORD_F_DIRECTION |
		   CF_RECORD_F_FLOW_START));
	CU_ASSERT((r->present & (CF_RECORD_F_SRC_V6 | CF_RECORD_F_SAMPLING | CF_RECORD_F_ICMP)) ==
		  0);
	/* SGT 0 is "unknown" on Cisco: kept, the backend decides. */
	CU_ASSERT_EQUAL(d.out.recs[1].src_sgt, 0);
	CU_ASSERT(d.out.recs[1].present & CF_RECORD_F_SRC_SGT);
	CU_ASSERT_EQUAL(d.out.recs[1].bytes, 1500);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SET_BAD_LENGTH], 0);
	cft_dec_fini(&d);
}

/* Data first, template later in the same datagram, then a second datagram. */
static void
test_data_before_template(void)
{
	struct cft_dec d;
	size_t s;

	cft_dec_init(&d, 64);
	hdr(2, 1);
	s = cft_set_begin(&b, 300);
	rec_cisco("10.9.9.9", 1, 100, 5, 6, 0);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 0);
	tpl_cisco(300);
	cft_set_end(&b, s, 0);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL(d.stats.tpl_pending, 1);
	CU_ASSERT_EQUAL(d.stats.tpl_pending_done, 1);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.out.recs[0].src_port, 1);
	CU_ASSERT_EQUAL(d.out.recs[0].flow_start_ms, EXPORT_MS - 60000);

	/* Off: such data is a no_template drop at once. */
	cft_dec_rebuild(&d, &(struct cft_dec_cfg){ .tpl.pending_off = 1 });
	hdr(1, 2);
	s = cft_set_begin(&b, 300);
	rec_cisco("10.9.9.9", 1, 100, 5, 6, 0);
	cft_set_end(&b, s, 0);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NO_TEMPLATE], 1);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 1);
	cft_dec_fini(&d);
}

/* Options template (scope: interface) carrying sampling, then sampled data. */
static void
test_options_sampling(void)
{
	struct cft_dec d;
	size_t s;

	cft_dec_init(&d, 64);
	hdr(4, 1);
	s = cft_set_begin(&b, 1);
	cft_nf9_opt_hdr(&b, 257, 4, 12); /* scope 4 bytes, options 12 */
	cft_field(&b, 1, 4);           /* scope: system */
	cft_field(&b, 48, 1);          /* FLOW_SAMPLER_ID */
	cft_field(&b, 49, 1);          /* FLOW_SAMPLER_MODE */
	cft_field(&b, 50, 4);          /* FLOW_SAMPLER_RANDOM_INTERVAL */
	cft_set_end(&b, s, 1);
	s = cft_set_begin(&b, 257);
	cft_u32(&b, 0); cft_u8(&b, 7); cft_u8(&b, 2); cft_u32(&b, 100);
	cft_u32(&b, 0); cft_u8(&b, 9); cft_u8(&b, 2); cft_u32(&b, 512);
	cft_set_end(&b, s, 1);
	s = cft_set_begin(&b, 0);
	tpl_cisco(256);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 256);
	rec_cisco("10.1.1.1", 1, 10, 0, 0, 7);
	rec_cisco("10.1.1.2", 2, 10, 0, 0, 9);
	rec_cisco("10.1.1.3", 3, 10, 0, 0, 5); /* unknown sampler: exporter's latest rate */
	cft_set_end(&b, s, 0);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 3);
	CU_ASSERT_EQUAL(d.out.recs[0].sampling_rate, 100);
	CU_ASSERT_EQUAL(d.out.recs[1].sampling_rate, 512);
	CU_ASSERT_EQUAL(d.out.recs[2].sampling_rate, 512);
	CU_ASSERT(d.out.recs[0].present & CF_RECORD_F_SAMPLING);
	CU_ASSERT_EQUAL(d.out.recs[0].bytes, 10);

	/* --scale-by-sampling and --sampling-override apply on top. */
	d.cfg.scale_by_sampling = 1;
	cft_sink_reset(&d.out);
	hdr(1, 2);
	s = cft_set_begin(&b, 256);
	rec_cisco("10.1.1.1", 1, 10, 0, 0, 7);
	cft_set_end(&b, s, 0);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.out.recs[0].bytes, 1000);
	CU_ASSERT_EQUAL(d.out.recs[0].packets, 4200);
	d.cfg.sampling_rate = 4;
	d.cfg.sampling_override = 1;
	cft_sink_reset(&d.out);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL(d.out.recs[0].sampling_rate, 4);
	cft_dec_fini(&d);
}

/* Juniper SRX: options template whose scope field has length 0. */
static void
test_zero_length_scope(void)
{
	struct cft_dec d;
	size_t s;

	cft_dec_init(&d, 8);
	hdr(2, 1);
	s = cft_set_begin(&b, 1);
	cft_nf9_opt_hdr(&b, 256, 4, 8);
	cft_field(&b, 1, 0);           /* scope system, 0 bytes */
	cft_field(&b, 34, 4);          /* SAMPLING_INTERVAL */
	cft_field(&b, 35, 1);
	cft_set_end(&b, s, 1);
	s = cft_set_begin(&b, 256);
	cft_u32(&b, 1000);
	cft_u8(&b, 2);
	cft_set_end(&b, s, 1);
	s = cft_set_begin(&b, 0);
	tpl_cisco(257);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 257);
	rec_cisco("10.1.1.1", 1, 10, 0, 0, 0);
	cft_set_end(&b, s, 0);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_ZERO_LEN], 0);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.out.recs[0].sampling_rate, 1000);
	cft_dec_fini(&d);
}

/* Redefinition replaces; reduced-size counters; IPv6; post MAC/VLAN fallbacks; ICMP. */
static void
test_redefine_reduced_v6(void)
{
	static const uint8_t v6s[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t v6d[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2};
	struct cft_dec d;
	const struct cf_record *r;
	size_t s;

	cft_dec_init(&d, 8);
	hdr(2, 1);
	s = cft_set_begin(&b, 0);
	tpl_cisco(256);
	cft_set_end(&b, s, 0);
	feed(&d, "2001:db8::99");

	hdr(2, 2);
	s = cft_set_begin(&b, 0);
	cft_tpl_hdr(&b, 256, 9);
	cft_field(&b, 27, 16); cft_field(&b, 28, 16); cft_field(&b, 1, 3); cft_field(&b, 2, 1); cft_field(&b, 81, 6); cft_field(&b, 57, 6);
	cft_field(&b, 59, 2); cft_field(&b, 32, 2); cft_field(&b, 62, 16);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 256);
	cft_bytes(&b, v6s, 16);
	cft_bytes(&b, v6d, 16);
	cft_u8(&b, 0x01); cft_u8(&b, 0x02); cft_u8(&b, 0x03);   /* 66051 bytes in 3 */
	cft_u8(&b, 200);
	cft_bytes(&b, MAC_S, 6);
	cft_bytes(&b, MAC_D, 6);
	cft_u16(&b, 42);
	cft_u16(&b, 0x0800); /* echo request */
	cft_bytes(&b, v6d, 16);
	cft_set_end(&b, s, 1);
	feed(&d, "2001:db8::99");
	CU_ASSERT_EQUAL(d.stats.tpl_added, 1);
	CU_ASSERT_EQUAL(d.stats.tpl_replaced, 1);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	r = &d.out.recs[0];
	CU_ASSERT(r->present & CF_RECORD_F_SRC_V6);
	CU_ASSERT(memcmp(r->src_addr, v6s, 16) == 0);
	CU_ASSERT(memcmp(r->dst_addr, v6d, 16) == 0);
	CU_ASSERT(memcmp(r->next_hop, v6d, 16) == 0);
	CU_ASSERT(r->present & CF_RECORD_F_NEXT_HOP_V6);
	CU_ASSERT_EQUAL(r->bytes, 66051);
	CU_ASSERT_EQUAL(r->packets, 200);
	CU_ASSERT(memcmp(r->src_mac, MAC_S, 6) == 0);
	CU_ASSERT(memcmp(r->dst_mac, MAC_D, 6) == 0);
	CU_ASSERT_EQUAL(r->post_vlan_id, 42);
	CU_ASSERT((r->present & CF_RECORD_F_VLAN) == 0);
	CU_ASSERT_EQUAL(r->icmp_type, 8);
	CU_ASSERT_EQUAL(r->icmp_code, 0);
	CU_ASSERT(r->present & CF_RECORD_F_EXPORTER_V6);
	CU_ASSERT((r->present & CF_RECORD_F_PORTS) == 0);
	/* no flow times in the template: the export time, and said so */
	CU_ASSERT_EQUAL(r->flow_start_ms, EXPORT_MS);
	CU_ASSERT_EQUAL(r->time_source, CF_RECORD_TS_EXPORT);
	cft_dec_fini(&d);
}

/* v9 numbers export packets: each datagram is one, whatever it holds. */
static void
test_sequence(void)
{
	struct cft_dec d;
	uint32_t seq[] = {10, 11, 14, 12, 15};
	unsigned int i;
	size_t s;

	cft_dec_init(&d, 64);
	for (i = 0; i < 5; i++) {
		hdr(1, seq[i]);
		s = cft_set_begin(&b, 0);
		tpl_cisco(256);
		cft_set_end(&b, s, 0);
		feed(&d, "198.51.100.7");
	}
	CU_ASSERT_EQUAL(d.stats.seq_lost, 2);  /* 12 and 13 missing at 14 */
	CU_ASSERT_EQUAL(d.stats.seq_late, 1);  /* 12 came after all */
	CU_ASSERT_EQUAL(d.stats.seq_reset, 0);
	CU_ASSERT_EQUAL(d.stats.tpl_added, 1);
	CU_ASSERT_EQUAL(d.stats.tpl_replaced, 0);
	CU_ASSERT_EQUAL(d.stats.tpl_refreshed, 4); /* the same template each time */
	cft_dec_fini(&d);
}

/* Each malformation counted under its own reason; good sets around it still decode. */
static void
test_rejects(void)
{
	struct cft_dec d;
	size_t s;

	cft_dec_init(&d, 64);

	b.len = 0; /* shorter than the header */
	cft_u16(&b, 9);
	cft_u16(&b, 1);
	cft_u32(&b, 0);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NF9_SHORT], 1);

	hdr(1, 1); /* set length 3 */
	cft_u16(&b, 256);
	cft_u16(&b, 3);
	cft_u32(&b, 0xdeadbeef);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SET_BAD_LENGTH], 1);

	hdr(1, 2); /* set length past the datagram */
	cft_u16(&b, 0);
	cft_u16(&b, 400);
	cft_u32(&b, 0);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SET_BAD_LENGTH], 2);

	hdr(1, 3); /* field count past the set */
	s = cft_set_begin(&b, 0);
	cft_tpl_hdr(&b, 256, 30);
	cft_field(&b, 8, 4);
	cft_set_end(&b, s, 0);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_TRUNCATED], 1);

	hdr(1, 4); /* template id below 256 */
	s = cft_set_begin(&b, 0);
	cft_tpl_hdr(&b, 255, 1);
	cft_field(&b, 8, 4);
	cft_set_end(&b, s, 0);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_ID_LOW], 1);

	hdr(1, 5); /* every field 0 bytes long */
	s = cft_set_begin(&b, 0);
	cft_tpl_hdr(&b, 260, 2);
	cft_field(&b, 8, 0);
	cft_field(&b, 12, 0);
	cft_set_end(&b, s, 0);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_ZERO_LEN], 1);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_FIELD_LEN], 1); /* a 0-byte address */

	hdr(1, 6); /* reserved set id, then a good template: the template still counts */
	s = cft_set_begin(&b, 7);
	cft_u32(&b, 0);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 0);
	cft_tpl_hdr(&b, 261, 2);
	cft_field(&b, 8, 2);           /* an IPv4 address of 2 bytes: element skipped, template kept */
	cft_field(&b, 7, 2);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 261);
	cft_u16(&b, 0x0a0b);
	cft_u16(&b, 8080);
	cft_set_end(&b, s, 0);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SET_RESERVED], 1);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_FIELD_LEN], 2);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.out.recs[0].src_port, 8080);
	CU_ASSERT((d.out.recs[0].present & CF_RECORD_F_SRC_ADDR) == 0);

	hdr(1, 7); /* an all-zero tail is padding, not an error (Palo Alto) */
	s = cft_set_begin(&b, 261);
	cft_u16(&b, 1);
	cft_u16(&b, 1);
	cft_set_end(&b, s, 0);
	cft_u32(&b, 0);
	cft_u32(&b, 0);
	feed(&d, "198.51.100.7");
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_SET_BAD_LENGTH], 2);
	CU_ASSERT_EQUAL(cft_sink_count(&d.out), 2);
	cft_dec_fini(&d);
}

static const struct cft_case cases[] = {
	{"template_and_data", test_template_and_data},
	{"data_before_template", test_data_before_template},
	{"options_sampling", test_options_sampling},
	{"zero_length_scope", test_zero_length_scope},
	{"redefine_reduced_v6", test_redefine_reduced_v6},
	{"sequence", test_sequence},
	{"rejects", test_rejects},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("netflow_v9", cases);
}
