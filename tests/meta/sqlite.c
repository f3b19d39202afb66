/* Unit tests for the SQLite metadata store and its gc rule (src/meta). */
#include "tap.h"
#include "meta/meta.h"
#include "util/err.h"

#include <stdlib.h>
#include <unistd.h>

static struct digest dg(const char *s)
{
        struct digest d;
        digest_buf(DIGEST_SHA256, s, strlen(s), &d);
        return d;
}

static struct meta *open_tmp(char *dir, size_t n)
{
        struct meta *m = NULL;
        snprintf(dir, n, "/tmp/douane-meta-XXXXXX");
        CHECK(mkdtemp(dir) != NULL);
        CHECK_INT(meta_open(dir, &m), 0);
        return m;
}

static void cleanup(struct meta *m, const char *dir)
{
        char cmd[128];
        meta_close(m);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
}

static int put_manifest(struct meta *m, const char *repo, const char *tag, const struct digest *d,
                        const struct digest *blobs, size_t nb, const struct digest *kids, size_t nk,
                        const struct digest *subject, const char *atype)
{
        struct meta_manifest_put p = {
                .repo = repo, .tag = tag, .digest = d, .media_type = "application/vnd.oci.image.manifest.v1+json",
                .size = 100, .artifact_type = atype, .subject = subject, .blobs = blobs, .n_blobs = nb,
                .children = kids, .n_children = nk,
        };
        return meta_manifest_put(m, &p, NULL, NULL);
}

static int collect(const char *name, void *ud)
{
        char *buf = ud;
        strcat(buf, name);
        strcat(buf, ",");
        return 0;
}

TEST(blobs_are_per_repository)
{
        char dir[64];
        struct meta *m = open_tmp(dir, sizeof(dir));
        struct digest a = dg("a");
        uint64_t size;

        CHECK_INT(meta_blob_commit(m, "r1", &a, 1, NULL, NULL), 0);
        CHECK_INT(meta_blob_get(m, "r1", &a, &size), 0);
        CHECK_INT(size, 1);
        CHECK_INT(meta_blob_get(m, "r2", &a, &size), DOU_ENOTFOUND);
        CHECK_INT(meta_blob_mount(m, "r2", &a, "r1"), 0);
        CHECK_INT(meta_blob_get(m, "r2", &a, &size), 0);
        CHECK_INT(meta_blob_unlink(m, "r2", &a), 0);
        CHECK_INT(meta_blob_get(m, "r2", &a, &size), DOU_ENOTFOUND);
        CHECK_INT(meta_blob_get(m, "r1", &a, &size), 0);
        struct digest z = dg("zzz");
        CHECK_INT(meta_blob_mount(m, "r3", &z, NULL), DOU_ENOTFOUND);
        cleanup(m, dir);
}

TEST(manifest_requires_its_blobs)
{
        char dir[64];
        struct meta *m = open_tmp(dir, sizeof(dir));
        struct digest cfg = dg("cfg"), layer = dg("layer"), man = dg("man");
        struct digest refs[2] = { cfg, layer };
        struct meta_manifest got;

        CHECK_INT(meta_blob_commit(m, "r", &cfg, 3, NULL, NULL), 0);
        CHECK_INT(put_manifest(m, "r", "v1", &man, refs, 2, NULL, 0, NULL, NULL), DOU_ENOTFOUND);
        CHECK(strstr(dou_err_msg(), layer.str) != NULL);
        CHECK_INT(meta_manifest_get(m, "r", "v1", &got), DOU_ENOTFOUND);
        CHECK_INT(meta_blob_commit(m, "r", &layer, 5, NULL, NULL), 0);
        CHECK_INT(put_manifest(m, "r", "v1", &man, refs, 2, NULL, 0, NULL, NULL), 0);
        CHECK_INT(meta_manifest_get(m, "r", "v1", &got), 0);
        CHECK_STR(got.digest.str, man.str);
        CHECK_INT(meta_manifest_get(m, "r", man.str, &got), 0);
        cleanup(m, dir);
}

TEST(tags_and_catalog_paging)
{
        char dir[64], buf[256] = "";
        struct meta *m = open_tmp(dir, sizeof(dir));
        struct digest man = dg("m");
        int more;

        put_manifest(m, "b/x", "v3", &man, NULL, 0, NULL, 0, NULL, NULL);
        put_manifest(m, "b/x", "v1", &man, NULL, 0, NULL, 0, NULL, NULL);
        put_manifest(m, "b/x", "v2", &man, NULL, 0, NULL, 0, NULL, NULL);
        put_manifest(m, "a", "t", &man, NULL, 0, NULL, 0, NULL, NULL);
        CHECK_INT(meta_tags_list(m, "b/x", NULL, 2, collect, buf, &more), 0);
        CHECK_STR(buf, "v1,v2,");
        CHECK(more);
        buf[0] = '\0';
        CHECK_INT(meta_tags_list(m, "b/x", "v2", 2, collect, buf, &more), 0);
        CHECK_STR(buf, "v3,");
        CHECK(!more);
        buf[0] = '\0';
        CHECK_INT(meta_catalog(m, NULL, -1, collect, buf, &more), 0);
        CHECK_STR(buf, "a,b/x,");
        cleanup(m, dir);
}

static int count_ref(const struct meta_referrer *r, void *ud)
{
        (void)r;
        (*(int *)ud)++;
        return 0;
}

TEST(referrers_index_and_filter)
{
        char dir[64];
        struct meta *m = open_tmp(dir, sizeof(dir));
        struct digest subj = dg("subject-not-pushed"), s1 = dg("sbom"), s2 = dg("sig");
        int n = 0;

        /* a subject that does not exist yet is fine */
        CHECK_INT(put_manifest(m, "r", NULL, &s1, NULL, 0, NULL, 0, &subj, "application/spdx+json"), 0);
        CHECK_INT(put_manifest(m, "r", NULL, &s2, NULL, 0, NULL, 0, &subj, "application/vnd.dev.cosign"), 0);
        CHECK_INT(meta_referrers(m, "r", &subj, NULL, count_ref, &n), 0);
        CHECK_INT(n, 2);
        n = 0;
        CHECK_INT(meta_referrers(m, "r", &subj, "application/spdx+json", count_ref, &n), 0);
        CHECK_INT(n, 1);
        cleanup(m, dir);
}

static int note_delete(const struct digest *d, void *ud)
{
        strcat(ud, d->str + 7 + 60);    /* last 4 hex chars */
        strcat(ud, ",");
        return 0;
}

TEST(gc_rule)
{
        char dir[64], deleted[512] = "";
        struct meta *m = open_tmp(dir, sizeof(dir));
        struct digest keep_layer = dg("keep-layer"), dead_layer = dg("dead-layer"),
                      child_layer = dg("child-layer"), stray = dg("stray");
        struct digest tagged = dg("tagged"), untagged = dg("untagged"), child = dg("child"),
                      index = dg("index"), sig = dg("sig-of-tagged"), orphan_sig = dg("sig-of-untagged");
        struct meta_gc_stats st;

        meta_blob_commit(m, "r", &keep_layer, 10, NULL, NULL);
        meta_blob_commit(m, "r", &dead_layer, 20, NULL, NULL);
        meta_blob_commit(m, "r", &child_layer, 30, NULL, NULL);
        meta_blob_commit(m, "r", &stray, 40, NULL, NULL);
        CHECK_INT(put_manifest(m, "r", "v1", &tagged, &keep_layer, 1, NULL, 0, NULL, NULL), 0);
        CHECK_INT(put_manifest(m, "r", NULL, &untagged, &dead_layer, 1, NULL, 0, NULL, NULL), 0);
        CHECK_INT(put_manifest(m, "r", NULL, &child, &child_layer, 1, NULL, 0, NULL, NULL), 0);
        CHECK_INT(put_manifest(m, "r", "multi", &index, NULL, 0, &child, 1, NULL, NULL), 0);
        CHECK_INT(put_manifest(m, "r", NULL, &sig, NULL, 0, NULL, 0, &tagged, "sig"), 0);
        CHECK_INT(put_manifest(m, "r", NULL, &orphan_sig, NULL, 0, NULL, 0, &untagged, "sig"), 0);

        /* within the grace period nothing goes */
        CHECK_INT(meta_gc(m, 3600, 0, note_delete, deleted, &st), 0);
        CHECK_INT(st.manifests_deleted, 0);
        CHECK_INT(st.blobs_deleted, 0);

        /* grace 0 (everything old enough): untagged + its referrer + their blobs go */
        sleep(1);
        CHECK_INT(meta_gc(m, 0, 1, NULL, NULL, &st), 0);        /* dry run first */
        CHECK_INT(st.manifests_deleted, 2);
        struct meta_manifest got;
        CHECK_INT(meta_manifest_get(m, "r", untagged.str, &got), 0);    /* dry run changed nothing */
        CHECK_INT(meta_gc(m, 0, 0, note_delete, deleted, &st), 0);
        CHECK_INT(st.manifests_deleted, 2);
        CHECK_INT(meta_manifest_get(m, "r", untagged.str, &got), DOU_ENOTFOUND);
        CHECK_INT(meta_manifest_get(m, "r", orphan_sig.str, &got), DOU_ENOTFOUND);
        CHECK_INT(meta_manifest_get(m, "r", child.str, &got), 0);       /* child of tagged index */
        CHECK_INT(meta_manifest_get(m, "r", sig.str, &got), 0);         /* referrer of kept */
        CHECK(strstr(deleted, dead_layer.str + 67) != NULL);
        CHECK(strstr(deleted, stray.str + 67) != NULL);
        CHECK(strstr(deleted, keep_layer.str + 67) == NULL);
        CHECK(strstr(deleted, child_layer.str + 67) == NULL);
        uint64_t size;
        CHECK_INT(meta_blob_get(m, "r", &keep_layer, &size), 0);
        CHECK_INT(meta_blob_get(m, "r", &stray, &size), DOU_ENOTFOUND);
        cleanup(m, dir);
}

TEST(upload_sessions_persist)
{
        char dir[64], repo[64];
        struct meta *m = open_tmp(dir, sizeof(dir));

        CHECK_INT(meta_upload_put(m, "id-1", "a/b"), 0);
        meta_close(m);
        CHECK_INT(meta_open(dir, &m), 0);
        CHECK_INT(meta_upload_get(m, "id-1", repo, sizeof(repo)), 0);
        CHECK_STR(repo, "a/b");
        CHECK_INT(meta_upload_delete(m, "id-1"), 0);
        CHECK_INT(meta_upload_get(m, "id-1", repo, sizeof(repo)), DOU_ENOTFOUND);
        cleanup(m, dir);
}

TAP_MAIN()
