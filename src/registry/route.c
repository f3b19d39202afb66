/*
 * route.c - see route.h.
 */
#include "registry/route.h"
#include "util/err.h"

#include <string.h>

static const char *const labels[R_KIND_COUNT] = {
        [R_NOT_FOUND] = "not_found", [R_BASE] = "base", [R_CATALOG] = "catalog",
        [R_TAGS] = "tags", [R_MANIFEST] = "manifest", [R_BLOB] = "blob",
        [R_UPLOAD_NEW] = "upload_new", [R_UPLOAD] = "upload", [R_REFERRERS] = "referrers",
        [R_METRICS] = "metrics", [R_TOKEN] = "token", [R_HEALTH] = "health",
        [R_IMAGE] = "image", [R_IMAGE_REPORT] = "image_report", [R_IMAGE_SBOM] = "image_sbom",
        [R_IMAGE_VULNS] = "image_vulns",
};

const char *route_label(enum route_kind k)
{
        return k < R_KIND_COUNT ? labels[k] : "unknown";
}

/* Last occurrence of needle in [s, s+n). */
static const char *rfind(const char *s, size_t n, const char *needle)
{
        size_t m = strlen(needle);

        if (n < m)
                return NULL;
        for (size_t i = n - m + 1; i-- > 0;)
                if (memcmp(s + i, needle, m) == 0)
                        return s + i;
        return NULL;
}

static enum route_error set_name(struct route *r, const char *s, size_t n)
{
        if (!oci_name_valid(s, n))
                return RE_NAME_INVALID;
        memcpy(r->name, s, n);
        r->name[n] = '\0';
        return RE_OK;
}

static enum route_error set_ref(struct route *r, const char *s, size_t n, int digest_only)
{
        if (n == 0 || n >= sizeof(r->ref) || memchr(s, '/', n))
                return digest_only ? RE_DIGEST_INVALID : RE_REFERENCE_INVALID;
        if (memchr(s, ':', n)) {
                if (digest_parse(s, n, &r->digest) < 0)
                        return digest_only ? RE_DIGEST_INVALID : RE_REFERENCE_INVALID;
                r->ref_is_digest = 1;
        } else if (digest_only || !oci_tag_valid(s, n)) {
                return digest_only ? RE_DIGEST_INVALID : RE_REFERENCE_INVALID;
        }
        memcpy(r->ref, s, n);
        r->ref[n] = '\0';
        return RE_OK;
}

static enum route_error parse_upload(struct route *r, const char *name, size_t nlen,
                                     const char *rest)
{
        enum route_error e = set_name(r, name, nlen);
        size_t n;

        if (e != RE_OK)
                return e;
        if (*rest == '\0' || (rest[0] == '/' && rest[1] == '\0')) {
                r->kind = R_UPLOAD_NEW;
                return RE_OK;
        }
        if (rest[0] != '/')
                return RE_NOT_FOUND;
        rest++;
        n = strlen(rest);
        if (n == 0 || n >= sizeof(r->ref) || strchr(rest, '/'))
                return RE_UPLOAD_UNKNOWN;
        memcpy(r->ref, rest, n + 1);
        r->kind = R_UPLOAD;
        return RE_OK;
}

/* path is after "/v2/"; the name is everything before the endpoint marker */
static enum route_error parse_v2(const char *p, struct route *r)
{
        size_t n = strlen(p);
        const char *m = rfind(p, n, "/manifests/");
        const char *b = rfind(p, n, "/blobs/");
        const char *f = rfind(p, n, "/referrers/");
        const char *best = m;

        if (n == 0) {
                r->kind = R_BASE;
                return RE_OK;
        }
        if (!strcmp(p, "_catalog")) {
                r->kind = R_CATALOG;
                return RE_OK;
        }
        if (n > 10 && !strcmp(p + n - 10, "/tags/list")) {
                r->kind = R_TAGS;
                return set_name(r, p, n - 10);
        }
        if (b > best)
                best = b;
        if (f > best)
                best = f;
        if (!best)
                return RE_NOT_FOUND;
        if (best == b) {
                const char *rest = b + 7;
                if (!strncmp(rest, "uploads", 7) && (rest[7] == '\0' || rest[7] == '/'))
                        return parse_upload(r, p, (size_t)(b - p), rest + 7);
                enum route_error e = set_name(r, p, (size_t)(b - p));
                r->kind = R_BLOB;
                return e != RE_OK ? e : set_ref(r, rest, strlen(rest), 1);
        }
        if (best == f) {
                enum route_error e = set_name(r, p, (size_t)(f - p));
                r->kind = R_REFERRERS;
                return e != RE_OK ? e : set_ref(r, f + 11, strlen(f + 11), 1);
        }
        enum route_error e = set_name(r, p, (size_t)(m - p));
        r->kind = R_MANIFEST;
        return e != RE_OK ? e : set_ref(r, m + 11, strlen(m + 11), 0);
}

/* /api/v1/images/<digest>[/report|/sbom|/vulnerabilities] */
static enum route_error parse_api(const char *p, struct route *r)
{
        static const struct { const char *suffix; enum route_kind kind; } subs[] = {
                { "", R_IMAGE }, { "/report", R_IMAGE_REPORT }, { "/sbom", R_IMAGE_SBOM },
                { "/vulnerabilities", R_IMAGE_VULNS },
        };
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);

        for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
                if (strcmp(slash ? slash : "", subs[i].suffix) != 0)
                        continue;
                r->kind = subs[i].kind;
                return set_ref(r, p, n, 1);
        }
        return RE_NOT_FOUND;
}

enum route_error route_parse(const char *path, struct route *r)
{
        memset(r, 0, sizeof(*r));
        r->kind = R_NOT_FOUND;
        if (!strcmp(path, "/v2") || !strcmp(path, "/v2/")) {
                r->kind = R_BASE;
                return RE_OK;
        }
        if (!strncmp(path, "/v2/", 4))
                return parse_v2(path + 4, r);
        if (!strncmp(path, "/api/v1/images/", 15))
                return parse_api(path + 15, r);
        if (!strcmp(path, "/metrics"))
                r->kind = R_METRICS;
        else if (!strcmp(path, "/token"))
                r->kind = R_TOKEN;
        else if (!strcmp(path, "/healthz"))
                r->kind = R_HEALTH;
        else
                return RE_NOT_FOUND;
        return RE_OK;
}
