/* afz_mutate.c - see afz_mutate.h. */
#include "afz_mutate.h"

#include <string.h>

static const char *const mut_names[AFZ_MUT__COUNT] = {
    "add", "drop", "fault", "selector", "arg", "header", "splice",
};

const char *afz_mutation_name(afz_mutation m)
{
    return (unsigned)m < AFZ_MUT__COUNT ? mut_names[m] : "?";
}

/* The kinds a client of the issuance flow requests (revokeCert and
 * keyChange are never reached by an obtain). */
static const afz_resource flow_kinds[] = {
    AFZ_RES_UNKNOWN, AFZ_RES_DIRECTORY, AFZ_RES_NONCE,     AFZ_RES_ACCOUNT,  AFZ_RES_NEW_ORDER,
    AFZ_RES_ORDER,   AFZ_RES_AUTHZ,     AFZ_RES_CHALLENGE, AFZ_RES_FINALIZE, AFZ_RES_CERT,
};

static int fault_ok(const unsigned char *allowed, unsigned f)
{
    const afz_fault_def *d = afz_fault_get((afz_fault_id)f);
    return d && !d->retired && (!allowed || allowed[f]);
}

/* pick_fault returns an allowed fault, or -1 when there is none. */
static int pick_fault(const unsigned char *allowed, afz_prng *rng)
{
    unsigned ok[AFZ_FAULT__COUNT] = {0}, n = 0;
    for (unsigned f = 0; f < AFZ_FAULT__COUNT; f++)
        if (fault_ok(allowed, f))
            ok[n++] = f;
    return n ? (int)ok[afz_prng_below(rng, n)] : -1;
}

/* Occurrences: mostly small k, where the flow of one issuance lives. */
static void pick_occurrence(afz_rule *r, afz_prng *rng)
{
    switch (afz_prng_below(rng, 3)) {
    case 0:
        r->occ = AFZ_OCC_EVERY;
        r->k = 0;
        break;
    case 1:
        r->occ = AFZ_OCC_NTH;
        r->k = 1 + (unsigned)afz_prng_below(rng, 4);
        break;
    default:
        r->occ = AFZ_OCC_FROM;
        r->k = 1 + (unsigned)afz_prng_below(rng, 4);
        break;
    }
}

static void pick_kind(afz_rule *r, afz_prng *rng)
{
    r->kind = flow_kinds[afz_prng_below(rng, sizeof(flow_kinds) / sizeof(flow_kinds[0]))];
}

static void pick_args(afz_rule *r, afz_prng *rng)
{
    const afz_fault_def *d = afz_fault_get(r->fault);
    for (size_t i = 0; i < AFZ_FAULT_MAX_ARGS; i++)
        r->args[i] = d && d->args[i].type != AFZ_ARG_NONE
                         ? (unsigned)afz_prng_below(rng, afz_arg_domain(d->args[i].type))
                         : 0;
}

static int new_rule(afz_rule *r, const unsigned char *allowed, afz_prng *rng)
{
    int f = pick_fault(allowed, rng);
    if (f < 0)
        return -1;
    memset(r, 0, sizeof(*r));
    r->fault = (afz_fault_id)f;
    pick_kind(r, rng);
    pick_occurrence(r, rng);
    pick_args(r, rng);
    return afz_rule_canonicalize(r);
}

static void drop_rule(afz_plan *p, size_t i)
{
    memmove(&p->rules[i], &p->rules[i + 1], (p->n_rules - i - 1) * sizeof(p->rules[0]));
    p->n_rules--;
}

/* mutate_once tries mutation |m|; 0 when it was applicable. */
static int mutate_once(afz_plan *p, afz_mutation m, const afz_plan *donor,
                       const unsigned char *allowed, afz_prng *rng)
{
    size_t n = p->n_rules;
    afz_rule *r = n ? &p->rules[afz_prng_below(rng, n)] : NULL;
    switch (m) {
    case AFZ_MUT_ADD: {
        if (n >= AFZ_MUTATE_MAX_RULES)
            return -1;
        afz_rule nr;
        if (new_rule(&nr, allowed, rng) != 0)
            return -1;
        size_t at = (size_t)afz_prng_below(rng, n + 1);
        memmove(&p->rules[at + 1], &p->rules[at], (n - at) * sizeof(p->rules[0]));
        p->rules[at] = nr;
        p->n_rules++;
        return 0;
    }
    case AFZ_MUT_DROP:
        if (!n)
            return -1;
        drop_rule(p, (size_t)(r - p->rules));
        return 0;
    case AFZ_MUT_FAULT: {
        if (!r)
            return -1;
        int f = pick_fault(allowed, rng);
        if (f < 0)
            return -1;
        afz_rule nr = *r;
        nr.fault = (afz_fault_id)f;
        const afz_fault_def *old = afz_fault_get(r->fault);
        if (old && old->resource != AFZ_RES_UNKNOWN)
            pick_kind(&nr, rng); /* the old kind was the old fault's, not a choice */
        if (old && old->mech == AFZ_MECH_CONFIG)
            pick_occurrence(&nr, rng);
        pick_args(&nr, rng);
        if (afz_rule_canonicalize(&nr) != 0)
            return -1;
        *r = nr;
        return 0;
    }
    case AFZ_MUT_SELECTOR: {
        if (!r)
            return -1;
        afz_rule nr = *r;
        switch (afz_prng_below(rng, 3)) {
        case 0:
            pick_kind(&nr, rng);
            break;
        case 1:
            pick_occurrence(&nr, rng);
            break;
        default:
            /* anchor the count to a protocol phase, or drop the anchor */
            if (nr.after != AFZ_RES_UNKNOWN) {
                nr.after = AFZ_RES_UNKNOWN;
            } else {
                static const afz_resource phases[] = {AFZ_RES_NEW_ORDER, AFZ_RES_CHALLENGE,
                                                      AFZ_RES_FINALIZE};
                size_t slots = p->n_rules;
                for (size_t i = 0; i < p->n_rules; i++)
                    slots += p->rules[i].after != AFZ_RES_UNKNOWN;
                if (slots >= AFZ_PLAN_MAX_RULES) /* an anchor takes a slot */
                    return -1;
                nr.after = phases[afz_prng_below(rng, sizeof(phases) / sizeof(phases[0]))];
            }
            break;
        }
        if (afz_rule_canonicalize(&nr) != 0 ||
            (nr.after && afz_fault_get(nr.fault)->mech == AFZ_MECH_CONFIG))
            return -1;
        *r = nr;
        return 0;
    }
    case AFZ_MUT_ARG: {
        if (!r)
            return -1;
        const afz_fault_def *d = afz_fault_get(r->fault);
        if (!d || !d->n_args)
            return -1;
        size_t i = (size_t)afz_prng_below(rng, d->n_args);
        unsigned dom = afz_arg_domain(d->args[i].type);
        if (d->args[i].type == AFZ_ARG_NONE || dom < 2)
            return -1;
        /* Half the time a neighbour (the domains are ordered: counts,
         * seconds, Retry-After forms), else any value. */
        unsigned v = r->args[i];
        if (afz_prng_below(rng, 2))
            v = afz_prng_below(rng, 2) ? (v + 1) % dom : (v + dom - 1) % dom;
        else
            v = (unsigned)afz_prng_below(rng, dom);
        r->args[i] = v;
        return 0;
    }
    case AFZ_MUT_HEADER:
        if (afz_prng_below(rng, 4) == 0)
            p->attempts = 1 + (unsigned)afz_prng_below(rng, 2);
        else
            p->n_identifiers = 1 + (unsigned)afz_prng_below(rng, AFZ_PLAN_MAX_IDENTIFIERS);
        return 0;
    case AFZ_MUT_SPLICE: {
        if (!donor || !donor->n_rules || n >= AFZ_MUTATE_MAX_RULES)
            return -1;
        afz_rule nr = donor->rules[afz_prng_below(rng, donor->n_rules)];
        if (!fault_ok(allowed, (unsigned)nr.fault) || afz_rule_canonicalize(&nr) != 0)
            return -1;
        p->rules[p->n_rules++] = nr;
        return 0;
    }
    default:
        return -1;
    }
}

int afz_plan_mutate(afz_plan *p, const afz_plan *donor, const unsigned char *allowed, afz_prng *rng)
{
    /* Weights: rules are what matters; the header rarely. */
    static const afz_mutation wheel[] = {
        AFZ_MUT_ADD,   AFZ_MUT_ADD,      AFZ_MUT_ADD,      AFZ_MUT_DROP,   AFZ_MUT_FAULT,
        AFZ_MUT_FAULT, AFZ_MUT_SELECTOR, AFZ_MUT_SELECTOR, AFZ_MUT_ARG,    AFZ_MUT_ARG,
        AFZ_MUT_ARG,   AFZ_MUT_HEADER,   AFZ_MUT_SPLICE,   AFZ_MUT_SPLICE,
    };
    for (int tries = 0; tries < 64; tries++) {
        afz_plan q = *p;
        afz_mutation m = wheel[afz_prng_below(rng, sizeof(wheel) / sizeof(wheel[0]))];
        if (mutate_once(&q, m, donor, allowed, rng) != 0 || afz_plan_equal(&q, p))
            continue;
        *p = q;
        return (int)m;
    }
    return -1;
}
