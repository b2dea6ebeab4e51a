/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_TPL_KERNELS_H
#define CF_TPL_KERNELS_H

/*
 * Fused programs of common layouts as constants (private to lib/tpl; only
 * cf_tpl_exec.c and the unit tests include it). cf_tpl_exec.c runs each
 * through the same cf_tpl_run_seg()/var_decode() as any fused program, with
 * the program a constant, so the compiler unrolls every run into straight-line
 * loads and stores (no step table read, no loop per run). A template takes a
 * kernel only when its compiled program is equal to the entry's, steps and
 * segments compared whole (cf_tpl_kernel_find()); which exporter or template
 * id sends it does not matter, and the record is the one the generic fused
 * program makes. Each entry's program is what fuse() makes of the element
 * list beside it: tests/unit/test_tpl_fuse.c checks that (when fuse()
 * changes, CF_TPL_KERNEL_DUMP=1 build/tests/test_tpl_fuse prints the new
 * programs; an entry that no longer matches is dead code, never a wrong record).
 * Steps are {off, len, dst, op, roff} (cf_tpl_dst.h enums).
 */

#include "cf_tpl_dst.h"
#include "cf_tpl_priv.h"

struct cf_tpl_kernel_def {
	const char *name;
	uint8_t version;
	uint16_t n;
	struct cf_tpl_field f[24];
	struct cf_tpl prog;        /* the fused program of f for version */
};

enum {
	CF_TPL_KN_NONE,
	CF_TPL_KN_V9_CISCO18,
	CF_TPL_KN_IPFIX_CISCO18,
	CF_TPL_KN_IPFIX_CISCO18_APP,
	CF_TPL_KN_MAX
};

static const struct cf_tpl_kernel_def cf_tpl_kernel_defs[CF_TPL_KN_MAX] = {
	/* NetFlow v9: the cisco18 layout (scripts/gen_template.py --proto v9) */
	[CF_TPL_KN_V9_CISCO18] = {
		.name = "v9", .version = CF_RECORD_V_NF9, .n = 19,
		.f = {
			{0, 8, 4}, {0, 12, 4}, {0, 15, 4}, {0, 7, 2}, {0, 11, 2}, {0, 4, 1},
			{0, 5, 1}, {0, 6, 1}, {0, 1, 8}, {0, 2, 4}, {0, 22, 4}, {0, 21, 4},
			{0, 10, 4}, {0, 14, 4}, {0, 9, 1}, {0, 13, 1}, {0, 61, 1}, {0, 34000, 4},
			{0, 34001, 4},
		},
		.prog = {
			.varlen = 0, .n_steps = 19, .n_segs = 1,
			.segs = {
				{.len = 58, .first = 0, .end = 19, .rare = 0,
				 .op_end = {
					0, 3, 19, 9, 11, 15, 16, 19, 19, 17, 19, 19, 19, 19, 0, 0}},
			},
			.steps = {
				{0, 4, 2, 1, 32},
				{4, 4, 3, 1, 48},
				{8, 4, 6, 1, 116},
				{16, 1, 10, 3, 72},
				{17, 1, 11, 3, 73},
				{18, 1, 12, 3, 74},
				{47, 1, 19, 3, 76},
				{48, 1, 20, 3, 77},
				{49, 1, 25, 3, 78},
				{12, 2, 8, 4, 68},
				{14, 2, 9, 4, 70},
				{39, 4, 15, 5, 84},
				{43, 4, 16, 5, 88},
				{50, 4, 29, 5, 100},
				{54, 4, 30, 5, 104},
				{19, 8, 13, 6, 0},
				{27, 4, 14, 9, 8},
				{31, 4, 68, 12, 18},
				{35, 4, 69, 12, 19},
			},
		},
	},
	/* IPFIX: the same with flowStart/EndMilliseconds and the Cisco SGTs (--proto ipfix) */
	[CF_TPL_KN_IPFIX_CISCO18] = {
		.name = "ipfix", .version = CF_RECORD_V_IPFIX, .n = 19,
		.f = {
			{0, 8, 4}, {0, 12, 4}, {0, 15, 4}, {0, 7, 2}, {0, 11, 2}, {0, 4, 1},
			{0, 5, 1}, {0, 6, 1}, {0, 1, 8}, {0, 2, 4}, {0, 152, 8}, {0, 153, 8},
			{0, 10, 4}, {0, 14, 4}, {0, 9, 1}, {0, 13, 1}, {0, 61, 1}, {9, 1232, 4},
			{9, 1233, 4},
		},
		.prog = {
			.varlen = 0, .n_steps = 19, .n_segs = 1,
			.segs = {
				{.len = 66, .first = 0, .end = 19, .rare = 0,
				 .op_end = {
					0, 3, 19, 9, 11, 15, 16, 19, 19, 17, 19, 19, 17, 19, 0, 0}},
			},
			.steps = {
				{0, 4, 2, 1, 32},
				{4, 4, 3, 1, 48},
				{8, 4, 6, 1, 116},
				{16, 1, 10, 3, 72},
				{17, 1, 11, 3, 73},
				{18, 1, 12, 3, 74},
				{55, 1, 19, 3, 76},
				{56, 1, 20, 3, 77},
				{57, 1, 25, 3, 78},
				{12, 2, 8, 4, 68},
				{14, 2, 9, 4, 70},
				{47, 4, 15, 5, 84},
				{51, 4, 16, 5, 88},
				{58, 4, 29, 5, 100},
				{62, 4, 30, 5, 104},
				{19, 8, 13, 6, 0},
				{27, 4, 14, 9, 8},
				{31, 8, 72, 13, 22},
				{39, 8, 73, 13, 23},
			},
		},
	},
	/* IPFIX with applicationName (variable length, not stored) after the protocol (--varlen) */
	[CF_TPL_KN_IPFIX_CISCO18_APP] = {
		.name = "ipfixvar", .version = CF_RECORD_V_IPFIX, .n = 20,
		.f = {
			{0, 8, 4}, {0, 12, 4}, {0, 15, 4}, {0, 7, 2}, {0, 11, 2}, {0, 4, 1},
			{0, 96, CF_TPL_VARLEN}, {0, 5, 1}, {0, 6, 1}, {0, 1, 8}, {0, 2, 4},
			{0, 152, 8},
			{0, 153, 8}, {0, 10, 4}, {0, 14, 4}, {0, 9, 1}, {0, 13, 1}, {0, 61, 1},
			{9, 1232, 4}, {9, 1233, 4},
		},
		.prog = {
			.varlen = 1, .n_steps = 20, .n_segs = 2,
			.segs = {
				{.len = 17, .first = 0, .end = 6, .rare = 0,
				 .op_end = {
					0, 3, 6, 4, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 0, 0}},
				{.len = 49, .first = 7, .end = 20, .rare = 0,
				 .op_end = {
					0, 7, 20, 12, 12, 16, 17, 20, 20, 18, 20, 20, 18, 20, 0,
					0}},
			},
			.steps = {
				{0, 4, 2, 1, 32},
				{4, 4, 3, 1, 48},
				{8, 4, 6, 1, 116},
				{16, 1, 10, 3, 72},
				{12, 2, 8, 4, 68},
				{14, 2, 9, 4, 70},
				{0, 65535, 0, 0, 0},
				{0, 1, 11, 3, 73},
				{1, 1, 12, 3, 74},
				{38, 1, 19, 3, 76},
				{39, 1, 20, 3, 77},
				{40, 1, 25, 3, 78},
				{30, 4, 15, 5, 84},
				{34, 4, 16, 5, 88},
				{41, 4, 29, 5, 100},
				{45, 4, 30, 5, 104},
				{2, 8, 13, 6, 0},
				{10, 4, 14, 9, 8},
				{14, 8, 72, 13, 22},
				{22, 8, 73, 13, 23},
			},
		},
	},
};

#endif
