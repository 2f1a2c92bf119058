/* miner: block templates and proof-of-work grinding.
 *
 * A template takes the mempool's minable txs by fee rate while keeping each
 * sender's nonce order: it repeatedly takes, among all senders, the next
 * tx with the best fee rate, re-checking each by applying it to a view over
 * the tip (a sender whose next tx fails is skipped from then on), until the
 * block size limit, with room kept for the coinbase. The coinbase pays the
 * subsidy plus the fees to the given key. The RPC layer builds
 * generatetoaddress, generateblock and getblocktemplate on these.
 *
 * Nothing here keeps state; the caller holds the chain lock while the
 * mempool and the tip's state are read. */
#ifndef SOUK_NODE_MINER_H
#define SOUK_NODE_MINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/chainparams.h"
#include "consensus/coinbase.h"
#include "consensus/state.h"
#include "consensus/txtype.h"
#include "node/mempool.h"
#include "util/amount.h"

enum miner_err {
    MINER_OK = 0,
    MINER_ERR_NOMEM,      /* out of memory */
    MINER_ERR_STORAGE,    /* the tip's state could not be read */
    MINER_ERR_BITS,       /* the difficulty rule gives no bits for this parent */
    MINER_ERR_REQUEST,    /* extra over COINBASE_EXTRA_MAX, or a size limit too small or above BLOCK_MAX_SIZE */
    MINER_ERR_BAD_TX,     /* a given tx is invalid at its position: see the fault */
    MINER_ERR_TOO_LARGE,  /* the given txs do not fit in the size limit */
    MINER_ERR_COUNT_
};

const char *miner_strerror(enum miner_err err);

/* What the block is built on and who it pays. */
struct miner_request {
    uint8_t prev_hash[SHA256_LEN];
    uint64_t parent_height;             /* the block is at parent_height + 1 */
    int64_t parent_time;                /* for the difficulty rule */
    uint64_t time;                      /* the new block's time */
    uint8_t recipient[32];              /* x-only key the coinbase pays */
    uint8_t extra[COINBASE_EXTRA_MAX];  /* coinbase extra bytes */
    size_t extra_len;
    size_t max_size;                    /* encoded block size limit; 0 = BLOCK_MAX_SIZE */
};

/* For MINER_ERR_BAD_TX: which given tx failed and why. */
struct miner_fault {
    size_t index;
    enum txerr txerr;
};

/* Builds a block template from the pool on top of tip: coinbase, chosen
 * txs, merkle root, bits from chainparams_next_bits, header nonce 0. out
 * must be initialized; on success its old contents are released and
 * *fees_out (may be NULL) holds the fees collected; on error out is
 * untouched. */
enum miner_err miner_create_block(const struct mempool *pool, const struct state_backend *tip,
                                  const struct chain_params *params,
                                  const struct miner_request *req, struct block *out,
                                  amount_t *fees_out);

/* The same with exactly the given txs, in the given order (generateblock):
 * each must pass its stateless check and apply after the ones before it,
 * and all must fit the size limit. fault may be NULL. */
enum miner_err miner_create_block_with(const struct tx *txs, size_t count,
                                       const struct state_backend *tip,
                                       const struct chain_params *params,
                                       const struct miner_request *req, struct block *out,
                                       amount_t *fees_out, struct miner_fault *fault);

/* Tries header nonces from the current one upwards, at most max_tries of
 * them, until the block's hash meets its bits. *found says whether it did;
 * the header then holds the winning nonce (otherwise the next one to try).
 * False when the bits can never be met (invalid, or easier than the
 * network allows): nothing is tried then. */
bool miner_grind(struct block *b, const struct chain_params *params, uint64_t max_tries,
                 bool *found);

#endif
