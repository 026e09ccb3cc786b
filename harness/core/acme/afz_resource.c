/* afz_resource.c - see afz_resource.h. */
#include "afz_resource.h"

#include <string.h>

static const char *const names[AFZ_RES__COUNT] = {
    [AFZ_RES_UNKNOWN] = "unknown",     [AFZ_RES_DIRECTORY] = "directory",
    [AFZ_RES_NONCE] = "nonce",         [AFZ_RES_ACCOUNT] = "account",
    [AFZ_RES_NEW_ORDER] = "newOrder",  [AFZ_RES_ORDER] = "order",
    [AFZ_RES_AUTHZ] = "authorization", [AFZ_RES_CHALLENGE] = "challenge",
    [AFZ_RES_FINALIZE] = "finalize",   [AFZ_RES_CERT] = "certificate",
    [AFZ_RES_REVOKE] = "revokeCert",   [AFZ_RES_KEY_CHANGE] = "keyChange",
};

const char *afz_resource_name(afz_resource r)
{
    if ((int)r < 0 || r >= AFZ_RES__COUNT)
        return "unknown";
    return names[r];
}

afz_resource afz_resource_from_name(const char *name)
{
    for (int i = 0; i < AFZ_RES__COUNT; i++)
        if (strcmp(names[i], name) == 0)
            return (afz_resource)i;
    return AFZ_RES_UNKNOWN;
}
