/* afz_scenario.h - the text form of fault plans (.scn files).
 *
 * Grammar (one statement per line; '#' starts a comment to end of line;
 * blank lines and surrounding spaces/tabs are ignored):
 *
 *   statement  = "identifiers" SP n          ; 1..4 names (default 1)
 *              / "account-key" SP alg        ; ES256 | ES384 | RS256 | EdDSA
 *              / "attempts" SP n             ; 1..4 obtain calls (default 1)
 *              / rule
 *   rule       = kind SP occurrence [ SP "after" SP resource ] SP "->" SP fault
 *   kind       = "any" / a resource name: directory nonce account newOrder
 *                order authorization challenge finalize certificate
 *                revokeCert keyChange
 *   occurrence = "*"            ; every response of that kind
 *              / "@" k          ; only the k-th (1..127)
 *              / "@" k "+"      ; the k-th and every later one (1..128)
 *   "after" R  counts the occurrences from the first request of resource R
 *              the client saw answered 2xx on (a protocol phase: "order @1
 *              after finalize" is the first order read after an accepted
 *              finalize); not for CONFIG faults
 *   fault      = name "(" [ arg *( "," SP arg ) ] ")"
 *   arg        = argname "=" value      ; see `acmefuzz list faults`
 *
 * Arguments may be omitted (they take the first value of their domain)
 * and SP is any run of spaces or tabs. A rule whose fault has a natural
 * resource must name it (or "any", which is read as that resource).
 *
 * Canonical form (what afz_scenario_print writes, and what parse-print
 * round-trips byte for byte): no comments, the header statements only when
 * they differ from the defaults, in the order above, then one rule per line
 * with every argument named, separated by ", ". Example:
 *
 *   identifiers 2
 *   finalize * -> async_finalize(polls=3, delay=0s, retry_after=3)
 *   order @1 after finalize -> stale_status(status=ready)
 */
#ifndef AFZ_SCENARIO_H
#define AFZ_SCENARIO_H

#include <stddef.h>

#include "afz_buf.h"
#include "afz_plan.h"

typedef struct afz_scn_error {
    unsigned line; /* 1-based */
    unsigned col;  /* 1-based, byte column */
    char msg[192];
} afz_scn_error;

/* afz_scenario_parse reads |n| bytes of scenario text into |out|. On
 * AFZ_EPARSE |err| says where and why (|out| is then undefined). */
afz_rc afz_scenario_parse(const char *text, size_t n, afz_plan *out, afz_scn_error *err);
/* afz_scenario_print appends the canonical text of |p|. */
afz_rc afz_scenario_print(const afz_plan *p, afz_buf *out);

/* afz_rule_format appends the canonical text of one rule, without a
 * newline: "order @2 -> stale_status(status=ready)". */
afz_rc afz_rule_format(const afz_rule *r, afz_buf *out);

/* afz_plan_load reads a plan from a file: text when the name ends in
 * ".scn", the binary form otherwise. On failure |err| explains (line 0
 * for I/O errors). Files are capped at 1 MiB. */
afz_rc afz_plan_load(const char *path, afz_plan *out, afz_scn_error *err);

#endif
