/*
 * match.c - index report (douane.index-report/v1) x advisory DB -> findings.
 *
 * Rules (docs/vuln.md):
 *  - OS packages are looked up by *source* package in the image's own
 *    release ("Debian:12", "Alpine:v3.18"); the version compared is the
 *    source version when the report gives one (dpkg Source: field), with the
 *    distro's comparator (dpkg, apk).
 *  - language packages by ecosystem + normalised name; packages owned by an
 *    OS package are skipped (the OS package covers them).
 *  - a row is evaluated with OSV semantics: affected iff the version is in
 *    `versions` or inside a range (events sorted by version; introduced opens,
 *    fixed / last_affected close, limit bounds). not-affected rows never
 *    match; unfixed/postponed/will-not-fix/end-of-life rows match every
 *    version and keep the distro's status.
 *  - candidate findings of one package that share any id (a DSA and its
 *    CVEs, the tracker's CVE entry) are merged: one CVE = one finding.
 *  - a version the comparator rejects never produces a finding; it is listed
 *    under "undetermined" so nothing is silently dropped.
 */
#include "vuln/vuln_int.h"
#include "vuln/vercmp/vercmp.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MATCH_MAX_PKGS 200000

/* Go versions need the "v" prefix; "go1.21.3" (stdlib) becomes "v1.21.3". */
static const char *ver_for(int vc, const char *v, char *buf, size_t len)
{
        if (vc != VERCMP_GO)
                return v;
        if (!strncmp(v, "go", 2))
                v += 2;
        if (v[0] == 'v')
                return v;
        snprintf(buf, len, "v%s", v);
        return buf;
}

static int cmp(int vc, const char *a, const char *b, int *ret)
{
        char ba[VERCMP_MAX_LEN + 8], bb[VERCMP_MAX_LEN + 8];

        /* OSV "introduced": "0" means "from the start" in every ecosystem; it is
         * not a version ("0~1" sorts below "0" in dpkg, and semver/go reject it) */
        if (!strcmp(a, "0")) {
                *ret = !strcmp(b, "0") ? 0 : -1;
                return 0;
        }
        if (!strcmp(b, "0")) {
                *ret = 1;
                return 0;
        }
        return vercmp((enum vercmp_eco)vc, ver_for(vc, a, ba, sizeof(ba)), ver_for(vc, b, bb, sizeof(bb)), ret);
}

struct ev {
        char kind;              /* i, f, l (last_affected), m (limit) */
        const char *v;
};

/*
 * Is ver inside this range? 1 yes, 0 no, <0 comparator error.
 * *fixed gets the first fixed event above ver when affected.
 */
static int in_range(int vc, const char *ver, const json_t *events, const char **fixed)
{
        struct ev e[VULN_MAX_EVENTS];
        size_t n = 0, i;
        json_t *o;
        int c, affected = 0, has_limit = 0, under_limit = 0;

        json_array_foreach(events, i, o) {
                const char *k;
                json_t *v;
                if (n >= VULN_MAX_EVENTS)
                        break;
                json_object_foreach(o, k, v) {
                        e[n].kind = !strcmp(k, "introduced") ? 'i' : !strcmp(k, "fixed") ? 'f'
                                  : !strcmp(k, "last_affected") ? 'l' : 'm';
                        e[n++].v = json_string_value(v);
                        break;
                }
        }
        /* insertion sort by version; events are few. Maven's order is not
         * transitive (maven-artifact agrees), so Maven events keep the
         * order the record gives instead of being sorted */
        for (i = 1; i < n && vc != VERCMP_MAVEN; i++) {
                struct ev t = e[i];
                size_t j = i;
                while (j > 0) {
                        if (cmp(vc, e[j - 1].v, t.v, &c) < 0)
                                return DOU_EINVAL;
                        if (c <= 0)
                                break;
                        e[j] = e[j - 1];
                        j--;
                }
                e[j] = t;
        }
        for (i = 0; i < n; i++) {
                if (cmp(vc, ver, e[i].v, &c) < 0)
                        return DOU_EINVAL;
                switch (e[i].kind) {
                case 'i': if (c >= 0) affected = 1; break;
                case 'f': if (c >= 0) affected = 0; break;
                case 'l': if (c > 0) affected = 0; break;
                default:
                        has_limit = 1;
                        if (c < 0)
                                under_limit = 1;
                }
        }
        if (has_limit && !under_limit)
                affected = 0;
        if (affected && fixed) {
                *fixed = NULL;
                for (i = 0; i < n; i++)
                        if (e[i].kind == 'f' && cmp(vc, ver, e[i].v, &c) == 0 && c < 0) {
                                *fixed = e[i].v;
                                break;
                        }
        }
        return affected;
}

/* Evaluate one DB row. 1 affected (fixed set or NULL), 0 not, <0 undetermined. */
static int row_affects(int vc, const char *ver, const char *status, const char *ranges_s,
                       const char *versions_s, const char **fixed, json_t **keep)
{
        json_t *ranges = ranges_s ? json_loads(ranges_s, 0, NULL) : NULL;
        json_t *r;
        size_t i;
        int hit = 0, err = 0;

        *fixed = NULL;
        *keep = ranges;         /* *fixed points into it */
        if (!strcmp(status, "not-affected"))
                return 0;
        json_array_foreach(ranges, i, r) {
                const char *f = NULL;
                int a = in_range(vc, ver, json_object_get(r, "events"), &f);
                if (a < 0)
                        err = 1;
                else if (a > 0) {
                        hit = 1;
                        if (f && !*fixed)
                                *fixed = f;
                }
        }
        /* explicit versions: exact string match; look for the JSON-encoded
         * string in the stored array text instead of parsing a list that can
         * hold a thousand entries */
        if (!hit && versions_s && versions_s[1]) {
                json_t *js = json_string(ver);
                char *needle = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
                json_decref(js);
                if (needle && strstr(versions_s, needle))
                        hit = 1;
                free(needle);
        }
        if (!hit && err)
                return DOU_EINVAL;
        return hit;
}

int vuln__ranges_affect(const char *ecosystem, const char *version, const char *ranges_json,
                        const char **ret_fixed, json_t **ret_keep)
{
        int vc = vuln__eco_vercmp(ecosystem);

        if (vc < 0)
                return dou_err_set(DOU_EUNSUPPORTED, "no comparator for %s", ecosystem);
        return row_affects(vc, version, "affected", ranges_json, NULL, ret_fixed, ret_keep);
}

static int id_rank(const char *id)
{
        if (!strncmp(id, "CVE-", 4))
                return 0;
        if (!strncmp(id, "DSA-", 4) || !strncmp(id, "DLA-", 4))
                return 1;
        if (!strncmp(id, "GHSA-", 5))
                return 2;
        return 3;
}

/* Add every id of src (and src's own ids) into the finding's id set. */
static void ids_union(json_t *dst, const json_t *src)
{
        size_t i;
        json_t *v;

        json_array_foreach(src, i, v)
                vuln__str_add_unique(dst, json_string_value(v), VULN_MAX_ALIASES);
}

static int ids_overlap(const json_t *a, const json_t *b)
{
        size_t i, j;
        json_t *x, *y;

        json_array_foreach(a, i, x)
                json_array_foreach(b, j, y)
                        if (!strcmp(json_string_value(x), json_string_value(y)))
                                return 1;
        return 0;
}

/* Choose the finding id: a single CVE if there is one, else the best-ranked id. */
static const char *primary_id(const json_t *ids)
{
        const char *best = NULL, *cve = NULL;
        int ncve = 0, br = 99;
        size_t i;
        json_t *v;

        json_array_foreach(ids, i, v) {
                const char *s = json_string_value(v);
                int r = id_rank(s);
                if (r == 0) {
                        ncve++;
                        if (!cve)
                                cve = s;
                }
                if (r < br || (r == br && best && strcmp(s, best) < 0 && r != 0)) {
                        br = r;
                        best = s;
                }
        }
        if (ncve == 1)
                return cve;
        if (ncve > 1) {
                /* several CVEs: the vendor advisory that groups them names the finding */
                br = 99;
                best = NULL;
                json_array_foreach(ids, i, v) {
                        int r = id_rank(json_string_value(v));
                        if (r > 0 && r < br) {
                                br = r;
                                best = json_string_value(v);
                        }
                }
                return best ? best : cve;
        }
        return best;
}

static const char *status_rank_pick(const char *a, const char *b)
{
        /* a fix known anywhere wins; otherwise keep the distro's own word */
        if (!strcmp(b, "fixed"))
                return b;
        if (!strcmp(a, "fixed"))
                return a;
        return strcmp(a, "unfixed") ? a : b;
}

/* Merge candidate c into finding f (both share an id). */
static void merge_into(int vc, json_t *f, json_t *c)
{
        const char *fa = vuln__str(f, "fixed_version"), *fb = vuln__str(c, "fixed_version");
        int r;

        ids_union(json_object_get(f, "_ids"), json_object_get(c, "_ids"));
        json_array_extend(json_object_get(f, "advisories"), json_object_get(c, "advisories"));
        if (fb && (!fa || (cmp(vc, fa, fb, &r) == 0 && r < 0)))
                json_object_set(f, "fixed_version", json_object_get(c, "fixed_version"));
        json_object_set_new(f, "status", json_string(status_rank_pick(vuln__str(f, "status"),
                                                                      vuln__str(c, "status"))));
        if (vuln_severity_rank(vuln__str(c, "severity")) > vuln_severity_rank(vuln__str(f, "severity")))
                json_object_set(f, "severity", json_object_get(c, "severity"));
        if (json_number_value(json_object_get(c, "score")) > json_number_value(json_object_get(f, "score")))
                json_object_set(f, "score", json_object_get(c, "score"));
        if (json_is_null(json_object_get(f, "summary")))
                json_object_set(f, "summary", json_object_get(c, "summary"));
        if (json_is_null(json_object_get(f, "link")))
                json_object_set(f, "link", json_object_get(c, "link"));
        if (!vuln__str(f, "cvss_v3") && vuln__str(c, "cvss_v3"))
                json_object_set(f, "cvss_v3", json_object_get(c, "cvss_v3"));
        if (!strcmp(vuln__str(f, "status"), "fixed") && !vuln__str(f, "fixed_version"))
                json_object_set_new(f, "status", json_string("unfixed"));
}

static json_t *col(sqlite3_stmt *st, int i)
{
        const unsigned char *s = sqlite3_column_text(st, i);
        return s ? json_string((const char *)s) : json_null();
}

/* Does any advisory name (eco, norm)? Built per ecosystem on first use. */
static int has_advisories(struct vuln_db *db, const char *eco, const char *norm)
{
        json_t *set;

        if (!db->pkgsets)
                db->pkgsets = json_object();
        set = json_object_get(db->pkgsets, eco);
        if (!set) {
                sqlite3_stmt *st;
                set = json_object();
                if (sqlite3_prepare_v2(db->sql, "SELECT DISTINCT package FROM affected WHERE ecosystem=?1",
                                       -1, &st, NULL) != SQLITE_OK) {
                        json_decref(set);
                        return 1;       /* cannot tell: let the lookup decide */
                }
                sqlite3_bind_text(st, 1, eco, -1, SQLITE_STATIC);
                while (sqlite3_step(st) == SQLITE_ROW)
                        json_object_set_new(set, (const char *)sqlite3_column_text(st, 0), json_true());
                sqlite3_finalize(st);
                json_object_set_new(db->pkgsets, eco, set);
        }
        return json_object_get(set, norm) != NULL;
}

/* Drop the name sets when the data changed since they were built. */
static void pkgsets_check(struct vuln_db *db)
{
        int64_t op = vuln_db_last_op(db);

        if (db->pkgsets && op != db->pkgsets_op) {
                json_decref(db->pkgsets);
                db->pkgsets = NULL;
        }
        db->pkgsets_op = op;
}

/* Candidate findings for one (ecosystem, name, version). */
static int lookup(struct vuln_db *db, const char *eco, const char *name, const char *ver,
                  json_t *cands, json_t *undetermined)
{
        sqlite3_stmt *st = db->st_match;
        int vc = vuln__eco_vercmp(eco);
        char norm[VULN_NAME_MAX];

        if (vc < 0 || vuln_name_normalize(eco, name, norm, sizeof(norm)) < 0 ||
            !has_advisories(db, eco, norm))
                return 0;
        sqlite3_bind_text(st, 1, eco, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, norm, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *id = (const char *)sqlite3_column_text(st, 0);
                const char *status = (const char *)sqlite3_column_text(st, 8);
                const char *fixed = NULL;
                json_t *keep = NULL, *c, *ids;
                int a;

                if (sqlite3_column_type(st, 4) != SQLITE_NULL)
                        continue;       /* withdrawn */
                a = row_affects(vc, ver, status, (const char *)sqlite3_column_text(st, 11),
                                (const char *)sqlite3_column_text(st, 12), &fixed, &keep);
                if (a < 0)
                        json_array_append_new(undetermined, json_pack("{s:s,s:s,s:s,s:s}", "id", id,
                                              "ecosystem", eco, "package", name, "version", ver));
                if (a <= 0) {
                        json_decref(keep);
                        continue;
                }
                ids = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
                if (!json_is_array(ids)) {
                        json_decref(ids);
                        ids = json_array();
                }
                json_array_insert_new(ids, 0, json_string(id));
                c = json_pack("{s:o, s:[{s:s,s:o}], s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
                              "_ids", ids, "advisories", "id", id, "source", col(st, 7),
                              "fixed_version", fixed ? json_string(fixed) : json_null(),
                              "status", fixed ? "fixed" : strcmp(status, "fixed") ? status : "unfixed",
                              "severity", col(st, 2),
                              "score", sqlite3_column_type(st, 3) == SQLITE_NULL ? json_null()
                                       : json_real(sqlite3_column_double(st, 3)),
                              "cvss_v3", col(st, 13), "summary", col(st, 6), "link", col(st, 5),
                              "urgency", col(st, 9));
                json_decref(keep);
                if (c)
                        json_array_append_new(cands, c);
        }
        sqlite3_reset(st);
        /* union-find would be overkill: candidate lists per package are short */
        for (size_t i = 0; i < json_array_size(cands); i++) {
                json_t *f = json_array_get(cands, i);
                for (size_t j = i + 1; j < json_array_size(cands);) {
                        json_t *c = json_array_get(cands, j);
                        if (ids_overlap(json_object_get(f, "_ids"), json_object_get(c, "_ids"))) {
                                merge_into(vc, f, c);
                                json_array_remove(cands, j);
                                j = i + 1;      /* the id set grew: rescan */
                        } else {
                                j++;
                        }
                }
        }
        return 0;
}

/* Ecosystem of the image's distribution for OS packages; "" when unknown. */
static void distro_eco(const json_t *dist, char *deb, char *alp, size_t len)
{
        const char *id = vuln__str(dist, "id"), *ver = vuln__str(dist, "version_id");
        const char *code = vuln__str(dist, "version_codename");

        deb[0] = alp[0] = 0;
        if (!id)
                return;
        if (!strcmp(id, "debian")) {
                const char *rel = ver;
                if (!rel && code)
                        rel = debian_release_of(code);
                if (rel && strlen(rel) < 16)
                        snprintf(deb, len, "Debian:%s", rel);
        } else if (!strcmp(id, "ubuntu") && ver && strlen(ver) < 16) {
                snprintf(deb, len, "Ubuntu:%s", ver);
        } else if (!strcmp(id, "alpine") && ver) {
                const char *d1 = strchr(ver, '.');
                size_t n = d1 ? strcspn(d1 + 1, ".") + (size_t)(d1 - ver) + 1 : strlen(ver);
                if (n < 16)
                        snprintf(alp, len, "Alpine:v%.*s", (int)n, ver);
        }
}

static const char *lang_eco(const char *type)
{
        static const char *map[][2] = {
                { "pypi", "PyPI" }, { "npm", "npm" }, { "golang", "Go" }, { "maven", "Maven" },
                { "gem", "RubyGems" }, { "cargo", "crates.io" },
        };
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (!strcmp(type, map[i][0]))
                        return map[i][1];
        return NULL;
}

/* Finish candidates into findings attached to pkg. */
static void emit(json_t *findings, json_t *cands, const json_t *pkg, const char *eco,
                 const char *qname, const char *qver)
{
        size_t i;
        json_t *c;

        json_array_foreach(cands, i, c) {
                json_t *ids = json_object_get(c, "_ids");
                const char *pid = primary_id(ids);
                json_t *aliases = json_array(), *v;
                size_t k;
                json_array_foreach(ids, k, v)
                        if (strcmp(json_string_value(v), pid))
                                json_array_append(aliases, v);
                json_object_set_new(c, "id", json_string(pid));
                json_object_set_new(c, "aliases", aliases);
                json_object_del(c, "_ids");
                json_object_set_new(c, "package", json_pack("{s:O?, s:O?, s:O?, s:s, s:s, s:s, s:O?}",
                        "name", json_object_get(pkg, "name"), "version", json_object_get(pkg, "version"),
                        "type", json_object_get(pkg, "type"), "ecosystem", eco,
                        "matched_name", qname, "matched_version", qver,
                        "purl", json_object_get(pkg, "purl")));
                json_object_set_new(c, "installed_version", json_string(qver));
                json_object_set(c, "locations", json_object_get(pkg, "locations") ?: json_null());
                if (json_is_null(json_object_get(c, "locations")))
                        json_object_set_new(c, "locations", json_array());
                json_array_append(findings, c);
        }
}

static int cmp_findings(const void *a, const void *b)
{
        const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
        int sx = vuln_severity_rank(vuln__str(x, "severity")), sy = vuln_severity_rank(vuln__str(y, "severity"));
        int r;

        if (sx != sy)
                return sy - sx;
        if ((r = strcmp(vuln__str(x, "id"), vuln__str(y, "id"))))
                return r;
        return strcmp(vuln__str(json_object_get(x, "package"), "name"),
                      vuln__str(json_object_get(y, "package"), "name"));
}

static void sort_findings(json_t *arr)
{
        size_t n = json_array_size(arr);
        json_t **v = n ? malloc(n * sizeof(*v)) : NULL;

        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                v[i] = json_incref(json_array_get(arr, i));
        qsort(v, n, sizeof(*v), cmp_findings);
        json_array_clear(arr);
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, v[i]);
        free(v);
}

int vuln__vex_apply(const json_t *vex, json_t *finding, const json_t *result);

static int keep_finding(const struct vuln_match_opts *o, json_t *f, const json_t *result)
{
        if (o && o->vex && vuln__vex_apply(o->vex, f, result))
                return 0;
        if (o && o->only_fixed && !vuln__str(f, "fixed_version"))
                return 0;
        if (o && o->min_severity > 0 && vuln_severity_rank(vuln__str(f, "severity")) < o->min_severity)
                return 0;
        return 1;
}

/*
 * What to look up for package p: *eco, *qname (normalised later), *qver.
 * 1 = look it up, 0 = not matchable, -1 = owned by an OS package (skipped).
 */
static int pkg_query(const json_t *p, const char *deb, const char *alp, const char **ret_eco,
                     const char **ret_name, const char **ret_ver, char full[VULN_NAME_MAX])
{
        const char *type = vuln__str(p, "type"), *name = vuln__str(p, "name");
        const char *ver = vuln__str(p, "version"), *eco = NULL, *qname = name, *qver = ver;
        const json_t *src = json_object_get(p, "source"), *owner = json_object_get(p, "owner");

        if (!type || !name || !ver || strlen(ver) > VERCMP_MAX_LEN)
                return 0;
        if (owner && !json_is_null(owner))
                return -1;
        if (!strcmp(type, "deb") || !strcmp(type, "apk")) {
                eco = !strcmp(type, "deb") ? deb : alp;
                if (vuln__str(src, "name"))
                        qname = vuln__str(src, "name");
                if (!strcmp(type, "deb") && vuln__str(src, "version"))
                        qver = vuln__str(src, "version");
                if (!eco[0])
                        return 0;
        } else if ((eco = lang_eco(type))) {
                const char *ns = vuln__str(p, "namespace");
                if (ns && !strcmp(type, "npm") && name[0] != '@') {
                        snprintf(full, VULN_NAME_MAX, "%s/%s", ns, name);
                        qname = full;
                } else if (ns && !strcmp(type, "maven")) {
                        snprintf(full, VULN_NAME_MAX, "%s:%s", ns, name);
                        qname = full;
                }
        } else {
                return 0;
        }
        *ret_eco = eco;
        *ret_name = qname;
        *ret_ver = qver;
        return 1;
}

/*
 * Re-matching needs only finding keys "id\tpackage\tversion" per image, not
 * whole findings: the cache maps (eco, name, version) to the primary ids, so
 * a package seen in another image costs one hash lookup.
 */
void vuln__pkgsets_check(struct vuln_db *db)
{
        pkgsets_check(db);
}

int vuln__keys_for(struct vuln_db *db, json_t *cache, const char *eco, const char *qname,
                   const char *qver, const char *name, json_t *keys)
{
        char ck[VULN_NAME_MAX * 2 + VERCMP_MAX_LEN + 80], key[2048];
        json_t *ids, *v;
        size_t j;

        snprintf(ck, sizeof(ck), "%s\x1f%s\x1f%s", eco, qname, qver);
        ids = json_object_get(cache, ck);
        if (!ids) {
                json_t *cands = json_array(), *undet = json_array(), *c;
                if (json_object_size(cache) >= 500000)
                        json_object_clear(cache);       /* bound memory */
                ids = json_array();
                lookup(db, eco, qname, qver, cands, undet);
                json_array_foreach(cands, j, c)
                        json_array_append_new(ids, json_string(primary_id(json_object_get(c, "_ids"))));
                json_decref(cands);
                json_decref(undet);
                json_object_set_new(cache, ck, ids);
        }
        json_array_foreach(ids, j, v) {
                snprintf(key, sizeof(key), "%s\t%s\t%s", json_string_value(v), name, qver);
                json_object_set_new(keys, key, json_true());
        }
        return 0;
}

static int report_ok(const json_t *rep)
{
        const json_t *pkgs = json_object_get(rep, "packages");

        return json_is_object(rep) && vuln__str(rep, "schema") &&
               !strcmp(vuln__str(rep, "schema"), "douane.index-report/v1") && json_is_array(pkgs) &&
               json_array_size(pkgs) <= MATCH_MAX_PKGS;
}

int vuln__match_keys(struct vuln_db *db, const json_t *rep, json_t *cache, json_t *keys)
{
        const json_t *p;
        char deb[32], alp[32];
        size_t i;

        if (!report_ok(rep))
                return dou_err_set(DOU_EINVAL, "not a douane.index-report/v1 document");
        distro_eco(json_object_get(rep, "distribution"), deb, alp, sizeof(deb));
        json_array_foreach(json_object_get(rep, "packages"), i, p) {
                const char *eco, *qname, *qver;
                char full[VULN_NAME_MAX];
                if (pkg_query(p, deb, alp, &eco, &qname, &qver, full) > 0)
                        vuln__keys_for(db, cache, eco, qname, qver, vuln__str(p, "name"), keys);
        }
        return 0;
}

static int has_sep(const char *s)
{
        return strpbrk(s, "\t\n") != NULL;
}

/*
 * The match-relevant projection of an index report (object or array):
 * "I\t<image key>\n" per image, then "P\t<eco>\t<name>\t<version>\t<binary>\n"
 * per matchable package. Re-matching stores it so an unchanged report is
 * never parsed again. Packages whose fields hold tabs/newlines are left out.
 */
int vuln__report_blob(const json_t *report, char **ret, size_t *ret_len)
{
        size_t n = json_is_array(report) ? json_array_size(report) : 1, cap = 4096, len = 0;
        char *b = malloc(cap);

        if (!b)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        if (n == 0) {
                free(b);
                return dou_err_set(DOU_EINVAL, "empty report array");
        }
        for (size_t r = 0; r < n; r++) {
                const json_t *rep = json_is_array(report) ? json_array_get(report, r) : report, *p;
                const char *img = vuln__str(rep, "manifest") ? vuln__str(rep, "manifest")
                                : vuln__str(rep, "image") ? vuln__str(rep, "image") : "unknown";
                char deb[32], alp[32];
                size_t i;
                if (!report_ok(rep) || has_sep(img)) {
                        free(b);
                        return dou_err_set(DOU_EINVAL, "not a douane.index-report/v1 document");
                }
                distro_eco(json_object_get(rep, "distribution"), deb, alp, sizeof(deb));
                for (i = (size_t)-1; i == (size_t)-1 || i < json_array_size(json_object_get(rep, "packages")); i++) {
                        const char *eco = "", *qname = img, *qver = "", *name = "";
                        char full[VULN_NAME_MAX];
                        int img_line = i == (size_t)-1;
                        if (!img_line) {
                                p = json_array_get(json_object_get(rep, "packages"), i);
                                if (pkg_query(p, deb, alp, &eco, &qname, &qver, full) <= 0)
                                        continue;
                                name = vuln__str(p, "name");
                                if (has_sep(qname) || has_sep(qver) || has_sep(name))
                                        continue;
                        }
                        size_t need = strlen(eco) + strlen(qname) + strlen(qver) + strlen(name) + 16;
                        if (len + need > cap) {
                                size_t nc = (cap + need) * 2;
                                char *nb = nc > (256u << 20) ? NULL : realloc(b, nc);
                                if (!nb) {
                                        free(b);
                                        return dou_err_set(DOU_ETOOBIG, "report projection too large");
                                }
                                b = nb;
                                cap = nc;
                        }
                        if (img_line)
                                len += (size_t)snprintf(b + len, cap - len, "I\t%s\n", img);
                        else
                                len += (size_t)snprintf(b + len, cap - len, "P\t%s\t%s\t%s\t%s\n", eco, qname, qver, name);
                }
        }
        b[len] = 0;
        *ret = b;
        *ret_len = len;
        return 0;
}

static int match_one(struct vuln_db *db, const json_t *rep, const struct vuln_match_opts *o,
                     json_t **ret)
{
        const json_t *pkgs = json_object_get(rep, "packages"), *p;
        char deb[32], alp[32];
        json_t *res, *all = json_array(), *findings, *suppressed, *undet = json_array(), *f;
        size_t i, skipped_owned = 0, checked = 0;

        if (!json_is_object(rep) || !vuln__str(rep, "schema") ||
            strcmp(vuln__str(rep, "schema"), "douane.index-report/v1") || !json_is_array(pkgs) ||
            json_array_size(pkgs) > MATCH_MAX_PKGS) {
                json_decref(all);
                json_decref(undet);
                return dou_err_set(DOU_EINVAL, "not a douane.index-report/v1 document");
        }
        distro_eco(json_object_get(rep, "distribution"), deb, alp, sizeof(deb));
        json_array_foreach(pkgs, i, p) {
                const char *eco, *qname, *qver;
                char full[VULN_NAME_MAX];
                json_t *cands;
                int q = pkg_query(p, deb, alp, &eco, &qname, &qver, full);

                if (q < 0)
                        skipped_owned++;
                if (q <= 0)
                        continue;
                checked++;
                if (o && o->cache) {
                        char key[VULN_NAME_MAX + VERCMP_MAX_LEN + 80];
                        snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", eco, qname, qver);
                        json_t *hit = json_object_get(o->cache, key);
                        if (!hit) {
                                if (json_object_size(o->cache) >= 500000)
                                        json_object_clear(o->cache);    /* bound memory */
                                hit = json_array();
                                lookup(db, eco, qname, qver, hit, undet);
                                json_object_set_new(o->cache, key, hit);
                        }
                        cands = json_deep_copy(hit);
                } else {
                        cands = json_array();
                        lookup(db, eco, qname, qver, cands, undet);
                }
                emit(all, cands, p, eco, qname, qver);
                json_decref(cands);
        }
        findings = json_array();
        suppressed = json_array();
        json_array_foreach(all, i, f)
                json_array_append(keep_finding(o, f, rep) ? findings : suppressed, f);
        json_decref(all);
        sort_findings(findings);
        res = json_pack("{s:O?, s:O?, s:O?, s:O?, s:{s:I, s:I}, s:o, s:o, s:o}",
                        "image", json_object_get(rep, "image"), "manifest", json_object_get(rep, "manifest"),
                        "platform", json_object_get(rep, "platform"),
                        "distribution", json_object_get(rep, "distribution"),
                        "packages", "matched", (json_int_t)checked, "skipped_owned", (json_int_t)skipped_owned,
                        "findings", findings, "suppressed", suppressed, "undetermined", undet);
        if (!res)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        *ret = res;
        return 0;
}

static json_t *summary_of(const json_t *results)
{
        json_t *s = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "critical", 0, "high", 0, "medium", 0,
                              "low", 0, "negligible", 0, "unknown", 0, "total", 0, "suppressed", 0);
        size_t i, j;
        json_t *r, *f;

        json_array_foreach(results, i, r) {
                json_array_foreach(json_object_get(r, "findings"), j, f) {
                        const char *sev = vuln_severity_name(vuln_severity_rank(vuln__str(f, "severity")));
                        json_object_set_new(s, sev, json_integer(json_integer_value(json_object_get(s, sev)) + 1));
                        json_object_set_new(s, "total", json_integer(json_integer_value(json_object_get(s, "total")) + 1));
                }
                json_object_set_new(s, "suppressed", json_integer(json_integer_value(json_object_get(s, "suppressed")) +
                                    (json_int_t)json_array_size(json_object_get(r, "suppressed"))));
        }
        return s;
}

int vuln_match_report(struct vuln_db *db, const json_t *report, const struct vuln_match_opts *o,
                      json_t **ret)
{
        json_t *results = json_array(), *r, *out;
        char now[32];
        size_t i;
        int rc, txn = 0;

        /* one read transaction for the whole report: no lock round trip per lookup */
        if (sqlite3_get_autocommit(db->sql) && vuln__exec(db, "BEGIN") == 0)
                txn = 1;
        pkgsets_check(db);

        if (json_is_array(report)) {
                json_array_foreach(report, i, r) {
                        json_t *one;
                        if ((rc = match_one(db, r, o, &one)) < 0) {
                                json_decref(results);
                                if (txn)
                                        vuln__exec(db, "COMMIT");
                                return rc;
                        }
                        json_array_append_new(results, one);
                }
        } else {
                json_t *one;
                if ((rc = match_one(db, report, o, &one)) < 0) {
                        json_decref(results);
                        if (txn)
                                vuln__exec(db, "COMMIT");
                        return rc;
                }
                json_array_append_new(results, one);
        }
        if (txn)
                vuln__exec(db, "COMMIT");
        vuln__now(now, sizeof(now));
        out = json_pack("{s:s, s:s, s:{s:I}, s:o, s:o}", "schema", "douane.vuln-report/v1",
                        "generated", now, "db", "last_op", (json_int_t)vuln_db_last_op(db),
                        "summary", summary_of(results), "results", results);
        if (!out)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        *ret = out;
        return 0;
}

int vuln_report_max_severity(const json_t *vr)
{
        int best = -1;
        size_t i, j;
        json_t *r, *f;

        json_array_foreach(json_object_get(vr, "results"), i, r)
                json_array_foreach(json_object_get(r, "findings"), j, f) {
                        int s = vuln_severity_rank(vuln__str(f, "severity"));
                        if (s > best)
                                best = s;
                }
        return best;
}
