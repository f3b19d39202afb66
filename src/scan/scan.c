/*
 * scan.c - index an image end to end: resolve, index or load each layer
 * (a layer shared by several platforms of one index is read once per run
 * as well as once per cache), merge.
 */
#include "scan/scan.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void image_index_free(struct image_index *x, size_t n)
{
        for (size_t i = 0; x && i < n; i++) {
                free(x[i].image);
                free(x[i].manifest);
                free(x[i].platform);
                os_release_clear(&x[i].distro);
                pkg_list_clear(&x[i].pkgs);
                for (size_t j = 0; j < x[i].n_layers; j++) {
                        free(x[i].layers[j].digest);
                        free(x[i].layers[j].error);
                }
                free(x[i].layers);
                strvec_clear(&x[i].errors);
        }
        free(x);
}

struct layer_set {
        struct layer_result **r;
        int *cached;
        size_t n;
};

static struct layer_result *find_layer(const struct layer_set *s, const char *digest, int *cached)
{
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(s->r[i]->digest, digest)) {
                        *cached = s->cached[i];
                        return s->r[i];
                }
        return NULL;
}

static int index_layer(struct image_source *src, const char *digest, const struct scan_opts *o,
                       struct layer_set *set, struct layer_result **ret, int *cached)
{
        struct layer_result *r, **nr;
        int *nc;
        int rc;

        if ((*ret = find_layer(set, digest, cached)))
                return 0;
        if (!(r = calloc(1, sizeof(*r))))
                return DOU_ENOMEM;
        *cached = 0;
        if (o->cache_dir && layer_cache_load(o->cache_dir, digest, r) == 0) {
                *cached = 1;
        } else {
                struct blob_stream *s;

                if ((rc = blob_stream_open(src, digest, &s)) < 0) {
                        char msg[512];

                        snprintf(msg, sizeof(msg), "%s", dou_err_msg());
                        memset(r, 0, sizeof(*r));
                        r->digest = strdup(digest);
                        r->fatal_code = rc;
                        if (asprintf(&r->fatal, "layer %s: %s", digest, msg) < 0)
                                r->fatal = NULL;
                        if (!r->digest || !r->fatal) {
                                layer_result_clear(r);
                                free(r);
                                return DOU_ENOMEM;
                        }
                } else {
                        rc = layer_scan(blob_stream_read, s, digest, &o->layer, r);
                        blob_stream_close(s);
                        if (rc == DOU_ENOMEM) {
                                layer_result_clear(r);
                                free(r);
                                return rc;
                        }
                        if (o->cache_dir)
                                layer_cache_store(o->cache_dir, r);     /* best effort */
                }
        }
        nr = realloc(set->r, (set->n + 1) * sizeof(*nr));
        if (nr)
                set->r = nr;
        nc = realloc(set->cached, (set->n + 1) * sizeof(*nc));
        if (nc)
                set->cached = nc;
        if (!nr || !nc) {
                layer_result_clear(r);
                free(r);
                return DOU_ENOMEM;
        }
        set->r[set->n] = r;
        set->cached[set->n++] = *cached;
        *ret = r;
        return 0;
}

int scan_source(struct image_source *src, const char *ref, const struct scan_opts *o,
                struct image_index **ret, size_t *ret_n)
{
        struct image_manifest *m = NULL;
        struct image_index *x = NULL;
        struct layer_set set = { 0 };
        size_t n = 0, total = 0, done = 0;
        int rc;

        if ((rc = image_resolve(src, o->platform, &m, &n)) < 0)
                return rc;
        if (!(x = calloc(n, sizeof(*x)))) {
                image_manifests_free(m, n);
                return DOU_ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                total += m[i].n_layers;
        for (size_t i = 0; i < n && rc == 0; i++) {
                struct layer_result **ls = calloc(m[i].n_layers + 1, sizeof(*ls));

                x[i].image = strdup(ref);
                x[i].manifest = strdup(m[i].digest);
                x[i].platform = strdup(m[i].platform);
                if (!ls || !x[i].image || !x[i].manifest || !x[i].platform) {
                        free(ls);
                        rc = DOU_ENOMEM;
                        break;
                }
                for (size_t j = 0; j < m[i].n_layers && rc == 0; j++) {
                        int cached = 0;

                        if (o->progress)
                                o->progress(o->progress_ctx, ++done, total, m[i].layers[j], -1);
                        rc = index_layer(src, m[i].layers[j], o, &set, &ls[j], &cached);
                        if (rc == 0 && o->progress)
                                o->progress(o->progress_ctx, done, total, m[i].layers[j], cached);
                }
                if (rc == 0)
                        rc = scan_merge(ls, m[i].n_layers, &x[i]);
                for (size_t j = 0; rc == 0 && j < m[i].n_layers; j++) {
                        int c = 0;

                        find_layer(&set, m[i].layers[j], &c);
                        x[i].layers[j].cached = c;
                }
                free(ls);
        }
        for (size_t i = 0; i < set.n; i++) {
                layer_result_clear(set.r[i]);
                free(set.r[i]);
        }
        free(set.r);
        free(set.cached);
        image_manifests_free(m, n);
        if (rc < 0) {
                image_index_free(x, n);
                return rc;
        }
        *ret = x;
        *ret_n = n;
        return 0;
}

int scan_image(const char *ref, const struct scan_opts *o, struct image_index **ret, size_t *ret_n)
{
        struct image_source src;
        int rc;

        if ((rc = image_source_open(ref, &src)) < 0)
                return rc;
        rc = scan_source(&src, ref, o, ret, ret_n);
        image_source_close(&src);
        return rc;
}
