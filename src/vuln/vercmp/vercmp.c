/*
 * vercmp.c - ecosystem names and the dispatcher.
 *
 * The dispatcher applies the rules every ecosystem shares before handing
 * the strings to a comparator: non-empty, at most VERCMP_MAX_LEN bytes
 * (measured with strnlen so a huge input is never walked to its end) and
 * printable ASCII only. No real version in any of the eight ecosystems
 * needs whitespace, control bytes or non-ASCII, and refusing them here
 * keeps every comparator's character classes simple and locale-free.
 */
#include "vuln/vercmp/vercmp.h"
#include "vuln/vercmp/vercmp_int.h"
#include "util/err.h"

#include <string.h>

static const char *const eco_names[VERCMP_ECO_COUNT] = {
        [VERCMP_DPKG] = "dpkg",     [VERCMP_RPM] = "rpm",
        [VERCMP_APK] = "apk",       [VERCMP_SEMVER] = "semver",
        [VERCMP_PEP440] = "pep440", [VERCMP_MAVEN] = "maven",
        [VERCMP_GO] = "go",         [VERCMP_GEM] = "gem",
};

static int (*const eco_cmp[VERCMP_ECO_COUNT])(const char *, const char *, int *) = {
        [VERCMP_DPKG] = vercmp__dpkg,     [VERCMP_RPM] = vercmp__rpm,
        [VERCMP_APK] = vercmp__apk,       [VERCMP_SEMVER] = vercmp__semver,
        [VERCMP_PEP440] = vercmp__pep440, [VERCMP_MAVEN] = vercmp__maven,
        [VERCMP_GO] = vercmp__go,         [VERCMP_GEM] = vercmp__gem,
};

int vercmp_eco_parse(const char *name)
{
        if (!name)
                return -1;
        for (int i = 0; i < VERCMP_ECO_COUNT; i++)
                if (!strcmp(name, eco_names[i]))
                        return i;
        return -1;
}

const char *vercmp_eco_name(enum vercmp_eco eco)
{
        if ((unsigned)eco >= VERCMP_ECO_COUNT)
                return "unknown";
        return eco_names[eco];
}

int vercmp__digits(const char *a, size_t na, const char *b, size_t nb)
{
        while (na > 0 && *a == '0')
                a++, na--;
        while (nb > 0 && *b == '0')
                b++, nb--;
        if (na != nb)
                return na < nb ? -1 : 1;
        return vercmp__sign(memcmp(a, b, na));
}

int vercmp__bytes(const char *a, size_t na, const char *b, size_t nb)
{
        int c = memcmp(a, b, na < nb ? na : nb);
        if (c)
                return vercmp__sign(c);
        return na == nb ? 0 : (na < nb ? -1 : 1);
}

static int check_common(enum vercmp_eco eco, const char *v)
{
        if (!v)
                return dou_err_set(DOU_EINVAL, "%s: missing version", eco_names[eco]);
        size_t n = strnlen(v, VERCMP_MAX_LEN + 1);
        if (n == 0)
                return dou_err_set(DOU_EINVAL, "%s: empty version", eco_names[eco]);
        if (n > VERCMP_MAX_LEN)
                return dou_err_set(DOU_EINVAL, "%s: version longer than %d bytes",
                                   eco_names[eco], VERCMP_MAX_LEN);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)v[i];
                if (c <= 0x20 || c >= 0x7f)
                        return dou_err_set(DOU_EINVAL,
                                           "%s: version has a non-printable or non-ASCII byte 0x%02x at %zu",
                                           eco_names[eco], c, i);
        }
        return 0;
}

int vercmp(enum vercmp_eco eco, const char *a, const char *b, int *ret)
{
        int r;

        if ((unsigned)eco >= VERCMP_ECO_COUNT)
                return dou_err_set(DOU_EINVAL, "unknown version ecosystem %d", (int)eco);
        if ((r = check_common(eco, a)) < 0 || (r = check_common(eco, b)) < 0)
                return r;
        int res = 0;
        if ((r = eco_cmp[eco](a, b, &res)) < 0)
                return r;
        *ret = res;
        return 0;
}
