/* afz_ref_authz.c - the reference client's authorizations (RFC 8555
 * 7.5): fetch each one, answer one challenge when it is pending, poll it
 * until it is valid, honouring Retry-After. See afz_ref_internal.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afz_jose.h"
#include "afz_ref_internal.h"

/* challenge POSTs per authorization (a second only after a lost answer) */
#define REF_CHALLENGE_POSTS 2

/* write_key_authz writes the http-01 key authorization (RFC 8555 8.3:
 * token "." base64url(JWK thumbprint)) to challenge_dir/<token>, the
 * directory a web server serves as /.well-known/acme-challenge/. The token
 * was checked to be base64url, so it cannot leave the directory. */
static afz_rc write_key_authz(afz_ref *r, const char *token, char **path_out)
{
    afz_buf tp, path;
    afz_buf_init(&tp, 0);
    afz_buf_init(&path, 0);
    int fd = -1;
    afz_rc rc = afz_buf_puts(&tp, token);
    if (rc == AFZ_OK)
        rc = afz_buf_putc(&tp, '.');
    if (rc == AFZ_OK)
        rc = afz_jwk_thumbprint(r->p->account_key, &tp);
    if (rc == AFZ_OK)
        rc = afz_buf_printf(&path, "%s/%s", r->p->challenge_dir, token);
    if (rc != AFZ_OK) {
        rc = afz_ref_fail(r, rc, "cannot compute the key authorization: %s", afz_rc_str(rc));
        goto out;
    }
    fd = open(afz_buf_cstr(&path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t done = 0;
    while (fd >= 0 && done < tp.len) {
        ssize_t w = write(fd, tp.data + done, tp.len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    if (fd < 0 || done < tp.len || close(fd) != 0) {
        int e = errno;
        if (fd >= 0 && done < tp.len)
            close(fd);
        fd = -1;
        unlink(afz_buf_cstr(&path));
        rc = afz_ref_fail(r, AFZ_EIO, "cannot write %s: %s", afz_buf_cstr(&path), strerror(e));
        goto out;
    }
    fd = -1;
    afz_ref_log(r, "key authorization written to %s", afz_buf_cstr(&path));
    *path_out = afz_buf_take(&path, NULL);
    if (!*path_out)
        rc = afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
out:
    afz_buf_cleanup(&tp);
    afz_buf_cleanup(&path);
    return rc;
}

static int challenge_active(const afz_ref_authz *a)
{
    for (size_t i = 0; i < a->n_chal; i++)
        if (a->chal[i].status == AFZ_REF_ST_PROCESSING || a->chal[i].status == AFZ_REF_ST_VALID)
            return 1;
    return 0;
}

/* post_challenge triggers validation: POST {} to the challenge URL (RFC
 * 8555 7.5.1; "{}", not the POST-as-GET ""). A lost answer is returned as
 * AFZ_ETRANSPORT for the caller to resolve by polling. */
static afz_rc post_challenge(afz_ref *r, const char *url, afz_response *resp)
{
    int empty = afz_ref_quirk_on(r, AFZ_REF_QUIRK_CHALLENGE_EMPTY_PAYLOAD);
    afz_ref_req q = {.what = "challenge",
                     .method = "POST",
                     .url = url,
                     .sign = 1,
                     .payload = empty ? "" : "{}",
                     .payload_len = empty ? 0 : 2};
    return afz_ref_send(r, &q, resp);
}

/* repost_until_valid is AFZ_REF_QUIRK_REPOST_CHALLENGE: after the
 * challenge was answered, "poll" by POSTing {} to the challenge again and
 * reading the challenge's status from the answer, instead of a
 * POST-as-GET of the authorization (RFC 8555 7.5.1). Each such POST is a
 * new request for validation (8.2), not a read of its outcome. */
static afz_rc repost_until_valid(afz_ref *r, const char *what, const char *ident,
                                 const char *chal_url, afz_headers *hdrs)
{
    afz_response resp;
    afz_response_init(&resp);
    afz_rc rc = AFZ_OK;
    for (unsigned polls = 0;; polls++) {
        if (afz_ref_poll_limit_hit(r, polls)) {
            rc = afz_ref_fail(r, AFZ_EFAIL, "authorization for %s still pending after %u polls",
                              ident, polls);
            break;
        }
        rc = afz_ref_wait(r, what, hdrs, polls);
        if (rc == AFZ_OK)
            rc = post_challenge(r, chal_url, &resp);
        if (rc != AFZ_OK)
            break;
        afz_headers_cleanup(hdrs);
        if (afz_headers_copy(hdrs, &resp.headers) != AFZ_OK) {
            rc = afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
            break;
        }
        afz_ref_status st;
        char err[200];
        if (afz_ref_challenge_parse(resp.body, resp.body_len, &st, err, sizeof(err)) != AFZ_OK) {
            rc = afz_ref_fail(r, AFZ_EPROTO, "challenge %s: unreadable answer", chal_url);
            break;
        }
        afz_ref_log(r, "challenge %s for %s status %s", chal_url, ident, afz_ref_status_name(st));
        if (st == AFZ_REF_ST_VALID)
            break;
        if (st == AFZ_REF_ST_INVALID) {
            rc = afz_ref_fail(r, AFZ_EPROTO, "challenge for %s is invalid: %s", ident,
                              err[0] ? err : "(no error given)");
            break;
        }
    }
    afz_response_cleanup(&resp);
    return rc;
}

afz_rc afz_ref_authz_run(afz_ref *r, const char *url)
{
    afz_response resp;
    afz_response_init(&resp);
    afz_ref_authz a;
    memset(&a, 0, sizeof(a));
    afz_headers hdrs;
    memset(&hdrs, 0, sizeof(hdrs));
    char *file = NULL;
    unsigned polls = 0, posts = 0;
    int posted = 0;
    char why[200], what[AFZ_REF_URL_MAX + 64];
    snprintf(what, sizeof(what), "authorization %s", url);

    afz_rc rc = afz_ref_fetch(r, "authorization", url, NULL, &resp);
    while (rc == AFZ_OK) {
        afz_ref_authz_cleanup(&a);
        rc = afz_ref_authz_parse(resp.body, resp.body_len, &a, why, sizeof(why));
        if (rc != AFZ_OK) {
            rc = afz_ref_fail(r, rc, "%s: %s", what, rc == AFZ_ENOMEM ? "out of memory" : why);
            break;
        }
        afz_headers_cleanup(&hdrs);
        if (afz_headers_copy(&hdrs, &resp.headers) != AFZ_OK) {
            rc = afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
            break;
        }
        afz_ref_log(r, "%s (%s) status %s", what, a.identifier, afz_ref_status_name(a.status));
        if (a.status == AFZ_REF_ST_VALID) {
            /* RFC 8555 7.1.4: a valid authorization (reused, or just
             * validated) needs nothing more. */
            break;
        }
        int keep_polling = a.status == AFZ_REF_ST_PENDING ||
                           (a.status == AFZ_REF_ST_INVALID &&
                            afz_ref_quirk_on(r, AFZ_REF_QUIRK_POLL_AFTER_INVALID));
        if (!keep_polling) {
            const char *err = afz_ref_authz_error(&a);
            rc = afz_ref_fail(r, AFZ_EPROTO, "authorization for %s is %s: %s", a.identifier,
                              afz_ref_status_name(a.status),
                              err[0] ? err : "(no challenge error given)");
            break;
        }
        int wait_first = 1;
        if (a.status == AFZ_REF_ST_PENDING && !posted && !challenge_active(&a)) {
            const afz_ref_chal *c = afz_ref_authz_pick(&a);
            if (!c) {
                const char *err = afz_ref_authz_error(&a);
                rc = err[0] ? afz_ref_fail(r, AFZ_EPROTO, "challenge for %s failed: %s",
                                           a.identifier, err)
                            : afz_ref_fail(r, AFZ_EPROTO, "no supported challenge for %s%s",
                                           a.identifier,
                                           a.wildcard ? " (wildcard: needs dns-01)" : "");
                break;
            }
            if (c->status == AFZ_REF_ST_PENDING) {
                if (posts >= REF_CHALLENGE_POSTS) {
                    rc = afz_ref_fail(r, AFZ_ETRANSPORT, "challenge %s: no answer after %u tries",
                                      c->url, posts);
                    break;
                }
                if (c->type == AFZ_REF_CHAL_HTTP01 && r->p->challenge_dir && !file) {
                    rc = write_key_authz(r, c->token, &file);
                    if (rc != AFZ_OK)
                        break;
                }
                posts++;
                afz_ref_log(r, "answering %s challenge %s for %s",
                            c->type == AFZ_REF_CHAL_HTTP01  ? "http-01"
                            : c->type == AFZ_REF_CHAL_DNS01 ? "dns-01"
                                                            : "tls-alpn-01",
                            c->url, a.identifier);
                rc = post_challenge(r, c->url, &resp);
                if (rc == AFZ_ETRANSPORT) {
                    afz_ref_log(r, "challenge answer lost; polling the authorization");
                    afz_headers_cleanup(&hdrs);
                    rc = AFZ_OK;
                } else if (rc != AFZ_OK) {
                    break;
                } else {
                    posted = 1;
                    /* the challenge's Retry-After tells when to poll the
                     * authorization (RFC 8555 7.5.1, 8.2) */
                    afz_ref_note_retry_after(r, url, &resp.headers);
                    afz_headers_cleanup(&hdrs);
                    if (afz_headers_copy(&hdrs, &resp.headers) != AFZ_OK) {
                        rc = afz_ref_fail(r, AFZ_ENOMEM, "out of memory");
                        break;
                    }
                    afz_ref_status cst;
                    char err[200];
                    if (afz_ref_challenge_parse(resp.body, resp.body_len, &cst, err, sizeof(err)) ==
                        AFZ_OK) {
                        if (cst == AFZ_REF_ST_INVALID) {
                            rc = afz_ref_fail(r, AFZ_EPROTO, "challenge for %s is invalid: %s",
                                              a.identifier, err[0] ? err : "(no error given)");
                            break;
                        }
                        wait_first = cst != AFZ_REF_ST_VALID;
                    }
                    if (wait_first && afz_ref_quirk_on(r, AFZ_REF_QUIRK_REPOST_CHALLENGE)) {
                        rc = repost_until_valid(r, what, a.identifier, c->url, &hdrs);
                        break;
                    }
                }
            }
        }
        if (afz_ref_poll_limit_hit(r, polls)) {
            rc = afz_ref_fail(r, AFZ_EFAIL, "authorization for %s still %s after %u polls",
                              a.identifier, afz_ref_status_name(a.status), polls);
            break;
        }
        if (wait_first) {
            rc = afz_ref_wait(r, what, &hdrs, polls);
            if (rc != AFZ_OK)
                break;
        }
        polls++;
        rc = afz_ref_fetch(r, "authorization", url, NULL, &resp);
    }
    if (file) {
        unlink(file);
        free(file);
    }
    afz_headers_cleanup(&hdrs);
    afz_ref_authz_cleanup(&a);
    afz_response_cleanup(&resp);
    return rc;
}
