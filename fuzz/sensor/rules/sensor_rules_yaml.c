/*
 * sensor_rules_yaml.c - fuzz the rules file loader end to end: YAML tree,
 * list/macro/rule merging, compilation, then one evaluation of an event so
 * the compiled tree and output formatting run on whatever got through.
 */
#include "sensor/rules/rules.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>

static int sink(void *arg, const struct rules_alert *a)
{
        (void)arg;
        (void)a;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        if (n > 262144)
                return 0;
        struct rules_engine *e = rules_engine_new();
        if (!e)
                return 0;
        if (rules_engine_load(e, "fuzz.yaml", (const char *)d, n) == 0 && rules_engine_compile(e) == 0) {
                static const struct rules_ctx_ops none = { 0 };
                rules_engine_set_ctx(e, &none, NULL);
                const char *argv[] = { "sh", "-c", "id" };
                struct sensor_event evs[3] = {
                        { .type = EVT_OPEN, .syscall = "openat", .pid = 2, .comm = "cat", .container_id = "",
                          .res = 3, .path = "/etc/shadow", .flags = O_RDONLY },
                        { .type = EVT_EXECVE, .syscall = "execve", .pid = 3, .comm = "sh", .container_id = "abc",
                          .path = "/bin/sh", .argc = 3 },
                        { .type = EVT_CONNECT, .syscall = "connect", .pid = 4, .comm = "nc", .container_id = "",
                          .sock_family = 2, .sock_type = 1, .sip = "127.0.0.1", .dip = "10.0.0.1", .dport = 4444 },
                };
                memcpy(evs[1].argv, argv, sizeof(argv));
                for (int i = 0; i < 3; i++)
                        (void)rules_engine_eval(e, &evs[i], sink, NULL);
        }
        rules_engine_free(e);
        return 0;
}
