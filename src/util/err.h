/*
 * err.h - one error type for all of douane.
 *
 * Functions return 0 (or a positive count) on success and a negative
 * enum dou_err on failure. The callee may attach a human sentence with
 * dou_err_set(); it lives in thread-local storage until the next call on
 * that thread, so a handler can report it without library code ever
 * logging. Codes travel up unchanged.
 */
#ifndef DOUANE_UTIL_ERR_H
#define DOUANE_UTIL_ERR_H

enum dou_err {
        DOU_OK = 0,
        DOU_ENOMEM = -1,        /* allocation failed */
        DOU_EIO = -2,           /* filesystem or socket error (errno in message) */
        DOU_EINVAL = -3,        /* malformed input */
        DOU_ENOTFOUND = -4,     /* no such object */
        DOU_EEXIST = -5,        /* object already exists */
        DOU_ETOOBIG = -6,       /* input exceeds a configured bound */
        DOU_EDIGEST = -7,       /* content does not match its digest */
        DOU_EUNSUPPORTED = -8,  /* well formed but not supported */
        DOU_ERANGE = -9,        /* offset or range does not fit */
        DOU_EDB = -10,          /* metadata store failure */
        DOU_EDENIED = -11,      /* not allowed */
        DOU_EBUSY = -12,        /* too many concurrent operations */
        DOU_EINTERNAL = -13,    /* invariant broken: a bug */
};

/* Short fixed name of a code, never NULL. */
const char *dou_err_name(int code);

/*
 * Record a message for the calling thread and return code, so callers can
 * write "return dou_err_set(DOU_EINVAL, "bad tag %s", t);".
 */
int dou_err_set(int code, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Like dou_err_set() but appends ": strerror(errno)". */
int dou_err_errno(int code, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Last message set on this thread, or the code's name if none. */
const char *dou_err_msg(void);

/* Forget the last message (call at the start of each request). */
void dou_err_clear(void);

#endif
