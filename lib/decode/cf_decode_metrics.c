/* SPDX-License-Identifier: BSD-3-Clause */
/* Exporters as clarion_flowd_exporter* metrics (control-plane threads only). */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "cf_decode.h"
#include "cf_decode_metrics.h"
#include "cf_metrics.h"

#define UNSEEN UINT32_MAX
#define OTHER (UINT32_MAX - 1)

struct vals {
	uint64_t dgrams, records, lost, last_seen_ms, rate_limited;
};

struct series {
	uint8_t addr[16];
	uint8_t v6;
	uint8_t version;
	uint32_t domain;
	char addr_str[INET6_ADDRSTRLEN];
	struct vals retired;       /* what identities that left their slot had counted */
};

/* What this state knows of one exporter slot: the identity it noticed there. */
struct slot {
	uint32_t series;           /* series index, OTHER, or UNSEEN */
	uint32_t gen;              /* that identity's generation */
	struct vals last;          /* its values at the last scan */
};

struct lcore {
	const struct cf_decode_ctx *ctx;
	unsigned int lcore_id;
	uint32_t n_slots;
	struct slot *slot;
	uint32_t *seen;            /* slots noticed, in order: scans refresh these only */
	uint32_t n_seen;
	uint64_t changes;          /* cf_decode_exporter_changes() at the last walk of the table */
	uint32_t waiting;          /* slots the last walk could not take yet */
};

struct cf_decode_metrics {
	pthread_mutex_t lock;
	cf_decode_log_fn *log;
	unsigned int n_lcores;
	struct lcore *lc;
	struct series *series;
	uint32_t n_series, max_series;
	struct vals other_retired;
	uint64_t n_exporters, n_folded;
	struct vals *acc;          /* scratch: n_series + 1 ("other") */
};

static void
logf_(struct cf_decode_metrics *m, uint32_t level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
logf_(struct cf_decode_metrics *m, uint32_t level, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (m->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	m->log(level, line);
}

void
cf_decode_metrics_free(struct cf_decode_metrics *m)
{
	unsigned int i;

	if (m == NULL)
		return;
	for (i = 0; m->lc != NULL && i < m->n_lcores; i++) {
		free(m->lc[i].slot);
		free(m->lc[i].seen);
	}
	pthread_mutex_destroy(&m->lock);
	free(m->lc);
	free(m->series);
	free(m->acc);
	free(m);
}

struct cf_decode_metrics *
cf_decode_metrics_new(const struct cf_decode_ctx *const *ctx, const unsigned int *lcore_id,
		      unsigned int n, uint32_t max_series, cf_decode_log_fn *log)
{
	struct cf_decode_metrics *m = calloc(1, sizeof(*m));
	unsigned int i;
	uint32_t k;

	if (m == NULL)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->log = log;
	m->n_lcores = n;
	m->max_series = max_series;
	m->series = calloc(max_series ? max_series : 1, sizeof(*m->series));
	m->acc = calloc((size_t)max_series + 1, sizeof(*m->acc));
	m->lc = calloc(n ? n : 1, sizeof(*m->lc));
	if (m->series == NULL || m->acc == NULL || m->lc == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		struct lcore *l = &m->lc[i];

		l->ctx = ctx[i];
		l->lcore_id = lcore_id[i];
		l->n_slots = cf_decode_exporter_slots(ctx[i]);
		l->slot = malloc((size_t)l->n_slots * sizeof(*l->slot));
		l->seen = malloc((size_t)l->n_slots * sizeof(*l->seen));
		if (l->slot == NULL || l->seen == NULL)
			goto fail;
		for (k = 0; k < l->n_slots; k++)
			l->slot[k].series = UNSEEN;
		/* A walk at the first scan even if nothing changed since. */
		l->changes = UINT64_MAX;
	}
	return m;
fail:
	cf_decode_metrics_free(m);
	return NULL;
}

/* Series of a newly noticed exporter: an existing one (same exporter on another lcore), a new one, or OTHER. */
static uint32_t
notice(struct cf_decode_metrics *m, const struct cf_decode_exporter *e, unsigned int lcore_id)
{
	struct series *s;
	uint32_t i;

	m->n_exporters++;
	for (i = 0; i < m->n_series; i++) {
		s = &m->series[i];
		/* RSS on src+dst and two collector addresses: one exporter on two lcores. */
		if (s->version == e->version && s->domain == e->domain &&
		    memcmp(s->addr, e->addr, 16) == 0)
			return i;
	}
	if (m->n_series == m->max_series) {
		if (m->n_folded++ == 0)
			logf_(m, RTE_LOG_WARNING, "more than %u exporters: further ones are reported "
			      "as exporter=\"other\" (--max-exporter-series)\n", m->max_series);
		return OTHER;
	}
	s = &m->series[m->n_series];
	memcpy(s->addr, e->addr, 16);
	s->v6 = e->v6;
	s->version = e->version;
	s->domain = e->domain;
	if (inet_ntop(e->v6 ? AF_INET6 : AF_INET, e->addr, s->addr_str, sizeof(s->addr_str)) == NULL)
		snprintf(s->addr_str, sizeof(s->addr_str), "invalid");
	logf_(m, RTE_LOG_INFO, "new exporter %s (%s, domain %u, lcore %u)\n", s->addr_str,
	      cf_decode_version_name(e->version), e->domain, lcore_id);
	return m->n_series++;
}

static struct vals *
retired_of(struct cf_decode_metrics *m, uint32_t sid)
{
	return sid == OTHER ? &m->other_retired : &m->series[sid].retired;
}

static void
vals_of(struct vals *v, const struct cf_decode_exporter *e)
{
	v->dgrams = e->dgrams;
	v->records = e->records;
	v->lost = e->seq_gap > e->seq_late ? e->seq_gap - e->seq_late : 0;
	v->last_seen_ms = e->last_seen_ms;
	v->rate_limited = e->rate_limited;
}

static void
vals_add(struct vals *acc, const struct vals *v)
{
	acc->dgrams += v->dgrams;
	acc->records += v->records;
	acc->lost += v->lost;
	acc->rate_limited += v->rate_limited;
	if (v->last_seen_ms > acc->last_seen_ms)
		acc->last_seen_ms = v->last_seen_ms;
}

/* Slot pos of l as the table has it now: a new identity there is noticed, the one before retired. */
static void
take_slot(struct cf_decode_metrics *m, struct lcore *l, uint32_t pos)
{
	struct slot *st = &l->slot[pos];
	struct cf_decode_exporter e;
	int rc = cf_decode_exporter_read(l->ctx, pos, &e);

	if (rc == 0)
		return;
	if (rc < 0) {
		l->waiting++;
		return;
	}
	if (st->series != UNSEEN && st->gen == e.gen) {
		vals_of(&st->last, &e);
		return;
	}
	/* Heard from nothing yet (restored from the template file): not an exporter to show. */
	if (e.dgrams == 0 && e.rate_limited == 0) {
		l->waiting++;
		return;
	}
	if (st->series == UNSEEN)
		l->seen[l->n_seen++] = pos;
	else
		vals_add(retired_of(m, st->series), &st->last);
	st->series = notice(m, &e, l->lcore_id);
	st->gen = e.gen;
	vals_of(&st->last, &e);
}

/* Lock held. */
static void
scan(struct cf_decode_metrics *m)
{
	unsigned int i;
	uint32_t k;

	for (i = 0; i < m->n_lcores; i++) {
		struct lcore *l = &m->lc[i];
		uint64_t ch = cf_decode_exporter_changes(l->ctx);

		if (ch != l->changes || l->waiting != 0) {
			/* Slots were (re)assigned: walk the table for identities not seen before. */
			l->changes = ch;
			l->waiting = 0;
			for (k = 0; k < l->n_slots; k++)
				take_slot(m, l, k);
			continue;
		}
		for (k = 0; k < l->n_seen; k++)
			take_slot(m, l, l->seen[k]);
	}
}

/* Lock held, after scan(): every series' total into m->acc (index n_series = "other"). */
static void
sum(struct cf_decode_metrics *m)
{
	unsigned int i;
	uint32_t k;

	for (k = 0; k < m->n_series; k++)
		m->acc[k] = m->series[k].retired;
	m->acc[m->n_series] = m->other_retired;
	for (i = 0; i < m->n_lcores; i++) {
		const struct lcore *l = &m->lc[i];

		for (k = 0; k < l->n_seen; k++) {
			const struct slot *st = &l->slot[l->seen[k]];

			vals_add(&m->acc[st->series == OTHER ? m->n_series : st->series], &st->last);
		}
	}
}

void
cf_decode_metrics_scan(struct cf_decode_metrics *m)
{
	pthread_mutex_lock(&m->lock);
	scan(m);
	pthread_mutex_unlock(&m->lock);
}

void
cf_decode_metrics_counts(struct cf_decode_metrics *m, uint64_t *exporters, uint64_t *folded)
{
	pthread_mutex_lock(&m->lock);
	scan(m);
	*exporters = m->n_exporters;
	*folded = m->n_folded;
	pthread_mutex_unlock(&m->lock);
}

unsigned int
cf_decode_metrics_rows(struct cf_decode_metrics *m, struct cf_decode_exp_row *rows,
		       unsigned int max)
{
	unsigned int n, k;

	pthread_mutex_lock(&m->lock);
	scan(m);
	sum(m);
	n = m->n_series + (m->n_folded ? 1 : 0);
	if (n > max)
		n = max;
	for (k = 0; k < n; k++) {
		const struct vals *a = &m->acc[k < m->n_series ? k : m->n_series];

		if (k < m->n_series) {
			rows[k].exporter = m->series[k].addr_str;
			rows[k].version = cf_decode_version_name(m->series[k].version);
			rows[k].domain = m->series[k].domain;
		} else {
			rows[k].exporter = "other";
			rows[k].version = "";
			rows[k].domain = 0;
		}
		rows[k].dgrams = a->dgrams;
		rows[k].records = a->records;
		rows[k].lost = a->lost;
		rows[k].last_seen_ms = a->last_seen_ms;
	}
	pthread_mutex_unlock(&m->lock);
	return n;
}

void
cf_decode_metrics_provider(struct cf_metrics_builder *b, void *arg)
{
	static const struct {
		const char *name, *help;
		enum cf_metrics_type type;
	} fams[] = {
		{"clarion_flowd_exporter_datagrams_total", "datagrams received from the exporter",
		 CF_METRICS_COUNTER},
		{"clarion_flowd_exporter_records_total",
		 "records the exporter's datagrams announced", CF_METRICS_COUNTER},
		{"clarion_flowd_exporter_lost_records_total",
		 "records missing at the exporter's sequence gaps, late arrivals credited back",
		 CF_METRICS_COUNTER},
		{"clarion_flowd_exporter_last_seen_timestamp_seconds",
		 "Unix time of the exporter's last datagram", CF_METRICS_GAUGE},
		{"clarion_flowd_exporter_rate_limited_total",
		 "datagrams of the exporter dropped over --exporter-max-rate", CF_METRICS_COUNTER},
	};
	struct cf_decode_metrics *m = arg;
	unsigned int f;
	uint32_t k;
	char dom[16];

	pthread_mutex_lock(&m->lock);
	scan(m);
	sum(m);
	cf_metrics_family(b, "clarion_flowd_exporters", "exporters seen since start (all lcores)",
			  CF_METRICS_GAUGE);
	cf_metrics_u64(b, CF_METRICS_NOLABELS, m->n_exporters);
	cf_metrics_family(b, "clarion_flowd_exporters_folded",
			  "exporters beyond --max-exporter-series, reported as exporter=\"other\"",
			  CF_METRICS_GAUGE);
	cf_metrics_u64(b, CF_METRICS_NOLABELS, m->n_folded);
	for (f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		cf_metrics_family(b, fams[f].name, fams[f].help, fams[f].type);
		for (k = 0; k <= m->n_series; k++) {
			const struct vals *a = &m->acc[k];
			uint64_t v = f == 0 ? a->dgrams : f == 1 ? a->records :
				     f == 2 ? a->lost : a->rate_limited;

			if (k == m->n_series && m->n_folded == 0)
				break;
			if (k < m->n_series) {
				const struct series *s = &m->series[k];

				snprintf(dom, sizeof(dom), "%u", s->domain);
				if (f == 3)
					cf_metrics_f64(
						b,
						CF_METRICS_L({"exporter", s->addr_str},
							     {"domain", dom},
							     {"version",
							      cf_decode_version_name(s->version)}),
						(double)a->last_seen_ms / 1000.0);
				else
					cf_metrics_u64(
						b,
						CF_METRICS_L({"exporter", s->addr_str},
							     {"domain", dom},
							     {"version",
							      cf_decode_version_name(s->version)}),
						v);
			} else if (f == 3) {
				cf_metrics_f64(b,
					       CF_METRICS_L({"exporter", "other"}, {"domain", ""},
							    {"version", ""}),
					       (double)a->last_seen_ms / 1000.0);
			} else {
				cf_metrics_u64(b,
					       CF_METRICS_L({"exporter", "other"}, {"domain", ""},
							    {"version", ""}),
					       v);
			}
		}
	}
	pthread_mutex_unlock(&m->lock);
}
