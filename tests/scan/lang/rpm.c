/*
 * Tests for the rpm header and rpmdb parsers. Fixtures: rpmdb.sqlite made by
 * Debian's rpm 4.18 (rpm --initdb; rpm -i --justdb of two rpmbuild-made
 * noarch packages; repaged to 1 KiB pages to stay small, WAL flag set), and
 * the two header blobs from its Packages table. Berkeley DB files: the
 * same blobs loaded with Debian's db5.3_load (hash, 1 KiB and 4 KiB pages,
 * keys = hnum) and read back by Debian's rpm with _db_backend bdb_ro. NDB:
 * Debian's rpm has no ndb backend, so Packages.db is hand-built by
 * tests/data/scan/lang/rpm/mkndb.py following rpm's rpmpkg.c layout.
 */
#include <sqlite3.h>

#include "tap.h"
#include "lang_test.h"

static const struct scan_file hf = { "var/lib/rpm/rpmdb.sqlite", 0, REG_FILE, "sha256:l", NULL, NULL };

TEST(header_hello)
{
        struct pkg_list l = { 0 };
        size_t n;
        unsigned char *d = load_data("rpm/hello.hdr", &n);
        CHECK(d != NULL);
        if (!d)
                return;
        CHECK_INT(lang__rpm_header_parse(d, n, &hf, &l), 0);
        CHECK_INT(l.len, 1);
        if (l.len == 1) {
                const struct scan_pkg *p = &l.items[0];
                CHECK_INT(p->type, PKG_RPM);
                CHECK_STR(p->name, "hello");
                CHECK_STR(p->version, "1.2.3-4");
                CHECK_STR(p->arch, "noarch");
                CHECK_STR(p->license, "MIT");
                CHECK_STR(p->source_name, "hello");
                CHECK_STR(p->source_version, "1.2.3-4");
                CHECK_STR(p->layer, "sha256:l");
        }
        /* every truncation fails cleanly and adds nothing */
        for (size_t k = 0; k < n; k++)
                CHECK(lang__rpm_header_parse(d, k, &hf, &l) < 0);
        CHECK_INT(l.len, 1);
        free(d);
        pkg_list_clear(&l);
}

TEST(header_world_epoch_and_spdx_expression)
{
        struct pkg_list l = { 0 };
        size_t n;
        unsigned char *d = load_data("rpm/world.hdr", &n);
        CHECK(d != NULL);
        if (!d)
                return;
        CHECK_INT(lang__rpm_header_parse(d, n, &hf, &l), 0);
        CHECK_INT(l.len, 1);
        if (l.len == 1) {
                CHECK_STR(l.items[0].name, "world");
                CHECK_STR(l.items[0].version, "3:2.0-1.fc39");
                CHECK_STR(l.items[0].source_version, "3:2.0-1.fc39");
                CHECK_STR(l.items[0].license, "GPL-2.0-or-later AND LGPL-2.1-only");
        }
        free(d);
        pkg_list_clear(&l);
}

/* A hand-made header: entries (tag, type, offset, count) over data. */
static size_t mkhdr(unsigned char *out, const uint32_t (*ent)[4], uint32_t il, const void *data,
                    uint32_t dl)
{
        uint32_t w[2] = { __builtin_bswap32(il), __builtin_bswap32(dl) };
        memcpy(out, w, 8);
        for (uint32_t i = 0; i < il; i++)
                for (int j = 0; j < 4; j++) {
                        uint32_t v = __builtin_bswap32(ent[i][j]);
                        memcpy(out + 8 + 16 * i + 4 * j, &v, 4);
                }
        memcpy(out + 8 + 16 * il, data, dl);
        return 8 + 16 * il + dl;
}

TEST(header_malformed)
{
        struct pkg_list l = { 0 };
        unsigned char b[512];
        const char data[] = "a\0" "1\0" "gpg-pubkey\0" "GPLv2+ and MIT\0" "zzz";
        const uint32_t good[][4] = { { 1000, 6, 0, 1 }, { 1001, 6, 2, 1 }, { 1014, 6, 15, 1 } };
        size_t n = mkhdr(b, good, 3, data, sizeof(data) - 1);
        CHECK_INT(lang__rpm_header_parse(b, n, &hf, &l), 0);
        CHECK_INT(l.len, 1);
        if (l.len == 1) {
                CHECK_STR(l.items[0].version, "1");
                CHECK(l.items[0].license == NULL);      /* old Fedora syntax is not SPDX */
                CHECK(l.items[0].arch == NULL);
        }
        const uint32_t key[][4] = { { 1000, 6, 4, 1 }, { 1001, 6, 2, 1 } };
        n = mkhdr(b, key, 2, data, sizeof(data) - 1);
        CHECK_INT(lang__rpm_header_parse(b, n, &hf, &l), 0);   /* gpg-pubkey skipped */
        const uint32_t unterminated[][4] = { { 1000, 6, 30, 1 }, { 1001, 6, 2, 1 } };
        n = mkhdr(b, unterminated, 2, data, sizeof(data) - 1);
        CHECK_INT(lang__rpm_header_parse(b, n, &hf, &l), DOU_EINVAL);
        CHECK(strstr(dou_err_msg(), "not terminated") != NULL);
        const uint32_t outside[][4] = { { 1000, 6, 9999, 1 }, { 1001, 6, 2, 1 } };
        n = mkhdr(b, outside, 2, data, sizeof(data) - 1);
        CHECK_INT(lang__rpm_header_parse(b, n, &hf, &l), DOU_EINVAL);
        const uint32_t badtype[][4] = { { 1000, 4, 0, 1 }, { 1001, 6, 2, 1 } };
        n = mkhdr(b, badtype, 2, data, sizeof(data) - 1);
        CHECK_INT(lang__rpm_header_parse(b, n, &hf, &l), DOU_EINVAL);
        const uint32_t badepoch[][4] = { { 1000, 6, 0, 1 }, { 1001, 6, 2, 1 }, { 1003, 4, 31, 1 } };
        n = mkhdr(b, badepoch, 3, data, sizeof(data) - 1);
        CHECK_INT(lang__rpm_header_parse(b, n, &hf, &l), DOU_EINVAL);
        const uint32_t noname[][4] = { { 1001, 6, 2, 1 } };
        n = mkhdr(b, noname, 1, data, sizeof(data) - 1);
        CHECK_INT(lang__rpm_header_parse(b, n, &hf, &l), DOU_EINVAL);
        /* lying counts */
        unsigned char lie[16] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1 };
        CHECK_INT(lang__rpm_header_parse(lie, sizeof(lie), &hf, &l), DOU_EINVAL);
        unsigned char lie2[16] = { 0, 0, 0, 1, 0x0f, 0xff, 0xff, 0xff };
        CHECK_INT(lang__rpm_header_parse(lie2, sizeof(lie2), &hf, &l), DOU_EINVAL);
        CHECK_INT(l.len, 1);
        pkg_list_clear(&l);
}

TEST(sqlite_rpmdb_real)
{
        struct pkg_list l = { 0 };
        size_t n;
        unsigned char *d = load_data("rpm/rpmdb.sqlite", &n);
        CHECK(d != NULL);
        if (!d)
                return;
        CHECK_INT(run_lang("var/lib/rpm/rpmdb.sqlite", REG_FILE, d, n, 4000, &l), 0);
        CHECK_INT(l.len, 2);
        const struct scan_pkg *p = find_pkg(&l, "hello", "1.2.3-4");
        CHECK(p && p->path && strcmp(p->path, "var/lib/rpm/rpmdb.sqlite") == 0);
        CHECK(find_pkg(&l, "world", "3:2.0-1.fc39") != NULL);
        free(d);
        pkg_list_clear(&l);
}

TEST(sqlite_corrupted_never_crashes)
{
        struct pkg_list l = { 0 };
        size_t n;
        unsigned char *d = load_data("rpm/rpmdb.sqlite", &n);
        if (!d)
                SKIP("fixture missing");
        unsigned char *c = malloc(n);
        unsigned seed = 1;
        int failures = 0;
        for (int round = 0; round < 200; round++) {
                memcpy(c, d, n);
                for (int k = 0; k < 20; k++) {
                        seed = seed * 1103515245u + 12345u;
                        c[100 + (seed >> 8) % (n - 100)] ^= (unsigned char)(seed >> 3);
                }
                if (lang__rpm_sqlite_parse_buf(c, n, &hf, &l) < 0)
                        failures++;
        }
        CHECK(l.len <= 400);
        printf("# %d of 200 corrupted databases reported an error, %zu packages kept\n", failures, l.len);
        CHECK_INT(lang__rpm_sqlite_parse_buf(c, 50, &hf, &l), DOU_EINVAL);
        memcpy(c, "not sqlite at all", 17);
        CHECK_INT(lang__rpm_sqlite_parse_buf(c, n, &hf, &l), DOU_EINVAL);
        free(c);
        free(d);
        pkg_list_clear(&l);
}

TEST(sqlite_without_packages_table)
{
        struct pkg_list l = { 0 };
        sqlite3 *db;
        CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
        CHECK(sqlite3_exec(db, "CREATE TABLE Other(x); INSERT INTO Other VALUES(1);"
                               "CREATE TABLE Packages2(hnum, blob)", NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_int64 sz = 0;
        unsigned char *img = sqlite3_serialize(db, "main", &sz, 0);
        CHECK(img != NULL);
        if (img)
                CHECK_INT(lang__rpm_sqlite_parse_buf(img, (size_t)sz, &hf, &l), DOU_EINVAL);
        CHECK(strstr(dou_err_msg(), "Packages") != NULL);
        sqlite3_free(img);
        /* a row with a garbage blob is reported, the good row is kept */
        CHECK(sqlite3_exec(db, "CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB);"
                               "INSERT INTO Packages VALUES(1, x'00000001');", NULL, NULL, NULL) == SQLITE_OK);
        size_t n;
        unsigned char *h = load_data("rpm/hello.hdr", &n);
        sqlite3_stmt *st;
        sqlite3_prepare_v2(db, "INSERT INTO Packages VALUES(2, ?)", -1, &st, NULL);
        sqlite3_bind_blob(st, 1, h, (int)n, SQLITE_STATIC);
        CHECK(sqlite3_step(st) == SQLITE_DONE);
        sqlite3_finalize(st);
        img = sqlite3_serialize(db, "main", &sz, 0);
        if (img)
                CHECK_INT(lang__rpm_sqlite_parse_buf(img, (size_t)sz, &hf, &l), DOU_EINVAL);
        CHECK(strstr(dou_err_msg(), "row 0") != NULL);
        CHECK_INT(l.len, 1);
        sqlite3_free(img);
        free(h);
        sqlite3_close(db);
        pkg_list_clear(&l);
}


static void check_two(const struct pkg_list *l, const char *path)
{
        CHECK_INT(l->len, 2);
        const struct scan_pkg *p = find_pkg(l, "hello", "1.2.3-4");
        CHECK(p && p->path && strcmp(p->path, path) == 0);
        CHECK(p && p->license && strcmp(p->license, "MIT") == 0);
        CHECK(find_pkg(l, "world", "3:2.0-1.fc39") != NULL);
}

TEST(bdb_real)
{
        const char *files[] = { "rpm/Packages-bdb-1k", "rpm/Packages-bdb-4k" };
        for (int i = 0; i < 2; i++) {
                struct pkg_list l = { 0 };
                size_t n;
                unsigned char *d = load_data(files[i], &n);
                CHECK(d != NULL);
                if (!d)
                        continue;
                CHECK_INT(run_lang("var/lib/rpm/Packages", REG_FILE, d, n, 1000, &l), 0);
                check_two(&l, "var/lib/rpm/Packages");
                free(d);
                pkg_list_clear(&l);
        }
}

TEST(ndb_handbuilt)
{
        struct pkg_list l = { 0 };
        size_t n;
        unsigned char *d = load_data("rpm/Packages.db", &n);
        CHECK(d != NULL);
        if (!d)
                return;
        CHECK_INT(run_lang("usr/lib/sysimage/rpm/Packages.db", REG_FILE, d, n, 0, &l), 0);
        check_two(&l, "usr/lib/sysimage/rpm/Packages.db");
        pkg_list_clear(&l);
        /* a slot pointing past the end: error, the other package kept */
        unsigned char *c = malloc(n);
        memcpy(c, d, n);
        c[32 + 8] = 0xff, c[32 + 9] = 0xff;
        CHECK_INT(lang__rpm_ndb_parse_buf(c, n, &hf, &l), DOU_EINVAL);
        CHECK_INT(l.len, 1);
        pkg_list_clear(&l);
        memcpy(c, d, n);
        c[4096 + 15] = 0x7f;    /* blob length beyond its blocks */
        CHECK_INT(lang__rpm_ndb_parse_buf(c, n, &hf, &l), DOU_EINVAL);
        CHECK_INT(l.len, 1);
        pkg_list_clear(&l);
        memcpy(c, d, n);
        c[12] = 0xff;           /* slot page count */
        CHECK_INT(lang__rpm_ndb_parse_buf(c, n, &hf, &l), DOU_EINVAL);
        CHECK_INT(lang__rpm_ndb_parse_buf(c, 100, &hf, &l), DOU_EINVAL);
        CHECK_INT(l.len, 0);
        free(c);
        free(d);
        pkg_list_clear(&l);
}

TEST(bdb_malformed)
{
        struct pkg_list l = { 0 };
        size_t n;
        unsigned char *d = load_data("rpm/Packages-bdb-1k", &n);
        CHECK(d != NULL);
        if (!d)
                return;
        unsigned char *c = malloc(n);
        /* corrupt every page header byte in turn: errors, never crashes */
        for (size_t pg = 1; pg < n / 1024; pg++)
                for (size_t b = 0; b < 26; b++) {
                        memcpy(c, d, n);
                        c[pg * 1024 + b] ^= 0xa5;
                        (void)lang__rpm_bdb_parse_buf(c, n, &hf, &l);
                }
        CHECK(l.len <= 2 * 6 * 26);
        pkg_list_clear(&l);
        /* an overflow chain that loops on itself */
        memcpy(c, d, n);
        for (size_t pg = 1; pg < n / 1024; pg++)
                if (c[pg * 1024 + 25] == 7)
                        memcpy(c + pg * 1024 + 16, &(uint32_t){ (uint32_t)pg }, 4);
        CHECK(lang__rpm_bdb_parse_buf(c, n, &hf, &l) <= 0);
        memcpy(c, d, n);
        c[20] = 3;              /* page size 3 */
        CHECK_INT(lang__rpm_bdb_parse_buf(c, n, &hf, &l), DOU_EINVAL);
        memcpy(c, d, n);
        c[12] = 0;              /* magic */
        CHECK_INT(lang__rpm_bdb_parse_buf(c, n, &hf, &l), DOU_EINVAL);
        CHECK_INT(lang__rpm_bdb_parse_buf(d, 100, &hf, &l), DOU_EINVAL);
        free(c);
        free(d);
        pkg_list_clear(&l);
}

TAP_MAIN()
