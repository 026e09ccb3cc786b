/* afz_independent.h - a second, independently written ACME client.
 *
 * afz_client_independent obtains a certificate as RFC 8555 describes, like
 * the reference client, but shares nothing with the harness beyond the
 * client ABI (afz_client.h, afz_http.h): its own JWS, base64url, JSON
 * handling (cJSON directly), Retry-After and HTTP-date parsing, CSR and
 * PEM checks. It exists as a second opinion: the reference client shares
 * its JOSE code and Retry-After parser with the properties that judge it,
 * so a bug common to both would go unseen (a common-mode oracle); a
 * violation this client shows and the reference does not, or the other
 * way round, points at one of the three.
 *
 * It is a table-driven state machine (afz_client_independent.c), keeps no
 * state between obtain calls (AFZ_CLIENT_STATELESS) and signs with any of
 * the four account key types. */
#ifndef AFZ_INDEPENDENT_H
#define AFZ_INDEPENDENT_H

#include "afz_client.h"

extern const afz_client afz_client_independent;

#endif
