/*
 * config.c - defaults, the YAML config file, and flag overrides.
 *
 * Unknown top-level keys are not errors (later subsystems read their own
 * sections), but a known key with a wrong type or value is, with the file
 * name and key in the message, because a silently ignored limit is worse
 * than a refusal to start.
 */
#include "config/config.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int config_defaults(struct config *cfg)
{
        memset(cfg, 0, sizeof(*cfg));
        cfg->listen[0] = strdup("127.0.0.1:5000");
        cfg->n_listen = 1;
        cfg->data_dir = strdup("/var/lib/douane");
        cfg->limits.max_manifest_bytes = 4u << 20;
        cfg->limits.max_upload_bytes = 0;
        cfg->limits.max_concurrent_uploads = 256;
        cfg->limits.max_connections = 16384;
        cfg->limits.upload_ttl_sec = 24 * 3600;
        cfg->limits.conn_timeout_sec = 120;
        cfg->log_format = LOG_TEXT;
        cfg->log_level = LOG_INFO;
        cfg->access_log = 1;
        cfg->gc_grace_sec = 3600;
        cfg->root = json_object();
        if (!cfg->listen[0] || !cfg->data_dir || !cfg->root)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        return 0;
}

void config_free(struct config *cfg)
{
        for (size_t i = 0; i < cfg->n_listen; i++)
                free(cfg->listen[i]);
        free(cfg->data_dir);
        free(cfg->tls_cert);
        free(cfg->tls_key);
        json_decref(cfg->root);
        memset(cfg, 0, sizeof(*cfg));
}

int config_set_str(char **slot, const char *value)
{
        char *c = strdup(value);

        if (!c)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        free(*slot);
        *slot = c;
        return 0;
}

int config_set_listen(struct config *cfg, const char *addr)
{
        char *c = strdup(addr);

        if (!c)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        for (size_t i = 0; i < cfg->n_listen; i++)
                free(cfg->listen[i]);
        cfg->listen[0] = c;
        cfg->n_listen = 1;
        return 0;
}

int config_parse_size(const char *s, uint64_t *ret)
{
        char *end;
        unsigned long long n;
        uint64_t mul = 1;

        errno = 0;
        if (*s < '0' || *s > '9')
                return DOU_EINVAL;
        n = strtoull(s, &end, 10);
        if (errno)
                return DOU_EINVAL;
        if (!strcasecmp(end, "") || !strcasecmp(end, "b"))
                mul = 1;
        else if (!strcasecmp(end, "k") || !strcasecmp(end, "kb") || !strcasecmp(end, "kib"))
                mul = 1ull << 10;
        else if (!strcasecmp(end, "m") || !strcasecmp(end, "mb") || !strcasecmp(end, "mib"))
                mul = 1ull << 20;
        else if (!strcasecmp(end, "g") || !strcasecmp(end, "gb") || !strcasecmp(end, "gib"))
                mul = 1ull << 30;
        else if (!strcasecmp(end, "t") || !strcasecmp(end, "tb") || !strcasecmp(end, "tib"))
                mul = 1ull << 40;
        else
                return DOU_EINVAL;
        if (__builtin_mul_overflow((uint64_t)n, mul, ret))
                return DOU_EINVAL;
        return 0;
}

int config_parse_duration(const char *s, unsigned *ret)
{
        char *end;
        unsigned long n;
        unsigned long mul;

        errno = 0;
        if (*s < '0' || *s > '9')
                return DOU_EINVAL;
        n = strtoul(s, &end, 10);
        if (errno)
                return DOU_EINVAL;
        if (!strcmp(end, "") || !strcmp(end, "s"))
                mul = 1;
        else if (!strcmp(end, "m"))
                mul = 60;
        else if (!strcmp(end, "h"))
                mul = 3600;
        else if (!strcmp(end, "d"))
                mul = 86400;
        else
                return DOU_EINVAL;
        if (n > 0xffffffffUL / mul)
                return DOU_EINVAL;
        *ret = (unsigned)(n * mul);
        return 0;
}

/* A scalar as text: strings as-is, integers printed. */
static const char *scalar_text(json_t *v, char *buf, size_t n)
{
        if (json_is_string(v))
                return json_string_value(v);
        if (json_is_integer(v)) {
                snprintf(buf, n, "%lld", (long long)json_integer_value(v));
                return buf;
        }
        return NULL;
}

static int get_str(const char *file, json_t *obj, const char *key, char **slot)
{
        json_t *v = json_object_get(obj, key);
        char buf[32];
        const char *s;

        if (!v || json_is_null(v))
                return 0;
        s = scalar_text(v, buf, sizeof(buf));
        if (!s)
                return dou_err_set(DOU_EINVAL, "%s: %s must be a string", file, key);
        return config_set_str(slot, s);
}

static int get_size(const char *file, json_t *obj, const char *key, uint64_t *slot)
{
        json_t *v = json_object_get(obj, key);
        char buf[32];
        const char *s;

        if (!v || json_is_null(v))
                return 0;
        s = scalar_text(v, buf, sizeof(buf));
        if (!s || config_parse_size(s, slot) < 0)
                return dou_err_set(DOU_EINVAL, "%s: %s must be a size like 4MiB", file, key);
        return 0;
}

static int get_uint(const char *file, json_t *obj, const char *key, unsigned *slot)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > 0x7fffffff)
                return dou_err_set(DOU_EINVAL, "%s: %s must be a non-negative integer", file, key);
        *slot = (unsigned)json_integer_value(v);
        return 0;
}

static int get_duration(const char *file, json_t *obj, const char *key, unsigned *slot)
{
        json_t *v = json_object_get(obj, key);
        char buf[32];
        const char *s;

        if (!v || json_is_null(v))
                return 0;
        s = scalar_text(v, buf, sizeof(buf));
        if (!s || config_parse_duration(s, slot) < 0)
                return dou_err_set(DOU_EINVAL, "%s: %s must be a duration like 24h", file, key);
        return 0;
}

static int load_listen(struct config *cfg, const char *file, json_t *v)
{
        size_t i;
        json_t *e;

        if (!v)
                return 0;
        if (json_is_string(v))
                return config_set_listen(cfg, json_string_value(v));
        if (!json_is_array(v) || json_array_size(v) == 0 ||
            json_array_size(v) > CONFIG_MAX_LISTEN)
                return dou_err_set(DOU_EINVAL, "%s: listen must be an address or a list of 1..%d",
                                   file, CONFIG_MAX_LISTEN);
        for (i = 0; i < cfg->n_listen; i++)
                free(cfg->listen[i]);
        cfg->n_listen = 0;
        json_array_foreach(v, i, e) {
                if (!json_is_string(e))
                        return dou_err_set(DOU_EINVAL, "%s: listen[%zu] must be a string", file, i);
                cfg->listen[i] = strdup(json_string_value(e));
                if (!cfg->listen[i])
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                cfg->n_listen = i + 1;
        }
        return 0;
}

static int load_log(struct config *cfg, const char *file, json_t *log)
{
        json_t *v;

        if (!log)
                return 0;
        if ((v = json_object_get(log, "format"))) {
                int f = json_is_string(v) ? log_format_parse(json_string_value(v)) : -1;
                if (f < 0)
                        return dou_err_set(DOU_EINVAL, "%s: log.format must be text or json", file);
                cfg->log_format = f;
        }
        if ((v = json_object_get(log, "level"))) {
                int l = json_is_string(v) ? log_level_parse(json_string_value(v)) : -1;
                if (l < 0)
                        return dou_err_set(DOU_EINVAL,
                                           "%s: log.level must be debug, info, warn or error", file);
                cfg->log_level = l;
        }
        if ((v = json_object_get(log, "access"))) {
                if (!json_is_boolean(v))
                        return dou_err_set(DOU_EINVAL, "%s: log.access must be true or false", file);
                cfg->access_log = json_is_true(v);
        }
        return 0;
}

static int load_limits(struct config_limits *l, const char *file, json_t *o)
{
        int r;

        if (!o)
                return 0;
        if ((r = get_size(file, o, "max_manifest_bytes", &l->max_manifest_bytes)) < 0 ||
            (r = get_size(file, o, "max_upload_bytes", &l->max_upload_bytes)) < 0 ||
            (r = get_uint(file, o, "max_concurrent_uploads", &l->max_concurrent_uploads)) < 0 ||
            (r = get_uint(file, o, "max_connections", &l->max_connections)) < 0 ||
            (r = get_duration(file, o, "upload_ttl", &l->upload_ttl_sec)) < 0 ||
            (r = get_duration(file, o, "connection_timeout", &l->conn_timeout_sec)) < 0)
                return r;
        if (l->max_manifest_bytes == 0 || l->max_concurrent_uploads == 0)
                return dou_err_set(DOU_EINVAL, "%s: limits must be positive", file);
        return 0;
}

int config_load_file(struct config *cfg, const char *path)
{
        char *buf = NULL;
        size_t len = 0;
        char err[256];
        json_t *root, *tls;
        int r;

        if ((r = fs_read_small(path, CONFIG_FILE_MAX, &buf, &len)) < 0)
                return r;
        root = yaml_to_json(buf, len, err, sizeof(err));
        free(buf);
        if (!root)
                return dou_err_set(DOU_EINVAL, "%s: %s", path, err);
        if (!json_is_object(root)) {
                json_decref(root);
                return dou_err_set(DOU_EINVAL, "%s: top level must be a mapping", path);
        }
        json_decref(cfg->root);
        cfg->root = root;
        tls = json_object_get(root, "tls");
        if ((r = load_listen(cfg, path, json_object_get(root, "listen"))) < 0 ||
            (r = get_str(path, root, "data", &cfg->data_dir)) < 0 ||
            (r = get_str(path, tls, "cert", &cfg->tls_cert)) < 0 ||
            (r = get_str(path, tls, "key", &cfg->tls_key)) < 0 ||
            (r = load_limits(&cfg->limits, path, json_object_get(root, "limits"))) < 0 ||
            (r = load_log(cfg, path, json_object_get(root, "log"))) < 0 ||
            (r = get_uint(path, root, "threads", &cfg->threads)) < 0 ||
            (r = get_duration(path, json_object_get(root, "gc"), "grace_period",
                              &cfg->gc_grace_sec)) < 0)
                return r;
        if (!cfg->tls_cert != !cfg->tls_key)
                return dou_err_set(DOU_EINVAL, "%s: tls.cert and tls.key go together", path);
        return 0;
}
