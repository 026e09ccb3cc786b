/* afz_prng.h - the run's deterministic pseudo-random generator
 * (xoshiro256** seeded through splitmix64), and the switch that makes
 * OpenSSL's own randomness deterministic for in-process runs.
 *
 * Everything random in a run (nonces, ids, serials, client jitter, ECDSA
 * signature nonces) derives from the run's seed, so the same input gives a
 * byte-identical history. Never use this for anything facing a real
 * network: `acmefuzz client` and `acmefuzz serve` do not install it. */
#ifndef AFZ_PRNG_H
#define AFZ_PRNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct afz_prng {
    uint64_t s[4];
} afz_prng;

void afz_prng_seed(afz_prng *p, uint64_t seed);
uint64_t afz_prng_next(afz_prng *p);
/* afz_prng_below returns a value in [0, n); 0 when n is 0. */
uint64_t afz_prng_below(afz_prng *p, uint64_t n);
void afz_prng_bytes(afz_prng *p, void *out, size_t n);

/* afz_detrand_install replaces OpenSSL's process-wide RAND method with one
 * drawing from an internal afz_prng, seeded with afz_detrand_seed. OpenSSL
 * 3.0 (Debian 12) signs ECDSA with a random k; with this installed, key
 * generation and every signature become functions of the seed. Idempotent.
 * Call it before any OpenSSL use, and only in in-process runs, tests and
 * fuzz targets. Returns 0 on success, -1 if OpenSSL refused. */
int afz_detrand_install(void);
/* afz_detrand_seed reseeds the deterministic generator. */
void afz_detrand_seed(uint64_t seed);
/* afz_detrand_active says whether afz_detrand_install succeeded. */
int afz_detrand_active(void);

#endif
