/*
 * debian.c - the Debian security tracker JSON
 * (https://security-tracker.debian.org/tracker/data/json).
 *
 * Layout: {source: {CVE: {description, releases: {codename: {status,
 * fixed_version, urgency, nodsa, nodsa_reason, repositories}}}}}. The feed
 * is keyed by package; we regroup by CVE so one advisory carries every
 * (package, release) it touches. Status mapping (docs/vuln.md):
 *   resolved + fixed_version "0"      -> not-affected
 *   resolved + version                -> fixed (vulnerable iff installed < version)
 *   open + urgency end-of-life        -> end-of-life
 *   open + nodsa_reason postponed     -> postponed
 *   open + nodsa_reason ignored       -> will-not-fix
 *   open / undetermined               -> unfixed
 * Codenames without a release number (sid, experimental) are skipped.
 * A malformed package or CVE entry is skipped through the skip callback; a
 * file that is not a JSON object of objects fails as a whole.
 */
#include "vuln/vuln_int.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

static const struct {
        const char *codename, *release;
} releases[] = {
        { "woody", "3.0" }, { "sarge", "3.1" }, { "etch", "4.0" }, { "lenny", "5.0" },
        { "squeeze", "6.0" }, { "wheezy", "7" }, { "jessie", "8" }, { "stretch", "9" },
        { "buster", "10" }, { "bullseye", "11" }, { "bookworm", "12" }, { "trixie", "13" },
        { "forky", "14" }, { "duke", "15" },
};

const char *debian_release_of(const char *codename)
{
        for (size_t i = 0; i < sizeof(releases) / sizeof(releases[0]); i++)
                if (!strcmp(codename, releases[i].codename))
                        return releases[i].release;
        return NULL;
}

const char *debian_codename_of(const char *release)
{
        for (size_t i = 0; i < sizeof(releases) / sizeof(releases[0]); i++)
                if (!strcmp(release, releases[i].release))
                        return releases[i].codename;
        return NULL;
}

static const char *urgency_severity(const char *u)
{
        if (!u)
                return "unknown";
        if (!strncmp(u, "unimportant", 11))
                return "negligible";
        if (!strncmp(u, "low", 3))
                return "low";
        if (!strncmp(u, "medium", 6))
                return "medium";
        if (!strncmp(u, "high", 4))
                return "high";
        return "unknown";
}

static const char *map_status(const char *status, const char *fixed, const char *urgency,
                              const char *nodsa_reason)
{
        if (!strcmp(status, "resolved"))
                return fixed && !strcmp(fixed, "0") ? "not-affected" : fixed ? "fixed" : NULL;
        if (strcmp(status, "open") && strcmp(status, "undetermined"))
                return NULL;
        if (urgency && !strcmp(urgency, "end-of-life"))
                return "end-of-life";
        if (nodsa_reason && !strcmp(nodsa_reason, "postponed"))
                return "postponed";
        if (nodsa_reason && !strcmp(nodsa_reason, "ignored"))
                return "will-not-fix";
        return "unfixed";
}

/* Get or create the advisory for id in the by-CVE map. */
static json_t *adv_for(json_t *map, const char *id, const char *desc)
{
        json_t *a = json_object_get(map, id);
        char link[256];

        if (a)
                return a;
        a = vuln__adv_new(id);
        if (!a)
                return NULL;
        snprintf(link, sizeof(link), "https://security-tracker.debian.org/tracker/%s", id);
        json_object_set_new(a, "summary", desc ? json_string(desc) : json_null());
        json_object_set_new(a, "severity", json_string("unknown"));
        json_object_set_new(a, "link", json_string(link));
        if (json_object_set_new(map, id, a) < 0)
                return NULL;
        return a;
}

static int one_release(json_t *adv, const char *pkg, const char *codename, const json_t *rel,
                       vuln_skip_cb skip, void *ctx)
{
        const char *status = vuln__str(rel, "status"), *fixed = vuln__str(rel, "fixed_version");
        const char *urg = vuln__str(rel, "urgency"), *why = vuln__str(rel, "nodsa_reason");
        const char *release = debian_release_of(codename), *st;
        char eco[32];
        json_t *aff;

        if (!release)
                return 0;
        if (!status || !(st = map_status(status, fixed, urg, why))) {
                if (skip)
                        skip(ctx, vuln__str(adv, "id"), "tracker: unknown release status");
                return 0;
        }
        if (fixed && strlen(fixed) > 256)
                return 0;
        snprintf(eco, sizeof(eco), "Debian:%s", release);
        aff = vuln__aff_simple(eco, pkg, st, !strcmp(st, "fixed") ? fixed : NULL, urg);
        if (!aff)
                return dou_err_set(DOU_EINVAL, "tracker: bad package name %s", pkg);
        if (!strcmp(st, "not-affected"))
                json_object_set_new(aff, "ranges", json_array());
        json_array_append_new(json_object_get(adv, "affected"), aff);
        {
                int cur = vuln_severity_rank(vuln__str(adv, "severity"));
                int s = vuln_severity_rank(urgency_severity(urg));
                if (s > cur)
                        json_object_set_new(adv, "severity", json_string(vuln_severity_name(s)));
        }
        return 0;
}

static int one_package(json_t *map, const char *pkg, const json_t *cves, vuln_skip_cb skip,
                       void *ctx)
{
        const char *id;
        json_t *c;

        if (!json_is_object(cves)) {
                if (skip)
                        skip(ctx, pkg, "tracker: package entry is not an object");
                return 0;
        }
        json_object_foreach((json_t *)cves, id, c) {
                const json_t *rels = json_object_get(c, "releases");
                const char *code;
                json_t *rel, *adv;
                if (!vuln__id_ok(id) || !json_is_object(rels)) {
                        if (skip)
                                skip(ctx, id, "tracker: bad id or releases");
                        continue;
                }
                if (json_object_size(rels) == 0)
                        continue;
                adv = adv_for(map, id, vuln__str(c, "description"));
                if (!adv)
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                if (json_array_size(json_object_get(adv, "affected")) > VULN_MAX_AFFECTED) {
                        if (skip)
                                skip(ctx, id, "tracker: too many affected packages");
                        continue;
                }
                json_object_foreach((json_t *)rels, code, rel) {
                        if (!json_is_object(rel)) {
                                if (skip)
                                        skip(ctx, id, "tracker: release entry is not an object");
                                continue;
                        }
                        int rc = one_release(adv, pkg, code, rel, skip, ctx);
                        if (rc < 0) {
                                if (skip)
                                        skip(ctx, id, dou_err_msg());
                        }
                }
        }
        return 0;
}

int debian_tracker_parse(const char *buf, size_t len, vuln_adv_cb cb, vuln_skip_cb skip, void *ctx)
{
        json_error_t jerr;
        json_t *root, *map, *v;
        const char *k;
        int rc = 0;

        if (len > VULN_TRACKER_MAX)
                return dou_err_set(DOU_ETOOBIG, "tracker json larger than %u bytes", VULN_TRACKER_MAX);
        root = json_loadb(buf, len, 0, &jerr);
        if (!root)
                return dou_err_set(DOU_EINVAL, "tracker: %s (line %d)", jerr.text, jerr.line);
        if (!json_is_object(root)) {
                json_decref(root);
                return dou_err_set(DOU_EINVAL, "tracker: top level is not an object");
        }
        map = json_object();
        json_object_foreach(root, k, v) {
                char norm[VULN_NAME_MAX];
                if (vuln_name_normalize("Debian", k, norm, sizeof(norm)) < 0) {
                        if (skip)
                                skip(ctx, k, "tracker: bad source package name");
                        continue;
                }
                if ((rc = one_package(map, k, v, skip, ctx)) < 0)
                        break;
        }
        json_decref(root);
        if (rc == 0) {
                json_object_foreach(map, k, v) {
                        if (!json_array_size(json_object_get(v, "affected")))
                                continue;
                        vuln__adv_canon(v);
                        if ((rc = cb(ctx, v)) < 0)
                                break;
                }
        }
        json_decref(map);
        return rc;
}
