/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The --template-file parser: the input is the file. It is restored through
 * the saver into a small context (the same checks and limits as templates
 * from the wire), saved again at close, and the saved file restored into a
 * fresh context must give back exactly as many templates as were saved.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cf_dispatch.h"
#include "cf_fuzz.h"
#include "cf_tpl.h"

static char path[64];
static int restored, saved;

static void
log_line(uint32_t level, const char *line)
{
	int n;

	(void)level;
	if (sscanf(line, "%d template(s) restored", &n) == 1)
		restored = n;
	if (sscanf(line, "%d template(s) saved", &n) == 1)
		saved = n;
}

static int
sink_full(struct cf_record_sink *s)
{
	(void)s;
	return -1;
}

/* Restores path into a fresh context, then saves it back there at close. */
static void
round(void)
{
	static struct cf_stats_lcore stats;
	struct cf_decode_config dc = { .max_exporters = 16 };
	struct cf_tpl_config tc = { .max_exporters = 4, .max_per_exporter = 8 };
	struct cf_dispatch_config cfg = { .decode = &dc, .tpl = &tc, .sflow_max_ifc = 8 };
	struct cf_record_sink sink = { .refill = sink_full };
	const volatile int done = 1;
	const volatile int *dp = &done;
	const unsigned int lc = 1;
	struct cf_decode_ctx ctx, *cp = &ctx;
	struct cf_tpl_saver *s;
	char err[256];

	if (cf_dispatch_ctx_init(&ctx, "ft", 0, &cfg, &stats, &sink, err, sizeof(err)) != 0)
		__builtin_trap();
	restored = saved = 0;
	s = cf_tpl_saver_open(path, 0, &cp, &dp, &lc, 1, 1700000000000ull, log_line, err,
			      sizeof(err));
	if (s == NULL)
		__builtin_trap();
	cf_tpl_saver_close(s);
	cf_dispatch_ctx_fini(&ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int first;
	int fd;

	cf_fuzz_eal_init();
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/dev/shm/cffuzz-tpl-%d", (int)getpid());
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || (size != 0 && write(fd, data, size) != (ssize_t)size))
		__builtin_trap();
	close(fd);
	round();
	first = saved;
	/* What was saved comes back whole: the writer and the reader agree. */
	round();
	if (restored != first)
		__builtin_trap();
	unlink(path);
	unlink(path);
	return 0;
}
