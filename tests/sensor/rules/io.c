/*
 * io.c - the sensor's I/O around the engine: record decode/encode round
 * trip and malformed lines, the registry client (cache, 404, failure) and
 * the webhook sink, both against a tiny HTTP server on 127.0.0.1.
 */
#include "sensor/rules/output.h"
#include "sensor/rules/record.h"
#include "sensor/rules/registry.h"
#include "tap.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- a one-thread HTTP server answering from a table ---- */
struct srv {
        int fd;
        int port;
        int hits;
        int posts;
        char last_body[4096];
        pthread_t thr;
};

static void *srv_main(void *arg)
{
        struct srv *s = arg;
        for (;;) {
                int c = accept(s->fd, NULL, NULL);
                if (c < 0)
                        return NULL;
                char req[8192];
                size_t n = 0;
                ssize_t r;
                /* read headers (and a small body) */
                while (n < sizeof(req) - 1 && (r = read(c, req + n, sizeof(req) - 1 - n)) > 0) {
                        n += (size_t)r;
                        req[n] = 0;
                        char *hend = strstr(req, "\r\n\r\n");
                        if (!hend)
                                continue;
                        char *cl = strcasestr(req, "Content-Length:");
                        size_t want = cl ? (size_t)atoi(cl + 15) : 0;
                        if ((size_t)(req + n - (hend + 4)) >= want)
                                break;
                }
                req[n] = 0;
                s->hits++;
                const char *status = "404 Not Found", *body = "{}";
                if (!strncmp(req, "POST ", 5)) {
                        s->posts++;
                        char *b = strstr(req, "\r\n\r\n");
                        snprintf(s->last_body, sizeof(s->last_body), "%s", b ? b + 4 : "");
                        status = "200 OK";
                } else if (strstr(req, "GET /api/v1/images/sha256:aaaa ")) {
                        status = "200 OK";
                        body = "{\"verdict\":\"released\",\"vulnerabilities\":[{\"id\":\"CVE-1\"},{\"id\":\"CVE-2\"}]}";
                } else if (strstr(req, "GET /api/v1/images/sha256:bbbb ")) {
                        status = "500 Oops";
                }
                char resp[1024];
                int l = snprintf(resp, sizeof(resp), "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
                                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", status, strlen(body), body);
                (void)!write(c, resp, (size_t)l);
                close(c);
        }
}

static int srv_start(struct srv *s)
{
        memset(s, 0, sizeof(*s));
        s->fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t al = sizeof(a);
        if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s->fd, 16) < 0 ||
            getsockname(s->fd, (struct sockaddr *)&a, &al) < 0)
                return -1;
        s->port = ntohs(a.sin_port);
        return pthread_create(&s->thr, NULL, srv_main, s);
}

static void srv_stop(struct srv *s)
{
        shutdown(s->fd, SHUT_RDWR);
        close(s->fd);
        pthread_join(s->thr, NULL);
}

TEST(registry_answer_parsing)
{
        char v[32];
        int rel;
        int64_t vulns;
        CHECK_INT(registry_parse_answer("{\"verdict\":\"rejected\",\"count\":4}", 32, v, sizeof(v), &rel, &vulns), 0);
        CHECK_STR(v, "rejected");
        CHECK_INT(rel, 0);
        CHECK_INT(vulns, 4);
        const char *b = "{\"released\":true,\"vulnerabilities\":[]}";
        CHECK_INT(registry_parse_answer(b, strlen(b), v, sizeof(v), &rel, &vulns), 0);
        CHECK_INT(rel, 1);
        CHECK_INT(vulns, 0);
        CHECK(registry_parse_answer("[1]", 3, v, sizeof(v), &rel, &vulns) < 0);
        CHECK(registry_parse_answer("{", 1, v, sizeof(v), &rel, &vulns) < 0);
}

TEST(registry_client_cache_404_and_failures)
{
        struct srv s;
        if (srv_start(&s) < 0)
                SKIP("cannot listen on 127.0.0.1");
        char url[64];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
        struct registry_client *c;
        CHECK_INT(registry_client_new(url, &c), 0);
        const char *v = NULL;
        int rel = -1;
        int64_t vulns = -1;
        CHECK_INT(registry_image_info(c, "sha256:aaaa", &v, &rel, &vulns), 0);
        CHECK_STR(v, "released");
        CHECK_INT(rel, 1);
        CHECK_INT(vulns, 2);
        CHECK_INT(registry_image_info(c, "sha256:aaaa", &v, &rel, &vulns), 0);   /* cached */
        CHECK_INT(registry_image_info(c, "sha256:cccc", &v, &rel, &vulns), 0);   /* 404 */
        CHECK_INT(rel, 0);
        CHECK_STR(v, "unknown");
        CHECK(registry_image_info(c, "sha256:bbbb", &v, &rel, &vulns) < 0);      /* 500: unknown */
        CHECK(registry_image_info(c, "sha256:bbbb", &v, &rel, &vulns) < 0);      /* negative cache */
        CHECK(registry_image_info(c, "../../etc", &v, &rel, &vulns) < 0);        /* not a digest */
        struct registry_stats st;
        registry_client_stats(c, &st);
        CHECK_INT(st.fetches, 3);
        CHECK_INT(st.hits, 2);
        CHECK_INT(s.hits, 3);
        registry_client_free(c);
        srv_stop(&s);
        /* nothing listening: unknown, quickly */
        CHECK_INT(registry_client_new(url, &c), 0);
        CHECK(registry_image_info(c, "sha256:aaaa", &v, &rel, &vulns) < 0);
        registry_client_free(c);
        CHECK(registry_client_new("ftp://x", &c) < 0);
}

TEST(webhook_posts_alert_json)
{
        struct srv s;
        if (srv_start(&s) < 0)
                SKIP("cannot listen on 127.0.0.1");
        char url[64];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", s.port);
        struct alert_sink *sink;
        struct alert_sink_opts o = { .webhook_url = url, .hostname = "h1" };
        CHECK_INT(alert_sink_new(&o, &sink), 0);
        struct sensor_event ev = { .ts_ns = 1795410000000000001ull };
        const char *names[] = { "proc.name", "proc.pid" };
        const char *vals[] = { "cat", "30" };
        const bool isnum[] = { false, true };
        const char *tags[] = { "t1" };
        struct rules_alert a = { .rule = "R \"quoted\"", .priority = PRIO_ERROR, .output = "out",
                .n_fields = 2, .field_names = names, .field_values = vals, .field_is_num = isnum,
                .tags = tags, .n_tags = 1, .event = &ev };
        CHECK_INT(alert_sink_emit(sink, &a), 0);
        alert_sink_free(sink);          /* drains the queue */
        CHECK_INT(s.posts, 1);
        CHECK(strstr(s.last_body, "\"rule\":\"R \\\"quoted\\\"\"") != NULL);
        CHECK(strstr(s.last_body, "\"output_fields\":{\"proc.name\":\"cat\",\"proc.pid\":30}") != NULL);
        CHECK(strstr(s.last_body, "\"time\":\"2026-11-23T05:00:00.000000001Z\"") != NULL);
        CHECK(strstr(s.last_body, "\"hostname\":\"h1\"") != NULL);
        srv_stop(&s);
}

TEST(record_round_trip)
{
        const char *line =
                "{\"ts\":5,\"type\":\"connect\",\"pid\":7,\"ppid\":1,\"uid\":33,\"gid\":33,\"comm\":\"nc\","
                "\"res\":0,\"fd\":3,\"sock_family\":2,\"sock_type\":1,\"sip\":\"1.2.3.4\",\"sport\":5,"
                "\"dip\":\"5.6.7.8\",\"dport\":4444,\"argv\":[\"a\",\"b\"],"
                "\"procs\":[{\"pid\":7,\"ppid\":1,\"comm\":\"nc\",\"exepath\":\"/bin/nc\",\"loginuid\":-1},{\"pid\":1,\"comm\":\"init\"}],"
                "\"container\":{\"id\":\"abc\",\"image\":\"x:1\"}}";
        struct record_dec *d = record_dec_new();
        struct record_line *rl = calloc(1, sizeof(*rl));
        CHECK_INT(record_decode(d, line, strlen(line), rl), 0);
        CHECK(rl->has_event);
        CHECK_INT(rl->ev.type, EVT_CONNECT);
        CHECK_STR(rl->ev.syscall, "connect");
        CHECK_INT(rl->ev.dport, 4444);
        CHECK_INT(rl->ev.argc, 2);
        CHECK_INT(rl->nprocs, 2);
        CHECK_INT(rl->procs[0].loginuid, UINT32_MAX);
        CHECK(rl->has_container);
        char *buf = NULL;
        size_t bl = 0;
        FILE *f = open_memstream(&buf, &bl);
        const struct sensor_proc *chain[] = { &rl->procs[0], &rl->procs[1] };
        CHECK_INT(record_write(f, &rl->ev, chain, 2, &rl->cont), 0);
        fclose(f);
        struct record_line *rl2 = calloc(1, sizeof(*rl2));
        struct record_dec *d2 = record_dec_new();
        CHECK_INT(record_decode(d2, buf, bl, rl2), 0);
        CHECK_INT(rl2->ev.type, EVT_CONNECT);
        CHECK_STR(rl2->ev.dip, "5.6.7.8");
        CHECK_STR(rl2->procs[0].exepath, "/bin/nc");
        CHECK_STR(rl2->cont.image, "x:1");
        CHECK_INT(rl2->ev.ts_ns, 5);
        free(buf);
        free(rl2);
        record_dec_free(d2);
        /* state line */
        const char *st = "{\"procs\":[{\"pid\":3}]}";
        CHECK_INT(record_decode(d, st, strlen(st), rl), 0);
        CHECK(!rl->has_event);
        CHECK_INT(rl->nprocs, 1);
        free(rl);
        record_dec_free(d);
}

TEST(record_rejects_malformed)
{
        static const char *bad[] = {
                "", "not json", "[1,2]", "{\"type\":\"frob\"}", "{\"type\":\"open\",\"pid\":-1}",
                "{\"type\":\"open\",\"pid\":\"7\"}", "{\"type\":\"open\",\"sport\":70000}",
                "{\"type\":\"open\",\"argv\":\"x\"}", "{\"type\":\"open\",\"argv\":[1]}",
                "{\"procs\":[{\"pid\":0}]}", "{\"procs\":7}", "{\"container\":{\"name\":\"x\"}}",
                "{\"type\":\"open\",\"type\":\"open\"}",
        };
        struct record_dec *d = record_dec_new();
        struct record_line *rl = calloc(1, sizeof(*rl));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r = record_decode(d, bad[i], strlen(bad[i]), rl);
                if (r == 0)
                        printf("# accepted: %s\n", bad[i]);
                CHECK(r < 0);
        }
        /* argv of 1000 items is cut at SENSOR_MAX_ARGS; a megabyte argument is fine */
        size_t big = 1u << 20;
        char *l = malloc(big + 9000);
        size_t o = (size_t)sprintf(l, "{\"type\":\"execve\",\"pid\":5,\"argv\":[");
        for (int i = 0; i < 1000; i++)
                o += (size_t)sprintf(l + o, "%s\"a%d\"", i ? "," : "", i);
        o += (size_t)sprintf(l + o, "],\"path\":\"");
        memset(l + o, 'x', big);
        o += big;
        o += (size_t)sprintf(l + o, "\"}");
        CHECK_INT(record_decode(d, l, o, rl), 0);
        CHECK_INT(rl->ev.argc, SENSOR_MAX_ARGS);
        CHECK_INT(strlen(rl->ev.path), big);
        free(l);
        free(rl);
        record_dec_free(d);
}

TAP_MAIN()
