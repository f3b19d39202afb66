/*
 * tables.c - process and container tables (implements src/sensor/proc.h).
 *
 * Processes live in a chained hash by pid plus an LRU list; inserting the
 * (max_procs+1)-th evicts the least recently touched, so memory is bounded
 * whatever the pid churn. Every string an entry holds is its own bounded
 * heap copy, freed with the entry. An EXIT does not free at once: the pid is
 * queued and dropped at the start of the next update, so the exit event's
 * own rules still see the process.
 *
 * Containers live in a small chained hash by id, FIFO-evicted at
 * max_containers. A direct-mapped cache maps cgroup v2 ids to container ids,
 * so short-lived processes resolve even when /proc no longer has them.
 *
 * /proc and runtime state files are read best effort: a process that is
 * gone, or a file that is missing or malformed, leaves fields empty.
 */
#include "sensor/bpf/tables.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"

#define PENDING_EXITS 64
#define CGCACHE_SLOTS 1024
#define PROC_FILE_MAX 65536
#define META_FILE_MAX (4u << 20)        /* docker config.v2.json */
#define PODMAN_FILE_MAX (32u << 20)     /* containers.json lists every container */
#define PARENT_READ_DEPTH 8
#define STR_MAX 4096

struct proc_ent {
        struct sensor_proc p;           /* strings below are owned */
        struct proc_ent *hnext;
        struct proc_ent *lprev, *lnext; /* LRU: head = most recent */
};

struct cont_ent {
        struct sensor_container c;      /* strings owned */
        struct cont_ent *hnext;
        struct cont_ent *fnext;         /* FIFO of insertion */
};

struct cgcache_slot {
        uint64_t cgid;
        char id[SENSOR_CONTAINER_ID_MAX + 1];
};

struct sensor_tables {
        struct sensor_tables_opts o;
        char proc_root[256];
        char docker_root[256];
        char podman_root[256];
        char cgroup2_mnt[256];
        struct proc_ent **pbuckets;
        size_t pmask, nprocs;
        struct proc_ent *lru_head, *lru_tail;
        struct cont_ent **cbuckets;
        size_t cmask, nconts;
        struct cont_ent *fifo_head, *fifo_tail;
        struct cgcache_slot *cgcache;
        uint32_t pending[PENDING_EXITS];
        size_t npending;
        uint64_t evictions, pid_reuses, proc_reads;
        size_t bytes;
        int64_t boot_to_real_ns;        /* CLOCK_REALTIME - CLOCK_BOOTTIME */
        long clk_tck;
};

static const char *const evt_names[EVT_TYPE_COUNT] = {
        [EVT_EXECVE] = "execve", [EVT_CLONE] = "clone", [EVT_EXIT] = "exit",
        [EVT_OPEN] = "open", [EVT_CONNECT] = "connect", [EVT_ACCEPT] = "accept",
        [EVT_BIND] = "bind", [EVT_LISTEN] = "listen", [EVT_SOCKET] = "socket",
        [EVT_SENDTO] = "sendto", [EVT_SENDMSG] = "sendmsg", [EVT_DUP] = "dup",
        [EVT_LINK] = "link", [EVT_SYMLINK] = "symlink", [EVT_UNLINK] = "unlink",
        [EVT_RENAME] = "rename", [EVT_PTRACE] = "ptrace", [EVT_SETUID] = "setuid",
        [EVT_SETGID] = "setgid", [EVT_CAPSET] = "capset", [EVT_MOUNT] = "mount",
        [EVT_INIT_MODULE] = "init_module", [EVT_MEMFD_CREATE] = "memfd_create",
        [EVT_CHMOD] = "chmod",
};

const char *sensor_evt_type_name(int type)
{
        if (type < 0 || type >= EVT_TYPE_COUNT || !evt_names[type])
                return "unknown";
        return evt_names[type];
}

int sensor_evt_type_from_name(const char *name)
{
        for (int i = 0; name && i < EVT_TYPE_COUNT; i++)
                if (evt_names[i] && strcmp(evt_names[i], name) == 0)
                        return i;
        return -1;
}

/* ---- small helpers ---- */

static char *bstrdup(const char *s, size_t max, size_t *bytes)
{
        if (!s)
                return NULL;
        size_t n = strnlen(s, max);
        char *d = malloc(n + 1);
        if (!d)
                return NULL;
        memcpy(d, s, n);
        d[n] = '\0';
        *bytes += n + 1;
        return d;
}

static void bfree(const char *s, size_t *bytes)
{
        if (!s)
                return;
        *bytes -= strlen(s) + 1;
        free((void *)s);
}

/* Replace an owned string field; on ENOMEM the old value stays. */
static int set_str(const char **field, const char *v, size_t max, size_t *bytes)
{
        if (!v)
                v = "";
        if (*field && strncmp(*field, v, max) == 0 && strlen(*field) == strnlen(v, max))
                return 0;
        char *d = bstrdup(v, max, bytes);
        if (!d)
                return DOU_ENOMEM;
        bfree(*field, bytes);
        *field = d;
        return 0;
}

static size_t pow2_at_least(size_t n)
{
        size_t p = 64;
        while (p < n && p < ((size_t)1 << 30))
                p <<= 1;
        return p;
}

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ull;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        return h;
}

static size_t hash_pid(uint32_t pid, size_t mask)
{
        return (size_t)((pid * 2654435761u) & mask);
}

/* Read a small file completely (procfs reports size 0, so read to EOF). */
static ssize_t read_file(const char *path, char *buf, size_t cap)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        size_t n = 0;
        while (n + 1 < cap) {
                ssize_t r = read(fd, buf + n, cap - 1 - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                n += (size_t)r;
        }
        close(fd);
        buf[n] = '\0';
        return (ssize_t)n;
}

static int pid_path(const struct sensor_tables *t, char *out, size_t outsz, uint32_t pid,
                    const char *leaf)
{
        int n = snprintf(out, outsz, "%s/%u/%s", t->proc_root, pid, leaf);
        return n > 0 && (size_t)n < outsz ? 0 : -1;
}

static void find_cgroup2_mount(struct sensor_tables *t)
{
        FILE *f = fopen("/proc/self/mounts", "re");
        char line[1024];

        t->cgroup2_mnt[0] = '\0';
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                char dev[256], mnt[256], type[64];
                if (sscanf(line, "%255s %255s %63s", dev, mnt, type) == 3 &&
                    strcmp(type, "cgroup2") == 0) {
                        snprintf(t->cgroup2_mnt, sizeof(t->cgroup2_mnt), "%s", mnt);
                        break;
                }
        }
        fclose(f);
}

/* ---- creation ---- */

int sensor_tables_new_opts(const struct sensor_tables_opts *o, struct sensor_tables **ret)
{
        struct sensor_tables *t = calloc(1, sizeof(*t));
        if (!t)
                return dou_err_set(DOU_ENOMEM, "sensor tables");
        if (o)
                t->o = *o;
        if (!t->o.max_procs)
                t->o.max_procs = SENSOR_TABLES_DEFAULT_PROCS;
        if (!t->o.max_containers)
                t->o.max_containers = SENSOR_TABLES_DEFAULT_CONTAINERS;
        snprintf(t->proc_root, sizeof(t->proc_root), "%s", t->o.proc_root ? t->o.proc_root : "/proc");
        snprintf(t->docker_root, sizeof(t->docker_root), "%s",
                 t->o.docker_root ? t->o.docker_root : "/var/lib/docker");
        snprintf(t->podman_root, sizeof(t->podman_root), "%s",
                 t->o.podman_root ? t->o.podman_root : "/var/lib/containers/storage");
        t->o.proc_root = t->o.docker_root = t->o.podman_root = NULL;    /* not kept: caller's */
        size_t pb = pow2_at_least(t->o.max_procs), cb = pow2_at_least(t->o.max_containers);
        t->pbuckets = calloc(pb, sizeof(*t->pbuckets));
        t->cbuckets = calloc(cb, sizeof(*t->cbuckets));
        t->cgcache = calloc(CGCACHE_SLOTS, sizeof(*t->cgcache));
        if (!t->pbuckets || !t->cbuckets || !t->cgcache) {
                sensor_tables_free(t);
                return dou_err_set(DOU_ENOMEM, "sensor tables");
        }
        t->pmask = pb - 1;
        t->cmask = cb - 1;
        t->clk_tck = sysconf(_SC_CLK_TCK);
        if (t->clk_tck <= 0)
                t->clk_tck = 100;
        struct timespec rt, bt;
        clock_gettime(CLOCK_REALTIME, &rt);
        clock_gettime(CLOCK_BOOTTIME, &bt);
        t->boot_to_real_ns = ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000 + (rt.tv_nsec - bt.tv_nsec);
        if (!t->o.no_procfs)
                find_cgroup2_mount(t);
        *ret = t;
        return 0;
}

struct sensor_tables *sensor_tables_new(void)
{
        struct sensor_tables *t = NULL;
        return sensor_tables_new_opts(NULL, &t) < 0 ? NULL : t;
}

static void proc_strings_free(struct sensor_tables *t, struct sensor_proc *p)
{
        bfree(p->comm, &t->bytes);
        bfree(p->exe, &t->bytes);
        bfree(p->exepath, &t->bytes);
        bfree(p->args, &t->bytes);
        bfree(p->cwd, &t->bytes);
        bfree(p->container_id, &t->bytes);
}

static void cont_strings_free(struct sensor_tables *t, struct sensor_container *c)
{
        bfree(c->id, &t->bytes);
        bfree(c->name, &t->bytes);
        bfree(c->image, &t->bytes);
        bfree(c->image_digest, &t->bytes);
        bfree(c->runtime, &t->bytes);
}

struct sensor_tables *sensor_tables_free(struct sensor_tables *t)
{
        if (!t)
                return NULL;
        for (struct proc_ent *e = t->lru_head, *n; e; e = n) {
                n = e->lnext;
                proc_strings_free(t, &e->p);
                free(e);
        }
        for (struct cont_ent *e = t->fifo_head, *n; e; e = n) {
                n = e->fnext;
                cont_strings_free(t, &e->c);
                free(e);
        }
        free(t->pbuckets);
        free(t->cbuckets);
        free(t->cgcache);
        free(t);
        return NULL;
}

/* ---- process hash + LRU ---- */

static struct proc_ent *proc_find(const struct sensor_tables *t, uint32_t pid)
{
        for (struct proc_ent *e = t->pbuckets[hash_pid(pid, t->pmask)]; e; e = e->hnext)
                if (e->p.pid == pid)
                        return e;
        return NULL;
}

static void lru_unlink(struct sensor_tables *t, struct proc_ent *e)
{
        if (e->lprev)
                e->lprev->lnext = e->lnext;
        else
                t->lru_head = e->lnext;
        if (e->lnext)
                e->lnext->lprev = e->lprev;
        else
                t->lru_tail = e->lprev;
        e->lprev = e->lnext = NULL;
}

static void lru_push(struct sensor_tables *t, struct proc_ent *e)
{
        e->lnext = t->lru_head;
        e->lprev = NULL;
        if (t->lru_head)
                t->lru_head->lprev = e;
        t->lru_head = e;
        if (!t->lru_tail)
                t->lru_tail = e;
}

static void proc_touch(struct sensor_tables *t, struct proc_ent *e)
{
        if (t->lru_head == e)
                return;
        lru_unlink(t, e);
        lru_push(t, e);
}

static void proc_remove(struct sensor_tables *t, struct proc_ent *e)
{
        struct proc_ent **pp = &t->pbuckets[hash_pid(e->p.pid, t->pmask)];
        while (*pp && *pp != e)
                pp = &(*pp)->hnext;
        if (*pp)
                *pp = e->hnext;
        lru_unlink(t, e);
        proc_strings_free(t, &e->p);
        t->bytes -= sizeof(*e);
        free(e);
        t->nprocs--;
}

/* A fresh, empty entry for pid (any old one replaced); NULL on ENOMEM. */
static struct proc_ent *proc_new(struct sensor_tables *t, uint32_t pid)
{
        struct proc_ent *old = proc_find(t, pid);
        if (old)
                proc_remove(t, old);
        while (t->nprocs >= t->o.max_procs && t->lru_tail) {
                proc_remove(t, t->lru_tail);
                t->evictions++;
        }
        struct proc_ent *e = calloc(1, sizeof(*e));
        if (!e)
                return NULL;
        e->p.pid = e->p.tid = e->p.vpid = pid;
        e->p.loginuid = UINT32_MAX;
        size_t b = hash_pid(pid, t->pmask);
        e->hnext = t->pbuckets[b];
        t->pbuckets[b] = e;
        lru_push(t, e);
        t->nprocs++;
        t->bytes += sizeof(*e);
        return e;
}

const struct sensor_proc *sensor_proc_get(const struct sensor_tables *t, uint32_t pid)
{
        if (!t)
                return NULL;
        struct proc_ent *e = proc_find(t, pid);
        return e ? &e->p : NULL;
}

/* ---- containers ---- */

static struct cont_ent *cont_find(const struct sensor_tables *t, const char *id)
{
        for (struct cont_ent *e = t->cbuckets[hash_str(id) & t->cmask]; e; e = e->hnext)
                if (strcmp(e->c.id, id) == 0)
                        return e;
        return NULL;
}

const struct sensor_container *sensor_container_get(const struct sensor_tables *t, const char *id)
{
        if (!t || !id || !*id)
                return NULL;
        struct cont_ent *e = cont_find(t, id);
        return e ? &e->c : NULL;
}

static void cont_evict_oldest(struct sensor_tables *t)
{
        struct cont_ent *e = t->fifo_head;
        if (!e)
                return;
        t->fifo_head = e->fnext;
        if (!t->fifo_head)
                t->fifo_tail = NULL;
        struct cont_ent **pp = &t->cbuckets[hash_str(e->c.id) & t->cmask];
        while (*pp && *pp != e)
                pp = &(*pp)->hnext;
        if (*pp)
                *pp = e->hnext;
        cont_strings_free(t, &e->c);
        t->bytes -= sizeof(*e);
        free(e);
        t->nconts--;
}

static int cont_fill(struct sensor_tables *t, struct sensor_container *dst,
                     const struct sensor_container *src)
{
        size_t *b = &t->bytes;
        if (set_str(&dst->name, src->name, STR_MAX, b) < 0 ||
            set_str(&dst->image, src->image, STR_MAX, b) < 0 ||
            set_str(&dst->image_digest, src->image_digest, 256, b) < 0 ||
            set_str(&dst->runtime, src->runtime, 64, b) < 0)
                return dou_err_set(DOU_ENOMEM, "container entry");
        return 0;
}

int sensor_tables_put_container(struct sensor_tables *t, const struct sensor_container *c)
{
        if (!c || !c->id || !*c->id || strlen(c->id) > SENSOR_CONTAINER_ID_MAX)
                return dou_err_set(DOU_EINVAL, "container without a valid id");
        struct cont_ent *e = cont_find(t, c->id);
        if (e)
                return cont_fill(t, &e->c, c);
        while (t->nconts >= t->o.max_containers)
                cont_evict_oldest(t);
        e = calloc(1, sizeof(*e));
        if (!e || !(e->c.id = bstrdup(c->id, SENSOR_CONTAINER_ID_MAX, &t->bytes))) {
                free(e);
                return dou_err_set(DOU_ENOMEM, "container entry");
        }
        t->bytes += sizeof(*e);
        size_t h = hash_str(e->c.id) & t->cmask;
        e->hnext = t->cbuckets[h];
        t->cbuckets[h] = e;
        if (t->fifo_tail)
                t->fifo_tail->fnext = e;
        else
                t->fifo_head = e;
        t->fifo_tail = e;
        t->nconts++;
        return cont_fill(t, &e->c, c);
}

/* Runtime metadata, best effort: docker's config.v2.json. */
static void docker_metadata(struct sensor_tables *t, struct sensor_container *c, const char *id)
{
        char path[512];
        if (snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", t->docker_root, id) >=
            (int)sizeof(path))
                return;
        struct stat st;
        if (stat(path, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > META_FILE_MAX)
                return;
        json_error_t jerr;
        json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return;
        const char *name = json_string_value(json_object_get(root, "Name"));
        const char *image = json_string_value(json_object_get(json_object_get(root, "Config"), "Image"));
        const char *digest = json_string_value(json_object_get(root, "Image"));
        struct sensor_container m = {
                .id = id, .name = name && *name == '/' ? name + 1 : name,
                .image = image, .image_digest = digest, .runtime = "docker",
        };
        cont_fill(t, c, &m);
        json_decref(root);
}

/* podman / CRI-O share containers/storage: containers.json lists id, names, image. */
static void storage_metadata(struct sensor_tables *t, struct sensor_container *c, const char *id)
{
        char path[512];
        if (snprintf(path, sizeof(path), "%s/overlay-containers/containers.json", t->podman_root) >=
            (int)sizeof(path))
                return;
        struct stat st;
        if (stat(path, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > PODMAN_FILE_MAX)
                return;
        json_error_t jerr;
        json_t *root = json_load_file(path, 0, &jerr);
        size_t i;
        json_t *v;
        json_array_foreach(root, i, v) {
                const char *cid = json_string_value(json_object_get(v, "id"));
                if (!cid || strcmp(cid, id) != 0)
                        continue;
                struct sensor_container m = {
                        .id = id,
                        .name = json_string_value(json_array_get(json_object_get(v, "names"), 0)),
                        .image_digest = json_string_value(json_object_get(v, "image")),
                        .runtime = c->runtime,
                };
                const char *md = json_string_value(json_object_get(v, "metadata"));
                json_t *meta = md ? json_loads(md, 0, &jerr) : NULL;
                m.image = json_string_value(json_object_get(meta, "image-name"));
                cont_fill(t, c, &m);
                json_decref(meta);
                break;
        }
        json_decref(root);
}

/* Make sure a container entry exists for id (metadata looked up once). */
static void cont_ensure(struct sensor_tables *t, const char *id, const char *runtime)
{
        if (!id || !*id || cont_find(t, id))
                return;
        struct sensor_container c = { .id = id, .runtime = runtime ? runtime : "" };
        if (sensor_tables_put_container(t, &c) < 0)
                return;
        struct cont_ent *e = cont_find(t, id);
        if (!e || t->o.no_runtime_metadata)
                return;
        if (strcmp(e->c.runtime, "docker") == 0 || !*e->c.runtime)
                docker_metadata(t, &e->c, id);
        if (strcmp(e->c.runtime, "podman") == 0 || strcmp(e->c.runtime, "cri-o") == 0)
                storage_metadata(t, &e->c, id);
}

/* ---- cgroup id -> container id cache ---- */

static struct cgcache_slot *cg_slot(struct sensor_tables *t, uint64_t cgid)
{
        return &t->cgcache[(cgid * 11400714819323198485ull) >> 54 & (CGCACHE_SLOTS - 1)];
}

static void cg_put(struct sensor_tables *t, uint64_t cgid, const char *id)
{
        if (!cgid)
                return;
        struct cgcache_slot *s = cg_slot(t, cgid);
        s->cgid = cgid;
        snprintf(s->id, sizeof(s->id), "%s", id);
}

static const char *cg_get(struct sensor_tables *t, uint64_t cgid)
{
        struct cgcache_slot *s = cg_slot(t, cgid);
        return cgid && s->cgid == cgid ? s->id : NULL;
}

/* ---- /proc reading ---- */

/* Fields of /proc/PID/stat after the comm (which may hold spaces and ')'). */
static int parse_stat(const char *buf, char *comm, size_t commsz, uint32_t *ppid, int *tty,
                      uint64_t *start_ticks)
{
        const char *l = strchr(buf, '('), *r = strrchr(buf, ')');
        if (!l || !r || r < l)
                return -1;
        size_t n = (size_t)(r - l - 1);
        if (n >= commsz)
                n = commsz - 1;
        memcpy(comm, l + 1, n);
        comm[n] = '\0';
        /* after ") ": state(3) ppid(4) pgrp(5) session(6) tty_nr(7) ... starttime(22) */
        const char *p = r + 1;
        unsigned long long v[20];
        int field = 0;
        while (*p && field < 20) {
                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                if (field == 0) {
                        p++;            /* state char */
                        v[field++] = 0;
                        continue;
                }
                char *end;
                errno = 0;
                long long x = strtoll(p, &end, 10);
                if (end == p)
                        return -1;
                v[field++] = (unsigned long long)x;
                p = end;
        }
        if (field < 20)
                return -1;
        *ppid = (uint32_t)v[1];
        *tty = (int)v[4];
        *start_ticks = v[19];
        return 0;
}

static uint32_t status_field(const char *buf, const char *key, int last)
{
        const char *p = strstr(buf, key);
        if (!p)
                return 0;
        p += strlen(key);
        unsigned long v = 0, x;
        char *end;
        for (;;) {
                while (*p == ' ' || *p == '\t')
                        p++;
                x = strtoul(p, &end, 10);
                if (end == p)
                        break;
                v = x;
                p = end;
                if (!last)
                        break;
        }
        return (uint32_t)v;
}

/* cmdline "a\0b\0c\0" -> exe "a", args "b c" (bounded). */
static void split_cmdline(const char *buf, size_t n, char *exe, size_t exesz, char *args,
                          size_t argsz)
{
        size_t e = strnlen(buf, n);
        snprintf(exe, exesz, "%.*s", (int)(e < exesz ? e : exesz - 1), buf);
        size_t o = 0;
        for (size_t i = e + 1; i < n && o + 1 < argsz; i++) {
                char c = buf[i];
                if (c == '\0') {
                        if (i + 1 >= n)
                                break;
                        c = ' ';
                }
                args[o++] = c;
        }
        args[o] = '\0';
}

static uint64_t cgroup2_id(struct sensor_tables *t, const char *cgbuf)
{
        const char *p = strstr(cgbuf, "0::");
        if (!t->cgroup2_mnt[0] || !p || (p != cgbuf && p[-1] != '\n'))
                return 0;
        p += 3;
        size_t n = strcspn(p, "\n");
        char path[768];
        if (snprintf(path, sizeof(path), "%s%.*s", t->cgroup2_mnt, (int)n, p) >= (int)sizeof(path))
                return 0;
        struct stat st;
        return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static void proc_set_container(struct sensor_tables *t, struct proc_ent *e, const char *id,
                               const char *rt)
{
        set_str(&e->p.container_id, id, SENSOR_CONTAINER_ID_MAX, &t->bytes);
        if (*id)
                cont_ensure(t, id, rt);
}

/* Fill e from /proc/PID; 0 if the process was there. */
static int proc_read(struct sensor_tables *t, struct proc_ent *e)
{
        char path[320], buf[4096], comm[64];
        uint32_t pid = e->p.pid, ppid;
        int tty;
        uint64_t ticks;

        if (t->o.no_procfs)
                return -1;
        t->proc_reads++;
        if (pid_path(t, path, sizeof(path), pid, "stat") < 0 || read_file(path, buf, sizeof(buf)) <= 0 ||
            parse_stat(buf, comm, sizeof(comm), &ppid, &tty, &ticks) < 0)
                return -1;
        e->p.ppid = ppid;
        e->p.tty = tty;
        e->p.start_ns = (uint64_t)((int64_t)(ticks * (1000000000ull / (uint64_t)t->clk_tck)) +
                                   t->boot_to_real_ns);
        set_str(&e->p.comm, comm, 16, &t->bytes);
        if (pid_path(t, path, sizeof(path), pid, "status") == 0 && read_file(path, buf, sizeof(buf)) > 0) {
                e->p.uid = status_field(buf, "\nUid:", 0);
                e->p.gid = status_field(buf, "\nGid:", 0);
                uint32_t v = status_field(buf, "\nNSpid:", 1);
                e->p.vpid = v ? (int)v : (int)pid;
        }
        if (pid_path(t, path, sizeof(path), pid, "loginuid") == 0 && read_file(path, buf, 32) > 0)
                e->p.loginuid = (uint32_t)strtoul(buf, NULL, 10);

        _Static_assert(PROC_FILE_MAX > SENSOR_ARGS_MAX, "cmdline buffer");
        char *big = malloc(PROC_FILE_MAX);
        if (big) {
                ssize_t n;
                if (pid_path(t, path, sizeof(path), pid, "cmdline") == 0 &&
                    (n = read_file(path, big, PROC_FILE_MAX)) > 0) {
                        char exe[STR_MAX], args[SENSOR_ARGS_MAX];
                        split_cmdline(big, (size_t)n, exe, sizeof(exe), args, sizeof(args));
                        set_str(&e->p.exe, exe, STR_MAX, &t->bytes);
                        set_str(&e->p.args, args, SENSOR_ARGS_MAX, &t->bytes);
                }
                if (pid_path(t, path, sizeof(path), pid, "exe") == 0 &&
                    (n = readlink(path, big, STR_MAX - 1)) > 0) {
                        big[n] = '\0';
                        set_str(&e->p.exepath, big, STR_MAX, &t->bytes);
                }
                if (pid_path(t, path, sizeof(path), pid, "cwd") == 0 &&
                    (n = readlink(path, big, STR_MAX - 1)) > 0) {
                        big[n] = '\0';
                        set_str(&e->p.cwd, big, STR_MAX, &t->bytes);
                }
                if (pid_path(t, path, sizeof(path), pid, "ns/mnt") == 0 &&
                    (n = readlink(path, big, 63)) > 0) {
                        big[n] = '\0';
                        const char *br = strchr(big, '[');
                        if (br)
                                e->p.mntns = strtoull(br + 1, NULL, 10);
                }
                if (pid_path(t, path, sizeof(path), pid, "cgroup") == 0 &&
                    (n = read_file(path, big, PROC_FILE_MAX)) > 0) {
                        char id[SENSOR_CONTAINER_ID_MAX + 1];
                        const char *rt = "";
                        if (sensor_cgroup_file_container_id(big, (size_t)n, id, sizeof(id), &rt) < 0)
                                id[0] = '\0';
                        uint64_t cg = cgroup2_id(t, big);
                        if (cg) {
                                e->p.cgroup_id = cg;
                                cg_put(t, cg, id);
                        }
                        proc_set_container(t, e, id, rt);
                }
                free(big);
        }
        return 0;
}

static void proc_fill_defaults(struct sensor_tables *t, struct proc_ent *e)
{
        const char **f[] = { &e->p.comm, &e->p.exe, &e->p.exepath, &e->p.args, &e->p.cwd,
                             &e->p.container_id };
        for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
                if (!*f[i])
                        set_str(f[i], "", 1, &t->bytes);
}

int sensor_tables_seed_proc(struct sensor_tables *t)
{
        DIR *d = opendir(t->proc_root);
        if (!d)
                return dou_err_errno(DOU_EIO, "opendir %s", t->proc_root);
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                char *end;
                unsigned long pid = strtoul(de->d_name, &end, 10);
                if (*end || pid == 0 || pid > UINT32_MAX)
                        continue;
                struct proc_ent *e = proc_new(t, (uint32_t)pid);
                if (!e) {
                        closedir(d);
                        return dou_err_set(DOU_ENOMEM, "seeding process table");
                }
                if (proc_read(t, e) < 0) {
                        proc_remove(t, e);
                        continue;
                }
                proc_fill_defaults(t, e);
                n++;
        }
        closedir(d);
        return n;
}

/* ---- events ---- */

static void copy_from_parent(struct sensor_tables *t, struct proc_ent *e, const struct proc_ent *par)
{
        size_t *b = &t->bytes;
        set_str(&e->p.comm, par->p.comm, 16, b);
        set_str(&e->p.exe, par->p.exe, STR_MAX, b);
        set_str(&e->p.exepath, par->p.exepath, STR_MAX, b);
        set_str(&e->p.args, par->p.args, SENSOR_ARGS_MAX, b);
        set_str(&e->p.cwd, par->p.cwd, STR_MAX, b);
        set_str(&e->p.container_id, par->p.container_id, SENSOR_CONTAINER_ID_MAX, b);
        e->p.uid = par->p.uid;
        e->p.gid = par->p.gid;
        e->p.loginuid = par->p.loginuid;
        e->p.cgroup_id = par->p.cgroup_id;
        e->p.mntns = par->p.mntns;
        e->p.tty = par->p.tty;
}

static void apply_event_ids(struct sensor_tables *t, struct proc_ent *e, const struct sensor_event *ev)
{
        e->p.uid = ev->uid;
        e->p.gid = ev->gid;
        if (ev->ppid)
                e->p.ppid = ev->ppid;
        if (ev->cgroup_id)
                e->p.cgroup_id = ev->cgroup_id;
        if (ev->mntns)
                e->p.mntns = ev->mntns;
        if (ev->comm && *ev->comm)
                set_str(&e->p.comm, ev->comm, 16, &t->bytes);
        if (ev->container_id && *ev->container_id)
                proc_set_container(t, e, ev->container_id, "");
}

static void apply_extra(struct proc_ent *e, const struct sensor_event_extra *x)
{
        if (!x || !x->has_proc_info)
                return;
        if (x->start_ns)
                e->p.start_ns = x->start_ns;
        e->p.loginuid = x->loginuid;
        e->p.tty = x->tty;
        if (x->vpid)
                e->p.vpid = (int)x->vpid;
}

/* Container of a process we could not read from /proc: cgroup cache, then parent. */
static void resolve_container_fallback(struct sensor_tables *t, struct proc_ent *e)
{
        if (e->p.container_id && *e->p.container_id)
                return;
        const char *id = cg_get(t, e->p.cgroup_id);
        if (!id) {
                struct proc_ent *par = proc_find(t, e->p.ppid);
                id = par && par->p.container_id ? par->p.container_id : "";
        }
        char copy[SENSOR_CONTAINER_ID_MAX + 1];
        snprintf(copy, sizeof(copy), "%s", id);     /* id may point into a slot we overwrite */
        proc_set_container(t, e, copy, "");
}

/* Known parents for a process read from /proc, a few levels up. */
static void read_parents(struct sensor_tables *t, uint32_t ppid)
{
        for (int depth = 0; depth < PARENT_READ_DEPTH && ppid > 1 && !proc_find(t, ppid); depth++) {
                struct proc_ent *e = proc_new(t, ppid);
                if (!e)
                        return;
                if (proc_read(t, e) < 0) {
                        proc_remove(t, e);
                        return;
                }
                proc_fill_defaults(t, e);
                ppid = e->p.ppid;
        }
}

static struct proc_ent *proc_lookup_or_create(struct sensor_tables *t, const struct sensor_event *ev)
{
        struct proc_ent *e = proc_find(t, ev->pid);
        if (e) {
                proc_touch(t, e);
                return e;
        }
        if (!(e = proc_new(t, ev->pid)))
                return NULL;
        int fresh = proc_read(t, e) == 0;
        if (!fresh) {
                struct proc_ent *par = proc_find(t, ev->ppid);
                if (par)
                        copy_from_parent(t, e, par);
        }
        apply_event_ids(t, e, ev);
        resolve_container_fallback(t, e);
        proc_fill_defaults(t, e);
        if (fresh)
                read_parents(t, e->p.ppid);
        return e;
}

static void flush_pending(struct sensor_tables *t)
{
        for (size_t i = 0; i < t->npending; i++) {
                struct proc_ent *e = proc_find(t, t->pending[i]);
                if (e)
                        proc_remove(t, e);
        }
        t->npending = 0;
}

static void args_join(const struct sensor_event *ev, char *out, size_t outsz)
{
        size_t o = 0;
        out[0] = '\0';
        for (uint32_t i = 1; i < ev->argc && i < SENSOR_MAX_ARGS && o + 1 < outsz; i++) {
                const char *a = ev->argv[i] ? ev->argv[i] : "";
                if (i > 1)
                        out[o++] = ' ';
                size_t n = strnlen(a, outsz - 1 - o);
                memcpy(out + o, a, n);
                o += n;
                out[o] = '\0';
        }
}

static int on_exec(struct sensor_tables *t, const struct sensor_event *ev,
                   const struct sensor_event_extra *x)
{
        struct proc_ent *e = proc_find(t, ev->pid);
        if (!e) {
                if (!(e = proc_new(t, ev->pid)))
                        return dou_err_set(DOU_ENOMEM, "process entry");
                struct proc_ent *par = proc_find(t, ev->ppid);
                if (par)
                        copy_from_parent(t, e, par);
        } else {
                proc_touch(t, e);
        }
        apply_event_ids(t, e, ev);
        apply_extra(e, x);
        char args[SENSOR_ARGS_MAX];
        args_join(ev, args, sizeof(args));
        const char *exe = ev->argc > 0 && ev->argv[0] ? ev->argv[0] : ev->path;
        size_t *b = &t->bytes;
        set_str(&e->p.exe, exe, STR_MAX, b);
        set_str(&e->p.exepath, x && x->exe_memfd ? x->exe_memfd : ev->path, STR_MAX, b);
        set_str(&e->p.args, args, SENSOR_ARGS_MAX, b);
        if (ev->cwd && *ev->cwd) {
                set_str(&e->p.cwd, ev->cwd, STR_MAX, b);
        } else if (!t->o.no_procfs) {
                char path[320], cwd[STR_MAX];
                ssize_t n;
                if (pid_path(t, path, sizeof(path), ev->pid, "cwd") == 0 &&
                    (n = readlink(path, cwd, sizeof(cwd) - 1)) > 0) {
                        cwd[n] = '\0';
                        set_str(&e->p.cwd, cwd, STR_MAX, b);
                }
        }
        if (!(ev->container_id && *ev->container_id)) {
                /* exec is where a container's first process appears: look at its cgroups */
                char path[320], buf[4096];
                ssize_t n;
                if (!t->o.no_procfs && pid_path(t, path, sizeof(path), ev->pid, "cgroup") == 0 &&
                    (n = read_file(path, buf, sizeof(buf))) > 0) {
                        char id[SENSOR_CONTAINER_ID_MAX + 1];
                        const char *rt = "";
                        if (sensor_cgroup_file_container_id(buf, (size_t)n, id, sizeof(id), &rt) < 0)
                                id[0] = '\0';
                        if (e->p.cgroup_id)
                                cg_put(t, e->p.cgroup_id, id);
                        proc_set_container(t, e, id, rt);
                } else {
                        resolve_container_fallback(t, e);
                }
        }
        proc_fill_defaults(t, e);
        return 0;
}

static int on_clone(struct sensor_tables *t, const struct sensor_event *ev,
                    const struct sensor_event_extra *x)
{
        uint32_t child = x && x->child_pid ? x->child_pid : (ev->res > 0 ? (uint32_t)ev->res : 0);
        struct proc_ent *par = proc_lookup_or_create(t, ev);
        if (!child || child == ev->pid)
                return par ? 0 : dou_err_set(DOU_ENOMEM, "process entry");
        if (proc_find(t, child))
                t->pid_reuses++;        /* an exit we missed: the old entry is stale */
        struct proc_ent *e = proc_new(t, child);
        if (!e)
                return dou_err_set(DOU_ENOMEM, "process entry");
        par = proc_find(t, ev->pid);    /* proc_new may have evicted it */
        if (par)
                copy_from_parent(t, e, par);
        else
                apply_event_ids(t, e, ev);
        e->p.ppid = ev->pid;
        e->p.start_ns = x && x->start_ns ? x->start_ns : ev->ts_ns;
        proc_fill_defaults(t, e);
        return 0;
}

int sensor_tables_update_ext(struct sensor_tables *t, const struct sensor_event *ev,
                             const struct sensor_event_extra *x)
{
        if (!t || !ev)
                return dou_err_set(DOU_EINVAL, "no table or event");
        flush_pending(t);
        if (ev->pid == 0)
                return 0;
        switch (ev->type) {
        case EVT_EXECVE:
                return on_exec(t, ev, x);
        case EVT_CLONE:
                return on_clone(t, ev, x);
        case EVT_EXIT:
                if (proc_find(t, ev->pid) && t->npending < PENDING_EXITS)
                        t->pending[t->npending++] = ev->pid;
                return 0;
        default: {
                struct proc_ent *e = proc_lookup_or_create(t, ev);
                if (!e)
                        return dou_err_set(DOU_ENOMEM, "process entry");
                if (ev->type == EVT_SETUID && ev->res == 0)
                        e->p.uid = ev->new_uid;
                else if (ev->type == EVT_SETGID && ev->res == 0)
                        e->p.gid = ev->new_gid;
                else
                        e->p.uid = ev->uid;
                return 0;
        }
        }
}

int sensor_tables_update(struct sensor_tables *t, const struct sensor_event *ev)
{
        return sensor_tables_update_ext(t, ev, NULL);
}

const char *sensor_tables_container_of(struct sensor_tables *t, uint32_t pid, uint64_t cgroup_id)
{
        struct proc_ent *e = proc_find(t, pid);
        if (e && e->p.container_id)
                return e->p.container_id;
        const char *id = cg_get(t, cgroup_id);
        return id ? id : "";
}

int sensor_tables_put_proc(struct sensor_tables *t, const struct sensor_proc *p)
{
        if (!t || !p || p->pid == 0)
                return dou_err_set(DOU_EINVAL, "process without a pid");
        struct proc_ent *e = proc_new(t, p->pid);
        if (!e)
                return dou_err_set(DOU_ENOMEM, "process entry");
        const char *const *src[] = { &p->comm, &p->exe, &p->exepath, &p->args, &p->cwd,
                                     &p->container_id };
        const char **dst[] = { &e->p.comm, &e->p.exe, &e->p.exepath, &e->p.args, &e->p.cwd,
                               &e->p.container_id };
        size_t max[] = { 16, STR_MAX, STR_MAX, SENSOR_ARGS_MAX, STR_MAX, SENSOR_CONTAINER_ID_MAX };
        struct sensor_proc keep = *p;
        keep.comm = keep.exe = keep.exepath = keep.args = keep.cwd = keep.container_id = NULL;
        e->p = keep;
        for (size_t i = 0; i < sizeof(dst) / sizeof(dst[0]); i++)
                if (set_str(dst[i], *src[i], max[i], &t->bytes) < 0) {
                        proc_remove(t, e);
                        return dou_err_set(DOU_ENOMEM, "process entry");
                }
        return 0;
}

void sensor_tables_stats(const struct sensor_tables *t, struct sensor_tables_stats *ret)
{
        *ret = (struct sensor_tables_stats){
                .procs = t->nprocs, .containers = t->nconts, .evictions = t->evictions,
                .pid_reuses = t->pid_reuses, .proc_reads = t->proc_reads, .bytes = t->bytes,
        };
}
