/*
 * scan.h - index an image: resolve the reference, index each layer once
 * (or take it from the per-layer cache), and merge the layers in order
 * into the image's contents, which the report writers (report.h) print.
 *
 * Merge rules: a later layer's file at the same path replaces the facts
 * an earlier layer drew from that path; whiteouts delete a path and what
 * is under it, opaque directories everything under them, from earlier
 * layers only. Package databases and release files reached through
 * symlinks are resolved inside the image's own tree (see layer.h).
 * Language packages whose file an OS package owns get ->owner.
 */
#ifndef DOUANE_SCAN_SCAN_H
#define DOUANE_SCAN_SCAN_H

#include <stddef.h>

#include "scan/image.h"
#include "scan/layer.h"
#include "scan/ospkg.h"
#include "scan/pkg.h"

struct scan_opts {
        const char *cache_dir;          /* NULL: no cache */
        const char *platform;           /* "os/arch[/variant]" or NULL for all */
        struct layer_opts layer;
        /* Called before each layer ("i/n digest") for progress reports; may be NULL. */
        void (*progress)(void *ctx, size_t i, size_t n, const char *digest, int cached);
        void *progress_ctx;
};

struct index_layer {
        char *digest;
        int ok;
        char *error;                    /* NULL when ok */
        int cached;
};

struct image_index {
        char *image;                    /* reference as given */
        char *manifest;
        char *platform;
        struct os_release distro;       /* distro.id NULL when unknown */
        struct pkg_list pkgs;           /* license/owner resolved */
        struct index_layer *layers;
        size_t n_layers;
        struct strvec errors;
};

/* Index every selected manifest of ref. *ret is an array of *ret_n. */
int scan_image(const char *ref, const struct scan_opts *o, struct image_index **ret, size_t *ret_n);
int scan_source(struct image_source *src, const char *ref, const struct scan_opts *o,
                struct image_index **ret, size_t *ret_n);
void image_index_free(struct image_index *x, size_t n);

/* Merge indexed layers (base first) into x (whose image/manifest/platform the caller sets). */
int scan_merge(struct layer_result *const *layers, size_t n, struct image_index *x);

/* Per-layer cache: DIR/layers/<alg>/<hex>.json. load: 0 or DOU_ENOTFOUND. */
int layer_cache_load(const char *dir, const char *digest, struct layer_result *ret);
int layer_cache_store(const char *dir, const struct layer_result *r);

#endif
