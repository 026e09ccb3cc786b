/* afz_clients.c - see afz_clients.h. */
#include "afz_clients.h"

#include <string.h>

static const afz_client *const builtin[] = {
    &afz_client_reference,
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
