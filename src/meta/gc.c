/*
 * gc.c - mark and sweep of the SQLite metadata store.
 *
 * The whole collection runs in one BEGIN IMMEDIATE transaction: pushes
 * wait for it (it is a few indexed statements, then one unlink per dead
 * blob), and in exchange nothing can start referencing a blob after it
 * was judged dead and before its file is gone. The keep set is computed
 * by a recursive query:
 *   roots     tagged manifests, and manifests younger than the grace period
 *             (a multi-arch push uploads children before the index that
 *             tags them);
 *   closure   children of kept indexes, and referrers (subject = a kept
 *             manifest) in the same repository.
 * Blobs are kept when a kept manifest references them, when they are a
 * kept manifest's own bytes, or when younger than the grace period
 * (uploaded by a push whose manifest has not arrived yet).
 */
#include "meta/meta.h"
#include "util/err.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* meta.c internals shared with this file */
struct conn;
sqlite3 *meta__db(struct meta *m);

static const char keep_sql[] =
        "CREATE TEMP TABLE IF NOT EXISTS gc_keep(repo_id INTEGER, digest TEXT,"
        "  PRIMARY KEY(repo_id, digest)) WITHOUT ROWID;"
        "DELETE FROM gc_keep;"
        "INSERT OR IGNORE INTO gc_keep "
        "WITH RECURSIVE keep(repo_id, digest) AS ("
        "  SELECT repo_id, digest FROM tags"
        "  UNION SELECT repo_id, digest FROM manifests WHERE created > :cutoff"
        "  UNION SELECT r.repo_id, r.child FROM manifest_refs r"
        "        JOIN keep k ON r.repo_id = k.repo_id AND r.digest = k.digest WHERE r.kind = 1"
        "  UNION SELECT m.repo_id, m.digest FROM manifests m"
        "        JOIN keep k ON m.repo_id = k.repo_id AND m.subject = k.digest"
        ") SELECT repo_id, digest FROM keep;";

static const char count_dead_manifests_sql[] =
        "SELECT count(*) FROM manifests m WHERE NOT EXISTS"
        " (SELECT 1 FROM gc_keep k WHERE k.repo_id = m.repo_id AND k.digest = m.digest)";

static const char sweep_manifests_sql[] =
        "DELETE FROM manifest_refs WHERE NOT EXISTS"
        " (SELECT 1 FROM gc_keep k WHERE k.repo_id = manifest_refs.repo_id"
        "  AND k.digest = manifest_refs.digest);"
        "DELETE FROM manifests WHERE NOT EXISTS"
        " (SELECT 1 FROM gc_keep k WHERE k.repo_id = manifests.repo_id"
        "  AND k.digest = manifests.digest);";

/* blobs not referenced by a surviving manifest, not a manifest, and old */
static const char dead_blobs_sql[] =
        "SELECT b.digest, b.size FROM blobs b WHERE b.last_used <= ?1"
        " AND NOT EXISTS (SELECT 1 FROM manifest_refs r WHERE r.child = b.digest AND r.kind = 0"
        "   AND EXISTS (SELECT 1 FROM gc_keep k WHERE k.repo_id = r.repo_id AND k.digest = r.digest))"
        " AND NOT EXISTS (SELECT 1 FROM gc_keep k WHERE k.digest = b.digest)";

static int gc_err(sqlite3 *db, const char *what)
{
        return dou_err_set(DOU_EDB, "gc %s: %s", what, sqlite3_errmsg(db));
}

static int exec_bound(sqlite3 *db, const char *sql, int64_t cutoff)
{
        const char *tail = sql;

        while (tail && *tail) {
                sqlite3_stmt *s = NULL;
                int rc;
                if (sqlite3_prepare_v2(db, tail, -1, &s, &tail) != SQLITE_OK)
                        return gc_err(db, "prepare");
                if (!s)
                        break;
                int idx = sqlite3_bind_parameter_index(s, ":cutoff");
                if (idx > 0)
                        sqlite3_bind_int64(s, idx, cutoff);
                rc = sqlite3_step(s);
                sqlite3_finalize(s);
                if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                        return gc_err(db, "step");
        }
        return 0;
}

static int count(sqlite3 *db, const char *sql, unsigned long *ret)
{
        sqlite3_stmt *s;

        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
                return gc_err(db, "prepare");
        if (sqlite3_step(s) == SQLITE_ROW)
                *ret = (unsigned long)sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        return 0;
}

static int delete_row(sqlite3 *db, const char *digest)
{
        static const char *sql[] = { "DELETE FROM blobs WHERE digest = ?1",
                                     "DELETE FROM repo_blobs WHERE digest = ?1" };

        for (int i = 0; i < 2; i++) {
                sqlite3_stmt *s;
                if (sqlite3_prepare_v2(db, sql[i], -1, &s, NULL) != SQLITE_OK)
                        return gc_err(db, "prepare");
                sqlite3_bind_text(s, 1, digest, -1, SQLITE_STATIC);
                int rc = sqlite3_step(s);
                sqlite3_finalize(s);
                if (rc != SQLITE_DONE)
                        return gc_err(db, "delete blob");
        }
        return 0;
}

static int sweep_blobs(sqlite3 *db, int64_t cutoff, int dry_run,
                       int (*delete_blob)(const struct digest *, void *), void *ud,
                       struct meta_gc_stats *st)
{
        sqlite3_stmt *s;
        int rc, r = 0;

        if (sqlite3_prepare_v2(db, dead_blobs_sql, -1, &s, NULL) != SQLITE_OK)
                return gc_err(db, "prepare");
        sqlite3_bind_int64(s, 1, cutoff);
        /* collect first: deleting rows while stepping the same table is undefined */
        struct { struct digest d; uint64_t size; } *dead = NULL;
        size_t n = 0, cap = 0;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                const char *dg = (const char *)sqlite3_column_text(s, 0);
                if (n == cap) {
                        cap = cap ? cap * 2 : 256;
                        void *p = realloc(dead, cap * sizeof(*dead));
                        if (!p) {
                                r = dou_err_set(DOU_ENOMEM, "out of memory");
                                break;
                        }
                        dead = p;
                }
                if (digest_parse(dg, strlen(dg), &dead[n].d) < 0)
                        continue;
                dead[n].size = (uint64_t)sqlite3_column_int64(s, 1);
                n++;
        }
        sqlite3_finalize(s);
        for (size_t i = 0; r == 0 && i < n; i++) {
                st->blobs_deleted++;
                st->bytes_freed += dead[i].size;
                if (dry_run)
                        continue;
                if ((r = delete_row(db, dead[i].d.str)) == 0 && delete_blob)
                        r = delete_blob(&dead[i].d, ud);
        }
        free(dead);
        return r;
}

int meta_gc(struct meta *m, unsigned grace_sec, int dry_run,
            int (*delete_blob)(const struct digest *d, void *ud), void *ud,
            struct meta_gc_stats *ret)
{
        sqlite3 *db = meta__db(m);
        struct meta_gc_stats st = { 0 };
        int64_t cutoff = (int64_t)time(NULL) - (int64_t)grace_sec;
        unsigned long total = 0;
        int r;

        if (!db)
                return DOU_EDB;
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
                return gc_err(db, "begin");
        r = exec_bound(db, keep_sql, cutoff);
        if (r == 0)
                r = count(db, count_dead_manifests_sql, &st.manifests_deleted);
        if (r == 0 && !dry_run)
                r = exec_bound(db, sweep_manifests_sql, cutoff);
        if (r == 0)
                r = sweep_blobs(db, cutoff, dry_run, delete_blob, ud, &st);
        if (r == 0)
                r = count(db, "SELECT count(*) FROM blobs", &total);
        if (r < 0 || dry_run) {
                sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        } else if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                r = gc_err(db, "commit");
                sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        }
        st.blobs_kept = dry_run ? total - st.blobs_deleted : total;
        if (r == 0)
                *ret = st;
        return r;
}
