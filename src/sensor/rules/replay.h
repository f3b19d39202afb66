/*
 * replay.h - evaluate a recorded event file through the rules engine,
 * rebuilding the process and container tables from the records.
 */
#ifndef DOUANE_SENSOR_RULES_REPLAY_H
#define DOUANE_SENSOR_RULES_REPLAY_H

#include <stdint.h>
#include <stdio.h>

#include "sensor/rules/rules.h"

struct sensor_tables;

struct replay_stats {
        uint64_t lines, events, state_lines, bad_lines, alerts;
        uint64_t first_bad_line;        /* 0 = none */
        char first_error[256];
        double decode_s;                /* JSON decoding + table updates */
        double eval_s;                  /* rules_engine_eval: matching + output strings */
        double output_s;                /* alert sinks (JSON encoding, writes, queues) */
};

/* Context ops backed by the capture side's tables (sensor/proc.h). */
extern const struct rules_ctx_ops sensor_tables_ctx_ops;

/*
 * Read JSON lines from in until EOF. Malformed lines are counted (the first
 * error kept in stats) and skipped. Returns 0 or the first negative error
 * from fn / the tables.
 */
int sensor_replay(struct rules_engine *e, FILE *in, struct sensor_tables *t, rules_alert_fn fn,
                  void *arg, struct replay_stats *ret);

#endif
