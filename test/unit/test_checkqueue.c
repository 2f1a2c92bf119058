#include "unit.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/blockcheck.h"
#include "consensus/sigcache.h"
#include "consensus/txcheck.h"
#include "consensus/txsign.h"
#include "node/checkqueue.h"

#define N_TXS 300

static struct tx txs[N_TXS];

static void setup(void)
{
    struct fixture_user u;
    fixture_user_new(&u);
    uint8_t to[32];
    fixture_pubkey(to);
    for (size_t i = 0; i < N_TXS; i++) {
        tx_init(&txs[i]);
        fixture_transfer(&txs[i], u.sk, to, 1000 + i, i, 500);
    }
}

static void teardown(void)
{
    for (size_t i = 0; i < N_TXS; i++)
        tx_clear(&txs[i]);
}

static const uint8_t *genesis(void)
{
    return fixture_regtest()->genesis.hash;
}

/* What a serial loop over txcheck_stateless says. */
static bool serial(size_t n, size_t *index, enum txerr *err)
{
    for (size_t i = 0; i < n; i++) {
        enum txerr e = txcheck_stateless(&txs[i], genesis(), NULL);
        if (e != TXERR_OK) {
            *index = i;
            *err = e;
            return false;
        }
    }
    return true;
}

/* Every thread count, many times over (a race shows as a wrong index now
 * and then), must agree with the serial loop on txs[0..n). */
static void check_agrees(size_t n)
{
    size_t want_i = 0;
    enum txerr want_e = TXERR_OK;
    bool want = serial(n, &want_i, &want_e);
    static const unsigned counts[] = {1, 2, 3, 8};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        struct checkqueue *q;
        ck_assert(checkqueue_new(counts[c], &q));
        ck_assert_uint_eq(checkqueue_threads(q), counts[c]);
        for (int round = 0; round < 20; round++) {
            size_t got_i = SIZE_MAX;
            enum txerr got_e = TXERR_COUNT_;
            bool got = checkqueue_check_txs(q, txs, n, genesis(), &got_i, &got_e);
            ck_assert_int_eq(got, want);
            if (!want) {
                ck_assert_uint_eq(got_i, want_i);
                ck_assert_int_eq(got_e, want_e);
            } else {
                /* outputs untouched on success */
                ck_assert_uint_eq(got_i, SIZE_MAX);
                ck_assert_int_eq(got_e, TXERR_COUNT_);
            }
        }
        checkqueue_free(q);
    }
}

START_TEST(all_valid)
{
    check_agrees(N_TXS);
    check_agrees(5);  /* below the size worth waking threads for */
    check_agrees(0);
}
END_TEST

START_TEST(lowest_failure_wins)
{
    /* a bad signature late, another rule earlier, a bad signature earliest */
    txs[250].sig[3] ^= 1;
    tx_finalize(&txs[250]);
    check_agrees(N_TXS);
    txs[130].type = 0x7777; /* no such type */
    tx_finalize(&txs[130]);
    check_agrees(N_TXS);
    txs[97].sig[0] ^= 0x80;
    tx_finalize(&txs[97]);
    check_agrees(N_TXS);
    size_t i;
    enum txerr e;
    struct checkqueue *q;
    ck_assert(checkqueue_new(4, &q));
    ck_assert(!checkqueue_check_txs(q, txs, N_TXS, genesis(), &i, &e));
    ck_assert_uint_eq(i, 97);
    ck_assert_int_eq(e, TXERR_BAD_SIGNATURE);
    /* only the part before the failures */
    ck_assert(checkqueue_check_txs(q, txs, 97, genesis(), &i, &e));
    /* the last tx alone fails */
    txs[N_TXS - 1].sig[10] ^= 4;
    tx_finalize(&txs[N_TXS - 1]);
    ck_assert(!checkqueue_check_txs(q, txs + 251, N_TXS - 251, genesis(), &i, &e));
    ck_assert_uint_eq(i, N_TXS - 1 - 251);
    /* every tx fails: the first is reported */
    for (size_t k = 0; k < N_TXS; k++) {
        txs[k].sig[1] ^= 2;
        tx_finalize(&txs[k]);
    }
    ck_assert(!checkqueue_check_txs(q, txs, N_TXS, genesis(), &i, &e));
    ck_assert_uint_eq(i, 0);
    checkqueue_free(q);
    check_agrees(N_TXS);
}
END_TEST

START_TEST(another_network)
{
    size_t i;
    enum txerr e;
    struct checkqueue *q;
    ck_assert(checkqueue_new(2, &q));
    ck_assert(!checkqueue_check_txs(q, txs, N_TXS, chainparams_get(CHAIN_MAIN)->genesis.hash, &i,
                                    &e));
    ck_assert_uint_eq(i, 0);
    ck_assert_int_eq(e, txcheck_stateless(&txs[0], chainparams_get(CHAIN_MAIN)->genesis.hash, NULL));
    checkqueue_free(q);
}
END_TEST

/* A check cancelled right after its start ends without verifying every tx
 * (the threads stop at the next index they look at), and the queue takes
 * the next check as usual. */
START_TEST(cancel_ends_a_check)
{
    ck_assert(sigcache_set_size(0)); /* every check verifies */
    struct checkqueue *q;
    ck_assert(checkqueue_new(2, &q));
    uint64_t before = txsign_verify_count();
    checkqueue_start(q, txs, N_TXS, genesis());
    checkqueue_cancel(q);
    uint64_t verified = txsign_verify_count() - before;
    ck_assert_uint_lt(verified, N_TXS);
    size_t i = SIZE_MAX;
    enum txerr e = TXERR_COUNT_;
    ck_assert(checkqueue_check_txs(q, txs, N_TXS, genesis(), &i, &e));
    ck_assert_uint_eq(txsign_verify_count() - before - verified, N_TXS);
    /* busy while the workers have the txs (ten times the list: a tenth
     * of a second of work, so they are still at it when asked), not once
     * they are done, and never for a check too small to hand them */
    enum { LONG = 10 * N_TXS };
    struct tx *many = malloc(LONG * sizeof *many);
    ck_assert_ptr_nonnull(many);
    for (size_t k = 0; k < LONG; k++)
        many[k] = txs[k % N_TXS]; /* shallow copies, only read */
    checkqueue_start(q, many, LONG, genesis());
    ck_assert(checkqueue_busy(q));
    ck_assert(checkqueue_finish(q, &i, &e));
    ck_assert(!checkqueue_busy(q));
    free(many);
    checkqueue_start(q, txs, 5, genesis());
    ck_assert(!checkqueue_busy(q));
    ck_assert(checkqueue_finish(q, &i, &e));
    /* and with a failure, the verdict of the serial loop */
    txs[201].sig[2] ^= 1;
    tx_finalize(&txs[201]);
    checkqueue_start(q, txs, N_TXS, genesis());
    checkqueue_cancel(q);
    ck_assert(!checkqueue_check_txs(q, txs, N_TXS, genesis(), &i, &e));
    ck_assert_uint_eq(i, 201);
    ck_assert_int_eq(e, TXERR_BAD_SIGNATURE);
    checkqueue_free(q);
}
END_TEST

START_TEST(thread_counts)
{
    struct checkqueue *q;
    ck_assert(checkqueue_new(0, &q));
    ck_assert_uint_eq(checkqueue_threads(q), 1);
    checkqueue_free(q);
    ck_assert(checkqueue_new(1000, &q));
    ck_assert_uint_eq(checkqueue_threads(q), CHECKQUEUE_MAX_THREADS);
    checkqueue_free(q);
    checkqueue_free(NULL);
    ck_assert_uint_ge(checkqueue_cpu_count(), 1);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup, .teardown = teardown, .timeout = 60};
    const TTest *tests[] = {all_valid, lowest_failure_wins, another_network, cancel_ends_a_check,
                             thread_counts, NULL};
    return fixture_suite("checkqueue", &tc, tests);
}
