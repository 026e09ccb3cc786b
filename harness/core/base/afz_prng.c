/* afz_prng.c - see afz_prng.h. */
/* RAND_set_rand_method is deprecated in OpenSSL 3.0 but is the only way to
 * make the default provider's ECDSA nonces reproducible there. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "afz_prng.h"

#include <string.h>

#include <openssl/rand.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

void afz_prng_seed(afz_prng *p, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        p->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t afz_prng_next(afz_prng *p)
{
    uint64_t *s = p->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t afz_prng_below(afz_prng *p, uint64_t n)
{
    if (n == 0)
        return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do
        v = afz_prng_next(p);
    while (v >= limit);
    return v % n;
}

void afz_prng_bytes(afz_prng *p, void *out, size_t n)
{
    uint8_t *o = out;
    while (n) {
        uint64_t v = afz_prng_next(p);
        size_t k = n < 8 ? n : 8;
        memcpy(o, &v, k);
        o += k;
        n -= k;
    }
}

static afz_prng detrand_state;
static int detrand_on;

static int detrand_bytes(unsigned char *buf, int num)
{
    if (num > 0)
        afz_prng_bytes(&detrand_state, buf, (size_t)num);
    return 1;
}

static int detrand_status(void)
{
    return 1;
}

static const RAND_METHOD detrand_method = {
    .seed = NULL,
    .bytes = detrand_bytes,
    .cleanup = NULL,
    .add = NULL,
    .pseudorand = detrand_bytes,
    .status = detrand_status,
};

int afz_detrand_install(void)
{
    if (detrand_on)
        return 0;
    afz_prng_seed(&detrand_state, 0);
    if (RAND_set_rand_method(&detrand_method) != 1)
        return -1;
    detrand_on = 1;
    return 0;
}

void afz_detrand_seed(uint64_t seed)
{
    afz_prng_seed(&detrand_state, seed ^ UINT64_C(0x61667a5f72646e64));
}

int afz_detrand_active(void)
{
    return detrand_on;
}
