/*
 * auth.c - the registry-facing side: config, auth_check, the token endpoint
 * and metrics.
 *
 * Flow (Docker registry token authentication): a request without a usable
 * token gets 401 with a Bearer challenge naming the realm, service and the
 * exact scope it needs; the client exchanges an OIDC ID token (Basic
 * password, or OAuth2 password grant) at the token endpoint for a short
 * ES256 registry token whose access claim is requested ∩ granted; every
 * later request presents that token and is checked against the access
 * claim (from the verified-token cache after the first time). A token that
 * lacks the access gets a fresh 401 with error="insufficient_scope", never a
 * 200. Tokens and credentials never enter reason strings.
 */
#include "auth/auth_int.h"
#include "util/err.h"

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM_MAX 32768
#define FORM_MAX_PARAMS 48
#define TOKEN_ISSUER "douane"
#define TOKEN_TTL_MAX 3600
#define LEEWAY_MAX 300

struct auth {
        char *service;
        char *realm;
        unsigned token_ttl;
        unsigned leeway;
        int accept_id_tokens;
        struct auth_issuer **issuers;
        size_t n_issuers;
        struct auth_rules rules;
        struct mtls *mtls;
        struct vcache *vc;
        struct ratelim *rl;
        EVP_PKEY *key;
        char kid[64];
        atomic_ulong n_allow, n_challenge, n_deny, n_limited;
        atomic_ulong n_tok_ok, n_tok_bad, n_tok_unauth, n_tok_limited;
        atomic_ulong n_cache_hit, n_cache_miss, n_sig;
};

/* ---- config ---- */

static const char *const known_keys[] = {
        "service", "realm", "token_ttl", "leeway", "issuers", "identities", "roles", "public",
        "mtls", "rate_limit", "cache_entries", "accept_id_tokens", NULL,
};

static int header_safe(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\' || *s == 0x7f)
                        return 0;
        return 1;
}

static int parse_top(struct auth *a, json_t *sec)
{
        const char *k, *svc = json_string_value(json_object_get(sec, "service"));
        const char *realm = json_string_value(json_object_get(sec, "realm"));
        json_t *v;
        int r;

        json_object_foreach(sec, k, v) {
                size_t i = 0;
                while (known_keys[i] && strcmp(known_keys[i], k))
                        i++;
                if (!known_keys[i])
                        return dou_err_set(DOU_EINVAL, "auth: unknown key '%s'", k);
        }
        if (!svc || !*svc || !header_safe(svc) || !realm || !*realm || !header_safe(realm))
                return dou_err_set(DOU_EINVAL, "auth: service and realm are required "
                                   "(plain strings without quotes or control characters)");
        /* so that every challenge fits auth_result.www_authenticate */
        if (strlen(realm) > 200 || strlen(svc) > 100)
                return dou_err_set(DOU_EINVAL, "auth: realm (max 200 bytes) or service (max 100) too long");
        if (!(a->service = strdup(svc)) || !(a->realm = strdup(realm)))
                return dou_err_set(DOU_ENOMEM, "out of memory");
        if ((r = conf_duration(sec, "token_ttl", 300, &a->token_ttl)) < 0 ||
            (r = conf_duration(sec, "leeway", AUTH_DEFAULT_LEEWAY, &a->leeway)) < 0)
                return r;
        if (a->token_ttl < 10 || a->token_ttl > TOKEN_TTL_MAX)
                return dou_err_set(DOU_EINVAL, "auth: token_ttl must be between 10s and 1h");
        if (a->leeway > LEEWAY_MAX)
                return dou_err_set(DOU_EINVAL, "auth: leeway must be at most 5m");
        v = json_object_get(sec, "accept_id_tokens");
        a->accept_id_tokens = json_is_true(v) || (json_is_string(v) && !strcmp(json_string_value(v), "true"));
        return 0;
}

static int parse_issuers(struct auth *a, json_t *list)
{
        json_t *o;
        size_t i;
        int r;

        if (list && !json_is_array(list))
                return dou_err_set(DOU_EINVAL, "auth: issuers must be a list");
        a->issuers = calloc(json_array_size(list) + 1, sizeof(*a->issuers));
        if (!a->issuers)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        json_array_foreach(list, i, o) {
                if ((r = issuer_parse(o, &a->issuers[a->n_issuers])) < 0)
                        return r;
                a->n_issuers++;
                if (!strcmp(a->issuers[a->n_issuers - 1]->issuer, TOKEN_ISSUER))
                        return dou_err_set(DOU_EINVAL, "auth: issuer name '%s' is douane's own", TOKEN_ISSUER);
        }
        return 0;
}

static struct auth_issuer *find_issuer(struct auth *a, const char *iss)
{
        for (size_t i = 0; iss && i < a->n_issuers; i++)
                if (!strcmp(a->issuers[i]->issuer, iss))
                        return a->issuers[i];
        return NULL;
}

static unsigned num_or(json_t *o, const char *key, unsigned dflt)
{
        json_t *v = json_object_get(o, key);

        if (json_is_integer(v) && json_integer_value(v) > 0)
                return (unsigned)json_integer_value(v);
        if (json_is_string(v) && atoi(json_string_value(v)) > 0)
                return (unsigned)atoi(json_string_value(v));
        return dflt;
}

static int auth_setup(struct auth *a, json_t *sec, const char *data_dir)
{
        json_t *mtls = json_object_get(sec, "mtls"), *rl = json_object_get(sec, "rate_limit");
        int r;

        if ((r = parse_top(a, sec)) < 0 || (r = parse_issuers(a, json_object_get(sec, "issuers"))) < 0 ||
            (r = rules_parse(sec, &a->rules)) < 0)
                return r;
        for (size_t i = 0; i < a->rules.n_ids; i++)
                if (a->rules.ids[i].kind == PRINCIPAL_OIDC && !find_issuer(a, a->rules.ids[i].issuer))
                        return dou_err_set(DOU_EINVAL, "auth: identity %s names issuer %s, which is not "
                                           "in auth.issuers", a->rules.ids[i].name, a->rules.ids[i].issuer);
        if (mtls) {
                const char *ca = json_string_value(json_object_get(mtls, "ca"));
                if (!ca)
                        return dou_err_set(DOU_EINVAL, "auth: mtls needs ca (a PEM file of client CAs)");
                if ((r = mtls_new(ca, &a->mtls)) < 0)
                        return r;
        }
        a->vc = vcache_new(num_or(sec, "cache_entries", 4096));
        a->rl = ratelim_new(num_or(rl, "per_second", 10), num_or(rl, "burst", 50),
                            num_or(rl, "clients", 4096));
        if (!a->vc || !a->rl)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        if ((r = token_key_load_or_create(data_dir, &a->key)) < 0 ||
            (r = jwk_thumbprint_p256(a->key, a->kid, sizeof(a->kid))) < 0)
                return r;
        return 0;
}

int auth_new(json_t *section, const char *data_dir, struct auth **ret)
{
        struct auth *a;
        int r;

        if (!section || json_is_null(section)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_object(section))
                return dou_err_set(DOU_EINVAL, "auth: must be a map");
        if (!(a = calloc(1, sizeof(*a))))
                return dou_err_set(DOU_ENOMEM, "out of memory");
        if ((r = auth_setup(a, section, data_dir)) < 0) {
                auth_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

struct auth *auth_free(struct auth *a)
{
        if (!a)
                return NULL;
        for (size_t i = 0; i < a->n_issuers; i++)
                issuer_free(a->issuers[i]);
        free(a->issuers);
        rules_clear(&a->rules);
        mtls_free(a->mtls);
        vcache_free(a->vc);
        ratelim_free(a->rl);
        EVP_PKEY_free(a->key);
        free(a->service);
        free(a->realm);
        free(a);
        return NULL;
}

/* ---- verification ---- */

struct oidc_principal {
        struct principal p;
        json_t *claims;                 /* owned */
};

/* snprintf that may truncate on purpose (subjects are cut at 255 bytes in logs). */
__attribute__((format(printf, 3, 4)))
static void strfmt(char *out, size_t cap, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(out, cap, fmt, ap);
        va_end(ap);
}

static void say(char *out, size_t cap, const char *s)
{
        if (out)
                snprintf(out, cap, "%s", s);
}

/* Verify an OIDC ID token from a trusted issuer. reason gets a short fixed text. */
static int verify_oidc(struct auth *a, const char *tok, size_t len, struct oidc_principal *op,
                       char *reason, size_t rlen)
{
        struct jwt j;
        struct auth_issuer *is;
        EVP_PKEY *key = NULL;
        int r;

        memset(op, 0, sizeof(*op));
        if ((r = jwt_parse(tok, len, &j)) < 0) {
                say(reason, rlen, r == DOU_EDENIED ? dou_err_msg() : "malformed token");
                return r;
        }
        is = find_issuer(a, json_string_value(json_object_get(j.claims, "iss")));
        if (!is) {
                jwt_clear(&j);
                say(reason, rlen, "untrusted issuer");
                return dou_err_set(DOU_EDENIED, "untrusted issuer");
        }
        if ((r = issuer_key(is, j.kid, j.alg, time(NULL), &key)) < 0) {
                jwt_clear(&j);
                say(reason, rlen, r == DOU_ENOTFOUND ? "unknown signing key" : "issuer keys unavailable");
                return r;
        }
        atomic_fetch_add(&a->n_sig, 1);
        r = jwt_verify(&j, tok, key);
        EVP_PKEY_free(key);
        if (r < 0) {
                jwt_clear(&j);
                say(reason, rlen, "bad signature");
                return r;
        }
        if ((r = jwt_check_claims(j.claims, is->issuer, is->audience, time(NULL), a->leeway,
                                  reason, rlen)) < 0) {
                jwt_clear(&j);
                return r;
        }
        op->claims = json_incref(j.claims);
        op->p.kind = PRINCIPAL_OIDC;
        op->p.issuer = is->issuer;
        op->p.subject = json_string_value(json_object_get(op->claims, "sub"));
        op->p.claims = op->claims;
        jwt_clear(&j);
        return 0;
}

static int parse_access(json_t *acc, struct vc_entry *e)
{
        json_t *it, *acts, *av;
        size_t i, k;

        if (!json_is_array(acc) || json_array_size(acc) > VCACHE_ACCESS_MAX)
                return DOU_EINVAL;
        json_array_foreach(acc, i, it) {
                const char *type = json_string_value(json_object_get(it, "type"));
                const char *name = json_string_value(json_object_get(it, "name"));
                struct vc_access *x = &e->access[e->n_access];
                if (!type || !name || !json_is_array(acts = json_object_get(it, "actions")))
                        return DOU_EINVAL;
                if (!strcmp(type, "registry") && !strcmp(name, "catalog")) {
                        x->is_catalog = 1;
                } else if (strcmp(type, "repository") || !repo_name_valid(name, strlen(name))) {
                        return DOU_EINVAL;
                }
                snprintf(x->name, sizeof(x->name), "%s", name);
                json_array_foreach(acts, k, av) {
                        const char *s = json_string_value(av);
                        unsigned b = s ? action_parse(s, strlen(s)) : 0;
                        if (!b)
                                return DOU_EINVAL;
                        x->actions |= b;
                }
                e->n_access++;
        }
        return 0;
}

static const char *const kind_names[] = { "anonymous", "oidc", "mtls", "internal" };

/*
 * Verify a registry token (or find it in the cache). A cache miss costs a
 * signature check, so it is charged to the client's rate-limit bucket:
 * a legitimate client misses once per token, a flood of forged tokens is
 * answered 429 before any crypto (DOU_EBUSY).
 */
static int verify_registry(struct auth *a, const char *tok, size_t len, const char *addr,
                           struct vc_entry *e, char *reason, size_t rlen)
{
        struct jwt j;
        const char *kind, *sub;
        int r;

        memset(e, 0, sizeof(*e));
        SHA256((const unsigned char *)tok, len, e->key);
        if (vcache_get(a->vc, e->key, time(NULL) - (time_t)a->leeway, e)) {
                atomic_fetch_add(&a->n_cache_hit, 1);
                return 0;
        }
        atomic_fetch_add(&a->n_cache_miss, 1);
        if (!ratelim_take(a->rl, addr, (double)time(NULL))) {
                say(reason, rlen, "too many token verifications from this client");
                return DOU_EBUSY;
        }
        if ((r = jwt_parse(tok, len, &j)) < 0) {
                say(reason, rlen, r == DOU_EDENIED ? dou_err_msg() : "malformed token");
                return r;
        }
        if (j.alg != JWT_ES256 || strcmp(j.kid, a->kid) != 0) {
                jwt_clear(&j);
                say(reason, rlen, "token not signed by this registry's current key");
                return dou_err_set(DOU_EDENIED, "unknown registry token key");
        }
        atomic_fetch_add(&a->n_sig, 1);
        if ((r = jwt_verify(&j, tok, a->key)) < 0 ||
            (r = jwt_check_claims(j.claims, TOKEN_ISSUER, a->service, time(NULL), a->leeway,
                                  reason, rlen)) < 0) {
                if (r == DOU_EDENIED && reason && !strcmp(dou_err_msg(), "token signature does not verify"))
                        say(reason, rlen, "bad signature");
                jwt_clear(&j);
                return r;
        }
        kind = json_string_value(json_object_get(j.claims, "kind"));
        sub = json_string_value(json_object_get(j.claims, "sub"));
        e->kind = PRINCIPAL_ANON;
        for (int i = 0; kind && i < 4; i++)
                if (!strcmp(kind, kind_names[i]))
                        e->kind = (enum principal_kind)i;
        snprintf(e->subject, sizeof(e->subject), "%s", sub);
        e->exp = (time_t)json_number_value(json_object_get(j.claims, "exp"));
        r = parse_access(json_object_get(j.claims, "access"), e);
        jwt_clear(&j);
        if (r < 0) {
                say(reason, rlen, "malformed access claim");
                return dou_err_set(DOU_EINVAL, "malformed access claim");
        }
        vcache_put(a->vc, e);
        return 0;
}

/* ---- auth_check ---- */

static void challenge(struct auth *a, struct auth_result *res, const char *repo, unsigned need,
                      const char *error)
{
        char acts[64];
        size_t o;

        if (need & AUTH_PUSH)
                need |= AUTH_PULL;      /* a push always reads too; ask once for both */
        o = (size_t)snprintf(res->www_authenticate, sizeof(res->www_authenticate),
                             "Bearer realm=\"%s\",service=\"%s\"", a->realm, a->service);
        if (o < sizeof(res->www_authenticate) && repo) {
                actions_format(need, acts, sizeof(acts));
                o += (size_t)snprintf(res->www_authenticate + o, sizeof(res->www_authenticate) - o,
                                      ",scope=\"repository:%s:%s\"", repo, acts);
        } else if (o < sizeof(res->www_authenticate) && need) {
                o += (size_t)snprintf(res->www_authenticate + o, sizeof(res->www_authenticate) - o,
                                      ",scope=\"registry:catalog:*\"");
        }
        if (o < sizeof(res->www_authenticate) && error)
                snprintf(res->www_authenticate + o, sizeof(res->www_authenticate) - o,
                         ",error=\"%s\"", error);
        res->verdict = AUTH_CHALLENGE;
}

static int finish(struct auth *a, struct auth_result *res)
{
        atomic_ulong *c = res->verdict == AUTH_ALLOW ? &a->n_allow :
                          res->verdict == AUTH_CHALLENGE ? &a->n_challenge :
                          res->verdict == AUTH_DENY ? &a->n_deny : &a->n_limited;
        atomic_fetch_add(c, 1);
        return 0;
}

static void set_subject(struct auth_result *res, const char *issuer, const char *sub)
{
        if (issuer)
                strfmt(res->subject, sizeof(res->subject), "%s|%s", issuer, sub);
        else
                snprintf(res->subject, sizeof(res->subject), "%s", sub);
}

/* Decide for a principal known directly (anonymous, mTLS, ID token). */
static void decide_direct(struct auth *a, const struct principal *p, const struct auth_request *req,
                          struct auth_result *res)
{
        unsigned have;

        if (!req->repo) {
                if (req->actions == 0 || rules_any_admin(&a->rules, p)) {
                        res->verdict = AUTH_ALLOW;
                        say(res->reason, sizeof(res->reason), "granted");
                } else {
                        res->verdict = AUTH_DENY;
                        say(res->reason, sizeof(res->reason), "registry-wide access needs admin");
                }
                return;
        }
        have = rules_grant(&a->rules, p, req->repo);
        if ((have & req->actions) == req->actions) {
                res->verdict = AUTH_ALLOW;
                say(res->reason, sizeof(res->reason), "granted");
        } else {
                res->verdict = AUTH_DENY;
                say(res->reason, sizeof(res->reason), "not granted by any role");
        }
}

static void check_mtls(struct auth *a, const struct auth_request *req, struct auth_result *res)
{
        struct mtls_id id;
        const char *sans[MTLS_MAX_SANS];
        struct principal p = { .kind = PRINCIPAL_MTLS };

        if (mtls_identify(a->mtls, req->client_cert_pem, strlen(req->client_cert_pem), &id) < 0) {
                res->verdict = AUTH_DENY;
                say(res->reason, sizeof(res->reason), dou_err_msg());
                return;
        }
        for (size_t i = 0; i < id.n_sans; i++)
                sans[i] = id.sans[i];
        p.subject = id.cn;
        p.sans = sans;
        p.n_sans = id.n_sans;
        set_subject(res, "mtls", id.cn[0] ? id.cn : id.sans[0]);
        decide_direct(a, &p, req, res);
}

static void check_bearer(struct auth *a, const struct auth_request *req, const char *tok,
                         struct auth_result *res)
{
        size_t len = strlen(tok);
        struct vc_entry e;
        unsigned have = 0;

        if (a->accept_id_tokens) {
                /* An OIDC ID token used directly: recognise it by a trusted iss. */
                struct jwt j;
                int is_oidc = 0;
                if (jwt_parse(tok, len, &j) == 0) {
                        is_oidc = find_issuer(a, json_string_value(json_object_get(j.claims, "iss"))) != NULL;
                        jwt_clear(&j);
                }
                if (is_oidc) {
                        struct oidc_principal op;
                        if (!ratelim_take(a->rl, req->remote_addr, (double)time(NULL))) {
                                res->verdict = AUTH_LIMITED;
                                say(res->reason, sizeof(res->reason), "too many token verifications from this client");
                                return;
                        }
                        if (verify_oidc(a, tok, len, &op, res->reason, sizeof(res->reason)) < 0) {
                                challenge(a, res, req->repo, req->actions, "invalid_token");
                                return;
                        }
                        set_subject(res, op.p.issuer, op.p.subject);
                        decide_direct(a, &op.p, req, res);
                        json_decref(op.claims);
                        return;
                }
        }
        int r = verify_registry(a, tok, len, req->remote_addr, &e, res->reason, sizeof(res->reason));
        if (r == DOU_EBUSY) {
                res->verdict = AUTH_LIMITED;
                return;
        }
        if (r < 0) {
                challenge(a, res, req->repo, req->actions, "invalid_token");
                return;
        }
        set_subject(res, NULL, e.subject);
        if (!req->repo && req->actions == 0) {
                res->verdict = AUTH_ALLOW;
                say(res->reason, sizeof(res->reason), "valid token");
                return;
        }
        for (size_t i = 0; i < e.n_access; i++) {
                if (!req->repo && e.access[i].is_catalog)
                        have = req->actions;
                else if (req->repo && !e.access[i].is_catalog && !strcmp(e.access[i].name, req->repo))
                        have |= rules_separate(e.access[i].actions, e.kind, req->repo);
        }
        if ((have & req->actions) == req->actions) {
                res->verdict = AUTH_ALLOW;
                say(res->reason, sizeof(res->reason), "granted by token");
        } else {
                say(res->reason, sizeof(res->reason), "token does not grant this repository/action");
                challenge(a, res, req->repo, req->actions, "insufficient_scope");
        }
}

int auth_check(struct auth *a, const struct auth_request *req, struct auth_result *res)
{
        const char *h = req->authorization;

        memset(res, 0, sizeof(*res));
        if (!a) {
                res->verdict = AUTH_ALLOW;
                return 0;
        }
        if (req->repo && !repo_name_valid(req->repo, strlen(req->repo))) {
                res->verdict = AUTH_DENY;
                say(res->reason, sizeof(res->reason), "invalid repository name");
                return finish(a, res);
        }
        if (h && !strncasecmp(h, "Bearer ", 7)) {
                while (h[7] == ' ')
                        h++;
                check_bearer(a, req, h + 7, res);
                return finish(a, res);
        }
        if (h && *h) {
                say(res->reason, sizeof(res->reason), "unsupported authorization scheme; "
                    "get a token from the token endpoint");
                challenge(a, res, req->repo, req->actions, NULL);
                return finish(a, res);
        }
        if (req->client_cert_pem && a->mtls) {
                check_mtls(a, req, res);
                return finish(a, res);
        }
        /* Anonymous: public pull only; everything else is asked to log in. */
        say(res->subject, sizeof(res->subject), "anonymous");
        if (req->repo && req->actions == AUTH_PULL) {
                struct principal anon = { .kind = PRINCIPAL_ANON, .subject = "anonymous" };
                if (rules_grant(&a->rules, &anon, req->repo) & AUTH_PULL) {
                        res->verdict = AUTH_ALLOW;
                        say(res->reason, sizeof(res->reason), "public repository");
                        return finish(a, res);
                }
        }
        say(res->reason, sizeof(res->reason), "authentication required");
        challenge(a, res, req->repo, req->actions, NULL);
        return finish(a, res);
}

/* ---- token endpoint ---- */

struct form {
        char *keys[FORM_MAX_PARAMS];
        char *vals[FORM_MAX_PARAMS];
        size_t n;
};

static void form_clear(struct form *f)
{
        for (size_t i = 0; i < f->n; i++) {
                free(f->keys[i]);
                free(f->vals[i]);
        }
        f->n = 0;
}

static int hexval(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
               c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode s[0..n) into a new string; %00 and bad escapes fail. */
static char *pct_decode(const char *s, size_t n)
{
        char *out = malloc(n + 1);
        size_t o = 0;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '+') {
                        out[o++] = ' ';
                } else if (s[i] == '%') {
                        int h, l;
                        if (i + 2 >= n) {
                                free(out);
                                return NULL;
                        }
                        h = hexval(s[i + 1]);
                        l = hexval(s[i + 2]);
                        if (h < 0 || l < 0 || (h == 0 && l == 0)) {
                                free(out);
                                return NULL;
                        }
                        out[o++] = (char)(h * 16 + l);
                        i += 2;
                } else {
                        out[o++] = s[i];
                }
        }
        out[o] = '\0';
        return out;
}

static int form_parse(const char *s, struct form *f)
{
        size_t n = s ? strlen(s) : 0;

        memset(f, 0, sizeof(*f));
        if (n > FORM_MAX)
                return dou_err_set(DOU_ETOOBIG, "request parameters too long");
        for (size_t i = 0; i < n;) {
                const char *amp = memchr(s + i, '&', n - i), *end = amp ? amp : s + n;
                const char *eq = memchr(s + i, '=', (size_t)(end - (s + i)));
                if (end > s + i) {
                        if (f->n == FORM_MAX_PARAMS) {
                                form_clear(f);
                                return dou_err_set(DOU_ETOOBIG, "too many request parameters");
                        }
                        const char *ke = eq ? eq : end;
                        f->keys[f->n] = pct_decode(s + i, (size_t)(ke - (s + i)));
                        f->vals[f->n] = eq ? pct_decode(eq + 1, (size_t)(end - eq - 1)) : strdup("");
                        f->n++;
                        if (!f->keys[f->n - 1] || !f->vals[f->n - 1]) {
                                form_clear(f);
                                return dou_err_set(DOU_EINVAL, "malformed request parameters");
                        }
                }
                i = (size_t)(end - s) + 1;
        }
        return 0;
}

static const char *form_get(const struct form *f, const char *key)
{
        for (size_t i = 0; i < f->n; i++)
                if (!strcmp(f->keys[i], key))
                        return f->vals[i];
        return NULL;
}

static int error_body(int status, const char *code, const char *oauth_code, const char *msg,
                      int *ret_status, char **ret_body)
{
        json_t *j = json_pack("{s:[{s:s, s:s}], s:s, s:s}", "errors", "code", code, "message", msg,
                              "error", oauth_code, "error_description", msg);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

        json_decref(j);
        if (!s)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        *ret_status = status;
        *ret_body = s;
        return 0;
}

/* Basic credentials -> password (the ID token), malloc'ed. */
static int basic_password(const char *h, char **ret)
{
        size_t n, len, cap;
        char *tmp, *colon;
        unsigned char *dec;
        int r;

        while (*h == ' ')
                h++;
        n = strlen(h);
        while (n > 0 && h[n - 1] == ' ')
                n--;
        if (n > JWT_MAX_LEN * 2 || n % 4 != 0)
                return DOU_EINVAL;
        for (int pad = 0; pad < 2 && n > 0 && h[n - 1] == '='; pad++)
                n--;
        if (!(tmp = malloc(n + 1)))
                return DOU_ENOMEM;
        for (size_t i = 0; i < n; i++)
                tmp[i] = h[i] == '+' ? '-' : h[i] == '/' ? '_' : (h[i] == '-' || h[i] == '_') ? '!' : h[i];
        cap = n;
        dec = malloc(cap + 1);
        r = dec ? b64url_decode(tmp, n, dec, cap, &len) : DOU_ENOMEM;
        free(tmp);
        if (r < 0) {
                free(dec);
                return r;
        }
        dec[len] = '\0';
        colon = memchr(dec, ':', len);
        if (!colon || memchr(dec, '\0', len)) {
                free(dec);
                return DOU_EINVAL;
        }
        memmove(dec, colon + 1, len - (size_t)(colon + 1 - (char *)dec) + 1);
        *ret = (char *)dec;
        return 0;
}

static void merge_scope(struct scope_item *items, size_t *n, const struct scope_item *it)
{
        for (size_t i = 0; i < *n; i++)
                if (items[i].is_catalog == it->is_catalog && !strcmp(items[i].name, it->name)) {
                        items[i].actions |= it->actions;
                        return;
                }
        items[(*n)++] = *it;
}

static json_t *access_claim(struct auth *a, const struct principal *p, const struct scope_item *items,
                            size_t n)
{
        json_t *acc = json_array();
        static const char *names[] = { "pull", "push", "delete", "admin" };

        for (size_t i = 0; acc && i < n; i++) {
                unsigned g;
                json_t *acts, *it;
                if (items[i].is_catalog) {
                        if (!rules_any_admin(&a->rules, p))
                                continue;
                        it = json_pack("{s:s, s:s, s:[s]}", "type", "registry", "name", "catalog",
                                       "actions", "*");
                        json_array_append_new(acc, it);
                        continue;
                }
                g = rules_grant(&a->rules, p, items[i].name) & items[i].actions;
                if (!g)
                        continue;
                acts = json_array();
                for (unsigned b = 0; b < 4; b++)
                        if (g & (1u << b))
                                json_array_append_new(acts, json_string(names[b]));
                it = json_pack("{s:s, s:s, s:o}", "type", "repository", "name", items[i].name,
                               "actions", acts);
                json_array_append_new(acc, it);
        }
        return acc;
}

static int mint(struct auth *a, const struct principal *p, const char *subject, json_t *access,
                char **ret_tok, time_t *ret_iat)
{
        unsigned char rnd[16];
        char jti[32];
        time_t now = time(NULL);
        json_t *claims;
        int r;

        if (RAND_bytes(rnd, sizeof(rnd)) != 1 || b64url_encode(rnd, sizeof(rnd), jti, sizeof(jti)) < 0) {
                json_decref(access);
                return dou_err_set(DOU_EINTERNAL, "no randomness");
        }
        claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:o}", "iss", TOKEN_ISSUER,
                           "sub", subject, "aud", a->service, "iat", (json_int_t)now,
                           "nbf", (json_int_t)now, "exp", (json_int_t)(now + a->token_ttl),
                           "jti", jti, "kind", kind_names[p->kind], "access", access);
        if (!claims)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        r = jwt_sign_es256(a->key, a->kid, claims, ret_tok);
        json_decref(claims);
        *ret_iat = now;
        return r;
}

static int token_body(struct auth *a, const char *tok, time_t iat, char **ret_body)
{
        char ts[32];
        struct tm tm;
        json_t *j;

        gmtime_r(&iat, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        j = json_pack("{s:s, s:s, s:I, s:s}", "token", tok, "access_token", tok,
                      "expires_in", (json_int_t)a->token_ttl, "issued_at", ts);
        *ret_body = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        return *ret_body ? 0 : dou_err_set(DOU_ENOMEM, "out of memory");
}

/* Parse the request's parameters into scopes and the ID token (or none). */
static int token_params(struct auth *a, const struct auth_request *req, const struct form *f,
                        struct scope_item *items, size_t *n_items, char **ret_idtoken,
                        char *reason, size_t rlen)
{
        const char *svc = form_get(f, "service"), *gt = form_get(f, "grant_type");
        struct scope_item tmp[SCOPE_MAX_ITEMS];
        size_t nt = 0;

        if (svc && strcmp(svc, a->service) != 0)
                return say(reason, rlen, "unknown service"), DOU_EINVAL;
        for (size_t i = 0; i < f->n; i++)
                if (!strcmp(f->keys[i], "scope") &&
                    scope_parse_list(f->vals[i], strlen(f->vals[i]), tmp, SCOPE_MAX_ITEMS, &nt) < 0)
                        return say(reason, rlen, "invalid scope"), DOU_EINVAL;
        for (size_t i = 0; i < nt; i++)
                merge_scope(items, n_items, &tmp[i]);
        *ret_idtoken = NULL;
        if (req->method && !strcmp(req->method, "POST")) {
                const char *pw = form_get(f, "password");
                if (!gt || strcmp(gt, "password") != 0)
                        return say(reason, rlen, "unsupported grant_type (use password)"), DOU_EUNSUPPORTED;
                if (!pw || !*pw)
                        return say(reason, rlen, "missing password"), DOU_EINVAL;
                return (*ret_idtoken = strdup(pw)) ? 0 : DOU_ENOMEM;
        }
        if (req->authorization && !strncasecmp(req->authorization, "Basic ", 6)) {
                int r = basic_password(req->authorization + 6, ret_idtoken);
                if (r < 0)
                        return say(reason, rlen, "malformed Basic credentials"), DOU_EINVAL;
        } else if (req->authorization && *req->authorization) {
                return say(reason, rlen, "unsupported authorization scheme"), DOU_EINVAL;
        }
        return 0;
}

static int token_deny(struct auth *a, struct auth_result *res, int status, const char *reason,
                      int *ret_status, char **ret_body)
{
        res->verdict = status == 429 ? AUTH_LIMITED : status == 401 ? AUTH_CHALLENGE : AUTH_DENY;
        atomic_fetch_add(status == 429 ? &a->n_tok_limited : status == 401 ? &a->n_tok_unauth : &a->n_tok_bad, 1);
        say(res->reason, sizeof(res->reason), reason);
        return error_body(status, status == 429 ? "TOOMANYREQUESTS" : status == 401 ? "UNAUTHORIZED" : "DENIED",
                          status == 429 ? "slow_down" : status == 401 ? "invalid_grant" : "invalid_request",
                          reason, ret_status, ret_body);
}

/* The token endpoint once parameters are known; f NULL when they did not parse. Frees f. */
static int token_with_form(struct auth *a, const struct auth_request *req, struct form *f,
                           struct auth_result *res_in, int *ret_status, char **ret_body)
{
        struct auth_result scratch, *res = res_in ? res_in : &scratch;
        struct scope_item items[SCOPE_MAX_ITEMS];
        size_t n_items = 0;
        char *idtok = NULL, reason[200] = "";
        struct oidc_principal op = { { .kind = PRINCIPAL_ANON, .subject = "anonymous" }, NULL };
        struct principal *p = &op.p;
        struct mtls_id mid;
        const char *sans[MTLS_MAX_SANS];
        char subject[256], *tok = NULL;
        time_t iat;
        int r;

        memset(res, 0, sizeof(*res));
        say(res->subject, sizeof(res->subject), "anonymous");
        if (!ratelim_take(a->rl, req->remote_addr, (double)time(NULL))) {
                if (f)
                        form_clear(f);
                return token_deny(a, res, 429, "too many token requests from this client", ret_status, ret_body);
        }
        if (!f)
                return token_deny(a, res, 400, "malformed request parameters", ret_status, ret_body);
        r = token_params(a, req, f, items, &n_items, &idtok, reason, sizeof(reason));
        form_clear(f);
        if (r < 0)
                return token_deny(a, res, 400, reason, ret_status, ret_body);
        snprintf(subject, sizeof(subject), "anonymous");
        if (idtok) {
                r = verify_oidc(a, idtok, strlen(idtok), &op, reason, sizeof(reason));
                free(idtok);
                if (r < 0) {
                        char msg[256];
                        snprintf(msg, sizeof(msg), "OIDC token refused: %s", reason);
                        return token_deny(a, res, 401, msg, ret_status, ret_body);
                }
                strfmt(subject, sizeof(subject), "%s|%s", op.p.issuer, op.p.subject);
                snprintf(res->subject, sizeof(res->subject), "%s", subject);
                if (!rules_identity_name(&a->rules, p, reason, sizeof(reason))) {
                        json_decref(op.claims);
                        return token_deny(a, res, 401, "valid OIDC token, but no identity rule matches it",
                                          ret_status, ret_body);
                }
        } else if (req->client_cert_pem && a->mtls) {
                if (mtls_identify(a->mtls, req->client_cert_pem, strlen(req->client_cert_pem), &mid) < 0)
                        return token_deny(a, res, 401, dou_err_msg(), ret_status, ret_body);
                for (size_t i = 0; i < mid.n_sans; i++)
                        sans[i] = mid.sans[i];
                op.p = (struct principal){ .kind = PRINCIPAL_MTLS, .issuer = "mtls", .subject = mid.cn,
                                           .sans = sans, .n_sans = mid.n_sans };
                strfmt(subject, sizeof(subject), "mtls|%s", mid.cn[0] ? mid.cn : mid.sans[0]);
                snprintf(res->subject, sizeof(res->subject), "%s", subject);
        }
        r = mint(a, p, subject, access_claim(a, p, items, n_items), &tok, &iat);
        json_decref(op.claims);
        if (r < 0)
                return r;
        r = token_body(a, tok, iat, ret_body);
        free(tok);
        if (r < 0)
                return r;
        *ret_status = 200;
        res->verdict = AUTH_ALLOW;
        say(res->reason, sizeof(res->reason), "token issued");
        atomic_fetch_add(&a->n_tok_ok, 1);
        return 0;
}

int auth_token_req(struct auth *a, const struct auth_request *req, const char *query_or_form,
                   struct auth_result *res, int *ret_status, char **ret_body)
{
        struct form f;

        if (!a)
                return dou_err_set(DOU_EINVAL, "auth is not configured");
        return token_with_form(a, req, form_parse(query_or_form, &f) == 0 ? &f : NULL, res,
                               ret_status, ret_body);
}

int auth_token_kv(struct auth *a, const struct auth_request *req, const char *const *keys,
                  const char *const *values, size_t n, struct auth_result *res,
                  int *ret_status, char **ret_body)
{
        struct form f = { .n = 0 };
        size_t total = 0;
        int ok = n <= FORM_MAX_PARAMS;

        if (!a)
                return dou_err_set(DOU_EINVAL, "auth is not configured");
        for (size_t i = 0; ok && i < n; i++) {
                const char *v = values[i] ? values[i] : "";
                total += strlen(keys[i]) + strlen(v) + 2;
                f.keys[f.n] = strdup(keys[i]);
                f.vals[f.n] = strdup(v);
                f.n++;
                ok = f.keys[f.n - 1] && f.vals[f.n - 1] && total <= FORM_MAX;
        }
        if (!ok)
                form_clear(&f);
        return token_with_form(a, req, ok ? &f : NULL, res, ret_status, ret_body);
}

int auth_token(struct auth *a, const char *method, const char *authorization,
               const char *query_or_form, const char *remote_addr,
               int *ret_status, char **ret_body)
{
        struct auth_request req = { .method = method, .authorization = authorization,
                                    .remote_addr = remote_addr };
        return auth_token_req(a, &req, query_or_form, NULL, ret_status, ret_body);
}

int auth_issue_internal(struct auth *a, const char *repo, unsigned actions, char **ret_token)
{
        struct principal p = { .kind = PRINCIPAL_INTERNAL, .subject = "promoter" };
        struct scope_item it = { .actions = actions };
        time_t iat;

        if (!a || !repo || !repo_name_valid(repo, strlen(repo)))
                return dou_err_set(DOU_EINVAL, "bad repository for an internal token");
        snprintf(it.name, sizeof(it.name), "%s", repo);
        return mint(a, &p, AUTH_PROMOTER_SUBJECT, access_claim(a, &p, &it, 1), ret_token, &iat);
}

/* ---- metrics ---- */

int auth_metrics_format(struct auth *a, char *buf, size_t n)
{
        size_t o = 0;
        int w;

#define EMIT(...)                                                               \
        do {                                                                    \
                w = snprintf(buf + o, n - o, __VA_ARGS__);                      \
                if (w < 0 || (size_t)w >= n - o)                                \
                        return dou_err_set(DOU_ETOOBIG, "metrics buffer too small"); \
                o += (size_t)w;                                                 \
        } while (0)

        if (!buf || n == 0)
                return dou_err_set(DOU_ETOOBIG, "metrics buffer too small");
        buf[0] = '\0';
        if (!a)
                return 0;
        EMIT("# HELP douane_auth_decisions_total Registry requests decided by auth, by verdict.\n"
             "# TYPE douane_auth_decisions_total counter\n");
        EMIT("douane_auth_decisions_total{verdict=\"allow\"} %lu\n", atomic_load(&a->n_allow));
        EMIT("douane_auth_decisions_total{verdict=\"challenge\"} %lu\n", atomic_load(&a->n_challenge));
        EMIT("douane_auth_decisions_total{verdict=\"deny\"} %lu\n", atomic_load(&a->n_deny));
        EMIT("douane_auth_decisions_total{verdict=\"rate_limited\"} %lu\n", atomic_load(&a->n_limited));
        EMIT("# HELP douane_auth_token_requests_total Token endpoint requests, by result.\n"
             "# TYPE douane_auth_token_requests_total counter\n");
        EMIT("douane_auth_token_requests_total{result=\"issued\"} %lu\n", atomic_load(&a->n_tok_ok));
        EMIT("douane_auth_token_requests_total{result=\"bad_request\"} %lu\n", atomic_load(&a->n_tok_bad));
        EMIT("douane_auth_token_requests_total{result=\"unauthorized\"} %lu\n", atomic_load(&a->n_tok_unauth));
        EMIT("douane_auth_token_requests_total{result=\"rate_limited\"} %lu\n", atomic_load(&a->n_tok_limited));
        EMIT("# HELP douane_auth_token_cache_total Registry token verifications answered from the cache.\n"
             "# TYPE douane_auth_token_cache_total counter\n");
        EMIT("douane_auth_token_cache_total{result=\"hit\"} %lu\n", atomic_load(&a->n_cache_hit));
        EMIT("douane_auth_token_cache_total{result=\"miss\"} %lu\n", atomic_load(&a->n_cache_miss));
        EMIT("# HELP douane_auth_signature_checks_total Token signatures verified.\n"
             "# TYPE douane_auth_signature_checks_total counter\n");
        EMIT("douane_auth_signature_checks_total %lu\n", atomic_load(&a->n_sig));
        EMIT("# HELP douane_auth_jwks_fetches_total JWKS fetches per trusted issuer, by result.\n"
             "# TYPE douane_auth_jwks_fetches_total counter\n");
        for (size_t i = 0; i < a->n_issuers; i++) {
                struct auth_issuer *is = a->issuers[i];
                unsigned long total = atomic_load(&is->n_fetches), err = atomic_load(&is->n_fetch_errors);
                if (!header_safe(is->issuer))
                        continue;
                EMIT("douane_auth_jwks_fetches_total{issuer=\"%s\",result=\"ok\"} %lu\n", is->issuer, total - err);
                EMIT("douane_auth_jwks_fetches_total{issuer=\"%s\",result=\"error\"} %lu\n", is->issuer, err);
        }
#undef EMIT
        return (int)o;
}

/* For tests: the i-th configured issuer. */
struct auth_issuer *auth__issuer(struct auth *a, size_t i)
{
        return a && i < a->n_issuers ? a->issuers[i] : NULL;
}
