/*
 * pep440.c - Python version order (PEP 440, as packaging.version.Version).
 *
 * [v][N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local], case-insensitive, with
 * packaging's alternate spellings (alpha, beta, c, pre, preview; rev, r,
 * "-N" as an implicit post release; optional '.', '-' or '_' separators;
 * omitted numbers are 0). packaging matches a regular expression with
 * backtracking; the parser below tries the same alternatives in the same
 * order (each optional part first with its separator, then without, then
 * absent) so the parse it keeps is the one the regex would.
 *
 * Order (packaging's _cmpkey): epoch; release with trailing zeros
 * dropped; pre-release (a < b < rc), where a version with neither pre nor
 * post but a dev part sorts below every pre-release and a version without
 * pre-release sorts above all; post (absent lowest); dev (absent
 * highest); local (absent lowest, then segment by segment: numbers above
 * strings, numbers numerically, strings case-insensitively). All numbers
 * are compared as digit strings, as Python ints are unbounded.
 */
#include "vuln/vercmp/vercmp_int.h"
#include "vuln/vercmp/vercmp.h"
#include "util/err.h"

#include <string.h>

#define PEP_MAX_RELEASE (VERCMP_MAX_LEN / 2 + 1)

struct span {
        const char *p;
        size_t n;
};

struct pep_ver {
        struct span epoch;                      /* digits, "0" if absent */
        struct span rel[PEP_MAX_RELEASE];
        int nrel;                               /* after trailing-zero trim */
        int pre_kind;                           /* -1 none, 0 a, 1 b, 2 rc */
        struct span pre_n;
        int has_post;
        struct span post_n;
        int has_dev;
        struct span dev_n;
        const char *local;                      /* NULL if none */
        size_t local_len;
};

struct pep_cur {
        const char *s;
        size_t len;
};

static int lower(int c) { return vercmp__is_upper(c) ? c + 32 : c; }

static int match_word_ci(const struct pep_cur *c, size_t at, const char *w)
{
        size_t n = strlen(w);
        if (at + n > c->len)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (lower((unsigned char)c->s[at + i]) != w[i])
                        return 0;
        return 1;
}

static int is_sep(int ch) { return ch == '-' || ch == '_' || ch == '.'; }

static size_t digits_at(const struct pep_cur *c, size_t at)
{
        size_t n = 0;
        while (at + n < c->len && vercmp__is_digit(c->s[at + n]))
                n++;
        return n;
}

/* The local part and end of string: [+local] then nothing. */
static int pep_tail(const struct pep_cur *c, size_t at, struct pep_ver *v)
{
        v->local = NULL;
        v->local_len = 0;
        if (at == c->len)
                return 1;
        if (c->s[at] != '+')
                return 0;
        size_t i = at + 1, seg = 0;
        for (; i < c->len; i++) {
                int ch = (unsigned char)c->s[i];
                if (vercmp__is_alnum(ch)) {
                        seg++;
                } else if (is_sep(ch)) {
                        if (!seg)
                                return 0;
                        seg = 0;
                } else {
                        return 0;
                }
        }
        if (!seg)
                return 0;
        v->local = c->s + at + 1;
        v->local_len = c->len - at - 1;
        return 1;
}

/* dev: [sep]dev[sep][N], or absent; then the tail. */
static int pep_dev(const struct pep_cur *c, size_t at, struct pep_ver *v)
{
        for (int with_sep = 1; with_sep >= 0; with_sep--) {
                size_t i = at;
                if (with_sep) {
                        if (i >= c->len || !is_sep(c->s[i]))
                                continue;
                        i++;
                }
                if (!match_word_ci(c, i, "dev"))
                        continue;
                i += 3;
                for (int sep2 = 1; sep2 >= 0; sep2--) {
                        size_t j = i;
                        if (sep2) {
                                if (j >= c->len || !is_sep(c->s[j]))
                                        continue;
                                j++;
                        }
                        size_t nd = digits_at(c, j);
                        for (int take = 1; take >= 0; take--) {
                                if (take && !nd)
                                        continue;
                                v->has_dev = 1;
                                v->dev_n = take ? (struct span){ c->s + j, nd } : (struct span){ "0", 1 };
                                if (pep_tail(c, j + (take ? nd : 0), v))
                                        return 1;
                        }
                }
        }
        v->has_dev = 0;
        return pep_tail(c, at, v);
}

static const char *const post_words[] = { "post", "rev", "r" };

/* post: -N | [sep](post|rev|r)[sep][N], or absent; then dev. */
static int pep_post(const struct pep_cur *c, size_t at, struct pep_ver *v)
{
        if (at < c->len && c->s[at] == '-') {
                size_t nd = digits_at(c, at + 1);
                if (nd) {
                        v->has_post = 1;
                        v->post_n = (struct span){ c->s + at + 1, nd };
                        if (pep_dev(c, at + 1 + nd, v))
                                return 1;
                }
        }
        for (int with_sep = 1; with_sep >= 0; with_sep--) {
                size_t i0 = at;
                if (with_sep) {
                        if (i0 >= c->len || !is_sep(c->s[i0]))
                                continue;
                        i0++;
                }
                for (size_t w = 0; w < sizeof(post_words) / sizeof(post_words[0]); w++) {
                        if (!match_word_ci(c, i0, post_words[w]))
                                continue;
                        size_t i = i0 + strlen(post_words[w]);
                        for (int sep2 = 1; sep2 >= 0; sep2--) {
                                size_t j = i;
                                if (sep2) {
                                        if (j >= c->len || !is_sep(c->s[j]))
                                                continue;
                                        j++;
                                }
                                size_t nd = digits_at(c, j);
                                for (int take = 1; take >= 0; take--) {
                                        if (take && !nd)
                                                continue;
                                        v->has_post = 1;
                                        v->post_n = take ? (struct span){ c->s + j, nd }
                                                         : (struct span){ "0", 1 };
                                        if (pep_dev(c, j + (take ? nd : 0), v))
                                                return 1;
                                }
                        }
                }
        }
        v->has_post = 0;
        return pep_dev(c, at, v);
}

/* Pre-release spellings in the regex's alternation order, with their kind. */
static const struct {
        const char *w;
        int kind;
} pre_words[] = {
        { "alpha", 0 }, { "a", 0 }, { "beta", 1 }, { "b", 1 },
        { "preview", 2 }, { "pre", 2 }, { "c", 2 }, { "rc", 2 },
};

static int pep_pre(const struct pep_cur *c, size_t at, struct pep_ver *v)
{
        for (int with_sep = 1; with_sep >= 0; with_sep--) {
                size_t i0 = at;
                if (with_sep) {
                        if (i0 >= c->len || !is_sep(c->s[i0]))
                                continue;
                        i0++;
                }
                for (size_t w = 0; w < sizeof(pre_words) / sizeof(pre_words[0]); w++) {
                        if (!match_word_ci(c, i0, pre_words[w].w))
                                continue;
                        size_t i = i0 + strlen(pre_words[w].w);
                        for (int sep2 = 1; sep2 >= 0; sep2--) {
                                size_t j = i;
                                if (sep2) {
                                        if (j >= c->len || !is_sep(c->s[j]))
                                                continue;
                                        j++;
                                }
                                size_t nd = digits_at(c, j);
                                for (int take = 1; take >= 0; take--) {
                                        if (take && !nd)
                                                continue;
                                        v->pre_kind = pre_words[w].kind;
                                        v->pre_n = take ? (struct span){ c->s + j, nd }
                                                        : (struct span){ "0", 1 };
                                        if (pep_post(c, j + (take ? nd : 0), v))
                                                return 1;
                                }
                        }
                }
        }
        v->pre_kind = -1;
        return pep_post(c, at, v);
}

static int span_is_zero(struct span s)
{
        for (size_t i = 0; i < s.n; i++)
                if (s.p[i] != '0')
                        return 0;
        return 1;
}

static int pep_parse(const char *s, struct pep_ver *v)
{
        struct pep_cur c = { s, strlen(s) };
        size_t i = 0;

        memset(v, 0, sizeof(*v));
        if (i < c.len && lower((unsigned char)s[i]) == 'v')
                i++;
        v->epoch = (struct span){ "0", 1 };
        size_t nd = digits_at(&c, i);
        if (nd && i + nd < c.len && s[i + nd] == '!') {
                v->epoch = (struct span){ s + i, nd };
                i += nd + 1;
                nd = digits_at(&c, i);
        }
        if (!nd)
                return -1;
        v->nrel = 0;
        for (;;) {
                if (v->nrel >= PEP_MAX_RELEASE)
                        return -1;
                v->rel[v->nrel++] = (struct span){ s + i, nd };
                i += nd;
                if (i + 1 < c.len && s[i] == '.' && vercmp__is_digit(s[i + 1])) {
                        i++;
                        nd = digits_at(&c, i);
                        continue;
                }
                break;
        }
        while (v->nrel > 0 && span_is_zero(v->rel[v->nrel - 1]))
                v->nrel--;
        return pep_pre(&c, i, v) ? 0 : -1;
}

static int span_cmp(struct span a, struct span b) { return vercmp__digits(a.p, a.n, b.p, b.n); }

static int bytes_ci_cmp(const char *a, size_t na, const char *b, size_t nb)
{
        size_t n = na < nb ? na : nb;
        for (size_t i = 0; i < n; i++) {
                int x = lower((unsigned char)a[i]), y = lower((unsigned char)b[i]);
                if (x != y)
                        return x < y ? -1 : 1;
        }
        return na == nb ? 0 : (na < nb ? -1 : 1);
}

static int local_cmp(const struct pep_ver *a, const struct pep_ver *b)
{
        if (!a->local || !b->local)
                return (a->local != NULL) - (b->local != NULL);
        const char *p = a->local, *pe = p + a->local_len;
        const char *q = b->local, *qe = q + b->local_len;
        for (;;) {
                if (p >= pe || q >= qe)
                        return (p < pe) - (q < qe);
                const char *ps = p, *qs = q;
                int pd = 1, qd = 1;
                while (p < pe && !is_sep(*p))
                        pd &= vercmp__is_digit(*p++);
                while (q < qe && !is_sep(*q))
                        qd &= vercmp__is_digit(*q++);
                int c;
                if (pd && qd)
                        c = vercmp__digits(ps, (size_t)(p - ps), qs, (size_t)(q - qs));
                else if (pd || qd)
                        c = pd ? 1 : -1;
                else
                        c = bytes_ci_cmp(ps, (size_t)(p - ps), qs, (size_t)(q - qs));
                if (c)
                        return c;
                if (p < pe)
                        p++;
                if (q < qe)
                        q++;
        }
}

/* Pre-release rank: -1 below all (dev-only), 0 a real pre-release, 1 none. */
static int pre_rank(const struct pep_ver *v)
{
        if (v->pre_kind < 0 && !v->has_post && v->has_dev)
                return -1;
        return v->pre_kind < 0 ? 1 : 0;
}

static int pep_cmp(const struct pep_ver *a, const struct pep_ver *b)
{
        int c = span_cmp(a->epoch, b->epoch);
        if (c)
                return c;
        for (int i = 0; i < a->nrel || i < b->nrel; i++) {
                if (i >= a->nrel || i >= b->nrel)
                        return i >= a->nrel ? -1 : 1;
                if ((c = span_cmp(a->rel[i], b->rel[i])))
                        return c;
        }
        int ra = pre_rank(a), rb = pre_rank(b);
        if (ra != rb)
                return ra < rb ? -1 : 1;
        if (ra == 0) {
                if (a->pre_kind != b->pre_kind)
                        return a->pre_kind < b->pre_kind ? -1 : 1;
                if ((c = span_cmp(a->pre_n, b->pre_n)))
                        return c;
        }
        if (a->has_post != b->has_post)
                return a->has_post ? 1 : -1;
        if (a->has_post && (c = span_cmp(a->post_n, b->post_n)))
                return c;
        if (a->has_dev != b->has_dev)
                return a->has_dev ? -1 : 1;
        if (a->has_dev && (c = span_cmp(a->dev_n, b->dev_n)))
                return c;
        return local_cmp(a, b);
}

int vercmp__pep440(const char *a, const char *b, int *ret)
{
        struct pep_ver va, vb;

        if (pep_parse(a, &va) < 0)
                return dou_err_set(DOU_EINVAL, "pep440: invalid version: %s", a);
        if (pep_parse(b, &vb) < 0)
                return dou_err_set(DOU_EINVAL, "pep440: invalid version: %s", b);
        *ret = pep_cmp(&va, &vb);
        return 0;
}
