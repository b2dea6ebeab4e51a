/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_DELIVERY_H
#define CF_DELIVERY_H

/*
 * Reliable delivery of record batches to the Clarion backend (docs/delivery.md).
 *
 * Pieces, each usable alone (the unit tests do):
 *  - cf_delivery_backoff_*: exponential backoff with full jitter. Pure functions.
 *  - cf_delivery_breaker_*: circuit breaker (closed -> open -> half-open -> closed).
 *    Not thread safe: one thread owns a breaker.
 *  - cf_delivery_classify: what a finished request means (delivered, retry, dead
 *    letter). Pure function.
 *  - cf_delivery_seg_* / cf_delivery_spool_*: the durable on-disk segment log. Not thread
 *    safe: the delivery thread owns the spool.
 *  - cf_delivery_dead_letter_*: the directory of refused batches beside the spool.
 *  - cf_delivery_lat_*: the request latency histogram's buckets. Pure functions.
 *  - cf_delivery_kafka_*: what a Kafka delivery report means, the message key
 *    of a record line. Pure functions.
 *  - cf_delivery_start/cf_delivery_submit/cf_delivery_stop: the delivery engine, a DPDK control thread
 *    (rte_ctrl_thread_create) that owns the transport (libcurl for HTTP,
 *    librdkafka for Kafka: cfg.transport), the breaker and the spool,
 *    fed by an SP/SC rte_ring of finished batches. cf_delivery_submit() is called by
 *    one producer thread (the control lcore); cf_delivery_submit_request() (batches
 *    carrying their own request: edge-agent sketches) by any threads, on a
 *    separate MP/SC ring; cf_delivery_stats() by any thread.
 *
 * Return values are listed at each function.
 */

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ batch */

/* One JSON body {"records":[...]} with its id; malloc'd by the producer,
 * freed by the engine. Never shared between threads at the same time.
 * A batch with meta_len > 0 carries its own request (edge-agent sketches):
 * body starts with a metadata block (cf_delivery_meta_encode: path, content type,
 * extra headers) and the HTTP body is the rest; it counts as nrec items. */
struct cf_delivery_batch {
	uint64_t boot;     /* random per process start: ids never repeat across restarts */
	uint64_t seq;      /* per process, from 1 */
	uint32_t nrec;
	uint32_t meta_len; /* bytes of metadata block at the start of body; 0 = records */
	uint32_t len;      /* bytes used in body (metadata included) */
	uint32_t cap;      /* bytes allocated for body */
	uint32_t attempts; /* engine only */
	uint64_t ready_ms; /* engine only: not before (retry wait) */
	int state;         /* engine only */
	char *body;
};

/* Allocates a batch with `cap` body bytes; NULL when out of memory. */
struct cf_delivery_batch *cf_delivery_batch_new(uint32_t cap);
void cf_delivery_batch_free(struct cf_delivery_batch *b);
/* "%016x-%u" id text into buf (>= 40 bytes); returns length. */
int cf_delivery_batch_id(char *buf, size_t len, uint64_t boot, uint64_t seq);

/*
 * Metadata block of a batch with its own request: u16 little-endian length n
 * then n bytes of NUL-terminated strings: path ("/api/..."), content type,
 * then up to CF_DELIVERY_META_MAX_HDR "Name: value" header lines. Persisted in the
 * spool as the start of the entry body (entry flag CF_DELIVERY_SEG_F_META).
 */
#define CF_DELIVERY_META_MAX 2048u
#define CF_DELIVERY_META_MAX_HDR 8u

struct cf_delivery_meta {
	const char *path;
	const char *content_type;
	const char *hdr[CF_DELIVERY_META_MAX_HDR];
	unsigned int nhdr;
	uint32_t len;      /* bytes of the block (2 + n) */
};

/* Encodes into out (cap bytes). headers: name, value pairs ending in NULL.
 * Returns the block length, or -EINVAL (path not starting with '/', a CR/LF
 * in any string, too many headers) or -ENOSPC (cap or CF_DELIVERY_META_MAX exceeded). */
int cf_delivery_meta_encode(char *out, size_t cap, const char *path, const char *content_type,
			    const char *const *headers);
/* Parses the block at the start of buf (len bytes): 0 and m filled (its
 * strings point into buf), -1 when malformed. */
int cf_delivery_meta_decode(const char *buf, uint32_t len, struct cf_delivery_meta *m);
/* A batch carrying one request: metadata block + copy of body, nrec items.
 * NULL with -errno in *rc (cf_delivery_meta_encode errors, -ENOMEM). */
struct cf_delivery_batch *cf_delivery_batch_new_request(const char *path, const char *content_type,
							const char *const *headers,
							const void *body, size_t len, uint32_t nrec,
							int *rc);

/* ---------------------------------------------------------------- backoff */

struct cf_delivery_backoff {
	uint64_t initial_ms;
	uint64_t max_ms;
	double factor;
};

/* Upper bound of the wait before retry number `attempt` (1 = first retry):
 * min(max_ms, initial_ms * factor^(attempt-1)). */
uint64_t cf_delivery_backoff_cap(const struct cf_delivery_backoff *b, unsigned int attempt);
/* Full jitter: uniform in [0, cap] picked with the 64 random bits `rnd`. */
uint64_t cf_delivery_backoff_delay(const struct cf_delivery_backoff *b, unsigned int attempt,
				   uint64_t rnd);

/* ---------------------------------------------------------------- breaker */

enum cf_delivery_breaker_state {
	CF_DELIVERY_BREAKER_CLOSED,
	CF_DELIVERY_BREAKER_OPEN,
	CF_DELIVERY_BREAKER_HALF_OPEN,
};

struct cf_delivery_breaker {
	enum cf_delivery_breaker_state state;
	unsigned int threshold;    /* consecutive failures that open it */
	uint64_t cooldown_ms;      /* open -> half-open after this long */
	unsigned int failures;     /* consecutive */
	uint64_t opened_ms;
	int probe_out;             /* half-open: the one probe is in flight */
	uint64_t opens;            /* times it opened from closed (an outage began) */
	uint64_t reopens;          /* times a failed probe opened it again (half-open -> open) */
};

void cf_delivery_breaker_init(struct cf_delivery_breaker *b, unsigned int threshold,
			      uint64_t cooldown_ms);
/* May a request start now? 1 yes (in half-open: the one probe, which the
 * caller must then send), 0 no. Moves open -> half-open after the cool-down. */
int cf_delivery_breaker_allow(struct cf_delivery_breaker *b, uint64_t now_ms);
/* Outcome of a request the breaker allowed: ok = 1 success (any answer that
 * shows the backend alive, 422 included), 0 failure. */
void cf_delivery_breaker_result(struct cf_delivery_breaker *b, int ok, uint64_t now_ms);
const char *cf_delivery_breaker_name(enum cf_delivery_breaker_state s);

/* --------------------------------------------------------------- classify */

/*
 * What a finished request means, from what libcurl reported. One table
 * (name, retried, breaker success, meaning):
 */
#define CF_DELIVERY_OUTCOME_TABLE(X) \
	X(DELIVERED, "delivered", 0, 1, "2xx: the backend took the batch") \
	X(TRANSIENT, "transient", 1, 0, "HTTP 5xx, 408, 429: retry after a backoff") \
	X(TRANSPORT, "transport", 1, 0, "no HTTP answer: refused, reset, timeout, TLS, empty reply") \
	X(PERMANENT, "permanent", 0, 1, "any other status (4xx, 1xx, 3xx): dead letter, never retried")

enum cf_delivery_outcome {
#define CF_DELIVERY_X(e, n, r, b, h) CF_DELIVERY_OUT_##e,
	CF_DELIVERY_OUTCOME_TABLE(CF_DELIVERY_X)
#undef CF_DELIVERY_X
		CF_DELIVERY_OUT_MAX
};

struct cf_delivery_verdict {
	enum cf_delivery_outcome outcome;
	/* Seconds the server asked us to wait (Retry-After), > 0; 0 = no hint.
	 * Only a TRANSIENT answer carries one. */
	int64_t retry_after_s;
};

/*
 * Pure: curl_result is the transfer's CURLcode (0 = CURLE_OK), http_status
 * its response code, retry_after the value of its Retry-After header (the
 * text after the colon; NULL when absent) and now_unix_s the wall clock, to
 * turn an HTTP date into seconds. A transfer error wins over any status.
 */
struct cf_delivery_verdict cf_delivery_classify(int curl_result, long http_status,
						const char *retry_after, int64_t now_unix_s);
/*
 * Retry-After value (delay-seconds or HTTP-date) as libcurl 7.88 reads it for
 * CURLINFO_RETRY_AFTER: a decimal number when it starts with one (blanks
 * skipped, a sign or junk after it ignored), else a date minus now_unix_s;
 * 0 when neither (or the number overflows). May be negative (a past date).
 */
int64_t cf_delivery_retry_after(const char *value, int64_t now_unix_s);
const char *cf_delivery_outcome_name(unsigned int o);
/* 1 when the batch is kept and sent again (transient, transport). */
int cf_delivery_outcome_retried(unsigned int o);
/* The breaker's view: 1 when the answer shows the backend alive. */
int cf_delivery_outcome_breaker_ok(unsigned int o);

/* ------------------------------------------------------------------ kafka */

/* Request (and Kafka message) latency histogram: upper bounds in ms (ascending, +Inf after). */
#define CF_DELIVERY_LAT_BUCKETS 12
extern const double cf_delivery_lat_bounds_ms[CF_DELIVERY_LAT_BUCKETS];
/* The bucket of a request that took us microseconds: the first i with us <=
 * cf_delivery_lat_bounds_ms[i] ms; CF_DELIVERY_LAT_BUCKETS when slower than the last bound. */
unsigned int cf_delivery_lat_bucket(uint64_t us);


/*
 * A Kafka batch body is NDJSON: one record per line, each line one message.
 * An empty line is a record already settled (a retried batch keeps its other
 * records' line numbers, so each message keeps its id: header "clarion-id"
 * = "<batch id>-<line number>", which a consumer can de-duplicate on).
 */

/*
 * Pure: what a delivery report (or a refused produce call) with librdkafka
 * error code err means, for one message. 0 = delivered; MSG_SIZE_TOO_LARGE,
 * the authorisation failures, INVALID_MSG/RECORD and the like = permanent
 * (dead letter); a local error (negative code: timeout, transport, purge,
 * queue full) = transport; any other broker error = transient. Nothing unknown
 * is dead-lettered: what is not known permanent is retried.
 */
enum cf_delivery_outcome cf_delivery_kafka_classify(int err);

/*
 * Pure: the message key of one record line, the value of its top-level key
 * `name` (e.g. "switch_id"): *klen bytes at the returned pointer (a string
 * value without its quotes, as escaped in the line; a number or literal as
 * written). NULL (no key: the partitioner picks any partition) when the line
 * has no such key or its value is null.
 */
const char *cf_delivery_kafka_key(const char *line, size_t len, const char *name, size_t *klen);

#define CF_DELIVERY_KAFKA_OPT_MAX 64

struct cf_delivery_kafka_config {
	const char *brokers;       /* bootstrap.servers */
	const char *topic;
	const char *key;           /* record key whose value is the message key; "" = none */
	/* "property=value" pairs for librdkafka, applied after ours (they win). */
	const char *opts[CF_DELIVERY_KAFKA_OPT_MAX];
	unsigned int nopts;
};

/* Every librdkafka error code seen, counted; past this many distinct codes they fold into "other". */
#define CF_DELIVERY_KAFKA_CODES 32
#define CF_DELIVERY_KAFKA_BROKERS 16

struct cf_delivery_kafka_code {
	int code;                  /* rd_kafka_resp_err_t */
	uint64_t n;
};

struct cf_delivery_kafka_broker {
	char name[96];             /* "host:port/id" as librdkafka names it */
	int32_t id;                /* -1: a bootstrap entry not yet identified */
	char state[16];            /* "UP", "DOWN", "CONNECT", "INIT", ... */
	uint64_t rtt_avg_us;
	uint64_t outbuf_msgs;      /* requests waiting to be sent */
	uint64_t inflight_reqs;    /* requests sent, awaiting their answer */
};

struct cf_delivery_kafka_stats {
	uint64_t produced;         /* messages handed to librdkafka */
	uint64_t delivered;        /* messages acknowledged (acks=all) */
	uint64_t delivered_bytes;  /* their value bytes */
	uint64_t failed;           /* messages reported with an error */
	/* Delivery latency per acknowledged message, produce call to report,
	 * buckets as cf_delivery_lat_bounds_ms (not cumulative). */
	uint64_t lat_le[CF_DELIVERY_LAT_BUCKETS];
	uint64_t lat_count;
	uint64_t lat_sum_us;
	uint64_t queue_msgs;       /* in librdkafka's queues (rd_kafka_outq_len) */
	uint64_t queue_bytes;      /* from the last statistics */
	uint64_t tx_bytes;         /* bytes sent to brokers (statistics: tx_bytes) */
	/* Errors by librdkafka code: per failed message (delivery reports and
	 * refused produce calls), and client-level errors (error callback). */
	struct cf_delivery_kafka_code msg_err[CF_DELIVERY_KAFKA_CODES];
	unsigned int n_msg_err;
	uint64_t msg_err_other;
	struct cf_delivery_kafka_code client_err[CF_DELIVERY_KAFKA_CODES];
	unsigned int n_client_err;
	uint64_t client_err_other;
	struct cf_delivery_kafka_broker brokers[CF_DELIVERY_KAFKA_BROKERS];
	unsigned int n_brokers;    /* from the last statistics (every second) */
	int all_brokers_down;      /* librdkafka said so, and no broker is UP since */
	int fatal;                 /* the producer hit a fatal error (it is recreated) */
	uint64_t restarts;         /* producers recreated after a fatal error */
};

/* "_MSG_TIMED_OUT", "MSG_SIZE_TOO_LARGE", ... (rd_kafka_err2name). */
const char *cf_delivery_kafka_err_name(int code);

/* ---------------------------------------------------------------- segment */

/*
 * A spool segment file "seg-<20-digit number>.log" is a sequence of entries:
 *   header (40 bytes, little endian): magic "CFSP", body length, record count,
 *   CRC32C of the body, batch boot id, batch seq, flags, CRC32C of the
 *   previous 36 bytes; then the body. Flags 0: a records batch (the only
 *   kind older versions wrote); CF_DELIVERY_SEG_F_META: the body starts with a
 *   metadata block (struct cf_delivery_meta). Unknown flag bits: the entry is skipped
 *   as corrupt (written by a newer version that this one cannot send).
 * A bad header CRC, bad magic or a short entry ends the segment (torn tail:
 * truncated at recovery). A bad body CRC skips just that entry (counted).
 */
#define CF_DELIVERY_SEG_MAGIC 0x50534643u /* "CFSP" read little endian */
#define CF_DELIVERY_SEG_HDR 40u
#define CF_DELIVERY_SEG_MAX_BODY (256u << 20)
#define CF_DELIVERY_SEG_F_META 1u

struct cf_delivery_seg_hdr {
	uint32_t len;
	uint32_t nrec;
	uint32_t body_crc;
	uint32_t flags;
	uint64_t boot;
	uint64_t seq;
};

/* CRC32C (Castagnoli), standard init/final xor: "123456789" -> 0xE3069283. */
uint32_t cf_delivery_crc32c(const void *p, size_t n);
/* Writes the 40-byte header for body into out (flags 0). */
void cf_delivery_seg_encode(uint8_t out[CF_DELIVERY_SEG_HDR], uint64_t boot, uint64_t seq,
			    uint32_t nrec, const void *body, uint32_t len);
void cf_delivery_seg_encode_flags(uint8_t out[CF_DELIVERY_SEG_HDR], uint64_t boot, uint64_t seq,
				  uint32_t nrec, uint32_t flags, const void *body, uint32_t len);
/* Parses a header: 0 ok (h filled), -1 bad magic/header CRC/length. */
int cf_delivery_seg_decode(const uint8_t in[CF_DELIVERY_SEG_HDR], struct cf_delivery_seg_hdr *h);
/* 1 when body matches h->body_crc, else 0. */
int cf_delivery_seg_body_ok(const struct cf_delivery_seg_hdr *h, const void *body);

/* ------------------------------------------------------------------ spool */

enum cf_delivery_fsync {
	CF_DELIVERY_FSYNC_BATCH,
	CF_DELIVERY_FSYNC_INTERVAL,
	CF_DELIVERY_FSYNC_NONE
};
enum cf_delivery_full { CF_DELIVERY_FULL_DROP_OLDEST, CF_DELIVERY_FULL_DROP_NEWEST };

struct cf_delivery_spool;

struct cf_delivery_spool_info {
	uint64_t records;          /* records on disk not yet replayed */
	uint64_t batches;
	uint64_t bytes;            /* bytes of segment files */
	uint64_t segments;
	uint64_t recovered_records;   /* found valid at open */
	uint64_t recovered_batches;
	uint64_t torn_bytes;          /* truncated at open */
	uint64_t skipped_files;       /* in the directory, not our segments: left alone */
	uint64_t corrupt_batches;     /* body CRC mismatch: skipped */
	uint64_t corrupt_records;     /* their header record counts */
	uint64_t dropped_oldest_records;  /* evicted by drop-oldest */
	uint64_t written_records;
	uint64_t written_batches;
	uint64_t write_errors;
	uint64_t oldest_unix_s;    /* creation time of the oldest segment; 0 when empty */
};

/* Opens (creating) dir, recovers every complete entry of the segments there
 * (truncating torn tails) and starts a new segment for writing. Returns NULL
 * with a reason in err on failure. A file named like a segment that is not
 * one of ours -- not a regular file, a symbolic link (never followed), not
 * owned by us, hard-linked elsewhere, unreadable, or not starting with a valid
 * entry -- is skipped and counted (skipped_files), never truncated nor
 * removed, and never fails the start. */
struct cf_delivery_spool *cf_delivery_spool_open(const char *dir, uint64_t max_bytes,
						 enum cf_delivery_fsync fsync_policy,
						 enum cf_delivery_full full, char *err,
						 size_t errlen);
/* Appends one batch. 0 stored; 1 not stored: full and policy drop-newest (or
 * the batch alone exceeds the budget); -errno on I/O error (not stored). With
 * drop-oldest, older segments may be deleted first (counted in the info). */
int cf_delivery_spool_append(struct cf_delivery_spool *s, uint64_t boot, uint64_t seq,
			     uint32_t nrec, const void *body, uint32_t len);
/* The same with entry flags (CF_DELIVERY_SEG_F_META); cf_delivery_spool_append is flags 0. */
int cf_delivery_spool_append_flags(struct cf_delivery_spool *s, uint64_t boot, uint64_t seq,
				   uint32_t nrec, uint32_t flags, const void *body, uint32_t len);
/* The oldest entry not yet consumed: 1 and a malloc'd body in *body (caller
 * frees) and its header in *h; 0 when the spool is empty; -errno on I/O error.
 * Calling it again without cf_delivery_spool_consume() returns the same entry. */
int cf_delivery_spool_peek(struct cf_delivery_spool *s, struct cf_delivery_seg_hdr *h, char **body);
/* Marks the entry last peeked done (delivered or dead-lettered) and deletes
 * segments that are fully consumed. */
void cf_delivery_spool_consume(struct cf_delivery_spool *s);
/* Gives the entry last peeked back (not delivered): it will be peeked again,
 * unless drop-oldest evicted its segment meanwhile, in which case its records
 * are counted in dropped_oldest_records now. */
void cf_delivery_spool_release(struct cf_delivery_spool *s);
/* Periodic work: fsync for the "interval" policy. */
void cf_delivery_spool_tick(struct cf_delivery_spool *s, uint64_t now_ms);
void cf_delivery_spool_get_info(const struct cf_delivery_spool *s,
				struct cf_delivery_spool_info *i);
/* The first file recovery skipped and why ("" when none), for the log. */
const char *cf_delivery_spool_skipped(const struct cf_delivery_spool *s);
/* Syncs and frees; the files stay for the next start. */
void cf_delivery_spool_close(struct cf_delivery_spool *s);

/* ----------------------------------------------------------- dead letters */

/*
 * A batch refused for good is kept for a human as two files in the
 * dead-letter directory: <batch id>.json (the body) and <batch id>.response
 * ("HTTP <code>\n", then the first bytes of the answer body; code 0 when the
 * batch could not even be sent). Each is written to a temporary file of its
 * own (".<name>.tmp", O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600: never a file
 * someone else created, never through a symlink), synced, then renamed: a
 * name that exists is a whole dead letter, and a write that fails leaves
 * nothing behind. The directory has its own disk budget. Used by the
 * delivery thread only (not thread safe).
 */
struct cf_delivery_dead_letter;

struct cf_delivery_dead_letter_info {
	uint64_t bytes;            /* bytes of dead-letter files in the directory */
	uint64_t max_bytes;        /* the budget */
	uint64_t written_batches;  /* kept by this process */
	uint64_t failed_batches;   /* not kept: budget used up or a write failed */
	int last_errno;            /* of the last failure (EDQUOT: the budget); 0 = none */
};

/* The directory: "" when dead_letter_dir is "none"; else dead_letter_dir when
 * set, else spool_dir/dead-letter, else none (out = ""). 0, or -ENAMETOOLONG
 * when it does not fit in len bytes. */
int cf_delivery_dead_letter_dir(char *out, size_t len, const char *dead_letter_dir,
				const char *spool_dir);
/* Opens dir (created mode 0700 when missing), counting the dead letters
 * already there against max_bytes and removing temporary files a crash left.
 * NULL with a reason in err when it is not a usable directory. */
struct cf_delivery_dead_letter *cf_delivery_dead_letter_open(const char *dir, uint64_t max_bytes,
							     char *err, size_t errlen);
/* Keeps one refused batch. 0 kept (both files); -EDQUOT the budget would be
 * passed (nothing written); -errno a write failed, -ENOSPC the disk is full
 * (nothing left behind). */
int cf_delivery_dead_letter_write(struct cf_delivery_dead_letter *dl, uint64_t boot, uint64_t seq,
				  const void *body, uint32_t len, long code, const void *resp,
				  size_t resp_len);
void cf_delivery_dead_letter_get_info(const struct cf_delivery_dead_letter *dl,
				      struct cf_delivery_dead_letter_info *i);
const char *cf_delivery_dead_letter_path(const struct cf_delivery_dead_letter *dl);
void cf_delivery_dead_letter_close(struct cf_delivery_dead_letter *dl);

/* ----------------------------------------------------------------- engine */

/* Why the engine gave records up (records, not batches). */
#define CF_DELIVERY_DROP_TABLE(X) \
	X(SPOOL_FULL_OLDEST, "spool_full_oldest", "spooled records evicted to make room (--spool-full=drop-oldest)") \
	X(SPOOL_FULL_NEWEST, "spool_full_newest", "records refused by a full spool (--spool-full=drop-newest)") \
	X(NO_SPOOL, "no_spool", "undeliverable records with no --spool-dir to keep them") \
	X(SPOOL_IO, "spool_io", "records lost to a spool write error") \
	X(SPOOL_CORRUPT, "spool_corrupt", "spooled records whose body failed its CRC") \
	X(REFUSED_NOT_KEPT, "refused_not_kept", \
	  "records the backend refused (4xx) with no dead-letter directory to keep them") \
	X(DEAD_LETTER_FULL, "dead_letter_full", \
	  "refused records not kept: --dead-letter-max-bytes used up") \
	X(DEAD_LETTER_IO, "dead_letter_io", "refused records not kept: writing the dead letter failed")

enum cf_delivery_drop {
#define CF_DELIVERY_X(e, n, h) CF_DELIVERY_DROP_##e,
	CF_DELIVERY_DROP_TABLE(CF_DELIVERY_X)
#undef CF_DELIVERY_X
		CF_DELIVERY_DROP_MAX
};

const char *cf_delivery_drop_name(unsigned int d);
const char *cf_delivery_drop_help(unsigned int d);

enum cf_delivery_transport {
	CF_DELIVERY_TRANSPORT_HTTP,
	CF_DELIVERY_TRANSPORT_KAFKA,
};

struct cf_delivery_config {
	enum cf_delivery_transport transport;
	struct cf_delivery_kafka_config kafka;   /* Kafka only: copied at start */
	const char *url;            /* HTTP: full URL: backend + path */
	const char *base_url;       /* backend without path, for batches with their own
				     * path (NULL/"" = refuse them); no trailing '/' */
	const char *token;          /* "" = none; "Bearer X" unless it has a space */
	const char *ca_file;        /* "" = system store */
	int insecure;
	int compress;               /* gzip bodies */
	unsigned int concurrency;
	uint64_t connect_timeout_ms;
	uint64_t timeout_ms;
	unsigned int retry_attempts;
	struct cf_delivery_backoff backoff;
	unsigned int breaker_threshold;
	uint64_t breaker_cooldown_ms;
	const char *spool_dir;      /* "" = no spool */
	uint64_t spool_max_bytes;
	enum cf_delivery_fsync spool_fsync;
	enum cf_delivery_full spool_full;
	const char *dead_letter_dir;  /* "" = spool_dir/dead-letter, or none; "none" = none */
	uint64_t dead_letter_max_bytes;  /* 0 = no budget */
	uint64_t shutdown_timeout_ms;
	unsigned int ring_size;     /* batches between producer and engine */
};

/* Read-only counters (records unless named otherwise; a batch with its own
 * request counts its nrec items, see the req_* fields). Invariant, exact once
 * the engine stopped:
 *   taken + recovered = delivered + pending + spooled + dead_lettered + dropped */
struct cf_delivery_stats {
	uint64_t taken;            /* records the engine took from the ring */
	uint64_t taken_batches;
	uint64_t ring_records;     /* submitted, not yet taken */
	uint64_t pending;          /* in memory: queued, in flight or waiting to retry */
	uint64_t in_flight;
	uint64_t spooled;          /* on disk, not yet delivered */
	uint64_t spool_bytes;
	uint64_t spool_written;    /* records ever appended to the spool */
	uint64_t recovered;        /* found in the spool at start */
	uint64_t replayed;         /* delivered from the spool */
	uint64_t spool_skipped_files; /* files named like segments that were not ours, left alone */
	uint64_t delivered;
	uint64_t delivered_batches;
	uint64_t dead_lettered;
	uint64_t dead_lettered_batches;
	uint64_t dropped[CF_DELIVERY_DROP_MAX];
	uint64_t dropped_total;
	uint64_t requests;
	uint64_t responses_2xx;
	uint64_t responses_transient;  /* 5xx, 408, 429 */
	uint64_t responses_permanent;  /* other 4xx ... */
	uint64_t transport_errors;     /* refused, reset, timeout, TLS ... */
	uint64_t retries;
	uint64_t body_bytes;           /* bytes sent (after compression) */
	uint64_t breaker_opens;        /* closed -> open: outages */
	uint64_t breaker_reopens;      /* half-open -> open: failed probes */
	int breaker_state;
	/* Refusals (permanent answers: 4xx ...), kept or not; times are
	 * cf_clock_mono_ms(), 0 = never. */
	uint64_t refused_records;
	uint64_t refused_batches;
	long last_refused_status;      /* HTTP status of the last refusal */
	uint64_t last_refused_ms;
	uint64_t refusing_since_ms;    /* first refusal since the last 2xx; 0 = none since */
	uint64_t last_2xx_ms;
	/* The dead-letter directory (cf_delivery_dead_letter_info). */
	uint64_t dead_letter_bytes;
	uint64_t dead_letter_failed;   /* batches refused and not kept (budget, I/O) */
	int dead_letter_errno;         /* of the last failure; 0 = none */
	/* Latency of every finished request (any outcome), counted by the engine
	 * thread: lat_le[i] requests took <= cf_delivery_lat_bounds_ms[i] and more than
	 * the bound before (not cumulative); lat_count all of them. */
	uint64_t lat_le[CF_DELIVERY_LAT_BUCKETS];
	uint64_t lat_count;
	uint64_t lat_sum_us;
	/* Batches with their own request (cf_delivery_submit_request): */
	uint64_t req_submitted;        /* accepted by cf_delivery_submit_request (batches) */
	uint64_t req_items_submitted;  /* their nrec */
	uint64_t req_delivered;        /* batches delivered (live or replayed) */
	uint64_t req_items_delivered;
	uint64_t req_dead_lettered;    /* batches refused by the backend (4xx) */
	uint64_t resent;               /* records of a partly delivered spool entry that
					* is replayed whole again (likely duplicates) */
	uint64_t spool_batches;        /* entries on disk, not yet delivered */
	uint64_t spool_oldest_unix_s;  /* 0 when the spool is empty */
};

struct cf_delivery;

/* Starts the engine thread. NULL with a reason in err (bad URL/CA, spool
 * directory unusable, ring/thread creation failed). */
struct cf_delivery *cf_delivery_start(const struct cf_delivery_config *cfg, char *err,
				      size_t errlen);
/* Hands a finished batch over (ownership moves on success). 0, or -ENOBUFS
 * when the ring is full (the caller keeps the batch and tries again). */
int cf_delivery_submit(struct cf_delivery *d, struct cf_delivery_batch *b);
/*
 * Multi-producer path for batches that carry their own request (meta_len >
 * 0): any thread, any number of them, concurrently with cf_delivery_submit (a
 * separate MP/SC ring). Assigns b->boot/seq. Ownership moves on success.
 * 0; -ENOBUFS ring full, or no spool and the breaker not closed (a batch
 * taken then could only be dropped); -EINVAL no metadata or no base_url;
 * -ESHUTDOWN once cf_delivery_stop() began (not taken: the caller answers "retry").
 */
int cf_delivery_submit_request(struct cf_delivery *d, struct cf_delivery_batch *b);
/* Next batch sequence number (thread safe, shared by both paths). */
uint64_t cf_delivery_next_seq(struct cf_delivery *d);
/* Stop sequence: everything submitted is delivered within the shutdown
 * timeout or spooled (or counted dropped); joins the thread and copies the
 * final counters into *final (may be NULL). cf_delivery_stats() stays valid. */
void cf_delivery_stop(struct cf_delivery *d, struct cf_delivery_stats *final);
/* Frees a stopped engine. */
void cf_delivery_free(struct cf_delivery *d);
/* A copy of the counters (each exact, the set not an atomic snapshot). */
void cf_delivery_stats(const struct cf_delivery *d, struct cf_delivery_stats *out);
/* The Kafka transport's counters: 0, or -1 when d does not deliver to Kafka. Any thread. */
int cf_delivery_kafka_stats(const struct cf_delivery *d, struct cf_delivery_kafka_stats *out);
/* Process-unique boot id for batch ids. */
uint64_t cf_delivery_boot_id(const struct cf_delivery *d);

/*
 * What may change while the engine runs (a configuration reload). url/base_url/token
 * as in struct cf_delivery_config (HTTP only; ignored by Kafka); the rest as there.
 */
struct cf_delivery_live {
	const char *url;
	const char *base_url;
	const char *token;
	unsigned int retry_attempts;
	struct cf_delivery_backoff backoff;
	unsigned int breaker_threshold;
	uint64_t breaker_cooldown_ms;
};

/*
 * Hands new live settings to the engine (any one thread at a time; the control lcore).
 * They are checked and copied here (strings may be freed on return); the delivery
 * thread applies them between two turns of its loop: requests already on the wire
 * finish where they went, every request started afterwards (new batches, retries,
 * spool replays) goes to the new URL with the new token. No batch is dropped or
 * re-queued by it. 0, or -1 with err (a string too long, a line break in the
 * token): nothing changes.
 */
int cf_delivery_set_live(struct cf_delivery *d, const struct cf_delivery_live *l, char *err,
			 size_t errlen);
/* How many cf_delivery_set_live() calls the delivery thread has applied (any thread). */
uint64_t cf_delivery_live_applied(const struct cf_delivery *d);

#endif
