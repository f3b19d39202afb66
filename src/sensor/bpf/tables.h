/*
 * tables.h - the process and container tables behind src/sensor/proc.h, plus
 * the pure helpers that feed them (cgroup path -> container id).
 *
 * Usable without BPF: replay and tests build tables from recorded events.
 * The table is bounded: at most max_procs processes (least recently touched
 * evicted first) and max_containers containers, so pid churn cannot grow it.
 * Pid reuse is detected by start time. Single-threaded: one owner.
 */
#ifndef DOUANE_SENSOR_BPF_TABLES_H
#define DOUANE_SENSOR_BPF_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "sensor/event.h"
#include "sensor/proc.h"

#define SENSOR_TABLES_DEFAULT_PROCS 65536
#define SENSOR_TABLES_DEFAULT_CONTAINERS 4096
#define SENSOR_CONTAINER_ID_MAX 128     /* ids longer than this are not ids */
#define SENSOR_ARGS_MAX 1024            /* proc.args bound (bytes) */

struct sensor_tables_opts {
        size_t max_procs;               /* 0 = SENSOR_TABLES_DEFAULT_PROCS */
        size_t max_containers;          /* 0 = SENSOR_TABLES_DEFAULT_CONTAINERS */
        const char *proc_root;          /* NULL = "/proc" */
        const char *docker_root;        /* NULL = "/var/lib/docker" */
        const char *podman_root;        /* NULL = "/var/lib/containers/storage" */
        int no_runtime_metadata;        /* 1 = never read runtime state files */
        int no_procfs;                  /* 1 = never read /proc (replay) */
};

struct sensor_tables_stats {
        size_t procs, containers;
        uint64_t evictions, pid_reuses, proc_reads;
        size_t bytes;                   /* heap held by entries (approximate) */
};

/* Defaults; NULL on ENOMEM. Never reads /proc by itself. */
struct sensor_tables *sensor_tables_new(void);
int sensor_tables_new_opts(const struct sensor_tables_opts *o, struct sensor_tables **ret);
/* NULL ok; returns NULL. */
struct sensor_tables *sensor_tables_free(struct sensor_tables *t);

/* Scan proc_root: every process with its parent, exe, args, cwd, start
 * time, cgroup and container. Returns the number of processes read. */
int sensor_tables_seed_proc(struct sensor_tables *t);

/*
 * Apply one event. EXECVE replaces comm/exe/exepath/args/cwd, CLONE creates
 * the child (ev->res = child pid, parent side; or ev->pid on the child side),
 * EXIT marks the pid dead: it is removed at the next update call, so lookups
 * in the exit event's own callback still work. Any other event for an
 * unknown pid creates a minimal entry from the event (reading /proc for the
 * rest unless no_procfs).
 */
int sensor_tables_update(struct sensor_tables *t, const struct sensor_event *ev);

/* Container id for an event: the table's knowledge of its pid or cgroup id,
 * "" for the host. Never NULL; valid until the next mutation. */
const char *sensor_tables_container_of(struct sensor_tables *t, uint32_t pid, uint64_t cgroup_id);

/* Replay: insert or replace exactly as recorded; strings copied. */
int sensor_tables_put_proc(struct sensor_tables *t, const struct sensor_proc *p);
int sensor_tables_put_container(struct sensor_tables *t, const struct sensor_container *c);

void sensor_tables_stats(const struct sensor_tables *t, struct sensor_tables_stats *ret);

/*
 * Container id in one cgroup path (a line's path part of /proc/PID/cgroup):
 * docker ("/docker/<64hex>", "docker-<64hex>.scope"), containerd
 * ("cri-containerd-<id>.scope", "/containerd/<id>"), CRI-O ("crio-<id>.scope",
 * "crio-conmon-" excluded), podman ("libpod-<id>.scope", "/libpod_parent/libpod-<id>"),
 * kubepods ("/kubepods/.../pod<uid>/<64hex>"). Returns 0 and writes the id
 * (NUL-terminated) to out, DOU_ENOTFOUND for host paths, DOU_ETOOBIG if out
 * is too small. *ret_runtime (optional) gets a static name.
 */
int sensor_cgroup_container_id(const char *path, size_t len, char *out, size_t outsz,
                               const char **ret_runtime);

/* Whole /proc/PID/cgroup content (v1 and v2 lines): first container found. */
int sensor_cgroup_file_container_id(const char *buf, size_t len, char *out, size_t outsz,
                                    const char **ret_runtime);


/*
 * What the kernel knows about a process that struct sensor_event (a fixed
 * contract) has no room for; the capture side passes it alongside.
 */
struct sensor_event_extra {
        uint64_t start_ns;              /* task start, CLOCK_REALTIME ns; 0 = unknown */
        uint32_t child_pid;             /* CLONE: the new process */
        uint32_t loginuid;
        uint32_t vpid;
        int32_t tty;                    /* /proc stat tty_nr encoding, 0 = none */
        const char *exe_memfd;          /* EXECVE of a memfd: "memfd:<name>", else NULL */
        int has_proc_info;              /* 1 = start_ns/loginuid/tty/vpid are set */
};

/* sensor_tables_update() with the kernel's extra knowledge (x may be NULL). */
int sensor_tables_update_ext(struct sensor_tables *t, const struct sensor_event *ev,
                             const struct sensor_event_extra *x);

/* Lower-case name of an event type ("execve", "open", ...), "unknown" if out of range. */
const char *sensor_evt_type_name(int type);
/* Inverse of sensor_evt_type_name(), or -1. */
int sensor_evt_type_from_name(const char *name);

#endif
