/*
 * node.c - npm packages: the package.json of each installed module under
 * node_modules, and package-lock.json (lockfileVersion 1 "dependencies"
 * tree, versions 2 and 3 "packages" map).
 *
 * The caller bounds the file size; jansson bounds nesting depth. A v1
 * dependency tree is walked recursively with our own depth bound, and the
 * package count per file is bounded by lang__emit(). Scoped names
 * ("@scope/name") are split into namespace "@scope" and name "name".
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "scan/lang/lang_int.h"
#include "util/err.h"

#define NPM_MAX_DEPTH 64

/* "MIT", {"type": "MIT"}, or legacy "licenses": [{"type": ...}, ...] */
static char *npm_license(json_t *obj)
{
        json_t *l = json_object_get(obj, "license");
        if (json_is_object(l))
                l = json_object_get(l, "type");
        if (json_is_string(l)) {
                const char *s = json_string_value(l);
                const char *m = lang__license_to_spdx(s, strlen(s));
                if (m)
                        return strdup(m);
                return lang__spdx_plausible(s) ? strdup(s) : NULL;
        }
        json_t *arr = json_object_get(obj, "licenses");
        if (!json_is_array(arr) || json_array_size(arr) == 0)
                return NULL;
        char buf[512];
        size_t off = 0;
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e) {
                json_t *t = json_is_object(e) ? json_object_get(e, "type") : e;
                const char *s = json_string_value(t);
                if (!s || !lang__spdx_plausible(s))
                        continue;
                const char *m = lang__license_to_spdx(s, strlen(s));
                if (m)
                        s = m;
                size_t k = strlen(s);
                if (off + k + 5 >= sizeof(buf))
                        break;
                if (off) {
                        memcpy(buf + off, " OR ", 4);
                        off += 4;
                }
                memcpy(buf + off, s, k);
                off += k;
        }
        if (off == 0)
                return NULL;
        buf[off] = '\0';
        return strdup(buf);
}

/* Emit one npm package named full ("@scope/x" or "x"). */
static int npm_emit(const char *full, const char *version, json_t *obj,
                    const struct scan_file *f, struct pkg_list *out)
{
        if (!full || !version)
                return 0;
        size_t fl = strlen(full), vl = strlen(version);
        if (fl == 0 || fl > 214 + 1 || vl == 0 || vl > LANG_MAX_FIELD)
                return dou_err_set(DOU_EINVAL, "%s: bad npm name or version", f->path);
        char *ns = NULL;
        const char *name = full;
        if (full[0] == '@') {
                const char *slash = strchr(full, '/');
                if (!slash || slash == full + 1 || !slash[1])
                        return dou_err_set(DOU_EINVAL, "%s: bad scoped npm name", f->path);
                ns = strndup(full, (size_t)(slash - full));
                if (!ns)
                        return dou_err_set(DOU_ENOMEM, "%s: out of memory", f->path);
                name = slash + 1;
        }
        char *nm = lang__field_dup(name, strlen(name));
        char *ver = lang__field_dup(version, vl);
        char *lic = obj ? npm_license(obj) : NULL;
        int r;
        if (!nm || !ver) {
                r = dou_err_set(DOU_EINVAL, "%s: bad npm name or version", f->path);
        } else {
                struct scan_pkg p = {
                        .type = PKG_NPM, .name = nm, .version = ver, .namespace_ = ns, .license = lic,
                };
                r = lang__emit(out, f, &p);
        }
        free(ns);
        free(nm);
        free(ver);
        free(lic);
        return r;
}

static json_t *load_object(const char *buf, size_t len, const struct scan_file *f, int *ret_err)
{
        json_error_t je;
        json_t *root = json_loadb(buf, len, JSON_ALLOW_NUL, &je);
        if (!root) {
                *ret_err = dou_err_set(DOU_EINVAL, "%s: invalid JSON at line %d: %s", f->path,
                                       je.line, je.text);
                return NULL;
        }
        if (!json_is_object(root)) {
                json_decref(root);
                *ret_err = dou_err_set(DOU_EINVAL, "%s: top level is not an object", f->path);
                return NULL;
        }
        return root;
}

int lang__npm_package_parse(const char *buf, size_t len, const struct scan_file *f,
                            struct pkg_list *out)
{
        int r = 0;
        json_t *root = load_object(buf, len, f, &r);
        if (!root)
                return r;
        const char *name = json_string_value(json_object_get(root, "name"));
        const char *version = json_string_value(json_object_get(root, "version"));
        if (!name || !version)
                r = dou_err_set(DOU_EINVAL, "%s: package.json without name and version", f->path);
        else
                r = npm_emit(name, version, root, f, out);
        json_decref(root);
        return r;
}

/* v1: "dependencies": { name: { version, dependencies: {...} } } */
static int lock_v1(json_t *deps, int depth, const struct scan_file *f, struct pkg_list *out)
{
        if (!json_is_object(deps))
                return 0;
        if (depth > NPM_MAX_DEPTH)
                return dou_err_set(DOU_ETOOBIG, "%s: dependency tree deeper than %d", f->path,
                                   NPM_MAX_DEPTH);
        const char *key;
        json_t *v;
        json_object_foreach(deps, key, v) {
                if (!json_is_object(v))
                        continue;
                const char *ver = json_string_value(json_object_get(v, "version"));
                int r = npm_emit(key, ver, v, f, out);
                if (r < 0)
                        return r;
                r = lock_v1(json_object_get(v, "dependencies"), depth + 1, f, out);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* v2/v3: "packages": { "node_modules/a/node_modules/@s/b": { version, ... } } */
static int lock_v2(json_t *pkgs, const struct scan_file *f, struct pkg_list *out)
{
        const char *key;
        json_t *v;
        json_object_foreach(pkgs, key, v) {
                if (!json_is_object(v) || json_is_true(json_object_get(v, "link")))
                        continue;
                const char *nm = NULL;
                for (const char *s = key; (s = strstr(s, "node_modules/")) != NULL; s += 13)
                        if (s == key || s[-1] == '/')
                                nm = s + 13;
                if (!nm || !*nm)
                        continue;       /* the root project or a workspace folder */
                const char *ver = json_string_value(json_object_get(v, "version"));
                int r = npm_emit(nm, ver, v, f, out);
                if (r < 0)
                        return r;
        }
        return 0;
}

int lang__npm_lock_parse(const char *buf, size_t len, const struct scan_file *f,
                         struct pkg_list *out)
{
        int r = 0;
        json_t *root = load_object(buf, len, f, &r);
        if (!root)
                return r;
        json_t *pkgs = json_object_get(root, "packages");
        json_t *deps = json_object_get(root, "dependencies");
        if (json_is_object(pkgs))
                r = lock_v2(pkgs, f, out);
        else if (json_is_object(deps))
                r = lock_v1(deps, 0, f, out);
        else if (!json_object_get(root, "lockfileVersion"))
                r = dou_err_set(DOU_EINVAL, "%s: not a package-lock.json", f->path);
        json_decref(root);
        return r;
}
