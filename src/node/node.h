/* node: the running node's shared context.
 *
 * One struct node_ctx exists per soukd process. init.c fills the common
 * part (parameters, options, datadir, event loop, chain lock) and passes
 * it to every area's start/stop hook and, through struct rpc_request, to
 * every RPC handler. Each area owns the member it adds (chain, mempool,
 * ...) and frees it in its stop hook; the context itself owns nothing
 * else.
 *
 * Threads: the event loop thread runs P2P/HTTP I/O and timers; RPC
 * handlers run on HTTP worker threads. Anything that reads or changes chain
 * or mempool state holds `lock`. */
#ifndef SOUK_NODE_NODE_H
#define SOUK_NODE_NODE_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

struct args;
struct chain_params;
struct chatbus;
struct eventbus;
struct event_base;
struct rpc_table;
struct http_server;
struct notify_queue;
struct pluginhost;
struct services;

struct node_ctx {
    const struct chain_params *params; /* the chosen network */
    struct args *args;                 /* parsed command line + souk.conf */
    char basedir[PATH_MAX];            /* -datadir (default ~/.souk) */
    char datadir[PATH_MAX];            /* network datadir: basedir[/testnet|/regtest] */
    int64_t start_time;                /* time_now() at startup, for uptime */

    /* The chain lock: held by RPC handlers and validation while they touch
     * chain state, the mempool or the indexes. Not recursive. */
    pthread_mutex_t lock;

    struct event_base *base;    /* created with pthread locking enabled */
    struct rpc_table *rpc;      /* method table; areas register into it in their start hooks */
    struct http_server *http;   /* NULL until the RPC server is up */

    /* Area state, owned by the area that sets it. */
    struct services *services; /* listener lists, tip, index runners (node/services.c) */
    void *storage;
    void *chain;
    void *mempool;
    void *miner;
    void *wallet;   /* struct walletman; NULL with -disablewallet */
    void *gateway;  /* struct gateway; NULL without -gateway (src/gateway) */
    struct pluginhost *plugins; /* the plugins this node hosts (start-up code owns it) */
    /* Chat envelopes kept by the chat plugin, heard by the wallets
     * (node/chatbus.h; start-up code owns it; NULL in tools and tests). */
    struct chatbus *chatbus;
    /* Runs -blocknotify, -walletnotify and -chatnotify commands off the
     * raising thread (util/notify.h; start-up code owns it; NULL in tools
     * and tests, where nothing is run). */
    struct notify_queue *notify;
    /* What happened, for event clients (node/eventbus.h; start-up code
     * owns it; NULL in tools and tests). */
    struct eventbus *events;

    /* Set once shutdown has been requested (signal or the stop RPC). */
    atomic_bool shutdown_requested;
    /* Asks the node to shut down cleanly; safe from any thread, and from a
     * handler that still has to send its reply (the reply goes out first). */
    void (*request_shutdown)(struct node_ctx *ctx);
    /* Tells RPC clients what startup is doing (they get -28 with this
     * message until startup ends); safe from any thread. NULL outside
     * soukd. */
    void (*warmup_status)(struct node_ctx *ctx, const char *status);
    /* Reports a failure the node cannot safely run on after (a write or
     * sync of the block files or of a database failed: disk full, an I/O
     * error): logs "<msg>; shutting down", prints it on stderr, makes the
     * exit status 1 and asks for a shutdown, as Bitcoin Core's AbortNode.
     * Whoever calls it has committed nothing that points at what failed.
     * Safe from any thread; NULL outside soukd. */
    void (*fatal_error)(struct node_ctx *ctx, const char *msg);
    /* init.c's private state (the shutdown event). */
    void *priv;
};

static inline bool node_shutdown_requested(struct node_ctx *ctx)
{
    return atomic_load(&ctx->shutdown_requested);
}

#endif
