#include "plugins/market/market_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/tx.h"
#include "consensus/txtype.h"
#include "plugins/market/market.h"
#include "plugins/market/market_rank.h"
#include "plugins/market/market_state.h"

enum { LOG_CREATE = 0, LOG_UPDATE = 1, LOG_CLOSE = 2 };

const char *const market_index_schema[MARKET_INDEX_N_SCHEMA] = {
    /* One row per listing_create / listing_update / listing_close. */
    "CREATE TABLE listing_log(height INTEGER NOT NULL, pos INTEGER NOT NULL, id BLOB NOT NULL, "
    "kind INTEGER NOT NULL, seller BLOB NOT NULL, title TEXT, description TEXT, category TEXT, "
    "price INTEGER, quantity INTEGER, expires INTEGER, PRIMARY KEY(height, pos))",
    "CREATE INDEX listing_log_id ON listing_log(id, height, pos)",
    "CREATE TABLE profile_log(height INTEGER NOT NULL, pos INTEGER NOT NULL, "
    "pubkey BLOB NOT NULL, name TEXT NOT NULL, PRIMARY KEY(height, pos))",
    "CREATE INDEX profile_log_key ON profile_log(pubkey, height, pos)",
    /* What the log adds up to, one row per listing. */
    "CREATE TABLE listings(k INTEGER PRIMARY KEY, id BLOB UNIQUE NOT NULL, seller BLOB NOT NULL, "
    "title TEXT NOT NULL, description TEXT NOT NULL, category TEXT NOT NULL, "
    "price INTEGER NOT NULL, quantity INTEGER NOT NULL, expires INTEGER NOT NULL, "
    "closed INTEGER NOT NULL, height INTEGER NOT NULL)",
    "CREATE INDEX listings_seller ON listings(seller, k)",
    "CREATE INDEX listings_category ON listings(category, k)",
    /* The listings not closed; rowid = listings.k. */
    "CREATE VIRTUAL TABLE listing_fts USING fts5(title, description, category, seller_name, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TABLE order_parties(id BLOB PRIMARY KEY NOT NULL, height INTEGER NOT NULL, "
    "buyer BLOB NOT NULL, seller BLOB NOT NULL, arbiter BLOB) WITHOUT ROWID",
    "CREATE TABLE order_events(height INTEGER NOT NULL, pos INTEGER NOT NULL, "
    "order_id BLOB NOT NULL, txid BLOB NOT NULL, type INTEGER NOT NULL, sender BLOB NOT NULL, "
    "PRIMARY KEY(height, pos))",
    "CREATE INDEX order_events_order ON order_events(order_id, height, pos)",
    /* The photos each listing names, for the media store's keep-or-drop. */
    "CREATE TABLE listing_media(media BLOB NOT NULL, listing BLOB NOT NULL, "
    "height INTEGER NOT NULL, PRIMARY KEY(media, listing)) WITHOUT ROWID",
    "CREATE INDEX listing_media_height ON listing_media(height)",
};

static bool sql_fail(sqlite3 *db, char *err, size_t errlen)
{
    snprintf(err, errlen, "market index: %s", sqlite3_errmsg(db));
    return false;
}

static bool prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK)
        return true;
    *st = NULL;
    return sql_fail(db, err, errlen);
}

static void bind_text(sqlite3_stmt *st, int i, const struct txvalue *v)
{
    sqlite3_bind_text(st, i, v->len > 0 ? (const char *)v->p : "", (int)v->len,
                      SQLITE_TRANSIENT);
}

/* ---- recomputing a listing from its log -------------------------------------- */

bool market_index_profile_name(sqlite3 *db, const uint8_t pubkey[32], char *out, size_t outlen)
{
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM profile_log WHERE pubkey = ?1 "
                           "ORDER BY height DESC, pos DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_blob(st, 1, pubkey, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* Folds the log of listing `id` into its listings row and its FTS row,
 * which exists while the listing takes orders in the block after `tip`
 * (not closed, not expired). */
static bool recompute_listing(sqlite3 *db, const uint8_t id[32], uint64_t tip, char *err,
                              size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (!prepare(db,
                 "SELECT kind, seller, title, description, category, price, quantity, expires, "
                 "height FROM listing_log WHERE id = ?1 ORDER BY height, pos",
                 &st, err, errlen))
        return false;
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    /* The texts are copied out: the statement's buffers change per row. */
    char title[MARKET_TITLE_MAX + 1] = "", description[MARKET_DESCRIPTION_MAX + 1] = "",
         category[MARKET_CATEGORY_MAX + 1] = "";
    uint8_t seller[32] = {0};
    int64_t price = 0, quantity = 0, expires = 0, height = 0;
    bool any = false, closed = false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int kind = sqlite3_column_int(st, 0);
        if (kind == LOG_CLOSE) {
            closed = true;
            continue;
        }
        if (kind == LOG_CREATE) {
            any = true;
            if (sqlite3_column_bytes(st, 1) == 32)
                memcpy(seller, sqlite3_column_blob(st, 1), 32);
            expires = sqlite3_column_int64(st, 7);
            height = sqlite3_column_int64(st, 8);
        }
        snprintf(title, sizeof title, "%s", (const char *)sqlite3_column_text(st, 2));
        snprintf(description, sizeof description, "%s", (const char *)sqlite3_column_text(st, 3));
        snprintf(category, sizeof category, "%s", (const char *)sqlite3_column_text(st, 4));
        price = sqlite3_column_int64(st, 5);
        quantity = sqlite3_column_int64(st, 6);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sql_fail(db, err, errlen);

    /* The old FTS row goes in every case: it is put back below when the
     * listing is still open. */
    if (!prepare(db,
                 "DELETE FROM listing_fts WHERE rowid = (SELECT k FROM listings WHERE id = ?1)",
                 &st, err, errlen))
        return false;
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sql_fail(db, err, errlen);

    if (!any) {
        if (!prepare(db, "DELETE FROM listings WHERE id = ?1", &st, err, errlen))
            return false;
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE || sql_fail(db, err, errlen);
    }

    if (!prepare(db,
                 "INSERT INTO listings(id, seller, title, description, category, price, quantity, "
                 "expires, closed, height) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                 "ON CONFLICT(id) DO UPDATE SET title = ?3, description = ?4, category = ?5, "
                 "price = ?6, quantity = ?7, expires = ?8, closed = ?9",
                 &st, err, errlen))
        return false;
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, seller, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, description, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, price);
    sqlite3_bind_int64(st, 7, quantity);
    sqlite3_bind_int64(st, 8, expires);
    sqlite3_bind_int(st, 9, closed ? 1 : 0);
    sqlite3_bind_int64(st, 10, height);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sql_fail(db, err, errlen);
    if (closed || (expires != 0 && (uint64_t)expires <= tip))
        return true;

    char name[MARKET_NAME_MAX + 1];
    if (!market_index_profile_name(db, seller, name, sizeof name))
        return sql_fail(db, err, errlen);
    if (!prepare(db,
                 "INSERT INTO listing_fts(rowid, title, description, category, seller_name) "
                 "SELECT k, title, description, category, ?2 FROM listings WHERE id = ?1",
                 &st, err, errlen))
        return false;
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || sql_fail(db, err, errlen);
}

/* A seller's name changed: their listings' FTS rows carry the new one. */
static bool recompute_seller(sqlite3 *db, const uint8_t seller[32], uint64_t tip, char *err,
                             size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (!prepare(db, "SELECT id FROM listings WHERE seller = ?1 AND closed = 0", &st, err,
                 errlen))
        return false;
    sqlite3_bind_blob(st, 1, seller, 32, SQLITE_STATIC);
    /* Collected first: recomputing rewrites the rows being read. */
    uint8_t(*ids)[32] = NULL;
    size_t n = 0, cap = 0;
    int rc;
    bool ok = true;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            uint8_t(*grown)[32] = realloc(ids, ncap * 32);
            if (grown == NULL) {
                ok = false;
                snprintf(err, errlen, "market index: out of memory");
                break;
            }
            ids = grown;
            cap = ncap;
        }
        memcpy(ids[n++], sqlite3_column_blob(st, 0), 32);
    }
    sqlite3_finalize(st);
    if (ok && rc != SQLITE_DONE)
        ok = sql_fail(db, err, errlen);
    for (size_t i = 0; ok && i < n; i++)
        ok = recompute_listing(db, ids[i], tip, err, errlen);
    free(ids);
    return ok;
}

/* ---- blocks ------------------------------------------------------------------ */

/* The ids a block touched, to recompute once each. */
struct touched {
    uint8_t (*listings)[32];
    size_t n_listings, cap_listings;
    uint8_t (*sellers)[32];
    size_t n_sellers, cap_sellers;
};

static bool touch(uint8_t (**arr)[32], size_t *n, size_t *cap, const uint8_t id[32])
{
    for (size_t i = 0; i < *n; i++)
        if (memcmp((*arr)[i], id, 32) == 0)
            return true;
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        uint8_t(*grown)[32] = realloc(*arr, ncap * 32);
        if (grown == NULL)
            return false;
        *arr = grown;
        *cap = ncap;
    }
    memcpy((*arr)[(*n)++], id, 32);
    return true;
}

static bool is_market_type(uint64_t t)
{
    return t >= MARKET_TYPE_PROFILE_SET && t <= MARKET_TYPE_ORDER_RESOLVE;
}

/* Adds one market tx's rows to the log. */
static bool log_tx(sqlite3 *db, const struct tx *tx, const struct txpayload *p, uint64_t height,
                   size_t pos, struct touched *t, char *err, size_t errlen)
{
    uint8_t txid[32];
    tx_txid(tx, txid);
    sqlite3_stmt *st = NULL;
    int rc = SQLITE_DONE;
    bool mem = true;
    switch (tx->type) {
    case MARKET_TYPE_PROFILE_SET:
        if (!prepare(db, "INSERT INTO profile_log VALUES(?1, ?2, ?3, ?4)", &st, err, errlen))
            return false;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)height);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)pos);
        sqlite3_bind_blob(st, 3, tx->sender, 32, SQLITE_STATIC);
        bind_text(st, 4, &p->v[0]);
        rc = sqlite3_step(st);
        mem = touch(&t->sellers, &t->n_sellers, &t->cap_sellers, tx->sender);
        break;
    case MARKET_TYPE_LISTING_CREATE:
    case MARKET_TYPE_LISTING_UPDATE:
    case MARKET_TYPE_LISTING_CLOSE: {
        if (!prepare(db,
                     "INSERT INTO listing_log VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                     "?11)",
                     &st, err, errlen))
            return false;
        const uint8_t *id = tx->type == MARKET_TYPE_LISTING_CREATE ? txid : p->v[0].p;
        /* An update's fields follow its listing_id. */
        const struct txvalue *f = tx->type == MARKET_TYPE_LISTING_CREATE ? &p->v[0] : &p->v[1];
        int kind = tx->type == MARKET_TYPE_LISTING_CREATE   ? LOG_CREATE
                   : tx->type == MARKET_TYPE_LISTING_UPDATE ? LOG_UPDATE
                                                            : LOG_CLOSE;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)height);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)pos);
        sqlite3_bind_blob(st, 3, id, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 4, kind);
        sqlite3_bind_blob(st, 5, tx->sender, 32, SQLITE_STATIC);
        if (kind != LOG_CLOSE) {
            bind_text(st, 6, &f[0]);
            bind_text(st, 7, &f[1]);
            bind_text(st, 8, &f[2]);
            sqlite3_bind_int64(st, 9, (sqlite3_int64)f[3].u);
            sqlite3_bind_int64(st, 10, (sqlite3_int64)f[4].u);
        }
        sqlite3_bind_int64(st, 11, kind == LOG_CREATE ? (sqlite3_int64)p->v[6].u : 0);
        rc = sqlite3_step(st);
        mem = touch(&t->listings, &t->n_listings, &t->cap_listings, id);
        if (rc == SQLITE_DONE && kind == LOG_CREATE && p->v[5].len > 0) {
            sqlite3_finalize(st);
            st = NULL;
            if (!prepare(db, "INSERT OR IGNORE INTO listing_media VALUES(?1, ?2, ?3)", &st, err,
                         errlen))
                return false;
            for (size_t k = 0; rc == SQLITE_DONE && k < p->v[5].len; k++) {
                sqlite3_reset(st);
                sqlite3_bind_blob(st, 1, p->v[5].p + 32 * k, 32, SQLITE_STATIC);
                sqlite3_bind_blob(st, 2, id, 32, SQLITE_TRANSIENT);
                sqlite3_bind_int64(st, 3, (sqlite3_int64)height);
                rc = sqlite3_step(st);
            }
        }
        break;
    }
    default: {
        /* Orders: who the parties are (for listorders) and every step. */
        const uint8_t *order_id = tx->type == MARKET_TYPE_ORDER_PLACE ? txid : p->v[0].p;
        if (tx->type == MARKET_TYPE_ORDER_PLACE) {
            if (!prepare(db,
                         "INSERT OR REPLACE INTO order_parties SELECT ?1, ?2, ?3, seller, ?5 "
                         "FROM listing_log WHERE id = ?4 AND kind = 0",
                         &st, err, errlen))
                return false;
            sqlite3_bind_blob(st, 1, txid, 32, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, (sqlite3_int64)height);
            sqlite3_bind_blob(st, 3, tx->sender, 32, SQLITE_STATIC);
            sqlite3_bind_blob(st, 4, p->v[0].p, 32, SQLITE_STATIC);
            if (p->v[3].len == 32)
                sqlite3_bind_blob(st, 5, p->v[3].p, 32, SQLITE_STATIC);
            rc = sqlite3_step(st);
            sqlite3_finalize(st);
            st = NULL;
            if (rc != SQLITE_DONE)
                return sql_fail(db, err, errlen);
        }
        if (!prepare(db, "INSERT INTO order_events VALUES(?1, ?2, ?3, ?4, ?5, ?6)", &st, err,
                     errlen))
            return false;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)height);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)pos);
        sqlite3_bind_blob(st, 3, order_id, 32, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, txid, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)tx->type);
        sqlite3_bind_blob(st, 6, tx->sender, 32, SQLITE_STATIC);
        rc = sqlite3_step(st);
        break;
    }
    }
    sqlite3_finalize(st);
    if (!mem) {
        snprintf(err, errlen, "market index: out of memory");
        return false;
    }
    return rc == SQLITE_DONE || sql_fail(db, err, errlen);
}

/* Collects what a block's log rows touched before they are deleted (logs
 * true), and the listings whose expiry is that height: the block at it is
 * the last that can order them. */
static bool touched_at(sqlite3 *db, uint64_t height, bool logs, struct touched *t, char *err,
                       size_t errlen)
{
    static const char *const sql[3] = {
        "SELECT id FROM listing_log WHERE height = ?1",
        "SELECT pubkey FROM profile_log WHERE height = ?1",
        "SELECT id FROM listings WHERE expires = ?1 AND closed = 0",
    };
    for (int i = logs ? 0 : 2; i < 3; i++) {
        sqlite3_stmt *st = NULL;
        if (!prepare(db, sql[i], &st, err, errlen))
            return false;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)height);
        int rc;
        bool mem = true;
        while (mem && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const uint8_t *id = sqlite3_column_blob(st, 0);
            mem = i != 1 ? touch(&t->listings, &t->n_listings, &t->cap_listings, id)
                         : touch(&t->sellers, &t->n_sellers, &t->cap_sellers, id);
        }
        sqlite3_finalize(st);
        if (!mem) {
            snprintf(err, errlen, "market index: out of memory");
            return false;
        }
        if (rc != SQLITE_DONE)
            return sql_fail(db, err, errlen);
    }
    return true;
}

static bool exec(sqlite3 *db, const char *sql, uint64_t height, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (!prepare(db, sql, &st, err, errlen))
        return false;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)height);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || sql_fail(db, err, errlen);
}

bool market_index_block(sqlite3 *db, const struct block *block, uint64_t height, bool connect,
                        char *err, size_t errlen)
{
    struct touched t;
    memset(&t, 0, sizeof t);
    bool ok = true;
    if (connect) {
        for (size_t i = 0; ok && i < block->tx_count; i++) {
            const struct tx *tx = &block->txs[i];
            if (!is_market_type(tx->type))
                continue;
            const struct txtype_def *def = txtype_find(tx->type);
            if (def == NULL) {
                snprintf(err, errlen, "market index: the market types are not registered");
                ok = false;
                break;
            }
            struct txpayload p;
            txpayload_init(&p);
            size_t len;
            const uint8_t *bytes = tx_payload_bytes(tx, &len);
            /* Blocks of the active chain are valid: a payload that does
             * not decode here means a damaged block file. */
            if (txpayload_decode(def->fields, def->n_fields, bytes, len, &p, NULL, NULL) !=
                TXERR_OK) {
                snprintf(err, errlen, "market index: a market tx of block %llu does not decode",
                         (unsigned long long)height);
                ok = false;
            } else {
                ok = log_tx(db, tx, &p, height, i, &t, err, errlen);
            }
            txpayload_clear(&p);
        }
        ok = ok && touched_at(db, height, false, &t, err, errlen);
    } else {
        ok = touched_at(db, height, true, &t, err, errlen) &&
             exec(db, "DELETE FROM listing_log WHERE height = ?1", height, err, errlen) &&
             exec(db, "DELETE FROM profile_log WHERE height = ?1", height, err, errlen) &&
             exec(db, "DELETE FROM order_parties WHERE height = ?1", height, err, errlen) &&
             exec(db, "DELETE FROM order_events WHERE height = ?1", height, err, errlen) &&
             exec(db, "DELETE FROM listing_media WHERE height = ?1", height, err, errlen);
    }
    /* The height the index stands at once this block is done. */
    uint64_t tip = connect ? height : height - 1;
    for (size_t i = 0; ok && i < t.n_listings; i++)
        ok = recompute_listing(db, t.listings[i], tip, err, errlen);
    for (size_t i = 0; ok && i < t.n_sellers; i++)
        ok = recompute_seller(db, t.sellers[i], tip, err, errlen);
    free(t.listings);
    free(t.sellers);
    return ok;
}

bool market_index_clear(sqlite3 *db, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db,
                     "DELETE FROM listing_log; DELETE FROM profile_log; DELETE FROM listings; "
                     "DELETE FROM listing_fts; DELETE FROM order_parties; "
                     "DELETE FROM order_events; DELETE FROM listing_media",
                     NULL, NULL, &msg) == SQLITE_OK)
        return true;
    snprintf(err, errlen, "market index: %s", msg != NULL ? msg : "reset failed");
    sqlite3_free(msg);
    return false;
}

bool market_index_connect(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                          size_t errlen)
{
    return market_index_block(pc->db, b->block, b->height, true, err, errlen);
}

bool market_index_disconnect(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                             size_t errlen)
{
    return market_index_block(pc->db, b->block, b->height, false, err, errlen);
}

bool market_index_reset(struct plugin_ctx *pc, char *err, size_t errlen)
{
    return market_index_clear(pc->db, err, errlen);
}

/* ---- queries ----------------------------------------------------------------- */

int market_index_media_named(sqlite3 *db, const uint8_t media[32], uint64_t tip)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM listing_media m JOIN listings l ON l.id = m.listing "
                           "WHERE m.media = ?1 AND l.closed = 0 AND (l.expires = 0 OR "
                           "l.expires > ?2) LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_blob(st, 1, media, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)tip);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

bool market_index_media_at(sqlite3 *db, uint64_t height, uint8_t (**out)[32], size_t *n,
                           char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    sqlite3_stmt *st = NULL;
    if (!prepare(db, "SELECT DISTINCT media FROM listing_media WHERE height = ?1", &st, err,
                 errlen))
        return false;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)height);
    int rc = SQLITE_DONE;
    bool mem = true;
    while (mem && (rc = sqlite3_step(st)) == SQLITE_ROW)
        mem = touch(out, n, &cap, sqlite3_column_blob(st, 0));
    sqlite3_finalize(st);
    if (mem && rc == SQLITE_DONE)
        return true;
    free(*out);
    *out = NULL;
    *n = 0;
    if (!mem)
        snprintf(err, errlen, "market index: out of memory");
    return mem ? sql_fail(db, err, errlen) : false;
}

bool market_index_fts_query(const char *text, char *out, size_t outlen)
{
    size_t o = 0;
    bool any = false;
    const unsigned char *s = (const unsigned char *)(text != NULL ? text : "");
    while (*s != '\0') {
        while (*s != '\0' && *s < 0x80 && !((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
                                            (*s >= 'A' && *s <= 'Z')))
            s++;
        if (*s == '\0')
            break;
        const unsigned char *w = s;
        while (*s != '\0' && (*s >= 0x80 || (*s >= '0' && *s <= '9') ||
                              (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            s++;
        size_t wl = (size_t)(s - w);
        /* `"word" ` — the word holds no quote, so no escaping is needed. */
        if (o + wl + 4 > outlen)
            return false;
        if (any)
            out[o++] = ' ';
        out[o++] = '"';
        memcpy(out + o, w, wl);
        o += wl;
        out[o++] = '"';
        any = true;
    }
    if (outlen == 0)
        return false;
    out[o] = '\0';
    return any;
}

static void listing_from_row(sqlite3_stmt *st, struct market_index_listing *l, bool ranked)
{
    memset(l, 0, sizeof *l);
    if (sqlite3_column_bytes(st, 0) == 32)
        memcpy(l->id, sqlite3_column_blob(st, 0), 32);
    if (sqlite3_column_bytes(st, 1) == 32)
        memcpy(l->seller, sqlite3_column_blob(st, 1), 32);
    l->price = (amount_t)sqlite3_column_int64(st, 2);
    l->quantity = (uint64_t)sqlite3_column_int64(st, 3);
    l->expires_at_height = (uint64_t)sqlite3_column_int64(st, 4);
    l->closed = sqlite3_column_int(st, 5) != 0;
    l->rank = ranked ? sqlite3_column_double(st, 6) : 0.0;
}

/* Filters as bound values (?2...?6), so one statement serves all. */
#define SEARCH_FILTERS                                                                       \
    " AND (?2 IS NULL OR l.category = ?2) AND (?3 IS NULL OR l.price >= ?3)"                 \
    " AND (?4 IS NULL OR l.price <= ?4) AND (?5 IS NULL OR l.seller = ?5)"                   \
    " AND (?6 = 0 OR l.expires = 0 OR l.expires >= ?6)"

static void bind_filters(sqlite3_stmt *st, const struct market_index_query *q)
{
    if (q->category != NULL)
        sqlite3_bind_text(st, 2, q->category, -1, SQLITE_STATIC);
    if (q->has_min_price)
        sqlite3_bind_int64(st, 3, (sqlite3_int64)q->min_price);
    if (q->has_max_price)
        sqlite3_bind_int64(st, 4, (sqlite3_int64)q->max_price);
    if (q->seller != NULL)
        sqlite3_bind_blob(st, 5, q->seller, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)q->live_at);
}

/* Steps st, passing each row through accept and paging; *total counts the
 * accepted ones. */
static bool search_rows(sqlite3 *db, sqlite3_stmt *st, const struct market_index_query *q,
                        bool ranked, market_index_emit_fn emit, void *emit_arg,
                        uint64_t *total, char *err, size_t errlen)
{
    int rc;
    bool ok = true;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct market_index_listing l;
        listing_from_row(st, &l, ranked);
        if (q->accept != NULL && !q->accept(&l, q->accept_arg))
            continue;
        uint64_t n = (*total)++;
        if (n >= q->offset && n - q->offset < q->limit)
            ok = emit(&l, emit_arg);
    }
    if (!ok)
        return false;
    return rc == SQLITE_DONE || sql_fail(db, err, errlen);
}

/* The keys of the listings q's filters keep, ascending, read through the
 * index on the seller or the category when the query names one. */
static bool filter_keys(sqlite3 *db, const struct market_index_query *q, int64_t **keys,
                        size_t *n, char *err, size_t errlen)
{
    char sql[320] = "SELECT l.k FROM listings l WHERE 1";
    if (q->category != NULL)
        strcat(sql, " AND l.category = ?2");
    if (q->has_min_price)
        strcat(sql, " AND l.price >= ?3");
    if (q->has_max_price)
        strcat(sql, " AND l.price <= ?4");
    if (q->seller != NULL)
        strcat(sql, " AND l.seller = ?5");
    if (q->live_at != 0)
        strcat(sql, " AND (l.expires = 0 OR l.expires >= ?6)");
    strcat(sql, " ORDER BY l.k");
    sqlite3_stmt *st = NULL;
    if (!prepare(db, sql, &st, err, errlen))
        return false;
    bind_filters(st, q);
    size_t cap = 0;
    int rc;
    bool mem = true;
    while (mem && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            int64_t *grown = realloc(*keys, ncap * sizeof *grown);
            mem = grown != NULL;
            if (!mem)
                break;
            *keys = grown;
            cap = ncap;
        }
        (*keys)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (!mem) {
        snprintf(err, errlen, "market index: out of memory");
        return false;
    }
    return rc == SQLITE_DONE || sql_fail(db, err, errlen);
}

/* Emits hits [q->offset, n) with their listings' rows. */
static bool emit_hits(sqlite3 *db, const struct market_index_query *q,
                      const struct market_rank_hit *hits, size_t n, market_index_emit_fn emit,
                      void *emit_arg, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (!prepare(db,
                 "SELECT l.id, l.seller, l.price, l.quantity, l.expires, l.closed FROM listings l "
                 "WHERE l.k = ?1",
                 &st, err, errlen))
        return false;
    bool ok = true;
    for (size_t i = q->offset; ok && i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, hits[i].k);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            continue;  /* every FTS row has its listing; a page without one is shorter */
        if (rc != SQLITE_ROW) {
            ok = sql_fail(db, err, errlen);
            break;
        }
        struct market_index_listing l;
        listing_from_row(st, &l, false);
        l.rank = hits[i].rank;
        sqlite3_reset(st);
        ok = emit(&l, emit_arg);
    }
    sqlite3_finalize(st);
    return ok;
}

/* The page of a ranked search without an accept callback, through
 * market_rank; FAILED also when an emit stops it. */
static enum market_rank_status search_page(sqlite3 *db, const struct market_index_query *q,
                                           const char *fts, market_index_emit_fn emit,
                                           void *emit_arg, uint64_t *total, char *err,
                                           size_t errlen)
{
    bool filtered = q->category != NULL || q->has_min_price || q->has_max_price ||
                    q->seller != NULL || q->live_at != 0;
    int64_t *keys = NULL;
    size_t n_keys = 0;
    if (filtered && !filter_keys(db, q, &keys, &n_keys, err, errlen)) {
        free(keys);
        return MARKET_RANK_FAILED;
    }
    if (filtered && n_keys == 0)
        return MARKET_RANK_OK; /* *total is 0 */
    uint64_t want = q->limit == 0                      ? 0
                    : q->limit > UINT64_MAX - q->offset ? UINT64_MAX
                                                        : q->offset + q->limit;
    struct market_rank_hit *hits = NULL;
    size_t n_hits = 0;
    enum market_rank_status s =
        market_rank_top(db, fts, keys, n_keys, want, &hits, &n_hits, total, err, errlen);
    free(keys);
    if (s == MARKET_RANK_OK && !emit_hits(db, q, hits, n_hits, emit, emit_arg, err, errlen))
        s = MARKET_RANK_FAILED;
    free(hits);
    return s;
}

/* The ranked search. Without an accept callback only the page needs
 * ranking: market_rank finds it (and counts the matches) without SQL's
 * per-match bm25, with the filters applied as a set of listing keys. With
 * an accept callback, or for a query market_rank leaves to SQL, every
 * match is ranked and filtered through SQL, and paging counts what accept
 * keeps. */
static bool search_ranked(sqlite3 *db, const struct market_index_query *q, const char *fts,
                          market_index_emit_fn emit, void *emit_arg, uint64_t *total, char *err,
                          size_t errlen)
{
    static const char all_sql[] =
        "SELECT l.id, l.seller, l.price, l.quantity, l.expires, l.closed, "
        "bm25(listing_fts, " MARKET_RANK_BM25_ARGS ") AS r FROM listing_fts "
        "JOIN listings l ON l.k = listing_fts.rowid WHERE listing_fts MATCH ?1" SEARCH_FILTERS
        " ORDER BY r, l.k";
    if (q->accept == NULL) {
        /* One read transaction over the statements of the page: each
         * would otherwise start its own (a lock on the -shm file and a
         * look at the WAL index, system calls that cost more than reading
         * a row). */
        bool own = sqlite3_get_autocommit(db) != 0;
        if (own && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return sql_fail(db, err, errlen);
        enum market_rank_status s = search_page(db, q, fts, emit, emit_arg, total, err, errlen);
        if (own)
            sqlite3_exec(db, s == MARKET_RANK_FAILED ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
        if (s != MARKET_RANK_USE_SQL)
            return s == MARKET_RANK_OK;
        *total = 0;
    }
    sqlite3_stmt *st = NULL;
    if (!prepare(db, all_sql, &st, err, errlen))
        return false;
    sqlite3_bind_text(st, 1, fts, -1, SQLITE_STATIC);
    bind_filters(st, q);
    bool ok = search_rows(db, st, q, true, emit, emit_arg, total, err, errlen);
    sqlite3_finalize(st);
    return ok;
}

bool market_index_search(sqlite3 *db, const struct market_index_query *q,
                         market_index_emit_fn emit, void *emit_arg, uint64_t *total, char *err,
                         size_t errlen)
{
    *total = 0;
    char fts[1024];
    bool ranked = q->text != NULL && market_index_fts_query(q->text, fts, sizeof fts);
    if (q->text != NULL && !ranked) {
        /* Nothing to look for, or more words than a query holds. */
        bool blank = true;
        for (const unsigned char *s = (const unsigned char *)q->text; *s != '\0'; s++)
            if (*s >= 0x80 || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
                (*s >= 'A' && *s <= 'Z'))
                blank = false;
        if (!blank) {
            snprintf(err, errlen, "market index: the query is too long");
            return false;
        }
    }
    if (ranked)
        return search_ranked(db, q, fts, emit, emit_arg, total, err, errlen);
    sqlite3_stmt *st = NULL;
    if (!prepare(db,
                 "SELECT l.id, l.seller, l.price, l.quantity, l.expires, l.closed FROM listings l "
                 "WHERE (?1 IS NOT NULL OR l.closed = 0)" SEARCH_FILTERS " ORDER BY l.k DESC",
                 &st, err, errlen))
        return false;
    if (q->include_closed)
        sqlite3_bind_int(st, 1, 1);
    bind_filters(st, q);
    bool ok = search_rows(db, st, q, false, emit, emit_arg, total, err, errlen);
    sqlite3_finalize(st);
    return ok;
}

bool market_index_party_orders(sqlite3 *db, const uint8_t party[32], const char *as,
                               market_index_order_fn fn, void *arg, char *err, size_t errlen)
{
    const char *cond = as == NULL                  ? "buyer = ?1 OR seller = ?1 OR arbiter = ?1"
                       : strcmp(as, "buyer") == 0  ? "buyer = ?1"
                       : strcmp(as, "seller") == 0 ? "seller = ?1"
                                                   : "arbiter = ?1";
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT id, height FROM order_parties WHERE %s ORDER BY height DESC, id", cond);
    sqlite3_stmt *st = NULL;
    if (!prepare(db, sql, &st, err, errlen))
        return false;
    sqlite3_bind_blob(st, 1, party, 32, SQLITE_STATIC);
    int rc;
    bool ok = true;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != 32)
            continue;
        ok = fn(sqlite3_column_blob(st, 0), (uint64_t)sqlite3_column_int64(st, 1), arg);
    }
    sqlite3_finalize(st);
    if (!ok)
        return false;
    return rc == SQLITE_DONE || sql_fail(db, err, errlen);
}

bool market_index_order_events(sqlite3 *db, const uint8_t order_id[32], market_index_event_fn fn,
                               void *arg, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (!prepare(db,
                 "SELECT txid, height, type, sender FROM order_events WHERE order_id = ?1 "
                 "ORDER BY height, pos",
                 &st, err, errlen))
        return false;
    sqlite3_bind_blob(st, 1, order_id, 32, SQLITE_STATIC);
    int rc;
    bool ok = true;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct market_index_event e;
        memset(&e, 0, sizeof e);
        if (sqlite3_column_bytes(st, 0) == 32)
            memcpy(e.txid, sqlite3_column_blob(st, 0), 32);
        e.height = (uint64_t)sqlite3_column_int64(st, 1);
        e.type = (uint64_t)sqlite3_column_int64(st, 2);
        if (sqlite3_column_bytes(st, 3) == 32)
            memcpy(e.sender, sqlite3_column_blob(st, 3), 32);
        ok = fn(&e, arg);
    }
    sqlite3_finalize(st);
    if (!ok)
        return false;
    return rc == SQLITE_DONE || sql_fail(db, err, errlen);
}
