/*
 * gc.c - registry_gc(): the metadata store decides what is dead (see
 * meta_gc and docs/gc.md) and the content store deletes it; stale upload
 * sessions older than the upload TTL go too.
 */
#include "registry/registry.h"
#include "store/store.h"
#include "util/err.h"

static int delete_content(const struct digest *d, void *ud)
{
        return store_blob_delete(ud, d);
}

static int drop_upload(const char *id, void *ud)
{
        store_upload_remove(ud, id);
        return 0;
}

int registry_gc(const struct config *cfg, int dry_run, struct meta_gc_stats *ret,
                int *ret_uploads_purged)
{
        struct store *s = NULL;
        struct meta *m = NULL;
        int rc, purged = 0;

        if ((rc = store_open(cfg->data_dir, &s)) < 0)
                return rc;
        if ((rc = meta_open(cfg->data_dir, &m)) < 0) {
                store_close(s);
                return rc;
        }
        rc = meta_gc(m, cfg->gc_grace_sec, dry_run, delete_content, s, ret);
        if (rc == 0 && !dry_run) {
                int n = meta_upload_expire(m, cfg->limits.upload_ttl_sec, drop_upload, s);
                int f = store_upload_purge(s, cfg->limits.upload_ttl_sec);
                purged = (n > 0 ? n : 0) + (f > 0 ? f : 0);
        }
        if (ret_uploads_purged)
                *ret_uploads_purged = purged;
        meta_close(m);
        store_close(s);
        return rc;
}
