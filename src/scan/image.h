/*
 * image.h - where images come from, behind one small function table, and
 * how a reference is resolved to the manifests to index.
 *
 * A source only has to hand out its root object (a manifest or an index)
 * and raw blob streams by digest; verification of every byte against its
 * digest happens here, above the source, so a new source (douane's own
 * content store, say) is one get_blob callback. Manifests and configs
 * are read whole under IMAGE_MAX_MANIFEST; layers are only ever streamed.
 *
 * References: oci:DIR[:TAG], docker-archive:FILE, docker://HOST/REPO[:TAG|@DIGEST]
 * (https; http only for localhost/127.0.0.1/[::1]).
 */
#ifndef DOUANE_SCAN_IMAGE_H
#define DOUANE_SCAN_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/digest.h"

#define IMAGE_MAX_MANIFEST (4u << 20)
#define IMAGE_MAX_LAYERS 1024
#define IMAGE_MAX_INDEX_DEPTH 4
#define IMAGE_MAX_MANIFESTS 256

/* A raw byte stream handed out by a source. close() may be NULL. */
struct blob_reader {
        ssize_t (*read)(void *ctx, void *buf, size_t n);        /* >0, 0 at end, <0 dou_err */
        void (*close)(void *ctx);
        void *ctx;
};

struct image_source {
        /*
         * The object the reference names: manifest or index bytes (caller
         * frees *ret_buf), its digest when known ("" otherwise: it is then
         * computed from the bytes).
         */
        int (*get_root)(void *ctx, char **ret_buf, size_t *ret_len, char ret_digest[DIGEST_STR_MAX]);
        /* A manifest by digest; NULL = read it as a blob. */
        int (*get_manifest)(void *ctx, const char *digest, char **ret_buf, size_t *ret_len);
        /* A blob (config or layer) by digest, raw and unverified. */
        int (*get_blob)(void *ctx, const char *digest, struct blob_reader *ret);
        void (*free)(void *ctx);
        void *ctx;
};

/* Open a reference (see above). DOU_EINVAL for a malformed one. */
int image_source_open(const char *ref, struct image_source *ret);
void image_source_close(struct image_source *src);

int image_source_oci(const char *dir, const char *tag, struct image_source *ret);
int image_source_docker_archive(const char *file, struct image_source *ret);
int image_source_registry(const char *ref, struct image_source *ret);

/* A verified stream: read() returns DOU_EDIGEST at the end if the bytes do not match. */
struct blob_stream;
int blob_stream_open(struct image_source *src, const char *digest, struct blob_stream **ret);
ssize_t blob_stream_read(void *stream, void *buf, size_t n);
struct blob_stream *blob_stream_close(struct blob_stream *s);

/* Read and verify a whole small blob (bounded by max). Caller frees *ret. */
int blob_read_all(struct image_source *src, const char *digest, size_t max, char **ret, size_t *ret_len);

struct image_manifest {
        char digest[DIGEST_STR_MAX];
        char platform[128];             /* "linux/amd64", "linux/arm/v7" */
        char config[DIGEST_STR_MAX];
        char **layers;                  /* digests, base first */
        size_t n_layers;
};

/*
 * Resolve the root to image manifests: a manifest is itself; an index
 * (nested ones too) gives every image manifest in it, or only those
 * matching platform ("os/arch[/variant]") when platform is not NULL.
 * Attestation manifests (platform unknown/unknown) are skipped.
 */
int image_resolve(struct image_source *src, const char *platform,
                  struct image_manifest **ret, size_t *ret_n);
void image_manifests_free(struct image_manifest *m, size_t n);

#endif
