/*
 * log.c - text or JSON-lines logging to stderr.
 *
 * Each line is formatted into a stack buffer and written with one write(2)
 * so lines from different threads never interleave. The format and level
 * are set before threads start and only read afterwards.
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static enum log_format log_fmt = LOG_TEXT;
static enum log_level log_min = LOG_INFO;

static const char *level_names[] = { "debug", "info", "warn", "error" };

void log_setup(enum log_format fmt, enum log_level min)
{
        log_fmt = fmt;
        log_min = min;
}

int log_format_parse(const char *s)
{
        if (strcmp(s, "text") == 0)
                return LOG_TEXT;
        if (strcmp(s, "json") == 0)
                return LOG_JSON;
        return -1;
}

int log_level_parse(const char *s)
{
        for (int i = 0; i < 4; i++)
                if (strcmp(s, level_names[i]) == 0)
                        return i;
        return -1;
}

struct line {
        char buf[LOG_LINE_MAX];
        size_t len;
};

static void line_add(struct line *l, const char *s, size_t n)
{
        size_t room = sizeof(l->buf) - 2 - l->len;      /* keep "\n\0" */

        if (n > room)
                n = room;
        memcpy(l->buf + l->len, s, n);
        l->len += n;
}

static void line_puts(struct line *l, const char *s)
{
        line_add(l, s, strlen(s));
}

/* JSON string body escaping; control bytes become \u00XX. */
static void line_json_str(struct line *l, const char *s)
{
        char esc[8];

        line_add(l, "\"", 1);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)c;
                        line_add(l, esc, 2);
                } else if (c < 0x20) {
                        snprintf(esc, sizeof(esc), "\\u%04x", c);
                        line_add(l, esc, 6);
                } else {
                        line_add(l, s, 1);
                }
        }
        line_add(l, "\"", 1);
}

/* Text values with spaces, quotes or control bytes are quoted. */
static void line_text_val(struct line *l, const char *s)
{
        if (*s && !strpbrk(s, " \"=\t\r\n")) {
                line_puts(l, s);
                return;
        }
        line_add(l, "\"", 1);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        line_add(l, "\\", 1);
                if (c < 0x20)
                        c = '?';
                line_add(l, (char *)&c, 1);
        }
        line_add(l, "\"", 1);
}

static void timestamp(char *out, size_t n)
{
        struct timespec ts;
        struct tm tm;

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000) % 1000);
}

void log_kv(enum log_level lvl, const char *msg, const char *const *kv)
{
        struct line l = { .len = 0 };
        char ts[96];

        if (lvl < log_min)
                return;
        timestamp(ts, sizeof(ts));
        if (log_fmt == LOG_JSON) {
                line_puts(&l, "{\"time\":\"");
                line_puts(&l, ts);
                line_puts(&l, "\",\"level\":\"");
                line_puts(&l, level_names[lvl]);
                line_puts(&l, "\",\"msg\":");
                line_json_str(&l, msg);
                for (; kv && kv[0]; kv += 2) {
                        line_add(&l, ",", 1);
                        line_json_str(&l, kv[0]);
                        line_add(&l, ":", 1);
                        line_json_str(&l, kv[1] ? kv[1] : "");
                }
                line_add(&l, "}", 1);
        } else {
                line_puts(&l, ts);
                line_add(&l, " ", 1);
                line_puts(&l, level_names[lvl]);
                line_add(&l, " ", 1);
                line_puts(&l, msg);
                for (; kv && kv[0]; kv += 2) {
                        line_add(&l, " ", 1);
                        line_puts(&l, kv[0]);
                        line_add(&l, "=", 1);
                        line_text_val(&l, kv[1] ? kv[1] : "-");
                }
        }
        l.buf[l.len++] = '\n';
        (void)!write(STDERR_FILENO, l.buf, l.len);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
        char msg[LOG_LINE_MAX / 2];
        va_list ap;

        if (lvl < log_min)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        log_kv(lvl, msg, NULL);
}
