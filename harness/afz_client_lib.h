/* afz_client_lib.h - clients built as shared objects, loaded with dlopen
 * (`acmefuzz run --client-lib PATH.so`).
 *
 * A client library defines one function, with default visibility:
 *
 *     const afz_client *afz_client_entry(void);
 *
 * (declared in afz_client.h) returning a client table that lives as long
 * as the library stays loaded. The library is self-contained: it links
 * libacmefuzz.a itself when it reuses library code such as
 * afz_reference_obtain (the archive is position-independent for this), and
 * OpenSSL dynamically, so the EVP_PKEYs the harness passes in belong to
 * the same libcrypto. See examples/README.md for the one-line build.
 *
 * The loader checks the table before anything calls it: abi_version must
 * equal AFZ_CLIENT_ABI_VERSION, struct_size must reach at least
 * AFZ_CLIENT_MIN_SIZE (the first version-1 layout; fields past struct_size
 * read as 0), name and obtain must be set and the declared capabilities
 * must not contradict themselves. */
#ifndef AFZ_CLIENT_LIB_H
#define AFZ_CLIENT_LIB_H

#include <stddef.h>
#include <stdint.h>

#include "afz_buf.h"
#include "afz_client.h"
#include "afz_jose.h"
#include "afz_rc.h"

/* AFZ_CLIENT_ENTRY_SYMBOL is the symbol the loader looks up. */
#define AFZ_CLIENT_ENTRY_SYMBOL "afz_client_entry"

typedef struct afz_client_lib afz_client_lib;

/* afz_client_validate checks that |c| can be run by this acmefuzz: not
 * NULL, abi_version == AFZ_CLIENT_ABI_VERSION, struct_size >=
 * AFZ_CLIENT_MIN_SIZE, a non-empty name, an obtain function, and
 * capabilities afz_client_caps_get accepts. It reads abi_version and
 * struct_size first and nothing past struct_size. Returns AFZ_OK, or
 * AFZ_EINVAL with a one-line reason in |err| (|errlen| bytes, always
 * NUL-terminated when errlen > 0; both versions are named on an ABI
 * mismatch). */
afz_rc afz_client_validate(const afz_client *c, char *err, size_t errlen);

/* What a client declared (afz_client.account_algs and .flags), with the
 * defaults for what it left out. */
typedef struct afz_client_caps {
    uint32_t account_algs; /* AFZ_CLIENT_ALG_* bits, never 0: AFZ_CLIENT_ALGS_ALL when
                              undeclared; bits this acmefuzz does not know are dropped */
    int stateful;          /* declared AFZ_CLIENT_STATEFUL */
    int stateless;         /* declared AFZ_CLIENT_STATELESS */
} afz_client_caps;

/* afz_client_caps_get reads the capabilities of |c| (abi_version and
 * struct_size already checked, e.g. by afz_client_validate), reading no
 * byte past c->struct_size: a field the client's struct does not reach
 * counts as 0, that is, not declared. Returns AFZ_OK, or AFZ_EINVAL (|out|
 * then holds the defaults) when the declaration contradicts itself: both
 * AFZ_CLIENT_STATEFUL and AFZ_CLIENT_STATELESS, or account_algs set but
 * naming none of the four algorithms this acmefuzz has. */
afz_rc afz_client_caps_get(const afz_client *c, afz_client_caps *out);

/* afz_client_caps_pick_alg maps the algorithm a plan or an option asks for
 * onto what the client declared: |want| itself when declared, otherwise
 * the first declared one in the order ES256, ES384, RS256, EdDSA. Pure and
 * deterministic, so a plan still fixes its run. */
afz_jws_alg afz_client_caps_pick_alg(const afz_client_caps *caps, afz_jws_alg want);

/* afz_client_algs_parse reads a comma-separated list of JWS algorithm
 * names as JWS spells them ("ES256,EdDSA"; case-sensitive, RFC 7515
 * 4.1.1), or "all", into AFZ_CLIENT_ALG_* bits. Returns AFZ_OK, or
 * AFZ_EINVAL for an empty list, an empty item or an unknown name (*out
 * is 0 then). */
afz_rc afz_client_algs_parse(const char *list, uint32_t *out);

/* afz_client_algs_format appends the names of the AFZ_CLIENT_ALG_* bits of
 * |algs| to |out|, comma-separated in the order ES256, ES384, RS256,
 * EdDSA ("all" for 0, the undeclared set). */
afz_rc afz_client_algs_format(uint32_t algs, afz_buf *out);

/* afz_client_lib_open loads the shared object |path| (a name without '/'
 * is taken relative to the current directory, not searched for) with
 * dlopen(RTLD_NOW | RTLD_LOCAL), calls its afz_client_entry and validates
 * the table. On AFZ_OK *out owns the loaded library. On failure *out is
 * NULL, nothing stays loaded and |err| holds a one-line message naming
 * |path|. Returns AFZ_EIO (no such file, or not a loadable shared object:
 * dlerror's text is included), AFZ_ENOTFOUND (no afz_client_entry
 * symbol), AFZ_EINVAL (afz_client_validate refused the table, or a
 * NULL/empty path), AFZ_ENOMEM. */
afz_rc afz_client_lib_open(const char *path, afz_client_lib **out, char *err, size_t errlen);

/* afz_client_lib_client returns the loaded client; borrowed, valid until
 * afz_client_lib_close(|lib|). */
const afz_client *afz_client_lib_client(const afz_client_lib *lib);

/* afz_client_lib_close unloads the library (dlclose) and frees |lib|;
 * NULL is fine. No pointer obtained from the library may be used after. */
void afz_client_lib_close(afz_client_lib *lib);

#endif
