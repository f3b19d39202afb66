/*
 * vercmp.c - fuzz every comparator and the npm range evaluator.
 *
 * Input: byte 0 picks the ecosystem (mod VERCMP_ECO_COUNT + 1; the extra
 * value fuzzes semver_range_satisfies), the rest is split on '\t' into up
 * to three strings a, b, c. For each comparator the target aborts on a
 * broken order: a?a must be 0, a?b must be -(b?a), validity must not
 * depend on the other operand, and a<=b<=c must give a<=c (except for
 * Maven, whose reference order is not transitive).
 */
#include "vuln/vercmp/vercmp.h"
#include "util/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX (4 * VERCMP_MAX_LEN + 64)

static int cmp(int eco, const char *a, const char *b, int *r)
{
        return vercmp((enum vercmp_eco)eco, a, b, r);
}

static void check_order(int eco, const char *a, const char *b, const char *c)
{
        int ab, ba, aa, bc, ac;
        int va = cmp(eco, a, a, &aa) == 0;
        int vb = cmp(eco, b, b, &ab) == 0;
        if (va && aa != 0)
                abort();                        /* reflexivity */
        int rab = cmp(eco, a, b, &ab), rba = cmp(eco, b, a, &ba);
        if ((rab == 0) != (va && vb) || (rba == 0) != (va && vb))
                abort();                        /* validity is per string */
        if (rab == 0 && ab != -ba)
                abort();                        /* antisymmetry */
        if (rab == 0 && (ab < -1 || ab > 1))
                abort();
        /*
         * Maven's ComparableVersion is not transitive ("0" < "n" < "0a6" yet
         * "0" > "0a6" in maven-artifact 3.8.7), and douane mirrors it, so
         * only the other ecosystems must be total orders.
         */
        if (eco == VERCMP_MAVEN)
                return;
        if (!c || cmp(eco, b, c, &bc) != 0 || cmp(eco, a, c, &ac) != 0 || rab != 0)
                return;
        if (ab <= 0 && bc <= 0 && ac > 0)
                abort();                        /* transitivity */
        if (ab == 0 && bc == 0 && ac != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        char buf[FUZZ_MAX + 1];

        if (n < 1 || n - 1 > FUZZ_MAX)
                return 0;
        int eco = d[0] % (VERCMP_ECO_COUNT + 1);
        memcpy(buf, d + 1, n - 1);
        buf[n - 1] = '\0';
        char *a = buf, *b = strchr(a, '\t'), *c = NULL;
        if (!b)
                return 0;
        *b++ = '\0';
        if ((c = strchr(b, '\t')))
                *c++ = '\0';
        if (eco == VERCMP_ECO_COUNT) {
                int r = -1;
                if (semver_range_satisfies(a, b, &r) == 0 && r != 0 && r != 1)
                        abort();
                return 0;
        }
        check_order(eco, a, b, c);
        return 0;
}
