/*
 * sensor_record.c - fuzz the recorded-event (JSON lines) decoder, then
 * re-encode what it accepted so the writer sees the decoder's output.
 */
#include "sensor/rules/record.h"

#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        struct record_dec *dec = record_dec_new();
        static struct record_line rl;
        if (!dec)
                return 0;
        if (record_decode(dec, (const char *)d, n, &rl) == 0 && rl.has_event) {
                FILE *f = fopen("/dev/null", "w");
                const struct sensor_proc *chain[RECORD_MAX_PROCS];
                for (size_t i = 0; i < rl.nprocs; i++)
                        chain[i] = &rl.procs[i];
                if (f) {
                        (void)record_write(f, &rl.ev, chain, rl.nprocs, rl.has_container ? &rl.cont : NULL);
                        fclose(f);
                }
        }
        record_dec_free(dec);
        return 0;
}
