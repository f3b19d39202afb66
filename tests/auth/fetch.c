/*
 * Tests of discovery, JWKS fetching and rotation against a scripted
 * loopback HTTP server: issuer mismatch, unknown kid (exactly one refetch,
 * then none inside the window), slow, huge and malicious JWKS endpoints.
 */
#include "tap.h"
#include "helpers.h"
#include "util/err.h"

#include <time.h>

static struct stub srv;
static char base[64];
static EVP_PKEY *k1, *k2;

static void publish(const char *path, EVP_PKEY *a, const char *kida, EVP_PKEY *b, const char *kidb)
{
        char *ja = a ? t_jwk(a, kida) : strdup(""), *jb = b ? t_jwk(b, kidb) : NULL, doc[4096];
        snprintf(doc, sizeof(doc), "{\"keys\":[%s%s%s]}", ja, jb ? "," : "", jb ? jb : "");
        stub_set(&srv, path, doc, 200, 0, 0);
        free(ja);
        free(jb);
}

static void discovery(const char *issuer, const char *jwks_path)
{
        char doc[512];
        snprintf(doc, sizeof(doc), "{\"issuer\":\"%s\",\"jwks_uri\":\"%s%s\"}", issuer, base, jwks_path);
        stub_set(&srv, "/.well-known/openid-configuration", doc, 200, 0, 0);
}

static struct auth_issuer *mk(const char *yaml)
{
        struct auth_issuer *is = NULL;
        json_t *o = t_yaml(yaml);
        if (issuer_parse(o, &is) < 0)
                printf("# issuer_parse: %s\n", dou_err_msg());
        json_decref(o);
        return is;
}

TEST(setup)
{
        CHECK_INT(stub_start(&srv), 0);
        snprintf(base, sizeof(base), "http://127.0.0.1:%d", srv.port);
        k1 = t_ec("P-256");
        k2 = t_ec("P-256");
}

TEST(discovery_then_jwks)
{
        char y[256];
        EVP_PKEY *k = NULL;
        discovery(base, "/jwks");
        publish("/jwks", k1, "k1", NULL, NULL);
        snprintf(y, sizeof(y), "{issuer: \"%s\", audience: douane}", base);
        struct auth_issuer *is = mk(y);
        CHECK(is != NULL);
        CHECK_INT(issuer_key(is, "k1", JWT_ES256, time(NULL), &k), 0);
        CHECK(k && EVP_PKEY_eq(k, k1) == 1);
        EVP_PKEY_free(k);
        CHECK_INT(atomic_load(&is->n_fetches), 1);
        /* cached: no more requests */
        for (int i = 0; i < 10; i++) {
                CHECK_INT(issuer_key(is, "k1", JWT_ES256, time(NULL), &k), 0);
                EVP_PKEY_free(k);
        }
        CHECK_INT(atomic_load(&is->n_fetches), 1);
        CHECK_INT(stub_hits(&srv, "/jwks"), 1);
        /* the TTL expires: one refresh */
        CHECK_INT(issuer_key(is, "k1", JWT_ES256, time(NULL) + 7200, &k), 0);
        EVP_PKEY_free(k);
        CHECK_INT(atomic_load(&is->n_fetches), 2);
        issuer_free(is);
}

TEST(hostile_discovery_names_another_issuer)
{
        char y[256];
        EVP_PKEY *k = NULL;
        discovery("https://accounts.example.com", "/jwks");
        publish("/jwks", k1, "k1", NULL, NULL);
        snprintf(y, sizeof(y), "{issuer: \"%s\", audience: douane}", base);
        struct auth_issuer *is = mk(y);
        CHECK(issuer_key(is, "k1", JWT_ES256, time(NULL), &k) < 0);
        CHECK(strstr(dou_err_msg(), "another issuer") != NULL);
        issuer_free(is);
        /* jwks_uri pointing at plain http on a remote host */
        stub_set(&srv, "/.well-known/openid-configuration",
                 "{\"issuer\":\"x\",\"jwks_uri\":\"http://example.com/jwks\"}", 200, 0, 0);
        char doc[256];
        snprintf(doc, sizeof(doc), "{\"issuer\":\"%s\",\"jwks_uri\":\"http://example.com/jwks\"}", base);
        stub_set(&srv, "/.well-known/openid-configuration", doc, 200, 0, 0);
        is = mk(y);
        CHECK(issuer_key(is, "k1", JWT_ES256, time(NULL), &k) < 0);
        CHECK(strstr(dou_err_msg(), "jwks_uri") != NULL);
        issuer_free(is);
}

TEST(hostile_unknown_kid_refetches_once_per_window)
{
        char y[256];
        EVP_PKEY *k = NULL;
        time_t now = time(NULL);
        publish("/jwks-rot", k1, "k1", NULL, NULL);
        snprintf(y, sizeof(y), "{issuer: \"https://rot.example\", audience: d, jwks: {url: \"%s/jwks-rot\"}, "
                 "refetch_interval: 60s}", base);
        struct auth_issuer *is = mk(y);
        CHECK_INT(issuer_key(is, "k1", JWT_ES256, now, &k), 0);
        EVP_PKEY_free(k);
        CHECK_INT(stub_hits(&srv, "/jwks-rot"), 1);
        /* a flood of made-up kids inside the window: no request at all (last fetch was just now) */
        for (int i = 0; i < 50; i++)
                CHECK_INT(issuer_key(is, "made-up", JWT_ES256, now + 1, &k), DOU_ENOTFOUND);
        CHECK_INT(stub_hits(&srv, "/jwks-rot"), 1);
        /* after the window: exactly one refetch for an unknown kid, then none again */
        for (int i = 0; i < 50; i++)
                CHECK_INT(issuer_key(is, "made-up", JWT_ES256, now + 61, &k), DOU_ENOTFOUND);
        CHECK_INT(stub_hits(&srv, "/jwks-rot"), 2);
        /* rotation: the provider publishes k2; after the window the new kid is found */
        publish("/jwks-rot", k1, "k1", k2, "k2");
        CHECK_INT(issuer_key(is, "k2", JWT_ES256, now + 100, &k), DOU_ENOTFOUND);  /* still in window */
        CHECK_INT(issuer_key(is, "k2", JWT_ES256, now + 122, &k), 0);
        CHECK(k && EVP_PKEY_eq(k, k2) == 1);
        EVP_PKEY_free(k);
        CHECK_INT(stub_hits(&srv, "/jwks-rot"), 3);
        /* the old key keeps working while published */
        CHECK_INT(issuer_key(is, "k1", JWT_ES256, now + 123, &k), 0);
        EVP_PKEY_free(k);
        /* provider drops k1; after the TTL, k1 is gone */
        publish("/jwks-rot", k2, "k2", NULL, NULL);
        CHECK_INT(issuer_key(is, "k1", JWT_ES256, now + 122 + 3601, &k), DOU_ENOTFOUND);
        issuer_free(is);
}

TEST(hostile_slow_jwks_times_out)
{
        char y[256];
        EVP_PKEY *k = NULL;
        char *jwk = t_jwk(k1, "k1"), doc[1024];
        snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", jwk);
        free(jwk);
        stub_set(&srv, "/slow", doc, 200, 3000, 0);
        snprintf(y, sizeof(y), "{issuer: \"https://slow.example\", audience: d, jwks: {url: \"%s/slow\"}, "
                 "fetch_timeout: 1s}", base);
        struct auth_issuer *is = mk(y);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK(issuer_key(is, "k1", JWT_ES256, time(NULL), &k) < 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        CHECK(el < 2.5);
        CHECK_INT(atomic_load(&is->n_fetch_errors), 1);
        issuer_free(is);
}

TEST(hostile_huge_jwks_is_capped)
{
        char y[256];
        EVP_PKEY *k = NULL;
        stub_set(&srv, "/huge", "                                                                "
                 "                                                                ", 200, 0, 16384 + 10);
        snprintf(y, sizeof(y), "{issuer: \"https://huge.example\", audience: d, jwks: {url: \"%s/huge\"}}", base);
        struct auth_issuer *is = mk(y);
        CHECK(issuer_key(is, "k1", JWT_ES256, time(NULL), &k) < 0);
        if (!strstr(dou_err_msg(), "larger than"))
                printf("# %s\n", dou_err_msg());
        CHECK(strstr(dou_err_msg(), "larger than") != NULL);
        issuer_free(is);
}

TEST(hostile_malicious_jwks_endpoint)
{
        char y[256];
        EVP_PKEY *k = NULL;
        struct { const char *body; int status; } cases[] = {
                { "not json", 200 },
                { "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", 200 },
                { "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"k1\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}]}", 200 },
                { "{\"keys\":[]}", 200 },
                { "{}", 500 },
        };
        for (size_t i = 0; i < DOU_ARRAY_LEN(cases); i++) {
                stub_set(&srv, "/evil", cases[i].body, cases[i].status, 0, 0);
                snprintf(y, sizeof(y), "{issuer: \"https://evil.example\", audience: d, jwks: {url: \"%s/evil\"}}", base);
                struct auth_issuer *is = mk(y);
                CHECK(issuer_key(is, "k1", JWT_ES256, time(NULL), &k) < 0);
                issuer_free(is);
        }
        /* an RSA key under the kid an ES256 token names: not usable for ES256 */
        EVP_PKEY *rsa = t_rsa(2048);
        publish("/evil", rsa, "k1", NULL, NULL);
        struct auth_issuer *is = mk(y);
        CHECK_INT(issuer_key(is, "k1", JWT_ES256, time(NULL), &k), DOU_ENOTFOUND);
        CHECK_INT(issuer_key(is, "k1", JWT_RS256, time(NULL), &k), 0);
        EVP_PKEY_free(k);
        issuer_free(is);
        EVP_PKEY_free(rsa);
}

TEST(refresh_failure_keeps_old_keys)
{
        char y[256];
        EVP_PKEY *k = NULL;
        time_t now = time(NULL);
        publish("/flaky", k1, "k1", NULL, NULL);
        snprintf(y, sizeof(y), "{issuer: \"https://flaky.example\", audience: d, jwks: {url: \"%s/flaky\"}, "
                 "jwks_ttl: 10m}", base);
        struct auth_issuer *is = mk(y);
        CHECK_INT(issuer_key(is, "k1", JWT_ES256, now, &k), 0);
        EVP_PKEY_free(k);
        stub_set(&srv, "/flaky", "oops", 503, 0, 0);
        CHECK_INT(issuer_key(is, "k1", JWT_ES256, now + 601, &k), 0);   /* stale but kept */
        EVP_PKEY_free(k);
        CHECK_INT(atomic_load(&is->n_fetch_errors), 1);
        issuer_free(is);
}

TEST(urls)
{
        CHECK(url_allowed("https://example.com/jwks"));
        CHECK(url_allowed("http://127.0.0.1:8080/jwks"));
        CHECK(url_allowed("http://[::1]/jwks"));
        CHECK(url_allowed("http://localhost/jwks"));
        CHECK(!url_allowed("http://example.com/jwks"));
        CHECK(!url_allowed("http://127.0.0.1.example.com/jwks"));
        CHECK(!url_allowed("file:///etc/passwd"));
        CHECK(!url_allowed("ftp://example.com/x"));
        CHECK(!url_allowed("gopher://127.0.0.1/x"));
}

TEST(teardown)
{
        stub_stop(&srv);
        EVP_PKEY_free(k1);
        EVP_PKEY_free(k2);
}

TAP_MAIN()
