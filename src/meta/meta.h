/*
 * meta.h - the metadata store: repositories, tags, manifests, which blobs
 * each repository may see, the referrers index, upload sessions, and gc.
 *
 * One struct meta is shared by all threads; each thread transparently gets
 * its own database connection. Writes that must agree with the content
 * store (a blob becoming visible, a manifest and the blobs it references)
 * run a caller-supplied publish step inside the same write transaction, so
 * garbage collection can never delete a blob between "it exists" and "it
 * is referenced". Today's implementation is SQLite (sqlite.c); PostgreSQL
 * will sit behind the same functions. No SQL leaves this folder.
 */
#ifndef DOUANE_META_META_H
#define DOUANE_META_META_H

#include <stddef.h>
#include <stdint.h>

#include "util/digest.h"

struct meta;

#define META_MEDIA_TYPE_MAX 256

int meta_open(const char *data_dir, struct meta **ret);
struct meta *meta_close(struct meta *m);

/* The publish step: run fn(fn_ud) inside the write transaction. */
typedef int (*meta_rename_fn)(void *ud);

/*
 * Make a committed blob visible in repo: inside one write transaction run
 * rename_fn (the content store's rename into place; may be NULL when the
 * content is already there), record the blob, and link it to repo.
 */
int meta_blob_commit(struct meta *m, const char *repo, const struct digest *d, uint64_t size,
                     meta_rename_fn rename_fn, void *rename_ud);

/* Is d visible in repo? Refreshes its gc clock when stale. DOU_ENOTFOUND if not. */
int meta_blob_get(struct meta *m, const char *repo, const struct digest *d, uint64_t *ret_size);

/* Link an existing blob into repo (cross-repository mount). DOU_ENOTFOUND if unknown. */
int meta_blob_mount(struct meta *m, const char *repo, const struct digest *d, const char *from);

/* Remove d from repo's view (content stays until gc). DOU_ENOTFOUND if not linked. */
int meta_blob_unlink(struct meta *m, const char *repo, const struct digest *d);

struct meta_manifest {
        struct digest digest;
        char media_type[META_MEDIA_TYPE_MAX];
        uint64_t size;
};

/* What a manifest PUT records; descriptors come from the parsed manifest. */
struct meta_manifest_put {
        const char *repo;
        const char *tag;                /* NULL when pushed by digest */
        const struct digest *digest;
        const char *media_type;
        uint64_t size;
        const char *artifact_type;      /* NULL if none */
        const struct digest *subject;   /* NULL if none */
        const char *annotations_json;   /* NULL if none */
        const struct digest *blobs;     /* config + layers: must exist */
        size_t n_blobs;
        const struct digest *children;  /* index children: must exist in repo */
        size_t n_children;
};

/*
 * Record a manifest (and tag) after checking, in the same transaction, that
 * every referenced blob and child exists; rename_fn publishes its bytes.
 * DOU_ENOTFOUND names the missing digest in the message.
 */
int meta_manifest_put(struct meta *m, const struct meta_manifest_put *p,
                      meta_rename_fn rename_fn, void *rename_ud);

/* Resolve a tag or digest in repo. DOU_ENOTFOUND if absent. */
int meta_manifest_get(struct meta *m, const char *repo, const char *reference,
                      struct meta_manifest *ret);

/* Delete a manifest by digest (and the tags pointing at it). */
int meta_manifest_delete(struct meta *m, const char *repo, const struct digest *d);
int meta_tag_delete(struct meta *m, const char *repo, const char *tag);

/* 1 if d is a manifest in some repository whose name starts with prefix, 0 if not, <0 on error. */
int meta_manifest_in_area(struct meta *m, const struct digest *d, const char *prefix);

/* 1 if the repository exists (has ever had content), else 0. */
int meta_repo_exists(struct meta *m, const char *repo);

/*
 * Page through names in order, strictly after `last` (NULL = from start),
 * at most n (n < 0 = all). fn is called per name; *ret_more is set when
 * names remain after the page.
 */
typedef int (*meta_name_fn)(const char *name, void *ud);
int meta_tags_list(struct meta *m, const char *repo, const char *last, long n,
                   meta_name_fn fn, void *ud, int *ret_more);
int meta_catalog(struct meta *m, const char *last, long n, meta_name_fn fn, void *ud,
                 int *ret_more);

struct meta_referrer {
        const char *digest;
        const char *media_type;
        uint64_t size;
        const char *artifact_type;      /* may be NULL */
        const char *annotations_json;   /* may be NULL */
};
typedef int (*meta_referrer_fn)(const struct meta_referrer *r, void *ud);
/* Manifests in repo whose subject is d, optionally only of artifact_type. */
int meta_referrers(struct meta *m, const char *repo, const struct digest *subject,
                   const char *artifact_type, meta_referrer_fn fn, void *ud);

/* Upload sessions survive restarts: id -> repository. */
int meta_upload_put(struct meta *m, const char *id, const char *repo);
int meta_upload_get(struct meta *m, const char *id, char *repo_out, size_t n);
int meta_upload_delete(struct meta *m, const char *id);
/* Delete sessions older than max_age; fn(id) lets the store drop their data. */
int meta_upload_expire(struct meta *m, unsigned max_age_sec, meta_name_fn fn, void *ud);

/*
 * Inspection state of an image manifest (the in-server indexer's bookkeeping).
 * The artifacts themselves are referrers of the manifest; these are their digests.
 */
enum meta_image_state { IMG_QUEUED, IMG_INDEXING, IMG_INDEXED, IMG_FAILED };

struct meta_image {
        char repo[256];
        enum meta_image_state state;
        char report[DIGEST_STR_MAX];    /* index report (douane.index-report/v1) blob, or "" */
        char sbom[DIGEST_STR_MAX];      /* SPDX blob, or "" */
        char vulns[DIGEST_STR_MAX];     /* vulnerability report blob, or "" */
        char error[256];
        long long updated;              /* unix seconds */
};

int meta_image_set(struct meta *m, const struct digest *manifest, const struct meta_image *img);
int meta_image_get(struct meta *m, const struct digest *manifest, struct meta_image *ret);
/* Call fn for images in a state (or all with state < 0); for restart and re-matching. */
typedef int (*meta_image_fn)(const struct digest *manifest, const struct meta_image *img, void *ud);
int meta_images_foreach(struct meta *m, int state, meta_image_fn fn, void *ud);

struct meta_gc_stats {
        unsigned long manifests_deleted;
        unsigned long blobs_deleted;
        unsigned long long bytes_freed;
        unsigned long blobs_kept;
};

/*
 * Garbage collection (docs/gc.md). Keeps: tagged manifests; children of
 * kept indexes; referrers of kept manifests; manifests and blobs younger
 * than grace_sec; blobs referenced by kept manifests. Deletes the rest.
 * delete_blob(d) removes content; it runs before the transaction commits,
 * so no concurrent push can re-reference a blob that is being removed.
 * With dry_run nothing is changed and stats say what would be.
 */
int meta_gc(struct meta *m, unsigned grace_sec, int dry_run,
            int (*delete_blob)(const struct digest *d, void *ud), void *ud,
            struct meta_gc_stats *ret);

#endif
