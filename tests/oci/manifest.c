/* Unit tests for manifest/index parsing (src/oci/manifest.c). */
#include "tap.h"
#include "oci/oci.h"
#include "util/err.h"

#define D1 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define D2 "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

static const char image[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","
        "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1 "\",\"size\":0},"
        "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D2 "\",\"size\":2}],"
        "\"subject\":{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":9},"
        "\"annotations\":{\"a\":\"b\"}}";

TEST(parses_image_manifest)
{
        struct oci_manifest m;
        CHECK_INT(oci_manifest_parse(image, strlen(image), MT_OCI_MANIFEST, &m), 0);
        CHECK_INT(m.kind, OCI_KIND_MANIFEST);
        CHECK_STR(m.config.digest.str, D1);
        CHECK_INT(m.n_items, 1);
        CHECK_STR(m.items[0].digest.str, D2);
        CHECK(m.has_subject);
        CHECK_STR(m.subject.digest.str, D2);
        /* no artifactType: the config media type stands in, per image-spec */
        CHECK_STR(m.artifact_type, "application/vnd.oci.image.config.v1+json");
        CHECK_STR(m.annotations_json, "{\"a\":\"b\"}");
        oci_manifest_free(&m);
}

TEST(parses_docker_list_without_content_type)
{
        const char *s = "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_LIST "\",\"manifests\":["
                        "{\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":5,"
                        "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}";
        struct oci_manifest m;
        CHECK_INT(oci_manifest_parse(s, strlen(s), NULL, &m), 0);
        CHECK_INT(m.kind, OCI_KIND_INDEX);
        CHECK_STR(m.media_type, MT_DOCKER_LIST);
        CHECK_STR(m.items[0].platform_arch, "arm64");
        oci_manifest_free(&m);
}

TEST(content_type_with_parameters)
{
        struct oci_manifest m;
        CHECK_INT(oci_manifest_parse(image, strlen(image), MT_OCI_MANIFEST "; charset=utf-8", &m), 0);
        oci_manifest_free(&m);
}

TEST(rejects_mismatched_media_type)
{
        struct oci_manifest m;
        CHECK_INT(oci_manifest_parse(image, strlen(image), MT_DOCKER_MANIFEST, &m), DOU_EINVAL);
        CHECK(strstr(dou_err_msg(), "does not match") != NULL);
}

TEST(rejects_unknown_media_type)
{
        struct oci_manifest m;
        CHECK_INT(oci_manifest_parse(image, strlen(image), "application/x-foo", &m), DOU_EUNSUPPORTED);
}

TEST(rejects_malformed)
{
        struct oci_manifest m;
        const char *bad[] = {
                "", "[]", "{", "{\"schemaVersion\":1}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1}}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:abc\",\"size\":1},\"layers\":[]}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":{}}",
                "{\"schemaVersion\":2,\"manifests\":[1]}",
                "{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}",
                "{\"schemaVersion\":2,\"manifests\":[],\"annotations\":[]}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK(oci_manifest_parse(bad[i], strlen(bad[i]), NULL, &m) < 0);
}

TAP_MAIN()
