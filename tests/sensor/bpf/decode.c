/* Ring buffer record decoder: well-formed records of each shape, and the
 * hostile ones (short, lying sizes, no terminators, huge argv, bad kinds). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "sensor/bpf/decode.h"
#include "tap.h"
#include "util/err.h"

struct rec {
        uint8_t b[sizeof(struct sw_hdr) + SW_DATA_MAX + 64];
        size_t len;
};

static struct sw_hdr *hdr(struct rec *r)
{
        return (struct sw_hdr *)r->b;
}

static void rec_init(struct rec *r, int type, int nr)
{
        memset(r, 0, sizeof(*r));
        struct sw_hdr h = { .magic = SW_MAGIC, .version = SW_VERSION, .type = (uint8_t)type,
                            .syscall_nr = (uint16_t)nr, .pid = 10, .tid = 11, .ppid = 1, .uid = 1000,
                            .ts_boot_ns = 5 };
        memcpy(h.comm, "comm-of-exactly16", SW_COMM_LEN);      /* no terminator */
        memcpy(r->b, &h, sizeof(h));
        r->len = sizeof(h);
}

static void rec_add(struct rec *r, uint16_t kind, const void *v, size_t n)
{
        struct sw_tlv t = { kind, (uint16_t)n };
        memcpy(r->b + r->len, &t, sizeof(t));
        memcpy(r->b + r->len + sizeof(t), v, n);
        r->len += sizeof(t) + n;
        hdr(r)->data_len = (uint16_t)(r->len - sizeof(struct sw_hdr));
}

static struct sensor_decoder *dec(void)
{
        static struct sensor_decoder d;
        return &d;
}

TEST(open_record)
{
        struct rec r;
        rec_init(&r, EVT_OPEN, SYS_openat);
        hdr(&r)->args[0] = (uint64_t)-100;
        hdr(&r)->args[2] = 0101;
        hdr(&r)->args[3] = 0644;
        hdr(&r)->res = 3;
        rec_add(&r, SW_PATH, "/etc/shadow", 12);
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 1000), 0);
        struct sensor_event *e = &dec()->ev;
        CHECK_INT(e->type, EVT_OPEN);
        CHECK_STR(e->syscall, "openat");
        CHECK_STR(e->path, "/etc/shadow");
        CHECK_INT(e->flags, 0101);
        CHECK_INT(e->mode, 0644);
        CHECK_INT(e->res, 3);
        CHECK_INT(e->ts_ns, 1005);
        CHECK_INT(e->pid, 10);
        CHECK_INT(e->tid, 11);
        CHECK_STR(e->comm, "comm-of-exactly1");         /* cut at 16, terminated */
        CHECK_STR(e->container_id, "");
}

TEST(path_without_terminator_is_cut_at_its_length)
{
        struct rec r;
        rec_init(&r, EVT_UNLINK, SYS_unlinkat);
        rec_add(&r, SW_PATH, "/tmp/abcdef", 5);         /* "/tmp/" and no NUL */
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 0), 0);
        CHECK_STR(dec()->ev.path, "/tmp/");
}

TEST(exec_argv_bounded_and_memfd)
{
        struct rec r;
        rec_init(&r, EVT_EXECVE, 0xffff);
        hdr(&r)->flags_rec = SW_F_PROC_INFO | SW_F_MEMFD | SW_F_TRUNCATED;
        hdr(&r)->tty = 34816;
        hdr(&r)->start_boot_ns = 7;
        rec_add(&r, SW_PATH, "/proc/self/fd/3", 16);
        char blob[1000];
        size_t n = 0;
        for (int i = 0; i < 100; i++)           /* 100 args: more than SENSOR_MAX_ARGS */
                n += (size_t)snprintf(blob + n, sizeof(blob) - n, "a%d", i) + 1;
        rec_add(&r, SW_ARGS, blob, n - 1);      /* last terminator missing, as the kernel may cut */
        rec_add(&r, SW_EXE_DNAME, "memfd:payload (deleted)", 23);
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 100), 0);
        struct sensor_event *e = &dec()->ev;
        CHECK_INT(e->argc, SENSOR_MAX_ARGS);
        CHECK_STR(e->argv[0], "a0");
        CHECK_STR(e->argv[63], "a63");
        CHECK_STR(e->syscall, "execve");
        CHECK(dec()->truncated);
        CHECK_INT(dec()->x.tty, 34816);
        CHECK_INT(dec()->x.start_ns, 107);
        CHECK(dec()->x.exe_memfd && strncmp(dec()->x.exe_memfd, "memfd:payload", 13) == 0);
}

TEST(connect_ipv4_and_local_end)
{
        struct rec r;
        rec_init(&r, EVT_CONNECT, SYS_connect);
        hdr(&r)->res = -115;
        hdr(&r)->sock_family = AF_INET;
        hdr(&r)->sock_type = SOCK_STREAM;
        struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(4444) };
        inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
        struct sockaddr_in loc = { .sin_family = AF_INET, .sin_port = htons(50000) };
        inet_pton(AF_INET, "127.0.0.2", &loc.sin_addr);
        rec_add(&r, SW_UADDR, &dst, sizeof(dst));
        rec_add(&r, SW_SOCK_LOCAL, &loc, sizeof(loc));
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 0), 0);
        struct sensor_event *e = &dec()->ev;
        CHECK_STR(e->dip, "127.0.0.1");
        CHECK_INT(e->dport, 4444);
        CHECK_STR(e->sip, "127.0.0.2");
        CHECK_INT(e->sport, 50000);
        CHECK_INT(e->sock_family, AF_INET);
        CHECK_INT(e->sock_type, SOCK_STREAM);
        CHECK_INT(e->res, -115);
}

TEST(accept_ipv6_peer_is_source)
{
        struct rec r;
        rec_init(&r, EVT_ACCEPT, SYS_accept4);
        struct sockaddr_in6 loc = { .sin6_family = AF_INET6, .sin6_port = htons(8080) };
        struct sockaddr_in6 peer = { .sin6_family = AF_INET6, .sin6_port = htons(40000) };
        inet_pton(AF_INET6, "::1", &loc.sin6_addr);
        inet_pton(AF_INET6, "fe80::2", &peer.sin6_addr);
        rec_add(&r, SW_SOCK_LOCAL, &loc, sizeof(loc));
        rec_add(&r, SW_SOCK_REMOTE, &peer, sizeof(peer));
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 0), 0);
        struct sensor_event *e = &dec()->ev;
        CHECK_STR(e->sip, "fe80::2");
        CHECK_INT(e->sport, 40000);
        CHECK_STR(e->dip, "::1");
        CHECK_INT(e->dport, 8080);
}

TEST(unix_abstract_and_short_sockaddrs)
{
        struct rec r;
        rec_init(&r, EVT_CONNECT, SYS_connect);
        uint8_t un[2 + 6] = { AF_UNIX, 0, 0, 'x', '1', 0, 0, 0 };
        rec_add(&r, SW_UADDR, un, 5);
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 0), 0);
        CHECK_STR(dec()->ev.dip, "@x1");
        rec_init(&r, EVT_CONNECT, SYS_connect);
        uint8_t in4short[6] = { AF_INET, 0, 1, 2, 3, 4 };       /* shorter than sockaddr_in */
        rec_add(&r, SW_UADDR, in4short, sizeof(in4short));
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 0), 0);
        CHECK(dec()->ev.dip == NULL);
        rec_init(&r, EVT_BIND, SYS_bind);
        rec_add(&r, SW_UADDR, "\x01", 1);
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 0), 0);
        CHECK(dec()->ev.dip == NULL);
}

TEST(setres_ids_and_capset)
{
        struct rec r;
        rec_init(&r, EVT_SETUID, SYS_setresuid);
        hdr(&r)->args[0] = 0xffffffff;
        hdr(&r)->args[1] = 0;
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 0), 0);
        CHECK_INT(dec()->ev.new_uid, 0);
        rec_init(&r, EVT_SETGID, SYS_setgid);
        hdr(&r)->args[0] = 42;
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 0), 0);
        CHECK_INT(dec()->ev.new_gid, 42);
        rec_init(&r, EVT_CAPSET, SYS_capset);
        hdr(&r)->aux[0] = 0x1ffffffffull;
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 0), 0);
        CHECK_INT(dec()->ev.cap_effective, 0x1ffffffffull);
}

TEST(rename_two_paths_and_unknown_kind_skipped)
{
        struct rec r;
        rec_init(&r, EVT_RENAME, SYS_renameat2);
        rec_add(&r, 99, "ignored", 7);
        rec_add(&r, SW_PATH, "/a", 3);
        rec_add(&r, SW_PATH2, "/b", 3);
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 0), 0);
        CHECK_STR(dec()->ev.path, "/a");
        CHECK_STR(dec()->ev.path2, "/b");
        CHECK_STR(dec()->ev.syscall, "renameat2");
}

TEST(malformed_records_rejected)
{
        struct rec r;
        rec_init(&r, EVT_OPEN, SYS_openat);
        rec_add(&r, SW_PATH, "/x", 3);
        CHECK_INT(sensor_decode(dec(), r.b, sizeof(struct sw_hdr) - 1, 0), DOU_EINVAL);
        CHECK_INT(sensor_decode(dec(), NULL, 0, 0), DOU_EINVAL);
        CHECK_INT(sensor_decode(dec(), r.b, r.len - 1, 0), DOU_EINVAL);          /* data_len lies */
        struct rec bad = r;
        hdr(&bad)->magic = 0;
        CHECK_INT(sensor_decode(dec(), bad.b, bad.len, 0), DOU_EINVAL);
        bad = r;
        hdr(&bad)->type = EVT_TYPE_COUNT;
        CHECK_INT(sensor_decode(dec(), bad.b, bad.len, 0), DOU_EINVAL);
        bad = r;
        hdr(&bad)->syscall_nr = SYS_connect;    /* a connect number on an open record */
        CHECK_INT(sensor_decode(dec(), bad.b, bad.len, 0), DOU_EINVAL);
        bad = r;
        hdr(&bad)->syscall_nr = 4000;
        CHECK_INT(sensor_decode(dec(), bad.b, bad.len, 0), DOU_EINVAL);
        bad = r;
        struct sw_tlv big = { SW_PATH, 60000 };         /* item longer than the record */
        memcpy(bad.b + sizeof(struct sw_hdr), &big, sizeof(big));
        CHECK_INT(sensor_decode(dec(), bad.b, bad.len, 0), DOU_EINVAL);
        bad = r;
        hdr(&bad)->data_len = 2;                        /* half a TLV header */
        CHECK_INT(sensor_decode(dec(), bad.b, bad.len, 0), DOU_EINVAL);
        /* trailing bytes after data_len are ignored */
        CHECK_INT(sensor_decode(dec(), r.b, r.len + 10, 0), 0);
}

TEST(largest_payload_fits)
{
        struct rec r;
        rec_init(&r, EVT_LINK, SYS_linkat);
        static char p[SW_STR_MAX];
        memset(p, 'a', sizeof(p));
        rec_add(&r, SW_PATH, p, SW_STR_MAX - 4);
        rec_add(&r, SW_PATH2, p, SW_STR_MAX - 4);
        CHECK(hdr(&r)->data_len <= SW_DATA_MAX);
        CHECK_INT(sensor_decode(dec(), r.b, r.len, 0), 0);
        CHECK(dec()->ev.path && strlen(dec()->ev.path) == SW_STR_MAX - 4);
        CHECK(dec()->ev.path2 && strlen(dec()->ev.path2) == SW_STR_MAX - 4);
}

TEST(syscall_table_is_consistent)
{
        for (size_t i = 0; i < sensor_nsyscalls; i++) {
                const struct sensor_syscall *s = &sensor_syscalls[i];
                CHECK(s->nr >= 0 && s->nr < 512);
                CHECK(sensor_syscall_get(s->nr) == s);          /* no duplicate numbers */
                CHECK(s->path == SW_ARG_NONE || s->path < 6);
                CHECK(s->path2 == SW_ARG_NONE || s->path2 < 6);
                CHECK(s->sockfd == SW_ARG_NONE || s->sockfd == SW_ARG_RES || s->sockfd < 6);
        }
        CHECK_STR(sensor_syscall_name(SYS_openat), "openat");
        CHECK(sensor_syscall_name(SYS_getppid) == NULL);
}

TAP_MAIN()
