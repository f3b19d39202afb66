/*
 * vercmp.h - version comparison, one exact comparator per ecosystem.
 *
 * Each comparator agrees with its ecosystem's reference implementation
 * (dpkg --compare-versions, librpm rpmvercmp, apk-tools, node-semver,
 * Python packaging, Maven ComparableVersion, Go's x/mod/semver, RubyGems).
 */
#ifndef DOUANE_VULN_VERCMP_H
#define DOUANE_VULN_VERCMP_H

#include <stddef.h>

enum vercmp_eco {
        VERCMP_DPKG, VERCMP_RPM, VERCMP_APK, VERCMP_SEMVER,
        VERCMP_PEP440, VERCMP_MAVEN, VERCMP_GO, VERCMP_GEM,
        VERCMP_ECO_COUNT
};

#define VERCMP_MAX_LEN 256      /* longer version strings are rejected */

/* "dpkg", "rpm", "apk", "semver", "pep440", "maven", "go", "gem"; -1 if unknown */
int vercmp_eco_parse(const char *name);
const char *vercmp_eco_name(enum vercmp_eco eco);

/*
 * Compare a and b. On success stores -1, 0 or 1 in *ret and returns 0;
 * returns DOU_EINVAL (with a message) when a version is not valid in that
 * ecosystem, leaving *ret unchanged.
 */
int vercmp(enum vercmp_eco eco, const char *a, const char *b, int *ret);

/*
 * npm range satisfaction, as node-semver's satisfies(version, range)
 * without options: "||" alternatives, hyphen ranges (1.2 - 2.3.4),
 * x-ranges (1.x, 1.2.*, *), ~ and ~>, ^, and <, <=, >, >=, = comparators.
 * A pre-release version only satisfies a comparator set in which some
 * comparator names the same MAJOR.MINOR.PATCH with a pre-release.
 * Stores 1 (satisfies) or 0 in *ret and returns 0; returns DOU_EINVAL
 * when the range or the version is invalid (node-semver's satisfies()
 * answers false then), leaving *ret unchanged.
 */
int semver_range_satisfies(const char *range, const char *version, int *ret);

#endif
