/* afz_ref_state.c - the reference client's saved order: what a real
 * client keeps in its state directory so that a scheduler retrying a
 * failed renewal resumes the order instead of ordering (and issuing)
 * again. The store is the environment's (afz_env.state_get/state_put);
 * the format and the key are here. See afz_ref_internal.h and the "State"
 * paragraph of afz_reference.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "afz_ref_internal.h"

/* Identifier lists longer than this are hashed into the key, which keeps
 * it well under the store's 4 KiB limit even for 100 long names. */
#define REF_STATE_KEY_LIST_MAX 1024

#define REF_STATE_URL "url="
#define REF_STATE_FINALIZED "finalized=1"

afz_rc afz_ref_state_encode(const char *order_url, int finalized, afz_buf *out)
{
    afz_rc rc = afz_buf_printf(out, REF_STATE_URL "%s\n", order_url);
    if (rc == AFZ_OK && finalized)
        rc = afz_buf_puts(out, REF_STATE_FINALIZED "\n");
    return rc;
}

afz_rc afz_ref_state_decode(const char *value, char **order_url, int *finalized)
{
    *order_url = NULL;
    *finalized = 0;
    const char *p = value;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        size_t k = strlen(REF_STATE_URL);
        if (n > k && memcmp(p, REF_STATE_URL, k) == 0 && !*order_url) {
            char *u = afz_strndup(p + k, n - k);
            if (!u)
                return AFZ_ENOMEM;
            if (!afz_ref_url_ok(u)) {
                free(u);
                return AFZ_EPARSE;
            }
            *order_url = u;
        } else if (n == strlen(REF_STATE_FINALIZED) && memcmp(p, REF_STATE_FINALIZED, n) == 0) {
            *finalized = 1;
        }
        p += n + (nl ? 1 : 0);
    }
    if (!*order_url) {
        *finalized = 0;
        return AFZ_EPARSE;
    }
    return AFZ_OK;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

afz_rc afz_ref_state_key_build(const char *const *ids, size_t n_ids, afz_buf *out)
{
    afz_rc rc = AFZ_ENOMEM;
    afz_buf list;
    afz_buf_init(&list, 0);
    char **v = calloc(n_ids ? n_ids : 1, sizeof(*v));
    if (!v)
        goto out;
    for (size_t i = 0; i < n_ids; i++) {
        /* DNS names compare case-insensitively: one key per name set */
        if (!(v[i] = afz_strdup(ids[i])))
            goto out;
        for (char *c = v[i]; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
    }
    qsort(v, n_ids, sizeof(*v), cmp_name);
    rc = AFZ_OK;
    for (size_t i = 0; i < n_ids && rc == AFZ_OK; i++) {
        if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
            continue;
        if (list.len > 0)
            rc = afz_buf_putc(&list, ',');
        if (rc == AFZ_OK)
            rc = afz_buf_puts(&list, v[i]);
    }
    if (rc != AFZ_OK)
        goto out;
    if (list.len <= REF_STATE_KEY_LIST_MAX) {
        rc = afz_buf_printf(out, "order:%s", afz_buf_cstr(&list));
        goto out;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(list.data, list.len, md, &md_len, EVP_sha256(), NULL) != 1) {
        rc = AFZ_ECRYPTO;
        goto out;
    }
    rc = afz_buf_puts(out, "order:sha256:");
    for (unsigned int i = 0; i < md_len && rc == AFZ_OK; i++)
        rc = afz_buf_printf(out, "%02x", md[i]);
out:
    for (size_t i = 0; v && i < n_ids; i++)
        free(v[i]);
    free(v);
    afz_buf_cleanup(&list);
    return rc;
}

int afz_ref_state_on(const afz_ref *r)
{
    const afz_env *e = r->env;
    const size_t need = offsetof(afz_env, state_put) + sizeof(e->state_put);
    return e->struct_size >= need && e->state_get && e->state_put &&
           !afz_ref_quirk_on(r, AFZ_REF_QUIRK_IGNORE_STATE);
}

/* key returns the saved order's key, building it once; NULL when it cannot
 * be built (out of memory), which only turns saving and resuming off. */
static const char *key(afz_ref *r)
{
    if (r->state_key)
        return r->state_key;
    afz_buf b;
    afz_buf_init(&b, 0);
    if (afz_ref_state_key_build(r->p->identifiers, r->p->n_identifiers, &b) == AFZ_OK)
        r->state_key = afz_buf_take(&b, NULL);
    afz_buf_cleanup(&b);
    return r->state_key;
}

afz_rc afz_ref_state_load(afz_ref *r, char **order_url, int *finalized)
{
    *order_url = NULL;
    *finalized = 0;
    if (!afz_ref_state_on(r))
        return AFZ_OK;
    const char *k = key(r);
    const char *v = k ? r->env->state_get(r->env->ctx, k) : NULL;
    if (!v)
        return AFZ_OK;
    afz_rc rc = afz_ref_state_decode(v, order_url, finalized);
    if (rc == AFZ_EPARSE) {
        afz_ref_log(r, "saved order under %s is unreadable; forgetting it", k);
        afz_ref_state_forget(r);
        rc = AFZ_OK;
    }
    return rc;
}

void afz_ref_state_save(afz_ref *r, const char *order_url, int finalized)
{
    if (!afz_ref_state_on(r))
        return;
    const char *k = key(r);
    afz_buf v;
    afz_buf_init(&v, 0);
    afz_rc rc = k ? afz_ref_state_encode(order_url, finalized, &v) : AFZ_ENOMEM;
    if (rc == AFZ_OK)
        rc = r->env->state_put(r->env->ctx, k, afz_buf_cstr(&v));
    if (rc != AFZ_OK)
        afz_ref_log(r, "could not save order %s: %s", order_url, afz_rc_str(rc));
    afz_buf_cleanup(&v);
}

void afz_ref_state_forget(afz_ref *r)
{
    if (!afz_ref_state_on(r))
        return;
    const char *k = key(r);
    if (!k || !r->env->state_get(r->env->ctx, k))
        return;
    afz_rc rc = r->env->state_put(r->env->ctx, k, NULL);
    if (rc != AFZ_OK)
        afz_ref_log(r, "could not delete the saved order: %s", afz_rc_str(rc));
}
