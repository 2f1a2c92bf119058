#include "unit.h"
#include "fixture.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"

struct item {
    uint64_t a, b;
};

START_TEST(first_then_doubling)
{
    struct item *v = NULL;
    size_t cap = 0;
    ck_assert(grow_array((void **)&v, &cap, 1, sizeof *v, 4));
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(cap, 4);
    for (size_t i = 0; i < 4; i++)
        v[i] = (struct item){i, 2 * i};
    /* Room already there: nothing moves. */
    struct item *same = v;
    ck_assert(grow_array((void **)&v, &cap, 4, sizeof *v, 4));
    ck_assert_ptr_eq(v, same);
    ck_assert_uint_eq(cap, 4);
    ck_assert(grow_array((void **)&v, &cap, 5, sizeof *v, 4));
    ck_assert_uint_eq(cap, 8);
    /* Doubled as often as it takes. */
    ck_assert(grow_array((void **)&v, &cap, 33, sizeof *v, 4));
    ck_assert_uint_eq(cap, 64);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(v[i].a, i);
        ck_assert_uint_eq(v[i].b, 2 * i);
    }
    free(v);
}
END_TEST

START_TEST(a_large_first_need)
{
    uint32_t *v = NULL;
    size_t cap = 0;
    ck_assert(grow_array((void **)&v, &cap, 100, sizeof *v, 16));
    ck_assert_uint_eq(cap, 128);
    v[99] = 7;
    free(v);
}
END_TEST

START_TEST(overflow_is_refused_and_changes_nothing)
{
    struct item *v = NULL;
    size_t cap = 0;
    ck_assert(grow_array((void **)&v, &cap, 3, sizeof *v, 2));
    ck_assert_uint_eq(cap, 4);
    v[0] = (struct item){1, 2};
    struct item *before = v;
    ck_assert(!grow_array((void **)&v, &cap, SIZE_MAX, sizeof *v, 2));
    ck_assert(!grow_array((void **)&v, &cap, SIZE_MAX / sizeof *v + 1, sizeof *v, 2));
    ck_assert_ptr_eq(v, before);
    ck_assert_uint_eq(cap, 4);
    ck_assert_uint_eq(v[0].a, 1);
    /* A capacity that cannot double any more. */
    size_t huge = SIZE_MAX / 2 + 1;
    ck_assert(!grow_array((void **)&v, &huge, SIZE_MAX, 1, 2));
    ck_assert_uint_eq(huge, SIZE_MAX / 2 + 1);
    ck_assert_ptr_eq(v, before);
    free(v);
}
END_TEST

START_TEST(bad_sizes_are_refused)
{
    char *v = NULL;
    size_t cap = 0;
    ck_assert(!grow_array((void **)&v, &cap, 1, 0, 4));
    ck_assert(!grow_array((void **)&v, &cap, 1, 1, 0));
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(cap, 0);
    /* Nothing needed: true without an allocation. */
    ck_assert(grow_array((void **)&v, &cap, 0, 1, 4));
    ck_assert_ptr_null(v);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {first_then_doubling, a_large_first_need,
                            overflow_is_refused_and_changes_nothing, bad_sizes_are_refused, NULL};
    return fixture_suite("grow", NULL, tests);
}
