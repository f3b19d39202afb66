/*
 * jwks.c - JSON Web Keys (RFC 7517/7518/8037) to OpenSSL public keys.
 *
 * Only signature public keys are kept: EC P-256/P-384 (coordinates of the
 * exact field length, point checked on the curve), RSA 2048..8192 bits with
 * an odd public exponent, OKP Ed25519/Ed448. Entries that are private,
 * for encryption, of an unknown type or malformed are skipped one by one,
 * so one bad entry in a provider's set does not take the issuer down; a set
 * with no usable key is an error. Bounds: 1 MiB document, 64 keys.
 */
#include "auth/auth_int.h"
#include "util/err.h"

#include <openssl/core_names.h>
#include <openssl/bn.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

static int b64_field(json_t *jwk, const char *name, unsigned char *out, size_t cap, size_t *len)
{
        json_t *v = json_object_get(jwk, name);
        const char *s = json_string_value(v);

        if (!s)
                return dou_err_set(DOU_EINVAL, "JWK has no %s", name);
        return b64url_decode(s, json_string_length(v), out, cap, len);
}

static int pkey_fromdata(const char *type, OSSL_PARAM *params, EVP_PKEY **ret)
{
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        EVP_PKEY *pk = NULL;
        int ok = ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
                 EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) == 1;

        EVP_PKEY_CTX_free(ctx);
        if (ok) {
                /* Rejects EC points off the curve and degenerate RSA values. */
                EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
                ok = chk && EVP_PKEY_public_check(chk) == 1;
                EVP_PKEY_CTX_free(chk);
        }
        if (!ok) {
                EVP_PKEY_free(pk);
                return dou_err_set(DOU_EINVAL, "JWK is not a valid %s public key", type);
        }
        *ret = pk;
        return 0;
}

static int ec_key(json_t *jwk, EVP_PKEY **ret)
{
        const char *crv = json_string_value(json_object_get(jwk, "crv"));
        unsigned char pt[1 + 2 * 48], x[48], y[48];
        size_t flen, xl, yl;
        const char *group;
        OSSL_PARAM p[3];

        if (!crv)
                return dou_err_set(DOU_EINVAL, "EC JWK has no crv");
        if (!strcmp(crv, "P-256"))
                flen = 32, group = "prime256v1";
        else if (!strcmp(crv, "P-384"))
                flen = 48, group = "secp384r1";
        else
                return dou_err_set(DOU_EUNSUPPORTED, "EC curve not supported");
        if (b64_field(jwk, "x", x, sizeof(x), &xl) < 0 || b64_field(jwk, "y", y, sizeof(y), &yl) < 0 ||
            xl != flen || yl != flen)
                return dou_err_set(DOU_EINVAL, "EC JWK coordinates are malformed");
        pt[0] = 0x04;
        memcpy(pt + 1, x, flen);
        memcpy(pt + 1 + flen, y, flen);
        p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
        p[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * flen);
        p[2] = OSSL_PARAM_construct_end();
        return pkey_fromdata("EC", p, ret);
}

static int rsa_key(json_t *jwk, EVP_PKEY **ret)
{
        unsigned char n[RSA_MAX_BITS / 8 + 1], e[8];
        size_t nl, el;
        BIGNUM *bn = NULL, *be = NULL;
        OSSL_PARAM_BLD *bld = NULL;
        OSSL_PARAM *params = NULL;
        int r = DOU_EINVAL;

        if (b64_field(jwk, "n", n, sizeof(n), &nl) < 0 || b64_field(jwk, "e", e, sizeof(e), &el) < 0 ||
            nl == 0 || el == 0 || n[0] == 0 || e[0] == 0)
                return dou_err_set(DOU_EINVAL, "RSA JWK n/e are malformed");
        bn = BN_bin2bn(n, (int)nl, NULL);
        be = BN_bin2bn(e, (int)el, NULL);
        if (!bn || !be) {
                r = dou_err_set(DOU_ENOMEM, "out of memory");
                goto out;
        }
        if (BN_num_bits(bn) < RSA_MIN_BITS || BN_num_bits(bn) > RSA_MAX_BITS ||
            !BN_is_odd(be) || BN_is_one(be) || BN_num_bits(be) > 33) {
                r = dou_err_set(DOU_EINVAL, "RSA JWK size or exponent out of bounds");
                goto out;
        }
        if (!(bld = OSSL_PARAM_BLD_new()) || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
            !(params = OSSL_PARAM_BLD_to_param(bld))) {
                r = dou_err_set(DOU_ENOMEM, "out of memory");
                goto out;
        }
        r = pkey_fromdata("RSA", params, ret);
out:
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(bld);
        BN_free(bn);
        BN_free(be);
        return r;
}

static int okp_key(json_t *jwk, EVP_PKEY **ret)
{
        const char *crv = json_string_value(json_object_get(jwk, "crv"));
        unsigned char x[57];
        size_t xl;
        int type;
        EVP_PKEY *pk;

        if (crv && !strcmp(crv, "Ed25519"))
                type = EVP_PKEY_ED25519;
        else if (crv && !strcmp(crv, "Ed448"))
                type = EVP_PKEY_ED448;
        else
                return dou_err_set(DOU_EUNSUPPORTED, "OKP curve not supported");
        if (b64_field(jwk, "x", x, sizeof(x), &xl) < 0 ||
            xl != (type == EVP_PKEY_ED25519 ? 32u : 57u))
                return dou_err_set(DOU_EINVAL, "OKP JWK x is malformed");
        pk = EVP_PKEY_new_raw_public_key(type, NULL, x, xl);
        if (!pk)
                return dou_err_set(DOU_EINVAL, "OKP JWK is not a valid key");
        *ret = pk;
        return 0;
}

int jwk_to_pkey(json_t *jwk, EVP_PKEY **ret)
{
        const char *kty = json_string_value(json_object_get(jwk, "kty"));
        const char *use = json_string_value(json_object_get(jwk, "use"));

        if (!json_is_object(jwk) || !kty)
                return dou_err_set(DOU_EINVAL, "JWK has no kty");
        if (use && strcmp(use, "sig") != 0)
                return dou_err_set(DOU_EUNSUPPORTED, "JWK is not a signature key");
        if (json_object_get(jwk, "d"))
                return dou_err_set(DOU_EINVAL, "JWK holds a private key; refusing it");
        if (!strcmp(kty, "EC"))
                return ec_key(jwk, ret);
        if (!strcmp(kty, "RSA"))
                return rsa_key(jwk, ret);
        if (!strcmp(kty, "OKP"))
                return okp_key(jwk, ret);
        return dou_err_set(DOU_EUNSUPPORTED, "JWK kty not supported");
}

struct jwks *jwks_free(struct jwks *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++)
                EVP_PKEY_free(s->keys[i].pkey);
        free(s->keys);
        free(s);
        return NULL;
}

static int jwk_entry(json_t *k, struct jwk *out)
{
        json_t *kid = json_object_get(k, "kid"), *alg = json_object_get(k, "alg");
        const char *ks = json_string_value(kid), *as = json_string_value(alg);

        memset(out, 0, sizeof(*out));
        if ((kid && (!ks || json_string_length(kid) > JWT_KID_MAX || strlen(ks) != json_string_length(kid))) ||
            (alg && (!as || strlen(as) >= sizeof(out->alg))))
                return DOU_EINVAL;
        if (ks)
                memcpy(out->kid, ks, strlen(ks) + 1);
        if (as)
                memcpy(out->alg, as, strlen(as) + 1);
        return jwk_to_pkey(k, &out->pkey);
}

int jwks_parse(const char *buf, size_t len, struct jwks **ret)
{
        json_t *root, *keys, *k;
        struct jwks *s;
        size_t i;

        if (len > JWKS_MAX_BYTES)
                return dou_err_set(DOU_ETOOBIG, "JWKS larger than %u bytes", JWKS_MAX_BYTES);
        root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
        keys = json_object_get(root, "keys");
        if (!json_is_array(keys)) {
                json_decref(root);
                return dou_err_set(DOU_EINVAL, "JWKS has no keys array");
        }
        if (json_array_size(keys) > JWKS_MAX_KEYS) {
                json_decref(root);
                return dou_err_set(DOU_ETOOBIG, "JWKS has more than %d keys", JWKS_MAX_KEYS);
        }
        s = calloc(1, sizeof(*s));
        if (s)
                s->keys = calloc(json_array_size(keys) + 1, sizeof(*s->keys));
        if (!s || !s->keys) {
                json_decref(root);
                jwks_free(s);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        json_array_foreach(keys, i, k) {
                if (jwk_entry(k, &s->keys[s->n]) == 0)
                        s->n++;
                else
                        s->skipped++;
        }
        json_decref(root);
        if (s->n == 0) {
                jwks_free(s);
                return dou_err_set(DOU_EINVAL, "JWKS has no usable signature key");
        }
        dou_err_clear();
        *ret = s;
        return 0;
}

EVP_PKEY *jwks_find(const struct jwks *s, const char *kid, enum jwt_alg alg)
{
        const struct jwk *hit = NULL;

        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++) {
                const struct jwk *k = &s->keys[i];
                if (*kid ? strcmp(k->kid, kid) != 0 : s->n != 1)
                        continue;
                /* A JWK that pins an alg is only used for that alg. */
                if (k->alg[0] && strcmp(k->alg, jwt_alg_name(alg)) != 0)
                        continue;
                if (!jwt_key_fits(alg, k->pkey))
                        continue;
                hit = k;
                break;
        }
        if (!hit || !EVP_PKEY_up_ref(hit->pkey))
                return NULL;
        return hit->pkey;
}

int jwk_thumbprint_p256(EVP_PKEY *key, char *out, size_t cap)
{
        unsigned char pt[65], dg[32];
        char x[48], y[48], js[160];
        size_t n = 0;
        unsigned int dl = 0;

        if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n) ||
            n != 65 || pt[0] != 0x04)
                return dou_err_set(DOU_EINVAL, "not an uncompressed P-256 key");
        if (b64url_encode(pt + 1, 32, x, sizeof(x)) < 0 || b64url_encode(pt + 33, 32, y, sizeof(y)) < 0)
                return DOU_EINTERNAL;
        snprintf(js, sizeof(js), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
        if (!EVP_Digest(js, strlen(js), dg, &dl, EVP_sha256(), NULL))
                return DOU_EINTERNAL;
        return b64url_encode(dg, dl, out, cap);
}
