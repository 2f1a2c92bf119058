#define _POSIX_C_SOURCE 200809L
#include "gateway/gateway.h"
#include "souk-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "consensus/chainparams.h"
#include "gateway/gw_events.h"
#include "gateway/gw_impl.h"
#include "gateway/gw_rpc.h"
#include "gateway/gw_static.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/time.h"

#ifndef SOUK_WEBDIR
#define SOUK_WEBDIR "/usr/local/share/souk/web"
#endif

const struct args_option gateway_options[] = {
    {"gateway", NULL, "0",
     "Serve platform accounts and the web app to people without a node of their own "
     "(doc/gateway.md).",
     0, "Gateway options"},
    {"gatewayport", "<port>", "the RPC port + 2", "Listen for the gateway on this port.", 0,
     NULL},
    {"gatewaybind", "<addr>[:port]", "127.0.0.1",
     "Listen for the gateway on this address (IPv6 as [host]:port); put a TLS reverse proxy "
     "in front for anyone beyond this machine.",
     ARGS_MULTI, NULL},
    {"webdir", "<dir>", SOUK_WEBDIR, "Serve the web app's files from this directory.", 0, NULL},
    {"gatewaysessiontimeout", "<secs>", "1800",
     "End a gateway session after this many seconds without a request (a session lasts 12 "
     "hours at most).",
     0, NULL},
    {"gatewaysecurecookie", NULL, "0",
     "Mark the session cookie Secure (sent over HTTPS only): set it when a TLS proxy is in "
     "front.",
     0, NULL},
    {"gatewaytrustproxy", NULL, "0",
     "Take the client's address from the last X-Forwarded-For entry (set it only behind a "
     "reverse proxy that writes that header).",
     0, NULL},
};
const size_t gateway_options_count = sizeof gateway_options / sizeof gateway_options[0];

/* ------------------------------------------------------------ replies */

void gw_security_headers(struct http_req *r)
{
    http_req_add_reply_header(r, "Content-Security-Policy",
                              "default-src 'self'; script-src 'self'; style-src 'self'; "
                              "img-src 'self' data: blob:; connect-src 'self'; "
                              "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                              "form-action 'self'");
    http_req_add_reply_header(r, "X-Content-Type-Options", "nosniff");
    http_req_add_reply_header(r, "Referrer-Policy", "no-referrer");
}

void gw_reply_json(struct http_req *r, int status, json_t *v)
{
    char *s = v != NULL ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    gw_security_headers(r);
    http_req_add_reply_header(r, "Cache-Control", "no-store");
    if (s == NULL) {
        static const char oom[] = "{\"error\":\"The server ran out of memory. Try again.\"}";
        http_req_add_reply_header(r, "Content-Type", "application/json");
        http_req_reply(r, 500, oom, sizeof oom - 1);
        return;
    }
    http_req_add_reply_header(r, "Content-Type", "application/json");
    http_req_reply_take(r, status, s, strlen(s));
}

void gw_reply_error(struct http_req *r, int status, const char *msg)
{
    gw_reply_json(r, status, json_pack("{s:s}", "error", msg));
}

static void reply_text(struct http_req *r, int status, const char *text)
{
    gw_security_headers(r);
    http_req_add_reply_header(r, "Content-Type", "text/plain; charset=utf-8");
    http_req_reply(r, status, text, strlen(text));
}

void gw_client_key(const struct gateway *g, const struct http_req *r, char *out, size_t outlen)
{
    const char *fwd = g->trust_proxy ? http_req_header(r, "X-Forwarded-For") : NULL;
    if (fwd != NULL && fwd[0] != '\0') {
        const char *last = strrchr(fwd, ',');
        last = last != NULL ? last + 1 : fwd;
        while (*last == ' ' || *last == '\t')
            last++;
        size_t n = strcspn(last, " \t");
        if (n > 0 && n < outlen) {
            memcpy(out, last, n);
            out[n] = '\0';
            return;
        }
    }
    /* "addr:port": the port is the client's choice, not part of it. */
    snprintf(out, outlen, "%s", http_req_peer(r));
    char *colon = strrchr(out, ':');
    if (colon != NULL)
        *colon = '\0';
}

/* ------------------------------------------------------------ routes */

static void on_static(struct http_req *r, void *arg)
{
    struct gateway *g = arg;
    enum http_method m = http_req_method(r);
    if (m != HTTP_METHOD_GET && m != HTTP_METHOD_HEAD) {
        http_req_add_reply_header(r, "Allow", "GET, HEAD");
        reply_text(r, 405, "Method not allowed\n");
        return;
    }
    char rel[GW_STATIC_PATH_MAX];
    struct buf b;
    buf_init(&b);
    if (!gw_static_path(http_req_uri(r), rel) || !gw_static_read(g->webdir, rel, &b)) {
        buf_clear(&b);
        reply_text(r, 404, "Not found\n");
        return;
    }
    gw_security_headers(r);
    http_req_add_reply_header(r, "Content-Type", gw_static_type(rel));
    http_req_add_reply_header(r, "Cache-Control", "no-cache");
    if (b.len == 0 || m == HTTP_METHOD_HEAD) {
        /* evhttp would send a body even to HEAD: the length alone goes. */
        char len[32];
        snprintf(len, sizeof len, "%zu", b.len);
        http_req_add_reply_header(r, "Content-Length", len);
        buf_clear(&b);
        http_req_reply(r, 200, NULL, 0);
        return;
    }
    /* The reply takes the buffer's block as it is. */
    http_req_reply_take(r, 200, (char *)b.data, b.len);
}

static void on_api(struct http_req *r, void *arg)
{
    gw_api_handle(arg, r);
}

/* ------------------------------------------------------------ sweeper */

static void sweep_release(void *ctx, const struct gw_session_info *info)
{
    struct gateway *g = ctx;
    gw_release_wallet(g, info->username, info->wallet);
}

/* Ends idle sessions on its own thread: unloading a wallet waits for its
 * index thread, which the event loop must never do. */
static void *sweeper_main(void *arg)
{
    struct gateway *g = arg;
    pthread_mutex_lock(&g->stop_mu);
    while (!g->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += g->sweep_every;
        pthread_cond_timedwait(&g->stop_cond, &g->stop_mu, &ts);
        if (g->stopping)
            break;
        pthread_mutex_unlock(&g->stop_mu);
        size_t n = gw_sessions_sweep(&g->sessions, time_now(), sweep_release, g);
        if (n > 0)
            LOG_DEBUG(LOG_CAT_HTTP, "gateway: %zu idle session(s) ended", n);
        pthread_mutex_lock(&g->stop_mu);
    }
    pthread_mutex_unlock(&g->stop_mu);
    return NULL;
}

/* ------------------------------------------------------------ service */

static bool gw_refuse(struct rpc_request *req, json_t **result)
{
    (void)result;
    int64_t code;
    const char *msg;
    if (!rpc_param_int(req, 0, 0, INT32_MIN, INT32_MAX, &code) ||
        !rpc_param_str(req, 1, NULL, &msg))
        return false;
    return rpc_error(req, (int)code, "%s", msg);
}

static const struct rpc_method gw_refuse_method[] = {
    {"gateway", GW_RPC_REFUSE_METHOD, gw_refuse,
     "Answers a call the gateway does not pass on (never reachable by name).", NULL,
     {{"code", RPC_ARG_INT, false, "The error code"},
      {"message", RPC_ARG_STR, false, "The error message"}}},
};

/* The node's methods (so that actions reach walletcreatetransaction and
 * the other methods they call through the table) and the refusal. */
static bool build_table(struct gateway *g, char *err, size_t errlen)
{
    rpc_table_init(&g->table);
    const struct rpc_table *node = g->ctx->rpc;
    for (size_t i = 0; i < node->n; i++)
        if (!rpc_register_table(&g->table, node->methods[i], 1, err, errlen))
            return false;
    return rpc_register_table(&g->table, gw_refuse_method, 1, err, errlen);
}

static void gateway_free(struct gateway *g)
{
    if (g == NULL)
        return;
    gw_events_stop(g);
    http_server_free(g->http);
    gw_events_free(g);
    if (g->sweeper_running) {
        pthread_mutex_lock(&g->stop_mu);
        g->stopping = true;
        pthread_cond_signal(&g->stop_cond);
        pthread_mutex_unlock(&g->stop_mu);
        pthread_join(g->sweeper, NULL);
    }
    /* Every account wallet still unlocked is locked and unloaded: a
     * stopped gateway leaves no key open. */
    gw_sessions_sweep(&g->sessions, INT64_MAX / 2, sweep_release, g);
    gw_store_close(g->store);
    rpc_table_clear(&g->table);
    gw_sessions_clear(&g->sessions);
    gw_throttle_clear(&g->by_account);
    gw_throttle_clear(&g->by_address);
    gw_throttle_clear(&g->signups);
    pthread_mutex_destroy(&g->wallet_mu);
    pthread_mutex_destroy(&g->stop_mu);
    pthread_cond_destroy(&g->stop_cond);
    free(g);
}

static bool read_options(struct gateway *g, int64_t *port, int64_t *idle, char *err,
                         size_t errlen)
{
    struct node_ctx *ctx = g->ctx;
    int64_t rpc_port;
    if (args_get_int(ctx->args, "rpcport", ctx->params->rpc_port, 1, 65535, &rpc_port, err,
                     errlen) != ARGS_OK)
        return false;
    int64_t def_port = rpc_port + 2 <= 65535 ? rpc_port + 2 : rpc_port - 2;
    if (args_get_int(ctx->args, "gatewayport", def_port, 1, 65535, port, err, errlen) !=
            ARGS_OK ||
        args_get_int(ctx->args, "gatewaysessiontimeout", GATEWAY_SESSION_IDLE, 1,
                     GATEWAY_SESSION_MAX_AGE, idle, err, errlen) != ARGS_OK ||
        args_get_bool(ctx->args, "gatewaysecurecookie", false, &g->secure_cookie, err,
                      errlen) != ARGS_OK ||
        args_get_bool(ctx->args, "gatewaytrustproxy", false, &g->trust_proxy, err, errlen) !=
            ARGS_OK)
        return false;
    const char *webdir = args_get_str(ctx->args, "webdir", SOUK_WEBDIR);
    if (snprintf(g->webdir, sizeof g->webdir, "%s", webdir) >= (int)sizeof g->webdir ||
        snprintf(g->deleted_dir, sizeof g->deleted_dir, "%s/gateway-deleted", ctx->datadir) >=
            (int)sizeof g->deleted_dir) {
        snprintf(err, errlen, "-webdir or the data directory path is too long");
        return false;
    }
    struct stat st;
    if (stat(g->webdir, &st) != 0 || !S_ISDIR(st.st_mode))
        LOG_WARN(LOG_CAT_HTTP, "gateway: -webdir %s is not a directory: the web app will not load",
                 g->webdir);
    return true;
}

bool gateway_start(struct node_ctx *ctx, char *err, size_t errlen)
{
    bool on = false;
    if (args_get_bool(ctx->args, "gateway", false, &on, err, errlen) != ARGS_OK)
        return false;
    if (!on)
        return true;
    struct gateway *g = calloc(1, sizeof *g);
    if (g == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    g->ctx = ctx;
    g->wm = ctx->wallet;
    pthread_mutex_init(&g->wallet_mu, NULL);
    pthread_mutex_init(&g->stop_mu, NULL);
    pthread_cond_init(&g->stop_cond, NULL);
    int64_t port, idle;
    gw_sessions_init(&g->sessions, GATEWAY_SESSION_IDLE, GATEWAY_SESSION_MAX_AGE);
    const int64_t max_ms = GATEWAY_THROTTLE_MAX_DELAY * INT64_C(1000);
    gw_throttle_init(&g->by_account, GATEWAY_THROTTLE_ACCOUNT, max_ms);
    gw_throttle_init(&g->by_address, GATEWAY_THROTTLE_ADDRESS, max_ms);
    gw_throttle_init(&g->signups, GATEWAY_THROTTLE_SIGNUP, max_ms);
    if (!read_options(g, &port, &idle, err, errlen) || !build_table(g, err, errlen)) {
        gateway_free(g);
        return false;
    }
    g->sessions.idle = idle;
    g->sweep_every = idle / 4 < 1 ? 1 : idle / 4 > 60 ? 60 : idle / 4;

    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/gateway.sqlite", ctx->datadir);
    char why[512] = "";
    if (!gw_store_open(path, &g->store, why, sizeof why)) {
        snprintf(err, errlen, "cannot open %s: %s", path, why);
        gateway_free(g);
        return false;
    }
    if (g->wm == NULL)
        LOG_WARN(LOG_CAT_HTTP, "gateway: the node runs with -disablewallet, so nobody can sign "
                               "up or log in");
    else
        gw_finish_deletions(g);

    const char *const *binds;
    static const char *const loopback[] = {"127.0.0.1"};
    size_t n_bind = args_get_list(ctx->args, "gatewaybind", &binds);
    if (n_bind == 0) {
        binds = loopback;
        n_bind = 1;
    }
    /* Anyone who reaches the socket may use it: who can reach it is what
     * -gatewaybind (and the proxy in front) decide. */
    struct http_subnet anyone[2];
    if (!http_subnet_parse("0.0.0.0/0", &anyone[0]) || !http_subnet_parse("::/0", &anyone[1])) {
        snprintf(err, errlen, "cannot set up the gateway's address filter");
        gateway_free(g);
        return false;
    }
    struct http_config cfg = {
        .bind = binds,
        .n_bind = n_bind,
        .port = (uint16_t)port,
        .allow = anyone,
        .n_allow = 2,
        .threads = GATEWAY_THREADS,
        .workqueue = GATEWAY_WORKQUEUE,
        .timeout = 0,
        .authorize = NULL,
        .auth_fail_delay_ms = -1,
        .max_body = GATEWAY_MAX_BODY,
        .name = "gateway",
    };
    if (!http_server_new(ctx->base, &cfg, &g->http, why, sizeof why)) {
        /* The HTTP layer names the RPC options; these are the gateway's. */
        snprintf(err, errlen, "-gatewaybind/-gatewayport %u: %s", (unsigned)port, why);
        gateway_free(g);
        return false;
    }
    if (!gw_events_start(g, why, sizeof why)) {
        snprintf(err, errlen, "gateway: %s", why);
        gateway_free(g);
        return false;
    }
    if (!http_server_add_handler(g->http, "/api/", false, on_api, g) ||
        !http_server_add_handler(g->http, "/", false, on_static, g)) {
        snprintf(err, errlen, "out of memory");
        gateway_free(g);
        return false;
    }
    if (pthread_create(&g->sweeper, NULL, sweeper_main, g) != 0) {
        snprintf(err, errlen, "cannot start the gateway's session sweeper");
        gateway_free(g);
        return false;
    }
    g->sweeper_running = true;
    ctx->gateway = g;
    LOG_INFO(LOG_CAT_HTTP, "gateway listening on port %u, web app from %s", (unsigned)port,
             g->webdir);
    return true;
}

void gateway_stop(struct node_ctx *ctx)
{
    struct gateway *g = ctx->gateway;
    if (g == NULL)
        return;
    ctx->gateway = NULL;
    gateway_free(g);
}
