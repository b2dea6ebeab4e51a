/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Spool recovery from corrupted segment files: each piece (cf_fuzz.h) is one
 * file of a fresh spool directory; its flags say what the entry is: bits 0-3
 * the segment number, bit 4 a name that is not a segment's, bit 5 a
 * directory instead of a file, bit 6 a symbolic link to the piece's file
 * elsewhere (which must never be followed nor truncated). Then the spool is
 * opened, replayed (consume or release by the low bit of each header's record
 * count), appended to past its budget (drop-oldest), and its counters are
 * checked: they never wrap, and the planted file keeps every byte.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf_delivery.h"
#include "cf_fuzz.h"

static char base[64];

static void
rm_tree(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char p[512];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (unlink(p) != 0)
			rm_tree(p);
	}
	closedir(d);
	rmdir(dir);
}

static void
put_file(const char *path, const uint8_t *p, uint32_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return;
	if (n != 0 && write(fd, p, n) != (ssize_t)n)
		__builtin_trap();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[128], path[256], victim[160], err[256];
	struct cf_delivery_spool_info info;
	struct cf_delivery_spool *s;
	struct cf_fuzz_piece pc;
	struct stat st;
	off_t victim_len = -1;
	static const char filler[2000];
	unsigned int guard = 0;

	if (base[0] == '\0')
		snprintf(base, sizeof(base), "/dev/shm/cffuzz-spool-%d", (int)getpid());
	rm_tree(base);
	if (mkdir(base, 0700) != 0)
		__builtin_trap();
	snprintf(dir, sizeof(dir), "%s/spool", base);
	snprintf(victim, sizeof(victim), "%s/victim", base);
	mkdir(dir, 0700);
	while (cf_fuzz_next(&data, &size, &pc)) {
		unsigned int id = pc.flags & 15;

		if (pc.flags & 16)
			snprintf(path, sizeof(path), "%s/seg-%020u.log.old", dir, id);
		else
			snprintf(path, sizeof(path), "%s/seg-%020u.log", dir, id);
		if (pc.flags & 32) {
			mkdir(path, 0700);
		} else if (pc.flags & 64) {
			put_file(victim, pc.p, pc.len);
			victim_len = pc.len;
			if (symlink(victim, path) != 0)
				continue;
		} else {
			put_file(path, pc.p, pc.len);
		}
	}
	s = cf_delivery_spool_open(dir, 65536, CF_DELIVERY_FSYNC_NONE, CF_DELIVERY_FULL_DROP_OLDEST,
				   err, sizeof(err));
	if (s == NULL)
		__builtin_trap(); /* a planted or broken file never fails the start */
	for (;;) {
		struct cf_delivery_seg_hdr h;
		char *body = NULL;
		int rc = cf_delivery_spool_peek(s, &h, &body);

		if (rc <= 0 || ++guard > 10000)
			break;
		free(body);
		if (h.nrec & 1) {
			cf_delivery_spool_release(s);
			/* Appending while an entry is out: drop-oldest may evict under it. */
			cf_delivery_spool_append(s, 1, guard, 3, "0123456789", 10);
			if (cf_delivery_spool_peek(s, &h, &body) <= 0)
				break;
			free(body);
		}
		cf_delivery_spool_consume(s);
	}
	for (guard = 0; guard < 40; guard++)
		cf_delivery_spool_append(s, 2, guard, 7, filler, sizeof(filler));
	cf_delivery_spool_get_info(s, &info);
	if (info.records > (1ull << 40) || info.batches > (1ull << 40) || info.bytes > 65536)
		__builtin_trap(); /* wrapped below zero, or over budget */
	cf_delivery_spool_close(s);
	if (victim_len >= 0 && (stat(victim, &st) != 0 || st.st_size != victim_len))
		__builtin_trap(); /* the link's target was truncated or removed */
	rm_tree(base);
	return 0;
}
