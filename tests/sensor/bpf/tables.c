/* Process/container tables: /proc seeding (this process and a fake /proc
 * with a docker container), exec/clone/exit updates, deferred exit, pid
 * reuse, replay inserts, and bounded memory under 100k-pid churn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sensor/bpf/tables.h"
#include "tap.h"
#include "util/err.h"

#define H64 "3f2504e04f8911d39a0c0305e82c33013f2504e04f8911d39a0c0305e82c3301"

static void write_file(const char *dir, const char *name, const char *data, size_t len)
{
        char p[1024];
        if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
                return;
        FILE *f = fopen(p, "w");
        if (!f)
                return;
        fwrite(data, 1, len, f);
        fclose(f);
}

static struct sensor_event ev_of(enum sensor_evt_type type, uint32_t pid, uint32_t ppid)
{
        struct sensor_event e = { .type = type, .pid = pid, .tid = pid, .ppid = ppid, .comm = "x",
                                  .container_id = "" };
        return e;
}

static struct sensor_tables *offline(size_t max)
{
        struct sensor_tables_opts o = { .max_procs = max, .no_procfs = 1, .no_runtime_metadata = 1 };
        struct sensor_tables *t = NULL;
        CHECK_INT(sensor_tables_new_opts(&o, &t), 0);
        return t;
}

TEST(seed_from_proc_knows_this_process)
{
        struct sensor_tables *t = sensor_tables_new();
        CHECK(t != NULL);
        int n = sensor_tables_seed_proc(t);
        CHECK(n > 1);
        const struct sensor_proc *p = sensor_proc_get(t, (uint32_t)getpid());
        CHECK(p != NULL);
        if (p) {
                CHECK_INT(p->ppid, getppid());
                CHECK_INT(p->uid, getuid());
                CHECK(strstr(p->exepath, "test_sensor_bpf_tables") != NULL);
                CHECK(p->start_ns > 1600000000ull * 1000000000ull);     /* realtime, not boot time */
                CHECK(p->mntns != 0);
                char cwd[4096];
                CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, p->cwd) == 0);
                CHECK(sensor_proc_get(t, p->ppid) != NULL);             /* parent chain */
        }
        sensor_tables_free(t);
}

TEST(seed_fake_proc_with_docker_container)
{
        char root[] = "/tmp/douane-tables-XXXXXX";
        CHECK(mkdtemp(root) != NULL);
        char d[512];
        snprintf(d, sizeof(d), "%s/proc/4242", root);
        char proc[512];
        snprintf(proc, sizeof(proc), "%s/proc", root);
        mkdir(proc, 0755);
        mkdir(d, 0755);
        const char *stat = "4242 (my (odd) comm) S 4000 4242 4242 34816 0 0 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0";
        write_file(d, "stat", stat, strlen(stat));
        const char *status = "Name:\tx\nUid:\t1000\t1000\t1000\t1000\nGid:\t50\t50\t50\t50\nNSpid:\t4242\t7\n";
        write_file(d, "status", status, strlen(status));
        write_file(d, "cmdline", "/bin/sh\0-c\0id\0", 14);
        const char *cg = "4:memory:/docker/" H64 "\n0::/\n";
        write_file(d, "cgroup", cg, strlen(cg));
        char dk[512];
        snprintf(dk, sizeof(dk), "%s/docker", root);
        mkdir(dk, 0755);
        snprintf(dk, sizeof(dk), "%s/docker/containers", root);
        mkdir(dk, 0755);
        snprintf(dk, sizeof(dk), "%s/docker/containers/" H64, root);
        mkdir(dk, 0755);
        const char *cfg = "{\"Name\":\"/web\",\"Image\":\"sha256:abcd\",\"Config\":{\"Image\":\"nginx:1.25\"}}";
        write_file(dk, "config.v2.json", cfg, strlen(cfg));
        char droot[512];
        snprintf(droot, sizeof(droot), "%s/docker", root);

        struct sensor_tables_opts o = { .proc_root = proc, .docker_root = droot };
        struct sensor_tables *t = NULL;
        CHECK_INT(sensor_tables_new_opts(&o, &t), 0);
        CHECK_INT(sensor_tables_seed_proc(t), 1);
        const struct sensor_proc *p = sensor_proc_get(t, 4242);
        CHECK(p != NULL);
        if (p) {
                CHECK_STR(p->comm, "my (odd) comm");
                CHECK_INT(p->ppid, 4000);
                CHECK_INT(p->uid, 1000);
                CHECK_INT(p->gid, 50);
                CHECK_INT(p->vpid, 7);
                CHECK_INT(p->tty, 34816);
                CHECK_STR(p->exe, "/bin/sh");
                CHECK_STR(p->args, "-c id");
                CHECK_STR(p->container_id, H64);
        }
        const struct sensor_container *c = sensor_container_get(t, H64);
        CHECK(c != NULL);
        if (c) {
                CHECK_STR(c->name, "web");
                CHECK_STR(c->image, "nginx:1.25");
                CHECK_STR(c->image_digest, "sha256:abcd");
                CHECK_STR(c->runtime, "docker");
        }
        CHECK(sensor_container_get(t, "") == NULL);
        sensor_tables_free(t);
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK(system(cmd) == 0);
}

TEST(clone_exec_exit)
{
        struct sensor_tables *t = offline(0);
        struct sensor_proc init = { .pid = 100, .ppid = 1, .comm = "bash", .exe = "bash",
                                    .exepath = "/bin/bash", .args = "", .cwd = "/root",
                                    .container_id = H64, .tty = 34817 };
        CHECK_INT(sensor_tables_put_proc(t, &init), 0);

        struct sensor_event e = ev_of(EVT_CLONE, 100, 1);
        struct sensor_event_extra x = { .child_pid = 101 };
        CHECK_INT(sensor_tables_update_ext(t, &e, &x), 0);
        const struct sensor_proc *c = sensor_proc_get(t, 101);
        CHECK(c != NULL);
        if (c) {
                CHECK_INT(c->ppid, 100);
                CHECK_STR(c->exepath, "/bin/bash");
                CHECK_STR(c->container_id, H64);        /* inherited */
                CHECK_INT(c->tty, 34817);
        }

        e = ev_of(EVT_EXECVE, 101, 100);
        e.comm = "cat";
        e.path = "/usr/bin/cat";
        e.argv[0] = "cat";
        e.argv[1] = "/etc/shadow";
        e.argv[2] = "-n";
        e.argc = 3;
        CHECK_INT(sensor_tables_update(t, &e), 0);
        c = sensor_proc_get(t, 101);
        CHECK(c && strcmp(c->exe, "cat") == 0 && strcmp(c->exepath, "/usr/bin/cat") == 0);
        CHECK(c && strcmp(c->args, "/etc/shadow -n") == 0);
        CHECK(c && strcmp(c->comm, "cat") == 0);
        CHECK(c && strcmp(c->cwd, "/root") == 0);

        /* memfd exec: exepath says so */
        e.path = "/proc/self/fd/3";
        struct sensor_event_extra mx = { .exe_memfd = "memfd:payload" };
        CHECK_INT(sensor_tables_update_ext(t, &e, &mx), 0);
        c = sensor_proc_get(t, 101);
        CHECK(c && strcmp(c->exepath, "memfd:payload") == 0);

        /* exit: still visible until the next update */
        e = ev_of(EVT_EXIT, 101, 100);
        CHECK_INT(sensor_tables_update(t, &e), 0);
        CHECK(sensor_proc_get(t, 101) != NULL);
        e = ev_of(EVT_OPEN, 100, 1);
        CHECK_INT(sensor_tables_update(t, &e), 0);
        CHECK(sensor_proc_get(t, 101) == NULL);
        CHECK(sensor_proc_get(t, 100) != NULL);
        sensor_tables_free(t);
}

TEST(unknown_pid_gets_minimal_entry_and_parent_container)
{
        struct sensor_tables *t = offline(0);
        struct sensor_proc par = { .pid = 50, .ppid = 1, .container_id = H64 };
        CHECK_INT(sensor_tables_put_proc(t, &par), 0);
        struct sensor_event e = ev_of(EVT_OPEN, 77, 50);
        e.comm = "sh";
        e.uid = 33;
        CHECK_INT(sensor_tables_update(t, &e), 0);
        const struct sensor_proc *p = sensor_proc_get(t, 77);
        CHECK(p && p->uid == 33 && strcmp(p->comm, "sh") == 0);
        CHECK(p && strcmp(p->container_id, H64) == 0);
        CHECK_STR(sensor_tables_container_of(t, 77, 0), H64);
        CHECK_STR(sensor_tables_container_of(t, 9999, 0), "");
        /* setuid changes the table's uid */
        e.type = EVT_SETUID;
        e.new_uid = 0;
        e.res = 0;
        CHECK_INT(sensor_tables_update(t, &e), 0);
        p = sensor_proc_get(t, 77);
        CHECK(p && p->uid == 0);
        sensor_tables_free(t);
}

TEST(pid_reuse_replaces_stale_entry)
{
        struct sensor_tables *t = offline(0);
        struct sensor_proc old = { .pid = 200, .ppid = 1, .exepath = "/old", .start_ns = 5 };
        CHECK_INT(sensor_tables_put_proc(t, &old), 0);
        struct sensor_proc par = { .pid = 300, .ppid = 1, .exepath = "/new-parent" };
        CHECK_INT(sensor_tables_put_proc(t, &par), 0);
        struct sensor_event e = ev_of(EVT_CLONE, 300, 1);
        struct sensor_event_extra x = { .child_pid = 200, .start_ns = 99 };
        CHECK_INT(sensor_tables_update_ext(t, &e, &x), 0);
        const struct sensor_proc *p = sensor_proc_get(t, 200);
        CHECK(p && p->ppid == 300 && p->start_ns == 99 && strcmp(p->exepath, "/new-parent") == 0);
        struct sensor_tables_stats st;
        sensor_tables_stats(t, &st);
        CHECK_INT(st.pid_reuses, 1);
        sensor_tables_free(t);
}

TEST(put_container_and_bad_input)
{
        struct sensor_tables *t = offline(0);
        struct sensor_container c = { .id = "abc", .name = "n", .image = "i", .runtime = "podman" };
        CHECK_INT(sensor_tables_put_container(t, &c), 0);
        c.name = "n2";
        CHECK_INT(sensor_tables_put_container(t, &c), 0);
        const struct sensor_container *g = sensor_container_get(t, "abc");
        CHECK(g && strcmp(g->name, "n2") == 0 && strcmp(g->image_digest, "") == 0);
        struct sensor_container bad = { .id = "" };
        CHECK_INT(sensor_tables_put_container(t, &bad), DOU_EINVAL);
        struct sensor_proc nopid = { 0 };
        CHECK_INT(sensor_tables_put_proc(t, &nopid), DOU_EINVAL);
        CHECK_INT(sensor_tables_update(t, NULL), DOU_EINVAL);
        CHECK(sensor_tables_free(NULL) == NULL);
        sensor_tables_free(t);
}

TEST(churn_100k_pids_stays_bounded)
{
        struct sensor_tables *t = offline(1000);
        struct sensor_proc root = { .pid = 1, .comm = "init", .exepath = "/sbin/init" };
        CHECK_INT(sensor_tables_put_proc(t, &root), 0);
        char arg[64];
        size_t peak = 0;
        for (uint32_t i = 0; i < 100000; i++) {
                uint32_t pid = 1000 + i;
                struct sensor_event e = ev_of(EVT_CLONE, 1, 0);
                struct sensor_event_extra x = { .child_pid = pid };
                sensor_tables_update_ext(t, &e, &x);
                e = ev_of(EVT_EXECVE, pid, 1);
                snprintf(arg, sizeof(arg), "job-%u", i);
                e.path = "/usr/bin/true";
                e.argv[0] = "true";
                e.argv[1] = arg;
                e.argc = 2;
                sensor_tables_update(t, &e);
                if (i % 3)              /* a third never report their exit (drops) */
                        sensor_tables_update(t, &(struct sensor_event){ .type = EVT_EXIT, .pid = pid,
                                                                        .tid = pid, .comm = "" });
                struct sensor_tables_stats st;
                sensor_tables_stats(t, &st);
                if (st.bytes > peak)
                        peak = st.bytes;
                CHECK(st.procs <= 1000);
        }
        struct sensor_tables_stats st;
        sensor_tables_stats(t, &st);
        CHECK(st.procs <= 1000);
        CHECK(st.evictions > 0);
        CHECK(peak < 1000 * 1024);      /* ~1 KiB per process at most here */
        printf("# churn: procs=%zu evictions=%llu peak_bytes=%zu\n", st.procs,
               (unsigned long long)st.evictions, peak);
        sensor_tables_free(t);
}

TEST(evt_type_names_round_trip)
{
        for (int i = 0; i < EVT_TYPE_COUNT; i++)
                CHECK_INT(sensor_evt_type_from_name(sensor_evt_type_name(i)), i);
        CHECK_STR(sensor_evt_type_name(-1), "unknown");
        CHECK_STR(sensor_evt_type_name(EVT_TYPE_COUNT), "unknown");
        CHECK_INT(sensor_evt_type_from_name("nope"), -1);
        CHECK_INT(sensor_evt_type_from_name(NULL), -1);
}

TAP_MAIN()
