/* libFuzzer target: os-release and the classic release-file fallbacks. */
#include <stdint.h>

#include "scan/ospkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        struct os_release r = { 0 };

        os_release_parse((const char *)d, n, &r);
        for (int k = OS_FB_DEBIAN_VERSION; k <= OS_FB_LSB_RELEASE; k++)
                os_fallback_parse((enum os_fallback)k, (const char *)d, n, &r);
        os_release_clear(&r);
        return 0;
}
