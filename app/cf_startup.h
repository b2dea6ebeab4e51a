/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_STARTUP_H
#define CF_STARTUP_H

/*
 * Every setting that names something outside the process, checked before the
 * EAL starts (cf_startup.c), so a wrong one is one line and exit status 2
 * instead of a collector that runs without its data or its monitoring:
 * --backend-url (libcurl's URL API), --output / --sflow-counters / --log-file
 * paths, the spool and dead-letter directories (created 0700, proven
 * writable), --template-file (directory writable, an existing file readable
 * and whole), and the control-plane ports (bindable). --field-map is parsed
 * by main() just before.
 *
 * Contract: main lcore, before rte_eal_init; every function returns 0, or -1
 * with one line in err naming the flag and what to do.
 */

#include <stddef.h>
#include <stdint.h>

#include "cf_config.h"

/*
 * The default spool directory, first that applies: $STATE_DIRECTORY/spool
 * (systemd StateDirectory=; its first entry), /var/lib/clarion-flowd/spool
 * when is_root, $XDG_STATE_HOME/clarion-flowd/spool, $HOME/.local/state/
 * clarion-flowd/spool. Pure: the variables are passed in (NULL or "" =
 * unset). *origin says which, for the start-up line. -1 when none applies.
 */
int cf_startup_default_spool(char *out, size_t len, int is_root, const char *state_directory,
			     const char *xdg_state_home, const char *home, const char **origin);

/*
 * --backend-url and --backend-path: the URL parsed whole by libcurl (scheme
 * http or https, a host, a port in 1..65535 when given, no query or
 * fragment). post = the URL records are POSTed to; base = the URL without
 * path tail or trailing '/' (edge-agent uploads add their own paths). A URL
 * whose path already ends in --backend-path is taken as its base (the path
 * is not doubled) and *had_path set.
 */
int cf_startup_backend_url(const char *url, const char *path, char *post, size_t post_len,
			   char *base, size_t base_len, int *had_path, char *err, size_t errlen);

/* dir and its missing parents created (mode 0700), then a file created in it
 * and removed. what names the setting in err. */
int cf_startup_dir(const char *what, const char *dir, char *err, size_t errlen);

/* A file the collector appends to: opened for writing (created when missing). */
int cf_startup_file(const char *what, const char *path, char *err, size_t errlen);

/* bind(2) to addr:port and release it: in use, no permission, not our address. */
int cf_startup_port(const char *what, const char *addr, uint16_t port, char *err, size_t errlen);

/*
 * All of the above for cfg, in the order of the flags' rows. Resolves
 * cfg->spool_dir (the default, or "" for "none") and sets cfg->spool_origin.
 */
int cf_startup_check(struct cf_config *cfg, char *err, size_t errlen);

#endif
