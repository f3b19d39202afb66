/*
 * reg_int.h - registry internals shared by the handler files.
 *
 * Request lifecycle (libmicrohttpd): the access handler is called once
 * with the headers (struct req is created, the route parsed and the body
 * mode chosen), then once per chunk of body, then once more with no data,
 * when the handler answers. Errors known from the headers are answered at
 * once, before any body is read; errors found mid-body switch the request
 * to "drain" so the answer goes out after the body.
 */
#ifndef DOUANE_REGISTRY_REG_INT_H
#define DOUANE_REGISTRY_REG_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "auth/auth.h"
#include "config/config.h"
#include "meta/meta.h"
#include "registry/registry.h"
#include "registry/route.h"
#include "store/store.h"

#define REG_MAX_DAEMONS CONFIG_MAX_LISTEN
#define REG_DRAIN_MAX (64ull << 20)     /* body bytes swallowed after an error before closing */
#define REG_STATUS_MAX 600

/* Error codes of the distribution spec, plus the HTTP status each goes with. */
enum reg_code {
        RC_BLOB_UNKNOWN, RC_BLOB_UPLOAD_INVALID, RC_BLOB_UPLOAD_UNKNOWN, RC_DIGEST_INVALID,
        RC_MANIFEST_BLOB_UNKNOWN, RC_MANIFEST_INVALID, RC_MANIFEST_UNKNOWN, RC_NAME_INVALID,
        RC_NAME_UNKNOWN, RC_SIZE_INVALID, RC_UNAUTHORIZED, RC_DENIED, RC_UNSUPPORTED,
        RC_TOOMANYREQUESTS, RC_RANGE_INVALID, RC_INTERNAL,
        RC_COUNT
};

/* An upload session in memory: the open file and its running hash. */
struct upload_slot {
        char id[STORE_UPLOAD_ID_LEN + 1];
        char repo[OCI_NAME_MAX + 1];
        struct store_upload *up;
        int busy;                       /* a request is writing to it */
        time_t touched;
};

struct metrics;

struct registry {
        const struct config *cfg;
        struct store *store;
        struct meta *meta;
        struct MHD_Daemon *daemons[REG_MAX_DAEMONS];
        size_t n_daemons;
        char *tls_cert_pem, *tls_key_pem;
        char *tls_client_ca_pem;        /* set: ask TLS clients for certificates (auth.mtls.ca) */

        pthread_mutex_t up_lock;        /* guards the upload table */
        struct upload_slot *uploads;    /* max_concurrent_uploads slots */
        size_t n_upload_slots;

        struct metrics *metrics;
        struct auth *auth;              /* NULL: no auth section, everyone is served */
        struct indexer *indexer;        /* NULL when indexing is off */
};

enum body_mode {
        BODY_NONE,              /* no body expected: ignore any */
        BODY_UPLOAD,            /* stream into r->up */
        BODY_BUFFER,            /* collect (manifest), bounded */
        BODY_DRAIN,             /* error decided: swallow, answer at the end */
};

struct req {
        struct registry *reg;
        struct MHD_Connection *conn;
        struct route route;
        enum route_error route_err;
        const char *method;
        int is_head;
        int dispatched;
        int in_first_call;              /* dispatch() is running with only the headers in */
        /* an answer decided before the body was read, sent after draining it */
        struct MHD_Response *deferred;
        unsigned deferred_status;
        struct timespec start;
        enum body_mode body;
        uint64_t bytes_in;
        uint64_t drained;

        /* BODY_UPLOAD */
        struct upload_slot *slot;       /* session upload, or NULL for one-shot */
        struct store_upload *up;        /* the file being written */
        uint64_t range_end;             /* PATCH with Content-Range: expected end offset + 1 */
        int has_range;
        int counted;                    /* holds one of the in-flight upload places */

        /* BODY_BUFFER */
        char *buf;
        size_t len, cap, max;

        /* deferred error (BODY_DRAIN) */
        unsigned err_status;
        enum reg_code err_code;
        char err_msg[256];

        unsigned status;                /* what was sent, for logs and metrics */
        uint64_t bytes_out;
        char subject[256];              /* caller identity, from auth */
        char path[512];                 /* request path (no query), for the access log */
};

/* responses (respond.c) */
enum MHD_Result reply_error(struct req *q, unsigned status, enum reg_code code, const char *msg);
enum MHD_Result reply_json(struct req *q, unsigned status, const char *json, const char *ctype);
enum MHD_Result reply_empty(struct req *q, unsigned status, struct MHD_Response *extra_headers);
enum MHD_Result reply_fd(struct req *q, unsigned status, int fd, uint64_t off, uint64_t len,
                         struct MHD_Response **ret_resp);
enum MHD_Result reply_send(struct req *q, unsigned status, struct MHD_Response *resp);
struct MHD_Response *resp_empty(void);
void resp_header(struct MHD_Response *resp, const char *k, const char *v);
void req_defer_error(struct req *q, unsigned status, enum reg_code code, const char *msg);
/*
 * Refuse a request whose declared body is too large: drain a body of at
 * most REG_DRAIN_MAX and answer after it (answering first makes the kernel
 * reset the connection over the unread bytes, and the client never sees
 * the status); answer at once only beyond that.
 */
enum MHD_Result reply_refuse_body(struct req *q, uint64_t declared, unsigned status,
                                  enum reg_code code, const char *msg);
const char *req_header(struct req *q, const char *name);
const char *req_query(struct req *q, const char *name);
/* Map a dou_err from a store/meta call to a spec error and answer. */
enum MHD_Result reply_dou_err(struct req *q, int err, enum reg_code notfound_code);

/* handlers: begin is called with the headers, finish after the body */
enum MHD_Result blob_get(struct req *q);
enum MHD_Result blob_delete(struct req *q);
enum MHD_Result upload_begin(struct req *q);       /* POST/PATCH/PUT: may answer early */
enum MHD_Result upload_data(struct req *q, const char *data, size_t n);
enum MHD_Result upload_finish(struct req *q);
enum MHD_Result upload_status(struct req *q);
enum MHD_Result upload_cancel(struct req *q);
void upload_abort(struct req *q);                   /* connection died mid-body */
int uploads_init(struct registry *r);
void uploads_free(struct registry *r);
enum MHD_Result manifest_get(struct req *q);
enum MHD_Result manifest_put_begin(struct req *q);
enum MHD_Result manifest_put_finish(struct req *q);
enum MHD_Result manifest_delete(struct req *q);
enum MHD_Result tags_list(struct req *q);
enum MHD_Result catalog_list(struct req *q);
enum MHD_Result referrers_list(struct req *q);

/* authz.c */
int authz_check(struct req *q);                     /* 1 = go on, 0 = answered */
int authz_can_pull(struct req *q, const char *repo);
enum MHD_Result token_begin(struct req *q);
enum MHD_Result token_finish(struct req *q);

/* manifests.c: parse-checked bytes in, stored and indexed (also used by the indexer) */
struct oci_manifest;
int registry_store_manifest(struct registry *reg, const char *repo, const char *tag,
                            const char *buf, size_t len, const struct digest *d,
                            const struct oci_manifest *m);

/* indexer.c: inspect every pushed image in the background; /api/v1/images */
int indexer_start(struct registry *r);
void indexer_stop(struct registry *r);
void indexer_enqueue(struct registry *r, const char *repo, const struct digest *d,
                     const char *config_media_type);
enum MHD_Result images_api(struct req *q);

/* metrics.c */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
void metrics_request(struct metrics *m, enum route_kind k, unsigned status, uint64_t in,
                     uint64_t out, double seconds);
void metrics_upload(struct metrics *m, double seconds, uint64_t bytes);
enum MHD_Result metrics_reply(struct req *q);

#endif
