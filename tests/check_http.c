/* check_http.c - tests for harness/core/base/afz_http.c: header lists, request and
 * response ownership, and URL paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_http.h"

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

START_TEST(test_http_headers_get_is_case_insensitive)
{
    afz_headers h = {0};
    ck_assert_ptr_null(afz_headers_get(&h, "Content-Type"));
    ck_assert_int_eq(afz_headers_add(&h, "Content-Type", "application/jose+json"), AFZ_OK);
    ck_assert_str_eq(afz_headers_get(&h, "Content-Type"), "application/jose+json");
    ck_assert_str_eq(afz_headers_get(&h, "content-type"), "application/jose+json");
    ck_assert_str_eq(afz_headers_get(&h, "CONTENT-TYPE"), "application/jose+json");
    ck_assert_ptr_null(afz_headers_get(&h, "Content-Typ"));
    ck_assert_ptr_null(afz_headers_get(&h, "Content-Type2"));
    ck_assert_uint_eq(afz_headers_count(&h, "content-TYPE"), 1);
    /* The stored name keeps its spelling. */
    ck_assert_str_eq(h.v[0].name, "Content-Type");
    afz_headers_cleanup(&h);
}
END_TEST

START_TEST(test_http_headers_add_copies_strings)
{
    afz_headers h = {0};
    char name[] = "Replay-Nonce";
    char value[] = "abc";
    ck_assert_int_eq(afz_headers_add(&h, name, value), AFZ_OK);
    name[0] = 'X';
    value[0] = 'X';
    ck_assert_str_eq(afz_headers_get(&h, "replay-nonce"), "abc");
    ck_assert_ptr_ne(h.v[0].value, value);
    ck_assert_int_eq(afz_headers_add(&h, "Empty", NULL), AFZ_OK);
    ck_assert_str_eq(afz_headers_get(&h, "empty"), "");
    afz_headers_cleanup(&h);
}
END_TEST

/* Duplicates are kept in order; get answers with the first. */
START_TEST(test_http_headers_keep_duplicates_in_order)
{
    afz_headers h = {0};
    ck_assert_int_eq(afz_headers_add(&h, "Retry-After", "1"), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&h, "Link", "<https://a/dir>;rel=\"index\""), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&h, "retry-after", "2"), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&h, "RETRY-AFTER", "3"), AFZ_OK);
    ck_assert_uint_eq(h.n, 4);
    ck_assert_uint_eq(afz_headers_count(&h, "Retry-After"), 3);
    ck_assert_uint_eq(afz_headers_count(&h, "link"), 1);
    ck_assert_uint_eq(afz_headers_count(&h, "Location"), 0);
    ck_assert_str_eq(afz_headers_get(&h, "retry-after"), "1");
    ck_assert_str_eq(h.v[2].value, "2");
    ck_assert_str_eq(h.v[3].value, "3");
    afz_headers_cleanup(&h);
    ck_assert_uint_eq(h.n, 0);
    ck_assert_ptr_null(h.v);
}
END_TEST

START_TEST(test_http_headers_set_replaces_every_duplicate)
{
    afz_headers h = {0};
    ck_assert_int_eq(afz_headers_add(&h, "Retry-After", "1"), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&h, "Link", "l"), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&h, "retry-after", "2"), AFZ_OK);
    ck_assert_int_eq(afz_headers_set(&h, "RETRY-after", "9"), AFZ_OK);
    ck_assert_uint_eq(h.n, 2);
    ck_assert_uint_eq(afz_headers_count(&h, "Retry-After"), 1);
    ck_assert_str_eq(afz_headers_get(&h, "Retry-After"), "9");
    ck_assert_str_eq(h.v[0].name, "Link");
    ck_assert_str_eq(h.v[0].value, "l");
    /* Setting an absent header adds it. */
    ck_assert_int_eq(afz_headers_set(&h, "Location", "https://a/o/1"), AFZ_OK);
    ck_assert_uint_eq(h.n, 3);
    ck_assert_str_eq(afz_headers_get(&h, "location"), "https://a/o/1");
    afz_headers_cleanup(&h);
}
END_TEST

START_TEST(test_http_headers_remove_deletes_every_match_only)
{
    afz_headers h = {0};
    ck_assert_int_eq(afz_headers_add(&h, "A", "1"), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&h, "B", "2"), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&h, "a", "3"), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&h, "C", "4"), AFZ_OK);
    afz_headers_remove(&h, "A");
    ck_assert_uint_eq(h.n, 2);
    ck_assert_ptr_null(afz_headers_get(&h, "a"));
    ck_assert_str_eq(h.v[0].name, "B");
    ck_assert_str_eq(h.v[1].name, "C");
    afz_headers_remove(&h, "absent");
    ck_assert_uint_eq(h.n, 2);
    afz_headers_remove(&h, "b");
    afz_headers_remove(&h, "c");
    ck_assert_uint_eq(h.n, 0);
    afz_headers_remove(&h, "c");
    ck_assert_int_eq(afz_headers_add(&h, "D", "5"), AFZ_OK);
    ck_assert_str_eq(afz_headers_get(&h, "d"), "5");
    afz_headers_cleanup(&h);
}
END_TEST

START_TEST(test_http_headers_grow_past_initial_capacity)
{
    afz_headers h = {0};
    char name[32], value[32];
    for (int k = 0; k < 100; k++) {
        snprintf(name, sizeof(name), "X-H%d", k);
        snprintf(value, sizeof(value), "v%d", k);
        ck_assert_int_eq(afz_headers_add(&h, name, value), AFZ_OK);
    }
    ck_assert_uint_eq(h.n, 100);
    for (int k = 0; k < 100; k++) {
        snprintf(name, sizeof(name), "x-h%d", k);
        snprintf(value, sizeof(value), "v%d", k);
        ck_assert_str_eq(afz_headers_get(&h, name), value);
    }
    afz_headers_cleanup(&h);
}
END_TEST

START_TEST(test_http_headers_copy_is_deep)
{
    afz_headers src = {0}, dst;
    ck_assert_int_eq(afz_headers_add(&src, "Replay-Nonce", "n1"), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&src, "Link", "l"), AFZ_OK);
    ck_assert_int_eq(afz_headers_copy(&dst, &src), AFZ_OK);
    ck_assert_uint_eq(dst.n, 2);
    ck_assert_ptr_ne(dst.v, src.v);
    ck_assert_ptr_ne(dst.v[0].name, src.v[0].name);
    ck_assert_ptr_ne(dst.v[0].value, src.v[0].value);
    dst.v[0].value[0] = 'X';
    ck_assert_int_eq(afz_headers_set(&dst, "Link", "changed"), AFZ_OK);
    ck_assert_str_eq(afz_headers_get(&src, "replay-nonce"), "n1");
    ck_assert_str_eq(afz_headers_get(&src, "link"), "l");
    afz_headers_cleanup(&dst);
    ck_assert_str_eq(afz_headers_get(&src, "link"), "l");
    afz_headers_cleanup(&src);
    /* Copying nothing gives nothing. */
    ck_assert_int_eq(afz_headers_copy(&dst, &src), AFZ_OK);
    ck_assert_uint_eq(dst.n, 0);
    afz_headers_cleanup(&dst);
}
END_TEST

START_TEST(test_http_request_init_copies_method_and_url)
{
    afz_request r;
    char url[] = "https://acme.invalid/acme/new-order";
    ck_assert_int_eq(afz_request_init(&r, "POST", url), AFZ_OK);
    ck_assert_str_eq(r.method, "POST");
    ck_assert_str_eq(r.url, url);
    ck_assert_ptr_ne(r.url, url);
    url[0] = 'X';
    ck_assert_str_eq(r.url, "https://acme.invalid/acme/new-order");
    ck_assert_uint_eq(r.headers.n, 0);
    ck_assert_ptr_null(r.body);
    ck_assert_uint_eq(r.body_len, 0);
    afz_request_cleanup(&r);
    /* An over-long method is truncated, still terminated. */
    ck_assert_int_eq(afz_request_init(&r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", NULL), AFZ_OK);
    ck_assert_uint_eq(strlen(r.method), AFZ_METHOD_MAX - 1);
    ck_assert_int_eq(strncmp(r.method, "ABCDEFGHIJKLMNO", AFZ_METHOD_MAX - 1), 0);
    ck_assert_str_eq(r.url, "");
    afz_request_cleanup(&r);
    afz_request_cleanup(&r); /* cleanup leaves a zeroed request */
}
END_TEST

/* Bodies are copies of exactly n bytes plus an uncounted NUL. */
/* clang-format off */
static const struct {
    const char *p;
    size_t n;
} bodies[] = {
    {"{\"protected\":\"e30\"}", 19},
    {"a\0b", 3},
    {"", 0},
    {NULL, 0},
};
/* clang-format on */

START_TEST(test_http_bodies_are_nul_terminated_copies)
{
    afz_request req;
    afz_response resp;
    ck_assert_int_eq(afz_request_init(&req, "POST", "https://a/x"), AFZ_OK);
    afz_response_init(&resp);
    ck_assert_int_eq(afz_request_set_body(&req, "old body", 8), AFZ_OK);
    ck_assert_int_eq(afz_response_set_body(&resp, "old body", 8), AFZ_OK);
    ck_assert_int_eq(afz_request_set_body(&req, bodies[_i].p, bodies[_i].n), AFZ_OK);
    ck_assert_int_eq(afz_response_set_body(&resp, bodies[_i].p, bodies[_i].n), AFZ_OK);
    ck_assert_uint_eq(req.body_len, bodies[_i].n);
    ck_assert_uint_eq(resp.body_len, bodies[_i].n);
    if (!bodies[_i].p) {
        ck_assert_ptr_null(req.body);
        ck_assert_ptr_null(resp.body);
    } else {
        ck_assert_ptr_ne(req.body, (const uint8_t *)bodies[_i].p);
        ck_assert_int_eq(memcmp(req.body, bodies[_i].p, bodies[_i].n), 0);
        ck_assert_int_eq(memcmp(resp.body, bodies[_i].p, bodies[_i].n), 0);
        ck_assert_uint_eq(req.body[bodies[_i].n], 0);
        ck_assert_uint_eq(resp.body[bodies[_i].n], 0);
    }
    afz_request_cleanup(&req);
    afz_response_cleanup(&resp);
}
END_TEST

START_TEST(test_http_request_copy_is_deep)
{
    afz_request src, dst;
    ck_assert_int_eq(afz_request_init(&src, "POST", "https://acme.invalid/acme/order/1"), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&src.headers, "Content-Type", "application/jose+json"),
                     AFZ_OK);
    ck_assert_int_eq(afz_request_set_body(&src, "pay\0load", 8), AFZ_OK);
    ck_assert_int_eq(afz_request_copy(&dst, &src), AFZ_OK);
    ck_assert_str_eq(dst.method, "POST");
    ck_assert_str_eq(dst.url, src.url);
    ck_assert_ptr_ne(dst.url, src.url);
    ck_assert_uint_eq(dst.body_len, 8);
    ck_assert_ptr_ne(dst.body, src.body);
    ck_assert_int_eq(memcmp(dst.body, "pay\0load", 9), 0);
    ck_assert_str_eq(afz_headers_get(&dst.headers, "content-type"), "application/jose+json");
    /* Mutating or freeing the copy leaves the original intact. */
    dst.url[8] = 'X';
    dst.body[0] = 'X';
    dst.method[0] = 'G';
    ck_assert_int_eq(afz_headers_set(&dst.headers, "Content-Type", "text/plain"), AFZ_OK);
    ck_assert_int_eq(afz_request_set_body(&dst, "new", 3), AFZ_OK);
    ck_assert_str_eq(src.method, "POST");
    ck_assert_str_eq(src.url, "https://acme.invalid/acme/order/1");
    ck_assert_int_eq(memcmp(src.body, "pay\0load", 9), 0);
    ck_assert_str_eq(afz_headers_get(&src.headers, "content-type"), "application/jose+json");
    afz_request_cleanup(&dst);
    ck_assert_str_eq(src.url, "https://acme.invalid/acme/order/1");
    afz_request_cleanup(&src);
}
END_TEST

START_TEST(test_http_request_copy_without_body)
{
    afz_request src, dst;
    ck_assert_int_eq(afz_request_init(&src, "HEAD", "https://a/acme/new-nonce"), AFZ_OK);
    ck_assert_int_eq(afz_request_copy(&dst, &src), AFZ_OK);
    ck_assert_str_eq(dst.method, "HEAD");
    ck_assert_ptr_null(dst.body);
    ck_assert_uint_eq(dst.body_len, 0);
    afz_request_cleanup(&dst);
    afz_request_cleanup(&src);
}
END_TEST

START_TEST(test_http_response_copy_is_deep)
{
    afz_response src, dst;
    afz_response_init(&src);
    ck_assert_int_eq(src.status, 0);
    ck_assert_ptr_null(src.body);
    src.status = 429;
    ck_assert_int_eq(afz_headers_add(&src.headers, "Retry-After", "10"), AFZ_OK);
    ck_assert_int_eq(afz_headers_add(&src.headers, "Retry-After", "20"), AFZ_OK);
    ck_assert_int_eq(afz_response_set_body(&src, "{\"type\":\"rateLimited\"}", 22), AFZ_OK);
    ck_assert_int_eq(afz_response_copy(&dst, &src), AFZ_OK);
    ck_assert_int_eq(dst.status, 429);
    ck_assert_uint_eq(afz_headers_count(&dst.headers, "retry-after"), 2);
    ck_assert_ptr_ne(dst.body, src.body);
    ck_assert_str_eq((const char *)dst.body, "{\"type\":\"rateLimited\"}");
    dst.status = 200;
    dst.body[0] = 'X';
    afz_headers_remove(&dst.headers, "Retry-After");
    ck_assert_int_eq(src.status, 429);
    ck_assert_uint_eq(afz_headers_count(&src.headers, "retry-after"), 2);
    ck_assert_str_eq((const char *)src.body, "{\"type\":\"rateLimited\"}");
    afz_response_cleanup(&dst);
    afz_response_cleanup(&src);
    ck_assert_ptr_null(src.body);
    ck_assert_uint_eq(src.headers.n, 0);
}
END_TEST

START_TEST(test_http_response_take_body_moves_ownership)
{
    afz_response r;
    afz_response_init(&r);
    ck_assert_int_eq(afz_response_set_body(&r, "old", 3), AFZ_OK);
    char *p = malloc(6);
    ck_assert_ptr_nonnull(p);
    memcpy(p, "hello", 6);
    afz_response_take_body(&r, p, 5); /* frees "old" */
    ck_assert_ptr_eq(r.body, (uint8_t *)p);
    ck_assert_uint_eq(r.body_len, 5);
    afz_response_take_body(&r, NULL, 7); /* frees "hello" */
    ck_assert_ptr_null(r.body);
    ck_assert_uint_eq(r.body_len, 0);
    afz_response_cleanup(&r);
}
END_TEST

/* clang-format off */
static const struct {
    const char *url;
    const char *path;
} paths[] = {
    {"https://acme.invalid/directory", "/directory"},
    {"https://acme.invalid/acme/order/1?x=y", "/acme/order/1?x=y"},
    {"https://acme.invalid:8443/acme/new-nonce", "/acme/new-nonce"},
    {"https://user@acme.invalid/p", "/p"},
    {"https://acme.invalid/", "/"},
    {"https://acme.invalid", ""},
    {"https://acme.invalid?next=/directory", ""}, /* '/' in the query */
    {"https://acme.invalid#/directory", ""},      /* '/' in the fragment */
    {"http://[::1]:80/x", "/x"},
    {"/relative/path", "/relative/path"},         /* no scheme: all path */
    {"", ""},
};
/* clang-format on */

START_TEST(test_http_url_path_finds_path_after_authority)
{
    const char *url = paths[_i].url;
    const char *p = afz_url_path(url);
    ck_assert_str_eq(p, paths[_i].path);
    /* A non-empty path points into the URL itself. */
    if (*p)
        ck_assert_ptr_eq(p, url + strlen(url) - strlen(p));
}
END_TEST

Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("headers");
    tcase_add_test(tc, test_http_headers_get_is_case_insensitive);
    tcase_add_test(tc, test_http_headers_add_copies_strings);
    tcase_add_test(tc, test_http_headers_keep_duplicates_in_order);
    tcase_add_test(tc, test_http_headers_set_replaces_every_duplicate);
    tcase_add_test(tc, test_http_headers_remove_deletes_every_match_only);
    tcase_add_test(tc, test_http_headers_grow_past_initial_capacity);
    tcase_add_test(tc, test_http_headers_copy_is_deep);
    suite_add_tcase(s, tc);

    tc = tcase_create("messages");
    tcase_add_test(tc, test_http_request_init_copies_method_and_url);
    tcase_add_loop_test(tc, test_http_bodies_are_nul_terminated_copies, 0, NELEM(bodies));
    tcase_add_test(tc, test_http_request_copy_is_deep);
    tcase_add_test(tc, test_http_request_copy_without_body);
    tcase_add_test(tc, test_http_response_copy_is_deep);
    tcase_add_test(tc, test_http_response_take_body_moves_ownership);
    suite_add_tcase(s, tc);

    tc = tcase_create("url");
    tcase_add_loop_test(tc, test_http_url_path_finds_path_after_authority, 0, NELEM(paths));
    suite_add_tcase(s, tc);
    return s;
}
