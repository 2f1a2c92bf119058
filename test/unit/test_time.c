#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "util/time.h"

START_TEST(mock_replaces_now)
{
    ck_assert_int_eq(time_get_mock(), 0);
    int64_t real = time_now();
    /* 2020-01-01: any machine running this is later. */
    ck_assert_int_gt(real, 1577836800);

    /* milliseconds of the same clock */
    int64_t ms = time_now_ms();
    ck_assert_int_ge(ms / 1000, real);
    ck_assert_int_le(ms / 1000, time_now());

    ck_assert(time_set_mock(1700000000));
    ck_assert_int_eq(time_now(), 1700000000);
    ck_assert_int_eq(time_now_ms(), INT64_C(1700000000000));
    ck_assert_int_eq(time_get_mock(), 1700000000);

    /* negative mock is refused and leaves the mock as it was */
    ck_assert(!time_set_mock(-5));
    ck_assert_int_eq(time_now(), 1700000000);

    ck_assert(time_set_mock(0));
    ck_assert_int_eq(time_get_mock(), 0);
    ck_assert_int_ge(time_now(), real);
}
END_TEST

START_TEST(system_and_mono_ignore_mock)
{
    ck_assert(time_set_mock(1000));
    int64_t sys = time_system_us();
    ck_assert_int_gt(sys / 1000000, 1577836800);
    int64_t m1 = time_mono_us();
    int64_t m2 = time_mono_us();
    ck_assert_int_ge(m2, m1);
    ck_assert(time_set_mock(0));
}
END_TEST

START_TEST(iso8601)
{
    char s[TIME_ISO8601_SIZE], us[TIME_ISO8601_US_SIZE];
    ck_assert(time_format_iso8601(0, s));
    ck_assert_str_eq(s, "1970-01-01T00:00:00Z");
    ck_assert(time_format_iso8601(1700000000, s));
    ck_assert_str_eq(s, "2023-11-14T22:13:20Z");
    /* leap day */
    ck_assert(time_format_iso8601(951782400, s));
    ck_assert_str_eq(s, "2000-02-29T00:00:00Z");
    ck_assert(time_format_iso8601(INT64_C(253402300799), s));
    ck_assert_str_eq(s, "9999-12-31T23:59:59Z");

    ck_assert(time_format_iso8601_us(INT64_C(1700000000000007), us));
    ck_assert_str_eq(us, "2023-11-14T22:13:20.000007Z");
    ck_assert(time_format_iso8601_us(999999, us));
    ck_assert_str_eq(us, "1970-01-01T00:00:00.999999Z");

    /* out of range: refused, output untouched */
    strcpy(s, "untouched");
    ck_assert(!time_format_iso8601(-1, s));
    ck_assert(!time_format_iso8601(INT64_C(253402300800), s));
    ck_assert(!time_format_iso8601(INT64_MAX, s));
    ck_assert_str_eq(s, "untouched");
    strcpy(us, "untouched");
    ck_assert(!time_format_iso8601_us(-1, us));
    ck_assert(!time_format_iso8601_us(INT64_MAX, us));
    ck_assert_str_eq(us, "untouched");
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {mock_replaces_now, system_and_mono_ignore_mock, iso8601, NULL};
    return fixture_suite("time", NULL, tests);
}
