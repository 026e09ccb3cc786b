/* acmefuzz.h - the public API of libacmefuzz, for clients and fuzz targets
 * built outside the tree (examples/, `pkg-config acmefuzz`):
 *
 *   afz_client.h     the client ABI: afz_client, afz_env, afz_obtain_params,
 *                    the entry point a client library defines
 *   afz_http.h       the request and response a client's transport carries
 *   afz_reference.h  the reference client, to wrap or configure
 *   afz_fuzz.h       the fuzz entry: one input against a client
 *   afz_rc.h         the return codes
 *
 * Only what these headers mark AFZ_API is defined in the installed
 * archive; the rest of the library is internal. */
#ifndef ACMEFUZZ_H
#define ACMEFUZZ_H

#include "afz_client.h"
#include "afz_fuzz.h"
#include "afz_http.h"
#include "afz_rc.h"
#include "afz_reference.h"

#endif
