/*
 * range.c - npm range satisfaction: hand-written cases for each range
 * form, then every line of tests/data/vercmp/semver_range.tsv
 * ("range<TAB>version<TAB>1|0|invalid", generated with node-semver).
 */
#include "tap.h"
#include "vuln/vercmp/vercmp.h"
#include "util/err.h"

#include <errno.h>

static int sat(const char *range, const char *v)
{
        int r = 99;
        if (semver_range_satisfies(range, v, &r) < 0)
                return -1;
        return r;
}

TEST(range_forms)
{
        CHECK_INT(sat("^1.2.3", "1.9.0"), 1);
        CHECK_INT(sat("^1.2.3", "2.0.0"), 0);
        CHECK_INT(sat("^1.2.3", "2.0.0-0"), 0);
        CHECK_INT(sat("^0.2.3", "0.3.0"), 0);
        CHECK_INT(sat("^0.0.3", "0.0.4"), 0);
        CHECK_INT(sat("~1.2.3", "1.2.9"), 1);
        CHECK_INT(sat("~1.2.3", "1.3.0"), 0);
        CHECK_INT(sat("~>1.2", "1.2.7"), 1);
        CHECK_INT(sat("1.x", "1.99.0"), 1);
        CHECK_INT(sat("1.2.*", "1.3.0"), 0);
        CHECK_INT(sat("*", "0.0.1"), 1);
        CHECK_INT(sat("", "3.0.0"), 1);
        CHECK_INT(sat("1.2.3 - 2.3.4", "2.3.4"), 1);
        CHECK_INT(sat("1.2 - 2.3", "2.3.9"), 1);
        CHECK_INT(sat("1.2 - 2.3", "2.4.0"), 0);
        CHECK_INT(sat(">=1.0.0 <2.0.0", "1.5.0"), 1);
        CHECK_INT(sat(">= 1.0.0 < 2.0.0", "2.0.0"), 0);
        CHECK_INT(sat("<1.0.0 || >=2.0.0", "1.0.0"), 0);
        CHECK_INT(sat("<1.0.0 || >=2.0.0", "2.1.0"), 1);
        CHECK_INT(sat("=1.2.3", "1.2.3"), 1);
        CHECK_INT(sat("1.2.3", "v1.2.3"), 1);
        /* pre-releases only match a comparator on the same MAJOR.MINOR.PATCH */
        CHECK_INT(sat(">1.2.3-alpha.3", "1.2.3-alpha.7"), 1);
        CHECK_INT(sat(">1.2.3-alpha.3", "3.4.5-alpha.9"), 0);
        CHECK_INT(sat("^1.2.3-beta.2", "1.2.3-beta.4"), 1);
        CHECK_INT(sat("*", "1.0.0-rc.1"), 0);
        CHECK_INT(sat("* || 1.0.0-rc.1", "1.0.0-rc.1"), 0);     /* a lone * swallows the others */
        CHECK_INT(sat(">*", "1.0.0"), 0);
        /* invalid ranges and versions */
        CHECK_INT(sat(">=1.2.3 <", "1.2.4"), -1);
        CHECK_INT(sat("blah", "1.2.4"), -1);
        CHECK_INT(sat("^1.2.3", "1.2"), -1);
        CHECK_INT(sat(">=99999999999999999999.0.0", "1.0.0"), -1);
        CHECK_INT(sat("^1.2.3", NULL), -1);
        CHECK_INT(sat(NULL, "1.0.0"), -1);
}

TEST(range_hostile)
{
        char big[5000];
        memset(big, ' ', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        memcpy(big + 100, "1.x", 3);
        CHECK_INT(sat(big, "1.0.0"), -1);          /* over the range length cap */
        char many[1024];
        size_t off = 0;
        for (int i = 0; i < 100; i++, off += 9)
                memcpy(many + off, "1.0.0 || ", 9);
        memcpy(many + off, "2.0.0", 6);
        CHECK_INT(sat(many, "2.0.0"), 1);
        /* 300 carets desugar to 600 comparators in one set: over the cap, refused */
        char carets[1024];
        for (int i = 0; i < 300; i++)
                memcpy(carets + 3 * i, "^1 ", 3);
        carets[900] = '\0';
        CHECK_INT(sat(carets, "1.0.0"), -1);
        carets[3 * 200] = '\0';                    /* 400 comparators: fine */
        CHECK_INT(sat(carets, "1.5.0"), 1);
        CHECK_INT(sat("^1.0.0\n", "1.0.0"), 1);    /* ASCII whitespace is blank, as in node */
        CHECK_INT(sat("^1.0.0\x01", "1.0.0"), -1);
        CHECK_INT(sat("^1.\xc3\xa9", "1.0.0"), -1);
}

TEST(range_vectors)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/vercmp/semver_range.tsv", DOUANE_TEST_DATA);
        FILE *f = fopen(path, "r");
        if (!f) {
                printf("# cannot open %s: %s\n", path, strerror(errno));
                CHECK(f != NULL);
                return;
        }
        char line[2048];
        long n = 0, bad = 0;
        while (fgets(line, sizeof(line), f)) {
                size_t len = strlen(line);
                if (len && line[len - 1] == '\n')
                        line[--len] = '\0';
                char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
                if (!t2) {
                        bad++;
                        continue;
                }
                *t1 = *t2 = '\0';
                int got = sat(line, t1 + 1);
                const char *want = t2 + 1;
                int w = !strcmp(want, "invalid") ? -1 : atoi(want);
                n++;
                if (got != w && bad++ < 15)
                        printf("# range '%s' version '%s': got %d, node-semver %s\n", line, t1 + 1, got, want);
        }
        fclose(f);
        printf("# %ld range vectors, %ld mismatches\n", n, bad);
        CHECK(n >= 2000);
        CHECK_INT(bad, 0);
}

TAP_MAIN()
