/* afz_client.h - the client ABI: what an ACME client must look like for
 * acmefuzz to run it, in-process, under libFuzzer, or loaded with dlopen.
 *
 * A client is a const table (afz_client) with a name and an obtain
 * function. obtain receives an environment (afz_env) through which it does
 * ALL its I/O: HTTP requests, sleeping, reading the time, randomness and
 * logging. A client never touches sockets, clocks or global state
 * directly; that is what lets the same client run against the in-process
 * server model on a virtual clock and against a real CA over libcurl.
 *
 * Versioning: both structs start with abi_version and struct_size. The
 * harness refuses a client whose abi_version differs from
 * AFZ_CLIENT_ABI_VERSION, and reads only struct_size bytes of it. Within
 * one ABI version the client table only grows at its end: fields past a
 * client's struct_size read as 0 (a table built with an older header,
 * struct_size >= AFZ_CLIENT_MIN_SIZE, still loads and gets the defaults
 * each new field documents for 0). */
#ifndef AFZ_CLIENT_H
#define AFZ_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "afz_http.h"
#include "afz_rc.h"

#define AFZ_CLIENT_ABI_VERSION 1u

typedef struct afz_env {
    uint32_t abi_version; /* AFZ_CLIENT_ABI_VERSION */
    uint32_t struct_size; /* sizeof(afz_env) */
    void *ctx;            /* passed back to every callback */
    /* http sends |req| and waits for the answer. It initialises |resp|.
     * AFZ_OK: |resp| holds a response of any status; the client frees it
     * with afz_response_cleanup. AFZ_ETRANSPORT: no response arrived
     * (connection dropped, timeout); |resp| is empty. AFZ_EBUDGET: the run's
     * request or time budget is spent; the client must give up now. */
    afz_rc (*http)(void *ctx, const afz_request *req, afz_response *resp);
    /* sleep waits |ms| milliseconds (virtual time in-process). AFZ_EBUDGET
     * when the run's time budget is spent: give up. */
    afz_rc (*sleep)(void *ctx, int64_t ms);
    /* now returns the wall clock in Unix milliseconds (virtual in-process). */
    int64_t (*now)(void *ctx);
    /* random returns 64 random bits (deterministic in-process). */
    uint64_t (*random)(void *ctx);
    /* log records one line of client diagnostics (may be a no-op). */
    void (*log)(void *ctx, const char *line);
    /* state_get / state_put: a small key-value store that outlives one
     * obtain call, as a client's state directory does. The harness keeps it
     * across the attempts of a campaign (a scheduler retrying a failed
     * renewal), so a client can resume an order instead of ordering again.
     * state_get returns the value (borrowed until the next state_put of that
     * key) or NULL. state_put copies |value|; NULL deletes the key. Keys and
     * values are NUL-terminated text, at most 64 keys of 4 KiB each
     * (AFZ_ELIMIT beyond). Either may be NULL in environments without state. */
    const char *(*state_get)(void *ctx, const char *key);
    afz_rc (*state_put)(void *ctx, const char *key, const char *value);
} afz_env;

typedef struct afz_obtain_params {
    uint32_t struct_size;           /* sizeof(afz_obtain_params) */
    const char *directory_url;      /* the ACME directory */
    const char *const *identifiers; /* DNS names for the certificate */
    size_t n_identifiers;
    EVP_PKEY *account_key;     /* borrowed: signs JWS */
    EVP_PKEY *cert_key;        /* borrowed: the certificate's key pair */
    const char *contact;       /* e.g. "mailto:admin@example.com", or NULL */
    const char *challenge_dir; /* where http-01 key authorizations are
                                  written as files (real network); NULL
                                  in-process, where validation needs none */
} afz_obtain_params;

typedef struct afz_obtain_result {
    /* On success: the PEM chain as downloaded, malloc'd by the client; the
     * caller frees it with free(). NULL on failure. */
    char *cert_pem;
    size_t cert_pem_len;
    /* On failure: a one-line reason, NUL-terminated. */
    char reason[256];
} afz_obtain_result;

typedef struct afz_client afz_client;

struct afz_client {
    uint32_t abi_version;          /* AFZ_CLIENT_ABI_VERSION */
    uint32_t struct_size;          /* sizeof(afz_client) */
    const char *name;              /* short unique name, e.g. "reference" */
    const char *description;       /* one line */
    const char *expected_property; /* property id a zoo client breaks; NULL if none */
    const void *config;            /* client-specific, read by obtain */
    /* obtain runs one issuance for p->identifiers. AFZ_OK: out->cert_pem
     * holds the chain. Any error: out->reason says why. obtain must not
     * keep pointers to |env| or |p| after it returns. */
    afz_rc (*obtain)(const afz_client *self, const afz_env *env, const afz_obtain_params *p,
                     afz_obtain_result *out);

    /* Capabilities: what the client says it does, so that no plan fails a
     * correct client for something it declared it does not do. Appended
     * to ABI version 1; a client whose struct_size ends before them
     * declares nothing (every field reads as 0). The harness reads them
     * through afz_client_caps_get (afz_client_lib.h), which honours
     * struct_size. */

    /* account_algs: the account key types the client can sign its JWS
     * with, as AFZ_CLIENT_ALG_* bits. 0: not declared, taken as all four.
     * When a plan asks for an algorithm outside the set, the run hands the
     * client the key of the first declared one instead, in the order
     * ES256, ES384, RS256, EdDSA (the plan itself is unchanged). */
    uint32_t account_algs;
    /* flags: AFZ_CLIENT_* bits below; 0 declares nothing. */
    uint32_t flags;
};

/* AFZ_CLIENT_MIN_SIZE is sizeof(afz_client) as ABI version 1 first defined
 * it (up to obtain): the smallest struct_size the harness accepts. */
#define AFZ_CLIENT_MIN_SIZE offsetof(afz_client, account_algs)

/* Bits of afz_client.account_algs: bit n is the afz_jws_alg of value n
 * (afz_jose.h), so AFZ_CLIENT_ALG_ES256 is 1u << AFZ_ALG_ES256. */
#define AFZ_CLIENT_ALG_ES256 (1u << 1) /* ECDSA P-256 */
#define AFZ_CLIENT_ALG_ES384 (1u << 2) /* ECDSA P-384 */
#define AFZ_CLIENT_ALG_RS256 (1u << 3) /* RSA */
#define AFZ_CLIENT_ALG_EDDSA (1u << 4) /* Ed25519 */
#define AFZ_CLIENT_ALGS_ALL                                                                        \
    (AFZ_CLIENT_ALG_ES256 | AFZ_CLIENT_ALG_ES384 | AFZ_CLIENT_ALG_RS256 | AFZ_CLIENT_ALG_EDDSA)

/* Bits of afz_client.flags. A client declares at most one of the two;
 * declaring neither says nothing either way. Unknown bits are ignored.
 *
 * AFZ_CLIENT_STATEFUL: the client keeps state across the attempts of a
 * campaign through env->state_get/state_put (as a state directory does),
 * so a retried issuance resumes the order it left instead of ordering
 * again.
 *
 * AFZ_CLIENT_STATELESS: the client keeps nothing between obtain calls;
 * every attempt starts from scratch. Campaigns still run (a scheduler
 * still retries it); the run reports the declaration to the properties
 * (afz_run_result.client_stateless). */
#define AFZ_CLIENT_STATEFUL 0x1u
#define AFZ_CLIENT_STATELESS 0x2u

/* The spec-faithful reference client (clients/reference). */
AFZ_API extern const afz_client afz_client_reference;

/* afz_client_entry is what a client built as a shared object defines (it
 * is not in libacmefuzz): `acmefuzz run --client-lib PATH.so` dlopens the
 * object, looks this symbol up and runs the client it returns. The table
 * must stay valid while the object is loaded; the harness checks its
 * abi_version and struct_size and refuses a mismatch (afz_client_lib.h).
 * An out-of-tree fuzz target may call it too (examples/). */
AFZ_API const afz_client *afz_client_entry(void);

#endif
