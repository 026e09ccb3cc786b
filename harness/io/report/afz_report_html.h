/* afz_report_html.h - one self-contained HTML page per run or suite: what
 * a client maintainer looks at first (did my client wait as long as the
 * server asked, how often did it poll, where did the fault land, what did
 * it do next).
 *
 * Per run (a "section"; a suite has one per scenario):
 *   - pass/fail, client, scenario, outcome, policy and replay command;
 *   - the verdict table: every property with its level, RFC section,
 *     rationale and message; a violation links to its offending exchange
 *     on the timeline (id "sN-xI", I the 0-based exchange index) and to
 *     that exchange's full request and response (id "sN-dI");
 *   - a timeline per resource (directory and nonces, account, each order
 *     with its newOrder and finalize requests, each authorization, each
 *     challenge, each certificate): every exchange is a mark at its
 *     virtual time, coloured by HTTP status, labelled with its number
 *     (1-based, as the text log), with the resource status, problem and
 *     Retry-After in its tooltip; an injected fault rings the mark; each
 *     Retry-After is drawn from the response that carried it to the
 *     instant it named (id "sN-raI", data-start-ms and data-end-ms in
 *     virtual milliseconds), and a request to the same URL before that
 *     instant is outlined as early. Windows and early marks follow
 *     respects-retry-after (afz_prop_timing.c): only a binding
 *     Retry-After (an error, "processing", a pending authorization or
 *     challenge) draws one; a finalize answer's also governs its order;
 *     the next request to the URL is the one judged. The page shows the
 *     instant the server named, while the verdict also allows its limits'
 *     clock tolerance (server mode): a mark may be early by a few
 *     milliseconds where the verdict passes;
 *   - every exchange in full: request line and headers, the decoded JWS
 *     protected header and payload, the response, and the events it led to;
 *   - the client's own output.
 * The page reuses the history's parsed view (afz_trace.h) rather than
 * re-parsing bodies.
 *
 * Hostile input. Everything that came from a client or a server (URLs,
 * headers, bodies, problem details, log lines, scenario names) goes
 * through afz_html_escape, and only into element text or double-quoted
 * attribute values; never into <style>, <script> or an unquoted
 * attribute. Numbers the writer computes itself are the only other
 * content.
 *
 * The template (CSS, a short script that opens the exchange a link
 * points at, and a Content-Security-Policy that allows no fetch at all) is
 * a C string in afz_report_html_template.c: one file, no build step. */
#ifndef AFZ_REPORT_HTML_H
#define AFZ_REPORT_HTML_H

#include <stddef.h>

#include "afz_buf.h"
#include "afz_history.h"
#include "afz_report.h"

/* The page template (afz_report_html_template.c), with the markers
 * "<!--AFZ:TITLE-->" and "<!--AFZ:BODY-->". */
extern const char afz_report_html_template[];

/* afz_html_escape (afz_report_html_escape.c) appends the |n| bytes at |p|
 * as HTML text that is safe both as element content and inside a
 * double-quoted attribute value:
 * & < > " ' become character references; tab and newline pass; carriage
 * return is dropped; every other control character (C0, DEL, C1, NUL
 * included) and every byte that is not part of a well-formed UTF-8
 * sequence (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF) becomes U+FFFD written as "&#xFFFD;". The output is therefore
 * valid UTF-8 without NUL. AFZ_OK, or AFZ_ELIMIT/AFZ_ENOMEM from |out|. */
afz_rc afz_html_escape(afz_buf *out, const void *p, size_t n);
/* afz_html_escape_str is afz_html_escape over a C string; NULL appends
 * nothing. */
afz_rc afz_html_escape_str(afz_buf *out, const char *s);

/* One run to show. Everything is borrowed for the call; every string may
 * be NULL (not shown). */
typedef struct afz_html_section {
    const char *name;          /* heading: scenario name, or "run" */
    const char *client;        /* the client's name */
    const char *scenario;      /* the scenario file */
    const char *plan_text;     /* the plan in text form */
    const char *outcome;       /* one line: how the client ended */
    const char *replay;        /* the command that reproduces it */
    const char *client_output; /* the client's own output; NULL: its log
                                  lines recorded in the history */
    const char *error;         /* the scenario did not run: why (history and
                                  report may then be NULL) */
    const afz_history *history;
    const afz_report *report;
} afz_html_section;

/* afz_report_html appends the whole page: |title| as its title and
 * heading, then, when |n| > 1, a summary table (each section's pass/fail
 * linking to it), then every section of |s| (|n| of them). A section
 * fails when it has an error or report->violations > 0. AFZ_OK,
 * AFZ_ENOMEM, or AFZ_ELIMIT when |out|'s cap was reached (bodies are cut
 * at 64 KiB each, so only a history of many thousand exchanges can). */
afz_rc afz_report_html(const char *title, const afz_html_section *s, size_t n, afz_buf *out);

#endif
