/*
 * fsutil.h - durable filesystem primitives.
 *
 * Committed data is never lost and never half-visible: files are written
 * under a temporary name, fsynced, renamed into place, and the directory is
 * fsynced so the rename itself survives a crash.
 */
#ifndef DOUANE_UTIL_FSUTIL_H
#define DOUANE_UTIL_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Format a path; DOU_EINVAL if it does not fit in n bytes (never truncates silently). */
int fs_path(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* mkdir -p with mode; existing directories are fine. */
int fs_mkdir_p(const char *path, mode_t mode);

/* fsync the directory that contains path. */
int fs_fsync_parent(const char *path);

/* Write len bytes to path atomically (temp + fsync + rename + dir fsync). */
int fs_write_atomic(const char *path, const void *data, size_t len);

/* Write all of buf to fd, retrying on short writes and EINTR. */
int fs_write_all(int fd, const void *buf, size_t len);

/* Read a whole small file, at most max bytes; *ret is NUL-terminated. */
int fs_read_small(const char *path, size_t max, char **ret, size_t *ret_len);

#endif
