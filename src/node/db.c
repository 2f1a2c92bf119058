#include "node/db.h"

#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

struct db {
    leveldb_t *ldb;
    leveldb_options_t *opts;
    leveldb_cache_t *cache;
    leveldb_filterpolicy_t *bloom;
    leveldb_readoptions_t *ropts;
    leveldb_writeoptions_t *wopts;
    leveldb_writeoptions_t *wopts_sync;
};

struct db_batch {
    leveldb_writebatch_t *wb;
    size_t count;
    size_t bytes;
};

struct db_iter {
    leveldb_iterator_t *it;
    leveldb_readoptions_t *ropts;
    uint8_t prefix[DB_ITER_PREFIX_MAX];
    size_t plen;
};

/* Copies LevelDB's message (and frees it: LevelDB allocated it). */
static bool take_error(char *lerr, const char *what, char *err, size_t errlen)
{
    if (!lerr)
        return true;
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", what, lerr);
    leveldb_free(lerr);
    return false;
}

void db_options_default(struct db_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->create_if_missing = true;
}

static void db_free_parts(struct db *db)
{
    if (db->ldb)
        leveldb_close(db->ldb);
    if (db->opts)
        leveldb_options_destroy(db->opts);
    /* The options only borrow these, so they go after the db is closed. */
    if (db->bloom)
        leveldb_filterpolicy_destroy(db->bloom);
    if (db->cache)
        leveldb_cache_destroy(db->cache);
    if (db->ropts)
        leveldb_readoptions_destroy(db->ropts);
    if (db->wopts)
        leveldb_writeoptions_destroy(db->wopts);
    if (db->wopts_sync)
        leveldb_writeoptions_destroy(db->wopts_sync);
    free(db);
}

bool db_destroy(const char *path, char *err, size_t errlen)
{
    leveldb_options_t *o = leveldb_options_create();
    char *lerr = NULL;
    leveldb_destroy_db(o, path, &lerr);
    leveldb_options_destroy(o);
    return take_error(lerr, "cannot remove database", err, errlen);
}

bool db_open(const char *path, const struct db_options *opt, struct db **out, char *err,
             size_t errlen)
{
    if (opt->wipe && !db_destroy(path, err, errlen))
        return false;
    struct db *db = calloc(1, sizeof *db);
    if (!db) {
        str_set_err(err, errlen, "out of memory opening database");
        return false;
    }
    db->opts = leveldb_options_create();
    db->cache = leveldb_cache_create_lru(opt->cache_bytes ? opt->cache_bytes : DB_DEFAULT_CACHE);
    db->bloom = leveldb_filterpolicy_create_bloom(DB_BLOOM_BITS);
    db->ropts = leveldb_readoptions_create();
    db->wopts = leveldb_writeoptions_create();
    db->wopts_sync = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(db->wopts_sync, 1);
    leveldb_options_set_create_if_missing(db->opts, opt->create_if_missing);
    leveldb_options_set_paranoid_checks(db->opts, 0);
    leveldb_options_set_cache(db->opts, db->cache);
    leveldb_options_set_filter_policy(db->opts, db->bloom);
    /* Hashes and msgpack barely compress; save the CPU. */
    leveldb_options_set_compression(db->opts, leveldb_no_compression);
    if (opt->write_buffer_bytes)
        leveldb_options_set_write_buffer_size(db->opts, opt->write_buffer_bytes);
    char *lerr = NULL;
    db->ldb = leveldb_open(db->opts, path, &lerr);
    if (lerr) {
        take_error(lerr, "cannot open database", err, errlen);
        db->ldb = NULL;
        db_free_parts(db);
        return false;
    }
    *out = db;
    return true;
}

void db_close(struct db *db)
{
    if (db)
        db_free_parts(db);
}

bool db_get(struct db *db, const void *key, size_t klen, struct buf *val, bool *found,
            char *err, size_t errlen)
{
    char *lerr = NULL;
    size_t vlen = 0;
    char *v = leveldb_get(db->ldb, db->ropts, key, klen, &vlen, &lerr);
    if (!take_error(lerr, "database read failed", err, errlen)) {
        leveldb_free(v);
        return false;
    }
    if (!v) {
        *found = false;
        return true;
    }
    struct buf tmp;
    buf_init(&tmp);
    bool ok = buf_append(&tmp, v, vlen);
    leveldb_free(v);
    if (!ok) {
        str_set_err(err, errlen, "out of memory reading database");
        return false;
    }
    buf_clear(val);
    *val = tmp;
    *found = true;
    return true;
}

bool db_exists(struct db *db, const void *key, size_t klen, bool *found, char *err,
               size_t errlen)
{
    char *lerr = NULL;
    size_t vlen = 0;
    char *v = leveldb_get(db->ldb, db->ropts, key, klen, &vlen, &lerr);
    bool ok = take_error(lerr, "database read failed", err, errlen);
    if (ok)
        *found = v != NULL;
    leveldb_free(v);
    return ok;
}

bool db_put(struct db *db, const void *key, size_t klen, const void *val, size_t vlen,
            bool sync, char *err, size_t errlen)
{
    char *lerr = NULL;
    leveldb_put(db->ldb, sync ? db->wopts_sync : db->wopts, key, klen, val, vlen, &lerr);
    return take_error(lerr, "database write failed", err, errlen);
}

bool db_delete(struct db *db, const void *key, size_t klen, bool sync, char *err,
               size_t errlen)
{
    char *lerr = NULL;
    leveldb_delete(db->ldb, sync ? db->wopts_sync : db->wopts, key, klen, &lerr);
    return take_error(lerr, "database write failed", err, errlen);
}

struct db_batch *db_batch_new(void)
{
    struct db_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->wb = leveldb_writebatch_create();
    return b;
}

void db_batch_free(struct db_batch *b)
{
    if (!b)
        return;
    leveldb_writebatch_destroy(b->wb);
    free(b);
}

void db_batch_clear(struct db_batch *b)
{
    leveldb_writebatch_clear(b->wb);
    b->count = 0;
    b->bytes = 0;
}

void db_batch_put(struct db_batch *b, const void *key, size_t klen, const void *val, size_t vlen)
{
    leveldb_writebatch_put(b->wb, key, klen, val, vlen);
    b->count++;
    b->bytes += klen + vlen + 8;
}

void db_batch_delete(struct db_batch *b, const void *key, size_t klen)
{
    leveldb_writebatch_delete(b->wb, key, klen);
    b->count++;
    b->bytes += klen + 8;
}

size_t db_batch_count(const struct db_batch *b) { return b->count; }
size_t db_batch_bytes(const struct db_batch *b) { return b->bytes; }

bool db_write(struct db *db, struct db_batch *b, bool sync, char *err, size_t errlen)
{
    char *lerr = NULL;
    leveldb_write(db->ldb, sync ? db->wopts_sync : db->wopts, b->wb, &lerr);
    return take_error(lerr, "database batch write failed", err, errlen);
}

struct db_iter *db_iter_new(struct db *db)
{
    struct db_iter *it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    it->ropts = leveldb_readoptions_create();
    /* A full scan (state hash, reindex) should not evict the hot blocks. */
    leveldb_readoptions_set_fill_cache(it->ropts, 0);
    it->it = leveldb_create_iterator(db->ldb, it->ropts);
    return it;
}

void db_iter_free(struct db_iter *it)
{
    if (!it)
        return;
    leveldb_iter_destroy(it->it);
    leveldb_readoptions_destroy(it->ropts);
    free(it);
}

void db_iter_seek_first(struct db_iter *it)
{
    it->plen = 0;
    leveldb_iter_seek_to_first(it->it);
}

void db_iter_seek(struct db_iter *it, const void *key, size_t klen)
{
    it->plen = 0;
    leveldb_iter_seek(it->it, key, klen);
}

void db_iter_seek_prefix_from(struct db_iter *it, const void *prefix, size_t plen,
                              const void *start, size_t slen)
{
    if (plen > DB_ITER_PREFIX_MAX)
        plen = DB_ITER_PREFIX_MAX;
    memcpy(it->prefix, prefix, plen);
    it->plen = plen;
    leveldb_iter_seek(it->it, start, slen);
}

void db_iter_seek_prefix(struct db_iter *it, const void *prefix, size_t plen)
{
    size_t n = plen > DB_ITER_PREFIX_MAX ? DB_ITER_PREFIX_MAX : plen;
    db_iter_seek_prefix_from(it, prefix, n, prefix, n);
}

bool db_iter_valid(const struct db_iter *it)
{
    if (!leveldb_iter_valid(it->it))
        return false;
    if (it->plen == 0)
        return true;
    size_t klen = 0;
    const char *k = leveldb_iter_key(it->it, &klen);
    return klen >= it->plen && memcmp(k, it->prefix, it->plen) == 0;
}

void db_iter_next(struct db_iter *it) { leveldb_iter_next(it->it); }

const uint8_t *db_iter_key(const struct db_iter *it, size_t *klen)
{
    return (const uint8_t *)leveldb_iter_key(it->it, klen);
}

const uint8_t *db_iter_value(const struct db_iter *it, size_t *vlen)
{
    return (const uint8_t *)leveldb_iter_value(it->it, vlen);
}

bool db_iter_status(const struct db_iter *it, char *err, size_t errlen)
{
    char *lerr = NULL;
    leveldb_iter_get_error(it->it, &lerr);
    return take_error(lerr, "database iteration failed", err, errlen);
}
