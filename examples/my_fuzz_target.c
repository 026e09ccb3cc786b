/* my_fuzz_target.c - the fuzz target of the out-of-tree client in
 * my_client.c. Input bytes are a fault plan; the library runs the client
 * under it against the in-process CA, checks every property and aborts on
 * a violation. Link with libFuzzer (clang -fsanitize=fuzzer) or with the
 * standalone driver (pkg-config acmefuzz-standalone); examples/README.md. */
#include <stddef.h>
#include <stdint.h>

#include "afz_client.h"
#include "afz_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return afz_fuzz_one(afz_client_entry(), data, size);
}
