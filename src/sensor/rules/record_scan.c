/*
 * record_scan.c - the record decoder: a single-pass JSON scanner specialised
 * for the record format (replaces a generic JSON tree, which cost ~4 us a
 * line in allocations).
 *
 * Strings are unescaped into the decoder's own buffer (one per line, at
 * most the line's size, since unescaping never grows text), and the struct
 * sensor_event / sensor_proc fields point there until the next call.
 * Known keys are found by binary search in sorted tables that say where
 * each value goes and its range; unknown keys are skipped whatever their
 * value (nesting bounded); duplicate known keys are refused. Strict JSON:
 * no NUL characters (\u0000 is refused), no trailing garbage.
 */
#include "sensor/rules/record.h"
#include "sensor/rules/rules.h"
#include "util/err.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_MAX_DEPTH 32

struct record_dec {
        char *buf;
        size_t cap;
};

struct scan {
        const char *s;
        size_t n, i;
        char *out;
        size_t o;
};

enum vk { V_U16, V_U32, V_U64, V_I64, V_STR, V_TTY, V_VPID, V_LOGINUID, V_ARGV, V_PROCS, V_CONT, V_TYPE };

struct key {
        const char *name;
        enum vk kind;
        size_t off;
};

#define EV(f) offsetof(struct sensor_event, f)
static const struct key ev_keys[] = {       /* sorted by name */
        { "argv", V_ARGV, 0 }, { "cap_effective", V_U64, EV(cap_effective) },
        { "cgroup_id", V_U64, EV(cgroup_id) }, { "comm", V_STR, EV(comm) },
        { "container", V_CONT, 0 }, { "container_id", V_STR, EV(container_id) },
        { "cwd", V_STR, EV(cwd) }, { "dip", V_STR, EV(dip) }, { "dport", V_U16, EV(dport) },
        { "fd", V_U32, EV(fd) }, { "flags", V_U32, EV(flags) }, { "gid", V_U32, EV(gid) },
        { "mntns", V_U64, EV(mntns) }, { "mode", V_U32, EV(mode) }, { "new_gid", V_U32, EV(new_gid) },
        { "new_uid", V_U32, EV(new_uid) }, { "path", V_STR, EV(path) }, { "path2", V_STR, EV(path2) },
        { "pid", V_U32, EV(pid) }, { "ppid", V_U32, EV(ppid) }, { "proc", V_PROCS, 0 },
        { "procs", V_PROCS, 0 }, { "ptrace_request", V_U32, EV(ptrace_request) },
        { "res", V_I64, EV(res) }, { "sip", V_STR, EV(sip) }, { "sock_family", V_U16, EV(sock_family) },
        { "sock_type", V_U16, EV(sock_type) }, { "sport", V_U16, EV(sport) },
        { "syscall", V_STR, EV(syscall) }, { "tid", V_U32, EV(tid) }, { "ts", V_U64, EV(ts_ns) },
        { "type", V_TYPE, 0 }, { "uid", V_U32, EV(uid) },
};
#define PR(f) offsetof(struct sensor_proc, f)
static const struct key proc_keys[] = {
        { "args", V_STR, PR(args) }, { "cgroup_id", V_U64, PR(cgroup_id) }, { "comm", V_STR, PR(comm) },
        { "container_id", V_STR, PR(container_id) }, { "cwd", V_STR, PR(cwd) },
        { "exe", V_STR, PR(exe) }, { "exepath", V_STR, PR(exepath) }, { "gid", V_U32, PR(gid) },
        { "loginuid", V_LOGINUID, PR(loginuid) }, { "mntns", V_U64, PR(mntns) },
        { "pid", V_U32, PR(pid) }, { "ppid", V_U32, PR(ppid) }, { "start_ns", V_U64, PR(start_ns) },
        { "tid", V_U32, PR(tid) }, { "tty", V_TTY, PR(tty) }, { "uid", V_U32, PR(uid) },
        { "vpid", V_VPID, PR(vpid) },
};
#define CO(f) offsetof(struct sensor_container, f)
static const struct key cont_keys[] = {
        { "id", V_STR, CO(id) }, { "image", V_STR, CO(image) }, { "image_digest", V_STR, CO(image_digest) },
        { "name", V_STR, CO(name) }, { "runtime", V_STR, CO(runtime) },
};

static int bad(const char *what)
{
        return dou_err_set(DOU_EINVAL, "record: %s", what);
}

static void ws(struct scan *sc)
{
        while (sc->i < sc->n && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' || sc->s[sc->i] == '\r' ||
                                 sc->s[sc->i] == '\n'))
                sc->i++;
}

static bool eat(struct scan *sc, char c)
{
        ws(sc);
        if (sc->i < sc->n && sc->s[sc->i] == c) {
                sc->i++;
                return true;
        }
        return false;
}

static int hexval(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int hex4(struct scan *sc, unsigned *ret)
{
        if (sc->n - sc->i < 4)
                return bad("truncated \\u escape");
        unsigned v = 0;
        for (int k = 0; k < 4; k++) {
                int h = hexval(sc->s[sc->i++]);
                if (h < 0)
                        return bad("bad \\u escape");
                v = v << 4 | (unsigned)h;
        }
        *ret = v;
        return 0;
}

static void put_utf8(struct scan *sc, unsigned cp)
{
        char *o = sc->out + sc->o;
        if (cp < 0x80) {
                o[0] = (char)cp;
                sc->o += 1;
        } else if (cp < 0x800) {
                o[0] = (char)(0xc0 | cp >> 6);
                o[1] = (char)(0x80 | (cp & 0x3f));
                sc->o += 2;
        } else if (cp < 0x10000) {
                o[0] = (char)(0xe0 | cp >> 12);
                o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                o[2] = (char)(0x80 | (cp & 0x3f));
                sc->o += 3;
        } else {
                o[0] = (char)(0xf0 | cp >> 18);
                o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
                o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
                o[3] = (char)(0x80 | (cp & 0x3f));
                sc->o += 4;
        }
}

/* A string at sc->i (after ws); *ret points into the output buffer. */
static int jstring(struct scan *sc, const char **ret)
{
        if (!eat(sc, '"'))
                return bad("expected a string");
        char *start = sc->out + sc->o;
        for (;;) {
                if (sc->i >= sc->n)
                        return bad("unterminated string");
                unsigned char c = (unsigned char)sc->s[sc->i++];
                if (c == '"')
                        break;
                if (c < 0x20)
                        return bad("control character in a string");
                if (c != '\\') {
                        sc->out[sc->o++] = (char)c;
                        continue;
                }
                if (sc->i >= sc->n)
                        return bad("unterminated escape");
                char e = sc->s[sc->i++];
                unsigned cp;
                switch (e) {
                case '"': case '\\': case '/': sc->out[sc->o++] = e; break;
                case 'b': sc->out[sc->o++] = '\b'; break;
                case 'f': sc->out[sc->o++] = '\f'; break;
                case 'n': sc->out[sc->o++] = '\n'; break;
                case 'r': sc->out[sc->o++] = '\r'; break;
                case 't': sc->out[sc->o++] = '\t'; break;
                case 'u':
                        if (hex4(sc, &cp) < 0)
                                return DOU_EINVAL;
                        if (cp >= 0xd800 && cp < 0xdc00) {
                                unsigned lo;
                                if (sc->n - sc->i < 6 || sc->s[sc->i] != '\\' || sc->s[sc->i + 1] != 'u')
                                        return bad("lone surrogate");
                                sc->i += 2;
                                if (hex4(sc, &lo) < 0)
                                        return DOU_EINVAL;
                                if (lo < 0xdc00 || lo > 0xdfff)
                                        return bad("bad surrogate pair");
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        } else if (cp >= 0xdc00 && cp < 0xe000) {
                                return bad("lone surrogate");
                        }
                        if (cp == 0)
                                return bad("NUL in a string");
                        put_utf8(sc, cp);
                        break;
                default:
                        return bad("bad escape");
                }
        }
        sc->out[sc->o++] = 0;
        *ret = start;
        return 0;
}

static bool lit(struct scan *sc, const char *w)
{
        size_t l = strlen(w);
        if (sc->n - sc->i >= l && !memcmp(sc->s + sc->i, w, l)) {
                sc->i += l;
                return true;
        }
        return false;
}

/* Integer (no fraction/exponent). */
static int jint(struct scan *sc, int64_t *ret)
{
        ws(sc);
        bool neg = sc->i < sc->n && sc->s[sc->i] == '-';
        if (neg)
                sc->i++;
        size_t st = sc->i;
        uint64_t v = 0;
        while (sc->i < sc->n && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9') {
                unsigned d = (unsigned)(sc->s[sc->i++] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return bad("integer out of range");
                v = v * 10 + d;
        }
        if (sc->i == st)
                return bad("expected an integer");
        if (sc->i < sc->n && (sc->s[sc->i] == '.' || sc->s[sc->i] == 'e' || sc->s[sc->i] == 'E'))
                return bad("expected an integer, got a real number");
        if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
                return bad("integer out of range");
        *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
        return 0;
}

static int jskip(struct scan *sc, int depth)
{
        ws(sc);
        if (depth > SCAN_MAX_DEPTH)
                return bad("nested too deeply");
        if (sc->i >= sc->n)
                return bad("unexpected end of line");
        char c = sc->s[sc->i];
        const char *tmp;
        int64_t n;
        if (c == '"')
                return jstring(sc, &tmp);
        if (lit(sc, "null") || lit(sc, "true") || lit(sc, "false"))
                return 0;
        if (c == '[' || c == '{') {
                char close = c == '[' ? ']' : '}';
                sc->i++;
                if (eat(sc, close))
                        return 0;
                do {
                        if (close == '}') {
                                if (jstring(sc, &tmp) < 0 || !eat(sc, ':'))
                                        return bad("bad object");
                        }
                        if (jskip(sc, depth + 1) < 0)
                                return DOU_EINVAL;
                } while (eat(sc, ','));
                return eat(sc, close) ? 0 : bad("bad array or object");
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
                /* any JSON number */
                if (c == '-')
                        sc->i++;
                size_t st = sc->i;
                while (sc->i < sc->n && ((sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9') || sc->s[sc->i] == '.' ||
                                         sc->s[sc->i] == 'e' || sc->s[sc->i] == 'E' || sc->s[sc->i] == '+' ||
                                         sc->s[sc->i] == '-'))
                        sc->i++;
                (void)n;
                return sc->i > st ? 0 : bad("bad number");
        }
        return bad("unexpected character");
}

static const struct key *find_key(const struct key *t, size_t n, const char *k)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(k, t[mid].name);
                if (c == 0)
                        return &t[mid];
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return NULL;
}

static int num_into(struct scan *sc, const struct key *k, void *base)
{
        ws(sc);
        if (lit(sc, "null"))
                return 0;
        int64_t v = 0;
        if (jint(sc, &v) < 0)
                return dou_err_set(DOU_EINVAL, "record: '%s': %s", k->name, dou_err_msg());
        char *p = (char *)base + k->off;
        int64_t lo = 0, hi = 0;
        switch (k->kind) {
        case V_U16: lo = 0; hi = UINT16_MAX; break;
        case V_U32: lo = 0; hi = UINT32_MAX; break;
        case V_U64: lo = 0; hi = INT64_MAX; break;
        case V_I64: lo = INT64_MIN; hi = INT64_MAX; break;
        case V_TTY: lo = INT32_MIN; hi = INT32_MAX; break;
        case V_VPID: lo = 0; hi = INT32_MAX; break;
        case V_LOGINUID: lo = -1; hi = UINT32_MAX; break;
        default: return bad("internal: not a number key");
        }
        if (v < lo || v > hi)
                return dou_err_set(DOU_EINVAL, "record: '%s' out of range", k->name);
        switch (k->kind) {
        case V_U16: *(uint16_t *)(void *)p = (uint16_t)v; break;
        case V_U32: *(uint32_t *)(void *)p = (uint32_t)v; break;
        case V_U64: *(uint64_t *)(void *)p = (uint64_t)v; break;
        case V_I64: *(int64_t *)(void *)p = v; break;
        case V_TTY: case V_VPID: *(int *)(void *)p = (int)v; break;
        case V_LOGINUID: *(uint32_t *)(void *)p = v < 0 ? UINT32_MAX : (uint32_t)v; break;
        default: break;
        }
        return 0;
}

static int str_into(struct scan *sc, const struct key *k, void *base)
{
        ws(sc);
        const char *s = NULL;
        if (sc->i < sc->n && sc->s[sc->i] == '"') {
                if (jstring(sc, &s) < 0)
                        return DOU_EINVAL;
        } else if (jskip(sc, 0) < 0) {  /* not a string: ignored, as a missing value */
                return DOU_EINVAL;
        }
        *(const char **)(void *)((char *)base + k->off) = s;
        return 0;
}

/* Object whose keys are all in t (others skipped); seen guards duplicates. */
static int scan_object(struct scan *sc, const struct key *t, size_t nt, void *base, uint64_t *seen)
{
        if (!eat(sc, '{'))
                return bad("expected an object");
        if (eat(sc, '}'))
                return 0;
        do {
                const char *key;
                if (jstring(sc, &key) < 0 || !eat(sc, ':'))
                        return bad("bad key");
                const struct key *k = find_key(t, nt, key);
                if (!k) {
                        if (jskip(sc, 1) < 0)
                                return DOU_EINVAL;
                        continue;
                }
                uint64_t bit = (uint64_t)1 << (k - t);
                if (*seen & bit)
                        return dou_err_set(DOU_EINVAL, "record: duplicate key '%s'", k->name);
                *seen |= bit;
                int r = k->kind == V_STR ? str_into(sc, k, base) : num_into(sc, k, base);
                if (r < 0)
                        return r;
        } while (eat(sc, ','));
        return eat(sc, '}') ? 0 : bad("expected ',' or '}'");
}

static int scan_proc(struct scan *sc, struct sensor_proc *p)
{
        memset(p, 0, sizeof(*p));
        p->loginuid = UINT32_MAX;
        uint64_t seen = 0;
        if (scan_object(sc, proc_keys, sizeof(proc_keys) / sizeof(proc_keys[0]), p, &seen) < 0)
                return DOU_EINVAL;
        if (!p->container_id)
                p->container_id = "";
        return p->pid ? 0 : bad("process without a pid");
}

static int scan_procs(struct scan *sc, struct record_line *rl)
{
        ws(sc);
        if (sc->i < sc->n && sc->s[sc->i] == '{') {
                if (scan_proc(sc, &rl->procs[0]) < 0)
                        return DOU_EINVAL;
                rl->nprocs = 1;
                return 0;
        }
        if (!eat(sc, '['))
                return bad("'procs' must be an array");
        if (eat(sc, ']'))
                return 0;
        do {
                if (rl->nprocs >= RECORD_MAX_PROCS) {
                        if (jskip(sc, 1) < 0)
                                return DOU_EINVAL;
                        continue;
                }
                if (scan_proc(sc, &rl->procs[rl->nprocs]) < 0)
                        return DOU_EINVAL;
                rl->nprocs++;
        } while (eat(sc, ','));
        return eat(sc, ']') ? 0 : bad("bad 'procs' array");
}

static int scan_argv(struct scan *sc, struct sensor_event *ev)
{
        if (!eat(sc, '['))
                return bad("'argv' must be an array");
        if (eat(sc, ']'))
                return 0;
        do {
                const char *s;
                ws(sc);
                if (sc->i >= sc->n || sc->s[sc->i] != '"')
                        return bad("argv items must be strings");
                if (jstring(sc, &s) < 0)
                        return DOU_EINVAL;
                if (ev->argc < SENSOR_MAX_ARGS)        /* bounded like the kernel side */
                        ev->argv[ev->argc++] = s;
        } while (eat(sc, ','));
        return eat(sc, ']') ? 0 : bad("bad 'argv' array");
}

struct record_dec *record_dec_new(void)
{
        return calloc(1, sizeof(struct record_dec));
}

struct record_dec *record_dec_free(struct record_dec *d)
{
        if (d) {
                free(d->buf);
                free(d);
        }
        return NULL;
}

int record_decode(struct record_dec *d, const char *line, size_t len, struct record_line *rl)
{
        if (len > RECORD_MAX_LINE)
                return dou_err_set(DOU_ETOOBIG, "record: line longer than %u bytes", RECORD_MAX_LINE);
        if (len + 1 > d->cap) {
                size_t nc = len + 1 < 4096 ? 4096 : len + 1;
                char *nb = realloc(d->buf, nc);
                if (!nb)
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                d->buf = nb;
                d->cap = nc;
        }
        struct scan sc = { .s = line, .n = len, .out = d->buf };
        struct sensor_event *ev = &rl->ev;
        memset(ev, 0, sizeof(*ev));
        rl->nprocs = 0;
        rl->has_container = false;
        rl->has_event = false;
        const char *type = NULL;
        uint64_t seen = 0;
        const size_t nk = sizeof(ev_keys) / sizeof(ev_keys[0]);
        if (!eat(&sc, '{'))
                return bad("a line must be a JSON object");
        if (!eat(&sc, '}')) {
                do {
                        const char *key;
                        if (jstring(&sc, &key) < 0 || !eat(&sc, ':'))
                                return bad("bad key");
                        const struct key *k = find_key(ev_keys, nk, key);
                        if (!k) {
                                if (jskip(&sc, 1) < 0)
                                        return DOU_EINVAL;
                                continue;
                        }
                        uint64_t bit = (uint64_t)1 << (k - ev_keys);
                        if (seen & bit)
                                return dou_err_set(DOU_EINVAL, "record: duplicate key '%s'", k->name);
                        seen |= bit;
                        int r;
                        uint64_t cseen = 0;
                        switch (k->kind) {
                        case V_ARGV: r = scan_argv(&sc, ev); break;
                        case V_PROCS: r = scan_procs(&sc, rl); break;
                        case V_CONT:
                                memset(&rl->cont, 0, sizeof(rl->cont));
                                r = scan_object(&sc, cont_keys, sizeof(cont_keys) / sizeof(cont_keys[0]),
                                                &rl->cont, &cseen);
                                if (r == 0 && !rl->cont.id)
                                        r = bad("'container' needs an 'id'");
                                rl->has_container = r == 0;
                                break;
                        case V_TYPE: {
                                struct key tk = { "type", V_STR, 0 };
                                const char *holder[1] = { NULL };
                                r = str_into(&sc, &tk, holder);
                                type = holder[0];
                                rl->has_event = true;
                                break;
                        }
                        case V_STR:
                                r = str_into(&sc, k, ev);
                                if (r == 0 && !strcmp(k->name, "syscall"))
                                        rl->has_event = true;
                                break;
                        default: r = num_into(&sc, k, ev); break;
                        }
                        if (r < 0)
                                return r;
                } while (eat(&sc, ','));
                if (!eat(&sc, '}'))
                        return bad("expected ',' or '}'");
        }
        ws(&sc);
        if (sc.i != sc.n)
                return bad("text after the JSON object");
        if (!rl->has_event)
                return 0;
        int t = -1;
        if (type)
                for (int i = 0; i < EVT_TYPE_COUNT; i++)
                        if (!strcmp(record_type_name((enum sensor_evt_type)i), type))
                                t = i;
        if (t < 0 && ev->syscall)
                t = rules_evt_type_from_name(ev->syscall);
        if (t < 0)
                return dou_err_set(DOU_EINVAL, "record: unknown event type '%s'",
                                   type ? type : ev->syscall ? ev->syscall : "");
        ev->type = (enum sensor_evt_type)t;
        if (!ev->syscall)
                ev->syscall = record_type_name(ev->type);
        if (!ev->tid)
                ev->tid = ev->pid;
        if (!ev->comm)
                ev->comm = "";
        if (!ev->container_id)
                ev->container_id = "";
        return 0;
}
