/*
 * respond.c - building and queueing responses, the spec's error body, and
 * request header/query lookups.
 *
 * Every response carries Docker-Distribution-API-Version. Error bodies are
 * {"errors":[{"code","message","detail"}]} with the spec's codes; the
 * message is douane's own sentence (why), never a token or a path on disk.
 */
#include "registry/reg_int.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
        const char *code;
        unsigned status;
} codes[RC_COUNT] = {
        [RC_BLOB_UNKNOWN] = { "BLOB_UNKNOWN", 404 },
        [RC_BLOB_UPLOAD_INVALID] = { "BLOB_UPLOAD_INVALID", 400 },
        [RC_BLOB_UPLOAD_UNKNOWN] = { "BLOB_UPLOAD_UNKNOWN", 404 },
        [RC_DIGEST_INVALID] = { "DIGEST_INVALID", 400 },
        [RC_MANIFEST_BLOB_UNKNOWN] = { "MANIFEST_BLOB_UNKNOWN", 400 },
        [RC_MANIFEST_INVALID] = { "MANIFEST_INVALID", 400 },
        [RC_MANIFEST_UNKNOWN] = { "MANIFEST_UNKNOWN", 404 },
        [RC_NAME_INVALID] = { "NAME_INVALID", 400 },
        [RC_NAME_UNKNOWN] = { "NAME_UNKNOWN", 404 },
        [RC_SIZE_INVALID] = { "SIZE_INVALID", 400 },
        [RC_UNAUTHORIZED] = { "UNAUTHORIZED", 401 },
        [RC_DENIED] = { "DENIED", 403 },
        [RC_UNSUPPORTED] = { "UNSUPPORTED", 400 },
        [RC_TOOMANYREQUESTS] = { "TOOMANYREQUESTS", 429 },
        [RC_RANGE_INVALID] = { "BLOB_UPLOAD_INVALID", 416 },
        [RC_INTERNAL] = { "UNKNOWN", 500 },
};

void resp_header(struct MHD_Response *resp, const char *k, const char *v)
{
        MHD_add_response_header(resp, k, v);
}

struct MHD_Response *resp_empty(void)
{
        return MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
}

enum MHD_Result reply_send(struct req *q, unsigned status, struct MHD_Response *resp)
{
        enum MHD_Result ret;

        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, "Docker-Distribution-API-Version", "registry/2.0");
        q->status = status;
        ret = MHD_queue_response(q->conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

enum MHD_Result reply_json(struct req *q, unsigned status, const char *json, const char *ctype)
{
        size_t n = strlen(json);
        struct MHD_Response *resp =
                MHD_create_response_from_buffer(n, (void *)json, MHD_RESPMEM_MUST_COPY);

        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, "Content-Type", ctype ? ctype : "application/json");
        q->bytes_out += n;
        return reply_send(q, status, resp);
}

enum MHD_Result reply_error(struct req *q, unsigned status, enum reg_code code, const char *msg)
{
        json_t *doc = json_pack("{s:[{s:s,s:s,s:{}}]}", "errors", "code", codes[code].code,
                                "message", msg ? msg : codes[code].code, "detail");
        char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        enum MHD_Result r;

        json_decref(doc);
        if (!s)
                return MHD_NO;
        snprintf(q->err_msg, sizeof(q->err_msg), "%s", msg ? msg : "");
        r = reply_json(q, status ? status : codes[code].status, s, "application/json");
        free(s);
        return r;
}

enum MHD_Result reply_empty(struct req *q, unsigned status, struct MHD_Response *resp)
{
        if (!resp)
                resp = resp_empty();
        return reply_send(q, status, resp);
}

enum MHD_Result reply_fd(struct req *q, unsigned status, int fd, uint64_t off, uint64_t len,
                         struct MHD_Response **ret_resp)
{
        struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64(len, fd, off);

        if (!resp) {
                close(fd);
                return MHD_NO;
        }
        if (!q->is_head)
                q->bytes_out += len;
        (void)status;
        *ret_resp = resp;
        return MHD_YES;
}

void req_defer_error(struct req *q, unsigned status, enum reg_code code, const char *msg)
{
        if (q->body == BODY_DRAIN)
                return;         /* keep the first error */
        q->body = BODY_DRAIN;
        q->err_status = status ? status : codes[code].status;
        q->err_code = code;
        snprintf(q->err_msg, sizeof(q->err_msg), "%s", msg ? msg : "");
}

enum MHD_Result reply_refuse_body(struct req *q, uint64_t declared, unsigned status,
                                  enum reg_code code, const char *msg)
{
        if (declared > REG_DRAIN_MAX)
                return reply_error(q, status, code, msg);
        req_defer_error(q, status, code, msg);
        return MHD_YES;
}

const char *req_header(struct req *q, const char *name)
{
        return MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, name);
}

const char *req_query(struct req *q, const char *name)
{
        return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name);
}

enum MHD_Result reply_dou_err(struct req *q, int err, enum reg_code notfound_code)
{
        switch (err) {
        case DOU_ENOTFOUND:
                return reply_error(q, 0, notfound_code, dou_err_msg());
        case DOU_EDIGEST:
                return reply_error(q, 0, RC_DIGEST_INVALID, dou_err_msg());
        case DOU_EINVAL:
                return reply_error(q, 400, RC_BLOB_UPLOAD_INVALID, dou_err_msg());
        case DOU_ETOOBIG:
                return reply_error(q, 413, RC_SIZE_INVALID, dou_err_msg());
        case DOU_EBUSY:
                return reply_error(q, 0, RC_TOOMANYREQUESTS, dou_err_msg());
        case DOU_ERANGE:
                return reply_error(q, 0, RC_RANGE_INVALID, dou_err_msg());
        default:
                return reply_error(q, 0, RC_INTERNAL, dou_err_msg());
        }
}
