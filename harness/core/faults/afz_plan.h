/* afz_plan.h - fault plans: an ordered list of rules "selector -> fault",
 * their binary form (what fuzzers mutate) and their class.
 *
 * A selector names a resource kind (or any) and an occurrence: every
 * response of that kind, only the k-th (1-based), or the k-th and every
 * later one. Occurrences count requests of that kind as the server model
 * classifies them ("any" counts all requests). A selector may be anchored
 * to a protocol phase: "after KIND" counts only the requests made after
 * the first request of KIND that the client saw answered 2xx (text:
 * `order @1 after finalize -> ...`, the first order read after an
 * accepted finalize). One scenario then means the same thing for a client
 * that polls twice before it finalizes and for one that does not.
 *
 * Binary layout (afz_plan_decode is total: every byte string is a plan):
 *
 *   byte 0        header
 *                   bits 0-1  identifiers - 1       (1..4 names)
 *                   bits 2-3  account key algorithm (ES256, ES384, RS256, EdDSA),
 *                             read only when bits 6-7 are both set
 *                   bits 4-5  campaign attempts - 1 (1..4 obtain calls)
 *                   bits 6-7  11: bits 2-3 pick the algorithm; else ES256
 *                 So a random header byte means ES256 13 times in 16 and
 *                 each other algorithm once in 16. The algorithm changes
 *                 only the JWS signatures, while a P-384 signature and
 *                 verification cost ~15 times a P-256 pair in OpenSSL 3.0
 *                 (bench/): uniform choice spent most of a fuzz run's CPU
 *                 on P-384 arithmetic. Canonical encoding: ES256 writes
 *                 bits 2-3 and 6-7 as 0; the others write 11 in bits 6-7.
 *   bytes 1..     rule slots, 6 bytes each, at most AFZ_PLAN_MAX_RULES:
 *                   +0 kind        byte % AFZ_RES__COUNT   (0 = any)
 *                   +1 occurrence  0 = every, 1..127 = only the k-th,
 *                                  128..255 = from the (byte-127)-th on
 *                   +2 fault       the catalog position itself: byte b
 *                                  < AFZ_FAULT__COUNT is fault b; a byte
 *                                  no fault holds yet (b >= AFZ_FAULT__COUNT,
 *                                  48 today) or a retired fault's byte
 *                                  is reserved: the slot is a no-op and
 *                                  decodes to no rule at all
 *                   +3..+5 args    byte % the argument type's domain
 *                 Fault byte AFZ_PLAN_ANCHOR_BYTE (255) is no fault: the
 *                 slot is an anchor, and its kind byte (% AFZ_RES__COUNT;
 *                 0 = none) becomes the "after" kind of the rule in the
 *                 next slot, if that slot holds one. Anchor slots count
 *                 against AFZ_PLAN_MAX_RULES like rule slots. (Committed
 *                 inputs held no 255 fault byte when anchors came, so none
 *                 changed meaning; the catalog stops at 254.)
 *                 A final partial slot is read as if padded with zeros;
 *                 bytes after the last slot are ignored.
 *                 Fault bytes are append-only: faults appended to the
 *                 catalog take the free bytes in turn (46 spare_nonce,
 *                 47 certificate_early, then 48..255), and once a byte
 *                 means a fault it means it forever (afz_fault.h). So a
 *                 saved input (corpus file, crash) keeps its meaning when
 *                 faults are added; only its reserved slots may come alive.
 *                 (Before, the byte was read modulo the fault count, which
 *                 changed the meaning of every byte >= the count on each
 *                 addition; tests/check_plan.c checks that the committed
 *                 corpora mean the same under both readings.)
 *   An empty input is the empty plan (no faults).
 *
 * Canonical form. Decoding canonicalizes: a fault with a natural resource
 * (afz_fault_def.resource) always targets it; CONFIG faults always have
 * occurrence "every"; unused arguments are 0. afz_plan_encode writes a
 * canonical plan back so that decode(encode(p)) == p. A plan never holds
 * a reserved or retired fault: afz_rule_canonicalize refuses both. A
 * CONFIG fault has no anchor (it is set up before any request). */
#ifndef AFZ_PLAN_H
#define AFZ_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "afz_buf.h"
#include "afz_fault.h"
#include "afz_jose.h"
#include "afz_resource.h"

#define AFZ_PLAN_MAX_RULES 16
#define AFZ_PLAN_RULE_BYTES 6
#define AFZ_PLAN_MAX_IDENTIFIERS 4
#define AFZ_PLAN_MAX_ATTEMPTS 4
#define AFZ_PLAN_ANCHOR_BYTE 255

typedef enum afz_occ_mode {
    AFZ_OCC_EVERY = 0, /* every response of the kind */
    AFZ_OCC_NTH = 1,   /* only the k-th (k = 1..127) */
    AFZ_OCC_FROM = 2   /* the k-th and every later one (k = 1..128) */
} afz_occ_mode;

typedef struct afz_rule {
    afz_resource kind; /* AFZ_RES_UNKNOWN selects any resource */
    afz_occ_mode occ;
    unsigned k;
    afz_fault_id fault;
    unsigned args[AFZ_FAULT_MAX_ARGS];
    afz_resource after; /* AFZ_RES_UNKNOWN: counted from the start; else counted
                           after the first 2xx answer to a request of this kind */
} afz_rule;

typedef struct afz_plan {
    unsigned n_identifiers;  /* 1..4: example.com, www.example.com, ... */
    afz_jws_alg account_alg; /* ES256, ES384, RS256 or EdDSA */
    unsigned attempts;       /* 1..4 obtain calls (campaign mode) */
    size_t n_rules;
    afz_rule rules[AFZ_PLAN_MAX_RULES];
} afz_plan;

/* afz_plan_init makes the empty plan: one identifier, ES256, 1 attempt. */
void afz_plan_init(afz_plan *p);
/* afz_plan_decode reads any |n| bytes into a canonical plan; it has at
 * most one rule per slot (fewer when slots are reserved). */
void afz_plan_decode(const uint8_t *data, size_t n, afz_plan *p);
/* afz_plan_encode appends the binary form of |p| (canonicalized first).
 * AFZ_EINVAL, with nothing appended, when a rule is out of range (see
 * afz_rule_canonicalize) or a header field cannot be encoded (identifiers
 * outside 1..4, attempts outside 1..4, another algorithm, more than
 * AFZ_PLAN_MAX_RULES slots: a rule with an anchor takes two). */
afz_rc afz_plan_encode(const afz_plan *p, afz_buf *out);
/* afz_plan_canonicalize brings a rule into canonical form (see above);
 * it returns -1 if the rule is out of range (unknown or retired fault, k out of
 * range, argument beyond its domain) and leaves it alone then. */
int afz_rule_canonicalize(afz_rule *r);
/* afz_plan_equal compares two plans field by field (0 for a plan with
 * more than AFZ_PLAN_MAX_RULES rules). */
int afz_plan_equal(const afz_plan *a, const afz_plan *b);

/* afz_rule_class is the class of one rule: its fault's class, except that
 * a fault that denies service (a BEFORE fault, or stale_status) on every
 * occurrence, or from one on, leaves a correct client no way through and
 * counts as degraded; so does a refusal (rate_limited, unavailable) sent
 * without Retry-After. */
afz_fault_class afz_rule_class(const afz_rule *r);
/* afz_plan_class is the worst class among the rules (legal when empty).
 * More than two legal denial rules also make the plan degraded: a correct
 * client may stop retrying after a few refusals. */
afz_fault_class afz_plan_class(const afz_plan *p);

/* afz_plan_identifier returns the i-th generated identifier. */
const char *afz_plan_identifier(unsigned i);
/* The identifier list as an array of n_identifiers names (static). */
const char *const *afz_plan_identifiers(void);

/* afz_plan_seed derives a run seed from the plan (stable across
 * processes), so a plan alone fixes its history. */
uint64_t afz_plan_seed(const afz_plan *p);

#endif
