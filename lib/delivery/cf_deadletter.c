/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dead letters: batches the backend refused for good (or that can never be
 * sent), kept beside the spool for a human to look at and replay by hand.
 * Two plain files per batch, named by its id, so they sort and match the
 * X-Clarion-Batch-Id the backend logged.
 *
 * A name in the directory is only ever a whole dead letter: each file is
 * written under a temporary name first (created here, exclusively, never
 * through a symlink), synced and renamed; a failure removes what it wrote.
 * Every file operation is relative to the directory opened once at start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf_delivery.h"

#define TMP_SUFFIX ".tmp"

struct cf_delivery_dead_letter {
	int dirfd;
	char path[PATH_MAX];
	struct cf_delivery_dead_letter_info info;
};

int
cf_delivery_dead_letter_dir(char *out, size_t len, const char *dead_letter_dir,
			    const char *spool_dir)
{
	int n;

	if (dead_letter_dir != NULL && strcmp(dead_letter_dir, "none") == 0)
		n = snprintf(out, len, "%s", "");
	else if (dead_letter_dir != NULL && dead_letter_dir[0] != '\0')
		n = snprintf(out, len, "%s", dead_letter_dir);
	else if (spool_dir != NULL && spool_dir[0] != '\0')
		n = snprintf(out, len, "%s/dead-letter", spool_dir);
	else
		n = snprintf(out, len, "%s", "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* What is already there counts against the budget; our own leftovers go. */
static void
scan(struct cf_delivery_dead_letter *dl)
{
	int fd = openat(dl->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (fstatat(dl->dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (e->d_name[0] == '.' && ends_with(e->d_name, TMP_SUFFIX))
			unlinkat(dl->dirfd, e->d_name, 0);  /* removes the name only, never a target */
		else if (ends_with(e->d_name, ".json") || ends_with(e->d_name, ".response"))
			dl->info.bytes += (uint64_t)st.st_size;
	}
	closedir(d);
}

struct cf_delivery_dead_letter *
cf_delivery_dead_letter_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen)
{
	struct cf_delivery_dead_letter *dl = calloc(1, sizeof(*dl));

	if (dl == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (snprintf(dl->path, sizeof(dl->path), "%s", dir) >= (int)sizeof(dl->path)) {
		snprintf(err, errlen, "dead-letter directory '%s': path too long", dir);
		free(dl);
		return NULL;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "dead-letter directory '%s': cannot create: %s", dir,
			 strerror(errno));
		free(dl);
		return NULL;
	}
	dl->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dl->dirfd < 0) {
		snprintf(err, errlen, "dead-letter directory '%s': %s", dir, strerror(errno));
		free(dl);
		return NULL;
	}
	dl->info.max_bytes = max_bytes;
	scan(dl);
	return dl;
}

/* Writes one temporary file: 0, or -errno (the file removed again). */
static int
put_tmp(int dirfd, const char *tmp, const long *code, const void *data, size_t len)
{
	char head[32];
	size_t hl = 0, off = 0;
	int fd, rc = 0;

	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (code != NULL)
		hl = (size_t)snprintf(head, sizeof(head), "HTTP %ld\n", *code);
	while (rc == 0 && off < hl + len) {
		const char *p = off < hl ? head + off : (const char *)data + (off - hl);
		size_t n = off < hl ? hl - off : hl + len - off;
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = w < 0 ? -errno : -EIO;
		else
			off += (size_t)w;
	}
	if (rc == 0 && fdatasync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		unlinkat(dirfd, tmp, 0);
	return rc;
}

static int
fail(struct cf_delivery_dead_letter *dl, int rc)
{
	dl->info.failed_batches++;
	dl->info.last_errno = -rc;
	return rc;
}

int
cf_delivery_dead_letter_write(struct cf_delivery_dead_letter *dl, uint64_t boot, uint64_t seq,
			      const void *body, uint32_t len, long code, const void *resp,
			      size_t resp_len)
{
	char id[48], name[2][80], tmp[2][96];
	uint64_t need = (uint64_t)len + resp_len + 32;
	int rc;

	if (dl->info.max_bytes != 0 && dl->info.bytes + need > dl->info.max_bytes)
		return fail(dl, -EDQUOT);  /* our budget, not the disk (ENOSPC) */
	cf_delivery_batch_id(id, sizeof(id), boot, seq);
	snprintf(name[0], sizeof(name[0]), "%s.json", id);
	snprintf(name[1], sizeof(name[1]), "%s.response", id);
	snprintf(tmp[0], sizeof(tmp[0]), ".%s" TMP_SUFFIX, name[0]);
	snprintf(tmp[1], sizeof(tmp[1]), ".%s" TMP_SUFFIX, name[1]);
	rc = put_tmp(dl->dirfd, tmp[0], NULL, body, len);
	if (rc != 0)
		return fail(dl, rc);
	rc = put_tmp(dl->dirfd, tmp[1], &code, resp, resp_len);
	if (rc != 0) {
		unlinkat(dl->dirfd, tmp[0], 0);
		return fail(dl, rc);
	}
	/* The answer first: a .json in the directory always has its .response. */
	if (renameat(dl->dirfd, tmp[1], dl->dirfd, name[1]) != 0) {
		rc = -errno;
		unlinkat(dl->dirfd, tmp[0], 0);
		unlinkat(dl->dirfd, tmp[1], 0);
		return fail(dl, rc);
	}
	if (renameat(dl->dirfd, tmp[0], dl->dirfd, name[0]) != 0) {
		rc = -errno;
		unlinkat(dl->dirfd, tmp[0], 0);
		unlinkat(dl->dirfd, name[1], 0);
		return fail(dl, rc);
	}
	fsync(dl->dirfd);
	dl->info.bytes += (uint64_t)len + resp_len + (uint64_t)snprintf(NULL, 0, "HTTP %ld\n", code);
	dl->info.written_batches++;
	return 0;
}

void
cf_delivery_dead_letter_get_info(const struct cf_delivery_dead_letter *dl,
				 struct cf_delivery_dead_letter_info *i)
{
	*i = dl->info;
}

const char *
cf_delivery_dead_letter_path(const struct cf_delivery_dead_letter *dl)
{
	return dl->path;
}

void
cf_delivery_dead_letter_close(struct cf_delivery_dead_letter *dl)
{
	if (dl == NULL)
		return;
	close(dl->dirfd);
	free(dl);
}
