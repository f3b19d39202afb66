/* Unit tests for src/util/digest.c. */
#include "tap.h"
#include "util/digest.h"
#include "util/err.h"

#define SHA256_EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

TEST(parse_sha256)
{
        struct digest d;
        CHECK_INT(digest_parse(SHA256_EMPTY, strlen(SHA256_EMPTY), &d), 0);
        CHECK_INT(d.alg, DIGEST_SHA256);
        CHECK_STR(d.str, SHA256_EMPTY);
        CHECK_STR(digest_hex(&d), &SHA256_EMPTY[7]);
}

TEST(parse_sha512)
{
        struct digest d, want;
        CHECK_INT(digest_buf(DIGEST_SHA512, "abc", 3, &want), 0);
        CHECK_INT(digest_parse(want.str, strlen(want.str), &d), 0);
        CHECK_INT(d.alg, DIGEST_SHA512);
        CHECK_STR(d.str, "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                         "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(parse_rejects)
{
        struct digest d;
        const char *bad[] = {
                "sha256", "sha256:", ":abc", "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
                "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
                "sha256:../../etc/passwd", "SHA256:abcd", "sha256::", "sha-:abc",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK(digest_parse(bad[i], strlen(bad[i]), &d) == DOU_EINVAL);
}

TEST(parse_unsupported_algorithm)
{
        struct digest d;
        const char *s = "blake3:abcdef0123";
        CHECK_INT(digest_parse(s, strlen(s), &d), DOU_EUNSUPPORTED);
        s = "sha384+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564";
        CHECK_INT(digest_parse(s, strlen(s), &d), DOU_EUNSUPPORTED);
}

TEST(streaming_equals_oneshot)
{
        static char buf[100000];
        struct digest a, b;
        struct hasher *h = hasher_new(DIGEST_SHA256);
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (char)(i * 7);
        for (size_t off = 0; off < sizeof(buf); off += 777) {
                size_t n = sizeof(buf) - off < 777 ? sizeof(buf) - off : 777;
                CHECK_INT(hasher_update(h, buf + off, n), 0);
        }
        CHECK_INT(hasher_final(h, &a), 0);
        hasher_free(h);
        CHECK_INT(digest_buf(DIGEST_SHA256, buf, sizeof(buf), &b), 0);
        CHECK_STR(a.str, b.str);
}

TEST(empty_digest)
{
        struct digest d;
        CHECK_INT(digest_buf(DIGEST_SHA256, "", 0, &d), 0);
        CHECK_STR(d.str, SHA256_EMPTY);
}

TAP_MAIN()
