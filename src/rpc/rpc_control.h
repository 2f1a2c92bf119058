/* rpc_control: the RPC service of soukd and its control methods.
 *
 * Ties the pieces together for the daemon: reads the -rpc* options, sets
 * up the credentials (cookie, -rpcuser/-rpcpassword, -rpcauth), starts the
 * HTTP server on the node's event loop and routes POST / and
 * POST /wallet/<name> to the JSON-RPC dispatcher. The server checks the
 * credentials on the event loop before it reads a body and answers 401,
 * after a 250 ms pause taken on a timer, to anyone without valid ones.
 * Also provides the control methods help, getrpcschema, uptime, stop and
 * getrpcinfo.
 *
 * Owns the credentials and the cookie file while the service runs. One
 * service per process. */
#ifndef SOUK_RPC_RPC_CONTROL_H
#define SOUK_RPC_RPC_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/args.h"

struct node_ctx;
struct rpc_table;

/* The -rpc* options, for the daemon's option table. */
extern const struct args_option rpc_control_options[];
extern const size_t rpc_control_options_count;

/* Pause before answering 401, in milliseconds. */
#define RPC_AUTH_FAIL_DELAY_MS 250

/* help, getrpcschema, uptime, stop, getrpcinfo. */
bool rpc_control_register(struct rpc_table *t, char *err, size_t errlen);

/* Starts serving ctx->rpc on ctx->base; sets ctx->http. */
bool rpc_service_start(struct node_ctx *ctx, char *err, size_t errlen);
/* Stops accepting new requests (loop thread). */
void rpc_service_interrupt(struct node_ctx *ctx);
/* Finishes queued requests, sends their replies, frees the server and
 * removes the cookie. Safe to call when the service never started. */
void rpc_service_stop(struct node_ctx *ctx);

#endif
