#define _POSIX_C_SOURCE 200809L
#include "rpc/rpc_control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consensus/chainparams.h"
#include "node/node.h"
#include "rpc/auth.h"
#include "rpc/httpserver.h"
#include "rpc/rest.h"
#include "rpc/sse.h"
#include "rpc/server.h"
#include "util/log.h"
#include "util/time.h"

const struct args_option rpc_control_options[] = {
    {"rpcbind", "<addr>[:port]", "127.0.0.1 and ::1",
     "Listen for JSON-RPC connections on this address (IPv6 as [host]:port).", ARGS_MULTI,
     "RPC server options"},
    {"rpcport", "<port>", "8732, testnet: 18732, regtest: 28732",
     "Listen for JSON-RPC connections on this port.", 0, NULL},
    {"rpcallowip", "<ip>", "localhost only",
     "Allow JSON-RPC connections from this address: a single IP (1.2.3.4, ::1) or a subnet "
     "(1.2.3.0/24, 1.2.3.0/255.255.255.0, fd00::/8). Localhost is always allowed.",
     ARGS_MULTI, NULL},
    {"rpcuser", "<user>", NULL, "User name for JSON-RPC connections.", 0, NULL},
    {"rpcpassword", "<pw>", NULL,
     "Password for JSON-RPC connections. Without it a random cookie is written to .cookie in "
     "the network data directory.",
     0, NULL},
    {"rpcauth", "<userpw>", NULL,
     "User name and salted HMAC-SHA256 of the password for JSON-RPC connections, as "
     "<user>:<salt>$<hash> (the format of bitcoind's rpcauth.py).",
     ARGS_MULTI, NULL},
    {"rpcthreads", "<n>", "4", "Number of threads serving RPC calls.", 0, NULL},
    {"rest", NULL, "0",
     "Answer read-only REST requests (GET /rest/<resource>/<id>.json: block, tx, account, "
     "listing, order, review) on the RPC port, without credentials (doc/events.md).", 0, NULL},
    {"rpcworkqueue", "<n>", "16",
     "Depth of the queue of RPC calls waiting for a thread; further calls get HTTP 503.", 0,
     NULL},
    {"rpcservertimeout", "<n>", "30",
     "Seconds an RPC connection may stay idle, and a request may take to arrive whole from "
     "its first byte.",
     0, NULL},
};
const size_t rpc_control_options_count =
    sizeof rpc_control_options / sizeof rpc_control_options[0];

/* The one service of the process. */
static struct {
    struct node_ctx *ctx;
    struct rpc_auth auth;
    bool cookie;
    struct sse_server *sse; /* GET /events */
} service;

/* ------------------------------------------------------------ HTTP handler */

static void reply_text(struct http_req *r, int status, const char *text)
{
    http_req_add_reply_header(r, "Content-Type", "text/plain");
    http_req_reply(r, status, text, strlen(text));
}

/* Runs on the event loop for every request (httpserver checks the
 * credentials before it reads a body); rpc_auth caches the headers that
 * passed, so this is one keyed hash. */
static bool authorize(const char *header, char *user, size_t user_len, void *arg)
{
    (void)arg;
    return rpc_auth_check_header(&service.auth, header, user, user_len);
}

static void on_rpc_request(struct http_req *r, void *arg)
{
    (void)arg;
    if (http_req_method(r) != HTTP_METHOD_POST) {
        reply_text(r, 405, "JSONRPC server handles only POST requests\n");
        return;
    }
    size_t len;
    const char *body = http_req_body(r, &len);
    struct rpc_reply rep;
    rpc_dispatch(service.ctx->rpc, service.ctx, http_req_uri(r), http_req_user(r), body, len,
                 &rep);
    if (rep.body != NULL)
        http_req_add_reply_header(r, "Content-Type", "application/json");
    http_req_reply_take(r, rep.status, rep.body, rep.len);
    rep.body = NULL;
    rep.len = 0;
}

/* The event loop's share: a lone call of a method that never blocks
 * (getblockcount, getbestblockhash, uptime) is answered right there, which
 * saves two thread hand-offs per call. */
static bool on_rpc_request_fast(struct http_req *r, void *arg)
{
    (void)arg;
    if (http_req_method(r) != HTTP_METHOD_POST)
        return false;
    size_t len;
    const char *body = http_req_body(r, &len);
    struct rpc_reply rep;
    if (!rpc_dispatch_on_loop(service.ctx->rpc, service.ctx, http_req_uri(r), http_req_user(r),
                              body, len, &rep))
        return false;
    if (rep.body != NULL)
        http_req_add_reply_header(r, "Content-Type", "application/json");
    http_req_reply_take(r, rep.status, rep.body, rep.len);
    return true;
}

/* ------------------------------------------------------------ service */

static bool setup_auth(struct node_ctx *ctx, char *err, size_t errlen)
{
    const char *pass = args_get_str(ctx->args, "rpcpassword", NULL);
    if (pass != NULL && pass[0] != '\0') {
        const char *user = args_get_str(ctx->args, "rpcuser", "");
        if (!rpc_auth_add_password(&service.auth, user, pass, err, errlen))
            return false;
    } else {
        char cookie[RPC_AUTH_COOKIE_PASS_LEN + 1];
        if (!rpc_auth_cookie_create(ctx->datadir, cookie, err, errlen))
            return false;
        service.cookie = true;
        bool ok = rpc_auth_add_password(&service.auth, RPC_AUTH_COOKIE_USER, cookie, err, errlen);
        memset(cookie, 0, sizeof cookie);
        if (!ok)
            return false;
        LOG_INFO(LOG_CAT_RPC, "generated RPC authentication cookie %s/%s", ctx->datadir,
                 RPC_AUTH_COOKIE_FILE);
    }
    const char *const *list;
    size_t n = args_get_list(ctx->args, "rpcauth", &list);
    for (size_t i = 0; i < n; i++)
        if (!rpc_auth_add_rpcauth(&service.auth, list[i], err, errlen))
            return false;
    return true;
}

bool rpc_service_start(struct node_ctx *ctx, char *err, size_t errlen)
{
    int64_t port, threads, queue, timeout;
    bool rest;
    if (args_get_bool(ctx->args, "rest", false, &rest, err, errlen) != ARGS_OK ||
        args_get_int(ctx->args, "rpcport", ctx->params->rpc_port, 1, 65535, &port, err, errlen) !=
            ARGS_OK ||
        args_get_int(ctx->args, "rpcthreads", HTTP_DEFAULT_THREADS, 1, 256, &threads, err,
                     errlen) != ARGS_OK ||
        args_get_int(ctx->args, "rpcworkqueue", HTTP_DEFAULT_WORKQUEUE, 1, 65536, &queue, err,
                     errlen) != ARGS_OK ||
        args_get_int(ctx->args, "rpcservertimeout", HTTP_SERVER_TIMEOUT, 1, 86400, &timeout, err,
                     errlen) != ARGS_OK)
        return false;

    const char *const *allow_s;
    size_t n_allow = args_get_list(ctx->args, "rpcallowip", &allow_s);
    struct http_subnet *allow = calloc(n_allow + 1, sizeof *allow);
    if (allow == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (size_t i = 0; i < n_allow; i++)
        if (!http_subnet_parse(allow_s[i], &allow[i])) {
            snprintf(err, errlen, "Invalid -rpcallowip subnet specification: %.200s", allow_s[i]);
            free(allow);
            return false;
        }
    struct http_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n_bind = args_get_list(ctx->args, "rpcbind", &cfg.bind);
    cfg.port = (uint16_t)port;
    cfg.allow = allow;
    cfg.n_allow = n_allow;
    cfg.threads = (int)threads;
    cfg.workqueue = (int)queue;
    cfg.timeout = (int)timeout;
    cfg.authorize = authorize;
    cfg.auth_fail_delay_ms = RPC_AUTH_FAIL_DELAY_MS;

    rpc_secure_alloc_init();
    service.ctx = ctx;
    rpc_auth_init(&service.auth);
    service.cookie = false;
    bool ok = setup_auth(ctx, err, errlen) && http_server_new(ctx->base, &cfg, &ctx->http, err, errlen);
    free(allow);
    if (ok && (!http_server_add_handler(ctx->http, "/", true, on_rpc_request, NULL) ||
               !http_server_add_handler(ctx->http, "/wallet/", false, on_rpc_request, NULL) ||
               (rest && !http_server_add_public_handler(ctx->http, "/rest/", false, rest_handle,
                                                        ctx)))) {
        snprintf(err, errlen, "out of memory");
        ok = false;
    }
    if (ok && ctx->events != NULL)
        ok = sse_start(ctx, ctx->http, (int)timeout, &service.sse, err, errlen);
    if (ok)
        http_server_set_fast_path(ctx->http, on_rpc_request_fast, NULL);
    if (!ok)
        rpc_service_stop(ctx);
    return ok;
}

void rpc_service_interrupt(struct node_ctx *ctx)
{
    sse_stop(service.sse);
    if (ctx->http != NULL)
        http_server_interrupt(ctx->http);
}

void rpc_service_stop(struct node_ctx *ctx)
{
    sse_stop(service.sse);
    http_server_free(ctx->http);
    ctx->http = NULL;
    sse_free(service.sse);
    service.sse = NULL;
    if (service.cookie)
        rpc_auth_cookie_remove(ctx->datadir);
    service.cookie = false;
    rpc_auth_clear(&service.auth);
    service.ctx = NULL;
}

/* ------------------------------------------------------------ methods */

static bool rpc_help(struct rpc_request *req, json_t **result)
{
    const char *name;
    if (!rpc_param_str(req, 0, NULL, &name))
        return false;
    struct buf b;
    buf_init(&b);
    bool ok;
    if (name == NULL) {
        ok = rpc_table_help(req->table, &b);
    } else {
        const struct rpc_method *m = rpc_table_find(req->table, name);
        if (m == NULL) {
            /* As bitcoind: an unknown topic is a result, not an error. */
            char line[300];
            snprintf(line, sizeof line, "help: unknown command: %.250s\n", name);
            /* The cut may split a character; the reply must stay UTF-8. */
            rpc_utf8_sanitize(line);
            ok = buf_append(&b, line, strlen(line));
        } else {
            ok = rpc_method_help(m, &b);
        }
    }
    /* Drop the final newline: the client adds its own. */
    while (ok && b.len > 0 && b.data[b.len - 1] == '\n')
        b.len--;
    if (ok)
        *result = json_stringn((const char *)b.data, b.len);
    buf_clear(&b);
    if (!ok || *result == NULL)
        return rpc_nomem(req);
    return true;
}

static bool schema_add(json_t *obj, const struct rpc_method *m)
{
    json_t *args = rpc_method_schema_json(m);
    return args != NULL && json_object_set_new(obj, m->name, args) == 0;
}

static bool rpc_getrpcschema(struct rpc_request *req, json_t **result)
{
    const char *name;
    if (!rpc_param_str(req, 0, NULL, &name))
        return false;
    const struct rpc_method *m = NULL;
    /* -8 rather than -32601: the method called, getrpcschema, exists; a
     * client tells "no such method" from "no getrpcschema" by the code. */
    if (name != NULL && (m = rpc_table_find(req->table, name)) == NULL)
        return rpc_error(req, RPC_INVALID_PARAMETER, "Method not found: %.100s", name);
    json_t *obj = json_object();
    bool ok = obj != NULL;
    if (ok && m != NULL)
        ok = schema_add(obj, m);
    for (size_t i = 0; ok && m == NULL && i < req->table->n; i++)
        ok = schema_add(obj, req->table->methods[i]);
    if (!ok) {
        json_decref(obj);
        return rpc_error(req, RPC_INTERNAL_ERROR, "out of memory");
    }
    *result = obj;
    return true;
}

static bool rpc_uptime(struct rpc_request *req, json_t **result)
{
    if (req->node == NULL)
        return rpc_error(req, RPC_INTERNAL_ERROR, "no node");
    int64_t up = time_now() - req->node->start_time;
    *result = json_integer(up < 0 ? 0 : up);
    return *result != NULL;
}

static bool rpc_stop(struct rpc_request *req, json_t **result)
{
    if (req->node == NULL || req->node->request_shutdown == NULL)
        return rpc_error(req, RPC_INTERNAL_ERROR, "no node to stop");
    LOG_INFO(LOG_CAT_RPC, "stop requested over RPC by %s", req->user != NULL ? req->user : "?");
    req->node->request_shutdown(req->node);
    *result = json_string("souk stopping");
    return *result != NULL;
}

static bool rpc_getrpcinfo(struct rpc_request *req, json_t **result)
{
    json_t *arr = json_array();
    if (arr == NULL || !rpc_active_commands(arr)) {
        json_decref(arr);
        return rpc_nomem(req);
    }
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/debug.log", req->node != NULL ? req->node->datadir : ".");
    return rpc_done(req, result, json_pack("{s:o,s:s}", "active_commands", arr, "logpath", path));
}

/* Regtest only, as in bitcoind: tests move the node's clock (block times,
 * chat expiry) without waiting. */
static bool rpc_setmocktime(struct rpc_request *req, json_t **result)
{
    int64_t t;
    if (!rpc_param_int(req, 0, -1, 0, INT64_MAX / 2, &t))
        return false;
    if (rpc_param(req, 0) == NULL)
        return rpc_error(req, RPC_INVALID_PARAMS, "Missing required parameter 'timestamp'");
    if (req->node == NULL || req->node->params->network != CHAIN_REGTEST)
        return rpc_error(req, RPC_METHOD_NOT_FOUND, "setmocktime is for regression testing (-regtest) only");
    if (!time_set_mock(t))
        return rpc_error(req, RPC_INVALID_PARAMETER, "Timestamp must be 0 or greater");
    return rpc_done(req, result, json_null());
}

static const struct rpc_method control_methods[] = {
    {"control", "help", rpc_help, "List all commands, or get help for a specified command.",
     "Result:\n  \"text\"    (string) the help text",
     {{"command", RPC_ARG_STR, true, "The command to get help on (default: all commands)"}}},
    {"control", "getrpcschema", rpc_getrpcschema,
     "Returns the declared arguments of one method, or of all methods.",
     "Clients use it to send each argument as the JSON type the method expects (souk-cli sends\n"
     "a string argument as a string even when it looks like a number). Types: \"string\",\n"
     "\"int\", \"number\", \"bool\", \"amount\" (number or string of coins), \"hex\", \"hash\"\n"
     "(64 hex digits), \"object\", \"array\", \"any\"; a client should treat a type it does\n"
     "not know as \"any\". Answered during warm-up.\n"
     "Result:\n"
     "{\n"
     "  \"method\": [                  (array) the method's arguments in order\n"
     "    {\"name\": \"...\",            (string) also the key for named parameters\n"
     "     \"type\": \"...\",            (string) one of the types above\n"
     "     \"optional\": true|false}    (boolean)\n"
     "  ], ...\n"
     "}\n"
     "Errors: -8 no such method",
     {{"method", RPC_ARG_STR, true, "The method to describe (default: all methods)"}}},
    {"control", "uptime", rpc_uptime, "Returns the total uptime of the server.",
     "Result:\n  n    (numeric) the number of seconds that the server has been running",
     {{NULL, 0, false, NULL}}},
    {"control", "setmocktime", rpc_setmocktime,
     "Sets the node's clock to a fixed time (regtest only).",
     "0 returns to the system clock. The time is what the node compares block times and\n"
     "chat message lifetimes with.\n"
     "Result: null",
     {{"timestamp", RPC_ARG_INT, false, "Seconds since the epoch, or 0"}}},
    {"control", "stop", rpc_stop, "Request a graceful shutdown of souk.",
     "Result:\n  \"souk stopping\"    (string) the process exits shortly after the reply",
     {{NULL, 0, false, NULL}}},
    {"control", "getrpcinfo", rpc_getrpcinfo, "Returns details of the RPC server.",
     "Result:\n"
     "{\n"
     "  \"active_commands\": [    (array) the calls running now\n"
     "    {\"method\": \"...\",     (string) the name of the method\n"
     "     \"duration\": n}       (numeric) microseconds it has been running\n"
     "  ],\n"
     "  \"logpath\": \"...\"        (string) the complete path of the debug log\n"
     "}",
     {{NULL, 0, false, NULL}}},
};

bool rpc_control_register(struct rpc_table *t, char *err, size_t errlen)
{
    return rpc_register_table(t, control_methods,
                              sizeof control_methods / sizeof control_methods[0], err, errlen) &&
           rpc_table_run_on_loop(t, "uptime", err, errlen);
}
