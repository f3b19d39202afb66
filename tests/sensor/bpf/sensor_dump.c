/*
 * sensor_dump.c - test driver for the capture side: loads the BPF programs,
 * prints every decoded event with its process context as one JSON line on
 * stdout, and a status line on stderr ("mode=<m>" once attached, then the
 * stats at exit). Used by tests/e2e/test_sensor_e2e.py and the bench until
 * `douane sensor` drives capture itself.
 *
 *   sensor_dump [--cgroup DIR]... [--mode auto|tp_btf|raw_tp|tp] [--seconds N]
 *               [--ready FILE] [--kill-exec PATH]... [--deny-connect DIR]... [--quiet]
 * Exit: 0 ok, 2 usage, 77 BPF cannot load here (message on stderr).
 */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sensor/bpf/capture.h"
#include "util/err.h"

#define MAX_LIST 16

static volatile sig_atomic_t stop;

static void on_sig(int s)
{
        (void)s;
        stop = 1;
}

static void set_str(json_t *o, const char *k, const char *v)
{
        if (v)
                json_object_set_new(o, k, json_string(v));
}

static json_t *proc_json(const struct sensor_proc *p)
{
        json_t *o = json_object();
        json_object_set_new(o, "pid", json_integer(p->pid));
        json_object_set_new(o, "ppid", json_integer(p->ppid));
        json_object_set_new(o, "uid", json_integer(p->uid));
        json_object_set_new(o, "tty", json_integer(p->tty));
        json_object_set_new(o, "vpid", json_integer(p->vpid));
        json_object_set_new(o, "start_ns", json_integer((json_int_t)p->start_ns));
        set_str(o, "comm", p->comm);
        set_str(o, "exe", p->exe);
        set_str(o, "exepath", p->exepath);
        set_str(o, "args", p->args);
        set_str(o, "cwd", p->cwd);
        set_str(o, "container_id", p->container_id);
        return o;
}

static void print_event(const struct sensor_event *ev, const struct sensor_tables *t, void *ud)
{
        int quiet = *(int *)ud;
        if (quiet)
                return;
        json_t *o = json_object();
        json_object_set_new(o, "ts", json_integer((json_int_t)ev->ts_ns));
        set_str(o, "type", sensor_evt_type_name(ev->type));
        set_str(o, "syscall", ev->syscall);
        json_object_set_new(o, "pid", json_integer(ev->pid));
        json_object_set_new(o, "tid", json_integer(ev->tid));
        json_object_set_new(o, "ppid", json_integer(ev->ppid));
        json_object_set_new(o, "uid", json_integer(ev->uid));
        json_object_set_new(o, "gid", json_integer(ev->gid));
        json_object_set_new(o, "cgroup_id", json_integer((json_int_t)ev->cgroup_id));
        json_object_set_new(o, "mntns", json_integer((json_int_t)ev->mntns));
        set_str(o, "comm", ev->comm);
        set_str(o, "container_id", ev->container_id);
        json_object_set_new(o, "res", json_integer(ev->res));
        set_str(o, "path", ev->path);
        set_str(o, "path2", ev->path2);
        json_object_set_new(o, "flags", json_integer(ev->flags));
        json_object_set_new(o, "mode", json_integer(ev->mode));
        json_object_set_new(o, "fd", json_integer(ev->fd));
        if (ev->argc) {
                json_t *a = json_array();
                for (uint32_t i = 0; i < ev->argc; i++)
                        json_array_append_new(a, json_string(ev->argv[i]));
                json_object_set_new(o, "argv", a);
        }
        if (ev->sock_family) {
                json_object_set_new(o, "sock_family", json_integer(ev->sock_family));
                json_object_set_new(o, "sock_type", json_integer(ev->sock_type));
                set_str(o, "sip", ev->sip);
                set_str(o, "dip", ev->dip);
                json_object_set_new(o, "sport", json_integer(ev->sport));
                json_object_set_new(o, "dport", json_integer(ev->dport));
        }
        if (ev->type == EVT_SETUID)
                json_object_set_new(o, "new_uid", json_integer(ev->new_uid));
        if (ev->type == EVT_SETGID)
                json_object_set_new(o, "new_gid", json_integer(ev->new_gid));
        if (ev->type == EVT_PTRACE)
                json_object_set_new(o, "ptrace_request", json_integer(ev->ptrace_request));
        if (ev->type == EVT_CAPSET)
                json_object_set_new(o, "cap_effective", json_integer((json_int_t)ev->cap_effective));
        const struct sensor_proc *p = sensor_proc_get(t, ev->pid);
        if (p) {
                json_object_set_new(o, "proc", proc_json(p));
                const struct sensor_proc *pp = sensor_proc_get(t, p->ppid);
                if (pp)
                        json_object_set_new(o, "parent", proc_json(pp));
        }
        const struct sensor_container *c = sensor_container_get(t, ev->container_id);
        if (c) {
                json_t *co = json_object();
                set_str(co, "id", c->id);
                set_str(co, "name", c->name);
                set_str(co, "image", c->image);
                set_str(co, "runtime", c->runtime);
                json_object_set_new(o, "container", co);
        }
        char *s = json_dumps(o, JSON_COMPACT);
        if (s) {
                fputs(s, stdout);
                fputc('\n', stdout);
                free(s);
        }
        json_decref(o);
}

static int usage(FILE *f, int code)
{
        fprintf(f, "usage: sensor_dump [--cgroup DIR]... [--mode auto|tp_btf|raw_tp|tp] [--seconds N]\n"
                   "                   [--ready FILE] [--kill-exec PATH]... [--deny-connect DIR]... [--quiet]\n");
        return code;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "cgroup", required_argument, 0, 'c' }, { "mode", required_argument, 0, 'm' },
                { "seconds", required_argument, 0, 's' }, { "ready", required_argument, 0, 'r' },
                { "kill-exec", required_argument, 0, 'k' }, { "deny-connect", required_argument, 0, 'd' },
                { "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0 },
        };
        const char *cgroups[MAX_LIST], *kills[MAX_LIST], *denies[MAX_LIST], *ready = NULL;
        size_t ncg = 0, nk = 0, nd = 0;
        double seconds = 0;
        int quiet = 0, c;
        struct capture_opts o = { 0 };

        while ((c = getopt_long(argc, argv, "c:m:s:r:k:d:qh", opts, NULL)) != -1) {
                switch (c) {
                case 'c': if (ncg < MAX_LIST) cgroups[ncg++] = optarg; break;
                case 'k': if (nk < MAX_LIST) kills[nk++] = optarg; break;
                case 'd': if (nd < MAX_LIST) denies[nd++] = optarg; break;
                case 's': seconds = atof(optarg); break;
                case 'r': ready = optarg; break;
                case 'q': quiet = 1; break;
                case 'm':
                        if (!strcmp(optarg, "auto")) o.mode = CAPTURE_MODE_AUTO;
                        else if (!strcmp(optarg, "tp_btf")) o.mode = CAPTURE_MODE_TP_BTF;
                        else if (!strcmp(optarg, "raw_tp")) o.mode = CAPTURE_MODE_RAW_TP;
                        else if (!strcmp(optarg, "tp")) o.mode = CAPTURE_MODE_TP;
                        else return usage(stderr, 2);
                        break;
                case 'h': return usage(stdout, 0);
                default: return usage(stderr, 2);
                }
        }
        o.cgroup_paths = cgroups;
        o.n_cgroup_paths = ncg;
        o.kill_exec_paths = kills;
        o.n_kill_exec_paths = nk;
        o.deny_connect_cgroups = denies;
        o.n_deny_connect_cgroups = nd;

        struct capture *cap = NULL;
        int r = capture_open(&o, &cap);
        if (r < 0) {
                fprintf(stderr, "sensor_dump: %s\n", dou_err_msg());
                return r == DOU_EUNSUPPORTED ? 77 : 1;
        }
        fprintf(stderr, "sensor_dump: mode=%s%s%s\n", capture_mode_name(cap),
                *capture_fallback_reason(cap) ? " fallback: " : "", capture_fallback_reason(cap));
        signal(SIGINT, on_sig);
        signal(SIGTERM, on_sig);
        if (ready) {
                FILE *f = fopen(ready, "w");
                if (f) {
                        fprintf(f, "%s\n", capture_mode_name(cap));
                        fclose(f);
                }
        }
        struct timespec t0, now;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (!stop) {
                if (capture_poll(cap, 20, print_event, &quiet) < 0) {
                        fprintf(stderr, "sensor_dump: %s\n", dou_err_msg());
                        break;
                }
                fflush(stdout);
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (seconds > 0 && (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 > seconds)
                        break;
        }
        capture_poll(cap, 0, print_event, &quiet);
        fflush(stdout);
        struct capture_stats st;
        capture_stats(cap, &st);
        struct sensor_tables_stats ts;
        sensor_tables_stats(capture_tables(cap), &ts);
        fprintf(stderr, "sensor_dump: stats events=%llu drops=%llu delivered=%llu decode_errors=%llu "
                        "truncated=%llu kills=%llu procs=%zu containers=%zu table_bytes=%zu\n",
                (unsigned long long)st.events, (unsigned long long)st.drops,
                (unsigned long long)st.delivered, (unsigned long long)st.decode_errors,
                (unsigned long long)st.truncated, (unsigned long long)st.kills, ts.procs,
                ts.containers, ts.bytes);
        capture_close(cap);
        return 0;
}
