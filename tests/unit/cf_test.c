/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

#include "cf_dispatch.h"
#include "cf_test.h"

void
cft_eal_init(const char *prog)
{
	char prefix[64];
	char *argv[] = {(char *)prog, "--no-huge", "-m", "256", "--no-pci", "--no-telemetry",
			"--log-level=error", "--file-prefix", prefix, "-l", "0", NULL};

	snprintf(prefix, sizeof(prefix), "cft%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "%s: EAL init failed\n", prog);
		exit(1);
	}
}

int
cft_run(void)
{
	unsigned int failed;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

int
cft_suite_main(const char *suite, const struct cft_case *cases)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite(suite, NULL, NULL);
	for (; cases->name != NULL; cases++)
		CU_add_test(s, cases->name, cases->fn);
	return cft_run();
}

static int
sink_full(struct cf_record_sink *s)
{
	(void)s;
	return -1;
}

void
cft_sink_init(struct cft_sink *s, unsigned int cap)
{
	s->recs = aligned_alloc(64, sizeof(struct cf_record) * cap);
	s->cap = cap;
	s->sink.refill = sink_full;
	s->sink.opaque = s;
	cft_sink_reset(s);
}

void
cft_sink_reset(struct cft_sink *s)
{
	s->sink.cur = s->recs;
	s->sink.end = s->recs + s->cap;
}

unsigned int
cft_sink_count(const struct cft_sink *s)
{
	return (unsigned int)(s->sink.cur - s->recs);
}

void
cft_sink_free(struct cft_sink *s)
{
	free(s->recs);
}

static void
dec_build(struct cft_dec *d, const struct cft_dec_cfg *cfg)
{
	static unsigned int seq;
	char name[32], err[256];

	if (cfg != NULL) {
		d->cfg = cfg->decode;
		d->tpl = cfg->tpl;
	} else {
		memset(&d->cfg, 0, sizeof(d->cfg));
		memset(&d->tpl, 0, sizeof(d->tpl));
	}
	snprintf(name, sizeof(name), "cft%u", seq++);
	if (cf_dispatch_ctx_init(&d->ctx, name, 0, &(struct cf_dispatch_config){ .decode = &d->cfg, .tpl = &d->tpl },
			 &d->stats, &d->out.sink, err, sizeof(err)) != 0) {
		fprintf(stderr, "cfx_ctx_init: %s\n", err);
		exit(1);
	}
}

void
cft_dec_init_cfg(struct cft_dec *d, unsigned int cap, const struct cft_dec_cfg *cfg)
{
	memset(d, 0, sizeof(*d));
	cft_sink_init(&d->out, cap);
	dec_build(d, cfg);
}

void
cft_dec_init(struct cft_dec *d, unsigned int cap)
{
	cft_dec_init_cfg(d, cap, NULL);
}

void
cft_dec_rebuild(struct cft_dec *d, const struct cft_dec_cfg *cfg)
{
	cf_dispatch_ctx_fini(&d->ctx);
	dec_build(d, cfg);
}

void
cft_dec_fini(struct cft_dec *d)
{
	cf_dispatch_ctx_fini(&d->ctx);
	cft_sink_free(&d->out);
}

static void
put(struct cft_buf *b, const void *p, size_t n)
{
	if (b->len + n > sizeof(b->b)) {
		fprintf(stderr, "cft_buf overflow\n");
		abort();
	}
	memcpy(b->b + b->len, p, n);
	b->len += n;
}

void cft_u8(struct cft_buf *b, uint8_t v) { put(b, &v, 1); }
void cft_u16(struct cft_buf *b, uint16_t v) { v = htons(v); put(b, &v, 2); }
void cft_u32(struct cft_buf *b, uint32_t v) { v = htonl(v); put(b, &v, 4); }
void cft_u64(struct cft_buf *b, uint64_t v) { cft_u32(b, (uint32_t)(v >> 32)); cft_u32(b, (uint32_t)v); }
void cft_bytes(struct cft_buf *b, const void *p, size_t n) { put(b, p, n); }

void
cft_ip4(struct cft_buf *b, const char *dotted)
{
	uint8_t a[4];

	if (inet_pton(AF_INET, dotted, a) != 1)
		abort();
	put(b, a, 4);
}

void
cft_put16(struct cft_buf *b, size_t off, uint16_t v)
{
	b->b[off] = (uint8_t)(v >> 8);
	b->b[off + 1] = (uint8_t)v;
}

void
cft_dgram(struct cf_decode_dgram *dg, const struct cft_buf *b, const char *src)
{
	memset(dg, 0, sizeof(*dg));
	dg->data = b->b;
	dg->len = (uint32_t)b->len;
	if (inet_pton(AF_INET, src, dg->src) == 1) {
		dg->src_v6 = 0;
	} else if (inet_pton(AF_INET6, src, dg->src) == 1) {
		dg->src_v6 = 1;
	} else {
		abort();
	}
	dg->dst_port = 2055;
	dg->now_ms = 1700000000000ull;
}
