#include "plugins/chat/chat_store.h"

#include <stdio.h>
#include <string.h>

const char *const chat_store_schema[CHAT_STORE_N_SCHEMA] = {
    "CREATE TABLE IF NOT EXISTS envelopes(id BLOB NOT NULL UNIQUE, sender BLOB NOT NULL, "
    "recipient BLOB NOT NULL, order_id BLOB, timestamp INTEGER NOT NULL, "
    "expires INTEGER NOT NULL, size INTEGER NOT NULL, received INTEGER NOT NULL, "
    "body BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS envelopes_expires ON envelopes(expires, id)",
    "CREATE INDEX IF NOT EXISTS envelopes_recipient ON envelopes(recipient, timestamp)",
    "CREATE TABLE IF NOT EXISTS totals(one INTEGER PRIMARY KEY CHECK (one = 1), "
    "messages INTEGER NOT NULL, bytes INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO totals VALUES (1, 0, 0)",
    "CREATE TRIGGER IF NOT EXISTS envelopes_added AFTER INSERT ON envelopes BEGIN "
    "UPDATE totals SET messages = messages + 1, bytes = bytes + NEW.size; END",
    "CREATE TRIGGER IF NOT EXISTS envelopes_removed AFTER DELETE ON envelopes BEGIN "
    "UPDATE totals SET messages = messages - 1, bytes = bytes - OLD.size; END",
};

static bool fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "chat store: %s: %s", what, sqlite3_errmsg(db));
    return false;
}

bool chat_store_have(sqlite3 *db, const uint8_t id[32])
{
    sqlite3_stmt *st = NULL;
    bool have = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM envelopes WHERE id = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        have = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return have;
}

bool chat_store_get(sqlite3 *db, const uint8_t id[32], struct buf *out, bool *found)
{
    sqlite3_stmt *st = NULL;
    *found = false;
    bool ok = sqlite3_prepare_v2(db, "SELECT body FROM envelopes WHERE id = ?1", -1, &st,
                                 NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *found = true;
            ok = buf_append(out, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
        } else {
            ok = rc == SQLITE_DONE;
        }
    }
    sqlite3_finalize(st);
    return ok;
}

static bool exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

static bool run_int(sqlite3 *db, const char *sql, int64_t a, int64_t *changes)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_int64(st, 1, a);
        ok = sqlite3_step(st) == SQLITE_DONE;
    }
    sqlite3_finalize(st);
    if (ok && changes != NULL)
        *changes = sqlite3_changes(db);
    return ok;
}

static bool total_bytes(sqlite3 *db, int64_t *bytes)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, "SELECT bytes FROM totals WHERE one = 1", -1, &st, NULL) ==
                  SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW;
    if (ok)
        *bytes = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return ok;
}

bool chat_store_add(sqlite3 *db, const uint8_t id[32], const struct envelope *e,
                    const uint8_t *bytes, size_t len, int64_t now, uint64_t max_bytes,
                    bool *added, char *err, size_t errlen)
{
    *added = false;
    if (!exec(db, "BEGIN IMMEDIATE"))
        return fail(db, "begin", err, errlen);
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db,
                                 "INSERT OR IGNORE INTO envelopes(id, sender, recipient, "
                                 "order_id, timestamp, expires, size, received, body) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                 -1, &st, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, e->sender, 32, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, e->recipient, 32, SQLITE_STATIC);
        if (e->has_order)
            sqlite3_bind_blob(st, 4, e->order_id, 32, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 4);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)e->timestamp);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)(e->timestamp + e->ttl));
        sqlite3_bind_int64(st, 7, (sqlite3_int64)len);
        sqlite3_bind_int64(st, 8, now);
        sqlite3_bind_blob(st, 9, bytes, (int)len, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE;
        *added = ok && sqlite3_changes(db) == 1;
    }
    sqlite3_finalize(st);
    ok = ok && run_int(db, "DELETE FROM envelopes WHERE expires < ?1", now, NULL);
    /* Over the cap: the earliest to expire go, one at a time (each is at
     * most 256 KiB, so a few rows free room for the next). */
    int64_t total = 0, gone = 1;
    while (ok && (ok = total_bytes(db, &total)) && (uint64_t)total > max_bytes && gone > 0)
        ok = run_int(db,
                     "DELETE FROM envelopes WHERE rowid IN (SELECT rowid FROM envelopes "
                     "ORDER BY expires, id LIMIT ?1)",
                     1, &gone);
    if (ok && exec(db, "COMMIT"))
        return true;
    bool r = fail(db, "adding an envelope", err, errlen);
    exec(db, "ROLLBACK");
    *added = false;
    return r;
}

bool chat_store_expire(sqlite3 *db, int64_t now, uint64_t *removed, char *err, size_t errlen)
{
    int64_t n = 0;
    if (!run_int(db, "DELETE FROM envelopes WHERE expires < ?1", now, &n))
        return fail(db, "expiring envelopes", err, errlen);
    if (removed != NULL)
        *removed = (uint64_t)n;
    return true;
}

bool chat_store_info(sqlite3 *db, struct chat_store_info *out)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db,
                                 "SELECT messages, bytes, (SELECT COALESCE(MIN(expires), 0) "
                                 "FROM envelopes) FROM totals WHERE one = 1",
                                 -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW;
    if (ok) {
        out->messages = (uint64_t)sqlite3_column_int64(st, 0);
        out->bytes = (uint64_t)sqlite3_column_int64(st, 1);
        out->next_expiry = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return ok;
}

/* Runs "SELECT id[, sender, recipient] ... WHERE id > after AND not
 * expired ORDER BY id LIMIT max" with the cursor bound. */
static sqlite3_stmt *walk_from(sqlite3 *db, const char *sql, const uint8_t *after, int64_t now,
                               size_t max)
{
    sqlite3_stmt *st = NULL;
    static const uint8_t none[1] = {0};
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    /* Any 32-byte id sorts after a 0-length blob. */
    sqlite3_bind_blob(st, 1, after != NULL ? after : none, after != NULL ? 32 : 0,
                      SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
    return st;
}

long chat_store_parties(sqlite3 *db, const uint8_t *after, int64_t now,
                        struct chat_store_parties *rows, size_t max)
{
    sqlite3_stmt *st = walk_from(db,
                                 "SELECT id, sender, recipient FROM envelopes WHERE id > ?1 AND "
                                 "expires >= ?2 ORDER BY id LIMIT ?3",
                                 after, now, max);
    if (st == NULL)
        return -1;
    long n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (sqlite3_column_bytes(st, 0) == 32 && sqlite3_column_bytes(st, 1) == 32 &&
            sqlite3_column_bytes(st, 2) == 32) {
            memcpy(rows[n].id, sqlite3_column_blob(st, 0), 32);
            memcpy(rows[n].sender, sqlite3_column_blob(st, 1), 32);
            memcpy(rows[n].recipient, sqlite3_column_blob(st, 2), 32);
            n++;
        }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}

long chat_store_ids(sqlite3 *db, const uint8_t *after, int64_t now, uint8_t (*ids)[32],
                    size_t max)
{
    sqlite3_stmt *st = walk_from(db,
                                 "SELECT id FROM envelopes WHERE id > ?1 AND expires >= ?2 "
                                 "ORDER BY id LIMIT ?3",
                                 after, now, max);
    if (st == NULL)
        return -1;
    long n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (sqlite3_column_bytes(st, 0) == 32)
            memcpy(ids[n++], sqlite3_column_blob(st, 0), 32);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}
