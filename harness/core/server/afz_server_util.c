/* afz_server_util.c - JSON writing, problem documents, ids, times and the
 * syntax checks (DNS names, contacts) of the ACME server model. */
#include "afz_server_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "afz_b64.h"

/* ---- JSON writer ---- */

void afz_srv_w_init(afz_srv_w *w)
{
    afz_buf_init(&w->b, 0);
    w->rc = AFZ_OK;
}

void afz_srv_w_cleanup(afz_srv_w *w)
{
    afz_buf_cleanup(&w->b);
}

void afz_srv_w_raw(afz_srv_w *w, const char *s)
{
    if (w->rc == AFZ_OK)
        w->rc = afz_buf_puts(&w->b, s);
}

void afz_srv_w_strn(afz_srv_w *w, const char *s, size_t n)
{
    if (w->rc == AFZ_OK)
        w->rc = afz_json_string_append(&w->b, s, n);
}

void afz_srv_w_str(afz_srv_w *w, const char *s)
{
    afz_srv_w_strn(w, s ? s : "", s ? strlen(s) : 0);
}

void afz_srv_w_fmt(afz_srv_w *w, const char *fmt, ...)
{
    if (w->rc != AFZ_OK)
        return;
    va_list ap;
    va_start(ap, fmt);
    w->rc = afz_buf_vprintf(&w->b, fmt, ap);
    va_end(ap);
}

void afz_srv_w_time(afz_srv_w *w, const afz_server *s, int64_t mono_ms)
{
    int64_t epoch = s->clock->epoch_ms;
    int64_t wall_ms = mono_ms > INT64_MAX - epoch ? INT64_MAX : epoch + mono_ms;
    int64_t secs = wall_ms / 1000;
    /* Keep the year within four digits. */
    if (secs < 0)
        secs = 0;
    if (secs > INT64_C(253402300799))
        secs = INT64_C(253402300799);
    time_t t = (time_t)secs;
    struct tm tm;
    char out[32];
    if (!gmtime_r(&t, &tm) || strftime(out, sizeof(out), "\"%Y-%m-%dT%H:%M:%SZ\"", &tm) == 0) {
        if (w->rc == AFZ_OK)
            w->rc = AFZ_EFAIL;
        return;
    }
    afz_srv_w_raw(w, out);
}

afz_rc afz_srv_w_finish(afz_srv_w *w, afz_response *resp, int status, const char *ctype)
{
    if (w->rc != AFZ_OK)
        return w->rc;
    size_t n = 0;
    char *p = afz_buf_take(&w->b, &n);
    if (!p)
        return AFZ_ENOMEM;
    afz_response_take_body(resp, p, n);
    resp->status = status;
    return afz_srv_add_header(resp, "Content-Type", ctype);
}

/* ---- problems ---- */

afz_rc afz_srv_problem(afz_response *resp, int status, const char *type, const char *extra,
                       const char *fmt, ...)
{
    afz_buf detail;
    afz_buf_init(&detail, 4096);
    va_list ap;
    va_start(ap, fmt);
    afz_rc rc = afz_buf_vprintf(&detail, fmt, ap);
    va_end(ap);
    if (rc == AFZ_ELIMIT)
        rc = AFZ_OK; /* a long detail is cut, not fatal */
    if (rc != AFZ_OK) {
        afz_buf_cleanup(&detail);
        return rc;
    }
    /* A problem replaces whatever a handler had started. */
    afz_headers_cleanup(&resp->headers);
    afz_response_take_body(resp, NULL, 0);
    afz_srv_w w;
    afz_srv_w_init(&w);
    w.rc = afz_problem_body(&w.b, status, type, afz_buf_cstr(&detail), detail.len, extra);
    rc = afz_srv_w_finish(&w, resp, status, "application/problem+json");
    afz_srv_w_cleanup(&w);
    afz_buf_cleanup(&detail);
    return rc;
}

/* ---- ids, urls, time, events, headers ---- */

void afz_srv_new_id(afz_server *s, char out[SRV_ID_LEN + 1])
{
    snprintf(out, SRV_ID_LEN + 1, "%016" PRIx64, afz_prng_next(s->prng));
}

afz_rc afz_srv_b64_random(afz_server *s, size_t n, char *out, size_t out_size)
{
    uint8_t raw[32];
    if (n > sizeof(raw))
        return AFZ_EINVAL;
    afz_prng_bytes(s->prng, raw, n);
    afz_buf_reset(&s->scratch);
    afz_rc rc = afz_b64url_encode(raw, n, &s->scratch);
    if (rc != AFZ_OK)
        return rc;
    if (s->scratch.len + 1 > out_size)
        return AFZ_EINVAL;
    memcpy(out, s->scratch.data, s->scratch.len + 1);
    return AFZ_OK;
}

char *afz_srv_url(const afz_server *s, const char *mid, const char *id, const char *tail)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_rc rc = afz_buf_append(&b, s->base, s->base_len);
    if (rc == AFZ_OK)
        rc = afz_buf_puts(&b, mid);
    if (rc == AFZ_OK && id)
        rc = afz_buf_puts(&b, id);
    if (rc == AFZ_OK && tail)
        rc = afz_buf_puts(&b, tail);
    char *p = rc == AFZ_OK ? afz_buf_take(&b, NULL) : NULL;
    afz_buf_cleanup(&b);
    return p;
}

int64_t afz_srv_now(const afz_server *s)
{
    return afz_clock_mono_ms(s->clock);
}

int64_t afz_srv_deadline(const afz_server *s, int64_t seconds)
{
    int64_t now = afz_srv_now(s);
    if (seconds <= 0)
        return now;
    if (seconds > (INT64_MAX - now) / 1000)
        return INT64_MAX;
    return now + seconds * 1000;
}

void afz_srv_event(afz_server *s, afz_event_kind kind, const char *url, const char *related,
                   const char *identifiers, const char *serial, const char *detail)
{
    if (!s->hist)
        return;
    /* A lost event under memory exhaustion is no reason to fail the
     * response the client is waiting for. */
    afz_event_in event = {.kind = kind,
                          .mono_ms = afz_srv_now(s),
                          .url = url,
                          .related_url = related,
                          .identifiers = identifiers,
                          .serial = serial,
                          .detail = detail};
    (void)afz_history_add_event(s->hist, &event);
}

afz_rc afz_srv_add_header(afz_response *resp, const char *name, const char *value)
{
    return afz_headers_add(&resp->headers, name, value);
}

afz_rc afz_srv_add_retry_after(const afz_server *s, afz_response *resp, int64_t seconds,
                               int as_date)
{
    if (seconds < 0)
        return AFZ_OK;
    char v[AFZ_HTTPDATE_LEN > 24 ? AFZ_HTTPDATE_LEN : 24];
    if (as_date) {
        int64_t wall = afz_clock_wall_ms(s->clock);
        afz_httpdate_format((wall + 999) / 1000 + seconds, v);
    } else {
        snprintf(v, sizeof(v), "%" PRId64, seconds);
    }
    return afz_srv_add_header(resp, "Retry-After", v);
}

afz_rc afz_srv_add_link(afz_response *resp, const char *url, const char *rel)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_rc rc = afz_buf_printf(&b, "<%s>;rel=\"%s\"", url, rel);
    if (rc == AFZ_OK)
        rc = afz_srv_add_header(resp, "Link", afz_buf_cstr(&b));
    afz_buf_cleanup(&b);
    return rc;
}

/* ---- DNS names (RFC 1035 LDH syntax, RFC 8555 7.1.3 wildcards) ---- */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int is_ldh(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

const char *afz_srv_dns_name_check(const char *value, char *out, size_t out_size)
{
    size_t n = strlen(value);
    size_t k = 0;
    if (n == 0)
        return "Domain name is empty";
    if (out_size < 256 + 2)
        return "internal: buffer too small";
    if (n >= 2 && value[0] == '*' && value[1] == '.') {
        out[k++] = '*';
        out[k++] = '.';
        value += 2;
        n -= 2;
    }
    if (n > 253)
        return "Domain name is longer than 253 bytes";
    if (n == 0)
        return "Domain name is empty";
    size_t labels = 0, label_len = 0;
    int all_digits = 1;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? lower(value[i]) : '.';
        if (c == '.') {
            if (label_len == 0)
                return "Domain name has an empty label";
            if (label_len > 63)
                return "Domain name has a label longer than 63 bytes";
            if (out[k - 1] == '-')
                return "Domain name has a label ending in a hyphen";
            labels++;
            if (i < n) {
                out[k++] = '.';
                label_len = 0;
                all_digits = 1;
            }
            continue;
        }
        if (c == '*')
            return "Wildcard is allowed only as the whole leftmost label";
        if (!is_ldh(c))
            return "Domain name contains an invalid character";
        if (label_len == 0 && c == '-')
            return "Domain name has a label starting with a hyphen";
        if (c < '0' || c > '9')
            all_digits = 0;
        out[k++] = c;
        label_len++;
    }
    if (labels < 2)
        return "Domain name needs at least one dot";
    if (all_digits)
        return "Domain name ends in a numeric label (IP addresses are not dns identifiers)";
    out[k] = '\0';
    return NULL;
}

static int suffix_match(const char *name, const char *blocked)
{
    size_t n = strlen(name), b = strlen(blocked);
    if (b == 0 || b > n)
        return 0;
    const char *tail = name + (n - b);
    if (!afz_strcaseeq(tail, blocked))
        return 0;
    return b == n || tail[-1] == '.';
}

int afz_srv_name_blocked(const afz_server *s, const char *name)
{
    if (!s->cfg.blocked_names)
        return 0;
    if (name[0] == '*' && name[1] == '.')
        name += 2;
    for (size_t i = 0; s->cfg.blocked_names[i]; i++)
        if (suffix_match(name, s->cfg.blocked_names[i]))
            return 1;
    return 0;
}

/* ---- contacts (RFC 8555 7.3, mailto: only, like Let's Encrypt) ---- */

const char *afz_srv_contact_check(const cJSON *c, const char **type)
{
    *type = "invalidContact";
    if (!cJSON_IsString(c) || !c->valuestring) {
        *type = "malformed";
        return "contact entries must be strings";
    }
    const char *v = c->valuestring;
    size_t n = strlen(v);
    if (n > SRV_MAX_CONTACT_LEN)
        return "contact is too long";
    if (n < 7 || !(lower(v[0]) == 'm' && lower(v[1]) == 'a' && lower(v[2]) == 'i' &&
                   lower(v[3]) == 'l' && lower(v[4]) == 't' && lower(v[5]) == 'o' && v[6] == ':')) {
        *type = "unsupportedContact";
        return "only contact scheme 'mailto:' is supported";
    }
    const char *addr = v + 7;
    const char *at = NULL;
    for (const char *p = addr; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch >= 0x7f)
            return "contact email contains a character that is not printable ASCII";
        if (ch == ',' || ch == '?' || ch == '%' || ch == '"' || ch == '\\' || ch == '<' ||
            ch == '>')
            return "contact email must be a single plain address without hfields";
        if (ch == '@') {
            if (at)
                return "contact email has more than one '@'";
            at = p;
        }
    }
    if (!at || at == addr || at[1] == '\0')
        return "contact email is not of the form local@domain";
    char dom[260];
    if (at[1] == '*' || afz_srv_dns_name_check(at + 1, dom, sizeof(dom)))
        return "contact email has an invalid domain";
    return NULL;
}
