/*
 * token_key.c - douane's own ES256 signing key for registry tokens.
 *
 * DATA_DIR/auth/token-key.pem is created on first start: written to a
 * private temporary file (mode 0600, O_EXCL), fsynced, then published with
 * link(2) so that two processes starting at once agree on one key (the
 * loser loads the winner's). An existing key readable by group or others
 * is refused rather than trusted.
 */
#include "auth/auth_int.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int load_key(const char *path, EVP_PKEY **ret)
{
        struct stat st;
        FILE *f;
        EVP_PKEY *k;

        if (stat(path, &st) < 0)
                return dou_err_errno(errno == ENOENT ? DOU_ENOTFOUND : DOU_EIO, "stat %s", path);
        if (st.st_mode & 077)
                return dou_err_set(DOU_EDENIED, "%s is accessible by other users (mode %o); "
                                   "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
        if (!(f = fopen(path, "re")))
                return dou_err_errno(DOU_EIO, "open %s", path);
        k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        if (!k || !jwt_key_fits(JWT_ES256, k)) {
                EVP_PKEY_free(k);
                return dou_err_set(DOU_EINVAL, "%s is not a P-256 private key", path);
        }
        *ret = k;
        return 0;
}

static int create_key(const char *path)
{
        char tmp[PATH_MAX];
        EVP_PKEY *k = EVP_EC_gen("P-256");
        BIO *mem = BIO_new(BIO_s_mem());
        char *data;
        long len;
        int fd, r = 0;

        if (!k || !mem || !PEM_write_bio_PrivateKey(mem, k, NULL, NULL, 0, NULL, NULL)) {
                EVP_PKEY_free(k);
                BIO_free(mem);
                return dou_err_set(DOU_EINTERNAL, "cannot generate the token key");
        }
        EVP_PKEY_free(k);
        len = BIO_get_mem_data(mem, &data);
        if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
                BIO_free(mem);
                return dou_err_set(DOU_EINVAL, "path too long");
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
                BIO_free(mem);
                return dou_err_errno(DOU_EIO, "create %s", tmp);
        }
        r = fs_write_all(fd, data, (size_t)len);
        BIO_free(mem);
        if (r == 0 && fsync(fd) < 0)
                r = dou_err_errno(DOU_EIO, "fsync %s", tmp);
        close(fd);
        if (r == 0 && link(tmp, path) < 0 && errno != EEXIST)
                r = dou_err_errno(DOU_EIO, "link %s", path);
        unlink(tmp);
        if (r == 0)
                r = fs_fsync_parent(path);
        return r;
}

int token_key_load_or_create(const char *data_dir, EVP_PKEY **ret)
{
        char dir[PATH_MAX], path[PATH_MAX];
        int r;

        if (!data_dir || snprintf(dir, sizeof(dir), "%s/auth", data_dir) >= (int)sizeof(dir) ||
            snprintf(path, sizeof(path), "%s/token-key.pem", dir) >= (int)sizeof(path))
                return dou_err_set(DOU_EINVAL, "auth: bad data directory");
        r = load_key(path, ret);
        if (r != DOU_ENOTFOUND)
                return r;
        if ((r = fs_mkdir_p(dir, 0700)) < 0 || (r = create_key(path)) < 0)
                return r;
        return load_key(path, ret);
}
