/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The --template-file saver: restore at start, periodic saves while running,
 * the last save at exit. Periodic saves take no lock on the RX path: the
 * control lcore bumps a request counter per lcore; each RX lcore, in its
 * periodic work, copies its own cache into its own buffer and publishes the
 * answer; the control lcore writes the file once all running lcores answered.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "cf_tpl.h"
#include "cf_tpl_priv.h"

/* Written by the control lcore (req) and by its RX lcore (ack, rc, snap). */
struct cf_tpl_saver_lcore {
	const struct cf_decode_ctx *ctx;
	volatile uint32_t req;
	volatile uint32_t ack;
	int rc;                    /* cf_tpl_snap_take() of the last answer */
	struct cf_tpl_snap snap;
} __attribute__((aligned(64)));

struct cf_tpl_saver {
	char path[1024];
	uint64_t interval_ms;      /* 0: at exit only */
	uint64_t next_ms;          /* 0: not started */
	int pending;               /* snapshots asked for, not all answered */
	unsigned int n;
	struct cf_decode_ctx **ctx;
	const volatile int **done;
	unsigned int *lcore_id;
	struct cf_tpl_saver_lcore *lc;
	cf_tpl_log_fn *log;
};

static void slog(const struct cf_tpl_saver *s, uint32_t level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
slog(const struct cf_tpl_saver *s, uint32_t level, const char *fmt, ...)
{
	char line[1280];
	va_list ap;

	if (s->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->log(level, line);
}

static void
saver_free(struct cf_tpl_saver *s)
{
	unsigned int i;

	if (s == NULL)
		return;
	for (i = 0; s->lc != NULL && i < s->n; i++)
		rte_free(s->lc[i].snap.buf);
	rte_free(s->lc);
	free(s->ctx);
	free(s->done);
	free(s->lcore_id);
	free(s);
}

struct cf_tpl_saver *
cf_tpl_saver_open(const char *path, uint32_t interval_s, struct cf_decode_ctx *const *ctx,
		  const volatile int *const *done, const unsigned int *lcore_id, unsigned int n,
		  uint64_t wall_ms, cf_tpl_log_fn *log, char *err, size_t errlen)
{
	struct cf_tpl_saver *s;
	char why[1280];
	unsigned int i;
	int rc;

	err[0] = '\0';
	if (path[0] == '\0')
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->interval_ms = (uint64_t)interval_s * 1000;
	s->n = n;
	s->log = log;
	s->ctx = calloc(n ? n : 1, sizeof(*s->ctx));
	s->done = calloc(n ? n : 1, sizeof(*s->done));
	s->lcore_id = calloc(n ? n : 1, sizeof(*s->lcore_id));
	s->lc = rte_zmalloc("tpl_saver", sizeof(*s->lc) * (n ? n : 1), 64);
	if (s->ctx == NULL || s->done == NULL || s->lcore_id == NULL || s->lc == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		s->ctx[i] = ctx[i];
		s->done[i] = done[i];
		s->lcore_id[i] = lcore_id[i];
		s->lc[i].ctx = ctx[i];
		if (s->interval_ms == 0)
			continue;
		s->lc[i].snap.cap = cf_tpl_snap_size(ctx[i]);
		s->lc[i].snap.buf = rte_malloc_socket("cf_tpl_snap", s->lc[i].snap.cap, 0,
						      (int)rte_lcore_to_socket_id(lcore_id[i]));
		if (s->lc[i].snap.buf == NULL) {
			snprintf(err, errlen, "lcore %u: template snapshot buffer (%zu bytes)",
				 lcore_id[i], s->lc[i].snap.cap);
			saver_free(s);
			return NULL;
		}
	}
	/* Any lcore may get any exporter after a restart: each gets every template. */
	rc = cf_tpl_restore_file(s->ctx, n, path, wall_ms, why, sizeof(why));
	if (rc < 0)
		slog(s, RTE_LOG_WARNING, "%s; ignored\n", why);
	else
		slog(s, RTE_LOG_INFO, "%d template(s) restored from %s\n", rc, path);
	return s;
nomem:
	snprintf(err, errlen, "--template-file %s: out of memory", path);
	saver_free(s);
	return NULL;
}

int
cf_tpl_file_check(const char *path, char *err, size_t errlen)
{
	err[0] = '\0';
	/* No context: the file is read and checked whole, nothing restored. */
	if (cf_tpl_restore_file(NULL, 0, path, 0, err, errlen) < 0)
		return -1;
	return access(path, F_OK) == 0;
}

struct cf_tpl_saver_lcore *
cf_tpl_saver_lcore(struct cf_tpl_saver *s, unsigned int i)
{
	return s != NULL && s->interval_ms != 0 ? &s->lc[i] : NULL;
}

void
cf_tpl_saver_poll(struct cf_tpl_saver_lcore *l)
{
	uint32_t req;

	if (likely(l == NULL || l->req == l->ack))
		return;
	req = __atomic_load_n(&l->req, __ATOMIC_ACQUIRE);
	l->rc = cf_tpl_snap_take(l->ctx, &l->snap);
	__atomic_store_n(&l->ack, req, __ATOMIC_RELEASE);
}

void
cf_tpl_saver_tick(struct cf_tpl_saver *s, uint64_t now_ms)
{
	const struct cf_tpl_snap *snaps[RTE_MAX_LCORE];
	char err[1280];
	unsigned int i, k = 0;
	int rc;

	if (s == NULL || s->interval_ms == 0)
		return;
	if (!s->pending) {
		if (s->next_ms == 0)
			s->next_ms = now_ms + s->interval_ms;
		if (now_ms < s->next_ms)
			return;
		for (i = 0; i < s->n; i++)
			if (!*s->done[i])
				__atomic_store_n(&s->lc[i].req, s->lc[i].req + 1, __ATOMIC_RELEASE);
		s->pending = 1;
		return;
	}
	for (i = 0; i < s->n; i++) {
		struct cf_tpl_saver_lcore *l = &s->lc[i];

		if (*s->done[i])
			continue;
		if (__atomic_load_n(&l->ack, __ATOMIC_ACQUIRE) != l->req)
			return; /* not yet: look again next time */
		if (l->rc != 0) {
			slog(s, RTE_LOG_WARNING, "lcore %u: templates outgrew the snapshot buffer; "
			     "periodic save skipped\n", s->lcore_id[i]);
			goto next;
		}
		snaps[k++] = &l->snap;
	}
	rc = cf_tpl_save_snaps(s->path, snaps, k, err, sizeof(err));
	if (rc < 0)
		slog(s, RTE_LOG_WARNING, "%s\n", err);
	else
		slog(s, RTE_LOG_DEBUG, "%d template(s) saved to %s\n", rc, s->path);
next:
	s->pending = 0;
	s->next_ms = now_ms + s->interval_ms;
}

void
cf_tpl_saver_close(struct cf_tpl_saver *s)
{
	char err[1280];
	int rc;

	if (s == NULL)
		return;
	rc = tpl_save(s->path, s->ctx, s->n, err, sizeof(err));
	if (rc < 0)
		slog(s, RTE_LOG_ERR, "%s\n", err);
	else
		slog(s, RTE_LOG_INFO, "%d template(s) saved to %s\n", rc, s->path);
	saver_free(s);
}
