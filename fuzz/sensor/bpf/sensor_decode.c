/* Fuzz the ring buffer record decoder, then feed what it accepts to the
 * process table (offline) so the event -> table path is exercised too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/bpf/decode.h"
#include "sensor/bpf/tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        static struct sensor_decoder dec;
        static struct sensor_tables *t;
        if (!t) {
                struct sensor_tables_opts o = { .max_procs = 64, .no_procfs = 1, .no_runtime_metadata = 1 };
                if (sensor_tables_new_opts(&o, &t) < 0)
                        abort();
        }
        /* exact-size copy so reads past n are caught by ASan */
        uint8_t *copy = malloc(n ? n : 1);
        if (!copy)
                return 0;
        memcpy(copy, d, n);
        if (sensor_decode(&dec, copy, n, 0) == 0) {
                sensor_tables_update_ext(t, &dec.ev, &dec.x);
                const char *c = sensor_tables_container_of(t, dec.ev.pid, dec.ev.cgroup_id);
                if (!c)
                        abort();
                for (uint32_t i = 0; i < dec.ev.argc; i++)
                        if (strlen(dec.ev.argv[i]) > SW_DATA_MAX)
                                abort();
        }
        free(copy);
        return 0;
}
