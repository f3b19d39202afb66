/*
 * replay.c - the --replay loop.
 *
 * Each line is decoded, its recorded process chain (ancestors first) and
 * container are put into the tables, lines without recorded processes
 * update the tables from the event itself (as live capture does), then the
 * event is evaluated. Decoding and evaluation are timed separately so the
 * benchmark can report the rules engine's own throughput.
 */
#include "sensor/rules/replay.h"
#include "sensor/bpf/tables.h"
#include "sensor/rules/record.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct sensor_proc *ops_proc(const void *t, uint32_t pid)
{
        return sensor_proc_get(t, pid);
}

static const struct sensor_container *ops_cont(const void *t, const char *id)
{
        return sensor_container_get(t, id);
}

const struct rules_ctx_ops sensor_tables_ctx_ops = {
        .proc_get = ops_proc,
        .container_get = ops_cont,
};

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct count_arg {
        rules_alert_fn fn;
        void *arg;
        uint64_t n;
        double sink_s;
};

/* Counts alerts and times the sink (JSON encoding, writes) apart from the engine. */
static int count_alert(void *arg, const struct rules_alert *a)
{
        struct count_arg *c = arg;
        c->n++;
        if (!c->fn)
                return 0;
        double t0 = now_s();
        int r = c->fn(c->arg, a);
        c->sink_s += now_s() - t0;
        return r;
}

static void bad_line(struct replay_stats *st)
{
        st->bad_lines++;
        if (!st->first_bad_line) {
                st->first_bad_line = st->lines;
                snprintf(st->first_error, sizeof(st->first_error), "%s", dou_err_msg());
        }
}

int sensor_replay(struct rules_engine *e, FILE *in, struct sensor_tables *t, rules_alert_fn fn,
                  void *arg, struct replay_stats *st)
{
        memset(st, 0, sizeof(*st));
        struct record_dec *d = record_dec_new();
        struct record_line *rl = calloc(1, sizeof(*rl));
        char *line = NULL;
        size_t cap = 0;
        int r = 0;
        if (!d || !rl) {
                r = dou_err_set(DOU_ENOMEM, "out of memory");
                goto out;
        }
        struct count_arg ca = { .fn = fn, .arg = arg };
        rules_engine_set_ctx(e, &sensor_tables_ctx_ops, t);
        ssize_t n;
        while ((n = getline(&line, &cap, in)) >= 0) {
                st->lines++;
                size_t len = (size_t)n;
                while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                        len--;
                if (len == 0 || line[0] == '#')
                        continue;
                double t0 = now_s();
                if (record_decode(d, line, len, rl) < 0) {
                        bad_line(st);
                        st->decode_s += now_s() - t0;
                        continue;
                }
                bool bad = false;
                for (size_t i = rl->nprocs; i-- > 0 && !bad;)
                        bad = sensor_tables_put_proc(t, &rl->procs[i]) < 0;
                if (!bad && rl->has_container)
                        bad = sensor_tables_put_container(t, &rl->cont) < 0;
                if (!bad && rl->has_event &&
                    (rl->nprocs == 0 || rl->ev.type == EVT_EXIT || rl->ev.type == EVT_CLONE))
                        bad = sensor_tables_update(t, &rl->ev) < 0;
                double t1 = now_s();
                st->decode_s += t1 - t0;
                if (bad) {
                        bad_line(st);
                        continue;
                }
                if (!rl->has_event) {
                        st->state_lines++;
                        continue;
                }
                st->events++;
                r = rules_engine_eval(e, &rl->ev, count_alert, &ca);
                double sink_before = ca.sink_s;
                st->eval_s += now_s() - t1;
                st->eval_s -= ca.sink_s - sink_before;
                if (r < 0)
                        goto out;
                r = 0;
        }
        st->alerts = ca.n;
        st->output_s = ca.sink_s;
out:
        free(line);
        free(rl);
        record_dec_free(d);
        return r;
}
