/* fuzz_vuln_openvex - OpenVEX document parser. */
#include "vuln/vuln.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        json_t *v = NULL;

        if (vex_parse((const char *)d, n, &v) == 0)
                json_decref(v);
        return 0;
}
