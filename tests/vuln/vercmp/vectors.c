/*
 * vectors.c - every comparator against the vectors generated from its
 * reference implementation (tests/data/vercmp/<eco>.tsv, made by the
 * scripts in tests/vuln/vercmp/gen/). Lines are "a<TAB>b<TAB>want" with
 * want -1, 0, 1 or "invalid" (at least one side is not a valid version).
 * Every line is checked; the first mismatches are printed with the pair.
 * VERCMP_VECTORS_DIR=DIR checks DIR/<eco>.tsv instead (e.g. a larger set
 * made with OUT=DIR N=30000 tests/vuln/vercmp/gen/gen.sh).
 */
#include "tap.h"
#include "vuln/vercmp/vercmp.h"
#include "util/err.h"

#include <errno.h>

#define MAX_LINE 2048
#define MAX_SHOWN 15

/* Check one vector file; returns number of lines checked, -1 if unreadable. */
static long check_file(enum vercmp_eco eco, const char *path, long *ret_bad)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                printf("# cannot open %s: %s\n", path, strerror(errno));
                return -1;
        }
        char line[MAX_LINE];
        long n = 0, bad = 0, lineno = 0;
        while (fgets(line, sizeof(line), f)) {
                lineno++;
                size_t len = strlen(line);
                if (len && line[len - 1] == '\n')
                        line[--len] = '\0';
                if (!len || line[0] == '#')
                        continue;
                char *t1 = strchr(line, '\t');
                char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
                if (!t2) {
                        printf("# %s:%ld: malformed line\n", path, lineno);
                        bad++;
                        continue;
                }
                *t1 = *t2 = '\0';
                const char *a = line, *b = t1 + 1, *want = t2 + 1;
                int r = 99;
                int rc = vercmp(eco, a, b, &r);
                char got[16];
                if (rc < 0)
                        snprintf(got, sizeof(got), "invalid");
                else
                        snprintf(got, sizeof(got), "%d", r);
                n++;
                if (strcmp(got, want) != 0) {
                        if (bad++ < MAX_SHOWN)
                                printf("# %s:%ld: %s '%s' '%s': got %s, reference %s\n", path, lineno,
                                       vercmp_eco_name(eco), a, b, got, want);
                }
        }
        fclose(f);
        *ret_bad = bad;
        return n;
}

static void run_eco(enum vercmp_eco eco, long min_lines)
{
        char path[512];
        long bad = 0;
        const char *dir = getenv("VERCMP_VECTORS_DIR");   /* to check a freshly generated set */
        if (dir)
                snprintf(path, sizeof(path), "%s/%s.tsv", dir, vercmp_eco_name(eco));
        else
                snprintf(path, sizeof(path), "%s/vercmp/%s.tsv", DOUANE_TEST_DATA, vercmp_eco_name(eco));
        long n = check_file(eco, path, &bad);
        CHECK(n >= min_lines);
        CHECK_INT(bad, 0);
        printf("# %s: %ld vectors, %ld mismatches\n", vercmp_eco_name(eco), n, bad);
}

TEST(dpkg_vectors) { run_eco(VERCMP_DPKG, 2000); }
TEST(rpm_vectors) { run_eco(VERCMP_RPM, 2000); }
TEST(apk_vectors) { run_eco(VERCMP_APK, 2000); }
TEST(semver_vectors) { run_eco(VERCMP_SEMVER, 2000); }
TEST(pep440_vectors) { run_eco(VERCMP_PEP440, 2000); }
TEST(maven_vectors) { run_eco(VERCMP_MAVEN, 2000); }
TEST(go_vectors) { run_eco(VERCMP_GO, 2000); }
TEST(gem_vectors) { run_eco(VERCMP_GEM, 2000); }

TAP_MAIN()
