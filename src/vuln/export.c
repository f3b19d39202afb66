/*
 * export.c - write the database back out in the feeds' own layout
 * (osv/<Eco>/all.zip, alpine/<vX.Y>/<repo>.json, debian/json), so an
 * air-gapped site can carry a database across with `db export` and
 * `db import`. The output is rebuilt from the normalised rows (not the
 * original bytes): re-importing it reproduces the same advisories, which
 * the tests check. Each file is written under a temporary name and renamed.
 */
#include "vuln/vuln_int.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct exp {
        const char *dir;
        char cur[256];          /* current source being written */
        struct archive *zip;    /* osv: open zip */
        char zpath[4096], ztmp[4200];
        json_t *doc;            /* debian / alpine: document being built */
        int rc;
};

static json_t *osv_record(const json_t *adv)
{
        json_t *rec = json_pack("{s:O, s:O?, s:O}", "id", json_object_get(adv, "id"),
                                "modified", json_object_get(adv, "modified"),
                                "aliases", json_object_get(adv, "aliases"));
        json_t *aff = json_array(), *refs = json_array(), *a, *sev = json_array();
        size_t i;

        if (!rec)
                return NULL;
        /* absent stays absent: OSV forbids null for these */
        if (vuln__str(adv, "published"))
                json_object_set(rec, "published", json_object_get(adv, "published"));
        if (vuln__str(adv, "summary"))
                json_object_set(rec, "summary", json_object_get(adv, "summary"));
        if (vuln__str(adv, "withdrawn"))
                json_object_set(rec, "withdrawn", json_object_get(adv, "withdrawn"));
        if (!vuln__str(adv, "modified"))
                json_object_set_new(rec, "modified", json_string("1970-01-01T00:00:00Z"));
        json_array_foreach(json_object_get(adv, "affected"), i, a)
                json_array_append_new(aff, json_pack("{s:{s:O, s:O}, s:O, s:O}", "package", "ecosystem",
                        json_object_get(a, "ecosystem"), "name", json_object_get(a, "package"),
                        "ranges", json_object_get(a, "ranges"), "versions", json_object_get(a, "versions")));
        json_array_foreach(json_object_get(adv, "references"), i, a)
                json_array_append_new(refs, json_pack("{s:s, s:O}", "type", "WEB", "url", a));
        if (vuln__str(adv, "cvss_v3"))
                json_array_append_new(sev, json_pack("{s:s, s:O}", "type", "CVSS_V3", "score",
                                                     json_object_get(adv, "cvss_v3")));
        if (vuln__str(adv, "cvss_v4"))
                json_array_append_new(sev, json_pack("{s:s, s:O}", "type", "CVSS_V4", "score",
                                                     json_object_get(adv, "cvss_v4")));
        json_object_set_new(rec, "affected", aff);
        json_object_set_new(rec, "references", refs);
        if (json_array_size(sev))
                json_object_set_new(rec, "severity", sev);
        else
                json_decref(sev);
        if (vuln__str(adv, "severity") && strcmp(vuln__str(adv, "severity"), "unknown") && !vuln__str(adv, "cvss_v3"))
                json_object_set_new(rec, "database_specific", json_pack("{s:O}", "severity",
                                                                        json_object_get(adv, "severity")));
        return rec;
}

static int mkparent(const char *path)
{
        char d[4096];
        char *slash;

        snprintf(d, sizeof(d), "%s", path);
        slash = strrchr(d, '/');
        if (!slash)
                return 0;
        *slash = 0;
        return fs_mkdir_p(d, 0755);
}

/* Close whatever source is open, writing its file. */
static int flush(struct exp *e)
{
        int rc = 0;

        if (e->zip) {
                if (archive_write_close(e->zip) != ARCHIVE_OK)
                        rc = dou_err_set(DOU_EIO, "zip %s: %s", e->ztmp, archive_error_string(e->zip));
                archive_write_free(e->zip);
                e->zip = NULL;
                if (rc == 0 && rename(e->ztmp, e->zpath) < 0)
                        rc = dou_err_errno(DOU_EIO, "rename %s", e->zpath);
                if (rc < 0)
                        unlink(e->ztmp);
        }
        if (e->doc) {
                char path[4096];
                char *s = json_dumps(e->doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                if (!strcmp(e->cur, "debian"))
                        snprintf(path, sizeof(path), "%s/debian/json", e->dir);
                else
                        snprintf(path, sizeof(path), "%s/%s.json", e->dir, e->cur);
                if (!s)
                        rc = dou_err_set(DOU_ENOMEM, "out of memory");
                else if ((rc = mkparent(path)) == 0)
                        rc = fs_write_atomic(path, s, strlen(s));
                free(s);
                json_decref(e->doc);
                e->doc = NULL;
        }
        e->cur[0] = 0;
        return rc;
}

static int open_source(struct exp *e, const char *source)
{
        int rc;

        snprintf(e->cur, sizeof(e->cur), "%s", source);
        switch (vuln_source_kind(source)) {
        case VULN_SRC_OSV:
                snprintf(e->zpath, sizeof(e->zpath), "%s/%s/all.zip", e->dir, source);
                snprintf(e->ztmp, sizeof(e->ztmp), "%s.tmp", e->zpath);
                if ((rc = mkparent(e->zpath)) < 0)
                        return rc;
                e->zip = archive_write_new();
                if (!e->zip || archive_write_set_format_zip(e->zip) != ARCHIVE_OK ||
                    archive_write_open_filename(e->zip, e->ztmp) != ARCHIVE_OK)
                        return dou_err_set(DOU_EIO, "cannot write %s", e->ztmp);
                return 0;
        case VULN_SRC_DEBIAN:
                e->doc = json_object();
                return 0;
        case VULN_SRC_ALPINE: {
                const char *rel = source + 7, *slash = strchr(rel, '/');
                if (!slash)
                        return dou_err_set(DOU_EINVAL, "bad alpine source name %s", source);
                e->doc = json_pack("{s:s#, s:s, s:[]}", "distroversion", rel, (int)(slash - rel),
                                   "reponame", slash + 1, "packages");
                return 0;
        }
        default:
                return dou_err_set(DOU_EINVAL, "cannot export source %s", source);
        }
}

static const char *tracker_status(const char *st, const char **nodsa, const char **urg)
{
        *nodsa = NULL;
        if (!strcmp(st, "fixed") || !strcmp(st, "not-affected"))
                return "resolved";
        if (!strcmp(st, "postponed"))
                *nodsa = "postponed";
        else if (!strcmp(st, "will-not-fix"))
                *nodsa = "ignored";
        else if (!strcmp(st, "end-of-life"))
                *urg = "end-of-life";
        return "open";
}

static void add_debian(json_t *doc, const json_t *adv)
{
        size_t i;
        json_t *a;

        json_array_foreach(json_object_get(adv, "affected"), i, a) {
                const char *eco = vuln__str(a, "ecosystem"), *code, *st = vuln__str(a, "status");
                const char *urg = vuln__str(a, "urgency"), *nodsa;
                json_t *pkg, *cve, *rel;
                if (!eco || strncmp(eco, "Debian:", 7) || !(code = debian_codename_of(eco + 7)))
                        continue;
                const char *status = tracker_status(st, &nodsa, &urg);
                pkg = json_object_get(doc, vuln__str(a, "package"));
                if (!pkg) {
                        pkg = json_object();
                        json_object_set_new(doc, vuln__str(a, "package"), pkg);
                }
                cve = json_object_get(pkg, vuln__str(adv, "id"));
                if (!cve) {
                        cve = json_pack("{s:O?, s:{}}", "description", json_object_get(adv, "summary"), "releases");
                        json_object_set_new(pkg, vuln__str(adv, "id"), cve);
                }
                rel = json_pack("{s:s}", "status", status);
                if (!strcmp(st, "not-affected"))
                        json_object_set_new(rel, "fixed_version", json_string("0"));
                else if (vuln__str(a, "fixed"))
                        json_object_set(rel, "fixed_version", json_object_get(a, "fixed"));
                if (urg)
                        json_object_set_new(rel, "urgency", json_string(urg));
                if (nodsa)
                        json_object_set_new(rel, "nodsa_reason", json_string(nodsa));
                json_object_set_new(json_object_get(cve, "releases"), code, rel);
        }
}

static void add_alpine(json_t *doc, const json_t *adv)
{
        json_t *pkgs = json_object_get(doc, "packages"), *a, *p, *fixes, *ids;
        char line[1024];
        size_t i, j, off;

        off = (size_t)snprintf(line, sizeof(line), "%s", vuln__str(adv, "id"));
        json_array_foreach(json_object_get(adv, "aliases"), i, a)
                if (off < sizeof(line))
                        off += (size_t)snprintf(line + off, sizeof(line) - off, " %s", json_string_value(a));
        json_array_foreach(json_object_get(adv, "affected"), i, a) {
                const char *name = vuln__str(a, "package");
                const char *ver = !strcmp(vuln__str(a, "status"), "not-affected") ? "0" : vuln__str(a, "fixed");
                if (!name || !ver)
                        continue;
                fixes = NULL;
                json_array_foreach(pkgs, j, p)
                        if (!strcmp(vuln__str(json_object_get(p, "pkg"), "name"), name))
                                fixes = json_object_get(json_object_get(p, "pkg"), "secfixes");
                if (!fixes) {
                        fixes = json_object();
                        json_array_append_new(pkgs, json_pack("{s:{s:s, s:o}}", "pkg", "name", name, "secfixes", fixes));
                }
                ids = json_object_get(fixes, ver);
                if (!ids) {
                        ids = json_array();
                        json_object_set_new(fixes, ver, ids);
                }
                json_array_append_new(ids, json_string(line));
        }
}

static int export_cb(void *ctx, const char *source, json_t *adv)
{
        struct exp *e = ctx;
        int rc;

        if (strcmp(source, e->cur)) {
                if ((rc = flush(e)) < 0 || (rc = open_source(e, source)) < 0)
                        return rc;
        }
        if (e->zip) {
                json_t *rec = osv_record(adv);
                char *s = rec ? json_dumps(rec, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
                char name[VULN_ID_MAX + 8];
                struct archive_entry *en = archive_entry_new();
                json_decref(rec);
                if (!s || !en) {
                        free(s);
                        archive_entry_free(en);
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                }
                snprintf(name, sizeof(name), "%s.json", vuln__str(adv, "id"));
                archive_entry_set_pathname(en, name);
                archive_entry_set_filetype(en, AE_IFREG);
                archive_entry_set_perm(en, 0644);
                archive_entry_set_size(en, (la_int64_t)strlen(s));
                rc = archive_write_header(e->zip, en) == ARCHIVE_OK &&
                     archive_write_data(e->zip, s, strlen(s)) == (la_ssize_t)strlen(s)
                        ? 0 : dou_err_set(DOU_EIO, "zip write: %s", archive_error_string(e->zip));
                archive_entry_free(en);
                free(s);
                return rc;
        }
        if (!strcmp(source, "debian") || !strncmp(source, "debian/", 7))
                add_debian(e->doc, adv);
        else
                add_alpine(e->doc, adv);
        return 0;
}

int vuln_export_dir(struct vuln_db *db, const char *dir)
{
        struct exp e = { .dir = dir };
        int rc;

        if ((rc = fs_mkdir_p(dir, 0755)) < 0)
                return rc;
        rc = vuln_db_foreach(db, "", export_cb, &e);
        int rc2 = flush(&e);
        return rc < 0 ? rc : rc2;
}
