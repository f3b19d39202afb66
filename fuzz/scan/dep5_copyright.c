/* libFuzzer target: DEP-5 / free-form copyright to an SPDX expression. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>

#include "scan/ospkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        char *e = NULL;

        dep5_license((const char *)d, n, &e);
        /* the result must always be a printable SPDX-shaped expression */
        for (const char *c = e; c && *c; c++)
                if (!isalnum((unsigned char)*c) && *c != ' ' && *c != '(' && *c != ')' && *c != '-' &&
                    *c != '.' && *c != '+')
                        __builtin_trap();
        free(e);
        return 0;
}
