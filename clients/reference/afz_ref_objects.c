/* afz_ref_objects.c - parsing of order and authorization objects for the
 * reference client. Every server value is untrusted: wrong types, missing
 * members and unknown status strings end in AFZ_EPROTO with a reason,
 * never in a crash. See afz_ref_internal.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_json.h"
#include "afz_ref_internal.h"

/* AFZ_REF_MAX_AUTHZ bounds the authorizations of one order. */
#define AFZ_REF_MAX_AUTHZ 100
/* AFZ_REF_MAX_CHAL bounds the challenges kept from one authorization. */
#define AFZ_REF_MAX_CHAL 16

/* error_text formats an "error" member (a problem document) as
 * "type: detail" into |out|; "" when absent or not an object. */
static void error_text(const cJSON *obj, char *out, size_t cap)
{
    out[0] = '\0';
    const cJSON *err = afz_json_object(obj, "error");
    if (!err)
        return;
    const char *type = afz_json_str(err, "type");
    const char *detail = afz_json_str(err, "detail");
    if (type && strncmp(type, AFZ_REF_ACME_ERR_PREFIX, strlen(AFZ_REF_ACME_ERR_PREFIX)) == 0)
        type += strlen(AFZ_REF_ACME_ERR_PREFIX);
    char t[64], d[160];
    afz_ref_sanitize(type ? type : "error", type ? strlen(type) : 5, t, sizeof(t));
    afz_ref_sanitize(detail ? detail : "", detail ? strlen(detail) : 0, d, sizeof(d));
    snprintf(out, cap, "%s: %s", t, d[0] ? d : "(no detail)");
}

/* status_of reads "status"; on failure writes why and returns UNKNOWN. */
static afz_ref_status status_of(const cJSON *obj, afz_ref_obj kind, const char *what, char *why,
                                size_t why_len)
{
    const char *s = afz_json_str(obj, "status");
    if (!s) {
        snprintf(why, why_len, "%s has no status string", what);
        return AFZ_REF_ST_UNKNOWN;
    }
    afz_ref_status st = afz_ref_status_parse(s, kind);
    if (st == AFZ_REF_ST_UNKNOWN) {
        char clean[48];
        afz_ref_sanitize(s, strlen(s), clean, sizeof(clean));
        snprintf(why, why_len, "%s has unknown status \"%s\"", what, clean);
    }
    return st;
}

/* url_member copies an optional URL member: AFZ_OK with *out NULL when
 * absent, AFZ_EPROTO when present but not a valid URL string. */
static afz_rc url_member(const cJSON *obj, const char *key, const char *what, char **out, char *why,
                         size_t why_len)
{
    *out = NULL;
    if (!cJSON_GetObjectItemCaseSensitive(obj, key))
        return AFZ_OK;
    const char *s = afz_json_str(obj, key);
    if (!afz_ref_url_ok(s)) {
        snprintf(why, why_len, "%s \"%s\" is not a valid URL", what, key);
        return AFZ_EPROTO;
    }
    *out = afz_strdup(s);
    return *out ? AFZ_OK : AFZ_ENOMEM;
}

/* ids_match: 1 when the order's identifiers array equals |ids| as a set. */
static int ids_match(const cJSON *arr, const char *const *ids, size_t n_ids)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const char *type = afz_json_str(it, "type");
        const char *value = afz_json_str(it, "value");
        if (!type || !value || strcmp(type, "dns") != 0)
            return 0;
        size_t k = 0;
        while (k < n_ids && !afz_strcaseeq(ids[k], value))
            k++;
        if (k == n_ids)
            return 0;
    }
    for (size_t k = 0; k < n_ids; k++) {
        int found = 0;
        cJSON_ArrayForEach(it, arr)
        {
            const char *value = afz_json_str(it, "value");
            if (value && afz_strcaseeq(ids[k], value)) {
                found = 1;
                break;
            }
        }
        if (!found)
            return 0;
    }
    return 1;
}

afz_rc afz_ref_order_parse(const void *body, size_t n, const char *const *ids, size_t n_ids,
                           afz_ref_order *o, char *why, size_t why_len)
{
    memset(o, 0, sizeof(*o));
    cJSON *j = NULL;
    afz_rc rc = AFZ_EPROTO;
    if (!body || afz_json_parse_object(body, n, &j) != AFZ_OK) {
        snprintf(why, why_len, "order is not a JSON object");
        goto out;
    }
    o->status = status_of(j, AFZ_REF_OBJ_ORDER, "order", why, why_len);
    if (o->status == AFZ_REF_ST_UNKNOWN)
        goto out;
    error_text(j, o->error, sizeof(o->error));

    const cJSON *idents = cJSON_GetObjectItemCaseSensitive(j, "identifiers");
    if (idents && (!cJSON_IsArray(idents) || !ids_match(idents, ids, n_ids))) {
        /* RFC 8555 7.1.3: identifiers are immutable; a different set means
         * this is not the order asked for. */
        snprintf(why, why_len, "order identifiers differ from the ones requested");
        /* Well-formed but other names: not the order asked for. Malformed
         * identifiers prove nothing, so they stay a protocol error. */
        int well_formed = cJSON_IsArray(idents) && cJSON_GetArraySize(idents) > 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, idents)
        {
            if (!afz_json_str(it, "value"))
                well_formed = 0;
        }
        if (well_formed)
            rc = AFZ_ENOTFOUND;
        goto out;
    }

    const cJSON *az = cJSON_GetObjectItemCaseSensitive(j, "authorizations");
    if (az) {
        if (!cJSON_IsArray(az)) {
            snprintf(why, why_len, "order \"authorizations\" is not an array");
            goto out;
        }
        int total = cJSON_GetArraySize(az);
        if (total > AFZ_REF_MAX_AUTHZ) {
            snprintf(why, why_len, "order lists %d authorizations", total);
            goto out;
        }
        o->authz = calloc(total > 0 ? (size_t)total : 1, sizeof(*o->authz));
        if (!o->authz) {
            rc = AFZ_ENOMEM;
            goto out;
        }
        const cJSON *it;
        cJSON_ArrayForEach(it, az)
        {
            const char *u = cJSON_IsString(it) ? it->valuestring : NULL;
            if (!afz_ref_url_ok(u)) {
                snprintf(why, why_len, "order lists an authorization that is not a URL");
                goto out;
            }
            size_t k = 0;
            while (k < o->n_authz && strcmp(o->authz[k], u) != 0)
                k++;
            if (k < o->n_authz)
                continue; /* listed twice: handle it once */
            if (!(o->authz[o->n_authz] = afz_strdup(u))) {
                rc = AFZ_ENOMEM;
                goto out;
            }
            o->n_authz++;
        }
    }
    rc = url_member(j, "finalize", "order", &o->finalize, why, why_len);
    if (rc == AFZ_OK)
        rc = url_member(j, "certificate", "order", &o->certificate, why, why_len);
out:
    cJSON_Delete(j);
    return rc;
}

void afz_ref_order_cleanup(afz_ref_order *o)
{
    for (size_t i = 0; i < o->n_authz; i++)
        free(o->authz[i]);
    free(o->authz);
    free(o->finalize);
    free(o->certificate);
    memset(o, 0, sizeof(*o));
}

static afz_ref_chal_type chal_type(const char *s)
{
    if (!s)
        return AFZ_REF_CHAL_OTHER;
    if (strcmp(s, "http-01") == 0)
        return AFZ_REF_CHAL_HTTP01;
    if (strcmp(s, "dns-01") == 0)
        return AFZ_REF_CHAL_DNS01;
    if (strcmp(s, "tls-alpn-01") == 0)
        return AFZ_REF_CHAL_TLSALPN01;
    return AFZ_REF_CHAL_OTHER;
}

afz_rc afz_ref_authz_parse(const void *body, size_t n, afz_ref_authz *a, char *why, size_t why_len)
{
    memset(a, 0, sizeof(*a));
    cJSON *j = NULL;
    afz_rc rc = AFZ_EPROTO;
    if (!body || afz_json_parse_object(body, n, &j) != AFZ_OK) {
        snprintf(why, why_len, "authorization is not a JSON object");
        goto out;
    }
    a->status = status_of(j, AFZ_REF_OBJ_AUTHZ, "authorization", why, why_len);
    if (a->status == AFZ_REF_ST_UNKNOWN)
        goto out;
    int wc = 0;
    if (afz_json_bool(j, "wildcard", &wc) == 0)
        a->wildcard = wc;
    const char *value = afz_json_str(afz_json_object(j, "identifier"), "value");
    afz_ref_sanitize(value ? value : "?", value ? strlen(value) : 1, a->identifier,
                     sizeof(a->identifier));

    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(j, "challenges");
    if (ch && !cJSON_IsArray(ch)) {
        snprintf(why, why_len, "authorization \"challenges\" is not an array");
        goto out;
    }
    a->chal = calloc(AFZ_REF_MAX_CHAL, sizeof(*a->chal));
    if (!a->chal) {
        rc = AFZ_ENOMEM;
        goto out;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, ch)
    {
        if (a->n_chal == AFZ_REF_MAX_CHAL)
            break;
        /* Unknown challenge types are legal (RFC 8555 7.1.5) and their
         * members may look like anything: skip them unexamined. */
        afz_ref_chal_type t = chal_type(afz_json_str(it, "type"));
        const char *url = afz_json_str(it, "url");
        if (t == AFZ_REF_CHAL_OTHER || !afz_ref_url_ok(url))
            continue;
        afz_ref_chal *c = &a->chal[a->n_chal];
        c->type = t;
        c->status = afz_ref_status_parse(afz_json_str(it, "status"), AFZ_REF_OBJ_CHALLENGE);
        error_text(it, c->error, sizeof(c->error));
        const char *token = afz_json_str(it, "token");
        if (!(c->url = afz_strdup(url))) {
            rc = AFZ_ENOMEM;
            goto out;
        }
        a->n_chal++;
        if (afz_ref_token_ok(token) && !(c->token = afz_strdup(token))) {
            rc = AFZ_ENOMEM;
            goto out;
        }
    }
    rc = AFZ_OK;
out:
    cJSON_Delete(j);
    return rc;
}

void afz_ref_authz_cleanup(afz_ref_authz *a)
{
    for (size_t i = 0; i < a->n_chal; i++) {
        free(a->chal[i].url);
        free(a->chal[i].token);
    }
    free(a->chal);
    memset(a, 0, sizeof(*a));
}

const afz_ref_chal *afz_ref_authz_pick(const afz_ref_authz *a)
{
    static const afz_ref_chal_type prefer[] = {AFZ_REF_CHAL_HTTP01, AFZ_REF_CHAL_DNS01,
                                               AFZ_REF_CHAL_TLSALPN01};
    for (size_t p = 0; p < sizeof(prefer) / sizeof(prefer[0]); p++) {
        /* RFC 8555 7.1.3 / 8.4: a wildcard name can only be proven by
         * dns-01. */
        if (a->wildcard && prefer[p] != AFZ_REF_CHAL_DNS01)
            continue;
        for (size_t i = 0; i < a->n_chal; i++) {
            const afz_ref_chal *c = &a->chal[i];
            if (c->type == prefer[p] && c->token && c->status != AFZ_REF_ST_UNKNOWN &&
                c->status != AFZ_REF_ST_INVALID)
                return c;
        }
    }
    return NULL;
}

const char *afz_ref_authz_error(const afz_ref_authz *a)
{
    for (size_t i = 0; i < a->n_chal; i++)
        if (a->chal[i].error[0])
            return a->chal[i].error;
    return "";
}

afz_rc afz_ref_challenge_parse(const void *body, size_t n, afz_ref_status *st, char *err,
                               size_t err_len)
{
    *st = AFZ_REF_ST_UNKNOWN;
    err[0] = '\0';
    cJSON *j = NULL;
    if (!body || afz_json_parse_object(body, n, &j) != AFZ_OK)
        return AFZ_EPROTO;
    *st = afz_ref_status_parse(afz_json_str(j, "status"), AFZ_REF_OBJ_CHALLENGE);
    error_text(j, err, err_len);
    cJSON_Delete(j);
    return *st == AFZ_REF_ST_UNKNOWN ? AFZ_EPROTO : AFZ_OK;
}
