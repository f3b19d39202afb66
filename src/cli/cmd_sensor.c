/*
 * cmd_sensor.c - "douane sensor": load Falco-compatible rules, then either
 * replay a recorded event file (--replay, no kernel needed) or capture live
 * events through the BPF side (sensor_capture_run) and evaluate them.
 * Alerts go to stdout (JSON lines by default), -o FILE, syslog, a webhook.
 * Only this file prints; the libraries return dou_err codes.
 */
#include "cli/cli.h"
#include "sensor/bpf/capture.h"
#include "sensor/bpf/tables.h"
#include "sensor/rules/output.h"
#include "sensor/rules/record.h"
#include "sensor/rules/registry.h"
#include "sensor/rules/replay.h"
#include "sensor/rules/rules.h"
#include "util/err.h"

#include <getopt.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

#define SENSOR_MAX_RULE_FILES 64
#define SENSOR_DEFAULT_RULES_GLOB "/etc/douane/rules.d/*.yaml"
#define SENSOR_DOUANE_RULES "/etc/douane/douane_rules.yaml"
#define SENSOR_DOUANE_RULES_SRC "rules/douane_rules.yaml"

static volatile int stop_flag;

static void on_signal(int sig)
{
        (void)sig;
        stop_flag = 1;
}

static void usage(FILE *f)
{
        fprintf(f,
                "usage: douane sensor [--rules FILE]... [options]\n\n"
                "Runtime sensor: evaluates Falco-compatible rules over system events\n"
                "(live through eBPF, or from a recorded file with --replay) and prints alerts.\n\n"
                "  -r, --rules FILE        rules file (repeatable; later files append/override).\n"
                "                          Default: " SENSOR_DEFAULT_RULES_GLOB " and douane's rules\n"
                "                          (" SENSOR_DOUANE_RULES " or ./" SENSOR_DOUANE_RULES_SRC ")\n"
                "  -o, --output FILE       write alerts to FILE (appended) instead of stdout\n"
                "      --format json|text  alert format (default json, Falco's field names)\n"
                "      --syslog            also send alerts to syslog\n"
                "      --webhook URL       also POST each alert (JSON) to URL (bounded queue)\n"
                "      --registry URL      look up container image digests in douane's registry\n"
                "                          (fields douane.image.verdict/released/vulns)\n"
                "      --min-priority P    ignore rules below P (emergency..debug)\n"
                "      --rate-limit R[:B]  at most R alerts/s per rule, bursts of B (default off)\n"
                "  -l, --list-rules        print the loaded rules and whether each is evaluable\n"
                "      --replay FILE       evaluate a recorded JSON-lines event file ('-' = stdin)\n"
                "      --record FILE       live mode: also record every event to FILE\n"
                "      --cgroup DIR        live mode: only processes in this cgroup v2 directory\n"
                "                          (repeatable; exact cgroups, not descendants)\n"
                "      --enforce           live mode: SIGKILL the process of an alert whose rule\n"
                "                          says 'action: kill' (best effort; off by default)\n"
                "      --stats             print counters to stderr at the end\n"
                "  -h, --help              this help\n\n"
                "Exit: 0 ok, 1 failure, 2 usage, 3 bad rules, 4 bad event file.\n");
}

struct live_ctx {
        struct rules_engine *e;
        struct alert_sink *sink;
        FILE *record;
        uint64_t events, kills;
        bool enforce;
        int err;
};

/*
 * Enforcement for rules with "action: kill", only with --enforce: SIGKILL to
 * the process from user space once the alert is out. Best effort: the
 * syscall that matched has already happened (see docs/sensor.md).
 */
static int live_alert(void *arg, const struct rules_alert *a)
{
        struct live_ctx *lc = arg;
        int r = alert_sink_emit(lc->sink, a);
        if (lc->enforce && a->action_kill && a->event && a->event->pid > 1 &&
            a->event->pid != (uint32_t)getpid()) {
                if (kill((pid_t)a->event->pid, SIGKILL) == 0) {
                        lc->kills++;
                        fprintf(stderr, "douane sensor: killed pid %u (rule '%s')\n", a->event->pid, a->rule);
                }
        }
        return r;
}

static int live_event(void *arg, const struct sensor_event *ev, const struct sensor_tables *t)
{
        struct live_ctx *lc = arg;
        lc->events++;
        rules_engine_set_ctx(lc->e, &sensor_tables_ctx_ops, t);
        if (lc->record) {
                const struct sensor_proc *chain[RECORD_MAX_PROCS];
                size_t n = 0;
                const struct sensor_proc *p = sensor_proc_get(t, ev->pid);
                while (p && n < RECORD_MAX_PROCS) {
                        chain[n++] = p;
                        if (p->ppid == 0 || p->ppid == p->pid)
                                break;
                        p = sensor_proc_get(t, p->ppid);
                }
                const struct sensor_container *c =
                        ev->container_id && *ev->container_id ? sensor_container_get(t, ev->container_id) : NULL;
                if (record_write(lc->record, ev, chain, n, c) < 0 && !lc->err)
                        lc->err = DOU_EIO;
        }
        int r = rules_engine_eval(lc->e, ev, live_alert, lc);
        return r < 0 ? (lc->err = r) : 0;
}

static int load_rules(struct rules_engine *e, char **files, int nfiles)
{
        glob_t g = { 0 };
        int r = 0;
        if (nfiles == 0) {
                if (glob(SENSOR_DEFAULT_RULES_GLOB, 0, NULL, &g) == 0)
                        for (size_t i = 0; i < g.gl_pathc && r == 0; i++)
                                r = rules_engine_load_file(e, g.gl_pathv[i]);
                const char *own = access(SENSOR_DOUANE_RULES, R_OK) == 0 ? SENSOR_DOUANE_RULES
                                  : access(SENSOR_DOUANE_RULES_SRC, R_OK) == 0 ? SENSOR_DOUANE_RULES_SRC
                                                                              : NULL;
                if (r == 0 && own)
                        r = rules_engine_load_file(e, own);
                if (r == 0 && g.gl_pathc == 0 && !own)
                        r = dou_err_set(DOU_ENOTFOUND, "no rules: give --rules FILE or install %s",
                                        SENSOR_DEFAULT_RULES_GLOB);
                globfree(&g);
        }
        for (int i = 0; i < nfiles && r == 0; i++)
                r = rules_engine_load_file(e, files[i]);
        if (r == 0)
                r = rules_engine_compile(e);
        return r;
}

static void list_rules(const struct rules_engine *e)
{
        printf("%-60s %-13s %-8s %-9s %s\n", "RULE", "PRIORITY", "ENABLED", "EVALUABLE", "WHERE");
        for (size_t i = 0; i < rules_engine_rule_count(e); i++) {
                struct rules_rule_info ri;
                if (rules_engine_rule_info(e, i, &ri) < 0)
                        continue;
                char note[64] = "";
                if (ri.evaluable && ri.n_missing_fields)
                        snprintf(note, sizeof(note), " (%zu field%s not observed yet: <NA>)",
                                 ri.n_missing_fields, ri.n_missing_fields > 1 ? "s" : "");
                printf("%-60s %-13s %-8s %-9s %s:%d%s\n", ri.name, rules_priority_name(ri.priority),
                       ri.enabled ? "yes" : "no", ri.evaluable ? "yes" : "no", ri.file, ri.line, note);
        }
        printf("%zu rules, %zu enabled and evaluable\n", rules_engine_rule_count(e),
               rules_engine_enabled_count(e));
}

struct sensor_opts {
        char *rules[SENSOR_MAX_RULE_FILES];
        int nrules;
        const char *output, *format, *webhook, *registry, *replay, *record;
        const char *cgroups[SENSOR_MAX_RULE_FILES];
        size_t ncgroups;
        int min_prio;
        double rate, burst;
        bool list, syslog, stats, enforce;
};

static int parse_args(int argc, char **argv, struct sensor_opts *o)
{
        enum { O_FORMAT = 256, O_SYSLOG, O_WEBHOOK, O_REGISTRY, O_MINPRIO, O_RATE, O_REPLAY, O_RECORD,
               O_STATS, O_CGROUP, O_ENFORCE };
        static const struct option lo[] = {
                { "rules", required_argument, NULL, 'r' }, { "output", required_argument, NULL, 'o' },
                { "format", required_argument, NULL, O_FORMAT }, { "syslog", no_argument, NULL, O_SYSLOG },
                { "webhook", required_argument, NULL, O_WEBHOOK },
                { "registry", required_argument, NULL, O_REGISTRY },
                { "min-priority", required_argument, NULL, O_MINPRIO },
                { "rate-limit", required_argument, NULL, O_RATE },
                { "list-rules", no_argument, NULL, 'l' }, { "replay", required_argument, NULL, O_REPLAY },
                { "record", required_argument, NULL, O_RECORD }, { "stats", no_argument, NULL, O_STATS },
                { "cgroup", required_argument, NULL, O_CGROUP },
                { "enforce", no_argument, NULL, O_ENFORCE },
                { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
        };
        int c;
        optind = 1;
        o->min_prio = PRIO_DEBUG;
        while ((c = getopt_long(argc, argv, "r:o:lh", lo, NULL)) != -1) {
                switch (c) {
                case 'r':
                        if (o->nrules >= SENSOR_MAX_RULE_FILES) {
                                fprintf(stderr, "douane sensor: too many --rules (max %d)\n", SENSOR_MAX_RULE_FILES);
                                return EXIT_USAGE;
                        }
                        o->rules[o->nrules++] = optarg;
                        break;
                case 'o': o->output = optarg; break;
                case O_FORMAT:
                        if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
                                fprintf(stderr, "douane sensor: --format must be json or text\n");
                                return EXIT_USAGE;
                        }
                        o->format = optarg;
                        break;
                case O_SYSLOG: o->syslog = true; break;
                case O_WEBHOOK: o->webhook = optarg; break;
                case O_REGISTRY: o->registry = optarg; break;
                case O_MINPRIO:
                        o->min_prio = rules_priority_parse(optarg);
                        if (o->min_prio < 0) {
                                fprintf(stderr, "douane sensor: unknown priority '%s'\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case O_RATE: {
                        char *end;
                        o->rate = strtod(optarg, &end);
                        o->burst = o->rate > 0 ? o->rate * 10 : 0;
                        if (*end == ':')
                                o->burst = strtod(end + 1, &end);
                        if (*end || o->rate < 0 || o->burst < 0) {
                                fprintf(stderr, "douane sensor: --rate-limit wants R or R:B\n");
                                return EXIT_USAGE;
                        }
                        break;
                }
                case 'l': o->list = true; break;
                case O_REPLAY: o->replay = optarg; break;
                case O_RECORD: o->record = optarg; break;
                case O_STATS: o->stats = true; break;
                case O_ENFORCE: o->enforce = true; break;
                case O_CGROUP:
                        if (o->ncgroups >= SENSOR_MAX_RULE_FILES) {
                                fprintf(stderr, "douane sensor: too many --cgroup (max %d)\n", SENSOR_MAX_RULE_FILES);
                                return EXIT_USAGE;
                        }
                        o->cgroups[o->ncgroups++] = optarg;
                        break;
                case 'h': usage(stdout); return -1;
                default: usage(stderr); return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "douane sensor: unexpected argument '%s'\n", argv[optind]);
                return EXIT_USAGE;
        }
        if (o->replay && o->enforce) {
                fprintf(stderr, "douane sensor: --enforce is for live mode, not with --replay\n");
                return EXIT_USAGE;
        }
        if (o->replay && o->record) {
                fprintf(stderr, "douane sensor: --record is for live mode, not with --replay\n");
                return EXIT_USAGE;
        }
        return 0;
}

static int run_replay(struct rules_engine *e, struct alert_sink *sink, const struct sensor_opts *o)
{
        FILE *in = strcmp(o->replay, "-") ? fopen(o->replay, "r") : stdin;
        if (!in) {
                perror(o->replay);
                return EXIT_FAIL;
        }
        struct sensor_tables_opts to = { .no_procfs = 1, .no_runtime_metadata = 1 };
        struct sensor_tables *t = NULL;
        int r = sensor_tables_new_opts(&to, &t);
        struct replay_stats st;
        if (r == 0)
                r = sensor_replay(e, in, t, alert_sink_emit, sink, &st);
        if (in != stdin)
                fclose(in);
        sensor_tables_free(t);
        if (r < 0) {
                fprintf(stderr, "douane sensor: replay: %s\n", dou_err_msg());
                return EXIT_FAIL;
        }
        if (st.bad_lines)
                fprintf(stderr, "douane sensor: %s: %llu bad line(s), first at line %llu: %s\n",
                        o->replay, (unsigned long long)st.bad_lines,
                        (unsigned long long)st.first_bad_line, st.first_error);
        if (o->stats)
                fprintf(stderr,
                        "replay: %llu lines, %llu events, %llu alerts, %llu rate-limited; "
                        "decode %.3f s (%.0f lines/s), eval %.3f s (%.0f events/s), output %.3f s\n",
                        (unsigned long long)st.lines, (unsigned long long)st.events,
                        (unsigned long long)st.alerts, (unsigned long long)rules_engine_dropped(e),
                        st.decode_s, st.decode_s > 0 ? (double)st.lines / st.decode_s : 0, st.eval_s,
                        st.eval_s > 0 ? (double)st.events / st.eval_s : 0, st.output_s);
        if (o->stats) {
                /* process CPU time: wall clock is meaningless on a shared machine */
                struct rusage ru;
                getrusage(RUSAGE_SELF, &ru);
                fprintf(stderr, "cpu: %.3f s user+sys for %llu events\n",
                        (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                                (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
                        (unsigned long long)st.events);
        }
        return st.bad_lines ? EXIT_DATA : EXIT_OK_;
}

static void on_capture_open(void *arg, struct capture *c)
{
        (void)arg;
        const char *why = capture_fallback_reason(c);
        fprintf(stderr, "douane sensor: capturing with %s programs%s%s\n", capture_mode_name(c),
                why && *why ? "; earlier modes failed: " : "", why ? why : "");
}

static int run_live(struct rules_engine *e, struct alert_sink *sink, const struct sensor_opts *o)
{
        if (!capture_available()) {
                fprintf(stderr, "douane sensor: this build has no live capture (libbpf/clang/bpftool/BTF "
                                "were missing at build time); use --replay FILE\n");
                return EXIT_FAIL;
        }
        struct live_ctx lc = { .e = e, .sink = sink, .enforce = o->enforce };
        if (o->record && !(lc.record = fopen(o->record, "a"))) {
                perror(o->record);
                return EXIT_FAIL;
        }
        struct sigaction sa = { .sa_handler = on_signal };
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        struct capture_stats cs = { 0 };
        struct sensor_capture_opts co = { .stop = &stop_flag, .on_open = on_capture_open, .ret_stats = &cs };
        co.cap.event_mask = rules_needed_event_mask(e);
        co.cap.cgroup_paths = o->cgroups;
        co.cap.n_cgroup_paths = o->ncgroups;
        int r = sensor_capture_run(&co, live_event, &lc);
        /* drops are always reported: never lose events silently */
        if (cs.drops || cs.decode_errors || o->stats)
                fprintf(stderr, "capture: %llu events, %llu delivered, %llu DROPPED (ring buffer full), "
                        "%llu decode errors, %llu truncated\n",
                        (unsigned long long)cs.events, (unsigned long long)cs.delivered,
                        (unsigned long long)cs.drops, (unsigned long long)cs.decode_errors,
                        (unsigned long long)cs.truncated);
        if (lc.record)
                fclose(lc.record);
        if (r < 0 || lc.err < 0) {
                fprintf(stderr, "douane sensor: %s\n", dou_err_msg());
                return EXIT_FAIL;
        }
        if (o->stats)
                fprintf(stderr, "live: %llu events, %llu alerts rate-limited, %llu processes killed\n",
                        (unsigned long long)lc.events, (unsigned long long)rules_engine_dropped(e),
                        (unsigned long long)lc.kills);
        return EXIT_OK_;
}

int cmd_sensor(int argc, char **argv)
{
        struct sensor_opts o = { 0 };
        int rc = parse_args(argc, argv, &o);
        if (rc)
                return rc < 0 ? EXIT_OK_ : rc;
        struct rules_engine *e = rules_engine_new();
        struct registry_client *reg = NULL;
        struct alert_sink *sink = NULL;
        FILE *out = NULL;
        if (!e) {
                fprintf(stderr, "douane sensor: out of memory\n");
                return EXIT_FAIL;
        }
        rules_engine_set_min_priority(e, (enum rules_priority)o.min_prio);
        rules_engine_set_rate_limit(e, o.rate, o.burst);
        if (load_rules(e, o.rules, o.nrules) < 0) {
                fprintf(stderr, "douane sensor: %s\n", dou_err_msg());
                rc = EXIT_CONFIG;
                goto out;
        }
        const char *w = rules_engine_warnings(e);
        if (*w && !o.list)
                fprintf(stderr, "%s", w);
        if (o.list) {
                list_rules(e);
                rc = EXIT_OK_;
                goto out;
        }
        if (o.registry) {
                if (registry_client_new(o.registry, &reg) < 0) {
                        fprintf(stderr, "douane sensor: %s\n", dou_err_msg());
                        rc = EXIT_USAGE;
                        goto out;
                }
        }
        if (o.output && !(out = fopen(o.output, "a"))) {
                perror(o.output);
                rc = EXIT_FAIL;
                goto out;
        }
        struct alert_sink_opts so = {
                .out = out ? out : stdout, .text = o.format && !strcmp(o.format, "text"),
                .syslog = o.syslog, .webhook_url = o.webhook,
        };
        if (alert_sink_new(&so, &sink) < 0) {
                fprintf(stderr, "douane sensor: %s\n", dou_err_msg());
                rc = EXIT_FAIL;
                goto out;
        }
        if (reg) {
                /* the engine copies the ops; set them before each run's tables */
                struct rules_ctx_ops ops = sensor_tables_ctx_ops;
                ops.image_info = registry_image_info;
                ops.image_arg = reg;
                rules_engine_set_ctx(e, &ops, NULL);
        }
        rc = o.replay ? run_replay(e, sink, &o) : run_live(e, sink, &o);
        if (o.stats) {
                struct alert_sink_stats as;
                alert_sink_stats(sink, &as);
                fprintf(stderr, "alerts: %llu; webhook sent %llu failed %llu dropped %llu\n",
                        (unsigned long long)as.alerts, (unsigned long long)as.webhook_sent,
                        (unsigned long long)as.webhook_failed, (unsigned long long)as.webhook_dropped);
                if (reg) {
                        struct registry_stats rs;
                        registry_client_stats(reg, &rs);
                        fprintf(stderr, "registry: %llu lookups, %llu cache hits, %llu fetches, %llu failures\n",
                                (unsigned long long)rs.lookups, (unsigned long long)rs.hits,
                                (unsigned long long)rs.fetches, (unsigned long long)rs.failures);
                }
        }
out:
        alert_sink_free(sink);
        if (out)
                fclose(out);
        registry_client_free(reg);
        rules_engine_free(e);
        return rc;
}
