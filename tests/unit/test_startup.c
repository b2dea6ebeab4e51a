/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Start-up checks (app/cf_startup.c): the default spool directory for each
 * environment, the backend URL as libcurl parses it (and a URL that already
 * ends in the backend path, not doubled), directories created 0700 and
 * proven writable.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf_startup.h"
#include "cf_test.h"

static void
test_default_spool(void)
{
	char out[256];
	const char *why = NULL;

	CU_ASSERT_EQUAL(cf_startup_default_spool(out, sizeof(out), 1, NULL, NULL, "/root", &why), 0);
	CU_ASSERT_STRING_EQUAL(out, "/var/lib/clarion-flowd/spool");
	CU_ASSERT_EQUAL(cf_startup_default_spool(out, sizeof(out), 0, "", "/x/state", "/home/u", &why),
			0);
	CU_ASSERT_STRING_EQUAL(out, "/x/state/clarion-flowd/spool");
	CU_ASSERT_EQUAL(cf_startup_default_spool(out, sizeof(out), 0, NULL, "", "/home/u", &why), 0);
	CU_ASSERT_STRING_EQUAL(out, "/home/u/.local/state/clarion-flowd/spool");
	CU_ASSERT(strstr(why, "HOME") != NULL);
	/* systemd StateDirectory= wins, root or not; its first entry is ours. */
	CU_ASSERT_EQUAL(cf_startup_default_spool(out, sizeof(out), 1, "/var/lib/cf:/var/lib/other",
						 NULL, NULL, &why), 0);
	CU_ASSERT_STRING_EQUAL(out, "/var/lib/cf/spool");
	/* Nowhere to put it: the caller asks for --spool-dir. */
	CU_ASSERT_EQUAL(cf_startup_default_spool(out, sizeof(out), 0, NULL, NULL, NULL, &why), -1);
	CU_ASSERT_EQUAL(cf_startup_default_spool(out, 8, 1, NULL, NULL, NULL, &why), -1);
}

struct url_row {
	const char *url, *path;
	const char *post, *base;  /* NULL post: refused, err holds needle */
	int had_path;
	const char *needle;
};

static const struct url_row url_rows[] = {
	{"http://backend:8000", "/api/netflow/netflow", "http://backend:8000/api/netflow/netflow",
	 "http://backend:8000", 0, NULL},
	{"http://backend:8000/", "/api/netflow/netflow", "http://backend:8000/api/netflow/netflow",
	 "http://backend:8000", 0, NULL},
	{"https://b.example/", "/x", "https://b.example/x", "https://b.example", 0, NULL},
	/* Behind a reverse proxy prefix: kept. */
	{"http://h/clarion/", "/api/netflow/netflow", "http://h/clarion/api/netflow/netflow",
	 "http://h/clarion", 0, NULL},
	/* Already the whole endpoint: not doubled (the base loses the path). */
	{"http://h:8000/api/netflow/netflow", "/api/netflow/netflow",
	 "http://h:8000/api/netflow/netflow", "http://h:8000", 1, NULL},
	{"http://h:8000/api/netflow/netflow/", "/api/netflow/netflow",
	 "http://h:8000/api/netflow/netflow", "http://h:8000", 1, NULL},
	{"http://h/pre/api/netflow/netflow", "/api/netflow/netflow",
	 "http://h/pre/api/netflow/netflow", "http://h/pre", 1, NULL},
	/* A path that merely ends in the same letters is not the endpoint. */
	{"http://h/xapi/netflow/netflow", "/api/netflow/netflow",
	 "http://h/xapi/netflow/netflow/api/netflow/netflow", "http://h/xapi/netflow/netflow", 0,
	 NULL},
	{"http://[::1]:8000", "/p", "http://[::1]:8000/p", "http://[::1]:8000", 0, NULL},
	{"http://u:pw@h:8000", "/p", "http://u:pw@h:8000/p", "http://u:pw@h:8000", 0, NULL},
	{"http://h:99999", "/p", NULL, NULL, 0, "is not a URL"},
	{"http://h:0", "/p", NULL, NULL, 0, "port 0 is not in 1..65535"},
	{"http://", "/p", NULL, NULL, 0, "--backend-url 'http://'"},
	{"ftp://h", "/p", NULL, NULL, 0, "scheme 'ftp' is not http or https"},
	{"backend:8000", "/p", NULL, NULL, 0, "--backend-url 'backend:8000'"},
	{"http://h/?a=1", "/p", NULL, NULL, 0, "query or fragment"},
	{"http://h/#x", "/p", NULL, NULL, 0, "query or fragment"},
	{"http://h", "api", NULL, NULL, 0, "--backend-path 'api' does not start with '/'"},
};

static void
test_backend_url(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(url_rows) / sizeof(url_rows[0]); i++) {
		const struct url_row *r = &url_rows[i];
		char post[512], base[512], err[512] = "";
		int had = -1, rc;

		rc = cf_startup_backend_url(r->url, r->path, post, sizeof(post), base, sizeof(base),
					    &had, err, sizeof(err));
		if (r->post == NULL) {
			CU_ASSERT_EQUAL(rc, -1);
			if (strstr(err, r->needle) == NULL)
				printf("\n  row %u (%s): err '%s'\n", i, r->url, err);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, r->needle));
			continue;
		}
		CU_ASSERT_EQUAL(rc, 0);
		if (rc != 0 || strcmp(post, r->post) != 0 || strcmp(base, r->base) != 0)
			printf("\n  row %u (%s): rc %d post '%s' base '%s' err '%s'\n", i, r->url, rc,
			       post, base, err);
		CU_ASSERT_STRING_EQUAL(post, r->post);
		CU_ASSERT_STRING_EQUAL(base, r->base);
		CU_ASSERT_EQUAL(had, r->had_path);
	}
}

static void
test_dirs(void)
{
	char t[64] = "/tmp/cf-startup-XXXXXX", d[256], f[256], err[512], cmd[400];
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(t));
	snprintf(d, sizeof(d), "%s/a/b/spool", t);
	CU_ASSERT_EQUAL(cf_startup_dir("--spool-dir", d, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(stat(d, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);
	snprintf(f, sizeof(f), "%s/a", t);
	CU_ASSERT_EQUAL(stat(f, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);
	/* Idempotent, and the probe file is gone again. */
	CU_ASSERT_EQUAL(cf_startup_dir("--spool-dir", d, err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", d);
	CU_ASSERT_EQUAL(system(cmd), 0);
	/* A file where a directory should be. */
	snprintf(f, sizeof(f), "%s/file", t);
	CU_ASSERT_EQUAL(cf_startup_file("--output ndjson:x", f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cf_startup_dir("--spool-dir", f, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a directory"));
	snprintf(d, sizeof(d), "%s/file/sub", t);
	CU_ASSERT_EQUAL(cf_startup_dir("--spool-dir", d, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot create"));
	CU_ASSERT_EQUAL(cf_startup_file("--output ndjson:x", t, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Is a directory"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static const struct cft_case cases[] = {
	{"default_spool", test_default_spool},
	{"backend_url", test_backend_url},
	{"dirs", test_dirs},
	{NULL, NULL},
};

int
main(void)
{
	return cft_suite_main("startup", cases);
}
