/* wallet: SQLite wallets holding a user's keys, following the chain for the
 * transactions that touch them, and signing transactions of every type.
 *
 * A wallet is one SQLite file, wallets/<name>/wallet.sqlite, holding a
 * 32-byte seed from which every key is derived (hardened, one index per
 * address), imported single keys, labels, and the history of every
 * transaction touching its keys. With encryption the seed and the secrets
 * are sealed with a key derived from the passphrase (scrypt) and
 * ChaCha20-Poly1305; a locked wallet cannot sign.
 *
 * The wallet manager owns the loaded wallets. It registers itself with the
 * chain (connected/disconnected blocks) and the mempool (accepted txs) so
 * every wallet's history and balances follow the chain. Every function
 * below is thread-safe: the manager and each wallet have their own lock;
 * functions that read chain state take the node's chain lock themselves,
 * so callers must NOT hold it.
 *
 * Who holds a wallet: a struct wallet is reference-counted. The manager
 * holds one reference while the wallet is loaded; walletman_get, and
 * walletman_create/walletman_load when given out, hand the caller one more,
 * which the caller gives back with walletman_put once it is done (an RPC
 * call holds its wallet until the handler returns: rpc_wallet.h). Unloading
 * closes the wallet at once (keys wiped, database closed; every call on it
 * then fails with WALLET_ERR_NOT_FOUND) and drops the manager's reference;
 * the struct is freed by whichever put is last, so a holder never sees it
 * freed under it. Nothing may keep a wallet pointer without a reference:
 * the manager's own listeners (mempool, chat bus) reach only the loaded
 * wallets under the manager's lock, and a wallet's index thread is stopped
 * before it is closed. walletman_free frees every wallet, whatever is left
 * unput: it runs after everything that could call a wallet has stopped. */
#ifndef SOUK_WALLET_WALLET_H
#define SOUK_WALLET_WALLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/tx.h"
#include "crypto/address.h"
#include "util/amount.h"
#include "util/buf.h"
#include "wallet/walletmnemonic.h"

struct node_ctx;
struct walletman;
struct wallet;

#define WALLET_NAME_MAX 64
#define WALLET_LABEL_MAX 256
#define WALLET_REASON_MAX 128
/* Unused addresses scanned past the last used one when restoring a seed. */
#define WALLET_GAP_LIMIT 20

enum wallet_err {
    WALLET_OK = 0,
    WALLET_ERR_NOT_FOUND,          /* no such wallet (loaded or on disk) */
    WALLET_ERR_EXISTS,             /* a wallet of that name exists / is loaded */
    WALLET_ERR_BAD_NAME,           /* name empty, too long, or with '/', '\\', '..' */
    WALLET_ERR_LOCKED,             /* encrypted and locked: unlock first */
    WALLET_ERR_PASSPHRASE,         /* wrong passphrase */
    WALLET_ERR_NOT_ENCRYPTED,      /* lock/unlock/change on an unencrypted wallet */
    WALLET_ERR_ALREADY_ENCRYPTED,
    WALLET_ERR_BAD_PASSPHRASE,     /* empty or over-long passphrase */
    WALLET_ERR_INVALID_ADDRESS,    /* not an address of this network */
    WALLET_ERR_NOT_MINE,           /* the address/key is not in this wallet */
    WALLET_ERR_INVALID_AMOUNT,     /* zero, negative, or out of range */
    WALLET_ERR_INSUFFICIENT_FUNDS, /* the keys that may pay do not cover amount + fee */
    WALLET_ERR_REJECTED,           /* the mempool refused the tx: see the reason */
    WALLET_ERR_BAD_PARAMETER,      /* any other bad argument (message names it) */
    WALLET_ERR_DB,                 /* SQLite failed */
    WALLET_ERR_CORRUPT,            /* the file is not a wallet or is damaged */
    WALLET_ERR_UNREADABLE,         /* a sealed message that these keys cannot open */
    WALLET_ERR_NOMEM,
    WALLET_ERR_COUNT_
};
const char *wallet_strerror(enum wallet_err err);

/* ---- the manager --------------------------------------------------------- */

/* Starts the manager for a node whose chain and mempool are running; hooks
 * into their notifications. Wallets live under <ctx->datadir>/wallets. */
enum wallet_err walletman_new(struct node_ctx *ctx, struct walletman **out, char *err,
                              size_t errlen);
/* Flushes and closes every wallet; unhooks. */
void walletman_free(struct walletman *wm);

/* Creates and loads a new wallet; passphrase NULL = unencrypted; seed NULL =
 * a fresh random seed (else restore from these 32 bytes, scanning the chain
 * for used keys up to the gap limit). With out not NULL, *out is a
 * reference to put (walletman_put); as for walletman_load. */
enum wallet_err walletman_create(struct walletman *wm, const char *name, const char *passphrase,
                                 const uint8_t *seed, struct wallet **out, char *err,
                                 size_t errlen);
enum wallet_err walletman_load(struct walletman *wm, const char *name, struct wallet **out,
                               char *err, size_t errlen);
/* Unloads: closes the wallet now; it is freed once the last reference to
 * it is put. */
enum wallet_err walletman_unload(struct walletman *wm, const char *name);
/* The loaded wallet of that name (NULL if none). With name NULL: the only
 * loaded wallet, or NULL when none or several are loaded. A wallet returned
 * is a reference: it stays valid until the caller's walletman_put, even if
 * it is unloaded meanwhile (every call on it then fails with
 * WALLET_ERR_NOT_FOUND). */
struct wallet *walletman_get(struct walletman *wm, const char *name);
/* Gives back a reference from walletman_get, walletman_create or
 * walletman_load (w NULL: nothing). The last one of an unloaded wallet
 * frees it; w must not be used after. Takes the manager's lock only, so it
 * may be called holding a caller's own locks but not the manager's. */
void walletman_put(struct walletman *wm, struct wallet *w);
/* How many unloaded wallets are still referenced (not yet freed): for
 * tests. */
size_t walletman_closed_count(struct walletman *wm);
/* Whether a wallet of that name exists in the wallets directory (loaded
 * or not). */
bool walletman_on_disk(struct walletman *wm, const char *name);
/* Names of the loaded wallets; returns the count (writes at most max). */
size_t walletman_list(struct walletman *wm, char (*names)[WALLET_NAME_MAX + 1], size_t max);

/* ---- one wallet ---------------------------------------------------------- */

const char *wallet_name(const struct wallet *w);

struct wallet_info {
    char name[WALLET_NAME_MAX + 1];
    int schema_version;
    bool encrypted;
    bool locked;
    int64_t unlocked_until;   /* 0 when locked or unencrypted */
    uint64_t key_count;       /* handed out: derived + imported */
    uint64_t keypool_size;    /* derived ahead, not handed out yet */
    uint64_t next_index;      /* next derivation index */
    uint64_t tx_count;
};
enum wallet_err wallet_get_info(struct wallet *w, struct wallet_info *out);

/* A new derived address (the next index) with a label (may be NULL). */
enum wallet_err wallet_new_address(struct wallet *w, const char *label,
                                   char address[ADDRESS_MAX_LEN + 1]);
/* Adds a single key; when rescan is true its history is rebuilt from the
 * chain. Needs the wallet unlocked if encrypted. */
enum wallet_err wallet_import_privkey(struct wallet *w, const uint8_t secret[32],
                                      const char *label, bool rescan);

struct wallet_address_info {
    char address[ADDRESS_MAX_LEN + 1];
    char label[WALLET_LABEL_MAX + 1];
    int64_t index;            /* derivation index, -1 for an imported key */
    amount_t balance;         /* confirmed, at the tip */
    uint64_t nonce;           /* the account's nonce at the tip */
};
typedef bool (*wallet_address_fn)(void *ctx, const struct wallet_address_info *a);
enum wallet_err wallet_list_addresses(struct wallet *w, wallet_address_fn fn, void *ctx);

/* Each loaded wallet follows the chain on its own index thread, outside
 * the chain lock. A caller that must see the chain as it is now (an RPC
 * after generatetoaddress, a test after a block) waits for it first; do
 * not hold the chain lock. WALLET_ERR_DB with a message when it cannot. */
#define WALLET_SYNC_TIMEOUT_MS 30000
enum wallet_err wallet_sync(struct wallet *w, char *err, size_t errlen);

struct wallet_balances {
    amount_t confirmed;       /* sum of the wallet's account balances at the tip */
    amount_t unconfirmed_in;  /* coming in through mempool txs */
    amount_t unconfirmed_out; /* going out (amounts + fees) through mempool txs */
    amount_t immature;        /* coinbase payouts still waiting to mature */
};
enum wallet_err wallet_get_balances(struct wallet *w, struct wallet_balances *out);

struct wallet_tx_info {
    uint8_t txid[32];
    uint64_t type;
    char category[16];        /* "send", "receive", "self", "generate", "immature", "other",
                               * "orphan" (a coinbase whose block left the chain) */
    int64_t amount;           /* net effect on the wallet, base units, fee excluded */
    amount_t fee;             /* paid by the wallet (0 if not the sender) */
    uint64_t height;          /* 0 while unconfirmed */
    int64_t confirmations;    /* 0 while unconfirmed */
    uint8_t block_hash[32];   /* zero while unconfirmed */
    int64_t time;             /* block time, or when first seen */
    char address[ADDRESS_MAX_LEN + 1]; /* the wallet's address involved */
    char counterparty[ADDRESS_MAX_LEN + 1]; /* the other side, "" if none */
};
/* Newest first, skipping `skip`, at most `count`. */
typedef bool (*wallet_tx_fn)(void *ctx, const struct wallet_tx_info *t);
enum wallet_err wallet_list_txs(struct wallet *w, size_t count, size_t skip, wallet_tx_fn fn,
                                void *ctx);
/* One tx of the history; raw (initialized, may be NULL) receives the tx. */
enum wallet_err wallet_get_tx(struct wallet *w, const uint8_t txid[32], struct wallet_tx_info *out,
                              struct tx *raw);

/* Encryption. */
enum wallet_err wallet_encrypt(struct wallet *w, const char *passphrase);
/* Unlocks for timeout seconds (> 0); a wrong passphrase answers after a
 * short delay. */
enum wallet_err wallet_unlock(struct wallet *w, const char *passphrase, int64_t timeout);
enum wallet_err wallet_lock(struct wallet *w);
enum wallet_err wallet_change_passphrase(struct wallet *w, const char *old_pass,
                                         const char *new_pass);

/* The seed as 64 hex digits (needs the wallet unlocked). */
enum wallet_err wallet_export_seed(struct wallet *w, char hex[65]);
/* The seed as its 24 BIP39 English words (walletmnemonic.h; needs the
 * wallet unlocked). */
enum wallet_err wallet_export_mnemonic(struct wallet *w, char text[WALLETMNEMONIC_TEXT_MAX + 1]);
/* A consistent copy of the file (SQLite online backup) at path. */
enum wallet_err wallet_backup(struct wallet *w, const char *path, char *err, size_t errlen);
/* Rebuilds history and balances from the chain between heights (inclusive;
 * stop < 0 = the tip). Reports the range scanned. A scan up to the tip also
 * puts the history's pending txs missing from the mempool back into it and
 * drops those whose nonce the chain has used (loading does the same). */
enum wallet_err wallet_rescan(struct wallet *w, int64_t start, int64_t stop, int64_t *start_out,
                              int64_t *stop_out);

/* BIP340 signature (64 bytes) by the address's key over
 * TaggedHash("souk/message", message). */
enum wallet_err wallet_sign_message(struct wallet *w, const char *address, const void *msg,
                                    size_t len, uint8_t sig[64]);
/* Verification needs no wallet. */
bool wallet_verify_message(const char *hrp, const char *address, const void *msg, size_t len,
                           const uint8_t sig[64]);

/* Sealed messages between the address's key and another key (their_pub,
 * x-only): the sealed box of crypto/aead.h, so either side opens what
 * either sealed. Seal appends nonce || ciphertext || tag to out; open
 * appends the plaintext, or fails with WALLET_ERR_UNREADABLE (another pair
 * of keys, or altered bytes) leaving out as it was. A their_pub that is
 * not a key is WALLET_ERR_INVALID_ADDRESS. */
enum wallet_err wallet_seal_message(struct wallet *w, const char *address,
                                    const uint8_t their_pub[32], const void *msg, size_t len,
                                    struct buf *out);
enum wallet_err wallet_open_message(struct wallet *w, const char *address,
                                    const uint8_t their_pub[32], const void *sealed, size_t len,
                                    struct buf *out);

/* ---- the signing service: every action signs through here ---------------- */

struct wallet_send_request {
    uint64_t type;                /* a registered tx type */
    const uint8_t *payload;       /* its canonical payload encoding */
    size_t payload_len;
    const char *from;             /* the wallet address to send from; NULL: the key with
                                   * the largest balance covering spend + fee */
    amount_t spend;               /* what the tx spends besides its fee (for choosing) */
    amount_t fee;                 /* 0: estimate (min relay fee rate × size, or more) */
    amount_t fee_rate;            /* 0: default; units per byte when fee is 0 */
    bool broadcast;               /* true: to the mempool (and relay); false: only return */
};
/* One signed transfer of a payment. */
struct wallet_payment {
    uint8_t txid[32];
    char *hex;                    /* the signed tx (owned by the result) */
    amount_t amount;              /* what it spends besides its fee */
    amount_t fee;
    char from[ADDRESS_MAX_LEN + 1];
};
/* Filled by the calls below; free with wallet_send_result_clear. */
struct wallet_send_result {
    /* The first (for a single tx, the only) tx: txid, hex, fee, sender. */
    uint8_t txid[32];
    char *hex;
    amount_t fee;
    char from[ADDRESS_MAX_LEN + 1];
    /* Every tx made, the first included, in order (a payment from several
     * keys has one per paying key), and the sum of their fees. */
    struct wallet_payment *txs;
    size_t n_txs;
    amount_t total_fee;
    char reason[WALLET_REASON_MAX]; /* mempool reject reason with WALLET_ERR_REJECTED,
                                     * the broken rule with WALLET_ERR_BAD_PARAMETER */
    /* With WALLET_ERR_INSUFFICIENT_FUNDS: what the wallet's keys can spend
     * together and the most one of them (or the `from` key) can, and what
     * was needed (amount plus the fee of one tx). */
    amount_t available, largest, needed;
};
/* Frees the hex strings and the list; the txid, fee and other values stay
 * readable. */
void wallet_send_result_clear(struct wallet_send_result *res);
/* Picks the sender and its next nonce (pending mempool txs included),
 * sets the fee, signs and, if asked, submits to the mempool. One key pays:
 * `from`, or the one with the most to spend that covers spend and fee. */
enum wallet_err wallet_create_transaction(struct wallet *w, const struct wallet_send_request *req,
                                          struct wallet_send_result *res);
/* Pays amount to address, with an optional memo: from one key when one
 * covers it (the one with the most), else one transfer per key from those
 * with the most until the sum is made up. All are broadcast or none. */
enum wallet_err wallet_send_to_address(struct wallet *w, const char *address, amount_t amount,
                                       const uint8_t *memo, size_t memo_len, amount_t fee_rate,
                                       struct wallet_send_result *res);
/* The same to a decoded address; broadcast false only signs. */
enum wallet_err wallet_pay(struct wallet *w, const uint8_t to[32], amount_t amount,
                           const uint8_t *memo, size_t memo_len, amount_t fee_rate, bool broadcast,
                           struct wallet_send_result *res);

#endif
