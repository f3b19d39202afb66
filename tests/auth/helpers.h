/*
 * helpers.h - test-side key generation, JWT minting with any algorithm
 * (including the hostile ones the library must refuse), JWK export, and a
 * tiny loopback HTTP server whose answers a test scripts (for discovery,
 * JWKS, slow and huge responses). Static functions: each test includes it.
 */
#ifndef DOUANE_TESTS_AUTH_HELPERS_H
#define DOUANE_TESTS_AUTH_HELPERS_H

#include "auth/auth_int.h"
#include "util/mem.h"
#include "config/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static inline EVP_PKEY *t_ec(const char *curve) { return EVP_EC_gen(curve); }

static inline EVP_PKEY *t_rsa(unsigned bits)
{
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
}

static inline EVP_PKEY *t_ed25519(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); }

static inline void t_b64(const void *d, size_t n, char *out, size_t cap)
{
        b64url_encode(d, n, out, cap);
}

static inline char *t_b64s(const char *s)
{
        size_t n = strlen(s), cap = n / 3 * 4 + 8;
        char *o = malloc(cap);
        t_b64(s, n, o, cap);
        return o;
}

/* Sign "h.c" with key under alg name; "HS256" uses secret as HMAC key; "none" signs nothing. */
static inline char *t_sign(const char *alg, EVP_PKEY *key, const unsigned char *secret,
                           size_t secret_len, const char *header_json, const char *claims_json)
{
        char *h = t_b64s(header_json), *c = t_b64s(claims_json);
        size_t in_len = strlen(h) + 1 + strlen(c), cap = in_len + 2048;
        char *out = malloc(cap);
        unsigned char sig[1024], raw[132];
        size_t sl = sizeof(sig);
        const EVP_MD *md = NULL;

        snprintf(out, cap, "%s.%s", h, c);
        free(h);
        free(c);
        if (!strcmp(alg, "none")) {
                out[in_len] = '.';
                out[in_len + 1] = '\0';
                return out;
        }
        if (!strcmp(alg, "HS256")) {
                unsigned int ml = 0;
                HMAC(EVP_sha256(), secret, (int)secret_len, (unsigned char *)out, in_len, sig, &ml);
                sl = ml;
        } else {
                EVP_MD_CTX *ctx = EVP_MD_CTX_new();
                EVP_PKEY_CTX *pctx = NULL;
                if (!strcmp(alg, "ES256") || !strcmp(alg, "RS256") || !strcmp(alg, "PS256"))
                        md = EVP_sha256();
                else if (!strcmp(alg, "ES384"))
                        md = EVP_sha384();
                EVP_DigestSignInit(ctx, &pctx, md, NULL, key);
                if (!strcmp(alg, "PS256")) {
                        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
                        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
                }
                EVP_DigestSign(ctx, sig, &sl, (unsigned char *)out, in_len);
                EVP_MD_CTX_free(ctx);
                if (alg[0] == 'E' && alg[1] == 'S') {
                        size_t half = !strcmp(alg, "ES256") ? 32 : 48;
                        const unsigned char *p = sig;
                        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sl);
                        BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)half);
                        BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + half, (int)half);
                        ECDSA_SIG_free(es);
                        memcpy(sig, raw, 2 * half);
                        sl = 2 * half;
                }
        }
        out[in_len] = '.';
        t_b64(sig, sl, out + in_len + 1, cap - in_len - 1);
        return out;
}

/* Public JWK JSON text for key (kid may be NULL). Caller frees. */
static inline char *t_jwk(EVP_PKEY *key, const char *kid)
{
        char buf[4096], a[1200], b[1200];
        unsigned char raw[1100];
        size_t n = 0;
        int id = EVP_PKEY_get_base_id(key);
        char kidpart[200] = "";

        if (kid)
                snprintf(kidpart, sizeof(kidpart), "\"kid\":\"%s\",", kid);
        if (id == EVP_PKEY_EC) {
                char grp[64];
                EVP_PKEY_get_group_name(key, grp, sizeof(grp), NULL);
                EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, raw, sizeof(raw), &n);
                size_t half = (n - 1) / 2;
                t_b64(raw + 1, half, a, sizeof(a));
                t_b64(raw + 1 + half, half, b, sizeof(b));
                snprintf(buf, sizeof(buf), "{%s\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}",
                         kidpart, half == 32 ? "P-256" : "P-384", a, b);
        } else if (id == EVP_PKEY_RSA) {
                BIGNUM *bn = NULL, *be = NULL;
                EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &bn);
                EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &be);
                n = (size_t)BN_bn2bin(bn, raw);
                t_b64(raw, n, a, sizeof(a));
                n = (size_t)BN_bn2bin(be, raw);
                t_b64(raw, n, b, sizeof(b));
                BN_free(bn);
                BN_free(be);
                snprintf(buf, sizeof(buf), "{%s\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}", kidpart, a, b);
        } else {
                n = sizeof(raw);
                EVP_PKEY_get_raw_public_key(key, raw, &n);
                t_b64(raw, n, a, sizeof(a));
                snprintf(buf, sizeof(buf), "{%s\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"}", kidpart, a);
        }
        return strdup(buf);
}

static inline char *t_pub_pem(EVP_PKEY *key)
{
        BIO *b = BIO_new(BIO_s_mem());
        char *d;
        long n;
        PEM_write_bio_PUBKEY(b, key);
        n = BIO_get_mem_data(b, &d);
        char *s = strndup(d, (size_t)n);
        BIO_free(b);
        return s;
}

/* ---- a scripted loopback HTTP server ---- */
#define STUB_ROUTES 8
struct stub_route {
        char path[128];
        char *body;             /* owned */
        size_t repeat;          /* body is repeated this many times (huge responses); 0 = 1 */
        unsigned delay_ms;
        int status;
};

struct stub {
        int fd;
        int port;
        pthread_t th;
        pthread_mutex_t lock;
        struct stub_route routes[STUB_ROUTES];
        size_t n_routes;
        atomic_int hits[STUB_ROUTES];
        atomic_int stop;
};

static inline void stub_set(struct stub *s, const char *path, const char *body, int status,
                            unsigned delay_ms, size_t repeat)
{
        pthread_mutex_lock(&s->lock);
        size_t i = 0;
        while (i < s->n_routes && strcmp(s->routes[i].path, path))
                i++;
        if (i == s->n_routes)
                s->n_routes++;
        snprintf(s->routes[i].path, sizeof(s->routes[i].path), "%s", path);
        free(s->routes[i].body);
        s->routes[i].body = strdup(body);
        s->routes[i].status = status;
        s->routes[i].delay_ms = delay_ms;
        s->routes[i].repeat = repeat;
        pthread_mutex_unlock(&s->lock);
}

static inline int stub_hits(struct stub *s, const char *path)
{
        for (size_t i = 0; i < s->n_routes; i++)
                if (!strcmp(s->routes[i].path, path))
                        return atomic_load(&s->hits[i]);
        return 0;
}

static inline void stub_serve_one(struct stub *s, int c)
{
        char req[4096], path[256] = "", hdr[256];
        ssize_t n = recv(c, req, sizeof(req) - 1, 0);
        if (n <= 0)
                return;
        req[n] = '\0';
        sscanf(req, "%*s %255s", path);
        pthread_mutex_lock(&s->lock);
        struct stub_route r = { .status = 404 };
        int idx = -1;
        for (size_t i = 0; i < s->n_routes; i++)
                if (!strcmp(s->routes[i].path, path)) {
                        r = s->routes[i];
                        r.body = strdup(r.body);
                        idx = (int)i;
                }
        pthread_mutex_unlock(&s->lock);
        if (idx >= 0)
                atomic_fetch_add(&s->hits[idx], 1);
        if (r.delay_ms)
                usleep(r.delay_ms * 1000);
        size_t blen = r.body ? strlen(r.body) : 0, rep = r.repeat ? r.repeat : 1;
        snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n", r.status, blen * rep);
        if (send(c, hdr, strlen(hdr), MSG_NOSIGNAL) > 0)
                for (size_t i = 0; i < rep && blen; i++)
                        if (send(c, r.body, blen, MSG_NOSIGNAL) <= 0)
                                break;
        free(r.body);
}

static inline void *stub_main(void *arg)
{
        struct stub *s = arg;
        while (!atomic_load(&s->stop)) {
                int c = accept(s->fd, NULL, NULL);
                if (c < 0)
                        continue;
                if (!atomic_load(&s->stop))
                        stub_serve_one(s, c);
                close(c);
        }
        return NULL;
}

static inline int stub_start(struct stub *s)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t al = sizeof(a);

        memset(s, 0, sizeof(*s));
        pthread_mutex_init(&s->lock, NULL);
        s->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s->fd, 16) < 0)
                return -1;
        getsockname(s->fd, (struct sockaddr *)&a, &al);
        s->port = ntohs(a.sin_port);
        return pthread_create(&s->th, NULL, stub_main, s);
}

static inline void stub_stop(struct stub *s)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                 .sin_port = htons((uint16_t)s->port) };
        atomic_store(&s->stop, 1);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        connect(c, (struct sockaddr *)&a, sizeof(a));
        close(c);
        pthread_join(s->th, NULL);
        close(s->fd);
        for (size_t i = 0; i < s->n_routes; i++)
                free(s->routes[i].body);
        pthread_mutex_destroy(&s->lock);
}

static inline json_t *t_yaml(const char *y)
{
        char err[256];
        json_t *j = yaml_to_json(y, strlen(y), err, sizeof(err));
        if (!j)
                printf("# yaml: %s\n", err);
        return j;
}

#endif
