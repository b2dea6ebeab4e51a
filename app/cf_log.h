/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_LOG_H
#define CF_LOG_H

/* The application's log type; lines go to stderr, never on the RX fast path. */

#include <rte_log.h>

extern int cf_logtype;

#define CF_LOG(level, ...) rte_log(RTE_LOG_##level, cf_logtype, "clarion: " __VA_ARGS__)

/* A whole line from a library's log callback (RTE_LOG_* level), logged as CF_LOG would. */
void cf_log_line(uint32_t level, const char *line);

#endif
