/*
 * semver_range.c - npm range satisfaction, following node-semver 7.3.5
 * (Range, without loose or includePrerelease).
 *
 * node-semver desugars a range by a pipeline of regular-expression
 * rewrites and then parses what is left as plain comparators. The quirks
 * of that pipeline are observable (">= 1.2.3" works, "=1.2.3 - 2" does
 * not, "~> 1.2" loses its '>'), so this file keeps the same pipeline on
 * strings rather than inventing a grammar of its own:
 *   1. split on "||"; trim each part;
 *   2. a whole part "A - B" (A, B partial versions) becomes >=A <=B, with
 *      partial bounds widened;
 *   3. drop blanks between an operator and its version, after '~'/'~>'
 *      (which then becomes '~') and after '^';
 *   4. per blank-separated word: ^ then ~ then x-ranges are desugared to
 *      comparators, and the first '*' (with its operator) is removed;
 *   5. ">=0.0.0" means any; every word must now be OP VERSION or empty.
 * A version satisfies a set when it passes every comparator and, if it is
 * a pre-release, some comparator of the set names a pre-release of the
 * same MAJOR.MINOR.PATCH. A set that is only "any" makes the whole range
 * "any" (node drops the other sets then).
 *
 * Strings live in fixed-capacity builders: the range is capped at
 * SEMVER_RANGE_MAX_LEN bytes and each rewrite at most quadruples a word, so
 * an overflow can only mean a hostile range and is refused as invalid.
 * Numbers are digit strings; "+M + 1" is a decimal increment, and any
 * number above 2^53-1 in a final comparator is invalid, as in node.
 */
#include "vuln/vercmp/semver_int.h"
#include "vuln/vercmp/vercmp_int.h"
#include "vuln/vercmp/vercmp.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

#define SEMVER_RANGE_MAX_LEN 1024
#define SB_CAP (8 * SEMVER_RANGE_MAX_LEN + 256)
#define MAX_COMPARATORS 512

struct sb {
        char s[SB_CAP];
        size_t n;
        int overflow;
};

static void sb_reset(struct sb *b)
{
        b->n = 0;
        b->overflow = 0;
        b->s[0] = '\0';
}

static void sb_put(struct sb *b, const char *p, size_t n)
{
        if (b->overflow || b->n + n + 1 > SB_CAP) {
                b->overflow = 1;
                return;
        }
        memcpy(b->s + b->n, p, n);
        b->n += n;
        b->s[b->n] = '\0';
}

static void sb_str(struct sb *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_ch(struct sb *b, char c) { sb_put(b, &c, 1); }

/* JavaScript's \s, restricted to ASCII (non-ASCII is refused up front). */
static int is_ws(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

struct span {
        const char *p;
        size_t n;
};

/* Decimal increment of a digit string (node's "+M + 1"). */
static void sb_incr(struct sb *b, struct span d)
{
        char tmp[SEMVER_RANGE_MAX_LEN + 2];
        size_t n = d.n < SEMVER_RANGE_MAX_LEN ? d.n : SEMVER_RANGE_MAX_LEN;
        int carry = 1;
        memcpy(tmp + 1, d.p, n);
        for (size_t i = n; i > 0 && carry; i--) {
                if (tmp[i] == '9') {
                        tmp[i] = '0';
                } else {
                        tmp[i]++;
                        carry = 0;
                }
        }
        if (carry) {
                tmp[0] = '1';
                sb_put(b, tmp, n + 1);
        } else {
                sb_put(b, tmp + 1, n);
        }
}

static void sb_span(struct sb *b, struct span s) { sb_put(b, s.p, s.n); }

/* node's isX(): absent, x, X or *. */
static int is_x(struct span s)
{
        return s.n == 0 || (s.n == 1 && (s.p[0] == 'x' || s.p[0] == 'X' || s.p[0] == '*'));
}

static int span_is(struct span s, const char *lit) { return s.n == strlen(lit) && !memcmp(s.p, lit, s.n); }

/* Captures of node's XRANGEPLAIN. */
struct xr {
        struct span whole;      /* the matched text, prefix included */
        struct span M, m, p;    /* n == 0 when absent */
        struct span pr;         /* pre-release without '-' */
};

static size_t xr_id(const char *s, size_t n, size_t i)
{
        if (i >= n)
                return 0;
        if (s[i] == 'x' || s[i] == 'X' || s[i] == '*' || s[i] == '0')
                return 1;
        size_t k = 0;
        if (s[i] >= '1' && s[i] <= '9')
                while (i + k < n && vercmp__is_digit(s[i + k]))
                        k++;
        return k;
}

static int id_char(int c) { return vercmp__is_alnum(c) || c == '-'; }

/* Dot-separated identifiers at s[i..]; strict pre-release rules when pre. Returns end or i. */
static size_t xr_idents(const char *s, size_t n, size_t i, int pre)
{
        size_t end = i, j = i;
        for (;;) {
                size_t st = j;
                int digits = 1;
                while (j < n && id_char(s[j])) {
                        if (!vercmp__is_digit(s[j]))
                                digits = 0;
                        j++;
                }
                if (j == st)
                        return end;
                if (pre && digits && j - st > 1 && s[st] == '0')
                        return end;
                end = j;
                if (j < n && s[j] == '.' && j + 1 < n && id_char(s[j + 1]))
                        j++;
                else
                        return end;
        }
}

/* Greedy match of XRANGEPLAIN at s[i..n); returns the end, or 0 with no match. */
static size_t xr_match(const char *s, size_t n, size_t i, struct xr *x)
{
        size_t start = i, k;

        memset(x, 0, sizeof(*x));
        while (i < n && (s[i] == 'v' || s[i] == '=' || is_ws(s[i])))
                i++;
        if (!(k = xr_id(s, n, i)))
                return 0;
        x->M = (struct span){ s + i, k };
        i += k;
        if (i < n && s[i] == '.' && (k = xr_id(s, n, i + 1))) {
                x->m = (struct span){ s + i + 1, k };
                i += 1 + k;
                if (i < n && s[i] == '.' && (k = xr_id(s, n, i + 1))) {
                        x->p = (struct span){ s + i + 1, k };
                        i += 1 + k;
                        if (i < n && s[i] == '-') {
                                size_t e = xr_idents(s, n, i + 1, 1);
                                if (e > i + 1) {
                                        x->pr = (struct span){ s + i + 1, e - i - 1 };
                                        i = e;
                                }
                        }
                        if (i < n && s[i] == '+') {
                                size_t e = xr_idents(s, n, i + 1, 0);
                                if (e > i + 1)
                                        i = e;
                        }
                }
        }
        x->whole = (struct span){ s + start, i - start };
        return i;
}

/* XRANGEPLAIN matching all of s[i..n). */
static int xr_full(const char *s, size_t n, size_t i, struct xr *x)
{
        return xr_match(s, n, i, x) == n && x->whole.n > 0;
}

/* Step 2: "A - B" for the whole part; returns 1 and writes the rewrite into out. */
static int hyphen(const char *s, size_t n, struct sb *out)
{
        for (size_t d = 1; d + 1 < n; d++) {
                if (s[d] != '-' || !is_ws(s[d - 1]) || !is_ws(s[d + 1]))
                        continue;
                size_t a_end = d - 1, b_st = d + 1;
                while (a_end > 0 && is_ws(s[a_end - 1]))
                        a_end--;
                while (b_st < n && is_ws(s[b_st]))
                        b_st++;
                size_t b_end = n;
                while (b_end > b_st && is_ws(s[b_end - 1]))
                        b_end--;
                struct xr f, t;
                if (!xr_full(s, a_end, 0, &f) || !xr_full(s, b_end, b_st, &t))
                        continue;
                sb_reset(out);
                if (is_x(f.M)) {
                } else if (is_x(f.m)) {
                        sb_str(out, ">="), sb_span(out, f.M), sb_str(out, ".0.0");
                } else if (is_x(f.p)) {
                        sb_str(out, ">="), sb_span(out, f.M), sb_ch(out, '.'), sb_span(out, f.m), sb_str(out, ".0");
                } else {
                        sb_str(out, ">="), sb_span(out, f.whole);
                }
                sb_ch(out, ' ');
                if (is_x(t.M)) {
                } else if (is_x(t.m)) {
                        sb_ch(out, '<'), sb_incr(out, t.M), sb_str(out, ".0.0-0");
                } else if (is_x(t.p)) {
                        sb_ch(out, '<'), sb_span(out, t.M), sb_ch(out, '.'), sb_incr(out, t.m), sb_str(out, ".0-0");
                } else if (t.pr.n) {
                        sb_str(out, "<="), sb_span(out, t.M), sb_ch(out, '.'), sb_span(out, t.m), sb_ch(out, '.'),
                                sb_span(out, t.p), sb_ch(out, '-'), sb_span(out, t.pr);
                } else {
                        sb_str(out, "<="), sb_span(out, t.whole);
                }
                return 1;
        }
        return 0;
}

/* Step 3a: drop blanks between an operator (<, >, <=, >=, =) and a version. */
static void trim_ops(const char *s, size_t n, struct sb *out)
{
        size_t i = 0;
        sb_reset(out);
        while (i < n) {
                if (s[i] != '<' && s[i] != '>' && s[i] != '=') {
                        sb_ch(out, s[i++]);
                        continue;
                }
                size_t op = i;
                if (s[i] == '<' || s[i] == '>')
                        i++;
                if (i < n && s[i] == '=')
                        i++;
                size_t ws = i;
                while (i < n && is_ws(s[i]))
                        i++;
                struct xr x;
                size_t e = xr_match(s, n, i, &x);
                sb_put(out, s + op, ws - op);
                if (!e) {
                        sb_put(out, s + ws, i - ws);    /* not a version: keep the blanks */
                        continue;
                }
                /* the version (with its [v=\s]* prefix) is consumed by the same match */
                sb_put(out, s + i, e - i);
                i = e;
        }
}

/* Step 3b/3c: "~ ", "~> " -> "~" and "^ " -> "^". */
static void trim_lone(const char *s, size_t n, char which, struct sb *out)
{
        size_t i = 0;
        sb_reset(out);
        while (i < n) {
                if (s[i] == which) {
                        size_t j = i + 1;
                        if (which == '~' && j < n && s[j] == '>' && j + 1 < n && is_ws(s[j + 1]))
                                j++;
                        if (j < n && is_ws(s[j])) {
                                while (j < n && is_ws(s[j]))
                                        j++;
                                sb_ch(out, which);
                                i = j;
                                continue;
                        }
                }
                sb_ch(out, s[i++]);
        }
}

static void emit_ge(struct sb *o, struct span M, const char *m, const char *p)
{
        sb_str(o, ">="), sb_span(o, M), sb_ch(o, '.'), sb_str(o, m), sb_ch(o, '.'), sb_str(o, p);
}

/* ^word; returns 1 if it matched (output in o), 0 to leave it alone. */
static int caret(struct span w, struct sb *o)
{
        struct xr x;
        if (w.n < 1 || w.p[0] != '^' || !xr_full(w.p, w.n, 1, &x))
                return 0;
        int M0 = span_is(x.M, "0"), m0 = span_is(x.m, "0");
        if (is_x(x.M))
                return 1;
        if (is_x(x.m)) {
                emit_ge(o, x.M, "0", "0");
                sb_str(o, " <"), sb_incr(o, x.M), sb_str(o, ".0.0-0");
                return 1;
        }
        sb_str(o, ">="), sb_span(o, x.M), sb_ch(o, '.'), sb_span(o, x.m), sb_ch(o, '.');
        if (is_x(x.p))
                sb_ch(o, '0');
        else
                sb_span(o, x.p);
        if (!is_x(x.p) && x.pr.n)
                sb_ch(o, '-'), sb_span(o, x.pr);
        if (is_x(x.p)) {
                if (M0)
                        sb_str(o, " <0."), sb_incr(o, x.m), sb_str(o, ".0-0");
                else
                        sb_str(o, " <"), sb_incr(o, x.M), sb_str(o, ".0.0-0");
        } else if (M0 && m0) {
                sb_str(o, " <0.0."), sb_incr(o, x.p), sb_str(o, "-0");
        } else if (M0) {
                sb_str(o, " <0."), sb_incr(o, x.m), sb_str(o, ".0-0");
        } else {
                sb_str(o, " <"), sb_incr(o, x.M), sb_str(o, ".0.0-0");
        }
        return 1;
}

/* ~word or ~>word. */
static int tilde(struct span w, struct sb *o)
{
        struct xr x;
        size_t st = 1;
        if (w.n < 1 || w.p[0] != '~')
                return 0;
        if (w.n > 1 && w.p[1] == '>')
                st = 2;
        if (!xr_full(w.p, w.n, st, &x) && !(st == 2 && xr_full(w.p, w.n, 1, &x)))
                return 0;
        if (is_x(x.M))
                return 1;
        if (is_x(x.m)) {
                emit_ge(o, x.M, "0", "0");
                sb_str(o, " <"), sb_incr(o, x.M), sb_str(o, ".0.0-0");
                return 1;
        }
        sb_str(o, ">="), sb_span(o, x.M), sb_ch(o, '.'), sb_span(o, x.m), sb_ch(o, '.');
        if (is_x(x.p)) {
                sb_ch(o, '0');
        } else {
                sb_span(o, x.p);
                if (x.pr.n)
                        sb_ch(o, '-'), sb_span(o, x.pr);
        }
        sb_str(o, " <"), sb_span(o, x.M), sb_ch(o, '.'), sb_incr(o, x.m), sb_str(o, ".0-0");
        return 1;
}

/* GTLT word with x-ranges. */
static int xrange(struct span w, struct sb *o)
{
        struct xr x;
        size_t i = 0;
        char gtlt[3] = "";
        if (i < w.n && (w.p[i] == '<' || w.p[i] == '>'))
                gtlt[0] = w.p[i++];
        if (i < w.n && w.p[i] == '=')
                gtlt[strlen(gtlt)] = w.p[i++];
        if (!xr_full(w.p, w.n, i, &x))
                return 0;
        int xM = is_x(x.M), xm = xM || is_x(x.m), xp = xm || is_x(x.p);
        if (!xp)
                return 0;                       /* no X: the word stays as it is */
        if (!strcmp(gtlt, "="))
                gtlt[0] = '\0';
        if (xM) {
                sb_str(o, (!strcmp(gtlt, ">") || !strcmp(gtlt, "<")) ? "<0.0.0-0" : "*");
        } else if (gtlt[0]) {
                if (!strcmp(gtlt, ">")) {
                        sb_str(o, ">=");
                        if (xm)
                                sb_incr(o, x.M), sb_str(o, ".0.0");
                        else
                                sb_span(o, x.M), sb_ch(o, '.'), sb_incr(o, x.m), sb_str(o, ".0");
                } else if (!strcmp(gtlt, "<=") || !strcmp(gtlt, "<")) {
                        int le = !strcmp(gtlt, "<=");
                        sb_ch(o, '<');
                        if (xm) {
                                if (le)
                                        sb_incr(o, x.M);
                                else
                                        sb_span(o, x.M);
                                sb_str(o, ".0.0-0");
                        } else {
                                sb_span(o, x.M), sb_ch(o, '.');
                                if (le)
                                        sb_incr(o, x.m);
                                else
                                        sb_span(o, x.m);
                                sb_str(o, ".0-0");
                        }
                } else { /* >= */
                        sb_str(o, ">="), sb_span(o, x.M), sb_ch(o, '.');
                        if (xm)
                                sb_ch(o, '0');
                        else
                                sb_span(o, x.m);
                        sb_str(o, ".0");
                }
        } else if (xm) {
                emit_ge(o, x.M, "0", "0");
                sb_str(o, " <"), sb_incr(o, x.M), sb_str(o, ".0.0-0");
        } else {
                sb_str(o, ">="), sb_span(o, x.M), sb_ch(o, '.'), sb_span(o, x.m), sb_str(o, ".0");
                sb_str(o, " <"), sb_span(o, x.M), sb_ch(o, '.'), sb_incr(o, x.m), sb_str(o, ".0-0");
        }
        return 1;
}

typedef int (*rewrite_fn)(struct span, struct sb *);

/* Apply fn to each blank-separated word of in, writing the joined result to out. */
static void map_words(const struct sb *in, rewrite_fn fn, struct sb *out)
{
        size_t i = 0;
        int first = 1;
        sb_reset(out);
        while (i < in->n && is_ws(in->s[i]))
                i++;
        do {
                size_t st = i;
                while (i < in->n && !is_ws(in->s[i]))
                        i++;
                struct span w = { in->s + st, i - st };
                if (!first)
                        sb_ch(out, ' ');
                first = 0;
                if (!fn(w, out))
                        sb_span(out, w);
                while (i < in->n && is_ws(in->s[i]))
                        i++;
        } while (i < in->n);
}

/* Remove the first "[<>]?=?\s*\*" of b. */
static void strip_star(struct sb *b)
{
        char *star = memchr(b->s, '*', b->n);
        if (!star)
                return;
        size_t e = (size_t)(star - b->s) + 1, st = e - 1;
        while (st > 0 && is_ws(b->s[st - 1]))
                st--;
        if (st > 0 && b->s[st - 1] == '=')
                st--;
        if (st > 0 && (b->s[st - 1] == '<' || b->s[st - 1] == '>'))
                st--;
        memmove(b->s + st, b->s + e, b->n - e + 1);
        b->n -= e - st;
}

enum cmp_op { OP_EQ, OP_LT, OP_LE, OP_GT, OP_GE };

struct comparator {
        enum cmp_op op;
        struct semver v;
        char text[VERCMP_MAX_LEN + 1];  /* the version text v points into */
};

struct range_work {
        struct sb a, b, c, word;
        struct comparator comps[MAX_COMPARATORS];
};

/* Parse one final comparator word into c; returns 0, 1 for "any" (empty), -1 invalid. */
static int comparator_parse(struct span w, struct comparator *c)
{
        size_t i = 0;
        if (w.n == 0)
                return 1;
        c->op = OP_EQ;
        if (w.p[i] == '<' || w.p[i] == '>') {
                c->op = w.p[i] == '<' ? OP_LT : OP_GT;
                i++;
                if (i < w.n && w.p[i] == '=') {
                        c->op = c->op == OP_LT ? OP_LE : OP_GE;
                        i++;
                }
        } else if (w.p[i] == '=') {
                i++;
        }
        size_t n = w.n - i;
        if (n == 0 || n > VERCMP_MAX_LEN)
                return -1;
        memcpy(c->text, w.p + i, n);
        c->text[n] = '\0';
        return semver__parse(c->text, n, SEMVER_NPM, &c->v) < 0 ? -1 : 0;
}

static int comparator_test(const struct comparator *c, const struct semver *v)
{
        int r = semver__cmp(v, &c->v);
        switch (c->op) {
        case OP_EQ: return r == 0;
        case OP_LT: return r < 0;
        case OP_LE: return r <= 0;
        case OP_GT: return r > 0;
        default: return r >= 0;
        }
}

static int same_mmp(const struct semver *a, const struct semver *b)
{
        for (int i = 0; i < 3; i++)
                if (vercmp__digits(a->num[i], a->num_len[i], b->num[i], b->num_len[i]))
                        return 0;
        return 1;
}

/*
 * Desugar one "||" part and test v against it. Stores in *ret_sat whether v
 * satisfies it, in *ret_any whether the set is "any" only. -1 if invalid.
 */
static int range_set(struct range_work *w, const char *s, size_t n, const struct semver *v,
                     int *ret_sat, int *ret_any)
{
        while (n > 0 && is_ws(*s))
                s++, n--;
        while (n > 0 && is_ws(s[n - 1]))
                n--;
        if (hyphen(s, n, &w->a)) {
                sb_reset(&w->b);
                sb_put(&w->b, w->a.s, w->a.n);
        } else {
                sb_reset(&w->b);
                sb_put(&w->b, s, n);
        }
        trim_ops(w->b.s, w->b.n, &w->a);
        trim_lone(w->a.s, w->a.n, '~', &w->b);
        trim_lone(w->b.s, w->b.n, '^', &w->a);
        if (w->a.overflow || w->b.overflow)
                return -1;

        /* per word: caret, tilde, x-range, star; then collect comparators */
        int ncomp = 0, sat = 1;
        size_t i = 0;
        struct sb *in = &w->a;
        while (i < in->n && is_ws(in->s[i]))
                i++;
        do {
                size_t st = i;
                while (i < in->n && !is_ws(in->s[i]))
                        i++;
                sb_reset(&w->word);
                sb_put(&w->word, in->s + st, i - st);
                map_words(&w->word, caret, &w->b);
                map_words(&w->b, tilde, &w->c);
                map_words(&w->c, xrange, &w->b);
                strip_star(&w->b);
                if (w->b.overflow || w->c.overflow || w->word.overflow)
                        return -1;
                /* split the result into comparators */
                size_t j = 0;
                while (j < w->b.n) {
                        while (j < w->b.n && is_ws(w->b.s[j]))
                                j++;
                        size_t cs = j;
                        while (j < w->b.n && !is_ws(w->b.s[j]))
                                j++;
                        struct span cw = { w->b.s + cs, j - cs };
                        if (span_is(cw, ">=0.0.0") || cw.n == 0)
                                continue;       /* "any" */
                        if (ncomp >= MAX_COMPARATORS)
                                return -1;
                        struct comparator *c = &w->comps[ncomp];
                        if (comparator_parse(cw, c) != 0)
                                return -1;
                        ncomp++;
                }
                while (i < in->n && is_ws(in->s[i]))
                        i++;
        } while (i < in->n);

        for (int k = 0; k < ncomp; k++)
                if (!comparator_test(&w->comps[k], v))
                        sat = 0;
        if (sat && v->pre_len) {
                int allowed = 0;
                for (int k = 0; k < ncomp && !allowed; k++)
                        if (w->comps[k].v.pre_len && same_mmp(&w->comps[k].v, v))
                                allowed = 1;
                sat = allowed;
        }
        *ret_sat = sat;
        *ret_any = ncomp == 0;
        return 0;
}

static int range_chars_ok(const char *r, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)r[i];
                if (c >= 0x7f || (c < 0x20 && !is_ws(c)))
                        return 0;
        }
        return 1;
}

int semver_range_satisfies(const char *range, const char *version, int *ret)
{
        struct semver v;
        int r;

        if (!range)
                return dou_err_set(DOU_EINVAL, "semver range: missing range");
        size_t n = strnlen(range, SEMVER_RANGE_MAX_LEN + 1);
        if (n > SEMVER_RANGE_MAX_LEN)
                return dou_err_set(DOU_EINVAL, "semver range: longer than %d bytes", SEMVER_RANGE_MAX_LEN);
        if (!range_chars_ok(range, n))
                return dou_err_set(DOU_EINVAL, "semver range: control or non-ASCII byte");
        int dummy;
        if ((r = vercmp(VERCMP_SEMVER, version, version, &dummy)) < 0)
                return r;
        if (semver__parse(version, strlen(version), SEMVER_NPM, &v) < 0)
                return dou_err_set(DOU_EINVAL, "semver: invalid version: %s", version);

        struct range_work *w = malloc(sizeof(*w));
        if (!w)
                return dou_err_set(DOU_ENOMEM, "semver range: out of memory");
        int any_sat = 0, any_only = 0;
        const char *p = range, *end = range + n;
        for (;;) {
                const char *bar = p;
                while (bar + 1 < end && !(bar[0] == '|' && bar[1] == '|'))
                        bar++;
                if (bar + 1 >= end)
                        bar = end;
                int sat = 0, isany = 0;
                if (range_set(w, p, (size_t)(bar - p), &v, &sat, &isany) < 0) {
                        free(w);
                        return dou_err_set(DOU_EINVAL, "semver range: invalid range: %s", range);
                }
                any_sat |= sat;
                any_only |= isany;
                if (bar == end)
                        break;
                p = bar + 2;
        }
        free(w);
        /* a set that is only "any" swallows the others (node-semver's Range) */
        *ret = any_only ? v.pre_len == 0 : any_sat;
        return 0;
}
