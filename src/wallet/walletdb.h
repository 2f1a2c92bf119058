/* walletdb: one wallet's SQLite file (wallets/<name>/wallet.sqlite).
 *
 * Tables: schema_version (one row), meta (name -> value: the seed, the key
 * derivation and encryption parameters, the last block seen), keys (public
 * key, secret — sealed when the wallet is encrypted —, derivation index or
 * -1 for an imported key, label, whether it was handed out) and txs (every
 * transaction touching the wallet: raw bytes, where it is confirmed, what
 * it does to the wallet) and, from schema version 2, chat (the messages
 * sent and received by the wallet's keys: walletdb_chat.h). The file is marked with its own application_id
 * and runs in WAL mode with secure_delete, so replaced secrets are
 * overwritten rather than left in free pages.
 *
 * Callers group changes between walletdb_begin and walletdb_commit so a
 * crash never leaves half of them. Not thread-safe: the wallet holds its
 * own lock around every call. Owns the SQLite connection. */
#ifndef SOUK_WALLET_WALLETDB_H
#define SOUK_WALLET_WALLETDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/address.h"
#include "util/amount.h"
#include "util/buf.h"
#include "wallet/wallet.h"

/* 2 added the chat table; a file of version 1 is upgraded when opened. */
#define WALLETDB_SCHEMA_VERSION 2
/* "SOUK" in the SQLite header's application_id field. */
#define WALLETDB_APP_ID 0x534f554b
/* A plain secret (32) or a sealed one (nonce 12 + 32 + tag 16). */
#define WALLETDB_SECRET_MAX 64

struct walletdb;

/* Opens the file at path. create: the file must not exist (what a creation
 * killed half-way leaves, a database without records, is replaced) and is
 * made with a fresh schema; otherwise it must exist and hold records
 * (WALLET_ERR_NOT_FOUND) and be a wallet of a schema this code reads
 * (WALLET_ERR_CORRUPT, with a message saying what is wrong); a file of an
 * older schema is upgraded in place, in one transaction. */
enum wallet_err walletdb_open(const char *path, bool create, struct walletdb **out, char *err,
                              size_t errlen);
void walletdb_close(struct walletdb *db);
int walletdb_schema_version(const struct walletdb *db);
/* The SQLite connection, for the wallet's other tables' code
 * (walletdb_chat.c); the same rules apply. */
struct sqlite3;
struct sqlite3 *walletdb_handle(struct walletdb *db);

enum wallet_err walletdb_begin(struct walletdb *db);
enum wallet_err walletdb_commit(struct walletdb *db);
void walletdb_rollback(struct walletdb *db);
/* Rows changed since the file was opened (to tell whether a txn did anything). */
uint64_t walletdb_total_changes(struct walletdb *db);
/* Copies the WAL into the main file and truncates it (after encryption, so
 * no plaintext page lingers in the WAL). */
void walletdb_checkpoint(struct walletdb *db);

enum wallet_err walletdb_meta_get_blob(struct walletdb *db, const char *name, struct buf *out,
                                       bool *found);
enum wallet_err walletdb_meta_put_blob(struct walletdb *db, const char *name, const void *v,
                                       size_t len);
enum wallet_err walletdb_meta_get_int(struct walletdb *db, const char *name, int64_t *out,
                                      bool *found);
enum wallet_err walletdb_meta_put_int(struct walletdb *db, const char *name, int64_t v);
enum wallet_err walletdb_meta_del(struct walletdb *db, const char *name);

struct walletdb_key {
    uint8_t pubkey[32];
    uint8_t secret[WALLETDB_SECRET_MAX];
    size_t secret_len;
    int64_t index;          /* derivation index; -1 for an imported key */
    bool used;              /* handed out (getnewaddress, import, seen on chain) */
    char label[WALLET_LABEL_MAX + 1];
    int64_t created;
};

/* Inserts or replaces the key's row. */
enum wallet_err walletdb_key_put(struct walletdb *db, const struct walletdb_key *k);
enum wallet_err walletdb_key_get(struct walletdb *db, const uint8_t pubkey[32],
                                 struct walletdb_key *out, bool *found);
enum wallet_err walletdb_key_set_used(struct walletdb *db, const uint8_t pubkey[32],
                                      const char *label);
enum wallet_err walletdb_key_set_secret(struct walletdb *db, const uint8_t pubkey[32],
                                        const uint8_t *secret, size_t len);
/* Every key, handed-out ones first, by index (imported last). fn returning
 * false stops the walk. The struct passed to fn is wiped afterwards. */
typedef bool (*walletdb_key_fn)(void *ctx, const struct walletdb_key *k);
enum wallet_err walletdb_key_for_each(struct walletdb *db, walletdb_key_fn fn, void *ctx);

struct walletdb_tx {
    uint8_t txid[32];
    int64_t seq;            /* order of first sight */
    uint64_t type;
    bool confirmed;
    uint64_t height;
    uint8_t block_hash[32];
    uint32_t position;
    int64_t block_time;
    int64_t time_seen;
    amount_t in;            /* to the wallet from outside it */
    amount_t out;           /* from the wallet to outside it, fee excluded */
    amount_t fee;           /* paid by the wallet */
    bool coinbase;
    char category[16];      /* send, receive, self, generate, other */
    char address[ADDRESS_MAX_LEN + 1];
    char counterparty[ADDRESS_MAX_LEN + 1];
};

/* Adds a tx, or for a known txid updates where it is confirmed and what it
 * does to the wallet (keys imported since can turn a receive into a
 * payment to itself); its order of first sight and time seen stay. */
enum wallet_err walletdb_tx_put(struct walletdb *db, const struct walletdb_tx *t,
                                const uint8_t *raw, size_t raw_len);
/* raw may be NULL. */
enum wallet_err walletdb_tx_get(struct walletdb *db, const uint8_t txid[32],
                                struct walletdb_tx *out, struct buf *raw, bool *found);
/* Marks unconfirmed the txs of one block / at one height / above a height. */
enum wallet_err walletdb_tx_unconfirm_block(struct walletdb *db, const uint8_t hash[32]);
/* Drops the confirmations at that height in any block but keep (a branch
 * the chain left); the txs of keep itself stay confirmed. */
enum wallet_err walletdb_tx_unconfirm_height(struct walletdb *db, uint64_t height,
                                             const uint8_t keep[32]);
enum wallet_err walletdb_tx_unconfirm_above(struct walletdb *db, uint64_t height);

enum wallet_err walletdb_tx_delete(struct walletdb *db, const uint8_t txid[32]);

enum walletdb_tx_filter {
    WALLETDB_TX_ALL,          /* newest first */
    WALLETDB_TX_UNCONFIRMED,
    WALLETDB_TX_COINBASE_CONFIRMED,
};
typedef bool (*walletdb_tx_fn)(void *ctx, const struct walletdb_tx *t);
enum wallet_err walletdb_tx_for_each(struct walletdb *db, enum walletdb_tx_filter filter,
                                     size_t count, size_t skip, walletdb_tx_fn fn, void *ctx);
enum wallet_err walletdb_tx_count(struct walletdb *db, uint64_t *out);

/* A consistent copy of the open database at path (written beside it, then
 * renamed over it). */
enum wallet_err walletdb_backup(struct walletdb *db, const char *path, char *err, size_t errlen);

#endif
