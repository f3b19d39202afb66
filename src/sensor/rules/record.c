/*
 * record.c - reader and writer of the JSON-lines record format.
 *
 * The decoder keeps the parsed jansson tree of the current line alive so
 * the struct sensor_event it fills can point at its strings (the event
 * contract: strings valid until the next event). Every value is checked
 * for type and range; unknown keys are ignored so the format can grow.
 * Lines are bounded (RECORD_MAX_LINE) and nesting by jansson's own limit.
 */
#include "sensor/rules/record.h"
#include "sensor/rules/rules.h"
#include "util/err.h"

#include <jansson.h>
#include <string.h>

struct record_dec {
        json_t *root;
};

static const char *const type_names[EVT_TYPE_COUNT] = {
        [EVT_EXECVE] = "execve", [EVT_CLONE] = "clone", [EVT_EXIT] = "exit", [EVT_OPEN] = "open",
        [EVT_CONNECT] = "connect", [EVT_ACCEPT] = "accept", [EVT_BIND] = "bind",
        [EVT_LISTEN] = "listen", [EVT_SOCKET] = "socket", [EVT_SENDTO] = "sendto",
        [EVT_SENDMSG] = "sendmsg", [EVT_DUP] = "dup", [EVT_LINK] = "link", [EVT_SYMLINK] = "symlink",
        [EVT_UNLINK] = "unlink", [EVT_RENAME] = "rename", [EVT_PTRACE] = "ptrace",
        [EVT_SETUID] = "setuid", [EVT_SETGID] = "setgid", [EVT_CAPSET] = "capset",
        [EVT_MOUNT] = "mount", [EVT_INIT_MODULE] = "init_module",
        [EVT_MEMFD_CREATE] = "memfd_create", [EVT_CHMOD] = "chmod",
};

const char *record_type_name(enum sensor_evt_type t)
{
        return (unsigned)t < EVT_TYPE_COUNT ? type_names[t] : "unknown";
}

struct record_dec *record_dec_new(void)
{
        return calloc(1, sizeof(struct record_dec));
}

struct record_dec *record_dec_free(struct record_dec *d)
{
        if (d) {
                json_decref(d->root);
                free(d);
        }
        return NULL;
}

static const char *jstr(const json_t *o, const char *k)
{
        const json_t *v = json_object_get(o, k);
        return json_is_string(v) ? json_string_value(v) : NULL;
}

static int jnum(const json_t *o, const char *k, int64_t min, int64_t max, int64_t *ret)
{
        const json_t *v = json_object_get(o, k);
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v))
                return dou_err_set(DOU_EINVAL, "record: '%s' is not an integer", k);
        json_int_t n = json_integer_value(v);
        if (n < min || n > max)
                return dou_err_set(DOU_EINVAL, "record: '%s' out of range", k);
        *ret = n;
        return 0;
}

#define U32(o, k, dst)                                                         \
        do {                                                                   \
                int64_t t_ = (dst);                                            \
                if (jnum(o, k, 0, UINT32_MAX, &t_) < 0)                        \
                        return DOU_EINVAL;                                     \
                (dst) = (uint32_t)t_;                                          \
        } while (0)
#define U16(o, k, dst)                                                         \
        do {                                                                   \
                int64_t t_ = (dst);                                            \
                if (jnum(o, k, 0, UINT16_MAX, &t_) < 0)                        \
                        return DOU_EINVAL;                                     \
                (dst) = (uint16_t)t_;                                          \
        } while (0)
#define U64(o, k, dst)                                                         \
        do {                                                                   \
                int64_t t_ = (int64_t)(dst);                                   \
                if (jnum(o, k, 0, INT64_MAX, &t_) < 0)                         \
                        return DOU_EINVAL;                                     \
                (dst) = (uint64_t)t_;                                          \
        } while (0)

static int dec_proc(const json_t *o, struct sensor_proc *p)
{
        if (!json_is_object(o))
                return dou_err_set(DOU_EINVAL, "record: a process must be an object");
        memset(p, 0, sizeof(*p));
        p->loginuid = UINT32_MAX;
        U32(o, "pid", p->pid);
        U32(o, "ppid", p->ppid);
        U32(o, "tid", p->tid);
        U32(o, "uid", p->uid);
        U32(o, "gid", p->gid);
        int64_t lu = -1;
        if (jnum(o, "loginuid", -1, UINT32_MAX, &lu) < 0)
                return DOU_EINVAL;
        p->loginuid = lu < 0 ? UINT32_MAX : (uint32_t)lu;
        U64(o, "start_ns", p->start_ns);
        U64(o, "cgroup_id", p->cgroup_id);
        U64(o, "mntns", p->mntns);
        int64_t n = 0;
        if (jnum(o, "tty", INT32_MIN, INT32_MAX, &n) < 0)
                return DOU_EINVAL;
        p->tty = (int)n;
        n = 0;
        if (jnum(o, "vpid", 0, INT32_MAX, &n) < 0)
                return DOU_EINVAL;
        p->vpid = (int)n;
        p->comm = jstr(o, "comm");
        p->exe = jstr(o, "exe");
        p->exepath = jstr(o, "exepath");
        p->args = jstr(o, "args");
        p->cwd = jstr(o, "cwd");
        p->container_id = jstr(o, "container_id");
        if (!p->container_id)
                p->container_id = "";
        if (p->pid == 0)
                return dou_err_set(DOU_EINVAL, "record: process without a pid");
        return 0;
}

static int dec_event(const json_t *o, struct sensor_event *ev)
{
        memset(ev, 0, sizeof(*ev));
        ev->syscall = jstr(o, "syscall");
        const char *tn = jstr(o, "type");
        int t = -1;
        if (tn)
                for (int i = 0; i < EVT_TYPE_COUNT; i++)
                        if (!strcmp(type_names[i], tn))
                                t = i;
        if (t < 0 && ev->syscall)
                t = rules_evt_type_from_name(ev->syscall);
        if (t < 0)
                return dou_err_set(DOU_EINVAL, "record: unknown event type '%s'",
                                   tn ? tn : ev->syscall ? ev->syscall : "");
        ev->type = (enum sensor_evt_type)t;
        if (!ev->syscall)
                ev->syscall = type_names[t];
        U64(o, "ts", ev->ts_ns);
        U32(o, "pid", ev->pid);
        U32(o, "tid", ev->tid);
        U32(o, "ppid", ev->ppid);
        U32(o, "uid", ev->uid);
        U32(o, "gid", ev->gid);
        U64(o, "cgroup_id", ev->cgroup_id);
        U64(o, "mntns", ev->mntns);
        if (!ev->tid)
                ev->tid = ev->pid;
        ev->comm = jstr(o, "comm");
        if (!ev->comm)
                ev->comm = "";
        ev->container_id = jstr(o, "container_id");
        if (!ev->container_id)
                ev->container_id = "";
        if (jnum(o, "res", INT64_MIN, INT64_MAX, &ev->res) < 0)
                return DOU_EINVAL;
        ev->path = jstr(o, "path");
        ev->path2 = jstr(o, "path2");
        ev->cwd = jstr(o, "cwd");
        U32(o, "flags", ev->flags);
        U32(o, "mode", ev->mode);
        U32(o, "fd", ev->fd);
        U16(o, "sock_family", ev->sock_family);
        U16(o, "sock_type", ev->sock_type);
        ev->sip = jstr(o, "sip");
        ev->dip = jstr(o, "dip");
        U16(o, "sport", ev->sport);
        U16(o, "dport", ev->dport);
        U32(o, "new_uid", ev->new_uid);
        U32(o, "new_gid", ev->new_gid);
        U32(o, "ptrace_request", ev->ptrace_request);
        U64(o, "cap_effective", ev->cap_effective);
        const json_t *argv = json_object_get(o, "argv");
        if (argv) {
                if (!json_is_array(argv))
                        return dou_err_set(DOU_EINVAL, "record: 'argv' must be an array");
                size_t i;
                const json_t *a;
                json_array_foreach(argv, i, a) {
                        if (ev->argc >= SENSOR_MAX_ARGS)
                                break;  /* bounded like the kernel side */
                        if (!json_is_string(a))
                                return dou_err_set(DOU_EINVAL, "record: argv items must be strings");
                        ev->argv[ev->argc++] = json_string_value(a);
                }
        }
        return 0;
}

int record_decode(struct record_dec *d, const char *line, size_t len, struct record_line *ret)
{
        if (len > RECORD_MAX_LINE)
                return dou_err_set(DOU_ETOOBIG, "record: line longer than %u bytes", RECORD_MAX_LINE);
        json_decref(d->root);
        json_error_t jerr;
        d->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!d->root)
                return dou_err_set(DOU_EINVAL, "record: invalid JSON: %s", jerr.text);
        const json_t *o = d->root;
        if (!json_is_object(o))
                return dou_err_set(DOU_EINVAL, "record: a line must be a JSON object");
        ret->has_event = json_object_get(o, "type") || json_object_get(o, "syscall");
        ret->nprocs = 0;
        ret->has_container = false;
        const json_t *procs = json_object_get(o, "procs");
        if (!procs)
                procs = json_object_get(o, "proc");
        if (json_is_object(procs)) {
                if (dec_proc(procs, &ret->procs[0]) < 0)
                        return DOU_EINVAL;
                ret->nprocs = 1;
        } else if (json_is_array(procs)) {
                size_t i;
                const json_t *p;
                json_array_foreach(procs, i, p) {
                        if (ret->nprocs >= RECORD_MAX_PROCS)
                                break;
                        if (dec_proc(p, &ret->procs[ret->nprocs]) < 0)
                                return DOU_EINVAL;
                        ret->nprocs++;
                }
        } else if (procs) {
                return dou_err_set(DOU_EINVAL, "record: 'procs' must be an array");
        }
        const json_t *c = json_object_get(o, "container");
        if (c) {
                if (!json_is_object(c) || !jstr(c, "id"))
                        return dou_err_set(DOU_EINVAL, "record: 'container' needs an 'id'");
                ret->cont = (struct sensor_container){
                        .id = jstr(c, "id"), .name = jstr(c, "name"), .image = jstr(c, "image"),
                        .image_digest = jstr(c, "image_digest"), .runtime = jstr(c, "runtime"),
                };
                ret->has_container = true;
        }
        if (ret->has_event && dec_event(o, &ret->ev) < 0)
                return DOU_EINVAL;
        return 0;
}

/* ---- writer ---- */

static void set_s(json_t *o, const char *k, const char *v)
{
        if (v)
                json_object_set_new(o, k, json_string(v));
}

static void set_n(json_t *o, const char *k, json_int_t v, bool always)
{
        if (v || always)
                json_object_set_new(o, k, json_integer(v));
}

static json_t *enc_proc(const struct sensor_proc *p)
{
        json_t *o = json_object();
        if (!o)
                return NULL;
        set_n(o, "pid", p->pid, true);
        set_n(o, "ppid", p->ppid, true);
        set_n(o, "tid", p->tid, false);
        set_n(o, "uid", p->uid, true);
        set_n(o, "gid", p->gid, true);
        set_n(o, "loginuid", p->loginuid == UINT32_MAX ? -1 : (json_int_t)p->loginuid, true);
        set_n(o, "start_ns", (json_int_t)p->start_ns, false);
        set_n(o, "cgroup_id", (json_int_t)p->cgroup_id, false);
        set_n(o, "mntns", (json_int_t)p->mntns, false);
        set_s(o, "comm", p->comm);
        set_s(o, "exe", p->exe);
        set_s(o, "exepath", p->exepath);
        set_s(o, "args", p->args);
        set_s(o, "cwd", p->cwd);
        set_s(o, "container_id", p->container_id);
        set_n(o, "tty", p->tty, false);
        set_n(o, "vpid", p->vpid, false);
        return o;
}

int record_write(FILE *f, const struct sensor_event *ev, const struct sensor_proc *const *procs,
                 size_t nprocs, const struct sensor_container *c)
{
        json_t *o = json_object();
        if (!o)
                return DOU_ENOMEM;
        set_n(o, "ts", (json_int_t)ev->ts_ns, true);
        set_s(o, "type", record_type_name(ev->type));
        set_s(o, "syscall", ev->syscall);
        set_n(o, "pid", ev->pid, true);
        set_n(o, "tid", ev->tid, false);
        set_n(o, "ppid", ev->ppid, true);
        set_n(o, "uid", ev->uid, true);
        set_n(o, "gid", ev->gid, true);
        set_n(o, "cgroup_id", (json_int_t)ev->cgroup_id, false);
        set_n(o, "mntns", (json_int_t)ev->mntns, false);
        set_s(o, "comm", ev->comm);
        if (ev->container_id && *ev->container_id)
                set_s(o, "container_id", ev->container_id);
        set_n(o, "res", ev->res, true);
        set_s(o, "path", ev->path);
        set_s(o, "path2", ev->path2);
        set_n(o, "flags", ev->flags, false);
        set_n(o, "mode", ev->mode, false);
        if (ev->argc) {
                json_t *a = json_array();
                for (uint32_t i = 0; i < ev->argc && i < SENSOR_MAX_ARGS; i++)
                        json_array_append_new(a, json_string(ev->argv[i] ? ev->argv[i] : ""));
                json_object_set_new(o, "argv", a);
        }
        set_s(o, "cwd", ev->cwd);
        set_n(o, "fd", ev->fd, false);
        set_n(o, "sock_family", ev->sock_family, false);
        set_n(o, "sock_type", ev->sock_type, false);
        set_s(o, "sip", ev->sip);
        set_s(o, "dip", ev->dip);
        set_n(o, "sport", ev->sport, false);
        set_n(o, "dport", ev->dport, false);
        set_n(o, "new_uid", ev->new_uid, ev->type == EVT_SETUID);
        set_n(o, "new_gid", ev->new_gid, ev->type == EVT_SETGID);
        set_n(o, "ptrace_request", ev->ptrace_request, ev->type == EVT_PTRACE);
        set_n(o, "cap_effective", (json_int_t)ev->cap_effective, false);
        if (nprocs) {
                json_t *a = json_array();
                for (size_t i = 0; i < nprocs && i < RECORD_MAX_PROCS; i++)
                        if (procs[i])
                                json_array_append_new(a, enc_proc(procs[i]));
                json_object_set_new(o, "procs", a);
        }
        if (c && c->id && *c->id) {
                json_t *co = json_object();
                set_s(co, "id", c->id);
                set_s(co, "name", c->name);
                set_s(co, "image", c->image);
                set_s(co, "image_digest", c->image_digest);
                set_s(co, "runtime", c->runtime);
                json_object_set_new(o, "container", co);
        }
        int r = json_dumpf(o, f, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(o);
        if (r < 0 || fputc('\n', f) == EOF)
                return dou_err_errno(DOU_EIO, "record: write failed");
        return 0;
}
