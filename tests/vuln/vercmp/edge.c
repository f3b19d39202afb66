/*
 * edge.c - hand-written cases per ecosystem: the documented rules, the
 * traps each ecosystem is known for, and hostile strings. Every case is
 * checked both ways (a?b and b?a) so antisymmetry is tested too.
 */
#include "tap.h"
#include "vuln/vercmp/vercmp.h"
#include "util/err.h"

static int cmp_ok(enum vercmp_eco e, const char *a, const char *b, int want)
{
        int r = 99, r2 = 99;
        if (vercmp(e, a, b, &r) < 0 || vercmp(e, b, a, &r2) < 0) {
                printf("# %s: %s vs %s: error %s\n", vercmp_eco_name(e), a, b, dou_err_msg());
                return 0;
        }
        if (r != want || r2 != -want) {
                printf("# %s: %s vs %s = %d / %d, want %d\n", vercmp_eco_name(e), a, b, r, r2, want);
                return 0;
        }
        return 1;
}

static int invalid(enum vercmp_eco e, const char *a)
{
        int r = 99;
        if (vercmp(e, a, a, &r) == 0 || r != 99) {
                printf("# %s: '%s' accepted\n", vercmp_eco_name(e), a);
                return 0;
        }
        return 1;
}

#define LT(e, a, b) CHECK(cmp_ok(e, a, b, -1))
#define EQ(e, a, b) CHECK(cmp_ok(e, a, b, 0))
#define BAD(e, a) CHECK(invalid(e, a))

TEST(eco_names)
{
        for (int i = 0; i < VERCMP_ECO_COUNT; i++)
                CHECK_INT(vercmp_eco_parse(vercmp_eco_name(i)), i);
        CHECK_INT(vercmp_eco_parse("npm"), -1);
        CHECK_INT(vercmp_eco_parse(NULL), -1);
        CHECK_STR(vercmp_eco_name(VERCMP_ECO_COUNT), "unknown");
        int r = 5;
        CHECK(vercmp(VERCMP_ECO_COUNT, "1", "1", &r) == DOU_EINVAL && r == 5);
}

TEST(dpkg)
{
        enum vercmp_eco e = VERCMP_DPKG;
        LT(e, "1.0~rc1", "1.0");
        LT(e, "1.0~~", "1.0~");
        LT(e, "1.0", "1.0+b1");
        LT(e, "1.0", "1.0a");
        LT(e, "1.0a", "1.0+");          /* letters before non-letters */
        LT(e, "1.0-1", "1.0-1+deb12u1");
        LT(e, "2.36-9+deb12u3", "2.36-9+deb12u14");
        LT(e, "9:1.0", "10:0.1");
        LT(e, "1.0-9", "1:0.1");
        EQ(e, "0:1.0", "1.0");
        EQ(e, "1.0", "1.0-0");
        EQ(e, "1.00", "1.0");
        EQ(e, "01:1", "1:1");
        EQ(e, "+2:1.0", "2:1.0");       /* dpkg reads epochs with strtol() */
        EQ(e, "-0:1.0", "1.0");
        LT(e, "1.2.3", "1.2.3.0");
        LT(e, "1:2:3", "1:2:4");        /* ':' allowed in upstream after an epoch */
        LT(e, "1.0-a-1", "1.0-a-2");    /* revision starts at the last '-' */
        LT(e, "18446744073709551616", "18446744073709551617");
        LT(e, "1.99999999999999999999999999999", "1.100000000000000000000000000000");
        BAD(e, ":1.0");
        BAD(e, "1:");
        BAD(e, "1.0-");
        BAD(e, "a:1.0");
        BAD(e, "-1:1.0");
        BAD(e, "+:1.0");
        BAD(e, "2147483648:1.0");
        BAD(e, "1.0_1");
        BAD(e, "1.0-1:2");
        BAD(e, "1.0 1");
}

TEST(rpm)
{
        enum vercmp_eco e = VERCMP_RPM;
        LT(e, "1.0~rc1", "1.0");
        LT(e, "1.0", "1.0^git1");
        LT(e, "1.0^git1", "1.0.1");
        LT(e, "1.0^", "1.0.1");
        LT(e, "1.0~rc1^git1", "1.0~rc1.1");
        LT(e, "1.0a", "1.0.1");         /* alpha segment below numeric */
        LT(e, "1.a", "1.1");
        EQ(e, "1.0", "1_0");
        LT(e, "1.0", "1.0-1");          /* a release beats no release */
        LT(e, "1.0", "1.0-~");
        LT(e, "1.0-1", "1.0-2");
        LT(e, "1.0-2.el8", "1:0.1-1");
        EQ(e, "0:1.0-1", "1.0-1");
        LT(e, "2.0", "10.0");
        LT(e, "a", "b");
        LT(e, "1.0.a", "1.0.1");
        LT(e, "99999999999999999999999.1", "99999999999999999999999.2");
        BAD(e, "1.0-");
        BAD(e, "5:");
}

TEST(apk)
{
        enum vercmp_eco e = VERCMP_APK;
        LT(e, "1.0_alpha1", "1.0_beta1");
        LT(e, "1.0_beta1", "1.0_pre1");
        LT(e, "1.0_pre1", "1.0_rc1");
        LT(e, "1.0_rc1", "1.0");
        LT(e, "1.0", "1.0_cvs1");
        LT(e, "1.0_cvs1", "1.0_svn1");
        LT(e, "1.0_git20200101", "1.0_hg1");
        LT(e, "1.0_hg1", "1.0_p1");
        LT(e, "1.0", "1.0-r1");
        LT(e, "1.0-r1", "1.0-r10");
        LT(e, "1.0", "1.0a");
        LT(e, "1.0a", "1.0b");
        LT(e, "1.0z", "1.0.1");
        LT(e, "1.0", "1.00");
        LT(e, "1.0~abc", "1.0~abd");
        LT(e, "1.0", "1.0~abc");
        LT(e, "1.0_p1", "1.0_p1-r1");
        LT(e, "1.0-r1", "1.0_p1");
        LT(e, "1.01", "1.1");
        LT(e, "1.001", "1.01");
        LT(e, "1", "1.0");
        LT(e, "1.2.3-r4", "1.2.3_p1");
        LT(e, "2.9.10-r0", "2.9.10_p20200101-r0");
        LT(e, "1.99999999999999999999", "1.100000000000000000000");
        EQ(e, "1.0-r0", "1.0-r0");
        BAD(e, "1.0_foo");
        BAD(e, "1.0-1");
        BAD(e, "1.0A");
        BAD(e, "1.0-r1a");
        BAD(e, "1..0");
        BAD(e, "1.0a1");
        BAD(e, "a");
        BAD(e, "1.0~");
        BAD(e, "1.0-r");
}

TEST(semver)
{
        enum vercmp_eco e = VERCMP_SEMVER;
        LT(e, "1.0.0-alpha", "1.0.0-alpha.1");
        LT(e, "1.0.0-alpha.1", "1.0.0-alpha.beta");
        LT(e, "1.0.0-alpha.beta", "1.0.0-beta");
        LT(e, "1.0.0-beta.2", "1.0.0-beta.11");
        LT(e, "1.0.0-beta.11", "1.0.0-rc.1");
        LT(e, "1.0.0-rc.1", "1.0.0");
        LT(e, "1.9.0", "1.10.0");
        EQ(e, "v1.2.3", "1.2.3");
        EQ(e, "1.2.3+build.1", "1.2.3+build.2");
        LT(e, "1.0.0-0", "1.0.0-a");
        LT(e, "1.0.0-A", "1.0.0-a");
        LT(e, "9007199254740990.0.0", "9007199254740991.0.0");
        LT(e, "1.0.0-99999999999999999998", "1.0.0-99999999999999999999");
        BAD(e, "9007199254740992.0.0");
        BAD(e, "1.2");
        BAD(e, "01.2.3");
        BAD(e, "1.2.3-01");
        BAD(e, "1.2.3-");
        BAD(e, "1.2.3-a..b");
        BAD(e, "1.2.3+");
        BAD(e, "=1.2.3");
        BAD(e, "V1.2.3");
}

TEST(go)
{
        enum vercmp_eco e = VERCMP_GO;
        EQ(e, "v1", "v1.0.0");
        EQ(e, "v1.2", "v1.2.0");
        EQ(e, "v2.0.0+incompatible", "v2.0.0");
        LT(e, "v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20200101000000-000000000000");
        LT(e, "v0.0.0-20191109021931-daa7c04131f5", "v0.0.1");
        LT(e, "v1.2.3", "v1.2.4-0.20191109021931-daa7c04131f5");
        LT(e, "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4");
        LT(e, "v1.2.3-pre", "v1.2.3-pre.0.20191109021931-daa7c04131f5");
        LT(e, "v99999999999999999999.0.0", "v100000000000000000000.0.0");
        BAD(e, "1.2.3");
        BAD(e, "v1.2-pre");
        BAD(e, "v1.02.3");
        BAD(e, "v1.2.3-pre+");
}

TEST(pep440)
{
        enum vercmp_eco e = VERCMP_PEP440;
        LT(e, "1.0.dev0", "1.0a0");
        LT(e, "1.0a1", "1.0a2.dev1");
        LT(e, "1.0a2.dev1", "1.0a2");
        LT(e, "1.0a2", "1.0b1");
        LT(e, "1.0b1", "1.0rc1");
        LT(e, "1.0rc1", "1.0");
        LT(e, "1.0", "1.0+local");
        LT(e, "1.0+abc", "1.0+5");
        LT(e, "1.0+5", "1.0+5.a");
        LT(e, "1.0", "1.0.post0.dev0");
        LT(e, "1.0.post0.dev0", "1.0.post0");
        LT(e, "1.0.post0", "1.0.1");
        LT(e, "1.0.post1", "1!0.1");
        EQ(e, "1.0", "1.0.0");
        EQ(e, "1.0", "v1.0");
        EQ(e, "1.0alpha1", "1.0a1");
        EQ(e, "1.0-beta-1", "1.0b1");
        EQ(e, "1.0c1", "1.0rc1");
        EQ(e, "1.0preview1", "1.0rc1");
        EQ(e, "1.0-1", "1.0.post1");
        EQ(e, "1.0rev1", "1.0.post1");
        EQ(e, "1.0r", "1.0.post0");
        EQ(e, "1.0.DEV", "1.0.dev0");
        EQ(e, "1.0+ABC", "1.0+abc");
        EQ(e, "1.0a-1", "1.0a1");
        LT(e, "1.0.0.0.0.0.1", "1.0.0.0.0.0.2");
        LT(e, "1.99999999999999999999999", "1.100000000000000000000000");
        BAD(e, "1.0-");
        BAD(e, "1.0+");
        BAD(e, "1.0+a..b");
        BAD(e, "1.0-1-1");
        BAD(e, "foo");
        BAD(e, "1.0.x");
}

TEST(maven)
{
        enum vercmp_eco e = VERCMP_MAVEN;
        LT(e, "1-alpha", "1-beta");
        LT(e, "1-beta", "1-milestone");
        LT(e, "1-milestone", "1-rc");
        EQ(e, "1-rc", "1-cr");
        LT(e, "1-rc", "1-SNAPSHOT");
        LT(e, "1-SNAPSHOT", "1");
        EQ(e, "1", "1-ga");
        EQ(e, "1", "1.0.0");
        EQ(e, "1-final", "1.0-release");
        LT(e, "1", "1-sp");
        LT(e, "1-sp", "1-abc");
        LT(e, "1-abc", "1-abd");
        EQ(e, "1a1", "1-alpha-1");
        EQ(e, "1.0.0-M1", "1-milestone-1");
        LT(e, "1-1", "1.1");
        LT(e, "1.0-sp", "1.0.1");
        LT(e, "1.0.1", "1.1");
        LT(e, "1.2147483647", "1.2147483648");
        LT(e, "1.999999999999999999999", "1.1000000000000000000000");
        EQ(e, "1.0.", "1");
        /* Maven's own order is not transitive; douane mirrors it (checked with maven-artifact 3.8.7) */
        LT(e, "0", "n");
        LT(e, "n", "0A6");
        CHECK(cmp_ok(e, "0", "0A6", 1));
}

TEST(gem)
{
        enum vercmp_eco e = VERCMP_GEM;
        LT(e, "1.0.a", "1.0");
        LT(e, "1.0.a", "1.0.b");
        LT(e, "1.0.rc1", "1.0");
        EQ(e, "1.0", "1");
        EQ(e, "1.0.0", "1");
        EQ(e, "1.0-1", "1.0.pre.1");
        LT(e, "1.0-1", "1.0");
        LT(e, "1.9", "1.10");
        LT(e, "1.0.A", "1.0.a");
        LT(e, "1.a", "1.0");
        EQ(e, "1.0.a.0", "1.0.a");
        LT(e, "1.99999999999999999999", "1.100000000000000000000");
        BAD(e, "a");
        BAD(e, "1..0");
        BAD(e, "1.0_1");
        BAD(e, "1.0-");
}

TEST(hostile)
{
        char big[10001];
        memset(big, '1', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        char at_max[VERCMP_MAX_LEN + 1];
        memset(at_max, '9', VERCMP_MAX_LEN);
        at_max[VERCMP_MAX_LEN] = '\0';
        for (int i = 0; i < VERCMP_ECO_COUNT; i++) {
                int r = 7;
                CHECK(vercmp(i, big, "1", &r) == DOU_EINVAL && r == 7);
                CHECK(vercmp(i, "", "1", &r) == DOU_EINVAL);
                CHECK(vercmp(i, NULL, "1", &r) == DOU_EINVAL);
                CHECK(vercmp(i, "1\n", "1", &r) == DOU_EINVAL);
                CHECK(vercmp(i, "1\x7f", "1", &r) == DOU_EINVAL);
                CHECK(vercmp(i, "1.\xc3\xa9", "1", &r) == DOU_EINVAL);
                CHECK(vercmp(i, "1", "1\t", &r) == DOU_EINVAL && r == 7);
        }
        /* a 256-digit number is valid where bare numbers are, and exact */
        CHECK(cmp_ok(VERCMP_DPKG, "1", at_max, -1));
        CHECK(cmp_ok(VERCMP_RPM, at_max, at_max, 0));
        CHECK(cmp_ok(VERCMP_APK, "1", at_max, -1));
        CHECK(cmp_ok(VERCMP_PEP440, at_max, "1", 1));
        CHECK(cmp_ok(VERCMP_MAVEN, at_max, "1", 1));
        CHECK(cmp_ok(VERCMP_GEM, at_max, "1", 1));
        at_max[0] = 'v';
        CHECK(cmp_ok(VERCMP_GO, at_max, "v1", 1));
        BAD(VERCMP_SEMVER, "1.2.3-\xff");
        /* deep nesting for maven: 1-1-1-...-1 */
        char deep[VERCMP_MAX_LEN + 1];
        for (int i = 0; i < VERCMP_MAX_LEN; i++)
                deep[i] = (i % 2) ? '-' : '1';
        deep[VERCMP_MAX_LEN - 1] = '2';
        deep[VERCMP_MAX_LEN] = '\0';
        CHECK(cmp_ok(VERCMP_MAVEN, "1-1", deep, -1));
        /* many items: 1.1.1.... for every ecosystem that has dotted numbers */
        char dots[VERCMP_MAX_LEN + 1];
        for (int i = 0; i < VERCMP_MAX_LEN; i++)
                dots[i] = (i % 2) ? '.' : '1';
        dots[VERCMP_MAX_LEN - 1] = '1';
        dots[VERCMP_MAX_LEN] = '\0';
        CHECK(cmp_ok(VERCMP_PEP440, dots, "1.1", 1));
        CHECK(cmp_ok(VERCMP_DPKG, dots, "1.1", 1));
        CHECK(cmp_ok(VERCMP_APK, dots, "1.1", 1));
        CHECK(cmp_ok(VERCMP_GEM, dots, "1.1", 1));
        CHECK(cmp_ok(VERCMP_MAVEN, dots, "1.1", 1));
}

TAP_MAIN()
