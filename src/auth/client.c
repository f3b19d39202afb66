/*
 * client.c - see client.h. Bounded like the server side: responses are
 * capped, requests time out, redirects are not followed, and the ID token
 * never travels over plain http except to loopback.
 */
#include "auth/client.h"
#include "auth/auth_int.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <curl/curl.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CLIENT_MAX_BODY (256u * 1024)

struct resp {
        char *body;
        size_t len;
        char www[1024];
        int too_big;
};

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
        struct resp *r = ud;
        size_t n = sz * nm;
        char *b;

        if (r->len + n > CLIENT_MAX_BODY) {
                r->too_big = 1;
                return 0;
        }
        if (!(b = realloc(r->body, r->len + n + 1)))
                return 0;
        r->body = b;
        memcpy(b + r->len, p, n);
        r->len += n;
        b[r->len] = '\0';
        return n;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
        struct resp *r = ud;
        size_t n = sz * nm, k = strlen("www-authenticate:");

        if (n > k && !strncasecmp(p, "www-authenticate:", k) && !r->www[0]) {
                size_t len = n - k;
                const char *v = p + k;
                while (len && (*v == ' ' || *v == '\t'))
                        v++, len--;
                while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
                        len--;
                if (len < sizeof(r->www)) {
                        memcpy(r->www, v, len);
                        r->www[len] = '\0';
                }
        }
        return n;
}

static int http_get(const struct auth_client_opts *o, const char *url, const char *password,
                    long *status, struct resp *r)
{
        CURL *c = curl_easy_init();
        CURLcode rc;

        memset(r, 0, sizeof(*r));
        if (!c)
                return dou_err_set(DOU_ENOMEM, "cannot start an HTTP client");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms : 15000L);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "douane-login");
        if (o->cacert)
                curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
        if (password) {
                curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
                curl_easy_setopt(c, CURLOPT_USERNAME, "oidc");
                curl_easy_setopt(c, CURLOPT_PASSWORD, password);
        }
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        curl_easy_cleanup(c);
        if (r->too_big)
                return dou_err_set(DOU_ETOOBIG, "%s: response too large", url);
        if (rc != CURLE_OK)
                return dou_err_set(DOU_EIO, "%s: %s", url, curl_easy_strerror(rc));
        return 0;
}

int auth_client_base_url(const struct auth_client_opts *o, char **ret_url, char **ret_host)
{
        const char *s = o->registry, *host;
        size_t n;
        char *url;

        if (!s || !*s)
                return dou_err_set(DOU_EINVAL, "no registry given");
        if (!strncmp(s, "https://", 8) || !strncmp(s, "http://", 7)) {
                host = strstr(s, "://") + 3;
                n = strcspn(host, "/");
                url = malloc(n + (size_t)(host - s) + 1);
                if (!url)
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                memcpy(url, s, (size_t)(host - s) + n);
                url[(size_t)(host - s) + n] = '\0';
        } else {
                host = s;
                n = strcspn(host, "/");
                url = malloc(n + 9);
                if (!url)
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                snprintf(url, n + 9, "%s%.*s", o->plain_http ? "http://" : "https://", (int)n, host);
        }
        if (ret_host && !(*ret_host = strndup(host, n))) {
                free(url);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        *ret_url = url;
        return 0;
}

/* Value of key="..." in a Bearer challenge, or NULL. */
static char *challenge_param(const char *h, const char *key)
{
        size_t kl = strlen(key);

        for (const char *p = h; (p = strstr(p, key)); p += kl) {
                if ((p == h || p[-1] == ' ' || p[-1] == ',') && p[kl] == '=' && p[kl + 1] == '"') {
                        const char *v = p + kl + 2, *e = strchr(v, '"');
                        return e ? strndup(v, (size_t)(e - v)) : NULL;
                }
        }
        return NULL;
}

static int append_param(char **url, const char *key, const char *val)
{
        char *esc = curl_easy_escape(NULL, val, 0);
        size_t n = strlen(*url) + strlen(key) + (esc ? strlen(esc) : 0) + 3;
        char *u = esc ? malloc(n) : NULL;

        if (!u) {
                curl_free(esc);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        snprintf(u, n, "%s%c%s=%s", *url, strchr(*url, '?') ? '&' : '?', key, esc);
        curl_free(esc);
        free(*url);
        *url = u;
        return 0;
}

static int discover_realm(const struct auth_client_opts *o, char **realm, char **service)
{
        char *base = NULL, *url;
        struct resp r;
        long status = 0;
        int rc;

        if ((rc = auth_client_base_url(o, &base, NULL)) < 0)
                return rc;
        url = malloc(strlen(base) + 8);
        if (!url) {
                free(base);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        snprintf(url, strlen(base) + 8, "%s/v2/", base);
        free(base);
        rc = http_get(o, url, NULL, &status, &r);
        free(url);
        free(r.body);
        if (rc < 0)
                return rc;
        if (status != 401 || strncasecmp(r.www, "Bearer ", 7) != 0)
                return dou_err_set(DOU_EUNSUPPORTED, "registry did not ask for a bearer token "
                                   "(status %ld); is auth enabled?", status);
        *realm = challenge_param(r.www, "realm");
        *service = challenge_param(r.www, "service");
        if (!*realm) {
                free(*service);
                return dou_err_set(DOU_EINVAL, "registry challenge has no realm");
        }
        return 0;
}

int auth_client_token(const struct auth_client_opts *o, const char *id_token,
                      const char *const *scopes, size_t n_scopes, char **ret_token,
                      long *ret_expires_in)
{
        char *realm = NULL, *service = NULL, *url = NULL;
        struct resp r = { 0 };
        long status = 0;
        json_t *j = NULL;
        const char *tok;
        int rc;

        if ((rc = discover_realm(o, &realm, &service)) < 0)
                return rc;
        if (id_token && !url_allowed(realm)) {
                rc = dou_err_set(DOU_EDENIED, "refusing to send the ID token to %s (not https)", realm);
                goto out;
        }
        if (!(url = strdup(realm))) {
                rc = dou_err_set(DOU_ENOMEM, "out of memory");
                goto out;
        }
        if (service && (rc = append_param(&url, "service", service)) < 0)
                goto out;
        for (size_t i = 0; i < n_scopes; i++)
                if ((rc = append_param(&url, "scope", scopes[i])) < 0)
                        goto out;
        if ((rc = http_get(o, url, id_token, &status, &r)) < 0)
                goto out;
        j = r.body ? json_loadb(r.body, r.len, 0, NULL) : NULL;
        if (status != 200) {
                const char *msg = json_string_value(json_object_get(json_array_get(
                        json_object_get(j, "errors"), 0), "message"));
                rc = dou_err_set(status == 401 ? DOU_EDENIED : DOU_EIO, "token endpoint said %ld: %s",
                                 status, msg ? msg : "no reason given");
                goto out;
        }
        tok = json_string_value(json_object_get(j, "token"));
        if (!tok)
                tok = json_string_value(json_object_get(j, "access_token"));
        if (!tok || !(*ret_token = strdup(tok))) {
                rc = dou_err_set(DOU_EINVAL, "token endpoint answered without a token");
                goto out;
        }
        if (ret_expires_in)
                *ret_expires_in = (long)json_integer_value(json_object_get(j, "expires_in"));
        rc = 0;
out:
        json_decref(j);
        free(r.body);
        free(url);
        free(realm);
        free(service);
        return rc;
}

static char *trimmed(const char *s, size_t n)
{
        while (n && isspace((unsigned char)*s))
                s++, n--;
        while (n && isspace((unsigned char)s[n - 1]))
                n--;
        return strndup(s, n);
}

int auth_client_read_token(const char *file, const char *env, const char *literal, char **ret)
{
        char *buf = NULL, *t;
        size_t len;
        int r;

        if (file) {
                if ((r = fs_read_small(file, JWT_MAX_LEN * 2, &buf, &len)) < 0)
                        return r;
                t = trimmed(buf, len);
                free(buf);
        } else if (env) {
                const char *v = getenv(env);
                if (!v || !*v)
                        return dou_err_set(DOU_ENOTFOUND, "environment variable %s is not set", env);
                t = trimmed(v, strlen(v));
        } else if (literal) {
                t = trimmed(literal, strlen(literal));
        } else {
                return dou_err_set(DOU_ENOTFOUND, "no ID token given");
        }
        if (!t)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        if (!*t || strlen(t) > JWT_MAX_LEN) {
                free(t);
                return dou_err_set(DOU_EINVAL, "ID token is empty or too long");
        }
        *ret = t;
        return 0;
}

int auth_client_scope_valid(const char *s)
{
        struct scope_item items[SCOPE_MAX_ITEMS];
        size_t n = 0;

        return s && scope_parse_list(s, strlen(s), items, SCOPE_MAX_ITEMS, &n) == 0 && n > 0;
}
