// SPDX-License-Identifier: GPL-2.0
/*
 * sensor.bpf.c - kernel half of `douane sensor` (CO-RE, built against the
 * build machine's vmlinux.h, relocated by libbpf on the target kernel).
 *
 * Design:
 * - One hook pair on raw_syscalls sys_enter/sys_exit dispatches by syscall
 *   number through the "dispatch" array (filled by the loader from
 *   syscalls.c): an uncaptured syscall costs one array lookup on enter and
 *   one on exit. A captured one saves its args per tid at enter and emits
 *   one record at exit, with the result.
 * - exec/fork/exit come from the sched_process_* tracepoints: at exec the
 *   new argv is in place, and failed execs produce nothing.
 * - Each hook exists in three attach modes (tp_btf, raw_tp, classic tp);
 *   the loader enables one set and falls back in that order.
 * - Filtering (event mask, own pid, cgroup set) happens before any copy.
 * - Records are built in a per-CPU heap buffer and copied to the ring
 *   buffer without wakeup until wakeup_bytes are queued; user space polls
 *   with a timeout, so there is no wakeup per event. A full ring buffer
 *   counts a drop (per-CPU "stats"), never silently.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "wire.h"

char LICENSE[] SEC("license") = "GPL";

#define NSYSCALLS 512
#define MAX_TRACKED_TIDS 16384
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

struct rec_buf {
        struct sw_hdr h;
        __u8 data[SW_DATA_MAX + SW_STR_MAX + 64];
};

struct enter_args {
        __u64 args[6];
        __u64 uid_gid;          /* at entry: set*id events report who made the call */
        __u32 nr;
        __u32 pad;
};

struct kill_key {
        char path[SW_KILL_PATH_MAX];
};

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, NSYSCALLS);
        __type(key, __u32);
        __type(value, struct sw_dispatch);
} dispatch SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct sw_config);
} sensor_config SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, 4096);
        __type(key, __u64);
        __type(value, __u8);
} cgroups SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, 256);
        __type(key, struct kill_key);
        __type(value, __u8);
} kill_paths SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, SW_STAT_COUNT);
        __type(key, __u32);
        __type(value, __u64);
} stats SEC(".maps");

/* LRU: a thread killed inside a syscall never reaches sys_exit; its slot ages out. */
struct {
        __uint(type, BPF_MAP_TYPE_LRU_HASH);
        __uint(max_entries, MAX_TRACKED_TIDS);
        __type(key, __u32);
        __type(value, struct enter_args);
} inflight SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct rec_buf);
} heap SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct kill_key);
} kill_scratch SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 16 << 20);
} rb SEC(".maps");

static __always_inline void count(__u32 idx)
{
        __u64 *v = bpf_map_lookup_elem(&stats, &idx);
        if (v)
                *v += 1;
}

static __always_inline struct sw_config *wanted(__u32 type)
{
        __u32 z = 0;
        struct sw_config *c = bpf_map_lookup_elem(&sensor_config, &z);
        if (!c || type >= 64 || !(c->event_mask & (1ULL << type)))
                return 0;
        if ((bpf_get_current_pid_tgid() >> 32) == c->self_tgid)
                return 0;
        if (c->filter_cgroup) {
                __u64 cg = bpf_get_current_cgroup_id();
                if (!bpf_map_lookup_elem(&cgroups, &cg))
                        return 0;
        }
        return c;
}

static __always_inline struct rec_buf *rec_begin(__u32 type, __u16 nr)
{
        __u32 z = 0;
        struct rec_buf *b = bpf_map_lookup_elem(&heap, &z);
        if (!b)
                return 0;
        struct task_struct *task = (struct task_struct *)bpf_get_current_task();
        __u64 pt = bpf_get_current_pid_tgid(), ug = bpf_get_current_uid_gid();

        __builtin_memset(&b->h, 0, sizeof(b->h));
        b->h.magic = SW_MAGIC;
        b->h.version = SW_VERSION;
        b->h.type = type;
        b->h.syscall_nr = nr;
        b->h.ts_boot_ns = bpf_ktime_get_boot_ns();
        b->h.pid = pt >> 32;
        b->h.tid = (__u32)pt;
        b->h.uid = (__u32)ug;
        b->h.gid = ug >> 32;
        b->h.ppid = BPF_CORE_READ(task, real_parent, tgid);
        b->h.cgroup_id = bpf_get_current_cgroup_id();
        b->h.mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
        bpf_get_current_comm(b->h.comm, sizeof(b->h.comm));
        return b;
}

static __always_inline void proc_info(struct rec_buf *b, struct task_struct *task)
{
        b->h.flags_rec |= SW_F_PROC_INFO;
        b->h.start_boot_ns = BPF_CORE_READ(task, start_boottime);
        b->h.loginuid = BPF_CORE_READ(task, loginuid.val);
        /* pid as seen inside its own pid namespace (1 for a container's init) */
        struct pid *tp = BPF_CORE_READ(task, thread_pid);
        unsigned int level = BPF_CORE_READ(tp, level);
        struct upid up = {};
        bpf_probe_read_kernel(&up, sizeof(up), &tp->numbers[level & 31]);
        b->h.vpid = up.nr;
        struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
        if (tty) {
                __u32 major = BPF_CORE_READ(tty, driver, major);
                __u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
                /* /proc/PID/stat tty_nr encoding */
                b->h.tty = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
        }
}

/* Reserve a TLV at the end of data for up to max bytes; NULL if it cannot fit. */
static __always_inline __u8 *tlv_begin(struct rec_buf *b, __u32 max, __u32 *off)
{
        __u32 o = b->h.data_len;
        if (o > SW_DATA_MAX - max - sizeof(struct sw_tlv)) {
                b->h.flags_rec |= SW_F_TRUNCATED;
                return 0;
        }
        o &= SW_DATA_MAX - 1;
        *off = o;
        return &b->data[o + sizeof(struct sw_tlv)];
}

static __always_inline void tlv_end(struct rec_buf *b, __u32 off, __u16 kind, long n)
{
        if (n < 0)
                n = 0;
        struct sw_tlv *t = (struct sw_tlv *)&b->data[off & (SW_DATA_MAX - 1)];
        t->kind = kind;
        t->len = (__u16)n;
        b->h.data_len = off + sizeof(struct sw_tlv) + (__u32)n;
}

static __always_inline void put_user_str(struct rec_buf *b, __u16 kind, const void *p)
{
        __u32 off;
        __u8 *dst = tlv_begin(b, SW_STR_MAX, &off);
        if (!dst || !p)
                return;
        long n = bpf_probe_read_user_str(dst, SW_STR_MAX, p);
        if (n == SW_STR_MAX)
                b->h.flags_rec |= SW_F_TRUNCATED;
        tlv_end(b, off, kind, n);
}

static __always_inline void put_kernel_str(struct rec_buf *b, __u16 kind, const void *p, __u32 max)
{
        __u32 off;
        __u8 *dst = tlv_begin(b, SW_STR_MAX, &off);
        if (!dst || !p)
                return;
        long n = bpf_probe_read_kernel_str(dst, max & (SW_STR_MAX - 1), p);
        tlv_end(b, off, kind, n);
}

static __always_inline void put_user_bytes(struct rec_buf *b, __u16 kind, const void *p, __u64 len)
{
        __u32 off;
        __u8 *dst = tlv_begin(b, SW_SOCKADDR_MAX, &off);
        if (!dst || !p || len == 0)
                return;
        if (len > SW_SOCKADDR_MAX)
                len = SW_SOCKADDR_MAX;
        len &= 127;
        if (bpf_probe_read_user(dst, len, p) < 0)
                return;
        tlv_end(b, off, kind, (long)len);
}

/* argv of the current (just exec'd) process, NUL-separated, cut at SW_STR_MAX. */
static __always_inline void put_argv(struct rec_buf *b, struct task_struct *task)
{
        __u64 start = BPF_CORE_READ(task, mm, arg_start), end = BPF_CORE_READ(task, mm, arg_end);
        __u32 off;
        __u8 *dst = tlv_begin(b, SW_STR_MAX, &off);
        if (!dst || end <= start)
                return;
        __u64 len = end - start;
        if (len > SW_STR_MAX - 1) {
                len = SW_STR_MAX - 1;
                b->h.flags_rec |= SW_F_TRUNCATED;
        }
        len &= SW_STR_MAX - 1;
        if (len == 0 || bpf_probe_read_user(dst, len, (const void *)start) < 0)
                return;
        tlv_end(b, off, SW_ARGS, (long)len);
}

static __always_inline struct sock *fd_sock(struct task_struct *task, long fd)
{
        struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
        unsigned int max = BPF_CORE_READ(fdt, max_fds);
        if (fd < 0 || fd >= max)
                return 0;
        struct file **fds = BPF_CORE_READ(fdt, fd);
        struct file *f = 0;
        if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xfffff]) < 0 || !f)
                return 0;
        umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
        if ((mode & S_IFMT) != S_IFSOCK)
                return 0;
        struct socket *s = BPF_CORE_READ(f, private_data);
        return s ? BPF_CORE_READ(s, sk) : 0;
}

struct sa4 {
        __u16 family;
        __u16 port;     /* network order */
        __u32 addr;
        __u8 zero[8];
};

struct sa6 {
        __u16 family;
        __u16 port;
        __u32 flowinfo;
        __u8 addr[16];
        __u32 scope;
};

static __always_inline void put_bytes(struct rec_buf *b, __u16 kind, const void *src, __u32 len)
{
        __u32 off;
        __u8 *dst = tlv_begin(b, SW_SOCKADDR_MAX, &off);
        if (!dst)
                return;
        __builtin_memcpy(dst, src, 28);         /* sizeof(struct sa6), the largest */
        tlv_end(b, off, kind, len);
}

static __always_inline void put_sock(struct rec_buf *b, struct sock *sk)
{
        if (!sk)
                return;
        __u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
        b->h.sock_family = fam;
        b->h.sock_type = BPF_CORE_READ(sk, sk_type);
        if (fam == AF_INET) {
                struct sa6 l = {}, r = {};      /* sa6-sized so put_bytes may copy 28 bytes */
                struct sa4 *l4 = (struct sa4 *)&l, *r4 = (struct sa4 *)&r;
                l4->family = r4->family = AF_INET;
                l4->port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
                l4->addr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
                r4->port = BPF_CORE_READ(sk, __sk_common.skc_dport);
                r4->addr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
                put_bytes(b, SW_SOCK_LOCAL, &l, sizeof(struct sa4));
                put_bytes(b, SW_SOCK_REMOTE, &r, sizeof(struct sa4));
        } else if (fam == AF_INET6) {
                struct sa6 l = {}, r = {};
                l.family = r.family = AF_INET6;
                l.port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
                r.port = BPF_CORE_READ(sk, __sk_common.skc_dport);
                BPF_CORE_READ_INTO(&l.addr, sk, __sk_common.skc_v6_rcv_saddr);
                BPF_CORE_READ_INTO(&r.addr, sk, __sk_common.skc_v6_daddr);
                put_bytes(b, SW_SOCK_LOCAL, &l, sizeof(l));
                put_bytes(b, SW_SOCK_REMOTE, &r, sizeof(r));
        }
}

static __always_inline void rec_submit(struct rec_buf *b, struct sw_config *c)
{
        __u32 len = b->h.data_len;
        if (len > SW_DATA_MAX)
                return;
        __u64 size = sizeof(struct sw_hdr) + len;
        __u64 flags = BPF_RB_NO_WAKEUP;
        if (bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= c->wakeup_bytes)
                flags = BPF_RB_FORCE_WAKEUP;
        if (bpf_ringbuf_output(&rb, b, size, flags) < 0)
                count(SW_STAT_DROPS);
        else
                count(SW_STAT_EVENTS);
}

/* ---- syscalls ---- */

/* The dispatch entry when syscall nr is captured and wanted now, else NULL.
 * This is all an uncaptured syscall pays: one array lookup. */
static __always_inline struct sw_dispatch *captured(__u64 nr)
{
        if (nr >= NSYSCALLS)
                return 0;
        __u32 k = (__u32)nr;
        struct sw_dispatch *d = bpf_map_lookup_elem(&dispatch, &k);
        if (!d || !d->type)
                return 0;
        return d;
}

static __always_inline void on_sys_enter(__u64 nr, const __u64 *args)
{
        struct enter_args e = { .nr = (__u32)nr, .uid_gid = bpf_get_current_uid_gid() };
        __builtin_memcpy(e.args, args, sizeof(e.args));
        __u32 tid = (__u32)bpf_get_current_pid_tgid();
        bpf_map_update_elem(&inflight, &tid, &e, BPF_ANY);
}

static __always_inline void on_sys_exit(__u64 nr, long ret)
{
        struct sw_dispatch *d = captured(nr);
        if (!d)
                return;
        __u32 k = (__u32)nr;
        __u32 tid = (__u32)bpf_get_current_pid_tgid();
        struct enter_args *e = bpf_map_lookup_elem(&inflight, &tid);
        if (!e)
                return;
        struct sw_config *c = wanted(d->type - 1);
        if (!c || e->nr != k || d->type - 1 == 0 /* EVT_EXECVE comes from sched */) {
                bpf_map_delete_elem(&inflight, &tid);
                return;
        }
        struct rec_buf *b = rec_begin(d->type - 1, (__u16)k);
        if (!b) {
                bpf_map_delete_elem(&inflight, &tid);
                return;
        }
        __builtin_memcpy(b->h.args, e->args, sizeof(b->h.args));
        b->h.uid = (__u32)e->uid_gid;
        b->h.gid = e->uid_gid >> 32;
        b->h.res = ret;
        if (d->path_arg < 6)
                put_user_str(b, SW_PATH, (const void *)e->args[d->path_arg & 7]);
        if (d->path2_arg < 6)
                put_user_str(b, SW_PATH2, (const void *)e->args[d->path2_arg & 7]);
        if (d->uaddr_arg < 6 && d->uaddrlen_arg < 6)
                put_user_bytes(b, SW_UADDR, (const void *)e->args[d->uaddr_arg & 7],
                               e->args[d->uaddrlen_arg & 7]);
        if (d->sockfd_arg < 6 || d->sockfd_arg == SW_ARG_RES) {
                long fd = d->sockfd_arg == SW_ARG_RES ? ret : (long)e->args[d->sockfd_arg & 7];
                put_sock(b, fd_sock((struct task_struct *)bpf_get_current_task(), fd));
        }
        if (d->special == SW_SP_OPENAT2) {
                struct open_how how = {};
                bpf_probe_read_user(&how, sizeof(how), (const void *)e->args[2]);
                b->h.aux[0] = how.flags;
                b->h.aux[1] = how.mode;
        } else if (d->special == SW_SP_CAPSET) {
                __u32 caps[6] = {};     /* two __user_cap_data_struct {eff, perm, inh} */
                bpf_probe_read_user(caps, sizeof(caps), (const void *)e->args[1]);
                b->h.aux[0] = caps[0] | ((__u64)caps[3] << 32);
        }
        bpf_map_delete_elem(&inflight, &tid);
        rec_submit(b, c);
}

static __always_inline void regs_args(struct pt_regs *regs, __u64 *a)
{
        a[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
        a[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
        a[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
        a[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
        a[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
#if defined(__TARGET_ARCH_x86)
        a[5] = BPF_CORE_READ(regs, r9);
#else
        a[5] = BPF_CORE_READ(regs, regs[5]);
#endif
}

static __always_inline __u64 regs_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
        return BPF_CORE_READ(regs, orig_ax);
#else
        return BPF_CORE_READ(regs, syscallno);
#endif
}

/* ---- process lifecycle ---- */

static __always_inline void emit_exec(const void *filename, int filename_is_user)
{
        struct sw_config *c = wanted(0 /* EVT_EXECVE */);
        if (!c)
                return;
        struct task_struct *task = (struct task_struct *)bpf_get_current_task();
        struct rec_buf *b = rec_begin(0, 0xffff);
        if (!b)
                return;
        proc_info(b, task);
        if (filename_is_user)
                put_user_str(b, SW_PATH, filename);
        else
                put_kernel_str(b, SW_PATH, filename, SW_STR_MAX - 1);
        put_argv(b, task);
        const unsigned char *dname = BPF_CORE_READ(task, mm, exe_file, f_path.dentry, d_name.name);
        char head[6] = {};
        bpf_probe_read_kernel(head, sizeof(head), dname);
        if (head[0] == 'm' && head[1] == 'e' && head[2] == 'm' && head[3] == 'f' && head[4] == 'd' &&
            head[5] == ':') {
                b->h.flags_rec |= SW_F_MEMFD;
                put_kernel_str(b, SW_EXE_DNAME, dname, SW_MEMFD_NAME_MAX);
        }
        if (c->enforce) {
                __u32 z = 0;
                struct kill_key *kk = bpf_map_lookup_elem(&kill_scratch, &z);
                if (kk) {
                        __builtin_memset(kk, 0, sizeof(*kk));
                        if (filename_is_user)
                                bpf_probe_read_user_str(kk->path, sizeof(kk->path), filename);
                        else
                                bpf_probe_read_kernel_str(kk->path, sizeof(kk->path), filename);
                        if (bpf_map_lookup_elem(&kill_paths, kk)) {
                                bpf_send_signal(9);
                                count(SW_STAT_KILLS);
                                b->h.res = -1;  /* marks "killed by the sensor" */
                        }
                }
        }
        rec_submit(b, c);
}

static __always_inline void emit_fork(struct task_struct *child, __u32 child_tgid, __u32 child_pid)
{
        if (child_tgid != child_pid)    /* a thread, not a process */
                return;
        struct sw_config *c = wanted(1 /* EVT_CLONE */);
        if (!c)
                return;
        struct rec_buf *b = rec_begin(1, 0xffff);
        if (!b)
                return;
        b->h.args[0] = child_pid;
        b->h.res = child_pid;
        if (child) {
                proc_info(b, child);
        }
        rec_submit(b, c);
}

static __always_inline void emit_exit(void)
{
        __u64 pt = bpf_get_current_pid_tgid();
        __u32 tid = (__u32)pt;
        bpf_map_delete_elem(&inflight, &tid);
        if ((pt >> 32) != tid)          /* only the whole process leaving */
                return;
        struct sw_config *c = wanted(2 /* EVT_EXIT */);
        if (!c)
                return;
        struct rec_buf *b = rec_begin(2, 0xffff);
        if (!b)
                return;
        struct task_struct *task = (struct task_struct *)bpf_get_current_task();
        b->h.res = BPF_CORE_READ(task, exit_code);
        rec_submit(b, c);
}

/* ---- mode 1: tp_btf ---- */

SEC("tp_btf/sys_enter")
int BPF_PROG(btf_sys_enter, struct pt_regs *regs, long id)
{
        __u64 a[6];
        struct sw_dispatch *d = captured(id);
        if (!d || !wanted(d->type - 1))
                return 0;
        regs_args(regs, a);
        on_sys_enter(id, a);
        return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(btf_sys_exit, struct pt_regs *regs, long ret)
{
        /* BTF-typed pointer: a direct load, no probe helper on the hot path */
#if defined(__TARGET_ARCH_x86)
        on_sys_exit(regs->orig_ax, ret);
#else
        on_sys_exit(regs->syscallno, ret);
#endif
        return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(btf_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
        emit_exec(BPF_CORE_READ(bprm, filename), 0);
        return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_fork, struct task_struct *parent, struct task_struct *child)
{
        emit_fork(child, BPF_CORE_READ(child, tgid), BPF_CORE_READ(child, pid));
        return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(btf_exit, struct task_struct *p)
{
        emit_exit();
        return 0;
}

/* ---- mode 2: raw_tp (same arguments, read through probe helpers) ---- */

SEC("raw_tp/sys_enter")
int BPF_PROG(raw_sys_enter, struct pt_regs *regs, long id)
{
        __u64 a[6];
        struct sw_dispatch *d = captured(id);
        if (!d || !wanted(d->type - 1))
                return 0;
        regs_args(regs, a);
        on_sys_enter(id, a);
        return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(raw_sys_exit, struct pt_regs *regs, long ret)
{
        on_sys_exit(regs_nr(regs), ret);
        return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
        emit_exec(BPF_CORE_READ(bprm, filename), 0);
        return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_fork, struct task_struct *parent, struct task_struct *child)
{
        emit_fork(child, BPF_CORE_READ(child, tgid), BPF_CORE_READ(child, pid));
        return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_exit, struct task_struct *p)
{
        emit_exit();
        return 0;
}

/* ---- mode 3: classic tracepoints (need tracefs) ----
 * The two syscall programs are attached by the loader to syscalls/sys_enter_<name> and
 * sys_exit_<name> of each captured syscall only, so an uncaptured syscall runs no BPF at
 * all here. Those records share raw_syscalls' layout up to the args: the syscall number
 * is an int at offset 8 (raw_syscalls has a long there; its low half on little-endian),
 * the arguments (or ret) start at 16. Args past the syscall's own count are whatever
 * follows in the perf buffer, and the dispatch map says which ones mean anything. */

struct tp_sys_enter_rec {
        __u64 common;
        int nr;
        int pad;
        __u64 args[6];
};

struct tp_sys_exit_rec {
        __u64 common;
        int nr;
        int pad;
        long ret;
};

SEC("tp/raw_syscalls/sys_enter")
int tp_sys_enter(struct tp_sys_enter_rec *ctx)
{
        __u64 a[6];
        long id = ctx->nr;
        struct sw_dispatch *d = captured(id);
        if (!d || !wanted(d->type - 1))
                return 0;
        bpf_probe_read_kernel(a, sizeof(a), ctx->args);
        on_sys_enter(id, a);
        return 0;
}

SEC("tp/raw_syscalls/sys_exit")
int tp_sys_exit(struct tp_sys_exit_rec *ctx)
{
        on_sys_exit(ctx->nr, ctx->ret);
        return 0;
}

SEC("tp/sched/sched_process_exec")
int tp_exec(struct trace_event_raw_sched_process_exec *ctx)
{
        __u32 loc = BPF_CORE_READ(ctx, __data_loc_filename);
        emit_exec((const char *)ctx + (loc & 0xffff), 0);
        return 0;
}

SEC("tp/sched/sched_process_fork")
int tp_fork(struct trace_event_raw_sched_process_fork *ctx)
{
        /* the classic event has no task pointer: threads cannot be told apart here */
        __u32 child = BPF_CORE_READ(ctx, child_pid);
        emit_fork(0, child, child);
        return 0;
}

SEC("tp/sched/sched_process_exit")
int tp_exit(void *ctx)
{
        emit_exit();
        return 0;
}

/* ---- enforcement: refuse connect() from the cgroups it is attached to ---- */

SEC("cgroup/connect4")
int deny_connect4(struct bpf_sock_addr *ctx)
{
        count(SW_STAT_KILLS);
        return 0;
}

SEC("cgroup/connect6")
int deny_connect6(struct bpf_sock_addr *ctx)
{
        count(SW_STAT_KILLS);
        return 0;
}
