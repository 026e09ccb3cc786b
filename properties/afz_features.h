/* afz_features.h - coverage features of a client run, read from the
 * history the server recorded: feedback for `acmefuzz fuzz` without
 * instrumenting the client.
 *
 * A feature is a 32-bit hash of one fact about what the client did:
 *   transition  per resource URL: (request kind, the object status the
 *               client last saw at that URL, HTTP status, the new object
 *               status or problem type);
 *   next        bigrams of consecutive requests: (kind, HTTP status and
 *               object status of its answer, the next request's kind),
 *               the last one followed by "end";
 *   fault       each injected fault (its name, the rule's number) with
 *               the kind it hit and the kind the client requested next;
 *   count       per request kind, how many requests (bucketed 1, 2, 3,
 *               4-7, 8-15, 16-31, 32+), as AFL buckets hit counts;
 *   request     per kind, the JWS shape (payload empty or not, kid or
 *               jwk) and whether the answer was delivered;
 *   wait        per kind, an answer with Retry-After, and whether the
 *               next request to the same URL came before it (250 ms of
 *               slack), after it, or never;
 *   outcome     the client's end (success, failure, wall-clock budget,
 *               crash) and the attempts made.
 * Times other than the Retry-After comparison are left out: they vary
 * from run to run with a real client. The same history always gives the
 * same features (tests/check_features.c). */
#ifndef AFZ_FEATURES_H
#define AFZ_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "afz_history.h"
#include "afz_rc.h"

/* A set of features: sorted, no duplicates. */
typedef struct afz_features {
    uint32_t *v; /* owned */
    size_t n, cap;
} afz_features;

void afz_features_init(afz_features *f);
void afz_features_cleanup(afz_features *f);

/* afz_features_from_history replaces |out|'s contents with the features
 * of |h|. AFZ_OK or AFZ_ENOMEM. */
afz_rc afz_features_from_history(const afz_history *h, afz_features *out);

/* afz_features_contains: 1 when |x| is in |f|. */
int afz_features_contains(const afz_features *f, uint32_t x);

#endif
