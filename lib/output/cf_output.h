/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_OUTPUT_H
#define CF_OUTPUT_H

/*
 * Output sinks for decoded records, run on the control lcore only.
 *
 * Specs: "ndjson:PATH" (one JSON object per line, cf_json.h schema),
 * "ndjson:-" (stdout), "null" (count and discard, for benchmarks).
 *
 * Contract:
 *  - Not thread safe: one thread owns an output.
 *  - cfo_open() returns NULL and writes a one-line reason into err on a bad
 *    spec or an unopenable path.
 *  - cfo_write() takes records by copy (the caller may reuse them at once) and
 *    returns 0, or -errno when records could not be written; those records are
 *    counted in cfo_stats.failed, never silently lost.
 *  - cfo_flush() pushes buffered bytes out; cfo_close() flushes and frees.
 */

#include <stddef.h>
#include <stdint.h>

#include "cf_record.h"

struct cfo_output;

struct cfo_stats {
	uint64_t records;         /* accepted by the sink */
	uint64_t bytes;           /* bytes produced */
	uint64_t failed;          /* records lost to write errors */
};

struct cfo_ops {
	const char *scheme;       /* "ndjson", "null", ... */
	int (*open)(struct cfo_output *o, const char *arg, char *err, size_t errlen);
	int (*write)(struct cfo_output *o, const struct cfr_record *r, unsigned int n);
	int (*flush)(struct cfo_output *o);
	void (*close)(struct cfo_output *o);
};

struct cfo_output {
	const struct cfo_ops *ops;
	struct cfo_stats stats;
	void *priv;
};

struct cfo_output *cfo_open(const char *spec, char *err, size_t errlen);
int cfo_write(struct cfo_output *o, const struct cfr_record *r, unsigned int n);
int cfo_flush(struct cfo_output *o);
void cfo_close(struct cfo_output *o);

#endif
