/*
 * rpm_sqlite.c - the SQLite rpmdb (rpm >= 4.16): table Packages(hnum, blob),
 * one rpm header blob per row.
 *
 * SQLite needs the whole file, so it is buffered (bounded by
 * LANG_MAX_BUFFER) and opened with sqlite3_deserialize(), read-only, in
 * defensive mode with untrusted schema, so a hostile database can run no
 * triggers or functions and never touches the filesystem. A WAL-mode
 * header is switched to rollback mode in our private copy (pages still in
 * an -wal file are not seen). A progress handler bounds the work.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/lang/lang_int.h"
#include "util/err.h"

#define RPM_SQLITE_MAX_STEPS 2000000000ull    /* VM op budget (in units of 1000) */
#define RPM_SQLITE_MAX_ROWS 1000000

static int progress_cb(void *ctx)
{
        unsigned long long *n = ctx;
        return ++*n > RPM_SQLITE_MAX_STEPS / 1000;
}

int lang__rpm_sqlite_parse_buf(uint8_t *buf, size_t len, const struct scan_file *f,
                               struct pkg_list *out)
{
        static const char magic[16] = "SQLite format 3";
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        unsigned long long steps = 0;
        int r = 0, first_err = 0, rc;

        if (len < 100 || memcmp(buf, magic, 16) != 0)
                return dou_err_set(DOU_EINVAL, "%s: not an SQLite database", f->path);
        if (buf[18] == 2)
                buf[18] = 1;
        if (buf[19] == 2)
                buf[19] = 1;
        if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
                r = dou_err_set(DOU_EDB, "%s: sqlite open failed", f->path);
                goto out;
        }
        sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
        sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
        sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
        sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 256 << 20);
        sqlite3_progress_handler(db, 1000, progress_cb, &steps);
        rc = sqlite3_deserialize(db, "main", buf, (sqlite3_int64)len, (sqlite3_int64)len,
                                 SQLITE_DESERIALIZE_READONLY);
        if (rc != SQLITE_OK) {
                r = dou_err_set(DOU_EINVAL, "%s: sqlite: %s", f->path, sqlite3_errmsg(db));
                goto out;
        }
        sqlite3_exec(db, "PRAGMA cell_size_check=ON", NULL, NULL, NULL);
        if (sqlite3_prepare_v2(db, "SELECT blob FROM Packages", -1, &st, NULL) != SQLITE_OK) {
                r = dou_err_set(DOU_EINVAL, "%s: no rpm Packages table: %s", f->path,
                                sqlite3_errmsg(db));
                goto out;
        }
        for (int rows = 0;; rows++) {
                rc = sqlite3_step(st);
                if (rc == SQLITE_DONE)
                        break;
                if (rc != SQLITE_ROW) {
                        r = dou_err_set(DOU_EINVAL, "%s: sqlite: %s", f->path, sqlite3_errmsg(db));
                        goto out;
                }
                if (rows >= RPM_SQLITE_MAX_ROWS) {
                        r = dou_err_set(DOU_ETOOBIG, "%s: more than %d rows", f->path,
                                        RPM_SQLITE_MAX_ROWS);
                        goto out;
                }
                const void *blob = sqlite3_column_blob(st, 0);
                int n = sqlite3_column_bytes(st, 0);
                int e = lang__rpm_header_parse(blob ? blob : "", blob ? (size_t)n : 0, f, out);
                if (e == DOU_ETOOBIG || e == DOU_ENOMEM) {
                        r = e;
                        goto out;
                }
                if (e < 0 && !first_err) {
                        char why[256];
                        snprintf(why, sizeof(why), "%s", dou_err_msg());
                        first_err = dou_err_set(e, "%s (row %d)", why, rows);
                }
        }
        r = first_err;
out:
        sqlite3_finalize(st);
        sqlite3_close(db);
        return r;
}

int lang__rpm_sqlite_parse(const struct scan_file *f, struct pkg_list *out)
{
        char *buf = NULL;
        size_t len = 0;
        int r = lang__read_all(f, LANG_MAX_BUFFER, &buf, &len);
        if (r < 0)
                return r;
        r = lang__rpm_sqlite_parse_buf((uint8_t *)buf, len, f, out);
        free(buf);
        return r;
}
