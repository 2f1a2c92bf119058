#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/transfer.h"

START_TEST(payload_round_trip)
{
    struct transfer_payload p = {.amount = 123456789, .memo_len = TRANSFER_MEMO_MAX};
    fixture_pubkey(p.to);
    memset(p.memo, 'm', sizeof p.memo);
    struct buf b;
    buf_init(&b);
    ck_assert(transfer_payload_encode(&p, &b));
    struct transfer_payload q;
    ck_assert_int_eq(transfer_payload_decode(b.data, b.len, &q), SER_OK);
    ck_assert(memcmp(q.to, p.to, 32) == 0);
    ck_assert_uint_eq(q.amount, p.amount);
    ck_assert_uint_eq(q.memo_len, TRANSFER_MEMO_MAX);
    ck_assert(memcmp(q.memo, p.memo, TRANSFER_MEMO_MAX) == 0);
    buf_clear(&b);

    p.memo_len = 0;
    ck_assert(transfer_payload_encode(&p, &b));
    ck_assert_int_eq(transfer_payload_decode(b.data, b.len, &q), SER_OK);
    ck_assert_uint_eq(q.memo_len, 0);
    buf_clear(&b);

    p.memo_len = TRANSFER_MEMO_MAX + 1;
    ck_assert(!transfer_payload_encode(&p, &b));
}
END_TEST

START_TEST(payload_rejections)
{
    /* A valid key (the generator's x): bounds are checked in field order. */
    static const char *key32 = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
    char hex[1200];
    uint8_t bytes[600];
    struct transfer_payload q;

    /* memo of 257 bytes (bin16 length 0x0101) */
    int n = snprintf(hex, sizeof hex, "93c420%s01c50101", key32);
    for (int i = 0; i < 257; i++)
        n += snprintf(hex + n, sizeof hex - (size_t)n, "00");
    unit_hex(hex, bytes, (size_t)n / 2);
    ck_assert_int_eq(transfer_payload_decode(bytes, (size_t)n / 2, &q), SER_ERR_TOO_LONG);

    /* memo as str */
    n = snprintf(hex, sizeof hex, "93c420%s01a161", key32);
    unit_hex(hex, bytes, (size_t)n / 2);
    ck_assert_int_eq(transfer_payload_decode(bytes, (size_t)n / 2, &q), SER_ERR_BIN_GOT_STR);

    /* four elements */
    n = snprintf(hex, sizeof hex, "94c420%s01c40000", key32);
    unit_hex(hex, bytes, (size_t)n / 2);
    ck_assert_int_eq(transfer_payload_decode(bytes, (size_t)n / 2, &q), SER_ERR_ARRAY_LENGTH);

    /* trailing byte after the payload */
    n = snprintf(hex, sizeof hex, "93c420%s01c40000", key32);
    unit_hex(hex, bytes, (size_t)n / 2);
    ck_assert_int_eq(transfer_payload_decode(bytes, (size_t)n / 2, &q), SER_ERR_TRAILING);
}
END_TEST

START_TEST(stateless_rules)
{
    struct transfer_payload p = {.amount = 10, .memo_len = 0};
    fixture_pubkey(p.to);
    struct tx tx;
    tx_init(&tx);
    tx.fee = 5;
    enum ser_err detail = SER_OK;

    fixture_transfer_payload(&tx, &p);
    ck_assert_int_eq(fixture_type_check(&transfer_txtype, &tx, &detail), TXERR_OK);

    p.amount = 0;
    fixture_transfer_payload(&tx, &p);
    ck_assert_int_eq(fixture_type_check(&transfer_txtype, &tx, &detail), TXERR_AMOUNT_ZERO);

    /* amount alone fits, amount + fee does not */
    p.amount = AMOUNT_MAX;
    fixture_transfer_payload(&tx, &p);
    ck_assert_int_eq(fixture_type_check(&transfer_txtype, &tx, &detail), TXERR_AMOUNT_RANGE);
    tx.fee = 0;
    ck_assert_int_eq(fixture_type_check(&transfer_txtype, &tx, &detail), TXERR_OK);
    p.amount = UINT64_MAX;
    fixture_transfer_payload(&tx, &p);
    ck_assert_int_eq(fixture_type_check(&transfer_txtype, &tx, &detail), TXERR_AMOUNT_RANGE);

    p.amount = 10;
    memset(p.to, 0xff, 32);
    fixture_transfer_payload(&tx, &p);
    ck_assert_int_eq(fixture_type_check(&transfer_txtype, &tx, &detail), TXERR_BAD_RECIPIENT);

    static const uint8_t empty[] = {0x90};
    ck_assert_int_eq(tx_set_payload(&tx, empty, sizeof empty), SER_OK);
    ck_assert_int_eq(fixture_type_check(&transfer_txtype, &tx, &detail), TXERR_BAD_PAYLOAD);
    ck_assert_int_eq(detail, SER_ERR_ARRAY_LENGTH);
    tx_clear(&tx);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {payload_round_trip, payload_rejections, stateless_rules, NULL};
    return fixture_suite("transfer", NULL, tests);
}
