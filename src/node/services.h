/* services: the chain and the mempool of a running node, started, wired
 * together and stopped as one.
 *
 * The mempool follows the chain: txs of disconnected blocks go back to it,
 * txs of connected blocks leave it, and after every change of tip it is
 * re-checked against the new state. Every caller that changes the chain
 * (RPC submitblock/generate*, invalidate/reconsider, later P2P) goes
 * through these functions, with the node's chain lock held, so that step is
 * never forgotten. The tx index and account history follow the chain on
 * an index thread (node/index.h) that services start and stop. Owns
 * ctx->services (listener lists, the index runner),
 * ctx->chain and ctx->mempool. */
#ifndef SOUK_NODE_SERVICES_H
#define SOUK_NODE_SERVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "consensus/block.h"
#include "node/chain.h"
#include "node/index.h"
#include "node/mempool.h"
#include "node/node.h"
#include "util/args.h"

#define SERVICES_DEFAULT_DBCACHE_MB 64
/* How long a call waits for the tx index to reach the tip. */
#define SERVICES_INDEX_SYNC_TIMEOUT_MS 30000

extern const struct args_option services_options[];
extern const size_t services_options_count;

bool services_start(struct node_ctx *ctx, char *err, size_t errlen);
void services_stop(struct node_ctx *ctx);

static inline struct chain *services_chain(struct node_ctx *ctx) { return ctx->chain; }
static inline struct mempool *services_mempool(struct node_ctx *ctx) { return ctx->mempool; }

/* chain_process_block, then the mempool follows the new tip. */
enum chain_result services_process_block(struct node_ctx *ctx, const struct block *b,
                                         struct block_fault *fault, char *reason,
                                         size_t reasonlen);
/* Something that wants to hear about every tx newly accepted to the
 * mempool (relay to peers, wallets). Called with the chain lock held, on the
 * thread that accepted the tx: do not take the chain lock in it. */
struct services_tx_listener {
    void *ctx;
    void (*accepted)(void *ctx, const struct tx *tx, const uint8_t txid[SHA256_LEN]);
};
/* Call before the node serves requests (start hooks). False when out of memory. */
bool services_add_tx_listener(struct node_ctx *ctx, const struct services_tx_listener *l);
/* Something that follows the active chain beyond the mempool (wallets):
 * hears of every block connected or disconnected, in order, after the
 * mempool has. Same rules as a tx listener: chain lock held, do not take it.
 * Either callback may be NULL. */
bool services_add_block_listener(struct node_ctx *ctx, const struct chain_listener *l);
/* Removes every tx and block listener registered with this ctx pointer, so
 * its owner can go away while the node runs. Caller holds the chain lock
 * (or no other thread runs yet). */
void services_remove_listeners(struct node_ctx *ctx, const void *listener_ctx);
/* mempool_accept, then every tx listener hears of the accepted tx. The one
 * way txs enter the mempool (RPC, P2P, wallets). Chain lock held by caller. */
enum mempool_err services_accept_tx(struct node_ctx *ctx, const struct tx *tx,
                                    struct mempool_accept_info *info);

/* Initial block download: a header chain with more work than the tip is
 * known (blocks still to fetch), or the tip is more than a day old. A node
 * still at its genesis block is not downloading anything. */
bool services_initial_download(const struct blockindex_entry *tip,
                               const struct blockindex_entry *best);

/* The tip as of the last block connected or disconnected, without the
 * chain lock (getblockcount and getbestblockhash answer while a block is
 * being validated). False when services are not running. */
bool services_tip_snapshot(struct node_ctx *ctx, uint8_t hash[SHA256_LEN], uint64_t *height);
/* Waits until the tx index and account history have caught up with the
 * chain as it is now (getrawtransaction, getaccounthistory, wallet
 * restores call this before reading them). Do not hold the chain lock. */
bool services_sync_txindex(struct node_ctx *ctx, char *err, size_t errlen);
struct index_runner *services_txindex(struct node_ctx *ctx);

bool services_invalidate(struct node_ctx *ctx, const uint8_t hash[SHA256_LEN], char *err,
                         size_t errlen);
bool services_reconsider(struct node_ctx *ctx, const uint8_t hash[SHA256_LEN], char *err,
                         size_t errlen);

#endif
