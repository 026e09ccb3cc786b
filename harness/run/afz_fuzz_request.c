/* afz_fuzz_request.c - see afz_fuzz_request.h.
 *
 * The session keeps what a client would remember between requests (the
 * last nonce, the account URL of each key, the last order and its URLs,
 * the names it ordered, the last certificate) so that a decoded request
 * naming "the finalize URL" or "a CSR for the order" means the real thing
 * and the deep handlers are reached by short inputs. */
#include "afz_fuzz_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "afz_b64.h"
#include "afz_clock.h"
#include "afz_csr.h"
#include "afz_http.h"
#include "afz_jose.h"
#include "afz_json.h"
#include "afz_prng.h"
#include "afz_server.h"

#define BASE "https://acme.invalid"
/* An object id no server hands out: the PRNG never yields all zeros here
 * in practice, and a wrong guess only changes which 404 is answered. */
#define MISSING_ID "0000000000000000"
/* A well-formed nonce (22 base64url characters) never issued. */
#define NEVER_NONCE "AAAAAAAAAAAAAAAAAAAAAA"
#define SESSION_SEED UINT64_C(0x66757a7a73727672)
#define URL_MAX 256
#define LIST_MAX 4
#define NAMES_MAX 4
/* The world's distinct keys: ES256, ES384, RS256, EdDSA account keys and
 * the P-256 certificate key. */
#define KEYS 5

/* ---- decoding ---- */

static size_t run_length(uint8_t len)
{
    return len < 128 ? len : 128 + (size_t)(len - 128) * 16;
}

void afz_fuzz_request_decode(const uint8_t *data, size_t n, afz_fuzz_requests *out)
{
    memset(out, 0, sizeof(*out));
    size_t front = 0, back = n;
    if (front < back)
        out->config = data[front++];
    while (front < back && out->n < AFZ_FUZZ_REQUEST_MAX) {
        uint8_t b[AFZ_FUZZ_REQUEST_RECORD_BYTES] = {0};
        for (size_t i = 0; i < sizeof(b) && front < back; i++)
            b[i] = data[front++];
        afz_fuzz_request *r = &out->v[out->n++];
        r->target = (afz_freq_target)(b[0] & 15);
        r->method = (b[0] >> 4) & 7;
        r->tick = b[0] >> 7;
        r->key = (b[1] & 3) | (unsigned)(b[1] >> 7) << 2;
        r->use_jwk = (b[1] >> 2) & 1;
        unsigned body = (b[1] >> 3) & 7;
        r->body = body < AFZ_FREQ_BODY_JWS_RAW ? AFZ_FREQ_BODY_JWS : (afz_freq_body)body;
        r->bad_ctype = (b[1] >> 6) & 1;
        r->var = b[2];
        size_t want = run_length(b[3]);
        if (r->body == AFZ_FREQ_BODY_BROKEN) {
            r->brk = (afz_freq_break)(b[3] & 15);
            want = b[3] >> 4;
        }
        size_t take = want < back - front ? want : back - front;
        back -= take;
        r->run = data + back;
        r->run_len = take;
    }
}

/* ---- the session ---- */

typedef struct url_list {
    char v[LIST_MAX][URL_MAX];
    size_t n;
} url_list;

typedef struct session {
    const afz_world *w;
    afz_server *srv;
    afz_clock clock;
    afz_prng prng;
    afz_history *hist;
    afz_buf *why;
    char nonce[64];           /* the last Replay-Nonce */
    char used_nonce[64];      /* the nonce the previous JWS carried */
    char acct[KEYS][URL_MAX]; /* account URL of each world key */
    char last_acct[URL_MAX];
    char orders[URL_MAX], order[URL_MAX], finalize[URL_MAX], cert[URL_MAX];
    url_list authz, chall, links;
    char names[NAMES_MAX][URL_MAX]; /* the last order's identifiers */
    size_t n_names;
    afz_buf cert_der; /* leaf of the last certificate downloaded */
} session;

/* Which key each slot (flags bits 0-1 and 7) names: the cheap keys three
 * times as often as ES384 and RS256, whose signatures or verifications
 * cost milliseconds (OpenSSL 3.0's P-384 has no fast path). */
static const unsigned slot_key[8] = {0, 3, 4, 0, 1, 2, 3, 4};
static const char *const order_names[NAMES_MAX] = {"example.com", "www.example.com",
                                                   "*.example.net", "example.org"};
static const char *const blocked_names[] = {"blocked.test", NULL};
static const int64_t clock_steps_ms[4] = {1000, 600 * 1000, INT64_C(86400) * 1000,
                                          INT64_C(31) * 86400 * 1000};

/* The key of slot |slot|. */
static EVP_PKEY *session_key(const session *s, unsigned slot)
{
    static const afz_jws_alg algs[4] = {AFZ_ALG_ES256, AFZ_ALG_ES384, AFZ_ALG_RS256, AFZ_ALG_EDDSA};
    unsigned id = slot_key[slot % 8];
    return id < 4 ? afz_world_account_key(s->w, algs[id]) : s->w->cert_key;
}

/* The kid a client holding the key of slot |slot| would send. */
static const char *account_for(const session *s, unsigned slot)
{
    if (s->acct[slot_key[slot % 8]][0])
        return s->acct[slot_key[slot % 8]];
    return s->last_acct[0] ? s->last_acct : BASE "/account/" MISSING_ID;
}

static void set_url(char dst[URL_MAX], const char *src)
{
    size_t n = strlen(src);
    if (n < URL_MAX)
        memcpy(dst, src, n + 1);
}

static void list_push(url_list *l, const char *url)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], url) == 0)
            return;
    if (strlen(url) >= URL_MAX)
        return;
    if (l->n == LIST_MAX) {
        memmove(l->v[0], l->v[1], (LIST_MAX - 1) * sizeof(l->v[0]));
        l->n--;
    }
    set_url(l->v[l->n++], url);
}

static const char *list_pick(const url_list *l, unsigned i)
{
    return l->n ? l->v[i % l->n] : NULL;
}

static void server_config(uint8_t b, afz_server_config *c)
{
    afz_server_config_default(c);
    c->base_url = BASE;
    c->blocked_names = blocked_names;
    if (b & AFZ_FREQ_CFG_ASYNC) {
        c->async_finalize = 1;
        c->finalize_polls = 1;
        c->order_retry_after_s = 1;
    }
    if (b & AFZ_FREQ_CFG_SLOW_AUTHZ) {
        c->authz_pending_polls = 1;
        c->validation_delay_ms = 1000;
        c->authz_retry_after_s = 1;
    }
    c->order_reuse = (b & AFZ_FREQ_CFG_ORDER_REUSE) != 0;
    c->authz_reuse = (b & AFZ_FREQ_CFG_AUTHZ_REUSE) != 0;
    if (b & AFZ_FREQ_CFG_TINY) {
        c->max_accounts = 2;
        c->max_orders = 2;
        c->max_authzs = 3;
        c->max_nonces = 4;
    }
    if (b & AFZ_FREQ_CFG_SHORT_LIVED) {
        c->nonce_lifetime_ms = 60 * 1000;
        c->order_lifetime_s = 3600;
        c->authz_lifetime_s = 7200;
    }
    if (b & AFZ_FREQ_CFG_ALT_CHAINS) {
        c->alternate_chains = 2;
        c->order_retry_after_date = 1;
        c->authz_retry_after_date = 1;
    }
    c->order_ready_at_creation = (b & AFZ_FREQ_CFG_READY) != 0;
}

/* ---- building requests ---- */

/* The run as text: NUL bytes, which a C string cannot hold, become '%'. */
static afz_rc put_run(afz_buf *b, const afz_fuzz_request *r)
{
    for (size_t i = 0; i < r->run_len; i++) {
        afz_rc rc = afz_buf_putc(b, r->run[i] ? (char)r->run[i] : '%');
        if (rc != AFZ_OK)
            return rc;
    }
    return AFZ_OK;
}

/* A new cJSON string holding |prefix| followed by the run as text. */
static cJSON *run_string(const afz_fuzz_request *r, const char *prefix)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    cJSON *j = NULL;
    if (afz_buf_puts(&b, prefix) == AFZ_OK && put_run(&b, r) == AFZ_OK)
        j = cJSON_CreateString(afz_buf_cstr(&b));
    afz_buf_cleanup(&b);
    return j;
}

static afz_rc target_url(const session *s, const afz_fuzz_request *r, afz_buf *url)
{
    const char *u = NULL, *missing = NULL;
    unsigned pick = (r->var >> 4) & 3;
    switch (r->target) {
    case AFZ_FREQ_DIRECTORY:
        u = BASE "/directory";
        break;
    case AFZ_FREQ_NEW_NONCE:
        u = BASE "/new-nonce";
        break;
    case AFZ_FREQ_NEW_ACCOUNT:
        u = BASE "/new-account";
        break;
    case AFZ_FREQ_NEW_ORDER:
        u = BASE "/new-order";
        break;
    case AFZ_FREQ_REVOKE:
        u = BASE "/revoke-cert";
        break;
    case AFZ_FREQ_KEY_CHANGE:
        u = BASE "/key-change";
        break;
    case AFZ_FREQ_ACCOUNT:
        u = account_for(s, r->key);
        break;
    case AFZ_FREQ_ACCOUNT_ORDERS:
        u = s->orders;
        missing = "/account/" MISSING_ID "/orders";
        break;
    case AFZ_FREQ_ORDER:
        u = s->order;
        missing = "/order/" MISSING_ID;
        break;
    case AFZ_FREQ_AUTHZ:
        u = list_pick(&s->authz, pick);
        missing = "/authz/" MISSING_ID;
        break;
    case AFZ_FREQ_CHALLENGE:
        u = list_pick(&s->chall, pick);
        missing = "/chall/" MISSING_ID "-0";
        break;
    case AFZ_FREQ_FINALIZE:
        u = s->finalize;
        missing = "/finalize/" MISSING_ID;
        break;
    case AFZ_FREQ_CERT:
        u = s->cert;
        missing = "/cert/" MISSING_ID;
        break;
    case AFZ_FREQ_LINK:
        /* Newest first: the links of the last certificate download. */
        u = s->links.n ? s->links.v[s->links.n - 1 - pick % s->links.n] : NULL;
        missing = "/cert/" MISSING_ID "/up";
        break;
    case AFZ_FREQ_PATH:
        if (!(r->var & 1) && afz_buf_puts(url, BASE "/") != AFZ_OK)
            return AFZ_ENOMEM;
        return put_run(url, r);
    case AFZ_FREQ_SUFFIX: {
        const char *known[8 + 3 * LIST_MAX];
        size_t n = 0;
        const char *slots[] = {
            account_for(s, r->key), s->last_acct, s->orders, s->order, s->finalize, s->cert};
        for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
            if (slots[i][0])
                known[n++] = slots[i];
        const url_list *lists[] = {&s->authz, &s->chall, &s->links};
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < lists[i]->n; j++)
                known[n++] = lists[i]->v[j];
        u = n ? known[((r->var >> 2) & 15) % n] : BASE;
        afz_rc rc = afz_buf_puts(url, u);
        return rc == AFZ_OK ? put_run(url, r) : rc;
    }
    }
    if (u && u[0])
        return afz_buf_puts(url, u);
    afz_rc rc = afz_buf_puts(url, BASE);
    return rc == AFZ_OK ? afz_buf_puts(url, missing ? missing : "/") : rc;
}

/* Replaces or adds member |name| of |obj| with |value| (taken; NULL is
 * ENOMEM). */
static afz_rc json_set(cJSON *obj, const char *name, cJSON *value)
{
    if (!value)
        return AFZ_ENOMEM;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
    if (!cJSON_AddItemToObject(obj, name, value)) {
        cJSON_Delete(value);
        return AFZ_ENOMEM;
    }
    return AFZ_OK;
}

/* Edits the flattened JWS in |jws|, leaving its signature as it was:
 * 'h' sets member |name| of the protected header to |value| (taken),
 * 'd' deletes member |name|, '=' pads "protected", 's' changes the first
 * signature character. */
static afz_rc jws_edit(afz_buf *jws, char edit, const char *name, cJSON *value)
{
    cJSON *outer = NULL, *hdr = NULL;
    afz_buf tmp;
    afz_buf_init(&tmp, 0);
    afz_rc rc = afz_json_parse_object(jws->data, jws->len, &outer);
    const char *prot = rc == AFZ_OK ? afz_json_str(outer, "protected") : NULL;
    const char *sig = rc == AFZ_OK ? afz_json_str(outer, "signature") : NULL;
    if (!prot || !sig) {
        rc = AFZ_EINVAL;
        goto out;
    }
    if (edit == 'h' || edit == 'd') {
        if ((rc = afz_b64url_decode(prot, strlen(prot), &tmp)) != AFZ_OK ||
            (rc = afz_json_parse_object(tmp.data, tmp.len, &hdr)) != AFZ_OK)
            goto out;
        if (edit == 'h')
            rc = json_set(hdr, name, value);
        else
            cJSON_DeleteItemFromObjectCaseSensitive(hdr, name);
        value = NULL;
        afz_buf_reset(&tmp);
        if (rc != AFZ_OK || (rc = afz_json_print(hdr, &tmp)) != AFZ_OK)
            goto out;
        afz_buf enc;
        afz_buf_init(&enc, 0);
        rc = afz_b64url_encode(tmp.data, tmp.len, &enc);
        if (rc == AFZ_OK)
            rc = json_set(outer, "protected", cJSON_CreateString(afz_buf_cstr(&enc)));
        afz_buf_cleanup(&enc);
    } else if (edit == '=') {
        if ((rc = afz_buf_puts(&tmp, prot)) == AFZ_OK && (rc = afz_buf_putc(&tmp, '=')) == AFZ_OK)
            rc = json_set(outer, "protected", cJSON_CreateString(afz_buf_cstr(&tmp)));
    } else if ((rc = afz_buf_puts(&tmp, sig)) == AFZ_OK && tmp.len > 0) {
        tmp.data[0] = tmp.data[0] == 'A' ? 'B' : 'A';
        rc = json_set(outer, "signature", cJSON_CreateString(afz_buf_cstr(&tmp)));
    }
    if (rc == AFZ_OK) {
        afz_buf_reset(jws);
        rc = afz_json_print(outer, jws);
    }
out:
    cJSON_Delete(value);
    cJSON_Delete(hdr);
    cJSON_Delete(outer);
    afz_buf_cleanup(&tmp);
    return rc;
}

static cJSON *jwk_of(EVP_PKEY *key)
{
    cJSON *j = NULL;
    return afz_jwk_from_key(key, &j) == AFZ_OK ? j : NULL;
}

/* Sets member |name| of |p| to the base64url form of |der|. */
static afz_rc json_set_b64(cJSON *p, const char *name, const afz_buf *der)
{
    afz_buf b64;
    afz_buf_init(&b64, 0);
    afz_rc rc = afz_b64url_encode(der->data, der->len, &b64);
    if (rc == AFZ_OK)
        rc = json_set(p, name, cJSON_CreateString(afz_buf_cstr(&b64)));
    afz_buf_cleanup(&b64);
    return rc;
}

/* Sets "contact" of |p| to ["mailto:" RUN]. */
static afz_rc json_set_contact(cJSON *p, const afz_fuzz_request *r)
{
    cJSON *a = cJSON_CreateArray();
    afz_rc rc = json_set(p, "contact", a);
    if (rc == AFZ_OK && !cJSON_AddItemToArray(a, run_string(r, "mailto:")))
        rc = AFZ_ENOMEM;
    return rc;
}

/* A P-256 JWK whose point (0, 0) is not on the curve. */
static cJSON *jwk_off_curve(void)
{
    static const char zero[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    cJSON *j = cJSON_CreateObject();
    if (j && (json_set(j, "kty", cJSON_CreateString("EC")) != AFZ_OK ||
              json_set(j, "crv", cJSON_CreateString("P-256")) != AFZ_OK ||
              json_set(j, "x", cJSON_CreateString(zero)) != AFZ_OK ||
              json_set(j, "y", cJSON_CreateString(zero)) != AFZ_OK)) {
        cJSON_Delete(j);
        j = NULL;
    }
    return j;
}

static afz_rc jws_break(const session *s, const afz_fuzz_request *r, const char *url, afz_buf *jws)
{
    const char *other = strcmp(url, BASE "/directory") == 0 ? BASE "/new-nonce" : BASE "/directory";
    afz_rc rc;
    switch (r->brk) {
    case AFZ_FREQ_BREAK_NONCE:
        return jws_edit(jws, 'h', "nonce", cJSON_CreateString(NEVER_NONCE));
    case AFZ_FREQ_BREAK_REPLAY:
        return jws_edit(jws, 'h', "nonce",
                        cJSON_CreateString(s->used_nonce[0] ? s->used_nonce : NEVER_NONCE));
    case AFZ_FREQ_BREAK_URL:
        return jws_edit(jws, 'h', "url", cJSON_CreateString(other));
    case AFZ_FREQ_BREAK_KID_JWK:
        if (r->use_jwk)
            return jws_edit(jws, 'h', "kid", cJSON_CreateString(account_for(s, r->key)));
        return jws_edit(jws, 'h', "jwk", jwk_of(session_key(s, r->key)));
    case AFZ_FREQ_BREAK_ALG_NONE:
        return jws_edit(jws, 'h', "alg", cJSON_CreateString("none"));
    case AFZ_FREQ_BREAK_ALG_OTHER: {
        /* The next of ES256, ES384, RS256, EdDSA: never the key's own. */
        afz_jws_alg alg = afz_jws_alg_for_key(session_key(s, r->key));
        return jws_edit(jws, 'h', "alg", cJSON_CreateString(afz_jws_alg_name(alg % 4 + 1)));
    }
    case AFZ_FREQ_BREAK_BASE64:
        return jws_edit(jws, '=', NULL, NULL);
    case AFZ_FREQ_BREAK_SIGNATURE:
        return jws_edit(jws, 's', NULL, NULL);
    case AFZ_FREQ_BREAK_NO_NONCE:
        return jws_edit(jws, 'd', "nonce", NULL);
    case AFZ_FREQ_BREAK_NO_URL:
        return jws_edit(jws, 'd', "url", NULL);
    case AFZ_FREQ_BREAK_NO_ALG:
        return jws_edit(jws, 'd', "alg", NULL);
    case AFZ_FREQ_BREAK_NO_KEY:
        rc = jws_edit(jws, 'd', "kid", NULL);
        return rc == AFZ_OK ? jws_edit(jws, 'd', "jwk", NULL) : rc;
    case AFZ_FREQ_BREAK_KID_TYPE:
        rc = jws_edit(jws, 'd', "jwk", NULL);
        return rc == AFZ_OK ? jws_edit(jws, 'h', "kid", cJSON_CreateNumber(1)) : rc;
    case AFZ_FREQ_BREAK_JWK_TYPE:
        rc = jws_edit(jws, 'd', "kid", NULL);
        return rc == AFZ_OK ? jws_edit(jws, 'h', "jwk", run_string(r, "")) : rc;
    case AFZ_FREQ_BREAK_JWK_CURVE:
        rc = jws_edit(jws, 'd', "kid", NULL);
        return rc == AFZ_OK ? jws_edit(jws, 'h', "jwk", jwk_off_curve()) : rc;
    case AFZ_FREQ_BREAK_NONCE_RUN:
        return jws_edit(jws, 'h', "nonce", run_string(r, ""));
    }
    return AFZ_OK;
}

static afz_rc pem_to_der(const char *pem, size_t n, afz_buf *der)
{
    afz_buf_reset(der);
    BIO *bio = n <= INT32_MAX ? BIO_new_mem_buf(pem, (int)n) : NULL;
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    unsigned char *p = NULL;
    int len = x ? i2d_X509(x, &p) : -1;
    afz_rc rc = len > 0 ? afz_buf_append(der, p, (size_t)len) : AFZ_EPARSE;
    OPENSSL_free(p);
    X509_free(x);
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

/* Adds {"csr": ...} for finalize to |p|. */
static afz_rc finalize_payload(const session *s, const afz_fuzz_request *r, cJSON *p)
{
    const char *names[NAMES_MAX + 1];
    size_t n = 0;
    for (; n < s->n_names; n++)
        names[n] = s->names[n];
    if (n == 0)
        names[n++] = order_names[0];
    afz_buf der;
    afz_buf_init(&der, 0);
    afz_rc rc = AFZ_OK;
    switch (r->var & 3) {
    case 0:
        rc = afz_csr_build(s->w->cert_key, names, n, &der);
        break;
    case 1:
        rc = afz_csr_build(session_key(s, r->key), names, n, &der);
        break;
    case 2:
        names[n++] = "extra.example.com";
        rc = afz_csr_build(s->w->cert_key, names, n, &der);
        break;
    default:
        rc = afz_buf_append(&der, r->run, r->run_len);
        break;
    }
    if (rc == AFZ_OK && (r->var & 4) && der.len > 0)
        der.data[(((r->var >> 3) & 7) * der.len) / 8] ^= 0x01;
    if (rc == AFZ_OK)
        rc = json_set_b64(p, "csr", &der);
    afz_buf_cleanup(&der);
    return rc;
}

static afz_rc revoke_payload(const session *s, const afz_fuzz_request *r, cJSON *p)
{
    afz_buf der;
    afz_buf_init(&der, 0);
    afz_rc rc = AFZ_OK;
    unsigned src = r->var & 3;
    if (src == 0 && s->cert_der.len)
        rc = afz_buf_append(&der, s->cert_der.data, s->cert_der.len);
    else if (src <= 1) {
        const char *pem = afz_ca_intermediate_pem(s->w->ca);
        rc = pem ? pem_to_der(pem, strlen(pem), &der) : AFZ_EINVAL;
    } else if (src == 2)
        rc = afz_buf_append(&der, r->run, r->run_len);
    if (rc == AFZ_OK && src == 3)
        rc = json_set(p, "certificate", run_string(r, ""));
    else if (rc == AFZ_OK)
        rc = json_set_b64(p, "certificate", &der);
    unsigned reason = (r->var >> 2) & 15;
    if (rc == AFZ_OK && reason)
        rc = json_set(p, "reason", cJSON_CreateNumber(reason - 1));
    afz_buf_cleanup(&der);
    return rc;
}

/* The keyChange payload: an inner JWS signed by the new key (RFC 8555
 * 7.3.5), or one of the ways to get it wrong. */
static afz_rc key_change_payload(const session *s, const afz_fuzz_request *r, const char *url,
                                 afz_buf *out)
{
    EVP_PKEY *new_key = session_key(s, r->var & 3);
    cJSON *inner = cJSON_CreateObject();
    afz_buf text;
    afz_buf_init(&text, 0);
    afz_rc rc = inner ? AFZ_OK : AFZ_ENOMEM;
    if (rc == AFZ_OK)
        rc =
            json_set(inner, "account",
                     (r->var & 4) ? run_string(r, "") : cJSON_CreateString(account_for(s, r->key)));
    if (rc == AFZ_OK)
        rc = json_set(inner, "oldKey", jwk_of((r->var & 8) ? new_key : session_key(s, r->key)));
    if (rc == AFZ_OK)
        rc = afz_json_print(inner, &text);
    unsigned brk = (r->var >> 4) & 3;
    afz_jws_sign_params p = {
        .key = new_key,
        .kid = NULL,
        .nonce = brk == 1 ? (s->nonce[0] ? s->nonce : NEVER_NONCE) : NULL,
        .url = brk == 3 ? BASE "/directory" : url,
    };
    if (rc == AFZ_OK)
        rc = afz_jws_sign(&p, text.data, text.len, out);
    if (rc == AFZ_OK && brk == 2)
        rc = jws_edit(out, 'h', "kid", cJSON_CreateString(account_for(s, r->key)));
    cJSON_Delete(inner);
    afz_buf_cleanup(&text);
    return rc;
}

/* The payload template of |r|'s target (see afz_fuzz_request.h). */
static afz_rc template_payload(const session *s, const afz_fuzz_request *r, const char *url,
                               afz_buf *out)
{
    unsigned v = r->var;
    cJSON *p = cJSON_CreateObject();
    if (!p)
        return AFZ_ENOMEM;
    afz_rc rc = AFZ_OK;
    int empty = 0;
    switch (r->target) {
    case AFZ_FREQ_NEW_ACCOUNT:
        if (v & 1)
            rc = json_set(p, "termsOfServiceAgreed", cJSON_CreateTrue());
        if (rc == AFZ_OK && (v & 2))
            rc = json_set_contact(p, r);
        if (rc == AFZ_OK && (v & 4))
            rc = json_set(p, "onlyReturnExisting", cJSON_CreateTrue());
        if (rc == AFZ_OK && (v & 8))
            rc = json_set(p, "externalAccountBinding", cJSON_CreateObject());
        break;
    case AFZ_FREQ_ACCOUNT:
        if ((v & 3) == 0)
            empty = 1;
        else if ((v & 3) == 1)
            rc = json_set_contact(p, r);
        else
            rc = json_set(p, "status",
                          (v & 3) == 2 ? cJSON_CreateString("deactivated") : run_string(r, ""));
        break;
    case AFZ_FREQ_NEW_ORDER: {
        cJSON *ids = cJSON_CreateArray();
        rc = json_set(p, "identifiers", ids);
        size_t n = 1 + (v & 3);
        for (size_t i = 0; i < n && rc == AFZ_OK; i++) {
            cJSON *id = cJSON_CreateObject();
            if (!id || !cJSON_AddItemToArray(ids, id)) {
                cJSON_Delete(id);
                rc = AFZ_ENOMEM;
                break;
            }
            rc = json_set(id, "type", cJSON_CreateString("dns"));
            if (rc == AFZ_OK)
                rc = json_set(id, "value",
                              (v & 4) && i == n - 1 ? run_string(r, "")
                                                    : cJSON_CreateString(order_names[i]));
        }
        if (rc == AFZ_OK && (v & 8))
            rc = json_set(p, "notBefore", cJSON_CreateString("2026-01-01T00:00:00Z"));
        break;
    }
    case AFZ_FREQ_REVOKE:
        rc = revoke_payload(s, r, p);
        break;
    case AFZ_FREQ_KEY_CHANGE:
        cJSON_Delete(p);
        return key_change_payload(s, r, url, out);
    case AFZ_FREQ_AUTHZ:
        if (v & 1)
            rc = json_set(p, "status", cJSON_CreateString("deactivated"));
        else
            empty = 1;
        break;
    case AFZ_FREQ_CHALLENGE:
        if ((v & 3) == 1)
            empty = 1;
        else if ((v & 3) >= 2)
            rc = json_set(p, (v & 3) == 2 ? "keyAuthorization" : "type", run_string(r, ""));
        break;
    case AFZ_FREQ_FINALIZE:
        rc = finalize_payload(s, r, p);
        break;
    default:
        /* POST-as-GET resources: "" or, with var bit 0, "{}". */
        empty = !(v & 1);
        break;
    }
    if (rc == AFZ_OK && !empty)
        rc = afz_json_print(p, out);
    cJSON_Delete(p);
    return rc;
}

/* The method of |r|: sel bits 4-6. */
static void method_of(const afz_fuzz_request *r, char out[AFZ_METHOD_MAX])
{
    static const char *const methods[] = {"POST", "POST", "POST", "POST", "GET", "HEAD", "PUT"};
    if (r->method < sizeof(methods) / sizeof(methods[0])) {
        snprintf(out, AFZ_METHOD_MAX, "%s", methods[r->method]);
        return;
    }
    size_t n = r->run_len < AFZ_METHOD_MAX - 1 ? r->run_len : AFZ_METHOD_MAX - 1;
    memcpy(out, r->run, n);
    out[n] = '\0';
}

static afz_rc build_body(session *s, const afz_fuzz_request *r, const char *url, afz_buf *body)
{
    if (r->body == AFZ_FREQ_BODY_NONE)
        return AFZ_OK;
    if (r->body == AFZ_FREQ_BODY_RAW)
        return afz_buf_append(body, r->run, r->run_len);
    afz_buf payload;
    afz_buf_init(&payload, 0);
    afz_rc rc = AFZ_OK;
    if (r->body == AFZ_FREQ_BODY_JWS_RAW)
        rc = afz_buf_append(&payload, r->run, r->run_len);
    else if (r->body != AFZ_FREQ_BODY_JWS_EMPTY)
        rc = template_payload(s, r, url, &payload);
    afz_jws_sign_params p = {
        .key = session_key(s, r->key),
        .kid = r->use_jwk ? NULL : account_for(s, r->key),
        .nonce = s->nonce[0] ? s->nonce : NEVER_NONCE,
        .url = url,
    };
    if (rc == AFZ_OK)
        rc = afz_jws_sign(&p, payload.data ? payload.data : "", payload.len, body);
    if (rc == AFZ_OK && r->body == AFZ_FREQ_BODY_BROKEN)
        rc = jws_break(s, r, url, body);
    memcpy(s->used_nonce, s->nonce, sizeof(s->nonce));
    afz_buf_cleanup(&payload);
    return rc;
}

static afz_rc build_request(session *s, const afz_fuzz_request *r, afz_request *req)
{
    afz_buf url, body;
    afz_buf_init(&url, 0);
    afz_buf_init(&body, 0);
    char method[AFZ_METHOD_MAX];
    method_of(r, method);
    afz_rc rc = target_url(s, r, &url);
    if (rc == AFZ_OK)
        rc = afz_request_init(req, method, afz_buf_cstr(&url));
    if (rc == AFZ_OK && (r->bad_ctype || r->body != AFZ_FREQ_BODY_NONE))
        rc = afz_headers_add(&req->headers, "Content-Type",
                             r->bad_ctype ? "application/json" : "application/jose+json");
    if (rc == AFZ_OK)
        rc = build_body(s, r, req->url, &body);
    if (rc == AFZ_OK && r->body != AFZ_FREQ_BODY_NONE)
        rc = afz_request_set_body(req, body.data ? body.data : "", body.len);
    afz_buf_cleanup(&url);
    afz_buf_cleanup(&body);
    return rc;
}

/* ---- what the session learns from an answer ---- */

static int media_is(const char *v, const char *want)
{
    size_t n = strlen(want);
    return v && strncmp(v, want, n) == 0 && (v[n] == '\0' || v[n] == ';');
}

static void learn_link(session *s, const char *v)
{
    const char *end = v[0] == '<' ? strchr(v, '>') : NULL;
    if (!end || (!strstr(end, "rel=\"up\"") && !strstr(end, "rel=\"alternate\"")))
        return;
    char url[URL_MAX];
    size_t n = (size_t)(end - v - 1);
    if (n >= URL_MAX)
        return;
    memcpy(url, v + 1, n);
    url[n] = '\0';
    list_push(&s->links, url);
}

static void learn_json(session *s, const afz_response *resp)
{
    cJSON *j = NULL;
    if (afz_json_parse_object(resp->body, resp->body_len, &j) != AFZ_OK)
        return;
    const char *v;
    if ((v = afz_json_str(j, "orders")))
        set_url(s->orders, v);
    if ((v = afz_json_str(j, "finalize")))
        set_url(s->finalize, v);
    if ((v = afz_json_str(j, "certificate")))
        set_url(s->cert, v);
    const cJSON *a = afz_json_array(j, "authorizations"), *e;
    if (a && cJSON_GetArraySize(a) > 0) {
        s->authz.n = 0;
        cJSON_ArrayForEach(e, a)
        {
            if (cJSON_IsString(e))
                list_push(&s->authz, e->valuestring);
        }
    }
    if ((a = afz_json_array(j, "challenges")) && cJSON_GetArraySize(a) > 0) {
        s->chall.n = 0;
        cJSON_ArrayForEach(e, a)
        {
            if ((v = afz_json_str(e, "url")))
                list_push(&s->chall, v);
        }
    }
    if ((a = afz_json_array(j, "identifiers")) && cJSON_GetArraySize(a) > 0) {
        s->n_names = 0;
        cJSON_ArrayForEach(e, a)
        {
            v = afz_json_str(e, "value");
            if (v && s->n_names < NAMES_MAX && strlen(v) < URL_MAX)
                set_url(s->names[s->n_names++], v);
        }
    }
    cJSON_Delete(j);
}

static void learn(session *s, const afz_fuzz_request *r, const afz_request *req,
                  const afz_response *resp)
{
    const char *v = afz_headers_get(&resp->headers, "Replay-Nonce");
    if (v && strlen(v) < sizeof(s->nonce))
        memcpy(s->nonce, v, strlen(v) + 1);
    const char *loc = afz_headers_get(&resp->headers, "Location");
    int ok = resp->status >= 200 && resp->status < 300;
    if (loc && ok && r->target == AFZ_FREQ_NEW_ACCOUNT) {
        set_url(s->acct[slot_key[r->key]], loc);
        set_url(s->last_acct, loc);
    } else if (loc && ok && (r->target == AFZ_FREQ_NEW_ORDER || r->target == AFZ_FREQ_FINALIZE)) {
        set_url(s->order, loc);
    }
    if (ok && r->target == AFZ_FREQ_KEY_CHANGE && !r->use_jwk && s->acct[slot_key[r->key]][0]) {
        /* The account now answers to the new key. */
        char url[URL_MAX];
        memcpy(url, s->acct[slot_key[r->key]], URL_MAX);
        for (size_t k = 0; k < KEYS; k++)
            if (strcmp(s->acct[k], url) == 0)
                s->acct[k][0] = '\0';
        memcpy(s->acct[slot_key[r->var & 3]], url, URL_MAX);
    }
    for (size_t i = 0; i < resp->headers.n; i++)
        if (afz_strcaseeq(resp->headers.v[i].name, "Link"))
            learn_link(s, resp->headers.v[i].value);
    const char *ct = afz_headers_get(&resp->headers, "Content-Type");
    if (media_is(ct, "application/json"))
        learn_json(s, resp);
    else if (ok && media_is(ct, "application/pem-certificate-chain") &&
             strstr(req->url, "/up") == NULL)
        pem_to_der((const char *)resp->body, resp->body_len, &s->cert_der);
}

/* ---- invariants ---- */

static afz_rc violated(session *s, size_t i, const afz_request *req, const afz_response *resp,
                       const char *what)
{
    afz_buf_printf(s->why, "request %zu (%s %s): %s; status %d, body %.200s", i + 1, req->method,
                   req->url, what, resp->status, resp->body ? (const char *)resp->body : "");
    return AFZ_EFAIL;
}

static afz_rc check_problem(session *s, size_t i, const afz_request *req, const afz_response *resp)
{
    static const char prefix[] = "urn:ietf:params:acme:error:";
    cJSON *j = NULL;
    if (afz_json_parse_object(resp->body, resp->body_len, &j) != AFZ_OK)
        return violated(s, i, req, resp, "a problem document is not a JSON object");
    const char *type = afz_json_str(j, "type");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    const char *bad = NULL;
    if (!type || strncmp(type, prefix, sizeof(prefix) - 1) != 0)
        bad = "a problem document's type is not urn:ietf:params:acme:error:*";
    else if (st && (!cJSON_IsNumber(st) || st->valuedouble != (double)resp->status))
        bad = "a problem document's status differs from the HTTP status";
    cJSON_Delete(j);
    return bad ? violated(s, i, req, resp, bad) : AFZ_OK;
}

static afz_rc check_answer(session *s, size_t i, const afz_request *req, afz_rc handled,
                           const afz_response *resp)
{
    char what[192];
    if (handled != AFZ_OK) {
        snprintf(what, sizeof(what), "afz_server_handle returned %s", afz_rc_str(handled));
        return violated(s, i, req, resp, what);
    }
    if (resp->status < 100 || resp->status > 599)
        return violated(s, i, req, resp, "status outside 100..599");
    if (resp->body_len > AFZ_FUZZ_REQUEST_MAX_BODY)
        return violated(s, i, req, resp, "response body above the bound");
    const char *ct = afz_headers_get(&resp->headers, "Content-Type");
    int problem = media_is(ct, "application/problem+json");
    if (resp->status >= 400 && !problem)
        return violated(s, i, req, resp, "an error status without a problem document");
    if (problem && resp->status < 400)
        return violated(s, i, req, resp, "a problem document with a success status");
    if (problem && check_problem(s, i, req, resp) != AFZ_OK)
        return AFZ_EFAIL;
    cJSON *j = NULL;
    if (media_is(ct, "application/json")) {
        if (afz_json_parse(resp->body, resp->body_len, &j) != AFZ_OK)
            return violated(s, i, req, resp, "an application/json body does not parse");
        cJSON_Delete(j);
    }
    if (strcmp(req->method, "POST") == 0 && afz_headers_count(&resp->headers, "Replay-Nonce") != 1)
        return violated(s, i, req, resp, "an answer to a POST without exactly one Replay-Nonce");
    int index = 0;
    for (size_t k = 0; k < resp->headers.n && !index; k++)
        index = afz_strcaseeq(resp->headers.v[k].name, "Link") &&
                strstr(resp->headers.v[k].value, "rel=\"index\"") != NULL;
    if (!index)
        return violated(s, i, req, resp, "no Link rel=\"index\"");
    unsigned long err = ERR_peek_error();
    if (err != 0) {
        snprintf(what, sizeof(what), "an OpenSSL error left on the queue: ");
        ERR_error_string_n(err, what + strlen(what), sizeof(what) - strlen(what));
        return violated(s, i, req, resp, what);
    }
    return AFZ_OK;
}

/* ---- running ---- */

afz_rc afz_fuzz_request_run(const afz_world *w, const afz_fuzz_requests *seq, afz_history *hist,
                            afz_buf *why)
{
    session *s = calloc(1, sizeof(*s));
    if (!s)
        return AFZ_ENOMEM;
    s->w = w;
    s->hist = hist;
    s->why = why;
    afz_buf_init(&s->cert_der, 0);
    if (afz_detrand_active())
        afz_detrand_seed(SESSION_SEED);
    afz_clock_init(&s->clock, AFZ_CLOCK_DEFAULT_EPOCH_MS);
    afz_prng_seed(&s->prng, SESSION_SEED);
    afz_server_config cfg;
    server_config(seq->config, &cfg);
    afz_rc rc = AFZ_ENOMEM;
    s->srv = afz_server_new(&cfg, w->ca, &s->clock, &s->prng, hist);
    if (s->srv)
        rc = AFZ_OK;
    for (size_t i = 0; i < seq->n && rc == AFZ_OK; i++) {
        const afz_fuzz_request *r = &seq->v[i];
        if (r->tick)
            afz_clock_advance(&s->clock, clock_steps_ms[r->var >> 6]);
        afz_request req;
        afz_response resp;
        memset(&req, 0, sizeof(req));
        afz_response_init(&resp);
        rc = build_request(s, r, &req);
        if (rc != AFZ_OK) {
            afz_request_cleanup(&req);
            break;
        }
        int64_t mono = afz_clock_mono_ms(&s->clock), wall = afz_clock_wall_ms(&s->clock);
        afz_resource kind = AFZ_RES_UNKNOWN;
        ERR_clear_error(); /* only the model's own errors count below */
        afz_rc handled = afz_server_handle(s->srv, &req, &resp, &kind);
        rc = afz_history_add_exchange(hist, &req, &resp, kind, mono, wall);
        if (rc == AFZ_OK)
            rc = check_answer(s, i, &req, handled, &resp);
        if (rc == AFZ_OK)
            learn(s, r, &req, &resp);
        afz_request_cleanup(&req);
        afz_response_cleanup(&resp);
    }
    afz_server_free(s->srv);
    afz_buf_cleanup(&s->cert_der);
    free(s);
    return rc;
}

/* ---- the per-process world ---- */

static struct {
    int ready;
    afz_world world;
} fz_world;

static void world_release(void)
{
    if (fz_world.ready)
        afz_world_cleanup(&fz_world.world);
    fz_world.ready = 0;
}

const afz_world *afz_fuzz_request_world(void)
{
    if (!fz_world.ready) {
        afz_detrand_install();
        if (afz_world_init(&fz_world.world) != AFZ_OK) {
            fprintf(stderr, "acmefuzz: could not create the CA and keys\n");
            exit(2);
        }
        fz_world.ready = 1;
        atexit(world_release);
    }
    return &fz_world.world;
}
