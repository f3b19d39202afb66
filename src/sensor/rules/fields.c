/*
 * fields.c - Falco filter fields over a struct sensor_event and the
 * process/container tables.
 *
 * Every field Falco's stable rules use is known here. Those the sensor
 * cannot observe yet are FT_NA: they load and compile, and extract as
 * missing, which makes any comparison on them false and prints "<NA>" in
 * outputs, exactly like Falco does for a value it does not have.
 * Extraction never allocates: strings point into the event, the tables or
 * the caller's scratch buffer. Process context is resolved lazily once per
 * event (eval_ctx_reset clears it).
 */
#include "sensor/rules/rules_int.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum fid {
        F_EVT_TYPE, F_EVT_DIR, F_EVT_NUM, F_EVT_RES, F_EVT_RAWRES, F_EVT_ARG, F_EVT_RAWARG,
        F_EVT_ARGS, F_EVT_IS_OPEN_WRITE, F_EVT_IS_OPEN_READ, F_EVT_IS_OPEN_EXEC, F_EVT_HOSTNAME,
        F_EVT_TIME, F_EVT_SOURCE, F_EVT_RAWTIME,
        F_FD_NAME, F_FD_DIRECTORY, F_FD_FILENAME, F_FD_TYPECHAR, F_FD_TYPE, F_FD_NUM,
        F_FD_SIP, F_FD_CIP, F_FD_LIP, F_FD_RIP, F_FD_IP, F_FD_SNET, F_FD_CNET, F_FD_NET, F_FD_LNET,
        F_FD_RNET, F_FD_SPORT, F_FD_CPORT, F_FD_LPORT, F_FD_RPORT, F_FD_PORT, F_FD_L4PROTO,
        F_FD_CONNECTED,
        F_PROC_NAME, F_PROC_EXE, F_PROC_EXEPATH, F_PROC_ARGS, F_PROC_CMDLINE, F_PROC_PNAME,
        F_PROC_PEXE, F_PROC_PEXEPATH, F_PROC_PCMDLINE, F_PROC_ANAME, F_PROC_AEXE, F_PROC_AEXEPATH,
        F_PROC_ACMDLINE, F_PROC_APID, F_PROC_PID, F_PROC_PPID, F_PROC_VPID, F_PROC_TTY, F_PROC_CWD,
        F_PROC_IS_EXE_FROM_MEMFD, F_PROC_COMM, F_PROC_DURATION, F_PROC_PPID_DURATION,
        F_THREAD_TID, F_THREAD_CAP_EFFECTIVE,
        F_USER_UID, F_USER_NAME, F_USER_LOGINUID, F_USER_LOGINNAME, F_GROUP_GID, F_GROUP_NAME,
        F_CONT_ID, F_CONT_NAME, F_CONT_IMAGE, F_CONT_REPO, F_CONT_TAG, F_CONT_DIGEST, F_CONT_TYPE,
        F_DOU_VERDICT, F_DOU_RELEASED, F_DOU_VULNS,
        F_NA,
};

/* arg: 0 none, 1 optional index/name, 2 required */
static const struct field_def fields[] = {
        { "evt.type", F_EVT_TYPE, FT_STR, 0 }, { "evt.dir", F_EVT_DIR, FT_STR, 0 },
        { "evt.num", F_EVT_NUM, FT_NUM, 0 }, { "evt.res", F_EVT_RES, FT_STR, 0 },
        { "evt.rawres", F_EVT_RAWRES, FT_NUM, 0 }, { "evt.arg", F_EVT_ARG, FT_STR, 2 },
        { "evt.rawarg", F_EVT_RAWARG, FT_STR, 2 }, { "evt.args", F_EVT_ARGS, FT_STR, 0 },
        { "evt.is_open_write", F_EVT_IS_OPEN_WRITE, FT_BOOL, 0 },
        { "evt.is_open_read", F_EVT_IS_OPEN_READ, FT_BOOL, 0 },
        { "evt.is_open_exec", F_EVT_IS_OPEN_EXEC, FT_BOOL, 0 },
        { "evt.hostname", F_EVT_HOSTNAME, FT_STR, 0 }, { "evt.time", F_EVT_TIME, FT_STR, 0 },
        { "evt.source", F_EVT_SOURCE, FT_STR, 0 }, { "evt.rawtime", F_EVT_RAWTIME, FT_NUM, 0 },
        { "fd.name", F_FD_NAME, FT_STR, 0 }, { "fd.nameraw", F_FD_NAME, FT_STR, 0 },
        { "fd.directory", F_FD_DIRECTORY, FT_STR, 0 }, { "fd.filename", F_FD_FILENAME, FT_STR, 0 },
        { "fd.typechar", F_FD_TYPECHAR, FT_STR, 0 }, { "fd.type", F_FD_TYPE, FT_STR, 0 },
        { "fd.num", F_FD_NUM, FT_NUM, 0 },
        { "fd.sip", F_FD_SIP, FT_IP, 0 }, { "fd.cip", F_FD_CIP, FT_IP, 0 },
        { "fd.lip", F_FD_LIP, FT_IP, 0 }, { "fd.rip", F_FD_RIP, FT_IP, 0 },
        { "fd.ip", F_FD_IP, FT_IP, 0 }, { "fd.snet", F_FD_SNET, FT_IP, 0 },
        { "fd.cnet", F_FD_CNET, FT_IP, 0 }, { "fd.net", F_FD_NET, FT_IP, 0 },
        { "fd.lnet", F_FD_LNET, FT_IP, 0 }, { "fd.rnet", F_FD_RNET, FT_IP, 0 },
        { "fd.sport", F_FD_SPORT, FT_NUM, 0 }, { "fd.cport", F_FD_CPORT, FT_NUM, 0 },
        { "fd.lport", F_FD_LPORT, FT_NUM, 0 }, { "fd.rport", F_FD_RPORT, FT_NUM, 0 },
        { "fd.port", F_FD_PORT, FT_NUM, 0 }, { "fd.l4proto", F_FD_L4PROTO, FT_STR, 0 },
        { "fd.connected", F_FD_CONNECTED, FT_BOOL, 0 },
        { "proc.name", F_PROC_NAME, FT_STR, 0 }, { "proc.exe", F_PROC_EXE, FT_STR, 0 },
        { "proc.exepath", F_PROC_EXEPATH, FT_STR, 0 }, { "proc.args", F_PROC_ARGS, FT_STR, 0 },
        { "proc.cmdline", F_PROC_CMDLINE, FT_STR, 0 }, { "proc.pname", F_PROC_PNAME, FT_STR, 0 },
        { "proc.pexe", F_PROC_PEXE, FT_STR, 0 }, { "proc.pexepath", F_PROC_PEXEPATH, FT_STR, 0 },
        { "proc.pcmdline", F_PROC_PCMDLINE, FT_STR, 0 },
        { "proc.aname", F_PROC_ANAME, FT_STR, 1 }, { "proc.aexe", F_PROC_AEXE, FT_STR, 1 },
        { "proc.aexepath", F_PROC_AEXEPATH, FT_STR, 1 },
        { "proc.acmdline", F_PROC_ACMDLINE, FT_STR, 1 }, { "proc.apid", F_PROC_APID, FT_NUM, 1 },
        { "proc.pid", F_PROC_PID, FT_NUM, 0 }, { "proc.ppid", F_PROC_PPID, FT_NUM, 0 },
        { "proc.vpid", F_PROC_VPID, FT_NUM, 0 }, { "proc.tty", F_PROC_TTY, FT_NUM, 0 },
        { "proc.cwd", F_PROC_CWD, FT_STR, 0 },
        { "proc.is_exe_from_memfd", F_PROC_IS_EXE_FROM_MEMFD, FT_BOOL, 0 },
        { "proc.duration", F_PROC_DURATION, FT_NUM, 0 },
        { "proc.ppid.duration", F_PROC_PPID_DURATION, FT_NUM, 0 },
        { "thread.tid", F_THREAD_TID, FT_NUM, 0 },
        { "thread.cap_effective", F_THREAD_CAP_EFFECTIVE, FT_STR, 0 },
        { "user.uid", F_USER_UID, FT_NUM, 0 }, { "user.name", F_USER_NAME, FT_STR, 0 },
        { "user.loginuid", F_USER_LOGINUID, FT_NUM, 0 },
        { "user.loginname", F_USER_LOGINNAME, FT_STR, 0 },
        { "group.gid", F_GROUP_GID, FT_NUM, 0 }, { "group.name", F_GROUP_NAME, FT_STR, 0 },
        { "container.id", F_CONT_ID, FT_STR, 0 }, { "container.name", F_CONT_NAME, FT_STR, 0 },
        { "container.image", F_CONT_IMAGE, FT_STR, 0 },
        { "container.image.repository", F_CONT_REPO, FT_STR, 0 },
        { "container.image.tag", F_CONT_TAG, FT_STR, 0 },
        { "container.image.digest", F_CONT_DIGEST, FT_STR, 0 },
        { "container.type", F_CONT_TYPE, FT_STR, 0 },
        { "douane.image.verdict", F_DOU_VERDICT, FT_STR, 0 },
        { "douane.image.released", F_DOU_RELEASED, FT_BOOL, 0 },
        { "douane.image.vulns", F_DOU_VULNS, FT_NUM, 0 },
        /* Known to Falco, not observed by the sensor yet: evaluate as missing. */
        { "evt.arg.fd", F_NA, FT_NA, 0 }, { "evt.buffer", F_NA, FT_NA, 0 },
        { "evt.latency", F_NA, FT_NA, 0 }, { "evt.cpu", F_NA, FT_NA, 0 },
        { "evt.is_async", F_NA, FT_NA, 0 }, { "evt.category", F_NA, FT_NA, 0 },
        { "fd.name_changed", F_NA, FT_NA, 0 }, { "fd.types", F_NA, FT_NA, 1 },
        { "fd.sip.name", F_NA, FT_NA, 0 }, { "fd.cip.name", F_NA, FT_NA, 0 },
        { "fd.rip.name", F_NA, FT_NA, 0 }, { "fd.lip.name", F_NA, FT_NA, 0 },
        { "fd.ino", F_NA, FT_NA, 0 }, { "fd.dev", F_NA, FT_NA, 0 }, { "fd.uid", F_NA, FT_NA, 0 },
        { "fd.is_server", F_NA, FT_NA, 0 }, { "fd.sockfamily", F_NA, FT_NA, 0 },
        { "proc.sid", F_NA, FT_NA, 0 }, { "proc.sname", F_NA, FT_NA, 0 },
        { "proc.vpgid", F_NA, FT_NA, 0 }, { "proc.vpgid.name", F_NA, FT_NA, 0 },
        { "proc.vpgid.exe", F_NA, FT_NA, 0 }, { "proc.is_vpgid_leader", F_NA, FT_NA, 0 },
        { "proc.is_sid_leader", F_NA, FT_NA, 0 }, { "proc.is_exe_upper_layer", F_NA, FT_NA, 0 },
        { "proc.is_exe_writable", F_NA, FT_NA, 0 }, { "proc.exe_ino", F_NA, FT_NA, 0 },
        { "proc.exe_ino.ctime", F_NA, FT_NA, 0 }, { "proc.exe_ino.mtime", F_NA, FT_NA, 0 },
        { "proc.exe_ino.ctime_duration_proc_start", F_NA, FT_NA, 0 },
        { "proc.pvpid", F_NA, FT_NA, 0 }, { "proc.loginshellid", F_NA, FT_NA, 0 },
        { "proc.env", F_NA, FT_NA, 1 }, { "proc.nthreads", F_NA, FT_NA, 0 },
        { "proc.is_container_healthcheck", F_NA, FT_NA, 0 },
        { "proc.is_container_liveness_probe", F_NA, FT_NA, 0 },
        { "proc.is_container_readiness_probe", F_NA, FT_NA, 0 },
        { "proc.stdin.type", F_NA, FT_NA, 0 }, { "proc.stdout.type", F_NA, FT_NA, 0 },
        { "proc.stdin.name", F_NA, FT_NA, 0 }, { "proc.stdout.name", F_NA, FT_NA, 0 },
        { "proc.pid.ts", F_NA, FT_NA, 0 }, { "proc.start_ts", F_NA, FT_NA, 0 },
        { "thread.cap_permitted", F_NA, FT_NA, 0 }, { "thread.cap_inheritable", F_NA, FT_NA, 0 },
        { "thread.vtid", F_NA, FT_NA, 0 },
        { "user.homedir", F_NA, FT_NA, 0 }, { "user.shell", F_NA, FT_NA, 0 },
        { "container.image.id", F_NA, FT_NA, 0 }, { "container.privileged", F_NA, FT_NA, 0 },
        { "container.start_ts", F_NA, FT_NA, 0 }, { "container.mounts", F_NA, FT_NA, 0 },
        { "container.mount", F_NA, FT_NA, 1 }, { "container.healthcheck", F_NA, FT_NA, 0 },
        { "container.host_pid", F_NA, FT_NA, 0 }, { "container.host_network", F_NA, FT_NA, 0 },
        { "container.full_id", F_NA, FT_NA, 0 }, { "container.ip", F_NA, FT_NA, 0 },
        { "container.cni.json", F_NA, FT_NA, 0 }, { "container.duration", F_NA, FT_NA, 0 },
};

const struct field_def *field_lookup(const char *name, size_t len, int *ret_idx,
                                     const char **ret_argname, size_t *ret_arglen)
{
        static const struct field_def k8s_na = { "k8s.*", F_NA, FT_NA, 1 };
        *ret_idx = -1;
        *ret_argname = NULL;
        *ret_arglen = 0;
        size_t base = len;
        const char *br = memchr(name, '[', len);
        if (br)
                base = (size_t)(br - name);
        /* exact name (with [N] stripped) */
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                const struct field_def *f = &fields[i];
                if (strlen(f->name) == base && !memcmp(f->name, name, base)) {
                        if (br) {
                                if (!f->arg)
                                        return NULL;
                                const char *a = br + 1;
                                size_t al = len - base - 2;
                                char tmp[32];
                                if (al == 0 || al >= sizeof(tmp))
                                        return al == 0 && !strcmp(f->name, "fd.types") ? f : NULL;
                                memcpy(tmp, a, al);
                                tmp[al] = 0;
                                char *end;
                                long v = strtol(tmp, &end, 10);
                                if (*end == 0 && v >= 0 && v < 1024)
                                        *ret_idx = (int)v;
                                else {
                                        *ret_argname = a;
                                        *ret_arglen = al;
                                }
                        } else if (f->arg == 2) {
                                return NULL;
                        }
                        return f;
                }
        }
        /* evt.arg.NAME / evt.rawarg.NAME */
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                const struct field_def *f = &fields[i];
                size_t fl = strlen(f->name);
                if (f->arg == 2 && !br && len > fl + 1 && !memcmp(f->name, name, fl) && name[fl] == '.') {
                        *ret_argname = name + fl + 1;
                        *ret_arglen = len - fl - 1;
                        return f;
                }
        }
        if ((len > 4 && !memcmp(name, "k8s.", 4)) || (len > 8 && !memcmp(name, "k8smeta.", 8)))
                return &k8s_na;
        return NULL;
}

/* ---- context ---- */

void eval_ctx_reset(struct eval_ctx *c, const struct sensor_event *ev)
{
        c->ev = ev;
        c->evnum++;
        c->have_proc = false;
        c->proc = NULL;
        c->nanc = -1;
        c->have_cont = false;
        c->cont = NULL;
        c->have_cmdline = false;
}

static const struct sensor_proc *cproc(struct eval_ctx *c)
{
        if (!c->have_proc) {
                c->have_proc = true;
                c->proc = c->ops && c->ops->proc_get ? c->ops->proc_get(c->tables, c->ev->pid) : NULL;
        }
        return c->proc;
}

/* Ancestor n (0 = the process itself), NULL if unknown. */
static const struct sensor_proc *ancestor(struct eval_ctx *c, int n)
{
        if (n > RULES_MAX_ANCESTORS)
                return NULL;
        if (c->nanc < 0) {
                c->anc[0] = cproc(c);
                c->nanc = 0;
        }
        while (c->nanc < n) {
                const struct sensor_proc *p = c->anc[c->nanc];
                uint32_t ppid;
                if (p)
                        ppid = p->ppid;
                else if (c->nanc == 0)
                        ppid = c->ev->ppid;
                else
                        return NULL;
                if (ppid == 0 || (p && ppid == p->pid) || !c->ops || !c->ops->proc_get)
                        return NULL;
                const struct sensor_proc *q = c->ops->proc_get(c->tables, ppid);
                if (!q)
                        return NULL;
                c->anc[++c->nanc] = q;
        }
        return c->anc[n];
}

static const struct sensor_container *ccont(struct eval_ctx *c)
{
        if (!c->have_cont) {
                c->have_cont = true;
                const struct sensor_proc *p = cproc(c);
                const char *id = p && p->container_id ? p->container_id : c->ev->container_id;
                if (id && *id && c->ops && c->ops->container_get)
                        c->cont = c->ops->container_get(c->tables, id);
        }
        return c->cont;
}

static const char *container_id(struct eval_ctx *c)
{
        const struct sensor_proc *p = cproc(c);
        const char *id = p && p->container_id ? p->container_id : c->ev->container_id;
        return id && *id ? id : "host";
}

static bool setstr(struct fval *v, const char *s)
{
        if (!s)
                return false;
        v->s = s;
        v->len = strlen(s);
        return true;
}

static bool setnum(struct fval *v, int64_t n)
{
        v->n = n;
        v->s = NULL;
        return true;
}

static const char *basename_of(const char *p)
{
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

static const char *pname(const struct sensor_proc *p)
{
        if (!p)
                return NULL;
        if (p->comm && *p->comm)
                return p->comm;
        return p->exepath ? basename_of(p->exepath) : NULL;
}

static bool cmdline_of(const struct sensor_proc *p, char *buf, size_t sz, struct fval *v)
{
        const char *n = pname(p);
        if (!n)
                return false;
        const char *a = p->args ? p->args : "";
        int l = snprintf(buf, sz, *a ? "%s %s" : "%s%s", n, a);
        if (l < 0)
                return false;
        v->s = buf;
        v->len = (size_t)l < sz ? (size_t)l : sz - 1;
        return true;
}

static bool is_net(const struct sensor_event *ev)
{
        switch (ev->type) {
        case EVT_CONNECT: case EVT_ACCEPT: case EVT_BIND: case EVT_LISTEN:
        case EVT_SENDTO: case EVT_SENDMSG: case EVT_SOCKET:
                return true;
        case EVT_DUP:   /* the capture side describes a duplicated socket */
                return ev->sock_family != 0;
        default:
                return false;
        }
}

static bool is_inet(const struct sensor_event *ev)
{
        return is_net(ev) && (ev->sock_family == AF_INET || ev->sock_family == AF_INET6);
}

static bool has_path(const struct sensor_event *ev)
{
        switch (ev->type) {
        case EVT_OPEN: case EVT_UNLINK: case EVT_CHMOD: case EVT_RENAME: case EVT_LINK:
        case EVT_SYMLINK: case EVT_EXECVE: case EVT_MOUNT: case EVT_MEMFD_CREATE:
                return ev->path != NULL;
        default:
                return false;
        }
}

/* Server/client ends (see NOTES: sip/sport = source/client, dip/dport = destination/server). */
static const char *srv_ip(const struct sensor_event *ev) { return ev->dip; }
static const char *cli_ip(const struct sensor_event *ev) { return ev->sip; }
static bool local_is_client(const struct sensor_event *ev) { return ev->type != EVT_ACCEPT; }

static const char *open_flags(uint32_t f, char *buf, size_t sz)
{
        static const struct { uint32_t bit; const char *n; } t[] = {
                { O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" }, { O_NOCTTY, "O_NOCTTY" },
                { O_TRUNC, "O_TRUNC" }, { O_APPEND, "O_APPEND" }, { O_NONBLOCK, "O_NONBLOCK" },
                { O_DSYNC, "O_DSYNC" }, { O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
                { O_CLOEXEC, "O_CLOEXEC" }, { O_TMPFILE & ~O_DIRECTORY, "O_TMPFILE" },
        };
        int acc = (int)(f & O_ACCMODE);
        size_t l = (size_t)snprintf(buf, sz, "%s",
                                    acc == O_WRONLY ? "O_WRONLY" : acc == O_RDWR ? "O_RDWR" : "O_RDONLY");
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]) && l < sz; i++)
                if (f & t[i].bit)
                        l += (size_t)snprintf(buf + l, sz - l, "|%s", t[i].n);
        return buf;
}

static const char *ptrace_req(uint32_t r)
{
        static const struct { uint32_t v; const char *n; } t[] = {
                { 0, "PTRACE_TRACEME" }, { 1, "PTRACE_PEEKTEXT" }, { 2, "PTRACE_PEEKDATA" },
                { 3, "PTRACE_PEEKUSR" }, { 4, "PTRACE_POKETEXT" }, { 5, "PTRACE_POKEDATA" },
                { 6, "PTRACE_POKEUSR" }, { 7, "PTRACE_CONT" }, { 8, "PTRACE_KILL" },
                { 9, "PTRACE_SINGLESTEP" }, { 12, "PTRACE_GETREGS" }, { 13, "PTRACE_SETREGS" },
                { 16, "PTRACE_ATTACH" }, { 17, "PTRACE_DETACH" }, { 24, "PTRACE_SYSCALL" },
                { 0x4206, "PTRACE_SEIZE" }, { 0x4207, "PTRACE_INTERRUPT" },
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
                if (t[i].v == r)
                        return t[i].n;
        return "PTRACE_UNKNOWN";
}

static const char *family_name(uint16_t f)
{
        switch (f) {
        case AF_INET: return "AF_INET";
        case AF_INET6: return "AF_INET6";
        case AF_UNIX: return "AF_UNIX";
        case AF_PACKET: return "AF_PACKET";
        case AF_NETLINK: return "AF_NETLINK";
        default: return "AF_UNKNOWN";
        }
}

static bool evt_arg(struct eval_ctx *c, int idx, const char *a, struct fval *v, char *buf, size_t sz)
{
        const struct sensor_event *ev = c->ev;
        char nm[32] = "";
        if (a) {
                size_t l = strlen(a);
                if (l >= sizeof(nm))
                        return false;
                memcpy(nm, a, l + 1);
        } else if (idx == 0) {
                strcpy(nm, ev->type == EVT_PTRACE ? "request" : ev->type == EVT_SOCKET ? "domain" : "path");
        } else {
                return false;
        }
        if (!strcmp(nm, "flags")) {
                if (ev->type == EVT_OPEN)
                        return setstr(v, open_flags(ev->flags, buf, sz));
                return false;   /* exe_flags etc. are not captured */
        }
        if (!strcmp(nm, "request"))
                return ev->type == EVT_PTRACE && setstr(v, ptrace_req(ev->ptrace_request));
        if (!strcmp(nm, "domain"))
                return ev->type == EVT_SOCKET && setstr(v, family_name(ev->sock_family));
        if (!strcmp(nm, "target") || !strcmp(nm, "oldpath") || !strcmp(nm, "path") ||
            !strcmp(nm, "name") || !strcmp(nm, "pathname") || !strcmp(nm, "filename"))
                return has_path(ev) && setstr(v, ev->path);
        if (!strcmp(nm, "linkpath") || !strcmp(nm, "newpath"))
                return ev->path2 && setstr(v, ev->path2);
        if (!strcmp(nm, "uid") && ev->type == EVT_SETUID) {
                snprintf(buf, sz, "%u", ev->new_uid);
                return setstr(v, buf);
        }
        if (!strcmp(nm, "gid") && ev->type == EVT_SETGID) {
                snprintf(buf, sz, "%u", ev->new_gid);
                return setstr(v, buf);
        }
        if (!strcmp(nm, "mode") && (ev->type == EVT_OPEN || ev->type == EVT_CHMOD)) {
                snprintf(buf, sz, "0%o", ev->mode);
                return setstr(v, buf);
        }
        if (!strcmp(nm, "res")) {
                snprintf(buf, sz, "%lld", (long long)ev->res);
                return setstr(v, buf);
        }
        return false;
}

/* uid/gid -> name through a small direct-mapped cache: NSS lookups are far too slow per event */
static bool id_name(struct eval_ctx *c, bool group, uint32_t id, struct fval *v)
{
        if (id == UINT32_MAX)
                return false;
        struct name_slot *s = &c->names[group][id % RULES_NAME_CACHE];
        if (!s->valid || s->id != id) {
                char tmp[1024];
                s->valid = true;
                s->id = id;
                s->name[0] = 0;
                if (group) {
                        struct group gr, *res = NULL;
                        if (getgrgid_r(id, &gr, tmp, sizeof(tmp), &res) == 0 && res)
                                snprintf(s->name, sizeof(s->name), "%s", gr.gr_name);
                } else {
                        struct passwd pw, *res = NULL;
                        if (getpwuid_r(id, &pw, tmp, sizeof(tmp), &res) == 0 && res)
                                snprintf(s->name, sizeof(s->name), "%s", pw.pw_name);
                }
        }
        return s->name[0] && setstr(v, s->name);
}

/* image "reg:5000/repo:tag@sha256:..." -> repository / tag / digest */
static bool image_part(const char *img, int which, char *buf, size_t sz, struct fval *v)
{
        if (!img || !*img)
                return false;
        const char *at = strchr(img, '@');
        size_t end = at ? (size_t)(at - img) : strlen(img);
        if (which == 2)
                return at && setstr(v, at + 1);
        const char *slash = memrchr(img, '/', end);
        const char *colon = memrchr(img, ':', end);
        if (colon && slash && colon < slash)
                colon = NULL;
        if (which == 1) {
                if (!colon)
                        return at ? false : setstr(v, "latest");
                snprintf(buf, sz, "%.*s", (int)(end - (size_t)(colon + 1 - img)), colon + 1);
                return setstr(v, buf);
        }
        size_t rl = colon ? (size_t)(colon - img) : end;
        snprintf(buf, sz, "%.*s", (int)rl, img);
        return setstr(v, buf);
}

static const char *cap_names(uint64_t caps, char *buf, size_t sz)
{
        static const char *const n[] = {
                "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
                "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
                "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
                "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
                "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
                "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
                "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
                "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
                "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
        };
        size_t l = 0;
        buf[0] = 0;
        for (size_t i = 0; i < sizeof(n) / sizeof(n[0]) && l < sz; i++)
                if (caps & ((uint64_t)1 << i))
                        l += (size_t)snprintf(buf + l, sz - l, "%s%s", l ? " " : "", n[i]);
        return buf;
}

static bool douane_field(struct eval_ctx *c, int id, struct fval *v)
{
        const struct sensor_container *ct = ccont(c);
        if (!ct || !ct->image_digest || !*ct->image_digest || !c->ops || !c->ops->image_info)
                return false;
        const char *verdict = NULL;
        int released = -1;
        int64_t vulns = -1;
        if (c->ops->image_info(c->ops->image_arg, ct->image_digest, &verdict, &released, &vulns) < 0)
                return false;
        if (id == F_DOU_VERDICT)
                return setstr(v, verdict);
        if (id == F_DOU_RELEASED)
                return released >= 0 && setnum(v, released);
        return vulns >= 0 && setnum(v, vulns);
}

bool field_extract(struct eval_ctx *c, const struct field_def *f, int idx, const char *arg,
                   struct fval *v, char *buf, size_t sz)
{
        const struct sensor_event *ev = c->ev;
        const struct sensor_proc *p, *pp;
        const char *s;
        int acc;
        v->s = NULL;
        v->len = 0;
        v->n = 0;
        switch ((enum fid)f->id) {
        case F_EVT_TYPE: return setstr(v, ev->syscall);
        case F_EVT_DIR: return setstr(v, "<");
        case F_EVT_NUM: return setnum(v, (int64_t)c->evnum);
        case F_EVT_RES:
                if (ev->res >= 0)
                        return setstr(v, "SUCCESS");
                s = ev->res >= -4095 ? strerrorname_np((int)-ev->res) : NULL;
                return setstr(v, s ? s : "E?");
        case F_EVT_RAWRES: return setnum(v, ev->res);
        case F_EVT_ARG: case F_EVT_RAWARG: return evt_arg(c, idx, arg, v, buf, sz);
        case F_EVT_ARGS:
                if (has_path(ev))
                        snprintf(buf, sz, "res=%lld path=%s", (long long)ev->res, ev->path);
                else if (ev->type == EVT_SOCKET)
                        snprintf(buf, sz, "domain=%s type=%u", family_name(ev->sock_family), ev->sock_type);
                else
                        snprintf(buf, sz, "res=%lld", (long long)ev->res);
                return setstr(v, buf);
        case F_EVT_IS_OPEN_WRITE:
                if (ev->type != EVT_OPEN)
                        return false;
                acc = (int)(ev->flags & O_ACCMODE);
                return setnum(v, acc == O_WRONLY || acc == O_RDWR);
        case F_EVT_IS_OPEN_READ:
                if (ev->type != EVT_OPEN)
                        return false;
                acc = (int)(ev->flags & O_ACCMODE);
                return setnum(v, acc == O_RDONLY || acc == O_RDWR);
        case F_EVT_IS_OPEN_EXEC:
                if (ev->type != EVT_OPEN)
                        return false;
                return setnum(v, (ev->flags & O_CREAT) && (ev->mode & 0111));
        case F_EVT_HOSTNAME:
                if (gethostname(buf, sz) < 0)
                        return false;
                buf[sz - 1] = 0;
                return setstr(v, buf);
        case F_EVT_TIME: {
                /* Falco prints evt.time as HH:MM:SS.nnnnnnnnn */
                time_t secs = (time_t)(ev->ts_ns / 1000000000u);
                struct tm tm;
                gmtime_r(&secs, &tm);
                snprintf(buf, sz, "%02d:%02d:%02d.%09llu", tm.tm_hour, tm.tm_min, tm.tm_sec,
                         (unsigned long long)(ev->ts_ns % 1000000000u));
                return setstr(v, buf);
        }
        case F_EVT_RAWTIME: return setnum(v, (int64_t)ev->ts_ns);
        case F_EVT_SOURCE: return setstr(v, "syscall");
        case F_FD_NAME:
                if (has_path(ev) && ev->type != EVT_EXECVE)
                        return setstr(v, ev->type == EVT_RENAME || ev->type == EVT_LINK ||
                                                 ev->type == EVT_SYMLINK
                                             ? (ev->path2 ? ev->path2 : ev->path) : ev->path);
                if (is_inet(ev) && ev->sip && ev->dip) {
                        snprintf(buf, sz, ev->sock_family == AF_INET6 ? "[%s]:%u->[%s]:%u" : "%s:%u->%s:%u",
                                 ev->sip, ev->sport, ev->dip, ev->dport);
                        return setstr(v, buf);
                }
                if (is_net(ev) && ev->sock_family == AF_UNIX && ev->path)
                        return setstr(v, ev->path);
                return false;
        case F_FD_DIRECTORY: case F_FD_FILENAME:
                if (ev->type != EVT_OPEN || !ev->path)
                        return false;
                s = strrchr(ev->path, '/');
                if (f->id == F_FD_FILENAME)
                        return setstr(v, s ? s + 1 : ev->path);
                if (!s)
                        return false;
                snprintf(buf, sz, "%.*s", (int)(s == ev->path ? 1 : s - ev->path), ev->path);
                return setstr(v, buf);
        case F_FD_TYPECHAR: case F_FD_TYPE:
                if (ev->type == EVT_OPEN) {
                        bool dir = ev->flags & O_DIRECTORY;
                        if (f->id == F_FD_TYPECHAR)
                                return setstr(v, dir ? "d" : "f");
                        return setstr(v, dir ? "directory" : "file");
                }
                if (is_net(ev)) {
                        bool typechar = f->id == F_FD_TYPECHAR;
                        switch (ev->sock_family) {
                        case AF_INET: return setstr(v, typechar ? "4" : "ipv4");
                        case AF_INET6: return setstr(v, typechar ? "6" : "ipv6");
                        case AF_UNIX: return setstr(v, typechar ? "u" : "unix");
                        default: return false;
                        }
                }
                if (ev->type == EVT_MEMFD_CREATE)
                        return setstr(v, f->id == F_FD_TYPECHAR ? "m" : "memfd");
                return false;
        case F_FD_NUM:
                if (ev->type == EVT_OPEN || ev->type == EVT_MEMFD_CREATE ||
                    (ev->type == EVT_SOCKET))
                        return setnum(v, ev->res < 0 ? -1 : ev->res);
                if (is_net(ev) || ev->type == EVT_DUP)
                        return setnum(v, ev->fd);
                return false;
        case F_FD_SIP: case F_FD_SNET: return is_inet(ev) && setstr(v, srv_ip(ev));
        case F_FD_CIP: case F_FD_CNET: return is_inet(ev) && setstr(v, cli_ip(ev));
        case F_FD_LIP: case F_FD_LNET:
                return is_inet(ev) && setstr(v, local_is_client(ev) ? cli_ip(ev) : srv_ip(ev));
        case F_FD_RIP: case F_FD_RNET:
                return is_inet(ev) && setstr(v, local_is_client(ev) ? srv_ip(ev) : cli_ip(ev));
        case F_FD_IP: case F_FD_NET: return is_inet(ev) && setstr(v, srv_ip(ev));  /* multi: see field_multi */
        case F_FD_SPORT: return is_inet(ev) && setnum(v, ev->dport);
        case F_FD_CPORT: return is_inet(ev) && setnum(v, ev->sport);
        case F_FD_LPORT: return is_inet(ev) && setnum(v, local_is_client(ev) ? ev->sport : ev->dport);
        case F_FD_RPORT: return is_inet(ev) && setnum(v, local_is_client(ev) ? ev->dport : ev->sport);
        case F_FD_PORT: return is_inet(ev) && setnum(v, ev->dport);
        case F_FD_L4PROTO:
                if (!is_inet(ev))
                        return false;
                return setstr(v, ev->sock_type == SOCK_STREAM ? "tcp" : ev->sock_type == SOCK_DGRAM ? "udp"
                                 : ev->sock_type == SOCK_RAW ? "raw" : "unknown");
        case F_FD_CONNECTED:
                return is_inet(ev) && setnum(v, ev->type == EVT_CONNECT || ev->type == EVT_ACCEPT);
        case F_PROC_NAME:
                p = cproc(c);
                if (p)
                        return setstr(v, pname(p));
                return setstr(v, ev->comm);
        case F_PROC_COMM: return setstr(v, ev->comm);
        case F_PROC_EXE:
                p = cproc(c);
                if (p && p->exe)
                        return setstr(v, p->exe);
                return ev->type == EVT_EXECVE && ev->argc ? setstr(v, ev->argv[0]) : false;
        case F_PROC_EXEPATH:
                p = cproc(c);
                if (p && p->exepath)
                        return setstr(v, p->exepath);
                return ev->type == EVT_EXECVE && setstr(v, ev->path);
        case F_PROC_ARGS:
                p = cproc(c);
                return p && setstr(v, p->args ? p->args : "");
        case F_PROC_CMDLINE:
                if (c->have_cmdline) {
                        *v = c->cached_cmdline;
                        return v->s != NULL;
                }
                p = cproc(c);
                if (!p || !cmdline_of(p, c->cmdbuf, sizeof(c->cmdbuf), &c->cached_cmdline))
                        c->cached_cmdline.s = NULL;
                c->have_cmdline = true;
                *v = c->cached_cmdline;
                return v->s != NULL;
        case F_PROC_PNAME: return setstr(v, pname(ancestor(c, 1)));
        case F_PROC_PEXE: pp = ancestor(c, 1); return pp && setstr(v, pp->exe);
        case F_PROC_PEXEPATH: pp = ancestor(c, 1); return pp && setstr(v, pp->exepath);
        case F_PROC_PCMDLINE:
                pp = ancestor(c, 1);
                return pp && cmdline_of(pp, buf, sz, v);
        case F_PROC_ANAME: pp = ancestor(c, idx < 0 ? 1 : idx); return setstr(v, pname(pp));
        case F_PROC_AEXE: pp = ancestor(c, idx < 0 ? 1 : idx); return pp && setstr(v, pp->exe);
        case F_PROC_AEXEPATH: pp = ancestor(c, idx < 0 ? 1 : idx); return pp && setstr(v, pp->exepath);
        case F_PROC_ACMDLINE:
                pp = ancestor(c, idx < 0 ? 1 : idx);
                return pp && cmdline_of(pp, buf, sz, v);
        case F_PROC_APID: pp = ancestor(c, idx < 0 ? 1 : idx); return pp && setnum(v, pp->pid);
        case F_PROC_PID: return setnum(v, ev->pid);
        case F_PROC_PPID:
                p = cproc(c);
                return setnum(v, p ? p->ppid : ev->ppid);
        case F_PROC_VPID: p = cproc(c); return p && setnum(v, p->vpid);
        case F_PROC_TTY: p = cproc(c); return p && setnum(v, p->tty);
        case F_PROC_CWD:
                p = cproc(c);
                if (p && p->cwd)
                        return setstr(v, p->cwd);
                return setstr(v, ev->cwd);
        case F_PROC_IS_EXE_FROM_MEMFD:
                p = cproc(c);
                s = p && p->exepath ? p->exepath : ev->type == EVT_EXECVE ? ev->path : NULL;
                if (!s)
                        return false;
                return setnum(v, !strncmp(s, "memfd:", 6) || !strncmp(s, "/memfd:", 7));
        case F_PROC_DURATION: case F_PROC_PPID_DURATION:
                /* ns since the process started; unknown start time = missing */
                p = f->id == F_PROC_DURATION ? cproc(c) : ancestor(c, 1);
                if (!p || !p->start_ns || ev->ts_ns < p->start_ns)
                        return false;
                return setnum(v, (int64_t)(ev->ts_ns - p->start_ns));
        case F_THREAD_TID: return setnum(v, ev->tid);
        case F_THREAD_CAP_EFFECTIVE:
                if (!ev->cap_effective)
                        return false;
                return setstr(v, cap_names(ev->cap_effective, buf, sz));
        case F_USER_UID: return setnum(v, ev->uid);
        case F_USER_NAME: return id_name(c, false, ev->uid, v);
        case F_USER_LOGINUID:
                p = cproc(c);
                return p && setnum(v, p->loginuid == UINT32_MAX ? -1 : (int64_t)p->loginuid);
        case F_USER_LOGINNAME:
                p = cproc(c);
                return p && id_name(c, false, p->loginuid, v);
        case F_GROUP_GID: return setnum(v, ev->gid);
        case F_GROUP_NAME: return id_name(c, true, ev->gid, v);
        case F_CONT_ID:
                /* Falco shows the 12-character short id */
                s = container_id(c);
                if (strlen(s) > 12) {
                        snprintf(buf, sz, "%.12s", s);
                        return setstr(v, buf);
                }
                return setstr(v, s);
        case F_CONT_NAME:
                if (!strcmp(container_id(c), "host"))
                        return setstr(v, "host");
                return ccont(c) && setstr(v, ccont(c)->name);
        case F_CONT_TYPE:
                if (!strcmp(container_id(c), "host"))
                        return setstr(v, "host");
                return ccont(c) && setstr(v, ccont(c)->runtime);
        case F_CONT_IMAGE: return ccont(c) && setstr(v, ccont(c)->image);
        case F_CONT_REPO: return ccont(c) && image_part(ccont(c)->image, 0, buf, sz, v);
        case F_CONT_TAG: return ccont(c) && image_part(ccont(c)->image, 1, buf, sz, v);
        case F_CONT_DIGEST:
                if (!ccont(c))
                        return false;
                if (ccont(c)->image_digest && *ccont(c)->image_digest)
                        return setstr(v, ccont(c)->image_digest);
                return image_part(ccont(c)->image, 2, buf, sz, v);
        case F_DOU_VERDICT: case F_DOU_RELEASED: case F_DOU_VULNS:
                return douane_field(c, f->id, v);
        case F_NA:
                return false;
        }
        return false;
}

bool cnode_value_match(struct eval_ctx *c, const struct cnode *n, const struct fval *v);

int field_multi(struct eval_ctx *c, const struct cnode *n)
{
        int id = n->field->id;
        struct fval v;
        if (n->fidx < 0 && (id == F_PROC_ANAME || id == F_PROC_AEXE || id == F_PROC_AEXEPATH ||
                            id == F_PROC_ACMDLINE || id == F_PROC_APID)) {
                bool neg = n->op == OP_NE;
                for (int i = 1; i <= RULES_MAX_ANCESTORS; i++) {
                        if (!ancestor(c, i))
                                break;
                        if (!field_extract(c, n->field, i, NULL, &v, c->scratch, sizeof(c->scratch)))
                                continue;
                        bool m = cnode_value_match(c, n, &v);
                        if (neg ? !m : m)
                                return 1;
                }
                return 0;
        }
        if (id == F_FD_IP || id == F_FD_NET || id == F_FD_PORT) {
                if (!is_inet(c->ev) || !c->ev->sip || !c->ev->dip)
                        return 0;
                bool any = false;
                for (int end = 0; end < 2 && !any; end++) {
                        if (id == F_FD_PORT) {
                                v.n = end ? c->ev->sport : c->ev->dport;
                        } else {
                                v.s = end ? c->ev->sip : c->ev->dip;
                                v.len = strlen(v.s);
                        }
                        if (n->op == OP_NE && id != F_FD_PORT) {
                                /* "!=" on an address field: true when no end is in the net */
                                struct cnode tmp = *n;
                                tmp.op = OP_EQ;
                                any = cnode_value_match(c, &tmp, &v);
                        } else {
                                any = cnode_value_match(c, n, &v);
                        }
                }
                if (n->op == OP_NE && id != F_FD_PORT)
                        return !any;
                return any;
        }
        return -1;
}
