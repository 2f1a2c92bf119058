/* txindex: the indexes database (datadir/<net>/indexes): where each
 * transaction of the active chain is, and the per-key ledger (every public
 * key's transactions, oldest first).
 *
 *   't' || txid(32)                                   -> [block_hash: bin(32), position]
 *   'h' || pubkey(32) || height(8, BE) || position(4, BE) -> bin(32) txid
 *   'B'                                               -> bin(32) hash of the last connected block
 *
 * Big-endian heights and positions make LevelDB's byte order the ledger's
 * time order, so a key's history is one prefix scan. Which keys a
 * transaction touches (sender, recipient, counterparties) is for the caller
 * to decide; this module only stores what it is given. Connecting and
 * disconnecting write the same keys, so replaying either is harmless, and
 * both move the 'B' marker so that a caller can tell how far the indexes
 * got relative to the chainstate after a crash.
 *
 * Owns nothing: functions take the open struct db of the indexes. */
#ifndef SOUK_NODE_TXINDEX_H
#define SOUK_NODE_TXINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/sha256.h"
#include "node/db.h"

#define TXINDEX_PUBKEY_LEN 32
/* Most entries one history call returns. */
#define TXINDEX_HISTORY_MAX 100000

/* One transaction of a block: its txid and the keys whose ledgers list it
 * (duplicates are harmless). */
struct txindex_tx {
    const uint8_t *txid;                           /* SHA256_LEN bytes */
    const uint8_t *touched;  /* n_touched keys of TXINDEX_PUBKEY_LEN bytes, back to back */
    size_t n_touched;
};

/* A block being connected or disconnected; txs in block order (the
 * position of a tx is its index here). */
struct txindex_block {
    const uint8_t *hash;       /* SHA256_LEN bytes */
    const uint8_t *prev_hash;  /* SHA256_LEN bytes: the marker after a disconnect */
    uint64_t height;
    const struct txindex_tx *txs;
    size_t n_txs;
};

struct txindex_loc {
    uint8_t block_hash[SHA256_LEN];
    uint32_t position;  /* index of the tx in its block */
};

struct txindex_hist {
    uint64_t height;
    uint32_t position;
    uint8_t txid[SHA256_LEN];
};

/* Adds the block's entries and moves the marker to its hash. With batch
 * NULL they are written at once in a batch of their own (sync as given);
 * otherwise they are queued in batch for the caller to write (on failure
 * the batch may hold part of them: discard it). False (with a message) when
 * a block has more than 2^32 txs, memory runs out or the write fails. */
bool txindex_connect_block(struct db *db, struct db_batch *batch,
                           const struct txindex_block *blk, bool sync, char *err,
                           size_t errlen);
/* Removes the block's entries and moves the marker to its prev_hash. */
bool txindex_disconnect_block(struct db *db, struct db_batch *batch,
                              const struct txindex_block *blk, bool sync, char *err,
                              size_t errlen);

/* *found = false when the tx is not in the index. A malformed record is an
 * error with a message, never a crash. */
bool txindex_find_tx(struct db *db, const uint8_t txid[SHA256_LEN], struct txindex_loc *out,
                     bool *found, char *err, size_t errlen);

/* The key's history oldest first: skips `skip` entries, then returns at
 * most `count` (<= TXINDEX_HISTORY_MAX) in a malloc'd array the caller
 * frees (*out is NULL when *n_out is 0). */
bool txindex_history(struct db *db, const uint8_t pubkey[TXINDEX_PUBKEY_LEN], uint64_t skip,
                     size_t count, struct txindex_hist **out, size_t *n_out, char *err,
                     size_t errlen);
/* A position in a key's history: entries strictly after it are returned. */
struct txindex_cursor {
    uint64_t height;
    uint32_t position;
};
/* The page after a cursor: a seek, whatever the page's depth (skip walks). */
bool txindex_history_after(struct db *db, const uint8_t pubkey[TXINDEX_PUBKEY_LEN],
                           const struct txindex_cursor *after, size_t count,
                           struct txindex_hist **out, size_t *n_out, char *err, size_t errlen);

/* The marker: the hash of the last block connected (*found false on a
 * fresh database). */
bool txindex_get_best(struct db *db, uint8_t hash[SHA256_LEN], bool *found, char *err,
                      size_t errlen);
/* Deletes every record, the marker included (the index is then rebuilt). */
bool txindex_reset(struct db *db, char *err, size_t errlen);

#endif
