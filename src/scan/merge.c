/*
 * merge.c - apply indexed layers in order (see scan.h for the rules).
 *
 * Facts stay owned by their layer_result; the merge keeps arrays of
 * pointers to the live ones and filters them as each layer is applied,
 * then copies the survivors into the image index. Deletions are checked
 * against a hash set of the layer's seen paths, and linearly against its
 * (few) whiteouts and opaque directories.
 */
#include "scan/scan.h"
#include "scan/smap.h"
#include "util/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINK_HOPS 40

/* --- live fact arrays --- */
struct live {
        const void **v;
        size_t n, cap;
};

static int live_push(struct live *l, const void *p)
{
        if (l->n == l->cap) {
                size_t nc = l->cap ? l->cap * 2 : 64;
                const void **nv = realloc(l->v, nc * sizeof(*nv));

                if (!nv)
                        return DOU_ENOMEM;
                l->v = nv;
                l->cap = nc;
        }
        l->v[l->n++] = p;
        return 0;
}

static int under(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        if (!n)
                return 1;       /* opaque root */
        return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

static int removed(const char *path, const struct layer_result *L, const struct smap *seen)
{
        if (smap_get(seen, path))
                return 1;
        for (size_t i = 0; i < L->whiteouts.n; i++)
                if (under(path, L->whiteouts.v[i]))
                        return 1;
        for (size_t i = 0; i < L->opaque.n; i++) {
                size_t n = strlen(L->opaque.v[i]);

                if (!n || (!strncmp(path, L->opaque.v[i], n) && path[n] == '/'))
                        return 1;
        }
        return 0;
}

typedef const char *(*path_of)(const void *);
static const char *pkg_path(const void *p) { return ((const struct scan_pkg *)p)->path; }
static const char *os_path(const void *p) { return ((const struct layer_os *)p)->path; }
static const char *lic_path(const void *p) { return ((const struct layer_lic *)p)->path; }
static const char *own_path(const void *p) { return ((const struct layer_own *)p)->db_path; }
static const char *link_path(const void *p) { return ((const struct layer_link *)p)->path; }

/*
 * The image file a package was declared in: a nested jar's path is
 * "outer.war:WEB-INF/lib/x.jar" (src/scan/lang), whose file is "outer.war".
 */
static const char *file_of(const struct scan_pkg *p, char *buf, size_t n)
{
        const char *colon = p->type == PKG_MAVEN && p->path ? strchr(p->path, ':') : NULL;

        if (!colon || (size_t)(colon - p->path) >= n)
                return p->path;
        memcpy(buf, p->path, (size_t)(colon - p->path));
        buf[colon - p->path] = 0;
        return buf;
}

static void filter(struct live *l, path_of f, const struct layer_result *L, const struct smap *seen)
{
        size_t o = 0;
        char buf[LAYER_MAX_PATH];

        for (size_t i = 0; i < l->n; i++) {
                const char *p = f == pkg_path ? file_of(l->v[i], buf, sizeof(buf)) : f(l->v[i]);

                if (!p || !removed(p, L, seen))
                        l->v[o++] = l->v[i];
        }
        l->n = o;
}

struct merged {
        struct live pkgs, os, lic, own, links;
};

static int apply(struct merged *m, const struct layer_result *L)
{
        struct smap seen = { 0 };
        int rc = 0;

        for (size_t i = 0; i < L->seen.n && rc == 0; i++)
                rc = smap_put(&seen, L->seen.v[i], L);
        if (rc < 0) {
                smap_free(&seen);
                return rc;
        }
        filter(&m->pkgs, pkg_path, L, &seen);
        filter(&m->os, os_path, L, &seen);
        filter(&m->lic, lic_path, L, &seen);
        filter(&m->own, own_path, L, &seen);
        filter(&m->links, link_path, L, &seen);
        smap_free(&seen);
        for (size_t i = 0; i < L->pkgs.len && rc == 0; i++)
                rc = live_push(&m->pkgs, &L->pkgs.items[i]);
        for (size_t i = 0; i < L->n_os && rc == 0; i++)
                rc = live_push(&m->os, &L->os[i]);
        for (size_t i = 0; i < L->n_lic && rc == 0; i++)
                rc = live_push(&m->lic, &L->lic[i]);
        for (size_t i = 0; i < L->n_own && rc == 0; i++)
                rc = live_push(&m->own, &L->own[i]);
        for (size_t i = 0; i < L->n_links && rc == 0; i++)
                rc = live_push(&m->links, &L->links[i]);
        return rc;
}

/*
 * Resolve path through the image's links (inside its own tree) into out.
 * Returns 0, or -1 on a loop / too many hops (then nothing is found there).
 */
static int resolve(const struct smap *links, const char *path, char *out, size_t outn)
{
        char cur[LAYER_MAX_PATH * 2];
        int hops = 0;

        if (snprintf(cur, sizeof(cur), "%s", path) >= (int)sizeof(cur))
                return -1;
restart:
        for (size_t i = 0;; i++) {
                if (cur[i] == '/' || !cur[i]) {
                        char save = cur[i];
                        const struct layer_link *l;

                        cur[i] = 0;
                        l = smap_get(links, cur);
                        cur[i] = save;
                        if (l) {
                                char next[LAYER_MAX_PATH * 2];

                                if (++hops > MAX_LINK_HOPS)
                                        return -1;
                                if (snprintf(next, sizeof(next), "%s%s", l->target, cur + i) >= (int)sizeof(next))
                                        return -1;
                                if (layer_path_normalise(next, cur, sizeof(cur)) < 0 &&
                                    snprintf(cur, sizeof(cur), "%s", next) >= (int)sizeof(cur))
                                        return -1;
                                goto restart;
                        }
                        if (!save)
                                break;
                }
        }
        if (snprintf(out, outn, "%s", cur) >= (int)outn)
                return -1;
        return 0;
}

static int is_os_pkg(const struct scan_pkg *p)
{
        return p->type == PKG_DEB || p->type == PKG_APK;
}

/* Should an OS database record at path count? See scan.h. */
static int db_reachable(const struct smap *links, const char *path)
{
        static const char *const dbs[] = { "var/lib/dpkg/status", "lib/apk/db/installed" };
        char r[LAYER_MAX_PATH * 2];

        if (layer_canonical_kind(path))
                return resolve(links, path, r, sizeof(r)) == 0 && !strcmp(r, path);
        for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
                if (resolve(links, dbs[i], r, sizeof(r)) == 0 && !strcmp(r, path))
                        return 1;
        return 0;
}

static int pick_distro(const struct merged *m, const struct smap *links, struct os_release *ret)
{
        /* os-release first; among fallbacks lsb-release before debian_version (Ubuntu has both) */
        static const struct { const char *path; int kind; } order[] = {
                { "etc/os-release", 0 }, { "usr/lib/os-release", 0 },
                { "etc/lsb-release", OS_FB_LSB_RELEASE }, { "etc/alpine-release", OS_FB_ALPINE_RELEASE },
                { "etc/redhat-release", OS_FB_REDHAT_RELEASE }, { "etc/debian_version", OS_FB_DEBIAN_VERSION },
        };
        char r[LAYER_MAX_PATH * 2];

        for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
                if (resolve(links, order[i].path, r, sizeof(r)) < 0)
                        continue;
                for (size_t j = m->os.n; j-- > 0;) {
                        const struct layer_os *o = m->os.v[j];

                        if (strcmp(o->path, r) || (order[i].kind == 0) != (o->kind == 0))
                                continue;
                        ret->id = o->rel.id ? strdup(o->rel.id) : NULL;
                        ret->version_id = o->rel.version_id ? strdup(o->rel.version_id) : NULL;
                        ret->version_codename = o->rel.version_codename ? strdup(o->rel.version_codename) : NULL;
                        ret->pretty_name = o->rel.pretty_name ? strdup(o->rel.pretty_name) : NULL;
                        ret->name = o->rel.name ? strdup(o->rel.name) : NULL;
                        return ret->id ? 0 : DOU_ENOMEM;
                }
        }
        return 0;
}

static int collect(struct merged *m, struct image_index *x)
{
        struct smap links = { 0 }, lic = { 0 }, own = { 0 };
        int rc = 0;

        for (size_t i = 0; i < m->links.n && rc == 0; i++)
                rc = smap_put(&links, link_path(m->links.v[i]), m->links.v[i]);
        for (size_t i = 0; i < m->lic.n && rc == 0; i++)
                rc = smap_put(&lic, ((const struct layer_lic *)m->lic.v[i])->pkg,
                              ((const struct layer_lic *)m->lic.v[i])->expr);
        for (size_t i = 0; i < m->own.n && rc == 0; i++)
                rc = smap_put(&own, ((const struct layer_own *)m->own.v[i])->path,
                              ((const struct layer_own *)m->own.v[i])->owner);
        if (rc == 0)
                rc = pick_distro(m, &links, &x->distro);
        for (size_t i = 0; i < m->pkgs.n && rc == 0; i++) {
                struct scan_pkg p = *(const struct scan_pkg *)m->pkgs.v[i];

                if (!p.name || !p.path || (is_os_pkg(&p) && !db_reachable(&links, p.path)))
                        continue;       /* nameless: nothing to report; pathless: nowhere found */
                if (p.type == PKG_DEB && !p.license)
                        p.license = smap_get(&lic, p.name);
                if (!is_os_pkg(&p) && p.type != PKG_RPM && !p.owner && p.path) {
                        char buf[LAYER_MAX_PATH];

                        p.owner = smap_get(&own, file_of(&p, buf, sizeof(buf)));
                }
                rc = pkg_list_add(&x->pkgs, &p);
        }
        smap_free(&links);
        smap_free(&lic);
        smap_free(&own);
        return rc;
}

int scan_merge(struct layer_result *const *layers, size_t n, struct image_index *x)
{
        struct merged m = { 0 };
        int rc = 0;

        x->layers = calloc(n ? n : 1, sizeof(*x->layers));
        if (!x->layers)
                return DOU_ENOMEM;
        for (size_t i = 0; i < n && rc == 0; i++) {
                const struct layer_result *L = layers[i];
                struct index_layer *il = &x->layers[x->n_layers++];

                il->digest = strdup(L->digest);
                il->ok = L->fatal_code == 0;
                il->error = L->fatal ? strdup(L->fatal) : NULL;
                if (!il->digest || (L->fatal && !il->error)) {
                        rc = DOU_ENOMEM;
                        break;
                }
                for (size_t j = 0; j < L->errors.n && rc == 0; j++)
                        rc = strvec_push(&x->errors, L->errors.v[j]);
                if (rc == 0 && L->errors_dropped) {
                        char msg[256];

                        snprintf(msg, sizeof(msg), "layer %s: %zu more errors not shown", L->digest,
                                 L->errors_dropped);
                        rc = strvec_push(&x->errors, msg);
                }
                if (rc == 0 && L->fatal)
                        rc = strvec_push(&x->errors, L->fatal);
                if (rc == 0)
                        rc = apply(&m, L);
        }
        if (rc == 0)
                rc = collect(&m, x);
        free(m.pkgs.v);
        free(m.os.v);
        free(m.lic.v);
        free(m.own.v);
        free(m.links.v);
        return rc;
}
