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
 * AFZ_CLIENT_ABI_VERSION, and reads only struct_size bytes of it. */
#ifndef AFZ_CLIENT_H
#define AFZ_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "afz_http.h"
#include "afz_rc.h"

#define AFZ_CLIENT_ABI_VERSION 1u

typedef struct afz_env {
    uint32_t abi_version;  /* AFZ_CLIENT_ABI_VERSION */
    uint32_t struct_size;  /* sizeof(afz_env) */
    void *ctx;             /* passed back to every callback */
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
    uint32_t struct_size;              /* sizeof(afz_obtain_params) */
    const char *directory_url;         /* the ACME directory */
    const char *const *identifiers;    /* DNS names for the certificate */
    size_t n_identifiers;
    EVP_PKEY *account_key;             /* borrowed: signs JWS */
    EVP_PKEY *cert_key;                /* borrowed: the certificate's key pair */
    const char *contact;               /* e.g. "mailto:admin@example.com", or NULL */
    const char *challenge_dir;         /* where http-01 key authorizations are
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
    uint32_t abi_version;           /* AFZ_CLIENT_ABI_VERSION */
    uint32_t struct_size;           /* sizeof(afz_client) */
    const char *name;               /* short unique name, e.g. "reference" */
    const char *description;        /* one line */
    const char *expected_property;  /* property id a zoo client breaks; NULL if none */
    const void *config;             /* client-specific, read by obtain */
    /* obtain runs one issuance for p->identifiers. AFZ_OK: out->cert_pem
     * holds the chain. Any error: out->reason says why. obtain must not
     * keep pointers to |env| or |p| after it returns. */
    afz_rc (*obtain)(const afz_client *self, const afz_env *env, const afz_obtain_params *p,
                     afz_obtain_result *out);
};

/* The spec-faithful reference client (clients/reference). */
extern const afz_client afz_client_reference;

/* afz_client_entry is what a client built as a shared object defines (it
 * is not in libacmefuzz): `acmefuzz run --client-lib PATH.so` dlopens the
 * object, looks this symbol up and runs the client it returns. The table
 * must stay valid while the object is loaded; the harness checks its
 * abi_version and struct_size and refuses a mismatch (afz_client_lib.h).
 * An out-of-tree fuzz target may call it too (examples/). */
const afz_client *afz_client_entry(void);

#endif
