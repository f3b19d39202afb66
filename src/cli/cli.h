/*
 * cli.h - subcommands of the douane binary.
 *
 * Each command is "int cmd_NAME(int argc, char **argv)" with argv[0] the
 * command name, and returns an exit code from enum cli_exit. Commands
 * print their own --help; main() only dispatches.
 */
#ifndef DOUANE_CLI_CLI_H
#define DOUANE_CLI_CLI_H

/* Exit codes scripts can rely on (documented in docs/cli.md). */
enum cli_exit {
        EXIT_OK_ = 0,           /* success */
        EXIT_FAIL = 1,          /* the operation failed (or a policy said no) */
        EXIT_USAGE = 2,         /* bad command line */
        EXIT_CONFIG = 3,        /* bad configuration file */
        EXIT_DATA = 4,          /* bad input data */
};

struct cli_command {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
};

int cmd_serve(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_sbom(int argc, char **argv);
int cmd_vercmp(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_sensor(int argc, char **argv);

/*
 * Load the config: defaults, then the file at path (or the default path if
 * it exists and path is NULL). Prints the error and returns EXIT_CONFIG on
 * failure.
 */
struct config;
int cli_load_config(struct config *cfg, const char *path);

#endif
