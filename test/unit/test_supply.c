#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/subsidy.h"
#include "node/chain.h"
#include "node/supply.h"

static char dir[256];

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "supply");
}

static void teardown(void)
{
    fixture_tmpdir_remove(dir);
}

START_TEST(subsidy_total_follows_the_schedule)
{
    ck_assert_uint_eq(supply_subsidy_total(0, 150), 0);
    ck_assert_uint_eq(supply_subsidy_total(1, 150), 50 * AMOUNT_COIN);
    ck_assert_uint_eq(supply_subsidy_total(149, 150), 149 * 50 * AMOUNT_COIN);
    ck_assert_uint_eq(supply_subsidy_total(150, 150), 149 * 50 * AMOUNT_COIN + 25 * AMOUNT_COIN);
    ck_assert_uint_eq(supply_subsidy_total(10, 0), 0);
    /* block by block, across many halvings, to the end of the schedule */
    amount_t sum = 0;
    for (uint64_t h = 1; h <= 150 * 70; h++) {
        sum += subsidy_at(h, 150);
        if (h % 149 == 0 || h % 150 == 0 || h % 151 == 0)
            ck_assert_uint_eq(supply_subsidy_total(h, 150), sum);
    }
    ck_assert_uint_eq(supply_subsidy_total(150 * 70, 150), sum);
    ck_assert_uint_eq(supply_subsidy_total(UINT64_MAX / 2, 150), sum);
}
END_TEST

struct count {
    size_t n, stop_at;
};

static bool count_keys(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                       size_t vlen)
{
    (void)val;
    (void)vlen;
    struct count *c = ctx;
    ck_assert(klen >= 1 && key[0] == 'a');
    return ++c->n != c->stop_at;
}

START_TEST(coins_are_where_the_blocks_put_them)
{
    struct chain *c = fixture_chain_open(dir, false);
    struct fixture_user miners[3];
    for (int i = 0; i < 3; i++)
        fixture_user_new(&miners[i]);
    struct block b;
    block_init(&b);
    char reason[128];
    /* 160 blocks cross the regtest halving at 150 */
    for (int h = 1; h <= 160; h++) {
        struct block_fault f;
        fixture_block_on(&b, chain_tip(c), miners[h % 3].pub, NULL, 0, 0);
        ck_assert_int_eq(chain_process_block(c, &b, &f, reason, sizeof reason), CHAIN_OK);
    }
    block_clear(&b);
    struct supply_info s;
    char err[256];
    ck_assert_msg(supply_get(c, NULL, &s, err, sizeof err), "%s", err);
    ck_assert_uint_eq(s.height, 160);
    ck_assert_uint_eq(s.subsidy, 149 * 50 * AMOUNT_COIN + 11 * 25 * AMOUNT_COIN);
    /* blocks 1..60 matured when blocks 101..160 connected; 61..160 wait */
    ck_assert_uint_eq(s.balances, 60 * 50 * AMOUNT_COIN);
    ck_assert_uint_eq(s.immature, 89 * 50 * AMOUNT_COIN + 11 * 25 * AMOUNT_COIN);
    ck_assert_uint_eq(s.held, 0);
    ck_assert_uint_eq(s.accounts, 3);
    ck_assert_uint_eq(s.balances + s.immature + s.held, s.subsidy);

    /* a scan stops where its callback says, and never reads the meta prefix */
    struct count cnt = {.stop_at = 2};
    static const uint8_t a[1] = {'a'}, meta[1] = {0x00};
    ck_assert(chain_state_scan(c, a, 1, count_keys, &cnt, err, sizeof err));
    ck_assert_uint_eq(cnt.n, 2);
    ck_assert(!chain_state_scan(c, meta, 1, count_keys, &cnt, err, sizeof err));
    chain_close(c);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.name = "core", .setup = setup, .teardown = teardown};
    const TTest *tests[] = {subsidy_total_follows_the_schedule, coins_are_where_the_blocks_put_them,
                            NULL};
    return fixture_suite("supply", &tc, tests);
}
