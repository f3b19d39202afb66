/*
 * osv.c - one OSV record (https://ossf.github.io/osv-schema/) to the
 * normalised advisory of vuln.h.
 *
 * Only what matching needs survives: ECOSYSTEM and SEMVER ranges (GIT
 * ranges cannot be evaluated against an installed version and are
 * dropped), explicit versions, aliases plus the newer "upstream" key, CVSS
 * vectors scored by cvss.c, database_specific severity. Every array is
 * bounded; a record that breaks a bound or the schema's types is rejected
 * as a whole (the loader skips it and counts it), never half-stored.
 */
#include "vuln/vuln_int.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

static int add_ids(json_t *dst, const json_t *src, const char *self)
{
        size_t i;
        json_t *v;

        if (!src)
                return 0;
        if (!json_is_array(src) || json_array_size(src) > VULN_MAX_ALIASES)
                return dou_err_set(DOU_EINVAL, "aliases: not an array or too long");
        json_array_foreach(src, i, v) {
                const char *s = json_string_value(v);
                if (!s)
                        return dou_err_set(DOU_EINVAL, "aliases: not a string");
                /* a malformed alias (PYSEC-2022-184 has "GHSA-...,") is dropped,
                 * the record itself is still good */
                if (vuln__id_ok(s) && strcmp(s, self) && vuln__str_add_unique(dst, s, VULN_MAX_ALIASES) < 0)
                        return DOU_ETOOBIG;
        }
        return 0;
}

static const char *event_kinds[] = { "introduced", "fixed", "last_affected", "limit" };

/* Validate and copy a range's events; *ret_fixed = first fixed seen. */
static int copy_range(const json_t *r, json_t *ranges, const char **ret_fixed)
{
        const char *type = vuln__str(r, "type");
        const json_t *evs = json_object_get(r, "events");
        json_t *out, *e;
        size_t i;

        if (!type || !json_is_array(evs) || json_array_size(evs) > VULN_MAX_EVENTS)
                return dou_err_set(DOU_EINVAL, "range: type or events missing/too long");
        if (strcmp(type, "ECOSYSTEM") && strcmp(type, "SEMVER"))
                return 0;       /* GIT and unknown types: not version-comparable */
        out = json_array();
        if (!out)
                return DOU_ENOMEM;
        json_array_foreach(evs, i, e) {
                const char *kind = NULL, *val = NULL;
                for (size_t k = 0; k < 4; k++) {
                        const char *v = vuln__str(e, event_kinds[k]);
                        if (v) {
                                if (kind) {
                                        json_decref(out);
                                        return dou_err_set(DOU_EINVAL, "event with two kinds");
                                }
                                kind = event_kinds[k];
                                val = v;
                        }
                }
                if (!kind || !*val || strlen(val) > 256) {
                        json_decref(out);
                        return dou_err_set(DOU_EINVAL, "event without a valid version");
                }
                if (!strcmp(kind, "fixed") && !*ret_fixed)
                        *ret_fixed = val;
                json_array_append_new(out, json_pack("{s:s}", kind, val));
        }
        return json_array_append_new(ranges, json_pack("{s:s, s:o}", "type", type, "events", out));
}

static int copy_affected(const json_t *a, json_t *dst, const char **ret_sev)
{
        const json_t *pkg = json_object_get(a, "package");
        const char *eco = vuln__str(pkg, "ecosystem"), *name = vuln__str(pkg, "name");
        const json_t *rs = json_object_get(a, "ranges"), *vs = json_object_get(a, "versions");
        const char *fixed = NULL;
        char norm[VULN_NAME_MAX];
        json_t *ranges, *versions, *r, *v;
        size_t i;
        int rc;

        if (!pkg)
                return 0;       /* affected without a package (GIT-only advisories) */
        if (!eco || !name || strlen(eco) > 64)
                return dou_err_set(DOU_EINVAL, "affected: package ecosystem/name missing");
        if ((rc = vuln_name_normalize(eco, name, norm, sizeof(norm))) < 0)
                return rc;
        if ((rs && !json_is_array(rs)) || (vs && !json_is_array(vs)))
                return dou_err_set(DOU_EINVAL, "affected: ranges/versions not arrays");
        if (json_array_size(vs) > VULN_MAX_VERSIONS || json_array_size(rs) > VULN_MAX_EVENTS)
                return dou_err_set(DOU_ETOOBIG, "affected: too many versions or ranges");
        ranges = json_array();
        versions = json_array();
        json_array_foreach(rs, i, r)
                if ((rc = copy_range(r, ranges, &fixed)) < 0)
                        goto fail;
        json_array_foreach(vs, i, v) {
                const char *s = json_string_value(v);
                if (!s || strlen(s) > 256) {
                        rc = dou_err_set(DOU_EINVAL, "versions: not a string or too long");
                        goto fail;
                }
                json_array_append(versions, v);
        }
        if (!json_array_size(ranges) && !json_array_size(versions)) {
                json_decref(ranges);
                json_decref(versions);
                return 0;
        }
        for (const char *k = "database_specific"; k; k = strcmp(k, "ecosystem_specific") ? "ecosystem_specific" : NULL) {
                const char *s = vuln__str(json_object_get(a, k), "severity");
                if (s && !*ret_sev && vuln_severity_rank(s) >= 0)
                        *ret_sev = s;
        }
        return json_array_append_new(dst, json_pack("{s:s, s:s, s:s, s:s?, s:n, s:o, s:o}",
                "ecosystem", eco, "package", norm, "status", fixed ? "fixed" : "unfixed",
                "fixed", fixed, "urgency", "ranges", ranges, "versions", versions));
fail:
        json_decref(ranges);
        json_decref(versions);
        return rc;
}

static void set_severity(json_t *adv, const json_t *sevs, const char *dbsev)
{
        size_t i;
        json_t *s;
        int best = -1;
        double score = -1;

        json_array_foreach(sevs, i, s) {
                const char *type = vuln__str(s, "type"), *vec = vuln__str(s, "score");
                struct cvss c;
                if (!type || !vec || cvss_parse(vec, strlen(vec), &c) < 0)
                        continue;
                if (!strcmp(type, "CVSS_V3") && c.version >= 30) {
                        json_object_set_new(adv, "cvss_v3", json_string(vec));
                        score = c.score;
                        best = vuln_severity_rank(c.rating);
                } else if (!strcmp(type, "CVSS_V4") && c.version == 40) {
                        json_object_set_new(adv, "cvss_v4", json_string(vec));
                }
        }
        if (best < 0 && dbsev)
                best = vuln_severity_rank(dbsev);
        if (best < 0)
                best = 0;
        json_object_set_new(adv, "severity", json_string(vuln_severity_name(best)));
        json_object_set_new(adv, "score", score >= 0 ? json_real(score) : json_null());
}

static json_t *link_for(const char *id)
{
        char buf[256];

        if (!strncmp(id, "DSA-", 4) || !strncmp(id, "DLA-", 4) || !strncmp(id, "DTSA-", 5))
                snprintf(buf, sizeof(buf), "https://security-tracker.debian.org/tracker/%s", id);
        else if (!strncmp(id, "GO-", 3))
                snprintf(buf, sizeof(buf), "https://pkg.go.dev/vuln/%s", id);
        else
                snprintf(buf, sizeof(buf), "https://osv.dev/vulnerability/%s", id);
        return json_string(buf);
}

static int fill(json_t *adv, const json_t *rec)
{
        const char *id = vuln__str(rec, "id"), *dbsev = NULL;
        const json_t *aff = json_object_get(rec, "affected"), *refs = json_object_get(rec, "references");
        const char *summary = vuln__str(rec, "summary"), *details = vuln__str(rec, "details");
        json_t *a, *r;
        size_t i;
        int rc;

        if ((rc = add_ids(json_object_get(adv, "aliases"), json_object_get(rec, "aliases"), id)) < 0 ||
            (rc = add_ids(json_object_get(adv, "aliases"), json_object_get(rec, "upstream"), id)) < 0)
                return rc;
        if ((aff && !json_is_array(aff)) || json_array_size(aff) > VULN_MAX_AFFECTED)
                return dou_err_set(DOU_EINVAL, "affected: not an array or too long");
        json_array_foreach(aff, i, a)
                if ((rc = copy_affected(a, json_object_get(adv, "affected"), &dbsev)) < 0)
                        return rc;
        if (!dbsev)
                dbsev = vuln__str(json_object_get(rec, "database_specific"), "severity");
        set_severity(adv, json_object_get(rec, "severity"), dbsev);
        json_array_foreach(refs, i, r) {
                const char *u = vuln__str(r, "url");
                if (u && strlen(u) < 2048 && i < 1024)
                        json_array_append_new(json_object_get(adv, "references"), json_string(u));
        }
        if (!summary && details) {
                char buf[201];
                snprintf(buf, sizeof(buf), "%s", details);
                buf[strcspn(buf, "\n")] = 0;
                json_object_set_new(adv, "summary", json_string(buf));
        } else {
                json_object_set_new(adv, "summary", summary ? json_string(summary) : json_null());
        }
        json_object_set_new(adv, "published", json_incref(json_object_get(rec, "published")) ?: json_null());
        json_object_set_new(adv, "modified", json_string(vuln__str(rec, "modified")));
        json_object_set_new(adv, "withdrawn", json_incref(json_object_get(rec, "withdrawn")) ?: json_null());
        json_object_set_new(adv, "link", link_for(id));
        return 0;
}

int osv_parse(const char *buf, size_t len, json_t **ret)
{
        json_error_t jerr;
        json_t *rec, *adv;
        const char *id;
        int rc;

        if (len > VULN_RECORD_MAX)
                return dou_err_set(DOU_ETOOBIG, "osv record larger than %u bytes", VULN_RECORD_MAX);
        rec = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!rec)
                return dou_err_set(DOU_EINVAL, "osv: %s (line %d)", jerr.text, jerr.line);
        id = vuln__str(rec, "id");
        if (!json_is_object(rec) || !id || !vuln__id_ok(id) || !vuln__str(rec, "modified")) {
                json_decref(rec);
                return dou_err_set(DOU_EINVAL, "osv: id or modified missing or invalid");
        }
        for (const char *k = "published"; k; k = strcmp(k, "withdrawn") ? "withdrawn" : NULL) {
                json_t *v = json_object_get(rec, k);
                if (v && !json_is_string(v)) {
                        json_decref(rec);
                        return dou_err_set(DOU_EINVAL, "osv: %s is not a string", k);
                }
        }
        adv = vuln__adv_new(id);
        if (!adv) {
                json_decref(rec);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        rc = fill(adv, rec);
        json_decref(rec);
        if (rc < 0) {
                json_decref(adv);
                return rc;
        }
        *ret = adv;
        return 0;
}
