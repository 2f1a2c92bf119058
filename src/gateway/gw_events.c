#include "gateway/gw_events.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "consensus/chainparams.h"
#include "crypto/address.h"
#include "gateway/gw_impl.h"
#include "rpc/sse.h"
#include "util/time.h"

#define GW_EVENTS_STALL_SECONDS 30

static void refuse(struct evhttp_request *ev, int status, const char *msg)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(ev);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "Cache-Control", "no-store");
    struct evbuffer *b = evbuffer_new();
    json_t *o = json_pack("{s:s}", "error", msg);
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    if (b != NULL && text != NULL)
        evbuffer_add(b, text, strlen(text));
    evhttp_send_reply(ev, status, status == 401 ? "Unauthorized" : "Error", b);
    free(text);
    json_decref(o);
    if (b != NULL)
        evbuffer_free(b);
}

/* The session's account, then its wallet's addresses as keys. */
static bool account_keys(void *ctx, struct evhttp_request *ev, uint8_t (*keys)[32], size_t max,
                         size_t *n)
{
    struct gateway *g = ctx;
    *n = 0;
    const char *cookie = evhttp_find_header(evhttp_request_get_input_headers(ev), "Cookie");
    char token[GW_TOKEN_HEX + 1];
    struct gw_session_info info;
    if (cookie == NULL || !gw_cookie_token(cookie, token) ||
        gw_sessions_get(&g->sessions, token, time_now(), &info) != GW_SESSION_VALID) {
        refuse(ev, 401, "Please log in.");
        return false;
    }
    char uri[GW_WALLET_NAME_MAX + 16];
    snprintf(uri, sizeof uri, "/wallet/%s", info.wallet);
    json_t *params = json_array(), *result = NULL;
    int code = 0;
    char *msg = NULL;
    bool ok = params != NULL &&
              rpc_call(g->ctx->rpc, g->ctx, uri, "listaddresses", params, &result, &code, &msg);
    json_decref(params);
    free(msg);
    size_t i;
    json_t *item;
    json_array_foreach(ok ? result : NULL, i, item) {
        const char *a = json_string_value(json_object_get(item, "address"));
        if (*n < max && a != NULL &&
            address_decode(g->ctx->params->hrp, a, keys[*n]) == ADDRESS_OK)
            (*n)++;
    }
    json_decref(result);
    if (*n == 0) {
        refuse(ev, 503, "Your wallet is not open. Please log in again.");
        return false;
    }
    return true;
}

bool gw_events_start(struct gateway *g, char *err, size_t errlen)
{
    return sse_start_route(g->ctx, g->http, "/api/events", account_keys, g,
                           GW_EVENTS_STALL_SECONDS, &g->events, err, errlen);
}

void gw_events_stop(struct gateway *g)
{
    sse_stop(g->events);
}

void gw_events_free(struct gateway *g)
{
    sse_free(g->events);
    g->events = NULL;
}
