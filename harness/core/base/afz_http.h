/* afz_http.h - HTTP messages as plain data: the currency between a client,
 * a transport and the ACME server model.
 *
 * Nothing here does I/O. A request or response owns every string and byte
 * it points to; `*_cleanup` frees them and `*_copy` deep-copies. Header
 * names compare case-insensitively; order and duplicates are preserved
 * (duplicate Retry-After headers are a fault the harness injects). Bodies
 * are byte strings with a length and are always followed by a NUL byte
 * that is not counted, so text bodies can be read as C strings. */
#ifndef AFZ_HTTP_H
#define AFZ_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "afz_rc.h"

typedef struct afz_header {
    char *name;
    char *value;
} afz_header;

typedef struct afz_headers {
    afz_header *v;
    size_t n;
    size_t cap;
} afz_headers;

/* afz_headers_add appends a header (both strings are copied). */
AFZ_API afz_rc afz_headers_add(afz_headers *h, const char *name, const char *value);
/* afz_headers_set replaces every header named |name| with one new one. */
AFZ_API afz_rc afz_headers_set(afz_headers *h, const char *name, const char *value);
/* afz_headers_get returns the value of the first header named |name|, or
 * NULL. The pointer is borrowed from |h| until it changes. */
AFZ_API const char *afz_headers_get(const afz_headers *h, const char *name);
/* afz_headers_count returns how many headers are named |name|. */
AFZ_API size_t afz_headers_count(const afz_headers *h, const char *name);
/* afz_headers_remove deletes every header named |name|. */
AFZ_API void afz_headers_remove(afz_headers *h, const char *name);
AFZ_API afz_rc afz_headers_copy(afz_headers *dst, const afz_headers *src);
AFZ_API void afz_headers_cleanup(afz_headers *h);

/* AFZ_METHOD_MAX bounds the method token (GET, HEAD, POST, ...). */
#define AFZ_METHOD_MAX 16

typedef struct afz_request {
    char method[AFZ_METHOD_MAX]; /* NUL-terminated, e.g. "POST" */
    char *url;                   /* absolute URL, owned */
    afz_headers headers;
    uint8_t *body; /* owned, NUL-terminated, may be NULL */
    size_t body_len;
} afz_request;

typedef struct afz_response {
    int status; /* HTTP status code */
    afz_headers headers;
    uint8_t *body; /* owned, NUL-terminated, may be NULL */
    size_t body_len;
    int64_t stall_ms; /* with status 0 (no response): how long the server
                         holds the request first (the timeout fault); only
                         a real-time transport waits, virtual time advances
                         its clock instead */
} afz_response;

/* afz_request_init zeroes |r| and sets its method and URL (copied). */
AFZ_API afz_rc afz_request_init(afz_request *r, const char *method, const char *url);
/* afz_request_set_body replaces the body with a copy of |n| bytes. */
AFZ_API afz_rc afz_request_set_body(afz_request *r, const void *p, size_t n);
AFZ_API afz_rc afz_request_copy(afz_request *dst, const afz_request *src);
AFZ_API void afz_request_cleanup(afz_request *r);

/* afz_response_init zeroes |r| (status 0, no headers, no body). */
AFZ_API void afz_response_init(afz_response *r);
/* afz_response_set_body replaces the body with a copy of |n| bytes. */
AFZ_API afz_rc afz_response_set_body(afz_response *r, const void *p, size_t n);
/* afz_response_take_body moves a malloc'd buffer of |n| bytes (with a NUL
 * at p[n]) into |r|, freeing the old body. */
AFZ_API void afz_response_take_body(afz_response *r, char *p, size_t n);
AFZ_API afz_rc afz_response_copy(afz_response *dst, const afz_response *src);
AFZ_API void afz_response_cleanup(afz_response *r);

/* afz_url_path returns the path part of an absolute URL (a pointer into
 * |url|, "/..." or "" when there is none). */
AFZ_API const char *afz_url_path(const char *url);

#endif
