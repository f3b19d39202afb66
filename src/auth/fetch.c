/*
 * fetch.c - the one outbound HTTP GET of the auth library (OIDC discovery
 * and JWKS). Bounded in every dimension a remote server controls: total
 * time, connect time, response size (aborted as soon as it is exceeded, not
 * after buffering), no redirects, https only except plain http to a
 * loopback host (tests and sidecars), status must be 200.
 */
#include "auth/auth_int.h"
#include "util/err.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sink {
        char *buf;
        size_t len, cap, max;
        int too_big;
};

static size_t on_data(char *p, size_t sz, size_t nm, void *ud)
{
        struct sink *s = ud;
        size_t n = sz * nm;

        if (s->len + n > s->max) {
                s->too_big = 1;
                return 0;       /* aborts the transfer */
        }
        if (s->len + n + 1 > s->cap) {
                size_t cap = s->cap ? s->cap : 4096;
                while (cap < s->len + n + 1)
                        cap *= 2;
                char *b = realloc(s->buf, cap);
                if (!b)
                        return 0;
                s->buf = b;
                s->cap = cap;
        }
        memcpy(s->buf + s->len, p, n);
        s->len += n;
        s->buf[s->len] = '\0';
        return n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

int url_allowed(const char *url)
{
        CURLU *u = curl_url();
        char *scheme = NULL, *host = NULL;
        int ok = 0;

        if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
                if (!strcmp(scheme, "https"))
                        ok = 1;
                else if (!strcmp(scheme, "http"))
                        ok = !strcmp(host, "127.0.0.1") || !strcmp(host, "[::1]") ||
                             !strcmp(host, "localhost");
        }
        curl_free(scheme);
        curl_free(host);
        curl_url_cleanup(u);
        return ok;
}

int fetch_url(const char *url, const struct fetch_opts *o, char **ret, size_t *ret_len)
{
        struct sink s = { .max = o->max_bytes };
        CURL *c;
        CURLcode rc;
        long status = 0;

        if (!url_allowed(url))
                return dou_err_set(DOU_EDENIED, "refusing to fetch %s: https only (http for loopback)", url);
        pthread_once(&curl_once, curl_init_once);
        c = curl_easy_init();
        if (!c)
                return dou_err_set(DOU_ENOMEM, "cannot start an HTTP client");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes);
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
#else
        curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP));
#endif
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "douane-auth");
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
                free(s.buf);
                return dou_err_set(DOU_ETOOBIG, "%s: response larger than %zu bytes", url, o->max_bytes);
        }
        if (rc != CURLE_OK) {
                free(s.buf);
                return dou_err_set(DOU_EIO, "%s: %s", url, curl_easy_strerror(rc));
        }
        if (status != 200) {
                free(s.buf);
                return dou_err_set(DOU_EIO, "%s: HTTP status %ld", url, status);
        }
        if (!s.buf && !(s.buf = calloc(1, 1)))
                return dou_err_set(DOU_ENOMEM, "out of memory");
        *ret = s.buf;
        *ret_len = s.len;
        return 0;
}
