/*
 * apk.c - Alpine package version order (apk-tools 2.14 / 3.x semantics of
 * src/version.c, reimplemented).
 *
 * Grammar: digits{.digits}...[letter]{_suffix[digits]}...[~hexhash][-rN].
 * A version is read as typed tokens (initial number, number after '.',
 * letter, suffix, suffix number, commit hash, revision, end); each token
 * type may only follow certain others, which is what makes a version
 * valid. Two versions compare token by token while the token types
 * agree: numbers numerically, except that a component after '.' starting
 * with '0' on either side compares as a string (Gentoo's rule, so 1.01 <
 * 1.1 and 1.0 < 1.00); letters and hashes bytewise; suffixes by rank
 * alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p. When the
 * types first differ, a pre-release suffix (_alpha.._rc) sorts below
 * anything, otherwise the side whose token type comes earlier in the
 * list above is newer (so 1.0 < 1.0.1, 1.0 < 1.0-r1, 1.0a < 1.0.1).
 *
 * Unlike apk-tools, which reads numbers into a uint64_t, numbers compare
 * as digit strings, so a component of any length is exact.
 */
#include "vuln/vercmp/vercmp_int.h"
#include "util/err.h"

#include <string.h>

enum apk_tok {
        APK_INITIAL_DIGIT,
        APK_DIGIT,
        APK_LETTER,
        APK_SUFFIX,
        APK_SUFFIX_NO,
        APK_COMMIT_HASH,
        APK_REVISION_NO,
        APK_END,
        APK_INVALID,
};

/* Suffix ranks; APK_SUF_NONE separates pre-releases from post-releases. */
enum { APK_SUF_INVALID, APK_SUF_ALPHA, APK_SUF_BETA, APK_SUF_PRE, APK_SUF_RC,
       APK_SUF_NONE, APK_SUF_CVS, APK_SUF_SVN, APK_SUF_GIT, APK_SUF_HG, APK_SUF_P };

static const char *const apk_suffix_names[] = {
        [APK_SUF_ALPHA] = "alpha", [APK_SUF_BETA] = "beta", [APK_SUF_PRE] = "pre",
        [APK_SUF_RC] = "rc",       [APK_SUF_CVS] = "cvs",   [APK_SUF_SVN] = "svn",
        [APK_SUF_GIT] = "git",     [APK_SUF_HG] = "hg",     [APK_SUF_P] = "p",
};

struct apk_tok_state {
        enum apk_tok token;
        int suffix;
        const char *v;          /* the token's text (digits, letter, suffix word, hash) */
        size_t vn;
};

struct apk_cur {
        const char *p, *end;
};

static int apk_is_hex(int c) { return vercmp__is_digit(c) || (c >= 'a' && c <= 'f'); }

static void apk_digits(struct apk_tok_state *t, struct apk_cur *c)
{
        t->v = c->p;
        while (c->p < c->end && vercmp__is_digit(*c->p))
                c->p++;
        t->vn = (size_t)(c->p - t->v);
        if (t->vn == 0)
                t->token = APK_INVALID;
}

static void apk_first(struct apk_tok_state *t, struct apk_cur *c)
{
        t->token = APK_INITIAL_DIGIT;
        t->suffix = APK_SUF_INVALID;
        apk_digits(t, c);
}

static int apk_suffix_value(const char *p, size_t n)
{
        for (int i = APK_SUF_ALPHA; i <= APK_SUF_P; i++)
                if (apk_suffix_names[i] && strlen(apk_suffix_names[i]) == n &&
                    !memcmp(apk_suffix_names[i], p, n))
                        return i;
        return APK_SUF_INVALID;
}

static void apk_next(struct apk_tok_state *t, struct apk_cur *c)
{
        if (c->p >= c->end) {
                t->token = APK_END;
                return;
        }
        char ch = *c->p;
        if (vercmp__is_lower(ch)) {
                if (t->token > APK_DIGIT)
                        goto invalid;
                t->v = c->p++;
                t->vn = 1;
                t->token = APK_LETTER;
        } else if (ch == '.' || vercmp__is_digit(ch)) {
                if (ch == '.') {
                        if (t->token > APK_DIGIT)
                                goto invalid;
                        c->p++;
                }
                if (t->token == APK_INITIAL_DIGIT || t->token == APK_DIGIT)
                        t->token = APK_DIGIT;
                else if (t->token == APK_SUFFIX)
                        t->token = APK_SUFFIX_NO;
                else
                        goto invalid;
                apk_digits(t, c);
        } else if (ch == '_') {
                if (t->token > APK_SUFFIX_NO)
                        goto invalid;
                c->p++;
                t->v = c->p;
                while (c->p < c->end && vercmp__is_lower(*c->p))
                        c->p++;
                t->vn = (size_t)(c->p - t->v);
                t->suffix = apk_suffix_value(t->v, t->vn);
                if (t->suffix == APK_SUF_INVALID)
                        goto invalid;
                t->token = APK_SUFFIX;
        } else if (ch == '~') {
                if (t->token >= APK_COMMIT_HASH)
                        goto invalid;
                c->p++;
                t->v = c->p;
                while (c->p < c->end && apk_is_hex(*c->p))
                        c->p++;
                t->vn = (size_t)(c->p - t->v);
                if (t->vn == 0)
                        goto invalid;
                t->token = APK_COMMIT_HASH;
        } else if (ch == '-') {
                if (t->token >= APK_REVISION_NO)
                        goto invalid;
                if (c->end - c->p < 2 || c->p[1] != 'r')
                        goto invalid;
                c->p += 2;
                t->token = APK_REVISION_NO;
                apk_digits(t, c);
        } else {
                goto invalid;
        }
        return;
invalid:
        t->token = APK_INVALID;
}

static int apk_token_cmp(const struct apk_tok_state *a, const struct apk_tok_state *b)
{
        switch (a->token) {
        case APK_DIGIT:
                if (a->v[0] == '0' || b->v[0] == '0')
                        return vercmp__bytes(a->v, a->vn, b->v, b->vn);
                /* fall through */
        case APK_INITIAL_DIGIT:
        case APK_SUFFIX_NO:
        case APK_REVISION_NO:
                return vercmp__digits(a->v, a->vn, b->v, b->vn);
        case APK_SUFFIX:
                return vercmp__sign((long long)a->suffix - b->suffix);
        default: /* letter, commit hash */
                return vercmp__bytes(a->v, a->vn, b->v, b->vn);
        }
}

static int apk_valid(const char *s)
{
        struct apk_cur c = { s, s + strlen(s) };
        struct apk_tok_state t;

        for (apk_first(&t, &c); t.token < APK_END; apk_next(&t, &c))
                ;
        return t.token == APK_END;
}

int vercmp__apk(const char *a, const char *b, int *ret)
{
        if (!apk_valid(a))
                return dou_err_set(DOU_EINVAL, "apk: invalid version: %s", a);
        if (!apk_valid(b))
                return dou_err_set(DOU_EINVAL, "apk: invalid version: %s", b);

        struct apk_cur ca = { a, a + strlen(a) }, cb = { b, b + strlen(b) };
        struct apk_tok_state ta, tb;

        for (apk_first(&ta, &ca), apk_first(&tb, &cb);
             ta.token == tb.token && ta.token < APK_END;
             apk_next(&ta, &ca), apk_next(&tb, &cb)) {
                int c = apk_token_cmp(&ta, &tb);
                if (c) {
                        *ret = c;
                        return 0;
                }
        }
        if (ta.token == tb.token)
                *ret = 0;
        else if (ta.token == APK_SUFFIX && ta.suffix < APK_SUF_NONE)
                *ret = -1;
        else if (tb.token == APK_SUFFIX && tb.suffix < APK_SUF_NONE)
                *ret = 1;
        else
                *ret = ta.token > tb.token ? -1 : 1;
        return 0;
}
