/* Unit tests for src/auth/jwks.c: real key sets and malicious ones. */
#include "tap.h"
#include "helpers.h"
#include "util/err.h"

static struct jwks *parse(const char *s)
{
        struct jwks *k = NULL;
        if (jwks_parse(s, strlen(s), &k) < 0)
                return NULL;
        return k;
}

TEST(parses_mixed_set_and_finds_by_kid)
{
        EVP_PKEY *ec = t_ec("P-256"), *rsa = t_rsa(2048), *ed = t_ed25519(), *ec384 = t_ec("P-384");
        char *a = t_jwk(ec, "ec1"), *b = t_jwk(rsa, "rsa1"), *c = t_jwk(ed, "ed1"), *d = t_jwk(ec384, "ec2");
        char doc[8192];
        snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s,%s,%s]}", a, b, c, d);
        struct jwks *s = parse(doc);
        CHECK(s != NULL);
        if (s) {
                CHECK_INT(s->n, 4);
                EVP_PKEY *k = jwks_find(s, "ec1", JWT_ES256);
                CHECK(k != NULL && EVP_PKEY_eq(k, ec) == 1);
                EVP_PKEY_free(k);
                CHECK(jwks_find(s, "rsa1", JWT_ES256) == NULL);  /* kid exists, wrong kty for alg */
                k = jwks_find(s, "rsa1", JWT_PS256);
                CHECK(k != NULL);
                EVP_PKEY_free(k);
                k = jwks_find(s, "ed1", JWT_EDDSA);
                CHECK(k != NULL);
                EVP_PKEY_free(k);
                CHECK(jwks_find(s, "ec1", JWT_ES384) == NULL);  /* P-256 key for ES384 */
                k = jwks_find(s, "ec2", JWT_ES384);
                CHECK(k != NULL);
                EVP_PKEY_free(k);
                CHECK(jwks_find(s, "nope", JWT_ES256) == NULL);
                CHECK(jwks_find(s, "", JWT_ES256) == NULL);     /* no kid, several keys */
        }
        jwks_free(s);
        free(a), free(b), free(c), free(d);
        EVP_PKEY_free(ec), EVP_PKEY_free(rsa), EVP_PKEY_free(ed), EVP_PKEY_free(ec384);
}

TEST(jwk_alg_pin_is_honoured)
{
        EVP_PKEY *rsa = t_rsa(2048);
        char *j = t_jwk(rsa, "r"), doc[4096];
        j[strlen(j) - 1] = '\0';
        snprintf(doc, sizeof(doc), "{\"keys\":[%s,\"alg\":\"RS256\",\"use\":\"sig\"}]}", j);
        struct jwks *s = parse(doc);
        CHECK(s != NULL);
        EVP_PKEY *k = jwks_find(s, "r", JWT_RS256);
        CHECK(k != NULL);
        EVP_PKEY_free(k);
        CHECK(jwks_find(s, "r", JWT_PS256) == NULL);
        jwks_free(s);
        free(j);
        EVP_PKEY_free(rsa);
}

TEST(hostile_malicious_jwks_entries_are_skipped)
{
        EVP_PKEY *ec = t_ec("P-256");
        char *good = t_jwk(ec, "good"), doc[8192];
        /* point not on the curve, wrong coordinate length, private key, enc key,
         * unknown kty, small RSA, even exponent, kid not a string */
        snprintf(doc, sizeof(doc), "{\"keys\":["
                 "{\"kid\":\"off\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"y\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"},"
                 "{\"kid\":\"short\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQ\",\"y\":\"AQ\"},"
                 "{\"kid\":\"priv\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\",\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"},"
                 "{\"kid\":\"enc\",\"use\":\"enc\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"},"
                 "{\"kid\":\"oct\",\"kty\":\"oct\",\"k\":\"c2VjcmV0\"},"
                 "{\"kid\":\"small\",\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
                 "{\"kid\":\"evene\",\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"Ag\"},"
                 "{\"kid\":5,\"kty\":\"EC\"},"
                 "\"junk\","
                 "%s]}",
                 "xjlCRBqkQRxC9u0eCWVp9ld9kLEqAkQ0nhN4UEoh1E5kDd6fiLwTJNPVbT1Tb3EQNK2yIXfTLzPgWxy2TRjA8LJVBp5hKszJqYFXzn3YtOY4hZX2PxJwFsX7-1zVuqEm1hJdzXD8UcOB3sE4VTi6KDMdmtYBTGMKYuujPQdHpfIKTzeeoz9CRq5eWOQ6YrAK0Aq7XWGSYTwRv3zPcDdIOrEYl5aDqxjnNUO8eNf8jbj7ZlYqqtEjz-ZfXX2YtBu0Bi2VDqQF89ObvUVO4zg-aLaGJ7yS8i3aBbqKV2YW3RjVVAYnXUZcW-AEnPmFGNGGzQNhaAxSJtKjR2o87BDsdrNw",
                 good);
        struct jwks *s = parse(doc);
        CHECK(s != NULL);
        if (s) {
                CHECK_INT(s->n, 1);
                CHECK_INT(s->skipped, 9);
                EVP_PKEY *k = jwks_find(s, "good", JWT_ES256);
                CHECK(k != NULL);
                EVP_PKEY_free(k);
                CHECK(jwks_find(s, "off", JWT_ES256) == NULL);
        }
        jwks_free(s);
        free(good);
        EVP_PKEY_free(ec);
}

TEST(hostile_jwks_documents)
{
        struct jwks *s = NULL;
        CHECK(parse("") == NULL);
        CHECK(parse("{}") == NULL);
        CHECK(parse("{\"keys\":{}}") == NULL);
        CHECK(parse("{\"keys\":[]}") == NULL);
        CHECK(parse("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}") == NULL);  /* nothing usable */
        CHECK(parse("[1]") == NULL);
        /* too many keys */
        size_t cap = 200 * (JWKS_MAX_KEYS + 2), o = 0;
        char *doc = malloc(cap);
        o += (size_t)snprintf(doc + o, cap - o, "{\"keys\":[");
        for (int i = 0; i <= JWKS_MAX_KEYS; i++)
                o += (size_t)snprintf(doc + o, cap - o, "%s{\"kty\":\"oct\"}", i ? "," : "");
        snprintf(doc + o, cap - o, "]}");
        CHECK_INT(jwks_parse(doc, strlen(doc), &s), DOU_ETOOBIG);
        free(doc);
        /* over 1 MiB */
        doc = calloc(1, JWKS_MAX_BYTES + 2);
        memset(doc, ' ', JWKS_MAX_BYTES + 1);
        CHECK_INT(jwks_parse(doc, JWKS_MAX_BYTES + 1, &s), DOU_ETOOBIG);
        free(doc);
}

TEST(single_key_without_kid_matches_token_without_kid)
{
        EVP_PKEY *ec = t_ec("P-256");
        char *j = t_jwk(ec, NULL), doc[2048];
        snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", j);
        struct jwks *s = parse(doc);
        EVP_PKEY *k = jwks_find(s, "", JWT_ES256);
        CHECK(k != NULL);
        EVP_PKEY_free(k);
        CHECK(jwks_find(s, "x", JWT_ES256) == NULL);
        jwks_free(s);
        free(j);
        EVP_PKEY_free(ec);
}

TAP_MAIN()
