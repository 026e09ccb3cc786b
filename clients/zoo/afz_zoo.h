/* afz_zoo.h - the bug zoo: deliberately buggy ACME clients, each the
 * reference client (afz_reference_obtain) with exactly one
 * AFZ_REF_QUIRK_* bit set, each modelled on a real incident from
 * ACME-FAULTS.md section 2 and naming in expected_property the property
 * that must catch it ("crash" for the one that dies). Each source file's
 * header tells the incident, its source, the bug, the server behaviour
 * that exposes it and why that property fires; corpus/zoo/<name>.scn is
 * the scenario that exposes it, and tests/integration/zoo.sh checks that
 * the expected property reports it while the reference client stays
 * clean on the same scenario. The registry (afz_clients.c, which drives
 * `acmefuzz list clients`) lists every file clients/zoo/afz_zoo_*.c. */
#ifndef AFZ_ZOO_H
#define AFZ_ZOO_H

#include "afz_client.h"

/* One declaration per zoo client, generated from the file names
 * (afz_zoo_list.h, CMakeLists.txt): adding a zoo client is adding its file. */
#define AFZ_ZOO_CLIENT(sym) extern const afz_client sym;
#include "afz_zoo_list.h"
#undef AFZ_ZOO_CLIENT

#endif
