/* afz_ref_wait.c - how long the reference client waits: the larger of
 * Retry-After (when the server gave exactly one valid value) and capped
 * exponential back-off with jitter. Pure: time and randomness are arguments. See
 * afz_ref_internal.h. */
#include "afz_ref_internal.h"

int64_t afz_ref_backoff_ms(const afz_reference_config *c, unsigned attempt, uint64_t rnd)
{
    if (c->quirks & AFZ_REF_QUIRK_NO_BACKOFF)
        return 0;
    int64_t cap = c->backoff_cap_ms > 0 ? c->backoff_cap_ms : 0;
    int64_t step = c->backoff_base_ms > 0 ? c->backoff_base_ms : 0;
    if (step > cap)
        step = cap;
    for (unsigned i = 0; i < attempt && step < cap; i++)
        step = step > cap / 2 ? cap : step * 2;
    /* Jitter spreads clients that failed together (RFC 8555 6.6 asks for
     * back-off; LE's integration guide asks for jitter). It only adds. */
    int64_t jitter = (int64_t)(rnd % ((uint64_t)(step / 8) + 1));
    return step + jitter;
}

/* int32_seconds reads all-digit |v| (|n| bytes) the way a client that
 * keeps seconds in a 32-bit int does: each digit is accumulated modulo
 * 2^32 and the result read as signed, so 2147483648 becomes -2147483648.
 * Computed in unsigned arithmetic, so the wrap itself is well defined. */
static int64_t int32_seconds(const char *v, size_t n)
{
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc = acc * 10u + (uint32_t)(v[i] - '0');
    return acc > (uint32_t)INT32_MAX ? (int64_t)acc - INT64_C(4294967296) : (int64_t)acc;
}

afz_rc afz_ref_retry_after_read(const afz_reference_config *c, const char *value,
                                int64_t now_wall_ms, afz_retry_after_kind *kind, int64_t *delay_ms)
{
    afz_rc rc = afz_retry_after_parse(value, now_wall_ms, kind, delay_ms);
    if (rc != AFZ_OK)
        return rc;
    if (*kind == AFZ_RA_DATE && (c->quirks & AFZ_REF_QUIRK_HTTPDATE_AS_ZERO))
        *delay_ms = 0; /* atoi("Wed, 21 Oct 2015 ...") == 0 */
    if (*kind == AFZ_RA_SECONDS && (c->quirks & AFZ_REF_QUIRK_RETRY_AFTER_INT32)) {
        /* afz_retry_after_parse accepted 1*DIGIT with optional blanks */
        while (*value == ' ' || *value == '\t')
            value++;
        size_t n = 0;
        while (value[n] >= '0' && value[n] <= '9')
            n++;
        int64_t s = int32_seconds(value, n);
        *delay_ms = s > 0 ? s * 1000 : 0; /* "if (secs > 0) sleep(secs)" */
    }
    return AFZ_OK;
}

afz_rc afz_ref_wait_decide(const afz_reference_config *c, const afz_headers *h, int64_t now_wall_ms,
                           unsigned attempt, uint64_t rnd, afz_ref_wait_plan *out)
{
    out->ms = 0;
    out->source = AFZ_RA_INVALID;
    out->header_seen = 0;
    int at_once = 0; /* AFZ_REF_QUIRK_RETRY_AFTER_INT32 read a wait <= 0 */
    if (c->quirks & AFZ_REF_QUIRK_FIXED_POLL) {
        out->ms = 2000; /* acme-tiny: time.sleep(2), Retry-After unread */
        return AFZ_OK;
    }
    if (h && !(c->quirks & (AFZ_REF_QUIRK_IGNORE_RETRY_AFTER | AFZ_REF_QUIRK_RETRY_AT_ONCE))) {
        size_t count = afz_headers_count(h, "Retry-After");
        out->header_seen = count > 0;
        /* Retry-After is a singleton field (RFC 9110 10.2.3); two of them
         * contradict each other, so neither is trusted. */
        if (count == 1) {
            afz_retry_after_kind kind;
            int64_t delay;
            if (afz_ref_retry_after_read(c, afz_headers_get(h, "Retry-After"), now_wall_ms, &kind,
                                         &delay) == AFZ_OK) {
                out->ms = delay;
                out->source = kind;
                /* the 32-bit client's "if (secs > 0) sleep(secs);": a
                 * wrapped (or zero) wait asks again at once */
                at_once = kind == AFZ_RA_SECONDS && delay == 0 &&
                          (c->quirks & AFZ_REF_QUIRK_RETRY_AFTER_INT32);
            }
        }
    }
    /* Retry-After is a lower bound: waiting longer is always allowed. The
     * back-off step floors it, so "Retry-After: 0" (or a date already past)
     * on a resource that stays processing cannot spend every poll at one
     * instant (Certes #336 settled on a minimum for the same reason). */
    int64_t backoff = afz_ref_backoff_ms(c, attempt, rnd);
    if (!at_once && (out->source == AFZ_RA_INVALID || out->ms < backoff))
        out->ms = backoff;
    if (out->ms > c->max_wait_ms && !(c->quirks & AFZ_REF_QUIRK_NO_WAIT_LIMIT))
        return AFZ_ELIMIT;
    return AFZ_OK;
}
