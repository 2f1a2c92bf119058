/* blockstore: the append-only block and undo files under datadir/<net>/blocks.
 *
 *   blk00000.dat  records [magic 4][length 4 LE][block msgpack]
 *   rev00000.dat  records [magic 4][length 4 LE][undo bytes][checksum 32]
 *                 checksum = SHA256(block hash || undo bytes)
 *
 * The magic is the network's message start. A file takes records until the
 * next one would push it past max_file_size (128 MiB); a record larger than
 * that gets a file of its own. Block and undo files roll over independently.
 * A position is {file number, offset of the record's magic}.
 *
 * Owns the write cursor (the current file of each kind and its size) and the
 * two file descriptors it appends through. Nothing read from disk is
 * trusted: a length is checked against the record kind's limit and the
 * file's real size before anything is allocated, and every failure is an
 * enum blockstore_err plus a message naming the file and offset.
 *
 * Threads: writes, flush, open and close need the caller's serialisation
 * (the chain lock). Reads only use the directory and magic, which never
 * change after open, so they may run from any thread at any time. */
#ifndef SOUK_NODE_BLOCKSTORE_H
#define SOUK_NODE_BLOCKSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "crypto/sha256.h"
#include "util/buf.h"

#define BLOCKSTORE_MAGIC_LEN 4
#define BLOCKSTORE_RECORD_HEADER 8
#define BLOCKSTORE_MAX_FILE_SIZE ((uint32_t)128 << 20)
/* Largest undo payload (without its checksum). Undo holds the old value of
 * every key a block wrote, so it can outgrow its block several times over. */
#define BLOCKSTORE_MAX_UNDO_SIZE ((uint32_t)256 << 20)
#define BLOCKSTORE_PATH_MAX 4096

enum blockstore_err {
    BLOCKSTORE_OK = 0,
    BLOCKSTORE_ERR_IO,        /* open/read/write/fsync/truncate failed (errno in message) */
    BLOCKSTORE_ERR_NO_FILE,   /* the file of that number does not exist */
    BLOCKSTORE_ERR_BAD_MAGIC, /* no record starts at that position */
    BLOCKSTORE_ERR_BAD_LENGTH,/* length field zero or above the record kind's limit */
    BLOCKSTORE_ERR_TRUNCATED, /* the record runs past the end of its file */
    BLOCKSTORE_ERR_CORRUPT,   /* the bytes are not a valid block, or not the block expected */
    BLOCKSTORE_ERR_CHECKSUM,  /* undo checksum mismatch (damaged, or another block's undo) */
    BLOCKSTORE_ERR_TOO_LARGE, /* refusing to write a record above its limit */
    BLOCKSTORE_ERR_NOMEM,
    BLOCKSTORE_ERR_COUNT_     /* number of codes; not an error */
};

/* A fixed sentence per code; never NULL. */
const char *blockstore_strerror(enum blockstore_err e);

struct blockstore_pos {
    uint32_t file;
    uint32_t offset; /* of the record's magic */
};

/* Where the next record of each kind goes. The block index stores it with
 * every flush so that a restart can drop what was appended after it. */
struct blockstore_cursor {
    uint32_t blk_file;
    uint32_t blk_size;
    uint32_t rev_file;
    uint32_t rev_size;
};

struct blockstore {
    char dir[BLOCKSTORE_PATH_MAX];
    uint8_t magic[BLOCKSTORE_MAGIC_LEN];
    uint32_t max_file_size;      /* BLOCKSTORE_MAX_FILE_SIZE; tests lower it */
    struct blockstore_cursor cur;
    int blk_fd;                  /* open on cur.blk_file, or -1 */
    int rev_fd;                  /* open on cur.rev_file, or -1 */
    /* How much of each current file the last fsync made durable: records
     * past it may vanish in a power cut, so nothing that points at them may
     * be committed before blockstore_flush. */
    uint32_t blk_synced;
    uint32_t rev_synced;
};

/* Creates dir (one level) if needed and sets the write cursor.
 * known == NULL: appends after the last existing file of each kind (files
 *   are numbered from 0 without gaps), as -reindex wants.
 * known != NULL: the cursor the block index last saved. Anything after it
 *   (a tail written before a crash, later files) was never indexed and is
 *   removed, so a restart and a -reindex see the same blocks. A file shorter
 *   than the cursor says is left short (its missing records read as errors;
 *   new records still go at the cursor, never over indexed positions).
 * On failure bs is left closed (blockstore_close is still safe). */
enum blockstore_err blockstore_open(struct blockstore *bs, const char *dir,
                                    const uint8_t magic[BLOCKSTORE_MAGIC_LEN],
                                    const struct blockstore_cursor *known, char *err,
                                    size_t errlen);
/* fsyncs and closes the write files. Safe on a failed or closed store. */
void blockstore_close(struct blockstore *bs);
void blockstore_get_cursor(const struct blockstore *bs, struct blockstore_cursor *out);
/* "<dir>/blk00042.dat" or ".../rev00042.dat"; false if it does not fit. */
bool blockstore_file_path(const struct blockstore *bs, bool undo, uint32_t file, char *out,
                          size_t outlen);

/* Appends one block record (bytes = its canonical encoding, 1..BLOCK_MAX_SIZE). */
enum blockstore_err blockstore_write_block(struct blockstore *bs, const void *bytes, size_t len,
                                           struct blockstore_pos *pos, char *err, size_t errlen);
/* The record's payload, checked for magic and length only; replaces out's
 * contents on success. */
enum blockstore_err blockstore_read_block_bytes(const struct blockstore *bs,
                                                struct blockstore_pos pos, struct buf *out,
                                                char *err, size_t errlen);
/* Reads and decodes a block (out initialized; replaced on success). When
 * expect_hash is not NULL the block's hash must equal it. */
enum blockstore_err blockstore_read_block(const struct blockstore *bs, struct blockstore_pos pos,
                                          const uint8_t *expect_hash, struct block *out,
                                          char *err, size_t errlen);

/* Appends the undo record of the block with block_hash (len may be 0). */
enum blockstore_err blockstore_write_undo(struct blockstore *bs,
                                          const uint8_t block_hash[SHA256_LEN], const void *undo,
                                          size_t len, struct blockstore_pos *pos, char *err,
                                          size_t errlen);
/* Reads the undo record at pos and checks its checksum against block_hash;
 * the undo bytes (without checksum) replace out's contents on success. */
enum blockstore_err blockstore_read_undo(const struct blockstore *bs, struct blockstore_pos pos,
                                         const uint8_t block_hash[SHA256_LEN], struct buf *out,
                                         char *err, size_t errlen);

/* fsyncs each current file that has records written since its last sync:
 * after this, every record written is durable. Whoever stores a position
 * (the block index, the chainstate's undo locations) calls it first, as
 * Bitcoin Core's FlushBlockFile comes before its index batch. */
enum blockstore_err blockstore_flush(struct blockstore *bs, char *err, size_t errlen);
/* Whether records were written since the last flush. */
bool blockstore_unsynced(const struct blockstore *bs);
/* Test support: cuts the current files back to what the last flush made
 * durable, as a power cut would, and closes them (the store must be
 * opened again). Used by crash tests right before the process ends. */
void blockstore_drop_unsynced(struct blockstore *bs);

/* ---- sequential scan of one blk file (-reindex) ------------------------- */

struct blockstore_scan {
    int fd;
    uint32_t file;
    uint64_t size;
    uint64_t offset;          /* next byte to examine */
    uint8_t magic[BLOCKSTORE_MAGIC_LEN];
    struct buf bytes;         /* the last record's payload */
    uint64_t records;         /* records yielded so far */
    uint64_t skipped;         /* bytes that were not part of a valid record */
};

/* BLOCKSTORE_ERR_NO_FILE when blk<file>.dat does not exist (the end of the
 * file sequence). On any failure sc needs no close. */
enum blockstore_err blockstore_scan_open(const struct blockstore *bs, uint32_t file,
                                         struct blockstore_scan *sc, char *err, size_t errlen);
/* The next valid block record: its position, its payload (a view valid
 * until the next call) and the decoded block (out initialized; replaced).
 * A record that is damaged, not a canonical block, or cut short by a crash
 * is skipped (counted in sc->skipped) and the scan resumes at the next
 * magic. *end = true (and OK) when the file has no more records. */
enum blockstore_err blockstore_scan_next(struct blockstore_scan *sc, struct blockstore_pos *pos,
                                         const uint8_t **bytes, size_t *len, struct block *out,
                                         bool *end, char *err, size_t errlen);
void blockstore_scan_close(struct blockstore_scan *sc);

#endif
