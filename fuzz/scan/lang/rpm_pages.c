/* Fuzz Berkeley DB hash and NDB page parsing (same input, both formats). */
#include "fuzz_lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        struct scan_file f = { "var/lib/rpm/Packages", n, 0100644, "l", NULL, NULL };
        struct pkg_list l = { 0 };
        (void)lang__rpm_bdb_parse_buf(d, n, &f, &l);
        pkg_list_clear(&l);
        (void)lang__rpm_ndb_parse_buf(d, n, &f, &l);
        pkg_list_clear(&l);
        return 0;
}
