/* Fuzz the cgroup path -> container id parser (single path and whole file). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/bpf/tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        char *copy = malloc(n ? n : 1);
        if (!copy)
                return 0;
        memcpy(copy, d, n);
        char out[SENSOR_CONTAINER_ID_MAX + 1];
        const char *rt = NULL;
        if (sensor_cgroup_container_id(copy, n, out, sizeof(out), &rt) == 0 &&
            (strlen(out) < 12 || strlen(out) > 64 || !rt))
                abort();
        char small[16];
        if (sensor_cgroup_file_container_id(copy, n, small, sizeof(small), &rt) == 0 && strlen(small) >= 16)
                abort();
        free(copy);
        return 0;
}
