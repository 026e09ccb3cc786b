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

afz_rc afz_ref_wait_decide(const afz_reference_config *c, const afz_headers *h, int64_t now_wall_ms,
                           unsigned attempt, uint64_t rnd, afz_ref_wait_plan *out)
{
    out->ms = 0;
    out->source = AFZ_RA_INVALID;
    out->header_seen = 0;
    if (h && !(c->quirks & AFZ_REF_QUIRK_IGNORE_RETRY_AFTER)) {
        size_t count = afz_headers_count(h, "Retry-After");
        out->header_seen = count > 0;
        /* Retry-After is a singleton field (RFC 9110 10.2.3); two of them
         * contradict each other, so neither is trusted. */
        if (count == 1) {
            afz_retry_after_kind kind;
            int64_t delay;
            if (afz_retry_after_parse(afz_headers_get(h, "Retry-After"), now_wall_ms, &kind,
                                      &delay) == AFZ_OK) {
                if (kind == AFZ_RA_DATE && (c->quirks & AFZ_REF_QUIRK_HTTPDATE_FATAL))
                    return AFZ_EPARSE;
                out->ms = delay;
                out->source = kind;
            }
        }
    }
    /* Retry-After is a lower bound: waiting longer is always allowed. The
     * back-off step floors it, so "Retry-After: 0" (or a date already past)
     * on a resource that stays processing cannot spend every poll at one
     * instant (Certes #336 settled on a minimum for the same reason). */
    int64_t backoff = afz_ref_backoff_ms(c, attempt, rnd);
    if (out->source == AFZ_RA_INVALID || out->ms < backoff)
        out->ms = backoff;
    if (out->ms > c->max_wait_ms)
        return AFZ_ELIMIT;
    return AFZ_OK;
}
