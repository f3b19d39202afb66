/*
 * Tests for Java archives. Fixtures: Debian's slf4j-nop (pom.properties),
 * atinject-jsr330-api (MANIFEST only), libintl (neither: file name), a war
 * and an ear built with the JDK's `jar` (war in ear, jars in both), and a
 * STORED + data-descriptor jar written by Python's zipfile to a pipe.
 * Deep nesting and garbage are made here with libarchive's zip writer.
 */
#include <archive.h>
#include <archive_entry.h>

#include "tap.h"
#include "lang_test.h"

static int parse_jar(const char *rel, const char *ipath, size_t chunk, struct pkg_list *l)
{
        size_t n;
        unsigned char *d = load_data(rel, &n);
        if (!d)
                return -2000;
        int r = run_lang(ipath, REG_FILE, d, n, chunk, l);
        free(d);
        return r;
}

static bool has_maven(const struct pkg_list *l, const char *g, const char *a, const char *v,
                      const char *path)
{
        const struct scan_pkg *p = find_pkg(l, a, v);
        if (!p || p->type != PKG_MAVEN)
                return false;
        if ((g == NULL) != (p->namespace_ == NULL) || (g && strcmp(g, p->namespace_) != 0))
                return false;
        return !path || (p->path && strcmp(p->path, path) == 0);
}

TEST(pom_properties)
{
        struct pkg_list l = { 0 };
        CHECK_INT(parse_jar("java/slf4j-nop-1.7.32.jar", "usr/share/java/slf4j-nop.jar", 333, &l), 0);
        CHECK_INT(l.len, 1);
        CHECK(has_maven(&l, "org.slf4j", "slf4j-nop", "1.7.32", "usr/share/java/slf4j-nop.jar"));
        pkg_list_clear(&l);
}

TEST(manifest_and_file_name_fallbacks)
{
        struct pkg_list l = { 0 };
        CHECK_INT(parse_jar("java/atinject-jsr330-api-1.0.jar", "usr/share/java/a.jar", 0, &l), 0);
        CHECK_INT(parse_jar("java/libintl-0.21.jar", "usr/share/java/libintl-0.21.jar", 0, &l), 0);
        CHECK_INT(l.len, 2);
        CHECK(has_maven(&l, NULL, "javax.inject", "1.0.0", NULL));
        CHECK(has_maven(&l, NULL, "libintl", "0.21", NULL));
        pkg_list_clear(&l);
}

TEST(war_and_ear_nested)
{
        struct pkg_list l = { 0 };
        CHECK_INT(parse_jar("java/app.war", "srv/app.war", 1000, &l), 0);
        CHECK_INT(l.len, 2);
        CHECK(has_maven(&l, "org.slf4j", "jul-to-slf4j", "1.7.32",
                        "srv/app.war:WEB-INF/lib/jul-to-slf4j-1.7.32.jar"));
        CHECK(has_maven(&l, "com.google.errorprone", "error_prone_type_annotations", "2.18.0", NULL));
        pkg_list_clear(&l);
        CHECK_INT(parse_jar("java/app.ear", "srv/app.ear", 0, &l), 0);
        CHECK_INT(l.len, 3);
        CHECK(has_maven(&l, "org.slf4j", "jul-to-slf4j", "1.7.32",
                        "srv/app.ear:app.war:WEB-INF/lib/jul-to-slf4j-1.7.32.jar"));
        CHECK(has_maven(&l, NULL, "javax.inject", "1.0.0", "srv/app.ear:lib/atinject-jsr330-api-1.0.jar"));
        pkg_list_clear(&l);
}

TEST(stored_with_data_descriptor_is_clean)
{
        struct pkg_list l = { 0 };
        int r = parse_jar("java/stored-descriptor.jar", "x/dd.jar", 0, &l);
        /* libarchive may or may not manage this layout; it must never be silent garbage */
        CHECK(r == 0 || r == DOU_EINVAL);
        if (r == 0)
                CHECK(has_maven(&l, "org.example", "dd", "1.0", NULL));
        else
                CHECK(strstr(dou_err_msg(), "x/dd.jar") != NULL);
        printf("# stored+descriptor: r=%d packages=%zu msg=%s\n", r, l.len, r ? dou_err_msg() : "");
        pkg_list_clear(&l);
}

/* Build a zip in memory: one pom.properties and optionally one nested archive. */
static unsigned char *mkzip(int level, const unsigned char *inner, size_t inner_len, size_t *ret_len)
{
        size_t cap = inner_len + 65536;
        unsigned char *buf = malloc(cap);
        size_t used = 0;
        struct archive *w = archive_write_new();
        archive_write_set_format_zip(w);
        archive_write_open_memory(w, buf, cap, &used);
        char pom[200], name[100];
        int pn = snprintf(pom, sizeof(pom), "groupId=g\nartifactId=level%d\nversion=%d.0\n", level, level);
        snprintf(name, sizeof(name), "META-INF/maven/g/level%d/pom.properties", level);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, pn);
        archive_write_header(w, e);
        archive_write_data(w, pom, (size_t)pn);
        if (inner) {
                archive_entry_clear(e);
                archive_entry_set_pathname(e, "lib/inner.jar");
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0644);
                archive_entry_set_size(e, (la_int64_t)inner_len);
                archive_write_header(w, e);
                archive_write_data(w, inner, inner_len);
        }
        archive_entry_free(e);
        archive_write_close(w);
        archive_write_free(w);
        *ret_len = used;
        return buf;
}

TEST(nesting_depth_bound)
{
        struct pkg_list l = { 0 };
        unsigned char *z = NULL;
        size_t n = 0;
        for (int level = 7; level >= 0; level--) {
                unsigned char *outer = mkzip(level, z, n, &n);
                free(z);
                z = outer;
        }
        CHECK_INT(run_lang("app/deep.jar", REG_FILE, z, n, 0, &l), DOU_ETOOBIG);
        CHECK(strstr(dou_err_msg(), "nested deeper") != NULL);
        CHECK_INT(l.len, LANG_MAX_JAR_DEPTH);   /* levels 0..3 kept */
        CHECK(has_maven(&l, "g", "level3", "3.0",
                        "app/deep.jar:lib/inner.jar:lib/inner.jar:lib/inner.jar"));
        CHECK(find_pkg(&l, "level4", NULL) == NULL);
        free(z);
        pkg_list_clear(&l);
}

TEST(garbage_and_truncation)
{
        struct pkg_list l = { 0 };
        size_t n;
        unsigned char *d = load_data("java/app.ear", &n);
        CHECK(d != NULL);
        if (!d)
                return;
        for (size_t k = 0; k < n; k += 97)
                (void)run_lang("srv/app.ear", REG_FILE, d, k, 0, &l);
        CHECK(l.len <= 3 * (n / 97 + 1));
        unsigned seed = 7;
        for (int round = 0; round < 100; round++) {
                unsigned char *c = malloc(n);
                memcpy(c, d, n);
                for (int k = 0; k < 8; k++) {
                        seed = seed * 1103515245u + 12345u;
                        c[(seed >> 8) % n] ^= (unsigned char)(seed >> 2);
                }
                (void)run_lang("srv/app.ear", REG_FILE, c, n, 0, &l);
                free(c);
        }
        pkg_list_clear(&l);
        CHECK_INT(run_lang("srv/x.jar", REG_FILE, "PK\x03\x04garbage", 11, 0, &l), DOU_EINVAL);
        CHECK(strstr(dou_err_msg(), "srv/x.jar") != NULL);
        CHECK_INT(run_lang("srv/x.jar", REG_FILE, "", 0, 0, &l), DOU_EINVAL);
        CHECK_INT(l.len, 0);
        free(d);
        pkg_list_clear(&l);
}

TAP_MAIN()
