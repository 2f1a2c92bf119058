#include "rpc/sse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "consensus/chainparams.h"
#include "crypto/address.h"
#include "node/eventbus.h"
#include "node/node.h"
#include "rpc/httpserver.h"
#include "rpc/rpcutil.h"
#include "rpc/server.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/time.h"

/* Events read from the bus per step. */
#define SSE_BATCH 64
/* How often streams are looked after: output drained, keepalives, gone clients. */
#define SSE_TICK_MS 200

struct sse_client {
    struct sse_server *srv;
    struct evhttp_request *ev;
    uint8_t keys[SSE_MAX_ADDRESSES][32];
    size_t n_keys;
    uint64_t cursor;       /* the last event id looked at for it */
    int64_t last_write_us; /* for keepalives */
    struct sse_client *prev, *next;
};

struct sse_server {
    struct node_ctx *node;
    int stall_seconds;
    struct event *wake_ev;  /* made active by the bus, from any thread */
    struct event *tick_ev;
    struct sse_client *clients;
    size_t n_clients;
    bool stopped;
    sse_keys_fn keys_fn; /* NULL: the addresses of the query string */
    void *keys_ctx;
    struct node_event batch[SSE_BATCH];
};

/* ---- formatting ---------------------------------------------------------- */

static json_t *sse_hex(const uint8_t *p)
{
    char hex[65];
    hex_encode(p, 32, hex);
    return json_string(hex);
}

static json_t *sse_addr(const struct sse_server *s, const uint8_t *key)
{
    char addr[ADDRESS_MAX_LEN + 1];
    if (address_encode(s->node->params->hrp, key, addr, sizeof addr) != ADDRESS_OK)
        return json_null();
    return json_string(addr);
}

/* The event's SSE name: a transaction type's first word ("order" for
 * order_accept), so a client tells kinds apart without knowing every type. */
static void sse_name(const struct node_event *e, char *out, size_t cap)
{
    if (e->kind == NODE_EVENT_BLOCK) {
        snprintf(out, cap, "block");
    } else if (e->kind == NODE_EVENT_MESSAGE) {
        snprintf(out, cap, "message");
    } else if (e->is_payment) {
        snprintf(out, cap, "payment");
    } else {
        size_t n = strcspn(e->type, "_");
        snprintf(out, cap, "%.*s", (int)n, e->type);
    }
}

static json_t *sse_data(const struct sse_server *s, const struct node_event *e)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    if (e->kind == NODE_EVENT_BLOCK) {
        return rpc_built(o, ok && rpc_put(o, "hash", sse_hex(e->hash)) &&
                                rpc_put(o, "height", json_integer((json_int_t)e->height)) &&
                                rpc_put(o, "connected", json_boolean(e->flag)) &&
                                rpc_put(o, "time", json_integer(e->time)));
    }
    if (e->kind == NODE_EVENT_MESSAGE) {
        return rpc_built(o, ok && rpc_put(o, "id", sse_hex(e->hash)) &&
                                rpc_put(o, "from", sse_addr(s, e->keys[0])) &&
                                rpc_put(o, "to", sse_addr(s, e->keys[1])) &&
                                rpc_put(o, "order_id", e->has_object ? sse_hex(e->object)
                                                                     : json_null()) &&
                                rpc_put(o, "time", json_integer(e->time)));
    }
    /* Work that fell due in a block (an order's timeout) has no tx. */
    json_t *txid = e->kind == NODE_EVENT_DEADLINE ? json_null() : sse_hex(e->hash);
    ok = ok && rpc_put(o, "txid", txid) && rpc_put(o, "type", json_string(e->type)) &&
         rpc_put(o, "confirmed", json_boolean(e->flag)) &&
         rpc_put(o, "height", e->flag ? json_integer((json_int_t)e->height) : json_null());
    if (e->is_payment) {
        /* A coinbase has no payer; a transfer's payer is its sender. */
        bool coinbase = strcmp(e->type, "coinbase") == 0;
        ok = ok && rpc_put(o, "from", coinbase ? json_null() : sse_addr(s, e->keys[0])) &&
             rpc_put(o, "to", sse_addr(s, e->payee)) &&
             rpc_put(o, "amount", rpc_amount_json(e->amount));
    } else {
        json_t *addrs = json_array();
        ok = ok && rpc_put(o, "object", sse_hex(e->object)) && rpc_put(o, "addresses", addrs);
        for (size_t i = 0; ok && i < e->n_keys; i++)
            ok = rpc_append(addrs, sse_addr(s, e->keys[i]), true);
    }
    return rpc_built(o, ok && rpc_put(o, "time", json_integer(e->time)));
}

/* Appends one event in SSE framing; false on allocation failure. */
static bool sse_format(const struct sse_server *s, const struct node_event *e,
                       struct evbuffer *out)
{
    json_t *data = sse_data(s, e);
    char *text = data != NULL ? rpc_json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    char name[NODE_EVENT_TYPE_MAX + 1];
    sse_name(e, name, sizeof name);
    bool ok = text != NULL &&
              evbuffer_add_printf(out, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", e->id, name,
                                  text) > 0;
    free(text);
    return ok;
}

/* ---- clients ------------------------------------------------------------- */

static void sse_unlink(struct sse_client *c)
{
    struct sse_server *s = c->srv;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        s->clients = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    s->n_clients--;
    free(c);
}

/* Ends a stream: gracefully (the client sees the stream end), or by
 * closing the connection of a client that is not taking what it is sent. */
static void sse_end(struct sse_client *c, bool close_now, const char *why)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(c->ev);
    if (why != NULL)
        LOG_INFO(LOG_CAT_HTTP, "event client dropped: %s", why);
    if (evcon != NULL && close_now)
        evhttp_connection_free(evcon); /* frees the request with it */
    else
        evhttp_send_reply_end(c->ev); /* frees it, too, when the client has gone */
    sse_unlink(c);
}

static struct evbuffer *sse_output(struct sse_client *c)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(c->ev);
    struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
    return bev != NULL ? bufferevent_get_output(bev) : NULL;
}

static void sse_send(struct sse_client *c, struct evbuffer *chunk)
{
    if (evbuffer_get_length(chunk) == 0)
        return;
    evhttp_send_reply_chunk(c->ev, chunk);
    c->last_write_us = time_mono_us();
}

/* Whether c's output is full (it is then fed nothing more for now). A
 * client whose output stays full is dropped — *alive false, c freed —
 * once the ring no longer holds the next event it needs. (One that takes
 * nothing at all for the server timeout is closed by its connection's
 * write timeout before that, as any HTTP client.) */
static bool sse_full(struct sse_client *c, struct evbuffer *out, uint64_t oldest, bool *alive)
{
    if (evbuffer_get_length(out) < SSE_OUTPUT_MAX)
        return false;
    if (oldest != 0 && c->cursor + 1 < oldest) {
        sse_end(c, true, "it fell behind the events held (-eventsbuffer)");
        *alive = false;
    }
    return true;
}

/* Feeds c what it has not had yet, as far as its output allows. False
 * when c was ended (and freed). */
static bool sse_pump(struct sse_client *c)
{
    struct sse_server *s = c->srv;
    struct evbuffer *out = sse_output(c);
    if (out == NULL) {
        /* The client closed it, or it took nothing within the timeout. */
        LOG_DEBUG(LOG_CAT_HTTP, "event client gone");
        sse_end(c, false, NULL);
        return false;
    }
    struct evbuffer *chunk = evbuffer_new();
    if (chunk == NULL)
        return true;
    bool alive = true;
    for (;;) {
        uint64_t oldest, newest;
        eventbus_bounds(s->node->events, &oldest, &newest);
        if (sse_full(c, out, oldest, &alive) || c->cursor >= newest)
            break;
        bool missed;
        size_t n = eventbus_read(s->node->events, &c->cursor, (const uint8_t(*)[32])c->keys,
                                 c->n_keys, s->batch, SSE_BATCH, &missed);
        if (missed) {
            sse_end(c, true, "it fell behind the events held (-eventsbuffer)");
            alive = false;
            break;
        }
        for (size_t i = 0; i < n; i++)
            if (!sse_format(s, &s->batch[i], chunk))
                break;
        sse_send(c, chunk);
    }
    evbuffer_free(chunk);
    return alive;
}

static void sse_pump_all(struct sse_server *s, bool tick)
{
    int64_t now = time_mono_us();
    for (struct sse_client *c = s->clients, *next; c != NULL; c = next) {
        next = c->next;
        if (!sse_pump(c) || !tick)
            continue;
        /* Not for a client that takes nothing: its output stays bounded. */
        struct evbuffer *out = sse_output(c);
        if (out != NULL && evbuffer_get_length(out) < SSE_OUTPUT_MAX &&
            now - c->last_write_us >= (int64_t)SSE_KEEPALIVE_SECONDS * 1000000) {
            struct evbuffer *b = evbuffer_new();
            if (b != NULL && evbuffer_add_printf(b, ": keepalive\n\n") > 0)
                sse_send(c, b);
            if (b != NULL)
                evbuffer_free(b);
        }
    }
}

static void sse_on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sse_pump_all(arg, false);
}

static void sse_on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sse_pump_all(arg, true);
}

/* The bus's thread: only wakes the loop (event_active is thread-safe). */
static void sse_bus_wake(void *ctx)
{
    struct sse_server *s = ctx;
    event_active(s->wake_ev, EV_READ, 0);
}

/* ---- requests ------------------------------------------------------------ */

static void sse_refuse(struct evhttp_request *ev, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sse_refuse(struct evhttp_request *ev, int status, const char *fmt, ...)
{
    struct evbuffer *b = evbuffer_new();
    if (b != NULL) {
        va_list ap;
        va_start(ap, fmt);
        evbuffer_add_vprintf(b, fmt, ap);
        va_end(ap);
        evbuffer_add(b, "\r\n", 2);
        evhttp_add_header(evhttp_request_get_output_headers(ev), "Content-Type", "text/plain");
    }
    evhttp_send_reply(ev, status, NULL, b);
    if (b != NULL)
        evbuffer_free(b);
}

int sse_parse_query(const char *query, const char *hrp, uint8_t (*keys)[32], size_t *n,
                    char *err, size_t errlen)
{
    struct evkeyvalq kv;
    *n = 0;
    /* It initialises kv, even for an empty query. */
    if (evhttp_parse_query_str(query != NULL ? query : "", &kv) != 0) {
        evhttp_clear_headers(&kv);
        snprintf(err, errlen, "the query string does not parse");
        return 400;
    }
    int status = 0;
    char echo[96];
    for (struct evkeyval *p = kv.tqh_first; status == 0 && p != NULL; p = p->next.tqe_next) {
        if (strcmp(p->key, "address") != 0)
            continue;
        if (*n == SSE_MAX_ADDRESSES) {
            snprintf(err, errlen, "address: at most %d addresses", SSE_MAX_ADDRESSES);
            status = 400;
        } else if (address_decode(hrp, p->value, keys[*n]) != ADDRESS_OK) {
            rpc_echo(p->value, strlen(p->value), echo, sizeof echo);
            snprintf(err, errlen, "Invalid address: %s", echo);
            status = 400;
        } else {
            (*n)++;
        }
    }
    evhttp_clear_headers(&kv);
    if (status == 0 && *n == 0) {
        snprintf(err, errlen, "address: required (GET /events?address=<address>)");
        status = 400;
    }
    return status;
}

bool sse_parse_event_id(const char *v, uint64_t *id, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0) {
        char echo[48];
        rpc_echo(v, strlen(v), echo, sizeof echo);
        snprintf(err, errlen, "Last-Event-ID: expected an event id (decimal), got \"%s\"", echo);
        return false;
    }
    *id = x;
    return true;
}

/* The addresses of the query; false (refused) when none or a bad one. */
static bool sse_query_keys(struct sse_server *s, struct evhttp_request *ev, struct sse_client *c)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
    char err[200];
    int status = sse_parse_query(uri != NULL ? evhttp_uri_get_query(uri) : NULL,
                                 s->node->params->hrp, c->keys, &c->n_keys, err, sizeof err);
    if (status != 0)
        sse_refuse(ev, status, "%s", err);
    return status == 0;
}

/* Where the stream starts: after Last-Event-ID when the client sends one,
 * else at the newest event. *missed: events after it are no longer held. */
static bool sse_parse_start(struct sse_server *s, struct evhttp_request *ev,
                            struct sse_client *c, bool *missed, uint64_t *last)
{
    uint64_t oldest, newest;
    eventbus_bounds(s->node->events, &oldest, &newest);
    *missed = false;
    c->cursor = newest;
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(ev), "Last-Event-ID");
    if (v == NULL)
        return true;
    uint64_t id;
    char err[200];
    if (!sse_parse_event_id(v, &id, err, sizeof err)) {
        sse_refuse(ev, 400, "%s", err);
        return false;
    }
    *last = id;
    /* An id from the future (another node's) resumes from now. */
    if (id >= newest)
        return true;
    uint64_t floor = oldest != 0 ? oldest : newest + 1;
    if (id + 1 < floor) {
        *missed = true;
        c->cursor = floor - 1;
    } else {
        c->cursor = id;
    }
    return true;
}

static void sse_on_request(struct evhttp_request *ev, const char *user, void *arg)
{
    (void)user;
    struct sse_server *s = arg;
    if (evhttp_request_get_command(ev) != EVHTTP_REQ_GET) {
        evhttp_add_header(evhttp_request_get_output_headers(ev), "Allow", "GET");
        sse_refuse(ev, 405, "events are read with GET");
        return;
    }
    if (s->stopped) {
        sse_refuse(ev, 503, "Server is shutting down");
        return;
    }
    if (s->n_clients >= SSE_MAX_CLIENTS) {
        sse_refuse(ev, 503, "too many event clients (%d)", SSE_MAX_CLIENTS);
        return;
    }
    struct sse_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        sse_refuse(ev, 500, "out of memory");
        return;
    }
    bool missed;
    uint64_t last = 0;
    bool keyed = s->keys_fn != NULL
                     ? s->keys_fn(s->keys_ctx, ev, c->keys, SSE_MAX_ADDRESSES, &c->n_keys)
                     : sse_query_keys(s, ev, c);
    if (!keyed || !sse_parse_start(s, ev, c, &missed, &last)) {
        free(c);
        return;
    }
    c->srv = s;
    c->ev = ev;
    c->next = s->clients;
    if (s->clients != NULL)
        s->clients->prev = c;
    s->clients = c;
    s->n_clients++;
    struct evkeyvalq *h = evhttp_request_get_output_headers(ev);
    evhttp_add_header(h, "Content-Type", "text/event-stream");
    evhttp_add_header(h, "Cache-Control", "no-cache");
    evhttp_send_reply_start(ev, 200, "OK");
    struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
    struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
    if (bev != NULL) {
        /* A stalled client shows in our buffer after this much, not after
         * the megabytes a loopback socket can hold. */
        int sndbuf = SSE_SOCKET_BUFFER;
        setsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        /* A listener says nothing: no read timeout (evhttp still reads, to
         * see the client close). Writes keep the server timeout, so one
         * that takes nothing for that long is closed; and what it sends
         * meanwhile stops being read past a few KiB. */
        struct timeval write_tv = {s->stall_seconds, 0};
        bufferevent_set_timeouts(bev, NULL, &write_tv);
        bufferevent_setwatermark(bev, EV_READ, 0, SSE_INPUT_MAX);
    }
    struct evbuffer *b = evbuffer_new();
    if (b != NULL) {
        evbuffer_add_printf(b, ": souk events\n\n");
        if (missed)
            evbuffer_add_printf(b,
                                "event: missed\ndata: {\"last_event_id\":%" PRIu64
                                ",\"oldest\":%" PRIu64 "}\n\n",
                                last, c->cursor + 1);
        sse_send(c, b);
        evbuffer_free(b);
    }
    LOG_DEBUG(LOG_CAT_HTTP, "event client with %zu addresses from event %" PRIu64, c->n_keys,
              c->cursor);
    sse_pump(c);
}

/* ---- life cycle ---------------------------------------------------------- */

bool sse_start(struct node_ctx *node, struct http_server *http, int stall_seconds,
               struct sse_server **out, char *err, size_t errlen)
{
    return sse_start_route(node, http, "/events", NULL, NULL, stall_seconds, out, err, errlen);
}

bool sse_start_route(struct node_ctx *node, struct http_server *http, const char *path,
                     sse_keys_fn keys_fn, void *keys_ctx, int stall_seconds,
                     struct sse_server **out, char *err, size_t errlen)
{
    *out = NULL;
    struct sse_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    s->node = node;
    s->keys_fn = keys_fn;
    s->keys_ctx = keys_ctx;
    s->stall_seconds = stall_seconds > 0 ? stall_seconds : 1;
    s->wake_ev = event_new(node->base, -1, 0, sse_on_wake, s);
    s->tick_ev = event_new(node->base, -1, EV_PERSIST, sse_on_tick, s);
    struct timeval tick = {0, SSE_TICK_MS * 1000};
    if (s->wake_ev == NULL || s->tick_ev == NULL || event_add(s->tick_ev, &tick) != 0 ||
        !http_server_add_stream_handler(http, path, true, sse_on_request, s) ||
        !eventbus_subscribe(node->events, sse_bus_wake, s)) {
        if (s->wake_ev != NULL)
            event_free(s->wake_ev);
        if (s->tick_ev != NULL)
            event_free(s->tick_ev);
        free(s);
        snprintf(err, errlen, "cannot start the event stream (%s)", path);
        return false;
    }
    *out = s;
    return true;
}

void sse_stop(struct sse_server *s)
{
    if (s == NULL || s->stopped)
        return;
    eventbus_unsubscribe(s->node->events, s);
    s->stopped = true;
    event_del(s->tick_ev);
    event_del(s->wake_ev);
    while (s->clients != NULL)
        sse_end(s->clients, false, NULL);
}

void sse_free(struct sse_server *s)
{
    if (s == NULL)
        return;
    sse_stop(s);
    event_free(s->wake_ev);
    event_free(s->tick_ev);
    free(s);
}
