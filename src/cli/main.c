/*
 * main.c - the douane command: dispatch to subcommands.
 */
#include "cli/cli.h"
#include "douane_version.h"

#include <stdio.h>
#include <string.h>

static const struct cli_command commands[] = {
        { "serve",   cmd_serve,   "run the registry (OCI distribution API on the embedded stores)" },
        { "gc",      cmd_gc,      "remove unreferenced blobs and untagged manifests" },
        { "version", cmd_version, "print the version" },
        { "login", cmd_login, "exchange an OIDC ID token for registry access" },
        { "token", cmd_token, "print a registry token for scripts" },
        { "sbom", cmd_sbom, "index an image and print its SBOM" },
        { "db", cmd_db, "manage the vulnerability advisory database" },
        { "scan", cmd_scan, "match an index report against the advisory database" },
        { "vercmp", cmd_vercmp, "compare two versions with an ecosystem's rules" },
        { "sensor", cmd_sensor, "runtime sensor: Falco-compatible rules over live or recorded events" },
};

static void usage(FILE *f)
{
        fprintf(f, "usage: douane [--version] [--help] COMMAND [ARGS...]\n\n"
                   "douane is a container supply-chain gateway: an OCI registry that\n"
                   "quarantines, inspects, signs and releases images.\n\ncommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\nRun 'douane COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
                usage(stdout);
                return EXIT_OK_;
        }
        if (!strcmp(argv[1], "--version"))
                return cmd_version(1, argv + 1);
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (!strcmp(argv[1], commands[i].name))
                        return commands[i].run(argc - 1, argv + 1);
        fprintf(stderr, "douane: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
}
