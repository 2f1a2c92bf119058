/* index: chain-following indexes, each on a thread of its own.
 *
 * An index (the tx index and account history, a plugin's SQLite search
 * index, ...) keeps its own best-block marker and follows the active chain
 * from it, one block at a time: while its marker is not on the active chain
 * it disconnects the marker block, otherwise it connects the next one,
 * until it reaches the tip. The chain lock is held only to find the next
 * step and read that block; the index's own writes happen outside it, so a
 * slow index never delays validation. Chain changes only wake the thread.
 *
 * Start-up and -reindex need nothing special: a new runner catches up from
 * wherever its marker is. A marker the block index does not know (the
 * index is from another chain, or lost its data), a failed marker read, or
 * a reset asked for (-reindex) empties the index through `reset` and
 * rebuilds it from the genesis block: an index is never a reason to refuse
 * to start. A write that fails stops the runner; readers are then told so.
 * A write that fails on the disk (disk_failed) shuts the node down too.
 *
 * Readers that want the index to reflect what the chain had when they were
 * called (an RPC after generatetoaddress) call index_runner_sync first,
 * without holding the chain lock. */
#ifndef SOUK_NODE_INDEX_H
#define SOUK_NODE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "node/node.h"

struct index_def {
    const char *name;
    void *ctx;
    /* The marker: the hash of the last block the index holds; *found false
     * for none (the index then starts after the genesis block). */
    bool (*get_best)(void *ctx, uint8_t hash[32], bool *found, char *err, size_t errlen);
    /* Adds block b (hash, height) and makes it the marker, atomically. */
    bool (*connect)(void *ctx, const struct block *b, const uint8_t hash[32], uint64_t height,
                    char *err, size_t errlen);
    /* Removes block b, the marker, and makes prev_hash the marker. */
    bool (*disconnect)(void *ctx, const struct block *b, const uint8_t hash[32],
                       uint64_t height, const uint8_t prev_hash[32], char *err, size_t errlen);
    /* Empties the index and its marker. */
    bool (*reset)(void *ctx, char *err, size_t errlen);
    /* Whether the step that just failed failed on the disk (full, an I/O
     * error) rather than on the index's own logic. Then the runner also
     * shuts the node down (node_ctx.fatal_error), as Bitcoin Core does when
     * an index cannot write. NULL: never. */
    bool (*disk_failed)(void *ctx);
};

struct index_runner;
struct chain;

/* Brings an index to the chain's tip on the calling thread (tests, tools):
 * the same steps a runner takes, with nothing locked. */
bool index_catch_up(struct chain *chain, const struct index_def *def,
                    const uint8_t genesis[32], char *err, size_t errlen);

/* Starts following the chain of node (services must be started). With
 * reset, the index is emptied first. The def is copied. */
bool index_runner_start(struct node_ctx *node, const struct index_def *def, bool reset,
                        struct index_runner **out, char *err, size_t errlen);
/* Stops the thread (after the step it is in) and frees the runner. Call
 * without the chain lock. NULL is fine. */
void index_runner_stop(struct index_runner *r);
/* Stops the thread but keeps the runner, for callers that may still be
 * syncing on it: index_runner_sync then returns at once (stopping, or
 * caught up as far as it got). index_runner_stop frees it later. Call
 * without the chain lock. NULL is fine; a second call does nothing. */
void index_runner_halt(struct index_runner *r);

/* Waits until the index has caught up with the chain as it was when
 * called, at most timeout_ms. False with a message when it failed, was
 * stopped or the time ran out. Do not hold the chain lock. */
bool index_runner_sync(struct index_runner *r, int64_t timeout_ms, char *err, size_t errlen);

struct index_status {
    bool synced;          /* at the tip as of the last chain change it heard of */
    bool failed;          /* a step failed: the runner stopped */
    uint64_t height;      /* of the marker */
    uint8_t best[32];     /* the marker (the genesis hash before the first block) */
    char error[160];      /* when failed */
};
void index_runner_status(struct index_runner *r, struct index_status *out);
const char *index_runner_name(const struct index_runner *r);

#endif
