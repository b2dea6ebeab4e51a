/* SPDX-License-Identifier: BSD-3-Clause */
/* Template engine: element mapping, bounded caches, buffering of early data, unknown elements. */
#include <stdio.h>
#include <string.h>

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

	/* Same address, another domain, is another exporter; a third is refused. */
	CU_ASSERT_PTR_NOT_NULL(cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 2));
	cft_dgram_at(&dg, "192.0.2.3", 1000);
	CU_ASSERT_PTR_NULL(cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1));
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_TPL_EXPORTERS_FULL], 1);

	/* Once the timeout has passed, idle exporters and their templates make room. */
	cft_dgram_at(&dg, "192.0.2.3", 1000 + 1801 * 1000ull);
	CU_ASSERT_PTR_NOT_NULL(cf_tpl_exporter(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1));
	CU_ASSERT_EQUAL(d.stats.tpl_expired, 2);
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
 * One exporter table for both layers: a full table reclaims the slots that
 * are idle (no template, no waiting data, quiet for the template timeout),
 * never one holding a template; a reclaimed slot comes back with a new
 * generation and without the old exporter's template state.
 */
static void
test_slot_reuse(void)
{
	static const uint8_t opt_rec[] = {0, 0, 0, 1, 0, 0, 0, 100}; /* scope 1, interval 100 */
	static const uint8_t rec[] = {0x1f, 0x90, 0x01, 0xbb};
	const struct cf_tpl_field opt[] = {{0, 144, 4}, {0, 34, 4}};
	const struct cf_tpl_field f[] = {{0, 7, 2}, {0, 11, 2}};
	const uint64_t t0 = 1000, later = t0 + 61000;
	struct cf_tpl_msg m = {.export_ms = 1, .domain = 1, .version = CF_RECORD_V_IPFIX};
	struct cf_decode_exporter *e, *held, old[8], now;
	struct cf_tpl_exp *ex;
	struct cft_dec d;
	struct cf_decode_dgram dg;
	uint32_t slot[8], i;
	char ip[32];

	cft_dec_init_cfg(&d, 4, &(struct cft_dec_cfg){ .decode.max_exporters = 8,
						      .tpl.timeout_s = 60 });
	CU_ASSERT_EQUAL(d.ctx.idle_ms, 60000); /* expiry decided once: the template timeout */
	for (i = 0; i < 8; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%u", i + 1);
		cft_dgram_at(&dg, ip, t0);
		e = cf_decode_exporter_get(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		slot[i] = cf_decode_exporter_slot(&d.ctx, e);
		ex = cf_tpl_exp_get(&d.ctx, e, t0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
		if (i == 0) /* holds a template, refreshed below */
			CU_ASSERT_EQUAL(
				cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_DATA, f, 2, 0, t0),
				CF_STATS_DROP_MAX);
		if (i == 1) { /* learns a sampling rate, then withdraws its options template */
			CU_ASSERT_EQUAL(
				cf_tpl_define(&d.ctx, ex, 300, CF_TPL_KIND_OPTIONS, opt, 2, 1, t0),
				CF_STATS_DROP_MAX);
			cf_tpl_data_set(&d.ctx, ex, cf_tpl_find(&d.ctx, ex, 300, t0), &m, &dg,
					opt_rec, sizeof(opt_rec));
			CU_ASSERT_EQUAL(cf_tpl_withdraw(&d.ctx, ex, 300), 0);
			CU_ASSERT_EQUAL(e->held, 0);
		}
	}
	held = &d.ctx.exporters[slot[0]];
	CU_ASSERT_EQUAL(held->held, 1);
	for (i = 0; i < 8; i++)
		CU_ASSERT_EQUAL_FATAL(cf_decode_exporter_read(&d.ctx, slot[i], &old[i]), 1);

	/* Full, nobody quiet long enough: refused. */
	cft_dgram_at(&dg, "198.51.100.1", t0 + 30000);
	CU_ASSERT_PTR_NULL(cf_decode_exporter_get(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1));
	CU_ASSERT_EQUAL(d.stats.drops[CF_STATS_DROP_EXPORTER_TABLE_FULL], 1);

	/* Past the timeout: the seven quiet ones go, the one holding a template stays. */
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, cf_tpl_exp_get(&d.ctx, held, later - 10000), 256,
				      CF_TPL_KIND_DATA, f, 2, 0, later - 10000),
			CF_STATS_DROP_MAX);
	cft_dgram_at(&dg, "198.51.100.1", later);
	e = cf_decode_exporter_get(&d.ctx, &dg, CF_RECORD_V_IPFIX, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(d.ctx.n_exporters, 2);
	CU_ASSERT_EQUAL(held->live, 1);
	CU_ASSERT_EQUAL(held->gen, old[0].gen);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL_FATAL(cf_decode_exporter_read(&d.ctx, slot[i], &now), 1);
		if (slot[i] == cf_decode_exporter_slot(&d.ctx, e)) {
			/* Reused: a new identity, never the old exporter's. */
			CU_ASSERT_EQUAL(now.gen, old[i].gen + 2);
			CU_ASSERT(memcmp(now.addr, e->addr, 16) == 0);
			CU_ASSERT_EQUAL(now.dgrams, 1);
		} else {
			/* Not reused yet: still reads as the old exporter, with its last counters. */
			CU_ASSERT_EQUAL(now.gen, old[i].gen);
			CU_ASSERT(memcmp(now.addr, old[i].addr, 16) == 0);
			CU_ASSERT_EQUAL(now.dgrams, old[i].dgrams);
			CU_ASSERT_EQUAL(now.live, i == 0);
		}
	}

	/* rte_hash hands out freed positions first in, first out: the new exporter
	 * takes the slot of the one that had learnt a sampling rate... */
	CU_ASSERT_EQUAL(cf_decode_exporter_slot(&d.ctx, e), slot[1]);
	/* ...and its template state starts empty: no template, no rate. */
	ex = cf_tpl_exp_get(&d.ctx, e, later);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	CU_ASSERT_PTR_NULL(cf_tpl_find(&d.ctx, ex, 256, later));
	CU_ASSERT_EQUAL(cf_tpl_define(&d.ctx, ex, 256, CF_TPL_KIND_DATA, f, 2, 0, later),
			CF_STATS_DROP_MAX);
	cft_sink_reset(&d.out);
	cf_tpl_data_set(&d.ctx, ex, cf_tpl_find(&d.ctx, ex, 256, later), &m, &dg, rec, sizeof(rec));
	CU_ASSERT_EQUAL_FATAL(cft_sink_count(&d.out), 1);
	CU_ASSERT_EQUAL(d.out.recs[0].sampling_rate, 0);
	CU_ASSERT_EQUAL(d.out.recs[0].src_port, 8080);
	/* The exporter that kept its slot kept its template. */
	CU_ASSERT_PTR_NOT_NULL(
		cf_tpl_find(&d.ctx, cf_tpl_exp_get(&d.ctx, held, later), 256, later));
	cft_dec_fini(&d);
}

static const struct cft_case cases[] = {
	{"map", test_map},
	{"bounds", test_bounds},
	{"pending", test_pending},
	{"unknown", test_unknown},
	{"station_fallback", test_station_fallback},
	{"slot_reuse", test_slot_reuse},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("template", cases);
}
