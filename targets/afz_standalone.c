/* afz_standalone.c - runs a fuzz target over files and folders without
 * libFuzzer (gcc or clang builds; `make test` replays the corpora with it).
 *
 * usage: TARGET [--expect-violation] PATH...
 * Every regular file under each PATH (folders are read one level deep) is
 * passed to LLVMFuzzerTestOneInput. By default a violation aborts, as under
 * libFuzzer. With --expect-violation (zoo targets) violations are counted
 * instead (AFZ_FUZZ_NO_ABORT) and the run fails unless at least one input
 * violated a property. The last line is "N passed, M failed". */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "afz_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define AFZ_STANDALONE_MAX_INPUT ((size_t)1 << 20)

static int run_file(const char *path, unsigned long *files)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "standalone: cannot open %s\n", path);
        return -1;
    }
    uint8_t *buf = malloc(AFZ_STANDALONE_MAX_INPUT);
    size_t n = buf ? fread(buf, 1, AFZ_STANDALONE_MAX_INPUT, f) : 0;
    int err = !buf || ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        fprintf(stderr, "standalone: cannot read %s\n", path);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    (*files)++;
    return 0;
}

static int run_path(const char *path, unsigned long *files)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "standalone: no such file or folder: %s\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path, files);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char child[4096];
        snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        if (stat(child, &st) == 0 && S_ISREG(st.st_mode) && run_file(child, files) != 0)
            rc = -1;
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    int expect = 0, first = 1;
    if (argc > 1 && strcmp(argv[1], "--expect-violation") == 0) {
        expect = 1;
        first = 2;
        setenv("AFZ_FUZZ_NO_ABORT", "1", 1);
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [--expect-violation] FILE-OR-FOLDER...\n", argv[0]);
        return 2;
    }
    unsigned long files = 0;
    int rc = 0;
    for (int i = first; i < argc; i++)
        if (run_path(argv[i], &files) != 0)
            rc = 1;
    unsigned long v = afz_fuzz_violations();
    if (expect) {
        printf("standalone: %lu inputs, %lu violated a property (expected at least one)\n", files,
               v);
        if (v == 0)
            rc = 1;
        printf("%lu passed, %d failed\n", files, v == 0 ? 1 : 0);
    } else {
        printf("standalone: %lu inputs, no violation\n", files);
        printf("%lu passed, 0 failed\n", files);
    }
    return rc;
}
