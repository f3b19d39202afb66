/* Unit tests for request path routing (src/registry/route.c). */
#include "tap.h"
#include "registry/route.h"

#define D "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

TEST(endpoints)
{
        struct route r;
        CHECK_INT(route_parse("/v2/", &r), RE_OK);
        CHECK_INT(r.kind, R_BASE);
        CHECK_INT(route_parse("/v2/_catalog", &r), RE_OK);
        CHECK_INT(r.kind, R_CATALOG);
        CHECK_INT(route_parse("/v2/a/b/tags/list", &r), RE_OK);
        CHECK_INT(r.kind, R_TAGS);
        CHECK_STR(r.name, "a/b");
        CHECK_INT(route_parse("/v2/a/b/manifests/latest", &r), RE_OK);
        CHECK_INT(r.kind, R_MANIFEST);
        CHECK_STR(r.ref, "latest");
        CHECK(!r.ref_is_digest);
        CHECK_INT(route_parse("/v2/a/manifests/" D, &r), RE_OK);
        CHECK(r.ref_is_digest);
        CHECK_INT(route_parse("/v2/a/blobs/" D, &r), RE_OK);
        CHECK_INT(r.kind, R_BLOB);
        CHECK_INT(route_parse("/v2/a/blobs/uploads/", &r), RE_OK);
        CHECK_INT(r.kind, R_UPLOAD_NEW);
        CHECK_INT(route_parse("/v2/a/blobs/uploads/abc-123", &r), RE_OK);
        CHECK_INT(r.kind, R_UPLOAD);
        CHECK_STR(r.ref, "abc-123");
        CHECK_INT(route_parse("/v2/a/referrers/" D, &r), RE_OK);
        CHECK_INT(r.kind, R_REFERRERS);
        CHECK_INT(route_parse("/metrics", &r), RE_OK);
        CHECK_INT(r.kind, R_METRICS);
}

TEST(names_containing_endpoint_words)
{
        struct route r;
        /* the rightmost marker wins: "manifests" and "blobs" may be name components */
        CHECK_INT(route_parse("/v2/manifests/blobs/manifests/v1", &r), RE_OK);
        CHECK_INT(r.kind, R_MANIFEST);
        CHECK_STR(r.name, "manifests/blobs");
        CHECK_INT(route_parse("/v2/tags/list/tags/list", &r), RE_OK);
        CHECK_STR(r.name, "tags/list");
}

TEST(refusals)
{
        struct route r;
        CHECK_INT(route_parse("/v2/../etc/manifests/x", &r), RE_NAME_INVALID);
        CHECK_INT(route_parse("/v2/A/manifests/x", &r), RE_NAME_INVALID);
        CHECK_INT(route_parse("/v2/a/manifests/..", &r), RE_REFERENCE_INVALID);
        CHECK_INT(route_parse("/v2/a/manifests/sha256:abc", &r), RE_REFERENCE_INVALID);
        CHECK_INT(route_parse("/v2/a/blobs/latest", &r), RE_DIGEST_INVALID);
        CHECK_INT(route_parse("/v2/a/blobs/md5:abcd", &r), RE_DIGEST_INVALID);
        CHECK_INT(route_parse("/v2/a/blobs/uploads/x/y", &r), RE_UPLOAD_UNKNOWN);
        CHECK_INT(route_parse("/v2/a/nothing", &r), RE_NOT_FOUND);
        CHECK_INT(route_parse("/etc/passwd", &r), RE_NOT_FOUND);
        CHECK_INT(route_parse("/v2/a/manifests/", &r), RE_REFERENCE_INVALID);
}

TAP_MAIN()
