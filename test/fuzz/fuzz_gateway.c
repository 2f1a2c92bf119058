/* What a browser (or anyone) sends the gateway: the request URI as a
 * static file path (gw_static_path), the Cookie header (gw_cookie_token),
 * the Content-Type (gw_request_is_json), a JSON-RPC body through the
 * allowlist filter (gw_rpc_filter), an API body's string fields
 * (gw_request_strings) and a username (gw_username_normalize).
 *
 * The input is NUL-separated: URI, Cookie, Content-Type, body, username.
 * A served path stays inside the web directory (no empty or dot-led
 * segment, only [A-Za-z0-9._-] and '/', a known type) and reads back to
 * itself; a cookie token is 64 lower-case hex digits; a JSON content type
 * starts with application/json; the filter accepts exactly the bodies
 * that are a JSON object or array, keeps a batch's length and each entry's
 * id, and leaves no request naming a method off the allowlist or a file
 * path; body fields are strings of the length given; an accepted username
 * is the input lower-cased and normalises to itself. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "fuzz.h"

#include "gateway/gw_account.h"
#include "gateway/gw_request.h"
#include "gateway/gw_rpc.h"
#include "gateway/gw_session.h"
#include "gateway/gw_static.h"

static void check_path(const char *uri)
{
    char out[GW_STATIC_PATH_MAX];
    if (!gw_static_path(uri, out))
        return;
    size_t n = strlen(out);
    FUZZ_ASSERT(n > 0 && out[0] != '/' && out[n - 1] != '/');
    FUZZ_ASSERT(gw_static_type(out) != NULL);
    const char *seg = out;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || out[i] == '/') {
            FUZZ_ASSERT(out + i > seg && seg[0] != '.');
            seg = out + i + 1;
        } else {
            char c = out[i];
            FUZZ_ASSERT(isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-');
        }
    }
    /* The path served is itself a request for the same file. */
    char again_uri[GW_STATIC_PATH_MAX + 2], again[GW_STATIC_PATH_MAX];
    again_uri[0] = '/';
    memcpy(again_uri + 1, out, n + 1);
    FUZZ_ASSERT(gw_static_path(again_uri, again));
    FUZZ_ASSERT(strcmp(again, out) == 0);
}

static void check_cookie(const char *h)
{
    char tok[GW_TOKEN_HEX + 1];
    if (!gw_cookie_token(h, tok))
        return;
    FUZZ_ASSERT(strlen(tok) == GW_TOKEN_HEX);
    for (size_t i = 0; i < GW_TOKEN_HEX; i++)
        FUZZ_ASSERT((tok[i] >= '0' && tok[i] <= '9') || (tok[i] >= 'a' && tok[i] <= 'f'));
    FUZZ_ASSERT(strstr(h, GW_COOKIE_NAME "=") != NULL);
}

static void check_content_type(const char *ct)
{
    if (!gw_request_is_json(ct))
        return;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    FUZZ_ASSERT(strncasecmp(ct, "application/json", 16) == 0);
}

/* An entry of the filtered body: either not a request the filter would
 * judge, or one it lets through, or its refusal. */
static void check_entry(const json_t *in, const json_t *out)
{
    FUZZ_ASSERT(json_typeof(in) == json_typeof(out));
    if (!json_is_object(in))
        return;
    const json_t *id_in = json_object_get(in, "id"), *id_out = json_object_get(out, "id");
    FUZZ_ASSERT(id_in == NULL ? id_out == NULL : json_equal(id_in, id_out));
    const json_t *mv = json_object_get(out, "method");
    if (!json_is_string(json_object_get(in, "method"))) {
        FUZZ_ASSERT(json_equal(in, out));
        return;
    }
    FUZZ_ASSERT(json_is_string(mv));
    const char *m = json_string_value(mv);
    if (strcmp(m, GW_RPC_REFUSE_METHOD) == 0) {
        const json_t *p = json_object_get(out, "params");
        FUZZ_ASSERT(json_array_size(p) == 2 && json_is_integer(json_array_get(p, 0)) &&
                    json_is_string(json_array_get(p, 1)));
        return;
    }
    FUZZ_ASSERT(gw_rpc_allowed(m));
    FUZZ_ASSERT(json_equal(in, out));
    const json_t *p = json_object_get(out, "params");
    const json_t *f = NULL;
    if (strcmp(m, "market_addmedia") == 0)
        f = json_is_array(p) ? json_array_get(p, 0) : json_object_get(p, "path_or_base64");
    else if (strcmp(m, "chat_sendfile") == 0)
        f = json_is_array(p) ? json_array_get(p, 1) : json_object_get(p, "path_or_base64");
    FUZZ_ASSERT(!json_is_string(f) || json_string_value(f)[0] != '/');
}

static void check_filter(const char *body, size_t len)
{
    json_error_t e;
    json_t *in = json_loadb(body, len, JSON_DECODE_ANY, &e);
    char *out = NULL;
    size_t out_len = 0;
    enum gw_rpc_filter_result r = gw_rpc_filter(body, len, &out, &out_len);
    bool container = json_is_object(in) || json_is_array(in);
    if (r == GW_RPC_FILTER_NOMEM) {
        json_decref(in);
        return;
    }
    FUZZ_ASSERT((r == GW_RPC_FILTER_OK) == container);
    if (r == GW_RPC_FILTER_OK) {
        FUZZ_ASSERT(strlen(out) == out_len);
        json_t *got = json_loadb(out, out_len, 0, &e);
        FUZZ_ASSERT(got != NULL);
        if (json_is_array(in)) {
            FUZZ_ASSERT(json_array_size(in) == json_array_size(got));
            for (size_t i = 0; i < json_array_size(in); i++)
                check_entry(json_array_get(in, i), json_array_get(got, i));
        } else {
            check_entry(in, got);
        }
        json_decref(got);
        free(out);
    }
    json_decref(in);
}

static void check_fields(const char *body, size_t len)
{
    static const char *const names[] = {"username", "password"};
    const char *vals[2];
    size_t lens[2];
    json_t *root;
    if (!gw_request_strings(body, len, names, 2, &root, vals, lens)) {
        FUZZ_ASSERT(root == NULL);
        return;
    }
    for (size_t i = 0; i < 2; i++) {
        const json_t *v = json_object_get(root, names[i]);
        FUZZ_ASSERT(json_is_string(v) && json_string_value(v) == vals[i] &&
                    json_string_length(v) == lens[i]);
    }
    json_decref(root);
}

static void check_username(const char *u)
{
    char out[GW_USERNAME_MAX + 1], again[GW_USERNAME_MAX + 1];
    if (!gw_username_normalize(u, out))
        return;
    FUZZ_ASSERT(strlen(out) == strlen(u));
    for (size_t i = 0; u[i] != '\0'; i++)
        FUZZ_ASSERT(out[i] == tolower((unsigned char)u[i]));
    FUZZ_ASSERT(gw_username_normalize(out, again) && strcmp(out, again) == 0);
}

void fuzz_one(const uint8_t *data, size_t size)
{
    const char *p[5];
    fuzz_split(data, size, p, 5);
    check_path(p[0]);
    check_cookie(p[1]);
    check_content_type(p[2]);
    check_filter(p[3], strlen(p[3]));
    check_fields(p[3], strlen(p[3]));
    check_username(p[4]);
}
