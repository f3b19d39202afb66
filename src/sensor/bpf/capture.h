/*
 * capture.h - live capture: load the BPF programs, read the ring buffer,
 * decode each record, keep the process/container tables current and hand
 * every event to a callback.
 *
 * One owner thread. Event strings are valid during the callback only; the
 * tables are updated before the callback sees the event. Nothing here logs:
 * capture_mode_name() and capture_stats() are for the caller to report.
 */
#ifndef DOUANE_SENSOR_BPF_CAPTURE_H
#define DOUANE_SENSOR_BPF_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "sensor/bpf/tables.h"
#include "sensor/event.h"

enum capture_mode {
        CAPTURE_MODE_AUTO = 0,          /* tp_btf, then raw_tp, then tp */
        CAPTURE_MODE_TP_BTF,
        CAPTURE_MODE_RAW_TP,
        CAPTURE_MODE_TP,
};

#define CAPTURE_DEFAULT_RINGBUF (16u << 20)

struct capture;                         /* opaque */

struct capture_opts {
        uint64_t event_mask;            /* bits (1ull << EVT_*); 0 = all. EXECVE/CLONE/EXIT always on */
        const uint64_t *cgroup_ids;     /* only these cgroup v2 ids (exact, not descendants) */
        size_t n_cgroup_ids;
        const char *const *cgroup_paths;/* or these cgroup v2 directories */
        size_t n_cgroup_paths;
        size_t ringbuf_bytes;           /* 0 = CAPTURE_DEFAULT_RINGBUF; rounded to a power of 2 */
        enum capture_mode mode;
        int include_self;               /* 0 = the kernel drops this process's own events */
        struct sensor_tables *tables;   /* borrowed; NULL = owned, seeded from /proc */
        /* enforcement, off unless set (best effort): SIGKILL on exec of these exact paths, */
        const char *const *kill_exec_paths;
        size_t n_kill_exec_paths;
        /* and connect() refused from these cgroup v2 directories */
        const char *const *deny_connect_cgroups;
        size_t n_deny_connect_cgroups;
};

struct capture_stats {
        uint64_t events;                /* records the kernel queued */
        uint64_t drops;                 /* records lost: ring buffer full */
        uint64_t kills;                 /* enforcement actions taken */
        uint64_t delivered;             /* records decoded and passed to the callback */
        uint64_t decode_errors;
        uint64_t truncated;             /* records with a string cut at its bound */
};

typedef void (*capture_cb)(const struct sensor_event *ev, const struct sensor_tables *t, void *ud);

/* 1 if this build has live capture at all. */
int capture_available(void);
/* Load and attach; *ret owned by the caller (capture_close). DOU_EUNSUPPORTED if
 * this build or machine cannot (message says why: not root, no BTF, lockdown...). */
int capture_open(const struct capture_opts *o, struct capture **ret);
/* Wait up to timeout_ms, then deliver everything queued. Returns events delivered or <0. */
int capture_poll(struct capture *c, int timeout_ms, capture_cb cb, void *ud);
/* The ring buffer's epoll fd, for an outer event loop. */
int capture_fd(const struct capture *c);
void capture_stats(const struct capture *c, struct capture_stats *ret);
/* "tp_btf", "raw_tp" or "tp": the attach mode that loaded. */
const char *capture_mode_name(const struct capture *c);
/* Failures of the modes tried before the one that loaded ("" if none). */
const char *capture_fallback_reason(const struct capture *c);
const struct sensor_tables *capture_tables(const struct capture *c);
/* NULL ok; returns NULL. Detaches everything. */
struct capture *capture_close(struct capture *c);

/* One-call loop for the CLI: runs until *stop or on_event returns non-zero. */
struct sensor_capture_opts {
        struct capture_opts cap;
        volatile int *stop;
        int poll_ms;                    /* 0 = 50 */
        /* optional: called once attached (log capture_mode_name(c), capture_fallback_reason(c)) */
        void (*on_open)(void *arg, struct capture *c);
        /* optional: filled with the final counters before the capture is closed */
        struct capture_stats *ret_stats;
};
int sensor_capture_run(const struct sensor_capture_opts *o,
                       int (*on_event)(void *arg, const struct sensor_event *ev,
                                       const struct sensor_tables *t),
                       void *arg);

#endif
