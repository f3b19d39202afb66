/*
 * log.h - the only place douane writes diagnostics.
 *
 * Library code never logs; the CLI and the HTTP layer do, through these
 * functions. Output goes to stderr as text ("2026-11-23T10:00:00Z info msg
 * key=value") or as one JSON object per line, chosen once at startup.
 */
#ifndef DOUANE_UTIL_LOG_H
#define DOUANE_UTIL_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_TEXT, LOG_JSON };

/* Configure once, before any thread starts. */
void log_setup(enum log_format fmt, enum log_level min);

/* Parse "text"/"json" and "debug"/"info"/"warn"/"error"; -1 when unknown. */
int log_format_parse(const char *s);
int log_level_parse(const char *s);

/*
 * Log a message followed by key/value pairs. kv is a NULL-terminated list
 * of alternating keys and values (values may be NULL, printed as "-").
 */
void log_kv(enum log_level lvl, const char *msg, const char *const *kv);

void log_msg(enum log_level lvl, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
