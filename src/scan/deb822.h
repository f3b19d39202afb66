/*
 * deb822.h - reader for Debian control-style paragraphs (dpkg status,
 * status.d files, DEP-5 copyright). Internal to src/scan.
 *
 * Only the first line of each field is returned (the fields douane reads
 * are single-line, or like DEP-5 "License:" carry their meaning on the
 * first line); continuation lines are skipped. A line that is neither a
 * field nor a continuation marks the paragraph malformed.
 */
#ifndef DOUANE_SCAN_DEB822_H
#define DOUANE_SCAN_DEB822_H

#include <stddef.h>

#define DEB822_MAX_FIELDS 64            /* fields kept per paragraph; more are ignored */

struct deb822_field {
        const char *name, *value;       /* not NUL-terminated */
        size_t name_len, value_len;
};

struct deb822 {
        const char *buf;
        size_t len, pos, lineno;
};

struct deb822_para {
        struct deb822_field f[DEB822_MAX_FIELDS];
        size_t n;
        size_t first_line;              /* line number where it starts (1-based) */
        size_t bad_line;                /* 0, or first malformed line */
};

/* 1 and a paragraph, or 0 at the end of the buffer. */
int deb822_next(struct deb822 *r, struct deb822_para *p);

/* Field value by case-insensitive name, or NULL; *len set. */
const char *deb822_get(const struct deb822_para *p, const char *name, size_t *len);

#endif
