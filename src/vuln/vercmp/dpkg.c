/*
 * dpkg.c - Debian version order, as dpkg --compare-versions.
 *
 * [epoch:]upstream[-revision]: the epoch is the digits before the first
 * ':' (at most INT_MAX, as dpkg refuses bigger), the revision follows the
 * last '-'. Upstream and revision are compared by alternating runs: a
 * non-digit run compares byte by byte with '~' below the end of the
 * string, letters below every other character; a digit run compares
 * numerically (as a digit string, so any length is exact).
 * Validity follows dpkg's parser: empty epoch, version or revision and
 * characters outside [A-Za-z0-9.+~-:] (upstream) or [A-Za-z0-9.+~]
 * (revision) are refused, as dpkg warns about them and douane is stricter;
 * an upstream that does not start with a digit is accepted unchecked, as
 * dpkg does.
 */
#include "vuln/vercmp/vercmp_int.h"
#include "util/err.h"

#include <limits.h>
#include <string.h>

struct dpkg_ver {
        const char *epoch;      /* digits, not NUL-terminated */
        size_t epoch_len;
        const char *up;
        size_t up_len;
        const char *rev;        /* "" when absent: dpkg treats it like "0" */
        size_t rev_len;
};

static int dpkg_parse(const char *s, struct dpkg_ver *v)
{
        size_t n = strlen(s);
        const char *colon = strchr(s, ':');
        const char *start = s;

        v->epoch = "0";
        v->epoch_len = 1;
        if (colon) {
                /* dpkg reads the epoch with strtol(): an optional sign, then digits */
                const char *e = s;
                int neg = 0;
                if (*e == '+' || *e == '-')
                        neg = *e++ == '-';
                size_t el = (size_t)(colon - e);
                if (el == 0)
                        return dou_err_set(DOU_EINVAL, "dpkg: epoch in version is empty: %s", s);
                for (size_t i = 0; i < el; i++)
                        if (!vercmp__is_digit(e[i]))
                                return dou_err_set(DOU_EINVAL, "dpkg: epoch in version is not a number: %s", s);
                if (neg && vercmp__digits(e, el, "0", 1) != 0)
                        return dou_err_set(DOU_EINVAL, "dpkg: epoch in version is negative: %s", s);
                /* dpkg stores the epoch in an int */
                static const char int_max[] = "2147483647";
                if (vercmp__digits(e, el, int_max, sizeof(int_max) - 1) > 0)
                        return dou_err_set(DOU_EINVAL, "dpkg: epoch in version is too big: %s", s);
                if (colon[1] == '\0')
                        return dou_err_set(DOU_EINVAL, "dpkg: nothing after colon in version: %s", s);
                v->epoch = e;
                v->epoch_len = el;
                start = colon + 1;
        }
        const char *end = s + n;
        const char *hyphen = strrchr(start, '-');
        v->up = start;
        v->rev = "";
        v->rev_len = 0;
        if (hyphen) {
                if (hyphen[1] == '\0')
                        return dou_err_set(DOU_EINVAL, "dpkg: revision number is empty: %s", s);
                v->rev = hyphen + 1;
                v->rev_len = (size_t)(end - v->rev);
                end = hyphen;
        }
        v->up_len = (size_t)(end - start);
        if (v->up_len == 0)
                return dou_err_set(DOU_EINVAL, "dpkg: version number is empty: %s", s);
        /*
         * dpkg's parser stops at its first complaint: a version that does not
         * start with a digit only draws a warning and its characters are not
         * checked at all, so "^1.0" still compares (with '^' weighing as 256+'^').
         */
        if (!vercmp__is_digit(v->up[0]))
                return 0;
        for (size_t i = 0; i < v->up_len; i++) {
                char c = v->up[i];
                if (!vercmp__is_alnum(c) && !strchr(".-+~:", c))
                        return dou_err_set(DOU_EINVAL, "dpkg: invalid character '%c' in version: %s", c, s);
        }
        for (size_t i = 0; i < v->rev_len; i++) {
                char c = v->rev[i];
                if (!vercmp__is_alnum(c) && !strchr(".+~", c))
                        return dou_err_set(DOU_EINVAL, "dpkg: invalid character '%c' in revision: %s", c, s);
        }
        return 0;
}

/* dpkg's weight of a byte in a non-digit run; 0 stands for end of part. */
static int dpkg_order(const char *p, const char *end)
{
        if (p >= end)
                return 0;
        int c = (unsigned char)*p;
        if (vercmp__is_digit(c))
                return 0;
        if (vercmp__is_alpha(c))
                return c;
        if (c == '~')
                return -1;
        return c + 256;
}

static int dpkg_part_cmp(const char *a, size_t na, const char *b, size_t nb)
{
        const char *ae = a + na, *be = b + nb;

        while (a < ae || b < be) {
                while ((a < ae && !vercmp__is_digit(*a)) || (b < be && !vercmp__is_digit(*b))) {
                        int ac = dpkg_order(a, ae), bc = dpkg_order(b, be);
                        if (ac != bc)
                                return ac < bc ? -1 : 1;
                        a++;
                        b++;
                }
                const char *ad = a, *bd = b;
                while (a < ae && vercmp__is_digit(*a))
                        a++;
                while (b < be && vercmp__is_digit(*b))
                        b++;
                int c = vercmp__digits(ad, (size_t)(a - ad), bd, (size_t)(b - bd));
                if (c)
                        return c;
        }
        return 0;
}

int vercmp__dpkg(const char *a, const char *b, int *ret)
{
        struct dpkg_ver va, vb;
        int r;

        if ((r = dpkg_parse(a, &va)) < 0 || (r = dpkg_parse(b, &vb)) < 0)
                return r;
        int c = vercmp__digits(va.epoch, va.epoch_len, vb.epoch, vb.epoch_len);
        if (!c)
                c = dpkg_part_cmp(va.up, va.up_len, vb.up, vb.up_len);
        if (!c)
                c = dpkg_part_cmp(va.rev, va.rev_len, vb.rev, vb.rev_len);
        *ret = c;
        return 0;
}
