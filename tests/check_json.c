/* check_json.c - tests for harness/core/base/afz_json.c: strict, length-bounded
 * parsing, typed getters and compact printing. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_json.h"

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))
/* A byte-string literal with its exact length, NULs included. */
#define BYTES(s)                                                                                   \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }

/* Parses a heap copy of exactly |n| bytes, with no NUL after them, so
 * ASan catches any read past the end. */
static afz_rc parse_exact(const char *s, size_t n, int object_only, cJSON **out)
{
    char *copy = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, s, n);
    afz_rc rc = object_only ? afz_json_parse_object(copy, n, out) : afz_json_parse(copy, n, out);
    free(copy);
    return rc;
}

/* clang-format off */
static const struct {
    const char *p;
    size_t n;
} rejects[] = {
    BYTES(""),
    BYTES("   "),
    BYTES("\n\t\r "),
    BYTES("{}x"),                        /* trailing junk */
    BYTES("{} {}"),
    BYTES("{},"),
    BYTES("[1]]"),
    BYTES("1 2"),
    BYTES("{}\0"),                       /* NUL after the value */
    BYTES("{\"a\":1}\0junk"),
    BYTES("\0{}"),                       /* NUL before the value */
    BYTES("{\"a\":\"b\0c\"}"),           /* raw NUL inside a string */
    BYTES("{\"a\":\"b\\u0000c\"}"),      /* escaped NUL would truncate "bc" to "b" */
    BYTES("{\"alg\\u0000x\":\"none\"}"), /* ... and make this key read as "alg" */
    BYTES("{\"a\":\"\x01\"}"),           /* raw control character in a string */
    BYTES("{\"a\":\"tab\there\"}"),
    BYTES("\x01{}"),                     /* control bytes are not whitespace */
    BYTES("{\x0b\"a\":1}"),
    BYTES("{\"a\":1}\x0c"),
    BYTES("{\"a\""),                     /* truncated */
    BYTES("{\"a\":"),
    BYTES("tru"),
    BYTES("{\"a\":1,}"),
    BYTES("[1,]"),
    BYTES("'a'"),
    BYTES("{a:1}"),
};
/* clang-format on */

START_TEST(test_json_parse_rejects_non_json)
{
    cJSON *j = (cJSON *)&j; /* must be overwritten with NULL */
    ck_assert_int_eq(parse_exact(rejects[_i].p, rejects[_i].n, 0, &j), AFZ_EPARSE);
    ck_assert_ptr_null(j);
}
END_TEST

START_TEST(test_json_parse_rejects_null_pointer)
{
    cJSON *j = (cJSON *)&j;
    ck_assert_int_eq(afz_json_parse(NULL, 5, &j), AFZ_EPARSE);
    ck_assert_ptr_null(j);
}
END_TEST

/* Accepted texts and one fact about the tree each must yield; n == 0
 * means strlen(p). */
/* clang-format off */
static const struct {
    const char *p;
    size_t n;
    const char *key; /* NULL: the root is not an object */
    const char *str; /* the string value under key */
} accepts[] = {
    {"{}", 0, NULL, NULL},
    {" {\"a\":\"1\"} \r\n\t", 0, "a", "1"}, /* JSON whitespace around */
    {"[]", 0, NULL, NULL},
    {"1", 0, NULL, NULL},
    {"null", 0, NULL, NULL},
    {"{\"a\":\"\\\\u0000\"}", 0, "a", "\\u0000"}, /* escaped backslash, not \u0000 */
    {"{\"a\":\"x\\\"\\u0041\"}", 0, "a", "x\"A"},
    {"{\"a\":\"tab\\there\"}", 0, "a", "tab\there"},
    {"{\"a\":\"\\u00e9\"}", 0, "a", "\xc3\xa9"},
    {"{\"a\":\"b\"}trailing", 9, "a", "b"}, /* only n bytes count */
};
/* clang-format on */

START_TEST(test_json_parse_accepts_json_text)
{
    cJSON *j = NULL;
    size_t n = accepts[_i].n ? accepts[_i].n : strlen(accepts[_i].p);
    ck_assert_int_eq(parse_exact(accepts[_i].p, n, 0, &j), AFZ_OK);
    ck_assert_ptr_nonnull(j);
    if (accepts[_i].key)
        ck_assert_str_eq(afz_json_str(j, accepts[_i].key), accepts[_i].str);
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_json_parse_stops_at_n)
{
    cJSON *j = NULL;
    /* "12345" cut to 3 bytes is the number 123. */
    ck_assert_int_eq(parse_exact("12345", 3, 0, &j), AFZ_OK);
    ck_assert(cJSON_IsNumber(j));
    ck_assert_int_eq(j->valueint, 123);
    cJSON_Delete(j);
    /* A complete object cut short is incomplete. */
    ck_assert_int_eq(parse_exact("{\"a\":12}", 7, 0, &j), AFZ_EPARSE);
    ck_assert_ptr_null(j);
    ck_assert_int_eq(parse_exact("\"abc\"", 4, 0, &j), AFZ_EPARSE);
    ck_assert_ptr_null(j);
}
END_TEST

/* clang-format off */
static const char *const non_objects[] = {
    "[]", "[{}]", "1", "\"s\"", "null", "true", "false",
};
/* clang-format on */

START_TEST(test_json_parse_object_requires_object)
{
    cJSON *j = (cJSON *)&j;
    const char *s = non_objects[_i];
    ck_assert_int_eq(parse_exact(s, strlen(s), 0, &j), AFZ_OK);
    cJSON_Delete(j);
    j = (cJSON *)&j;
    ck_assert_int_eq(parse_exact(s, strlen(s), 1, &j), AFZ_EPARSE);
    ck_assert_ptr_null(j);
}
END_TEST

START_TEST(test_json_parse_object_accepts_object)
{
    cJSON *j = NULL;
    ck_assert_int_eq(parse_exact(" {\"k\":[]} ", 10, 1, &j), AFZ_OK);
    ck_assert(cJSON_IsObject(j));
    ck_assert_ptr_nonnull(afz_json_array(j, "k"));
    cJSON_Delete(j);
    ck_assert_int_eq(parse_exact("{}x", 3, 1, &j), AFZ_EPARSE);
    ck_assert_ptr_null(j);
}
END_TEST

static const char getter_doc[] =
    "{\"s\":\"x\",\"n\":1,\"t\":true,\"f\":false,\"a\":[1],\"o\":{\"k\":\"v\"},\"z\":null}";

/* For every member (and a missing one, and a wrong-case one), which typed
 * getter answers: each getter must answer only for its own type. */
/* clang-format off */
static const struct {
    const char *key;
    const char *str;
    int is_array, is_object, bool_rc, bool_val;
} getters[] = {
    {"s", "x", 0, 0, -1, 0},
    {"n", NULL, 0, 0, -1, 0},
    {"t", NULL, 0, 0, 0, 1},
    {"f", NULL, 0, 0, 0, 0},
    {"a", NULL, 1, 0, -1, 0},
    {"o", NULL, 0, 1, -1, 0},
    {"z", NULL, 0, 0, -1, 0},
    {"missing", NULL, 0, 0, -1, 0},
    {"S", NULL, 0, 0, -1, 0}, /* member names are case-sensitive */
    {"k", NULL, 0, 0, -1, 0}, /* nested members are not members */
};
/* clang-format on */

START_TEST(test_json_getters_answer_only_for_their_type)
{
    cJSON *j = NULL;
    int b = 42;
    ck_assert_int_eq(afz_json_parse_object(getter_doc, strlen(getter_doc), &j), AFZ_OK);
    const char *str = afz_json_str(j, getters[_i].key);
    if (getters[_i].str)
        ck_assert_str_eq(str, getters[_i].str);
    else
        ck_assert_ptr_null(str);
    ck_assert_int_eq(afz_json_array(j, getters[_i].key) != NULL, getters[_i].is_array);
    ck_assert_int_eq(afz_json_object(j, getters[_i].key) != NULL, getters[_i].is_object);
    ck_assert_int_eq(afz_json_bool(j, getters[_i].key, &b), getters[_i].bool_rc);
    ck_assert_int_eq(b, getters[_i].bool_rc == 0 ? getters[_i].bool_val : 42);
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_json_getters_on_non_objects_return_null)
{
    cJSON *arr = NULL, *str = NULL;
    int b = 3;
    ck_assert_int_eq(afz_json_parse("[{\"s\":\"x\"}]", 11, &arr), AFZ_OK);
    ck_assert_int_eq(afz_json_parse("\"s\"", 3, &str), AFZ_OK);
    ck_assert_ptr_null(afz_json_str(arr, "s"));
    ck_assert_ptr_null(afz_json_str(str, "s"));
    ck_assert_ptr_null(afz_json_str(NULL, "s"));
    ck_assert_ptr_null(afz_json_array(NULL, "s"));
    ck_assert_ptr_null(afz_json_object(arr, "s"));
    ck_assert_int_eq(afz_json_bool(NULL, "s", &b), -1);
    ck_assert_int_eq(afz_json_bool(str, "s", &b), -1);
    ck_assert_int_eq(b, 3);
    /* The array's element is an object and answers. */
    ck_assert_str_eq(afz_json_str(cJSON_GetArrayItem(arr, 0), "s"), "x");
    ck_assert_ptr_null(afz_json_str(cJSON_GetArrayItem(arr, 0), NULL));
    cJSON_Delete(arr);
    cJSON_Delete(str);
}
END_TEST

/* RFC 7515 4: a parser must reject duplicate names or return only the
 * lexically last one; cJSON's own lookup returns the first. */
START_TEST(test_json_getters_take_last_duplicate)
{
    static const char doc[] =
        "{\"alg\":\"none\",\"alg\":\"ES256\",\"b\":true,\"b\":false,\"o\":{},\"o\":[]}";
    cJSON *j = NULL;
    int b = -1;
    ck_assert_int_eq(afz_json_parse_object(doc, strlen(doc), &j), AFZ_OK);
    ck_assert_str_eq(afz_json_str(j, "alg"), "ES256");
    ck_assert_int_eq(afz_json_bool(j, "b", &b), 0);
    ck_assert_int_eq(b, 0);
    ck_assert_ptr_null(afz_json_object(j, "o"));
    ck_assert_ptr_nonnull(afz_json_array(j, "o"));
    cJSON_Delete(j);
}
END_TEST

/* clang-format off */
static const struct {
    const char *in;
    const char *compact;
} prints[] = {
    {"{ \"a\" : [ 1 , 2 ] , \"b\" : { } }", "{\"a\":[1,2],\"b\":{}}"},
    {"{\"s\":\"\\u00e9\\n\\\"\\/\"}", "{\"s\":\"\xc3\xa9\\n\\\"/\"}"},
    {" [ true , false , null ] ", "[true,false,null]"},
    {"{\"k\":\"\\u0001\"}", "{\"k\":\"\\u0001\"}"},
    {"{\"n\":-1.5e3,\"m\":0.1,\"i\":123456789012}", "{\"n\":-1500,\"m\":0.1,\"i\":123456789012}"},
    {"\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\""},
};
/* clang-format on */

/* Printing gives the compact form, and that form parses to an equal tree
 * and prints to itself. */
START_TEST(test_json_print_round_trips)
{
    cJSON *j = NULL, *again = NULL;
    afz_buf out;
    afz_buf_init(&out, 0);
    ck_assert_int_eq(afz_json_parse(prints[_i].in, strlen(prints[_i].in), &j), AFZ_OK);
    ck_assert_int_eq(afz_json_print(j, &out), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out), prints[_i].compact);
    ck_assert_int_eq(afz_json_parse(out.data, out.len, &again), AFZ_OK);
    ck_assert(cJSON_Compare(j, again, 1));
    size_t n = 0;
    char *s = afz_json_print_alloc(again, &n);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(n, strlen(prints[_i].compact));
    ck_assert_str_eq(s, prints[_i].compact);
    free(s);
    cJSON_Delete(j);
    cJSON_Delete(again);
    afz_buf_cleanup(&out);
}
END_TEST

START_TEST(test_json_print_appends_and_respects_cap)
{
    cJSON *j = cJSON_CreateObject();
    afz_buf out;
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(afz_json_add_str(j, "k", "v"), AFZ_OK);
    afz_buf_init(&out, 11); /* exactly "x=" + {"k":"v"} */
    ck_assert_int_eq(afz_buf_puts(&out, "x="), AFZ_OK);
    ck_assert_int_eq(afz_json_print(j, &out), AFZ_OK);
    ck_assert_str_eq(afz_buf_cstr(&out), "x={\"k\":\"v\"}");
    ck_assert_int_eq(afz_json_print(j, &out), AFZ_ELIMIT);
    ck_assert_str_eq(afz_buf_cstr(&out), "x={\"k\":\"v\"}");
    afz_buf_cleanup(&out);
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_json_add_str_builds_members)
{
    cJSON *j = cJSON_CreateObject();
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(afz_json_add_str(j, "status", "pending"), AFZ_OK);
    ck_assert_int_eq(afz_json_add_str(j, "empty", NULL), AFZ_OK);
    ck_assert_str_eq(afz_json_str(j, "status"), "pending");
    ck_assert_str_eq(afz_json_str(j, "empty"), "");
    size_t n = 0;
    char *s = afz_json_print_alloc(j, &n);
    ck_assert_str_eq(s, "{\"status\":\"pending\",\"empty\":\"\"}");
    ck_assert_uint_eq(n, strlen(s));
    free(s);
    cJSON_Delete(j);
}
END_TEST

Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_json_parse_rejects_non_json, 0, NELEM(rejects));
    tcase_add_test(tc, test_json_parse_rejects_null_pointer);
    tcase_add_loop_test(tc, test_json_parse_accepts_json_text, 0, NELEM(accepts));
    tcase_add_test(tc, test_json_parse_stops_at_n);
    tcase_add_loop_test(tc, test_json_parse_object_requires_object, 0, NELEM(non_objects));
    tcase_add_test(tc, test_json_parse_object_accepts_object);
    suite_add_tcase(s, tc);

    tc = tcase_create("getters");
    tcase_add_loop_test(tc, test_json_getters_answer_only_for_their_type, 0, NELEM(getters));
    tcase_add_test(tc, test_json_getters_on_non_objects_return_null);
    tcase_add_test(tc, test_json_getters_take_last_duplicate);
    suite_add_tcase(s, tc);

    tc = tcase_create("print");
    tcase_add_loop_test(tc, test_json_print_round_trips, 0, NELEM(prints));
    tcase_add_test(tc, test_json_print_appends_and_respects_cap);
    tcase_add_test(tc, test_json_add_str_builds_members);
    suite_add_tcase(s, tc);
    return s;
}
