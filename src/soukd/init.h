/* init: soukd's startup and shutdown sequence.
 *
 * Startup: option parsing (command line, then souk.conf), the datadir and
 * its lock file, -daemon, the debug log, the event loop and signals, the
 * RPC method table, then the RPC service in warm-up (it answers at once,
 * with -28 and what startup is doing for every method but help,
 * getrpcschema, uptime, stop and getrpcinfo), then every area's start hook in order — those that
 * may take long (loading or reindexing the chain, wallets) on a startup
 * thread while the event loop already serves RPC, those that add events to
 * the loop (P2P) on the loop thread after them — then warm-up ends. The
 * event loop runs until SIGINT/SIGTERM or the stop RPC, which also work
 * during warm-up (a chain still loading stops between blocks). Shutdown:
 * the RPC service stops taking calls and answers the ones it has, the
 * areas' stop hooks run in reverse order, and the cookie, pid file and
 * lock are released.
 *
 * Areas plug in at two clearly marked lists in init.c:
 *  - init_option_tables: each area's struct args_option table (the daemon's
 *    option table is their concatenation, so -help lists everything);
 *  - init_hooks: start/stop pairs. RPC methods are registered before any
 *    hook runs (the server reads the table from the start), not by hooks.
 *    When a start hook fails, the stop hooks of those started before it
 *    run and soukd exits with 1 (0 when a shutdown was asked for meanwhile).
 *
 * Owns the node context for the life of the process. */
#ifndef SOUK_SOUKD_INIT_H
#define SOUK_SOUKD_INIT_H

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
    /* Runs on the startup thread while the event loop serves RPC in
     * warm-up, or, with on_loop, on the loop thread after every other hook
     * (for hooks that add events to the loop); ctx->args, params, datadir,
     * base and rpc are ready. Long work should look at
     * node_shutdown_requested() now and then. False with a message stops
     * startup. */
    bool (*start)(struct node_ctx *ctx, char *err, size_t errlen);
    /* Runs on the main thread after the loop and the RPC service have
     * stopped; only for hooks whose start succeeded. May be NULL. */
    void (*stop)(struct node_ctx *ctx);
    bool on_loop;
    /* Shown to RPC clients while the hook starts. */
    const char *warmup;
};

/* The general daemon options (-datadir, -conf, -daemon, ...). */
extern const struct args_option init_options[];
extern const size_t init_options_count;

/* soukd's main(): returns the process exit status (0 after a clean
 * shutdown or -help, 1 on bad options or a failed startup). */
int init_main(int argc, char *argv[]);

#endif
