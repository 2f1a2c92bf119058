#define _POSIX_C_SOURCE 200809L
#include "rpc/httpserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
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
/* The guard keeps a request's first line and headers to find the
 * Authorization and Content-Length values; evhttp refuses longer headers
 * (HTTP_MAX_HEADERS_SIZE) anyway. */
#define HTTP_GUARD_HEAD_MAX (HTTP_MAX_HEADERS_SIZE + 1024)
#define HTTP_MAX_SERVERS 8

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
    char user[HTTP_USER_MAX];
    struct http_header *headers;
    size_t n_headers;
    bool headers_captured; /* else read from ev (loop thread only) */
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
    bool public; /* served without credentials, never by the fast path */
    http_handler_fn fn;
    http_stream_fn stream; /* instead of fn: answered on the loop, streamed */
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

    struct http_req *done_head, *done_tail; /* replies for the loop, under mu */
    struct event *done_ev;
    http_fast_fn fast;
    void *fast_arg;

    struct timeval timeout;
    struct timeval fail_delay;
    http_authorize_fn authorize;
    void *authorize_arg;
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
    /* Peers that arrive IPv4-mapped are matched as IPv4 peers, so a mapped
     * address here means its IPv4 address (as an IPv6 subnet it would allow
     * nobody); a prefix that does not reach its IPv4 part is refused. */
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (n.family == AF_INET6 && memcmp(n.addr, mapped, sizeof mapped) == 0) {
        if (n.prefix < 96)
            return false;
        n.family = AF_INET;
        n.prefix -= 96;
        memmove(n.addr, n.addr + 12, 4);
        memset(n.addr + 4, 0, 12);
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

/* Frees a string after wiping it: header values carry credentials. */
static void free_wiped_str(char *p)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, strlen(p));
        free(p);
    }
}

static void free_wiped(char *p, size_t len)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, len);
        free(p);
    }
}

static void req_free(struct http_req *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free_wiped_str(r->headers[i].value);
    }
    for (size_t i = 0; i < r->n_reply_headers; i++) {
        free(r->reply_headers[i].name);
        free(r->reply_headers[i].value);
    }
    free(r->headers);
    free(r->reply_headers);
    free(r->uri);
    free_wiped(r->body, r->body_len);
    free_wiped(r->reply, r->reply_len);
    OPENSSL_cleanse(r->user, sizeof r->user);
    free(r);
}

/* Wipes what an evbuffer holds (its chains stay allocated; the caller
 * drains or frees it). */
static void evbuffer_wipe(struct evbuffer *b)
{
    struct evbuffer_iovec v[16];
    struct evbuffer_ptr pos;
    if (evbuffer_ptr_set(b, &pos, 0, EVBUFFER_PTR_SET) != 0)
        return;
    for (;;) {
        int n = evbuffer_peek(b, -1, &pos, v, 16);
        if (n <= 0)
            return;
        size_t done = 0;
        for (int i = 0; i < n && i < 16; i++) {
            OPENSSL_cleanse(v[i].iov_base, v[i].iov_len);
            done += v[i].iov_len;
        }
        if (n <= 16 || evbuffer_ptr_set(b, &pos, done, EVBUFFER_PTR_ADD) != 0)
            return;
    }
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

/* Copies the headers, for a request going to a worker (one answered on
 * the loop reads evhttp's). */
static bool req_capture_headers(struct http_req *r)
{
    struct evkeyvalq *hdrs = evhttp_request_get_input_headers(r->ev);
    size_t n = 0;
    for (struct evkeyval *kv = hdrs->tqh_first; kv != NULL; kv = kv->next.tqe_next)
        n++;
    r->headers_captured = true;
    if (n == 0)
        return true;
    r->headers = calloc(n, sizeof *r->headers);
    if (r->headers == NULL)
        return false;
    for (struct evkeyval *kv = hdrs->tqh_first; kv != NULL; kv = kv->next.tqe_next) {
        struct http_header *h = &r->headers[r->n_headers++];
        h->name = strdup(kv->key);
        h->value = strdup(kv->value);
        if (h->name == NULL || h->value == NULL)
            return false;
    }
    return true;
}

/* Copies what the handler may look at but the headers, so that the worker
 * never touches the evhttp request. */
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

    struct evbuffer *in = evhttp_request_get_input_buffer(ev);
    size_t len = evbuffer_get_length(in);
    r->body = malloc(len + 1);
    if (r->body == NULL)
        goto fail;
    if (len > 0 && evbuffer_copyout(in, r->body, len) != (ev_ssize_t)len)
        goto fail;
    r->body[len] = '\0';
    r->body_len = len;
    /* The copy is all the handler needs; evhttp frees its buffer unwiped. */
    evbuffer_wipe(in);
    evbuffer_drain(in, len);

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

static void guard_request_done(struct evhttp_request *ev);

static void reply_complete(struct evhttp_request *ev, void *arg)
{
    struct http_server *s = arg;
    s->unflushed--;
    guard_request_done(ev);
}

static void guard_done_cb(struct evhttp_request *ev, void *arg)
{
    (void)arg;
    guard_request_done(ev);
}

/* The reply is handed to evhttp by reference, so it is not copied again
 * and is wiped when the last byte has been written. */
static void reply_release(const void *data, size_t len, void *extra)
{
    (void)extra;
    free_wiped((char *)data, len);
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
        if (buf != NULL &&
            evbuffer_add_reference(buf, r->reply, r->reply_len, reply_release, NULL) == 0) {
            r->reply = NULL; /* the buffer owns it now */
            r->reply_len = 0;
        } else {
            if (buf != NULL)
                evbuffer_free(buf);
            buf = NULL;
            r->status = 500;
        }
    }
    evhttp_send_reply(ev, r->status, NULL, buf);
    if (buf != NULL)
        evbuffer_free(buf);
    req_free(r);
}

/* Loop thread: sends every reply the workers have queued. */
static void replies_on_loop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct http_server *s = arg;
    pthread_mutex_lock(&s->mu);
    struct http_req *r = s->done_head;
    s->done_head = s->done_tail = NULL;
    pthread_mutex_unlock(&s->mu);
    while (r != NULL) {
        struct http_req *next = r->next;
        r->next = NULL;
        reply_on_loop(-1, EV_TIMEOUT, r);
        r = next;
    }
}

void http_server_set_fast_path(struct http_server *s, http_fast_fn fn, void *arg)
{
    s->fast = fn;
    s->fast_arg = arg;
}

void http_req_reply_take(struct http_req *r, int status, char *body, size_t len)
{
    if (r->replied) {
        free_wiped(body, len);
        return;
    }
    r->replied = true;
    r->status = status;
    if (body == NULL || len == 0) {
        free_wiped(body, len);
        body = NULL;
        len = 0;
    }
    r->reply = body;
    r->reply_len = len;
}

void http_req_reply(struct http_req *r, int status, const char *body, size_t len)
{
    if (r->replied)
        return;
    char *copy = NULL;
    if (len > 0) {
        copy = malloc(len);
        if (copy == NULL) {
            r->replied = true;
            r->status = 500;
            return;
        }
        memcpy(copy, body, len);
    }
    http_req_reply_take(r, status, copy, len);
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
    if (!r->headers_captured)
        return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
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

const char *http_req_user(const struct http_req *r)
{
    return r->user;
}

/* ------------------------------------------------------------ connection guard */

/* evhttp 2.1 calls nothing between the headers and the body of a request,
 * so the guard watches the connection's input buffer instead: an evbuffer
 * callback runs as bytes are read from the socket, before the bufferevent
 * hands them to evhttp. The guard keeps no request boundaries of its own
 * beyond the first header block: it is told when evhttp has delivered the
 * request (on_request) and when the reply has been written (then what is
 * left in the input buffer is the start of the next request).
 *
 * A guard exists for each connection that has sent a byte; it is found by
 * the connection's socket (unique while open), and freed by evhttp's close
 * callback. The connection comes from the bufferevent's callback argument,
 * which evhttp (2.1 and 2.2) sets to it; guard_attach checks the pair. */

enum guard_state {
    GUARD_IDLE, /* between requests */
    GUARD_HEAD, /* reading a request's first line and headers */
    GUARD_BODY, /* headers seen, evhttp reading the body */
    GUARD_BUSY, /* delivered: waiting for the reply to be written */
    GUARD_DROP, /* unauthorized body too large: closed after the delay */
};

struct http_conn {
    struct http_server *s;
    struct bufferevent *bev;
    struct evhttp_connection *evcon;
    int fd;
    enum guard_state state;
    struct event *timer; /* the request deadline, or the drop delay */
    bool authorized;
    char user[HTTP_USER_MAX]; /* whom the credentials named, when authorized */
    uint64_t body_seen;
    int64_t content_length; /* -1: none given */
    size_t head_len;
    char head[HTTP_GUARD_HEAD_MAX];
};

/* Both tables are shared by every server of the process (tests run
 * several); servers on different threads touch them under guard_mu. */
static pthread_mutex_t guard_mu = PTHREAD_MUTEX_INITIALIZER;
static struct http_conn **guard_by_fd;
static size_t guard_cap;
static struct {
    struct evhttp *http;
    struct http_server *s;
} guard_servers[HTTP_MAX_SERVERS];

static bool guard_register(struct http_server *s)
{
    bool ok = false;
    pthread_mutex_lock(&guard_mu);
    for (size_t i = 0; i < HTTP_MAX_SERVERS && !ok; i++)
        if (guard_servers[i].http == NULL) {
            guard_servers[i].http = s->http;
            guard_servers[i].s = s;
            ok = true;
        }
    pthread_mutex_unlock(&guard_mu);
    return ok;
}

static void guard_unregister(struct http_server *s)
{
    pthread_mutex_lock(&guard_mu);
    for (size_t i = 0; i < HTTP_MAX_SERVERS; i++)
        if (guard_servers[i].s == s) {
            guard_servers[i].http = NULL;
            guard_servers[i].s = NULL;
        }
    pthread_mutex_unlock(&guard_mu);
}

static struct http_conn *guard_lookup(struct bufferevent *bev)
{
    evutil_socket_t fd = bufferevent_getfd(bev);
    struct http_conn *c = NULL;
    pthread_mutex_lock(&guard_mu);
    if (fd >= 0 && (size_t)fd < guard_cap && guard_by_fd[fd] != NULL && guard_by_fd[fd]->bev == bev)
        c = guard_by_fd[fd];
    pthread_mutex_unlock(&guard_mu);
    return c;
}

static struct http_conn *guard_of(struct evhttp_request *ev)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
    if (evcon == NULL)
        return NULL;
    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    return bev != NULL ? guard_lookup(bev) : NULL;
}

static void guard_closed(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    struct http_conn *c = arg;
    pthread_mutex_lock(&guard_mu);
    if (c->fd >= 0 && (size_t)c->fd < guard_cap && guard_by_fd[c->fd] == c)
        guard_by_fd[c->fd] = NULL;
    pthread_mutex_unlock(&guard_mu);
    event_free(c->timer);
    OPENSSL_cleanse(c->head, c->head_len);
    OPENSSL_cleanse(c->user, sizeof c->user);
    free(c);
}

static void guard_timer_cb(evutil_socket_t fd, short what, void *arg);

/* Creates the guard of bev's connection; NULL when that cannot be done
 * (the connection is then served unguarded, as before). */
static struct http_conn *guard_attach(struct bufferevent *bev)
{
    void *cbarg = NULL;
    bufferevent_getcb(bev, NULL, NULL, NULL, &cbarg);
    struct evhttp_connection *evcon = cbarg;
    evutil_socket_t fd = bufferevent_getfd(bev);
    if (evcon == NULL || fd < 0 || evhttp_connection_get_bufferevent(evcon) != bev)
        return NULL;
    struct evhttp *http = evhttp_connection_get_server(evcon);
    struct http_server *s = NULL;
    pthread_mutex_lock(&guard_mu);
    for (size_t i = 0; i < HTTP_MAX_SERVERS && s == NULL; i++)
        if (guard_servers[i].http == http && http != NULL)
            s = guard_servers[i].s;
    pthread_mutex_unlock(&guard_mu);
    if (s == NULL)
        return NULL;
    struct http_conn *c = malloc(sizeof *c);
    if (c == NULL)
        return NULL;
    memset(c, 0, offsetof(struct http_conn, head));
    c->s = s;
    c->bev = bev;
    c->evcon = evcon;
    c->fd = fd;
    c->state = GUARD_IDLE;
    c->timer = evtimer_new(s->base, guard_timer_cb, c);
    bool ok = c->timer != NULL;
    pthread_mutex_lock(&guard_mu);
    if (ok && (size_t)fd >= guard_cap) {
        size_t cap = guard_cap > 0 ? guard_cap : 256;
        while (cap <= (size_t)fd)
            cap *= 2;
        struct http_conn **t = realloc(guard_by_fd, cap * sizeof *t);
        if (t == NULL) {
            ok = false;
        } else {
            memset(t + guard_cap, 0, (cap - guard_cap) * sizeof *t);
            guard_by_fd = t;
            guard_cap = cap;
        }
    }
    if (ok)
        guard_by_fd[fd] = c;
    pthread_mutex_unlock(&guard_mu);
    if (!ok) {
        if (c->timer != NULL)
            event_free(c->timer);
        free(c);
        return NULL;
    }
    evhttp_connection_set_closecb(evcon, guard_closed, c);
    return c;
}

static void guard_peer(const struct http_conn *c, char *out, size_t outlen)
{
    char *host = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(c->evcon, &host, &port);
    snprintf(out, outlen, "%s:%u", host != NULL ? host : "?", (unsigned)port);
}

static void guard_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct http_conn *c = arg;
    char peer[80];
    guard_peer(c, peer, sizeof peer);
    if (c->state == GUARD_DROP)
        LOG_WARN(LOG_CAT_HTTP,
                 "closed the connection of %s: a request with wrong credentials and a body "
                 "over %u bytes",
                 peer, (unsigned)HTTP_UNAUTH_MAX_BODY);
    else if (c->state == GUARD_HEAD || c->state == GUARD_BODY)
        LOG_WARN(LOG_CAT_HTTP, "closed the connection of %s: request not received within %ld s",
                 peer, (long)c->s->timeout.tv_sec);
    else
        return;
    /* As evhttp does on its own timeouts: no request of this connection is
     * with a worker (BUSY disarms the timer), so freeing it frees only
     * evhttp's half-read request; guard_closed frees c. */
    evhttp_connection_free(c->evcon);
}

bool http_head_value(const char *head, size_t head_len, const char *name, char *out,
                     size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = memchr(head, '\n', head_len); /* skip the request line */
    const char *end = head + head_len;
    while (p != NULL && p + 1 < end) {
        const char *line = p + 1;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (eol == NULL)
            eol = end;
        size_t ll = (size_t)(eol - line);
        if (ll > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            if ((size_t)(ve - v) >= outlen)
                return false;
            memcpy(out, v, (size_t)(ve - v));
            out[ve - v] = '\0';
            return true;
        }
        p = eol < end ? eol : NULL;
    }
    return false;
}

static void guard_drop(struct http_conn *c)
{
    c->state = GUARD_DROP;
    bufferevent_disable(c->bev, EV_READ);
    evtimer_add(c->timer, &c->s->fail_delay);
}

static void guard_check_body(struct http_conn *c)
{
    if (!c->authorized &&
        (c->body_seen > HTTP_UNAUTH_MAX_BODY || c->content_length > HTTP_UNAUTH_MAX_BODY))
        guard_drop(c);
}

static void guard_head_done(struct http_conn *c)
{
    char value[4 * HTTP_USER_MAX + 2048];
    c->authorized = true;
    c->user[0] = '\0';
    if (c->s->authorize != NULL) {
        bool have = http_head_value(c->head, c->head_len, "Authorization", value, sizeof value);
        c->authorized = c->s->authorize(have ? value : NULL, c->user, sizeof c->user,
                                        c->s->authorize_arg);
    }
    c->content_length = -1;
    if (http_head_value(c->head, c->head_len, "Content-Length", value, sizeof value)) {
        char *e;
        errno = 0;
        long long v = strtoll(value, &e, 10);
        if (errno == 0 && *e == '\0' && v >= 0)
            c->content_length = v;
    }
    OPENSSL_cleanse(value, sizeof value);
    OPENSSL_cleanse(c->head, c->head_len);
    c->head_len = 0;
    c->state = GUARD_BODY;
}

/* n new bytes at the end of in. */
static void guard_feed(struct http_conn *c, struct evbuffer *in, size_t n)
{
    if (c->state == GUARD_BUSY || n == 0)
        return;
    if (c->state == GUARD_DROP) {
        bufferevent_disable(c->bev, EV_READ);
        return;
    }
    if (c->state == GUARD_IDLE) {
        c->state = GUARD_HEAD;
        c->head_len = 0;
        c->body_seen = 0;
        c->content_length = -1;
        c->authorized = false;
        evtimer_add(c->timer, &c->s->timeout);
    }
    if (c->state == GUARD_HEAD) {
        size_t total = evbuffer_get_length(in);
        size_t take = n;
        if (take > HTTP_GUARD_HEAD_MAX - c->head_len)
            take = HTTP_GUARD_HEAD_MAX - c->head_len;
        struct evbuffer_ptr pos;
        if (evbuffer_ptr_set(in, &pos, total - n, EVBUFFER_PTR_SET) != 0 ||
            evbuffer_copyout_from(in, &pos, c->head + c->head_len, take) != (ev_ssize_t)take) {
            /* Cannot follow: treat what comes as a body without credentials. */
            c->state = GUARD_BODY;
            c->body_seen = n;
            guard_check_body(c);
            return;
        }
        size_t from = c->head_len, end = 0;
        c->head_len += take;
        for (size_t i = from; i < c->head_len && end == 0; i++)
            if (c->head[i] == '\n' && ((i >= 1 && c->head[i - 1] == '\n') ||
                                       (i >= 2 && c->head[i - 1] == '\r' && c->head[i - 2] == '\n')))
                end = i + 1;
        if (end == 0) {
            if (c->head_len < HTTP_GUARD_HEAD_MAX)
                return;
            /* Longer than evhttp accepts: it refuses the request. */
            OPENSSL_cleanse(c->head, c->head_len);
            c->head_len = 0;
            c->state = GUARD_BODY;
            c->body_seen = 0;
            return;
        }
        size_t rest = n - (end - from);
        /* What was copied past the headers is body: it may hold a secret. */
        OPENSSL_cleanse(c->head + end, c->head_len - end);
        c->head_len = end;
        guard_head_done(c);
        c->body_seen = rest;
        guard_check_body(c);
        return;
    }
    /* GUARD_BODY */
    c->body_seen += n;
    guard_check_body(c);
}

static void guard_input_cb(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
    if (info->n_added == 0)
        return;
    struct bufferevent *bev = arg;
    struct http_conn *c = guard_lookup(bev);
    if (c == NULL)
        c = guard_attach(bev);
    if (c != NULL)
        guard_feed(c, in, info->n_added);
}

static struct bufferevent *guard_new_bev(struct event_base *base, void *arg)
{
    (void)arg;
    /* The options evhttp uses for its own: it closes the socket itself,
     * after shutting it down (with BEV_OPT_CLOSE_ON_FREE that shutdown
     * would reach an fd already closed, perhaps reused). */
    struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
    if (bev != NULL && evbuffer_add_cb(bufferevent_get_input(bev), guard_input_cb, bev) == NULL) {
        bufferevent_free(bev);
        bev = NULL;
    }
    return bev;
}

/* on_request: evhttp has the whole request. Returns 1 when the guard
 * found its credentials good (user set), 0 when bad, -1 when it does not
 * know (no guard, or the headers were not followed). Both take the first
 * Authorization header; a good verdict is safe to reuse whatever evhttp
 * made of the rest. */
static int guard_request_delivered(struct evhttp_request *ev, char *user, size_t user_len)
{
    struct http_conn *c = guard_of(ev);
    if (c == NULL)
        return -1;
    int verdict = c->state == GUARD_BODY || c->state == GUARD_DROP ? c->authorized : -1;
    if (verdict == 1)
        snprintf(user, user_len, "%s", c->user);
    OPENSSL_cleanse(c->user, sizeof c->user);
    c->authorized = false;
    evtimer_del(c->timer);
    OPENSSL_cleanse(c->head, c->head_len);
    c->head_len = 0;
    c->state = GUARD_BUSY;
    return verdict;
}

/* The reply has been written: what is left in the input buffer was sent
 * after the request and starts the next one. */
static void guard_request_done(struct evhttp_request *ev)
{
    struct http_conn *c = guard_of(ev);
    if (c == NULL)
        return;
    evtimer_del(c->timer);
    c->state = GUARD_IDLE;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    guard_feed(c, in, evbuffer_get_length(in));
}

/* ------------------------------------------------------------ dispatch */

static void send_plain(struct evhttp_request *ev, int status, const char *text)
{
    struct evbuffer *buf = evbuffer_new();
    if (buf != NULL) {
        evhttp_add_header(evhttp_request_get_output_headers(ev), "Content-Type", "text/plain");
        evbuffer_add(buf, text, strlen(text));
    }
    evhttp_request_set_on_complete_cb(ev, guard_done_cb, NULL);
    evhttp_send_reply(ev, status, NULL, buf);
    if (buf != NULL)
        evbuffer_free(buf);
}

static void send_error(struct evhttp_request *ev, int status)
{
    evhttp_request_set_on_complete_cb(ev, guard_done_cb, NULL);
    evhttp_send_error(ev, status, NULL);
}

/* A failed login is answered after the delay from a timer on the loop, so
 * guessing stays slow without a worker thread sleeping for it. */
static void reply_unauthorized_later(struct http_server *s, struct evhttp_request *ev)
{
    /* Its body may still hold a secret, sent with a mistyped password. */
    evbuffer_wipe(evhttp_request_get_input_buffer(ev));
    struct http_req *r = calloc(1, sizeof *r);
    if (r == NULL) {
        send_error(ev, HTTP_INTERNAL);
        return;
    }
    r->server = s;
    r->ev = ev;
    r->replied = true;
    r->status = 401;
    if (!http_req_add_reply_header(r, "WWW-Authenticate", "Basic realm=\"jsonrpc\"")) {
        req_free(r);
        send_error(ev, HTTP_INTERNAL);
        return;
    }
    s->unflushed++;
    if (event_base_once(s->base, -1, EV_TIMEOUT, reply_on_loop, r, &s->fail_delay) != 0)
        reply_on_loop(-1, EV_TIMEOUT, r);
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
    char user[HTTP_USER_MAX] = "";
    int verdict = guard_request_delivered(ev, user, sizeof user);
    struct evhttp_connection *conn = evhttp_request_get_connection(ev);
    const struct sockaddr *sa = conn != NULL ? evhttp_connection_get_addr(conn) : NULL;
    if (sa == NULL || !peer_allowed(s, sa)) {
        char *host = NULL;
        ev_uint16_t port = 0;
        if (conn != NULL)
            evhttp_connection_get_peer(conn, &host, &port);
        LOG_WARN(LOG_CAT_HTTP, "rejected a request from %s: not in -rpcallowip",
                 host != NULL ? host : "?");
        send_error(ev, 403);
        return;
    }
    const char *uri = evhttp_request_get_uri(ev);
    const struct http_route *rt = find_route(s, uri);
    if (rt == NULL) {
        send_error(ev, HTTP_NOTFOUND);
        return;
    }
    if (s->authorize != NULL && verdict != 1 && !rt->public) {
        const char *auth = evhttp_find_header(evhttp_request_get_input_headers(ev), "Authorization");
        if (!s->authorize(auth, user, sizeof user, s->authorize_arg)) {
            char *host = NULL;
            ev_uint16_t port = 0;
            if (conn != NULL)
                evhttp_connection_get_peer(conn, &host, &port);
            LOG_WARN(LOG_CAT_HTTP, "incorrect or missing RPC credentials from %s:%u",
                     host != NULL ? host : "?", (unsigned)port);
            reply_unauthorized_later(s, ev);
            return;
        }
    }
    if (rt->stream != NULL) {
        /* The handler owns the request until it ends the reply; the guard
         * hears of the end as for any other reply. */
        evhttp_request_set_on_complete_cb(ev, guard_done_cb, NULL);
        rt->stream(ev, user, rt->arg);
        OPENSSL_cleanse(user, sizeof user);
        return;
    }
    struct http_req *r = req_capture(s, ev);
    if (r == NULL) {
        send_error(ev, HTTP_INTERNAL);
        return;
    }
    memcpy(r->user, user, sizeof user);
    OPENSSL_cleanse(user, sizeof user);
    r->route = rt;
    LOG_DEBUG(LOG_CAT_HTTP, "request %s from %s", r->uri, r->peer);
    pthread_mutex_lock(&s->mu);
    bool stopping = s->interrupted;
    bool full = s->depth >= s->max_depth;
    pthread_mutex_unlock(&s->mu);
    if (!stopping && !rt->public && s->fast != NULL && s->fast(r, s->fast_arg)) {
        s->unflushed++;
        reply_on_loop(-1, EV_TIMEOUT, r);
        return;
    }
    if (stopping || full || !req_capture_headers(r)) {
        req_free(r);
        if (!stopping && !full) {
            send_error(ev, HTTP_INTERNAL);
            return;
        }
        if (!stopping)
            LOG_WARN(LOG_CAT_HTTP, "request rejected because the work queue is full (-rpcworkqueue)");
        send_plain(ev, HTTP_SERVUNAVAIL, stopping ? "Server is shutting down\n"
                                                  : "Work queue depth exceeded\n");
        return;
    }
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
         * hands it over only after the handler is done with it. One wake-up
         * of the loop takes every reply queued until it runs. */
        pthread_mutex_lock(&s->mu);
        bool wake = s->done_head == NULL;
        if (s->done_tail != NULL)
            s->done_tail->next = r;
        else
            s->done_head = r;
        s->done_tail = r;
        pthread_mutex_unlock(&s->mu);
        if (wake)
            event_active(s->done_ev, EV_READ, 0);
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
    const char *name = cfg->name != NULL ? cfg->name : "RPC server";
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
    s->timeout.tv_sec = cfg->timeout > 0 ? cfg->timeout : HTTP_SERVER_TIMEOUT;
    int delay_ms = cfg->auth_fail_delay_ms >= 0 ? cfg->auth_fail_delay_ms : HTTP_AUTH_FAIL_DELAY_MS;
    s->fail_delay.tv_sec = delay_ms / 1000;
    s->fail_delay.tv_usec = (delay_ms % 1000) * 1000;
    s->authorize = cfg->authorize;
    s->authorize_arg = cfg->authorize_arg;
    add_allow(s, "127.0.0.0/8");
    add_allow(s, "::1/128");
    for (size_t i = 0; i < cfg->n_allow; i++)
        s->allow[s->n_allow++] = cfg->allow[i];

    s->http = evhttp_new(base);
    if (s->http == NULL) {
        str_set_err(err, errlen, "cannot create the HTTP server");
        goto fail;
    }
    if (!guard_register(s)) {
        str_set_err(err, errlen, "too many HTTP servers in one process");
        evhttp_free(s->http);
        s->http = NULL;
        goto fail;
    }
    evhttp_set_timeout(s->http, (int)s->timeout.tv_sec);
    evhttp_set_max_headers_size(s->http, HTTP_MAX_HEADERS_SIZE);
    evhttp_set_max_body_size(s->http, cfg->max_body > 0 ? cfg->max_body : HTTP_MAX_BODY_SIZE);
    evhttp_set_bevcb(s->http, guard_new_bev, NULL);
    s->done_ev = event_new(base, -1, EV_READ, replies_on_loop, s);
    if (s->done_ev == NULL) {
        str_set_err(err, errlen, "out of memory");
        goto fail;
    }
    evhttp_set_gencb(s->http, on_request, s);

    static const char *const loopback[] = {"127.0.0.1", "::1"};
    const char *const *binds = cfg->n_bind > 0 ? cfg->bind : loopback;
    size_t n_binds = cfg->n_bind > 0 ? cfg->n_bind : 2;
    for (size_t i = 0; i < n_binds; i++) {
        char host[256];
        uint16_t port;
        if (!split_host_port(binds[i], cfg->port, host, sizeof host, &port)) {
            str_set_err(err, errlen, "invalid %s address '%s'",
                        cfg->name != NULL ? "bind" : "-rpcbind", binds[i]);
            goto fail;
        }
        struct evhttp_bound_socket *b = evhttp_bind_socket_with_handle(s->http, host, port);
        if (b == NULL) {
            LOG_WARN(LOG_CAT_HTTP, "cannot bind the %s to %s port %u: %s", name, host,
                     (unsigned)port, strerror(errno));
            continue;
        }
        LOG_INFO(LOG_CAT_HTTP, "%s listening on %s port %u", name, host, (unsigned)port);
        s->bound[s->n_bound++] = b;
    }
    if (s->n_bound == 0) {
        str_set_err(err, errlen, "cannot bind the %s to any address on port %u", name,
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
    if (s->done_ev != NULL)
        event_free(s->done_ev);
    guard_unregister(s);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return false;
}

static bool add_route(struct http_server *s, const struct http_route *rt)
{
    if (s->n_routes >= HTTP_MAX_HANDLERS)
        return false;
    char *p = strdup(rt->prefix);
    if (p == NULL)
        return false;
    s->routes[s->n_routes] = *rt;
    s->routes[s->n_routes++].prefix = p;
    return true;
}

bool http_server_add_handler(struct http_server *s, const char *prefix, bool exact,
                             http_handler_fn fn, void *arg)
{
    return add_route(s, &(struct http_route){.prefix = (char *)prefix, .exact = exact,
                                             .fn = fn, .arg = arg});
}

bool http_server_add_public_handler(struct http_server *s, const char *prefix, bool exact,
                                    http_handler_fn fn, void *arg)
{
    return add_route(s, &(struct http_route){.prefix = (char *)prefix, .exact = exact,
                                             .public = true, .fn = fn, .arg = arg});
}

bool http_server_add_stream_handler(struct http_server *s, const char *prefix, bool exact,
                                    http_stream_fn fn, void *arg)
{
    return add_route(s, &(struct http_route){.prefix = (char *)prefix, .exact = exact,
                                             .stream = fn, .arg = arg});
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
    guard_unregister(s);
    /* Replies still queued past the drain deadline: their evhttp requests
     * went with evhttp_free. */
    for (struct http_req *r = s->done_head, *next; r != NULL; r = next) {
        next = r->next;
        req_free(r);
    }
    event_free(s->done_ev);
    for (size_t i = 0; i < s->n_routes; i++)
        free(s->routes[i].prefix);
    free(s->threads);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
