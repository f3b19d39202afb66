/*
 * wire.h - the ring buffer record layout shared by sensor.bpf.c (producer)
 * and decode.c (consumer). One record = struct sw_hdr followed by
 * hdr.data_len bytes of TLV items (struct sw_tlv + len bytes, len includes
 * no padding). The consumer trusts none of it: sizes, kinds and string
 * terminators are checked in decode.c.
 *
 * Bump SW_VERSION on any change; both sides are built from this file.
 */
#ifndef DOUANE_SENSOR_BPF_WIRE_H
#define DOUANE_SENSOR_BPF_WIRE_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define SW_MAGIC 0x5345
#define SW_VERSION 1
#define SW_COMM_LEN 16
#define SW_STR_MAX 4096         /* one path or argv blob (bytes, NUL included) */
#define SW_DATA_MAX 8192        /* TLV payload per record */
#define SW_SOCKADDR_MAX 112     /* sockaddr_un fits */
#define SW_MEMFD_NAME_MAX 64

enum sw_kind {
        SW_PATH = 1,            /* open/exec/unlink/chmod/... path, NUL-terminated when whole */
        SW_PATH2 = 2,           /* rename/link destination */
        SW_ARGS = 3,            /* argv as the kernel stores it: NUL-separated */
        SW_UADDR = 4,           /* sockaddr passed by the caller (raw, as in user memory) */
        SW_SOCK_LOCAL = 5,      /* the socket's local end, as sockaddr_in/in6 from the kernel */
        SW_SOCK_REMOTE = 6,     /* the socket's peer */
        SW_EXE_DNAME = 7,       /* name of the executed file's dentry (memfd detection) */
};

/* hdr.flags_rec */
#define SW_F_TRUNCATED 0x1      /* a string or argv was cut at its bound */
#define SW_F_PROC_INFO 0x2      /* start_ns/loginuid/tty/vpid are valid */
#define SW_F_MEMFD 0x4          /* EXECVE of a memfd-backed file */

struct sw_hdr {
        __u16 magic;
        __u8 version;
        __u8 type;              /* enum sensor_evt_type */
        __u16 syscall_nr;       /* the architecture's number; 0xffff = not a syscall */
        __u16 data_len;
        __u32 flags_rec;
        __u32 pid, tid, ppid, uid, gid, loginuid, vpid;
        __s32 tty;
        __u64 ts_boot_ns;
        __u64 start_boot_ns;
        __u64 cgroup_id;
        __u64 mntns;
        __s64 res;
        __u64 args[6];          /* raw syscall arguments; CLONE: args[0] = child pid */
        __u64 aux[2];           /* openat2: how.flags, how.mode; capset: effective caps */
        __u16 sock_family, sock_type;   /* from the socket looked up in the kernel */
        __u32 pad;
        char comm[SW_COMM_LEN];
};

struct sw_tlv {
        __u16 kind;
        __u16 len;
};

/*
 * Dispatch map value (array indexed by syscall number): what the kernel must
 * read for that syscall. Arg indexes 0..5; SW_ARG_NONE = nothing;
 * SW_ARG_RES = the return value (accept's new fd).
 */
#define SW_ARG_NONE 0xff
#define SW_ARG_RES 0xfe
enum sw_special { SW_SP_NONE, SW_SP_OPENAT2, SW_SP_CAPSET };
struct sw_dispatch {
        __u8 type;              /* enum sensor_evt_type + 1; 0 = not captured */
        __u8 path_arg, path2_arg, uaddr_arg, uaddrlen_arg, sockfd_arg, special, pad;
};

/* Kernel-side config, index 0 of the array map "config". */
struct sw_config {
        __u64 event_mask;       /* 1 << enum sensor_evt_type */
        __u32 self_tgid;        /* dropped in the kernel */
        __u32 filter_cgroup;    /* 1 = only cgroup ids in map "cgroups" */
        __u32 enforce;          /* 1 = kill on exec of paths in map "kill_paths" */
        __u32 wakeup_bytes;     /* notify user space once this much is queued */
};

/* Per-CPU counters, array map "stats" indices. */
enum sw_stat { SW_STAT_EVENTS, SW_STAT_DROPS, SW_STAT_KILLS, SW_STAT_LOST_ENTER, SW_STAT_COUNT };

#define SW_KILL_PATH_MAX 256

#endif
