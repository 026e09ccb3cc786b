/* check_mutate.c - the plan mutator of `acmefuzz fuzz`: every mutation
 * gives a canonical plan that differs from its input and round-trips
 * through both plan forms, the same seed gives the same sequence, only
 * allowed faults are used, and every kind of mutation happens. */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "afz_buf.h"
#include "afz_mutate.h"
#include "afz_plan.h"
#include "afz_prng.h"
#include "afz_scenario.h"

/* Why |p| is not a canonical plan the text form round-trips, or NULL. */
static const char *plan_problem(const afz_plan *p)
{
    if (p->n_rules > AFZ_PLAN_MAX_RULES || p->n_identifiers < 1 ||
        p->n_identifiers > AFZ_PLAN_MAX_IDENTIFIERS || p->attempts < 1 ||
        p->attempts > AFZ_PLAN_MAX_ATTEMPTS)
        return "header out of range";
    for (size_t i = 0; i < p->n_rules; i++) {
        afz_rule r = p->rules[i];
        if (afz_rule_canonicalize(&r) != 0)
            return "rule out of range";
        if (memcmp(&r, &p->rules[i], sizeof(r)) != 0)
            return "rule not canonical";
    }
    afz_buf b, t;
    afz_buf_init(&b, 0);
    afz_buf_init(&t, 0);
    const char *why = NULL;
    afz_plan q;
    afz_scn_error err;
    if (afz_plan_encode(p, &b) != AFZ_OK)
        why = "binary form refused";
    else {
        afz_plan_decode((const uint8_t *)b.data, b.len, &q);
        if (!afz_plan_equal(&q, p))
            why = "binary form does not round-trip";
    }
    if (!why && afz_scenario_print(p, &t) != AFZ_OK)
        why = "text form refused";
    if (!why &&
        (afz_scenario_parse(afz_buf_cstr(&t), t.len, &q, &err) != AFZ_OK || !afz_plan_equal(&q, p)))
        why = "text form does not round-trip";
    afz_buf_cleanup(&b);
    afz_buf_cleanup(&t);
    return why;
}

START_TEST(test_mutate_yields_canonical_different_plans)
{
    afz_prng rng;
    afz_prng_seed(&rng, 7u + (uint64_t)_i);
    afz_plan p, donor;
    afz_plan_init(&p);
    afz_plan_init(&donor);
    uint8_t bytes[32];
    afz_prng_bytes(&rng, bytes, sizeof(bytes));
    afz_plan_decode(bytes, sizeof(bytes), &donor);
    donor.account_alg = AFZ_ALG_ES256;
    const char *bad = NULL;
    unsigned seen[AFZ_MUT__COUNT] = {0};
    for (int step = 0; step < 2000 && !bad; step++) {
        afz_plan before = p;
        int m = afz_plan_mutate(&p, &donor, NULL, &rng);
        if (m < 0 || m >= AFZ_MUT__COUNT) {
            bad = "no mutation applied";
            break;
        }
        seen[m]++;
        if (afz_plan_equal(&before, &p))
            bad = "the plan did not change";
        else if (p.n_rules > AFZ_MUTATE_MAX_RULES)
            bad = "more rules than AFZ_MUTATE_MAX_RULES";
        else if (p.account_alg != before.account_alg)
            bad = "the account key algorithm changed";
        else
            bad = plan_problem(&p);
        if (bad)
            fprintf(stderr, "mutation %s at step %d: %s\n", afz_mutation_name((afz_mutation)m),
                    step, bad);
    }
    ck_assert_msg(bad == NULL, "%s", bad);
    for (int m = 0; m < AFZ_MUT__COUNT; m++)
        ck_assert_msg(seen[m] > 0, "mutation %s never happened", afz_mutation_name(m));
}
END_TEST

START_TEST(test_mutate_is_deterministic_per_seed)
{
    afz_plan a, b;
    afz_plan_init(&a);
    afz_plan_init(&b);
    afz_prng ra, rb;
    afz_prng_seed(&ra, 42);
    afz_prng_seed(&rb, 42);
    int same = 1;
    for (int i = 0; i < 500 && same; i++) {
        int ma = afz_plan_mutate(&a, NULL, NULL, &ra);
        int mb = afz_plan_mutate(&b, NULL, NULL, &rb);
        same = ma == mb && afz_plan_equal(&a, &b);
    }
    ck_assert_msg(same, "the same seed gave different mutations");
    /* and another seed another sequence */
    afz_plan c;
    afz_plan_init(&c);
    afz_plan_init(&a);
    afz_prng_seed(&ra, 42);
    afz_prng rc;
    afz_prng_seed(&rc, 43);
    int differ = 0;
    for (int i = 0; i < 20 && !differ; i++) {
        afz_plan_mutate(&a, NULL, NULL, &ra);
        afz_plan_mutate(&c, NULL, NULL, &rc);
        differ = !afz_plan_equal(&a, &c);
    }
    ck_assert_msg(differ, "seeds 42 and 43 gave the same 20 plans");
}
END_TEST

START_TEST(test_mutate_uses_only_allowed_faults)
{
    unsigned char allowed[AFZ_FAULT__COUNT];
    memset(allowed, 0, sizeof(allowed));
    allowed[AFZ_FAULT_BAD_NONCE] = 1;
    allowed[AFZ_FAULT_RETRY_AFTER] = 1;
    afz_plan p, donor;
    afz_plan_init(&p);
    afz_plan_init(&donor);
    donor.n_rules = 1;
    donor.rules[0].fault = AFZ_FAULT_INVALID_JSON; /* not allowed: never spliced in */
    afz_rule_canonicalize(&donor.rules[0]);
    afz_prng rng;
    afz_prng_seed(&rng, 5);
    int ok = 1;
    for (int i = 0; i < 1000 && ok; i++) {
        ck_assert_int_ge(afz_plan_mutate(&p, &donor, allowed, &rng), 0);
        for (size_t k = 0; k < p.n_rules; k++)
            ok = ok && allowed[p.rules[k].fault];
    }
    ck_assert_msg(ok, "a fault outside the allowed set was used");
    memset(allowed, 0, sizeof(allowed));
    afz_plan_init(&p);
    /* nothing allowed and nothing to drop: only the header can change */
    int m = afz_plan_mutate(&p, NULL, allowed, &rng);
    ck_assert_int_eq(m, AFZ_MUT_HEADER);
    ck_assert_uint_eq(p.n_rules, 0);
}
END_TEST

Suite *mutate_suite(void)
{
    Suite *s = suite_create("mutate");
    TCase *tc = tcase_create("mutate");
    tcase_add_loop_test(tc, test_mutate_yields_canonical_different_plans, 0, 4);
    tcase_add_test(tc, test_mutate_is_deterministic_per_seed);
    tcase_add_test(tc, test_mutate_uses_only_allowed_faults);
    suite_add_tcase(s, tc);
    return s;
}
