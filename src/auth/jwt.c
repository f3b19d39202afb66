/*
 * jwt.c - compact JWS (RFC 7515) as used by OIDC ID tokens and by douane's
 * registry tokens.
 *
 * Invariants: a token is parsed only within fixed bounds (total length,
 * decoded segment sizes, JSON depth, duplicate keys refused); the algorithm
 * comes from a closed allow-list of asymmetric algorithms, so "none" and
 * every HMAC algorithm are refused before any key is looked at (this is
 * what defeats HS256-with-the-public-key); "crit" is refused because we
 * implement no extensions; the key's type and curve must fit the algorithm
 * (an RSA key never verifies an ES256 token). JWS ECDSA signatures are raw
 * r||s and are converted to DER for OpenSSL.
 */
#include "auth/auth_int.h"
#include "util/err.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

static const struct {
        const char *name;
        enum jwt_alg alg;
} algs[] = {
        { "ES256", JWT_ES256 }, { "ES384", JWT_ES384 }, { "RS256", JWT_RS256 },
        { "PS256", JWT_PS256 }, { "EdDSA", JWT_EDDSA },
};

const char *jwt_alg_name(enum jwt_alg alg)
{
        for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
                if (algs[i].alg == alg)
                        return algs[i].name;
        return "?";
}

void jwt_clear(struct jwt *j)
{
        json_decref(j->header);
        json_decref(j->claims);
        memset(j, 0, sizeof(*j));
}

static int json_depth_ok(json_t *v, int depth)
{
        const char *k;
        json_t *c;
        size_t i;

        if (depth > JWT_MAX_DEPTH)
                return 0;
        if (json_is_object(v)) {
                json_object_foreach(v, k, c)
                        if (!json_depth_ok(c, depth + 1))
                                return 0;
        } else if (json_is_array(v)) {
                json_array_foreach(v, i, c)
                        if (!json_depth_ok(c, depth + 1))
                                return 0;
        }
        return 1;
}

static int decode_json(const char *s, size_t n, size_t max, const char *what, json_t **ret)
{
        unsigned char *buf;
        size_t len;
        json_t *v;
        int r;

        if (n == 0)
                return dou_err_set(DOU_EINVAL, "empty token %s", what);
        buf = malloc(max);
        if (!buf)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        r = b64url_decode(s, n, buf, max, &len);
        if (r < 0) {
                free(buf);
                return dou_err_set(r, "token %s: %s", what, r == DOU_ETOOBIG ? "too large" : "bad base64url");
        }
        v = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
        free(buf);
        if (!v || !json_is_object(v)) {
                json_decref(v);
                return dou_err_set(DOU_EINVAL, "token %s is not a JSON object", what);
        }
        if (!json_depth_ok(v, 0)) {
                json_decref(v);
                return dou_err_set(DOU_EINVAL, "token %s nests too deeply", what);
        }
        *ret = v;
        return 0;
}

static int parse_header(struct jwt *j)
{
        json_t *alg = json_object_get(j->header, "alg"), *kid = json_object_get(j->header, "kid");
        const char *a = json_string_value(alg);

        if (!a)
                return dou_err_set(DOU_EINVAL, "token header has no alg");
        if (!strcmp(a, "none") || !strcmp(a, "None") || !strcmp(a, "NONE") || a[0] == '\0')
                return dou_err_set(DOU_EDENIED, "unsigned tokens (alg none) are refused");
        if ((a[0] == 'H' || a[0] == 'h') && (a[1] == 'S' || a[1] == 's'))
                return dou_err_set(DOU_EDENIED, "HMAC token algorithms are refused");
        for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
                if (!strcmp(a, algs[i].name))
                        j->alg = algs[i].alg;
        if (!j->alg)
                return dou_err_set(DOU_EUNSUPPORTED, "token algorithm not supported");
        if (json_object_get(j->header, "crit"))
                return dou_err_set(DOU_EUNSUPPORTED, "token header has crit extensions");
        if (kid) {
                const char *k = json_string_value(kid);
                if (!k || strlen(k) > JWT_KID_MAX || json_string_length(kid) != strlen(k))
                        return dou_err_set(DOU_EINVAL, "token kid is not a short string");
                memcpy(j->kid, k, strlen(k) + 1);
        }
        return 0;
}

int jwt_parse(const char *tok, size_t len, struct jwt *j)
{
        const char *d1, *d2;
        int r;

        memset(j, 0, sizeof(*j));
        if (len == 0 || len > JWT_MAX_LEN)
                return dou_err_set(DOU_ETOOBIG, "token length out of bounds");
        d1 = memchr(tok, '.', len);
        d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
        if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)))
                return dou_err_set(DOU_EINVAL, "token is not a compact JWS (three segments)");
        if ((r = decode_json(tok, (size_t)(d1 - tok), JWT_MAX_HEADER, "header", &j->header)) < 0 ||
            (r = parse_header(j)) < 0 ||
            (r = decode_json(d1 + 1, (size_t)(d2 - d1 - 1), JWT_MAX_PAYLOAD, "claims", &j->claims)) < 0)
                goto fail;
        r = b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - tok), j->sig, sizeof(j->sig), &j->sig_len);
        if (r < 0 || j->sig_len == 0) {
                r = dou_err_set(DOU_EINVAL, "token signature is malformed");
                goto fail;
        }
        j->signing_len = (size_t)(d2 - tok);
        return 0;
fail:
        jwt_clear(j);
        return r;
}

static int ec_nid(EVP_PKEY *key)
{
        char name[64];
        size_t n;

        if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
            !EVP_PKEY_get_group_name(key, name, sizeof(name), &n))
                return NID_undef;
        return OBJ_txt2nid(name);
}

int jwt_key_fits(enum jwt_alg alg, EVP_PKEY *key)
{
        int id = EVP_PKEY_get_base_id(key), bits = EVP_PKEY_get_bits(key);

        switch (alg) {
        case JWT_ES256: return ec_nid(key) == NID_X9_62_prime256v1;
        case JWT_ES384: return ec_nid(key) == NID_secp384r1;
        case JWT_RS256:
        case JWT_PS256: return id == EVP_PKEY_RSA && bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS;
        case JWT_EDDSA: return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448;
        }
        return 0;
}

/* Raw r||s (each half bytes) -> DER ECDSA-Sig-Value, malloc'ed. */
static int ecdsa_raw_to_der(const unsigned char *sig, size_t len, size_t half,
                            unsigned char **ret, size_t *ret_len)
{
        ECDSA_SIG *es;
        BIGNUM *r, *s;
        unsigned char *der = NULL;
        int n;

        if (len != 2 * half)
                return dou_err_set(DOU_EINVAL, "ECDSA signature has the wrong length");
        es = ECDSA_SIG_new();
        r = BN_bin2bn(sig, (int)half, NULL);
        s = BN_bin2bn(sig + half, (int)half, NULL);
        if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
                ECDSA_SIG_free(es);
                BN_free(r);
                BN_free(s);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        n = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);
        if (n <= 0)
                return dou_err_set(DOU_EINVAL, "bad ECDSA signature");
        *ret = der;
        *ret_len = (size_t)n;
        return 0;
}

int jwt_verify(const struct jwt *j, const char *tok, EVP_PKEY *key)
{
        const EVP_MD *md = NULL;
        EVP_MD_CTX *ctx;
        EVP_PKEY_CTX *pctx = NULL;
        unsigned char *der = NULL;
        const unsigned char *sig = j->sig;
        size_t sig_len = j->sig_len;
        int ok = 0, r;

        if (!key || !jwt_key_fits(j->alg, key))
                return dou_err_set(DOU_EDENIED, "key type does not fit the token algorithm");
        switch (j->alg) {
        case JWT_ES256:
                md = EVP_sha256();
                if ((r = ecdsa_raw_to_der(j->sig, j->sig_len, 32, &der, &sig_len)) < 0)
                        return r;
                sig = der;
                break;
        case JWT_ES384:
                md = EVP_sha384();
                if ((r = ecdsa_raw_to_der(j->sig, j->sig_len, 48, &der, &sig_len)) < 0)
                        return r;
                sig = der;
                break;
        case JWT_RS256:
        case JWT_PS256:
                md = EVP_sha256();
                break;
        case JWT_EDDSA:
                break;
        }
        ctx = EVP_MD_CTX_new();
        if (ctx && EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key) == 1) {
                int pad_ok = 1;
                if (j->alg == JWT_PS256)
                        pad_ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
                                 EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0 &&
                                 EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0;
                else if (j->alg == JWT_RS256)
                        pad_ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
                ok = pad_ok && EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)tok,
                                                j->signing_len) == 1;
        }
        EVP_MD_CTX_free(ctx);
        OPENSSL_free(der);
        if (!ok)
                return dou_err_set(DOU_EDENIED, "token signature does not verify");
        return 0;
}

static char *b64_json(json_t *v)
{
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS), *out;
        size_t n, cap;

        if (!s)
                return NULL;
        n = strlen(s);
        cap = n / 3 * 4 + 8;
        out = malloc(cap);
        if (out && b64url_encode((const unsigned char *)s, n, out, cap) < 0) {
                free(out);
                out = NULL;
        }
        free(s);
        return out;
}

int jwt_sign_es256(EVP_PKEY *key, const char *kid, json_t *claims, char **ret)
{
        json_t *hdr = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "typ", "JWT", "kid", kid);
        char *h = hdr ? b64_json(hdr) : NULL, *c = b64_json(claims), *out = NULL;
        unsigned char der[80], raw[64];
        const unsigned char *p = der;
        size_t der_len = sizeof(der), in_len = 0, cap;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        ECDSA_SIG *es = NULL;
        int r = DOU_ENOMEM;

        json_decref(hdr);
        if (!h || !c || !ctx)
                goto out;
        in_len = strlen(h) + 1 + strlen(c);
        cap = in_len + 1 + 88 + 1;
        if (!(out = malloc(cap)))
                goto out;
        snprintf(out, cap, "%s.%s", h, c);
        if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
            EVP_DigestSign(ctx, der, &der_len, (unsigned char *)out, in_len) != 1 ||
            !(es = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) ||
            BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32) != 32 ||
            BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32) != 32) {
                r = DOU_EINTERNAL;
                goto out;
        }
        out[in_len] = '.';
        if ((r = b64url_encode(raw, sizeof(raw), out + in_len + 1, cap - in_len - 1)) < 0)
                goto out;
        *ret = out;
        out = NULL;
        r = 0;
out:
        ECDSA_SIG_free(es);
        EVP_MD_CTX_free(ctx);
        free(h);
        free(c);
        free(out);
        return r < 0 ? dou_err_set(r, "cannot sign token") : 0;
}

static int aud_contains(json_t *aud, const char *want)
{
        json_t *v;
        size_t i;

        if (json_is_string(aud))
                return !strcmp(json_string_value(aud), want);
        if (!json_is_array(aud))
                return 0;
        json_array_foreach(aud, i, v)
                if (json_is_string(v) && !strcmp(json_string_value(v), want))
                        return 1;
        return 0;
}

static void say(char *reason, size_t rlen, const char *s)
{
        if (reason && rlen)
                snprintf(reason, rlen, "%s", s);
}

int jwt_check_claims(json_t *claims, const char *issuer, const char *audience,
                     time_t now, unsigned leeway, char *reason, size_t rlen)
{
        const char *iss = json_string_value(json_object_get(claims, "iss"));
        const char *sub = json_string_value(json_object_get(claims, "sub"));
        json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf"),
               *iat = json_object_get(claims, "iat");
        double t = (double)now;

        if (!iss || strcmp(iss, issuer) != 0)
                return say(reason, rlen, "untrusted issuer"), dou_err_set(DOU_EDENIED, "untrusted issuer");
        if (audience && !aud_contains(json_object_get(claims, "aud"), audience))
                return say(reason, rlen, "wrong audience"), dou_err_set(DOU_EDENIED, "wrong audience");
        if (!json_is_number(exp))
                return say(reason, rlen, "token has no exp"), dou_err_set(DOU_EDENIED, "token has no exp");
        if (t > json_number_value(exp) + leeway)
                return say(reason, rlen, "token expired"), dou_err_set(DOU_EDENIED, "token expired");
        if (nbf && (!json_is_number(nbf) || t + leeway < json_number_value(nbf)))
                return say(reason, rlen, "token not yet valid"), dou_err_set(DOU_EDENIED, "token not yet valid");
        if (iat && (!json_is_number(iat) || t + leeway < json_number_value(iat)))
                return say(reason, rlen, "token issued in the future"),
                       dou_err_set(DOU_EDENIED, "token issued in the future");
        if (!sub || !*sub || strlen(sub) > 200)
                return say(reason, rlen, "token has no usable sub"), dou_err_set(DOU_EDENIED, "no sub");
        return 0;
}
