/* afz_external.h - adapters for real ACME client binaries in suite mode
 * (`acmefuzz suite --client NAME`): the exact command line of each client
 * as packaged in Debian 12, and how it is told to trust the server's CA
 * bundle. README.md beside this file explains each one.
 *
 * Commands are afz_suite_expand templates run by /bin/sh in the
 * scenario's work directory. The suite also sets, for every client, the
 * usual trust variables to the bundle (LEGO_CA_CERTIFICATES,
 * REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS)
 * and removes proxy variables, so nothing is inherited from the machine;
 * each template still names the variable its client reads, so the command
 * alone says how trust is set up.
 *
 * Challenges: every template answers http-01 on 127.0.0.1:{http_port},
 * either with the client's own listener (lego, certbot standalone) or
 * through files the suite publishes (uacme's uacme.sh hook, acme-tiny's
 * --acme-dir, node acme-client's challengeCreateFn: serve_webroot). Nothing fetches them unless the
 * suite runs with
 * --validate; then the answer is checked for real. */
#ifndef AFZ_EXTERNAL_H
#define AFZ_EXTERNAL_H

#include <stddef.h>

typedef struct afz_external_client {
    const char *name;    /* --client NAME */
    const char *program; /* the executable that must be on PATH */
    const char *package; /* Debian 12 package */
    const char *command; /* afz_suite_expand template */
    const char *trust;   /* one line: how the client trusts the bundle */
    int needs_root;      /* 1: the command needs root (mount namespace) */
    int serve_webroot;   /* 1: the client only writes http-01 files to
                            {workdir}/webroot; the suite publishes them */
} afz_external_client;

/* afz_external_count / afz_external_get walk the adapter table. */
size_t afz_external_count(void);
const afz_external_client *afz_external_get(size_t i);
/* afz_external_find returns the adapter named |name|, or NULL. */
const afz_external_client *afz_external_find(const char *name);

#endif
