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

#include "afz_client.h"
#include "afz_client_abi.h"
#include "afz_rc.h"

typedef struct afz_client_lib afz_client_lib;

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
