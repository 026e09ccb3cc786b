/* afz_server_cert.c - finalize (RFC 8555 7.4), issuance through the
 * harness CA, certificate download (7.4.2) and revocation (7.6). */
#include "afz_server_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <stdio.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "afz_b64.h"
#include "afz_csr.h"

static afz_rc answered(afz_rc problem_rc)
{
    return problem_rc == AFZ_OK ? AFZ_EPROTO : problem_rc;
}

static afz_srv_order *order_by_cert(const afz_server *s, const char *id, size_t n)
{
    if (n != SRV_ID_LEN)
        return NULL;
    for (size_t i = 0; i < s->n_orders; i++) {
        afz_srv_order *o = s->orders[i];
        if (o->cert_url && memcmp(o->cert_id, id, n) == 0)
            return o;
    }
    return NULL;
}

static int serial_in_use(const afz_server *s, uint64_t serial)
{
    for (size_t i = 0; i < s->n_orders; i++)
        if (s->orders[i]->cert_url && s->orders[i]->serial == serial)
            return 1;
    return 0;
}

/* issue_alternates issues the leaf of |o| from every alternate hierarchy
 * (PEBBLE_ALTERNATE_ROOTS): same key, names, serial and validity. */
static afz_rc issue_alternates(afz_server *s, afz_srv_order *o, uint64_t serial)
{
    size_t n = s->cfg.n_alt_cas;
    o->alt_pem = calloc(n, sizeof(*o->alt_pem));
    o->alt_pem_len = calloc(n, sizeof(*o->alt_pem_len));
    if (!o->alt_pem || !o->alt_pem_len)
        return AFZ_ENOMEM;
    o->n_alt = n;
    afz_rc rc = AFZ_OK;
    for (size_t k = 0; k < n && rc == AFZ_OK; k++) {
        afz_buf pem;
        afz_buf_init(&pem, 0);
        rc = s->cfg.alt_cas[k] ? AFZ_OK : AFZ_EINVAL;
        if (rc == AFZ_OK)
            rc = afz_ca_issue(s->cfg.alt_cas[k], o->csr_key, (const char *const *)o->names,
                              o->n_names, serial, afz_clock_wall_ms(s->clock) / 1000,
                              afz_srv_profile_validity(s, o), &pem, NULL);
        if (rc == AFZ_OK && !(o->alt_pem[k] = afz_buf_take(&pem, &o->alt_pem_len[k])))
            rc = AFZ_ENOMEM;
        afz_buf_cleanup(&pem);
    }
    return rc;
}

void afz_srv_order_issue(afz_server *s, afz_srv_order *o)
{
    if (s->cfg.finalize_fails) {
        /* Issuance failed after processing began: Boulder marks the order
         * invalid rather than leave it processing forever. */
        EVP_PKEY_free(o->csr_key);
        o->csr_key = NULL;
        afz_srv_order_fail(s, o, "serverInternal", "Error finalizing order: issuance failed");
        return;
    }
    afz_buf pem;
    afz_buf_init(&pem, 0);
    uint64_t serial;
    /* A positive 63-bit serial, unique among the certificates held. */
    do {
        serial = afz_prng_next(s->prng) >> 1;
    } while (serial == 0 || serial_in_use(s, serial));
    char hex[17] = "";
    afz_rc rc = AFZ_EINVAL;
    if (s->ca && o->csr_key)
        rc = afz_ca_issue(s->ca, o->csr_key, (const char *const *)o->names, o->n_names, serial,
                          afz_clock_wall_ms(s->clock) / 1000, afz_srv_profile_validity(s, o), &pem,
                          hex);
    if (rc == AFZ_OK) {
        if (o->early_cert_id[0])
            memcpy(o->cert_id, o->early_cert_id, sizeof(o->cert_id));
        else
            afz_srv_new_id(s, o->cert_id);
        o->cert_url = afz_srv_url(s, "/cert/", o->cert_id, NULL);
        o->cert_up_url = afz_srv_url(s, "/cert/", o->cert_id, "/up");
        o->cert_pem = afz_buf_take(&pem, &o->cert_pem_len);
        if (!o->cert_url || !o->cert_up_url || !o->cert_pem) {
            free(o->cert_url);
            free(o->cert_up_url);
            free(o->cert_pem);
            o->cert_url = o->cert_up_url = o->cert_pem = NULL;
            rc = AFZ_ENOMEM;
        }
    }
    afz_buf_cleanup(&pem);
    if (rc == AFZ_OK && s->cfg.n_alt_cas)
        rc = issue_alternates(s, o, serial);
    EVP_PKEY_free(o->csr_key);
    o->csr_key = NULL;
    if (rc != AFZ_OK) {
        for (size_t k = 0; k < o->n_alt; k++)
            free(o->alt_pem[k]);
        free(o->alt_pem);
        free(o->alt_pem_len);
        o->alt_pem = NULL;
        o->alt_pem_len = NULL;
        o->n_alt = 0;
        free(o->cert_url);
        free(o->cert_up_url);
        free(o->cert_pem);
        o->cert_url = o->cert_up_url = o->cert_pem = NULL;
        afz_srv_order_fail(s, o, "serverInternal", "Certificate issuance failed");
        return;
    }
    o->serial = serial;
    o->issued_ms = afz_srv_now(s);
    /* RFC 9773 certID; without one the certificate has no renewalInfo */
    if (s->cfg.ari && afz_srv_ari_cert_id(o->cert_pem, o->cert_pem_len, &o->ari_id) != AFZ_OK)
        o->ari_id = NULL;
    memcpy(o->serial_hex, hex, sizeof(o->serial_hex));
    o->serial_hex[sizeof(o->serial_hex) - 1] = '\0';
    o->status = AFZ_ST_VALID;
    afz_srv_event(s, AFZ_EV_CERT_ISSUED, o->cert_url, o->url, o->names_joined, o->serial_hex, NULL);
}

/* ---- finalize ---- */

static afz_rc bad_csr(afz_server *s, afz_srv_order *o, afz_csr_verdict v, afz_response *resp)
{
    afz_srv_event(s, AFZ_EV_FINALIZE_REJECTED, o->url, NULL, o->names_joined, NULL, "badCSR");
    return answered(afz_srv_problem(resp, 400, "badCSR", NULL, "%s", afz_csr_verdict_detail(v)));
}

afz_rc afz_srv_finalize(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                        afz_response *resp)
{
    afz_srv_auth auth;
    cJSON *p = NULL;
    afz_buf der;
    afz_csr csr;
    afz_buf_init(&der, SRV_MAX_BODY);
    memset(&csr, 0, sizeof(csr));
    afz_rc rc = afz_srv_authenticate(s, req, SRV_KEY_KID, &auth, resp);
    if (rc != AFZ_OK)
        goto out;
    afz_srv_order *o = afz_srv_order_find(s, rt->id, rt->id_len);
    if (!o) {
        rc = afz_srv_not_found(resp, "Order not found");
        goto out;
    }
    if (o->acct != auth.acct) {
        rc = afz_srv_unauthorized(resp, "Account does not own this order");
        goto out;
    }
    afz_srv_order_refresh(s, o, 0);
    /* Boulder's wording, the one clients met in July 2023. */
    if (o->status != AFZ_ST_READY) {
        rc = answered(afz_srv_problem(resp, 403, "orderNotReady", NULL,
                                      "Order's status (\"%s\") is not acceptable for finalization",
                                      afz_status_name(o->status)));
        goto out;
    }
    rc = afz_srv_payload_object(&auth, resp, &p);
    if (rc != AFZ_OK)
        goto out;
    const char *b64 = afz_json_str(p, "csr");
    if (!b64) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "Finalize payload must carry a \"csr\" string"));
        goto out;
    }
    if (afz_b64url_decode(b64, strlen(b64), &der) != AFZ_OK) {
        rc = answered(
            afz_srv_problem(resp, 400, "malformed", NULL, "Error decoding base64url-encoded CSR"));
        goto out;
    }
    afz_csr_verdict v = AFZ_CSR_UNPARSABLE;
    rc = afz_csr_parse((const uint8_t *)der.data, der.len, &csr, &v);
    if (rc == AFZ_ENOMEM)
        goto out;
    if (rc == AFZ_OK)
        v = afz_csr_check(&csr, (const char *const *)o->names, o->n_names, o->acct->key);
    else if (v == AFZ_CSR_OK)
        v = AFZ_CSR_UNPARSABLE;
    /* Boulder refuses SHA-1 CSRs; so does the model unless configured. */
    if (v == AFZ_CSR_OK && csr.weak_digest && !s->cfg.allow_weak_csr_digest)
        v = AFZ_CSR_WEAK_SIGNATURE;
    /* RSA under 2048 bits, P-521: Pebble issues, Boulder (strict_keys)
     * refuses */
    if (v == AFZ_CSR_OK && csr.pebble_key && s->cfg.strict_keys)
        v = AFZ_CSR_UNSUPPORTED_KEY;
    if (v != AFZ_CSR_OK) {
        rc = bad_csr(s, o, v, resp);
        goto out;
    }
    afz_srv_event(s, AFZ_EV_FINALIZE_ACCEPTED, o->url, NULL, o->names_joined, NULL, NULL);
    o->csr_key = csr.pubkey;
    csr.pubkey = NULL;
    o->status = AFZ_ST_PROCESSING;
    o->finalized_ms = afz_srv_now(s);
    o->polls = 0;
    if (s->cfg.cert_url_early && s->cfg.async_finalize && !o->early_cert_id[0])
        afz_srv_new_id(s, o->early_cert_id);
    if (!s->cfg.async_finalize)
        afz_srv_order_issue(s, o);
    if (o->status == AFZ_ST_INVALID) {
        rc = answered(afz_srv_problem(resp, 500, "serverInternal", NULL,
                                      "Error finalizing order: certificate issuance failed"));
        goto out;
    }
    rc = afz_srv_order_respond(s, o, 200, resp);
    if (rc == AFZ_OK)
        rc = afz_srv_add_header(resp, "Location", o->url);
out:
    afz_csr_cleanup(&csr);
    afz_buf_cleanup(&der);
    cJSON_Delete(p);
    afz_srv_auth_cleanup(&auth);
    return rc;
}

/* ---- certificate ---- */

static afz_rc pem_respond(const char *pem, size_t n, afz_response *resp)
{
    afz_rc rc = afz_response_set_body(resp, pem, n);
    resp->status = 200;
    if (rc == AFZ_OK)
        rc = afz_srv_add_header(resp, "Content-Type", "application/pem-certificate-chain");
    return rc;
}

afz_rc afz_srv_cert_op(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                       afz_response *resp)
{
    afz_srv_auth auth;
    afz_rc rc = afz_srv_authenticate(s, req, SRV_KEY_KID, &auth, resp);
    if (rc != AFZ_OK)
        goto out;
    size_t id_len = rt->id_len;
    unsigned alt = 0;
    if (rt->op == SRV_OP_CERT_ALT) {
        /* "<cert id>-<n>": the n-th alternate chain, n = 1..99. */
        const char *dash = memchr(rt->id, '-', id_len);
        size_t digits = dash ? id_len - (size_t)(dash - rt->id) - 1 : 0;
        for (size_t i = 0; i < digits && digits <= 2; i++) {
            char d = dash[1 + i];
            alt = d >= '0' && d <= '9' ? alt * 10 + (unsigned)(d - '0') : 0;
            if (!alt && d != '0')
                break;
        }
        if (!dash || dash == rt->id || digits == 0 || digits > 2 || alt == 0) {
            rc = afz_srv_not_found(resp, "Certificate not found");
            goto out;
        }
        id_len -= digits + 1;
    }
    afz_srv_order *o = order_by_cert(s, rt->id, id_len);
    unsigned n_alt = s->cfg.alternate_chains;
    if (o && o->n_alt > n_alt)
        n_alt = (unsigned)o->n_alt;
    if (!o || alt > n_alt) {
        rc = afz_srv_not_found(resp, "Certificate not found");
        goto out;
    }
    rc = afz_srv_require_empty(&auth, resp);
    if (rc != AFZ_OK)
        goto out;
    if (rt->op == SRV_OP_CERT_UP) {
        /* The issuer is public: any account may fetch it. */
        const char *up = s->ca ? afz_ca_intermediate_pem(s->ca) : NULL;
        if (!up) {
            rc = afz_srv_not_found(resp, "Issuer not found");
            goto out;
        }
        rc = pem_respond(up, strlen(up), resp);
        goto out;
    }
    if (o->acct != auth.acct) {
        rc = afz_srv_unauthorized(resp, "Account does not own this certificate");
        goto out;
    }
    /* Pebble no longer serves a revoked certificate (404); RFC 8555 says
     * nothing either way, and a drop-in must match Pebble-based tests. */
    if (o->revoked) {
        rc = afz_srv_not_found(resp, "Certificate not found (revoked)");
        goto out;
    }
    /* RFC 8555 7.4.2: alternate chains for the same leaf. Alternate k up
     * to o->n_alt comes from the k-th alternate hierarchy and links the
     * main chain and the other alternates, as Pebble's do; one beyond
     * (the alternate_chains fault) serves the main chain again. */
    int real_alt = alt > 0 && alt <= o->n_alt;
    if (real_alt)
        rc = pem_respond(o->alt_pem[alt - 1], o->alt_pem_len[alt - 1], resp);
    else
        rc = pem_respond(o->cert_pem, o->cert_pem_len, resp);
    if (rc == AFZ_OK && !real_alt)
        rc = afz_srv_add_link(resp, o->cert_up_url, "up");
    if (rc == AFZ_OK && real_alt)
        rc = afz_srv_add_link(resp, o->cert_url, "alternate");
    for (unsigned k = 1; (rt->op == SRV_OP_CERT || real_alt) && k <= n_alt && rc == AFZ_OK; k++) {
        if (k == alt)
            continue;
        char tail[8];
        snprintf(tail, sizeof(tail), "-%u", k);
        char *url = afz_srv_url(s, "/alt-cert/", o->cert_id, tail);
        rc = url ? afz_srv_add_link(resp, url, "alternate") : AFZ_ENOMEM;
        free(url);
    }
    if (rc == AFZ_OK)
        afz_srv_event(s, AFZ_EV_CERT_DOWNLOADED, o->cert_url, o->url, o->names_joined,
                      o->serial_hex, NULL);
out:
    afz_srv_auth_cleanup(&auth);
    return rc;
}

/* ---- revokeCert ---- */

/* Reads "reason" (RFC 5280 5.3.1 codes; 7 is unused). -1 when invalid. */
static int revocation_reason(const cJSON *p)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(p, "reason");
    if (!r)
        return 0;
    if (!cJSON_IsNumber(r))
        return -1;
    double d = r->valuedouble;
    if (!(d >= 0 && d <= 10) || d != (double)(int)d || (int)d == 7)
        return -1;
    return (int)d;
}

/* The order holding the certificate |x|, or NULL. */
static afz_srv_order *order_by_x509(const afz_server *s, X509 *x)
{
    uint64_t serial = 0;
    if (ASN1_INTEGER_get_uint64(&serial, X509_get0_serialNumber(x)) != 1)
        return NULL;
    for (size_t i = 0; i < s->n_orders; i++) {
        afz_srv_order *o = s->orders[i];
        if (!o->cert_pem || o->serial != serial)
            continue;
        /* the main leaf, or one an alternate hierarchy issued */
        int same = 0;
        for (size_t k = 0; k <= o->n_alt && !same; k++) {
            const char *pem = k ? o->alt_pem[k - 1] : o->cert_pem;
            size_t len = k ? o->alt_pem_len[k - 1] : o->cert_pem_len;
            BIO *bio = BIO_new_mem_buf(pem, (int)len);
            X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
            same = leaf && X509_cmp(leaf, x) == 0;
            X509_free(leaf);
            BIO_free(bio);
        }
        return same ? o : NULL;
    }
    return NULL;
}

afz_rc afz_srv_revoke(afz_server *s, const afz_request *req, afz_response *resp)
{
    afz_srv_auth auth;
    cJSON *p = NULL;
    X509 *x = NULL;
    afz_buf der;
    afz_buf_init(&der, SRV_MAX_BODY);
    afz_rc rc = afz_srv_authenticate(s, req, SRV_KEY_EITHER, &auth, resp);
    if (rc != AFZ_OK)
        goto out;
    rc = afz_srv_payload_object(&auth, resp, &p);
    if (rc != AFZ_OK)
        goto out;
    const char *b64 = afz_json_str(p, "certificate");
    if (!b64 || afz_b64url_decode(b64, strlen(b64), &der) != AFZ_OK || der.len == 0 ||
        der.len > INT32_MAX) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                      "Revocation payload must carry a base64url \"certificate\""));
        goto out;
    }
    const unsigned char *q = (const unsigned char *)der.data;
    x = d2i_X509(NULL, &q, (long)der.len);
    if (!x || q != (const unsigned char *)der.data + der.len) {
        rc = answered(afz_srv_problem(resp, 400, "malformed", NULL, "Unable to parse certificate"));
        goto out;
    }
    int reason = revocation_reason(p);
    if (reason < 0) {
        rc = answered(afz_srv_problem(resp, 400, "badRevocationReason", NULL,
                                      "Unsupported revocation reason code provided"));
        goto out;
    }
    afz_srv_order *o = order_by_x509(s, x);
    if (!o) {
        rc = afz_srv_not_found(resp, "Certificate not found");
        goto out;
    }
    /* RFC 8555 7.6: the issuing account, or the certificate's own key. */
    int allowed =
        auth.acct ? auth.acct == o->acct : EVP_PKEY_eq(X509_get0_pubkey(x), auth.jwk_key) == 1;
    if (!allowed) {
        rc = afz_srv_unauthorized(resp, "The request is not authorized to revoke this certificate");
        goto out;
    }
    if (o->revoked) {
        rc = answered(
            afz_srv_problem(resp, 400, "alreadyRevoked", NULL, "Certificate already revoked"));
        goto out;
    }
    o->revoked = 1;
    afz_srv_event(s, AFZ_EV_CERT_REVOKED, o->cert_url, o->url, o->names_joined, o->serial_hex,
                  NULL);
    resp->status = 200;
    rc = AFZ_OK;
out:
    /* A hostile certificate or key leaves OpenSSL errors (d2i, a serial
     * too large, keys of different types): none may outlive the request,
     * or the thread's next SSL_get_error would report them. */
    ERR_clear_error();
    X509_free(x);
    afz_buf_cleanup(&der);
    cJSON_Delete(p);
    afz_srv_auth_cleanup(&auth);
    return rc;
}
