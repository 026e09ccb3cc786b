/* afz_suite.c - see afz_suite.h: templates, the client process under the
 * server's event loop, and the verdict per scenario. */
#define _GNU_SOURCE /* unshare, mount: the private hosts file */
#include "afz_suite.h"
#include "afz_webroot.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include <event2/event.h>

#include "afz_crash.h"
#include "afz_scenario.h"

extern char **environ;

/* The end of the client's output kept for reports. */
#define CLIENT_TAIL_MAX 4096
/* Grace between SIGTERM and SIGKILL of a client past its timeout. */
#define KILL_GRACE_MS 2000
/* How often the loop looks at the child. */
#define POLL_MS 20

/* ---- templates ---- */

static int safe_value(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("._-/:@+=,", c)))
            return 0;
    }
    return 1;
}

afz_rc afz_suite_expand(const char *tmpl, const afz_suite_vars *v, afz_buf *out, char *err,
                        size_t errlen)
{
    const struct {
        const char *name;
        const char *value;
    } vars[] = {
        {"directory", v->directory}, {"domain", v->domain},   {"domains", v->domains},
        {"ca_bundle", v->ca_bundle}, {"workdir", v->workdir}, {"http_port", v->http_port},
        {"tls_port", v->tls_port},
    };
    for (const char *p = tmpl; *p;) {
        if (p[0] == '{' && p[1] == '{') {
            if (afz_buf_putc(out, '{') != AFZ_OK)
                return AFZ_ENOMEM;
            p += 2;
            continue;
        }
        if (*p != '{') {
            if (afz_buf_putc(out, *p++) != AFZ_OK)
                return AFZ_ENOMEM;
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close) {
            snprintf(err, errlen, "unterminated placeholder at '%.20s'", p);
            return AFZ_EINVAL;
        }
        size_t n = (size_t)(close - p - 1);
        if (n > 8 && strncmp(p + 1, "domains:", 8) == 0) {
            /* {domains:FLAG}: "FLAG id1 FLAG id2 ..." for clients that take
             * one flag per identifier */
            char flag[64];
            size_t fl = n - 8;
            if (fl >= sizeof(flag)) {
                snprintf(err, errlen, "the flag of {domains:...} is too long");
                return AFZ_EINVAL;
            }
            memcpy(flag, p + 9, fl);
            flag[fl] = '\0';
            if (!safe_value(flag)) {
                snprintf(err, errlen,
                         "the flag of {domains:%s} has characters unsafe for a "
                         "shell",
                         flag);
                return AFZ_EINVAL;
            }
            const char *ds = v->domains ? v->domains : "";
            if (!safe_value(ds)) {
                snprintf(err, errlen,
                         "the value of {domains} has characters unsafe for a "
                         "shell: '%.60s'",
                         ds);
                return AFZ_EINVAL;
            }
            for (int first = 1; *ds; first = 0) {
                const char *comma = strchr(ds, ',');
                size_t dl = comma ? (size_t)(comma - ds) : strlen(ds);
                if (dl &&
                    afz_buf_printf(out, "%s%s %.*s", first ? "" : " ", flag, (int)dl, ds) != AFZ_OK)
                    return AFZ_ENOMEM;
                ds += dl + (comma ? 1 : 0);
            }
            p = close + 1;
            continue;
        }
        const char *value = NULL;
        int known = 0;
        for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]) && !known; i++)
            if (strlen(vars[i].name) == n && strncmp(vars[i].name, p + 1, n) == 0) {
                known = 1;
                value = vars[i].value;
            }
        if (!known) {
            snprintf(err, errlen, "unknown placeholder {%.*s}", (int)(n > 40 ? 40 : n), p + 1);
            return AFZ_EINVAL;
        }
        if (!value)
            value = "";
        if (!safe_value(value)) {
            snprintf(err, errlen, "the value of {%.*s} has characters unsafe for a shell: '%.60s'",
                     (int)n, p + 1, value);
            return AFZ_EINVAL;
        }
        if (afz_buf_puts(out, value) != AFZ_OK)
            return AFZ_ENOMEM;
        p = close + 1;
    }
    return AFZ_OK;
}

int afz_suite_template_passes_all(const char *tmpl)
{
    return strstr(tmpl, "{domains}") || strstr(tmpl, "{domains:") || strstr(tmpl, "AFZ_DOMAINS");
}

/* ---- results ---- */

void afz_suite_result_cleanup(afz_suite_result *r)
{
    free(r->plan_text);
    free(r->log);
    free(r->history_json);
    free(r->client_tail);
    memset(r, 0, sizeof(*r));
}

int afz_suite_passed(const afz_suite_result *r)
{
    return r->loaded && r->report.violations == 0;
}

/* ---- plan files ---- */

static int looks_like_scenario_text(const unsigned char *b, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((b[i] >= 0x20 && b[i] < 0x7f) || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
            return 0;
    char *t = malloc(n + 1);
    if (!t)
        return 0;
    memcpy(t, b, n);
    t[n] = '\0';
    int yes = strstr(t, "->") || t[0] == '#' || strncmp(t, "identifiers", 11) == 0 ||
              strncmp(t, "attempts", 8) == 0 || strncmp(t, "account-key", 11) == 0;
    free(t);
    return yes;
}

afz_rc afz_suite_plan_load(const char *path, afz_plan *out, afz_scn_error *err, int *as_text)
{
    if (as_text)
        *as_text = 0;
    size_t len = strlen(path);
    if (len >= 4 && strcmp(path + len - 4, ".scn") == 0)
        return afz_plan_load(path, out, err);
    FILE *f = fopen(path, "rb");
    if (!f)
        return afz_plan_load(path, out, err); /* it says why */
    enum { CAP = 1 << 20 };
    unsigned char *buf = malloc(CAP + 1);
    size_t n = buf ? fread(buf, 1, CAP + 1, f) : 0;
    fclose(f);
    afz_rc rc;
    if (buf && n <= CAP && looks_like_scenario_text(buf, n)) {
        if (as_text)
            *as_text = 1;
        rc = afz_scenario_parse((const char *)buf, n, out, err);
    } else {
        rc = afz_plan_load(path, out, err);
    }
    free(buf);
    return rc;
}

/* ---- interruption ---- */

static volatile sig_atomic_t interrupt_signal;

void afz_suite_interrupt(int sig)
{
    interrupt_signal = sig;
}

int afz_suite_interrupted(void)
{
    return (int)interrupt_signal;
}

/* ---- the child process ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct child {
    pid_t pid;
    int64_t deadline_ms;
    int64_t term_sent_ms; /* 0 until SIGTERM went out */
    int done;
    int status; /* waitpid status */
    int timed_out;
    int signalled;   /* the runner signalled the client itself (a timeout, a
                        clean-up, an interruption): how it ended then says
                        nothing of it */
    int interrupted; /* the suite was interrupted (afz_suite_interrupt) */
    int io_errno;    /* why client.log or the process could not be made */
    afz_serve *srv;
    struct event *tick;
} child;

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    child *c = arg;
    /* Look without reaping first, so the group can be cleaned up while
     * its id still belongs to us. */
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    if (waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid) {
        kill(-c->pid, SIGKILL); /* leftovers of the group */
        if (waitpid(c->pid, &c->status, 0) == c->pid)
            c->done = 1;
        afz_serve_stop(c->srv);
        return;
    }
    int64_t t = now_ms();
    if (interrupt_signal && !c->term_sent_ms) {
        /* The suite is stopping: the client's whole group goes with it. */
        c->interrupted = 1;
        c->signalled = 1;
        c->term_sent_ms = t;
        kill(-c->pid, SIGTERM);
    } else if (t >= c->deadline_ms && !c->term_sent_ms) {
        c->timed_out = 1;
        c->signalled = 1;
        c->term_sent_ms = t;
        kill(-c->pid, SIGTERM);
    } else if (c->term_sent_ms && t >= c->term_sent_ms + KILL_GRACE_MS) {
        kill(-c->pid, SIGKILL);
    }
    struct timeval tv = {0, POLL_MS * 1000};
    event_add(c->tick, &tv);
}

static int env_skip(const char *kv)
{
    static const char *const names[] = {
        "LEGO_CA_CERTIFICATES",
        "REQUESTS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "CURL_CA_BUNDLE",
        "NODE_EXTRA_CA_CERTS",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "HOME",
        "FAKETIME",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i]);
        if (strncmp(kv, names[i], n) == 0 && kv[n] == '=')
            return 1;
    }
    return strncmp(kv, "AFZ_", 4) == 0;
}

/* build_env copies the environment less trust, proxy and HOME variables,
 * then sets them (and AFZ_*) for this run. Strings live in |store|. */
/* build_env: the client's environment. With |scale| > 1 it also gets
 * libfaketime (|faketime_lib| preloaded, before any LD_PRELOAD of the
 * caller's) and FAKETIME="+0 xSCALE": its clocks and sleeps run |scale|
 * times real time, as the server's clock then does. */
static char **build_env(const afz_suite_vars *v, const char *home, unsigned scale,
                        const char *faketime_lib, afz_buf *store)
{
    size_t n = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    const char *const trust[] = {"LEGO_CA_CERTIFICATES", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE",
                                 "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"};
    /* the AFZ_ variables and HOME, FAKETIME, LD_PRELOAD */
    size_t extra = sizeof(trust) / sizeof(trust[0]) + 10;
    char **envp = calloc(n + extra + 1, sizeof(*envp));
    if (!envp)
        return NULL;
    /* Offsets first: the store may move while it grows. */
    size_t offs[64], k = 0;
    for (size_t i = 0; i < sizeof(trust) / sizeof(trust[0]); i++) {
        offs[k++] = store->len;
        afz_buf_printf(store, "%s=%s", trust[i], v->ca_bundle);
        afz_buf_putc(store, '\0');
    }
    const struct {
        const char *name, *value;
    } afz[] = {
        {"HOME", home},
        {"AFZ_DIRECTORY", v->directory},
        {"AFZ_DOMAIN", v->domain},
        {"AFZ_DOMAINS", v->domains},
        {"AFZ_CA_BUNDLE", v->ca_bundle},
        {"AFZ_WORKDIR", v->workdir},
        {"AFZ_HTTP_PORT", v->http_port},
        {"AFZ_TLS_PORT", v->tls_port},
    };
    for (size_t i = 0; i < sizeof(afz) / sizeof(afz[0]); i++) {
        offs[k++] = store->len;
        afz_buf_printf(store, "%s=%s", afz[i].name, afz[i].value ? afz[i].value : "");
        afz_buf_putc(store, '\0');
    }
    const char *preload = getenv("LD_PRELOAD");
    if (scale > 1 && faketime_lib) {
        offs[k++] = store->len;
        afz_buf_printf(store, "FAKETIME=+0 x%u", scale);
        afz_buf_putc(store, '\0');
        offs[k++] = store->len;
        afz_buf_printf(store, "LD_PRELOAD=%s%s%s", faketime_lib, preload && *preload ? ":" : "",
                       preload ? preload : "");
        afz_buf_putc(store, '\0');
    }
    size_t m = 0;
    for (char **e = environ; e && *e; e++)
        if (!env_skip(*e) && !(scale > 1 && faketime_lib && strncmp(*e, "LD_PRELOAD=", 11) == 0))
            envp[m++] = *e;
    for (size_t i = 0; i < k; i++)
        envp[m++] = store->data + offs[i];
    envp[m] = NULL;
    return envp;
}

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    uint16_t port = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/* run_client runs |cmd| once under the server's loop. */
static afz_rc run_client(afz_serve *srv, const char *cmd, char **envp, const char *workdir,
                         const char *log_path, const char *hosts, int timeout_s, child *c)
{
    memset(c, 0, sizeof(*c));
    c->srv = srv;
    int logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) {
        c->io_errno = errno;
        return AFZ_EIO;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        c->io_errno = errno;
        close(logfd);
        return AFZ_EIO;
    }
    if (pid == 0) {
        /* The child: its own process group, so a timeout kills all of it. */
        setpgid(0, 0);
        int nullfd = open("/dev/null", O_RDONLY);
        if (nullfd >= 0)
            dup2(nullfd, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        signal(SIGPIPE, SIG_DFL);
        if (hosts) {
            /* A private mount namespace whose /etc/hosts maps the
             * scenario's identifiers to 127.0.0.1 (root only). */
            if (unshare(CLONE_NEWNS) != 0 ||
                mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
                mount(hosts, "/etc/hosts", NULL, MS_BIND, NULL) != 0) {
                dprintf(2,
                        "acmefuzz suite: cannot bind %s over /etc/hosts in a private mount "
                        "namespace: %s\n",
                        hosts, strerror(errno));
                _exit(126);
            }
        }
        if (chdir(workdir) != 0)
            _exit(126);
        char *const argv[] = {"sh", "-c", (char *)cmd, NULL};
        execve("/bin/sh", argv, envp);
        _exit(127);
    }
    setpgid(pid, pid); /* either side may win the race; both say the same */
    close(logfd);
    c->pid = pid;
    c->deadline_ms = now_ms() + (int64_t)timeout_s * 1000;
    c->tick = event_new(afz_serve_base(srv), -1, 0, tick_cb, c);
    if (!c->tick) {
        c->signalled = 1;
        kill(-pid, SIGKILL);
        waitpid(pid, &c->status, 0);
        c->done = 1;
        return AFZ_ENOMEM;
    }
    struct timeval tv = {0, POLL_MS * 1000};
    event_add(c->tick, &tv);
    afz_rc rc = afz_serve_run(srv);
    event_free(c->tick);
    c->tick = NULL;
    if (!c->done) {
        c->signalled = 1;
        kill(-pid, SIGKILL);
        waitpid(pid, &c->status, 0);
        c->done = 1;
    }
    return rc;
}

/* write_hosts writes the system's /etc/hosts (when readable) followed by
 * one line mapping every identifier to 127.0.0.1. */
static int write_hosts(const char *path, const char *const *ids, unsigned n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    FILE *sys = fopen("/etc/hosts", "r");
    if (sys) {
        char line[1024];
        while (fgets(line, sizeof(line), sys))
            fputs(line, f);
        fclose(sys);
    }
    fputs("\n# acmefuzz suite: the scenario's identifiers\n127.0.0.1", f);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, " %s", ids[i]);
    fputc('\n', f);
    int ok = !ferror(f);
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* disk_full says whether the file system holding |dir| has no room left
 * for an ordinary user (under 64 KiB or no free inode). */
static int disk_full(const char *dir)
{
    struct statvfs st;
    if (statvfs(dir, &st) != 0)
        return 0;
    unsigned long long avail = (unsigned long long)st.f_bavail * st.f_frsize;
    return avail < 64 * 1024 || (st.f_files && st.f_favail == 0);
}

static char *read_tail(const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return afz_strdup("");
    long size = 0;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    long from = size > (long)max ? size - (long)max : 0;
    fseek(f, from, SEEK_SET);
    char *buf = calloc(1, max + 1);
    size_t n = buf ? fread(buf, 1, max, f) : 0;
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        /* NULs would cut the text short in reports */
        for (size_t i = 0; i < n; i++)
            if (buf[i] == '\0')
                buf[i] = '?';
    }
    return buf;
}

static void base_name(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t len = strlen(b);
    const char *dot = strrchr(b, '.');
    if (dot && dot != b)
        len = (size_t)(dot - b);
    snprintf(out, n, "%.*s", (int)len, b);
}

afz_rc afz_suite_run_one(afz_serve *srv, const afz_suite_config *cfg, const char *path,
                         afz_suite_result *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->path, sizeof(out->path), "%s", path);
    base_name(path, out->name, sizeof(out->name));
    afz_scn_error perr;
    int as_text = 0;
    if (afz_suite_plan_load(path, &out->plan, &perr, &as_text) != AFZ_OK) {
        if (perr.line)
            snprintf(out->error, sizeof(out->error), "%s:%u:%u: %s", path, perr.line, perr.col,
                     perr.msg);
        else
            snprintf(out->error, sizeof(out->error), "%s: %s", path, perr.msg);
        return AFZ_EPARSE;
    }
    out->loaded = 1;
    out->cls = afz_plan_class(&out->plan);
    afz_buf b;
    afz_buf_init(&b, 0);
    afz_scenario_print(&out->plan, &b);
    out->plan_text = afz_buf_take(&b, NULL);

    afz_rc rc = AFZ_EIO;
    afz_buf cmd, store, names, tmp;
    afz_buf_init(&cmd, 0);
    afz_buf_init(&store, 0);
    afz_buf_init(&names, 0);
    afz_buf_init(&tmp, 0);
    char **envp = NULL;
    char home[600], webroot[600], acme_dir[700], log_path[600], port[8], tls_port[8];
    afz_webroot *wr = NULL;
    snprintf(out->workdir, sizeof(out->workdir), "%s/%s", cfg->workroot, out->name);
    snprintf(home, sizeof(home), "%s/home", out->workdir);
    snprintf(webroot, sizeof(webroot), "%s/webroot", out->workdir);
    snprintf(log_path, sizeof(log_path), "%s/client.log", out->workdir);
    snprintf(acme_dir, sizeof(acme_dir), "%s/.well-known", webroot);
    int made = (mkdir(out->workdir, 0700) == 0 || errno == EEXIST) &&
               (mkdir(home, 0700) == 0 || errno == EEXIST) &&
               (mkdir(webroot, 0755) == 0 || errno == EEXIST) &&
               (mkdir(acme_dir, 0755) == 0 || errno == EEXIST);
    snprintf(acme_dir, sizeof(acme_dir), "%s/.well-known/acme-challenge", webroot);
    made = made && (mkdir(acme_dir, 0755) == 0 || errno == EEXIST);
    if (!made) {
        snprintf(out->error, sizeof(out->error), "cannot create %.200s: %s", out->workdir,
                 strerror(errno));
        goto done;
    }
    const char *const *ids = afz_plan_identifiers();
    for (unsigned i = 0; i < out->plan.n_identifiers; i++)
        afz_buf_printf(&names, "%s%s", i ? "," : "", ids[i]);
    uint16_t hp = free_port(), tp = free_port();
    for (int tries = 0; tp && tp == hp && tries < 8; tries++)
        tp = free_port();
    snprintf(port, sizeof(port), "%u", (unsigned)hp);
    snprintf(tls_port, sizeof(tls_port), "%u", (unsigned)tp);
    afz_suite_vars v = {
        .directory = afz_serve_directory_url(srv),
        .domain = ids[0],
        .domains = afz_buf_cstr(&names),
        .ca_bundle = cfg->ca_bundle,
        .workdir = out->workdir,
        .http_port = port,
        .tls_port = tls_port,
    };
    if ((rc = afz_suite_expand(cfg->command, &v, &cmd, out->error, sizeof(out->error))) != AFZ_OK)
        goto done;
    if (!(envp = build_env(&v, home, cfg->time_scale, cfg->faketime_lib, &store))) {
        rc = AFZ_ENOMEM;
        goto done;
    }
    if (out->plan.n_identifiers > 1 && !afz_suite_template_passes_all(cfg->command))
        snprintf(out->warning, sizeof(out->warning),
                 "the scenario has %u identifiers but the template passes only {domain}: use "
                 "{domains} (comma list) or {domains:FLAG} (FLAG id per identifier)",
                 out->plan.n_identifiers);
    char hosts_path[600];
    snprintf(hosts_path, sizeof(hosts_path), "%s/hosts", out->workdir);
    if (cfg->private_hosts && write_hosts(hosts_path, ids, out->plan.n_identifiers) != 0) {
        snprintf(out->error, sizeof(out->error), "cannot write %.200s: %s", hosts_path,
                 strerror(errno));
        rc = AFZ_EIO;
        goto done;
    }
    afz_serve_set_validation_ports(srv, hp, tp);
    afz_serve_set_time_scale(srv, cfg->time_scale > 1 && cfg->faketime_lib ? cfg->time_scale : 1);
    if ((rc = afz_serve_reset(srv, &out->plan)) != AFZ_OK)
        goto done;
    if (cfg->serve_webroot && (rc = afz_webroot_open(afz_serve_base(srv), webroot, hp, &wr,
                                                     out->error, sizeof(out->error))) != AFZ_OK)
        goto done;
    afz_history *h = afz_serve_history_mut(srv);
    unsigned attempts = out->plan.attempts ? out->plan.attempts : 1;
    int64_t started = now_ms();
    child c;
    memset(&c, 0, sizeof(c));
    int crash_signal = 0;
    for (unsigned a = 1; a <= attempts; a++) {
        if (attempts > 1) {
            afz_event_in start = {
                .kind = AFZ_EV_ATTEMPT_START, .mono_ms = afz_serve_now_ms(srv), .value = a};
            afz_history_add_event(h, &start);
        }
        FILE *lf = fopen(log_path, "a");
        if (lf) {
            fprintf(lf, "%s=== acmefuzz suite: attempt %u: %s\n", a > 1 ? "\n" : "", a,
                    afz_buf_cstr(&cmd));
            fclose(lf);
        }
        out->attempts = a;
        if ((rc = run_client(srv, afz_buf_cstr(&cmd), envp, out->workdir, log_path,
                             cfg->private_hosts ? hosts_path : NULL, cfg->timeout_s, &c)) !=
            AFZ_OK) {
            snprintf(out->error, sizeof(out->error), "cannot run the client: %s%s%.150s",
                     afz_rc_str(rc), c.io_errno ? ": " : "",
                     c.io_errno ? strerror(c.io_errno) : "");
            goto done;
        }
        if (c.interrupted) {
            out->interrupted = interrupt_signal ? (int)interrupt_signal : SIGTERM;
            snprintf(out->error, sizeof(out->error),
                     "interrupted by signal %d (%s); the client's process group was stopped",
                     out->interrupted, afz_crash_signal_name(out->interrupted));
            rc = AFZ_EFAIL;
            goto done;
        }
        out->timed_out = c.timed_out;
        out->exit_code = WIFEXITED(c.status) ? WEXITSTATUS(c.status) : -1;
        out->term_signal = WIFSIGNALED(c.status) ? WTERMSIG(c.status) : 0;
        /* A signal the runner did not send is the client dying (no-crash);
         * under /bin/sh that may show as exit status 128+N (see
         * afz_crash_from_exit for the heuristic). */
        crash_signal = c.signalled ? 0 : afz_crash_from_exit(out->exit_code, out->term_signal);
        afz_buf_reset(&tmp);
        if (c.timed_out)
            afz_buf_printf(&tmp, "timed out after %d s", cfg->timeout_s);
        else if (out->term_signal)
            afz_buf_printf(&tmp, "killed by signal %d (%s)", out->term_signal,
                           afz_crash_signal_name(out->term_signal));
        else if (crash_signal)
            afz_buf_printf(&tmp, "killed by signal %d (%s; shell exit status %d)", crash_signal,
                           afz_crash_signal_name(crash_signal), out->exit_code);
        else
            afz_buf_printf(&tmp, "exit status %d", out->exit_code);
        if (c.timed_out) {
            afz_event_in spent = {.kind = AFZ_EV_BUDGET_EXHAUSTED,
                                  .mono_ms = afz_serve_now_ms(srv),
                                  .detail = AFZ_BUDGET_WALL_CLOCK};
            afz_history_add_event(h, &spent);
        }
        if (crash_signal) {
            /* Worded like afz_run's: the signal's name first. */
            char what[128];
            if (out->term_signal)
                snprintf(what, sizeof(what), "%s: the client command was killed by signal %d",
                         afz_crash_signal_name(crash_signal), crash_signal);
            else
                snprintf(what, sizeof(what),
                         "%s: a process of the client command was killed by signal %d (shell "
                         "exit status %d)",
                         afz_crash_signal_name(crash_signal), crash_signal, out->exit_code);
            afz_event_in crashed = {.kind = AFZ_EV_CLIENT_CRASHED,
                                    .mono_ms = afz_serve_now_ms(srv),
                                    .detail = what,
                                    .value = crash_signal};
            afz_history_add_event(h, &crashed);
        }
        afz_event_in done_ev = {.kind = AFZ_EV_CLIENT_DONE,
                                .mono_ms = afz_serve_now_ms(srv),
                                .detail = afz_buf_cstr(&tmp),
                                .value = out->exit_code == 0 && !c.timed_out};
        afz_history_add_event(h, &done_ev);
        /* Success, a timeout or a crash (the finding; its state on disk
         * may be half-written) ends a campaign. */
        if ((out->exit_code == 0 && !c.timed_out) || c.timed_out || crash_signal)
            break;
    }
    out->seconds = (double)(now_ms() - started) / 1000.0;
    out->requests = h->n_ex;
    afz_webroot_free(wr);
    wr = NULL;
    out->client_tail = read_tail(log_path, CLIENT_TAIL_MAX);

    afz_prop_limits lim;
    afz_serve_prop_limits(&lim);
    lim.max_virtual_ms = ((int64_t)cfg->timeout_s * out->attempts + 5) * 1000 *
                         (cfg->time_scale > 1 && cfg->faketime_lib ? cfg->time_scale : 1);
    afz_prop_input in;
    memset(&in, 0, sizeof(in));
    in.history = h;
    in.plan = &out->plan;
    in.plan_class = out->cls;
    in.identifiers = ids;
    in.n_identifiers = out->plan.n_identifiers;
    in.client_succeeded = out->exit_code == 0 && !out->timed_out;
    in.budget_exhausted = out->timed_out;
    in.attempts = out->attempts;
    in.client_stateless = cfg->client_stateless;
    in.client_crash_signal = crash_signal;
    afz_report_options opt = {.policy = &cfg->policy, .limits = &lim};
    if ((rc = afz_report_evaluate_input(&in, &opt, &out->report)) != AFZ_OK)
        goto done;
    size_t marks[AFZ_REPORT_MAX], n_marks = 0;
    for (size_t i = 0; i < out->report.n; i++)
        if (out->report.entries[i].result.verdict == AFZ_VERDICT_VIOLATION &&
            out->report.entries[i].result.exchange != SIZE_MAX)
            marks[n_marks++] = out->report.entries[i].result.exchange;
    afz_buf_reset(&tmp);
    if ((rc = afz_history_print_log_marked(h, 1, marks, n_marks, &tmp)) != AFZ_OK)
        goto done;
    out->log = afz_buf_take(&tmp, NULL);
    if ((rc = afz_history_to_json(h, &tmp)) != AFZ_OK)
        goto done;
    out->history_json = afz_buf_take(&tmp, NULL);
    /* The exchange log beside the client's own output. */
    char xlog[600];
    snprintf(xlog, sizeof(xlog), "%s/exchanges.log", out->workdir);
    /* A failure here is the harness's (a full disk), never the client's. */
    FILE *xf = fopen(xlog, "w");
    int xok = xf != NULL;
    if (xf) {
        const char *log = out->log ? out->log : "";
        size_t len = strlen(log);
        xok = fwrite(log, 1, len, xf) == len;
        xok = (fclose(xf) == 0) && xok;
    }
    if (!xok) {
        snprintf(out->error, sizeof(out->error), "cannot write %.120s: %.100s", xlog,
                 strerror(errno));
        rc = AFZ_EIO;
        goto done;
    }
    if (disk_full(out->workdir)) {
        snprintf(out->error, sizeof(out->error),
                 "no space left on the file system of %.120s: the client's outcome says "
                 "nothing of it",
                 out->workdir);
        rc = AFZ_EIO;
        goto done;
    }
    rc = AFZ_OK;
done:
    afz_webroot_free(wr);
    free(envp);
    afz_buf_cleanup(&cmd);
    afz_buf_cleanup(&store);
    afz_buf_cleanup(&names);
    afz_buf_cleanup(&tmp);
    return rc;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

void afz_suite_rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
