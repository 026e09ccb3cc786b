/* afz_server_jws.c - nonces (RFC 8555 6.5, 7.2) and the authentication of
 * every POST (RFC 8555 6.2-6.4): content type, JWS syntax, algorithm,
 * crit, nonce present, url, jwk versus kid, account, key, signature, and
 * only then the nonce is spent, in that order. */
#include "afz_server_internal.h"

#include <stdlib.h>
#include <string.h>

/* A problem was written: tell the caller to stop (or report ENOMEM). */
static afz_rc answered(afz_rc problem_rc)
{
    return problem_rc == AFZ_OK ? AFZ_EPROTO : problem_rc;
}

/* ---- nonces ---- */

afz_rc afz_srv_nonce_issue(afz_server *s, afz_response *resp)
{
    char v[SRV_NONCE_LEN + 1];
    afz_rc rc = afz_srv_nonce_new(s, v);
    return rc == AFZ_OK ? afz_headers_set(&resp->headers, "Replay-Nonce", v) : rc;
}

afz_rc afz_srv_nonce_new(afz_server *s, char out[SRV_NONCE_LEN + 1])
{
    afz_srv_nonce n;
    afz_rc rc = afz_srv_b64_random(s, 16, n.v, sizeof(n.v));
    if (rc != AFZ_OK)
        return rc;
    n.live = 1;
    n.issued_ms = afz_srv_now(s);
    size_t max = s->cfg.max_nonces;
    if (s->n_nonces < max) {
        if (s->n_nonces == s->cap_nonces) {
            size_t cap = s->cap_nonces ? s->cap_nonces * 2 : 16;
            if (cap > max)
                cap = max;
            afz_srv_nonce *v = realloc(s->nonces, cap * sizeof(*v));
            if (!v)
                return AFZ_ENOMEM;
            s->nonces = v;
            s->cap_nonces = cap;
        }
        s->nonces[s->n_nonces++] = n;
    } else {
        /* Full: the slot at the head is the oldest nonce; forget it. */
        s->nonces[s->nonce_head] = n;
        s->nonce_head = (s->nonce_head + 1) % max;
    }
    memcpy(out, n.v, sizeof(n.v));
    return AFZ_OK;
}

void afz_srv_nonces_free(afz_server *s)
{
    free(s->nonces);
    s->nonces = NULL;
    s->n_nonces = s->cap_nonces = s->nonce_head = 0;
}

/* Consumes |v|. Returns NULL when it was live, else the badNonce detail. */
static const char *nonce_consume(afz_server *s, const char *v)
{
    size_t n = strlen(v);
    if (n != SRV_NONCE_LEN)
        return "JWS has an invalid anti-replay nonce";
    for (size_t i = 0; i < s->n_nonces; i++) {
        afz_srv_nonce *e = &s->nonces[i];
        if (!e->live || memcmp(e->v, v, SRV_NONCE_LEN) != 0)
            continue;
        e->live = 0;
        if (s->cfg.nonce_lifetime_ms > 0 &&
            afz_srv_now(s) - e->issued_ms > s->cfg.nonce_lifetime_ms)
            return "JWS has an expired anti-replay nonce";
        return NULL;
    }
    return "JWS has an invalid anti-replay nonce";
}

/* ---- small answers ---- */

afz_rc afz_srv_unauthorized(afz_response *resp, const char *what)
{
    return answered(afz_srv_problem(resp, 403, "unauthorized", NULL, "%s", what));
}

afz_rc afz_srv_not_found(afz_response *resp, const char *what)
{
    return answered(afz_srv_problem(resp, 404, "malformed", NULL, "%s", what));
}

afz_rc afz_srv_require_empty(const afz_srv_auth *auth, afz_response *resp)
{
    if (auth->jws.payload_len == 0)
        return AFZ_OK;
    return answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                    "POST-as-GET requests must have an empty payload"));
}

afz_rc afz_srv_payload_object(const afz_srv_auth *auth, afz_response *resp, cJSON **out)
{
    *out = NULL;
    if (afz_json_parse_object(auth->jws.payload, auth->jws.payload_len, out) == AFZ_OK)
        return AFZ_OK;
    return answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                    "Request payload did not parse as a JSON object"));
}

/* ---- keys ---- */

const char *afz_srv_key_acceptable(const afz_server *s, EVP_PKEY *key)
{
    if (afz_key_supported(key))
        return NULL;
    /* RSA-1024 to 2047, P-521: Pebble accepts them (strict_keys: Boulder,
     * whose key policy refuses them, does not) */
    if (!s->cfg.strict_keys && afz_key_pebble(key))
        return NULL;
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        int bits = afz_key_bits(key);
        /* Large keys would cost verification time for nothing. */
        if (bits < AFZ_RSA_MIN_BITS)
            return s->cfg.strict_keys ? "key too small: RSA keys must be at least 2048 bits"
                                      : "key too small: RSA keys must be at least 1024 bits";
        return "key too large: RSA keys above 8192 bits are not supported";
    }
    return s->cfg.strict_keys ? "unsupported key type: use P-256, P-384, RSA or Ed25519"
                              : "unsupported key type: use P-256, P-384, P-521, RSA or Ed25519";
}

/* ---- authentication ---- */

const char *afz_srv_alg_refused(const afz_server *s, afz_jws_alg alg)
{
    static const char strict[] = ",\"algorithms\":[\"ES256\",\"ES384\",\"RS256\",\"EdDSA\"]";
    static const char pebble[] =
        ",\"algorithms\":[\"ES256\",\"ES384\",\"ES512\",\"RS256\",\"EdDSA\"]";
    /* ES512 (P-521): Pebble verifies it; strict_keys refuses it as the
     * unsupported algorithm it was before the server knew it */
    if (alg == AFZ_ALG_NONE || (alg == AFZ_ALG_ES512 && s->cfg.strict_keys))
        return s->cfg.strict_keys ? strict : pebble;
    return NULL;
}

/* Content-Type media type match, parameters and case ignored. */
static int media_type_is(const char *v, const char *want)
{
    if (!v)
        return 0;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(want);
    for (size_t i = 0; i < n; i++) {
        char a = v[i], b = want[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return 0;
    }
    char c = v[n];
    return c == '\0' || c == ';' || c == ' ' || c == '\t';
}

void afz_srv_req_jws_drop(afz_server *s)
{
    if (s->req_jws) {
        afz_jws_cleanup(s->req_jws);
        free(s->req_jws);
        s->req_jws = NULL;
    }
}

void afz_srv_auth_cleanup(afz_srv_auth *auth)
{
    /* The first parse of the request's body is kept for its recorder
     * (afz_server_take_request_jws); out of memory, it is only freed. */
    afz_server *s = auth->keep_to;
    if (s && !s->req_jws && (s->req_jws = malloc(sizeof(*s->req_jws))) != NULL) {
        *s->req_jws = auth->jws;
        memset(&auth->jws, 0, sizeof(auth->jws));
    }
    auth->keep_to = NULL;
    afz_jws_cleanup(&auth->jws);
    EVP_PKEY_free(auth->jwk_key);
    auth->jwk_key = NULL;
    auth->acct = NULL;
}

static afz_rc auth_key(afz_server *s, afz_srv_keymode mode, afz_srv_auth *auth, afz_response *resp)
{
    const afz_jws *j = &auth->jws;
    if (j->has_kid && j->has_jwk)
        return answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                        "jwk and kid header fields are mutually exclusive"));
    if (!j->has_kid && !j->has_jwk)
        return answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                        "JWS header must carry either jwk or kid"));
    if (mode == SRV_KEY_KID && j->has_jwk)
        return answered(afz_srv_problem(resp, 400, "malformed", NULL, "No Key ID in JWS header"));
    if (mode == SRV_KEY_JWK && j->has_kid)
        return answered(
            afz_srv_problem(resp, 400, "malformed", NULL, "No embedded JWK in JWS header"));
    if (j->has_kid) {
        if (!j->kid)
            return answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                            "JWS header parameter 'kid' must be a string"));
        afz_srv_account *a = afz_srv_account_by_url(s, j->kid);
        if (!a)
            return answered(afz_srv_problem(resp, 400, "accountDoesNotExist", NULL,
                                            "Account \"%.*s\" not found", SRV_ECHO_MAX, j->kid));
        if (a->deactivated)
            return afz_srv_unauthorized(resp, "Account is not valid, has status \"deactivated\"");
        auth->acct = a;
        return AFZ_OK;
    }
    if (!cJSON_IsObject(j->jwk))
        return answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                        "JWS header parameter 'jwk' must be an object"));
    /* RFC 7518 6.2.2 / 6.3.2 / RFC 8037 2 name the private members of EC,
     * RSA and OKP keys ("k" is an oct key's secret): an account key is a
     * public key, so a jwk that carries one is refused, as Pebble does. */
    static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
    for (size_t i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
        if (cJSON_GetObjectItemCaseSensitive(j->jwk, private_members[i]))
            return answered(afz_srv_problem(resp, 400, "badPublicKey", NULL,
                                            "JWK carries the private key member \"%s\"; send "
                                            "the public key only",
                                            private_members[i]));
    afz_rc rc = afz_jwk_to_key(j->jwk, &auth->jwk_key);
    if (rc == AFZ_ENOMEM)
        return rc;
    if (rc != AFZ_OK)
        return answered(afz_srv_problem(resp, 400, rc == AFZ_ECRYPTO ? "badPublicKey" : "malformed",
                                        NULL, "Error parsing JWK: %s", afz_rc_str(rc)));
    const char *bad = afz_srv_key_acceptable(s, auth->jwk_key);
    if (bad)
        return answered(afz_srv_problem(resp, 400, "badPublicKey", NULL, "%s", bad));
    return AFZ_OK;
}

afz_rc afz_srv_authenticate(afz_server *s, const afz_request *req, afz_srv_keymode mode,
                            afz_srv_auth *auth, afz_response *resp)
{
    memset(auth, 0, sizeof(*auth));
    if (!media_type_is(afz_headers_get(&req->headers, "Content-Type"), "application/jose+json"))
        return answered(afz_srv_problem(
            resp, 415, "malformed", NULL,
            "Invalid Content-Type header on POST. Content-Type must be \"application/jose+json\""));
    if (req->body_len > SRV_MAX_BODY)
        return answered(afz_srv_problem(resp, 413, "malformed", NULL, "Request body too large"));

    const char *why = NULL;
    afz_rc rc = afz_jws_parse(req->body ? (const void *)req->body : "",
                              req->body ? req->body_len : 0, &auth->jws, &why);
    if (rc == AFZ_ENOMEM)
        return rc;
    if (rc != AFZ_OK)
        return answered(afz_srv_problem(resp, 400, "malformed", NULL, "Parse error reading JWS: %s",
                                        why ? why : "invalid JWS"));
    auth->keep_to = s;
    const afz_jws *j = &auth->jws;

    const char *algorithms_member = afz_srv_alg_refused(s, j->alg);
    if (algorithms_member) {
        if (j->alg_name)
            return answered(afz_srv_problem(resp, 400, "badSignatureAlgorithm", algorithms_member,
                                            "JWS signature algorithm \"%.*s\" is not supported",
                                            SRV_ECHO_MAX, j->alg_name));
        return answered(afz_srv_problem(resp, 400, "badSignatureAlgorithm", algorithms_member,
                                        "JWS header parameter 'alg' is missing"));
    }

    /* RFC 7515 4.1.11: "If any of the listed extension Header Parameters
     * are not understood and supported by the recipient, then the JWS is
     * invalid." This server understands no extension, so any "crit" (and a
     * malformed one all the more) makes the JWS invalid. */
    if (cJSON_GetObjectItemCaseSensitive(j->protected_hdr, "crit"))
        return answered(
            afz_srv_problem(resp, 400, "malformed", NULL,
                            "JWS header parameter 'crit' lists an extension this server "
                            "does not understand (RFC 7515 4.1.11)"));

    /* The nonce is only looked at here; it is spent after the signature
     * verified, so a forged request cannot burn a client's nonce. */
    if (!j->nonce)
        return answered(
            afz_srv_problem(resp, 400, "badNonce", NULL, "JWS has no anti-replay nonce"));

    if (!j->url)
        return answered(
            afz_srv_problem(resp, 400, "malformed", NULL, "JWS header parameter 'url' required"));
    if (strcmp(j->url, req->url) != 0)
        return answered(
            afz_srv_problem(resp, 403, "unauthorized", NULL,
                            "JWS header parameter 'url' incorrect. Expected \"%.*s\" got "
                            "\"%.*s\"",
                            SRV_ECHO_MAX * 2, req->url, SRV_ECHO_MAX * 2, j->url));

    rc = auth_key(s, mode, auth, resp);
    if (rc != AFZ_OK)
        return rc;

    EVP_PKEY *key = auth->acct ? auth->acct->key : auth->jwk_key;
    rc = afz_jws_verify(j, key);
    if (rc == AFZ_ENOMEM)
        return rc;
    if (rc != AFZ_OK)
        return answered(afz_srv_problem(resp, 400, "malformed", NULL, "JWS verification error"));
    const char *bad = nonce_consume(s, j->nonce);
    if (bad)
        return answered(afz_srv_problem(resp, 400, "badNonce", NULL, "%s", bad));
    if (auth->acct) /* an authenticated use: the account is not the one to evict */
        auth->acct->last_used = ++s->acct_tick;
    return AFZ_OK;
}
