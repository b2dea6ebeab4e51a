/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_LOG_H
#define CF_LOG_H

/*
 * The program's log (cf_log.c). Every line it writes to stderr is
 *   "<ISO-8601 UTC time, ms> clarion-flowd: [error: |warning: ]<text>"
 * DPDK's log stream is ours (rte_openlog_stream), so EAL, driver and library
 * lines (rte_log) get the same time and prefix; CF_LOG is rte_log with the
 * application's log type. The counter blocks (--stats-period, final) are a
 * report printed with fprintf: their header line carries the time.
 *
 * --log-file PATH: stderr itself (fd 2) becomes that file, so every writer,
 * threads included, follows it; cf_log_reopen() opens the path again and
 * swaps fd 2 (SIGHUP, after logrotate moved the file).
 *
 * Thread safety: lines are written with one write(2) each, under the stdio
 * lock of the log stream; cf_log_open_file/cf_log_reopen from one thread
 * (main lcore) at a time.
 */

#include <stddef.h>
#include <stdint.h>

#include <rte_log.h>

extern int cf_logtype;

#define CF_LOG(level, ...) rte_log(RTE_LOG_##level, cf_logtype, __VA_ARGS__)

/* A whole line from a library's log callback (RTE_LOG_* level), logged as CF_LOG would. */
void cf_log_line(uint32_t level, const char *line);

/* Installs the log stream and registers cf_logtype; first thing in main(). 0 or -1. */
int cf_log_init(void);
/* Writes one line "<time> clarion-flowd: error: <text>" straight to fd 2 (no level filter). */
void cf_log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * "<time> clarion-flowd: " (and "error: " / "warning: " for level <= ERR /
 * WARNING; level 0 = none) for wall_ms into buf. Returns its length. Pure.
 */
size_t cf_log_prefix(char *buf, size_t len, uint64_t wall_ms, uint32_t level);

/* --log-file: fd 2 becomes path (created 0640, appended to). 0, or -1 with err. */
int cf_log_open_file(const char *path, char *err, size_t errlen);
/* Opens the --log-file path again onto fd 2: 1 reopened, 0 no log file, -1 with err. */
int cf_log_reopen(char *err, size_t errlen);

/*
 * While capturing, every log line (without its prefix) is also kept, up to
 * 64 KiB, for the EAL failure explanations (cf_eal.c). cf_log_capture_end()
 * returns the kept text (NUL-terminated; owned by cf_log until the next
 * capture) and stops.
 */
void cf_log_capture_begin(void);
/* Lines of text (e.g. what a library wrote to stderr itself), each logged with the prefix. */
void cf_log_text(uint32_t level, const char *text, size_t len);
/* Log lines go to fd from now on (default 2); returns the previous one. */
int cf_log_set_fd(int fd);
const char *cf_log_capture_end(void);

#endif
