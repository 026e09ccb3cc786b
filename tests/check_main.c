/* check_main.c - runs every Check suite (see tests/CMakeLists.txt).
 * Usage: check_afz [SUITE-NAME-SUBSTRING]; CK_FORK=no runs unforked. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "afz_prng.h"
#include "check_suites.h"

int main(int argc, char **argv)
{
    /* Tests run like in-process fuzz runs: deterministic OpenSSL RNG. */
    afz_detrand_install();
    SRunner *sr = NULL;
    for (size_t i = 0; afz_all_suites[i]; i++) {
        Suite *s = afz_all_suites[i]();
        if (!sr)
            sr = srunner_create(s);
        else
            srunner_add_suite(sr, s);
    }
    if (!sr)
        return EXIT_FAILURE;
    const char *only = argc > 1 ? argv[1] : NULL;
    if (only)
        setenv("CK_RUN_SUITE", only, 1);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
