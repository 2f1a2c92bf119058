#include "unit.h"

#include <string.h>

#include "consensus/account.h"
#include "consensus/blockcheck.h"
#include "consensus/coinbase.h"
#include "consensus/subsidy.h"
#include "consensus/transfer.h"
#include "consensus/txsign.h"

static bool empty_get(void *ctx, const uint8_t *key, size_t klen, struct buf *val, bool *found)
{
    (void)ctx;
    (void)key;
    (void)klen;
    buf_reset(val);
    *found = false;
    return true;
}

static const struct state_backend empty = {.ctx = NULL, .get = empty_get};

static const struct chain_params *regtest(void)
{
    return chainparams_get(CHAIN_REGTEST);
}

struct user {
    uint8_t sk[32];
    uint8_t pub[32];
};

static void user_new(struct user *u)
{
    ck_assert(key_generate(u->sk));
    ck_assert(key_pubkey(u->sk, u->pub));
}

static void fund(struct state_view *v, const struct user *u, amount_t balance, uint64_t nonce)
{
    struct account a = {balance, nonce};
    ck_assert_int_eq(account_put(v, u->pub, &a), TXERR_OK);
}

static struct account get(struct state_view *v, const uint8_t pub[32])
{
    struct account a;
    ck_assert_int_eq(account_get(v, pub, &a), TXERR_OK);
    return a;
}

static void transfer(struct tx *tx, const struct user *from, const uint8_t to[32], amount_t amount,
                     uint64_t nonce, amount_t fee)
{
    struct transfer_payload p = {.amount = amount, .memo_len = 0};
    memcpy(p.to, to, 32);
    struct buf b;
    buf_init(&b);
    ck_assert(transfer_payload_encode(&p, &b));
    tx_clear(tx);
    tx_init(tx);
    ck_assert_int_eq(tx_set_payload(tx, b.data, b.len), SER_OK);
    buf_clear(&b);
    tx->type = TX_TYPE_TRANSFER;
    tx->nonce = nonce;
    tx->fee = fee;
    ck_assert(txsign_sign(tx, from->sk, regtest()->genesis.hash));
}

START_TEST(transfer_moves_coins)
{
    struct user a, b;
    user_new(&a);
    user_new(&b);
    struct state_view v;
    state_view_init(&v, &empty);
    fund(&v, &a, 1000, 0);
    struct apply_ctx ctx = {regtest(), 5, 0};
    struct tx tx;
    tx_init(&tx);
    transfer(&tx, &a, b.pub, 300, 0, 10);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_OK);
    ck_assert_uint_eq(get(&v, a.pub).balance, 690);
    ck_assert_uint_eq(get(&v, a.pub).nonce, 1);
    ck_assert_uint_eq(get(&v, b.pub).balance, 300);
    ck_assert_uint_eq(get(&v, b.pub).nonce, 0);

    /* the next nonce, then a replay of an old one */
    transfer(&tx, &a, b.pub, 90, 1, 0);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_OK);
    transfer(&tx, &a, b.pub, 1, 1, 0);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_BAD_NONCE);
    transfer(&tx, &a, b.pub, 1, 5, 0);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_BAD_NONCE);

    /* a transfer to oneself costs only the fee */
    transfer(&tx, &a, a.pub, 100, 2, 1);
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_OK);
    ck_assert_uint_eq(get(&v, a.pub).balance, 599);
    tx_clear(&tx);
    state_view_clear(&v);
}
END_TEST

/* A failing tx leaves no trace: not the fee, not the nonce. */
START_TEST(failures_change_nothing)
{
    struct user a, b;
    user_new(&a);
    user_new(&b);
    struct state_view v;
    state_view_init(&v, &empty);
    fund(&v, &a, 100, 3);
    struct apply_ctx ctx = {regtest(), 5, 0};
    struct tx tx;
    tx_init(&tx);
    size_t changes = state_view_change_count(&v);

    transfer(&tx, &a, b.pub, 95, 3, 10); /* fee ok, amount not */
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_INSUFFICIENT_FUNDS);
    transfer(&tx, &a, b.pub, 1, 3, 101); /* fee alone too much */
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_INSUFFICIENT_FUNDS);
    struct user nobody;
    user_new(&nobody);
    transfer(&tx, &nobody, b.pub, 1, 0, 0); /* an account never funded */
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_INSUFFICIENT_FUNDS);

    ck_assert_uint_eq(get(&v, a.pub).balance, 100);
    ck_assert_uint_eq(get(&v, a.pub).nonce, 3);
    ck_assert_uint_eq(get(&v, b.pub).balance, 0);
    ck_assert_uint_eq(state_view_change_count(&v), changes);

    struct coinbase_payload cp = {.amount = 1};
    memcpy(cp.recipient, a.pub, 32);
    ck_assert(coinbase_build(&tx, 5, &cp));
    ck_assert_int_eq(blockcheck_apply_tx(&v, &tx, &ctx), TXERR_COINBASE);
    tx_clear(&tx);
    state_view_clear(&v);
}
END_TEST

/* Builds a regtest block at `height` paying `amount` to `miner`, with txs. */
static void make_block(struct block *blk, uint64_t height, const uint8_t miner[32], amount_t amount,
                       struct tx *txs, size_t n)
{
    block_clear(blk);
    block_init(blk);
    struct coinbase_payload cp = {.amount = amount};
    memcpy(cp.recipient, miner, 32);
    struct tx cb;
    tx_init(&cb);
    ck_assert(coinbase_build(&cb, height, &cp));
    ck_assert(block_take_tx(blk, &cb));
    for (size_t i = 0; i < n; i++) {
        struct tx copy;
        tx_init(&copy);
        ck_assert(tx_copy(&copy, &txs[i]));
        ck_assert(block_take_tx(blk, &copy));
    }
    tx_clear(&cb);
    blk->header.bits = 0x207fffff;
    blk->header.time = 1795564800 + height * 60;
    block_set_merkle_root(blk);
    struct u256 limit;
    chainparams_pow_limit(regtest(), &limit);
    uint8_t h[32];
    for (blk->header.nonce = 0;; blk->header.nonce++) {
        block_hash(blk, h);
        if (pow_check(h, blk->header.bits, &limit) == POW_OK)
            break;
    }
}

START_TEST(coinbase_matures_after_100_blocks)
{
    struct user miner;
    user_new(&miner);
    struct state_view v;
    state_view_init(&v, &empty);
    struct block blk;
    block_init(&blk);
    struct block_fault f;
    amount_t sub = subsidy_at(1, regtest()->halving_interval);

    make_block(&blk, 1, miner.pub, sub, NULL, 0);
    struct apply_ctx ctx = {regtest(), 1, 0};
    ck_assert(blockcheck_stateless(&blk, regtest(), &f));
    ck_assert(blockcheck_apply(&v, &blk, &ctx, &f));
    ck_assert_uint_eq(get(&v, miner.pub).balance, 0);

    /* empty blocks up to height 100: still immature */
    struct user other;
    user_new(&other);
    for (uint64_t h = 2; h <= 100; h++) {
        make_block(&blk, h, other.pub, 0, NULL, 0);
        ctx.height = h;
        ck_assert(blockcheck_apply(&v, &blk, &ctx, &f));
    }
    ck_assert_uint_eq(get(&v, miner.pub).balance, 0);
    make_block(&blk, 101, other.pub, 0, NULL, 0);
    ctx.height = 101;
    ck_assert(blockcheck_apply(&v, &blk, &ctx, &f));
    ck_assert_uint_eq(get(&v, miner.pub).balance, sub);
    block_clear(&blk);
    state_view_clear(&v);
}
END_TEST

START_TEST(coinbase_amount_and_height)
{
    struct user a, b, miner;
    user_new(&a);
    user_new(&b);
    user_new(&miner);
    struct state_view v;
    state_view_init(&v, &empty);
    fund(&v, &a, 10000, 0);
    struct tx txs[2];
    tx_init(&txs[0]);
    tx_init(&txs[1]);
    transfer(&txs[0], &a, b.pub, 100, 0, 7);
    transfer(&txs[1], &a, b.pub, 100, 1, 5);
    amount_t sub = subsidy_at(10, regtest()->halving_interval);
    struct apply_ctx ctx = {regtest(), 10, 0};
    struct block blk;
    block_init(&blk);
    struct block_fault f;

    /* subsidy + fees + 1: too much; the view is discarded after a failure */
    make_block(&blk, 10, miner.pub, sub + 13, txs, 2);
    ck_assert(blockcheck_stateless(&blk, regtest(), &f));
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
    transfer(&txs[1], &a, b.pub, 100, 7, 5);
    make_block(&blk, 10, miner.pub, sub, txs, 2);
    state_view_init(&w, &vb);
    ck_assert(!blockcheck_apply(&w, &blk, &ctx, &f));
    ck_assert_int_eq(f.err, BLOCKERR_BAD_TX);
    ck_assert_int_eq(f.txerr, TXERR_BAD_NONCE);
    ck_assert_uint_eq(f.tx_index, 2);
    state_view_clear(&w);

    /* exactly subsidy + fees */
    transfer(&txs[1], &a, b.pub, 100, 1, 5);
    make_block(&blk, 10, miner.pub, sub + 12, txs, 2);
    ck_assert(blockcheck_apply(&v, &blk, &ctx, &f));
    ck_assert_uint_eq(get(&v, b.pub).balance, 200);
    ck_assert_uint_eq(get(&v, a.pub).balance, 10000 - 212);

    tx_clear(&txs[0]);
    tx_clear(&txs[1]);
    block_clear(&blk);
    state_view_clear(&v);
}
END_TEST

START_TEST(stateless_rules)
{
    struct user a, b, miner;
    user_new(&a);
    user_new(&b);
    user_new(&miner);
    struct tx txs[2];
    tx_init(&txs[0]);
    tx_init(&txs[1]);
    transfer(&txs[0], &a, b.pub, 100, 0, 7);
    ck_assert(tx_copy(&txs[1], &txs[0]));
    struct block blk;
    block_init(&blk);
    struct block_fault f;

    make_block(&blk, 3, miner.pub, 1, txs, 1);
    ck_assert(blockcheck_stateless(&blk, regtest(), &f));

    make_block(&blk, 3, miner.pub, 1, txs, 2);
    ck_assert(!blockcheck_stateless(&blk, regtest(), &f));
    ck_assert_int_eq(f.err, BLOCKERR_DUPLICATE_TX);

    make_block(&blk, 3, miner.pub, 1, txs, 1);
    blk.header.merkle_root[0] ^= 1;
    ck_assert(!blockcheck_stateless(&blk, regtest(), &f));
    /* the header changed, so the proof of work may fail first */
    ck_assert(f.err == BLOCKERR_MERKLE || f.err == BLOCKERR_HIGH_HASH);

    /* no coinbase first */
    make_block(&blk, 3, miner.pub, 1, txs, 1);
    struct tx t0 = blk.txs[0];
    blk.txs[0] = blk.txs[1];
    blk.txs[1] = t0;
    ck_assert(!blockcheck_stateless(&blk, regtest(), &f));
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
    struct u256 limit;
    chainparams_pow_limit(regtest(), &limit);
    uint8_t h[32];
    for (blk.header.nonce = 0;; blk.header.nonce++) {
        block_hash(&blk, h);
        if (pow_check(h, blk.header.bits, &limit) == POW_OK)
            break;
    }
    ck_assert(!blockcheck_stateless(&blk, regtest(), &f));
    ck_assert_int_eq(f.err, BLOCKERR_CB_MULTIPLE);
    ck_assert_uint_eq(f.tx_index, 1);

    /* an invalid tx: tampered after signing */
    txs[0].fee++;
    make_block(&blk, 3, miner.pub, 1, txs, 1);
    ck_assert(!blockcheck_stateless(&blk, regtest(), &f));
    ck_assert_int_eq(f.err, BLOCKERR_BAD_TX);
    ck_assert_int_eq(f.txerr, TXERR_BAD_SIGNATURE);
    ck_assert_uint_eq(f.tx_index, 1);

    /* proof of work: a hash above main's target */
    make_block(&blk, 3, miner.pub, 1, NULL, 0);
    blk.header.bits = 0x1e0fffff;
    struct u256 main_limit;
    chainparams_pow_limit(chainparams_get(CHAIN_MAIN), &main_limit);
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
    const struct chain_params *r = regtest();
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
    Suite *s = suite_create("blockcheck");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, transfer_moves_coins);
    tcase_add_test(tc, failures_change_nothing);
    tcase_add_test(tc, coinbase_matures_after_100_blocks);
    tcase_add_test(tc, coinbase_amount_and_height);
    tcase_add_test(tc, stateless_rules);
    tcase_add_test(tc, header_context_rules);
    suite_add_tcase(s, tc);
    return s;
}
