/*
 * rules.h - douane's Falco-compatible rules engine.
 *
 * Life cycle: rules_engine_new(), rules_engine_load_file() for each rules
 * file (later files append to / override / disable earlier items), then
 * rules_engine_compile() once; after that the engine is read-only apart
 * from a small per-engine evaluation context, and rules_engine_eval() runs
 * over each event without allocating. The engine belongs to one thread.
 *
 * Context beyond the event (process parent chain, container) comes from a
 * struct rules_ctx_ops so the live capture tables (sensor/proc.h) and the
 * replay tables can both back it.
 */
#ifndef DOUANE_SENSOR_RULES_H
#define DOUANE_SENSOR_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensor/event.h"
#include "sensor/proc.h"

enum rules_priority {
        PRIO_EMERGENCY, PRIO_ALERT, PRIO_CRITICAL, PRIO_ERROR,
        PRIO_WARNING, PRIO_NOTICE, PRIO_INFORMATIONAL, PRIO_DEBUG,
};

/* "Warning", "Informational" ... (Falco's spelling in outputs). */
const char *rules_priority_name(enum rules_priority p);
/* Case-insensitive, accepts "info"; -1 when unknown. */
int rules_priority_parse(const char *s);

typedef int (*rules_image_info_fn)(void *arg, const char *digest, const char **ret_verdict,
                                  int *ret_released, int64_t *ret_vulns);

/* ops->image_info NULL keeps the one set before (the registry link). */
struct rules_ctx_ops {
        const struct sensor_proc *(*proc_get)(const void *tables, uint32_t pid);
        const struct sensor_container *(*container_get)(const void *tables, const char *id);
        /* optional registry link: fills verdict/released/vulns for an image digest */
        rules_image_info_fn image_info;
        void *image_arg;
};

struct rules_engine;

/* Messages (warnings) collected while loading; errors are reported via dou_err. */
struct rules_engine *rules_engine_new(void);
struct rules_engine *rules_engine_free(struct rules_engine *e);

/*
 * Load one rules file (YAML text of len bytes, name used in messages).
 * Errors carry "name:line: message" in dou_err_msg().
 */
int rules_engine_load(struct rules_engine *e, const char *name, const char *text, size_t len);
int rules_engine_load_file(struct rules_engine *e, const char *path);

/* Resolve macros and lists, compile every enabled rule, build the event type index. */
int rules_engine_compile(struct rules_engine *e);

/* Warnings gathered by load/compile, one per line; "" when none. */
const char *rules_engine_warnings(const struct rules_engine *e);

/* Number of rules known (loaded, any state) and enabled+compiled. */
size_t rules_engine_rule_count(const struct rules_engine *e);
size_t rules_engine_enabled_count(const struct rules_engine *e);

struct rules_rule_info {
        const char *name;
        const char *file;
        int line;
        enum rules_priority priority;
        bool enabled;
        bool evaluable;         /* compiled; false if disabled or other source */
        const char *source;
        uint64_t evt_mask;      /* event types it can match */
        size_t n_missing_fields;/* fields it uses that the sensor cannot know yet */
        bool action_kill;
};
int rules_engine_rule_info(const struct rules_engine *e, size_t i, struct rules_rule_info *ret);

/* Bit (1ULL << enum sensor_evt_type) for every event type a loaded rule can match. */
uint64_t rules_needed_event_mask(const struct rules_engine *e);

/* Event type for a Falco evt.type name ("openat" -> EVT_OPEN); -1 if not captured. */
int rules_evt_type_from_name(const char *name);

void rules_engine_set_min_priority(struct rules_engine *e, enum rules_priority p);
void rules_engine_set_ctx(struct rules_engine *e, const struct rules_ctx_ops *ops, const void *tables);

/* One alert, valid during the callback only. */
struct rules_alert {
        const char *rule;
        enum rules_priority priority;
        const char *output;             /* formatted output string (no time prefix) */
        size_t n_fields;
        const char *const *field_names; /* fields used in output, in order */
        const char *const *field_values;/* NULL = missing ("<NA>") */
        const bool *field_is_num;
        const char *const *tags;
        size_t n_tags;
        const struct sensor_event *event;
        bool action_kill;               /* the rule asks for "action: kill" */
};

typedef int (*rules_alert_fn)(void *arg, const struct rules_alert *a);

/*
 * Evaluate one event against the rules indexed for its type; call fn for
 * each match (in load order). Returns the number of matches or a negative
 * error returned by fn.
 */
int rules_engine_eval(struct rules_engine *e, const struct sensor_event *ev,
                      rules_alert_fn fn, void *arg);

/*
 * Per-rule token bucket on event time: at most burst alerts at once, refilled
 * at rate per second. rate <= 0 disables limiting (the default).
 */
void rules_engine_set_rate_limit(struct rules_engine *e, double rate, double burst);
/* Alerts suppressed by rate limiting so far. */
uint64_t rules_engine_dropped(const struct rules_engine *e);

/* Parse a condition alone (used by the fuzzer and tests); 0 or error. */
int rules_condition_check(struct rules_engine *e, const char *cond, size_t len);

#endif
