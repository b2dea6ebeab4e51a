/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_OUTPUT_H
#define CF_OUTPUT_H

/*
 * Output sinks for decoded records, run on the control lcore only.
 *
 * Sinks: CF_OUTPUT_SINK_NDJSON with a path (one JSON object per line, cf_json.h
 * schema; "-" = stdout), CF_OUTPUT_SINK_NULL (count and discard, for benchmarks).
 * The command line names them ("ndjson:PATH", "null": app/cf_config.c) and
 * hands over the enum, so no spec string is parsed here. "http" is built from
 * its own config with cf_output_open_http(): records are batched ({"records":[...]})
 * and handed to the delivery engine (cf_delivery.h). "kafka" likewise with
 * cf_output_open_kafka() (NDJSON batches, one message per record, the Kafka
 * transport). cf_output_open_tee() makes one output of several (Kafka beside
 * HTTP or an --output sink); cf_output_find() finds one of them by scheme.
 *
 * Contract:
 *  - Not thread safe: one thread owns an output.
 *  - cf_output_open_sink() returns NULL and writes a one-line reason into err on an
 *    unknown sink, a missing or unopenable path.
 *  - cf_output_write() takes records by copy (the caller may reuse them at once) and
 *    returns 0, or -errno when records could not be written; those records are
 *    counted in cf_output_stats.failed, never silently lost.
 *  - cf_output_flush() pushes buffered bytes out (http: no-op, batches go by size
 *    and age); cf_output_poll() does periodic work (http: send a batch that reached
 *    --batch-interval) and is cheap enough to call every loop iteration.
 *  - cf_output_reopen() opens the sink's file again (SIGHUP after logrotate moved
 *    it): buffered lines go to the old file first, then the new one takes over
 *    the same descriptor. 1 reopened, 0 nothing to reopen (stdout, null, http),
 *    -errno with err filled (the old file stays in use).
 *  - cf_output_finish() ends delivery (http: last partial batch, shutdown sequence);
 *    counters stay readable until cf_output_close(), which finishes, flushes, frees.
 *  - cf_output_delivery_stats() copies the http sink's counters (the http
 *    sink itself or in a tee); -1 when there is none. cf_output_delivery_stats_of()
 *    the same for "http" or "kafka"; cf_output_kafka_stats() the Kafka
 *    transport's own. Callable from any thread (each counter exact, not an
 *    atomic snapshot).
 *  - Records are encoded by cf_json.h: the ndjson sink writes null for every
 *    key the export did not carry; the http sink keeps the Clarion keys the
 *    backend requires as integers (0) and addresses ("0.0.0.0") when absent.
 *  - cf_output_set_names() gives the encoder the resolver of the records'
 *    name references (lib/tpl's cf_tpl_names_lookup), every output of a tee; without
 *    it, no names. The kafka sink encodes as ndjson does.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cf_delivery.h"
#include "cf_json.h"
#include "cf_record.h"

struct cf_output;

struct cf_output_stats {
	uint64_t records;         /* accepted by the sink */
	uint64_t bytes;           /* bytes produced */
	uint64_t failed;          /* records lost to write errors */
	uint64_t write_errors;    /* failed writes (each may lose many records) */
	int last_errno;           /* of the last failed write; 0 = none yet */
};

struct cf_output_ops {
	const char *scheme;       /* "ndjson", "null", "http": the sink label in metrics */
	int (*open)(struct cf_output *o, const char *arg, char *err, size_t errlen);
	int (*write)(struct cf_output *o, const struct cf_record *r, unsigned int n);
	int (*flush)(struct cf_output *o);
	void (*poll)(struct cf_output *o);     /* optional */
	void (*finish)(struct cf_output *o);   /* optional */
	int (*reopen)(struct cf_output *o, char *err, size_t errlen);   /* optional */
	void (*close)(struct cf_output *o);
};

struct cf_output {
	const struct cf_output_ops *ops;
	struct cf_output_stats stats;
	struct cf_json_opts json;  /* how the sink encodes records */
	void *priv;
};

enum cf_output_sink {
	CF_OUTPUT_SINK_NDJSON, /* arg: PATH, "-" = stdout */
	CF_OUTPUT_SINK_NULL, /* arg: ignored */
	CF_OUTPUT_SINK_MAX,
};

struct cf_output *cf_output_open_sink(enum cf_output_sink sink, const char *arg, char *err,
				      size_t errlen);
int cf_output_write(struct cf_output *o, const struct cf_record *r, unsigned int n);
/* Name references in records resolve through fn(arg, ref, buf) (before the first write). */
void cf_output_set_names(struct cf_output *o, cf_json_name_fn *fn, void *arg);
int cf_output_flush(struct cf_output *o);
void cf_output_poll(struct cf_output *o);
void cf_output_finish(struct cf_output *o);
int cf_output_reopen(struct cf_output *o, char *err, size_t errlen);
void cf_output_close(struct cf_output *o);

/*
 * The target of an "ndjson:PATH" / "ndjson:-" spec as a stdio stream, for
 * lines someone else encodes (lib/sflow's counter writer): "-" is stdout,
 * anything else PATH, created (0644) and appended to, exactly as the ndjson
 * sink opens it. Returns the stream, or NULL with a one-line reason in err.
 * cf_output_ndjson_stream_close() flushes the stream and closes it unless it is
 * stdout (NULL is a no-op); 0, or -1 when buffered lines could not be
 * written. Not thread safe: one thread owns a stream.
 */
FILE *cf_output_ndjson_stream_open(const char *path, char *err, size_t errlen);
int cf_output_ndjson_stream_close(FILE *f);
/* path opened again as the ndjson target opens it, onto descriptor fd (dup2):
 * whoever holds fd (a FILE too, flushed first) writes to the new file. 0, or
 * -errno with err filled (fd unchanged). */
int cf_output_reopen_fd(int fd, const char *path, char *err, size_t errlen);

struct cf_output_http_config {
	struct cf_delivery_config dl;
	uint32_t batch_size;       /* records per batch */
	uint64_t batch_interval_ms;   /* oldest record waits at most this long */
};

struct cf_output_delivery_stats {
	uint64_t received;         /* records accepted into batches */
	uint64_t open;             /* in the batch being filled */
	uint64_t submit_stalls;    /* times the engine's ring was full */
	struct cf_delivery_stats dl;       /* the engine's counters */
};

struct cf_output *cf_output_open_http(const struct cf_output_http_config *cfg, char *err,
				      size_t errlen);
int cf_output_delivery_stats(const struct cf_output *o, struct cf_output_delivery_stats *s);
/*
 * A reload, on the thread that owns o: the "http" or "kafka" sink (itself or in a tee)
 * seals its batches at batch_size records / batch_interval_ms from now on (0 = keep;
 * the batch being filled keeps its records), and its engine takes l
 * (cf_delivery_set_live). 0; -1 with err when there is no such sink or the engine
 * refuses l (then nothing changed).
 */
int cf_output_set_live(struct cf_output *o, const char *scheme, uint32_t batch_size,
		       uint64_t batch_interval_ms, const struct cf_delivery_live *l, char *err,
		       size_t errlen);
int cf_output_delivery_stats_of(const struct cf_output *o, const char *scheme,
				struct cf_output_delivery_stats *s);

/* The Kafka sink: as the http one (cfg->dl.kafka says where; dl.transport is
 * set here), NDJSON batches of batch_size records or batch_interval_ms. */
struct cf_output *cf_output_open_kafka(const struct cf_output_http_config *cfg, char *err,
				       size_t errlen);
int cf_output_kafka_stats(const struct cf_output *o, struct cf_delivery_kafka_stats *s);

/* One output writing every record to each of outs (ownership moves: closing the
 * tee closes them); NULL with a reason when n is 0 or above CF_OUTPUT_TEE_MAX. */
#define CF_OUTPUT_TEE_MAX 4
struct cf_output *cf_output_open_tee(struct cf_output *const *outs, unsigned int n, char *err,
				     size_t errlen);
/* o itself when its scheme is `scheme`, else the tee member that is; NULL when none. */
struct cf_output *cf_output_find(const struct cf_output *o, const char *scheme);
/*
 * One request of its own (edge-agent sketches) through the http sink's
 * delivery engine: POSTed to the backend base URL + path with its content
 * type and headers (name, value pairs ending in NULL), with retry, breaker
 * and spool. Any thread, concurrently with the owner (cf_httpd_forwarder submit
 * signature; ctx is the output). Copies what it needs. 0 queued; -EAGAIN
 * queue full or shutting down (retry later); -EINVAL bad path/headers or not
 * an http sink; -E2BIG; -ENOMEM.
 */
int cf_output_http_forward(void *output, const char *path, const void *body, size_t len,
			   const char *content_type, const char *const *headers);
/* The same for a request that carries `items` ledger items (the engine's own sketches: one
 * per sketch); cf_output_http_forward() is items = 1. -EINVAL also for items = 0. */
int cf_output_http_request(void *output, const char *path, const void *body, size_t len,
			   const char *content_type, const char *const *headers, uint32_t items);

#endif
