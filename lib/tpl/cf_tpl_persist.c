/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --template-file: templates and exporter sampling state saved at clean
 * shutdown and restored at start, so a restarted collector decodes at once.
 *
 * The file is never trusted: magic, format version, lengths and a checksum
 * over the body are checked, and every record is bounds-checked, before
 * anything is restored; a file that fails is ignored as a whole. Templates
 * go through cf_tpl_define() again, so they are compiled (and limited) exactly
 * like templates from the wire. Written to PATH.tmp then renamed, so a crash
 * while saving leaves the previous file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_hash.h>

#include "cf_tpl.h"
#include "cf_tpl_priv.h"

#define TPF_MAGIC "CFTPL\x01\r\n"
#define TPF_MAX_BYTES (64u << 20)

struct tpf_hdr {
	char magic[8];
	uint32_t n_exp;
	uint32_t n_tpl;
	uint64_t body_len;
	uint64_t sum;                /* FNV-1a 64 of the body */
};

struct tpf_exp {
	uint8_t addr[16];
	uint32_t domain;
	uint8_t version;
	uint8_t v6;                  /* 0 in files written before it was kept: IPv4 */
	uint8_t pad[2];
	uint32_t rate;
	uint32_t n_samplers;
	struct { uint32_t id, rate; } samplers[CF_TPL_MAX_SAMPLERS];
	uint64_t sysinit_ms;
};

struct tpf_tpl {
	uint32_t exp;                /* index into the file's exporters */
	uint16_t tid;
	uint8_t kind;
	uint8_t pad;
	uint16_t scope;
	uint16_t n;                  /* struct cf_tpl_field follow */
};

static uint64_t
fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct wbuf {
	uint8_t *p;
	size_t len, cap;
};

static int
put(struct wbuf *w, const void *src, size_t n)
{
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 65536;
		uint8_t *np;

		while (cap < w->len + n)
			cap *= 2;
		np = realloc(w->p, cap);
		if (np == NULL)
			return -1;
		w->p = np;
		w->cap = cap;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
	return 0;
}

size_t
cf_tpl_snap_size(const struct cf_decode_ctx *ctx)
{
	const struct cf_tpl_cache *c = ctx->tpl;

	if (c == NULL)
		return 0;
	return (size_t)c->max_exps * sizeof(struct tpf_exp) +
	       (size_t)((uint32_t)rte_hash_max_key_id(c->th) + 1) *
	       (sizeof(struct tpf_tpl) + sizeof(((struct cf_tpl_raw *)0)->f));
}

/* Exporters first (every state, so indexes stay simple), then templates with
 * cache-local exporter indexes; cf_tpl_save_snaps() rebases them. */
int
cf_tpl_snap_take(const struct cf_decode_ctx *ctx, struct cf_tpl_snap *s)
{
	const struct cf_tpl_cache *c = ctx->tpl;
	uint32_t i, max;
	size_t len = 0;

	s->n_exp = s->n_tpl = 0;
	s->exp_len = s->len = 0;
	if (c == NULL)
		return 0;
	if (cf_tpl_snap_size(ctx) > s->cap)
		return -1;
	max = c->max_exps;
	for (i = 0; i < max; i++) {
		const struct cf_tpl_exp *ex = &c->exps[i];
		const struct cf_decode_exporter *e = &ctx->exporters[ex->slot];
		struct tpf_exp x;

		memset(&x, 0, sizeof(x));
		/* A state whose slot went to another exporter holds nothing worth keeping. */
		if (ex->in_use && e->gen == ex->gen) {
			memcpy(x.addr, e->addr, 16);
			x.domain = e->domain;
			x.version = e->version;
			x.v6 = e->v6;
			x.rate = ex->rate;
			x.n_samplers = ex->n_samplers;
			memcpy(x.samplers, ex->samplers, sizeof(x.samplers));
			x.sysinit_ms = ex->sysinit_ms;
		}
		memcpy(s->buf + len, &x, sizeof(x));
		len += sizeof(x);
	}
	s->n_exp = max;
	s->exp_len = len;
	max = (uint32_t)rte_hash_max_key_id(c->th) + 1;
	for (i = 0; i < max; i++) {
		const struct cf_tpl *t = &c->tpls[i];
		const struct cf_tpl_raw *r = &c->raw[i];
		struct tpf_tpl x;

		if (!t->in_use)
			continue;
		memset(&x, 0, sizeof(x));
		x.exp = t->exp_idx;
		x.tid = t->tid;
		x.kind = t->kind;
		x.scope = r->scope;
		x.n = r->n;
		memcpy(s->buf + len, &x, sizeof(x));
		len += sizeof(x);
		memcpy(s->buf + len, r->f, sizeof(r->f[0]) * r->n);
		len += sizeof(r->f[0]) * r->n;
		s->n_tpl++;
	}
	s->len = len;
	return 0;
}

int
cf_tpl_save_snaps(const char *path, const struct cf_tpl_snap *const *snaps, unsigned int n_snaps,
		  char *err, size_t errlen)
{
	struct wbuf w = {0};
	struct tpf_hdr h;
	char tmp[1024];
	uint32_t base = 0;
	unsigned int si;
	FILE *f;
	int fd;
	int rc = -1;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, TPF_MAGIC, sizeof(h.magic));
	for (si = 0; si < n_snaps; si++) {
		if (put(&w, snaps[si]->buf, snaps[si]->exp_len) != 0)
			goto nomem;
		h.n_exp += snaps[si]->n_exp;
	}
	for (si = 0; si < n_snaps; si++) {
		const struct cf_tpl_snap *s = snaps[si];
		size_t off = s->exp_len;

		while (off < s->len) {
			struct tpf_tpl x;

			memcpy(&x, s->buf + off, sizeof(x));
			x.exp += base;
			if (put(&w, &x, sizeof(x)) != 0 ||
			    put(&w, s->buf + off + sizeof(x), sizeof(struct cf_tpl_field) * x.n) !=
				    0)
				goto nomem;
			off += sizeof(x) + sizeof(struct cf_tpl_field) * x.n;
		}
		h.n_tpl += s->n_tpl;
		base += s->n_exp;
	}
	h.body_len = w.len;
	h.sum = fnv1a(w.p, w.len);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/* A file of our own making: a planted PATH.tmp (a link to /etc/...) is removed, not
	 * followed and overwritten; O_EXCL fails if one reappears in between. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (f == NULL) {
		snprintf(err, errlen, "--template-file %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (fwrite(&h, sizeof(h), 1, f) != 1 || (w.len && fwrite(w.p, w.len, 1, f) != 1) ||
	    fclose(f) != 0) {
		snprintf(err, errlen, "--template-file %s: write failed", tmp);
		remove(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "--template-file %s: %s", path, strerror(errno));
		remove(tmp);
		goto out;
	}
	rc = (int)h.n_tpl;
	goto out;
nomem:
	snprintf(err, errlen, "--template-file %s: out of memory", path);
out:
	free(w.p);
	return rc;
}

int
tpl_save(const char *path, struct cf_decode_ctx *const *ctx, unsigned int n_caches, char *err,
	 size_t errlen)
{
	struct cf_tpl_snap *snaps = calloc(n_caches ? n_caches : 1, sizeof(*snaps));
	const struct cf_tpl_snap **sp = calloc(n_caches ? n_caches : 1, sizeof(*sp));
	unsigned int i;
	int rc = -1;

	if (snaps == NULL || sp == NULL)
		goto nomem;
	for (i = 0; i < n_caches; i++) {
		snaps[i].cap = cf_tpl_snap_size(ctx[i]);
		snaps[i].buf = malloc(snaps[i].cap ? snaps[i].cap : 1);
		if (snaps[i].buf == NULL)
			goto nomem;
		cf_tpl_snap_take(ctx[i], &snaps[i]);
		sp[i] = &snaps[i];
	}
	rc = cf_tpl_save_snaps(path, sp, n_caches, err, errlen);
	goto out;
nomem:
	snprintf(err, errlen, "--template-file %s: out of memory", path);
out:
	if (snaps != NULL)
		for (i = 0; i < n_caches; i++)
			free(snaps[i].buf);
	free(snaps);
	free(sp);
	return rc;
}

/* Walk the body; with ctx NULL only check it. Returns templates seen, or -1. */
static int
walk(struct cf_decode_ctx *ctx, const struct tpf_hdr *h, const uint8_t *body, uint64_t now_ms)
{
	const struct tpf_exp *xs = (const void *)body;
	size_t pos = (size_t)h->n_exp * sizeof(struct tpf_exp);
	uint32_t i;
	int n = 0;

	if ((uint64_t)h->n_exp * sizeof(struct tpf_exp) > h->body_len)
		return -1;
	for (i = 0; i < h->n_tpl; i++) {
		struct cf_tpl_field f[CF_TPL_MAX_FIELDS];
		struct tpf_tpl x;
		const struct tpf_exp *xe;
		struct cf_tpl_exp *ex;

		if (h->body_len - pos < sizeof(x))
			return -1;
		memcpy(&x, body + pos, sizeof(x));
		pos += sizeof(x);
		if (x.exp >= h->n_exp || x.n == 0 || x.n > CF_TPL_MAX_FIELDS || x.scope > x.n ||
		    x.kind > CF_TPL_KIND_OPTIONS || x.tid < 256 ||
		    h->body_len - pos < sizeof(f[0]) * x.n)
			return -1;
		memcpy(f, body + pos, sizeof(f[0]) * x.n);
		pos += sizeof(f[0]) * x.n;
		xe = &xs[x.exp];
		if (xe->version != CF_RECORD_V_NF9 && xe->version != CF_RECORD_V_IPFIX)
			return -1;
		if (xe->n_samplers > CF_TPL_MAX_SAMPLERS)
			return -1;
		n++;
		if (ctx == NULL)
			continue;
		/* Through the exporter table as from the wire, but without counting a datagram. */
		ex = cf_tpl_exp_get(ctx,
				    cf_decode_exporter_find(ctx, xe->addr, xe->v6 != 0, xe->version,
							    xe->domain, now_ms),
				    now_ms);
		if (ex == NULL)
			continue;
		if (ex->rate == 0 && ex->n_samplers == 0 && ex->sysinit_ms == 0) {
			ex->rate = xe->rate;
			ex->n_samplers = xe->n_samplers;
			memcpy(ex->samplers, xe->samplers, sizeof(ex->samplers));
			ex->sysinit_ms = xe->sysinit_ms;
		}
		cf_tpl_define(ctx, ex, x.tid, (enum cf_tpl_kind)x.kind, f, x.n, x.scope, now_ms);
	}
	return pos == h->body_len ? n : -1;
}

int
cf_tpl_restore_file(struct cf_decode_ctx *const *ctx, unsigned int n_ctx, const char *path,
		    uint64_t now_ms, char *err, size_t errlen)
{
	struct tpf_hdr h;
	uint8_t *body = NULL;
	unsigned int i;
	struct stat st;
	FILE *f;
	int fd;
	int n = -1;

	err[0] = '\0';
	/* Never through a link, never a FIFO or device (O_NONBLOCK: opening one must not hang). */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "--template-file %s: %s", path,
			 errno == ELOOP ? "a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "--template-file %s: not a regular file", path);
		close(fd);
		return -1;
	}
	f = fdopen(fd, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "--template-file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, TPF_MAGIC, sizeof(h.magic)) != 0 ||
	    h.body_len > TPF_MAX_BYTES) {
		snprintf(err, errlen, "--template-file %s: not a template file of this version", path);
		goto out;
	}
	body = malloc(h.body_len ? h.body_len : 1);
	if (body == NULL || (h.body_len && fread(body, h.body_len, 1, f) != 1) ||
	    fgetc(f) != EOF || fnv1a(body, h.body_len) != h.sum || walk(NULL, &h, body, 0) < 0) {
		snprintf(err, errlen, "--template-file %s: truncated or corrupt", path);
		goto out;
	}
	for (i = 0; i < n_ctx; i++)
		n = walk(ctx[i], &h, body, now_ms);
	if (n_ctx == 0)
		n = 0;
out:
	free(body);
	fclose(f);
	return n;
}
