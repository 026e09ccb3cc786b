/* afz_json.h - the small wrapper that keeps cJSON's ownership rules in one
 * place. Parsing never assumes NUL termination; getters never return a
 * value of the wrong JSON type; printing appends compact JSON to a
 * capped buffer. Trees built with cJSON_Create* are freed with
 * cJSON_Delete by whoever created them, as cJSON documents. */
#ifndef AFZ_JSON_H
#define AFZ_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "afz_buf.h"

/* afz_json_parse parses exactly |n| bytes (trailing whitespace allowed,
 * trailing junk is AFZ_EPARSE). Raw control characters other than JSON
 * whitespace (NUL included) and the escape \u0000, which a C string
 * cannot hold, are AFZ_EPARSE too. *out is a new tree the caller
 * deletes. */
afz_rc afz_json_parse(const void *p, size_t n, cJSON **out);
/* afz_json_parse_object is afz_json_parse that also requires an object. */
afz_rc afz_json_parse_object(const void *p, size_t n, cJSON **out);
/* afz_json_print appends the compact form of |j| to |out|. */
afz_rc afz_json_print(const cJSON *j, afz_buf *out);
/* afz_json_print_alloc returns a malloc'd compact form (free with free())
 * and its length; NULL on ENOMEM. */
char *afz_json_print_alloc(const cJSON *j, size_t *len);

/* Typed getters on an object member: NULL / -1 when |obj| is not an
 * object, the member is absent, or it has another type. A repeated name
 * means its lexically last member (RFC 7515 4). Returned pointers are
 * borrowed from |obj|. */
const char *afz_json_str(const cJSON *obj, const char *key);
const cJSON *afz_json_array(const cJSON *obj, const char *key);
const cJSON *afz_json_object(const cJSON *obj, const char *key);
/* afz_json_bool writes 0/1 to *out and returns 0, or -1 if not a bool. */
int afz_json_bool(const cJSON *obj, const char *key, int *out);

/* afz_json_add_str adds a string member; AFZ_ENOMEM on failure. */
afz_rc afz_json_add_str(cJSON *obj, const char *key, const char *val);

#endif
