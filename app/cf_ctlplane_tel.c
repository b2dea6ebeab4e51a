/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK telemetry commands /clarion/stats, /clarion/exporters, /clarion/templates. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "cf_ctlplane_priv.h"

/* Keys tel_stats adds beside the table's: records_output, output_failed,
 * sequence_lost, exporters, rx_lcores. A full dict drops keys silently. */
#define TEL_STATS_EXTRA 5
_Static_assert(CF_STATS_COUNTER_MAX + CF_STATS_PROTO_MAX + CF_STATS_DROP_MAX + TEL_STATS_EXTRA <=
		       RTE_TEL_MAX_DICT_ENTRIES,
	       "/clarion/stats outgrew a telemetry dict");

/* Every CF_STATS_COUNTER_TABLE row with a telemetry key, summed over the RX lcores,
 * datagrams by protocol, output and exporter totals, and drop_<reason>. */
static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct cf_stats_lcore t;
	const struct cf_output *o;
	uint64_t exporters, folded;
	char key[64];
	unsigned int i, c;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&cpl.lock);
	if (cpl.ctl == NULL) {
		pthread_mutex_unlock(&cpl.lock);
		return -ENODEV;
	}
	cpl_sum_rx(&t);
	cf_decode_metrics_counts(cpl.exporters, &exporters, &folded);
	o = cpl.ctl->out;
	rte_tel_data_start_dict(d);
	for (c = 0; c < CF_STATS_COUNTER_MAX; c++) {
		const struct cf_stats_counter_info *ci = cf_stats_counter_info(c);

		if (ci->tel_key != NULL)
			rte_tel_data_add_dict_u64(d, ci->tel_key, cf_stats_counter_value(&t, c));
	}
	for (i = 0; i < CF_STATS_PROTO_MAX; i++) {
		snprintf(key, sizeof(key), "datagrams_%s", cf_stats_proto_name(i));
		rte_tel_data_add_dict_u64(d, key, t.dgrams[i]);
	}
	rte_tel_data_add_dict_u64(d, "records_output", o ? o->stats.records : 0);
	rte_tel_data_add_dict_u64(d, "output_failed", o ? o->stats.failed : 0);
	rte_tel_data_add_dict_u64(d, "sequence_lost", t.seq_lost > t.seq_late ?
				  t.seq_lost - t.seq_late : 0);
	rte_tel_data_add_dict_u64(d, "exporters", exporters);
	rte_tel_data_add_dict_u64(d, "rx_lcores", cpl.ctl->n_rx);
	for (i = 0; i < CF_STATS_DROP_MAX; i++) {
		snprintf(key, sizeof(key), "drop_%s", cf_stats_drop_name(i));
		rte_tel_data_add_dict_u64(d, key, t.drops[i]);
	}
	pthread_mutex_unlock(&cpl.lock);
	return 0;
}

/* Columns rather than one dict per exporter: 22.11 nests only arrays in a dict. */
static int
tel_exporters(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *col[7];
	static const char *const names[7] = { "exporter", "version", "domain", "datagrams",
					      "records", "lost_records", "last_seen_ms" };
	static struct cf_decode_exp_row rows[RTE_TEL_MAX_ARRAY_ENTRIES]; /* under cpl.lock */
	uint64_t exporters, folded;
	unsigned int c, k, n;

	(void)cmd;
	(void)params;
	for (c = 0; c < 7; c++) {
		col[c] = rte_tel_data_alloc();
		if (col[c] == NULL) {
			while (c-- > 0)
				rte_tel_data_free(col[c]);
			return -ENOMEM;
		}
		rte_tel_data_start_array(col[c], c < 2 ? RTE_TEL_STRING_VAL : RTE_TEL_U64_VAL);
	}
	pthread_mutex_lock(&cpl.lock);
	if (cpl.ctl == NULL) {
		pthread_mutex_unlock(&cpl.lock);
		for (c = 0; c < 7; c++)
			rte_tel_data_free(col[c]);
		return -ENODEV;
	}
	n = cf_decode_metrics_rows(cpl.exporters, rows, RTE_TEL_MAX_ARRAY_ENTRIES);
	cf_decode_metrics_counts(cpl.exporters, &exporters, &folded);
	for (k = 0; k < n; k++) {
		rte_tel_data_add_array_string(col[0], rows[k].exporter);
		rte_tel_data_add_array_string(col[1], rows[k].version);
		rte_tel_data_add_array_u64(col[2], rows[k].domain);
		rte_tel_data_add_array_u64(col[3], rows[k].dgrams);
		rte_tel_data_add_array_u64(col[4], rows[k].records);
		rte_tel_data_add_array_u64(col[5], rows[k].lost);
		rte_tel_data_add_array_u64(col[6], rows[k].last_seen_ms);
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "count", exporters);
	rte_tel_data_add_dict_u64(d, "folded_into_other", folded);
	pthread_mutex_unlock(&cpl.lock);
	for (c = 0; c < 7; c++)
		rte_tel_data_add_dict_container(d, names[c], col[c], 0);
	return 0;
}

/*
 * Every /metrics family whose name starts with clarion_flowd_template, one key
 * per sample: today the per-lcore template counters of CF_STATS_COUNTER_TABLE
 * (templates_added_total/<lcore>, template_waits_total/<lcore>, ...), which
 * read 0 until a v9/IPFIX template has been seen; a provider that registers
 * more such families (the template cache) shows up here with no change.
 * "none" means no such family has a sample: none is registered (or no RX lcore).
 */
static int
tel_templates(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char prefix[] = "clarion_flowd_template";
	struct cf_metrics_builder *b = cf_metrics_builder_new();
	unsigned int f, s, k, entries = 0;

	(void)cmd;
	(void)params;
	if (b == NULL)
		return -ENOMEM;
	cf_metrics_collect(b);
	rte_tel_data_start_dict(d);
	for (f = 0; f < cf_metrics_n_families(b); f++) {
		const char *name = cf_metrics_family_name(b, f);

		if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
			continue;
		for (s = 0;
		     s < cf_metrics_n_samples(b, f) && entries < RTE_TEL_MAX_DICT_ENTRIES - 1;
		     s++) {
			char key[RTE_TEL_MAX_STRING_LEN], *p;
			const struct cf_metrics_label *l;
			size_t len;

			snprintf(key, sizeof(key), "%s", name + strlen("clarion_flowd_"));
			for (k = 0; (l = cf_metrics_sample_label(b, f, s, k)) != NULL; k++) {
				len = strlen(key);
				snprintf(key + len, sizeof(key) - len, "/%s", l->value);
			}
			/* Telemetry keys allow only [A-Za-z0-9_/]. */
			for (p = key; *p; p++)
				if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				      (*p >= '0' && *p <= '9') || *p == '/'))
					*p = '_';
			rte_tel_data_add_dict_u64(d, key,
						  (uint64_t)cf_metrics_sample_value(b, f, s));
			entries++;
		}
	}
	if (entries == 0)
		rte_tel_data_add_dict_string(d, "templates",
					     "none: no clarion_flowd_template* family registered");
	cf_metrics_builder_free(b);
	return 0;
}

int
cpl_telemetry_register(void)
{
	if (rte_telemetry_register_cmd("/clarion/stats", tel_stats,
				       "Collector totals and drops by reason. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/clarion/exporters", tel_exporters,
				       "Exporters (columns). No parameters") != 0 ||
	    rte_telemetry_register_cmd("/clarion/templates", tel_templates,
				       "Template caches of the v9/IPFIX decoders. No parameters") != 0)
		return -1;
	return 0;
}
