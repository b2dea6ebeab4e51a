/* SPDX-License-Identifier: BSD-3-Clause */
#include "cf_output.h"

/* Counts and discards: measures decode cost without any encoding. */

static int
null_open(struct cf_output *o, const char *arg, char *err, size_t errlen)
{
	(void)o;
	(void)arg;
	(void)err;
	(void)errlen;
	return 0;
}

static int
null_write(struct cf_output *o, const struct cf_record *r, unsigned int n)
{
	(void)r;
	o->stats.records += n;
	return 0;
}

const struct cf_output_ops cf_output_null_ops = {
	.scheme = "null",
	.open = null_open,
	.write = null_write,
};
