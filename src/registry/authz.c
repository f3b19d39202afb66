/*
 * authz.c - the registry's side of access control: which actions a route
 * needs, asking auth_check() before any handler runs, and the /token
 * endpoint. All decisions live in src/auth; this file only translates
 * between HTTP and struct auth_request / auth_result.
 */
#include "registry/reg_int.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_FORM_MAX (64u * 1024)
#define TOKEN_MAX_ARGS 32

static int is(const struct req *q, const char *m)
{
        return strcmp(q->method, m) == 0;
}

/* What a request needs: repo (or NULL for registry-wide) and action bits. */
static int needs(const struct req *q, const char **repo, unsigned *actions)
{
        int read = is(q, "GET") || q->is_head;

        *repo = NULL;
        *actions = 0;
        switch (q->route.kind) {
        case R_BASE:
                return 1;               /* any authenticated caller */
        case R_CATALOG:
                *actions = AUTH_PULL;   /* registry:catalog:* */
                return 1;
        case R_TAGS:
        case R_REFERRERS:
                *repo = q->route.name;
                *actions = AUTH_PULL;
                return 1;
        case R_MANIFEST:
        case R_BLOB:
                *repo = q->route.name;
                *actions = read ? AUTH_PULL : is(q, "DELETE") ? AUTH_DELETE : AUTH_PUSH | AUTH_PULL;
                return 1;
        case R_UPLOAD_NEW:
        case R_UPLOAD:
                *repo = q->route.name;
                *actions = AUTH_PUSH | AUTH_PULL;
                return 1;
        default:
                return 0;               /* /metrics, /healthz, /token: not guarded here */
        }
}

static void remote(struct req *q, char *out, size_t n)
{
        const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        char host[64] = "-";

        if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
                          host, sizeof(host));
        else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr,
                          host, sizeof(host));
        snprintf(out, n, "%s", host);
}

/*
 * The TLS client's certificate as PEM (malloc'ed), or NULL. libmicrohttpd
 * only asks for one when a client CA is configured; whether to trust it is
 * auth's decision (it verifies the chain against auth.mtls.ca itself).
 */
static char *client_cert(struct req *q)
{
        const union MHD_ConnectionInfo *ci;
        const gnutls_datum_t *certs;
        gnutls_datum_t pem = { NULL, 0 };
        unsigned n = 0;
        char *out;

        if (!q->reg->tls_client_ca_pem)
                return NULL;
        ci = MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        if (!ci || !ci->tls_session)
                return NULL;
        certs = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
        if (!certs || n == 0 || gnutls_pem_base64_encode2("CERTIFICATE", &certs[0], &pem) < 0)
                return NULL;
        out = malloc(pem.size + 1);
        if (out) {
                memcpy(out, pem.data, pem.size);
                out[pem.size] = '\0';
        }
        gnutls_free(pem.data);
        return out;
}

static enum MHD_Result reply_verdict(struct req *q, const struct auth_result *res)
{
        switch (res->verdict) {
        case AUTH_CHALLENGE: {
                struct MHD_Response *resp;
                const char *body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":"
                                   "\"authentication required\",\"detail\":{}}]}";
                resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                       MHD_RESPMEM_PERSISTENT);
                if (!resp)
                        return MHD_NO;
                resp_header(resp, "Content-Type", "application/json");
                resp_header(resp, "WWW-Authenticate", res->www_authenticate);
                return reply_send(q, 401, resp);
        }
        case AUTH_LIMITED:
                return reply_error(q, 429, RC_TOOMANYREQUESTS, "too many requests");
        case AUTH_DENY:
        default:
                return reply_error(q, 403, RC_DENIED, "requested access to the resource is denied");
        }
}

/*
 * May the caller of q pull `repo`? Used for the source of a cross-repository
 * mount: without pull on `from`, the mount is not attempted and the client
 * uploads normally (the spec's fallback), so a mount never leaks content.
 */
int authz_can_pull(struct req *q, const char *repo)
{
        struct auth *a = q->reg->auth;
        struct auth_request ar = { 0 };
        struct auth_result res;
        char addr[64];

        if (!a)
                return 1;
        remote(q, addr, sizeof(addr));
        ar.method = "GET";
        ar.repo = repo;
        ar.actions = AUTH_PULL;
        ar.authorization = req_header(q, "Authorization");
        ar.remote_addr = addr;
        memset(&res, 0, sizeof(res));
        return auth_check(a, &ar, &res) == 0 && res.verdict == AUTH_ALLOW;
}

int authz_check(struct req *q)
{
        struct auth *a = q->reg->auth;
        struct auth_request ar = { 0 };
        struct auth_result res;
        char addr[64];
        const char *repo;
        unsigned actions;

        if (!a || !needs(q, &repo, &actions))
                return 1;
        remote(q, addr, sizeof(addr));
        ar.method = q->method;
        ar.repo = repo;
        ar.actions = actions;
        ar.authorization = req_header(q, "Authorization");
        ar.remote_addr = addr;
        char *pem = client_cert(q);
        ar.client_cert_pem = pem;
        memset(&res, 0, sizeof(res));
        int rc = auth_check(a, &ar, &res);
        free(pem);
        if (rc < 0) {
                reply_error(q, 500, RC_INTERNAL, "authorization failed");
                return 0;
        }
        snprintf(q->subject, sizeof(q->subject), "%s", res.subject);
        if (res.verdict == AUTH_ALLOW)
                return 1;
        /* the denial and its reason go to the access log with the caller's identity */
        snprintf(q->err_msg, sizeof(q->err_msg), "auth: %.240s", res.reason[0] ? res.reason : "denied");
        char reason[sizeof(q->err_msg)];
        memcpy(reason, q->err_msg, sizeof(reason));
        reply_verdict(q, &res);
        memcpy(q->err_msg, reason, sizeof(reason));
        return 0;
}

struct kv_collect {
        const char *keys[TOKEN_MAX_ARGS];
        const char *values[TOKEN_MAX_ARGS];
        size_t n;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
        struct kv_collect *c = cls;

        (void)kind;
        if (c->n == TOKEN_MAX_ARGS)
                return MHD_NO;
        c->keys[c->n] = key;
        c->values[c->n] = value;
        c->n++;
        return MHD_YES;
}

static enum MHD_Result reply_token(struct req *q, int rc, int status, char *body,
                                   const struct auth_result *res)
{
        struct MHD_Response *resp;

        if (res) {
                snprintf(q->subject, sizeof(q->subject), "%s", res->subject);
                if (res->verdict != AUTH_ALLOW)
                        snprintf(q->err_msg, sizeof(q->err_msg), "auth: %.240s", res->reason);
        }
        if (rc < 0 || !body) {
                free(body);
                return reply_error(q, 500, RC_INTERNAL, "token service failed");
        }
        resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(body);
                return MHD_NO;
        }
        q->bytes_out += strlen(body);
        resp_header(resp, "Content-Type", "application/json");
        resp_header(resp, "Cache-Control", "no-store");
        return reply_send(q, (unsigned)status, resp);
}

enum MHD_Result token_begin(struct req *q)
{
        struct auth *a = q->reg->auth;
        struct auth_request ar = { 0 };
        struct auth_result res;
        struct kv_collect kv = { .n = 0 };
        char addr[64];
        char *body = NULL;
        int status = 500, rc;

        if (!a)
                return reply_error(q, 404, RC_UNSUPPORTED, "token service not configured (no auth section)");
        if (is(q, "POST")) {
                q->max = TOKEN_FORM_MAX;
                q->body = BODY_BUFFER;
                return MHD_YES;
        }
        if (!is(q, "GET"))
                return reply_error(q, 405, RC_UNSUPPORTED, "method not allowed on this endpoint");
        remote(q, addr, sizeof(addr));
        ar.method = q->method;
        ar.authorization = req_header(q, "Authorization");
        ar.remote_addr = addr;
        MHD_get_connection_values(q->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &kv);
        memset(&res, 0, sizeof(res));
        rc = auth_token_kv(a, &ar, kv.keys, kv.values, kv.n, &res, &status, &body);
        return reply_token(q, rc, status, body, &res);
}

enum MHD_Result token_finish(struct req *q)
{
        struct auth_request ar = { 0 };
        struct auth_result res;
        char addr[64], *form, *body = NULL;
        int status = 500, rc;

        q->body = BODY_NONE;
        form = malloc(q->len + 1);
        if (!form)
                return MHD_NO;
        memcpy(form, q->buf ? q->buf : "", q->len);
        form[q->len] = '\0';
        remote(q, addr, sizeof(addr));
        ar.method = q->method;
        ar.authorization = req_header(q, "Authorization");
        ar.remote_addr = addr;
        memset(&res, 0, sizeof(res));
        rc = auth_token_req(q->reg->auth, &ar, form, &res, &status, &body);
        memset(form, 0, q->len);        /* the form carries the caller's ID token */
        free(form);
        return reply_token(q, rc, status, body, &res);
}
