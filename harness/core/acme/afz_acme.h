/* afz_acme.h - the ACME vocabulary, stated once: the objects and their
 * statuses with the RFC 8555 7.1.6 transitions, the problem types of RFC
 * 8555 6.7 with the HTTP status a CA answers them with, and the member
 * and header names of the protocol. The resource kinds a request can
 * address are afz_resource.h (included).
 *
 * Who reads it: the server model (statuses of its objects, problem
 * documents), the properties (which states are final), the fault engine
 * (problems it injects), `acmefuzz list dict` (the libFuzzer dictionary)
 * and the reports. Everything here is static data and pure functions; no
 * allocation except into a caller's afz_buf. */
#ifndef AFZ_ACME_H
#define AFZ_ACME_H

#include <stddef.h>

#include "afz_buf.h"
#include "afz_resource.h"

/* ---- objects and statuses (RFC 8555 7.1.1-7.1.6) ---- */

typedef enum afz_acme_obj {
    AFZ_OBJ_ACCOUNT = 0,
    AFZ_OBJ_ORDER,
    AFZ_OBJ_AUTHZ,
    AFZ_OBJ_CHALLENGE,
    AFZ_OBJ__COUNT
} afz_acme_obj;

/* The statuses RFC 8555 names, in the order 7.1.6 introduces them. */
typedef enum afz_status {
    AFZ_ST_PENDING = 0,
    AFZ_ST_READY,
    AFZ_ST_PROCESSING,
    AFZ_ST_VALID,
    AFZ_ST_INVALID,
    AFZ_ST_EXPIRED,
    AFZ_ST_DEACTIVATED,
    AFZ_ST_REVOKED,
    AFZ_ST__COUNT
} afz_status;

/* afz_status_name returns the RFC 8555 string ("pending", ...), or NULL
 * for a value outside the enum. */
const char *afz_status_name(afz_status st);
/* afz_status_parse maps an exact (case-sensitive) status string to its
 * value; returns 0 and leaves *out alone when |s| is NULL or no status. */
int afz_status_parse(const char *s, afz_status *out);
/* afz_acme_obj_name returns "account", "order", "authorization" or
 * "challenge". */
const char *afz_acme_obj_name(afz_acme_obj obj);

/* afz_status_allowed: RFC 8555 lets an |obj| carry |st| (7.1.2 account:
 * valid, deactivated, revoked; 7.1.3 order: pending, ready, processing,
 * valid, invalid; 7.1.4 authorization: pending, valid, invalid,
 * deactivated, expired, revoked; 7.1.6 challenge: pending, processing,
 * valid, invalid). */
int afz_status_allowed(afz_acme_obj obj, afz_status st);
/* afz_status_initial: the state an |obj| is created in (valid for an
 * account, pending otherwise). */
afz_status afz_status_initial(afz_acme_obj obj);
/* afz_status_transition_allowed: the 7.1.6 diagram for |obj| has an edge
 * |from| -> |to| (a status that stays the same is not a transition and
 * returns 0). */
int afz_status_transition_allowed(afz_acme_obj obj, afz_status from, afz_status to);
/* afz_status_reachable: a path of one or more 7.1.6 edges leads from
 * |from| to |to| for |obj|. This is what an observer may see between two
 * reads of one object: a client that reads an order "ready" and next
 * "valid" missed "processing", which is legal; "valid" then "ready" is
 * not. */
int afz_status_reachable(afz_acme_obj obj, afz_status from, afz_status to);
/* afz_status_final: |st| is allowed for |obj| and the 7.1.6 diagram has
 * no edge out of it. */
int afz_status_final(afz_acme_obj obj, afz_status st);
/* afz_status_final_failure: |st| is final, and not "valid", for some
 * object: "invalid", "expired", "deactivated", "revoked". What the client
 * sees in such a state never changes again (properties: final-states-final). */
int afz_status_final_failure(afz_status st);

/* ---- problem types (RFC 8555 6.7) ---- */

#define AFZ_ACME_ERROR_PREFIX "urn:ietf:params:acme:error:"

typedef struct afz_problem_type {
    const char *name;  /* "badNonce": the part after AFZ_ACME_ERROR_PREFIX */
    int http_status;   /* what Boulder and Pebble answer it with */
    const char *about; /* RFC 8555 6.7's description, shortened */
} afz_problem_type;

/* afz_problem_types returns the table of every RFC 8555 6.7 type (and
 * sets *n); afz_problem_type_find looks one up by name (without the
 * prefix), NULL when unknown. */
const afz_problem_type *afz_problem_types(size_t *n);
const afz_problem_type *afz_problem_type_find(const char *name);

/* afz_problem_body appends the one way acmefuzz writes a problem document
 * (RFC 7807 as RFC 8555 6.7 uses it) to |out|:
 *   {"type":"urn:ietf:params:acme:error:TYPE","detail":"...","status":N EXTRA}
 * |type| is the name without the prefix (written as given: callers pass
 * names from the table or a fault's argument); |detail| is |detail_len|
 * bytes of any content, escaped as a JSON string; |extra| (may be NULL)
 * is appended raw before the closing brace and must be "" or start with
 * ',' followed by valid JSON members (e.g. ,"subproblems":[...]). Returns
 * AFZ_OK, AFZ_ENOMEM or AFZ_ELIMIT (the buffer's cap). */
afz_rc afz_problem_body(afz_buf *out, int status, const char *type, const char *detail,
                        size_t detail_len, const char *extra);

/* afz_json_string_append appends |n| bytes of |s| as a JSON string (with
 * the quotes): '"' and '\\' escaped, control bytes as \u00XX, bytes from
 * 0x7f up as '?' (untrusted bytes need not be UTF-8; the text stays ASCII,
 * so every document written with it is valid JSON), the rest as they are. */
afz_rc afz_json_string_append(afz_buf *out, const char *s, size_t n);

/* ---- names on the wire ---- */

/* afz_acme_tokens returns the member names of the RFC 8555 objects and
 * the directory, the challenge and identifier types, and the header
 * names and media types the protocol uses (sets *n). `acmefuzz list dict`
 * writes them, with the statuses and problem types above, into the
 * fuzzing dictionary. */
const char *const *afz_acme_tokens(size_t *n);

#endif
