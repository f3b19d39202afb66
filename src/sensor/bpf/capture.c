/*
 * capture.c - loader and ring buffer reader (see capture.h).
 *
 * Mode fallback: the skeleton holds every hook in three attach flavours;
 * for each mode in order we open a fresh skeleton, enable only that mode's
 * programs, load and attach. The first that works stays; earlier failures
 * are kept as text for the caller to log. libbpf's own messages are
 * captured (thread-local), never printed.
 *
 * Built with SENSOR_HAVE_BPF=0 everything but capture_available() reports
 * DOU_EUNSUPPORTED, so callers need no #ifdefs.
 */
#include "sensor/bpf/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sensor/bpf/decode.h"
#include "sensor/bpf/wire.h"
#include "util/err.h"

#if SENSOR_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sensor.skel.h"

#define MAX_DENY_LINKS 32
#define MAX_TP_LINKS 160        /* two per captured syscall in tp mode */
#define NSYSCALLS 512   /* as in sensor.bpf.c */

struct capture {
        struct sensor_bpf *skel;
        struct ring_buffer *rb;
        struct sensor_tables *tables;
        int own_tables;
        enum capture_mode mode;
        int64_t boot_to_real_ns;
        int ncpu;
        capture_cb cb;
        void *ud;
        int delivered_now;
        uint64_t delivered, decode_errors, truncated;
        struct bpf_link *deny_links[MAX_DENY_LINKS];
        size_t ndeny;
        struct bpf_link *tp_links[MAX_TP_LINKS];
        size_t ntp;
        char fallback[1024];
        struct sensor_decoder dec;
};

static _Thread_local char libbpf_last[256];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* libbpf hands us its own format strings */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
        if (level == LIBBPF_DEBUG)
                return 0;
        char line[256];
        vsnprintf(line, sizeof(line), fmt, ap);
        line[strcspn(line, "\n")] = '\0';
        if (line[0])
                snprintf(libbpf_last, sizeof(libbpf_last), "%s", line);
        return 0;
}
#pragma GCC diagnostic pop

int capture_available(void)
{
        return 1;
}

static const char *mode_names[] = { "auto", "tp_btf", "raw_tp", "tp" };

const char *capture_mode_name(const struct capture *c)
{
        return c && c->mode > 0 && c->mode <= CAPTURE_MODE_TP ? mode_names[c->mode] : "none";
}

const char *capture_fallback_reason(const struct capture *c)
{
        return c ? c->fallback : "";
}

const struct sensor_tables *capture_tables(const struct capture *c)
{
        return c ? c->tables : NULL;
}

static int64_t boot_to_real(void)
{
        struct timespec rt, bt;
        clock_gettime(CLOCK_REALTIME, &rt);
        clock_gettime(CLOCK_BOOTTIME, &bt);
        return ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000 + (rt.tv_nsec - bt.tv_nsec);
}

static void set_mode_autoload(struct sensor_bpf *s, enum capture_mode m, int deny)
{
        struct bpf_program *btf[] = { s->progs.btf_sys_enter, s->progs.btf_sys_exit,
                                      s->progs.btf_exec, s->progs.btf_fork, s->progs.btf_exit };
        struct bpf_program *raw[] = { s->progs.raw_sys_enter, s->progs.raw_sys_exit,
                                      s->progs.raw_exec, s->progs.raw_fork, s->progs.raw_exit };
        struct bpf_program *tp[] = { s->progs.tp_sys_enter, s->progs.tp_sys_exit,
                                     s->progs.tp_exec, s->progs.tp_fork, s->progs.tp_exit };
        for (size_t i = 0; i < 5; i++) {
                bpf_program__set_autoload(btf[i], m == CAPTURE_MODE_TP_BTF);
                bpf_program__set_autoload(raw[i], m == CAPTURE_MODE_RAW_TP);
                bpf_program__set_autoload(tp[i], m == CAPTURE_MODE_TP);
        }
        bpf_program__set_autoload(s->progs.deny_connect4, deny);
        bpf_program__set_autoload(s->progs.deny_connect6, deny);
}

static size_t ringbuf_size(size_t want)
{
        size_t p = 1u << 16, page = (size_t)sysconf(_SC_PAGESIZE);
        if (!want)
                want = CAPTURE_DEFAULT_RINGBUF;
        while (p < want && p < (1u << 30))
                p <<= 1;
        return p < page ? page : p;
}

static int fill_dispatch(struct capture *c)
{
        int fd = bpf_map__fd(c->skel->maps.dispatch);
        for (size_t i = 0; i < sensor_nsyscalls; i++) {
                const struct sensor_syscall *s = &sensor_syscalls[i];
                /* execs come from sched_process_exec; keeping execve out of the dispatch map
                 * spares every exec a useless enter/exit round trip */
                if (s->nr < 0 || s->nr >= NSYSCALLS || s->type == EVT_EXECVE)
                        continue;
                struct sw_dispatch d = {
                        .type = (uint8_t)(s->type + 1), .path_arg = s->path, .path2_arg = s->path2,
                        .uaddr_arg = s->uaddr, .uaddrlen_arg = s->uaddrlen, .sockfd_arg = s->sockfd,
                        .special = s->special,
                };
                uint32_t k = (uint32_t)s->nr;
                if (bpf_map_update_elem(fd, &k, &d, BPF_ANY) < 0)
                        return dou_err_errno(DOU_EIO, "dispatch map");
        }
        return 0;
}

static int cgroup_dir_id(const char *path, uint64_t *ret)
{
        struct stat st;
        if (stat(path, &st) < 0)
                return dou_err_errno(DOU_ENOTFOUND, "cgroup %s", path);
        *ret = (uint64_t)st.st_ino;     /* cgroup v2: the directory's inode is the cgroup id */
        return 0;
}

static int fill_filters(struct capture *c, const struct capture_opts *o)
{
        int fd = bpf_map__fd(c->skel->maps.cgroups);
        uint8_t one = 1;
        int any = 0, r;
        for (size_t i = 0; i < o->n_cgroup_ids; i++, any = 1)
                if (bpf_map_update_elem(fd, &o->cgroup_ids[i], &one, BPF_ANY) < 0)
                        return dou_err_errno(DOU_EIO, "cgroup filter map");
        for (size_t i = 0; i < o->n_cgroup_paths; i++, any = 1) {
                uint64_t id;
                if ((r = cgroup_dir_id(o->cgroup_paths[i], &id)) < 0)
                        return r;
                if (bpf_map_update_elem(fd, &id, &one, BPF_ANY) < 0)
                        return dou_err_errno(DOU_EIO, "cgroup filter map");
        }
        int kfd = bpf_map__fd(c->skel->maps.kill_paths);
        for (size_t i = 0; i < o->n_kill_exec_paths; i++) {
                char key[SW_KILL_PATH_MAX] = { 0 };
                if (strlen(o->kill_exec_paths[i]) >= sizeof(key))
                        return dou_err_set(DOU_ETOOBIG, "kill path longer than %d bytes", SW_KILL_PATH_MAX - 1);
                memcpy(key, o->kill_exec_paths[i], strlen(o->kill_exec_paths[i]));
                if (bpf_map_update_elem(kfd, key, &one, BPF_ANY) < 0)
                        return dou_err_errno(DOU_EIO, "kill path map");
        }
        size_t rbsz = ringbuf_size(o->ringbuf_bytes);
        struct sw_config cfg = {
                .event_mask = (o->event_mask ? o->event_mask : ~0ull) |
                              (1ull << EVT_EXECVE) | (1ull << EVT_CLONE) | (1ull << EVT_EXIT),
                .self_tgid = o->include_self ? 0 : (uint32_t)getpid(),
                .filter_cgroup = (uint32_t)any,
                .enforce = o->n_kill_exec_paths > 0,
                .wakeup_bytes = (uint32_t)(rbsz / 8 < (256u << 10) ? rbsz / 8 : (256u << 10)),
        };
        uint32_t z = 0;
        if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.sensor_config), &z, &cfg, BPF_ANY) < 0)
                return dou_err_errno(DOU_EIO, "config map");
        return 0;
}

static int attach_deny(struct capture *c, const struct capture_opts *o)
{
        for (size_t i = 0; i < o->n_deny_connect_cgroups; i++) {
                int fd = open(o->deny_connect_cgroups[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return dou_err_errno(DOU_ENOTFOUND, "cgroup %s", o->deny_connect_cgroups[i]);
                struct bpf_program *p[] = { c->skel->progs.deny_connect4, c->skel->progs.deny_connect6 };
                for (size_t k = 0; k < 2; k++) {
                        struct bpf_link *l = bpf_program__attach_cgroup(p[k], fd);
                        if (!l || c->ndeny >= MAX_DENY_LINKS) {
                                bpf_link__destroy(l);
                                close(fd);
                                return dou_err_set(DOU_EIO, "attach connect filter to %s: %s",
                                                   o->deny_connect_cgroups[i], libbpf_last);
                        }
                        c->deny_links[c->ndeny++] = l;
                }
                close(fd);
        }
        return 0;
}

static void destroy_bpf(struct capture *c);

/* tp mode: the syscall programs go on syscalls/sys_{enter,exit}_<name> of each captured,
 * wanted syscall only. Syscalls this kernel lacks are skipped; none at all is an error. */
static int attach_syscall_tracepoints(struct capture *c, uint64_t mask)
{
        for (size_t i = 0; i < sensor_nsyscalls; i++) {
                const struct sensor_syscall *s = &sensor_syscalls[i];
                if (s->type == EVT_EXECVE || !(mask & (1ull << s->type)))
                        continue;
                char en[64], ex[64];
                snprintf(en, sizeof(en), "sys_enter_%s", s->name);
                snprintf(ex, sizeof(ex), "sys_exit_%s", s->name);
                struct bpf_link *le = bpf_program__attach_tracepoint(c->skel->progs.tp_sys_enter,
                                                                     "syscalls", en);
                if (!le)
                        continue;
                struct bpf_link *lx = bpf_program__attach_tracepoint(c->skel->progs.tp_sys_exit,
                                                                     "syscalls", ex);
                if (!lx || c->ntp + 2 > MAX_TP_LINKS) {
                        bpf_link__destroy(le);
                        bpf_link__destroy(lx);
                        continue;
                }
                c->tp_links[c->ntp++] = le;
                c->tp_links[c->ntp++] = lx;
        }
        if (c->ntp == 0 && (mask & ~((1ull << EVT_EXECVE) | (1ull << EVT_CLONE) | (1ull << EVT_EXIT))))
                return dou_err_set(DOU_EUNSUPPORTED, "no syscalls/sys_enter_* tracepoint could be attached: %s",
                                   libbpf_last);
        return 0;
}

static void destroy_bpf(struct capture *c)
{
        for (size_t i = 0; i < c->ntp; i++)
                bpf_link__destroy(c->tp_links[i]);
        c->ntp = 0;
        for (size_t i = 0; i < c->ndeny; i++)
                bpf_link__destroy(c->deny_links[i]);
        c->ndeny = 0;
        ring_buffer__free(c->rb);
        c->rb = NULL;
        sensor_bpf__destroy(c->skel);
        c->skel = NULL;
}

static int on_record(void *ctx, void *data, size_t len)
{
        struct capture *c = ctx;
        if (sensor_decode(&c->dec, data, len, c->boot_to_real_ns) < 0) {
                c->decode_errors++;
                return 0;
        }
        if (c->dec.truncated)
                c->truncated++;
        struct sensor_event *ev = &c->dec.ev;
        sensor_tables_update_ext(c->tables, ev, &c->dec.x);
        ev->container_id = sensor_tables_container_of(c->tables, ev->pid, ev->cgroup_id);
        c->delivered++;
        c->delivered_now++;
        if (c->cb)
                c->cb(ev, c->tables, c->ud);
        return 0;
}

static int try_mode(struct capture *c, const struct capture_opts *o, enum capture_mode m)
{
        int deny = o->n_deny_connect_cgroups > 0;
        libbpf_last[0] = '\0';
        if (m == CAPTURE_MODE_TP && access("/sys/kernel/tracing/events", F_OK) != 0 &&
            access("/sys/kernel/debug/tracing/events", F_OK) != 0)
                return dou_err_set(DOU_EUNSUPPORTED, "tracefs is not mounted (mount -t tracefs "
                                   "tracefs /sys/kernel/tracing)");
        c->skel = sensor_bpf__open();
        if (!c->skel)
                return dou_err_set(DOU_EUNSUPPORTED, "open BPF object: %s", libbpf_last);
        set_mode_autoload(c->skel, m, deny);
        bpf_program__set_autoattach(c->skel->progs.tp_sys_enter, false);
        bpf_program__set_autoattach(c->skel->progs.tp_sys_exit, false);
        size_t rbsz = ringbuf_size(o->ringbuf_bytes);
        if (bpf_map__set_max_entries(c->skel->maps.rb, (uint32_t)rbsz) < 0 ||
            sensor_bpf__load(c->skel) < 0) {
                int e = errno;
                destroy_bpf(c);
                return dou_err_set(DOU_EUNSUPPORTED, "load (%s): %s", strerror(e), libbpf_last);
        }
        int r;
        if ((r = fill_dispatch(c)) < 0 || (r = fill_filters(c, o)) < 0) {
                destroy_bpf(c);
                return r;
        }
        if (sensor_bpf__attach(c->skel) < 0) {
                int e = errno;
                destroy_bpf(c);
                return dou_err_set(DOU_EUNSUPPORTED, "attach (%s): %s", strerror(e), libbpf_last);
        }
        uint64_t mask = (o->event_mask ? o->event_mask : ~0ull);
        if (m == CAPTURE_MODE_TP && (r = attach_syscall_tracepoints(c, mask)) < 0) {
                destroy_bpf(c);
                return r;
        }
        if (deny && (r = attach_deny(c, o)) < 0) {
                destroy_bpf(c);
                return r;
        }
        c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.rb), on_record, c, NULL);
        if (!c->rb) {
                destroy_bpf(c);
                return dou_err_errno(DOU_EIO, "ring buffer");
        }
        c->mode = m;
        return 0;
}

static void note_fallback(struct capture *c, enum capture_mode m)
{
        size_t n = strlen(c->fallback);
        snprintf(c->fallback + n, sizeof(c->fallback) - n, "%s%s: %s", n ? "; " : "",
                 mode_names[m], dou_err_msg());
}

int capture_open(const struct capture_opts *o, struct capture **ret)
{
        static const struct capture_opts none = { 0 };
        if (!o)
                o = &none;
        if (geteuid() != 0)
                return dou_err_set(DOU_EUNSUPPORTED, "loading BPF programs needs root");
        if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
                return dou_err_set(DOU_EUNSUPPORTED, "this kernel has no BTF (/sys/kernel/btf/vmlinux)");
        struct capture *c = calloc(1, sizeof(*c));
        if (!c)
                return dou_err_set(DOU_ENOMEM, "capture");
        libbpf_set_print(libbpf_quiet);
        c->ncpu = libbpf_num_possible_cpus();
        c->boot_to_real_ns = boot_to_real();
        int r = DOU_EUNSUPPORTED;
        for (int m = CAPTURE_MODE_TP_BTF; m <= CAPTURE_MODE_TP; m++) {
                if (o->mode != CAPTURE_MODE_AUTO && (int)o->mode != m)
                        continue;
                if ((r = try_mode(c, o, (enum capture_mode)m)) == 0)
                        break;
                note_fallback(c, (enum capture_mode)m);
                if (r != DOU_EUNSUPPORTED)
                        break;          /* a filter or map error: another mode won't help */
        }
        if (r < 0) {
                char why[1024];
                snprintf(why, sizeof(why), "%s", c->fallback);
                free(c);
                return dou_err_set(r, "no BPF attach mode loaded (%s)", why);
        }
        if (o->tables) {
                c->tables = o->tables;
        } else {
                if ((r = sensor_tables_new_opts(NULL, &c->tables)) < 0) {
                        capture_close(c);
                        return r;
                }
                c->own_tables = 1;
                sensor_tables_seed_proc(c->tables);
        }
        *ret = c;
        return 0;
}

int capture_poll(struct capture *c, int timeout_ms, capture_cb cb, void *ud)
{
        c->cb = cb;
        c->ud = ud;
        c->delivered_now = 0;
        /* records are queued without wakeups: poll waits the timeout, consume drains */
        int r = ring_buffer__poll(c->rb, timeout_ms);
        if (r < 0 && r != -EINTR)
                return dou_err_set(DOU_EIO, "ring buffer poll: %s", strerror(-r));
        r = ring_buffer__consume(c->rb);
        if (r < 0 && r != -EINTR)
                return dou_err_set(DOU_EIO, "ring buffer consume: %s", strerror(-r));
        return c->delivered_now;
}

int capture_fd(const struct capture *c)
{
        return c && c->rb ? ring_buffer__epoll_fd(c->rb) : -1;
}

void capture_stats(const struct capture *c, struct capture_stats *ret)
{
        memset(ret, 0, sizeof(*ret));
        if (!c || !c->skel)
                return;
        ret->delivered = c->delivered;
        ret->decode_errors = c->decode_errors;
        ret->truncated = c->truncated;
        int fd = bpf_map__fd(c->skel->maps.stats);
        uint64_t *vals = calloc((size_t)(c->ncpu > 0 ? c->ncpu : 1), sizeof(*vals));
        if (!vals)
                return;
        uint64_t *dst[SW_STAT_COUNT] = { &ret->events, &ret->drops, &ret->kills, NULL };
        for (uint32_t k = 0; k < SW_STAT_COUNT; k++) {
                if (!dst[k] || bpf_map_lookup_elem(fd, &k, vals) < 0)
                        continue;
                for (int i = 0; i < c->ncpu; i++)
                        *dst[k] += vals[i];
        }
        free(vals);
}

struct capture *capture_close(struct capture *c)
{
        if (!c)
                return NULL;
        destroy_bpf(c);
        if (c->own_tables)
                sensor_tables_free(c->tables);
        free(c);
        return NULL;
}

#else /* !SENSOR_HAVE_BPF */

struct capture {
        int unused;
};

int capture_available(void)
{
        return 0;
}

int capture_open(const struct capture_opts *o, struct capture **ret)
{
        (void)o;
        (void)ret;
        return dou_err_set(DOU_EUNSUPPORTED,
                           "douane was built without BPF capture (no libbpf/clang/bpftool/BTF at build time)");
}

int capture_poll(struct capture *c, int timeout_ms, capture_cb cb, void *ud)
{
        (void)c; (void)timeout_ms; (void)cb; (void)ud;
        return DOU_EUNSUPPORTED;
}

int capture_fd(const struct capture *c)
{
        (void)c;
        return -1;
}

void capture_stats(const struct capture *c, struct capture_stats *ret)
{
        (void)c;
        memset(ret, 0, sizeof(*ret));
}

const char *capture_mode_name(const struct capture *c)
{
        (void)c;
        return "none";
}

const char *capture_fallback_reason(const struct capture *c)
{
        (void)c;
        return "";
}

const struct sensor_tables *capture_tables(const struct capture *c)
{
        (void)c;
        return NULL;
}

struct capture *capture_close(struct capture *c)
{
        (void)c;
        return NULL;
}

#endif

struct run_ctx {
        int (*on_event)(void *arg, const struct sensor_event *ev, const struct sensor_tables *t);
        void *arg;
        int stop;
};

static void run_cb(const struct sensor_event *ev, const struct sensor_tables *t, void *ud)
{
        struct run_ctx *r = ud;
        if (!r->stop && r->on_event(r->arg, ev, t) != 0)
                r->stop = 1;
}

int sensor_capture_run(const struct sensor_capture_opts *o,
                       int (*on_event)(void *arg, const struct sensor_event *ev,
                                       const struct sensor_tables *t),
                       void *arg)
{
        struct capture *c = NULL;
        int r = capture_open(&o->cap, &c);
        if (r < 0)
                return r;
        struct run_ctx ctx = { on_event, arg, 0 };
        if (o->on_open)
                o->on_open(arg, c);
        while (!ctx.stop && !(o->stop && *o->stop)) {
                r = capture_poll(c, o->poll_ms > 0 ? o->poll_ms : 50, run_cb, &ctx);
                if (r < 0)
                        break;
        }
        if (o->ret_stats)
                capture_stats(c, o->ret_stats);
        capture_close(c);
        return r < 0 ? r : 0;
}
