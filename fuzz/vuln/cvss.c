/* fuzz_vuln_cvss - CVSS v3/v4 vector parser; scores must stay in [0, 10]. */
#include "vuln/vuln.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        struct cvss c;

        /* the parser is bounded by n and must not read past it (ASan checks) */
        if (cvss_parse((const char *)d, n, &c) == 0 && c.version != 40 && (c.score < 0 || c.score > 10))
                abort();
        return 0;
}
