/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>

#include "cf_output.h"

extern const struct cf_output_ops cf_output_ndjson_ops;
extern const struct cf_output_ops cf_output_null_ops;

static const struct cf_output_ops *const sinks[CF_OUTPUT_SINK_MAX] = {
	[CF_OUTPUT_SINK_NDJSON] = &cf_output_ndjson_ops,
	[CF_OUTPUT_SINK_NULL] = &cf_output_null_ops,
};

struct cf_output *
cf_output_open_sink(enum cf_output_sink sink, const char *arg, char *err, size_t errlen)
{
	struct cf_output *o;

	if ((unsigned int)sink >= CF_OUTPUT_SINK_MAX) {
		snprintf(err, errlen, "unknown output sink %d", (int)sink);
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->ops = sinks[sink];
	if (o->ops->open(o, arg, err, errlen) != 0) {
		free(o);
		return NULL;
	}
	return o;
}

void
cf_output_set_names(struct cf_output *o, cf_json_name_fn *fn, void *arg)
{
	o->json.name = fn;
	o->json.name_arg = arg;
}

int
cf_output_write(struct cf_output *o, const struct cf_record *r, unsigned int n)
{
	return o->ops->write(o, r, n);
}

int
cf_output_flush(struct cf_output *o)
{
	return o->ops->flush ? o->ops->flush(o) : 0;
}

void
cf_output_poll(struct cf_output *o)
{
	if (o->ops->poll)
		o->ops->poll(o);
}

void
cf_output_finish(struct cf_output *o)
{
	if (o->ops->finish)
		o->ops->finish(o);
}

void
cf_output_close(struct cf_output *o)
{
	if (o == NULL)
		return;
	cf_output_finish(o);
	cf_output_flush(o);
	if (o->ops->close)
		o->ops->close(o);
	free(o);
}
