/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>

#include "cf_output.h"

extern const struct cfo_ops cfo_ndjson_ops;
extern const struct cfo_ops cfo_null_ops;

static const struct cfo_ops *const sinks[CFO_SINK_MAX] = {
	[CFO_SINK_NDJSON] = &cfo_ndjson_ops,
	[CFO_SINK_NULL] = &cfo_null_ops,
};

struct cfo_output *
cfo_open_sink(enum cfo_sink sink, const char *arg, char *err, size_t errlen)
{
	struct cfo_output *o;

	if ((unsigned int)sink >= CFO_SINK_MAX) {
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

int
cfo_write(struct cfo_output *o, const struct cfr_record *r, unsigned int n)
{
	return o->ops->write(o, r, n);
}

int
cfo_flush(struct cfo_output *o)
{
	return o->ops->flush ? o->ops->flush(o) : 0;
}

void
cfo_poll(struct cfo_output *o)
{
	if (o->ops->poll)
		o->ops->poll(o);
}

void
cfo_finish(struct cfo_output *o)
{
	if (o->ops->finish)
		o->ops->finish(o);
}

void
cfo_close(struct cfo_output *o)
{
	if (o == NULL)
		return;
	cfo_finish(o);
	cfo_flush(o);
	if (o->ops->close)
		o->ops->close(o);
	free(o);
}
