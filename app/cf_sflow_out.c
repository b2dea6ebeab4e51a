/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cf_config.h"
#include "cf_sflow.h"
#include "cf_sflow_out.h"

int
cf_sflow_out_open(struct cf_sflow_out *o, const char *spec, struct cf_rx **rx,
		  unsigned int n_rx, char *err, size_t errlen)
{
	unsigned int i;

	memset(o, 0, sizeof(*o));
	if (spec[0] == '\0' || strcmp(spec, "off") == 0)
		return 0;
	if (strncmp(spec, "ndjson:", 7) != 0) {
		snprintf(err, errlen, "--sflow-counters: '%s' is not off, ndjson:PATH or ndjson:-", spec);
		return -1;
	}
	if (strcmp(spec + 7, "-") == 0) {
		o->f = stdout;
	} else {
		o->f = fopen(spec + 7, "w");
		if (o->f == NULL) {
			snprintf(err, errlen, "--sflow-counters: %s: %s", spec + 7, strerror(errno));
			return -1;
		}
		o->own = 1;
	}
	o->n_rx = n_rx;
	for (i = 0; i < n_rx; i++) {
		o->seen[i] = calloc(sfl_ifc_slots(rx[i]->dctx.sflow), sizeof(uint64_t));
		if (o->seen[i] == NULL) {
			cf_sflow_out_close(o);
			snprintf(err, errlen, "--sflow-counters: out of memory");
			return -1;
		}
	}
	return 0;
}

void
cf_sflow_out_poll(struct cf_sflow_out *o, struct cf_rx *const *rx)
{
	char line[1024];
	unsigned int i;
	uint32_t k;

	if (o->f == NULL)
		return;
	for (i = 0; i < o->n_rx; i++) {
		const struct sfl_lcore *s = rx[i]->dctx.sflow;
		uint32_t slots = sfl_ifc_slots(s);

		for (k = 0; k < slots; k++) {
			const struct sfl_ifc *c = sfl_ifc_at(s, k);
			uint64_t samples;
			size_t n;

			if (!__atomic_load_n(&c->used, __ATOMIC_ACQUIRE))
				continue;
			samples = c->samples;
			if (samples == o->seen[i][k])
				continue;
			o->seen[i][k] = samples;
			n = sfl_ifc_json(c, line, sizeof(line) - 1);
			line[n++] = '\n';
			if (fwrite(line, 1, n, o->f) != n)
				o->failed++;
			else
				o->lines++;
		}
	}
	fflush(o->f);
}

void
cf_sflow_out_close(struct cf_sflow_out *o)
{
	unsigned int i;

	for (i = 0; i < o->n_rx; i++)
		free(o->seen[i]);
	if (o->own && o->f != NULL)
		fclose(o->f);
	memset(o, 0, sizeof(*o));
}

void
cf_sflow_print_unknown(FILE *f, struct cf_rx *const *rx, unsigned int n_rx)
{
	static const char *const kinds[] = {"sample", "flow_record", "counter_record"};
	unsigned int i, k, printed = 0;

	for (i = 0; i < n_rx; i++) {
		const struct sfl_lcore *s = rx[i]->dctx.sflow;

		if (s == NULL)
			continue;
		for (k = 0; k < SFL_UNKNOWN_SLOTS; k++) {
			const struct sfl_unknown *u = sfl_unknown_at(s, k);

			if (!u->used || u->kind >= 3)
				continue;
			fprintf(f, "%s %s:%u:%u=%" PRIu64, printed++ ? "" : "sflow_unknown:",
				kinds[u->kind], u->enterprise, u->format, u->count);
		}
		if (sfl_unknown_overflow(s) != 0)
			fprintf(f, "%s other=%" PRIu64, printed++ ? "" : "sflow_unknown:",
				sfl_unknown_overflow(s));
	}
	if (printed)
		fputc('\n', f);
}
