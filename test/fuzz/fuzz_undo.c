/* Undo records as the chain reads them back to disconnect a block: a record
 * of a rev*.dat file (magic, length, undo bytes, SHA-256 of the block hash
 * and the undo bytes) through blockstore_read_undo, and the undo bytes
 * through state_undo_for_each.
 *
 * The input is one flags byte and the undo bytes. The target frames them
 * itself (behind a few bytes of another record, with the right magic,
 * length and checksum), so mutations reach the undo decoder instead of
 * dying at the checksum; flags damage the record on purpose (wrong magic,
 * cut short, wrong checksum) or make the rest of the input the whole file,
 * read at an offset the flags give. A sound record reads back as exactly
 * the undo bytes and blockstore_write_undo writes exactly that record; a
 * damaged one fails with the error its damage calls for.
 *
 * Undo bytes that decode yield keys of 1 to STATE_KEY_MAX bytes; when the
 * keys are distinct, the changes made through a state view over the values
 * the record restores encode (state_view_undo_encode) to the same bytes. */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#include "consensus/state.h"
#include "node/blockstore.h"

#define DAMAGE_NONE 0
#define DAMAGE_CUT 1      /* the file ends one byte short */
#define DAMAGE_CHECKSUM 2 /* a checksum bit flipped */
#define DAMAGE_RAW 3      /* no framing: the input is the file */
#define FLAG_BAD_MAGIC 4
/* Changes replayed through a state view (each lookup is a linear search). */
#define ROUND_TRIP_MAX 64

static const uint8_t magic[BLOCKSTORE_MAGIC_LEN] = {0x72, 0x73, 0x6f, 0x6b};
static const uint8_t of_block[SHA256_LEN] = {0x42, 0x42, 0x42};

static struct blockstore reader, writer;
static char rev_path[BLOCKSTORE_PATH_MAX], writer_dir[BLOCKSTORE_PATH_MAX],
    written_path[BLOCKSTORE_PATH_MAX];
static struct buf file, body, back, enc, keys;

static void setup(void)
{
    static bool done;
    if (done)
        return;
    char dir[256], err[256];
    FUZZ_ASSERT(fuzz_tmpdir(dir, sizeof dir, "undo"));
    char sub[300];
    snprintf(sub, sizeof sub, "%s/r", dir);
    FUZZ_ASSERT(blockstore_open(&reader, sub, magic, NULL, err, sizeof err) == BLOCKSTORE_OK);
    FUZZ_ASSERT(blockstore_file_path(&reader, true, 0, rev_path, sizeof rev_path));
    snprintf(writer_dir, sizeof writer_dir, "%s/w", dir);
    FUZZ_ASSERT(blockstore_open(&writer, writer_dir, magic, NULL, err, sizeof err) ==
                BLOCKSTORE_OK);
    FUZZ_ASSERT(blockstore_file_path(&writer, true, 0, written_path, sizeof written_path));
    buf_init(&file);
    buf_init(&body);
    buf_init(&back);
    buf_init(&enc);
    buf_init(&keys);
    done = true;
}

static void write_file(const char *path, const uint8_t *p, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_ASSERT(fd >= 0);
    FUZZ_ASSERT(len == 0 || write(fd, p, len) == (ssize_t)len);
    FUZZ_ASSERT(close(fd) == 0);
}

static void read_file(const char *path, struct buf *out)
{
    buf_reset(out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    FUZZ_ASSERT(fd >= 0);
    uint8_t chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        FUZZ_ASSERT(buf_append(out, chunk, (size_t)n));
    FUZZ_ASSERT(n == 0 && close(fd) == 0);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The record blockstore_write_undo writes, appended to out. */
static void frame(const uint8_t *undo, size_t len, struct buf *out)
{
    uint8_t hdr[BLOCKSTORE_RECORD_HEADER], sum[SHA256_LEN];
    memcpy(hdr, magic, BLOCKSTORE_MAGIC_LEN);
    put_le32(hdr + BLOCKSTORE_MAGIC_LEN, (uint32_t)(len + SHA256_LEN));
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, of_block, SHA256_LEN);
    sha256_update(&c, undo, len);
    sha256_final(&c, sum);
    FUZZ_ASSERT(buf_append(out, hdr, sizeof hdr));
    FUZZ_ASSERT(len == 0 || buf_append(out, undo, len));
    FUZZ_ASSERT(buf_append(out, sum, sizeof sum));
}

/* The same record written by the block store into an empty rev file. */
static void check_writer(const uint8_t *record, size_t record_len, const uint8_t *undo,
                         size_t len)
{
    char err[256];
    struct blockstore_cursor empty = {0, 0, 0, 0};
    FUZZ_ASSERT(blockstore_open(&writer, writer_dir, magic, &empty, err, sizeof err) ==
                BLOCKSTORE_OK);
    struct blockstore_pos pos;
    FUZZ_ASSERT(blockstore_write_undo(&writer, of_block, undo, len, &pos, err, sizeof err) ==
                BLOCKSTORE_OK);
    FUZZ_ASSERT(pos.file == 0 && pos.offset == 0);
    blockstore_close(&writer);
    read_file(written_path, &back);
    FUZZ_ASSERT(back.len == record_len && memcmp(back.data, record, record_len) == 0);
}

/* ---- the undo bytes -------------------------------------------------- */

struct change {
    size_t key_at, klen, val_at, vlen;
    bool present;
};

struct changes {
    struct change list[ROUND_TRIP_MAX];
    size_t n;           /* all changes seen */
    bool distinct;
};

static bool collect(void *ctx, const uint8_t *key, size_t klen, bool present,
                    const uint8_t *val, size_t vlen)
{
    struct changes *cs = ctx;
    FUZZ_ASSERT(klen >= 1 && klen <= STATE_KEY_MAX && vlen <= STATE_VALUE_MAX);
    FUZZ_ASSERT(present || vlen == 0);
    if (cs->n < ROUND_TRIP_MAX) {
        struct change *c = &cs->list[cs->n];
        for (size_t i = 0; i < cs->n; i++)
            if (cs->list[i].klen == klen && memcmp(keys.data + cs->list[i].key_at, key, klen) == 0)
                cs->distinct = false;
        c->key_at = keys.len;
        c->klen = klen;
        FUZZ_ASSERT(buf_append(&keys, key, klen));
        c->val_at = keys.len;
        c->vlen = vlen;
        FUZZ_ASSERT(vlen == 0 || buf_append(&keys, val, vlen));
        c->present = present;
    }
    cs->n++;
    return true;
}

/* The backend before the block: what the record restores. */
static bool old_value(void *ctx, const uint8_t *key, size_t klen, struct buf *val, bool *found)
{
    const struct changes *cs = ctx;
    buf_reset(val);
    *found = false;
    for (size_t i = 0; i < cs->n; i++) {
        const struct change *c = &cs->list[i];
        if (c->klen == klen && memcmp(keys.data + c->key_at, key, klen) == 0) {
            *found = c->present;
            return !c->present || c->vlen == 0 || buf_append(val, keys.data + c->val_at, c->vlen);
        }
    }
    return true;
}

static void check_undo_bytes(const uint8_t *undo, size_t len)
{
    static struct changes cs;
    cs.n = 0;
    cs.distinct = true;
    buf_reset(&keys);
    if (state_undo_for_each(undo, len, collect, &cs) != SER_OK || cs.n > ROUND_TRIP_MAX ||
        !cs.distinct)
        return;
    /* The block deleted what existed before it and created the rest. */
    struct state_backend be = {.ctx = &cs, .get = old_value};
    struct state_view v;
    state_view_init(&v, &be);
    for (size_t i = 0; i < cs.n; i++) {
        const struct change *c = &cs.list[i];
        const uint8_t *key = keys.data + c->key_at;
        FUZZ_ASSERT(c->present ? state_del(&v, key, c->klen) : state_put(&v, key, c->klen, "x", 1));
    }
    FUZZ_ASSERT(state_view_change_count(&v) == cs.n);
    buf_reset(&enc);
    FUZZ_ASSERT(state_view_undo_encode(&v, &enc));
    FUZZ_ASSERT(enc.len == len && memcmp(enc.data, undo, len) == 0);
    state_view_clear(&v);
}

void fuzz_one(const uint8_t *data, size_t size)
{
    setup();
    if (size == 0)
        return;
    unsigned flags = data[0], damage = flags & 3, skip = (flags >> 3) & 7;
    const uint8_t *undo = data + 1;
    size_t len = size - 1;
    char err[256];
    struct blockstore_pos pos = {0, skip};
    buf_reset(&file);
    enum blockstore_err want = BLOCKSTORE_OK;
    if (damage == DAMAGE_RAW) {
        FUZZ_ASSERT(len == 0 || buf_append(&file, undo, len));
    } else {
        /* The tail of an earlier record. */
        static const uint8_t before[7] = {1, 2, 3, 4, 5, 6, 7};
        FUZZ_ASSERT(skip == 0 || buf_append(&file, before, skip));
        frame(undo, len, &file);
        if (damage == DAMAGE_NONE && !(flags & FLAG_BAD_MAGIC))
            check_writer(file.data + skip, file.len - skip, undo, len);
        if (flags & FLAG_BAD_MAGIC) {
            file.data[skip] ^= 0x20;
            want = BLOCKSTORE_ERR_BAD_MAGIC;
        } else if (damage == DAMAGE_CUT) {
            file.len--;
            want = BLOCKSTORE_ERR_TRUNCATED;
        } else if (damage == DAMAGE_CHECKSUM) {
            file.data[file.len - 1 - len % SHA256_LEN] ^= 1;
            want = BLOCKSTORE_ERR_CHECKSUM;
        }
    }
    write_file(rev_path, file.data, file.len);
    enum blockstore_err got = blockstore_read_undo(&reader, pos, of_block, &back, err,
                                                   sizeof err);
    if (damage != DAMAGE_RAW) {
        FUZZ_ASSERT(got == want);
        if (got == BLOCKSTORE_OK)
            FUZZ_ASSERT(back.len == len && (len == 0 || memcmp(back.data, undo, len) == 0));
    }
    if (got == BLOCKSTORE_OK)
        check_undo_bytes(back.data, back.len);
    else
        check_undo_bytes(undo, len);
}
