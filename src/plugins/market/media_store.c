#include "plugins/market/media_store.h"

#include <stdio.h>
#include <string.h>

const char *const media_store_schema[MEDIA_STORE_N_SCHEMA] = {
    /* body last: reading the other columns never touches its overflow pages. */
    "CREATE TABLE blobs(k INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, mime TEXT NOT NULL, "
    "size INTEGER NOT NULL, local INTEGER NOT NULL, named INTEGER NOT NULL, "
    "since INTEGER NOT NULL, body BLOB NOT NULL)",
    "CREATE INDEX blobs_unnamed ON blobs(named, since)",
    "CREATE TABLE wanted(id BLOB PRIMARY KEY NOT NULL, since INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE totals(one INTEGER PRIMARY KEY CHECK (one = 1), blobs INTEGER NOT NULL, "
    "bytes INTEGER NOT NULL, named INTEGER NOT NULL)",
    "INSERT INTO totals VALUES (1, 0, 0, 0)",
    "CREATE TRIGGER blobs_added AFTER INSERT ON blobs BEGIN UPDATE totals SET "
    "blobs = blobs + 1, bytes = bytes + NEW.size, named = named + NEW.named; END",
    "CREATE TRIGGER blobs_removed AFTER DELETE ON blobs BEGIN UPDATE totals SET "
    "blobs = blobs - 1, bytes = bytes - OLD.size, named = named - OLD.named; END",
    "CREATE TRIGGER blobs_renamed AFTER UPDATE OF named ON blobs BEGIN UPDATE totals SET "
    "named = named - OLD.named + NEW.named; END",
};

static bool fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "media store: %s: %s", what, sqlite3_errmsg(db));
    return false;
}

static bool exists(sqlite3 *db, const char *sql, const uint8_t id[32])
{
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

bool media_store_have(sqlite3 *db, const uint8_t id[32])
{
    return exists(db, "SELECT 1 FROM blobs WHERE id = ?1", id);
}

bool media_store_wanted(sqlite3 *db, const uint8_t id[32])
{
    return exists(db, "SELECT 1 FROM wanted WHERE id = ?1", id);
}

bool media_store_get(sqlite3 *db, const uint8_t id[32], bool named_only, struct buf *out,
                     struct media_store_row *row, bool *found)
{
    sqlite3_stmt *st = NULL;
    *found = false;
    bool ok = sqlite3_prepare_v2(db,
                                 "SELECT mime, named, local, since, body FROM blobs WHERE id = ?1",
                                 -1, &st, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && (!named_only || sqlite3_column_int(st, 1) != 0)) {
            *found = true;
            if (row != NULL) {
                snprintf(row->mime, sizeof row->mime, "%s",
                         (const char *)sqlite3_column_text(st, 0));
                row->named = sqlite3_column_int(st, 1) != 0;
                row->local = sqlite3_column_int(st, 2) != 0;
                row->since = sqlite3_column_int64(st, 3);
            }
            ok = out == NULL ||
                 buf_append(out, sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4));
        } else {
            ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
        }
    }
    sqlite3_finalize(st);
    return ok;
}

static bool run(sqlite3 *db, const char *sql, const uint8_t *id, int64_t n, char *err,
                size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(db, sql, err, errlen);
    if (id != NULL)
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, n);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || fail(db, "write", err, errlen);
}

static bool query_u64(sqlite3 *db, const char *sql, uint64_t *out)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW;
    if (ok)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return ok;
}

/* Deletes unnamed blobs, oldest first, until `need` more bytes fit under
 * max; false in *fits (nothing deleted) when even all of them would not
 * make room. */
static bool make_room(sqlite3 *db, uint64_t need, uint64_t max, bool *fits, char *err,
                      size_t errlen)
{
    uint64_t bytes = 0, unnamed = 0;
    if (!query_u64(db, "SELECT bytes FROM totals", &bytes) ||
        !query_u64(db, "SELECT coalesce(sum(size), 0) FROM blobs WHERE named = 0", &unnamed))
        return fail(db, "totals", err, errlen);
    *fits = need <= max && bytes - unnamed <= max - need;
    if (!*fits || bytes + need <= max)
        return true;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT k, size FROM blobs WHERE named = 0 ORDER BY since, k",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(db, "select", err, errlen);
    int64_t last = -1;
    int rc;
    while (bytes + need > max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        last = sqlite3_column_int64(st, 0);
        bytes -= (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (last < 0)
        return fail(db, "select", err, errlen);
    /* Every unnamed row up to `last` in that order goes. */
    if (sqlite3_prepare_v2(db,
                           "DELETE FROM blobs WHERE named = 0 AND (since, k) <= "
                           "(SELECT since, k FROM blobs WHERE k = ?2)",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(db, "delete", err, errlen);
    sqlite3_bind_int64(st, 2, last);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || fail(db, "delete", err, errlen);
}

bool media_store_add(sqlite3 *db, const uint8_t id[32], const char *mime, const uint8_t *encoded,
                     size_t len, bool local, int64_t now, uint64_t max_bytes,
                     enum media_store_add *res, char *err, size_t errlen)
{
    *res = MEDIA_STORE_EXISTS;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, "begin", err, errlen);
    bool ok = true, fits = true;
    if (!media_store_have(db, id)) {
        bool named = media_store_wanted(db, id);
        ok = make_room(db, len, max_bytes, &fits, err, errlen);
        if (ok && fits) {
            sqlite3_stmt *st = NULL;
            ok = sqlite3_prepare_v2(db,
                                    "INSERT INTO blobs(id, mime, size, local, named, since, body) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                    -1, &st, NULL) == SQLITE_OK;
            if (ok) {
                sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, mime, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 3, (sqlite3_int64)len);
                sqlite3_bind_int(st, 4, local ? 1 : 0);
                sqlite3_bind_int(st, 5, named ? 1 : 0);
                sqlite3_bind_int64(st, 6, now);
                sqlite3_bind_blob(st, 7, encoded, (int)len, SQLITE_STATIC);
                ok = sqlite3_step(st) == SQLITE_DONE;
            }
            sqlite3_finalize(st);
            if (!ok)
                fail(db, "insert", err, errlen);
            ok = ok && run(db, "DELETE FROM wanted WHERE id = ?1", id, 0, err, errlen);
            *res = MEDIA_STORE_ADDED;
        } else if (ok) {
            *res = MEDIA_STORE_FULL;
        }
    } else if (local) {
        ok = run(db, "UPDATE blobs SET local = 1 WHERE id = ?1", id, 0, err, errlen);
    }
    if (ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return true;
    if (ok)
        fail(db, "commit", err, errlen);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    *res = MEDIA_STORE_EXISTS;
    return false;
}

bool media_store_set_named(sqlite3 *db, const uint8_t id[32], bool named, int64_t now,
                           bool *changed, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "UPDATE blobs SET named = ?3, since = ?2 WHERE id = ?1 AND named != ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(db, "update", err, errlen);
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int(st, 3, named ? 1 : 0);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(db, "update", err, errlen);
    if (changed != NULL)
        *changed = sqlite3_changes(db) > 0;
    return true;
}

bool media_store_want(sqlite3 *db, const uint8_t id[32], int64_t now, char *err, size_t errlen)
{
    return run(db, "INSERT OR IGNORE INTO wanted VALUES (?1, ?2)", id, now, err, errlen);
}

bool media_store_unwant(sqlite3 *db, const uint8_t id[32], char *err, size_t errlen)
{
    return run(db, "DELETE FROM wanted WHERE id = ?1", id, 0, err, errlen);
}

bool media_store_info(sqlite3 *db, struct media_store_info *out)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db,
                                 "SELECT blobs, bytes, named, (SELECT count(*) FROM wanted) "
                                 "FROM totals",
                                 -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW;
    if (ok) {
        out->blobs = (uint64_t)sqlite3_column_int64(st, 0);
        out->bytes = (uint64_t)sqlite3_column_int64(st, 1);
        out->named = (uint64_t)sqlite3_column_int64(st, 2);
        out->wanted = (uint64_t)sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return ok;
}

long media_store_ids(sqlite3 *db, bool wanted, const uint8_t *after, uint8_t (*ids)[32],
                     size_t max)
{
    static const char *const sql[2][2] = {
        {"SELECT id FROM blobs WHERE named = 1 ORDER BY id LIMIT ?2",
         "SELECT id FROM blobs WHERE named = 1 AND id > ?1 ORDER BY id LIMIT ?2"},
        {"SELECT id FROM wanted ORDER BY id LIMIT ?2",
         "SELECT id FROM wanted WHERE id > ?1 ORDER BY id LIMIT ?2"},
    };
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql[wanted][after != NULL], -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (after != NULL)
        sqlite3_bind_blob(st, 1, after, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    long n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) == 32)
            memcpy(ids[n++], sqlite3_column_blob(st, 0), 32);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}

/* ---- sweep ------------------------------------------------------------------- */

#define SWEEP_BATCH 256

struct sweep_row {
    uint8_t id[32];
    bool named;
    int64_t since;
};

static long blob_batch(sqlite3 *db, const uint8_t *after, struct sweep_row *rows)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           after == NULL
                               ? "SELECT id, named, since FROM blobs ORDER BY id LIMIT ?2"
                               : "SELECT id, named, since FROM blobs WHERE id > ?1 ORDER BY id "
                                 "LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (after != NULL)
        sqlite3_bind_blob(st, 1, after, 32, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, SWEEP_BATCH);
    long n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != 32)
            continue;
        memcpy(rows[n].id, sqlite3_column_blob(st, 0), 32);
        rows[n].named = sqlite3_column_int(st, 1) != 0;
        rows[n].since = sqlite3_column_int64(st, 2);
        n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}

static bool sweep_blobs(sqlite3 *db, media_store_named_fn named, void *ctx, int64_t now,
                        int64_t keep_secs, struct media_store_sweep *out, char *err,
                        size_t errlen)
{
    struct sweep_row rows[SWEEP_BATCH];
    uint8_t cursor[32];
    bool first = true;
    for (;;) {
        long n = blob_batch(db, first ? NULL : cursor, rows);
        if (n < 0)
            return fail(db, "select", err, errlen);
        for (long i = 0; i < n; i++) {
            int now_named = named(ctx, rows[i].id);
            if (now_named < 0) {
                snprintf(err, errlen, "media store: the listings could not be read");
                return false;
            }
            if (now_named && !rows[i].named) {
                if (!media_store_set_named(db, rows[i].id, true, now, NULL, err, errlen))
                    return false;
                if (out->n_named_ids < out->max_out && out->named_ids != NULL)
                    memcpy(out->named_ids[out->n_named_ids++], rows[i].id, 32);
                out->renamed++;
            } else if (!now_named && rows[i].named) {
                if (!media_store_set_named(db, rows[i].id, false, now, NULL, err, errlen))
                    return false;
                out->unnamed++;
            } else if (!now_named && now - rows[i].since >= keep_secs) {
                if (!run(db, "DELETE FROM blobs WHERE id = ?1", rows[i].id, 0, err, errlen))
                    return false;
                out->dropped++;
            }
        }
        if (n < SWEEP_BATCH)
            return true;
        memcpy(cursor, rows[n - 1].id, 32);
        first = false;
    }
}

static bool sweep_wanted(sqlite3 *db, media_store_named_fn named, void *ctx,
                         struct media_store_sweep *out, char *err, size_t errlen)
{
    uint8_t ids[SWEEP_BATCH][32], cursor[32];
    bool first = true;
    for (;;) {
        long n = media_store_ids(db, true, first ? NULL : cursor, ids, SWEEP_BATCH);
        if (n < 0)
            return fail(db, "select", err, errlen);
        for (long i = 0; i < n; i++) {
            int now_named = named(ctx, ids[i]);
            if (now_named < 0) {
                snprintf(err, errlen, "media store: the listings could not be read");
                return false;
            }
            if (!now_named || media_store_have(db, ids[i])) {
                if (!media_store_unwant(db, ids[i], err, errlen))
                    return false;
                out->unwanted += !now_named;
            } else if (out->n_want_ids < out->max_out && out->want_ids != NULL) {
                memcpy(out->want_ids[out->n_want_ids++], ids[i], 32);
            }
        }
        if (n < SWEEP_BATCH)
            return true;
        memcpy(cursor, ids[n - 1], 32);
        first = false;
    }
}

bool media_store_sweep(sqlite3 *db, media_store_named_fn named, void *ctx, int64_t now,
                       int64_t keep_secs, struct media_store_sweep *out, char *err,
                       size_t errlen)
{
    out->renamed = out->unnamed = out->dropped = out->unwanted = 0;
    out->n_named_ids = out->n_want_ids = 0;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, "begin", err, errlen);
    bool ok = sweep_blobs(db, named, ctx, now, keep_secs, out, err, errlen) &&
              sweep_wanted(db, named, ctx, out, err, errlen);
    if (ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return true;
    if (ok)
        fail(db, "commit", err, errlen);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return false;
}
