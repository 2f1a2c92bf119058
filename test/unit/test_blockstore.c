/* truncate is POSIX/XSI. */
#define _XOPEN_SOURCE 700

#include "unit.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/blockstore.h"

static const uint8_t MAGIC[4] = {0x72, 0x73, 0x6f, 0x6b};
static char dir[64];
static char bdir[96];
static char err[512];

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "blockstore");
    snprintf(bdir, sizeof bdir, "%s/blocks", dir);
}

static void teardown(void)
{
    fixture_tmpdir_remove(dir);
}

/* A block whose one tx carries pad bytes: sizes are easy to steer. */
static void make_block(struct block *b, uint64_t nonce, size_t pad)
{
    block_init(b);
    b->header.time = 1700000000 + nonce;
    b->header.bits = 0x207fffff;
    b->header.nonce = nonce;
    struct tx tx;
    tx_init(&tx);
    struct buf payload;
    buf_init(&payload);
    struct ser_writer w;
    ser_writer_init(&w, &payload);
    ser_write_array(&w, 1);
    uint8_t *p = calloc(1, pad + 1);
    ck_assert_ptr_nonnull(p);
    memset(p, (int)(nonce & 0xff), pad);
    ser_write_bin(&w, p, pad);
    free(p);
    ck_assert(ser_writer_ok(&w));
    ck_assert_int_eq(tx_set_payload(&tx, payload.data, payload.len), SER_OK);
    buf_clear(&payload);
    ck_assert(block_take_tx(b, &tx));
    block_set_merkle_root(b);
}

static void encode(const struct block *b, struct buf *out)
{
    buf_init(out);
    ck_assert(block_encode(b, out));
}

static void open_store(struct blockstore *bs, const struct blockstore_cursor *known)
{
    ck_assert_msg(blockstore_open(bs, bdir, MAGIC, known, err, sizeof err) == BLOCKSTORE_OK, "%s",
                  err);
}

static void path_of(const struct blockstore *bs, bool undo, uint32_t file, char *out)
{
    ck_assert(blockstore_file_path(bs, undo, file, out, 256));
}

static long size_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long)st.st_size;
}

static void patch(const char *path, long off, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
    ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

START_TEST(block_roundtrip)
{
    struct blockstore bs;
    open_store(&bs, NULL);
    struct block b1, b2, got;
    struct buf e1, e2, raw;
    make_block(&b1, 1, 100);
    make_block(&b2, 2, 300);
    encode(&b1, &e1);
    encode(&b2, &e2);
    struct blockstore_pos p1, p2;
    ck_assert_int_eq(blockstore_write_block(&bs, e1.data, e1.len, &p1, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_int_eq(blockstore_write_block(&bs, e2.data, e2.len, &p2, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_uint_eq(p1.file, 0);
    ck_assert_uint_eq(p1.offset, 0);
    ck_assert_uint_eq(p2.file, 0);
    ck_assert_uint_eq(p2.offset, 8 + e1.len);
    struct blockstore_cursor c;
    blockstore_get_cursor(&bs, &c);
    ck_assert_uint_eq(c.blk_file, 0);
    ck_assert_uint_eq(c.blk_size, 16 + e1.len + e2.len);
    ck_assert_int_eq(blockstore_flush(&bs, err, sizeof err), BLOCKSTORE_OK);

    buf_init(&raw);
    ck_assert_int_eq(blockstore_read_block_bytes(&bs, p2, &raw, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_uint_eq(raw.len, e2.len);
    ck_assert_mem_eq(raw.data, e2.data, e2.len);

    uint8_t h1[SHA256_LEN], h2[SHA256_LEN], hg[SHA256_LEN];
    block_hash(&b1, h1);
    block_hash(&b2, h2);
    block_init(&got);
    ck_assert_int_eq(blockstore_read_block(&bs, p1, h1, &got, err, sizeof err), BLOCKSTORE_OK);
    block_hash(&got, hg);
    ck_assert_mem_eq(hg, h1, SHA256_LEN);
    ck_assert_uint_eq(got.tx_count, 1);
    /* Asking for another block's hash at this position is corruption, and
     * leaves the output alone. */
    ck_assert_int_eq(blockstore_read_block(&bs, p1, h2, &got, err, sizeof err),
                     BLOCKSTORE_ERR_CORRUPT);
    ck_assert_ptr_nonnull(strstr(err, "expected"));
    block_hash(&got, hg);
    ck_assert_mem_eq(hg, h1, SHA256_LEN);

    /* Refused writes: empty and over the block limit. */
    ck_assert_int_eq(blockstore_write_block(&bs, e1.data, 0, &p1, err, sizeof err),
                     BLOCKSTORE_ERR_TOO_LARGE);
    ck_assert_int_eq(blockstore_write_block(&bs, e1.data, (size_t)BLOCK_MAX_SIZE + 1, &p1, err,
                                            sizeof err),
                     BLOCKSTORE_ERR_TOO_LARGE);
    blockstore_get_cursor(&bs, &c);
    ck_assert_uint_eq(c.blk_size, 16 + e1.len + e2.len);
    blockstore_close(&bs);

    /* Reopened without a cursor: appends after the existing records. */
    open_store(&bs, NULL);
    struct blockstore_pos p3;
    ck_assert_int_eq(blockstore_write_block(&bs, e1.data, e1.len, &p3, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_uint_eq(p3.offset, 16 + e1.len + e2.len);
    ck_assert_int_eq(blockstore_read_block(&bs, p2, h2, &got, err, sizeof err), BLOCKSTORE_OK);
    blockstore_close(&bs);
    blockstore_close(&bs); /* twice is harmless */

    block_clear(&b1);
    block_clear(&b2);
    block_clear(&got);
    buf_clear(&e1);
    buf_clear(&e2);
    buf_clear(&raw);
}
END_TEST

START_TEST(bad_positions_and_damage)
{
    struct blockstore bs;
    open_store(&bs, NULL);
    struct block b, got;
    struct buf e, raw;
    make_block(&b, 7, 200);
    encode(&b, &e);
    struct blockstore_pos p, q;
    ck_assert_int_eq(blockstore_write_block(&bs, e.data, e.len, &p, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_int_eq(blockstore_write_block(&bs, e.data, e.len, &q, err, sizeof err), BLOCKSTORE_OK);
    block_init(&got);
    buf_init(&raw);

    struct blockstore_pos bad = {0, 3};
    ck_assert_int_eq(blockstore_read_block(&bs, bad, NULL, &got, err, sizeof err),
                     BLOCKSTORE_ERR_BAD_MAGIC);
    ck_assert_ptr_nonnull(strstr(err, "blk00000.dat:3"));
    bad.offset = (uint32_t)(2 * (8 + e.len) - 4);
    ck_assert_int_eq(blockstore_read_block(&bs, bad, NULL, &got, err, sizeof err),
                     BLOCKSTORE_ERR_TRUNCATED);
    bad.offset = UINT32_MAX;
    ck_assert_int_eq(blockstore_read_block(&bs, bad, NULL, &got, err, sizeof err),
                     BLOCKSTORE_ERR_TRUNCATED);
    bad.file = 9;
    bad.offset = 0;
    ck_assert_int_eq(blockstore_read_block(&bs, bad, NULL, &got, err, sizeof err),
                     BLOCKSTORE_ERR_NO_FILE);
    ck_assert_ptr_nonnull(strstr(err, "blk00009.dat"));

    char path[256];
    path_of(&bs, false, 0, path);
    /* A length field beyond the block limit is refused before any read. */
    uint8_t huge[4] = {0xff, 0xff, 0xff, 0x7f};
    patch(path, (long)q.offset + 4, huge, 4);
    ck_assert_int_eq(blockstore_read_block_bytes(&bs, q, &raw, err, sizeof err),
                     BLOCKSTORE_ERR_BAD_LENGTH);
    uint8_t zero[4] = {0, 0, 0, 0};
    patch(path, (long)q.offset + 4, zero, 4);
    ck_assert_int_eq(blockstore_read_block_bytes(&bs, q, &raw, err, sizeof err),
                     BLOCKSTORE_ERR_BAD_LENGTH);
    /* In range but past the end of the file. */
    uint8_t longer[4] = {(uint8_t)(e.len + 1), (uint8_t)((e.len + 1) >> 8), 0, 0};
    patch(path, (long)q.offset + 4, longer, 4);
    ck_assert_int_eq(blockstore_read_block_bytes(&bs, q, &raw, err, sizeof err),
                     BLOCKSTORE_ERR_TRUNCATED);
    ck_assert_uint_eq(raw.len, 0);
    /* A flipped byte inside the block: not a valid block any more (or not
     * the one asked for). */
    uint8_t x = 0xc1;
    patch(path, (long)p.offset + 8 + 2, &x, 1);
    ck_assert_int_eq(blockstore_read_block(&bs, p, NULL, &got, err, sizeof err),
                     BLOCKSTORE_ERR_CORRUPT);
    ck_assert_uint_eq(got.tx_count, 0);
    blockstore_close(&bs);

    /* An unusable directory. */
    ck_assert_int_eq(blockstore_open(&bs, "/proc/souk-no/blocks", MAGIC, NULL, err, sizeof err),
                     BLOCKSTORE_ERR_IO);
    blockstore_close(&bs);
    ck_assert_str_eq(blockstore_strerror(BLOCKSTORE_ERR_CHECKSUM), "undo checksum mismatch");
    ck_assert_ptr_nonnull(blockstore_strerror((enum blockstore_err)99));
    block_clear(&b);
    block_clear(&got);
    buf_clear(&e);
    buf_clear(&raw);
}
END_TEST

START_TEST(rollover)
{
    struct blockstore bs;
    open_store(&bs, NULL);
    bs.max_file_size = 1500;
    struct block b;
    struct buf e;
    make_block(&b, 3, 500); /* a record of a bit over 600 bytes */
    encode(&b, &e);
    size_t rec = 8 + e.len;
    ck_assert_uint_lt(2 * rec, 1500);
    ck_assert_uint_gt(3 * rec, 1500);
    struct blockstore_pos pos[5];
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(blockstore_write_block(&bs, e.data, e.len, &pos[i], err, sizeof err),
                         BLOCKSTORE_OK);
    ck_assert_uint_eq(pos[0].file, 0);
    ck_assert_uint_eq(pos[1].file, 0);
    ck_assert_uint_eq(pos[2].file, 1);
    ck_assert_uint_eq(pos[2].offset, 0);
    ck_assert_uint_eq(pos[3].file, 1);
    ck_assert_uint_eq(pos[4].file, 2);
    /* A record bigger than a whole file gets a file to itself. */
    struct block big;
    struct buf eb;
    make_block(&big, 4, 4000);
    encode(&big, &eb);
    struct blockstore_pos pb, after;
    ck_assert_int_eq(blockstore_write_block(&bs, eb.data, eb.len, &pb, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_uint_eq(pb.file, 3);
    ck_assert_uint_eq(pb.offset, 0);
    ck_assert_int_eq(blockstore_write_block(&bs, e.data, e.len, &after, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_uint_eq(after.file, 4);
    struct block got;
    block_init(&got);
    uint8_t h[SHA256_LEN];
    block_hash(&big, h);
    ck_assert_int_eq(blockstore_read_block(&bs, pb, h, &got, err, sizeof err), BLOCKSTORE_OK);
    block_hash(&b, h);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(blockstore_read_block(&bs, pos[i], h, &got, err, sizeof err), BLOCKSTORE_OK);

    /* Undo files roll over on their own counter. */
    uint8_t undo[700];
    memset(undo, 0x42, sizeof undo);
    struct blockstore_pos u1, u2, u3;
    ck_assert_int_eq(blockstore_write_undo(&bs, h, undo, sizeof undo, &u1, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_int_eq(blockstore_write_undo(&bs, h, undo, sizeof undo, &u2, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_int_eq(blockstore_write_undo(&bs, h, undo, sizeof undo, &u3, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_uint_eq(u1.file, 0);
    ck_assert_uint_eq(u2.file, 0);
    ck_assert_uint_eq(u3.file, 1);
    struct blockstore_cursor c;
    blockstore_get_cursor(&bs, &c);
    ck_assert_uint_eq(c.blk_file, 4);
    ck_assert_uint_eq(c.rev_file, 1);
    blockstore_close(&bs);

    /* Reopening without a cursor finds the last files. */
    open_store(&bs, NULL);
    struct blockstore_cursor c2;
    blockstore_get_cursor(&bs, &c2);
    ck_assert_mem_eq(&c2, &c, sizeof c);
    blockstore_close(&bs);

    block_clear(&b);
    block_clear(&big);
    block_clear(&got);
    buf_clear(&e);
    buf_clear(&eb);
}
END_TEST

START_TEST(undo_checksum)
{
    struct blockstore bs;
    open_store(&bs, NULL);
    uint8_t ha[SHA256_LEN], hb[SHA256_LEN];
    memset(ha, 0xa1, sizeof ha);
    memset(hb, 0xb2, sizeof hb);
    const char *ua = "undo of block a", *ub = "undo of block b";
    struct blockstore_pos pa, pb, pe;
    ck_assert_int_eq(blockstore_write_undo(&bs, ha, ua, strlen(ua), &pa, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_int_eq(blockstore_write_undo(&bs, hb, ub, strlen(ub), &pb, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_int_eq(blockstore_write_undo(&bs, ha, NULL, 0, &pe, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_uint_eq(pb.offset, 8 + strlen(ua) + 32);

    struct buf out;
    buf_init(&out);
    ck_assert_int_eq(blockstore_read_undo(&bs, pa, ha, &out, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_uint_eq(out.len, strlen(ua));
    ck_assert_mem_eq(out.data, ua, out.len);
    ck_assert_int_eq(blockstore_read_undo(&bs, pe, ha, &out, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_int_eq(blockstore_read_undo(&bs, pb, hb, &out, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_mem_eq(out.data, ub, out.len);
    /* Another block's undo is refused, output untouched. */
    ck_assert_int_eq(blockstore_read_undo(&bs, pa, hb, &out, err, sizeof err),
                     BLOCKSTORE_ERR_CHECKSUM);
    ck_assert_ptr_nonnull(strstr(err, "rev00000.dat:0"));
    ck_assert_mem_eq(out.data, ub, out.len);
    /* A damaged byte is caught. */
    char path[256];
    path_of(&bs, true, 0, path);
    uint8_t x = 'U';
    patch(path, (long)pa.offset + 8, &x, 1);
    ck_assert_int_eq(blockstore_read_undo(&bs, pa, ha, &out, err, sizeof err),
                     BLOCKSTORE_ERR_CHECKSUM);
    /* A record too short to hold a checksum is a bad length. */
    uint8_t shortlen[4] = {31, 0, 0, 0};
    patch(path, (long)pb.offset + 4, shortlen, 4);
    ck_assert_int_eq(blockstore_read_undo(&bs, pb, hb, &out, err, sizeof err),
                     BLOCKSTORE_ERR_BAD_LENGTH);
    /* A block record position read as undo: no rev file there. */
    struct blockstore_pos none = {5, 0};
    ck_assert_int_eq(blockstore_read_undo(&bs, none, ha, &out, err, sizeof err),
                     BLOCKSTORE_ERR_NO_FILE);
    ck_assert_int_eq(blockstore_write_undo(&bs, ha, ua, (size_t)BLOCKSTORE_MAX_UNDO_SIZE + 1, &pe,
                                           err, sizeof err),
                     BLOCKSTORE_ERR_TOO_LARGE);
    blockstore_close(&bs);
    buf_clear(&out);
}
END_TEST

START_TEST(known_cursor_drops_unindexed_tail)
{
    struct blockstore bs;
    open_store(&bs, NULL);
    bs.max_file_size = 1500;
    struct block b;
    struct buf e;
    make_block(&b, 5, 500);
    encode(&b, &e);
    struct blockstore_pos p[4];
    ck_assert_int_eq(blockstore_write_block(&bs, e.data, e.len, &p[0], err, sizeof err), BLOCKSTORE_OK);
    uint8_t h[SHA256_LEN];
    block_hash(&b, h);
    struct blockstore_pos u;
    ck_assert_int_eq(blockstore_write_undo(&bs, h, "u", 1, &u, err, sizeof err), BLOCKSTORE_OK);
    struct blockstore_cursor saved;
    blockstore_get_cursor(&bs, &saved);
    /* Written after the index last saved the cursor: never indexed. */
    for (int i = 1; i < 4; i++)
        ck_assert_int_eq(blockstore_write_block(&bs, e.data, e.len, &p[i], err, sizeof err),
                         BLOCKSTORE_OK);
    ck_assert_int_eq(blockstore_write_undo(&bs, h, "v", 1, &u, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_uint_eq(p[3].file, 1);
    blockstore_close(&bs);

    open_store(&bs, &saved);
    char path[256];
    path_of(&bs, false, 0, path);
    ck_assert_int_eq(size_of(path), (long)saved.blk_size);
    path_of(&bs, false, 1, path);
    ck_assert_int_eq(size_of(path), -1);
    path_of(&bs, true, 0, path);
    ck_assert_int_eq(size_of(path), (long)saved.rev_size);
    struct blockstore_pos again;
    ck_assert_int_eq(blockstore_write_block(&bs, e.data, e.len, &again, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_uint_eq(again.file, p[1].file);
    ck_assert_uint_eq(again.offset, p[1].offset);
    blockstore_close(&bs);

    /* A file shorter than the cursor: new records still land at the
     * cursor, and the missing region reads as an error, not as a block. */
    struct blockstore_cursor ahead = saved;
    ahead.blk_size = saved.blk_size + 2 * (uint32_t)(8 + e.len);
    open_store(&bs, &ahead);
    ck_assert_int_eq(blockstore_write_block(&bs, e.data, e.len, &again, err, sizeof err), BLOCKSTORE_OK);
    ck_assert_uint_eq(again.offset, ahead.blk_size);
    struct block got;
    block_init(&got);
    struct blockstore_pos hole = {0, saved.blk_size + (uint32_t)(8 + e.len)};
    ck_assert_int_eq(blockstore_read_block(&bs, hole, NULL, &got, err, sizeof err),
                     BLOCKSTORE_ERR_BAD_MAGIC);
    ck_assert_int_eq(blockstore_read_block(&bs, again, h, &got, err, sizeof err), BLOCKSTORE_OK);
    blockstore_close(&bs);
    block_clear(&b);
    block_clear(&got);
    buf_clear(&e);
}
END_TEST

/* Scans file 0 and returns the number of blocks found. */
static int scan_all(struct blockstore *bs, uint64_t *skipped, uint64_t nonces[], int max)
{
    struct blockstore_scan sc;
    ck_assert_int_eq(blockstore_scan_open(bs, 0, &sc, err, sizeof err), BLOCKSTORE_OK);
    struct block got;
    block_init(&got);
    int n = 0;
    for (;;) {
        struct blockstore_pos pos;
        const uint8_t *bytes;
        size_t len;
        bool end;
        ck_assert_int_eq(blockstore_scan_next(&sc, &pos, &bytes, &len, &got, &end, err, sizeof err),
                         BLOCKSTORE_OK);
        if (end)
            break;
        ck_assert_int_lt(n, max);
        /* The yielded position reads back the same block. */
        struct buf raw;
        buf_init(&raw);
        ck_assert_int_eq(blockstore_read_block_bytes(bs, pos, &raw, err, sizeof err), BLOCKSTORE_OK);
        ck_assert_uint_eq(raw.len, len);
        ck_assert_mem_eq(raw.data, bytes, len);
        buf_clear(&raw);
        nonces[n++] = got.header.nonce;
    }
    *skipped = sc.skipped;
    ck_assert_uint_eq(sc.records, (uint64_t)n);
    blockstore_scan_close(&sc);
    block_clear(&got);
    return n;
}

START_TEST(scan_for_reindex)
{
    struct blockstore bs;
    open_store(&bs, NULL);
    struct buf e[4];
    struct blockstore_pos p[4];
    for (int i = 0; i < 4; i++) {
        struct block b;
        make_block(&b, 10 + (uint64_t)i, 100 + 50 * (size_t)i);
        encode(&b, &e[i]);
        block_clear(&b);
    }
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(blockstore_write_block(&bs, e[i].data, e[i].len, &p[i], err, sizeof err),
                         BLOCKSTORE_OK);
    blockstore_close(&bs);

    uint64_t skipped, nonces[8];
    ck_assert_int_eq(scan_all(&bs, &skipped, nonces, 8), 3);
    ck_assert_uint_eq(skipped, 0);
    ck_assert_uint_eq(nonces[0], 10);
    ck_assert_uint_eq(nonces[2], 12);

    /* A crash left half a record at the end. */
    char path[256];
    path_of(&bs, false, 0, path);
    long full = size_of(path);
    FILE *f = fopen(path, "ab");
    ck_assert_ptr_nonnull(f);
    uint8_t hdr[8] = {MAGIC[0], MAGIC[1], MAGIC[2], MAGIC[3]};
    hdr[4] = (uint8_t)e[3].len;
    hdr[5] = (uint8_t)(e[3].len >> 8);
    fwrite(hdr, 1, 8, f);
    fwrite(e[3].data, 1, e[3].len / 2, f);
    fclose(f);
    ck_assert_int_eq(scan_all(&bs, &skipped, nonces, 8), 3);
    ck_assert_uint_eq(skipped, 8 + e[3].len / 2);
    /* Only a partial header. */
    ck_assert_int_eq(truncate(path, full + 5), 0);
    ck_assert_int_eq(scan_all(&bs, &skipped, nonces, 8), 3);
    ck_assert_uint_eq(skipped, 5);

    /* The torn record sits in the middle, followed by a good one appended
     * after a restart: the scan skips the damage and finds the later block. */
    ck_assert_int_eq(truncate(path, full), 0);
    f = fopen(path, "ab");
    fwrite(hdr, 1, 8, f);
    fwrite(e[3].data, 1, e[3].len / 2, f);
    fclose(f);
    open_store(&bs, NULL);
    struct blockstore_pos p4;
    ck_assert_int_eq(blockstore_write_block(&bs, e[3].data, e[3].len, &p4, err, sizeof err),
                     BLOCKSTORE_OK);
    blockstore_close(&bs);
    ck_assert_int_eq(scan_all(&bs, &skipped, nonces, 8), 4);
    ck_assert_uint_eq(nonces[3], 13);
    ck_assert_uint_eq(skipped, 8 + e[3].len / 2);

    /* Garbage over the second record's magic: it is lost, the rest found. */
    uint8_t junk[4] = {1, 2, 3, 4};
    patch(path, (long)p[1].offset, junk, 4);
    ck_assert_int_eq(scan_all(&bs, &skipped, nonces, 8), 3);
    ck_assert_uint_eq(nonces[0], 10);
    ck_assert_uint_eq(nonces[1], 12);
    ck_assert_uint_eq(nonces[2], 13);

    struct blockstore_scan sc;
    ck_assert_int_eq(blockstore_scan_open(&bs, 1, &sc, err, sizeof err), BLOCKSTORE_ERR_NO_FILE);
    for (int i = 0; i < 4; i++)
        buf_clear(&e[i]);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {
        .name = "blockstore", .setup = setup, .teardown = teardown};
    const TTest *tests[] = {
        block_roundtrip, bad_positions_and_damage, rollover, undo_checksum,
        known_cursor_drops_unindexed_tail, scan_for_reindex, NULL
    };
    return fixture_suite("blockstore", &tc, tests);
}
