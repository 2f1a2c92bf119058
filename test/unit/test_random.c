#include "unit.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"

START_TEST(draws_differ)
{
    uint8_t a[32], b[32], zero[32] = {0};
    ck_assert(random_bytes(a, sizeof a));
    ck_assert(random_bytes(b, sizeof b));
    ck_assert(memcmp(a, b, sizeof a) != 0);
    ck_assert(memcmp(a, zero, sizeof a) != 0);
}
END_TEST

START_TEST(empty_request)
{
    uint8_t sentinel = 0x5a;
    ck_assert(random_bytes(&sentinel, 0));
    ck_assert_uint_eq(sentinel, 0x5a);
}
END_TEST

/* A large draw must fill every byte: count byte values that never occur in
 * 1 MiB, which for uniform bytes is essentially impossible. */
START_TEST(large_request_fills_everything)
{
    size_t len = 1 << 20;
    uint8_t *p = calloc(len, 1);
    ck_assert_ptr_nonnull(p);
    ck_assert(random_bytes(p, len));
    size_t counts[256] = {0};
    for (size_t i = 0; i < len; i++)
        counts[p[i]]++;
    for (int v = 0; v < 256; v++)
        ck_assert_msg(counts[v] > 2000 && counts[v] < 6200, "byte %d seen %zu times", v,
                      counts[v]);
    /* the tail, written last, must not still be the calloc zeros */
    uint8_t zero[64] = {0};
    ck_assert(memcmp(p + len - 64, zero, 64) != 0);
    free(p);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {draws_differ, empty_request, large_request_fills_everything, NULL};
    return fixture_suite("random", NULL, tests);
}
