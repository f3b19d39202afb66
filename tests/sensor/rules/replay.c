/*
 * replay.c - recorded scenario files (tests/data/sensor) replayed through
 * Falco's stable rules plus douane's: the right rules fire with the right
 * output fields, and the quiet baseline raises nothing.
 */
#include "sensor/bpf/tables.h"
#include "sensor/rules/output.h"
#include "sensor/rules/replay.h"
#include "sensor/rules/rules.h"
#include "tap.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXA 16

struct got {
        int n;
        char rule[MAXA][128];
        char *json[MAXA];
};

static int collect(void *arg, const struct rules_alert *a)
{
        struct got *g = arg;
        if (g->n < MAXA) {
                snprintf(g->rule[g->n], sizeof(g->rule[0]), "%s", a->rule);
                g->json[g->n] = alert_to_json(a, "testhost");
        }
        g->n++;
        return 0;
}

static void got_free(struct got *g)
{
        for (int i = 0; i < g->n && i < MAXA; i++)
                free(g->json[i]);
}

static int replay(const char *name, struct got *g)
{
        memset(g, 0, sizeof(*g));
        struct rules_engine *e = rules_engine_new();
        int rc = rules_engine_load_file(e, DOUANE_SHARED_DIR "/rules/falco_rules.yaml");
        if (rc == 0)
                rc = rules_engine_load_file(e, DOUANE_TEST_DATA "/../../rules/douane_rules.yaml");
        if (rc == 0)
                rc = rules_engine_compile(e);
        if (rc < 0) {
                printf("# %s\n", dou_err_msg());
                rules_engine_free(e);
                return rc;
        }
        char path[512];
        snprintf(path, sizeof(path), DOUANE_TEST_DATA "/sensor/%s", name);
        FILE *f = fopen(path, "r");
        if (!f) {
                rules_engine_free(e);
                return -1;
        }
        struct sensor_tables *t = sensor_tables_new();
        struct replay_stats st;
        rc = sensor_replay(e, f, t, collect, g, &st);
        if (st.bad_lines) {
                printf("# %s: bad line %llu: %s\n", name, (unsigned long long)st.first_bad_line, st.first_error);
                rc = -1;
        }
        fclose(f);
        sensor_tables_free(t);
        rules_engine_free(e);
        return rc;
}

static int count_rule(const struct got *g, const char *rule)
{
        int n = 0;
        for (int i = 0; i < g->n && i < MAXA; i++)
                n += !strcmp(g->rule[i], rule);
        return n;
}

static bool has(const struct got *g, const char *rule, const char *needle)
{
        for (int i = 0; i < g->n && i < MAXA; i++)
                if (!strcmp(g->rule[i], rule) && g->json[i] && strstr(g->json[i], needle))
                        return true;
        printf("# no '%s' alert containing %s\n", rule, needle);
        return false;
}

TEST(read_shadow_by_cat)
{
        struct got g;
        CHECK_INT(replay("shadow_read.jsonl", &g), 0);
        CHECK_INT(g.n, 1);
        CHECK_INT(count_rule(&g, "Read sensitive file untrusted"), 1);
        CHECK(has(&g, "Read sensitive file untrusted", "\"fd.name\":\"/etc/shadow\""));
        CHECK(has(&g, "Read sensitive file untrusted", "\"proc.name\":\"cat\""));
        CHECK(has(&g, "Read sensitive file untrusted", "\"proc.cmdline\":\"cat /etc/shadow\""));
        CHECK(has(&g, "Read sensitive file untrusted", "\"proc.pname\":\"bash\""));
        CHECK(has(&g, "Read sensitive file untrusted", "\"proc.aname[2]\":\"sshd\""));
        CHECK(has(&g, "Read sensitive file untrusted", "\"proc.aname[4]\":null"));
        CHECK(has(&g, "Read sensitive file untrusted", "\"user.loginuid\":1000"));
        CHECK(has(&g, "Read sensitive file untrusted", "\"priority\":\"Warning\""));
        CHECK(has(&g, "Read sensitive file untrusted", "\"time\":\"2026-11-23T05:00:00.200000000Z\""));
        CHECK(has(&g, "Read sensitive file untrusted", "\"source\":\"syscall\""));
        CHECK(has(&g, "Read sensitive file untrusted", "\"hostname\":\"testhost\""));
        CHECK(has(&g, "Read sensitive file untrusted", "\"tags\":[\"maturity_stable\""));
        got_free(&g);
}

TEST(terminal_shell_in_container)
{
        struct got g;
        CHECK_INT(replay("terminal_shell_container.jsonl", &g), 0);
        CHECK_INT(g.n, 1);
        CHECK_INT(count_rule(&g, "Terminal shell in container"), 1);
        CHECK(has(&g, "Terminal shell in container", "\"proc.tty\":34817"));
        CHECK(has(&g, "Terminal shell in container", "\"proc.pname\":\"containerd-shim\""));
        CHECK(has(&g, "Terminal shell in container", "\"proc.exepath\":\"/bin/sh\""));
        got_free(&g);
}

TEST(write_below_etc)
{
        struct got g;
        CHECK_INT(replay("write_etc.jsonl", &g), 0);
        CHECK_INT(g.n, 1);
        CHECK_INT(count_rule(&g, "Write below /etc"), 1);
        CHECK(has(&g, "Write below /etc", "\"fd.name\":\"/etc/cron.d/evil\""));
        CHECK(has(&g, "Write below /etc", "\"evt.arg.flags\":\"O_WRONLY|O_CREAT|O_TRUNC\""));
        CHECK(has(&g, "Write below /etc", "\"container.id\":\"c0ffee012345\""));
        CHECK(has(&g, "Write below /etc", "\"container.image.repository\":\"docker.io/library/nginx\""));
        got_free(&g);
}

TEST(reverse_shell_connect_and_redirect)
{
        struct got g;
        CHECK_INT(replay("reverse_shell.jsonl", &g), 0);
        CHECK_INT(g.n, 4);
        CHECK_INT(count_rule(&g, "Reverse shell connect"), 1);
        CHECK_INT(count_rule(&g, "Redirect STDOUT/STDIN to Network Connection in Container"), 3);
        CHECK(has(&g, "Reverse shell connect", "\"fd.name\":\"127.0.0.1:41000->127.0.0.1:4444\""));
        CHECK(has(&g, "Reverse shell connect", "\"fd.sport\":4444"));
        CHECK(has(&g, "Redirect STDOUT/STDIN to Network Connection in Container", "\"fd.rport\":4444"));
        CHECK(has(&g, "Redirect STDOUT/STDIN to Network Connection in Container", "\"fd.type\":\"ipv4\""));
        CHECK(has(&g, "Redirect STDOUT/STDIN to Network Connection in Container", "\"fd.l4proto\":\"tcp\""));
        CHECK(has(&g, "Redirect STDOUT/STDIN to Network Connection in Container", "\"evt.type\":\"dup2\""));
        got_free(&g);
}

TEST(exec_from_dev_shm)
{
        struct got g;
        CHECK_INT(replay("devshm_exec.jsonl", &g), 0);
        CHECK_INT(g.n, 1);
        CHECK_INT(count_rule(&g, "Execution from /dev/shm"), 1);
        CHECK(has(&g, "Execution from /dev/shm", "\"proc.exepath\":\"/dev/shm/payload\""));
        CHECK(has(&g, "Execution from /dev/shm", "\"proc.cmdline\":\"payload --beacon\""));
        CHECK(has(&g, "Execution from /dev/shm", "\"evt.res\":\"SUCCESS\""));
        got_free(&g);
}

TEST(memfd_exec)
{
        struct got g;
        CHECK_INT(replay("memfd_exec.jsonl", &g), 0);
        CHECK_INT(g.n, 1);
        CHECK_INT(count_rule(&g, "Fileless execution via memfd_create"), 1);
        CHECK(has(&g, "Fileless execution via memfd_create", "\"proc.exepath\":\"memfd:payload\""));
        CHECK(has(&g, "Fileless execution via memfd_create", "\"evt.type\":\"execveat\""));
        CHECK(has(&g, "Fileless execution via memfd_create", "\"priority\":\"Critical\""));
        got_free(&g);
}

TEST(setuid_to_root)
{
        struct got g;
        CHECK_INT(replay("setuid.jsonl", &g), 0);
        CHECK_INT(g.n, 1);
        CHECK_INT(count_rule(&g, "Privilege change to root"), 1);
        CHECK(has(&g, "Privilege change to root", "\"user.uid\":1000"));
        CHECK(has(&g, "Privilege change to root", "\"evt.arg.uid\":\"0\""));
        got_free(&g);
}

TEST(quiet_baseline)
{
        struct got g;
        CHECK_INT(replay("baseline.jsonl", &g), 0);
        CHECK_INT(g.n, 0);
        for (int i = 0; i < g.n && i < MAXA; i++)
                printf("# unexpected: %s\n", g.rule[i]);
        got_free(&g);
}

TAP_MAIN()
