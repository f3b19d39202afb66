/*
 * indexer.c - inspect every image pushed, in the background, and answer
 * /api/v1/images/<digest>[/report|/sbom|/vulnerabilities].
 *
 * DESIGN
 * A manifest PUT of an image (not an artifact with a subject, not an
 * index: its children are indexed on their own) queues a job. One worker
 * thread takes jobs in order, reads the image straight from the content
 * store through a scan image_source (layers are streamed from their
 * files, each layer indexed once and cached by digest), and attaches what
 * it learned to the image as OCI 1.1 referrers in the same repository:
 *   application/vnd.douane.index-report+json   douane's index report
 *   application/spdx+json                       an SPDX 2.3 SBOM
 * so `GET /v2/<name>/referrers/<digest>` finds them, any OCI client can
 * fetch them, and gc keeps them exactly as long as the image. The state
 * (queued, indexing, indexed, failed) lives in the metadata store; jobs
 * left queued by a stopped server are queued again at start.
 *
 * The queue is a bounded ring under one mutex; a full queue marks the job
 * failed ("queue full") rather than blocking a push.
 */
#include "registry/reg_int.h"
#include "oci/oci.h"
#include "scan/report.h"
#include "scan/scan.h"
#include "vuln/vuln.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX 4096
#define AT_REPORT "application/vnd.douane.index-report+json"
#define AT_SPDX "application/spdx+json"
#define AT_VULNS "application/vnd.douane.vuln-report+json"
#define RECHECK_SEC 10          /* how often the advisory database is checked for updates */
#define WEBHOOK_MAX 8
#define MT_EMPTY "application/vnd.oci.empty.v1+json"

struct job {
        char repo[OCI_NAME_MAX + 1];
        struct digest d;
};

struct indexer {
        struct registry *reg;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct job ring[QUEUE_MAX];
        size_t head, len;
        int stop;
        char cache_dir[PATH_MAX];

        /* vulnerability matching: owned by the worker thread only */
        char vdb_path[PATH_MAX];
        struct vuln_db *vdb;            /* opened once `douane db update` created it */
        int64_t vdb_op;                 /* last advisory operation matched against */
        const char *webhooks[WEBHOOK_MAX];
        size_t n_webhooks;

        /* which repositories are inspected (index.repositories) */
        const char *repos[16];
        size_t n_repos;
};

/* ---- an image_source over douane's own content store ---- */

struct store_src {
        struct registry *reg;
        struct digest root;
};

static int read_blob(struct registry *reg, const char *digest, size_t max, char **ret, size_t *ret_len)
{
        struct digest d;
        uint64_t size;
        char *buf;
        size_t got = 0;
        int fd, rc;

        if ((rc = digest_parse(digest, strlen(digest), &d)) < 0)
                return rc;
        if ((rc = store_blob_open(reg->store, &d, &fd, &size)) < 0)
                return rc;
        if (size > max) {
                close(fd);
                return dou_err_set(DOU_ETOOBIG, "%s is larger than %zu bytes", digest, max);
        }
        buf = malloc((size_t)size + 1);
        if (!buf) {
                close(fd);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        while (got < size) {
                ssize_t n = read(fd, buf + got, (size_t)size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(fd);
        buf[got] = '\0';
        *ret = buf;
        *ret_len = got;
        return 0;
}

static int src_root(void *ctx, char **ret_buf, size_t *ret_len, char ret_digest[DIGEST_STR_MAX])
{
        struct store_src *s = ctx;

        snprintf(ret_digest, DIGEST_STR_MAX, "%s", s->root.str);
        return read_blob(s->reg, s->root.str, IMAGE_MAX_MANIFEST, ret_buf, ret_len);
}

static int src_manifest(void *ctx, const char *digest, char **ret_buf, size_t *ret_len)
{
        struct store_src *s = ctx;

        return read_blob(s->reg, digest, IMAGE_MAX_MANIFEST, ret_buf, ret_len);
}

static ssize_t fd_read(void *ctx, void *buf, size_t n)
{
        int fd = (int)(intptr_t)ctx;
        ssize_t r;

        do
                r = read(fd, buf, n);
        while (r < 0 && errno == EINTR);
        return r < 0 ? dou_err_errno(DOU_EIO, "read blob") : r;
}

static void fd_close(void *ctx)
{
        close((int)(intptr_t)ctx);
}

static int src_blob(void *ctx, const char *digest, struct blob_reader *ret)
{
        struct store_src *s = ctx;
        struct digest d;
        uint64_t size;
        int fd, rc;

        if ((rc = digest_parse(digest, strlen(digest), &d)) < 0 ||
            (rc = store_blob_open(s->reg->store, &d, &fd, &size)) < 0)
                return rc;
        ret->read = fd_read;
        ret->close = fd_close;
        ret->ctx = (void *)(intptr_t)fd;
        return 0;
}

/* ---- attaching results as referrers ---- */

static int put_blob(struct registry *reg, const char *repo, const char *buf, size_t len,
                    struct digest *ret)
{
        int rc;

        if ((rc = digest_buf(DIGEST_SHA256, buf, len, ret)) < 0)
                return rc;
        if ((rc = store_blob_put(reg->store, ret, buf, len)) < 0)
                return rc;
        return meta_blob_commit(reg->meta, repo, ret, len, NULL, NULL);
}

/* Push an artifact manifest whose subject is the image; returns the payload's digest. */
static int attach(struct registry *reg, const char *repo, const struct meta_manifest *subject,
                  const char *artifact_type, const char *payload, size_t len, struct digest *ret)
{
        struct digest empty, blob, md;
        struct oci_manifest m;
        char created[32];
        time_t now = time(NULL);
        struct tm tm;
        json_t *doc;
        char *buf;
        int rc;

        gmtime_r(&now, &tm);
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if ((rc = put_blob(reg, repo, "{}", 2, &empty)) < 0 ||
            (rc = put_blob(reg, repo, payload, len, &blob)) < 0)
                return rc;
        doc = json_pack("{s:i,s:s,s:s,s:{s:s,s:s,s:i},s:[{s:s,s:s,s:I}],s:{s:s,s:s,s:I},s:{s:s,s:s}}",
                        "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST, "artifactType", artifact_type,
                        "config", "mediaType", MT_EMPTY, "digest", empty.str, "size", 2,
                        "layers", "mediaType", artifact_type, "digest", blob.str, "size", (json_int_t)len,
                        "subject", "mediaType", subject->media_type, "digest", subject->digest.str,
                        "size", (json_int_t)subject->size,
                        "annotations", "org.opencontainers.image.created", created,
                        "dev.douane.generator", "douane indexer");
        buf = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (!buf)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        rc = digest_buf(DIGEST_SHA256, buf, strlen(buf), &md);
        if (rc == 0)
                rc = oci_manifest_parse(buf, strlen(buf), MT_OCI_MANIFEST, &m);
        if (rc == 0) {
                rc = registry_store_manifest(reg, repo, NULL, buf, strlen(buf), &md, &m);
                oci_manifest_free(&m);
        }
        free(buf);
        if (rc == 0)
                *ret = blob;
        return rc;
}

static char *render(const struct image_index *x, enum report_format fmt, size_t *ret_len)
{
        char *buf = NULL, created[32];
        size_t len = 0;
        time_t now = time(NULL);
        struct tm tm;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return NULL;
        gmtime_r(&now, &tm);
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (report_write(f, fmt, x, 1, created) < 0) {
                fclose(f);
                free(buf);
                return NULL;
        }
        fclose(f);
        *ret_len = len;
        return buf;
}

/* The advisory database, if `douane db update` has created one. */
static struct vuln_db *vdb_get(struct indexer *ix)
{
        /*
         * vdb_op starts at -1 (set in indexer_start): the first look at a
         * database, whether it existed at start or appeared later, re-matches
         * every indexed image once, so none is left matched against nothing
         * or against data older than what is on disk now.
         */
        if (!ix->vdb && access(ix->vdb_path, R_OK) == 0)
                vuln_db_open(ix->vdb_path, &ix->vdb);
        return ix->vdb;
}

static void log_change(void *ctx, const struct vuln_change *c)
{
        (void)ctx;
        log_kv(LOG_INFO, "vulnerability change", (const char *[]){
                "image", c->image, "kind", c->kind, "id", c->id, "package", c->package,
                "version", c->version, NULL });
}

struct vex_collect {
        struct registry *reg;
        json_t *statements;             /* array, concatenated from every VEX referrer */
};

/* One VEX referrer: its manifest's first layer is the OpenVEX document. */
static int add_vex(const struct meta_referrer *r, void *ud)
{
        struct vex_collect *vc = ud;
        struct oci_manifest m;
        char *buf = NULL, *doc = NULL;
        size_t len, dlen;
        json_t *st = NULL;

        if (read_blob(vc->reg, r->digest, IMAGE_MAX_MANIFEST, &buf, &len) < 0)
                return 0;
        if (oci_manifest_parse(buf, len, NULL, &m) == 0) {
                if (m.n_items > 0 && read_blob(vc->reg, m.items[0].digest.str, 8u << 20, &doc, &dlen) == 0 &&
                    vex_parse(doc, dlen, &st) == 0)
                        json_array_extend(vc->statements, st);
                oci_manifest_free(&m);
        }
        json_decref(st);
        free(doc);
        free(buf);
        return 0;       /* a bad VEX document is ignored, never fatal to matching */
}

/* OpenVEX statements attached to the image as referrers, or NULL if none. */
static json_t *attached_vex(struct registry *reg, const char *repo, const struct digest *subject)
{
        static const char *types[] = { "application/openvex+json", "application/vnd.openvex+json" };
        struct vex_collect vc = { reg, json_array() };

        for (size_t i = 0; vc.statements && i < 2; i++)
                meta_referrers(reg->meta, repo, subject, types[i], add_vex, &vc);
        if (vc.statements && json_array_size(vc.statements) == 0) {
                json_decref(vc.statements);
                return NULL;
        }
        return vc.statements;
}

/*
 * Match an index report against the advisory database and attach the
 * result as a referrer. The first match also records the image's findings,
 * so later re-matches can say what is new, fixed or withdrawn.
 */
static int match_vulns(struct indexer *ix, const char *repo, const struct meta_manifest *subject,
                       const char *report, size_t len, struct meta_image *img)
{
        struct vuln_match_opts mo = { 0 };
        struct vuln_db *db = vdb_get(ix);
        json_t *rep, *vr = NULL;
        char *out = NULL;
        struct digest d;
        int rc;

        if (!db)
                return 0;       /* no advisory database yet: nothing to match */
        rep = json_loadb(report, len, 0, NULL);
        if (!rep)
                return dou_err_set(DOU_EINTERNAL, "index report does not parse");
        mo.vex = attached_vex(ix->reg, repo, &subject->digest);
        rc = vuln_rematch_one(db, rep, log_change, NULL);
        if (rc >= 0)
                rc = vuln_match_report(db, rep, &mo, &vr);
        if (rc >= 0)
                rc = vuln_render(vr, VULN_FMT_JSON, &out);
        if (rc >= 0)
                rc = attach(ix->reg, repo, subject, AT_VULNS, out, strlen(out), &d);
        if (rc >= 0)
                snprintf(img->vulns, sizeof(img->vulns), "%s", d.str);
        free(out);
        json_decref(vr);
        json_decref((json_t *)mo.vex);
        json_decref(rep);
        return rc < 0 ? rc : 0;
}

static int index_one(struct indexer *ix, const struct job *j, struct meta_image *img)
{
        struct registry *reg = ix->reg;
        struct store_src ss = { reg, j->d };
        struct image_source src = { src_root, src_manifest, src_blob, NULL, &ss };
        struct scan_opts o = { .cache_dir = ix->cache_dir };
        struct image_index *x = NULL;
        struct meta_manifest subject;
        struct digest d;
        char ref[OCI_NAME_MAX + DIGEST_STR_MAX + 16], *out;
        size_t n = 0, len, rlen = 0;
        int rc;

        snprintf(ref, sizeof(ref), "douane:%s@%s", j->repo, j->d.str);
        if ((rc = meta_manifest_get(reg->meta, j->repo, j->d.str, &subject)) < 0)
                return rc;
        if ((rc = scan_source(&src, ref, &o, &x, &n)) < 0)
                return rc;
        if (n != 1) {
                image_index_free(x, n);
                return dou_err_set(DOU_EINVAL, "expected one image, got %zu", n);
        }
        /* one rendering of the index report serves the referrer and the matcher */
        char *report = render(x, REPORT_JSON, &rlen);
        rc = report ? attach(reg, j->repo, &subject, AT_REPORT, report, rlen, &d) : DOU_ENOMEM;
        if (rc == 0)
                snprintf(img->report, sizeof(img->report), "%s", d.str);
        if (rc == 0 && (out = render(x, REPORT_SPDX, &len))) {
                rc = attach(reg, j->repo, &subject, AT_SPDX, out, len, &d);
                free(out);
                if (rc == 0)
                        snprintf(img->sbom, sizeof(img->sbom), "%s", d.str);
        }
        if (rc == 0)
                rc = match_vulns(ix, j->repo, &subject, report, rlen, img);
        free(report);
        if (rc == 0 && x->errors.n > 0)
                snprintf(img->error, sizeof(img->error), "%zu partial errors, first: %s",
                         x->errors.n, x->errors.v[0]);
        image_index_free(x, n);
        return rc;
}

static void run_job(struct indexer *ix, const struct job *j)
{
        struct meta_image img = { .state = IMG_INDEXING };
        struct timespec t0, t1;
        int rc;

        snprintf(img.repo, sizeof(img.repo), "%s", j->repo);
        meta_image_set(ix->reg->meta, &j->d, &img);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        dou_err_clear();
        rc = index_one(ix, j, &img);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        img.state = rc < 0 ? IMG_FAILED : IMG_INDEXED;
        if (rc < 0)
                snprintf(img.error, sizeof(img.error), "%s", dou_err_msg());
        meta_image_set(ix->reg->meta, &j->d, &img);
        char ms[32];
        snprintf(ms, sizeof(ms), "%.1f", (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                                             (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
        log_kv(rc < 0 ? LOG_WARN : LOG_INFO, rc < 0 ? "index failed" : "indexed",
               (const char *[]){ "repo", j->repo, "digest", j->d.str, "ms", ms,
                                 "sbom", img.sbom[0] ? img.sbom : NULL,
                                 "error", img.error[0] ? img.error : NULL, NULL });
}

/* Re-match one indexed image from its stored index report (no layer is read). */
static int recheck_image(const struct digest *d, const struct meta_image *img0, void *ud)
{
        struct indexer *ix = ud;
        struct registry *reg = ix->reg;
        struct meta_image img = *img0;
        struct meta_manifest subject;
        char *report = NULL;
        size_t len = 0;

        if (!img.report[0] || meta_manifest_get(reg->meta, img.repo, d->str, &subject) < 0)
                return 0;       /* gone since: nothing to re-check */
        if (read_blob(reg, img.report, IMAGE_MAX_MANIFEST * 16, &report, &len) < 0)
                return 0;
        if (match_vulns(ix, img.repo, &subject, report, len, &img) == 0)
                meta_image_set(reg->meta, d, &img);
        free(report);
        return 0;
}

/*
 * Continuous re-verification: when `douane db update` has recorded a new
 * operation, every indexed image is matched again from its cached index
 * report, changes are recorded and logged, and webhooks are notified.
 */
static void recheck(struct indexer *ix)
{
        struct vuln_db *db = vdb_get(ix);
        json_t *j = NULL;
        int64_t op, since = 0, last = 0;
        struct timespec t0, t1;

        if (!db || (op = vuln_db_last_op(db)) == ix->vdb_op)
                return;
        if (vuln_changes_list(db, -1, 0, &j) == 0)
                since = json_integer_value(json_object_get(j, "last"));
        json_decref(j);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        meta_images_foreach(ix->reg->meta, IMG_INDEXED, recheck_image, ix);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ix->vdb_op = op;
        log_info("advisory database changed (operation %lld): images re-matched in %.0f ms",
                 (long long)op, (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                 (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
        for (size_t i = 0; i < ix->n_webhooks; i++)
                if (vuln_webhook_deliver(db, ix->webhooks[i], since, NULL, &last) < 0)
                        log_warn("webhook %s: %s (delivered up to change %lld)", ix->webhooks[i],
                                 dou_err_msg(), (long long)last);
}

static void *worker(void *arg)
{
        struct indexer *ix = arg;
        struct job j;

        for (;;) {
                pthread_mutex_lock(&ix->lock);
                while (!ix->stop && ix->len == 0) {
                        struct timespec until;
                        clock_gettime(CLOCK_REALTIME, &until);
                        until.tv_sec += RECHECK_SEC;
                        if (pthread_cond_timedwait(&ix->cond, &ix->lock, &until) != 0 &&
                            !ix->stop && ix->len == 0) {
                                pthread_mutex_unlock(&ix->lock);
                                recheck(ix);
                                pthread_mutex_lock(&ix->lock);
                        }
                }
                if (ix->stop) {
                        pthread_mutex_unlock(&ix->lock);
                        break;
                }
                j = ix->ring[ix->head];
                ix->head = (ix->head + 1) % QUEUE_MAX;
                ix->len--;
                pthread_mutex_unlock(&ix->lock);
                run_job(ix, &j);
        }
        return NULL;
}

static int push_job(struct indexer *ix, const char *repo, const struct digest *d)
{
        int ok = 0;

        pthread_mutex_lock(&ix->lock);
        if (ix->len < QUEUE_MAX) {
                struct job *j = &ix->ring[(ix->head + ix->len) % QUEUE_MAX];
                snprintf(j->repo, sizeof(j->repo), "%s", repo);
                j->d = *d;
                ix->len++;
                ok = 1;
                pthread_cond_signal(&ix->cond);
        }
        pthread_mutex_unlock(&ix->lock);
        return ok;
}

static int is_image_config(const char *mt)
{
        return mt && (!strcmp(mt, "application/vnd.oci.image.config.v1+json") ||
                      !strcmp(mt, "application/vnd.docker.container.image.v1+json"));
}

/*
 * The gateway inspects the areas it manages. By default those are
 * quarantine/ and golden/; other repositories are plain registry storage,
 * whose referrers lists stay exactly what clients pushed.
 */
static int inspected(const struct indexer *ix, const char *repo)
{
        static const char *defaults[] = { "quarantine/**", "golden/**" };

        if (ix->n_repos == 0) {
                for (size_t i = 0; i < 2; i++)
                        if (auth_repo_pattern_match(defaults[i], repo))
                                return 1;
                return 0;
        }
        for (size_t i = 0; i < ix->n_repos; i++)
                if (auth_repo_pattern_match(ix->repos[i], repo))
                        return 1;
        return 0;
}

void indexer_enqueue(struct registry *r, const char *repo, const struct digest *d,
                     const char *config_media_type)
{
        struct meta_image img = { .state = IMG_QUEUED };

        if (!r->indexer || !is_image_config(config_media_type) || !inspected(r->indexer, repo))
                return;
        snprintf(img.repo, sizeof(img.repo), "%s", repo);
        if (!push_job(r->indexer, repo, d)) {
                img.state = IMG_FAILED;
                snprintf(img.error, sizeof(img.error), "index queue full");
        }
        meta_image_set(r->meta, d, &img);
}

static int requeue(const struct digest *d, const struct meta_image *img, void *ud)
{
        push_job(ud, img->repo, d);
        return 0;
}

int indexer_start(struct registry *r)
{
        struct indexer *ix;
        json_t *sec = json_object_get(r->cfg->root, "index");
        json_t *en = json_object_get(sec, "enabled");
        int rc;

        if (en && json_is_false(en))
                return 0;
        ix = calloc(1, sizeof(*ix));
        if (!ix)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        ix->reg = r;
        ix->vdb_op = -1;
        pthread_mutex_init(&ix->lock, NULL);
        pthread_cond_init(&ix->cond, NULL);
        if ((rc = fs_path(ix->cache_dir, sizeof(ix->cache_dir), "%s/cache/scan", r->cfg->data_dir)) < 0 ||
            (rc = fs_mkdir_p(ix->cache_dir, 0755)) < 0) {
                free(ix);
                return rc;
        }
        json_t *vsec = json_object_get(r->cfg->root, "vuln");
        const char *vdb = json_string_value(json_object_get(vsec, "db"));
        json_t *hooks = json_object_get(vsec, "webhooks"), *h;
        size_t i;
        if ((rc = vdb ? fs_path(ix->vdb_path, sizeof(ix->vdb_path), "%s", vdb)
                      : fs_path(ix->vdb_path, sizeof(ix->vdb_path), "%s/vuln.db", r->cfg->data_dir)) < 0) {
                free(ix);
                return rc;
        }
        json_array_foreach(hooks, i, h)
                if (json_is_string(h) && ix->n_webhooks < WEBHOOK_MAX)
                        ix->webhooks[ix->n_webhooks++] = json_string_value(h);
        json_array_foreach(json_object_get(sec, "repositories"), i, h)
                if (json_is_string(h) && ix->n_repos < sizeof(ix->repos) / sizeof(ix->repos[0]))
                        ix->repos[ix->n_repos++] = json_string_value(h);
        /* what a previous run left queued or half-done is queued again */
        meta_images_foreach(r->meta, IMG_QUEUED, requeue, ix);
        meta_images_foreach(r->meta, IMG_INDEXING, requeue, ix);
        if (pthread_create(&ix->thread, NULL, worker, ix) != 0) {
                free(ix);
                return dou_err_set(DOU_EINTERNAL, "cannot start the indexer thread");
        }
        r->indexer = ix;
        return 0;
}

void indexer_stop(struct registry *r)
{
        struct indexer *ix = r->indexer;

        if (!ix)
                return;
        pthread_mutex_lock(&ix->lock);
        ix->stop = 1;
        pthread_cond_broadcast(&ix->cond);
        pthread_mutex_unlock(&ix->lock);
        pthread_join(ix->thread, NULL);
        vuln_db_close(ix->vdb);
        pthread_mutex_destroy(&ix->lock);
        pthread_cond_destroy(&ix->cond);
        free(ix);
        r->indexer = NULL;
}

/* ---- /api/v1/images ---- */

static const char *state_name(enum meta_image_state s)
{
        static const char *names[] = { "queued", "indexing", "indexed", "failed" };

        return (unsigned)s < 4 ? names[s] : "unknown";
}

static enum MHD_Result serve_blob(struct req *q, const char *digest, const char *ctype)
{
        struct MHD_Response *resp;
        struct digest d;
        uint64_t size;
        int fd, rc;

        if (!digest[0])
                return reply_error(q, 404, RC_BLOB_UNKNOWN, "not available for this image yet");
        if ((rc = digest_parse(digest, strlen(digest), &d)) < 0 ||
            (rc = store_blob_open(q->reg->store, &d, &fd, &size)) < 0)
                return reply_dou_err(q, rc, RC_BLOB_UNKNOWN);
        if (reply_fd(q, 200, fd, 0, size, &resp) != MHD_YES)
                return MHD_NO;
        resp_header(resp, "Content-Type", ctype);
        resp_header(resp, "Docker-Content-Digest", d.str);
        return reply_send(q, 200, resp);
}

/* Findings in the stored vulnerability report (summary.total), -1 if none yet. */
static long long vuln_count(struct registry *reg, const char *digest)
{
        char *buf = NULL;
        size_t len;
        long long n = -1;
        json_t *doc;

        if (!digest[0] || read_blob(reg, digest, 64u << 20, &buf, &len) < 0)
                return -1;
        doc = json_loadb(buf, len, 0, NULL);
        if (json_is_integer(json_object_get(json_object_get(doc, "summary"), "total")))
                n = json_integer_value(json_object_get(json_object_get(doc, "summary"), "total"));
        json_decref(doc);
        free(buf);
        return n;
}

/*
 * What the runtime sensor (and people) ask first: was this image released
 * (is it a manifest in some golden/ repository), what is its verdict, and
 * how many findings does it have.
 */
static void add_verdict(struct req *q, const struct meta_image *img, json_t *doc)
{
        int released = meta_manifest_in_area(q->reg->meta, &q->route.digest, "golden/") == 1;
        long long n = vuln_count(q->reg, img->vulns);
        const char *verdict = released ? "released"
                              : img->state == IMG_FAILED ? "failed"
                              : img->state == IMG_INDEXED ? "quarantined" : "pending";

        json_object_set_new(doc, "released", json_boolean(released));
        json_object_set_new(doc, "verdict", json_string(verdict));
        if (n >= 0)
                json_object_set_new(doc, "count", json_integer(n));
}

enum MHD_Result images_api(struct req *q)
{
        struct meta_image img;
        json_t *doc;
        char *s;
        int rc;

        if (strcmp(q->method, "GET") != 0 && !q->is_head)
                return reply_error(q, 405, RC_UNSUPPORTED, "method not allowed on this endpoint");
        if ((rc = meta_image_get(q->reg->meta, &q->route.digest, &img)) < 0)
                return reply_dou_err(q, rc, RC_MANIFEST_UNKNOWN);
        /* the image's repository decides who may see what was learned about it */
        if (!authz_can_pull(q, img.repo))
                return reply_error(q, 403, RC_DENIED, "requested access to the resource is denied");
        switch (q->route.kind) {
        case R_IMAGE_REPORT:
                return serve_blob(q, img.report, "application/json");
        case R_IMAGE_SBOM:
                return serve_blob(q, img.sbom, AT_SPDX);
        case R_IMAGE_VULNS:
                return serve_blob(q, img.vulns, "application/json");
        default:
                break;
        }
        doc = json_pack("{s:s,s:s,s:s,s:I}", "digest", q->route.digest.str, "repository", img.repo,
                        "state", state_name(img.state), "updated", (json_int_t)img.updated);
        if (!doc)
                return MHD_NO;
        if (img.error[0])
                json_object_set_new(doc, "error", json_string(img.error));
        if (img.report[0])
                json_object_set_new(doc, "report", json_string(img.report));
        if (img.sbom[0])
                json_object_set_new(doc, "sbom", json_string(img.sbom));
        if (img.vulns[0])
                json_object_set_new(doc, "vulnerabilities", json_string(img.vulns));
        add_verdict(q, &img, doc);
        s = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (!s)
                return MHD_NO;
        enum MHD_Result r = reply_json(q, 200, s, "application/json");
        free(s);
        return r;
}
