#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/account.h"
#include "consensus/deadline.h"
#include "consensus/blockcheck.h"
#include "consensus/coinbase.h"
#include "consensus/pow.h"
#include "consensus/subsidy.h"
#include "node/miner.h"

#define T0 1700000000

struct fix {
    struct fixture_tip tip;
    struct fixture_user miner, sink;
    struct miner_request req;
};

/* The tip is at height 10. */
static void fix_init(struct fix *f)
{
    fixture_tip_init(&f->tip, 1 << 24, 10);
    fixture_user_new(&f->miner);
    fixture_user_new(&f->sink);
    memset(&f->req, 0, sizeof f->req);
    memset(f->req.prev_hash, 0xab, SHA256_LEN);
    f->req.parent_height = 10;
    f->req.parent_time = T0;
    f->req.time = T0 + 60;
    memcpy(f->req.recipient, f->miner.pub, 32);
    memcpy(f->req.extra, "souk", 4);
    f->req.extra_len = 4;
}

static void fix_clear(struct fix *f)
{
    fixture_tip_clear(&f->tip);
}

static void transfer(struct fix *f, struct tx *tx, const struct fixture_user *from, uint64_t nonce,
                     amount_t fee)
{
    fixture_transfer(tx, from->sk, f->sink.pub, 1000, nonce, fee);
}

static void add(struct fix *f, struct tx *tx, const struct fixture_user *from, uint64_t nonce,
                amount_t fee)
{
    transfer(f, tx, from, nonce, fee);
    ck_assert_int_eq(mempool_accept(f->tip.pool, tx, T0, NULL), MEMPOOL_OK);
}

/* A block from f's pool on f's tip, as f's request asks. */
static enum miner_err create(struct fix *f, struct block *out, amount_t *fees)
{
    return miner_create_block(f->tip.pool, &f->tip.backend, fixture_regtest(), &f->req, out, fees);
}

/* A block of the given txs on f's tip, as f's request asks. */
static enum miner_err create_with(struct fix *f, const struct tx *txs, size_t n, struct block *out,
                                  amount_t *fees, struct miner_fault *fault)
{
    return miner_create_block_with(txs, n, &f->tip.backend, fixture_regtest(), &f->req, out, fees,
                                   fault);
}

static void check_same_tx(const struct tx *a, const struct tx *b)
{
    uint8_t x[SHA256_LEN], y[SHA256_LEN];
    tx_txid(a, x);
    tx_txid(b, y);
    ck_assert_mem_eq(x, y, SHA256_LEN);
}

static amount_t coinbase_amount(const struct block *b)
{
    size_t len;
    const uint8_t *bytes = tx_payload_bytes(&b->txs[0], &len);
    struct coinbase_payload p;
    ck_assert_int_eq(coinbase_payload_decode(bytes, len, &p), SER_OK);
    return p.amount;
}

/* The block is valid: stateless rules after grinding, and it applies on a
 * view over the tip. */
static void check_valid(struct fix *f, struct block *b)
{
    bool found = false;
    ck_assert(miner_grind(b, fixture_regtest(), 1000000, &found));
    ck_assert(found);
    struct block_fault fault;
    ck_assert_msg(blockcheck_stateless(b, fixture_regtest(), &fault), "%s",
                  blockerr_reason(fault.err));
    struct state_view v;
    state_view_init(&v, &f->tip.backend);
    struct apply_ctx ctx = {.params = fixture_regtest(), .height = f->req.parent_height + 1, .time = f->req.time};
    ck_assert_msg(blockcheck_apply(&v, b, &ctx, &fault), "%s at %zu: %s",
                  blockerr_reason(fault.err), fault.tx_index, txerr_reason(fault.txerr));
    state_view_clear(&v);
    ck_assert(blockcheck_header_context(&b->header, fixture_regtest(), f->req.parent_height,
                                        f->req.parent_time, f->req.parent_time - 1,
                                        (int64_t)f->req.time, &fault));
}

START_TEST(fee_rate_order_keeps_nonce_order)
{
    struct fix f;
    fix_init(&f);
    struct fixture_user a, b;
    fixture_user_new(&a);
    fixture_user_new(&b);
    fixture_fund(&f.tip.view, a.pub, AMOUNT_COIN, 0);
    fixture_fund(&f.tip.view, b.pub, AMOUNT_COIN, 0);
    struct tx a0, a1, b0;
    tx_init(&a0);
    tx_init(&a1);
    tx_init(&b0);
    add(&f, &a0, &a, 0, 1000);
    add(&f, &a1, &a, 1, 9000);
    add(&f, &b0, &b, 0, 5000);

    struct block blk;
    block_init(&blk);
    amount_t fees = 0;
    ck_assert_int_eq(create(&f, &blk, &fees), MINER_OK); ck_assert_uint_eq(blk.tx_count, 4);
    ck_assert(tx_is_coinbase(&blk.txs[0]));
    ck_assert_uint_eq(blk.txs[0].nonce, 11);
    check_same_tx(&blk.txs[1], &b0);
    check_same_tx(&blk.txs[2], &a0);
    check_same_tx(&blk.txs[3], &a1);
    ck_assert_uint_eq(fees, 15000);
    ck_assert_uint_eq(coinbase_amount(&blk),
                      subsidy_at(11, fixture_regtest()->halving_interval) + 15000);
    ck_assert_mem_eq(blk.header.prev_hash, f.req.prev_hash, SHA256_LEN);
    ck_assert_uint_eq(blk.header.time, T0 + 60);
    ck_assert_uint_eq(blk.header.bits, fixture_regtest()->pow_limit_bits);
    ck_assert_uint_eq(blk.header.nonce, 0);
    uint8_t root[SHA256_LEN];
    block_compute_merkle_root(&blk, root);
    ck_assert_mem_eq(blk.header.merkle_root, root, SHA256_LEN);
    check_valid(&f, &blk);
    /* the pool is only read */
    ck_assert_uint_eq(mempool_count(f.tip.pool), 3);

    /* an empty pool gives a coinbase-only block */
    struct fix g;
    fix_init(&g);
    ck_assert_int_eq(create(&g, &blk, &fees), MINER_OK); ck_assert_uint_eq(blk.tx_count, 1);
    ck_assert_uint_eq(fees, 0);
    ck_assert_uint_eq(coinbase_amount(&blk), subsidy_at(11, fixture_regtest()->halving_interval));
    check_valid(&g, &blk);
    fix_clear(&g);

    block_clear(&blk);
    tx_clear(&a0);
    tx_clear(&a1);
    tx_clear(&b0);
    fix_clear(&f);
}
END_TEST

START_TEST(size_limit_is_respected)
{
    struct fix f;
    fix_init(&f);
    enum { N = 10 };
    struct fixture_user u[N];
    struct tx t[N];
    for (int i = 0; i < N; i++) {
        fixture_user_new(&u[i]);
        fixture_fund(&f.tip.view, u[i].pub, AMOUNT_COIN, 0);
        tx_init(&t[i]);
        add(&f, &t[i], &u[i], 0, 1000 + 100 * (amount_t)i);
    }
    size_t size = tx_encoded_size(&t[0]);

    struct block blk;
    block_init(&blk);
    amount_t fees;
    ck_assert_int_eq(create(&f, &blk, &fees), MINER_OK); ck_assert_uint_eq(blk.tx_count, N + 1);
    size_t full = block_encoded_size(&blk);

    /* room for four of the txs but not five */
    f.req.max_size = full - (N - 4) * size - 1;
    ck_assert_int_eq(create(&f, &blk, &fees), MINER_OK);
    ck_assert_uint_le(block_encoded_size(&blk), f.req.max_size);
    ck_assert_uint_ge(blk.tx_count, 2);
    ck_assert_uint_le(blk.tx_count, 5);
    /* the best payers went in */
    check_same_tx(&blk.txs[1], &t[N - 1]);
    check_same_tx(&blk.txs[2], &t[N - 2]);
    ck_assert_uint_eq(fees,
                      coinbase_amount(&blk) - subsidy_at(11, fixture_regtest()->halving_interval));
    bool found;
    ck_assert(miner_grind(&blk, fixture_regtest(), 1000000, &found));
    ck_assert(found);
    ck_assert_uint_le(block_encoded_size(&blk), f.req.max_size);
    check_valid(&f, &blk);

    /* too small for even the coinbase, or above the consensus limit */
    struct block untouched;
    block_init(&untouched);
    f.req.max_size = 50;
    ck_assert_int_eq(create(&f, &untouched, &fees), MINER_ERR_REQUEST);
    f.req.max_size = BLOCK_MAX_SIZE + 1;
    ck_assert_int_eq(create(&f, &untouched, &fees), MINER_ERR_REQUEST);
    f.req.max_size = 0;
    f.req.extra_len = COINBASE_EXTRA_MAX + 1;
    ck_assert_int_eq(create(&f, &untouched, &fees), MINER_ERR_REQUEST);
    ck_assert_uint_eq(untouched.tx_count, 0);
    for (int e = 0; e <= MINER_ERR_COUNT_; e++)
        ck_assert_ptr_nonnull(miner_strerror((enum miner_err)e));

    block_clear(&untouched);
    block_clear(&blk);
    for (int i = 0; i < N; i++)
        tx_clear(&t[i]);
    fix_clear(&f);
}
END_TEST

START_TEST(failing_sender_is_skipped)
{
    struct fix f;
    fix_init(&f);
    struct fixture_user a, b;
    fixture_user_new(&a);
    fixture_user_new(&b);
    fixture_fund(&f.tip.view, a.pub, AMOUNT_COIN, 0);
    fixture_fund(&f.tip.view, b.pub, AMOUNT_COIN, 0);
    struct tx a0, a1, b0, b1;
    tx_init(&a0);
    tx_init(&a1);
    tx_init(&b0);
    tx_init(&b1);
    add(&f, &a0, &a, 0, 9000);
    add(&f, &a1, &a, 1, 9000);
    add(&f, &b0, &b, 0, 1000);
    add(&f, &b1, &b, 1, 1000);
    /* the tip the block is built on has changed under the pool: a is
     * broke, b's first tx is already mined */
    fixture_fund(&f.tip.view, a.pub, 10, 0);
    fixture_fund(&f.tip.view, b.pub, AMOUNT_COIN, 1);

    struct block blk;
    block_init(&blk);
    amount_t fees;
    ck_assert_int_eq(create(&f, &blk, &fees), MINER_OK);
    /* b0 fails (nonce), which skips b1 as well; a fails (funds) */
    ck_assert_uint_eq(blk.tx_count, 1);
    ck_assert_uint_eq(fees, 0);
    check_valid(&f, &blk);

    /* with b back in shape, b goes in while a stays out */
    fixture_fund(&f.tip.view, b.pub, AMOUNT_COIN, 0);
    ck_assert_int_eq(create(&f, &blk, &fees), MINER_OK); ck_assert_uint_eq(blk.tx_count, 3);
    check_same_tx(&blk.txs[1], &b0);
    check_same_tx(&blk.txs[2], &b1);
    ck_assert_uint_eq(fees, 2000);
    check_valid(&f, &blk);

    block_clear(&blk);
    tx_clear(&a0);
    tx_clear(&a1);
    tx_clear(&b0);
    tx_clear(&b1);
    fix_clear(&f);
}
END_TEST

START_TEST(maturing_coinbase_funds_count)
{
    /* a payout maturing at the new block's height may be spent in it */
    struct fix f;
    fix_init(&f);
    struct fixture_user a;
    fixture_user_new(&a);
    struct apply_ctx at = {.params = fixture_regtest(), .height = 10};
    ck_assert_int_eq(deadline_add_maturity(&f.tip.view, &at, 11, a.pub, 50000), TXERR_OK);
    ck_assert(mempool_update_tip(f.tip.pool, &f.tip.backend, 10));
    struct tx a0;
    tx_init(&a0);
    add(&f, &a0, &a, 0, 2000);
    struct block blk;
    block_init(&blk);
    amount_t fees;
    ck_assert_int_eq(create(&f, &blk, &fees), MINER_OK); ck_assert_uint_eq(blk.tx_count, 2);
    check_valid(&f, &blk);
    block_clear(&blk);
    tx_clear(&a0);
    fix_clear(&f);
}
END_TEST

START_TEST(block_from_given_txs)
{
    struct fix f;
    fix_init(&f);
    struct fixture_user a;
    fixture_user_new(&a);
    fixture_fund(&f.tip.view, a.pub, AMOUNT_COIN, 0);
    struct tx txs[3];
    for (int i = 0; i < 3; i++) {
        tx_init(&txs[i]);
        transfer(&f, &txs[i], &a, (uint64_t)i, 1000);
    }
    struct block blk;
    block_init(&blk);
    amount_t fees;
    struct miner_fault fault;
    ck_assert_int_eq(create_with(&f, txs, 3, &blk, &fees, &fault), MINER_OK);
    ck_assert_uint_eq(blk.tx_count, 4);
    ck_assert_uint_eq(fees, 3000);
    for (int i = 0; i < 3; i++)
        check_same_tx(&blk.txs[i + 1], &txs[i]);
    check_valid(&f, &blk);

    /* no txs at all */
    ck_assert_int_eq(create_with(&f, NULL, 0, &blk, &fees, NULL), MINER_OK);
    ck_assert_uint_eq(blk.tx_count, 1);

    /* out of order: the second one has the wrong nonce */
    struct tx swapped[2];
    swapped[0] = txs[0];
    swapped[1] = txs[2];
    struct block untouched;
    block_init(&untouched);
    ck_assert_int_eq(create_with(&f, swapped, 2, &untouched, &fees, &fault), MINER_ERR_BAD_TX);
    ck_assert_uint_eq(fault.index, 1);
    ck_assert_int_eq(fault.txerr, TXERR_BAD_NONCE);
    /* a bad signature */
    txs[1].sig[3] ^= 1;
    tx_finalize(&txs[1]);
    ck_assert_int_eq(create_with(&f, txs, 2, &untouched, &fees, &fault), MINER_ERR_BAD_TX);
    ck_assert_uint_eq(fault.index, 1);
    ck_assert_int_eq(fault.txerr, TXERR_BAD_SIGNATURE);
    txs[1].sig[3] ^= 1;
    tx_finalize(&txs[1]);
    /* a coinbase among them */
    ck_assert_int_eq(create_with(&f, blk.txs, 1, &untouched, &fees, &fault), MINER_ERR_BAD_TX);
    ck_assert_int_eq(fault.txerr, TXERR_COINBASE);
    /* too large for the limit asked for */
    f.req.max_size = 400;
    ck_assert_int_eq(create_with(&f, txs, 3, &untouched, &fees, &fault), MINER_ERR_TOO_LARGE);
    ck_assert_uint_eq(untouched.tx_count, 0);

    block_clear(&untouched);
    block_clear(&blk);
    for (int i = 0; i < 3; i++)
        tx_clear(&txs[i]);
    fix_clear(&f);
}
END_TEST

START_TEST(grind_finds_a_nonce_or_reports)
{
    struct fix f;
    fix_init(&f);
    struct block blk;
    block_init(&blk);
    ck_assert_int_eq(create(&f, &blk, NULL), MINER_OK); bool found = true;
    ck_assert(miner_grind(&blk, fixture_regtest(), 0, &found));
    ck_assert(!found);
    ck_assert(miner_grind(&blk, fixture_regtest(), 1000000, &found));
    ck_assert(found);
    uint8_t hash[SHA256_LEN];
    block_hash(&blk, hash);
    struct u256 limit;
    chainparams_pow_limit(fixture_regtest(), &limit);
    ck_assert_int_eq(pow_check(hash, blk.header.bits, &limit), POW_OK);

    /* a target nothing meets in a few tries */
    blk.header.bits = 0x03000001;
    uint64_t start = blk.header.nonce;
    ck_assert(miner_grind(&blk, fixture_regtest(), 5, &found));
    ck_assert(!found);
    ck_assert_uint_eq(blk.header.nonce, start + 5);
    /* bits that can never pass: invalid, or easier than the network allows */
    blk.header.bits = 0x04923456; /* sign bit */
    ck_assert(!miner_grind(&blk, fixture_regtest(), 5, &found));
    ck_assert(!found);
    blk.header.bits = 0x217fffff;
    ck_assert(!miner_grind(&blk, fixture_regtest(), 5, &found));

    /* main: ASERT bits from the parent */
    const struct chain_params *m = chainparams_get(CHAIN_MAIN);
    f.req.parent_height = 0;
    f.req.parent_time = (int64_t)m->genesis.time;
    f.req.time = m->genesis.time + 60;
    ck_assert_int_eq(miner_create_block(f.tip.pool, &f.tip.backend, m, &f.req, &blk, NULL),
                     MINER_OK);
    uint32_t bits;
    ck_assert_int_eq(chainparams_next_bits(m, 0, (int64_t)m->genesis.time, &bits), POW_OK);
    ck_assert_uint_eq(blk.header.bits, bits);

    block_clear(&blk);
    fix_clear(&f);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.timeout = 60};
    const TTest *tests[] = {
        fee_rate_order_keeps_nonce_order, size_limit_is_respected, failing_sender_is_skipped,
        maturing_coinbase_funds_count, block_from_given_txs, grind_finds_a_nonce_or_reports, NULL
    };
    return fixture_suite("miner", &tc, tests);
}
