/* afz_clients.c - see afz_clients.h. */
#include "afz_clients.h"

#include <string.h>

#include "afz_independent.h"
#include "afz_zoo.h"

/* The reference client, the independent client (clients/independent),
 * then the zoo (clients/zoo/afz_zoo.h) in file-name order, generated from
 * its files. Each declares its capabilities (afz_client.account_algs and
 * .flags: all four algorithms, stateful; the independent client
 * stateless), which tests/check_client_lib.c checks. */
static const afz_client *const builtin[] = {
    &afz_client_reference,
    &afz_client_independent, /* stateless, written apart (afz_independent.h) */
#define AFZ_ZOO_CLIENT(sym) &sym,
#include "afz_zoo_list.h"
#undef AFZ_ZOO_CLIENT
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
