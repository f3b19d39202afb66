/*
 * uploads.c - pushing blobs: POST (session, monolithic ?digest=, mount),
 * PATCH (chunked with Content-Range, or streamed without), PUT (finish),
 * GET (status) and DELETE (cancel) on /v2/<name>/blobs/uploads/.
 *
 * Session state lives in three places with one owner each: the bytes in
 * the content store (uploads/<id>), the id -> repository record in the
 * metadata store (so a restarted server still knows the session), and an
 * in-memory slot holding the open file and running hash. A slot is only
 * a cache: an idle one may be evicted, and the next request for that id
 * reopens the file and re-hashes what is there. A slot is "busy" while a
 * request writes to it, so two requests never interleave bytes.
 */
#include "registry/reg_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Atomic unsigned inflight;       /* upload requests currently receiving a body */

int uploads_init(struct registry *r)
{
        r->n_upload_slots = r->cfg->limits.max_concurrent_uploads;
        r->uploads = calloc(r->n_upload_slots, sizeof(*r->uploads));
        return r->uploads ? 0 : dou_err_set(DOU_ENOMEM, "out of memory");
}

void uploads_free(struct registry *r)
{
        for (size_t i = 0; r->uploads && i < r->n_upload_slots; i++)
                store_upload_close(r->uploads[i].up);
        free(r->uploads);
        r->uploads = NULL;
}

/* A free slot, evicting the least recently used idle one if needed. Locked. */
static struct upload_slot *slot_free_locked(struct registry *r)
{
        struct upload_slot *lru = NULL;

        for (size_t i = 0; i < r->n_upload_slots; i++) {
                struct upload_slot *s = &r->uploads[i];
                if (!s->up)
                        return s;
                if (!s->busy && (!lru || s->touched < lru->touched))
                        lru = s;
        }
        if (lru) {
                /* evicted sessions stay on disk; the next request reopens them */
                store_upload_close(lru->up);
                memset(lru, 0, sizeof(*lru));
        }
        return lru;
}

static struct upload_slot *slot_find_locked(struct registry *r, const char *id)
{
        for (size_t i = 0; i < r->n_upload_slots; i++)
                if (r->uploads[i].up && !strcmp(r->uploads[i].id, id))
                        return &r->uploads[i];
        return NULL;
}

static int slot_new(struct registry *r, const char *repo, struct upload_slot **ret)
{
        char id[STORE_UPLOAD_ID_LEN + 1];
        struct store_upload *up;
        struct upload_slot *s;
        int rc;

        if ((rc = store_upload_new(r->store, id, &up)) < 0)
                return rc;
        if ((rc = meta_upload_put(r->meta, id, repo)) < 0) {
                store_upload_cancel(up);
                return rc;
        }
        store_upload_set_limit(up, r->cfg->limits.max_upload_bytes);
        pthread_mutex_lock(&r->up_lock);
        s = slot_free_locked(r);
        if (s) {
                memcpy(s->id, id, sizeof(s->id));
                snprintf(s->repo, sizeof(s->repo), "%s", repo);
                s->up = up;
                s->busy = 0;
                s->touched = time(NULL);
        }
        pthread_mutex_unlock(&r->up_lock);
        if (!s) {
                store_upload_cancel(up);
                meta_upload_delete(r->meta, id);
                return dou_err_set(DOU_EBUSY, "too many concurrent uploads");
        }
        *ret = s;
        return 0;
}

/* Take the session for a request: from memory, or reopened from disk. */
static int slot_acquire(struct registry *r, const char *id, const char *repo,
                        struct upload_slot **ret)
{
        char owner[OCI_NAME_MAX + 1];
        struct store_upload *up = NULL;
        struct upload_slot *s;
        int rc;

        pthread_mutex_lock(&r->up_lock);
        s = slot_find_locked(r, id);
        if (s && !s->busy && !strcmp(s->repo, repo)) {
                s->busy = 1;
                pthread_mutex_unlock(&r->up_lock);
                *ret = s;
                return 0;
        }
        pthread_mutex_unlock(&r->up_lock);
        if (s)
                return s->busy ? dou_err_set(DOU_EBUSY, "upload is in use by another request")
                               : dou_err_set(DOU_ENOTFOUND, "blob upload unknown to registry");
        if ((rc = meta_upload_get(r->meta, id, owner, sizeof(owner))) < 0)
                return rc;
        if (strcmp(owner, repo) != 0)
                return dou_err_set(DOU_ENOTFOUND, "blob upload unknown to registry");
        if ((rc = store_upload_open(r->store, id, &up)) < 0)
                return rc == DOU_ENOTFOUND ? dou_err_set(DOU_ENOTFOUND, "blob upload unknown to registry") : rc;
        store_upload_set_limit(up, r->cfg->limits.max_upload_bytes);
        pthread_mutex_lock(&r->up_lock);
        s = slot_find_locked(r, id);    /* another request may have reopened it meanwhile */
        if (!s && (s = slot_free_locked(r))) {
                memcpy(s->id, id, STORE_UPLOAD_ID_LEN + 1);
                snprintf(s->repo, sizeof(s->repo), "%s", repo);
                s->up = DOU_TAKE(up);
                s->busy = 0;
        }
        if (s && !s->busy)
                s->busy = 1;
        else
                s = NULL;
        pthread_mutex_unlock(&r->up_lock);
        store_upload_close(up);
        if (!s)
                return dou_err_set(DOU_EBUSY, "too many concurrent uploads");
        *ret = s;
        return 0;
}

static void slot_release(struct registry *r, struct upload_slot *s)
{
        pthread_mutex_lock(&r->up_lock);
        s->busy = 0;
        s->touched = time(NULL);
        pthread_mutex_unlock(&r->up_lock);
}

/* Forget a slot whose upload was committed or cancelled (s->up already consumed). */
static void slot_drop(struct registry *r, struct upload_slot *s)
{
        pthread_mutex_lock(&r->up_lock);
        memset(s, 0, sizeof(*s));
        pthread_mutex_unlock(&r->up_lock);
}

static void upload_location(const struct req *q, const char *id, char *out, size_t n)
{
        snprintf(out, n, "/v2/%s/blobs/uploads/%s", q->route.name, id);
}

/* 202/204 answer describing a session: Location, Range, Docker-Upload-UUID. */
static enum MHD_Result reply_session(struct req *q, unsigned status, const char *id, uint64_t size)
{
        struct MHD_Response *resp = resp_empty();
        char loc[512], range[48];

        upload_location(q, id, loc, sizeof(loc));
        snprintf(range, sizeof(range), "0-%" PRIu64, size ? size - 1 : 0);
        resp_header(resp, "Location", loc);
        resp_header(resp, "Range", range);
        resp_header(resp, "Docker-Upload-UUID", id);
        resp_header(resp, "Content-Length", "0");
        return reply_send(q, status, resp);
}

static enum MHD_Result reply_created(struct req *q, const struct digest *d)
{
        struct MHD_Response *resp = resp_empty();
        char loc[512];

        snprintf(loc, sizeof(loc), "/v2/%s/blobs/%s", q->route.name, d->str);
        resp_header(resp, "Location", loc);
        resp_header(resp, "Docker-Content-Digest", d->str);
        resp_header(resp, "Content-Length", "0");
        return reply_send(q, 201, resp);
}

static int query_digest(struct req *q, const char *name, struct digest *ret, int *present)
{
        const char *v = req_query(q, name);

        *present = v != NULL;
        if (!v)
                return 0;
        return digest_parse(v, strlen(v), ret);
}

static int content_length(struct req *q, uint64_t *ret)
{
        const char *v = req_header(q, "Content-Length");
        char *end;

        if (!v)
                return 0;
        *ret = strtoull(v, &end, 10);
        return (*end == '\0' && end != v) ? 1 : -1;
}

/* Start receiving a body into q->up; the caller has set q->up/q->slot. */
static enum MHD_Result expect_body(struct req *q)
{
        unsigned max = q->reg->cfg->limits.max_concurrent_uploads;
        uint64_t cl, lim = q->reg->cfg->limits.max_upload_bytes;
        int has_cl = content_length(q, &cl);

        if (has_cl < 0)
                return reply_error(q, 400, RC_SIZE_INVALID, "invalid Content-Length");
        if (has_cl && lim && store_upload_size(q->up) + cl > lim) {
                if (cl <= REG_DRAIN_MAX) {
                        /* the session (if any) is released now; the body is drained */
                        if (q->slot) {
                                slot_release(q->reg, q->slot);
                                q->slot = NULL;
                        } else {
                                store_upload_cancel(q->up);
                        }
                        q->up = NULL;
                }
                return reply_refuse_body(q, cl, 413, RC_SIZE_INVALID,
                                         "blob exceeds the configured upload limit");
        }
        if (atomic_fetch_add(&inflight, 1) >= max) {
                atomic_fetch_sub(&inflight, 1);
                return reply_error(q, 429, RC_TOOMANYREQUESTS, "too many concurrent uploads");
        }
        q->counted = 1;
        q->body = BODY_UPLOAD;
        return MHD_YES;
}

static void uncount(struct req *q)
{
        if (q->counted) {
                atomic_fetch_sub(&inflight, 1);
                q->counted = 0;
        }
}

/* If begin answered (an error before the body), undo what it set up. */
static enum MHD_Result early(struct req *q, enum MHD_Result r)
{
        if (q->status == 0)
                return r;
        if (q->slot) {
                slot_release(q->reg, q->slot);
                q->slot = NULL;
                q->up = NULL;
        } else if (q->up) {
                store_upload_cancel(q->up);
                q->up = NULL;
        }
        return r;
}

static enum MHD_Result post_begin(struct req *q)
{
        struct registry *reg = q->reg;
        struct digest d;
        struct upload_slot *s = NULL;
        int present, rc;
        char id[STORE_UPLOAD_ID_LEN + 1];

        if (query_digest(q, "mount", &d, &present) < 0)
                return reply_error(q, 0, RC_DIGEST_INVALID, "invalid mount digest");
        if (present) {
                const char *from = req_query(q, "from");
                if (from && !oci_name_valid(from, strlen(from)))
                        return reply_error(q, 0, RC_NAME_INVALID, "invalid from repository");
                /* with auth on, a mount needs pull on its source; without `from`, none is named */
                rc = (from ? authz_can_pull(q, from) : q->reg->auth == NULL)
                             ? meta_blob_mount(reg->meta, q->route.name, &d, from) : DOU_ENOTFOUND;
                if (rc == 0)
                        return reply_created(q, &d);
                if (rc != DOU_ENOTFOUND)
                        return reply_dou_err(q, rc, RC_BLOB_UNKNOWN);
                /* unknown blob: fall back to a normal upload session, as the spec says */
        } else if (query_digest(q, "digest", &d, &present) < 0) {
                return reply_error(q, 0, RC_DIGEST_INVALID, "invalid or unsupported digest");
        } else if (present) {
                /* monolithic upload: the body is the blob */
                if ((rc = store_upload_new(reg->store, id, &q->up)) < 0)
                        return reply_dou_err(q, rc, RC_BLOB_UPLOAD_INVALID);
                store_upload_set_limit(q->up, reg->cfg->limits.max_upload_bytes);
                return early(q, expect_body(q));
        }
        if ((rc = slot_new(reg, q->route.name, &s)) < 0)
                return reply_dou_err(q, rc, RC_BLOB_UPLOAD_INVALID);
        return reply_session(q, 202, s->id, 0);
}

/* Content-Range on PATCH is "<start>-<end>" (inclusive, no unit). */
static int parse_content_range(const char *h, uint64_t *start, uint64_t *end)
{
        char *e;

        if (!strncmp(h, "bytes ", 6))
                h += 6;
        if (*h < '0' || *h > '9')
                return -1;
        *start = strtoull(h, &e, 10);
        if (*e != '-' || e[1] < '0' || e[1] > '9')
                return -1;
        *end = strtoull(e + 1, &e, 10);
        if (*e == '/')          /* tolerate "a-b/total" */
                e += strcspn(e, "");
        return (*e == '\0' && *end >= *start) ? 0 : -1;
}

static enum MHD_Result session_begin(struct req *q, int is_put)
{
        struct registry *reg = q->reg;
        const char *cr = req_header(q, "Content-Range");
        struct digest d;
        int present, rc;

        if (is_put) {
                if (query_digest(q, "digest", &d, &present) < 0 || !present)
                        return reply_error(q, 0, RC_DIGEST_INVALID,
                                           present ? "invalid or unsupported digest"
                                                   : "digest parameter is required");
        }
        if ((rc = slot_acquire(reg, q->route.ref, q->route.name, &q->slot)) < 0)
                return reply_dou_err(q, rc, RC_BLOB_UPLOAD_UNKNOWN);
        q->up = q->slot->up;
        if (cr) {
                uint64_t a, b;
                if (parse_content_range(cr, &a, &b) < 0)
                        return early(q, reply_error(q, 416, RC_RANGE_INVALID, "invalid Content-Range"));
                if (a != store_upload_size(q->up)) {
                        /* out of order: say where the session stands */
                        uint64_t size = store_upload_size(q->up);
                        char sid[STORE_UPLOAD_ID_LEN + 1], loc[512], range[48];
                        struct MHD_Response *resp = resp_empty();
                        memcpy(sid, q->slot->id, sizeof(sid));
                        slot_release(reg, q->slot);
                        q->slot = NULL;
                        q->up = NULL;
                        upload_location(q, sid, loc, sizeof(loc));
                        snprintf(range, sizeof(range), "0-%" PRIu64, size ? size - 1 : 0);
                        resp_header(resp, "Location", loc);
                        resp_header(resp, "Range", range);
                        snprintf(q->err_msg, sizeof(q->err_msg), "chunk out of order");
                        return reply_send(q, 416, resp);
                }
                q->has_range = 1;
                q->range_end = b + 1;
        }
        return early(q, expect_body(q));
}

enum MHD_Result upload_begin(struct req *q)
{
        if (q->route.kind == R_UPLOAD_NEW)
                return post_begin(q);
        return session_begin(q, strcmp(q->method, "PUT") == 0);
}

enum MHD_Result upload_data(struct req *q, const char *data, size_t n)
{
        int rc = store_upload_write(q->up, data, n);

        if (rc == DOU_ETOOBIG)
                req_defer_error(q, 413, RC_SIZE_INVALID, dou_err_msg());
        else if (rc < 0)
                req_defer_error(q, 500, RC_INTERNAL, dou_err_msg());
        return MHD_YES;
}

struct publish_ctx {
        struct registry *reg;
        const char *repo;
        const struct digest *d;
        uint64_t size;
};

static int publish_blob(void *ud, int (*rename_fn)(void *), void *rename_ud)
{
        struct publish_ctx *p = ud;

        return meta_blob_commit(p->reg->meta, p->repo, p->d, p->size, rename_fn, rename_ud);
}

static enum MHD_Result commit(struct req *q, const struct digest *d)
{
        struct registry *reg = q->reg;
        struct publish_ctx p = { reg, q->route.name, d, store_upload_size(q->up) };
        struct upload_slot *s = q->slot;
        int rc;

        rc = store_upload_commit(q->up, d, publish_blob, &p);   /* consumes q->up */
        q->up = NULL;
        if (s) {
                /* s->up now dangles, but s stays busy (nobody else touches it) until dropped */
                meta_upload_delete(reg->meta, s->id);
                slot_drop(reg, s);
                q->slot = NULL;
        }
        if (rc < 0)
                return reply_dou_err(q, rc, RC_BLOB_UPLOAD_INVALID);
        metrics_upload(reg->metrics, 0, p.size);
        return reply_created(q, d);
}

enum MHD_Result upload_finish(struct req *q)
{
        struct digest d;
        int present;

        uncount(q);
        q->body = BODY_NONE;
        if (q->has_range && store_upload_size(q->up) != q->range_end) {
                upload_abort(q);
                return reply_error(q, 400, RC_BLOB_UPLOAD_INVALID,
                                   "chunk length does not match Content-Range");
        }
        if (q->route.kind == R_UPLOAD_NEW || strcmp(q->method, "PUT") == 0) {
                query_digest(q, "digest", &d, &present);        /* validated at begin */
                return commit(q, &d);
        }
        /* PATCH: keep the session, report progress */
        uint64_t size = store_upload_size(q->up);
        char id[STORE_UPLOAD_ID_LEN + 1];
        memcpy(id, q->slot->id, sizeof(id));
        slot_release(q->reg, q->slot);
        q->slot = NULL;
        q->up = NULL;
        return reply_session(q, 202, id, size);
}

void upload_abort(struct req *q)
{
        uncount(q);
        if (q->slot) {
                /* a session keeps what it has; the client may ask where it stands */
                slot_release(q->reg, q->slot);
                q->slot = NULL;
                q->up = NULL;
        } else if (q->up) {
                store_upload_cancel(q->up);     /* one-shot upload: nothing stays */
                q->up = NULL;
        }
}

enum MHD_Result upload_status(struct req *q)
{
        struct upload_slot *s;
        uint64_t size;
        char id[STORE_UPLOAD_ID_LEN + 1];
        int rc = slot_acquire(q->reg, q->route.ref, q->route.name, &s);

        if (rc < 0)
                return reply_dou_err(q, rc, RC_BLOB_UPLOAD_UNKNOWN);
        size = store_upload_size(s->up);
        memcpy(id, s->id, sizeof(id));
        slot_release(q->reg, s);
        return reply_session(q, 204, id, size);
}

enum MHD_Result upload_cancel(struct req *q)
{
        struct registry *reg = q->reg;
        struct upload_slot *s;
        int rc = slot_acquire(reg, q->route.ref, q->route.name, &s);

        if (rc < 0)
                return reply_dou_err(q, rc, RC_BLOB_UPLOAD_UNKNOWN);
        store_upload_cancel(s->up);
        meta_upload_delete(reg->meta, s->id);
        slot_drop(reg, s);
        return reply_empty(q, 204, NULL);
}
