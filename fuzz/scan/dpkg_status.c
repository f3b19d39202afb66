/* libFuzzer target: dpkg status / status.d parser and the .list ownership parser. */
#include <stdint.h>
#include <string.h>

#include "scan/ospkg.h"

static int owned(void *ctx, const char *owner, const char *path)
{
        (void)ctx;
        return owner[0] == 0 && path[0] == 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        struct pkg_list l = { 0 };

        dpkg_status_parse((const char *)d, n, "sha256:0", "var/lib/dpkg/status", n & 1, &l);
        for (size_t i = 0; i < l.len; i++)
                if (!l.items[i].name || !l.items[i].version || !strlen(l.items[i].name))
                        __builtin_trap();
        pkg_list_clear(&l);
        dpkg_list_parse((const char *)d, n, "x", owned, NULL);
        return 0;
}
