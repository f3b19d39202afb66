/*
 * sqlite.c - the SQLite metadata store.
 *
 * DESIGN
 * Every thread gets its own connection (a pthread key holds it and closes
 * it when the thread exits), with prepared statements cached per
 * connection, so the read path (manifest GET by tag) is one indexed
 * SELECT with no locks of ours. WAL mode lets readers run beside the one
 * writer; synchronous=FULL because a push that returned 201 must survive
 * power loss.
 *
 * Writes that touch the content store run inside BEGIN IMMEDIATE: the
 * write lock is taken up front, so the publish step (a rename into the
 * blob store) and the rows that make it visible are one atomic step with
 * respect to gc, which takes the same lock. SQLite's lock is
 * cross-process, so `douane gc` in another process is safe too.
 */
#include "meta/meta.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUSY_TIMEOUT_MS 60000
/* A blob's gc clock is refreshed on access at most this often (seconds). */
#define TOUCH_INTERVAL 600

enum stmt_id {
        S_REPO_ID, S_REPO_INSERT, S_BLOB_UPSERT, S_LINK, S_BLOB_GET, S_BLOB_ANY, S_BLOB_TOUCH,
        S_UNLINK, S_MAN_BY_TAG, S_MAN_BY_DIGEST, S_MAN_INSERT, S_REF_INSERT, S_TAG_UPSERT,
        S_MAN_EXISTS, S_MAN_DELETE, S_REFS_DELETE, S_TAGS_DELETE_FOR, S_TAG_DELETE,
        S_TAGS_PAGE, S_CATALOG_PAGE, S_REFERRERS, S_REFERRERS_TYPE, S_UP_PUT, S_UP_GET,
        S_UP_DELETE, S_BLOB_IN_REPO,
        S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
        [S_REPO_ID] = "SELECT id FROM repos WHERE name = ?1",
        [S_REPO_INSERT] = "INSERT INTO repos(name, created) VALUES (?1, ?2) "
                          "ON CONFLICT(name) DO NOTHING",
        [S_BLOB_UPSERT] = "INSERT INTO blobs(digest, size, last_used) VALUES (?1, ?2, ?3) "
                          "ON CONFLICT(digest) DO UPDATE SET last_used = excluded.last_used",
        [S_LINK] = "INSERT OR IGNORE INTO repo_blobs(repo_id, digest) VALUES (?1, ?2)",
        [S_BLOB_GET] = "SELECT b.size, b.last_used FROM repos r JOIN repo_blobs rb ON rb.repo_id = r.id "
                       "JOIN blobs b ON b.digest = rb.digest WHERE r.name = ?1 AND rb.digest = ?2",
        [S_BLOB_ANY] = "SELECT size FROM blobs WHERE digest = ?1",
        [S_BLOB_TOUCH] = "UPDATE blobs SET last_used = ?2 WHERE digest = ?1",
        [S_UNLINK] = "DELETE FROM repo_blobs WHERE repo_id = ?1 AND digest = ?2",
        [S_MAN_BY_TAG] = "SELECT m.digest, m.media_type, m.size FROM repos r "
                         "JOIN tags t ON t.repo_id = r.id "
                         "JOIN manifests m ON m.repo_id = r.id AND m.digest = t.digest "
                         "WHERE r.name = ?1 AND t.name = ?2",
        [S_MAN_BY_DIGEST] = "SELECT m.digest, m.media_type, m.size FROM repos r "
                            "JOIN manifests m ON m.repo_id = r.id WHERE r.name = ?1 AND m.digest = ?2",
        [S_MAN_INSERT] = "INSERT INTO manifests(repo_id, digest, media_type, size, artifact_type, "
                         "subject, annotations, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                         "ON CONFLICT(repo_id, digest) DO UPDATE SET created = excluded.created",
        [S_REF_INSERT] = "INSERT OR IGNORE INTO manifest_refs(repo_id, digest, child, kind) "
                         "VALUES (?1, ?2, ?3, ?4)",
        [S_TAG_UPSERT] = "INSERT INTO tags(repo_id, name, digest, updated) VALUES (?1, ?2, ?3, ?4) "
                         "ON CONFLICT(repo_id, name) DO UPDATE SET digest = excluded.digest, "
                         "updated = excluded.updated",
        [S_MAN_EXISTS] = "SELECT 1 FROM manifests WHERE repo_id = ?1 AND digest = ?2",
        [S_MAN_DELETE] = "DELETE FROM manifests WHERE repo_id = ?1 AND digest = ?2",
        [S_REFS_DELETE] = "DELETE FROM manifest_refs WHERE repo_id = ?1 AND digest = ?2",
        [S_TAGS_DELETE_FOR] = "DELETE FROM tags WHERE repo_id = ?1 AND digest = ?2",
        [S_TAG_DELETE] = "DELETE FROM tags WHERE repo_id = ?1 AND name = ?2",
        [S_TAGS_PAGE] = "SELECT t.name FROM tags t JOIN repos r ON r.id = t.repo_id "
                        "WHERE r.name = ?1 AND t.name > ?2 ORDER BY t.name LIMIT ?3",
        [S_CATALOG_PAGE] = "SELECT name FROM repos WHERE name > ?1 ORDER BY name LIMIT ?2",
        [S_REFERRERS] = "SELECT m.digest, m.media_type, m.size, m.artifact_type, m.annotations "
                        "FROM manifests m JOIN repos r ON r.id = m.repo_id "
                        "WHERE r.name = ?1 AND m.subject = ?2 ORDER BY m.digest",
        [S_REFERRERS_TYPE] = "SELECT m.digest, m.media_type, m.size, m.artifact_type, m.annotations "
                             "FROM manifests m JOIN repos r ON r.id = m.repo_id "
                             "WHERE r.name = ?1 AND m.subject = ?2 AND m.artifact_type = ?3 "
                             "ORDER BY m.digest",
        [S_UP_PUT] = "INSERT INTO uploads(id, repo, created) VALUES (?1, ?2, ?3)",
        [S_UP_GET] = "SELECT repo FROM uploads WHERE id = ?1",
        [S_UP_DELETE] = "DELETE FROM uploads WHERE id = ?1",
        [S_BLOB_IN_REPO] = "SELECT 1 FROM repo_blobs WHERE repo_id = ?1 AND digest = ?2",
};

static const char schema[] =
        "CREATE TABLE IF NOT EXISTS repos(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
        "  created INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS blobs(digest TEXT PRIMARY KEY, size INTEGER NOT NULL,"
        "  last_used INTEGER NOT NULL) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS repo_blobs(repo_id INTEGER NOT NULL, digest TEXT NOT NULL,"
        "  PRIMARY KEY(repo_id, digest)) WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS repo_blobs_digest ON repo_blobs(digest);"
        "CREATE TABLE IF NOT EXISTS manifests(repo_id INTEGER NOT NULL, digest TEXT NOT NULL,"
        "  media_type TEXT NOT NULL, size INTEGER NOT NULL, artifact_type TEXT, subject TEXT,"
        "  annotations TEXT, created INTEGER NOT NULL, PRIMARY KEY(repo_id, digest)) WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS manifests_subject ON manifests(repo_id, subject)"
        "  WHERE subject IS NOT NULL;"
        "CREATE INDEX IF NOT EXISTS manifests_digest ON manifests(digest);"
        "CREATE TABLE IF NOT EXISTS manifest_refs(repo_id INTEGER NOT NULL, digest TEXT NOT NULL,"
        "  child TEXT NOT NULL, kind INTEGER NOT NULL,"
        "  PRIMARY KEY(repo_id, digest, kind, child)) WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS manifest_refs_child ON manifest_refs(child);"
        "CREATE TABLE IF NOT EXISTS tags(repo_id INTEGER NOT NULL, name TEXT NOT NULL,"
        "  digest TEXT NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY(repo_id, name)) WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS tags_digest ON tags(repo_id, digest);"
        "CREATE TABLE IF NOT EXISTS uploads(id TEXT PRIMARY KEY, repo TEXT NOT NULL,"
        "  created INTEGER NOT NULL) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS images(digest TEXT PRIMARY KEY, repo TEXT NOT NULL,"
        "  state INTEGER NOT NULL, report TEXT, sbom TEXT, vulns TEXT, error TEXT,"
        "  updated INTEGER NOT NULL) WITHOUT ROWID;"
        "PRAGMA user_version = 1;";

enum ref_kind { REF_BLOB = 0, REF_CHILD = 1 };

struct conn {
        sqlite3 *db;
        sqlite3_stmt *st[S_COUNT];
};

struct meta {
        char path[PATH_MAX];
        pthread_key_t key;
};

static void conn_free(void *p)
{
        struct conn *c = p;

        if (!c)
                return;
        for (int i = 0; i < S_COUNT; i++)
                sqlite3_finalize(c->st[i]);
        sqlite3_close(c->db);
        free(c);
}

static int db_err(sqlite3 *db, const char *what)
{
        return dou_err_set(DOU_EDB, "%s: %s", what, sqlite3_errmsg(db));
}

static int conn_open(const char *path, struct conn **ret)
{
        struct conn *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
                r = db_err(c->db, "open metadata");
                conn_free(c);
                return r;
        }
        sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
        if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                         "PRAGMA foreign_keys=OFF;", NULL, NULL, NULL) != SQLITE_OK) {
                r = db_err(c->db, "configure metadata");
                conn_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

/* The calling thread's connection, opened on first use. */
static struct conn *conn_get(struct meta *m)
{
        struct conn *c = pthread_getspecific(m->key);

        if (c)
                return c;
        if (conn_open(m->path, &c) < 0)
                return NULL;
        pthread_setspecific(m->key, c);
        return c;
}

static sqlite3_stmt *stmt(struct conn *c, enum stmt_id id)
{
        if (!c->st[id] && sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                             &c->st[id], NULL) != SQLITE_OK) {
                db_err(c->db, "prepare");
                return NULL;
        }
        sqlite3_reset(c->st[id]);
        sqlite3_clear_bindings(c->st[id]);
        return c->st[id];
}

int meta_open(const char *data_dir, struct meta **ret)
{
        struct meta *m = calloc(1, sizeof(*m));
        struct conn *c;
        char *err = NULL;
        int r;

        if (!m)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        if ((r = fs_mkdir_p(data_dir, 0755)) < 0) {
                free(m);
                return r;
        }
        snprintf(m->path, sizeof(m->path), "%s/meta.db", data_dir);
        if (pthread_key_create(&m->key, conn_free) != 0) {
                free(m);
                return dou_err_set(DOU_EINTERNAL, "pthread_key_create");
        }
        if ((r = conn_open(m->path, &c)) < 0) {
                meta_close(m);
                return r;
        }
        if (sqlite3_exec(c->db, schema, NULL, NULL, &err) != SQLITE_OK) {
                r = dou_err_set(DOU_EDB, "create schema: %s", err ? err : "?");
                sqlite3_free(err);
                conn_free(c);
                meta_close(m);
                return r;
        }
        pthread_setspecific(m->key, c);
        *ret = m;
        return 0;
}

struct meta *meta_close(struct meta *m)
{
        if (m) {
                conn_free(pthread_getspecific(m->key));
                pthread_setspecific(m->key, NULL);
                pthread_key_delete(m->key);
                free(m);
        }
        return NULL;
}

static int64_t now_sec(void)
{
        return (int64_t)time(NULL);
}

static int begin_write(struct conn *c)
{
        if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
                return db_err(c->db, "begin");
        return 0;
}

static int finish(struct conn *c, int r)
{
        if (r < 0) {
                sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                r = db_err(c->db, "commit");
                sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        }
        return r;
}

/* Run a prepared statement to completion (no rows expected). */
static int exec_done(struct conn *c, sqlite3_stmt *s)
{
        int rc;

        if (!s)
                return DOU_EDB;
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                return db_err(c->db, "write");
        return 0;
}

static int repo_id(struct conn *c, const char *repo, int create, int64_t *ret)
{
        sqlite3_stmt *s;
        int rc;

        if (create) {
                if (!(s = stmt(c, S_REPO_INSERT)))
                        return DOU_EDB;
                sqlite3_bind_text(s, 1, repo, -1, SQLITE_STATIC);
                sqlite3_bind_int64(s, 2, now_sec());
                if (exec_done(c, s) < 0)
                        return DOU_EDB;
        }
        if (!(s = stmt(c, S_REPO_ID)))
                return DOU_EDB;
        sqlite3_bind_text(s, 1, repo, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
                *ret = sqlite3_column_int64(s, 0);
                sqlite3_reset(s);
                return 0;
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
                return db_err(c->db, "repo lookup");
        return dou_err_set(DOU_ENOTFOUND, "repository name not known to registry");
}

static int blob_record(struct conn *c, int64_t rid, const struct digest *d, uint64_t size)
{
        sqlite3_stmt *s = stmt(c, S_BLOB_UPSERT);
        int r;

        if (!s)
                return DOU_EDB;
        sqlite3_bind_text(s, 1, d->str, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, (int64_t)size);
        sqlite3_bind_int64(s, 3, now_sec());
        if ((r = exec_done(c, s)) < 0 || rid == 0)
                return r;
        if (!(s = stmt(c, S_LINK)))
                return DOU_EDB;
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_text(s, 2, d->str, -1, SQLITE_STATIC);
        return exec_done(c, s);
}

int meta_blob_commit(struct meta *m, const char *repo, const struct digest *d, uint64_t size,
                     meta_rename_fn rename_fn, void *rename_ud)
{
        struct conn *c = conn_get(m);
        int64_t rid;
        int r;

        if (!c)
                return DOU_EDB;
        if ((r = begin_write(c)) < 0)
                return r;
        r = repo_id(c, repo, 1, &rid);
        if (r == 0 && rename_fn)
                r = rename_fn(rename_ud);
        if (r == 0)
                r = blob_record(c, rid, d, size);
        return finish(c, r);
}

/* Refresh the gc clock of a blob that is being used, outside any transaction. */
static void blob_touch(struct conn *c, const struct digest *d)
{
        sqlite3_stmt *s = stmt(c, S_BLOB_TOUCH);

        if (!s)
                return;
        sqlite3_bind_text(s, 1, d->str, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, now_sec());
        exec_done(c, s);
}

int meta_blob_get(struct meta *m, const char *repo, const struct digest *d, uint64_t *ret_size)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;
        int rc;
        int64_t last_used;

        if (!c || !(s = stmt(c, S_BLOB_GET)))
                return DOU_EDB;
        sqlite3_bind_text(s, 1, repo, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, d->str, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW) {
                sqlite3_reset(s);
                return rc == SQLITE_DONE ? dou_err_set(DOU_ENOTFOUND, "blob unknown to registry")
                                         : db_err(c->db, "blob lookup");
        }
        *ret_size = (uint64_t)sqlite3_column_int64(s, 0);
        last_used = sqlite3_column_int64(s, 1);
        sqlite3_reset(s);
        if (now_sec() - last_used > TOUCH_INTERVAL)
                blob_touch(c, d);
        return 0;
}

static int blob_in_repo(struct conn *c, int64_t rid, const struct digest *d);

static int blob_size_any(struct conn *c, const struct digest *d, uint64_t *ret)
{
        sqlite3_stmt *s = stmt(c, S_BLOB_ANY);
        int rc;

        if (!s)
                return DOU_EDB;
        sqlite3_bind_text(s, 1, d->str, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW && ret)
                *ret = (uint64_t)sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        if (rc == SQLITE_ROW)
                return 0;
        return rc == SQLITE_DONE ? dou_err_set(DOU_ENOTFOUND, "blob unknown to registry: %s", d->str)
                                 : db_err(c->db, "blob lookup");
}

int meta_blob_mount(struct meta *m, const char *repo, const struct digest *d, const char *from)
{
        struct conn *c = conn_get(m);
        uint64_t size = 0;
        int64_t rid, from_id;
        int r;

        if (!c)
                return DOU_EDB;
        if ((r = begin_write(c)) < 0)
                return r;
        r = blob_size_any(c, d, &size);
        /* a named source must really hold the blob: the caller's right to read it is on `from` */
        if (r == 0 && from && (r = repo_id(c, from, 0, &from_id)) == 0)
                r = blob_in_repo(c, from_id, d);
        if (r == 0)
                r = repo_id(c, repo, 1, &rid);
        if (r == 0)
                r = blob_record(c, rid, d, size);
        return finish(c, r);
}

int meta_blob_unlink(struct meta *m, const char *repo, const struct digest *d)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;
        int64_t rid;
        int r;

        if (!c)
                return DOU_EDB;
        if ((r = repo_id(c, repo, 0, &rid)) < 0)
                return r == DOU_ENOTFOUND ? dou_err_set(DOU_ENOTFOUND, "blob unknown to registry") : r;
        if (!(s = stmt(c, S_UNLINK)))
                return DOU_EDB;
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_text(s, 2, d->str, -1, SQLITE_STATIC);
        if ((r = exec_done(c, s)) < 0)
                return r;
        if (sqlite3_changes(c->db) == 0)
                return dou_err_set(DOU_ENOTFOUND, "blob unknown to registry");
        return 0;
}

/* Does statement id find a row for (repository, digest)? 0, DOU_ENOTFOUND or an error. */
static int row_exists(struct conn *c, enum stmt_id id, int64_t rid, const struct digest *d)
{
        sqlite3_stmt *s = stmt(c, id);
        int rc;

        if (!s)
                return DOU_EDB;
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_text(s, 2, d->str, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc == SQLITE_ROW)
                return 0;
        return rc == SQLITE_DONE ? DOU_ENOTFOUND : db_err(c->db, "lookup");
}

static int manifest_exists(struct conn *c, int64_t rid, const struct digest *d)
{
        return row_exists(c, S_MAN_EXISTS, rid, d);
}

static int add_ref(struct conn *c, int64_t rid, const struct digest *d, const struct digest *child,
                   enum ref_kind kind)
{
        sqlite3_stmt *s = stmt(c, S_REF_INSERT);

        if (!s)
                return DOU_EDB;
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_text(s, 2, d->str, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, child->str, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 4, kind);
        return exec_done(c, s);
}

static int blob_in_repo(struct conn *c, int64_t rid, const struct digest *d)
{
        int r = row_exists(c, S_BLOB_IN_REPO, rid, d);

        return r == DOU_ENOTFOUND ? dou_err_set(DOU_ENOTFOUND, "blob unknown to registry: %s", d->str) : r;
}

/* Check and link everything p references, then record its refs. */
static int manifest_refs(struct conn *c, int64_t rid, const struct meta_manifest_put *p)
{
        int r;

        for (size_t i = 0; i < p->n_blobs; i++) {
                /*
                 * The blob must be visible in this repository (uploaded or
                 * mounted here): existing elsewhere is not enough, or anyone
                 * who may push to one repository could read another's blobs
                 * by naming their digests.
                 */
                if ((r = blob_in_repo(c, rid, &p->blobs[i])) < 0)
                        return r;
                if ((r = blob_record(c, rid, &p->blobs[i], 0)) < 0 ||
                    (r = add_ref(c, rid, p->digest, &p->blobs[i], REF_BLOB)) < 0)
                        return r;
        }
        for (size_t i = 0; i < p->n_children; i++) {
                r = manifest_exists(c, rid, &p->children[i]);
                if (r == DOU_ENOTFOUND)
                        return dou_err_set(DOU_ENOTFOUND, "manifest unknown to registry: %s",
                                           p->children[i].str);
                if (r < 0 || (r = add_ref(c, rid, p->digest, &p->children[i], REF_CHILD)) < 0)
                        return r;
        }
        return 0;
}

static void bind_opt(sqlite3_stmt *s, int i, const char *v)
{
        if (v)
                sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(s, i);
}

static int manifest_record(struct conn *c, int64_t rid, const struct meta_manifest_put *p)
{
        sqlite3_stmt *s = stmt(c, S_MAN_INSERT);
        int r;

        if (!s)
                return DOU_EDB;
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_text(s, 2, p->digest->str, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, p->media_type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, (int64_t)p->size);
        bind_opt(s, 5, p->artifact_type);
        bind_opt(s, 6, p->subject ? p->subject->str : NULL);
        bind_opt(s, 7, p->annotations_json);
        sqlite3_bind_int64(s, 8, now_sec());
        if ((r = exec_done(c, s)) < 0 || !p->tag)
                return r;
        if (!(s = stmt(c, S_TAG_UPSERT)))
                return DOU_EDB;
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_text(s, 2, p->tag, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, p->digest->str, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, now_sec());
        return exec_done(c, s);
}

int meta_manifest_put(struct meta *m, const struct meta_manifest_put *p,
                      meta_rename_fn rename_fn, void *rename_ud)
{
        struct conn *c = conn_get(m);
        int64_t rid;
        int r;

        if (!c)
                return DOU_EDB;
        if ((r = begin_write(c)) < 0)
                return r;
        r = repo_id(c, p->repo, 1, &rid);
        if (r == 0)
                r = manifest_refs(c, rid, p);
        if (r == 0 && rename_fn)
                r = rename_fn(rename_ud);
        if (r == 0)
                r = blob_record(c, 0, p->digest, p->size);
        if (r == 0)
                r = manifest_record(c, rid, p);
        return finish(c, r);
}

int meta_manifest_get(struct meta *m, const char *repo, const char *reference,
                      struct meta_manifest *ret)
{
        struct conn *c = conn_get(m);
        int by_digest = strchr(reference, ':') != NULL;
        sqlite3_stmt *s;
        const char *dg, *mt;
        int rc;

        if (!c || !(s = stmt(c, by_digest ? S_MAN_BY_DIGEST : S_MAN_BY_TAG)))
                return DOU_EDB;
        sqlite3_bind_text(s, 1, repo, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, reference, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW) {
                sqlite3_reset(s);
                return rc == SQLITE_DONE ? dou_err_set(DOU_ENOTFOUND, "manifest unknown")
                                         : db_err(c->db, "manifest lookup");
        }
        dg = (const char *)sqlite3_column_text(s, 0);
        mt = (const char *)sqlite3_column_text(s, 1);
        rc = digest_parse(dg, strlen(dg), &ret->digest);
        snprintf(ret->media_type, sizeof(ret->media_type), "%s", mt ? mt : "");
        ret->size = (uint64_t)sqlite3_column_int64(s, 2);
        sqlite3_reset(s);
        return rc < 0 ? dou_err_set(DOU_EINTERNAL, "corrupt digest in metadata") : 0;
}

static int exec_rid_text(struct conn *c, enum stmt_id id, int64_t rid, const char *t)
{
        sqlite3_stmt *s = stmt(c, id);

        if (!s)
                return DOU_EDB;
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_text(s, 2, t, -1, SQLITE_STATIC);
        return exec_done(c, s);
}

int meta_manifest_delete(struct meta *m, const char *repo, const struct digest *d)
{
        struct conn *c = conn_get(m);
        int64_t rid;
        int r;

        if (!c)
                return DOU_EDB;
        if ((r = begin_write(c)) < 0)
                return r;
        r = repo_id(c, repo, 0, &rid);
        if (r == 0)
                r = exec_rid_text(c, S_MAN_DELETE, rid, d->str);
        if (r == 0 && sqlite3_changes(c->db) == 0)
                r = dou_err_set(DOU_ENOTFOUND, "manifest unknown");
        if (r == 0)
                r = exec_rid_text(c, S_REFS_DELETE, rid, d->str);
        if (r == 0)
                r = exec_rid_text(c, S_TAGS_DELETE_FOR, rid, d->str);
        if (r == DOU_ENOTFOUND)
                dou_err_set(DOU_ENOTFOUND, "manifest unknown");
        return finish(c, r);
}

int meta_tag_delete(struct meta *m, const char *repo, const char *tag)
{
        struct conn *c = conn_get(m);
        int64_t rid;
        int r;

        if (!c)
                return DOU_EDB;
        if ((r = repo_id(c, repo, 0, &rid)) < 0)
                return dou_err_set(DOU_ENOTFOUND, "manifest unknown");
        if ((r = exec_rid_text(c, S_TAG_DELETE, rid, tag)) < 0)
                return r;
        if (sqlite3_changes(c->db) == 0)
                return dou_err_set(DOU_ENOTFOUND, "manifest unknown");
        return 0;
}

int meta_repo_exists(struct meta *m, const char *repo)
{
        struct conn *c = conn_get(m);
        int64_t rid;

        return c && repo_id(c, repo, 0, &rid) == 0;
}

static int page(struct conn *c, sqlite3_stmt *s, long n, meta_name_fn fn, void *ud, int *ret_more)
{
        long got = 0;
        int rc, r = 0;

        *ret_more = 0;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                if (n >= 0 && got == n) {
                        *ret_more = 1;
                        break;
                }
                if ((r = fn((const char *)sqlite3_column_text(s, 0), ud)) < 0)
                        break;
                got++;
        }
        sqlite3_reset(s);
        if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
                r = db_err(c->db, "list");
        return r;
}

int meta_tags_list(struct meta *m, const char *repo, const char *last, long n,
                   meta_name_fn fn, void *ud, int *ret_more)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;

        if (!c || !(s = stmt(c, S_TAGS_PAGE)))
                return DOU_EDB;
        sqlite3_bind_text(s, 1, repo, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, last ? last : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, n < 0 ? -1 : n + 1);   /* one more tells if a page follows */
        return page(c, s, n, fn, ud, ret_more);
}

int meta_catalog(struct meta *m, const char *last, long n, meta_name_fn fn, void *ud,
                 int *ret_more)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;

        if (!c || !(s = stmt(c, S_CATALOG_PAGE)))
                return DOU_EDB;
        sqlite3_bind_text(s, 1, last ? last : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, n < 0 ? -1 : n + 1);
        return page(c, s, n, fn, ud, ret_more);
}

int meta_referrers(struct meta *m, const char *repo, const struct digest *subject,
                   const char *artifact_type, meta_referrer_fn fn, void *ud)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;
        int rc, r = 0;

        if (!c || !(s = stmt(c, artifact_type ? S_REFERRERS_TYPE : S_REFERRERS)))
                return DOU_EDB;
        sqlite3_bind_text(s, 1, repo, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, subject->str, -1, SQLITE_STATIC);
        if (artifact_type)
                sqlite3_bind_text(s, 3, artifact_type, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                struct meta_referrer ref = {
                        .digest = (const char *)sqlite3_column_text(s, 0),
                        .media_type = (const char *)sqlite3_column_text(s, 1),
                        .size = (uint64_t)sqlite3_column_int64(s, 2),
                        .artifact_type = (const char *)sqlite3_column_text(s, 3),
                        .annotations_json = (const char *)sqlite3_column_text(s, 4),
                };
                if ((r = fn(&ref, ud)) < 0)
                        break;
        }
        sqlite3_reset(s);
        if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
                r = db_err(c->db, "referrers");
        return r;
}

int meta_upload_put(struct meta *m, const char *id, const char *repo)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;

        if (!c || !(s = stmt(c, S_UP_PUT)))
                return DOU_EDB;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, repo, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, now_sec());
        return exec_done(c, s);
}

int meta_upload_get(struct meta *m, const char *id, char *repo_out, size_t n)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;
        int rc;

        if (!c || !(s = stmt(c, S_UP_GET)))
                return DOU_EDB;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
                snprintf(repo_out, n, "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_reset(s);
        if (rc == SQLITE_ROW)
                return 0;
        return rc == SQLITE_DONE ? dou_err_set(DOU_ENOTFOUND, "upload unknown")
                                 : db_err(c->db, "upload lookup");
}

int meta_upload_delete(struct meta *m, const char *id)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;

        if (!c || !(s = stmt(c, S_UP_DELETE)))
                return DOU_EDB;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        return exec_done(c, s);
}

int meta_upload_expire(struct meta *m, unsigned max_age_sec, meta_name_fn fn, void *ud)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;
        int rc, n = 0;

        if (!c)
                return DOU_EDB;
        if (sqlite3_prepare_v2(c->db, "DELETE FROM uploads WHERE created < ?1 RETURNING id", -1, &s,
                               NULL) != SQLITE_OK)
                return db_err(c->db, "expire uploads");
        sqlite3_bind_int64(s, 1, now_sec() - (int64_t)max_age_sec);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                fn((const char *)sqlite3_column_text(s, 0), ud);
                n++;
        }
        sqlite3_finalize(s);
        return rc == SQLITE_DONE ? n : db_err(c->db, "expire uploads");
}

/* For gc.c: the calling thread's raw handle. */
sqlite3 *meta__db(struct meta *m);
sqlite3 *meta__db(struct meta *m)
{
        struct conn *c = conn_get(m);

        return c ? c->db : NULL;
}

static void copy_col(sqlite3_stmt *s, int i, char *out, size_t n)
{
        const unsigned char *t = sqlite3_column_text(s, i);

        snprintf(out, n, "%s", t ? (const char *)t : "");
}

static void image_from_row(sqlite3_stmt *s, int first, struct meta_image *img)
{
        copy_col(s, first, img->repo, sizeof(img->repo));
        img->state = (enum meta_image_state)sqlite3_column_int(s, first + 1);
        copy_col(s, first + 2, img->report, sizeof(img->report));
        copy_col(s, first + 3, img->sbom, sizeof(img->sbom));
        copy_col(s, first + 4, img->vulns, sizeof(img->vulns));
        copy_col(s, first + 5, img->error, sizeof(img->error));
        img->updated = sqlite3_column_int64(s, first + 6);
}

int meta_image_set(struct meta *m, const struct digest *manifest, const struct meta_image *img)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;
        int r;

        if (!c)
                return DOU_EDB;
        if (sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO images(digest, repo, state, report, sbom,"
                               " vulns, error, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &s,
                               NULL) != SQLITE_OK)
                return db_err(c->db, "image state");
        sqlite3_bind_text(s, 1, manifest->str, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, img->repo, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 3, (int)img->state);
        bind_opt(s, 4, img->report[0] ? img->report : NULL);
        bind_opt(s, 5, img->sbom[0] ? img->sbom : NULL);
        bind_opt(s, 6, img->vulns[0] ? img->vulns : NULL);
        bind_opt(s, 7, img->error[0] ? img->error : NULL);
        sqlite3_bind_int64(s, 8, now_sec());
        r = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(c->db, "image state");
        sqlite3_finalize(s);
        return r;
}

int meta_image_get(struct meta *m, const struct digest *manifest, struct meta_image *ret)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;
        int rc;

        if (!c)
                return DOU_EDB;
        if (sqlite3_prepare_v2(c->db, "SELECT repo, state, report, sbom, vulns, error, updated"
                               " FROM images WHERE digest = ?1", -1, &s, NULL) != SQLITE_OK)
                return db_err(c->db, "image lookup");
        sqlite3_bind_text(s, 1, manifest->str, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
                image_from_row(s, 0, ret);
        sqlite3_finalize(s);
        if (rc == SQLITE_ROW)
                return 0;
        return rc == SQLITE_DONE ? dou_err_set(DOU_ENOTFOUND, "image not known to the indexer")
                                 : db_err(c->db, "image lookup");
}

int meta_images_foreach(struct meta *m, int state, meta_image_fn fn, void *ud)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;
        int rc, r = 0;

        if (!c)
                return DOU_EDB;
        if (sqlite3_prepare_v2(c->db, "SELECT digest, repo, state, report, sbom, vulns, error, updated"
                               " FROM images WHERE ?1 < 0 OR state = ?1 ORDER BY digest", -1, &s,
                               NULL) != SQLITE_OK)
                return db_err(c->db, "images");
        sqlite3_bind_int(s, 1, state);
        while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
                struct meta_image img;
                struct digest d;
                const char *dg = (const char *)sqlite3_column_text(s, 0);
                if (!dg || digest_parse(dg, strlen(dg), &d) < 0)
                        continue;
                image_from_row(s, 1, &img);
                r = fn(&d, &img, ud);
        }
        sqlite3_finalize(s);
        return r;
}

int meta_manifest_in_area(struct meta *m, const struct digest *d, const char *prefix)
{
        struct conn *c = conn_get(m);
        sqlite3_stmt *s;
        int rc;

        if (!c)
                return DOU_EDB;
        /* substr() rather than LIKE: repository names may contain '_', a LIKE wildcard */
        if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM manifests m JOIN repos r ON r.id = m.repo_id"
                               " WHERE m.digest = ?1 AND substr(r.name, 1, length(?2)) = ?2 LIMIT 1",
                               -1, &s, NULL) != SQLITE_OK)
                return db_err(c->db, "area lookup");
        sqlite3_bind_text(s, 1, d->str, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, prefix, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc == SQLITE_ROW)
                return 1;
        return rc == SQLITE_DONE ? 0 : db_err(c->db, "area lookup");
}
