/* libFuzzer target: apk-tools installed database parser. */
#include <stdint.h>
#include <string.h>

#include "scan/ospkg.h"

static int owned(void *ctx, const char *owner, const char *path)
{
        (void)ctx;
        if (strlen(owner) > OSPKG_MAX_FIELD || strlen(path) > OSPKG_MAX_FIELD)
                __builtin_trap();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        struct pkg_list l = { 0 };

        apk_installed_parse((const char *)d, n, "sha256:0", "lib/apk/db/installed", &l, owned, NULL);
        pkg_list_clear(&l);
        return 0;
}
