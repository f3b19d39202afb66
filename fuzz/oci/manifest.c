/* Fuzz the manifest/index parser with arbitrary bytes and a Content-Type picked from the input. */
#include "oci/oci.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *types[] = { NULL, MT_OCI_MANIFEST, MT_OCI_INDEX, MT_DOCKER_MANIFEST,
                                       MT_DOCKER_LIST, "application/x-nope" };
        struct oci_manifest m;
        const char *ct;

        if (size == 0)
                return 0;
        ct = types[data[0] % 6];
        if (oci_manifest_parse((const char *)data + 1, size - 1, ct, &m) == 0) {
                /* every accepted descriptor must carry a valid digest */
                for (size_t i = 0; i < m.n_items; i++)
                        if (m.items[i].digest.str[0] != 's')
                                __builtin_trap();
                oci_manifest_free(&m);
        }
        return 0;
}
