#include "unit.h"

#include <string.h>

#include "consensus/account.h"
#include "consensus/blockcheck.h"
#include "consensus/coinbase.h"
#include "consensus/pow.h"
#include "consensus/subsidy.h"
#include "consensus/transfer.h"
#include "consensus/txsign.h"
#include "node/miner.h"

#define T0 1700000000

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

struct fix {
    struct state_view tipv;
    struct state_backend tip;
    struct mempool *pool;
    struct user miner, sink;
    struct miner_request req;
};

static void fund(struct state_view *v, const struct user *u, amount_t balance, uint64_t nonce)
{
    struct account a = {balance, nonce};
    ck_assert_int_eq(account_put(v, u->pub, &a), TXERR_OK);
}

/* The tip is at height 10. */
static void fix_init(struct fix *f)
{
    state_view_init(&f->tipv, &empty);
    state_view_as_backend(&f->tipv, &f->tip);
    f->pool = mempool_new(regtest(), 1 << 24);
    ck_assert_ptr_nonnull(f->pool);
    ck_assert(mempool_update_tip(f->pool, &f->tip, 10));
    user_new(&f->miner);
    user_new(&f->sink);
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
    mempool_free(f->pool);
    state_view_clear(&f->tipv);
}

static void transfer(struct fix *f, struct tx *tx, const struct user *from, uint64_t nonce,
                     amount_t fee)
{
    struct transfer_payload p = {.amount = 1000, .memo_len = 0};
    memcpy(p.to, f->sink.pub, 32);
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

static void add(struct fix *f, struct tx *tx, const struct user *from, uint64_t nonce, amount_t fee)
{
    transfer(f, tx, from, nonce, fee);
    ck_assert_int_eq(mempool_accept(f->pool, tx, T0, NULL), MEMPOOL_OK);
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
    ck_assert(miner_grind(b, regtest(), 1000000, &found));
    ck_assert(found);
    struct block_fault fault;
    ck_assert_msg(blockcheck_stateless(b, regtest(), &fault), "%s", blockerr_reason(fault.err));
    struct state_view v;
    state_view_init(&v, &f->tip);
    struct apply_ctx ctx = {regtest(), f->req.parent_height + 1, f->req.time};
    ck_assert_msg(blockcheck_apply(&v, b, &ctx, &fault), "%s at %zu: %s", blockerr_reason(fault.err),
                  fault.tx_index, txerr_reason(fault.txerr));
    state_view_clear(&v);
    ck_assert(blockcheck_header_context(&b->header, regtest(), f->req.parent_height,
                                        f->req.parent_time, f->req.parent_time - 1,
                                        (int64_t)f->req.time, &fault));
}

START_TEST(fee_rate_order_keeps_nonce_order)
{
    struct fix f;
    fix_init(&f);
    struct user a, b;
    user_new(&a);
    user_new(&b);
    fund(&f.tipv, &a, AMOUNT_COIN, 0);
    fund(&f.tipv, &b, AMOUNT_COIN, 0);
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
    ck_assert_int_eq(miner_create_block(f.pool, &f.tip, regtest(), &f.req, &blk, &fees), MINER_OK);
    ck_assert_uint_eq(blk.tx_count, 4);
    ck_assert(tx_is_coinbase(&blk.txs[0]));
    ck_assert_uint_eq(blk.txs[0].nonce, 11);
    check_same_tx(&blk.txs[1], &b0);
    check_same_tx(&blk.txs[2], &a0);
    check_same_tx(&blk.txs[3], &a1);
    ck_assert_uint_eq(fees, 15000);
    ck_assert_uint_eq(coinbase_amount(&blk), subsidy_at(11, regtest()->halving_interval) + 15000);
    ck_assert_mem_eq(blk.header.prev_hash, f.req.prev_hash, SHA256_LEN);
    ck_assert_uint_eq(blk.header.time, T0 + 60);
    ck_assert_uint_eq(blk.header.bits, regtest()->pow_limit_bits);
    ck_assert_uint_eq(blk.header.nonce, 0);
    uint8_t root[SHA256_LEN];
    block_compute_merkle_root(&blk, root);
    ck_assert_mem_eq(blk.header.merkle_root, root, SHA256_LEN);
    check_valid(&f, &blk);
    /* the pool is only read */
    ck_assert_uint_eq(mempool_count(f.pool), 3);

    /* an empty pool gives a coinbase-only block */
    struct fix g;
    fix_init(&g);
    ck_assert_int_eq(miner_create_block(g.pool, &g.tip, regtest(), &g.req, &blk, &fees), MINER_OK);
    ck_assert_uint_eq(blk.tx_count, 1);
    ck_assert_uint_eq(fees, 0);
    ck_assert_uint_eq(coinbase_amount(&blk), subsidy_at(11, regtest()->halving_interval));
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
    struct user u[N];
    struct tx t[N];
    for (int i = 0; i < N; i++) {
        user_new(&u[i]);
        fund(&f.tipv, &u[i], AMOUNT_COIN, 0);
        tx_init(&t[i]);
        add(&f, &t[i], &u[i], 0, 1000 + 100 * (amount_t)i);
    }
    size_t size = tx_encoded_size(&t[0]);

    struct block blk;
    block_init(&blk);
    amount_t fees;
    ck_assert_int_eq(miner_create_block(f.pool, &f.tip, regtest(), &f.req, &blk, &fees), MINER_OK);
    ck_assert_uint_eq(blk.tx_count, N + 1);
    size_t full = block_encoded_size(&blk);

    /* room for four of the txs but not five */
    f.req.max_size = full - (N - 4) * size - 1;
    ck_assert_int_eq(miner_create_block(f.pool, &f.tip, regtest(), &f.req, &blk, &fees), MINER_OK);
    ck_assert_uint_le(block_encoded_size(&blk), f.req.max_size);
    ck_assert_uint_ge(blk.tx_count, 2);
    ck_assert_uint_le(blk.tx_count, 5);
    /* the best payers went in */
    check_same_tx(&blk.txs[1], &t[N - 1]);
    check_same_tx(&blk.txs[2], &t[N - 2]);
    ck_assert_uint_eq(fees, coinbase_amount(&blk) - subsidy_at(11, regtest()->halving_interval));
    bool found;
    ck_assert(miner_grind(&blk, regtest(), 1000000, &found));
    ck_assert(found);
    ck_assert_uint_le(block_encoded_size(&blk), f.req.max_size);
    check_valid(&f, &blk);

    /* too small for even the coinbase, or above the consensus limit */
    struct block untouched;
    block_init(&untouched);
    f.req.max_size = 50;
    ck_assert_int_eq(miner_create_block(f.pool, &f.tip, regtest(), &f.req, &untouched, &fees),
                     MINER_ERR_REQUEST);
    f.req.max_size = BLOCK_MAX_SIZE + 1;
    ck_assert_int_eq(miner_create_block(f.pool, &f.tip, regtest(), &f.req, &untouched, &fees),
                     MINER_ERR_REQUEST);
    f.req.max_size = 0;
    f.req.extra_len = COINBASE_EXTRA_MAX + 1;
    ck_assert_int_eq(miner_create_block(f.pool, &f.tip, regtest(), &f.req, &untouched, &fees),
                     MINER_ERR_REQUEST);
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
    struct user a, b;
    user_new(&a);
    user_new(&b);
    fund(&f.tipv, &a, AMOUNT_COIN, 0);
    fund(&f.tipv, &b, AMOUNT_COIN, 0);
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
    fund(&f.tipv, &a, 10, 0);
    fund(&f.tipv, &b, AMOUNT_COIN, 1);

    struct block blk;
    block_init(&blk);
    amount_t fees;
    ck_assert_int_eq(miner_create_block(f.pool, &f.tip, regtest(), &f.req, &blk, &fees), MINER_OK);
    /* b0 fails (nonce), which skips b1 as well; a fails (funds) */
    ck_assert_uint_eq(blk.tx_count, 1);
    ck_assert_uint_eq(fees, 0);
    check_valid(&f, &blk);

    /* with b back in shape, b goes in while a stays out */
    fund(&f.tipv, &b, AMOUNT_COIN, 0);
    ck_assert_int_eq(miner_create_block(f.pool, &f.tip, regtest(), &f.req, &blk, &fees), MINER_OK);
    ck_assert_uint_eq(blk.tx_count, 3);
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
    struct user a;
    user_new(&a);
    ck_assert_int_eq(maturity_add(&f.tipv, 11, a.pub, 50000), TXERR_OK);
    ck_assert(mempool_update_tip(f.pool, &f.tip, 10));
    struct tx a0;
    tx_init(&a0);
    add(&f, &a0, &a, 0, 2000);
    struct block blk;
    block_init(&blk);
    amount_t fees;
    ck_assert_int_eq(miner_create_block(f.pool, &f.tip, regtest(), &f.req, &blk, &fees), MINER_OK);
    ck_assert_uint_eq(blk.tx_count, 2);
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
    struct user a;
    user_new(&a);
    fund(&f.tipv, &a, AMOUNT_COIN, 0);
    struct tx txs[3];
    for (int i = 0; i < 3; i++) {
        tx_init(&txs[i]);
        transfer(&f, &txs[i], &a, (uint64_t)i, 1000);
    }
    struct block blk;
    block_init(&blk);
    amount_t fees;
    struct miner_fault fault;
    ck_assert_int_eq(miner_create_block_with(txs, 3, &f.tip, regtest(), &f.req, &blk, &fees, &fault),
                     MINER_OK);
    ck_assert_uint_eq(blk.tx_count, 4);
    ck_assert_uint_eq(fees, 3000);
    for (int i = 0; i < 3; i++)
        check_same_tx(&blk.txs[i + 1], &txs[i]);
    check_valid(&f, &blk);

    /* no txs at all */
    ck_assert_int_eq(miner_create_block_with(NULL, 0, &f.tip, regtest(), &f.req, &blk, &fees, NULL),
                     MINER_OK);
    ck_assert_uint_eq(blk.tx_count, 1);

    /* out of order: the second one has the wrong nonce */
    struct tx swapped[2];
    swapped[0] = txs[0];
    swapped[1] = txs[2];
    struct block untouched;
    block_init(&untouched);
    ck_assert_int_eq(
        miner_create_block_with(swapped, 2, &f.tip, regtest(), &f.req, &untouched, &fees, &fault),
        MINER_ERR_BAD_TX);
    ck_assert_uint_eq(fault.index, 1);
    ck_assert_int_eq(fault.txerr, TXERR_BAD_NONCE);
    /* a bad signature */
    txs[1].sig[3] ^= 1;
    ck_assert_int_eq(
        miner_create_block_with(txs, 2, &f.tip, regtest(), &f.req, &untouched, &fees, &fault),
        MINER_ERR_BAD_TX);
    ck_assert_uint_eq(fault.index, 1);
    ck_assert_int_eq(fault.txerr, TXERR_BAD_SIGNATURE);
    txs[1].sig[3] ^= 1;
    /* a coinbase among them */
    ck_assert_int_eq(
        miner_create_block_with(blk.txs, 1, &f.tip, regtest(), &f.req, &untouched, &fees, &fault),
        MINER_ERR_BAD_TX);
    ck_assert_int_eq(fault.txerr, TXERR_COINBASE);
    /* too large for the limit asked for */
    f.req.max_size = 400;
    ck_assert_int_eq(
        miner_create_block_with(txs, 3, &f.tip, regtest(), &f.req, &untouched, &fees, &fault),
        MINER_ERR_TOO_LARGE);
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
    ck_assert_int_eq(miner_create_block(f.pool, &f.tip, regtest(), &f.req, &blk, NULL), MINER_OK);
    bool found = true;
    ck_assert(miner_grind(&blk, regtest(), 0, &found));
    ck_assert(!found);
    ck_assert(miner_grind(&blk, regtest(), 1000000, &found));
    ck_assert(found);
    uint8_t hash[SHA256_LEN];
    block_hash(&blk, hash);
    struct u256 limit;
    chainparams_pow_limit(regtest(), &limit);
    ck_assert_int_eq(pow_check(hash, blk.header.bits, &limit), POW_OK);

    /* a target nothing meets in a few tries */
    blk.header.bits = 0x03000001;
    uint64_t start = blk.header.nonce;
    ck_assert(miner_grind(&blk, regtest(), 5, &found));
    ck_assert(!found);
    ck_assert_uint_eq(blk.header.nonce, start + 5);
    /* bits that can never pass: invalid, or easier than the network allows */
    blk.header.bits = 0x04923456; /* sign bit */
    ck_assert(!miner_grind(&blk, regtest(), 5, &found));
    ck_assert(!found);
    blk.header.bits = 0x217fffff;
    ck_assert(!miner_grind(&blk, regtest(), 5, &found));

    /* main: ASERT bits from the parent */
    const struct chain_params *m = chainparams_get(CHAIN_MAIN);
    f.req.parent_height = 0;
    f.req.parent_time = (int64_t)m->genesis.time;
    f.req.time = m->genesis.time + 60;
    ck_assert_int_eq(miner_create_block(f.pool, &f.tip, m, &f.req, &blk, NULL), MINER_OK);
    uint32_t bits;
    ck_assert_int_eq(chainparams_next_bits(m, 0, (int64_t)m->genesis.time, &bits), POW_OK);
    ck_assert_uint_eq(blk.header.bits, bits);

    block_clear(&blk);
    fix_clear(&f);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("miner");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fee_rate_order_keeps_nonce_order);
    tcase_add_test(tc, size_limit_is_respected);
    tcase_add_test(tc, failing_sender_is_skipped);
    tcase_add_test(tc, maturing_coinbase_funds_count);
    tcase_add_test(tc, block_from_given_txs);
    tcase_add_test(tc, grind_finds_a_nonce_or_reports);
    suite_add_tcase(s, tc);
    return s;
}
