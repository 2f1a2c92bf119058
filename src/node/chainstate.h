/* chainstate: the consensus state database (datadir/chainstate/).
 *
 * Holds the consensus key-value space that validation reads through a state
 * view, plus a few meta records under the 0x00 prefix, which no consensus
 * module owns and which the state hash leaves out:
 *   0x00 'B'              -> best block: [hash: bin(32), height]
 *   0x00 'F'              -> the format of the state records (CHAINSTATE_FORMAT);
 *                            a chainstate in another format does not open
 *                            (the chain then rebuilds it from the blocks)
 *   0x00 'U' || hash(32)  -> where that connected block's undo record lies:
 *                            [file, offset] in blocks/rev*.dat
 * Connecting a block writes its state changes, its undo location and the new
 * best-block record in one LevelDB batch; disconnecting restores the undo
 * values, deletes the undo location and moves the best block back, also in
 * one batch. A crash therefore leaves the chainstate at one tip or the other.
 * The chainstate owns its database handle. */
#ifndef SOUK_NODE_CHAINSTATE_H
#define SOUK_NODE_CHAINSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/state.h"
#include "crypto/sha256.h"
#include "node/blockstore.h"
#include "node/db.h"

#define CHAINSTATE_META_PREFIX 0x00
/* The chainstate's LevelDB write buffer (memtable). Each block writes and
 * reads thousands of records at random keys, each a walk of the memtable's
 * skip list, and with LevelDB's default of 4 MiB those walks missed the
 * CPU's caches: a 2,000-transfer block with its signatures cached took
 * 13-16 ms against 11-14 ms with 1.5 MiB. Smaller still (1 MiB) the
 * flushes, run by LevelDB's background thread, came often enough to slow
 * the blocks that verify signatures on every core (doc/benchmarks.md). */
#define CHAINSTATE_WRITE_BUFFER ((size_t)1536 << 10)
/* Format 2: coinbase maturity on the deadline index ('d'). */
#define CHAINSTATE_FORMAT 2

struct chainstate {
    struct db *db;
    bool has_best;
    uint8_t best_hash[SHA256_LEN];
    uint64_t best_height;
};

/* Opens (creating, or with wipe destroying first) the database at path and
 * reads the best-block record. */
bool chainstate_open(struct chainstate *cs, const char *path, size_t cache_bytes, bool wipe,
                     char *err, size_t errlen);
void chainstate_close(struct chainstate *cs);

/* A backend reading the committed consensus state, for state views. Meta
 * keys are invisible through it. */
void chainstate_backend(struct chainstate *cs, struct state_backend *out);

/* Commits a connected block: every net change of v, the location of its undo
 * record, and hash/height as the new best block, in one synced batch. */
bool chainstate_commit_connect(struct chainstate *cs, const struct state_view *v,
                               const uint8_t hash[SHA256_LEN], uint64_t height,
                               struct blockstore_pos undo_pos, char *err, size_t errlen);
/* Where the undo record of a connected block lies. */
bool chainstate_undo_pos(struct chainstate *cs, const uint8_t hash[SHA256_LEN],
                         struct blockstore_pos *pos, bool *found, char *err, size_t errlen);
/* Commits the disconnection of the best block (hash) given its undo record:
 * restores every value it lists, forgets the undo location and makes
 * prev_hash/prev_height the best block, in one synced batch. */
bool chainstate_commit_disconnect(struct chainstate *cs, const uint8_t hash[SHA256_LEN],
                                  const void *undo, size_t undo_len,
                                  const uint8_t prev_hash[SHA256_LEN], uint64_t prev_height,
                                  char *err, size_t errlen);
/* Makes an empty chainstate point at the genesis block (whose coinbase
 * creates no state: its payout can never be spent). */
bool chainstate_init_genesis(struct chainstate *cs, const uint8_t hash[SHA256_LEN], char *err,
                             size_t errlen);

/* Calls fn for every committed consensus record whose key starts with
 * prefix (plen >= 1, never the meta prefix), in key order; fn returning
 * false stops the walk (still a success). False on a read failure. */
typedef bool (*chainstate_scan_fn)(void *ctx, const uint8_t *key, size_t klen,
                                   const uint8_t *val, size_t vlen);
bool chainstate_scan(struct chainstate *cs, const void *prefix, size_t plen,
                     chainstate_scan_fn fn, void *ctx, char *err, size_t errlen);

struct chainstate_info {
    uint64_t keys;                  /* consensus keys (meta records left out) */
    uint64_t bytes;                 /* their keys' and values' total size */
    uint8_t state_hash[SHA256_LEN];
};
/* SHA-256 over the whole consensus key space in key order: for each record,
 * msgpack bin(key) then bin(value), streamed. Equal states give equal hashes. */
bool chainstate_info(struct chainstate *cs, struct chainstate_info *out, char *err, size_t errlen);

#endif
