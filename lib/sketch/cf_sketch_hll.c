/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HyperLogLog, p = 13, with an exact sparse start (Heule, Nunkesser, Hall,
 * "HyperLogLog in Practice", 2013: index at precision 25 plus the rank that
 * the 12 extra index bits cannot give) and Ertl's improved estimator ("New
 * cardinality estimation algorithms for HyperLogLog sketches", 2017, algorithm
 * 6), which needs no bias tables and no switch-over between ranges. The
 * estimator reads a histogram of register values kept up to date as
 * registers grow (they only grow), so an estimate costs ~60 steps, not 8192.
 */
#include <math.h>
#include <string.h>

#include "cf_sketch.h"

#define P CF_SKETCH_HLL_P
#define M CF_SKETCH_HLL_M
#define Q CF_SKETCH_HLL_Q
#define PS 25                      /* sparse precision */

_Static_assert(Q + 1 < 64, "histogram holds every register value");

void
cf_sketch_hll_init(struct cf_sketch_hll *h, struct cf_sketch_hll_dense *dense)
{
	h->n = 0;
	h->dense = dense;
}

void
cf_sketch_hll_clear(struct cf_sketch_hll *h)
{
	h->n = 0;
}

static inline void
dense_put(struct cf_sketch_hll_dense *d, uint32_t idx, uint8_t rho)
{
	uint8_t old = d->reg[idx];

	if (rho > old) {
		d->reg[idx] = rho;
		d->hist[old]--;
		d->hist[rho]++;
	}
}

void
cf_sketch_hll_dense_put(struct cf_sketch_hll_dense *d, uint32_t idx, uint8_t rho)
{
	dense_put(d, idx, rho);
}

/* The register index and value a sparse entry stands for. */
static inline void
sparse_to_dense(uint32_t v, uint32_t *idx, uint8_t *rho)
{
	uint32_t i25 = v >> 6, mid = i25 & ((1u << (PS - P)) - 1);

	*idx = i25 >> (PS - P);
	*rho = mid ? (uint8_t)(__builtin_clz(mid) - (32 - (PS - P)) + 1)
		   : (uint8_t)((PS - P) + (v & 63));
}

static void
go_dense(struct cf_sketch_hll *h)
{
	struct cf_sketch_hll_dense *d = h->dense;
	unsigned int i;

	memset(d->reg, 0, sizeof(d->reg));
	memset(d->hist, 0, sizeof(d->hist));
	d->hist[0] = M;
	for (i = 0; i < h->n; i++) {
		uint32_t idx;
		uint8_t rho;

		sparse_to_dense(h->sparse[i], &idx, &rho);
		dense_put(d, idx, rho);
	}
	h->n = CF_SKETCH_HLL_DENSE_FLAG;
}

void
cf_sketch_hll_add_sparse(struct cf_sketch_hll *h, uint64_t hash)
{
	uint32_t v, i25, hit = 0;
	unsigned int i;

	i25 = (uint32_t)(hash >> (64 - PS));
	v = i25 << 6;
	if ((i25 & ((1u << (PS - P)) - 1)) == 0)
		/* The 12 extra bits are zero: keep the rank of what follows them. */
		v |= (uint32_t)__builtin_clzll((hash << PS) | (1ull << (PS - 1))) + 1;
	/* All 16 compared at once (vector code), the unused ones masked off after. */
	for (i = 0; i < CF_SKETCH_SPARSE; i++)
		hit |= (uint32_t)((h->sparse[i] >> 6) == i25) << i;
	hit &= (uint32_t)((1ull << h->n) - 1);
	if (hit != 0) {
		i = (unsigned int)__builtin_ctz(hit);
		if ((v & 63) > (h->sparse[i] & 63))
			h->sparse[i] = v;
		return;
	}
	if (h->n < CF_SKETCH_SPARSE) {
		h->sparse[h->n++] = v;
		return;
	}
	go_dense(h);
	cf_sketch_hll_add(h, hash);
}

static double
sigma(double x)
{
	double y = 1, z = x, zp;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

static double
tau(double x)
{
	double y = 1, z, zp;

	if (x == 0 || x == 1)
		return 0;
	z = 1 - x;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != zp);
	return z / 3;
}

uint64_t
cf_sketch_hll_count(const struct cf_sketch_hll *h)
{
	const struct cf_sketch_hll_dense *d = h->dense;
	double z;
	int k;

	if (h->n != CF_SKETCH_HLL_DENSE_FLAG)
		/* Distinct indexes at precision 25: linear counting over 2^25 cells rounds
		 * to the count itself at these sizes. */
		return h->n;
	z = M * tau(1.0 - (double)d->hist[Q + 1] / M);
	for (k = Q; k >= 1; k--)
		z = 0.5 * (z + d->hist[k]);
	z += M * sigma((double)d->hist[0] / M);
	return (uint64_t)llround(1.0 / (2.0 * log(2.0)) * M * (double)M / z);
}
