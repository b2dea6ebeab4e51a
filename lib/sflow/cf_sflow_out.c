/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cf_output.h"
#include "cf_sflow_out.h"

struct lc_state {
	const struct cf_sflow_lcore *s;
	uint64_t *seen;           /* samples count per slot at the last poll */
	uint32_t *gen;            /* and the slot's generation then */
};

struct cf_sflow_out {
	FILE *f;
	uint64_t lines;
	uint64_t failed;
	unsigned int n_lc;
	struct lc_state lc[];
};

static uint32_t
slots(const struct cf_sflow_lcore *s)
{
	return s != NULL ? cf_sflow_ifc_slots(s) : 0;
}

struct cf_sflow_out *
cf_sflow_out_open(const char *path, const struct cf_sflow_lcore *const *lc, unsigned int n_lc,
		  char *err, size_t errlen)
{
	struct cf_sflow_out *o = calloc(1, sizeof(*o) + n_lc * sizeof(o->lc[0]));
	unsigned int i;

	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->n_lc = n_lc;
	for (i = 0; i < n_lc; i++) {
		o->lc[i].s = lc[i];
		/* calloc(0) may be NULL: keep one slot so NULL means out of memory only. */
		o->lc[i].seen = calloc(slots(lc[i]) + 1, sizeof(uint64_t));
		o->lc[i].gen = calloc(slots(lc[i]) + 1, sizeof(uint32_t));
		if (o->lc[i].seen == NULL || o->lc[i].gen == NULL) {
			cf_sflow_out_close(o);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
	}
	o->f = cf_output_ndjson_stream_open(path, err, errlen);
	if (o->f == NULL) {
		cf_sflow_out_close(o);
		return NULL;
	}
	return o;
}

void
cf_sflow_out_poll(struct cf_sflow_out *o)
{
	char line[1024];
	unsigned int i;
	uint32_t k;

	if (o == NULL)
		return;
	for (i = 0; i < o->n_lc; i++) {
		const struct cf_sflow_lcore *s = o->lc[i].s;
		uint32_t n_slots = slots(s);

		for (k = 0; k < n_slots; k++) {
			const struct cf_sflow_ifc *c = cf_sflow_ifc_at(s, k);
			uint64_t samples;
			uint32_t g;
			size_t n;

			if (!__atomic_load_n(&c->used, __ATOMIC_ACQUIRE))
				continue;
			g = __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE);
			samples = c->samples;
			if (g & 1 || (samples == o->lc[i].seen[k] && g == o->lc[i].gen[k]))
				continue;
			o->lc[i].seen[k] = samples;
			o->lc[i].gen[k] = g;
			n = cf_sflow_ifc_json(c, line, sizeof(line) - 1);
			line[n++] = '\n';
			if (fwrite(line, 1, n, o->f) != n)
				o->failed++;
			else
				o->lines++;
		}
	}
	fflush(o->f);
}

uint64_t
cf_sflow_out_lines(const struct cf_sflow_out *o)
{
	return o != NULL ? o->lines : 0;
}

uint64_t
cf_sflow_out_failed(const struct cf_sflow_out *o)
{
	return o != NULL ? o->failed : 0;
}

int
cf_sflow_out_reopen(struct cf_sflow_out *o, const char *path, char *err, size_t errlen)
{
	int rc;

	if (o == NULL || o->f == stdout)
		return 0;
	fflush(o->f);
	rc = cf_output_reopen_fd(fileno(o->f), path, err, errlen);
	return rc == 0 ? 1 : rc;
}

void
cf_sflow_out_close(struct cf_sflow_out *o)
{
	unsigned int i;

	if (o == NULL)
		return;
	for (i = 0; i < o->n_lc; i++) {
		free(o->lc[i].seen);
		free(o->lc[i].gen);
	}
	cf_output_ndjson_stream_close(o->f);
	free(o);
}

void
cf_sflow_print_unknown(FILE *f, const struct cf_sflow_lcore *const *lc, unsigned int n_lc)
{
	static const char *const kinds[] = {
		[CF_SFLOW_KIND_SAMPLE] = "sample",
		[CF_SFLOW_KIND_FLOW_RECORD] = "flow_record",
		[CF_SFLOW_KIND_COUNTER_RECORD] = "counter_record",
	};
	unsigned int i, k, printed = 0;

	for (i = 0; i < n_lc; i++) {
		const struct cf_sflow_lcore *s = lc[i];

		if (s == NULL)
			continue;
		for (k = 0; k < CF_SFLOW_UNKNOWN_SLOTS; k++) {
			const struct cf_sflow_unknown *u = cf_sflow_unknown_at(s, k);

			if (!u->used || u->kind >= sizeof(kinds) / sizeof(kinds[0]))
				continue;
			fprintf(f, "%s %s:%u:%u=%" PRIu64, printed++ ? "" : "sflow_unknown:",
				kinds[u->kind], u->enterprise, u->format, u->count);
		}
		if (cf_sflow_unknown_overflow(s) != 0)
			fprintf(f, "%s other=%" PRIu64,
				printed++ ? "" : "sflow_unknown:", cf_sflow_unknown_overflow(s));
	}
	if (printed)
		fputc('\n', f);
}
