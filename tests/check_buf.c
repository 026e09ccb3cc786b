/* check_buf.c - tests for harness/core/base/afz_buf.c: the capped buffer, the
 * bounded read cursor, the string helpers and afz_rc_str. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_buf.h"

/* Every buffer must keep a NUL right after its data. */
static void assert_terminated(const afz_buf *b)
{
    ck_assert_ptr_nonnull(b->data);
    ck_assert_uint_lt(b->len, b->cap);
    ck_assert_int_eq(b->data[b->len], '\0');
}

START_TEST(test_buf_init_is_empty)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    ck_assert_uint_eq(b.max, AFZ_BUF_DEFAULT_MAX);
    ck_assert_str_eq(afz_buf_cstr(&b), "");
    afz_buf_init(&b, 17);
    ck_assert_uint_eq(b.max, 17);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_append_grows_and_stays_terminated)
{
    afz_buf b;
    char want[3000];
    afz_buf_init(&b, 0);
    for (size_t i = 0; i < sizeof(want); i++) {
        want[i] = (char)('a' + i % 26);
        ck_assert_int_eq(afz_buf_putc(&b, want[i]), AFZ_OK);
        ck_assert_uint_eq(b.len, i + 1);
        assert_terminated(&b);
    }
    ck_assert_int_eq(memcmp(b.data, want, sizeof(want)), 0);
    ck_assert_int_eq(afz_buf_append(&b, "xyz", 3), AFZ_OK);
    ck_assert_int_eq(afz_buf_puts(&b, "!"), AFZ_OK);
    ck_assert_uint_eq(b.len, sizeof(want) + 4);
    ck_assert_str_eq(afz_buf_cstr(&b) + sizeof(want), "xyz!");
    assert_terminated(&b);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_append_keeps_embedded_nul)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_buf_append(&b, "a\0b", 3), AFZ_OK);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_int_eq(memcmp(b.data, "a\0b", 4), 0);
    ck_assert_int_eq(afz_buf_putc(&b, '\0'), AFZ_OK);
    ck_assert_uint_eq(b.len, 4);
    assert_terminated(&b);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_append_zero_bytes_allocates_terminated_storage)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_buf_append(&b, NULL, 0), AFZ_OK);
    ck_assert_uint_eq(b.len, 0);
    assert_terminated(&b);
    ck_assert_int_eq(afz_buf_puts(&b, ""), AFZ_OK);
    ck_assert_uint_eq(b.len, 0);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_printf_grows)
{
    afz_buf b;
    char big[5000];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_buf_printf(&b, "%s=%d", "n", 42), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), "n=42");
    ck_assert_int_eq(afz_buf_printf(&b, "[%s]", big), AFZ_OK);
    ck_assert_uint_eq(b.len, 4 + 2 + sizeof(big) - 1);
    ck_assert_int_eq(strncmp(b.data, "n=42[qqq", 8), 0);
    ck_assert_int_eq(b.data[b.len - 1], ']');
    assert_terminated(&b);
    ck_assert_int_eq(afz_buf_printf(&b, "%s", ""), AFZ_OK);
    ck_assert_uint_eq(b.len, 4 + 2 + sizeof(big) - 1);
    assert_terminated(&b);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_printf_empty_on_fresh_buffer_is_terminated)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_buf_printf(&b, "%s", ""), AFZ_OK);
    ck_assert_uint_eq(b.len, 0);
    assert_terminated(&b);
    afz_buf_cleanup(&b);
}
END_TEST

/* Appends on a buffer with max 8 holding "abcdef": two more bytes fit
 * exactly, a third is AFZ_ELIMIT and must leave the buffer as it was. */
enum cap_op { OP_APPEND, OP_PUTS, OP_PUTC, OP_PRINTF };
/* clang-format off */
static const struct {
    enum cap_op op;
    const char *arg;
    afz_rc rc;
    const char *want;
} cap_cases[] = {
    {OP_APPEND, "gh", AFZ_OK, "abcdefgh"},
    {OP_APPEND, "ghi", AFZ_ELIMIT, "abcdef"},
    {OP_APPEND, "", AFZ_OK, "abcdef"},
    {OP_PUTS, "gh", AFZ_OK, "abcdefgh"},
    {OP_PUTS, "ghijklmnop", AFZ_ELIMIT, "abcdef"},
    {OP_PUTC, "g", AFZ_OK, "abcdefg"},
    {OP_PRINTF, "gh", AFZ_OK, "abcdefgh"},
    {OP_PRINTF, "ghi", AFZ_ELIMIT, "abcdef"},
    {OP_PRINTF, "a-much-longer-text-than-the-cap", AFZ_ELIMIT, "abcdef"},
};
/* clang-format on */

START_TEST(test_buf_cap_is_hard_and_failure_leaves_buffer_unchanged)
{
    afz_buf b;
    afz_buf_init(&b, 8);
    ck_assert_int_eq(afz_buf_puts(&b, "abcdef"), AFZ_OK);
    const char *old_data = b.data;
    size_t old_cap = b.cap;
    afz_rc rc = AFZ_EFAIL;
    switch (cap_cases[_i].op) {
    case OP_APPEND:
        rc = afz_buf_append(&b, cap_cases[_i].arg, strlen(cap_cases[_i].arg));
        break;
    case OP_PUTS:
        rc = afz_buf_puts(&b, cap_cases[_i].arg);
        break;
    case OP_PUTC:
        rc = afz_buf_putc(&b, cap_cases[_i].arg[0]);
        break;
    case OP_PRINTF:
        rc = afz_buf_printf(&b, "%s", cap_cases[_i].arg);
        break;
    }
    ck_assert_int_eq(rc, cap_cases[_i].rc);
    ck_assert_str_eq(afz_buf_cstr(&b), cap_cases[_i].want);
    ck_assert_uint_eq(b.len, strlen(cap_cases[_i].want));
    assert_terminated(&b);
    if (rc != AFZ_OK) {
        ck_assert_ptr_eq(b.data, old_data);
        ck_assert_uint_eq(b.cap, old_cap);
    }
    ck_assert_uint_le(b.len, b.max);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_cap_allows_exactly_max_bytes)
{
    afz_buf b;
    afz_buf_init(&b, 5);
    ck_assert_int_eq(afz_buf_puts(&b, "hello"), AFZ_OK);
    ck_assert_int_eq(afz_buf_putc(&b, 'x'), AFZ_ELIMIT);
    ck_assert_int_eq(afz_buf_printf(&b, "%d", 1), AFZ_ELIMIT);
    ck_assert_int_eq(afz_buf_append(&b, "", 0), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), "hello");
    afz_buf_reset(&b);
    ck_assert_int_eq(afz_buf_puts(&b, "world"), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&b), "world");
    afz_buf_cleanup(&b);
}
END_TEST

/* A cap of SIZE_MAX must not let the size arithmetic wrap around (with
 * len 1, appending SIZE_MAX - 1 bytes used to compute len + n + 1 == 0,
 * "fit", and memcpy SIZE_MAX - 1 bytes). */
START_TEST(test_buf_huge_request_under_huge_cap_fails_cleanly)
{
    afz_buf b;
    char src[4] = "abc";
    afz_buf_init(&b, SIZE_MAX);
    ck_assert_int_eq(afz_buf_putc(&b, 'a'), AFZ_OK);
    ck_assert_int_eq(afz_buf_append(&b, src, SIZE_MAX), AFZ_ELIMIT); /* over the cap */
    ck_assert_int_eq(afz_buf_append(&b, src, SIZE_MAX - 1), AFZ_ENOMEM);
    ck_assert_int_eq(afz_buf_append(&b, src, SIZE_MAX / 2), AFZ_ENOMEM);
    ck_assert_str_eq(afz_buf_cstr(&b), "a");
    ck_assert_uint_eq(b.len, 1);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_reset_keeps_storage)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_buf_puts(&b, "some text"), AFZ_OK);
    char *data = b.data;
    size_t cap = b.cap;
    afz_buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_ptr_eq(b.data, data);
    ck_assert_uint_eq(b.cap, cap);
    ck_assert_str_eq(afz_buf_cstr(&b), "");
    ck_assert_int_eq(afz_buf_puts(&b, "new"), AFZ_OK);
    ck_assert_ptr_eq(b.data, data);
    ck_assert_str_eq(afz_buf_cstr(&b), "new");
    afz_buf_cleanup(&b);
    afz_buf_reset(&b); /* on an empty buffer: nothing to touch */
    ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_buf_take_moves_storage_out)
{
    afz_buf b;
    size_t len = 99;
    afz_buf_init(&b, 32);
    ck_assert_int_eq(afz_buf_append(&b, "he\0lo", 5), AFZ_OK);
    char *data = b.data;
    char *p = afz_buf_take(&b, &len);
    ck_assert_ptr_eq(p, data);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(memcmp(p, "he\0lo", 6), 0);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    ck_assert_uint_eq(b.max, 32);
    ck_assert_str_eq(afz_buf_cstr(&b), "");
    free(p);
    /* The emptied buffer is reusable. */
    ck_assert_int_eq(afz_buf_puts(&b, "again"), AFZ_OK);
    p = afz_buf_take(&b, NULL);
    ck_assert_str_eq(p, "again");
    free(p);
}
END_TEST

START_TEST(test_buf_take_of_empty_buffer_gives_empty_string)
{
    afz_buf b;
    size_t len = 99;
    afz_buf_init(&b, 0);
    char *p = afz_buf_take(&b, &len);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p, "");
    ck_assert_uint_eq(len, 0);
    free(p);
}
END_TEST

START_TEST(test_buf_cleanup_is_repeatable)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_buf_cleanup(&b);
    ck_assert_int_eq(afz_buf_puts(&b, "x"), AFZ_OK);
    afz_buf_cleanup(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    afz_buf_cleanup(&b);
    ck_assert_str_eq(afz_buf_cstr(&b), "");
}
END_TEST

START_TEST(test_buf_cursor_reads_big_endian_then_stops_at_end)
{
    static const uint8_t in[] = {1, 2, 3, 4, 5, 6, 7};
    afz_cursor c;
    uint8_t a = 0xaa;
    uint16_t w = 0xaaaa;
    uint32_t d = 0xaaaaaaaa;
    afz_cursor_init(&c, in, sizeof(in));
    ck_assert_int_eq(afz_cursor_u8(&c, &a), 0);
    ck_assert_uint_eq(a, 1);
    ck_assert_int_eq(afz_cursor_u16(&c, &w), 0);
    ck_assert_uint_eq(w, 0x0203);
    ck_assert_int_eq(afz_cursor_u32(&c, &d), 0);
    ck_assert_uint_eq(d, 0x04050607);
    ck_assert_uint_eq(c.left, 0);
    ck_assert_ptr_eq(c.p, in + sizeof(in));
    /* At the end every reader fails with a zero result, repeatedly. */
    for (int k = 0; k < 3; k++) {
        a = 0xaa;
        w = 0xaaaa;
        d = 0xaaaaaaaa;
        ck_assert_int_eq(afz_cursor_u8(&c, &a), -1);
        ck_assert_int_eq(afz_cursor_u16(&c, &w), -1);
        ck_assert_int_eq(afz_cursor_u32(&c, &d), -1);
        ck_assert_uint_eq(a, 0);
        ck_assert_uint_eq(w, 0);
        ck_assert_uint_eq(d, 0);
        ck_assert_uint_eq(afz_cursor_u8_or(&c, 0x5a), 0x5a);
        ck_assert_uint_eq(c.left, 0);
    }
}
END_TEST

/* A wide read that does not fit consumes nothing: the bytes stay for a
 * narrower reader. Run for every input length 0..4. */
START_TEST(test_buf_cursor_short_wide_read_consumes_nothing)
{
    static const uint8_t in[] = {0x11, 0x22, 0x33, 0x44};
    size_t n = (size_t)_i;
    afz_cursor c;
    uint32_t d = 1;
    uint16_t w = 1;
    afz_cursor_init(&c, in, n);
    if (n < 4) {
        ck_assert_int_eq(afz_cursor_u32(&c, &d), -1);
        ck_assert_uint_eq(d, 0);
        ck_assert_uint_eq(c.left, n);
    } else {
        ck_assert_int_eq(afz_cursor_u32(&c, &d), 0);
        ck_assert_uint_eq(d, 0x11223344);
        return;
    }
    if (n < 2) {
        ck_assert_int_eq(afz_cursor_u16(&c, &w), -1);
        ck_assert_uint_eq(c.left, n);
    } else {
        ck_assert_int_eq(afz_cursor_u16(&c, &w), 0);
        ck_assert_uint_eq(w, 0x1122);
        ck_assert_uint_eq(c.left, n - 2);
    }
    ck_assert_uint_eq(afz_cursor_u8_or(&c, 0xee), n == 1 || n == 3 ? in[n - 1] : 0xee);
}
END_TEST

START_TEST(test_buf_cursor_u8_or_is_total)
{
    static const uint8_t in[] = {9, 0};
    afz_cursor c;
    afz_cursor_init(&c, in, sizeof(in));
    ck_assert_uint_eq(afz_cursor_u8_or(&c, 7), 9);
    ck_assert_uint_eq(afz_cursor_u8_or(&c, 7), 0); /* a real 0 is not the default */
    ck_assert_uint_eq(afz_cursor_u8_or(&c, 7), 7);
    ck_assert_uint_eq(afz_cursor_u8_or(&c, 8), 8);
}
END_TEST

START_TEST(test_buf_cursor_bytes_borrows_what_is_there)
{
    static const uint8_t in[] = {1, 2, 3, 4, 5, 6};
    afz_cursor c;
    const uint8_t *p = NULL;
    size_t got = 99;
    afz_cursor_init(&c, in, sizeof(in));
    afz_cursor_bytes(&c, 4, &p, &got);
    ck_assert_ptr_eq(p, in);
    ck_assert_uint_eq(got, 4);
    afz_cursor_bytes(&c, 10, &p, &got);
    ck_assert_ptr_eq(p, in + 4);
    ck_assert_uint_eq(got, 2);
    afz_cursor_bytes(&c, 1, &p, &got);
    ck_assert_uint_eq(got, 0);
    ck_assert_uint_eq(c.left, 0);
    afz_cursor_init(&c, in, sizeof(in));
    afz_cursor_bytes(&c, 0, &p, &got);
    ck_assert_uint_eq(got, 0);
    ck_assert_uint_eq(c.left, sizeof(in));
}
END_TEST

START_TEST(test_buf_cursor_over_null_is_empty)
{
    afz_cursor c;
    uint8_t a = 1;
    afz_cursor_init(&c, NULL, 5);
    ck_assert_uint_eq(c.left, 0);
    ck_assert_int_eq(afz_cursor_u8(&c, &a), -1);
    ck_assert_uint_eq(a, 0);
}
END_TEST

/* clang-format off */
static const struct {
    const char *a, *b;
    int eq;
} caseeq_cases[] = {
    {"Retry-After", "retry-after", 1},
    {"REPLAY-NONCE", "Replay-Nonce", 1},
    {"", "", 1},
    {"Z", "z", 1},
    {"abc", "abd", 0},
    {"abc", "ab", 0},
    {"ab", "abc", 0},
    {"a", "", 0},
    {"[", "{", 0},   /* 0x5b vs 0x7b: only A-Z fold */
    {"@", "`", 0},   /* 0x40 vs 0x60 */
    {"\xc4", "\xe4", 0}, /* Latin-1 A/a umlaut: ASCII only */
    {"Link", "Link ", 0},
};
/* clang-format on */

START_TEST(test_buf_strcaseeq_folds_ascii_letters_only)
{
    ck_assert_int_eq(afz_strcaseeq(caseeq_cases[_i].a, caseeq_cases[_i].b), caseeq_cases[_i].eq);
    ck_assert_int_eq(afz_strcaseeq(caseeq_cases[_i].b, caseeq_cases[_i].a), caseeq_cases[_i].eq);
}
END_TEST

START_TEST(test_buf_strndup_copies_and_terminates)
{
    static const char raw[5] = {'h', 'e', 'l', 'l', 'o'}; /* no NUL */
    char *p = afz_strndup(raw, 3);
    ck_assert_str_eq(p, "hel");
    free(p);
    p = afz_strndup(raw, 0);
    ck_assert_str_eq(p, "");
    free(p);
    p = afz_strdup("world");
    ck_assert_str_eq(p, "world");
    free(p);
    ck_assert_ptr_null(afz_strdup(NULL));
}
END_TEST

START_TEST(test_buf_rc_str_names_every_code)
{
    static const afz_rc all[] = {AFZ_OK,         AFZ_ENOMEM,  AFZ_EINVAL, AFZ_EPARSE,
                                 AFZ_ECRYPTO,    AFZ_EIO,     AFZ_ELIMIT, AFZ_ENOTFOUND,
                                 AFZ_ETRANSPORT, AFZ_EBUDGET, AFZ_EPROTO, AFZ_EFAIL};
    size_t n = sizeof(all) / sizeof(all[0]);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_ne(afz_rc_str(all[i]), "unknown error");
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(afz_rc_str(all[i]), afz_rc_str(all[j]));
    }
    ck_assert_str_eq(afz_rc_str(AFZ_OK), "ok");
    ck_assert_str_eq(afz_rc_str((afz_rc)-99), "unknown error");
    ck_assert_str_eq(afz_rc_str((afz_rc)1), "unknown error");
}
END_TEST

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

START_TEST(test_buf_read_file_appends_and_respects_the_cap)
{
    char path[] = "/tmp/afz-buf-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "wb");
    ck_assert_ptr_nonnull(f);
    static const char text[] = "line one\nline\0two\n";
    ck_assert_uint_eq(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
    fclose(f);

    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_buf_puts(&b, ">"), AFZ_OK);
    ck_assert_int_eq(afz_buf_read_file(&b, path), AFZ_OK);
    ck_assert_uint_eq(b.len, 1 + sizeof(text) - 1);
    ck_assert_mem_eq(b.data + 1, text, sizeof(text) - 1);
    afz_buf_cleanup(&b);

    /* Over the cap: an error, and the buffer is as it was. */
    afz_buf_init(&b, 8);
    ck_assert_int_eq(afz_buf_puts(&b, "ab"), AFZ_OK);
    ck_assert_int_eq(afz_buf_read_file(&b, path), AFZ_ELIMIT);
    ck_assert_uint_eq(b.len, 2);
    ck_assert_str_eq(afz_buf_cstr(&b), "ab");
    afz_buf_cleanup(&b);

    remove(path);
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_buf_read_file(&b, path), AFZ_ENOTFOUND);
    ck_assert_uint_eq(b.len, 0);
    afz_buf_cleanup(&b);
}
END_TEST

Suite *buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("buffer");
    tcase_add_test(tc, test_buf_init_is_empty);
    tcase_add_test(tc, test_buf_read_file_appends_and_respects_the_cap);
    tcase_add_test(tc, test_buf_append_grows_and_stays_terminated);
    tcase_add_test(tc, test_buf_append_keeps_embedded_nul);
    tcase_add_test(tc, test_buf_append_zero_bytes_allocates_terminated_storage);
    tcase_add_test(tc, test_buf_printf_grows);
    tcase_add_test(tc, test_buf_printf_empty_on_fresh_buffer_is_terminated);
    tcase_add_loop_test(tc, test_buf_cap_is_hard_and_failure_leaves_buffer_unchanged, 0,
                        NELEM(cap_cases));
    tcase_add_test(tc, test_buf_cap_allows_exactly_max_bytes);
    tcase_add_test(tc, test_buf_huge_request_under_huge_cap_fails_cleanly);
    tcase_add_test(tc, test_buf_reset_keeps_storage);
    tcase_add_test(tc, test_buf_take_moves_storage_out);
    tcase_add_test(tc, test_buf_take_of_empty_buffer_gives_empty_string);
    tcase_add_test(tc, test_buf_cleanup_is_repeatable);
    suite_add_tcase(s, tc);

    tc = tcase_create("cursor");
    tcase_add_test(tc, test_buf_cursor_reads_big_endian_then_stops_at_end);
    tcase_add_loop_test(tc, test_buf_cursor_short_wide_read_consumes_nothing, 0, 5);
    tcase_add_test(tc, test_buf_cursor_u8_or_is_total);
    tcase_add_test(tc, test_buf_cursor_bytes_borrows_what_is_there);
    tcase_add_test(tc, test_buf_cursor_over_null_is_empty);
    suite_add_tcase(s, tc);

    tc = tcase_create("strings");
    tcase_add_loop_test(tc, test_buf_strcaseeq_folds_ascii_letters_only, 0, NELEM(caseeq_cases));
    tcase_add_test(tc, test_buf_strndup_copies_and_terminates);
    tcase_add_test(tc, test_buf_rc_str_names_every_code);
    suite_add_tcase(s, tc);
    return s;
}
