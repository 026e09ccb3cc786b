/* afz_prop_internal.h - what the property checkers share: the check
 * functions the table in afz_property.c lists, and the helpers that fill a
 * result. Not part of the public API. */
#ifndef AFZ_PROP_INTERNAL_H
#define AFZ_PROP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "afz_property.h"
#include "afz_trace.h"

/* afz_prop_order.c: the order's life cycle. */
void afz_prop_check_no_refinalize(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_cert_url_from_order(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_final_states_final(const afz_prop_input *in, afz_prop_result *out);

/* afz_prop_outcome.c: what the run did to the CA and the user. */
void afz_prop_check_no_duplicate_issuance(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_no_orphan_issuance(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_bounded_new_orders(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_terminates(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_succeeds_under_legal(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_no_crash(const afz_prop_input *in, afz_prop_result *out);

/* afz_prop_timing.c: when the client asks again. */
void afz_prop_check_respects_retry_after(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_poll_backoff(const afz_prop_input *in, afz_prop_result *out);

/* afz_prop_jws.c: how each request is signed and what it carries. */
void afz_prop_check_post_as_get_empty(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_nonce_discipline(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_nonce_fresh(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_retries_bad_nonce(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_jws_headers(const afz_prop_input *in, afz_prop_result *out);

/* afz_prop_wait.c: re-reads that wait for what cannot come. */
void afz_prop_check_bounded_valid_rereads(const afz_prop_input *in, afz_prop_result *out);
void afz_prop_check_no_unasked_authz_polls(const afz_prop_input *in, afz_prop_result *out);

/* A small map from URL (or any string key, borrowed) to per-key state,
 * with linear lookup: runs touch tens of URLs. */
typedef struct afz_prop_slot {
    const char *key;      /* borrowed from the trace or history */
    const char *status;   /* last status seen, NULL if unknown */
    size_t seen_at;       /* exchange that showed |status|, SIZE_MAX if none */
    size_t a, b;          /* exchange indices, meaning per checker; SIZE_MAX if none */
    uint64_t mark, mark2; /* per checker */
    unsigned count;       /* per checker */
} afz_prop_slot;

typedef struct afz_prop_slots {
    afz_prop_slot *v;
    size_t n, cap;
} afz_prop_slots;

/* afz_prop_slot_get returns the slot of |key|, adding a fresh one (status
 * NULL, indices SIZE_MAX, zeros) when missing; NULL on ENOMEM. The pointer
 * is valid until the next get. */
afz_prop_slot *afz_prop_slot_get(afz_prop_slots *s, const char *key);
/* afz_prop_slot_find returns the slot of |key|, or NULL. */
afz_prop_slot *afz_prop_slot_find(const afz_prop_slots *s, const char *key);
void afz_prop_slots_cleanup(afz_prop_slots *s);

/* Result helpers. Messages are one line, truncated to fit. */
void afz_prop_pass(afz_prop_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void afz_prop_violation(afz_prop_result *out, size_t exchange, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void afz_prop_inconclusive(afz_prop_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* afz_prop_limits_of returns in->limits, or the defaults when NULL. */
const afz_prop_limits *afz_prop_limits_of(const afz_prop_input *in);
/* afz_prop_need_trace returns the trace, or NULL after filling |out| with
 * an inconclusive verdict. */
const afz_trace *afz_prop_need_trace(const afz_prop_input *in, afz_prop_result *out);
/* afz_prop_path returns the path of |url| for messages ("/order/1"), or
 * the URL itself when it has none. */
const char *afz_prop_path(const char *url);
/* afz_prop_secs formats virtual milliseconds as seconds ("3.072s") into
 * |buf| (>= 32 bytes) and returns it. */
const char *afz_prop_secs(int64_t ms, char *buf, size_t n);

#endif
