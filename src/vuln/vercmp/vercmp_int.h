/*
 * vercmp_int.h - internals shared by the per-ecosystem comparators.
 *
 * The dispatcher in vercmp.c has already checked that both strings are
 * non-NULL, non-empty, at most VERCMP_MAX_LEN bytes and made only of
 * printable ASCII (0x21..0x7e), so every comparator may assume that and
 * only checks its own grammar. Comparators never allocate: every version
 * is at most VERCMP_MAX_LEN bytes, so parse state lives in fixed arrays.
 * Numbers are compared as digit strings, never converted, so a 300-digit
 * component compares exactly instead of overflowing.
 */
#ifndef DOUANE_VULN_VERCMP_INT_H
#define DOUANE_VULN_VERCMP_INT_H

#include <stddef.h>

static inline int vercmp__is_digit(int c) { return c >= '0' && c <= '9'; }
static inline int vercmp__is_lower(int c) { return c >= 'a' && c <= 'z'; }
static inline int vercmp__is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static inline int vercmp__is_alpha(int c) { return vercmp__is_lower(c) || vercmp__is_upper(c); }
static inline int vercmp__is_alnum(int c) { return vercmp__is_alpha(c) || vercmp__is_digit(c); }
static inline int vercmp__sign(long long v) { return (v > 0) - (v < 0); }

/* Compare two runs of ASCII digits as unbounded non-negative integers. */
int vercmp__digits(const char *a, size_t na, const char *b, size_t nb);

/* Compare two byte ranges like strcmp (shorter prefix sorts first). */
int vercmp__bytes(const char *a, size_t na, const char *b, size_t nb);

/* Per-ecosystem comparators: same contract as vercmp(). */
int vercmp__dpkg(const char *a, const char *b, int *ret);
int vercmp__rpm(const char *a, const char *b, int *ret);
int vercmp__apk(const char *a, const char *b, int *ret);
int vercmp__semver(const char *a, const char *b, int *ret);
int vercmp__pep440(const char *a, const char *b, int *ret);
int vercmp__maven(const char *a, const char *b, int *ret);
int vercmp__go(const char *a, const char *b, int *ret);
int vercmp__gem(const char *a, const char *b, int *ret);

#endif
