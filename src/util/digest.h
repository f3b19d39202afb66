/*
 * digest.h - content digests ("sha256:<64 hex>", "sha512:<128 hex>").
 *
 * A digest is kept as the canonical string it was given in; its algorithm
 * is preserved end to end and never rewritten. The hasher streams: feed it
 * bytes as they are copied, never a whole blob.
 */
#ifndef DOUANE_UTIL_DIGEST_H
#define DOUANE_UTIL_DIGEST_H

#include <stddef.h>

enum digest_alg { DIGEST_SHA256 = 1, DIGEST_SHA512 = 2 };

/* "sha512:" + 128 hex + NUL */
#define DIGEST_STR_MAX 136

struct digest {
        enum digest_alg alg;
        char str[DIGEST_STR_MAX];       /* canonical "alg:hex" */
};

/*
 * Parse and validate a digest string of length len. Returns 0, DOU_EINVAL
 * for a malformed string, or DOU_EUNSUPPORTED for a well-formed digest of
 * an algorithm douane does not implement (e.g. "blake3:...").
 */
int digest_parse(const char *s, size_t len, struct digest *ret);

/* Hex part of d (after the colon). */
const char *digest_hex(const struct digest *d);
const char *digest_alg_name(enum digest_alg alg);

struct hasher;

/* NULL on allocation failure. */
struct hasher *hasher_new(enum digest_alg alg);
int hasher_update(struct hasher *h, const void *data, size_t len);
/* Finish and write the digest; the hasher may not be updated afterwards. */
int hasher_final(struct hasher *h, struct digest *ret);
/* Duplicate a running hasher (to peek at a digest without ending it). */
struct hasher *hasher_dup(const struct hasher *h);
struct hasher *hasher_free(struct hasher *h);
enum digest_alg hasher_alg(const struct hasher *h);

/* One-shot digest of a memory buffer. */
int digest_buf(enum digest_alg alg, const void *data, size_t len, struct digest *ret);

#endif
