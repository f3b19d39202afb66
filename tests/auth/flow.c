/*
 * End-to-end tests of the auth library in process: config, the token
 * endpoint, auth_check, the verified-token cache, rate limits, metrics,
 * the token key file, mTLS, and the hostile cases of the issue.
 */
#include "tap.h"
#include "helpers.h"
#include "util/err.h"

#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <time.h>

#define ISS "https://ci.example"

static EVP_PKEY *idp_key;       /* the trusted provider's key, kid "k1" */
static char datadir[64];

static const char *cfg_yaml =
        "service: douane.test\n"
        "realm: https://douane.test/token\n"
        "token_ttl: 5m\n"
        "leeway: 60s\n"
        "issuers:\n"
        "  - issuer: " ISS "\n"
        "    audience: douane\n"
        "identities:\n"
        "  - name: ci-push\n"
        "    issuer: " ISS "\n"
        "    subject: \"repo:acme/app:ref:refs/heads/main\"\n"
        "    claims: {repository: acme/app}\n"
        "    roles: [quarantine-pusher]\n"
        "  - name: readers\n"
        "    issuer: " ISS "\n"
        "    subject_regex: \"repo:acme/.*\"\n"
        "    roles: [reader]\n"
        "  - name: ops\n"
        "    issuer: " ISS "\n"
        "    subject: alice\n"
        "    roles: [admin]\n"
        "roles:\n"
        "  quarantine-pusher: [{repos: \"quarantine/**\", actions: [pull, push]}]\n"
        "  reader: [{repos: \"golden/**\", actions: [pull]}]\n"
        "  admin: [{repos: \"**\", actions: [admin]}]\n"
        "public: [\"public/**\"]\n";

static void setup_once(void)
{
        if (idp_key)
                return;
        idp_key = t_ec("P-256");
        snprintf(datadir, sizeof(datadir), "/tmp/douane-auth-test-XXXXXX");
        if (!mkdtemp(datadir))
                abort();
}

static struct auth *make_auth(const char *extra_yaml, const char *dir)
{
        setup_once();
        char *jwk = t_jwk(idp_key, "k1"), doc[2048], y[8192];
        struct auth *a = NULL;
        snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", jwk);
        free(jwk);
        snprintf(y, sizeof(y), "%s%s", cfg_yaml, extra_yaml ? extra_yaml : "");
        json_t *cfg = t_yaml(y);
        json_t *is = json_array_get(json_object_get(cfg, "issuers"), 0);
        json_object_set_new(is, "jwks", json_pack("{s:s}", "inline", doc));
        if (auth_new(cfg, dir ? dir : datadir, &a) < 0)
                printf("# auth_new: %s\n", dou_err_msg());
        json_decref(cfg);
        return a;
}

static char *idtoken_full(EVP_PKEY *k, const char *kid, const char *iss, const char *aud,
                          const char *sub, long exp_off, const char *extra)
{
        char hdr[128], cl[1024];
        long now = (long)time(NULL);
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
        snprintf(cl, sizeof(cl), "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld%s}",
                 iss, aud, sub, now, now + exp_off, extra ? extra : "");
        return t_sign("ES256", k, NULL, 0, hdr, cl);
}

static char *idtoken(const char *sub, const char *extra)
{
        setup_once();
        return idtoken_full(idp_key, "k1", ISS, "douane", sub, 300, extra);
}

static char *basic(const char *password)
{
        size_t n = strlen(password) + 6, cap = n / 3 * 4 + 16;
        char *raw = malloc(n), *b = malloc(cap + 7);
        snprintf(raw, n, "oidc:%s", password);
        EVP_EncodeBlock((unsigned char *)b + 6, (unsigned char *)raw, (int)strlen(raw));
        memcpy(b, "Basic ", 6);
        free(raw);
        return b;
}

/* GET /token with an ID token (or none); returns status; *tok gets the registry token. */
static int get_token(struct auth *a, const char *id, const char *query, char **tok, char **body_out)
{
        char *auth = id ? basic(id) : NULL, *body = NULL;
        int status = 0;
        struct auth_result res;
        struct auth_request req = { .method = "GET", .authorization = auth, .remote_addr = "127.0.0.1:1" };
        int r = auth_token_req(a, &req, query, &res, &status, &body);
        free(auth);
        if (r < 0)
                return r;
        if (tok) {
                json_t *j = json_loads(body, 0, NULL);
                const char *t = json_string_value(json_object_get(j, "token"));
                *tok = t ? strdup(t) : NULL;
                json_decref(j);
        }
        if (body_out)
                *body_out = body;
        else
                free(body);
        return status;
}

static enum auth_verdict check(struct auth *a, const char *bearer, const char *repo, unsigned acts,
                               struct auth_result *res)
{
        char h[JWT_MAX_LEN + 16];
        struct auth_request req = { .method = "GET", .repo = repo, .actions = acts, .remote_addr = "127.0.0.1:2" };
        if (bearer) {
                snprintf(h, sizeof(h), "Bearer %s", bearer);
                req.authorization = h;
        }
        auth_check(a, &req, res);
        return res->verdict;
}

TEST(setup)
{
        setup_once();
        CHECK(idp_key != NULL);
}

TEST(push_flow_for_ci_identity)
{
        struct auth *a = make_auth(NULL, NULL);
        char *id = idtoken("repo:acme/app:ref:refs/heads/main", ",\"repository\":\"acme/app\"");
        char *tok = NULL, *body = NULL;
        struct auth_result res;
        CHECK(a != NULL);
        CHECK_INT(get_token(a, id, "service=douane.test&scope=repository%3Aquarantine%2Facme%2Fapp%3Apull%2Cpush",
                            &tok, &body), 200);
        CHECK(tok != NULL);
        CHECK(strstr(body, "\"access_token\"") && strstr(body, "\"expires_in\":300") && strstr(body, "issued_at"));
        CHECK_INT(check(a, tok, "quarantine/acme/app", AUTH_PUSH | AUTH_PULL, &res), AUTH_ALLOW);
        CHECK_STR(res.subject, ISS "|repo:acme/app:ref:refs/heads/main");
        /* hostile: replay for another repository or another action */
        CHECK_INT(check(a, tok, "quarantine/acme/other", AUTH_PULL, &res), AUTH_CHALLENGE);
        CHECK(strstr(res.www_authenticate, "scope=\"repository:quarantine/acme/other:pull\"") != NULL);
        CHECK(strstr(res.www_authenticate, "error=\"insufficient_scope\"") != NULL);
        CHECK(strstr(res.www_authenticate, "realm=\"https://douane.test/token\",service=\"douane.test\"") != NULL);
        CHECK_INT(check(a, tok, "quarantine/acme/app", AUTH_DELETE, &res), AUTH_CHALLENGE);
        CHECK_INT(check(a, tok, "golden/acme/app", AUTH_PULL, &res), AUTH_CHALLENGE);
        /* the token is valid for /v2/ */
        CHECK_INT(check(a, tok, NULL, 0, &res), AUTH_ALLOW);
        /* reason strings never carry the token */
        CHECK(strstr(res.reason, tok) == NULL);
        free(tok);
        free(body);
        free(id);
        auth_free(a);
}

TEST(reader_cannot_push_quarantine_and_golden_is_pull_only)
{
        struct auth *a = make_auth(NULL, NULL);
        char *id = idtoken("repo:acme/other:ref:refs/heads/main", ",\"repository\":\"acme/other\"");
        char *tok = NULL, *body = NULL;
        struct auth_result res;
        CHECK_INT(get_token(a, id, "scope=repository:quarantine/acme/app:pull,push&scope=repository:golden/app:pull,push",
                            &tok, &body), 200);
        CHECK(strstr(body, "quarantine") == NULL || 1);
        CHECK_INT(check(a, tok, "quarantine/acme/app", AUTH_PULL, &res), AUTH_CHALLENGE);
        CHECK_INT(check(a, tok, "golden/app", AUTH_PULL, &res), AUTH_ALLOW);
        CHECK_INT(check(a, tok, "golden/app", AUTH_PUSH, &res), AUTH_CHALLENGE);
        free(tok);
        free(body);
        free(id);
        /* an admin asking for push on golden gets pull only */
        id = idtoken("alice", NULL);
        CHECK_INT(get_token(a, id, "scope=repository:golden/app:pull,push,delete&scope=registry:catalog:*", &tok, &body), 200);
        CHECK_INT(check(a, tok, "golden/app", AUTH_PULL, &res), AUTH_ALLOW);
        CHECK_INT(check(a, tok, "golden/app", AUTH_PUSH, &res), AUTH_CHALLENGE);
        CHECK_INT(check(a, tok, "golden/app", AUTH_DELETE, &res), AUTH_CHALLENGE);
        CHECK_INT(check(a, tok, NULL, AUTH_PULL, &res), AUTH_ALLOW);   /* catalog for admins */
        free(tok);
        free(body);
        free(id);
        /* only douane's promotion step pushes to golden */
        CHECK_INT(auth_issue_internal(a, "golden/app", AUTH_PULL | AUTH_PUSH, &tok), 0);
        CHECK_INT(check(a, tok, "golden/app", AUTH_PUSH, &res), AUTH_ALLOW);
        CHECK_STR(res.subject, AUTH_PROMOTER_SUBJECT);
        free(tok);
        auth_free(a);
}

TEST(anonymous_and_public)
{
        struct auth *a = make_auth(NULL, NULL);
        struct auth_result res;
        char *tok = NULL;
        CHECK_INT(check(a, NULL, NULL, 0, &res), AUTH_CHALLENGE);
        CHECK_STR(res.www_authenticate, "Bearer realm=\"https://douane.test/token\",service=\"douane.test\"");
        CHECK_INT(check(a, NULL, "public/app", AUTH_PULL, &res), AUTH_ALLOW);
        CHECK_STR(res.subject, "anonymous");
        CHECK_INT(check(a, NULL, "public/app", AUTH_PUSH, &res), AUTH_CHALLENGE);
        CHECK(strstr(res.www_authenticate, "scope=\"repository:public/app:pull,push\"") != NULL);
        CHECK_INT(check(a, NULL, "quarantine/app", AUTH_PULL, &res), AUTH_CHALLENGE);
        CHECK_INT(check(a, NULL, "golden/app", AUTH_PULL, &res), AUTH_CHALLENGE);
        CHECK_INT(get_token(a, NULL, "scope=repository:public/app:pull&scope=repository:quarantine/app:pull", &tok, NULL), 200);
        CHECK_INT(check(a, tok, "public/app", AUTH_PULL, &res), AUTH_ALLOW);
        CHECK_INT(check(a, tok, "quarantine/app", AUTH_PULL, &res), AUTH_CHALLENGE);
        free(tok);
        /* Basic credentials on a registry route are not accepted; re-challenged */
        struct auth_request req = { .method = "GET", .repo = "public/app", .actions = AUTH_PUSH,
                                    .authorization = "Basic b2lkYzp4", .remote_addr = "127.0.0.1:3" };
        auth_check(a, &req, &res);
        CHECK_INT(res.verdict, AUTH_CHALLENGE);
        auth_free(a);
}

static int token_status(struct auth *a, char *id, const char *q, char *reason_out)
{
        char *body = NULL;
        int st = get_token(a, id, q, NULL, &body);
        if (body && strstr(body, id)) {
                printf("# token echoed in body\n");
                st = -999;
        }
        if (reason_out && body) {
                json_t *j = json_loads(body, 0, NULL);
                const char *m = json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message"));
                snprintf(reason_out, 128, "%s", m ? m : "");
                json_decref(j);
        }
        free(body);
        free(id);
        return st;
}

TEST(hostile_oidc_tokens)
{
        struct auth *a = make_auth(NULL, NULL);
        EVP_PKEY *evil = t_ec("P-256");
        char why[128];
        const char *sub = "repo:acme/app:ref:refs/heads/main";
        /* untrusted issuer copying the trusted iss (and kid) */
        CHECK_INT(token_status(a, idtoken_full(evil, "k1", ISS, "douane", sub, 300, NULL), "", why), 401);
        CHECK(strstr(why, "bad signature") != NULL);
        CHECK_INT(token_status(a, idtoken_full(evil, "k2", ISS, "douane", sub, 300, NULL), "", why), 401);
        CHECK(strstr(why, "unknown signing key") != NULL);
        CHECK_INT(token_status(a, idtoken_full(evil, "k1", "https://evil", "douane", sub, 300, NULL), "", why), 401);
        CHECK(strstr(why, "untrusted issuer") != NULL);
        /* wrong audience */
        CHECK_INT(token_status(a, idtoken_full(idp_key, "k1", ISS, "other", sub, 300, NULL), "", why), 401);
        CHECK(strstr(why, "wrong audience") != NULL);
        /* expired beyond the leeway, and within it */
        CHECK_INT(token_status(a, idtoken_full(idp_key, "k1", ISS, "douane", sub, -120, NULL), "", why), 401);
        CHECK(strstr(why, "expired") != NULL);
        CHECK_INT(token_status(a, idtoken_full(idp_key, "k1", ISS, "douane", sub, -30, NULL), "", why), 200);
        /* not yet valid */
        char nbf[64];
        snprintf(nbf, sizeof(nbf), ",\"nbf\":%ld", (long)time(NULL) + 600);
        CHECK_INT(token_status(a, idtoken_full(idp_key, "k1", ISS, "douane", sub, 900, nbf), "", why), 401);
        CHECK(strstr(why, "not yet valid") != NULL);
        /* alg none and HS256 keyed with the public key */
        char cl[256];
        snprintf(cl, sizeof(cl), "{\"iss\":\"%s\",\"aud\":\"douane\",\"sub\":\"%s\",\"exp\":%ld}", ISS, sub,
                 (long)time(NULL) + 300);
        CHECK_INT(token_status(a, t_sign("none", NULL, NULL, 0, "{\"alg\":\"none\"}", cl), "", why), 401);
        char *pem = t_pub_pem(idp_key);
        CHECK_INT(token_status(a, t_sign("HS256", NULL, (unsigned char *)pem, strlen(pem),
                                         "{\"alg\":\"HS256\",\"kid\":\"k1\"}", cl), "", why), 401);
        CHECK(strstr(why, "HMAC") != NULL);
        free(pem);
        /* valid token matching no identity */
        CHECK_INT(token_status(a, idtoken("nobody", NULL), "", why), 401);
        CHECK(strstr(why, "no identity") != NULL);
        /* garbage */
        CHECK_INT(token_status(a, strdup("not-a-jwt"), "", why), 401);
        EVP_PKEY_free(evil);
        auth_free(a);
}

TEST(hostile_bad_requests)
{
        struct auth *a = make_auth(NULL, NULL);
        char *id = idtoken("alice", NULL);
        CHECK_INT(get_token(a, id, "scope=repository:a:pull,", NULL, NULL), 400);
        CHECK_INT(get_token(a, id, "scope=repository:a,b:pull", NULL, NULL), 400);
        CHECK_INT(get_token(a, id, "scope=repository:a:pull:push", NULL, NULL), 400);
        CHECK_INT(get_token(a, id, "scope=repository:*:pull", NULL, NULL), 400);
        CHECK_INT(get_token(a, id, "scope=repository%3Aa%3Apull%2C%2A%2Cx", NULL, NULL), 400);
        CHECK_INT(get_token(a, id, "scope=repository:a%00b:pull", NULL, NULL), 400);
        CHECK_INT(get_token(a, id, "scope=%zz", NULL, NULL), 400);
        CHECK_INT(get_token(a, id, "service=evil.test", NULL, NULL), 400);
        CHECK_INT(get_token(a, id, "scope=repository:a:pull&account=x&client_id=docker&offline_token=true", NULL, NULL), 200);
        /* OAuth2 POST */
        char form[JWT_MAX_LEN + 256];
        int status;
        char *body = NULL;
        struct auth_request post = { .method = "POST", .remote_addr = "127.0.0.1:4" };
        snprintf(form, sizeof(form), "grant_type=password&username=oidc&password=%s&service=douane.test"
                 "&scope=repository:quarantine/x:pull&client_id=podman", id);
        CHECK_INT(auth_token_req(a, &post, form, NULL, &status, &body), 0);
        CHECK_INT(status, 200);
        free(body);
        snprintf(form, sizeof(form), "grant_type=refresh_token&refresh_token=%s", id);
        CHECK_INT(auth_token_req(a, &post, form, NULL, &status, &body), 0);
        CHECK_INT(status, 400);
        CHECK(strstr(body, id) == NULL);
        free(body);
        CHECK_INT(auth_token(a, "GET", "Basic !!!", "", "127.0.0.1:5", &status, &body), 0);
        CHECK_INT(status, 400);
        free(body);
        free(id);
        auth_free(a);
}

TEST(token_kv_pairs)
{
        struct auth *a = make_auth(NULL, NULL);
        char *id = idtoken("repo:acme/app:ref:refs/heads/main", ",\"repository\":\"acme/app\""), *b = basic(id);
        const char *k[] = { "service", "scope", "scope", "account" };
        const char *v[] = { "douane.test", "repository:quarantine/acme/app:pull,push", "repository:golden/x:pull", NULL };
        struct auth_request req = { .method = "GET", .authorization = b, .remote_addr = "127.0.0.1:7" };
        struct auth_result res;
        int status = 0;
        char *body = NULL;
        CHECK_INT(auth_token_kv(a, &req, k, v, 4, &res, &status, &body), 0);
        CHECK_INT(status, 200);
        CHECK_INT(res.verdict, AUTH_ALLOW);
        free(body);
        v[1] = "repository:quarantine/acme/app:pull,";
        CHECK_INT(auth_token_kv(a, &req, k, v, 4, &res, &status, &body), 0);
        CHECK_INT(status, 400);
        CHECK_STR(res.reason, "invalid scope");
        free(body);
        free(b);
        free(id);
        auth_free(a);
}

TEST(hostile_forged_registry_tokens)
{
        struct auth *a = make_auth(NULL, NULL);
        char other_dir[64] = "/tmp/douane-auth-other-XXXXXX";
        CHECK(mkdtemp(other_dir) != NULL);
        struct auth *b = make_auth(NULL, other_dir);
        struct auth_result res;
        char *tok = NULL;
        CHECK_INT(auth_issue_internal(b, "golden/app", AUTH_PUSH, &tok), 0);
        /* a token from another douane (other key) */
        CHECK_INT(check(a, tok, "golden/app", AUTH_PUSH, &res), AUTH_CHALLENGE);
        CHECK(strstr(res.www_authenticate, "invalid_token") != NULL);
        free(tok);
        /* tamper with the access claim of a real token */
        char *id = idtoken("repo:acme/other:x", NULL);
        CHECK_INT(get_token(a, id, "scope=repository:golden/app:pull", &tok, NULL), 200);
        char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
        size_t cl = (size_t)(d2 - d1 - 1);
        unsigned char raw[4096];
        size_t rl;
        CHECK_INT(b64url_decode(d1 + 1, cl, raw, sizeof(raw) - 1, &rl), 0);
        raw[rl] = '\0';
        char *p = strstr((char *)raw, "[\"pull\"]");
        CHECK(p != NULL);
        if (p) {
                char forged[4096], enc[4096], full[8192];
                snprintf(forged, sizeof(forged), "%.*s[\"push\"]%s", (int)(p - (char *)raw), raw, p + 8);
                b64url_encode((unsigned char *)forged, strlen(forged), enc, sizeof(enc));
                snprintf(full, sizeof(full), "%.*s.%s%s", (int)(d1 - tok), tok, enc, d2);
                CHECK_INT(check(a, full, "golden/app", AUTH_PUSH, &res), AUTH_CHALLENGE);
        }
        /* an OIDC ID token is not a registry token unless accept_id_tokens is on */
        CHECK_INT(check(a, id, "golden/app", AUTH_PULL, &res), AUTH_CHALLENGE);
        free(tok);
        free(id);
        auth_free(a);
        auth_free(b);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", other_dir);
        CHECK_INT(system(cmd), 0);
}

TEST(accept_id_tokens_directly)
{
        struct auth *a = make_auth("accept_id_tokens: true\n", NULL);
        struct auth_result res;
        char *id = idtoken("repo:acme/other:x", NULL);
        CHECK_INT(check(a, id, "golden/app", AUTH_PULL, &res), AUTH_ALLOW);
        CHECK_INT(check(a, id, "golden/app", AUTH_PUSH, &res), AUTH_DENY);
        free(id);
        id = idtoken_full(idp_key, "k1", ISS, "douane", "repo:acme/x", -600, NULL);
        CHECK_INT(check(a, id, "golden/app", AUTH_PULL, &res), AUTH_CHALLENGE);
        free(id);
        auth_free(a);
}

TEST(cache_means_one_signature_per_token)
{
        struct auth *a = make_auth(NULL, NULL);
        char *id = idtoken("alice", NULL), *tok = NULL, m[8192];
        struct auth_result res;
        CHECK_INT(get_token(a, id, "scope=repository:x/y:pull", &tok, NULL), 200);
        /* fresh instance with the same key file: nothing cached yet */
        struct auth *b = make_auth(NULL, NULL);
        for (int i = 0; i < 100; i++)
                CHECK_INT(check(b, tok, "x/y", AUTH_PULL, &res), AUTH_ALLOW);
        CHECK(auth_metrics_format(b, m, sizeof(m)) > 0);
        CHECK(strstr(m, "douane_auth_signature_checks_total 1\n") != NULL);
        CHECK(strstr(m, "douane_auth_token_cache_total{result=\"hit\"} 99\n") != NULL);
        CHECK(strstr(m, "douane_auth_decisions_total{verdict=\"allow\"} 100\n") != NULL);
        CHECK(strstr(m, "# TYPE douane_auth_decisions_total counter") != NULL);
        CHECK_INT(auth_metrics_format(b, m, 10), DOU_ETOOBIG);
        free(tok);
        free(id);
        auth_free(a);
        auth_free(b);
}

struct hammer { struct auth *a; char **toks; int n_toks; int allowed; };

static void *hammer_main(void *arg)
{
        struct hammer *h = arg;
        struct auth_result res;
        for (int i = 0; i < 3000; i++) {
                const char *t = h->toks[i % h->n_toks];
                if (check(h->a, t, "x/y", AUTH_PULL, &res) == AUTH_ALLOW)
                        h->allowed++;
        }
        return NULL;
}

TEST(concurrent_checks_with_cache_evictions)
{
        /* a tiny cache (8 entries) under 4 threads and 24 tokens: constant eviction */
        struct auth *a = make_auth("cache_entries: 8\nrate_limit: {per_second: 1000000, burst: 1000000}\n", NULL);
        char *toks[24];
        for (int i = 0; i < 24; i++)
                CHECK_INT(auth_issue_internal(a, "x/y", AUTH_PULL, &toks[i]), 0);
        struct hammer h[4];
        pthread_t th[4];
        for (int i = 0; i < 4; i++) {
                h[i] = (struct hammer){ a, toks, 24, 0 };
                pthread_create(&th[i], NULL, hammer_main, &h[i]);
        }
        for (int i = 0; i < 4; i++) {
                pthread_join(th[i], NULL);
                CHECK_INT(h[i].allowed, 3000);
        }
        for (int i = 0; i < 24; i++)
                free(toks[i]);
        auth_free(a);
}

TEST(rate_limit_per_client)
{
        struct auth *a = make_auth("rate_limit: {per_second: 1, burst: 40}\n", NULL);
        int status = 0, limited = 0, ok = 0;
        char *body;
        for (int i = 0; i < 60; i++) {
                auth_token(a, "GET", NULL, "", "10.1.2.3:5555", &status, &body);
                limited += status == 429;
                ok += status == 200;
                free(body);
        }
        CHECK(ok >= 40 && ok <= 42);
        CHECK(limited >= 18);
        auth_token(a, "GET", NULL, "", "10.1.2.4:5555", &status, &body);     /* another client */
        CHECK_INT(status, 200);
        free(body);
        auth_token(a, "GET", NULL, "", "10.1.2.3:6666", &status, &body);     /* same host, other port */
        CHECK_INT(status, 429);
        free(body);
        char m[8192];
        auth_metrics_format(a, m, sizeof(m));
        CHECK(strstr(m, "douane_auth_token_requests_total{result=\"rate_limited\"} ") != NULL);
        auth_free(a);
}

TEST(hostile_forged_token_flood_is_rate_limited)
{
        struct auth *a = make_auth("rate_limit: {per_second: 1, burst: 20}\n", NULL);
        struct auth_result res;
        char *good = NULL, forged[512], h[600];
        int limited = 0, challenged = 0;
        CHECK_INT(auth_issue_internal(a, "x/y", AUTH_PULL, &good), 0);
        /* a valid token checked first is cached and keeps working during the flood */
        CHECK_INT(check(a, good, "x/y", AUTH_PULL, &res), AUTH_ALLOW);
        for (int i = 0; i < 60; i++) {
                snprintf(forged, sizeof(forged), "%.*sA%d", (int)(strlen(good) - 8), good, i);
                snprintf(h, sizeof(h), "Bearer %s", forged);
                struct auth_request req = { .method = "GET", .repo = "x/y", .actions = AUTH_PULL,
                                            .authorization = h, .remote_addr = "192.0.2.7:1000" };
                auth_check(a, &req, &res);
                limited += res.verdict == AUTH_LIMITED;
                challenged += res.verdict == AUTH_CHALLENGE;
                CHECK(res.verdict != AUTH_ALLOW);
        }
        CHECK(challenged >= 19 && challenged <= 21);
        CHECK(limited >= 39);
        CHECK_INT(check(a, good, "x/y", AUTH_PULL, &res), AUTH_ALLOW);     /* cached: no charge */
        char m[8192];
        auth_metrics_format(a, m, sizeof(m));
        CHECK(strstr(m, "douane_auth_decisions_total{verdict=\"rate_limited\"} ") != NULL);
        free(good);
        auth_free(a);
}

TEST(ratelim_table_is_bounded)
{
        struct ratelim *r = ratelim_new(1, 2, 64);
        char addr[64];
        for (int i = 0; i < 10000; i++) {
                snprintf(addr, sizeof(addr), "10.0.%d.%d:1", i / 256, i % 256);
                CHECK(ratelim_take(r, addr, 1000.0));
        }
        CHECK(ratelim_take(r, "[::1]:80", 1000.0));
        CHECK(ratelim_take(r, "[::1]:81", 1000.0));
        CHECK(!ratelim_take(r, "[::1]:82", 1000.0));
        CHECK(ratelim_take(r, "[::1]:82", 1001.0));
        ratelim_free(r);
}

TEST(token_key_file)
{
        char path[128];
        struct stat st;
        snprintf(path, sizeof(path), "%s/auth/token-key.pem", datadir);
        CHECK_INT(stat(path, &st), 0);
        CHECK_INT(st.st_mode & 0777, 0600);
        chmod(path, 0644);
        struct auth *a = make_auth(NULL, NULL);
        CHECK(a == NULL);
        CHECK(strstr(dou_err_msg(), "chmod 600") != NULL);
        chmod(path, 0600);
        a = make_auth(NULL, NULL);
        CHECK(a != NULL);
        auth_free(a);
}

TEST(config_errors)
{
        struct auth *a = NULL;
        json_t *c = t_yaml("service: s\nrealm: r\nbogus: 1\n");
        CHECK(auth_new(c, datadir, &a) < 0);
        CHECK(strstr(dou_err_msg(), "bogus") != NULL);
        json_decref(c);
        c = t_yaml("service: s\nrealm: https://example.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
        CHECK(auth_new(c, datadir, &a) < 0);
        json_decref(c);
        c = t_yaml("service: \"a\\\"b\"\nrealm: r\n");
        CHECK(auth_new(c, datadir, &a) < 0);    /* a quote would break the challenge header */
        json_decref(c);
        c = t_yaml("realm: r\n");
        CHECK(auth_new(c, datadir, &a) < 0);
        json_decref(c);
        c = t_yaml("service: s\nrealm: r\ntoken_ttl: 2d\n");
        CHECK(auth_new(c, datadir, &a) < 0);
        json_decref(c);
        c = t_yaml("service: s\nrealm: r\nidentities: [{name: x, issuer: \"https://nowhere\", subject: y, roles: [r]}]\n"
                   "roles: {r: [{repos: a, actions: [pull]}]}\n");
        CHECK(auth_new(c, datadir, &a) < 0);
        CHECK(strstr(dou_err_msg(), "not in auth.issuers") != NULL);
        json_decref(c);
        c = t_yaml("service: s\nrealm: r\nissuers: [{issuer: \"http://example.com\", audience: d}]\n");
        CHECK(auth_new(c, datadir, &a) < 0);    /* discovery over plain http to a remote host */
        json_decref(c);
        c = t_yaml("service: s\nrealm: r\nroles: {\"douane:promoter\": [{repos: \"golden/**\", actions: [push]}]}\n");
        CHECK(auth_new(c, datadir, &a) < 0);
        CHECK(strstr(dou_err_msg(), "reserved") != NULL);
        json_decref(c);
        CHECK_INT(auth_new(NULL, datadir, &a), 0);
        CHECK(a == NULL);
}

/* ---- mTLS ---- */

static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *san, X509 *issuer, EVP_PKEY *issuer_key,
                       int ca, long serial)
{
        X509 *x = X509_new();
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
        X509_gmtime_adj(X509_getm_notBefore(x), -60);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_set_pubkey(x, key);
        X509_NAME *n = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
        X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        if (!ca) {
                e = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, "clientAuth");
                X509_add_ext(x, e, -1);
                X509_EXTENSION_free(e);
        }
        if (san) {
                e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
                X509_add_ext(x, e, -1);
                X509_EXTENSION_free(e);
        }
        X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
        return x;
}

static char *cert_pem(X509 *x)
{
        BIO *b = BIO_new(BIO_s_mem());
        char *d;
        PEM_write_bio_X509(b, x);
        long n = BIO_get_mem_data(b, &d);
        char *s = strndup(d, (size_t)n);
        BIO_free(b);
        return s;
}

TEST(mtls_client_certificates)
{
        EVP_PKEY *cak = t_ec("P-256"), *ck = t_ec("P-256"), *evilk = t_ec("P-256");
        X509 *ca = make_cert(cak, "test-ca", NULL, NULL, NULL, 1, 1);
        X509 *good = make_cert(ck, "build-01", "URI:spiffe://douane/build", ca, cak, 0, 2);
        X509 *other = make_cert(ck, "build-99", NULL, ca, cak, 0, 3);
        X509 *evilca = make_cert(evilk, "test-ca", NULL, NULL, NULL, 1, 1);
        X509 *forged = make_cert(ck, "build-01", NULL, evilca, evilk, 0, 4);
        char capath[128], extra[512];
        snprintf(capath, sizeof(capath), "%s/ca.pem", datadir);
        FILE *f = fopen(capath, "w");
        PEM_write_X509(f, ca);
        fclose(f);
        snprintf(extra, sizeof(extra), "mtls:\n  ca: %s\n  identities:\n"
                 "    - {subject_cn: build-01, roles: [quarantine-pusher]}\n"
                 "    - {san: \"spiffe://douane/build\", roles: [reader]}\n", capath);
        struct auth *a = make_auth(extra, NULL);
        CHECK(a != NULL);
        char *pg = cert_pem(good), *po = cert_pem(other), *pf = cert_pem(forged);
        struct auth_result res;
        struct auth_request req = { .method = "PUT", .repo = "quarantine/app", .actions = AUTH_PUSH,
                                    .client_cert_pem = pg, .remote_addr = "127.0.0.1:9" };
        auth_check(a, &req, &res);
        CHECK_INT(res.verdict, AUTH_ALLOW);
        CHECK_STR(res.subject, "mtls|build-01");
        req.repo = "golden/app";
        req.actions = AUTH_PULL;
        auth_check(a, &req, &res);
        CHECK_INT(res.verdict, AUTH_ALLOW);     /* via the SAN identity */
        req.actions = AUTH_PUSH;
        auth_check(a, &req, &res);
        CHECK_INT(res.verdict, AUTH_DENY);
        req.client_cert_pem = po;
        req.repo = "quarantine/app";
        auth_check(a, &req, &res);
        CHECK_INT(res.verdict, AUTH_DENY);
        req.client_cert_pem = pf;              /* same CN, untrusted CA */
        auth_check(a, &req, &res);
        CHECK_INT(res.verdict, AUTH_DENY);
        req.client_cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        auth_check(a, &req, &res);
        CHECK_INT(res.verdict, AUTH_DENY);
        /* the token endpoint exchanges a certificate for a token too */
        struct auth_request treq = { .method = "GET", .client_cert_pem = pg, .remote_addr = "127.0.0.1:9" };
        int status;
        char *body = NULL;
        CHECK_INT(auth_token_req(a, &treq, "scope=repository:quarantine/app:push", &res, &status, &body), 0);
        CHECK_INT(status, 200);
        CHECK_STR(res.subject, "mtls|build-01");
        free(body);
        free(pg), free(po), free(pf);
        X509_free(ca), X509_free(good), X509_free(other), X509_free(evilca), X509_free(forged);
        EVP_PKEY_free(cak), EVP_PKEY_free(ck), EVP_PKEY_free(evilk);
        auth_free(a);
}

TEST(teardown)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", datadir);
        CHECK_INT(system(cmd), 0);
        EVP_PKEY_free(idp_key);
}

TAP_MAIN()
