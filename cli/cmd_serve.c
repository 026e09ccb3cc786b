/* cmd_serve.c - `acmefuzz serve`: the ACME server model over HTTPS on
 * loopback, in real time, with an optional fault plan; a drop-in for
 * Pebble's command line, config file and environment where they make
 * sense (see serve_usage). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "afz_cli.h"
#include "afz_json.h"
#include "afz_scenario.h"
#include "afz_serve.h"

#define MAX_BLOCKED 64
#define MAX_EAB_KEYS 64
#define MAX_PROFILES 16
#define HOUR_S INT64_C(3600)

/* Let's Encrypt's certificate profiles as its directory names them
 * (https://letsencrypt.org/docs/profiles/): what serve offers unless a
 * Pebble config lists its own. classic is the default. */
static const afz_server_profile letsencrypt_profiles[] = {
    {"classic", "https://letsencrypt.org/docs/profiles#classic", 90 * 24 * HOUR_S},
    {"shortlived", "https://letsencrypt.org/docs/profiles#shortlived", 160 * HOUR_S},
    {"tlsserver", "https://letsencrypt.org/docs/profiles#tlsserver", 90 * 24 * HOUR_S},
};

static void serve_usage(FILE *f)
{
    fputs(
        "usage: acmefuzz serve [--listen 127.0.0.1:PORT] [--management 127.0.0.1:PORT]\n"
        "                      [--scenario FILE] [--async] [--finalize-polls N] [--authz-polls N]\n"
        "                      [--retry-after S] [--ca-bundle-out FILE] [--seed N] [-v]\n"
        "                      [--max-connections N] [--timeout S] [--allow-weak-csr]\n"
        "                      [--max-accounts N] [--max-orders N] [--max-history-mb N]\n"
        "                      [--strict-keys]\n"
        "                      [--validate TYPES] [--http-port N] [--tls-port N]\n"
        "                      [--validation-timeout S] [--fail-on LEVELS] [--allow ID]\n"
        "                      [-config FILE] [-dnsserver ADDR] [-strict]\n"
        "\n"
        "Serves the ACME server model over HTTPS on 127.0.0.1 in real time until SIGINT or\n"
        "SIGTERM. Directory: https://127.0.0.1:PORT/directory (also /dir, as Pebble).\n"
        "  --listen ADDR        ACME listener (default 127.0.0.1:14000; port 0 picks one)\n"
        "  --management ADDR    management listener (Pebble's /roots/N, /intermediates/N,\n"
        "                       /root-keys/N, /intermediate-keys/N, /cert-status-by-serial/HEX;\n"
        "                       acmefuzz's GET /history, GET /verdict, POST /session,\n"
        "                       POST /reset). GET /verdict judges each session (one client\n"
        "                       run: split at POST /reset, at POST /session?name=TEST, else\n"
        "                       by account) on its own; GET / on it tells more\n"
        "  --scenario FILE      fault plan (.scn text or binary) applied to every run\n"
        "  --async              finalize answers \"processing\"; the order turns valid later\n"
        "  --finalize-polls N   async: order polls before \"valid\" (default 1)\n"
        "  --authz-polls N      authorization polls after the challenge before \"valid\"\n"
        "  --retry-after S      Retry-After seconds on processing orders and pending authzs\n"
        "  --ca-bundle-out FILE write the CA bundle (TLS root + issuing root) clients trust\n"
        "  --seed N             seed of the model's PRNG (default: random per run)\n"
        "  --max-connections N  concurrent connections (default 256); at the cap a new one\n"
        "                       evicts the least recently active\n"
        "  --timeout S          per-connection read/write/idle timeout, and the total time\n"
        "                       to send each request, not restarted by bytes (default 20)\n"
        "  --max-accounts N     accounts held (default 1024); at the cap a new account\n"
        "                       evicts the least recently used (with its orders), never\n"
        "                       429 unless every account has an order being processed\n"
        "  --max-orders N       orders held (default 4096; authorizations 4 x N); at the\n"
        "                       cap the oldest expired, else finished, else oldest goes\n"
        "  --max-history-mb N   memory of the recorded history, finished runs included\n"
        "                       (default 256); at the cap the oldest finished runs are\n"
        "                       forgotten, then exchanges are served but not recorded\n"
        "                       (\"dropped\" in /verdict's summary)\n"
        "  --strict-keys        refuse what only Pebble accepts: RSA keys under 2048 bits\n"
        "                       (Boulder's floor) and P-521 keys, for accounts (badPublicKey;\n"
        "                       JWS alg ES512: badSignatureAlgorithm) and in CSRs (badCSR)\n"
        "                       (default: RSA from 1024 bits and P-521/ES512 accepted, as\n"
        "                       Pebble accepts them)\n"
        "  --allow-weak-csr     accept CSRs signed with SHA-1 or MD5 (default: badCSR, as\n"
        "                       Boulder answers)\n"
        "  -v, --verbose        one line per exchange on stderr\n"
        "GET /verdict's default policy (its ?fail-on= and ?allow= override per "
        "call):\n" AFZ_CLI_POLICY_USAGE
        "Challenges (default: the model decides, valid at once unless the scenario says):\n"
        "  --validate TYPES     check for real on 127.0.0.1: http-01, tls-alpn-01 (comma list),\n"
        "                       all or none. dns-01 is always accepted without a check.\n"
        "  --http-port N        http-01: GET http://127.0.0.1:N/.well-known/acme-challenge/TOKEN\n"
        "                       (default 5002, Pebble's httpPort)\n"
        "  --tls-port N         tls-alpn-01: TLS to 127.0.0.1:N, ALPN acme-tls/1 (default 5001)\n"
        "  --validation-timeout S  deadline of one check (default 10)\n"
        "Pebble compatibility:\n"
        "  -config FILE         Pebble JSON: pebble.listenAddress, managementListenAddress,\n"
        "                       certificate, privateKey (TLS for both listeners),\n"
        "                       externalAccountBindingRequired, externalAccountMACKeys\n"
        "                       (bindings verified, RFC 8555 7.3.4), domainBlocklist,\n"
        "                       retryAfter.authz/order, certificateValidityPeriod, httpPort\n"
        "                       and tlsPort (used with --validate); ocspResponderURL is\n"
        "                       accepted and unused (there is no OCSP responder).\n"
        "                       Hosts other than 127.0.0.1 are served on 127.0.0.1.\n"
        "  -dnsserver, -strict  accepted and ignored (said at start-up)\n"
        "  PEBBLE_WFE_NONCEREJECT=P  P percent of POSTs get badNonce (default 0, not Pebble's 5;\n"
        "                       said at start-up with -config)\n"
        "  PEBBLE_AUTHZREUSE=P       a valid authorization of the account is reused in a new\n"
        "                       order with probability P% (default 50, as Pebble; a draw\n"
        "                       from the model's PRNG, so --seed replays it)\n"
        "  PEBBLE_VA_ALWAYS_VALID=1  no checks (the default); =0 checks http-01 and tls-alpn-01\n"
        "                       as Pebble does (--validate, when given, wins)\n"
        "  PEBBLE_VA_NOSLEEP, PEBBLE_VA_SLEEPTIME  accepted: checks start at once\n"
        "  PEBBLE_ALTERNATE_ROOTS=N  N more independent hierarchies (0..16): each certificate\n"
        "                       is also issued under each, linked rel=\"alternate\"; /roots/N,\n"
        "                       /intermediates/N and their keys for every N, linked so too\n"
        "  PEBBLE_CHAIN_LENGTH=N     N intermediates between leaf and root (1..8, default 1\n"
        "                       as Pebble); /intermediates/N names the issuing one\n"
        "Certificate profiles (draft-aaron-acme-profiles): the directory's meta.profiles\n"
        "  names Let's Encrypt's classic (default, 90 days), shortlived (160 hours) and\n"
        "  tlsserver (90 days), or the \"profiles\" of a Pebble config ({name: {description,\n"
        "  validityPeriod}}; an order without one gets \"default\" or the first); newOrder's\n"
        "  \"profile\" is reflected in the order and sets the validity; an unknown one is\n"
        "  400 invalidProfile\n"
        "Renewal information (RFC 9773): the directory names renewalInfo; GET\n"
        "  renewalInfo/<certID> answers a suggestedWindow (the fifth sixth of the validity;\n"
        "  in the past once revoked) with Retry-After: 21600; newOrder's \"replaces\" is\n"
        "  checked (same account, a shared identifier; 409 alreadyReplaced) and reflected\n"
        "exit status: 0 stopped by a signal, 2 usage error or the server could not start\n",
        f);
}

/* parse_listen reads "HOST:PORT" (HOST may be empty, "0.0.0.0",
 * "localhost" or "127.0.0.1"; the server binds 127.0.0.1 whatever it
 * says). *moved is set when HOST named more than loopback. */
static int parse_listen(const char *s, uint16_t *port, int *moved)
{
    const char *colon = s ? strrchr(s, ':') : NULL;
    uint64_t v;
    if (!colon || afz_cli_parse_u64(colon + 1, 65535, &v))
        return -1;
    size_t hl = (size_t)(colon - s);
    int loopback = hl == 0 ? 0
                           : (hl == 9 && strncmp(s, "127.0.0.1", 9) == 0) ||
                                 (hl == 9 && strncmp(s, "localhost", 9) == 0);
    *moved = !loopback;
    *port = (uint16_t)v;
    return 0;
}

typedef struct pebble_holder {
    cJSON *json;                          /* keeps strings alive */
    const char *blocked[MAX_BLOCKED + 1]; /* NULL-terminated */
    afz_server_eab_key eab[MAX_EAB_KEYS]; /* externalAccountMACKeys */
    afz_server_profile profiles[MAX_PROFILES];
} pebble_holder;

static char *slurp(const char *path, size_t max, size_t *n)
{
    afz_buf b;
    afz_buf_init(&b, max);
    char *out = afz_buf_read_file(&b, path) == AFZ_OK ? afz_buf_take(&b, n) : NULL;
    afz_buf_cleanup(&b);
    return out;
}

static int num_member(const cJSON *o, const char *key, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e12)
        return 0;
    *out = (int64_t)v->valuedouble;
    return 1;
}

/* load_pebble_config applies Pebble's JSON config file to |cfg|. */
static int load_pebble_config(const char *path, afz_serve_config *cfg, pebble_holder *ph)
{
    size_t n = 0;
    char *text = slurp(path, 1 << 20, &n);
    if (!text) {
        fprintf(stderr, "acmefuzz serve: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    if (afz_json_parse_object(text, n, &ph->json) != AFZ_OK) {
        fprintf(stderr, "acmefuzz serve: %s is not a JSON object\n", path);
        goto out;
    }
    const cJSON *p = afz_json_object(ph->json, "pebble");
    if (!p) {
        fprintf(stderr, "acmefuzz serve: %s has no \"pebble\" object\n", path);
        goto out;
    }
    int moved = 0;
    const char *s;
    /* Every key Pebble documents that is not honoured here is said so at
     * start-up, with what happens instead (a drop-in must not be silent). */
    static const char *const honoured[] = {"listenAddress",
                                           "managementListenAddress",
                                           "certificate",
                                           "privateKey",
                                           "httpPort",
                                           "tlsPort",
                                           "ocspResponderURL",
                                           "externalAccountBindingRequired",
                                           "externalAccountMACKeys",
                                           "domainBlocklist",
                                           "retryAfter",
                                           "certificateValidityPeriod",
                                           "profiles"};
    const cJSON *key;
    cJSON_ArrayForEach(key, p)
    {
        int known = 0;
        for (size_t i = 0; i < sizeof(honoured) / sizeof(honoured[0]) && !known; i++)
            known = key->string && strcmp(key->string, honoured[i]) == 0;
        if (!known)
            fprintf(stderr,
                    "acmefuzz serve: %s: pebble.%s is not honoured by acmefuzz serve "
                    "(ignored)\n",
                    path, key->string ? key->string : "?");
    }
    if ((s = afz_json_str(p, "listenAddress"))) {
        if (parse_listen(s, &cfg->port, &moved)) {
            fprintf(stderr, "acmefuzz serve: %s: bad listenAddress '%s'\n", path, s);
            goto out;
        }
        if (moved)
            fprintf(stderr, "acmefuzz serve: listenAddress %s: serving on 127.0.0.1 only\n", s);
    }
    if ((s = afz_json_str(p, "managementListenAddress"))) {
        if (parse_listen(s, &cfg->management_port, &moved)) {
            fprintf(stderr, "acmefuzz serve: %s: bad managementListenAddress '%s'\n", path, s);
            goto out;
        }
        cfg->management = 1;
    }
    cfg->tls_cert_file = afz_json_str(p, "certificate");
    cfg->tls_key_file = afz_json_str(p, "privateKey");
    if (cfg->tls_cert_file && !*cfg->tls_cert_file)
        cfg->tls_cert_file = NULL;
    int b;
    if (afz_json_bool(p, "externalAccountBindingRequired", &b) == 0)
        cfg->server.external_account_required = b;
    const cJSON *it;
    /* {"kid": "base64url MAC key", ...}: bindings are verified (RFC 8555 7.3.4) */
    const cJSON *mk = cJSON_GetObjectItemCaseSensitive(p, "externalAccountMACKeys");
    if (mk && !cJSON_IsObject(mk)) {
        fprintf(stderr,
                "acmefuzz serve: %s: externalAccountMACKeys must be an object of "
                "\"kid\": \"key\" strings\n",
                path);
        goto out;
    }
    size_t ne = 0;
    cJSON_ArrayForEach(it, mk)
    {
        if (!cJSON_IsString(it) || !it->string || !*it->valuestring) {
            fprintf(stderr,
                    "acmefuzz serve: %s: externalAccountMACKeys.%s must be a non-empty "
                    "base64url string\n",
                    path, it->string ? it->string : "?");
            goto out;
        }
        if (ne == MAX_EAB_KEYS) {
            fprintf(stderr, "acmefuzz serve: %s: more than %d externalAccountMACKeys\n", path,
                    MAX_EAB_KEYS);
            goto out;
        }
        ph->eab[ne].kid = it->string;
        ph->eab[ne].b64_key = it->valuestring;
        ne++;
    }
    if (ne) {
        cfg->server.eab_keys = ph->eab;
        cfg->server.n_eab_keys = ne;
    }
    const cJSON *bl = afz_json_array(p, "domainBlocklist");
    size_t nb = 0;
    cJSON_ArrayForEach(it, bl)
    {
        if (cJSON_IsString(it) && nb < MAX_BLOCKED)
            ph->blocked[nb++] = it->valuestring;
    }
    ph->blocked[nb] = NULL;
    if (nb)
        cfg->server.blocked_names = ph->blocked;
    const cJSON *ra = afz_json_object(p, "retryAfter");
    int64_t v;
    if (ra && num_member(ra, "authz", &v))
        cfg->server.authz_retry_after_s = v;
    if (ra && num_member(ra, "order", &v))
        cfg->server.order_retry_after_s = v;
    if (num_member(p, "certificateValidityPeriod", &v) && v > 0)
        cfg->server.cert_validity_s = v;
    /* {"name": {"description": "...", "validityPeriod": seconds}, ...}, as
     * newer Pebble configs hold them */
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(p, "profiles");
    if (pr && !cJSON_IsObject(pr)) {
        fprintf(stderr, "acmefuzz serve: %s: profiles must be an object of profiles\n", path);
        goto out;
    }
    size_t np = 0;
    cJSON_ArrayForEach(it, pr)
    {
        if (!cJSON_IsObject(it) || !it->string || !*it->string) {
            fprintf(stderr,
                    "acmefuzz serve: %s: profiles.%s must be an object "
                    "{\"description\", \"validityPeriod\"}\n",
                    path, it->string ? it->string : "?");
            goto out;
        }
        if (np == MAX_PROFILES) {
            fprintf(stderr, "acmefuzz serve: %s: more than %d profiles\n", path, MAX_PROFILES);
            goto out;
        }
        afz_server_profile *prof = &ph->profiles[np++];
        prof->name = it->string;
        prof->description = afz_json_str(it, "description");
        if (!prof->description)
            prof->description = "";
        prof->validity_s = num_member(it, "validityPeriod", &v) ? v : 0;
    }
    if (np) {
        cfg->server.profiles = ph->profiles;
        cfg->server.n_profiles = np;
    }
    if (num_member(p, "httpPort", &v) && v > 0 && v <= 65535)
        cfg->http01_port = (uint16_t)v;
    if (num_member(p, "tlsPort", &v) && v > 0 && v <= 65535)
        cfg->tlsalpn01_port = (uint16_t)v;
    rc = 0;
out:
    free(text);
    return rc;
}

/* apply_pebble_env reads Pebble's environment knobs (see serve_usage). */
static int apply_pebble_env(afz_serve_config *cfg, int validate_given, int pebble_config)
{
    uint64_t v;
    const char *e = getenv("PEBBLE_VA_ALWAYS_VALID");
    if (e && *e && !validate_given) {
        if (strcmp(e, "0") == 0)
            cfg->validate = AFZ_SERVE_VALIDATE_HTTP01 | AFZ_SERVE_VALIDATE_TLSALPN01;
        else if (strcmp(e, "1") == 0)
            cfg->validate = 0;
        else {
            fprintf(stderr, "acmefuzz serve: PEBBLE_VA_ALWAYS_VALID wants 0 or 1, got '%s'\n", e);
            return -1;
        }
    }
    e = getenv("PEBBLE_WFE_NONCEREJECT");
    if (pebble_config && !(e && *e))
        fprintf(stderr, "acmefuzz serve: PEBBLE_WFE_NONCEREJECT unset: no badNonce rejections "
                        "(Pebble's default is 5%%; set it to get them)\n");
    if (e && *e) {
        if (afz_cli_parse_u64(e, 100, &v)) {
            fprintf(stderr, "acmefuzz serve: PEBBLE_WFE_NONCEREJECT wants 0..100, got '%s'\n", e);
            return -1;
        }
        cfg->nonce_reject_percent = (unsigned)v;
    }
    /* Pebble's default: a valid authorization is reused half the time, by a
     * draw from the model's PRNG (--seed replays it) */
    cfg->server.authz_reuse_percent = 50;
    /* ACME Renewal Information (RFC 9773), as Pebble and Let's Encrypt
     * serve it */
    cfg->server.ari = 1;
    e = getenv("PEBBLE_AUTHZREUSE");
    if (e && *e) {
        if (afz_cli_parse_u64(e, 100, &v)) {
            fprintf(stderr, "acmefuzz serve: PEBBLE_AUTHZREUSE wants 0..100, got '%s'\n", e);
            return -1;
        }
        cfg->server.authz_reuse_percent = (unsigned)v;
    }
    e = getenv("PEBBLE_ALTERNATE_ROOTS");
    if (e && *e) {
        if (afz_cli_parse_u64(e, AFZ_SERVE_MAX_ALT_ROOTS, &v)) {
            fprintf(stderr, "acmefuzz serve: PEBBLE_ALTERNATE_ROOTS wants 0..%d, got '%s'\n",
                    AFZ_SERVE_MAX_ALT_ROOTS, e);
            return -1;
        }
        cfg->alternate_roots = (unsigned)v;
    }
    e = getenv("PEBBLE_VA_SLEEPTIME");
    if (e && *e)
        fprintf(stderr,
                "acmefuzz serve: PEBBLE_VA_SLEEPTIME=%s ignored: checks start at once "
                "(as PEBBLE_VA_NOSLEEP=1); scenarios set delays (authz_pending)\n",
                e);
    /* Pebble: "a default and minimum value of 1 (leaf + 1 intermediate)" */
    e = getenv("PEBBLE_CHAIN_LENGTH");
    if (e && *e) {
        if (afz_cli_parse_u64(e, AFZ_CA_MAX_CHAIN, &v)) {
            fprintf(stderr, "acmefuzz serve: PEBBLE_CHAIN_LENGTH wants 0..%d, got '%s'\n",
                    AFZ_CA_MAX_CHAIN, e);
            return -1;
        }
        cfg->chain_length = v ? (unsigned)v : 1;
    }
    return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    afz_serve_stop(arg);
}

int afz_cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"management", required_argument, NULL, 'm'},
        {"scenario", required_argument, NULL, 'S'},
        {"async", no_argument, NULL, 'a'},
        {"finalize-polls", required_argument, NULL, 'F'},
        {"authz-polls", required_argument, NULL, 'A'},
        {"retry-after", required_argument, NULL, 'R'},
        {"ca-bundle-out", required_argument, NULL, 'B'},
        {"seed", required_argument, NULL, 's'},
        {"max-connections", required_argument, NULL, 'C'},
        {"timeout", required_argument, NULL, 'T'},
        {"config", required_argument, NULL, 'c'},
        {"dnsserver", required_argument, NULL, 'D'},
        {"strict", no_argument, NULL, 'X'},
        {"verbose", no_argument, NULL, 'v'},
        {"validate", required_argument, NULL, 'V'},
        {"http-port", required_argument, NULL, 'H'},
        {"tls-port", required_argument, NULL, 'L'},
        {"validation-timeout", required_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},
        {"allow-weak-csr", no_argument, NULL, 'w'},
        {"max-accounts", required_argument, NULL, 'Y'},
        {"max-orders", required_argument, NULL, 'Z'},
        {"max-history-mb", required_argument, NULL, 'G'},
        {"strict-keys", no_argument, NULL, 'K'},
        AFZ_CLI_POLICY_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    afz_serve_config cfg;
    afz_serve_config_default(&cfg);
    afz_policy policy;
    afz_policy_default(&policy);
    cfg.policy = &policy;
    cfg.port = 14000;
    cfg.server.finalize_polls = 1;
    const char *scenario = NULL, *bundle_out = NULL, *config = NULL;
    int moved = 0, c, exit_code = 2, validate_given = 0;
    uint64_t v;
    pebble_holder ph;
    memset(&ph, 0, sizeof(ph));
    /* Pebble spells its flags with one dash (-config); getopt_long_only
     * takes both spellings. */
    optind = 1;
    while ((c = getopt_long_only(argc, argv, "v", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (parse_listen(optarg, &cfg.port, &moved)) {
                fprintf(stderr, "acmefuzz serve: --listen wants HOST:PORT, got '%s'\n", optarg);
                goto done;
            }
            break;
        case 'm':
            if (parse_listen(optarg, &cfg.management_port, &moved)) {
                fprintf(stderr, "acmefuzz serve: --management wants HOST:PORT, got '%s'\n", optarg);
                goto done;
            }
            cfg.management = 1;
            break;
        case 'S':
            scenario = optarg;
            break;
        case 'a':
            cfg.server.async_finalize = 1;
            break;
        case 'F':
        case 'A':
            if (afz_cli_parse_u64(optarg, 1000, &v)) {
                fprintf(stderr, "acmefuzz serve: --%s wants 0..1000, got '%s'\n",
                        c == 'F' ? "finalize-polls" : "authz-polls", optarg);
                goto done;
            }
            if (c == 'F')
                cfg.server.finalize_polls = (uint32_t)v;
            else
                cfg.server.authz_pending_polls = (uint32_t)v;
            break;
        case 'R':
            if (afz_cli_parse_u64(optarg, 86400, &v)) {
                fprintf(stderr, "acmefuzz serve: --retry-after wants 0..86400, got '%s'\n", optarg);
                goto done;
            }
            cfg.server.order_retry_after_s = cfg.server.authz_retry_after_s = (int64_t)v;
            break;
        case 'B':
            bundle_out = optarg;
            break;
        case 's':
            if (afz_cli_parse_u64(optarg, UINT64_MAX, &v) || v == 0) {
                fprintf(stderr, "acmefuzz serve: --seed wants a positive integer\n");
                goto done;
            }
            cfg.seed = v;
            break;
        case 'C':
            if (afz_cli_parse_u64(optarg, 100000, &v) || v == 0) {
                fprintf(stderr, "acmefuzz serve: --max-connections wants 1..100000\n");
                goto done;
            }
            cfg.max_connections = (unsigned)v;
            break;
        case 'T':
            if (afz_cli_parse_u64(optarg, 3600, &v) || v == 0) {
                fprintf(stderr, "acmefuzz serve: --timeout wants 1..3600 seconds\n");
                goto done;
            }
            cfg.timeout_s = (int)v;
            break;
        case 'c':
            config = optarg;
            break;
        case 'D': /* Pebble's; nothing here resolves names: said at start-up */
            fprintf(stderr,
                    "acmefuzz serve: -dnsserver %s is not honoured: every identifier is "
                    "127.0.0.1 and dns-01 is accepted without a lookup\n",
                    optarg);
            break;
        case 'X':
            fprintf(stderr, "acmefuzz serve: -strict is not honoured (ignored)\n");
            break;
        case 'v':
            cfg.verbose = 1;
            break;
        case 'V':
            if (afz_serve_parse_validate(optarg, &cfg.validate) != AFZ_OK) {
                fprintf(stderr,
                        "acmefuzz serve: --validate wants http-01, tls-alpn-01 (comma "
                        "list), all or none, got '%s'\n",
                        optarg);
                goto done;
            }
            validate_given = 1;
            break;
        case 'H':
        case 'L':
            if (afz_cli_parse_u64(optarg, 65535, &v) || v == 0) {
                fprintf(stderr, "acmefuzz serve: --%s wants 1..65535, got '%s'\n",
                        c == 'H' ? "http-port" : "tls-port", optarg);
                goto done;
            }
            if (c == 'H')
                cfg.http01_port = (uint16_t)v;
            else
                cfg.tlsalpn01_port = (uint16_t)v;
            break;
        case 'W':
            if (afz_cli_parse_u64(optarg, 600, &v) || v == 0) {
                fprintf(stderr, "acmefuzz serve: --validation-timeout wants 1..600 seconds\n");
                goto done;
            }
            cfg.validation_timeout_s = (int)v;
            break;
        case AFZ_CLI_OPT_FAIL_ON:
        case AFZ_CLI_OPT_ALLOW:
            if (afz_cli_policy_arg("serve", c, optarg, &policy))
                goto done;
            break;
        case 'w':
            cfg.server.allow_weak_csr_digest = 1;
            break;
        case 'K':
            cfg.server.strict_keys = 1;
            break;
        case 'Y':
        case 'Z':
            if (afz_cli_parse_u64(optarg, 10000000, &v) || v == 0) {
                fprintf(stderr, "acmefuzz serve: --%s wants 1..10000000, got '%s'\n",
                        c == 'Y' ? "max-accounts" : "max-orders", optarg);
                goto done;
            }
            if (c == 'Y')
                cfg.server.max_accounts = (size_t)v;
            else
                cfg.server.max_orders = (size_t)v;
            break;
        case 'G':
            if (afz_cli_parse_u64(optarg, 1048576, &v) || v == 0) {
                fprintf(stderr, "acmefuzz serve: --max-history-mb wants 1..1048576, got '%s'\n",
                        optarg);
                goto done;
            }
            cfg.max_history_bytes = (size_t)v << 20;
            break;
        case 'h':
            serve_usage(stdout);
            exit_code = 0;
            goto done;
        default:
            serve_usage(stderr);
            goto done;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "acmefuzz serve: unexpected argument '%s'\n", argv[optind]);
        goto done;
    }
    if (moved)
        fprintf(stderr, "acmefuzz serve: serving on 127.0.0.1 only\n");
    if (config && load_pebble_config(config, &cfg, &ph))
        goto done;
    if (apply_pebble_env(&cfg, validate_given, config != NULL))
        goto done;
    if (!cfg.server.n_profiles) {
        cfg.server.profiles = letsencrypt_profiles;
        cfg.server.n_profiles = sizeof(letsencrypt_profiles) / sizeof(letsencrypt_profiles[0]);
        cfg.server.default_profile = "classic";
    }
    afz_plan plan;
    if (scenario) {
        afz_scn_error err;
        if (afz_plan_load(scenario, &plan, &err) != AFZ_OK) {
            if (err.line)
                fprintf(stderr, "%s:%u:%u: %s\n", scenario, err.line, err.col, err.msg);
            else
                fprintf(stderr, "acmefuzz serve: %s: %s\n", scenario, err.msg);
            goto done;
        }
        cfg.plan = &plan;
    }
    char err[256];
    afz_serve *s = NULL;
    if (afz_serve_open(&cfg, &s, err, sizeof(err)) != AFZ_OK) {
        fprintf(stderr, "acmefuzz serve: %s\n", err);
        goto done;
    }
    if (bundle_out && afz_serve_write_ca_bundle(s, bundle_out) != AFZ_OK) {
        fprintf(stderr, "acmefuzz serve: cannot write %s: %s\n", bundle_out, strerror(errno));
        afz_serve_free(s);
        goto done;
    }
    struct event *sig_int = evsignal_new(afz_serve_base(s), SIGINT, on_signal, s);
    struct event *sig_term = evsignal_new(afz_serve_base(s), SIGTERM, on_signal, s);
    if (!sig_int || !sig_term || event_add(sig_int, NULL) || event_add(sig_term, NULL)) {
        fprintf(stderr, "acmefuzz serve: cannot install signal handlers\n");
    } else {
        printf("Listening on: 127.0.0.1:%u\n", (unsigned)afz_serve_port(s));
        printf("ACME directory available at: %s\n", afz_serve_directory_url(s));
        if (afz_serve_management_port(s))
            printf("Management API: https://127.0.0.1:%u\n",
                   (unsigned)afz_serve_management_port(s));
        if (bundle_out)
            printf("CA bundle: %s\n", bundle_out);
        if (scenario)
            printf("Scenario: %s\n", scenario);
        if (cfg.chain_length > 1)
            printf("Chain length: %u intermediates\n", cfg.chain_length);
        if (cfg.alternate_roots)
            printf("Alternate roots: %u (management /roots/1..%u)\n", cfg.alternate_roots,
                   cfg.alternate_roots);
        /* the model's rule: default_profile, else "default", else the first */
        const char *dflt = cfg.server.default_profile;
        for (size_t i = 0; !dflt && i < cfg.server.n_profiles; i++)
            if (strcmp(cfg.server.profiles[i].name, "default") == 0)
                dflt = "default";
        if (!dflt)
            dflt = cfg.server.profiles[0].name;
        printf("Profiles:");
        for (size_t i = 0; i < cfg.server.n_profiles; i++)
            printf(" %s", cfg.server.profiles[i].name);
        printf(" (an order without one gets %s)\n", dflt);
        printf("Authorization reuse: %u%% (PEBBLE_AUTHZREUSE; Pebble's default 50; run, sweep "
               "and fuzz reuse none)\n",
               cfg.server.authz_reuse_percent);
        if (cfg.validate & AFZ_SERVE_VALIDATE_HTTP01)
            printf("Validating http-01 on 127.0.0.1:%u\n", (unsigned)cfg.http01_port);
        if (cfg.validate & AFZ_SERVE_VALIDATE_TLSALPN01)
            printf("Validating tls-alpn-01 on 127.0.0.1:%u\n", (unsigned)cfg.tlsalpn01_port);
        fflush(stdout);
        exit_code = afz_serve_run(s) == AFZ_OK ? 0 : 2;
        afz_serve_conn_counts cc;
        afz_serve_conn_stats(s, &cc);
        printf("acmefuzz serve: stopped after %zu exchanges; connections evicted %" PRIu64
               ", closed at the request deadline %" PRIu64 ", accept pauses %" PRIu64 "\n",
               afz_serve_history(s)->n_ex, cc.evicted, cc.deadline_closed, cc.accept_pauses);
    }
    if (sig_int)
        event_free(sig_int);
    if (sig_term)
        event_free(sig_term);
    afz_serve_free(s);
done:
    cJSON_Delete(ph.json);
    return exit_code;
}
