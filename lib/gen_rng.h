/*
 * gen_rng.h: the deterministic random numbers of telco-gen.
 *
 * splitmix64 (Steele, Lea, Flood 2014) as both the hash that seeds a stream
 * from a key (seed, what, customer, day, ...) and the generator of that
 * stream, so that every customer's and every day's numbers are the same
 * whatever else is generated and in whatever order. Never rand(3).
 */
#ifndef TP_GEN_RNG_H
#define TP_GEN_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t
gen_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A hash of up to four keys. */
static inline uint64_t
gen_hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t h = gen_mix64(a + 0x9e3779b97f4a7c15ULL);

	h = gen_mix64(h ^ (b + 0x632be59bd9b4e019ULL));
	h = gen_mix64(h ^ (c + 0x8cb92ba72f3d8dd7ULL));
	return gen_mix64(h ^ (d + 0x2545f4914f6cdd1dULL));
}

static inline struct rng
rng_init(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	struct rng r = { gen_hash4(a, b, c, d) };

	return r;
}

static inline uint64_t
rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return gen_mix64(r->s);
}

static inline uint32_t
rng_u32(struct rng *r)
{
	return (uint32_t)(rng_next(r) >> 32);
}

/* Uniform in [0, n) (Lemire's multiply; the bias is below 2^-32). */
static inline uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((uint64_t)rng_u32(r) * n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline long long
rng_range(struct rng *r, long long lo, long long hi)
{
	if (hi <= lo)
		return lo;
	return lo + (long long)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* Uniform in [0, 1). */
static inline double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline int
rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

/* Poisson by Knuth's product method; fine for the small means used here. */
static inline int
rng_poisson(struct rng *r, double lambda)
{
	double l = exp(-lambda), p = 1.0;
	int k = 0;

	if (lambda <= 0)
		return 0;
	if (lambda > 30)	/* normal approximation */
		return (int)fmax(0, lambda + sqrt(lambda) *
		    sqrt(-2 * log(1 - rng_unit(r))) * cos(6.283185307179586 * rng_unit(r)) + 0.5);
	do {
		k++;
		p *= rng_unit(r);
	} while (p > l);
	return k - 1;
}

/* Standard normal (Box-Muller, one of the pair). */
static inline double
rng_normal(struct rng *r)
{
	double u = 1.0 - rng_unit(r);

	return sqrt(-2 * log(u)) * cos(6.283185307179586 * rng_unit(r));
}

#endif
