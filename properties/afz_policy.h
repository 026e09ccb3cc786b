/* afz_policy.h - which verdicts fail a run: one rule shared by `run`,
 * `replay`, `suite`, `serve`'s /verdict and the fuzz targets, so a finding
 * means the same thing everywhere.
 *
 * A violated property fails the run when its level is in the policy's
 * fail set and its id is not waived. Violations below the fail set are
 * still reported (as warnings), waived ones as waived: nothing is hidden,
 * only the exit status changes.
 *
 * The default fail set is MUST and HARM: what RFC 8555 requires of a
 * client, and what measurably hurts the CA or the user (duplicate
 * issuance, hot loops, a crash, no end). SHOULD (an RFC recommendation)
 * and ROBUST (surviving what real CAs do beyond the RFC, or legal answers
 * a careful client copes with) are reported but do not fail by default; a
 * project tightens with --fail-on must,should,harm,robust (or "all").
 * Rationale: a project can adopt acmefuzz on day one without a failure
 * that the RFC does not back; the rest is one flag away.
 *
 * Text form of a fail set: level names joined by ',' in any order and
 * case ("must,harm"), or "all", or "none". afz_policy_levels_print writes
 * the canonical form (lower case, in level order), which parses back to
 * the same set. */
#ifndef AFZ_POLICY_H
#define AFZ_POLICY_H

#include <stddef.h>

#include "afz_buf.h"
#include "afz_property.h"
#include "afz_rc.h"

#define AFZ_LEVEL_BIT(l) (1u << (unsigned)(l))
#define AFZ_POLICY_DEFAULT_LEVELS (AFZ_LEVEL_BIT(AFZ_LEVEL_MUST) | AFZ_LEVEL_BIT(AFZ_LEVEL_HARM))
#define AFZ_POLICY_ALL_LEVELS                                                                      \
    (AFZ_LEVEL_BIT(AFZ_LEVEL_MUST) | AFZ_LEVEL_BIT(AFZ_LEVEL_SHOULD) |                             \
     AFZ_LEVEL_BIT(AFZ_LEVEL_HARM) | AFZ_LEVEL_BIT(AFZ_LEVEL_ROBUST))
#define AFZ_POLICY_MAX_ALLOW 32
#define AFZ_POLICY_ID_MAX 48 /* longest property id, NUL included */

/* A plain value: copy it freely; it owns nothing. */
typedef struct afz_policy {
    unsigned fail_levels;                                /* AFZ_LEVEL_BIT of each failing level */
    char allow[AFZ_POLICY_MAX_ALLOW][AFZ_POLICY_ID_MAX]; /* waived property ids */
    size_t n_allow;
} afz_policy;

/* afz_policy_default fills |p| with the default fail set and no waiver. */
void afz_policy_default(afz_policy *p);

/* afz_policy_levels_parse reads a fail set (see above) into *levels.
 * AFZ_EINVAL with a one-line reason in |err| on an unknown word. */
afz_rc afz_policy_levels_parse(const char *text, unsigned *levels, char *err, size_t errlen);

/* afz_policy_levels_print appends the canonical text of |levels|. */
afz_rc afz_policy_levels_print(unsigned levels, afz_buf *out);

/* afz_policy_allow adds the waivers in |ids| (one id, or several joined
 * by ','). AFZ_EINVAL with a reason in |err| when an id names no
 * property; AFZ_ELIMIT past AFZ_POLICY_MAX_ALLOW. */
afz_rc afz_policy_allow(afz_policy *p, const char *ids, char *err, size_t errlen);

/* afz_policy_waives tells whether |id| is waived. */
int afz_policy_waives(const afz_policy *p, const char *id);

/* afz_policy_fails tells whether a violation of |prop| fails the run
 * under |p| (NULL: the default policy). */
int afz_policy_fails(const afz_policy *p, const afz_property *prop);

/* afz_policy_print appends the policy as one line of text:
 * "fail-on must,harm; allow id1,id2" ("allow -" without waivers). */
afz_rc afz_policy_print(const afz_policy *p, afz_buf *out);

#endif
