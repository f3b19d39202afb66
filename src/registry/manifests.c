/*
 * manifests.c - GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>.
 *
 * Manifests are stored byte for byte in the content store (their digest is
 * of the bytes received, with the algorithm of the reference when pushed
 * by digest, else sha256) and indexed in the metadata store with what the
 * referrers API and gc need. Validation: the document must parse as one of
 * the four supported types, its media type must agree with Content-Type,
 * and everything it references must exist; the check and the insert are
 * one transaction (meta_manifest_put).
 */
#include "registry/reg_int.h"
#include "oci/oci.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum MHD_Result manifest_get(struct req *q)
{
        struct registry *reg = q->reg;
        struct meta_manifest m;
        struct MHD_Response *resp;
        char etag[DIGEST_STR_MAX + 4];
        uint64_t size;
        int fd, rc;

        if ((rc = meta_manifest_get(reg->meta, q->route.name, q->route.ref, &m)) < 0)
                return reply_dou_err(q, rc, RC_MANIFEST_UNKNOWN);
        if ((rc = store_blob_open(reg->store, &m.digest, &fd, &size)) < 0)
                return reply_dou_err(q, rc, RC_MANIFEST_UNKNOWN);
        if (reply_fd(q, 200, fd, 0, size, &resp) != MHD_YES)
                return MHD_NO;
        snprintf(etag, sizeof(etag), "\"%s\"", m.digest.str);
        resp_header(resp, "Content-Type", m.media_type);
        resp_header(resp, "Docker-Content-Digest", m.digest.str);
        resp_header(resp, "ETag", etag);
        return reply_send(q, 200, resp);
}

enum MHD_Result manifest_put_begin(struct req *q)
{
        uint64_t max = q->reg->cfg->limits.max_manifest_bytes;
        const char *cl = req_header(q, "Content-Length");
        uint64_t declared = cl ? strtoull(cl, NULL, 10) : 0;

        if (declared > max)
                return reply_refuse_body(q, declared, 413, RC_SIZE_INVALID,
                                         "manifest exceeds the size limit");
        q->max = (size_t)max;
        q->body = BODY_BUFFER;
        return MHD_YES;
}

/* Layers a registry is not expected to hold (Docker foreign / OCI non-distributable). */
static int non_distributable(const char *mt)
{
        return mt && (strstr(mt, "foreign") || strstr(mt, "nondistributable"));
}

struct put_ctx {
        struct registry *reg;
        struct meta_manifest_put *p;
};

static int publish_manifest(void *ud, int (*rename_fn)(void *), void *rename_ud)
{
        struct put_ctx *c = ud;

        return meta_manifest_put(c->reg->meta, c->p, rename_fn, rename_ud);
}

/* Split the parsed descriptors into "blobs that must exist" and "children". */
static int collect_refs(const struct oci_manifest *m, struct digest **ret_blobs, size_t *nb,
                        struct digest **ret_children, size_t *nc)
{
        struct digest *blobs = calloc(m->n_items + 1, sizeof(*blobs));
        struct digest *kids = calloc(m->n_items + 1, sizeof(*kids));
        size_t b = 0, k = 0;

        if (!blobs || !kids) {
                free(blobs);
                free(kids);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        if (m->kind == OCI_KIND_MANIFEST) {
                blobs[b++] = m->config.digest;
                for (size_t i = 0; i < m->n_items; i++)
                        if (!non_distributable(m->items[i].media_type))
                                blobs[b++] = m->items[i].digest;
        } else {
                for (size_t i = 0; i < m->n_items; i++)
                        kids[k++] = m->items[i].digest;
        }
        *ret_blobs = blobs;
        *nb = b;
        *ret_children = kids;
        *nc = k;
        return 0;
}

static enum MHD_Result reply_put(struct req *q, const struct digest *d, const struct oci_manifest *m)
{
        struct MHD_Response *resp = resp_empty();
        char loc[512];

        snprintf(loc, sizeof(loc), "/v2/%s/manifests/%s", q->route.name, d->str);
        resp_header(resp, "Location", loc);
        resp_header(resp, "Docker-Content-Digest", d->str);
        resp_header(resp, "Content-Length", "0");
        if (m->has_subject)
                resp_header(resp, "OCI-Subject", m->subject.digest.str);
        return reply_send(q, 201, resp);
}

static int store_manifest(struct req *q, const struct digest *d, const struct oci_manifest *m)
{
        struct registry *reg = q->reg;
        struct digest *blobs = NULL, *kids = NULL;
        size_t nb = 0, nk = 0;
        char id[STORE_UPLOAD_ID_LEN + 1];
        struct store_upload *up;
        int rc;

        if ((rc = collect_refs(m, &blobs, &nb, &kids, &nk)) < 0)
                return rc;
        struct meta_manifest_put p = {
                .repo = q->route.name,
                .tag = q->route.ref_is_digest ? NULL : q->route.ref,
                .digest = d,
                .media_type = m->media_type,
                .size = q->len,
                .artifact_type = m->artifact_type,
                .subject = m->has_subject ? &m->subject.digest : NULL,
                .annotations_json = m->annotations_json,
                .blobs = blobs, .n_blobs = nb,
                .children = kids, .n_children = nk,
        };
        struct put_ctx c = { reg, &p };
        rc = store_upload_new(reg->store, id, &up);
        if (rc == 0 && (rc = store_upload_write(up, q->buf, q->len)) < 0)
                store_upload_cancel(up);
        else if (rc == 0)
                rc = store_upload_commit(up, d, publish_manifest, &c);
        free(blobs);
        free(kids);
        return rc;
}

enum MHD_Result manifest_put_finish(struct req *q)
{
        struct oci_manifest m;
        struct digest d;
        enum digest_alg alg = q->route.ref_is_digest ? q->route.digest.alg : DIGEST_SHA256;
        enum MHD_Result ret;
        int rc;

        q->body = BODY_NONE;
        rc = oci_manifest_parse(q->buf ? q->buf : "", q->len, req_header(q, "Content-Type"), &m);
        if (rc < 0)
                return reply_error(q, 400, RC_MANIFEST_INVALID, dou_err_msg());
        if (digest_buf(alg, q->buf ? q->buf : "", q->len, &d) < 0) {
                oci_manifest_free(&m);
                return reply_error(q, 0, RC_INTERNAL, dou_err_msg());
        }
        if (q->route.ref_is_digest && strcmp(d.str, q->route.digest.str) != 0) {
                oci_manifest_free(&m);
                return reply_error(q, 0, RC_DIGEST_INVALID, "manifest digest does not match the reference");
        }
        rc = store_manifest(q, &d, &m);
        if (rc == DOU_ENOTFOUND)
                ret = reply_error(q, 0, RC_MANIFEST_BLOB_UNKNOWN, dou_err_msg());
        else if (rc < 0)
                ret = reply_dou_err(q, rc, RC_MANIFEST_INVALID);
        else
                ret = reply_put(q, &d, &m);
        oci_manifest_free(&m);
        return ret;
}

enum MHD_Result manifest_delete(struct req *q)
{
        int rc = q->route.ref_is_digest
                         ? meta_manifest_delete(q->reg->meta, q->route.name, &q->route.digest)
                         : meta_tag_delete(q->reg->meta, q->route.name, q->route.ref);

        if (rc < 0)
                return reply_dou_err(q, rc, RC_MANIFEST_UNKNOWN);
        return reply_empty(q, 202, NULL);
}
