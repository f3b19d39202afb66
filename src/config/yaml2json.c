/*
 * yaml2json.c - convert a YAML document to a jansson tree with libyaml's
 * event parser.
 *
 * Why events and not yaml_parser_load(): the document API builds its own
 * node graph (twice the memory) and expands aliases, which is how
 * billion-laughs documents explode. Here aliases are refused outright and
 * nesting is bounded, so hostile YAML costs at most linear memory.
 *
 * Plain scalars that spell integers, booleans or null become JSON
 * integers, booleans and null (YAML 1.2 core schema); anything quoted
 * stays a string. Floats stay strings: no caller needs them and this keeps
 * version strings like 3.10 exact.
 */
#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_MAX_DEPTH 64

struct frame {
        json_t *node;
        char *pending_key;      /* mappings: the key waiting for its value */
};

struct conv {
        struct frame stack[YAML_MAX_DEPTH];
        int depth;
        json_t *root;
        char *err;
        size_t errlen;
};

static int is_int(const char *s)
{
        if (*s == '-' || *s == '+')
                s++;
        if (!*s)
                return 0;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return 0;
        return 1;
}

static json_t *plain_scalar(const char *v)
{
        if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
                return json_true();
        if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
                return json_false();
        if (!strcmp(v, "null") || !strcmp(v, "~") || !strcmp(v, "Null") || !*v)
                return json_null();
        if (is_int(v) && strlen(v) < 19) {
                errno = 0;
                long long n = strtoll(v, NULL, 10);
                if (errno == 0)
                        return json_integer(n);
        }
        return json_string(v);
}

/* Attach a finished value to the container on top of the stack. */
static int attach(struct conv *c, json_t *v, const yaml_mark_t *m)
{
        struct frame *f;

        if (!v) {
                snprintf(c->err, c->errlen, "line %zu: invalid value (not UTF-8?)", m->line + 1);
                return -1;
        }
        if (c->depth == 0) {
                if (c->root)
                        json_decref(c->root);
                c->root = v;
                return 0;
        }
        f = &c->stack[c->depth - 1];
        if (json_is_array(f->node))
                return json_array_append_new(f->node, v);
        if (!f->pending_key) {
                /* keys are scalars; non-string scalars keep their spelling */
                char buf[32];
                const char *k = buf;
                if (json_is_string(v))
                        k = json_string_value(v);
                else if (json_is_integer(v))
                        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
                else if (json_is_boolean(v))
                        snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "true" : "false");
                else if (json_is_null(v))
                        snprintf(buf, sizeof(buf), "null");
                else {
                        json_decref(v);
                        snprintf(c->err, c->errlen, "line %zu: mapping keys must be scalars",
                                 m->line + 1);
                        return -1;
                }
                f->pending_key = strdup(k);
                json_decref(v);
                return f->pending_key ? 0 : -1;
        }
        /* later duplicate keys win, as in most YAML loaders */
        int r = json_object_set_new(f->node, f->pending_key, v);
        free(f->pending_key);
        f->pending_key = NULL;
        return r;
}

static int push(struct conv *c, json_t *node, const yaml_mark_t *m)
{
        if (!node)
                return -1;
        if (c->depth >= YAML_MAX_DEPTH) {
                json_decref(node);
                snprintf(c->err, c->errlen, "line %zu: nesting deeper than %d", m->line + 1,
                         YAML_MAX_DEPTH);
                return -1;
        }
        c->stack[c->depth].node = node;
        c->stack[c->depth].pending_key = NULL;
        c->depth++;
        return 0;
}

static int pop(struct conv *c, const yaml_mark_t *m)
{
        struct frame f = c->stack[--c->depth];

        free(f.pending_key);
        return attach(c, f.node, m);
}

static int handle(struct conv *c, yaml_event_t *ev)
{
        const yaml_mark_t *m = &ev->start_mark;

        switch (ev->type) {
        case YAML_ALIAS_EVENT:
                snprintf(c->err, c->errlen, "line %zu: YAML aliases are not accepted", m->line + 1);
                return -1;
        case YAML_SCALAR_EVENT: {
                const char *v = (const char *)ev->data.scalar.value;
                json_t *j;
                if (strlen(v) != ev->data.scalar.length) {
                        snprintf(c->err, c->errlen, "line %zu: NUL byte in scalar", m->line + 1);
                        return -1;
                }
                j = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? plain_scalar(v)
                                                                     : json_string(v);
                return attach(c, j, m);
        }
        case YAML_SEQUENCE_START_EVENT:
                return push(c, json_array(), m);
        case YAML_MAPPING_START_EVENT:
                return push(c, json_object(), m);
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                return pop(c, m);
        default:
                return 0;
        }
}

json_t *yaml_to_json(const char *buf, size_t len, char *err, size_t errlen)
{
        struct conv c = { .err = err, .errlen = errlen };
        yaml_parser_t p;
        yaml_event_t ev;
        int done = 0, failed = 0;

        err[0] = '\0';
        if (!yaml_parser_initialize(&p)) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
        while (!done && !failed) {
                if (!yaml_parser_parse(&p, &ev)) {
                        snprintf(err, errlen, "line %zu: %s", p.problem_mark.line + 1,
                                 p.problem ? p.problem : "syntax error");
                        failed = 1;
                        break;
                }
                if (ev.type == YAML_DOCUMENT_END_EVENT || ev.type == YAML_STREAM_END_EVENT)
                        done = 1;       /* only the first document counts */
                else if (handle(&c, &ev) < 0)
                        failed = 1;
                yaml_event_delete(&ev);
        }
        yaml_parser_delete(&p);
        while (c.depth > 0) {
                c.depth--;
                free(c.stack[c.depth].pending_key);
                json_decref(c.stack[c.depth].node);
        }
        if (failed) {
                if (!err[0])
                        snprintf(err, errlen, "out of memory");
                json_decref(c.root);
                return NULL;
        }
        return c.root ? c.root : json_object();
}
