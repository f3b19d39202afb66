/*
 * cgroup.c - container id from cgroup paths. Pure functions over
 * (pointer, length): the input is a kernel-provided path that a container
 * (or anyone creating cgroups) names, so nothing is trusted: components
 * are bounded (split on '/' and on ':', which the systemd cgroup driver
 * uses: "...slice:cri-containerd:<id>"), ids must be hex of a plausible length, and the deepest
 * matching component wins (a container nested in another is the inner one).
 */
#include "sensor/bpf/tables.h"

#include <string.h>

#include "util/err.h"

struct prefix_rule {
        const char *prefix;
        const char *runtime;
};

/* Order matters: longer prefixes that share a start come first. */
static const struct prefix_rule prefixes[] = {
        { "cri-containerd-", "containerd" },
        { "crio-conmon-", NULL },               /* the monitor, not the container */
        { "crio-", "cri-o" },
        { "libpod-conmon-", NULL },
        { "libpod-", "podman" },
        { "docker-", "docker" },
        { "containerd-", "containerd" },
};

static int is_hex(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                        return 0;
        }
        return n > 0;
}

static int has_prefix(const char *s, size_t n, const char *p)
{
        size_t pl = strlen(p);
        return n >= pl && memcmp(s, p, pl) == 0;
}

/* Runtime implied by a plain-hex component's parent directory. */
static const char *runtime_from_parent(const char *p, size_t n)
{
        if (n == 6 && memcmp(p, "docker", 6) == 0)
                return "docker";
        if ((n == 10 && memcmp(p, "containerd", 10) == 0) ||
            (n == 14 && memcmp(p, "cri-containerd", 14) == 0))
                return "containerd";
        if (n == 4 && memcmp(p, "crio", 4) == 0)
                return "cri-o";
        if (n == 13 && memcmp(p, "libpod_parent", 13) == 0)
                return "podman";
        if (has_prefix(p, n, "pod") || has_prefix(p, n, "kubepods"))
                return "cri";
        return "";
}

/* One component: 1 = container (id and length returned), 0 = not. */
static int component_id(const char *c, size_t n, const char *parent, size_t pn,
                        const char **id, size_t *idlen, const char **rt)
{
        static const char scope[] = ".scope";
        size_t sl = sizeof(scope) - 1;

        if (n > sl && memcmp(c + n - sl, scope, sl) == 0)
                n -= sl;
        for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
                if (!has_prefix(c, n, prefixes[i].prefix))
                        continue;
                if (!prefixes[i].runtime)
                        return 0;
                size_t pl = strlen(prefixes[i].prefix);
                if (n - pl < 12 || n - pl > 64 || !is_hex(c + pl, n - pl))
                        return 0;
                *id = c + pl;
                *idlen = n - pl;
                *rt = prefixes[i].runtime;
                return 1;
        }
        /* a bare id: only the full 64-hex form, anything shorter is too common a name */
        if (n == 64 && is_hex(c, n)) {
                *id = c;
                *idlen = n;
                *rt = runtime_from_parent(parent, pn);
                return 1;
        }
        return 0;
}

int sensor_cgroup_container_id(const char *path, size_t len, char *out, size_t outsz,
                               const char **ret_runtime)
{
        const char *best = NULL, *rt = NULL;
        size_t bestlen = 0;
        const char *prev = "";
        size_t prevlen = 0;
        size_t i = 0;

        if (!path)
                return DOU_ENOTFOUND;
        while (i < len) {
                while (i < len && (path[i] == '/' || path[i] == ':'))
                        i++;
                size_t start = i;
                while (i < len && path[i] != '/' && path[i] != ':' && path[i] != '\0')
                        i++;
                size_t n = i - start;
                if (n == 0)
                        break;
                const char *id, *r;
                size_t idl;
                if (component_id(path + start, n, prev, prevlen, &id, &idl, &r)) {
                        best = id;
                        bestlen = idl;
                        rt = r;
                }
                prev = path + start;
                prevlen = n;
                if (i < len && path[i] == '\0')
                        break;
        }
        if (!best)
                return DOU_ENOTFOUND;
        if (bestlen + 1 > outsz)
                return DOU_ETOOBIG;
        memcpy(out, best, bestlen);
        out[bestlen] = '\0';
        if (ret_runtime)
                *ret_runtime = rt;
        return 0;
}

int sensor_cgroup_file_container_id(const char *buf, size_t len, char *out, size_t outsz,
                                    const char **ret_runtime)
{
        size_t i = 0;
        int r = DOU_ENOTFOUND;

        while (i < len) {
                size_t eol = i;
                while (eol < len && buf[eol] != '\n')
                        eol++;
                /* "hierarchy-id:controllers:path"; the path may itself hold ':' */
                size_t colons = 0, p = i;
                while (p < eol && colons < 2) {
                        if (buf[p] == ':')
                                colons++;
                        p++;
                }
                if (colons == 2) {
                        r = sensor_cgroup_container_id(buf + p, eol - p, out, outsz, ret_runtime);
                        if (r != DOU_ENOTFOUND)
                                return r;
                }
                i = eol + 1;
        }
        return r;
}
