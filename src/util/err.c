/*
 * err.c - error names and the per-thread last-error message.
 *
 * The message buffer is thread-local: no locking is needed and one
 * request's error never leaks into another thread's report.
 */
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DOU_ERR_MSG_MAX 512

static _Thread_local char last_msg[DOU_ERR_MSG_MAX];
static _Thread_local int last_code;

const char *dou_err_name(int code)
{
        switch (code) {
        case DOU_OK: return "ok";
        case DOU_ENOMEM: return "out of memory";
        case DOU_EIO: return "i/o error";
        case DOU_EINVAL: return "invalid input";
        case DOU_ENOTFOUND: return "not found";
        case DOU_EEXIST: return "already exists";
        case DOU_ETOOBIG: return "too large";
        case DOU_EDIGEST: return "digest mismatch";
        case DOU_EUNSUPPORTED: return "unsupported";
        case DOU_ERANGE: return "range not satisfiable";
        case DOU_EDB: return "metadata store error";
        case DOU_EDENIED: return "denied";
        case DOU_EBUSY: return "busy";
        case DOU_EINTERNAL: return "internal error";
        }
        return "unknown error";
}

int dou_err_set(int code, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
        va_end(ap);
        last_code = code;
        return code;
}

int dou_err_errno(int code, const char *fmt, ...)
{
        int saved = errno;
        va_list ap;
        size_t n;

        va_start(ap, fmt);
        vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
        va_end(ap);
        n = strlen(last_msg);
        if (n < sizeof(last_msg))
                snprintf(last_msg + n, sizeof(last_msg) - n, ": %s", strerror(saved));
        last_code = code;
        return code;
}

const char *dou_err_msg(void)
{
        if (last_msg[0] == '\0')
                return dou_err_name(last_code);
        return last_msg;
}

void dou_err_clear(void)
{
        last_msg[0] = '\0';
        last_code = 0;
}
