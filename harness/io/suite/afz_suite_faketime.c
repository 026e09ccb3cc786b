/* afz_suite_faketime.c - faster clocks for suite and fuzz runs (afz_suite.h,
 * "faster clocks"): where libfaketime is, and whether a client can load
 * it at all. */
#define _XOPEN_SOURCE 700
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afz_suite.h"

const char *afz_suite_faketime_lib(void)
{
    static char found[512];
    const char *env = getenv("AFZ_FAKETIME_LIB");
    if (env && *env) {
        snprintf(found, sizeof(found), "%s", env);
        return access(found, R_OK) == 0 ? found : NULL;
    }
    static const char *const dirs[] = {
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib/i386-linux-gnu",
        "/usr/lib/arm-linux-gnueabihf",
        "/usr/lib64",
        "/usr/lib",
    };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(found, sizeof(found), "%s/faketime/libfaketime.so.1", dirs[i]);
        if (access(found, R_OK) == 0)
            return found;
    }
    return NULL;
}

/* first_program copies the first word of |cmd| that is not a variable
 * assignment (NAME=value), without a leading '(' */
static int first_program(const char *cmd, char *out, size_t n)
{
    const char *p = cmd;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '(')
            p++;
        size_t len = strcspn(p, " \t;|&)");
        if (!len || len >= n)
            return -1;
        const char *eq = memchr(p, '=', len);
        if (eq && eq != p) {
            p += len;
            continue;
        }
        memcpy(out, p, len);
        out[len] = '\0';
        return 0;
    }
}

static int resolve(const char *prog, char *out, size_t n)
{
    if (strchr(prog, '/')) {
        snprintf(out, n, "%s", prog);
        return access(out, X_OK) == 0 ? 0 : -1;
    }
    const char *path = getenv("PATH");
    for (const char *p = path ? path : ""; *p;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        snprintf(out, n, "%.*s/%s", (int)len, len ? p : ".", prog);
        if (access(out, X_OK) == 0)
            return 0;
        if (!colon)
            break;
        p = colon + 1;
    }
    return -1;
}

/* elf_kind reads the ELF64 headers of |f|: 2 a Go binary (a section
 * named .go.buildinfo or .note.go.buildid), 1 static (no PT_INTERP),
 * 0 dynamic, -1 not an ELF64 file this can read. */
static int elf_kind(FILE *f)
{
    Elf64_Ehdr eh;
    rewind(f);
    if (fread(&eh, sizeof(eh), 1, f) != 1 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return -1;
    int interp = 0;
    for (unsigned i = 0; i < eh.e_phnum && i < 256; i++) {
        Elf64_Phdr ph;
        if (fseek(f, (long)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize), SEEK_SET) != 0 ||
            fread(&ph, sizeof(ph), 1, f) != 1)
            return -1;
        interp |= ph.p_type == PT_INTERP;
    }
    Elf64_Shdr strs;
    if (eh.e_shoff && eh.e_shstrndx < eh.e_shnum &&
        fseek(f, (long)(eh.e_shoff + (Elf64_Off)eh.e_shstrndx * eh.e_shentsize), SEEK_SET) == 0 &&
        fread(&strs, sizeof(strs), 1, f) == 1) {
        for (unsigned i = 0; i < eh.e_shnum && i < 4096; i++) {
            Elf64_Shdr sh;
            char name[32];
            if (fseek(f, (long)(eh.e_shoff + (Elf64_Off)i * eh.e_shentsize), SEEK_SET) != 0 ||
                fread(&sh, sizeof(sh), 1, f) != 1 ||
                fseek(f, (long)(strs.sh_offset + sh.sh_name), SEEK_SET) != 0)
                break;
            size_t got = fread(name, 1, sizeof(name) - 1, f);
            name[got] = '\0';
            if (strcmp(name, ".go.buildinfo") == 0 || strcmp(name, ".note.go.buildid") == 0)
                return 2;
        }
    }
    return interp ? 0 : 1;
}

int afz_suite_preload_blocker(const char *command, char *why, size_t n)
{
    char prog[512], path[1024];
    why[0] = '\0';
    for (int depth = 0; depth < 3; depth++) {
        if (first_program(command, prog, sizeof(prog)) != 0 ||
            resolve(prog, path, sizeof(path)) != 0)
            return 0;
        FILE *f = fopen(path, "rb");
        if (!f)
            return 0;
        char head[256];
        size_t got = fread(head, 1, sizeof(head) - 1, f);
        head[got] = '\0';
        if (got > 2 && head[0] == '#' && head[1] == '!') {
            fclose(f);
            /* the interpreter (and "/usr/bin/env python3": env, then python3) */
            char line[256];
            snprintf(line, sizeof(line), "%s", head + 2);
            line[strcspn(line, "\n")] = '\0';
            char *sp = line + strspn(line, " \t");
            if (strncmp(sp, "/usr/bin/env ", 13) == 0)
                sp += 13;
            snprintf(path, sizeof(path), "%s", sp);
            command = path;
            continue;
        }
        int kind = elf_kind(f);
        fclose(f);
        if (kind == 2) {
            snprintf(why, n,
                     "%s is a Go binary: Go makes its system calls itself and never "
                     "loads LD_PRELOAD",
                     prog);
            return 1;
        }
        if (kind == 1) {
            snprintf(why, n, "%s is statically linked: it does not load LD_PRELOAD", prog);
            return 1;
        }
        return 0;
    }
    return 0;
}
