/*
 * semver.c - SemVer 2.0 precedence for npm (node-semver) and Go modules
 * (golang.org/x/mod/semver).
 *
 * Both share one parser with two profiles:
 *   npm: optional leading 'v'; MAJOR.MINOR.PATCH all present; each at most
 *        2^53-1 (node-semver refuses larger, as JavaScript numbers lose
 *        precision there).
 *   go:  leading 'v' required; "v1" and "v1.2" are shorthands for v1.0.0
 *        and v1.2.0 (without pre-release or build); numbers of any size.
 * Numeric identifiers have no leading zeros; pre-release identifiers are
 * [0-9A-Za-z-]+ with numeric ones free of leading zeros; build metadata
 * (including Go's +incompatible) is validated and ignored by precedence.
 * A Go pseudo-version (v0.0.0-20191109021931-daa7c04131f5) is an ordinary
 * pre-release here, which is exactly how Go orders it.
 *
 * Precedence: numbers compare as digit strings; a version with a
 * pre-release is below the same version without; identifiers compare
 * numerically when both are numeric, numeric below alphanumeric, else
 * bytewise; a shorter identifier list that is a prefix sorts first.
 * node-semver compares numeric pre-release identifiers above 2^53 as
 * (imprecise) floats; here they stay exact.
 */
#include "vuln/vercmp/semver_int.h"
#include "vuln/vercmp/vercmp_int.h"
#include "util/err.h"

#include <string.h>

static const char max_safe[] = "9007199254740991";

/* Length of a numeric identifier at p (0|[1-9][0-9]*), 0 if none. */
static size_t sv_num(const char *p, const char *end)
{
        size_t n = 0;
        while (p + n < end && vercmp__is_digit(p[n]))
                n++;
        if (n > 1 && p[0] == '0')
                return 0;
        return n;
}

static int sv_ident_char(int c) { return vercmp__is_alnum(c) || c == '-'; }

/* Validate dot-separated identifiers in [p, end); numeric ones need no leading zero if strict. */
static int sv_idents(const char *p, const char *end, int strict_num)
{
        if (p >= end)
                return 0;
        while (p <= end) {
                const char *q = p;
                int all_digits = 1;
                while (q < end && *q != '.') {
                        if (!sv_ident_char(*q))
                                return 0;
                        if (!vercmp__is_digit(*q))
                                all_digits = 0;
                        q++;
                }
                if (q == p)
                        return 0;
                if (strict_num && all_digits && q - p > 1 && *p == '0')
                        return 0;
                if (q == end)
                        return 1;
                p = q + 1;
        }
        return 0;
}

int semver__parse(const char *s, size_t len, int profile, struct semver *v)
{
        const char *p = s, *end = s + len;

        memset(v, 0, sizeof(*v));
        if (p < end && *p == 'v')
                p++;
        else if (profile == SEMVER_GO)
                return -1;
        for (int i = 0; i < 3; i++) {
                if (i > 0) {
                        if (profile == SEMVER_GO && p == end) {
                                for (int j = i; j < 3; j++) {
                                        v->num[j] = "0";
                                        v->num_len[j] = 1;
                                }
                                return 0;
                        }
                        if (p == end || *p != '.')
                                return -1;
                        p++;
                }
                size_t n = sv_num(p, end);
                if (n == 0)
                        return -1;
                if (profile == SEMVER_NPM &&
                    vercmp__digits(p, n, max_safe, sizeof(max_safe) - 1) > 0)
                        return -1;
                v->num[i] = p;
                v->num_len[i] = n;
                p += n;
        }
        if (p < end && *p == '-') {
                const char *q = p + 1;
                while (q < end && *q != '+')
                        q++;
                if (!sv_idents(p + 1, q, 1))
                        return -1;
                v->pre = p + 1;
                v->pre_len = (size_t)(q - p - 1);
                p = q;
        }
        if (p < end && *p == '+') {
                if (!sv_idents(p + 1, end, 0))
                        return -1;
                p = end;
        }
        return p == end ? 0 : -1;
}

static int sv_all_digits(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!vercmp__is_digit(p[i]))
                        return 0;
        return 1;
}

static int sv_pre_cmp(const char *a, size_t na, const char *b, size_t nb)
{
        if (!na || !nb)
                return na == nb ? 0 : (na ? -1 : 1);
        const char *ae = a + na, *be = b + nb;
        for (;;) {
                if (a >= ae || b >= be)
                        return a >= ae ? (b >= be ? 0 : -1) : 1;
                const char *ai = a, *bi = b;
                while (a < ae && *a != '.')
                        a++;
                while (b < be && *b != '.')
                        b++;
                size_t la = (size_t)(a - ai), lb = (size_t)(b - bi);
                int da = sv_all_digits(ai, la), db = sv_all_digits(bi, lb);
                int c;
                if (da && db)
                        c = vercmp__digits(ai, la, bi, lb);
                else if (da || db)
                        c = da ? -1 : 1;
                else
                        c = vercmp__bytes(ai, la, bi, lb);
                if (c)
                        return c;
                /* step over the dot; a trailing position past end means exhausted */
                if (a < ae)
                        a++;
                if (b < be)
                        b++;
        }
}

int semver__cmp(const struct semver *a, const struct semver *b)
{
        for (int i = 0; i < 3; i++) {
                int c = vercmp__digits(a->num[i], a->num_len[i], b->num[i], b->num_len[i]);
                if (c)
                        return c;
        }
        return sv_pre_cmp(a->pre, a->pre_len, b->pre, b->pre_len);
}

static int sv_compare(int profile, const char *name, const char *a, const char *b, int *ret)
{
        struct semver va, vb;

        if (semver__parse(a, strlen(a), profile, &va) < 0)
                return dou_err_set(DOU_EINVAL, "%s: invalid version: %s", name, a);
        if (semver__parse(b, strlen(b), profile, &vb) < 0)
                return dou_err_set(DOU_EINVAL, "%s: invalid version: %s", name, b);
        *ret = semver__cmp(&va, &vb);
        return 0;
}

int vercmp__semver(const char *a, const char *b, int *ret)
{
        return sv_compare(SEMVER_NPM, "semver", a, b, ret);
}

int vercmp__go(const char *a, const char *b, int *ret)
{
        return sv_compare(SEMVER_GO, "go", a, b, ret);
}
