/* check_suite_faketime.c - which client programs can load libfaketime
 * (afz_suite_preload_blocker): a dynamic ELF can, a Go binary (a
 * .go.buildinfo section) and a static one cannot, a script is judged by
 * its interpreter, assignments before the program are skipped, and a
 * binary that merely contains Go's magic string (this test binary) is not
 * taken for a Go binary. */
#define _XOPEN_SOURCE 700
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "afz_suite.h"

/* Go's build-info magic, so this binary holds it in its data */
const char check_go_magic[] = "\xff Go buildinf:";

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/afz-check-faketime.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* write_elf writes a minimal ELF64 executable with a section named
 * |section| (or none) and no program headers (so no PT_INTERP). */
static void write_elf(const char *path, const char *section)
{
    char shstr[64] = "\0.shstrtab\0";
    size_t shstr_len = 11, name2 = 0;
    if (section) {
        name2 = shstr_len;
        memcpy(shstr + shstr_len, section, strlen(section) + 1);
        shstr_len += strlen(section) + 1;
    }
    Elf64_Ehdr eh;
    memset(&eh, 0, sizeof(eh));
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_ehsize = sizeof(eh);
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = section ? 3 : 2;
    eh.e_shstrndx = 1;
    eh.e_shoff = sizeof(eh) + 64;
    Elf64_Shdr sh[3];
    memset(sh, 0, sizeof(sh));
    sh[1].sh_name = 1;
    sh[1].sh_type = SHT_STRTAB;
    sh[1].sh_offset = sizeof(eh);
    sh[1].sh_size = shstr_len;
    sh[2].sh_name = (Elf64_Word)name2;
    sh[2].sh_type = SHT_PROGBITS;
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(&eh, sizeof(eh), 1, f), 1);
    ck_assert_uint_eq(fwrite(shstr, 1, 64, f), 64);
    ck_assert_uint_eq(fwrite(sh, sizeof(sh[0]), eh.e_shnum, f), eh.e_shnum);
    ck_assert_int_eq(fclose(f), 0);
    chmod(path, 0755);
}

START_TEST(test_preload_blocker_kinds)
{
    make_dir();
    char go[128], stat_bin[128], script[128], cmd[300], why[300];
    snprintf(go, sizeof(go), "%s/goclient", dir);
    snprintf(stat_bin, sizeof(stat_bin), "%s/static", dir);
    snprintf(script, sizeof(script), "%s/script", dir);
    write_elf(go, ".go.buildinfo");
    write_elf(stat_bin, NULL);

    ck_assert_int_eq(afz_suite_preload_blocker(go, why, sizeof(why)), 1);
    ck_assert_ptr_nonnull(strstr(why, "Go binary"));
    snprintf(cmd, sizeof(cmd), "LEGO_CA_CERTIFICATES={ca_bundle} %s --server {directory}", go);
    ck_assert_int_eq(afz_suite_preload_blocker(cmd, why, sizeof(why)), 1);
    ck_assert_int_eq(afz_suite_preload_blocker(stat_bin, why, sizeof(why)), 1);
    ck_assert_ptr_nonnull(strstr(why, "statically linked"));

    /* a script runs its interpreter: here the Go one */
    FILE *f = fopen(script, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!%s\n", go);
    fclose(f);
    chmod(script, 0755);
    ck_assert_int_eq(afz_suite_preload_blocker(script, why, sizeof(why)), 1);

    /* dynamic binaries and what cannot be told */
    ck_assert_int_eq(afz_suite_preload_blocker("/bin/sh -c true", why, sizeof(why)), 0);
    ck_assert_int_eq(afz_suite_preload_blocker("FOO=1 /bin/sh", why, sizeof(why)), 0);
    ck_assert_int_eq(afz_suite_preload_blocker("no-such-program-afz --x", why, sizeof(why)), 0);
    ck_assert_int_eq(afz_suite_preload_blocker("(test -f x || true)", why, sizeof(why)), 0);
    /* this binary holds Go's magic string in its data, yet is no Go binary */
    char self[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    ck_assert_int_gt(n, 0);
    self[n] = '\0';
    ck_assert_int_eq(afz_suite_preload_blocker(self, why, sizeof(why)), 0);
    ck_assert_uint_gt(strlen(check_go_magic), 0);

    remove(go);
    remove(stat_bin);
    remove(script);
    rmdir(dir);
}
END_TEST

Suite *suite_faketime_suite(void)
{
    Suite *s = suite_create("suite_faketime");
    TCase *tc = tcase_create("preload");
    tcase_add_test(tc, test_preload_blocker_kinds);
    suite_add_tcase(s, tc);
    return s;
}
