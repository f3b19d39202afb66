/* libFuzzer target: compact JWS parsing, claim checks and the Basic/token shapes around it. */
#include "auth/auth_int.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        struct jwt j;
        char why[64];

        if (jwt_parse((const char *)d, n, &j) == 0) {
                jwt_check_claims(j.claims, "https://issuer.example", "douane", (time_t)1700000000, 60,
                                 why, sizeof(why));
                jwt_clear(&j);
        }
        return 0;
}
