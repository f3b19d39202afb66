/*
 * report.c - index report, SPDX 2.3, CycloneDX 1.5 and table writers.
 *
 * Packages are deduplicated in every output by (type, namespace, name,
 * version, arch): one entry per distinct package, with every place it was
 * declared in "locations". Identifiers are derived from content (manifest
 * digests, positions), never random, so the same image gives the same
 * document given the same creation time.
 */
#include "scan/report.h"
#include "scan/smap.h"
#include "douane_version.h"
#include "util/err.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int report_format_parse(const char *s)
{
        if (!strcmp(s, "json"))
                return REPORT_JSON;
        if (!strcmp(s, "spdx-json") || !strcmp(s, "spdx"))
                return REPORT_SPDX;
        if (!strcmp(s, "cyclonedx-json") || !strcmp(s, "cyclonedx"))
                return REPORT_CYCLONEDX;
        if (!strcmp(s, "table"))
                return REPORT_TABLE;
        return -1;
}

/* --- purl --- */
struct sb {
        char *p;
        size_t n, len;
        int over;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
        if (b->over || b->len + n + 1 > b->n) {
                b->over = 1;
                return;
        }
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = 0;
}

static void sb_str(struct sb *b, const char *s)
{
        sb_put(b, s, strlen(s));
}

/* purl-spec percent-encoding: everything but ALPHA DIGIT - . _ ~ */
static void sb_enc(struct sb *b, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";

        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
                        sb_put(b, (const char *)&c, 1);
                } else {
                        char e[3] = { '%', hex[c >> 4], hex[c & 15] };

                        sb_put(b, e, 3);
                }
        }
}

static int is_os_type(enum pkg_type t)
{
        return t == PKG_DEB || t == PKG_APK || t == PKG_RPM;
}

static const char *default_ns(enum pkg_type t)
{
        return t == PKG_DEB ? "debian" : t == PKG_APK ? "alpine" : t == PKG_RPM ? "redhat" : NULL;
}

static void os_qualifiers(struct sb *b, const char *arch, const struct os_release *d, const char *epoch,
                          size_t epoch_len)
{
        char sep = '?';

        if (arch) {
                sb_put(b, &sep, 1);
                sb_str(b, "arch=");
                sb_enc(b, arch);
                sep = '&';
        }
        if (d && d->id && d->version_id) {
                char v[512];

                snprintf(v, sizeof(v), "%s-%s", d->id, d->version_id);
                sb_put(b, &sep, 1);
                sb_str(b, "distro=");
                sb_enc(b, v);
                sep = '&';
        }
        if (epoch_len) {        /* purl-spec: rpm epochs are a qualifier */
                sb_put(b, &sep, 1);
                sb_str(b, "epoch=");
                sb_put(b, epoch, epoch_len);
        }
}

/* "1:2.3-4" -> epoch "1", rest "2.3-4" (rpm only). */
static size_t rpm_epoch(const char *v)
{
        size_t i = 0;

        while (v && v[i] >= '0' && v[i] <= '9')
                i++;
        return v && i && v[i] == ':' ? i : 0;
}

static int build(const struct scan_pkg *p, const struct os_release *d, char *out, size_t n,
                 const char *name, const char *version, const char *arch)
{
        struct sb b = { .p = out, .n = n };
        const char *ns = p->namespace_;
        size_t ep;

        out[0] = 0;
        sb_str(&b, "pkg:");
        sb_str(&b, pkg_type_name(p->type));
        sb_str(&b, "/");
        if (is_os_type(p->type)) {
                ns = d && d->id ? d->id : default_ns(p->type);
        }
        if (p->type == PKG_GOLANG && !ns && strchr(name, '/')) {
                /* module path: every segment but the last is namespace */
                const char *s = name, *slash;

                while ((slash = strchr(s, '/'))) {
                        char seg[1024];
                        size_t sl = (size_t)(slash - s);

                        if (sl >= sizeof(seg))
                                return DOU_ETOOBIG;
                        memcpy(seg, s, sl);
                        seg[sl] = 0;
                        sb_enc(&b, seg);
                        sb_str(&b, "/");
                        s = slash + 1;
                }
                name = s;
        } else if (ns && *ns) {
                char seg[1024];
                const char *s = ns;

                for (;;) {
                        const char *slash = strchr(s, '/');
                        size_t sl = slash ? (size_t)(slash - s) : strlen(s);

                        if (sl >= sizeof(seg))
                                return DOU_ETOOBIG;
                        memcpy(seg, s, sl);
                        seg[sl] = 0;
                        if (sl)
                                sb_enc(&b, seg);
                        if (sl)
                                sb_str(&b, "/");
                        if (!slash)
                                break;
                        s = slash + 1;
                }
        }
        if (p->type == PKG_PYPI) {
                /* purl-spec: pypi names are lower case with '_' as '-' */
                char norm[1024];
                size_t i;

                for (i = 0; name[i] && i < sizeof(norm) - 1; i++)
                        norm[i] = name[i] == '_' ? '-' : (char)tolower((unsigned char)name[i]);
                norm[i] = 0;
                sb_enc(&b, norm);
        } else {
                sb_enc(&b, name);
        }
        ep = p->type == PKG_RPM ? rpm_epoch(version) : 0;
        if (version && *version) {
                sb_str(&b, "@");
                sb_enc(&b, version + (ep ? ep + 1 : 0));
        }
        if (is_os_type(p->type))
                os_qualifiers(&b, arch, d, version, ep);
        return b.over ? dou_err_set(DOU_ETOOBIG, "purl longer than %zu", n) : 0;
}

int purl_build(const struct scan_pkg *p, const struct os_release *d, char *out, size_t n)
{
        return build(p, d, out, n, p->name ? p->name : "", p->version, p->arch);
}

static const char *src_name(const struct scan_pkg *p)
{
        return p->source_name ? p->source_name : p->name;
}

static const char *src_version(const struct scan_pkg *p)
{
        return p->source_version ? p->source_version : p->version;
}

int purl_build_source(const struct scan_pkg *p, const struct os_release *d, char *out, size_t n)
{
        return build(p, d, out, n, src_name(p), src_version(p), "source");
}

/* --- dedup: index of the first package with the same identity --- */
struct dedup {
        struct smap map;
        char **keys;
        size_t *first;          /* per package: index of its representative */
        size_t n;
};

static void dedup_free(struct dedup *d)
{
        smap_free(&d->map);
        for (size_t i = 0; i < d->n; i++)
                free(d->keys[i]);
        free(d->keys);
        free(d->first);
}

static int dedup_build(const struct pkg_list *l, struct dedup *d)
{
        memset(d, 0, sizeof(*d));
        d->keys = calloc(l->len + 1, sizeof(*d->keys));
        d->first = calloc(l->len + 1, sizeof(*d->first));
        if (!d->keys || !d->first)
                return DOU_ENOMEM;
        d->n = l->len;
        for (size_t i = 0; i < l->len; i++) {
                const struct scan_pkg *p = &l->items[i];
                const size_t *f;

                if (asprintf(&d->keys[i], "%d\x1f%s\x1f%s\x1f%s\x1f%s", p->type, p->namespace_ ? p->namespace_ : "",
                             p->name ? p->name : "", p->version ? p->version : "", p->arch ? p->arch : "") < 0) {
                        d->keys[i] = NULL;
                        return DOU_ENOMEM;
                }
                f = smap_get(&d->map, d->keys[i]);
                if (f) {
                        d->first[i] = *f;
                } else {
                        d->first[i] = i;
                        if (smap_put(&d->map, d->keys[i], &d->first[i]) < 0)
                                return DOU_ENOMEM;
                }
        }
        return 0;
}

/* --- index report --- */
static json_t *jstr_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *distro_json(const struct os_release *d)
{
        if (!d->id)
                return json_null();
        return json_pack("{s:s, s:o, s:o, s:o}", "id", d->id,
                         "version_id", jstr_or_null(d->version_id),
                         "version_codename", jstr_or_null(d->version_codename),
                         "pretty_name", jstr_or_null(d->pretty_name));
}

static json_t *location(const struct scan_pkg *p)
{
        return json_pack("{s:o, s:o}", "layer", jstr_or_null(p->layer), "path", jstr_or_null(p->path));
}

json_t *report_index_json(const struct image_index *x)
{
        json_t *j, *pk, *ly, *er;
        struct dedup dd;
        json_t **objs = NULL;
        char purl[PURL_MAX];

        if (dedup_build(&x->pkgs, &dd) < 0) {
                dedup_free(&dd);
                return NULL;
        }
        j = json_pack("{s:s, s:s, s:s, s:s}", "schema", "douane.index-report/v1", "image", x->image,
                      "manifest", x->manifest, "platform", x->platform);
        pk = json_array();
        ly = json_array();
        er = json_array();
        objs = calloc(x->pkgs.len + 1, sizeof(*objs));
        if (!j || !pk || !ly || !er || !objs)
                goto fail;
        json_object_set_new(j, "distribution", distro_json(&x->distro));
        for (size_t i = 0; i < x->pkgs.len; i++) {
                const struct scan_pkg *p = &x->pkgs.items[i];
                json_t *o, *src;

                if (dd.first[i] != i) {
                        json_array_append_new(json_object_get(objs[dd.first[i]], "locations"), location(p));
                        continue;
                }
                if (purl_build(p, &x->distro, purl, sizeof(purl)) < 0)
                        purl[0] = 0;
                src = is_os_type(p->type)
                        ? json_pack("{s:s, s:o}", "name", src_name(p), "version", jstr_or_null(src_version(p)))
                        : json_null();
                o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:[o], s:o}",
                              "type", pkg_type_name(p->type), "name", p->name,
                              "version", jstr_or_null(p->version), "arch", jstr_or_null(p->arch),
                              "source", src, "namespace", jstr_or_null(p->namespace_),
                              "license", jstr_or_null(p->license),
                              "purl", purl[0] ? json_string(purl) : json_null(),
                              "locations", location(p), "owner", jstr_or_null(p->owner));
                if (!o)
                        goto fail;
                objs[i] = o;
                json_array_append_new(pk, o);
        }
        for (size_t i = 0; i < x->n_layers; i++)
                json_array_append_new(ly, json_pack("{s:s, s:s, s:o}", "digest", x->layers[i].digest,
                                                    "status", x->layers[i].ok ? "ok" : "error",
                                                    "error", jstr_or_null(x->layers[i].error)));
        for (size_t i = 0; i < x->errors.n; i++)
                json_array_append_new(er, json_string(x->errors.v[i]));
        json_object_set_new(j, "packages", pk);
        json_object_set_new(j, "layers", ly);
        json_object_set_new(j, "errors", er);
        free(objs);
        dedup_free(&dd);
        return j;
fail:
        json_decref(j);
        json_decref(pk);
        json_decref(ly);
        json_decref(er);
        free(objs);
        dedup_free(&dd);
        return NULL;
}

/* --- SPDX 2.3 --- */

/* An SPDX licence expression, or NOASSERTION when the text would not parse as one. */
static const char *spdx_license(const char *e)
{
        if (!e || !*e)
                return "NOASSERTION";
        for (const char *c = e; *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr(".-+() :", *c))
                        return "NOASSERTION";
        return e;
}

static void spdx_id(char *out, size_t n, const char *kind, size_t i, const char *name)
{
        size_t o = (size_t)snprintf(out, n, "SPDXRef-%s-%zu-", kind, i);

        for (; name && *name && o + 1 < n; name++)
                out[o++] = isalnum((unsigned char)*name) || *name == '.' || *name == '-' ? *name : '-';
        out[o < n ? o : n - 1] = 0;
}

static json_t *purl_ref(const char *purl)
{
        return json_pack("[{s:s, s:s, s:s}]", "referenceCategory", "PACKAGE-MANAGER",
                         "referenceType", "purl", "referenceLocator", purl);
}

static json_t *rel(const char *a, const char *type, const char *b)
{
        return json_pack("{s:s, s:s, s:s}", "spdxElementId", a, "relationshipType", type,
                         "relatedSpdxElement", b);
}

static int spdx_image(json_t *pkgs, json_t *rels, const struct image_index *x, size_t xi)
{
        char img[128], id[300], purl[PURL_MAX], info[1024];
        struct dedup dd;
        struct smap srcs = { 0 };
        char **src_ids = NULL;
        int rc = 0;

        snprintf(img, sizeof(img), "SPDXRef-Image-%zu", xi);
        json_array_append_new(pkgs, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s}",
                "SPDXID", img, "name", x->image, "versionInfo", x->manifest,
                "downloadLocation", "NOASSERTION", "filesAnalyzed", 0, "primaryPackagePurpose", "CONTAINER",
                "licenseConcluded", "NOASSERTION", "licenseDeclared", "NOASSERTION",
                "comment", x->platform));
        json_array_append_new(rels, rel("SPDXRef-DOCUMENT", "DESCRIBES", img));
        if (x->distro.id) {
                char osid[128];

                snprintf(osid, sizeof(osid), "SPDXRef-OS-%zu", xi);
                json_array_append_new(pkgs, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s}",
                        "SPDXID", osid, "name", x->distro.id,
                        "versionInfo", x->distro.version_id ? x->distro.version_id : "NOASSERTION",
                        "downloadLocation", "NOASSERTION", "filesAnalyzed", 0,
                        "primaryPackagePurpose", "OPERATING_SYSTEM",
                        "licenseConcluded", "NOASSERTION", "licenseDeclared", "NOASSERTION"));
                json_array_append_new(rels, rel(img, "CONTAINS", osid));
        }
        if (dedup_build(&x->pkgs, &dd) < 0 || !(src_ids = calloc(x->pkgs.len + 1, sizeof(*src_ids)))) {
                rc = DOU_ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < x->pkgs.len; i++) {
                const struct scan_pkg *p = &x->pkgs.items[i];
                json_t *o;

                if (dd.first[i] != i)
                        continue;
                spdx_id(id, sizeof(id), "Package", i, p->name);
                if (xi)
                        snprintf(id + strlen(id), sizeof(id) - strlen(id), "-img%zu", xi);
                if (purl_build(p, &x->distro, purl, sizeof(purl)) < 0)
                        continue;
                snprintf(info, sizeof(info), "found in layer %s at /%s", p->layer ? p->layer : "?",
                         p->path ? p->path : "?");
                o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:o, s:s}",
                              "SPDXID", id, "name", p->name, "versionInfo", p->version ? p->version : "NOASSERTION",
                              "downloadLocation", "NOASSERTION", "filesAnalyzed", 0,
                              "licenseConcluded", "NOASSERTION", "licenseDeclared", spdx_license(p->license),
                              "copyrightText", "NOASSERTION", "externalRefs", purl_ref(purl),
                              "sourceInfo", info);
                if (!o) {
                        rc = DOU_ENOMEM;
                        goto out;
                }
                if (p->type == PKG_MAVEN || p->type == PKG_NPM) {
                        if (p->namespace_)
                                json_object_set_new(o, "supplier", json_string("NOASSERTION"));
                }
                json_array_append_new(pkgs, o);
                json_array_append_new(rels, rel(img, "CONTAINS", id));
                if (is_os_type(p->type)) {
                        char skey[PURL_MAX], sid[300];
                        const char *have;

                        if (purl_build_source(p, &x->distro, skey, sizeof(skey)) < 0)
                                continue;
                        have = smap_get(&srcs, skey);
                        if (!have) {
                                spdx_id(sid, sizeof(sid), "Source", i, src_name(p));
                                if (xi)
                                        snprintf(sid + strlen(sid), sizeof(sid) - strlen(sid), "-img%zu", xi);
                                if (!(src_ids[i] = strdup(sid)) || !(src_ids[i] = realloc(src_ids[i], strlen(sid) + 1 + strlen(skey) + 1))) {
                                        rc = DOU_ENOMEM;
                                        goto out;
                                }
                                /* keep the key alive next to the id: "id\0purl" */
                                memcpy(src_ids[i] + strlen(sid) + 1, skey, strlen(skey) + 1);
                                smap_put(&srcs, src_ids[i] + strlen(sid) + 1, src_ids[i]);
                                json_array_append_new(pkgs, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:o, s:s}",
                                        "SPDXID", sid, "name", src_name(p),
                                        "versionInfo", src_version(p) ? src_version(p) : "NOASSERTION",
                                        "downloadLocation", "NOASSERTION", "filesAnalyzed", 0,
                                        "licenseConcluded", "NOASSERTION", "licenseDeclared", "NOASSERTION",
                                        "copyrightText", "NOASSERTION", "externalRefs", purl_ref(skey),
                                        "primaryPackagePurpose", "SOURCE"));
                                have = src_ids[i];
                        }
                        json_array_append_new(rels, rel(id, "GENERATED_FROM", have));
                }
        }
out:
        if (src_ids)
                for (size_t i = 0; i < x->pkgs.len; i++)
                        free(src_ids[i]);
        free(src_ids);
        smap_free(&srcs);
        dedup_free(&dd);
        return rc;
}

static void ns_slug(char *out, size_t n, const char *s)
{
        size_t o = 0;

        for (; *s && o + 1 < n; s++)
                out[o++] = isalnum((unsigned char)*s) || *s == '.' || *s == '-' ? *s : '-';
        out[o] = 0;
}

static json_t *spdx_doc(const struct image_index *x, size_t n, const char *created)
{
        json_t *d, *pkgs = json_array(), *rels = json_array();
        char ns[1024], slug[256];
        const char *hex = strchr(x[0].manifest, ':');

        ns_slug(slug, sizeof(slug), x[0].image);
        snprintf(ns, sizeof(ns), "https://douane.dev/spdxdocs/%s-%s", slug, hex ? hex + 1 : x[0].manifest);
        d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:[s]}}",
                      "spdxVersion", "SPDX-2.3", "dataLicense", "CC0-1.0", "SPDXID", "SPDXRef-DOCUMENT",
                      "name", x[0].image, "documentNamespace", ns,
                      "creationInfo", "created", created, "creators", "Tool: douane-" DOUANE_VERSION);
        if (!d || !pkgs || !rels)
                goto fail;
        for (size_t i = 0; i < n; i++)
                if (spdx_image(pkgs, rels, &x[i], i) < 0)
                        goto fail;
        json_object_set_new(d, "packages", pkgs);
        json_object_set_new(d, "relationships", rels);
        return d;
fail:
        json_decref(d);
        json_decref(pkgs);
        json_decref(rels);
        return NULL;
}

/* --- CycloneDX 1.5 --- */
static void uuid_from(const struct image_index *x, size_t n, char *out)
{
        struct digest d;
        struct hasher *h = hasher_new(DIGEST_SHA256);
        const char *hx;

        for (size_t i = 0; h && i < n; i++)
                hasher_update(h, x[i].manifest, strlen(x[i].manifest));
        if (!h || hasher_final(h, &d) < 0)
                digest_buf(DIGEST_SHA256, "", 0, &d);
        hasher_free(h);
        hx = digest_hex(&d);
        /* a name-based (v5-shaped) UUID from the manifest digests */
        snprintf(out, 64, "urn:uuid:%.8s-%.4s-5%.3s-%c%.3s-%.12s", hx, hx + 8, hx + 13,
                 "89ab"[hx[16] % 4], hx + 17, hx + 20);
}

static json_t *cdx_components(const struct image_index *x, size_t xi)
{
        json_t *a = json_array();
        struct dedup dd;
        char purl[PURL_MAX], ref[64];

        if (!a || dedup_build(&x->pkgs, &dd) < 0) {
                json_decref(a);
                return NULL;
        }
        if (x->distro.id) {
                snprintf(ref, sizeof(ref), "os-%zu", xi);
                json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "operating-system",
                        "bom-ref", ref, "name", x->distro.id,
                        "version", x->distro.version_id ? x->distro.version_id : "",
                        "description", x->distro.pretty_name ? x->distro.pretty_name : x->distro.id));
        }
        for (size_t i = 0; i < x->pkgs.len; i++) {
                const struct scan_pkg *p = &x->pkgs.items[i];
                json_t *c, *props;

                if (dd.first[i] != i)
                        continue;
                if (purl_build(p, &x->distro, purl, sizeof(purl)) < 0)
                        continue;
                snprintf(ref, sizeof(ref), "pkg-%zu-%zu", xi, i);
                c = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "library", "bom-ref", ref,
                              "name", p->name, "version", p->version ? p->version : "", "purl", purl);
                if (!c)
                        continue;
                if (p->namespace_)
                        json_object_set_new(c, "group", json_string(p->namespace_));
                if (p->license && strcmp(spdx_license(p->license), "NOASSERTION"))
                        json_object_set_new(c, "licenses", json_pack("[{s:s}]", "expression", p->license));
                props = json_pack("[{s:s, s:s}, {s:s, s:s}]", "name", "douane:layer", "value", p->layer ? p->layer : "",
                                  "name", "douane:path", "value", p->path ? p->path : "");
                if (p->owner)
                        json_array_append_new(props, json_pack("{s:s, s:s}", "name", "douane:owner", "value", p->owner));
                if (is_os_type(p->type) && src_name(p))
                        json_array_append_new(props, json_pack("{s:s, s:s}", "name", "douane:source",
                                                               "value", src_name(p)));
                json_object_set_new(c, "properties", props);
                json_array_append_new(a, c);
        }
        dedup_free(&dd);
        return a;
}

static json_t *refs_of(json_t *comps)
{
        json_t *a = json_array(), *c;
        size_t i;

        json_array_foreach(comps, i, c)
                json_array_append(a, json_object_get(c, "bom-ref"));
        return a;
}

static json_t *cdx_doc(const struct image_index *x, size_t n, const char *created)
{
        char serial[64];
        json_t *d, *comps, *deps;

        uuid_from(x, n, serial);
        d = json_pack("{s:s, s:s, s:s, s:i, s:{s:s, s:{s:[{s:s, s:s, s:s}]}, s:{s:s, s:s, s:s, s:s}}}",
                      "bomFormat", "CycloneDX", "specVersion", "1.5", "serialNumber", serial, "version", 1,
                      "metadata", "timestamp", created, "tools", "components", "type", "application",
                      "name", "douane", "version", DOUANE_VERSION,
                      "component", "type", "container", "bom-ref", "image", "name", x[0].image,
                      "version", n == 1 ? x[0].manifest : "");
        comps = json_array();
        deps = json_array();
        if (!d || !comps || !deps)
                goto fail;
        if (n == 1) {
                json_t *c = cdx_components(&x[0], 0);

                if (!c)
                        goto fail;
                json_array_extend(comps, c);
                json_array_append_new(deps, json_pack("{s:s, s:o}", "ref", "image", "dependsOn", refs_of(c)));
                json_decref(c);
        } else {
                json_t *plat_refs = json_array();

                for (size_t i = 0; i < n; i++) {
                        char ref[64], name[1024];
                        json_t *c = cdx_components(&x[i], i), *pc;

                        if (!c) {
                                json_decref(plat_refs);
                                goto fail;
                        }
                        snprintf(ref, sizeof(ref), "platform-%zu", i);
                        snprintf(name, sizeof(name), "%s (%s)", x[i].image, x[i].platform);
                        json_array_append_new(deps, json_pack("{s:s, s:o}", "ref", ref, "dependsOn", refs_of(c)));
                        pc = json_pack("{s:s, s:s, s:s, s:s, s:o}", "type", "container", "bom-ref", ref,
                                       "name", name, "version", x[i].manifest, "components", c);
                        json_array_append_new(comps, pc);
                        json_array_append_new(plat_refs, json_string(ref));
                }
                json_array_append_new(deps, json_pack("{s:s, s:o}", "ref", "image", "dependsOn", plat_refs));
        }
        json_object_set_new(d, "components", comps);
        json_object_set_new(d, "dependencies", deps);
        return d;
fail:
        json_decref(d);
        json_decref(comps);
        json_decref(deps);
        return NULL;
}

/* --- table --- */
static void table(FILE *f, const struct image_index *x, size_t n)
{
        for (size_t k = 0; k < n; k++) {
                const struct image_index *i = &x[k];
                struct dedup dd;
                size_t shown = 0, failed = 0;

                fprintf(f, "%s  %s  %s\n", i->image, i->platform, i->manifest);
                fprintf(f, "distribution: %s\n", i->distro.pretty_name ? i->distro.pretty_name :
                        i->distro.id ? i->distro.id : "unknown");
                for (size_t l = 0; l < i->n_layers; l++)
                        failed += !i->layers[l].ok;
                if (dedup_build(&i->pkgs, &dd) < 0) {
                        dedup_free(&dd);
                        continue;
                }
                fprintf(f, "%-40s %-32s %-7s %s\n", "NAME", "VERSION", "TYPE", "LICENSE");
                for (size_t p = 0; p < i->pkgs.len; p++) {
                        const struct scan_pkg *s = &i->pkgs.items[p];
                        char name[256];

                        if (dd.first[p] != p)
                                continue;
                        shown++;
                        if (s->namespace_)
                                snprintf(name, sizeof(name), "%s/%s", s->namespace_, s->name);
                        else
                                snprintf(name, sizeof(name), "%s", s->name);
                        fprintf(f, "%-40s %-32s %-7s %s%s%s%s\n", name, s->version ? s->version : "-",
                                pkg_type_name(s->type), s->license ? s->license : "-",
                                s->owner ? "  (installed by " : "", s->owner ? s->owner : "",
                                s->owner ? ")" : "");
                }
                dedup_free(&dd);
                fprintf(f, "%zu packages, %zu layers (%zu failed), %zu errors\n", shown, i->n_layers, failed,
                        i->errors.n);
                for (size_t e = 0; e < i->errors.n; e++)
                        fprintf(f, "  error: %s\n", i->errors.v[e]);
                if (k + 1 < n)
                        fputc('\n', f);
        }
}

int report_write(FILE *f, enum report_format fmt, const struct image_index *x, size_t n,
                 const char *created)
{
        json_t *j = NULL;
        int rc;

        if (!n)
                return dou_err_set(DOU_EINVAL, "nothing to report");
        switch (fmt) {
        case REPORT_TABLE:
                table(f, x, n);
                return ferror(f) ? dou_err_set(DOU_EIO, "write failed") : 0;
        case REPORT_JSON:
                if (n == 1) {
                        j = report_index_json(&x[0]);
                } else {
                        j = json_array();
                        for (size_t i = 0; j && i < n; i++)
                                json_array_append_new(j, report_index_json(&x[i]));
                }
                break;
        case REPORT_SPDX:
                j = spdx_doc(x, n, created);
                break;
        case REPORT_CYCLONEDX:
                j = cdx_doc(x, n, created);
                break;
        }
        if (!j)
                return DOU_ENOMEM;
        rc = json_dumpf(j, f, JSON_INDENT(2)) < 0 || fputc('\n', f) == EOF
                ? dou_err_set(DOU_EIO, "write failed") : 0;
        json_decref(j);
        return rc;
}
