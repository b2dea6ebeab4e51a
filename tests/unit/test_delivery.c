/* SPDX-License-Identifier: BSD-3-Clause */
/* Delivery pieces without a network: backoff schedule, circuit breaker,
 * spool segment codec and CRC, spool append/replay/recovery/budget. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cf_delivery.h"
#include "cf_test.h"

static void
test_backoff_schedule(void)
{
	const struct cf_delivery_backoff b = { .initial_ms = 100, .max_ms = 1000, .factor = 2.0 };
	const struct cf_delivery_backoff b15 = { .initial_ms = 100, .max_ms = 60000, .factor = 1.5 };
	static const uint64_t want[] = { 100, 100, 200, 400, 800, 1000, 1000 };
	unsigned int i, low = 0, high = 0;
	uint64_t x = 88172645463325252ull;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CU_ASSERT_EQUAL(cf_delivery_backoff_cap(&b, i), want[i]);
	CU_ASSERT_EQUAL(cf_delivery_backoff_cap(&b, 100000), 1000);
	CU_ASSERT_EQUAL(cf_delivery_backoff_cap(&b15, 3), 225);
	CU_ASSERT_EQUAL(cf_delivery_backoff_delay(&b, 3, 0), 0);
	CU_ASSERT_EQUAL(cf_delivery_backoff_delay(&b, 3, 400), 400);
	CU_ASSERT_EQUAL(cf_delivery_backoff_delay(&b, 3, 401), 0);
	/* Full jitter: every delay within [0, cap], and the whole range used. */
	for (i = 0; i < 10000; i++) {
		uint64_t d;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		d = cf_delivery_backoff_delay(&b, 4, x);
		CU_ASSERT(d <= 800);
		low += d < 200;
		high += d > 600;
	}
	CU_ASSERT(low > 1000);
	CU_ASSERT(high > 1000);
}

static void
test_breaker_transitions(void)
{
	struct cf_delivery_breaker br;

	cf_delivery_breaker_init(&br, 3, 1000);
	CU_ASSERT_EQUAL(br.state, CF_DELIVERY_BREAKER_CLOSED);
	CU_ASSERT(cf_delivery_breaker_allow(&br, 0));
	cf_delivery_breaker_result(&br, 0, 10);
	cf_delivery_breaker_result(&br, 0, 20);
	cf_delivery_breaker_result(&br, 1, 30);   /* a success resets the run */
	cf_delivery_breaker_result(&br, 0, 40);
	cf_delivery_breaker_result(&br, 0, 50);
	CU_ASSERT_EQUAL(br.state, CF_DELIVERY_BREAKER_CLOSED);
	cf_delivery_breaker_result(&br, 0, 100);
	CU_ASSERT_EQUAL(br.state, CF_DELIVERY_BREAKER_OPEN);
	CU_ASSERT_EQUAL(br.opens, 1);
	CU_ASSERT(!cf_delivery_breaker_allow(&br, 500));
	CU_ASSERT(!cf_delivery_breaker_allow(&br, 1099));
	CU_ASSERT(cf_delivery_breaker_allow(&br, 1100));   /* the one probe */
	CU_ASSERT_EQUAL(br.state, CF_DELIVERY_BREAKER_HALF_OPEN);
	CU_ASSERT(!cf_delivery_breaker_allow(&br, 1101));  /* only one */
	cf_delivery_breaker_result(&br, 0, 1200);          /* probe failed */
	CU_ASSERT_EQUAL(br.state, CF_DELIVERY_BREAKER_OPEN);
	/* A failed probe is a re-open of the same outage, not a new one. */
	CU_ASSERT_EQUAL(br.opens, 1);
	CU_ASSERT_EQUAL(br.reopens, 1);
	CU_ASSERT(!cf_delivery_breaker_allow(&br, 2100));
	CU_ASSERT(cf_delivery_breaker_allow(&br, 2200));
	cf_delivery_breaker_result(&br, 1, 2300);          /* probe succeeded */
	CU_ASSERT_EQUAL(br.state, CF_DELIVERY_BREAKER_CLOSED);
	CU_ASSERT_EQUAL(br.failures, 0);
	CU_ASSERT(cf_delivery_breaker_allow(&br, 2301));
	CU_ASSERT(cf_delivery_breaker_allow(&br, 2302));
}

static void
test_crc32c(void)
{
	CU_ASSERT_EQUAL(cf_delivery_crc32c("123456789", 9), 0xE3069283u);
	CU_ASSERT_EQUAL(cf_delivery_crc32c("", 0), 0);
}

static void
test_seg_codec(void)
{
	static const char body[] = "{\"records\":[{\"src_ip\":\"10.0.0.1\"}]}";
	uint8_t h[CF_DELIVERY_SEG_HDR], bad[CF_DELIVERY_SEG_HDR];
	char copy[sizeof(body)];
	struct cf_delivery_seg_hdr d;
	unsigned int bit, fails = 0;

	cf_delivery_seg_encode(h, 0x1122334455667788ull, 42, 7, body, sizeof(body) - 1);
	CU_ASSERT_EQUAL(memcmp(h, "CFSP", 4), 0);
	CU_ASSERT_EQUAL_FATAL(cf_delivery_seg_decode(h, &d), 0);
	CU_ASSERT_EQUAL(d.len, sizeof(body) - 1);
	CU_ASSERT_EQUAL(d.nrec, 7);
	CU_ASSERT_EQUAL(d.boot, 0x1122334455667788ull);
	CU_ASSERT_EQUAL(d.seq, 42);
	CU_ASSERT(cf_delivery_seg_body_ok(&d, body));
	/* Any single flipped header bit is caught. */
	for (bit = 0; bit < CF_DELIVERY_SEG_HDR * 8; bit++) {
		memcpy(bad, h, sizeof(h));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		fails += cf_delivery_seg_decode(bad, &d) != 0;
	}
	CU_ASSERT_EQUAL(fails, CF_DELIVERY_SEG_HDR * 8);
	cf_delivery_seg_decode(h, &d);
	memcpy(copy, body, sizeof(body));
	copy[5] ^= 0x20;
	CU_ASSERT(!cf_delivery_seg_body_ok(&d, copy));
	/* A length beyond the limit is refused even with a valid CRC. */
	memcpy(bad, h, sizeof(h));
	bad[4] = 0xff, bad[5] = 0xff, bad[6] = 0xff, bad[7] = 0x7f;
	{
		uint32_t c = cf_delivery_crc32c(bad, 36);

		bad[36] = (uint8_t)c, bad[37] = (uint8_t)(c >> 8);
		bad[38] = (uint8_t)(c >> 16), bad[39] = (uint8_t)(c >> 24);
	}
	CU_ASSERT_NOT_EQUAL(cf_delivery_seg_decode(bad, &d), 0);
}

static char *
tmpdir(void)
{
	static char t[64];

	snprintf(t, sizeof(t), "/tmp/cf-spool-XXXXXX");
	return mkdtemp(t);
}

static unsigned int
count_segs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, "seg-", 4) == 0;
	closedir(d);
	return n;
}

static void
rm_dir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static void
test_spool_roundtrip(void)
{
	char err[256], *dir = tmpdir(), *body;
	struct cf_delivery_spool *s =
		cf_delivery_spool_open(dir, 1 << 20, CF_DELIVERY_FSYNC_BATCH,
				       CF_DELIVERY_FULL_DROP_OLDEST, err, sizeof(err));
	struct cf_delivery_spool_info i;
	struct cf_delivery_seg_hdr h;
	char buf[32];
	unsigned int k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (k = 1; k <= 3; k++) {
		snprintf(buf, sizeof(buf), "batch-%u", k);
		CU_ASSERT_EQUAL(
			cf_delivery_spool_append(s, 9, k, k * 10, buf, (uint32_t)strlen(buf)), 0);
	}
	cf_delivery_spool_get_info(s, &i);
	CU_ASSERT_EQUAL(i.records, 60);
	CU_ASSERT_EQUAL(i.batches, 3);
	for (k = 1; k <= 3; k++) {
		CU_ASSERT_EQUAL_FATAL(cf_delivery_spool_peek(s, &h, &body), 1);
		CU_ASSERT_EQUAL(h.seq, k);
		free(body);
		/* Not consumed: the same entry again. */
		CU_ASSERT_EQUAL_FATAL(cf_delivery_spool_peek(s, &h, &body), 1);
		CU_ASSERT_EQUAL(h.seq, k);
		CU_ASSERT_EQUAL(h.nrec, k * 10);
		snprintf(buf, sizeof(buf), "batch-%u", k);
		CU_ASSERT_EQUAL(memcmp(body, buf, h.len), 0);
		free(body);
		cf_delivery_spool_consume(s);
	}
	CU_ASSERT_EQUAL(cf_delivery_spool_peek(s, &h, &body), 0);
	cf_delivery_spool_get_info(s, &i);
	CU_ASSERT_EQUAL(i.records, 0);
	CU_ASSERT_EQUAL(count_segs(dir), 0);
	cf_delivery_spool_close(s);
	rm_dir(dir);
}

/* Request batches (edge-agent sketches): path, content type and headers
 * survive the spool and a reopen (a restart), next to an old-format entry. */
static void
test_spool_meta_roundtrip(void)
{
	static const char *const hdrs[] = { "X-Switch-ID", "sw-9", "X-Sketch-Count", "4",
					    "Content-Encoding", "gzip", NULL };
	static const char payload[] = "\x00\x01\xff opaque";
	char err[256], *dir = tmpdir(), *body;
	struct cf_delivery_spool *s =
		cf_delivery_spool_open(dir, 1 << 20, CF_DELIVERY_FSYNC_BATCH,
				       CF_DELIVERY_FULL_DROP_OLDEST, err, sizeof(err));
	struct cf_delivery_batch *b;
	struct cf_delivery_seg_hdr h;
	struct cf_delivery_meta m;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	b = cf_delivery_batch_new_request("/api/edge/sketches/binary", "application/octet-stream",
					  hdrs, payload, sizeof(payload), 1, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(b->meta_len > 2 && b->len == b->meta_len + sizeof(payload));
	/* An old-format (records) entry first, then the request entry. */
	CU_ASSERT_EQUAL(cf_delivery_spool_append(s, 5, 1, 10, "{\"records\":[]}", 14), 0);
	CU_ASSERT_EQUAL(cf_delivery_spool_append_flags(s, 5, 2, b->nrec, CF_DELIVERY_SEG_F_META,
						       b->body, b->len),
			0);
	cf_delivery_spool_close(s);

	s = cf_delivery_spool_open(dir, 1 << 20, CF_DELIVERY_FSYNC_BATCH,
				   CF_DELIVERY_FULL_DROP_OLDEST, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(cf_delivery_spool_peek(s, &h, &body), 1);
	CU_ASSERT_EQUAL(h.flags, 0);
	CU_ASSERT_EQUAL(h.nrec, 10);
	free(body);
	cf_delivery_spool_consume(s);
	CU_ASSERT_EQUAL_FATAL(cf_delivery_spool_peek(s, &h, &body), 1);
	CU_ASSERT_EQUAL(h.flags, CF_DELIVERY_SEG_F_META);
	CU_ASSERT_EQUAL(h.seq, 2);
	CU_ASSERT_EQUAL(h.len, b->len);
	CU_ASSERT_EQUAL_FATAL(cf_delivery_meta_decode(body, h.len, &m), 0);
	CU_ASSERT_EQUAL(m.len, b->meta_len);
	CU_ASSERT_STRING_EQUAL(m.path, "/api/edge/sketches/binary");
	CU_ASSERT_STRING_EQUAL(m.content_type, "application/octet-stream");
	CU_ASSERT_EQUAL_FATAL(m.nhdr, 3);
	CU_ASSERT_STRING_EQUAL(m.hdr[0], "X-Switch-ID: sw-9");
	CU_ASSERT_STRING_EQUAL(m.hdr[1], "X-Sketch-Count: 4");
	CU_ASSERT_STRING_EQUAL(m.hdr[2], "Content-Encoding: gzip");
	CU_ASSERT_EQUAL(memcmp(body + m.len, payload, sizeof(payload)), 0);
	free(body);
	cf_delivery_spool_consume(s);
	CU_ASSERT_EQUAL(cf_delivery_spool_peek(s, &h, &body), 0);
	cf_delivery_spool_close(s);
	cf_delivery_batch_free(b);
	rm_dir(dir);
}

/* The metadata codec refuses what would break a request or the block. */
static void
test_meta_codec(void)
{
	static const char *const crlf[] = { "X-A", "v\r\nInjected: 1", NULL };
	static const char *const colon[] = { "X:A", "v", NULL };
	static const char *const nine[] = { "A", "1", "B", "2", "C", "3", "D", "4", "E", "5",
					    "F", "6", "G", "7", "H", "8", "I", "9", NULL };
	char out[CF_DELIVERY_META_MAX], big[CF_DELIVERY_META_MAX + 10];
	struct cf_delivery_meta m;
	int n;

	CU_ASSERT_EQUAL(cf_delivery_meta_encode(out, sizeof(out), "api/x", "a/b", NULL), -EINVAL);
	CU_ASSERT_EQUAL(cf_delivery_meta_encode(out, sizeof(out), "/x", "a/b", crlf), -EINVAL);
	CU_ASSERT_EQUAL(cf_delivery_meta_encode(out, sizeof(out), "/x", "a/b", colon), -EINVAL);
	CU_ASSERT_EQUAL(cf_delivery_meta_encode(out, sizeof(out), "/x", "a/b", nine), -EINVAL);
	CU_ASSERT_EQUAL(cf_delivery_meta_encode(out, 8, "/xxxxxxxx", "a/b", NULL), -ENOSPC);
	memset(big, 'p', sizeof(big));
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(cf_delivery_meta_encode(out, sizeof(out), big, "a/b", NULL), -ENOSPC);
	n = cf_delivery_meta_encode(out, sizeof(out), "/x", "a/b", NULL);
	CU_ASSERT_EQUAL(n, 2 + 3 + 4);
	CU_ASSERT_EQUAL(cf_delivery_meta_decode(out, (uint32_t)n, &m), 0);
	CU_ASSERT_EQUAL(m.nhdr, 0);
	/* Truncated, length past the buffer, or not NUL-terminated: malformed. */
	CU_ASSERT_EQUAL(cf_delivery_meta_decode(out, (uint32_t)n - 1, &m), -1);
	CU_ASSERT_EQUAL(cf_delivery_meta_decode(out, 1, &m), -1);
	out[n - 1] = 'z';
	CU_ASSERT_EQUAL(cf_delivery_meta_decode(out, (uint32_t)n, &m), -1);
	/* A records body is not a metadata block. */
	CU_ASSERT_EQUAL(cf_delivery_meta_decode("{\"records\":[]}", 14, &m), -1);
}

static void
test_spool_recovery(void)
{
	char err[256], *dir = tmpdir(), *body, path[128];
	struct cf_delivery_spool *s =
		cf_delivery_spool_open(dir, 1 << 20, CF_DELIVERY_FSYNC_NONE,
				       CF_DELIVERY_FULL_DROP_OLDEST, err, sizeof(err));
	struct cf_delivery_spool_info i;
	struct cf_delivery_seg_hdr h;
	struct stat st;
	unsigned int k;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (k = 1; k <= 4; k++)
		CU_ASSERT_EQUAL(cf_delivery_spool_append(s, 1, k, 5, "abcdefgh", 8), 0);
	cf_delivery_spool_close(s);
	/* A crash in the middle of the next append: half a header. */
	snprintf(path, sizeof(path), "%s/seg-%020u.log", dir, 1u);
	fd = open(path, O_WRONLY | O_APPEND);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "CFSP\x08\0\0\0\x05", 9), 9);
	close(fd);
	/* And a flipped body byte in entry 2. */
	fd = open(path, O_RDWR);
	CU_ASSERT_EQUAL(pwrite(fd, "X", 1, CF_DELIVERY_SEG_HDR + 8 + CF_DELIVERY_SEG_HDR + 3), 1);
	close(fd);

	s = cf_delivery_spool_open(dir, 1 << 20, CF_DELIVERY_FSYNC_NONE,
				   CF_DELIVERY_FULL_DROP_OLDEST, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	cf_delivery_spool_get_info(s, &i);
	CU_ASSERT_EQUAL(i.recovered_batches, 3);
	CU_ASSERT_EQUAL(i.recovered_records, 15);
	CU_ASSERT_EQUAL(i.torn_bytes, 9);
	CU_ASSERT_EQUAL(i.corrupt_batches, 1);
	CU_ASSERT_EQUAL(i.corrupt_records, 5);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, 4 * (CF_DELIVERY_SEG_HDR + 8));
	/* Replay skips the corrupt entry: 1, 3, 4. New appends go after them. */
	CU_ASSERT_EQUAL(cf_delivery_spool_append(s, 2, 1, 7, "new", 3), 0);
	{
		static const uint64_t want[] = { 1, 3, 4, 1 };

		for (k = 0; k < 4; k++) {
			CU_ASSERT_EQUAL_FATAL(cf_delivery_spool_peek(s, &h, &body), 1);
			CU_ASSERT_EQUAL(h.seq, want[k]);
			free(body);
			cf_delivery_spool_consume(s);
		}
	}
	CU_ASSERT_EQUAL(cf_delivery_spool_peek(s, &h, &body), 0);
	cf_delivery_spool_get_info(s, &i);
	CU_ASSERT_EQUAL(i.records, 0);
	cf_delivery_spool_close(s);
	rm_dir(dir);
}

static off_t
size_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_size : -1;
}

static void
write_file(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, text, n), (ssize_t)n);
	close(fd);
}

/*
 * Files planted under segment names: a symbolic link to a file elsewhere, a
 * directory, a FIFO, a hard link, somebody's text file. The start never
 * fails, each is skipped and counted, none is followed, truncated or removed,
 * and the real segment beside them is recovered (its torn tail cut).
 */
static void
test_spool_planted(void)
{
	char err[256], *dir = tmpdir(), path[160], victim[160], victim2[160], text[160];
	struct cf_delivery_spool_info i;
	struct cf_delivery_spool *s;
	unsigned int k;
	int fd;

	snprintf(victim, sizeof(victim), "%s.victim", dir);
	snprintf(victim2, sizeof(victim2), "%s.victim2", dir);
	write_file(victim, "precious data, not a spool segment\n", 35);
	write_file(victim2, "more precious data\n", 19);
	/* The real segment first: two entries, then a torn header. */
	s = cf_delivery_spool_open(dir, 1 << 20, CF_DELIVERY_FSYNC_NONE,
				   CF_DELIVERY_FULL_DROP_OLDEST, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(cf_delivery_spool_append(s, 1, 1, 5, "abcdefgh", 8), 0);
	CU_ASSERT_EQUAL(cf_delivery_spool_append(s, 1, 2, 5, "abcdefgh", 8), 0);
	cf_delivery_spool_close(s);
	snprintf(path, sizeof(path), "%s/seg-%020u.log", dir, 1u);
	fd = open(path, O_WRONLY | O_APPEND);
	CU_ASSERT_EQUAL(write(fd, "CFSP\x08", 5), 5);
	close(fd);
	snprintf(path, sizeof(path), "%s/seg-%020u.log", dir, 2u);
	CU_ASSERT_EQUAL(symlink(victim, path), 0);
	snprintf(path, sizeof(path), "%s/seg-%020u.log", dir, 3u);
	CU_ASSERT_EQUAL(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/seg-%020u.log", dir, 4u);
	CU_ASSERT_EQUAL(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/seg-%020u.log", dir, 5u);
	CU_ASSERT_EQUAL(link(victim2, path), 0);
	snprintf(text, sizeof(text), "%s/seg-%020u.log", dir, 6u);
	write_file(text, "a text file that happens to have this name\n", 43);
	snprintf(path, sizeof(path), "%s/.probe", dir);
	CU_ASSERT_EQUAL(symlink(victim2, path), 0);

	s = cf_delivery_spool_open(dir, 1 << 20, CF_DELIVERY_FSYNC_NONE,
				   CF_DELIVERY_FULL_DROP_OLDEST, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	if (s == NULL)
		printf("open: %s\n", err);
	cf_delivery_spool_get_info(s, &i);
	CU_ASSERT_EQUAL(i.skipped_files, 5);
	CU_ASSERT_EQUAL(i.recovered_batches, 2);
	CU_ASSERT_EQUAL(i.batches, 2);
	CU_ASSERT_EQUAL(i.torn_bytes, 5);
	CU_ASSERT(strstr(cf_delivery_spool_skipped(s), "seg-00000000000000000002.log") != NULL);
	/* A new segment goes past every name in the directory. */
	CU_ASSERT_EQUAL(cf_delivery_spool_append(s, 2, 1, 1, "x", 1), 0);
	snprintf(path, sizeof(path), "%s/seg-%020u.log", dir, 7u);
	CU_ASSERT(size_of(path) > 0);
	for (k = 0; k < 3; k++) {
		struct cf_delivery_seg_hdr h;
		char *body;

		CU_ASSERT_EQUAL_FATAL(cf_delivery_spool_peek(s, &h, &body), 1);
		free(body);
		cf_delivery_spool_consume(s);
	}
	cf_delivery_spool_close(s);
	CU_ASSERT_EQUAL(size_of(victim), 35);
	CU_ASSERT_EQUAL(size_of(victim2), 19);
	CU_ASSERT_EQUAL(size_of(text), 43);
	snprintf(path, sizeof(path), "%s/seg-%020u.log", dir, 3u);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/seg-%020u.log", dir, 4u);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	rm_dir(dir);
	unlink(victim);
	unlink(victim2);
}

/* Number of batches a replay finds, consuming them all. */
static uint64_t
drain(struct cf_delivery_spool *s)
{
	struct cf_delivery_seg_hdr h;
	uint64_t n = 0;
	char *body;

	while (cf_delivery_spool_peek(s, &h, &body) == 1) {
		free(body);
		cf_delivery_spool_consume(s);
		n++;
	}
	return n;
}

/*
 * The batch count stays exact when drop-oldest evicts a segment part of which
 * was already replayed (and while an entry of it is out as the peek): on main
 * it subtracted the whole segment's batches again and wrapped below zero.
 */
static void
test_spool_batches_exact(void)
{
	char err[256], *dir = tmpdir(), *body, data[1000];
	struct cf_delivery_spool_info i;
	struct cf_delivery_seg_hdr h;
	struct cf_delivery_spool *s;
	unsigned int k;

	memset(data, 'd', sizeof(data));
	s = cf_delivery_spool_open(dir, 65536, CF_DELIVERY_FSYNC_NONE, CF_DELIVERY_FULL_DROP_OLDEST,
				   err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (k = 0; k < 30; k++)
		CU_ASSERT_EQUAL(cf_delivery_spool_append(s, 1, k, 2, data, sizeof(data)), 0);
	for (k = 0; k < 3; k++) {
		CU_ASSERT_EQUAL_FATAL(cf_delivery_spool_peek(s, &h, &body), 1);
		free(body);
		cf_delivery_spool_consume(s);
	}
	/* One more out as the peek while the budget forces evictions. */
	CU_ASSERT_EQUAL_FATAL(cf_delivery_spool_peek(s, &h, &body), 1);
	free(body);
	for (k = 0; k < 60; k++)
		CU_ASSERT_EQUAL(cf_delivery_spool_append(s, 2, k, 2, data, sizeof(data)), 0);
	cf_delivery_spool_release(s);
	cf_delivery_spool_get_info(s, &i);
	CU_ASSERT(i.batches < 1000);
	CU_ASSERT_EQUAL(i.records, 2 * i.batches);
	CU_ASSERT_EQUAL(drain(s), i.batches);
	cf_delivery_spool_get_info(s, &i);
	CU_ASSERT_EQUAL(i.batches, 0);
	CU_ASSERT_EQUAL(i.records, 0);
	cf_delivery_spool_close(s);
	rm_dir(dir);
}

static void
test_spool_budget(void)
{
	char err[256], *dir = tmpdir(), body[3000];
	struct cf_delivery_spool *s = cf_delivery_spool_open(
		dir, 65536, CF_DELIVERY_FSYNC_NONE, CF_DELIVERY_FULL_DROP_OLDEST, err, sizeof(err));
	struct cf_delivery_spool_info i;
	unsigned int k, refused = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	memset(body, 'r', sizeof(body));
	for (k = 1; k <= 60; k++)
		CU_ASSERT_EQUAL(cf_delivery_spool_append(s, 1, k, 10, body, sizeof(body)), 0);
	cf_delivery_spool_get_info(s, &i);
	CU_ASSERT(i.bytes <= 65536);
	CU_ASSERT(i.dropped_oldest_records > 0);
	CU_ASSERT_EQUAL(i.records + i.dropped_oldest_records, 600);
	{
		/* The newest survived: replay ends with batch 60. */
		struct cf_delivery_seg_hdr h;
		char *b;
		uint64_t last = 0;

		while (cf_delivery_spool_peek(s, &h, &b) == 1) {
			CU_ASSERT(h.seq > last);
			last = h.seq;
			free(b);
			cf_delivery_spool_consume(s);
		}
		CU_ASSERT_EQUAL(last, 60);
	}
	cf_delivery_spool_close(s);
	rm_dir(dir);

	dir = tmpdir();
	s = cf_delivery_spool_open(dir, 65536, CF_DELIVERY_FSYNC_NONE, CF_DELIVERY_FULL_DROP_NEWEST,
				   err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (k = 1; k <= 60; k++)
		refused += cf_delivery_spool_append(s, 1, k, 10, body, sizeof(body)) == 1;
	cf_delivery_spool_get_info(s, &i);
	CU_ASSERT(refused > 0);
	CU_ASSERT_EQUAL(i.dropped_oldest_records, 0);
	CU_ASSERT_EQUAL(i.records, (60 - refused) * 10);
	CU_ASSERT(i.bytes <= 65536);
	{
		/* The oldest survived: replay starts with batch 1. */
		struct cf_delivery_seg_hdr h;
		char *b;

		CU_ASSERT_EQUAL_FATAL(cf_delivery_spool_peek(s, &h, &b), 1);
		CU_ASSERT_EQUAL(h.seq, 1);
		free(b);
	}
	cf_delivery_spool_close(s);
	rm_dir(dir);
}

/* drop-oldest evicts the segment of the entry being replayed: delivered, it
 * counts once; given back, it counts as dropped. Never both, never neither. */
static void
test_spool_evict_in_flight(void)
{
	char err[256], *dir = tmpdir(), body[3000], *b;
	struct cf_delivery_spool_info i;
	struct cf_delivery_seg_hdr h;
	unsigned int k, round;

	memset(body, 'r', sizeof(body));
	for (round = 0; round < 2; round++) {
		struct cf_delivery_spool *s =
			cf_delivery_spool_open(dir, 65536, CF_DELIVERY_FSYNC_NONE,
					       CF_DELIVERY_FULL_DROP_OLDEST, err, sizeof(err));

		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		for (k = 1; k <= 5; k++)
			CU_ASSERT_EQUAL(cf_delivery_spool_append(s, 1, k, 10, body, sizeof(body)),
					0);
		CU_ASSERT_EQUAL_FATAL(cf_delivery_spool_peek(s, &h, &b), 1);
		free(b);
		for (k = 6; k <= 60; k++)
			CU_ASSERT_EQUAL(cf_delivery_spool_append(s, 1, k, 10, body, sizeof(body)),
					0);
		cf_delivery_spool_get_info(s, &i);
		CU_ASSERT(i.dropped_oldest_records > 0);
		/* The entry out for replay is still counted as spooled. */
		CU_ASSERT_EQUAL(i.records + i.dropped_oldest_records, 600);
		if (round == 0) {
			cf_delivery_spool_consume(s);   /* delivered */
			cf_delivery_spool_get_info(s, &i);
			CU_ASSERT_EQUAL(i.records + i.dropped_oldest_records, 590);
		} else {
			cf_delivery_spool_release(s);   /* failed: gone from disk, so dropped */
			cf_delivery_spool_get_info(s, &i);
			CU_ASSERT_EQUAL(i.records + i.dropped_oldest_records, 600);
		}
		{
			uint64_t left = 0;

			while (cf_delivery_spool_peek(s, &h, &b) == 1) {
				left += h.nrec;
				free(b);
				cf_delivery_spool_consume(s);
			}
			CU_ASSERT_EQUAL(left + i.dropped_oldest_records + (round == 0 ? 10 : 0), 600);
		}
		cf_delivery_spool_close(s);
		rm_dir(dir);
		CU_ASSERT_EQUAL(mkdir(dir, 0700), 0);
	}
	rm_dir(dir);
}

/* ------------------------------------------------------------- classify */

/* Unix time 30 s before "Wed, 21 Oct 2015 07:28:00 GMT" (1445412480). */
#define RA_NOW 1445412450

enum { DL = 0, RETRY = 1 };          /* retried column */
enum { BR_FAIL = 0, BR_OK = 1 };     /* breaker column */

struct classify_row {
	const char *name;
	int curl;                        /* CURLcode */
	long status;
	const char *retry_after;         /* header value after the colon; NULL: none */
	enum cf_delivery_outcome want;
	int64_t want_wait_s;
	int retried;                     /* RETRY: kept and sent again; DL: not */
	int breaker;
};

#define OK_(st) CURLE_OK, st
#define DELIV CF_DELIVERY_OUT_DELIVERED, 0, DL, BR_OK
#define PERM CF_DELIVERY_OUT_PERMANENT, 0, DL, BR_OK
#define TRANS(w) CF_DELIVERY_OUT_TRANSIENT, w, RETRY, BR_FAIL
#define TRANSP CF_DELIVERY_OUT_TRANSPORT, 0, RETRY, BR_FAIL

/* What the engine did with each answer before transport and policy were
 * split (cf_engine.c finish(), CURLINFO_RETRY_AFTER): the split keeps it. */
static const struct classify_row classify_rows[] = {
	{"200", OK_(200), NULL, DELIV},
	{"201", OK_(201), NULL, DELIV},
	{"202 (sketches)", OK_(202), NULL, DELIV},
	{"204", OK_(204), NULL, DELIV},
	{"299", OK_(299), NULL, DELIV},
	{"200 ignores Retry-After", OK_(200), " 5", DELIV},
	{"100: 1xx is permanent", OK_(100), NULL, PERM},
	{"199", OK_(199), NULL, PERM},
	{"300", OK_(300), NULL, PERM},
	{"301: no redirect is followed", OK_(301), NULL, PERM},
	{"302", OK_(302), NULL, PERM},
	{"304", OK_(304), NULL, PERM},
	{"307", OK_(307), NULL, PERM},
	{"400", OK_(400), NULL, PERM},
	{"401 bad token", OK_(401), NULL, PERM},
	{"403", OK_(403), NULL, PERM},
	{"404", OK_(404), NULL, PERM},
	{"409", OK_(409), NULL, PERM},
	{"413: too large is permanent (no split)", OK_(413), NULL, PERM},
	{"415", OK_(415), NULL, PERM},
	{"422 schema", OK_(422), NULL, PERM},
	{"422 ignores Retry-After", OK_(422), " 5", PERM},
	{"499", OK_(499), NULL, PERM},
	{"408", OK_(408), NULL, TRANS(0)},
	{"408 + Retry-After", OK_(408), " 3", TRANS(3)},
	{"429 without Retry-After", OK_(429), NULL, TRANS(0)},
	{"429 + Retry-After 1", OK_(429), " 1", TRANS(1)},
	{"429 + Retry-After 120", OK_(429), " 120", TRANS(120)},
	{"500", OK_(500), NULL, TRANS(0)},
	{"501", OK_(501), NULL, TRANS(0)},
	{"502", OK_(502), NULL, TRANS(0)},
	{"503", OK_(503), NULL, TRANS(0)},
	{"504", OK_(504), NULL, TRANS(0)},
	{"599", OK_(599), NULL, TRANS(0)},
	{"600: any status >= 500", OK_(600), NULL, TRANS(0)},
	{"503 + Retry-After seconds", OK_(503), " 30", TRANS(30)},
	{"503 + Retry-After without blank", OK_(503), "30", TRANS(30)},
	{"503 + Retry-After tab", OK_(503), "\t7", TRANS(7)},
	{"503 + Retry-After +30", OK_(503), " +30", TRANS(30)},
	{"503 + Retry-After 30abc: leading number", OK_(503), " 30abc", TRANS(30)},
	{"503 + Retry-After 1.5: whole seconds", OK_(503), " 1.5", TRANS(1)},
	{"503 + Retry-After 0: no wait", OK_(503), " 0", TRANS(0)},
	{"503 + Retry-After -5: no wait", OK_(503), " -5", TRANS(0)},
	{"503 + Retry-After empty", OK_(503), "", TRANS(0)},
	{"503 + Retry-After blank", OK_(503), "  ", TRANS(0)},
	{"503 + Retry-After junk", OK_(503), " soon", TRANS(0)},
	{"503 + Retry-After overflow", OK_(503), " 99999999999999999999", TRANS(0)},
	{"503 + Retry-After HTTP date", OK_(503), " Wed, 21 Oct 2015 07:28:00 GMT", TRANS(30)},
	{"503 + Retry-After RFC 850 date", OK_(503), " Wednesday, 21-Oct-15 07:28:00 GMT", TRANS(30)},
	{"503 + Retry-After asctime date", OK_(503), " Wed Oct 21 07:28:00 2015", TRANS(30)},
	{"503 + Retry-After date with zone", OK_(503), " Wed, 21 Oct 2015 08:28:00 +0100", TRANS(30)},
	{"503 + Retry-After date now", OK_(503), " Wed, 21 Oct 2015 07:27:30 GMT", TRANS(0)},
	{"503 + Retry-After date past", OK_(503), " Wed, 21 Oct 2015 07:20:00 GMT", TRANS(0)},
	{"status 0 without a curl error", OK_(0), NULL, PERM},
	{"connection refused", CURLE_COULDNT_CONNECT, 0, NULL, TRANSP},
	{"host not found", CURLE_COULDNT_RESOLVE_HOST, 0, NULL, TRANSP},
	{"timeout", CURLE_OPERATION_TIMEDOUT, 0, NULL, TRANSP},
	{"timeout after a 200 status line", CURLE_OPERATION_TIMEDOUT, 200, NULL, TRANSP},
	{"reset while reading", CURLE_RECV_ERROR, 0, NULL, TRANSP},
	{"reset while sending", CURLE_SEND_ERROR, 0, NULL, TRANSP},
	{"empty reply (closed mid-request)", CURLE_GOT_NOTHING, 0, NULL, TRANSP},
	{"TLS handshake", CURLE_SSL_CONNECT_ERROR, 0, NULL, TRANSP},
	{"TLS certificate not verified", CURLE_PEER_FAILED_VERIFICATION, 0, NULL, TRANSP},
	{"TLS CA file unreadable", CURLE_SSL_CACERT_BADFILE, 0, NULL, TRANSP},
	{"transport error ignores 503 + Retry-After", CURLE_RECV_ERROR, 503, " 30", TRANSP},
};

static void
test_classify_table(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(classify_rows) / sizeof(classify_rows[0]); i++) {
		const struct classify_row *r = &classify_rows[i];
		struct cf_delivery_verdict v =
			cf_delivery_classify(r->curl, r->status, r->retry_after, RA_NOW);

		if (v.outcome != r->want || v.retry_after_s != r->want_wait_s)
			fprintf(stderr,
				"\n  row '%s': got %s wait %" PRId64 ", want %s wait %" PRId64 "\n",
				r->name, cf_delivery_outcome_name(v.outcome), v.retry_after_s,
				cf_delivery_outcome_name(r->want), r->want_wait_s);
		CU_ASSERT_EQUAL(v.outcome, r->want);
		CU_ASSERT_EQUAL(v.retry_after_s, r->want_wait_s);
		CU_ASSERT_EQUAL(cf_delivery_outcome_retried(v.outcome), r->retried);
		CU_ASSERT_EQUAL(cf_delivery_outcome_breaker_ok(v.outcome), r->breaker);
	}
	CU_ASSERT_STRING_EQUAL(cf_delivery_outcome_name(CF_DELIVERY_OUT_MAX), "?");
	CU_ASSERT_EQUAL(cf_delivery_outcome_retried(CF_DELIVERY_OUT_MAX), 0);
}

/* A past date is negative here; cf_delivery_classify turns it into "no wait". */
static void
test_retry_after_raw(void)
{
	CU_ASSERT_EQUAL(cf_delivery_retry_after(" Wed, 21 Oct 2015 07:20:00 GMT", RA_NOW), -450);
	CU_ASSERT_EQUAL(cf_delivery_retry_after(" 7", RA_NOW), 7);
	/* A leading number wins, as in libcurl: not read as dates. */
	CU_ASSERT_EQUAL(cf_delivery_retry_after(" 2015-10-21", RA_NOW), 2015);
	CU_ASSERT_EQUAL(cf_delivery_retry_after(" 21 Oct 2015 07:28:00 GMT", RA_NOW), 21);
	CU_ASSERT_EQUAL(cf_delivery_retry_after(" Wed, 21 Oct 2015", RA_NOW), 1445385600 - RA_NOW);
}

/* --------------------------------------------------------------- latency */

static void
test_latency_buckets(void)
{
	static const struct {
		uint64_t us;
		unsigned int bucket;
	} rows[] = {
		{0, 0},
		{1000, 0},
		{1001, 1},
		{2500, 1},
		{2501, 2},
		{5000, 2},
		{5001, 3},
		{100000, 6},
		{100001, 7},
		{1000000, 9},
		{9999999, 11},
		{10000000, 11},
		{10000001, CF_DELIVERY_LAT_BUCKETS},
		{UINT64_MAX, CF_DELIVERY_LAT_BUCKETS},
	};
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (cf_delivery_lat_bucket(rows[i].us) != rows[i].bucket)
			fprintf(stderr, "\n  %" PRIu64 " us: bucket %u, want %u\n", rows[i].us,
				cf_delivery_lat_bucket(rows[i].us), rows[i].bucket);
		CU_ASSERT_EQUAL(cf_delivery_lat_bucket(rows[i].us), rows[i].bucket);
	}
}

/* ----------------------------------------------------------- dead letters */

static void
test_dead_letter_dir(void)
{
	char out[64], small[16];

	CU_ASSERT_EQUAL(cf_delivery_dead_letter_dir(out, sizeof(out), "/dl", "/sp"), 0);
	CU_ASSERT_STRING_EQUAL(out, "/dl");
	CU_ASSERT_EQUAL(cf_delivery_dead_letter_dir(out, sizeof(out), "", "/sp"), 0);
	CU_ASSERT_STRING_EQUAL(out, "/sp/dead-letter");
	CU_ASSERT_EQUAL(cf_delivery_dead_letter_dir(out, sizeof(out), NULL, "/sp"), 0);
	CU_ASSERT_STRING_EQUAL(out, "/sp/dead-letter");
	CU_ASSERT_EQUAL(cf_delivery_dead_letter_dir(out, sizeof(out), "", ""), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(cf_delivery_dead_letter_dir(out, sizeof(out), NULL, NULL), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(cf_delivery_dead_letter_dir(small, sizeof(small), NULL, "/spool/dir"),
			-ENAMETOOLONG);
	CU_ASSERT_EQUAL(
		cf_delivery_dead_letter_dir(small, sizeof(small), "/a/long/dead/letter", NULL),
		-ENAMETOOLONG);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 8192);

	*len = 0;
	if (f == NULL || buf == NULL) {
		if (f != NULL)
			fclose(f);
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, 8191, f);
	fclose(f);
	return buf;
}

/* Names in dir, sorted, joined by ' ' (every entry but . and ..). */
static void
list_dir(const char *dir, char *out, size_t len)
{
	char cmd[256];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ls -A %s | tr '\\n' ' '", dir);
	out[0] = '\0';
	p = popen(cmd, "r");
	if (p == NULL)
		return;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	pclose(p);
}

/* The two files, named by batch id, mode 0600, in a directory created 0700 at open. */
static void
test_dead_letter_write(void)
{
	static const char body[] = "{\"records\":[{\"x\":1}]}";
	static const char resp[] = "{\"detail\":\"bad\"}";
	struct cf_delivery_dead_letter_info di;
	struct cf_delivery_dead_letter *dl;
	char *dir = tmpdir(), sub[128], path[256], err[256], names[512], *got;
	struct stat st;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(sub, sizeof(sub), "%s/dead-letter", dir);
	dl = cf_delivery_dead_letter_open(sub, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dl);
	CU_ASSERT_EQUAL(stat(sub, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);
	CU_ASSERT_EQUAL(cf_delivery_dead_letter_write(dl, 0xabcull, 7, body, sizeof(body) - 1, 422,
						      resp, sizeof(resp) - 1),
			0);
	snprintf(path, sizeof(path), "%s/0000000000000abc-7.json", sub);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	got = slurp(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(len, sizeof(body) - 1);
	CU_ASSERT_EQUAL(memcmp(got, body, len), 0);
	free(got);
	snprintf(path, sizeof(path), "%s/0000000000000abc-7.response", sub);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	got = slurp(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, "HTTP 422\n{\"detail\":\"bad\"}");
	free(got);
	/* Never sent (unknown format): status 0, no answer. */
	CU_ASSERT_EQUAL(cf_delivery_dead_letter_write(dl, 0xabcull, 8, "x", 1, 0, NULL, 0), 0);
	snprintf(path, sizeof(path), "%s/0000000000000abc-8.response", sub);
	got = slurp(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, "HTTP 0\n");
	free(got);
	/* Only whole dead letters are left: no temporary file. */
	list_dir(sub, names, sizeof(names));
	CU_ASSERT_STRING_EQUAL(names, "0000000000000abc-7.json 0000000000000abc-7.response "
				      "0000000000000abc-8.json 0000000000000abc-8.response ");
	cf_delivery_dead_letter_get_info(dl, &di);
	CU_ASSERT_EQUAL(di.written_batches, 2);
	CU_ASSERT_EQUAL(di.failed_batches, 0);
	CU_ASSERT_EQUAL(di.bytes, (sizeof(body) - 1) + 9 + (sizeof(resp) - 1) + 1 + 7);
	cf_delivery_dead_letter_close(dl);
	/* A directory that cannot be created: an error at open, not a crash. */
	snprintf(path, sizeof(path), "%s/0000000000000abc-7.json/x", sub);
	CU_ASSERT_PTR_NULL(cf_delivery_dead_letter_open(path, 0, err, sizeof(err)));
	CU_ASSERT(strstr(err, "cannot create") != NULL);
	rm_dir(dir);
}

/* "none" turns dead letters off even with a spool. */
static void
test_dead_letter_none(void)
{
	char out[64];

	CU_ASSERT_EQUAL(cf_delivery_dead_letter_dir(out, sizeof(out), "none", "/sp"), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
}

/* Its own budget: what is there at open counts, a write past it is refused whole. */
static void
test_dead_letter_budget(void)
{
	struct cf_delivery_dead_letter_info di;
	struct cf_delivery_dead_letter *dl;
	char *dir = tmpdir(), path[256], err[256], names[512];
	char body[600];
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	memset(body, 'r', sizeof(body));
	/* 500 bytes of an earlier run's dead letters, and a temporary file a crash left. */
	snprintf(path, sizeof(path), "%s/0000000000000001-1.json", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(body, 1, 500, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/.0000000000000001-2.json.tmp", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	dl = cf_delivery_dead_letter_open(dir, 1500, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dl);
	cf_delivery_dead_letter_get_info(dl, &di);
	CU_ASSERT_EQUAL(di.bytes, 500);
	CU_ASSERT_EQUAL(di.max_bytes, 1500);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);  /* the leftover is gone */
	CU_ASSERT_EQUAL(cf_delivery_dead_letter_write(dl, 2, 1, body, 600, 400, NULL, 0), 0);
	CU_ASSERT_EQUAL(cf_delivery_dead_letter_write(dl, 2, 2, body, 600, 400, NULL, 0), -EDQUOT);
	cf_delivery_dead_letter_get_info(dl, &di);
	CU_ASSERT_EQUAL(di.written_batches, 1);
	CU_ASSERT_EQUAL(di.failed_batches, 1);
	CU_ASSERT_EQUAL(di.last_errno, EDQUOT);
	list_dir(dir, names, sizeof(names));
	CU_ASSERT_STRING_EQUAL(names, "0000000000000001-1.json 0000000000000002-1.json "
				      "0000000000000002-1.response ");
	cf_delivery_dead_letter_close(dl);
	rm_dir(dir);
}

/*
 * Never through a symlink, never into a file someone else made: a planted
 * temporary name makes the write fail (counted) and leaves the target and
 * the directory as they were; nothing half-written is left.
 */
static void
test_dead_letter_hostile(void)
{
	struct cf_delivery_dead_letter_info di;
	struct cf_delivery_dead_letter *dl;
	char *dir = tmpdir(), victim[256], link[256], err[256], names[512], *got;
	size_t len;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	dl = cf_delivery_dead_letter_open(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dl);
	snprintf(victim, sizeof(victim), "%s.victim", dir);
	f = fopen(victim, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("precious", f);
	fclose(f);
	/* Planted after open (the start-up scan would have removed it). */
	snprintf(link, sizeof(link), "%s/.0000000000000003-1.json.tmp", dir);
	CU_ASSERT_EQUAL(symlink(victim, link), 0);
	CU_ASSERT_EQUAL(cf_delivery_dead_letter_write(dl, 3, 1, "{}", 2, 404, NULL, 0), -EEXIST);
	got = slurp(victim, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, "precious");
	free(got);
	/* The other file of that batch was not left behind either. */
	list_dir(dir, names, sizeof(names));
	CU_ASSERT_STRING_EQUAL(names, ".0000000000000003-1.json.tmp ");
	cf_delivery_dead_letter_get_info(dl, &di);
	CU_ASSERT_EQUAL(di.failed_batches, 1);
	CU_ASSERT_EQUAL(di.last_errno, EEXIST);
	CU_ASSERT_EQUAL(di.bytes, 0);
	/* A symlink at the final name is replaced, its target untouched. */
	snprintf(link, sizeof(link), "%s/0000000000000003-2.json", dir);
	CU_ASSERT_EQUAL(symlink(victim, link), 0);
	CU_ASSERT_EQUAL(cf_delivery_dead_letter_write(dl, 3, 2, "{}", 2, 404, NULL, 0), 0);
	got = slurp(victim, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, "precious");
	free(got);
	got = slurp(link, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, "{}");
	free(got);
	cf_delivery_dead_letter_close(dl);
	unlink(victim);
	rm_dir(dir);
}

/*
 * cf_delivery_set_live(): refused settings change nothing (a token with a line break, a
 * URL too long, no URL); accepted ones are applied by the delivery thread, which counts
 * them. An engine with no spool and a backend that is never reached: nothing is sent.
 */
static void
test_set_live(void)
{
	struct cf_delivery_config cfg = {
		.transport = CF_DELIVERY_TRANSPORT_HTTP, .url = "http://127.0.0.1:9/a",
		.base_url = "http://127.0.0.1:9", .token = "", .ca_file = "", .concurrency = 1,
		.connect_timeout_ms = 100, .timeout_ms = 100, .retry_attempts = 1,
		.backoff = {.initial_ms = 10, .max_ms = 10, .factor = 2}, .breaker_threshold = 1,
		.breaker_cooldown_ms = 100, .spool_dir = "", .dead_letter_dir = "none",
		.shutdown_timeout_ms = 100, .ring_size = 16,
	};
	struct cf_delivery_live l = {
		.url = "http://127.0.0.1:10/b", .base_url = "http://127.0.0.1:10", .token = "t",
		.retry_attempts = 5, .backoff = {.initial_ms = 20, .max_ms = 40, .factor = 1.5},
		.breaker_threshold = 9, .breaker_cooldown_ms = 300,
	};
	static char long_url[2048];
	char err[256];
	struct cf_delivery *d = cf_delivery_start(&cfg, err, sizeof(err));
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	l.token = "a\r\nX-Evil: 1";
	CU_ASSERT_EQUAL(cf_delivery_set_live(d, &l, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line break"));
	l.token = "t";
	memset(long_url, 'a', sizeof(long_url) - 1);
	l.url = long_url;
	CU_ASSERT_EQUAL(cf_delivery_set_live(d, &l, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "too long"));
	l.url = "";
	CU_ASSERT_EQUAL(cf_delivery_set_live(d, &l, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(cf_delivery_live_applied(d), 0);   /* nothing was handed over */
	l.url = "http://127.0.0.1:10/b";
	CU_ASSERT_EQUAL(cf_delivery_set_live(d, &l, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cf_delivery_set_live(d, &l, err, sizeof(err)), 0);
	for (i = 0; i < 200 && cf_delivery_live_applied(d) < 2; i++)
		usleep(5000);
	CU_ASSERT_EQUAL(cf_delivery_live_applied(d), 2);
	cf_delivery_stop(d, NULL);
	cf_delivery_free(d);
}

static const struct cft_case cases[] = {
	{"backoff_schedule", test_backoff_schedule},
	{"set_live", test_set_live},
	{"breaker_transitions", test_breaker_transitions},
	{"crc32c", test_crc32c},
	{"seg_codec", test_seg_codec},
	{"spool_roundtrip", test_spool_roundtrip},
	{"spool_meta_roundtrip", test_spool_meta_roundtrip},
	{"meta_codec", test_meta_codec},
	{"spool_recovery", test_spool_recovery},
	{"spool_planted", test_spool_planted},
	{"spool_batches_exact", test_spool_batches_exact},
	{"spool_budget", test_spool_budget},
	{"spool_evict_in_flight", test_spool_evict_in_flight},
	{"classify_table", test_classify_table},
	{"retry_after_raw", test_retry_after_raw},
	{"latency_buckets", test_latency_buckets},
	{"dead_letter_dir", test_dead_letter_dir},
	{"dead_letter_write", test_dead_letter_write},
	{"dead_letter_none", test_dead_letter_none},
	{"dead_letter_budget", test_dead_letter_budget},
	{"dead_letter_hostile", test_dead_letter_hostile},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("delivery", cases);
}
