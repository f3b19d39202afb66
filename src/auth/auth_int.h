/*
 * auth_int.h - internal interfaces of the auth library (not for the registry).
 *
 * Pieces, leaf first:
 *   b64url   strict base64url (no padding, canonical trailing bits)
 *   jwt      compact JWS parse with bounds, signature verify, ES256 sign
 *   jwks     JWK / JWK Set -> EVP_PKEY keys with kid, kty, alg
 *   scope    repository name grammar, token-service scope strings
 *   pattern  repository patterns: '*' one segment, '**' any depth
 *   rules    issuers, identities, roles, public, mtls from the config
 *   fetch    bounded HTTP GET (libcurl) for discovery and JWKS
 *   issuer   per-issuer key cache: TTL, one rate-limited refetch per unknown kid
 *   vcache   verified-token cache (hash of token -> principal + access)
 *   ratelim  per-address token buckets for the token endpoint
 *   mtls     client certificate -> (CN, SANs) after chain verification
 *   token    douane's own ES256 key and registry tokens
 * Every function returns 0 or a negative dou_err and never logs.
 */
#ifndef DOUANE_AUTH_AUTH_INT_H
#define DOUANE_AUTH_AUTH_INT_H

#include "auth/auth.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---- bounds ---- */
#define JWT_MAX_LEN 16384               /* whole compact token */
#define JWT_MAX_HEADER 2048             /* decoded header bytes */
#define JWT_MAX_PAYLOAD 12288           /* decoded claims bytes */
#define JWT_MAX_SIG 1024                /* RSA-8192 */
#define JWT_MAX_DEPTH 8                 /* JSON nesting in header/claims */
#define JWT_KID_MAX 128
#define JWKS_MAX_BYTES (1u << 20)       /* 1 MiB, also the fetch cap */
#define JWKS_MAX_KEYS 64
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192
#define REPO_NAME_MAX 255
#define SCOPE_MAX_ITEMS 16              /* scopes per token request */
#define SCOPE_MAX_LEN 1024              /* one scope string */
#define PATTERN_MAX_SEGS 32
#define AUTH_DEFAULT_LEEWAY 60          /* seconds of clock skew accepted */

/* ---- base64url ---- */
/* Decode exactly n chars of s; fails on '=', '+', '/', whitespace, or non-zero pad bits. */
int b64url_decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *ret_len);
/* Encode; returns 0 and writes a NUL-terminated string, DOU_ETOOBIG if cap is short. */
int b64url_encode(const unsigned char *in, size_t n, char *out, size_t cap);

/* ---- JWT ---- */
enum jwt_alg { JWT_ES256 = 1, JWT_ES384, JWT_RS256, JWT_PS256, JWT_EDDSA };

struct jwt {
        enum jwt_alg alg;
        char kid[JWT_KID_MAX + 1];      /* "" when absent */
        json_t *header;
        json_t *claims;
        size_t signing_len;             /* bytes of the token that are signed */
        unsigned char sig[JWT_MAX_SIG];
        size_t sig_len;
};

/* Parse tok[0..len) (no trailing whitespace). On error *j is left cleared. */
int jwt_parse(const char *tok, size_t len, struct jwt *j);
void jwt_clear(struct jwt *j);
const char *jwt_alg_name(enum jwt_alg alg);
/* Verify j's signature over tok[0..j->signing_len) with key; the key type must fit j->alg. */
int jwt_verify(const struct jwt *j, const char *tok, EVP_PKEY *key);
/* Does a key of this type/curve fit alg? (no signature check) */
int jwt_key_fits(enum jwt_alg alg, EVP_PKEY *key);
/* ES256-sign header.claims into a malloc'ed compact token. */
int jwt_sign_es256(EVP_PKEY *key, const char *kid, json_t *claims, char **ret);

/*
 * Standard claim checks: iss equals issuer, aud (string or array) contains
 * audience, exp in the future and nbf/iat not in the future (each with
 * leeway seconds), sub a non-empty string. reason gets a short fixed text.
 */
int jwt_check_claims(json_t *claims, const char *issuer, const char *audience,
                     time_t now, unsigned leeway, char *reason, size_t rlen);

/* ---- JWKS ---- */
struct jwk {
        char kid[JWT_KID_MAX + 1];
        char alg[16];                   /* "" when the JWK does not pin one */
        EVP_PKEY *pkey;
};

struct jwks {
        struct jwk *keys;
        size_t n;
        size_t skipped;                 /* unusable entries ignored (enc keys, bad points, ...) */
};

/* Parse a JWK Set document. Unusable keys are skipped; none usable -> DOU_EINVAL. */
int jwks_parse(const char *buf, size_t len, struct jwks **ret);
/* One JWK object -> key (used by jwks_parse and tests). */
int jwk_to_pkey(json_t *jwk, EVP_PKEY **ret);
struct jwks *jwks_free(struct jwks *s);
/* Key for kid ("" matches a set with exactly one key) fitting alg, up-ref'd, or NULL. */
EVP_PKEY *jwks_find(const struct jwks *s, const char *kid, enum jwt_alg alg);
/* RFC 7638 thumbprint of an EC P-256 public key, base64url. */
int jwk_thumbprint_p256(EVP_PKEY *key, char *out, size_t cap);

/* ---- names, scopes, patterns ---- */
/* Distribution name grammar: components [a-z0-9]+([._]|__|-+)[a-z0-9]+ joined by '/'. */
int repo_name_valid(const char *s, size_t n);

struct scope_item {
        char name[REPO_NAME_MAX + 1];   /* repository name, or "catalog" */
        int is_catalog;                 /* registry:catalog:* */
        unsigned actions;               /* enum auth_action bits */
};

/* Parse one "repository:NAME:a,b" (or "registry:catalog:*"). Strict. */
int scope_parse(const char *s, size_t n, struct scope_item *ret);
/* Parse a scope parameter value, which may hold several scopes separated by spaces. */
int scope_parse_list(const char *s, size_t n, struct scope_item *items, size_t max,
                     size_t *ret_n);
/* "pull,push" in canonical order; "" for 0. */
void actions_format(unsigned actions, char *out, size_t cap);
/* "pull" -> AUTH_PULL, "*" -> all; 0 when unknown. */
unsigned action_parse(const char *s, size_t n);

int pattern_valid(const char *p);
int pattern_match(const char *pattern, const char *name);

/* ---- rules ---- */
#define AUTH_ALL_ACTIONS (AUTH_PULL | AUTH_PUSH | AUTH_DELETE | AUTH_ADMIN)
#define AUTH_PROMOTER_ROLE "douane:promoter"
#define AUTH_PROMOTER_SUBJECT "douane|promoter"

struct auth_grant { char *pattern; unsigned actions; };
struct auth_role { char *name; struct auth_grant *grants; size_t n; };

struct auth_claim_rule {
        char *name;
        char *value;                    /* exact value, or NULL when re is used */
        regex_t re;
        int has_re;
};

enum principal_kind { PRINCIPAL_ANON, PRINCIPAL_OIDC, PRINCIPAL_MTLS, PRINCIPAL_INTERNAL };

struct auth_identity {
        char *name;
        enum principal_kind kind;       /* OIDC or MTLS */
        char *issuer;                   /* OIDC */
        char *audience;                 /* optional extra aud requirement */
        char *subject;                  /* exact, or NULL */
        regex_t subject_re;
        int has_subject_re;
        struct auth_claim_rule *claims;
        size_t n_claims;
        char *cn;                       /* mTLS subject CN, or NULL */
        char *san;                      /* mTLS SAN (DNS/URI/email), or NULL */
        size_t *roles;                  /* indices into rules.roles */
        size_t n_roles;
};

struct auth_issuer;

struct auth_rules {
        struct auth_role *roles;
        size_t n_roles;
        struct auth_identity *ids;
        size_t n_ids;
        char **public;                  /* anonymous pull patterns */
        size_t n_public;
};

/* Who is asking, after verification. claims is borrowed (OIDC only). */
struct principal {
        enum principal_kind kind;
        const char *issuer;
        const char *subject;            /* sub, or CN for mTLS */
        json_t *claims;
        const char *const *sans;        /* mTLS */
        size_t n_sans;
};

int rules_parse(json_t *section, struct auth_rules *r);
void rules_clear(struct auth_rules *r);
/* Actions p may perform on repo (separation rules applied). */
unsigned rules_grant(const struct auth_rules *r, const struct principal *p, const char *repo);
/* Does any identity match p? (for "authenticated but no roles" reporting) */
int rules_identity_name(const struct auth_rules *r, const struct principal *p, char *out,
                        size_t cap);
/* Does p hold admin anywhere? (registry:catalog:* is granted to admins) */
int rules_any_admin(const struct auth_rules *r, const struct principal *p);
/* Built-in separation applied to any grant, including token access claims. */
unsigned rules_separate(unsigned actions, enum principal_kind kind, const char *repo);

/* ---- fetch ---- */
struct fetch_opts {
        long timeout_ms;
        size_t max_bytes;
};
/* GET url; https only, http only to loopback. *ret is NUL-terminated, caller frees. */
int fetch_url(const char *url, const struct fetch_opts *o, char **ret, size_t *ret_len);
int url_allowed(const char *url);

/* ---- issuers ---- */
/* Config duration ("60s", "5m", or an integer of seconds); absent -> dflt. */
int conf_duration(json_t *o, const char *key, unsigned dflt, unsigned *ret);

struct auth_issuer {
        char *issuer;
        char *audience;
        char *jwks_url;                 /* explicit, or found by discovery */
        int is_static;                  /* file/inline keys: never fetched */
        unsigned ttl_sec;               /* JWKS cache lifetime */
        unsigned refetch_min_sec;       /* at most one unknown-kid refetch per this */
        struct fetch_opts fo;
        pthread_mutex_t lock;
        struct jwks *keys;              /* guarded by lock */
        time_t fetched_at;              /* last successful fetch */
        time_t last_attempt;            /* last fetch started */
        int fetching;                   /* a thread is fetching now */
        atomic_ulong n_fetches;         /* for tests and metrics */
        atomic_ulong n_fetch_errors;
};

int issuer_parse(json_t *o, struct auth_issuer **ret);
struct auth_issuer *issuer_free(struct auth_issuer *is);
/* Key for kid/alg (up-ref'd), fetching or refetching under the rules above. */
int issuer_key(struct auth_issuer *is, const char *kid, enum jwt_alg alg, time_t now,
               EVP_PKEY **ret);

/* ---- verified token cache ---- */
#define VCACHE_ACCESS_MAX 16

struct vc_access { char name[REPO_NAME_MAX + 1]; unsigned actions; int is_catalog; };

struct vc_entry {
        unsigned char key[32];          /* SHA-256 of the token */
        time_t exp;
        enum principal_kind kind;
        char subject[256];
        struct vc_access access[VCACHE_ACCESS_MAX];
        size_t n_access;
        int used;
};

struct vcache;
struct vcache *vcache_new(size_t entries);
struct vcache *vcache_free(struct vcache *c);
/* Copy out a live entry for key; 1 found, 0 not. */
int vcache_get(struct vcache *c, const unsigned char key[32], time_t now, struct vc_entry *out);
void vcache_put(struct vcache *c, const struct vc_entry *e);

/* ---- rate limiter ---- */
struct ratelim;
struct ratelim *ratelim_new(double per_sec, double burst, size_t slots);
struct ratelim *ratelim_free(struct ratelim *r);
/* 1 allowed (one token taken), 0 limited. addr "ip:port" or "[v6]:port"; the port is ignored. */
int ratelim_take(struct ratelim *r, const char *addr, double now);

/* ---- mTLS ---- */
#define MTLS_MAX_SANS 16
struct mtls_id {
        char cn[256];
        char sans[MTLS_MAX_SANS][256];
        size_t n_sans;
        time_t not_after;
};
struct mtls;
int mtls_new(const char *ca_file, struct mtls **ret);
struct mtls *mtls_free(struct mtls *m);
/* Verify pem against the CA (client purpose) and extract names. */
int mtls_identify(struct mtls *m, const char *pem, size_t len, struct mtls_id *ret);

/* ---- registry token key ---- */
/* Load DATA_DIR/auth/token-key.pem or create it (0600, atomically, race-safe). */
int token_key_load_or_create(const char *data_dir, EVP_PKEY **ret);


/* Test hook: the i-th configured issuer, or NULL. */
struct auth_issuer *auth__issuer(struct auth *a, size_t i);

#endif
