/* Unit tests for the filesystem content store (src/store/fs.c). */
#include "tap.h"
#include "store/store.h"
#include "util/err.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

static char *tmpdir(void)
{
        static char t[64];
        snprintf(t, sizeof(t), "/tmp/douane-store-XXXXXX");
        return mkdtemp(t);
}

static int count_files(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;
        while (d && (e = readdir(d)))
                if (e->d_name[0] != '.')
                        n++;
        if (d)
                closedir(d);
        return n;
}

static void rmrf(const char *dir)
{
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
}

TEST(commit_verifies_digest_and_publishes)
{
        char *dir = tmpdir(), up[300];
        struct store *s;
        struct store_upload *u;
        char id[STORE_UPLOAD_ID_LEN + 1];
        struct digest d;
        uint64_t size;
        int fd;

        CHECK_INT(store_open(dir, &s), 0);
        CHECK_INT(store_upload_new(s, id, &u), 0);
        CHECK_INT(store_upload_write(u, "hello ", 6), 0);
        CHECK_INT(store_upload_write(u, "world", 5), 0);
        digest_buf(DIGEST_SHA256, "hello world", 11, &d);
        CHECK_INT(store_upload_commit(u, &d, NULL, NULL), 0);
        CHECK_INT(store_blob_stat(s, &d, &size), 0);
        CHECK_INT(size, 11);
        CHECK_INT(store_blob_open(s, &d, &fd, &size), 0);
        close(fd);
        snprintf(up, sizeof(up), "%s/uploads", dir);
        CHECK_INT(count_files(up), 0);
        store_close(s);
        rmrf(dir);
}

TEST(mismatch_leaves_nothing)
{
        char *dir = tmpdir(), up[300];
        struct store *s;
        struct store_upload *u;
        char id[STORE_UPLOAD_ID_LEN + 1];
        struct digest d;
        uint64_t size;

        CHECK_INT(store_open(dir, &s), 0);
        CHECK_INT(store_upload_new(s, id, &u), 0);
        CHECK_INT(store_upload_write(u, "abc", 3), 0);
        digest_buf(DIGEST_SHA256, "abd", 3, &d);
        CHECK_INT(store_upload_commit(u, &d, NULL, NULL), DOU_EDIGEST);
        CHECK_INT(store_blob_stat(s, &d, &size), DOU_ENOTFOUND);
        snprintf(up, sizeof(up), "%s/uploads", dir);
        CHECK_INT(count_files(up), 0);
        store_close(s);
        rmrf(dir);
}

TEST(reopen_rehashes_and_sha512_commit)
{
        char *dir = tmpdir();
        struct store *s;
        struct store_upload *u;
        char id[STORE_UPLOAD_ID_LEN + 1];
        struct digest d;

        CHECK_INT(store_open(dir, &s), 0);
        CHECK_INT(store_upload_new(s, id, &u), 0);
        CHECK_INT(store_upload_write(u, "part1", 5), 0);
        store_upload_close(u);                  /* as if the server restarted */
        CHECK_INT(store_upload_open(s, id, &u), 0);
        CHECK_INT(store_upload_size(u), 5);
        CHECK_INT(store_upload_write(u, "part2", 5), 0);
        /* the running hash is sha256; a sha512 digest forces one re-read */
        digest_buf(DIGEST_SHA512, "part1part2", 10, &d);
        CHECK_INT(store_upload_commit(u, &d, NULL, NULL), 0);
        uint64_t size;
        CHECK_INT(store_blob_stat(s, &d, &size), 0);
        CHECK_INT(size, 10);
        store_close(s);
        rmrf(dir);
}

TEST(upload_limit_and_bad_ids)
{
        char *dir = tmpdir();
        struct store *s;
        struct store_upload *u;
        char id[STORE_UPLOAD_ID_LEN + 1];

        CHECK_INT(store_open(dir, &s), 0);
        CHECK_INT(store_upload_new(s, id, &u), 0);
        store_upload_set_limit(u, 4);
        CHECK_INT(store_upload_write(u, "abcd", 4), 0);
        CHECK_INT(store_upload_write(u, "e", 1), DOU_ETOOBIG);
        store_upload_cancel(u);
        CHECK_INT(store_upload_open(s, "../../etc/passwd", &u), DOU_ENOTFOUND);
        CHECK_INT(store_upload_open(s, id, &u), DOU_ENOTFOUND);      /* cancelled */
        store_close(s);
        rmrf(dir);
}

TAP_MAIN()
