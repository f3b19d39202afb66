/* placeholder until the docker-archive source lands */
#include "scan/image.h"
#include "util/err.h"

int image_source_docker_archive(const char *file, struct image_source *ret)
{
        (void)ret;
        return dou_err_set(DOU_EUNSUPPORTED, "docker-archive:%s: not implemented yet", file);
}
