#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/coinbase.h"

START_TEST(payload_round_trip)
{
    struct coinbase_payload p = {.amount = 5000000000u, .extra_len = 5};
    fixture_pubkey(p.recipient);
    memcpy(p.extra, "hello", 5);
    struct buf b;
    buf_init(&b);
    ck_assert(coinbase_payload_encode(&p, &b));
    struct coinbase_payload q;
    ck_assert_int_eq(coinbase_payload_decode(b.data, b.len, &q), SER_OK);
    ck_assert(memcmp(q.recipient, p.recipient, 32) == 0);
    ck_assert_uint_eq(q.amount, p.amount);
    ck_assert_uint_eq(q.extra_len, 5);
    ck_assert(memcmp(q.extra, "hello", 5) == 0);
    /* first bytes: a 3-element fixarray, then bin8 of 32 */
    ck_assert_uint_eq(b.data[0], 0x93);
    ck_assert_uint_eq(b.data[1], 0xc4);
    ck_assert_uint_eq(b.data[2], 32);
    buf_clear(&b);

    p.extra_len = COINBASE_EXTRA_MAX + 1;
    ck_assert(!coinbase_payload_encode(&p, &b));
    ck_assert_uint_eq(b.len, 0);
}
END_TEST

/* Hand-written payloads that must be refused, with the rule each breaks. */
START_TEST(payload_rejections)
{
    static const struct {
        const char *hex;
        enum ser_err err;
    } cases[] = {
        /* two elements */
        {"92c420" "0000000000000000000000000000000000000000000000000000000000000000" "01", SER_ERR_ARRAY_LENGTH},
        /* recipient of 31 bytes */
        {"93c41f" "00000000000000000000000000000000000000000000000000000000000000" "01c400", SER_ERR_TOO_SHORT},
        /* recipient as str */
        {"93d920" "3030303030303030303030303030303030303030303030303030303030303030" "01c400", SER_ERR_BIN_GOT_STR},
        /* negative amount */
        {"93c420" "0000000000000000000000000000000000000000000000000000000000000000" "ffc400", SER_ERR_NEGATIVE_INT},
        /* extra of 65 bytes (the recipient a valid key: bounds are checked in field order) */
        {"93c420" "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" "01c441"
         "0000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000" "00", SER_ERR_TOO_LONG},
        /* non-shortest amount */
        {"93c420" "0000000000000000000000000000000000000000000000000000000000000000" "cc01c400", SER_ERR_NONCANON_INT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t bytes[256];
        size_t n = strlen(cases[i].hex) / 2;
        unit_hex(cases[i].hex, bytes, n);
        struct coinbase_payload q;
        memset(&q, 0xab, sizeof q);
        enum ser_err err = coinbase_payload_decode(bytes, n, &q);
        ck_assert_msg(err == cases[i].err, "case %zu: got %s", i, ser_strerror(err));
        ck_assert_uint_eq(q.extra_len, (size_t)0xabababababababab); /* untouched */
    }
}
END_TEST

START_TEST(build_and_check)
{
    struct coinbase_payload p = {.amount = 100, .extra_len = 0};
    fixture_pubkey(p.recipient);
    struct tx tx;
    tx_init(&tx);
    ck_assert(coinbase_build(&tx, 42, &p));
    ck_assert(tx_is_coinbase(&tx));
    ck_assert_uint_eq(tx.nonce, 42);
    ck_assert_uint_eq(tx.fee, 0);
    enum ser_err detail = SER_OK;
    ck_assert_int_eq(fixture_type_check(&coinbase_txtype, &tx, &detail), TXERR_OK);

    tx.fee = 1;
    ck_assert_int_eq(fixture_type_check(&coinbase_txtype, &tx, &detail), TXERR_COINBASE_FEE);
    tx.fee = 0;

    p.amount = AMOUNT_MAX + 1;
    ck_assert(coinbase_build(&tx, 42, &p));
    ck_assert_int_eq(fixture_type_check(&coinbase_txtype, &tx, &detail), TXERR_AMOUNT_RANGE);

    p.amount = 1;
    memset(p.recipient, 0xff, 32); /* x >= field size: not a point */
    ck_assert(coinbase_build(&tx, 42, &p));
    ck_assert_int_eq(fixture_type_check(&coinbase_txtype, &tx, &detail), TXERR_BAD_RECIPIENT);

    /* a payload of the wrong shape */
    static const uint8_t wrong[] = {0x91, 0x01};
    ck_assert_int_eq(tx_set_payload(&tx, wrong, sizeof wrong), SER_OK);
    ck_assert_int_eq(fixture_type_check(&coinbase_txtype, &tx, &detail), TXERR_BAD_PAYLOAD);
    ck_assert_int_eq(detail, SER_ERR_ARRAY_LENGTH);
    tx_clear(&tx);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {payload_round_trip, payload_rejections, build_and_check, NULL};
    return fixture_suite("coinbase", NULL, tests);
}
