#include "unit.h"
#include "fixture.h"

#include "consensus/subsidy.h"

START_TEST(main_schedule)
{
    const uint64_t n = SUBSIDY_HALVING_INTERVAL_MAIN;
    ck_assert_uint_eq(n, 1051200);
    ck_assert_uint_eq(subsidy_at(0, n), 5000000000ull);
    ck_assert_uint_eq(subsidy_at(1, n), 5000000000ull);
    ck_assert_uint_eq(subsidy_at(n - 1, n), 5000000000ull);
    ck_assert_uint_eq(subsidy_at(n, n), 2500000000ull);
    ck_assert_uint_eq(subsidy_at(2 * n - 1, n), 2500000000ull);
    ck_assert_uint_eq(subsidy_at(2 * n, n), 1250000000ull);
    ck_assert_uint_eq(subsidy_at(3 * n, n), 625000000ull);
    /* halvings round down: 5e9 >> 10 = 4882812.5 */
    ck_assert_uint_eq(subsidy_at(10 * n, n), 4882812ull);
    /* 5e9 < 2^33, so the last non-zero subsidy is after 32 halvings */
    ck_assert_uint_eq(subsidy_at(32 * n, n), 1);
    ck_assert_uint_eq(subsidy_at(33 * n, n), 0);
    ck_assert_uint_eq(subsidy_at(63 * n, n), 0);
    ck_assert_uint_eq(subsidy_at(64 * n, n), 0);
    ck_assert_uint_eq(subsidy_at(64 * n + 12345, n), 0);
    ck_assert_uint_eq(subsidy_at(UINT64_MAX, n), 0);
}
END_TEST

START_TEST(regtest_schedule)
{
    const uint64_t n = SUBSIDY_HALVING_INTERVAL_REGTEST;
    ck_assert_uint_eq(n, 150);
    ck_assert_uint_eq(subsidy_at(0, n), 50 * AMOUNT_COIN);
    ck_assert_uint_eq(subsidy_at(149, n), 50 * AMOUNT_COIN);
    ck_assert_uint_eq(subsidy_at(150, n), 25 * AMOUNT_COIN);
    ck_assert_uint_eq(subsidy_at(299, n), 25 * AMOUNT_COIN);
    ck_assert_uint_eq(subsidy_at(300, n), 1250000000ull);
    ck_assert_uint_eq(subsidy_at(64 * 150, n), 0);
    ck_assert_uint_eq(subsidy_at(1000000, n), 0);
}
END_TEST

/* An interval of 1 makes every height a halving: 64 and beyond must not
 * shift by 64 (undefined) and must give 0; the running total stays below
 * 100 coins, the sum of the geometric series. */
START_TEST(every_block_halves)
{
    amount_t total = 0;
    for (uint64_t h = 0; h < 70; h++) {
        amount_t s = subsidy_at(h, 1);
        ck_assert_uint_eq(s, h < 64 ? SUBSIDY_INITIAL >> h : 0);
        ck_assert(amount_add(total, s, &total));
    }
    ck_assert_uint_lt(total, 100 * AMOUNT_COIN);
    ck_assert_uint_ge(total, 100 * AMOUNT_COIN - 64);
}
END_TEST

START_TEST(zero_interval)
{
    ck_assert_uint_eq(subsidy_at(0, 0), 0);
    ck_assert_uint_eq(subsidy_at(5, 0), 0);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        main_schedule, regtest_schedule, every_block_halves, zero_interval, NULL
    };
    return fixture_suite("subsidy", NULL, tests);
}
