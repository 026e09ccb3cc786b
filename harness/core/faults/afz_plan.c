/* afz_plan.c - see afz_plan.h. */
#include "afz_plan.h"

/* Fault bytes stop below the anchor byte (afz_plan.h). */
_Static_assert(AFZ_FAULT__COUNT < AFZ_PLAN_ANCHOR_BYTE, "fault byte 255 is the anchor");

#include <string.h>

static const char *const identifiers[AFZ_PLAN_MAX_IDENTIFIERS] = {
    "example.com",
    "www.example.com",
    "api.example.com",
    "mail.example.org",
};

static const afz_jws_alg algs[4] = {AFZ_ALG_ES256, AFZ_ALG_ES384, AFZ_ALG_RS256, AFZ_ALG_EDDSA};

const char *afz_plan_identifier(unsigned i)
{
    return identifiers[i % AFZ_PLAN_MAX_IDENTIFIERS];
}

const char *const *afz_plan_identifiers(void)
{
    return identifiers;
}

void afz_plan_init(afz_plan *p)
{
    memset(p, 0, sizeof(*p));
    p->n_identifiers = 1;
    p->account_alg = AFZ_ALG_ES256;
    p->attempts = 1;
}

int afz_rule_canonicalize(afz_rule *r)
{
    const afz_fault_def *d = afz_fault_get(r->fault);
    if (!d || d->retired || (int)r->kind < 0 || r->kind >= AFZ_RES__COUNT || (int)r->after < 0 ||
        r->after >= AFZ_RES__COUNT)
        return -1;
    if ((r->occ == AFZ_OCC_NTH && (r->k < 1 || r->k > 127)) ||
        (r->occ == AFZ_OCC_FROM && (r->k < 1 || r->k > 128)) ||
        (r->occ != AFZ_OCC_EVERY && r->occ != AFZ_OCC_NTH && r->occ != AFZ_OCC_FROM))
        return -1;
    for (size_t i = 0; i < AFZ_FAULT_MAX_ARGS; i++)
        if (r->args[i] >= afz_arg_domain(d->args[i].type))
            return -1;
    if (d->resource != AFZ_RES_UNKNOWN)
        r->kind = d->resource;
    if (d->mech == AFZ_MECH_CONFIG) {
        r->occ = AFZ_OCC_EVERY;
        r->after = AFZ_RES_UNKNOWN;
    }
    if (r->occ == AFZ_OCC_EVERY)
        r->k = 0;
    return 0;
}

void afz_plan_decode(const uint8_t *data, size_t n, afz_plan *p)
{
    afz_plan_init(p);
    afz_cursor c;
    afz_cursor_init(&c, data, n);
    if (c.left == 0)
        return;
    uint8_t h = afz_cursor_u8_or(&c, 0);
    p->n_identifiers = 1u + (h & 3u);
    p->account_alg = (h & 0xc0u) == 0xc0u ? algs[(h >> 2) & 3u] : AFZ_ALG_ES256;
    p->attempts = 1u + ((h >> 4) & 3u);
    /* Rule i is always read from the same 6 bytes (slot i), whether or
     * not an earlier slot was dropped, so a byte change stays local. */
    afz_resource anchor = AFZ_RES_UNKNOWN; /* set by the slot before */
    for (size_t slot = 0; c.left > 0 && slot < AFZ_PLAN_MAX_RULES; slot++) {
        uint8_t b[AFZ_PLAN_RULE_BYTES];
        for (size_t i = 0; i < AFZ_PLAN_RULE_BYTES; i++)
            b[i] = afz_cursor_u8_or(&c, 0);
        afz_resource after = anchor;
        anchor = AFZ_RES_UNKNOWN;
        if (b[2] == AFZ_PLAN_ANCHOR_BYTE) {
            anchor = (afz_resource)(b[0] % AFZ_RES__COUNT);
            continue;
        }
        /* A fault byte names a catalog position, never "position modulo the
         * catalog size": that would give every saved input a new meaning
         * each time a fault is appended. Bytes no fault holds yet, and
         * retired faults, are no-ops: the rule is dropped. */
        const afz_fault_def *d = afz_fault_get((afz_fault_id)b[2]);
        if (!d || d->retired)
            continue;
        afz_rule *r = &p->rules[p->n_rules++];
        r->kind = (afz_resource)(b[0] % AFZ_RES__COUNT);
        if (b[1] == 0) {
            r->occ = AFZ_OCC_EVERY;
            r->k = 0;
        } else if (b[1] < 128) {
            r->occ = AFZ_OCC_NTH;
            r->k = b[1];
        } else {
            r->occ = AFZ_OCC_FROM;
            r->k = b[1] - 127u;
        }
        r->fault = d->id;
        r->after = after;
        for (size_t i = 0; i < AFZ_FAULT_MAX_ARGS; i++)
            r->args[i] = b[3 + i] % afz_arg_domain(d->args[i].type);
        afz_rule_canonicalize(r);
    }
}

afz_rc afz_plan_encode(const afz_plan *p, afz_buf *out)
{
    /* Everything is checked before anything is written: a header field the
     * binary form cannot carry would otherwise be replaced silently and
     * decode(encode(p)) would differ from p. */
    unsigned alg = 4;
    for (unsigned i = 0; i < 4; i++)
        if (algs[i] == p->account_alg)
            alg = i;
    if (alg == 4 || p->n_identifiers < 1 || p->n_identifiers > AFZ_PLAN_MAX_IDENTIFIERS ||
        p->attempts < 1 || p->attempts > AFZ_PLAN_MAX_ATTEMPTS || p->n_rules > AFZ_PLAN_MAX_RULES)
        return AFZ_EINVAL;
    uint8_t bytes[1 + AFZ_PLAN_MAX_RULES * AFZ_PLAN_RULE_BYTES];
    bytes[0] = (uint8_t)((p->n_identifiers - 1) | (alg << 2) | ((p->attempts - 1) << 4) |
                         (alg ? 0xc0u : 0u));
    size_t slots = 0;
    for (size_t i = 0; i < p->n_rules; i++) {
        afz_rule r = p->rules[i];
        if (afz_rule_canonicalize(&r) != 0 || slots + (r.after ? 2 : 1) > AFZ_PLAN_MAX_RULES)
            return AFZ_EINVAL;
        if (r.after) {
            uint8_t *a = bytes + 1 + slots++ * AFZ_PLAN_RULE_BYTES;
            memset(a, 0, AFZ_PLAN_RULE_BYTES);
            a[0] = (uint8_t)r.after;
            a[2] = AFZ_PLAN_ANCHOR_BYTE;
        }
        uint8_t *b = bytes + 1 + slots++ * AFZ_PLAN_RULE_BYTES;
        b[0] = (uint8_t)r.kind;
        b[1] = r.occ == AFZ_OCC_EVERY ? 0
               : r.occ == AFZ_OCC_NTH ? (uint8_t)r.k
                                      : (uint8_t)(127 + r.k);
        b[2] = (uint8_t)r.fault;
        for (size_t a = 0; a < AFZ_FAULT_MAX_ARGS; a++)
            b[3 + a] = (uint8_t)r.args[a];
    }
    return afz_buf_append(out, bytes, 1 + slots * AFZ_PLAN_RULE_BYTES);
}

int afz_plan_equal(const afz_plan *a, const afz_plan *b)
{
    if (a->n_identifiers != b->n_identifiers || a->account_alg != b->account_alg ||
        a->attempts != b->attempts || a->n_rules != b->n_rules || a->n_rules > AFZ_PLAN_MAX_RULES)
        return 0;
    for (size_t i = 0; i < a->n_rules; i++) {
        const afz_rule *x = &a->rules[i], *y = &b->rules[i];
        if (x->kind != y->kind || x->occ != y->occ || x->k != y->k || x->fault != y->fault ||
            x->after != y->after)
            return 0;
        for (size_t k = 0; k < AFZ_FAULT_MAX_ARGS; k++)
            if (x->args[k] != y->args[k])
                return 0;
    }
    return 1;
}

static int denies_service(const afz_rule *r)
{
    const afz_fault_def *d = afz_fault_get(r->fault);
    return d && (d->mech == AFZ_MECH_BEFORE || r->fault == AFZ_FAULT_STALE_STATUS);
}

afz_fault_class afz_rule_class(const afz_rule *r)
{
    const afz_fault_def *d = afz_fault_get(r->fault);
    if (!d)
        return AFZ_CLASS_MALFORMED;
    if ((d->cls == AFZ_CLASS_LEGAL || d->cls == AFZ_CLASS_REAL_WORLD) && denies_service(r) &&
        r->occ != AFZ_OCC_NTH)
        return AFZ_CLASS_DEGRADED;
    /* A refusal without Retry-After is the degraded, bare form. */
    if (d->cls == AFZ_CLASS_LEGAL && d->mech == AFZ_MECH_BEFORE && d->args[0].type == AFZ_ARG_RA &&
        r->args[0] == 0)
        return AFZ_CLASS_DEGRADED;
    return d->cls;
}

afz_fault_class afz_plan_class(const afz_plan *p)
{
    afz_fault_class worst = AFZ_CLASS_LEGAL;
    unsigned denials = 0;
    for (size_t i = 0; i < p->n_rules; i++) {
        afz_fault_class c = afz_rule_class(&p->rules[i]);
        if (c > worst)
            worst = c;
        if (c <= AFZ_CLASS_REAL_WORLD && denies_service(&p->rules[i]))
            denials++;
    }
    if (worst <= AFZ_CLASS_REAL_WORLD && denials > 2)
        worst = AFZ_CLASS_DEGRADED;
    return worst;
}

uint64_t afz_plan_seed(const afz_plan *p)
{
    /* FNV-1a over the canonical encoding. */
    afz_buf b;
    afz_buf_init(&b, 0);
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    if (afz_plan_encode(p, &b) == AFZ_OK)
        for (size_t i = 0; i < b.len; i++) {
            h ^= (uint8_t)b.data[i];
            h *= UINT64_C(0x100000001b3);
        }
    afz_buf_cleanup(&b);
    return h;
}
