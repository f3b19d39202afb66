/*
 * alpine.c - Alpine secdb (https://secdb.alpinelinux.org/vX.Y/main.json and
 * the older YAML with the same structure).
 *
 * {"distroversion":"v3.11","reponame":"main","packages":[{"pkg":{"name":
 * ORIGIN,"secfixes":{FIXED_VERSION:[ids]}}}]}. Each listed id is fixed in
 * that apk version, so an installed version below it is vulnerable; the key
 * "0" means the package was never affected. secdb never lists unfixed
 * issues. Id strings are hand-written and are split into clean ids
 * (alpine_clean_ids): the first CVE becomes the advisory id, vendor ids on
 * the same line (XSA-, TALOS-) become aliases; comments in parentheses and
 * placeholders ("CVE-????-?????") are dropped. Ecosystem: "Alpine:vX.Y".
 */
#include "vuln/vuln_int.h"
#include "config/config.h"
#include "util/err.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ALPINE_MAX_IDS 16

static bool is_cve_body(const char *s, size_t n)
{
        /* YYYY-NNNN+ */
        if (n < 9 || s[4] != '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (i != 4 && !isdigit((unsigned char)s[i]))
                        return false;
        return true;
}

/* Longest "YYYY-NNNN+" prefix of s (len n), 0 if none. */
static size_t cve_body_prefix(const char *s, size_t n)
{
        size_t e = 5;

        if (n < 9 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
            !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]) || s[4] != '-')
                return 0;
        while (e < n && isdigit((unsigned char)s[e]))
                e++;
        return e - 5 >= 4 ? e : 0;
}

/* Vendor ids: letters (with dashes) then -digits groups: XSA-207, wnpa-sec-2017-18. */
static bool is_vendor_id(const char *s, size_t n)
{
        size_t i = 0;
        bool digits = false;

        while (i < n && (isalpha((unsigned char)s[i]) ||
                         (i && s[i] == '-' && i + 1 < n && isalpha((unsigned char)s[i + 1]))))
                i++;
        if (i == 0 || i >= n || s[i] != '-')
                return false;
        for (; i < n; i++) {
                if (isdigit((unsigned char)s[i]))
                        digits = true;
                else if (s[i] != '-')
                        return false;
        }
        return digits && n < VULN_ID_MAX;
}

size_t alpine_clean_ids(const char *s, char out[][VULN_ID_MAX], size_t max)
{
        size_t n = 0, len = strnlen(s, 4096), i = 0;

        while (i < len && n < max) {
                while (i < len && isspace((unsigned char)s[i]))
                        i++;
                if (i >= len || s[i] == '(')
                        break;          /* the rest is a comment */
                size_t b = i;
                while (i < len && !isspace((unsigned char)s[i]))
                        i++;
                const char *t = s + b;
                size_t tl = i - b, body;
                if (tl == 3 && !strncasecmp(t, "CVE", 3)) {
                        /* "CVE 2018-16859" */
                        size_t j = i;
                        while (j < len && isspace((unsigned char)s[j]))
                                j++;
                        size_t k = j;
                        while (k < len && !isspace((unsigned char)s[k]))
                                k++;
                        if (is_cve_body(s + j, k - j)) {
                                snprintf(out[n++], VULN_ID_MAX, "CVE-%.*s", (int)(k - j), s + j);
                                i = k;
                        }
                        continue;
                }
                if (tl > 4 && !strncasecmp(t, "CVE", 3) && (t[3] == '-' || t[3] == '_')) {
                        /* "CVE_2019-2426", "CVE-2017-8073.patch", "CVE-2017-17434-1" */
                        if ((body = cve_body_prefix(t + 4, tl - 4)) > 0)
                                snprintf(out[n++], VULN_ID_MAX, "CVE-%.*s", (int)body, t + 4);
                        continue;
                }
                if (is_vendor_id(t, tl))
                        snprintf(out[n++], VULN_ID_MAX, "%.*s", (int)tl, t);
        }
        return n;
}

struct agg {
        json_t *map;            /* id -> advisory */
        char eco[32];
};

static int add_fix(struct agg *g, const char *id, char ids[][VULN_ID_MAX], size_t nids,
                   const char *pkg, const char *ver)
{
        json_t *adv = json_object_get(g->map, id), *aff, *a;
        size_t i;
        char link[256];

        if (!adv) {
                adv = vuln__adv_new(id);
                if (!adv)
                        return DOU_ENOMEM;
                if (!strncmp(id, "CVE-", 4))
                        snprintf(link, sizeof(link), "https://security.alpinelinux.org/vuln/%s", id);
                else
                        link[0] = 0;
                json_object_set_new(adv, "summary", json_null());
                json_object_set_new(adv, "severity", json_string("unknown"));
                json_object_set_new(adv, "link", link[0] ? json_string(link) : json_null());
                json_object_set_new(g->map, id, adv);
        }
        for (i = 0; i < nids; i++)
                if (strcmp(ids[i], id))
                        vuln__str_add_unique(json_object_get(adv, "aliases"), ids[i], VULN_MAX_ALIASES);
        json_array_foreach(json_object_get(adv, "affected"), i, a)
                if (!strcmp(vuln__str(a, "package"), pkg))
                        return 0;       /* first fix listed for this package wins */
        if (json_array_size(json_object_get(adv, "affected")) >= VULN_MAX_AFFECTED)
                return 0;
        bool na = !strcmp(ver, "0");
        aff = vuln__aff_simple(g->eco, pkg, na ? "not-affected" : "fixed", na ? NULL : ver, NULL);
        if (!aff)
                return dou_err_set(DOU_EINVAL, "secdb: bad package name");
        if (na)
                json_object_set_new(aff, "ranges", json_array());
        json_array_append_new(json_object_get(adv, "affected"), aff);
        return 0;
}

static int one_line(struct agg *g, const char *pkg, const char *ver, const char *s,
                    vuln_skip_cb skip, void *ctx)
{
        char ids[ALPINE_MAX_IDS][VULN_ID_MAX];
        size_t n = alpine_clean_ids(s, ids, ALPINE_MAX_IDS), ncve = 0;
        int rc;

        if (n == 0) {
                if (skip)
                        skip(ctx, s, "secdb: no usable id in string");
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                if (strncmp(ids[i], "CVE-", 4))
                        continue;
                ncve++;
                if ((rc = add_fix(g, ids[i], ids, n, pkg, ver)) < 0)
                        return rc;
        }
        if (ncve == 0)
                for (size_t i = 0; i < n; i++)
                        if ((rc = add_fix(g, ids[i], ids, 0, pkg, ver)) < 0)
                                return rc;
        return 0;
}

static int one_package(struct agg *g, const json_t *p, vuln_skip_cb skip, void *ctx)
{
        const json_t *pkg = json_object_get(p, "pkg"), *fixes = json_object_get(pkg, "secfixes");
        const char *name = vuln__str(pkg, "name"), *ver;
        char norm[VULN_NAME_MAX];
        json_t *ids, *v;
        size_t i;
        int rc;

        if (!name || vuln_name_normalize("Alpine", name, norm, sizeof(norm)) < 0 ||
            (fixes && !json_is_object(fixes))) {
                if (skip)
                        skip(ctx, name ? name : "?", "secdb: package without name or secfixes");
                return 0;
        }
        json_object_foreach((json_t *)fixes, ver, ids) {
                if (!*ver || strlen(ver) > 128) {
                        if (skip)
                                skip(ctx, name, "secdb: bad fixed version key");
                        continue;
                }
                if (json_is_null(ids))
                        continue;       /* v3.6 heimdal: empty list written as null */
                if (!json_is_array(ids)) {
                        if (skip)
                                skip(ctx, name, "secdb: secfixes value is not a list");
                        continue;
                }
                json_array_foreach(ids, i, v) {
                        if (!json_is_string(v)) {
                                if (skip)
                                        skip(ctx, name, "secdb: id is not a string");
                                continue;
                        }
                        if ((rc = one_line(g, name, ver, json_string_value(v), skip, ctx)) < 0)
                                return rc;
                }
        }
        return 0;
}

static bool release_ok(const char *r)
{
        if (!r || r[0] != 'v' || !isdigit((unsigned char)r[1]) || strlen(r) > 16)
                return false;
        for (const char *p = r + 1; *p; p++)
                if (!isdigit((unsigned char)*p) && *p != '.')
                        return false;
        return true;
}

int alpine_secdb_parse(const char *buf, size_t len, int is_yaml, vuln_adv_cb cb, vuln_skip_cb skip,
                       void *ctx)
{
        struct agg g = { 0 };
        json_error_t jerr;
        char yerr[256];
        const json_t *pkgs;
        const char *rel, *k;
        json_t *root, *p, *adv;
        size_t i;
        int rc = 0;

        if (len > VULN_RECORD_MAX * 4u)
                return dou_err_set(DOU_ETOOBIG, "secdb file too large");
        if (is_yaml) {
                root = yaml_to_json(buf, len, yerr, sizeof(yerr));
                if (!root)
                        return dou_err_set(DOU_EINVAL, "secdb yaml: %s", yerr);
        } else {
                root = json_loadb(buf, len, 0, &jerr);
                if (!root)
                        return dou_err_set(DOU_EINVAL, "secdb: %s (line %d)", jerr.text, jerr.line);
        }
        rel = vuln__str(root, "distroversion");
        pkgs = json_object_get(root, "packages");
        if (!release_ok(rel) || (pkgs && !json_is_array(pkgs) && !json_is_null(pkgs))) {
                json_decref(root);
                return dou_err_set(DOU_EINVAL, "secdb: distroversion or packages missing/invalid");
        }
        snprintf(g.eco, sizeof(g.eco), "Alpine:%s", rel);
        g.map = json_object();
        json_array_foreach(pkgs, i, p)
                if ((rc = one_package(&g, p, skip, ctx)) < 0)
                        break;
        json_decref(root);
        if (rc == 0)
                json_object_foreach(g.map, k, adv) {
                        vuln__adv_canon(adv);
                        if ((rc = cb(ctx, adv)) < 0)
                                break;
                }
        json_decref(g.map);
        return rc;
}
