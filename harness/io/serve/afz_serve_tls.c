/* afz_serve_tls.c - TLS credentials for the server mode: a throw-away root
 * and a loopback server certificate made with OpenSSL, or Pebble's
 * `certificate` / `privateKey` files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "afz_buf.h"
#include "afz_serve_internal.h"

/* Files given by the user are read whole, up to this size. */
#define TLS_FILE_MAX (1u << 20)

static void say(char *err, size_t errlen, const char *what)
{
    if (!errlen)
        return;
    unsigned long e = ERR_peek_last_error();
    char detail[160] = "";
    if (e)
        ERR_error_string_n(e, detail, sizeof(detail));
    snprintf(err, errlen, "%s%s%s", what, e ? ": " : "", detail);
    ERR_clear_error();
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex)
        return 0;
    int ok = X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return ok;
}

/* make_cert signs a certificate for |key| named |cn|; |issuer| NULL makes
 * it self-signed (a CA). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                       int64_t now_s)
{
    X509 *c = X509_new();
    BIGNUM *bn = BN_new();
    unsigned char serial[16];
    int ok = c && bn && X509_set_version(c, 2) && RAND_bytes(serial, sizeof(serial)) == 1;
    if (ok) {
        serial[0] &= 0x7f; /* positive */
        serial[0] |= 0x01; /* non-zero */
        ok = BN_bin2bn(serial, sizeof(serial), bn) &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) &&
             ASN1_TIME_set(X509_getm_notBefore(c), (time_t)(now_s - 3600)) &&
             ASN1_TIME_set(X509_getm_notAfter(c), (time_t)(now_s + 30 * 86400));
    }
    X509_NAME *name = ok ? X509_get_subject_name(c) : NULL;
    ok = ok &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                    0) &&
         X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name) &&
         X509_set_pubkey(c, key);
    X509 *iss = issuer ? issuer : c;
    if (ok && !issuer) {
        ok = add_ext(c, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
             add_ext(c, iss, NID_key_usage, "critical,keyCertSign,cRLSign") &&
             add_ext(c, iss, NID_subject_key_identifier, "hash");
    } else if (ok) {
        ok = add_ext(c, iss, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(c, iss, NID_key_usage, "critical,digitalSignature") &&
             add_ext(c, iss, NID_ext_key_usage, "serverAuth") &&
             add_ext(c, iss, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") &&
             add_ext(c, iss, NID_subject_key_identifier, "hash") &&
             add_ext(c, iss, NID_authority_key_identifier, "keyid:always");
    }
    ok = ok && X509_sign(c, issuer ? issuer_key : key, EVP_sha256()) > 0;
    BN_free(bn);
    if (!ok) {
        X509_free(c);
        return NULL;
    }
    return c;
}

static char *cert_pem(X509 *c)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (b && PEM_write_bio_X509(b, c)) {
        char *p = NULL;
        long n = BIO_get_mem_data(b, &p);
        if (n > 0)
            out = afz_strndup(p, (size_t)n);
    }
    BIO_free(b);
    return out;
}

static char *read_file(const char *path)
{
    afz_buf b;
    afz_buf_init(&b, TLS_FILE_MAX);
    char *out = afz_buf_read_file(&b, path) == AFZ_OK ? afz_buf_take(&b, NULL) : NULL;
    afz_buf_cleanup(&b);
    return out;
}

/* A client that speaks plain HTTP to the TLS port gets Go's (Pebble's)
 * readable answer instead of a silent close. OpenSSL recognizes such a
 * first record ("GET ", "POST ", "HEAD ", "PUT ") and fails the handshake
 * with SSL_R_HTTP_REQUEST without sending an alert, so the socket is still
 * clean: the answer is written to it directly, once, before libevent
 * closes the connection. */
static void plain_http_answer(const SSL *ssl, int where, int ret)
{
    static const char answer[] = "HTTP/1.0 400 Bad Request\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n"
                                 "Connection: close\r\n"
                                 "Content-Length: 48\r\n"
                                 "\r\n"
                                 "Client sent an HTTP request to an HTTPS server.\n";
    if (!(where & SSL_CB_EXIT) || ret > 0)
        return;
    unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) != ERR_LIB_SSL || ERR_GET_REASON(e) != SSL_R_HTTP_REQUEST)
        return;
    int fd = SSL_get_fd(ssl);
    if (fd < 0)
        return;
    /* Best effort: a fresh socket's send buffer takes these bytes whole. */
    ssize_t n = send(fd, answer, sizeof(answer) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n;
}

static SSL_CTX *new_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* No renegotiation: a client must not be able to restart the
     * handshake mid-connection (CPU cost, and nothing here needs it). */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_info_callback(ctx, plain_http_answer);
    return ctx;
}

afz_rc afz_serve_tls_init(afz_serve_tls *t, const char *cert_file, const char *key_file,
                          int64_t now_s, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    afz_rc rc = AFZ_ECRYPTO;
    EVP_PKEY *root_key = NULL, *leaf_key = NULL;
    X509 *root = NULL, *leaf = NULL;
    t->ctx = new_ctx();
    t->refuse = new_ctx();
    if (!t->ctx || !t->refuse) {
        say(err, errlen, "cannot create a TLS context");
        goto out;
    }
    if (cert_file) {
        if (!key_file) {
            snprintf(err, errlen, "a TLS certificate needs its private key file");
            rc = AFZ_EINVAL;
            goto out;
        }
        if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1) {
            say(err, errlen, "cannot load the TLS certificate file");
            rc = AFZ_EIO;
            goto out;
        }
        if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(t->ctx) != 1) {
            say(err, errlen, "cannot load the TLS private key (or it does not match)");
            rc = AFZ_EIO;
            goto out;
        }
        /* The client already trusts whoever issued it; the bundle carries
         * the chain as given, which is harmless to trust as well. */
        t->trust_pem = read_file(cert_file);
        if (!t->trust_pem) {
            snprintf(err, errlen, "cannot read %s", cert_file);
            rc = AFZ_EIO;
            goto out;
        }
        rc = AFZ_OK;
        goto out;
    }
    root_key = EVP_EC_gen("P-256");
    leaf_key = EVP_EC_gen("P-256");
    if (!root_key || !leaf_key) {
        say(err, errlen, "cannot make the TLS keys");
        goto out;
    }
    root = make_cert(root_key, "acmefuzz TLS Root", NULL, NULL, now_s);
    leaf = root ? make_cert(leaf_key, "localhost", root, root_key, now_s) : NULL;
    if (!leaf) {
        say(err, errlen, "cannot make the TLS certificates");
        goto out;
    }
    if (SSL_CTX_use_certificate(t->ctx, leaf) != 1 ||
        SSL_CTX_use_PrivateKey(t->ctx, leaf_key) != 1 || SSL_CTX_check_private_key(t->ctx) != 1) {
        say(err, errlen, "cannot install the TLS certificate");
        goto out;
    }
    t->trust_pem = cert_pem(root);
    if (!t->trust_pem) {
        say(err, errlen, "cannot encode the TLS root");
        rc = AFZ_ENOMEM;
        goto out;
    }
    rc = AFZ_OK;
out:
    X509_free(root);
    X509_free(leaf);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(leaf_key);
    if (rc != AFZ_OK)
        afz_serve_tls_cleanup(t);
    return rc;
}

void afz_serve_tls_cleanup(afz_serve_tls *t)
{
    SSL_CTX_free(t->ctx);
    SSL_CTX_free(t->refuse);
    free(t->trust_pem);
    memset(t, 0, sizeof(*t));
}
