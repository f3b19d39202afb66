/* Unit tests for src/config/yaml2json.c and config parsing helpers. */
#include "tap.h"
#include "config/config.h"
#include "util/err.h"
#include <unistd.h>

static json_t *y(const char *s)
{
        char err[256];
        return yaml_to_json(s, strlen(s), err, sizeof(err));
}

TEST(scalars_and_nesting)
{
        json_t *j = y("listen: [\"127.0.0.1:5000\", \"[::1]:5000\"]\nlimits:\n  max: 4MiB\n"
                      "  n: 12\nflag: true\nquoted: \"12\"\nver: 3.10\n");
        CHECK(j != NULL);
        CHECK_INT(json_array_size(json_object_get(j, "listen")), 2);
        CHECK_STR(json_string_value(json_object_get(json_object_get(j, "limits"), "max")), "4MiB");
        CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "limits"), "n")), 12);
        CHECK(json_is_true(json_object_get(j, "flag")));
        CHECK_STR(json_string_value(json_object_get(j, "quoted")), "12");
        CHECK_STR(json_string_value(json_object_get(j, "ver")), "3.10");
        json_decref(j);
}

TEST(rejects_aliases)
{
        char err[256];
        const char *s = "a: &x [1,2]\nb: *x\n";
        CHECK(yaml_to_json(s, strlen(s), err, sizeof(err)) == NULL);
        CHECK(strstr(err, "alias") != NULL);
}

TEST(rejects_deep_nesting)
{
        char buf[400], err[256];
        size_t n = 0;
        for (int i = 0; i < 100; i++)
                buf[n++] = '[';
        for (int i = 0; i < 100; i++)
                buf[n++] = ']';
        CHECK(yaml_to_json(buf, n, err, sizeof(err)) == NULL);
        CHECK(strstr(err, "nesting") != NULL);
}

TEST(syntax_error_has_line)
{
        char err[256];
        const char *s = "a: 1\nb: [1, 2\nc: 3\n";
        CHECK(yaml_to_json(s, strlen(s), err, sizeof(err)) == NULL);
        CHECK(strstr(err, "line") != NULL);
}

TEST(sizes_and_durations)
{
        uint64_t n;
        unsigned d;
        CHECK_INT(config_parse_size("4MiB", &n), 0);
        CHECK_INT(n, 4 << 20);
        CHECK_INT(config_parse_size("100", &n), 0);
        CHECK_INT(n, 100);
        CHECK(config_parse_size("-1", &n) < 0);
        CHECK(config_parse_size("1ZB", &n) < 0);
        CHECK(config_parse_size("99999999999999999999G", &n) < 0);
        CHECK_INT(config_parse_duration("24h", &d), 0);
        CHECK_INT(d, 86400);
        CHECK(config_parse_duration("h", &d) < 0);
}

TEST(config_file_overrides_defaults)
{
        struct config c;
        char path[] = "/tmp/douane-cfg-XXXXXX";
        int fd = mkstemp(path);
        const char *text = "listen: 0.0.0.0:6000\ndata: /tmp/x\nlimits:\n  max_manifest_bytes: 1MiB\n"
                           "log:\n  format: json\n";
        CHECK(fd >= 0);
        CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
        close(fd);
        CHECK_INT(config_defaults(&c), 0);
        CHECK_INT(config_load_file(&c, path), 0);
        CHECK_STR(c.listen[0], "0.0.0.0:6000");
        CHECK_STR(c.data_dir, "/tmp/x");
        CHECK_INT(c.limits.max_manifest_bytes, 1 << 20);
        CHECK_INT(c.log_format, 1);
        config_free(&c);
        unlink(path);
}

TEST(config_bad_value_names_key)
{
        struct config c;
        char path[] = "/tmp/douane-cfg-XXXXXX";
        int fd = mkstemp(path);
        const char *text = "limits:\n  max_manifest_bytes: lots\n";
        CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
        close(fd);
        config_defaults(&c);
        CHECK(config_load_file(&c, path) == DOU_EINVAL);
        CHECK(strstr(dou_err_msg(), "max_manifest_bytes") != NULL);
        config_free(&c);
        unlink(path);
}

TAP_MAIN()
