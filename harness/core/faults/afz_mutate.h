/* afz_mutate.h - structured mutations of fault plans, for campaigns that
 * cannot go through a byte-level fuzzer (`acmefuzz fuzz` against real
 * client binaries).
 *
 * Every mutation works on the rules of a plan, never on its bytes:
 *   add      a new rule: an allowed fault, a selector (a resource kind
 *            for faults without a natural one, an occurrence), arguments
 *            drawn from their domains;
 *   drop     remove one rule;
 *   fault    replace one rule's fault by another allowed one (the
 *            selector is kept where the new fault lets it be chosen);
 *   selector change one rule's kind (faults without a natural resource),
 *            occurrence ("*", "@k", "@k+", k small), or phase: anchor
 *            the count "after" newOrder, challenge or finalize, or drop
 *            the anchor (afz_plan.h);
 *   arg      change one argument of one rule within its domain (half
 *            the time to a neighbouring value);
 *   header   change the identifier count (1..4) or the campaign
 *            attempts (1..2);
 *   splice   copy a rule of a donor plan (when one is given).
 * The result is always a canonical plan (every rule passes
 * afz_rule_canonicalize unchanged, at most AFZ_MUTATE_MAX_RULES rules)
 * that differs from the input, and the same input, donor and PRNG state
 * give the same result. The account key algorithm is left alone (a real
 * client brings its own key). */
#ifndef AFZ_MUTATE_H
#define AFZ_MUTATE_H

#include <stddef.h>

#include "afz_plan.h"
#include "afz_prng.h"

/* Rules a mutation grows a plan to, at most: a real client runs each
 * input in real time, and findings are shrunk afterwards anyway. */
#define AFZ_MUTATE_MAX_RULES 6

typedef enum afz_mutation {
    AFZ_MUT_ADD = 0,
    AFZ_MUT_DROP,
    AFZ_MUT_FAULT,
    AFZ_MUT_SELECTOR,
    AFZ_MUT_ARG,
    AFZ_MUT_HEADER,
    AFZ_MUT_SPLICE,
    AFZ_MUT__COUNT
} afz_mutation;

/* afz_mutation_name: "add", "drop", ... */
const char *afz_mutation_name(afz_mutation m);

/* afz_plan_mutate applies one mutation to |p| in place. |allowed| has
 * AFZ_FAULT__COUNT bytes, 1 for each fault a new or changed rule may use
 * (NULL: every fault that is not retired); |donor| may be NULL. Returns
 * the mutation applied, or -1 (|p| unchanged) when none could change the
 * plan in a bounded number of tries (no fault allowed at all). */
int afz_plan_mutate(afz_plan *p, const afz_plan *donor, const unsigned char *allowed,
                    afz_prng *rng);

#endif
