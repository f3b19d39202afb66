/*
 * issuer.c - trusted OIDC issuers and their signing keys.
 *
 * Keys come only from the configured source: a static JWKS (inline or file,
 * for air-gapped issuers), an explicit JWKS URL, or OIDC discovery at
 * {issuer}/.well-known/openid-configuration whose "issuer" must equal the
 * configured string byte for byte. A token that merely copies a trusted
 * "iss" therefore fails its signature check.
 *
 * Caching: the key set lives for ttl_sec. An unknown kid (key rotation)
 * triggers a refetch, but at most one fetch per refetch_min_sec per issuer
 * whatever the reason, and only one thread fetches at a time (the others
 * answer from the keys they have), so a flood of tokens with made-up kids
 * costs the provider one request a minute. If a refresh fails the old keys
 * are kept. The lock is never held across the network.
 */
#include "auth/auth_int.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "config/config.h"

#include <stdlib.h>
#include <string.h>

#define DISCOVERY_MAX_BYTES (256u * 1024)

int conf_duration(json_t *o, const char *key, unsigned dflt, unsigned *ret)
{
        json_t *v = json_object_get(o, key);
        char buf[32];
        const char *s = json_string_value(v);

        *ret = dflt;
        if (!v)
                return 0;
        if (json_is_integer(v)) {
                snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
                s = buf;
        }
        if (!s || config_parse_duration(s, ret) < 0)
                return dou_err_set(DOU_EINVAL, "auth: %s must be a duration like 60s", key);
        return 0;
}

struct auth_issuer *issuer_free(struct auth_issuer *is)
{
        if (!is)
                return NULL;
        pthread_mutex_destroy(&is->lock);
        jwks_free(is->keys);
        free(is->issuer);
        free(is->audience);
        free(is->jwks_url);
        free(is);
        return NULL;
}

static int load_static(struct auth_issuer *is, json_t *jwks)
{
        json_t *file = json_object_get(jwks, "file"), *inl = json_object_get(jwks, "inline");
        char *buf = NULL, *dump = NULL;
        size_t len = 0;
        int r;

        if (json_is_string(file)) {
                if ((r = fs_read_small(json_string_value(file), JWKS_MAX_BYTES, &buf, &len)) < 0)
                        return r;
                r = jwks_parse(buf, len, &is->keys);
                free(buf);
        } else {
                if (json_is_string(inl))
                        r = jwks_parse(json_string_value(inl), json_string_length(inl), &is->keys);
                else if (!(dump = json_dumps(inl, JSON_COMPACT)))
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                else
                        r = jwks_parse(dump, strlen(dump), &is->keys);
                free(dump);
        }
        if (r < 0) {
                char why[256];
                snprintf(why, sizeof(why), "%s", dou_err_msg());
                return dou_err_set(r, "auth: issuer %s: static JWKS: %s", is->issuer, why);
        }
        is->is_static = 1;
        return 0;
}

int issuer_parse(json_t *o, struct auth_issuer **ret)
{
        const char *iss = json_string_value(json_object_get(o, "issuer"));
        const char *aud = json_string_value(json_object_get(o, "audience"));
        json_t *jwks = json_object_get(o, "jwks");
        struct auth_issuer *is;
        unsigned timeout;
        int r;

        if (!iss || !*iss)
                return dou_err_set(DOU_EINVAL, "auth: every issuer needs an issuer URL");
        if (!aud || !*aud)
                return dou_err_set(DOU_EINVAL, "auth: issuer %s needs an audience (the aud its "
                                   "tokens must carry for douane)", iss);
        if (!(is = calloc(1, sizeof(*is))))
                return dou_err_set(DOU_ENOMEM, "out of memory");
        pthread_mutex_init(&is->lock, NULL);
        is->issuer = strdup(iss);
        is->audience = strdup(aud);
        if (!is->issuer || !is->audience) {
                issuer_free(is);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        if ((r = conf_duration(o, "jwks_ttl", 3600, &is->ttl_sec)) < 0 ||
            (r = conf_duration(o, "refetch_interval", 60, &is->refetch_min_sec)) < 0 ||
            (r = conf_duration(o, "fetch_timeout", 5, &timeout)) < 0) {
                issuer_free(is);
                return r;
        }
        is->fo.timeout_ms = timeout ? (long)timeout * 1000 : 5000;
        is->fo.max_bytes = JWKS_MAX_BYTES;
        if (jwks && !json_is_object(jwks)) {
                issuer_free(is);
                return dou_err_set(DOU_EINVAL, "auth: issuer %s: jwks must be a map (url, file or inline)", iss);
        }
        if (json_object_get(jwks, "file") || json_object_get(jwks, "inline")) {
                r = load_static(is, jwks);
        } else if (json_is_string(json_object_get(jwks, "url"))) {
                is->jwks_url = strdup(json_string_value(json_object_get(jwks, "url")));
                r = !is->jwks_url ? dou_err_set(DOU_ENOMEM, "out of memory") :
                    !url_allowed(is->jwks_url) ?
                    dou_err_set(DOU_EINVAL, "auth: issuer %s: jwks url must be https (http only to loopback)", iss) : 0;
        } else {
                r = url_allowed(iss) ? 0 :
                    dou_err_set(DOU_EINVAL, "auth: issuer %s: discovery needs an https issuer "
                                "(http only to loopback); give jwks.file or jwks.inline otherwise", iss);
        }
        if (r < 0) {
                issuer_free(is);
                return r;
        }
        *ret = is;
        return 0;
}

/* Discovery document -> jwks_uri, checking its issuer. */
static int discover(struct auth_issuer *is, char **ret_url)
{
        size_t n = strlen(is->issuer), len;
        char *url, *doc;
        json_t *root;
        const char *iss, *ju;
        struct fetch_opts fo = { is->fo.timeout_ms, DISCOVERY_MAX_BYTES };
        int r;

        while (n > 0 && is->issuer[n - 1] == '/')
                n--;
        if (!(url = malloc(n + 64)))
                return dou_err_set(DOU_ENOMEM, "out of memory");
        snprintf(url, n + 64, "%.*s/.well-known/openid-configuration", (int)n, is->issuer);
        r = fetch_url(url, &fo, &doc, &len);
        free(url);
        if (r < 0)
                return r;
        root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, NULL);
        free(doc);
        iss = json_string_value(json_object_get(root, "issuer"));
        ju = json_string_value(json_object_get(root, "jwks_uri"));
        if (!iss || strcmp(iss, is->issuer) != 0)
                r = dou_err_set(DOU_EDENIED, "discovery document of %s names another issuer", is->issuer);
        else if (!ju || !url_allowed(ju))
                r = dou_err_set(DOU_EINVAL, "discovery document of %s has no acceptable jwks_uri", is->issuer);
        else if (!(*ret_url = strdup(ju)))
                r = dou_err_set(DOU_ENOMEM, "out of memory");
        json_decref(root);
        return r;
}

static int fetch_keys(struct auth_issuer *is, struct jwks **ret)
{
        char *url = NULL, *doc = NULL;
        size_t len;
        int r;

        if (is->jwks_url)
                url = strdup(is->jwks_url);
        else if ((r = discover(is, &url)) < 0)
                return r;
        if (!url)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        r = fetch_url(url, &is->fo, &doc, &len);
        free(url);
        if (r < 0)
                return r;
        r = jwks_parse(doc, len, ret);
        free(doc);
        return r;
}

int issuer_key(struct auth_issuer *is, const char *kid, enum jwt_alg alg, time_t now,
               EVP_PKEY **ret)
{
        EVP_PKEY *k;
        struct jwks *fresh = NULL;
        int stale, may_fetch, r;

        pthread_mutex_lock(&is->lock);
        k = jwks_find(is->keys, kid, alg);
        if (is->is_static) {
                pthread_mutex_unlock(&is->lock);
                goto done;
        }
        stale = !is->keys || now - is->fetched_at >= (time_t)is->ttl_sec;
        if (k && !stale) {
                pthread_mutex_unlock(&is->lock);
                goto done;
        }
        may_fetch = !is->fetching &&
                    (is->last_attempt == 0 || now - is->last_attempt >= (time_t)is->refetch_min_sec);
        if (!may_fetch) {
                pthread_mutex_unlock(&is->lock);
                goto done;      /* answer from what we have (possibly stale) */
        }
        is->fetching = 1;
        is->last_attempt = now;
        pthread_mutex_unlock(&is->lock);

        atomic_fetch_add(&is->n_fetches, 1);
        r = fetch_keys(is, &fresh);

        pthread_mutex_lock(&is->lock);
        is->fetching = 0;
        if (r == 0) {
                jwks_free(is->keys);
                is->keys = fresh;
                is->fetched_at = now;
                EVP_PKEY_free(k);
                k = jwks_find(is->keys, kid, alg);
        } else {
                atomic_fetch_add(&is->n_fetch_errors, 1);
        }
        pthread_mutex_unlock(&is->lock);
        if (r < 0 && !k) {
                char why[256];
                snprintf(why, sizeof(why), "%s", dou_err_msg());
                return dou_err_set(r, "keys of %s unavailable: %s", is->issuer, why);
        }
done:
        if (!k)
                return dou_err_set(DOU_ENOTFOUND, "no key of %s matches the token's kid and alg", is->issuer);
        *ret = k;
        return 0;
}
