/* sse: GET /events?address=... on the RPC port — the node's event bus
 * (node/eventbus.h) as server-sent events for the addresses asked about.
 *
 * A client (RPC credentials, like any RPC call) names one or more
 * addresses; it is sent every block, and every transaction and chat
 * message that concerns one of them, each as an SSE event whose id is the
 * bus's: `block`, `payment` (a transfer or coinbase), the first word of
 * the transaction type's name (`order`, `review`, `listing`, `profile`)
 * and `message`. A client that reconnects with Last-Event-ID gets what it
 * missed while the bus still holds it, or a `missed` event saying that it
 * no longer does.
 *
 * Streams are served on the event loop thread from the bus's ring: a
 * client is fed only while what it has not yet taken from its connection
 * stays under SSE_OUTPUT_MAX, so the node never queues more for it than
 * that; a client that stops reading falls behind in the ring, and is
 * dropped once the ring no longer holds its next event; one that takes
 * nothing at all is closed by its connection's write timeout
 * (-rpcservertimeout, as any HTTP client). Publishing never waits
 * for a client.
 *
 * Loop thread only, but for the bus's wake-up. Owns the streams. */
#ifndef SOUK_RPC_SSE_H
#define SOUK_RPC_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_server;
struct node_ctx;
struct sse_server;

#define SSE_MAX_CLIENTS 1000
#define SSE_MAX_ADDRESSES 16
/* Bytes a client may leave untaken before it is fed no more for now. */
#define SSE_OUTPUT_MAX (64u * 1024u)
/* The kernel's share of that: the send buffer of an event connection. */
#define SSE_SOCKET_BUFFER (32 * 1024)
/* What a client may send on its stream before it is no longer read. */
#define SSE_INPUT_MAX 4096
/* A comment line this often keeps proxies and dead-peer detection going. */
#define SSE_KEEPALIVE_SECONDS 15

/* Registers GET /events on http; the node's bus must exist. A client
 * that takes nothing for stall_seconds is closed. */
bool sse_start(struct node_ctx *node, struct http_server *http, int stall_seconds,
               struct sse_server **out, char *err, size_t errlen);

/* Who a stream on another route is for: fills keys (at most max) from the
 * request — a login session, say — or replies with a refusal itself and
 * returns false. Runs on the loop thread. */
struct evhttp_request;
typedef bool (*sse_keys_fn)(void *ctx, struct evhttp_request *ev, uint8_t (*keys)[32],
                            size_t max, size_t *n);
/* The same streams on `path` of http (a route of its own: register it
 * before a prefix that covers it), for the keys keys_fn names. */
bool sse_start_route(struct node_ctx *node, struct http_server *http, const char *path,
                     sse_keys_fn keys_fn, void *keys_ctx, int stall_seconds,
                     struct sse_server **out, char *err, size_t errlen);
/* Reads the query of GET /events (NULL: none) for a node whose addresses
 * start with hrp: 0 and the keys of its `address` parameters in keys
 * (room for SSE_MAX_ADDRESSES), *n of them, at least one; else the HTTP
 * status (400) and the message for the client in err. */
int sse_parse_query(const char *query, const char *hrp, uint8_t (*keys)[32], size_t *n,
                    char *err, size_t errlen);
/* Reads a Last-Event-ID header: a decimal event id and nothing else. */
bool sse_parse_event_id(const char *v, uint64_t *id, char *err, size_t errlen);

/* Ends every stream (clients see the stream end); later requests get 503.
 * Loop thread, or the loop no longer running. NULL ok. */
void sse_stop(struct sse_server *s);
/* Frees it, after the HTTP server that routes to it (http_server_free). */
void sse_free(struct sse_server *s);

#endif
