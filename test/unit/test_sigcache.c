#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/chainparams.h"
#include "consensus/sigcache.h"
#include "consensus/txcheck.h"
#include "consensus/txsign.h"
#include "consensus/txtype.h"

static void fill(uint8_t *p, size_t n, uint8_t v)
{
    memset(p, v, n);
}

START_TEST(remembers_exactly_what_was_added)
{
    ck_assert(sigcache_set_size(1 << 20));
    uint8_t h[32], k[32], s[64];
    fill(h, 32, 1);
    fill(k, 32, 2);
    fill(s, 64, 3);
    ck_assert(!sigcache_has(h, k, s));
    uint64_t hits = sigcache_hits();
    sigcache_add(h, k, s);
    ck_assert(sigcache_has(h, k, s));
    ck_assert_uint_eq(sigcache_hits(), hits + 1);
    /* Any other sighash, key or signature is a miss. */
    h[31] ^= 1;
    ck_assert(!sigcache_has(h, k, s));
    h[31] ^= 1;
    k[0] ^= 1;
    ck_assert(!sigcache_has(h, k, s));
    k[0] ^= 1;
    s[63] ^= 1;
    ck_assert(!sigcache_has(h, k, s));
    s[63] ^= 1;
    /* Resizing forgets, and size 0 turns it off. */
    ck_assert(sigcache_set_size(1 << 20));
    ck_assert(!sigcache_has(h, k, s));
    ck_assert(sigcache_set_size(0));
    sigcache_add(h, k, s);
    ck_assert(!sigcache_has(h, k, s));
}
END_TEST

START_TEST(bounded_and_keeps_a_block_worth)
{
    /* 64 KiB: 2,048 slots in sets of 4. Adding ten times that keeps the
     * table at its size (nothing grows) while recent entries stay. */
    ck_assert(sigcache_set_size(64 << 10));
    uint8_t h[32], k[32], s[64];
    fill(k, 32, 7);
    fill(s, 64, 9);
    for (uint32_t i = 0; i < 20480; i++) {
        fill(h, 32, 0);
        memcpy(h, &i, sizeof i);
        sigcache_add(h, k, s);
    }
    /* A block's worth (2,000) in a 1 MiB table (32,768 slots in sets of
     * 4): a set would need five of them to lose one, which the salted
     * keys make rare, so nearly all stay (a direct-mapped table loses
     * about 60 here). */
    ck_assert(sigcache_set_size(1 << 20));
    for (uint32_t i = 0; i < 2000; i++) {
        fill(h, 32, 0);
        memcpy(h, &i, sizeof i);
        sigcache_add(h, k, s);
    }
    size_t kept = 0;
    for (uint32_t i = 0; i < 2000; i++) {
        fill(h, 32, 0);
        memcpy(h, &i, sizeof i);
        kept += sigcache_has(h, k, s);
    }
    ck_assert_uint_ge(kept, 1990);
    ck_assert(sigcache_set_size(0));
}
END_TEST

static enum txerr accept_apply(struct state_view *v, const struct tx *tx,
                               const struct apply_ctx *ctx)
{
    (void)v;
    (void)tx;
    (void)ctx;
    return TXERR_OK;
}

/* A fresh sender's first transfer to a fresh account, signed for regtest. */
static void signed_transfer(struct tx *tx, struct fixture_user *u, uint8_t to[32])
{
    fixture_user_new(u);
    fixture_pubkey(to);
    tx_init(tx);
    fixture_transfer(tx, u->sk, to, 1000, 0, 500);
}

/* A tx that passed the stateless check once passes it again on a lookup:
 * no signature, and no sighash either (so no serialization of the tx),
 * which is what makes a block of mempool-seen txs cheap. Anything that
 * could change the verdict misses: other bytes, another network, another
 * set of registered types. */
START_TEST(checked_tx_is_one_lookup)
{
    ck_assert(sigcache_set_size(1 << 20));
    const uint8_t *regtest = chainparams_get(CHAIN_REGTEST)->genesis.hash;
    struct fixture_user u;
    uint8_t to[32];
    struct tx tx;
    signed_transfer(&tx, &u, to);

    uint64_t verifies = txsign_verify_count(), encodes = tx_encode_count();
    ck_assert_int_eq(txcheck_stateless(&tx, regtest, NULL), TXERR_OK);
    ck_assert_uint_eq(txsign_verify_count(), verifies + 1);
    ck_assert_uint_eq(tx_encode_count(), encodes + 1); /* the sighash */
    uint64_t hits = sigcache_hits();
    encodes = tx_encode_count();
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(txcheck_stateless(&tx, regtest, NULL), TXERR_OK);
    ck_assert_uint_eq(txsign_verify_count(), verifies + 1);
    ck_assert_uint_eq(tx_encode_count(), encodes);
    ck_assert_uint_eq(sigcache_hits(), hits + 3);

    /* another network: checked in full, and refused */
    ck_assert_int_eq(txcheck_stateless(&tx, chainparams_get(CHAIN_MAIN)->genesis.hash, NULL),
                     TXERR_WRONG_NETWORK);
    /* other bytes (the cached verdict was for the signed ones) */
    tx.fee++;
    tx_finalize(&tx);
    ck_assert_int_eq(txcheck_stateless(&tx, regtest, NULL), TXERR_BAD_SIGNATURE);
    tx.fee--;
    tx_finalize(&tx);
    ck_assert_int_eq(txcheck_stateless(&tx, regtest, NULL), TXERR_OK);

    /* a type that only exists while its plugin is registered: the verdict
     * given under it is not reused once it is gone */
    static const struct txfield fields[] = {{.name = "to", .kind = TXFIELD_ACCOUNT}};
    static const struct txtype_def kind = {
        .id = 200, .name = "sigcache_test", .fields = fields, .n_fields = 1, .apply = accept_apply};
    ck_assert(txtype_register(&kind, NULL, 0));
    struct tx ptx;
    tx_init(&ptx);
    uint8_t payload[35] = {0x91, 0xc4, 0x20};
    memcpy(payload + 3, to, 32);
    ck_assert_int_eq(tx_set_payload(&ptx, payload, sizeof payload), SER_OK);
    ptx.type = 200;
    ptx.fee = 500;
    ck_assert(txsign_sign(&ptx, u.sk, regtest));
    ck_assert_int_eq(txcheck_stateless(&ptx, regtest, NULL), TXERR_OK);
    ck_assert_int_eq(txcheck_stateless(&ptx, regtest, NULL), TXERR_OK);
    txtype_reset();
    ck_assert_int_eq(txcheck_stateless(&ptx, regtest, NULL), TXERR_UNKNOWN_TYPE);

    /* off: every check is a full one */
    ck_assert(sigcache_set_size(0));
    verifies = txsign_verify_count();
    ck_assert_int_eq(txcheck_stateless(&tx, regtest, NULL), TXERR_OK);
    ck_assert_uint_eq(txsign_verify_count(), verifies + 1);
    tx_clear(&ptx);
    tx_clear(&tx);
}
END_TEST

/* A block's tx consults the cache but is not added to it (as Bitcoin Core
 * connects blocks): checked twice for blocks, it is verified twice; once
 * the mempool's check has added it, the block's check is a lookup. */
START_TEST(block_checks_consult_but_do_not_add)
{
    ck_assert(sigcache_set_size(1 << 20));
    const uint8_t *regtest = chainparams_get(CHAIN_REGTEST)->genesis.hash;
    struct fixture_user u;
    uint8_t to[32];
    struct tx tx;
    signed_transfer(&tx, &u, to);
    uint64_t verifies = txsign_verify_count();
    ck_assert_int_eq(txcheck_stateless_block(&tx, regtest), TXERR_OK);
    ck_assert_int_eq(txcheck_stateless_block(&tx, regtest), TXERR_OK);
    ck_assert_uint_eq(txsign_verify_count(), verifies + 2);
    ck_assert_int_eq(txcheck_stateless(&tx, regtest, NULL), TXERR_OK);
    ck_assert_uint_eq(txsign_verify_count(), verifies + 3);
    uint64_t hits = sigcache_hits();
    ck_assert_int_eq(txcheck_stateless_block(&tx, regtest), TXERR_OK);
    ck_assert_uint_eq(txsign_verify_count(), verifies + 3);
    ck_assert_uint_eq(sigcache_hits(), hits + 1);
    /* the same verdicts: a bad signature is refused by both */
    tx.sig[7] ^= 1;
    tx_finalize(&tx);
    ck_assert_int_eq(txcheck_stateless_block(&tx, regtest), TXERR_BAD_SIGNATURE);
    ck_assert_int_eq(txcheck_stateless(&tx, regtest, NULL), TXERR_BAD_SIGNATURE);
    tx_clear(&tx);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {remembers_exactly_what_was_added, bounded_and_keeps_a_block_worth,
                            checked_tx_is_one_lookup, block_checks_consult_but_do_not_add, NULL};
    return fixture_suite("sigcache", NULL, tests);
}
