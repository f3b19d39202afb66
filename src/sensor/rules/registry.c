/*
 * registry.c - cached lookups of image digests in douane's registry.
 *
 * The cache is a fixed array indexed by a hash of the digest (a collision
 * simply evicts), so it is bounded with no allocation after start. Lookups
 * are synchronous but short (REGISTRY_TIMEOUT_MS) and happen at most once
 * per digest per TTL, and failures are cached too, so a registry that is
 * down costs one timeout per image per REGISTRY_NEG_TTL_S.
 * The answer is read leniently: "verdict" (string), "released" (bool) or a
 * verdict of released/pass, and the vulnerability count from
 * "vulnerabilities" (array length) or "count"/"total" (integer).
 */
#include "sensor/rules/registry.h"
#include "util/err.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct slot {
        char digest[80];
        time_t expires;
        bool known;
        char verdict[32];
        int released;
        int64_t vulns;
};

struct registry_client {
        char *base;
        CURL *curl;
        struct slot slots[REGISTRY_CACHE_SLOTS];
        struct registry_stats st;
};

int registry_client_new(const char *base_url, struct registry_client **ret)
{
        if (strncmp(base_url, "http://", 7) && strncmp(base_url, "https://", 8))
                return dou_err_set(DOU_EINVAL, "registry URL must start with http:// or https://");
        struct registry_client *c = calloc(1, sizeof(*c));
        if (!c || !(c->base = strdup(base_url)) || !(c->curl = curl_easy_init())) {
                if (c)
                        free(c->base);
                free(c);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        size_t l = strlen(c->base);
        while (l && c->base[l - 1] == '/')
                c->base[--l] = 0;
        *ret = c;
        return 0;
}

struct registry_client *registry_client_free(struct registry_client *c)
{
        if (c) {
                curl_easy_cleanup(c->curl);
                free(c->base);
                free(c);
        }
        return NULL;
}

void registry_client_stats(const struct registry_client *c, struct registry_stats *ret)
{
        *ret = c->st;
}

int registry_parse_answer(const char *body, size_t len, char *verdict, size_t vsz, int *ret_released,
                          int64_t *ret_vulns)
{
        json_error_t e;
        json_t *o = json_loadb(body, len, 0, &e);
        if (!json_is_object(o)) {
                json_decref(o);
                return dou_err_set(DOU_EINVAL, "registry: answer is not a JSON object");
        }
        const char *v = json_string_value(json_object_get(o, "verdict"));
        if (!v)
                v = json_string_value(json_object_get(o, "status"));
        snprintf(verdict, vsz, "%s", v ? v : "unknown");
        const json_t *rel = json_object_get(o, "released");
        if (json_is_boolean(rel))
                *ret_released = json_is_true(rel);
        else
                *ret_released = v && (!strcmp(v, "released") || !strcmp(v, "pass") || !strcmp(v, "golden"));
        const json_t *vs = json_object_get(o, "vulnerabilities");
        const json_t *cnt = json_object_get(o, "count");
        if (!cnt)
                cnt = json_object_get(o, "total");
        if (json_is_array(vs))
                *ret_vulns = (int64_t)json_array_size(vs);
        else if (json_is_integer(cnt))
                *ret_vulns = json_integer_value(cnt);
        else
                *ret_vulns = -1;
        json_decref(o);
        return 0;
}

struct body {
        char *p;
        size_t n;
        bool over;
};

static size_t collect(char *p, size_t sz, size_t n, void *ud)
{
        struct body *b = ud;
        size_t l = sz * n;
        if (b->n + l > REGISTRY_MAX_BODY) {
                b->over = true;
                return 0;
        }
        char *np = realloc(b->p, b->n + l + 1);
        if (!np)
                return 0;
        memcpy(np + b->n, p, l);
        b->p = np;
        b->n += l;
        b->p[b->n] = 0;
        return l;
}

static bool digest_ok(const char *d)
{
        size_t l = strlen(d);
        if (l < 8 || l >= 80)
                return false;
        for (size_t i = 0; i < l; i++)
                if (!(d[i] == ':' || (d[i] >= 'a' && d[i] <= 'z') || (d[i] >= '0' && d[i] <= '9')))
                        return false;
        return true;
}

static void fetch(struct registry_client *c, struct slot *s, const char *digest)
{
        char url[1024];
        struct body b = { 0 };
        s->known = false;
        snprintf(s->digest, sizeof(s->digest), "%s", digest);
        s->expires = time(NULL) + REGISTRY_NEG_TTL_S;
        if (snprintf(url, sizeof(url), "%s/api/v1/images/%s", c->base, digest) >=
            (int)sizeof(url))
                return;
        c->st.fetches++;
        curl_easy_reset(c->curl);
        curl_easy_setopt(c->curl, CURLOPT_URL, url);
        curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)REGISTRY_TIMEOUT_MS);
        curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
        long code = 0;
        if (curl_easy_perform(c->curl) != CURLE_OK ||
            curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK) {
                c->st.failures++;
                free(b.p);
                return;
        }
        if (code == 404) {
                snprintf(s->verdict, sizeof(s->verdict), "unknown");
                s->released = 0;
                s->vulns = -1;
                s->known = true;
                s->expires = time(NULL) + REGISTRY_TTL_S;
        } else if (code == 200 && b.p &&
                   registry_parse_answer(b.p, b.n, s->verdict, sizeof(s->verdict), &s->released,
                                         &s->vulns) == 0) {
                s->known = true;
                s->expires = time(NULL) + REGISTRY_TTL_S;
        } else {
                c->st.failures++;
        }
        free(b.p);
}

int registry_image_info(void *arg, const char *digest, const char **ret_verdict, int *ret_released,
                        int64_t *ret_vulns)
{
        struct registry_client *c = arg;
        if (!c || !digest || !digest_ok(digest))
                return DOU_EINVAL;
        c->st.lookups++;
        uint64_t h = 1469598103934665603ull;
        for (const char *p = digest; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ull;
        struct slot *s = &c->slots[h % REGISTRY_CACHE_SLOTS];
        if (!strcmp(s->digest, digest) && time(NULL) < s->expires)
                c->st.hits++;
        else
                fetch(c, s, digest);
        if (!s->known)
                return DOU_ENOTFOUND;
        *ret_verdict = s->verdict;
        *ret_released = s->released;
        *ret_vulns = s->vulns;
        return 0;
}
