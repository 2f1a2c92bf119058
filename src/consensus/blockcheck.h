/* blockcheck: applying transactions and blocks to the state, and the block
 * rules that need no state.
 *
 * blockcheck_apply_tx is the one place a non-coinbase transaction changes
 * state: its payload is decoded once (by its type's field table), core
 * checks the nonce and takes the fee, then the type's apply does the rest
 * with the payload and txid in its context, all inside a savepoint so a
 * failing tx leaves the view untouched. blockcheck_apply runs a whole block
 * in order: the block prologue (consensus/prologue.h: deadlines due at this
 * height, plugins' per-block hooks), every tx, then the coinbase itself
 * (whose amount may not exceed subsidy plus the fees just collected). */
#ifndef SOUK_CONSENSUS_BLOCKCHECK_H
#define SOUK_CONSENSUS_BLOCKCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/chainparams.h"
#include "consensus/state.h"
#include "consensus/txtype.h"

/* Most a block's time may be ahead of the node's clock. */
#define BLOCK_MAX_FUTURE_SECONDS 7200
/* Blocks whose times give the median a new block's time must exceed. */
#define BLOCK_MEDIAN_TIME_SPAN 11

enum blockerr {
    BLOCKERR_OK = 0,
    BLOCKERR_TOO_LARGE,      /* encoding over BLOCK_MAX_SIZE */
    BLOCKERR_CB_MISSING,     /* no txs, or the first is not a coinbase */
    BLOCKERR_CB_MULTIPLE,    /* a coinbase after the first position */
    BLOCKERR_MERKLE,         /* merkle root does not match the txs */
    BLOCKERR_DUPLICATE_TX,   /* the same txid twice */
    BLOCKERR_HIGH_HASH,      /* proof of work does not meet the target */
    BLOCKERR_BAD_BITS,       /* bits are not what the difficulty rule requires */
    BLOCKERR_TIME_TOO_OLD,   /* time not above the median of the last 11 blocks */
    BLOCKERR_TIME_TOO_NEW,   /* time more than 2 h ahead of the node's clock */
    BLOCKERR_BAD_TX,         /* a tx failed; see the txerr and index */
    BLOCKERR_CB_HEIGHT,      /* the coinbase's nonce is not the block height */
    BLOCKERR_CB_AMOUNT,      /* coinbase pays more than subsidy + fees */
    BLOCKERR_STORAGE,        /* the state could not be read or written */
    BLOCKERR_COUNT_
};

/* Short reason ("bad-txnmrklroot", "high-hash", ...); never NULL. */
const char *blockerr_reason(enum blockerr err);
const char *blockerr_strerror(enum blockerr err);

/* Where a block failed: the block rule, and for BLOCKERR_BAD_TX the tx rule
 * and the tx's index in the block. */
struct block_fault {
    enum blockerr err;
    enum txerr txerr;
    size_t tx_index;
};

/* Applies one non-coinbase tx that passed txcheck_stateless (its payload's
 * keys are not verified again). On any failure the view is as before. */
enum txerr blockcheck_apply_tx(struct state_view *v, const struct tx *tx, const struct apply_ctx *ctx);

/* Everything about a block that needs neither state nor ancestors: size,
 * coinbase position, merkle root, distinct txids, proof of work against the
 * header's own bits (bounded by the network's limit) and every tx's
 * stateless check. */
bool blockcheck_stateless(const struct block *b, const struct chain_params *params,
                          struct block_fault *fault);
/* blockcheck_stateless without the per-tx checks, for a caller that runs
 * txcheck_stateless on the txs itself (on several threads) and reports the
 * lowest failing index as BLOCKERR_BAD_TX, which gives the same verdict. */
bool blockcheck_block_rules(const struct block *b, const struct chain_params *params,
                            struct block_fault *fault);
/* blockcheck_block_rules in its two parts, in this order: the frame
 * (size, proof of work, coinbase position), which costs next to nothing,
 * then what needs every txid (merkle root, distinct txids). */
bool blockcheck_block_frame(const struct block *b, const struct chain_params *params,
                            struct block_fault *fault);
bool blockcheck_block_txids(const struct block *b, struct block_fault *fault);

/* The header against its parent: bits as the difficulty rule requires,
 * time above the median time past, time not too far in the future. */
bool blockcheck_header_context(const struct block_header *h, const struct chain_params *params,
                               uint64_t parent_height, int64_t parent_time,
                               int64_t median_time_past, int64_t now, struct block_fault *fault);

/* Applies a block (already checked statelessly) at ctx->height. On failure
 * the view holds a partial block and must be discarded. */
bool blockcheck_apply(struct state_view *v, const struct block *b, const struct apply_ctx *ctx,
                      struct block_fault *fault);

#endif
