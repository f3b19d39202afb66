/*
 * b64url.c - strict base64url (RFC 4648 section 5) without padding, as JWS
 * requires. Strict means one encoding per value: padding, the standard
 * alphabet, whitespace, a length of 4k+1 and non-zero unused trailing bits
 * are all refused, so a token cannot be re-encoded into a different string
 * with the same meaning (which would defeat the hash-keyed token cache).
 */
#include "auth/auth_int.h"
#include "util/err.h"

static int b64_val(unsigned char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '-')
                return 62;
        if (c == '_')
                return 63;
        return -1;
}

int b64url_decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *ret_len)
{
        size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0), o = 0;
        unsigned acc = 0;
        int bits = 0;

        if (n % 4 == 1)
                return dou_err_set(DOU_EINVAL, "bad base64url length");
        if (need > cap)
                return dou_err_set(DOU_ETOOBIG, "base64url value too large");
        for (size_t i = 0; i < n; i++) {
                int v = b64_val((unsigned char)s[i]);
                if (v < 0)
                        return dou_err_set(DOU_EINVAL, "bad base64url character");
                acc = (acc << 6) | (unsigned)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (unsigned char)(acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }
        if (acc != 0)
                return dou_err_set(DOU_EINVAL, "non-canonical base64url");
        *ret_len = o;
        return 0;
}

int b64url_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
        static const char tab[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        size_t o = 0, need = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0) + 1;
        unsigned acc = 0;
        int bits = 0;

        if (need > cap)
                return dou_err_set(DOU_ETOOBIG, "base64url output buffer too small");
        for (size_t i = 0; i < n; i++) {
                acc = (acc << 8) | in[i];
                bits += 8;
                while (bits >= 6) {
                        bits -= 6;
                        out[o++] = tab[(acc >> bits) & 63];
                }
                acc &= (1u << bits) - 1;
        }
        if (bits > 0)
                out[o++] = tab[(acc << (6 - bits)) & 63];
        out[o] = '\0';
        return 0;
}
