/*
 * digest.c - OCI digest parsing and streaming hashing over OpenSSL EVP.
 *
 * Grammar (OCI image-spec descriptor.md):
 *   digest    ::= algorithm ":" encoded
 *   algorithm ::= component (separator component)*
 *   component ::= [a-z0-9]+
 *   separator ::= [+._-]
 *   encoded   ::= [a-zA-Z0-9=_-]+
 * Registered algorithms require lower-case hex of an exact length, which is
 * all we accept; other syntactically valid algorithms are "unsupported".
 */
#include "util/digest.h"
#include "util/err.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct hasher {
        EVP_MD_CTX *ctx;
        enum digest_alg alg;
};

static int is_lower_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int valid_algorithm(const char *s, size_t n)
{
        int need_component = 1;

        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                        need_component = 0;
                } else if (c == '+' || c == '.' || c == '_' || c == '-') {
                        if (need_component)
                                return 0;
                        need_component = 1;
                } else {
                        return 0;
                }
        }
        return !need_component;
}

static int valid_encoded(const char *s, size_t n)
{
        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '=' || c == '_' || c == '-'))
                        return 0;
        }
        return 1;
}

int digest_parse(const char *s, size_t len, struct digest *ret)
{
        const char *colon = memchr(s, ':', len);
        size_t alen, elen, hexlen;
        enum digest_alg alg;

        if (!colon)
                return dou_err_set(DOU_EINVAL, "digest has no algorithm");
        alen = (size_t)(colon - s);
        elen = len - alen - 1;
        if (!valid_algorithm(s, alen) || !valid_encoded(colon + 1, elen))
                return dou_err_set(DOU_EINVAL, "malformed digest");
        if (alen == 6 && memcmp(s, "sha256", 6) == 0) {
                alg = DIGEST_SHA256;
                hexlen = 64;
        } else if (alen == 6 && memcmp(s, "sha512", 6) == 0) {
                alg = DIGEST_SHA512;
                hexlen = 128;
        } else {
                return dou_err_set(DOU_EUNSUPPORTED, "unsupported digest algorithm");
        }
        if (elen != hexlen)
                return dou_err_set(DOU_EINVAL, "digest has wrong length for %s",
                                   digest_alg_name(alg));
        for (size_t i = 0; i < elen; i++)
                if (!is_lower_hex(colon[1 + i]))
                        return dou_err_set(DOU_EINVAL, "digest is not lower-case hex");
        ret->alg = alg;
        memcpy(ret->str, s, len);
        ret->str[len] = '\0';
        return 0;
}

const char *digest_hex(const struct digest *d)
{
        return d->str + 7;   /* both names are six letters */
}

const char *digest_alg_name(enum digest_alg alg)
{
        return alg == DIGEST_SHA512 ? "sha512" : "sha256";
}

struct hasher *hasher_new(enum digest_alg alg)
{
        struct hasher *h = calloc(1, sizeof(*h));

        if (!h)
                return NULL;
        h->alg = alg;
        h->ctx = EVP_MD_CTX_new();
        if (!h->ctx || EVP_DigestInit_ex(h->ctx, alg == DIGEST_SHA512 ? EVP_sha512() : EVP_sha256(),
                                         NULL) != 1)
                return hasher_free(h);
        return h;
}

int hasher_update(struct hasher *h, const void *data, size_t len)
{
        if (EVP_DigestUpdate(h->ctx, data, len) != 1)
                return dou_err_set(DOU_EINTERNAL, "digest update failed");
        return 0;
}

int hasher_final(struct hasher *h, struct digest *ret)
{
        static const char hexd[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        const char *name = digest_alg_name(h->alg);
        size_t off;

        if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1)
                return dou_err_set(DOU_EINTERNAL, "digest final failed");
        off = strlen(name);
        memcpy(ret->str, name, off);
        ret->str[off++] = ':';
        for (unsigned int i = 0; i < n; i++) {
                ret->str[off++] = hexd[md[i] >> 4];
                ret->str[off++] = hexd[md[i] & 15];
        }
        ret->str[off] = '\0';
        ret->alg = h->alg;
        return 0;
}

struct hasher *hasher_dup(const struct hasher *h)
{
        struct hasher *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->alg = h->alg;
        c->ctx = EVP_MD_CTX_new();
        if (!c->ctx || EVP_MD_CTX_copy_ex(c->ctx, h->ctx) != 1)
                return hasher_free(c);
        return c;
}

struct hasher *hasher_free(struct hasher *h)
{
        if (h) {
                EVP_MD_CTX_free(h->ctx);
                free(h);
        }
        return NULL;
}

enum digest_alg hasher_alg(const struct hasher *h)
{
        return h->alg;
}

int digest_buf(enum digest_alg alg, const void *data, size_t len, struct digest *ret)
{
        struct hasher *h = hasher_new(alg);
        int r;

        if (!h)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        r = hasher_update(h, data, len);
        if (r == 0)
                r = hasher_final(h, ret);
        hasher_free(h);
        return r;
}
