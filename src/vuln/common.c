/*
 * common.c - small pieces shared by the feed parsers and the matcher:
 * id validation, advisory builders, per-ecosystem name normalisation.
 *
 * Names are normalised the same way at load and at match time, so the
 * (ecosystem, package) index lookup is an exact string comparison.
 */
#include "vuln/vuln_int.h"
#include "vuln/vercmp/vercmp.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <ctype.h>
#include <string.h>

bool vuln__id_ok(const char *id)
{
        size_t n = id ? strlen(id) : 0;

        if (n == 0 || n >= VULN_ID_MAX || id[0] == '.' || strstr(id, ".."))
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)id[i];
                if (!isalnum(c) && !strchr("._:+-", c))
                        return false;
        }
        return true;
}

const char *vuln__str(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

json_t *vuln__adv_new(const char *id)
{
        json_t *a = json_pack("{s:s, s:[], s:[], s:[]}", "id", id, "aliases", "references",
                              "affected");
        return a;
}

int vuln__str_add_unique(json_t *arr, const char *s, size_t max)
{
        size_t i;
        json_t *v;

        json_array_foreach(arr, i, v)
                if (!strcmp(json_string_value(v), s))
                        return 0;
        if (json_array_size(arr) >= max)
                return dou_err_set(DOU_ETOOBIG, "too many entries");
        if (json_array_append_new(arr, json_string(s)) < 0)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        return 0;
}

json_t *vuln__aff_simple(const char *eco, const char *pkg, const char *status,
                         const char *fixed, const char *urgency)
{
        char name[VULN_NAME_MAX];
        json_t *events, *a;

        if (vuln_name_normalize(eco, pkg, name, sizeof(name)) < 0)
                return NULL;
        events = fixed ? json_pack("[{s:s},{s:s}]", "introduced", "0", "fixed", fixed)
                       : json_pack("[{s:s}]", "introduced", "0");
        if (!events)
                return NULL;
        a = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:[{s:s, s:o}], s:[]}", "ecosystem", eco,
                      "package", name, "status", status, "fixed", fixed, "urgency", urgency,
                      "ranges", "type", "ECOSYSTEM", "events", events, "versions");
        return a;
}

static void lower_into(const char *s, char *out, size_t outlen)
{
        size_t i;
        for (i = 0; s[i] && i + 1 < outlen; i++)
                out[i] = (char)tolower((unsigned char)s[i]);
        out[i] = 0;
}

int vuln_name_normalize(const char *eco, const char *name, char *out, size_t outlen)
{
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n >= outlen || n >= VULN_NAME_MAX)
                return dou_err_set(DOU_EINVAL, "package name empty or too long");
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)name[i] < 0x20)
                        return dou_err_set(DOU_EINVAL, "control character in package name");
        if (!strcmp(eco, "PyPI")) {
                /* PEP 503: lowercase, runs of - _ . become one - */
                size_t o = 0;
                for (size_t i = 0; i < n; i++) {
                        char c = (char)tolower((unsigned char)name[i]);
                        if (c == '-' || c == '_' || c == '.') {
                                if (o && out[o - 1] == '-')
                                        continue;
                                c = '-';
                        }
                        out[o++] = c;
                }
                out[o] = 0;
                return 0;
        }
        if (!strcmp(eco, "crates.io") || !strcmp(eco, "npm") || !strcmp(eco, "Maven")) {
                /* registry names are case-insensitive (npm: new names lowercase only) */
                lower_into(name, out, outlen);
                return 0;
        }
        memcpy(out, name, n + 1);
        return 0;
}

int vuln__eco_vercmp(const char *eco)
{
        if (!strncmp(eco, "Debian", 6) || !strncmp(eco, "Ubuntu", 6))
                return VERCMP_DPKG;
        if (!strncmp(eco, "Alpine", 6))
                return VERCMP_APK;
        if (!strncmp(eco, "Red Hat", 7) || !strncmp(eco, "Rocky", 5) ||
            !strncmp(eco, "AlmaLinux", 9) || !strncmp(eco, "openSUSE", 8) ||
            !strncmp(eco, "SUSE", 4))
                return VERCMP_RPM;
        if (!strcmp(eco, "PyPI"))
                return VERCMP_PEP440;
        if (!strcmp(eco, "npm") || !strcmp(eco, "crates.io"))
                return VERCMP_SEMVER;
        if (!strcmp(eco, "Go"))
                return VERCMP_GO;
        if (!strcmp(eco, "Maven"))
                return VERCMP_MAVEN;
        if (!strcmp(eco, "RubyGems"))
                return VERCMP_GEM;
        return -1;
}

int vuln__read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
        return fs_read_small(path, max, ret, ret_len);
}

static int cmp_aff(const json_t *a, const json_t *b)
{
        static const char *keys[] = { "ecosystem", "package", "status", "fixed" };
        for (size_t i = 0; i < 4; i++) {
                const char *x = vuln__str(a, keys[i]), *y = vuln__str(b, keys[i]);
                int r = strcmp(x ? x : "", y ? y : "");
                if (r)
                        return r;
        }
        return 0;
}

static int cmp_strv(const json_t *a, const json_t *b)
{
        return strcmp(json_string_value(a), json_string_value(b));
}

/* Stable insertion sort of a jansson array (arrays here are short). */
static void sort_array(json_t *arr, int (*cmp)(const json_t *, const json_t *))
{
        size_t n = json_array_size(arr);

        for (size_t i = 1; i < n; i++) {
                json_t *t = json_incref(json_array_get(arr, i));
                size_t j = i;
                while (j > 0 && cmp(json_array_get(arr, j - 1), t) > 0) {
                        json_array_set(arr, j, json_array_get(arr, j - 1));
                        j--;
                }
                json_array_set_new(arr, j, t);
        }
}

void vuln__adv_canon(json_t *adv)
{
        sort_array(json_object_get(adv, "aliases"), cmp_strv);
        sort_array(json_object_get(adv, "affected"), cmp_aff);
}
