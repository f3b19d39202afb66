/*
 * record.c - writer of the JSON-lines record format (jansson does the
 * escaping; recording is not on the evaluation path). The reader is
 * record_scan.c.
 */
#include "sensor/rules/record.h"
#include "sensor/rules/rules.h"
#include "util/err.h"

#include <jansson.h>
#include <string.h>

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
