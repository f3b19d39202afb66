/*
 * image.c - reference dispatch, verified blob streams and manifest
 * resolution (indexes, nested indexes, platform selection). Sources only
 * supply bytes; every digest check happens here.
 */
#include "scan/image.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int image_source_open(const char *ref, struct image_source *ret)
{
        memset(ret, 0, sizeof(*ret));
        if (!strncmp(ref, "oci:", 4)) {
                char *dir = strdup(ref + 4), *colon;
                int rc;

                if (!dir)
                        return DOU_ENOMEM;
                /* oci:DIR:TAG - a tag never contains '/', a directory may contain ':' */
                colon = strrchr(dir, ':');
                if (colon && !strchr(colon, '/'))
                        *colon++ = 0;
                else
                        colon = NULL;
                rc = image_source_oci(dir, colon && *colon ? colon : NULL, ret);
                free(dir);
                return rc;
        }
        if (!strncmp(ref, "docker-archive:", 15))
                return image_source_docker_archive(ref + 15, ret);
        if (!strncmp(ref, "docker://", 9))
                return image_source_registry(ref + 9, ret);
        return dou_err_set(DOU_EINVAL, "unknown image reference \"%s\" "
                           "(want oci:DIR[:TAG], docker-archive:FILE or docker://HOST/REPO:TAG)", ref);
}

void image_source_close(struct image_source *src)
{
        if (src->free)
                src->free(src->ctx);
        memset(src, 0, sizeof(*src));
}

struct blob_stream {
        struct blob_reader r;
        struct hasher *h;
        struct digest want;
        int done;
};

int blob_stream_open(struct image_source *src, const char *digest, struct blob_stream **ret)
{
        struct blob_stream *s = calloc(1, sizeof(*s));
        int rc;

        if (!s)
                return DOU_ENOMEM;
        if ((rc = digest_parse(digest, strlen(digest), &s->want)) < 0) {
                free(s);
                return dou_err_set(rc, "bad digest \"%.80s\"", digest);
        }
        if (!(s->h = hasher_new(s->want.alg))) {
                free(s);
                return DOU_ENOMEM;
        }
        if ((rc = src->get_blob(src->ctx, digest, &s->r)) < 0) {
                hasher_free(s->h);
                free(s);
                return rc;
        }
        *ret = s;
        return 0;
}

ssize_t blob_stream_read(void *stream, void *buf, size_t n)
{
        struct blob_stream *s = stream;
        ssize_t r;
        struct digest got;

        if (s->done)
                return 0;
        r = s->r.read(s->r.ctx, buf, n);
        if (r > 0) {
                hasher_update(s->h, buf, (size_t)r);
                return r;
        }
        if (r < 0)
                return r;
        s->done = 1;
        if (hasher_final(s->h, &got) < 0 || strcmp(got.str, s->want.str))
                return dou_err_set(DOU_EDIGEST, "blob %s: content does not match its digest (got %s)",
                                   s->want.str, got.str);
        return 0;
}

struct blob_stream *blob_stream_close(struct blob_stream *s)
{
        if (!s)
                return NULL;
        if (s->r.close)
                s->r.close(s->r.ctx);
        hasher_free(s->h);
        free(s);
        return NULL;
}

int blob_read_all(struct image_source *src, const char *digest, size_t max, char **ret, size_t *ret_len)
{
        struct blob_stream *s;
        size_t len = 0, cap = 8192;
        char *b;
        int rc;

        if ((rc = blob_stream_open(src, digest, &s)) < 0)
                return rc;
        if (!(b = malloc(cap + 1))) {
                blob_stream_close(s);
                return DOU_ENOMEM;
        }
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *nb;

                        if (cap >= max) {
                                rc = dou_err_set(DOU_ETOOBIG, "blob %s larger than %zu bytes", digest, max);
                                goto fail;
                        }
                        cap = cap * 2 > max ? max : cap * 2;
                        if (!(nb = realloc(b, cap + 1))) {
                                rc = DOU_ENOMEM;
                                goto fail;
                        }
                        b = nb;
                }
                n = blob_stream_read(s, b + len, cap - len);
                if (n < 0) {
                        rc = (int)n;
                        goto fail;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        blob_stream_close(s);
        b[len] = 0;
        *ret = b;
        *ret_len = len;
        return 0;
fail:
        free(b);
        blob_stream_close(s);
        return rc;
}

void image_manifests_free(struct image_manifest *m, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; j < m[i].n_layers; j++)
                        free(m[i].layers[j]);
                free(m[i].layers);
        }
        free(m);
}

struct resolve {
        struct image_source *src;
        const char *want;               /* platform filter or NULL */
        struct image_manifest *m;
        size_t n;
};

static const char *jstr(json_t *o, const char *k)
{
        json_t *v = json_object_get(o, k);

        return json_is_string(v) ? json_string_value(v) : NULL;
}

static void platform_str(json_t *p, char *out, size_t n)
{
        const char *os = jstr(p, "os"), *arch = jstr(p, "architecture"), *var = jstr(p, "variant");

        out[0] = 0;
        if (os && arch)
                snprintf(out, n, "%s/%s%s%s", os, arch, var ? "/" : "", var ? var : "");
}

/* "linux/arm" matches "linux/arm/v7"; "linux/arm/v7" needs the variant. */
static int platform_match(const char *want, const char *have)
{
        size_t wl = strlen(want);

        if (!strcmp(want, have))
                return 1;
        return !strncmp(want, have, wl) && have[wl] == '/' && strchr(want, '/') == strrchr(want, '/');
}

static int is_index(json_t *j)
{
        const char *mt = jstr(j, "mediaType");

        if (mt)
                return !strcmp(mt, "application/vnd.oci.image.index.v1+json") ||
                       !strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json");
        return json_is_array(json_object_get(j, "manifests"));
}

static int read_manifest(struct image_source *src, const char *digest, char **buf, size_t *len)
{
        if (src->get_manifest) {
                struct digest want, got;
                int rc = src->get_manifest(src->ctx, digest, buf, len);

                if (rc < 0)
                        return rc;
                if (digest_parse(digest, strlen(digest), &want) < 0 ||
                    digest_buf(want.alg, *buf, *len, &got) < 0 || strcmp(want.str, got.str)) {
                        free(*buf);
                        return dou_err_set(DOU_EDIGEST, "manifest %s: content does not match its digest", digest);
                }
                return 0;
        }
        return blob_read_all(src, digest, IMAGE_MAX_MANIFEST, buf, len);
}

static int add_manifest(struct resolve *r, json_t *j, const char *digest, const char *platform)
{
        json_t *layers = json_object_get(j, "layers"), *cfg = json_object_get(j, "config");
        const char *cd = jstr(cfg, "digest");
        struct image_manifest m = { 0 }, *nm;
        size_t i;
        json_t *l;
        struct digest d;

        if (!json_is_array(layers) || !cd || digest_parse(cd, strlen(cd), &d) < 0)
                return dou_err_set(DOU_EINVAL, "manifest %s: no config or layers", digest);
        if (json_array_size(layers) > IMAGE_MAX_LAYERS)
                return dou_err_set(DOU_ETOOBIG, "manifest %s: more than %u layers", digest, IMAGE_MAX_LAYERS);
        if (r->n >= IMAGE_MAX_MANIFESTS)
                return dou_err_set(DOU_ETOOBIG, "more than %u manifests", IMAGE_MAX_MANIFESTS);
        snprintf(m.digest, sizeof(m.digest), "%s", digest);
        snprintf(m.config, sizeof(m.config), "%s", d.str);
        if (platform && *platform) {
                snprintf(m.platform, sizeof(m.platform), "%s", platform);
        } else {
                char *cbuf;
                size_t clen;
                json_t *cj;
                int rc = blob_read_all(r->src, cd, IMAGE_MAX_MANIFEST, &cbuf, &clen);

                if (rc < 0)
                        return rc;
                cj = json_loadb(cbuf, clen, 0, NULL);
                free(cbuf);
                if (cj)
                        platform_str(cj, m.platform, sizeof(m.platform));
                json_decref(cj);
        }
        if (r->want && !platform_match(r->want, m.platform))
                return 0;
        m.layers = calloc(json_array_size(layers) + 1, sizeof(char *));
        if (!m.layers)
                return DOU_ENOMEM;
        json_array_foreach(layers, i, l) {
                const char *ld = jstr(l, "digest");

                if (!ld || digest_parse(ld, strlen(ld), &d) < 0) {
                        for (size_t k = 0; k < m.n_layers; k++)
                                free(m.layers[k]);
                        free(m.layers);
                        return dou_err_set(DOU_EINVAL, "manifest %s: layer %zu has no valid digest", digest, i);
                }
                if (!(m.layers[m.n_layers++] = strdup(d.str))) {
                        for (size_t k = 0; k < m.n_layers; k++)
                                free(m.layers[k]);
                        free(m.layers);
                        return DOU_ENOMEM;
                }
        }
        nm = realloc(r->m, (r->n + 1) * sizeof(*nm));
        if (!nm) {
                for (size_t k = 0; k < m.n_layers; k++)
                        free(m.layers[k]);
                free(m.layers);
                return DOU_ENOMEM;
        }
        r->m = nm;
        r->m[r->n++] = m;
        return 0;
}

static int handle(struct resolve *r, const char *buf, size_t len, const char *digest,
                  const char *platform, int depth)
{
        json_error_t je;
        json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je), *ms, *d;
        size_t i;
        int rc = 0;

        if (!j || !json_is_object(j)) {
                json_decref(j);
                return dou_err_set(DOU_EINVAL, "manifest %s: not JSON: %s", digest, je.text);
        }
        if (!is_index(j)) {
                rc = add_manifest(r, j, digest, platform);
                json_decref(j);
                return rc;
        }
        if (depth >= IMAGE_MAX_INDEX_DEPTH) {
                json_decref(j);
                return dou_err_set(DOU_ETOOBIG, "index %s: nested deeper than %d", digest, IMAGE_MAX_INDEX_DEPTH);
        }
        ms = json_object_get(j, "manifests");
        json_array_foreach(ms, i, d) {
                const char *cd = jstr(d, "digest");
                json_t *ann = json_object_get(d, "annotations");
                char plat[128], *cbuf;
                size_t clen;

                if (!cd)
                        continue;
                if (jstr(ann, "vnd.docker.reference.type"))
                        continue;       /* buildkit attestation */
                platform_str(json_object_get(d, "platform"), plat, sizeof(plat));
                if (!strcmp(plat, "unknown/unknown"))
                        continue;
                if (r->want && plat[0] && !platform_match(r->want, plat) &&
                    !is_index(d))
                        continue;
                if ((rc = read_manifest(r->src, cd, &cbuf, &clen)) < 0)
                        break;
                rc = handle(r, cbuf, clen, cd, plat[0] ? plat : platform, depth + 1);
                free(cbuf);
                if (rc < 0)
                        break;
        }
        json_decref(j);
        return rc;
}

int image_resolve(struct image_source *src, const char *platform,
                  struct image_manifest **ret, size_t *ret_n)
{
        struct resolve r = { .src = src, .want = platform };
        char digest[DIGEST_STR_MAX] = "", *buf = NULL;
        size_t len = 0;
        int rc;

        if ((rc = src->get_root(src->ctx, &buf, &len, digest)) < 0)
                return rc;
        if (len > IMAGE_MAX_MANIFEST) {
                free(buf);
                return dou_err_set(DOU_ETOOBIG, "root manifest larger than %u bytes", IMAGE_MAX_MANIFEST);
        }
        if (!digest[0]) {
                struct digest d;

                if ((rc = digest_buf(DIGEST_SHA256, buf, len, &d)) < 0) {
                        free(buf);
                        return rc;
                }
                snprintf(digest, sizeof(digest), "%s", d.str);
        }
        rc = handle(&r, buf, len, digest, NULL, 0);
        free(buf);
        if (rc == 0 && r.n == 0)
                rc = dou_err_set(DOU_ENOTFOUND, platform ? "no image manifest for platform %s"
                                                         : "no image manifest%s", platform ? platform : "");
        if (rc < 0) {
                image_manifests_free(r.m, r.n);
                return rc;
        }
        *ret = r.m;
        *ret_n = r.n;
        return 0;
}
