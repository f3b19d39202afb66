/* Fuzz npm package.json and package-lock.json parsing (same input, both parsers). */
#include "fuzz_lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        fuzz_run(LANG_NPM_PACKAGE, "app/node_modules/x/package.json", d, n);
        fuzz_run(LANG_NPM_LOCK, "app/package-lock.json", d, n);
        return 0;
}
