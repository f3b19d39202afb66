/*
 * sensor_rules_cond.c - fuzz the Falco condition parser/compiler with a few
 * lists and macros defined, so list expansion and macro references run too.
 */
#include "sensor/rules/rules.h"

#include <stdint.h>
#include <string.h>

static const char prelude[] =
        "- list: shells\n  items: [bash, sh, '\"q u\"']\n"
        "- list: more\n  items: [shells, zsh]\n"
        "- macro: spawned\n  condition: evt.type in (execve, execveat)\n"
        "- macro: sh\n  condition: proc.name in (more)\n";

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        if (n > 65536)
                return 0;
        struct rules_engine *e = rules_engine_new();
        if (!e)
                return 0;
        if (rules_engine_load(e, "prelude", prelude, sizeof(prelude) - 1) == 0)
                (void)rules_condition_check(e, (const char *)d, n);
        rules_engine_free(e);
        return 0;
}
