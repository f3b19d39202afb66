/* fuzz_vuln_osv - one OSV record through osv_parse(). */
#include "vuln/vuln.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        json_t *a = NULL;

        if (osv_parse((const char *)d, n, &a) == 0)
                json_decref(a);
        return 0;
}
