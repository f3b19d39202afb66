/*
 * cmd_serve.c - "douane serve": run the registry until SIGINT/SIGTERM.
 */
#include "cli/cli.h"
#include "config/config.h"
#include "registry/registry.h"
#include "util/err.h"
#include "util/log.h"
#include "douane_version.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
        fprintf(f,
                "usage: douane serve [--config FILE] [--listen ADDR] [--data DIR]\n"
                "                    [--tls-cert FILE --tls-key FILE] [--log-format text|json]\n\n"
                "Run the OCI registry (distribution-spec v1.1) on the embedded stores:\n"
                "SQLite metadata and a content-addressed blob store under DIR.\n\n"
                "  -c, --config FILE     YAML config (default /etc/douane/douane.yaml if present)\n"
                "  -l, --listen ADDR     host:port or [v6]:port (default 127.0.0.1:5000)\n"
                "  -d, --data DIR        data directory (default /var/lib/douane)\n"
                "      --tls-cert FILE   PEM certificate chain: serve HTTPS\n"
                "      --tls-key FILE    PEM private key\n"
                "      --log-format FMT  text or json\n"
                "  -h, --help            this help\n\n"
                "Flags override the config file, which overrides the defaults.\n"
                "See docs/config.md. Stops cleanly on SIGINT or SIGTERM.\n");
}

static int wait_for_signal(void)
{
        sigset_t set;
        int sig = 0;

        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigwait(&set, &sig);
        return sig;
}

int cmd_serve(int argc, char **argv)
{
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "listen", required_argument, NULL, 'l' },
                { "data", required_argument, NULL, 'd' },
                { "tls-cert", required_argument, NULL, 'C' },
                { "tls-key", required_argument, NULL, 'K' },
                { "log-format", required_argument, NULL, 'F' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        const char *config_path = NULL, *listen = NULL, *data = NULL, *cert = NULL, *key = NULL;
        const char *logfmt = NULL;
        struct config cfg;
        struct registry *reg = NULL;
        sigset_t set;
        int c, rc;

        while ((c = getopt_long(argc, argv, "c:l:d:h", opts, NULL)) != -1) {
                switch (c) {
                case 'c': config_path = optarg; break;
                case 'l': listen = optarg; break;
                case 'd': data = optarg; break;
                case 'C': cert = optarg; break;
                case 'K': key = optarg; break;
                case 'F': logfmt = optarg; break;
                case 'h': usage(stdout); return EXIT_OK_;
                default: usage(stderr); return EXIT_USAGE;
                }
        }
        if (optind != argc || !cert != !key) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if ((rc = cli_load_config(&cfg, config_path)) != 0)
                return rc;
        if ((listen && config_set_listen(&cfg, listen) < 0) ||
            (data && config_set_str(&cfg.data_dir, data) < 0) ||
            (cert && (config_set_str(&cfg.tls_cert, cert) < 0 ||
                      config_set_str(&cfg.tls_key, key) < 0))) {
                config_free(&cfg);
                return EXIT_FAIL;
        }
        if (logfmt) {
                int f = log_format_parse(logfmt);
                if (f < 0) {
                        fprintf(stderr, "douane serve: --log-format must be text or json\n");
                        config_free(&cfg);
                        return EXIT_USAGE;
                }
                cfg.log_format = f;
        }
        log_setup(cfg.log_format, cfg.log_level);
        /* block signals before threads start so only sigwait() sees them */
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        if ((rc = registry_new(&cfg, &reg)) < 0 || (rc = registry_start(reg)) < 0) {
                log_error("cannot start: %s", dou_err_msg());
                registry_free(reg);
                config_free(&cfg);
                return EXIT_FAIL;
        }
        for (size_t i = 0; i < cfg.n_listen; i++)
                log_kv(LOG_INFO, "listening", (const char *[]){
                        "version", DOUANE_VERSION, "addr", cfg.listen[i],
                        "tls", cfg.tls_cert ? "on" : "off", "data", cfg.data_dir, NULL });
        int sig = wait_for_signal();
        log_info("stopping on signal %d", sig);
        registry_free(reg);
        config_free(&cfg);
        return EXIT_OK_;
}
