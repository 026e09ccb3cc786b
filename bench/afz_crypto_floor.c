/* afz_crypto_floor.c - the crypto-only floor of the throughput benchmark.
 *
 *   afz_crypto_floor STATS [--json FILE] [--label NAME] [--iterations N]
 *
 * STATS is what a wrapped fuzz target wrote (afz_bench_shim.c): how many
 * executions it measured, in how many seconds, and every public-key
 * operation the library made during them, per key type. This program
 * replays exactly those operations, with OpenSSL alone, the same key types,
 * the same digests, the same EVP call sequence and the same payload sizes,
 * spread evenly over as many iterations as the target executed, and times
 * them. Target exec/s divided by crypto-only iterations/s is the share of
 * the target's time a perfect harness (one that cost nothing but its
 * crypto) would leave; 1.0 means the harness adds nothing.
 *
 * Operations on keys of no type the harness makes ("other": a foreign CSR
 * key) and verifications that failed (which may have stopped before any
 * curve arithmetic) are reported and not replayed: the floor holds only
 * work whose cost is known, so it errs on the side of a lower ratio. --iterations N replays N
 * iterations' worth of the mix instead of all of them (a quicker, scaled replay).
 *
 * The deterministic OpenSSL RNG the fuzz targets use is installed here
 * too, so ECDSA nonces cost what they cost in the target.
 *
 * Both sides are timed on the process's CPU clock (what one core spends,
 * whatever else the machine runs); wall time is reported beside it. The
 * per-operation split is measured on the wall clock around each operation
 * (the CPU clock is a system call) and scaled to the CPU total. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "afz_buf.h"
#include "afz_ca.h"
#include "afz_cryptostat.h"
#include "afz_csr.h"
#include "afz_jose.h"
#include "afz_prng.h"

typedef struct floor_item {
    afz_cs_op op;
    afz_cs_key kt;
    uint64_t n;     /* operations in the target's run */
    uint64_t bytes; /* bytes signed or verified in it */
    uint64_t done;  /* operations replayed */
    double seconds; /* time spent in them */
} floor_item;

typedef struct floor_keys {
    EVP_PKEY *key[AFZ_CS_KEY__COUNT];
    X509_REQ *csr[AFZ_CS_KEY__COUNT];   /* a CSR signed by key[kt] */
    X509 *leaf;                         /* a typical issued leaf */
    OSSL_PARAM *pub[AFZ_CS_KEY__COUNT]; /* key[kt]'s public half, for imports */
} floor_keys;

typedef struct floor_payload {
    unsigned char *data;
    size_t len;
    unsigned char *sig; /* a valid signature over data (verify replay) */
    size_t sig_len;
} floor_payload;

static const afz_jws_alg alg_of_key[AFZ_CS_KEY__COUNT] = {
    [AFZ_CS_P256] = AFZ_ALG_ES256,    [AFZ_CS_P384] = AFZ_ALG_ES384, [AFZ_CS_RSA] = AFZ_ALG_RS256,
    [AFZ_CS_ED25519] = AFZ_ALG_EDDSA, [AFZ_CS_OTHER] = AFZ_ALG_NONE,
};

static const char *const type_of_key[AFZ_CS_KEY__COUNT] = {
    [AFZ_CS_P256] = "EC",         [AFZ_CS_P384] = "EC",  [AFZ_CS_RSA] = "RSA",
    [AFZ_CS_ED25519] = "ED25519", [AFZ_CS_OTHER] = NULL,
};

/* The digests afz_jose.c uses for JWS, and afz_csr.c / afz_ca.c for
 * X.509 (SHA-256; none for Ed25519, which hashes internally). */
static const EVP_MD *jws_digest(afz_cs_key kt)
{
    switch (kt) {
    case AFZ_CS_P384:
        return EVP_sha384();
    case AFZ_CS_P256:
    case AFZ_CS_RSA:
        return EVP_sha256();
    default:
        return NULL;
    }
}

static const EVP_MD *x509_digest(afz_cs_key kt)
{
    return kt == AFZ_CS_ED25519 ? NULL : EVP_sha256();
}

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static void die(const char *what)
{
    fprintf(stderr, "afz_crypto_floor: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(2);
}

/* sign_once is afz_jose.c's sign_raw without the JOSE re-encoding: one
 * EVP_DigestSign, size query included. Returns the DER/raw signature. */
static unsigned char *sign_once(EVP_PKEY *key, afz_cs_key kt, const unsigned char *tbs, size_t n,
                                size_t *sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    size_t len = 0;
    if (!md || EVP_DigestSignInit(md, NULL, jws_digest(kt), NULL, key) != 1 ||
        EVP_DigestSign(md, NULL, &len, tbs, n) != 1 || !(sig = OPENSSL_malloc(len ? len : 1)) ||
        EVP_DigestSign(md, sig, &len, tbs, n) != 1)
        die("signature failed");
    EVP_MD_CTX_free(md);
    *sig_len = len;
    return sig;
}

static void verify_once(EVP_PKEY *key, afz_cs_key kt, const floor_payload *p)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestVerifyInit(md, NULL, jws_digest(kt), NULL, key) != 1 ||
        EVP_DigestVerify(md, p->sig, p->sig_len, p->data, p->len) != 1)
        die("verification failed");
    EVP_MD_CTX_free(md);
}

static void import_once(const floor_keys *k, afz_cs_key kt)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type_of_key[kt], NULL);
    EVP_PKEY *out = NULL;
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &out, EVP_PKEY_PUBLIC_KEY, k->pub[kt]) != 1)
        die("key import failed");
    EVP_PKEY_free(out);
    EVP_PKEY_CTX_free(ctx);
}

static void keygen_once(afz_cs_key kt)
{
    EVP_PKEY *k = NULL;
    switch (kt) {
    case AFZ_CS_P256:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case AFZ_CS_P384:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        break;
    case AFZ_CS_RSA:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        break;
    case AFZ_CS_ED25519:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    default:
        break;
    }
    if (!k)
        die("key generation failed");
    EVP_PKEY_free(k);
}

static void do_op(floor_item *it, floor_keys *k, floor_payload *p)
{
    EVP_PKEY *key = k->key[it->kt];
    size_t len = 0;
    switch (it->op) {
    case AFZ_CS_KEYGEN:
        keygen_once(it->kt);
        break;
    case AFZ_CS_JWS_SIGN:
        OPENSSL_free(sign_once(key, it->kt, p->data, p->len, &len));
        break;
    case AFZ_CS_JWS_VERIFY:
        verify_once(key, it->kt, p);
        break;
    case AFZ_CS_CSR_SIGN:
        if (X509_REQ_sign(k->csr[it->kt], key, x509_digest(it->kt)) <= 0)
            die("CSR signature failed");
        break;
    case AFZ_CS_CSR_VERIFY:
        if (X509_REQ_verify(k->csr[it->kt], key) != 1)
            die("CSR verification failed");
        break;
    case AFZ_CS_CERT_SIGN:
        if (X509_sign(k->leaf, key, x509_digest(it->kt)) <= 0)
            die("certificate signature failed");
        break;
    case AFZ_CS_KEY_IMPORT:
        import_once(k, it->kt);
        break;
    default:
        break;
    }
}

/* prepare makes the keys and objects the replay needs: one key per type,
 * a CSR per type as afz_csr_build makes it, a leaf as afz_ca_issue makes
 * it, the public parameters for imports and, per item, a payload of the
 * target's mean size with a signature over it. */
static void prepare(floor_keys *k, floor_item *items, size_t n_items, floor_payload *pl)
{
    static const char *const names[] = {"example.com"};
    for (int kt = 0; kt < AFZ_CS_OTHER; kt++) {
        if (afz_key_generate(alg_of_key[kt], &k->key[kt]) != AFZ_OK)
            die("could not make the keys");
        afz_buf der;
        afz_buf_init(&der, 0);
        if (afz_csr_build(k->key[kt], names, 1, &der) != AFZ_OK)
            die("could not build a CSR");
        const unsigned char *p = (const unsigned char *)der.data;
        k->csr[kt] = d2i_X509_REQ(NULL, &p, (long)der.len);
        afz_buf_cleanup(&der);
        if (!k->csr[kt] || EVP_PKEY_todata(k->key[kt], EVP_PKEY_PUBLIC_KEY, &k->pub[kt]) != 1)
            die("could not prepare a CSR or a public key");
    }
    afz_ca *ca = afz_ca_new("acmefuzz", 1767225600);
    afz_buf pem;
    afz_buf_init(&pem, 0);
    if (!ca || afz_ca_issue(ca, k->key[AFZ_CS_P256], names, 1, 1, 1767225600, 90 * 86400, &pem,
                            NULL) != AFZ_OK)
        die("could not issue a leaf");
    BIO *bio = BIO_new_mem_buf(pem.data, (int)pem.len);
    k->leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    if (!k->leaf)
        die("could not read the leaf back");
    BIO_free(bio);
    afz_buf_cleanup(&pem);
    afz_ca_free(ca);

    for (size_t i = 0; i < n_items; i++) {
        floor_item *it = &items[i];
        size_t len = it->n ? (size_t)(it->bytes / it->n) : 0;
        pl[i].len = len;
        pl[i].data = malloc(len ? len : 1);
        if (!pl[i].data)
            die("out of memory");
        /* A JWS signing input is base64url text; its bytes do not change
         * the cost, only their number does. */
        for (size_t j = 0; j < len; j++)
            pl[i].data[j] = (unsigned char)"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"[j % 32];
        if (it->op == AFZ_CS_JWS_VERIFY)
            pl[i].sig = sign_once(k->key[it->kt], it->kt, pl[i].data, len, &pl[i].sig_len);
    }
}

static void usage(void)
{
    fprintf(stderr,
            "usage: afz_crypto_floor STATS [--json FILE] [--label NAME] [--iterations N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *stats = NULL, *json = NULL, *label = "target";
    uint64_t iterations = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
            json = argv[++i];
        else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc)
            label = argv[++i];
        else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
            iterations = strtoull(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && !stats)
            stats = argv[i];
        else
            usage();
    }
    if (!stats)
        usage();

    FILE *f = fopen(stats, "r");
    if (!f) {
        perror(stats);
        return 2;
    }
    uint64_t execs = 0;
    double target_s = 0, target_wall_s = 0;
    floor_item items[AFZ_CS_OP__COUNT * AFZ_CS_KEY__COUNT];
    size_t n_items = 0;
    uint64_t skipped = 0;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        char op[32], key[32];
        unsigned long long n = 0, bytes = 0;
        if (sscanf(line, "execs %llu", &n) == 1) {
            execs = n;
        } else if (sscanf(line, "seconds %lf", &target_s) == 1 ||
                   sscanf(line, "wall_seconds %lf", &target_wall_s) == 1) {
            /* read */
        } else if (sscanf(line, "op %31s %31s %llu %llu", op, key, &n, &bytes) == 4) {
            int o = afz_cryptostat_op_from_name(op), k = afz_cryptostat_key_from_name(key);
            if (o < 0 || k < 0) {
                fprintf(stderr, "afz_crypto_floor: %s: unknown operation '%s %s'\n", stats, op,
                        key);
                return 2;
            }
            if (k == AFZ_CS_OTHER || o == AFZ_CS_JWS_VERIFY_BAD || o == AFZ_CS_CSR_VERIFY_BAD) {
                skipped += n;
                continue;
            }
            items[n_items++] =
                (floor_item){.op = (afz_cs_op)o, .kt = (afz_cs_key)k, .n = n, .bytes = bytes};
        }
    }
    fclose(f);
    if (execs == 0 || target_s <= 0) {
        fprintf(stderr, "afz_crypto_floor: %s: no measured executions\n", stats);
        return 2;
    }
    if (iterations == 0)
        iterations = execs;

    if (afz_detrand_install() != 0)
        die("could not install the deterministic RNG");
    afz_detrand_seed(1);
    floor_keys keys = {0};
    floor_payload pl[AFZ_CS_OP__COUNT * AFZ_CS_KEY__COUNT] = {{0}};
    prepare(&keys, items, n_items, pl);

    /* Iteration i does, of each item, the operations that bring its count
     * to round(n * (i+1) / execs): the target's total, spread evenly. */
    double t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = now_s();
    for (uint64_t i = 0; i < iterations; i++) {
        uint64_t ii = i % execs;
        for (size_t j = 0; j < n_items; j++) {
            floor_item *it = &items[j];
            uint64_t k = it->n * (ii + 1) / execs - it->n * ii / execs;
            for (uint64_t r = 0; r < k; r++) {
                double a = now_s();
                do_op(it, &keys, &pl[j]);
                it->seconds += now_s() - a;
                it->done++;
            }
        }
    }
    double floor_s = clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0, floor_wall_s = now_s() - w0;

    double target_eps = (double)execs / target_s;
    double floor_eps = floor_s > 0 ? (double)iterations / floor_s : 0;
    if (n_items == 0) {
        /* Nothing to replay: the target makes no public-key operation, so
         * it has no crypto floor and no ratio. */
        printf("%s: target %.1f exec/s (%" PRIu64 " execs in %.2f s CPU, %.2f s wall); "
               "no public-key operations, no crypto floor\n",
               label, target_eps, execs, target_s, target_wall_s);
        if (json) {
            FILE *j = fopen(json, "w");
            if (!j ||
                fprintf(j,
                        "{\"target\":\"%s\",\"execs\":%" PRIu64 ",\"cpu_seconds\":%.6f,"
                        "\"wall_seconds\":%.6f,\"exec_per_s\":%.3f,"
                        "\"crypto_per_s\":null,\"ratio\":null,\"not_replayed\":%" PRIu64
                        ",\"ops\":[]}\n",
                        label, execs, target_s, target_wall_s, target_eps, skipped) < 0 ||
                fclose(j) != 0) {
                perror(json);
                return 2;
            }
        }
        return 0;
    }
    double crypto_s = 0;
    for (size_t j = 0; j < n_items; j++)
        crypto_s += items[j].seconds;
    /* CPU seconds per wall second of operation time */
    double scale = crypto_s > 0 ? floor_s / crypto_s : 0;
    printf("%s: target %.1f exec/s (%" PRIu64 " execs in %.2f s CPU, %.2f s wall); crypto only "
           "%.1f it/s (%" PRIu64 " its in %.2f s CPU, %.2f s wall); ratio %.3f\n",
           label, target_eps, execs, target_s, target_wall_s, floor_eps, iterations, floor_s,
           floor_wall_s, floor_eps > 0 ? target_eps / floor_eps : 0);
    printf("  %-11s %-8s %12s %10s %10s %7s\n", "op", "key", "ops", "per-exec", "us/op", "share");
    for (size_t j = 0; j < n_items; j++) {
        floor_item *it = &items[j];
        printf("  %-11s %-8s %12" PRIu64 " %10.2f %10.1f %6.1f%%\n", afz_cryptostat_op_name(it->op),
               afz_cryptostat_key_name(it->kt), it->n, (double)it->n / (double)execs,
               it->done ? scale * it->seconds / (double)it->done * 1e6 : 0,
               crypto_s > 0 ? 100 * it->seconds / crypto_s : 0);
    }
    if (skipped)
        printf("  (%" PRIu64 " failed verifications or operations on other key types not "
               "replayed)\n",
               skipped);

    if (json) {
        FILE *j = fopen(json, "w");
        if (!j) {
            perror(json);
            return 2;
        }
        fprintf(j,
                "{\"target\":\"%s\",\"execs\":%" PRIu64 ",\"cpu_seconds\":%.6f,"
                "\"wall_seconds\":%.6f,\"exec_per_s\":%.3f,\"crypto_iterations\":%" PRIu64 ","
                "\"crypto_cpu_seconds\":%.6f,\"crypto_wall_seconds\":%.6f,"
                "\"crypto_per_s\":%.3f,\"ratio\":%.4f,\"not_replayed\":%" PRIu64 ",\"ops\":[",
                label, execs, target_s, target_wall_s, target_eps, iterations, floor_s,
                floor_wall_s, floor_eps, floor_eps > 0 ? target_eps / floor_eps : 0, skipped);
        for (size_t k = 0; k < n_items; k++) {
            floor_item *it = &items[k];
            fprintf(j,
                    "%s{\"op\":\"%s\",\"key\":\"%s\",\"n\":%" PRIu64 ",\"per_exec\":%.4f,"
                    "\"mean_bytes\":%.1f,\"us_per_op\":%.2f,\"share\":%.4f}",
                    k ? "," : "", afz_cryptostat_op_name(it->op), afz_cryptostat_key_name(it->kt),
                    it->n, (double)it->n / (double)execs,
                    it->n ? (double)it->bytes / (double)it->n : 0,
                    it->done ? scale * it->seconds / (double)it->done * 1e6 : 0,
                    crypto_s > 0 ? it->seconds / crypto_s : 0);
        }
        fprintf(j, "]}\n");
        if (fclose(j) != 0) {
            perror(json);
            return 2;
        }
    }

    for (size_t i = 0; i < n_items; i++) {
        free(pl[i].data);
        OPENSSL_free(pl[i].sig);
    }
    for (int kt = 0; kt < AFZ_CS_KEY__COUNT; kt++) {
        EVP_PKEY_free(keys.key[kt]);
        X509_REQ_free(keys.csr[kt]);
        OSSL_PARAM_free(keys.pub[kt]);
    }
    X509_free(keys.leaf);
    return 0;
}
