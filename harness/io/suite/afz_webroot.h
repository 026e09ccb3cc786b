/* afz_webroot.h - a plain-HTTP responder for http-01 files on loopback.
 *
 * Clients in webroot mode (certbot --webroot, lego --http.webroot,
 * uacme's uacme.sh hook) write the key authorization to
 * DIR/.well-known/acme-challenge/<token> and expect a web server to
 * publish it. When a suite validates http-01 for real, this is that web
 * server: it answers GET (and HEAD) /.well-known/acme-challenge/<token> on
 * 127.0.0.1:PORT with the file, as text/plain, 404 for any other path and
 * 405 for any other method.
 * Tokens are base64url (RFC 8555 8.1), so a path with any other byte is
 * refused before the file system is touched; files over 4 KiB are refused.
 * HTTP is libevent's evhttp, in the caller's event loop. */
#ifndef AFZ_WEBROOT_H
#define AFZ_WEBROOT_H

#include <stddef.h>
#include <stdint.h>

#include "afz_rc.h"

struct event_base;
typedef struct afz_webroot afz_webroot;

/* afz_webroot_open serves |dir| (copied) on 127.0.0.1:|port| in |base|
 * (borrowed; must outlive the responder). On failure it returns AFZ_EIO
 * (cannot listen) or AFZ_ENOMEM with a reason in |err| and *out NULL. */
afz_rc afz_webroot_open(struct event_base *base, const char *dir, uint16_t port, afz_webroot **out,
                        char *err, size_t errlen);
/* afz_webroot_served returns how many files it has served. */
size_t afz_webroot_served(const afz_webroot *w);
/* afz_webroot_free stops listening and frees; NULL ok. */
void afz_webroot_free(afz_webroot *w);

#endif
