/*
 * pkg.c - the package list: a growable array that owns every string of
 * every package. Adding copies; clearing frees; nothing else mutates.
 */
#include "scan/pkg.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

#define PKG_LIST_MAX (1u << 24)         /* no image declares 16M packages */

static int dup_str(const char *s, const char **ret)
{
        char *c;

        if (!s) {
                *ret = NULL;
                return 0;
        }
        c = strdup(s);
        if (!c)
                return DOU_ENOMEM;
        *ret = c;
        return 0;
}

static void free_pkg(struct scan_pkg *p)
{
        free((char *)p->name);
        free((char *)p->version);
        free((char *)p->arch);
        free((char *)p->namespace_);
        free((char *)p->source_name);
        free((char *)p->source_version);
        free((char *)p->license);
        free((char *)p->layer);
        free((char *)p->path);
        free((char *)p->owner);
        memset(p, 0, sizeof(*p));
}

int pkg_list_add(struct pkg_list *l, const struct scan_pkg *p)
{
        struct scan_pkg c = { .type = p->type };

        if (l->len == l->cap) {
                size_t ncap = l->cap ? l->cap * 2 : 16;
                struct scan_pkg *n;

                if (ncap > PKG_LIST_MAX)
                        return dou_err_set(DOU_ETOOBIG, "more than %u packages", PKG_LIST_MAX);
                n = realloc(l->items, ncap * sizeof(*n));
                if (!n)
                        return DOU_ENOMEM;
                l->items = n;
                l->cap = ncap;
        }
        if (dup_str(p->name, &c.name) < 0 || dup_str(p->version, &c.version) < 0 ||
            dup_str(p->arch, &c.arch) < 0 || dup_str(p->namespace_, &c.namespace_) < 0 ||
            dup_str(p->source_name, &c.source_name) < 0 ||
            dup_str(p->source_version, &c.source_version) < 0 ||
            dup_str(p->license, &c.license) < 0 || dup_str(p->layer, &c.layer) < 0 ||
            dup_str(p->path, &c.path) < 0 || dup_str(p->owner, &c.owner) < 0) {
                free_pkg(&c);
                return DOU_ENOMEM;
        }
        l->items[l->len++] = c;
        return 0;
}

void pkg_list_clear(struct pkg_list *l)
{
        for (size_t i = 0; i < l->len; i++)
                free_pkg(&l->items[i]);
        free(l->items);
        l->items = NULL;
        l->len = l->cap = 0;
}

const char *pkg_type_name(enum pkg_type t)
{
        static const char *const names[PKG_TYPE_COUNT] = {
                [PKG_DEB] = "deb", [PKG_APK] = "apk", [PKG_RPM] = "rpm",
                [PKG_PYPI] = "pypi", [PKG_NPM] = "npm", [PKG_GOLANG] = "golang",
                [PKG_MAVEN] = "maven", [PKG_GEM] = "gem", [PKG_CARGO] = "cargo",
        };

        if ((unsigned)t >= PKG_TYPE_COUNT)
                return "unknown";
        return names[t];
}
