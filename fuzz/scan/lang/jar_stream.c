/* Fuzz Java archive reading (libarchive zip stream, nested archives, pom/manifest). */
#include "fuzz_lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        fuzz_run(LANG_JAVA_ARCHIVE, "srv/app.war", d, n);
        return 0;
}
