/* init: soukd's startup and shutdown sequence.
 *
 * Startup: option parsing (command line, then souk.conf), the datadir and
 * its lock file, -daemon, the debug log, the event loop and signals, then
 * every area's start hook in order, then the RPC service; the event loop
 * runs until SIGINT/SIGTERM or the stop RPC. Shutdown: the RPC service
 * stops taking calls and answers the ones it has, the areas' stop hooks
 * run in reverse order, and the cookie, pid file and lock are released.
 *
 * Areas plug in at two clearly marked lists in init.c:
 *  - init_option_tables: each area's struct args_option table (the daemon's
 *    option table is their concatenation, so -help lists everything);
 *  - init_hooks: start/stop pairs. A start hook may register RPC methods
 *    with rpc_register_table(ctx->rpc, ...). When a start hook fails, the
 *    stop hooks of those started before it run and soukd exits with 1.
 *
 * Owns the node context for the life of the process. */
#ifndef SOUK_NODE_INIT_H
#define SOUK_NODE_INIT_H

#include <stdbool.h>
#include <stddef.h>

#include "node/node.h"
#include "util/args.h"

struct init_option_table {
    const struct args_option *opts;
    const size_t *count; /* a pointer so that extern const sizes can be used */
};

struct init_hook {
    const char *name;
    /* Runs on the main thread before the event loop starts; ctx->args,
     * params, datadir, base and rpc are ready. False with a message stops
     * startup. */
    bool (*start)(struct node_ctx *ctx, char *err, size_t errlen);
    /* Runs on the main thread after the loop and the RPC service have
     * stopped; only for hooks whose start succeeded. May be NULL. */
    void (*stop)(struct node_ctx *ctx);
};

/* The general daemon options (-datadir, -conf, -daemon, ...). */
extern const struct args_option init_options[];
extern const size_t init_options_count;

/* soukd's main(): returns the process exit status (0 after a clean
 * shutdown or -help, 1 on bad options or a failed startup). */
int init_main(int argc, char *argv[]);

#endif
