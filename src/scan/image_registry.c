/* placeholder until the registry source lands */
#include "scan/image.h"
#include "util/err.h"

int image_source_registry(const char *ref, struct image_source *ret)
{
        (void)ret;
        return dou_err_set(DOU_EUNSUPPORTED, "docker://%s: registry source not implemented yet", ref);
}
