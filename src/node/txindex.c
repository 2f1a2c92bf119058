#include "node/txindex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/serialize.h"
#include "util/hex.h"
#include "util/strutil.h"

#define TX_PREFIX 't'
#define HIST_PREFIX 'h'
#define BEST_KEY 'B'
#define HIST_KEY_LEN (1 + TXINDEX_PUBKEY_LEN + 8 + 4)

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void hist_key(uint8_t key[HIST_KEY_LEN], const uint8_t *pubkey, uint64_t height,
                     uint32_t position)
{
    key[0] = HIST_PREFIX;
    memcpy(key + 1, pubkey, TXINDEX_PUBKEY_LEN);
    put_be(key + 1 + TXINDEX_PUBKEY_LEN, height, 8);
    put_be(key + 1 + TXINDEX_PUBKEY_LEN + 8, position, 4);
}

static bool encode_bin32(const uint8_t *h, struct buf *out)
{
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_bin(&w, h, SHA256_LEN);
    return ser_writer_ok(&w);
}

/* Queues the block's operations; false only on allocation failure. */
static bool queue_block(struct db_batch *batch, const struct txindex_block *blk, bool connect)
{
    struct buf val;
    buf_init(&val);
    bool ok = true;
    for (size_t i = 0; ok && i < blk->n_txs; i++) {
        const struct txindex_tx *tx = &blk->txs[i];
        uint8_t tkey[1 + SHA256_LEN];
        tkey[0] = TX_PREFIX;
        memcpy(tkey + 1, tx->txid, SHA256_LEN);
        if (connect) {
            buf_reset(&val);
            struct ser_writer w;
            ser_writer_init(&w, &val);
            ser_write_array(&w, 2);
            ser_write_bin(&w, blk->hash, SHA256_LEN);
            ser_write_uint(&w, i);
            ok = ser_writer_ok(&w);
            if (ok)
                db_batch_put(batch, tkey, sizeof tkey, val.data, val.len);
        } else {
            db_batch_delete(batch, tkey, sizeof tkey);
        }
        if (connect) {
            buf_reset(&val);
            ok = ok && encode_bin32(tx->txid, &val);
        }
        for (size_t k = 0; ok && k < tx->n_touched; k++) {
            uint8_t hkey[HIST_KEY_LEN];
            hist_key(hkey, tx->touched + k * TXINDEX_PUBKEY_LEN, blk->height, (uint32_t)i);
            if (connect)
                db_batch_put(batch, hkey, sizeof hkey, val.data, val.len);
            else
                db_batch_delete(batch, hkey, sizeof hkey);
        }
    }
    if (ok) {
        buf_reset(&val);
        ok = encode_bin32(connect ? blk->hash : blk->prev_hash, &val);
        const uint8_t bkey = BEST_KEY;
        if (ok)
            db_batch_put(batch, &bkey, 1, val.data, val.len);
    }
    buf_clear(&val);
    return ok;
}

static bool apply_block(struct db *db, struct db_batch *batch, const struct txindex_block *blk,
                        bool connect, bool sync, char *err, size_t errlen)
{
    if (blk->n_txs > (size_t)UINT32_MAX + 1) {
        str_set_err(err, errlen, "block has too many transactions for the index");
        return false;
    }
    if (batch) {
        if (queue_block(batch, blk, connect))
            return true;
        str_set_err(err, errlen, "out of memory building index entries");
        return false;
    }
    struct db_batch *own = db_batch_new();
    if (!own || !queue_block(own, blk, connect)) {
        db_batch_free(own);
        str_set_err(err, errlen, "out of memory building index entries");
        return false;
    }
    bool ok = db_write(db, own, sync, err, errlen);
    db_batch_free(own);
    return ok;
}

bool txindex_connect_block(struct db *db, struct db_batch *batch,
                           const struct txindex_block *blk, bool sync, char *err, size_t errlen)
{
    return apply_block(db, batch, blk, true, sync, err, errlen);
}

bool txindex_disconnect_block(struct db *db, struct db_batch *batch,
                              const struct txindex_block *blk, bool sync, char *err,
                              size_t errlen)
{
    return apply_block(db, batch, blk, false, sync, err, errlen);
}

/* Parses a stored bin(32). */
static enum ser_err decode_bin32(const uint8_t *v, size_t len, uint8_t out[SHA256_LEN])
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum ser_err se = ser_doc_parse(&doc, v, len);
    if (se == SER_OK)
        se = ser_get_bin_fixed(ser_doc_root(&doc), SHA256_LEN, out);
    ser_doc_clear(&doc);
    return se;
}

bool txindex_find_tx(struct db *db, const uint8_t txid[SHA256_LEN], struct txindex_loc *out,
                     bool *found, char *err, size_t errlen)
{
    uint8_t key[1 + SHA256_LEN];
    key[0] = TX_PREFIX;
    memcpy(key + 1, txid, SHA256_LEN);
    struct buf val;
    buf_init(&val);
    bool f = false;
    if (!db_get(db, key, sizeof key, &val, &f, err, errlen))
        return false;
    if (!f) {
        *found = false;
        return true;
    }
    struct ser_doc doc;
    ser_doc_init(&doc);
    const msgpack_object *items;
    struct txindex_loc loc;
    uint64_t pos = 0;
    enum ser_err se = ser_doc_parse(&doc, val.data, val.len);
    if (se == SER_OK)
        se = ser_get_array(ser_doc_root(&doc), 2, &items);
    if (se == SER_OK)
        se = ser_get_bin_fixed(&items[0], SHA256_LEN, loc.block_hash);
    if (se == SER_OK)
        se = ser_get_uint_max(&items[1], UINT32_MAX, &pos);
    ser_doc_clear(&doc);
    buf_clear(&val);
    if (se != SER_OK) {
        char hx[2 * SHA256_LEN + 1];
        hex_encode(txid, SHA256_LEN, hx);
        if (err && errlen)
            snprintf(err, errlen, "corrupt tx index record for %s: %s", hx, ser_strerror(se));
        return false;
    }
    loc.position = (uint32_t)pos;
    *out = loc;
    *found = true;
    return true;
}

static bool txindex_history_from(struct db *db, const uint8_t pubkey[TXINDEX_PUBKEY_LEN],
                                 const struct txindex_cursor *after, uint64_t skip, size_t count,
                                 struct txindex_hist **out, size_t *n_out, char *err,
                                 size_t errlen)
{
    if (count > TXINDEX_HISTORY_MAX) {
        str_set_err(err, errlen, "history count above the limit");
        return false;
    }
    struct db_iter *it = db_iter_new(db);
    if (!it) {
        str_set_err(err, errlen, "out of memory creating an iterator");
        return false;
    }
    struct txindex_hist *v = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    uint8_t prefix[1 + TXINDEX_PUBKEY_LEN];
    prefix[0] = HIST_PREFIX;
    memcpy(prefix + 1, pubkey, TXINDEX_PUBKEY_LEN);
    uint8_t from[HIST_KEY_LEN];
    if (after != NULL) {
        /* Seek to the cursor's own key; an entry at it is skipped below. */
        memcpy(from, prefix, sizeof prefix);
        put_be(from + sizeof prefix, after->height, 8);
        put_be(from + sizeof prefix + 8, after->position, 4);
        db_iter_seek_prefix_from(it, prefix, sizeof prefix, from, sizeof from);
    } else {
        db_iter_seek_prefix(it, prefix, sizeof prefix);
    }
    for (; ok && n < count && db_iter_valid(it); db_iter_next(it)) {
        size_t klen, vlen;
        const uint8_t *k = db_iter_key(it, &klen);
        if (after != NULL && klen == sizeof from && memcmp(k, from, sizeof from) == 0)
            continue;
        if (skip) {
            skip--;
            continue;
        }
        const uint8_t *val = db_iter_value(it, &vlen);
        struct txindex_hist h;
        enum ser_err se = klen == HIST_KEY_LEN ? decode_bin32(val, vlen, h.txid)
                                               : SER_ERR_MALFORMED;
        if (se != SER_OK) {
            if (err && errlen)
                snprintf(err, errlen, "corrupt account history record (%zu-byte key): %s",
                         klen, klen == HIST_KEY_LEN ? ser_strerror(se) : "bad key length");
            ok = false;
            break;
        }
        h.height = get_be(k + 1 + TXINDEX_PUBKEY_LEN, 8);
        h.position = (uint32_t)get_be(k + 1 + TXINDEX_PUBKEY_LEN + 8, 4);
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            if (ncap > count)
                ncap = count;
            struct txindex_hist *nv = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                str_set_err(err, errlen, "out of memory reading account history");
                ok = false;
                break;
            }
            v = nv;
            cap = ncap;
        }
        v[n++] = h;
    }
    if (ok && !db_iter_status(it, err, errlen))
        ok = false;
    db_iter_free(it);
    if (!ok) {
        free(v);
        return false;
    }
    if (n == 0) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n_out = n;
    return true;
}

bool txindex_get_best(struct db *db, uint8_t hash[SHA256_LEN], bool *found, char *err,
                      size_t errlen)
{
    const uint8_t key = BEST_KEY;
    struct buf val;
    buf_init(&val);
    bool f = false;
    if (!db_get(db, &key, 1, &val, &f, err, errlen))
        return false;
    if (!f) {
        *found = false;
        return true;
    }
    uint8_t h[SHA256_LEN];
    enum ser_err se = decode_bin32(val.data, val.len, h);
    buf_clear(&val);
    if (se != SER_OK) {
        if (err && errlen)
            snprintf(err, errlen, "corrupt index best-block marker: %s", ser_strerror(se));
        return false;
    }
    memcpy(hash, h, SHA256_LEN);
    *found = true;
    return true;
}

bool txindex_reset(struct db *db, char *err, size_t errlen)
{
    struct db_iter *it = db_iter_new(db);
    struct db_batch *b = db_batch_new();
    bool ok = it != NULL && b != NULL;
    if (!ok)
        snprintf(err, errlen, "out of memory");
    /* Written in slices, so a large index never needs one huge batch. */
    if (ok)
        db_iter_seek_first(it);
    for (; ok && db_iter_valid(it); db_iter_next(it)) {
        size_t klen;
        const uint8_t *k = db_iter_key(it, &klen);
        db_batch_delete(b, k, klen);
        if (db_batch_count(b) >= 10000) {
            ok = db_write(db, b, false, err, errlen);
            db_batch_clear(b);
        }
    }
    if (ok)
        ok = db_iter_status(it, err, errlen) && db_write(db, b, true, err, errlen);
    db_batch_free(b);
    db_iter_free(it);
    return ok;
}

bool txindex_history(struct db *db, const uint8_t pubkey[TXINDEX_PUBKEY_LEN], uint64_t skip,
                     size_t count, struct txindex_hist **out, size_t *n_out, char *err,
                     size_t errlen)
{
    return txindex_history_from(db, pubkey, NULL, skip, count, out, n_out, err, errlen);
}

bool txindex_history_after(struct db *db, const uint8_t pubkey[TXINDEX_PUBKEY_LEN],
                           const struct txindex_cursor *after, size_t count,
                           struct txindex_hist **out, size_t *n_out, char *err, size_t errlen)
{
    return txindex_history_from(db, pubkey, after, 0, count, out, n_out, err, errlen);
}
