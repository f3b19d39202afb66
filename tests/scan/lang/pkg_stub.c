/*
 * pkg_stub.c - TEST-ONLY copy of pkg_list_add()/pkg_list_clear() so the
 * lang parser tests and fuzz targets link without lib_scan (scan-core owns
 * the real one in src/scan/pkg.c; lib_scan depends on lib_scan_lang, so
 * lib_scan_lang cannot depend back on it). Same contract: deep copies.
 */
#include <stdlib.h>
#include <string.h>

#include "scan/pkg.h"
#include "util/err.h"

static int dup_field(const char **dst, const char *src)
{
        *dst = NULL;
        if (!src)
                return 0;
        *dst = strdup(src);
        return *dst ? 0 : -1;
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
}

int pkg_list_add(struct pkg_list *l, const struct scan_pkg *p)
{
        if (l->len == l->cap) {
                size_t ncap = l->cap ? l->cap * 2 : 16;
                struct scan_pkg *n = realloc(l->items, ncap * sizeof(*n));
                if (!n)
                        return DOU_ENOMEM;
                l->items = n;
                l->cap = ncap;
        }
        struct scan_pkg *d = &l->items[l->len];
        *d = (struct scan_pkg){ .type = p->type };
        if (dup_field(&d->name, p->name) || dup_field(&d->version, p->version) ||
            dup_field(&d->arch, p->arch) || dup_field(&d->namespace_, p->namespace_) ||
            dup_field(&d->source_name, p->source_name) ||
            dup_field(&d->source_version, p->source_version) ||
            dup_field(&d->license, p->license) || dup_field(&d->layer, p->layer) ||
            dup_field(&d->path, p->path) || dup_field(&d->owner, p->owner)) {
                free_pkg(d);
                return DOU_ENOMEM;
        }
        l->len++;
        return 0;
}

void pkg_list_clear(struct pkg_list *l)
{
        for (size_t i = 0; i < l->len; i++)
                free_pkg(&l->items[i]);
        free(l->items);
        *l = (struct pkg_list){ 0 };
}

const char *pkg_type_name(enum pkg_type t)
{
        static const char *names[] = { "deb", "apk", "rpm", "pypi", "npm", "golang", "maven",
                                       "gem", "cargo" };
        return (unsigned)t < PKG_TYPE_COUNT ? names[t] : "unknown";
}
