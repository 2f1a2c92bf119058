/* httpserver: the node's HTTP server (libevent evhttp) and its worker pool.
 *
 * evhttp is not thread-safe, so everything that touches an evhttp request
 * runs on the event loop thread: the loop accepts a request, checks the
 * peer against the -rpcallowip list, copies what a handler needs (method,
 * URI, headers, body, peer) into a struct http_req and queues it for one of
 * the worker threads. The worker runs the handler, which sets the answer
 * with http_req_reply(); when the handler returns, the answer travels back
 * to the loop thread through event_base_once() and is sent there. A full queue is answered at once
 * with 503.
 *
 * Owns the evhttp instance, its listening sockets, the queue and the
 * worker threads. The event_base is borrowed from the node and must have
 * been created after evthread_use_pthreads() (http_server_new checks). */
#ifndef SOUK_RPC_HTTPSERVER_H
#define SOUK_RPC_HTTPSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct http_server;
struct http_req;

#define HTTP_DEFAULT_THREADS 4
#define HTTP_DEFAULT_WORKQUEUE 16
#define HTTP_MAX_BODY_SIZE (32u * 1024u * 1024u)
#define HTTP_MAX_HEADERS_SIZE 8192
#define HTTP_SERVER_TIMEOUT 30 /* seconds of idle connection */

enum http_method {
    HTTP_METHOD_GET,
    HTTP_METHOD_POST,
    HTTP_METHOD_HEAD,
    HTTP_METHOD_PUT,
    HTTP_METHOD_OTHER,
};

/* Runs on a worker thread; must end with exactly one http_req_reply()
 * (when it does not, the server answers 500). */
typedef void (*http_handler_fn)(struct http_req *req, void *arg);

/* One allowed peer range: an address and a prefix length. */
struct http_subnet {
    int family;        /* AF_INET or AF_INET6 */
    uint8_t addr[16];  /* network byte order; 4 bytes used for AF_INET */
    unsigned prefix;   /* 0..32 or 0..128 */
};

/* Parses "1.2.3.4", "1.2.3.0/24", "1.2.3.0/255.255.255.0", "::1",
 * "fe80::/10". False (out untouched) when malformed. */
bool http_subnet_parse(const char *s, struct http_subnet *out);
/* Whether an address (struct sockaddr_in / sockaddr_in6) lies in the subnet.
 * IPv4-mapped IPv6 peers are matched against IPv4 subnets. */
bool http_subnet_match(const struct http_subnet *net, const void *sockaddr);

struct http_config {
    const char *const *bind;   /* host or host:port / [v6]:port; NULL/0 → loopback */
    size_t n_bind;
    uint16_t port;
    const struct http_subnet *allow; /* besides localhost, always allowed */
    size_t n_allow;
    int threads;
    int workqueue;
};

/* Creates the server on base: binds every address (fails when none can be
 * bound; a single failing address among several only logs a warning) and
 * starts the worker threads. *out is set only on success. */
bool http_server_new(struct event_base *base, const struct http_config *cfg,
                     struct http_server **out, char *err, size_t errlen);
/* Routes requests whose path equals `prefix` (exact) or starts with it.
 * Call before requests arrive (it is not synchronised with the loop).
 * Longer prefixes are not preferred: handlers are tried in the order added. */
bool http_server_add_handler(struct http_server *s, const char *prefix, bool exact,
                             http_handler_fn fn, void *arg);
/* Stops accepting connections and work (queued requests still run and new
 * requests are answered 503). Loop thread only. */
void http_server_interrupt(struct http_server *s);
/* Joins the workers after they finish the queue, then runs the loop until
 * their replies are written (at most about two seconds), and frees the
 * server. The event loop must not be running in another thread. NULL ok. */
void http_server_free(struct http_server *s);

/* ---- for handlers (worker thread) ---- */
enum http_method http_req_method(const struct http_req *r);
/* The request URI as sent, e.g. "/wallet/main". */
const char *http_req_uri(const struct http_req *r);
/* The value of a request header (case-insensitive name), or NULL. */
const char *http_req_header(const struct http_req *r, const char *name);
/* The body, NUL-terminated (the NUL is not counted). */
const char *http_req_body(const struct http_req *r, size_t *len_out);
/* The peer as "addr:port". */
const char *http_req_peer(const struct http_req *r);
/* Adds a reply header; false on allocation failure. */
bool http_req_add_reply_header(struct http_req *r, const char *name, const char *value);
/* Sets the reply (the body is copied; len 0 sends none); it is sent once
 * the handler returns. Later calls are ignored. */
void http_req_reply(struct http_req *r, int status, const char *body, size_t len);

#endif
