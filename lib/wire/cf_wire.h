/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CF_WIRE_H
#define CF_WIRE_H

/*
 * Big-endian loads from possibly unaligned wire bytes. memcpy into a local is
 * what compilers turn into one unaligned load plus bswap; no alignment is
 * assumed anywhere a decoder reads a packet.
 */

#include <stdint.h>
#include <string.h>

static inline uint16_t
cf_wire_be16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap16(v);
}

static inline uint32_t
cf_wire_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap32(v);
}

static inline uint64_t
cf_wire_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap64(v);
}

/* Unsigned big-endian integer of 1..8 bytes (reduced-size encoding, RFC 7011 6.2). */
static inline uint64_t
cf_wire_beN(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

#endif
