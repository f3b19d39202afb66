/*
 * fsutil.c - see fsutil.h. All functions return 0 or a negative dou_err
 * with the path in the message.
 */
#include "util/fsutil.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_path(char *out, size_t n, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vsnprintf(out, n, fmt, ap);
        va_end(ap);
        if (r < 0 || (size_t)r >= n)
                return dou_err_set(DOU_EINVAL, "path too long");
        return 0;
}

int fs_mkdir_p(const char *path, mode_t mode)
{
        char tmp[PATH_MAX];
        size_t n = strlen(path);

        if (n == 0 || n >= sizeof(tmp))
                return dou_err_set(DOU_EINVAL, "bad directory path");
        memcpy(tmp, path, n + 1);
        for (char *p = tmp + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                        return dou_err_errno(DOU_EIO, "mkdir %s", tmp);
                *p = '/';
        }
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                return dou_err_errno(DOU_EIO, "mkdir %s", tmp);
        return 0;
}

int fs_fsync_parent(const char *path)
{
        char dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        size_t n;
        int fd, r = 0;

        if (!slash) {
                dir[0] = '.';
                dir[1] = '\0';
        } else {
                n = (size_t)(slash - path);
                if (n == 0)
                        n = 1;
                if (n >= sizeof(dir))
                        return dou_err_set(DOU_EINVAL, "path too long");
                memcpy(dir, path, n);
                dir[n] = '\0';
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return dou_err_errno(DOU_EIO, "open %s", dir);
        if (fsync(fd) < 0)
                r = dou_err_errno(DOU_EIO, "fsync %s", dir);
        close(fd);
        return r;
}

int fs_write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t w = write(fd, p, len);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return dou_err_errno(DOU_EIO, "write");
                }
                p += w;
                len -= (size_t)w;
        }
        return 0;
}

int fs_write_atomic(const char *path, const void *data, size_t len)
{
        char tmp[PATH_MAX];
        int fd, r;

        if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
                return dou_err_set(DOU_EINVAL, "path too long");
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return dou_err_errno(DOU_EIO, "create %s", tmp);
        r = fs_write_all(fd, data, len);
        if (r == 0 && fsync(fd) < 0)
                r = dou_err_errno(DOU_EIO, "fsync %s", tmp);
        close(fd);
        if (r == 0 && rename(tmp, path) < 0)
                r = dou_err_errno(DOU_EIO, "rename %s", path);
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        return fs_fsync_parent(path);
}

int fs_read_small(const char *path, size_t max, char **ret, size_t *ret_len)
{
        struct stat st;
        char *buf;
        size_t got = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return dou_err_errno(errno == ENOENT ? DOU_ENOTFOUND : DOU_EIO, "open %s", path);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return dou_err_set(DOU_EIO, "%s is not a regular file", path);
        }
        if ((size_t)st.st_size > max) {
                close(fd);
                return dou_err_set(DOU_ETOOBIG, "%s is larger than %zu bytes", path, max);
        }
        buf = malloc((size_t)st.st_size + 1);
        if (!buf) {
                close(fd);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        while (got < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(fd);
        buf[got] = '\0';
        *ret = buf;
        if (ret_len)
                *ret_len = got;
        return 0;
}
