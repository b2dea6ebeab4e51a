/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int
cf_output_reopen(struct cf_output *o, char *err, size_t errlen)
{
	return o != NULL && o->ops->reopen ? o->ops->reopen(o, err, errlen) : 0;
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

/* ------------------------------------------------------------------- tee */

/* Several outputs at once (Kafka beside HTTP or --output): each takes every record. */
struct tee {
	struct cf_output *out[CF_OUTPUT_TEE_MAX];
	unsigned int n;
};

static void
tee_sum(struct cf_output *o)
{
	const struct tee *t = o->priv;
	uint64_t bytes = 0, failed = 0;
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		bytes += t->out[i]->stats.bytes;
		failed += t->out[i]->stats.failed;
	}
	o->stats.bytes = bytes;
	o->stats.failed = failed;
}

static int
tee_open(struct cf_output *o, const char *arg, char *err, size_t errlen)
{
	(void)o;
	(void)arg;
	snprintf(err, errlen, "a tee is built with cf_output_open_tee()");
	return -1;
}

static int
tee_write(struct cf_output *o, const struct cf_record *r, unsigned int n)
{
	const struct tee *t = o->priv;
	unsigned int i;
	int rc = 0, k;

	for (i = 0; i < t->n; i++)
		if ((k = cf_output_write(t->out[i], r, n)) != 0)
			rc = k;
	o->stats.records += n;
	tee_sum(o);
	return rc;
}

static int
tee_flush(struct cf_output *o)
{
	const struct tee *t = o->priv;
	unsigned int i;
	int rc = 0, k;

	for (i = 0; i < t->n; i++)
		if ((k = cf_output_flush(t->out[i])) != 0)
			rc = k;
	tee_sum(o);
	return rc;
}

static void
tee_poll(struct cf_output *o)
{
	const struct tee *t = o->priv;
	unsigned int i;

	for (i = 0; i < t->n; i++)
		cf_output_poll(t->out[i]);
}

static void
tee_finish(struct cf_output *o)
{
	const struct tee *t = o->priv;
	unsigned int i;

	/* Each output's shutdown sequence in turn, within its own --shutdown-timeout. */
	for (i = 0; i < t->n; i++)
		cf_output_finish(t->out[i]);
	tee_sum(o);
}

static void
tee_close(struct cf_output *o)
{
	struct tee *t = o->priv;
	unsigned int i;

	for (i = 0; i < t->n; i++)
		cf_output_close(t->out[i]);
	free(t);
}

static const struct cf_output_ops tee_ops = {
	.scheme = "tee",
	.open = tee_open,
	.write = tee_write,
	.flush = tee_flush,
	.poll = tee_poll,
	.finish = tee_finish,
	.close = tee_close,
};

struct cf_output *
cf_output_open_tee(struct cf_output *const *outs, unsigned int n, char *err, size_t errlen)
{
	struct cf_output *o;
	struct tee *t;
	unsigned int i;

	if (n == 0 || n > CF_OUTPUT_TEE_MAX) {
		snprintf(err, errlen, "a tee takes 1..%u outputs", CF_OUTPUT_TEE_MAX);
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	t = calloc(1, sizeof(*t));
	if (o == NULL || t == NULL) {
		free(o);
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++)
		t->out[i] = outs[i];
	t->n = n;
	o->ops = &tee_ops;
	o->priv = t;
	return o;
}

struct cf_output *
cf_output_find(const struct cf_output *o, const char *scheme)
{
	const struct tee *t;
	unsigned int i;

	if (o == NULL)
		return NULL;
	if (strcmp(o->ops->scheme, scheme) == 0)
		return (struct cf_output *)(uintptr_t)o;
	if (o->ops != &tee_ops)
		return NULL;
	t = o->priv;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->out[i]->ops->scheme, scheme) == 0)
			return t->out[i];
	return NULL;
}

void
cf_output_set_names(struct cf_output *o, cf_json_name_fn *fn, void *arg)
{
	o->json.name = fn;
	o->json.name_arg = arg;
	if (o->ops == &tee_ops) {
		const struct tee *t = o->priv;
		unsigned int i;

		for (i = 0; i < t->n; i++)
			cf_output_set_names(t->out[i], fn, arg);
	}
}
