/* httpserver: the node's HTTP server (libevent evhttp) and its worker pool.
 *
 * evhttp is not thread-safe, so everything that touches an evhttp request
 * runs on the event loop thread: the loop accepts a request, checks the
 * peer against the -rpcallowip list, copies what a handler needs (method,
 * URI, headers, body, peer) into a struct http_req and queues it for one of
 * the worker threads. The worker runs the handler, which sets the answer
 * with http_req_reply(); when the handler returns, the answer travels back
 * to the loop thread through a reply queue (one wake-up of the loop serves
 * every reply queued meanwhile) and is sent there. A fast path may answer a
 * request on the loop thread itself (http_server_set_fast_path). A full queue is answered at once
 * with 503.
 *
 * Requests are checked before they cost the node anything (doc/rpc.md,
 * "Limits"): a per-connection guard reads the bytes as they arrive, before
 * evhttp parses them, so it sees the end of the headers before the body.
 * It checks the credentials there (the authorize callback of the config);
 * a request whose credentials fail may carry at most HTTP_UNAUTH_MAX_BODY
 * bytes of body, a larger one stops being read and its connection is closed
 * after the failed-login delay. Every request must arrive whole within the
 * server timeout of its first byte (a client trickling a byte at a time is
 * closed), and a request that fails authorization is answered 401 from a
 * timer on the event loop after the delay, never reaching a worker. Request
 * and reply bodies are wiped (OPENSSL_cleanse) when freed, since some carry
 * passphrases and keys.
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
/* Seconds a connection may stay idle, and a request may take to arrive
 * whole (headers and body) from its first byte, as bitcoind's
 * -rpcservertimeout. */
#define HTTP_SERVER_TIMEOUT 30
/* Body bytes read of a request whose credentials failed. */
#define HTTP_UNAUTH_MAX_BODY 8192
/* Pause before a failed login is answered (bitcoind's 250 ms). */
#define HTTP_AUTH_FAIL_DELAY_MS 250
/* Longest user name handed to a handler. */
#define HTTP_USER_MAX 128

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
/* Runs on the event loop thread, so it must be quick (cache): whether the
 * Authorization header value (NULL when absent) is valid; on success the
 * user name is written to user (truncated to user_len). */
typedef bool (*http_authorize_fn)(const char *authorization, char *user, size_t user_len,
                                  void *arg);

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

/* The value of the first header `name` (any case) in a request head (the
 * request line, then header lines ending in LF or CRLF) as it came off the
 * socket, trimmed of blanks, NUL-terminated into out; false when absent or
 * longer than outlen - 1. How the connection guard finds the credentials
 * of a request before evhttp has parsed it. */
bool http_head_value(const char *head, size_t head_len, const char *name, char *out,
                     size_t outlen);

struct http_config {
    const char *const *bind;   /* host or host:port / [v6]:port; NULL/0 → loopback */
    size_t n_bind;
    uint16_t port;
    const struct http_subnet *allow; /* besides localhost, always allowed */
    size_t n_allow;
    int threads;
    int workqueue;
    int timeout;                 /* seconds; 0: HTTP_SERVER_TIMEOUT */
    http_authorize_fn authorize; /* NULL: every request is authorized */
    void *authorize_arg;
    int auth_fail_delay_ms;      /* < 0: HTTP_AUTH_FAIL_DELAY_MS */
    size_t max_body;             /* bytes; 0: HTTP_MAX_BODY_SIZE (evhttp answers 413 past it) */
    const char *name;            /* in log lines and errors; NULL: "RPC server" */
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
/* The same for a route anyone may use: its requests need no credentials
 * (wrong ones are ignored) and never go to the fast path (REST). */
bool http_server_add_public_handler(struct http_server *s, const char *prefix, bool exact,
                                    http_handler_fn fn, void *arg);
/* A route whose replies stream (server-sent events). fn runs on the event
 * loop thread for each authorized request, never on a worker nor the fast
 * path, and owns the libevent request from then on: it answers with
 * evhttp_send_reply (or _start, _chunk ... _end), on the loop thread only,
 * and must end it (evhttp_send_reply_end also frees a request whose client
 * has gone: evhttp_request_get_connection is then NULL). user is the
 * authorized user. http_server_interrupt does not end streams: their
 * owner does, before http_server_free. */
struct evhttp_request;
typedef void (*http_stream_fn)(struct evhttp_request *ev, const char *user, void *arg);
bool http_server_add_stream_handler(struct http_server *s, const char *prefix, bool exact,
                                    http_stream_fn fn, void *arg);
/* Runs on the event loop thread for each authorized request of a route
 * that is not public, before it is queued; returns true when it has set
 * the reply with http_req_reply* (the request then never reaches a
 * worker), false to leave it to the route's handler. It must not block. */
typedef bool (*http_fast_fn)(struct http_req *req, void *arg);
/* Sets the fast path (NULL: none). Call before requests arrive. */
void http_server_set_fast_path(struct http_server *s, http_fast_fn fn, void *arg);
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
/* The user the authorize callback accepted ("" without one). */
const char *http_req_user(const struct http_req *r);
/* Adds a reply header; false on allocation failure. */
bool http_req_add_reply_header(struct http_req *r, const char *name, const char *value);
/* Sets the reply (the body is copied; len 0 sends none); it is sent once
 * the handler returns. Later calls are ignored. */
void http_req_reply(struct http_req *r, int status, const char *body, size_t len);
/* As http_req_reply, but takes body (malloc'd; NULL or len 0 sends none)
 * instead of copying it: it is wiped and freed once written, or at once
 * when the reply was already set. */
void http_req_reply_take(struct http_req *r, int status, char *body, size_t len);

#endif
