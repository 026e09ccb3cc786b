/* check_plan.c - fault plans: the total binary decoder, its inverse, the
 * locality of byte changes, reachability of every fault and argument, the
 * class of rules and plans, and the plan seed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_buf.h"
#include "afz_fault.h"
#include "afz_plan.h"
#include "afz_prng.h"

static const afz_jws_alg header_algs[4] = {AFZ_ALG_ES256, AFZ_ALG_ES384, AFZ_ALG_RS256,
                                           AFZ_ALG_EDDSA};

/* Check's passing assertions each write a checkpoint, which is slow in
 * loops of 100,000: the hot checks compute a verdict and assert once. */

/* Why |r| is out of range or not canonical, NULL when it is fine
 * (canonicalizing it again must change nothing). */
static const char *rule_problem(const afz_rule *r)
{
    const afz_fault_def *d = afz_fault_get(r->fault);
    if (!d)
        return "unknown fault";
    if ((int)r->kind < 0 || r->kind >= AFZ_RES__COUNT)
        return "kind out of range";
    if (d->resource != AFZ_RES_UNKNOWN && r->kind != d->resource)
        return "fault not on its natural resource";
    switch (r->occ) {
    case AFZ_OCC_EVERY:
        if (r->k != 0)
            return "every with k != 0";
        break;
    case AFZ_OCC_NTH:
        if (r->k < 1 || r->k > 127)
            return "@k out of 1..127";
        break;
    case AFZ_OCC_FROM:
        if (r->k < 1 || r->k > 128)
            return "@k+ out of 1..128";
        break;
    default:
        return "occurrence mode out of range";
    }
    if (d->mech == AFZ_MECH_CONFIG && r->occ != AFZ_OCC_EVERY)
        return "CONFIG fault not on every occurrence";
    for (size_t a = 0; a < AFZ_FAULT_MAX_ARGS; a++) {
        if (r->args[a] >= afz_arg_domain(d->args[a].type))
            return "argument beyond its domain";
        if (a >= d->n_args && r->args[a] != 0)
            return "unused argument not 0";
    }
    afz_rule c = *r;
    if (afz_rule_canonicalize(&c) != 0 || memcmp(&c, r, sizeof(c)) != 0)
        return "canonicalize changes it";
    return NULL;
}

/* slot_live says whether the fault byte of rule slot |slot| of |in| names
 * a fault (a missing byte reads as 0, fault 0). */
static int slot_live(const uint8_t *in, size_t n, size_t slot)
{
    size_t pos = 1 + slot * AFZ_PLAN_RULE_BYTES + 2;
    return pos >= n || in[pos] < AFZ_FAULT__COUNT;
}

static const char *plan_problem(const afz_plan *p, const uint8_t *in, size_t input_len)
{
    if (p->n_identifiers < 1 || p->n_identifiers > AFZ_PLAN_MAX_IDENTIFIERS)
        return "identifiers out of range";
    if (p->attempts < 1 || p->attempts > AFZ_PLAN_MAX_ATTEMPTS)
        return "attempts out of range";
    int alg_ok = 0;
    for (size_t i = 0; i < 4; i++)
        alg_ok |= p->account_alg == header_algs[i];
    if (!alg_ok)
        return "account algorithm out of range";
    /* one slot per 6 bytes after the header, a partial one counting; a
     * slot is a rule unless its fault byte is reserved */
    size_t slots =
        input_len <= 1 ? 0 : (input_len - 1 + AFZ_PLAN_RULE_BYTES - 1) / AFZ_PLAN_RULE_BYTES;
    if (slots > AFZ_PLAN_MAX_RULES)
        slots = AFZ_PLAN_MAX_RULES;
    size_t want = 0;
    for (size_t i = 0; i < slots; i++)
        want += (size_t)slot_live(in, input_len, i);
    if (p->n_rules != want)
        return "wrong number of rules";
    for (size_t i = 0; i < p->n_rules; i++) {
        const char *why = rule_problem(&p->rules[i]);
        if (why)
            return why;
    }
    return NULL;
}

static void decode_bytes(const uint8_t *b, size_t n, afz_plan *p)
{
    /* Decode from a heap copy of exactly n bytes so ASan sees overreads. */
    uint8_t *copy = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(copy);
    if (n)
        memcpy(copy, b, n);
    afz_plan_decode(n ? copy : NULL, n, p);
    free(copy);
}

/* The length of |p|'s encoding: the header, one slot per rule and one
 * more per anchored rule. */
static size_t encoded_len(const afz_plan *p)
{
    size_t slots = p->n_rules;
    for (size_t i = 0; i < p->n_rules; i++)
        slots += p->rules[i].after != AFZ_RES_UNKNOWN;
    return 1 + slots * AFZ_PLAN_RULE_BYTES;
}

static void encode_ok(const afz_plan *p, afz_buf *out)
{
    afz_buf_init(out, 0);
    ck_assert_int_eq(afz_plan_encode(p, out), AFZ_OK);
    ck_assert_uint_eq(out->len, encoded_len(p));
}

START_TEST(test_plan_decoding_is_total_and_round_trips)
{
    /* 10 x 10,000 inputs of 0..200 pseudo-random bytes */
    afz_prng g;
    afz_prng_seed(&g, UINT64_C(0x706c616e) + (uint64_t)_i);
    uint8_t in[200];
    afz_buf b, c;
    afz_buf_init(&b, 0);
    afz_buf_init(&c, 0);
    for (int iter = 0; iter < 10000; iter++) {
        size_t n = (size_t)afz_prng_below(&g, 201);
        afz_prng_bytes(&g, in, n);
        afz_plan p, q;
        decode_bytes(in, n, &p);
        const char *why = plan_problem(&p, in, n);
        if (why)
            ck_abort_msg("iteration %d (%zu bytes): %s", iter, n, why);
        afz_fault_class cls = afz_plan_class(&p);
        afz_buf_reset(&b);
        afz_buf_reset(&c);
        if (afz_plan_encode(&p, &b) != AFZ_OK || b.len != encoded_len(&p))
            ck_abort_msg("iteration %d: encode failed", iter);
        decode_bytes((const uint8_t *)b.data, b.len, &q);
        if (!afz_plan_equal(&p, &q))
            ck_abort_msg("iteration %d: decode(encode(p)) != p", iter);
        /* the encoding is canonical: encoding again gives the same bytes */
        if (afz_plan_encode(&q, &c) != AFZ_OK || b.len != c.len ||
            memcmp(b.data, c.data, b.len) != 0)
            ck_abort_msg("iteration %d: encode(decode(encode(p))) != encode(p)", iter);
        if (afz_plan_class(&q) != cls || afz_plan_seed(&q) != afz_plan_seed(&p))
            ck_abort_msg("iteration %d: equal plans differ in class or seed", iter);
    }
    afz_buf_cleanup(&b);
    afz_buf_cleanup(&c);
}
END_TEST

START_TEST(test_plan_empty_input_is_the_empty_plan)
{
    afz_plan p, init, q;
    afz_plan_init(&init);
    ck_assert_uint_eq(init.n_identifiers, 1);
    ck_assert_int_eq(init.account_alg, AFZ_ALG_ES256);
    ck_assert_uint_eq(init.attempts, 1);
    ck_assert_uint_eq(init.n_rules, 0);
    afz_plan_decode(NULL, 0, &p);
    ck_assert(afz_plan_equal(&p, &init));
    afz_plan_decode((const uint8_t *)"", 0, &p);
    ck_assert(afz_plan_equal(&p, &init));
    /* its encoding is one zero header byte, which decodes back to it */
    afz_buf b;
    encode_ok(&p, &b);
    ck_assert_uint_eq(b.len, 1);
    ck_assert_int_eq(b.data[0], 0);
    afz_plan_decode((const uint8_t *)b.data, b.len, &q);
    ck_assert(afz_plan_equal(&q, &init));
    afz_buf_cleanup(&b);
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_LEGAL);
}
END_TEST

START_TEST(test_plan_header_bits_set_identifiers_alg_attempts)
{
    afz_buf b;
    afz_buf_init(&b, 0);
    unsigned n_es256 = 0;
    for (unsigned v = 0; v < 256; v++) {
        uint8_t h = (uint8_t)v;
        afz_plan p;
        decode_bytes(&h, 1, &p);
        afz_jws_alg want = (h & 0xc0) == 0xc0 ? header_algs[(h >> 2) & 3u] : AFZ_ALG_ES256;
        if (p.n_identifiers != 1u + (h & 3u) || p.account_alg != want ||
            p.attempts != 1u + ((h >> 4) & 3u) || p.n_rules != 0)
            ck_abort_msg("header 0x%02x decodes wrong", v);
        n_es256 += want == AFZ_ALG_ES256;
        /* canonical: ES256 has bits 2-3 and 6-7 clear, the others 11 in 6-7 */
        uint8_t canon = (uint8_t)(want == AFZ_ALG_ES256 ? h & 0x33 : h | 0xc0);
        afz_plan q;
        decode_bytes(&canon, 1, &q);
        if (!afz_plan_equal(&p, &q))
            ck_abort_msg("header 0x%02x: canonical 0x%02x decodes differently", v, canon);
        afz_buf_reset(&b);
        if (afz_plan_encode(&p, &b) != AFZ_OK || b.len != 1 || (uint8_t)b.data[0] != canon)
            ck_abort_msg("header 0x%02x does not encode back to 0x%02x", v, canon);
    }
    /* 13 of every 16 header bytes mean ES256 */
    ck_assert_uint_eq(n_es256, 256 * 13 / 16);
    afz_buf_cleanup(&b);
    /* the documented examples */
    afz_plan p;
    decode_bytes((const uint8_t *)"\x00", 1, &p);
    ck_assert_uint_eq(p.n_identifiers, 1);
    ck_assert_int_eq(p.account_alg, AFZ_ALG_ES256);
    ck_assert_uint_eq(p.attempts, 1);
    decode_bytes((const uint8_t *)"\xff", 1, &p);
    ck_assert_uint_eq(p.n_identifiers, 4);
    ck_assert_int_eq(p.account_alg, AFZ_ALG_EDDSA);
    ck_assert_uint_eq(p.attempts, AFZ_PLAN_MAX_ATTEMPTS);
    decode_bytes((const uint8_t *)"\xe9", 1, &p); /* 11 10 10 01 */
    ck_assert_uint_eq(p.n_identifiers, 2);
    ck_assert_int_eq(p.account_alg, AFZ_ALG_RS256);
    ck_assert_uint_eq(p.attempts, 3);
    decode_bytes((const uint8_t *)"\x29", 1, &p); /* 00 10 10 01: bits 6-7 clear, ES256 */
    ck_assert_int_eq(p.account_alg, AFZ_ALG_ES256);
    decode_bytes((const uint8_t *)"\xc4", 1, &p); /* 11 00 01 00 */
    ck_assert_int_eq(p.account_alg, AFZ_ALG_ES384);
}
END_TEST

START_TEST(test_plan_partial_trailing_rule_reads_as_zero_padded)
{
    /* _i: how many bytes of the second rule are present (1..5) */
    size_t part = (size_t)_i;
    afz_prng g;
    afz_prng_seed(&g, 99 + part);
    for (int iter = 0; iter < 500; iter++) {
        uint8_t in[1 + 2 * AFZ_PLAN_RULE_BYTES];
        afz_prng_bytes(&g, in, sizeof(in));
        in[3] %= AFZ_FAULT__COUNT; /* both slots live */
        in[3 + AFZ_PLAN_RULE_BYTES] %= AFZ_FAULT__COUNT;
        size_t n = 1 + AFZ_PLAN_RULE_BYTES + part;
        uint8_t padded[sizeof(in)];
        memcpy(padded, in, n);
        memset(padded + n, 0, sizeof(padded) - n);
        afz_plan a, b;
        decode_bytes(in, n, &a);
        decode_bytes(padded, sizeof(padded), &b);
        ck_assert_uint_eq(a.n_rules, 2);
        ck_assert(afz_plan_equal(&a, &b));
    }
}
END_TEST

START_TEST(test_plan_bytes_after_sixteen_rules_are_ignored)
{
    afz_prng g;
    afz_prng_seed(&g, 1616);
    enum { FULL = 1 + AFZ_PLAN_MAX_RULES * AFZ_PLAN_RULE_BYTES };
    for (int iter = 0; iter < 200; iter++) {
        uint8_t in[FULL + 64];
        afz_prng_bytes(&g, in, sizeof(in));
        for (size_t i = 0; i < AFZ_PLAN_MAX_RULES; i++) /* every slot live */
            in[3 + i * AFZ_PLAN_RULE_BYTES] %= AFZ_FAULT__COUNT;
        size_t extra = 1 + (size_t)afz_prng_below(&g, 64);
        afz_plan a, b;
        decode_bytes(in, FULL, &a);
        decode_bytes(in, FULL + extra, &b);
        ck_assert_uint_eq(a.n_rules, AFZ_PLAN_MAX_RULES);
        ck_assert(afz_plan_equal(&a, &b));
    }
}
END_TEST

/* Why |y| differs from |x| in more than the field(s) byte |off| of a rule
 * encodes; NULL when the change stayed local. */
static const char *change_problem(const afz_rule *x, const afz_rule *y, size_t off)
{
    if (off == 2)
        return NULL; /* a new fault may take a new kind, occurrence and args */
    if (x->fault != y->fault)
        return "the fault changed";
    if (off != 0 && x->kind != y->kind)
        return "the kind changed";
    if (off != 1 && (x->occ != y->occ || x->k != y->k))
        return "the occurrence changed";
    for (size_t k = 0; k < AFZ_FAULT_MAX_ARGS; k++)
        if (off != 3 + k && x->args[k] != y->args[k])
            return "another argument changed";
    return NULL;
}

/* Flipping one bit of byte |_i| (0..5) of one rule changes that rule
 * only, and only the field that byte encodes: an argument byte changes
 * only that argument; a fault byte turned reserved drops that rule only. */
START_TEST(test_plan_small_byte_changes_make_small_plan_changes)
{
    size_t off = (size_t)_i;
    afz_prng g;
    afz_prng_seed(&g, 7000 + off);
    uint8_t in[1 + 4 * AFZ_PLAN_RULE_BYTES];
    size_t changed = 0;
    for (int iter = 0; iter < 2000; iter++) {
        afz_prng_bytes(&g, in, sizeof(in));
        for (size_t i = 0; i < 4; i++) /* every slot live, so rule i is slot i */
            in[3 + i * AFZ_PLAN_RULE_BYTES] %= AFZ_FAULT__COUNT;
        size_t ri = (size_t)afz_prng_below(&g, 4);
        size_t pos = 1 + ri * AFZ_PLAN_RULE_BYTES + off;
        uint8_t mutated[sizeof(in)];
        memcpy(mutated, in, sizeof(in));
        mutated[pos] = (uint8_t)(mutated[pos] ^ (1u << afz_prng_below(&g, 8)));
        afz_plan a, b;
        decode_bytes(in, sizeof(in), &a);
        decode_bytes(mutated, sizeof(mutated), &b);
        if (off == 2 && mutated[pos] >= AFZ_FAULT__COUNT) {
            /* rule ri is gone, the others are untouched */
            afz_plan want = a;
            memmove(&want.rules[ri], &want.rules[ri + 1],
                    (want.n_rules - ri - 1) * sizeof(want.rules[0]));
            want.n_rules--;
            if (!afz_plan_equal(&want, &b))
                ck_abort_msg("iteration %d: a reserved fault byte did more than drop rule %zu",
                             iter, ri);
            changed++;
            continue;
        }
        if (a.n_identifiers != b.n_identifiers || a.account_alg != b.account_alg ||
            a.attempts != b.attempts || a.n_rules != b.n_rules)
            ck_abort_msg("iteration %d: the header changed", iter);
        for (size_t i = 0; i < a.n_rules; i++) {
            const afz_rule *x = &a.rules[i], *y = &b.rules[i];
            if (i != ri) {
                if (memcmp(x, y, sizeof(*x)) != 0)
                    ck_abort_msg("iteration %d: rule %zu changed, not rule %zu", iter, i, ri);
                continue;
            }
            changed += memcmp(x, y, sizeof(*x)) != 0;
            const char *why = change_problem(x, y, off);
            if (why)
                ck_abort_msg("iteration %d, byte %zu of rule %zu: %s", iter, off, ri, why);
        }
    }
    /* and the flips did change something now and then */
    ck_assert_uint_gt(changed, 0);
}
END_TEST

START_TEST(test_plan_every_fault_and_argument_is_reachable)
{
    int seen_fault[AFZ_FAULT__COUNT] = {0};
    for (unsigned fb = 0; fb < AFZ_FAULT__COUNT; fb++) {
        uint8_t in[7] = {0, 0, 0, (uint8_t)fb, 0, 0, 0};
        afz_plan p;
        decode_bytes(in, sizeof(in), &p);
        ck_assert_uint_eq(p.n_rules, 1);
        seen_fault[p.rules[0].fault] = 1;
    }
    for (int f = 0; f < AFZ_FAULT__COUNT; f++) {
        const afz_fault_def *d = afz_fault_get((afz_fault_id)f);
        ck_assert_msg(seen_fault[f], "fault %s is unreachable", d->name);
        /* the fault's own byte is its catalog position */
        uint8_t in[7] = {0, 0, 0, (uint8_t)f, 0, 0, 0};
        afz_plan p;
        decode_bytes(in, sizeof(in), &p);
        ck_assert_int_eq(p.rules[0].fault, f);
        for (size_t a = 0; a < d->n_args; a++) {
            unsigned dom = afz_arg_domain(d->args[a].type);
            ck_assert_uint_le(dom, 256);
            int seen[256] = {0};
            for (unsigned vb = 0; vb < 256; vb++) {
                in[4 + a] = (uint8_t)vb;
                decode_bytes(in, sizeof(in), &p);
                seen[p.rules[0].args[a]] = 1;
            }
            in[4 + a] = 0;
            for (unsigned v = 0; v < dom; v++)
                if (!seen[v])
                    ck_abort_msg("%s.%s = %u is unreachable", d->name, d->args[a].name, v);
        }
    }
    /* every kind (for an "any" fault) and every occurrence */
    int seen_kind[AFZ_RES__COUNT] = {0}, seen_nth[128] = {0}, seen_from[129] = {0}, every = 0;
    for (unsigned b = 0; b < 256; b++) {
        uint8_t in[7] = {0, (uint8_t)b, (uint8_t)b, AFZ_FAULT_RETRY_AFTER, 0, 0, 0};
        afz_plan p;
        decode_bytes(in, sizeof(in), &p);
        const afz_rule *r = &p.rules[0];
        seen_kind[r->kind] = 1;
        if (r->occ == AFZ_OCC_EVERY)
            every = 1;
        else if (r->occ == AFZ_OCC_NTH)
            seen_nth[r->k] = 1;
        else
            seen_from[r->k] = 1;
    }
    for (int k = 0; k < AFZ_RES__COUNT; k++)
        ck_assert_msg(seen_kind[k], "kind %d unreachable", k);
    ck_assert(every);
    for (unsigned k = 1; k <= 127; k++)
        if (!seen_nth[k])
            ck_abort_msg("@%u unreachable", k);
    for (unsigned k = 1; k <= 128; k++)
        if (!seen_from[k])
            ck_abort_msg("@%u+ unreachable", k);
}
END_TEST

/* Rules afz_plan_encode must refuse. */
static afz_rule bad_rule(int which)
{
    afz_rule r;
    memset(&r, 0, sizeof(r));
    r.kind = AFZ_RES_ORDER;
    r.fault = AFZ_FAULT_UNKNOWN_FIELDS;
    r.occ = AFZ_OCC_NTH;
    r.k = 1;
    switch (which) {
    case 0:
        r.fault = AFZ_FAULT__COUNT;
        break;
    case 1:
        r.fault = (afz_fault_id)-1;
        break;
    case 2:
        r.kind = AFZ_RES__COUNT;
        break;
    case 3:
        r.kind = (afz_resource)-1;
        break;
    case 4:
        r.k = 0;
        break;
    case 5:
        r.k = 128;
        break;
    case 6:
        r.occ = AFZ_OCC_FROM;
        r.k = 0;
        break;
    case 7:
        r.occ = AFZ_OCC_FROM;
        r.k = 129;
        break;
    case 8:
        r.occ = (afz_occ_mode)3;
        break;
    case 9:
        r.args[0] = 1;
        break; /* unknown_fields has no argument */
    case 10:
        r.fault = AFZ_FAULT_ASYNC_FINALIZE;
        r.args[0] = 16;
        break;
    case 11:
        r.fault = AFZ_FAULT_ASYNC_FINALIZE;
        r.args[1] = 8;
        break;
    case 12:
        r.fault = AFZ_FAULT_ASYNC_FINALIZE;
        r.args[2] = 9;
        break;
    case 13:
        r.fault = AFZ_FAULT_WRONG_TYPE;
        r.args[1] = AFZ_JTYPE__COUNT;
        break;
    case 14:
        r.fault = AFZ_FAULT_TRUNCATE_BODY;
        r.args[0] = 100;
        break;
    case 15:
        r.fault = AFZ_FAULT_RETRY_AFTER;
        r.args[2] = 1;
        break;
    default:
        ck_abort();
    }
    return r;
}

#define N_BAD_RULES 16

START_TEST(test_plan_encode_rejects_out_of_range_rules)
{
    afz_plan p;
    afz_plan_init(&p);
    p.n_rules = 2;
    p.rules[0] = bad_rule(4);
    p.rules[0].k = 3; /* a good rule first */
    p.rules[1] = bad_rule(_i);
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_buf_puts(&b, "keep"), AFZ_OK);
    ck_assert_int_eq(afz_plan_encode(&p, &b), AFZ_EINVAL);
    /* nothing half-written */
    ck_assert_uint_eq(b.len, 4);
    ck_assert_str_eq(afz_buf_cstr(&b), "keep");
    afz_rule r = bad_rule(_i), copy = r;
    ck_assert_int_eq(afz_rule_canonicalize(&r), -1);
    ck_assert_int_eq(memcmp(&r, &copy, sizeof(r)), 0);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_plan_encode_rejects_out_of_range_headers)
{
    afz_plan p;
    afz_plan_init(&p);
    switch (_i) {
    case 0:
        p.n_identifiers = 0;
        break;
    case 1:
        p.n_identifiers = 5;
        break;
    case 2:
        p.attempts = 0;
        break;
    case 3:
        p.attempts = AFZ_PLAN_MAX_ATTEMPTS + 1;
        break;
    case 4:
        p.account_alg = AFZ_ALG_NONE;
        break;
    case 5:
        p.n_rules = AFZ_PLAN_MAX_RULES + 1;
        break;
    default:
        ck_abort();
    }
    afz_buf b;
    afz_buf_init(&b, 0);
    ck_assert_int_eq(afz_plan_encode(&p, &b), AFZ_EINVAL);
    ck_assert_uint_eq(b.len, 0);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_plan_canonicalize_moves_rules_to_their_natural_form)
{
    afz_rule r;
    memset(&r, 0, sizeof(r));
    /* a natural-resource fault goes to its resource, whatever was asked */
    r.kind = AFZ_RES_DIRECTORY;
    r.fault = AFZ_FAULT_STALE_STATUS;
    r.occ = AFZ_OCC_FROM;
    r.k = 4;
    ck_assert_int_eq(afz_rule_canonicalize(&r), 0);
    ck_assert_int_eq(r.kind, AFZ_RES_ORDER);
    ck_assert_int_eq(r.occ, AFZ_OCC_FROM);
    ck_assert_uint_eq(r.k, 4);
    /* a CONFIG fault applies to every occurrence */
    r.fault = AFZ_FAULT_ASYNC_FINALIZE;
    r.occ = AFZ_OCC_NTH;
    r.k = 9;
    ck_assert_int_eq(afz_rule_canonicalize(&r), 0);
    ck_assert_int_eq(r.kind, AFZ_RES_FINALIZE);
    ck_assert_int_eq(r.occ, AFZ_OCC_EVERY);
    ck_assert_uint_eq(r.k, 0);
    /* an "any" fault keeps its kind; "every" clears k */
    r.fault = AFZ_FAULT_SHUFFLE;
    r.kind = AFZ_RES_CHALLENGE;
    r.occ = AFZ_OCC_EVERY;
    r.k = 77;
    ck_assert_int_eq(afz_rule_canonicalize(&r), 0);
    ck_assert_int_eq(r.kind, AFZ_RES_CHALLENGE);
    ck_assert_uint_eq(r.k, 0);
}
END_TEST

/* The binary form names faults and argument values by number, and corpora
 * keep those bytes: the catalog may grow at the end, never reorder. */
static const char *const stable_faults[] = {
    "async_finalize",
    "authz_pending",
    "authz_reuse",
    "order_ready",
    "sync_finalize",
    "bad_nonce",
    "retry_after",
    "rate_limited",
    "unavailable",
    "unknown_fields",
    "unknown_challenge",
    "directory_extras",
    "alternate_chains",
    "stale_status",
    "shuffle",
    "order_reuse",
    "rate_limited_bare",
    "server_internal",
    "order_not_ready",
    "order_invalid",
    "authz_invalid",
    "order_expires",
    "drop_connection",
    "truncate_body",
    "timeout",
    "processing_forever",
    "authz_pending_forever",
    "bad_nonce_bare",
    "user_action_required",
    "unknown_error",
    "html_error",
    "valid_without_certificate",
    "certificate_late",
    "drop_field",
    "wrong_type",
    "bogus_status",
    "invalid_json",
    "empty_body",
    "content_type",
    "retry_after_bad",
    "retry_after_twice",
    "no_replay_nonce",
    "bad_replay_nonce",
    "invalid_pem",
    "chain_reversed",
    "no_location",
};

static const struct {
    afz_arg_type type;
    const char *values; /* every value's token, in order, '|'-separated */
} stable_values[] = {
    {AFZ_ARG_SECONDS, "0s|1s|2s|3s|5s|10s|30s|60s"},
    {AFZ_ARG_RA, "none|0|1|2|3|30|date+1s|date+5s|date+30s"},
    {AFZ_ARG_RA_BAD, "day|2^31|2^63|2^64|digits30|negative|decimal|plus|words|empty|past_date|"
                     "iso8601|bad_zone|far_date"},
    {AFZ_ARG_FIELD, "status|certificate|finalize|authorizations|identifiers|expires|challenges|"
                    "url|token|identifier|error|newNonce|newAccount|newOrder|type|value"},
    {AFZ_ARG_JTYPE, "null|number|bool|object|array|string|huge_string"},
    {AFZ_ARG_STATUS, "s0|s1|s2|s3|s4|s5|s6|s7"},
    {AFZ_ARG_STALE, "ready|pending"},
    {AFZ_ARG_JUNK, "truncated|html|array|string|null|trailing|nested|bad_escape"},
    {AFZ_ARG_PEM, "junk|private_key|der|empty_chain|truncated|bad_base64"},
    {AFZ_ARG_CTYPE, "none|html|plain|json_for_pem|pem_for_json|garbage"},
};

START_TEST(test_plan_fault_and_value_numbers_are_stable)
{
    size_t n = sizeof(stable_faults) / sizeof(stable_faults[0]);
    ck_assert_int_ge(AFZ_FAULT__COUNT, (int)n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(afz_fault_get((afz_fault_id)i)->name, stable_faults[i]);
    for (size_t t = 0; t < sizeof(stable_values) / sizeof(stable_values[0]); t++) {
        const char *v = stable_values[t].values;
        unsigned i = 0;
        for (; *v; i++) {
            size_t len = strcspn(v, "|");
            char scratch[16];
            const char *name = afz_arg_value_name(stable_values[t].type, i, scratch);
            ck_assert_ptr_nonnull(name);
            ck_assert_msg(strlen(name) == len && memcmp(name, v, len) == 0,
                          "value %u of type %d is '%s', want '%.*s'", i, (int)stable_values[t].type,
                          name, (int)len, v);
            unsigned back = 99;
            ck_assert_int_eq(afz_arg_value_parse(stable_values[t].type, name, &back), 0);
            ck_assert_uint_eq(back, i);
            v += len + (v[len] == '|');
        }
        ck_assert_uint_ge(afz_arg_domain(stable_values[t].type), i);
    }
    /* the numeric types */
    ck_assert_uint_eq(afz_arg_domain(AFZ_ARG_COUNT), 16);
    ck_assert_uint_eq(afz_arg_domain(AFZ_ARG_PERCENT), 100);
    ck_assert_uint_eq(afz_arg_domain(AFZ_ARG_NONE), 1);
    char scratch[16];
    ck_assert_str_eq(afz_arg_value_name(AFZ_ARG_COUNT, 15, scratch), "15");
    ck_assert_ptr_null(afz_arg_value_name(AFZ_ARG_COUNT, 16, scratch));
    ck_assert_str_eq(afz_arg_value_name(AFZ_ARG_PERCENT, 99, scratch), "99");
    unsigned v = 0;
    ck_assert_int_eq(afz_arg_value_parse(AFZ_ARG_PERCENT, "100", &v), -1);
    ck_assert_int_eq(afz_arg_value_parse(AFZ_ARG_SECONDS, "4s", &v), -1);
    ck_assert_int_eq(afz_arg_value_parse(AFZ_ARG_RA, "", &v), -1);
}
END_TEST

/* ---- classes ---- */

static afz_rule rule(afz_fault_id f, afz_resource kind, afz_occ_mode occ, unsigned k, unsigned a0)
{
    afz_rule r;
    memset(&r, 0, sizeof(r));
    r.fault = f;
    r.kind = kind;
    r.occ = occ;
    r.k = k;
    r.args[0] = a0;
    ck_assert_int_eq(afz_rule_canonicalize(&r), 0);
    return r;
}

static const struct {
    afz_fault_id fault;
    afz_resource kind;
    afz_occ_mode occ;
    unsigned k;
    unsigned a0;
    afz_fault_class want;
} rule_classes[] = {
    /* legal denials are legal only on one occurrence */
    {AFZ_FAULT_BAD_NONCE, AFZ_RES_NEW_ORDER, AFZ_OCC_NTH, 1, 0, AFZ_CLASS_LEGAL},
    {AFZ_FAULT_BAD_NONCE, AFZ_RES_NEW_ORDER, AFZ_OCC_NTH, 127, 0, AFZ_CLASS_LEGAL},
    {AFZ_FAULT_BAD_NONCE, AFZ_RES_NEW_ORDER, AFZ_OCC_EVERY, 0, 0, AFZ_CLASS_DEGRADED},
    {AFZ_FAULT_BAD_NONCE, AFZ_RES_UNKNOWN, AFZ_OCC_FROM, 1, 0, AFZ_CLASS_DEGRADED},
    {AFZ_FAULT_BAD_NONCE, AFZ_RES_ORDER, AFZ_OCC_FROM, 5, 0, AFZ_CLASS_DEGRADED},
    {AFZ_FAULT_RATE_LIMITED, AFZ_RES_ORDER, AFZ_OCC_NTH, 2, 5, AFZ_CLASS_LEGAL},
    {AFZ_FAULT_RATE_LIMITED, AFZ_RES_ORDER, AFZ_OCC_EVERY, 0, 5, AFZ_CLASS_DEGRADED},
    {AFZ_FAULT_UNAVAILABLE, AFZ_RES_CERT, AFZ_OCC_NTH, 1, 7, AFZ_CLASS_LEGAL},
    {AFZ_FAULT_UNAVAILABLE, AFZ_RES_CERT, AFZ_OCC_FROM, 2, 7, AFZ_CLASS_DEGRADED},
    /* a refusal without Retry-After is the bare, degraded form */
    {AFZ_FAULT_RATE_LIMITED, AFZ_RES_ORDER, AFZ_OCC_NTH, 1, 0, AFZ_CLASS_DEGRADED},
    {AFZ_FAULT_UNAVAILABLE, AFZ_RES_ORDER, AFZ_OCC_NTH, 1, 0, AFZ_CLASS_DEGRADED},
    /* stale_status denies too */
    /* a stale read is what CAs do beyond RFC 8555 7.1.6: real-world */
    {AFZ_FAULT_STALE_STATUS, AFZ_RES_ORDER, AFZ_OCC_NTH, 3, 0, AFZ_CLASS_REAL_WORLD},
    {AFZ_FAULT_STALE_STATUS, AFZ_RES_ORDER, AFZ_OCC_EVERY, 0, 1, AFZ_CLASS_DEGRADED},
    {AFZ_FAULT_STALE_STATUS, AFZ_RES_ORDER, AFZ_OCC_FROM, 2, 0, AFZ_CLASS_DEGRADED},
    /* legal AFTER faults that do not deny stay legal everywhere */
    {AFZ_FAULT_RETRY_AFTER, AFZ_RES_UNKNOWN, AFZ_OCC_EVERY, 0, 0, AFZ_CLASS_LEGAL},
    {AFZ_FAULT_SHUFFLE, AFZ_RES_ORDER, AFZ_OCC_FROM, 1, 0, AFZ_CLASS_LEGAL},
    {AFZ_FAULT_ASYNC_FINALIZE, AFZ_RES_FINALIZE, AFZ_OCC_EVERY, 0, 15, AFZ_CLASS_LEGAL},
    /* degraded and malformed faults keep their class */
    {AFZ_FAULT_SERVER_INTERNAL, AFZ_RES_ORDER, AFZ_OCC_NTH, 1, 0, AFZ_CLASS_DEGRADED},
    {AFZ_FAULT_RATE_LIMITED_BARE, AFZ_RES_ORDER, AFZ_OCC_NTH, 1, 0, AFZ_CLASS_DEGRADED},
    {AFZ_FAULT_INVALID_JSON, AFZ_RES_ORDER, AFZ_OCC_NTH, 1, 0, AFZ_CLASS_MALFORMED},
    {AFZ_FAULT_INVALID_JSON, AFZ_RES_ORDER, AFZ_OCC_EVERY, 0, 0, AFZ_CLASS_MALFORMED},
};

START_TEST(test_plan_rule_class_accounts_for_denials)
{
    afz_rule r = rule(rule_classes[_i].fault, rule_classes[_i].kind, rule_classes[_i].occ,
                      rule_classes[_i].k, rule_classes[_i].a0);
    ck_assert_int_eq(afz_rule_class(&r), rule_classes[_i].want);
    afz_plan p;
    afz_plan_init(&p);
    p.n_rules = 1;
    p.rules[0] = r;
    ck_assert_int_eq(afz_plan_class(&p), rule_classes[_i].want);
}
END_TEST

START_TEST(test_plan_class_is_the_worst_rule)
{
    afz_plan p;
    afz_plan_init(&p);
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_LEGAL);
    p.rules[p.n_rules++] = rule(AFZ_FAULT_ASYNC_FINALIZE, AFZ_RES_FINALIZE, AFZ_OCC_EVERY, 0, 3);
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_LEGAL);
    p.rules[p.n_rules++] = rule(AFZ_FAULT_INVALID_JSON, AFZ_RES_ORDER, AFZ_OCC_NTH, 4, 1);
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_MALFORMED);
    p.rules[p.n_rules++] = rule(AFZ_FAULT_SERVER_INTERNAL, AFZ_RES_ORDER, AFZ_OCC_NTH, 1, 0);
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_MALFORMED);
    /* order does not matter */
    afz_rule t = p.rules[0];
    p.rules[0] = p.rules[1];
    p.rules[1] = t;
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_MALFORMED);
    p.n_rules = 0;
    p.rules[p.n_rules++] = rule(AFZ_FAULT_SHUFFLE, AFZ_RES_ORDER, AFZ_OCC_EVERY, 0, 0);
    p.rules[p.n_rules++] = rule(AFZ_FAULT_ORDER_EXPIRES, AFZ_RES_NEW_ORDER, AFZ_OCC_EVERY, 0, 1);
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_DEGRADED);
}
END_TEST

START_TEST(test_plan_more_than_two_legal_denials_are_degraded)
{
    afz_plan p;
    afz_plan_init(&p);
    p.rules[p.n_rules++] = rule(AFZ_FAULT_BAD_NONCE, AFZ_RES_NEW_ORDER, AFZ_OCC_NTH, 1, 0);
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_LEGAL);
    p.rules[p.n_rules++] = rule(AFZ_FAULT_RATE_LIMITED, AFZ_RES_ORDER, AFZ_OCC_NTH, 1, 4);
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_LEGAL);
    /* non-denying legal rules do not count */
    p.rules[p.n_rules++] = rule(AFZ_FAULT_SHUFFLE, AFZ_RES_ORDER, AFZ_OCC_EVERY, 0, 0);
    p.rules[p.n_rules++] = rule(AFZ_FAULT_RETRY_AFTER, AFZ_RES_ORDER, AFZ_OCC_NTH, 1, 3);
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_LEGAL);
    p.rules[p.n_rules++] = rule(AFZ_FAULT_STALE_STATUS, AFZ_RES_ORDER, AFZ_OCC_NTH, 2, 0);
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_DEGRADED);
    /* a fourth does not make it worse than degraded */
    p.rules[p.n_rules++] = rule(AFZ_FAULT_UNAVAILABLE, AFZ_RES_CERT, AFZ_OCC_NTH, 1, 1);
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_DEGRADED);
    /* while a malformed rule still wins */
    p.rules[p.n_rules++] = rule(AFZ_FAULT_EMPTY_BODY, AFZ_RES_CERT, AFZ_OCC_NTH, 1, 0);
    ck_assert_int_eq(afz_plan_class(&p), AFZ_CLASS_MALFORMED);
}
END_TEST

START_TEST(test_plan_every_fault_has_its_catalog_class_alone)
{
    /* a single non-denying occurrence of each fault has its catalog class
     * (with a Retry-After where the fault takes one) */
    for (int f = 0; f < AFZ_FAULT__COUNT; f++) {
        const afz_fault_def *d = afz_fault_get((afz_fault_id)f);
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(d->id, f);
        ck_assert_ptr_eq(afz_fault_find(d->name), d);
        unsigned a0 = d->args[0].type == AFZ_ARG_RA ? 1 : 0;
        afz_rule r = rule(d->id, AFZ_RES_ORDER, AFZ_OCC_NTH, 1, a0);
        ck_assert_msg(afz_rule_class(&r) == d->cls, "%s", d->name);
    }
    ck_assert_ptr_null(afz_fault_get(AFZ_FAULT__COUNT));
    ck_assert_ptr_null(afz_fault_find("no_such_fault"));
}
END_TEST

/* ---- seed ---- */

START_TEST(test_plan_seed_depends_on_the_plan_only)
{
    afz_prng g;
    afz_prng_seed(&g, 4242);
    uint8_t in[64];
    static uint64_t seeds[512];
    static afz_plan plans[512];
    size_t n = 0;
    afz_buf enc;
    afz_buf_init(&enc, 0);
    for (int iter = 0; iter < 512; iter++) {
        size_t len = (size_t)afz_prng_below(&g, sizeof(in) + 1);
        afz_prng_bytes(&g, in, len);
        for (size_t pos = 3; pos < len; pos += AFZ_PLAN_RULE_BYTES) /* no reserved slot */
            in[pos] %= AFZ_FAULT__COUNT;
        afz_plan p, q;
        decode_bytes(in, len, &p);
        /* an equal plan (re-decoded from its encoding) has the same seed */
        afz_buf_reset(&enc);
        if (afz_plan_encode(&p, &enc) != AFZ_OK)
            ck_abort_msg("iteration %d: encode failed", iter);
        decode_bytes((const uint8_t *)enc.data, enc.len, &q);
        if (!afz_plan_equal(&p, &q) || afz_plan_seed(&p) != afz_plan_seed(&q) ||
            afz_plan_seed(&p) != afz_plan_seed(&p))
            ck_abort_msg("iteration %d: equal plans, different seeds", iter);
        int dup = 0;
        for (size_t i = 0; i < n && !dup; i++)
            dup = afz_plan_equal(&plans[i], &p);
        if (dup)
            continue;
        plans[n] = p;
        seeds[n++] = afz_plan_seed(&p);
    }
    afz_buf_cleanup(&enc);
    ck_assert_uint_gt(n, 400);
    /* different plans, different seeds */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (seeds[i] == seeds[j])
                ck_abort_msg("plans %zu and %zu share a seed", i, j);
    /* one-field changes move the seed */
    afz_plan a, b;
    afz_plan_init(&a);
    b = a;
    b.attempts = 2;
    ck_assert_uint_ne(afz_plan_seed(&a), afz_plan_seed(&b));
    b = a;
    b.account_alg = AFZ_ALG_EDDSA;
    ck_assert_uint_ne(afz_plan_seed(&a), afz_plan_seed(&b));
    a.rules[a.n_rules++] = rule(AFZ_FAULT_TIMEOUT, AFZ_RES_ORDER, AFZ_OCC_NTH, 1, 3);
    b = a;
    b.rules[0].args[0] = 4;
    ck_assert_uint_ne(afz_plan_seed(&a), afz_plan_seed(&b));
    /* a known value, so the seed stays stable across processes/releases */
    afz_plan e;
    afz_plan_init(&e);
    ck_assert_uint_eq(afz_plan_seed(&e),
                      (UINT64_C(0xcbf29ce484222325) ^ 0) * UINT64_C(0x100000001b3));
}
END_TEST

START_TEST(test_plan_identifiers_are_fixed)
{
    const char *const *ids = afz_plan_identifiers();
    ck_assert_str_eq(ids[0], "example.com");
    for (unsigned i = 0; i < AFZ_PLAN_MAX_IDENTIFIERS; i++) {
        ck_assert_str_eq(afz_plan_identifier(i), ids[i]);
        for (unsigned j = 0; j < i; j++)
            ck_assert_str_ne(ids[i], ids[j]);
    }
}
END_TEST

/* ---- stable fault bytes ---- */

/* A fault byte no fault holds yet is a no-op slot: the rule is dropped,
 * the slots around it keep their rules, and the plan encodes without it. */
START_TEST(test_plan_reserved_fault_bytes_decode_to_no_rule)
{
    for (unsigned fb = AFZ_FAULT__COUNT; fb < 256; fb++) {
        uint8_t in[1 + 3 * AFZ_PLAN_RULE_BYTES] = {
            0x01, 0, 2, AFZ_FAULT_RETRY_AFTER, 1, 0, 0, 7, 3, (uint8_t)fb, 9, 9,
            9,    0, 1, AFZ_FAULT_BAD_NONCE,   0, 0, 0,
        };
        afz_plan p;
        decode_bytes(in, sizeof(in), &p);
        if (p.n_rules != 2 || p.rules[0].fault != AFZ_FAULT_RETRY_AFTER ||
            p.rules[0].args[0] != 1 || p.rules[0].occ != AFZ_OCC_NTH || p.rules[0].k != 2 ||
            p.rules[1].fault != AFZ_FAULT_BAD_NONCE || p.rules[1].k != 1)
            ck_abort_msg("fault byte %u: not dropped alone", fb);
        /* a plan of reserved slots only is the header's empty plan */
        uint8_t only[1 + AFZ_PLAN_RULE_BYTES] = {0x01, 1, 1, (uint8_t)fb, 1, 1, 1};
        decode_bytes(only, sizeof(only), &p);
        if (p.n_rules != 0 || p.n_identifiers != 2)
            ck_abort_msg("fault byte %u: a lone reserved slot is not the empty plan", fb);
    }
    /* encode never writes a reserved byte, and refuses an unknown fault */
    afz_rule r;
    memset(&r, 0, sizeof(r));
    r.fault = AFZ_FAULT__COUNT;
    ck_assert_int_eq(afz_rule_canonicalize(&r), -1);
    /* no fault is retired today; a retired one would be dropped the same way */
    for (int f = 0; f < AFZ_FAULT__COUNT; f++) {
        ck_assert_int_eq(afz_fault_get((afz_fault_id)f)->retired, 0);
        ck_assert_int_eq(AFZ_FAULT_IS_RETIRED((afz_fault_id)f), 0);
    }
}
END_TEST

/* The decoding before fault bytes were made stable: the byte modulo the
 * fault count. Kept as the reference of what committed inputs meant. */
static void decode_modulo(const uint8_t *data, size_t n, afz_plan *p)
{
    static const afz_jws_alg algs[4] = {AFZ_ALG_ES256, AFZ_ALG_ES384, AFZ_ALG_RS256, AFZ_ALG_EDDSA};
    afz_plan_init(p);
    if (n == 0)
        return;
    size_t at = 0;
#define NEXT_BYTE() (at < n ? data[at++] : 0)
    uint8_t h = NEXT_BYTE();
    p->n_identifiers = 1u + (h & 3u);
    p->account_alg = (h & 0xc0u) == 0xc0u ? algs[(h >> 2) & 3u] : AFZ_ALG_ES256;
    p->attempts = 1u + ((h >> 4) & 3u);
    while (at < n && p->n_rules < AFZ_PLAN_MAX_RULES) {
        afz_rule *r = &p->rules[p->n_rules++];
        uint8_t kind = NEXT_BYTE();
        uint8_t occ = NEXT_BYTE();
        uint8_t fault = NEXT_BYTE();
        r->kind = (afz_resource)(kind % AFZ_RES__COUNT);
        r->occ = occ == 0 ? AFZ_OCC_EVERY : occ < 128 ? AFZ_OCC_NTH : AFZ_OCC_FROM;
        r->k = occ == 0 ? 0 : occ < 128 ? occ : occ - 127u;
        r->fault = (afz_fault_id)(fault % AFZ_FAULT__COUNT);
        const afz_fault_def *d = afz_fault_get(r->fault);
        for (size_t i = 0; i < AFZ_FAULT_MAX_ARGS; i++)
            r->args[i] = NEXT_BYTE() % afz_arg_domain(d->args[i].type);
        afz_rule_canonicalize(r);
    }
#undef NEXT_BYTE
}

/* source_path writes SOURCE_ROOT/|rel|: $AFZ_SOURCE_DIR when set, else
 * the root derived from this file's path (absolute, passed by CMake). */
static void source_path(const char *rel, char *out, size_t n)
{
    const char *env = getenv("AFZ_SOURCE_DIR");
    if (env && *env) {
        snprintf(out, n, "%s/%s", env, rel);
        return;
    }
    const char *self = __FILE__;
    const char *tail = strstr(self, "tests/check_plan.c");
    int root_len = tail ? (int)(tail - self) : 0;
    snprintf(out, n, "%.*s%s", root_len, self, rel);
}

/* The targets whose inputs are binary plans. */
static int reads_plans(const char *target)
{
    return strcmp(target, "fuzz_plan") == 0 || strcmp(target, "fuzz_reference") == 0 ||
           strcmp(target, "fuzz_independent") == 0 || strncmp(target, "fuzz_zoo_", 9) == 0;
}

/* Every committed binary plan means under the stable decoding what it
 * meant under the modulo one (make-corpus.sh writes canonical encodings,
 * which hold no reserved byte; a fuzz finding kept raw had to be rewritten
 * to its canonical form). */
START_TEST(test_plan_committed_corpora_keep_their_meaning)
{
    char root[4096];
    source_path("corpus/fuzz", root, sizeof(root));
    DIR *top = opendir(root);
    ck_assert_msg(top != NULL, "cannot open %s", root);
    size_t files = 0, targets = 0;
    struct dirent *t;
    while ((t = readdir(top)) != NULL) {
        if (t->d_name[0] == '.' || !reads_plans(t->d_name))
            continue;
        char dir[4400];
        snprintf(dir, sizeof(dir), "%s/%s", root, t->d_name);
        DIR *d = opendir(dir);
        ck_assert_msg(d != NULL, "cannot open %s", dir);
        targets++;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char path[4800];
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            afz_buf b;
            afz_buf_init(&b, 1u << 20);
            ck_assert_msg(afz_buf_read_file(&b, path) == AFZ_OK, "cannot read %s", path);
            afz_plan was, now;
            decode_modulo((const uint8_t *)b.data, b.len, &was);
            decode_bytes((const uint8_t *)b.data, b.len, &now);
            afz_buf_cleanup(&b);
            if (!afz_plan_equal(&was, &now))
                ck_abort_msg("%s changed meaning: rewrite it as `acmefuzz encode` of the plan "
                             "it meant",
                             path);
            files++;
        }
        closedir(d);
    }
    closedir(top);
    /* the walk did find the corpora */
    ck_assert_uint_ge(targets, 3);
    ck_assert_uint_ge(files, 50);
}
END_TEST

/* Anchors (afz_plan.h): fault byte 255 makes a slot an anchor whose kind
 * is the "after" of the rule in the next slot. */
START_TEST(test_plan_anchor_slots)
{
    const uint8_t ff = AFZ_PLAN_ANCHOR_BYTE;
    const uint8_t fin = AFZ_RES_FINALIZE, ord = AFZ_RES_ORDER;
    const uint8_t stale = AFZ_FAULT_STALE_STATUS;
    afz_plan p;
    /* anchor, then the rule it anchors */
    const uint8_t a[] = {0, fin, 0, ff, 0, 0, 0, ord, 1, stale, 0, 0, 0};
    decode_bytes(a, sizeof(a), &p);
    ck_assert_uint_eq(p.n_rules, 1);
    ck_assert_int_eq(p.rules[0].after, AFZ_RES_FINALIZE);
    ck_assert_int_eq(p.rules[0].kind, AFZ_RES_ORDER);
    ck_assert_int_eq(p.rules[0].occ, AFZ_OCC_NTH);
    afz_buf b;
    encode_ok(&p, &b);
    ck_assert_uint_eq(b.len, sizeof(a));
    ck_assert_mem_eq(b.data, a, sizeof(a));
    afz_buf_cleanup(&b);
    /* an anchor reaches the next slot only: a reserved slot in between
     * takes it, and the rule after that counts from the start */
    const uint8_t c[] = {0, fin, 0, ff, 0, 0, 0, 0, 0, 200, 0, 0, 0, ord, 1, stale, 0, 0, 0};
    decode_bytes(c, sizeof(c), &p);
    ck_assert_uint_eq(p.n_rules, 1);
    ck_assert_int_eq(p.rules[0].after, AFZ_RES_UNKNOWN);
    /* kind byte 0 (or 12, 24, ...) anchors nothing; a trailing anchor is
     * no rule */
    const uint8_t d[] = {0, 12, 0, ff, 0, 0, 0, ord, 1, stale, 0, 0, 0, fin, 0, ff};
    decode_bytes(d, sizeof(d), &p);
    ck_assert_uint_eq(p.n_rules, 1);
    ck_assert_int_eq(p.rules[0].after, AFZ_RES_UNKNOWN);
    /* a CONFIG fault is set up before any request: its anchor is dropped,
     * and the canonical encoding has no anchor slot */
    const uint8_t e[] = {0, fin, 0, ff, 0, 0, 0, fin, 0, AFZ_FAULT_ASYNC_FINALIZE, 1, 1, 1};
    decode_bytes(e, sizeof(e), &p);
    ck_assert_uint_eq(p.n_rules, 1);
    ck_assert_int_eq(p.rules[0].after, AFZ_RES_UNKNOWN);
    encode_ok(&p, &b);
    ck_assert_uint_eq(b.len, 1 + AFZ_PLAN_RULE_BYTES);
    afz_buf_cleanup(&b);
}
END_TEST

START_TEST(test_plan_anchors_take_a_slot_each)
{
    afz_plan p;
    afz_plan_init(&p);
    for (size_t i = 0; i < 9; i++) {
        afz_rule *r = &p.rules[p.n_rules++];
        memset(r, 0, sizeof(*r));
        r->kind = AFZ_RES_ORDER;
        r->occ = AFZ_OCC_NTH;
        r->k = (unsigned)i + 1;
        r->fault = AFZ_FAULT_STALE_STATUS;
        r->after = AFZ_RES_FINALIZE;
    }
    afz_buf b;
    afz_buf_init(&b, 0);
    /* 9 anchored rules need 18 slots: more than a plan holds */
    ck_assert_int_eq(afz_plan_encode(&p, &b), AFZ_EINVAL);
    ck_assert_uint_eq(b.len, 0);
    p.n_rules = 8; /* 16 slots: the most there is */
    encode_ok(&p, &b);
    afz_plan q;
    decode_bytes((const uint8_t *)b.data, b.len, &q);
    ck_assert(afz_plan_equal(&p, &q));
    afz_buf_cleanup(&b);
    /* a rule that differs only in its anchor is another plan, with
     * another seed */
    q.rules[0].after = AFZ_RES_UNKNOWN;
    ck_assert(!afz_plan_equal(&p, &q));
    ck_assert_uint_ne(afz_plan_seed(&p), afz_plan_seed(&q));
}
END_TEST

Suite *plan_suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("binary");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_plan_decoding_is_total_and_round_trips, 0, 10);
    tcase_add_test(tc, test_plan_empty_input_is_the_empty_plan);
    tcase_add_test(tc, test_plan_header_bits_set_identifiers_alg_attempts);
    tcase_add_loop_test(tc, test_plan_partial_trailing_rule_reads_as_zero_padded, 1,
                        AFZ_PLAN_RULE_BYTES);
    tcase_add_test(tc, test_plan_bytes_after_sixteen_rules_are_ignored);
    tcase_add_loop_test(tc, test_plan_small_byte_changes_make_small_plan_changes, 0,
                        AFZ_PLAN_RULE_BYTES);
    tcase_add_test(tc, test_plan_every_fault_and_argument_is_reachable);
    tcase_add_loop_test(tc, test_plan_encode_rejects_out_of_range_rules, 0, N_BAD_RULES);
    tcase_add_loop_test(tc, test_plan_encode_rejects_out_of_range_headers, 0, 6);
    tcase_add_test(tc, test_plan_canonicalize_moves_rules_to_their_natural_form);
    tcase_add_test(tc, test_plan_fault_and_value_numbers_are_stable);
    tcase_add_test(tc, test_plan_reserved_fault_bytes_decode_to_no_rule);
    tcase_add_test(tc, test_plan_committed_corpora_keep_their_meaning);
    tcase_add_test(tc, test_plan_anchor_slots);
    tcase_add_test(tc, test_plan_anchors_take_a_slot_each);
    suite_add_tcase(s, tc);

    tc = tcase_create("class");
    tcase_add_loop_test(tc, test_plan_rule_class_accounts_for_denials, 0,
                        (int)(sizeof(rule_classes) / sizeof(rule_classes[0])));
    tcase_add_test(tc, test_plan_class_is_the_worst_rule);
    tcase_add_test(tc, test_plan_more_than_two_legal_denials_are_degraded);
    tcase_add_test(tc, test_plan_every_fault_has_its_catalog_class_alone);
    suite_add_tcase(s, tc);

    tc = tcase_create("seed");
    tcase_add_test(tc, test_plan_seed_depends_on_the_plan_only);
    tcase_add_test(tc, test_plan_identifiers_are_fixed);
    suite_add_tcase(s, tc);
    return s;
}
