/* fuzz_server.c - arbitrary client requests to the ACME server model: the
 * input is a request sequence (afz_fuzz_request.h: every byte string is
 * one), served to a fresh server; every answer must be a well-formed HTTP
 * answer (status, problem document, Replay-Nonce on POST, Link index). */
#include <stdio.h>
#include <stdlib.h>

#include "afz_fuzz_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static afz_fuzz_requests seq; /* 64 records: too big for the stack of a fuzzer thread */
    static afz_history hist;      /* its arrays are reused from input to input */
    afz_fuzz_request_decode(data, size, &seq);
    afz_buf why;
    afz_buf_init(&why, 0);
    afz_rc rc = afz_fuzz_request_run(afz_fuzz_request_world(), &seq, &hist, &why);
    if (rc != AFZ_OK) {
        fprintf(stderr, "==acmefuzz== fuzz_server: %s: %s\n", afz_rc_str(rc), afz_buf_cstr(&why));
        abort();
    }
    afz_history_reset(&hist);
    afz_buf_cleanup(&why);
    return 0;
}
