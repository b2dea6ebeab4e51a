/* SPDX-License-Identifier: BSD-3-Clause */
/* The segmented LRU every bounded table evicts by (lib/decode cf_lru.c). */
#include "cf_decode.h"
#include "cf_test.h"

static void
test_order(void)
{
	struct cf_decode_lru_node n[6];
	struct cf_decode_lru l;
	uint32_t i;

	cf_decode_lru_init(&l, n, 6, 2);
	CU_ASSERT_EQUAL(cf_decode_lru_victim(&l), CF_DECODE_LRU_NONE);
	for (i = 0; i < 6; i++)
		cf_decode_lru_add(&l, i);
	CU_ASSERT_EQUAL(cf_decode_lru_victim(&l), 0);
	cf_decode_lru_touch(&l, 0); /* most recent now */
	CU_ASSERT_EQUAL(cf_decode_lru_victim(&l), 1);
	/* Protected entries go last, whatever their age. */
	cf_decode_lru_promote(&l, 1);
	cf_decode_lru_promote(&l, 2);
	CU_ASSERT(cf_decode_lru_is_protected(&l, 1));
	CU_ASSERT_EQUAL(cf_decode_lru_victim(&l), 3);
	/* A third promotion overflows the protected segment: its least recent goes back on probation. */
	cf_decode_lru_promote(&l, 3);
	CU_ASSERT_EQUAL(l.count[CF_DECODE_LRU_PROTECTED], 2);
	CU_ASSERT(!cf_decode_lru_is_protected(&l, 1));
	CU_ASSERT(cf_decode_lru_is_protected(&l, 2));
	CU_ASSERT(cf_decode_lru_is_protected(&l, 3));
	/* Probation, oldest first: 4, 5, 0, then 1 (demoted to the most recent end). */
	CU_ASSERT_EQUAL(cf_decode_lru_victim(&l), 4);
	cf_decode_lru_del(&l, 4);
	cf_decode_lru_del(&l, 4); /* twice is harmless */
	CU_ASSERT_EQUAL(cf_decode_lru_victim(&l), 5);
	cf_decode_lru_del(&l, 5);
	cf_decode_lru_del(&l, 0);
	CU_ASSERT_EQUAL(cf_decode_lru_victim(&l), 1);
	cf_decode_lru_del(&l, 1);
	/* Only protected ones left: the least recent of them. */
	CU_ASSERT_EQUAL(cf_decode_lru_victim(&l), 2);
	cf_decode_lru_touch(&l, 2);
	CU_ASSERT_EQUAL(cf_decode_lru_victim(&l), 3);
	cf_decode_lru_del(&l, 3);
	cf_decode_lru_del(&l, 2);
	CU_ASSERT_EQUAL(cf_decode_lru_victim(&l), CF_DECODE_LRU_NONE);
	CU_ASSERT_EQUAL(l.count[0] + l.count[1], 0);
}

static const struct cft_case cases[] = {
	{"order", test_order},
	{NULL, NULL},
};

int
main(void)
{
	return cft_suite_main("lru", cases);
}
