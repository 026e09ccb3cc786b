/* afz_serve_mgmt.c - the management listener: Pebble's read-only API for
 * the issuing hierarchy and certificate status, plus acmefuzz's history,
 * per-session verdicts (afz_serve_session.h), the HTML report of the
 * latest session, sessions and reset.
 *
 * GET /verdict judges every session: about a second at 10,000 exchanges
 * (bench/serve_soak.sh), during which the event loop would serve no ACME
 * request; GET /history of a long run is tens of megabytes; GET /report
 * judges one session and renders it. All three are
 * computed in a forked child, over the copy-on-write snapshot of the
 * history that fork gives for free, and come back through a pipe the loop
 * reads; at most VJOBS_MAX at once (past that, or when fork or pipe fails,
 * in the loop as before). The child closes every descriptor but the pipe,
 * computes, writes one status byte and the JSON (HTML for /report), and
 * leaves with _exit.
 * /history is streamed on as chunks (Transfer-Encoding: chunked), reading
 * from the child paused while the client has VJOB_BACKLOG unread, so the
 * server never holds the whole document. */
#define _GNU_SOURCE /* closefrom */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/queue.h>
#include <sys/wait.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "afz_json.h"
#include "afz_report_html.h"
#include "afz_serve_internal.h"

#define CT_PEM "application/pem-certificate-chain; charset=utf-8"
#define CT_KEY "application/x-pem-file; charset=utf-8"
#define CT_JSON "application/json; charset=utf-8"
#define CT_HTML "text/html; charset=utf-8"

static void reply_text(struct evhttp_request *req, int status, const char *ctype, const char *s)
{
    afz_serve_reply(req, status, ctype, s, strlen(s));
}

static void reply_buf(struct evhttp_request *req, afz_rc rc, const char *ctype, const afz_buf *b)
{
    if (rc == AFZ_OK)
        afz_serve_reply(req, 200, ctype, b->data, b->len);
    else
        reply_text(req, 500, "text/plain", "acmefuzz: out of memory\n");
}

/* "/roots/N" with prefix "/roots/": N + 1 when the rest is a decimal N
 * (no sign, no leading zero) naming a hierarchy (0 .. n_alt), -1 when it
 * is anything else, 0 when the prefix does not match. */
static int indexed(const char *path, const char *prefix, size_t n_alt)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0)
        return 0;
    const char *rest = path + n;
    size_t len = strlen(rest), v = 0;
    if (len == 0 || len > 3 || (len > 1 && rest[0] == '0'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (rest[i] < '0' || rest[i] > '9')
            return -1;
        v = v * 10 + (size_t)(rest[i] - '0');
    }
    return v <= n_alt ? (int)v + 1 : -1;
}

/* add_alternate_links adds Link <https://127.0.0.1:PORT/PREFIXk>;
 * rel="alternate" for every hierarchy k but |self| (Pebble's management
 * API links its alternate roots, intermediates and keys so). */
static void add_alternate_links(afz_serve *s, struct evhttp_request *req, const char *prefix,
                                size_t self)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    for (size_t k = 0; k <= s->n_alt_cas; k++) {
        if (k == self)
            continue;
        char v[160];
        snprintf(v, sizeof(v), "<https://127.0.0.1:%u%s%zu>;rel=\"alternate\"",
                 (unsigned)s->mgmt_port, prefix, k);
        evhttp_add_header(h, "Link", v);
    }
}

/* normalize_serial lower-cases |in| and drops leading zeros; 0 when |in|
 * is not hex or too long. */
static int normalize_serial(const char *in, char *out, size_t outlen)
{
    while (*in == '0' && in[1])
        in++;
    size_t n = strlen(in);
    if (n == 0 || n >= outlen)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)in[i]))
            return 0;
        out[i] = (char)tolower((unsigned char)in[i]);
    }
    out[n] = '\0';
    return 1;
}

/* first_pem_block copies the first PEM block of |body| into |out|. */
static afz_rc first_pem_block(const char *body, afz_buf *out)
{
    static const char end_marker[] = "-----END CERTIFICATE-----";
    const char *b = strstr(body, "-----BEGIN CERTIFICATE-----");
    const char *e = b ? strstr(b, end_marker) : NULL;
    if (!e)
        return AFZ_ENOTFOUND;
    e += sizeof(end_marker) - 1;
    afz_rc rc = afz_buf_append(out, b, (size_t)(e - b));
    return rc == AFZ_OK ? afz_buf_putc(out, '\n') : rc;
}

static void cert_status(afz_serve *s, struct evhttp_request *req, const char *hex)
{
    char serial[80];
    if (!normalize_serial(hex, serial, sizeof(serial))) {
        reply_text(req, 400, "text/plain", "acmefuzz: the serial is not hex\n");
        return;
    }
    const afz_history *h = &s->history;
    const afz_event *issued = NULL, *revoked = NULL;
    for (size_t i = 0; i < h->n_ev; i++) {
        const afz_event *ev = &h->ev[i];
        if (!ev->serial || strcmp(ev->serial, serial) != 0)
            continue;
        if (ev->kind == AFZ_EV_CERT_ISSUED && !issued)
            issued = ev;
        else if (ev->kind == AFZ_EV_CERT_REVOKED)
            revoked = ev;
    }
    if (!issued) {
        reply_text(req, 404, "text/plain", "acmefuzz: no certificate with that serial\n");
        return;
    }
    afz_buf pem, out;
    afz_buf_init(&pem, 0);
    afz_buf_init(&out, 0);
    for (size_t i = 0; issued->url && i < h->n_ex && !pem.len; i++) {
        const afz_exchange *x = &h->ex[i];
        if (x->delivered && x->resp.status == 200 && x->resp.body && x->req.url &&
            strcmp(x->req.url, issued->url) == 0)
            first_pem_block((const char *)x->resp.body, &pem);
    }
    cJSON *j = cJSON_CreateObject();
    afz_rc rc = AFZ_ENOMEM;
    if (j) {
        cJSON_AddStringToObject(j, "Status", revoked ? "Revoked" : "Valid");
        cJSON_AddStringToObject(j, "Serial", serial);
        cJSON_AddStringToObject(j, "Certificate", afz_buf_cstr(&pem));
        if (revoked)
            cJSON_AddNumberToObject(j, "RevocationReason", (double)revoked->value);
        else
            cJSON_AddNullToObject(j, "RevocationReason");
        rc = afz_json_print(j, &out);
        if (rc == AFZ_OK)
            rc = afz_buf_putc(&out, '\n');
        cJSON_Delete(j);
    }
    reply_buf(req, rc, CT_JSON, &out);
    afz_buf_cleanup(&pem);
    afz_buf_cleanup(&out);
}

/* parse_session_id reads a decimal session id 1..SIZE_MAX/2; 0 if not. */
static size_t parse_session_id(const char *v)
{
    size_t n = 0;
    if (!v || !*v || strlen(v) > 15)
        return 0;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return 0;
        n = n * 10 + (size_t)(*v - '0');
    }
    return n;
}

/* name_ok accepts a session name a report can show: 1..128 bytes, no
 * control characters. */
static int name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > AFZ_SERVE_SESSION_NAME_MAX)
        return 0;
    for (; *n; n++)
        if ((unsigned char)*n < 0x20 || *n == 0x7f)
            return 0;
    return 1;
}

static afz_serve_current current_of(afz_serve *s)
{
    return (afz_serve_current){
        .history = &s->history, .plan = s->plan, .dropped = s->dropped, .run = s->runs};
}

static void reply_json(struct evhttp_request *req, cJSON *j)
{
    afz_buf out;
    afz_buf_init(&out, 0);
    afz_rc rc = j ? afz_json_print(j, &out) : AFZ_ENOMEM;
    if (rc == AFZ_OK)
        rc = afz_buf_putc(&out, '\n');
    reply_buf(req, rc, CT_JSON, &out);
    afz_buf_cleanup(&out);
}

/* ---- /report ---- */

static int has_download(const afz_history *h)
{
    for (size_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].kind == AFZ_EV_CERT_DOWNLOADED)
            return 1;
    return 0;
}

/* report_page appends the HTML report (afz_report_html.h) of the latest
 * session: the last of the current run, or of the last finished run when
 * the current one has recorded nothing yet. It is judged as GET /verdict
 * judges a session (the server's policy, real-time limits, no time limit,
 * succeeded when a certificate was downloaded). */
static afz_rc report_page(afz_serve *s, afz_buf *out)
{
    const afz_history *h = &s->history;
    const afz_plan *plan = s->plan;
    const afz_serve_mark *marks = s->log.marks_run == s->runs ? s->log.marks : NULL;
    size_t n_marks = marks ? s->log.n_marks : 0;
    uint64_t run = s->runs + 1;
    if (!h->n_ex && s->log.n_past) {
        const afz_serve_run_rec *p = &s->log.past[s->log.n_past - 1];
        h = &p->history;
        plan = p->plan;
        marks = p->marks;
        n_marks = p->n_marks;
        run = p->run;
    }
    afz_serve_sessions ss;
    afz_history sub;
    afz_history_init(&sub);
    afz_buf title, outcome;
    afz_buf_init(&title, 0);
    afz_buf_init(&outcome, 0);
    afz_report r;
    afz_rc rc = afz_serve_sessions_split(h, marks, n_marks, &ss);
    if (rc != AFZ_OK)
        goto out;
    afz_buf_printf(&title, "acmefuzz serve: run %" PRIu64 ", session %zu of %zu", run, ss.n, ss.n);
    afz_html_section sec = {.name = afz_buf_cstr(&title), .client = "(the server's client)"};
    if (ss.n) {
        const afz_serve_session *last = &ss.v[ss.n - 1];
        size_t dir_from;
        rc = afz_serve_session_history(h, last, &sub, NULL, &dir_from);
        if (rc != AFZ_OK)
            goto out;
        afz_policy def;
        afz_policy_default(&def);
        afz_prop_limits lim;
        afz_serve_prop_limits(&lim);
        lim.max_virtual_ms = INT64_MAX / 4; /* as /verdict: sessions run as long as clients */
        afz_report_options opt = {.policy = s->cfg.policy ? s->cfg.policy : &def, .limits = &lim};
        afz_prop_input in;
        memset(&in, 0, sizeof(in));
        in.history = &sub;
        in.plan = plan;
        in.plan_class = plan ? afz_plan_class(plan) : AFZ_CLASS_LEGAL;
        in.attempts = plan ? plan->attempts : 1;
        in.client_succeeded = has_download(&sub);
        if ((rc = afz_report_evaluate_input(&in, &opt, &r)) != AFZ_OK)
            goto out;
        afz_buf_printf(&outcome, "%s; %zu exchanges in this session%s%s",
                       in.client_succeeded ? "a certificate was downloaded"
                                           : "no certificate downloaded (yet)",
                       sub.n_ex, last->account ? ", account " : "",
                       last->account ? last->account : "");
        sec.outcome = afz_buf_cstr(&outcome);
        sec.history = &sub;
        sec.report = &r;
        sec.client_output = "(not seen by the server: the client runs elsewhere)";
    } else {
        sec.error = "no exchange recorded yet";
    }
    rc = afz_report_html(afz_buf_cstr(&title), &sec, 1, out);
out:
    afz_history_cleanup(&sub);
    afz_serve_sessions_cleanup(&ss);
    afz_buf_cleanup(&title);
    afz_buf_cleanup(&outcome);
    return rc;
}

/* ---- /verdict and /history in a child ---- */

#define VJOBS_MAX 4
#define VJOB_CHUNK 65536
/* /history is streamed: reading from the child pauses while more than
 * this is waiting in the client's connection, so the server holds at
 * most about this much of the document at a time. */
#define VJOB_BACKLOG (1024 * 1024)

typedef enum vjob_kind { VJOB_VERDICT, VJOB_HISTORY, VJOB_REPORT } vjob_kind;

typedef struct afz_serve_vjob afz_serve_vjob;
struct afz_serve_vjob {
    afz_serve *s;
    struct evhttp_request *req;
    vjob_kind kind;
    pid_t pid;
    int fd;
    struct event *ev;    /* the pipe is readable */
    struct event *pause; /* /history: re-check the client's backlog */
    afz_buf out;         /* /verdict: status byte + body, as the child wrote them */
    int started;         /* /history: the status byte was read, chunks follow */
    struct afz_serve_vjob *next;
};

static void vjob_free(afz_serve_vjob *j)
{
    for (afz_serve_vjob **p = &j->s->vjobs; *p; p = &(*p)->next) {
        if (*p == j) {
            *p = j->next;
            break;
        }
    }
    j->s->n_vjobs--;
    if (j->ev)
        event_free(j->ev);
    if (j->pause)
        event_free(j->pause);
    if (j->fd >= 0)
        close(j->fd);
    afz_buf_cleanup(&j->out);
    free(j);
}

/* vjob_reap waits for the child; 1 when it exited with status 0. */
static int vjob_reap(afz_serve_vjob *j)
{
    int st = 0;
    while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* vjob_finish ends the job: the reply the child's output makes (the
 * client may be gone: evhttp then frees the detached request on reply,
 * as for held ACME requests), or the end of a streamed /history. */
static void vjob_finish(afz_serve_vjob *j, int complete)
{
    if (!complete)
        kill(j->pid, SIGKILL);
    int ok = vjob_reap(j) && complete;
    if (j->kind == VJOB_HISTORY && j->started) {
        /* headers are out: a failure can only cut the document short */
        evhttp_send_reply_end(j->req);
    } else {
        char tag = ok && j->out.len >= 1 ? j->out.data[0] : 'E';
        if (tag == 'O')
            afz_serve_reply(j->req, 200, j->kind == VJOB_REPORT ? CT_HTML : CT_JSON,
                            j->out.data + 1, j->out.len - 1);
        else if (tag == 'N')
            reply_text(j->req, 404, "text/plain",
                       "acmefuzz: no such session (or it was forgotten)\n");
        else
            reply_text(j->req, 500, "text/plain", "acmefuzz: the answer could not be computed\n");
    }
    vjob_free(j);
}

/* backlog returns the bytes waiting in |req|'s connection, or -1 when the
 * client is gone. */
static long backlog(struct evhttp_request *req)
{
    struct evhttp_connection *c = evhttp_request_get_connection(req);
    struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
    return bev ? (long)evbuffer_get_length(bufferevent_get_output(bev)) : -1;
}

/* stream_chunk passes |n| bytes of the child's /history output on. The
 * first byte is its status: 'O' starts the chunked reply; anything else
 * is kept for vjob_finish's error reply and what follows is dropped.
 * 0, or -1 when the client is gone. */
static int stream_chunk(afz_serve_vjob *j, const char *p, size_t n)
{
    if (!j->started) {
        if (j->out.len)
            return 0; /* the child failed: nothing to send */
        if (p[0] != 'O')
            return afz_buf_putc(&j->out, p[0]) == AFZ_OK ? 0 : -1;
        struct evkeyvalq *h = evhttp_request_get_output_headers(j->req);
        evhttp_add_header(h, "Content-Type", CT_JSON);
        evhttp_add_header(h, "Cache-Control", "no-store");
        evhttp_send_reply_start(j->req, 200, "OK");
        j->started = 1;
        p++;
        n--;
    }
    if (!n)
        return 0;
    if (backlog(j->req) < 0)
        return -1;
    struct evbuffer *b = evbuffer_new();
    if (!b || evbuffer_add(b, p, n) != 0) {
        evbuffer_free(b);
        return -1;
    }
    evhttp_send_reply_chunk(j->req, b);
    evbuffer_free(b);
    return 0;
}

static void vjob_read(evutil_socket_t fd, short what, void *arg);

static void vjob_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    afz_serve_vjob *j = arg;
    long waiting = backlog(j->req);
    if (waiting < 0) {
        vjob_finish(j, 0);
        return;
    }
    if (waiting > VJOB_BACKLOG) {
        struct timeval tv = {0, 50000};
        evtimer_add(j->pause, &tv);
        return;
    }
    event_add(j->ev, NULL);
}

static void vjob_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    afz_serve_vjob *j = arg;
    char chunk[VJOB_CHUNK];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n > 0) {
            int rc = j->kind == VJOB_HISTORY ? stream_chunk(j, chunk, (size_t)n)
                     : afz_buf_append(&j->out, chunk, (size_t)n) == AFZ_OK ? 0
                                                                           : -1;
            if (rc < 0) {
                vjob_finish(j, 0);
                return;
            }
            if (j->kind == VJOB_HISTORY && j->started && backlog(j->req) > VJOB_BACKLOG) {
                /* the client reads slower than the child writes: wait */
                event_del(j->ev);
                struct timeval tv = {0, 50000};
                evtimer_add(j->pause, &tv);
                return;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* more later */
        vjob_finish(j, n == 0);
        return;
    }
}

/* vjob_write writes all of |out| to |fd| or leaves the child. */
static void vjob_write(int fd, const afz_buf *out)
{
    size_t off = 0;
    while (off < out->len) {
        ssize_t n = write(fd, out->data + off, out->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(4);
        off += (size_t)n;
    }
}

/* vjob_child computes the answer and writes it to |wfd|: a status byte
 * ('O' done, 'N' no such session, 'E' failed) and the body; never
 * returns. */
static void vjob_child(afz_serve *s, int wfd, vjob_kind kind, const afz_serve_verdict_query *vq)
{
    if (wfd != 3) {
        if (dup2(wfd, 3) < 0)
            _exit(2);
        wfd = 3;
    }
    closefrom(4); /* the listeners and client sockets stay the parent's alone */
    afz_buf out;
    afz_buf_init(&out, 0);
    afz_rc rc;
    if (kind == VJOB_HISTORY) {
        afz_buf_putc(&out, 'O');
        rc = afz_history_to_json(&s->history, &out);
        if (rc == AFZ_OK)
            rc = afz_buf_putc(&out, '\n');
        if (rc != AFZ_OK) {
            afz_buf_reset(&out);
            afz_buf_putc(&out, 'E');
        }
    } else if (kind == VJOB_REPORT) {
        afz_buf_putc(&out, 'O');
        if (report_page(s, &out) != AFZ_OK) {
            afz_buf_reset(&out);
            afz_buf_putc(&out, 'E');
        }
    } else {
        afz_serve_current cur = {
            .history = &s->history, .plan = s->plan, .dropped = s->dropped, .run = s->runs};
        cJSON *j = NULL;
        rc = afz_serve_log_verdict(&s->log, &cur, vq, &j);
        afz_buf_putc(&out, rc == AFZ_OK ? 'O' : rc == AFZ_ENOTFOUND ? 'N' : 'E');
        if (rc == AFZ_OK &&
            (afz_json_print(j, &out) != AFZ_OK || afz_buf_putc(&out, '\n') != AFZ_OK))
            _exit(3);
    }
    vjob_write(wfd, &out);
    _exit(0);
}

/* vjob_start forks the computation for |req| (|vq| for /verdict); 0 when
 * the child took it (the reply comes later), -1 to compute it here. */
static int vjob_start(afz_serve *s, struct evhttp_request *req, vjob_kind kind,
                      const afz_serve_verdict_query *vq)
{
    if (s->n_vjobs >= VJOBS_MAX)
        return -1;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    afz_serve_vjob *j = calloc(1, sizeof(*j));
    if (!j) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        vjob_child(s, fds[1], kind, vq);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        free(j);
        return -1;
    }
    j->s = s;
    j->req = req;
    j->kind = kind;
    j->pid = pid;
    j->fd = fds[0];
    afz_buf_init(&j->out, 0);
    evutil_make_socket_nonblocking(j->fd);
    j->ev = event_new(s->base, j->fd, EV_READ | EV_PERSIST, vjob_read, j);
    j->pause = evtimer_new(s->base, vjob_resume, j);
    j->next = s->vjobs;
    s->vjobs = j;
    s->n_vjobs++;
    if (!j->ev || !j->pause || event_add(j->ev, NULL) != 0)
        vjob_finish(j, 0);
    return 0;
}

void afz_serve_mgmt_cancel_jobs(afz_serve *s)
{
    while (s->vjobs) {
        afz_serve_vjob *j = s->vjobs;
        kill(j->pid, SIGKILL);
        vjob_reap(j);
        if (j->started)
            evhttp_send_reply_end(j->req);
        else
            reply_text(j->req, 503, "text/plain", "acmefuzz: the server is stopping\n");
        vjob_free(j);
    }
}

static void verdict(afz_serve *s, struct evhttp_request *req, const char *query)
{
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    if (query && evhttp_parse_query_str(query, &q) != 0) {
        reply_text(req, 400, "text/plain", "acmefuzz: unreadable query\n");
        return;
    }
    afz_serve_verdict_query vq = {0};
    afz_policy policy;
    if (s->cfg.policy)
        policy = *s->cfg.policy;
    else
        afz_policy_default(&policy);
    char why[200], msg[260];
    const char *outcome = evhttp_find_header(&q, "outcome");
    const char *session = evhttp_find_header(&q, "session");
    const char *fail_on = evhttp_find_header(&q, "fail-on");
    const char *allow = evhttp_find_header(&q, "allow");
    if (outcome && strcmp(outcome, "success") != 0 && strcmp(outcome, "failure") != 0) {
        reply_text(req, 400, "text/plain", "acmefuzz: outcome is success or failure\n");
        goto out;
    }
    if (session && !(vq.session = parse_session_id(session))) {
        reply_text(req, 400, "text/plain", "acmefuzz: session wants a session id (1, 2, ...)\n");
        goto out;
    }
    const char *bad = NULL;
    if (fail_on &&
        afz_policy_levels_parse(fail_on, &policy.fail_levels, why, sizeof(why)) != AFZ_OK)
        bad = "fail-on";
    else if (allow && afz_policy_allow(&policy, allow, why, sizeof(why)) != AFZ_OK)
        bad = "allow";
    if (bad) {
        snprintf(msg, sizeof(msg), "acmefuzz: %s: %s\n", bad, why);
        reply_text(req, 400, "text/plain", msg);
        goto out;
    }
    vq.policy = &policy;
    vq.outcome = outcome;
    if (vjob_start(s, req, VJOB_VERDICT, &vq) == 0)
        goto out;
    afz_serve_current cur = current_of(s);
    cJSON *j = NULL;
    afz_rc rc = afz_serve_log_verdict(&s->log, &cur, &vq, &j);
    if (rc == AFZ_ENOTFOUND)
        reply_text(req, 404, "text/plain", "acmefuzz: no such session (or it was forgotten)\n");
    else
        reply_json(req, rc == AFZ_OK ? j : NULL);
    cJSON_Delete(j);
out:
    evhttp_clear_headers(&q);
}

/* new_session answers POST /session and POST /reset: |reset| starts a
 * fresh run first (keeping the finished one for /verdict); a name, or
 * POST /session itself, places a session boundary. */
static void new_session(afz_serve *s, struct evhttp_request *req, const char *query, int reset)
{
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    if (query && evhttp_parse_query_str(query, &q) != 0) {
        reply_text(req, 400, "text/plain", "acmefuzz: unreadable query\n");
        return;
    }
    const char *name = evhttp_find_header(&q, "name");
    cJSON *j = NULL;
    if (name && !name_ok(name)) {
        reply_text(req, 400, "text/plain",
                   "acmefuzz: name wants 1..128 bytes without control characters\n");
        goto out;
    }
    afz_rc rc = AFZ_OK;
    if (reset) {
        rc = afz_serve_log_archive(&s->log, s->runs, &s->history, s->plan, s->dropped,
                                   s->cfg.max_exchanges);
        if (rc == AFZ_OK)
            rc = afz_serve_reset(s, s->plan);
    }
    if (rc == AFZ_OK && (name || !reset)) {
        /* at most one boundary per recorded exchange, and a few more */
        rc = afz_serve_log_mark(&s->log, s->runs, &s->history, name, s->cfg.max_exchanges + 64);
        if (rc == AFZ_ELIMIT) {
            reply_text(req, 429, "text/plain", "acmefuzz: too many sessions in this run\n");
            goto out;
        }
    }
    size_t id = 0;
    afz_serve_current cur = current_of(s);
    if (rc == AFZ_OK && (name || !reset))
        rc = afz_serve_log_count(&s->log, &cur, &id);
    j = cJSON_CreateObject();
    if (rc != AFZ_OK || !j) {
        reply_text(req, 500, CT_JSON, reset ? "{\"reset\":false}\n" : "{\"session\":null}\n");
        goto out;
    }
    if ((reset && !cJSON_AddBoolToObject(j, "reset", 1)) ||
        !cJSON_AddNumberToObject(j, "run", (double)s->runs) ||
        ((name || !reset) &&
         (!cJSON_AddNumberToObject(j, "session", (double)id) ||
          !(name ? cJSON_AddStringToObject(j, "name", name) : cJSON_AddNullToObject(j, "name"))))) {
        cJSON_Delete(j);
        j = NULL;
    }
    reply_json(req, j);
out:
    cJSON_Delete(j);
    evhttp_clear_headers(&q);
}

static const char index_text[] =
    "acmefuzz management API\n"
    "GET  /roots/N /intermediates/N /root-keys/N /intermediate-keys/N  (N = 0, and 1..\n"
    "     PEBBLE_ALTERNATE_ROOTS; Link rel=\"alternate\" names the others)\n"
    "GET  /cert-status-by-serial/<hex>\n"
    "GET  /history                  the current run's exchanges and events\n"
    "GET  /report                   an HTML report of the latest session (of the last\n"
    "     run when the current one is empty): timeline per resource, Retry-After\n"
    "     windows, verdicts linked to the exchanges, decoded JWS\n"
    "GET  /verdict[?session=N][&outcome=success|failure][&fail-on=LEVELS][&allow=ID,ID]\n"
    "     one verdict per session (one client run), every property judged per\n"
    "     session, the terminates request budget included: {\"sessions\":[{\"id\",\n"
    "     \"run\",\"name\",\"split\",\"account\",\"exchanges\",\"client_succeeded\",\n"
    "     \"fails\",\"verdict\"}...],\"summary\":{\"sessions\",\"judged\",\"failing\",...}}.\n"
    "     outcome applies to the latest session; fail-on/allow replace/extend the\n"
    "     server's --fail-on/--allow\n"
    "POST /session[?name=NAME]      a new session starts here (call it between\n"
    "     tests; NAME labels the test in /verdict)\n"
    "POST /reset[?name=NAME]        a fresh run: empty server state and history; the\n"
    "     old run stays in /verdict. With NAME, also a named session\n"
    "Without /session or /reset, sessions split by account: each newAccount the\n"
    "server answers starts one; kid-signed requests go with their account;\n"
    "directory, newNonce and other unsigned requests go with the request that\n"
    "used their nonce, else with the next signed request.\n";

void afz_serve_mgmt_cb(struct evhttp_request *req, void *arg)
{
    afz_serve *s = arg;
    afz_serve_conn_request(req);
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    const char *path = u ? evhttp_uri_get_path(u) : NULL;
    const char *query = u ? evhttp_uri_get_query(u) : NULL;
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    if (!path || !*path) {
        reply_text(req, 400, "text/plain", "acmefuzz: no path\n");
        return;
    }
    if (strcmp(path, "/reset") == 0 || strcmp(path, "/session") == 0) {
        int reset = path[1] == 'r';
        if (m != EVHTTP_REQ_POST) {
            reply_text(req, 405, "text/plain",
                       reset ? "acmefuzz: POST /reset\n" : "acmefuzz: POST /session\n");
            return;
        }
        new_session(s, req, query, reset);
        return;
    }
    if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
        reply_text(req, 405, "text/plain",
                   "acmefuzz: the management API is read-only but /reset and /session\n");
        return;
    }
    struct {
        const char *prefix;
        const char *ctype;
        const char *(*pem)(const afz_ca *);
    } const pems[] = {
        {"/roots/", CT_PEM, afz_ca_root_pem},
        {"/intermediates/", CT_PEM, afz_ca_intermediate_pem},
        {"/root-keys/", CT_KEY, afz_ca_root_key_pem},
        {"/intermediate-keys/", CT_KEY, afz_ca_intermediate_key_pem},
    };
    for (size_t i = 0; i < sizeof(pems) / sizeof(pems[0]); i++) {
        int k = indexed(path, pems[i].prefix, s->n_alt_cas);
        if (k > 0) {
            const afz_ca *ca = k == 1 ? s->ca : s->alt_cas[k - 2];
            add_alternate_links(s, req, pems[i].prefix, (size_t)(k - 1));
            reply_text(req, 200, pems[i].ctype, pems[i].pem(ca));
            return;
        }
        if (k < 0) {
            char msg[120];
            snprintf(msg, sizeof(msg),
                     "acmefuzz: no such hierarchy (0 to %zu; PEBBLE_ALTERNATE_ROOTS)\n",
                     s->n_alt_cas);
            reply_text(req, 404, "text/plain", msg);
            return;
        }
    }
    static const char status_prefix[] = "/cert-status-by-serial/";
    if (strncmp(path, status_prefix, sizeof(status_prefix) - 1) == 0) {
        cert_status(s, req, path + sizeof(status_prefix) - 1);
        return;
    }
    if (strcmp(path, "/history") == 0) {
        if (vjob_start(s, req, VJOB_HISTORY, NULL) == 0)
            return; /* streamed from a child */
        afz_buf out;
        afz_buf_init(&out, 0);
        afz_rc rc = afz_history_to_json(&s->history, &out);
        if (rc == AFZ_OK)
            rc = afz_buf_putc(&out, '\n');
        reply_buf(req, rc, CT_JSON, &out);
        afz_buf_cleanup(&out);
        return;
    }
    if (strcmp(path, "/verdict") == 0) {
        verdict(s, req, query);
        return;
    }
    if (strcmp(path, "/report") == 0) {
        if (vjob_start(s, req, VJOB_REPORT, NULL) == 0)
            return; /* computed in a child */
        afz_buf out;
        afz_buf_init(&out, 0);
        afz_rc rc = report_page(s, &out);
        reply_buf(req, rc, CT_HTML, &out);
        afz_buf_cleanup(&out);
        return;
    }
    if (strcmp(path, "/") == 0) {
        reply_text(req, 200, "text/plain", index_text);
        return;
    }
    reply_text(req, 404, "text/plain", "acmefuzz: no such management resource\n");
}
