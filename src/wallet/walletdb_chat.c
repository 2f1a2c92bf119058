#include "wallet/walletdb_chat.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "util/sqlitedb.h"

/* kind is NULL while the message is sealed; body then holds the
 * ciphertext. name is a blob: a sender's name may hold a NUL. */
const char *const walletdb_chat_schema[WALLETDB_CHAT_N_SCHEMA] = {
    "CREATE TABLE chat(id BLOB PRIMARY KEY NOT NULL, seq INTEGER NOT NULL UNIQUE, "
    "own BLOB NOT NULL, counterparty BLOB NOT NULL, order_id BLOB, outgoing INTEGER NOT NULL, "
    "timestamp INTEGER NOT NULL, expires INTEGER NOT NULL, received INTEGER NOT NULL, "
    "kind INTEGER, body BLOB NOT NULL, mime TEXT NOT NULL DEFAULT '', "
    "name BLOB NOT NULL DEFAULT x'', read INTEGER NOT NULL)",
    "CREATE INDEX chat_time ON chat(timestamp, seq)",
    "CREATE INDEX chat_thread ON chat(counterparty, order_id, timestamp)",
};

void walletdb_chat_init(struct walletdb_chat *m)
{
    memset(m, 0, sizeof *m);
    buf_init(&m->body);
}

void walletdb_chat_clear(struct walletdb_chat *m)
{
    buf_clear_secure(&m->body);
    walletdb_chat_init(m);
}

static sqlite3_stmt *prepare(struct walletdb *db, const char *sql)
{
    char why[256];
    sqlite3_stmt *st = sqlitedb_prepare(walletdb_handle(db), sql, why, sizeof why);
    if (st == NULL)
        LOG_ERROR(LOG_CAT_WALLET, "sqlite prepare: %s: %s", sql, why);
    return st;
}

static enum wallet_err done(struct walletdb *db, sqlite3_stmt *st)
{
    char why[256];
    if (sqlitedb_step_done(walletdb_handle(db), st, why, sizeof why))
        return WALLET_OK;
    LOG_ERROR(LOG_CAT_WALLET, "sqlite step: %s", why);
    return WALLET_ERR_DB;
}

static void bind_order(sqlite3_stmt *st, int col, bool has, const uint8_t *order_id)
{
    if (has)
        sqlite3_bind_blob(st, col, order_id, 32, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, col);
}

enum wallet_err walletdb_chat_put(struct walletdb *db, const struct walletdb_chat *m,
                                  bool *added)
{
    *added = false;
    sqlite3_stmt *st = prepare(
        db, "INSERT OR IGNORE INTO chat(id, seq, own, counterparty, order_id, outgoing, "
            "timestamp, expires, received, kind, body, mime, name, read) VALUES(?1, "
            "(SELECT COALESCE(MAX(seq), 0) + 1 FROM chat), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
            "?11, ?12, ?13)");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, m->id, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, m->own, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, m->counterparty, 32, SQLITE_STATIC);
    bind_order(st, 4, m->has_order, m->order_id);
    sqlite3_bind_int(st, 5, m->outgoing ? 1 : 0);
    sqlite3_bind_int64(st, 6, m->timestamp);
    sqlite3_bind_int64(st, 7, m->expires);
    sqlite3_bind_int64(st, 8, m->received);
    if (m->kind == WALLETDB_CHAT_SEALED)
        sqlite3_bind_null(st, 9);
    else
        sqlite3_bind_int(st, 9, m->kind);
    sqlite3_bind_blob(st, 10, m->body.len > 0 ? (const void *)m->body.data : "",
                      (int)m->body.len, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, m->mime, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 12, m->name_len > 0 ? m->name : "", (int)m->name_len, SQLITE_STATIC);
    sqlite3_bind_int(st, 13, m->read ? 1 : 0);
    enum wallet_err r = done(db, st);
    if (r == WALLET_OK)
        *added = sqlite3_changes(walletdb_handle(db)) == 1;
    return r;
}

enum wallet_err walletdb_chat_have(struct walletdb *db, const uint8_t id[32], bool *found)
{
    sqlite3_stmt *st = prepare(db, "SELECT 1 FROM chat WHERE id=?1");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    *found = rc == SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? WALLET_OK : WALLET_ERR_DB;
}

#define CHAT_COLS                                                                              \
    "id, seq, own, counterparty, order_id, outgoing, timestamp, expires, received, kind, "     \
    "length(body), mime, name, read, CASE WHEN ?9 = 2 OR (?9 = 1 AND kind = 0) THEN body END"

static bool blob32(sqlite3_stmt *st, int col, uint8_t out[32])
{
    if (sqlite3_column_bytes(st, col) != 32)
        return false;
    memcpy(out, sqlite3_column_blob(st, col), 32);
    return true;
}

/* The columns' last one is the body: ?9 = 2 every body, 1 only a text's,
 * 0 none. */
/* One row into m (initialized by the caller); false for a damaged row. */
static bool chat_row(sqlite3_stmt *st, bool want_body, struct walletdb_chat *m)
{
    if (!blob32(st, 0, m->id) || !blob32(st, 2, m->own) || !blob32(st, 3, m->counterparty))
        return false;
    m->seq = sqlite3_column_int64(st, 1);
    m->has_order = sqlite3_column_type(st, 4) != SQLITE_NULL;
    if (m->has_order && !blob32(st, 4, m->order_id))
        return false;
    m->outgoing = sqlite3_column_int(st, 5) != 0;
    m->timestamp = sqlite3_column_int64(st, 6);
    m->expires = sqlite3_column_int64(st, 7);
    m->received = sqlite3_column_int64(st, 8);
    if (sqlite3_column_type(st, 9) == SQLITE_NULL) {
        m->kind = WALLETDB_CHAT_SEALED;
    } else {
        int64_t k = sqlite3_column_int64(st, 9);
        if (k != ENVELOPE_KIND_TEXT && k != ENVELOPE_KIND_ATTACHMENT)
            return false;
        m->kind = (int)k;
    }
    int64_t size = sqlite3_column_int64(st, 10);
    const unsigned char *mime = sqlite3_column_text(st, 11);
    int mime_len = sqlite3_column_bytes(st, 11), name_len = sqlite3_column_bytes(st, 12);
    if (size < 0 || mime == NULL || mime_len > ENVELOPE_MIME_MAX || name_len < 0 ||
        name_len > ENVELOPE_NAME_MAX)
        return false;
    m->size = (size_t)size;
    memcpy(m->mime, mime, (size_t)mime_len);
    m->mime[mime_len] = '\0';
    if (name_len > 0)
        memcpy(m->name, sqlite3_column_blob(st, 12), (size_t)name_len);
    m->name[name_len] = '\0';
    m->name_len = (size_t)name_len;
    m->read = sqlite3_column_int(st, 13) != 0;
    if (want_body) {
        int len = sqlite3_column_bytes(st, 14);
        buf_reset(&m->body);
        if (len > 0 && !buf_append(&m->body, sqlite3_column_blob(st, 14), (size_t)len))
            return false;
    }
    return true;
}

enum wallet_err walletdb_chat_get(struct walletdb *db, const uint8_t id[32], bool want_body,
                                  struct walletdb_chat *out, bool *found)
{
    sqlite3_stmt *st = prepare(db, "SELECT " CHAT_COLS " FROM chat WHERE id=?1");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, want_body ? 2 : 0);
    int rc = sqlite3_step(st);
    enum wallet_err r = WALLET_OK;
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW && !chat_row(st, want_body, out))
        r = WALLET_ERR_CORRUPT;
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = WALLET_ERR_DB;
    sqlite3_finalize(st);
    return r;
}

enum wallet_err walletdb_chat_set_open(struct walletdb *db, const uint8_t id[32], int kind,
                                       const void *body, size_t len, const char *mime,
                                       const char *name, size_t name_len)
{
    sqlite3_stmt *st =
        prepare(db, "UPDATE chat SET kind=?2, body=?3, mime=?4, name=?5 WHERE id=?1");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, kind);
    sqlite3_bind_blob(st, 3, len > 0 ? body : "", (int)len, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, mime != NULL ? mime : "", -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, name_len > 0 ? name : "", (int)name_len, SQLITE_STATIC);
    return done(db, st);
}

enum wallet_err walletdb_chat_delete(struct walletdb *db, const uint8_t id[32])
{
    sqlite3_stmt *st = prepare(db, "DELETE FROM chat WHERE id=?1");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    return done(db, st);
}

enum wallet_err walletdb_chat_mark_read(struct walletdb *db, const uint8_t id[32], bool *found)
{
    enum wallet_err r = walletdb_chat_have(db, id, found);
    if (r != WALLET_OK || !*found)
        return r;
    sqlite3_stmt *st = prepare(db, "UPDATE chat SET read=1 WHERE id=?1");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    return done(db, st);
}

enum wallet_err walletdb_chat_for_each(struct walletdb *db, const struct walletdb_chat_filter *f,
                                       size_t count, size_t skip, bool want_body,
                                       walletdb_chat_fn fn, void *ctx)
{
    /* Each condition holds when its parameter is NULL (or 0): one statement
     * serves every combination. */
    sqlite3_stmt *st = prepare(
        db, "SELECT " CHAT_COLS " FROM chat WHERE (?1 IS NULL OR counterparty=?1) AND "
            "(?2 IS NULL OR order_id=?2) AND (NOT ?3 OR order_id IS NULL) AND "
            "(NOT ?4 OR read=0) AND (NOT ?5 OR kind IS NULL) "
            "ORDER BY timestamp DESC, seq DESC LIMIT ?6 OFFSET ?7");
    if (st == NULL)
        return WALLET_ERR_DB;
    if (f != NULL && f->counterparty != NULL)
        sqlite3_bind_blob(st, 1, f->counterparty, 32, SQLITE_STATIC);
    if (f != NULL && f->order_id != NULL)
        sqlite3_bind_blob(st, 2, f->order_id, 32, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, f != NULL && f->no_order);
    sqlite3_bind_int(st, 4, f != NULL && f->unread_only);
    sqlite3_bind_int(st, 5, f != NULL && f->sealed_only);
    sqlite3_bind_int64(st, 6, count > INT64_MAX ? INT64_MAX : (int64_t)count);
    sqlite3_bind_int64(st, 7, skip > INT64_MAX ? INT64_MAX : (int64_t)skip);
    sqlite3_bind_int(st, 9, want_body ? 1 : 0);
    enum wallet_err r = WALLET_OK;
    struct walletdb_chat m;
    walletdb_chat_init(&m);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!chat_row(st, want_body, &m)) {
            r = WALLET_ERR_CORRUPT;
            break;
        }
        bool go_on = fn(ctx, &m);
        walletdb_chat_clear(&m);
        if (!go_on)
            break;
    }
    walletdb_chat_clear(&m);
    if (r == WALLET_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = WALLET_ERR_DB;
    sqlite3_finalize(st);
    return r;
}

enum wallet_err walletdb_chat_threads(struct walletdb *db, walletdb_chat_thread_fn fn, void *ctx)
{
    sqlite3_stmt *st = prepare(
        db, "SELECT own, counterparty, order_id, n, unread, id FROM (SELECT own, "
            "counterparty, order_id, id, timestamp, seq, COUNT(*) OVER w AS n, "
            "SUM(read = 0) OVER w AS unread, ROW_NUMBER() OVER (PARTITION BY own, "
            "counterparty, order_id ORDER BY timestamp DESC, seq DESC) AS pos FROM chat "
            "WINDOW w AS (PARTITION BY own, counterparty, order_id)) WHERE pos = 1 "
            "ORDER BY timestamp DESC, seq DESC");
    if (st == NULL)
        return WALLET_ERR_DB;
    enum wallet_err r = WALLET_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct walletdb_chat_thread t;
        memset(&t, 0, sizeof t);
        t.has_order = sqlite3_column_type(st, 2) != SQLITE_NULL;
        if (!blob32(st, 0, t.own) || !blob32(st, 1, t.counterparty) ||
            (t.has_order && !blob32(st, 2, t.order_id)) || !blob32(st, 5, t.last_id) ||
            sqlite3_column_int64(st, 3) < 1 || sqlite3_column_int64(st, 4) < 0) {
            r = WALLET_ERR_CORRUPT;
            break;
        }
        t.messages = (uint64_t)sqlite3_column_int64(st, 3);
        t.unread = (uint64_t)sqlite3_column_int64(st, 4);
        if (!fn(ctx, &t))
            break;
    }
    if (r == WALLET_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = WALLET_ERR_DB;
    sqlite3_finalize(st);
    return r;
}

enum wallet_err walletdb_chat_last_own(struct walletdb *db, const uint8_t counterparty[32],
                                       const uint8_t *order_id, uint8_t own[32], bool *found)
{
    /* The order's own thread first, then any talk with that key. */
    sqlite3_stmt *st = prepare(db, "SELECT own FROM chat WHERE counterparty=?1 ORDER BY "
                                   "(?2 IS NOT NULL AND order_id IS ?2) DESC, timestamp DESC, "
                                   "seq DESC LIMIT 1");
    if (st == NULL)
        return WALLET_ERR_DB;
    sqlite3_bind_blob(st, 1, counterparty, 32, SQLITE_STATIC);
    if (order_id != NULL)
        sqlite3_bind_blob(st, 2, order_id, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    enum wallet_err r = WALLET_OK;
    *found = false;
    if (rc == SQLITE_ROW) {
        *found = true;
        if (!blob32(st, 0, own))
            r = WALLET_ERR_CORRUPT;
    } else if (rc != SQLITE_DONE) {
        r = WALLET_ERR_DB;
    }
    sqlite3_finalize(st);
    return r;
}
