/*
 * cond.c - Falco condition language: parser, compiler and evaluator.
 *
 * Grammar (precedence low to high):
 *   expr    := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | primary
 *   primary := '(' expr ')' | FIELD OP VALUE | FIELD 'exists' | MACRO
 *   VALUE   := quoted | bare | '(' item (',' item)* ')'   (list for in/intersects/pmatch)
 * Parsing builds compiled nodes directly: values are pre-parsed (numbers,
 * CIDRs, regexes, hash sets for long lists) so evaluation never allocates.
 * Macros compile once and are shared; lists expand where used (an unquoted
 * item naming a list is replaced by its items, recursively, cycle-guarded).
 * Nesting (parentheses, 'not', macro references) is bounded by
 * RULES_MAX_DEPTH so hostile input cannot exhaust the stack.
 *
 * Each node also yields the set of event types it can match (evt.type
 * = / in restrict, and intersects, or unions, anything else is "all").
 */
#include "sensor/rules/rules_int.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define MASK_ALL (((uint64_t)1 << EVT_TYPE_COUNT) - 1)

struct parser {
        struct rules_engine *e;
        const char *s;
        size_t len, pos;
        const char *file;
        int line;
        bool err;
};

static int perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parser *p, const char *fmt, ...)
{
        if (p->err)
                return DOU_EINVAL;
        p->err = true;
        size_t at = p->pos < p->len ? p->pos : p->len;
        char near[24];
        size_t nl = p->len - at < sizeof(near) - 1 ? p->len - at : sizeof(near) - 1;
        memcpy(near, p->s + at, nl);
        near[nl] = 0;
        for (size_t i = 0; i < nl; i++)
                if (near[i] == '\n' || near[i] == '\r' || near[i] == '\t')
                        near[i] = ' ';
        char m[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m, sizeof(m), fmt, ap);
        va_end(ap);
        return dou_err_set(DOU_EINVAL, "%s:%d: condition: %s (at offset %zu, near '%s')", p->file,
                           p->line, m, at, near);
}

static void skip_ws(struct parser *p)
{
        while (p->pos < p->len && isspace((unsigned char)p->s[p->pos]))
                p->pos++;
}

static bool is_ident(char c)
{
        return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* Identifier with an optional [arg]; returns length, 0 if none. */
static size_t ident_len(const struct parser *p)
{
        size_t i = p->pos;
        if (i >= p->len || !(isalpha((unsigned char)p->s[i]) || p->s[i] == '_'))
                return 0;
        while (i < p->len && is_ident(p->s[i]))
                i++;
        if (i < p->len && p->s[i] == '[') {
                size_t j = i + 1;
                while (j < p->len && p->s[j] != ']' && j - i < 128)
                        j++;
                if (j < p->len && p->s[j] == ']')
                        i = j + 1;
        }
        return i - p->pos;
}

static bool kw_at(const struct parser *p, const char *kw)
{
        size_t n = strlen(kw);
        if (p->pos + n > p->len || strncmp(p->s + p->pos, kw, n))
                return false;
        return p->pos + n == p->len || !is_ident(p->s[p->pos + n]);
}

/* Quoted string at p->pos (quote char included); decoded into the arena. */
static const char *read_quoted(struct parser *p, size_t *ret_len)
{
        char q = p->s[p->pos++];
        size_t start = p->pos, n = 0;
        char *out = arena_alloc(&p->e->arena, p->len - start + 1);
        if (!out)
                return NULL;
        while (p->pos < p->len && p->s[p->pos] != q) {
                char c = p->s[p->pos++];
                if (c == '\\' && p->pos < p->len) {
                        char d = p->s[p->pos++];
                        c = d == 'n' ? '\n' : d == 't' ? '\t' : d;
                }
                out[n++] = c;
        }
        if (p->pos >= p->len) {
                perr(p, "unterminated quoted string");
                return NULL;
        }
        p->pos++;
        out[n] = 0;
        *ret_len = n;
        return out;
}

/* Bare value: up to whitespace or ')' (and ',' inside lists). */
static size_t bare_len(const struct parser *p, bool in_list)
{
        size_t i = p->pos;
        while (i < p->len) {
                char c = p->s[i];
                if (isspace((unsigned char)c) || c == ')' || (in_list && (c == ',' || c == '(')))
                        break;
                i++;
        }
        return i - p->pos;
}

/* ---- value vectors (temporary heap, copied to the arena) ---- */

struct vals {
        const char **v;
        size_t *l;
        size_t n, cap;
};

static int vals_push(struct vals *vs, const char *s, size_t l)
{
        if (vs->n == vs->cap) {
                size_t nc = vs->cap ? vs->cap * 2 : 16;
                const char **nv = realloc(vs->v, nc * sizeof(*nv));
                if (!nv)
                        return DOU_ENOMEM;
                vs->v = nv;
                size_t *nl = realloc(vs->l, nc * sizeof(*nl));
                if (!nl)
                        return DOU_ENOMEM;
                vs->l = nl;
                vs->cap = nc;
        }
        vs->v[vs->n] = s;
        vs->l[vs->n++] = l;
        return 0;
}

static void vals_free(struct vals *vs)
{
        free(vs->v);
        free(vs->l);
}

static bool quoted_item(const char *s, size_t n)
{
        return n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0];
}

static int expand_list(struct parser *p, struct rlist *li, struct vals *vs, int depth)
{
        if (li->state == 1)
                return perr(p, "list '%s' refers to itself", li->name);
        if (depth > RULES_MAX_DEPTH)
                return perr(p, "lists nested too deeply at '%s'", li->name);
        li->state = 1;
        int r = 0;
        for (size_t i = 0; i < li->n && r == 0; i++) {
                const char *it = li->items[i];
                size_t n = strlen(it);
                struct rlist *sub;
                if (quoted_item(it, n))
                        r = vals_push(vs, it + 1, n - 2);
                else if ((sub = rules_find_list(p->e, it, n)) != NULL)
                        r = expand_list(p, sub, vs, depth + 1);
                else
                        r = vals_push(vs, it, n);
        }
        li->state = 0;
        return r;
}

static int parse_list(struct parser *p, struct vals *vs)
{
        p->pos++;       /* '(' */
        for (;;) {
                skip_ws(p);
                if (p->pos >= p->len)
                        return perr(p, "unterminated list, expected ')'");
                char c = p->s[p->pos];
                if (c == ')') {
                        p->pos++;
                        return 0;
                }
                if (c == ',') {
                        p->pos++;
                        continue;
                }
                int r;
                if (c == '"' || c == '\'') {
                        size_t l;
                        const char *q = read_quoted(p, &l);
                        if (!q)
                                return DOU_EINVAL;
                        r = vals_push(vs, q, l);
                } else {
                        size_t l = bare_len(p, true);
                        if (l == 0)
                                return perr(p, "unexpected character in list");
                        const char *w = p->s + p->pos;
                        struct rlist *li = rules_find_list(p->e, w, l);
                        p->pos += l;
                        if (li)
                                r = expand_list(p, li, vs, 0);
                        else {
                                const char *c2 = arena_strndup(&p->e->arena, w, l);
                                r = c2 ? vals_push(vs, c2, l) : DOU_ENOMEM;
                        }
                }
                if (r < 0)
                        return r;
        }
}

/* ---- operators ---- */

static const struct {
        const char *name;
        enum cop op;
} word_ops[] = {
        { "contains", OP_CONTAINS }, { "icontains", OP_ICONTAINS }, { "bcontains", OP_BCONTAINS },
        { "startswith", OP_STARTSWITH }, { "bstartswith", OP_BSTARTSWITH },
        { "endswith", OP_ENDSWITH }, { "glob", OP_GLOB }, { "iglob", OP_IGLOB },
        { "regex", OP_REGEX }, { "pmatch", OP_PMATCH }, { "in", OP_IN },
        { "intersects", OP_INTERSECTS }, { "exists", OP_EXISTS },
};

/* Reads an operator at p->pos; -1 if there is none. */
static int read_op(struct parser *p)
{
        const char *s = p->s + p->pos;
        size_t left = p->len - p->pos;
        if (left >= 2 && s[0] == '=' && s[1] == '=') { p->pos += 2; return OP_EQ; }
        if (left >= 1 && s[0] == '=') { p->pos += 1; return OP_EQ; }
        if (left >= 2 && s[0] == '!' && s[1] == '=') { p->pos += 2; return OP_NE; }
        if (left >= 2 && s[0] == '<' && s[1] == '=') { p->pos += 2; return OP_LE; }
        if (left >= 1 && s[0] == '<') { p->pos += 1; return OP_LT; }
        if (left >= 2 && s[0] == '>' && s[1] == '=') { p->pos += 2; return OP_GE; }
        if (left >= 1 && s[0] == '>') { p->pos += 1; return OP_GT; }
        for (size_t i = 0; i < sizeof(word_ops) / sizeof(word_ops[0]); i++)
                if (kw_at(p, word_ops[i].name)) {
                        p->pos += strlen(word_ops[i].name);
                        return (int)word_ops[i].op;
                }
        return -1;
}

static struct cnode *new_node(struct parser *p, enum cnode_kind k)
{
        struct cnode *n = arena_alloc(&p->e->arena, sizeof(*n));
        if (!n) {
                dou_err_set(DOU_ENOMEM, "out of memory");
                p->err = true;
                return NULL;
        }
        n->kind = k;
        n->fidx = -1;
        return n;
}

static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

static bool parse_i64(const char *s, size_t len, int64_t *ret)
{
        char buf[32];
        if (len == 0 || len >= sizeof(buf))
                return false;
        memcpy(buf, s, len);
        buf[len] = 0;
        if (!strcasecmp(buf, "true")) { *ret = 1; return true; }
        if (!strcasecmp(buf, "false")) { *ret = 0; return true; }
        char *end;
        long long v = strtoll(buf, &end, 0);
        if (*end)
                return false;
        *ret = v;
        return true;
}

static bool parse_net(const char *s, size_t len, struct ipnet *ret)
{
        char buf[64];
        if (len == 0 || len >= sizeof(buf))
                return false;
        memcpy(buf, s, len);
        buf[len] = 0;
        char *slash = strchr(buf, '/');
        int prefix = -1;
        if (slash) {
                *slash = 0;
                char *end;
                long v = strtol(slash + 1, &end, 10);
                if (*end || v < 0 || v > 128)
                        return false;
                prefix = (int)v;
        }
        memset(ret, 0, sizeof(*ret));
        if (inet_pton(AF_INET, buf, ret->addr) == 1) {
                ret->family = AF_INET;
                if (prefix > 32)
                        return false;
                ret->prefix = prefix < 0 ? 32 : prefix;
        } else if (inet_pton(AF_INET6, buf, ret->addr) == 1) {
                ret->family = AF_INET6;
                ret->prefix = prefix < 0 ? 128 : prefix;
        } else {
                return false;
        }
        return true;
}

static int track_regex(struct rules_engine *e, regex_t *re)
{
        if (e->nregex == e->capregex) {
                size_t nc = e->capregex ? e->capregex * 2 : 8;
                regex_t **n = realloc(e->regexes, nc * sizeof(*n));
                if (!n)
                        return DOU_ENOMEM;
                e->regexes = n;
                e->capregex = nc;
        }
        e->regexes[e->nregex++] = re;
        return 0;
}

/* Fill a CMP node's pre-parsed values. */
static int finish_cmp(struct parser *p, struct cnode *n, struct vals *vs, uint64_t *mask)
{
        struct rules_engine *e = p->e;
        const struct field_def *f = n->field;
        n->n = vs->n;
        if (vs->n) {
                n->vals = arena_alloc(&e->arena, vs->n * sizeof(char *));
                n->vlens = arena_alloc(&e->arena, vs->n * sizeof(size_t));
                if (!n->vals || !n->vlens)
                        return perr(p, "out of memory");
                memcpy(n->vals, vs->v, vs->n * sizeof(char *));
                memcpy(n->vlens, vs->l, vs->n * sizeof(size_t));
        }
        *mask = MASK_ALL;
        if (!strcmp(f->name, "evt.type") && (n->op == OP_EQ || n->op == OP_IN)) {
                *mask = 0;
                for (size_t i = 0; i < vs->n; i++) {
                        char nm[64];
                        if (vs->l[i] >= sizeof(nm))
                                continue;
                        memcpy(nm, vs->v[i], vs->l[i]);
                        nm[vs->l[i]] = 0;
                        int t = rules_evt_type_from_name(nm);
                        if (t >= 0)
                                *mask |= (uint64_t)1 << t;
                }
        }
        if (f->type == FT_NA) {
                e->cur_missing++;
                return 0;
        }
        if (n->op == OP_EXISTS)
                return 0;
        if ((f->type == FT_NUM || f->type == FT_BOOL) &&
            (n->op <= OP_GE || n->op == OP_IN || n->op == OP_INTERSECTS)) {
                n->nums = arena_alloc(&e->arena, (vs->n ? vs->n : 1) * sizeof(int64_t));
                if (!n->nums)
                        return perr(p, "out of memory");
                for (size_t i = 0; i < vs->n; i++) {
                        if (!parse_i64(vs->v[i], vs->l[i], &n->nums[i])) {
                                char v[64];
                                snprintf(v, sizeof(v), "%.*s", (int)(vs->l[i] > 40 ? 40 : vs->l[i]), vs->v[i]);
                                p->pos = p->pos;        /* position is after the value */
                                return perr(p, "expected a number, got '%s'", v);
                        }
                }
                if (vs->n > RULES_SET_THRESHOLD)
                        qsort(n->nums, vs->n, sizeof(int64_t), cmp_i64);
                return 0;
        }
        if (f->type == FT_IP && (n->op == OP_EQ || n->op == OP_NE || n->op == OP_IN ||
                                 n->op == OP_INTERSECTS)) {
                n->nets = arena_alloc(&e->arena, (vs->n ? vs->n : 1) * sizeof(struct ipnet));
                if (!n->nets)
                        return perr(p, "out of memory");
                for (size_t i = 0; i < vs->n; i++)
                        if (!parse_net(vs->v[i], vs->l[i], &n->nets[i]))
                                return perr(p, "expected an IP address or CIDR network");
                return 0;
        }
        if (n->op == OP_REGEX) {
                regex_t *re = calloc(1, sizeof(*re));
                if (!re || track_regex(e, re) < 0) {
                        free(re);
                        return perr(p, "out of memory");
                }
                int rc = regcomp(re, n->vals[0], REG_EXTENDED | REG_NOSUB);
                if (rc) {
                        e->nregex--;
                        free(re);
                        char m[128];
                        regerror(rc, NULL, m, sizeof(m));
                        return perr(p, "bad regex: %s", m);
                }
                n->re = re;
                return 0;
        }
        if (n->op == OP_PMATCH) {
                for (size_t i = 0; i < n->n; i++)
                        while (n->vlens[i] > 1 && n->vals[i][n->vlens[i] - 1] == '/')
                                n->vlens[i]--;
        }
        if ((n->op == OP_IN || n->op == OP_INTERSECTS) && vs->n > RULES_SET_THRESHOLD) {
                n->set = strset_new(&e->arena, vs->n);
                if (!n->set)
                        return perr(p, "out of memory");
                for (size_t i = 0; i < vs->n; i++)
                        strset_add(n->set, vs->v[i], vs->l[i]);
        }
        return 0;
}

static struct cnode *parse_or(struct parser *p, int depth, uint64_t *mask);

static struct cnode *parse_field_cmp(struct parser *p, const char *id, size_t idl, int op,
                                     uint64_t *mask)
{
        int idx = -1;
        const char *an = NULL;
        size_t al = 0;
        const struct field_def *f = field_lookup(id, idl, &idx, &an, &al);
        char nm[128];
        snprintf(nm, sizeof(nm), "%.*s", (int)(idl > 100 ? 100 : idl), id);
        if (!f) {
                perr(p, "unknown field '%s'", nm);
                return NULL;
        }
        struct cnode *n = new_node(p, CN_CMP);
        if (!n)
                return NULL;
        n->op = (enum cop)op;
        n->field = f;
        n->fidx = idx;
        if (an && !(n->farg = arena_strndup(&p->e->arena, an, al))) {
                perr(p, "out of memory");
                return NULL;
        }
        struct vals vs = { 0 };
        int r = 0;
        skip_ws(p);
        if (op == OP_EXISTS) {
                /* no operand */
        } else if (op == OP_IN || op == OP_INTERSECTS || op == OP_PMATCH) {
                if (p->pos >= p->len || p->s[p->pos] != '(') {
                        perr(p, "operator needs a parenthesized list");
                        return NULL;
                }
                r = parse_list(p, &vs);
        } else if (p->pos < p->len && (p->s[p->pos] == '"' || p->s[p->pos] == '\'')) {
                size_t l;
                const char *q = read_quoted(p, &l);
                r = q ? vals_push(&vs, q, l) : DOU_EINVAL;
        } else {
                size_t l = bare_len(p, false);
                if (l == 0) {
                        vals_free(&vs);
                        perr(p, "missing value after operator on '%s'", nm);
                        return NULL;
                }
                const char *c = arena_strndup(&p->e->arena, p->s + p->pos, l);
                p->pos += l;
                r = c ? vals_push(&vs, c, l) : DOU_ENOMEM;
        }
        if (r == 0 && op != OP_EXISTS && op != OP_IN && op != OP_INTERSECTS && op != OP_PMATCH &&
            vs.n != 1)
                r = perr(p, "operator takes one value");
        if (r == 0)
                r = finish_cmp(p, n, &vs, mask);
        vals_free(&vs);
        if (r < 0) {
                if (!p->err)
                        perr(p, "out of memory");
                return NULL;
        }
        return n;
}

static struct cnode *parse_macro(struct parser *p, const char *id, size_t idl, int depth,
                                 uint64_t *mask)
{
        struct rules_engine *e = p->e;
        char nm[128];
        snprintf(nm, sizeof(nm), "%.*s", (int)(idl > 100 ? 100 : idl), id);
        struct rmacro *m = rules_find_macro(e, id, idl);
        if (!m) {
                int idx;
                const char *an;
                size_t al;
                if (field_lookup(id, idl, &idx, &an, &al))
                        perr(p, "field '%s' needs an operator", nm);
                else
                        perr(p, "undefined macro '%s'", nm);
                return NULL;
        }
        if (m->state == 1) {
                perr(p, "macro cycle through '%s'", nm);
                return NULL;
        }
        if (m->state == 0) {
                m->state = 1;
                size_t before = e->cur_missing;
                struct cnode *c = NULL;
                uint64_t mm = 0;
                int r = cond_compile(e, m->cond, m->file, m->line, depth + 1, &c, &mm);
                if (r < 0) {
                        m->state = 0;
                        p->err = true;  /* keep the inner, more precise message */
                        return NULL;
                }
                m->compiled = c;
                m->mask = mm;
                m->missing = e->cur_missing - before;
                m->state = 2;
        } else {
                e->cur_missing += m->missing;
        }
        *mask = m->mask;
        return m->compiled;
}

static struct cnode *parse_primary(struct parser *p, int depth, uint64_t *mask)
{
        if (depth > RULES_MAX_DEPTH) {
                perr(p, "condition nested deeper than %d levels", RULES_MAX_DEPTH);
                return NULL;
        }
        skip_ws(p);
        if (p->pos >= p->len) {
                perr(p, "unexpected end of condition");
                return NULL;
        }
        if (p->s[p->pos] == '(') {
                p->pos++;
                struct cnode *n = parse_or(p, depth + 1, mask);
                if (!n)
                        return NULL;
                skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ')') {
                        perr(p, "expected ')'");
                        return NULL;
                }
                p->pos++;
                return n;
        }
        size_t idl = ident_len(p);
        if (idl == 0) {
                perr(p, "expected a field, macro, 'not' or '('");
                return NULL;
        }
        const char *id = p->s + p->pos;
        p->pos += idl;
        skip_ws(p);
        size_t save = p->pos;
        int op = read_op(p);
        if (op >= 0)
                return parse_field_cmp(p, id, idl, op, mask);
        p->pos = save;
        /* an unknown word operator right after a field is a clear error */
        if (memchr(id, '.', idl) && ident_len(p) && !kw_at(p, "and") && !kw_at(p, "or")) {
                char w[48];
                size_t wl = ident_len(p);
                snprintf(w, sizeof(w), "%.*s", (int)(wl > 40 ? 40 : wl), p->s + p->pos);
                perr(p, "unknown operator '%s'", w);
                return NULL;
        }
        return parse_macro(p, id, idl, depth, mask);
}

static struct cnode *parse_not(struct parser *p, int depth, uint64_t *mask)
{
        skip_ws(p);
        if (kw_at(p, "not")) {
                if (depth > RULES_MAX_DEPTH) {
                        perr(p, "condition nested deeper than %d levels", RULES_MAX_DEPTH);
                        return NULL;
                }
                p->pos += 3;
                uint64_t m;
                struct cnode *k = parse_not(p, depth + 1, &m);
                if (!k)
                        return NULL;
                struct cnode *n = new_node(p, CN_NOT);
                if (!n || !(n->kids = arena_alloc(&p->e->arena, sizeof(struct cnode *))))
                        return NULL;
                n->kids[0] = k;
                n->n = 1;
                *mask = MASK_ALL;
                return n;
        }
        return parse_primary(p, depth, mask);
}

typedef struct cnode *(*sub_fn)(struct parser *, int, uint64_t *);

static struct cnode *parse_chain(struct parser *p, int depth, uint64_t *mask, const char *kw,
                                 enum cnode_kind kind, sub_fn sub)
{
        struct cnode **kids = NULL;
        size_t n = 0, cap = 0;
        uint64_t m = 0, acc = kind == CN_AND ? MASK_ALL : 0;
        struct cnode *res = NULL;
        for (;;) {
                struct cnode *k = sub(p, depth, &m);
                if (!k)
                        goto out;
                acc = kind == CN_AND ? (acc & m) : (acc | m);
                if (n == cap) {
                        size_t nc = cap ? cap * 2 : 4;
                        struct cnode **nk = realloc(kids, nc * sizeof(*nk));
                        if (!nk) {
                                perr(p, "out of memory");
                                goto out;
                        }
                        kids = nk;
                        cap = nc;
                }
                kids[n++] = k;
                skip_ws(p);
                if (!kw_at(p, kw))
                        break;
                p->pos += strlen(kw);
        }
        if (n == 1) {
                res = kids[0];
        } else if ((res = new_node(p, kind)) != NULL) {
                res->kids = arena_alloc(&p->e->arena, n * sizeof(*kids));
                if (!res->kids) {
                        perr(p, "out of memory");
                        res = NULL;
                        goto out;
                }
                memcpy(res->kids, kids, n * sizeof(*kids));
                res->n = n;
        }
        *mask = acc;
out:
        free(kids);
        return res;
}

static struct cnode *parse_and(struct parser *p, int depth, uint64_t *mask)
{
        return parse_chain(p, depth, mask, "and", CN_AND, parse_not);
}

static struct cnode *parse_or(struct parser *p, int depth, uint64_t *mask)
{
        return parse_chain(p, depth, mask, "or", CN_OR, parse_and);
}

int cond_compile(struct rules_engine *e, const char *text, const char *file, int line, int depth,
                 struct cnode **ret, uint64_t *ret_mask)
{
        struct parser p = { .e = e, .s = text, .len = strlen(text), .file = file, .line = line };
        if (depth > RULES_MAX_DEPTH)
                return perr(&p, "macros nested deeper than %d levels", RULES_MAX_DEPTH);
        uint64_t mask = MASK_ALL;
        struct cnode *n = parse_or(&p, depth, &mask);
        if (!n)
                return p.err ? DOU_EINVAL : perr(&p, "invalid condition");
        skip_ws(&p);
        if (p.pos < p.len)
                return perr(&p, "unexpected text after condition");
        *ret = n;
        *ret_mask = mask;
        return 0;
}

/* ---- evaluation ---- */

static bool str_in(const struct cnode *n, const char *s, size_t l)
{
        if (n->set)
                return strset_has(n->set, s, l);
        for (size_t i = 0; i < n->n; i++)
                if (n->vlens[i] == l && !memcmp(n->vals[i], s, l))
                        return true;
        return false;
}

static bool num_in(const struct cnode *n, int64_t v)
{
        if (n->n > RULES_SET_THRESHOLD)
                return bsearch(&v, n->nums, n->n, sizeof(int64_t), cmp_i64) != NULL;
        for (size_t i = 0; i < n->n; i++)
                if (n->nums[i] == v)
                        return true;
        return false;
}

static bool icontains(const char *h, size_t hl, const char *nd, size_t nl)
{
        if (nl == 0)
                return true;
        for (size_t i = 0; i + nl <= hl; i++)
                if (!strncasecmp(h + i, nd, nl))
                        return true;
        return false;
}

static bool str_op(const struct cnode *n, const char *s, size_t l)
{
        const char *v = n->n ? n->vals[0] : "";
        size_t vl = n->n ? n->vlens[0] : 0;
        int c;
        switch (n->op) {
        case OP_EQ: return vl == l && !memcmp(v, s, l);
        case OP_NE: return !(vl == l && !memcmp(v, s, l));
        case OP_LT: case OP_LE: case OP_GT: case OP_GE:
                c = strcmp(s, v);
                return n->op == OP_LT ? c < 0 : n->op == OP_LE ? c <= 0 : n->op == OP_GT ? c > 0 : c >= 0;
        case OP_CONTAINS: case OP_BCONTAINS: return memmem(s, l, v, vl) != NULL;
        case OP_ICONTAINS: return icontains(s, l, v, vl);
        case OP_STARTSWITH: case OP_BSTARTSWITH: return l >= vl && !memcmp(s, v, vl);
        case OP_ENDSWITH: return l >= vl && !memcmp(s + l - vl, v, vl);
        case OP_GLOB: return fnmatch(v, s, 0) == 0;
        case OP_IGLOB: return fnmatch(v, s, FNM_CASEFOLD) == 0;
        case OP_REGEX: return regexec(n->re, s, 0, NULL, 0) == 0;
        case OP_IN: case OP_INTERSECTS: return str_in(n, s, l);
        case OP_PMATCH:
                for (size_t i = 0; i < n->n; i++) {
                        size_t pl = n->vlens[i];
                        if (l >= pl && !memcmp(s, n->vals[i], pl) &&
                            (l == pl || s[pl] == '/' || (pl == 1 && n->vals[i][0] == '/')))
                                return true;
                }
                return false;
        case OP_EXISTS: return true;
        }
        return false;
}

static bool num_op(const struct cnode *n, int64_t v)
{
        int64_t x = n->nums ? n->nums[0] : 0;
        switch (n->op) {
        case OP_EQ: return v == x;
        case OP_NE: return v != x;
        case OP_LT: return v < x;
        case OP_LE: return v <= x;
        case OP_GT: return v > x;
        case OP_GE: return v >= x;
        case OP_IN: case OP_INTERSECTS: return num_in(n, v);
        default: break;
        }
        char b[32];
        int l = snprintf(b, sizeof(b), "%lld", (long long)v);
        return str_op(n, b, (size_t)l);
}

static bool net_has(const struct ipnet *net, const char *ip)
{
        uint8_t a[16];
        int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
        if (fam != net->family || inet_pton(fam, ip, a) != 1)
                return false;
        int bits = net->prefix;
        for (int i = 0; bits > 0; i++, bits -= 8) {
                uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
                if ((a[i] & m) != (net->addr[i] & m))
                        return false;
        }
        return true;
}

static bool ip_op(const struct cnode *n, const char *ip)
{
        if (!n->nets)
                return str_op(n, ip, strlen(ip));
        bool any = false;
        for (size_t i = 0; i < n->n && !any; i++)
                any = net_has(&n->nets[i], ip);
        return n->op == OP_NE ? !any : any;
}

/* fields with more than one value: proc.aname / proc.aexepath without index,
 * fd.ip/fd.net/fd.port (either end). Returns -1 when not multi-valued. */
int field_multi(struct eval_ctx *c, const struct cnode *n);

static bool cmp_eval(struct eval_ctx *c, const struct cnode *n)
{
        int m = field_multi(c, n);
        if (m >= 0)
                return m;
        struct fval v;
        if (!field_extract(c, n->field, n->fidx, n->farg, &v, c->scratch, sizeof(c->scratch)))
                return false;
        if (n->op == OP_EXISTS)
                return true;
        switch (n->field->type) {
        case FT_NUM: case FT_BOOL: return num_op(n, v.n);
        case FT_IP: return ip_op(n, v.s);
        default: return str_op(n, v.s, v.len);
        }
}

bool cnode_value_match(struct eval_ctx *c, const struct cnode *n, const struct fval *v);
bool cnode_value_match(struct eval_ctx *c, const struct cnode *n, const struct fval *v)
{
        (void)c;
        if (n->op == OP_EXISTS)
                return true;
        switch (n->field->type) {
        case FT_NUM: case FT_BOOL: return num_op(n, v->n);
        case FT_IP: {
                if (!n->nets)
                        return str_op(n, v->s, v->len);
                bool any = false;
                for (size_t i = 0; i < n->n && !any; i++)
                        any = net_has(&n->nets[i], v->s);
                return any;     /* caller applies != over all values */
        }
        default: return str_op(n, v->s, v->len);
        }
}

bool cnode_eval(struct eval_ctx *c, const struct cnode *n)
{
        switch (n->kind) {
        case CN_AND:
                for (size_t i = 0; i < n->n; i++)
                        if (!cnode_eval(c, n->kids[i]))
                                return false;
                return true;
        case CN_OR:
                for (size_t i = 0; i < n->n; i++)
                        if (cnode_eval(c, n->kids[i]))
                                return true;
                return false;
        case CN_NOT:
                return !cnode_eval(c, n->kids[0]);
        case CN_TRUE:
                return true;
        case CN_CMP:
                return cmp_eval(c, n);
        }
        return false;
}
