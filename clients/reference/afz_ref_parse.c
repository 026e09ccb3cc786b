/* afz_ref_parse.c - the reference client's pure checks: nonce, URL and
 * token syntax, status names, problem documents and certificate chains.
 * See afz_ref_internal.h. */
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "afz_json.h"
#include "afz_ref_internal.h"

static int is_b64url(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static int b64url_run(const char *s, size_t max)
{
    if (!s || !*s)
        return 0;
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= max || !is_b64url((unsigned char)s[n]))
            return 0;
    return 1;
}

int afz_ref_nonce_ok(const char *s)
{
    /* RFC 8555 6.5.1: Replay-Nonce = 1*base64url; "clients MUST ignore
     * invalid Replay-Nonce values". */
    return b64url_run(s, AFZ_REF_NONCE_MAX);
}

int afz_ref_token_ok(const char *s)
{
    /* RFC 8555 8.3: the token contains only base64url characters, which
     * also makes it a safe file name (no '/', no "..", no NUL). */
    return b64url_run(s, 256);
}

static int prefix_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++) {
        char a = *s, b = *prefix;
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

int afz_ref_url_ok(const char *s)
{
    if (!s)
        return 0;
    size_t skip;
    if (prefix_ci(s, "https://"))
        skip = 8;
    else if (prefix_ci(s, "http://"))
        skip = 7;
    else
        return 0;
    size_t n = strlen(s);
    if (n > AFZ_REF_URL_MAX || n == skip)
        return 0;
    char h = s[skip];
    if (h == '/' || h == '?' || h == '#')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f)
            return 0;
    }
    return 1;
}

void afz_ref_sanitize(const char *s, size_t n, char *out, size_t cap)
{
    if (cap == 0)
        return;
    size_t o = 0;
    size_t i = 0;
    for (; s && i < n && s[i]; i++) {
        if (o + 1 >= cap)
            break;
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    out[o] = '\0';
    if (s && i < n && s[i] && cap > 4) {
        /* truncated: mark it */
        size_t at = o > cap - 4 ? cap - 4 : o;
        memcpy(out + at, "...", 4);
    }
}

static const struct {
    const char *name;
    afz_ref_status st;
    unsigned kinds; /* bit per afz_ref_obj */
} status_table[] = {
    {"pending", AFZ_REF_ST_PENDING, 7u},
    {"ready", AFZ_REF_ST_READY, 1u << AFZ_REF_OBJ_ORDER},
    {"processing", AFZ_REF_ST_PROCESSING,
     (1u << AFZ_REF_OBJ_ORDER) | (1u << AFZ_REF_OBJ_CHALLENGE)},
    {"valid", AFZ_REF_ST_VALID, 7u},
    {"invalid", AFZ_REF_ST_INVALID, 7u},
    {"deactivated", AFZ_REF_ST_DEACTIVATED, 1u << AFZ_REF_OBJ_AUTHZ},
    {"expired", AFZ_REF_ST_EXPIRED, 1u << AFZ_REF_OBJ_AUTHZ},
    {"revoked", AFZ_REF_ST_REVOKED, 1u << AFZ_REF_OBJ_AUTHZ},
};

afz_ref_status afz_ref_status_parse(const char *s, afz_ref_obj kind)
{
    if (!s)
        return AFZ_REF_ST_UNKNOWN;
    for (size_t i = 0; i < sizeof(status_table) / sizeof(status_table[0]); i++)
        if (strcmp(s, status_table[i].name) == 0)
            return (status_table[i].kinds & (1u << kind)) ? status_table[i].st : AFZ_REF_ST_UNKNOWN;
    return AFZ_REF_ST_UNKNOWN;
}

const char *afz_ref_status_name(afz_ref_status st)
{
    for (size_t i = 0; i < sizeof(status_table) / sizeof(status_table[0]); i++)
        if (status_table[i].st == st)
            return status_table[i].name;
    return "unknown";
}

void afz_ref_problem_read(const afz_response *resp, afz_ref_problem *out)
{
    out->type[0] = '\0';
    out->detail[0] = '\0';
    cJSON *j = NULL;
    if (!resp->body || afz_json_parse_object(resp->body, resp->body_len, &j) != AFZ_OK)
        return;
    const char *type = afz_json_str(j, "type");
    const char *detail = afz_json_str(j, "detail");
    if (type) {
        size_t plen = strlen(AFZ_REF_ACME_ERR_PREFIX);
        if (strncmp(type, AFZ_REF_ACME_ERR_PREFIX, plen) == 0)
            type += plen;
        afz_ref_sanitize(type, strlen(type), out->type, sizeof(out->type));
    }
    if (detail)
        afz_ref_sanitize(detail, strlen(detail), out->detail, sizeof(out->detail));
    cJSON_Delete(j);
}

int afz_ref_problem_is(const afz_ref_problem *p, const char *short_name)
{
    return strcmp(p->type, short_name) == 0;
}

/* find returns the offset of |needle| in body[from, n), or n. */
static size_t find(const char *body, size_t n, size_t from, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = from; i + k <= n; i++)
        if (body[i] == needle[0] && memcmp(body + i, needle, k) == 0)
            return i;
    return n;
}

/* line_end returns the offset just past the end of the line at |i|
 * (past "\n", or n). */
static size_t line_end(const char *body, size_t n, size_t i)
{
    while (i < n && body[i] != '\n')
        i++;
    return i < n ? i + 1 : n;
}

/* rest_is_eol: 1 when body[i, n) starts with optional whitespace then the
 * end of the line or of the body. */
static int rest_is_eol(const char *body, size_t n, size_t i)
{
    while (i < n && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r'))
        i++;
    return i == n || body[i] == '\n';
}

#define PEM_DASHES "-----"
#define PEM_BEGIN "-----BEGIN "
#define PEM_END_CERT "-----END CERTIFICATE-----"
#define PEM_MAX_BLOCKS 32

/* Every block is parsed by OpenSSL, and with OpenSSL 3.0 each parse sets
 * up a decoder for the certificate's public key (~0.3 ms, the largest cost
 * of a fuzz run beside the signatures). In-process every run downloads the
 * same intermediate (the world's CA), so the last block after the leaf
 * that parsed is remembered, per thread and bounded, and the very same
 * bytes are not parsed again: whether given bytes parse never changes,
 * so the check answers as it did. The leaf is always parsed: its key is
 * compared. */
#define PEM_MEMO_MAX 4096
static _Thread_local struct {
    size_t len; /* 0: empty */
    char bytes[PEM_MEMO_MAX];
} pem_parsed;

static int pem_memo_has(const char *p, size_t n)
{
    return n > 0 && n == pem_parsed.len && memcmp(pem_parsed.bytes, p, n) == 0;
}

static void pem_memo_put(const char *p, size_t n)
{
    if (n == 0 || n > PEM_MEMO_MAX)
        return;
    pem_parsed.len = 0;
    memcpy(pem_parsed.bytes, p, n);
    pem_parsed.len = n;
}

afz_rc afz_ref_pem_chain_check(const char *body, size_t n, EVP_PKEY *cert_key, char *why,
                               size_t why_len)
{
    afz_rc rc = AFZ_EPROTO;
    size_t pos = 0;
    unsigned blocks = 0;
    X509 *x = NULL;
    BIO *bio = NULL;
    char label[64];

    if (!body || n == 0) {
        snprintf(why, why_len, "certificate body is empty");
        goto out;
    }
    for (;;) {
        size_t b = find(body, n, pos, PEM_BEGIN);
        size_t stray = find(body, n, pos, "-----END ");
        if (stray < b) {
            snprintf(why, why_len, "END line without BEGIN in the certificate body");
            goto out;
        }
        if (b == n)
            break;
        /* the label runs from after "-----BEGIN " to "-----" on that line */
        size_t ls = b + strlen(PEM_BEGIN);
        size_t le = line_end(body, n, ls);
        size_t dash = find(body, le, ls, PEM_DASHES);
        if (dash == le || !rest_is_eol(body, n, dash + strlen(PEM_DASHES))) {
            snprintf(why, why_len, "malformed BEGIN line in PEM block %u", blocks + 1);
            goto out;
        }
        afz_ref_sanitize(body + ls, dash - ls, label, sizeof(label));
        if (dash - ls != strlen("CERTIFICATE") ||
            memcmp(body + ls, "CERTIFICATE", dash - ls) != 0) {
            /* RFC 8555 11.4: a chain carries certificates only; a private
             * key (or anything else) in it is refused. */
            snprintf(why, why_len, "PEM block %u is \"%s\", not CERTIFICATE", blocks + 1, label);
            goto out;
        }
        size_t e = find(body, n, le, PEM_END_CERT);
        size_t next_begin = find(body, n, le, PEM_BEGIN);
        if (e == n || next_begin < e) {
            snprintf(why, why_len, "PEM block %u has no END CERTIFICATE line", blocks + 1);
            goto out;
        }
        if (!rest_is_eol(body, n, e + strlen(PEM_END_CERT))) {
            snprintf(why, why_len, "malformed END line in PEM block %u", blocks + 1);
            goto out;
        }
        size_t stop = e + strlen(PEM_END_CERT);
        if (++blocks > PEM_MAX_BLOCKS) {
            snprintf(why, why_len, "more than %d certificates in the chain", PEM_MAX_BLOCKS);
            goto out;
        }
        if (stop - b > (size_t)1 << 24) {
            snprintf(why, why_len, "PEM block %u is larger than 16 MiB", blocks);
            goto out;
        }
        if (blocks > 1 && pem_memo_has(body + b, stop - b)) {
            pos = stop;
            continue;
        }
        bio = BIO_new_mem_buf(body + b, (int)(stop - b));
        if (!bio) {
            snprintf(why, why_len, "out of memory");
            rc = AFZ_ENOMEM;
            goto out;
        }
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
        bio = NULL;
        if (!x) {
            snprintf(why, why_len, "PEM block %u is not a valid X.509 certificate", blocks);
            goto out;
        }
        if (blocks == 1) {
            EVP_PKEY *pub = X509_get0_pubkey(x);
            if (!pub || !cert_key || EVP_PKEY_eq(pub, cert_key) != 1) {
                snprintf(why, why_len,
                         "the leaf certificate's public key is not the certificate key");
                goto out;
            }
        }
        X509_free(x);
        x = NULL;
        if (blocks > 1)
            pem_memo_put(body + b, stop - b);
        pos = stop;
    }
    if (blocks == 0) {
        snprintf(why, why_len, "no PEM certificate in the body");
        goto out;
    }
    rc = AFZ_OK;
out:
    X509_free(x);
    BIO_free(bio);
    if (rc != AFZ_OK)
        ERR_clear_error();
    return rc;
}
