/* afz_external.c - the adapter table; see afz_external.h and README.md. */
#include "afz_external.h"

#include <string.h>

static const afz_external_client adapters[] = {
    {
        .name = "lego",
        .program = "lego",
        .package = "lego (4.9.1)",
        /* --http.port: lego answers http-01 itself on 127.0.0.1:{http_port}. */
        .command = "LEGO_CA_CERTIFICATES={ca_bundle} lego --server {directory} --accept-tos "
                   "--email acmefuzz@example.com --path {workdir}/lego --domains {domain} "
                   "--http --http.port 127.0.0.1:{http_port} run",
        .trust = "LEGO_CA_CERTIFICATES=<bundle> (Go's pool gets the bundle's certificates)",
        .needs_root = 0,
    },
    {
        .name = "certbot",
        .program = "certbot",
        .package = "certbot (2.1.0)",
        .command = "REQUESTS_CA_BUNDLE={ca_bundle} certbot certonly --non-interactive "
                   "--agree-tos --register-unsafely-without-email --server {directory} "
                   "--config-dir {workdir}/config --work-dir {workdir}/work "
                   "--logs-dir {workdir}/logs --standalone --http-01-address 127.0.0.1 "
                   "--http-01-port {http_port} -d {domain} -v",
        .trust = "REQUESTS_CA_BUNDLE=<bundle> (python-requests replaces its trust store)",
        .needs_root = 0,
    },
    {
        .name = "uacme",
        .program = "uacme",
        .package = "uacme (1.7.4)",
        /* uacme has no trust option and its GnuTLS libcurl reads only the
         * compiled-in /etc/ssl/certs/ca-certificates.crt: a private mount
         * namespace puts the bundle there for this command alone. */
        .command = "unshare -m sh -c 'mount --bind {ca_bundle} /etc/ssl/certs/ca-certificates.crt"
                   " && uacme -v -a {directory} -c {workdir}/uacme -y new"
                   " && UACME_CHALLENGE_PATH={workdir}/webroot/.well-known/acme-challenge"
                   " uacme -v -a {directory} -c {workdir}/uacme -h /usr/share/uacme/uacme.sh"
                   " issue {domain}'",
        .trust = "bind-mounts <bundle> over /etc/ssl/certs/ca-certificates.crt in a private "
                 "mount namespace (root)",
        .needs_root = 1,
        /* uacme.sh (shipped with uacme) writes the token file; the suite
         * publishes the webroot on {http_port}. */
        .serve_webroot = 1,
    },
    {
        .name = "acme-tiny",
        .program = "acme-tiny",
        .package = "acme-tiny (5.0.1)",
        /* acme-tiny only signs: the account key and the CSR (every name of
         * {domains} as a subjectAltName, the first as the common name)
         * are made beforehand with openssl, and kept for a rerun ("attempts
         * N") as an operator's would be. --disable-check: otherwise it
         * fetches http://<name>/.well-known/... itself over real DNS before
         * telling the server. The chain comes out on stdout. */
        .command = "(test -f {workdir}/account.key || openssl genrsa -out {workdir}/account.key"
                   " 2048 2>/dev/null)"
                   " && (test -f {workdir}/domain.csr || openssl req -new -newkey rsa:2048 -nodes"
                   " -keyout {workdir}/domain.key -subj /CN={domain}"
                   " -addext subjectAltName=DNS:$(echo {domains} | sed s/,/,DNS:/g)"
                   " -out {workdir}/domain.csr 2>/dev/null)"
                   " && SSL_CERT_FILE={ca_bundle} acme-tiny --account-key {workdir}/account.key"
                   " --csr {workdir}/domain.csr"
                   " --acme-dir {workdir}/webroot/.well-known/acme-challenge"
                   " --directory-url {directory} --disable-check > {workdir}/chain.pem",
        .trust = "SSL_CERT_FILE=<bundle> (Python's urllib reads OpenSSL's default file)",
        .needs_root = 0,
        /* acme-tiny writes the token file into --acme-dir; the suite
         * publishes the webroot on {http_port}. */
        .serve_webroot = 1,
    },
    {
        .name = "node-acme-client",
        /* A wrapper in clients/external/node-acme-client/ (that folder on
         * PATH) running obtain.js with the acme-client 5.4.0 its
         * install.sh put there with `npm ci`. */
        .program = "acmefuzz-node-acme-client",
        .package = "nodejs + npm acme-client (5.4.0): clients/external/node-acme-client "
                   "on PATH, after its install.sh",
        .command = "NODE_EXTRA_CA_CERTS={ca_bundle} acmefuzz-node-acme-client {directory} "
                   "{domains} {workdir}",
        .trust = "NODE_EXTRA_CA_CERTS=<bundle> (Node adds it to its built-in roots)",
        .needs_root = 0,
        /* obtain.js's challengeCreateFn writes the token file; the suite
         * publishes the webroot on {http_port}. */
        .serve_webroot = 1,
    },
};

size_t afz_external_count(void)
{
    return sizeof(adapters) / sizeof(adapters[0]);
}

const afz_external_client *afz_external_get(size_t i)
{
    return i < afz_external_count() ? &adapters[i] : NULL;
}

const afz_external_client *afz_external_find(const char *name)
{
    for (size_t i = 0; name && i < afz_external_count(); i++)
        if (strcmp(adapters[i].name, name) == 0)
            return &adapters[i];
    return NULL;
}
