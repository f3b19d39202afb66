/* fuzz_vuln_alpine_secdb - Alpine secdb, JSON or (first byte odd) YAML. */
#include "vuln/vuln.h"

#include <stddef.h>
#include <stdint.h>

static int cb(void *ctx, json_t *adv)
{
        (void)ctx;
        return json_is_object(adv) ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        char ids[8][VULN_ID_MAX];
        char s[512];

        if (n == 0)
                return 0;
        alpine_secdb_parse((const char *)d + 1, n - 1, d[0] & 1, cb, NULL, NULL);
        /* the id splitter on a NUL-terminated prefix */
        size_t m = n - 1 < sizeof(s) - 1 ? n - 1 : sizeof(s) - 1;
        __builtin_memcpy(s, d + 1, m);
        s[m] = 0;
        alpine_clean_ids(s, ids, 8);
        return 0;
}
