/* afz_fault_engine.h - applies a fault plan to the server model during a
 * run.
 *
 * CONFIG rules are folded into the server configuration before the server
 * is created (afz_fault_configure). BEFORE and AFTER rules act through the
 * server's two hooks: the request hook answers a selected request in the
 * model's place (injected errors), the response hook edits the response the
 * model built (fields, headers, body, status) or loses it (status 0, which
 * the run reports to the client as a transport error). Every injected
 * fault is recorded as an AFZ_EV_FAULT event naming its rule.
 *
 * Injected refusals behave like a CA's: a BEFORE fault that answers a
 * POST spends the request's nonce when the model would have accepted its
 * JWS up to the nonce (afz_server_spend_nonce), so re-sending the same
 * signed bytes earns badNonce; they carry a fresh Replay-Nonce (RFC 8555
 * 6.5) except bad_nonce_bare, which omits it on purpose, and html_error,
 * a proxy's page that never reached the CA (its nonce is not spent).
 *
 * Occurrences: the request hook counts every request by the kind the
 * server classified it as; "any" counts all requests. The response hook
 * sees the same counts for the same request. */
#ifndef AFZ_FAULT_ENGINE_H
#define AFZ_FAULT_ENGINE_H

#include <stddef.h>

#include "afz_clock.h"
#include "afz_history.h"
#include "afz_plan.h"
#include "afz_server.h"

/* afz_fault_configure applies the plan's CONFIG rules to |cfg| (later rules
 * override earlier ones). */
void afz_fault_configure(const afz_plan *p, afz_server_config *cfg);

typedef struct afz_fault_engine {
    const afz_plan *plan;                    /* borrowed */
    afz_server *server;                      /* borrowed */
    afz_clock *clock;                        /* borrowed */
    afz_history *history;                    /* borrowed */
    size_t seen[AFZ_RES__COUNT];             /* requests per kind so far */
    size_t seen_any;                         /* requests so far */
    afz_resource cur_kind;                   /* the request being served */
    size_t cur_n, cur_any;                   /* its occurrence numbers (1-based) */
    int cur_answered;                        /* the request hook answered it */
    unsigned valid_seen[AFZ_PLAN_MAX_RULES]; /* certificate_late counters */
    int anchored[AFZ_PLAN_MAX_RULES];        /* the rule's "after" request was answered 2xx */
    size_t anchor_base[AFZ_PLAN_MAX_RULES];  /* its occurrence count at that moment */
} afz_fault_engine;

/* afz_fault_engine_init binds |e| to a plan and a server and installs the
 * server's hooks. Everything is borrowed and must outlive the run. It
 * records one event per CONFIG rule. Nothing to clean up. */
void afz_fault_engine_init(afz_fault_engine *e, const afz_plan *plan, afz_server *server,
                           afz_clock *clock, afz_history *history);

#endif
