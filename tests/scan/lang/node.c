/* Tests for node_modules package.json and package-lock.json parsing (npm-made fixtures). */
#include "tap.h"
#include "lang_test.h"

static int parse_file(const char *rel, const char *ipath, struct pkg_list *l)
{
        size_t n;
        unsigned char *d = load_data(rel, &n);
        if (!d)
                return -2000;
        int r = run_lang(ipath, REG_FILE, d, n, 100, l);
        free(d);
        return r;
}

TEST(module_manifests)
{
        struct pkg_list l = { 0 };
        CHECK_INT(parse_file("node/node_modules/ms/package.json", "app/node_modules/ms/package.json", &l), 0);
        CHECK_INT(parse_file("node/node_modules/debug/node_modules/ms/package.json",
                             "app/node_modules/debug/node_modules/ms/package.json", &l), 0);
        CHECK_INT(parse_file("node/node_modules/@sindresorhus/is/package.json",
                             "app/node_modules/@sindresorhus/is/package.json", &l), 0);
        CHECK_INT(l.len, 3);
        if (l.len == 3) {
                CHECK_STR(l.items[0].name, "ms");
                CHECK_STR(l.items[0].version, "2.1.3");
                CHECK_STR(l.items[0].license, "MIT");
                CHECK(l.items[0].namespace_ == NULL);
                CHECK_STR(l.items[1].version, "2.1.2");
                CHECK_STR(l.items[1].path, "app/node_modules/debug/node_modules/ms/package.json");
                CHECK_STR(l.items[2].namespace_, "@sindresorhus");
                CHECK_STR(l.items[2].name, "is");
                CHECK_STR(l.items[2].version, "4.6.0");
                CHECK_INT(l.items[2].type, PKG_NPM);
        }
        pkg_list_clear(&l);
}

TEST(lock_v3_packages_map)
{
        struct pkg_list l = { 0 };
        CHECK_INT(parse_file("node/package-lock-v3.json", "app/package-lock.json", &l), 0);
        CHECK_INT(l.len, 5);    /* the root project ("") is not a dependency */
        const struct scan_pkg *p = find_pkg(&l, "ms", "2.1.2");
        CHECK(p != NULL);
        CHECK(find_pkg(&l, "ms", "2.1.3") != NULL);
        CHECK(find_pkg(&l, "debug", "4.3.4") != NULL);
        CHECK(find_pkg(&l, "isarray", "1.0.0") != NULL);
        p = find_pkg(&l, "is", "4.6.0");
        CHECK(p && p->namespace_ && strcmp(p->namespace_, "@sindresorhus") == 0);
        CHECK(find_pkg(&l, "npmfx", NULL) == NULL);
        pkg_list_clear(&l);
}

TEST(lock_v1_tree)
{
        struct pkg_list l = { 0 };
        CHECK_INT(parse_file("node/package-lock-v1.json", "app/package-lock.json", &l), 0);
        CHECK_INT(l.len, 4);
        CHECK(find_pkg(&l, "debug", "4.4.3") != NULL);
        CHECK(find_pkg(&l, "ms", "2.1.3") != NULL);
        pkg_list_clear(&l);
        const char *nested = "{\"lockfileVersion\":1,\"dependencies\":{\"a\":{\"version\":\"1.0.0\","
                             "\"dependencies\":{\"@x/b\":{\"version\":\"2.0.0\",\"license\":{\"type\":\"ISC\"}}}},"
                             "\"bad\":\"x\",\"nover\":{}}}";
        CHECK_INT(run_lang("package-lock.json", REG_FILE, nested, strlen(nested), 3, &l), 0);
        CHECK_INT(l.len, 2);
        const struct scan_pkg *p = find_pkg(&l, "b", "2.0.0");
        CHECK(p && p->namespace_ && strcmp(p->namespace_, "@x") == 0);
        pkg_list_clear(&l);
}

TEST(lock_links_and_workspaces_skipped)
{
        struct pkg_list l = { 0 };
        const char *j = "{\"lockfileVersion\":3,\"packages\":{\"\":{\"version\":\"1\"},"
                        "\"packages/ws\":{\"version\":\"1\"},"
                        "\"node_modules/ws\":{\"resolved\":\"packages/ws\",\"link\":true},"
                        "\"node_modules/z\":{\"version\":\"3.0.0\",\"licenses\":[{\"type\":\"MIT\"},\"Apache-2.0\"]}}}";
        CHECK_INT(run_lang("package-lock.json", REG_FILE, j, strlen(j), 0, &l), 0);
        CHECK_INT(l.len, 1);
        if (l.len == 1) {
                CHECK_STR(l.items[0].name, "z");
                CHECK_STR(l.items[0].license, "MIT OR Apache-2.0");
        }
        pkg_list_clear(&l);
}

TEST(malformed)
{
        struct pkg_list l = { 0 };
        const char *pj[] = { "", "[]", "{", "{\"name\":\"x\"}", "{\"name\":1,\"version\":\"1\"}",
                             "{\"name\":\"@\",\"version\":\"1\"}", "{\"name\":\"@s/\",\"version\":\"1\"}",
                             "{\"name\":\"x\",\"version\":\"\"}", "{\"name\":\"a\\nb\",\"version\":\"1\"}" };
        for (size_t i = 0; i < sizeof(pj) / sizeof(pj[0]); i++)
                CHECK_INT(run_lang("node_modules/x/package.json", REG_FILE, pj[i], strlen(pj[i]), 0, &l),
                          DOU_EINVAL);
        CHECK_INT(run_lang("package-lock.json", REG_FILE, "{}", 2, 0, &l), DOU_EINVAL);
        CHECK_INT(run_lang("package-lock.json", REG_FILE, "\"x\"", 3, 0, &l), DOU_EINVAL);
        CHECK_INT(l.len, 0);
        /* deep v1 nesting: bounded, and what came before is kept */
        char *deep = malloc(100000);
        if (!deep)
                return;
        size_t off = 0;
        off += (size_t)sprintf(deep + off, "{\"dependencies\":");
        for (int i = 0; i < 100; i++)
                off += (size_t)sprintf(deep + off, "{\"a\":{\"version\":\"1\",\"dependencies\":");
        off += (size_t)sprintf(deep + off, "{}");
        for (int i = 0; i < 100; i++)
                off += (size_t)sprintf(deep + off, "}}");
        off += (size_t)sprintf(deep + off, "}");
        CHECK_INT(run_lang("package-lock.json", REG_FILE, deep, off, 0, &l), DOU_ETOOBIG);
        CHECK(l.len > 10);
        free(deep);
        pkg_list_clear(&l);
}

TEST(size_bound)
{
        struct pkg_list l = { 0 };
        size_t n = LANG_MAX_TEXT + 10;
        char *big = malloc(n);
        if (!big)
                return;
        memset(big, ' ', n);
        big[0] = '{';
        big[n - 1] = '}';
        CHECK_INT(run_lang("node_modules/x/package.json", REG_FILE, big, n, 0, &l), DOU_ETOOBIG);
        free(big);
        pkg_list_clear(&l);
}

TAP_MAIN()
