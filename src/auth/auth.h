/*
 * auth.h - access control for the registry and the REST API.
 *
 * The registry calls auth_check() for every request before handling it,
 * and routes GET/POST /token to auth_token(). auth knows nothing of HTTP
 * libraries: the registry passes the few request facts it needs and turns
 * the result into a response. With no "auth" section in the config,
 * auth_new() returns NULL and the registry serves everyone (loopback
 * development default).
 */
#ifndef DOUANE_AUTH_AUTH_H
#define DOUANE_AUTH_AUTH_H

#include <jansson.h>
#include <stddef.h>

struct auth;

enum auth_action { AUTH_PULL = 1, AUTH_PUSH = 2, AUTH_DELETE = 4, AUTH_ADMIN = 8 };

struct auth_request {
        const char *method;             /* "GET", "PUT", ... */
        const char *repo;               /* repository name, or NULL for /v2/, /v2/_catalog, API */
        /*
         * enum auth_action bits the operation needs. With repo NULL:
         * 0 = any authenticated caller (GET /v2/), non-zero = a registry-wide
         * operation (/v2/_catalog, admin API) needing registry:catalog:*.
         */
        unsigned actions;
        const char *authorization;      /* Authorization header value or NULL */
        const char *client_cert_pem;    /* verified mTLS client certificate or NULL */
        const char *remote_addr;        /* "ip:port", for rate limits and logs */
};

enum auth_verdict { AUTH_ALLOW, AUTH_CHALLENGE /* 401 */, AUTH_DENY /* 403 */, AUTH_LIMITED /* 429 */ };

struct auth_result {
        enum auth_verdict verdict;
        char www_authenticate[768];     /* set with AUTH_CHALLENGE; always fits (realm/service lengths are capped) */
        char subject[256];              /* "issuer|subject" of the caller, for the access log */
        char reason[256];               /* why, for logs and the error body */
};

/* Build from the config's "auth" section (NULL section -> *ret = NULL, 0). */
int auth_new(json_t *section, const char *data_dir, struct auth **ret);
struct auth *auth_free(struct auth *a);

/*
 * Decide a request. Thread-safe. ALLOW; CHALLENGE (401 + www_authenticate,
 * also for a valid token lacking the scope: error="insufficient_scope");
 * DENY (403: mTLS or direct ID token without the grant, invalid name);
 * LIMITED (429: the client sends more uncached tokens than its rate limit).
 * Log res->subject and res->reason; they never contain credentials.
 */
int auth_check(struct auth *a, const struct auth_request *req, struct auth_result *res);

/*
 * The token endpoint (GET with query, or POST form body). query/form are
 * the raw "k=v&k=v" strings. On success *ret_status is 200 and *ret_body a
 * malloc'ed JSON document the caller frees; on refusal 400/401/429 with an
 * error body.
 */
int auth_token(struct auth *a, const char *method, const char *authorization,
               const char *query_or_form, const char *remote_addr,
               int *ret_status, char **ret_body);

/*
 * Same, with the whole request (so a verified mTLS client certificate can
 * be exchanged for a token too) and a result for the access log: verdict
 * (ALLOW = token issued, CHALLENGE = 401, DENY = 400, LIMITED = 429),
 * subject and reason, never the token. res may be NULL. req->repo and
 * req->actions are ignored.
 */
int auth_token_req(struct auth *a, const struct auth_request *req, const char *query_or_form,
                   struct auth_result *res, int *ret_status, char **ret_body);

/*
 * Same with the parameters already split and percent-decoded (as
 * libmicrohttpd hands out GET arguments: one pair per "scope=", in order).
 * keys/values are borrowed; a NULL value counts as "".
 */
int auth_token_kv(struct auth *a, const struct auth_request *req, const char *const *keys,
                  const char *const *values, size_t n, struct auth_result *res,
                  int *ret_status, char **ret_body);

/*
 * Counters in Prometheus text format, appended by the registry to /metrics.
 * Returns the number of bytes written (NUL excluded) or DOU_ETOOBIG.
 */
int auth_metrics_format(struct auth *a, char *buf, size_t n);

/*
 * A registry token for douane's own promotion step (the only principal
 * that may push to golden/), for in-process use; never reachable through
 * the token endpoint. *ret_token is malloc'ed.
 */
int auth_issue_internal(struct auth *a, const char *repo, unsigned actions, char **ret_token);

/*
 * Repository pattern matching as the rules use it ('*' one path segment,
 * '**' any depth), for other subsystems that select repositories the same
 * way (e.g. which repositories the indexer inspects). 1 = match.
 */
int auth_repo_pattern_match(const char *pattern, const char *name);

#endif
