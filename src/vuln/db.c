/*
 * db.c - the advisory database (SQLite, its own file, default DATA/vuln.db).
 *
 * Invariants:
 *  - a source's advisories are replaced only inside one transaction
 *    (vuln_db_load_begin .. commit/abort); readers see old or new, never a mix;
 *  - (source, id) is unique; an advisory is "changed" when the SHA-256 of its
 *    normalised JSON (sorted keys) changes, so re-loading identical data
 *    records zero changes;
 *  - every load is an operation row; per-advisory changes go to op_change so
 *    the difference between any two operations can be computed later;
 *  - affected rows are looked up by (ecosystem, package) through an index;
 *    names are stored normalised (vuln_name_normalize).
 * One handle belongs to one thread (SQLite handles are not shared).
 */
#include "vuln/vuln_int.h"
#include "util/digest.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char schema[] =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA cache_size=-65536;"
        "PRAGMA mmap_size=268435456;"
        "CREATE TABLE IF NOT EXISTS op(id INTEGER PRIMARY KEY, source TEXT NOT NULL,"
        " started TEXT, finished TEXT, status TEXT, added INT DEFAULT 0, changed INT DEFAULT 0,"
        " removed INT DEFAULT 0, unchanged INT DEFAULT 0, skipped INT DEFAULT 0,"
        " etag TEXT, last_modified TEXT, error TEXT);"
        "CREATE TABLE IF NOT EXISTS source_state(source TEXT PRIMARY KEY, etag TEXT,"
        " last_modified TEXT, op INTEGER);"
        "CREATE TABLE IF NOT EXISTS advisory(rid INTEGER PRIMARY KEY, source TEXT NOT NULL,"
        " id TEXT NOT NULL, summary TEXT, severity TEXT, score REAL, cvss_v3 TEXT, cvss_v4 TEXT,"
        " published TEXT, modified TEXT, withdrawn TEXT, aliases TEXT, refs TEXT, link TEXT,"
        " hash TEXT NOT NULL, seen_op INTEGER, UNIQUE(source, id));"
        "CREATE TABLE IF NOT EXISTS alias(rid INTEGER NOT NULL, alias TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS alias_by_name ON alias(alias);"
        "CREATE INDEX IF NOT EXISTS alias_by_rid ON alias(rid);"
        "CREATE TABLE IF NOT EXISTS affected(rid INTEGER NOT NULL, ecosystem TEXT NOT NULL,"
        " package TEXT NOT NULL, status TEXT NOT NULL, urgency TEXT, fixed TEXT, ranges TEXT,"
        " versions TEXT);"
        "CREATE INDEX IF NOT EXISTS affected_by_pkg ON affected(ecosystem, package);"
        "CREATE INDEX IF NOT EXISTS affected_by_rid ON affected(rid);"
        "CREATE TABLE IF NOT EXISTS op_change(op INTEGER NOT NULL, source TEXT, id TEXT, kind TEXT);"
        "CREATE INDEX IF NOT EXISTS op_change_by_op ON op_change(op);"
        "CREATE TABLE IF NOT EXISTS image_finding(image TEXT NOT NULL, key TEXT NOT NULL,"
        " PRIMARY KEY(image, key)) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS report_cache(file TEXT PRIMARY KEY, mtime INT, size INT,"
        " blob TEXT);"
        "CREATE TABLE IF NOT EXISTS change(id INTEGER PRIMARY KEY, op INTEGER, image TEXT,"
        " kind TEXT, vuln TEXT, package TEXT, version TEXT, time TEXT);";

void vuln__now(char *buf, size_t len)
{
        time_t t = time(NULL);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int vuln__exec(struct vuln_db *db, const char *sql)
{
        char *err = NULL;

        if (sqlite3_exec(db->sql, sql, NULL, NULL, &err) != SQLITE_OK) {
                int rc = dou_err_set(DOU_EDB, "sqlite: %s", err ? err : "?");
                sqlite3_free(err);
                return rc;
        }
        return 0;
}

static int prep(struct vuln_db *db, sqlite3_stmt **st, const char *sql)
{
        if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
                return dou_err_set(DOU_EDB, "sqlite prepare: %s", sqlite3_errmsg(db->sql));
        return 0;
}

int vuln_db_open(const char *path, struct vuln_db **ret)
{
        struct vuln_db *db = calloc(1, sizeof(*db));
        int rc;

        if (!db)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        if (sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
                rc = dou_err_set(DOU_EDB, "open %s: %s", path,
                                 db->sql ? sqlite3_errmsg(db->sql) : "out of memory");
                vuln_db_close(db);
                return rc;
        }
        sqlite3_busy_timeout(db->sql, 10000);
        if ((rc = vuln__exec(db, schema)) < 0 ||
            (rc = prep(db, &db->st_find, "SELECT rid, hash, seen_op FROM advisory WHERE source=?1 AND id=?2")) < 0 ||
            (rc = prep(db, &db->st_ins_adv, "INSERT INTO advisory(source,id,summary,severity,score,"
                       "cvss_v3,cvss_v4,published,modified,withdrawn,aliases,refs,link,hash,seen_op)"
                       " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)")) < 0 ||
            (rc = prep(db, &db->st_upd_adv, "UPDATE advisory SET summary=?3,severity=?4,score=?5,"
                       "cvss_v3=?6,cvss_v4=?7,published=?8,modified=?9,withdrawn=?10,aliases=?11,"
                       "refs=?12,link=?13,hash=?14,seen_op=?15 WHERE source=?1 AND id=?2")) < 0 ||
            (rc = prep(db, &db->st_seen, "UPDATE advisory SET seen_op=?2 WHERE rid=?1")) < 0 ||
            (rc = prep(db, &db->st_del_aff, "DELETE FROM affected WHERE rid=?1")) < 0 ||
            (rc = prep(db, &db->st_del_alias, "DELETE FROM alias WHERE rid=?1")) < 0 ||
            (rc = prep(db, &db->st_ins_aff, "INSERT INTO affected(rid,ecosystem,package,status,"
                       "urgency,fixed,ranges,versions) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)")) < 0 ||
            (rc = prep(db, &db->st_ins_alias, "INSERT INTO alias(rid,alias) VALUES(?1,?2)")) < 0 ||
            (rc = prep(db, &db->st_change, "INSERT INTO op_change(op,source,id,kind) VALUES(?1,?2,?3,?4)")) < 0 ||
            (rc = prep(db, &db->st_match, "SELECT a.id, a.aliases, a.severity, a.score, a.withdrawn,"
                       " a.link, a.summary, a.source, f.status, f.urgency, f.fixed, f.ranges,"
                       " f.versions, a.cvss_v3 FROM affected f JOIN advisory a ON a.rid = f.rid"
                       " WHERE f.ecosystem=?1 AND f.package=?2 ORDER BY a.id")) < 0) {
                vuln_db_close(db);
                return rc;
        }
        *ret = db;
        return 0;
}

struct vuln_db *vuln_db_close(struct vuln_db *db)
{
        if (!db)
                return NULL;
        sqlite3_stmt *all[] = { db->st_find, db->st_ins_adv, db->st_upd_adv, db->st_seen,
                                db->st_del_aff, db->st_del_alias, db->st_ins_aff,
                                db->st_ins_alias, db->st_change, db->st_match, db->st_if_sel,
                                db->st_if_ins, db->st_if_del, db->st_chg_ins, db->st_live,
                                db->st_rc_get, db->st_rc_put };
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
                sqlite3_finalize(all[i]);
        if (db->source)
                vuln_db_load_abort(db, "handle closed during load");
        sqlite3_close(db->sql);
        json_decref(db->pkgsets);
        free(db->source);
        free(db);
        return NULL;
}

void *vuln_db_sqlite(struct vuln_db *db)
{
        return db->sql;
}

static int step_done(struct vuln_db *db, sqlite3_stmt *st)
{
        int r = sqlite3_step(st);

        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (r != SQLITE_DONE && r != SQLITE_ROW)
                return dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        return 0;
}

int vuln_db_load_begin(struct vuln_db *db, const char *source, int64_t *ret_op)
{
        sqlite3_stmt *st;
        int rc;

        if (db->source)
                return dou_err_set(DOU_EBUSY, "a load is already in progress on this handle");
        if ((rc = vuln__exec(db, "BEGIN IMMEDIATE")) < 0)
                return rc;
        vuln__now(db->started, sizeof(db->started));
        if (sqlite3_prepare_v2(db->sql, "INSERT INTO op(source, started, status) VALUES(?1, ?2, 'running')",
                               -1, &st, NULL) != SQLITE_OK) {
                vuln__exec(db, "ROLLBACK");
                return dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        }
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, db->started, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        sqlite3_finalize(st);
        if (rc < 0 || !(db->source = strdup(source))) {
                vuln__exec(db, "ROLLBACK");
                return rc < 0 ? rc : dou_err_set(DOU_ENOMEM, "out of memory");
        }
        db->op = sqlite3_last_insert_rowid(db->sql);
        memset(&db->st, 0, sizeof(db->st));
        db->st.op = db->op;
        if (ret_op)
                *ret_op = db->op;
        return 0;
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
        if (s)
                sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, i);
}

static void bind_json(sqlite3_stmt *st, int i, const json_t *v)
{
        char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;

        if (s)
                sqlite3_bind_text(st, i, s, -1, free);
        else
                sqlite3_bind_null(st, i);
}

static int record_change(struct vuln_db *db, const char *id, const char *kind)
{
        sqlite3_bind_int64(db->st_change, 1, db->op);
        bind_str(db->st_change, 2, db->source);
        bind_str(db->st_change, 3, id);
        bind_str(db->st_change, 4, kind);
        return step_done(db, db->st_change);
}

static int insert_children(struct vuln_db *db, int64_t rid, const json_t *adv)
{
        const json_t *a;
        size_t i;
        int rc;

        json_array_foreach(json_object_get(adv, "aliases"), i, a) {
                sqlite3_bind_int64(db->st_ins_alias, 1, rid);
                bind_str(db->st_ins_alias, 2, json_string_value(a));
                if ((rc = step_done(db, db->st_ins_alias)) < 0)
                        return rc;
        }
        json_array_foreach(json_object_get(adv, "affected"), i, a) {
                sqlite3_bind_int64(db->st_ins_aff, 1, rid);
                bind_str(db->st_ins_aff, 2, vuln__str(a, "ecosystem"));
                bind_str(db->st_ins_aff, 3, vuln__str(a, "package"));
                bind_str(db->st_ins_aff, 4, vuln__str(a, "status"));
                bind_str(db->st_ins_aff, 5, vuln__str(a, "urgency"));
                bind_str(db->st_ins_aff, 6, vuln__str(a, "fixed"));
                bind_json(db->st_ins_aff, 7, json_object_get(a, "ranges"));
                bind_json(db->st_ins_aff, 8, json_object_get(a, "versions"));
                if ((rc = step_done(db, db->st_ins_aff)) < 0)
                        return rc;
        }
        return 0;
}

static void bind_adv(sqlite3_stmt *st, struct vuln_db *db, const json_t *adv, const char *hash)
{
        const json_t *score = json_object_get(adv, "score");

        bind_str(st, 1, db->source);
        bind_str(st, 2, vuln__str(adv, "id"));
        bind_str(st, 3, vuln__str(adv, "summary"));
        bind_str(st, 4, vuln__str(adv, "severity"));
        if (json_is_number(score))
                sqlite3_bind_double(st, 5, json_number_value(score));
        else
                sqlite3_bind_null(st, 5);
        bind_str(st, 6, vuln__str(adv, "cvss_v3"));
        bind_str(st, 7, vuln__str(adv, "cvss_v4"));
        bind_str(st, 8, vuln__str(adv, "published"));
        bind_str(st, 9, vuln__str(adv, "modified"));
        bind_str(st, 10, vuln__str(adv, "withdrawn"));
        bind_json(st, 11, json_object_get(adv, "aliases"));
        bind_json(st, 12, json_object_get(adv, "references"));
        bind_str(st, 13, vuln__str(adv, "link"));
        bind_str(st, 14, hash);
        sqlite3_bind_int64(st, 15, db->op);
}

int vuln_db_load_put(struct vuln_db *db, const json_t *adv)
{
        const char *id = vuln__str(adv, "id");
        struct digest d;
        char *dump;
        int64_t rid = 0, seen = 0;
        int rc, exists = 0, same = 0;

        if (!db->source)
                return dou_err_set(DOU_EINTERNAL, "put outside a load");
        if (!id)
                return dou_err_set(DOU_EINVAL, "advisory without id");
        dump = json_dumps(adv, JSON_COMPACT | JSON_SORT_KEYS);
        if (!dump)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        rc = digest_buf(DIGEST_SHA256, dump, strlen(dump), &d);
        free(dump);
        if (rc < 0)
                return rc;
        bind_str(db->st_find, 1, db->source);
        bind_str(db->st_find, 2, id);
        if (sqlite3_step(db->st_find) == SQLITE_ROW) {
                exists = 1;
                rid = sqlite3_column_int64(db->st_find, 0);
                same = !strcmp((const char *)sqlite3_column_text(db->st_find, 1), d.str);
                seen = sqlite3_column_int64(db->st_find, 2);
        }
        sqlite3_reset(db->st_find);
        sqlite3_clear_bindings(db->st_find);
        if (exists && seen == db->op)
                return same ? 0 : dou_err_set(DOU_EEXIST, "duplicate id %s in source", id);
        if (exists && same) {
                sqlite3_bind_int64(db->st_seen, 1, rid);
                sqlite3_bind_int64(db->st_seen, 2, db->op);
                db->st.unchanged++;
                return step_done(db, db->st_seen);
        }
        if (exists) {
                sqlite3_bind_int64(db->st_del_aff, 1, rid);
                if ((rc = step_done(db, db->st_del_aff)) < 0)
                        return rc;
                sqlite3_bind_int64(db->st_del_alias, 1, rid);
                if ((rc = step_done(db, db->st_del_alias)) < 0)
                        return rc;
                bind_adv(db->st_upd_adv, db, adv, d.str);
                if ((rc = step_done(db, db->st_upd_adv)) < 0)
                        return rc;
                db->st.changed++;
        } else {
                bind_adv(db->st_ins_adv, db, adv, d.str);
                if ((rc = step_done(db, db->st_ins_adv)) < 0)
                        return rc;
                rid = sqlite3_last_insert_rowid(db->sql);
                db->st.added++;
        }
        if ((rc = insert_children(db, rid, adv)) < 0)
                return rc;
        return record_change(db, id, exists ? "changed" : "added");
}

void vuln_db_load_skipped(struct vuln_db *db)
{
        db->st.skipped++;
}

static int remove_unseen(struct vuln_db *db)
{
        sqlite3_stmt *st;
        int rc = 0;

        if (sqlite3_prepare_v2(db->sql, "SELECT id FROM advisory WHERE source=?1 AND seen_op<>?2",
                               -1, &st, NULL) != SQLITE_OK)
                return dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        sqlite3_bind_text(st, 1, db->source, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, db->op);
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
                rc = record_change(db, (const char *)sqlite3_column_text(st, 0), "removed");
                db->st.removed++;
        }
        sqlite3_finalize(st);
        if (rc < 0)
                return rc;
        st = NULL;
        for (int pass = 0; pass < 3; pass++) {
                static const char *del[] = {
                        "DELETE FROM affected WHERE rid IN (SELECT rid FROM advisory WHERE source=?1 AND seen_op<>?2)",
                        "DELETE FROM alias WHERE rid IN (SELECT rid FROM advisory WHERE source=?1 AND seen_op<>?2)",
                        "DELETE FROM advisory WHERE source=?1 AND seen_op<>?2",
                };
                sqlite3_finalize(st);
                if (sqlite3_prepare_v2(db->sql, del[pass], -1, &st, NULL) != SQLITE_OK)
                        return dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
                sqlite3_bind_text(st, 1, db->source, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 2, db->op);
                if (sqlite3_step(st) != SQLITE_DONE) {
                        rc = dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
                        break;
                }
        }
        sqlite3_finalize(st);
        return rc;
}

int vuln_db_load_commit(struct vuln_db *db, const char *etag, const char *last_modified,
                        struct vuln_load_stats *ret)
{
        char now[32];
        sqlite3_stmt *st;
        int rc;

        if (!db->source)
                return dou_err_set(DOU_EINTERNAL, "commit outside a load");
        if ((rc = remove_unseen(db)) < 0)
                goto fail;
        vuln__now(now, sizeof(now));
        if (sqlite3_prepare_v2(db->sql, "UPDATE op SET finished=?2, status='ok', added=?3, changed=?4,"
                               " removed=?5, unchanged=?6, skipped=?7, etag=?8, last_modified=?9 WHERE id=?1",
                               -1, &st, NULL) != SQLITE_OK) {
                rc = dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
                goto fail;
        }
        sqlite3_bind_int64(st, 1, db->op);
        sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, (int)db->st.added);
        sqlite3_bind_int(st, 4, (int)db->st.changed);
        sqlite3_bind_int(st, 5, (int)db->st.removed);
        sqlite3_bind_int(st, 6, (int)db->st.unchanged);
        sqlite3_bind_int(st, 7, (int)db->st.skipped);
        bind_str(st, 8, etag);
        bind_str(st, 9, last_modified);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        sqlite3_finalize(st);
        if (rc < 0)
                goto fail;
        if (sqlite3_prepare_v2(db->sql, "INSERT INTO source_state(source, etag, last_modified, op)"
                               " VALUES(?1,?2,?3,?4) ON CONFLICT(source) DO UPDATE SET"
                               " etag=excluded.etag, last_modified=excluded.last_modified, op=excluded.op",
                               -1, &st, NULL) != SQLITE_OK) {
                rc = dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
                goto fail;
        }
        bind_str(st, 1, db->source);
        bind_str(st, 2, etag);
        bind_str(st, 3, last_modified);
        sqlite3_bind_int64(st, 4, db->op);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        sqlite3_finalize(st);
        if (rc < 0 || (rc = vuln__exec(db, "COMMIT")) < 0)
                goto fail;
        if (ret)
                *ret = db->st;
        free(db->source);
        db->source = NULL;
        return 0;
fail:
        vuln_db_load_abort(db, dou_err_msg());
        return rc;
}

static int insert_op(struct vuln_db *db, const char *source, const char *started,
                     const char *status, const char *error, int64_t *ret_op)
{
        char now[32];
        sqlite3_stmt *st;
        int rc;

        vuln__now(now, sizeof(now));
        if (sqlite3_prepare_v2(db->sql, "INSERT INTO op(source, started, finished, status, error)"
                               " VALUES(?1,?2,?3,?4,?5)", -1, &st, NULL) != SQLITE_OK)
                return dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        bind_str(st, 1, source);
        bind_str(st, 2, started ? started : now);
        bind_str(st, 3, now);
        bind_str(st, 4, status);
        bind_str(st, 5, error);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        sqlite3_finalize(st);
        if (rc == 0 && ret_op)
                *ret_op = sqlite3_last_insert_rowid(db->sql);
        return rc;
}

void vuln_db_load_abort(struct vuln_db *db, const char *reason)
{
        char *why;

        if (!db->source)
                return;
        why = strdup(reason ? reason : "aborted");
        if (!sqlite3_get_autocommit(db->sql))
                vuln__exec(db, "ROLLBACK");
        insert_op(db, db->source, db->started, "failed", why, NULL);
        free(why);
        free(db->source);
        db->source = NULL;
}

int vuln_db_record_unchanged(struct vuln_db *db, const char *source, int64_t *ret_op)
{
        return insert_op(db, source, NULL, "not-modified", NULL, ret_op);
}

int vuln_db_source_state(struct vuln_db *db, const char *source, char **ret_etag,
                         char **ret_lm)
{
        sqlite3_stmt *st;
        char *e = NULL, *l = NULL;

        if (sqlite3_prepare_v2(db->sql, "SELECT etag, last_modified FROM source_state WHERE source=?1",
                               -1, &st, NULL) != SQLITE_OK)
                return dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
                if (sqlite3_column_text(st, 0))
                        e = strdup((const char *)sqlite3_column_text(st, 0));
                if (sqlite3_column_text(st, 1))
                        l = strdup((const char *)sqlite3_column_text(st, 1));
        }
        sqlite3_finalize(st);
        *ret_etag = e;
        *ret_lm = l;
        return 0;
}

int64_t vuln_db_last_op(struct vuln_db *db)
{
        sqlite3_stmt *st;
        int64_t id = 0;

        if (sqlite3_prepare_v2(db->sql, "SELECT max(id) FROM op", -1, &st, NULL) != SQLITE_OK)
                return 0;
        if (sqlite3_step(st) == SQLITE_ROW)
                id = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return id;
}

static json_t *col_json(sqlite3_stmt *st, int i)
{
        switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER:
                return json_integer(sqlite3_column_int64(st, i));
        case SQLITE_FLOAT:
                return json_real(sqlite3_column_double(st, i));
        case SQLITE_TEXT:
                return json_string((const char *)sqlite3_column_text(st, i));
        default:
                return json_null();
        }
}

/* Rows of a query as objects keyed by column name. */
static json_t *query_rows(struct vuln_db *db, const char *sql, int64_t a, int64_t b)
{
        sqlite3_stmt *st;
        json_t *rows = json_array();

        if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
                dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
                json_decref(rows);
                return NULL;
        }
        if (sqlite3_bind_parameter_count(st) >= 1)
                sqlite3_bind_int64(st, 1, a);
        if (sqlite3_bind_parameter_count(st) >= 2)
                sqlite3_bind_int64(st, 2, b);
        while (sqlite3_step(st) == SQLITE_ROW) {
                json_t *o = json_object();
                for (int i = 0; i < sqlite3_column_count(st); i++)
                        json_object_set_new(o, sqlite3_column_name(st, i), col_json(st, i));
                json_array_append_new(rows, o);
        }
        sqlite3_finalize(st);
        return rows;
}

int vuln_db_status(struct vuln_db *db, size_t max_ops, json_t **ret)
{
        json_t *ops = query_rows(db, "SELECT * FROM (SELECT id, source, started, finished, status, added,"
                                 " changed, removed, unchanged, skipped, etag, last_modified, error"
                                 " FROM op ORDER BY id DESC LIMIT ?1) ORDER BY id", (int64_t)max_ops, 0);
        json_t *srcs = query_rows(db, "SELECT source, count(*) AS advisories FROM advisory GROUP BY source"
                                  " ORDER BY source", 0, 0);
        json_t *n = query_rows(db, "SELECT (SELECT count(*) FROM advisory) AS advisories,"
                               " (SELECT count(*) FROM affected) AS affected,"
                               " (SELECT count(*) FROM alias) AS aliases", 0, 0);

        if (!ops || !srcs || !n) {
                json_decref(ops);
                json_decref(srcs);
                json_decref(n);
                return DOU_EDB;
        }
        *ret = json_array_get(n, 0);
        json_incref(*ret);
        json_decref(n);
        json_object_set_new(*ret, "sources", srcs);
        json_object_set_new(*ret, "ops", ops);
        return 0;
}

int vuln_db_diff(struct vuln_db *db, int64_t op1, int64_t op2, json_t **ret)
{
        json_t *rows = query_rows(db, "SELECT source, id, kind FROM op_change WHERE op > ?1 AND op <= ?2"
                                  " ORDER BY op, rowid", op1, op2);
        json_t *net = json_object(), *r, *out;
        const char *key;
        size_t i;

        if (!rows) {
                json_decref(net);
                return DOU_EDB;
        }
        /* net effect per advisory: first and last kind over the interval */
        json_array_foreach(rows, i, r) {
                char k[VULN_ID_MAX + 128];
                snprintf(k, sizeof(k), "%s:%s", vuln__str(r, "source"), vuln__str(r, "id"));
                json_t *e = json_object_get(net, k);
                if (!e)
                        json_object_set_new(net, k, json_pack("[s,s]", vuln__str(r, "kind"), vuln__str(r, "kind")));
                else
                        json_array_set_new(e, 1, json_string(vuln__str(r, "kind")));
        }
        out = json_pack("{s:[], s:[], s:[]}", "added", "changed", "removed");
        json_object_foreach(net, key, r) {
                const char *first = json_string_value(json_array_get(r, 0));
                const char *last = json_string_value(json_array_get(r, 1));
                const char *kind;
                if (!strcmp(first, "added"))
                        kind = !strcmp(last, "removed") ? NULL : "added";
                else if (!strcmp(last, "removed"))
                        kind = "removed";
                else
                        kind = "changed";
                if (kind)
                        json_array_append_new(json_object_get(out, kind), json_string(key));
        }
        json_decref(rows);
        json_decref(net);
        *ret = out;
        return 0;
}

static json_t *parse_col(sqlite3_stmt *st, int i)
{
        const char *s = (const char *)sqlite3_column_text(st, i);
        json_t *v = s ? json_loads(s, 0, NULL) : NULL;

        return v ? v : json_array();
}

int vuln_db_foreach(struct vuln_db *db, const char *prefix,
                    int (*cb)(void *ctx, const char *source, json_t *adv), void *ctx)
{
        sqlite3_stmt *st, *fa;
        int rc = 0;

        if (sqlite3_prepare_v2(db->sql, "SELECT rid, source, id, summary, severity, score, cvss_v3, cvss_v4,"
                               " published, modified, withdrawn, aliases, refs, link FROM advisory"
                               " WHERE substr(source, 1, length(?1)) = ?1 ORDER BY source, id",
                               -1, &st, NULL) != SQLITE_OK)
                return dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        if (sqlite3_prepare_v2(db->sql, "SELECT ecosystem, package, status, urgency, fixed, ranges, versions"
                               " FROM affected WHERE rid=?1 ORDER BY rowid", -1, &fa, NULL) != SQLITE_OK) {
                sqlite3_finalize(st);
                return dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        }
        sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
        while (rc >= 0 && sqlite3_step(st) == SQLITE_ROW) {
                static const char *cols[] = { NULL, NULL, "id", "summary", "severity", "score",
                                              "cvss_v3", "cvss_v4", "published", "modified",
                                              "withdrawn" };
                json_t *adv = json_object(), *aff = json_array();
                for (int i = 2; i <= 10; i++)
                        json_object_set_new(adv, cols[i], col_json(st, i));
                json_object_set_new(adv, "aliases", parse_col(st, 11));
                json_object_set_new(adv, "references", parse_col(st, 12));
                json_object_set_new(adv, "link", col_json(st, 13));
                sqlite3_bind_int64(fa, 1, sqlite3_column_int64(st, 0));
                while (sqlite3_step(fa) == SQLITE_ROW) {
                        json_t *a = json_object();
                        static const char *fc[] = { "ecosystem", "package", "status", "urgency", "fixed" };
                        for (int i = 0; i < 5; i++)
                                json_object_set_new(a, fc[i], col_json(fa, i));
                        json_object_set_new(a, "ranges", parse_col(fa, 5));
                        json_object_set_new(a, "versions", parse_col(fa, 6));
                        json_array_append_new(aff, a);
                }
                sqlite3_reset(fa);
                json_object_set_new(adv, "affected", aff);
                rc = cb(ctx, (const char *)sqlite3_column_text(st, 1), adv);
                json_decref(adv);
        }
        sqlite3_finalize(fa);
        sqlite3_finalize(st);
        return rc < 0 ? rc : 0;
}
