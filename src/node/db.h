/* db: a thin layer over LevelDB's C API for the node's databases
 * (blocks/index, chainstate, indexes).
 *
 * A struct db owns one open LevelDB handle with its block cache, bloom
 * filter and read/write option objects. Batches and iterators are separate
 * objects owned by whoever created them; an iterator must be freed before
 * its db is closed.
 *
 * Nothing here aborts or logs: every failure returns false and copies
 * LevelDB's own error text into the caller's (err, errlen) buffer, so the
 * caller decides how to report a corrupt or unwritable database. Keys and
 * values are arbitrary bytes. LevelDB itself is thread-safe for gets, puts
 * and batch writes; one batch or iterator must not be shared between
 * threads. */
#ifndef SOUK_NODE_DB_H
#define SOUK_NODE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct db;
struct db_batch;
struct db_iter;

struct db_options {
    size_t cache_bytes;        /* LRU block cache; 0 picks DB_DEFAULT_CACHE */
    size_t write_buffer_bytes; /* memtable size; 0 picks LevelDB's default (4 MiB) */
    bool create_if_missing;
    bool wipe;                 /* destroy any existing database first (-reindex) */
};

#define DB_DEFAULT_CACHE ((size_t)8 << 20)
/* Bits per key of the bloom filter (LevelDB's recommended value). */
#define DB_BLOOM_BITS 10

/* Defaults: create_if_missing, default cache, no wipe. */
void db_options_default(struct db_options *opt);

/* Opens (or creates) the database in directory path. Paranoid checks are
 * off; a bloom filter speeds up lookups of absent keys. On failure *out is
 * untouched and err holds LevelDB's message. */
bool db_open(const char *path, const struct db_options *opt, struct db **out, char *err,
             size_t errlen);
/* Closes and frees; NULL is a no-op. */
void db_close(struct db *db);
/* Removes every file of the database at path (it must not be open). A
 * missing database is not an error. */
bool db_destroy(const char *path, char *err, size_t errlen);

/* Reads key. Found: the value replaces val's contents, *found = true.
 * Absent: *found = false, val is untouched. */
bool db_get(struct db *db, const void *key, size_t klen, struct buf *val, bool *found,
            char *err, size_t errlen);
bool db_exists(struct db *db, const void *key, size_t klen, bool *found, char *err,
               size_t errlen);
/* sync: fsync the log before returning (survives a power cut, not just a
 * process crash). */
bool db_put(struct db *db, const void *key, size_t klen, const void *val, size_t vlen,
            bool sync, char *err, size_t errlen);
/* Deleting an absent key succeeds. */
bool db_delete(struct db *db, const void *key, size_t klen, bool sync, char *err,
               size_t errlen);

/* ---- write batches: applied atomically by db_write ---------------------- */

/* NULL only on allocation failure. */
struct db_batch *db_batch_new(void);
void db_batch_free(struct db_batch *b);
/* Forgets every queued operation; the batch is reusable. */
void db_batch_clear(struct db_batch *b);
void db_batch_put(struct db_batch *b, const void *key, size_t klen, const void *val,
                  size_t vlen);
void db_batch_delete(struct db_batch *b, const void *key, size_t klen);
/* Queued operations and an estimate of their bytes, for deciding when a
 * large batch (a reindex) should be written out. */
size_t db_batch_count(const struct db_batch *b);
size_t db_batch_bytes(const struct db_batch *b);
/* Applies every operation of the batch at once, or none of them. The
 * batch keeps its contents (clear it to reuse). */
bool db_write(struct db *db, struct db_batch *b, bool sync, char *err, size_t errlen);

/* ---- iterators ----------------------------------------------------------- */

/* Iterates a consistent snapshot taken at creation. NULL only on
 * allocation failure. The iterator starts unpositioned (not valid). */
struct db_iter *db_iter_new(struct db *db);
void db_iter_free(struct db_iter *it);
void db_iter_seek_first(struct db_iter *it);
/* First key >= key. Removes any prefix bound. */
void db_iter_seek(struct db_iter *it, const void *key, size_t klen);
/* First key starting with prefix; from here on the iterator is valid only
 * while keys keep that prefix (plen <= DB_ITER_PREFIX_MAX). */
#define DB_ITER_PREFIX_MAX 64
void db_iter_seek_prefix(struct db_iter *it, const void *prefix, size_t plen);
/* Seeks to start (which should itself begin with the prefix) and bounds
 * iteration to keys starting with prefix: resuming a prefix scan. */
void db_iter_seek_prefix_from(struct db_iter *it, const void *prefix, size_t plen,
                              const void *start, size_t slen);
bool db_iter_valid(const struct db_iter *it);
/* Only when valid. */
void db_iter_next(struct db_iter *it);
/* Views into the iterator's current entry, valid until it moves or is
 * freed. Only when valid. */
const uint8_t *db_iter_key(const struct db_iter *it, size_t *klen);
const uint8_t *db_iter_value(const struct db_iter *it, size_t *vlen);
/* False (with LevelDB's message) when iteration stopped on an error rather
 * than at the end of the data: check after a loop ends. */
bool db_iter_status(const struct db_iter *it, char *err, size_t errlen);

#endif
