/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands /clarion/stats, /clarion/exporters,
 * /clarion/templates[,<exporter>], and the HTTP /templates page; the
 * template state comes from lib/tpl's lock-free view (cf_tpl_view_take()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "cf_ctlplane_priv.h"
#include "cf_reload.h"
#include "cf_tpl.h"

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

/* The template view of every RX lcore, or NULL (no engine yet, or out of memory). */
static struct cf_tpl_view *
take_view(void)
{
	const struct cf_decode_ctx *dc[RTE_MAX_LCORE];
	struct cf_tpl_view *v;
	unsigned int i;

	pthread_mutex_lock(&cpl.lock);
	if (cpl.ctl == NULL) {
		pthread_mutex_unlock(&cpl.lock);
		return NULL;
	}
	for (i = 0; i < cpl.ctl->n_rx; i++)
		dc[i] = &cpl.ctl->rx[i]->dctx;
	v = cf_tpl_view_take(dc, cpl.ctl->n_rx);
	pthread_mutex_unlock(&cpl.lock);
	return v;
}

char *
cpl_templates_page(void *arg, const char *exporter, size_t *len)
{
	struct cf_tpl_view *v = take_view();
	char *body;

	(void)arg;
	if (v == NULL)
		return NULL;
	body = cf_tpl_view_json(v, exporter, len);
	cf_tpl_view_free(v);
	return body;
}

/* "id:len" or "pen/id:len", comma-separated, cut to fit a telemetry string. */
static void
fields_text(const struct cf_tpl_view *v, const struct cf_tpl_view_tpl *t, char *out, size_t cap)
{
	size_t n = 0;
	unsigned int j;

	out[0] = '\0';
	for (j = 0; j < t->n_fields; j++) {
		const struct cf_tpl_field *f = &v->fields[t->field + j];
		char one[32];
		int k = f->pen ? snprintf(one, sizeof(one), "%s%u/%u:%u", j ? "," : "", f->pen, f->id,
					  f->len)
			       : snprintf(one, sizeof(one), "%s%u:%u", j ? "," : "", f->id, f->len);

		if (n + (size_t)k + 4 >= cap) {
			snprintf(out + n, cap - n, ",...");
			return;
		}
		memcpy(out + n, one, (size_t)k + 1);
		n += (size_t)k;
	}
}

/*
 * /clarion/templates: the exporters holding templates (columns exporter,
 * version, domain, templates, pending_bytes, pending_sets, names) and four
 * template counters summed over the lcores; /clarion/templates,<address>: that
 * exporter's templates as columns (domain, id, kind, fields, first_seen_ms,
 * last_seen_ms, records). Columns: 22.11 nests only arrays in a dict.
 */
static int
tel_templates(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const enames[7] = { "exporter", "version", "domain", "templates",
					       "pending_bytes", "pending_sets", "names" };
	static const char *const tnames[7] = { "domain", "id", "kind", "fields",
					       "first_seen_ms", "last_seen_ms", "records" };
	const int one = params != NULL && params[0] != '\0';
	const char *const *names = one ? tnames : enames;
	struct rte_tel_data *col[7];
	struct cf_tpl_view *v;
	unsigned int c, i, k, rows = 0;

	(void)cmd;
	v = take_view();
	if (v == NULL)
		return -ENODEV;
	for (c = 0; c < 7; c++) {
		col[c] = rte_tel_data_alloc();
		if (col[c] == NULL) {
			while (c-- > 0)
				rte_tel_data_free(col[c]);
			cf_tpl_view_free(v);
			return -ENOMEM;
		}
		rte_tel_data_start_array(col[c], (one ? (c == 2 || c == 3) : c < 2)
							 ? RTE_TEL_STRING_VAL : RTE_TEL_U64_VAL);
	}
	for (i = 0; i < v->n_exp; i++) {
		const struct cf_tpl_view_exp *e = &v->exp[i];

		if (!one) {
			if (rows == RTE_TEL_MAX_ARRAY_ENTRIES)
				break;
			rte_tel_data_add_array_string(col[0], e->exporter);
			rte_tel_data_add_array_string(col[1], e->version == CF_RECORD_V_NF9
							      ? "netflow_v9" : "ipfix");
			rte_tel_data_add_array_u64(col[2], e->domain);
			rte_tel_data_add_array_u64(col[3], e->n);
			rte_tel_data_add_array_u64(col[4], e->pending_bytes);
			rte_tel_data_add_array_u64(col[5], e->pending_sets);
			rte_tel_data_add_array_u64(col[6], e->names);
			rows++;
			continue;
		}
		if (strcmp(e->exporter, params) != 0)
			continue;
		for (k = e->first; k < e->first + e->n && rows < RTE_TEL_MAX_ARRAY_ENTRIES; k++) {
			const struct cf_tpl_view_tpl *t = &v->tpl[k];
			char f[RTE_TEL_MAX_STRING_LEN];

			fields_text(v, t, f, sizeof(f));
			rte_tel_data_add_array_u64(col[0], e->domain);
			rte_tel_data_add_array_u64(col[1], t->tid);
			rte_tel_data_add_array_string(col[2], t->kind == CF_TPL_KIND_OPTIONS ? "options"
											      : "data");
			rte_tel_data_add_array_string(col[3], f);
			rte_tel_data_add_array_u64(col[4], t->first_ms);
			rte_tel_data_add_array_u64(col[5], t->last_ms);
			rte_tel_data_add_array_u64(col[6], t->records);
			rows++;
		}
	}
	cf_tpl_view_free(v);
	rte_tel_data_start_dict(d);
	if (!one) {
		/* the template counters of CF_STATS_COUNTER_TABLE, summed over the RX lcores */
		struct cf_stats_lcore t;

		pthread_mutex_lock(&cpl.lock);
		if (cpl.ctl != NULL) {
			cpl_sum_rx(&t);
			rte_tel_data_add_dict_u64(d, "templates_added", t.tpl_added);
			rte_tel_data_add_dict_u64(d, "templates_expired", t.tpl_expired);
			rte_tel_data_add_dict_u64(d, "template_waits", t.tpl_pending);
			rte_tel_data_add_dict_u64(d, "template_waits_decoded", t.tpl_pending_done);
		}
		pthread_mutex_unlock(&cpl.lock);
	}
	rte_tel_data_add_dict_u64(d, "rows", rows);
	for (c = 0; c < 7; c++)
		rte_tel_data_add_dict_container(d, names[c], col[c], 0);
	return 0;
}

/*
 * /clarion/reload: the same reload as SIGHUP's configuration part, done by the control
 * lcore (never this thread); answers result ok|rejected|timeout and its summary
 * (cut to a telemetry string; the log line has all of it). cpl.lock is not held while
 * waiting: the control lcore takes it itself.
 */
static int
tel_reload(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static pthread_mutex_t one = PTHREAD_MUTEX_INITIALIZER;
	char out[2200];
	int rc;

	(void)cmd;
	(void)params;
	if (cpl.ctl == NULL)
		return -ENODEV;
	pthread_mutex_lock(&one);
	rc = cf_control_reload_request(out, sizeof(out), 5000);
	pthread_mutex_unlock(&one);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "result", rc == 0 ? "ok" : rc == -1 ? "rejected" :
				     "timeout");
	out[RTE_TEL_MAX_STRING_LEN - 1] = '\0';
	rte_tel_data_add_dict_string(d, "detail", out);
	rte_tel_data_add_dict_u64(d, "reloads_ok", cf_reload_count(1));
	rte_tel_data_add_dict_u64(d, "reloads_failed", cf_reload_count(0));
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
				       "v9/IPFIX exporters holding templates (columns); "
				       "parameter: an exporter address, its templates") != 0 ||
	    rte_telemetry_register_cmd("/clarion/reload", tel_reload,
				       "Reload the configuration file, as SIGHUP does. No "
				       "parameters") != 0)
		return -1;
	return 0;
}
