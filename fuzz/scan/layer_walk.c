/*
 * libFuzzer target: the whole layer walker on a tar (or compressed tar)
 * stream, followed by the merge and the index report, so every fact the
 * walker records is also consumed.
 */
#include <stdint.h>
#include <string.h>

#include "scan/report.h"
#include "scan/scan.h"

struct mem {
        const uint8_t *p;
        size_t len, pos;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n)
{
        struct mem *m = ctx;
        size_t k = m->len - m->pos < n ? m->len - m->pos : n;

        if (k > 3001)
                k = 3001;
        memcpy(buf, m->p + m->pos, k);
        m->pos += k;
        return (ssize_t)k;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        struct mem m = { d, n, 0 };
        struct layer_opts o = { .max_bytes = 64u << 20, .max_entries = 10000 };
        struct layer_result r;
        struct layer_result *rp[1] = { &r };
        struct image_index x = { .image = "fuzz", .manifest = "sha256:0", .platform = "linux/amd64" };
        json_t *j;

        layer_scan(mem_read, &m, "sha256:0000000000000000000000000000000000000000000000000000000000000000", &o, &r);
        if (scan_merge(rp, 1, &x) == 0 && (j = report_index_json(&x)))
                json_decref(j);
        os_release_clear(&x.distro);
        pkg_list_clear(&x.pkgs);
        for (size_t i = 0; i < x.n_layers; i++) {
                free(x.layers[i].digest);
                free(x.layers[i].error);
        }
        free(x.layers);
        strvec_clear(&x.errors);
        layer_result_clear(&r);
        return 0;
}
