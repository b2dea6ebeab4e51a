/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The program's log: one stream every writer goes through (cf_log.h). DPDK
 * calls our stream's write for each message (rte_vlog flushes after each
 * one), so a message is cut into lines here and each line is written whole
 * with its time and the program prefix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cf_clock.h"
#include "cf_log.h"

#define PROG "clarion-flowd"
#define CAPTURE_MAX (64u << 10)

int cf_logtype;

static struct {
	int fd;                    /* where lines go: 2, or the real stderr while fd 2 is held */
	FILE *stream;
	char path[512];            /* --log-file; "" = stderr as given */
	int capturing;
	size_t cap_len;
	char cap[CAPTURE_MAX + 1];
} lg = { .fd = STDERR_FILENO };

size_t
cf_log_prefix(char *buf, size_t len, uint64_t wall_ms, uint32_t level)
{
	time_t s = (time_t)(wall_ms / 1000);
	const char *word = level == 0 ? "" : level <= RTE_LOG_ERR ? "error: " :
			   level == RTE_LOG_WARNING ? "warning: " : "";
	struct tm tm;
	int n;

	gmtime_r(&s, &tm);
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ " PROG ": %s", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     (unsigned int)(wall_ms % 1000), word);
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

/* One line (without its '\n') to fd 2 in one write, and into the capture. */
static void
emit(const char *line, size_t n, uint32_t level)
{
	char pre[96];
	struct iovec iov[3];
	ssize_t w;

	iov[0].iov_base = pre;
	iov[0].iov_len = cf_log_prefix(pre, sizeof(pre), cf_clock_wall_ms(), level);
	iov[1].iov_base = (void *)(uintptr_t)line;
	iov[1].iov_len = n;
	iov[2].iov_base = (void *)(uintptr_t)"\n";
	iov[2].iov_len = 1;
	do
		w = writev(lg.fd, iov, 3);
	while (w < 0 && errno == EINTR);
	if (lg.capturing && lg.cap_len + n + 1 <= CAPTURE_MAX) {
		memcpy(lg.cap + lg.cap_len, line, n);
		lg.cap_len += n;
		lg.cap[lg.cap_len++] = '\n';
		lg.cap[lg.cap_len] = '\0';
	}
}

static ssize_t
stream_write(void *cookie, const char *buf, size_t size)
{
	int cur = rte_log_cur_msg_loglevel();
	uint32_t level = cur > 0 ? (uint32_t)cur : RTE_LOG_INFO;
	size_t off = 0;

	(void)cookie;
	while (off < size) {
		const char *nl = memchr(buf + off, '\n', size - off);
		size_t n = nl != NULL ? (size_t)(nl - (buf + off)) : size - off;

		/* A message without its '\n' is still a line of its own. */
		emit(buf + off, n, level);
		off += n + (nl != NULL);
	}
	return (ssize_t)size;
}

int
cf_log_init(void)
{
	static char sbuf[8192];
	cookie_io_functions_t io = { .write = stream_write };

	lg.stream = fopencookie(NULL, "w", io);
	if (lg.stream == NULL)
		return -1;
	/* Fully buffered: rte_vlog's fflush hands one whole message to stream_write. */
	setvbuf(lg.stream, sbuf, _IOFBF, sizeof(sbuf));
	rte_openlog_stream(lg.stream);
	cf_logtype = rte_log_register_type_and_pick_level("clarion", RTE_LOG_INFO);
	return cf_logtype < 0 ? -1 : 0;
}

void
cf_log_line(uint32_t level, const char *line)
{
	rte_log(level, cf_logtype, "%s", line);
}

void
cf_log_fatal(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (lg.stream != NULL)
		fflush(lg.stream);
	emit(msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, RTE_LOG_ERR);
}

static int
open_onto_stderr(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);

	if (fd < 0) {
		snprintf(err, errlen, "--log-file %s: cannot open for writing: %s", path,
			 strerror(errno));
		return -1;
	}
	if (lg.stream != NULL)
		fflush(lg.stream);
	fflush(stderr);
	/* dup2 swaps fd 2 atomically: a writer on another thread sees the old file or the new. */
	if (dup2(fd, STDERR_FILENO) < 0) {
		snprintf(err, errlen, "--log-file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
cf_log_open_file(const char *path, char *err, size_t errlen)
{
	if (snprintf(lg.path, sizeof(lg.path), "%s", path) >= (int)sizeof(lg.path)) {
		snprintf(err, errlen, "--log-file: path too long");
		lg.path[0] = '\0';
		return -1;
	}
	if (open_onto_stderr(path, err, errlen) != 0) {
		lg.path[0] = '\0';
		return -1;
	}
	return 0;
}

int
cf_log_reopen(char *err, size_t errlen)
{
	if (lg.path[0] == '\0')
		return 0;
	return open_onto_stderr(lg.path, err, errlen) == 0 ? 1 : -1;
}

void
cf_log_text(uint32_t level, const char *text, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;

		if (n > 0)
			emit(text + off, n, level);
		off += n + (nl != NULL);
	}
}

int
cf_log_set_fd(int fd)
{
	int old = lg.fd;

	if (lg.stream != NULL)
		fflush(lg.stream);
	lg.fd = fd;
	return old;
}

void
cf_log_capture_begin(void)
{
	if (lg.stream != NULL)
		fflush(lg.stream);
	lg.cap_len = 0;
	lg.cap[0] = '\0';
	lg.capturing = 1;
}

const char *
cf_log_capture_end(void)
{
	if (lg.stream != NULL)
		fflush(lg.stream);
	lg.capturing = 0;
	return lg.cap;
}
