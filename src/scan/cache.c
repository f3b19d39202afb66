/*
 * cache.c - per-layer results as JSON files, DIR/layers/<alg>/<hex>.json,
 * written atomically. A layer's result depends only on its bytes (its
 * digest) and on the parsers, so the file carries a parser generation:
 * bump LAYER_CACHE_GEN when a parser changes what it reports and old
 * entries are ignored. Results stopped by an I/O or digest error are not
 * cached (they say nothing about the layer).
 */
#include "scan/scan.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAYER_CACHE_SCHEMA "douane.layer-cache/v1"
#define LAYER_CACHE_GEN 2      /* 2: tars without their last padding are read (layer.c) */
#define LAYER_CACHE_MAX (1u << 30)

static int cache_path(const char *dir, const char *digest, char *out, size_t n, int mkdirs)
{
        struct digest d;
        char sub[4096];

        if (digest_parse(digest, strlen(digest), &d) < 0)
                return dou_err_set(DOU_EINVAL, "bad layer digest \"%.80s\"", digest);
        snprintf(sub, sizeof(sub), "%s/layers/%s", dir, digest_alg_name(d.alg));
        if (mkdirs && fs_mkdir_p(sub, 0755) < 0)
                return DOU_EIO;
        if (snprintf(out, n, "%s/%s.json", sub, digest_hex(&d)) >= (int)n)
                return dou_err_set(DOU_EINVAL, "cache path too long");
        return 0;
}

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *strvec_json(const struct strvec *v)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < v->n; i++)
                json_array_append_new(a, json_string(v->v[i]));
        return a;
}

int layer_cache_store(const char *dir, const struct layer_result *r)
{
        char path[4096], *text;
        json_t *j, *a;
        int rc;

        if (r->fatal_code && r->fatal_code != DOU_EINVAL && r->fatal_code != DOU_ETOOBIG &&
            r->fatal_code != DOU_EUNSUPPORTED)
                return 0;
        if ((rc = cache_path(dir, r->digest, path, sizeof(path), 1)) < 0)
                return rc;
        j = json_pack("{s:s, s:i, s:s, s:I, s:I, s:I, s:i}", "schema", LAYER_CACHE_SCHEMA,
                      "gen", LAYER_CACHE_GEN, "digest", r->digest, "entries", (json_int_t)r->entries,
                      "bytes", (json_int_t)r->bytes, "errors_dropped", (json_int_t)r->errors_dropped,
                      "fatal_code", r->fatal_code);
        if (!j)
                return DOU_ENOMEM;
        json_object_set_new(j, "fatal", str_or_null(r->fatal));
        a = json_array();
        for (size_t i = 0; i < r->pkgs.len; i++) {
                const struct scan_pkg *p = &r->pkgs.items[i];
                json_t *o = json_object();

                json_object_set_new(o, "type", json_integer(p->type));
                json_object_set_new(o, "name", str_or_null(p->name));
                json_object_set_new(o, "version", str_or_null(p->version));
                json_object_set_new(o, "arch", str_or_null(p->arch));
                json_object_set_new(o, "namespace", str_or_null(p->namespace_));
                json_object_set_new(o, "source_name", str_or_null(p->source_name));
                json_object_set_new(o, "source_version", str_or_null(p->source_version));
                json_object_set_new(o, "license", str_or_null(p->license));
                json_object_set_new(o, "path", str_or_null(p->path));
                json_object_set_new(o, "owner", str_or_null(p->owner));
                json_array_append_new(a, o);
        }
        json_object_set_new(j, "pkgs", a);
        a = json_array();
        for (size_t i = 0; i < r->n_os; i++) {
                const struct layer_os *o = &r->os[i];

                json_array_append_new(a, json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:o}", "path", o->path,
                                                   "kind", o->kind, "id", str_or_null(o->rel.id),
                                                   "version_id", str_or_null(o->rel.version_id),
                                                   "version_codename", str_or_null(o->rel.version_codename),
                                                   "pretty_name", str_or_null(o->rel.pretty_name),
                                                   "name", str_or_null(o->rel.name)));
        }
        json_object_set_new(j, "os", a);
        a = json_array();
        for (size_t i = 0; i < r->n_lic; i++)
                json_array_append_new(a, json_pack("[s,s,s]", r->lic[i].path, r->lic[i].pkg, r->lic[i].expr));
        json_object_set_new(j, "lic", a);
        a = json_array();
        for (size_t i = 0; i < r->n_own; i++)
                json_array_append_new(a, json_pack("[s,s,s]", r->own[i].db_path, r->own[i].owner, r->own[i].path));
        json_object_set_new(j, "own", a);
        a = json_array();
        for (size_t i = 0; i < r->n_links; i++)
                json_array_append_new(a, json_pack("[s,s,b]", r->links[i].path, r->links[i].target, r->links[i].hard));
        json_object_set_new(j, "links", a);
        json_object_set_new(j, "whiteouts", strvec_json(&r->whiteouts));
        json_object_set_new(j, "opaque", strvec_json(&r->opaque));
        json_object_set_new(j, "seen", strvec_json(&r->seen));
        json_object_set_new(j, "errors", strvec_json(&r->errors));
        text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!text)
                return DOU_ENOMEM;
        rc = fs_write_atomic(path, text, strlen(text));
        free(text);
        return rc;
}

static char *sdup(json_t *o, const char *k)
{
        const char *s = json_string_value(json_object_get(o, k));

        return s ? strdup(s) : NULL;
}

static const char *astr(json_t *a, size_t i)
{
        const char *s = json_string_value(json_array_get(a, i));

        return s ? s : "";
}

static int load_strvec(json_t *a, struct strvec *v)
{
        size_t i;
        json_t *e;

        json_array_foreach(a, i, e)
                if (json_is_string(e) && strvec_push(v, json_string_value(e)) < 0)
                        return DOU_ENOMEM;
        return 0;
}

static int from_json(json_t *j, struct layer_result *r)
{
        size_t i;
        json_t *e, *a;

        r->entries = (uint64_t)json_integer_value(json_object_get(j, "entries"));
        r->bytes = (uint64_t)json_integer_value(json_object_get(j, "bytes"));
        r->errors_dropped = (size_t)json_integer_value(json_object_get(j, "errors_dropped"));
        r->fatal_code = (int)json_integer_value(json_object_get(j, "fatal_code"));
        r->fatal = sdup(j, "fatal");
        json_array_foreach(json_object_get(j, "pkgs"), i, e) {
                struct scan_pkg p = {
                        .type = (enum pkg_type)json_integer_value(json_object_get(e, "type")),
                        .name = json_string_value(json_object_get(e, "name")),
                        .version = json_string_value(json_object_get(e, "version")),
                        .arch = json_string_value(json_object_get(e, "arch")),
                        .namespace_ = json_string_value(json_object_get(e, "namespace")),
                        .source_name = json_string_value(json_object_get(e, "source_name")),
                        .source_version = json_string_value(json_object_get(e, "source_version")),
                        .license = json_string_value(json_object_get(e, "license")),
                        .path = json_string_value(json_object_get(e, "path")),
                        .owner = json_string_value(json_object_get(e, "owner")),
                        .layer = r->digest,
                };

                if ((unsigned)p.type >= PKG_TYPE_COUNT || !p.name)
                        return DOU_EINVAL;
                if (pkg_list_add(&r->pkgs, &p) < 0)
                        return DOU_ENOMEM;
        }
        a = json_object_get(j, "os");
        if ((r->os = calloc(json_array_size(a) + 1, sizeof(*r->os))) == NULL)
                return DOU_ENOMEM;
        json_array_foreach(a, i, e) {
                struct layer_os *o = &r->os[r->n_os++];

                o->path = sdup(e, "path");
                o->kind = (int)json_integer_value(json_object_get(e, "kind"));
                o->rel.id = sdup(e, "id");
                o->rel.version_id = sdup(e, "version_id");
                o->rel.version_codename = sdup(e, "version_codename");
                o->rel.pretty_name = sdup(e, "pretty_name");
                o->rel.name = sdup(e, "name");
                if (!o->path)
                        return DOU_EINVAL;
        }
        a = json_object_get(j, "lic");
        if ((r->lic = calloc(json_array_size(a) + 1, sizeof(*r->lic))) == NULL)
                return DOU_ENOMEM;
        json_array_foreach(a, i, e) {
                struct layer_lic *l = &r->lic[r->n_lic++];

                l->path = strdup(astr(e, 0));
                l->pkg = strdup(astr(e, 1));
                l->expr = strdup(astr(e, 2));
                if (!l->path || !l->pkg || !l->expr)
                        return DOU_ENOMEM;
        }
        a = json_object_get(j, "own");
        if ((r->own = calloc(json_array_size(a) + 1, sizeof(*r->own))) == NULL)
                return DOU_ENOMEM;
        r->cap_own = json_array_size(a) + 1;
        json_array_foreach(a, i, e) {
                struct layer_own *o = &r->own[r->n_own++];

                o->db_path = strdup(astr(e, 0));
                o->owner = strdup(astr(e, 1));
                o->path = strdup(astr(e, 2));
                if (!o->db_path || !o->owner || !o->path)
                        return DOU_ENOMEM;
        }
        a = json_object_get(j, "links");
        if ((r->links = calloc(json_array_size(a) + 1, sizeof(*r->links))) == NULL)
                return DOU_ENOMEM;
        json_array_foreach(a, i, e) {
                struct layer_link *l = &r->links[r->n_links++];

                l->path = strdup(astr(e, 0));
                l->target = strdup(astr(e, 1));
                l->hard = json_is_true(json_array_get(e, 2));
                if (!l->path || !l->target)
                        return DOU_ENOMEM;
        }
        if (load_strvec(json_object_get(j, "whiteouts"), &r->whiteouts) < 0 ||
            load_strvec(json_object_get(j, "opaque"), &r->opaque) < 0 ||
            load_strvec(json_object_get(j, "seen"), &r->seen) < 0 ||
            load_strvec(json_object_get(j, "errors"), &r->errors) < 0)
                return DOU_ENOMEM;
        return 0;
}

int layer_cache_load(const char *dir, const char *digest, struct layer_result *ret)
{
        char path[4096], *buf;
        size_t len;
        json_t *j;
        int rc;

        memset(ret, 0, sizeof(*ret));
        if ((rc = cache_path(dir, digest, path, sizeof(path), 0)) < 0)
                return rc;
        if (fs_read_small(path, LAYER_CACHE_MAX, &buf, &len) < 0)
                return DOU_ENOTFOUND;
        j = json_loadb(buf, len, 0, NULL);
        free(buf);
        if (!j || json_integer_value(json_object_get(j, "gen")) != LAYER_CACHE_GEN ||
            !json_is_string(json_object_get(j, "digest")) ||
            strcmp(json_string_value(json_object_get(j, "digest")), digest) ||
            strcmp(json_string_value(json_object_get(j, "schema")) ?: "", LAYER_CACHE_SCHEMA)) {
                json_decref(j);
                return DOU_ENOTFOUND;   /* stale or damaged: index again */
        }
        if (!(ret->digest = strdup(digest))) {
                json_decref(j);
                return DOU_ENOMEM;
        }
        rc = from_json(j, ret);
        json_decref(j);
        if (rc < 0) {
                layer_result_clear(ret);
                return rc == DOU_ENOMEM ? rc : DOU_ENOTFOUND;
        }
        return 0;
}
