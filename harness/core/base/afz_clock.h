/* afz_clock.h - the one virtual clock of a run, and HTTP-date / Retry-After
 * handling (RFC 9110 5.6.7 and 10.2.3).
 *
 * The clock is monotonic virtual time in milliseconds, advanced only by the
 * client's sleep and by the scheduler, plus a fixed wall-clock epoch so
 * HTTP-dates and certificate validity have a calendar meaning. Nothing in
 * this module reads the real clock. */
#ifndef AFZ_CLOCK_H
#define AFZ_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "afz_rc.h"

/* AFZ_CLOCK_DEFAULT_EPOCH_MS: 2026-01-01T00:00:00Z, the wall-clock instant
 * at which in-process runs start, so histories do not depend on the day. */
#define AFZ_CLOCK_DEFAULT_EPOCH_MS INT64_C(1767225600000)

typedef struct afz_clock {
    int64_t mono_ms;  /* virtual milliseconds since the run started */
    int64_t epoch_ms; /* wall-clock milliseconds at mono_ms == 0 */
} afz_clock;

void afz_clock_init(afz_clock *c, int64_t epoch_ms);
/* afz_clock_mono_ms returns virtual milliseconds since the start. */
int64_t afz_clock_mono_ms(const afz_clock *c);
/* afz_clock_wall_ms returns the virtual wall clock (Unix ms). */
int64_t afz_clock_wall_ms(const afz_clock *c);
/* afz_clock_advance moves time forward by |ms| (saturating at INT64_MAX);
 * a negative |ms| returns AFZ_EINVAL and changes nothing. */
afz_rc afz_clock_advance(afz_clock *c, int64_t ms);

/* AFZ_HTTPDATE_LEN is the size of an IMF-fixdate with its NUL. */
#define AFZ_HTTPDATE_LEN 30

/* afz_httpdate_format writes |unix_s| as an IMF-fixdate
 * ("Sun, 06 Nov 1994 08:49:37 GMT") into |out|. */
void afz_httpdate_format(int64_t unix_s, char out[AFZ_HTTPDATE_LEN]);
/* afz_httpdate_parse reads an HTTP-date in any of the three forms a
 * recipient must accept (IMF-fixdate, obsolete RFC 850, asctime) and
 * writes Unix seconds. Returns AFZ_EPARSE for anything else, including
 * leading or trailing junk. */
afz_rc afz_httpdate_parse(const char *s, int64_t *unix_s);

/* afz_retry_after_kind says which grammar a Retry-After value matched. */
typedef enum afz_retry_after_kind {
    AFZ_RA_INVALID = 0, /* neither delay-seconds nor HTTP-date */
    AFZ_RA_SECONDS = 1, /* delay-seconds = 1*DIGIT */
    AFZ_RA_DATE = 2     /* HTTP-date */
} afz_retry_after_kind;

/* afz_retry_after_parse interprets a Retry-After value strictly per RFC
 * 9110 10.2.3 (optional surrounding whitespace is the only leniency). On
 * success *kind is SECONDS or DATE and *delay_ms is the wait counted from
 * |now_wall_ms| (0 for a date in the past; saturated at INT64_MAX/2 for
 * absurd values). On AFZ_EPARSE *kind is AFZ_RA_INVALID. */
afz_rc afz_retry_after_parse(const char *value, int64_t now_wall_ms, afz_retry_after_kind *kind,
                             int64_t *delay_ms);

#endif
