#include "node/services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/sigcache.h"
#include "node/checkqueue.h"
#include "util/crashpoint.h"
#include "util/grow.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/notify.h"
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
    {"maxsigcachesize", "<MiB>", "32",
     "Memory for signatures already verified, so the transactions of a block that were seen "
     "in the mempool are not verified again (0 to 16384; 0 turns it off).", 0, NULL},
    {"minimumchainwork", "<hex>", NULL,
     "Store a header chain (or an unrequested block) only when it claims at least this much "
     "work, a hex number of expected hashes (up to 64 digits; default: the network's, zero on "
     "every network for now). It must also come within 144 blocks' work of the tip.", 0,
     NULL},
    {"crashratio", "<n>", "0",
     "Test only, regtest only: end the process on purpose, without any clean-up, with "
     "probability 1/n at each crash point inside the block storage, chainstate and index "
     "writes, to prove that a restart recovers (0 = never).", 0, NULL},
    {"blocknotify", "<cmd>", NULL,
     "Run this command through /bin/sh when the best block changes (%s = its hash), except "
     "while the node is catching up; commands run one at a time, in order, off the node's own "
     "threads.", 0, NULL},
    {"minrelaytxfee", "<units/byte>", "1",
     "Smallest fee rate, in base units per encoded byte, for relay and mining (0 to 1000000).",
     0, NULL},
};
const size_t services_options_count = sizeof services_options / sizeof services_options[0];

/* What services keep for a node (ctx->services). */
struct services {
    /* As many as the node needs: one per loaded wallet and index among them. */
    struct services_tx_listener *tx_listeners;
    size_t n_tx_listeners, cap_tx_listeners;
    struct chain_listener *block_listeners;
    size_t n_block_listeners, cap_block_listeners;
    struct index_runner *txindex;
    /* The tip as of the last block connected or disconnected, for readers
     * that must not wait for a block being validated. */
    pthread_mutex_t tip_mu;
    uint8_t tip_hash[SHA256_LEN];
    uint64_t tip_height;
    /* -blocknotify (NULL: none) and the tip it last ran for (or the tip at
     * start-up, which it does not run for). Under the chain lock. */
    const char *blocknotify;
    uint8_t notified_tip[SHA256_LEN];
    bool caught_up;
};

static void services_set_tip(struct services *sv, const struct blockindex_entry *tip)
{
    if (sv == NULL || tip == NULL)
        return;
    pthread_mutex_lock(&sv->tip_mu);
    memcpy(sv->tip_hash, tip->hash, SHA256_LEN);
    sv->tip_height = tip->height;
    pthread_mutex_unlock(&sv->tip_mu);
}

bool services_tip_snapshot(struct node_ctx *ctx, uint8_t hash[SHA256_LEN], uint64_t *height)
{
    struct services *sv = ctx != NULL ? ctx->services : NULL;
    if (sv == NULL)
        return false;
    pthread_mutex_lock(&sv->tip_mu);
    if (hash != NULL)
        memcpy(hash, sv->tip_hash, SHA256_LEN);
    if (height != NULL)
        *height = sv->tip_height;
    pthread_mutex_unlock(&sv->tip_mu);
    return true;
}

bool services_initial_download(const struct blockindex_entry *tip,
                               const struct blockindex_entry *best)
{
    if (u256_cmp(&best->chainwork, &tip->chainwork) > 0)
        return true;
    return tip->height > 0 && (int64_t)tip->header.time < time_now() - 24 * 60 * 60;
}

/* -blocknotify once per new tip, as bitcoind: a reorg or a batch of blocks
 * connected in one call is one change. Until the node has first caught up
 * (its tip past the genesis block, recent and as far as the best header)
 * nothing runs, so a syncing node does not queue a command per block; from
 * then on every new tip runs it, as bitcoind's latched initial-download
 * state does. */
static void services_block_notify(struct node_ctx *ctx)
{
    struct services *sv = ctx->services;
    if (sv == NULL || sv->blocknotify == NULL)
        return;
    const struct blockindex_entry *tip = chain_tip(ctx->chain);
    if (memcmp(tip->hash, sv->notified_tip, SHA256_LEN) == 0)
        return;
    if (!sv->caught_up) {
        if (tip->height == 0 || services_initial_download(tip, chain_best_header(ctx->chain)))
            return;
        sv->caught_up = true;
    }
    memcpy(sv->notified_tip, tip->hash, SHA256_LEN);
    char hex[2 * SHA256_LEN + 1];
    hex_encode(tip->hash, SHA256_LEN, hex);
    const struct notify_subst s[] = {{'s', hex, false}};
    notify_run(ctx->notify, "-blocknotify", sv->blocknotify, s, 1);
}

/* Also where transactions older than 14 days leave the mempool: a new tip
 * comes often enough for that, and it keeps all pool upkeep in one place. */
static void services_follow_tip(struct node_ctx *ctx)
{
    services_block_notify(ctx);
    size_t expired = mempool_expire(ctx->mempool, time_now());
    if (expired > 0)
        LOG_INFO(LOG_CAT_MEMPOOL, "%zu transactions expired from the mempool", expired);
    /* The pool keeps a copy; its ctx, the chainstate, lives as long as the chain. */
    struct state_backend tip;
    chain_tip_backend(ctx->chain, &tip);
    if (!mempool_update_tip(ctx->mempool, &tip, chain_tip(ctx->chain)->height))
        LOG_WARN(LOG_CAT_MEMPOOL, "re-checking the mempool against the new tip failed");
}

static void services_connected(void *ctx, const struct block *b, const struct blockindex_entry *e)
{
    struct node_ctx *node = ctx;
    struct services *sv = node->services;
    services_set_tip(sv, e);
    mempool_remove_block(node->mempool, b);
    for (size_t i = 0; sv != NULL && i < sv->n_block_listeners; i++)
        if (sv->block_listeners[i].connected != NULL)
            sv->block_listeners[i].connected(sv->block_listeners[i].ctx, b, e);
}

static void services_deadline(void *ctx, const struct blockindex_entry *e, uint8_t owner,
                              const uint8_t *key, size_t klen)
{
    struct node_ctx *node = ctx;
    struct services *sv = node->services;
    for (size_t i = 0; sv != NULL && i < sv->n_block_listeners; i++)
        if (sv->block_listeners[i].deadline != NULL)
            sv->block_listeners[i].deadline(sv->block_listeners[i].ctx, e, owner, key, klen);
}

static void services_disconnected(void *ctx, const struct block *b,
                                  const struct blockindex_entry *e)
{
    struct node_ctx *node = ctx;
    struct services *sv = node->services;
    services_set_tip(sv, e->prev);
    mempool_readd(node->mempool, b->txs, b->tx_count, time_now());
    for (size_t i = 0; sv != NULL && i < sv->n_block_listeners; i++)
        if (sv->block_listeners[i].disconnected != NULL)
            sv->block_listeners[i].disconnected(sv->block_listeners[i].ctx, b, e);
}

/* -minimumchainwork: up to 64 hex digits, an optional 0x, leading zeros
 * allowed (the form Bitcoin Core's option takes). */
static bool services_parse_work(const char *s, struct u256 *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    size_t len = strlen(s);
    while (len > U256_HEX_LEN && *s == '0') {
        s++;
        len--;
    }
    if (len == 0 || len > U256_HEX_LEN)
        return false;
    char full[U256_HEX_LEN + 1];
    memset(full, '0', U256_HEX_LEN - len);
    memcpy(full + U256_HEX_LEN - len, s, len + 1);
    return u256_from_hex(out, full);
}

/* The chain could not write: the node cannot go on safely. */
static void services_fatal(void *ctx, const char *msg)
{
    struct node_ctx *node = ctx;
    if (node->fatal_error != NULL)
        node->fatal_error(node, msg);
    else
        LOG_ERROR(LOG_CAT_VALIDATION, "%s", msg);
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
    int64_t dbcache, maxmempool, minfee, par, sigcache, crashratio;
    bool reindex;
    if (args_get_int(ctx->args, "dbcache", SERVICES_DEFAULT_DBCACHE_MB, 4, 16384, &dbcache, err,
                     errlen) != ARGS_OK ||
        args_get_int(ctx->args, "maxmempool", MEMPOOL_DEFAULT_MAX_MB, 1, 100000, &maxmempool, err,
                     errlen) != ARGS_OK ||
        args_get_int(ctx->args, "minrelaytxfee", MEMPOOL_DEFAULT_MIN_FEE_RATE, 0, 1000000, &minfee,
                     err, errlen) != ARGS_OK ||
        args_get_bool(ctx->args, "reindex", false, &reindex, err, errlen) != ARGS_OK ||
        args_get_int(ctx->args, "par", 0, -CHECKQUEUE_MAX_THREADS, CHECKQUEUE_MAX_THREADS, &par,
                     err, errlen) != ARGS_OK ||
        args_get_int(ctx->args, "maxsigcachesize", SIGCACHE_DEFAULT_MB, 0, SIGCACHE_MAX_MB,
                     &sigcache, err, errlen) != ARGS_OK ||
        args_get_int(ctx->args, "crashratio", 0, 0, CRASHPOINT_MAX_RATIO, &crashratio, err,
                     errlen) != ARGS_OK)
        return false;
    if (crashratio != 0 && ctx->params->network != CHAIN_REGTEST) {
        snprintf(err, errlen, "-crashratio is a test switch and only allowed on regtest");
        return false;
    }
    if (crashratio != 0)
        LOG_WARN(LOG_CAT_GENERAL, "-crashratio=%lld: this node will crash on purpose",
                 (long long)crashratio);
    crashpoint_set_ratio((uint32_t)crashratio);
    if (!sigcache_set_size((size_t)sigcache << 20)) {
        snprintf(err, errlen, "out of memory for a %lld MiB signature cache", (long long)sigcache);
        return false;
    }
    struct u256 min_work;
    chainparams_min_chain_work(ctx->params, &min_work);
    const char *min_work_arg = args_get_str(ctx->args, "minimumchainwork", NULL);
    if (min_work_arg != NULL && !services_parse_work(min_work_arg, &min_work)) {
        snprintf(err, errlen, "-minimumchainwork=%s: not a hex number of at most 64 digits",
                 min_work_arg);
        return false;
    }
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
                                .verify_threads = (unsigned)threads,
                                .min_chain_work = min_work,
                                .fatal = services_fatal,
                                .fatal_ctx = ctx};
    struct services *sv = calloc(1, sizeof *sv);
    if (sv == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    struct chain *chain;
    if (!chain_open(&chain, ctx->params, ctx->datadir, &opt, err, errlen)) {
        free(sv);
        return false;
    }
    struct mempool *pool = mempool_new(ctx->params, (size_t)maxmempool * 1000000);
    if (pool == NULL) {
        chain_close(chain);
        free(sv);
        snprintf(err, errlen, "out of memory creating the mempool");
        return false;
    }
    mempool_set_min_fee_rate(pool, (amount_t)minfee);
    struct chain_listener l = {
        .ctx = ctx,
        .connected = services_connected,
        .disconnected = services_disconnected,
        .deadline = services_deadline};
    chain_add_listener(chain, &l);
    pthread_mutex_init(&sv->tip_mu, NULL);
    services_set_tip(sv, chain_tip(chain));
    sv->blocknotify = args_get_str(ctx->args, "blocknotify", NULL);
    memcpy(sv->notified_tip, chain_tip(chain)->hash, SHA256_LEN);
    ctx->services = sv;
    ctx->chain = chain;
    ctx->mempool = pool;
    services_follow_tip(ctx);
    /* The tx index follows the chain on its own thread from here on. */
    struct index_def def;
    chain_txindex_def(chain, &def);
    if (!index_runner_start(ctx, &def, reindex, &sv->txindex, err, errlen)) {
        services_stop(ctx);
        return false;
    }
    return true;
}

void services_stop(struct node_ctx *ctx)
{
    struct services *sv = ctx->services;
    if (sv == NULL)
        return;
    index_runner_stop(sv->txindex);
    mempool_free(ctx->mempool);
    chain_close(ctx->chain);
    ctx->mempool = NULL;
    ctx->chain = NULL;
    ctx->services = NULL;
    pthread_mutex_destroy(&sv->tip_mu);
    free(sv->tx_listeners);
    free(sv->block_listeners);
    free(sv);
}

bool services_sync_txindex(struct node_ctx *ctx, char *err, size_t errlen)
{
    /* Without services (a chain driven by hand in tests) no runner exists
     * and whoever drives the chain drives the index. */
    if (ctx->services == NULL || ctx->services->txindex == NULL)
        return true;
    return index_runner_sync(ctx->services->txindex, SERVICES_INDEX_SYNC_TIMEOUT_MS, err, errlen);
}

struct index_runner *services_txindex(struct node_ctx *ctx)
{
    return ctx->services != NULL ? ctx->services->txindex : NULL;
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
    struct services *sv = ctx->services;
    if (sv == NULL || !grow_array((void **)&sv->tx_listeners, &sv->cap_tx_listeners,
                                  sv->n_tx_listeners + 1, sizeof *sv->tx_listeners, 8))
        return false;
    sv->tx_listeners[sv->n_tx_listeners++] = *l;
    return true;
}

bool services_add_block_listener(struct node_ctx *ctx, const struct chain_listener *l)
{
    struct services *sv = ctx->services;
    if (sv == NULL || !grow_array((void **)&sv->block_listeners, &sv->cap_block_listeners,
                                  sv->n_block_listeners + 1, sizeof *sv->block_listeners, 8))
        return false;
    sv->block_listeners[sv->n_block_listeners++] = *l;
    return true;
}

void services_remove_listeners(struct node_ctx *ctx, const void *listener_ctx)
{
    struct services *sv = ctx->services;
    if (sv == NULL)
        return;
    size_t k = 0;
    for (size_t i = 0; i < sv->n_tx_listeners; i++)
        if (sv->tx_listeners[i].ctx != listener_ctx)
            sv->tx_listeners[k++] = sv->tx_listeners[i];
    sv->n_tx_listeners = k;
    k = 0;
    for (size_t i = 0; i < sv->n_block_listeners; i++)
        if (sv->block_listeners[i].ctx != listener_ctx)
            sv->block_listeners[k++] = sv->block_listeners[i];
    sv->n_block_listeners = k;
}

enum mempool_err services_accept_tx(struct node_ctx *ctx, const struct tx *tx,
                                    struct mempool_accept_info *info)
{
    enum mempool_err r = mempool_accept(ctx->mempool, tx, time_now(), info);
    if (r != MEMPOOL_OK)
        return r;
    struct services *sv = ctx->services;
    for (size_t i = 0; sv != NULL && i < sv->n_tx_listeners; i++)
        sv->tx_listeners[i].accepted(sv->tx_listeners[i].ctx, tx, info->txid);
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
