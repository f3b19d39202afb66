#include "vuln/vercmp/vercmp.h"
#include "util/err.h"
int semver_range_satisfies(const char *range, const char *version, int *ret)
{
        (void)range; (void)version; (void)ret;
        return dou_err_set(DOU_EUNSUPPORTED, "semver ranges: not yet");
}
