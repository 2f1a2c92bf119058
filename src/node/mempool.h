/* mempool: the transactions waiting to be mined.
 *
 * A tx is accepted when it would be valid in the next block on top of the
 * chain tip plus its sender's earlier pending txs, so a sender can queue a
 * chain of consecutive nonces. A nonce past the next expected one (a gap) is
 * held apart as "future" — kept but not minable — until the gap fills. Each
 * sender's txs are kept in nonce order; the ready ones always form one
 * consecutive run starting at the account's nonce at the tip.
 *
 * The pool owns copies of its txs. It never touches the database: the tip's
 * state is handed in as a state backend by mempool_update_tip, which the
 * owner calls after every change of tip (the backend's ctx must stay valid
 * until the next update or mempool_free). It is not thread-safe: the node
 * holds its chain lock around every call. Sizes are encoded tx bytes. */
#ifndef SOUK_NODE_MEMPOOL_H
#define SOUK_NODE_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/chainparams.h"
#include "consensus/serialize.h"
#include "consensus/state.h"
#include "consensus/tx.h"
#include "consensus/txtype.h"
#include "util/amount.h"

#define MEMPOOL_DEFAULT_MAX_MB 300
/* Minimum relay fee, units per encoded byte. */
#define MEMPOOL_DEFAULT_MIN_FEE_RATE 1
/* Most future (gapped) txs one sender may have waiting. */
#define MEMPOOL_MAX_FUTURE_PER_SENDER 16
/* Farthest a future tx's nonce may lie past the sender's next one (its
 * ready txs included): txs that could only ever be mined after that many
 * others are not held. */
#define MEMPOOL_MAX_NONCE_GAP 64
/* Future txs (behind a nonce gap) hold at most this share of -maxmempool. */
#define MEMPOOL_FUTURE_SHARE_PERCENT 10
/* A tx still unmined this long after it was accepted is dropped. */
#define MEMPOOL_EXPIRY_SECONDS (14 * 24 * 60 * 60)

enum mempool_err {
    MEMPOOL_OK = 0,
    MEMPOOL_ERR_TX,               /* the tx breaks a rule: see the enum txerr */
    MEMPOOL_ERR_DUPLICATE,        /* this txid is already in the pool */
    MEMPOOL_ERR_FEE_TOO_LOW,      /* fee below size * minimum fee rate */
    MEMPOOL_ERR_REPLACEMENT_FEE,  /* replaces a pending tx without paying 10% more */
    MEMPOOL_ERR_TOO_MANY_PENDING, /* the sender already has the most future txs */
    MEMPOOL_ERR_NONCE_GAP,        /* a nonce too far past the sender's next one */
    MEMPOOL_ERR_FULL,             /* no room without evicting txs paying as much or more */
    MEMPOOL_ERR_FUTURES_FULL,     /* a future tx, and futures fill their share of the pool */
    MEMPOOL_ERR_STORAGE,          /* the tip's state could not be read */
    MEMPOOL_ERR_NOMEM,            /* out of memory */
    MEMPOOL_ERR_COUNT_
};

/* Short reject reason ("duplicate", "fee-too-low", ...); never NULL. */
const char *mempool_err_reason(enum mempool_err err);
const char *mempool_strerror(enum mempool_err err);

/* What mempool_accept did, or why it refused. */
struct mempool_accept_info {
    enum txerr txerr;         /* the broken rule when MEMPOOL_ERR_TX */
    enum ser_err detail;      /* the codec rule when txerr is TXERR_BAD_PAYLOAD */
    uint8_t txid[SHA256_LEN];
    bool future;              /* accepted, but held apart behind a nonce gap */
    size_t replaced;          /* txs removed: the one replaced and later ones no longer valid */
    size_t evicted;           /* other txs evicted to make room */
};

/* The reason of a refusal as one string: txerr_reason() for MEMPOOL_ERR_TX,
 * mempool_err_reason() otherwise. */
const char *mempool_reject_reason(enum mempool_err err, const struct mempool_accept_info *info);

struct mempool;
struct mempool_entry;

/* Everything the pool knows about one of its txs. */
struct mempool_entry_info {
    uint8_t txid[SHA256_LEN];
    uint8_t sender[TX_SENDER_LEN];
    uint64_t nonce;
    amount_t fee;
    size_t size;              /* encoded bytes */
    amount_t fee_per_kb;      /* fee * 1000 / size, rounded down */
    int64_t time;             /* when accepted (node clock) */
    uint64_t height;          /* tip height when accepted */
    bool future;              /* not minable until a nonce gap fills */
};

/* A pool for the network of params (signatures are checked against its
 * genesis hash) holding at most max_bytes. The tip starts as an empty state
 * at height 0: call mempool_update_tip before accepting anything. NULL on
 * allocation failure. */
struct mempool *mempool_new(const struct chain_params *params, size_t max_bytes);
void mempool_free(struct mempool *pool);

/* Units per byte a tx must pay at least (default MEMPOOL_DEFAULT_MIN_FEE_RATE). */
void mempool_set_min_fee_rate(struct mempool *pool, amount_t units_per_byte);
amount_t mempool_min_fee_rate(const struct mempool *pool);
size_t mempool_max_bytes(const struct mempool *pool);

/* Tries to add a decoded tx received at `now`. On MEMPOOL_OK the pool holds
 * a copy (possibly as a future tx). On any other result the pool is exactly
 * as before. info may be NULL. */
enum mempool_err mempool_accept(struct mempool *pool, const struct tx *tx, int64_t now,
                                struct mempool_accept_info *info);

/* Runs every check of mempool_accept (eviction included) without adding
 * the tx: what testmempoolaccept answers. The pool is left as it was. */
enum mempool_err mempool_check(struct mempool *pool, const struct tx *tx, int64_t now,
                               struct mempool_accept_info *info);

/* A new tip (after connecting or disconnecting blocks): drops txs whose
 * nonce is used, re-validates each sender's txs in nonce order against the
 * new tip (dropping those that fail, turning txs behind a dropped one into
 * future txs), promotes future txs whose gap is filled and trims the pool
 * to its size. Also sets the tip used by every later call. False when the
 * tip's state could not be read (the affected senders' txs are then kept,
 * but only as future txs). */
bool mempool_update_tip(struct mempool *pool, const struct state_backend *tip,
                        uint64_t tip_height);

/* After a reorg, puts back the txs of disconnected blocks (coinbases are
 * skipped). Tolerant: a tx that is already present, fails a stateless check
 * or pays too little is skipped. A re-added tx takes the place of a pending
 * tx with the same sender and nonce. The txs are held unchecked until the
 * mempool_update_tip that must follow. Returns how many were added. */
size_t mempool_readd(struct mempool *pool, const struct tx *txs, size_t count, int64_t now);

/* Removes the block's txs that are in the pool, by txid, and returns how
 * many. Cheap; mempool_update_tip must still follow before the next accept. */
size_t mempool_remove_block(struct mempool *pool, const struct block *block);

/* Drops every tx accepted before now - MEMPOOL_EXPIRY_SECONDS, with the same
 * sender's later txs (which could never be mined without it). Returns the
 * number of txs removed. */
size_t mempool_expire(struct mempool *pool, int64_t now);

/* Removes one tx by txid with its sender's later txs; returns how many
 * were removed (0 when absent). */
size_t mempool_remove(struct mempool *pool, const uint8_t txid[SHA256_LEN]);

size_t mempool_count(const struct mempool *pool);
/* Sum of the encoded sizes of all txs in the pool. */
size_t mempool_bytes(const struct mempool *pool);

/* Txs behind a nonce gap: their bytes, their count, and the most bytes they
 * may hold (MEMPOOL_FUTURE_SHARE_PERCENT of the maximum size). */
size_t mempool_future_bytes(const struct mempool *pool);
size_t mempool_future_count(const struct mempool *pool);
size_t mempool_max_future_bytes(const struct mempool *pool);
uint64_t mempool_tip_height(const struct mempool *pool);

/* The entry of txid, or NULL. Entry pointers stay valid until the next
 * call that changes the pool. */
const struct mempool_entry *mempool_find(const struct mempool *pool,
                                         const uint8_t txid[SHA256_LEN]);
const struct tx *mempool_entry_tx(const struct mempool_entry *e);
void mempool_entry_get_info(const struct mempool_entry *e, struct mempool_entry_info *out);

/* Copies the tx and its info out. False (outputs untouched) when txid is
 * not in the pool or on allocation failure. tx must be initialized; out may
 * be NULL. */
bool mempool_get(const struct mempool *pool, const uint8_t txid[SHA256_LEN], struct tx *tx,
                 struct mempool_entry_info *out);

/* Writes up to max txids (grouped by sender, each sender's in nonce order)
 * and returns how many were written. mempool_count() says how many exist. */
size_t mempool_txids(const struct mempool *pool, uint8_t (*out)[SHA256_LEN], size_t max);

/* The nonce a sender's next tx should carry: the account's nonce at the tip
 * plus the number of its consecutive pending txs (future txs do not count).
 * False when the tip's state could not be read. */
bool mempool_next_nonce(const struct mempool *pool, const uint8_t sender[TX_SENDER_LEN],
                        uint64_t *nonce);

/* Calls fn for every entry, grouped by sender in nonce order. Returning
 * false from fn stops the walk (and makes this return false). fn must not
 * change the pool. */
typedef bool (*mempool_entry_fn)(void *ctx, const struct mempool_entry *e);
bool mempool_for_each(const struct mempool *pool, mempool_entry_fn fn, void *ctx);

/* Calls fn once per sender that has minable txs, with those txs in nonce
 * order (the array belongs to the pool). For block templates. */
typedef bool (*mempool_chain_fn)(void *ctx, const struct mempool_entry *const *entries, size_t n);
bool mempool_for_each_chain(const struct mempool *pool, mempool_chain_fn fn, void *ctx);

/* Orders fee rates: <0, 0, >0 as fee_a/size_a is below, equal to or above
 * fee_b/size_b (exact, no rounding). */
int mempool_fee_rate_cmp(amount_t fee_a, size_t size_a, amount_t fee_b, size_t size_b);

#endif
