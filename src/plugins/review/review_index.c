#include "plugins/review/review_index.h"

#include <stdio.h>
#include <string.h>

#include "consensus/tx.h"
#include "consensus/txtype.h"
#include "plugins/market/market.h"
#include "plugins/review/review.h"

const char *const review_index_schema[REVIEW_INDEX_N_SCHEMA] = {
    /* Who sold what and who ordered from whom: the parties a review_post's
     * order stands for. */
    "CREATE TABLE listing_sellers(id BLOB PRIMARY KEY NOT NULL, seller BLOB NOT NULL, "
    "height INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX listing_sellers_height ON listing_sellers(height)",
    "CREATE TABLE orders(id BLOB PRIMARY KEY NOT NULL, buyer BLOB NOT NULL, "
    "seller BLOB NOT NULL, height INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX orders_height ON orders(height)",
    /* One row per review_post; role is the subject's (0 buyer, 1 seller). */
    "CREATE TABLE reviews(height INTEGER NOT NULL, pos INTEGER NOT NULL, id BLOB UNIQUE NOT NULL, "
    "order_id BLOB NOT NULL, author BLOB NOT NULL, subject BLOB NOT NULL, role INTEGER NOT NULL, "
    "rating INTEGER NOT NULL, quality INTEGER NOT NULL, description INTEGER NOT NULL, "
    "delivery INTEGER NOT NULL, communication INTEGER NOT NULL, text TEXT NOT NULL, "
    "PRIMARY KEY(height, pos))",
    "CREATE INDEX reviews_subject ON reviews(subject, height, pos)",
    "CREATE INDEX reviews_author ON reviews(author, height, pos)",
    "CREATE INDEX reviews_order ON reviews(order_id)",
    /* One row per review_reply (the rules allow one per review). */
    "CREATE TABLE replies(review_id BLOB PRIMARY KEY NOT NULL, id BLOB NOT NULL, "
    "height INTEGER NOT NULL, text TEXT NOT NULL) WITHOUT ROWID",
    "CREATE INDEX replies_height ON replies(height)",
};

static bool sql_fail(sqlite3 *db, char *err, size_t errlen)
{
    snprintf(err, errlen, "review index: %s", sqlite3_errmsg(db));
    return false;
}

static bool prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK)
        return true;
    *st = NULL;
    return sql_fail(db, err, errlen);
}

/* Runs st (bound) to completion and finalizes it. */
static bool run(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || sql_fail(db, err, errlen);
}

static void bind_text(sqlite3_stmt *st, int i, const struct txvalue *v)
{
    sqlite3_bind_text(st, i, v->len > 0 ? (const char *)v->p : "", (int)v->len,
                      SQLITE_TRANSIENT);
}

/* ---- blocks ------------------------------------------------------------------ */

/* The buyer and the seller of an order the index has seen placed. */
static bool order_parties(sqlite3 *db, const uint8_t order_id[32], uint8_t buyer[32],
                          uint8_t seller[32], char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (!prepare(db, "SELECT buyer, seller FROM orders WHERE id = ?1", &st, err, errlen))
        return false;
    sqlite3_bind_blob(st, 1, order_id, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    bool ok = rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32 &&
              sqlite3_column_bytes(st, 1) == 32;
    if (ok) {
        memcpy(buyer, sqlite3_column_blob(st, 0), 32);
        memcpy(seller, sqlite3_column_blob(st, 1), 32);
    }
    sqlite3_finalize(st);
    if (ok)
        return true;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sql_fail(db, err, errlen);
    /* A valid chain places an order before it is reviewed. */
    snprintf(err, errlen, "review index: a review names an order the index has not seen");
    return false;
}

static bool log_listing(sqlite3 *db, const struct tx *tx, const uint8_t txid[32],
                        uint64_t height, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (!prepare(db, "INSERT INTO listing_sellers VALUES(?1, ?2, ?3)", &st, err, errlen))
        return false;
    sqlite3_bind_blob(st, 1, txid, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, tx->sender, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)height);
    return run(db, st, err, errlen);
}

static bool log_order(sqlite3 *db, const struct tx *tx, const struct txpayload *p,
                      const uint8_t txid[32], uint64_t height, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (!prepare(db,
                 "INSERT INTO orders SELECT ?1, ?2, seller, ?3 FROM listing_sellers WHERE id = ?4",
                 &st, err, errlen))
        return false;
    sqlite3_bind_blob(st, 1, txid, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, tx->sender, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)height);
    sqlite3_bind_blob(st, 4, p->v[0].p, 32, SQLITE_STATIC);
    if (!run(db, st, err, errlen))
        return false;
    if (sqlite3_changes(db) == 1)
        return true;
    snprintf(err, errlen, "review index: an order names a listing the index has not seen");
    return false;
}

static bool log_review(sqlite3 *db, const struct tx *tx, const struct txpayload *p,
                       const uint8_t txid[32], uint64_t height, size_t pos, char *err,
                       size_t errlen)
{
    uint8_t buyer[32], seller[32];
    if (!order_parties(db, p->v[0].p, buyer, seller, err, errlen))
        return false;
    /* The subject is the other party (consensus refused anyone else). */
    bool by_buyer = memcmp(tx->sender, buyer, 32) == 0;
    sqlite3_stmt *st = NULL;
    if (!prepare(db,
                 "INSERT INTO reviews VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                 "?13)",
                 &st, err, errlen))
        return false;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)height);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)pos);
    sqlite3_bind_blob(st, 3, txid, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, p->v[0].p, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, tx->sender, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, by_buyer ? seller : buyer, 32, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, by_buyer ? MARKET_ROLE_SELLER : MARKET_ROLE_BUYER);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)p->v[1].u);
    for (size_t i = 0; i < REVIEW_N_ASPECTS; i++)
        sqlite3_bind_int(st, 9 + (int)i, i < p->v[2].len ? p->v[2].p[i] : 0);
    bind_text(st, 13, &p->v[3]);
    return run(db, st, err, errlen);
}

static bool log_reply(sqlite3 *db, const struct txpayload *p, const uint8_t txid[32],
                      uint64_t height, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (!prepare(db, "INSERT INTO replies VALUES(?1, ?2, ?3, ?4)", &st, err, errlen))
        return false;
    sqlite3_bind_blob(st, 1, p->v[0].p, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, txid, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)height);
    bind_text(st, 4, &p->v[1]);
    return run(db, st, err, errlen);
}

static bool indexed_type(uint64_t t)
{
    return t == MARKET_TYPE_LISTING_CREATE || t == MARKET_TYPE_ORDER_PLACE ||
           t == REVIEW_TYPE_POST || t == REVIEW_TYPE_REPLY;
}

static bool log_tx(sqlite3 *db, const struct tx *tx, uint64_t height, size_t pos, char *err,
                   size_t errlen)
{
    const struct txtype_def *def = txtype_find(tx->type);
    if (def == NULL) {
        snprintf(err, errlen, "review index: the market and review types are not registered");
        return false;
    }
    struct txpayload p;
    txpayload_init(&p);
    size_t len;
    const uint8_t *bytes = tx_payload_bytes(tx, &len);
    uint8_t txid[32];
    tx_txid(tx, txid);
    bool ok;
    /* Blocks of the active chain are valid: a payload that does not decode
     * here means a damaged block file. */
    if (txpayload_decode(def->fields, def->n_fields, bytes, len, &p, NULL, NULL) != TXERR_OK) {
        snprintf(err, errlen, "review index: a %s of block %llu does not decode", def->name,
                 (unsigned long long)height);
        ok = false;
    } else if (tx->type == MARKET_TYPE_LISTING_CREATE) {
        ok = log_listing(db, tx, txid, height, err, errlen);
    } else if (tx->type == MARKET_TYPE_ORDER_PLACE) {
        ok = log_order(db, tx, &p, txid, height, err, errlen);
    } else if (tx->type == REVIEW_TYPE_POST) {
        ok = log_review(db, tx, &p, txid, height, pos, err, errlen);
    } else {
        ok = log_reply(db, &p, txid, height, err, errlen);
    }
    txpayload_clear(&p);
    return ok;
}

static bool delete_at(sqlite3 *db, const char *sql, uint64_t height, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (!prepare(db, sql, &st, err, errlen))
        return false;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)height);
    return run(db, st, err, errlen);
}

bool review_index_block(sqlite3 *db, const struct block *block, uint64_t height, bool connect,
                        char *err, size_t errlen)
{
    if (!connect)
        return delete_at(db, "DELETE FROM replies WHERE height = ?1", height, err, errlen) &&
               delete_at(db, "DELETE FROM reviews WHERE height = ?1", height, err, errlen) &&
               delete_at(db, "DELETE FROM orders WHERE height = ?1", height, err, errlen) &&
               delete_at(db, "DELETE FROM listing_sellers WHERE height = ?1", height, err,
                         errlen);
    /* In block order: a listing, its order and even a review of it may
     * share a block only in that order. */
    for (size_t i = 0; i < block->tx_count; i++) {
        const struct tx *tx = &block->txs[i];
        if (indexed_type(tx->type) && !log_tx(db, tx, height, i, err, errlen))
            return false;
    }
    return true;
}

bool review_index_clear(sqlite3 *db, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db,
                     "DELETE FROM listing_sellers; DELETE FROM orders; DELETE FROM reviews; "
                     "DELETE FROM replies",
                     NULL, NULL, &msg) == SQLITE_OK)
        return true;
    snprintf(err, errlen, "review index: %s", msg != NULL ? msg : "reset failed");
    sqlite3_free(msg);
    return false;
}

bool review_index_connect(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                          size_t errlen)
{
    return review_index_block(pc->db, b->block, b->height, true, err, errlen);
}

bool review_index_disconnect(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                             size_t errlen)
{
    return review_index_block(pc->db, b->block, b->height, false, err, errlen);
}

bool review_index_reset(struct plugin_ctx *pc, char *err, size_t errlen)
{
    return review_index_clear(pc->db, err, errlen);
}

/* ---- queries ----------------------------------------------------------------- */

#define ROW_COLUMNS                                                                          \
    "r.id, r.order_id, r.author, r.subject, r.role, r.rating, r.quality, r.description, "    \
    "r.delivery, r.communication, r.height, r.text, p.id, p.height, p.text"
#define ROW_FROM " FROM reviews r LEFT JOIN replies p ON p.review_id = r.id"

static void copy_hash(sqlite3_stmt *st, int col, uint8_t out[32])
{
    if (sqlite3_column_bytes(st, col) == 32)
        memcpy(out, sqlite3_column_blob(st, col), 32);
    else
        memset(out, 0, 32);
}

static size_t copy_text(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (s == NULL)
        n = 0;
    if (n >= cap)
        n = cap - 1;  /* consensus bounds the texts: only a damaged file gets here */
    if (n > 0)
        memcpy(out, s, n);
    out[n] = '\0';
    return n;
}

static void row_from(sqlite3_stmt *st, struct review_index_row *r)
{
    copy_hash(st, 0, r->id);
    copy_hash(st, 1, r->order_id);
    copy_hash(st, 2, r->author);
    copy_hash(st, 3, r->subject);
    r->role = sqlite3_column_int(st, 4) == MARKET_ROLE_SELLER ? MARKET_ROLE_SELLER
                                                                : MARKET_ROLE_BUYER;
    r->rating = (uint64_t)sqlite3_column_int64(st, 5);
    for (int i = 0; i < REVIEW_N_ASPECTS; i++)
        r->aspects[i] = (uint8_t)sqlite3_column_int(st, 6 + i);
    r->height = (uint64_t)sqlite3_column_int64(st, 10);
    r->text_len = copy_text(st, 11, r->text, sizeof r->text);
    r->replied = sqlite3_column_type(st, 12) != SQLITE_NULL;
    if (r->replied) {
        copy_hash(st, 12, r->reply_id);
        r->reply_height = (uint64_t)sqlite3_column_int64(st, 13);
        r->reply_text_len = copy_text(st, 14, r->reply_text, sizeof r->reply_text);
    } else {
        memset(r->reply_id, 0, 32);
        r->reply_height = 0;
        r->reply_text[0] = '\0';
        r->reply_text_len = 0;
    }
}

bool review_index_get(sqlite3 *db, const uint8_t id[32], struct review_index_row *out, bool *found,
                      char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    *found = false;
    if (!prepare(db, "SELECT " ROW_COLUMNS ROW_FROM " WHERE r.id = ?1", &st, err, errlen))
        return false;
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row_from(st, out);
        *found = true;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE || sql_fail(db, err, errlen);
}

/* The WHERE clause of q, with only the filters it sets, so that SQLite
 * picks the index of the one that narrows it (by subject, author or
 * order); every value is bound, never written into the text. */
static void where_clause(const struct review_index_query *q, char *out, size_t outlen)
{
    snprintf(out, outlen, " WHERE r.rating >= ?4%s%s%s",
             q->subject != NULL ? " AND r.subject = ?1" : "",
             q->author != NULL ? " AND r.author = ?2" : "",
             q->order_id != NULL ? " AND r.order_id = ?3" : "");
}

static void bind_query(sqlite3_stmt *st, const struct review_index_query *q)
{
    if (q->subject != NULL)
        sqlite3_bind_blob(st, 1, q->subject, 32, SQLITE_STATIC);
    if (q->author != NULL)
        sqlite3_bind_blob(st, 2, q->author, 32, SQLITE_STATIC);
    if (q->order_id != NULL)
        sqlite3_bind_blob(st, 3, q->order_id, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, q->min_rating > INT64_MAX ? INT64_MAX : (sqlite3_int64)q->min_rating);
}

bool review_index_list(sqlite3 *db, const struct review_index_query *q, review_index_emit_fn emit,
                       void *arg, uint64_t *total, char *err, size_t errlen)
{
    *total = 0;
    err[0] = '\0';
    char where[128], sql[512];
    where_clause(q, where, sizeof where);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM reviews r%s", where);
    sqlite3_stmt *st = NULL;
    if (!prepare(db, sql, &st, err, errlen))
        return false;
    bind_query(st, q);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *total = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return sql_fail(db, err, errlen);
    if (q->limit == 0 || q->offset >= *total)
        return true;

    snprintf(sql, sizeof sql,
             "SELECT " ROW_COLUMNS ROW_FROM "%s ORDER BY r.height DESC, r.pos DESC "
             "LIMIT ?5 OFFSET ?6",
             where);
    if (!prepare(db, sql, &st, err, errlen))
        return false;
    bind_query(st, q);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)(q->limit > INT64_MAX ? INT64_MAX : q->limit));
    sqlite3_bind_int64(st, 6, (sqlite3_int64)(q->offset > INT64_MAX ? INT64_MAX : q->offset));
    struct review_index_row row;
    bool ok = true;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        row_from(st, &row);
        ok = emit(&row, arg);
    }
    sqlite3_finalize(st);
    if (!ok)
        return false;
    return rc == SQLITE_DONE || sql_fail(db, err, errlen);
}
