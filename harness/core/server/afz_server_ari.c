/* afz_server_ari.c - ACME Renewal Information (RFC 9773) in the server
 * model, when config.ari is set (`acmefuzz serve` sets it; the in-process
 * model leaves it off, so fuzzing and saved corpora are unchanged).
 *
 * - The directory names "renewalInfo" (<base>/renewal-info, afz_server.c).
 * - GET (or HEAD) <base>/renewal-info/<certID> answers 200 with
 *   {"suggestedWindow":{"start","end"}} and Retry-After. The certID is
 *   RFC 9773 4.1's: base64url of the leaf's Authority Key Identifier
 *   keyIdentifier, ".", base64url of the DER serial's content octets, both
 *   unpadded. The window is the fifth sixth of the validity
 *   ([2/3, 5/6] of notBefore..notAfter); for a revoked certificate it lies
 *   in the past (renew now). Unknown certificate: 404; a certID that does
 *   not parse: 400 malformed; POST: 405 (RFC 9773 serves it by
 *   unauthenticated GET).
 * - newOrder's "replaces" (RFC 9773 5): it must name a certificate of the
 *   same account sharing an identifier with the order (else 400
 *   malformed); one already named by an order that is not "invalid" gets
 *   409 alreadyReplaced; the order object then carries "replaces".
 * Text relied on. RFC 9773 4.2: "A RenewalInfo object in which the end
 * timestamp equals or precedes the start timestamp is invalid. Servers
 * MUST NOT serve such a response" (the window here always has end >
 * start). draft-ietf-acme-ari, RFC 9773's source (its final wording was
 * not retrieved here): "If the Server rejects the request because the
 * identified certificate has already been marked as replaced, it MUST
 * return an HTTP 409 (Conflict) with a problem document of type
 * "alreadyReplaced"" and "If the Server accepts a new-order request with a
 * "replaces" field, it MUST reflect that field in the response and in
 * subsequent requests for the corresponding Order object."; the other
 * checks are a SHOULD there ("If any of these checks fail, the Server
 * SHOULD reject the new-order request.").
 * Only the main chain's leaf has a certID here (alternate chains, issued
 * under other intermediates, do not). The exchanges are of kind
 * AFZ_RES_UNKNOWN: no fault or property names ARI yet. */
#include "afz_server_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "afz_b64.h"

#define ARI_DEFAULT_RETRY_AFTER_S 21600

static afz_rc answered(afz_rc problem_rc)
{
    return problem_rc == AFZ_OK ? AFZ_EPROTO : problem_rc;
}

afz_rc afz_srv_ari_cert_id(const char *pem, size_t len, char **out)
{
    afz_rc rc = AFZ_ECRYPTO;
    unsigned char *der = NULL;
    afz_buf b;
    afz_buf_init(&b, 0);
    *out = NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    const ASN1_OCTET_STRING *aki = x ? X509_get0_authority_key_id(x) : NULL;
    if (!aki)
        goto out;
    int n = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &der);
    if (n <= 0)
        goto out;
    /* the INTEGER's content octets, without tag and length */
    const unsigned char *p = der;
    long clen = 0;
    int tag = 0, cls = 0;
    if (ASN1_get_object(&p, &clen, &tag, &cls, n) & 0x80 || tag != V_ASN1_INTEGER || clen <= 0)
        goto out;
    if ((rc = afz_b64url_encode(ASN1_STRING_get0_data(aki), (size_t)ASN1_STRING_length(aki), &b)) !=
            AFZ_OK ||
        (rc = afz_buf_putc(&b, '.')) != AFZ_OK ||
        (rc = afz_b64url_encode(p, (size_t)clen, &b)) != AFZ_OK)
        goto out;
    *out = afz_buf_take(&b, NULL);
    rc = *out ? AFZ_OK : AFZ_ENOMEM;
out:
    if (rc == AFZ_ECRYPTO)
        ERR_clear_error();
    OPENSSL_free(der);
    X509_free(x);
    BIO_free(bio);
    afz_buf_cleanup(&b);
    return rc;
}

afz_srv_order *afz_srv_ari_find(const afz_server *s, const char *id, size_t n)
{
    for (size_t i = 0; i < s->n_orders; i++) {
        afz_srv_order *o = s->orders[i];
        if (o->ari_id && strlen(o->ari_id) == n && memcmp(o->ari_id, id, n) == 0)
            return o;
    }
    return NULL;
}

/* cert_id_well_formed: two non-empty unpadded base64url parts around one
 * period. */
static int cert_id_well_formed(const char *id, size_t n)
{
    const char *dot = memchr(id, '.', n);
    if (!dot || dot == id || dot == id + n - 1 || memchr(dot + 1, '.', n - (size_t)(dot - id) - 1))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!(c == '.' || c == '-' || c == '_' || (c >= '0' && c <= '9') ||
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return 0;
    }
    afz_buf b;
    afz_buf_init(&b, 0);
    size_t a = (size_t)(dot - id);
    int ok = afz_b64url_decode(id, a, &b) == AFZ_OK &&
             afz_b64url_decode(dot + 1, n - a - 1, &b) == AFZ_OK;
    afz_buf_cleanup(&b);
    return ok;
}

afz_rc afz_srv_renewal_info(afz_server *s, const afz_request *req, const afz_srv_route *rt,
                            afz_response *resp)
{
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        afz_rc rc = afz_srv_problem(resp, 405, "malformed", NULL,
                                    "renewalInfo is served by unauthenticated GET (RFC 9773)");
        return rc == AFZ_OK ? afz_srv_add_header(resp, "Allow", "GET, HEAD") : rc;
    }
    if (!cert_id_well_formed(rt->id, rt->id_len))
        return afz_srv_problem(resp, 400, "malformed", NULL,
                               "Invalid certID: want base64url(AKI keyIdentifier) \".\" "
                               "base64url(serial), unpadded");
    afz_srv_order *o = afz_srv_ari_find(s, rt->id, rt->id_len);
    if (!o)
        return afz_srv_problem(resp, 404, "malformed", NULL, "Certificate not found");
    int64_t validity_ms = s->cfg.cert_validity_s > INT64_MAX / 1000 ? INT64_MAX / 1000
                                                                    : s->cfg.cert_validity_s * 1000;
    int64_t start, end;
    if (o->revoked) {
        /* renew now: a window wholly in the past */
        end = afz_srv_now(s) - 3600 * 1000;
        start = end - 24 * 3600 * 1000;
    } else {
        start = o->issued_ms + validity_ms / 3 * 2;
        end = o->issued_ms + validity_ms / 6 * 5;
        if (end <= start) /* very short validity: still end > start */
            end = start + 1000;
    }
    afz_srv_w w;
    afz_srv_w_init(&w);
    afz_srv_w_raw(&w, "{\"suggestedWindow\":{\"start\":");
    afz_srv_w_time(&w, s, start);
    afz_srv_w_raw(&w, ",\"end\":");
    afz_srv_w_time(&w, s, end);
    afz_srv_w_raw(&w, "}}");
    afz_rc rc = afz_srv_w_finish(&w, resp, 200, "application/json");
    afz_srv_w_cleanup(&w);
    if (rc == AFZ_OK)
        rc = afz_srv_add_retry_after(
            s, resp,
            s->cfg.ari_retry_after_s > 0 ? s->cfg.ari_retry_after_s : ARI_DEFAULT_RETRY_AFTER_S, 0);
    return rc;
}

afz_rc afz_srv_ari_replaces(afz_server *s, const afz_srv_account *acct, const cJSON *payload,
                            char (*names)[SRV_NAME_MAX_BUF], size_t n, afz_response *resp,
                            char **out)
{
    *out = NULL;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(payload, "replaces");
    if (!r || !s->cfg.ari)
        return AFZ_OK;
    if (!cJSON_IsString(r) || !r->valuestring[0])
        return answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                        "\"replaces\" must be a certID string (RFC 9773 5)"));
    const char *id = r->valuestring;
    afz_srv_order *old = afz_srv_ari_find(s, id, strlen(id));
    if (!old || old->acct != acct)
        return answered(afz_srv_problem(resp, 400, "malformed", NULL,
                                        "\"replaces\" names no certificate of this account"));
    int shared = 0;
    for (size_t i = 0; i < n && !shared; i++)
        for (size_t j = 0; j < old->n_names && !shared; j++)
            shared = strcmp(names[i], old->names[j]) == 0;
    if (!shared)
        return answered(
            afz_srv_problem(resp, 400, "malformed", NULL,
                            "\"replaces\" names a certificate that shares no identifier "
                            "with this order"));
    for (size_t i = 0; i < s->n_orders; i++) {
        afz_srv_order *o = s->orders[i];
        if (o->replaces && strcmp(o->replaces, id) == 0) {
            afz_srv_order_refresh(s, o, 0);
            if (o->status != AFZ_ST_INVALID)
                return answered(afz_srv_problem(resp, 409, "alreadyReplaced", NULL,
                                                "The certificate is already replaced by order %s",
                                                o->url));
        }
    }
    *out = afz_strdup(id);
    return *out ? AFZ_OK : AFZ_ENOMEM;
}
