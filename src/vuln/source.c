/*
 * source.c - getting feed bytes into the database: OSV all.zip bundles,
 * single JSON/YAML files, HTTP downloads, feed directories.
 *
 * A source is loaded in one transaction (db.c). Two failure classes:
 *  - a bad record (unparseable OSV member, name that is not "<id>.json",
 *    duplicate id) is skipped, reported through o->skip and counted;
 *  - a bad file (not a zip, truncated, a member over the size bound, more
 *    members or uncompressed bytes than allowed: a zip bomb) aborts the
 *    source: rollback, a failed operation is recorded, the old rows stay.
 * Downloads go to a temporary file first (size capped), with If-None-Match /
 * If-Modified-Since from the previous successful load; 304 records a
 * "not-modified" operation and touches nothing.
 */
#include "vuln/vuln_int.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int vuln_source_kind(const char *name)
{
        if (!strncmp(name, "osv/", 4) && name[4])
                return VULN_SRC_OSV;
        if (!strcmp(name, "debian") || !strncmp(name, "debian/", 7))
                return VULN_SRC_DEBIAN;
        if (!strncmp(name, "alpine/", 7) && name[7])
                return VULN_SRC_ALPINE;
        return -1;
}

struct loadctx {
        struct vuln_db *db;
        const struct vuln_load_opts *o;
};

static void skipped(struct loadctx *c, const char *id, const char *why)
{
        vuln_db_load_skipped(c->db);
        if (c->o && c->o->skip)
                c->o->skip(c->o->ctx, id, why);
}

static void skip_cb(void *ctx, const char *id, const char *why)
{
        skipped(ctx, id, why);
}

static int put_cb(void *ctx, json_t *adv)
{
        struct loadctx *c = ctx;
        int rc = vuln_db_load_put(c->db, adv);

        if (rc == DOU_EEXIST || rc == DOU_EINVAL) {
                skipped(c, vuln__str(adv, "id"), dou_err_msg());
                return 0;
        }
        return rc;
}

/* "<id>.json" at the archive root, id a valid advisory id. */
static int member_id(const char *name, char *id, size_t idlen)
{
        size_t n = strlen(name);

        if (n < 6 || n - 5 >= idlen || strcmp(name + n - 5, ".json"))
                return -1;
        memcpy(id, name, n - 5);
        id[n - 5] = 0;
        return vuln__id_ok(id) ? 0 : -1;
}

static int load_zip(struct loadctx *c, const char *path)
{
        const struct vuln_load_opts *o = c->o;
        size_t max_member = o && o->zip_max_member ? o->zip_max_member : VULN_RECORD_MAX;
        size_t max_members = o && o->zip_max_members ? o->zip_max_members : VULN_ZIP_MAX_MEMBERS;
        uint64_t max_total = o && o->zip_max_total ? o->zip_max_total : VULN_ZIP_MAX_TOTAL;
        uint64_t total = 0;
        size_t members = 0;
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        char *buf = NULL;
        int rc = 0, r;

        if (!a)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        archive_read_support_format_zip_seekable(a);
        if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
                rc = dou_err_set(DOU_EINVAL, "%s: not a zip: %s", path, archive_error_string(a));
                goto out;
        }
        buf = malloc(max_member + 1);
        if (!buf) {
                rc = dou_err_set(DOU_ENOMEM, "out of memory");
                goto out;
        }
        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                char id[VULN_ID_MAX];
                size_t got = 0;
                ssize_t n;
                json_t *adv;

                if (++members > max_members) {
                        rc = dou_err_set(DOU_ETOOBIG, "%s: more than %zu members", path, max_members);
                        goto out;
                }
                if (archive_entry_size_is_set(e) && archive_entry_size(e) > (la_int64_t)max_member) {
                        rc = dou_err_set(DOU_ETOOBIG, "%s: member %s declares %lld bytes (bound %zu)",
                                         path, name ? name : "?", (long long)archive_entry_size(e), max_member);
                        goto out;
                }
                while ((n = archive_read_data(a, buf + got, max_member + 1 - got)) > 0) {
                        got += (size_t)n;
                        total += (uint64_t)n;
                        if (got > max_member || total > max_total) {
                                rc = dou_err_set(DOU_ETOOBIG, "%s: uncompressed size over the bound"
                                                 " (zip bomb?) at member %s", path, name ? name : "?");
                                goto out;
                        }
                }
                if (n < 0) {
                        rc = dou_err_set(DOU_EINVAL, "%s: corrupt member %s: %s", path,
                                         name ? name : "?", archive_error_string(a));
                        goto out;
                }
                if (archive_entry_filetype(e) != AE_IFREG || !name || member_id(name, id, sizeof(id)) < 0) {
                        skipped(c, name ? name : "?", "zip member is not <id>.json at the root");
                        continue;
                }
                if (osv_parse(buf, got, &adv) < 0) {
                        skipped(c, id, dou_err_msg());
                        continue;
                }
                if (strcmp(vuln__str(adv, "id"), id)) {
                        skipped(c, id, "record id differs from the member name");
                        json_decref(adv);
                        continue;
                }
                rc = put_cb(c, adv);
                json_decref(adv);
                if (rc < 0)
                        goto out;
        }
        if (r != ARCHIVE_EOF)
                rc = dou_err_set(DOU_EINVAL, "%s: corrupt zip: %s", path, archive_error_string(a));
out:
        free(buf);
        archive_read_free(a);
        return rc;
}

static int ends_with(const char *s, const char *suf)
{
        size_t n = strlen(s), m = strlen(suf);
        return n >= m && !strcmp(s + n - m, suf);
}

static int load_body(struct loadctx *c, int kind, const char *path)
{
        char *buf = NULL;
        size_t len = 0;
        int rc;

        if (kind == VULN_SRC_OSV)
                return load_zip(c, path);
        rc = vuln__read_file(path, kind == VULN_SRC_DEBIAN ? VULN_TRACKER_MAX : VULN_RECORD_MAX * 4u,
                             &buf, &len);
        if (rc < 0)
                return rc;
        if (kind == VULN_SRC_DEBIAN) {
                rc = debian_tracker_parse(buf, len, put_cb, skip_cb, c);
        } else {
                size_t i = 0;
                while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t' || buf[i] == '\r'))
                        i++;
                int yaml = ends_with(path, ".yaml") || ends_with(path, ".yml") || i >= len || buf[i] != '{';
                rc = alpine_secdb_parse(buf, len, yaml, put_cb, skip_cb, c);
        }
        free(buf);
        return rc;
}

static int load_file_meta(struct vuln_db *db, const char *source, const char *path,
                          const char *etag, const char *lm, const struct vuln_load_opts *o,
                          struct vuln_load_stats *ret)
{
        struct loadctx c = { db, o };
        int kind = vuln_source_kind(source), rc;

        if (kind < 0)
                return dou_err_set(DOU_EINVAL, "unknown source name %s (want osv/<Ecosystem>,"
                                   " debian or alpine/<vX.Y>/<repo>)", source);
        if ((rc = vuln_db_load_begin(db, source, NULL)) < 0)
                return rc;
        rc = load_body(&c, kind, path);
        if (rc < 0) {
                vuln_db_load_abort(db, dou_err_msg());
                return rc;
        }
        return vuln_db_load_commit(db, etag, lm, ret);
}

int vuln_load_file(struct vuln_db *db, const char *source, const char *path,
                   const struct vuln_load_opts *o, struct vuln_load_stats *ret)
{
        return load_file_meta(db, source, path, NULL, NULL, o, ret);
}

/* ---- HTTP ---- */

struct dl {
        FILE *f;
        uint64_t got, max;
        char etag[256], lm[128];
};

static size_t dl_write(char *p, size_t sz, size_t n, void *ud)
{
        struct dl *d = ud;
        size_t len = sz * n;

        if (d->got + len > d->max)
                return 0;       /* aborts the transfer: CURLE_WRITE_ERROR */
        d->got += len;
        return fwrite(p, 1, len, d->f);
}

static void header_value(const char *p, size_t len, const char *name, char *out, size_t outlen)
{
        size_t nl = strlen(name);

        if (len <= nl || strncasecmp(p, name, nl))
                return;
        p += nl;
        len -= nl;
        while (len && (*p == ' ' || *p == '\t')) {
                p++;
                len--;
        }
        while (len && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
                len--;
        if (len < outlen) {
                memcpy(out, p, len);
                out[len] = 0;
        }
}

static size_t dl_header(char *p, size_t sz, size_t n, void *ud)
{
        struct dl *d = ud;

        header_value(p, sz * n, "etag:", d->etag, sizeof(d->etag));
        header_value(p, sz * n, "last-modified:", d->lm, sizeof(d->lm));
        return sz * n;
}

static int download(const char *url, const char *etag, const char *lm, const char *tmp,
                    const struct vuln_load_opts *o, struct dl *d, long *ret_status)
{
        CURL *h = curl_easy_init();
        struct curl_slist *hdrs = NULL;
        char line[512];
        CURLcode cc;
        int rc = 0;

        if (!h)
                return dou_err_set(DOU_ENOMEM, "curl init failed");
        if (etag) {
                snprintf(line, sizeof(line), "If-None-Match: %s", etag);
                hdrs = curl_slist_append(hdrs, line);
        }
        if (lm) {
                snprintf(line, sizeof(line), "If-Modified-Since: %s", lm);
                hdrs = curl_slist_append(hdrs, line);
        }
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, dl_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, d);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, dl_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, d);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, o && o->timeout_sec ? o->timeout_sec : 600L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "douane-vuln/1");
        cc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, ret_status);
        if (cc != CURLE_OK)
                rc = dou_err_set(DOU_EIO, "download %s: %s%s", url, curl_easy_strerror(cc),
                                 d->got >= d->max ? " (size bound)" : "");
        else if (*ret_status != 200 && *ret_status != 304)
                rc = dou_err_set(DOU_EIO, "download %s: HTTP %ld", url, *ret_status);
        (void)tmp;
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        return rc;
}

int vuln_load_url(struct vuln_db *db, const char *source, const char *url,
                  const struct vuln_load_opts *o, struct vuln_load_stats *ret)
{
        const char *tmpdir = o && o->tmpdir ? o->tmpdir : getenv("TMPDIR");
        char tmp[4096], *etag = NULL, *lm = NULL;
        struct dl d = { .max = VULN_DOWNLOAD_MAX };
        long status = 0;
        int fd, rc;

        if (!strncmp(url, "file://", 7))
                return vuln_load_file(db, source, url + 7, o, ret);
        if (vuln_source_kind(source) < 0)
                return dou_err_set(DOU_EINVAL, "unknown source name %s", source);
        if (snprintf(tmp, sizeof(tmp), "%s/douane-feed-XXXXXX", tmpdir ? tmpdir : "/tmp") >= (int)sizeof(tmp))
                return dou_err_set(DOU_EINVAL, "tmpdir path too long");
        if ((rc = vuln_db_source_state(db, source, &etag, &lm)) < 0)
                return rc;
        fd = mkstemp(tmp);
        if (fd < 0 || !(d.f = fdopen(fd, "w+"))) {
                rc = dou_err_errno(DOU_EIO, "temporary file in %s", tmpdir ? tmpdir : "/tmp");
                if (fd >= 0)
                        close(fd);
                goto out;
        }
        rc = download(url, etag, lm, tmp, o, &d, &status);
        if (fclose(d.f) != 0 && rc == 0)
                rc = dou_err_errno(DOU_EIO, "write %s", tmp);
        if (rc < 0) {
                /* record the failure as an operation; the data stays as it was */
                char *why = strdup(dou_err_msg());
                if (vuln_db_load_begin(db, source, NULL) == 0)
                        vuln_db_load_abort(db, why ? why : "download failed");
                free(why);
                dou_err_set(rc, "download %s failed (previous data kept)", url);
                goto out;
        }
        if (status == 304) {
                struct vuln_load_stats st = { .not_modified = 1 };
                rc = vuln_db_record_unchanged(db, source, &st.op);
                if (rc == 0 && ret)
                        *ret = st;
                goto out;
        }
        rc = load_file_meta(db, source, tmp, d.etag[0] ? d.etag : NULL, d.lm[0] ? d.lm : NULL, o, ret);
out:
        unlink(tmp);
        free(etag);
        free(lm);
        return rc;
}

int vuln_load(struct vuln_db *db, const char *source, const char *loc,
              const struct vuln_load_opts *o, struct vuln_load_stats *ret)
{
        if (strstr(loc, "://"))
                return vuln_load_url(db, source, loc, o, ret);
        return vuln_load_file(db, source, loc, o, ret);
}

/* ---- feed directories ---- */

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir (no dot files); caller frees. */
static int list_dir(const char *dir, char ***ret, size_t *ret_n)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char **v = NULL;
        size_t n = 0;

        if (!d)
                return dou_err_errno(errno == ENOENT ? DOU_ENOTFOUND : DOU_EIO, "open %s", dir);
        while ((e = readdir(d)) && n < 4096) {
                char **nv;
                if (e->d_name[0] == '.')
                        continue;
                nv = realloc(v, (n + 1) * sizeof(*v));
                if (!nv)
                        break;
                v = nv;
                if (!(v[n] = strdup(e->d_name)))
                        break;
                n++;
        }
        closedir(d);
        qsort(v, n, sizeof(*v), cmp_str);
        *ret = v;
        *ret_n = n;
        return 0;
}

static void free_list(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static int is_file(const char *p)
{
        struct stat st;
        return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int import_one(struct vuln_db *db, const char *source, const char *path,
                      const struct vuln_load_opts *o, vuln_import_cb cb, void *ctx)
{
        struct vuln_load_stats st = { 0 };
        int rc = vuln_load_file(db, source, path, o, &st);

        if (cb)
                cb(ctx, source, rc, &st);
        return rc;
}

int vuln_import_dir(struct vuln_db *db, const char *dir, const struct vuln_load_opts *o,
                    vuln_import_cb cb, void *ctx)
{
        char p[4096], src[512];
        char **v = NULL, **w = NULL;
        size_t n = 0, m = 0, found = 0;
        int failed = 0;

        snprintf(p, sizeof(p), "%s/osv", dir);
        if (list_dir(p, &v, &n) == 0) {
                for (size_t i = 0; i < n; i++) {
                        snprintf(p, sizeof(p), "%s/osv/%s/all.zip", dir, v[i]);
                        if (!is_file(p))
                                continue;
                        snprintf(src, sizeof(src), "osv/%s", v[i]);
                        found++;
                        failed |= import_one(db, src, p, o, cb, ctx) < 0;
                }
                free_list(v, n);
        }
        snprintf(p, sizeof(p), "%s/debian/json", dir);
        if (is_file(p)) {
                found++;
                failed |= import_one(db, "debian", p, o, cb, ctx) < 0;
        }
        snprintf(p, sizeof(p), "%s/alpine", dir);
        if (list_dir(p, &v, &n) == 0) {
                for (size_t i = 0; i < n; i++) {
                        snprintf(p, sizeof(p), "%s/alpine/%s", dir, v[i]);
                        if (list_dir(p, &w, &m) < 0)
                                continue;
                        for (size_t j = 0; j < m; j++) {
                                char *dot = strrchr(w[j], '.');
                                if (!dot || (strcmp(dot, ".json") && strcmp(dot, ".yaml")))
                                        continue;
                                /* the JSON and YAML copies hold the same data: prefer JSON */
                                if (!strcmp(dot, ".yaml")) {
                                        snprintf(p, sizeof(p), "%s/alpine/%s/%.*s.json", dir, v[i],
                                                 (int)(dot - w[j]), w[j]);
                                        if (is_file(p))
                                                continue;
                                }
                                snprintf(p, sizeof(p), "%s/alpine/%s/%s", dir, v[i], w[j]);
                                snprintf(src, sizeof(src), "alpine/%s/%.*s", v[i], (int)(dot - w[j]), w[j]);
                                found++;
                                failed |= import_one(db, src, p, o, cb, ctx) < 0;
                        }
                        free_list(w, m);
                }
                free_list(v, n);
        }
        if (!found)
                return dou_err_set(DOU_ENOTFOUND, "%s holds no osv/*/all.zip, debian/json or alpine/*/*", dir);
        return failed ? dou_err_set(DOU_EINVAL, "some sources failed to import (previous data kept)") : 0;
}
