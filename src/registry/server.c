/*
 * server.c - the HTTP server: libmicrohttpd daemons, the per-request state
 * machine, dispatch to handlers, access log and metrics.
 *
 * Threading: each listen address gets a daemon with a pool of epoll
 * threads. Handlers touch only their struct req, the stores (whose own
 * locking/connections are per thread) and the upload table (under
 * up_lock). Blob downloads are MHD fd responses, which MHD sends with
 * sendfile(2) on plain HTTP.
 */
#include "registry/reg_int.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONN_MEMORY_LIMIT (32u * 1024)      /* per connection; MHD clears it between requests */
#define TLS_FILE_MAX (1u << 20)

static double elapsed(const struct timespec *t0)
{
        struct timespec t1;

        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static enum MHD_Result method_not_allowed(struct req *q)
{
        return reply_error(q, 405, RC_UNSUPPORTED, "method not allowed on this endpoint");
}

static enum MHD_Result route_refused(struct req *q)
{
        switch (q->route_err) {
        case RE_NAME_INVALID:
                return reply_error(q, 0, RC_NAME_INVALID, "invalid repository name");
        case RE_REFERENCE_INVALID:
                return reply_error(q, 400, RC_MANIFEST_INVALID, "invalid tag or digest reference");
        case RE_DIGEST_INVALID:
                return reply_error(q, 0, RC_DIGEST_INVALID, "invalid or unsupported digest");
        case RE_UPLOAD_UNKNOWN:
                return reply_error(q, 0, RC_BLOB_UPLOAD_UNKNOWN, "blob upload unknown to registry");
        default:
                return reply_error(q, 404, RC_NAME_UNKNOWN, "no such endpoint");
        }
}

static int is(const struct req *q, const char *m)
{
        return strcmp(q->method, m) == 0;
}

static int takes_body(const struct req *q)
{
        /* /token answers GETs at once too: it must see the query before any body */
        return is(q, "PUT") || is(q, "POST") || is(q, "PATCH");
}

/* First call: headers only. Either answer now or set up the body mode. */
static enum MHD_Result dispatch(struct req *q)
{
        int get = is(q, "GET") || q->is_head;

        if (q->route_err != RE_OK)
                return route_refused(q);
        if (q->route.kind == R_TOKEN)
                return token_begin(q);
        if (!authz_check(q))
                return MHD_YES;         /* answered: 401/403/429 */
        switch (q->route.kind) {
        case R_BASE:
                return get ? reply_json(q, 200, "{}", NULL) : method_not_allowed(q);
        case R_HEALTH:
                return get ? reply_json(q, 200, "{\"status\":\"ok\"}", NULL) : method_not_allowed(q);
        case R_METRICS:
                return get ? metrics_reply(q) : method_not_allowed(q);
        case R_CATALOG:
                return get ? catalog_list(q) : method_not_allowed(q);
        case R_TAGS:
                return get ? tags_list(q) : method_not_allowed(q);
        case R_REFERRERS:
                return get ? referrers_list(q) : method_not_allowed(q);
        case R_MANIFEST:
                if (get)
                        return manifest_get(q);
                if (is(q, "PUT"))
                        return manifest_put_begin(q);
                if (is(q, "DELETE"))
                        return manifest_delete(q);
                return method_not_allowed(q);
        case R_BLOB:
                if (get)
                        return blob_get(q);
                if (is(q, "DELETE"))
                        return blob_delete(q);
                return method_not_allowed(q);
        case R_UPLOAD_NEW:
                return is(q, "POST") ? upload_begin(q) : method_not_allowed(q);
        case R_UPLOAD:
                if (is(q, "GET"))
                        return upload_status(q);
                if (is(q, "PATCH") || is(q, "PUT"))
                        return upload_begin(q);
                if (is(q, "DELETE"))
                        return upload_cancel(q);
                return method_not_allowed(q);
        case R_IMAGE:
        case R_IMAGE_REPORT:
        case R_IMAGE_SBOM:
        case R_IMAGE_VULNS:
                return images_api(q);
        case R_TOKEN:
        default:
                return reply_error(q, 404, RC_NAME_UNKNOWN, "no such endpoint");
        }
}

static enum MHD_Result take_body(struct req *q, const char *data, size_t n)
{
        q->bytes_in += n;
        switch (q->body) {
        case BODY_UPLOAD:
                return upload_data(q, data, n);
        case BODY_BUFFER:
                if (q->len + n > q->max) {
                        req_defer_error(q, 413, RC_SIZE_INVALID, "request body exceeds the size limit");
                        q->drained += n;
                        return MHD_YES;
                }
                if (q->len + n > q->cap) {
                        size_t cap = q->cap ? q->cap : 8192;
                        while (cap < q->len + n)
                                cap *= 2;
                        if (cap > q->max)
                                cap = q->max;
                        char *p = realloc(q->buf, cap);
                        if (!p)
                                return MHD_NO;
                        q->buf = p;
                        q->cap = cap;
                }
                memcpy(q->buf + q->len, data, n);
                q->len += n;
                return MHD_YES;
        case BODY_DRAIN:
                q->drained += n;
                return q->drained > REG_DRAIN_MAX ? MHD_NO : MHD_YES;
        case BODY_NONE:
        default:
                return MHD_YES;
        }
}

/* Last call: the whole body is in. */
static enum MHD_Result finish(struct req *q)
{
        switch (q->body) {
        case BODY_DRAIN:
                upload_abort(q);
                return reply_error(q, q->err_status, q->err_code, q->err_msg);
        case BODY_UPLOAD:
                return upload_finish(q);
        case BODY_BUFFER:
                return q->route.kind == R_TOKEN ? token_finish(q) : manifest_put_finish(q);
        case BODY_NONE:
        default:
                return reply_error(q, 0, RC_INTERNAL, "request ended without an answer");
        }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *data, size_t *data_size, void **con_cls)
{
        struct registry *reg = cls;
        struct req *q = *con_cls;

        (void)version;
        if (!q) {
                q = calloc(1, sizeof(*q));
                if (!q)
                        return MHD_NO;
                *con_cls = q;
                q->reg = reg;
                q->conn = conn;
                q->method = method;
                q->is_head = strcmp(method, "HEAD") == 0;
                /* the path only: query strings may carry tokens and are never logged */
                snprintf(q->path, sizeof(q->path), "%s", url);
                clock_gettime(CLOCK_MONOTONIC, &q->start);
                dou_err_clear();
                q->route_err = route_parse(url, &q->route);
                /*
                 * Requests that carry a body are dispatched now, so errors
                 * known from the headers are answered before the body is
                 * read. Others wait for the next call: MHD closes the
                 * connection after a response queued this early, and
                 * keep-alive matters for GETs.
                 */
                if (takes_body(q)) {
                        enum MHD_Result r;
                        q->dispatched = 1;
                        q->in_first_call = 1;
                        r = dispatch(q);
                        q->in_first_call = 0;
                        return r;
                }
                return MHD_YES;
        }
        if (!q->dispatched) {
                q->dispatched = 1;
                if (*data_size > 0)
                        *data_size = 0;         /* a body on GET/DELETE is ignored */
                return dispatch(q);
        }
        if (*data_size > 0) {
                enum MHD_Result r = take_body(q, data, *data_size);
                *data_size = 0;
                return r;
        }
        if (q->deferred) {
                struct MHD_Response *resp = q->deferred;
                enum MHD_Result r;
                q->deferred = NULL;
                upload_abort(q);
                r = MHD_queue_response(conn, q->deferred_status, resp);
                MHD_destroy_response(resp);
                return r;
        }
        if (q->status && q->body != BODY_DRAIN)
                return MHD_YES;         /* already answered (early error) */
        return finish(q);
}

static void access_log(struct req *q, const char *remote, double secs)
{
        char status[8], in[24], out[24], ms[24];
        const char *kv[24];
        size_t n = 0;

        snprintf(status, sizeof(status), "%u", q->status);
        snprintf(in, sizeof(in), "%llu", (unsigned long long)q->bytes_in);
        snprintf(out, sizeof(out), "%llu", (unsigned long long)q->bytes_out);
        snprintf(ms, sizeof(ms), "%.2f", secs * 1000);
        kv[n++] = "method"; kv[n++] = q->method;
        kv[n++] = "path"; kv[n++] = q->path;
        kv[n++] = "status"; kv[n++] = status;
        kv[n++] = "bytes_in"; kv[n++] = in;
        kv[n++] = "bytes_out"; kv[n++] = out;
        kv[n++] = "ms"; kv[n++] = ms;
        kv[n++] = "remote"; kv[n++] = remote;
        if (q->subject[0]) {
                kv[n++] = "subject";
                kv[n++] = q->subject;
        }
        if (q->err_msg[0]) {
                kv[n++] = "error";
                kv[n++] = q->err_msg;
        }
        kv[n] = NULL;
        log_kv(q->status >= 500 ? LOG_WARN : LOG_INFO, "request", kv);
}

static void remote_addr(struct MHD_Connection *conn, char *out, size_t n)
{
        const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;
        char host[INET6_ADDRSTRLEN] = "-";
        unsigned port = 0;

        if (sa && sa->sa_family == AF_INET) {
                const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
                inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
                port = ntohs(s4->sin_port);
        } else if (sa && sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
                inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
                port = ntohs(s6->sin6_port);
        }
        snprintf(out, n, "%s:%u", host, port);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct registry *reg = cls;
        struct req *q = *con_cls;
        char remote[INET6_ADDRSTRLEN + 8];
        double secs;

        if (!q)
                return;
        if (q->up || q->counted)
                upload_abort(q);        /* the body never finished */
        if (q->deferred)
                MHD_destroy_response(q->deferred);
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && q->status == 0)
                q->status = 499;        /* client went away before an answer */
        secs = elapsed(&q->start);
        metrics_request(reg->metrics, q->route.kind, q->status, q->bytes_in, q->bytes_out, secs);
        if (reg->cfg->access_log) {
                remote_addr(conn, remote, sizeof(remote));
                access_log(q, remote, secs);
        }
        free(q->buf);
        free(q);
        *con_cls = NULL;
}

/* "host:port", "[v6]:port" or ":port" into a socket address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
        char host[256];
        const char *colon;
        unsigned long port;
        char *end;

        if (s[0] == '[') {
                const char *rb = strchr(s, ']');
                if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
                        return dou_err_set(DOU_EINVAL, "bad listen address %s", s);
                memcpy(host, s + 1, (size_t)(rb - s - 1));
                host[rb - s - 1] = '\0';
                colon = rb + 1;
        } else {
                colon = strrchr(s, ':');
                if (!colon || (size_t)(colon - s) >= sizeof(host))
                        return dou_err_set(DOU_EINVAL, "bad listen address %s (want host:port)", s);
                memcpy(host, s, (size_t)(colon - s));
                host[colon - s] = '\0';
        }
        port = strtoul(colon + 1, &end, 10);
        if (*end || port == 0 || port > 65535)
                return dou_err_set(DOU_EINVAL, "bad port in listen address %s", s);
        memset(ss, 0, sizeof(*ss));
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        if (host[0] == '\0' || !strcmp(host, "0.0.0.0")) {
                s4->sin_family = AF_INET;
                s4->sin_port = htons((uint16_t)port);
                s4->sin_addr.s_addr = htonl(INADDR_ANY);
                *len = sizeof(*s4);
        } else if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
                s4->sin_family = AF_INET;
                s4->sin_port = htons((uint16_t)port);
                *len = sizeof(*s4);
        } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons((uint16_t)port);
                *len = sizeof(*s6);
        } else if (!strcmp(host, "localhost")) {
                s4->sin_family = AF_INET;
                s4->sin_port = htons((uint16_t)port);
                s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                *len = sizeof(*s4);
        } else {
                return dou_err_set(DOU_EINVAL, "listen host must be an IP address: %s", host);
        }
        return 0;
}

static unsigned thread_count(const struct config *cfg)
{
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        if (cfg->threads)
                return cfg->threads;
        /* a few more threads than cores: a fsync at commit must not stall a core's clients */
        return n < 2 ? 4 : (unsigned)(n * 2);
}

static void raise_nofile(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
        char msg[512];

        (void)cls;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        msg[strcspn(msg, "\n")] = '\0';
        log_debug("http: %s", msg);
}

static int start_one(struct registry *r, const char *addr)
{
        const struct config *cfg = r->cfg;
        struct sockaddr_storage ss;
        socklen_t sl;
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                         MHD_USE_TURBO;
        struct MHD_Daemon *d;
        int rc;

        if ((rc = parse_listen(addr, &ss, &sl)) < 0)
                return rc;
        if (ss.ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        if (r->tls_cert_pem)
                flags |= MHD_USE_TLS;
        struct MHD_OptionItem tls_opts[] = {
                { MHD_OPTION_HTTPS_MEM_CERT, 0, r->tls_cert_pem },
                { MHD_OPTION_HTTPS_MEM_KEY, 0, r->tls_key_pem },
                /* a trust list makes the server request (not require) client certificates */
                { r->tls_client_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0,
                  r->tls_client_ca_pem },
                { MHD_OPTION_END, 0, NULL },
        };
        struct MHD_OptionItem none[] = { { MHD_OPTION_END, 0, NULL } };
        d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, r,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                             MHD_OPTION_THREAD_POOL_SIZE, thread_count(cfg),
                             MHD_OPTION_CONNECTION_LIMIT, cfg->limits.max_connections,
                             MHD_OPTION_CONNECTION_TIMEOUT, cfg->limits.conn_timeout_sec,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, r,
                             MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
                             MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                             MHD_OPTION_ARRAY, r->tls_cert_pem ? tls_opts : none,
                             MHD_OPTION_END);
        if (!d)
                return dou_err_errno(DOU_EIO, "cannot listen on %s", addr);
        r->daemons[r->n_daemons++] = d;
        return 0;
}

int registry_new(const struct config *cfg, struct registry **ret)
{
        struct registry *r = calloc(1, sizeof(*r));
        int rc;

        if (!r)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        r->cfg = cfg;
        pthread_mutex_init(&r->up_lock, NULL);
        if ((rc = fs_mkdir_p(cfg->data_dir, 0755)) < 0 ||
            (rc = store_open(cfg->data_dir, &r->store)) < 0 ||
            (rc = meta_open(cfg->data_dir, &r->meta)) < 0 ||
            (rc = uploads_init(r)) < 0) {
                registry_free(r);
                return rc;
        }
        if ((rc = auth_new(json_object_get(cfg->root, "auth"), cfg->data_dir, &r->auth)) < 0) {
                registry_free(r);
                return rc;
        }
        r->metrics = metrics_new();
        if (!r->metrics) {
                registry_free(r);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        if (cfg->tls_cert) {
                const char *ca = json_string_value(json_object_get(
                        json_object_get(json_object_get(cfg->root, "auth"), "mtls"), "ca"));
                if ((rc = fs_read_small(cfg->tls_cert, TLS_FILE_MAX, &r->tls_cert_pem, NULL)) < 0 ||
                    (rc = fs_read_small(cfg->tls_key, TLS_FILE_MAX, &r->tls_key_pem, NULL)) < 0 ||
                    (ca && (rc = fs_read_small(ca, TLS_FILE_MAX, &r->tls_client_ca_pem, NULL)) < 0)) {
                        registry_free(r);
                        return rc;
                }
        }
        *ret = r;
        return 0;
}

static int drop_upload(const char *id, void *ud)
{
        store_upload_remove(ud, id);
        return 0;
}

/* Sessions abandoned longer than the upload TTL, and orphaned temp files, go at start. */
static void purge_stale_uploads(struct registry *r)
{
        unsigned ttl = r->cfg->limits.upload_ttl_sec;
        int n = meta_upload_expire(r->meta, ttl, drop_upload, r->store);
        int f = store_upload_purge(r->store, ttl);

        if (n > 0 || f > 0)
                log_info("removed %d expired upload sessions and %d stale upload files",
                         n > 0 ? n : 0, f > 0 ? f : 0);
}

int registry_start(struct registry *r)
{
        int rc;

        raise_nofile();
        purge_stale_uploads(r);
        if ((rc = indexer_start(r)) < 0)
                return rc;
        for (size_t i = 0; i < r->cfg->n_listen; i++)
                if ((rc = start_one(r, r->cfg->listen[i])) < 0)
                        return rc;
        return 0;
}

void registry_stop(struct registry *r)
{
        for (size_t i = 0; i < r->n_daemons; i++)
                MHD_stop_daemon(r->daemons[i]);
        r->n_daemons = 0;
}

struct registry *registry_free(struct registry *r)
{
        if (!r)
                return NULL;
        registry_stop(r);
        indexer_stop(r);
        uploads_free(r);
        metrics_free(r->metrics);
        auth_free(r->auth);
        meta_close(r->meta);
        store_close(r->store);
        pthread_mutex_destroy(&r->up_lock);
        if (r->tls_key_pem)
                memset(r->tls_key_pem, 0, strlen(r->tls_key_pem));
        free(r->tls_key_pem);
        free(r->tls_cert_pem);
        free(r->tls_client_ca_pem);
        free(r);
        return NULL;
}
