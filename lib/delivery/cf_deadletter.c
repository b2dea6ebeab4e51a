/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dead letters: batches the backend refused for good (or that can never be
 * sent), kept beside the spool for a human to look at and replay by hand.
 * Two plain files per batch, named by its id, so they sort and match the
 * X-Clarion-Batch-Id the backend logged.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cf_delivery.h"

int
cf_delivery_dead_letter_dir(char *out, size_t len, const char *dead_letter_dir,
			    const char *spool_dir)
{
	int n;

	if (dead_letter_dir != NULL && dead_letter_dir[0] != '\0')
		n = snprintf(out, len, "%s", dead_letter_dir);
	else if (spool_dir != NULL && spool_dir[0] != '\0')
		n = snprintf(out, len, "%s/dead-letter", spool_dir);
	else
		n = snprintf(out, len, "%s", "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* One file of a dead letter: an optional "HTTP <code>" line, then data. */
static int
put_file(const char *dir, const char *id, const char *ext, const long *code, const void *data,
	 size_t len)
{
	char path[PATH_MAX + 64];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, id, ext);
	f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	if (code != NULL)
		fprintf(f, "HTTP %ld\n", *code);
	if (len > 0 && fwrite(data, 1, len, f) != len)
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

int
cf_delivery_dead_letter_write(const char *dir, uint64_t boot, uint64_t seq, const void *body,
			      uint32_t len, long code, const void *resp, size_t resp_len)
{
	char id[48];
	int rc, rc2;

	if (dir[0] == '\0')
		return 1;
	/* Created on first use: most runs never refuse a batch. */
	mkdir(dir, 0750);
	cf_delivery_batch_id(id, sizeof(id), boot, seq);
	rc = put_file(dir, id, "json", NULL, body, len);
	rc2 = put_file(dir, id, "response", &code, resp, resp_len);
	return rc != 0 ? rc : rc2;
}
