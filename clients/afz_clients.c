/* afz_clients.c - see afz_clients.h. */
#include "afz_clients.h"

#include <string.h>

#include "afz_independent.h"
#include "afz_zoo.h"

/* The reference client first, then the zoo (clients/zoo/afz_zoo.h), then
 * the independent client (clients/independent), then zoo clients added
 * since (appended: the list only grows at its end). Each declares its
 * capabilities (afz_client.account_algs and .flags: all four algorithms,
 * stateful; the independent client stateless), which
 * tests/check_client_lib.c checks. */
static const afz_client *const builtin[] = {
    &afz_client_reference,
    &afz_zoo_refinalizer_2023,
    &afz_zoo_post_as_get_braces,
    &afz_zoo_processing_fails,
    &afz_zoo_ignores_retry_after,
    &afz_zoo_httpdate_as_zero,
    &afz_zoo_retry_after_int32,
    &afz_zoo_sleeps_forever,
    &afz_zoo_no_badnonce_retry,
    &afz_zoo_stale_nonce_retry,
    &afz_zoo_cert_from_location,
    &afz_zoo_polls_invalid,
    &afz_zoo_authz_no_backoff,
    &afz_zoo_challenge_repost,
    &afz_zoo_scheduler_no_resume,
    &afz_zoo_crash_missing_status,
    &afz_zoo_reorder_loop,
    &afz_client_independent, /* stateless, written apart (afz_independent.h) */
    &afz_zoo_challenge_post_as_get,
    &afz_zoo_cert_before_valid,
};

size_t afz_clients_count(void)
{
    return sizeof(builtin) / sizeof(builtin[0]);
}

const afz_client *afz_clients_get(size_t i)
{
    return i < afz_clients_count() ? builtin[i] : NULL;
}

const afz_client *afz_client_find(const char *name)
{
    for (size_t i = 0; i < afz_clients_count(); i++)
        if (strcmp(builtin[i]->name, name) == 0)
            return builtin[i];
    return NULL;
}
