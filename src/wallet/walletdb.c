#define _XOPEN_SOURCE 700
#include "wallet/walletdb.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "util/log.h"
#include "util/sqlitedb.h"
#include "wallet/walletdb_chat.h"

struct walletdb {
    sqlite3 *db;
    int schema_version;
};

static const char *const walletdb_schema[] = {
    "CREATE TABLE schema_version(version INTEGER NOT NULL)",
    "CREATE TABLE meta(name TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID",
    "CREATE TABLE keys(pubkey BLOB PRIMARY KEY NOT NULL, secret BLOB NOT NULL, idx INTEGER NOT "
    "NULL, used INTEGER NOT NULL DEFAULT 0, label TEXT NOT NULL DEFAULT '', created INTEGER NOT "
    "NULL)",
    "CREATE TABLE txs(txid BLOB PRIMARY KEY NOT NULL, seq INTEGER NOT NULL UNIQUE, raw BLOB NOT "
    "NULL, type INTEGER NOT NULL, height INTEGER, block_hash BLOB, position INTEGER, "
    "block_time INTEGER, time_seen INTEGER NOT NULL, amount_in INTEGER NOT NULL, amount_out "
    "INTEGER NOT NULL, fee INTEGER NOT NULL, coinbase INTEGER NOT NULL, category TEXT NOT NULL, "
    "address TEXT NOT NULL, counterparty TEXT NOT NULL)",
    "CREATE INDEX txs_height ON txs(height)",
    "CREATE INDEX txs_block ON txs(block_hash)",
};

/* The wallet's callers get a wallet_err; SQLite's message goes to the log. */
static enum wallet_err walletdb_exec(struct walletdb *db, const char *sql)
{
    char why[256];
    if (sqlitedb_exec(db->db, sql, why, sizeof why))
        return WALLET_OK;
    LOG_ERROR(LOG_CAT_WALLET, "sqlite: %s: %s", sql, why);
    return WALLET_ERR_DB;
}

static sqlite3_stmt *walletdb_prepare(struct walletdb *db, const char *sql)
{
    char why[256];
    sqlite3_stmt *st = sqlitedb_prepare(db->db, sql, why, sizeof why);
    if (st == NULL)
        LOG_ERROR(LOG_CAT_WALLET, "sqlite prepare: %s: %s", sql, why);
    return st;
}

/* Runs a statement that returns no rows and finalizes it. */
static enum wallet_err walletdb_done(struct walletdb *db, sqlite3_stmt *st)
{
    char why[256];
    if (sqlitedb_step_done(db->db, st, why, sizeof why))
        return WALLET_OK;
    LOG_ERROR(LOG_CAT_WALLET, "sqlite step: %s", why);
    return WALLET_ERR_DB;
}

static enum wallet_err walletdb_create_schema(struct walletdb *db)
{
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA application_id=%d", (int)WALLETDB_APP_ID);
    enum wallet_err r = walletdb_exec(db, pragma);
    if (r == WALLET_OK)
        r = walletdb_begin(db);
    for (size_t i = 0; r == WALLET_OK && i < sizeof walletdb_schema / sizeof walletdb_schema[0];
         i++)
        r = walletdb_exec(db, walletdb_schema[i]);
    for (size_t i = 0; r == WALLET_OK && i < WALLETDB_CHAT_N_SCHEMA; i++)
        r = walletdb_exec(db, walletdb_chat_schema[i]);
    if (r == WALLET_OK) {
        snprintf(pragma, sizeof pragma, "INSERT INTO schema_version VALUES(%d)",
                 WALLETDB_SCHEMA_VERSION);
        r = walletdb_exec(db, pragma);
    }
    if (r == WALLET_OK)
        return walletdb_commit(db);
    walletdb_rollback(db);
    return r;
}

/* Checks that an existing file is a wallet this code can read. */
static enum wallet_err walletdb_check(struct walletdb *db, char *err, size_t errlen)
{
    char why[256];
    int64_t app, version;
    if (!sqlitedb_query_int(db->db, "PRAGMA application_id", &app, why, sizeof why)) {
        snprintf(err, errlen, "not a wallet file (not an SQLite database: %s)", why);
        /* Another connection holding the file is not damage. */
        int rc = sqlite3_errcode(db->db);
        return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? WALLET_ERR_DB : WALLET_ERR_CORRUPT;
    }
    if ((uint32_t)app != WALLETDB_APP_ID) {
        snprintf(err, errlen, "not a wallet file (an SQLite database of another application)");
        return WALLET_ERR_CORRUPT;
    }
    if (!sqlitedb_query_int(db->db, "SELECT version FROM schema_version", &version, NULL, 0)) {
        snprintf(err, errlen, "damaged wallet file: no schema version");
        return WALLET_ERR_CORRUPT;
    }
    db->schema_version = (int)version;
    if (db->schema_version < 1 || db->schema_version > WALLETDB_SCHEMA_VERSION) {
        snprintf(err, errlen, "wallet schema version %d is not supported (this version reads 1 to %d)",
                 db->schema_version, WALLETDB_SCHEMA_VERSION);
        return WALLET_ERR_CORRUPT;
    }
    if (!sqlitedb_exec(db->db, "SELECT 1 FROM meta LIMIT 0; SELECT 1 FROM keys LIMIT 0; "
                               "SELECT 1 FROM txs LIMIT 0", why, sizeof why) ||
        (db->schema_version >= 2 &&
         !sqlitedb_exec(db->db, "SELECT 1 FROM chat LIMIT 0", why, sizeof why))) {
        snprintf(err, errlen, "damaged wallet file: %s", why);
        return WALLET_ERR_CORRUPT;
    }
    return WALLET_OK;
}

/* Brings a file of an older schema up to this one, in one transaction: a
 * crash leaves the old schema, which the next load migrates again.
 *   1 -> 2: the chat table (messages to and from the wallet's keys). */
static enum wallet_err walletdb_migrate(struct walletdb *db, char *err, size_t errlen)
{
    int from = db->schema_version;
    if (from == WALLETDB_SCHEMA_VERSION)
        return WALLET_OK;
    enum wallet_err r = walletdb_begin(db);
    for (size_t i = 0; r == WALLET_OK && from < 2 && i < WALLETDB_CHAT_N_SCHEMA; i++)
        r = walletdb_exec(db, walletdb_chat_schema[i]);
    if (r == WALLET_OK) {
        char sql[64];
        snprintf(sql, sizeof sql, "UPDATE schema_version SET version=%d",
                 WALLETDB_SCHEMA_VERSION);
        r = walletdb_exec(db, sql);
    }
    if (r == WALLET_OK)
        r = walletdb_commit(db);
    if (r != WALLET_OK) {
        walletdb_rollback(db);
        snprintf(err, errlen, "cannot upgrade the wallet file from schema version %d to %d: %s",
                 from, WALLETDB_SCHEMA_VERSION, sqlite3_errmsg(db->db));
        return r;
    }
    LOG_INFO(LOG_CAT_WALLET, "wallet file upgraded from schema version %d to %d", from,
             WALLETDB_SCHEMA_VERSION);
    db->schema_version = WALLETDB_SCHEMA_VERSION;
    return WALLET_OK;
}

/* True when path is what a creation killed before its end leaves: an
 * empty database (killed before the schema was committed) or our schema
 * with no records (killed before the first records were). Either holds
 * nothing, and would otherwise block creating the wallet again. */
static bool walletdb_unfinished(const char *path)
{
    sqlite3 *db = NULL;
    bool unfinished = false;
    int64_t app, records;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlitedb_query_int(db, "PRAGMA application_id", &app, NULL, 0)) {
        const char *empty = app == 0 ? "SELECT COUNT(*) FROM sqlite_master"
                            : (uint32_t)app == WALLETDB_APP_ID
                                ? "SELECT (SELECT COUNT(*) FROM meta) + (SELECT COUNT(*) FROM keys)"
                                : NULL;
        unfinished = empty != NULL && sqlitedb_query_int(db, empty, &records, NULL, 0) &&
                     records == 0;
    }
    sqlite3_close(db);
    return unfinished;
}

enum wallet_err walletdb_open(const char *path, bool create, struct walletdb **out, char *err,
                              size_t errlen)
{
    struct stat sb;
    bool exists = stat(path, &sb) == 0;
    if (create && exists && S_ISREG(sb.st_mode) && walletdb_unfinished(path)) {
        char side[4200];
        LOG_WARN(LOG_CAT_WALLET, "%s: replacing what an unfinished creation left", path);
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
        exists = unlink(path) != 0;
    }
    if (create && exists) {
        snprintf(err, errlen, "%s already exists", path);
        return WALLET_ERR_EXISTS;
    }
    if (!create && !exists) {
        snprintf(err, errlen, "%s does not exist", path);
        return WALLET_ERR_NOT_FOUND;
    }
    if (!create && S_ISREG(sb.st_mode) && walletdb_unfinished(path)) {
        snprintf(err, errlen, "%s holds no wallet (its creation did not finish)", path);
        return WALLET_ERR_NOT_FOUND;
    }
    if (exists && !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "not a wallet file: %s is not a regular file", path);
        return WALLET_ERR_CORRUPT;
    }
    struct walletdb *db = calloc(1, sizeof *db);
    if (db == NULL) {
        snprintf(err, errlen, "out of memory");
        return WALLET_ERR_NOMEM;
    }
    if (!sqlitedb_connect(path, create, &db->db, err, errlen)) {
        free(db);
        return WALLET_ERR_DB;
    }
    enum wallet_err r = WALLET_OK;
    if (!create)
        r = walletdb_check(db, err, errlen);
    /* Durable: a committed change (a key handed out, a tx sent) survives a
     * crash and power loss. */
    if (r == WALLET_OK &&
        (!sqlitedb_set_durable(db->db, NULL, 0) ||
         walletdb_exec(db, "PRAGMA secure_delete=ON") != WALLET_OK ||
         walletdb_exec(db, "PRAGMA foreign_keys=ON") != WALLET_OK)) {
        snprintf(err, errlen, "cannot set up %s: %s", path, sqlite3_errmsg(db->db));
        r = WALLET_ERR_DB;
    }
    if (r == WALLET_OK && !create)
        r = walletdb_migrate(db, err, errlen);
    if (r == WALLET_OK && create) {
        r = walletdb_create_schema(db);
        if (r != WALLET_OK)
            snprintf(err, errlen, "cannot create the wallet schema in %s", path);
        db->schema_version = WALLETDB_SCHEMA_VERSION;
    }
    if (r != WALLET_OK) {
        sqlite3_close(db->db);
        free(db);
        if (create)
            unlink(path);
        return r;
    }
    *out = db;
    return WALLET_OK;
}

void walletdb_close(struct walletdb *db)
{
    if (db == NULL)
        return;
    sqlite3_close(db->db);
    free(db);
}

int walletdb_schema_version(const struct walletdb *db) { return db->schema_version; }

sqlite3 *walletdb_handle(struct walletdb *db) { return db->db; }

enum wallet_err walletdb_begin(struct walletdb *db) { return walletdb_exec(db, "BEGIN IMMEDIATE"); }
enum wallet_err walletdb_commit(struct walletdb *db) { return walletdb_exec(db, "COMMIT"); }

void walletdb_rollback(struct walletdb *db) { sqlitedb_rollback(db->db); }

uint64_t walletdb_total_changes(struct walletdb *db)
{
    return (uint64_t)sqlite3_total_changes(db->db);
}

void walletdb_checkpoint(struct walletdb *db)
{
    sqlite3_wal_checkpoint_v2(db->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

/* ---- meta ---------------------------------------------------------------- */

static sqlite3_stmt *walletdb_meta_select(struct walletdb *db, const char *name, int *rc)
{
    sqlite3_stmt *st = walletdb_prepare(db, "SELECT value FROM meta WHERE name=?1");
    if (st == NULL) {
        *rc = SQLITE_ERROR;
        return NULL;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    *rc = sqlite3_step(st);
    return st;
}

enum wallet_err walletdb_meta_get_blob(struct walletdb *db, const char *name, struct buf *out,
                                       bool *found)
{
    int rc;
    sqlite3_stmt *st = walletdb_meta_select(db, name, &rc);
    enum wallet_err r = WALLET_OK;
    if (rc == SQLITE_ROW) {
        const void *v = sqlite3_column_blob(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        buf_reset(out);
        if (len > 0 && !buf_append(out, v, (size_t)len))
            r = WALLET_ERR_NOMEM;
        *found = true;
    } else if (rc == SQLITE_DONE) {
        *found = false;
    } else {
        r = WALLET_ERR_DB;
    }
    sqlite3_finalize(st);
    return r;
}

enum wallet_err walletdb_meta_get_int(struct walletdb *db, const char *name, int64_t *out,
                                      bool *found)
{
    int rc;
    sqlite3_stmt *st = walletdb_meta_select(db, name, &rc);
    enum wallet_err r = WALLET_OK;
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_INTEGER)
            r = WALLET_ERR_CORRUPT;
        else
            *out = sqlite3_column_int64(st, 0);
        *found = true;
    } else if (rc == SQLITE_DONE) {
        *found = false;
    } else {
        r = WALLET_ERR_DB;
    }
    sqlite3_finalize(st);
    return r;
}

enum wallet_err walletdb_meta_put_blob(struct walletdb *db, const char *name, const void *v,
                                       size_t len)
{
    sqlite3_stmt *st = walletdb_prepare(db, "INSERT OR REPLACE INTO meta VALUES(?1, ?2)");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, len > 0 ? v : "", (int)len, SQLITE_STATIC);
    return walletdb_done(db, st);
}

enum wallet_err walletdb_meta_put_int(struct walletdb *db, const char *name, int64_t v)
{
    sqlite3_stmt *st = walletdb_prepare(db, "INSERT OR REPLACE INTO meta VALUES(?1, ?2)");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    return walletdb_done(db, st);
}

enum wallet_err walletdb_meta_del(struct walletdb *db, const char *name)
{
    sqlite3_stmt *st = walletdb_prepare(db, "DELETE FROM meta WHERE name=?1");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    return walletdb_done(db, st);
}

/* ---- keys ---------------------------------------------------------------- */

enum wallet_err walletdb_key_put(struct walletdb *db, const struct walletdb_key *k)
{
    sqlite3_stmt *st = walletdb_prepare(
        db, "INSERT OR REPLACE INTO keys(pubkey, secret, idx, used, label, created) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, k->pubkey, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, k->secret, (int)k->secret_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, k->index);
    sqlite3_bind_int(st, 4, k->used ? 1 : 0);
    sqlite3_bind_text(st, 5, k->label, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, k->created);
    return walletdb_done(db, st);
}

static bool walletdb_key_row(sqlite3_stmt *st, struct walletdb_key *k)
{
    memset(k, 0, sizeof *k);
    const void *pub = sqlite3_column_blob(st, 0);
    const void *sec = sqlite3_column_blob(st, 1);
    int publen = sqlite3_column_bytes(st, 0), seclen = sqlite3_column_bytes(st, 1);
    const unsigned char *label = sqlite3_column_text(st, 4);
    if (publen != 32 || seclen <= 0 || seclen > WALLETDB_SECRET_MAX || label == NULL ||
        strlen((const char *)label) > WALLET_LABEL_MAX)
        return false;
    memcpy(k->pubkey, pub, 32);
    memcpy(k->secret, sec, (size_t)seclen);
    k->secret_len = (size_t)seclen;
    k->index = sqlite3_column_int64(st, 2);
    k->used = sqlite3_column_int(st, 3) != 0;
    snprintf(k->label, sizeof k->label, "%s", (const char *)label);
    k->created = sqlite3_column_int64(st, 5);
    if (k->index < -1) {
        OPENSSL_cleanse(k, sizeof *k); /* refused: its secret is not left behind */
        return false;
    }
    return true;
}

#define WALLETDB_KEY_COLS "pubkey, secret, idx, used, label, created"

enum wallet_err walletdb_key_get(struct walletdb *db, const uint8_t pubkey[32],
                                 struct walletdb_key *out, bool *found)
{
    sqlite3_stmt *st =
        walletdb_prepare(db, "SELECT " WALLETDB_KEY_COLS " FROM keys WHERE pubkey=?1");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, pubkey, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    enum wallet_err r = WALLET_OK;
    *found = false;
    if (rc == SQLITE_ROW) {
        if (!walletdb_key_row(st, out))
            r = WALLET_ERR_CORRUPT;
        *found = true;
    } else if (rc != SQLITE_DONE) {
        r = WALLET_ERR_DB;
    }
    sqlite3_finalize(st);
    return r;
}

enum wallet_err walletdb_key_set_used(struct walletdb *db, const uint8_t pubkey[32],
                                      const char *label)
{
    sqlite3_stmt *st =
        walletdb_prepare(db, label != NULL ? "UPDATE keys SET used=1, label=?2 WHERE pubkey=?1"
                                           : "UPDATE keys SET used=1 WHERE pubkey=?1");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, pubkey, 32, SQLITE_STATIC);
    if (label != NULL)
        sqlite3_bind_text(st, 2, label, -1, SQLITE_STATIC);
    return walletdb_done(db, st);
}

enum wallet_err walletdb_key_set_secret(struct walletdb *db, const uint8_t pubkey[32],
                                        const uint8_t *secret, size_t len)
{
    sqlite3_stmt *st = walletdb_prepare(db, "UPDATE keys SET secret=?2 WHERE pubkey=?1");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, pubkey, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, secret, (int)len, SQLITE_STATIC);
    return walletdb_done(db, st);
}

enum wallet_err walletdb_key_for_each(struct walletdb *db, walletdb_key_fn fn, void *ctx)
{
    sqlite3_stmt *st = walletdb_prepare(
        db, "SELECT " WALLETDB_KEY_COLS " FROM keys ORDER BY used DESC, idx < 0, idx, created");
    if (st == NULL)
        return WALLET_ERR_DB;
    enum wallet_err r = WALLET_OK;
    struct walletdb_key k;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!walletdb_key_row(st, &k)) {
            r = WALLET_ERR_CORRUPT;
            break;
        }
        bool go_on = fn(ctx, &k);
        OPENSSL_cleanse(&k, sizeof k);
        if (!go_on)
            break;
    }
    if (r == WALLET_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = WALLET_ERR_DB;
    sqlite3_finalize(st);
    return r;
}

/* ---- txs ----------------------------------------------------------------- */

#define WALLETDB_TX_COLS                                                                      \
    "txid, seq, type, height, block_hash, position, block_time, time_seen, amount_in, "       \
    "amount_out, fee, coinbase, category, address, counterparty"

enum wallet_err walletdb_tx_put(struct walletdb *db, const struct walletdb_tx *t,
                                const uint8_t *raw, size_t raw_len)
{
    sqlite3_stmt *st = walletdb_prepare(
        db, "INSERT INTO txs(txid, seq, raw, type, height, block_hash, position, block_time, "
            "time_seen, amount_in, amount_out, fee, coinbase, category, address, counterparty) "
            "VALUES(?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM txs), ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
            "?9, ?10, ?11, ?12, ?13, ?14, ?15) "
            "ON CONFLICT(txid) DO UPDATE SET height=excluded.height, "
            "block_hash=excluded.block_hash, position=excluded.position, "
            "block_time=excluded.block_time, type=excluded.type, "
            "amount_in=excluded.amount_in, amount_out=excluded.amount_out, fee=excluded.fee, "
            "coinbase=excluded.coinbase, category=excluded.category, "
            "address=excluded.address, counterparty=excluded.counterparty");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, t->txid, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, raw, (int)raw_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)t->type);
    if (t->confirmed) {
        sqlite3_bind_int64(st, 4, (int64_t)t->height);
        sqlite3_bind_blob(st, 5, t->block_hash, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, t->position);
        sqlite3_bind_int64(st, 7, t->block_time);
    } else {
        for (int i = 4; i <= 7; i++)
            sqlite3_bind_null(st, i);
    }
    sqlite3_bind_int64(st, 8, t->time_seen);
    sqlite3_bind_int64(st, 9, (int64_t)t->in);
    sqlite3_bind_int64(st, 10, (int64_t)t->out);
    sqlite3_bind_int64(st, 11, (int64_t)t->fee);
    sqlite3_bind_int(st, 12, t->coinbase ? 1 : 0);
    sqlite3_bind_text(st, 13, t->category, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 14, t->address, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 15, t->counterparty, -1, SQLITE_STATIC);
    return walletdb_done(db, st);
}

static bool walletdb_text_col(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    if (s == NULL || strlen((const char *)s) >= outlen)
        return false;
    snprintf(out, outlen, "%s", (const char *)s);
    return true;
}

static bool walletdb_tx_row(sqlite3_stmt *st, struct walletdb_tx *t)
{
    memset(t, 0, sizeof *t);
    if (sqlite3_column_bytes(st, 0) != 32)
        return false;
    memcpy(t->txid, sqlite3_column_blob(st, 0), 32);
    t->seq = sqlite3_column_int64(st, 1);
    t->type = (uint64_t)sqlite3_column_int64(st, 2);
    t->confirmed = sqlite3_column_type(st, 3) != SQLITE_NULL;
    if (t->confirmed) {
        if (sqlite3_column_bytes(st, 4) != 32 || sqlite3_column_int64(st, 3) < 0)
            return false;
        t->height = (uint64_t)sqlite3_column_int64(st, 3);
        memcpy(t->block_hash, sqlite3_column_blob(st, 4), 32);
        t->position = (uint32_t)sqlite3_column_int64(st, 5);
        t->block_time = sqlite3_column_int64(st, 6);
    }
    t->time_seen = sqlite3_column_int64(st, 7);
    int64_t in = sqlite3_column_int64(st, 8), out = sqlite3_column_int64(st, 9),
            fee = sqlite3_column_int64(st, 10);
    if (in < 0 || out < 0 || fee < 0 || !amount_valid((amount_t)in) ||
        !amount_valid((amount_t)out) || !amount_valid((amount_t)fee))
        return false;
    t->in = (amount_t)in;
    t->out = (amount_t)out;
    t->fee = (amount_t)fee;
    t->coinbase = sqlite3_column_int(st, 11) != 0;
    return walletdb_text_col(st, 12, t->category, sizeof t->category) &&
           walletdb_text_col(st, 13, t->address, sizeof t->address) &&
           walletdb_text_col(st, 14, t->counterparty, sizeof t->counterparty);
}

enum wallet_err walletdb_tx_get(struct walletdb *db, const uint8_t txid[32],
                                struct walletdb_tx *out, struct buf *raw, bool *found)
{
    sqlite3_stmt *st =
        walletdb_prepare(db, "SELECT " WALLETDB_TX_COLS ", raw FROM txs WHERE txid=?1");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, txid, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    enum wallet_err r = WALLET_OK;
    *found = false;
    if (rc == SQLITE_ROW) {
        *found = true;
        if (!walletdb_tx_row(st, out)) {
            r = WALLET_ERR_CORRUPT;
        } else if (raw != NULL) {
            int len = sqlite3_column_bytes(st, 15);
            buf_reset(raw);
            if (len > 0 && !buf_append(raw, sqlite3_column_blob(st, 15), (size_t)len))
                r = WALLET_ERR_NOMEM;
        }
    } else if (rc != SQLITE_DONE) {
        r = WALLET_ERR_DB;
    }
    sqlite3_finalize(st);
    return r;
}

static enum wallet_err walletdb_unconfirm(struct walletdb *db, const char *where,
                                          const uint8_t *hash, uint64_t height)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE txs SET height=NULL, block_hash=NULL, position=NULL, block_time=NULL "
             "WHERE %s",
             where);
    sqlite3_stmt *st = walletdb_prepare(db, sql);
    if (st == NULL)
        return WALLET_ERR_DB;
    if (hash != NULL)
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, (int64_t)height);
    return walletdb_done(db, st);
}

enum wallet_err walletdb_tx_unconfirm_block(struct walletdb *db, const uint8_t hash[32])
{
    return walletdb_unconfirm(db, "block_hash=?1", hash, 0);
}

enum wallet_err walletdb_tx_unconfirm_height(struct walletdb *db, uint64_t height,
                                             const uint8_t keep[32])
{
    sqlite3_stmt *st = walletdb_prepare(
        db, "UPDATE txs SET height=NULL, block_hash=NULL, position=NULL, block_time=NULL "
            "WHERE height=?1 AND block_hash IS NOT ?2");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_int64(st, 1, (int64_t)height);
    sqlite3_bind_blob(st, 2, keep, 32, SQLITE_STATIC);
    return walletdb_done(db, st);
}

enum wallet_err walletdb_tx_unconfirm_above(struct walletdb *db, uint64_t height)
{
    return walletdb_unconfirm(db, "height>?1", NULL, height);
}

enum wallet_err walletdb_tx_delete(struct walletdb *db, const uint8_t txid[32])
{
    sqlite3_stmt *st = walletdb_prepare(db, "DELETE FROM txs WHERE txid=?1");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, txid, 32, SQLITE_STATIC);
    return walletdb_done(db, st);
}

enum wallet_err walletdb_tx_for_each(struct walletdb *db, enum walletdb_tx_filter filter,
                                     size_t count, size_t skip, walletdb_tx_fn fn, void *ctx)
{
    const char *sql;
    switch (filter) {
    case WALLETDB_TX_UNCONFIRMED:
        sql = "SELECT " WALLETDB_TX_COLS " FROM txs WHERE height IS NULL ORDER BY seq "
              "LIMIT ?1 OFFSET ?2";
        break;
    case WALLETDB_TX_COINBASE_CONFIRMED:
        sql = "SELECT " WALLETDB_TX_COLS " FROM txs WHERE coinbase=1 AND height IS NOT NULL "
              "ORDER BY height LIMIT ?1 OFFSET ?2";
        break;
    default:
        /* Unconfirmed first (they are the newest), then by place in the chain. */
        sql = "SELECT " WALLETDB_TX_COLS " FROM txs ORDER BY height IS NULL DESC, height DESC, "
              "position DESC, seq DESC LIMIT ?1 OFFSET ?2";
        break;
    }
    sqlite3_stmt *st = walletdb_prepare(db, sql);
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_int64(st, 1, count > INT64_MAX ? INT64_MAX : (int64_t)count);
    sqlite3_bind_int64(st, 2, skip > INT64_MAX ? INT64_MAX : (int64_t)skip);
    enum wallet_err r = WALLET_OK;
    struct walletdb_tx t;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!walletdb_tx_row(st, &t)) {
            r = WALLET_ERR_CORRUPT;
            break;
        }
        if (!fn(ctx, &t))
            break;
    }
    if (r == WALLET_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = WALLET_ERR_DB;
    sqlite3_finalize(st);
    return r;
}

enum wallet_err walletdb_tx_count(struct walletdb *db, uint64_t *out)
{
    char why[256];
    int64_t n;
    if (!sqlitedb_query_int(db->db, "SELECT COUNT(*) FROM txs", &n, why, sizeof why)) {
        LOG_ERROR(LOG_CAT_WALLET, "sqlite: SELECT COUNT(*) FROM txs: %s", why);
        return WALLET_ERR_DB;
    }
    *out = (uint64_t)n;
    return WALLET_OK;
}

/* ---- backup -------------------------------------------------------------- */

/* Moves the finished copy tmp to path unless path appeared meanwhile: a
 * hard link fails on an existing name. Filesystems without hard links
 * (FAT on a USB stick) get a rename after one more look. */
static enum wallet_err walletdb_place_new(const char *tmp, const char *path, char *err,
                                          size_t errlen)
{
    if (link(tmp, path) == 0) {
        unlink(tmp);
        return WALLET_OK;
    }
    int e = errno;
    if (e != EEXIST) {
        struct stat sb;
        if (lstat(path, &sb) == 0)
            e = EEXIST;
        else if (rename(tmp, path) == 0)
            return WALLET_OK;
        else
            e = errno;
    }
    unlink(tmp);
    if (e == EEXIST)
        snprintf(err, errlen, "%s already exists (choose a new name or remove it first)", path);
    else
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
    return WALLET_ERR_BAD_PARAMETER;
}

enum wallet_err walletdb_backup(struct walletdb *db, const char *path, char *err, size_t errlen)
{
    /* A relative path would be relative to wherever the daemon happened to
     * start (often / for a daemon): say where. */
    if (path[0] != '/') {
        snprintf(err, errlen, "the destination must be an absolute path");
        return WALLET_ERR_BAD_PARAMETER;
    }
    /* Never replace a file: not an older backup by mistake, and above all
     * not a live file of the node (this wallet's -wal, another wallet). */
    struct stat sb;
    if (lstat(path, &sb) == 0 || errno != ENOENT) {
        snprintf(err, errlen, "%s already exists (choose a new name or remove it first)", path);
        return WALLET_ERR_BAD_PARAMETER;
    }
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "backup path too long");
        return WALLET_ERR_BAD_PARAMETER;
    }
    /* The copy holds the same secrets as the wallet: only its owner may read
     * it. SQLite would create the file with the umask's mode, so create it
     * first (an empty file is an empty database). */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return WALLET_ERR_BAD_PARAMETER;
    }
    close(fd);
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot create %s: %s", tmp,
                 dst != NULL ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        sqlite3_close(dst);
        unlink(tmp);
        return WALLET_ERR_BAD_PARAMETER;
    }
    sqlite3_backup *bk = sqlite3_backup_init(dst, "main", db->db, "main");
    if (bk == NULL) {
        snprintf(err, errlen, "backup failed: %s", sqlite3_errmsg(dst));
        sqlite3_close(dst);
        unlink(tmp);
        return WALLET_ERR_DB;
    }
    rc = sqlite3_backup_step(bk, -1);
    sqlite3_backup_finish(bk);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "backup failed: %s", sqlite3_errstr(rc));
        sqlite3_close(dst);
        unlink(tmp);
        return WALLET_ERR_DB;
    }
    /* A single self-contained file: no WAL beside the copy. */
    sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    if (sqlite3_close(dst) != SQLITE_OK) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return WALLET_ERR_BAD_PARAMETER;
    }
    return walletdb_place_new(tmp, path, err, errlen);
}
