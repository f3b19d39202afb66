/*
 * Fuzz Go build info decoding. The input is placed right after an ELF
 * header and the build info magic, so it starts at the pointer-size byte;
 * it is also fed to the module-info line parser directly.
 */
#include <stdlib.h>

#include "fuzz_lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        if (n > (1u << 20))
                return 0;
        uint8_t *b = malloc(64 + 14 + n);
        if (!b)
                return 0;
        memset(b, 0, 64);
        memcpy(b, "\x7f" "ELF", 4);
        memcpy(b + 64, "\xff Go buildinf:", 14);
        memcpy(b + 78, d, n);
        fuzz_run(LANG_GO_BINARY, "usr/bin/x", b, 78 + n);
        free(b);
        struct scan_file f = { "usr/bin/x", n, 0100755, "l", NULL, NULL };
        struct pkg_list l = { 0 };
        (void)lang__go_modinfo_parse("go1.21.0", (const char *)d, n, &f, &l);
        pkg_list_clear(&l);
        return 0;
}
