/* fuzz_vuln_debian_tracker - the Debian security tracker JSON parser. */
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
        debian_tracker_parse((const char *)d, n, cb, NULL, NULL);
        return 0;
}
