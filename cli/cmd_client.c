/* cmd_client.c - `acmefuzz client`: obtain a real certificate from a real
 * ACME server (Pebble, a staging CA, `acmefuzz serve`) with the reference
 * client, or any built-in client (--client, e.g. a zoo client), over
 * libcurl. It generates a fresh account key and certificate key, runs one
 * issuance, and writes DIR/cert.pem (the chain as received) and
 * DIR/cert-key.pem (PKCS#8 PEM, mode 0600). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "afz_cli.h"
#include "afz_client.h"
#include "afz_clients.h"
#include "afz_jose.h"
#include "afz_reference.h"
#include "afz_transport_curl.h"

#define MAX_DOMAINS 100

static void client_usage(FILE *f)
{
    fputs("usage: acmefuzz client --directory URL --ca-bundle FILE --domain NAME\n"
          "                       [--domain NAME]... --out DIR\n"
          "                       [--account-key-alg ES256|ES384|RS256|EdDSA]\n"
          "                       [--contact mailto:...] [--challenge-dir DIR]\n"
          "                       [--client NAME] [-v]\n"
          "\n"
          "Obtains a certificate from a real ACME server with the reference client.\n"
          "  --client NAME        run another built-in client instead (`acmefuzz list\n"
          "                       clients`: the zoo clients carry one known bug each), so\n"
          "                       `acmefuzz suite --client-cmd 'acmefuzz client --client\n"
          "                       zoo-... --directory {directory} ...'` measures suite mode\n"
          "                       on them as users run it\n"
          "  --directory URL      the server's ACME directory (https://...)\n"
          "  --ca-bundle FILE     PEM file of the CAs trusted for the server's TLS\n"
          "  --domain NAME        identifier to order (repeatable, at least one)\n"
          "  --out DIR            writes DIR/cert.pem and DIR/cert-key.pem (created if missing)\n"
          "  --account-key-alg A  account key type (default ES256); the certificate key is P-256\n"
          "  --contact URI        account contact, e.g. mailto:admin@example.com\n"
          "  --challenge-dir DIR  write http-01 key authorizations to DIR/<token>; DIR is\n"
          "                       what the web server serves as /.well-known/acme-challenge/\n"
          "  -v, --verbose        log every step and exchange on stderr (-vv: libcurl too)\n"
          "exit status: 0 certificate obtained, 1 failure, 2 usage error\n",
          f);
}

/* write_file writes |n| bytes to |path| with |mode| (applied even when the
 * file already existed). 0 on success, -1 with errno set. */
static int write_file(const char *path, const void *p, size_t n, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    int ok = fchmod(fd, mode) == 0;
    const char *c = p;
    size_t done = 0;
    while (ok && done < n) {
        ssize_t w = write(fd, c + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            ok = 0;
        else
            done += (size_t)w;
    }
    int e = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    errno = e;
    return ok ? 0 : -1;
}

/* write_key writes |key| as PKCS#8 PEM to |path| with mode 0600. */
static int write_key(const char *path, EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int rc = -1;
    char *data = NULL;
    if (bio && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0)
            rc = write_file(path, data, (size_t)n, 0600);
        else
            errno = EIO;
    } else {
        errno = ENOMEM;
    }
    BIO_free(bio);
    return rc;
}

static int join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

int afz_cmd_client(int argc, char **argv)
{
    static const struct option opts[] = {
        {"directory", required_argument, NULL, 'D'},
        {"ca-bundle", required_argument, NULL, 'C'},
        {"domain", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},
        {"account-key-alg", required_argument, NULL, 'k'},
        {"contact", required_argument, NULL, 'c'},
        {"challenge-dir", required_argument, NULL, 'w'},
        {"client", required_argument, NULL, 'n'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *directory = NULL, *ca_bundle = NULL, *out_dir = NULL;
    const char *contact = NULL, *challenge_dir = NULL;
    const afz_client *client = &afz_client_reference;
    const char *domains[MAX_DOMAINS];
    size_t n_domains = 0;
    int verbose = 0;
    afz_jws_alg alg = AFZ_ALG_ES256;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":v", opts, NULL)) != -1) {
        switch (c) {
        case 'D':
            directory = optarg;
            break;
        case 'C':
            ca_bundle = optarg;
            break;
        case 'd':
            if (n_domains == MAX_DOMAINS) {
                fprintf(stderr, "acmefuzz client: --domain: at most %d names\n", MAX_DOMAINS);
                return 2;
            }
            if (!optarg[0]) {
                fprintf(stderr, "acmefuzz client: --domain: empty name\n");
                return 2;
            }
            domains[n_domains++] = optarg;
            break;
        case 'o':
            out_dir = optarg;
            break;
        case 'k':
            alg = afz_jws_alg_from_name(optarg);
            if (alg == AFZ_ALG_NONE) {
                fprintf(stderr,
                        "acmefuzz client: --account-key-alg: '%s' is not ES256, ES384, RS256 "
                        "or EdDSA\n",
                        optarg);
                return 2;
            }
            break;
        case 'c':
            contact = optarg;
            break;
        case 'w':
            challenge_dir = optarg;
            break;
        case 'n':
            client = afz_client_find(optarg);
            if (!client) {
                fprintf(stderr,
                        "acmefuzz client: --client: no built-in client '%s' (see "
                        "`acmefuzz list clients`)\n",
                        optarg);
                return 2;
            }
            break;
        case 'v':
            verbose++;
            break;
        case 'h':
            client_usage(stdout);
            return 0;
        case ':':
            fprintf(stderr, "acmefuzz client: option '%s' needs an argument\n", argv[optind - 1]);
            client_usage(stderr);
            return 2;
        default:
            fprintf(stderr, "acmefuzz client: unknown option '%s'\n", argv[optind - 1]);
            client_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "acmefuzz client: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    const char *missing = !directory       ? "--directory"
                          : !ca_bundle     ? "--ca-bundle"
                          : n_domains == 0 ? "--domain"
                          : !out_dir       ? "--out"
                                           : NULL;
    if (missing) {
        fprintf(stderr, "acmefuzz client: %s is required\n", missing);
        client_usage(stderr);
        return 2;
    }
    if (strncmp(directory, "https://", 8) != 0 && strncmp(directory, "http://", 7) != 0) {
        fprintf(stderr, "acmefuzz client: --directory: '%s' is not an http(s) URL\n", directory);
        return 2;
    }
    if (access(ca_bundle, R_OK) != 0) {
        fprintf(stderr, "acmefuzz client: --ca-bundle: cannot read '%s': %s\n", ca_bundle,
                strerror(errno));
        return 2;
    }
    if (challenge_dir) {
        struct stat st;
        if (stat(challenge_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "acmefuzz client: --challenge-dir: '%s' is not a directory\n",
                    challenge_dir);
            return 2;
        }
    }
    char cert_path[4096], key_path[4096];
    if (join(cert_path, sizeof(cert_path), out_dir, "cert.pem") != 0 ||
        join(key_path, sizeof(key_path), out_dir, "cert-key.pem") != 0) {
        fprintf(stderr, "acmefuzz client: --out: path too long\n");
        return 2;
    }
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "acmefuzz client: --out: cannot create '%s': %s\n", out_dir,
                strerror(errno));
        return 2;
    }

    int status = 1;
    EVP_PKEY *account_key = NULL, *cert_key = NULL;
    afz_curl_env env;
    memset(&env, 0, sizeof(env));
    afz_obtain_result res;
    memset(&res, 0, sizeof(res));
    if (afz_key_generate(alg, &account_key) != AFZ_OK ||
        afz_key_generate(AFZ_ALG_ES256, &cert_key) != AFZ_OK) {
        fprintf(stderr, "acmefuzz client: key generation failed\n");
        goto out;
    }
    if (afz_curl_env_init(&env, ca_bundle, verbose) != AFZ_OK) {
        fprintf(stderr, "acmefuzz client: cannot start libcurl\n");
        goto out;
    }
    afz_obtain_params p = {
        .struct_size = sizeof(afz_obtain_params),
        .directory_url = directory,
        .identifiers = domains,
        .n_identifiers = n_domains,
        .account_key = account_key,
        .cert_key = cert_key,
        .contact = contact,
        .challenge_dir = challenge_dir,
    };
    afz_rc rc = client->obtain(client, &env.env, &p, &res);
    if (rc != AFZ_OK) {
        fprintf(stderr, "acmefuzz client: FAILED: %s\n",
                res.reason[0] ? res.reason : afz_rc_str(rc));
        goto out;
    }
    if (write_file(cert_path, res.cert_pem, res.cert_pem_len, 0644) != 0) {
        fprintf(stderr, "acmefuzz client: cannot write %s: %s\n", cert_path, strerror(errno));
        goto out;
    }
    if (write_key(key_path, cert_key) != 0) {
        fprintf(stderr, "acmefuzz client: cannot write %s: %s\n", key_path, strerror(errno));
        goto out;
    }
    printf("acmefuzz client: OK: %s: certificate for %zu name(s) (%s%s) with a %s account: %s\n",
           client->name, n_domains, domains[0], n_domains > 1 ? ", ..." : "", afz_jws_alg_name(alg),
           cert_path);
    status = 0;
out:
    free(res.cert_pem);
    afz_curl_env_cleanup(&env);
    EVP_PKEY_free(account_key);
    EVP_PKEY_free(cert_key);
    return status;
}
