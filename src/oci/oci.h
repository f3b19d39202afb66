/*
 * oci.h - OCI distribution and image-spec types and parsers.
 *
 * Everything here is pure: it validates and parses bytes that came from
 * the network and never touches storage. Each parser takes a pointer and a
 * length and bounds what it accepts.
 */
#ifndef DOUANE_OCI_OCI_H
#define DOUANE_OCI_OCI_H

#include <stddef.h>
#include <stdint.h>

#include "util/digest.h"

#define OCI_NAME_MAX 255        /* repository name, as Distribution bounds it */
#define OCI_TAG_MAX 128         /* [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127} */
#define OCI_MAX_DESCRIPTORS 10000       /* layers or index children in one manifest */

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

/* Repository name: path components [a-z0-9]+((.|_|__|-+)[a-z0-9]+)* joined by '/'. */
int oci_name_valid(const char *s, size_t len);
/* Tag: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}. */
int oci_tag_valid(const char *s, size_t len);

enum oci_kind { OCI_KIND_MANIFEST, OCI_KIND_INDEX };

struct oci_descriptor {
        const char *media_type;         /* may be NULL */
        struct digest digest;
        int64_t size;
        const char *artifact_type;      /* may be NULL */
        const char *platform_os;        /* index children only, may be NULL */
        const char *platform_arch;
};

/*
 * A parsed manifest or index. Strings point into the parse tree owned by
 * the struct; free with oci_manifest_free().
 */
struct oci_manifest {
        enum oci_kind kind;
        const char *media_type;         /* effective media type */
        const char *artifact_type;      /* artifactType, or config.mediaType for images; may be NULL */
        int has_config;
        struct oci_descriptor config;
        struct oci_descriptor *items;   /* layers (manifest) or manifests (index) */
        size_t n_items;
        int has_subject;
        struct oci_descriptor subject;
        char *annotations_json;         /* compact JSON object or NULL */
        void *tree;                     /* private: the json_t the strings point into */
};

/*
 * Parse manifest bytes. content_type is the request's Content-Type (may be
 * NULL). Returns 0, DOU_EINVAL (MANIFEST_INVALID, message says why) or
 * DOU_EUNSUPPORTED (a media type douane does not store).
 */
int oci_manifest_parse(const char *buf, size_t len, const char *content_type,
                       struct oci_manifest *ret);
void oci_manifest_free(struct oci_manifest *m);

/* The media types douane accepts for manifests. */
int oci_manifest_type_known(const char *media_type);

#endif
