/* SPDX-License-Identifier: BSD-3-Clause */
/* Template engine: element mapping, bounded caches, buffering of early data, unknown elements. */
#include <stdio.h>
#include <string.h>

#include "cf_dispatch.h"
#include "cf_test.h"
#include "cf_test_msg.h"
#include "cf_tpl.h"
#include "cf_tpl_dst.h"

static void
test_map(void)
{
	/* SGT: v9 34000/34001 (2 or 4 bytes), IPFIX Cisco PEN 9 1232/1233; never IANA 411/412. */
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_NF9, 0, 34000, 2), CF_TPL_D_SGT_SRC);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_NF9, 0, 34001, 4), CF_TPL_D_SGT_DST);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 9, 1232, 2), CF_TPL_D_SGT_SRC);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 9, 1233, 4), CF_TPL_D_SGT_DST);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 0, 411, 4), CF_TPL_D_SKIP);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 0, 412, 4), CF_TPL_D_SKIP);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 0, 1232, 2), CF_TPL_D_SKIP);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 9, 34000, 2), CF_TPL_D_SKIP);
	/* Reduced-size encoding: any 1..8 bytes for counters; addresses exactly. */
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 0, 1, 3), CF_TPL_D_BYTES);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 0, 1, 9), CF_TPL_D_BADLEN);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 0, 8, 2), CF_TPL_D_BADLEN);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 0, 27, 16), CF_TPL_D_SRC6);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 0, 154, 4), CF_TPL_D_BADLEN);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 0, 56, CF_TPL_VARLEN), CF_TPL_D_BADLEN);
	/* Cisco WLC: the station stands in for a missing source. */
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_NF9, 0, 366, 4), CF_TPL_D_STA4);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_NF9, 0, 365, 6), CF_TPL_D_STA_MAC);
	/* VLAN: vlanId, dot1qVlanId (fallback), postVlanId. */
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 0, 58, 2), CF_TPL_D_VLAN);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 0, 243, 2), CF_TPL_D_VLAN_DOT1Q);
	CU_ASSERT_EQUAL(cf_tpl_map(CF_RECORD_V_IPFIX, 0, 59, 2), CF_TPL_D_POST_VLAN);
}

/* Limits: templates per exporter and exporters per lcore; refusals are counted. */
static void
test_bounds(void)
{
	const struct cf_tpl_field f[] = {{0, 7, 2}, {0, 11, 2}};
	struct cft_dec d;
	struct cf_decode_dgram dg;
	struct cf_tpl_exp *ex;

	cft_dec_init_cfg(&d, 4, &(struct cft_dec_cfg){ .tpl = { .max_per_exporter = 2,
								 .max_exporters = 2 } });
	cft_dgram_at(&dg, "192.0.2.1", 1000);
	ex = cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_DATA, f, 2, 0, 1000),
			CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 257, CF_TPL_KIND_DATA, f, 2, 0, 1000),
			CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 258, CF_TPL_KIND_DATA, f, 2, 0, 1000),
			CF_STATS_DROP_TPL_PER_EXPORTER_FULL);
	/* Redefining a held one is not a new template. */
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 257, CF_TPL_KIND_DATA, f, 1, 0, 1000),
			CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_PER_EXPORTER_FULL], 1);
	CU_ASSERT_EQUAL(cf_tpl_find(&d.ctx, ex, 257, 1000)->n_steps, 1);
	CU_ASSERT_PTR_NULL(cf_tpl_find(&d.ctx, ex, 258, 1000));

	/* Same address, another domain, is another exporter; a third takes the least recent's room. */
	CU_ASSERT_PTR_NOT_NULL(cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 2));
	cft_dgram_at(&dg, "192.0.2.3", 1000);
	CU_ASSERT_PTR_NOT_NULL(cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1));
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_EXPORTERS_FULL], 0);
	CU_ASSERT_EQUAL(d.stats.tpl_exporters_evicted, 1);
	CU_ASSERT_EQUAL(d.stats.tpl_evicted, 2);
	cft_dec_fini(&d);
}

/* Data waiting for its template: bounded per exporter, aged out as no_template. */
static void
test_pending(void)
{
	static uint8_t set[4000];
	/* 8-byte records: at most one record per 8 bytes of a set decodes (CF_TPL_MIN_RECORD_BYTES) */
	const struct cf_tpl_field f[] = {{0, 7, 2}, {0, 11, 2}, {0, 1, 4}};
	struct cf_tpl_msg m = {.export_ms = 1, .domain = 1, .version = CF_RECORD_V_IPFIX};
	struct cft_dec d;
	struct cf_decode_dgram dg;
	struct cf_tpl_exp *ex;
	unsigned int i;

	cft_dec_init_cfg(&d, 2048, &(struct cft_dec_cfg){ .tpl = { .pending_bytes = 10000,
								  .pending_s = 10 } });
	for (i = 0; i < sizeof(set); i += 2) {
		set[i] = 0;
		set[i + 1] = (uint8_t)(i / 4);
	}
	cft_dgram_at(&dg, "192.0.2.1", 5000);
	ex = cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	CU_ASSERT_EQUAL(cf_tpl_pending_add(&d.ctx, ex, 256, &m, set, 4000, 5000), 0);
	CU_ASSERT_EQUAL(cf_tpl_pending_add(&d.ctx, ex, 257, &m, set, 4000, 5000), 0);
	/* 12000 bytes would pass the exporter's 10000 */
	CU_ASSERT_EQUAL(cf_tpl_pending_add(&d.ctx, ex, 258, &m, set, 4000, 5000), -1);
	CU_ASSERT_EQUAL(d.stats.tpl_pending, 2);

	/* 256's template comes: its 500 records decode, in order. */
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_DATA, f, 3, 0, 6000),
			CF_STATS_DROP_MAX);
	dg.now_ms = 6000;
	cf_tpl_pending_run(&d.ctx, ex, 256, &dg);
	CU_ASSERT_EQUAL(d.stats.tpl_pending_done, 1);
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 500);
	CU_ASSERT_EQUAL(d.out.recs[499].dst_port, (uint8_t)(3994 / 4));
	CU_ASSERT_EQUAL(d.out.recs[498].src_port, (uint8_t)(3984 / 4));

	/* 257's never comes: aged out after 10 s. */
	cf_tpl_tick(&d.ctx, 14000);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NO_TEMPLATE], 0);
	cf_tpl_tick(&d.ctx, 15001);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NO_TEMPLATE], 1);
	CU_ASSERT_EQUAL(cf_tpl_pending_add(&d.ctx, ex, 258, &m, set, 4000, 16000), 0);
	cft_dec_fini(&d);
}

/* Unknown elements counted per (PEN, id), once per template definition. */
static void
test_unknown(void)
{
	/* 89 forwardingStatus: not mapped */
	const struct cf_tpl_field f[] = {{0, 7, 2}, {0, 89, 4}, {6876, 888, 4}, {0, 89, 4}};
	struct cft_dec d;
	struct cf_decode_dgram dg;
	struct cf_tpl_exp *ex;
	struct cf_tpl_cache *all[1];

	cft_dgram_at(&dg, "192.0.2.1", 1000);
	cft_dec_init(&d, 4);
	ex = cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_DATA, f, 4, 0, 1000),
			CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_DATA, f, 3, 0, 1000),
			CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(cf_tpl_unknown_count(d.ctx.tpl, 0, 89), 3);
	CU_ASSERT_EQUAL(cf_tpl_unknown_count(d.ctx.tpl, 6876, 888), 2);
	CU_ASSERT_EQUAL(cf_tpl_unknown_count(d.ctx.tpl, 0, 7), 0);
	CU_ASSERT_EQUAL(d.stats.unknown_elements, 5);
	all[0] = d.ctx.tpl;
	cf_tpl_unknown_print(stderr, all, 1);
	/* The fixed program holds only mapped steps; unknown ones are skipped by offset. */
	CU_ASSERT_EQUAL(cf_tpl_find(&d.ctx, ex, 256, 1000)->n_steps, 1);
	CU_ASSERT_EQUAL(cf_tpl_find(&d.ctx, ex, 256, 1000)->rec_len, 10);
	cft_dec_fini(&d);
}

/*
 * The same template again is a refresh: compared, not recompiled (the unknown
 * element is not counted again), not a replacement; the slot keeps its seq,
 * first_ms and records and only its time moves. Other fields, another kind or
 * another scope are a redefinition.
 */
static void
test_refresh(void)
{
	/* 89 forwardingStatus: not mapped, so a compile counts it */
	const struct cf_tpl_field f[] = {{0, 7, 2}, {0, 11, 2}, {0, 89, 4}};
	const struct cf_tpl_field g[] = {{0, 7, 2}, {0, 11, 2}, {0, 89, 2}};
	const struct cf_tpl *t;
	struct cf_decode_dgram dg;
	struct cf_tpl_exp *ex;
	struct cft_dec d;
	uint32_t seq;

	cft_dec_init_cfg(&d, 4, &(struct cft_dec_cfg){ .tpl = { .timeout_s = 60 } });
	cft_dgram_at(&dg, "192.0.2.1", 1000);
	ex = cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_DATA, f, 3, 0, 1000),
			CF_STATS_DROP_MAX);
	t = cf_tpl_find(&d.ctx, ex, 256, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	seq = t->seq;
	((struct cf_tpl *)t)->records = 7; /* as if 7 records had been decoded */

	/* 50 s later, the same fields: a refresh */
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_DATA, f, 3, 0, 51000),
			CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(d.stats.tpl_added, 1);
	CU_ASSERT_EQUAL(d.stats.tpl_refreshed, 1);
	CU_ASSERT_EQUAL(d.stats.tpl_replaced, 0);
	CU_ASSERT_EQUAL(d.stats.unknown_elements, 1);
	CU_ASSERT_EQUAL(t->seq, seq);
	CU_ASSERT_EQUAL(t->first_ms, 1000);
	CU_ASSERT_EQUAL(t->last_ms, 51000);
	CU_ASSERT_EQUAL(t->records, 7);
	/* the refresh restarted the 60 s timeout: held at 100 s, gone after 111 s */
	CU_ASSERT_PTR_EQUAL(cf_tpl_find(&d.ctx, ex, 256, 100000), t);
	CU_ASSERT_EQUAL(d.stats.tpl_expired, 0);

	/* one length changed: recompiled, a replacement, a new layout and seq */
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_DATA, g, 3, 0, 101000),
			CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(d.stats.tpl_replaced, 1);
	CU_ASSERT_EQUAL(d.stats.tpl_refreshed, 1);
	CU_ASSERT_EQUAL(d.stats.unknown_elements, 2);
	CU_ASSERT_NOT_EQUAL(t->seq, seq);
	CU_ASSERT_EQUAL(t->first_ms, 101000);
	CU_ASSERT_EQUAL(t->records, 0);
	/* the same fields as options (scope 1), then with another scope: redefinitions */
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_OPTIONS, g, 3, 1, 101000),
			CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(t->kind, CF_TPL_KIND_OPTIONS);
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_OPTIONS, g, 3, 2, 101000),
			CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(d.stats.tpl_replaced, 3);
	CU_ASSERT_EQUAL(d.stats.tpl_refreshed, 1);
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_OPTIONS, g, 3, 2, 101000),
			CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(d.stats.tpl_replaced, 3);
	CU_ASSERT_EQUAL(d.stats.tpl_refreshed, 2);
	CU_ASSERT_EQUAL(d.stats.tpl_added, 1);
	/* a refused definition of a held id is not a refresh either */
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_OPTIONS, g, 3, 4, 101000),
			CF_STATS_DROP_TPL_BAD_SCOPE);
	CU_ASSERT_EQUAL(d.stats.tpl_refreshed, 2);
	/* no refresh for 60 s: expired */
	CU_ASSERT_PTR_NULL(cf_tpl_find(&d.ctx, ex, 256, 161001));
	CU_ASSERT_EQUAL(d.stats.tpl_expired, 1);
	cft_dec_fini(&d);
}

/* staIPv4Address/staMacAddress fill the source only when the template has none. */
static void
test_station_fallback(void)
{
	static const uint8_t rec[] = {192, 168, 20, 121, 0x34, 0x02, 0x86, 0x75, 0xc0, 0x51,
				      10, 0, 0, 1};
	const struct cf_tpl_field with_src[] = {{0, 366, 4}, {0, 365, 6}, {0, 8, 4}};
	const struct cf_tpl_field sta_only[] = {{0, 366, 4}, {0, 365, 6}, {0, 12, 4}};
	struct cf_tpl_msg m = {.export_ms = 1, .domain = 1, .version = CF_RECORD_V_NF9};
	struct cft_dec d;
	struct cf_decode_dgram dg;
	struct cf_tpl_exp *ex;

	cft_dgram_at(&dg, "192.0.2.1", 1000);
	cft_dec_init(&d, 4);
	ex = cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_NF9, 1);
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_DATA, with_src, 3, 0, 1000),
			CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 257, CF_TPL_KIND_DATA, sta_only, 3, 0, 1000),
			CF_STATS_DROP_MAX);
	cf_tpl_data_set(&d.ctx, ex, cf_tpl_find(&d.ctx, ex, 256, 1000), &m, &dg, rec, sizeof(rec));
	cf_tpl_data_set(&d.ctx, ex, cf_tpl_find(&d.ctx, ex, 257, 1000), &m, &dg, rec, sizeof(rec));
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 2);
	CU_ASSERT(memcmp(d.out.recs[0].src_addr, rec + 10, 4) == 0);
	CU_ASSERT(memcmp(d.out.recs[1].src_addr, rec, 4) == 0);
	CU_ASSERT(memcmp(d.out.recs[1].dst_addr, rec + 10, 4) == 0);
	CU_ASSERT(memcmp(d.out.recs[0].src_mac, rec + 4, 6) == 0);
	CU_ASSERT(d.out.recs[1].present & CF_RECORD_F_SRC_ADDR);
	cft_dec_fini(&d);
}

/*
 * One IPFIX message from src: template 256 {srcPort, dstPort, packetDeltaCount/4} when tpl,
 * then n records (8 bytes each: the smallest record the amplification bound decodes).
 */
static void
ipfix_send(struct cft_dec *d, const char *src, uint32_t domain, uint64_t now_ms, int tpl,
	   unsigned int n, uint16_t tag)
{
	static struct cft_buf b;
	struct cf_decode_dgram dg;
	unsigned int i;
	size_t s;

	cft_ipfix_hdr(&b, 1000, 0, domain);
	if (tpl) {
		s = cft_set_begin(&b, CFT_SET_IPFIX_TPL);
		cft_tpl_hdr(&b, 256, 3);
		cft_field(&b, 7, 2);
		cft_field(&b, 11, 2);
		cft_field(&b, 2, 4);
		cft_set_end(&b, s, 0);
	}
	if (n != 0) {
		s = cft_set_begin(&b, 256);
		for (i = 0; i < n; i++) {
			cft_u16(&b, tag);
			cft_u16(&b, (uint16_t)i);
			cft_u32(&b, 1);
		}
		cft_set_end(&b, s, 0);
	}
	cft_ipfix_end(&b);
	cft_dgram_at(&dg, src, now_ms);
	dg.data = b.b;
	dg.len = (uint32_t)b.len;
	cf_dispatch_datagram(&d->ctx, &dg);
}

/* Records in the sink tagged 1 and 2 (their source port) added to got[], then the sink is emptied. */
static void
take_tagged(struct cft_dec *d, unsigned int got[3])
{
	unsigned int i;

	for (i = 0; i < cft_sink_count(&d->out); i++)
		got[d->out.recs[i].src_port <= 2 ? d->out.recs[i].src_port : 0]++;
	cft_sink_reset(&d->out);
}

/*
 * A flood of new (address, domain) pairs, each a header with a template set,
 * fills both tables many times over. Admission is O(1) and least recently
 * used: an exporter that sends data keeps its templates through the flood, a
 * real exporter that starts during it is admitted, and every one of their
 * records is decoded, during the flood and after. Evictions are counted.
 */
static void
test_flood_lru(void)
{
	unsigned int i, got[3] = {0, 0, 0}, want_r = 6, want_n = 0;
	struct cft_dec d;
	uint64_t t = 1000;
	char ip[32];

	cft_dec_init_cfg(&d, 4096, &(struct cft_dec_cfg){ .decode.max_exporters = 64,
						       .tpl.max_exporters = 16 });
	/* The real exporter: template with data, then data alone (it is protected now). */
	ipfix_send(&d, "192.0.2.1", 1, t, 1, 3, 1);
	ipfix_send(&d, "192.0.2.1", 1, t, 0, 3, 1);
	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		ipfix_send(&d, ip, i, ++t, 1, 0, 0);
		if (i % 10 == 0) { /* the real exporter keeps sending data */
			ipfix_send(&d, "192.0.2.1", 1, t, 0, 3, 1);
			want_r += 3;
		}
		/* A second one starts in the middle of the flood; its template comes every 50 datagrams. */
		if (i >= 2500 && i % 10 == 5) {
			ipfix_send(&d, "192.0.2.2", 7, t, i % 500 == 5, 2, 2);
			want_n += 2;
		}
		take_tagged(&d, got);
	}
	CU_ASSERT_EQUAL(got[1], want_r);
	CU_ASSERT_EQUAL(got[2], want_n);
	/* After the flood: both still decode. */
	ipfix_send(&d, "192.0.2.1", 1, ++t, 0, 3, 1);
	ipfix_send(&d, "192.0.2.2", 7, t, 0, 2, 2);
	take_tagged(&d, got);
	CU_ASSERT_EQUAL(got[1], want_r + 3);
	CU_ASSERT_EQUAL(got[2], want_n + 2);
	CU_ASSERT(d.stats.exporters_evicted >= 5000 - 64);
	CU_ASSERT(d.stats.tpl_exporters_evicted >= 5000 - 16);
	CU_ASSERT_EQUAL(d.stats.tpl_evicted, d.stats.tpl_exporters_evicted);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_EXPORTERS_FULL], 0);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_EXPORTER_TABLE_FULL], 0);
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_NO_TEMPLATE], 0);
	CU_ASSERT(d.ctx.n_exporters <= 64);
	cft_dec_fini(&d);
}

/*
 * An exporter the exporter table evicts takes its template state along: the
 * slot's next exporter starts with no template and no sampling rate, and
 * its generation moved, so no reader takes it for the old one.
 */
static void
test_slot_reuse(void)
{
	static const uint8_t opt_rec[] = {0, 0, 0, 1, 0, 0, 0, 100}; /* scope 1, interval 100 */
	static const uint8_t rec[] = {0x1f, 0x90, 0x01, 0xbb};
	const struct cf_tpl_field opt[] = {{0, 144, 4}, {0, 34, 4}};
	const struct cf_tpl_field f[] = {{0, 7, 2}, {0, 11, 2}};
	struct cf_tpl_msg m = {.export_ms = 1, .domain = 1, .version = CF_RECORD_V_IPFIX};
	struct cf_decode_exporter *e, old, now;
	struct cf_tpl_exp *ex;
	struct cft_dec d;
	struct cf_decode_dgram dg;
	uint32_t slot0, i, n_slots = 0;
	char ip[32];

	cft_dec_init_cfg(&d, 4, &(struct cft_dec_cfg){ .decode.max_exporters = 8 });
	/* The first exporter learns a sampling rate and holds a template; it is the least recent. */
	cft_dgram_at(&dg, "192.0.2.1", 1000);
	e = cf_decode_exporter_get(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	slot0 = cf_decode_exporter_slot(&d.ctx, e);
	ex = cf_tpl_exp_get(&d.ctx, e, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 300, CF_TPL_KIND_OPTIONS, opt, 2, 1, 1000),
			CF_STATS_DROP_MAX);
	cf_tpl_data_set(&d.ctx, ex, cf_tpl_find(&d.ctx, ex, 300, 1000), &m, &dg, opt_rec,
			sizeof(opt_rec));
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_DATA, f, 2, 0, 1000),
			CF_STATS_DROP_MAX);
	CU_ASSERT_EQUAL_FATAL(cf_decode_exporter_read(&d.ctx, slot0, &old), 1);
	for (i = 0; i < 7; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%u", i + 2);
		cft_dgram_at(&dg, ip, 2000 + i);
		CU_ASSERT_PTR_NOT_NULL(cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1));
	}
	CU_ASSERT_EQUAL(d.stats.exporters_evicted, 0);
	/* Full: a ninth exporter is admitted, the least recently used gives way. */
	cft_dgram_at(&dg, "198.51.100.1", 3000);
	e = cf_decode_exporter_get(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(d.stats.exporters_evicted, 1);
	CU_ASSERT_EQUAL(d.stats.tpl_exporters_evicted, 1);
	CU_ASSERT_EQUAL(d.stats.tpl_evicted, 2);
	CU_ASSERT_EQUAL(d.ctx.n_exporters, 8);
	/* The evicted slot reads as its old exporter, no longer live, until it is reused. */
	CU_ASSERT_EQUAL_FATAL(cf_decode_exporter_read(&d.ctx, slot0, &now), 1);
	CU_ASSERT_EQUAL(now.live, 0);
	CU_ASSERT_EQUAL(now.gen, old.gen);
	CU_ASSERT(memcmp(now.addr, old.addr, 16) == 0);
	/* The newcomer's slot holds a whole new identity. */
	CU_ASSERT_EQUAL_FATAL(cf_decode_exporter_read(&d.ctx, cf_decode_exporter_slot(&d.ctx, e),
						     &now), 1);
	CU_ASSERT_EQUAL(now.live, 1);
	CU_ASSERT_EQUAL(now.gen & 1, 0);
	CU_ASSERT(memcmp(now.addr, e->addr, 16) == 0);
	CU_ASSERT_EQUAL(now.dgrams, 1);
	/* Its template state starts empty: no template, no rate. */
	ex = cf_tpl_exp_get(&d.ctx, e, 3000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	CU_ASSERT_PTR_NULL(cf_tpl_find(&d.ctx, ex, 256, 3000));
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_DATA, f, 2, 0, 3000),
			CF_STATS_DROP_MAX);
	cft_sink_reset(&d.out);
	cf_tpl_data_set(&d.ctx, ex, cf_tpl_find(&d.ctx, ex, 256, 3000), &m, &dg, rec, sizeof(rec));
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.out.recs[0].sampling_rate, 0);
	CU_ASSERT_EQUAL(d.out.recs[0].src_port, 8080);
	/* Slots are handed out until every one was used once; then the evicted ones come back. */
	for (i = 0; i < cf_decode_exporter_slots(&d.ctx); i++)
		n_slots += cf_decode_exporter_read(&d.ctx, i, &now) != 0;
	CU_ASSERT(n_slots >= 9);
	/* The evicted exporter comes back as a new one, in another slot. */
	cft_dgram_at(&dg, "192.0.2.1", 4000);
	e = cf_decode_exporter_get(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->dgrams, 1);
	cft_dec_fini(&d);
}

/* IPFIX "withdraw all" walks the exporter's own templates: other exporters keep theirs. */
static void
test_withdraw_all_own(void)
{
	const struct cf_tpl_field f[] = {{0, 7, 2}, {0, 11, 2}};
	struct cf_tpl_exp *a, *b;
	struct cf_decode_dgram dg;
	struct cft_dec d;
	uint16_t tid;

	cft_dec_init(&d, 4);
	cft_dgram_at(&dg, "192.0.2.1", 1000);
	a = cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
	cft_dgram_at(&dg, "192.0.2.2", 1000);
	b = cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	for (tid = 256; tid < 266; tid++) {
		cf_tpl_define(&d.ctx, a, tid, tid & 1 ? CF_TPL_KIND_OPTIONS : CF_TPL_KIND_DATA, f, 2,
			      1, 1000);
		cf_tpl_define(&d.ctx, b, tid, CF_TPL_KIND_DATA, f, 2, 0, 1000);
	}
	CU_ASSERT_EQUAL(cf_tpl_withdraw_all(&d.ctx, a, CF_TPL_KIND_DATA), 5);
	CU_ASSERT_PTR_NULL(cf_tpl_find(&d.ctx, a, 256, 1000));
	CU_ASSERT_PTR_NOT_NULL(cf_tpl_find(&d.ctx, a, 257, 1000));
	CU_ASSERT_EQUAL(cf_tpl_withdraw(&d.ctx, a, 259), 0);
	CU_ASSERT_EQUAL(cf_tpl_withdraw_all(&d.ctx, a, CF_TPL_KIND_OPTIONS), 4);
	CU_ASSERT_EQUAL(cf_tpl_withdraw_all(&d.ctx, a, CF_TPL_KIND_OPTIONS), 0);
	for (tid = 256; tid < 266; tid++)
		CU_ASSERT_PTR_NOT_NULL(cf_tpl_find(&d.ctx, b, tid, 1000));
	cft_dec_fini(&d);
}

static const struct cft_case cases[] = {
	{"map", test_map},
	{"bounds", test_bounds},
	{"pending", test_pending},
	{"unknown", test_unknown},
	{"refresh", test_refresh},
	{"station_fallback", test_station_fallback},
	{"slot_reuse", test_slot_reuse},
	{"flood_lru", test_flood_lru},
	{"withdraw_all_own", test_withdraw_all_own},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("template", cases);
}
