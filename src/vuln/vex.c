/*
 * vex.c - OpenVEX (https://github.com/openvex/spec) documents.
 *
 * A statement applies to a finding when one of its vulnerability names
 * (name or aliases) is one of the finding's ids and either it lists no
 * products, or a product / subcomponent @id equals the package purl (with
 * or without version and qualifiers), the image reference or the manifest
 * digest. not_affected and fixed suppress the finding (it moves to
 * "suppressed" with the statement attached); affected and
 * under_investigation only annotate. Later statements win, as the spec
 * orders statements by time. Input is bounded (size, statements, products).
 */
#include "vuln/vuln_int.h"
#include "util/err.h"

#include <string.h>

#define VEX_MAX_BYTES (16u << 20)
#define VEX_MAX_STATEMENTS 100000
#define VEX_MAX_PRODUCTS 10000

static const char *statuses[] = { "not_affected", "affected", "fixed", "under_investigation" };
static const char *justifications[] = {
        "component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
        "vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist",
};

static int in_list(const char *s, const char **l, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(s, l[i]))
                        return 1;
        return 0;
}

static int add_ids(json_t *dst, const json_t *items, int with_sub)
{
        size_t i;
        json_t *p;

        if (items && !json_is_array(items))
                return -1;
        if (json_array_size(items) > VEX_MAX_PRODUCTS)
                return -1;
        json_array_foreach(items, i, p) {
                const char *id = json_is_string(p) ? json_string_value(p) : vuln__str(p, "@id");
                if (!id) {
                        /* identifiers.purl is allowed instead of @id */
                        id = vuln__str(json_object_get(p, "identifiers"), "purl");
                }
                if (!id)
                        return -1;
                json_array_append_new(dst, json_string(id));
                if (with_sub && add_ids(dst, json_object_get(p, "subcomponents"), 0) < 0)
                        return -1;
        }
        return 0;
}

static json_t *one_statement(const json_t *s)
{
        const json_t *v = json_object_get(s, "vulnerability");
        const char *status = vuln__str(s, "status"), *just = vuln__str(s, "justification");
        json_t *names = json_array(), *prods = json_array(), *a;
        size_t i;

        if (json_is_string(v)) {
                json_array_append(names, (json_t *)v);
        } else if (json_is_object(v)) {
                if (vuln__str(v, "name"))
                        json_array_append_new(names, json_string(vuln__str(v, "name")));
                json_array_foreach(json_object_get(v, "aliases"), i, a)
                        if (json_is_string(a))
                                json_array_append(names, a);
        }
        if (!json_array_size(names) || !status || !in_list(status, statuses, 4) ||
            (just && !in_list(just, justifications, 5)) ||
            (!strcmp(status, "not_affected") && !just && !vuln__str(s, "impact_statement")) ||
            add_ids(prods, json_object_get(s, "products"), 1) < 0 ||
            add_ids(prods, json_object_get(s, "subcomponents"), 0) < 0) {
                json_decref(names);
                json_decref(prods);
                return NULL;
        }
        return json_pack("{s:o, s:o, s:s, s:s?, s:s?}", "vulnerability", names, "products", prods,
                         "status", status, "justification", just,
                         "impact_statement", vuln__str(s, "impact_statement"));
}

int vex_parse(const char *buf, size_t len, json_t **ret)
{
        json_error_t jerr;
        json_t *doc, *out, *s;
        const char *ctx;
        size_t i;

        if (len > VEX_MAX_BYTES)
                return dou_err_set(DOU_ETOOBIG, "vex document larger than %u bytes", VEX_MAX_BYTES);
        doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc)
                return dou_err_set(DOU_EINVAL, "vex: %s (line %d)", jerr.text, jerr.line);
        ctx = vuln__str(doc, "@context");
        if (!ctx || strncmp(ctx, "https://openvex.dev/ns", 22) ||
            !json_is_array(json_object_get(doc, "statements")) ||
            json_array_size(json_object_get(doc, "statements")) > VEX_MAX_STATEMENTS) {
                json_decref(doc);
                return dou_err_set(DOU_EINVAL, "vex: not an OpenVEX document (@context, statements)");
        }
        out = json_array();
        json_array_foreach(json_object_get(doc, "statements"), i, s) {
                json_t *st = one_statement(s);
                if (!st) {
                        json_decref(out);
                        json_decref(doc);
                        return dou_err_set(DOU_EINVAL, "vex: statement %zu is invalid", i);
                }
                json_array_append_new(out, st);
        }
        json_decref(doc);
        *ret = out;
        return 0;
}

/* purl equality ignoring qualifiers/subpath, and the version when one side has none. */
static int purl_match(const char *p, const char *q)
{
        size_t lp = strcspn(p, "?#"), lq = strcspn(q, "?#");
        const char *ap = memchr(p, '@', lp), *aq = memchr(q, '@', lq);

        if (lp == lq && !memcmp(p, q, lp))
                return 1;
        if (!ap != !aq) {
                size_t bp = ap ? (size_t)(ap - p) : lp, bq = aq ? (size_t)(aq - q) : lq;
                return bp == bq && !memcmp(p, q, bp);
        }
        return 0;
}

static int product_applies(const json_t *prods, const json_t *f, const json_t *result)
{
        const char *purl = vuln__str(json_object_get(f, "package"), "purl");
        const char *img = vuln__str(result, "image"), *man = vuln__str(result, "manifest");
        size_t i;
        json_t *p;

        if (!json_array_size(prods))
                return 1;
        json_array_foreach(prods, i, p) {
                const char *id = json_string_value(p);
                if ((purl && purl_match(id, purl)) || (img && !strcmp(id, img)) ||
                    (man && !strcmp(id, man)))
                        return 1;
                /* pkg:oci/...@sha256:... names the image by digest */
                if (man && !strncmp(id, "pkg:oci/", 8) && strstr(id, man))
                        return 1;
        }
        return 0;
}

static int names_hit(const json_t *names, const json_t *f)
{
        size_t i, j;
        json_t *n, *a;

        json_array_foreach(names, i, n) {
                const char *s = json_string_value(n);
                if (!strcmp(s, vuln__str(f, "id")))
                        return 1;
                json_array_foreach(json_object_get(f, "aliases"), j, a)
                        if (!strcmp(s, json_string_value(a)))
                                return 1;
        }
        return 0;
}

int vuln__vex_apply(const json_t *vex, json_t *f, const json_t *result);

int vuln__vex_apply(const json_t *vex, json_t *f, const json_t *result)
{
        const json_t *hit = NULL, *s;
        size_t i;

        json_array_foreach(vex, i, s)
                if (names_hit(json_object_get(s, "vulnerability"), f) &&
                    product_applies(json_object_get(s, "products"), f, result))
                        hit = s;
        if (!hit)
                return 0;
        json_object_set_new(f, "vex", json_pack("{s:O, s:O?, s:O?}", "status", json_object_get(hit, "status"),
                                                "justification", json_object_get(hit, "justification"),
                                                "impact_statement", json_object_get(hit, "impact_statement")));
        return !strcmp(vuln__str(hit, "status"), "not_affected") || !strcmp(vuln__str(hit, "status"), "fixed");
}
