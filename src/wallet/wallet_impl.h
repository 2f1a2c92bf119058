/* wallet_impl: what the wallet's own files share and nobody else uses —
 * struct wallet and struct walletman, and the calls between wallet.c (keys,
 * encryption, addresses), wallettrack.c (history, balances, rescans),
 * walletsend.c (the signing service) and walletman.c (loading, listeners).
 *
 * Locks, always taken in this order, never the other way round:
 *   wm->load_mu  (create/load/unload, one at a time)
 *   node->lock   (the chain lock; held by the node around chain listener calls)
 *   wm->mu       (the list of loaded wallets)
 *   w->mu        (one wallet's state and database)
 * Functions named *_locked expect w->mu held by the caller. */
#ifndef SOUK_WALLET_WALLET_IMPL_H
#define SOUK_WALLET_WALLET_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "consensus/block.h"
#include "node/blockindex.h"
#include "node/index.h"
#include "node/node.h"
#include "wallet/wallet.h"
#include "wallet/walletdb.h"
#include "wallet/walletkeys.h"

/* Derived keys kept ready ahead of the last one handed out, so a locked
 * wallet can still give out addresses (and sees payments to them). */
#define WALLET_KEYPOOL 100
/* Blocks without wallet txs move the stored last block seen only at
 * heights that are multiples of this. */
#define WALLET_BEST_INTERVAL 100
#define WALLET_PASSPHRASE_MAX 1024
#define WALLET_UNLOCK_MAX_SECONDS 100000000
/* How long a wrong passphrase waits before it is reported. */
#define WALLET_BAD_PASSPHRASE_DELAY_MS 250

struct wallet_key {
    uint8_t pub[32];
    int64_t index;   /* -1 for an imported key */
    bool used;
};

struct wallet {
    struct walletman *wm;
    struct node_ctx *node;
    char name[WALLET_NAME_MAX + 1];
    pthread_mutex_t mu;
    struct walletdb *db;       /* NULL once unloaded: every call then fails */

    struct wallet_key *keys;   /* sorted by pub */
    size_t n_keys, cap_keys;
    uint64_t next_index;       /* indexes below were handed out */
    uint64_t pool_end;         /* indexes below were derived */

    bool encrypted;
    struct walletkeys_kdf kdf;
    bool unlocked;             /* encrypted and unlocked: enc_key and seed valid */
    int64_t unlocked_until;
    uint8_t enc_key[WALLETKEYS_KEY_LEN];
    uint8_t seed[WALLETKEYS_SEED_LEN];
    bool have_seed;            /* seed valid: unencrypted, or unlocked */
    struct index_runner *index; /* follows the chain for it while loaded */
    /* References (under wm->mu): the manager's own while loaded, and one
     * per walletman_get (or create/load with out) not yet put. The last
     * put frees the struct. */
    unsigned refs;

    /* -walletnotify (NULL: none) and what the open db transaction will
     * announce once it commits (wallettrack.c). */
    const char *notify;
    struct wallet_notice *notices;
    size_t n_notices, cap_notices;
};

/* A tx that entered the wallet, or was confirmed in a block it was not
 * confirmed in before: one -walletnotify run. */
struct wallet_notice {
    uint8_t txid[32];
    bool confirmed;
    uint8_t block_hash[32];
    uint64_t height;
};

struct walletman {
    struct node_ctx *node;
    char dir[PATH_MAX];        /* <datadir>/wallets */
    pthread_mutex_t load_mu;
    pthread_mutex_t mu;
    struct wallet **wallets;   /* loaded */
    size_t n, cap;
    /* Unloaded (closed) wallets that someone still holds a reference to;
     * each leaves the list, freed, at its last walletman_put. */
    struct wallet **closed;
    size_t n_closed, cap_closed;
};

/* ---- wallet.c ---- */
/* Opens (create false) or creates a wallet file; does not touch the chain.
 * For create: seed NULL = fresh; passphrase NULL = unencrypted. */
enum wallet_err wallet_open_file(struct walletman *wm, const char *name, const char *path,
                                 bool create, const uint8_t *seed, const char *passphrase,
                                 struct wallet **out, char *err, size_t errlen);
/* Closes the database and wipes secrets; the struct stays until its last
 * reference is put (see refs). */
void wallet_close(struct wallet *w);
void wallet_destroy(struct wallet *w);
/* Takes w->mu; fails with NOT_FOUND for an unloaded wallet. */
enum wallet_err wallet_enter(struct wallet *w);
void wallet_leave(struct wallet *w);
const struct wallet_key *wallet_find_key(const struct wallet *w, const uint8_t pub[32]);
/* Marks a key handed out (and, for a derived one, moves next_index past
 * it and refills the pool when the seed is at hand). Inside a db txn. */
enum wallet_err wallet_mark_used_locked(struct wallet *w, const uint8_t pub[32],
                                        const char *label);
/* The key's secret (checks the lock and its timeout). */
enum wallet_err wallet_get_secret_locked(struct wallet *w, const uint8_t pub[32],
                                         uint8_t secret[32]);
/* Wipes the unlocked material when the unlock time is over. */
void wallet_check_expiry_locked(struct wallet *w);
/* Stores the derived keys of indexes [0, n) as handed out (restore). */
enum wallet_err wallet_mark_range_used_locked(struct wallet *w, uint64_t n);
/* Rolls back the open db txn and takes the key set, next_index and
 * pool_end back from the file (the txn may have changed them in memory). */
void wallet_rollback_locked(struct wallet *w);
/* Wipes the seed and key (after creation with a passphrase). */
void wallet_relock_locked(struct wallet *w);
void wallet_sleep_ms(unsigned ms);

/* ---- walletman.c ---- */
/* Adds an open wallet to the loaded ones and starts its index thread,
 * which follows the chain from the wallet's last block. */
enum wallet_err walletman_attach(struct walletman *wm, struct wallet *w, char *err,
                                 size_t errlen);

/* ---- wallettrack.c ---- */
/* Where a block is, for recording its txs. */
struct wallet_blockpos {
    const uint8_t *hash;
    uint64_t height;
    int64_t time;
};
/* The wallet as a chain-following index (node/index.h): its blocks come
 * from an index thread outside the chain lock; its last block
 * ("best_hash") is the marker. */
void wallet_index_def(struct wallet *w, struct index_def *out);
/* Mempool notifications (chain lock held by the node). */
void wallet_tx_accepted(struct wallet *w, const struct tx *tx, const uint8_t txid[32]);
/* Records the mempool's txs that send from or pay pub (a key just
 * imported: its pending spends count at once). Takes the chain lock. */
enum wallet_err wallet_record_pending_of_key(struct wallet *w, const uint8_t pub[32]);
/* Puts the history's unconfirmed txs missing from the mempool back into
 * it (the mempool is not kept across restarts) and drops those whose
 * nonce the chain has used. */
enum wallet_err wallet_resubmit(struct wallet *w);
/* Records the tip as the wallet's last block (a new wallet). */
enum wallet_err wallet_set_best_to_tip(struct wallet *w);

#endif
