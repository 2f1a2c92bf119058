/* gateway: the node's service for people who run no node of their own —
 * platform accounts, each owning one encrypted wallet, a JSON API for
 * them, and the web app's static files, on a port of its own
 * (-gateway, -gatewayport, -gatewaybind; doc/gateway.md).
 *
 * It sits above the RPC server, the wallets and the plugins: it runs its
 * own instance of the RPC layer's HTTP server (listener, worker threads,
 * request guard) with its own routes, and serves /api/rpc through the
 * node's JSON-RPC dispatcher, filtered by its allowlist and always aimed
 * at the logged-in account's wallet. Only soukd's start-up code knows it:
 * gateway_start runs as a hook on the event loop thread after every other
 * area has started, gateway_stop before any of them stops.
 *
 * Owns ctx->gateway: gateway.sqlite, the sessions, the login throttle, the
 * HTTP server and a sweeper thread that ends idle sessions (locking and
 * unloading the wallet of an account whose last session ended). */
#ifndef SOUK_GATEWAY_GATEWAY_H
#define SOUK_GATEWAY_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>

#include "node/node.h"
#include "util/args.h"

extern const struct args_option gateway_options[];
extern const size_t gateway_options_count;

/* Default idle session lifetime and the longest a session may last. */
#define GATEWAY_SESSION_IDLE 1800
#define GATEWAY_SESSION_MAX_AGE (12 * 3600)
/* Requests larger than this are answered 413 before they are read. */
#define GATEWAY_MAX_BODY (1u << 20)
#define GATEWAY_THREADS 4
#define GATEWAY_WORKQUEUE 64
/* Failed logins before each further one is delayed, per account and per
 * client address, and the longest delay. */
#define GATEWAY_THROTTLE_ACCOUNT 5
#define GATEWAY_THROTTLE_ADDRESS 20
#define GATEWAY_THROTTLE_MAX_DELAY 900
/* Sign-ups from one client address before each further one waits the
 * same way (each account holds a wallet on the operator's disk). */
#define GATEWAY_THROTTLE_SIGNUP 10

/* Does nothing unless -gateway is set. */
bool gateway_start(struct node_ctx *ctx, char *err, size_t errlen);
void gateway_stop(struct node_ctx *ctx);

#endif
