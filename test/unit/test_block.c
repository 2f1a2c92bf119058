#include "unit.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/block.h"
#include "consensus/merkle.h"

#define X2(s) s s
#define X4(s) X2(X2(s))
#define X8(s) X2(X4(s))
#define X16(s) X4(X4(s))
#define X32(s) X16(s) X16(s)
#define X31(s) X16(s) X8(s) X4(s) X2(s) s

#define PREV X32("aa")
#define ROOT X32("bb")
#define HDR(ver, prev, root, time, bits, nonce) "96" ver prev root time bits nonce
/* [1, aa.., bb.., 1700000000, 0x207fffff, 42] */
#define HEADER HDR("01", "c420" PREV, "c420" ROOT, "ce6553f100", "ce207fffff", "2a")
#define HEADER_HASH "840a32adcf549d0268ba221bb5805a6bbc2f76aad35c53a077cc2b4395f96b0d"

#define TX_OK "970101c420" X32("11") "05cd03e890c440" X32("33") X32("33")
#define COINBASE "970100c400cd04000091c420" X32("44") "c400"

static void add_tx_hex(struct block *b, const char *hex)
{
    struct buf in;
    struct tx tx;
    fixture_hex_buf(hex, &in);
    tx_init(&tx);
    ck_assert_int_eq(tx_decode(in.data, in.len, &tx), SER_OK);
    ck_assert(block_take_tx(b, &tx));
    ck_assert_ptr_null(tx.payload.data); /* moved out */
    buf_clear(&in);
}

static void build_block(struct block *b)
{
    block_init(b);
    memset(b->header.prev_hash, 0xaa, SHA256_LEN);
    b->header.time = 1700000000;
    b->header.bits = 0x207fffff;
    b->header.nonce = 42;
    add_tx_hex(b, COINBASE);
    add_tx_hex(b, TX_OK);
    block_set_merkle_root(b);
}

START_TEST(header_known_answer)
{
    struct block_header h;
    memset(h.prev_hash, 0xaa, SHA256_LEN);
    memset(h.merkle_root, 0xbb, SHA256_LEN);
    h.time = 1700000000;
    h.bits = 0x207fffff;
    h.nonce = 42;
    struct buf out;
    buf_init(&out);
    ck_assert(block_header_encode(&h, &out));
    fixture_check_hex(out.data, out.len, HEADER);

    uint8_t hash[SHA256_LEN], expect[SHA256_LEN];
    block_header_hash(&h, hash);
    sha256d(out.data, out.len, expect);
    ck_assert_mem_eq(hash, expect, SHA256_LEN);
    fixture_check_hex(hash, SHA256_LEN, HEADER_HASH);

    struct block_header back;
    ck_assert_int_eq(block_header_decode(out.data, out.len, &back), SER_OK);
    ck_assert_mem_eq(back.prev_hash, h.prev_hash, SHA256_LEN);
    ck_assert_mem_eq(back.merkle_root, h.merkle_root, SHA256_LEN);
    ck_assert_uint_eq(back.time, h.time);
    ck_assert_uint_eq(back.bits, h.bits);
    ck_assert_uint_eq(back.nonce, h.nonce);

    /* the largest values still round-trip */
    h.time = UINT64_MAX;
    h.bits = UINT32_MAX;
    h.nonce = UINT64_MAX;
    buf_reset(&out);
    ck_assert(block_header_encode(&h, &out));
    ck_assert_int_eq(block_header_decode(out.data, out.len, &back), SER_OK);
    ck_assert_uint_eq(back.bits, UINT32_MAX);
    ck_assert_uint_eq(back.nonce, UINT64_MAX);
    buf_clear(&out);
}
END_TEST

struct bad_case {
    const char *name;
    const char *hex;
    enum ser_err err;
};

START_TEST(header_rejects)
{
    static const struct bad_case cases[] = {
        {"version 2", HDR("02", "c420" PREV, "c420" ROOT, "ce6553f100", "ce207fffff", "2a"), SER_ERR_VERSION},
        {"version uint8", HDR("cc01", "c420" PREV, "c420" ROOT, "ce6553f100", "ce207fffff", "2a"), SER_ERR_NONCANON_INT},
        {"prev 31", HDR("01", "c41f" X31("aa"), "c420" ROOT, "ce6553f100", "ce207fffff", "2a"), SER_ERR_TOO_SHORT},
        {"prev str", HDR("01", "d920" X32("61"), "c420" ROOT, "ce6553f100", "ce207fffff", "2a"), SER_ERR_BIN_GOT_STR},
        {"root 33", HDR("01", "c420" PREV, "c421" ROOT "bb", "ce6553f100", "ce207fffff", "2a"), SER_ERR_TOO_LONG},
        {"root bin16", HDR("01", "c420" PREV, "c50020" ROOT, "ce6553f100", "ce207fffff", "2a"), SER_ERR_NONCANON_LENGTH},
        {"time uint64", HDR("01", "c420" PREV, "c420" ROOT, "cf000000006553f100", "ce207fffff", "2a"), SER_ERR_NONCANON_INT},
        {"time negative", HDR("01", "c420" PREV, "c420" ROOT, "ff", "ce207fffff", "2a"), SER_ERR_NEGATIVE_INT},
        {"bits over 32 bits", HDR("01", "c420" PREV, "c420" ROOT, "ce6553f100", "cf0000000100000000", "2a"), SER_ERR_INT_RANGE},
        {"bits non-shortest", HDR("01", "c420" PREV, "c420" ROOT, "ce6553f100", "cf00000000207fffff", "2a"), SER_ERR_NONCANON_INT},
        {"nonce uint8", HDR("01", "c420" PREV, "c420" ROOT, "ce6553f100", "ce207fffff", "cc2a"), SER_ERR_NONCANON_INT},
        {"nonce float", HDR("01", "c420" PREV, "c420" ROOT, "ce6553f100", "ce207fffff", "ca42280000"), SER_ERR_FLOAT},
        {"five fields", "9501c420" PREV "c420" ROOT "ce6553f100ce207fffff", SER_ERR_ARRAY_LENGTH},
        {"seven fields", "9701c420" PREV "c420" ROOT "ce6553f100ce207fffff2a00", SER_ERR_ARRAY_LENGTH},
        {"array16", "dc000601c420" PREV "c420" ROOT "ce6553f100ce207fffff2a", SER_ERR_NONCANON_LENGTH},
        {"map", "8601c420" PREV "c420" ROOT "ce6553f100ce207fffff2a", SER_ERR_MAP},
        {"trailing", HEADER "c0", SER_ERR_TRAILING},
    };
    struct block_header keep;
    memset(&keep, 0x77, sizeof keep);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf in;
        fixture_hex_buf(cases[i].hex, &in);
        enum ser_err err = block_header_decode(in.data, in.len, &keep);
        ck_assert_msg(err == cases[i].err, "%s: got \"%s\", want \"%s\"", cases[i].name,
                      ser_strerror(err), ser_strerror(cases[i].err));
        buf_clear(&in);
    }
    ck_assert_uint_eq(keep.nonce, 0x7777777777777777ULL);
    ck_assert_uint_eq(keep.bits, 0x77777777U);

    struct buf in;
    fixture_hex_buf(HEADER, &in);
    for (size_t n = 0; n < in.len; n++)
        ck_assert_int_eq(block_header_decode(in.data, n, &keep), SER_ERR_TRUNCATED);
    buf_clear(&in);
}
END_TEST

START_TEST(block_round_trip)
{
    struct block b, back;
    struct buf enc, again;
    build_block(&b);
    buf_init(&enc);
    buf_init(&again);
    ck_assert(block_encode(&b, &enc));
    ck_assert_uint_eq(block_encoded_size(&b), enc.len);

    block_init(&back);
    ck_assert_int_eq(block_decode(enc.data, enc.len, &back), SER_OK);
    ck_assert_uint_eq(back.tx_count, 2);
    ck_assert(tx_is_coinbase(&back.txs[0]));
    ck_assert_uint_eq(back.txs[1].fee, 1000);
    ck_assert(block_encode(&back, &again));
    ck_assert_uint_eq(again.len, enc.len);
    ck_assert_mem_eq(again.data, enc.data, enc.len);

    /* a block inside a larger message: ["block", <block>] */
    struct buf msg;
    struct ser_writer w;
    buf_init(&msg);
    ser_writer_init(&w, &msg);
    ser_write_array(&w, 2);
    ser_write_str(&w, "block", 5);
    block_write(&w, &b);
    ck_assert(ser_writer_ok(&w));
    struct ser_doc doc;
    ser_doc_init(&doc);
    ck_assert_int_eq(ser_doc_parse(&doc, msg.data, msg.len), SER_OK);
    struct block inner;
    block_init(&inner);
    ck_assert_int_eq(block_decode_object(&ser_doc_root(&doc)->via.array.ptr[1], &inner), SER_OK);
    ck_assert_uint_eq(inner.tx_count, 2);
    ck_assert_uint_eq(block_encoded_size(&inner), enc.len);
    block_clear(&inner);
    ser_doc_clear(&doc);
    buf_clear(&msg);

    uint8_t h1[SHA256_LEN], h2[SHA256_LEN];
    block_hash(&b, h1);
    block_hash(&back, h2);
    ck_assert_mem_eq(h1, h2, SHA256_LEN);

    /* the block is exactly [header, [tx...]] */
    struct buf expect;
    buf_init(&expect);
    ck_assert(buf_append(&expect, "\x92", 1));
    ck_assert(block_header_encode(&b.header, &expect));
    ck_assert(buf_append(&expect, "\x92", 1));
    ck_assert(tx_encode(&b.txs[0], &expect));
    ck_assert(tx_encode(&b.txs[1], &expect));
    ck_assert_uint_eq(expect.len, enc.len);
    ck_assert_mem_eq(expect.data, enc.data, enc.len);

    /* the merkle root is over the txids, and the stored root survives */
    uint8_t ids[2][SHA256_LEN], root[SHA256_LEN];
    tx_txid(&b.txs[0], ids[0]);
    tx_txid(&b.txs[1], ids[1]);
    merkle_root((const uint8_t(*)[SHA256_LEN])ids, 2, root);
    ck_assert_mem_eq(root, back.header.merkle_root, SHA256_LEN);
    block_compute_merkle_root(&back, h2);
    ck_assert_mem_eq(root, h2, SHA256_LEN);

    block_clear(&b);
    block_clear(&back);
    buf_clear(&enc);
    buf_clear(&again);
    buf_clear(&expect);
}
END_TEST

START_TEST(empty_block)
{
    struct block b, back;
    struct buf enc;
    block_init(&b);
    block_set_merkle_root(&b);
    uint8_t empty[SHA256_LEN];
    sha256("", 0, empty);
    ck_assert_mem_eq(b.header.merkle_root, empty, SHA256_LEN);
    buf_init(&enc);
    ck_assert(block_encode(&b, &enc));
    block_init(&back);
    ck_assert_int_eq(block_decode(enc.data, enc.len, &back), SER_OK);
    ck_assert_uint_eq(back.tx_count, 0);
    ck_assert_ptr_null(back.txs);
    block_clear(&b);
    block_clear(&back);
    buf_clear(&enc);
}
END_TEST

/* The hash covers the header only: txs enter through the merkle root. */
START_TEST(hash_covers_header)
{
    struct block b;
    uint8_t h1[SHA256_LEN], h2[SHA256_LEN];
    build_block(&b);
    block_hash(&b, h1);
    b.txs[1].fee++;
    tx_finalize(&b.txs[1]); /* a field changed: see tx.h */
    block_hash(&b, h2);
    ck_assert_mem_eq(h1, h2, SHA256_LEN);
    block_set_merkle_root(&b);
    block_hash(&b, h2);
    ck_assert(memcmp(h1, h2, SHA256_LEN) != 0);
    b.header.nonce++;
    block_hash(&b, h1);
    ck_assert(memcmp(h1, h2, SHA256_LEN) != 0);
    block_clear(&b);
}
END_TEST

START_TEST(block_rejects)
{
    static const struct bad_case cases[] = {
        {"three fields", "93" HEADER "91" TX_OK "00", SER_ERR_ARRAY_LENGTH},
        {"one field", "91" HEADER, SER_ERR_ARRAY_LENGTH},
        {"txs not array", "92" HEADER "c400", SER_ERR_EXPECTED_ARRAY},
        {"txs array16", "92" HEADER "dc0001" TX_OK, SER_ERR_NONCANON_LENGTH},
        {"header as bin", "92c400" "91" TX_OK, SER_ERR_EXPECTED_ARRAY},
        {"bad header", "92" HDR("02", "c420" PREV, "c420" ROOT, "00", "00", "00") "90", SER_ERR_VERSION},
        {"tx sender 31", "92" HEADER "92" TX_OK "970101c41f" X31("11") "05cd03e890c440" X32("33") X32("33"), SER_ERR_TOO_SHORT},
        {"tx non-canonical fee", "92" HEADER "92" TX_OK "970101c420" X32("11") "05cd000590c440" X32("33") X32("33"), SER_ERR_NONCANON_INT},
        {"tx not array", "92" HEADER "9105", SER_ERR_EXPECTED_ARRAY},
        {"tx bad utf8", "92" HEADER "91970101c420" X32("11") "05cd03e891a2c080c440" X32("33") X32("33"), SER_ERR_UTF8},
        {"trailing", "92" HEADER "91" TX_OK "00", SER_ERR_TRAILING},
        {"huge tx count", "92" HEADER "ddffffffff" TX_OK, SER_ERR_TRUNCATED},
    };
    struct block keep;
    build_block(&keep);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf in;
        fixture_hex_buf(cases[i].hex, &in);
        enum ser_err err = block_decode(in.data, in.len, &keep);
        ck_assert_msg(err == cases[i].err, "%s: got \"%s\", want \"%s\"", cases[i].name,
                      ser_strerror(err), ser_strerror(cases[i].err));
        buf_clear(&in);
    }
    ck_assert_uint_eq(keep.tx_count, 2);
    ck_assert_uint_eq(keep.header.nonce, 42);

    /* every prefix of a valid block */
    struct buf enc;
    buf_init(&enc);
    ck_assert(block_encode(&keep, &enc));
    for (size_t n = 0; n < enc.len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, enc.data, n);
        ck_assert_msg(block_decode(copy, n, &keep) == SER_ERR_TRUNCATED, "prefix %zu", n);
        free(copy);
    }
    ck_assert_uint_eq(keep.tx_count, 2);
    buf_clear(&enc);
    block_clear(&keep);
}
END_TEST

/* A tx whose encoding is `total` bytes: payload [bin(total - 111)]. */
static void add_sized_tx(struct block *b, size_t total)
{
    struct tx tx;
    struct buf in;
    fixture_hex_buf(TX_OK, &in);
    tx_init(&tx);
    ck_assert_int_eq(tx_decode(in.data, in.len, &tx), SER_OK);
    buf_clear(&in);
    size_t n = total - 111;
    uint8_t *bytes = calloc(n, 1);
    ck_assert_ptr_nonnull(bytes);
    struct ser_writer w;
    buf_reset(&tx.payload);
    ser_writer_init(&w, &tx.payload);
    ser_write_array(&w, 1);
    ser_write_bin(&w, bytes, n);
    ck_assert(ser_writer_ok(&w));
    free(bytes);
    tx_finalize(&tx);
    ck_assert_uint_eq(tx_encoded_size(&tx), total);
    ck_assert(block_take_tx(b, &tx));
}

START_TEST(size_limits)
{
    struct block b, back;
    struct buf enc;
    block_init(&b);
    block_init(&back);
    buf_init(&enc);

    /* 63 maximal txs fit; decoding them all is fine */
    for (int i = 0; i < 63; i++)
        add_sized_tx(&b, TX_MAX_SIZE);
    ck_assert(block_encode(&b, &enc));
    ck_assert_uint_le(enc.len, BLOCK_MAX_SIZE);
    ck_assert_int_eq(block_decode(enc.data, enc.len, &back), SER_OK);
    ck_assert_uint_eq(back.tx_count, 63);

    /* a 64th pushes the block over 4 MiB */
    add_sized_tx(&b, TX_MAX_SIZE);
    buf_reset(&enc);
    ck_assert(block_encode(&b, &enc));
    ck_assert_uint_gt(enc.len, BLOCK_MAX_SIZE);
    ck_assert_uint_eq(block_encoded_size(&b), enc.len);
    ck_assert_int_eq(block_decode(enc.data, enc.len, &back), SER_ERR_TOO_LARGE);
    ck_assert_uint_eq(back.tx_count, 63);
    /* embedded in a larger document, the block's own size still counts */
    struct ser_doc doc;
    ser_doc_init(&doc);
    ck_assert_int_eq(ser_doc_parse(&doc, enc.data, enc.len), SER_OK);
    ck_assert_int_eq(block_decode_object(ser_doc_root(&doc), &back), SER_ERR_TOO_LARGE);
    ck_assert_uint_eq(back.tx_count, 63);
    ser_doc_clear(&doc);
    block_clear(&b);

    /* a small block holding one tx over the tx limit */
    block_init(&b);
    add_sized_tx(&b, TX_MAX_SIZE + 1);
    buf_reset(&enc);
    ck_assert(block_encode(&b, &enc));
    ck_assert_int_eq(block_decode(enc.data, enc.len, &back), SER_ERR_TOO_LARGE);

    block_clear(&b);
    block_clear(&back);
    buf_clear(&enc);
}
END_TEST

START_TEST(take_tx_grows)
{
    struct block b;
    block_init(&b);
    for (int i = 0; i < 20; i++) {
        struct tx tx;
        tx_init(&tx);
        tx.nonce = (uint64_t)i;
        ck_assert(tx_set_payload(&tx, "\x91\x01", 2) == SER_OK);
        ck_assert(block_take_tx(&b, &tx));
        ck_assert_ptr_null(tx.payload.data);
        ck_assert_uint_eq(tx.nonce, 0);
    }
    ck_assert_uint_eq(b.tx_count, 20);
    ck_assert_uint_ge(b.tx_cap, 20);
    for (int i = 0; i < 20; i++) {
        ck_assert_uint_eq(b.txs[i].nonce, (uint64_t)i);
        ck_assert_uint_eq(b.txs[i].payload.len, 2);
    }
    block_clear(&b);
    ck_assert_uint_eq(b.tx_count, 0);
    ck_assert_ptr_null(b.txs);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.timeout = 60};
    const TTest *tests[] = {
        header_known_answer, header_rejects, block_round_trip, empty_block, hash_covers_header,
        block_rejects, size_limits, take_tx_grows, NULL
    };
    return fixture_suite("block", &tc, tests);
}
