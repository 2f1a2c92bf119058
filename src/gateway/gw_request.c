#include "gateway/gw_request.h"

#include <string.h>
#include <strings.h>

bool gw_request_is_json(const char *ct)
{
    if (ct == NULL)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    static const char want[] = "application/json";
    size_t n = sizeof want - 1;
    if (strncasecmp(ct, want, n) != 0)
        return false;
    const char *rest = ct + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

bool gw_request_strings(const char *body, size_t len, const char *const *names, size_t n,
                        json_t **root, const char **vals, size_t *lens)
{
    *root = NULL;
    if (n > GW_REQUEST_MAX_FIELDS)
        return false;
    json_error_t jerr;
    json_t *o = json_loadb(body, len, 0, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(o, names[i]);
        if (!json_is_string(v)) {
            json_decref(o);
            return false;
        }
        vals[i] = json_string_value(v);
        lens[i] = json_string_length(v);
    }
    *root = o;
    return true;
}
