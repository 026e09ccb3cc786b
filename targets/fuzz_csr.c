/* fuzz_csr.c - afz_csr_parse and afz_csr_check on arbitrary DER (byte 0
 * even), or on afz_csr_build output (byte 0 odd: bits 1-3 the key, bits
 * 5-7 and bytes 1-2 a bit to flip afterwards, then NUL-separated names).
 * A parsed CSR holds valid, lower-case, sorted, unique names and matches
 * them; a built CSR parses back to its names exactly when all are valid. */
#include <stdlib.h>
#include <string.h>

#include "afz_csr.h"
#include "afz_fuzz_request.h"
#include "afz_prng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses |der|, aborts unless the result keeps afz_csr.h's promises, and
 * says whether it parsed. */
static int parses(const afz_buf *der, afz_csr *c)
{
    afz_csr_verdict v;
    int ok = afz_csr_parse((const uint8_t *)der->data, der->len, c, &v) == AFZ_OK;
    if (ok != (v == AFZ_CSR_OK) || ok != (c->pubkey != NULL) || ok != (c->n_names > 0))
        abort();
    for (size_t i = 0; i < c->n_names; i++)
        if (!afz_csr_name_valid(c->names[i], strlen(c->names[i])) ||
            strpbrk(c->names[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") ||
            (i > 0 && strcmp(c->names[i - 1], c->names[i]) >= 0))
            abort();
    const char *const *own = (const char *const *)c->names;
    if (ok && afz_csr_check(c, own, c->n_names, c->pubkey) != AFZ_CSR_ACCOUNT_KEY)
        abort();
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    afz_csr csr;
    afz_buf der;
    afz_buf_init(&der, 0);
    if (size < 3 || !(data[0] & 1)) {
        if (size > 0 && afz_buf_append(&der, data + 1, size - 1) == AFZ_OK) {
            parses(&der, &csr);
            afz_csr_cleanup(&csr);
        }
        afz_buf_cleanup(&der);
        return 0;
    }
    const afz_world *w = afz_fuzz_request_world();
    char *text = calloc(1, size - 2); /* the names, NUL-terminated */
    const char *names[4];
    size_t n = 0;
    int valid = 1;
    if (text)
        memcpy(text, data + 3, size - 3);
    for (char *p = text; p && n < 4 && p < text + size - 2; p += strlen(p) + 1) {
        names[n++] = p;
        valid &= afz_csr_name_valid(p, strlen(p));
    }
    unsigned k = (data[0] >> 1) & 7;
    afz_detrand_seed(size);
    if (afz_csr_build(k < 4 ? afz_world_account_key(w, (afz_jws_alg)(k + 1)) : w->cert_key, names,
                      n, &der) == AFZ_OK) {
        if (parses(&der, &csr) != valid ||
            (valid && afz_csr_check(&csr, names, n, NULL) != AFZ_CSR_OK))
            abort();
        afz_csr_cleanup(&csr);
        der.data[((size_t)data[1] << 8 | data[2]) % der.len] ^= (char)(1 << (data[0] >> 5));
        parses(&der, &csr);
        afz_csr_cleanup(&csr);
    } else if (valid) {
        abort();
    }
    free(text);
    afz_buf_cleanup(&der);
    return 0;
}
