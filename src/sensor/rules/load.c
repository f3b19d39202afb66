/*
 * load.c - reading Falco rules files into the engine's lists, macros and
 * rules, with Falco's merge semantics across files:
 *   - an item with a name already defined replaces it (position kept);
 *   - "append: true" (legacy) or "override: {key: append|replace}" merges;
 *   - a rule item carrying only "enabled" toggles an existing rule.
 * Conditions are kept as text here and compiled once, after every file is
 * loaded, by rules_engine_compile(), so later files can still change them.
 * Unknown keys are warnings (as in Falco); structural problems are errors
 * "file:line: message".
 */
#include "sensor/rules/rules_int.h"
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const prio_names[] = {
        "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug",
};

const char *rules_priority_name(enum rules_priority p)
{
        return (unsigned)p < 8 ? prio_names[p] : "Unknown";
}

int rules_priority_parse(const char *s)
{
        for (int i = 0; i < 8; i++)
                if (!strcasecmp(s, prio_names[i]))
                        return i;
        if (!strcasecmp(s, "info"))
                return PRIO_INFORMATIONAL;
        if (!strcasecmp(s, "warn"))
                return PRIO_WARNING;
        return -1;
}

void rules_warn(struct rules_engine *e, const char *fmt, ...)
{
        char line[1024];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        size_t l = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
        if (e->wlen > (1u << 20))
                return;         /* bounded: a hostile file cannot grow warnings forever */
        if (e->wlen + l + 2 > e->wcap) {
                size_t nc = (e->wcap + l + 2) * 2;
                char *w = realloc(e->warnings, nc);
                if (!w)
                        return;
                e->warnings = w;
                e->wcap = nc;
        }
        memcpy(e->warnings + e->wlen, line, l);
        e->wlen += l;
        e->warnings[e->wlen++] = '\n';
        e->warnings[e->wlen] = 0;
}

const char *rules_engine_warnings(const struct rules_engine *e)
{
        return e->warnings ? e->warnings : "";
}

struct rules_engine *rules_engine_new(void)
{
        struct rules_engine *e = calloc(1, sizeof(*e));
        if (!e)
                return NULL;
        e->min_priority = PRIO_DEBUG;
        e->rate = 0;
        e->burst = 0;
        return e;
}

struct rules_engine *rules_engine_free(struct rules_engine *e)
{
        if (!e)
                return NULL;
        for (size_t i = 0; i < e->nregex; i++) {
                regfree(e->regexes[i]);
                free(e->regexes[i]);
        }
        free(e->regexes);
        for (int t = 0; t < EVT_TYPE_COUNT; t++)
                free(e->byType[t]);
        for (size_t i = 0; i < e->nlists; i++)
                free(e->lists[i]->items);
        free(e->lists);
        free(e->macros);
        free(e->rules);
        free(e->warnings);
        arena_free(&e->arena);
        free(e);
        return NULL;
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
        if (n < *cap)
                return 0;
        size_t nc = *cap ? *cap * 2 : 16;
        void *p = realloc(*arr, nc * elem);
        if (!p)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        *arr = p;
        *cap = nc;
        return 0;
}

struct rlist *rules_find_list(struct rules_engine *e, const char *name, size_t len)
{
        for (size_t i = 0; i < e->nlists; i++)
                if (!strncmp(e->lists[i]->name, name, len) && !e->lists[i]->name[len])
                        return e->lists[i];
        return NULL;
}

struct rmacro *rules_find_macro(struct rules_engine *e, const char *name, size_t len)
{
        for (size_t i = 0; i < e->nmacros; i++)
                if (!strncmp(e->macros[i]->name, name, len) && !e->macros[i]->name[len])
                        return e->macros[i];
        return NULL;
}

static struct rrule *find_rule(struct rules_engine *e, const char *name)
{
        for (size_t i = 0; i < e->nrules; i++)
                if (!strcmp(e->rules[i]->name, name))
                        return e->rules[i];
        return NULL;
}

/* ---- helpers over YAML nodes ---- */

struct lctx {
        struct rules_engine *e;
        const char *file;
};

static int err_at(struct lctx *l, const struct ynode *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int err_at(struct lctx *l, const struct ynode *n, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return dou_err_set(DOU_EINVAL, "%s:%d: %s", l->file, n ? n->line : 0, msg);
}

static const char *scalar(const struct ynode *n)
{
        return n && n->kind == Y_SCALAR ? n->s : NULL;
}

static int get_bool(struct lctx *l, const struct ynode *n, bool *ret)
{
        const char *s = scalar(n);
        if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1")))
                *ret = true;
        else if (s && (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0")))
                *ret = false;
        else
                return err_at(l, n, "expected a boolean, got '%s'", s ? s : "(not a scalar)");
        return 0;
}

/* append mode for key from "append: true" or "override: {key: append|replace}" */
enum merge { M_DEFINE, M_APPEND, M_REPLACE };

static int merge_mode(struct lctx *l, const struct ynode *item, const char *key, bool legacy_append,
                      enum merge *ret)
{
        const struct ynode *ov = ynode_get(item, "override");
        *ret = legacy_append ? M_APPEND : M_DEFINE;
        if (!ov)
                return 0;
        if (ov->kind != Y_MAP)
                return err_at(l, ov, "%s", "'override' must be a mapping");
        const char *m = scalar(ynode_get(ov, key));
        if (!m)
                return 0;
        if (!strcmp(m, "append"))
                *ret = M_APPEND;
        else if (!strcmp(m, "replace"))
                *ret = M_REPLACE;
        else
                return err_at(l, ynode_get(ov, key), "override value '%s' must be append or replace", m);
        return 0;
}

static bool has_override(const struct ynode *item)
{
        return ynode_get(item, "override") != NULL;
}

static void warn_unknown_keys(struct lctx *l, const struct ynode *item, const char *const *known)
{
        for (size_t i = 0; i + 1 < item->n; i += 2) {
                const char *k = scalar(item->kids[i]);
                if (!k)
                        continue;
                bool ok = false;
                for (const char *const *p = known; *p; p++)
                        if (!strcmp(*p, k))
                                ok = true;
                if (!ok)
                        rules_warn(l->e, "%s:%d: unknown key '%s' (ignored)", l->file,
                                   item->kids[i]->line, k);
        }
}

static char *join_text(struct rules_engine *e, const char *a, const char *b)
{
        size_t la = a ? strlen(a) : 0, lb = strlen(b);
        char *p = arena_alloc(&e->arena, la + lb + 2);
        if (!p)
                return NULL;
        if (la) {
                memcpy(p, a, la);
                p[la++] = ' ';
        }
        memcpy(p + la, b, lb + 1);
        return p;
}

/* ---- list ---- */

static int list_add_items(struct lctx *l, struct rlist *li, const struct ynode *items)
{
        if (!items)
                return 0;
        if (items->kind != Y_SEQ)
                return err_at(l, items, "%s", "list 'items' must be a sequence");
        for (size_t i = 0; i < items->n; i++) {
                const struct ynode *it = items->kids[i];
                if (it->kind != Y_SCALAR)
                        return err_at(l, it, "%s", "list items must be scalars");
                if (grow((void **)&li->items, &li->cap, li->n, sizeof(char *)) < 0)
                        return DOU_ENOMEM;
                li->items[li->n++] = it->s;
        }
        return 0;
}

static int load_list(struct lctx *l, const struct ynode *item)
{
        static const char *const known[] = { "list", "items", "append", "override", NULL };
        struct rules_engine *e = l->e;
        const struct ynode *nn = ynode_get(item, "list");
        const char *name = scalar(nn);
        if (!name || !*name)
                return err_at(l, item, "%s", "list without a name");
        warn_unknown_keys(l, item, known);
        bool app = false;
        if (ynode_get(item, "append") && get_bool(l, ynode_get(item, "append"), &app) < 0)
                return DOU_EINVAL;
        enum merge m;
        if (merge_mode(l, item, "items", app, &m) < 0)
                return DOU_EINVAL;
        const struct ynode *items = ynode_get(item, "items");
        if (!items && !has_override(item))
                return err_at(l, item, "list '%s' has no 'items'", name);
        struct rlist *li = rules_find_list(e, name, strlen(name));
        if (m == M_APPEND || m == M_REPLACE) {
                if (!li)
                        return err_at(l, item, "list '%s' has 'append'/'override' but no list by that name already exists", name);
                if (m == M_REPLACE)
                        li->n = 0;
                return list_add_items(l, li, items);
        }
        if (!li) {
                li = arena_alloc(&e->arena, sizeof(*li));
                if (!li || grow((void **)&e->lists, &e->caplists, e->nlists, sizeof(li)) < 0)
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                e->lists[e->nlists++] = li;
                li->name = name;
        } else {
                free(li->items);
                li->items = NULL;
                li->n = li->cap = 0;
        }
        li->file = l->file;
        li->line = item->line;
        return list_add_items(l, li, items);
}

/* ---- macro ---- */

static int load_macro(struct lctx *l, const struct ynode *item)
{
        static const char *const known[] = { "macro", "condition", "append", "override", NULL };
        struct rules_engine *e = l->e;
        const char *name = scalar(ynode_get(item, "macro"));
        if (!name || !*name)
                return err_at(l, item, "%s", "macro without a name");
        warn_unknown_keys(l, item, known);
        bool app = false;
        if (ynode_get(item, "append") && get_bool(l, ynode_get(item, "append"), &app) < 0)
                return DOU_EINVAL;
        enum merge m;
        if (merge_mode(l, item, "condition", app, &m) < 0)
                return DOU_EINVAL;
        const struct ynode *cn = ynode_get(item, "condition");
        const char *cond = scalar(cn);
        if (!cond)
                return err_at(l, cn ? cn : item, "macro '%s' needs a 'condition' string", name);
        struct rmacro *ma = rules_find_macro(e, name, strlen(name));
        if (m != M_DEFINE) {
                if (!ma)
                        return err_at(l, item, "macro '%s' has 'append'/'override' but no macro by that name already exists", name);
                ma->cond = m == M_APPEND ? join_text(e, ma->cond, cond) : join_text(e, NULL, cond);
                ma->file = l->file;
                ma->line = cn->line;
                return ma->cond ? 0 : DOU_ENOMEM;
        }
        if (!ma) {
                ma = arena_alloc(&e->arena, sizeof(*ma));
                if (!ma || grow((void **)&e->macros, &e->capmacros, e->nmacros, sizeof(ma)) < 0)
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                e->macros[e->nmacros++] = ma;
                ma->name = name;
        }
        ma->cond = join_text(e, NULL, cond);
        ma->file = l->file;
        ma->line = cn->line;
        return ma->cond ? 0 : DOU_ENOMEM;
}

/* ---- rule ---- */

static int set_tags(struct lctx *l, struct rrule *r, const struct ynode *t, bool append)
{
        if (t->kind != Y_SEQ)
                return err_at(l, t, "%s", "'tags' must be a sequence");
        size_t base = append ? r->ntags : 0;
        const char **nt = arena_alloc(&l->e->arena, (base + t->n + 1) * sizeof(char *));
        if (!nt)
                return DOU_ENOMEM;
        if (base)
                memcpy(nt, r->tags, base * sizeof(char *));
        for (size_t i = 0; i < t->n; i++) {
                if (t->kids[i]->kind != Y_SCALAR)
                        return err_at(l, t->kids[i], "%s", "tags must be scalars");
                nt[base + i] = t->kids[i]->s;
        }
        r->tags = nt;
        r->ntags = base + t->n;
        return 0;
}

static int add_exceptions(struct lctx *l, struct rrule *r, const struct ynode *ex, bool append)
{
        if (ex->kind != Y_SEQ)
                return err_at(l, ex, "%s", "'exceptions' must be a sequence");
        if (!append) {
                r->exc = NULL;
                r->nexc = 0;
        }
        for (size_t i = 0; i < ex->n; i++) {
                const struct ynode *x = ex->kids[i];
                const char *name = scalar(ynode_get(x, "name"));
                if (x->kind != Y_MAP || !name)
                        return err_at(l, x, "%s", "exception needs a 'name'");
                const struct ynode *vals = ynode_get(x, "values");
                if (vals && vals->kind != Y_SEQ)
                        return err_at(l, vals, "exception '%s': 'values' must be a sequence", name);
                struct rexception *found = NULL;
                for (size_t k = 0; k < r->nexc; k++)
                        if (!strcmp(r->exc[k].name, name))
                                found = &r->exc[k];
                if (!found) {
                        const struct ynode *f = ynode_get(x, "fields");
                        if (!f)
                                return err_at(l, x, "exception '%s' has no 'fields'", name);
                        struct rexception *ne = arena_alloc(&l->e->arena, (r->nexc + 1) * sizeof(*ne));
                        if (!ne)
                                return DOU_ENOMEM;
                        if (r->nexc)
                                memcpy(ne, r->exc, r->nexc * sizeof(*ne));
                        r->exc = ne;
                        found = &r->exc[r->nexc++];
                        memset(found, 0, sizeof(*found));
                        found->name = name;
                        found->fields = f;
                        found->comps = ynode_get(x, "comps");
                        found->line = x->line;
                }
                for (size_t v = 0; vals && v < vals->n; v++) {
                        size_t nc = found->nvalues + 1;
                        const struct ynode **nv = arena_alloc(&l->e->arena, nc * sizeof(*nv));
                        if (!nv)
                                return DOU_ENOMEM;
                        if (found->nvalues)
                                memcpy(nv, found->values, found->nvalues * sizeof(*nv));
                        nv[found->nvalues] = vals->kids[v];
                        found->values = nv;
                        found->nvalues = nc;
                }
        }
        return 0;
}

static int apply_rule_key(struct lctx *l, struct rrule *r, const struct ynode *item, const char *key,
                          enum merge m)
{
        struct rules_engine *e = l->e;
        const struct ynode *v = ynode_get(item, key);
        if (!v)
                return 0;
        bool app = m == M_APPEND;
        if (!strcmp(key, "tags"))
                return set_tags(l, r, v, app);
        if (!strcmp(key, "exceptions"))
                return add_exceptions(l, r, v, app);
        const char *s = scalar(v);
        if (!s)
                return err_at(l, v, "rule key '%s' must be a scalar", key);
        if (!strcmp(key, "condition")) {
                r->cond = app ? join_text(e, r->cond, s) : join_text(e, NULL, s);
                r->cond_line = v->line;
        } else if (!strcmp(key, "output")) {
                r->output = app ? join_text(e, r->output, s) : join_text(e, NULL, s);
        } else if (!strcmp(key, "desc")) {
                r->desc = app ? join_text(e, r->desc, s) : join_text(e, NULL, s);
        } else if (!strcmp(key, "priority")) {
                int p = rules_priority_parse(s);
                if (p < 0)
                        return err_at(l, v, "unknown priority '%s'", s);
                r->priority = p;
        } else if (!strcmp(key, "enabled")) {
                return get_bool(l, v, &r->enabled);
        } else if (!strcmp(key, "source")) {
                r->source = s;
        } else if (!strcmp(key, "action")) {
                if (strcmp(s, "kill") && strcmp(s, "none"))
                        return err_at(l, v, "unknown action '%s' (kill or none)", s);
                r->action_kill = !strcmp(s, "kill");
        }
        return 0;
}

static int load_rule(struct lctx *l, const struct ynode *item)
{
        static const char *const known[] = {
                "rule", "desc", "condition", "output", "priority", "tags", "enabled", "exceptions",
                "source", "append", "override", "warn_evttypes", "skip-if-unknown-filter",
                "capture", "capture_duration", "action", NULL,
        };
        static const char *const keys[] = {
                "condition", "output", "desc", "priority", "tags", "exceptions", "enabled", "source",
                "action",
        };
        struct rules_engine *e = l->e;
        const char *name = scalar(ynode_get(item, "rule"));
        if (!name || !*name)
                return err_at(l, item, "%s", "rule without a name");
        warn_unknown_keys(l, item, known);
        bool app = false;
        if (ynode_get(item, "append") && get_bool(l, ynode_get(item, "append"), &app) < 0)
                return DOU_EINVAL;
        struct rrule *r = find_rule(e, name);
        bool merging = app || has_override(item);
        bool only_enabled = ynode_get(item, "enabled") && !ynode_get(item, "condition") &&
                            !ynode_get(item, "output");
        if (merging || (only_enabled && r)) {
                if (!r)
                        return err_at(l, item, "rule '%s' has 'append'/'override' but no rule by that name already exists", name);
                for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                        enum merge m;
                        if (merge_mode(l, item, keys[k], app, &m) < 0)
                                return DOU_EINVAL;
                        if (m == M_DEFINE && !only_enabled && has_override(item) &&
                            ynode_get(item, keys[k]))
                                return err_at(l, ynode_get(item, keys[k]),
                                              "key '%s' is not listed in 'override'", keys[k]);
                        if (m == M_APPEND && (!strcmp(keys[k], "priority") || !strcmp(keys[k], "enabled") ||
                                              !strcmp(keys[k], "source") || !strcmp(keys[k], "action")) &&
                            ynode_get(item, keys[k]) &&
                            !app)
                                return err_at(l, item, "key '%s' cannot be appended, only replaced", keys[k]);
                        if (only_enabled && !merging && strcmp(keys[k], "enabled"))
                                continue;
                        if (app && !has_override(item) && !strcmp(keys[k], "enabled"))
                                m = M_REPLACE;
                        if (apply_rule_key(l, r, item, keys[k], m) < 0)
                                return DOU_EINVAL;
                }
                return 0;
        }
        const struct ynode *cond = ynode_get(item, "condition");
        if (!cond)
                return err_at(l, item, "rule '%s' has no 'condition'", name);
        if (!ynode_get(item, "output"))
                return err_at(l, item, "rule '%s' has no 'output'", name);
        if (!ynode_get(item, "priority"))
                return err_at(l, item, "rule '%s' has no 'priority'", name);
        if (!r) {
                r = arena_alloc(&e->arena, sizeof(*r));
                if (!r || grow((void **)&e->rules, &e->caprules, e->nrules, sizeof(r)) < 0)
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                e->rules[e->nrules++] = r;
        } else {
                memset(r, 0, sizeof(*r));
        }
        r->name = name;
        r->enabled = true;
        r->source = "syscall";
        r->file = l->file;
        r->line = item->line;
        r->desc = "";
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
                if (apply_rule_key(l, r, item, keys[k], M_REPLACE) < 0)
                        return DOU_EINVAL;
        return 0;
}

int rules_engine_load(struct rules_engine *e, const char *name, const char *text, size_t len)
{
        if (e->compiled)
                return dou_err_set(DOU_EINVAL, "%s: rules already compiled", name);
        if (len > RULES_MAX_FILE)
                return dou_err_set(DOU_ETOOBIG, "%s: rules file larger than %u bytes", name,
                                   RULES_MAX_FILE);
        struct lctx l = { .e = e, .file = arena_strdup(&e->arena, name) };
        if (!l.file)
                return DOU_ENOMEM;
        struct ynode *root = NULL;
        int r = yaml_tree_parse(&e->arena, l.file, text, len, &root);
        if (r < 0)
                return r;
        if (!root)
                return 0;       /* empty file */
        if (root->kind != Y_SEQ)
                return err_at(&l, root, "%s", "a rules file must be a YAML sequence of items");
        for (size_t i = 0; i < root->n; i++) {
                const struct ynode *it = root->kids[i];
                if (it->kind != Y_MAP)
                        return err_at(&l, it, "%s", "each item must be a mapping (list, macro or rule)");
                if (ynode_get(it, "rule"))
                        r = load_rule(&l, it);
                else if (ynode_get(it, "macro"))
                        r = load_macro(&l, it);
                else if (ynode_get(it, "list"))
                        r = load_list(&l, it);
                else if (ynode_get(it, "required_engine_version") ||
                         ynode_get(it, "required_plugin_versions"))
                        r = 0;
                else {
                        const char *k = it->n ? scalar(it->kids[0]) : NULL;
                        rules_warn(e, "%s:%d: unknown item '%s' (ignored)", l.file, it->line,
                                   k ? k : "?");
                        r = 0;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int rules_engine_load_file(struct rules_engine *e, const char *path)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return dou_err_errno(DOU_EIO, "%s", path);
        char *buf = NULL;
        size_t len = 0, cap = 0;
        int r = 0;
        for (;;) {
                if (len == cap) {
                        if (cap >= RULES_MAX_FILE) {
                                r = dou_err_set(DOU_ETOOBIG, "%s: rules file larger than %u bytes",
                                                path, RULES_MAX_FILE);
                                break;
                        }
                        cap = cap ? cap * 2 : 65536;
                        char *nb = realloc(buf, cap + 1);
                        if (!nb) {
                                r = dou_err_set(DOU_ENOMEM, "out of memory");
                                break;
                        }
                        buf = nb;
                }
                size_t got = fread(buf + len, 1, cap - len, f);
                len += got;
                if (got == 0) {
                        if (ferror(f))
                                r = dou_err_errno(DOU_EIO, "%s", path);
                        break;
                }
        }
        fclose(f);
        if (r == 0)
                r = rules_engine_load(e, path, buf ? buf : "", len);
        free(buf);
        return r;
}
