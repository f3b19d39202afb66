/* Unit tests for src/auth/jwt.c and b64url.c: parsing bounds, algorithms, hostile tokens. */
#include "tap.h"
#include "helpers.h"
#include "util/err.h"

#include <time.h>

static char claims_buf[1024];

static const char *claims_now(const char *iss, const char *aud, long exp_off)
{
        long now = (long)time(NULL);
        snprintf(claims_buf, sizeof(claims_buf),
                 "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"repo:acme/app\",\"iat\":%ld,\"exp\":%ld}",
                 iss, aud, now, now + exp_off);
        return claims_buf;
}

/* Parse tok and verify it with key; returns the first error or 0. */
static int parse_verify(const char *tok, EVP_PKEY *key)
{
        struct jwt j;
        int r = jwt_parse(tok, strlen(tok), &j);
        if (r < 0)
                return r;
        r = jwt_verify(&j, tok, key);
        jwt_clear(&j);
        return r;
}

TEST(b64url_strict)
{
        unsigned char out[16];
        size_t n;
        CHECK_INT(b64url_decode("aGk", 3, out, sizeof(out), &n), 0);
        CHECK_INT(n, 2);
        CHECK(!memcmp(out, "hi", 2));
        CHECK(b64url_decode("aGk=", 4, out, sizeof(out), &n) < 0);     /* padding */
        CHECK(b64url_decode("aG+k", 4, out, sizeof(out), &n) < 0);     /* std alphabet */
        CHECK(b64url_decode("aGl", 3, out, sizeof(out), &n) < 0);      /* non-zero pad bits */
        CHECK(b64url_decode("a", 1, out, sizeof(out), &n) < 0);        /* 4k+1 */
        CHECK(b64url_decode("aG k", 4, out, sizeof(out), &n) < 0);     /* whitespace */
        CHECK_INT(b64url_decode("AAAAAAAAAAAAAAAAAAAAAAAA", 24, out, 16, &n), DOU_ETOOBIG);
        char enc[16];
        CHECK_INT(b64url_encode((const unsigned char *)"hi", 2, enc, sizeof(enc)), 0);
        CHECK_STR(enc, "aGk");
}

TEST(verifies_each_algorithm)
{
        struct { const char *alg; EVP_PKEY *k; } cases[] = {
                { "ES256", t_ec("P-256") }, { "ES384", t_ec("P-384") }, { "RS256", t_rsa(2048) },
                { "PS256", t_rsa(2048) }, { "EdDSA", t_ed25519() },
        };
        for (size_t i = 0; i < DOU_ARRAY_LEN(cases); i++) {
                char hdr[64];
                snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"k\"}", cases[i].alg);
                char *tok = t_sign(cases[i].alg, cases[i].k, NULL, 0, hdr, claims_now("i", "a", 60));
                CHECK_INT(parse_verify(tok, cases[i].k), 0);
                /* flip one signature bit */
                size_t n = strlen(tok);
                tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
                CHECK(parse_verify(tok, cases[i].k) < 0);
                free(tok);
        }
        /* a token signed with one key does not verify with another key of the same type */
        EVP_PKEY *other = t_ec("P-256");
        char *tok = t_sign("ES256", cases[0].k, NULL, 0, "{\"alg\":\"ES256\"}", claims_now("i", "a", 60));
        CHECK(parse_verify(tok, other) < 0);
        free(tok);
        EVP_PKEY_free(other);
        for (size_t i = 0; i < DOU_ARRAY_LEN(cases); i++)
                EVP_PKEY_free(cases[i].k);
}

TEST(hostile_alg_none)
{
        EVP_PKEY *k = t_ec("P-256");
        const char *algs[] = { "none", "None", "NONE", "" };
        for (size_t i = 0; i < DOU_ARRAY_LEN(algs); i++) {
                char hdr[64];
                snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\"}", algs[i]);
                char *tok = t_sign("none", NULL, NULL, 0, hdr, claims_now("i", "a", 60));
                struct jwt j;
                CHECK(jwt_parse(tok, strlen(tok), &j) < 0);     /* also: empty signature */
                /* even with a fake signature appended */
                size_t n = strlen(tok);
                char *t2 = malloc(n + 8);
                snprintf(t2, n + 8, "%sAAAA", tok);
                CHECK_INT(jwt_parse(t2, strlen(t2), &j), DOU_EDENIED);
                free(t2);
                free(tok);
        }
        EVP_PKEY_free(k);
}

TEST(hostile_hs256_with_public_key_as_secret)
{
        EVP_PKEY *k = t_rsa(2048);
        char *pem = t_pub_pem(k);
        const char *hs[] = { "HS256", "HS384", "HS512", "hs256" };
        for (size_t i = 0; i < DOU_ARRAY_LEN(hs); i++) {
                char hdr[64];
                snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\"}", hs[i]);
                char *tok = t_sign("HS256", NULL, (unsigned char *)pem, strlen(pem), hdr,
                                   claims_now("i", "a", 60));
                struct jwt j;
                CHECK_INT(jwt_parse(tok, strlen(tok), &j), DOU_EDENIED);
                free(tok);
        }
        /* header claims RS256 but the MAC is HMAC-with-PEM: signature check fails */
        char *tok = t_sign("HS256", NULL, (unsigned char *)pem, strlen(pem), "{\"alg\":\"RS256\"}",
                           claims_now("i", "a", 60));
        CHECK(parse_verify(tok, k) < 0);
        free(tok);
        free(pem);
        EVP_PKEY_free(k);
}

TEST(alg_key_type_mismatch)
{
        EVP_PKEY *rsa = t_rsa(2048), *ec = t_ec("P-256"), *ec384 = t_ec("P-384");
        EVP_PKEY *k1 = t_ec("secp256k1");
        char *tok = t_sign("ES256", ec, NULL, 0, "{\"alg\":\"ES256\"}", claims_now("i", "a", 60));
        CHECK_INT(parse_verify(tok, rsa), DOU_EDENIED);
        CHECK_INT(parse_verify(tok, ec384), DOU_EDENIED);
        free(tok);
        CHECK(!jwt_key_fits(JWT_ES256, k1));     /* secp256k1 is not P-256 */
        CHECK(!jwt_key_fits(JWT_RS256, ec));
        CHECK(!jwt_key_fits(JWT_EDDSA, rsa));
        CHECK(jwt_key_fits(JWT_PS256, rsa));
        EVP_PKEY *small = t_rsa(1024);
        CHECK(!jwt_key_fits(JWT_RS256, small));  /* under 2048 bits */
        EVP_PKEY_free(small);
        EVP_PKEY_free(k1);
        EVP_PKEY_free(rsa);
        EVP_PKEY_free(ec);
        EVP_PKEY_free(ec384);
}

TEST(parse_bounds_and_shape)
{
        struct jwt j;
        EVP_PKEY *k = t_ec("P-256");
        CHECK(jwt_parse("", 0, &j) < 0);
        CHECK(jwt_parse("a.b", 3, &j) < 0);
        CHECK(jwt_parse("a.b.c.d", 7, &j) < 0);
        CHECK(jwt_parse("..", 2, &j) < 0);
        /* crit */
        char *tok = t_sign("ES256", k, NULL, 0, "{\"alg\":\"ES256\",\"crit\":[\"x\"],\"x\":1}",
                           claims_now("i", "a", 60));
        CHECK_INT(jwt_parse(tok, strlen(tok), &j), DOU_EUNSUPPORTED);
        free(tok);
        /* duplicate keys */
        tok = t_sign("ES256", k, NULL, 0, "{\"alg\":\"ES256\",\"alg\":\"none\"}", claims_now("i", "a", 60));
        CHECK(jwt_parse(tok, strlen(tok), &j) < 0);
        free(tok);
        /* deep nesting in claims */
        tok = t_sign("ES256", k, NULL, 0, "{\"alg\":\"ES256\"}",
                     "{\"sub\":\"x\",\"a\":[[[[[[[[[[[1]]]]]]]]]]]}");
        CHECK(jwt_parse(tok, strlen(tok), &j) < 0);
        free(tok);
        /* claims not an object */
        tok = t_sign("ES256", k, NULL, 0, "{\"alg\":\"ES256\"}", "[1,2]");
        CHECK(jwt_parse(tok, strlen(tok), &j) < 0);
        free(tok);
        /* unknown algorithm */
        tok = t_sign("ES256", k, NULL, 0, "{\"alg\":\"ES512\"}", claims_now("i", "a", 60));
        CHECK_INT(jwt_parse(tok, strlen(tok), &j), DOU_EUNSUPPORTED);
        free(tok);
        /* too long */
        char *big = malloc(JWT_MAX_LEN + 2);
        memset(big, 'A', JWT_MAX_LEN + 1);
        big[JWT_MAX_LEN + 1] = '\0';
        big[10] = '.';
        big[20] = '.';
        CHECK_INT(jwt_parse(big, strlen(big), &j), DOU_ETOOBIG);
        free(big);
        /* ECDSA signature of the wrong length */
        tok = t_sign("ES256", k, NULL, 0, "{\"alg\":\"ES256\"}", claims_now("i", "a", 60));
        tok[strlen(tok) - 4] = '\0';
        CHECK(parse_verify(tok, k) < 0);
        free(tok);
        /* kid must be a short string */
        tok = t_sign("ES256", k, NULL, 0, "{\"alg\":\"ES256\",\"kid\":7}", claims_now("i", "a", 60));
        CHECK(jwt_parse(tok, strlen(tok), &j) < 0);
        free(tok);
        EVP_PKEY_free(k);
}

static int check(const char *claims, const char *iss, const char *aud, unsigned leeway, char *why)
{
        json_t *c = json_loads(claims, 0, NULL);
        int r = jwt_check_claims(c, iss, aud, time(NULL), leeway, why, 64);
        json_decref(c);
        return r;
}

TEST(claims_iss_aud_sub)
{
        char why[64];
        long now = (long)time(NULL);
        char c[512];
        snprintf(c, sizeof(c), "{\"iss\":\"https://i\",\"aud\":[\"x\",\"douane\"],\"sub\":\"s\",\"exp\":%ld}", now + 60);
        CHECK_INT(check(c, "https://i", "douane", 60, why), 0);
        CHECK(check(c, "https://i/", "douane", 60, why) < 0);  /* exact issuer match */
        CHECK_STR(why, "untrusted issuer");
        CHECK(check(c, "https://i", "other", 60, why) < 0);
        CHECK_STR(why, "wrong audience");
        snprintf(c, sizeof(c), "{\"iss\":\"https://i\",\"aud\":\"douanex\",\"sub\":\"s\",\"exp\":%ld}", now + 60);
        CHECK(check(c, "https://i", "douane", 60, why) < 0);
        snprintf(c, sizeof(c), "{\"iss\":\"https://i\",\"aud\":\"douane\",\"exp\":%ld}", now + 60);
        CHECK(check(c, "https://i", "douane", 60, why) < 0);   /* no sub */
        snprintf(c, sizeof(c), "{\"iss\":\"https://i\",\"aud\":\"douane\",\"sub\":\"s\"}");
        CHECK(check(c, "https://i", "douane", 60, why) < 0);   /* no exp */
}

TEST(claims_time_with_leeway)
{
        char why[64], c[512];
        long now = (long)time(NULL);
        /* expired 30 s ago: inside a 60 s leeway, outside a 10 s one */
        snprintf(c, sizeof(c), "{\"iss\":\"i\",\"aud\":\"a\",\"sub\":\"s\",\"exp\":%ld}", now - 30);
        CHECK_INT(check(c, "i", "a", 60, why), 0);
        CHECK(check(c, "i", "a", 10, why) < 0);
        CHECK_STR(why, "token expired");
        snprintf(c, sizeof(c), "{\"iss\":\"i\",\"aud\":\"a\",\"sub\":\"s\",\"exp\":%ld}", now - 120);
        CHECK(check(c, "i", "a", 60, why) < 0);
        /* not yet valid */
        snprintf(c, sizeof(c), "{\"iss\":\"i\",\"aud\":\"a\",\"sub\":\"s\",\"exp\":%ld,\"nbf\":%ld}", now + 600, now + 30);
        CHECK_INT(check(c, "i", "a", 60, why), 0);
        CHECK(check(c, "i", "a", 0, why) < 0);
        CHECK_STR(why, "token not yet valid");
        snprintf(c, sizeof(c), "{\"iss\":\"i\",\"aud\":\"a\",\"sub\":\"s\",\"exp\":%ld,\"iat\":%ld}", now + 600, now + 300);
        CHECK(check(c, "i", "a", 60, why) < 0);
        CHECK_STR(why, "token issued in the future");
        snprintf(c, sizeof(c), "{\"iss\":\"i\",\"aud\":\"a\",\"sub\":\"s\",\"exp\":\"%ld\"}", now + 600);
        CHECK(check(c, "i", "a", 60, why) < 0);                 /* exp as a string */
}

TEST(sign_es256_roundtrip)
{
        EVP_PKEY *k = t_ec("P-256");
        json_t *claims = json_pack("{s:s}", "sub", "x");
        char *tok = NULL, tp[64];
        CHECK_INT(jwk_thumbprint_p256(k, tp, sizeof(tp)), 0);
        CHECK_INT(strlen(tp), 43);
        CHECK_INT(jwt_sign_es256(k, tp, claims, &tok), 0);
        CHECK_INT(parse_verify(tok, k), 0);
        struct jwt j;
        CHECK_INT(jwt_parse(tok, strlen(tok), &j), 0);
        CHECK_STR(j.kid, tp);
        CHECK_INT(j.alg, JWT_ES256);
        jwt_clear(&j);
        free(tok);
        json_decref(claims);
        EVP_PKEY_free(k);
}

TAP_MAIN()
