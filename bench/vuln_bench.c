/*
 * vuln_bench.c - figures for issue 4 (run through bench/vuln.sh):
 *   1. load every shared feed into a fresh database (time, counts);
 *   2. match a 1,000-package index report (880 real packages of this Debian 12
 *      host + 120 PyPI/Go packages, some pinned below known fixes), many runs;
 *   3. re-match N stored index reports (files in a directory, no layer read):
 *      the baseline pass, then a pass after a database update.
 * Reports are derived deterministically (fixed PRNG seed) from the 1,000
 * package set: 100..500 packages each, a few versions varied per image.
 */
#include "vuln/vuln.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

static long long q1(struct vuln_db *db, const char *sql)
{
        sqlite3_stmt *st;
        long long v = -1;
        if (sqlite3_prepare_v2(vuln_db_sqlite(db), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

static void add_lang(struct vuln_db *db, json_t *pkgs, const char *eco, const char *type, const char *ver, int n)
{
        sqlite3_stmt *st;
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT DISTINCT package FROM affected WHERE ecosystem='%s' ORDER BY package LIMIT %d", eco, n);
        sqlite3_prepare_v2(vuln_db_sqlite(db), sql, -1, &st, NULL);
        while (sqlite3_step(st) == SQLITE_ROW)
                json_array_append_new(pkgs, json_pack("{s:s, s:s, s:s, s:n, s:[{s:s, s:s}], s:n}", "type", type,
                        "name", sqlite3_column_text(st, 0), "version", ver, "source", "locations",
                        "layer", "sha256:2222", "path", "usr/lib/app/manifest", "owner"));
        sqlite3_finalize(st);
}

static int cmp_d(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        if (argc < 4) {
                fprintf(stderr, "usage: vuln_bench FEEDS_DIR DATA_DIR WORK_DIR [N_REPORTS]\n");
                return 2;
        }
        const char *feeds = argv[1], *data = argv[2], *work = argv[3];
        int nrep = argc > 4 ? atoi(argv[4]) : 10000;
        char path[4096], rdir[2048];
        struct vuln_db *db = NULL;
        double t0, t1;

        setvbuf(stdout, NULL, _IOLBF, 0);
        fs_mkdir_p(work, 0755);
        snprintf(path, sizeof(path), "%s/bench.db", work);
        unlink(path);
        if (vuln_db_open(path, &db) < 0) {
                fprintf(stderr, "open: %s\n", dou_err_msg());
                return 1;
        }
        /* 1. load */
        t0 = now_ms();
        if (vuln_import_dir(db, feeds, NULL, NULL, NULL) < 0) {
                fprintf(stderr, "import: %s\n", dou_err_msg());
                return 1;
        }
        t1 = now_ms();
        printf("load: all shared feeds in %.2f s: %lld advisories, %lld affected rows, %lld aliases\n",
               (t1 - t0) / 1e3, q1(db, "SELECT count(*) FROM advisory"), q1(db, "SELECT count(*) FROM affected"),
               q1(db, "SELECT count(*) FROM alias"));

        /* 2. a 1,000-package report */
        char *buf = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "%s/debian12.json", data);
        if (fs_read_small(path, 64u << 20, &buf, &len) < 0) {
                fprintf(stderr, "%s: %s\n", path, dou_err_msg());
                return 1;
        }
        json_t *base = json_loadb(buf, len, 0, NULL);
        free(buf);
        json_t *pkgs = json_object_get(base, "packages"), *p;
        size_t i;
        json_array_foreach(pkgs, i, p) {
                const char *src = json_string_value(json_object_get(json_object_get(p, "source"), "name"));
                if (src && !strcmp(src, "glibc"))
                        json_object_set_new(json_object_get(p, "source"), "version", json_string("2.36-9+deb12u2"));
                if (src && !strcmp(src, "openssl"))
                        json_object_set_new(json_object_get(p, "source"), "version", json_string("3.0.11-1~deb12u1"));
        }
        add_lang(db, pkgs, "PyPI", "pypi", "1.0.0", 60);
        add_lang(db, pkgs, "Go", "golang", "v0.0.1", (int)(1000 - json_array_size(pkgs)));
        size_t npk = json_array_size(pkgs);
        enum { RUNS = 200 };
        double t[RUNS];
        size_t nf = 0;
        for (int r = 0; r < RUNS; r++) {
                json_t *vr = NULL;
                t0 = now_ms();
                vuln_match_report(db, base, NULL, &vr);
                t[r] = now_ms() - t0;
                nf = json_array_size(json_object_get(json_array_get(json_object_get(vr, "results"), 0), "findings"));
                json_decref(vr);
        }
        qsort(t, RUNS, sizeof(t[0]), cmp_d);
        printf("match: %zu-package report, %zu findings: median %.2f ms, p99 %.2f ms, max %.2f ms (%d runs)\n",
               npk, nf, t[RUNS / 2], t[RUNS * 99 / 100], t[RUNS - 1], RUNS);

        /* 3. N stored reports */
        snprintf(rdir, sizeof(rdir), "%s/reports", work);
        fs_mkdir_p(rdir, 0755);
        static const char *glibc_v[] = { "2.36-9+deb12u2", "2.36-9+deb12u3", "2.36-9+deb12u4", "2.36-9+deb12u7", "2.36-9+deb12u9" };
        size_t total_pk = 0;
        t0 = now_ms();
        for (int k = 0; k < nrep; k++) {
                json_t *rep = json_pack("{s:s, s:s, s:s, s:O, s:[]}", "schema", "douane.index-report/v1",
                                        "image", "bench/img", "platform", "linux/amd64",
                                        "distribution", json_object_get(base, "distribution"), "packages");
                char man[80];
                snprintf(man, sizeof(man), "sha256:%064x", k);
                json_object_set_new(rep, "manifest", json_string(man));
                size_t want = 100 + next_rand() % 401;
                json_t *out = json_object_get(rep, "packages");
                for (size_t j = 0; j < want; j++) {
                        json_t *c = json_deep_copy(json_array_get(pkgs, next_rand() % npk));
                        const char *src = json_string_value(json_object_get(json_object_get(c, "source"), "name"));
                        if (src && !strcmp(src, "glibc"))
                                json_object_set_new(json_object_get(c, "source"), "version",
                                                    json_string(glibc_v[next_rand() % 5]));
                        json_array_append_new(out, c);
                }
                total_pk += want;
                char *s = json_dumps(rep, JSON_COMPACT);
                FILE *f = snprintf(path, sizeof(path), "%s/r%05d.json", rdir, k) < (int)sizeof(path)
                        ? fopen(path, "w") : NULL;
                if (f) {
                        fputs(s, f);
                        fclose(f);
                }
                free(s);
                json_decref(rep);
        }
        printf("rematch: wrote %d reports (%zu packages, avg %.0f) in %.1f s\n", nrep, total_pk,
               (double)total_pk / nrep, (now_ms() - t0) / 1e3);
        /* the floor: reading and parsing the stored reports, nothing else */
        t0 = now_ms();
        for (int k = 0; k < nrep; k++) {
                char *b = NULL;
                size_t bl = 0;
                snprintf(path, sizeof(path), "%s/r%05d.json", rdir, k);
                if (fs_read_small(path, 64u << 20, &b, &bl) == 0)
                        json_decref(json_loadb(b, bl, 0, NULL));
                free(b);
        }
        printf("rematch: reading + parsing the %d reports alone: %.2f s\n", nrep, (now_ms() - t0) / 1e3);
        t0 = now_ms();
        int c1 = vuln_rematch_all(db, rdir, NULL, NULL);
        t1 = now_ms();
        printf("rematch: baseline pass over %d stored reports: %.2f s (%d changes)\n", nrep, (t1 - t0) / 1e3, c1);
        /* an update: the Debian tracker fixture adds/changes advisories for glibc, openssl, curl, zlib */
        snprintf(path, sizeof(path), "%s/tracker.json", data);
        struct vuln_load_stats st;
        if (vuln_load_file(db, "debian", path, NULL, &st) < 0)
                fprintf(stderr, "tracker: %s\n", dou_err_msg());
        t0 = now_ms();
        int c2 = vuln_rematch_all(db, rdir, NULL, NULL);
        t1 = now_ms();
        printf("rematch: after db update, %d stored reports: %.2f s (%d changes recorded)\n", nrep, (t1 - t0) / 1e3, c2);
        json_decref(base);
        vuln_db_close(db);
        return 0;
}
