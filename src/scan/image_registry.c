/*
 * image_registry.c - images in a registry (docker://HOST/REPO[:TAG|@DIGEST])
 * over the distribution API, anonymously, with the Docker token flow: a
 * 401 carrying "WWW-Authenticate: Bearer realm=..,service=..,scope=.." is
 * answered by fetching a token from realm and retrying once with it.
 *
 * https everywhere; plain http only for loopback hosts (localhost,
 * 127.0.0.1, [::1]). Manifests are read whole (bounded); blobs are
 * streamed: a curl multi handle is driven from read(), and the write
 * callback pauses the transfer when the bounded buffer is full, so a layer
 * is never held in memory. Redirects (to blob storage) are followed; curl
 * does not forward our Authorization header to another host.
 */
#include "scan/image.h"
#include "util/err.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REG_BUF (1u << 20)
#define REG_HDR_MAX 4096
#define REG_TOKEN_MAX (64u << 10)
#define REG_TIMEOUT_SEC 300

static const char accept_hdr[] =
        "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
        "application/vnd.docker.distribution.manifest.list.v2+json, "
        "application/vnd.docker.distribution.manifest.v2+json";

struct registry {
        char *base;             /* "https://host" */
        char *repo;
        char *ref;              /* tag or digest */
        char *token;            /* bearer token once obtained */
};

static int loopback(const char *host)
{
        return !strncmp(host, "localhost", 9) || !strncmp(host, "127.0.0.1", 9) || !strncmp(host, "[::1]", 5);
}

/* ---- buffered GET (manifests, tokens) ---- */
struct membuf {
        char *p;
        size_t len, max;
        int over;
};

static size_t mem_cb(char *d, size_t sz, size_t nm, void *ud)
{
        struct membuf *b = ud;
        size_t n = sz * nm;
        char *np;

        if (b->len + n > b->max) {
                b->over = 1;
                return 0;
        }
        if (!(np = realloc(b->p, b->len + n + 1)))
                return 0;
        b->p = np;
        memcpy(b->p + b->len, d, n);
        b->len += n;
        b->p[b->len] = 0;
        return n;
}

struct hdrs {
        char www_auth[REG_HDR_MAX];
};

static size_t hdr_cb(char *d, size_t sz, size_t nm, void *ud)
{
        struct hdrs *h = ud;
        size_t n = sz * nm;

        if (n > 17 && !strncasecmp(d, "WWW-Authenticate:", 17)) {
                size_t k = n - 17 < REG_HDR_MAX - 1 ? n - 17 : REG_HDR_MAX - 1;

                memcpy(h->www_auth, d + 17, k);
                h->www_auth[k] = 0;
        }
        return n;
}

static CURL *easy(const char *url, struct curl_slist *h)
{
        CURL *c = curl_easy_init();

        if (!c)
                return NULL;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https,http");
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "douane");
        return c;
}

static struct curl_slist *headers(const struct registry *r, int manifest)
{
        struct curl_slist *h = NULL, *t;
        char auth[REG_TOKEN_MAX + 32];

        if (manifest && !(h = curl_slist_append(h, accept_hdr)))
                return NULL;
        if (r->token) {
                snprintf(auth, sizeof(auth), "Authorization: Bearer %s", r->token);
                if (!(t = curl_slist_append(h, auth))) {
                        curl_slist_free_all(h);
                        return NULL;
                }
                h = t;
        }
        return h;
}

/* value of key="..." in a WWW-Authenticate header, into out */
static int auth_param(const char *h, const char *key, char *out, size_t n)
{
        size_t kl = strlen(key);

        for (const char *p = h; (p = strstr(p, key)); p += kl) {
                size_t o = 0;

                if ((p != h && isalnum((unsigned char)p[-1])) || p[kl] != '=' || p[kl + 1] != '"')
                        continue;
                for (p += kl + 2; *p && *p != '"' && o + 1 < n; p++)
                        out[o++] = *p;
                out[o] = 0;
                return 0;
        }
        return -1;
}

static int fetch_token(struct registry *r, const char *www)
{
        char realm[1024], service[512] = "", scope[1024] = "", url[4096];
        struct membuf b = { .max = REG_TOKEN_MAX };
        CURL *c;
        CURLcode cc;
        long code = 0;
        json_t *j;
        const char *tok;
        char *es, *esc;

        while (*www == ' ')
                www++;
        if (strncasecmp(www, "Bearer ", 7) || auth_param(www, "realm", realm, sizeof(realm)) < 0)
                return dou_err_set(DOU_EDENIED, "registry wants authentication douane cannot give (%.100s)", www);
        auth_param(www, "service", service, sizeof(service));
        auth_param(www, "scope", scope, sizeof(scope));
        if (strncmp(realm, "https://", 8) && !(strncmp(realm, "http://", 7) == 0 && loopback(realm + 7)))
                return dou_err_set(DOU_EDENIED, "token realm %s is not https", realm);
        if (!(c = easy("", NULL)))
                return DOU_ENOMEM;
        es = curl_easy_escape(c, service, 0);
        esc = curl_easy_escape(c, scope, 0);
        snprintf(url, sizeof(url), "%s%sservice=%s%s%s", realm, strchr(realm, '?') ? "&" : "?",
                 es ? es : "", scope[0] ? "&scope=" : "", scope[0] && esc ? esc : "");
        curl_free(es);
        curl_free(esc);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, mem_cb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
        cc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_cleanup(c);
        if (cc != CURLE_OK || code != 200) {
                free(b.p);
                return dou_err_set(DOU_EDENIED, "token from %s: %s (HTTP %ld)", realm,
                                   cc != CURLE_OK ? curl_easy_strerror(cc) : "refused", code);
        }
        j = json_loadb(b.p ? b.p : "", b.len, 0, NULL);
        free(b.p);
        tok = json_string_value(json_object_get(j, "token"));
        if (!tok)
                tok = json_string_value(json_object_get(j, "access_token"));
        if (!tok || strlen(tok) > REG_TOKEN_MAX || strpbrk(tok, "\r\n")) {
                json_decref(j);
                return dou_err_set(DOU_EDENIED, "token endpoint %s returned no usable token", realm);
        }
        free(r->token);
        r->token = strdup(tok);
        json_decref(j);
        return r->token ? 0 : DOU_ENOMEM;
}

/* GET base/v2/repo/<kind>/<ref> into memory, doing the token dance once. */
static int get_small(struct registry *r, const char *kind, const char *ref, char **ret, size_t *ret_len)
{
        char url[4096];

        snprintf(url, sizeof(url), "%s/v2/%s/%s/%s", r->base, r->repo, kind, ref);
        for (int attempt = 0; attempt < 2; attempt++) {
                struct membuf b = { .max = IMAGE_MAX_MANIFEST };
                struct hdrs h = { "" };
                struct curl_slist *hl = headers(r, 1);
                CURL *c = easy(url, hl);
                CURLcode cc;
                long code = 0;
                int rc;

                if (!c || !hl) {
                        curl_easy_cleanup(c);
                        curl_slist_free_all(hl);
                        return DOU_ENOMEM;
                }
                curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, mem_cb);
                curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
                curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, hdr_cb);
                curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
                curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
                cc = curl_easy_perform(c);
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
                curl_easy_cleanup(c);
                curl_slist_free_all(hl);
                if (cc == CURLE_OK && code == 200) {
                        *ret = b.p ? b.p : strdup("");
                        *ret_len = b.len;
                        return *ret ? 0 : DOU_ENOMEM;
                }
                free(b.p);
                if (b.over)
                        return dou_err_set(DOU_ETOOBIG, "%s: larger than %u bytes", url, IMAGE_MAX_MANIFEST);
                if (cc != CURLE_OK)
                        return dou_err_set(DOU_EIO, "%s: %s", url, curl_easy_strerror(cc));
                if (code == 401 && attempt == 0 && h.www_auth[0]) {
                        if ((rc = fetch_token(r, h.www_auth)) < 0)
                                return rc;
                        continue;
                }
                return dou_err_set(code == 404 ? DOU_ENOTFOUND : code == 401 || code == 403 ? DOU_EDENIED : DOU_EIO,
                                   "%s: HTTP %ld", url, code);
        }
        return dou_err_set(DOU_EDENIED, "%s: still unauthorized with a token", url);
}

static int reg_get_root(void *ctx, char **ret_buf, size_t *ret_len, char ret_digest[DIGEST_STR_MAX])
{
        struct registry *r = ctx;

        ret_digest[0] = 0;      /* computed from the bytes (and checked below when pinned) */
        int rc = get_small(r, "manifests", r->ref, ret_buf, ret_len);

        if (rc < 0)
                return rc;
        if (strchr(r->ref, ':')) {
                struct digest want, got;

                if (digest_parse(r->ref, strlen(r->ref), &want) < 0 ||
                    digest_buf(want.alg, *ret_buf, *ret_len, &got) < 0 || strcmp(want.str, got.str)) {
                        free(*ret_buf);
                        return dou_err_set(DOU_EDIGEST, "manifest %s: content does not match its digest", r->ref);
                }
                snprintf(ret_digest, DIGEST_STR_MAX, "%s", want.str);
        }
        return 0;
}

static int reg_get_manifest(void *ctx, const char *digest, char **ret, size_t *ret_len)
{
        return get_small(ctx, "manifests", digest, ret, ret_len);
}

/* ---- streamed blobs ---- */
struct rstream {
        CURLM *m;
        CURL *e;
        struct curl_slist *h;
        char *buf;
        size_t len, off;
        int paused, done, started;
        long code;
        CURLcode result;
        char url[4096];
};

static size_t stream_cb(char *d, size_t sz, size_t nm, void *ud)
{
        struct rstream *s = ud;
        size_t n = sz * nm;

        if (!s->started) {
                s->started = 1;
                curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &s->code);
                if (s->code != 200)
                        return 0;
        }
        if (s->off && s->off == s->len)
                s->off = s->len = 0;
        if (REG_BUF - s->len < n && s->off) {
                memmove(s->buf, s->buf + s->off, s->len - s->off);
                s->len -= s->off;
                s->off = 0;
        }
        if (REG_BUF - s->len < n) {
                s->paused = 1;
                return CURL_WRITEFUNC_PAUSE;
        }
        memcpy(s->buf + s->len, d, n);
        s->len += n;
        return n;
}

static ssize_t stream_read(void *ctx, void *out, size_t n)
{
        struct rstream *s = ctx;

        while (s->off == s->len && !s->done) {
                int running = 0;
                CURLMsg *msg;
                int left;

                if (s->paused) {
                        s->paused = 0;
                        curl_easy_pause(s->e, CURLPAUSE_CONT);
                        if (s->off != s->len)
                                break;
                }
                if (curl_multi_perform(s->m, &running) != CURLM_OK)
                        return dou_err_set(DOU_EIO, "%s: transfer failed", s->url);
                while ((msg = curl_multi_info_read(s->m, &left)))
                        if (msg->msg == CURLMSG_DONE) {
                                s->done = 1;
                                s->result = msg->data.result;
                        }
                if (s->off != s->len || s->done)
                        break;
                curl_multi_poll(s->m, NULL, 0, 1000, NULL);
        }
        if (s->off == s->len) {
                if (s->code && s->code != 200)
                        return dou_err_set(s->code == 404 ? DOU_ENOTFOUND : DOU_EIO, "%s: HTTP %ld", s->url, s->code);
                if (s->result != CURLE_OK)
                        return dou_err_set(DOU_EIO, "%s: %s", s->url, curl_easy_strerror(s->result));
                return 0;
        }
        if (n > s->len - s->off)
                n = s->len - s->off;
        memcpy(out, s->buf + s->off, n);
        s->off += n;
        return (ssize_t)n;
}

static void stream_close(void *ctx)
{
        struct rstream *s = ctx;

        if (s->m && s->e)
                curl_multi_remove_handle(s->m, s->e);
        curl_easy_cleanup(s->e);
        curl_multi_cleanup(s->m);
        curl_slist_free_all(s->h);
        free(s->buf);
        free(s);
}

static int reg_get_blob(void *ctx, const char *digest, struct blob_reader *ret)
{
        struct registry *r = ctx;
        struct rstream *s = calloc(1, sizeof(*s));

        if (!s)
                return DOU_ENOMEM;
        snprintf(s->url, sizeof(s->url), "%s/v2/%s/blobs/%s", r->base, r->repo, digest);
        s->buf = malloc(REG_BUF);
        s->h = headers(r, 0);
        s->m = curl_multi_init();
        s->e = easy(s->url, s->h);
        if (!s->buf || (r->token && !s->h) || !s->m || !s->e) {
                stream_close(s);
                return DOU_ENOMEM;
        }
        curl_easy_setopt(s->e, CURLOPT_WRITEFUNCTION, stream_cb);
        curl_easy_setopt(s->e, CURLOPT_WRITEDATA, s);
        curl_multi_add_handle(s->m, s->e);
        *ret = (struct blob_reader){ .read = stream_read, .close = stream_close, .ctx = s };
        return 0;
}

static void reg_free(void *ctx)
{
        struct registry *r = ctx;

        free(r->base);
        free(r->repo);
        free(r->ref);
        free(r->token);
        free(r);
}

static int valid_repo(const char *s)
{
        if (!*s)
                return 0;
        for (; *s; s++)
                if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr("._-/", *s))
                        return 0;
        return 1;
}

int image_source_registry(const char *ref, struct image_source *ret)
{
        const char *slash = strchr(ref, '/'), *at, *tagc;
        struct registry *r;
        char host[256];
        size_t hl;

        if (!slash || slash == ref || (size_t)(slash - ref) >= sizeof(host))
                return dou_err_set(DOU_EINVAL, "docker://%s: want docker://HOST/REPO[:TAG|@DIGEST]", ref);
        hl = (size_t)(slash - ref);
        memcpy(host, ref, hl);
        host[hl] = 0;
        if (!(r = calloc(1, sizeof(*r))))
                return DOU_ENOMEM;
        at = strchr(slash + 1, '@');
        tagc = at ? NULL : strrchr(slash + 1, ':');
        if (tagc && strchr(tagc, '/'))
                tagc = NULL;
        {
                const char *end = at ? at : tagc ? tagc : slash + strlen(slash);

                r->repo = strndup(slash + 1, (size_t)(end - slash - 1));
                r->ref = strdup(at ? at + 1 : tagc ? tagc + 1 : "latest");
        }
        if (!strcmp(host, "docker.io") || !strcmp(host, "index.docker.io")) {
                char *lib = NULL;

                snprintf(host, sizeof(host), "registry-1.docker.io");
                if (r->repo && !strchr(r->repo, '/') && asprintf(&lib, "library/%s", r->repo) >= 0) {
                        free(r->repo);
                        r->repo = lib;  /* Docker Hub's official images */
                }
        }
        if (asprintf(&r->base, "%s://%s", loopback(host) ? "http" : "https", host) < 0)
                r->base = NULL;
        if (!r->repo || !r->ref || !r->base) {
                reg_free(r);
                return DOU_ENOMEM;
        }
        if (!valid_repo(r->repo) || !*r->ref || strpbrk(r->ref, "/?#% ")) {
                reg_free(r);
                return dou_err_set(DOU_EINVAL, "docker://%s: bad repository or reference", ref);
        }
        if (at) {
                struct digest d;

                if (digest_parse(r->ref, strlen(r->ref), &d) < 0) {
                        reg_free(r);
                        return dou_err_set(DOU_EINVAL, "docker://%s: bad digest", ref);
                }
        }
        curl_global_init(CURL_GLOBAL_DEFAULT);
        *ret = (struct image_source){
                .get_root = reg_get_root, .get_manifest = reg_get_manifest, .get_blob = reg_get_blob,
                .free = reg_free, .ctx = r,
        };
        return 0;
}
