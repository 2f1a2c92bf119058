#include "unit.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/tx.h"

#define X2(s) s s
#define X4(s) X2(X2(s))
#define X8(s) X2(X4(s))
#define X16(s) X4(X4(s))
#define X32(s) X16(s) X16(s)
#define X31(s) X16(s) X8(s) X4(s) X2(s) s
#define X33(s) X32(s) s

#define SENDER X32("11")
#define SIG X32("33") X32("33")
/* transfer-like payload: [to: bin(32), 500, memo: bin(0)] */
#define PAY "93c420" X32("22") "cd01f4c400"
#define TX(ver, type, sender, nonce, fee, payload, sig) "97" ver type sender nonce fee payload sig
/* [1, 1, sender, 5, 1000, PAY, sig] */
#define VALID TX("01", "01", "c420" SENDER, "05", "cd03e8", PAY, "c440" SIG)
#define VALID_TXID "a48317e12254965df02b1a11d101509b60d538572d67073ab9e6fa4fd6033653"
/* coinbase [1, 0, bin(0), 1024, 0, [recipient, 50 coins, bin(0)], bin(0)] */
#define COINBASE TX("01", "00", "c400", "cd0400", "00", "93c420" X32("44") "cf000000012a05f200c400", "c400")
#define COINBASE_TXID "952d6bcbbfc872882c8da1776eb9aac0eed84475f05c37c98852a153a0a66d5a"

/* A fully built non-coinbase tx equal to VALID. */
static void build_valid(struct tx *tx)
{
    struct buf p;
    tx_init(tx);
    tx->type = 1;
    memset(tx->sender, 0x11, sizeof tx->sender);
    tx->nonce = 5;
    tx->fee = 1000;
    memset(tx->sig, 0x33, sizeof tx->sig);
    fixture_hex_buf(PAY, &p);
    ck_assert_int_eq(tx_set_payload(tx, p.data, p.len), SER_OK);
    buf_clear(&p);
}

static void round_trip(const char *hex, const char *txid_hex)
{
    struct buf in, out;
    struct tx tx;
    fixture_hex_buf(hex, &in);
    buf_init(&out);
    tx_init(&tx);
    ck_assert_int_eq(tx_decode(in.data, in.len, &tx), SER_OK);
    ck_assert(tx_encode(&tx, &out));
    ck_assert_uint_eq(out.len, in.len);
    ck_assert_mem_eq(out.data, in.data, in.len);
    ck_assert_uint_eq(tx_encoded_size(&tx), in.len);

    uint8_t txid[SHA256_LEN], h[SHA256_LEN];
    tx_txid(&tx, txid);
    sha256(in.data, in.len, h);
    ck_assert_mem_eq(txid, h, SHA256_LEN);
    fixture_check_hex(txid, SHA256_LEN, txid_hex);

    /* and once more through a second decode */
    struct tx again;
    tx_init(&again);
    ck_assert_int_eq(tx_decode(out.data, out.len, &again), SER_OK);
    tx_txid(&again, h);
    ck_assert_mem_eq(txid, h, SHA256_LEN);
    tx_clear(&again);
    tx_clear(&tx);
    buf_clear(&in);
    buf_clear(&out);
}

START_TEST(round_trips)
{
    round_trip(VALID, VALID_TXID);
    round_trip(COINBASE, COINBASE_TXID);
}
END_TEST

START_TEST(decoded_fields)
{
    struct buf in;
    struct tx tx;
    fixture_hex_buf(VALID, &in);
    tx_init(&tx);
    ck_assert_int_eq(tx_decode(in.data, in.len, &tx), SER_OK);
    ck_assert_uint_eq(tx.type, 1);
    ck_assert_uint_eq(tx.nonce, 5);
    ck_assert_uint_eq(tx.fee, 1000);
    ck_assert(!tx_is_coinbase(&tx));
    ck_assert_uint_eq(tx.sender[0], 0x11);
    ck_assert_uint_eq(tx.sender[31], 0x11);
    ck_assert_uint_eq(tx.sig[63], 0x33);
    size_t plen;
    const uint8_t *p = tx_payload_bytes(&tx, &plen);
    fixture_check_hex(p, plen, PAY);
    buf_clear(&in);

    fixture_hex_buf(COINBASE, &in);
    ck_assert_int_eq(tx_decode(in.data, in.len, &tx), SER_OK);
    ck_assert(tx_is_coinbase(&tx));
    ck_assert_uint_eq(tx.nonce, 1024);
    ck_assert_uint_eq(tx.fee, 0);
    uint8_t zero[TX_SIG_LEN] = {0};
    ck_assert_mem_eq(tx.sender, zero, TX_SENDER_LEN);
    ck_assert_mem_eq(tx.sig, zero, TX_SIG_LEN);
    tx_clear(&tx);
    buf_clear(&in);
}
END_TEST

/* Building the struct by hand yields the reference bytes. */
START_TEST(encode_known_answer)
{
    struct tx tx;
    struct buf out;
    build_valid(&tx);
    buf_init(&out);
    ck_assert(buf_append(&out, "\xaa", 1));
    ck_assert(tx_encode(&tx, &out)); /* appends */
    ck_assert_uint_eq(out.data[0], 0xaa);
    fixture_check_hex(out.data + 1, out.len - 1, VALID);

    /* a coinbase never encodes its sender/sig slots, whatever they hold */
    tx.type = TX_TYPE_COINBASE;
    buf_reset(&out);
    ck_assert(tx_encode(&tx, &out));
    fixture_check_hex(out.data, out.len, TX("01", "00", "c400", "05", "cd03e8", PAY, "c400"));

    /* an unset payload is the empty array */
    tx_clear(&tx);
    buf_reset(&out);
    ck_assert(tx_encode(&tx, &out));
    fixture_check_hex(out.data, out.len, "970100c400000090c400");
    tx_clear(&tx);
    buf_clear(&out);
}
END_TEST

struct bad_case {
    const char *name;
    const char *hex;
    enum ser_err err;
};

static const struct bad_case bad_cases[] = {
    /* version */
    {"version non-shortest", TX("cc01", "01", "c420" SENDER, "05", "cd03e8", PAY, "c440" SIG), SER_ERR_NONCANON_INT},
    {"version 2", TX("02", "01", "c420" SENDER, "05", "cd03e8", PAY, "c440" SIG), SER_ERR_VERSION},
    {"version 0", TX("00", "01", "c420" SENDER, "05", "cd03e8", PAY, "c440" SIG), SER_ERR_VERSION},
    {"version -1", TX("ff", "01", "c420" SENDER, "05", "cd03e8", PAY, "c440" SIG), SER_ERR_NEGATIVE_INT},
    /* type */
    {"type uint16", TX("01", "cd0001", "c420" SENDER, "05", "cd03e8", PAY, "c440" SIG), SER_ERR_NONCANON_INT},
    {"type int8", TX("01", "d001", "c420" SENDER, "05", "cd03e8", PAY, "c440" SIG), SER_ERR_NONCANON_INT},
    {"type str", TX("01", "a131", "c420" SENDER, "05", "cd03e8", PAY, "c440" SIG), SER_ERR_EXPECTED_UINT},
    /* sender */
    {"sender 31", TX("01", "01", "c41f" X31("11"), "05", "cd03e8", PAY, "c440" SIG), SER_ERR_TOO_SHORT},
    {"sender 33", TX("01", "01", "c421" X33("11"), "05", "cd03e8", PAY, "c440" SIG), SER_ERR_TOO_LONG},
    {"sender empty", TX("01", "01", "c400", "05", "cd03e8", PAY, "c440" SIG), SER_ERR_TOO_SHORT},
    {"sender bin16", TX("01", "01", "c50020" SENDER, "05", "cd03e8", PAY, "c440" SIG), SER_ERR_NONCANON_LENGTH},
    {"sender bin32", TX("01", "01", "c600000020" SENDER, "05", "cd03e8", PAY, "c440" SIG), SER_ERR_NONCANON_LENGTH},
    {"sender str", TX("01", "01", "d920" SENDER, "05", "cd03e8", PAY, "c440" SIG), SER_ERR_BIN_GOT_STR},
    {"sender int", TX("01", "01", "05", "05", "cd03e8", PAY, "c440" SIG), SER_ERR_EXPECTED_BIN},
    /* nonce */
    {"nonce uint8", TX("01", "01", "c420" SENDER, "cc05", "cd03e8", PAY, "c440" SIG), SER_ERR_NONCANON_INT},
    {"nonce uint64", TX("01", "01", "c420" SENDER, "cf0000000000000005", "cd03e8", PAY, "c440" SIG), SER_ERR_NONCANON_INT},
    {"nonce int8 positive", TX("01", "01", "c420" SENDER, "d005", "cd03e8", PAY, "c440" SIG), SER_ERR_NONCANON_INT},
    {"nonce -1", TX("01", "01", "c420" SENDER, "ff", "cd03e8", PAY, "c440" SIG), SER_ERR_NEGATIVE_INT},
    {"nonce -128", TX("01", "01", "c420" SENDER, "d080", "cd03e8", PAY, "c440" SIG), SER_ERR_NEGATIVE_INT},
    {"nonce nil", TX("01", "01", "c420" SENDER, "c0", "cd03e8", PAY, "c440" SIG), SER_ERR_EXPECTED_UINT},
    {"nonce true", TX("01", "01", "c420" SENDER, "c3", "cd03e8", PAY, "c440" SIG), SER_ERR_EXPECTED_UINT},
    {"nonce float", TX("01", "01", "c420" SENDER, "ca40a00000", "cd03e8", PAY, "c440" SIG), SER_ERR_FLOAT},
    /* fee */
    {"fee uint32", TX("01", "01", "c420" SENDER, "05", "ce000003e8", PAY, "c440" SIG), SER_ERR_NONCANON_INT},
    {"fee uint64", TX("01", "01", "c420" SENDER, "05", "cf00000000000003e8", PAY, "c440" SIG), SER_ERR_NONCANON_INT},
    {"fee int16 positive", TX("01", "01", "c420" SENDER, "05", "d103e8", PAY, "c440" SIG), SER_ERR_NONCANON_INT},
    {"fee negative", TX("01", "01", "c420" SENDER, "05", "d1fc18", PAY, "c440" SIG), SER_ERR_NEGATIVE_INT},
    {"fee double", TX("01", "01", "c420" SENDER, "05", "cb408f400000000000", PAY, "c440" SIG), SER_ERR_FLOAT},
    {"fee str", TX("01", "01", "c420" SENDER, "05", "a3313030", PAY, "c440" SIG), SER_ERR_EXPECTED_UINT},
    /* payload */
    {"payload array16", TX("01", "01", "c420" SENDER, "05", "cd03e8", "dc0003c420" X32("22") "cd01f4c400", "c440" SIG), SER_ERR_NONCANON_LENGTH},
    {"payload bin", TX("01", "01", "c420" SENDER, "05", "cd03e8", "c400", "c440" SIG), SER_ERR_EXPECTED_ARRAY},
    {"payload int", TX("01", "01", "c420" SENDER, "05", "cd03e8", "07", "c440" SIG), SER_ERR_EXPECTED_ARRAY},
    {"payload map", TX("01", "01", "c420" SENDER, "05", "cd03e8", "81a16101", "c440" SIG), SER_ERR_MAP},
    {"payload empty map", TX("01", "01", "c420" SENDER, "05", "cd03e8", "80", "c440" SIG), SER_ERR_MAP},
    {"payload inner int", TX("01", "01", "c420" SENDER, "05", "cd03e8", "93c420" X32("22") "cd0005c400", "c440" SIG), SER_ERR_NONCANON_INT},
    {"payload inner bin8", TX("01", "01", "c420" SENDER, "05", "cd03e8", "93c420" X32("22") "cd01f4c50000", "c440" SIG), SER_ERR_NONCANON_LENGTH},
    {"payload str8 short", TX("01", "01", "c420" SENDER, "05", "cd03e8", "91d903616263", "c440" SIG), SER_ERR_NONCANON_LENGTH},
    {"payload str16", TX("01", "01", "c420" SENDER, "05", "cd03e8", "91da0003616263", "c440" SIG), SER_ERR_NONCANON_LENGTH},
    {"utf8 overlong", TX("01", "01", "c420" SENDER, "05", "cd03e8", "91a2c0af", "c440" SIG), SER_ERR_UTF8},
    {"utf8 overlong 3", TX("01", "01", "c420" SENDER, "05", "cd03e8", "91a3e080af", "c440" SIG), SER_ERR_UTF8},
    {"utf8 surrogate", TX("01", "01", "c420" SENDER, "05", "cd03e8", "91a3eda080", "c440" SIG), SER_ERR_UTF8},
    {"utf8 truncated", TX("01", "01", "c420" SENDER, "05", "cd03e8", "91a2e282", "c440" SIG), SER_ERR_UTF8},
    {"utf8 above max", TX("01", "01", "c420" SENDER, "05", "cd03e8", "91a4f4908080", "c440" SIG), SER_ERR_UTF8},
    {"payload float", TX("01", "01", "c420" SENDER, "05", "cd03e8", "91ca00000000", "c440" SIG), SER_ERR_FLOAT},
    {"payload ext", TX("01", "01", "c420" SENDER, "05", "cd03e8", "91d40100", "c440" SIG), SER_ERR_EXT},
    {"payload too deep", TX("01", "01", "c420" SENDER, "05", "cd03e8", X16("91") "90", "c440" SIG), SER_ERR_TOO_DEEP},
    {"payload huge claim", TX("01", "01", "c420" SENDER, "05", "cd03e8", "ddffffffff", "c440" SIG), SER_ERR_TRUNCATED},
    /* sig */
    {"sig 63", TX("01", "01", "c420" SENDER, "05", "cd03e8", PAY, "c43f" X31("33") X32("33")), SER_ERR_TOO_SHORT},
    {"sig 65", TX("01", "01", "c420" SENDER, "05", "cd03e8", PAY, "c441" X33("33") X32("33")), SER_ERR_TOO_LONG},
    {"sig empty", TX("01", "01", "c420" SENDER, "05", "cd03e8", PAY, "c400"), SER_ERR_TOO_SHORT},
    {"sig bin16", TX("01", "01", "c420" SENDER, "05", "cd03e8", PAY, "c50040" SIG), SER_ERR_NONCANON_LENGTH},
    {"sig str", TX("01", "01", "c420" SENDER, "05", "cd03e8", PAY, "d940" SIG), SER_ERR_BIN_GOT_STR},
    /* coinbase form */
    {"coinbase with sender", TX("01", "00", "c420" SENDER, "05", "00", PAY, "c400"), SER_ERR_TOO_LONG},
    {"coinbase with sig", TX("01", "00", "c400", "05", "00", PAY, "c440" SIG), SER_ERR_TOO_LONG},
    /* the array itself */
    {"six fields", "96" "01" "01" "c420" SENDER "05" "cd03e8" PAY, SER_ERR_ARRAY_LENGTH},
    {"eight fields", "98" "01" "01" "c420" SENDER "05" "cd03e8" PAY "c440" SIG "00", SER_ERR_ARRAY_LENGTH},
    {"empty array", "90", SER_ERR_ARRAY_LENGTH},
    {"outer array16", "dc0007" "01" "01" "c420" SENDER "05" "cd03e8" PAY "c440" SIG, SER_ERR_NONCANON_LENGTH},
    {"map instead of array", "87" "01" "01" "c420" SENDER "05" "cd03e8" PAY "c440" SIG, SER_ERR_MAP},
    {"not an array", "a3616263", SER_ERR_EXPECTED_ARRAY},
    {"trailing byte", VALID "00", SER_ERR_TRAILING},
    {"two txs", VALID VALID, SER_ERR_TRAILING},
    {"reserved byte", "c1", SER_ERR_MALFORMED},
    {"empty input", "", SER_ERR_TRUNCATED},
};

START_TEST(rejects_bad_encodings)
{
    struct tx keep;
    build_valid(&keep);
    keep.nonce = 77;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        struct buf in;
        fixture_hex_buf(bad_cases[i].hex, &in);
        enum ser_err err = tx_decode(in.data, in.len, &keep);
        ck_assert_msg(err == bad_cases[i].err, "%s: got \"%s\", want \"%s\"", bad_cases[i].name,
                      ser_strerror(err), ser_strerror(bad_cases[i].err));
        buf_clear(&in);
    }
    /* the output was never touched */
    ck_assert_uint_eq(keep.nonce, 77);
    ck_assert_uint_eq(keep.type, 1);
    size_t plen;
    const uint8_t *p = tx_payload_bytes(&keep, &plen);
    fixture_check_hex(p, plen, PAY);
    tx_clear(&keep);
}
END_TEST

/* The cases above differ from VALID only where they say: VALID itself
 * (and the deepest payload allowed) must pass. */
START_TEST(table_baseline_is_valid)
{
    static const char *const good[] = {
        VALID,
        COINBASE,
        TX("01", "01", "c420" SENDER, "05", "cd03e8", X8("91") X4("91") X2("91") "90", "c440" SIG),
        TX("01", "01", "c420" SENDER, "05", "cd03e8", "91a4f48fbfbf", "c440" SIG),
        TX("01", "01", "c420" SENDER, "cfffffffffffffffff", "cd03e8", "90", "c440" SIG),
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct buf in;
        struct tx tx;
        tx_init(&tx);
        fixture_hex_buf(good[i], &in);
        enum ser_err err = tx_decode(in.data, in.len, &tx);
        ck_assert_msg(err == SER_OK, "good[%zu]: %s", i, ser_strerror(err));
        tx_clear(&tx);
        buf_clear(&in);
    }
}
END_TEST

START_TEST(every_prefix_truncated)
{
    static const char *const txs[] = {VALID, COINBASE};
    for (size_t t = 0; t < 2; t++) {
        struct buf in;
        fixture_hex_buf(txs[t], &in);
        for (size_t n = 0; n < in.len; n++) {
            struct tx tx;
            tx_init(&tx);
            /* a fresh exact-size copy so ASan sees any read past the prefix */
            uint8_t *copy = malloc(n ? n : 1);
            ck_assert_ptr_nonnull(copy);
            memcpy(copy, in.data, n);
            enum ser_err err = tx_decode(copy, n, &tx);
            ck_assert_msg(err == SER_ERR_TRUNCATED, "prefix %zu: %s", n, ser_strerror(err));
            free(copy);
            tx_clear(&tx);
        }
        buf_clear(&in);
    }
}
END_TEST

/* A tx whose payload is [bin(n)] encodes to 107 + 4 + n bytes. */
static void build_sized(struct tx *tx, size_t total)
{
    size_t n = total - 111;
    struct buf p;
    struct ser_writer w;
    uint8_t *bytes = calloc(n, 1);
    ck_assert_ptr_nonnull(bytes);
    buf_init(&p);
    ser_writer_init(&w, &p);
    ser_write_array(&w, 1);
    ser_write_bin(&w, bytes, n);
    ck_assert(ser_writer_ok(&w));
    build_valid(tx);
    /* tx_set_payload refuses payloads over the tx limit; install it directly */
    buf_clear(&tx->payload);
    tx->payload = p;
    free(bytes);
    ck_assert_uint_eq(tx_encoded_size(tx), total);
}

START_TEST(size_limit)
{
    struct tx tx, out;
    struct buf enc;
    tx_init(&out);
    buf_init(&enc);

    build_sized(&tx, TX_MAX_SIZE);
    ck_assert(tx_encode(&tx, &enc));
    ck_assert_uint_eq(enc.len, TX_MAX_SIZE);
    ck_assert_int_eq(tx_decode(enc.data, enc.len, &out), SER_OK);
    tx_clear(&tx);

    build_sized(&tx, TX_MAX_SIZE + 1);
    buf_reset(&enc);
    ck_assert(tx_encode(&tx, &enc));
    ck_assert_uint_eq(enc.len, TX_MAX_SIZE + 1);
    ck_assert_int_eq(tx_decode(enc.data, enc.len, &out), SER_ERR_TOO_LARGE);

    /* the object variant measures the tx itself, not the input around it */
    struct ser_doc doc;
    ser_doc_init(&doc);
    ck_assert_int_eq(ser_doc_parse(&doc, enc.data, enc.len), SER_OK);
    ck_assert_int_eq(tx_decode_object(ser_doc_root(&doc), &out), SER_ERR_TOO_LARGE);
    ser_doc_clear(&doc);

    tx_clear(&tx);
    tx_clear(&out);
    buf_clear(&enc);
}
END_TEST

START_TEST(set_payload)
{
    struct tx tx;
    build_valid(&tx);
    static const struct {
        const char *hex;
        enum ser_err err;
    } cases[] = {
        {"05", SER_ERR_EXPECTED_ARRAY},
        {"c400", SER_ERR_EXPECTED_ARRAY},
        {"cc05", SER_ERR_NONCANON_INT},
        {"910000", SER_ERR_TRAILING},
        {"92", SER_ERR_TRUNCATED},
        {"80", SER_ERR_MAP},
        {"", SER_ERR_TRUNCATED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf p;
        fixture_hex_buf(cases[i].hex, &p);
        ck_assert_int_eq(tx_set_payload(&tx, p.data, p.len), cases[i].err);
        buf_clear(&p);
    }
    size_t plen;
    const uint8_t *pb = tx_payload_bytes(&tx, &plen);
    fixture_check_hex(pb, plen, PAY);

    ck_assert_int_eq(tx_set_payload(&tx, "\x92\x01\xa1x", 4), SER_OK);
    pb = tx_payload_bytes(&tx, &plen);
    fixture_check_hex(pb, plen, "9201a178");
    tx_clear(&tx);
}
END_TEST

START_TEST(copy)
{
    struct tx a, b;
    build_valid(&a);
    tx_init(&b);
    ck_assert(tx_set_payload(&b, "\x91\x07", 2) == SER_OK);
    ck_assert(tx_copy(&b, &a));
    uint8_t ia[SHA256_LEN], ib[SHA256_LEN];
    tx_txid(&a, ia);
    tx_txid(&b, ib);
    ck_assert_mem_eq(ia, ib, SHA256_LEN);
    ck_assert_ptr_ne(a.payload.data, b.payload.data);
    tx_clear(&a);
    tx_txid(&b, ib);
    fixture_check_hex(ib, SHA256_LEN, VALID_TXID);
    tx_clear(&b);
}
END_TEST

START_TEST(sighash_definition)
{
    uint8_t genesis[SHA256_LEN], got[SHA256_LEN], expect[SHA256_LEN];
    memset(genesis, 0x5a, sizeof genesis);
    struct tx tx;
    build_valid(&tx);
    tx_sighash(&tx, genesis, got);

    /* TaggedHash("souk/tx", genesis || [1, 1, sender, 5, 1000, PAY]) */
    struct buf msg;
    fixture_hex_buf(X32("5a") "96" "01" "01" "c420" SENDER "05" "cd03e8" PAY, &msg);
    sha256_tagged("souk/tx", msg.data, msg.len, expect);
    ck_assert_mem_eq(got, expect, SHA256_LEN);
    buf_clear(&msg);

    /* a coinbase signs nothing, but its hash is defined the same way */
    tx.type = 0;
    tx_sighash(&tx, genesis, got);
    fixture_hex_buf(X32("5a") "96" "01" "00" "c400" "05" "cd03e8" PAY, &msg);
    sha256_tagged("souk/tx", msg.data, msg.len, expect);
    ck_assert_mem_eq(got, expect, SHA256_LEN);
    buf_clear(&msg);
    tx_clear(&tx);
}
END_TEST

START_TEST(sighash_coverage)
{
    uint8_t genesis[SHA256_LEN], base[SHA256_LEN], h[SHA256_LEN];
    memset(genesis, 0x5a, sizeof genesis);
    struct tx tx;
    build_valid(&tx);
    tx_sighash(&tx, genesis, base);

    genesis[31] ^= 1;
    tx_sighash(&tx, genesis, h);
    ck_assert(memcmp(h, base, SHA256_LEN) != 0);
    genesis[31] ^= 1;

    tx.type = 2;
    tx_sighash(&tx, genesis, h);
    ck_assert(memcmp(h, base, SHA256_LEN) != 0);
    tx.type = 1;

    tx.sender[7] ^= 0x80;
    tx_sighash(&tx, genesis, h);
    ck_assert(memcmp(h, base, SHA256_LEN) != 0);
    tx.sender[7] ^= 0x80;

    tx.nonce = 6;
    tx_sighash(&tx, genesis, h);
    ck_assert(memcmp(h, base, SHA256_LEN) != 0);
    tx.nonce = 5;

    tx.fee = 1001;
    tx_sighash(&tx, genesis, h);
    ck_assert(memcmp(h, base, SHA256_LEN) != 0);
    tx.fee = 1000;

    tx.payload.data[5] ^= 1;
    tx_sighash(&tx, genesis, h);
    ck_assert(memcmp(h, base, SHA256_LEN) != 0);
    tx.payload.data[5] ^= 1;

    /* back to the original: same hash again */
    tx_sighash(&tx, genesis, h);
    ck_assert_mem_eq(h, base, SHA256_LEN);

    /* the signature is not covered by the sighash, but is by the txid */
    uint8_t id1[SHA256_LEN], id2[SHA256_LEN];
    tx_txid(&tx, id1);
    memset(tx.sig, 0x99, sizeof tx.sig);
    tx_sighash(&tx, genesis, h);
    ck_assert_mem_eq(h, base, SHA256_LEN);
    tx_txid(&tx, id2);
    ck_assert(memcmp(id1, id2, SHA256_LEN) != 0);
    tx_clear(&tx);
}
END_TEST

/* What tx_encoded_size and tx_txid say with the cache set aside. */
static void fresh_facts(const struct tx *tx, size_t *size, uint8_t txid[SHA256_LEN])
{
    struct tx dup = *tx;
    tx_invalidate(&dup);
    *size = tx_encoded_size(&dup);
    tx_txid(&dup, txid);
}

/* The cached size and txid equal a fresh computation wherever the cache is
 * set, and stop being used where the fields change through the API. */
START_TEST(cache_matches_the_fields)
{
    size_t size;
    uint8_t id[SHA256_LEN];
    struct buf in;
    struct tx tx;
    tx_init(&tx);
    ck_assert(!tx.cache.valid);

    /* decoded: from the bytes themselves, with no encoding pass */
    fixture_hex_buf(VALID, &in);
    uint64_t before = tx_encode_count();
    ck_assert_int_eq(tx_decode(in.data, in.len, &tx), SER_OK);
    ck_assert_uint_eq(tx_encode_count(), before);
    ck_assert(tx.cache.valid);
    fresh_facts(&tx, &size, id);
    ck_assert_uint_eq(tx.cache.size, size);
    ck_assert_uint_eq(size, in.len);
    ck_assert_mem_eq(tx.cache.txid, id, SHA256_LEN);
    fixture_check_hex(tx.cache.txid, SHA256_LEN, VALID_TXID);
    /* ...and read back without one */
    before = tx_encode_count();
    ck_assert_uint_eq(tx_encoded_size(&tx), in.len);
    tx_txid(&tx, id);
    ck_assert_uint_eq(tx_encode_count(), before);
    buf_clear(&in);

    /* copied with the fields */
    struct tx dup;
    tx_init(&dup);
    ck_assert(tx_copy(&dup, &tx));
    ck_assert(dup.cache.valid);
    ck_assert_mem_eq(dup.cache.txid, tx.cache.txid, SHA256_LEN);

    /* a new payload invalidates it; the accessors then compute */
    struct buf p;
    fixture_hex_buf("93c420" X32("55") "cd01f4c400", &p);
    ck_assert_int_eq(tx_set_payload(&dup, p.data, p.len), SER_OK);
    buf_clear(&p);
    ck_assert(!dup.cache.valid);
    tx_txid(&dup, id);
    ck_assert(memcmp(id, tx.cache.txid, SHA256_LEN) != 0);

    /* a field written by hand, then tx_finalize: right again */
    dup.fee = 123456789;
    tx_finalize(&dup);
    ck_assert(dup.cache.valid);
    fresh_facts(&dup, &size, id);
    ck_assert_uint_eq(dup.cache.size, size);
    ck_assert_mem_eq(dup.cache.txid, id, SHA256_LEN);

    /* a tx inside a block: decoded from a larger document */
    struct buf enc;
    buf_init(&enc);
    ck_assert(tx_encode(&dup, &enc));
    struct ser_doc doc;
    ser_doc_init(&doc);
    ck_assert_int_eq(ser_doc_parse(&doc, enc.data, enc.len), SER_OK);
    struct tx inner;
    tx_init(&inner);
    ck_assert_int_eq(tx_decode_object(ser_doc_root(&doc), &inner), SER_OK);
    ser_doc_clear(&doc);
    ck_assert(inner.cache.valid);
    ck_assert_uint_eq(inner.cache.size, enc.len);
    ck_assert_mem_eq(inner.cache.txid, id, SHA256_LEN);
    buf_clear(&enc);

    /* cleared: nothing cached */
    tx_clear(&inner);
    ck_assert(!inner.cache.valid);
    tx_clear(&dup);
    tx_clear(&tx);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.timeout = 30};
    const TTest *tests[] = {
        round_trips, decoded_fields, encode_known_answer, rejects_bad_encodings,
        table_baseline_is_valid, every_prefix_truncated, size_limit, set_payload, copy,
        sighash_definition, sighash_coverage, cache_matches_the_fields, NULL
    };
    return fixture_suite("tx", &tc, tests);
}
