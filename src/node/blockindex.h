/* blockindex: the in-memory tree of every known block header, the active
 * chain through it, the candidate tips, and their persistence in the
 * blocks/index LevelDB.
 *
 * A struct blockindex owns its entries. Entries are never removed or moved,
 * so a struct blockindex_entry pointer stays valid until blockindex_clear;
 * the chain and candidate sets only borrow them. Lookups by hash go through
 * an open-addressing hash table (O(1)); an entry's ancestor at any height is
 * reached through skip pointers (each entry also points at the ancestor
 * whose height is its own with the lowest set bit cleared), which costs
 * O(log^2 n) steps, a few hundred at most for a million blocks.
 *
 * What is stored per entry (the persistent fields): header, height, status,
 * tx count, block and undo file positions, sequence id. Chain work, the
 * prev/skip pointers and time_max are rebuilt on load. Changes made through
 * the setters below mark an entry dirty; a flush writes the dirty entries
 * plus one metadata record (the block file cursor and flags) in a single
 * batch.
 *
 * Which headers and status changes are valid is validation's business: this
 * module only keeps the bookkeeping consistent (heights, work, links). Not
 * thread-safe: callers hold the chain lock. */
#ifndef SOUK_NODE_BLOCKINDEX_H
#define SOUK_NODE_BLOCKINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/uint256.h"
#include "crypto/sha256.h"
#include "node/blockstore.h"
#include "node/db.h"

/* Status flags of an entry. */
#define BLOCK_HAVE_DATA (1u << 0)    /* the block is in a blk file at data_pos */
#define BLOCK_HAVE_UNDO (1u << 1)    /* its undo is in a rev file at undo_pos */
#define BLOCK_VALID_TREE (1u << 2)   /* the header passed its checks */
#define BLOCK_VALID_FULL (1u << 3)   /* the block was connected once */
#define BLOCK_FAILED (1u << 4)       /* the block itself is invalid */
#define BLOCK_FAILED_CHILD (1u << 5) /* an ancestor is invalid */
#define BLOCK_FAILED_MASK (BLOCK_FAILED | BLOCK_FAILED_CHILD)
/* Stored (and its state maybe committed) while its txs' checks were still
 * running: an entry found with it at start-up is checked again. */
#define BLOCK_CHECKS_PENDING (1u << 6)
#define BLOCK_STATUS_ALL 0x7fu

/* Entries in the middle of a -reindex: set in the metadata until it ends. */
#define BLOCKINDEX_FLAG_REINDEXING (1u << 0)

/* Number of previous blocks whose median time a new block must exceed. */
#define BLOCKINDEX_MTP_SPAN 11

enum blockindex_err {
    BLOCKINDEX_OK = 0,
    BLOCKINDEX_ERR_NO_PREV,     /* the header's parent is not in the index */
    BLOCKINDEX_ERR_SECOND_ROOT, /* a parentless header when the index has its genesis */
    BLOCKINDEX_ERR_BAD_BITS,    /* bits give no work (invalid or zero target) */
    BLOCKINDEX_ERR_OVERFLOW,    /* chain work or height out of range */
    BLOCKINDEX_ERR_NOMEM,
    BLOCKINDEX_ERR_DB,          /* the database failed (message has LevelDB's text) */
    BLOCKINDEX_ERR_CORRUPT,     /* a stored record is malformed or inconsistent */
    BLOCKINDEX_ERR_COUNT_       /* number of codes; not an error */
};

const char *blockindex_strerror(enum blockindex_err e);

struct blockindex_entry {
    uint8_t hash[SHA256_LEN];
    struct block_header header;
    uint64_t height;
    struct u256 chainwork;           /* parent's chainwork + pow_block_work(bits) */
    uint32_t status;                 /* BLOCK_* flags */
    uint32_t tx_count;               /* valid with BLOCK_HAVE_DATA */
    struct blockstore_pos data_pos;  /* valid with BLOCK_HAVE_DATA */
    struct blockstore_pos undo_pos;  /* valid with BLOCK_HAVE_UNDO */
    uint64_t seq;                    /* order first seen: lower wins a work tie */
    uint64_t time_max;               /* largest header time up to here */
    struct blockindex_entry *prev;   /* NULL for the genesis block */
    struct blockindex_entry *skip;   /* an earlier ancestor; NULL for the genesis */
    bool dirty;                      /* changed since the last flush */
};

struct blockindex {
    struct blockindex_entry **chunks; /* fixed-size blocks of entries */
    size_t n_chunks;
    size_t count;
    struct blockindex_entry **table;  /* open addressing, power-of-two size */
    size_t table_cap;
    uint64_t seed;                    /* randomises the table's hash */
    uint64_t next_seq;
    struct blockindex_entry *root;
    struct blockindex_entry **dirty;
    size_t n_dirty;
    size_t dirty_cap;
};

/* What the index stores besides its entries. */
struct blockindex_meta {
    struct blockstore_cursor cursor; /* where the block files end */
    uint64_t flags;                  /* BLOCKINDEX_FLAG_* */
};

void blockindex_init(struct blockindex *bi);
/* Frees every entry; bi is empty and reusable. */
void blockindex_clear(struct blockindex *bi);
/* Forgets every entry but keeps the memory they took, for an index that is
 * filled again and again (a fuzz target's): the next entries reuse it.
 * Entry pointers from before are invalid. */
void blockindex_reset(struct blockindex *bi);

size_t blockindex_count(const struct blockindex *bi);
/* Entries in the order they were added (or loaded); i < count. */
struct blockindex_entry *blockindex_entry_at(const struct blockindex *bi, size_t i);
struct blockindex_entry *blockindex_find(const struct blockindex *bi,
                                         const uint8_t hash[SHA256_LEN]);
/* The parentless entry (the genesis block), or NULL while empty. */
struct blockindex_entry *blockindex_root(const struct blockindex *bi);

/* Adds a header (its hash is computed here) with initial status flags.
 * A header already present is not changed: *added = false and *out points
 * at the existing entry. A header whose prev_hash is all zero becomes the
 * root if there is none yet. The new entry is dirty. On error nothing
 * changes. */
enum blockindex_err blockindex_add(struct blockindex *bi, const struct block_header *h,
                                   uint32_t status, struct blockindex_entry **out, bool *added);

/* The ancestor of e at height (e itself at its own height), NULL when
 * height > e->height. */
struct blockindex_entry *blockindex_ancestor(struct blockindex_entry *e, uint64_t height);
/* The highest entry that both a and b descend from (or are); NULL if they
 * share no root or either is NULL. */
struct blockindex_entry *blockindex_last_common_ancestor(struct blockindex_entry *a,
                                                         struct blockindex_entry *b);
/* Median of the header times of e and its up to 10 nearest ancestors: a
 * child of e must have a time above this. */
uint64_t blockindex_median_time_past(const struct blockindex_entry *e);
/* True when a is a better tip than b: more chain work, or equal work and
 * seen first (lower seq). A strict total order over one index. */
bool blockindex_better(const struct blockindex_entry *a, const struct blockindex_entry *b);

/* Setters that keep the dirty list right. */
void blockindex_set_status(struct blockindex *bi, struct blockindex_entry *e, uint32_t flags);
void blockindex_clear_status(struct blockindex *bi, struct blockindex_entry *e, uint32_t flags);
/* Sets BLOCK_HAVE_DATA with the block's position and tx count. */
void blockindex_set_data(struct blockindex *bi, struct blockindex_entry *e,
                         struct blockstore_pos pos, uint32_t tx_count);
/* Sets BLOCK_HAVE_UNDO with the undo's position. */
void blockindex_set_undo(struct blockindex *bi, struct blockindex_entry *e,
                         struct blockstore_pos pos);
/* For changes made to an entry's fields directly. */
void blockindex_mark_dirty(struct blockindex *bi, struct blockindex_entry *e);
size_t blockindex_dirty_count(const struct blockindex *bi);

/* ---- persistence (blocks/index) ----------------------------------------- */

/* Adds every dirty entry and the metadata record to batch; the entries stay
 * dirty until blockindex_mark_clean (call it once the batch is written). */
bool blockindex_write(const struct blockindex *bi, struct db_batch *batch,
                      const struct blockindex_meta *meta);
void blockindex_mark_clean(struct blockindex *bi);
/* blockindex_write + db_write + blockindex_mark_clean, in one batch of its
 * own. On failure the entries stay dirty. */
enum blockindex_err blockindex_flush(struct blockindex *bi, struct db *db,
                                     const struct blockindex_meta *meta, bool sync, char *err,
                                     size_t errlen);
/* Loads every stored entry into an empty index, checking each record's
 * format, that its header hashes to its key, and that heights and parents
 * agree; rebuilds pointers, chain work and time_max. *has_meta tells whether
 * a metadata record exists (false for a new database; *meta is zeroed then).
 * On failure the index is left empty. */
enum blockindex_err blockindex_load(struct blockindex *bi, struct db *db,
                                    struct blockindex_meta *meta, bool *has_meta, char *err,
                                    size_t errlen);

/* The records blockindex_load reads, one by one (also for tests and the
 * fuzz target, which have no database):
 *   entry: key 'b' || hash, value [version 1, header, height, status,
 *          tx_count, data file, data offset, undo file, undo offset, seq];
 *   metadata: [version 1, blk_file, blk_size, rev_file, rev_size, flags].
 * The key is the entry's checksum: the header must hash to it. */
#define BLOCKINDEX_ENTRY_KEY_LEN (1 + SHA256_LEN)
void blockindex_entry_key(const uint8_t hash[SHA256_LEN], uint8_t key[BLOCKINDEX_ENTRY_KEY_LEN]);
/* Appends the value of e's record. */
bool blockindex_entry_encode(const struct blockindex_entry *e, struct buf *out);
/* Decodes a value into e's stored fields (not its hash, links or work). */
enum ser_err blockindex_entry_decode(const uint8_t *val, size_t len, struct blockindex_entry *e);
bool blockindex_meta_encode(const struct blockindex_meta *meta, struct buf *out);
/* *out untouched on error. */
enum ser_err blockindex_meta_decode(const uint8_t *val, size_t len, struct blockindex_meta *out);
/* Adds one entry record to an index being loaded, unlinked.
 * BLOCKINDEX_ERR_CORRUPT for a bad key or value, a header that does not
 * hash to the key, or a hash loaded already (the index is then left as it
 * was, apart from capacity). */
enum blockindex_err blockindex_load_record(struct blockindex *bi, const uint8_t *key, size_t klen,
                                           const uint8_t *val, size_t vlen, char *err,
                                           size_t errlen);
/* Links the records loaded: parents, heights (which must agree with the
 * stored ones), skip pointers, chain work and time_max; one root. On
 * failure the index is inconsistent and must be cleared. */
enum blockindex_err blockindex_load_link(struct blockindex *bi, char *err, size_t errlen);

/* ---- the active chain ---------------------------------------------------- */

/* The entries from the genesis block to the tip, indexed by height. */
struct blockindex_chain {
    struct blockindex_entry **v;
    size_t len;
    size_t cap;
};

void blockindex_chain_init(struct blockindex_chain *c);
void blockindex_chain_clear(struct blockindex_chain *c);
/* Makes tip's ancestry the chain (NULL empties it). Only the part that
 * differs from the old chain is rewritten. False on allocation failure,
 * chain unchanged. */
bool blockindex_chain_set_tip(struct blockindex_chain *c, struct blockindex_entry *tip);
/* NULL when empty. */
struct blockindex_entry *blockindex_chain_tip(const struct blockindex_chain *c);
struct blockindex_entry *blockindex_chain_genesis(const struct blockindex_chain *c);
/* The tip's height, or -1 when empty. */
int64_t blockindex_chain_height(const struct blockindex_chain *c);
/* NULL when height is beyond the tip. */
struct blockindex_entry *blockindex_chain_at(const struct blockindex_chain *c, uint64_t height);
bool blockindex_chain_contains(const struct blockindex_chain *c,
                               const struct blockindex_entry *e);
/* The chain's entry after e, NULL if e is the tip or not in the chain. */
struct blockindex_entry *blockindex_chain_next(const struct blockindex_chain *c,
                                               const struct blockindex_entry *e);
/* The highest ancestor of e (or e) that is in the chain; NULL if none. */
struct blockindex_entry *blockindex_chain_find_fork(const struct blockindex_chain *c,
                                                    struct blockindex_entry *e);

/* ---- candidate tips --------------------------------------------------- */

/* Entries that could become the tip, kept best first (blockindex_better). */
struct blockindex_candidates {
    struct blockindex_entry **v;
    size_t len;
    size_t cap;
};

void blockindex_candidates_init(struct blockindex_candidates *s);
void blockindex_candidates_clear(struct blockindex_candidates *s);
/* Adding an entry already present is a no-op; false on allocation failure. */
bool blockindex_candidates_add(struct blockindex_candidates *s, struct blockindex_entry *e);
void blockindex_candidates_remove(struct blockindex_candidates *s,
                                  const struct blockindex_entry *e);
bool blockindex_candidates_contains(const struct blockindex_candidates *s,
                                    const struct blockindex_entry *e);
/* NULL when empty. */
struct blockindex_entry *blockindex_candidates_best(const struct blockindex_candidates *s);
/* Drops every candidate that tip is better than (tip itself stays). */
void blockindex_candidates_prune(struct blockindex_candidates *s,
                                 const struct blockindex_entry *tip);

#endif
