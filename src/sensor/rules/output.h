/*
 * output.h - where alerts go: JSON lines (Falco's field names) or text on a
 * stream (stdout or -o FILE), syslog, and an HTTP webhook fed through a
 * bounded queue by its own thread so a slow receiver never blocks the
 * event loop (alerts beyond the queue are dropped and counted).
 */
#ifndef DOUANE_SENSOR_RULES_OUTPUT_H
#define DOUANE_SENSOR_RULES_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sensor/rules/rules.h"

#define ALERT_WEBHOOK_QUEUE 1024        /* pending webhook posts */
#define ALERT_WEBHOOK_TIMEOUT_MS 2000
#define ALERT_WEBHOOK_DRAIN_S 5           /* max wait for pending posts at exit */

struct alert_sink_opts {
        FILE *out;                      /* NULL = none */
        bool text;                      /* text lines instead of JSON */
        bool syslog;
        const char *webhook_url;        /* NULL = none */
        const char *hostname;           /* NULL = gethostname() */
};

struct alert_sink_stats {
        uint64_t alerts, webhook_sent, webhook_failed, webhook_dropped;
};

struct alert_sink;
int alert_sink_new(const struct alert_sink_opts *o, struct alert_sink **ret);
/* Drains the webhook queue (bounded wait), then frees. NULL ok. */
struct alert_sink *alert_sink_free(struct alert_sink *s);
/* A rules_alert_fn: arg is the sink. */
int alert_sink_emit(void *sink, const struct rules_alert *a);
void alert_sink_stats(struct alert_sink *s, struct alert_sink_stats *ret);

/* One alert as a Falco JSON object (compact, no newline); malloc'd, NULL on ENOMEM. */
char *alert_to_json(const struct rules_alert *a, const char *hostname);
/* RFC 3339 UTC with nanoseconds: "2026-11-23T05:00:00.123456789Z". */
void alert_time_rfc3339(uint64_t ts_ns, char *buf, size_t sz);

#endif
