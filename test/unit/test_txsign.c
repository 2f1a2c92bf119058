#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/chainparams.h"
#include "consensus/transfer.h"
#include "consensus/txsign.h"

/* An unsigned transfer of amount to a fresh key, nonce 3, fee 200. */
static void make_transfer(struct tx *tx, amount_t amount)
{
    struct transfer_payload p = {.amount = amount, .memo_len = 0};
    fixture_pubkey(p.to);
    fixture_transfer_payload(tx, &p);
    tx->nonce = 3;
    tx->fee = 200;
}

START_TEST(sign_sets_sender_and_verifies)
{
    const uint8_t *genesis = chainparams_get(CHAIN_REGTEST)->genesis.hash;
    struct fixture_user u;
    fixture_user_new(&u);
    struct tx tx;
    tx_init(&tx);
    make_transfer(&tx, 1000);
    ck_assert(txsign_sign(&tx, u.sk, genesis));
    ck_assert(memcmp(tx.sender, u.pub, 32) == 0);
    ck_assert(txsign_verify(&tx, genesis));

    /* the signature covers every field */
    tx.nonce++;
    ck_assert(!txsign_verify(&tx, genesis));
    tx.nonce--;
    tx.fee++;
    ck_assert(!txsign_verify(&tx, genesis));
    tx.fee--;
    make_transfer(&tx, 1001);
    memcpy(tx.sender, u.pub, 32);
    tx.nonce = 3;
    tx.fee = 200;
    ck_assert(!txsign_verify(&tx, genesis));
    tx_clear(&tx);
}
END_TEST

/* The same signed bytes are invalid on every other network. */
START_TEST(signature_bound_to_network)
{
    uint8_t sk[32];
    ck_assert(key_generate(sk));
    struct tx tx;
    tx_init(&tx);
    make_transfer(&tx, 5);
    ck_assert(txsign_sign(&tx, sk, chainparams_get(CHAIN_TEST)->genesis.hash));
    ck_assert(txsign_verify(&tx, chainparams_get(CHAIN_TEST)->genesis.hash));
    ck_assert(!txsign_verify(&tx, chainparams_get(CHAIN_MAIN)->genesis.hash));
    ck_assert(!txsign_verify(&tx, chainparams_get(CHAIN_REGTEST)->genesis.hash));
    tx_clear(&tx);
}
END_TEST

START_TEST(refusals_leave_tx_untouched)
{
    const uint8_t *genesis = chainparams_get(CHAIN_REGTEST)->genesis.hash;
    struct tx tx;
    tx_init(&tx);
    make_transfer(&tx, 5);
    memset(tx.sender, 0x11, 32);
    memset(tx.sig, 0x22, 64);
    uint8_t bad_sk[32];
    memset(bad_sk, 0, sizeof bad_sk); /* zero is not a secret key */
    ck_assert(!txsign_sign(&tx, bad_sk, genesis));
    for (int i = 0; i < 32; i++)
        ck_assert_uint_eq(tx.sender[i], 0x11);
    for (int i = 0; i < 64; i++)
        ck_assert_uint_eq(tx.sig[i], 0x22);
    ck_assert(!txsign_verify(&tx, genesis));

    uint8_t sk[32];
    ck_assert(key_generate(sk));
    tx.type = TX_TYPE_COINBASE;
    ck_assert(!txsign_sign(&tx, sk, genesis));
    ck_assert(!txsign_verify(&tx, genesis));
    tx_clear(&tx);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        sign_sets_sender_and_verifies, signature_bound_to_network, refusals_leave_tx_untouched,
        NULL
    };
    return fixture_suite("txsign", NULL, tests);
}
