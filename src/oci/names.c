/*
 * names.c - repository name and tag grammar (distribution-spec "Pulling
 * manifests"). These run on every request, before anything else looks at
 * the name, so they are hand-written scanners rather than regexes.
 */
#include "oci/oci.h"

static int is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* ; returns its length or 0. */
static size_t component(const char *s, size_t len)
{
        size_t i = 0;

        if (i >= len || !is_lower_alnum(s[i]))
                return 0;
        while (i < len && s[i] != '/') {
                if (is_lower_alnum(s[i])) {
                        i++;
                        continue;
                }
                /* a separator run must be ".", "_", "__" or "-+", then alnum */
                if (s[i] == '.') {
                        i++;
                } else if (s[i] == '_') {
                        i++;
                        if (i < len && s[i] == '_')
                                i++;
                } else if (s[i] == '-') {
                        while (i < len && s[i] == '-')
                                i++;
                } else {
                        return 0;
                }
                if (i >= len || !is_lower_alnum(s[i]))
                        return 0;
        }
        return i;
}

int oci_name_valid(const char *s, size_t len)
{
        size_t i = 0;

        if (len == 0 || len > OCI_NAME_MAX)
                return 0;
        for (;;) {
                size_t n = component(s + i, len - i);
                if (n == 0)
                        return 0;
                i += n;
                if (i == len)
                        return 1;
                if (s[i] != '/')
                        return 0;
                i++;
        }
}

int oci_tag_valid(const char *s, size_t len)
{
        if (len == 0 || len > OCI_TAG_MAX)
                return 0;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' ||
                         (i > 0 && (c == '.' || c == '-'));
                if (!ok)
                        return 0;
        }
        return 1;
}
