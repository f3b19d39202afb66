/*
 * event.h - one observed system event, as decoded from the kernel ring
 * buffer or read back from a recorded JSON-lines file (--record/--replay).
 *
 * The decoder fills a struct sensor_event whose strings point into the
 * decoder's own buffer (valid until the next event); the rules engine reads
 * it without allocating. Process context (parent chain, container) comes
 * from the process and container tables, looked up by pid/cgroup.
 */
#ifndef DOUANE_SENSOR_EVENT_H
#define DOUANE_SENSOR_EVENT_H

#include <stdint.h>

enum sensor_evt_type {
        EVT_EXECVE, EVT_CLONE, EVT_EXIT,
        EVT_OPEN,               /* open, openat, openat2 (evt.type says which) */
        EVT_CONNECT, EVT_ACCEPT, EVT_BIND, EVT_LISTEN, EVT_SOCKET,
        EVT_SENDTO, EVT_SENDMSG,
        EVT_DUP, EVT_LINK, EVT_SYMLINK, EVT_UNLINK, EVT_RENAME,
        EVT_PTRACE, EVT_SETUID, EVT_SETGID, EVT_CAPSET,
        EVT_MOUNT, EVT_INIT_MODULE, EVT_MEMFD_CREATE, EVT_CHMOD,
        EVT_TYPE_COUNT
};

#define SENSOR_MAX_ARGS 64

struct sensor_event {
        uint64_t ts_ns;                 /* CLOCK_REALTIME nanoseconds */
        enum sensor_evt_type type;
        const char *syscall;            /* exact syscall name ("openat2", "execve", ...) */
        uint32_t pid, tid, ppid;
        uint32_t uid, gid;
        uint64_t cgroup_id;
        uint64_t mntns;
        const char *comm;
        const char *container_id;       /* "" for the host */
        int64_t res;                    /* syscall return value */

        /* type-specific; unused ones are NULL/0 */
        const char *path;               /* exec filename, open/unlink/chmod path, link target */
        const char *path2;              /* rename/link destination */
        uint32_t flags;                 /* open flags, clone flags, memfd flags */
        uint32_t mode;
        const char *argv[SENSOR_MAX_ARGS];
        uint32_t argc;
        const char *cwd;
        uint32_t fd;
        uint16_t sock_family;           /* AF_INET, AF_INET6, AF_UNIX */
        uint16_t sock_type;
        const char *sip, *dip;          /* textual addresses */
        uint16_t sport, dport;
        uint32_t new_uid, new_gid;      /* setuid/setgid target */
        uint32_t ptrace_request;
        uint64_t cap_effective;
};

#endif
