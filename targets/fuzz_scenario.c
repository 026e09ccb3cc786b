/* fuzz_scenario.c - the .scn parser on arbitrary text: it either reports an
 * error with a position inside the input, or yields a plan whose canonical
 * text parses back to the same plan and prints identically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afz_scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    afz_plan p, q;
    afz_scn_error err;
    if (afz_scenario_parse((const char *)data, size, &p, &err) != AFZ_OK) {
        if (err.line == 0 || err.col == 0 || err.msg[0] == '\0')
            abort();
        return 0;
    }
    afz_buf a, b;
    afz_buf_init(&a, 0);
    afz_buf_init(&b, 0);
    if (afz_scenario_print(&p, &a) != AFZ_OK ||
        afz_scenario_parse(afz_buf_cstr(&a), a.len, &q, &err) != AFZ_OK ||
        !afz_plan_equal(&p, &q) || afz_scenario_print(&q, &b) != AFZ_OK || a.len != b.len ||
        memcmp(afz_buf_cstr(&a), afz_buf_cstr(&b), a.len) != 0)
        abort();
    afz_buf_cleanup(&a);
    afz_buf_cleanup(&b);
    return 0;
}
