/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_TEST_H
#define CF_TEST_H

/*
 * Shared pieces of the CUnit test programs: EAL start-up without hugepages or
 * PCI (for rte_hash/rte_malloc users), a record sink over a plain array, and a
 * byte builder for packets written field by field from the RFCs.
 */

#include <stddef.h>
#include <stdint.h>

#include <CUnit/Basic.h>

#include "cf_decode.h"
#include "cf_record.h"
#include "cf_stats.h"
#include "cf_tpl.h"

/* Starts the EAL (no hugepages, no PCI, unique file prefix). Aborts on failure. */
void cft_eal_init(const char *prog);

/* Runs every registered suite; returns the process exit status. */
int cft_run(void);

/* One test of a suite; a list ends with {NULL, NULL}. */
struct cft_case {
	const char *name;
	CU_TestFunc fn;
};

/* Registers one suite of cases, runs it; returns the process exit status. */
int cft_suite_main(const char *suite, const struct cft_case *cases);

/* A sink over an array of cap records: what decoders wrote, in order. */
struct cft_sink {
	struct cf_record_sink sink;
	struct cf_record *recs;
	unsigned int cap;
};

void cft_sink_init(struct cft_sink *s, unsigned int cap);
unsigned int cft_sink_count(const struct cft_sink *s);
void cft_sink_reset(struct cft_sink *s);
void cft_sink_free(struct cft_sink *s);

/* What a decoder context is built from; all zeros = the collector's defaults. */
struct cft_dec_cfg {
	struct cf_decode_config decode;
	struct cf_tpl_config tpl;
};

/*
 * Decoder context bundle: stats + sink + ctx, built by cf_dispatch_ctx_init() as an RX
 * lcore builds its own. ctx reads cfg while decoding, so a test may change the
 * sampling policy in d.cfg between datagrams; template settings are fixed when
 * the context is built.
 */
struct cft_dec {
	struct cf_stats_lcore stats;
	struct cft_sink out;
	struct cf_decode_config cfg;
	struct cf_tpl_config tpl;
	struct cf_decode_ctx ctx;
};

/* With the defaults; aborts on failure. */
void cft_dec_init(struct cft_dec *d, unsigned int cap);
/* With cfg (NULL = defaults); aborts on failure. */
void cft_dec_init_cfg(struct cft_dec *d, unsigned int cap, const struct cft_dec_cfg *cfg);
/* Builds the context again with cfg; counters and sink (and what it holds) carry over. */
void cft_dec_rebuild(struct cft_dec *d, const struct cft_dec_cfg *cfg);
void cft_dec_fini(struct cft_dec *d);

/* Byte builder: append big-endian fields to a buffer of up to 64 KiB. */
struct cft_buf {
	uint8_t b[65536];
	size_t len;
};

void cft_u8(struct cft_buf *b, uint8_t v);
void cft_u16(struct cft_buf *b, uint16_t v);
void cft_u32(struct cft_buf *b, uint32_t v);
void cft_u64(struct cft_buf *b, uint64_t v);
void cft_bytes(struct cft_buf *b, const void *p, size_t n);
void cft_ip4(struct cft_buf *b, const char *dotted);
void cft_put16(struct cft_buf *b, size_t off, uint16_t v); /* patch a length later */

/* A datagram from exporter `src` (dotted IPv4 or IPv6 text) over buf. */
void cft_dgram(struct cf_decode_dgram *dg, const struct cft_buf *b, const char *src);

#endif
