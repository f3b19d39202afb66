/* Fuzz the rpm header blob parser. */
#include "fuzz_lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        struct scan_file f = { "var/lib/rpm/rpmdb.sqlite", n, 0100644, "l", NULL, NULL };
        struct pkg_list l = { 0 };
        (void)lang__rpm_header_parse(d, n, &f, &l);
        pkg_list_clear(&l);
        return 0;
}
