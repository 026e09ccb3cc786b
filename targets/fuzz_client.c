/* fuzz_client.c - the fuzz target of one built-in client, compiled once
 * per client with -DAFZ_FUZZ_CLIENT="name". Input bytes are a fault plan
 * (afz_plan.h); the library runs the client under it and aborts on a
 * property violation. */
#include <stddef.h>
#include <stdint.h>

#include "afz_fuzz.h"

#ifndef AFZ_FUZZ_CLIENT
#error "build with -DAFZ_FUZZ_CLIENT=\"client-name\""
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return afz_fuzz_client_one(AFZ_FUZZ_CLIENT, data, size);
}
