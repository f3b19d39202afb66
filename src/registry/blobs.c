/*
 * blobs.c - GET/HEAD/DELETE /v2/<name>/blobs/<digest>.
 *
 * A blob is served only if the metadata store says this repository may see
 * it; the bytes come straight from the content store's file through an MHD
 * fd response (sendfile on plain HTTP). One byte range is honoured
 * (RFC 9110): 206 with Content-Range, or 416 when it cannot be satisfied.
 */
#include "registry/reg_int.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Parse "bytes=a-b", "bytes=a-" or "bytes=-n" against size. Returns 1 with
 * [*off, *off+*len) for a satisfiable range, 0 to ignore the header (not a
 * single byte range), -1 when unsatisfiable.
 */
static int parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
        unsigned long long a = 0, b = 0;
        char *end;

        if (strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
                return 0;
        h += 6;
        if (*h == '-') {                        /* suffix: last n bytes */
                b = strtoull(h + 1, &end, 10);
                if (end == h + 1 || *end)
                        return 0;
                if (b == 0 || size == 0)
                        return -1;
                if (b > size)
                        b = size;
                *off = size - b;
                *len = b;
                return 1;
        }
        if (*h < '0' || *h > '9')
                return 0;
        a = strtoull(h, &end, 10);
        if (*end != '-')
                return 0;
        h = end + 1;
        if (*h == '\0') {
                b = size ? size - 1 : 0;
        } else {
                if (*h < '0' || *h > '9')
                        return 0;
                b = strtoull(h, &end, 10);
                if (*end)
                        return 0;
                if (b < a)
                        return 0;       /* syntactically invalid: ignore, per RFC 9110 */
                if (b >= size)
                        b = size - 1;
        }
        if (a >= size)
                return -1;
        *off = a;
        *len = b - a + 1;
        return 1;
}

static void blob_headers(struct MHD_Response *resp, const struct req *q)
{
        char etag[DIGEST_STR_MAX + 4];

        resp_header(resp, "Content-Type", "application/octet-stream");
        resp_header(resp, "Docker-Content-Digest", q->route.digest.str);
        resp_header(resp, "Accept-Ranges", "bytes");
        snprintf(etag, sizeof(etag), "\"%s\"", q->route.digest.str);
        resp_header(resp, "ETag", etag);
        resp_header(resp, "Cache-Control", "max-age=31536000, immutable");
}

enum MHD_Result blob_get(struct req *q)
{
        struct registry *reg = q->reg;
        const struct digest *d = &q->route.digest;
        const char *range = req_header(q, "Range");
        uint64_t size, off = 0, len;
        struct MHD_Response *resp = NULL;
        char cr[96];
        int fd, rc, ranged = 0;

        if ((rc = meta_blob_get(reg->meta, q->route.name, d, &size)) < 0)
                return reply_dou_err(q, rc, RC_BLOB_UNKNOWN);
        if ((rc = store_blob_open(reg->store, d, &fd, &size)) < 0)
                return reply_dou_err(q, rc, RC_BLOB_UNKNOWN);
        len = size;
        if (range) {
                ranged = parse_range(range, size, &off, &len);
                if (ranged < 0) {
                        close(fd);
                        resp = resp_empty();
                        snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
                        resp_header(resp, "Content-Range", cr);
                        return reply_send(q, 416, resp);
                }
        }
        if (len == 0) {
                close(fd);
                resp = resp_empty();
        } else if (reply_fd(q, 200, fd, off, len, &resp) != MHD_YES) {
                return MHD_NO;
        }
        blob_headers(resp, q);
        if (ranged > 0) {
                snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, off,
                         off + len - 1, size);
                resp_header(resp, "Content-Range", cr);
                return reply_send(q, 206, resp);
        }
        return reply_send(q, 200, resp);
}

enum MHD_Result blob_delete(struct req *q)
{
        int rc = meta_blob_unlink(q->reg->meta, q->route.name, &q->route.digest);

        if (rc < 0)
                return reply_dou_err(q, rc, RC_BLOB_UNKNOWN);
        return reply_empty(q, 202, NULL);
}
