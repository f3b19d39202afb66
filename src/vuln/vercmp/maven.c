/*
 * maven.c - Maven version order (maven-artifact ComparableVersion, 3.8).
 *
 * The lower-cased version is cut into items: '.' separates items of the
 * current list, '-' starts a nested list, and a switch between digits and
 * letters also starts a nested list (1alpha2 = 1-alpha-2); a word that
 * follows other items of its list is first put in a list of its own
 * (1.0.rc1 = 1.0-[rc-1]), as maven-artifact 3.8.7 does. An empty item
 * is 0. Digit items are numbers (any size); letter items are qualifiers:
 * alpha < beta < milestone < rc = cr < snapshot < "" = ga = final =
 * release < sp < any other word (others bytewise among themselves); a
 * single a, b or m directly followed by a digit means alpha, beta,
 * milestone. Each list drops its trailing "null" items (0, release
 * qualifiers, empty lists) from the end back to the last non-list item.
 * Comparing: number > list > qualifier for items of different kinds, and
 * a missing item compares as null (so 1 = 1.0 = 1-ga, 1-sp > 1 > 1-rc);
 * a list compares with null through its first item that is not null-equal.
 *
 * The tree lives in a fixed node pool: at most about two nodes per input
 * byte, and VERCMP_MAX_LEN bounds the input.
 */
#include "vuln/vercmp/vercmp_int.h"
#include "vuln/vercmp/vercmp.h"
#include "util/err.h"

#include <string.h>

#define MVN_MAX_NODES (3 * VERCMP_MAX_LEN + 8)

enum mvn_kind { MVN_INT, MVN_STR, MVN_LIST };

struct mvn_node {
        enum mvn_kind kind;
        const char *s;          /* INT: digits without leading zeros; STR: qualifier text */
        size_t n;
        int qual;               /* STR: known qualifier index, or 7 for other words */
        int first, next;        /* LIST: first child; all: next sibling (-1 none) */
        int last;               /* LIST: last child, for appending */
};

struct mvn_tree {
        struct mvn_node nodes[MVN_MAX_NODES];
        int count;
        char lower[VERCMP_MAX_LEN + 1];
};

static const char *const mvn_quals[] = { "alpha", "beta", "milestone", "rc", "snapshot", "", "sp" };
#define MVN_RELEASE 5
#define MVN_OTHER 7

static int mvn_new(struct mvn_tree *t, enum mvn_kind k)
{
        if (t->count >= MVN_MAX_NODES)
                return -1;
        int i = t->count++;
        t->nodes[i] = (struct mvn_node){ .kind = k, .first = -1, .next = -1, .last = -1 };
        return i;
}

static void mvn_append(struct mvn_tree *t, int list, int child)
{
        struct mvn_node *l = &t->nodes[list];
        if (l->last < 0)
                l->first = child;
        else
                t->nodes[l->last].next = child;
        l->last = child;
}

static void mvn_set_str(struct mvn_node *nd, const char *s, size_t n, int followed_by_digit)
{
        if (followed_by_digit && n == 1) {
                if (*s == 'a')
                        s = "alpha", n = 5;
                else if (*s == 'b')
                        s = "beta", n = 4;
                else if (*s == 'm')
                        s = "milestone", n = 9;
        }
        if ((n == 2 && !memcmp(s, "ga", 2)) || (n == 5 && !memcmp(s, "final", 5)) ||
            (n == 7 && !memcmp(s, "release", 7)))
                s = "", n = 0;
        else if (n == 2 && !memcmp(s, "cr", 2))
                s = "rc", n = 2;
        nd->s = s;
        nd->n = n;
        nd->qual = MVN_OTHER;
        for (int i = 0; i < (int)(sizeof(mvn_quals) / sizeof(mvn_quals[0])); i++)
                if (strlen(mvn_quals[i]) == n && !memcmp(mvn_quals[i], s, n))
                        nd->qual = i;
}

static int mvn_item(struct mvn_tree *t, int list, int is_digit, const char *s, size_t n, int fbd)
{
        int i;
        if (n == 0) {
                if ((i = mvn_new(t, MVN_INT)) < 0)
                        return -1;
                t->nodes[i].s = "";
                t->nodes[i].n = 0;
        } else if (is_digit) {
                if ((i = mvn_new(t, MVN_INT)) < 0)
                        return -1;
                while (n > 0 && *s == '0')
                        s++, n--;
                t->nodes[i].s = s;
                t->nodes[i].n = n;
        } else {
                if ((i = mvn_new(t, MVN_STR)) < 0)
                        return -1;
                mvn_set_str(&t->nodes[i], s, n, fbd);
        }
        mvn_append(t, list, i);
        return 0;
}

static int mvn_is_null(const struct mvn_tree *t, int i)
{
        const struct mvn_node *nd = &t->nodes[i];
        switch (nd->kind) {
        case MVN_INT:
                return nd->n == 0;
        case MVN_STR:
                return nd->qual == MVN_RELEASE;
        default:
                return nd->first < 0;
        }
}

/* Drop trailing null items, walking back over lists but stopping at the first non-null non-list. */
static void mvn_normalize(struct mvn_tree *t, int list)
{
        int kids[MVN_MAX_NODES];
        int nk = 0;
        for (int c = t->nodes[list].first; c >= 0; c = t->nodes[c].next)
                kids[nk++] = c;
        int keep[MVN_MAX_NODES];
        memset(keep, 0, sizeof(int) * (size_t)nk);
        int k;
        for (k = nk - 1; k >= 0; k--) {
                if (mvn_is_null(t, kids[k]))
                        continue;       /* removed */
                if (t->nodes[kids[k]].kind != MVN_LIST)
                        break;
                keep[k] = 1;
        }
        for (int j = 0; j <= k; j++)
                keep[j] = 1;
        t->nodes[list].first = t->nodes[list].last = -1;
        for (int j = 0; j < nk; j++) {
                if (!keep[j])
                        continue;
                t->nodes[kids[j]].next = -1;
                mvn_append(t, list, kids[j]);
        }
}

static int mvn_parse(const char *v, struct mvn_tree *t)
{
        size_t n = strlen(v);
        int stack[VERCMP_MAX_LEN + 2];
        int sp = 0;

        for (size_t i = 0; i < n; i++)
                t->lower[i] = vercmp__is_upper(v[i]) ? (char)(v[i] + 32) : v[i];
        t->lower[n] = '\0';
        const char *s = t->lower;
        t->count = 0;
        int list = mvn_new(t, MVN_LIST);
        stack[sp++] = list;
        int is_digit = 0;
        size_t start = 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (c == '.' || c == '-') {
                        if (mvn_item(t, list, is_digit, s + start, i - start, 0) < 0)
                                return -1;
                        start = i + 1;
                        if (c == '-') {
                                int nl = mvn_new(t, MVN_LIST);
                                if (nl < 0)
                                        return -1;
                                mvn_append(t, list, nl);
                                list = stack[sp++] = nl;
                        }
                } else if (vercmp__is_digit(c)) {
                        if (!is_digit && i > start) {
                                /* a word that follows other items gets a list of its own */
                                if (t->nodes[list].first >= 0) {
                                        int wl = mvn_new(t, MVN_LIST);
                                        if (wl < 0)
                                                return -1;
                                        mvn_append(t, list, wl);
                                        list = stack[sp++] = wl;
                                }
                                if (mvn_item(t, list, 0, s + start, i - start, 1) < 0)
                                        return -1;
                                start = i;
                                int nl = mvn_new(t, MVN_LIST);
                                if (nl < 0)
                                        return -1;
                                mvn_append(t, list, nl);
                                list = stack[sp++] = nl;
                        }
                        is_digit = 1;
                } else {
                        if (is_digit && i > start) {
                                if (mvn_item(t, list, 1, s + start, i - start, 0) < 0)
                                        return -1;
                                start = i;
                                int nl = mvn_new(t, MVN_LIST);
                                if (nl < 0)
                                        return -1;
                                mvn_append(t, list, nl);
                                list = stack[sp++] = nl;
                        }
                        is_digit = 0;
                }
        }
        if (n > start) {
                if (!is_digit && t->nodes[list].first >= 0) {
                        int wl = mvn_new(t, MVN_LIST);
                        if (wl < 0)
                                return -1;
                        mvn_append(t, list, wl);
                        list = stack[sp++] = wl;
                }
                if (mvn_item(t, list, is_digit, s + start, n - start, 0) < 0)
                        return -1;
        }
        while (sp > 0)
                mvn_normalize(t, stack[--sp]);
        return 0;
}

/* Compare item i (or null when i < 0) with item j (or null). */
static int mvn_cmp(const struct mvn_tree *ta, int i, const struct mvn_tree *tb, int j);

static int mvn_vs_null(const struct mvn_tree *t, int i)
{
        const struct mvn_node *nd = &t->nodes[i];
        switch (nd->kind) {
        case MVN_INT:
                return nd->n == 0 ? 0 : 1;
        case MVN_STR:
                return vercmp__sign((long long)nd->qual - MVN_RELEASE);
        default:
                for (int c = nd->first; c >= 0; c = t->nodes[c].next) {
                        int r = mvn_vs_null(t, c);
                        if (r)
                                return r;
                }
                return 0;
        }
}

static int mvn_qual_cmp(const struct mvn_node *a, const struct mvn_node *b)
{
        if (a->qual != b->qual)
                return a->qual < b->qual ? -1 : 1;
        if (a->qual != MVN_OTHER)
                return 0;
        return vercmp__bytes(a->s, a->n, b->s, b->n);
}

static int mvn_cmp(const struct mvn_tree *ta, int i, const struct mvn_tree *tb, int j)
{
        if (i < 0 && j < 0)
                return 0;
        if (i < 0)
                return -mvn_vs_null(tb, j);
        if (j < 0)
                return mvn_vs_null(ta, i);
        const struct mvn_node *a = &ta->nodes[i], *b = &tb->nodes[j];
        if (a->kind != b->kind) {
                /* int > list > string */
                static const int rank[] = { [MVN_INT] = 2, [MVN_LIST] = 1, [MVN_STR] = 0 };
                return rank[a->kind] > rank[b->kind] ? 1 : -1;
        }
        switch (a->kind) {
        case MVN_INT:
                return vercmp__digits(a->s, a->n, b->s, b->n);
        case MVN_STR:
                return mvn_qual_cmp(a, b);
        default:
                break;
        }
        int x = a->first, y = b->first;
        while (x >= 0 || y >= 0) {
                int c = mvn_cmp(ta, x, tb, y);
                if (c)
                        return c;
                if (x >= 0)
                        x = ta->nodes[x].next;
                if (y >= 0)
                        y = tb->nodes[y].next;
        }
        return 0;
}

int vercmp__maven(const char *a, const char *b, int *ret)
{
        /* two trees of ~800 nodes: too big for a comfortable stack frame in deep callers */
        static _Thread_local struct mvn_tree ta, tb;

        if (mvn_parse(a, &ta) < 0)
                return dou_err_set(DOU_EINVAL, "maven: version too complex: %s", a);
        if (mvn_parse(b, &tb) < 0)
                return dou_err_set(DOU_EINVAL, "maven: version too complex: %s", b);
        *ret = mvn_cmp(&ta, 0, &tb, 0);
        return 0;
}
