/*
 * cli.c - "douane sensor" as a user runs it: --list-rules on Falco's stable
 * rules marks every rule evaluable, --replay prints Falco JSON lines, bad
 * rules exit 3 with file:line, bad usage exits 2, bad event files exit 4.
 * The binary comes from meson (DOUANE_BIN in the environment).
 */
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int run(const char *args, char *out, size_t outsz)
{
        const char *bin = getenv("DOUANE_BIN");
        char cmd[2048];
        snprintf(cmd, sizeof(cmd), "%s sensor %s 2>&1", bin ? bin : "douane", args);
        FILE *p = popen(cmd, "r");
        if (!p)
                return -1;
        size_t n = fread(out, 1, outsz - 1, p);
        out[n] = 0;
        int st = pclose(p);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char buf[1 << 20];

TEST(list_rules_marks_every_stable_rule_evaluable)
{
        if (!getenv("DOUANE_BIN"))
                SKIP("DOUANE_BIN not set");
        CHECK_INT(run("--rules " DOUANE_SHARED_DIR "/rules/falco_rules.yaml --list-rules", buf, sizeof(buf)), 0);
        int rules = 0, evaluable = 0;
        for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
                if (strstr(l, "falco_rules.yaml:")) {
                        rules++;
                        evaluable += strstr(l, " yes      yes ") != NULL;
                }
        }
        CHECK_INT(rules, 25);
        CHECK_INT(evaluable, 25);
}

TEST(replay_prints_falco_json)
{
        if (!getenv("DOUANE_BIN"))
                SKIP("DOUANE_BIN not set");
        CHECK_INT(run("--rules " DOUANE_SHARED_DIR "/rules/falco_rules.yaml --replay " DOUANE_TEST_DATA
                      "/sensor/shadow_read.jsonl", buf, sizeof(buf)), 0);
        CHECK(strstr(buf, "{\"hostname\":") == buf);
        CHECK(strstr(buf, "\"rule\":\"Read sensitive file untrusted\"") != NULL);
        CHECK_INT(run("--rules " DOUANE_SHARED_DIR "/rules/falco_rules.yaml --format text --replay " DOUANE_TEST_DATA
                      "/sensor/memfd_exec.jsonl", buf, sizeof(buf)), 0);
        CHECK(strstr(buf, "2026-11-23T05:00:05.000100000Z: Critical Fileless execution via memfd_create") == buf);
}

TEST(errors_and_exit_codes)
{
        if (!getenv("DOUANE_BIN"))
                SKIP("DOUANE_BIN not set");
        FILE *f = fopen("sensor_cli_bad.yaml", "w");
        fputs("- macro: a\n  condition: b\n- macro: b\n  condition: a\n"
              "- rule: r\n  condition: evt.type = open and a\n  output: o\n  priority: info\n", f);
        fclose(f);
        CHECK_INT(run("--rules sensor_cli_bad.yaml --list-rules", buf, sizeof(buf)), 3);
        CHECK(strstr(buf, "sensor_cli_bad.yaml:") != NULL && strstr(buf, "macro cycle") != NULL);
        remove("sensor_cli_bad.yaml");
        CHECK_INT(run("--format xml", buf, sizeof(buf)), 2);
        CHECK_INT(run("--help", buf, sizeof(buf)), 0);
        CHECK(strstr(buf, "--replay FILE") != NULL);
        f = fopen("sensor_cli_bad.jsonl", "w");
        fputs("{\"type\":\"open\",\"pid\":1,\"syscall\":\"openat\",\"path\":\"/etc/shadow\"}\nnot json\n", f);
        fclose(f);
        CHECK_INT(run("--rules " DOUANE_SHARED_DIR "/rules/falco_rules.yaml --replay sensor_cli_bad.jsonl", buf, sizeof(buf)), 4);
        CHECK(strstr(buf, "first at line 2") != NULL);
        remove("sensor_cli_bad.jsonl");
}

TAP_MAIN()
