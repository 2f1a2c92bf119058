#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/chainparams.h"
#include "consensus/coinbase.h"
#include "consensus/transfer.h"
#include "consensus/txcheck.h"
#include "consensus/txsign.h"

static const uint8_t *regtest_genesis(void)
{
    return chainparams_get(CHAIN_REGTEST)->genesis.hash;
}

/* A regtest transfer of `amount` with a memo and fee 100, to a fresh key,
 * signed with a fresh key written to sk. */
static void signed_transfer(struct tx *tx, amount_t amount, uint8_t sk[32])
{
    struct transfer_payload p = {.amount = amount, .memo_len = 2, .memo = {'h', 'i'}};
    fixture_pubkey(p.to);
    fixture_transfer_payload(tx, &p);
    tx->nonce = 0;
    tx->fee = 100;
    ck_assert(key_generate(sk));
    ck_assert(txsign_sign(tx, sk, regtest_genesis()));
}

START_TEST(valid_transfer_passes)
{
    struct tx tx;
    uint8_t sk[32];
    tx_init(&tx);
    signed_transfer(&tx, 5000, sk);
    ck_assert_int_eq(txcheck_stateless(&tx, regtest_genesis(), NULL), TXERR_OK);
    tx_clear(&tx);
}
END_TEST

START_TEST(each_rule_rejects)
{
    struct tx tx;
    uint8_t sk[32];
    enum ser_err detail = SER_OK;
    tx_init(&tx);

    /* wrong network */
    signed_transfer(&tx, 5000, sk);
    ck_assert_int_eq(txcheck_stateless(&tx, chainparams_get(CHAIN_MAIN)->genesis.hash, NULL),
                     TXERR_WRONG_NETWORK);
    ck_assert_int_eq(txcheck_stateless(&tx, chainparams_get(CHAIN_TEST)->genesis.hash, NULL),
                     TXERR_WRONG_NETWORK);
    /* signed for a hash no network has: just a bad signature */
    uint8_t nowhere[SHA256_LEN];
    memset(nowhere, 0x5a, sizeof nowhere);
    ck_assert(txsign_sign(&tx, sk, nowhere));
    ck_assert_int_eq(txcheck_stateless(&tx, regtest_genesis(), NULL), TXERR_BAD_SIGNATURE);
    /* tampered after signing */
    tx.nonce = 1;
    tx_finalize(&tx);
    ck_assert_int_eq(txcheck_stateless(&tx, regtest_genesis(), NULL), TXERR_BAD_SIGNATURE);

    /* unknown type */
    signed_transfer(&tx, 5000, sk);
    tx.type = 99;
    ck_assert(txsign_sign(&tx, sk, regtest_genesis()));
    ck_assert_int_eq(txcheck_stateless(&tx, regtest_genesis(), NULL), TXERR_UNKNOWN_TYPE);

    /* fee out of range */
    signed_transfer(&tx, 5000, sk);
    tx.fee = AMOUNT_MAX + 1;
    ck_assert(txsign_sign(&tx, sk, regtest_genesis()));
    ck_assert_int_eq(txcheck_stateless(&tx, regtest_genesis(), NULL), TXERR_BAD_FEE);

    /* the type's own check runs: zero amount */
    signed_transfer(&tx, 0, sk);
    ck_assert_int_eq(txcheck_stateless(&tx, regtest_genesis(), NULL), TXERR_AMOUNT_ZERO);

    /* a payload that does not decode reports the codec rule */
    signed_transfer(&tx, 1, sk);
    static const uint8_t two[] = {0x92, 0x01, 0x02};
    ck_assert_int_eq(tx_set_payload(&tx, two, sizeof two), SER_OK);
    ck_assert(txsign_sign(&tx, sk, regtest_genesis()));
    ck_assert_int_eq(txcheck_stateless(&tx, regtest_genesis(), &detail), TXERR_BAD_PAYLOAD);
    ck_assert_int_eq(detail, SER_ERR_ARRAY_LENGTH);

    /* sender that is not a curve point */
    signed_transfer(&tx, 1, sk);
    memset(tx.sender, 0xff, 32);
    tx_finalize(&tx);
    ck_assert_int_eq(txcheck_stateless(&tx, regtest_genesis(), NULL), TXERR_BAD_SENDER);

    /* over 64 KiB: the payload alone fits, the whole tx does not */
    struct buf big;
    buf_init(&big);
    ck_assert(buf_append(&big, "\x91\xc5\xff\xdc", 4));
    ck_assert(buf_reserve(&big, 0xffdc));
    memset(big.data + big.len, 0, 0xffdc);
    big.len += 0xffdc;
    ck_assert_int_eq(tx_set_payload(&tx, big.data, big.len), SER_OK);
    ck_assert(txsign_sign(&tx, sk, regtest_genesis()));
    ck_assert_int_eq(txcheck_stateless(&tx, regtest_genesis(), NULL), TXERR_TOO_LARGE);
    buf_clear(&big);
    tx_clear(&tx);
}
END_TEST

START_TEST(coinbase_needs_no_signature)
{
    struct coinbase_payload p = {.amount = 50, .extra_len = 0};
    fixture_pubkey(p.recipient);
    struct tx tx;
    tx_init(&tx);
    ck_assert(coinbase_build(&tx, 7, &p));
    ck_assert_int_eq(txcheck_stateless(&tx, regtest_genesis(), NULL), TXERR_OK);
    tx.fee = 3;
    tx_finalize(&tx);
    ck_assert_int_eq(txcheck_stateless(&tx, regtest_genesis(), NULL), TXERR_COINBASE_FEE);
    tx_clear(&tx);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        valid_transfer_passes, each_rule_rejects, coinbase_needs_no_signature, NULL
    };
    return fixture_suite("txcheck", NULL, tests);
}
