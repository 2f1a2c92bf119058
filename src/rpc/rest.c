#include "rpc/rest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/chainparams.h"
#include "crypto/address.h"
#include "node/node.h"
#include "rpc/httpserver.h"
#include "rpc/rpcutil.h"
#include "rpc/server.h"

#define REST_PREFIX "/rest/"
/* How much of a bad id an error message repeats. */
#define REST_ECHO_MAX 80

/* A listing photo as itself: its bytes under its own content type (the
 * result of market_getmedia, whose data is base64). */
static void rest_reply_media(struct http_req *r, const json_t *result)
{
    const char *mime = json_string_value(json_object_get(result, "mime"));
    const char *data = json_string_value(json_object_get(result, "data"));
    struct buf bytes;
    buf_init(&bytes);
    if (mime == NULL || data == NULL || !rpc_base64_decode(data, strlen(data), &bytes)) {
        buf_clear(&bytes);
        rest_reply_error(r, 500, "the photo could not be read");
        return;
    }
    http_req_add_reply_header(r, "Content-Type", mime);
    http_req_add_reply_header(r, "X-Content-Type-Options", "nosniff");
    http_req_reply(r, 200, (const char *)bytes.data, bytes.len);
    buf_clear(&bytes);
}

static const struct rest_resource resources[] = {
    {"block", REST_ID_HASH, "getblock", "[2]", {{"json", rest_reply_json}}},
    {"tx", REST_ID_HASH, "getrawtransaction", "[true]", {{"json", rest_reply_json}}},
    {"account", REST_ID_ADDRESS, "getaccount", NULL, {{"json", rest_reply_json}}},
    {"listing", REST_ID_HASH, "market_getlisting", NULL, {{"json", rest_reply_json}}},
    {"order", REST_ID_HASH, "market_getorder", NULL, {{"json", rest_reply_json}}},
    {"review", REST_ID_HASH, "review_get", NULL, {{"json", rest_reply_json}}},
    {"media", REST_ID_HASH, "market_getmedia", NULL,
     {{"bin", rest_reply_media}, {"json", rest_reply_json}}},
};

const struct rest_resource *rest_resources(size_t *n)
{
    *n = sizeof resources / sizeof resources[0];
    return resources;
}

void rest_reply_error(struct http_req *r, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg - 2, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof msg - 2 ? (size_t)n : sizeof msg - 3;
    memcpy(msg + len, "\r\n", 2);
    http_req_add_reply_header(r, "Content-Type", "text/plain");
    http_req_reply(r, status, msg, len + 2);
}

void rest_reply_json(struct http_req *r, const json_t *result)
{
    char *text = rpc_json_dumps(result, 0);
    size_t len = text != NULL ? strlen(text) : 0;
    char *body = text != NULL ? realloc(text, len + 2) : NULL;
    if (body == NULL) {
        free(text);
        rest_reply_error(r, 500, "out of memory");
        return;
    }
    body[len++] = '\n';
    body[len] = '\0';
    http_req_add_reply_header(r, "Content-Type", "application/json");
    http_req_reply_take(r, 200, body, len);
}

static const struct rest_resource *rest_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++)
        if (strlen(resources[i].name) == len && memcmp(resources[i].name, name, len) == 0)
            return &resources[i];
    return NULL;
}

static bool rest_id_ok(const char *hrp, enum rest_id kind, const char *id)
{
    if (kind == REST_ID_ADDRESS) {
        uint8_t pub[ADDRESS_PUBKEY_LEN];
        return address_decode(hrp, id, pub) == ADDRESS_OK;
    }
    size_t n = strlen(id);
    return n == 64 && strspn(id, "0123456789abcdef") == n;
}

/* Appends ", " (after the first) and item to out. */
static void rest_list_add(char *out, size_t cap, const char *pre, const char *item)
{
    size_t len = strlen(out);
    snprintf(out + len, cap - len, "%s%s%s", len > 0 ? ", " : "", pre, item);
}

/* The HTTP status of a failed call: the method's "not found" (-5, as
 * getblock's "Block not found") is the object's absence, its parameter
 * errors the client's, warm-up a wait. */
static int rest_status(int code)
{
    switch (code) {
    case RPC_INVALID_ADDRESS_OR_KEY:
    case RPC_METHOD_NOT_FOUND: /* a plugin this node does not run */
        return 404;
    case RPC_INVALID_PARAMETER:
    case RPC_INVALID_PARAMS:
    case RPC_TYPE_ERROR:
        return 400;
    case RPC_IN_WARMUP:
        return 503;
    default:
        return 500;
    }
}

int rest_parse_path(const char *path, const char *hrp, struct rest_target *t, char *err,
                    size_t errlen)
{
    size_t path_len = strcspn(path, "?#");
    char echo[REST_ECHO_MAX + 4];
    const char *slash = memchr(path, '/', path_len);
    const struct rest_resource *res =
        slash != NULL ? rest_find(path, (size_t)(slash - path)) : NULL;
    if (res == NULL) {
        char list[256] = "";
        for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++)
            rest_list_add(list, sizeof list, "", resources[i].name);
        rpc_echo(path, slash != NULL ? (size_t)(slash - path) : path_len, echo, sizeof echo);
        snprintf(err, errlen, "unknown REST resource \"%s\" (available: %s)", echo, list);
        return 404;
    }
    const char *seg = slash + 1;
    size_t seg_len = path_len - (size_t)(seg - path);
    /* The format is what follows the last dot, as bitcoind's REST reads it. */
    const char *dot = NULL;
    for (const char *p = seg; p < seg + seg_len; p++)
        if (*p == '.')
            dot = p;
    const struct rest_format *fmt = NULL;
    for (size_t i = 0; dot != NULL && i < REST_MAX_FORMATS && res->formats[i].ext != NULL; i++) {
        size_t el = seg_len - (size_t)(dot + 1 - seg);
        if (strlen(res->formats[i].ext) == el && memcmp(res->formats[i].ext, dot + 1, el) == 0)
            fmt = &res->formats[i];
    }
    if (fmt == NULL) {
        char list[64] = "";
        for (size_t i = 0; i < REST_MAX_FORMATS && res->formats[i].ext != NULL; i++)
            rest_list_add(list, sizeof list, ".", res->formats[i].ext);
        snprintf(err, errlen, "output format not found (available: %s)", list);
        return 404;
    }
    size_t id_len = (size_t)(dot - seg);
    const char *kind = res->id == REST_ID_HASH ? "hash" : "address";
    if (id_len > REST_SEGMENT_MAX) {
        rpc_echo(seg, id_len, echo, sizeof echo);
        snprintf(err, errlen, "Invalid %s: %s", kind, echo);
        return 400;
    }
    memcpy(t->id, seg, id_len);
    t->id[id_len] = '\0';
    /* Hex in either case names the same object; the methods take lower case. */
    for (size_t i = 0; res->id == REST_ID_HASH && i < id_len; i++)
        if (t->id[i] >= 'A' && t->id[i] <= 'F')
            t->id[i] = (char)(t->id[i] - 'A' + 'a');
    if (!rest_id_ok(hrp, res->id, t->id)) {
        rpc_echo(t->id, id_len, echo, sizeof echo);
        snprintf(err, errlen, "Invalid %s: %s", kind, echo);
        return 400;
    }
    t->res = res;
    t->fmt = fmt;
    return 0;
}

void rest_handle(struct http_req *r, void *arg)
{
    struct node_ctx *node = arg;
    if (http_req_method(r) != HTTP_METHOD_GET) {
        http_req_add_reply_header(r, "Allow", "GET");
        rest_reply_error(r, 405, "the REST interface answers only GET requests");
        return;
    }
    struct rest_target t;
    char err[400];
    int status = rest_parse_path(http_req_uri(r) + strlen(REST_PREFIX), node->params->hrp, &t,
                                 err, sizeof err);
    if (status != 0) {
        rest_reply_error(r, status, "%s", err);
        return;
    }
    const struct rest_resource *res = t.res;
    const char *id = t.id;
    json_t *params = res->params != NULL ? json_loads(res->params, 0, NULL) : json_array();
    if (params == NULL || json_array_insert_new(params, 0, json_string(id)) != 0) {
        json_decref(params);
        rest_reply_error(r, 500, "out of memory");
        return;
    }
    json_t *result = NULL;
    int code = 0;
    char *msg = NULL;
    bool ok = rpc_call(node->rpc, node, "/", res->method, params, &result, &code, &msg);
    json_decref(params);
    if (ok) {
        t.fmt->reply(r, result);
    } else {
        status = rest_status(code);
        if (status == 404 && code == RPC_METHOD_NOT_FOUND)
            rest_reply_error(r, 404, "this node does not serve %s objects", res->name);
        else if (status == 404)
            rest_reply_error(r, 404, "%s not found (%s)", id, msg != NULL ? msg : "");
        else
            rest_reply_error(r, status, "%s", msg != NULL ? msg : "failed");
    }
    json_decref(result);
    free(msg);
}
