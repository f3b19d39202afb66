/*
 * decode.h - ring buffer record -> struct sensor_event.
 *
 * The record comes from the kernel but is treated as hostile input (a
 * fuzz target): every size is checked against the record length, strings
 * without terminators are cut at their TLV length, argv is split into at
 * most SENSOR_MAX_ARGS entries, sockaddrs are checked per family.
 * The event's strings point into the decoder, valid until the next call.
 */
#ifndef DOUANE_SENSOR_BPF_DECODE_H
#define DOUANE_SENSOR_BPF_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "sensor/bpf/tables.h"
#include "sensor/bpf/wire.h"
#include "sensor/event.h"

struct sensor_decoder {
        struct sensor_event ev;
        struct sensor_event_extra x;
        int truncated;                  /* the record said a string was cut */
        char comm[SW_COMM_LEN + 1];
        char sip[64], dip[128];
        char memfd[SW_MEMFD_NAME_MAX + 8];
        char strbuf[SW_DATA_MAX + 2 * SENSOR_MAX_ARGS + 64];
};

/*
 * Decode one record. boot_to_real_ns converts the kernel's boot clock to
 * CLOCK_REALTIME. 0 on success (d->ev, d->x filled), DOU_EINVAL on a
 * malformed record (d unchanged is NOT promised).
 */
int sensor_decode(struct sensor_decoder *d, const void *rec, size_t len, int64_t boot_to_real_ns);

/* Syscalls the sensor captures on this architecture. */
struct sensor_syscall {
        int nr;
        const char *name;
        enum sensor_evt_type type;
        /* argument indexes (SW_ARG_NONE = absent), read in the kernel ... */
        uint8_t path, path2, uaddr, uaddrlen, sockfd, special;
        /* ... and interpreted by the decoder */
        uint8_t flags, mode, fd;
};
extern const struct sensor_syscall sensor_syscalls[];
extern const size_t sensor_nsyscalls;
/* Name for a syscall number, NULL if not captured. */
const char *sensor_syscall_name(int nr);
const struct sensor_syscall *sensor_syscall_get(int nr);

#endif
