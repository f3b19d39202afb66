/*
 * ytree.c - the engine's arena, a YAML tree that keeps line numbers, and a
 * string hash set.
 *
 * The YAML tree is built from libyaml's event stream (not its document API)
 * so every node carries its line and whether its scalar was quoted. Aliases
 * are refused (billion laughs), depth is bounded, and every node lives in
 * the engine's arena.
 */
#include "sensor/rules/rules_int.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct arena_block {
        struct arena_block *next;
        size_t used, size;
        max_align_t data[];
};

#define ARENA_BLOCK (64u * 1024)

void *arena_alloc(struct arena *a, size_t n)
{
        n = (n + 15) & ~(size_t)15;
        if (n == 0 || n > SIZE_MAX / 2)
                return NULL;
        struct arena_block *b = a->head;
        if (!b || b->size - b->used < n) {
                size_t sz = n > ARENA_BLOCK ? n : ARENA_BLOCK;
                b = calloc(1, sizeof(*b) + sz);
                if (!b)
                        return NULL;
                b->size = sz;
                if (n > ARENA_BLOCK / 4 && a->head) {
                        /* big one-off: keep the current block for small allocations */
                        b->next = a->head->next;
                        a->head->next = b;
                } else {
                        b->next = a->head;
                        a->head = b;
                }
        }
        void *p = (char *)b->data + b->used;
        b->used += n;
        return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
        if (n == SIZE_MAX)
                return NULL;
        char *p = arena_alloc(a, n + 1);
        if (p) {
                memcpy(p, s, n);
                p[n] = 0;
        }
        return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
        return arena_strndup(a, s, strlen(s));
}

void arena_free(struct arena *a)
{
        struct arena_block *b = a->head;
        while (b) {
                struct arena_block *n = b->next;
                free(b);
                b = n;
        }
        a->head = NULL;
}

/* ---- YAML ---- */

struct ybuild {
        struct arena *a;
        const char *name;
        /* growable child arrays while a node is open (heap, then copied to the arena) */
        struct open {
                struct ynode *node;
                struct ynode **kids;
                size_t n, cap;
        } stack[RULES_MAX_YAML_DEPTH];
        int depth;
        struct ynode *root;
};

static int yb_add(struct ybuild *b, struct ynode *n)
{
        if (b->depth == 0) {
                if (!b->root)
                        b->root = n;
                return 0;
        }
        struct open *o = &b->stack[b->depth - 1];
        if (o->n == o->cap) {
                size_t nc = o->cap ? o->cap * 2 : 8;
                struct ynode **k = realloc(o->kids, nc * sizeof(*k));
                if (!k)
                        return dou_err_set(DOU_ENOMEM, "%s: out of memory", b->name);
                o->kids = k;
                o->cap = nc;
        }
        o->kids[o->n++] = n;
        return 0;
}

static int yb_close(struct ybuild *b)
{
        struct open *o = &b->stack[--b->depth];
        int r = 0;
        if (o->n) {
                o->node->kids = arena_alloc(b->a, o->n * sizeof(struct ynode *));
                if (!o->node->kids)
                        r = dou_err_set(DOU_ENOMEM, "%s: out of memory", b->name);
                else
                        memcpy(o->node->kids, o->kids, o->n * sizeof(struct ynode *));
                o->node->n = o->n;
        }
        free(o->kids);
        o->kids = NULL;
        o->n = o->cap = 0;
        return r;
}

int yaml_tree_parse(struct arena *a, const char *name, const char *text, size_t len,
                    struct ynode **ret_root)
{
        yaml_parser_t p;
        yaml_event_t ev;
        struct ybuild b = { .a = a, .name = name };
        int r = 0;
        bool done = false;

        if (!yaml_parser_initialize(&p))
                return dou_err_set(DOU_ENOMEM, "%s: yaml parser init failed", name);
        yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
        while (!done && r == 0) {
                if (!yaml_parser_parse(&p, &ev)) {
                        r = dou_err_set(DOU_EINVAL, "%s:%zu: invalid YAML: %s", name,
                                        (size_t)p.problem_mark.line + 1,
                                        p.problem ? p.problem : "parse error");
                        break;
                }
                int line = (int)ev.start_mark.line + 1;
                struct ynode *n = NULL;
                switch (ev.type) {
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                case YAML_DOCUMENT_START_EVENT:
                        if (b.root)
                                r = dou_err_set(DOU_EINVAL, "%s:%d: more than one YAML document",
                                                name, line);
                        break;
                case YAML_ALIAS_EVENT:
                        r = dou_err_set(DOU_EINVAL, "%s:%d: YAML aliases are not allowed", name, line);
                        break;
                case YAML_SCALAR_EVENT:
                        n = arena_alloc(a, sizeof(*n));
                        if (n) {
                                n->kind = Y_SCALAR;
                                n->line = line;
                                n->quoted = ev.data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                                            ev.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
                                n->len = ev.data.scalar.length;
                                n->s = arena_strndup(a, (const char *)ev.data.scalar.value, n->len);
                        }
                        if (!n || !n->s)
                                r = dou_err_set(DOU_ENOMEM, "%s: out of memory", name);
                        else
                                r = yb_add(&b, n);
                        break;
                case YAML_SEQUENCE_START_EVENT:
                case YAML_MAPPING_START_EVENT:
                        if (b.depth >= RULES_MAX_YAML_DEPTH) {
                                r = dou_err_set(DOU_ETOOBIG, "%s:%d: YAML nested deeper than %d",
                                                name, line, RULES_MAX_YAML_DEPTH);
                                break;
                        }
                        n = arena_alloc(a, sizeof(*n));
                        if (!n) {
                                r = dou_err_set(DOU_ENOMEM, "%s: out of memory", name);
                                break;
                        }
                        n->kind = ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
                        n->line = line;
                        n->s = "";
                        r = yb_add(&b, n);
                        if (r == 0)
                                b.stack[b.depth++] = (struct open){ .node = n };
                        break;
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                        r = yb_close(&b);
                        break;
                default:
                        break;
                }
                yaml_event_delete(&ev);
        }
        while (b.depth > 0)
                yb_close(&b);
        yaml_parser_delete(&p);
        if (r == 0)
                *ret_root = b.root;
        return r;
}

struct ynode *ynode_get(const struct ynode *map, const char *key)
{
        if (!map || map->kind != Y_MAP)
                return NULL;
        for (size_t i = 0; i + 1 < map->n; i += 2)
                if (map->kids[i]->kind == Y_SCALAR && !strcmp(map->kids[i]->s, key))
                        return map->kids[i + 1];
        return NULL;
}

/* ---- string hash set (open addressing, FNV-1a) ---- */

struct strset {
        size_t mask;
        const char **keys;
        size_t *lens;
};

static uint64_t fnv(const char *s, size_t n)
{
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char)s[i];
                h *= 1099511628211ull;
        }
        return h;
}

struct strset *strset_new(struct arena *a, size_t n)
{
        size_t cap = 16;
        while (cap < n * 2 && cap < ((size_t)1 << 40))
                cap <<= 1;
        struct strset *s = arena_alloc(a, sizeof(*s));
        if (!s)
                return NULL;
        s->mask = cap - 1;
        s->keys = arena_alloc(a, cap * sizeof(*s->keys));
        s->lens = arena_alloc(a, cap * sizeof(*s->lens));
        return s->keys && s->lens ? s : NULL;
}

void strset_add(struct strset *s, const char *k, size_t len)
{
        size_t i = fnv(k, len) & s->mask;
        while (s->keys[i]) {
                if (s->lens[i] == len && !memcmp(s->keys[i], k, len))
                        return;
                i = (i + 1) & s->mask;
        }
        s->keys[i] = k;
        s->lens[i] = len;
}

bool strset_has(const struct strset *s, const char *k, size_t len)
{
        size_t i = fnv(k, len) & s->mask;
        while (s->keys[i]) {
                if (s->lens[i] == len && !memcmp(s->keys[i], k, len))
                        return true;
                i = (i + 1) & s->mask;
        }
        return false;
}
