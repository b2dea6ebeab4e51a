/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mutation soak: real datagrams (the corpus .dat files when ../shared is there,
 * plus built v5, v9 and IPFIX datagrams) are flipped, truncated, extended and spliced, then
 * fed through cf_dispatch_datagram() with a persistent per-lcore context, so template
 * and exporter state carry over between mutants as they would on a live port.
 * Under ASan/UBSan any out-of-bounds read is a failure; the assertions check
 * that every datagram is accounted for and the sink is never overrun.
 * Deterministic: a fixed seed, so a failure reproduces.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf_dispatch.h"
#include "cf_pkt.h"
#include "cf_test.h"
#include "cf_test_msg.h"

#define MAX_SEEDS 256
#define MAX_DGRAM 65535
#define ROUNDS 2000

struct seed {
	uint8_t *data;
	uint32_t len;
};

static struct seed seeds[MAX_SEEDS];
static unsigned int n_seeds;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	/* xorshift64*: enough for picking bytes, and reproducible */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static void
add_seed(const uint8_t *p, uint32_t len)
{
	if (n_seeds == MAX_SEEDS || len == 0 || len > MAX_DGRAM)
		return;
	seeds[n_seeds].data = malloc(len);
	memcpy(seeds[n_seeds].data, p, len);
	seeds[n_seeds].len = len;
	n_seeds++;
}

static void
load_dir(const char *dir)
{
	static uint8_t buf[MAX_DGRAM];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[1024];
		size_t n;
		FILE *f;

		if (strstr(de->d_name, ".dat") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (f == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		add_seed(buf, (uint32_t)n);
	}
	closedir(d);
}

static void
builtin_seeds(void)
{
	static struct cft_buf b;
	unsigned int i;
	size_t s;

	b.len = 0;
	cft_u16(&b, 5);
	cft_u16(&b, 3);
	cft_u32(&b, 100000);
	cft_u32(&b, 1700000000);
	cft_u32(&b, 0);
	cft_u32(&b, 7);
	cft_u32(&b, 0);
	for (i = 0; i < 3 * 48; i++)
		cft_u8(&b, (uint8_t)(i * 7));
	add_seed(b.b, (uint32_t)b.len);

	/* v9: a template and two records of it, so mutants reach the template engine without a corpus. */
	cft_nf9_hdr(&b, 3, 100000, 1700000000, 7, 1);
	s = cft_set_begin(&b, CFT_SET_NF9_TPL);
	cft_tpl_hdr(&b, 256, 4);
	cft_field(&b, 8, 4);
	cft_field(&b, 12, 4);
	cft_field(&b, 7, 2);
	cft_field(&b, 1, 4);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 256);
	for (i = 0; i < 2 * 14; i++)
		cft_u8(&b, (uint8_t)(i * 11));
	cft_set_end(&b, s, 1);
	add_seed(b.b, (uint32_t)b.len);

	/* IPFIX: options template with a scope, an enterprise and a variable-length element, data. */
	cft_ipfix_hdr(&b, 1700000000, 0, 42);
	s = cft_set_begin(&b, CFT_SET_IPFIX_OPT);
	cft_ipfix_opt_hdr(&b, 300, 2, 1);
	cft_field(&b, 144, 4);
	cft_field(&b, 34, 4);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, CFT_SET_IPFIX_TPL);
	cft_tpl_hdr(&b, 301, 3);
	cft_field(&b, 8, 4);
	cft_field_pen(&b, 1232, 2, 9);
	cft_field(&b, 96, 0xffff);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 300);
	cft_u32(&b, 1);
	cft_u32(&b, 100);
	cft_set_end(&b, s, 0);
	s = cft_set_begin(&b, 301);
	cft_ip4(&b, "10.0.0.1");
	cft_u16(&b, 17);
	cft_u8(&b, 3);
	cft_bytes(&b, "abc", 3);
	cft_set_end(&b, s, 0);
	cft_ipfix_end(&b);
	add_seed(b.b, (uint32_t)b.len);
}

static uint32_t
mutate(uint8_t *out, const struct seed *s)
{
	uint32_t len = s->len, i, n;

	memcpy(out, s->data, len);
	switch (rnd() % 6) {
	case 0: /* flip a few bytes */
		for (n = 1 + rnd() % 8, i = 0; i < n; i++)
			out[rnd() % len] = (uint8_t)rnd();
		break;
	case 1: /* truncate */
		len = rnd() % len;
		break;
	case 2: /* overwrite a 16-bit field with an extreme value (lengths, counts, ids) */
		if (len >= 2) {
			static const uint16_t extremes[] = {0, 1, 3, 4, 255, 256, 0x7fff, 0x8000, 0xffff};
			uint32_t at = rnd() % (len - 1);
			uint16_t v = extremes[rnd() % (sizeof(extremes) / sizeof(extremes[0]))];

			out[at] = (uint8_t)(v >> 8);
			out[at + 1] = (uint8_t)v;
		}
		break;
	case 3: /* extend with junk */
		n = rnd() % 512;
		if (len + n > MAX_DGRAM)
			n = MAX_DGRAM - len;
		for (i = 0; i < n; i++)
			out[len + i] = (uint8_t)rnd();
		len += n;
		break;
	case 4: { /* splice the tail of another seed after a prefix of this one */
		const struct seed *o = &seeds[rnd() % n_seeds];
		uint32_t cut = rnd() % len, from = rnd() % o->len;

		n = o->len - from;
		if (cut + n > MAX_DGRAM)
			n = MAX_DGRAM - cut;
		memcpy(out + cut, o->data + from, n);
		len = cut + n;
		break;
	}
	default: /* unchanged: keeps templates flowing so data sets get decoded */
		break;
	}
	return len;
}

static void
test_mutants(void)
{
	static uint8_t buf[MAX_DGRAM + 16];
	struct cft_dec d;
	struct cf_decode_dgram dg;
	uint64_t fed = 0, recs = 0;
	unsigned int round, i;

	cft_dec_init(&d, 4096);
	cft_dgram(&dg, &(struct cft_buf){.len = 0}, "192.0.2.1");
	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < n_seeds; i++) {
			dg.data = buf;
			dg.len = mutate(buf, &seeds[i]);
			/* a handful of exporters, so per-exporter state is exercised */
			dg.src[3] = (uint8_t)(rnd() % 4);
			cft_sink_reset(&d.out);
			cf_dispatch_datagram(&d.ctx, &dg);
			fed++;
			recs += cft_sink_count(&d.out);
			CU_ASSERT(cft_sink_count(&d.out) <= d.out.cap);
		}
	}
	CU_ASSERT_EQUAL(d.stats.flow_dgrams, fed);
	CU_ASSERT_EQUAL(d.stats.records, recs);
	printf("\n  %u seeds, %" PRIu64 " mutants, %" PRIu64 " records decoded\n", n_seeds, fed, recs);
	cft_dec_fini(&d);
}

/* Random frames through the classifier: it must never accept more than it was given. */
static void
test_frames(void)
{
	static uint8_t frame[2048];
	unsigned int i, j;

	for (i = 0; i < 200000; i++) {
		uint32_t len = rnd() % sizeof(frame);
		struct cf_pkt_meta m;

		for (j = 0; j < len; j++)
			frame[j] = (uint8_t)rnd();
		/* bias towards IP so the deeper checks run */
		if (len > 14) {
			frame[12] = (i & 1) ? 0x08 : 0x86;
			frame[13] = (i & 1) ? 0x00 : 0xdd;
			if (len > 15)
				frame[14] = (i & 1) ? 0x45 : 0x60;
		}
		if (cf_pkt_parse(frame, len, &m) == CF_STATS_DROP_MAX)
			CU_ASSERT(m.payload_off + m.payload_len <= len);
	}
}

static const struct cft_case cases[] = {
	{"mutants", test_mutants},
	{"frames", test_frames},
	{NULL, NULL},
};

int
main(int argc, char **argv)
{
	const char *corpus = getenv("CF_CORPUS_DAT");

	(void)argc;
	cft_eal_init(argv[0]);
	builtin_seeds();
	load_dir(corpus ? corpus : "../shared/corpus/netflow-logstash/dat");
	load_dir(corpus ? corpus : "../shared/corpus/sflow-logstash/dat");
	if (n_seeds == 3)
		printf("note: no corpus .dat files found (set CF_CORPUS_DAT); built-in seeds only\n");
	return cft_suite_main("mutate", cases);
}
