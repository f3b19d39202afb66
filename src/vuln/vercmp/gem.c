/*
 * gem.c - RubyGems version order (Gem::Version#<=>, RubyGems 3.x).
 *
 * Valid: digits{.alnum+}[-alnum/-{.alnum/-}] (Gem::Version's pattern). A
 * '-' means ".pre." (so 1.0-1 is the pre-release 1.0.pre.1). Segments
 * are the runs of digits or of letters; the version is canonicalised by
 * dropping trailing zero segments from the leading numeric part and from
 * the rest (after the first letter segment) separately. Canonical
 * segments compare pairwise, a missing one counting as 0: numbers
 * numerically, strings bytewise, and a string is below a number.
 */
#include "vuln/vercmp/vercmp_int.h"
#include "vuln/vercmp/vercmp.h"
#include "util/err.h"

#include <string.h>

#define GEM_MAX_SEGS (VERCMP_MAX_LEN + 1)

struct gem_seg {
        const char *p;          /* digits (leading zeros stripped) or letters */
        size_t n;
        int num;
};

struct gem_ver {
        struct gem_seg seg[GEM_MAX_SEGS];
        int nseg;
};

static int gem_valid(const char *s)
{
        const char *p = s;
        if (!vercmp__is_digit(*p))
                return 0;
        while (vercmp__is_digit(*p))
                p++;
        while (*p == '.') {
                p++;
                if (!vercmp__is_alnum(*p))
                        return 0;
                while (vercmp__is_alnum(*p))
                        p++;
        }
        if (*p == '-') {
                do {
                        p++;
                        if (!vercmp__is_alnum(*p) && *p != '-')
                                return 0;
                        while (vercmp__is_alnum(*p) || *p == '-')
                                p++;
                } while (*p == '.');
        }
        return *p == '\0';
}

static int gem_is_zero(const struct gem_seg *g) { return g->num && g->n == 0; }

static void gem_parse(const char *s, struct gem_ver *v)
{
        const char *p = s;
        int n = 0;

        /* "-" -> ".pre." only adds a "pre" segment where the '-' was */
        while (*p) {
                if (vercmp__is_digit(*p)) {
                        const char *st = p;
                        while (vercmp__is_digit(*p))
                                p++;
                        while (st < p - 1 && *st == '0')
                                st++;
                        size_t len = (size_t)(p - st);
                        if (len == 1 && *st == '0')
                                len = 0;
                        v->seg[n++] = (struct gem_seg){ st, len, 1 };
                } else if (vercmp__is_alpha(*p)) {
                        const char *st = p;
                        while (vercmp__is_alpha(*p))
                                p++;
                        v->seg[n++] = (struct gem_seg){ st, (size_t)(p - st), 0 };
                } else {
                        if (*p == '-')
                                v->seg[n++] = (struct gem_seg){ "pre", 3, 0 };
                        p++;
                }
        }
        /* canonical: trim trailing zeros of the numeric head and of the tail separately */
        int head = 0;
        while (head < n && v->seg[head].num)
                head++;
        int h = head;
        while (h > 0 && gem_is_zero(&v->seg[h - 1]))
                h--;
        int t = n;
        while (t > head && gem_is_zero(&v->seg[t - 1]))
                t--;
        memmove(&v->seg[h], &v->seg[head], sizeof(v->seg[0]) * (size_t)(t - head));
        v->nseg = h + (t - head);
}

static int gem_seg_cmp(const struct gem_seg *a, const struct gem_seg *b)
{
        static const struct gem_seg zero = { "", 0, 1 };
        if (!a)
                a = &zero;
        if (!b)
                b = &zero;
        if (a->num && b->num)
                return vercmp__digits(a->p, a->n, b->p, b->n);
        if (a->num != b->num)
                return a->num ? 1 : -1;
        return vercmp__bytes(a->p, a->n, b->p, b->n);
}

int vercmp__gem(const char *a, const char *b, int *ret)
{
        static _Thread_local struct gem_ver va, vb;

        if (!gem_valid(a))
                return dou_err_set(DOU_EINVAL, "gem: invalid version: %s", a);
        if (!gem_valid(b))
                return dou_err_set(DOU_EINVAL, "gem: invalid version: %s", b);
        gem_parse(a, &va);
        gem_parse(b, &vb);
        int c = 0;
        for (int i = 0; !c && (i < va.nseg || i < vb.nseg); i++)
                c = gem_seg_cmp(i < va.nseg ? &va.seg[i] : NULL, i < vb.nseg ? &vb.seg[i] : NULL);
        *ret = c;
        return 0;
}
