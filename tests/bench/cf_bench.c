/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf_bench.h"
#include "cf_pkt.h"
#include "cf_wire.h"

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void
cfb_gen_v5(struct cfb_set *s, uint32_t n_dgrams, uint32_t n_exporters, uint32_t seed)
{
	const uint32_t len = 24 + 30 * 48;
	uint64_t rng = 0x9e3779b97f4a7c15ull ^ seed;
	uint32_t i, k;

	s->n = n_dgrams;
	s->buf = aligned_alloc(64, (size_t)n_dgrams * 1536);
	s->dg = calloc(n_dgrams, sizeof(*s->dg));
	if (s->buf == NULL || s->dg == NULL)
		abort();
	for (i = 0; i < n_dgrams; i++) {
		/* 1536-byte stride, 42 bytes in: where a payload sits behind Ethernet/IPv4/UDP. */
		uint8_t *p = s->buf + (size_t)i * 1536 + 42 % 64;
		uint32_t uptime = 3600000u + i * 1000u, exp = i % n_exporters;

		put16(p, 5);
		put16(p + 2, 30);
		put32(p + 4, uptime);
		put32(p + 8, 1700000000u + i);
		put32(p + 12, (uint32_t)(xorshift(&rng) % 1000000000u));
		put32(p + 16, i / n_exporters * 30);
		p[20] = 1;
		p[21] = (uint8_t)exp;
		put16(p + 22, 0);
		for (k = 0; k < 30; k++) {
			uint8_t *f = p + 24 + k * 48;
			uint64_t r1 = xorshift(&rng), r2 = xorshift(&rng), r3 = xorshift(&rng);

			put32(f, (uint32_t)r1);
			put32(f + 4, (uint32_t)(r1 >> 32));
			put32(f + 8, (uint32_t)r2);
			put16(f + 12, (uint16_t)(r2 >> 32));
			put16(f + 14, (uint16_t)(r2 >> 48));
			put32(f + 16, (uint32_t)r3 & 0xffff);
			put32(f + 20, (uint32_t)(r3 >> 16) & 0xffffff);
			put32(f + 24, uptime - (uint32_t)(r3 % 3600000u));
			put32(f + 28, uptime - (uint32_t)(r3 % 60000u));
			put16(f + 32, (uint16_t)r1);
			put16(f + 34, (uint16_t)(r1 >> 16));
			f[36] = 0;
			f[37] = (uint8_t)r2;
			f[38] = (uint8_t[]){6, 17, 1, 47}[r3 & 3];
			f[39] = (uint8_t)(r3 >> 8);
			put16(f + 40, (uint16_t)(r3 >> 24));
			put16(f + 42, (uint16_t)(r3 >> 40));
			f[44] = (uint8_t)(r2 % 33);
			f[45] = (uint8_t)(r1 % 33);
			put16(f + 46, 0);
		}
		s->dg[i].data = p;
		s->dg[i].len = len;
		s->dg[i].src[0] = 10;
		s->dg[i].src[2] = (uint8_t)(exp >> 8);
		s->dg[i].src[3] = (uint8_t)exp + 1;
		s->dg[i].src_port = 50000;
		s->dg[i].dst_port = 2055;
		s->dg[i].now_ms = 1700000000000ull;
	}
}

int
cfb_load_pcap(struct cfb_set *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t gh[24], rh[16];
	long size;
	size_t used = 0, cap_dg = 1024;
	int swap;

	if (f == NULL || fread(gh, 1, 24, f) != 24) {
		fprintf(stderr, "%s: cannot read a pcap header\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	if (memcmp(gh, "\xd4\xc3\xb2\xa1", 4) == 0 || memcmp(gh, "\x4d\x3c\xb2\xa1", 4) == 0) {
		swap = 0;
	} else if (memcmp(gh, "\xa1\xb2\xc3\xd4", 4) == 0 || memcmp(gh, "\xa1\xb2\x3c\x4d", 4) == 0) {
		swap = 1;
	} else {
		fprintf(stderr, "%s: not a classic pcap file\n", path);
		fclose(f);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 24, SEEK_SET);
	/* Frames are laid out 64-byte aligned: at most 63 bytes of padding per >= 16 bytes of file. */
	s->buf = aligned_alloc(64, ((size_t)size * 5 + 63) / 64 * 64);
	s->dg = calloc(cap_dg, sizeof(*s->dg));
	s->n = 0;
	if (s->buf == NULL || s->dg == NULL)
		abort();
	while (fread(rh, 1, 16, f) == 16) {
		uint32_t incl;
		struct cf_pkt_meta m;
		uint8_t *frame = s->buf + used;

		memcpy(&incl, rh + 8, 4);
		if (swap)
			incl = __builtin_bswap32(incl);
		if (incl > 65535 || fread(frame, 1, incl, f) != incl)
			break;
		used += (incl + 63) / 64 * 64;
		if (cf_pkt_parse(frame, incl, &m) != CF_STATS_DROP_MAX)
			continue;
		if (s->n == cap_dg) {
			cap_dg *= 2;
			s->dg = realloc(s->dg, cap_dg * sizeof(*s->dg));
			if (s->dg == NULL)
				abort();
		}
		memset(&s->dg[s->n], 0, sizeof(s->dg[s->n]));
		s->dg[s->n].data = frame + m.payload_off;
		s->dg[s->n].len = m.payload_len;
		memcpy(s->dg[s->n].src, m.src, 16);
		s->dg[s->n].src_v6 = m.v6;
		s->dg[s->n].src_port = m.src_port;
		s->dg[s->n].dst_port = m.dst_port;
		s->dg[s->n].now_ms = 1700000000000ull;
		s->n++;
	}
	fclose(f);
	return s->n ? 0 : -1;
}

void
cfb_free(struct cfb_set *s)
{
	free(s->buf);
	free(s->dg);
}

static int
recycle(struct cf_record_sink *sk)
{
	struct cfb_sink *s = sk->opaque;

	s->refills++;
	sk->cur = s->recs + (size_t)s->next * CF_RECORD_BLOCK_RECORDS;
	sk->end = sk->cur + CF_RECORD_BLOCK_RECORDS;
	if (++s->next == s->n_blocks)
		s->next = 0;
	return 0;
}

void
cfb_sink_init(struct cfb_sink *s, uint32_t n_blocks)
{
	size_t size = sizeof(struct cf_record) * CF_RECORD_BLOCK_RECORDS * n_blocks;

	s->recs = aligned_alloc(64, size);
	if (s->recs == NULL)
		abort();
	memset(s->recs, 0, size);
	s->n_blocks = n_blocks;
	s->next = 0;
	s->refills = 0;
	s->sink.cur = s->sink.end = NULL;
	s->sink.refill = recycle;
	s->sink.opaque = s;
}

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double cfb_now(void) { return clock_s(CLOCK_MONOTONIC); }
double cfb_cpu(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }
