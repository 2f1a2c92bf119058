#include "node/blockindex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/pow.h"
#include "consensus/serialize.h"
#include "crypto/random.h"
#include "util/grow.h"
#include "util/hex.h"

#define CHUNK_ENTRIES 4096
#define RECORD_VERSION 1
#define ENTRY_PREFIX 'b'
/* The metadata record's key: one byte, never the start of an entry key. */
static const uint8_t META_KEY[1] = {'F'};

static const char *const err_text[BLOCKINDEX_ERR_COUNT_] = {
    [BLOCKINDEX_OK] = "ok",
    [BLOCKINDEX_ERR_NO_PREV] = "previous block not in the block index",
    [BLOCKINDEX_ERR_SECOND_ROOT] = "block index already has a genesis block",
    [BLOCKINDEX_ERR_BAD_BITS] = "header bits give no proof of work",
    [BLOCKINDEX_ERR_OVERFLOW] = "chain work or height out of range",
    [BLOCKINDEX_ERR_NOMEM] = "out of memory",
    [BLOCKINDEX_ERR_DB] = "block index database error",
    [BLOCKINDEX_ERR_CORRUPT] = "block index database is corrupt",
};

const char *blockindex_strerror(enum blockindex_err e)
{
    if ((unsigned)e >= BLOCKINDEX_ERR_COUNT_)
        return "unknown block index error";
    return err_text[e];
}

static enum blockindex_err fail(enum blockindex_err e, char *err, size_t errlen,
                                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum blockindex_err fail(enum blockindex_err e, char *err, size_t errlen,
                                const char *fmt, ...)
{
    if (err && errlen) {
        int n = snprintf(err, errlen, "%s: ", blockindex_strerror(e));
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return e;
}

/* ---- the table ------------------------------------------------------------ */

/* Block hashes are proof-of-work outputs, so their leading bytes are zero
 * and the trailing ones random; a secret seed keeps crafted collisions
 * from being cheap all the same. */
static size_t slot_of(const struct blockindex *bi, const uint8_t hash[SHA256_LEN])
{
    uint64_t a, b;
    memcpy(&a, hash + 16, 8);
    memcpy(&b, hash + 24, 8);
    uint64_t x = a ^ (b * 0x9e3779b97f4a7c15ull) ^ bi->seed;
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return (size_t)x & (bi->table_cap - 1);
}

static void table_put(struct blockindex *bi, struct blockindex_entry *e)
{
    size_t i = slot_of(bi, e->hash);
    while (bi->table[i])
        i = (i + 1) & (bi->table_cap - 1);
    bi->table[i] = e;
}

/* Keeps the load factor at most one half. */
static bool table_reserve(struct blockindex *bi, size_t want)
{
    if (bi->table_cap && want <= bi->table_cap / 2)
        return true;
    size_t cap = bi->table_cap ? bi->table_cap : 1024;
    while (want > cap / 2) {
        if (cap > SIZE_MAX / 2 / sizeof *bi->table)
            return false;
        cap *= 2;
    }
    struct blockindex_entry **t = calloc(cap, sizeof *t);
    if (!t)
        return false;
    struct blockindex_entry **old = bi->table;
    size_t old_cap = bi->table_cap;
    bi->table = t;
    bi->table_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            table_put(bi, old[i]);
    free(old);
    return true;
}

struct blockindex_entry *blockindex_find(const struct blockindex *bi,
                                         const uint8_t hash[SHA256_LEN])
{
    if (!bi->table_cap)
        return NULL;
    size_t i = slot_of(bi, hash);
    while (bi->table[i]) {
        if (memcmp(bi->table[i]->hash, hash, SHA256_LEN) == 0)
            return bi->table[i];
        i = (i + 1) & (bi->table_cap - 1);
    }
    return NULL;
}

/* ---- entries ------------------------------------------------------------- */

void blockindex_init(struct blockindex *bi)
{
    memset(bi, 0, sizeof *bi);
    if (!random_bytes(&bi->seed, sizeof bi->seed))
        bi->seed = 0x5a17c0ffee5eedull;
}

void blockindex_clear(struct blockindex *bi)
{
    for (size_t i = 0; i < bi->n_chunks; i++)
        free(bi->chunks[i]);
    free(bi->chunks);
    free(bi->table);
    free(bi->dirty);
    uint64_t seed = bi->seed;
    memset(bi, 0, sizeof *bi);
    bi->seed = seed;
}

void blockindex_reset(struct blockindex *bi)
{
    if (bi->table_cap)
        memset(bi->table, 0, bi->table_cap * sizeof *bi->table);
    bi->n_dirty = 0;
    bi->count = 0;
    bi->next_seq = 0;
    bi->root = NULL;
}

size_t blockindex_count(const struct blockindex *bi) { return bi->count; }

struct blockindex_entry *blockindex_entry_at(const struct blockindex *bi, size_t i)
{
    if (i >= bi->count)
        return NULL;
    return &bi->chunks[i / CHUNK_ENTRIES][i % CHUNK_ENTRIES];
}

struct blockindex_entry *blockindex_root(const struct blockindex *bi) { return bi->root; }

/* A zeroed slot for one more entry (not yet counted or hashed), with room
 * reserved in the table and the dirty list so that nothing after this can
 * fail. */
static struct blockindex_entry *reserve_entry(struct blockindex *bi)
{
    if (!table_reserve(bi, bi->count + 1))
        return NULL;
    if (bi->n_dirty != SIZE_MAX &&
        !grow_array((void **)&bi->dirty, &bi->dirty_cap, bi->n_dirty + 1, sizeof *bi->dirty, 256))
        return NULL;
    size_t chunk = bi->count / CHUNK_ENTRIES;
    if (chunk == bi->n_chunks) {
        struct blockindex_entry **c = realloc(bi->chunks, (bi->n_chunks + 1) * sizeof *c);
        if (!c)
            return NULL;
        bi->chunks = c;
        bi->chunks[chunk] = calloc(CHUNK_ENTRIES, sizeof **c);
        if (!bi->chunks[chunk])
            return NULL;
        bi->n_chunks++;
    }
    struct blockindex_entry *e = &bi->chunks[chunk][bi->count % CHUNK_ENTRIES];
    memset(e, 0, sizeof *e);
    return e;
}

/* The ancestor height an entry's skip pointer aims at. */
static uint64_t skip_height(uint64_t h) { return h & (h - 1); }

/* Fills the fields derived from the parent. */
static enum blockindex_err link_entry(struct blockindex_entry *e, struct blockindex_entry *prev)
{
    struct u256 work;
    if (pow_block_work(e->header.bits, &work) != POW_OK || u256_is_zero(&work))
        return BLOCKINDEX_ERR_BAD_BITS;
    e->prev = prev;
    if (!prev) {
        e->height = 0;
        e->chainwork = work;
        e->time_max = e->header.time;
        e->skip = NULL;
        return BLOCKINDEX_OK;
    }
    if (prev->height == UINT64_MAX || !u256_add(&e->chainwork, &prev->chainwork, &work))
        return BLOCKINDEX_ERR_OVERFLOW;
    e->height = prev->height + 1;
    e->time_max = prev->time_max > e->header.time ? prev->time_max : e->header.time;
    e->skip = blockindex_ancestor(prev, skip_height(e->height));
    return BLOCKINDEX_OK;
}

static bool is_zero_hash(const uint8_t h[SHA256_LEN])
{
    for (size_t i = 0; i < SHA256_LEN; i++)
        if (h[i])
            return false;
    return true;
}

enum blockindex_err blockindex_add(struct blockindex *bi, const struct block_header *h,
                                   uint32_t status, struct blockindex_entry **out, bool *added)
{
    uint8_t hash[SHA256_LEN];
    block_header_hash(h, hash);
    struct blockindex_entry *found = blockindex_find(bi, hash);
    if (found) {
        *out = found;
        *added = false;
        return BLOCKINDEX_OK;
    }
    struct blockindex_entry *prev = NULL;
    if (is_zero_hash(h->prev_hash)) {
        if (bi->root)
            return BLOCKINDEX_ERR_SECOND_ROOT;
    } else if (!(prev = blockindex_find(bi, h->prev_hash))) {
        return BLOCKINDEX_ERR_NO_PREV;
    }
    struct blockindex_entry *e = reserve_entry(bi);
    if (!e)
        return BLOCKINDEX_ERR_NOMEM;
    memcpy(e->hash, hash, SHA256_LEN);
    e->header = *h;
    enum blockindex_err r = link_entry(e, prev);
    if (r != BLOCKINDEX_OK)
        return r;
    e->status = status & BLOCK_STATUS_ALL;
    e->seq = bi->next_seq++;
    bi->count++;
    table_put(bi, e);
    if (!prev)
        bi->root = e;
    e->dirty = true;
    if (bi->n_dirty != SIZE_MAX)
        bi->dirty[bi->n_dirty++] = e; /* room reserved above */
    *out = e;
    *added = true;
    return BLOCKINDEX_OK;
}

struct blockindex_entry *blockindex_ancestor(struct blockindex_entry *e, uint64_t height)
{
    if (!e || height > e->height)
        return NULL;
    while (e->height > height) {
        if (e->skip && e->skip->height >= height)
            e = e->skip;
        else
            e = e->prev;
    }
    return e;
}

struct blockindex_entry *blockindex_last_common_ancestor(struct blockindex_entry *a,
                                                         struct blockindex_entry *b)
{
    if (!a || !b)
        return NULL;
    if (a->height > b->height)
        a = blockindex_ancestor(a, b->height);
    else
        b = blockindex_ancestor(b, a->height);
    /* Same heights from here on, so the skips aim at the same height: when
     * they differ the common ancestor lies below them. */
    while (a && b && a != b) {
        if (a->skip && b->skip && a->skip != b->skip) {
            a = a->skip;
            b = b->skip;
        } else {
            a = a->prev;
            b = b->prev;
        }
    }
    return a == b ? a : NULL;
}

uint64_t blockindex_median_time_past(const struct blockindex_entry *e)
{
    uint64_t t[BLOCKINDEX_MTP_SPAN];
    size_t n = 0;
    for (; e && n < BLOCKINDEX_MTP_SPAN; e = e->prev) {
        /* insertion sort as we go */
        size_t i = n++;
        while (i > 0 && t[i - 1] > e->header.time) {
            t[i] = t[i - 1];
            i--;
        }
        t[i] = e->header.time;
    }
    return n ? t[n / 2] : 0;
}

bool blockindex_better(const struct blockindex_entry *a, const struct blockindex_entry *b)
{
    int c = u256_cmp(&a->chainwork, &b->chainwork);
    if (c != 0)
        return c > 0;
    return a->seq < b->seq;
}

void blockindex_mark_dirty(struct blockindex *bi, struct blockindex_entry *e)
{
    if (e->dirty)
        return;
    if (bi->n_dirty == SIZE_MAX) {
        e->dirty = true;
        return;
    }
    if (!grow_array((void **)&bi->dirty, &bi->dirty_cap, bi->n_dirty + 1, sizeof *bi->dirty,
                    256)) {
        /* Without room to list it, fall back to rewriting everything on
         * the next flush: every entry is flagged and the list rebuilt
         * from the flags then. */
        e->dirty = true;
        bi->n_dirty = SIZE_MAX;
        return;
    }
    e->dirty = true;
    bi->dirty[bi->n_dirty++] = e;
}

void blockindex_set_status(struct blockindex *bi, struct blockindex_entry *e, uint32_t flags)
{
    flags &= BLOCK_STATUS_ALL;
    if ((e->status & flags) == flags)
        return;
    e->status |= flags;
    blockindex_mark_dirty(bi, e);
}

void blockindex_clear_status(struct blockindex *bi, struct blockindex_entry *e, uint32_t flags)
{
    if (!(e->status & flags))
        return;
    e->status &= ~flags;
    blockindex_mark_dirty(bi, e);
}

void blockindex_set_data(struct blockindex *bi, struct blockindex_entry *e,
                         struct blockstore_pos pos, uint32_t tx_count)
{
    e->data_pos = pos;
    e->tx_count = tx_count;
    e->status |= BLOCK_HAVE_DATA;
    blockindex_mark_dirty(bi, e);
}

void blockindex_set_undo(struct blockindex *bi, struct blockindex_entry *e,
                         struct blockstore_pos pos)
{
    e->undo_pos = pos;
    e->status |= BLOCK_HAVE_UNDO;
    blockindex_mark_dirty(bi, e);
}

size_t blockindex_dirty_count(const struct blockindex *bi)
{
    if (bi->n_dirty != SIZE_MAX)
        return bi->n_dirty;
    size_t n = 0;
    for (size_t i = 0; i < bi->count; i++)
        n += blockindex_entry_at(bi, i)->dirty;
    return n;
}

/* ---- persistence ----------------------------------------------------------- */

#define ENTRY_FIELDS 10
#define META_FIELDS 6

void blockindex_entry_key(const uint8_t hash[SHA256_LEN], uint8_t key[BLOCKINDEX_ENTRY_KEY_LEN])
{
    key[0] = ENTRY_PREFIX;
    memcpy(key + 1, hash, SHA256_LEN);
}

bool blockindex_entry_encode(const struct blockindex_entry *e, struct buf *out)
{
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_array(&w, ENTRY_FIELDS);
    ser_write_uint(&w, RECORD_VERSION);
    block_header_write(&w, &e->header);
    ser_write_uint(&w, e->height);
    ser_write_uint(&w, e->status);
    ser_write_uint(&w, e->tx_count);
    ser_write_uint(&w, e->data_pos.file);
    ser_write_uint(&w, e->data_pos.offset);
    ser_write_uint(&w, e->undo_pos.file);
    ser_write_uint(&w, e->undo_pos.offset);
    ser_write_uint(&w, e->seq);
    return ser_writer_ok(&w);
}

static bool put_entry(struct db_batch *batch, const struct blockindex_entry *e, struct buf *val)
{
    uint8_t key[BLOCKINDEX_ENTRY_KEY_LEN];
    blockindex_entry_key(e->hash, key);
    buf_reset(val);
    if (!blockindex_entry_encode(e, val))
        return false;
    db_batch_put(batch, key, sizeof key, val->data, val->len);
    return true;
}

bool blockindex_write(const struct blockindex *bi, struct db_batch *batch,
                      const struct blockindex_meta *meta)
{
    struct buf val;
    buf_init(&val);
    bool ok = true;
    if (bi->n_dirty == SIZE_MAX) {
        for (size_t i = 0; ok && i < bi->count; i++) {
            const struct blockindex_entry *e = blockindex_entry_at(bi, i);
            if (e->dirty)
                ok = put_entry(batch, e, &val);
        }
    } else {
        for (size_t i = 0; ok && i < bi->n_dirty; i++)
            ok = put_entry(batch, bi->dirty[i], &val);
    }
    if (ok) {
        buf_reset(&val);
        ok = blockindex_meta_encode(meta, &val);
        if (ok)
            db_batch_put(batch, META_KEY, sizeof META_KEY, val.data, val.len);
    }
    buf_clear(&val);
    return ok;
}

void blockindex_mark_clean(struct blockindex *bi)
{
    if (bi->n_dirty == SIZE_MAX) {
        for (size_t i = 0; i < bi->count; i++)
            blockindex_entry_at(bi, i)->dirty = false;
    } else {
        for (size_t i = 0; i < bi->n_dirty; i++)
            bi->dirty[i]->dirty = false;
    }
    bi->n_dirty = 0;
}

enum blockindex_err blockindex_flush(struct blockindex *bi, struct db *db,
                                     const struct blockindex_meta *meta, bool sync, char *err,
                                     size_t errlen)
{
    struct db_batch *batch = db_batch_new();
    if (!batch || !blockindex_write(bi, batch, meta)) {
        db_batch_free(batch);
        return fail(BLOCKINDEX_ERR_NOMEM, err, errlen, "building the index batch");
    }
    char dberr[256];
    bool ok = db_write(db, batch, sync, dberr, sizeof dberr);
    db_batch_free(batch);
    if (!ok)
        return fail(BLOCKINDEX_ERR_DB, err, errlen, "%s", dberr);
    blockindex_mark_clean(bi);
    return BLOCKINDEX_OK;
}

bool blockindex_meta_encode(const struct blockindex_meta *meta, struct buf *out)
{
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_array(&w, META_FIELDS);
    ser_write_uint(&w, RECORD_VERSION);
    ser_write_uint(&w, meta->cursor.blk_file);
    ser_write_uint(&w, meta->cursor.blk_size);
    ser_write_uint(&w, meta->cursor.rev_file);
    ser_write_uint(&w, meta->cursor.rev_size);
    ser_write_uint(&w, meta->flags);
    return ser_writer_ok(&w);
}

static enum ser_err get_u32(const msgpack_object *o, uint32_t *out)
{
    uint64_t v;
    enum ser_err se = ser_get_uint_max(o, UINT32_MAX, &v);
    if (se == SER_OK)
        *out = (uint32_t)v;
    return se;
}

enum ser_err blockindex_entry_decode(const uint8_t *val, size_t len, struct blockindex_entry *e)
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    const msgpack_object *f;
    uint64_t version, status;
    enum ser_err se = ser_doc_parse(&doc, val, len);
    if (se == SER_OK)
        se = ser_get_array(ser_doc_root(&doc), ENTRY_FIELDS, &f);
    if (se == SER_OK && (se = ser_get_uint(&f[0], &version)) == SER_OK &&
        version != RECORD_VERSION)
        se = SER_ERR_VERSION;
    if (se == SER_OK)
        se = block_header_decode_object(&f[1], &e->header);
    if (se == SER_OK)
        se = ser_get_uint(&f[2], &e->height);
    if (se == SER_OK)
        se = ser_get_uint_max(&f[3], BLOCK_STATUS_ALL, &status);
    if (se == SER_OK)
        se = get_u32(&f[4], &e->tx_count);
    if (se == SER_OK)
        se = get_u32(&f[5], &e->data_pos.file);
    if (se == SER_OK)
        se = get_u32(&f[6], &e->data_pos.offset);
    if (se == SER_OK)
        se = get_u32(&f[7], &e->undo_pos.file);
    if (se == SER_OK)
        se = get_u32(&f[8], &e->undo_pos.offset);
    if (se == SER_OK)
        se = ser_get_uint(&f[9], &e->seq);
    if (se == SER_OK)
        e->status = (uint32_t)status;
    ser_doc_clear(&doc);
    return se;
}

enum ser_err blockindex_meta_decode(const uint8_t *val, size_t len, struct blockindex_meta *out)
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    const msgpack_object *f;
    uint64_t version;
    struct blockindex_meta m;
    enum ser_err se = ser_doc_parse(&doc, val, len);
    if (se == SER_OK)
        se = ser_get_array(ser_doc_root(&doc), META_FIELDS, &f);
    if (se == SER_OK && (se = ser_get_uint(&f[0], &version)) == SER_OK &&
        version != RECORD_VERSION)
        se = SER_ERR_VERSION;
    if (se == SER_OK)
        se = get_u32(&f[1], &m.cursor.blk_file);
    if (se == SER_OK)
        se = get_u32(&f[2], &m.cursor.blk_size);
    if (se == SER_OK)
        se = get_u32(&f[3], &m.cursor.rev_file);
    if (se == SER_OK)
        se = get_u32(&f[4], &m.cursor.rev_size);
    if (se == SER_OK)
        se = ser_get_uint(&f[5], &m.flags);
    ser_doc_clear(&doc);
    if (se == SER_OK)
        *out = m;
    return se;
}

static enum blockindex_err load_meta(struct db *db, struct blockindex_meta *meta,
                                     bool *has_meta, char *err, size_t errlen)
{
    struct buf val;
    buf_init(&val);
    bool found = false;
    char dberr[256];
    memset(meta, 0, sizeof *meta);
    if (!db_get(db, META_KEY, sizeof META_KEY, &val, &found, dberr, sizeof dberr))
        return fail(BLOCKINDEX_ERR_DB, err, errlen, "%s", dberr);
    *has_meta = found;
    if (!found)
        return BLOCKINDEX_OK;
    enum ser_err se = blockindex_meta_decode(val.data, val.len, meta);
    buf_clear(&val);
    if (se != SER_OK)
        return fail(BLOCKINDEX_ERR_CORRUPT, err, errlen, "metadata record: %s", ser_strerror(se));
    return BLOCKINDEX_OK;
}

static int by_height(const void *a, const void *b)
{
    const struct blockindex_entry *x = *(struct blockindex_entry *const *)a;
    const struct blockindex_entry *y = *(struct blockindex_entry *const *)b;
    return x->height < y->height ? -1 : x->height > y->height;
}

/* Every loaded entry is linked to its parent in height order, so that each
 * parent is complete before its children. */
enum blockindex_err blockindex_load_link(struct blockindex *bi, char *err, size_t errlen)
{
    if (bi->count == 0)
        return BLOCKINDEX_OK;
    struct blockindex_entry **order = malloc(bi->count * sizeof *order);
    if (!order)
        return fail(BLOCKINDEX_ERR_NOMEM, err, errlen, "sorting %zu entries", bi->count);
    for (size_t i = 0; i < bi->count; i++)
        order[i] = blockindex_entry_at(bi, i);
    qsort(order, bi->count, sizeof *order, by_height);
    enum blockindex_err r = BLOCKINDEX_OK;
    char hx[2 * SHA256_LEN + 1];
    for (size_t i = 0; i < bi->count && r == BLOCKINDEX_OK; i++) {
        struct blockindex_entry *e = order[i];
        uint64_t stored = e->height;
        struct blockindex_entry *prev = NULL;
        hex_encode(e->hash, SHA256_LEN, hx);
        if (is_zero_hash(e->header.prev_hash)) {
            if (bi->root || stored != 0) {
                r = fail(BLOCKINDEX_ERR_CORRUPT, err, errlen,
                         "block %s has no parent but is not the one genesis block", hx);
                break;
            }
        } else {
            prev = blockindex_find(bi, e->header.prev_hash);
            if (!prev || prev->height + 1 != stored || stored == 0) {
                r = fail(BLOCKINDEX_ERR_CORRUPT, err, errlen,
                         "block %s at height %llu: parent %s", hx, (unsigned long long)stored,
                         prev ? "at the wrong height" : "missing");
                break;
            }
        }
        if (link_entry(e, prev) != BLOCKINDEX_OK) {
            r = fail(BLOCKINDEX_ERR_CORRUPT, err, errlen, "block %s: bad bits or work overflow",
                     hx);
            break;
        }
        if (!prev)
            bi->root = e;
        if (e->seq >= bi->next_seq)
            bi->next_seq = e->seq + 1;
    }
    free(order);
    return r;
}

enum blockindex_err blockindex_load_record(struct blockindex *bi, const uint8_t *key, size_t klen,
                                           const uint8_t *val, size_t vlen, char *err,
                                           size_t errlen)
{
    if (klen != BLOCKINDEX_ENTRY_KEY_LEN || key[0] != ENTRY_PREFIX)
        return fail(BLOCKINDEX_ERR_CORRUPT, err, errlen, "entry key of %zu bytes", klen);
    char hx[2 * SHA256_LEN + 1];
    hex_encode(key + 1, SHA256_LEN, hx);
    if (blockindex_find(bi, key + 1))
        return fail(BLOCKINDEX_ERR_CORRUPT, err, errlen, "entry %s twice", hx);
    struct blockindex_entry *e = reserve_entry(bi);
    if (!e)
        return fail(BLOCKINDEX_ERR_NOMEM, err, errlen, "loading entry %zu", bi->count);
    enum ser_err se = blockindex_entry_decode(val, vlen, e);
    if (se != SER_OK)
        return fail(BLOCKINDEX_ERR_CORRUPT, err, errlen, "entry %s: %s", hx, ser_strerror(se));
    memcpy(e->hash, key + 1, SHA256_LEN);
    uint8_t h[SHA256_LEN];
    block_header_hash(&e->header, h);
    if (memcmp(h, e->hash, SHA256_LEN) != 0)
        return fail(BLOCKINDEX_ERR_CORRUPT, err, errlen, "entry %s holds another header", hx);
    bi->count++;
    table_put(bi, e);
    return BLOCKINDEX_OK;
}

enum blockindex_err blockindex_load(struct blockindex *bi, struct db *db,
                                    struct blockindex_meta *meta, bool *has_meta, char *err,
                                    size_t errlen)
{
    blockindex_clear(bi);
    struct blockindex_meta m;
    bool hm;
    enum blockindex_err r = load_meta(db, &m, &hm, err, errlen);
    if (r != BLOCKINDEX_OK)
        return r;
    struct db_iter *it = db_iter_new(db);
    if (!it)
        return fail(BLOCKINDEX_ERR_NOMEM, err, errlen, "creating an iterator");
    const uint8_t prefix = ENTRY_PREFIX;
    for (db_iter_seek_prefix(it, &prefix, 1); db_iter_valid(it); db_iter_next(it)) {
        size_t klen, vlen;
        const uint8_t *k = db_iter_key(it, &klen);
        const uint8_t *v = db_iter_value(it, &vlen);
        r = blockindex_load_record(bi, k, klen, v, vlen, err, errlen);
        if (r != BLOCKINDEX_OK)
            break;
    }
    char dberr[256];
    if (r == BLOCKINDEX_OK && !db_iter_status(it, dberr, sizeof dberr))
        r = fail(BLOCKINDEX_ERR_DB, err, errlen, "%s", dberr);
    db_iter_free(it);
    if (r == BLOCKINDEX_OK)
        r = blockindex_load_link(bi, err, errlen);
    if (r != BLOCKINDEX_OK) {
        blockindex_clear(bi);
        return r;
    }
    *meta = m;
    *has_meta = hm;
    return BLOCKINDEX_OK;
}

/* ---- the active chain -------------------------------------------------------- */

void blockindex_chain_init(struct blockindex_chain *c) { memset(c, 0, sizeof *c); }

void blockindex_chain_clear(struct blockindex_chain *c)
{
    free(c->v);
    memset(c, 0, sizeof *c);
}

bool blockindex_chain_set_tip(struct blockindex_chain *c, struct blockindex_entry *tip)
{
    if (!tip) {
        c->len = 0;
        return true;
    }
    if (tip->height >= SIZE_MAX / sizeof *c->v - 1)
        return false;
    size_t need = (size_t)tip->height + 1;
    if (!grow_array((void **)&c->v, &c->cap, need, sizeof *c->v, 1024))
        return false;
    /* Rewrite from the tip down until the old chain agrees; slots at or
     * above the old length may hold stale pointers and are never trusted. */
    size_t old_len = c->len;
    for (struct blockindex_entry *e = tip; e && (e->height >= old_len || c->v[e->height] != e);
         e = e->prev)
        c->v[e->height] = e;
    c->len = need;
    return true;
}

struct blockindex_entry *blockindex_chain_tip(const struct blockindex_chain *c)
{
    return c->len ? c->v[c->len - 1] : NULL;
}

struct blockindex_entry *blockindex_chain_genesis(const struct blockindex_chain *c)
{
    return c->len ? c->v[0] : NULL;
}

int64_t blockindex_chain_height(const struct blockindex_chain *c) { return (int64_t)c->len - 1; }

struct blockindex_entry *blockindex_chain_at(const struct blockindex_chain *c, uint64_t height)
{
    return height < c->len ? c->v[height] : NULL;
}

bool blockindex_chain_contains(const struct blockindex_chain *c,
                               const struct blockindex_entry *e)
{
    return e && e->height < c->len && c->v[e->height] == e;
}

struct blockindex_entry *blockindex_chain_next(const struct blockindex_chain *c,
                                               const struct blockindex_entry *e)
{
    if (!blockindex_chain_contains(c, e))
        return NULL;
    return blockindex_chain_at(c, e->height + 1);
}

struct blockindex_entry *blockindex_chain_find_fork(const struct blockindex_chain *c,
                                                    struct blockindex_entry *e)
{
    if (!e || !c->len)
        return NULL;
    if (e->height >= c->len)
        e = blockindex_ancestor(e, c->len - 1);
    /* Membership is monotone along the ancestry, so skips can be taken
     * whenever they land outside the chain; a last step confirms. */
    while (e && !blockindex_chain_contains(c, e)) {
        if (e->skip && !blockindex_chain_contains(c, e->skip))
            e = e->skip;
        else
            e = e->prev;
    }
    return e;
}

/* ---- candidates -------------------------------------------------------------- */

void blockindex_candidates_init(struct blockindex_candidates *s) { memset(s, 0, sizeof *s); }

void blockindex_candidates_clear(struct blockindex_candidates *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* First index whose entry is not better than e (where e belongs). */
static size_t cand_lower(const struct blockindex_candidates *s, const struct blockindex_entry *e)
{
    size_t lo = 0, hi = s->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (blockindex_better(s->v[mid], e))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool blockindex_candidates_add(struct blockindex_candidates *s, struct blockindex_entry *e)
{
    size_t i = cand_lower(s, e);
    if (i < s->len && s->v[i] == e)
        return true;
    if (!grow_array((void **)&s->v, &s->cap, s->len + 1, sizeof *s->v, 16))
        return false;
    memmove(s->v + i + 1, s->v + i, (s->len - i) * sizeof *s->v);
    s->v[i] = e;
    s->len++;
    return true;
}

void blockindex_candidates_remove(struct blockindex_candidates *s,
                                  const struct blockindex_entry *e)
{
    size_t i = cand_lower(s, e);
    if (i < s->len && s->v[i] == e) {
        memmove(s->v + i, s->v + i + 1, (s->len - i - 1) * sizeof *s->v);
        s->len--;
    }
}

bool blockindex_candidates_contains(const struct blockindex_candidates *s,
                                    const struct blockindex_entry *e)
{
    size_t i = cand_lower(s, e);
    return i < s->len && s->v[i] == e;
}

struct blockindex_entry *blockindex_candidates_best(const struct blockindex_candidates *s)
{
    return s->len ? s->v[0] : NULL;
}

void blockindex_candidates_prune(struct blockindex_candidates *s,
                                 const struct blockindex_entry *tip)
{
    /* Everything from tip's place on is tip itself or worse than it. */
    size_t i = cand_lower(s, tip);
    if (i < s->len && s->v[i] == tip)
        i++;
    s->len = i;
}
