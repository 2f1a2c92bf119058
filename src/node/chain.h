/* chain: validation and the block chain a node follows.
 *
 * Owns the block files, the block index, the chainstate and the tx/account
 * indexes database of one datadir (the indexes follow the chain on their
 * own thread: see chain_txindex_def), and keeps them in step: a block is checked,
 * stored, and — when its branch has the most work — connected (state, undo
 * and best block in one batch), with reorganisations of any depth to a
 * better branch and a return to the best valid branch when a block of the
 * new one turns out invalid. invalidateblock/reconsiderblock and -reindex
 * work through the same paths.
 *
 * Listeners (mempool, wallet) hear about every connected and disconnected
 * block, in order. Not thread-safe: callers hold the node's chain lock. */
#ifndef SOUK_NODE_CHAIN_H
#define SOUK_NODE_CHAIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/blockcheck.h"
#include "consensus/chainparams.h"
#include "node/blockindex.h"
#include "node/chainstate.h"
#include "node/index.h"
#include "node/txindex.h"

struct chain;

struct chain_options {
    size_t cache_bytes;  /* LevelDB cache, split between the databases */
    bool reindex;        /* rebuild index, chainstate and indexes from blk files */
    /* Checked between blocks while chain_open loads, reindexes and connects:
     * once it reads true, chain_open stops and fails with "interrupted"
     * (what is on disk stays consistent; an interrupted -reindex resumes at
     * the next start). NULL: never interrupted. */
    const atomic_bool *interrupt;
    /* Told what chain_open is doing ("Loading block index…", ...), for the
     * RPC warm-up message. May be NULL. */
    void (*progress)(void *ctx, const char *what);
    void *progress_ctx;
    /* Threads that check a block's transactions (signatures), this one
     * included: 1 checks on the calling thread only; 0 means one per CPU
     * core. At most CHECKQUEUE_MAX_THREADS. */
    unsigned verify_threads;
    /* Tests: a new tip takes the early commit whenever its checks are
     * pending, not only when the workers are still at them once it is
     * applied, so a test can reach the early commit's crash points without
     * depending on timing. */
    bool always_early_commit;
    /* -minimumchainwork: header chains (and unrequested blocks) claiming
     * less work are not stored, whatever the tip (chain_antidos_work). */
    struct u256 min_chain_work;
    /* Told once when a write or sync of the block files, the block index
     * or the chainstate fails after chain_open returned (disk full, I/O
     * error), with a message naming the file and the system's reason. From
     * then on the chain writes nothing more (every call that would fails
     * with CHAIN_ERROR, chain_close flushes nothing): the owner shuts the
     * node down. NULL: only logged. */
    void (*fatal)(void *ctx, const char *msg);
    void *fatal_ctx;
};

enum chain_result {
    CHAIN_OK = 0,        /* accepted (connected, or stored on a side branch) */
    CHAIN_DUPLICATE,     /* already have this block */
    CHAIN_INVALID,       /* breaks a consensus rule: see the fault */
    CHAIN_ORPHAN,        /* the parent is unknown */
    CHAIN_ERROR,         /* storage failure: see the message */
};

struct chain_listener {
    void *ctx;
    void (*connected)(void *ctx, const struct block *b, const struct blockindex_entry *e);
    void (*disconnected)(void *ctx, const struct block *b, const struct blockindex_entry *e);
    /* After connected: each scheduled entry (consensus/deadline.h) that
     * fell due in that block, in the order they ran. NULL: not told. */
    void (*deadline)(void *ctx, const struct blockindex_entry *e, uint8_t owner,
                     const uint8_t *key, size_t klen);
};

/* Opens (or creates) the chain of a datadir. A -reindex that did not finish
 * (the process was killed, or interrupted) is resumed, and an empty block
 * index next to block files that hold blocks is rebuilt from them, so a
 * crash at any point of a -reindex ends in the same state as an
 * uninterrupted one. */
bool chain_open(struct chain **out, const struct chain_params *params, const char *datadir,
                const struct chain_options *opt, char *err, size_t errlen);
void chain_close(struct chain *c);

bool chain_add_listener(struct chain *c, const struct chain_listener *l);

/* Checks a block, stores it, and connects it (and reorganises) when its
 * branch is the best. On CHAIN_INVALID, *fault says which rule; reason is
 * filled with the short reject reason in every case but CHAIN_OK. */
enum chain_result chain_process_block(struct chain *c, const struct block *b,
                                      struct block_fault *fault, char *reason, size_t reasonlen);

/* The checks of a block that need neither state nor ancestors
 * (blockcheck_stateless), with the transactions' checks spread over the
 * chain's verification threads; the same verdict as blockcheck_stateless.
 * chain_process_block runs this on every new block. */
bool chain_check_block(struct chain *c, const struct block *b, struct block_fault *fault);
/* How many threads chain_check_block uses, the caller's included. */
unsigned chain_verify_threads(const struct chain *c);

/* Headers-first sync: checks headers (proof of work, bits, time, a known
 * parent that is not invalid) and stores them in the block index without
 * their blocks. h[i]'s parent must be known or be h[i-1]. Stops at the
 * first failure; *last is the entry of the last header now known (NULL if
 * none), so a caller can continue from it. Headers already known are fine. */
enum chain_result chain_process_headers(struct chain *c, const struct block_header *h, size_t n,
                                        struct blockindex_entry **last,
                                        struct block_fault *fault, char *reason,
                                        size_t reasonlen);
/* Blocks' worth of work, at the tip's difficulty, that a header chain may
 * fall short of the tip and still be stored (Bitcoin Core uses a day's
 * blocks, 144 of 10 minutes; here it is 2.4 hours of 60 s blocks: a fork
 * that old and that short cannot overtake an honest tip soon). */
#define CHAIN_ANTIDOS_MARGIN_BLOCKS 144
/* The least work a header chain must claim for its headers to be stored:
 * the tip's chain work less CHAIN_ANTIDOS_MARGIN_BLOCKS blocks at the tip's
 * bits (not below zero), and at least the minimum chain work. Headers are
 * cheap to make on an old, easy part of the chain; without this a peer
 * could fill the block index with forks that will never be the best. */
void chain_antidos_work(struct chain *c, struct u256 *out);
/* The work the chain ending with h[n-1] claims: its first header's parent's
 * chain work plus the work each header's bits stand for (proof of work not
 * checked yet). false when that parent is unknown or invalid, or bits do not
 * decode; h[i] must be h[i+1]'s parent (the caller checked). */
bool chain_headers_claimed_work(struct chain *c, const struct block_header *h, size_t n,
                                struct u256 *out);

/* A block locator from `from` (NULL: the tip): its hash, then ancestors at
 * exponentially growing distances, always ending with the genesis block.
 * Returns the count written (at most max, max >= 2). */
size_t chain_locator(struct chain *c, const struct blockindex_entry *from, uint8_t (*out)[32],
                     size_t max);
/* The highest block of the active chain named in a peer's locator; the
 * genesis block when none is. */
struct blockindex_entry *chain_locator_fork(struct chain *c, const uint8_t (*hashes)[32],
                                            size_t n);
/* The most-work header not known to be invalid (its block may be missing). */
struct blockindex_entry *chain_best_header(struct chain *c);

const struct chain_params *chain_params(const struct chain *c);
struct blockindex *chain_index(struct chain *c);
const struct blockindex_chain *chain_active(const struct chain *c);
struct blockindex_entry *chain_tip(const struct chain *c);
/* The committed state at the tip, for views (mempool, miner, RPC). */
void chain_tip_backend(struct chain *c, struct state_backend *out);
bool chain_state_info(struct chain *c, struct chainstate_info *out, char *err, size_t errlen);
/* Walks the committed records under a prefix (chainstate_scan). */
bool chain_state_scan(struct chain *c, const void *prefix, size_t plen, chainstate_scan_fn fn,
                      void *ctx, char *err, size_t errlen);

bool chain_read_block(struct chain *c, const struct blockindex_entry *e, struct block *out,
                      char *err, size_t errlen);
/* Raw encoding of a stored block. */
bool chain_read_block_bytes(struct chain *c, const struct blockindex_entry *e, struct buf *out,
                            char *err, size_t errlen);

/* Where a confirmed tx is: its block's entry (in the active chain) and its
 * position. *found false when unknown. */
bool chain_find_tx(struct chain *c, const uint8_t txid[SHA256_LEN],
                   struct blockindex_entry **block, uint32_t *position, bool *found, char *err,
                   size_t errlen);
/* The tx index and account history as a chain-following index
 * (node/index.h): the chain does not write them itself; the owner runs
 * an index runner (or index_catch_up) with this def. Its reads below are
 * as far as the index got: callers that must see the tip sync first. */
void chain_txindex_def(struct chain *c, struct index_def *out);
/* A page of an account's history, oldest first; *out is freed by the caller. */
bool chain_account_history(struct chain *c, const uint8_t pubkey[32], uint64_t skip,
                           size_t count, struct txindex_hist **out, size_t *n, char *err,
                           size_t errlen);
/* The page after a cursor. The history is read from the index alone: the
 * chain lock is not needed for it (the index database is safe to read from
 * any thread while the chain is open). */
bool chain_account_history_after(struct chain *c, const uint8_t pubkey[32],
                                 const struct txindex_cursor *after, size_t count,
                                 struct txindex_hist **out, size_t *n, char *err, size_t errlen);

/* Marks a block invalid (and all its descendants), disconnecting it if it
 * is in the active chain, then moves to the best remaining branch. */
bool chain_invalidate(struct chain *c, const uint8_t hash[SHA256_LEN], char *err, size_t errlen);
/* Removes invalidity marks from a block, its descendants and ancestors,
 * then moves to the best branch. */
bool chain_reconsider(struct chain *c, const uint8_t hash[SHA256_LEN], char *err, size_t errlen);

#endif
