/*
 * rematch.c - continuous re-verification: re-match stored index reports
 * after a database update, record what changed per image, and deliver the
 * changes to webhooks.
 *
 * An image's previous findings are kept as keys "id\tpackage\tversion" in
 * image_finding; the first match of an image is its baseline (no change
 * rows). Afterwards a key that appears is "new"; a key that disappears is
 * "withdrawn" when no live (non-withdrawn) advisory carries that id any
 * more, else "fixed" (the advisory data now says this version is not
 * affected). Change rows carry the DB's last operation id.
 * Matching results are cached per (ecosystem, package, version) for one
 * rematch run: stored images share most packages, so 10,000 images cost
 * far less than 10,000 independent scans. No layer is ever read, and a
 * report file whose size and mtime did not change is not even parsed again:
 * its match-relevant projection (vuln__report_blob) is kept in report_cache.
 */
#include "vuln/vuln_int.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REMATCH_REPORT_MAX (256u << 20)
#define REMATCH_BATCH 200

/* Prepare once per handle; statements are finalized by vuln_db_close(). */
static sqlite3_stmt *stmt(struct vuln_db *db, sqlite3_stmt **slot, const char *sql)
{
        if (!*slot && sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
                dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
                return NULL;
        }
        sqlite3_reset(*slot);
        sqlite3_clear_bindings(*slot);
        return *slot;
}

static const char *image_key(const json_t *r)
{
        const char *m = vuln__str(r, "manifest"), *i = vuln__str(r, "image");
        return m ? m : i ? i : "unknown";
}

static int advisory_live(struct vuln_db *db, const char *id)
{
        sqlite3_stmt *st = stmt(db, &db->st_live, "SELECT 1 FROM advisory WHERE id=?1 AND withdrawn IS NULL"
                                " UNION ALL SELECT 1 FROM alias l JOIN advisory a ON a.rid=l.rid"
                                " WHERE l.alias=?1 AND a.withdrawn IS NULL LIMIT 1");
        int live;

        if (!st)
                return 1;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        live = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
        return live;
}

static int record(struct vuln_db *db, const char *image, const char *kind, const char *key,
                  vuln_change_cb cb, void *ctx)
{
        char buf[2048], now[32];
        char *pkg, *ver;
        sqlite3_stmt *st;
        int rc;

        snprintf(buf, sizeof(buf), "%s", key);
        pkg = strchr(buf, '\t');
        if (!pkg)
                return 0;
        *pkg++ = 0;
        ver = strchr(pkg, '\t');
        if (!ver)
                return 0;
        *ver++ = 0;
        vuln__now(now, sizeof(now));
        st = stmt(db, &db->st_chg_ins, "INSERT INTO change(op, image, kind, vuln, package, version, time)"
                  " VALUES(?1,?2,?3,?4,?5,?6,?7)");
        if (!st)
                return DOU_EDB;
        sqlite3_bind_int64(st, 1, db->rematch_op);
        sqlite3_bind_text(st, 2, image, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, buf, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, pkg, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, ver, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        sqlite3_reset(st);
        if (rc == 0 && cb) {
                struct vuln_change c = { image, kind, buf, pkg, ver };
                cb(ctx, &c);
        }
        return rc;
}

static int key_op(struct vuln_db *db, sqlite3_stmt **slot, const char *sql, const char *image,
                  const char *key)
{
        sqlite3_stmt *st = stmt(db, slot, sql);
        int rc;

        if (!st)
                return DOU_EDB;
        sqlite3_bind_text(st, 1, image, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        sqlite3_reset(st);
        return rc;
}

#define SQL_IF_DEL "DELETE FROM image_finding WHERE image=?1 AND key=?2"
#define SQL_IF_INS "INSERT OR IGNORE INTO image_finding(image, key) VALUES(?1, ?2)"

/* Compare an image's finding keys (consumed) with the stored ones. Returns #changes. */
static int diff_image(struct vuln_db *db, const char *image, json_t *now, vuln_change_cb cb, void *ctx)
{
        json_t *v;
        sqlite3_stmt *st;
        int changes = 0, baseline = 1, rc = 0;
        const char *k;

        /* the select stays open while rows are deleted: a statement of its own */
        if (sqlite3_prepare_v2(db->sql, "SELECT key FROM image_finding WHERE image=?1", -1, &st, NULL) != SQLITE_OK)
                return dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        sqlite3_bind_text(st, 1, image, -1, SQLITE_STATIC);
        while (rc >= 0 && sqlite3_step(st) == SQLITE_ROW) {
                const char *key = (const char *)sqlite3_column_text(st, 0);
                baseline = 0;
                if (!*key)
                        continue;       /* the "image known" marker */
                if (json_object_get(now, key)) {
                        json_object_del(now, key);
                        continue;
                }
                char id[VULN_ID_MAX];
                snprintf(id, sizeof(id), "%.*s", (int)strcspn(key, "\t"), key);
                rc = record(db, image, advisory_live(db, id) ? "fixed" : "withdrawn", key, cb, ctx);
                if (rc == 0)
                        rc = key_op(db, &db->st_if_del, SQL_IF_DEL, image, key);
                changes++;
        }
        sqlite3_finalize(st);
        if (baseline && rc == 0)
                rc = key_op(db, &db->st_if_ins, SQL_IF_INS, image, "");
        json_object_foreach(now, k, v) {
                if (rc < 0)
                        break;
                if (!baseline) {
                        rc = record(db, image, "new", k, cb, ctx);
                        changes++;
                }
                if (rc == 0)
                        rc = key_op(db, &db->st_if_ins, SQL_IF_INS, image, k);
        }
        return rc < 0 ? rc : changes;
}

static int rematch_cached(struct vuln_db *db, const json_t *report, json_t *cache, vuln_change_cb cb,
                          void *ctx)
{
        json_t *own = cache ? NULL : json_object(), *r;
        size_t i, n = json_is_array(report) ? json_array_size(report) : 1;
        int rc = 0, total = 0;

        if (n == 0)
                return DOU_EINVAL;
        for (i = 0; i < n && rc >= 0; i++) {
                r = json_is_array(report) ? json_array_get(report, i) : (json_t *)report;
                json_t *keys = json_object();
                if ((rc = vuln__match_keys(db, r, cache ? cache : own, keys)) == 0) {
                        rc = diff_image(db, image_key(r), keys, cb, ctx);
                        if (rc > 0)
                                total += rc;
                }
                json_decref(keys);
        }
        json_decref(own);
        return rc < 0 ? rc : total;
}

int vuln_rematch_one(struct vuln_db *db, const json_t *report, vuln_change_cb cb, void *ctx)
{
        int rc, n;

        db->rematch_op = vuln_db_last_op(db);
        vuln__pkgsets_check(db);
        if ((rc = vuln__exec(db, "BEGIN IMMEDIATE")) < 0)
                return rc;
        n = rematch_cached(db, report, NULL, cb, ctx);
        if (n < 0) {
                vuln__exec(db, "ROLLBACK");
                return n;
        }
        if ((rc = vuln__exec(db, "COMMIT")) < 0)
                return rc;
        return n;
}

int vuln_rematch_iter(struct vuln_db *db, vuln_report_next next, void *nctx, vuln_change_cb cb,
                      void *ctx)
{
        json_t *cache = json_object(), *rep;
        int total = 0, rc = 0, inbatch = 0;

        db->rematch_op = vuln_db_last_op(db);
        vuln__pkgsets_check(db);
        while (rc >= 0 && (rep = next(nctx))) {
                if (!inbatch && (rc = vuln__exec(db, "BEGIN IMMEDIATE")) < 0) {
                        json_decref(rep);
                        break;
                }
                int c = rematch_cached(db, rep, cache, cb, ctx);
                json_decref(rep);
                if (c == DOU_EINVAL)
                        c = 0;          /* not an index report: skip it */
                if (c < 0) {
                        rc = c;
                        vuln__exec(db, "ROLLBACK");
                        inbatch = 0;
                        break;
                }
                total += c;
                if (++inbatch >= REMATCH_BATCH) {
                        rc = vuln__exec(db, "COMMIT");
                        inbatch = 0;
                }
        }
        json_decref(cache);
        if (inbatch && rc >= 0)
                rc = vuln__exec(db, "COMMIT");
        return rc < 0 ? rc : total;
}

/* Re-match one projection (vuln__report_blob); blob is modified. */
static int rematch_blob(struct vuln_db *db, char *blob, json_t *cache, vuln_change_cb cb, void *ctx)
{
        char *line = blob, *image = NULL;
        json_t *keys = NULL;
        int rc = 0, total = 0;

        while (rc >= 0 && line && *line) {
                char *nl = strchr(line, '\n'), *f[5];
                int nf = 0;
                if (nl)
                        *nl = 0;
                for (char *t = line; nf < 5; nf++) {
                        f[nf] = t;
                        t = strchr(t, '\t');
                        if (!t) {
                                nf++;
                                break;
                        }
                        *t++ = 0;
                }
                if (f[0][0] == 'I' && nf == 2) {
                        if (keys) {
                                rc = diff_image(db, image, keys, cb, ctx);
                                total += rc > 0 ? rc : 0;
                                json_decref(keys);
                        }
                        keys = json_object();
                        image = f[1];
                } else if (f[0][0] == 'P' && nf == 5 && keys) {
                        vuln__keys_for(db, cache, f[1], f[2], f[3], f[4], keys);
                }
                line = nl ? nl + 1 : NULL;
        }
        if (keys && rc >= 0) {
                rc = diff_image(db, image, keys, cb, ctx);
                total += rc > 0 ? rc : 0;
        }
        json_decref(keys);
        return rc < 0 ? rc : total;
}

/*
 * The projection of the report file at path: from report_cache when the
 * file's size and mtime are unchanged, else parsed (and cached). NULL when
 * the file is unreadable or not an index report.
 */
static char *report_projection(struct vuln_db *db, const char *path)
{
        struct stat stt;
        sqlite3_stmt *st;
        char *blob = NULL, *buf = NULL;
        size_t len = 0, blen = 0;
        json_t *rep;
        int64_t mt;

        if (stat(path, &stt) < 0 || !S_ISREG(stt.st_mode))
                return NULL;
        mt = (int64_t)stt.st_mtim.tv_sec * 1000000000 + stt.st_mtim.tv_nsec;
        if ((st = stmt(db, &db->st_rc_get, "SELECT blob FROM report_cache WHERE file=?1 AND mtime=?2 AND size=?3"))) {
                sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 2, mt);
                sqlite3_bind_int64(st, 3, (int64_t)stt.st_size);
                if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                        blob = strdup((const char *)sqlite3_column_text(st, 0));
                sqlite3_reset(st);
                if (blob)
                        return blob;
        }
        if (fs_read_small(path, REMATCH_REPORT_MAX, &buf, &len) < 0)
                return NULL;
        rep = json_loadb(buf, len, 0, NULL);
        free(buf);
        if (!rep)
                return NULL;
        if (vuln__report_blob(rep, &blob, &blen) < 0)
                blob = NULL;
        json_decref(rep);
        if (blob && (st = stmt(db, &db->st_rc_put, "INSERT OR REPLACE INTO report_cache(file, mtime, size, blob)"
                               " VALUES(?1, ?2, ?3, ?4)"))) {
                sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 2, mt);
                sqlite3_bind_int64(st, 3, (int64_t)stt.st_size);
                sqlite3_bind_text(st, 4, blob, (int)blen, SQLITE_STATIC);
                sqlite3_step(st);
                sqlite3_reset(st);
        }
        return blob;
}

int vuln_rematch_all(struct vuln_db *db, const char *dir, vuln_change_cb cb, void *ctx)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        json_t *cache;
        char path[4096];
        int total = 0, rc = 0, inbatch = 0;

        if (!d)
                return dou_err_errno(DOU_EIO, "open %s", dir);
        cache = json_object();
        db->rematch_op = vuln_db_last_op(db);
        vuln__pkgsets_check(db);
        while (rc >= 0 && (e = readdir(d))) {
                size_t n = strlen(e->d_name);
                char *blob;
                if (n < 6 || e->d_name[0] == '.' || strcmp(e->d_name + n - 5, ".json"))
                        continue;
                if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
                        continue;
                if (!inbatch && (rc = vuln__exec(db, "BEGIN IMMEDIATE")) < 0)
                        break;
                inbatch++;
                if (!(blob = report_projection(db, path)))
                        continue;       /* unreadable or not an index report: skipped */
                int c = rematch_blob(db, blob, cache, cb, ctx);
                free(blob);
                if (c < 0) {
                        rc = c;
                        vuln__exec(db, "ROLLBACK");
                        inbatch = 0;
                        break;
                }
                total += c;
                if (inbatch >= REMATCH_BATCH) {
                        rc = vuln__exec(db, "COMMIT");
                        inbatch = 0;
                }
        }
        closedir(d);
        json_decref(cache);
        if (inbatch && rc >= 0)
                rc = vuln__exec(db, "COMMIT");
        return rc < 0 ? rc : total;
}

int vuln_changes_list(struct vuln_db *db, int64_t since, size_t limit, json_t **ret)
{
        sqlite3_stmt *st;
        json_t *arr = json_array(), *out;
        int64_t last = 0, maxid = 0;

        if (sqlite3_prepare_v2(db->sql, "SELECT coalesce(max(id), 0) FROM change", -1, &st, NULL) == SQLITE_OK) {
                if (sqlite3_step(st) == SQLITE_ROW)
                        maxid = sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
        }
        if (limit > 10000)
                limit = 10000;
        if (sqlite3_prepare_v2(db->sql, "SELECT id, op, image, kind, vuln, package, version, time FROM change"
                               " WHERE id > ?1 ORDER BY id LIMIT ?2", -1, &st, NULL) != SQLITE_OK) {
                json_decref(arr);
                return dou_err_set(DOU_EDB, "sqlite: %s", sqlite3_errmsg(db->sql));
        }
        sqlite3_bind_int64(st, 1, since);
        sqlite3_bind_int64(st, 2, (int64_t)limit);
        while (sqlite3_step(st) == SQLITE_ROW) {
                last = sqlite3_column_int64(st, 0);
                json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
                        "id", (json_int_t)last, "op", (json_int_t)sqlite3_column_int64(st, 1),
                        "image", sqlite3_column_text(st, 2), "kind", sqlite3_column_text(st, 3),
                        "vuln", sqlite3_column_text(st, 4), "package", sqlite3_column_text(st, 5),
                        "version", sqlite3_column_text(st, 6), "time", sqlite3_column_text(st, 7)));
        }
        sqlite3_finalize(st);
        out = json_pack("{s:o, s:o, s:I}", "changes", arr,
                        "next", last && last < maxid ? json_integer(last) : json_null(), "last", (json_int_t)maxid);
        if (!out)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        *ret = out;
        return 0;
}

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
        (void)p;
        (void)ud;
        return sz * n;
}

static int post_json(const char *url, const char *body, long timeout, long *ret_status)
{
        CURL *h = curl_easy_init();
        struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        CURLcode cc;

        if (!h || !hdrs) {
                curl_slist_free_all(hdrs);
                if (h)
                        curl_easy_cleanup(h);
                return dou_err_set(DOU_ENOMEM, "curl init failed");
        }
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "douane-notifier/1");
        cc = curl_easy_perform(h);
        *ret_status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, ret_status);
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        if (cc != CURLE_OK)
                return dou_err_set(DOU_EIO, "POST %s: %s", url, curl_easy_strerror(cc));
        if (*ret_status < 200 || *ret_status > 299)
                return dou_err_set(DOU_EIO, "POST %s: HTTP %ld", url, *ret_status);
        return 0;
}

int vuln_webhook_deliver(struct vuln_db *db, const char *url, int64_t since,
                         const struct vuln_webhook_opts *o, int64_t *ret_last)
{
        size_t page = o && o->page_size ? o->page_size : 100;
        unsigned attempts = o && o->max_attempts ? o->max_attempts : 5;
        unsigned delay0 = o && o->base_delay_ms ? o->base_delay_ms : 500;
        long timeout = o && o->timeout_sec ? o->timeout_sec : 10;
        int rc = 0;

        *ret_last = since;
        for (;;) {
                json_t *lst = NULL, *chg, *body;
                char nid[64], *s;
                size_t n;
                if ((rc = vuln_changes_list(db, since, page, &lst)) < 0)
                        return rc;
                chg = json_object_get(lst, "changes");
                n = json_array_size(chg);
                if (n == 0) {
                        json_decref(lst);
                        return 0;
                }
                int64_t first = json_integer_value(json_object_get(json_array_get(chg, 0), "id"));
                int64_t last = json_integer_value(json_object_get(json_array_get(chg, n - 1), "id"));
                snprintf(nid, sizeof(nid), "%lld-%lld", (long long)first, (long long)last);
                body = json_pack("{s:s, s:{s:I, s:O}, s:O}", "notification_id", nid, "page", "size",
                                 (json_int_t)n, "next", json_object_get(lst, "next"), "notifications", chg);
                json_decref(lst);
                s = body ? json_dumps(body, JSON_COMPACT) : NULL;
                json_decref(body);
                if (!s)
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                unsigned delay = delay0;
                for (unsigned a = 0; a < attempts; a++) {
                        long status;
                        if ((rc = post_json(url, s, timeout, &status)) == 0)
                                break;
                        if (a + 1 < attempts) {
                                struct timespec ts = { delay / 1000, (long)(delay % 1000) * 1000000L };
                                nanosleep(&ts, NULL);
                                delay = delay > 60000 ? 120000 : delay * 2;
                        }
                }
                free(s);
                if (rc < 0) {
                        char why[512];
                        snprintf(why, sizeof(why), "%s", dou_err_msg());
                        return dou_err_set(rc, "webhook gave up after %u attempts: %s", attempts, why);
                }
                since = last;
                *ret_last = last;
        }
}
