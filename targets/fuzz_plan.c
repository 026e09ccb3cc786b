/* fuzz_plan.c - the plan codec: every input decodes (total decoder) and
 * the decoded plan survives encode -> decode and print -> parse. */
#include <stdio.h>
#include <stdlib.h>

#include "afz_scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    afz_plan p, q, r;
    afz_plan_decode(data, size, &p);
    afz_buf bin, text;
    afz_buf_init(&bin, 0);
    afz_buf_init(&text, 0);
    afz_scn_error err;
    if (afz_plan_encode(&p, &bin) != AFZ_OK || afz_scenario_print(&p, &text) != AFZ_OK)
        abort();
    afz_plan_decode((const uint8_t *)bin.data, bin.len, &q);
    if (!afz_plan_equal(&p, &q))
        abort();
    if (afz_scenario_parse(afz_buf_cstr(&text), text.len, &r, &err) != AFZ_OK) {
        fprintf(stderr, "printed plan does not parse: %u:%u: %s\n%s", err.line, err.col, err.msg,
                afz_buf_cstr(&text));
        abort();
    }
    if (!afz_plan_equal(&p, &r))
        abort();
    afz_buf_cleanup(&bin);
    afz_buf_cleanup(&text);
    return 0;
}
