#include "node/services.h"

#include <stdio.h>

#include "node/checkqueue.h"
#include "util/log.h"
#include "util/time.h"

const struct args_option services_options[] = {
    {"dbcache", "<MiB>", "64", "Database cache size in MiB, shared by the block index, the "
     "chainstate and the indexes (4 to 16384).", 0, "Chain options"},
    {"reindex", NULL, "0",
     "Rebuild the block index, the chainstate and the indexes from the block files.", 0, NULL},
    {"par", "<n>", "0",
     "Threads that check a block's signatures, the validation thread included (1 to 16; 0 = "
     "one per CPU core; a negative n leaves that many cores free).", 0, NULL},
    {"maxmempool", "<MB>", "300", "Keep the transaction memory pool below this many megabytes "
     "of encoded transactions (1 to 100000).", 0, NULL},
    {"minrelaytxfee", "<units/byte>", "1",
     "Smallest fee rate, in base units per encoded byte, for relay and mining (0 to 1000000).",
     0, NULL},
};
const size_t services_options_count = sizeof services_options / sizeof services_options[0];

/* The tip backend the mempool holds a copy of: it must outlive the pool. */
static struct state_backend services_tip;

/* One node per process: the listener list is process-wide like the tip. */
static struct services_tx_listener services_tx_listeners[SERVICES_MAX_TX_LISTENERS];
static size_t services_n_tx_listeners;
static struct chain_listener services_block_listeners[SERVICES_MAX_BLOCK_LISTENERS];
static size_t services_n_block_listeners;

/* Also where transactions older than 14 days leave the mempool: a new tip
 * comes often enough for that, and it keeps all pool upkeep in one place. */
static void services_follow_tip(struct node_ctx *ctx)
{
    size_t expired = mempool_expire(ctx->mempool, time_now());
    if (expired > 0)
        LOG_INFO(LOG_CAT_MEMPOOL, "%zu transactions expired from the mempool", expired);
    chain_tip_backend(ctx->chain, &services_tip);
    if (!mempool_update_tip(ctx->mempool, &services_tip, chain_tip(ctx->chain)->height))
        LOG_WARN(LOG_CAT_MEMPOOL, "re-checking the mempool against the new tip failed");
}

static void services_connected(void *ctx, const struct block *b, const struct blockindex_entry *e)
{
    struct node_ctx *node = ctx;
    mempool_remove_block(node->mempool, b);
    for (size_t i = 0; i < services_n_block_listeners; i++)
        if (services_block_listeners[i].connected != NULL)
            services_block_listeners[i].connected(services_block_listeners[i].ctx, b, e);
}

static void services_disconnected(void *ctx, const struct block *b,
                                  const struct blockindex_entry *e)
{
    struct node_ctx *node = ctx;
    mempool_readd(node->mempool, b->txs, b->tx_count, time_now());
    for (size_t i = 0; i < services_n_block_listeners; i++)
        if (services_block_listeners[i].disconnected != NULL)
            services_block_listeners[i].disconnected(services_block_listeners[i].ctx, b, e);
}

static void services_progress(void *ctx, const char *what)
{
    struct node_ctx *node = ctx;
    LOG_INFO(LOG_CAT_VALIDATION, "%s", what);
    if (node->warmup_status != NULL)
        node->warmup_status(node, what);
}

bool services_start(struct node_ctx *ctx, char *err, size_t errlen)
{
    int64_t dbcache, maxmempool, minfee, par;
    bool reindex;
    if (args_get_int(ctx->args, "dbcache", SERVICES_DEFAULT_DBCACHE_MB, 4, 16384, &dbcache, err,
                     errlen) != ARGS_OK ||
        args_get_int(ctx->args, "maxmempool", MEMPOOL_DEFAULT_MAX_MB, 1, 100000, &maxmempool, err,
                     errlen) != ARGS_OK ||
        args_get_int(ctx->args, "minrelaytxfee", MEMPOOL_DEFAULT_MIN_FEE_RATE, 0, 1000000, &minfee,
                     err, errlen) != ARGS_OK ||
        args_get_bool(ctx->args, "reindex", false, &reindex, err, errlen) != ARGS_OK ||
        args_get_int(ctx->args, "par", 0, -CHECKQUEUE_MAX_THREADS, CHECKQUEUE_MAX_THREADS, &par,
                     err, errlen) != ARGS_OK)
        return false;
    int64_t cores = (int64_t)checkqueue_cpu_count();
    int64_t threads = par > 0 ? par : par == 0 ? cores : cores + par;
    if (threads < 1)
        threads = 1;
    if (threads > CHECKQUEUE_MAX_THREADS)
        threads = CHECKQUEUE_MAX_THREADS;

    struct chain_options opt = {.cache_bytes = (size_t)dbcache << 20,
                                .reindex = reindex,
                                .interrupt = &ctx->shutdown_requested,
                                .progress = services_progress,
                                .progress_ctx = ctx,
                                .verify_threads = (unsigned)threads};
    struct chain *chain;
    if (!chain_open(&chain, ctx->params, ctx->datadir, &opt, err, errlen))
        return false;
    struct mempool *pool = mempool_new(ctx->params, (size_t)maxmempool * 1000000);
    if (pool == NULL) {
        chain_close(chain);
        snprintf(err, errlen, "out of memory creating the mempool");
        return false;
    }
    mempool_set_min_fee_rate(pool, (amount_t)minfee);
    struct chain_listener l = {
        .ctx = ctx, .connected = services_connected, .disconnected = services_disconnected};
    chain_add_listener(chain, &l);
    ctx->chain = chain;
    ctx->mempool = pool;
    services_follow_tip(ctx);
    return true;
}

void services_stop(struct node_ctx *ctx)
{
    services_n_tx_listeners = 0;
    services_n_block_listeners = 0;
    mempool_free(ctx->mempool);
    chain_close(ctx->chain);
    ctx->mempool = NULL;
    ctx->chain = NULL;
}

enum chain_result services_process_block(struct node_ctx *ctx, const struct block *b,
                                         struct block_fault *fault, char *reason,
                                         size_t reasonlen)
{
    enum chain_result r = chain_process_block(ctx->chain, b, fault, reason, reasonlen);
    services_follow_tip(ctx);
    return r;
}

bool services_add_tx_listener(struct node_ctx *ctx, const struct services_tx_listener *l)
{
    (void)ctx;
    if (services_n_tx_listeners == SERVICES_MAX_TX_LISTENERS)
        return false;
    services_tx_listeners[services_n_tx_listeners++] = *l;
    return true;
}

bool services_add_block_listener(struct node_ctx *ctx, const struct chain_listener *l)
{
    (void)ctx;
    if (services_n_block_listeners == SERVICES_MAX_BLOCK_LISTENERS)
        return false;
    services_block_listeners[services_n_block_listeners++] = *l;
    return true;
}

void services_remove_listeners(struct node_ctx *ctx, const void *listener_ctx)
{
    (void)ctx;
    size_t k = 0;
    for (size_t i = 0; i < services_n_tx_listeners; i++)
        if (services_tx_listeners[i].ctx != listener_ctx)
            services_tx_listeners[k++] = services_tx_listeners[i];
    services_n_tx_listeners = k;
    k = 0;
    for (size_t i = 0; i < services_n_block_listeners; i++)
        if (services_block_listeners[i].ctx != listener_ctx)
            services_block_listeners[k++] = services_block_listeners[i];
    services_n_block_listeners = k;
}

enum mempool_err services_accept_tx(struct node_ctx *ctx, const struct tx *tx,
                                    struct mempool_accept_info *info)
{
    enum mempool_err r = mempool_accept(ctx->mempool, tx, time_now(), info);
    if (r != MEMPOOL_OK)
        return r;
    for (size_t i = 0; i < services_n_tx_listeners; i++)
        services_tx_listeners[i].accepted(services_tx_listeners[i].ctx, tx, info->txid);
    return r;
}

bool services_invalidate(struct node_ctx *ctx, const uint8_t hash[SHA256_LEN], char *err,
                         size_t errlen)
{
    bool ok = chain_invalidate(ctx->chain, hash, err, errlen);
    services_follow_tip(ctx);
    return ok;
}

bool services_reconsider(struct node_ctx *ctx, const uint8_t hash[SHA256_LEN], char *err,
                         size_t errlen)
{
    bool ok = chain_reconsider(ctx->chain, hash, err, errlen);
    services_follow_tip(ctx);
    return ok;
}
