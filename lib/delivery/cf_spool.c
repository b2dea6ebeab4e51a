/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The durable spool: a directory of append-only segment files, oldest first.
 * One writer appends to the newest segment; one reader replays from the
 * oldest. A segment is deleted once every entry in it was consumed, or
 * evicted whole by --spool-full=drop-oldest.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <rte_hash_crc.h>

#include "cf_clock.h"
#include "cf_delivery.h"

/* ---------------------------------------------------------------- segment */

uint32_t
cf_delivery_crc32c(const void *p, size_t n)
{
	/* rte_hash_crc is CRC32C without the final inversion. */
	return ~rte_hash_crc(p, (uint32_t)n, 0xFFFFFFFFu);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

void
cf_delivery_seg_encode(uint8_t out[CF_DELIVERY_SEG_HDR], uint64_t boot, uint64_t seq, uint32_t nrec,
		       const void *body, uint32_t len)
{
	cf_delivery_seg_encode_flags(out, boot, seq, nrec, 0, body, len);
}

void
cf_delivery_seg_encode_flags(uint8_t out[CF_DELIVERY_SEG_HDR], uint64_t boot, uint64_t seq,
			     uint32_t nrec, uint32_t flags, const void *body, uint32_t len)
{
	put32(out, CF_DELIVERY_SEG_MAGIC);
	put32(out + 4, len);
	put32(out + 8, nrec);
	put32(out + 12, cf_delivery_crc32c(body, len));
	put64(out + 16, boot);
	put64(out + 24, seq);
	put32(out + 32, flags);
	put32(out + 36, cf_delivery_crc32c(out, 36));
}

int
cf_delivery_seg_decode(const uint8_t in[CF_DELIVERY_SEG_HDR], struct cf_delivery_seg_hdr *h)
{
	if (get32(in) != CF_DELIVERY_SEG_MAGIC || get32(in + 36) != cf_delivery_crc32c(in, 36))
		return -1;
	h->len = get32(in + 4);
	if (h->len > CF_DELIVERY_SEG_MAX_BODY)
		return -1;
	h->nrec = get32(in + 8);
	h->body_crc = get32(in + 12);
	h->boot = get64(in + 16);
	h->seq = get64(in + 24);
	h->flags = get32(in + 32);
	return 0;
}

int
cf_delivery_seg_body_ok(const struct cf_delivery_seg_hdr *h, const void *body)
{
	return cf_delivery_crc32c(body, h->len) == h->body_crc;
}

/* ------------------------------------------------------------------ spool */

struct seg {
	uint64_t id;
	uint64_t bytes;          /* valid bytes in the file */
	uint64_t records;        /* valid records in it */
	uint64_t batches;
	uint64_t consumed;       /* records consumed (oldest segment only) */
	uint64_t consumed_batches; /* and batches: an eviction takes only the rest off the count */
	uint64_t corrupt_known;  /* bad-body entries already counted at recovery */
	uint64_t created_s;      /* Unix time; recovered segments: file mtime */
	dev_t dev;               /* the file recovered or created, so the reader opens that one */
	ino_t ino;
};

struct cf_delivery_spool {
	char dir[PATH_MAX - 64];
	uint64_t max_bytes;
	uint64_t seg_max;
	enum cf_delivery_fsync fsync_policy;
	enum cf_delivery_full full;
	struct seg *segs;        /* oldest first */
	unsigned int n, cap;
	int wfd;                 /* fd of segs[n-1] while it is the write segment */
	uint64_t next_id;
	uint64_t total_bytes;
	/* reader: always in segs[0] */
	int rfd;
	uint64_t rfd_id;
	uint64_t roff;
	int peeked;
	int peek_orphan;         /* its segment was evicted while it was out */
	uint64_t peek_next;
	uint32_t peek_nrec;
	int dirty;
	uint64_t last_sync_ms;
	struct cf_delivery_spool_info info;
	char skipped_first[160];   /* the first skipped file and why, for the log */
};

static void
seg_path(const struct cf_delivery_spool *s, uint64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/seg-%020" PRIu64 ".log", s->dir, id);
}

static void
sync_dir(const struct cf_delivery_spool *s)
{
	int fd;

	if (s->fsync_policy == CF_DELIVERY_FSYNC_NONE)
		return;
	fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int
push_seg(struct cf_delivery_spool *s, const struct seg *g)
{
	if (s->n == s->cap) {
		unsigned int nc = s->cap ? s->cap * 2 : 16;
		struct seg *ns = realloc(s->segs, nc * sizeof(*ns));

		if (ns == NULL)
			return -ENOMEM;
		s->segs = ns;
		s->cap = nc;
	}
	s->segs[s->n++] = *g;
	return 0;
}

/* Removes segs[0] from disk and memory. */
static void
drop_first(struct cf_delivery_spool *s)
{
	char path[PATH_MAX];

	if (s->rfd >= 0) {
		close(s->rfd);
		s->rfd = -1;
	}
	if (s->n == 1 && s->wfd >= 0) {
		close(s->wfd);
		s->wfd = -1;
	}
	seg_path(s, s->segs[0].id, path, sizeof(path));
	unlink(path);
	s->total_bytes -= s->segs[0].bytes;
	memmove(s->segs, s->segs + 1, (s->n - 1) * sizeof(*s->segs));
	s->n--;
	s->roff = 0;
	sync_dir(s);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * A file of ours: a regular file (not a link: O_NOFOLLOW), owned by us, with
 * no other name. Anything else in the directory is not opened for writing.
 */
static int
own_file(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_uid == geteuid() && st->st_nlink == 1;
}

static void
skip_file(struct cf_delivery_spool *s, uint64_t id, const char *why)
{
	s->info.skipped_files++;
	if (s->skipped_first[0] == '\0')
		snprintf(s->skipped_first, sizeof(s->skipped_first), "seg-%020" PRIu64 ".log: %s",
			 id, why);
}

/*
 * Scans one segment: counts valid entries, truncates a torn tail. A file
 * that is not one of ours (own_file(), and a valid first entry) is skipped
 * and counted, never written. 0, or -ENOMEM.
 */
static int
recover_seg(struct cf_delivery_spool *s, uint64_t id)
{
	char path[PATH_MAX];
	struct seg g = { .id = id };
	struct stat st, st2;
	uint64_t off = 0;
	char *body = NULL;
	int fd;

	seg_path(s, id, path, sizeof(path));
	/* O_NONBLOCK: a FIFO planted under a segment's name must not hang the start. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		skip_file(s, id, errno == ELOOP ? "a symbolic link" : strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) != 0 || !own_file(&st)) {
		skip_file(s, id, "not a regular file of ours");
		close(fd);
		return 0;
	}
	for (;;) {
		uint8_t hb[CF_DELIVERY_SEG_HDR];
		struct cf_delivery_seg_hdr h;
		char *nb;

		if (off + CF_DELIVERY_SEG_HDR > (uint64_t)st.st_size ||
		    pread(fd, hb, CF_DELIVERY_SEG_HDR, (off_t)off) != CF_DELIVERY_SEG_HDR ||
		    cf_delivery_seg_decode(hb, &h) != 0 ||
		    off + CF_DELIVERY_SEG_HDR + h.len > (uint64_t)st.st_size)
			break;
		nb = realloc(body, h.len ? h.len : 1);
		if (nb == NULL)
			break;
		body = nb;
		if (pread(fd, body, h.len, (off_t)(off + CF_DELIVERY_SEG_HDR)) != (ssize_t)h.len)
			break;
		if (cf_delivery_seg_body_ok(&h, body)) {
			g.records += h.nrec;
			g.batches++;
		} else {
			g.corrupt_known++;
			s->info.corrupt_batches++;
			s->info.corrupt_records += h.nrec;
		}
		off += CF_DELIVERY_SEG_HDR + h.len;
	}
	free(body);
	close(fd);
	if (off == 0 && st.st_size != 0) {
		/* Not one entry we wrote: somebody else's file. Left as it is. */
		skip_file(s, id, "does not start with a spool entry");
		return 0;
	}
	if (off < (uint64_t)st.st_size) {
		/* Ours, with a torn tail: cut it, on the very file we read. */
		s->info.torn_bytes += (uint64_t)st.st_size - off;
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st2) == 0 && st2.st_ino == st.st_ino &&
		    st2.st_dev == st.st_dev && own_file(&st2) && ftruncate(fd, (off_t)off) == 0 &&
		    s->fsync_policy != CF_DELIVERY_FSYNC_NONE)
			fsync(fd);
		if (fd >= 0)
			close(fd);
	}
	if (g.batches == 0) {
		/* Nothing worth replaying (corrupt-only entries were counted). */
		unlink(path);
		return 0;
	}
	g.bytes = off;
	g.created_s = (uint64_t)st.st_mtime;
	g.dev = st.st_dev;
	g.ino = st.st_ino;
	s->info.recovered_records += g.records;
	s->info.recovered_batches += g.batches;
	s->info.records += g.records;
	s->info.batches += g.batches;
	s->total_bytes += off;
	return push_seg(s, &g);
}

struct cf_delivery_spool *
cf_delivery_spool_open(const char *dir, uint64_t max_bytes, enum cf_delivery_fsync fsync_policy,
		       enum cf_delivery_full full, char *err, size_t errlen)
{
	struct cf_delivery_spool *s;
	struct dirent *de;
	uint64_t *ids = NULL;
	size_t nids = 0, capids = 0, i;
	DIR *d;

	if (strlen(dir) >= sizeof(s->dir)) {
		snprintf(err, errlen, "spool directory path too long");
		return NULL;
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create spool directory '%s': %s", dir, strerror(errno));
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	strcpy(s->dir, dir);
	s->max_bytes = max_bytes;
	/* Eight or more segments per budget keeps drop-oldest evictions small. */
	s->seg_max = max_bytes / 8;
	if (s->seg_max < 4096)
		s->seg_max = 4096;
	if (s->seg_max > (64u << 20))
		s->seg_max = 64u << 20;
	s->fsync_policy = fsync_policy;
	s->full = full;
	s->wfd = -1;
	s->rfd = -1;
	s->next_id = 1;

	d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "cannot read spool directory '%s': %s", dir, strerror(errno));
		free(s);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		unsigned long long id;
		char tail;

		/* Exactly seg-<20 digits>.log: seg-...log.old and the like are not segments. */
		if (strlen(de->d_name) != 28 ||
		    sscanf(de->d_name, "seg-%20llu.lo%c", &id, &tail) != 2 || tail != 'g')
			continue;
		if (nids == capids) {
			uint64_t *n2 = realloc(ids, (capids ? capids * 2 : 64) * sizeof(*ids));

			if (n2 == NULL)
				break;
			ids = n2;
			capids = capids ? capids * 2 : 64;
		}
		ids[nids++] = id;
	}
	closedir(d);
	if (nids > 1)
		qsort(ids, nids, sizeof(*ids), cmp_u64);
	for (i = 0; i < nids; i++) {
		int rc = recover_seg(s, ids[i]);

		if (rc != 0) {
			snprintf(err, errlen, "cannot recover spool segment %" PRIu64 " in '%s': %s",
				 ids[i], dir, strerror(-rc));
			free(ids);
			cf_delivery_spool_close(s);
			return NULL;
		}
		if (ids[i] >= s->next_id)
			s->next_id = ids[i] + 1;
	}
	free(ids);
	{
		/* Fail now, not at the first outage, when the directory is read-only. */
		char probe[PATH_MAX];
		int fd;

		snprintf(probe, sizeof(probe), "%s/.probe", dir);
		/* A new file or nothing: a planted .probe link must not truncate its target. */
		unlink(probe);
		fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd < 0) {
			snprintf(err, errlen, "spool directory '%s' is not writable: %s", dir,
				 strerror(errno));
			cf_delivery_spool_close(s);
			return NULL;
		}
		close(fd);
		unlink(probe);
	}
	return s;
}

static int
roll(struct cf_delivery_spool *s)
{
	char path[PATH_MAX];
	struct seg g = { .id = s->next_id, .created_s = cf_clock_wall_ms() / 1000 };
	int fd;

	if (s->wfd >= 0) {
		if (s->fsync_policy != CF_DELIVERY_FSYNC_NONE)
			fsync(s->wfd);
		close(s->wfd);
		s->wfd = -1;
	}
	seg_path(s, g.id, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	{
		struct stat st;

		if (fstat(fd, &st) == 0) {
			g.dev = st.st_dev;
			g.ino = st.st_ino;
		}
	}
	if (push_seg(s, &g) != 0) {
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	s->next_id++;
	s->wfd = fd;
	sync_dir(s);
	return 0;
}

/* Records of segs[0] not consumed and not out as the current peek. */
static uint64_t
first_unclaimed(const struct cf_delivery_spool *s)
{
	uint64_t left = s->segs[0].records - s->segs[0].consumed;

	if (s->peeked && !s->peek_orphan)
		left -= s->peek_nrec;
	return left;
}

int
cf_delivery_spool_append(struct cf_delivery_spool *s, uint64_t boot, uint64_t seq, uint32_t nrec,
			 const void *body, uint32_t len)
{
	return cf_delivery_spool_append_flags(s, boot, seq, nrec, 0, body, len);
}

int
cf_delivery_spool_append_flags(struct cf_delivery_spool *s, uint64_t boot, uint64_t seq,
			       uint32_t nrec, uint32_t flags, const void *body, uint32_t len)
{
	uint64_t need = CF_DELIVERY_SEG_HDR + (uint64_t)len;
	uint8_t hb[CF_DELIVERY_SEG_HDR];
	struct iovec iov[2];
	struct seg *w;
	ssize_t wr;

	if (need > s->max_bytes || len > CF_DELIVERY_SEG_MAX_BODY)
		return 1;
	while (s->total_bytes + need > s->max_bytes) {
		uint64_t left;

		if (s->full == CF_DELIVERY_FULL_DROP_NEWEST || s->n == 0)
			return 1;
		left = first_unclaimed(s);
		/* The batch out as the peek is still counted until consume/release settles it. */
		s->info.batches -= s->segs[0].batches - s->segs[0].consumed_batches -
				   (s->peeked && !s->peek_orphan ? 1 : 0);
		if (s->peeked && !s->peek_orphan)
			s->peek_orphan = 1;
		s->info.dropped_oldest_records += left;
		s->info.records -= left;
		drop_first(s);
	}
	if (s->wfd < 0 || (s->segs[s->n - 1].bytes > 0 && s->segs[s->n - 1].bytes + need > s->seg_max)) {
		int rc = roll(s);

		if (rc != 0) {
			s->info.write_errors++;
			return rc;
		}
	}
	w = &s->segs[s->n - 1];
	cf_delivery_seg_encode_flags(hb, boot, seq, nrec, flags, body, len);
	iov[0].iov_base = hb;
	iov[0].iov_len = CF_DELIVERY_SEG_HDR;
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = len;
	wr = writev(s->wfd, iov, 2);
	if (wr != (ssize_t)need) {
		int e = wr < 0 ? errno : ENOSPC;

		/* Leave no partial entry behind: a later append must start clean. */
		if (ftruncate(s->wfd, (off_t)w->bytes) != 0) {
			close(s->wfd);
			s->wfd = -1;
		}
		s->info.write_errors++;
		return -e;
	}
	if (s->fsync_policy == CF_DELIVERY_FSYNC_BATCH)
		fdatasync(s->wfd);
	else if (s->fsync_policy == CF_DELIVERY_FSYNC_INTERVAL)
		s->dirty = 1;
	w->bytes += need;
	w->records += nrec;
	w->batches++;
	s->total_bytes += need;
	s->info.records += nrec;
	s->info.batches++;
	s->info.written_records += nrec;
	s->info.written_batches++;
	return 0;
}

int
cf_delivery_spool_peek(struct cf_delivery_spool *s, struct cf_delivery_seg_hdr *h, char **body)
{
	for (;;) {
		uint8_t hb[CF_DELIVERY_SEG_HDR];
		struct seg *g;
		char *b;

		if (s->n == 0)
			return 0;
		g = &s->segs[0];
		if (s->roff >= g->bytes) {
			/* Caught up (even with the writer): the next append starts a new segment. */
			drop_first(s);
			continue;
		}
		if (s->rfd < 0 || s->rfd_id != g->id) {
			char path[PATH_MAX];

			if (s->rfd >= 0)
				close(s->rfd);
			seg_path(s, g->id, path, sizeof(path));
			s->rfd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			if (s->rfd >= 0) {
				struct stat st;

				/* Replaced behind our back: not our entries any more. */
				if (fstat(s->rfd, &st) != 0 || st.st_ino != g->ino ||
				    st.st_dev != g->dev || !S_ISREG(st.st_mode)) {
					close(s->rfd);
					s->rfd = -1;
					errno = ESTALE;
				}
			}
			if (s->rfd < 0) {
				/* Entries that cannot be read: corrupt, not retried forever. */
				uint64_t left = g->records - g->consumed;

				s->info.corrupt_records += left;
				s->info.corrupt_batches += g->batches - g->consumed_batches;
				s->info.records -= left;
				s->info.batches -= g->batches - g->consumed_batches;
				g->consumed = g->records;
				g->consumed_batches = g->batches;
				s->roff = g->bytes;
				continue;
			}
			s->rfd_id = g->id;
		}
		if (pread(s->rfd, hb, CF_DELIVERY_SEG_HDR, (off_t)s->roff) != CF_DELIVERY_SEG_HDR ||
		    cf_delivery_seg_decode(hb, h) != 0 ||
		    s->roff + CF_DELIVERY_SEG_HDR + h->len > g->bytes) {
			/* Damaged after recovery: nothing after this point can be trusted. */
			uint64_t left = g->records - g->consumed;

			s->info.corrupt_records += left;
			s->info.corrupt_batches++;
			s->info.records -= left;
			s->info.batches -= g->batches - g->consumed_batches;
			g->consumed = g->records;
			g->consumed_batches = g->batches;
			s->roff = g->bytes;
			continue;
		}
		b = malloc(h->len ? h->len : 1);
		if (b == NULL)
			return -ENOMEM;
		if (pread(s->rfd, b, h->len, (off_t)(s->roff + CF_DELIVERY_SEG_HDR)) !=
		    (ssize_t)h->len) {
			free(b);
			return -EIO;
		}
		if (!cf_delivery_seg_body_ok(h, b)) {
			free(b);
			if (g->corrupt_known > 0) {
				g->corrupt_known--;
			} else {
				s->info.corrupt_batches++;
				s->info.corrupt_records += h->nrec;
				s->info.records -= h->nrec;
				s->info.batches--;
				g->consumed += h->nrec;
				g->consumed_batches++;
			}
			s->roff += CF_DELIVERY_SEG_HDR + h->len;
			continue;
		}
		s->peeked = 1;
		s->peek_orphan = 0;
		s->peek_next = s->roff + CF_DELIVERY_SEG_HDR + h->len;
		s->peek_nrec = h->nrec;
		*body = b;
		return 1;
	}
}

void
cf_delivery_spool_consume(struct cf_delivery_spool *s)
{
	if (!s->peeked)
		return;
	s->peeked = 0;
	s->info.records -= s->peek_nrec;
	s->info.batches--;
	if (s->peek_orphan || s->n == 0)
		return;
	s->roff = s->peek_next;
	s->segs[0].consumed += s->peek_nrec;
	s->segs[0].consumed_batches++;
	if (s->roff >= s->segs[0].bytes)
		drop_first(s);
}

void
cf_delivery_spool_release(struct cf_delivery_spool *s)
{
	if (!s->peeked)
		return;
	s->peeked = 0;
	if (s->peek_orphan) {
		/* Its segment was evicted while it was out: it is gone from disk. */
		s->info.records -= s->peek_nrec;
		s->info.batches--;
		s->info.dropped_oldest_records += s->peek_nrec;
	}
}

void
cf_delivery_spool_tick(struct cf_delivery_spool *s, uint64_t now_ms)
{
	if (s->dirty && now_ms - s->last_sync_ms >= 1000) {
		if (s->wfd >= 0)
			fdatasync(s->wfd);
		s->dirty = 0;
		s->last_sync_ms = now_ms;
	}
}

const char *
cf_delivery_spool_skipped(const struct cf_delivery_spool *s)
{
	return s->skipped_first;
}

void
cf_delivery_spool_get_info(const struct cf_delivery_spool *s, struct cf_delivery_spool_info *i)
{
	*i = s->info;
	i->bytes = s->total_bytes;
	i->segments = s->n;
	i->oldest_unix_s = s->n > 0 && s->info.records > 0 ? s->segs[0].created_s : 0;
}

void
cf_delivery_spool_close(struct cf_delivery_spool *s)
{
	if (s == NULL)
		return;
	if (s->wfd >= 0) {
		if (s->fsync_policy != CF_DELIVERY_FSYNC_NONE)
			fsync(s->wfd);
		close(s->wfd);
	}
	if (s->rfd >= 0)
		close(s->rfd);
	free(s->segs);
	free(s);
}
