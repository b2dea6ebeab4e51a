/* SPDX-License-Identifier: BSD-3-Clause */
/* Delivery pieces without a network: backoff schedule, circuit breaker,
 * spool segment codec and CRC, spool append/replay/recovery/budget. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf_delivery.h"
#include "cf_test.h"

static void
test_backoff_schedule(void)
{
	const struct cdl_backoff b = { .initial_ms = 100, .max_ms = 1000, .factor = 2.0 };
	const struct cdl_backoff b15 = { .initial_ms = 100, .max_ms = 60000, .factor = 1.5 };
	static const uint64_t want[] = { 100, 100, 200, 400, 800, 1000, 1000 };
	unsigned int i, low = 0, high = 0;
	uint64_t x = 88172645463325252ull;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CU_ASSERT_EQUAL(cdl_backoff_cap(&b, i), want[i]);
	CU_ASSERT_EQUAL(cdl_backoff_cap(&b, 100000), 1000);
	CU_ASSERT_EQUAL(cdl_backoff_cap(&b15, 3), 225);
	CU_ASSERT_EQUAL(cdl_backoff_delay(&b, 3, 0), 0);
	CU_ASSERT_EQUAL(cdl_backoff_delay(&b, 3, 400), 400);
	CU_ASSERT_EQUAL(cdl_backoff_delay(&b, 3, 401), 0);
	/* Full jitter: every delay within [0, cap], and the whole range used. */
	for (i = 0; i < 10000; i++) {
		uint64_t d;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		d = cdl_backoff_delay(&b, 4, x);
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
	struct cdl_breaker br;

	cdl_breaker_init(&br, 3, 1000);
	CU_ASSERT_EQUAL(br.state, CDL_BREAKER_CLOSED);
	CU_ASSERT(cdl_breaker_allow(&br, 0));
	cdl_breaker_result(&br, 0, 10);
	cdl_breaker_result(&br, 0, 20);
	cdl_breaker_result(&br, 1, 30);   /* a success resets the run */
	cdl_breaker_result(&br, 0, 40);
	cdl_breaker_result(&br, 0, 50);
	CU_ASSERT_EQUAL(br.state, CDL_BREAKER_CLOSED);
	cdl_breaker_result(&br, 0, 100);
	CU_ASSERT_EQUAL(br.state, CDL_BREAKER_OPEN);
	CU_ASSERT_EQUAL(br.opens, 1);
	CU_ASSERT(!cdl_breaker_allow(&br, 500));
	CU_ASSERT(!cdl_breaker_allow(&br, 1099));
	CU_ASSERT(cdl_breaker_allow(&br, 1100));   /* the one probe */
	CU_ASSERT_EQUAL(br.state, CDL_BREAKER_HALF_OPEN);
	CU_ASSERT(!cdl_breaker_allow(&br, 1101));  /* only one */
	cdl_breaker_result(&br, 0, 1200);          /* probe failed */
	CU_ASSERT_EQUAL(br.state, CDL_BREAKER_OPEN);
	CU_ASSERT_EQUAL(br.opens, 2);
	CU_ASSERT(!cdl_breaker_allow(&br, 2100));
	CU_ASSERT(cdl_breaker_allow(&br, 2200));
	cdl_breaker_result(&br, 1, 2300);          /* probe succeeded */
	CU_ASSERT_EQUAL(br.state, CDL_BREAKER_CLOSED);
	CU_ASSERT_EQUAL(br.failures, 0);
	CU_ASSERT(cdl_breaker_allow(&br, 2301));
	CU_ASSERT(cdl_breaker_allow(&br, 2302));
}

static void
test_crc32c(void)
{
	CU_ASSERT_EQUAL(cdl_crc32c("123456789", 9), 0xE3069283u);
	CU_ASSERT_EQUAL(cdl_crc32c("", 0), 0);
}

static void
test_seg_codec(void)
{
	static const char body[] = "{\"records\":[{\"src_ip\":\"10.0.0.1\"}]}";
	uint8_t h[CDL_SEG_HDR], bad[CDL_SEG_HDR];
	char copy[sizeof(body)];
	struct cdl_seg_hdr d;
	unsigned int bit, fails = 0;

	cdl_seg_encode(h, 0x1122334455667788ull, 42, 7, body, sizeof(body) - 1);
	CU_ASSERT_EQUAL(memcmp(h, "CFSP", 4), 0);
	CU_ASSERT_EQUAL_FATAL(cdl_seg_decode(h, &d), 0);
	CU_ASSERT_EQUAL(d.len, sizeof(body) - 1);
	CU_ASSERT_EQUAL(d.nrec, 7);
	CU_ASSERT_EQUAL(d.boot, 0x1122334455667788ull);
	CU_ASSERT_EQUAL(d.seq, 42);
	CU_ASSERT(cdl_seg_body_ok(&d, body));
	/* Any single flipped header bit is caught. */
	for (bit = 0; bit < CDL_SEG_HDR * 8; bit++) {
		memcpy(bad, h, sizeof(h));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		fails += cdl_seg_decode(bad, &d) != 0;
	}
	CU_ASSERT_EQUAL(fails, CDL_SEG_HDR * 8);
	cdl_seg_decode(h, &d);
	memcpy(copy, body, sizeof(body));
	copy[5] ^= 0x20;
	CU_ASSERT(!cdl_seg_body_ok(&d, copy));
	/* A length beyond the limit is refused even with a valid CRC. */
	memcpy(bad, h, sizeof(h));
	bad[4] = 0xff, bad[5] = 0xff, bad[6] = 0xff, bad[7] = 0x7f;
	{
		uint32_t c = cdl_crc32c(bad, 36);

		bad[36] = (uint8_t)c, bad[37] = (uint8_t)(c >> 8);
		bad[38] = (uint8_t)(c >> 16), bad[39] = (uint8_t)(c >> 24);
	}
	CU_ASSERT_NOT_EQUAL(cdl_seg_decode(bad, &d), 0);
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
	struct cdl_spool *s = cdl_spool_open(dir, 1 << 20, CDL_FSYNC_BATCH, CDL_FULL_DROP_OLDEST,
					     err, sizeof(err));
	struct cdl_spool_info i;
	struct cdl_seg_hdr h;
	char buf[32];
	unsigned int k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (k = 1; k <= 3; k++) {
		snprintf(buf, sizeof(buf), "batch-%u", k);
		CU_ASSERT_EQUAL(cdl_spool_append(s, 9, k, k * 10, buf, (uint32_t)strlen(buf)), 0);
	}
	cdl_spool_get_info(s, &i);
	CU_ASSERT_EQUAL(i.records, 60);
	CU_ASSERT_EQUAL(i.batches, 3);
	for (k = 1; k <= 3; k++) {
		CU_ASSERT_EQUAL_FATAL(cdl_spool_peek(s, &h, &body), 1);
		CU_ASSERT_EQUAL(h.seq, k);
		free(body);
		/* Not consumed: the same entry again. */
		CU_ASSERT_EQUAL_FATAL(cdl_spool_peek(s, &h, &body), 1);
		CU_ASSERT_EQUAL(h.seq, k);
		CU_ASSERT_EQUAL(h.nrec, k * 10);
		snprintf(buf, sizeof(buf), "batch-%u", k);
		CU_ASSERT_EQUAL(memcmp(body, buf, h.len), 0);
		free(body);
		cdl_spool_consume(s);
	}
	CU_ASSERT_EQUAL(cdl_spool_peek(s, &h, &body), 0);
	cdl_spool_get_info(s, &i);
	CU_ASSERT_EQUAL(i.records, 0);
	CU_ASSERT_EQUAL(count_segs(dir), 0);
	cdl_spool_close(s);
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
	struct cdl_spool *s = cdl_spool_open(dir, 1 << 20, CDL_FSYNC_BATCH, CDL_FULL_DROP_OLDEST,
					     err, sizeof(err));
	struct cdl_batch *b;
	struct cdl_seg_hdr h;
	struct cdl_meta m;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	b = cdl_batch_new_request("/api/edge/sketches/binary", "application/octet-stream", hdrs,
				  payload, sizeof(payload), 1, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(b->meta_len > 2 && b->len == b->meta_len + sizeof(payload));
	/* An old-format (records) entry first, then the request entry. */
	CU_ASSERT_EQUAL(cdl_spool_append(s, 5, 1, 10, "{\"records\":[]}", 14), 0);
	CU_ASSERT_EQUAL(cdl_spool_append_flags(s, 5, 2, b->nrec, CDL_SEG_F_META, b->body, b->len), 0);
	cdl_spool_close(s);

	s = cdl_spool_open(dir, 1 << 20, CDL_FSYNC_BATCH, CDL_FULL_DROP_OLDEST, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(cdl_spool_peek(s, &h, &body), 1);
	CU_ASSERT_EQUAL(h.flags, 0);
	CU_ASSERT_EQUAL(h.nrec, 10);
	free(body);
	cdl_spool_consume(s);
	CU_ASSERT_EQUAL_FATAL(cdl_spool_peek(s, &h, &body), 1);
	CU_ASSERT_EQUAL(h.flags, CDL_SEG_F_META);
	CU_ASSERT_EQUAL(h.seq, 2);
	CU_ASSERT_EQUAL(h.len, b->len);
	CU_ASSERT_EQUAL_FATAL(cdl_meta_decode(body, h.len, &m), 0);
	CU_ASSERT_EQUAL(m.len, b->meta_len);
	CU_ASSERT_STRING_EQUAL(m.path, "/api/edge/sketches/binary");
	CU_ASSERT_STRING_EQUAL(m.content_type, "application/octet-stream");
	CU_ASSERT_EQUAL_FATAL(m.nhdr, 3);
	CU_ASSERT_STRING_EQUAL(m.hdr[0], "X-Switch-ID: sw-9");
	CU_ASSERT_STRING_EQUAL(m.hdr[1], "X-Sketch-Count: 4");
	CU_ASSERT_STRING_EQUAL(m.hdr[2], "Content-Encoding: gzip");
	CU_ASSERT_EQUAL(memcmp(body + m.len, payload, sizeof(payload)), 0);
	free(body);
	cdl_spool_consume(s);
	CU_ASSERT_EQUAL(cdl_spool_peek(s, &h, &body), 0);
	cdl_spool_close(s);
	cdl_batch_free(b);
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
	char out[CDL_META_MAX], big[CDL_META_MAX + 10];
	struct cdl_meta m;
	int n;

	CU_ASSERT_EQUAL(cdl_meta_encode(out, sizeof(out), "api/x", "a/b", NULL), -EINVAL);
	CU_ASSERT_EQUAL(cdl_meta_encode(out, sizeof(out), "/x", "a/b", crlf), -EINVAL);
	CU_ASSERT_EQUAL(cdl_meta_encode(out, sizeof(out), "/x", "a/b", colon), -EINVAL);
	CU_ASSERT_EQUAL(cdl_meta_encode(out, sizeof(out), "/x", "a/b", nine), -EINVAL);
	CU_ASSERT_EQUAL(cdl_meta_encode(out, 8, "/xxxxxxxx", "a/b", NULL), -ENOSPC);
	memset(big, 'p', sizeof(big));
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(cdl_meta_encode(out, sizeof(out), big, "a/b", NULL), -ENOSPC);
	n = cdl_meta_encode(out, sizeof(out), "/x", "a/b", NULL);
	CU_ASSERT_EQUAL(n, 2 + 3 + 4);
	CU_ASSERT_EQUAL(cdl_meta_decode(out, (uint32_t)n, &m), 0);
	CU_ASSERT_EQUAL(m.nhdr, 0);
	/* Truncated, length past the buffer, or not NUL-terminated: malformed. */
	CU_ASSERT_EQUAL(cdl_meta_decode(out, (uint32_t)n - 1, &m), -1);
	CU_ASSERT_EQUAL(cdl_meta_decode(out, 1, &m), -1);
	out[n - 1] = 'z';
	CU_ASSERT_EQUAL(cdl_meta_decode(out, (uint32_t)n, &m), -1);
	/* A records body is not a metadata block. */
	CU_ASSERT_EQUAL(cdl_meta_decode("{\"records\":[]}", 14, &m), -1);
}

static void
test_spool_recovery(void)
{
	char err[256], *dir = tmpdir(), *body, path[128];
	struct cdl_spool *s = cdl_spool_open(dir, 1 << 20, CDL_FSYNC_NONE, CDL_FULL_DROP_OLDEST,
					     err, sizeof(err));
	struct cdl_spool_info i;
	struct cdl_seg_hdr h;
	struct stat st;
	unsigned int k;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (k = 1; k <= 4; k++)
		CU_ASSERT_EQUAL(cdl_spool_append(s, 1, k, 5, "abcdefgh", 8), 0);
	cdl_spool_close(s);
	/* A crash in the middle of the next append: half a header. */
	snprintf(path, sizeof(path), "%s/seg-%020u.log", dir, 1u);
	fd = open(path, O_WRONLY | O_APPEND);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "CFSP\x08\0\0\0\x05", 9), 9);
	close(fd);
	/* And a flipped body byte in entry 2. */
	fd = open(path, O_RDWR);
	CU_ASSERT_EQUAL(pwrite(fd, "X", 1, CDL_SEG_HDR + 8 + CDL_SEG_HDR + 3), 1);
	close(fd);

	s = cdl_spool_open(dir, 1 << 20, CDL_FSYNC_NONE, CDL_FULL_DROP_OLDEST, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	cdl_spool_get_info(s, &i);
	CU_ASSERT_EQUAL(i.recovered_batches, 3);
	CU_ASSERT_EQUAL(i.recovered_records, 15);
	CU_ASSERT_EQUAL(i.torn_bytes, 9);
	CU_ASSERT_EQUAL(i.corrupt_batches, 1);
	CU_ASSERT_EQUAL(i.corrupt_records, 5);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, 4 * (CDL_SEG_HDR + 8));
	/* Replay skips the corrupt entry: 1, 3, 4. New appends go after them. */
	CU_ASSERT_EQUAL(cdl_spool_append(s, 2, 1, 7, "new", 3), 0);
	{
		static const uint64_t want[] = { 1, 3, 4, 1 };

		for (k = 0; k < 4; k++) {
			CU_ASSERT_EQUAL_FATAL(cdl_spool_peek(s, &h, &body), 1);
			CU_ASSERT_EQUAL(h.seq, want[k]);
			free(body);
			cdl_spool_consume(s);
		}
	}
	CU_ASSERT_EQUAL(cdl_spool_peek(s, &h, &body), 0);
	cdl_spool_get_info(s, &i);
	CU_ASSERT_EQUAL(i.records, 0);
	cdl_spool_close(s);
	rm_dir(dir);
}

static void
test_spool_budget(void)
{
	char err[256], *dir = tmpdir(), body[3000];
	struct cdl_spool *s = cdl_spool_open(dir, 65536, CDL_FSYNC_NONE, CDL_FULL_DROP_OLDEST,
					     err, sizeof(err));
	struct cdl_spool_info i;
	unsigned int k, refused = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	memset(body, 'r', sizeof(body));
	for (k = 1; k <= 60; k++)
		CU_ASSERT_EQUAL(cdl_spool_append(s, 1, k, 10, body, sizeof(body)), 0);
	cdl_spool_get_info(s, &i);
	CU_ASSERT(i.bytes <= 65536);
	CU_ASSERT(i.dropped_oldest_records > 0);
	CU_ASSERT_EQUAL(i.records + i.dropped_oldest_records, 600);
	{
		/* The newest survived: replay ends with batch 60. */
		struct cdl_seg_hdr h;
		char *b;
		uint64_t last = 0;

		while (cdl_spool_peek(s, &h, &b) == 1) {
			CU_ASSERT(h.seq > last);
			last = h.seq;
			free(b);
			cdl_spool_consume(s);
		}
		CU_ASSERT_EQUAL(last, 60);
	}
	cdl_spool_close(s);
	rm_dir(dir);

	dir = tmpdir();
	s = cdl_spool_open(dir, 65536, CDL_FSYNC_NONE, CDL_FULL_DROP_NEWEST, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (k = 1; k <= 60; k++)
		refused += cdl_spool_append(s, 1, k, 10, body, sizeof(body)) == 1;
	cdl_spool_get_info(s, &i);
	CU_ASSERT(refused > 0);
	CU_ASSERT_EQUAL(i.dropped_oldest_records, 0);
	CU_ASSERT_EQUAL(i.records, (60 - refused) * 10);
	CU_ASSERT(i.bytes <= 65536);
	{
		/* The oldest survived: replay starts with batch 1. */
		struct cdl_seg_hdr h;
		char *b;

		CU_ASSERT_EQUAL_FATAL(cdl_spool_peek(s, &h, &b), 1);
		CU_ASSERT_EQUAL(h.seq, 1);
		free(b);
	}
	cdl_spool_close(s);
	rm_dir(dir);
}

/* drop-oldest evicts the segment of the entry being replayed: delivered, it
 * counts once; given back, it counts as dropped. Never both, never neither. */
static void
test_spool_evict_in_flight(void)
{
	char err[256], *dir = tmpdir(), body[3000], *b;
	struct cdl_spool_info i;
	struct cdl_seg_hdr h;
	unsigned int k, round;

	memset(body, 'r', sizeof(body));
	for (round = 0; round < 2; round++) {
		struct cdl_spool *s = cdl_spool_open(dir, 65536, CDL_FSYNC_NONE, CDL_FULL_DROP_OLDEST,
						     err, sizeof(err));

		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		for (k = 1; k <= 5; k++)
			CU_ASSERT_EQUAL(cdl_spool_append(s, 1, k, 10, body, sizeof(body)), 0);
		CU_ASSERT_EQUAL_FATAL(cdl_spool_peek(s, &h, &b), 1);
		free(b);
		for (k = 6; k <= 60; k++)
			CU_ASSERT_EQUAL(cdl_spool_append(s, 1, k, 10, body, sizeof(body)), 0);
		cdl_spool_get_info(s, &i);
		CU_ASSERT(i.dropped_oldest_records > 0);
		/* The entry out for replay is still counted as spooled. */
		CU_ASSERT_EQUAL(i.records + i.dropped_oldest_records, 600);
		if (round == 0) {
			cdl_spool_consume(s);   /* delivered */
			cdl_spool_get_info(s, &i);
			CU_ASSERT_EQUAL(i.records + i.dropped_oldest_records, 590);
		} else {
			cdl_spool_release(s);   /* failed: gone from disk, so dropped */
			cdl_spool_get_info(s, &i);
			CU_ASSERT_EQUAL(i.records + i.dropped_oldest_records, 600);
		}
		{
			uint64_t left = 0;

			while (cdl_spool_peek(s, &h, &b) == 1) {
				left += h.nrec;
				free(b);
				cdl_spool_consume(s);
			}
			CU_ASSERT_EQUAL(left + i.dropped_oldest_records + (round == 0 ? 10 : 0), 600);
		}
		cdl_spool_close(s);
		rm_dir(dir);
		CU_ASSERT_EQUAL(mkdir(dir, 0700), 0);
	}
	rm_dir(dir);
}

static const struct cft_case cases[] = {
	{"backoff_schedule", test_backoff_schedule},
	{"breaker_transitions", test_breaker_transitions},
	{"crc32c", test_crc32c},
	{"seg_codec", test_seg_codec},
	{"spool_roundtrip", test_spool_roundtrip},
	{"spool_meta_roundtrip", test_spool_meta_roundtrip},
	{"meta_codec", test_meta_codec},
	{"spool_recovery", test_spool_recovery},
	{"spool_budget", test_spool_budget},
	{"spool_evict_in_flight", test_spool_evict_in_flight},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	(void)argc;
	cft_eal_init(argv[0]);
	return cft_suite_main("delivery", cases);
}
