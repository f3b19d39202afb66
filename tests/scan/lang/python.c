/* Tests for the Python metadata parser on Debian's real files and broken ones. */
#include "tap.h"
#include "lang_test.h"

#define DP "usr/lib/python3/dist-packages/"

static int parse_file(const char *rel, const char *ipath, struct pkg_list *l)
{
        size_t n;
        unsigned char *d = load_data(rel, &n);
        if (!d)
                return -2000;
        int r = run_lang(ipath, REG_FILE, d, n, 13, l);
        free(d);
        return r;
}

TEST(dist_info_pyyaml)
{
        struct pkg_list l = { 0 };
        CHECK_INT(parse_file("python/PyYAML-6.0.METADATA", DP "PyYAML-6.0.dist-info/METADATA", &l), 0);
        CHECK_INT(l.len, 1);
        if (l.len == 1) {
                CHECK_INT(l.items[0].type, PKG_PYPI);
                CHECK_STR(l.items[0].name, "PyYAML");
                CHECK_STR(l.items[0].version, "6.0");
                CHECK_STR(l.items[0].license, "MIT");
                CHECK_STR(l.items[0].path, DP "PyYAML-6.0.dist-info/METADATA");
                CHECK_STR(l.items[0].layer, "sha256:feed");
        }
        pkg_list_clear(&l);
}

TEST(egg_info_requests_license_name_mapped)
{
        struct pkg_list l = { 0 };
        CHECK_INT(parse_file("python/requests-2.28.1.PKG-INFO", DP "requests-2.28.1.egg-info/PKG-INFO", &l), 0);
        CHECK_INT(l.len, 1);
        if (l.len == 1) {
                CHECK_STR(l.items[0].name, "requests");
                CHECK_STR(l.items[0].version, "2.28.1");
                CHECK_STR(l.items[0].license, "Apache-2.0");
        }
        pkg_list_clear(&l);
}

TEST(egg_info_plain_file_unknown_license)
{
        struct pkg_list l = { 0 };
        CHECK_INT(parse_file("python/rpm-4.18.0.egg-info", DP "rpm-4.18.0.egg-info", &l), 0);
        CHECK_INT(l.len, 1);
        if (l.len == 1) {
                CHECK_STR(l.items[0].name, "rpm");
                CHECK_STR(l.items[0].version, "4.18.0");
                CHECK(l.items[0].license == NULL);  /* "GNU General Public License v2": not -only/-or-later */
        }
        pkg_list_clear(&l);
}

TEST(license_expression_and_classifiers)
{
        struct pkg_list l = { 0 };
        const char *a = "Metadata-Version: 2.4\r\nName: x\r\nVersion: 1\r\n"
                        "License-Expression: MIT OR Apache-2.0\r\nLicense: whatever\r\n\r\nbody\n";
        CHECK_INT(run_lang(DP "x.dist-info/METADATA", REG_FILE, a, strlen(a), 0, &l), 0);
        const char *b = "Name: y\nVersion: 2\nLicense: Copyright (c) lots\n  of text\n"
                        "Classifier: License :: OSI Approved :: MIT License\n"
                        "Classifier: License :: OSI Approved :: Apache Software License\n"
                        "Classifier: License :: OSI Approved :: MIT License\n";
        CHECK_INT(run_lang(DP "y.dist-info/METADATA", REG_FILE, b, strlen(b), 1, &l), 0);
        CHECK_INT(l.len, 2);
        if (l.len == 2) {
                CHECK_STR(l.items[0].license, "MIT OR Apache-2.0");
                CHECK_STR(l.items[1].license, "MIT OR Apache-2.0");
                CHECK_STR(l.items[1].name, "y");
        }
        pkg_list_clear(&l);
}

TEST(header_ends_at_blank_line)
{
        struct pkg_list l = { 0 };
        const char *a = "Name: x\n\nVersion: 1\n";
        CHECK_INT(run_lang(DP "x.dist-info/METADATA", REG_FILE, a, strlen(a), 0, &l), DOU_EINVAL);
        CHECK_INT(l.len, 0);
        pkg_list_clear(&l);
}

TEST(malformed)
{
        struct pkg_list l = { 0 };
        const char *cases[] = {
                "", "\n\n", "Name x\nVersion 1\n", "Name:\nVersion: 1\n", "Name: a\001b\nVersion: 1\n",
                "Version: 1\n", ": \n:\n::::\n",
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                CHECK_INT(run_lang(DP "x.dist-info/METADATA", REG_FILE, cases[i], strlen(cases[i]), 0, &l),
                          DOU_EINVAL);
        CHECK_INT(l.len, 0);
        /* An over-long name is refused, not truncated. */
        size_t n = 10000;
        char *big = malloc(n + 32);
        if (!big)
                return;
        memcpy(big, "Name: ", 6);
        memset(big + 6, 'a', n);
        memcpy(big + 6 + n, "\nVersion: 1\n", 13);
        CHECK_INT(run_lang(DP "x.dist-info/METADATA", REG_FILE, big, strlen(big), 0, &l), DOU_EINVAL);
        CHECK_INT(l.len, 0);
        free(big);
        CHECK(strstr(dou_err_msg(), "x.dist-info/METADATA") != NULL);
        pkg_list_clear(&l);
}

static ssize_t fail_read(void *ctx, void *buf, size_t n)
{
        (void)ctx, (void)buf, (void)n;
        return DOU_EIO;
}

TEST(reader_error_propagates)
{
        struct pkg_list l = { 0 };
        struct scan_file f = { DP "x.dist-info/METADATA", 1, REG_FILE, "l", fail_read, NULL };
        CHECK_INT(lang_parse(LANG_PY_META, &f, &l), DOU_EIO);
        f.read = NULL;
        CHECK_INT(lang_parse(LANG_PY_META, &f, &l), DOU_EINVAL);
        CHECK_INT(l.len, 0);
        pkg_list_clear(&l);
}

TAP_MAIN()
