/*
 * decode.c - ring buffer record -> struct sensor_event (see decode.h).
 *
 * Invariants: nothing past rec+len is read; every string handed out is
 * NUL-terminated inside d->strbuf, whose size covers the largest payload
 * plus one terminator per item; sizes in the record are only ever compared
 * against what remains, never used to allocate.
 */
#include "sensor/bpf/decode.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "util/err.h"

struct strpool {
        char *buf;
        size_t cap, used;
};

/* Copy n bytes (cut at the first NUL) as a C string; NULL if no room. */
static const char *pool_add(struct strpool *p, const char *s, size_t n)
{
        size_t l = strnlen(s, n);
        if (p->used + l + 1 > p->cap)
                return NULL;
        char *d = p->buf + p->used;
        memcpy(d, s, l);
        d[l] = '\0';
        p->used += l + 1;
        return d;
}

/* argv blob "a\0b\0c" (last terminator may be missing) -> ev->argv. */
static void split_args(struct sensor_decoder *d, struct strpool *p, const char *s, size_t n)
{
        size_t i = 0;
        d->ev.argc = 0;
        while (i < n && d->ev.argc < SENSOR_MAX_ARGS) {
                size_t l = strnlen(s + i, n - i);
                const char *a = pool_add(p, s + i, l);
                if (!a)
                        break;
                d->ev.argv[d->ev.argc++] = a;
                i += l + 1;
        }
        if (i < n)
                d->truncated = 1;       /* more than SENSOR_MAX_ARGS, or no room */
}

/* Raw sockaddr -> family, text address and port. 0 if understood. */
static int sockaddr_text(const uint8_t *b, size_t n, uint16_t *family, char *addr, size_t addrsz,
                         uint16_t *port)
{
        if (n < sizeof(sa_family_t))
                return -1;
        sa_family_t f;
        memcpy(&f, b, sizeof(f));
        *family = f;
        if (f == AF_INET && n >= sizeof(struct sockaddr_in)) {
                struct sockaddr_in in;
                memcpy(&in, b, sizeof(in));
                *port = ntohs(in.sin_port);
                return inet_ntop(AF_INET, &in.sin_addr, addr, (socklen_t)addrsz) ? 0 : -1;
        }
        if (f == AF_INET6 && n >= sizeof(struct sockaddr_in6)) {
                struct sockaddr_in6 in6;
                memcpy(&in6, b, sizeof(in6));
                *port = ntohs(in6.sin6_port);
                return inet_ntop(AF_INET6, &in6.sin6_addr, addr, (socklen_t)addrsz) ? 0 : -1;
        }
        if (f == AF_UNIX) {
                const char *path = (const char *)b + offsetof(struct sockaddr_un, sun_path);
                size_t pl = n > offsetof(struct sockaddr_un, sun_path) ?
                                    n - offsetof(struct sockaddr_un, sun_path) : 0;
                *port = 0;
                if (pl > 0 && path[0] == '\0') {        /* abstract: shown as "@name" */
                        size_t l = strnlen(path + 1, pl - 1);
                        snprintf(addr, addrsz, "@%.*s", (int)l, path + 1);
                } else {
                        size_t l = strnlen(path, pl);
                        snprintf(addr, addrsz, "%.*s", (int)l, path);
                }
                return 0;
        }
        return -1;
}

struct items {
        const uint8_t *path, *path2, *args, *uaddr, *local, *remote, *dname;
        size_t path_n, path2_n, args_n, uaddr_n, local_n, remote_n, dname_n;
};

static int parse_items(const uint8_t *p, size_t n, struct items *it)
{
        size_t off = 0;
        while (off < n) {
                struct sw_tlv t;
                if (n - off < sizeof(t))
                        return -1;
                memcpy(&t, p + off, sizeof(t));
                off += sizeof(t);
                if (t.len > n - off)
                        return -1;
                const uint8_t *v = p + off;
                switch (t.kind) {
                case SW_PATH: it->path = v; it->path_n = t.len; break;
                case SW_PATH2: it->path2 = v; it->path2_n = t.len; break;
                case SW_ARGS: it->args = v; it->args_n = t.len; break;
                case SW_UADDR: it->uaddr = v; it->uaddr_n = t.len; break;
                case SW_SOCK_LOCAL: it->local = v; it->local_n = t.len; break;
                case SW_SOCK_REMOTE: it->remote = v; it->remote_n = t.len; break;
                case SW_EXE_DNAME: it->dname = v; it->dname_n = t.len; break;
                default: break;         /* newer producer: skip what we don't know */
                }
                off += t.len;
        }
        return 0;
}

static uint32_t arg32(const struct sw_hdr *h, uint8_t idx)
{
        return idx < 6 ? (uint32_t)h->args[idx] : 0;
}

/* New id for set*id: setresuid(r, e, s) takes e, else r; -1 means unchanged. */
static uint32_t new_id(const struct sw_hdr *h, const char *name)
{
        uint32_t r = (uint32_t)h->args[0], e = (uint32_t)h->args[1];
        if (strncmp(name, "setre", 5) == 0)
                return e != UINT32_MAX ? e : r;
        return r;
}

static void decode_sock(struct sensor_decoder *d, const struct items *it)
{
        struct sensor_event *ev = &d->ev;
        uint16_t fam = 0, port = 0;
        const uint8_t *src = it->local, *dst = it->remote;
        size_t srcn = it->local_n, dstn = it->remote_n;

        if (ev->type == EVT_ACCEPT) {           /* the peer is the client */
                src = it->remote; srcn = it->remote_n;
                dst = it->local; dstn = it->local_n;
        } else if (ev->type == EVT_BIND || ev->type == EVT_LISTEN) {
                dst = it->uaddr ? it->uaddr : it->local;
                dstn = it->uaddr ? it->uaddr_n : it->local_n;
                src = NULL;
        } else if (it->uaddr) {                 /* connect/sendto: the address asked for */
                dst = it->uaddr;
                dstn = it->uaddr_n;
        }
        if (src && sockaddr_text(src, srcn, &fam, d->sip, sizeof(d->sip), &port) == 0) {
                ev->sip = d->sip;
                ev->sport = port;
                ev->sock_family = fam;
        }
        if (dst && sockaddr_text(dst, dstn, &fam, d->dip, sizeof(d->dip), &port) == 0) {
                ev->dip = d->dip;
                ev->dport = port;
                ev->sock_family = fam;
        }
}

static void decode_syscall_fields(struct sensor_decoder *d, const struct sw_hdr *h,
                                  const struct sensor_syscall *sc)
{
        struct sensor_event *ev = &d->ev;
        if (sc->flags != SW_ARG_NONE)
                ev->flags = arg32(h, sc->flags);
        if (sc->mode != SW_ARG_NONE)
                ev->mode = arg32(h, sc->mode);
        if (sc->fd != SW_ARG_NONE)
                ev->fd = arg32(h, sc->fd);
        if (sc->special == SW_SP_OPENAT2) {
                ev->flags = (uint32_t)h->aux[0];
                ev->mode = (uint32_t)h->aux[1];
        }
        switch (ev->type) {
        case EVT_OPEN:
                if (strcmp(sc->name, "creat") == 0)
                        ev->flags = 01101;      /* O_CREAT|O_WRONLY|O_TRUNC, as creat(2) says */
                break;
        case EVT_SOCKET:
                ev->sock_family = (uint16_t)h->args[0];
                ev->sock_type = (uint16_t)(h->args[1] & 0xf);
                ev->flags = (uint32_t)h->args[1] & ~0xfu;
                break;
        case EVT_DUP:
                ev->fd = arg32(h, 0);
                break;
        case EVT_PTRACE:
                ev->ptrace_request = arg32(h, 0);
                ev->fd = arg32(h, 1);           /* the traced pid */
                break;
        case EVT_SETUID:
                ev->new_uid = new_id(h, sc->name);
                break;
        case EVT_SETGID:
                ev->new_gid = new_id(h, sc->name);
                break;
        case EVT_CAPSET:
                ev->cap_effective = h->aux[0];
                break;
        default:
                break;
        }
}

int sensor_decode(struct sensor_decoder *d, const void *rec, size_t len, int64_t boot_to_real_ns)
{
        struct sw_hdr h;
        struct items it = { 0 };

        if (!rec || len < sizeof(h))
                return dou_err_set(DOU_EINVAL, "record of %zu bytes is shorter than its header", len);
        memcpy(&h, rec, sizeof(h));
        if (h.magic != SW_MAGIC || h.version != SW_VERSION)
                return dou_err_set(DOU_EINVAL, "record magic/version %#x/%u", h.magic, h.version);
        if (h.type >= EVT_TYPE_COUNT)
                return dou_err_set(DOU_EINVAL, "record type %u", h.type);
        if (h.data_len > len - sizeof(h) || h.data_len > SW_DATA_MAX)
                return dou_err_set(DOU_EINVAL, "record data %u bytes, %zu available", h.data_len,
                                   len - sizeof(h));
        if (parse_items((const uint8_t *)rec + sizeof(h), h.data_len, &it) < 0)
                return dou_err_set(DOU_EINVAL, "record item overruns its record");

        memset(&d->ev, 0, sizeof(d->ev));
        memset(&d->x, 0, sizeof(d->x));
        d->truncated = (h.flags_rec & SW_F_TRUNCATED) != 0;
        struct strpool pool = { d->strbuf, sizeof(d->strbuf), 0 };
        struct sensor_event *ev = &d->ev;

        ev->type = (enum sensor_evt_type)h.type;
        ev->ts_ns = h.ts_boot_ns + (uint64_t)boot_to_real_ns;
        ev->pid = h.pid;
        ev->tid = h.tid;
        ev->ppid = h.ppid;
        ev->uid = h.uid;
        ev->gid = h.gid;
        ev->cgroup_id = h.cgroup_id;
        ev->mntns = h.mntns;
        ev->res = h.res;
        ev->container_id = "";
        size_t cl = strnlen(h.comm, SW_COMM_LEN);
        memcpy(d->comm, h.comm, cl);
        d->comm[cl] = '\0';
        ev->comm = d->comm;
        if (it.path)
                ev->path = pool_add(&pool, (const char *)it.path, it.path_n);
        if (it.path2)
                ev->path2 = pool_add(&pool, (const char *)it.path2, it.path2_n);
        if (it.args)
                split_args(d, &pool, (const char *)it.args, it.args_n);

        const struct sensor_syscall *sc = h.syscall_nr != 0xffff ? sensor_syscall_get(h.syscall_nr) : NULL;
        switch (ev->type) {
        case EVT_EXECVE:
                ev->syscall = sc ? sc->name : "execve";
                break;
        case EVT_CLONE:
                ev->syscall = "clone";
                d->x.child_pid = (uint32_t)h.args[0];
                ev->flags = (uint32_t)h.args[1];
                break;
        case EVT_EXIT:
                ev->syscall = "procexit";
                break;
        default:
                if (!sc || sc->type != ev->type)
                        return dou_err_set(DOU_EINVAL, "record syscall %u does not match type %u",
                                           h.syscall_nr, h.type);
                ev->syscall = sc->name;
                decode_syscall_fields(d, &h, sc);
                break;
        }
        if (ev->type == EVT_CONNECT || ev->type == EVT_ACCEPT || ev->type == EVT_BIND ||
            ev->type == EVT_LISTEN || ev->type == EVT_SENDTO || ev->type == EVT_SENDMSG ||
            ev->type == EVT_DUP) {
                if (h.sock_family)
                        ev->sock_family = h.sock_family;
                ev->sock_type = h.sock_type;
                decode_sock(d, &it);
        }
        if (h.flags_rec & SW_F_PROC_INFO) {
                d->x.has_proc_info = 1;
                d->x.start_ns = h.start_boot_ns ? h.start_boot_ns + (uint64_t)boot_to_real_ns : 0;
                d->x.loginuid = h.loginuid;
                d->x.tty = h.tty;
                d->x.vpid = h.vpid;
        }
        if ((h.flags_rec & SW_F_MEMFD) && it.dname) {
                size_t l = strnlen((const char *)it.dname, it.dname_n);
                if (l > SW_MEMFD_NAME_MAX)
                        l = SW_MEMFD_NAME_MAX;
                /* the dentry is already "memfd:<name>" */
                snprintf(d->memfd, sizeof(d->memfd), "%.*s", (int)l, (const char *)it.dname);
                d->x.exe_memfd = d->memfd;
        }
        if (!ev->path && it.path)
                d->truncated = 1;               /* pool full: cannot happen by sizing, but say so */
        return 0;
}
