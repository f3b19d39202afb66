/*
 * authsrv.c - a stand-in for the registry's HTTP glue, for end-to-end tests
 * of auth with real clients (skopeo, douane login/token, curl) before the
 * registry is merged. It shows exactly how the registry is meant to call
 * the library: auth_check() on every /v2/ route with the actions the route
 * needs, auth_token_req() on /token, auth_metrics_format() on /metrics,
 * and one log line per decision (subject + reason, never the token).
 * Allowed registry requests get 404 MANIFEST_UNKNOWN / BLOB_UNKNOWN (there is
 * no storage here), so a client can tell "allowed" from "refused".
 *
 * usage: authsrv CONFIG.yaml DATA_DIR PORT
 */
#include "auth/auth.h"
#include "config/config.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct auth *A;

struct qbuf { char s[8192]; size_t n; };

struct kv { const char *k[48]; const char *v[48]; size_t n; };

/* MHD hands out GET arguments split and decoded, one pair per "scope=": exactly auth_token_kv's input. */
static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
        struct kv *q = cls;
        (void)kind;
        if (q->n == 48)
                return MHD_NO;
        q->k[q->n] = k;
        q->v[q->n++] = v;
        return MHD_YES;
}

static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *body, const char *www)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                                 MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(r, "Content-Type", "application/json");
        MHD_add_response_header(r, "Docker-Distribution-API-Version", "registry/2.0");
        if (www)
                MHD_add_response_header(r, "WWW-Authenticate", www);
        enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
        MHD_destroy_response(r);
        return ret;
}

static void remote(struct MHD_Connection *c, char *out, size_t cap)
{
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        char ip[64] = "?";
        int port = 0;
        if (ci && ci->client_addr->sa_family == AF_INET) {
                const struct sockaddr_in *s = (const void *)ci->client_addr;
                inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
                port = ntohs(s->sin_port);
        }
        snprintf(out, cap, "%s:%d", ip, port);
}

/* /v2/NAME/(manifests|blobs|tags)/... -> repo and needed actions */
static int route(const char *method, const char *url, char *repo, size_t cap, unsigned *acts)
{
        const char *p = url + 4, *kinds[] = { "/manifests/", "/blobs/uploads", "/blobs/", "/tags/list" };
        for (size_t i = 0; i < 4; i++) {
                const char *k = strstr(p, kinds[i]);
                if (!k || (size_t)(k - p) >= cap)
                        continue;
                snprintf(repo, cap, "%.*s", (int)(k - p), p);
                if (!strcmp(method, "DELETE"))
                        *acts = AUTH_DELETE;
                else if (i == 1 || !strcmp(method, "PUT") || !strcmp(method, "POST") || !strcmp(method, "PATCH"))
                        *acts = AUTH_PUSH | AUTH_PULL;
                else
                        *acts = AUTH_PULL;
                return 1;
        }
        return 0;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **state)
{
        char addr[80], repo[300];
        struct auth_result res;
        (void)cls, (void)version, (void)upload;

        struct qbuf *body_in = *state;
        if (!body_in) {         /* first call: headers only */
                if (!(*state = calloc(1, sizeof(struct qbuf))))
                        return MHD_NO;
                return MHD_YES;
        }
        if (*upload_size) {     /* keep up to 8 KiB of the body (the token form); answer on the last call */
                size_t n = *upload_size;
                if (n > sizeof(body_in->s) - 1 - body_in->n)
                        n = sizeof(body_in->s) - 1 - body_in->n;
                memcpy(body_in->s + body_in->n, upload, n);
                body_in->n += n;
                body_in->s[body_in->n] = '\0';
                *upload_size = 0;
                return MHD_YES;
        }
        remote(c, addr, sizeof(addr));
        const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        if (!strcmp(url, "/token")) {
                struct auth_request req = { .method = method, .authorization = authz, .remote_addr = addr };
                int status = 500, r;
                char *body = NULL;
                if (!strcmp(method, "POST")) {  /* OAuth2 form in the body */
                        r = auth_token_req(A, &req, body_in->s, &res, &status, &body);
                } else {
                        struct kv q = { .n = 0 };
                        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &q);
                        r = auth_token_kv(A, &req, q.k, q.v, q.n, &res, &status, &body);
                }
                if (r < 0)
                        return reply(c, 500, "{}", NULL);
                fprintf(stderr, "token status=%d subject=%s reason=\"%s\"\n", status, res.subject, res.reason);
                enum MHD_Result ret = reply(c, status, body, NULL);
                free(body);
                return ret;
        }
        if (!strcmp(url, "/metrics")) {
                char m[8192];
                auth_metrics_format(A, m, sizeof(m));
                return reply(c, 200, m, NULL);
        }
        if (strncmp(url, "/v2/", 4) != 0)
                return reply(c, 404, "{}", NULL);
        struct auth_request req = { .method = method, .authorization = authz, .remote_addr = addr };
        if (!strcmp(url, "/v2/_catalog"))
                req.actions = AUTH_PULL;
        else if (strcmp(url, "/v2/") != 0) {
                if (!route(method, url, repo, sizeof(repo), &req.actions))
                        return reply(c, 404, "{\"errors\":[{\"code\":\"NAME_UNKNOWN\"}]}", NULL);
                req.repo = repo;
        }
        auth_check(A, &req, &res);
        fprintf(stderr, "access %s %s verdict=%d subject=%s reason=\"%s\"\n", method, url, res.verdict,
                res.subject, res.reason);
        char body[512];
        switch (res.verdict) {
        case AUTH_ALLOW:
                if (!req.repo)
                        return reply(c, 200, "{}", NULL);
                return reply(c, 404, strstr(url, "/blobs/") ? "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}"
                                                           : "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}", NULL);
        case AUTH_CHALLENGE:
                snprintf(body, sizeof(body), "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"%s\"}]}", res.reason);
                return reply(c, 401, body, res.www_authenticate);
        case AUTH_DENY:
                snprintf(body, sizeof(body), "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"%s\"}]}", res.reason);
                return reply(c, 403, body, NULL);
        default:
                return reply(c, 429, "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\"}]}", NULL);
        }
}

static void done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode t)
{
        (void)cls, (void)c, (void)t;
        free(*state);
        *state = NULL;
}

int main(int argc, char **argv)
{
        char *text = NULL, err[256];
        size_t len;
        sigset_t set;
        int sig;

        if (argc != 4) {
                fprintf(stderr, "usage: authsrv CONFIG.yaml DATA_DIR PORT\n");
                return 2;
        }
        if (fs_read_small(argv[1], CONFIG_FILE_MAX, &text, &len) < 0) {
                fprintf(stderr, "authsrv: %s\n", dou_err_msg());
                return 1;
        }
        json_t *cfg = yaml_to_json(text, len, err, sizeof(err));
        free(text);
        if (!cfg || auth_new(json_object_get(cfg, "auth"), argv[2], &A) < 0 || !A) {
                fprintf(stderr, "authsrv: %s\n", cfg ? dou_err_msg() : err);
                json_decref(cfg);
                return 1;
        }
        json_decref(cfg);
        /* block before MHD starts its threads, so only sigwait() sees them */
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
                                                (uint16_t)atoi(argv[3]), NULL, NULL, handler, NULL,
                                                MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
                                                MHD_OPTION_END);
        if (!d) {
                fprintf(stderr, "authsrv: cannot listen on %s\n", argv[3]);
                auth_free(A);
                return 1;
        }
        fprintf(stderr, "authsrv: listening on %s\n", argv[3]);
        sigwait(&set, &sig);
        MHD_stop_daemon(d);
        auth_free(A);
        return 0;
}
