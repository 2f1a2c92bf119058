#include "unit.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

START_TEST(append_grows)
{
    struct buf b;
    buf_init(&b);
    ck_assert_uint_eq(b.len, 0);
    for (int i = 0; i < 1000; i++)
        ck_assert(buf_append_byte(&b, (uint8_t)i));
    ck_assert_uint_eq(b.len, 1000);
    ck_assert_uint_ge(b.cap, 1000);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(b.data[i], (uint8_t)i);
    ck_assert(buf_append(&b, "abc", 3));
    ck_assert(memcmp(b.data + 1000, "abc", 3) == 0);
    ck_assert(buf_append(&b, NULL, 0));
    ck_assert_uint_eq(b.len, 1003);
    buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_ge(b.cap, 1000);
    buf_clear(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(reserve_overflow_is_refused)
{
    struct buf b;
    buf_init(&b);
    ck_assert(buf_append(&b, "xy", 2));
    ck_assert(!buf_reserve(&b, SIZE_MAX));
    ck_assert(!buf_reserve(&b, SIZE_MAX - 1));
    ck_assert_uint_eq(b.len, 2);
    ck_assert(memcmp(b.data, "xy", 2) == 0);
    buf_clear_secure(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(steal_detaches)
{
    struct buf b;
    buf_init(&b);
    ck_assert(buf_append(&b, "hello", 5));
    size_t len = 0;
    uint8_t *p = buf_steal(&b, &len);
    ck_assert_uint_eq(len, 5);
    ck_assert(memcmp(p, "hello", 5) == 0);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    free(p);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {append_grows, reserve_overflow_is_refused, steal_detaches, NULL};
    return fixture_suite("buf", NULL, tests);
}
