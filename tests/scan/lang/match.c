/* Tests for lang_match(): which layer entries reach which parser. */
#include "tap.h"
#include "lang_test.h"

TEST(python_paths)
{
        CHECK_INT(lang_match("usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA", 100, REG_FILE), LANG_PY_META);
        CHECK_INT(lang_match("usr/lib/python3.11/site-packages/x-1.egg-info/PKG-INFO", 100, REG_FILE), LANG_PY_META);
        CHECK_INT(lang_match("usr/lib/python3/dist-packages/rpm-4.18.0.egg-info", 100, REG_FILE), LANG_PY_META);
        CHECK_INT(lang_match("opt/app/x.dist-info/METADATA", 100, REG_FILE), LANG_NONE);
        CHECK_INT(lang_match("usr/lib/python3/dist-packages/x.dist-info/RECORD", 100, REG_FILE), LANG_NONE);
        CHECK_INT(lang_match("usr/lib/python3/dist-packages/x.egg-info", 0, S_IFDIR | 0755), LANG_NONE);
}

TEST(node_paths)
{
        CHECK_INT(lang_match("app/node_modules/ms/package.json", 10, REG_FILE), LANG_NPM_PACKAGE);
        CHECK_INT(lang_match("node_modules/ms/package.json", 10, REG_FILE), LANG_NPM_PACKAGE);
        CHECK_INT(lang_match("app/node_modules/@s/is/package.json", 10, REG_FILE), LANG_NPM_PACKAGE);
        CHECK_INT(lang_match("app/node_modules/a/node_modules/b/package.json", 10, REG_FILE), LANG_NPM_PACKAGE);
        CHECK_INT(lang_match("app/package.json", 10, REG_FILE), LANG_NONE);
        CHECK_INT(lang_match("package.json", 10, REG_FILE), LANG_NONE);
        CHECK_INT(lang_match("app/node_modules/ms/lib/package.json", 10, REG_FILE), LANG_NONE);
        CHECK_INT(lang_match("app/node_modules/@s/package.json", 10, REG_FILE), LANG_NONE);
        CHECK_INT(lang_match("app/node_modules/.bin/package.json", 10, REG_FILE), LANG_NONE);
        CHECK_INT(lang_match("app/package-lock.json", 10, REG_FILE), LANG_NPM_LOCK);
        CHECK_INT(lang_match("package-lock.json", 10, REG_FILE), LANG_NPM_LOCK);
        CHECK_INT(lang_match("app/node_modules/x/package-lock.json", 10, REG_FILE), LANG_NONE);
}

TEST(other_paths)
{
        CHECK_INT(lang_match("usr/share/java/commons-lang3.jar", 10, REG_FILE), LANG_JAVA_ARCHIVE);
        CHECK_INT(lang_match("srv/app.WAR", 10, REG_FILE), LANG_JAVA_ARCHIVE);
        CHECK_INT(lang_match("srv/app.ear", 10, REG_FILE), LANG_JAVA_ARCHIVE);
        CHECK_INT(lang_match("var/lib/rpm/rpmdb.sqlite", 10, REG_FILE), LANG_RPM_SQLITE);
        CHECK_INT(lang_match("usr/lib/sysimage/rpm/rpmdb.sqlite", 10, REG_FILE), LANG_RPM_SQLITE);
        CHECK_INT(lang_match("var/lib/rpm/Packages", 10, REG_FILE), LANG_RPM_BDB);
        CHECK_INT(lang_match("usr/lib/sysimage/rpm/Packages.db", 10, REG_FILE), LANG_RPM_NDB);
        CHECK_INT(lang_match("home/x/var/lib/rpm/Packages", 10, REG_FILE), LANG_NONE);
        CHECK_INT(lang_match("usr/bin/app", 1 << 20, EXE_FILE), LANG_GO_BINARY);
        CHECK_INT(lang_match("usr/bin/app", 1 << 20, 0755), LANG_GO_BINARY);
        CHECK_INT(lang_match("usr/bin/tiny", 100, EXE_FILE), LANG_NONE);
        CHECK_INT(lang_match("usr/bin/data", 1 << 20, REG_FILE), LANG_NONE);
        CHECK_INT(lang_match("usr/bin/link", 1 << 20, S_IFLNK | 0777), LANG_NONE);
        CHECK_INT(lang_match(NULL, 1, REG_FILE), LANG_NONE);
}

TEST(parse_rejects_bad_arguments)
{
        struct pkg_list l = { 0 };
        CHECK(lang_parse(LANG_PY_META, NULL, &l) < 0);
        struct mem_reader m = { (const unsigned char *)"", 0, 0, 0 };
        struct scan_file f = { "x", 0, REG_FILE, "l", mem_read, &m };
        CHECK_INT(lang_parse(999, &f, &l), DOU_EINVAL);
        CHECK_INT(l.len, 0);
}

TEST(spdx_expression_shape)
{
        CHECK(lang__spdx_plausible("MIT"));
        CHECK(lang__spdx_plausible("MIT OR Apache-2.0"));
        CHECK(lang__spdx_plausible("(MIT OR Apache-2.0) AND GPL-2.0-or-later WITH Classpath-exception-2.0"));
        CHECK(lang__spdx_plausible("LicenseRef-foo"));
        CHECK(!lang__spdx_plausible("SEE LICENSE IN LICENSE.md"));
        CHECK(!lang__spdx_plausible("GPLv2+ and MIT"));
        CHECK(!lang__spdx_plausible("UNLICENSED"));
        CHECK(!lang__spdx_plausible("MIT OR"));
        CHECK(!lang__spdx_plausible("(MIT"));
        CHECK(!lang__spdx_plausible("MIT)"));
        CHECK(!lang__spdx_plausible("MIT/X11"));
        CHECK(!lang__spdx_plausible(""));
        CHECK(!lang__spdx_plausible(NULL));
        CHECK_STR(lang__license_to_spdx(" Apache 2.0 ", 12), "Apache-2.0");
        CHECK(lang__license_to_spdx("BSD", 3) == NULL);
}

TAP_MAIN()
