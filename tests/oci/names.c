/* Unit tests for repository name and tag grammar (src/oci/names.c). */
#include "tap.h"
#include "oci/oci.h"

static int name_ok(const char *s) { return oci_name_valid(s, strlen(s)); }
static int tag_ok(const char *s) { return oci_tag_valid(s, strlen(s)); }

TEST(valid_names)
{
        const char *ok[] = { "a", "library/ubuntu", "a/b/c/d", "my-repo", "my--repo", "my_repo",
                             "my__repo", "my.repo", "0", "quarantine/docker.io/library/alpine" };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
                CHECK(name_ok(ok[i]));
}

TEST(invalid_names)
{
        const char *bad[] = { "", "A", "a//b", "/a", "a/", "-a", "a-", "a..b", "a___b", "a_.b",
                              "..", "../etc", "a/../b", "a b", "a%2e", ".a", "a/.b", "a:b", "ä" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK(!name_ok(bad[i]));
}

TEST(name_length_bound)
{
        char buf[300];
        memset(buf, 'a', sizeof(buf));
        CHECK(oci_name_valid(buf, OCI_NAME_MAX));
        CHECK(!oci_name_valid(buf, OCI_NAME_MAX + 1));
}

TEST(tags)
{
        char buf[200];
        CHECK(tag_ok("latest"));
        CHECK(tag_ok("v1.2.3-rc_1"));
        CHECK(tag_ok("_x"));
        CHECK(!tag_ok(""));
        CHECK(!tag_ok(".x"));
        CHECK(!tag_ok("-x"));
        CHECK(!tag_ok("a/b"));
        CHECK(!tag_ok("a:b"));
        memset(buf, 'a', sizeof(buf));
        CHECK(oci_tag_valid(buf, 128));
        CHECK(!oci_tag_valid(buf, 129));
}

TAP_MAIN()
