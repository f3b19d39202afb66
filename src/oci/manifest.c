/*
 * manifest.c - parse OCI image manifests/indexes and Docker v2 schema 2
 * manifests/lists just enough to validate and index them.
 *
 * The bytes are stored exactly as received (their digest is the
 * manifest's identity); this parse only extracts the descriptors the
 * registry must check (config, layers, children, subject) and what the
 * referrers API reports (artifactType, annotations). Depth and counts are
 * bounded; the caller bounds the byte length.
 */
#include "oci/oci.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int oci_manifest_type_known(const char *mt)
{
        return mt && (!strcmp(mt, MT_OCI_MANIFEST) || !strcmp(mt, MT_OCI_INDEX) ||
                      !strcmp(mt, MT_DOCKER_MANIFEST) || !strcmp(mt, MT_DOCKER_LIST));
}

static int is_index_type(const char *mt)
{
        return !strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST);
}

/* Content-Type may carry parameters ("; charset=utf-8"): compare the type only. */
static size_t type_len(const char *ct)
{
        size_t n = strcspn(ct, ";");

        while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
                n--;
        return n;
}

static int parse_descriptor(json_t *o, const char *what, struct oci_descriptor *d)
{
        json_t *mt, *dg, *sz, *at, *pl;
        const char *s;

        memset(d, 0, sizeof(*d));
        if (!json_is_object(o))
                return dou_err_set(DOU_EINVAL, "%s is not an object", what);
        mt = json_object_get(o, "mediaType");
        dg = json_object_get(o, "digest");
        sz = json_object_get(o, "size");
        if (mt && !json_is_string(mt))
                return dou_err_set(DOU_EINVAL, "%s.mediaType is not a string", what);
        if (!json_is_string(dg))
                return dou_err_set(DOU_EINVAL, "%s.digest is missing", what);
        if (!json_is_integer(sz) || json_integer_value(sz) < 0)
                return dou_err_set(DOU_EINVAL, "%s.size is missing or negative", what);
        s = json_string_value(dg);
        if (digest_parse(s, json_string_length(dg), &d->digest) < 0)
                return dou_err_set(DOU_EINVAL, "%s.digest is invalid: %s", what, s);
        d->media_type = mt ? json_string_value(mt) : NULL;
        d->size = json_integer_value(sz);
        at = json_object_get(o, "artifactType");
        d->artifact_type = json_is_string(at) ? json_string_value(at) : NULL;
        pl = json_object_get(o, "platform");
        if (json_is_object(pl)) {
                json_t *os = json_object_get(pl, "os"), *arch = json_object_get(pl, "architecture");
                d->platform_os = json_is_string(os) ? json_string_value(os) : NULL;
                d->platform_arch = json_is_string(arch) ? json_string_value(arch) : NULL;
        }
        return 0;
}

static int parse_items(json_t *arr, const char *what, struct oci_manifest *m)
{
        size_t i;
        json_t *e;
        char name[48];

        if (!json_is_array(arr))
                return dou_err_set(DOU_EINVAL, "%s must be an array", what);
        if (json_array_size(arr) > OCI_MAX_DESCRIPTORS)
                return dou_err_set(DOU_EINVAL, "%s has more than %d entries", what,
                                   OCI_MAX_DESCRIPTORS);
        m->n_items = json_array_size(arr);
        m->items = calloc(m->n_items ? m->n_items : 1, sizeof(*m->items));
        if (!m->items)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        json_array_foreach(arr, i, e) {
                int r;
                snprintf(name, sizeof(name), "%s[%zu]", what, i);
                if ((r = parse_descriptor(e, name, &m->items[i])) < 0)
                        return r;
        }
        return 0;
}

/* Decide the media type from the header and the document; they must agree. */
static int effective_type(json_t *root, const char *content_type, const char **ret)
{
        json_t *mt = json_object_get(root, "mediaType");
        const char *doc = json_is_string(mt) ? json_string_value(mt) : NULL;
        static const char *known[] = { MT_OCI_MANIFEST, MT_OCI_INDEX, MT_DOCKER_MANIFEST,
                                       MT_DOCKER_LIST };
        const char *hdr = NULL;

        if (mt && !json_is_string(mt))
                return dou_err_set(DOU_EINVAL, "mediaType is not a string");
        if (content_type && *content_type) {
                size_t n = type_len(content_type);
                for (size_t i = 0; i < 4; i++)
                        if (strlen(known[i]) == n && !strncmp(known[i], content_type, n))
                                hdr = known[i];
                if (!hdr)
                        return dou_err_set(DOU_EUNSUPPORTED, "unsupported manifest media type %.*s",
                                           (int)n, content_type);
        }
        if (doc && !oci_manifest_type_known(doc))
                return dou_err_set(DOU_EUNSUPPORTED, "unsupported manifest media type %s", doc);
        if (hdr && doc && strcmp(hdr, doc) != 0)
                return dou_err_set(DOU_EINVAL, "mediaType %s does not match Content-Type %s", doc, hdr);
        if (hdr)
                *ret = hdr;
        else if (doc)
                *ret = doc;
        else
                *ret = json_object_get(root, "manifests") ? MT_OCI_INDEX : MT_OCI_MANIFEST;
        return 0;
}

static int parse_body(json_t *root, const char *content_type, struct oci_manifest *m)
{
        json_t *sv = json_object_get(root, "schemaVersion");
        json_t *at, *subj, *ann;
        int r;

        if (!json_is_integer(sv) || json_integer_value(sv) != 2)
                return dou_err_set(DOU_EINVAL, "schemaVersion must be 2");
        if ((r = effective_type(root, content_type, &m->media_type)) < 0)
                return r;
        m->kind = is_index_type(m->media_type) ? OCI_KIND_INDEX : OCI_KIND_MANIFEST;
        if (m->kind == OCI_KIND_MANIFEST) {
                if ((r = parse_descriptor(json_object_get(root, "config"), "config", &m->config)) < 0)
                        return r;
                m->has_config = 1;
                if ((r = parse_items(json_object_get(root, "layers"), "layers", m)) < 0)
                        return r;
        } else if ((r = parse_items(json_object_get(root, "manifests"), "manifests", m)) < 0) {
                return r;
        }
        at = json_object_get(root, "artifactType");
        if (at && !json_is_string(at))
                return dou_err_set(DOU_EINVAL, "artifactType is not a string");
        m->artifact_type = at ? json_string_value(at) : m->has_config ? m->config.media_type : NULL;
        subj = json_object_get(root, "subject");
        if (subj) {
                if ((r = parse_descriptor(subj, "subject", &m->subject)) < 0)
                        return r;
                m->has_subject = 1;
        }
        ann = json_object_get(root, "annotations");
        if (ann) {
                if (!json_is_object(ann))
                        return dou_err_set(DOU_EINVAL, "annotations is not an object");
                m->annotations_json = json_dumps(ann, JSON_COMPACT);
                if (!m->annotations_json)
                        return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        return 0;
}

int oci_manifest_parse(const char *buf, size_t len, const char *content_type,
                       struct oci_manifest *ret)
{
        struct oci_manifest m = { 0 };
        json_error_t jerr;
        json_t *root;
        int r;

        root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return dou_err_set(DOU_EINVAL, "invalid JSON at line %d: %s", jerr.line, jerr.text);
        if (!json_is_object(root)) {
                json_decref(root);
                return dou_err_set(DOU_EINVAL, "manifest is not a JSON object");
        }
        m.tree = root;
        r = parse_body(root, content_type, &m);
        if (r < 0) {
                oci_manifest_free(&m);
                return r;
        }
        *ret = m;
        return 0;
}

void oci_manifest_free(struct oci_manifest *m)
{
        free(m->items);
        free(m->annotations_json);
        json_decref(m->tree);
        memset(m, 0, sizeof(*m));
}
