/*
 * config.h - douane's configuration: defaults < config file < flags.
 *
 * The YAML file is converted to a JSON tree once; core settings are read
 * into struct config, and each subsystem may read its own section from
 * cfg->root (e.g. "auth") with jansson. See docs/config.md.
 */
#ifndef DOUANE_CONFIG_CONFIG_H
#define DOUANE_CONFIG_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_LISTEN 8
#define CONFIG_FILE_MAX (1u << 20)      /* a config file larger than 1 MiB is a mistake */

struct config_limits {
        uint64_t max_manifest_bytes;    /* default 4 MiB */
        uint64_t max_upload_bytes;      /* per blob; default 0 = unlimited */
        unsigned max_concurrent_uploads;/* default 256 */
        unsigned max_connections;       /* default 16384 */
        unsigned upload_ttl_sec;        /* abandoned uploads are removed after this; 24h */
        unsigned conn_timeout_sec;      /* idle connection timeout; 120 s */
};

struct config {
        char *listen[CONFIG_MAX_LISTEN];
        size_t n_listen;
        char *data_dir;
        char *tls_cert;                 /* PEM file paths, both or neither */
        char *tls_key;
        struct config_limits limits;
        int log_format;                 /* enum log_format */
        int log_level;                  /* enum log_level */
        int access_log;                 /* 1: one line per request */
        unsigned threads;               /* HTTP worker threads; 0 = one per CPU */
        unsigned gc_grace_sec;          /* blobs younger than this are never collected */
        json_t *root;                   /* whole file as JSON; {} without a file */
};

/* Fill cfg with built-in defaults. */
int config_defaults(struct config *cfg);

/* Read path (YAML) on top of cfg. Errors name the file and the key. */
int config_load_file(struct config *cfg, const char *path);

/* Replace the listen list with one address (flag override). */
int config_set_listen(struct config *cfg, const char *addr);

/* Replace a string setting (flag override). */
int config_set_str(char **slot, const char *value);

void config_free(struct config *cfg);

/*
 * YAML text to a JSON tree. Scalars become strings except in flow where
 * YAML marks them plain and they look like integers/booleans/null; anchors
 * and aliases are rejected (billion-laughs); depth is bounded.
 * On error returns NULL and fills err (line numbers included).
 */
json_t *yaml_to_json(const char *buf, size_t len, char *err, size_t errlen);

/* "4MiB", "100M", "512k", "1024" -> bytes. */
int config_parse_size(const char *s, uint64_t *ret);
/* "24h", "30m", "90s", "2d", "60" -> seconds. */
int config_parse_duration(const char *s, unsigned *ret);

#endif
