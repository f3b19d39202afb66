/*
 * feeds.c - feed parsers and loaders on the real data in ../shared/feeds and
 * on malformed input: counts, quirks, bounds, zip bombs, transactions.
 */
#include "tap.h"
#include "vuln/vuln.h"
#include "util/err.h"

#include <archive.h>
#include <math.h>
#include <archive_entry.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FEEDS DOUANE_SHARED_DIR "/feeds"

static char dbpath[256];

static struct vuln_db *fresh_db(void)
{
        struct vuln_db *db = NULL;
        snprintf(dbpath, sizeof(dbpath), "/tmp/douane-vuln-test-%d.db", (int)getpid());
        unlink(dbpath);
        char wal[300];
        snprintf(wal, sizeof(wal), "%s-wal", dbpath);
        unlink(wal);
        snprintf(wal, sizeof(wal), "%s-shm", dbpath);
        unlink(wal);
        if (vuln_db_open(dbpath, &db) < 0)
                printf("# open: %s\n", dou_err_msg());
        return db;
}

static long long q1(struct vuln_db *db, const char *sql)
{
        sqlite3_stmt *st;
        long long v = -1;
        if (sqlite3_prepare_v2(vuln_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK)
                return -2;
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

static int nskips;
static void count_skip(void *ctx, const char *id, const char *why)
{
        (void)ctx; (void)id; (void)why;
        nskips++;
}

TEST(cvss_v31_known_scores)
{
        static const struct { const char *v; double s; const char *r; } c[] = {
                { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical" },
                { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "critical" },
                { "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, "low" },
                { "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5, "medium" },
                { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, "medium" },
                { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "medium" },
                { "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0.0, "none" },
                { "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "high" },
                { "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8, "high" },
                { "CVSS:3.1/AV:A/AC:H/PR:L/UI:R/S:C/C:H/I:L/A:L/E:P/RL:O", 6.8, "medium" },
                { "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, "high" },
        };
        for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
                struct cvss r;
                CHECK_INT(cvss_parse(c[i].v, strlen(c[i].v), &r), 0);
                if ((long long)(r.score * 10 + 0.5) != (long long)(c[i].s * 10 + 0.5))
                        printf("# %s: got %.1f want %.1f\n", c[i].v, r.score, c[i].s);
                CHECK((long long)(r.score * 10 + 0.5) == (long long)(c[i].s * 10 + 0.5));
                CHECK_STR(r.rating, c[i].r);
        }
}

/* Every CVSS v3.1 base vector (2,592) against reference scores generated with
 * ae-cvss-calculator (tests/vuln/data/cvss31-gen.js). */
TEST(cvss_v31_all_base_vectors_match_reference)
{
        FILE *f = fopen(VULN_DATA "/cvss31.tsv", "r");
        char line[256];
        int n = 0, bad = 0;
        CHECK(f != NULL);
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                char *tab = strchr(line, '\t');
                struct cvss r;
                if (line[0] == '#' || !tab)
                        continue;
                *tab = 0;
                long want = lround(strtod(tab + 1, NULL) * 10);
                if (cvss_parse(line, strlen(line), &r) < 0 || lround(r.score * 10) != want) {
                        if (bad++ < 5)
                                printf("# %s: got %.1f want %.1f\n", line, r.score, want / 10.0);
                }
                n++;
        }
        fclose(f);
        CHECK_INT(n, 2592);
        CHECK_INT(bad, 0);
}

TEST(cvss_rejects_malformed)
{
        static const char *bad[] = {
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",             /* A missing */
                "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",    /* repeated */
                "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",         /* bad value */
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",    /* unknown */
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:",          /* empty */
                "CVSS:2.0/AV:N", "", "AV:N/AC:L/Au:N/C:P/I:P/A:P",
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct cvss r;
                CHECK(cvss_parse(bad[i], strlen(bad[i]), &r) < 0);
        }
        const char *v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        struct cvss r;
        CHECK_INT(cvss_parse(v4, strlen(v4), &r), 0);
        CHECK_INT(r.version, 40);
        CHECK(r.score < 0);
        /* bounded by len: a prefix of a valid vector is not valid */
        const char *ok = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
        CHECK(cvss_parse(ok, strlen(ok) - 4, &r) < 0);
}

TEST(alpine_clean_ids_quirks)
{
        char ids[8][VULN_ID_MAX];
        CHECK_INT(alpine_clean_ids("CVE-2016-10013 XSA-204", ids, 8), 2);
        CHECK_STR(ids[0], "CVE-2016-10013");
        CHECK_STR(ids[1], "XSA-204");
        CHECK_INT(alpine_clean_ids("CVE-2018-14461 (LDP)", ids, 8), 1);
        CHECK_STR(ids[0], "CVE-2018-14461");
        CHECK_INT(alpine_clean_ids("CVE 2018-16859", ids, 8), 1);
        CHECK_STR(ids[0], "CVE-2018-16859");
        CHECK_INT(alpine_clean_ids("CVE_2019-2426", ids, 8), 1);
        CHECK_STR(ids[0], "CVE-2019-2426");
        CHECK_INT(alpine_clean_ids("CVE-2017-8073.patch", ids, 8), 1);
        CHECK_STR(ids[0], "CVE-2017-8073");
        CHECK_INT(alpine_clean_ids("CVE-2017-17434-1", ids, 8), 1);
        CHECK_STR(ids[0], "CVE-2017-17434");
        CHECK_INT(alpine_clean_ids("CVE-?\?\?\?-?\?\?\?\?  XSA-284", ids, 8), 1);
        CHECK_STR(ids[0], "XSA-284");
        CHECK_INT(alpine_clean_ids("wnpa-sec-2017-18", ids, 8), 1);
        CHECK_STR(ids[0], "wnpa-sec-2017-18");
        CHECK_INT(alpine_clean_ids("CVE-2017-5753 CVE-2017-5715 CVE-2017-5754 XSA-254 XPTI", ids, 8), 4);
        CHECK_STR(ids[3], "XSA-254");
        CHECK_INT(alpine_clean_ids("(comment only)", ids, 8), 0);
        CHECK_INT(alpine_clean_ids("ZBX-11023", ids, 8), 1);
}

TEST(osv_parse_real_and_malformed)
{
        const char *rec = "{\"id\":\"PYSEC-2023-1\",\"modified\":\"2023-01-24T00:00:00Z\","
                "\"aliases\":[\"CVE-2023-1\",\"GHSA-aaaa-bbbb-cccc\"],\"upstream\":[\"CVE-2023-2\"],"
                "\"severity\":[{\"type\":\"CVSS_V3\",\"score\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}],"
                "\"affected\":[{\"package\":{\"name\":\"Zope.Interface\",\"ecosystem\":\"PyPI\"},"
                "\"ranges\":[{\"type\":\"GIT\",\"repo\":\"x\",\"events\":[{\"introduced\":\"0\"}]},"
                "{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"2.2.0\"},{\"fixed\":\"7.1.0\"}]}],"
                "\"versions\":[\"2.2.0\",\"3.0.0\"]}]}";
        json_t *a = NULL;
        CHECK_INT(osv_parse(rec, strlen(rec), &a), 0);
        if (a) {
                CHECK_INT(json_array_size(json_object_get(a, "aliases")), 3);
                CHECK_STR(json_string_value(json_object_get(a, "severity")), "critical");
                json_t *af = json_array_get(json_object_get(a, "affected"), 0);
                CHECK_STR(json_string_value(json_object_get(af, "package")), "zope-interface");
                CHECK_INT(json_array_size(json_object_get(af, "ranges")), 1);
                CHECK_STR(json_string_value(json_object_get(af, "fixed")), "7.1.0");
                json_decref(a);
        }
        static const char *bad[] = {
                "{", "[]", "{\"id\":\"../etc/passwd\",\"modified\":\"x\"}",
                "{\"id\":\"A-1\"}", "{\"id\":\"A-1\",\"modified\":\"x\",\"id\":\"B\"}",
                "{\"id\":\"A-1\",\"modified\":\"x\",\"affected\":{}}",
                "{\"id\":\"A-1\",\"modified\":\"x\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\"}}]}",
                ("{\"id\":\"A-1\",\"modified\":\"x\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"a\"},"
                 "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\",\"fixed\":\"1\"}]}]}]}"),
                "{\"id\":\"A-1\",\"modified\":\"x\",\"aliases\":[1]}",
                "{\"id\":\"A-1\",\"modified\":\"x\",\"withdrawn\":5}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                a = NULL;
                CHECK(osv_parse(bad[i], strlen(bad[i]), &a) < 0);
                CHECK(a == NULL);
        }
}

static int count_cb(void *ctx, json_t *adv)
{
        (*(int *)ctx)++;
        (void)adv;
        return 0;
}

TEST(debian_tracker_fixture)
{
        char *buf = NULL;
        FILE *f = fopen(VULN_DATA "/tracker.json", "r");
        CHECK(f != NULL);
        if (!f)
                return;
        buf = malloc(1 << 16);
        size_t n = fread(buf, 1, 1 << 16, f);
        fclose(f);
        int cnt = 0;
        CHECK_INT(debian_tracker_parse(buf, n, count_cb, NULL, &cnt), 0);
        CHECK_INT(cnt, 8);
        CHECK(debian_tracker_parse("[1]", 3, count_cb, NULL, &cnt) < 0);
        CHECK(debian_tracker_parse(buf, n / 2, count_cb, NULL, &cnt) < 0);
        free(buf);
        CHECK_STR(debian_release_of("bookworm"), "12");
        CHECK_STR(debian_codename_of("11"), "bullseye");
        CHECK(debian_release_of("sid") == NULL);
}

TEST(load_shared_feeds)
{
        struct vuln_db *db = fresh_db();
        struct vuln_load_stats st;
        struct vuln_load_opts o = { .skip = count_skip };
        if (!db)
                return;
        nskips = 0;
        CHECK_INT(vuln_load_file(db, "osv/Debian", FEEDS "/osv/Debian/all.zip", &o, &st), 0);
        CHECK_INT(st.added, 10103);
        CHECK_INT(q1(db, "SELECT count(*) FROM affected WHERE ecosystem='Debian:12'"), 413);
        CHECK_INT(q1(db, "SELECT count(*) FROM affected"), 11872);
        CHECK_INT(vuln_load_file(db, "osv/PyPI", FEEDS "/osv/PyPI/all.zip", &o, &st), 0);
        CHECK_INT(st.added, 2661);
        CHECK_INT(q1(db, "SELECT count(*) FROM advisory WHERE withdrawn IS NOT NULL AND source='osv/PyPI'"), 10);
        CHECK_INT(q1(db, "SELECT count(*) FROM advisory WHERE score IS NOT NULL AND source='osv/PyPI'"), 202);
        CHECK_INT(vuln_load_file(db, "osv/Go", FEEDS "/osv/Go/all.zip", &o, &st), 0);
        CHECK_INT(st.added, 4291);
        CHECK_INT(nskips, 0);
        /* a second load of the same bytes changes nothing */
        CHECK_INT(vuln_load_file(db, "osv/Go", FEEDS "/osv/Go/all.zip", &o, &st), 0);
        CHECK_INT(st.added, 0);
        CHECK_INT(st.changed, 0);
        CHECK_INT(st.unchanged, 4291);
        /* Alpine: JSON and YAML give identical advisories */
        CHECK_INT(vuln_load_file(db, "alpine/v3.8/main", FEEDS "/alpine/v3.8/main.json", &o, &st), 0);
        unsigned added = st.added;
        CHECK(added > 500);
        CHECK_INT(q1(db, "SELECT count(*) FROM affected WHERE ecosystem='Alpine:v3.8' AND package='db' AND status='not-affected'"), 5);
        CHECK_INT(vuln_load_file(db, "alpine/v3.8/main", FEEDS "/alpine/v3.8/main.yaml", &o, &st), 0);
        CHECK_INT(st.added, 0);
        CHECK_INT(st.changed, 0);
        CHECK_INT(st.unchanged, added);
        CHECK_INT(vuln_load_file(db, "alpine/v3.6/main", FEEDS "/alpine/v3.6/main.yaml", &o, &st), 0);
        CHECK_INT(vuln_load_file(db, "alpine/v3.3/community", FEEDS "/alpine/v3.3/community.yaml", &o, &st), 0);
        CHECK_INT(st.added, 0);
        CHECK_INT(vuln_load_file(db, "debian", VULN_DATA "/tracker.json", &o, &st), 0);
        CHECK_INT(st.added, 8);
        CHECK_INT(q1(db, "SELECT count(*) FROM affected f JOIN advisory a ON a.rid=f.rid WHERE a.id='CVE-2024-5535' AND f.status='postponed'"), 1);
        CHECK_INT(q1(db, "SELECT count(*) FROM affected f JOIN advisory a ON a.rid=f.rid WHERE a.id='CVE-2023-5363' AND f.status='not-affected'"), 1);
        vuln_db_close(db);
        unlink(dbpath);
}

/* Write a zip with the given members (name, data, len). */
static void write_zip(const char *path, const char **names, const char **data, const size_t *lens, size_t n)
{
        struct archive *a = archive_write_new();
        archive_write_set_format_zip(a);
        archive_write_open_filename(a, path);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();
                archive_entry_set_pathname(e, names[i]);
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0644);
                archive_entry_set_size(e, (la_int64_t)lens[i]);
                archive_write_header(a, e);
                archive_write_data(a, data[i], lens[i]);
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
}

TEST(zip_hostile_inputs_keep_old_data)
{
        struct vuln_db *db = fresh_db();
        struct vuln_load_stats st;
        struct vuln_load_opts o = { .skip = count_skip, .zip_max_member = 1 << 20 };
        char zp[256];
        if (!db)
                return;
        snprintf(zp, sizeof(zp), "/tmp/douane-vuln-zip-%d.zip", (int)getpid());
        const char *good = "{\"id\":\"GO-1\",\"modified\":\"2024-01-01T00:00:00Z\",\"affected\":[{\"package\":"
                           "{\"ecosystem\":\"Go\",\"name\":\"example.com/m\"},\"ranges\":[{\"type\":\"SEMVER\","
                           "\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.2.3\"}]}]}]}";
        const char *names[] = { "GO-1.json", "../evil.json", "dir/GO-2.json", "GO-3.json", "GO-1.json", "GO-4.json" };
        const char *data[] = { good, good, good, "{broken", good, good };
        size_t lens[] = { strlen(good), strlen(good), strlen(good), 7, strlen(good), strlen(good) };
        write_zip(zp, names, data, lens, 6);
        nskips = 0;
        CHECK_INT(vuln_load_file(db, "osv/Go", zp, &o, &st), 0);
        CHECK_INT(st.added, 1);
        /* ../evil, dir/GO-2, broken GO-3, GO-4 whose id differs; duplicate GO-1 is identical */
        CHECK_INT(st.skipped, 4);
        CHECK_INT(nskips, 4);
        int64_t good_op = st.op;

        /* zip bomb: 64 MiB of zeros compresses to ~64 KiB */
        size_t big = 64u << 20;
        char *zeros = calloc(1, big);
        const char *bn[] = { "GO-9.json" };
        const char *bd[] = { zeros };
        size_t bl[] = { big };
        write_zip(zp, bn, bd, bl, 1);
        free(zeros);
        CHECK(vuln_load_file(db, "osv/Go", zp, &o, &st) == DOU_ETOOBIG);
        CHECK_INT(q1(db, "SELECT count(*) FROM advisory WHERE source='osv/Go'"), 1);
        CHECK_INT(q1(db, "SELECT count(*) FROM op WHERE status='failed'"), 1);

        /* total bound */
        struct vuln_load_opts o2 = { .zip_max_total = 100 };
        write_zip(zp, names, data, lens, 1);
        CHECK(vuln_load_file(db, "osv/Go", zp, &o2, &st) == DOU_ETOOBIG);

        /* truncated file and non-zip */
        FILE *f = fopen(zp, "r+");
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        fclose(f);
        CHECK(truncate(zp, sz / 2) == 0);
        CHECK(vuln_load_file(db, "osv/Go", zp, &o, &st) < 0);
        CHECK(vuln_load_file(db, "osv/Go", VULN_DATA "/tracker.json", &o, &st) < 0);
        CHECK_INT(q1(db, "SELECT count(*) FROM advisory WHERE source='osv/Go' AND id='GO-1'"), 1);
        CHECK(vuln_load_file(db, "nonsense", zp, &o, &st) < 0);

        /* the diff from before the first load to the good op lists GO-1 */
        json_t *d = NULL;
        CHECK_INT(vuln_db_diff(db, 0, good_op, &d), 0);
        CHECK_INT(json_array_size(json_object_get(d, "added")), 1);
        json_decref(d);
        unlink(zp);
        vuln_db_close(db);
        unlink(dbpath);
}

TEST(alpine_malformed)
{
        int cnt = 0;
        nskips = 0;
        const char *j1 = "{\"distroversion\":\"v3.9\",\"packages\":[{\"pkg\":{\"name\":\"a\",\"secfixes\":"
                         "{\"1.0-r0\":null,\"1.1-r0\":[\"CVE-2019-1000 XSA-1\",5,\"(x)\"],\"0\":[\"CVE-2019-2000\"]}}},"
                         "{\"pkg\":{}},{\"pkg\":{\"name\":\"b\",\"secfixes\":[1]}}]}";
        CHECK_INT(alpine_secdb_parse(j1, strlen(j1), 0, count_cb, count_skip, &cnt), 0);
        CHECK_INT(cnt, 2);
        CHECK_INT(nskips, 4);
        const char *bad[] = { "{\"distroversion\":\"../x\",\"packages\":[]}", "[]", "{",
                              "distroversion: v3.9\npackages: &a [*a]\n" };
        for (size_t i = 0; i < 4; i++)
                CHECK(alpine_secdb_parse(bad[i], strlen(bad[i]), i == 3, count_cb, NULL, &cnt) < 0);
}

TAP_MAIN()
