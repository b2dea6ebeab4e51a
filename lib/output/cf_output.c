/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_output.h"

extern const struct cfo_ops cfo_ndjson_ops;
extern const struct cfo_ops cfo_null_ops;

static const struct cfo_ops *const sinks[] = {
	&cfo_ndjson_ops,
	&cfo_null_ops,
};

struct cfo_output *
cfo_open(const char *spec, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t slen = colon ? (size_t)(colon - spec) : strlen(spec);
	const char *arg = colon ? colon + 1 : "";
	unsigned int i;

	for (i = 0; i < sizeof(sinks) / sizeof(sinks[0]); i++) {
		struct cfo_output *o;

		if (strlen(sinks[i]->scheme) != slen || strncmp(sinks[i]->scheme, spec, slen) != 0)
			continue;
		o = calloc(1, sizeof(*o));
		if (o == NULL) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		o->ops = sinks[i];
		if (o->ops->open(o, arg, err, errlen) != 0) {
			free(o);
			return NULL;
		}
		return o;
	}
	snprintf(err, errlen, "unknown output '%s' (expected ndjson:PATH, ndjson:- or null)", spec);
	return NULL;
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
