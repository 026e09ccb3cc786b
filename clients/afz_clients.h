/* afz_clients.h - the registry of built-in clients (the reference client
 * and the zoo, clients/zoo/afz_zoo.h), looked up by name by the CLI,
 * tests and targets.
 * Every entry is a static const afz_client; nothing here allocates. */
#ifndef AFZ_CLIENTS_H
#define AFZ_CLIENTS_H

#include <stddef.h>

#include "afz_client.h"

/* afz_clients_count returns how many built-in clients there are. */
size_t afz_clients_count(void);
/* afz_clients_get returns the i-th built-in client, NULL past the end. */
const afz_client *afz_clients_get(size_t i);
/* afz_client_find returns the built-in client called |name|, or NULL. */
const afz_client *afz_client_find(const char *name);

#endif
