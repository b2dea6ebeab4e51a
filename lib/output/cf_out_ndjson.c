/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf_json.h"
#include "cf_output.h"

/* Encode into one large buffer and write(2) it whole: one syscall per ~1 MiB. */
#define NDJSON_BUF (1u << 20)

struct ndjson {
	int fd;
	int own_fd;
	char path[512];            /* for reopen; "" = stdout */
	size_t used;
	char buf[NDJSON_BUF];
};

/*
 * The file an "ndjson:" spec names: "-" is stdout (*own = 0), anything else
 * PATH, created and appended to (*own = 1). The fd, or -1 with err filled.
 */
static int
ndjson_target(const char *arg, int *own, char *err, size_t errlen)
{
	int fd;

	if (arg[0] == '\0') {
		snprintf(err, errlen, "ndjson needs a path: ndjson:PATH or ndjson:-");
		return -1;
	}
	if (strcmp(arg, "-") == 0) {
		*own = 0;
		return STDOUT_FILENO;
	}
	fd = open(arg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open output '%s': %s", arg, strerror(errno));
		return -1;
	}
	*own = 1;
	return fd;
}

static int
ndjson_open(struct cf_output *o, const char *arg, char *err, size_t errlen)
{
	struct ndjson *nj;

	nj = malloc(sizeof(*nj));
	if (nj == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	nj->used = 0;
	/* The file says what the export said: absent keys are null (README, Output). */
	o->json.null_absent = 1;
	nj->fd = ndjson_target(arg, &nj->own_fd, err, errlen);
	if (nj->fd < 0) {
		free(nj);
		return -1;
	}
	snprintf(nj->path, sizeof(nj->path), "%s", nj->own_fd ? arg : "");
	o->priv = nj;
	return 0;
}

int
cf_output_reopen_fd(int fd, const char *path, char *err, size_t errlen)
{
	int own, nfd = ndjson_target(path, &own, err, errlen);
	int rc = 0;

	if (nfd < 0)
		return -EIO;
	/* dup2 swaps atomically: no write finds fd closed. */
	if (dup2(nfd, fd) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot reopen '%s': %s", path, strerror(errno));
	}
	close(nfd);
	return rc;
}

FILE *
cf_output_ndjson_stream_open(const char *path, char *err, size_t errlen)
{
	int own, fd = ndjson_target(path, &own, err, errlen);
	FILE *f;

	if (fd < 0)
		return NULL;
	if (!own)
		return stdout;
	f = fdopen(fd, "a");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open output '%s': %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

int
cf_output_ndjson_stream_close(FILE *f)
{
	if (f == NULL)
		return 0;
	if (f == stdout)
		return fflush(f) == 0 ? 0 : -1;
	return fclose(f) == 0 ? 0 : -1;
}

static int
ndjson_drain(struct ndjson *nj)
{
	size_t off = 0;

	while (off < nj->used) {
		ssize_t w = write(nj->fd, nj->buf + off, nj->used - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)w;
	}
	nj->used = 0;
	return 0;
}

static int
ndjson_flush(struct cf_output *o)
{
	struct ndjson *nj = o->priv;
	int rc = ndjson_drain(nj);

	/* What could not be written is gone: count it (about one record per line). */
	if (rc != 0) {
		o->stats.write_errors++;
		o->stats.last_errno = -rc;
		size_t lines = 0, i;

		for (i = 0; i < nj->used; i++)
			lines += nj->buf[i] == '\n';
		o->stats.failed += lines;
		o->stats.records -= lines;
		nj->used = 0;
	}
	return rc;
}

static int
ndjson_write(struct cf_output *o, const struct cf_record *r, unsigned int n)
{
	struct ndjson *nj = o->priv;
	unsigned int i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		size_t len;

		if (nj->used + CF_JSON_RECORD_MAX + 1 > NDJSON_BUF) {
			int frc = ndjson_flush(o);

			if (frc != 0)
				rc = frc;
		}
		len = cf_json_record_opts(nj->buf + nj->used, &r[i], &o->json);
		nj->buf[nj->used + len] = '\n';
		nj->used += len + 1;
		o->stats.bytes += len + 1;
		o->stats.records++;
	}
	return rc;
}

static int
ndjson_reopen(struct cf_output *o, char *err, size_t errlen)
{
	struct ndjson *nj = o->priv;
	int rc;

	if (!nj->own_fd)
		return 0;
	ndjson_flush(o);
	rc = cf_output_reopen_fd(nj->fd, nj->path, err, errlen);
	return rc == 0 ? 1 : rc;
}

static void
ndjson_close(struct cf_output *o)
{
	struct ndjson *nj = o->priv;

	if (nj->own_fd)
		close(nj->fd);
	free(nj);
}

const struct cf_output_ops cf_output_ndjson_ops = {
	.scheme = "ndjson",
	.open = ndjson_open,
	.write = ndjson_write,
	.flush = ndjson_flush,
	.reopen = ndjson_reopen,
	.close = ndjson_close,
};
