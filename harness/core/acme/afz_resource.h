/* afz_resource.h - the kinds of ACME resource a request can address. The
 * server model classifies every request by its URL; the history records
 * the kind; fault-plan selectors and properties name kinds by these
 * stable names. Numbers are append-only. */
#ifndef AFZ_RESOURCE_H
#define AFZ_RESOURCE_H

typedef enum afz_resource {
    AFZ_RES_UNKNOWN = 0,     /* no ACME resource at that URL */
    AFZ_RES_DIRECTORY = 1,   /* "directory" */
    AFZ_RES_NONCE = 2,       /* "nonce" (newNonce) */
    AFZ_RES_ACCOUNT = 3,     /* "account" (newAccount and account URLs) */
    AFZ_RES_NEW_ORDER = 4,   /* "newOrder" */
    AFZ_RES_ORDER = 5,       /* "order" */
    AFZ_RES_AUTHZ = 6,       /* "authorization" */
    AFZ_RES_CHALLENGE = 7,   /* "challenge" */
    AFZ_RES_FINALIZE = 8,    /* "finalize" */
    AFZ_RES_CERT = 9,        /* "certificate" */
    AFZ_RES_REVOKE = 10,     /* "revokeCert" */
    AFZ_RES_KEY_CHANGE = 11, /* "keyChange" */
    AFZ_RES__COUNT
} afz_resource;

/* afz_resource_name returns the stable name in quotes above. */
const char *afz_resource_name(afz_resource r);
/* afz_resource_from_name maps a name back; AFZ_RES_UNKNOWN if none. */
afz_resource afz_resource_from_name(const char *name);

#endif
