/*
 * listing.c - content discovery: tags/list, _catalog and referrers.
 *
 * All answered from indexed queries in the metadata store, paged with
 * `n` and `last` and a Link header for the next page (RFC 8288).
 */
#include "registry/reg_int.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_MAX 10000          /* one page never holds more names than this */

static int add_name(const char *name, void *ud)
{
        return json_array_append_new(ud, json_string(name)) == 0 ? 0 : DOU_ENOMEM;
}

/* n from the query: -1 = not given; DOU_EINVAL when malformed. */
static int page_size(struct req *q, long *ret)
{
        const char *v = req_query(q, "n");
        char *end;
        long n;

        *ret = -1;
        if (!v)
                return 0;
        n = strtol(v, &end, 10);
        if (*v == '\0' || *end || n < 0)
                return DOU_EINVAL;
        *ret = n > PAGE_MAX ? PAGE_MAX : n;
        return 0;
}

static enum MHD_Result reply_page(struct req *q, json_t *doc, json_t *list, const char *path,
                                  long n, int more)
{
        char *s = json_dumps(doc, JSON_COMPACT);
        struct MHD_Response *resp;
        char link[1024];

        if (!s)
                return MHD_NO;
        resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(s);
                return MHD_NO;
        }
        q->bytes_out += strlen(s);
        resp_header(resp, "Content-Type", "application/json");
        if (more && json_array_size(list) > 0) {
                const char *last = json_string_value(json_array_get(list, json_array_size(list) - 1));
                snprintf(link, sizeof(link), "<%s?n=%ld&last=%s>; rel=\"next\"", path, n, last);
                resp_header(resp, "Link", link);
        }
        return reply_send(q, 200, resp);
}

enum MHD_Result tags_list(struct req *q)
{
        struct registry *reg = q->reg;
        json_t *doc, *tags;
        char path[512];
        long n;
        int more = 0, rc;
        enum MHD_Result ret;

        if (page_size(q, &n) < 0)
                return reply_error(q, 400, RC_UNSUPPORTED, "n must be a non-negative integer");
        if (!meta_repo_exists(reg->meta, q->route.name))
                return reply_error(q, 0, RC_NAME_UNKNOWN, "repository name not known to registry");
        tags = json_array();
        doc = json_pack("{s:s,s:o}", "name", q->route.name, "tags", tags);
        if (!doc)
                return MHD_NO;
        rc = n == 0 ? 0 : meta_tags_list(reg->meta, q->route.name, req_query(q, "last"), n,
                                         add_name, tags, &more);
        if (rc < 0) {
                json_decref(doc);
                return reply_dou_err(q, rc, RC_NAME_UNKNOWN);
        }
        snprintf(path, sizeof(path), "/v2/%s/tags/list", q->route.name);
        ret = reply_page(q, doc, tags, path, n, more);
        json_decref(doc);
        return ret;
}

enum MHD_Result catalog_list(struct req *q)
{
        json_t *doc, *repos;
        long n;
        int more = 0, rc;
        enum MHD_Result ret;

        if (page_size(q, &n) < 0)
                return reply_error(q, 400, RC_UNSUPPORTED, "n must be a non-negative integer");
        repos = json_array();
        doc = json_pack("{s:o}", "repositories", repos);
        if (!doc)
                return MHD_NO;
        rc = n == 0 ? 0 : meta_catalog(q->reg->meta, req_query(q, "last"), n, add_name, repos, &more);
        if (rc < 0) {
                json_decref(doc);
                return reply_dou_err(q, rc, RC_INTERNAL);
        }
        ret = reply_page(q, doc, repos, "/v2/_catalog", n, more);
        json_decref(doc);
        return ret;
}

static int add_referrer(const struct meta_referrer *r, void *ud)
{
        json_t *d = json_pack("{s:s,s:s,s:I}", "mediaType", r->media_type, "digest", r->digest,
                              "size", (json_int_t)r->size);

        if (!d)
                return DOU_ENOMEM;
        if (r->artifact_type)
                json_object_set_new(d, "artifactType", json_string(r->artifact_type));
        if (r->annotations_json) {
                json_t *a = json_loads(r->annotations_json, 0, NULL);
                if (a)
                        json_object_set_new(d, "annotations", a);
        }
        return json_array_append_new(ud, d) == 0 ? 0 : DOU_ENOMEM;
}

enum MHD_Result referrers_list(struct req *q)
{
        const char *at = req_query(q, "artifactType");
        json_t *doc, *list = json_array();
        struct MHD_Response *resp;
        char *s;
        int rc;

        doc = json_pack("{s:i,s:s,s:o}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX,
                        "manifests", list);
        if (!doc)
                return MHD_NO;
        rc = meta_referrers(q->reg->meta, q->route.name, &q->route.digest, at && *at ? at : NULL,
                            add_referrer, list);
        if (rc < 0) {
                json_decref(doc);
                return reply_dou_err(q, rc, RC_INTERNAL);
        }
        s = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (!s)
                return MHD_NO;
        q->bytes_out += strlen(s);
        resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(s);
                return MHD_NO;
        }
        resp_header(resp, "Content-Type", MT_OCI_INDEX);
        if (at && *at)
                resp_header(resp, "OCI-Filters-Applied", "artifactType");
        return reply_send(q, 200, resp);
}
