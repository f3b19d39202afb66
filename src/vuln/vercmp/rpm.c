/*
 * rpm.c - RPM version order: rpmvercmp() on [epoch:]version[-release], as
 * rpm >= 4.15 (librpm's rpmverCmp).
 *
 * The EVR split is rpm's: the epoch is a leading digit run ended by ':',
 * the release follows the last '-'. A missing epoch is 0; when versions
 * are equal, the releases are compared if both sides have one, else the
 * side with a release is the newer (rpmverCmp in rpm 4.18: "1.0-1" >
 * "1.0"). rpm accepts an empty version or release ("1.0-"); douane
 * refuses them.
 * rpmvercmp: runs of anything but letters, digits, '~' and '^' are
 * separators; '~' sorts before everything, even the end of the string;
 * '^' sorts after the end of the string but before anything else; digit
 * runs compare numerically (as digit strings) and beat letter runs;
 * letter runs compare bytewise; the side with segments left over wins.
 */
#include "vuln/vercmp/vercmp_int.h"
#include "util/err.h"

#include <string.h>

struct rpm_evr {
        const char *e, *v, *r;  /* r NULL when absent */
        size_t en, vn, rn;
};

static int rpm_is_sep(int c) { return !vercmp__is_alnum(c) && c != '~' && c != '^'; }

static int rpm_seg_cmp(const char *a, size_t na, const char *b, size_t nb)
{
        const char *ae = a + na, *be = b + nb;

        if (na == nb && !memcmp(a, b, na))
                return 0;
        while (a < ae || b < be) {
                while (a < ae && rpm_is_sep(*a))
                        a++;
                while (b < be && rpm_is_sep(*b))
                        b++;
                int ta = a < ae && *a == '~', tb = b < be && *b == '~';
                if (ta || tb) {
                        if (!ta)
                                return 1;
                        if (!tb)
                                return -1;
                        a++, b++;
                        continue;
                }
                int ca = a < ae && *a == '^', cb = b < be && *b == '^';
                if (ca || cb) {
                        if (a >= ae)
                                return -1;
                        if (b >= be)
                                return 1;
                        if (!ca)
                                return 1;
                        if (!cb)
                                return -1;
                        a++, b++;
                        continue;
                }
                if (a >= ae || b >= be)
                        break;
                const char *as = a, *bs = b;
                int isnum = vercmp__is_digit(*a);
                if (isnum) {
                        while (a < ae && vercmp__is_digit(*a))
                                a++;
                        while (b < be && vercmp__is_digit(*b))
                                b++;
                } else {
                        while (a < ae && vercmp__is_alpha(*a))
                                a++;
                        while (b < be && vercmp__is_alpha(*b))
                                b++;
                }
                if (b == bs)
                        return isnum ? 1 : -1;
                int c = isnum ? vercmp__digits(as, (size_t)(a - as), bs, (size_t)(b - bs))
                              : vercmp__bytes(as, (size_t)(a - as), bs, (size_t)(b - bs));
                if (c)
                        return c;
        }
        if (a >= ae && b >= be)
                return 0;
        return a >= ae ? -1 : 1;
}

static int rpm_parse(const char *s, struct rpm_evr *v)
{
        size_t n = strlen(s);
        const char *p = s;

        while (vercmp__is_digit(*p))
                p++;
        const char *hy = strrchr(p, '-');
        v->e = "0";
        v->en = 1;
        v->v = s;
        if (*p == ':') {
                if (p > s) {
                        v->e = s;
                        v->en = (size_t)(p - s);
                }
                v->v = p + 1;
        }
        const char *end = s + n;
        v->r = NULL;
        v->rn = 0;
        if (hy) {
                v->r = hy + 1;
                v->rn = (size_t)(end - v->r);
                end = hy;
        }
        v->vn = (size_t)(end - v->v);
        if (v->vn == 0)
                return dou_err_set(DOU_EINVAL, "rpm: empty version: %s", s);
        if (v->r && v->rn == 0)
                return dou_err_set(DOU_EINVAL, "rpm: empty release: %s", s);
        return 0;
}

int vercmp__rpm(const char *a, const char *b, int *ret)
{
        struct rpm_evr va, vb;
        int r;

        if ((r = rpm_parse(a, &va)) < 0 || (r = rpm_parse(b, &vb)) < 0)
                return r;
        int c = rpm_seg_cmp(va.e, va.en, vb.e, vb.en);
        if (!c)
                c = rpm_seg_cmp(va.v, va.vn, vb.v, vb.vn);
        if (!c && va.r && vb.r)
                c = rpm_seg_cmp(va.r, va.rn, vb.r, vb.rn);
        else if (!c)
                c = (va.r != NULL) - (vb.r != NULL);
        *ret = c;
        return 0;
}
