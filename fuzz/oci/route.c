/* Fuzz request routing: repository names, tags, digests and upload ids from a path. */
#include "registry/route.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *path = malloc(size + 1);
        struct route r;

        if (!path)
                return 0;
        memcpy(path, data, size);
        path[size] = '\0';
        if (route_parse(path, &r) == RE_OK && r.name[0]) {
                /* an accepted name must satisfy the grammar and never escape */
                if (!oci_name_valid(r.name, strlen(r.name)) || strstr(r.name, ".."))
                        __builtin_trap();
        }
        free(path);
        return 0;
}
