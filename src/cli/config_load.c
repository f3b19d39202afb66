/*
 * config_load.c - shared config loading for subcommands.
 */
#include "cli/cli.h"
#include "config/config.h"
#include "util/err.h"

#include <stdio.h>
#include <unistd.h>

#define DEFAULT_CONFIG "/etc/douane/douane.yaml"

int cli_load_config(struct config *cfg, const char *path)
{
        if (config_defaults(cfg) < 0) {
                fprintf(stderr, "douane: %s\n", dou_err_msg());
                return EXIT_CONFIG;
        }
        if (!path && access(DEFAULT_CONFIG, R_OK) == 0)
                path = DEFAULT_CONFIG;
        if (path && config_load_file(cfg, path) < 0) {
                fprintf(stderr, "douane: config: %s\n", dou_err_msg());
                return EXIT_CONFIG;
        }
        return 0;
}
