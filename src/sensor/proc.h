/*
 * proc.h - what the sensor knows about processes and containers, as the
 * rules engine sees it. Owned by the capture side (src/sensor/bpf), which
 * fills it from the kernel's events and /proc; read by the rules engine
 * (src/sensor/rules) through these lookups, and rebuilt from recorded
 * events in --replay mode.
 *
 * Entries are owned by the table; pointers stay valid until the next call
 * that mutates the table (the sensor's event loop is single-threaded).
 */
#ifndef DOUANE_SENSOR_PROC_H
#define DOUANE_SENSOR_PROC_H

#include <stdint.h>

#include "sensor/event.h"

struct sensor_container {
        const char *id;                 /* 64-hex (or runtime-specific) id; "" = host */
        const char *name;
        const char *image;              /* image reference, e.g. registry/repo:tag */
        const char *image_digest;       /* "sha256:..." when known */
        const char *runtime;            /* "docker", "containerd", "cri-o", "podman", "" */
};

struct sensor_proc {
        uint32_t pid, ppid, tid;
        uint32_t uid, gid, loginuid;
        uint64_t start_ns;
        uint64_t cgroup_id, mntns;
        const char *comm;               /* kernel comm (15 chars) */
        const char *exe;                /* argv[0] as executed */
        const char *exepath;            /* resolved executable path */
        const char *args;               /* argv[1..] joined by spaces (bounded) */
        const char *cwd;
        const char *container_id;       /* "" = host */
        int tty;                        /* controlling tty number, 0 if none */
        int vpid;                       /* pid inside its pid namespace */
};

struct sensor_tables;                   /* opaque: process + container tables */

/* Process by pid, NULL if unknown. */
const struct sensor_proc *sensor_proc_get(const struct sensor_tables *t, uint32_t pid);
/* Container by id, NULL if unknown (or "" host). */
const struct sensor_container *sensor_container_get(const struct sensor_tables *t, const char *id);

#endif
