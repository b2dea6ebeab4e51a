/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_FUZZ_H
#define CF_FUZZ_H

/*
 * What the libFuzzer targets share: the EAL started once (no hugepages, no
 * PCI, quiet), and a reader that cuts an input into length-prefixed pieces:
 * [u16 length, big endian][u8 flags][length bytes], the last piece taking
 * what is left. Each target says what a piece and its flags mean.
 */
#include <stddef.h>
#include <stdint.h>

void cf_fuzz_eal_init(void);

struct cf_fuzz_piece {
	const uint8_t *p;
	uint32_t len;
	uint8_t flags;
};

/* The next piece of [*data, *data + *size); 0 when none is left. */
int cf_fuzz_next(const uint8_t **data, size_t *size, struct cf_fuzz_piece *out);

#endif
