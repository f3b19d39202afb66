/*
 * output.c - render a douane.vuln-report/v1 document as a table, JSON,
 * SARIF 2.1.0 or a CycloneDX 1.5 VEX BOM.
 *
 * Every format is derived from the JSON report only, so the formats cannot
 * disagree. The CycloneDX serial number is a UUID derived from the report's
 * SHA-256, so the same report always renders the same BOM.
 */
#include "vuln/vuln_int.h"
#include "util/digest.h"
#include "util/err.h"
#include "douane_version.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_MAX (512u << 20)

int vuln_format_parse(const char *s)
{
        if (!strcmp(s, "table"))
                return VULN_FMT_TABLE;
        if (!strcmp(s, "json"))
                return VULN_FMT_JSON;
        if (!strcmp(s, "sarif"))
                return VULN_FMT_SARIF;
        if (!strcmp(s, "cyclonedx-vex") || !strcmp(s, "cyclonedx"))
                return VULN_FMT_CDX_VEX;
        return -1;
}

struct sbuf {
        char *p;
        size_t len, cap;
        int err;
};

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (b->err)
                return;
        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        b->err = DOU_EINVAL;
                        return;
                }
                if (b->p && b->len + (size_t)n < b->cap) {
                        b->len += (size_t)n;
                        return;
                }
                size_t nc = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
                if (nc > OUT_MAX) {
                        b->err = DOU_ETOOBIG;
                        return;
                }
                char *np = realloc(b->p, nc);
                if (!np) {
                        b->err = DOU_ENOMEM;
                        return;
                }
                b->p = np;
                b->cap = nc;
        }
}

static const char *s_or(const json_t *o, const char *k, const char *dflt)
{
        const char *s = vuln__str(o, k);
        return s ? s : dflt;
}

static int render_table(const json_t *vr, char **ret)
{
        struct sbuf b = { 0 };
        size_t i, j, k;
        json_t *r, *f, *a;

        json_array_foreach(json_object_get(vr, "results"), i, r) {
                const json_t *d = json_object_get(r, "distribution");
                sb_printf(&b, "%s%s  %s  %s\n", i ? "\n" : "", s_or(r, "image", "-"),
                          s_or(r, "platform", "-"), s_or(d, "pretty_name", "no distribution"));
                sb_printf(&b, "%-9s %-20s %-28s %-26s %-26s %-13s %s\n", "SEVERITY", "ID", "PACKAGE",
                          "INSTALLED", "FIXED", "STATUS", "ALIASES");
                json_array_foreach(json_object_get(r, "findings"), j, f) {
                        const json_t *p = json_object_get(f, "package");
                        char aliases[256] = "";
                        size_t off = 0;
                        json_array_foreach(json_object_get(f, "aliases"), k, a) {
                                int n = snprintf(aliases + off, sizeof(aliases) - off, "%s%s", k ? "," : "",
                                                 json_string_value(a));
                                if (n < 0 || (size_t)n >= sizeof(aliases) - off) {
                                        snprintf(aliases + sizeof(aliases) - 4, 4, "...");
                                        break;
                                }
                                off += (size_t)n;
                        }
                        sb_printf(&b, "%-9s %-20s %-28s %-26s %-26s %-13s %s\n", s_or(f, "severity", "unknown"),
                                  s_or(f, "id", "-"), s_or(p, "name", "-"), s_or(f, "installed_version", "-"),
                                  s_or(f, "fixed_version", "-"), s_or(f, "status", "-"), aliases);
                }
                sb_printf(&b, "%zu findings, %zu suppressed by VEX, %zu undetermined\n",
                          json_array_size(json_object_get(r, "findings")),
                          json_array_size(json_object_get(r, "suppressed")),
                          json_array_size(json_object_get(r, "undetermined")));
        }
        if (!b.p)
                sb_printf(&b, "no results\n");
        if (b.err) {
                free(b.p);
                return dou_err_set(b.err, "rendering the table failed");
        }
        *ret = b.p;
        return 0;
}

static const char *sarif_level(const char *sev)
{
        int r = vuln_severity_rank(sev);
        return r >= 4 ? "error" : r == 3 ? "warning" : "note";
}

static json_t *sarif(const json_t *vr)
{
        json_t *rules = json_array(), *results = json_array(), *seen = json_object();
        size_t i, j, k;
        json_t *r, *f, *l;

        json_array_foreach(json_object_get(vr, "results"), i, r) {
                json_array_foreach(json_object_get(r, "findings"), j, f) {
                        const char *id = s_or(f, "id", "?");
                        const json_t *p = json_object_get(f, "package");
                        char msg[1024], sev[16];
                        json_t *locs = json_array();
                        if (!json_object_get(seen, id)) {
                                json_t *props = json_pack("{s:[s,s]}", "tags", "security", "vulnerability");
                                double sc = json_number_value(json_object_get(f, "score"));
                                if (sc > 0) {
                                        snprintf(sev, sizeof(sev), "%.1f", sc);
                                        json_object_set_new(props, "security-severity", json_string(sev));
                                }
                                json_object_set_new(seen, id, json_true());
                                json_array_append_new(rules, json_pack("{s:s, s:{s:s}, s:{s:s}, s:s*, s:o}",
                                        "id", id, "shortDescription", "text", id, "fullDescription", "text",
                                        s_or(f, "summary", id), "helpUri", vuln__str(f, "link"),
                                        "properties", props));
                        }
                        snprintf(msg, sizeof(msg), "%s %s is affected by %s (%s); %s%s", s_or(p, "name", "?"),
                                 s_or(f, "installed_version", "?"), id, s_or(f, "severity", "unknown"),
                                 vuln__str(f, "fixed_version") ? "fixed in " : "status: ",
                                 vuln__str(f, "fixed_version") ? vuln__str(f, "fixed_version") : s_or(f, "status", "?"));
                        json_array_foreach(json_object_get(f, "locations"), k, l) {
                                const char *path = vuln__str(l, "path");
                                if (path)
                                        json_array_append_new(locs, json_pack("{s:{s:{s:s}}, s:{s:s*}}",
                                                "physicalLocation", "artifactLocation", "uri", path,
                                                "properties", "layer", vuln__str(l, "layer")));
                        }
                        json_array_append_new(results, json_pack("{s:s, s:s, s:{s:s}, s:o, s:{s:s*, s:s*}}",
                                "ruleId", id, "level", sarif_level(vuln__str(f, "severity")),
                                "message", "text", msg, "locations", locs,
                                "properties", "image", vuln__str(r, "image"), "manifest", vuln__str(r, "manifest")));
                }
        }
        json_decref(seen);
        return json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:s, s:o}}, s:o}]}",
                         "$schema", "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
                         "runs", "tool", "driver", "name", "douane", "version", DOUANE_VERSION,
                         "informationUri", "https://github.com/douane/douane", "rules", rules,
                         "results", results);
}

static const char *cdx_severity(const char *s)
{
        int r = vuln_severity_rank(s);
        return r == 1 ? "info" : r <= 0 ? "unknown" : vuln_severity_name(r);
}

static const char *cdx_justification(const char *j)
{
        if (!j)
                return NULL;
        if (!strcmp(j, "component_not_present") || !strcmp(j, "vulnerable_code_not_present"))
                return "code_not_present";
        if (!strcmp(j, "vulnerable_code_not_in_execute_path"))
                return "code_not_reachable";
        if (!strcmp(j, "vulnerable_code_cannot_be_controlled_by_adversary"))
                return "requires_environment";
        if (!strcmp(j, "inline_mitigations_already_exist"))
                return "protected_by_mitigating_control";
        return NULL;
}

static void cdx_add(json_t *comps, json_t *compseen, json_t *vulns, const json_t *f, int suppressed)
{
        const json_t *p = json_object_get(f, "package"), *vex = json_object_get(f, "vex");
        char ref[1024], vref[1200];
        json_t *refs = json_array(), *ratings = json_array(), *a, *analysis;
        size_t i;
        const char *purl = vuln__str(p, "purl");

        snprintf(ref, sizeof(ref), "%s", purl ? purl : "");
        if (!purl)
                snprintf(ref, sizeof(ref), "%s:%s@%s", s_or(p, "type", "pkg"), s_or(p, "name", "?"),
                         s_or(p, "version", "?"));
        if (!json_object_get(compseen, ref)) {
                json_object_set_new(compseen, ref, json_true());
                json_array_append_new(comps, json_pack("{s:s, s:s, s:s, s:s, s:s*}", "type", "library",
                        "bom-ref", ref, "name", s_or(p, "name", "?"), "version", s_or(p, "version", "?"),
                        "purl", purl));
        }
        json_array_foreach(json_object_get(f, "aliases"), i, a)
                json_array_append_new(refs, json_pack("{s:O, s:{s:s}}", "id", a, "source", "name",
                        !strncmp(json_string_value(a), "CVE-", 4) ? "NVD" : "OSV"));
        {
                json_t *rt = json_pack("{s:s}", "severity", cdx_severity(vuln__str(f, "severity")));
                if (json_number_value(json_object_get(f, "score")) > 0)
                        json_object_set(rt, "score", json_object_get(f, "score"));
                if (vuln__str(f, "cvss_v3")) {
                        json_object_set_new(rt, "method", json_string("CVSSv31"));
                        json_object_set(rt, "vector", json_object_get(f, "cvss_v3"));
                }
                json_array_append_new(ratings, rt);
        }
        if (suppressed && vex) {
                const char *st = vuln__str(vex, "status");
                analysis = json_pack("{s:s}", "state", !strcmp(st, "fixed") ? "resolved" : "not_affected");
                if (cdx_justification(vuln__str(vex, "justification")))
                        json_object_set_new(analysis, "justification",
                                            json_string(cdx_justification(vuln__str(vex, "justification"))));
                if (vuln__str(vex, "impact_statement"))
                        json_object_set(analysis, "detail", json_object_get(vex, "impact_statement"));
        } else {
                char detail[512];
                snprintf(detail, sizeof(detail), "installed %s; %s %s", s_or(f, "installed_version", "?"),
                         s_or(f, "status", "?"), s_or(f, "fixed_version", ""));
                analysis = json_pack("{s:s, s:s}", "state", "in_triage", "detail", detail);
        }
        snprintf(vref, sizeof(vref), "%s/%s", s_or(f, "id", "?"), ref);
        json_t *v = json_pack("{s:s, s:s, s:{s:s}, s:o, s:o, s:o, s:[{s:s, s:[{s:s, s:s}]}]}",
                "bom-ref", vref, "id", s_or(f, "id", "?"), "source", "name",
                !strncmp(s_or(f, "id", ""), "CVE-", 4) ? "NVD" : "OSV",
                "references", refs, "ratings", ratings, "analysis", analysis,
                "affects", "ref", ref, "versions", "version", s_or(f, "installed_version", "?"),
                "status", suppressed ? "unaffected" : "affected");
        if (vuln__str(f, "summary"))
                json_object_set(v, "description", json_object_get(f, "summary"));
        if (vuln__str(f, "fixed_version")) {
                char rec[512];
                snprintf(rec, sizeof(rec), "Upgrade %s to %s or later", s_or(p, "name", "?"),
                         vuln__str(f, "fixed_version"));
                json_object_set_new(v, "recommendation", json_string(rec));
        }
        if (vuln__str(f, "link") && strstr(vuln__str(f, "link"), "://"))
                json_object_set_new(v, "advisories", json_pack("[{s:O}]", "url", json_object_get(f, "link")));
        json_array_append_new(vulns, v);
}

static json_t *cyclonedx(const json_t *vr)
{
        json_t *comps = json_array(), *vulns = json_array(), *seen = json_object(), *r, *f;
        const json_t *r0 = json_array_get(json_object_get(vr, "results"), 0);
        char *dump = json_dumps(vr, JSON_COMPACT | JSON_SORT_KEYS);
        struct digest d = { 0 };
        char serial[64];
        const char *h;
        size_t i, j;

        if (dump)
                digest_buf(DIGEST_SHA256, dump, strlen(dump), &d);
        free(dump);
        h = d.alg ? digest_hex(&d) : "00000000000000000000000000000000";
        snprintf(serial, sizeof(serial), "urn:uuid:%.8s-%.4s-4%.3s-8%.3s-%.12s", h, h + 8, h + 13, h + 17, h + 20);
        json_array_foreach(json_object_get(vr, "results"), i, r) {
                json_array_foreach(json_object_get(r, "findings"), j, f)
                        cdx_add(comps, seen, vulns, f, 0);
                json_array_foreach(json_object_get(r, "suppressed"), j, f)
                        cdx_add(comps, seen, vulns, f, 1);
        }
        json_decref(seen);
        return json_pack("{s:s, s:s, s:s, s:i, s:{s:O?, s:{s:[{s:s, s:s, s:s}]}, s:{s:s, s:s, s:s}}, s:o, s:o}",
                "bomFormat", "CycloneDX", "specVersion", "1.5", "serialNumber", serial, "version", 1,
                "metadata", "timestamp", json_object_get(vr, "generated"), "tools", "components",
                "type", "application", "name", "douane", "version", DOUANE_VERSION,
                "component", "type", "container", "bom-ref", s_or(r0, "manifest", s_or(r0, "image", "image")),
                "name", s_or(r0, "image", "image"),
                "components", comps, "vulnerabilities", vulns);
}

int vuln_render(const json_t *vr, enum vuln_format fmt, char **ret)
{
        json_t *doc = NULL;
        char *s;

        switch (fmt) {
        case VULN_FMT_TABLE:
                return render_table(vr, ret);
        case VULN_FMT_JSON:
                doc = json_incref((json_t *)vr);
                break;
        case VULN_FMT_SARIF:
                doc = sarif(vr);
                break;
        case VULN_FMT_CDX_VEX:
                doc = cyclonedx(vr);
                break;
        }
        if (!doc)
                return dou_err_set(DOU_ENOMEM, "rendering failed");
        s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (!s)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        *ret = s;
        return 0;
}
