/* libFuzzer target: token-service scope lists, repository names and role patterns. */
#include "auth/auth_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
        struct scope_item items[SCOPE_MAX_ITEMS];
        size_t k = 0;
        char *s;

        if (scope_parse_list((const char *)d, n, items, SCOPE_MAX_ITEMS, &k) == 0)
                for (size_t i = 0; i < k; i++)
                        if (!items[i].is_catalog && !repo_name_valid(items[i].name, strlen(items[i].name)))
                                abort();        /* a parsed scope always names a valid repository */
        repo_name_valid((const char *)d, n);
        /* first line = pattern, rest = name */
        if (n > 512 || !(s = malloc(n + 1)))
                return 0;
        memcpy(s, d, n);
        s[n] = '\0';
        char *nl = strchr(s, '\n');
        if (nl && strlen(s) == n) {
                *nl = '\0';
                if (pattern_valid(s))
                        pattern_match(s, nl + 1);
        }
        free(s);
        return 0;
}
