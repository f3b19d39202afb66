/* Fuzz the Python METADATA / PKG-INFO parser through lang_parse(). */
#include "fuzz_lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        fuzz_run(LANG_PY_META, "usr/lib/python3/dist-packages/x.dist-info/METADATA", d, n);
        return 0;
}
