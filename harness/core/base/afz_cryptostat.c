/* afz_cryptostat.c - see afz_cryptostat.h. */
#include "afz_cryptostat.h"

#include <stdatomic.h>
#include <string.h>

/* Relaxed atomics: the counters order nothing, they only add up. */
static _Atomic uint64_t cs_n[AFZ_CS_OP__COUNT][AFZ_CS_KEY__COUNT];
static _Atomic uint64_t cs_bytes[AFZ_CS_OP__COUNT][AFZ_CS_KEY__COUNT];
static _Atomic uint64_t cs_setup_n[AFZ_CS_OP__COUNT][AFZ_CS_KEY__COUNT];
static _Atomic uint64_t cs_setup_total;
static _Atomic int cs_setup_depth;

static const char *const op_names[AFZ_CS_OP__COUNT] = {
    [AFZ_CS_KEYGEN] = "keygen",
    [AFZ_CS_JWS_SIGN] = "jws_sign",
    [AFZ_CS_JWS_VERIFY] = "jws_verify",
    [AFZ_CS_CSR_SIGN] = "csr_sign",
    [AFZ_CS_CSR_VERIFY] = "csr_verify",
    [AFZ_CS_CERT_SIGN] = "cert_sign",
    [AFZ_CS_KEY_IMPORT] = "key_import",
    [AFZ_CS_JWS_VERIFY_BAD] = "jws_verify_bad",
    [AFZ_CS_CSR_VERIFY_BAD] = "csr_verify_bad",
};

static const char *const key_names[AFZ_CS_KEY__COUNT] = {
    [AFZ_CS_P256] = "p256",       [AFZ_CS_P384] = "p384",   [AFZ_CS_RSA] = "rsa",
    [AFZ_CS_ED25519] = "ed25519", [AFZ_CS_OTHER] = "other",
};

afz_cs_key afz_cryptostat_key_of(const EVP_PKEY *key)
{
    if (!key)
        return AFZ_CS_OTHER;
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC:
        switch (EVP_PKEY_get_bits(key)) {
        case 256:
            return AFZ_CS_P256;
        case 384:
            return AFZ_CS_P384;
        default:
            return AFZ_CS_OTHER;
        }
    case EVP_PKEY_RSA:
        return AFZ_CS_RSA;
    case EVP_PKEY_ED25519:
        return AFZ_CS_ED25519;
    default:
        return AFZ_CS_OTHER;
    }
}

void afz_cryptostat_count(afz_cs_op op, afz_cs_key kt, size_t bytes)
{
    if ((unsigned)op >= AFZ_CS_OP__COUNT || (unsigned)kt >= AFZ_CS_KEY__COUNT)
        return;
    if (atomic_load_explicit(&cs_setup_depth, memory_order_relaxed) > 0) {
        atomic_fetch_add_explicit(&cs_setup_n[op][kt], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&cs_setup_total, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&cs_n[op][kt], 1, memory_order_relaxed);
    if (bytes)
        atomic_fetch_add_explicit(&cs_bytes[op][kt], (uint64_t)bytes, memory_order_relaxed);
}

void afz_cryptostat_count_key(afz_cs_op op, const EVP_PKEY *key, size_t bytes)
{
    afz_cryptostat_count(op, afz_cryptostat_key_of(key), bytes);
}

void afz_cryptostat_setup_begin(void)
{
    atomic_fetch_add_explicit(&cs_setup_depth, 1, memory_order_relaxed);
}

void afz_cryptostat_setup_end(void)
{
    atomic_fetch_sub_explicit(&cs_setup_depth, 1, memory_order_relaxed);
}

uint64_t afz_cryptostat_setup_total(void)
{
    return atomic_load_explicit(&cs_setup_total, memory_order_relaxed);
}

void afz_cryptostat_snapshot(afz_cryptostat *out)
{
    for (int o = 0; o < AFZ_CS_OP__COUNT; o++)
        for (int k = 0; k < AFZ_CS_KEY__COUNT; k++) {
            out->n[o][k] = atomic_load_explicit(&cs_n[o][k], memory_order_relaxed);
            out->bytes[o][k] = atomic_load_explicit(&cs_bytes[o][k], memory_order_relaxed);
            out->setup_n[o][k] = atomic_load_explicit(&cs_setup_n[o][k], memory_order_relaxed);
        }
}

void afz_cryptostat_sub(const afz_cryptostat *later, const afz_cryptostat *earlier,
                        afz_cryptostat *out)
{
    for (int o = 0; o < AFZ_CS_OP__COUNT; o++)
        for (int k = 0; k < AFZ_CS_KEY__COUNT; k++) {
            out->n[o][k] = later->n[o][k] - earlier->n[o][k];
            out->bytes[o][k] = later->bytes[o][k] - earlier->bytes[o][k];
            out->setup_n[o][k] = later->setup_n[o][k] - earlier->setup_n[o][k];
        }
}

const char *afz_cryptostat_op_name(afz_cs_op op)
{
    return (unsigned)op < AFZ_CS_OP__COUNT ? op_names[op] : NULL;
}

const char *afz_cryptostat_key_name(afz_cs_key kt)
{
    return (unsigned)kt < AFZ_CS_KEY__COUNT ? key_names[kt] : NULL;
}

int afz_cryptostat_op_from_name(const char *name)
{
    for (int o = 0; name && o < AFZ_CS_OP__COUNT; o++)
        if (strcmp(name, op_names[o]) == 0)
            return o;
    return -1;
}

int afz_cryptostat_key_from_name(const char *name)
{
    for (int k = 0; name && k < AFZ_CS_KEY__COUNT; k++)
        if (strcmp(name, key_names[k]) == 0)
            return k;
    return -1;
}
