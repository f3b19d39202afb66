/*
 * cvss.c - CVSS vector parsing and the v3.1 base score.
 *
 * v3.0 and v3.1 vectors are scored with the v3.1 base equations and the
 * v3.1 Roundup (integer arithmetic, so 4.000000001 does not become 4.1).
 * Each base metric must appear exactly once; temporal/environmental
 * metrics are accepted (well formed) and ignored, as the base score is what
 * feeds publish. v4.0 vectors are validated (every base metric once, values
 * in range) but not scored: the v4 score needs the macro-vector lookup table
 * of the specification, which we do not carry; callers fall back to the
 * feed's own rating. Input is bounded by len and never read past it.
 */
#include "vuln/vuln.h"
#include "util/err.h"
#include "util/mem.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#define CVSS_MAX_LEN 512

struct metric {
        const char *key;
        const char *vals;       /* allowed one-letter values */
};

static const struct metric v3_base[] = {
        { "AV", "NALP" }, { "AC", "LH" }, { "PR", "NLH" }, { "UI", "NR" },
        { "S", "UC" }, { "C", "HLN" }, { "I", "HLN" }, { "A", "HLN" },
};
static const struct metric v3_other[] = {
        { "E", "XUPFH" }, { "RL", "XOTWU" }, { "RC", "XURC" }, { "CR", "XLMH" },
        { "IR", "XLMH" }, { "AR", "XLMH" }, { "MAV", "XNALP" }, { "MAC", "XLH" },
        { "MPR", "XNLH" }, { "MUI", "XNR" }, { "MS", "XUC" }, { "MC", "XNLH" },
        { "MI", "XNLH" }, { "MA", "XNLH" },
};
static const struct metric v4_base[] = {
        { "AV", "NALP" }, { "AC", "LH" }, { "AT", "NP" }, { "PR", "NLH" },
        { "UI", "NPA" }, { "VC", "HLN" }, { "VI", "HLN" }, { "VA", "HLN" },
        { "SC", "HLN" }, { "SI", "HLN" }, { "SA", "HLN" },
};
static const struct metric v4_other[] = {
        { "E", "XAPU" }, { "CR", "XHML" }, { "IR", "XHML" }, { "AR", "XHML" },
        { "MAV", "XNALP" }, { "MAC", "XLH" }, { "MAT", "XNP" }, { "MPR", "XNLH" },
        { "MUI", "XNPA" }, { "MVC", "XHLN" }, { "MVI", "XHLN" }, { "MVA", "XHLN" },
        { "MSC", "XHLN" }, { "MSI", "XSHLN" }, { "MSA", "XSHLN" }, { "S", "XNP" },
        { "AU", "XNY" }, { "R", "XAUI" }, { "V", "XDC" }, { "RE", "XLMH" },
        { "U", "XClearGreenAmberRed" },
};

const char *cvss_rating(double s)
{
        if (s < 0)
                return NULL;
        if (s == 0)
                return "none";
        if (s < 4.0)
                return "low";
        if (s < 7.0)
                return "medium";
        if (s < 9.0)
                return "high";
        return "critical";
}

/* CVSS v3.1 Appendix A Roundup: smallest one-decimal value >= x. */
static double roundup(double x)
{
        long long i = llround(x * 100000.0);

        if (i % 10000 == 0)
                return (double)i / 100000.0;
        return (double)(i / 10000 + 1) / 10.0;
}

static int find_metric(const struct metric *m, size_t n, const char *k, size_t klen)
{
        for (size_t i = 0; i < n; i++)
                if (strlen(m[i].key) == klen && !memcmp(m[i].key, k, klen))
                        return (int)i;
        return -1;
}

/* Value check: v4 "U" takes words, everything else one letter. */
static int value_ok(const struct metric *m, const char *v, size_t vlen)
{
        if (!strcmp(m->key, "U") && !strcmp(m->vals, "XClearGreenAmberRed")) {
                static const char *w[] = { "X", "Clear", "Green", "Amber", "Red" };
                for (size_t i = 0; i < DOU_ARRAY_LEN(w); i++)
                        if (strlen(w[i]) == vlen && !memcmp(w[i], v, vlen))
                                return 1;
                return 0;
        }
        return vlen == 1 && strchr(m->vals, v[0]) != NULL;
}

/*
 * Walk "K:V/K:V..." after the prefix; base values land in vals[] (one
 * letter each). Fails on unknown keys, bad values, duplicates, missing base.
 */
static int walk(const char *p, size_t len, const struct metric *base, size_t nbase,
                const struct metric *other, size_t nother, char *vals)
{
        unsigned char seen_other[32] = { 0 };
        size_t i = 0;

        memset(vals, 0, nbase);
        while (i < len) {
                size_t s = i, colon = 0, e;
                while (i < len && p[i] != '/') {
                        if (p[i] == ':' && !colon)
                                colon = i;
                        i++;
                }
                e = i;
                if (i < len)
                        i++;            /* skip '/' */
                if (!colon || colon == s || colon + 1 == e)
                        return dou_err_set(DOU_EINVAL, "cvss: malformed metric");
                int b = find_metric(base, nbase, p + s, colon - s);
                if (b >= 0) {
                        if (vals[b] || !value_ok(&base[b], p + colon + 1, e - colon - 1))
                                return dou_err_set(DOU_EINVAL, "cvss: bad or repeated %s",
                                                   base[b].key);
                        vals[b] = p[colon + 1];
                        continue;
                }
                int o = find_metric(other, nother, p + s, colon - s);
                if (o < 0 || seen_other[o] || !value_ok(&other[o], p + colon + 1, e - colon - 1))
                        return dou_err_set(DOU_EINVAL, "cvss: unknown, bad or repeated metric");
                seen_other[o] = 1;
        }
        for (size_t k = 0; k < nbase; k++)
                if (!vals[k])
                        return dou_err_set(DOU_EINVAL, "cvss: missing base metric %s",
                                           base[k].key);
        return 0;
}

static double v3_score(const char *v)
{
        /* v: AV AC PR UI S C I A */
        double av = v[0] == 'N' ? 0.85 : v[0] == 'A' ? 0.62 : v[0] == 'L' ? 0.55 : 0.2;
        double ac = v[1] == 'L' ? 0.77 : 0.44;
        int changed = v[4] == 'C';
        double pr = v[2] == 'N' ? 0.85 : v[2] == 'L' ? (changed ? 0.68 : 0.62)
                                                    : (changed ? 0.5 : 0.27);
        double ui = v[3] == 'N' ? 0.85 : 0.62;
        double cia[3];
        for (int k = 0; k < 3; k++)
                cia[k] = v[5 + k] == 'H' ? 0.56 : v[5 + k] == 'L' ? 0.22 : 0;
        double iss = 1 - (1 - cia[0]) * (1 - cia[1]) * (1 - cia[2]);
        double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15)
                                : 6.42 * iss;
        double expl = 8.22 * av * ac * pr * ui;
        if (impact <= 0)
                return 0;
        if (changed)
                return roundup(fmin(1.08 * (impact + expl), 10));
        return roundup(fmin(impact + expl, 10));
}

int cvss_parse(const char *vec, size_t len, struct cvss *ret)
{
        char vals[16];
        int r;

        if (!vec || len > CVSS_MAX_LEN)
                return dou_err_set(DOU_EINVAL, "cvss: vector missing or too long");
        if (len > 9 && (!memcmp(vec, "CVSS:3.1/", 9) || !memcmp(vec, "CVSS:3.0/", 9))) {
                r = walk(vec + 9, len - 9, v3_base, DOU_ARRAY_LEN(v3_base), v3_other,
                         DOU_ARRAY_LEN(v3_other), vals);
                if (r < 0)
                        return r;
                ret->version = vec[7] == '1' ? 31 : 30;
                ret->score = v3_score(vals);
                ret->rating = cvss_rating(ret->score);
                return 0;
        }
        if (len > 9 && !memcmp(vec, "CVSS:4.0/", 9)) {
                r = walk(vec + 9, len - 9, v4_base, DOU_ARRAY_LEN(v4_base), v4_other,
                         DOU_ARRAY_LEN(v4_other), vals);
                if (r < 0)
                        return r;
                ret->version = 40;
                ret->score = -1;
                ret->rating = NULL;
                return 0;
        }
        return dou_err_set(DOU_EUNSUPPORTED, "cvss: unsupported version prefix");
}

static const char *sev_names[] = { "unknown", "negligible", "low", "medium", "high", "critical" };

int vuln_severity_rank(const char *s)
{
        if (!s)
                return -1;
        for (size_t i = 0; i < DOU_ARRAY_LEN(sev_names); i++)
                if (!strcasecmp(s, sev_names[i]))
                        return (int)i;
        if (!strcasecmp(s, "none") || !strcasecmp(s, "unimportant"))
                return 1;
        if (!strcasecmp(s, "moderate"))
                return 3;
        if (!strcasecmp(s, "important"))
                return 4;
        return -1;
}

const char *vuln_severity_name(int rank)
{
        if (rank < 0 || (size_t)rank >= DOU_ARRAY_LEN(sev_names))
                return "unknown";
        return sev_names[rank];
}
