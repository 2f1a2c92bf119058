#include "unit.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/blockcheck.h"
#include "consensus/coinbase.h"
#include "consensus/txsign.h"
#include "node/mempool.h"

#define T0 1700000000

/* A tip holding the accounts a test funds, its pool, and where transfers go. */
struct fix {
    struct fixture_tip tip;
    uint8_t sink[32];
};

static void fix_init(struct fix *f, size_t max_bytes)
{
    fixture_tip_init(&f->tip, max_bytes, 0);
    fixture_pubkey(f->sink);
}

static void fix_clear(struct fix *f)
{
    fixture_tip_clear(&f->tip);
}

/* Transfers of 1000 units with a fee in [256, 65535] all have one size. */
static void transfer(struct fix *f, struct tx *tx, const struct fixture_user *from, uint64_t nonce,
                     amount_t fee)
{
    fixture_transfer(tx, from->sk, f->sink, 1000, nonce, fee);
}

static enum mempool_err pool_accept(struct fix *f, const struct tx *tx, struct mempool_accept_info *info)
{
    return mempool_accept(f->tip.pool, tx, T0, info);
}

static void txid_of(const struct tx *tx, uint8_t id[SHA256_LEN])
{
    tx_txid(tx, id);
}

static bool has(struct fix *f, const struct tx *tx)
{
    uint8_t id[SHA256_LEN];
    txid_of(tx, id);
    return mempool_find(f->tip.pool, id) != NULL;
}

static bool is_future(struct fix *f, const struct tx *tx)
{
    uint8_t id[SHA256_LEN];
    txid_of(tx, id);
    const struct mempool_entry *e = mempool_find(f->tip.pool, id);
    ck_assert_ptr_nonnull(e);
    struct mempool_entry_info info;
    mempool_entry_get_info(e, &info);
    return info.future;
}

static uint64_t next_nonce(struct fix *f, const struct fixture_user *u)
{
    uint64_t n = 0;
    ck_assert(mempool_next_nonce(f->tip.pool, u->pub, &n));
    return n;
}

/* Everything observable about the pool, to show a rejection changed nothing. */
struct snap {
    size_t count, bytes;
    uint8_t ids[64][SHA256_LEN];
    bool future[64];
};

static int id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, SHA256_LEN);
}

static void snap_take(struct fix *f, struct snap *s)
{
    memset(s, 0, sizeof *s);
    s->count = mempool_count(f->tip.pool);
    s->bytes = mempool_bytes(f->tip.pool);
    ck_assert_uint_le(s->count, 64);
    ck_assert_uint_eq(mempool_txids(f->tip.pool, s->ids, 64), s->count);
    qsort(s->ids, s->count, SHA256_LEN, id_cmp);
    for (size_t i = 0; i < s->count; i++) {
        const struct mempool_entry *e = mempool_find(f->tip.pool, s->ids[i]);
        ck_assert_ptr_nonnull(e);
        struct mempool_entry_info info;
        mempool_entry_get_info(e, &info);
        s->future[i] = info.future;
    }
}

static void snap_same(struct fix *f, const struct snap *before)
{
    struct snap now;
    snap_take(f, &now);
    ck_assert_uint_eq(now.count, before->count);
    ck_assert_uint_eq(now.bytes, before->bytes);
    ck_assert_mem_eq(now.ids, before->ids, before->count * SHA256_LEN);
    ck_assert_mem_eq(now.future, before->future, before->count * sizeof(bool));
}

START_TEST(accepts_tx_and_nonce_chain)
{
    struct fix f;
    fix_init(&f, 1 << 20);
    struct fixture_user a;
    fixture_user_new(&a);
    fixture_fund(&f.tip.view, a.pub, AMOUNT_COIN, 0);
    ck_assert_uint_eq(next_nonce(&f, &a), 0);

    struct tx tx[3];
    size_t bytes = 0;
    for (int i = 0; i < 3; i++) {
        tx_init(&tx[i]);
        transfer(&f, &tx[i], &a, (uint64_t)i, 1000 + (amount_t)i);
        struct mempool_accept_info info;
        ck_assert_int_eq(pool_accept(&f, &tx[i], &info), MEMPOOL_OK);
        ck_assert(!info.future);
        uint8_t id[SHA256_LEN];
        txid_of(&tx[i], id);
        ck_assert_mem_eq(info.txid, id, SHA256_LEN);
        bytes += tx_encoded_size(&tx[i]);
    }
    ck_assert_uint_eq(mempool_count(f.tip.pool), 3);
    ck_assert_uint_eq(mempool_bytes(f.tip.pool), bytes);
    ck_assert_uint_eq(next_nonce(&f, &a), 3);

    uint8_t id[SHA256_LEN];
    txid_of(&tx[1], id);
    struct tx copy;
    tx_init(&copy);
    struct mempool_entry_info info;
    ck_assert(mempool_get(f.tip.pool, id, &copy, &info));
    ck_assert_uint_eq(copy.nonce, 1);
    ck_assert_uint_eq(info.nonce, 1);
    ck_assert_uint_eq(info.fee, 1001);
    ck_assert_uint_eq(info.size, tx_encoded_size(&tx[1]));
    ck_assert_uint_eq(info.fee_per_kb, 1001 * 1000 / info.size);
    ck_assert_int_eq(info.time, T0);
    ck_assert_uint_eq(info.height, 0);
    ck_assert(!info.future);
    ck_assert_mem_eq(info.sender, a.pub, 32);
    ck_assert_mem_eq(info.txid, id, SHA256_LEN);
    id[0] ^= 1;
    ck_assert(!mempool_get(f.tip.pool, id, &copy, &info));
    ck_assert_ptr_null(mempool_find(f.tip.pool, id));

    uint8_t ids[4][SHA256_LEN];
    ck_assert_uint_eq(mempool_txids(f.tip.pool, ids, 4), 3);
    ck_assert_uint_eq(mempool_txids(f.tip.pool, ids, 2), 2);
    /* one sender: nonce order */
    mempool_txids(f.tip.pool, ids, 4);
    for (int i = 0; i < 3; i++) {
        txid_of(&tx[i], id);
        ck_assert_mem_eq(ids[i], id, SHA256_LEN);
    }

    /* a sender that does not exist at the tip */
    struct fixture_user nobody;
    fixture_user_new(&nobody);
    ck_assert_uint_eq(next_nonce(&f, &nobody), 0);

    tx_clear(&copy);
    for (int i = 0; i < 3; i++)
        tx_clear(&tx[i]);
    fix_clear(&f);
}
END_TEST

START_TEST(each_rejection_names_its_rule_and_changes_nothing)
{
    struct fix f;
    fix_init(&f, 1 << 20);
    struct fixture_user a, poor, late;
    fixture_user_new(&a);
    fixture_user_new(&poor);
    fixture_user_new(&late);
    fixture_fund(&f.tip.view, a.pub, AMOUNT_COIN, 0);
    fixture_fund(&f.tip.view, poor.pub, 1500, 0);
    fixture_fund(&f.tip.view, late.pub, AMOUNT_COIN, 5);
    struct tx t0, t1, bad;
    tx_init(&t0);
    tx_init(&t1);
    tx_init(&bad);
    transfer(&f, &t0, &a, 0, 1000);
    transfer(&f, &t1, &a, 1, 1000);
    ck_assert_int_eq(pool_accept(&f, &t0, NULL), MEMPOOL_OK);
    ck_assert_int_eq(pool_accept(&f, &t1, NULL), MEMPOOL_OK);
    struct snap before;
    snap_take(&f, &before);
    struct mempool_accept_info info;
    enum mempool_err err;

    /* duplicate */
    err = pool_accept(&f, &t1, &info);
    ck_assert_int_eq(err, MEMPOOL_ERR_DUPLICATE);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "duplicate");
    snap_same(&f, &before);

    /* bad signature */
    transfer(&f, &bad, &a, 2, 1000);
    bad.sig[5] ^= 0x40;
    tx_finalize(&bad);
    err = pool_accept(&f, &bad, &info);
    ck_assert_int_eq(err, MEMPOOL_ERR_TX);
    ck_assert_int_eq(info.txerr, TXERR_BAD_SIGNATURE);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "bad-signature");
    snap_same(&f, &before);

    /* signed for another network */
    fixture_transfer(&bad, a.sk, f.sink, 1000, 2, 1000);
    ck_assert(txsign_sign(&bad, a.sk, chainparams_get(CHAIN_MAIN)->genesis.hash));
    err = pool_accept(&f, &bad, &info);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "wrong-network");
    snap_same(&f, &before);

    /* below the minimum relay fee (1 unit per byte) */
    transfer(&f, &bad, &a, 2, 10);
    err = pool_accept(&f, &bad, &info);
    ck_assert_int_eq(err, MEMPOOL_ERR_FEE_TOO_LOW);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "fee-too-low");
    snap_same(&f, &before);
    /* exactly size * rate is enough; a higher rate makes it too low */
    transfer(&f, &bad, &a, 2, 300);
    mempool_set_min_fee_rate(f.tip.pool, 1000);
    ck_assert_uint_eq(mempool_min_fee_rate(f.tip.pool), 1000);
    ck_assert_int_eq(pool_accept(&f, &bad, &info), MEMPOOL_ERR_FEE_TOO_LOW);
    snap_same(&f, &before);
    mempool_set_min_fee_rate(f.tip.pool, MEMPOOL_DEFAULT_MIN_FEE_RATE);

    /* a nonce already used at the tip */
    transfer(&f, &bad, &late, 4, 1000);
    err = pool_accept(&f, &bad, &info);
    ck_assert_int_eq(err, MEMPOOL_ERR_TX);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "bad-nonce");
    snap_same(&f, &before);

    /* more than the balance */
    fixture_transfer(&bad, poor.sk, f.sink, 1000, 0, 1000);
    err = pool_accept(&f, &bad, &info);
    ck_assert_int_eq(err, MEMPOOL_ERR_TX);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "insufficient-funds");
    snap_same(&f, &before);
    /* the sender's pending txs count: a chain may not overspend either */
    fixture_transfer(&bad, a.sk, f.sink, AMOUNT_COIN - 4000, 2, 1000);
    err = pool_accept(&f, &bad, &info);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "insufficient-funds");
    snap_same(&f, &before);

    /* a coinbase is never relayed */
    struct coinbase_payload cp = {.amount = 5};
    memcpy(cp.recipient, a.pub, 32);
    ck_assert(coinbase_build(&bad, 1, &cp));
    err = pool_accept(&f, &bad, &info);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "coinbase");
    snap_same(&f, &before);

    /* a malformed payload */
    transfer(&f, &bad, &a, 2, 1000);
    static const uint8_t wrong_payload[] = {0x91, 0x01}; /* [1] */
    ck_assert_int_eq(tx_set_payload(&bad, wrong_payload, sizeof wrong_payload), SER_OK);
    ck_assert(txsign_sign(&bad, a.sk, fixture_regtest()->genesis.hash));
    err = pool_accept(&f, &bad, &info);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "bad-payload");
    ck_assert_int_ne(info.detail, SER_OK);
    snap_same(&f, &before);

    /* replacement paying less than 10% more */
    fixture_transfer(&bad, a.sk, f.sink, 7, 1, 1099);
    err = pool_accept(&f, &bad, &info);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "replacement-fee-too-low");
    snap_same(&f, &before);

    /* too many future txs */
    struct tx fut[MEMPOOL_MAX_FUTURE_PER_SENDER];
    for (int i = 0; i < MEMPOOL_MAX_FUTURE_PER_SENDER; i++) {
        tx_init(&fut[i]);
        transfer(&f, &fut[i], &a, 3 + (uint64_t)i, 1000);
        ck_assert_int_eq(pool_accept(&f, &fut[i], &info), MEMPOOL_OK);
        ck_assert(info.future);
    }
    snap_take(&f, &before);
    transfer(&f, &bad, &a, 3 + MEMPOOL_MAX_FUTURE_PER_SENDER, 1000);
    err = pool_accept(&f, &bad, &info);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "too-many-pending");
    snap_same(&f, &before);
    /* replacing a future tx is not a new one */
    transfer(&f, &bad, &a, 5, 1100);
    ck_assert_int_eq(pool_accept(&f, &bad, &info), MEMPOOL_OK);
    ck_assert(info.future);
    ck_assert_uint_eq(info.replaced, 1);
    ck_assert(!has(&f, &fut[2]));
    ck_assert_uint_eq(mempool_count(f.tip.pool), before.count);

    for (int e = 0; e <= MEMPOOL_ERR_COUNT_; e++) {
        ck_assert_ptr_nonnull(mempool_err_reason((enum mempool_err)e));
        ck_assert_ptr_nonnull(mempool_strerror((enum mempool_err)e));
    }
    for (int i = 0; i < MEMPOOL_MAX_FUTURE_PER_SENDER; i++)
        tx_clear(&fut[i]);
    tx_clear(&t0);
    tx_clear(&t1);
    tx_clear(&bad);
    fix_clear(&f);
}
END_TEST

START_TEST(gap_is_future_until_filled)
{
    struct fix f;
    fix_init(&f, 1 << 20);
    struct fixture_user a;
    fixture_user_new(&a);
    /* enough for three txs of 1000 + 1000, not four */
    fixture_fund(&f.tip.view, a.pub, 7000, 0);
    struct tx t[4];
    for (int i = 0; i < 4; i++) {
        tx_init(&t[i]);
        transfer(&f, &t[i], &a, (uint64_t)i, 1000);
    }
    struct mempool_accept_info info;
    ck_assert_int_eq(pool_accept(&f, &t[2], &info), MEMPOOL_OK);
    ck_assert(info.future);
    ck_assert_int_eq(pool_accept(&f, &t[3], &info), MEMPOOL_OK);
    ck_assert(info.future);
    ck_assert_uint_eq(next_nonce(&f, &a), 0);
    ck_assert_int_eq(pool_accept(&f, &t[1], &info), MEMPOOL_OK);
    ck_assert(info.future);


    ck_assert_int_eq(pool_accept(&f, &t[0], &info), MEMPOOL_OK);
    ck_assert(!info.future);
    /* 1 and 2 promoted; 3 no longer applies (funds) and is dropped */
    ck_assert(!is_future(&f, &t[1]));
    ck_assert(!is_future(&f, &t[2]));
    ck_assert(!has(&f, &t[3]));
    ck_assert_uint_eq(info.replaced, 1);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 3);
    ck_assert_uint_eq(next_nonce(&f, &a), 3);
    for (int i = 0; i < 4; i++)
        tx_clear(&t[i]);
    fix_clear(&f);
}
END_TEST

static bool count_chain(void *ctx, const struct mempool_entry *const *e, size_t n)
{
    size_t *total = ctx;
    for (size_t i = 0; i < n; i++) {
        struct mempool_entry_info info;
        mempool_entry_get_info(e[i], &info);
        ck_assert(!info.future);
        if (i > 0) {
            struct mempool_entry_info prev;
            mempool_entry_get_info(e[i - 1], &prev);
            ck_assert_uint_eq(info.nonce, prev.nonce + 1);
        }
    }
    *total += n;
    return true;
}

static bool count_future(void *ctx, const struct mempool_entry *e)
{
    struct mempool_entry_info info;
    mempool_entry_get_info(e, &info);
    *(size_t *)ctx += info.future;
    return true;
}

static size_t futures(struct fix *f)
{
    size_t n = 0;
    ck_assert(mempool_for_each(f->tip.pool, count_future, &n));
    return n;
}

static size_t minable(struct fix *f)
{
    size_t total = 0;
    ck_assert(mempool_for_each_chain(f->tip.pool, count_chain, &total));
    return total;
}

START_TEST(future_txs_are_not_minable)
{
    struct fix f;
    fix_init(&f, 1 << 20);
    struct fixture_user a, b;
    fixture_user_new(&a);
    fixture_user_new(&b);
    fixture_fund(&f.tip.view, a.pub, AMOUNT_COIN, 0);
    fixture_fund(&f.tip.view, b.pub, AMOUNT_COIN, 0);
    struct tx t;
    tx_init(&t);
    transfer(&f, &t, &a, 0, 1000);
    ck_assert_int_eq(pool_accept(&f, &t, NULL), MEMPOOL_OK);
    transfer(&f, &t, &a, 2, 1000);
    ck_assert_int_eq(pool_accept(&f, &t, NULL), MEMPOOL_OK);
    transfer(&f, &t, &b, 1, 1000);
    ck_assert_int_eq(pool_accept(&f, &t, NULL), MEMPOOL_OK);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 3);
    ck_assert_uint_eq(minable(&f), 1);
    transfer(&f, &t, &b, 0, 1000);
    ck_assert_int_eq(pool_accept(&f, &t, NULL), MEMPOOL_OK);
    ck_assert_uint_eq(minable(&f), 3);
    tx_clear(&t);
    fix_clear(&f);
}
END_TEST

START_TEST(replacement_rules)
{
    struct fix f;
    fix_init(&f, 1 << 20);
    struct fixture_user a;
    fixture_user_new(&a);
    fixture_fund(&f.tip.view, a.pub, 10000, 0);
    struct tx t[3], r;
    tx_init(&r);
    for (int i = 0; i < 3; i++) {
        tx_init(&t[i]);
        transfer(&f, &t[i], &a, (uint64_t)i, 1000); /* 2000 each: 4000 left */
        ck_assert_int_eq(pool_accept(&f, &t[i], NULL), MEMPOOL_OK);
    }
    struct mempool_accept_info info;
    /* 1099 * 10 < 1000 * 11 */
    fixture_transfer(&r, a.sk, f.sink, 1000, 1, 1099);
    ck_assert_int_eq(pool_accept(&f, &r, &info), MEMPOOL_ERR_REPLACEMENT_FEE);
    /* a valid fee but a replacement that itself does not apply */
    fixture_transfer(&r, a.sk, f.sink, 9000, 1, 1100);
    ck_assert_int_eq(pool_accept(&f, &r, &info), MEMPOOL_ERR_TX);
    ck_assert_int_eq(info.txerr, TXERR_INSUFFICIENT_FUNDS);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 3);

    /* exactly 10% more, still leaving room for tx 2 */
    fixture_transfer(&r, a.sk, f.sink, 2000, 1, 1100);
    ck_assert_int_eq(pool_accept(&f, &r, &info), MEMPOOL_OK);
    ck_assert_uint_eq(info.replaced, 1);
    ck_assert(!has(&f, &t[1]));
    ck_assert(has(&f, &r));
    ck_assert(has(&f, &t[2]));
    ck_assert(!is_future(&f, &t[2]));
    ck_assert_uint_eq(next_nonce(&f, &a), 3);

    /* a replacement that spends so much that tx 2 no longer applies */
    struct tx r2;
    tx_init(&r2);
    fixture_transfer(&r2, a.sk, f.sink, 5000, 1, 1210);
    ck_assert_int_eq(pool_accept(&f, &r2, &info), MEMPOOL_OK);
    ck_assert_uint_eq(info.replaced, 2);
    ck_assert(!has(&f, &r));
    ck_assert(!has(&f, &t[2]));
    ck_assert_uint_eq(mempool_count(f.tip.pool), 2);
    ck_assert_uint_eq(next_nonce(&f, &a), 2);
    ck_assert_uint_eq(mempool_bytes(f.tip.pool), tx_encoded_size(&t[0]) + tx_encoded_size(&r2));

    /* the first tx of the chain can be replaced too */
    fixture_transfer(&r, a.sk, f.sink, 1000, 0, 5000);
    ck_assert_int_eq(pool_accept(&f, &r, &info), MEMPOOL_OK);
    /* 10000 - 6000 leaves 4000 < 5210 for tx 1 */
    ck_assert_uint_eq(info.replaced, 2);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 1);

    for (int i = 0; i < 3; i++)
        tx_clear(&t[i]);
    tx_clear(&r);
    tx_clear(&r2);
    fix_clear(&f);
}
END_TEST

START_TEST(size_limit_evicts_lowest_fee_rate)
{
    struct fixture_user u[8];
    for (int i = 0; i < 8; i++)
        fixture_user_new(&u[i]);
    struct fix f;
    fix_init(&f, 1);
    struct tx t[8];
    for (int i = 0; i < 8; i++)
        tx_init(&t[i]);
    transfer(&f, &t[0], &u[0], 0, 1000);
    size_t size = tx_encoded_size(&t[0]);
    fix_clear(&f);

    fix_init(&f, 3 * size);
    ck_assert_uint_eq(mempool_max_bytes(f.tip.pool), 3 * size);
    for (int i = 0; i < 8; i++)
        fixture_fund(&f.tip.view, u[i].pub, AMOUNT_COIN, 0);
    transfer(&f, &t[0], &u[0], 0, 1000);
    transfer(&f, &t[1], &u[1], 0, 2000);
    transfer(&f, &t[2], &u[2], 0, 3000);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(tx_encoded_size(&t[i]), size);
        ck_assert_int_eq(pool_accept(&f, &t[i], NULL), MEMPOOL_OK);
    }
    ck_assert_uint_eq(mempool_bytes(f.tip.pool), 3 * size);

    struct mempool_accept_info info;
    /* a better payer takes the place of the worst */
    transfer(&f, &t[3], &u[3], 0, 1500);
    ck_assert_int_eq(pool_accept(&f, &t[3], &info), MEMPOOL_OK);
    ck_assert_uint_eq(info.evicted, 1);
    ck_assert(!has(&f, &t[0]));
    ck_assert_uint_eq(mempool_bytes(f.tip.pool), 3 * size);

    /* never evict something paying as much or more */
    struct snap before;
    snap_take(&f, &before);
    transfer(&f, &t[4], &u[4], 0, 1400);
    enum mempool_err err = pool_accept(&f, &t[4], &info);
    ck_assert_int_eq(err, MEMPOOL_ERR_FULL);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "mempool-full");
    snap_same(&f, &before);
    transfer(&f, &t[4], &u[4], 0, 1500);
    ck_assert_int_eq(pool_accept(&f, &t[4], &info), MEMPOOL_ERR_FULL);
    snap_same(&f, &before);

    /* evicting a tx takes its sender's later txs with it, and those count:
     * u1 gets a well-paying second tx, so u1's first (2000) cannot be
     * evicted for a tx paying 2500 */
    fix_clear(&f);
    fix_init(&f, 3 * size);
    for (int i = 0; i < 8; i++)
        fixture_fund(&f.tip.view, u[i].pub, AMOUNT_COIN, 0);
    transfer(&f, &t[0], &u[1], 0, 2000);
    transfer(&f, &t[1], &u[1], 1, 9000);
    transfer(&f, &t[2], &u[2], 0, 3000);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pool_accept(&f, &t[i], NULL), MEMPOOL_OK);
    snap_take(&f, &before);
    transfer(&f, &t[3], &u[3], 0, 2500);
    ck_assert_int_eq(pool_accept(&f, &t[3], &info), MEMPOOL_ERR_FULL);
    snap_same(&f, &before);
    /* paying more than all of them evicts the pair */
    transfer(&f, &t[3], &u[3], 0, 9500);
    ck_assert_int_eq(pool_accept(&f, &t[3], &info), MEMPOOL_OK);
    ck_assert_uint_eq(info.evicted, 2);
    ck_assert(!has(&f, &t[0]));
    ck_assert(!has(&f, &t[1]));
    ck_assert(has(&f, &t[2]));
    ck_assert_uint_eq(mempool_count(f.tip.pool), 2);

    /* a tx never evicts its own sender's txs */
    transfer(&f, &t[4], &u[3], 1, 2000);
    ck_assert_int_eq(pool_accept(&f, &t[4], NULL), MEMPOOL_OK);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 3);
    snap_take(&f, &before);
    transfer(&f, &t[5], &u[3], 2, 2900);
    ck_assert_int_eq(pool_accept(&f, &t[5], &info), MEMPOOL_ERR_FULL);
    snap_same(&f, &before);
    /* while the cheapest of another sender does go */
    transfer(&f, &t[5], &u[3], 2, 3100);
    ck_assert_int_eq(pool_accept(&f, &t[5], &info), MEMPOOL_OK);
    ck_assert(!has(&f, &t[2]));

    for (int i = 0; i < 8; i++)
        tx_clear(&t[i]);
    fix_clear(&f);
}
END_TEST

START_TEST(expiry_after_14_days)
{
    struct fix f;
    fix_init(&f, 1 << 20);
    struct fixture_user a, b;
    fixture_user_new(&a);
    fixture_user_new(&b);
    fixture_fund(&f.tip.view, a.pub, AMOUNT_COIN, 0);
    fixture_fund(&f.tip.view, b.pub, AMOUNT_COIN, 0);
    struct tx t;
    tx_init(&t);
    transfer(&f, &t, &a, 0, 1000);
    ck_assert_int_eq(mempool_accept(f.tip.pool, &t, T0, NULL), MEMPOOL_OK);
    transfer(&f, &t, &a, 1, 1000);
    ck_assert_int_eq(mempool_accept(f.tip.pool, &t, T0 + 1000, NULL), MEMPOOL_OK);
    transfer(&f, &t, &b, 0, 1000);
    ck_assert_int_eq(mempool_accept(f.tip.pool, &t, T0 + 2000, NULL), MEMPOOL_OK);

    ck_assert_uint_eq(mempool_expire(f.tip.pool, T0 + MEMPOOL_EXPIRY_SECONDS), 0);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 3);
    /* a's first expires and takes a's second with it */
    ck_assert_uint_eq(mempool_expire(f.tip.pool, T0 + MEMPOOL_EXPIRY_SECONDS + 1), 2);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 1);
    ck_assert(has(&f, &t));
    ck_assert_uint_eq(next_nonce(&f, &a), 0);
    ck_assert_uint_eq(mempool_expire(f.tip.pool, T0 + 2000 + MEMPOOL_EXPIRY_SECONDS + 1), 1);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 0);
    ck_assert_uint_eq(mempool_bytes(f.tip.pool), 0);
    tx_clear(&t);
    fix_clear(&f);
}
END_TEST

START_TEST(new_tip_rechecks_everything)
{
    struct fix f;
    fix_init(&f, 1 << 20);
    struct fixture_user a, b, c, d;
    fixture_user_new(&a);
    fixture_user_new(&b);
    fixture_user_new(&c);
    fixture_user_new(&d);
    fixture_fund(&f.tip.view, a.pub, AMOUNT_COIN, 0);
    fixture_fund(&f.tip.view, b.pub, AMOUNT_COIN, 0);
    fixture_fund(&f.tip.view, c.pub, 5000, 0);
    fixture_fund(&f.tip.view, d.pub, AMOUNT_COIN, 0);
    struct tx ta[3], tb, tc[2], td[2];
    for (int i = 0; i < 3; i++) {
        tx_init(&ta[i]);
        transfer(&f, &ta[i], &a, (uint64_t)i, 1000);
        ck_assert_int_eq(pool_accept(&f, &ta[i], NULL), MEMPOOL_OK);
    }
    tx_init(&tb);
    transfer(&f, &tb, &b, 0, 1000);
    ck_assert_int_eq(pool_accept(&f, &tb, NULL), MEMPOOL_OK);
    for (int i = 0; i < 2; i++) {
        tx_init(&tc[i]);
        transfer(&f, &tc[i], &c, (uint64_t)i, 1000);
        ck_assert_int_eq(pool_accept(&f, &tc[i], NULL), MEMPOOL_OK);
        tx_init(&td[i]);
    }
    /* d: a gap now, filled by the block */
    transfer(&f, &td[1], &d, 1, 1000);
    ck_assert_int_eq(pool_accept(&f, &td[1], NULL), MEMPOOL_OK);
    ck_assert(is_future(&f, &td[1]));
    transfer(&f, &td[0], &d, 0, 1000);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 7);

    /* the "block": a0, a1, b0 and d0 (never seen by the pool); c's
     * balance drops elsewhere so that c0 no longer applies */
    struct apply_ctx ctx = {.params = fixture_regtest(), .height = 1, .time = T0};
    ck_assert_int_eq(blockcheck_apply_tx(&f.tip.view, &ta[0], &ctx), TXERR_OK);
    ck_assert_int_eq(blockcheck_apply_tx(&f.tip.view, &ta[1], &ctx), TXERR_OK);
    ck_assert_int_eq(blockcheck_apply_tx(&f.tip.view, &tb, &ctx), TXERR_OK);
    ck_assert_int_eq(blockcheck_apply_tx(&f.tip.view, &td[0], &ctx), TXERR_OK);
    fixture_fund(&f.tip.view, c.pub, 1500, 0); /* still covers c1's fee */
    ck_assert(mempool_update_tip(f.tip.pool, &f.tip.backend, 1));
    ck_assert_uint_eq(mempool_tip_height(f.tip.pool), 1);

    ck_assert(!has(&f, &ta[0]));
    ck_assert(!has(&f, &ta[1]));
    ck_assert(has(&f, &ta[2]));
    ck_assert(!is_future(&f, &ta[2]));
    ck_assert(!has(&f, &tb));
    ck_assert(!has(&f, &tc[0]));
    ck_assert(has(&f, &tc[1]));
    ck_assert(is_future(&f, &tc[1]));
    ck_assert(has(&f, &td[1]));
    ck_assert(!is_future(&f, &td[1]));
    ck_assert_uint_eq(mempool_count(f.tip.pool), 3);
    ck_assert_uint_eq(next_nonce(&f, &a), 3);
    ck_assert_uint_eq(next_nonce(&f, &b), 1);
    ck_assert_uint_eq(next_nonce(&f, &c), 0);
    ck_assert_uint_eq(next_nonce(&f, &d), 2);
    ck_assert_uint_eq(minable(&f), 2);
    size_t bytes = tx_encoded_size(&ta[2]) + tx_encoded_size(&tc[1]) + tx_encoded_size(&td[1]);
    ck_assert_uint_eq(mempool_bytes(f.tip.pool), bytes);

    /* the pool keeps working on the new tip */
    struct tx more;
    tx_init(&more);
    transfer(&f, &more, &a, 3, 1000);
    ck_assert_int_eq(pool_accept(&f, &more, NULL), MEMPOOL_OK);
    transfer(&f, &more, &a, 1, 1000);
    ck_assert_int_eq(pool_accept(&f, &more, NULL), MEMPOOL_ERR_TX);

    tx_clear(&more);
    for (int i = 0; i < 3; i++)
        tx_clear(&ta[i]);
    tx_clear(&tb);
    for (int i = 0; i < 2; i++) {
        tx_clear(&tc[i]);
        tx_clear(&td[i]);
    }
    fix_clear(&f);
}
END_TEST

START_TEST(readd_after_reorg)
{
    struct fix f;
    fix_init(&f, 1 << 20);
    struct fixture_user a, b;
    fixture_user_new(&a);
    fixture_user_new(&b);
    fixture_fund(&f.tip.view, a.pub, AMOUNT_COIN, 0);
    fixture_fund(&f.tip.view, b.pub, AMOUNT_COIN, 0);

    /* txs[0] is a coinbase, txs[1..2] a's chain, txs[3] has a bad signature */
    struct tx txs[4];
    for (int i = 0; i < 4; i++)
        tx_init(&txs[i]);
    struct coinbase_payload cp = {.amount = 5};
    memcpy(cp.recipient, a.pub, 32);
    ck_assert(coinbase_build(&txs[0], 1, &cp));
    transfer(&f, &txs[1], &a, 0, 1000);
    transfer(&f, &txs[2], &a, 1, 1000);
    transfer(&f, &txs[3], &b, 0, 1000);
    txs[3].sig[0] ^= 1;
    tx_finalize(&txs[3]);
    struct tx pending;
    tx_init(&pending);
    transfer(&f, &pending, &a, 2, 1000);

    /* the block connects on a child view of the old tip */
    struct state_view child;
    struct state_backend child_b;
    state_view_init(&child, &f.tip.backend);
    state_view_as_backend(&child, &child_b);
    struct apply_ctx ctx = {.params = fixture_regtest(), .height = 1, .time = T0};
    ck_assert_int_eq(blockcheck_apply_tx(&child, &txs[1], &ctx), TXERR_OK);
    ck_assert_int_eq(blockcheck_apply_tx(&child, &txs[2], &ctx), TXERR_OK);
    ck_assert(mempool_update_tip(f.tip.pool, &child_b, 1));
    ck_assert_int_eq(pool_accept(&f, &pending, NULL), MEMPOOL_OK);
    ck_assert(!is_future(&f, &pending));

    /* disconnect it: back to the old tip, the block's txs put back */
    ck_assert_uint_eq(mempool_readd(f.tip.pool, txs, 4, T0 + 5), 2);
    ck_assert_uint_eq(mempool_readd(f.tip.pool, txs, 4, T0 + 5), 0);
    ck_assert(mempool_update_tip(f.tip.pool, &f.tip.backend, 0));
    state_view_clear(&child);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 3);
    ck_assert(!is_future(&f, &txs[1]));
    ck_assert(!is_future(&f, &txs[2]));
    ck_assert(!is_future(&f, &pending));
    ck_assert_uint_eq(next_nonce(&f, &a), 3);
    ck_assert_uint_eq(minable(&f), 3);

    /* connecting the block again: remove_block then the update */
    struct block blk;
    block_init(&blk);
    for (int i = 0; i < 3; i++) {
        struct tx t;
        tx_init(&t);
        ck_assert(tx_copy(&t, &txs[i]));
        ck_assert(block_take_tx(&blk, &t));
    }
    ck_assert_uint_eq(mempool_remove_block(f.tip.pool, &blk), 2);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 1);
    ck_assert_int_eq(blockcheck_apply_tx(&f.tip.view, &txs[1], &ctx), TXERR_OK);
    ck_assert_int_eq(blockcheck_apply_tx(&f.tip.view, &txs[2], &ctx), TXERR_OK);
    ck_assert(mempool_update_tip(f.tip.pool, &f.tip.backend, 1));
    ck_assert_uint_eq(mempool_count(f.tip.pool), 1);
    ck_assert(!is_future(&f, &pending));

    block_clear(&blk);
    tx_clear(&pending);
    for (int i = 0; i < 4; i++)
        tx_clear(&txs[i]);
    fix_clear(&f);
}
END_TEST

START_TEST(remove_by_txid_takes_later_nonces)
{
    struct fix f;
    fix_init(&f, 1 << 20);
    struct fixture_user a;
    fixture_user_new(&a);
    fixture_fund(&f.tip.view, a.pub, AMOUNT_COIN, 0);
    struct tx t[3];
    for (int i = 0; i < 3; i++) {
        tx_init(&t[i]);
        transfer(&f, &t[i], &a, (uint64_t)i, 1000);
        ck_assert_int_eq(pool_accept(&f, &t[i], NULL), MEMPOOL_OK);
    }
    uint8_t id[SHA256_LEN];
    txid_of(&t[1], id);
    ck_assert_uint_eq(mempool_remove(f.tip.pool, id), 2);
    ck_assert_uint_eq(mempool_remove(f.tip.pool, id), 0);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 1);
    ck_assert_uint_eq(next_nonce(&f, &a), 1);
    /* the freed nonce can be used again */
    ck_assert_int_eq(pool_accept(&f, &t[1], NULL), MEMPOOL_OK);
    ck_assert_uint_eq(next_nonce(&f, &a), 2);
    for (int i = 0; i < 3; i++)
        tx_clear(&t[i]);
    fix_clear(&f);
}
END_TEST

START_TEST(fee_rate_compare_is_exact)
{
    ck_assert_int_eq(mempool_fee_rate_cmp(1000, 100, 2000, 200), 0);
    ck_assert_int_lt(mempool_fee_rate_cmp(999, 100, 2000, 200), 0);
    ck_assert_int_gt(mempool_fee_rate_cmp(1001, 100, 2000, 200), 0);
    /* products beyond 64 bits */
    ck_assert_int_gt(mempool_fee_rate_cmp(AMOUNT_MAX, 65536, AMOUNT_MAX - 1, 65536), 0);
    ck_assert_int_lt(mempool_fee_rate_cmp(AMOUNT_MAX, 65537, AMOUNT_MAX, 65536), 0);
    ck_assert_int_eq(mempool_fee_rate_cmp(AMOUNT_MAX, 65536, AMOUNT_MAX, 65536), 0);
    ck_assert_int_gt(mempool_fee_rate_cmp(UINT64_MAX, SIZE_MAX, UINT64_MAX - 1, SIZE_MAX), 0);
}
END_TEST

/* Many senders and long chains, with replacements and evictions mixed in:
 * the indexes must stay consistent (checked through every query). */
START_TEST(many_senders_stay_consistent)
{
    enum { USERS = 24, CHAIN = 6 };
    struct fixture_user u[USERS];
    struct fix f;
    fix_init(&f, 1);
    struct tx t;
    tx_init(&t);
    fixture_user_new(&u[0]);
    transfer(&f, &t, &u[0], 0, 1000);
    size_t size = tx_encoded_size(&t);
    fix_clear(&f);
    fix_init(&f, 100 * size);
    for (int i = 0; i < USERS; i++) {
        fixture_user_new(&u[i]);
        fixture_fund(&f.tip.view, u[i].pub, AMOUNT_COIN, 0);
    }
    size_t accepted = 0;
    for (int n = 0; n < CHAIN; n++)
        for (int i = 0; i < USERS; i++) {
            transfer(&f, &t, &u[i], (uint64_t)n, 300 + (amount_t)((i * 37 + n * 11) % 200) * 10);
            enum mempool_err err = pool_accept(&f, &t, NULL);
            ck_assert(err == MEMPOOL_OK || err == MEMPOOL_ERR_FULL);
            accepted += err == MEMPOOL_OK;
        }
    ck_assert_uint_ge(accepted, 100);
    ck_assert_uint_le(mempool_bytes(f.tip.pool), 100 * size);
    ck_assert_uint_eq(mempool_bytes(f.tip.pool), mempool_count(f.tip.pool) * size);
    ck_assert_uint_eq(minable(&f) + futures(&f), mempool_count(f.tip.pool));
    uint8_t (*ids)[SHA256_LEN] = malloc(200 * SHA256_LEN);
    ck_assert_ptr_nonnull(ids);
    size_t n = mempool_txids(f.tip.pool, ids, 200);
    ck_assert_uint_eq(n, mempool_count(f.tip.pool));
    for (size_t i = 0; i < n; i++)
        ck_assert_ptr_nonnull(mempool_find(f.tip.pool, ids[i]));
    for (size_t i = 0; i < n; i += 3)
        mempool_remove(f.tip.pool, ids[i]);
    ck_assert_uint_lt(mempool_count(f.tip.pool), n);
    ck_assert_uint_eq(minable(&f) + futures(&f), mempool_count(f.tip.pool));
    ck_assert_uint_eq(mempool_bytes(f.tip.pool), mempool_count(f.tip.pool) * size);
    ck_assert(mempool_update_tip(f.tip.pool, &f.tip.backend, 0));
    ck_assert_uint_eq(minable(&f) + futures(&f), mempool_count(f.tip.pool));
    /* every remaining tx is minable again or waits behind a real gap */
    for (int i = 0; i < USERS; i++) {
        uint64_t next = next_nonce(&f, &u[i]);
        ck_assert_uint_le(next, CHAIN);
    }
    size_t left = mempool_count(f.tip.pool);
    ck_assert_uint_eq(mempool_expire(f.tip.pool, T0 + MEMPOOL_EXPIRY_SECONDS + 1), left);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 0);
    ck_assert_uint_eq(mempool_bytes(f.tip.pool), 0);
    free(ids);
    tx_clear(&t);
    fix_clear(&f);
}
END_TEST

START_TEST(check_only_changes_nothing)
{
    struct fixture_user u[4];
    struct fix f;
    fix_init(&f, 1);
    struct tx t[5];
    for (int i = 0; i < 5; i++)
        tx_init(&t[i]);
    fixture_user_new(&u[0]);
    transfer(&f, &t[0], &u[0], 0, 1000);
    size_t size = tx_encoded_size(&t[0]);
    fix_clear(&f);
    fix_init(&f, 3 * size);
    for (int i = 0; i < 4; i++) {
        fixture_user_new(&u[i]);
        fixture_fund(&f.tip.view, u[i].pub, AMOUNT_COIN, 0);
    }
    struct mempool_accept_info info;
    struct snap before;
    transfer(&f, &t[0], &u[0], 0, 1000);
    snap_take(&f, &before);
    ck_assert_int_eq(mempool_check(f.tip.pool, &t[0], T0, &info), MEMPOOL_OK);
    ck_assert(!info.future);
    snap_same(&f, &before);
    ck_assert_int_eq(pool_accept(&f, &t[0], NULL), MEMPOOL_OK);
    /* the next of the chain checks against the pending one, twice over */
    transfer(&f, &t[1], &u[0], 1, 1000);
    snap_take(&f, &before);
    ck_assert_int_eq(mempool_check(f.tip.pool, &t[1], T0, &info), MEMPOOL_OK);
    ck_assert_int_eq(mempool_check(f.tip.pool, &t[1], T0, &info), MEMPOOL_OK);
    snap_same(&f, &before);
    ck_assert_int_eq(mempool_check(f.tip.pool, &t[0], T0, &info), MEMPOOL_ERR_DUPLICATE);
    ck_assert_int_eq(pool_accept(&f, &t[1], NULL), MEMPOOL_OK);
    /* a gap: a three-tx pool has no room for futures (10% of it) */
    transfer(&f, &t[2], &u[0], 3, 1000);
    ck_assert_int_eq(mempool_check(f.tip.pool, &t[2], T0, &info), MEMPOOL_ERR_FUTURES_FULL);
    /* a replacement */
    transfer(&f, &t[2], &u[0], 0, 5000);
    ck_assert_int_eq(mempool_check(f.tip.pool, &t[2], T0, &info), MEMPOOL_OK);
    ck_assert_uint_eq(info.replaced, 1);
    /* an eviction (u1 pays least, so it is the one to go) */
    transfer(&f, &t[3], &u[1], 0, 900);
    ck_assert_int_eq(pool_accept(&f, &t[3], NULL), MEMPOOL_OK);
    transfer(&f, &t[4], &u[2], 0, 1500);
    snap_take(&f, &before);
    ck_assert_int_eq(mempool_check(f.tip.pool, &t[4], T0, &info), MEMPOOL_OK);
    ck_assert_uint_eq(info.evicted, 1);
    snap_same(&f, &before);
    transfer(&f, &t[4], &u[2], 0, 800);
    ck_assert_int_eq(mempool_check(f.tip.pool, &t[4], T0, &info), MEMPOOL_ERR_FULL);
    ck_assert_uint_eq(info.evicted, 0);
    snap_same(&f, &before);
    /* and accepting still works on the state the checks left */
    transfer(&f, &t[4], &u[0], 2, 1500);
    ck_assert_int_eq(pool_accept(&f, &t[4], &info), MEMPOOL_OK);
    ck_assert_uint_eq(info.evicted, 1);
    ck_assert_uint_eq(next_nonce(&f, &u[0]), 3);
    for (int i = 0; i < 5; i++)
        tx_clear(&t[i]);
    fix_clear(&f);
}
END_TEST

/* A tx held behind a nonce gap is not applied, so its fee must be backed by
 * the sender's balance at the tip; otherwise keys without funds could fill
 * the pool with txs claiming any fee rate. */
START_TEST(future_txs_need_funds_for_their_fee)
{
    struct fix f;
    fix_init(&f, 1 << 20);
    struct fixture_user z, r;
    fixture_user_new(&z);
    fixture_user_new(&r);
    fixture_fund(&f.tip.view, r.pub, 999, 0);
    struct tx t;
    tx_init(&t);
    struct mempool_accept_info info;
    struct snap before;
    snap_take(&f, &before);
    /* no account at all, and one a unit short of the fee */
    transfer(&f, &t, &z, 1, 1000);
    enum mempool_err err = pool_accept(&f, &t, &info);
    ck_assert_int_eq(err, MEMPOOL_ERR_TX);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "insufficient-funds");
    ck_assert_int_eq(mempool_check(f.tip.pool, &t, T0, &info), MEMPOOL_ERR_TX);
    transfer(&f, &t, &r, 5, 1000);
    err = pool_accept(&f, &t, &info);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "insufficient-funds");
    snap_same(&f, &before);

    /* the fee alone is not enough: the amount (1000) is pending too */
    fixture_fund(&f.tip.view, r.pub, 1999, 0);
    ck_assert_str_eq(mempool_reject_reason(pool_accept(&f, &t, &info), &info),
                     "insufficient-funds");
    /* covered: held as future */
    fixture_fund(&f.tip.view, r.pub, 2000, 0);
    ck_assert_int_eq(pool_accept(&f, &t, &info), MEMPOOL_OK);
    ck_assert(info.future);
    /* a second future must be covered together with the first */
    struct tx t2;
    tx_init(&t2);
    transfer(&f, &t2, &r, 6, 1000);
    ck_assert_str_eq(mempool_reject_reason(pool_accept(&f, &t2, &info), &info),
                     "insufficient-funds");
    fixture_fund(&f.tip.view, r.pub, 4000, 0);
    ck_assert_int_eq(pool_accept(&f, &t2, &info), MEMPOOL_OK);
    /* a nonce more than 64 past the next one is not held at all */
    transfer(&f, &t2, &r, 1 + MEMPOOL_MAX_NONCE_GAP, 1000);
    ck_assert_int_eq(pool_accept(&f, &t2, &info), MEMPOOL_ERR_NONCE_GAP);
    transfer(&f, &t2, &r, (uint64_t)1 << 62, 1000);
    ck_assert_int_eq(pool_accept(&f, &t2, &info), MEMPOOL_ERR_NONCE_GAP);
    ck_assert_str_eq(mempool_err_reason(MEMPOOL_ERR_NONCE_GAP), "nonce-gap-too-large");
    tx_clear(&t2);
    /* the balance is spent elsewhere: the next tip drops them */
    fixture_fund(&f.tip.view, r.pub, 10, 0);
    ck_assert(mempool_update_tip(f.tip.pool, &f.tip.backend, 1));
    ck_assert(!has(&f, &t));
    ck_assert_uint_eq(mempool_count(f.tip.pool), 0);
    tx_clear(&t);
    fix_clear(&f);
}
END_TEST

/* Futures are not minable: at most MEMPOOL_FUTURE_SHARE_PERCENT of the pool,
 * whether they arrive one by one or are left behind by a new tip. */
START_TEST(futures_hold_a_share_of_the_pool)
{
    enum { USERS = 16 };
    struct fixture_user u[USERS];
    struct fix f;
    struct tx t;
    tx_init(&t);
    fixture_user_new(&u[0]);
    fix_init(&f, 1);
    transfer(&f, &t, &u[0], 1, 1000);
    size_t size = tx_encoded_size(&t);
    fix_clear(&f);
    fix_init(&f, 100 * size);
    for (int i = 0; i < USERS; i++) {
        if (i > 0)
            fixture_user_new(&u[i]);
        fixture_fund(&f.tip.view, u[i].pub, AMOUNT_COIN, 0);
    }
    size_t cap = mempool_max_future_bytes(f.tip.pool);
    ck_assert_uint_eq(cap, 10 * size);
    struct mempool_accept_info info;
    for (int i = 0; i < 10; i++) {
        transfer(&f, &t, &u[i], 1, 1000 + (amount_t)i);
        ck_assert_int_eq(mempool_check(f.tip.pool, &t, T0, &info), MEMPOOL_OK);
        ck_assert(info.future);
        ck_assert_int_eq(pool_accept(&f, &t, &info), MEMPOOL_OK);
        ck_assert(info.future);
    }
    ck_assert_uint_eq(mempool_future_bytes(f.tip.pool), cap);
    ck_assert_uint_eq(mempool_future_count(f.tip.pool), 10);

    /* full: another future is refused, whatever it pays, and nothing changes */
    struct snap before;
    snap_take(&f, &before);
    transfer(&f, &t, &u[10], 1, 60000);
    enum mempool_err err = pool_accept(&f, &t, &info);
    ck_assert_int_eq(err, MEMPOOL_ERR_FUTURES_FULL);
    ck_assert_str_eq(mempool_reject_reason(err, &info), "mempool-futures-full");
    ck_assert_int_eq(mempool_check(f.tip.pool, &t, T0, &info), MEMPOOL_ERR_FUTURES_FULL);
    snap_same(&f, &before);
    /* replacing a future takes no more room */
    transfer(&f, &t, &u[0], 1, 2000);
    ck_assert_int_eq(pool_accept(&f, &t, &info), MEMPOOL_OK);
    ck_assert_uint_eq(mempool_future_bytes(f.tip.pool), cap);
    /* a ready tx is not held back by the share */
    transfer(&f, &t, &u[10], 0, 1000);
    ck_assert_int_eq(pool_accept(&f, &t, &info), MEMPOOL_OK);
    ck_assert(!info.future);
    /* filling a gap frees the share */
    transfer(&f, &t, &u[1], 0, 1000);
    ck_assert_int_eq(pool_accept(&f, &t, &info), MEMPOOL_OK);
    ck_assert_uint_eq(mempool_future_bytes(f.tip.pool), cap - size);
    ck_assert_uint_eq(mempool_future_count(f.tip.pool), 9);
    transfer(&f, &t, &u[11], 1, 1000);
    ck_assert_int_eq(pool_accept(&f, &t, &info), MEMPOOL_OK);
    ck_assert(info.future);
    ck_assert_uint_eq(mempool_future_bytes(f.tip.pool), cap);

    /* a reorg hands back more futures than the share holds: after the new
     * tip the cheapest leave, a sender's from its first one */
    struct tx back[4 * 3];
    for (int i = 0; i < 4; i++)
        for (int n = 0; n < 3; n++) {
            tx_init(&back[i * 3 + n]);
            transfer(&f, &back[i * 3 + n], &u[12 + i], 2 + (uint64_t)n, 300 + (amount_t)i);
        }
    ck_assert_uint_eq(mempool_readd(f.tip.pool, back, 12, T0 + 1), 12);
    ck_assert(mempool_update_tip(f.tip.pool, &f.tip.backend, 0));
    ck_assert_uint_le(mempool_future_bytes(f.tip.pool), cap);
    ck_assert_uint_eq(mempool_future_count(f.tip.pool), futures(&f));
    ck_assert_uint_eq(mempool_future_bytes(f.tip.pool), futures(&f) * size);
    /* the readded ones paid the least: all of them left */
    for (int i = 0; i < 12; i++) {
        ck_assert(!has(&f, &back[i]));
        tx_clear(&back[i]);
    }
    ck_assert_uint_eq(mempool_future_count(f.tip.pool), 10);
    ck_assert_uint_eq(minable(&f) + futures(&f), mempool_count(f.tip.pool));
    /* removal keeps the count: expire everything */
    mempool_expire(f.tip.pool, T0 + MEMPOOL_EXPIRY_SECONDS + 2);
    ck_assert_uint_eq(mempool_count(f.tip.pool), 0);
    ck_assert_uint_eq(mempool_future_bytes(f.tip.pool), 0);
    ck_assert_uint_eq(mempool_future_count(f.tip.pool), 0);
    tx_clear(&t);
    fix_clear(&f);
}
END_TEST

/* A tx arrives as bytes (RPC, P2P): accepting it serializes its fields
 * once, for the sighash its signature covers. Its size (measured for the
 * limit, the fee rate and the pool's bytes) and its txid (the duplicate
 * check, the apply context, the pool's index) come with the decoded tx;
 * they used to be recomputed by each of those steps. */
START_TEST(accept_serializes_a_decoded_tx_once)
{
    struct fix f;
    fix_init(&f, 1 << 20);
    struct fixture_user a;
    fixture_user_new(&a);
    fixture_fund(&f.tip.view, a.pub, AMOUNT_COIN, 0);
    for (uint64_t nonce = 0; nonce < 3; nonce++) {
        struct tx built, tx;
        tx_init(&built);
        tx_init(&tx);
        transfer(&f, &built, &a, nonce, 1000);
        struct buf bytes;
        buf_init(&bytes);
        ck_assert(tx_encode(&built, &bytes));
        ck_assert_int_eq(tx_decode(bytes.data, bytes.len, &tx), SER_OK);
        uint64_t before = tx_encode_count();
        struct mempool_accept_info info;
        ck_assert_int_eq(pool_accept(&f, &tx, &info), MEMPOOL_OK);
        ck_assert_uint_eq(tx_encode_count() - before, 1);
        /* what the pool keeps is right all the same */
        uint8_t id[SHA256_LEN];
        sha256(bytes.data, bytes.len, id);
        ck_assert_mem_eq(info.txid, id, SHA256_LEN);
        const struct mempool_entry *e = mempool_find(f.tip.pool, id);
        ck_assert_ptr_nonnull(e);
        struct mempool_entry_info ei;
        mempool_entry_get_info(e, &ei);
        ck_assert_uint_eq(ei.size, bytes.len);
        /* a duplicate costs no serialization at all */
        before = tx_encode_count();
        ck_assert_int_eq(pool_accept(&f, &tx, &info), MEMPOOL_ERR_DUPLICATE);
        ck_assert_uint_eq(tx_encode_count(), before);
        buf_clear(&bytes);
        tx_clear(&tx);
        tx_clear(&built);
    }
    ck_assert_uint_eq(mempool_count(f.tip.pool), 3);
    fix_clear(&f);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.timeout = 60};
    const TTest *tests[] = {
        accepts_tx_and_nonce_chain, each_rejection_names_its_rule_and_changes_nothing,
        gap_is_future_until_filled, future_txs_are_not_minable, future_txs_need_funds_for_their_fee, replacement_rules,
        size_limit_evicts_lowest_fee_rate, expiry_after_14_days, new_tip_rechecks_everything,
        readd_after_reorg, remove_by_txid_takes_later_nonces, fee_rate_compare_is_exact,
        many_senders_stay_consistent, check_only_changes_nothing, futures_hold_a_share_of_the_pool,
        accept_serializes_a_decoded_tx_once, NULL
    };
    return fixture_suite("mempool", &tc, tests);
}
