/*
 * Unit tests for the OS parsers (src/scan/os_release.c, dpkg.c, apk.c,
 * copyright.c) and pkg.c, on this Debian machine's real files where they
 * exist (checked against dpkg-query as ground truth) and on small
 * hand-written and malformed inputs.
 */
#include "tap.h"
#include "scan/ospkg.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <stdlib.h>

#define S(x) x, sizeof(x) - 1

TEST(pkg_list_copies_strings)
{
        struct pkg_list l = { 0 };
        char name[] = "libfoo";
        struct scan_pkg p = { .type = PKG_DEB, .name = name, .version = "1.0", .path = "p" };

        CHECK_INT(pkg_list_add(&l, &p), 0);
        name[0] = 'X';
        CHECK_STR(l.items[0].name, "libfoo");
        CHECK(l.items[0].name != name);
        CHECK(l.items[0].arch == NULL);
        for (int i = 0; i < 100; i++)
                CHECK_INT(pkg_list_add(&l, &p), 0);
        CHECK_INT(l.len, 101);
        pkg_list_clear(&l);
        CHECK_INT(l.len, 0);
        CHECK(l.items == NULL);
}

TEST(pkg_type_names)
{
        CHECK_STR(pkg_type_name(PKG_DEB), "deb");
        CHECK_STR(pkg_type_name(PKG_GOLANG), "golang");
        CHECK_STR(pkg_type_name(PKG_CARGO), "cargo");
        CHECK_STR(pkg_type_name(PKG_TYPE_COUNT), "unknown");
}

TEST(os_release_quoting)
{
        struct os_release r = { 0 };
        const char in[] = "# comment\nNAME=\"Debian GNU/Linux\"\nID=Debian\n"
                          "VERSION_ID='12'\nPRETTY_NAME=\"Debian \\\"GNU\\\" \\$x\"\n"
                          "VERSION_CODENAME=book\\ worm # trailing comment\n";

        CHECK_INT(os_release_parse(S(in), &r), 0);
        CHECK_STR(r.id, "debian");
        CHECK_STR(r.version_id, "12");
        CHECK_STR(r.pretty_name, "Debian \"GNU\" $x");
        CHECK_STR(r.version_codename, "book worm");
        CHECK_STR(r.name, "Debian GNU/Linux");
        os_release_clear(&r);
}

TEST(os_release_real_file)
{
        char *buf;
        size_t n;
        struct os_release r = { 0 };

        if (fs_read_small("/etc/os-release", 65536, &buf, &n) < 0)
                SKIP("no /etc/os-release on this machine");
        CHECK_INT(os_release_parse(buf, n, &r), 0);
        CHECK(r.id && strlen(r.id) > 0);
        if (r.id && !strcmp(r.id, "debian")) {
                CHECK_STR(r.version_id, "12");
                CHECK_STR(r.version_codename, "bookworm");
                CHECK_STR(r.pretty_name, "Debian GNU/Linux 12 (bookworm)");
        }
        os_release_clear(&r);
        free(buf);
}

TEST(os_release_malformed)
{
        struct os_release r = { 0 };

        CHECK_INT(os_release_parse(S("garbage\n\x01\x02"), &r), DOU_EINVAL);
        CHECK(r.id == NULL);
        /* an unterminated quote loses that line only */
        CHECK_INT(os_release_parse(S("ID=alpine\nVERSION_ID=\"3.19\nPRETTY_NAME=x\n"), &r), DOU_EINVAL);
        CHECK_STR(r.id, "alpine");
        CHECK(r.version_id == NULL);
        CHECK_STR(r.pretty_name, "x");
        os_release_clear(&r);
        CHECK_INT(os_release_parse(S(""), &r), DOU_EINVAL);
        /* NAME without ID: ID defaults to linux */
        CHECK_INT(os_release_parse(S("NAME=Foo\n"), &r), 0);
        CHECK_STR(r.id, "linux");
        os_release_clear(&r);
}

TEST(os_fallbacks)
{
        struct os_release r = { 0 };

        CHECK_INT(os_fallback_parse(OS_FB_DEBIAN_VERSION, S("12.5\n"), &r), 0);
        CHECK_STR(r.id, "debian");
        CHECK_STR(r.version_id, "12");
        CHECK_INT(os_fallback_parse(OS_FB_DEBIAN_VERSION, S("trixie/sid\n"), &r), 0);
        CHECK_STR(r.version_codename, "trixie");
        CHECK(r.version_id == NULL);
        CHECK_INT(os_fallback_parse(OS_FB_ALPINE_RELEASE, S("3.19.1\n"), &r), 0);
        CHECK_STR(r.id, "alpine");
        CHECK_STR(r.version_id, "3.19.1");
        CHECK_INT(os_fallback_parse(OS_FB_REDHAT_RELEASE, S("CentOS Linux release 7.9.2009 (Core)\n"), &r), 0);
        CHECK_STR(r.id, "centos");
        CHECK_STR(r.version_id, "7.9.2009");
        CHECK_INT(os_fallback_parse(OS_FB_REDHAT_RELEASE, S("Fedora release 39 (Thirty Nine)"), &r), 0);
        CHECK_STR(r.id, "fedora");
        CHECK_STR(r.version_id, "39");
        CHECK_INT(os_fallback_parse(OS_FB_LSB_RELEASE,
                  S("DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\n"
                    "DISTRIB_DESCRIPTION=\"Ubuntu 22.04.3 LTS\"\n"), &r), 0);
        CHECK_STR(r.id, "ubuntu");
        CHECK_STR(r.version_codename, "jammy");
        CHECK_STR(r.pretty_name, "Ubuntu 22.04.3 LTS");
        os_release_clear(&r);
        CHECK_INT(os_fallback_parse(OS_FB_DEBIAN_VERSION, S("\x01\x02"), &r), DOU_EINVAL);
        CHECK_INT(os_fallback_parse(OS_FB_REDHAT_RELEASE, S("hello"), &r), DOU_EINVAL);
        CHECK_INT(os_fallback_parse(OS_FB_LSB_RELEASE, S("X=1"), &r), DOU_EINVAL);
        os_release_clear(&r);
}

static const char status_sample[] =
        "Package: libssl3\nStatus: install ok installed\nPriority: optional\n"
        "Architecture: amd64\nMulti-Arch: same\nSource: openssl (3.0.11-1~deb12u1)\n"
        "Version: 3.0.11-1~deb12u2\nDescription: Secure Sockets Layer toolkit\n"
        " This package is part of the OpenSSL project.\n .\n more\n\n"
        "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\nArchitecture: all\n\n"
        "Package: held\nStatus: hold ok installed\nVersion: 2:1.0\nArchitecture: all\nSource: heldsrc\n\n"
        "Package: bash\r\nStatus: install ok installed\r\nVersion: 5.2.15-2+b2\r\nArchitecture: amd64\r\n";

TEST(dpkg_status_fields)
{
        struct pkg_list l = { 0 };

        CHECK_INT(dpkg_status_parse(S(status_sample), "sha256:aa", "var/lib/dpkg/status", 0, &l), 0);
        CHECK_INT(l.len, 3);
        if (l.len == 3) {
                CHECK_STR(l.items[0].name, "libssl3");
                CHECK_STR(l.items[0].version, "3.0.11-1~deb12u2");
                CHECK_STR(l.items[0].arch, "amd64");
                CHECK_STR(l.items[0].source_name, "openssl");
                CHECK_STR(l.items[0].source_version, "3.0.11-1~deb12u1");
                CHECK_STR(l.items[0].layer, "sha256:aa");
                CHECK_STR(l.items[0].path, "var/lib/dpkg/status");
                CHECK_INT(l.items[0].type, PKG_DEB);
                CHECK_STR(l.items[1].name, "held");
                CHECK_STR(l.items[1].source_name, "heldsrc");
                CHECK(l.items[1].source_version == NULL);
                CHECK_STR(l.items[2].name, "bash");
                CHECK_STR(l.items[2].version, "5.2.15-2+b2");
                CHECK(l.items[2].source_name == NULL);
        }
        pkg_list_clear(&l);
}

TEST(dpkg_status_d_without_status)
{
        struct pkg_list l = { 0 };
        const char in[] = "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n";

        CHECK_INT(dpkg_status_parse(S(in), "sha256:aa", "var/lib/dpkg/status.d/base-files", 1, &l), 0);
        CHECK_INT(l.len, 1);
        /* in the main status file, no Status means not installed */
        CHECK_INT(dpkg_status_parse(S(in), "sha256:aa", "var/lib/dpkg/status", 0, &l), 0);
        CHECK_INT(l.len, 1);
        pkg_list_clear(&l);
}

TEST(dpkg_status_malformed_keeps_the_rest)
{
        struct pkg_list l = { 0 };
        const char in[] =
                "Package: ok1\nStatus: install ok installed\nVersion: 1\n\n"
                "garbage line without colon\nPackage: bad1\nStatus: install ok installed\nVersion: 1\n\n"
                "Package: bad2\nStatus: install ok installed\n\n"
                "Package: bad 3\nStatus: install ok installed\nVersion: 1\n\n"
                "Package: bad4\nStatus: install ok installed\nVersion: 1\nSource: x (unclosed\n\n"
                "Status: install ok installed\nVersion: 1\n\n"
                "Package: ok2\nStatus: install ok installed\nVersion: 2\n";

        CHECK_INT(dpkg_status_parse(S(in), "l", "p", 0, &l), DOU_EINVAL);
        CHECK(strstr(dou_err_msg(), "line 5") != NULL);
        CHECK_INT(l.len, 2);
        if (l.len == 2) {
                CHECK_STR(l.items[0].name, "ok1");
                CHECK_STR(l.items[1].name, "ok2");
        }
        pkg_list_clear(&l);
        CHECK_INT(dpkg_status_parse(S("\0\0\0\xff"), "l", "p", 0, &l), DOU_EINVAL);
        CHECK_INT(l.len, 0);
        CHECK_INT(dpkg_status_parse("", 0, "l", "p", 0, &l), 0);
        pkg_list_clear(&l);
}

/* Ground truth: dpkg-query on the same status file. */
TEST(dpkg_status_real_matches_dpkg_query)
{
        char *buf, line[1024];
        size_t n, want = 0, matched = 0;
        struct pkg_list l = { 0 };
        FILE *q;

        if (fs_read_small("/var/lib/dpkg/status", OSPKG_MAX_FILE, &buf, &n) < 0)
                SKIP("no /var/lib/dpkg/status on this machine");
        q = popen("dpkg-query --admindir=/var/lib/dpkg -W "
                  "-f='${db:Status-Status} ${Package} ${Version} ${Architecture} ${source:Package} ${source:Version}\\n' "
                  "2>/dev/null", "r");
        if (!q) {
                free(buf);
                SKIP("dpkg-query not available");
        }
        CHECK_INT(dpkg_status_parse(buf, n, "sha256:x", "var/lib/dpkg/status", 0, &l), 0);
        while (fgets(line, sizeof(line), q)) {
                char st[64], name[256], ver[256], arch[64], src[256], srcver[256];

                if (sscanf(line, "%63s %255s %255s %63s %255s %255s", st, name, ver, arch, src, srcver) != 6 ||
                    strcmp(st, "installed"))
                        continue;
                want++;
                for (size_t i = 0; i < l.len; i++) {
                        const struct scan_pkg *p = &l.items[i];

                        if (strcmp(p->name, name) || strcmp(p->arch, arch))
                                continue;
                        if (!strcmp(p->version, ver) &&
                            !strcmp(p->source_name ? p->source_name : p->name, src) &&
                            !strcmp(p->source_version ? p->source_version : p->version, srcver))
                                matched++;
                        break;
                }
        }
        pclose(q);
        if (!want) {
                pkg_list_clear(&l);
                free(buf);
                SKIP("dpkg-query printed nothing");
        }
        CHECK(want > 50);
        CHECK_INT(l.len, want);
        CHECK_INT(matched, want);
        pkg_list_clear(&l);
        free(buf);
}

static int count_owned(void *ctx, const char *owner, const char *path)
{
        size_t *n = ctx;

        if (!strcmp(owner, "py3-foo") && !strcmp(path, "usr/lib/python3.11/site-packages/foo-1.0.dist-info/METADATA"))
                n[1]++;
        n[0]++;
        return 0;
}

TEST(dpkg_list_paths)
{
        size_t n[2] = { 0, 0 };
        const char in[] = "/.\n/usr\n/usr/lib/python3.11/site-packages/foo-1.0.dist-info/METADATA\n\n";

        CHECK_INT(dpkg_list_parse(S(in), "py3-foo", count_owned, n), 0);
        CHECK_INT(n[0], 2);
        CHECK_INT(n[1], 1);
}

static const char apk_sample[] =
        "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nS:383152\nI:622592\nT:the musl c library\n"
        "U:https://musl.libc.org/\nL:MIT\no:musl\nm:Timo\nt:1\nc:abc\nF:lib\nR:libc.musl-x86_64.so.1\n"
        "a:0:0:755\nZ:Q1x=\n\n"
        "P:py3-foo\nV:1.0-r0\nA:x86_64\nL:GPL-2.0-or-later AND MIT\no:foo\n"
        "F:usr/lib/python3.11/site-packages/foo-1.0.dist-info\nR:METADATA\n\n";

TEST(apk_installed_fields)
{
        struct pkg_list l = { 0 };
        size_t n[2] = { 0, 0 };

        CHECK_INT(apk_installed_parse(S(apk_sample), "sha256:bb", "lib/apk/db/installed", &l, count_owned, n), 0);
        CHECK_INT(l.len, 2);
        if (l.len == 2) {
                CHECK_STR(l.items[0].name, "musl");
                CHECK_STR(l.items[0].version, "1.2.4-r2");
                CHECK_STR(l.items[0].arch, "x86_64");
                CHECK_STR(l.items[0].license, "MIT");
                CHECK_STR(l.items[0].source_name, "musl");
                CHECK_INT(l.items[0].type, PKG_APK);
                CHECK_STR(l.items[1].license, "GPL-2.0-or-later AND MIT");
                CHECK_STR(l.items[1].source_name, "foo");
        }
        CHECK_INT(n[0], 2);
        CHECK_INT(n[1], 1);
        pkg_list_clear(&l);
}

TEST(apk_installed_malformed)
{
        struct pkg_list l = { 0 };
        const char in[] = "P:nover\nA:x86_64\n\nthis is not apk\nP:bad\nV:1\n\nP:good\nV:2\n\n"
                          "P:\nV:\n\nP:sp ace\nV:1\n";

        CHECK_INT(apk_installed_parse(S(in), "l", "p", &l, NULL, NULL), DOU_EINVAL);
        CHECK(strstr(dou_err_msg(), "line 1") != NULL);
        CHECK_INT(l.len, 1);
        if (l.len == 1)
                CHECK_STR(l.items[0].name, "good");
        pkg_list_clear(&l);
        CHECK_INT(apk_installed_parse(S("\n\n\n"), "l", "p", &l, NULL, NULL), 0);
        CHECK_INT(l.len, 0);
}

TEST(dep5_short_names)
{
        const char *id;

        CHECK_STR(dep5_spdx_id(S("GPL-2+")), "GPL-2.0-or-later");
        CHECK_STR(dep5_spdx_id(S("GPL-2")), "GPL-2.0-only");
        CHECK_STR(dep5_spdx_id(S("LGPL-2.1+")), "LGPL-2.1-or-later");
        CHECK_STR(dep5_spdx_id(S("GPLv3+")), "GPL-3.0-or-later");
        CHECK_STR(dep5_spdx_id(S("GPL-2.0+")), "GPL-2.0-or-later");
        CHECK_STR(dep5_spdx_id(S("AGPL-3")), "AGPL-3.0-only");
        CHECK_STR(dep5_spdx_id(S("Expat")), "MIT");
        CHECK_STR(dep5_spdx_id(S("BSD-3-clause")), "BSD-3-Clause");
        CHECK_STR(dep5_spdx_id(S("expat")), "MIT");
        id = dep5_spdx_id(S("no-such-licence"));
        CHECK(id == NULL);
}

static void check_dep5(const char *in, const char *want)
{
        char *e = NULL;

        CHECK_INT(dep5_license(in, strlen(in), &e), 0);
        if (!want)
                CHECK(e == NULL);
        else
                CHECK_STR(e, want);
        free(e);
}

TEST(dep5_expressions)
{
        check_dep5("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                   "Files: *\nCopyright: x\nLicense: GPL-2+\n text\n\n"
                   "Files: a/*\nLicense: GPL-1+ or Artistic\n\n"
                   "Files: b/*\nLicense: GPL-2+\n\n"
                   "Files: c/*\nLicense: BSD-3-clause and Expat\n\n"
                   "License: Artistic\n the text of it\n",
                   "GPL-2.0-or-later AND (GPL-1.0-or-later OR Artistic-1.0-Perl) AND (BSD-3-Clause AND MIT)");
        check_dep5("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                   "Files: *\nLicense: GPL-3+ with Autoconf exception\n\n"
                   "Files: x\nLicense: Weird Thing!\n",
                   "(GPL-3.0-or-later WITH Autoconf-exception-generic) AND (LicenseRef-Weird AND LicenseRef-Thing-)");
        check_dep5("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                   "Files: *\nLicense: GPL-2+ or Artistic, and MIT\n",
                   "((GPL-2.0-or-later OR Artistic-1.0-Perl) AND MIT)");
        check_dep5("This is Debian's prepackaged foo.\n\nIt is under the GPL, see "
                   "/usr/share/common-licenses/GPL-2.\nversion 2, or (at your option) any later version.\n",
                   "GPL-2.0-or-later");
        check_dep5("nothing to see\n", NULL);
        check_dep5("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                   "Files: *\nLicense:\n", NULL);
        check_dep5("", NULL);
}

TEST(dep5_real_copyright_files)
{
        char *buf, *e = NULL;
        size_t n;

        if (fs_read_small("/usr/share/doc/libssl3/copyright", OSPKG_MAX_FILE, &buf, &n) < 0)
                SKIP("no /usr/share/doc/libssl3/copyright on this machine");
        CHECK_INT(dep5_license(buf, n, &e), 0);
        CHECK(e && !strncmp(e, "Apache-2.0", 10));
        CHECK(e && !strstr(e, "LicenseRef-Apache"));
        free(e);
        free(buf);
        e = NULL;
        if (fs_read_small("/usr/share/doc/bash/copyright", OSPKG_MAX_FILE, &buf, &n) < 0)
                return;
        CHECK_INT(dep5_license(buf, n, &e), 0);
        CHECK(e && strstr(e, "GPL-3.0-or-later"));
        free(e);
        free(buf);
}

TAP_MAIN()
