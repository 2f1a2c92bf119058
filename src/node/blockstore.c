/* pread, pwrite, fsync, ftruncate are POSIX. */
#define _POSIX_C_SOURCE 200809L

#include "node/blockstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hex.h"

/* A directory of up to BLOCKSTORE_PATH_MAX bytes plus "/blk4294967295.dat". */
#define PATH_BUF (BLOCKSTORE_PATH_MAX + 32)

static const char *const err_text[BLOCKSTORE_ERR_COUNT_] = {
    [BLOCKSTORE_OK] = "ok",
    [BLOCKSTORE_ERR_IO] = "block file input/output error",
    [BLOCKSTORE_ERR_NO_FILE] = "block file does not exist",
    [BLOCKSTORE_ERR_BAD_MAGIC] = "no record at this block file position (bad magic)",
    [BLOCKSTORE_ERR_BAD_LENGTH] = "record length out of range",
    [BLOCKSTORE_ERR_TRUNCATED] = "record runs past the end of its file",
    [BLOCKSTORE_ERR_CORRUPT] = "record is not the expected valid block",
    [BLOCKSTORE_ERR_CHECKSUM] = "undo checksum mismatch",
    [BLOCKSTORE_ERR_TOO_LARGE] = "record too large",
    [BLOCKSTORE_ERR_NOMEM] = "out of memory",
};

const char *blockstore_strerror(enum blockstore_err e)
{
    if ((unsigned)e >= BLOCKSTORE_ERR_COUNT_)
        return "unknown block file error";
    return err_text[e];
}

static enum blockstore_err fail(enum blockstore_err e, char *err, size_t errlen, const char *fmt,
                                ...) __attribute__((format(printf, 4, 5)));

/* Writes "<code text>: <details>" and returns e. */
static enum blockstore_err fail(enum blockstore_err e, char *err, size_t errlen, const char *fmt,
                                ...)
{
    if (err && errlen) {
        int n = snprintf(err, errlen, "%s: ", blockstore_strerror(e));
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return e;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool blockstore_file_path(const struct blockstore *bs, bool undo, uint32_t file, char *out,
                          size_t outlen)
{
    int n = snprintf(out, outlen, "%s/%s%05u.dat", bs->dir, undo ? "rev" : "blk", file);
    return n > 0 && (size_t)n < outlen;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Full reads and writes at an offset, retrying short transfers. */
static bool pread_all(int fd, void *p, size_t len, uint64_t off)
{
    uint8_t *b = p;
    while (len) {
        ssize_t r = pread(fd, b, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO;
            return false;
        }
        b += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return true;
}

static bool pwrite_all(int fd, const void *p, size_t len, uint64_t off)
{
    const uint8_t *b = p;
    while (len) {
        ssize_t r = pwrite(fd, b, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        b += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return true;
}

/* A new file's directory entry is only durable once the directory is. */
static bool sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    int saved = errno;
    close(fd);
    errno = saved;
    return ok;
}

static bool file_size(const char *path, bool *exists, uint64_t *size)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return false;
        *exists = false;
        *size = 0;
        return true;
    }
    *exists = true;
    *size = (uint64_t)st.st_size;
    return true;
}

/* known == NULL: the cursor of one kind is the end of its last file. */
static enum blockstore_err find_end(struct blockstore *bs, bool undo, uint32_t *file,
                                    uint32_t *size, char *err, size_t errlen)
{
    char path[PATH_BUF];
    uint32_t n = 0;
    uint64_t last_size = 0;
    for (;;) {
        bool exists;
        uint64_t sz;
        blockstore_file_path(bs, undo, n, path, sizeof path);
        if (!file_size(path, &exists, &sz))
            return fail(BLOCKSTORE_ERR_IO, err, errlen, "%s: %s", path, strerror(errno));
        if (!exists)
            break;
        last_size = sz;
        n++;
    }
    if (n == 0) {
        *file = 0;
        *size = 0;
        return BLOCKSTORE_OK;
    }
    if (last_size > UINT32_MAX)
        return fail(BLOCKSTORE_ERR_TOO_LARGE, err, errlen, "%s is %llu bytes", path,
                    (unsigned long long)last_size);
    *file = n - 1;
    *size = (uint32_t)last_size;
    return BLOCKSTORE_OK;
}

/* known != NULL: drop what lies past the saved cursor of one kind. */
static enum blockstore_err cut_after(struct blockstore *bs, bool undo, uint32_t file,
                                     uint32_t size, char *err, size_t errlen)
{
    char path[PATH_BUF];
    bool exists;
    uint64_t sz;
    blockstore_file_path(bs, undo, file, path, sizeof path);
    if (!file_size(path, &exists, &sz))
        return fail(BLOCKSTORE_ERR_IO, err, errlen, "%s: %s", path, strerror(errno));
    if (exists && sz > size && truncate(path, (off_t)size) != 0)
        return fail(BLOCKSTORE_ERR_IO, err, errlen, "truncating %s: %s", path, strerror(errno));
    for (uint32_t n = file + 1; n != 0; n++) {
        blockstore_file_path(bs, undo, n, path, sizeof path);
        if (unlink(path) != 0) {
            if (errno == ENOENT)
                break;
            return fail(BLOCKSTORE_ERR_IO, err, errlen, "removing %s: %s", path,
                        strerror(errno));
        }
    }
    return BLOCKSTORE_OK;
}

enum blockstore_err blockstore_open(struct blockstore *bs, const char *dir,
                                    const uint8_t magic[BLOCKSTORE_MAGIC_LEN],
                                    const struct blockstore_cursor *known, char *err,
                                    size_t errlen)
{
    memset(bs, 0, sizeof *bs);
    bs->blk_fd = -1;
    bs->rev_fd = -1;
    bs->max_file_size = BLOCKSTORE_MAX_FILE_SIZE;
    size_t dl = strlen(dir);
    if (dl == 0 || dl >= sizeof bs->dir - 16)
        return fail(BLOCKSTORE_ERR_IO, err, errlen, "block directory path too long");
    memcpy(bs->dir, dir, dl + 1);
    memcpy(bs->magic, magic, BLOCKSTORE_MAGIC_LEN);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return fail(BLOCKSTORE_ERR_IO, err, errlen, "creating %s: %s", dir, strerror(errno));
    enum blockstore_err e;
    /* What is there at open is treated as durable: it was written by an
     * earlier process, flushed at its close or before its index entries. */
    if (known) {
        bs->cur = *known;
        if ((e = cut_after(bs, false, known->blk_file, known->blk_size, err, errlen)) ||
            (e = cut_after(bs, true, known->rev_file, known->rev_size, err, errlen)))
            return e;
    } else {
        if ((e = find_end(bs, false, &bs->cur.blk_file, &bs->cur.blk_size, err, errlen)) ||
            (e = find_end(bs, true, &bs->cur.rev_file, &bs->cur.rev_size, err, errlen)))
            return e;
    }
    bs->blk_synced = bs->cur.blk_size;
    bs->rev_synced = bs->cur.rev_size;
    return BLOCKSTORE_OK;
}

void blockstore_close(struct blockstore *bs)
{
    if (bs->blk_fd >= 0) {
        fsync(bs->blk_fd);
        close(bs->blk_fd);
    }
    if (bs->rev_fd >= 0) {
        fsync(bs->rev_fd);
        close(bs->rev_fd);
    }
    bs->blk_fd = -1;
    bs->rev_fd = -1;
}

void blockstore_get_cursor(const struct blockstore *bs, struct blockstore_cursor *out)
{
    *out = bs->cur;
}

/* Appends header + payload (+ trailer) as one record of the given kind,
 * rolling over to a new file when this one would grow past the limit. */
static enum blockstore_err append_record(struct blockstore *bs, bool undo, const void *payload,
                                         size_t len, const uint8_t *trailer, size_t tlen,
                                         struct blockstore_pos *pos, char *err, size_t errlen)
{
    uint32_t *file = undo ? &bs->cur.rev_file : &bs->cur.blk_file;
    uint32_t *size = undo ? &bs->cur.rev_size : &bs->cur.blk_size;
    uint32_t *synced = undo ? &bs->rev_synced : &bs->blk_synced;
    int *fd = undo ? &bs->rev_fd : &bs->blk_fd;
    uint64_t total = BLOCKSTORE_RECORD_HEADER + (uint64_t)len + tlen;
    uint32_t next_file = *file;
    uint64_t offset = *size;
    if (offset > 0 && offset + total > bs->max_file_size) {
        next_file++;
        offset = 0;
    }
    if (next_file == 0 && *file != 0) /* wrapped */
        return fail(BLOCKSTORE_ERR_TOO_LARGE, err, errlen, "no more file numbers");
    if (offset + total > UINT32_MAX)
        return fail(BLOCKSTORE_ERR_TOO_LARGE, err, errlen, "record of %llu bytes",
                    (unsigned long long)total);
    char path[PATH_BUF];
    blockstore_file_path(bs, undo, next_file, path, sizeof path);
    if (next_file != *file && *fd >= 0) {
        /* The finished file is never written again: make it durable now. */
        if (fsync(*fd) != 0)
            return fail(BLOCKSTORE_ERR_IO, err, errlen, "fsync of previous file before %s: %s",
                        path, strerror(errno));
        close(*fd);
        *fd = -1;
    }
    if (*fd < 0) {
        int nfd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (nfd < 0)
            return fail(BLOCKSTORE_ERR_IO, err, errlen, "opening %s: %s", path, strerror(errno));
        *fd = nfd;
        *file = next_file;
        *size = (uint32_t)offset;
        *synced = (uint32_t)offset;
        /* Records in a file whose name a power cut could take are no more
         * durable than unsynced ones. */
        if (!sync_dir(bs->dir))
            return fail(BLOCKSTORE_ERR_IO, err, errlen, "syncing the directory of %s: %s",
                        base_name(path), strerror(errno));
    }

    struct buf rec;
    buf_init(&rec);
    uint8_t hdr[BLOCKSTORE_RECORD_HEADER];
    memcpy(hdr, bs->magic, BLOCKSTORE_MAGIC_LEN);
    put_le32(hdr + 4, (uint32_t)(len + tlen));
    if (!buf_reserve(&rec, (size_t)total) || !buf_append(&rec, hdr, sizeof hdr) ||
        !buf_append(&rec, payload, len) || !buf_append(&rec, trailer, tlen)) {
        buf_clear(&rec);
        return fail(BLOCKSTORE_ERR_NOMEM, err, errlen, "building a record of %llu bytes",
                    (unsigned long long)total);
    }
    bool ok = pwrite_all(*fd, rec.data, rec.len, offset);
    int saved = errno;
    buf_clear(&rec);
    if (!ok) {
        /* The cursor stays put: the next record overwrites this one. */
        return fail(BLOCKSTORE_ERR_IO, err, errlen, "writing %s at %llu: %s", base_name(path),
                    (unsigned long long)offset, strerror(saved));
    }
    pos->file = next_file;
    pos->offset = (uint32_t)offset;
    *size = (uint32_t)(offset + total);
    return BLOCKSTORE_OK;
}

enum blockstore_err blockstore_write_block(struct blockstore *bs, const void *bytes, size_t len,
                                           struct blockstore_pos *pos, char *err, size_t errlen)
{
    if (len == 0 || len > BLOCK_MAX_SIZE)
        return fail(BLOCKSTORE_ERR_TOO_LARGE, err, errlen, "block of %zu bytes", len);
    return append_record(bs, false, bytes, len, NULL, 0, pos, err, errlen);
}

static void undo_checksum(const uint8_t block_hash[SHA256_LEN], const void *undo, size_t len,
                          uint8_t out[SHA256_LEN])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, block_hash, SHA256_LEN);
    sha256_update(&ctx, undo, len);
    sha256_final(&ctx, out);
}

enum blockstore_err blockstore_write_undo(struct blockstore *bs,
                                          const uint8_t block_hash[SHA256_LEN], const void *undo,
                                          size_t len, struct blockstore_pos *pos, char *err,
                                          size_t errlen)
{
    if (len > BLOCKSTORE_MAX_UNDO_SIZE)
        return fail(BLOCKSTORE_ERR_TOO_LARGE, err, errlen, "undo of %zu bytes", len);
    uint8_t sum[SHA256_LEN];
    undo_checksum(block_hash, undo, len, sum);
    return append_record(bs, true, undo, len, sum, sizeof sum, pos, err, errlen);
}

/* Reads the payload of the record at pos whose length must lie in
 * [min_len, max_len]; checks the bounds against the real file size before
 * allocating anything. */
static enum blockstore_err read_record(const struct blockstore *bs, bool undo,
                                       struct blockstore_pos pos, uint32_t min_len,
                                       uint32_t max_len, struct buf *out, char *err,
                                       size_t errlen)
{
    char path[PATH_BUF];
    blockstore_file_path(bs, undo, pos.file, path, sizeof path);
    const char *name = base_name(path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return fail(BLOCKSTORE_ERR_NO_FILE, err, errlen, "%s", name);
        return fail(BLOCKSTORE_ERR_IO, err, errlen, "opening %s: %s", name, strerror(errno));
    }
    enum blockstore_err e = BLOCKSTORE_OK;
    struct stat st;
    uint8_t hdr[BLOCKSTORE_RECORD_HEADER];
    struct buf tmp;
    buf_init(&tmp);
    if (fstat(fd, &st) != 0) {
        e = fail(BLOCKSTORE_ERR_IO, err, errlen, "stat %s: %s", name, strerror(errno));
        goto out;
    }
    uint64_t fsize = (uint64_t)st.st_size;
    if ((uint64_t)pos.offset + BLOCKSTORE_RECORD_HEADER > fsize) {
        e = fail(BLOCKSTORE_ERR_TRUNCATED, err, errlen, "%s:%u header past end of file (%llu bytes)",
                 name, pos.offset, (unsigned long long)fsize);
        goto out;
    }
    if (!pread_all(fd, hdr, sizeof hdr, pos.offset)) {
        e = fail(BLOCKSTORE_ERR_IO, err, errlen, "reading %s:%u: %s", name, pos.offset,
                 strerror(errno));
        goto out;
    }
    if (memcmp(hdr, bs->magic, BLOCKSTORE_MAGIC_LEN) != 0) {
        e = fail(BLOCKSTORE_ERR_BAD_MAGIC, err, errlen, "%s:%u", name, pos.offset);
        goto out;
    }
    uint32_t len = get_le32(hdr + 4);
    if (len < min_len || len > max_len) {
        e = fail(BLOCKSTORE_ERR_BAD_LENGTH, err, errlen, "%s:%u claims %u bytes (allowed %u..%u)",
                 name, pos.offset, len, min_len, max_len);
        goto out;
    }
    if ((uint64_t)pos.offset + BLOCKSTORE_RECORD_HEADER + len > fsize) {
        e = fail(BLOCKSTORE_ERR_TRUNCATED, err, errlen, "%s:%u claims %u bytes, file has %llu",
                 name, pos.offset, len, (unsigned long long)fsize);
        goto out;
    }
    if (!buf_reserve(&tmp, len)) {
        e = fail(BLOCKSTORE_ERR_NOMEM, err, errlen, "%s:%u, %u bytes", name, pos.offset, len);
        goto out;
    }
    if (!pread_all(fd, tmp.data, len, (uint64_t)pos.offset + BLOCKSTORE_RECORD_HEADER)) {
        e = fail(BLOCKSTORE_ERR_IO, err, errlen, "reading %s:%u: %s", name, pos.offset,
                 strerror(errno));
        goto out;
    }
    tmp.len = len;
    buf_clear(out);
    *out = tmp;
    buf_init(&tmp);
out:
    buf_clear(&tmp);
    close(fd);
    return e;
}

enum blockstore_err blockstore_read_block_bytes(const struct blockstore *bs,
                                                struct blockstore_pos pos, struct buf *out,
                                                char *err, size_t errlen)
{
    return read_record(bs, false, pos, 1, BLOCK_MAX_SIZE, out, err, errlen);
}

enum blockstore_err blockstore_read_block(const struct blockstore *bs, struct blockstore_pos pos,
                                          const uint8_t *expect_hash, struct block *out,
                                          char *err, size_t errlen)
{
    struct buf bytes;
    buf_init(&bytes);
    enum blockstore_err e = blockstore_read_block_bytes(bs, pos, &bytes, err, errlen);
    if (e != BLOCKSTORE_OK)
        return e;
    struct block tmp;
    block_init(&tmp);
    enum ser_err se = block_decode(bytes.data, bytes.len, &tmp);
    buf_clear(&bytes);
    if (se != SER_OK) {
        block_clear(&tmp);
        return fail(BLOCKSTORE_ERR_CORRUPT, err, errlen, "blk%05u.dat:%u: %s", pos.file,
                    pos.offset, ser_strerror(se));
    }
    if (expect_hash) {
        uint8_t h[SHA256_LEN];
        block_hash(&tmp, h);
        if (memcmp(h, expect_hash, SHA256_LEN) != 0) {
            char got[2 * SHA256_LEN + 1], want[2 * SHA256_LEN + 1];
            hex_encode(h, SHA256_LEN, got);
            hex_encode(expect_hash, SHA256_LEN, want);
            block_clear(&tmp);
            return fail(BLOCKSTORE_ERR_CORRUPT, err, errlen, "blk%05u.dat:%u holds block %s, expected %s",
                        pos.file, pos.offset, got, want);
        }
    }
    block_clear(out);
    *out = tmp;
    return BLOCKSTORE_OK;
}

enum blockstore_err blockstore_read_undo(const struct blockstore *bs, struct blockstore_pos pos,
                                         const uint8_t block_hash[SHA256_LEN], struct buf *out,
                                         char *err, size_t errlen)
{
    struct buf rec;
    buf_init(&rec);
    enum blockstore_err e = read_record(bs, true, pos, SHA256_LEN,
                                        BLOCKSTORE_MAX_UNDO_SIZE + SHA256_LEN, &rec, err, errlen);
    if (e != BLOCKSTORE_OK)
        return e;
    size_t n = rec.len - SHA256_LEN;
    uint8_t sum[SHA256_LEN];
    undo_checksum(block_hash, rec.data, n, sum);
    if (memcmp(sum, rec.data + n, SHA256_LEN) != 0) {
        buf_clear(&rec);
        char hx[2 * SHA256_LEN + 1];
        hex_encode(block_hash, SHA256_LEN, hx);
        return fail(BLOCKSTORE_ERR_CHECKSUM, err, errlen,
                    "rev%05u.dat:%u is damaged or is not the undo of block %s", pos.file,
                    pos.offset, hx);
    }
    rec.len = n;
    buf_clear(out);
    *out = rec;
    return BLOCKSTORE_OK;
}

enum blockstore_err blockstore_flush(struct blockstore *bs, char *err, size_t errlen)
{
    if (bs->blk_fd >= 0 && bs->blk_synced != bs->cur.blk_size) {
        if (fsync(bs->blk_fd) != 0)
            return fail(BLOCKSTORE_ERR_IO, err, errlen, "fsync blk%05u.dat: %s",
                        bs->cur.blk_file, strerror(errno));
        bs->blk_synced = bs->cur.blk_size;
    }
    if (bs->rev_fd >= 0 && bs->rev_synced != bs->cur.rev_size) {
        if (fsync(bs->rev_fd) != 0)
            return fail(BLOCKSTORE_ERR_IO, err, errlen, "fsync rev%05u.dat: %s",
                        bs->cur.rev_file, strerror(errno));
        bs->rev_synced = bs->cur.rev_size;
    }
    return BLOCKSTORE_OK;
}

bool blockstore_unsynced(const struct blockstore *bs)
{
    return (bs->blk_fd >= 0 && bs->blk_synced != bs->cur.blk_size) ||
           (bs->rev_fd >= 0 && bs->rev_synced != bs->cur.rev_size);
}

void blockstore_drop_unsynced(struct blockstore *bs)
{
    if (bs->blk_fd >= 0 && ftruncate(bs->blk_fd, (off_t)bs->blk_synced) == 0)
        bs->cur.blk_size = bs->blk_synced;
    if (bs->rev_fd >= 0 && ftruncate(bs->rev_fd, (off_t)bs->rev_synced) == 0)
        bs->cur.rev_size = bs->rev_synced;
    blockstore_close(bs);
}

/* ---- scanning ------------------------------------------------------------ */

enum blockstore_err blockstore_scan_open(const struct blockstore *bs, uint32_t file,
                                         struct blockstore_scan *sc, char *err, size_t errlen)
{
    char path[PATH_BUF];
    blockstore_file_path(bs, false, file, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return fail(BLOCKSTORE_ERR_NO_FILE, err, errlen, "%s", base_name(path));
        return fail(BLOCKSTORE_ERR_IO, err, errlen, "opening %s: %s", base_name(path),
                    strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        return fail(BLOCKSTORE_ERR_IO, err, errlen, "stat %s: %s", base_name(path),
                    strerror(saved));
    }
    memset(sc, 0, sizeof *sc);
    sc->fd = fd;
    sc->file = file;
    sc->size = (uint64_t)st.st_size;
    memcpy(sc->magic, bs->magic, BLOCKSTORE_MAGIC_LEN);
    buf_init(&sc->bytes);
    return BLOCKSTORE_OK;
}

void blockstore_scan_close(struct blockstore_scan *sc)
{
    if (sc->fd >= 0)
        close(sc->fd);
    sc->fd = -1;
    buf_clear(&sc->bytes);
}

/* Moves sc->offset to the next occurrence of the magic at or after from
 * (or to the end of the file), counting the bytes passed over. */
static bool scan_resync(struct blockstore_scan *sc, uint64_t from)
{
    uint8_t chunk[65536];
    uint64_t at = from;
    while (at + BLOCKSTORE_MAGIC_LEN <= sc->size) {
        size_t want = sizeof chunk;
        if (sc->size - at < want)
            want = (size_t)(sc->size - at);
        if (!pread_all(sc->fd, chunk, want, at))
            return false;
        for (size_t i = 0; i + BLOCKSTORE_MAGIC_LEN <= want; i++) {
            if (chunk[i] == sc->magic[0] &&
                memcmp(chunk + i, sc->magic, BLOCKSTORE_MAGIC_LEN) == 0) {
                sc->skipped += at + i - sc->offset;
                sc->offset = at + i;
                return true;
            }
        }
        /* Overlap so a magic straddling two chunks is still found. */
        at += want - (BLOCKSTORE_MAGIC_LEN - 1);
    }
    sc->skipped += sc->size - sc->offset;
    sc->offset = sc->size;
    return true;
}

enum blockstore_err blockstore_scan_next(struct blockstore_scan *sc, struct blockstore_pos *pos,
                                         const uint8_t **bytes, size_t *len, struct block *out,
                                         bool *end, char *err, size_t errlen)
{
    for (;;) {
        if (sc->offset + BLOCKSTORE_RECORD_HEADER > sc->size) {
            /* A partial header is a crash's leftover: the end. */
            sc->skipped += sc->size - sc->offset;
            sc->offset = sc->size;
            *end = true;
            return BLOCKSTORE_OK;
        }
        uint8_t hdr[BLOCKSTORE_RECORD_HEADER];
        if (!pread_all(sc->fd, hdr, sizeof hdr, sc->offset))
            return fail(BLOCKSTORE_ERR_IO, err, errlen, "reading blk%05u.dat:%llu: %s", sc->file,
                        (unsigned long long)sc->offset, strerror(errno));
        uint32_t n = get_le32(hdr + 4);
        bool good = memcmp(hdr, sc->magic, BLOCKSTORE_MAGIC_LEN) == 0 && n > 0 &&
                    n <= BLOCK_MAX_SIZE &&
                    sc->offset + BLOCKSTORE_RECORD_HEADER + n <= sc->size;
        if (good) {
            buf_reset(&sc->bytes);
            if (!buf_reserve(&sc->bytes, n))
                return fail(BLOCKSTORE_ERR_NOMEM, err, errlen, "%u bytes", n);
            if (!pread_all(sc->fd, sc->bytes.data, n, sc->offset + BLOCKSTORE_RECORD_HEADER))
                return fail(BLOCKSTORE_ERR_IO, err, errlen, "reading blk%05u.dat:%llu: %s",
                            sc->file, (unsigned long long)sc->offset, strerror(errno));
            sc->bytes.len = n;
            struct block tmp;
            block_init(&tmp);
            if (block_decode(sc->bytes.data, n, &tmp) == SER_OK) {
                pos->file = sc->file;
                pos->offset = (uint32_t)sc->offset;
                *bytes = sc->bytes.data;
                *len = n;
                block_clear(out);
                *out = tmp;
                sc->offset += BLOCKSTORE_RECORD_HEADER + n;
                sc->records++;
                *end = false;
                return BLOCKSTORE_OK;
            }
            block_clear(&tmp);
        }
        uint64_t start = sc->offset;
        if (!scan_resync(sc, start + 1))
            return fail(BLOCKSTORE_ERR_IO, err, errlen, "reading blk%05u.dat: %s", sc->file,
                        strerror(errno));
    }
}
