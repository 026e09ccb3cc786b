/* afz_clock.c - see afz_clock.h. */
#include "afz_clock.h"

#include <stdio.h>
#include <string.h>

void afz_clock_init(afz_clock *c, int64_t epoch_ms)
{
    c->mono_ms = 0;
    c->epoch_ms = epoch_ms;
}

int64_t afz_clock_mono_ms(const afz_clock *c)
{
    return c->mono_ms;
}

int64_t afz_clock_wall_ms(const afz_clock *c)
{
    /* mono_ms is never negative, so only a positive epoch can overflow;
     * testing INT64_MAX - epoch_ms for a negative epoch would itself
     * overflow. */
    if (c->epoch_ms > 0 && c->mono_ms > INT64_MAX - c->epoch_ms)
        return INT64_MAX;
    return c->epoch_ms + c->mono_ms;
}

afz_rc afz_clock_advance(afz_clock *c, int64_t ms)
{
    if (ms < 0)
        return AFZ_EINVAL;
    c->mono_ms = ms > INT64_MAX - c->mono_ms ? INT64_MAX : c->mono_ms + ms;
    return AFZ_OK;
}

static const char *const wkday[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const weekday[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday"};
static const char *const month[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
 * well-known civil-from-days algorithm, re-derived here). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

void afz_httpdate_format(int64_t unix_s, char out[AFZ_HTTPDATE_LEN])
{
    /* Clamp to years 0..9999 so the fixed-width form always fits. */
    const int64_t lo = -62167219200, hi = 253402300799;
    if (unix_s < lo)
        unix_s = lo;
    if (unix_s > hi)
        unix_s = hi;
    int64_t days = unix_s >= 0 ? unix_s / 86400 : -((-unix_s + 86399) / 86400);
    int64_t secs = unix_s - days * 86400;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int wd = (int)(((days % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
    /* The fields are in range already (d 1..31, y 0..9999, secs
     * 0..86399); the unsigned reductions let the compiler prove that the
     * text fits, so -Wformat-truncation stays quiet. */
    snprintf(out, AFZ_HTTPDATE_LEN, "%s, %02u %s %04u %02u:%02u:%02u GMT", wkday[wd],
             (unsigned)d % 32u, month[m - 1], (unsigned)y % 10000u, (unsigned)(secs / 3600) % 24u,
             (unsigned)(secs / 60) % 60u, (unsigned)secs % 60u);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly |n| digits. */
static int take_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int take_lit(const char **p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n) != 0)
        return -1;
    *p += n;
    return 0;
}

static int take_month(const char **p, int *m)
{
    for (int i = 0; i < 12; i++)
        if (strncmp(*p, month[i], 3) == 0) {
            *p += 3;
            *m = i + 1;
            return 0;
        }
    return -1;
}

static int take_time(const char **p, int *hh, int *mm, int *ss)
{
    if (take_digits(p, 2, hh) || take_lit(p, ":") || take_digits(p, 2, mm) || take_lit(p, ":") ||
        take_digits(p, 2, ss))
        return -1;
    return (*hh > 23 || *mm > 59 || *ss > 60) ? -1 : 0;
}

static int valid_day(int64_t y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int max = mdays[m - 1] + (m == 2 && leap);
    return d >= 1 && d <= max;
}

afz_rc afz_httpdate_parse(const char *s, int64_t *unix_s)
{
    const char *p = s;
    int d = 0, m = 0, y = 0, hh = 0, mm = 0, ss = 0, i;
    int64_t year;
    for (i = 0; i < 7; i++)
        if (strncmp(p, wkday[i], 3) == 0)
            break;
    if (i == 7)
        return AFZ_EPARSE;
    if (p[3] == ',') {
        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        p += 4;
        if (take_lit(&p, " ") || take_digits(&p, 2, &d) || take_lit(&p, " ") ||
            take_month(&p, &m) || take_lit(&p, " ") || take_digits(&p, 4, &y) ||
            take_lit(&p, " ") || take_time(&p, &hh, &mm, &ss) || take_lit(&p, " GMT"))
            return AFZ_EPARSE;
        year = y;
    } else if (p[3] == ' ') {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        p += 4;
        if (take_month(&p, &m) || take_lit(&p, " "))
            return AFZ_EPARSE;
        if (*p == ' ') {
            p++;
            if (take_digits(&p, 1, &d))
                return AFZ_EPARSE;
        } else if (take_digits(&p, 2, &d)) {
            return AFZ_EPARSE;
        }
        if (take_lit(&p, " ") || take_time(&p, &hh, &mm, &ss) || take_lit(&p, " ") ||
            take_digits(&p, 4, &y))
            return AFZ_EPARSE;
        year = y;
    } else {
        /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        size_t wl = strlen(weekday[i]);
        if (strncmp(p, weekday[i], wl) != 0)
            return AFZ_EPARSE;
        p += wl;
        if (take_lit(&p, ", ") || take_digits(&p, 2, &d) || take_lit(&p, "-") ||
            take_month(&p, &m) || take_lit(&p, "-") || take_digits(&p, 2, &y) ||
            take_lit(&p, " ") || take_time(&p, &hh, &mm, &ss) || take_lit(&p, " GMT"))
            return AFZ_EPARSE;
        /* RFC 9110 5.6.7: a two-digit year that appears to be more than 50
         * years in the future is in the past; we fix the pivot at 1970. */
        year = y < 70 ? 2000 + y : 1900 + y;
    }
    if (*p != '\0' || !valid_day(year, m, d))
        return AFZ_EPARSE;
    *unix_s = days_from_civil(year, m, d) * 86400 + hh * 3600 + mm * 60 + (ss > 59 ? 59 : ss);
    return AFZ_OK;
}

afz_rc afz_retry_after_parse(const char *value, int64_t now_wall_ms, afz_retry_after_kind *kind,
                             int64_t *delay_ms)
{
    const int64_t cap = INT64_MAX / 2;
    *kind = AFZ_RA_INVALID;
    *delay_ms = 0;
    if (!value)
        return AFZ_EPARSE;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = strlen(value);
    while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
        n--;
    if (n == 0)
        return AFZ_EPARSE;
    size_t i = 0;
    while (i < n && is_digit(value[i]))
        i++;
    if (i == n) {
        int64_t ms = 0;
        for (i = 0; i < n; i++) {
            int digit = value[i] - '0';
            if (ms > (cap - digit * 1000) / 10) {
                ms = cap;
                break;
            }
            ms = ms * 10 + digit * 1000;
        }
        *kind = AFZ_RA_SECONDS;
        *delay_ms = ms;
        return AFZ_OK;
    }
    char tmp[64];
    if (n >= sizeof(tmp))
        return AFZ_EPARSE;
    memcpy(tmp, value, n);
    tmp[n] = '\0';
    int64_t when_s;
    if (afz_httpdate_parse(tmp, &when_s) != AFZ_OK)
        return AFZ_EPARSE;
    int64_t when_ms = when_s * 1000; /* years 0..9999: no overflow */
    *kind = AFZ_RA_DATE;
    /* when_ms - now_wall_ms overflows for a far-negative now; such a gap
     * is absurd and saturates like absurd delay-seconds. */
    if (when_ms <= now_wall_ms)
        *delay_ms = 0;
    else if (now_wall_ms < 0 && when_ms > cap + now_wall_ms)
        *delay_ms = cap;
    else
        *delay_ms = when_ms - now_wall_ms;
    if (*delay_ms > cap)
        *delay_ms = cap;
    return AFZ_OK;
}
