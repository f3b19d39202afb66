/*
 * record.h - the sensor's recorded event format (--record / --replay):
 * JSON lines, one event with its process context per line, so a replay can
 * rebuild the process and container tables. See docs/sensor.md "Record format".
 */
#ifndef DOUANE_SENSOR_RULES_RECORD_H
#define DOUANE_SENSOR_RULES_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sensor/event.h"
#include "sensor/proc.h"

#define RECORD_MAX_LINE (4u << 20)      /* one line, bytes */
#define RECORD_MAX_PROCS 9              /* the process and up to 8 ancestors */

struct record_line {
        bool has_event;
        struct sensor_event ev;
        struct sensor_proc procs[RECORD_MAX_PROCS];
        size_t nprocs;
        bool has_container;
        struct sensor_container cont;
};

/* Decoder state: owns the parsed line; strings in the output stay valid until the next call. */
struct record_dec;
struct record_dec *record_dec_new(void);
struct record_dec *record_dec_free(struct record_dec *d);

/* Decode one line (no newline needed). 0, or DOU_EINVAL/DOU_ETOOBIG with a message. */
int record_decode(struct record_dec *d, const char *line, size_t len, struct record_line *ret);

/*
 * Write one event line with its process chain (procs[0] = the process,
 * then its ancestors) and container (may be NULL). Returns 0 or DOU_EIO.
 */
int record_write(FILE *f, const struct sensor_event *ev, const struct sensor_proc *const *procs,
                 size_t nprocs, const struct sensor_container *c);

/* Lower-case type name used in the "type" key ("open", "execve", ...). */
const char *record_type_name(enum sensor_evt_type t);

#endif
