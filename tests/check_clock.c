/* check_clock.c - tests for harness/core/base/afz_clock.c: the virtual clock,
 * HTTP-dates (RFC 9110 5.6.7) and Retry-After (RFC 9110 10.2.3). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "afz_clock.h"
#include "afz_prng.h"

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

/* RFC 9110 5.6.7's example instant, in its three forms. */
#define EXAMPLE_S INT64_C(784111777)
#define EXAMPLE_MS (EXAMPLE_S * 1000)
/* Largest and smallest instants with a four-digit year. */
#define Y9999_END INT64_C(253402300799)
#define Y0000_START INT64_C(-62167219200)

START_TEST(test_clock_starts_at_epoch)
{
    afz_clock c;
    afz_clock_init(&c, AFZ_CLOCK_DEFAULT_EPOCH_MS);
    ck_assert_int_eq(afz_clock_mono_ms(&c), 0);
    ck_assert_int_eq(afz_clock_wall_ms(&c), AFZ_CLOCK_DEFAULT_EPOCH_MS);
    /* The default epoch is the documented 2026-01-01T00:00:00Z. */
    char s[AFZ_HTTPDATE_LEN];
    afz_httpdate_format(AFZ_CLOCK_DEFAULT_EPOCH_MS / 1000, s);
    ck_assert_str_eq(s, "Thu, 01 Jan 2026 00:00:00 GMT");
}
END_TEST

START_TEST(test_clock_advance_accumulates)
{
    afz_clock c;
    afz_clock_init(&c, 5000);
    ck_assert_int_eq(afz_clock_advance(&c, 0), AFZ_OK);
    ck_assert_int_eq(afz_clock_mono_ms(&c), 0);
    ck_assert_int_eq(afz_clock_advance(&c, 1), AFZ_OK);
    ck_assert_int_eq(afz_clock_advance(&c, 1000), AFZ_OK);
    ck_assert_int_eq(afz_clock_mono_ms(&c), 1001);
    ck_assert_int_eq(afz_clock_wall_ms(&c), 6001);
}
END_TEST

static const int64_t negative_advances[] = {-1, -1000, INT64_MIN};

START_TEST(test_clock_advance_rejects_negative)
{
    afz_clock c;
    afz_clock_init(&c, 0);
    ck_assert_int_eq(afz_clock_advance(&c, 42), AFZ_OK);
    ck_assert_int_eq(afz_clock_advance(&c, negative_advances[_i]), AFZ_EINVAL);
    ck_assert_int_eq(afz_clock_mono_ms(&c), 42);
    ck_assert_int_eq(afz_clock_wall_ms(&c), 42);
}
END_TEST

START_TEST(test_clock_advance_saturates)
{
    afz_clock c;
    afz_clock_init(&c, AFZ_CLOCK_DEFAULT_EPOCH_MS);
    ck_assert_int_eq(afz_clock_advance(&c, INT64_MAX - 5), AFZ_OK);
    ck_assert_int_eq(afz_clock_mono_ms(&c), INT64_MAX - 5);
    ck_assert_int_eq(afz_clock_wall_ms(&c), INT64_MAX);
    ck_assert_int_eq(afz_clock_advance(&c, 10), AFZ_OK);
    ck_assert_int_eq(afz_clock_mono_ms(&c), INT64_MAX);
    ck_assert_int_eq(afz_clock_advance(&c, INT64_MAX), AFZ_OK);
    ck_assert_int_eq(afz_clock_mono_ms(&c), INT64_MAX);
    ck_assert_int_eq(afz_clock_wall_ms(&c), INT64_MAX);
}
END_TEST

/* A negative epoch (before 1970) is a valid wall clock; the overflow test
 * in afz_clock_wall_ms used to overflow itself (INT64_MAX - epoch). */
START_TEST(test_clock_wall_with_negative_epoch)
{
    afz_clock c;
    afz_clock_init(&c, -1000);
    ck_assert_int_eq(afz_clock_advance(&c, 500), AFZ_OK);
    ck_assert_int_eq(afz_clock_wall_ms(&c), -500);
    afz_clock_init(&c, INT64_MIN);
    ck_assert_int_eq(afz_clock_wall_ms(&c), INT64_MIN);
    ck_assert_int_eq(afz_clock_advance(&c, INT64_MAX), AFZ_OK);
    ck_assert_int_eq(afz_clock_wall_ms(&c), -1);
}
END_TEST

START_TEST(test_clock_is_monotonic_under_random_advances)
{
    afz_prng rng;
    afz_clock c;
    int64_t sum = 0;
    afz_prng_seed(&rng, 2024);
    afz_clock_init(&c, AFZ_CLOCK_DEFAULT_EPOCH_MS);
    for (int k = 0; k < 10000; k++) {
        int64_t before = afz_clock_mono_ms(&c);
        int64_t step = (int64_t)afz_prng_below(&rng, 3600 * 1000);
        ck_assert_int_eq(afz_clock_advance(&c, step), AFZ_OK);
        sum += step;
        ck_assert_int_ge(afz_clock_mono_ms(&c), before);
        ck_assert_int_eq(afz_clock_mono_ms(&c), sum);
        ck_assert_int_eq(afz_clock_wall_ms(&c), AFZ_CLOCK_DEFAULT_EPOCH_MS + sum);
    }
}
END_TEST

/* Known instants, checked against Python's email.utils.formatdate. */
/* clang-format off */
static const struct {
    int64_t t;
    const char *s;
} formats[] = {
    {EXAMPLE_S, "Sun, 06 Nov 1994 08:49:37 GMT"},
    {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
    {-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
    {INT64_C(1709164800), "Thu, 29 Feb 2024 00:00:00 GMT"}, /* leap day */
    {INT64_C(1709251199), "Thu, 29 Feb 2024 23:59:59 GMT"},
    {INT64_C(951782400), "Tue, 29 Feb 2000 00:00:00 GMT"},  /* 400-year leap */
    {INT64_C(4107542399), "Sun, 28 Feb 2100 23:59:59 GMT"}, /* 100-year non-leap */
    {INT64_C(4107542400), "Mon, 01 Mar 2100 00:00:00 GMT"},
    {INT64_C(1767225600), "Thu, 01 Jan 2026 00:00:00 GMT"},
    {Y9999_END, "Fri, 31 Dec 9999 23:59:59 GMT"},
    /* Out of range clamps to the four-digit years. */
    {Y9999_END + 1, "Fri, 31 Dec 9999 23:59:59 GMT"},
    {INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT"},
    {Y0000_START, "Sat, 01 Jan 0000 00:00:00 GMT"},
    {INT64_MIN, "Sat, 01 Jan 0000 00:00:00 GMT"},
};
/* clang-format on */

START_TEST(test_clock_httpdate_formats_known_instants)
{
    char s[AFZ_HTTPDATE_LEN];
    memset(s, 'X', sizeof(s));
    afz_httpdate_format(formats[_i].t, s);
    ck_assert_str_eq(s, formats[_i].s);
    ck_assert_uint_eq(strlen(s), AFZ_HTTPDATE_LEN - 1);
}
END_TEST

/* Every form a recipient must accept (RFC 9110 5.6.7). */
/* clang-format off */
static const struct {
    const char *s;
    int64_t t;
} parses[] = {
    {"Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_S},    /* IMF-fixdate */
    {"Sunday, 06-Nov-94 08:49:37 GMT", EXAMPLE_S},   /* obsolete RFC 850 */
    {"Sun Nov  6 08:49:37 1994", EXAMPLE_S},         /* asctime */
    {"Sun Nov 06 08:49:37 1994", EXAMPLE_S},         /* date3 allows 2DIGIT */
    {"Thu, 29 Feb 2024 12:00:00 GMT", INT64_C(1709208000)},
    {"Thu Feb 29 12:00:00 2024", INT64_C(1709208000)},
    {"Thursday, 01-Jan-70 00:00:00 GMT", 0},
    {"Friday, 31-Dec-99 23:59:59 GMT", INT64_C(946684799)},
    {"Saturday, 01-Jan-00 00:00:00 GMT", INT64_C(946684800)},
    {"Fri, 31 Dec 9999 23:59:59 GMT", Y9999_END},
    {"Sat, 01 Jan 0000 00:00:00 GMT", Y0000_START},
    /* A leap second reads as the second before it. */
    {"Sat, 31 Dec 2016 23:59:60 GMT", INT64_C(1483228799)},
};
/* clang-format on */

START_TEST(test_clock_httpdate_parses_all_three_forms)
{
    int64_t t = -42;
    ck_assert_int_eq(afz_httpdate_parse(parses[_i].s, &t), AFZ_OK);
    ck_assert_int_eq(t, parses[_i].t);
}
END_TEST

/* clang-format off */
static const char *const bad_dates[] = {
    "",
    "2026-01-01T00:00:00Z",                 /* ISO 8601 */
    "Sun, 06 Nov 1994 08:49:37 gmt",        /* "GMT" is case-sensitive */
    "Sun, 06 Nov 1994 08:49:37 +0000",      /* only GMT */
    "Sun, 06 Nov 1994 08:49:37 UTC",
    "Sun, 06 Nov 1994 08:49:37",            /* zone missing */
    "Mon, 30 Feb 2026 00:00:00 GMT",        /* no such day */
    "Wed, 29 Feb 2023 00:00:00 GMT",        /* not a leap year */
    "Mon, 29 Feb 2100 00:00:00 GMT",
    "Sun, 31 Nov 1994 08:49:37 GMT",
    "Sun, 00 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMTx",       /* trailing junk */
    "Sun, 06 Nov 1994 08:49:37 GMT ",
    " Sun, 06 Nov 1994 08:49:37 GMT",       /* leading junk */
    "Sun",
    "Sun,",
    "sun, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 nov 1994 08:49:37 GMT",
    "Sun, 6 Nov 1994 08:49:37 GMT",         /* day is 2DIGIT */
    "Sun, 06 Nov 94 08:49:37 GMT",          /* year is 4DIGIT */
    "Sun, 06 Nov 1994 8:49:37 GMT",
    "Sun, 06 Nov 1994 24:00:00 GMT",
    "Sun, 06 Nov 1994 08:60:00 GMT",
    "Sun, 06 Nov 1994 08:49:61 GMT",
    "Sun,  06 Nov 1994 08:49:37 GMT",
    "Xyz, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06-Nov-1994 08:49:37 GMT",     /* RFC 850 year is 2DIGIT */
    "Sunday, 06-Nov-94 08:49:37 UTC",
    "Sunday, 06 Nov 1994 08:49:37 GMT",     /* mixed forms */
    "Sund, 06-Nov-94 08:49:37 GMT",
    "Sun Nov 6 08:49:37 1994",              /* asctime pads the day */
    "Sun Nov  6 08:49:37 1994 ",
    "Sun Nov  6 08:49:37 1994 GMT",
    "Sun Nov  6 08:49:37 94",
    "Sun Nov 31 08:49:37 1994",
};
/* clang-format on */

START_TEST(test_clock_httpdate_rejects_other_text)
{
    int64_t t = 0;
    ck_assert_msg(afz_httpdate_parse(bad_dates[_i], &t) == AFZ_EPARSE, "accepted \"%s\"",
                  bad_dates[_i]);
}
END_TEST

/* Random instants over years 1970..9999 (and a batch before 1970): the
 * formatted text parses back to the same second. */
START_TEST(test_clock_httpdate_round_trips_random_instants)
{
    afz_prng rng;
    afz_prng_seed(&rng, (uint64_t)_i);
    for (int k = 0; k < 2000; k++) {
        int64_t t = _i == 0 ? Y0000_START + (int64_t)afz_prng_below(&rng, (uint64_t)-Y0000_START)
                            : (int64_t)afz_prng_below(&rng, (uint64_t)Y9999_END + 1);
        char s[AFZ_HTTPDATE_LEN], again[AFZ_HTTPDATE_LEN];
        int64_t back = 0;
        afz_httpdate_format(t, s);
        ck_assert_msg(afz_httpdate_parse(s, &back) == AFZ_OK, "rejected own \"%s\"", s);
        ck_assert_int_eq(back, t);
        afz_httpdate_format(back, again);
        ck_assert_str_eq(again, s);
    }
}
END_TEST

/* For instants 1970..2069, the RFC 850 and asctime spellings built from
 * the IMF-fixdate fields mean the same second. */
START_TEST(test_clock_httpdate_three_forms_agree)
{
    static const char *const longday[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
    static const char *const shortday[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    const int64_t end2069 = INT64_C(3155760000); /* 2070-01-01 */
    afz_prng rng;
    afz_prng_seed(&rng, 850);
    for (int k = 0; k < 2000; k++) {
        int64_t t = (int64_t)afz_prng_below(&rng, (uint64_t)end2069);
        char imf[AFZ_HTTPDATE_LEN], wk[4], mon[4], hms[9], rfc850[64], asc[64];
        int day, year, wi = -1;
        afz_httpdate_format(t, imf);
        ck_assert_int_eq(sscanf(imf, "%3s, %2d %3s %4d %8s", wk, &day, mon, &year, hms), 5);
        for (int w = 0; w < 7; w++)
            if (strcmp(shortday[w], wk) == 0)
                wi = w;
        ck_assert_int_ge(wi, 0);
        snprintf(rfc850, sizeof(rfc850), "%s, %02d-%s-%02d %s GMT", longday[wi], day, mon,
                 year % 100, hms);
        snprintf(asc, sizeof(asc), "%s %s %2d %s %d", shortday[wi], mon, day, hms, year);
        int64_t a = -1, b = -1;
        ck_assert_msg(afz_httpdate_parse(rfc850, &a) == AFZ_OK, "rejected \"%s\"", rfc850);
        ck_assert_msg(afz_httpdate_parse(asc, &b) == AFZ_OK, "rejected \"%s\"", asc);
        ck_assert_int_eq(a, t);
        ck_assert_int_eq(b, t);
    }
}
END_TEST

#define CAP (INT64_MAX / 2)
/* clang-format off */
static const struct {
    const char *value;
    int64_t now_ms;
    afz_rc rc;
    afz_retry_after_kind kind;
    int64_t delay_ms;
} retry_cases[] = {
    {"0", 0, AFZ_OK, AFZ_RA_SECONDS, 0},
    {"1", 0, AFZ_OK, AFZ_RA_SECONDS, 1000},
    {"30", 0, AFZ_OK, AFZ_RA_SECONDS, 30000},
    {" 120 ", 0, AFZ_OK, AFZ_RA_SECONDS, 120000},
    {"\t120\t", 0, AFZ_OK, AFZ_RA_SECONDS, 120000},
    {"86400", EXAMPLE_MS, AFZ_OK, AFZ_RA_SECONDS, 86400000}, /* independent of now */
    {"007", 0, AFZ_OK, AFZ_RA_SECONDS, 7000},
    {"4611686018427387", 0, AFZ_OK, AFZ_RA_SECONDS, INT64_C(4611686018427387000)},
    {"4611686018427388", 0, AFZ_OK, AFZ_RA_SECONDS, CAP},
    {"9223372036854775807", 0, AFZ_OK, AFZ_RA_SECONDS, CAP},
    {"18446744073709551616", 0, AFZ_OK, AFZ_RA_SECONDS, CAP},
    {"99999999999999999999999999999999", 0, AFZ_OK, AFZ_RA_SECONDS, CAP},
    {"-1", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0},
    {"1.5", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0},
    {"+5", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0},
    {"", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0},
    {"   ", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0},
    {"abc", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0},
    {"1 2", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0},
    {"5s", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0},
    {"0x10", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0},
    {"1e3", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0},
    {"\xef\xbc\x91", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0}, /* fullwidth digit one */
    {"2026-01-01T00:00:00Z", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0},
    {"Sun, 06 Nov 1994 08:49:37 +0000", 0, AFZ_EPARSE, AFZ_RA_INVALID, 0},
    /* HTTP-dates: the delay counts from now, exactly, in milliseconds. */
    {"Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_MS - 1500, AFZ_OK, AFZ_RA_DATE, 1500},
    {" Sun, 06 Nov 1994 08:49:37 GMT ", EXAMPLE_MS - 1, AFZ_OK, AFZ_RA_DATE, 1},
    {"Sunday, 06-Nov-94 08:49:37 GMT", EXAMPLE_MS - 60000, AFZ_OK, AFZ_RA_DATE, 60000},
    {"Sun Nov  6 08:49:37 1994", EXAMPLE_MS - 86400000, AFZ_OK, AFZ_RA_DATE, 86400000},
    {"Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_MS, AFZ_OK, AFZ_RA_DATE, 0},
    {"Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_MS + 1, AFZ_OK, AFZ_RA_DATE, 0},
    {"Thu, 01 Jan 1970 00:00:00 GMT", AFZ_CLOCK_DEFAULT_EPOCH_MS, AFZ_OK, AFZ_RA_DATE, 0},
    {"Fri, 31 Dec 9999 23:59:59 GMT", 0, AFZ_OK, AFZ_RA_DATE, Y9999_END * 1000},
    /* A far-negative now must saturate, not overflow. */
    {"Fri, 31 Dec 9999 23:59:59 GMT", INT64_MIN, AFZ_OK, AFZ_RA_DATE, CAP},
};
/* clang-format on */

START_TEST(test_clock_retry_after_parses_strictly)
{
    afz_retry_after_kind kind = AFZ_RA_DATE;
    int64_t delay = 777;
    afz_rc rc = afz_retry_after_parse(retry_cases[_i].value, retry_cases[_i].now_ms, &kind, &delay);
    ck_assert_msg(rc == retry_cases[_i].rc, "\"%s\": rc %d", retry_cases[_i].value, (int)rc);
    ck_assert_int_eq(kind, retry_cases[_i].kind);
    ck_assert_int_eq(delay, retry_cases[_i].delay_ms);
    ck_assert_int_ge(delay, 0);
}
END_TEST

START_TEST(test_clock_retry_after_null_is_invalid)
{
    afz_retry_after_kind kind = AFZ_RA_SECONDS;
    int64_t delay = 5;
    ck_assert_int_eq(afz_retry_after_parse(NULL, 0, &kind, &delay), AFZ_EPARSE);
    ck_assert_int_eq(kind, AFZ_RA_INVALID);
    ck_assert_int_eq(delay, 0);
}
END_TEST

/* Every delay-seconds value below the cap is exact (ms = 1000 * s). */
START_TEST(test_clock_retry_after_random_seconds_are_exact)
{
    afz_prng rng;
    afz_prng_seed(&rng, 10);
    for (int k = 0; k < 5000; k++) {
        uint64_t secs = afz_prng_below(&rng, UINT64_C(4611686018427387));
        char v[32];
        afz_retry_after_kind kind;
        int64_t delay;
        snprintf(v, sizeof(v), "%llu", (unsigned long long)secs);
        ck_assert_int_eq(afz_retry_after_parse(v, 0, &kind, &delay), AFZ_OK);
        ck_assert_int_eq(kind, AFZ_RA_SECONDS);
        ck_assert_int_eq(delay, (int64_t)secs * 1000);
    }
}
END_TEST

Suite *clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("virtual");
    tcase_add_test(tc, test_clock_starts_at_epoch);
    tcase_add_test(tc, test_clock_advance_accumulates);
    tcase_add_loop_test(tc, test_clock_advance_rejects_negative, 0, NELEM(negative_advances));
    tcase_add_test(tc, test_clock_advance_saturates);
    tcase_add_test(tc, test_clock_wall_with_negative_epoch);
    tcase_add_test(tc, test_clock_is_monotonic_under_random_advances);
    suite_add_tcase(s, tc);

    tc = tcase_create("httpdate");
    tcase_add_loop_test(tc, test_clock_httpdate_formats_known_instants, 0, NELEM(formats));
    tcase_add_loop_test(tc, test_clock_httpdate_parses_all_three_forms, 0, NELEM(parses));
    tcase_add_loop_test(tc, test_clock_httpdate_rejects_other_text, 0, NELEM(bad_dates));
    tcase_add_loop_test(tc, test_clock_httpdate_round_trips_random_instants, 0, 8);
    tcase_add_test(tc, test_clock_httpdate_three_forms_agree);
    suite_add_tcase(s, tc);

    tc = tcase_create("retry_after");
    tcase_add_loop_test(tc, test_clock_retry_after_parses_strictly, 0, NELEM(retry_cases));
    tcase_add_test(tc, test_clock_retry_after_null_is_invalid);
    tcase_add_test(tc, test_clock_retry_after_random_seconds_are_exact);
    suite_add_tcase(s, tc);
    return s;
}
