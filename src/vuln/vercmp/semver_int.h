/*
 * semver_int.h - the SemVer parser shared by the npm and Go comparators
 * and the npm range evaluator. A parsed version points into the string
 * it came from (no copies, no ownership).
 */
#ifndef DOUANE_VULN_VERCMP_SEMVER_INT_H
#define DOUANE_VULN_VERCMP_SEMVER_INT_H

#include <stddef.h>

enum { SEMVER_NPM, SEMVER_GO };

struct semver {
        const char *num[3];     /* major, minor, patch digit runs */
        size_t num_len[3];
        const char *pre;        /* pre-release without the '-', or NULL */
        size_t pre_len;
};

/* Parse s[0..len) under profile; 0 or -1 (no message set). */
int semver__parse(const char *s, size_t len, int profile, struct semver *v);

/* Precedence of two parsed versions: -1, 0, 1. */
int semver__cmp(const struct semver *a, const struct semver *b);

#endif
