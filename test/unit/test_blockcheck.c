#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/blockcheck.h"
#include "consensus/coinbase.h"
#include "consensus/subsidy.h"

START_TEST(transfer_moves_coins)
{
    struct fixture_user a, b;
    fixture_user_new(&a);
    fixture_user_new(&b);
    struct state_view v;
    state_view_init(&v, &state_empty_backend);
    fixture_fund(&v, a.pub, 1000, 0);
    struct apply_ctx ctx = {.params = fixture_regtest(), .height = 5, .time = 0};
    struct tx tx;
    tx_init(&tx);
    fixture_transfer(&tx, a.sk, b.pub, 300, 0, 10);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_OK);
    ck_assert_uint_eq(fixture_account(&v, a.pub).balance, 690);
    ck_assert_uint_eq(fixture_account(&v, a.pub).nonce, 1);
    ck_assert_uint_eq(fixture_account(&v, b.pub).balance, 300);
    ck_assert_uint_eq(fixture_account(&v, b.pub).nonce, 0);

    /* the next nonce, then a replay of an old one */
    fixture_transfer(&tx, a.sk, b.pub, 90, 1, 0);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_OK);
    fixture_transfer(&tx, a.sk, b.pub, 1, 1, 0);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_BAD_NONCE);
    fixture_transfer(&tx, a.sk, b.pub, 1, 5, 0);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_BAD_NONCE);

    /* a transfer to oneself costs only the fee */
    fixture_transfer(&tx, a.sk, a.pub, 100, 2, 1);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_OK);
    ck_assert_uint_eq(fixture_account(&v, a.pub).balance, 599);
    tx_clear(&tx);
    state_view_clear(&v);
}
END_TEST

/* A failing tx leaves no trace: not the fee, not the nonce. */
START_TEST(failures_change_nothing)
{
    struct fixture_user a, b;
    fixture_user_new(&a);
    fixture_user_new(&b);
    struct state_view v;
    state_view_init(&v, &state_empty_backend);
    fixture_fund(&v, a.pub, 100, 3);
    struct apply_ctx ctx = {.params = fixture_regtest(), .height = 5, .time = 0};
    struct tx tx;
    tx_init(&tx);
    size_t changes = state_view_change_count(&v);

    fixture_transfer(&tx, a.sk, b.pub, 95, 3, 10); /* fee ok, amount not */
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_INSUFFICIENT_FUNDS);
    fixture_transfer(&tx, a.sk, b.pub, 1, 3, 101); /* fee alone too much */
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_INSUFFICIENT_FUNDS);
    struct fixture_user nobody;
    fixture_user_new(&nobody);
    fixture_transfer(&tx, nobody.sk, b.pub, 1, 0, 0); /* an account never funded */
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_INSUFFICIENT_FUNDS);

    ck_assert_uint_eq(fixture_account(&v, a.pub).balance, 100);
    ck_assert_uint_eq(fixture_account(&v, a.pub).nonce, 3);
    ck_assert_uint_eq(fixture_account(&v, b.pub).balance, 0);
    ck_assert_uint_eq(state_view_change_count(&v), changes);

    struct coinbase_payload cp = {.amount = 1};
    memcpy(cp.recipient, a.pub, 32);
    ck_assert(coinbase_build(&tx, 5, &cp));
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_COINBASE);
    tx_clear(&tx);
    state_view_clear(&v);
}
END_TEST

/* A regtest block at `height` paying `amount` to `miner`, with txs, a
 * minute per height after genesis. */
static void make_block(struct block *blk, uint64_t height, const uint8_t miner[32], amount_t amount,
                       struct tx *txs, size_t n)
{
    struct coinbase_payload cp = {.amount = amount};
    memcpy(cp.recipient, miner, 32);
    fixture_block(blk, NULL, fixture_regtest()->genesis.time + height * 60, height, &cp, txs, n);
}

START_TEST(coinbase_matures_after_100_blocks)
{
    struct fixture_user miner;
    fixture_user_new(&miner);
    struct state_view v;
    state_view_init(&v, &state_empty_backend);
    struct block blk;
    block_init(&blk);
    struct block_fault f;
    amount_t sub = subsidy_at(1, fixture_regtest()->halving_interval);

    make_block(&blk, 1, miner.pub, sub, NULL, 0);
    struct apply_ctx ctx = {.params = fixture_regtest(), .height = 1, .time = 0};
    ck_assert(blockcheck_stateless(&blk, fixture_regtest(), &f));
    ck_assert(blockcheck_apply(&v, &blk, &ctx, &f));
    ck_assert_uint_eq(fixture_account(&v, miner.pub).balance, 0);

    /* empty blocks up to height 100: still immature */
    struct fixture_user other;
    fixture_user_new(&other);
    for (uint64_t h = 2; h <= 100; h++) {
        make_block(&blk, h, other.pub, 0, NULL, 0);
        ctx.height = h;
        ck_assert(blockcheck_apply(&v, &blk, &ctx, &f));
    }
    ck_assert_uint_eq(fixture_account(&v, miner.pub).balance, 0);
    make_block(&blk, 101, other.pub, 0, NULL, 0);
    ctx.height = 101;
    ck_assert(blockcheck_apply(&v, &blk, &ctx, &f));
    ck_assert_uint_eq(fixture_account(&v, miner.pub).balance, sub);
    block_clear(&blk);
    state_view_clear(&v);
}
END_TEST

START_TEST(coinbase_amount_and_height)
{
    struct fixture_user a, b, miner;
    fixture_user_new(&a);
    fixture_user_new(&b);
    fixture_user_new(&miner);
    struct state_view v;
    state_view_init(&v, &state_empty_backend);
    fixture_fund(&v, a.pub, 10000, 0);
    struct tx txs[2];
    tx_init(&txs[0]);
    tx_init(&txs[1]);
    fixture_transfer(&txs[0], a.sk, b.pub, 100, 0, 7);
    fixture_transfer(&txs[1], a.sk, b.pub, 100, 1, 5);
    amount_t sub = subsidy_at(10, fixture_regtest()->halving_interval);
    struct apply_ctx ctx = {.params = fixture_regtest(), .height = 10, .time = 0};
    struct block blk;
    block_init(&blk);
    struct block_fault f;

    /* subsidy + fees + 1: too much; the view is discarded after a failure */
    make_block(&blk, 10, miner.pub, sub + 13, txs, 2);
    ck_assert(blockcheck_stateless(&blk, fixture_regtest(), &f));
    struct state_view w;
    struct state_backend vb;
    state_view_as_backend(&v, &vb);
    state_view_init(&w, &vb);
    ck_assert(!blockcheck_apply(&w, &blk, &ctx, &f));
    ck_assert_int_eq(f.err, BLOCKERR_CB_AMOUNT);
    state_view_clear(&w);

    /* a coinbase claiming another height */
    make_block(&blk, 11, miner.pub, sub, txs, 2);
    state_view_init(&w, &vb);
    ck_assert(!blockcheck_apply(&w, &blk, &ctx, &f));
    ck_assert_int_eq(f.err, BLOCKERR_CB_HEIGHT);
    state_view_clear(&w);

    /* a bad tx: named with its index */
    fixture_transfer(&txs[1], a.sk, b.pub, 100, 7, 5);
    make_block(&blk, 10, miner.pub, sub, txs, 2);
    state_view_init(&w, &vb);
    ck_assert(!blockcheck_apply(&w, &blk, &ctx, &f));
    ck_assert_int_eq(f.err, BLOCKERR_BAD_TX);
    ck_assert_int_eq(f.txerr, TXERR_BAD_NONCE);
    ck_assert_uint_eq(f.tx_index, 2);
    state_view_clear(&w);

    /* exactly subsidy + fees */
    fixture_transfer(&txs[1], a.sk, b.pub, 100, 1, 5);
    make_block(&blk, 10, miner.pub, sub + 12, txs, 2);
    ck_assert(blockcheck_apply(&v, &blk, &ctx, &f));
    ck_assert_uint_eq(fixture_account(&v, b.pub).balance, 200);
    ck_assert_uint_eq(fixture_account(&v, a.pub).balance, 10000 - 212);

    tx_clear(&txs[0]);
    tx_clear(&txs[1]);
    block_clear(&blk);
    state_view_clear(&v);
}
END_TEST

START_TEST(stateless_rules)
{
    struct fixture_user a, b, miner;
    fixture_user_new(&a);
    fixture_user_new(&b);
    fixture_user_new(&miner);
    struct tx txs[2];
    tx_init(&txs[0]);
    tx_init(&txs[1]);
    fixture_transfer(&txs[0], a.sk, b.pub, 100, 0, 7);
    ck_assert(tx_copy(&txs[1], &txs[0]));
    struct block blk;
    block_init(&blk);
    struct block_fault f;

    make_block(&blk, 3, miner.pub, 1, txs, 1);
    ck_assert(blockcheck_stateless(&blk, fixture_regtest(), &f));

    make_block(&blk, 3, miner.pub, 1, txs, 2);
    ck_assert(!blockcheck_stateless(&blk, fixture_regtest(), &f));
    ck_assert_int_eq(f.err, BLOCKERR_DUPLICATE_TX);

    make_block(&blk, 3, miner.pub, 1, txs, 1);
    blk.header.merkle_root[0] ^= 1;
    ck_assert(!blockcheck_stateless(&blk, fixture_regtest(), &f));
    /* the header changed, so the proof of work may fail first */
    ck_assert(f.err == BLOCKERR_MERKLE || f.err == BLOCKERR_HIGH_HASH);

    /* no coinbase first */
    make_block(&blk, 3, miner.pub, 1, txs, 1);
    struct tx t0 = blk.txs[0];
    blk.txs[0] = blk.txs[1];
    blk.txs[1] = t0;
    ck_assert(!blockcheck_stateless(&blk, fixture_regtest(), &f));
    ck_assert(f.err == BLOCKERR_CB_MISSING || f.err == BLOCKERR_HIGH_HASH);

    /* a second coinbase */
    make_block(&blk, 3, miner.pub, 1, txs, 0);
    struct coinbase_payload cp = {.amount = 2};
    memcpy(cp.recipient, miner.pub, 32);
    struct tx cb2;
    tx_init(&cb2);
    ck_assert(coinbase_build(&cb2, 3, &cp));
    ck_assert(block_take_tx(&blk, &cb2));
    block_set_merkle_root(&blk);
    fixture_grind(&blk);
    ck_assert(!blockcheck_stateless(&blk, fixture_regtest(), &f));
    ck_assert_int_eq(f.err, BLOCKERR_CB_MULTIPLE);
    ck_assert_uint_eq(f.tx_index, 1);

    /* an invalid tx: tampered after signing */
    txs[0].fee++;
    tx_finalize(&txs[0]);
    make_block(&blk, 3, miner.pub, 1, txs, 1);
    ck_assert(!blockcheck_stateless(&blk, fixture_regtest(), &f));
    ck_assert_int_eq(f.err, BLOCKERR_BAD_TX);
    ck_assert_int_eq(f.txerr, TXERR_BAD_SIGNATURE);
    ck_assert_uint_eq(f.tx_index, 1);

    /* proof of work: a hash above main's target */
    make_block(&blk, 3, miner.pub, 1, NULL, 0);
    blk.header.bits = 0x1e0fffff;
    struct u256 main_limit;
    chainparams_pow_limit(chainparams_get(CHAIN_MAIN), &main_limit);
    uint8_t h[32];
    for (blk.header.nonce = 0;; blk.header.nonce++) {
        block_hash(&blk, h);
        if (pow_check(h, blk.header.bits, &main_limit) == POW_ERR_HASH_ABOVE_TARGET)
            break;
    }
    ck_assert(!blockcheck_stateless(&blk, chainparams_get(CHAIN_MAIN), &f));
    ck_assert_int_eq(f.err, BLOCKERR_HIGH_HASH);
    /* bits easier than the network's limit are refused outright */
    make_block(&blk, 3, miner.pub, 1, NULL, 0);
    ck_assert(!blockcheck_stateless(&blk, chainparams_get(CHAIN_MAIN), &f));
    ck_assert_int_eq(f.err, BLOCKERR_HIGH_HASH);

    tx_clear(&cb2);
    tx_clear(&txs[0]);
    tx_clear(&txs[1]);
    block_clear(&blk);
}
END_TEST

START_TEST(header_context_rules)
{
    const struct chain_params *r = fixture_regtest();
    struct block_header h = {.bits = 0x207fffff, .time = 1000};
    struct block_fault f;
    ck_assert(blockcheck_header_context(&h, r, 5, 990, 999, 1000, &f));
    h.time = 999;
    ck_assert(!blockcheck_header_context(&h, r, 5, 990, 999, 1000, &f));
    ck_assert_int_eq(f.err, BLOCKERR_TIME_TOO_OLD);
    h.time = 1000 + BLOCK_MAX_FUTURE_SECONDS + 1;
    ck_assert(!blockcheck_header_context(&h, r, 5, 990, 999, 1000, &f));
    ck_assert_int_eq(f.err, BLOCKERR_TIME_TOO_NEW);
    h.time = 1000 + BLOCK_MAX_FUTURE_SECONDS;
    ck_assert(blockcheck_header_context(&h, r, 5, 990, 999, 1000, &f));
    h.bits = 0x207ffffe;
    ck_assert(!blockcheck_header_context(&h, r, 5, 990, 999, 1000, &f));
    ck_assert_int_eq(f.err, BLOCKERR_BAD_BITS);

    /* main: the ASERT bits are required */
    const struct chain_params *m = chainparams_get(CHAIN_MAIN);
    int64_t t0 = (int64_t)m->genesis.time;
    struct block_header mh = {.bits = m->genesis.bits, .time = (uint64_t)t0 + 61 * 60};
    ck_assert(blockcheck_header_context(&mh, m, 60, t0 + 60 * 60, t0, t0 + 3600, &f));
    mh.bits = 0x1d0fffff;
    ck_assert(!blockcheck_header_context(&mh, m, 60, t0 + 60 * 60, t0, t0 + 3600, &f));
    ck_assert_int_eq(f.err, BLOCKERR_BAD_BITS);
    for (int e = 0; e < BLOCKERR_COUNT_; e++)
        ck_assert_ptr_nonnull(blockerr_reason((enum blockerr)e));
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.timeout = 30};
    const TTest *tests[] = {
        transfer_moves_coins, failures_change_nothing, coinbase_matures_after_100_blocks,
        coinbase_amount_and_height, stateless_rules, header_context_rules, NULL
    };
    return fixture_suite("blockcheck", &tc, tests);
}
