/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Batches that carry their own request (edge-agent sketches): the path,
 * content type and extra headers travel in a small block at the start of the
 * body, so the spool keeps them with the payload and a replay after a
 * restart sends the same request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_delivery.h"

static int
put_str(char *out, size_t cap, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (strpbrk(s, "\r\n") != NULL)
		return -EINVAL;
	if (*off + n + 1 > cap || *off + n + 1 > CF_DELIVERY_META_MAX)
		return -ENOSPC;
	memcpy(out + *off, s, n + 1);
	*off += n + 1;
	return 0;
}

int
cf_delivery_meta_encode(char *out, size_t cap, const char *path, const char *content_type,
			const char *const *headers)
{
	size_t off = 2, n;
	unsigned int k = 0;
	int rc;

	if (path == NULL || path[0] != '/' || content_type == NULL)
		return -EINVAL;
	if (cap < 2)
		return -ENOSPC;
	if ((rc = put_str(out, cap, &off, path)) != 0 ||
	    (rc = put_str(out, cap, &off, content_type)) != 0)
		return rc;
	for (; headers != NULL && headers[0] != NULL; headers += 2) {
		char line[CF_DELIVERY_META_MAX];

		if (headers[1] == NULL || ++k > CF_DELIVERY_META_MAX_HDR ||
		    strchr(headers[0], ':') != NULL || headers[0][0] == '\0')
			return -EINVAL;
		if ((size_t)snprintf(line, sizeof(line), "%s: %s", headers[0], headers[1]) >=
		    sizeof(line))
			return -ENOSPC;
		if ((rc = put_str(out, cap, &off, line)) != 0)
			return rc;
	}
	n = off - 2;
	out[0] = (char)(n & 0xff);
	out[1] = (char)(n >> 8);
	return (int)off;
}

int
cf_delivery_meta_decode(const char *buf, uint32_t len, struct cf_delivery_meta *m)
{
	const unsigned char *u = (const unsigned char *)buf;
	uint32_t n, off = 2;
	unsigned int k = 0;

	if (len < 2)
		return -1;
	n = (uint32_t)u[0] | (uint32_t)u[1] << 8;
	if (n == 0 || n + 2 > len || n + 2 > CF_DELIVERY_META_MAX || buf[n + 1] != '\0')
		return -1;
	memset(m, 0, sizeof(*m));
	m->len = n + 2;
	/* The last byte is a NUL (checked): every strlen below stays inside. */
	while (off < n + 2) {
		const char *s = buf + off;

		if (k == 0)
			m->path = s;
		else if (k == 1)
			m->content_type = s;
		else if (m->nhdr < CF_DELIVERY_META_MAX_HDR && strchr(s, ':') != NULL)
			m->hdr[m->nhdr++] = s;
		else
			return -1;
		k++;
		off += (uint32_t)strlen(s) + 1;
	}
	if (k < 2 || m->path[0] != '/')
		return -1;
	return 0;
}

struct cf_delivery_batch *
cf_delivery_batch_new_request(const char *path, const char *content_type,
			      const char *const *headers, const void *body, size_t len,
			      uint32_t nrec, int *rc)
{
	char meta[CF_DELIVERY_META_MAX];
	struct cf_delivery_batch *b;
	int ml = cf_delivery_meta_encode(meta, sizeof(meta), path, content_type, headers);

	if (ml < 0) {
		*rc = ml;
		return NULL;
	}
	if (len > CF_DELIVERY_SEG_MAX_BODY - (size_t)ml) {
		*rc = -E2BIG;
		return NULL;
	}
	b = cf_delivery_batch_new((uint32_t)(ml + len) + 1);
	if (b == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	memcpy(b->body, meta, (size_t)ml);
	if (len)
		memcpy(b->body + ml, body, len);
	b->meta_len = (uint32_t)ml;
	b->len = (uint32_t)(ml + len);
	b->nrec = nrec;
	*rc = 0;
	return b;
}
