#define _POSIX_C_SOURCE 200809L
#include "rpc/httpserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include "util/log.h"
#include "util/strutil.h"
#include "util/time.h"

#define HTTP_MAX_BIND 32
#define HTTP_MAX_HANDLERS 16
#define HTTP_MAX_ALLOW 64
#define HTTP_DRAIN_US (2 * 1000 * 1000)

struct http_header {
    char *name;
    char *value;
};

struct http_req {
    struct http_server *server;
    struct evhttp_request *ev;
    const struct http_route *route;
    enum http_method method;
    char *uri;
    char *body;
    size_t body_len;
    char peer[64];
    struct http_header *headers;
    size_t n_headers;
    struct http_header *reply_headers;
    size_t n_reply_headers;
    int status;
    char *reply;
    size_t reply_len;
    bool replied;
    struct http_req *next; /* queue link */
};

struct http_route {
    char *prefix;
    bool exact;
    http_handler_fn fn;
    void *arg;
};

struct http_server {
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound[HTTP_MAX_BIND];
    size_t n_bound;
    struct http_subnet allow[HTTP_MAX_ALLOW];
    size_t n_allow;
    struct http_route routes[HTTP_MAX_HANDLERS];
    size_t n_routes;

    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct http_req *head, *tail;
    size_t depth;
    size_t max_depth;
    bool running;     /* workers keep waiting for work */
    bool interrupted; /* no new work accepted (loop thread writes, under mu) */
    pthread_t *threads;
    size_t n_threads;

    long unflushed; /* requests accepted but whose reply is not yet written; loop thread only */
};

/* ------------------------------------------------------------ subnets */

static bool parse_prefix_len(const char *s, unsigned max, unsigned *out)
{
    if (*s == '\0' || strlen(s) > 3)
        return false;
    unsigned v = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* A dotted IPv4 netmask must be ones followed by zeros. */
static bool mask_to_prefix(const uint8_t mask[4], unsigned *out)
{
    uint32_t m = ((uint32_t)mask[0] << 24) | ((uint32_t)mask[1] << 16) |
                 ((uint32_t)mask[2] << 8) | mask[3];
    unsigned n = 0;
    while (n < 32 && (m & (0x80000000u >> n)))
        n++;
    if (n < 32 && (m << n) != 0)
        return false;
    *out = n;
    return true;
}

bool http_subnet_parse(const char *s, struct http_subnet *out)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/');
    size_t hl = slash != NULL ? (size_t)(slash - s) : strlen(s);
    if (hl == 0 || hl >= sizeof host)
        return false;
    memcpy(host, s, hl);
    host[hl] = '\0';

    struct http_subnet n;
    memset(&n, 0, sizeof n);
    if (inet_pton(AF_INET, host, n.addr) == 1) {
        n.family = AF_INET;
        n.prefix = 32;
    } else if (inet_pton(AF_INET6, host, n.addr) == 1) {
        n.family = AF_INET6;
        n.prefix = 128;
    } else {
        return false;
    }
    if (slash != NULL) {
        uint8_t mask[4];
        if (parse_prefix_len(slash + 1, n.prefix, &n.prefix)) {
            /* prefix set */
        } else if (n.family == AF_INET && inet_pton(AF_INET, slash + 1, mask) == 1) {
            if (!mask_to_prefix(mask, &n.prefix))
                return false;
        } else {
            return false;
        }
    }
    *out = n;
    return true;
}

static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t m = (uint8_t)(0xff << (8 - rest));
    return (a[full] & m) == (b[full] & m);
}

bool http_subnet_match(const struct http_subnet *net, const void *sockaddr)
{
    const struct sockaddr *sa = sockaddr;
    uint8_t addr[16];
    int family;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = sockaddr;
        memcpy(addr, &in->sin_addr, 4);
        family = AF_INET;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = sockaddr;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(&in6->sin6_addr, mapped, 12) == 0) {
            memcpy(addr, (const uint8_t *)&in6->sin6_addr + 12, 4);
            family = AF_INET;
        } else {
            memcpy(addr, &in6->sin6_addr, 16);
            family = AF_INET6;
        }
    } else {
        return false;
    }
    return family == net->family && bits_equal(addr, net->addr, net->prefix);
}

static bool peer_allowed(const struct http_server *s, const struct sockaddr *sa)
{
    for (size_t i = 0; i < s->n_allow; i++)
        if (http_subnet_match(&s->allow[i], sa))
            return true;
    return false;
}

/* ------------------------------------------------------------ requests */

static void req_free(struct http_req *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    for (size_t i = 0; i < r->n_reply_headers; i++) {
        free(r->reply_headers[i].name);
        free(r->reply_headers[i].value);
    }
    free(r->headers);
    free(r->reply_headers);
    free(r->uri);
    free(r->body);
    free(r->reply);
    free(r);
}

static enum http_method map_method(enum evhttp_cmd_type t)
{
    switch (t) {
    case EVHTTP_REQ_GET:
        return HTTP_METHOD_GET;
    case EVHTTP_REQ_POST:
        return HTTP_METHOD_POST;
    case EVHTTP_REQ_HEAD:
        return HTTP_METHOD_HEAD;
    case EVHTTP_REQ_PUT:
        return HTTP_METHOD_PUT;
    default:
        return HTTP_METHOD_OTHER;
    }
}

/* Copies what the handler may look at, so that the worker never touches
 * the evhttp request. */
static struct http_req *req_capture(struct http_server *s, struct evhttp_request *ev)
{
    struct http_req *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->server = s;
    r->ev = ev;
    r->method = map_method(evhttp_request_get_command(ev));
    r->uri = strdup(evhttp_request_get_uri(ev));
    if (r->uri == NULL)
        goto fail;

    struct evkeyvalq *hdrs = evhttp_request_get_input_headers(ev);
    size_t n = 0;
    for (struct evkeyval *kv = hdrs->tqh_first; kv != NULL; kv = kv->next.tqe_next)
        n++;
    if (n > 0) {
        r->headers = calloc(n, sizeof *r->headers);
        if (r->headers == NULL)
            goto fail;
        for (struct evkeyval *kv = hdrs->tqh_first; kv != NULL; kv = kv->next.tqe_next) {
            struct http_header *h = &r->headers[r->n_headers++];
            h->name = strdup(kv->key);
            h->value = strdup(kv->value);
            if (h->name == NULL || h->value == NULL)
                goto fail;
        }
    }

    struct evbuffer *in = evhttp_request_get_input_buffer(ev);
    size_t len = evbuffer_get_length(in);
    r->body = malloc(len + 1);
    if (r->body == NULL)
        goto fail;
    if (len > 0 && evbuffer_copyout(in, r->body, len) != (ev_ssize_t)len)
        goto fail;
    r->body[len] = '\0';
    r->body_len = len;

    struct evhttp_connection *conn = evhttp_request_get_connection(ev);
    char *host = NULL;
    ev_uint16_t port = 0;
    if (conn != NULL)
        evhttp_connection_get_peer(conn, &host, &port);
    snprintf(r->peer, sizeof r->peer, "%s:%u", host != NULL ? host : "?", (unsigned)port);
    return r;
fail:
    req_free(r);
    return NULL;
}

static void reply_complete(struct evhttp_request *ev, void *arg)
{
    (void)ev;
    struct http_server *s = arg;
    s->unflushed--;
}

/* Loop thread: sends what a worker produced. */
static void reply_on_loop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct http_req *r = arg;
    struct http_server *s = r->server;
    struct evhttp_request *ev = r->ev;

    if (evhttp_request_get_connection(ev) == NULL) {
        /* The client went away; evhttp_send_reply just frees the request. */
        s->unflushed--;
    } else {
        evhttp_request_set_on_complete_cb(ev, reply_complete, s);
        struct evkeyvalq *out = evhttp_request_get_output_headers(ev);
        for (size_t i = 0; i < r->n_reply_headers; i++)
            evhttp_add_header(out, r->reply_headers[i].name, r->reply_headers[i].value);
    }
    struct evbuffer *buf = NULL;
    if (r->reply_len > 0) {
        buf = evbuffer_new();
        if (buf != NULL && evbuffer_add(buf, r->reply, r->reply_len) != 0) {
            evbuffer_free(buf);
            buf = NULL;
        }
        if (buf == NULL)
            r->status = 500;
    }
    evhttp_send_reply(ev, r->status, NULL, buf);
    if (buf != NULL)
        evbuffer_free(buf);
    req_free(r);
}

void http_req_reply(struct http_req *r, int status, const char *body, size_t len)
{
    if (r->replied)
        return;
    r->replied = true;
    r->status = status;
    if (len > 0) {
        r->reply = malloc(len);
        if (r->reply == NULL) {
            r->status = 500;
            len = 0;
        } else {
            memcpy(r->reply, body, len);
        }
    }
    r->reply_len = len;
}

bool http_req_add_reply_header(struct http_req *r, const char *name, const char *value)
{
    struct http_header *h = realloc(r->reply_headers, (r->n_reply_headers + 1) * sizeof *h);
    if (h == NULL)
        return false;
    r->reply_headers = h;
    char *n = strdup(name), *v = strdup(value);
    if (n == NULL || v == NULL) {
        free(n);
        free(v);
        return false;
    }
    h[r->n_reply_headers].name = n;
    h[r->n_reply_headers].value = v;
    r->n_reply_headers++;
    return true;
}

enum http_method http_req_method(const struct http_req *r)
{
    return r->method;
}

const char *http_req_uri(const struct http_req *r)
{
    return r->uri;
}

const char *http_req_header(const struct http_req *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

const char *http_req_body(const struct http_req *r, size_t *len_out)
{
    if (len_out != NULL)
        *len_out = r->body_len;
    return r->body;
}

const char *http_req_peer(const struct http_req *r)
{
    return r->peer;
}

/* ------------------------------------------------------------ dispatch */

static void send_plain(struct evhttp_request *ev, int status, const char *text)
{
    struct evbuffer *buf = evbuffer_new();
    if (buf != NULL) {
        evhttp_add_header(evhttp_request_get_output_headers(ev), "Content-Type", "text/plain");
        evbuffer_add(buf, text, strlen(text));
    }
    evhttp_send_reply(ev, status, NULL, buf);
    if (buf != NULL)
        evbuffer_free(buf);
}

static const struct http_route *find_route(const struct http_server *s, const char *uri)
{
    size_t path_len = strcspn(uri, "?#");
    for (size_t i = 0; i < s->n_routes; i++) {
        const struct http_route *rt = &s->routes[i];
        size_t pl = strlen(rt->prefix);
        if (rt->exact ? (path_len == pl && memcmp(uri, rt->prefix, pl) == 0)
                      : (path_len >= pl && memcmp(uri, rt->prefix, pl) == 0))
            return rt;
    }
    return NULL;
}

static void on_request(struct evhttp_request *ev, void *arg)
{
    struct http_server *s = arg;
    struct evhttp_connection *conn = evhttp_request_get_connection(ev);
    const struct sockaddr *sa = conn != NULL ? evhttp_connection_get_addr(conn) : NULL;
    if (sa == NULL || !peer_allowed(s, sa)) {
        char *host = NULL;
        ev_uint16_t port = 0;
        if (conn != NULL)
            evhttp_connection_get_peer(conn, &host, &port);
        LOG_WARN(LOG_CAT_HTTP, "rejected a request from %s: not in -rpcallowip",
                 host != NULL ? host : "?");
        evhttp_send_error(ev, 403, NULL);
        return;
    }
    const char *uri = evhttp_request_get_uri(ev);
    const struct http_route *rt = find_route(s, uri);
    if (rt == NULL) {
        evhttp_send_error(ev, HTTP_NOTFOUND, NULL);
        return;
    }
    pthread_mutex_lock(&s->mu);
    bool refuse = s->interrupted || s->depth >= s->max_depth;
    bool stopping = s->interrupted;
    pthread_mutex_unlock(&s->mu);
    if (refuse) {
        if (!stopping)
            LOG_WARN(LOG_CAT_HTTP, "request rejected because the work queue is full (-rpcworkqueue)");
        send_plain(ev, HTTP_SERVUNAVAIL, stopping ? "Server is shutting down\n"
                                                  : "Work queue depth exceeded\n");
        return;
    }
    struct http_req *r = req_capture(s, ev);
    if (r == NULL) {
        evhttp_send_error(ev, HTTP_INTERNAL, NULL);
        return;
    }
    r->route = rt;
    LOG_DEBUG(LOG_CAT_HTTP, "request %s from %s", r->uri, r->peer);
    pthread_mutex_lock(&s->mu);
    if (s->tail != NULL)
        s->tail->next = r;
    else
        s->head = r;
    s->tail = r;
    s->depth++;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
    s->unflushed++;
}

static void *worker_main(void *arg)
{
    struct http_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->head == NULL && s->running)
            pthread_cond_wait(&s->cond, &s->mu);
        struct http_req *r = s->head;
        if (r == NULL) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        s->head = r->next;
        if (s->head == NULL)
            s->tail = NULL;
        s->depth--;
        pthread_mutex_unlock(&s->mu);

        r->next = NULL;
        r->route->fn(r, r->route->arg);
        if (!r->replied) {
            static const char msg[] = "Internal error: the handler sent no reply\n";
            http_req_reply(r, 500, msg, sizeof msg - 1);
        }
        /* The loop thread frees r once it has sent the reply, so the worker
         * hands it over only after the handler is done with it. */
        if (event_base_once(s->base, -1, EV_TIMEOUT, reply_on_loop, r, NULL) != 0)
            LOG_ERROR(LOG_CAT_HTTP, "cannot schedule the reply to %s", r->peer);
    }
    return NULL;
}

/* ------------------------------------------------------------ lifecycle */

/* Splits "host", "host:port", "[v6]" or "[v6]:port"; a bare IPv6 address
 * (more than one ':') is a host without port. */
static bool split_host_port(const char *s, uint16_t def_port, char *host, size_t hostlen,
                            uint16_t *port)
{
    const char *h = s, *p = NULL;
    size_t hl;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL)
            return false;
        h = s + 1;
        hl = (size_t)(close - h);
        if (close[1] == ':')
            p = close + 2;
        else if (close[1] != '\0')
            return false;
    } else {
        const char *c = strchr(s, ':');
        if (c != NULL && strchr(c + 1, ':') == NULL) {
            hl = (size_t)(c - s);
            p = c + 1;
        } else {
            hl = strlen(s);
        }
    }
    if (hl == 0 || hl >= hostlen)
        return false;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = def_port;
    if (p != NULL) {
        unsigned v = 0;
        if (*p == '\0' || strlen(p) > 5)
            return false;
        for (; *p != '\0'; p++) {
            if (*p < '0' || *p > '9')
                return false;
            v = v * 10 + (unsigned)(*p - '0');
        }
        if (v == 0 || v > 65535)
            return false;
        *port = (uint16_t)v;
    }
    return true;
}

static bool add_allow(struct http_server *s, const char *spec)
{
    struct http_subnet n;
    if (s->n_allow >= HTTP_MAX_ALLOW || !http_subnet_parse(spec, &n))
        return false;
    s->allow[s->n_allow++] = n;
    return true;
}

static void stop_workers(struct http_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->running = false;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < s->n_threads; i++)
        pthread_join(s->threads[i], NULL);
    s->n_threads = 0;
}

bool http_server_new(struct event_base *base, const struct http_config *cfg,
                     struct http_server **out, char *err, size_t errlen)
{
    if (cfg->threads < 1 || cfg->workqueue < 1) {
        str_set_err(err, errlen, "-rpcthreads and -rpcworkqueue must be at least 1");
        return false;
    }
    if (cfg->n_bind > HTTP_MAX_BIND || cfg->n_allow + 2 > HTTP_MAX_ALLOW) {
        str_set_err(err, errlen, "too many -rpcbind or -rpcallowip values");
        return false;
    }
    if (evthread_make_base_notifiable(base) != 0) {
        str_set_err(err, errlen, "the event base has no thread support (call evthread_use_pthreads first)");
        return false;
    }
    struct http_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        str_set_err(err, errlen, "out of memory");
        return false;
    }
    s->base = base;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->max_depth = (size_t)cfg->workqueue;
    s->running = true;
    add_allow(s, "127.0.0.0/8");
    add_allow(s, "::1/128");
    for (size_t i = 0; i < cfg->n_allow; i++)
        s->allow[s->n_allow++] = cfg->allow[i];

    s->http = evhttp_new(base);
    if (s->http == NULL) {
        str_set_err(err, errlen, "cannot create the HTTP server");
        goto fail;
    }
    evhttp_set_timeout(s->http, HTTP_SERVER_TIMEOUT);
    evhttp_set_max_headers_size(s->http, HTTP_MAX_HEADERS_SIZE);
    evhttp_set_max_body_size(s->http, HTTP_MAX_BODY_SIZE);
    evhttp_set_gencb(s->http, on_request, s);

    static const char *const loopback[] = {"127.0.0.1", "::1"};
    const char *const *binds = cfg->n_bind > 0 ? cfg->bind : loopback;
    size_t n_binds = cfg->n_bind > 0 ? cfg->n_bind : 2;
    for (size_t i = 0; i < n_binds; i++) {
        char host[256];
        uint16_t port;
        if (!split_host_port(binds[i], cfg->port, host, sizeof host, &port)) {
            str_set_err(err, errlen, "invalid -rpcbind address '%s'", binds[i]);
            goto fail;
        }
        struct evhttp_bound_socket *b = evhttp_bind_socket_with_handle(s->http, host, port);
        if (b == NULL) {
            LOG_WARN(LOG_CAT_HTTP, "cannot bind the RPC server to %s port %u: %s", host,
                     (unsigned)port, strerror(errno));
            continue;
        }
        LOG_INFO(LOG_CAT_HTTP, "RPC server listening on %s port %u", host, (unsigned)port);
        s->bound[s->n_bound++] = b;
    }
    if (s->n_bound == 0) {
        str_set_err(err, errlen, "cannot bind the RPC server to any address on port %u",
                (unsigned)cfg->port);
        goto fail;
    }

    s->threads = calloc((size_t)cfg->threads, sizeof *s->threads);
    if (s->threads == NULL) {
        str_set_err(err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < cfg->threads; i++) {
        if (pthread_create(&s->threads[s->n_threads], NULL, worker_main, s) != 0) {
            str_set_err(err, errlen, "cannot start an RPC worker thread");
            goto fail;
        }
        s->n_threads++;
    }
    *out = s;
    return true;
fail:
    stop_workers(s);
    free(s->threads);
    if (s->http != NULL)
        evhttp_free(s->http);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return false;
}

bool http_server_add_handler(struct http_server *s, const char *prefix, bool exact,
                             http_handler_fn fn, void *arg)
{
    if (s->n_routes >= HTTP_MAX_HANDLERS)
        return false;
    char *p = strdup(prefix);
    if (p == NULL)
        return false;
    s->routes[s->n_routes++] = (struct http_route){p, exact, fn, arg};
    return true;
}

void http_server_interrupt(struct http_server *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->interrupted = true;
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < s->n_bound; i++)
        evhttp_del_accept_socket(s->http, s->bound[i]);
    s->n_bound = 0;
}

static void drain_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

void http_server_free(struct http_server *s)
{
    if (s == NULL)
        return;
    http_server_interrupt(s);
    stop_workers(s);
    /* Every reply is now scheduled on the loop; run it until they are
     * written so that e.g. the answer to "stop" reaches its client. */
    struct event *tick = event_new(s->base, -1, EV_PERSIST, drain_tick, NULL);
    struct timeval tv = {0, 50 * 1000};
    if (tick != NULL)
        event_add(tick, &tv);
    int64_t deadline = time_mono_us() + HTTP_DRAIN_US;
    while (s->unflushed > 0 && tick != NULL && time_mono_us() < deadline)
        event_base_loop(s->base, EVLOOP_ONCE);
    if (tick != NULL)
        event_free(tick);
    evhttp_free(s->http);
    for (size_t i = 0; i < s->n_routes; i++)
        free(s->routes[i].prefix);
    free(s->threads);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
