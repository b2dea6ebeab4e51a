/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Start-up checks of everything a flag names outside the process
 * (cf_startup.h). Each check does what the collector will do later (create
 * the directory, open the file, bind the port) rather than guess from
 * permission bits: root passes access(2) on a read-only file system.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cf_delivery.h"
#include "cf_log.h"
#include "cf_startup.h"

static int
set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

int
cf_startup_default_spool(char *out, size_t len, int is_root, const char *state_directory,
			 const char *xdg_state_home, const char *home, const char **origin)
{
	int n;

	if (set(state_directory)) {
		/* systemd may list several directories, ':'-separated: the first is ours. */
		n = snprintf(out, len, "%.*s/spool", (int)strcspn(state_directory, ":"),
			     state_directory);
		*origin = "$STATE_DIRECTORY";
	} else if (is_root) {
		n = snprintf(out, len, "/var/lib/clarion-flowd/spool");
		*origin = "running as root";
	} else if (set(xdg_state_home)) {
		n = snprintf(out, len, "%s/clarion-flowd/spool", xdg_state_home);
		*origin = "$XDG_STATE_HOME, not root";
	} else if (set(home)) {
		n = snprintf(out, len, "%s/.local/state/clarion-flowd/spool", home);
		*origin = "$HOME, not root";
	} else {
		return -1;
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ------------------------------------------------------------ backend URL */

static void
strip_slashes(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

static int
url_part(CURLU *h, CURLUPart what, char *out, size_t len)
{
	char *v = NULL;
	int rc = curl_url_get(h, what, &v, 0);

	out[0] = '\0';
	if (rc == CURLUE_OK && v != NULL)
		snprintf(out, len, "%s", v);
	curl_free(v);
	return rc;
}

int
cf_startup_backend_url(const char *url, const char *path, char *post, size_t post_len,
		       char *base, size_t base_len, int *had_path, char *err, size_t errlen)
{
	char scheme[16], host[512], port[16], upath[1024], want[512], tail[1024];
	CURLU *h = curl_url();
	CURLUcode rc;
	size_t n, k;
	int ret = -1;

	*had_path = 0;
	if (h == NULL) {
		snprintf(err, errlen, "--backend-url: out of memory");
		return -1;
	}
	rc = curl_url_set(h, CURLUPART_URL, url, 0);
	if (rc != CURLUE_OK) {
		snprintf(err, errlen, "--backend-url '%s' is not a URL: %s", url,
			 curl_url_strerror(rc));
		goto out;
	}
	url_part(h, CURLUPART_SCHEME, scheme, sizeof(scheme));
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		snprintf(err, errlen, "--backend-url '%s': scheme '%s' is not http or https", url,
			 scheme);
		goto out;
	}
	if (url_part(h, CURLUPART_HOST, host, sizeof(host)) != CURLUE_OK || host[0] == '\0') {
		snprintf(err, errlen, "--backend-url '%s' names no host", url);
		goto out;
	}
	if (url_part(h, CURLUPART_PORT, port, sizeof(port)) == CURLUE_OK &&
	    (atoi(port) < 1 || atoi(port) > 65535)) {
		snprintf(err, errlen, "--backend-url '%s': port %s is not in 1..65535", url, port);
		goto out;
	}
	if (url_part(h, CURLUPART_QUERY, tail, sizeof(tail)) == CURLUE_OK ||
	    url_part(h, CURLUPART_FRAGMENT, tail, sizeof(tail)) == CURLUE_OK) {
		snprintf(err, errlen, "--backend-url '%s' has a query or fragment; give the backend's "
			 "base URL (e.g. http://host:8000)", url);
		goto out;
	}
	if (path[0] != '/') {
		snprintf(err, errlen, "--backend-path '%s' does not start with '/'", path);
		goto out;
	}
	url_part(h, CURLUPART_PATH, upath, sizeof(upath));
	strip_slashes(upath);
	snprintf(want, sizeof(want), "%s", path);
	strip_slashes(want);
	n = strlen(upath);
	k = strlen(want);
	/* ".../api/netflow/netflow" given as the base: POST there, not to the path twice.
	 * want starts with '/', so a match starts at a path component. */
	if (k > 0 && n >= k && strcmp(upath + n - k, want) == 0) {
		upath[n - k] = '\0';
		*had_path = 1;
	}
	/* The base: the URL with its remaining path, no trailing '/'. */
	if (curl_url_set(h, CURLUPART_PATH, upath[0] ? upath : "/", 0) != CURLUE_OK ||
	    url_part(h, CURLUPART_URL, base, base_len) != CURLUE_OK) {
		snprintf(err, errlen, "--backend-url '%s': cannot rebuild the URL", url);
		goto out;
	}
	strip_slashes(base);
	if ((size_t)snprintf(post, post_len, "%s%s", base, path) >= post_len ||
	    strlen(base) + 1 >= base_len) {
		snprintf(err, errlen, "--backend-url plus --backend-path too long");
		goto out;
	}
	ret = 0;
out:
	curl_url_cleanup(h);
	return ret;
}

/* ------------------------------------------------------------ files, dirs */

int
cf_startup_dir(const char *what, const char *dir, char *err, size_t errlen)
{
	char p[PATH_MAX], probe[PATH_MAX + 64];
	struct stat st;
	size_t i;
	int fd;

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p)) {
		snprintf(err, errlen, "%s %s: path too long", what, dir);
		return -1;
	}
	/* Every missing component, as mkdir -p with mode 0700. */
	for (i = 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s %s: cannot create %s: %s", what, dir, p,
				 strerror(errno));
			return -1;
		}
		p[i] = '/';
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s %s: cannot create it: %s", what, dir, strerror(errno));
		return -1;
	}
	if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a directory", what, dir);
		return -1;
	}
	snprintf(probe, sizeof(probe), "%s/.clarion-flowd-probe-%d", dir, (int)getpid());
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: cannot create files in it: %s", what, dir,
			 strerror(errno));
		return -1;
	}
	close(fd);
	unlink(probe);
	return 0;
}

int
cf_startup_file(const char *what, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);

	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open %s for writing: %s", what, path,
			 strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* The directory part of path ("." when there is none). */
static void
dir_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(out, len, ".");
	else if (slash == path)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

static int
template_file(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], why[1024];
	int rc;

	dir_of(path, dir, sizeof(dir));
	if (cf_startup_dir("--template-file's directory", dir, err, errlen) != 0)
		return -1;
	{
		struct stat st;

		/* Created by hand before the first run: nothing saved yet. */
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
			return 0;
	}
	rc = cf_tpl_file_check(path, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "%s: move it away (or delete it) to start without saved "
			 "templates", why);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ ports */

int
cf_startup_port(const char *what, const char *addr, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, one = 1, e;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		sl = sizeof(*a4);
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		sl = sizeof(*a6);
	} else {
		snprintf(err, errlen, "%s: '%s' is not an IPv4 or IPv6 address", what, addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s %u: %s", what, port, strerror(errno));
		return -1;
	}
	/* As libmicrohttpd will: a port in TIME_WAIT is free, a listening one is not. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) == 0) {
		close(fd);
		return 0;
	}
	e = errno;
	close(fd);
	if (e == EADDRINUSE)
		snprintf(err, errlen, "%s %u: %s port %u is already in use (another clarion-flowd?): "
			 "give another port, or 0 to turn it off", what, port, addr, port);
	else if (e == EACCES)
		snprintf(err, errlen, "%s %u: permission denied: ports below 1024 need root or "
			 "CAP_NET_BIND_SERVICE", what, port);
	else if (e == EADDRNOTAVAIL)
		snprintf(err, errlen, "%s %u: %s is not an address of this host", what, port, addr);
	else
		snprintf(err, errlen, "%s %u: cannot listen on %s: %s", what, port, addr,
			 strerror(e));
	errno = e;  /* for --check-config (check_port) */
	return -1;
}

/* ---------------------------------------------------------------- the lot */

static int
ndjson_target(const char *flag, const struct cf_spec *sp, int ndjson_kind, char *err,
	      size_t errlen)
{
	char what[600];

	if (sp->kind != ndjson_kind || strcmp(sp->arg, "-") == 0)
		return 0;
	snprintf(what, sizeof(what), "%s ndjson:%s", flag, sp->arg);
	return cf_startup_file(what, sp->arg, err, errlen);
}

static int
delivery_dirs(struct cf_config *c, char *err, size_t errlen)
{
	char dl[PATH_MAX], what[PATH_MAX + 128];
	const char *origin = NULL;

	if (strcmp(c->spool_dir, "none") == 0) {
		c->spool_dir[0] = '\0';
	} else if (c->spool_dir[0] == '\0') {
		if (cf_startup_default_spool(c->spool_dir, sizeof(c->spool_dir), geteuid() == 0,
					     getenv("STATE_DIRECTORY"), getenv("XDG_STATE_HOME"),
					     getenv("HOME"), &origin) != 0) {
			snprintf(err, errlen, "no default spool directory (not root, no $HOME): "
				 "give --spool-dir DIR, or --spool-dir none");
			return -1;
		}
		c->spool_origin = origin;
	}
	if (c->spool_dir[0] != '\0') {
		if (origin != NULL)
			snprintf(what, sizeof(what), "spool directory (the default, %s; --spool-dir "
				 "DIR for another, none for no spool)", origin);
		else
			snprintf(what, sizeof(what), "--spool-dir");
		if (cf_startup_dir(what, c->spool_dir, err, errlen) != 0)
			return -1;
	}
	if (cf_delivery_dead_letter_dir(dl, sizeof(dl), c->dead_letter_dir, c->spool_dir) != 0) {
		snprintf(err, errlen, "--dead-letter-dir: path too long");
		return -1;
	}
	if (dl[0] != '\0' &&
	    cf_startup_dir(c->dead_letter_dir[0] ? "--dead-letter-dir" :
			   "dead-letter directory (SPOOL_DIR/dead-letter)", dl, err, errlen) != 0)
		return -1;
	return 0;
}

/*
 * --check-config usually runs beside the collector it checks a new file for, which
 * holds its ports: there, a port in use is a warning, every other failure an error.
 */
static int
check_port(const struct cf_config *c, const char *what, const char *addr, uint16_t port,
	   char *err, size_t errlen)
{
	if (cf_startup_port(what, addr, port, err, errlen) == 0)
		return 0;
	if (!c->check_config || errno != EADDRINUSE)
		return -1;
	CF_LOG(WARNING, "%s (the running collector's? checked nothing else about it)\n", err);
	err[0] = '\0';
	return 0;
}

int
cf_startup_check(struct cf_config *c, char *err, size_t errlen)
{
	if (c->backend_url[0] != '\0') {
		char post[1024], base[1024];
		int had;

		if (cf_startup_backend_url(c->backend_url, c->backend_path, post, sizeof(post), base,
					   sizeof(base), &had, err, errlen) != 0)
			return -1;
	} else if (ndjson_target("--output", &c->output, CF_OUTPUT_SINK_NDJSON, err, errlen) != 0) {
		return -1;
	}
	/* HTTP and Kafka alike keep what the network does not take (spool on by default). */
	if (cf_config_network_output(c) && delivery_dirs(c, err, errlen) != 0)
		return -1;
	if (ndjson_target("--sflow-counters", &c->sflow_counters, CF_SFLOW_COUNTERS_NDJSON, err,
			  errlen) != 0)
		return -1;
	if (c->template_file[0] != '\0' && template_file(c->template_file, err, errlen) != 0)
		return -1;
	if (c->http_port != 0 &&
	    check_port(c, "--http-port", c->http_bind, c->http_port, err, errlen) != 0)
		return -1;
	if (c->agent_port != 0 &&
	    check_port(c, "--agent-port", c->agent_bind, c->agent_port, err, errlen) != 0)
		return -1;
	return 0;
}
