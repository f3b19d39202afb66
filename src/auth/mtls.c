/*
 * mtls.c - client certificates as identities.
 *
 * The registry's TLS layer already asked for and verified the certificate,
 * but auth verifies it again against its own configured CA (client-auth
 * purpose, validity dates) so that access never depends on how the HTTP
 * layer was configured. Names are taken only from a verified certificate:
 * the subject CN and the DNS/URI/email SANs; names with embedded NULs are
 * refused (the classic "evil.com\0.good.com" trick).
 */
#include "auth/auth_int.h"
#include "util/err.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#define MTLS_PEM_MAX (64u * 1024)

struct mtls {
        X509_STORE *store;
};

int mtls_new(const char *ca_file, struct mtls **ret)
{
        struct mtls *m = calloc(1, sizeof(*m));

        if (!m)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        m->store = X509_STORE_new();
        if (!m->store || X509_STORE_load_file(m->store, ca_file) != 1) {
                mtls_free(m);
                return dou_err_set(DOU_EINVAL, "auth: mtls: cannot load CA certificates from %s", ca_file);
        }
        *ret = m;
        return 0;
}

struct mtls *mtls_free(struct mtls *m)
{
        if (!m)
                return NULL;
        X509_STORE_free(m->store);
        free(m);
        return NULL;
}

static int copy_asn1(const ASN1_STRING *s, char *out, size_t cap)
{
        int n = ASN1_STRING_length(s);
        const unsigned char *d = ASN1_STRING_get0_data(s);

        if (n <= 0 || (size_t)n >= cap || memchr(d, '\0', (size_t)n))
                return 0;
        memcpy(out, d, (size_t)n);
        out[n] = '\0';
        return 1;
}

static void names_of(X509 *cert, struct mtls_id *id)
{
        X509_NAME *subj = X509_get_subject_name(cert);
        int i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
        GENERAL_NAMES *gens;

        if (i >= 0) {
                unsigned char *utf8 = NULL;
                int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i)));
                if (n > 0 && (size_t)n < sizeof(id->cn) && !memchr(utf8, '\0', (size_t)n)) {
                        memcpy(id->cn, utf8, (size_t)n);
                        id->cn[n] = '\0';
                }
                OPENSSL_free(utf8);
        }
        gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
        for (int k = 0; gens && k < sk_GENERAL_NAME_num(gens) && id->n_sans < MTLS_MAX_SANS; k++) {
                GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, k);
                const ASN1_STRING *s = g->type == GEN_DNS ? g->d.dNSName :
                                       g->type == GEN_URI ? g->d.uniformResourceIdentifier :
                                       g->type == GEN_EMAIL ? g->d.rfc822Name : NULL;
                if (s && copy_asn1(s, id->sans[id->n_sans], sizeof(id->sans[0])))
                        id->n_sans++;
        }
        GENERAL_NAMES_free(gens);
}

int mtls_identify(struct mtls *m, const char *pem, size_t len, struct mtls_id *ret)
{
        BIO *bio;
        X509 *cert;
        X509_STORE_CTX *ctx;
        struct tm tm;
        int ok;

        if (len == 0 || len > MTLS_PEM_MAX)
                return dou_err_set(DOU_EINVAL, "client certificate size out of bounds");
        bio = BIO_new_mem_buf(pem, (int)len);
        cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        if (!cert)
                return dou_err_set(DOU_EINVAL, "client certificate is not PEM X.509");
        ctx = X509_STORE_CTX_new();
        ok = ctx && X509_STORE_CTX_init(ctx, m->store, cert, NULL) == 1 &&
             X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) == 1 &&
             X509_verify_cert(ctx) == 1;
        X509_STORE_CTX_free(ctx);
        if (!ok) {
                X509_free(cert);
                return dou_err_set(DOU_EDENIED, "client certificate does not verify against the mtls CA");
        }
        memset(ret, 0, sizeof(*ret));
        names_of(cert, ret);
        ret->not_after = ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1 ? timegm(&tm) : 0;
        X509_free(cert);
        if (!ret->cn[0] && ret->n_sans == 0)
                return dou_err_set(DOU_EDENIED, "client certificate carries no usable name");
        return 0;
}
