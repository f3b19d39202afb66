/*
 * pattern.c - repository patterns of the roles: segments separated by '/';
 * '*' inside a segment matches any run of characters except '/', a segment
 * that is exactly '**' matches zero or more whole segments, except at the
 * end where it needs at least one (quarantine followed by slash-star-star
 * is everything inside quarantine/, not "quarantine" itself). No other metacharacters exist.
 * Matching is a segment-level dynamic programme, so no pattern can make it
 * exponential.
 */
#include "auth/auth_int.h"

#include <string.h>

int pattern_valid(const char *p)
{
        size_t n = strlen(p), segs = 1, start = 0;

        if (n == 0 || n > REPO_NAME_MAX)
                return 0;
        for (size_t i = 0; i <= n; i++) {
                if (i < n && p[i] != '/') {
                        char c = p[i];
                        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                              c == '_' || c == '-' || c == '*'))
                                return 0;
                        continue;
                }
                size_t len = i - start;
                const char *seg = p + start;
                if (len == 0)
                        return 0;
                /* '**' only as a whole segment; no '***'. */
                const char *dd = memchr(seg, '*', len);
                if (dd && dd + 1 < seg + len && dd[1] == '*' && len != 2)
                        return 0;
                for (size_t k = 0; k + 1 < len; k++)
                        if (seg[k] == '*' && seg[k + 1] == '*' && len != 2)
                                return 0;
                if (i < n && ++segs > PATTERN_MAX_SEGS)
                        return 0;
                start = i + 1;
        }
        return 1;
}

/* Glob within one segment: '*' = any run; classic backtrack-once algorithm (linear). */
static int seg_match(const char *p, size_t pn, const char *s, size_t sn)
{
        size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

        while (si < sn) {
                if (pi < pn && p[pi] == '*') {
                        star = pi++;
                        mark = si;
                } else if (pi < pn && p[pi] == s[si]) {
                        pi++;
                        si++;
                } else if (star != (size_t)-1) {
                        pi = star + 1;
                        si = ++mark;
                } else {
                        return 0;
                }
        }
        while (pi < pn && p[pi] == '*')
                pi++;
        return pi == pn;
}

struct seg { const char *s; size_t n; };

static size_t split(const char *s, struct seg *out, size_t max)
{
        size_t k = 0, start = 0, n = strlen(s);

        for (size_t i = 0; i <= n; i++) {
                if (i < n && s[i] != '/')
                        continue;
                if (k == max)
                        return max + 1;
                out[k++] = (struct seg){ s + start, i - start };
                start = i + 1;
        }
        return k;
}

#define NAME_MAX_SEGS 128

int pattern_match(const char *pattern, const char *name)
{
        struct seg ps[PATTERN_MAX_SEGS], ns[NAME_MAX_SEGS];
        size_t np = split(pattern, ps, PATTERN_MAX_SEGS), nn = split(name, ns, NAME_MAX_SEGS);
        /* m[i][j]: pattern segs i.. match name segs j.. */
        unsigned char m[PATTERN_MAX_SEGS + 1][NAME_MAX_SEGS + 1];

        if (np > PATTERN_MAX_SEGS || nn > NAME_MAX_SEGS)
                return 0;
        memset(m, 0, sizeof(m));
        m[np][nn] = 1;
        for (size_t i = np; i-- > 0;) {
                int dstar = ps[i].n == 2 && ps[i].s[0] == '*' && ps[i].s[1] == '*';
                int last = i + 1 == np;
                for (size_t j = nn + 1; j-- > 0;) {
                        if (dstar) {
                                /* zero segments (not at the end), or consume one and stay */
                                m[i][j] = (!last && m[i + 1][j]) ||
                                          (j < nn && (m[i + 1][j + 1] || m[i][j + 1]));
                        } else {
                                m[i][j] = j < nn && seg_match(ps[i].s, ps[i].n, ns[j].s, ns[j].n) &&
                                          m[i + 1][j + 1];
                        }
                }
        }
        return m[0][0];
}

int auth_repo_pattern_match(const char *pattern, const char *name)
{
        return pattern_valid(pattern) && pattern_match(pattern, name);
}
