/* cmd_list.c - `acmefuzz list [clients|faults|properties|dict]`: the
 * built-in clients, the fault catalog, the properties, and a libFuzzer
 * dictionary generated from the catalog. */
#include <stdio.h>
#include <string.h>

#include "afz_acme.h"
#include "afz_cli.h"
#include "afz_clients.h"
#include "afz_fault.h"
#include "afz_plan.h"
#include "afz_property.h"
#include "afz_resource.h"

int afz_cmd_list(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "clients";
    if (strcmp(what, "clients") == 0) {
        printf("%-24s %-24s %s\n", "CLIENT", "EXPECTED VIOLATION", "DESCRIPTION");
        for (size_t i = 0; i < afz_clients_count(); i++) {
            const afz_client *c = afz_clients_get(i);
            printf("%-24s %-24s %s\n", c->name, c->expected_property ? c->expected_property : "-",
                   c->description);
        }
        return 0;
    }
    if (strcmp(what, "faults") == 0) {
        for (int cls = AFZ_CLASS_LEGAL; cls < AFZ_CLASS__COUNT; cls++) {
            printf("%s%s faults:\n", cls ? "\n" : "", afz_fault_class_name((afz_fault_class)cls));
            for (size_t i = 0; i < AFZ_FAULT__COUNT; i++) {
                const afz_fault_def *d = afz_fault_get((afz_fault_id)i);
                if ((int)d->cls != cls)
                    continue;
                printf("  %-26s [%s, %s%s] %s\n", d->name,
                       d->resource == AFZ_RES_UNKNOWN ? "any" : afz_resource_name(d->resource),
                       afz_fault_mech_name(d->mech), d->retired ? ", retired: a no-op" : "",
                       d->description);
                for (size_t a = 0; a < d->n_args; a++)
                    printf("  %-26s   %s = %s\n", "", d->args[a].name,
                           afz_arg_type_name(d->args[a].type));
                printf("  %-26s   source: %s\n", "", d->reference);
            }
        }
        return 0;
    }
    if (strcmp(what, "dict") == 0) {
        /* A libFuzzer dictionary, generated so it never drifts: the ACME
         * vocabulary (afz_acme.h: statuses, problem types, member and
         * header names), the scenario language's tokens, the resource
         * kinds and the fault catalog with its argument values. */
        size_t k = 0, n = 0;
        for (unsigned st = 0; st < AFZ_ST__COUNT; st++)
            printf("acme%zu=\"%s\"\n", k++, afz_status_name((afz_status)st));
        const afz_problem_type *pt = afz_problem_types(&n);
        for (size_t i = 0; i < n; i++)
            printf("acme%zu=\"%s\"\n", k++, pt[i].name);
        const char *const *words = afz_acme_tokens(&n);
        for (size_t i = 0; i < n; i++) {
            printf("acme%zu=\"", k++);
            for (const char *c = words[i]; *c; c++) {
                if (*c == '"' || *c == '\\')
                    putchar('\\');
                putchar(*c);
            }
            printf("\"\n");
        }
        static const char *const scenario_tokens[] = {
            "identifiers ", "account-key ", "attempts ", " -> ", " * ",
            " @",           " after ",      "(",         ")",    "=",
            ", ",           "any",
        };
        for (size_t i = 0; i < sizeof(scenario_tokens) / sizeof(scenario_tokens[0]); i++)
            printf("scn%zu=\"%s\"\n", i, scenario_tokens[i]);
        for (int r = 1; r < AFZ_RES__COUNT; r++)
            printf("res%d=\"%s\"\n", r, afz_resource_name((afz_resource)r));
        for (size_t i = 0; i < AFZ_FAULT__COUNT; i++) {
            const afz_fault_def *d = afz_fault_get((afz_fault_id)i);
            printf("fault%zu=\"%s\"\n", i, d->name);
            for (size_t a = 0; a < d->n_args; a++) {
                printf("arg%zu_%zu=\"%s=\"\n", i, a, d->args[a].name);
                if (i > 0 && afz_fault_get((afz_fault_id)(i - 1))->n_args > a &&
                    afz_fault_get((afz_fault_id)(i - 1))->args[a].type == d->args[a].type)
                    continue;
                char scratch[16];
                for (unsigned v = 0; v < afz_arg_domain(d->args[a].type); v++) {
                    const char *tok = afz_arg_value_name(d->args[a].type, v, scratch);
                    if (tok && *tok && !strchr(tok, '"') && !strchr(tok, '\\'))
                        printf("val%zu_%zu_%u=\"%s\"\n", i, a, v, tok);
                }
            }
        }
        return 0;
    }
    if (strcmp(what, "properties") == 0) {
        size_t n = 0;
        const afz_property *p = afz_properties(&n);
        printf("%-22s %-6s %-34s %s\n", "PROPERTY", "LEVEL", "SOURCE", "RATIONALE");
        for (size_t i = 0; i < n; i++)
            printf("%-22s %-6s %-34s %s\n", p[i].id, afz_level_name(p[i].level), p[i].rfc,
                   p[i].rationale);
        return 0;
    }
    fprintf(stderr, "acmefuzz list: unknown list '%s' (known: clients, faults, properties, dict)\n",
            what);
    return 2;
}
