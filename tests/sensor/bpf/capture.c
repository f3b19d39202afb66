/* Live capture, as root on a BPF-capable kernel (SKIP otherwise): each
 * attach mode loads; this process's own open/connect/setuid-style events
 * come back decoded with the right fields; the kernel-side type filter and
 * self filter hold. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sensor/bpf/capture.h"
#include "tap.h"
#include "util/err.h"

struct seen {
        int open_hostname, connect, exec_true, clone, other_types, own_pid_events;
        uint16_t dport;
        char dip[64];
        int64_t open_res;
        uint32_t open_flags;
        pid_t child;
};

static void cb(const struct sensor_event *ev, const struct sensor_tables *t, void *ud)
{
        struct seen *s = ud;
        (void)t;
        if (ev->pid == (uint32_t)getpid())
                s->own_pid_events++;
        if (ev->type == EVT_OPEN && ev->pid == (uint32_t)getpid() && ev->path &&
            strcmp(ev->path, "/etc/hostname") == 0) {
                s->open_hostname++;
                s->open_res = ev->res;
                s->open_flags = ev->flags;
        }
        if (ev->type == EVT_CONNECT && ev->pid == (uint32_t)getpid() && ev->dip) {
                s->connect++;
                s->dport = ev->dport;
                snprintf(s->dip, sizeof(s->dip), "%s", ev->dip);
        }
        if (ev->type == EVT_CLONE && ev->pid == (uint32_t)getpid())
                s->clone++;
        if (ev->type == EVT_EXECVE && s->child && ev->pid == (uint32_t)s->child && ev->path &&
            strcmp(ev->path, "/bin/true") == 0) {
                const struct sensor_proc *p = sensor_proc_get(t, ev->pid);
                if (p && p->ppid == (uint32_t)getpid())
                        s->exec_true++;
        }
        if (ev->type != EVT_OPEN && ev->type != EVT_EXECVE && ev->type != EVT_CLONE &&
            ev->type != EVT_EXIT && ev->type != EVT_CONNECT)
                s->other_types++;
}

static int can_run(void)
{
        if (!capture_available())
                return 0;
        return geteuid() == 0 && access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

static void drain(struct capture *c, struct seen *s)
{
        for (int i = 0; i < 10; i++)
                capture_poll(c, 20, cb, s);
}

TEST(modes_load)
{
        if (!can_run())
                SKIP("needs root, BTF and a build with BPF");
        enum capture_mode modes[] = { CAPTURE_MODE_TP_BTF, CAPTURE_MODE_RAW_TP, CAPTURE_MODE_TP };
        const char *names[] = { "tp_btf", "raw_tp", "tp" };
        int loaded = 0;
        for (int i = 0; i < 3; i++) {
                struct capture_opts o = { .mode = modes[i], .event_mask = 1ull << EVT_OPEN,
                                          .include_self = 1 };
                struct capture *c = NULL;
                int r = capture_open(&o, &c);
                printf("# mode %s: %s\n", names[i], r == 0 ? "loaded" : dou_err_msg());
                if (r == 0) {
                        CHECK_STR(capture_mode_name(c), names[i]);
                        loaded++;
                        struct seen s = { 0 };
                        int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
                        drain(c, &s);
                        CHECK_INT(s.open_hostname, 1);          /* and it delivers */
                        CHECK_INT(s.open_res, fd);
                        if (fd >= 0)
                                close(fd);
                }
                capture_close(c);
        }
        CHECK(loaded > 0);
        struct capture *c = NULL;
        CHECK_INT(capture_open(NULL, &c), 0);
        printf("# auto picked %s%s%s\n", capture_mode_name(c), *capture_fallback_reason(c) ? " after: " : "",
               capture_fallback_reason(c));
        capture_close(c);
}

TEST(own_events_decoded)
{
        if (!can_run())
                SKIP("needs root, BTF and a build with BPF");
        struct capture_opts o = {
                .include_self = 1,
                .event_mask = (1ull << EVT_OPEN) | (1ull << EVT_CONNECT),
        };
        struct capture *c = NULL;
        CHECK_INT(capture_open(&o, &c), 0);
        if (!c)
                return;
        struct seen s = { 0 };
        int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t al = sizeof(a);
        CHECK(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(lfd, 1) == 0);
        getsockname(lfd, (struct sockaddr *)&a, &al);
        int cfd = socket(AF_INET, SOCK_STREAM, 0);
        CHECK(connect(cfd, (struct sockaddr *)&a, sizeof(a)) == 0);
        pid_t child = fork();
        if (child == 0) {
                execl("/bin/true", "true", "arg1", (char *)NULL);
                _exit(127);
        }
        s.child = child;
        int st;
        waitpid(child, &st, 0);
        drain(c, &s);
        CHECK_INT(s.open_hostname, 1);
        CHECK_INT(s.open_res, fd);
        CHECK_INT(s.open_flags & O_ACCMODE, O_RDONLY);
        CHECK_INT(s.connect, 1);
        CHECK_STR(s.dip, "127.0.0.1");
        CHECK_INT(s.dport, ntohs(a.sin_port));
        CHECK_INT(s.clone, 1);
        CHECK_INT(s.exec_true, 1);
        CHECK_INT(s.other_types, 0);    /* bind/listen/socket were not asked for */
        struct capture_stats cs;
        capture_stats(c, &cs);
        CHECK(cs.events >= 4);
        CHECK_INT(cs.decode_errors, 0);
        printf("# events=%llu drops=%llu delivered=%llu\n", (unsigned long long)cs.events,
               (unsigned long long)cs.drops, (unsigned long long)cs.delivered);
        close(fd);
        close(cfd);
        close(lfd);
        capture_close(c);
}

TEST(self_is_filtered_by_default)
{
        if (!can_run())
                SKIP("needs root, BTF and a build with BPF");
        struct capture_opts o = { .event_mask = 1ull << EVT_OPEN };
        struct capture *c = NULL;
        CHECK_INT(capture_open(&o, &c), 0);
        if (!c)
                return;
        struct seen s = { 0 };
        for (int i = 0; i < 10; i++) {
                int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
                if (fd >= 0)
                        close(fd);
        }
        drain(c, &s);
        CHECK_INT(s.own_pid_events, 0);
        capture_close(c);
}

TEST(cgroup_filter_excludes_everything_else)
{
        if (!can_run())
                SKIP("needs root, BTF and a build with BPF");
        uint64_t nosuch = 0xdeadbeefcafeull;
        struct capture_opts o = { .include_self = 1, .cgroup_ids = &nosuch, .n_cgroup_ids = 1 };
        struct capture *c = NULL;
        CHECK_INT(capture_open(&o, &c), 0);
        if (!c)
                return;
        struct seen s = { 0 };
        int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
        drain(c, &s);
        CHECK_INT(s.own_pid_events, 0);
        struct capture_stats cs;
        capture_stats(c, &cs);
        CHECK_INT(cs.events, 0);
        if (fd >= 0)
                close(fd);
        capture_close(c);
}

TEST(bad_options_fail_cleanly)
{
        if (!can_run())
                SKIP("needs root, BTF and a build with BPF");
        const char *nodir = "/nonexistent/cgroup";
        struct capture_opts o = { .cgroup_paths = &nodir, .n_cgroup_paths = 1 };
        struct capture *c = NULL;
        CHECK_INT(capture_open(&o, &c), DOU_ENOTFOUND);
        CHECK(c == NULL);
        CHECK(capture_close(NULL) == NULL);
}

TEST(enforce_kill_on_exec)
{
        if (!can_run())
                SKIP("needs root, BTF and a build with BPF");
        char dir[] = "/tmp/douane-kill-XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        char bin[64], cmd[200];
        snprintf(bin, sizeof(bin), "%s/forbidden", dir);
        snprintf(cmd, sizeof(cmd), "cp /bin/true %s", bin);
        CHECK(system(cmd) == 0);
        const char *kill[] = { bin };
        struct capture_opts o = { .kill_exec_paths = kill, .n_kill_exec_paths = 1,
                                  .event_mask = 1ull << EVT_EXECVE };
        struct capture *c = NULL;
        CHECK_INT(capture_open(&o, &c), 0);
        if (c) {
                pid_t p = fork();
                if (p == 0) {
                        execl(bin, "forbidden", (char *)NULL);
                        _exit(127);
                }
                int st = 0;
                waitpid(p, &st, 0);
                CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
                p = fork();             /* another path is left alone */
                if (p == 0) {
                        execl("/bin/true", "true", (char *)NULL);
                        _exit(127);
                }
                waitpid(p, &st, 0);
                CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
                struct seen s = { 0 };
                drain(c, &s);
                struct capture_stats cs;
                capture_stats(c, &cs);
                CHECK_INT(cs.kills, 1);
                capture_close(c);
        }
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        CHECK(system(cmd) == 0);
}

static const char *cgroup2_dir(char *buf, size_t n)
{
        FILE *f = fopen("/proc/mounts", "r");
        char line[512], dev[128], mnt[256], type[64];
        const char *r = NULL;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "%127s %255s %63s", dev, mnt, type) == 3 && strcmp(type, "cgroup2") == 0) {
                        snprintf(buf, n, "%s/douane-test-deny-%d", mnt, (int)getpid());
                        r = buf;
                        break;
                }
        if (f)
                fclose(f);
        return r;
}

TEST(enforce_deny_connect_from_cgroup)
{
        if (!can_run())
                SKIP("needs root, BTF and a build with BPF");
        char cg[512];
        if (!cgroup2_dir(cg, sizeof(cg)))
                SKIP("no cgroup v2 mount");
        CHECK(mkdir(cg, 0755) == 0);
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t al = sizeof(a);
        CHECK(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(lfd, 4) == 0);
        getsockname(lfd, (struct sockaddr *)&a, &al);
        const char *deny[] = { cg };
        struct capture_opts o = { .deny_connect_cgroups = deny, .n_deny_connect_cgroups = 1,
                                  .event_mask = 1ull << EVT_CONNECT };
        struct capture *c = NULL;
        CHECK_INT(capture_open(&o, &c), 0);
        if (c) {
                pid_t p = fork();
                if (p == 0) {
                        char procs[600];
                        snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
                        FILE *f = fopen(procs, "w");
                        if (!f)
                                _exit(10);
                        fprintf(f, "%d\n", (int)getpid());
                        fclose(f);
                        int s = socket(AF_INET, SOCK_STREAM, 0);
                        int r = connect(s, (struct sockaddr *)&a, sizeof(a));
                        _exit(r == 0 ? 0 : (errno == EPERM ? 1 : 2));
                }
                int st = 0;
                waitpid(p, &st, 0);
                CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);   /* refused with EPERM */
                int s2 = socket(AF_INET, SOCK_STREAM, 0);         /* outside the cgroup: allowed */
                CHECK(connect(s2, (struct sockaddr *)&a, sizeof(a)) == 0);
                close(s2);
                capture_close(c);
        }
        close(lfd);
        for (int i = 0; i < 50 && rmdir(cg) != 0; i++)
                usleep(20000);
}

TAP_MAIN()
