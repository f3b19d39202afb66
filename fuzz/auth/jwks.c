/* libFuzzer target: JWK Set documents as served by an identity provider. */
#include "auth/auth_int.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        struct jwks *s = NULL;

        if (jwks_parse((const char *)d, n, &s) == 0) {
                EVP_PKEY *k = jwks_find(s, "k1", JWT_ES256);
                EVP_PKEY_free(k);
                k = jwks_find(s, "", JWT_RS256);
                EVP_PKEY_free(k);
                jwks_free(s);
        }
        return 0;
}
